/*
 * Fuzz harness for dt_http_head_parse() (lib/proto/http_head.c): the whole input
 * and every prefix of its first 2 KiB, as a stream would show them. A head
 * that is complete in a prefix must be complete, the same length, in the
 * whole; nothing may stay allocated.
 */
#include <stdint.h>
#include <stdlib.h>

#include "proto/http_head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
parse(struct dt_mem *m, const uint8_t *p, size_t n, size_t *used)
{
	struct dt_http_msg h;
	int req, rc;

	rc = dt_http_head_parse(m, p, n, &h, &req, used);
	if (rc == 1) {
		if (h.line == NULL || *used == 0 || *used > n)
			abort();
		dt_free(m, h.line);
		dt_free(m, h.host);
		dt_free(m, h.server);
		dt_free(m, h.content_length);
	}
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_mem m;
	size_t k, used, whole_used = 0, lim = size < 2048 ? size : 2048;
	int whole;

	dt_mem_init(&m, NULL, NULL, 0);
	whole = parse(&m, data, size, &whole_used);
	for (k = 0; k < lim; k++) {
		int rc = parse(&m, data, k, &used);

		if (rc == 1 && (whole != 1 || used != whole_used))
			abort();
	}
	if (m.used != 0)
		abort();
	return 0;
}
