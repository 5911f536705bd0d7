/*
 * tunnel/: the IP-HTTPS entity bodies as streams of IPv6 packets.
 *
 * MS-IPHTTPS 3.1.5.3 (client) and 3.2.5.2.2 (server): after the POST and
 * its answer, each direction's HTTP entity body is a byte stream of IPv6
 * packets delimited only by the Payload Length of their IPv6 header; bytes
 * that are not IPv6 are a protocol error. tls/ hands the NULL-cipher
 * plaintext that follows the HTTP heads to this stage (a body sink); each
 * inner packet is decoded with net/ (link type 229, raw IPv6) and recorded
 * as facts in c->tunnel (facts.h, struct dt_tunnel_facts): counts per
 * direction, framing errors, router discovery (RFC 4861), IKEv1 / AuthIP /
 * IKEv2 per peer (RFC 2408, MS-AIPS, RFC 7296), ESP per SPI (RFC 4303) and
 * DNS outside IPsec (RFC 1035). No verdicts here.
 *
 * Memory: per direction at most the first DT_TUN_HEAD bytes of a packet
 * that spans plaintext chunks are buffered (the whole packet, up to
 * 40 + 65535 bytes, when inner packets are exported); the rest of a packet
 * is skipped by its length. A framing error ends that direction's reading.
 * Inner IPv6 fragments are reassembled by one net/ decoder per context
 * (its own byte cap), shared by every tunnel of the analyzer.
 */
#ifndef DT_TUNNEL_H
#define DT_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "facts/facts.h"
#include "util/mem.h"

#define DT_TUN_HEAD	2048		/* bytes of a split packet kept */
#define DT_TUN_FRAG_CAP	((size_t)1 << 20)

/* One inner packet, for export: the whole IPv6 packet, the outer frame
   that completed it and its time. p is valid during the call only. */
typedef void (*dt_tun_packet_fn)(void *payload, const struct dt_conn *c,
    int dir, uint64_t frame, int64_t time, const uint8_t *p, size_t n);

struct dt_tunnel_ctx;
struct dt_tunnel;

/* fn may be NULL (no export). Returns 0 or DT_ENOMEM. */
int dt_tunnel_ctx_new(struct dt_tunnel_ctx **out, struct dt_mem *m,
    dt_tun_packet_fn fn, void *payload);
void dt_tunnel_ctx_free(struct dt_tunnel_ctx *x);

/* A decoder for connection c; allocates c->tunnel (when not yet there).
   NULL when memory failed. */
struct dt_tunnel *dt_tunnel_new(struct dt_tunnel_ctx *x, struct dt_conn *c);

/* Plaintext body bytes of one direction, in order, with the outer frame
   that carried (completed) them. Returns 1 to keep receiving this
   direction, 0 once it cannot be read any further (framing error, gap,
   memory). */
int dt_tunnel_data(struct dt_tunnel *t, struct dt_conn *c, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time);

/* The stream lost bytes here (TCP gap): that direction stops. */
void dt_tunnel_gap(struct dt_tunnel *t, struct dt_conn *c, int dir,
    uint64_t frame);

/* The connection ended: outstanding requests become unanswered; t is
   freed. c->tunnel stays (the conn owns it). c NULL: only free t. */
void dt_tunnel_end(struct dt_tunnel *t, struct dt_conn *c);

/* Bytes buffered now (both directions). */
size_t dt_tunnel_buffered(const struct dt_tunnel *t);

/* Names for the writers: NULL when unknown. */
const char *dt_tun_ike_exchange_name(uint8_t version, uint8_t type);
const char *dt_tun_ike_notify_name(uint8_t version, uint16_t type);

#endif
