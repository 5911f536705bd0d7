/*
 * Decimal digits for the writers' hot paths (times on every event, frame
 * numbers): eight digits in one 64-bit word, without a division by 10 per
 * digit ("SWAR": the word holds four, then eight lanes, each divided by a
 * multiplication and a shift that are exact in the lane's range).
 */
#ifndef DT_REPORT_DIGITS_H
#define DT_REPORT_DIGITS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The 8 ASCII digits of v < 10^8, zero-padded, as the bytes of a word in
 * memory order (the first digit in the lowest byte).
 */
static inline uint64_t
dt_digits8_word(uint32_t v)
{
	/* lanes of 32 bits: the upper four digits, the lower four */
	uint64_t x = (v / 10000) | (uint64_t)(v % 10000) << 32;
	/* x / 100 in each: (x * 5243) >> 19 is exact below 43699 */
	uint64_t h = ((x * 10486) >> 20) & 0x0000007F0000007FULL;
	/* lanes of 16 bits: two digits each, in order */
	uint64_t y = h | (x - h * 100) << 16;
	/* y / 10 in each: (y * 103) >> 10 is exact below 179 */
	uint64_t t = ((y * 103) >> 10) & 0x000F000F000F000FULL;

	/* tens in the lower byte of a lane, units in the upper */
	return (t | (y - t * 10) << 8) + 0x3030303030303030ULL;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define DT_DIGITS_SWAR	1
#endif

/* The 8 digits of v < 10^8 at p, zero-padded. */
static inline void
dt_digits8(char *p, uint32_t v)
{
#ifdef DT_DIGITS_SWAR
	uint64_t d = dt_digits8_word(v);

	memcpy(p, &d, 8);
#else
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
#endif
}

#ifdef DT_DIGITS_SWAR
/* The digits of 0 < v < 10^8 at p, their count: the eight digits of a
   word, the leading zeros shifted out, the word stored whole (p has room
   for 8). The first digit that is not '0' is the lowest byte of the
   digits' values that is not zero: v > 0, one is. */
static inline size_t
dt_dec8(char *p, uint32_t v)
{
	uint64_t t = dt_digits8_word(v);
	unsigned lead = (unsigned)__builtin_ctzll(t - 0x3030303030303030ULL) / 8;

	t >>= 8 * lead;
	memcpy(p, &t, 8);
	return 8 - lead;
}
#endif

/* "0x" and v in lower-case hex, at least width (1..16) digits, as
   "0x%0*" PRIx64 writes it, at p (room for 18, no NUL); the count. */
static inline size_t
dt_hex_u64(char *p, uint64_t v, unsigned width)
{
	static const char hex[] = "0123456789abcdef";
	unsigned n = 1, i;

	while (n < 16 && (v >> (4 * n)) != 0)
		n++;
	if (n < width)
		n = width;
	p[0] = '0';
	p[1] = 'x';
	for (i = 0; i < n; i++)
		p[2 + i] = hex[(v >> (4 * (n - 1 - i))) & 15];
	return 2 + n;
}

/* A time's fraction of a second, frac < 10^9 ns, at p: nothing when 0,
   else '.' and nine digits; past it. */
static inline char *
dt_dec_frac(char *p, uint32_t frac)
{
	if (frac == 0)
		return p;
	p[0] = '.';
	p[1] = (char)('0' + frac / 100000000);
	dt_digits8(p + 2, frac % 100000000);
	return p + 10;
}

/* The decimal digits of v at p (up to 20, no NUL; p has room for 20);
   their count. Below 10^8 (frame numbers, counts) dt_dec8(). */
static inline size_t
dt_dec_u64(char *p, uint64_t v)
{
	char d[20];
	size_t k = sizeof d;

#ifdef DT_DIGITS_SWAR
	if (v != 0 && v < 100000000)
		return dt_dec8(p, (uint32_t)v);
#endif

	do {
		d[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	memcpy(p, d + k, sizeof d - k);
	return sizeof d - k;
}

/* The same of a signed v (a '-' first when negative). */
static inline size_t
dt_dec_i64(char *p, int64_t v)
{
	if (v >= 0)
		return dt_dec_u64(p, (uint64_t)v);
	p[0] = '-';
	return 1 + dt_dec_u64(p + 1, 0 - (uint64_t)v);
}

#endif
