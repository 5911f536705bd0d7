/*
 * bench-gen: write a large capture of a day at a DirectAccess server,
 * deterministically, for `make bench`, with a manifest of the answers
 * datrace must give.
 *
 * The TLS bytes are not invented: each TLS connection replays the TCP
 * payload of a template capture made by a real TLS stack
 * (testdata/scenarios/, see testdata/gen/), given as KIND=FILE. Around them
 * the generator builds many interleaved TCP connections with their own
 * addresses, ports and sequence numbers, segments the flights at the MSS,
 * swaps a few adjacent segments (out of order) and repeats a few
 * (retransmissions), and follows successful handshakes with tunnels of
 * application-data records split across segments. Two profiles:
 *
 *   -P day (what server-side captures hold; the benchmark's headline):
 *     per IP-HTTPS connection (to da.corp.example, the templates' own
 *     name) four others: TLS to thousands of other names (the ClientHello's
 *     SNI rewritten in place, NULL suites replaced, so they are browsers),
 *     HTTP CRL fetches (200 and some 404), other TCP (SMB, RDP, WinRM-like
 *     bytes), other UDP (NTP, syslog, SNMP); before each TCP connection the
 *     client's DNS lookups (A and AAAA, CNAME chains, some NXDOMAIN, some
 *     lookups of other names); -k flows open at once (default 1,200); most
 *     bytes in long IP-HTTPS tunnels; about 10 % IPv6; loss (a segment
 *     seen only when it is retransmitted a few segments later).
 *     Its clock is a day's (run_timed): the capture spans -T seconds
 *     (default half an hour per 100 MiB: 100 MB is 30 minutes of a
 *     server's day, 2 GiB ten hours, a working day), every packet at its
 *     own time (round trips of 5-150 ms), the IP-HTTPS clients connecting
 *     in the first minutes and keeping their tunnel all day (records about
 *     a minute apart, some dropped and connected again, some without a
 *     FIN), everything else starting at a steady rate and ending on its
 *     own; so connection lifetimes, datrace's idle timeout and its
 *     tombstones act as on a real capture. -T 0 is the first benchmark's
 *     clock (run_compressed: packets 20-80 us apart, 100 MB in 9 s of
 *     capture time, no connection ever idle); with the same seed it writes
 *     the same bytes as before the day's clock existed.
 *   -P uniform (the first benchmark): TCP/443 connections replaying the
 *     templates with their own name, a DNS query now and then.
 *
 * The manifest (TSV) has one line per TLS connection (client address, the
 * frames of its ClientHello and of its first alert, whether it is
 * IP-HTTPS), per DNS query (name, type, frames, rcode, addresses) and per
 * HTTP exchange (frames, status), so every answer can be checked.
 *
 *   bench-gen -o OUT.pcap -m OUT.tsv -s BYTES -c CONNS [-P day|uniform]
 *             [-S SEED] [-k ACTIVE] [-d DNS] [-T SECONDS] KIND=TEMPLATE.pcap...
 *
 * -c is the number of IP-HTTPS connections (day) or of all connections
 * (uniform); -d adds DNS lookups of other names per connection (day); -k
 * the flows open at once (the day's clock aims at it, the compressed one
 * keeps exactly that many); -T the day's span (0: compressed).
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSS 1460
#define MAX_FLIGHTS 32
#define MAX_TEMPLATES 32

struct flight {
	int dir;			/* 0 client->server, 1 server->client */
	uint8_t *data;
	size_t len;
};

struct template {
	char kind[32];
	struct flight fl[MAX_FLIGHTS];
	int n;
	int tunnel;			/* handshake succeeded: add app data */
	size_t ch_off;			/* ClientHello: flight 0 offset 0 */
	int alert_flight;		/* -1: none */
	size_t alert_off;
	/* day profile: where flight 0 (the ClientHello) names the server,
	   and a copy of it whose NULL suites are replaced (a browser's) */
	size_t sni_off, sni_len;
	uint8_t *browser0;
	int browser_ok;			/* usable as another site's TLS */
	uint16_t sport;			/* server port (0: 443) */
};

/* ---- deterministic random (xorshift64*) ---------------------------------- */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint32_t
rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* ---- templates ------------------------------------------------------------ */

static int
tcp_of(int dlt, const u_char *p, uint32_t caplen, const u_char **ip_out,
    int *v6, const u_char **tcp, const u_char **pay, uint32_t *paylen)
{
	uint32_t off = 0, iplen, thl;
	uint16_t et;
	const u_char *ip;

	if (dlt == DLT_EN10MB) {
		if (caplen < 14)
			return -1;
		et = (uint16_t)(p[12] << 8 | p[13]);
		off = 14;
		while (et == 0x8100 && caplen >= off + 4) {
			et = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
			off += 4;
		}
	} else if (dlt == DLT_LINUX_SLL) {
		if (caplen < 16)
			return -1;
		et = (uint16_t)(p[14] << 8 | p[15]);
		off = 16;
	} else if (dlt == 276) {	/* SLL2 */
		if (caplen < 20)
			return -1;
		et = (uint16_t)(p[0] << 8 | p[1]);
		off = 20;
	} else {
		return -1;
	}
	ip = p + off;
	if (et == 0x0800 && caplen >= off + 20 && ip[9] == 6) {
		*v6 = 0;
		iplen = (uint32_t)(ip[2] << 8 | ip[3]);
		*tcp = ip + (ip[0] & 15) * 4;
		if (iplen > caplen - off)
			iplen = caplen - off;
	} else if (et == 0x86dd && caplen >= off + 40 && ip[6] == 6) {
		*v6 = 1;
		iplen = 40 + (uint32_t)(ip[4] << 8 | ip[5]);
		*tcp = ip + 40;
		if (iplen > caplen - off)
			iplen = caplen - off;
	} else {
		return -1;
	}
	thl = ((*tcp)[12] >> 4) * 4u;
	if ((size_t)(*tcp - ip) + thl > iplen)
		return -1;
	*ip_out = ip;
	*pay = *tcp + thl;
	*paylen = iplen - (uint32_t)(*tcp - ip) - thl;
	return 0;
}

static int
null_suite(unsigned s)
{
	static const unsigned null[] = { 0x0001, 0x0002, 0x002c, 0x002d,
	    0x002e, 0x003b, 0x00b0, 0x00b1, 0x00b4, 0x00b5, 0x00b8, 0x00b9,
	    0xc001, 0xc006, 0xc00b, 0xc010, 0xc015, 0xc039, 0xc03a, 0xc03b };
	size_t i;

	for (i = 0; i < sizeof null / sizeof null[0]; i++)
		if (null[i] == s)
			return 1;
	return 0;
}

/*
 * The ClientHello at the start of flight 0 (RFC 5246 7.4.1.2, RFC 6066 3):
 * where its server_name is, and a copy with every NULL suite replaced by
 * an AEAD one, so that the same bytes can stand for a browser reaching
 * another site (the day profile). A template whose hello cannot be read
 * is used for IP-HTTPS only.
 */
