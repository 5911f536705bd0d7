/*
 * Tunnel headers: what sits between an outer IP (or UDP) header and the
 * packet it carries. Each decoder reads one tunnel header, leaves the reader
 * at the inner header and says what follows (IPv4, IPv6, Ethernet); net.c
 * then decodes the inner packet with its own IP and link decoders, so this
 * file is a leaf that knows no IP.
 *
 *   IP protocol 4 / 41   IPv4 / IPv6 in IP (RFC 2003, RFC 2473, RFC 4213);
 *                        6to4 (RFC 3056) and ISATAP (RFC 5214) are told
 *                        apart from the inner addresses by net.c
 *   IP protocol 47       GRE (RFC 2784, keys and sequence numbers RFC 2890),
 *                        enhanced GRE v1 carrying PPP (PPTP, RFC 2637),
 *                        transparent Ethernet bridging, ERSPAN II/III,
 *                        Aruba's 0x8200-0x8320 (an access point's clients'
 *                        802.11 frames on their way to the controller)
 *   UDP 4754             GRE in UDP (RFC 8086)
 *   UDP 4789, 8472       VXLAN (RFC 7348; 8472 is Linux's historical port)
 *   UDP 4790             VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe)
 *   UDP 2152             GTP-U G-PDU (3GPP TS 29.281 5.1, extension headers)
 *   UDP 6081             Geneve (RFC 8926: options skipped; cloud load
 *                        balancers that steer flows through appliances
 *                        hand those appliances Geneve)
 *   UDP 3544 / heuristic Teredo (RFC 4380 5.1.1: authentication and origin
 *                        indication headers, then IPv6)
 *
 * Teredo also runs on ports other than 3544 between a client and its relay;
 * such a datagram is taken as Teredo only when it holds exactly one IPv6
 * packet (payload length + 40 = the UDP payload) to or from the Teredo
 * prefix 2001::/32, so ordinary UDP is never mistaken for it.
 */
#include "net/encap.h"

#include <stdio.h>
#include <string.h>

#include "util/rd.h"

const char *
dt_encap_name(int kind)
{
	static const char *const names[DT_ENCAP_MAX] = {
		[DT_ENCAP_NONE] = "none",
		[DT_ENCAP_IPIP] = "IP-in-IP",
		[DT_ENCAP_6IN4] = "6in4",
		[DT_ENCAP_6TO4] = "6to4",
		[DT_ENCAP_ISATAP] = "ISATAP",
		[DT_ENCAP_IP6IP6] = "IPv6-in-IPv6",
		[DT_ENCAP_GRE] = "GRE",
		[DT_ENCAP_PPTP] = "PPTP (GRE v1)",
		[DT_ENCAP_VXLAN] = "VXLAN",
		[DT_ENCAP_GTPU] = "GTP-U",
		[DT_ENCAP_TEREDO] = "Teredo",
		[DT_ENCAP_GENEVE] = "Geneve",
	};

	if (kind <= DT_ENCAP_NONE || kind >= DT_ENCAP_MAX)
		return "none";
	return names[kind];
}

void
dt_encap_endpoint(const struct dt_addr *a, uint16_t port, char *out, size_t outlen)
{
	char buf[DT_ENCAP_ENDPOINTS_LEN];
	size_t n;

	dt_addr_format(a, port, buf, sizeof buf);
	if (port == 0 && (n = strlen(buf)) > 2) {
		/* dt_addr_format wrote "a:0" or "[a]:0" */
		buf[n - 2] = '\0';
		if (buf[0] == '[') {
			buf[n - 3] = '\0';
			memmove(buf, buf + 1, n - 3);
		}
	}
	snprintf(out, outlen, "%s", buf);
}

void
dt_encap_endpoints(const struct dt_encap_count *e, char *out, size_t outlen)
{
	char a[DT_ENCAP_ENDPOINTS_LEN], b[DT_ENCAP_ENDPOINTS_LEN];

	dt_encap_endpoint(&e->src, e->sport, a, sizeof a);
	dt_encap_endpoint(&e->dst, e->dport, b, sizeof b);
	snprintf(out, outlen, "%s -> %s", a, b);
}

/* The IP version nibble of what follows, as an inner kind. */
static int
by_version(const struct rd *r)
{
	if (r->n < 1)
		return DT_INNER_NONE;
	switch (r->p[0] >> 4) {
	case 4:
		return DT_INNER_IP4;
	case 6:
		return DT_INNER_IP6;
	default:
		return DT_INNER_NONE;
	}
}

/* What an EtherType names, for the tunnels whose header carries one (GRE,
 * Geneve): IPv4, IPv6 or a bridged Ethernet frame. The inner decoders
 * check the packet itself. */
static int
by_ethertype(uint16_t type)
{
	switch (type) {
	case 0x0800:
		return DT_INNER_IP4;
	case 0x86dd:
		return DT_INNER_IP6;
	case 0x6558:
		return DT_INNER_ETHER;
	default:
		return DT_INNER_NONE;
	}
}

/* RFC 1661 2 inside enhanced GRE: optional address/control 0xff 0x03, then
 * the protocol, one byte when compressed (low bit set). */
