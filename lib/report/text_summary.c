/*
 * The summaries of the text report: for a big capture (--summary, or the
 * default past a screenful of failing connections) the verdict counts per
 * id and per server with the first few connections of each, a day of
 * traffic read in one screen; after several captures, one line per
 * capture with its most severe verdict.
 */
#include "report/text_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define EXAMPLES 3		/* connections named per verdict and server */

/* A verdict with what the sort and the lines read of it: never the
   verdict itself, which a capture that spills keeps in its spill file
   (read at random, as a sort reads, it is mapped back 2 MiB a touch).
   Ids are the rules' and servers interned (names and addresses alike):
   on the heap. */
struct sref {
	const struct dt_verdict *v;
	const char *id;
	const char *server;	/* "" when none */
	uint32_t conn;
	uint8_t severity;
};

static int
sref_cmp(const void *pa, const void *pb)
{
	const struct sref *a = pa, *b = pb;
	int k;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if ((k = strcmp(a->id, b->id)) != 0)
		return k;
	if ((k = strcmp(a->server, b->server)) != 0)
		return k;
	return a->conn < b->conn ? -1 : a->conn > b->conn;
}

/*
 * Verdict counts per id and, under each, per server, with the first few
 * connections of each: a day of traffic read in one screen.
 */
void
text_summary(struct out *o, const struct dt_capture *cap,
    const struct vref *vr, size_t nv)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	struct dt_buf line = DT_BUF_INIT(o->mem);
	const struct dt_conn *c;
	struct sref *sr;
	size_t i, j, k, n, e;

	if ((sr = dt_calloc(o->mem, nv ? nv : 1, sizeof *sr)) == NULL) {
		o->err = o->err ? o->err : DT_ENOMEM;
		return;
	}
	for (i = 0; i < nv; i++) {
		dt_capture_spill_step(cap, &sw);
		sr[i].v = vr[i].v;
		sr[i].id = vr[i].v->id;
		sr[i].conn = vr[i].conn;
		sr[i].severity = vr[i].severity;
		c = sr[i].conn != 0 ? dt_facts_conn_by_id(cap, sr[i].conn) : NULL;
		sr[i].server = c != NULL && dt_facts_server_name(c) != NULL ?
		    dt_facts_server_name(c) : c != NULL ? c->server_str : "";
	}
	qsort(sr, nv, sizeof *sr, sref_cmp);
	text_emit(o, "Summary (verdicts per id and server; --verbose for every "
	    "connection):", 2, "");
	for (i = 0; i < nv && o->err == 0; i = j) {
		for (j = i; j < nv && strcmp(sr[j].id, sr[i].id) == 0; j++)
			;
		dt_buf_reset(&line);
		dt_buf_printf(&line, "%s  %s: %zu", dt_severity_name(
		    sr[i].severity), sr[i].id, j - i);
		text_emit(o, "  ", 4, dt_buf_str(&line));
		for (k = i; k < j && o->err == 0; k = n) {
			for (n = k; n < j && strcmp(sr[n].server,
			    sr[k].server) == 0; n++)
				;
			dt_buf_reset(&line);
			if (sr[k].conn == 0)	/* about the capture: what */
				dt_buf_printf(&line, "the whole capture: %s",
				    sr[k].v->summary);
			else
				dt_buf_printf(&line, "%s: %zu, connection%s ",
				    sr[k].server[0] != '\0' ? sr[k].server :
				    "the whole capture", n - k,
				    n - k > 1 ? "s" : "");
			for (e = k; sr[k].conn != 0 && e < n &&
			    e < k + EXAMPLES; e++)
				dt_buf_printf(&line, "%s%" PRIu32, e > k ? ", " :
				    "", sr[e].conn);
			if (sr[k].conn != 0 && n - k > EXAMPLES)
				dt_buf_puts(&line, ", ...");
			if (line.err)
				o->err = o->err ? o->err : DT_ENOMEM;
			else
				text_emit(o, "      ", 8, dt_buf_str(&line));
		}
	}
	text_put(o, "\n", 1);
	dt_buf_free(&line);
	dt_free(o->mem, sr);
}

/*
 * After several captures, one line each: file, format, packets, IP-HTTPS
 * connections, the most severe verdict (the first of them) and its
 * Windows code. Columns are aligned; a long path pushes its line wider
 * instead of being broken.
 */
void
text_run_summary(struct out *o, const struct dt_report_run *run)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	const struct dt_capture *cap;
	const struct dt_verdict *v, *top;
	size_t i, n, wpath = 4, wfmt = 6;
	char line[256];

	for (i = 0; i < run->n_caps; i++) {
		cap = run->caps[i];
		n = cap->path != NULL ?
		    dt_utf8_width(cap->path, strlen(cap->path)) : 1;
		wpath = n > wpath ? n : wpath;
		n = cap->format != NULL ? strlen(cap->format) : 1;
		wfmt = n > wfmt ? n : wfmt;
	}
	snprintf(line, sizeof line, "\n%zu captures:\n", run->n_caps);
	text_put(o, line, strlen(line));
	text_put(o, "  FILE", 6);
	text_pad(o, wpath - 4);
	snprintf(line, sizeof line, "  %-*s  %8s  %8s  TOP VERDICT\n",
	    (int)wfmt, "FORMAT", "PACKETS", "IP-HTTPS");
	text_put(o, line, strlen(line));
	for (i = 0; i < run->n_caps && o->err == 0; i++) {
		cap = run->caps[i];
		text_put(o, "  ", 2);
		text_put_clean(o, cap->path != NULL ? cap->path : "?");
		n = cap->path != NULL ?
		    dt_utf8_width(cap->path, strlen(cap->path)) : 1;
		text_pad(o, wpath - n);
		top = NULL;
		for (v = cap->verdicts; v != NULL; v = v->next) {
			dt_capture_spill_step(cap, &sw);
			if (top == NULL || v->severity > top->severity)
				top = v;
		}
		/* top's few fields are read below, then the capture's
		   pages leave (as json.c) */
		n = cap->n_iphttps;
		snprintf(line, sizeof line, "  %-*s  %8" PRIu64 "  %8zu  ",
		    (int)wfmt, cap->format != NULL ? cap->format : "?",
		    cap->packets, n);
		text_put(o, line, strlen(line));
		if (top == NULL) {
			text_put(o, "-", 1);
		} else {
			const char *sev = dt_severity_name(top->severity);

			text_put(o, sev, strlen(sev));
			text_put(o, " ", 1);
			text_put_clean(o, top->id != NULL ? top->id : "?");
			if (top->win_code != 0) {
				snprintf(line, sizeof line, " 0x%" PRIx32,
				    top->win_code);
				text_put(o, line, strlen(line));
			}
		}
		text_put(o, "\n", 1);
		dt_capture_spill_drop(cap);
	}
}
