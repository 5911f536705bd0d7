/*
 * A table of 256 bytes made at compile time from a macro F(c), c the
 * byte's value: for the per-byte questions of a hot loop (lower-case a
 * DNS name, is this a byte of a text line), one load a byte instead of
 * the comparisons. F must be an expression of its argument only.
 *
 *	#define LOWER(c) ((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c))
 *	static const uint8_t lower[256] = DT_BYTE_TABLE(LOWER);
 */
#ifndef DT_UTIL_BYTETAB_H
#define DT_UTIL_BYTETAB_H

#include <stdint.h>

#define DT_BT_1(F, c)	((uint8_t)(F(c)))
#define DT_BT_4(F, c)	DT_BT_1(F, c), DT_BT_1(F, (c) + 1), \
			DT_BT_1(F, (c) + 2), DT_BT_1(F, (c) + 3)
#define DT_BT_16(F, c)	DT_BT_4(F, c), DT_BT_4(F, (c) + 4), \
			DT_BT_4(F, (c) + 8), DT_BT_4(F, (c) + 12)
#define DT_BT_64(F, c)	DT_BT_16(F, c), DT_BT_16(F, (c) + 16), \
			DT_BT_16(F, (c) + 32), DT_BT_16(F, (c) + 48)
#define DT_BYTE_TABLE(F) \
	{ DT_BT_64(F, 0), DT_BT_64(F, 64), DT_BT_64(F, 128), DT_BT_64(F, 192) }

#endif