static int
pptp_ppp(struct rd *r)
{
	uint16_t proto;

	if (r->n >= 2 && r->p[0] == 0xff && r->p[1] == 0x03)
		rd_skip(r, 2);
	proto = rd_u8(r);
	if ((proto & 1) == 0)
		proto = (uint16_t)(proto << 8 | rd_u8(r));
	if (r->bad)
		return DT_INNER_NONE;
	if (proto == 0x0021)
		return DT_INNER_IP4;
	if (proto == 0x0057)
		return DT_INNER_IP6;
	return DT_INNER_NONE;	/* LCP, MPPE-compressed or encrypted data */
}

/* RFC 2784 2.1 / RFC 2890 2 / RFC 2637 4.1. */
static int
gre(struct rd *r, int *kind)
{
	uint16_t fv, proto;
	unsigned ver;

	fv = rd_u16(r);
	proto = rd_u16(r);
	if (r->bad)
		return DT_INNER_NONE;
	ver = fv & 7;
	if (ver == 1) {
		/* enhanced GRE: key (payload length, call id) always,
		   sequence and acknowledgment numbers when flagged */
		if (proto != 0x880b || (fv & 0x2000) == 0)
			return DT_INNER_NONE;
		rd_skip(r, 4);
		if (fv & 0x1000)
			rd_skip(r, 4);
		if (fv & 0x0080)
			rd_skip(r, 4);
		*kind = DT_ENCAP_PPTP;
		return r->bad ? DT_INNER_NONE : pptp_ppp(r);
	}
	if (ver != 0 || (fv & 0x4000))	/* RFC 1701 source routing */
		return DT_INNER_NONE;
	if (fv & 0x8000)
		rd_skip(r, 4);		/* checksum, reserved1 */
	if (fv & 0x2000)
		rd_skip(r, 4);		/* key */
	if (fv & 0x1000)
		rd_skip(r, 4);		/* sequence number */
	if (r->bad)
		return DT_INNER_NONE;
	*kind = DT_ENCAP_GRE;
	switch (proto) {
	case 0x0800:
	case 0x86dd:
	case 0x6558:			/* transparent Ethernet bridging */
		return by_ethertype(proto);
	case 0x88be:			/* ERSPAN type II: 8-byte header */
		if (fv & 0x1000) {
			rd_skip(r, 8);
			return r->bad ? DT_INNER_NONE : DT_INNER_ETHER;
		}
		return DT_INNER_NONE;
	case 0x22eb: {			/* ERSPAN type III: 12 bytes + O */
		uint8_t o;

		if (r->n < 12)
			return DT_INNER_NONE;
		o = r->p[11] & 1;
		rd_skip(r, 12 + (o ? 8u : 0u));
		return r->bad ? DT_INNER_NONE : DT_INNER_ETHER;
	}
	case 0x883e:			/* WCCP redirect header, then IPv4 */
		rd_skip(r, 4);
		return r->bad ? DT_INNER_NONE : by_version(r);
	default:
		/* Aruba: the types Wireshark's and Zeek's GRE tables hand to
		   their 802.11 decoders, 0x8200 to 0x8320 in steps of 0x10 */
		if (proto >= 0x8200 && proto <= 0x8320 && (proto & 0xf) == 0)
			return DT_INNER_80211;
		return DT_INNER_NONE;
	}
}

int
dt_encap_ip(uint8_t proto, int outer_family, struct rd *r, int *kind)
{
	*kind = DT_ENCAP_NONE;
	switch (proto) {
	case 4:
		*kind = DT_ENCAP_IPIP;
		return by_version(r) == DT_INNER_IP4 ? DT_INNER_IP4 :
		    DT_INNER_NONE;
	case 41:
		*kind = outer_family == 4 ? DT_ENCAP_6IN4 : DT_ENCAP_IP6IP6;
		return by_version(r) == DT_INNER_IP6 ? DT_INNER_IP6 :
		    DT_INNER_NONE;
	case 47:
		return gre(r, kind);
	default:
		return DT_INNER_NONE;
	}
}

/* RFC 7348 5: flags with the I bit, 24 reserved bits, VNI, 8 reserved. */
static int
vxlan(struct rd *r)
{
	uint8_t flags = rd_u8(r);

	rd_skip(r, 7);
	if (r->bad || (flags & 0x08) == 0)
		return DT_INNER_NONE;
	return DT_INNER_ETHER;
}

/* VXLAN-GPE: flags (I and P), 16 reserved, next protocol, VNI, reserved. */
static int
vxlan_gpe(struct rd *r)
{
	uint8_t flags = rd_u8(r), next;

	rd_skip(r, 2);
	next = rd_u8(r);
	rd_skip(r, 4);
	if (r->bad || (flags & 0x08) == 0)
		return DT_INNER_NONE;
	switch ((flags & 0x04) ? next : 3) {
	case 1:
		return DT_INNER_IP4;
	case 2:
		return DT_INNER_IP6;
	case 3:
		return DT_INNER_ETHER;
	default:
		return DT_INNER_NONE;
	}
}

