/*
 * The one bounds-checked reader for untrusted bytes.
 *
 * A struct rd is a cursor and the length that remains. Reads past the end
 * set the sticky `bad` flag and return 0, so a decoder reads a whole
 * structure and checks `bad` once. Lengths are compared, a pointer is never
 * advanced past the end (p + k with k > n is undefined behaviour).
 * Length-prefixed vectors become sub-readers (rd_vec8/16/24) that cannot run
 * past their own end; rd_close() checks that one was consumed exactly.
 * In the spirit of BoringSSL's CBS and tcpdump's GET_ macros.
 */
#ifndef DT_UTIL_RD_H
#define DT_UTIL_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t n;
	int bad;
};

static inline struct rd
rd_make(const void *p, size_t n)
{
	struct rd r = { (const uint8_t *)p, n, 0 };
	if (p == NULL)
		r.n = 0;
	return r;
}

static inline int
rd_need(struct rd *r, size_t k)
{
	if (r->bad || k > r->n) {
		r->bad = 1;
		r->n = 0;
		return 0;
	}
	return 1;
}

static inline void
rd_skip(struct rd *r, size_t k)
{
	if (rd_need(r, k)) {
		r->p += k;
		r->n -= k;
	}
}

/* A view of the next k bytes (NULL and bad when short). */
static inline const uint8_t *
rd_bytes(struct rd *r, size_t k)
{
	const uint8_t *q;

	if (!rd_need(r, k))
		return NULL;
	q = r->p;
	r->p += k;
	r->n -= k;
	return q;
}

static inline int
rd_copy(struct rd *r, void *dst, size_t k)
{
	const uint8_t *q = rd_bytes(r, k);

	if (q == NULL)
		return 0;
	memcpy(dst, q, k);
	return 1;
}

/* The big-endian numbers at q, in bytes already checked (rd_bytes() gave
   them): a fixed part read whole takes one bounds check, not one a field. */
static inline uint16_t
rd_be16(const uint8_t *q)
{
	return (uint16_t)(q[0] << 8 | q[1]);
}

static inline uint32_t
rd_be32(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
	    (uint32_t)q[2] << 8 | q[3];
}

static inline uint8_t
rd_u8(struct rd *r)
{
	const uint8_t *q = rd_bytes(r, 1);
	return q ? q[0] : 0;
}

static inline uint16_t
rd_u16(struct rd *r)
{
	const uint8_t *q = rd_bytes(r, 2);
	return q ? rd_be16(q) : 0;
}

static inline uint32_t
rd_u24(struct rd *r)
{
	const uint8_t *q = rd_bytes(r, 3);
	return q ? (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2] : 0;
}

static inline uint32_t
rd_u32(struct rd *r)
{
	const uint8_t *q = rd_bytes(r, 4);
	return q ? rd_be32(q) : 0;
}

static inline uint64_t
rd_u64(struct rd *r)
{
	uint64_t hi = rd_u32(r);
	return hi << 32 | rd_u32(r);
}

static inline uint16_t
rd_u16le(struct rd *r)
{
	const uint8_t *q = rd_bytes(r, 2);
	return q ? (uint16_t)(q[1] << 8 | q[0]) : 0;
}

static inline uint32_t
rd_u32le(struct rd *r)
{
	const uint8_t *q = rd_bytes(r, 4);
	return q ? (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 |
	    (uint32_t)q[1] << 8 | q[0] : 0;
}

static inline uint64_t
rd_u64le(struct rd *r)
{
	uint64_t lo = rd_u32le(r);
	return (uint64_t)rd_u32le(r) << 32 | lo;
}

/* A sub-reader over the next k bytes; the parent moves past them. */
static inline struct rd
rd_sub(struct rd *r, size_t k)
{
	struct rd s = { NULL, 0, 1 };
	const uint8_t *q = rd_bytes(r, k);

	if (q != NULL) {
		s.p = q;
		s.n = k;
		s.bad = 0;
	}
	return s;
}

static inline struct rd rd_vec8(struct rd *r) { return rd_sub(r, rd_u8(r)); }
static inline struct rd rd_vec16(struct rd *r) { return rd_sub(r, rd_u16(r)); }
static inline struct rd rd_vec24(struct rd *r) { return rd_sub(r, rd_u24(r)); }

/* A vector must be consumed exactly: leftovers or a short read mark the
 * parent bad. Returns 1 when all is well. */
static inline int
rd_close(struct rd *parent, const struct rd *sub)
{
	if (sub->bad || sub->n != 0)
		parent->bad = 1;
	return !parent->bad;
}

static inline int
rd_ok(const struct rd *r)
{
	return !r->bad;
}

#endif
