/*
 * net/transport: the TCP (RFC 9293) and UDP (RFC 768) headers of an IP
 * payload into the struct dt_l4 view. The IP length, not the captured
 * length, bounds the segment; captured bytes bound what is read.
 */
#include "net/net_int.h"

/* RFC 9293 3.2: options are kind, or kind + length; a length that does
 * not fit ends option parsing, not the segment. Out of line: most
 * segments have none, and their path then saves no registers. */
static void __attribute__((noinline))
tcp_options(struct rd o, struct dt_l4 *out)
{
	while (o.n > 0) {
		uint8_t kind = rd_u8(&o), len;
		struct rd body;

		if (kind == 0)		/* end of option list */
			break;
		if (kind == 1)		/* no-operation */
			continue;
		if (o.n < 1)
			break;
		len = rd_u8(&o);
		if (len < 2 || (size_t)(len - 2) > o.n)
			break;
		body = rd_sub(&o, (size_t)len - 2);
		if (kind == 2 && len == 4)
			out->mss = rd_u16(&body);
		else if (kind == 3 && len == 3)
			out->wscale = rd_u8(&body);
		else if (kind == 4 && len == 2)
			out->sack_ok = 1;
	}
}

/* r: the bytes present; len: the segment length the IP header gives.
   The usual header, without options, net.c reads inline (l4_tcp_bare(),
   net_int.h): the same fields, so both say the same of every header. */
void
l4_tcp(const struct rd *rp, uint32_t len, struct dt_l4 *out)
{
	struct rd r = *rp;
	uint32_t hlen;

	if (len < 20) {
		malformed(out, "TCP segment shorter than 20 bytes");
		return;
	}
	if (r.n < 20) {
		truncated(out, "TCP header cut by snaplen");
		return;
	}
	hlen = l4_tcp_fixed(rd_bytes(&r, 20), out);	/* r.n >= 20 */
	if (hlen < 20) {
		malformed(out, "TCP data offset < 5");
		return;
	}
	if (hlen > len) {
		malformed(out, "TCP data offset past the segment");
		return;
	}
	if (hlen - 20 > r.n) {
		truncated(out, "TCP options cut by snaplen");
		return;
	}
	if (hlen > 20)
		tcp_options(rd_sub(&r, hlen - 20), out);
	l4_payload(out, DT_L4_TCP, r, len - hlen);
}

/* The usual header net.c reads inline (l4_udp_bare(), net_int.h). */
void
l4_udp(const struct rd *rp, uint32_t len, struct dt_l4 *out)
{
	struct rd r = *rp;
	uint16_t ulen;

	if (len < 8) {
		malformed(out, "UDP datagram shorter than 8 bytes");
		return;
	}
	if (r.n < 8) {
		truncated(out, "UDP header cut by snaplen");
		return;
	}
	ulen = l4_udp_fixed(rd_bytes(&r, 8), out);	/* r.n >= 8 */
	if (ulen == 0)		/* RFC 2675 jumbogram, or offload */
		ulen = len > 0xffff ? 0xffff : (uint16_t)len;
	if (ulen < 8) {
		malformed(out, "UDP length < 8");
		return;
	}
	if (ulen > len) {
		malformed(out, "UDP length past the IP payload");
		return;
	}
	rd_limit(&r, ulen - 8u);
	l4_payload(out, DT_L4_UDP, r, ulen - 8u);
}
