/*
 * net/: a captured frame into a struct dt_l4 view - the door
 * (dt_net_decode), IPv4 (RFC 791), IPv6 (RFC 8200) and its extension
 * headers, fragments (ipfrag.c), and the packet a tunnel carries (encap.c
 * says which). Link layers are link.c's, TCP and UDP headers
 * transport.c's (net_int.h). The IP length fields, not the captured
 * length, bound what follows (an Ethernet FCS or padding is not payload);
 * captured bytes bound what is read. Every read goes through struct rd and
 * nothing allocates here except IP reassembly (ipfrag.c).
 */
#include "net/net_int.h"

#include <string.h>

#include "datrace.h"
#include "net/encap.h"
#include "net/ipfrag.h"

#define NET_MAX_EXT	16	/* IPv6 extension headers per packet */

struct dt_net {
	struct dt_mem *m;
	struct ipfrag frag;
	int cached_linktype;	/* last link type looked up */
	link_fn cached_fn;	/* its decoder, NULL: unsupported */
	int cache_valid;
	unsigned depth;		/* tunnels entered in the current packet */
};

static void ip4(struct dt_net *, struct rd, int64_t, struct dt_l4 *);
static void ip6(struct dt_net *, struct rd, int64_t, struct dt_l4 *);

/* ---- tunnels and transport ---------------------------------------------- */


/*
 * The packet a tunnel carries, decoded into *out over the outer view. When
 * the tunnel holds nothing we read, the outer view stays: for IP tunnels a
 * packet of that protocol (DT_L4_OTHER_IP), for UDP ones the datagram.
 */
static void
inner(struct dt_net *n, struct rd r, int what, int kind, int64_t now,
    struct dt_l4 *out)
{
	struct dt_l4 outer;
	int l3 = L3_NOT_IP;

	if (what == DT_INNER_NONE || n->depth >= DT_NET_MAX_ENCAP) {
		out->encap_unread = (uint8_t)kind;	/* NONE: no tunnel */
		return;
	}
	/* copied only for a tunnel: every UDP datagram (DNS) comes here */
	outer = *out;
	n->depth++;
	if (what == DT_INNER_ETHER &&
	    (l3 = link_ether(&r, out)) == L3_NOT_IP)
		out->status = DT_L4_NOT_IP;	/* ARP, LLDP: not decoded */
	if (what == DT_INNER_80211 &&
	    ((l3 = link_80211(&r, out)) == L3_NOT_IP ||
	    out->status == DT_L4_PROTECTED_80211))
		out->status = DT_L4_NOT_IP;	/* management, still encrypted */
	if (what == DT_INNER_IP4 || l3 == L3_IP4)
		ip4(n, r, now, out);
	else if (what == DT_INNER_IP6 || l3 == L3_IP6)
		ip6(n, r, now, out);
	if (out->status == DT_L4_NOT_IP || out->status == 0 ||
	    ((out->status == DT_L4_MALFORMED ||
	    out->status == DT_L4_TRUNCATED) && outer.status == DT_L4_UDP)) {
		/* a bridged frame that is not IP (ARP in VXLAN), or a
		   datagram that only looked like a tunnel: the outer view is
		   the truth, the tunnel counted as one we did not read */
		*out = outer;
		out->encap_unread = (uint8_t)kind;
		return;
	}
	if (kind == DT_ENCAP_6IN4 && out->src.family == 6) {
		const uint8_t *s = out->src.a, *d = out->dst.a;

		if ((s[0] == 0x20 && s[1] == 0x02) ||
		    (d[0] == 0x20 && d[1] == 0x02))
			kind = DT_ENCAP_6TO4;
		else if (((s[8] | 2) == 2 && s[9] == 0 && s[10] == 0x5e &&
		    s[11] == 0xfe) || ((d[8] | 2) == 2 && d[9] == 0 &&
		    d[10] == 0x5e && d[11] == 0xfe))
			kind = DT_ENCAP_ISATAP;
	}
	/* the innermost tunnel is decoded last; outermost first in the list */
	if (out->n_encap < DT_NET_MAX_ENCAP) {
		memmove(out->encaps + 1, out->encaps, out->n_encap);
		out->encaps[0] = (uint8_t)kind;
		out->n_encap++;
	}
	if (out->n_encap == 1) {	/* the innermost: it completes first */
		out->tun_src = outer.src;
		out->tun_dst = outer.dst;
		out->tun_sport = outer.status == DT_L4_UDP ? outer.sport : 0;
		out->tun_dport = outer.status == DT_L4_UDP ? outer.dport : 0;
	}
}

