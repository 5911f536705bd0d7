/*
 * net/ipfrag: IPv4 and IPv6 fragment reassembly for the net/ decoder.
 *
 * Datagrams in progress are keyed (family, src, dst, id, proto) as RFC 791
 * 3.2 and RFC 8200 4.5 say (IPv6 leaves the protocol out of the key: only
 * the offset-zero fragment's Next Header counts). Received byte ranges are
 * kept per datagram; where fragments overlap the first copy wins (RFC 5722
 * would drop the datagram; keeping the first copy is what a passive observer
 * of a host that accepted it can do best). Limits: bytes held (frag_cap),
 * datagrams in progress (IPFRAG_MAX_DGRAMS), ranges per datagram, a
 * datagram ends at 65535 bytes, and a timeout in capture time. Everything
 * dropped is counted in fragments.
 */
#ifndef DT_NET_IPFRAG_H
#define DT_NET_IPFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

#define IPFRAG_MAX_DGRAMS	256
#define IPFRAG_MAX_RANGES	32		/* disjoint pieces per datagram */
#define IPFRAG_MAX_SIZE		65535u		/* bytes after the IP header */
#define IPFRAG_TIMEOUT_NS	(30 * (int64_t)1000000000)

struct ipfrag_key {
	uint8_t family;			/* 4 or 6 */
	uint8_t proto;			/* IPv4 protocol; 0 for IPv6 */
	uint32_t id;
	uint8_t src[16], dst[16];
};

struct ipfrag_dgram;

struct ipfrag {
	struct dt_mem *m;
	size_t cap;			/* bytes held, at most */
	size_t held;
	unsigned count;
	struct ipfrag_dgram *head, *tail;	/* oldest first */
	uint8_t *done;			/* last completed datagram */
	uint64_t dropped;		/* fragments */
};

enum ipfrag_result {
	IPFRAG_HELD = 1,		/* kept; datagram incomplete */
	IPFRAG_DONE,			/* datagram complete: *out, *outlen */
	IPFRAG_DROPPED,			/* refused for a cap; counted */
	IPFRAG_BAD,			/* inconsistent datagram dropped; *why */
	IPFRAG_NOMEM,			/* allocation refused; counted */
};

void ipfrag_init(struct ipfrag *f, struct dt_mem *m, size_t cap);
void ipfrag_fini(struct ipfrag *f);

/* Release the previous completed datagram and drop datagrams older than
 * the timeout at capture time `now` (ns). */
void ipfrag_tick(struct ipfrag *f, int64_t now);

/*
 * Add the fragment data[0..len) at byte offset `off`; `more` is the MF / M
 * flag; `nh` is the IPv6 Next Header of this fragment (kept from the
 * offset-zero one). On IPFRAG_DONE *out (valid until the next
 * ipfrag_tick/ipfrag_fini) holds *outlen bytes and *out_nh the offset-zero
 * Next Header.
 */
int ipfrag_add(struct ipfrag *f, const struct ipfrag_key *k, int64_t now,
    uint32_t off, const uint8_t *data, uint32_t len, int more, uint8_t nh,
    const uint8_t **out, uint32_t *outlen, uint8_t *out_nh,
    const char **why);

#endif
