/*
 * Fuzz target for capture/xpress, the MS-XCA Plain LZ77 decompressor: the
 * first two bytes choose the output cap (up to 64 KiB), the rest is the
 * compressed stream. The decompressor must never write past the cap (ASan
 * watches a heap buffer of exactly that size) and, on success, report a
 * length inside it; the same stream decompressed twice gives the same
 * result and the same bytes.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/xpress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap, n = 0, n2 = 0;
	uint8_t *out, *out2;
	int rc, rc2;

	if (size < 2)
		return 0;
	cap = (size_t)data[0] | (size_t)data[1] << 8;
	out = malloc(cap ? cap : 1);
	out2 = malloc(cap ? cap : 1);
	if (out == NULL || out2 == NULL) {
		free(out);
		free(out2);
		return 0;
	}
	rc = dt_xpress_decompress(data + 2, size - 2, out, cap, &n);
	if (rc == 0)
		assert(n <= cap);
	rc2 = dt_xpress_decompress(data + 2, size - 2, out2, cap, &n2);
	assert(rc == rc2);
	if (rc == 0)
		assert(n == n2 && memcmp(out, out2, n) == 0);
	free(out);
	free(out2);
	return 0;
}