/* Inline in each IP path (the reader by value stays in registers: a
   call was 20 instructions a packet). */
static inline __attribute__((always_inline)) void
transport(struct dt_net *n, struct rd r, uint32_t len, uint8_t proto,
    int64_t now, struct dt_l4 *out)
{
	int kind, what;

	out->proto = proto;
	if (proto == 6) {
		if (!l4_tcp_bare(r, len, out))
			l4_tcp(&r, len, out);
		return;
	}
	if (proto == 17) {
		if (!l4_udp_bare(r, len, out))
			l4_udp(&r, len, out);
		if (out->status == DT_L4_UDP && out->caplen == out->paylen) {
			struct rd u = rd_make(out->payload, out->caplen);

			/* most datagrams (DNS) carry no tunnel: no call */
			what = dt_encap_udp(out->sport, out->dport, &u, &kind);
			if (what != DT_INNER_NONE)
				inner(n, u, what, kind, now, out);
		}
		return;
	}
	l4_payload(out, DT_L4_OTHER_IP, r, len);
	if (proto == 4 || proto == 41 || proto == 47) {
		rd_limit(&r, len);
		what = dt_encap_ip(proto, out->src.family, &r, &kind);
		inner(n, r, what, kind, now, out);
	}
}

/* A fragment went to reassembly: held, dropped or complete. Returns 1 with
 * *r and *len over the datagram when complete. */
static int
reassembled(int res, const uint8_t *buf, uint32_t blen,
    const char *why, struct rd *r, uint32_t *len, struct dt_l4 *out)
{
	switch (res) {
	case IPFRAG_DONE:
		*r = rd_make(buf, blen);
		*len = blen;
		out->fragmented = 1;
		return 1;
	case IPFRAG_BAD:
		malformed(out, why);
		return 0;
	case IPFRAG_HELD:
		out->status = DT_L4_FRAGMENT;
		return 0;
	default:
		out->status = DT_L4_FRAGMENT;
		out->reason = "IP fragment dropped: reassembly limits";
		return 0;
	}
}

/* ---- IPv4 --------------------------------------------------------------- */

static const char *const ip4_short_ihl[5] = {
	"IPv4 header length 0 < 5",
	"IPv4 header length 1 < 5",
	"IPv4 header length 2 < 5",
	"IPv4 header length 3 < 5",
	"IPv4 header length 4 < 5",
};

