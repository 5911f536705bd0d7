/*
 * net/'s insides, shared by its files, top down:
 *
 *   net.c        the door (dt_net_decode), IPv4 (RFC 791), IPv6 (RFC 8200)
 *                and its extension headers, fragments (ipfrag.c), the
 *                packets tunnels carry (encap.c)
 *   transport.c  TCP (RFC 9293) and UDP (RFC 768) headers
 *   link.c       link layers up to the network header: the link-type
 *                table, Ethernet and its tags, PPP and PPPoE, MPLS, SLL,
 *                loopback, 802.11 (wifi.c)
 *
 * Each calls only the ones below it. Not installed.
 */
#ifndef DT_NET_INT_H
#define DT_NET_INT_H

#include "net/net.h"
#include "util/rd.h"

/* What follows the link header. */
enum l3 {
	L3_DONE = 0,		/* out->status is set */
	L3_IP4,
	L3_IP6,
	L3_NOT_IP,
};

/* A link layer: leaves the reader at the network header, says which
   network protocol follows (enum l3). */
typedef int (*link_fn)(struct rd *, struct dt_l4 *);

/* A packet read no further: its status and why (L3_DONE for link.c). */
static inline int
fail(struct dt_l4 *out, int status, const char *reason)
{
	out->status = status;
	out->reason = reason;
	return L3_DONE;
}

static inline int
truncated(struct dt_l4 *out, const char *reason)
{
	return fail(out, DT_L4_TRUNCATED, reason);
}

static inline int
malformed(struct dt_l4 *out, const char *reason)
{
	return fail(out, DT_L4_MALFORMED, reason);
}

/* Shrink a reader to at most len bytes (padding, FCS, trailers). */
static inline void
rd_limit(struct rd *r, size_t len)
{
	if (len < r->n)
		r->n = len;
}

/* The first byte without consuming it (0 when there is none). */
static inline uint8_t
rd_peek8(const struct rd *r)
{
	struct rd t = *r;

	return rd_u8(&t);
}

/* ---- link.c ------------------------------------------------------------- */

/* The decoder of a link type, NULL when not supported. */
link_fn link_lookup(int linktype);
/* An Ethernet frame (also the one a VXLAN or GRE tunnel carries). */
int link_ether(struct rd *r, struct dt_l4 *out);
/* An 802.11 frame without FCS (LINKTYPE_IEEE802_11; also what Aruba's GRE
   carries). */
int link_80211(struct rd *r, struct dt_l4 *out);

/* ---- transport.c -------------------------------------------------------- */

/* The TCP or UDP header of an IP payload of len bytes at *r (not moved;
   a pointer, so that the reader is not copied to the stack per packet). */
void l4_tcp(const struct rd *r, uint32_t len, struct dt_l4 *out);
void l4_udp(const struct rd *r, uint32_t len, struct dt_l4 *out);

/* The fixed 20 bytes of a TCP header at q (RFC 9293 3.1) into out, as
   every path reads them: the header length its data offset says. */
static inline uint32_t
l4_tcp_fixed(const uint8_t *q, struct dt_l4 *out)
{
	out->sport = rd_be16(q);
	out->dport = rd_be16(q + 2);
	out->seq = rd_be32(q + 4);
	out->ack = rd_be32(q + 8);
	out->flags = q[13];
	out->window = rd_be16(q + 14);
	return (uint32_t)(q[12] >> 4) * 4;
}

/* The fixed 8 bytes of a UDP header at q (RFC 768) into out: the
   length its length field says. */
static inline uint16_t
l4_udp_fixed(const uint8_t *q, struct dt_l4 *out)
{
	out->sport = rd_be16(q);
	out->dport = rd_be16(q + 2);
	return rd_be16(q + 4);
}

/* A transport header read: what follows it (r, the bytes present) is
   the payload, paylen bytes long by the headers. */
static inline void
l4_payload(struct dt_l4 *out, int status, struct rd r, uint32_t paylen)
{
	out->status = status;
	out->payload = r.p;
	out->caplen = (uint32_t)r.n;
	out->paylen = paylen;
}

/* The usual TCP header - 20 bytes, no options, present and within the
   segment - read inline in each IP path with l4_tcp()'s own steps.
   0: not such a header, nothing written; l4_tcp()'s. */
static inline int
l4_tcp_bare(struct rd r, uint32_t len, struct dt_l4 *out)
{
	const uint8_t *q;

	if (len < 20 || (q = rd_bytes(&r, 20)) == NULL || q[12] >> 4 != 5)
		return 0;
	(void)l4_tcp_fixed(q, out);
	l4_payload(out, DT_L4_TCP, r, len - 20);
	return 1;
}

/* The usual UDP header - present, its length from 8 bytes to the IP
   payload's - inline, with l4_udp()'s steps. 0: l4_udp()'s, which reads
   the ports again. */
static inline int
l4_udp_bare(struct rd r, uint32_t len, struct dt_l4 *out)
{
	const uint8_t *q;
	uint16_t ulen;

	if (len < 8 || (q = rd_bytes(&r, 8)) == NULL)
		return 0;
	ulen = l4_udp_fixed(q, out);
	if (ulen < 8 || ulen > len)
		return 0;
	rd_limit(&r, ulen - 8u);
	l4_payload(out, DT_L4_UDP, r, ulen - 8u);
	return 1;
}

#endif
