/*
 * The growable string of buf.h: doubling capacity, sticky failure.
 */
#include "util/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int
grow(struct dt_buf *b, size_t more)
{
	size_t ncap;
	char *np;

	if (b->err)
		return -1;
	if (more < b->cap - b->n)
		return 0;
	if (more > SIZE_MAX / 2 - b->n) {
		b->err = 1;
		return -1;
	}
	ncap = b->cap ? b->cap : 128;
	while (ncap - b->n <= more)
		ncap *= 2;
	np = dt_realloc(b->m, b->p, ncap);
	if (np == NULL) {
		b->err = 1;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

void
dt_buf_putn(struct dt_buf *b, const char *s, size_t n)
{
	if (grow(b, n) != 0)
		return;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void
dt_buf_puts(struct dt_buf *b, const char *s)
{
	dt_buf_putn(b, s, strlen(s));
}

void
dt_buf_printf(struct dt_buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0 || grow(b, (size_t)k) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)k;
}

void
dt_buf_reset(struct dt_buf *b)
{
	b->n = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
dt_buf_free(struct dt_buf *b)
{
	dt_free(b->m, b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

const char *
dt_buf_str(const struct dt_buf *b)
{
	return b->p != NULL ? b->p : "";
}
