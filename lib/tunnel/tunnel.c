/*
 * tunnel/: the IP-HTTPS entity body of each direction cut into IPv6
 * packets by their Payload Length (MS-IPHTTPS 3.1.5.3, 3.2.5.2.2) and each
 * packet read with net/ (RFC 8200 headers, fragments reassembled): ICMPv6
 * router discovery (RFC 4861 4.1-4.4, 4.6.2), ISAKMP / IKEv1 (RFC 2408 3.1,
 * 3.14; RFC 2409 exchange types), AuthIP (MS-AIPS 2.2: ISAKMP header with
 * exchange types 243-246), IKEv2 (RFC 7296 3.1, 3.10), NAT-T on UDP 4500
 * (RFC 3948 2.2: non-ESP marker, keepalive), ESP (RFC 4303 2.1: the SPI)
 * and DNS (RFC 1035 4.1). Facts only; the rules judge them.
 *
 * A packet wholly inside one plaintext chunk is read in place; one that
 * spans chunks is gathered into the direction's buffer, at most its first
 * DT_TUN_HEAD bytes (the whole packet when exporting), and the rest is
 * skipped by count. Its frame is the chunk that brought its last byte.
 */
#include "tunnel/tunnel.h"

#include <stdio.h>
#include <string.h>

#include "net/net.h"
#include "util/rd.h"

#define IP6_HDR		40
#define IP6_MAX		(IP6_HDR + 65535)
#define DNS_PEND	32

struct tdir {
	uint8_t *buf;
	size_t len, cap;		/* bytes gathered of the current packet */
	size_t keep;			/* bytes of it to gather */
	size_t total;			/* its length; 0: not yet known */
	uint64_t skip;			/* bytes past keep still to come */
	uint64_t off;			/* body offset of the next byte */
	uint64_t start;			/* body offset of the current packet */
	int dead;			/* framing error or gap: not read on */
};

struct ike_pend {			/* one peer's outstanding request */
	uint32_t msgid, len;
	uint64_t frame, ispi;
	uint8_t dir, xchg, live;
};

struct dt_tunnel {
	struct dt_tunnel_ctx *x;
	struct tdir d[2];
	struct ike_pend pend[DT_TUN_PEERS];
	uint16_t dns_id[DNS_PEND];
	uint64_t dns_frame[DNS_PEND];
	size_t n_dns;
};

struct dt_tunnel_ctx {
	struct dt_mem *m;
	struct dt_net *net;
	dt_tun_packet_fn fn;
	void *payload;
};

/* ---- names -------------------------------------------------------------- */

struct name { uint16_t v; const char *s; };

static const struct name ike2_xchg[] = {	/* RFC 7296 3.1 */
	{ 34, "IKE_SA_INIT" }, { 35, "IKE_AUTH" }, { 36, "CREATE_CHILD_SA" },
	{ 37, "INFORMATIONAL" }, { 0, NULL },
};

static const struct name ike1_xchg[] = {	/* RFC 2408 4, RFC 2409, MS-AIPS */
	{ 1, "Base" }, { 2, "Main Mode" }, { 3, "Authentication Only" },
	{ 4, "Aggressive Mode" }, { 5, "Informational" },
	{ 32, "Quick Mode" }, { 33, "New Group Mode" },
	{ 243, "AuthIP Main Mode" }, { 244, "AuthIP Quick Mode" },
	{ 245, "AuthIP Extended Mode" }, { 246, "AuthIP Notify" },
	{ 0, NULL },
};

static const struct name ike2_notify[] = {	/* RFC 7296 3.10.1 errors */
	{ 1, "UNSUPPORTED_CRITICAL_PAYLOAD" }, { 4, "INVALID_IKE_SPI" },
	{ 5, "INVALID_MAJOR_VERSION" }, { 7, "INVALID_SYNTAX" },
	{ 9, "INVALID_MESSAGE_ID" }, { 11, "INVALID_SPI" },
	{ 14, "NO_PROPOSAL_CHOSEN" }, { 17, "INVALID_KE_PAYLOAD" },
	{ 24, "AUTHENTICATION_FAILED" }, { 34, "SINGLE_PAIR_REQUIRED" },
	{ 35, "NO_ADDITIONAL_SAS" }, { 36, "INTERNAL_ADDRESS_FAILURE" },
	{ 37, "FAILED_CP_REQUIRED" }, { 38, "TS_UNACCEPTABLE" },
	{ 39, "INVALID_SELECTORS" }, { 43, "TEMPORARY_FAILURE" },
	{ 44, "CHILD_SA_NOT_FOUND" }, { 0, NULL },
};