/* RFC 791 3.1. */
static void
ip4(struct dt_net *n, struct rd r, int64_t now, struct dt_l4 *out)
{
	uint8_t vihl, proto;
	uint16_t tot, id, fragw;
	uint32_t hlen, len, off;

	if (r.n < 20) {
		truncated(out, "IPv4 header cut by snaplen");
		return;
	}
	vihl = rd_u8(&r);
	if (vihl >> 4 != 4) {
		malformed(out, "IPv4 version is not 4");
		return;
	}
	if ((vihl & 15) < 5) {
		malformed(out, ip4_short_ihl[vihl & 15]);
		return;
	}
	hlen = (uint32_t)(vihl & 15) * 4;
	rd_skip(&r, 1);		/* DSCP, ECN */
	tot = rd_u16(&r);
	id = rd_u16(&r);
	fragw = rd_u16(&r);
	out->ttl = rd_u8(&r);
	proto = rd_u8(&r);
	out->proto = proto;
	rd_skip(&r, 2);		/* checksum */
	out->src.family = out->dst.family = 4;
	rd_copy(&r, out->src.a, 4);
	rd_copy(&r, out->dst.a, 4);
	if (hlen - 20 > r.n) {
		truncated(out, "IPv4 options cut by snaplen");
		return;
	}
	rd_skip(&r, hlen - 20);
	if (tot == 0) {
		/* Segmentation offload: the sender's capture shows a
		   packet larger than any length field could hold. */
		len = (uint32_t)(r.n > 0xffff ? 0xffff : r.n);
	} else if (tot < hlen) {
		malformed(out, "IPv4 total length shorter than its header");
		return;
	} else {
		len = tot - hlen;
	}
	rd_limit(&r, len);

	off = (uint32_t)(fragw & 0x1fff) * 8;
	if ((fragw & 0x2000) || off != 0) {
		struct ipfrag_key k;
		const uint8_t *buf = NULL;
		uint32_t blen = 0;
		uint8_t nh;
		const char *why;
		int res;

		if (out->fragmented) {
			malformed(out, "IPv4 fragment inside a reassembled "
			    "datagram");
			return;
		}
		if (r.n < len) {
			truncated(out, "IPv4 fragment cut by snaplen");
			return;
		}
		memset(&k, 0, sizeof k);
		k.family = 4;
		k.proto = proto;
		k.id = id;
		memcpy(k.src, out->src.a, 4);
		memcpy(k.dst, out->dst.a, 4);
		res = ipfrag_add(&n->frag, &k, now, off, r.p, len,
		    (fragw & 0x2000) != 0, 0, &buf, &blen, &nh, &why);
		if (!reassembled(res, buf, blen, why, &r, &len, out))
			return;
	}
	transport(n, r, len, proto, now, out);
}

/*
 * The tail of both straight paths, once the header is found to be one
 * of theirs: its fields into *out, then its payload of len bytes (proto
 * is transport()'s to store).
 */
static inline __attribute__((always_inline)) void
straight_tail(struct dt_net *n, struct rd r, uint8_t family,
    const uint8_t *src, const uint8_t *dst, uint8_t ttl, uint8_t proto,
    uint32_t len, int64_t now, struct dt_l4 *out)
{
	size_t alen = family == 4 ? 4 : 16;

	out->ttl = ttl;
	out->src.family = out->dst.family = family;
	memcpy(out->src.a, src, alen);
	memcpy(out->dst.a, dst, alen);
	rd_limit(&r, len);
	transport(n, r, len, proto, now, out);
}

/*
 * The usual frames in one straight path: Ethernet II carrying IPv4
 * without options or fragments, or IPv6 without extension headers, as
 * link_ether(), ip4() and ip6() read them (the same checks, the same
 * fields, then transport()), without the link table's call and the cases
 * such a frame cannot be. 0: not such a frame, nothing written; the
 * general path reads it.
 */
static int
ether_ip4(struct dt_net *n, struct rd r, int64_t now, struct dt_l4 *out)
{
	uint8_t vihl, ttl, proto;
	uint16_t tot, fragw;
	uint8_t src[4], dst[4];

	vihl = rd_u8(&r);
	rd_skip(&r, 1);		/* DSCP, ECN */
	tot = rd_u16(&r);
	rd_skip(&r, 2);		/* id: no fragment here */
	fragw = rd_u16(&r);
	ttl = rd_u8(&r);
	proto = rd_u8(&r);
	rd_skip(&r, 2);		/* checksum */
	rd_copy(&r, src, 4);
	rd_copy(&r, dst, 4);
	/* 0x45: version 4, a 20-byte header; tot 0 (offload) and tot < 20
	   (malformed) are ip4()'s to say */
	if (vihl != 0x45 || tot < 20 || (fragw & 0x3fff) != 0 || !rd_ok(&r))
		return 0;
	straight_tail(n, r, 4, src, dst, ttl, proto, (uint32_t)tot - 20, now,
	    out);
	return 1;
}

