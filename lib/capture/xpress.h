/*
 * capture/xpress: the MS-XCA "Plain LZ77" decompressor ([MS-XCA] section
 * 2.3 and 2.4, "LZ77 Decompression Algorithm"), which Windows uses for the
 * compressed buffers of relogged ETW trace files (pktmon). Internal to
 * capture/; also reached by the fuzz harness.
 */
#ifndef DT_CAPTURE_XPRESS_H
#define DT_CAPTURE_XPRESS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decompress in[0..in_len) into out[0..out_cap). Returns 0 and *out_len
 * on success; -1 when the input is malformed (a back-reference before the
 * start of the output, a truncated length field) or the output would pass
 * out_cap. Never writes outside out[0..out_cap).
 */
int dt_xpress_decompress(const uint8_t *in, size_t in_len, uint8_t *out,
    size_t out_cap, size_t *out_len);

#endif