static const struct name ike1_notify[] = {	/* RFC 2408 3.14.1 errors */
	{ 1, "INVALID_PAYLOAD_TYPE" }, { 2, "DOI_NOT_SUPPORTED" },
	{ 3, "SITUATION_NOT_SUPPORTED" }, { 4, "INVALID_COOKIE" },
	{ 5, "INVALID_MAJOR_VERSION" }, { 6, "INVALID_MINOR_VERSION" },
	{ 7, "INVALID_EXCHANGE_TYPE" }, { 8, "INVALID_FLAGS" },
	{ 9, "INVALID_MESSAGE_ID" }, { 10, "INVALID_PROTOCOL_ID" },
	{ 11, "INVALID_SPI" }, { 12, "INVALID_TRANSFORM_ID" },
	{ 13, "ATTRIBUTES_NOT_SUPPORTED" }, { 14, "NO_PROPOSAL_CHOSEN" },
	{ 15, "BAD_PROPOSAL_SYNTAX" }, { 16, "PAYLOAD_MALFORMED" },
	{ 17, "INVALID_KEY_INFORMATION" }, { 18, "INVALID_ID_INFORMATION" },
	{ 19, "INVALID_CERT_ENCODING" }, { 20, "INVALID_CERTIFICATE" },
	{ 21, "CERT_TYPE_UNSUPPORTED" }, { 22, "INVALID_CERT_AUTHORITY" },
	{ 23, "INVALID_HASH_INFORMATION" }, { 24, "AUTHENTICATION_FAILED" },
	{ 25, "INVALID_SIGNATURE" }, { 26, "ADDRESS_NOTIFICATION" },
	{ 27, "NOTIFY_SA_LIFETIME" }, { 28, "CERTIFICATE_UNAVAILABLE" },
	{ 29, "UNSUPPORTED_EXCHANGE_TYPE" }, { 30, "UNEQUAL_PAYLOAD_LENGTHS" },
	{ 0, NULL },
};

static const char *
lookup(const struct name *t, uint16_t v)
{
	for (; t->s != NULL; t++)
		if (t->v == v)
			return t->s;
	return NULL;
}

const char *
dt_tun_ike_exchange_name(uint8_t version, uint8_t type)
{
	return lookup(version == 2 ? ike2_xchg : ike1_xchg, type);
}

const char *
dt_tun_ike_notify_name(uint8_t version, uint16_t type)
{
	return lookup(version == 2 ? ike2_notify : ike1_notify, type);
}

/* ---- context ------------------------------------------------------------ */

int
dt_tunnel_ctx_new(struct dt_tunnel_ctx **out, struct dt_mem *m,
    dt_tun_packet_fn fn, void *payload)
{
	struct dt_tunnel_ctx *x;

	*out = NULL;
	if ((x = dt_calloc(m, 1, sizeof *x)) == NULL)
		return DT_ENOMEM;
	x->m = m;
	x->fn = fn;
	x->payload = payload;
	if (dt_net_new(&x->net, m, DT_TUN_FRAG_CAP) != 0) {
		dt_free(m, x);
		return DT_ENOMEM;
	}
	*out = x;
	return 0;
}

void
dt_tunnel_ctx_free(struct dt_tunnel_ctx *x)
{
	if (x == NULL)
		return;
	dt_net_free(x->net);
	dt_free(x->m, x);
}

