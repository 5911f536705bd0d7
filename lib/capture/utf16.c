/*
 * UTF-16LE strings of ETL events (logger, component and adapter names)
 * to UTF-8, cut at a character boundary; unpaired surrogates and control
 * characters become U+FFFD.
 */
#include "capture/etl_int.h"

#include <string.h>

#include "util/utf8.h"

/* The next UTF-16 unit, not consumed (the caller checked r->n >= 2). */
static uint32_t
peek16(const struct rd *r)
{
	struct rd q = *r;

	return rd_u16le(&q);
}

/* Append one code point as UTF-8 if it fits whole. */
static void
put_utf8(char *dst, size_t dstlen, size_t *len, uint32_t c)
{
	char b[4];
	size_t k = dt_utf8_encode(c, b);

	if (*len + k >= dstlen)
		return;
	memcpy(dst + *len, b, k);
	*len += k;
	dst[*len] = '\0';
}

/*
 * A NUL-terminated UTF-16LE string (the end of the data ends it too) into
 * dst as UTF-8, cut at a character boundary; unpaired surrogates and
 * control characters become U+FFFD. The reader moves past the string.
 */
void
dt_utf16z(struct rd *r, char *dst, size_t dstlen, size_t *len)
{
	uint32_t c, lo;

	while (r->n >= 2) {
		c = rd_u16le(r);
		if (c == 0)
			return;
		if (c >= 0xd800 && c < 0xdc00 && r->n >= 2 &&
		    peek16(r) >= 0xdc00 &&
		    peek16(r) < 0xe000) {
			lo = rd_u16le(r);
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
		} else if ((c >= 0xd800 && c < 0xe000) || c < 0x20 ||
		    c == 0x7f) {
			c = 0xfffd;
		}
		if (dst != NULL)
			put_utf8(dst, dstlen, len, c);
	}
	if (r->n == 1)
		rd_skip(r, 1);
}