static void
find_hello(struct template *t)
{
	static const unsigned repl[] = { 0x009c, 0x009d, 0x009e, 0x009f,
	    0xc02b, 0xc02c, 0xc02f, 0xc030 };
	const uint8_t *p = t->fl[0].data;
	size_t n = t->fl[0].len, o, end, k = 0, sl, el;

	if (n < 5 + 4 + 34 + 1 || p[0] != 22 || p[5] != 1)
		return;
	/* a server that picked a NULL suite would answer no browser */
	if (t->n > 1 && t->fl[1].len > 5 + 4 + 34 + 2 && t->fl[1].data[0] == 22 &&
	    t->fl[1].data[5] == 2) {
		const uint8_t *s = t->fl[1].data;

		o = 5 + 4 + 2 + 32;
		o += 1 + s[o];
		if (o + 2 <= t->fl[1].len && null_suite((unsigned)s[o] << 8 | s[o + 1]))
			return;
	}
	o = 5 + 4 + 2 + 32;
	o += 1 + p[o];				/* session id */
	if (o + 2 > n)
		return;
	sl = (size_t)p[o] << 8 | p[o + 1];
	o += 2;
	if (o + sl > n)
		return;
	t->browser0 = malloc(n);
	memcpy(t->browser0, p, n);
	for (end = o + sl; o + 1 < end; o += 2)
		if (null_suite((unsigned)p[o] << 8 | p[o + 1]) &&
		    k < sizeof repl / sizeof repl[0]) {
			t->browser0[o] = (uint8_t)(repl[k] >> 8);
			t->browser0[o + 1] = (uint8_t)repl[k++];
		}
	o = end;
	if (o + 1 > n)
		return;
	o += 1 + p[o];				/* compression methods */
	if (o + 2 > n)
		return;
	end = o + 2 + ((size_t)p[o] << 8 | p[o + 1]);
	for (o += 2; o + 4 <= end && end <= n; o += 4 + el) {
		el = (size_t)p[o + 2] << 8 | p[o + 3];
		if (p[o] == 0 && p[o + 1] == 0 && el >= 5 && o + 4 + el <= n) {
			t->sni_off = o + 4 + 5;	/* list len, type, name len */
			t->sni_len = (size_t)p[o + 7] << 8 | p[o + 8];
			if (t->sni_off + t->sni_len <= n && t->sni_len >= 12)
				t->browser_ok = 1;
			return;
		}
	}
}

/* A template built here rather than read: an HTTP exchange or the bytes
   of a protocol datrace does not read. Flights alternate, client first. */
static void
make_template(struct template *t, const char *kind, uint16_t sport,
    const uint8_t *const *data, const size_t *len, int n)
{
	int i;

	memset(t, 0, sizeof *t);
	snprintf(t->kind, sizeof t->kind, "%s", kind);
	t->alert_flight = -1;
	t->sport = sport;
	for (i = 0; i < n && i < MAX_FLIGHTS; i++) {
		t->fl[i].dir = i & 1;
		t->fl[i].data = malloc(len[i]);
		memcpy(t->fl[i].data, data[i], len[i]);
		t->fl[i].len = len[i];
	}
	t->n = i;
}