struct dt_tunnel *
dt_tunnel_new(struct dt_tunnel_ctx *x, struct dt_conn *c)
{
	struct dt_tunnel *t;

	if (c->tunnel == NULL) {
		c->tunnel = dt_calloc(x->m, 1, sizeof *c->tunnel);
		if (c->tunnel == NULL)
			return NULL;
		c->tunnel->answer_delay = -1;
		c->tunnel->answer_iphttps = -1;
	}
	if ((t = dt_calloc(x->m, 1, sizeof *t)) == NULL)
		return NULL;
	t->x = x;
	return t;
}

/* ---- IKE / AuthIP ------------------------------------------------------- */

static struct dt_tun_ike *
ike_peer(struct dt_tunnel *t, struct dt_tunnel_facts *f, int dir,
    const struct dt_l4 *l4, struct ike_pend **pend)
{
	const struct dt_addr *cl = dir == DT_C2S ? &l4->src : &l4->dst;
	const struct dt_addr *sv = dir == DT_C2S ? &l4->dst : &l4->src;
	struct dt_tun_ike *k;
	size_t i;

	for (i = 0; i < f->n_ike; i++) {
		k = &f->ike[i];
		if (memcmp(k->client.a, cl->a, 16) == 0 &&
		    memcmp(k->server.a, sv->a, 16) == 0) {
			*pend = &t->pend[i];
			return k;
		}
	}
	if (f->n_ike == DT_TUN_PEERS ||
	    (k = dt_realloc(t->x->m, f->ike, (f->n_ike + 1) * sizeof *k)) ==
	    NULL) {
		f->ike_peers_dropped++;
		return NULL;
	}
	f->ike = k;
	k = &f->ike[f->n_ike];
	memset(k, 0, sizeof *k);
	*pend = &t->pend[f->n_ike++];
	k->client = *cl;
	k->server = *sv;
	k->initiator_dir = (uint8_t)dir;
	return k;
}

static void
ike_exchange(struct dt_tun_ike *k, uint8_t x)
{
	size_t i;

	for (i = 0; i < k->n_xchg; i++)
		if (k->xchg[i] == x) {
			k->n_xchg_msgs[i]++;
			return;
		}
	if (k->n_xchg < DT_TUN_XCHG) {
		k->xchg[k->n_xchg] = x;
		k->n_xchg_msgs[k->n_xchg++] = 1;
	}
}

/* The first error NOTIFY among the unencrypted payloads of a message. */
static uint16_t
ike_notify(struct rd r, uint8_t np, int v2)
{
	unsigned guard;

	for (guard = 0; np != 0 && r.n > 0 && guard < 64; guard++) {
		struct rd body;
		uint8_t next = rd_u8(&r);
		uint16_t plen;

		rd_skip(&r, 1);
		plen = rd_u16(&r);
		if (r.bad || plen < 4)
			return 0;
		body = rd_sub(&r, plen - 4u);
		if (body.bad)
			return 0;
		if (v2 && np == 46)
			return 0;	/* SK: the rest is encrypted */
		if ((v2 && np == 41) || (!v2 && np == 11)) {
			uint16_t type;

			if (!v2)
				rd_skip(&body, 4);	/* DOI */
			rd_skip(&body, 2);	/* protocol, SPI size */
			type = rd_u16(&body);
			if (!body.bad && type != 0 &&
			    type < (v2 ? 16384 : 8192))
				return type;
		}
		np = next;
	}
	return 0;
}

static void
ike_unanswered(struct dt_tun_ike *k, struct ike_pend *p)
{
	if (!p->live)
		return;
	if (k->unanswered++ == 0)
		k->unanswered_frame = p->frame;
	p->live = 0;
}

