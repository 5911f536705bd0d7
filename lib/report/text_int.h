/*
 * Internal to the human text report (text*.c). text.c lays out a capture:
 * its header (text_head.c), then either each connection with its message
 * ladder (text_ladder.c) and verdicts, or, for a big capture or on
 * request, the verdict counts per id and server (text_summary.c); after
 * several captures, one line each (text_summary.c too). Every byte reaches
 * the terminal through text_out.c, which wraps prose and lets nothing from
 * the wire move the cursor or recolour.
 */
#ifndef DT_REPORT_TEXT_INT_H
#define DT_REPORT_TEXT_INT_H

#include <stdio.h>

#include "report/report.h"

/* Bytes gathered before one fwrite(): a line costs a memcpy(), not three
   calls into stdio. */
#define TEXT_BUF	8192

struct out {
	FILE *fp;
	size_t on;		/* bytes waiting in ob */
	struct dt_mem *mem;
	unsigned flags;
	/* DT_TEXT_EVENTS: the capture's events by time, for the ladders */
	const struct dt_winevent **winevents;
	size_t n_winevents;
	int err;		/* DT_EIO / DT_ENOMEM, sticky */
	size_t width;		/* columns the prose is wrapped at */
	const char *filter;	/* the run's -F filter, or NULL */
	char ob[TEXT_BUF];
};

/* One verdict of a capture and its place in the capture's list. */
struct vref {
	const struct dt_verdict *v;
	uint32_t conn;		/* v's: what the sort reads, not v (a
				   spilled capture's verdicts, read at
				   random, are mapped back 2 MiB a touch) */
	uint8_t severity;	/* v's, for the same reason */
	size_t seq;
};

/* ---- the one writer to the terminal (text_out.c) ------------------------ */

/* Bytes of ours, as they are. */
void text_put(struct out *o, const char *s, size_t n);
/* What text_put() gathered, to the file. */
void text_flush(struct out *o);
/*
 * Write `text` wrapped at o->width: the first line after `prefix` (ASCII
 * of ours), the following ones after `indent` spaces. Breaks at spaces; a
 * word longer than the room (a path, a name, a filter) is never cut: it
 * takes a line of its own and runs over. A newline in text starts a new
 * line. Unsafe or invalid bytes are written as '?'.
 */
void text_emit(struct out *o, const char *prefix, size_t indent,
    const char *text);
/* Text from our own tables or the wire, without wrapping, made safe. */
void text_put_clean(struct out *o, const char *text);
/* n spaces. */
void text_pad(struct out *o, size_t n);

/* ---- the parts of the report --------------------------------------------- */

/* The capture's header: file, format, time span, errors and notes. */
void text_capture_head(struct out *o, const struct dt_capture *cap);
/* Connection c's message ladder, one line per timeline event, and the rows
   from inside its IP-HTTPS tunnel. */
void text_ladder(struct out *o, const struct dt_conn *c);
/* Windows' events (text_events.c): the head's lines (all with
   DT_TEXT_EVENTS, else a count). */
void text_winevents(struct out *o, const struct dt_capture *cap);
/* Verdict counts per id and per server, with the first few connections of
   each; vr[0..nv) are the capture's verdicts. */
void text_summary(struct out *o, const struct dt_capture *cap,
    const struct vref *vr, size_t nv);
/* After several captures: one line each. */
void text_run_summary(struct out *o, const struct dt_report_run *run);

#endif
