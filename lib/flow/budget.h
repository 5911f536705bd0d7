/*
 * flow/budget: the memory policy that flow/ and its sinks share, over the
 * capture's one struct dt_mem with its cap (flow.h says the policy in
 * words). Header only: every stage of flow/ and every sink weighs its
 * allocations with the same two questions.
 */
#ifndef DT_FLOW_BUDGET_H
#define DT_FLOW_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

/*
 * The memory policy that flow/ and its sinks share (see above). `buffered`
 * counts the bytes held in buffers that can be given back (reassembly,
 * a sink's partial message); a sink that keeps such bytes adds and
 * subtracts them here, so that facts are weighed without them.
 */
struct dt_flow_budget {
	struct dt_mem *m;
	size_t buffered;
};

/* What buffers leave of a capped m: an eighth of the cap, at least
   64 KiB. */
static inline size_t
dt_flow_reserve(const struct dt_mem *m)
{
	size_t reserve = m->cap / 8;

	return reserve < 65536 ? 65536 : reserve;
}

/* Room for n more bytes of buffers: the cap but dt_flow_reserve(). */
static inline int
dt_flow_buffer_room(const struct dt_flow_budget *b, size_t n)
{
	size_t room = dt_mem_room(b->m);

	if (b->m->cap == 0)
		return 1;
	return room >= n && room - n >= dt_flow_reserve(b->m);
}

/* Room for n more bytes of facts kept to the end of the capture
   (connections, DNS and HTTP records): half the cap, weighed without the
   buffers, so that a flood of facts leaves room for the live state. */
static inline int
dt_flow_fact_room(const struct dt_flow_budget *b, size_t n)
{
	const struct dt_mem *m = b->m;
	size_t used = m->used > b->buffered ? m->used - b->buffered : 0;

	if (m->cap == 0)
		return 1;
	return used + n <= m->cap - m->cap / 2;
}

/* The memory used below which both questions say yes to n bytes, for a
   caller that asks at every message (flow/dns.c): it compares m->used
   with the mark and asks the two only past it. The buffered bytes only
   add to the facts' room, so the mark depends on the cap alone: made
   again when the cap changes. SIZE_MAX without a cap; 0 when the cap
   is too small for n. */
static inline size_t
dt_flow_room_mark(const struct dt_mem *m, size_t n)
{
	size_t half = m->cap - m->cap / 2, reserve = dt_flow_reserve(m), lim;

	if (m->cap == 0)
		return SIZE_MAX;
	if (m->cap <= reserve)
		return 0;
	lim = half < m->cap - reserve ? half : m->cap - reserve;
	return lim > n ? lim - n : 0;
}

#endif