/* The first TCP connection of the file: its payload in order, as flights. */
static int
load_template(struct template *t, const char *kind, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *d, *ip, *tcp, *pay;
	uint16_t cport = 0, sport = 0;
	uint32_t next[2] = { 0, 0 }, paylen;
	int have[2] = { 0, 0 }, v6, dlt, i, ccs[2] = { 0, 0 }, plain_alert = 0;
	size_t off;

	if (p == NULL) {
		fprintf(stderr, "bench-gen: %s: %s\n", path, err);
		return -1;
	}
	memset(t, 0, sizeof *t);
	snprintf(t->kind, sizeof t->kind, "%s", kind);
	t->alert_flight = -1;
	dlt = pcap_datalink(p);
	while (pcap_next_ex(p, &h, &d) == 1) {
		uint16_t s, dp;
		uint32_t seq;
		int dir;
		struct flight *f;

		if (tcp_of(dlt, d, h->caplen, &ip, &v6, &tcp, &pay, &paylen) != 0)
			continue;
		s = (uint16_t)(tcp[0] << 8 | tcp[1]);
		dp = (uint16_t)(tcp[2] << 8 | tcp[3]);
		seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 |
		    (uint32_t)tcp[6] << 8 | tcp[7];
		if (cport == 0) {
			if (!(tcp[13] & 0x02) || (tcp[13] & 0x10))
				continue;	/* start at a SYN */
			cport = s;
			sport = dp;
		}
		if (s == cport && dp == sport)
			dir = 0;
		else if (s == sport && dp == cport)
			dir = 1;
		else
			continue;
		if (tcp[13] & 0x02) {
			next[dir] = seq + 1;
			have[dir] = 1;
			continue;
		}
		if (paylen == 0 || !have[dir] || seq != next[dir])
			continue;	/* retransmission or out of order: skip */
		next[dir] += paylen;
		if (t->n == 0 || t->fl[t->n - 1].dir != dir) {
			if (t->n == MAX_FLIGHTS)
				break;
			t->fl[t->n++].dir = dir;
		}
		f = &t->fl[t->n - 1];
		f->data = realloc(f->data, f->len + paylen);
		memcpy(f->data + f->len, pay, paylen);
		f->len += paylen;
	}
	pcap_close(p);
	if (t->n == 0 || t->fl[0].dir != 0) {
		fprintf(stderr, "bench-gen: %s: no client-first TCP payload\n", path);
		return -1;
	}
	/* Find the first alert record (a plaintext one, or an encrypted one
	   such as a close_notify after application data: datrace reports
	   the first alert either way) and whether both sides got to
	   application data without a plaintext alert. */
	for (i = 0; i < t->n; i++) {
		struct flight *f = &t->fl[i];

		for (off = 0; off + 5 <= f->len;) {
			size_t rl = (size_t)f->data[off + 3] << 8 | f->data[off + 4];

			if (f->data[off] == 20)
				ccs[f->dir] = 1;
			if (f->data[off] == 21 && !ccs[f->dir])
				plain_alert = 1;
			if (f->data[off] == 21 && t->alert_flight < 0) {
				t->alert_flight = i;
				t->alert_off = off;
			}
			off += 5 + rl;
		}
	}
	t->tunnel = ccs[0] && ccs[1] && !plain_alert;
	find_hello(t);
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

static FILE *out, *man;
static uint64_t frame, bytes_out;
static int64_t now_us = 1764000000ll * 1000000;	/* 2025-11-24 */
static int day;				/* -P day */
static int timed;			/* -P day with a span (-T): see run_timed() */

static void
put_record(const uint8_t *pkt, uint32_t len)
{
	struct { uint32_t s, us, cap, orig; } h;

	now_us += 20 + rnd_below(60);
	h.s = (uint32_t)(now_us / 1000000);
	h.us = (uint32_t)(now_us % 1000000);
	h.cap = h.orig = len;
	fwrite(&h, sizeof h, 1, out);
	fwrite(pkt, 1, len, out);
	frame++;
	bytes_out += 16 + len;
}

enum { C_IPHTTPS, C_TLS, C_HTTP, C_TCP, C_UDP, C_KINDS };

struct conn {
	int v6;
	int type;			/* C_* */
	uint8_t caddr[16], saddr[16];
	uint16_t cport, sport;
	uint32_t seq[2];
	const struct template *t;
	char sni[64];			/* C_TLS: the name its hello carries */
	int stage;			/* 0 syn, 1 synack, 2 ack, 3 flights, 4 tunnel, 5 fin */
	int fl;				/* current flight */
	size_t off;			/* offset in the flight */
	uint64_t tunnel_left;		/* bytes of application data to send */
	uint8_t pending[MSS];		/* a segment held back (reordering, loss) */
	size_t pending_len;
	int pending_dir;
	uint32_t pending_seq;
	int pending_mark;		/* 1: holds the ClientHello, 2: the alert */
	int pending_wait;		/* segments still to go before it */
	uint64_t ch_frame, alert_frame;
	uint32_t id;
	/* timed day profile (run_timed) */
	int64_t next_us;		/* when its next packet goes */
	int64_t gap_us;			/* mean pause between its tunnel
					   records or flights */
	int32_t rtt_us;			/* client round trip */
	uint32_t rec_len;		/* mean application-data record */
	int silent;			/* ends without FIN: the client went
					   away, or the capture stopped */
};

static void
put_ip(uint8_t *pkt, int v6, const uint8_t *src, const uint8_t *dst,
    int proto, size_t l4len, int ttl)
{
	size_t o = 14;

	memcpy(pkt, v6 ? "\x02\0\0\0\0\x01\x02\0\0\0\0\x02" :
	    "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	pkt[12] = v6 ? 0x86 : 0x08;
	pkt[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		pkt[o] = 0x60;
		pkt[o + 4] = (uint8_t)(l4len >> 8);
		pkt[o + 5] = (uint8_t)l4len;
		pkt[o + 6] = (uint8_t)proto;
		pkt[o + 7] = (uint8_t)ttl;
		memcpy(pkt + o + 8, src, 16);
		memcpy(pkt + o + 24, dst, 16);
	} else {
		uint16_t tl = (uint16_t)(20 + l4len);

		pkt[o] = 0x45;
		pkt[o + 2] = (uint8_t)(tl >> 8);
		pkt[o + 3] = (uint8_t)tl;
		pkt[o + 8] = (uint8_t)ttl;
		pkt[o + 9] = (uint8_t)proto;
		memcpy(pkt + o + 12, src, 4);
		memcpy(pkt + o + 16, dst, 4);
	}
}

/* checksums are left 0: the analyser does not verify them */
static void
emit_tcp(struct conn *c, int dir, uint8_t flags, uint32_t seq,
    const uint8_t *pay, size_t len)
{
	uint8_t pkt[14 + 40 + 20 + MSS];
	size_t o = 14 + (c->v6 ? 40 : 20);
	uint16_t sp = dir ? c->sport : c->cport, dp = dir ? c->cport : c->sport;
	uint32_t ack = c->seq[!dir];

	memset(pkt, 0, o + 20);
	put_ip(pkt, c->v6, dir ? c->saddr : c->caddr, dir ? c->caddr : c->saddr,
	    6, 20 + len, dir ? 57 : (c->v6 ? 64 : 128));
	pkt[o] = (uint8_t)(sp >> 8);
	pkt[o + 1] = (uint8_t)sp;
	pkt[o + 2] = (uint8_t)(dp >> 8);
	pkt[o + 3] = (uint8_t)dp;
	pkt[o + 4] = (uint8_t)(seq >> 24);
	pkt[o + 5] = (uint8_t)(seq >> 16);
	pkt[o + 6] = (uint8_t)(seq >> 8);
	pkt[o + 7] = (uint8_t)seq;
	pkt[o + 8] = (uint8_t)(ack >> 24);
	pkt[o + 9] = (uint8_t)(ack >> 16);
	pkt[o + 10] = (uint8_t)(ack >> 8);
	pkt[o + 11] = (uint8_t)ack;
	pkt[o + 12] = 0x50;
	pkt[o + 13] = flags;
	pkt[o + 14] = 0xff;
	pkt[o + 15] = 0xff;
	if (len)
		memcpy(pkt + o + 20, pay, len);
	put_record(pkt, (uint32_t)(o + 20 + len));
}

static void
emit_udp(int v6, const uint8_t *src, const uint8_t *dst, uint16_t sp,
    uint16_t dp, const uint8_t *pay, size_t len, int ttl)
{
	uint8_t pkt[14 + 40 + 8 + 1500];
	size_t o = 14 + (v6 ? 40 : 20);

	if (len > 1500)
		len = 1500;
	memset(pkt, 0, o + 8);
	put_ip(pkt, v6, src, dst, 17, 8 + len, ttl);
	pkt[o] = (uint8_t)(sp >> 8);
	pkt[o + 1] = (uint8_t)sp;
	pkt[o + 2] = (uint8_t)(dp >> 8);
	pkt[o + 3] = (uint8_t)dp;
	pkt[o + 4] = (uint8_t)((8 + len) >> 8);
	pkt[o + 5] = (uint8_t)(8 + len);
	memcpy(pkt + o + 8, pay, len);
	put_record(pkt, (uint32_t)(o + 8 + len));
}

static uint8_t junk[1 << 16];

static void
flush_pending(struct conn *c)
{
	if (c->pending_len > 0) {
		emit_tcp(c, c->pending_dir, 0x18, c->pending_seq, c->pending,
		    c->pending_len);
		if (c->pending_mark == 1)
			c->ch_frame = frame;
		else if (c->pending_mark == 2)
			c->alert_frame = frame;
		c->pending_len = 0;
		c->pending_mark = 0;
	}
}

/* Send `len` bytes of direction `dir` as one segment; when may_hold (more
   bytes of the same direction follow) it may be held back and sent after
   the next one (reordering) or, in a tunnel of the day profile, a few
   segments later (lost, then retransmitted); it may be sent twice
   (retransmission). `mark` says which checked message starts in it; its
   frame is recorded when the segment goes out. */
static void
send_seg(struct conn *c, int dir, const uint8_t *p, size_t len, int may_hold,
    int mark)
{
	uint32_t seq = c->seq[dir];

	c->seq[dir] += (uint32_t)len;
	if (may_hold && c->pending_len == 0 && rnd_below(100) == 0) {
		memcpy(c->pending, p, len);
		c->pending_len = len;
		c->pending_dir = dir;
		c->pending_seq = seq;
		c->pending_mark = mark;
		c->pending_wait = day && c->stage == 4 ? 1 + (int)rnd_below(4) : 1;
		return;
	}
	emit_tcp(c, dir, 0x18, seq, p, len);
	if (mark == 1)
		c->ch_frame = frame;
	else if (mark == 2)
		c->alert_frame = frame;
	if (rnd_below(200) == 0)
		emit_tcp(c, dir, 0x18, seq, p, len);
	if (c->pending_len > 0 && --c->pending_wait <= 0)
		flush_pending(c);
}

/* Emit the next packet(s) of c. Returns 0 when c has finished. */
static int
step(struct conn *c)
{
	const struct template *t = c->t;

	switch (c->stage) {
	case 0:
		emit_tcp(c, 0, 0x02, c->seq[0] - 1, NULL, 0);
		c->stage++;
		return 1;
	case 1:
		emit_tcp(c, 1, 0x12, c->seq[1] - 1, NULL, 0);
		c->stage++;
		return 1;
	case 2:
		emit_tcp(c, 0, 0x10, c->seq[0], NULL, 0);
		c->stage++;
		return 1;
	case 3: {
		const struct flight *f = &t->fl[c->fl];
		const uint8_t *src = f->data;
		uint8_t seg[MSS];
		size_t n = f->len - c->off, lo = c->off;
		int mark = 0;

		if (n > MSS)
			n = MSS;
		if (c->fl == 0 && lo == 0 && c->type != C_TCP)
			mark = 1;
		else if (c->fl == t->alert_flight && t->alert_off >= lo &&
		    t->alert_off < lo + n)
			mark = 2;
		if (c->type == C_TLS && c->fl == 0) {
			/* another site's hello: a browser's suites, its name */
			size_t k;

			memcpy(seg, t->browser0 + lo, n);
			for (k = 0; k < t->sni_len; k++)
				if (t->sni_off + k >= lo && t->sni_off + k < lo + n)
					seg[t->sni_off + k - lo] = (uint8_t)c->sni[k];
			src = seg - lo;
		}
		send_seg(c, f->dir, src + c->off, n, lo + n < f->len, mark);
		c->off += n;
		if (c->off == f->len) {
			c->fl++;
			c->off = 0;
			if (c->fl == t->n)
				c->stage = t->tunnel ? 4 : 5;
		}
		return 1;
	}
	case 4: {
		/* one application-data record, split at the MSS */
		uint8_t rec[5 + 16384];
		size_t len = timed ? c->rec_len / 2 + rnd_below(c->rec_len + 1) :
		    512 + rnd_below(16384 - 512), o;
		int dir = rnd_below(3) == 0 ? 0 : 1;

		if (len > 16384)
			len = 16384;

		if (len > c->tunnel_left)
			len = c->tunnel_left > 64 ? c->tunnel_left : 64;
		rec[0] = 23;
		rec[1] = 3;
		rec[2] = 3;
		rec[3] = (uint8_t)(len >> 8);
		rec[4] = (uint8_t)len;
		memcpy(rec + 5, junk + rnd_below(sizeof junk - 16384), len);
		for (o = 0; o < len + 5; o += MSS)
			send_seg(c, dir, rec + o, len + 5 - o > MSS ? MSS :
			    len + 5 - o, o + MSS < len + 5, 0);
		if (timed)
			flush_pending(c);	/* lost before the pause, not after */
		c->tunnel_left -= len < c->tunnel_left ? len : c->tunnel_left;
		if (c->tunnel_left == 0)
			c->stage = 5;
		return 1;
	}
	case 5:
		flush_pending(c);
		if (c->silent)
			return 0;
		emit_tcp(c, 0, 0x11, c->seq[0], NULL, 0);
		emit_tcp(c, 1, 0x11, c->seq[1], NULL, 0);
		emit_tcp(c, 0, 0x10, c->seq[0] + 1, NULL, 0);
		return 0;
	}
	return 0;
}

/* ---- the uniform profile's noise ------------------------------------------ */

static void
noise(void)
{
	/* A DNS query and its answer between an internal client and resolver. */
	static const uint8_t q[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c',
		'o', 'm', 0, 0, 1, 0, 1,
	};
	uint8_t r[sizeof q];
	static uint64_t qframe;
	int i;

	for (i = 0; i < 2; i++) {
		memcpy(r, q, sizeof q);
		if (i)
			r[2] = 0x81, r[3] = 0x83;	/* NXDOMAIN */
		emit_udp(0, (const uint8_t *)(i ? "\xc6\x12\x00\x35" :
		    "\xc6\x12\x01\x64"), (const uint8_t *)(i ?
		    "\xc6\x12\x01\x64" : "\xc6\x12\x00\x35"), i ? 53 : 54321,
		    i ? 54321 : 53, r, sizeof r, 64);
		if (i == 0)
			qframe = frame;
	}
	fprintf(man, "dns\twww.example.com\t1\t%llu\t%llu\t3\t0\t-\n",
	    (unsigned long long)qframe, (unsigned long long)frame);
}

/* ---- the day profile: names, DNS, other traffic ------------------------------ */

#define IPHTTPS_NAME "da.corp.example"

static const uint8_t resolver4[4] = { 198, 18, 0, 53 };
static const uint8_t resolver6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0x53 };
static uint32_t n_names;		/* distinct other names */
static uint64_t dns_queries;

/* Name i of another site, as long as the templates' server name so it can
   replace it in place; every fourth name has no AAAA. */
static void
site_name(char *out, size_t outsz, uint32_t i, size_t len)
{
	snprintf(out, outsz, "s%0*u.example", (int)(len > 9 ? len - 9 : 1), i);
}

static int
site_has_v6(uint32_t i)
{
	return i % 4 != 0;
}

static void
site_addr(uint8_t *a, int v6, uint32_t i)
{
	if (v6) {
		memcpy(a, "\x20\x01\x0d\xb8\0\x03\0\0\0\0\0\0\0\0\0\0", 16);
		a[13] = (uint8_t)(i >> 16);
		a[14] = (uint8_t)(i >> 8);
		a[15] = (uint8_t)i;
	} else {
		a[0] = 100;
		a[1] = (uint8_t)(64 + ((i >> 16) & 63));
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
	}
}

static size_t
put_name(uint8_t *p, const char *name)
{
	size_t o = 0;

	while (*name != '\0') {
		size_t l = strcspn(name, ".");

		p[o++] = (uint8_t)l;
		memcpy(p + o, name, l);
		o += l;
		name += l;
		if (*name == '.')
			name++;
	}
	p[o++] = 0;
	return o;
}

static size_t
put_rr(uint8_t *p, const char *owner, int type, const uint8_t *rdata,
    size_t rdlen, const char *target)
{
	size_t o = put_name(p, owner), l;

	p[o++] = (uint8_t)(type >> 8);
	p[o++] = (uint8_t)type;
	p[o++] = 0;
	p[o++] = 1;				/* IN */
	memcpy(p + o, "\0\0\x0e\x10", 4);	/* TTL 3600 */
	o += 4;
	if (target != NULL) {
		l = put_name(p + o + 2, target);
	} else {
		l = rdlen;
		memcpy(p + o + 2, rdata, rdlen);
	}
	p[o++] = (uint8_t)(l >> 8);
	p[o++] = (uint8_t)l;
	return o + l;
}

/*
 * One lookup by the client of c: the query and the resolver's answer,
 * written to the manifest. `chain` CNAMEs lead from the name to the
 * owner of the addresses (RFC 1034 3.6.2); no address of that type gives
 * an empty NOERROR answer, nx an NXDOMAIN.
 */
static void
dns_lookup(const struct conn *c, const char *name, int type, int chain,
    const uint8_t *addr, int nx)
{
	uint8_t q[512], r[1024];
	char owner[96], next[96], first[96];
	size_t qn, o;
	uint16_t id = (uint16_t)rnd(), port = (uint16_t)(49152 + rnd_below(16000));
	const uint8_t *res = c->v6 ? resolver6 : resolver4;
	uint64_t qframe;
	int i, an = 0;

	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01;				/* RD */
	q[5] = 1;
	qn = 12 + put_name(q + 12, name);
	q[qn++] = (uint8_t)(type >> 8);
	q[qn++] = (uint8_t)type;
	q[qn++] = 0;
	q[qn++] = 1;
	emit_udp(c->v6, c->caddr, res, port, 53, q, qn, c->v6 ? 64 : 128);
	qframe = frame;
	memcpy(r, q, qn);
	r[2] = 0x81;
	r[3] = nx ? 0x83 : 0x80;
	o = qn;
	snprintf(owner, sizeof owner, "%s", name);
	first[0] = '\0';
	for (i = 0; !nx && i < chain; i++) {
		snprintf(next, sizeof next, "%s%d.edge.example", i ? "b" : "e",
		    (int)(rnd_below(1000)));
		o += put_rr(r + o, owner, 5, NULL, 0, next);
		if (i == 0)
			snprintf(first, sizeof first, "%s", next);
		snprintf(owner, sizeof owner, "%s", next);
		an++;
	}
	if (!nx && addr != NULL) {
		o += put_rr(r + o, owner, type, addr, type == 1 ? 4 : 16, NULL);
		an++;
	}
	r[6] = 0;
	r[7] = (uint8_t)an;
	emit_udp(c->v6, res, c->caddr, 53, port, r, o, 63);
	dns_queries++;
	fprintf(man, "dns\t%s\t%d\t%llu\t%llu\t%d\t%d\t%s\n", name, type,
	    (unsigned long long)qframe, (unsigned long long)frame, nx ? 3 : 0,
	    !nx && addr != NULL, first[0] ? first : "-");
}

/* What a Windows client looks up before it connects: A and AAAA of the
   name (through CNAMEs for other sites), now and then other names, and
   some names that do not exist. */
static void
lookups(const struct conn *c, int extra)
{
	char name[64];
	uint8_t a4[4], a6[16];
	int chain = 0, k;
	uint32_t i;

	if (c->type == C_IPHTTPS) {
		dns_lookup(c, IPHTTPS_NAME, 1, 0, (const uint8_t *)"\xc6\x13\0\x0a", 0);
		dns_lookup(c, IPHTTPS_NAME, 28, 0, (const uint8_t *)
		    "\x20\x01\x0d\xb8\0\x02\0\0\0\0\0\0\0\0\0\x0a", 0);
	} else if (c->type == C_TLS) {
		i = (uint32_t)atol(c->sni + 1);
		chain = (int)(i % 3);
		site_addr(a4, 0, i);
		site_addr(a6, 1, i);
		dns_lookup(c, c->sni, 1, chain, a4, 0);
		dns_lookup(c, c->sni, 28, chain, site_has_v6(i) ? a6 : NULL, 0);
	}
	for (k = 0; k < extra; k++) {
		if (rnd_below(20) == 0) {
			snprintf(name, sizeof name, "nx%u.corp.example",
			    rnd_below(100000));
			dns_lookup(c, name, rnd_below(2) ? 1 : 28, 0, NULL, 1);
			continue;
		}
		i = rnd_below(n_names);
		site_name(name, sizeof name, i, 15);
		site_addr(a4, 0, i);
		dns_lookup(c, name, 1, (int)(i % 3), a4, 0);
	}
}

/* Other UDP at a server: NTP, syslog, SNMP; one exchange. */
static void
udp_other(const struct conn *c)
{
	static const uint16_t ports[] = { 123, 514, 161 };
	uint16_t dp = ports[rnd_below(3)], sp = (uint16_t)(1024 + rnd_below(60000));
	uint8_t pay[256];
	size_t n = 48 + rnd_below(200);

	memcpy(pay, junk + rnd_below(sizeof junk - 256), n);
	pay[0] = 0x23;
	emit_udp(c->v6, c->caddr, c->saddr, sp, dp, pay, n, 128);
	if (dp != 514)
		emit_udp(c->v6, c->saddr, c->caddr, dp, sp, pay, n, 63);
}

/* The built templates: CRL fetches (a few distribution points, one of
   them answering 404) and the bytes of protocols datrace does not read. */
static int
build_templates(struct template *tpl, int ntpl)
{
	static const uint16_t tcp_ports[] = { 445, 3389, 5985, 135 };
	char req[256], resp[4096];
	const uint8_t *d[6];
	size_t l[6];
	int i, k;

	for (i = 0; i < 6 && ntpl < MAX_TEMPLATES; i++) {
		size_t body = i == 5 ? 120 : 600 + 500 * (size_t)i, hl;

		l[0] = (size_t)snprintf(req, sizeof req, "GET /crl/corp-%d.crl "
		    "HTTP/1.1\r\nCache-Control: max-age = 3000\r\nConnection: "
		    "Keep-Alive\r\nAccept: */*\r\nUser-Agent: Microsoft-CryptoAPI"
		    "/10.0\r\nHost: crl%d.corp.example\r\n\r\n", i, i);
		hl = (size_t)snprintf(resp, sizeof resp, "HTTP/1.1 %s\r\n"
		    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
		    i == 5 ? "404 Not Found" : "200 OK",
		    i == 5 ? "text/html" : "application/pkix-crl", body);
		memcpy(resp + hl, junk, body);
		l[1] = hl + body;
		d[0] = (const uint8_t *)req;
		d[1] = (const uint8_t *)resp;
		make_template(&tpl[ntpl], i == 5 ? "crl-404" : "crl-200", 80, d, l, 2);
		tpl[ntpl].alert_flight = 1;	/* the manifest's second frame */
		tpl[ntpl].alert_off = 0;
		ntpl++;
	}
	for (i = 0; i < 4 && ntpl < MAX_TEMPLATES; i++) {
		uint8_t *buf[6];

		for (k = 0; k < 6; k++) {
			l[k] = 60 + rnd_below(k & 1 ? 4000 : 600);
			buf[k] = malloc(l[k]);
			memcpy(buf[k], junk + rnd_below(sizeof junk - 4096), l[k]);
			buf[k][0] = 0;		/* no record type: not TLS */
			d[k] = buf[k];
		}
		make_template(&tpl[ntpl], "tcp", tcp_ports[i], d, l, 6);
		for (k = 0; k < 6; k++)
			free(buf[k]);
		ntpl++;
	}
	return ntpl;
}

static uint32_t
pick(const uint64_t *left, int n)
{
	uint64_t sum = 0, r;
	int i;

	for (i = 0; i < n; i++)
		sum += left[i];
	if (sum == 0)
		return (uint32_t)n;
	r = rnd() % sum;
	for (i = 0; i < n; i++) {
		if (r < left[i])
			return (uint32_t)i;
		r -= left[i];
	}
	return (uint32_t)n;
}

/* ---- main ------------------------------------------------------------------- */

static void
addr_of(uint8_t *a, int v6, int server, uint32_t n)
{
	/* clients 10.0.0.0/8 and 2001:db8:1::/104, one address per
	   connection number: no 4-tuple is used twice, whatever the size */
	if (v6) {
		memcpy(a, server ? "\x20\x01\x0d\xb8\0\x02\0\0\0\0\0\0\0\0\0\x0a" :
		    "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\0", 16);
	} else {
		memcpy(a, server ? "\xc6\x13\0\x0a" : "\x0a\0\0\0", 4);
	}
	if (!server) {
		a[v6 ? 13 : 1] = (uint8_t)(n >> 16);
		a[v6 ? 14 : 2] = (uint8_t)(n >> 8);
		a[v6 ? 15 : 3] = (uint8_t)n;
	}
}

/* What main() sets up and every connection draws from. */
static struct template tpl[MAX_TEMPLATES];
static int nread, tls_tpl[MAX_TEMPLATES], n_tls, http_tpl[8], n_http;
static int tcp_tpl[8], n_tcp, extra_dns = 1;
static uint64_t per_conn;

/* Start connection n of the given type in cn: addresses, template, the
   client's DNS lookups. Returns 0 when it was a UDP exchange, already
   written whole. */
static int
conn_start(struct conn *cn, uint32_t n, uint32_t type,
    const struct template *iphttps)
{
	int i;

	memset(cn, 0, sizeof *cn);
	cn->id = n;
	cn->type = (int)type;
	cn->v6 = rnd_below(10) == 0;
	addr_of(cn->caddr, cn->v6, 0, n);
	addr_of(cn->saddr, cn->v6, 1, n);
	cn->sport = 443;
	cn->cport = (uint16_t)(1024 + (n & 0xff) * 200 + rnd_below(200));
	cn->seq[0] = (uint32_t)rnd() | 1;
	cn->seq[1] = (uint32_t)rnd() | 1;
	switch (type) {
	case C_IPHTTPS:
		cn->t = iphttps != NULL ? iphttps : &tpl[rnd_below((uint32_t)nread)];
		cn->tunnel_left = per_conn / 2 +
		    rnd_below((uint32_t)(per_conn + 1));
		break;
	case C_TLS: {
		uint32_t s = rnd_below(n_names);

		/* most sites answer: one hello in ten may fail */
		for (i = 0; i < 8; i++) {
			cn->t = &tpl[tls_tpl[rnd_below((uint32_t)n_tls)]];
			if (cn->t->tunnel || rnd_below(10) == 0)
				break;
		}
		if (cn->v6 && !site_has_v6(s))
			s = (s + 1) % n_names;
		if (cn->v6 && !site_has_v6(s))
			s = (s + 1) % n_names;
		site_name(cn->sni, sizeof cn->sni, s, cn->t->sni_len);
		site_addr(cn->saddr, cn->v6, s);
		cn->tunnel_left = 1000 + rnd_below(8000);
		break;
	}
	case C_HTTP:
		cn->t = &tpl[http_tpl[rnd_below((uint32_t)n_http)]];
		cn->saddr[cn->v6 ? 15 : 3] = 0x50;
		cn->sport = 80;
		break;
	case C_TCP:
		cn->t = &tpl[tcp_tpl[rnd_below((uint32_t)n_tcp)]];
		cn->saddr[cn->v6 ? 15 : 3] = (uint8_t)(0x20 + rnd_below(16));
		cn->sport = cn->t->sport;
		break;
	default:
		udp_other(cn);
		cn->t = NULL;
		return 0;
	}
	if (day)
		lookups(cn, (int)rnd_below((uint32_t)(2 * extra_dns + 1)));
	return 1;
}

/* The manifest line of a finished connection. */
static void
conn_report(const struct conn *cn)
{
	char ip[64];

	inet_ntop(cn->v6 ? AF_INET6 : AF_INET, cn->caddr, ip, sizeof ip);
	if (cn->type == C_HTTP)
		fprintf(man, "http\t%u\t%s\t%s%s%s:%u\t%llu\t%llu\t%d\n",
		    cn->id, cn->t->kind, cn->v6 ? "[" : "", ip,
		    cn->v6 ? "]" : "", cn->cport,
		    (unsigned long long)cn->ch_frame,
		    (unsigned long long)cn->alert_frame,
		    strcmp(cn->t->kind, "crl-404") == 0 ? 404 : 200);
	else if (cn->type == C_TCP)
		fprintf(man, "tcp\t%u\t%s\t%s%s%s:%u\n", cn->id,
		    cn->t->kind, cn->v6 ? "[" : "", ip,
		    cn->v6 ? "]" : "", cn->cport);
	else
		fprintf(man, "tls\t%u\t%s\t%s%s%s:%u\t%llu\t%llu\t%d\n",
		    cn->id, cn->type == C_TLS ? "browser" : cn->t->kind,
		    cn->v6 ? "[" : "", ip, cn->v6 ? "]" : "", cn->cport,
		    (unsigned long long)cn->ch_frame,
		    (unsigned long long)cn->alert_frame,
		    cn->type == C_IPHTTPS);
}

/* The first benchmark's clock (-T 0, and -P uniform): k connections open
   at once, the next packet from one of them at random, 20-80 us apart. A
   100 MB day then spans 9 s of capture time. */
static uint64_t
run_compressed(int k, uint64_t *left, uint64_t total)
{
	struct conn *act = calloc((size_t)k, sizeof *act);
	uint64_t started = 0, done = 0;
	int i;

	while (done < total) {
		struct conn *cn = &act[rnd_below((uint32_t)k)];

		if (cn->t == NULL) {
			if (started == total) {
				/* drain: find any active one */
				for (i = 0; i < k && act[i].t == NULL; i++)
					;
				if (i == k)
					break;
				cn = &act[i];
			} else {
				uint32_t type = pick(left, C_KINDS);

				left[type]--;
				started++;
				if (!conn_start(cn, (uint32_t)started, type, NULL)) {
					done++;
					continue;
				}
			}
		}
		if (!step(cn)) {
			conn_report(cn);
			cn->t = NULL;
			done++;
		}
		if (!day && rnd_below(500) == 0)
			noise();
	}
	free(act);
	return done;
}

/* ---- the day's clock ---------------------------------------------------------- */

#define SEC 1000000ll			/* microseconds */
#define IDLE_MAX (300 * SEC)		/* longest pause inside a connection:
					   half datrace's idle timeout */
#define RECORD_EVERY (60 * SEC)		/* a tunnel's mean pause */

static int64_t span_us, end_us;

static int64_t
between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* a pause of about mean: 0.3x to 1.7x */
static int64_t
jitter(int64_t mean)
{
	return mean * 3 / 10 + (int64_t)(rnd() % (uint64_t)(mean * 14 / 10 + 1));
}

/*
 * How long a new connection lives and how it spends the time: life is
 * the schedule's for an IP-HTTPS tunnel (run_timed), else drawn here.
 * Browsers keep their connection up to two minutes, CRL fetches a few
 * seconds of keep-alive, SMB/RDP/WinRM sessions up to a quarter of an
 * hour; failed handshakes close at once. Tunnels carry their bytes as
 * records about a minute apart. A connection that would outlive the
 * capture is cut by its end: no FIN, as when a capture is stopped.
 */
static void
plan(struct conn *c, int64_t life)
{
	uint64_t nrec;

	c->rtt_us = (int32_t)between(5000, 150000);
	if (life < 0) {
		life = 0;
		if (c->type == C_TLS && c->t->tunnel)
			life = between(SEC / 2, 120 * SEC);
		else if (c->type == C_HTTP)
			life = between(SEC / 2, 15 * SEC);
		else if (c->type == C_TCP)
			life = between(2 * SEC, 900 * SEC);
	}
	if (life > 0 && now_us + life > end_us) {
		life = end_us - now_us > SEC ? end_us - now_us : SEC;
		c->silent = 1;
	}
	if (c->t->tunnel && (c->type == C_IPHTTPS || c->type == C_TLS)) {
		nrec = (uint64_t)(life / RECORD_EVERY);
		if (nrec < c->tunnel_left / 12000 + 1)
			nrec = c->tunnel_left / 12000 + 1;
		if (c->tunnel_left / nrec < 64)
			nrec = c->tunnel_left / 64 + 1;
		c->rec_len = (uint32_t)(c->tunnel_left / nrec);
		if (c->rec_len < 64)
			c->rec_len = 64;
		c->gap_us = life / (int64_t)(nrec + 1);
	} else if (c->type == C_TCP) {
		c->gap_us = life / (c->t->n + 1);
	} else {
		c->gap_us = life;
	}
	if (c->gap_us > IDLE_MAX)
		c->gap_us = IDLE_MAX;
	if (c->gap_us < 1000)
		c->gap_us = 1000;
}

/* The pause before c's next packet, given where it was before this step. */
static int64_t
pause_after(const struct conn *c, int stage, int fl)
{
	switch (c->stage) {
	case 1:
		return between(50, 400);		/* the server's SYN-ACK */
	case 2:
		return c->rtt_us;			/* the client's ACK */
	case 3:
		if (stage == 2)
			return between(100, 1000);	/* its first bytes */
		if (c->fl == fl)
			return between(10, 200);	/* the same flight */
		if (c->type == C_TCP)
			return jitter(c->gap_us);	/* a session's exchanges */
		return c->t->fl[c->fl].dir == 0 ? c->rtt_us + between(100, 2000) :
		    between(200, 5000);
	case 4:
		if (stage == 3)
			return c->rtt_us;		/* the tunnel opens */
		return jitter(c->gap_us);		/* an idle tunnel */
	default:
		if (stage == 4 || c->type == C_HTTP || c->type == C_TCP)
			return jitter(c->gap_us);	/* idle, then closed */
		return between(100, 2000);		/* failed: closed at once */
	}
}

/* A connection to start: when, what, and for a tunnel how long. */
struct start {
	int64_t at;			/* from the capture's start */
	int64_t life;			/* -1: plan() draws it */
	uint32_t type;
	int tpl;			/* IP-HTTPS: its template */
	int silent;
};

static int
by_time(const void *a, const void *b)
{
	const struct start *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

/* the open connections, earliest next packet first */
static struct conn **heap;
static int nheap;

static void
heap_down(int i)
{
	for (;;) {
		int l = 2 * i + 1, m = i;
		struct conn *t;

		if (l < nheap && heap[l]->next_us < heap[m]->next_us)
			m = l;
		if (l + 1 < nheap && heap[l + 1]->next_us < heap[m]->next_us)
			m = l + 1;
		if (m == i)
			return;
		t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

static void
heap_up(int i)
{
	while (i > 0 && heap[i]->next_us < heap[(i - 1) / 2]->next_us) {
		struct conn *t = heap[i];

		heap[i] = heap[(i - 1) / 2];
		heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/*
 * The day profile's clock: a capture of span_us, every packet at its own
 * time (round trips of 5-150 ms, each kind's pauses: plan()), written in
 * time order. The capture starts as the working day does: the IP-HTTPS
 * clients connect in its first five minutes and keep their tunnel for the
 * whole span, some of them dropping it on the way (sleep, another network:
 * one in two of those without a FIN, so datrace's idle timeout ends it)
 * and connecting again a few minutes later; as many clients as keep about
 * k flows open with the rest. Everything else (browsing, CRL fetches,
 * SMB/RDP sessions, failed IP-HTTPS attempts, UDP) starts at a uniform
 * rate over the span and ends on its own. Tunnels still up at the end stop
 * without a FIN. Prints the span and how many connections were open.
 */
static uint64_t
run_timed(int k, uint64_t *left, uint64_t total)
{
	struct start *st = calloc((size_t)total, sizeof *st);
	uint64_t i, j, n_tun = 0, done = 0, started = 0, open = 0, open_max = 0;
	uint64_t clients, busy;
	int64_t base = now_us, last = now_us;
	double open_sum = 0;

	end_us = now_us + span_us;
	for (i = 0; i < total; i++) {
		st[i].type = pick(left, C_KINDS);
		left[st[i].type]--;
		st[i].tpl = st[i].type == C_IPHTTPS ? (int)rnd_below((uint32_t)nread) : -1;
		st[i].life = -1;
		st[i].at = between(0, span_us);
		if (st[i].tpl >= 0 && tpl[st[i].tpl].tunnel)
			n_tun++;
	}
	/* flows the rest keeps open (plan()'s means, nine browsers in ten
	   with application data): the clients make up the difference */
	busy = 0;
	for (i = 0; i < total; i++) {
		uint64_t mean = st[i].type == C_TLS ? 54 : st[i].type == C_HTTP ? 8 :
		    st[i].type == C_TCP ? 451 : 0;

		/* a short capture cuts them */
		busy += mean < (uint64_t)(span_us / SEC / 2) ? mean :
		    (uint64_t)(span_us / SEC / 2);
	}
	busy /= (uint64_t)(span_us > SEC ? span_us / SEC : 1);
	clients = (uint64_t)k > busy + 1 ? (uint64_t)k - busy : 1;
	if (clients > n_tun)
		clients = n_tun;
	/* client c has tunnels c, c + clients, ...: one after another over
	   the span, a reconnection pause between them */
	for (j = 0; j < clients; j++) {
		uint64_t m = 0, q = 0;
		int64_t at = between(0, 300 * SEC), len;

		for (i = 0; i < total; i++)
			if (st[i].tpl >= 0 && tpl[st[i].tpl].tunnel && q++ % clients == j)
				m++;
		for (i = 0, q = 0; i < total && m > 0; i++) {
			if (st[i].tpl < 0 || !tpl[st[i].tpl].tunnel || q++ % clients != j)
				continue;
			len = (end_us - base - at) / (int64_t)m;
			if (m > 1)		/* dropped: sleep, another network */
				len = len * 6 / 10 + between(0, len * 3 / 10);
			st[i].at = at;
			st[i].life = len;
			st[i].silent = m > 1 && rnd_below(2) == 0;
			at += len + between(10 * SEC, 300 * SEC);
			m--;
		}
	}
	qsort(st, (size_t)total, sizeof *st, by_time);
	heap = calloc((size_t)total, sizeof *heap);
	for (i = 0; i < total || nheap > 0;) {
		struct conn *cn;

		if (i < total && (nheap == 0 || base + st[i].at <= heap[0]->next_us)) {
			struct start *e = &st[i++];

			if (base + e->at > now_us)
				now_us = base + e->at;
			open_sum += (double)open * (double)(now_us - last);
			last = now_us;
			cn = malloc(sizeof *cn);
			if (!conn_start(cn, (uint32_t)++started, e->type,
			    e->tpl >= 0 ? &tpl[e->tpl] : NULL)) {
				free(cn);
				done++;
				continue;
			}
			cn->silent = e->silent;
			plan(cn, e->life);
			cn->next_us = now_us + between(200, 2000);
			heap[nheap++] = cn;
			heap_up(nheap - 1);
			if (++open > open_max)
				open_max = open;
			continue;
		}
		cn = heap[0];
		if (cn->next_us > now_us)
			now_us = cn->next_us;
		open_sum += (double)open * (double)(now_us - last);
		last = now_us;
		{
			int stage = cn->stage, fl = cn->fl;

			if (cn->silent && cn->stage == 4 && now_us >= end_us)
				cn->stage = 5;		/* the capture stops */
			if (!step(cn)) {
				conn_report(cn);
				free(cn);
				done++;
				open--;
				heap[0] = heap[--nheap];
			} else {
				cn->next_us = now_us + pause_after(cn, stage, fl);
			}
		}
		if (nheap > 0)
			heap_down(0);
	}
	fprintf(stderr, "bench-gen: %.0f s of capture time; %llu IP-HTTPS tunnels "
	    "from %llu clients; %.0f TCP connections open on average, %llu at "
	    "most\n", (double)(now_us - base) / SEC, (unsigned long long)n_tun,
	    (unsigned long long)clients,
	    now_us > base ? open_sum / (double)(now_us - base) : 0.0,
	    (unsigned long long)open_max);
	free(st);
	free(heap);
	return done;
}

int
main(int argc, char **argv)
{
	int ntpl = 0, c, k = 0, i, ntun = 0;
	const char *outpath = NULL, *manpath = NULL, *profile = "uniform";
	uint64_t size = 100ull << 20, conns = 2000, done;
	uint64_t left[C_KINDS], total;
	double span = -1;
	struct { uint32_t magic; uint16_t maj, min; int32_t tz; uint32_t sig, snap, dlt; } fh = {
		0xa1b2c3d4, 2, 4, 0, 0, 262144, 1 };

	while ((c = getopt(argc, argv, "o:m:s:c:S:k:P:d:T:")) != -1) {
		switch (c) {
		case 'o': outpath = optarg; break;
		case 'm': manpath = optarg; break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		case 'c': conns = strtoull(optarg, NULL, 0); break;
		case 'S': rng_state ^= strtoull(optarg, NULL, 0) * 0x9e3779b97f4a7c15ull; break;
		case 'k': k = atoi(optarg); break;
		case 'P': profile = optarg; break;
		case 'd': extra_dns = atoi(optarg); break;
		case 'T': span = atof(optarg); break;
		default: return 2;
		}
	}
	day = strcmp(profile, "day") == 0;
	if (k == 0)
		k = day ? 1200 : 200;
	/* the day's default span: half an hour per 100 MiB (run_timed) */
	if (span < 0)
		span = day ? 18.0 * (double)size / 1048576.0 : 0;
	timed = day && span > 0;
	span_us = (int64_t)(span * SEC);
	for (i = optind; i < argc && ntpl < MAX_TEMPLATES; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL)
			return 2;
		*eq = '\0';
		if (load_template(&tpl[ntpl], argv[i], eq + 1) == 0)
			ntpl++;
	}
	nread = ntpl;
	if (outpath == NULL || manpath == NULL || ntpl == 0 || k < 1 || conns == 0 ||
	    (!day && strcmp(profile, "uniform") != 0) || extra_dns < 0 ||
	    (!day && span > 0)) {
		fprintf(stderr, "usage: bench-gen -o OUT -m MANIFEST [-s BYTES] [-c CONNS] [-P day|uniform] [-S SEED] [-k ACTIVE] [-d DNS] [-T SECONDS] KIND=TEMPLATE...\n");
		return 2;
	}
	for (i = 0; i < (int)sizeof junk; i++)
		junk[i] = (uint8_t)rnd();
	out = fopen(outpath, "wb");
	man = fopen(manpath, "w");
	if (out == NULL || man == NULL)
		return 1;
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	fwrite(&fh, sizeof fh, 1, out);
	bytes_out = sizeof fh;
	fprintf(man, "# profile %s; iphttps name %s\n"
	    "# tls\tid\tkind\tclient\tclienthello_frame\talert_frame\tiphttps\n"
	    "# dns\tname\ttype\tquery_frame\tanswer_frame\trcode\taddresses\tcname\n"
	    "# http\tid\tkind\tclient\trequest_frame\tresponse_frame\tstatus\n"
	    "# tcp\tid\tkind\tclient\n",
	    profile, IPHTTPS_NAME);
	memset(left, 0, sizeof left);
	if (day) {
		for (i = 0; i < nread; i++)
			if (tpl[i].browser_ok)
				tls_tpl[n_tls++] = i;
		ntpl = build_templates(tpl, ntpl);
		for (i = nread; i < ntpl; i++) {
			if (tpl[i].sport == 80)
				http_tpl[n_http++] = i;
			else
				tcp_tpl[n_tcp++] = i;
		}
		if (n_tls == 0) {
			fprintf(stderr, "bench-gen: no template's ClientHello can be read\n");
			return 2;
		}
		/* 2,000 IP-HTTPS among ~8,000 others per 100 MB */
		left[C_IPHTTPS] = conns;
		left[C_TLS] = conns * 7 / 4;
		left[C_HTTP] = conns / 2;
		left[C_TCP] = conns * 3 / 4;
		left[C_UDP] = conns;
		n_names = (uint32_t)(conns * 5 / 2 + 100);
	} else {
		left[C_IPHTTPS] = conns;
	}
	total = left[C_IPHTTPS] + left[C_TLS] + left[C_HTTP] + left[C_TCP] + left[C_UDP];
	/* Only successful IP-HTTPS handshakes carry long tunnels: give them
	   the bytes the rest leaves (about 7 KB per other connection and
	   1.5 KB per IP-HTTPS handshake and its lookups, in the day profile). */
	{
		uint64_t rest = day ? (total - conns) * 7000 + conns * 1500 : 0;

		for (i = 0; i < nread; i++)
			ntun += tpl[i].tunnel;
		per_conn = (size > rest ? size - rest : size / 10) / conns *
		    (uint64_t)nread / (uint64_t)(ntun ? ntun : 1);
	}
	done = timed ? run_timed(k, left, total) :
	    run_compressed(k, left, total);
	fclose(out);
	fclose(man);
	fprintf(stderr, "bench-gen: %s: %llu packets, %llu bytes, %llu connections "
	    "(%llu IP-HTTPS), %llu DNS lookups\n", outpath,
	    (unsigned long long)frame, (unsigned long long)bytes_out,
	    (unsigned long long)done, (unsigned long long)conns,
	    (unsigned long long)dns_queries);
	return 0;
}
