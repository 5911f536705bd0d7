/*
 * The words of one decoded Windows event (events/), shared by the text
 * and HTML writers: "Provider id (name): Field=value ...", a long string
 * cut at 80 characters, a status or error code (ErrorCode, StatusCode,
 * Status, QueryStatus, Result, ReturnValue) in hex as Windows documents
 * its codes; and which connection's ladder shows an event: from the
 * connection's first packet to two minutes after its last (the client
 * logs after it gave up).
 */
#include "report/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define SHOWN_CHARS	80
#define AFTER_NS	(INT64_C(120) * 1000000000)

static int
is_code(const char *name)
{
	size_t n = strlen(name);

	return (n >= 4 && strcmp(name + n - 4, "Code") == 0) ||
	    (n >= 6 && strcmp(name + n - 6, "Status") == 0) ||
	    strcmp(name, "Result") == 0 || strcmp(name, "ReturnValue") == 0;
}

static void
put_value(struct dt_buf *s, const struct dt_winevent_field *f)
{
	size_t n, k, len;
	uint32_t cp;

	if (f->is_num) {
		if (strcmp(f->type, "Boolean") == 0)
			dt_buf_puts(s, f->u ? "true" : "false");
		else if (f->is_hex || (!f->is_signed && is_code(f->name)))
			dt_buf_printf(s, "0x%" PRIX64, f->u);
		else if (f->is_signed)
			dt_buf_printf(s, "%" PRId64, (int64_t)f->u);
		else
			dt_buf_printf(s, "%" PRIu64, f->u);
		return;
	}
	if (f->text == NULL) {
		dt_buf_puts(s, "?");
		return;
	}
	len = strlen(f->text);
	for (n = 0, k = 0; k < len && n < SHOWN_CHARS; n++) {
		size_t c = dt_utf8_next(f->text + k, len - k, &cp);

		k += c ? c : 1;
	}
	dt_buf_printf(s, "%.*s%s", (int)k, f->text, k < len ? "\xe2\x80\xa6" :
	    "");
}

void
dt_report_winevent_line(struct dt_buf *s, const struct dt_winevent *e)
{
	size_t i;

	dt_buf_printf(s, "%s %u", e->provider, e->id);
	if (e->name != NULL)
		dt_buf_printf(s, " (%s)", e->name);
	dt_buf_puts(s, ":");
	for (i = 0; i < e->n_fields; i++) {
		dt_buf_printf(s, " %s=", e->fields[i].name);
		put_value(s, &e->fields[i]);
	}
	if (e->short_payload)
		dt_buf_puts(s, " (payload cut short)");
}

static int
by_time(const void *a, const void *b)
{
	const struct dt_winevent *x = *(const struct dt_winevent *const *)a,
	    *y = *(const struct dt_winevent *const *)b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

const struct dt_winevent **
dt_report_winevents_by_time(struct dt_mem *m, const struct dt_winevent *list,
    size_t *n, int *err)
{
	const struct dt_winevent *e, **w;
	size_t k = 0;

	*n = 0;
	for (e = list; e != NULL; e = e->next)
		k += e->has_time != 0;
	if (k == 0)
		return NULL;
	if ((w = dt_calloc(m, k, sizeof *w)) == NULL) {
		*err = *err ? *err : DT_ENOMEM;
		return NULL;
	}
	for (e = list; e != NULL; e = e->next)
		if (e->has_time)
			w[(*n)++] = e;
	qsort(w, *n, sizeof *w, by_time);
	return w;
}

const struct dt_winevent *const *
dt_report_conn_winevents(const struct dt_winevent *const *sorted, size_t n,
    const struct dt_conn *c, size_t *k)
{
	size_t lo = 0, hi = n, mid, end;

	*k = 0;
	if (n == 0)		/* sorted may be NULL: no offset from it */
		return sorted;
	while (lo < hi) {	/* the first event at or after c's start */
		mid = lo + (hi - lo) / 2;
		if (sorted[mid]->time < c->first_time)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < n && sorted[end]->time <= c->last_time + AFTER_NS;
	    end++)
		;
	*k = end - lo;
	return sorted + lo;
}