static int
ether_ip6(struct dt_net *n, struct rd r, int64_t now, struct dt_l4 *out)
{
	uint32_t vtcfl, len;
	uint8_t nh, hlim;
	uint8_t src[16], dst[16];

	vtcfl = rd_u32(&r);
	len = rd_u16(&r);
	nh = rd_u8(&r);
	hlim = rd_u8(&r);
	rd_copy(&r, src, 16);
	rd_copy(&r, dst, 16);
	/* TCP or UDP right after the header; a zero length (jumbogram,
	   offload) and extension headers are ip6()'s */
	if (vtcfl >> 28 != 6 || len == 0 || (nh != 6 && nh != 17) ||
	    !rd_ok(&r))
		return 0;
	straight_tail(n, r, 6, src, dst, hlim, nh, len, now, out);
	return 1;
}

static int
ether_ip(struct dt_net *n, struct rd r, int64_t now, struct dt_l4 *out)
{
	uint16_t type;

	if (r.n < 14 + 20)
		return 0;
	rd_skip(&r, 12);
	type = rd_u16(&r);
	if (type == 0x0800)
		return ether_ip4(n, r, now, out);
	if (type == 0x86dd && r.n >= 40)
		return ether_ip6(n, r, now, out);
	return 0;
}

/* ---- IPv6 --------------------------------------------------------------- */

/* Is a header of `need` bytes there? Past the payload length it is
 * malformed, past the captured bytes truncated. */
static int
ext_fits(const struct rd *r, uint32_t len, uint32_t need, struct dt_l4 *out)
{
	if (need > len) {
		malformed(out, "IPv6 extension header past the payload");
		return 0;
	}
	if (need > r->n) {
		truncated(out, "IPv6 extension header cut by snaplen");
		return 0;
	}
	return 1;
}

/* RFC 8200 4: walk the extension headers to the upper layer. */
static void
ip6_chain(struct dt_net *n, struct rd r, uint32_t len, uint8_t nh,
    int64_t now, struct dt_l4 *out)
{
	unsigned depth;

	for (depth = 0; depth < NET_MAX_EXT; depth++) {
		struct rd t = r;
		uint32_t hlen;
		uint8_t next;

		switch (nh) {
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 51:	/* AH, RFC 4302 2.2: length in 4-byte units - 2 */
			if (!ext_fits(&r, len, 2, out))
				return;
			next = rd_u8(&t);
			hlen = rd_u8(&t);
			hlen = nh == 51 ? (hlen + 2) * 4 : (hlen + 1) * 8;
			if (!ext_fits(&r, len, hlen, out))
				return;
			rd_skip(&r, hlen);
			len -= hlen;
			nh = next;
			break;
		case 44: {	/* fragment */
			struct ipfrag_key k;
			const uint8_t *buf = NULL;
			uint32_t blen = 0, id;
			uint16_t offw;
			const char *why;
			int res;

			if (!ext_fits(&r, len, 8, out))
				return;
			next = rd_u8(&r);
			rd_skip(&r, 1);
			offw = rd_u16(&r);
			id = rd_u32(&r);
			len -= 8;
			if ((offw & 0xfff8) == 0 && (offw & 1) == 0) {
				nh = next;	/* atomic fragment, RFC 6946 */
				break;
			}
			if (out->fragmented) {
				malformed(out, "IPv6 fragment inside a "
				    "reassembled datagram");
				return;
			}
			if (r.n < len) {
				truncated(out, "IPv6 fragment cut by snaplen");
				return;
			}
			memset(&k, 0, sizeof k);
			k.family = 6;
			k.id = id;
			memcpy(k.src, out->src.a, 16);
			memcpy(k.dst, out->dst.a, 16);
			res = ipfrag_add(&n->frag, &k, now, offw & 0xfff8, r.p,
			    len, offw & 1, next, &buf, &blen, &nh, &why);
			if (!reassembled(res, buf, blen, why, &r, &len, out)) {
				out->proto = next;
				return;
			}
			break;
		}
		case 59:	/* no next header */
			out->proto = 59;
			out->status = DT_L4_OTHER_IP;
			out->payload = r.p;
			out->caplen = 0;
			out->paylen = 0;
			return;
		default:
			transport(n, r, len, nh, now, out);
			return;
		}
	}
	malformed(out, "IPv6 extension header chain too long");
}

