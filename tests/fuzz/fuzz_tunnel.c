/*
 * Fuzz harness for the IP-HTTPS inner stream (lib/tunnel/tunnel.c): the
 * input is both directions' bodies (first two bytes: where the client's
 * ends),
 * fed whole and then in chunks of 1..7 bytes with export on. Both runs
 * must count the same packets and bytes and find the same framing error
 * at the same offset; bytes never exceed what was fed; buffering stays
 * within one packet per direction; nothing may stay allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel/tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_packet(void *payload, const struct dt_conn *c, int dir, uint64_t frame,
    int64_t time, const uint8_t *p, size_t n)
{
	size_t *seen = payload;

	(void)c, (void)dir, (void)frame, (void)time;
	if (n < 40 || p[0] >> 4 != 6)
		abort();
	*seen += n;
}

static void
run(struct dt_mem *m, const uint8_t *data, size_t size, size_t split,
    int chunked, struct dt_conn *c, size_t *seen)
{
	struct dt_tunnel_ctx *x;
	struct dt_tunnel *t;
	size_t i, k;
	int dir;

	memset(c, 0, sizeof *c);
	c->tls = (struct dt_tls_facts *)&dt_tls_none;
	if (dt_tunnel_ctx_new(&x, m, chunked ? on_packet : NULL, seen) != 0)
		abort();
	if ((t = dt_tunnel_new(x, c)) == NULL)
		abort();
	for (dir = 0; dir < 2; dir++) {
		const uint8_t *p = dir == 0 ? data : data + split;
		size_t n = dir == 0 ? split : size - split;

		for (i = 0; i < n; i += k) {
			k = chunked ? 1 + (size_t)(p[i] % 7) : n;
			if (k > n - i)
				k = n - i;
			dt_tunnel_data(t, c, dir, p + i, k, i + 1, (int64_t)i);
			if (dt_tunnel_buffered(t) > 4 * (40 + 65535))
				abort();
		}
		if (c->tunnel->dir[dir].bytes > n)
			abort();
	}
	dt_tunnel_end(t, c);
	dt_tunnel_ctx_free(x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_mem m;
	struct dt_conn a, b;
	size_t split, seen = 0;
	int dir;

	if (size < 2)
		return 0;
	split = (size_t)data[0] << 8 | data[1];
	data += 2, size -= 2;
	if (split > size)
		split = size;
	dt_mem_init(&m, NULL, NULL, 0);
	run(&m, data, size, split, 0, &a, &seen);
	run(&m, data, size, split, 1, &b, &seen);
	for (dir = 0; dir < 2; dir++) {
		const struct dt_tun_dir *x = &a.tunnel->dir[dir],
		    *y = &b.tunnel->dir[dir];

		if (x->packets != y->packets || x->bytes != y->bytes ||
		    (x->error_frame != 0) != (y->error_frame != 0) ||
		    x->error_offset != y->error_offset)
			abort();
	}
	if (seen != b.tunnel->dir[0].bytes + b.tunnel->dir[1].bytes)
		abort();
	dt_tunnel_facts_free(&m, a.tunnel);
	dt_tunnel_facts_free(&m, b.tunnel);
	if (m.used != 0)
		abort();
	return 0;
}
