/*
 * Tunnel headers (encap.c): one decoder per tunnel, each reading its own
 * header and leaving the reader at the inner packet. net.c calls these from
 * its IP and UDP decoders and decodes what follows itself.
 */
#ifndef DT_NET_ENCAP_H
#define DT_NET_ENCAP_H

#include <stddef.h>
#include <stdint.h>

#include "facts/facts.h"	/* enum dt_encap */

struct rd;

/* What follows a tunnel header. */
enum dt_inner {
	DT_INNER_NONE = 0,	/* not this tunnel, or a payload we do not read */
	DT_INNER_IP4,
	DT_INNER_IP6,
	DT_INNER_ETHER,
	DT_INNER_80211,		/* an 802.11 frame without FCS (Aruba GRE) */
};

/* IP protocol 4, 41 or 47 over an outer IPv`outer_family` header. Sets
 * *kind to the tunnel (even when the payload is not read) and returns what
 * follows; on DT_INNER_NONE the reader's position is unspecified. */
int dt_encap_ip(uint8_t proto, int outer_family, struct rd *r, int *kind);

/* A UDP payload between these ports: VXLAN, VXLAN-GPE, GTP-U, Geneve,
 * Teredo.
 * Returns DT_INNER_NONE, *kind DT_ENCAP_NONE and *r untouched, when it
 * is none of them. */
int dt_encap_udp(uint16_t sport, uint16_t dport, struct rd *r, int *kind);

/* "GRE", "Teredo", ...; "none" for anything else. */
const char *dt_encap_name(int kind);

/* One tunnel end: "192.0.2.1:3544" over UDP, the bare address (port 0)
   right over IP. */
void dt_encap_endpoint(const struct dt_addr *a, uint16_t port, char *out,
    size_t outlen);

/* "10.0.0.1:40000 -> 192.0.2.1:3544" (UDP tunnels) or "10.0.0.1 ->
   192.0.2.1": the first tunnelled packet's outer endpoints. */
#define DT_ENCAP_ENDPOINTS_LEN 64
void dt_encap_endpoints(const struct dt_encap_count *e, char *out,
    size_t outlen);

#endif
