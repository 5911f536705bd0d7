/*
 * net/: link layers -> IPv4/IPv6 (with fragment reassembly) -> TCP/UDP.
 *
 * dt_net_decode() turns one captured packet into a struct dt_l4 view: the
 * addresses, ports, TCP header fields and a pointer to the payload. Views
 * point into the packet (or, for a reassembled IP datagram, into a buffer of
 * the decoder valid until the next call); nothing is allocated per packet
 * except while collecting fragments, which is capped in bytes and count.
 *
 * Link types: Ethernet (1) with 802.1Q/802.1ad (any depth) and PPPoE
 * session, Linux SLL (113) and SLL2 (276), raw IP (101, 228, 229, 12/14 on
 * some systems), BSD NULL (0) and LOOP (108), PPP (9) when cheap.
 *
 * Tunnels (net/encap.c) are looked through: IP-in-IP, 6in4/6to4/ISATAP,
 * GRE (and PPTP's enhanced GRE), VXLAN, GTP-U, Geneve and Teredo, up to
 * DT_NET_MAX_ENCAP deep. The view is then the innermost packet's, and
 * `encaps` lists the tunnels it came through.
 */
#ifndef DT_NET_H
#define DT_NET_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "facts/facts.h"
#include "util/mem.h"

enum dt_l4_status {
	DT_L4_TCP = 1,
	DT_L4_UDP,
	DT_L4_OTHER_IP,		/* IP, but neither TCP nor UDP (ICMP, ...) */
	DT_L4_NOT_IP,		/* ARP, LLDP, ...: ignored */
	DT_L4_FRAGMENT,		/* a fragment held for reassembly */
	DT_L4_UNSUPPORTED_LINK,	/* link type we do not decode */
	DT_L4_MALFORMED,	/* headers did not parse; reason set */
	DT_L4_TRUNCATED,	/* snaplen cut the headers */
	DT_L4_PROTECTED_80211,	/* an 802.11 data frame encrypted on the air */
};

#define DT_TCP_FIN 0x01
#define DT_TCP_SYN 0x02
#define DT_TCP_RST 0x04
#define DT_TCP_PSH 0x08
#define DT_TCP_ACK 0x10
#define DT_TCP_URG 0x20
#define DT_TCP_ECE 0x40		/* RFC 3168; dt_l4.flags holds all 8 bits */
#define DT_TCP_CWR 0x80

struct dt_l4 {
	int status;			/* enum dt_l4_status */
	const char *reason;		/* static text when MALFORMED/TRUNCATED */
	struct dt_addr src, dst;
	uint8_t ttl;			/* IPv4 TTL / IPv6 hop limit */
	uint8_t proto;			/* 6, 17, ... */
	uint16_t sport, dport;

	/* TCP */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	uint8_t wscale;			/* 0xff: option absent */
	uint16_t mss;			/* 0: absent */
	int sack_ok;

	/* Payload: caplen bytes present at `payload`; `paylen` is the length
	   the IP/TCP headers say. paylen > caplen means snaplen cut it. */
	const uint8_t *payload;
	uint32_t caplen;
	uint32_t paylen;
	int fragmented;			/* reassembled from IP fragments */

	/* Tunnels the packet came through, outermost first (enum
	   dt_encap), and the innermost tunnel's own endpoints: for Teredo
	   the client and its server or relay. */
	uint8_t encaps[4];
	uint8_t n_encap;
	uint8_t encap_unread;		/* a tunnel whose payload we do not
					   read (PPTP's encrypted PPP, ...) */
	struct dt_addr tun_src, tun_dst;
	uint16_t tun_sport, tun_dport;	/* 0 for a tunnel right over IP */
};

#define DT_NET_MAX_ENCAP 4

struct dt_net;

/*
 * frag_cap: bytes held for IP reassembly in total (0: DT_NET_FRAG_CAP).
 * Returns 0 or DT_ENOMEM. Besides the byte cap, at most 256 datagrams are
 * in progress (the oldest goes first) and an incomplete one is dropped 30 s
 * of capture time after its first fragment; all counted in
 * dt_net_fragments_dropped(). A fragment that completes a datagram returns
 * its TCP/UDP view with `fragmented` set; the payload then points into a
 * buffer of the decoder valid until the next dt_net_decode()/dt_net_free().
 */
#define DT_NET_FRAG_CAP	((size_t)4 << 20)

int dt_net_new(struct dt_net **out, struct dt_mem *m, size_t frag_cap);
void dt_net_free(struct dt_net *n);

/* Decode one packet. Always fills out->status; never fails otherwise. */
void dt_net_decode(struct dt_net *n, const struct dt_packet *pkt,
    struct dt_l4 *out);

/* 1 when net/ decodes this link type. */
int dt_net_linktype_supported(int linktype);

/* Fragments dropped for the caps or timeouts, so far. */
uint64_t dt_net_fragments_dropped(const struct dt_net *n);

#endif