/* RFC 8200 3. */
static void
ip6(struct dt_net *n, struct rd r, int64_t now, struct dt_l4 *out)
{
	uint32_t vtcfl, len;
	uint8_t nh;

	if (r.n < 40) {
		truncated(out, "IPv6 header cut by snaplen");
		return;
	}
	vtcfl = rd_u32(&r);
	if (vtcfl >> 28 != 6) {
		malformed(out, "IPv6 version is not 6");
		return;
	}
	len = rd_u16(&r);
	nh = rd_u8(&r);
	out->ttl = rd_u8(&r);
	out->proto = nh;
	out->src.family = out->dst.family = 6;
	rd_copy(&r, out->src.a, 16);
	rd_copy(&r, out->dst.a, 16);
	if (len == 0 && nh != 59)	/* jumbogram or segmentation offload */
		len = (uint32_t)(r.n > 0xffffffffu ? 0xffffffffu : r.n);
	rd_limit(&r, len);
	ip6_chain(n, r, len, nh, now, out);
}

/* ---- the door ----------------------------------------------------------- */

int
dt_net_new(struct dt_net **out, struct dt_mem *m, size_t frag_cap)
{
	struct dt_net *n;

	*out = NULL;
	if ((n = dt_malloc(m, sizeof *n)) == NULL)
		return DT_ENOMEM;
	memset(n, 0, sizeof *n);
	n->m = m;
	ipfrag_init(&n->frag, m, frag_cap ? frag_cap : DT_NET_FRAG_CAP);
	*out = n;
	return 0;
}

void
dt_net_free(struct dt_net *n)
{
	if (n == NULL)
		return;
	ipfrag_fini(&n->frag);
	dt_free(n->m, n);
}

uint64_t
dt_net_fragments_dropped(const struct dt_net *n)
{
	return n->frag.dropped;
}

void
dt_net_decode(struct dt_net *n, const struct dt_packet *pkt,
    struct dt_l4 *out)
{
	struct rd r;
	int l3;

	/* in two halves: each is a few vector stores, where one memset()
	   of the whole is a `rep stos`, whose start-up costs more than the
	   stores for a struct of this size */
	memset(out, 0, sizeof *out / 2);
	memset((char *)out + sizeof *out / 2, 0, sizeof *out - sizeof *out / 2);
	out->wscale = 0xff;
	n->depth = 0;
	if (n->frag.head != NULL || n->frag.done != NULL)
		ipfrag_tick(&n->frag, pkt->time);
	r = rd_make(pkt->data, pkt->caplen);
	/* the usual frame (LINKTYPE_ETHERNET, whose decoder is link_ether)
	   asks neither the cache nor the table */
	if (pkt->linktype == 1 && ether_ip(n, r, pkt->time, out)) {
		l3 = L3_DONE;
	} else {
		if (!n->cache_valid || n->cached_linktype != pkt->linktype) {
			n->cached_fn = link_lookup(pkt->linktype);
			n->cached_linktype = pkt->linktype;
			n->cache_valid = 1;
		}
		if (n->cached_fn == NULL) {
			fail(out, DT_L4_UNSUPPORTED_LINK,
			    "link type not supported");
			return;
		}
		l3 = n->cached_fn(&r, out);
	}
	if (l3 == L3_IP4)
		ip4(n, r, pkt->time, out);
	else if (l3 == L3_IP6)
		ip6(n, r, pkt->time, out);
	else if (l3 == L3_NOT_IP)
		out->status = DT_L4_NOT_IP;
	/*
	 * Payload the IP header claims but the frame does not hold was only
	 * cut by the snapshot length when the record says so (caplen <
	 * origlen). Otherwise a link-layer length (PPPoE, 802.3) bounded the
	 * datagram below a wrong IP total length - seen in PPPoE captures
	 * whose padding the IP length covers - and the bytes were never on
	 * the wire: no gap, nothing truncated.
	 */
	if ((out->status == DT_L4_TCP || out->status == DT_L4_UDP) &&
	    out->paylen > out->caplen && pkt->caplen >= pkt->origlen &&
	    !out->fragmented)
		out->paylen = out->caplen;
}