/* RFC 8926 3.4: version 0 and the options' length in 4-byte words, the O
 * (control) and C flags, the protocol type (an EtherType), VNI, reserved;
 * then the options. A control message carries no user packet. */
static int
geneve(struct rd *r)
{
	uint8_t vl = rd_u8(r), flags = rd_u8(r);
	uint16_t type = rd_u16(r);

	rd_skip(r, 4 + (size_t)(vl & 0x3f) * 4);
	if (r->bad || vl >> 6 != 0 || (flags & 0x80) != 0)
		return DT_INNER_NONE;
	return by_ethertype(type);
}

/* 3GPP TS 29.281 5.1: version 1, PT 1, message type 255 (G-PDU); the
 * optional sequence/N-PDU/next-extension word when E, S or PN is set, then
 * extension headers (length in 4-byte units, the last byte names the next
 * one), then the user's IP packet. */
static int
gtpu(struct rd *r)
{
	uint8_t flags, type, next;
	unsigned i;

	flags = rd_u8(r);
	type = rd_u8(r);
	rd_skip(r, 6);			/* length, TEID */
	if (r->bad || flags >> 5 != 1 || (flags & 0x10) == 0 || type != 255)
		return DT_INNER_NONE;
	if ((flags & 0x07) == 0)
		return by_version(r);
	rd_skip(r, 3);
	next = rd_u8(r);
	for (i = 0; next != 0 && i < 8; i++) {
		uint8_t words = rd_u8(r);

		if (r->bad || words == 0)
			return DT_INNER_NONE;
		rd_skip(r, (size_t)words * 4 - 2);
		next = rd_u8(r);
	}
	if (r->bad || next != 0)
		return DT_INNER_NONE;
	return by_version(r);
}

/* RFC 4380 5.1.1: an authentication indicator (0x0001, id and auth
 * lengths, client id, auth value, 8-byte nonce, confirmation byte) and/or
 * an origin indication (0x0000, obfuscated port and address), then IPv6. */
static int
teredo(struct rd *r)
{
	if (r->n >= 4 && r->p[0] == 0 && r->p[1] == 1) {
		uint8_t idl, aul;

		rd_skip(r, 2);
		idl = rd_u8(r);
		aul = rd_u8(r);
		rd_skip(r, (size_t)idl + aul + 9);
	}
	if (r->n >= 8 && r->p[0] == 0 && r->p[1] == 0)
		rd_skip(r, 8);
	if (r->bad || by_version(r) != DT_INNER_IP6 || r->n < 40)
		return DT_INNER_NONE;
	return DT_INNER_IP6;
}

/* One IPv6 packet exactly filling the datagram, to or from 2001::/32. */
static int
teredo_shaped(const struct rd *r)
{
	const uint8_t *p = r->p;
	size_t plen;

	if (r->n < 40 || p[0] >> 4 != 6)
		return 0;
	plen = (size_t)p[4] << 8 | p[5];
	if (plen + 40 != r->n)
		return 0;
	return (p[8] == 0x20 && p[9] == 0x01 && p[10] == 0 && p[11] == 0) ||
	    (p[24] == 0x20 && p[25] == 0x01 && p[26] == 0 && p[27] == 0);
}

/* The tunnel a UDP port names, read from *r (taken on success); its
   kind in *kind. DT_INNER_NONE, *r and *kind untouched, when none. */
static int
udp_port(uint16_t port, struct rd *r, int *kind)
{
	struct rd t = *r;
	int inner, k = DT_ENCAP_NONE;

	switch (port) {
	case 4754:
		inner = gre(&t, &k);
		break;
	case 4789:
	case 8472:
		inner = vxlan(&t);
		k = DT_ENCAP_VXLAN;
		break;
	case 4790:
		inner = vxlan_gpe(&t);
		k = DT_ENCAP_VXLAN;
		break;
	case 2152:
		inner = gtpu(&t);
		k = DT_ENCAP_GTPU;
		break;
	case 6081:
		inner = geneve(&t);
		k = DT_ENCAP_GENEVE;
		break;
	case 3544:
		inner = teredo(&t);
		k = DT_ENCAP_TEREDO;
		break;
	default:
		return DT_INNER_NONE;
	}
	if (inner != DT_INNER_NONE) {
		*r = t;
		*kind = k;
	}
	return inner;
}

int
dt_encap_udp(uint16_t sport, uint16_t dport, struct rd *r, int *kind)
{
	int inner;

	*kind = DT_ENCAP_NONE;
	/* udp_port()'s ports are from 2152 to 8472: DNS and the ephemeral
	   ports, most datagrams, are told in one test each */
	if ((unsigned)dport - 2152 <= 8472 - 2152 &&
	    (inner = udp_port(dport, r, kind)) != DT_INNER_NONE)
		return inner;
	if ((unsigned)sport - 2152 <= 8472 - 2152 &&
	    (inner = udp_port(sport, r, kind)) != DT_INNER_NONE)
		return inner;
	if (teredo_shaped(r)) {
		*kind = DT_ENCAP_TEREDO;
		return DT_INNER_IP6;
	}
	return DT_INNER_NONE;
}
