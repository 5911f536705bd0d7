/*
 * bench-gen: write a large, realistic capture of a day at a DirectAccess
 * server, deterministically, for `make bench`.
 *
 * The TLS bytes are not invented: each connection replays the TCP payload
 * of a template capture made by a real TLS stack (testdata/scenarios/, see
 * testdata/gen/), given as KIND=FILE. Around them the generator builds many
 * interleaved TCP/443 connections (about 10 % IPv6) with their own
 * addresses, ports and sequence numbers, segments the flights at the MSS,
 * swaps a few adjacent segments (out of order) and repeats a few
 * (retransmissions), follows successful handshakes with long tunnels of
 * application-data records split across segments, and sprinkles DNS and
 * other-TCP noise. A manifest (TSV) records, per connection, the client
 * address and the frames of its ClientHello and of its alert, so the
 * benchmark can check every answer.
 *
 *   bench-gen -o OUT.pcap -m OUT.tsv -s BYTES -c CONNS [-S SEED] [-k ACTIVE]
 *             KIND=TEMPLATE.pcap...
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
#define MAX_TEMPLATES 16

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
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

static FILE *out;
static uint64_t frame, bytes_out;
static int64_t now_us = 1764000000ll * 1000000;	/* 2025-11-24 */

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

struct conn {
	int v6;
	uint8_t caddr[16], saddr[16];
	uint16_t cport, sport;
	uint32_t seq[2];
	const struct template *t;
	int stage;			/* 0 syn, 1 synack, 2 ack, 3 flights, 4 tunnel, 5 fin */
	int fl;				/* current flight */
	size_t off;			/* offset in the flight */
	uint64_t tunnel_left;		/* bytes of application data to send */
	uint8_t pending[MSS];		/* a segment held back (reordering) */
	size_t pending_len;
	int pending_dir;
	uint32_t pending_seq;
	int pending_mark;		/* 1: holds the ClientHello, 2: the alert */
	uint64_t ch_frame, alert_frame;
	uint32_t id;
};

static uint16_t
csum_none(void)
{
	return 0;	/* checksums are not verified by the analyser */
}

static void
emit_tcp(struct conn *c, int dir, uint8_t flags, uint32_t seq,
    const uint8_t *pay, size_t len)
{
	uint8_t pkt[14 + 40 + 20 + MSS];
	size_t o = 14, iph = c->v6 ? 40 : 20;
	const uint8_t *src = dir ? c->saddr : c->caddr;
	const uint8_t *dst = dir ? c->caddr : c->saddr;
	uint16_t sp = dir ? c->sport : c->cport, dp = dir ? c->cport : c->sport;
	uint32_t ack = c->seq[!dir];

	memset(pkt, 0, 14 + iph + 20);
	memcpy(pkt, dir ? "\x02\0\0\0\0\x01\x02\0\0\0\0\x02" :
	    "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	pkt[12] = c->v6 ? 0x86 : 0x08;
	pkt[13] = c->v6 ? 0xdd : 0x00;
	if (c->v6) {
		pkt[o] = 0x60;
		pkt[o + 4] = (uint8_t)((20 + len) >> 8);
		pkt[o + 5] = (uint8_t)(20 + len);
		pkt[o + 6] = 6;
		pkt[o + 7] = dir ? 57 : 64;
		memcpy(pkt + o + 8, src, 16);
		memcpy(pkt + o + 24, dst, 16);
	} else {
		uint16_t tl = (uint16_t)(20 + 20 + len), ck = csum_none();
		pkt[o] = 0x45;
		pkt[o + 2] = (uint8_t)(tl >> 8);
		pkt[o + 3] = (uint8_t)tl;
		pkt[o + 8] = dir ? 57 : 128;
		pkt[o + 9] = 6;
		pkt[o + 10] = (uint8_t)(ck >> 8);
		memcpy(pkt + o + 12, src, 4);
		memcpy(pkt + o + 16, dst, 4);
	}
	o += iph;
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
   the next one (reordering); it may be sent twice (retransmission).
   `mark` says which checked message starts in it; its frame is recorded
   when the segment goes out. */
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
		return;
	}
	emit_tcp(c, dir, 0x18, seq, p, len);
	if (mark == 1)
		c->ch_frame = frame;
	else if (mark == 2)
		c->alert_frame = frame;
	if (rnd_below(200) == 0)
		emit_tcp(c, dir, 0x18, seq, p, len);
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
		size_t n = f->len - c->off, lo = c->off;
		int mark = 0;

		if (n > MSS)
			n = MSS;
		if (c->fl == 0 && lo == 0)
			mark = 1;
		else if (c->fl == t->alert_flight && t->alert_off >= lo &&
		    t->alert_off < lo + n)
			mark = 2;
		send_seg(c, f->dir, f->data + c->off, n, lo + n < f->len, mark);
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
		size_t len = 512 + rnd_below(16384 - 512), o;
		int dir = rnd_below(3) == 0 ? 0 : 1;

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
		c->tunnel_left -= len < c->tunnel_left ? len : c->tunnel_left;
		if (c->tunnel_left == 0)
			c->stage = 5;
		return 1;
	}
	case 5:
		flush_pending(c);
		emit_tcp(c, 0, 0x11, c->seq[0], NULL, 0);
		emit_tcp(c, 1, 0x11, c->seq[1], NULL, 0);
		emit_tcp(c, 0, 0x10, c->seq[0] + 1, NULL, 0);
		return 0;
	}
	return 0;
}

