/*
 * The header of a capture in the text report: file, format, packets, start
 * time and span, then its capture errors and one note for everything that
 * limits what the analysis saw (the -F filter, duplicate sightings, ETL
 * events without packets, protected 802.11 frames, snaplen, link types
 * and encapsulations not analysed, memory limits).
 */
#include "report/text_int.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "net/encap.h"
#include "util/buf.h"

#define MAX_ERRORS 10		/* capture errors listed */

static void
human_time(int64_t ns, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)(ns / 1000000000);

	if (ns % 1000000000 < 0)
		t--;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d UTC",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

/* "2.500 s" under a minute, else "1:02:03" (and "58 d 17:57:32"). */
static void
buf_span(struct dt_buf *s, int64_t ns)
{
	int64_t sec = ns / 1000000000;

	if (sec < 60)
		dt_buf_printf(s, "%" PRId64 ".%03d s", sec,
		    (int)(ns % 1000000000 / 1000000));
	else if (sec < 86400)
		dt_buf_printf(s, "%d:%02d:%02d", (int)(sec / 3600),
		    (int)(sec / 60 % 60), (int)(sec % 60));
	else
		dt_buf_printf(s, "%" PRId64 " d %02d:%02d:%02d", sec / 86400,
		    (int)(sec / 3600 % 24), (int)(sec / 60 % 60),
		    (int)(sec % 60));
}

