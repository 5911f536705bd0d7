/*
 * Windows' own events in the text report (an .etl with events of a known
 * layout, events/): one line each, "Provider id (name): Field=value ...".
 * With --events (DT_TEXT_EVENTS) the capture's head lists every decoded
 * event in file order, and each connection's ladder shows the events of
 * its time (from its first packet to two minutes after its last: the
 * client logs after it gave up) between its frames, by time. Without it,
 * one line says how many there are. The words are winevent.c's.
 */
#include "report/text_int.h"

#include <inttypes.h>
#include <string.h>

#include "util/buf.h"

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
		dt_report_winevent_line(&s, e);
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
