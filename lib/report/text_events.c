/*
 * Windows' own events in the text report (an .etl with events of a known
 * layout, events/): one line each, "Provider id (name): Field=value ...".
 * With --events (DT_TEXT_EVENTS) the capture's head lists every decoded
 * event in file order, and each connection's ladder shows the events of
 * its time (from its first packet to two minutes after its last: the
 * client logs after it gave up) between its frames, by time. Without it,
 * one line says how many there are. A long string is cut at 80 characters
 * in these lines (JSON has up to 512 bytes); a status or error code
 * (ErrorCode, StatusCode, Status, QueryStatus, Result, ReturnValue) is
 * shown in hex, as Windows documents its codes.
 */
#include "report/text_int.h"

#include <inttypes.h>
#include <string.h>

#include "util/buf.h"
#include "util/utf8.h"

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
text_winevent_line(struct dt_buf *s, const struct dt_winevent *e)
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

void
text_winevents(struct out *o, const struct dt_capture *cap)
{
	struct dt_buf s = DT_BUF_INIT(o->mem);
	const struct dt_winevent *e;
	char t[DT_REPORT_TIME_LEN], line[160];

	if (cap->winevents_decoded == 0)
		return;
	if (!(o->flags & DT_TEXT_EVENTS)) {
		snprintf(line, sizeof line, "%" PRIu64 " Windows event%s decoded "
		    "(--events lists them, beside the ladders)",
		    cap->winevents_decoded,
		    cap->winevents_decoded == 1 ? "" : "s");
		text_emit(o, "  events: ", 4, line);
		return;
	}
	for (e = cap->winevents; e != NULL; e = e->next) {
		dt_buf_reset(&s);
		if (!e->has_time || dt_report_time(e->time, t, sizeof t) != 0)
			snprintf(t, sizeof t, "(no time)");
		dt_buf_printf(&s, "%s ", t);
		text_winevent_line(&s, e);
		if (s.err) {
			o->err = o->err ? o->err : DT_ENOMEM;
			break;
		}
		text_emit(o, "  windows: ", 4, s.p);
	}
	if (cap->winevents_decoded > cap->n_winevents) {
		snprintf(line, sizeof line, "%" PRIu64 " more decoded events not "
		    "kept", cap->winevents_decoded - cap->n_winevents);
		text_emit(o, "  windows: ", 4, line);
	}
	dt_buf_free(&s);
}

int
text_winevent_in(const struct dt_conn *c, const struct dt_winevent *e)
{
	return e->has_time && e->time >= c->first_time &&
	    e->time <= c->last_time + AFTER_NS;
}