void
text_capture_head(struct out *o, const struct dt_capture *cap)
{
	struct dt_buf s = DT_BUF_INIT(o->mem), path = s;
	char when[64], name[64], line[160];
	const char *ltn;
	int64_t span;
	size_t i;

	dt_buf_printf(&s, "%s, %" PRIu64 " packet%s",
	    cap->format != NULL ? cap->format : "?", cap->packets,
	    cap->packets == 1 ? "" : "s");
	if (cap->packets > 0) {
		human_time(cap->first_time, when, sizeof when);
		span = cap->last_time - cap->first_time;
		if (span < 0)
			span = 0;
		dt_buf_printf(&s, ", %s, ", when);
		buf_span(&s, span);
	}
	/* "path: what" on one line when it fits, else the path alone */
	dt_buf_puts(&path, cap->path != NULL ? cap->path : "(capture)");
	dt_buf_puts(&path, ":");
	if (s.err || path.err) {
		o->err = o->err ? o->err : DT_ENOMEM;
	} else if (dt_utf8_width(path.p, path.n) + 1 +
	    dt_utf8_width(s.p, s.n) <= o->width) {
		dt_buf_puts(&path, " ");
		dt_buf_puts(&path, s.p);
		text_emit(o, "", 2, path.p);
	} else {
		/* the path whole on its line, even when it has spaces */
		text_put_clean(o, path.p);
		text_put(o, "\n", 1);
		text_emit(o, "  ", 2, s.p);
	}
	dt_buf_free(&s);
	dt_buf_free(&path);

	for (i = 0; i < cap->n_errors && i < MAX_ERRORS; i++) {
		snprintf(line, sizeof line, "  error at offset %" PRIu64 ": ",
		    cap->errors[i].offset);
		text_emit(o, line, 4, cap->errors[i].message != NULL ?
		    cap->errors[i].message : "");
	}
	if (cap->n_errors > MAX_ERRORS) {
		snprintf(line, sizeof line, "  ... and %zu more errors",
		    cap->n_errors - MAX_ERRORS);
		text_emit(o, line, 4, "");
	}
	if (o->filter != NULL) {
		/* the filter whole on its own line: never broken */
		text_emit(o, "  note: ", 4, "only the packets matching this filter "
		    "(-F) were analysed:");
		text_put(o, "    ", 4);
		text_put_clean(o, o->filter);
		text_put(o, "\n", 1);
	}
	if (cap->duplicate_sightings > 0) {
		snprintf(line, sizeof line, "%" PRIu64 " distinct packets in "
		    "%" PRIu64 " records: %" PRIu64 " are further sightings of a "
		    "packet (at another component or layer), counted once",
		    cap->packets - cap->duplicate_sightings, cap->packets,
		    cap->duplicate_sightings);
		text_emit(o, "  note: ", 4, line);
	}
	for (i = 0; i < cap->n_providers && i < 12; i++) {
		snprintf(line, sizeof line, "%" PRIu64 " event%s of %u kind%s "
		    "from %s %s", cap->providers[i].events,
		    cap->providers[i].events == 1 ? "" : "s",
		    cap->providers[i].ids, cap->providers[i].ids == 1 ? "" : "s",
		    cap->providers[i].name ? cap->providers[i].name :
		    "provider", cap->providers[i].guid);
		text_emit(o, "  events: ", 4, line);
	}
	if (cap->n_providers > 12) {
		snprintf(line, sizeof line, "and %zu more providers",
		    cap->n_providers - 12);
		text_emit(o, "  events: ", 4, line);
	}
	if (cap->system_records > 0) {
		snprintf(line, sizeof line, "%" PRIu64 " kernel and system "
		    "record%s (trace header, configuration)",
		    cap->system_records, cap->system_records == 1 ? "" : "s");
		text_emit(o, "  events: ", 4, line);
	}
	text_winevents(o, cap);
	if (cap->packets == 0 && cap->n_providers > 0)
		text_emit(o, "  note: ", 4, "the trace holds events but no packets: "
		    "capture packets with 'netsh trace start capture=yes' or "
		    "'pktmon start --capture --pkt-size 0'");
	if (cap->protected_80211 > 0) {
		snprintf(line, sizeof line, "%" PRIu64 " 802.11 data frame%s "
		    "protected (encrypted on the air): not decoded; capture on "
		    "the client (netsh, pktmon) to see them in the clear",
		    cap->protected_80211, cap->protected_80211 == 1 ? "" : "s");
		text_emit(o, "  note: ", 4, line);
	}
	if (cap->truncated_packets > 0) {
		snprintf(line, sizeof line, "%" PRIu64 " packet%s cut short by "
		    "the capture's snapshot length", cap->truncated_packets,
		    cap->truncated_packets == 1 ? "" : "s");
		text_emit(o, "  note: ", 4, line);
	}
	for (i = 0; i < cap->n_linktypes; i++) {
		if (cap->linktypes[i].supported)
			continue;
		if (cap->linktypes[i].name[0] != '\0') {
			snprintf(name, sizeof name, "%.*s",
			    (int)sizeof cap->linktypes[i].name,
			    cap->linktypes[i].name);
			ltn = name;
		} else {
			ltn = dt_linktype_name(cap->linktypes[i].linktype,
			    name, sizeof name);
		}
		snprintf(line, sizeof line, "%" PRIu64 " packet%s of link type "
		    "%s (%d) not analysed", cap->linktypes[i].packets,
		    cap->linktypes[i].packets == 1 ? "" : "s",
		    ltn != NULL ? ltn : "?", cap->linktypes[i].linktype);
		text_emit(o, "  note: ", 4, line);
	}
	for (i = 1; i < DT_ENCAP_MAX; i++) {
		const struct dt_encap_count *e = &cap->encap[i];

		if (e->packets == 0 && e->unread == 0)
			continue;
		snprintf(line, sizeof line, "%" PRIu64 " packet%s came through "
		    "%s (first in frame %" PRIu64 ")%s", e->packets + e->unread,
		    e->packets + e->unread == 1 ? "" : "s", dt_encap_name(i),
		    e->first_frame, e->unread == 0 ? ", decoded" :
		    e->packets == 0 ? "; what they carry was not decoded" :
		    "; some carry what is not decoded");
		text_emit(o, "  note: ", 4, line);
	}
	if (cap->undecodable > 0) {
		snprintf(line, sizeof line, "%" PRIu64 " packet%s could not be "
		    "decoded", cap->undecodable, cap->undecodable == 1 ? "" : "s");
		text_emit(o, "  note: ", 4, line);
	}
	if (cap->dropped_conns || cap->dropped_bytes || cap->fragments_dropped) {
		snprintf(line, sizeof line, "memory limits dropped %" PRIu64
		    " connections, %" PRIu64 " stream bytes, %" PRIu64
		    " fragments", cap->dropped_conns, cap->dropped_bytes,
		    cap->fragments_dropped);
		text_emit(o, "  note: ", 4, line);
	}
	text_put(o, "\n", 1);
}