/* RFC 7296 3.1 / RFC 2408 3.1: the 28-byte header, then the payloads. */
static void
ike_message(struct dt_tunnel *t, struct dt_tunnel_facts *f, int dir,
    const struct dt_l4 *l4, struct rd r, uint64_t frame)
{
	struct dt_tun_ike *k;
	struct ike_pend *p;
	uint64_t ispi, rspi;
	uint32_t msgid, len;
	uint8_t np, ver, xchg, flags;
	int v2, request, encrypted;
	uint16_t notify;

	ispi = rd_u64(&r);
	rspi = rd_u64(&r);
	np = rd_u8(&r);
	ver = rd_u8(&r);
	xchg = rd_u8(&r);
	flags = rd_u8(&r);
	msgid = rd_u32(&r);
	len = rd_u32(&r);
	if (r.bad || (ver >> 4 != 1 && ver >> 4 != 2) || len < 28)
		return;
	if ((k = ike_peer(t, f, dir, l4, &p)) == NULL)
		return;
	v2 = ver >> 4 == 2;
	k->version = v2 ? 2 : 1;
	if (!v2 && xchg >= 243 && xchg <= 246)
		k->authip = 1;
	if (k->first_frame == 0) {
		k->first_frame = frame;
		k->ispi = ispi;
	}
	if (k->rspi == 0 && rspi != 0)
		k->rspi = rspi;
	k->last_frame = frame;
	ike_exchange(k, xchg);
	if (v2) {
		request = !(flags & 0x20);
		encrypted = np == 46 || np == 53;
	} else {
		/* ISAKMP has no request flag: the side that began asks,
		   an informational exchange asks nothing */
		request = dir == k->initiator_dir && xchg != 5 && xchg != 246;
		encrypted = flags & 0x01;
	}
	if (request) {
		if (p->live && p->dir == dir && p->msgid == msgid &&
		    p->xchg == xchg && p->len == len && p->ispi == ispi) {
			k->retransmissions++;
		} else {
			ike_unanswered(k, p);
			k->requests++;
			p->live = 1;
			p->dir = (uint8_t)dir;
			p->msgid = msgid;
			p->xchg = xchg;
			p->len = len;
			p->ispi = ispi;
			p->frame = frame;
		}
	} else if (dir != k->initiator_dir || v2) {
		k->responses++;
		if (k->first_response_frame == 0)
			k->first_response_frame = frame;
		if (p->live && p->dir != dir)
			p->live = 0;
		if (v2 ? xchg == 35 :
		    (encrypted && xchg != 5) || xchg == 32 || xchg == 244)
			k->established = 1;
	}
	if (!encrypted && k->notify == 0 &&
	    (notify = ike_notify(r, np, v2)) != 0) {
		k->notify = notify;
		k->notify_dir = (uint8_t)dir;
		k->notify_exchange = xchg;
		k->notify_frame = frame;
	}
}

/* ---- ESP ---------------------------------------------------------------- */

static void
esp_packet(struct dt_mem *m, struct dt_tunnel_facts *f, int dir, uint32_t spi,
    size_t n, int udp, uint64_t frame)
{
	struct dt_tun_esp *e = NULL;
	size_t i;

	if (f->esp_packets[dir]++ == 0)
		f->esp_first_frame[dir] = frame;
	for (i = 0; i < f->n_esp; i++)
		if (f->esp[i].spi == spi && f->esp[i].dir == dir) {
			e = &f->esp[i];
			break;
		}
	if (e == NULL) {
		if (f->n_esp == DT_TUN_SPIS ||
		    (e = dt_realloc(m, f->esp, (f->n_esp + 1) * sizeof *e)) ==
		    NULL)
			return;
		f->esp = e;
		e = &f->esp[f->n_esp++];
		memset(e, 0, sizeof *e);
		e->spi = spi;
		e->dir = (uint8_t)dir;
		e->udp = (uint8_t)udp;
		e->first_frame = frame;
	}
	e->packets++;
	e->bytes += n;
	e->last_frame = frame;
}

/* ---- DNS ---------------------------------------------------------------- */

/* RFC 1035 4.1.2: the first question's name, labels only. */
static void
dns_name(struct rd r, char *out, size_t cap)
{
	size_t o = 0;
	unsigned guard;

	for (guard = 0; guard < 128; guard++) {
		uint8_t l = rd_u8(&r);
		const uint8_t *s;

		if (r.bad || l == 0 || l > 63)
			break;
		if ((s = rd_bytes(&r, l)) == NULL)
			break;
		if (o + l + 2 > cap)
			break;
		if (o > 0)
			out[o++] = '.';
		memcpy(out + o, s, l);
		o += l;
	}
	out[o] = '\0';
}

