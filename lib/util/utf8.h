/*
 * UTF-8, once for the whole library (RFC 3629): decoding one well-formed
 * sequence, repairing any bytes into valid UTF-8, the code points that must
 * not reach a terminal or a document as they are, and display width.
 */
#ifndef DT_UTIL_UTF8_H
#define DT_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

/* Encode code point cp (at most U+10FFFF) into out: its length, 1..4. */
size_t dt_utf8_encode(uint32_t cp, char out[4]);

/* Decode one well-formed sequence at s: its length and *cp, or 0 when the
   first byte does not start one (or n is 0). No overlongs, surrogates or
   values past U+10FFFF. */
size_t dt_utf8_next(const char *s, size_t n, uint32_t *cp);

/*
 * Valid UTF-8 from any bytes: each byte that does not start a well-formed
 * sequence becomes U+FFFD. out must hold 3 * n + 1 bytes; it is
 * NUL-terminated (an embedded NUL in the input is kept as a byte). Returns
 * the output length.
 */
size_t dt_utf8_clean(const char *in, size_t n, char *out);
/* The same into a new string from m (NULL when memory failed). */
char *dt_utf8_dup(struct dt_mem *m, const char *s);
/* 1 when s (NUL-terminated; NULL counts) is well-formed UTF-8. */
int dt_utf8_valid(const char *s);
/* In place, when there is no room for a copy: each byte that does not
   start a well-formed sequence becomes '?'. */
void dt_utf8_patch(char *s);
/* Code points of s[0..n) (a bad byte counts as one). */
size_t dt_utf8_count(const char *s, size_t n);

/*
 * Code points that must not reach a terminal or a document as they are:
 * C0 controls other than tab and newline, DEL, C1 controls, and the
 * bidirectional controls and BOM that could reorder or hide text.
 */
int dt_utf8_unsafe_cp(uint32_t cp);

/* Terminal columns of s[0..n) (a bad byte counts as one column), and the
   byte length of its longest head that fits in `cols` columns (at least
   one code point, so that a wrapping loop always advances). */
size_t dt_utf8_width(const char *s, size_t n);
size_t dt_utf8_cols_bytes(const char *s, size_t n, size_t cols);

/* Terminal columns of a code point: 2 for the East Asian wide and
   fullwidth blocks (UAX #11, W and F), else 1. */
size_t dt_utf8_cp_width(uint32_t cp);

#endif
