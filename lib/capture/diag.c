/*
 * How the formats of capture/ report trouble: the fault that ends reading
 * (only the first is kept; the packets before it were delivered), among
 * them a file that ends inside a record (cut short by a copy or a
 * download: the message says so before the format's own words), and
 * warnings that let reading go on (handed to the reader's warn callback,
 * at most DT_CAP_MAX_WARNINGS of them, then one line saying the rest were
 * suppressed). Kept apart from reader.c so that the formats, which
 * reader.c dispatches to, never call back up into it.
 */
#include "capture/capture_int.h"

#include <stdarg.h>

void
dt_reader_fail(struct dt_reader *r, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = 1;
	r->err_off = off;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
}

void
dt_reader_cut(struct dt_reader *r, uint64_t off, const char *fmt, ...)
{
	char msg[DT_CAP_ERRLEN];
	va_list ap;

	if (r->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->cut = 1;
	dt_reader_fail(r, off, "the file is cut short: %s", msg);
}

void
dt_reader_warnf(struct dt_reader *r, uint64_t off, const char *fmt, ...)
{
	char msg[DT_CAP_ERRLEN];
	va_list ap;

	if (r->warn == NULL)
		return;
	r->n_warnings++;
	if (r->n_warnings > DT_CAP_MAX_WARNINGS) {
		if (r->n_warnings == DT_CAP_MAX_WARNINGS + 1)
			r->warn(r->warn_payload, off,
			    "further capture warnings suppressed");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->warn(r->warn_payload, off, msg);
}