static void
dns_message(struct dt_tunnel *t, struct dt_tunnel_facts *f, struct rd r,
    uint64_t frame)
{
	uint16_t id = rd_u16(&r), flags = rd_u16(&r), qd = rd_u16(&r);
	size_t i;

	rd_skip(&r, 6);
	if (r.bad)
		return;
	if (!(flags & 0x8000)) {
		if (f->dns_queries++ == 0) {
			f->dns_query_frame = frame;
			if (qd > 0)
				dns_name(r, f->dns_first_name,
				    sizeof f->dns_first_name);
		}
		if (t->n_dns == DNS_PEND) {	/* the oldest gives way */
			if (f->dns_unanswered++ == 0)
				f->dns_unanswered_frame = t->dns_frame[0];
			memmove(t->dns_id, t->dns_id + 1,
			    (DNS_PEND - 1) * sizeof *t->dns_id);
			memmove(t->dns_frame, t->dns_frame + 1,
			    (DNS_PEND - 1) * sizeof *t->dns_frame);
			t->n_dns--;
		}
		t->dns_id[t->n_dns] = id;
		t->dns_frame[t->n_dns++] = frame;
		return;
	}
	f->dns_answers++;
	f->dns_rcodes[flags & 0xf]++;
	if ((flags & 0xf) != 0 && f->dns_error_frame == 0)
		f->dns_error_frame = frame;
	for (i = 0; i < t->n_dns; i++)
		if (t->dns_id[i] == id) {
			memmove(t->dns_id + i, t->dns_id + i + 1,
			    (t->n_dns - i - 1) * sizeof *t->dns_id);
			memmove(t->dns_frame + i, t->dns_frame + i + 1,
			    (t->n_dns - i - 1) * sizeof *t->dns_frame);
			t->n_dns--;
			break;
		}
}

/* ---- ICMPv6 router discovery -------------------------------------------- */

/* RFC 4861 4.2 and 4.6.2. */
static void
router_adv(struct dt_tunnel_facts *f, struct rd r)
{
	rd_skip(&r, 6);		/* type, code, checksum, hop limit, flags */
	f->router_lifetime = rd_u16(&r);
	rd_skip(&r, 8);		/* reachable, retrans timers */
	while (r.n >= 2 && !r.bad) {
		uint8_t type = rd_u8(&r);
		size_t olen = (size_t)rd_u8(&r) * 8;
		struct rd o;

		if (olen < 8)
			return;
		o = rd_sub(&r, olen - 2);
		if (type == 3 && olen == 32 &&
		    f->n_prefixes < DT_TUN_PREFIXES) {
			struct dt_tun_prefix *x = &f->prefixes[f->n_prefixes];

			x->len = rd_u8(&o);
			rd_skip(&o, 1);
			x->valid = rd_u32(&o);
			x->preferred = rd_u32(&o);
			rd_skip(&o, 4);
			if (rd_copy(&o, x->prefix, 16))
				f->n_prefixes++;
		}
	}
}

static void
icmp6(struct dt_tunnel_facts *f, int dir, struct rd r, uint64_t frame,
    int64_t time)
{
	struct rd t = r;

	switch (rd_u8(&t)) {
	case 133:		/* the server relays none of its own */
		if (dir == DT_C2S && f->rs++ == 0) {
			f->rs_frame = frame;
			f->rs_time = time;
		}
		break;
	case 134:
		if (dir == DT_S2C && f->ra++ == 0) {
			f->ra_frame = frame;
			router_adv(f, r);
		}
		break;
	case 135:
		f->ns++;
		break;
	case 136:
		f->na++;
		break;
	default:
		break;
	}
}

/* ---- one inner packet --------------------------------------------------- */

