/*
 * UTF-8 (RFC 3629 4: what is well-formed), once for the library: see
 * utf8.h.
 */
#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

#include "util/rd.h"

size_t
dt_utf8_encode(uint32_t c, char b[4])
{
	if (c < 0x80) {
		b[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | c >> 18);
	b[1] = (char)(0x80 | (c >> 12 & 0x3f));
	b[2] = (char)(0x80 | (c >> 6 & 0x3f));
	b[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

size_t
dt_utf8_next(const char *s, size_t n, uint32_t *cp)
{
	struct rd r = rd_make(s, n);
	uint8_t b0, b, lo = 0x80, hi = 0xBF;
	uint32_t v;
	size_t len, i;

	b0 = rd_u8(&r);
	if (r.bad)
		return 0;
	if (b0 < 0x80) {
		*cp = b0;
		return 1;
	}
	if (b0 >= 0xC2 && b0 <= 0xDF) {
		len = 2;
		v = b0 & 0x1F;
	} else if (b0 >= 0xE0 && b0 <= 0xEF) {
		len = 3;
		v = b0 & 0x0F;
		if (b0 == 0xE0)
			lo = 0xA0;	/* overlong */
		else if (b0 == 0xED)
			hi = 0x9F;	/* surrogates */
	} else if (b0 >= 0xF0 && b0 <= 0xF4) {
		len = 4;
		v = b0 & 0x07;
		if (b0 == 0xF0)
			lo = 0x90;	/* overlong */
		else if (b0 == 0xF4)
			hi = 0x8F;	/* past U+10FFFF */
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		b = rd_u8(&r);
		if (r.bad || b < lo || b > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
		v = v << 6 | (b & 0x3F);
	}
	*cp = v;
	return len;
}

size_t
dt_utf8_clean(const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0, k;
	uint32_t cp;

	while (i < n) {
		k = dt_utf8_next(in + i, n - i, &cp);
		if (k == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);	/* U+FFFD */
			o += 3;
			i++;
		} else {
			memcpy(out + o, in + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	return o;
}

char *
dt_utf8_dup(struct dt_mem *m, const char *s)
{
	size_t n = strlen(s);
	char *out;

	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	out = dt_malloc(m, 3 * n + 1);
	if (out == NULL)
		return NULL;
	dt_utf8_clean(s, n, out);
	return out;
}

/*
 * One pass, no strlen(): ASCII bytes are stepped over, and a sequence is
 * read with at most 4 bytes of room: dt_utf8_next() stops at the first
 * byte that does not continue it, the NUL included, so it never reads
 * past the end of s.
 */
int
dt_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;
	uint32_t cp;

	if (s == NULL)
		return 1;
	for (;;) {
		while (*p != 0 && *p < 0x80)
			p++;
		if (*p == 0)
			return 1;
		k = dt_utf8_next((const char *)p, 4, &cp);
		if (k == 0)
			return 0;
		p += k;
	}
}

void
dt_utf8_patch(char *s)
{
	size_t n = strlen(s), i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = dt_utf8_next(s + i, n - i, &cp);
		if (k == 0) {
			s[i] = '?';
			k = 1;
		}
		i += k;
	}
}

size_t
dt_utf8_count(const char *s, size_t n)
{
	size_t i = 0, k, cps = 0;
	uint32_t cp;

	while (i < n) {
		k = dt_utf8_next(s + i, n - i, &cp);
		i += k ? k : 1;
		cps++;
	}
	return cps;
}

int
dt_utf8_unsafe_cp(uint32_t cp)
{
	return (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7f ||
	    (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0xfeff;
}

/* East Asian wide and fullwidth blocks (UAX #11, W and F). */
static const uint32_t wide[][2] = {
	{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff },
	{ 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
	{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe30, 0xfe4f },
	{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
	{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

size_t
dt_utf8_cp_width(uint32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			return 2;
	return 1;
}

/* One code point: its byte length and columns (a bad byte: 1 and 1). */
static inline size_t
next_cols(const char *s, size_t n, size_t *cols)
{
	uint32_t cp;
	size_t k;

	if ((unsigned char)s[0] < 0x80) {	/* ASCII: one column */
		*cols = 1;
		return 1;
	}
	k = dt_utf8_next(s, n, &cp);

	if (k == 0) {
		*cols = 1;
		return 1;
	}
	*cols = dt_utf8_cp_width(cp);
	return k;
}

size_t
dt_utf8_width(const char *s, size_t n)
{
	size_t i = 0, w = 0, c;

	while (i < n) {
		i += next_cols(s + i, n - i, &c);
		w += c;
	}
	return w;
}

size_t
dt_utf8_cols_bytes(const char *s, size_t n, size_t cols)
{
	size_t i = 0, k, c, used = 0;

	while (i < n) {
		k = next_cols(s + i, n - i, &c);
		if (used + c > cols && i > 0)
			break;
		used += c;
		i += k;
	}
	return i;
}
