/*
 * Fuzz target for capture/xpress, the MS-XCA Plain LZ77 decompressor: the
 * first two bytes choose the output cap (up to 64 KiB), the rest is the
 * compressed stream. The decompressor must never write past the cap (ASan
 * watches a heap buffer of exactly that size) and, on success, report a
 * length inside it.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "capture/xpress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap, n = 0;
	uint8_t *out;

	if (size < 2)
		return 0;
	cap = (size_t)data[0] | (size_t)data[1] << 8;
	out = malloc(cap ? cap : 1);
	if (out == NULL)
		return 0;
	if (dt_xpress_decompress(data + 2, size - 2, out, cap, &n) == 0)
		assert(n <= cap);
	free(out);
	return 0;
}