static void
inner(struct dt_tunnel *t, struct dt_conn *c, int dir, const uint8_t *p,
    size_t caplen, size_t len, uint64_t frame, int64_t time)
{
	struct dt_tunnel_facts *f = c->tunnel;
	struct dt_tun_dir *d = &f->dir[dir];
	struct dt_packet pkt;
	struct dt_l4 l4;
	struct rd r;

	if (d->packets++ == 0) {
		d->first_frame = frame;
		d->first_time = time;
	}
	d->bytes += len;
	d->last_frame = frame;
	d->last_time = time;
	if (t->x->fn != NULL && caplen == len)
		t->x->fn(t->x->payload, c, dir, frame, time, p, len);

	memset(&pkt, 0, sizeof pkt);
	pkt.frame = frame;
	pkt.time = time;
	pkt.linktype = 229;		/* LINKTYPE_IPV6 */
	pkt.data = p;
	pkt.caplen = (uint32_t)caplen;
	pkt.origlen = (uint32_t)len;
	dt_net_decode(t->x->net, &pkt, &l4);
	if (l4.status == DT_L4_FRAGMENT)
		return;
	if (l4.status != DT_L4_TCP && l4.status != DT_L4_UDP &&
	    l4.status != DT_L4_OTHER_IP) {
		d->undecoded++;
		return;
	}
	r = rd_make(l4.payload, l4.caplen);
	if (l4.status == DT_L4_OTHER_IP && l4.proto == 58) {
		icmp6(f, dir, r, frame, time);
	} else if (l4.status == DT_L4_OTHER_IP && l4.proto == 50) {
		uint32_t spi = rd_u32(&r);

		if (!r.bad)
			esp_packet(t->x->m, f, dir, spi, l4.paylen, 0, frame);
	} else if (l4.status == DT_L4_UDP &&
	    (l4.sport == 4500 || l4.dport == 4500)) {
		struct rd s = r;
		uint32_t marker = rd_u32(&s);

		if (s.bad)		/* RFC 3948 2.2: the 0xFF keepalive */
			return;
		if (marker == 0)
			ike_message(t, f, dir, &l4, s, frame);
		else
			esp_packet(t->x->m, f, dir, marker, l4.paylen, 1,
			    frame);
	} else if (l4.status == DT_L4_UDP &&
	    (l4.sport == 500 || l4.dport == 500)) {
		ike_message(t, f, dir, &l4, r, frame);
	} else if (l4.status == DT_L4_UDP &&
	    (l4.sport == 53 || l4.dport == 53)) {
		dns_message(t, f, r, frame);
	}
}

/* ---- the byte stream ---------------------------------------------------- */

static void
framing_error(struct dt_conn *c, int dir, struct tdir *d, uint8_t b,
    uint64_t frame)
{
	struct dt_tun_dir *f = &c->tunnel->dir[dir];

	d->dead = 1;
	f->error_frame = frame;
	f->error_offset = d->off;
	snprintf(f->error, sizeof f->error,
	    "byte 0x%02X at body offset %llu is not an IPv6 header "
	    "(version %u)", b, (unsigned long long)d->off, b >> 4);
}

/* Gather k bytes of the current packet into the buffer. */
static int
gather(struct dt_tunnel *t, struct tdir *d, const uint8_t *p, size_t k)
{
	if (d->len + k > d->cap) {
		size_t cap = d->cap ? d->cap : 256;
		uint8_t *nb;

		while (cap < d->len + k)
			cap *= 2;
		if ((nb = dt_realloc(t->x->m, d->buf, cap)) == NULL)
			return 0;
		d->buf = nb;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, p, k);
	d->len += k;
	return 1;
}

static size_t
keep_of(const struct dt_tunnel *t, size_t total)
{
	if (t->x->fn != NULL || total <= DT_TUN_HEAD)
		return total;
	return DT_TUN_HEAD;
}

