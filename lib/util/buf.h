/*
 * One growable string, allocated from a struct dt_mem: what the writers and
 * the accessors build text in. A failed allocation sets the sticky `err`
 * flag; later calls do nothing, so a caller checks once at the end. The
 * string is NUL-terminated whenever p is not NULL.
 */
#ifndef DT_UTIL_BUF_H
#define DT_UTIL_BUF_H

#include <stddef.h>

#include "util/mem.h"

struct dt_buf {
	struct dt_mem *m;
	char *p;
	size_t n, cap;
	int err;		/* sticky: memory failed */
};

#define DT_BUF_INIT(m) { (m), NULL, 0, 0, 0 }

void dt_buf_putn(struct dt_buf *b, const char *s, size_t n);
void dt_buf_puts(struct dt_buf *b, const char *s);
void dt_buf_printf(struct dt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dt_buf_reset(struct dt_buf *b);		/* empty, keeps the memory */
void dt_buf_free(struct dt_buf *b);
/* The string, "" when nothing was written. */
const char *dt_buf_str(const struct dt_buf *b);

#endif
