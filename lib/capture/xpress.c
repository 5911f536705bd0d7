/*
 * MS-XCA Plain LZ77 decompression, written from the public specification
 * ([MS-XCA] Xpress Compression Algorithm, 2.3 "Plain LZ77 Compression
 * Algorithm Details" and 2.4.4 "Decompression"). The input is a series
 * of 32-bit little-endian flag words, each followed by the 32 items it
 * describes, most significant bit first: a 0 bit is one literal byte, a 1
 * bit a 16-bit match (length in the low 3 bits, offset-1 in the high 13)
 * whose length may be extended by a shared half byte, a byte, a 16-bit and
 * a 32-bit field. The input ends where a match would be read with no
 * input left (or where a flag word or literal would be). Every read goes
 * through struct rd; every write is checked against the output cap.
 */
#include "capture/xpress.h"

#include "util/rd.h"

int
dt_xpress_decompress(const uint8_t *in, size_t in_len, uint8_t *out,
    size_t out_cap, size_t *out_len)
{
	struct rd r = rd_make(in, in_len);
	const uint8_t *half = NULL;	/* the byte whose high nibble is due */
	uint32_t flags = 0;
	unsigned nflags = 0;
	size_t pos = 0, len, off, i;

	*out_len = 0;
	for (;;) {
		if (nflags == 0) {
			if (r.n == 0)
				break;
			flags = rd_u32le(&r);
			if (!rd_ok(&r))
				return -1;
			nflags = 32;
		}
		nflags--;
		if ((flags >> nflags & 1) == 0) {
			if (r.n == 0)
				break;
			if (pos >= out_cap)
				return -1;
			out[pos++] = rd_u8(&r);
			continue;
		}
		if (r.n == 0)
			break;
		len = rd_u16le(&r);
		off = (len >> 3) + 1;
		len &= 7;
		if (len == 7) {
			if (half == NULL) {
				half = rd_bytes(&r, 1);
				len = half != NULL ? (size_t)(half[0] & 15) : 0;
			} else {
				len = half[0] >> 4;
				half = NULL;
			}
			if (len == 15) {
				len = rd_u8(&r);
				if (len == 255) {
					len = rd_u16le(&r);
					if (len == 0)
						len = rd_u32le(&r);
					if (len < 15 + 7)
						return -1;
					len -= 15 + 7;
				}
				len += 15;
			}
			len += 7;
		}
		len += 3;
		if (!rd_ok(&r))
			return -1;
		if (off > pos || len > out_cap - pos)
			return -1;
		for (i = 0; i < len; i++, pos++)
			out[pos] = out[pos - off];
	}
	*out_len = pos;
	return 0;
}