int
dt_tunnel_data(struct dt_tunnel *t, struct dt_conn *c, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	while (n > 0 && !d->dead) {
		size_t k;

		if (d->skip > 0) {		/* the tail of a long packet */
			k = d->skip < n ? (size_t)d->skip : n;
			d->skip -= k;
			d->off += k;
			p += k;
			n -= k;
			if (d->skip == 0) {
				inner(t, c, dir, d->buf, d->len, d->total,
				    frame, time);
				d->len = d->total = 0;
			}
			continue;
		}
		if (d->len == 0 && n >= 6) {	/* a packet begins here */
			size_t total = IP6_HDR + ((size_t)p[4] << 8 | p[5]);

			if (p[0] >> 4 != 6) {
				framing_error(c, dir, d, p[0], frame);
				return 0;
			}
			d->start = d->off;
			if (n >= total) {	/* whole: read in place */
				inner(t, c, dir, p, total, total, frame, time);
				d->off += total;
				p += total;
				n -= total;
				continue;
			}
			d->total = total;
			d->keep = keep_of(t, total);
		} else if (d->len == 0 && p[0] >> 4 != 6) {
			framing_error(c, dir, d, p[0], frame);
			return 0;
		}
		if (d->total == 0) {		/* fewer than 6 bytes so far */
			k = 6 - d->len < n ? 6 - d->len : n;
			if (!gather(t, d, p, k)) {
				d->dead = 1;
				return 0;
			}
			d->off += k;
			p += k;
			n -= k;
			if (d->len == 6) {
				d->total = IP6_HDR +
				    ((size_t)d->buf[4] << 8 | d->buf[5]);
				d->keep = keep_of(t, d->total);
			}
			continue;
		}
		k = d->keep - d->len < n ? d->keep - d->len : n;
		if (!gather(t, d, p, k)) {
			d->dead = 1;
			return 0;
		}
		d->off += k;
		p += k;
		n -= k;
		if (d->len == d->keep) {
			if (d->keep == d->total) {
				inner(t, c, dir, d->buf, d->len, d->total,
				    frame, time);
				d->len = d->total = 0;
			} else {
				d->skip = d->total - d->keep;
			}
		}
	}
	return !d->dead;
}

void
dt_tunnel_gap(struct dt_tunnel *t, struct dt_conn *c, int dir,
    uint64_t frame)
{
	struct tdir *d = &t->d[dir];
	struct dt_tun_dir *f = &c->tunnel->dir[dir];

	if (d->dead)
		return;
	d->dead = 1;
	f->error_frame = frame;
	f->error_offset = d->off;
	snprintf(f->error, sizeof f->error,
	    "bytes missing from the stream at body offset %llu",
	    (unsigned long long)d->off);
}

/* The answer to the POST: the time it took, and whether the tunnel shows
   it came from the IP-HTTPS server. */
static void
answer(struct dt_conn *c)
{
	struct dt_tunnel_facts *f = c->tunnel;
	int64_t req = -1, resp = -1;
	size_t i;
	int st = dt_tls_http(c->tls)->response.status;

	for (i = 0; i < c->n_events; i++) {
		const struct dt_event *ev = &c->events[i];

		if (ev->type == DT_EV_HTTP_REQUEST && req < 0)
			req = dt_ev_time(c, ev);
		else if (ev->type == DT_EV_HTTP_RESPONSE && resp < 0)
			resp = dt_ev_time(c, ev);
	}
	if (req >= 0 && resp >= req)
		f->answer_delay = resp - req;
	if (dt_tls_http(c->tls)->response.frame == 0)
		f->answer_iphttps = -1;
	else if (st < 200 || st > 299)
		f->answer_iphttps = 0;
	else if (f->dir[DT_S2C].packets > 0)
		f->answer_iphttps = 1;
	else if (f->dir[DT_S2C].error_frame != 0)
		f->answer_iphttps = 0;
	else
		f->answer_iphttps = -1;
}

void
dt_tunnel_end(struct dt_tunnel *t, struct dt_conn *c)
{
	struct dt_tunnel_facts *f;
	size_t i;

	if (t == NULL)
		return;
	if (c != NULL && (f = c->tunnel) != NULL) {
		for (i = 0; i < f->n_ike; i++)
			ike_unanswered(&f->ike[i], &t->pend[i]);
		for (i = 0; i < t->n_dns; i++)
			if (f->dns_unanswered++ == 0)
				f->dns_unanswered_frame = t->dns_frame[i];
		answer(c);
	}
	dt_free(t->x->m, t->d[0].buf);
	dt_free(t->x->m, t->d[1].buf);
	dt_free(t->x->m, t);
}

size_t
dt_tunnel_buffered(const struct dt_tunnel *t)
{
	return t->d[0].cap + t->d[1].cap;
}