static void
noise(void)
{
	/* A DNS query and its answer between an internal client and resolver. */
	static const uint8_t q[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c',
		'o', 'm', 0, 0, 1, 0, 1,
	};
	uint8_t pkt[14 + 20 + 8 + 64];
	size_t i;

	for (i = 0; i < 2; i++) {
		size_t len = sizeof q;
		memset(pkt, 0, sizeof pkt);
		pkt[12] = 0x08;
		pkt[14] = 0x45;
		pkt[16] = 0;
		pkt[17] = (uint8_t)(28 + len);
		pkt[22] = 64;
		pkt[23] = 17;
		memcpy(pkt + 26, i ? "\xc6\x12\x00\x35" : "\xc6\x12\x01\x64", 4);
		memcpy(pkt + 30, i ? "\xc6\x12\x01\x64" : "\xc6\x12\x00\x35", 4);
		pkt[34] = i ? 0 : 0xd4;
		pkt[35] = i ? 53 : 0x31;
		pkt[36] = i ? 0xd4 : 0;
		pkt[37] = i ? 0x31 : 53;
		pkt[39] = (uint8_t)(8 + len);
		memcpy(pkt + 42, q, len);
		if (i)
			pkt[44] = 0x81, pkt[45] = 0x83;	/* NXDOMAIN */
		put_record(pkt, (uint32_t)(42 + len));
	}
}

int
main(int argc, char **argv)
{
	struct template tpl[MAX_TEMPLATES];
	int ntpl = 0, c, k = 200, i;
	const char *outpath = NULL, *manpath = NULL;
	uint64_t size = 100ull << 20, conns = 2000, started = 0, done = 0;
	struct conn *act;
	FILE *man;
	uint64_t per_conn;
	struct { uint32_t magic; uint16_t maj, min; int32_t tz; uint32_t sig, snap, dlt; } fh = {
		0xa1b2c3d4, 2, 4, 0, 0, 262144, 1 };

	while ((c = getopt(argc, argv, "o:m:s:c:S:k:")) != -1) {
		switch (c) {
		case 'o': outpath = optarg; break;
		case 'm': manpath = optarg; break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		case 'c': conns = strtoull(optarg, NULL, 0); break;
		case 'S': rng_state ^= strtoull(optarg, NULL, 0) * 0x9e3779b97f4a7c15ull; break;
		case 'k': k = atoi(optarg); break;
		default: return 2;
		}
	}
	for (i = optind; i < argc && ntpl < MAX_TEMPLATES; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL)
			return 2;
		*eq = '\0';
		if (load_template(&tpl[ntpl], argv[i], eq + 1) == 0)
			ntpl++;
	}
	if (outpath == NULL || manpath == NULL || ntpl == 0 || k < 1) {
		fprintf(stderr, "usage: bench-gen -o OUT -m MANIFEST [-s BYTES] [-c CONNS] [-S SEED] [-k ACTIVE] KIND=TEMPLATE...\n");
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
	fprintf(man, "# id\tkind\tclient\tclienthello_frame\talert_frame\n");
	/* Only successful handshakes carry tunnels: give them the bytes. */
	{
		int ntun = 0;

		for (i = 0; i < ntpl; i++)
			ntun += tpl[i].tunnel;
		per_conn = size / conns * (uint64_t)ntpl / (uint64_t)(ntun ? ntun : 1);
	}
	act = calloc((size_t)k, sizeof *act);
	for (i = 0; i < k; i++)
		act[i].t = NULL;
	while (done < conns) {
		struct conn *cn = &act[rnd_below((uint32_t)k)];

		if (cn->t == NULL) {
			if (started == conns) {
				/* drain: find any active one */
				for (i = 0; i < k && act[i].t == NULL; i++)
					;
				if (i == k)
					break;
				cn = &act[i];
			} else {
				uint32_t n = (uint32_t)started + 1;

				memset(cn, 0, sizeof *cn);
				cn->id = n;
				cn->t = &tpl[rnd_below((uint32_t)ntpl)];
				cn->v6 = rnd_below(10) == 0;
				if (cn->v6) {
					memcpy(cn->caddr, "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0", 12);
					memcpy(cn->saddr, "\x20\x01\x0d\xb8\0\x02\0\0\0\0\0\0\0\0\0\x0a", 16);
				} else {
					memcpy(cn->caddr, "\xc6\x12\0\0", 4);
					memcpy(cn->saddr, "\xc6\x13\0\x0a", 4);
				}
				cn->caddr[cn->v6 ? 13 : 1] = (uint8_t)(0x12 + ((n >> 16) & 1));
				cn->caddr[cn->v6 ? 14 : 2] = (uint8_t)(n >> 8);
				cn->caddr[cn->v6 ? 15 : 3] = (uint8_t)n;
				cn->cport = (uint16_t)(1024 + (n & 0xff) * 200 + rnd_below(200));
				cn->sport = 443;
				cn->seq[0] = (uint32_t)rnd() | 1;
				cn->seq[1] = (uint32_t)rnd() | 1;
				cn->tunnel_left = per_conn / 2 + rnd_below((uint32_t)(per_conn + 1));
				started++;
			}
		}
		if (!step(cn)) {
			char ip[64];
			inet_ntop(cn->v6 ? AF_INET6 : AF_INET, cn->caddr, ip, sizeof ip);
			fprintf(man, "%u\t%s\t%s%s%s:%u\t%llu\t%llu\n", cn->id,
			    cn->t->kind, cn->v6 ? "[" : "", ip, cn->v6 ? "]" : "",
			    cn->cport, (unsigned long long)cn->ch_frame,
			    (unsigned long long)cn->alert_frame);
			cn->t = NULL;
			done++;
		}
		if (rnd_below(500) == 0)
			noise();
	}
	fclose(out);
	fclose(man);
	fprintf(stderr, "bench-gen: %s: %llu packets, %llu bytes, %llu connections\n",
	    outpath, (unsigned long long)frame, (unsigned long long)bytes_out,
	    (unsigned long long)done);
	return 0;
}
