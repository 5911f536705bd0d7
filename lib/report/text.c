/*
 * The human report: per capture a header (text_head.c), then for each
 * IP-HTTPS connection (and each connection with a verdict) its message
 * ladder (text_ladder.c) and each verdict with its Windows error,
 * confidence, explanation, remedy and evidence frames, and a one-line
 * summary; a big capture (or --summary) gets the verdict counts per id
 * and server instead of the connections (text_summary.c); after several
 * captures, a line per capture. Prose is wrapped at 78 columns, or at the
 * width the caller gives (DT_TEXT_WIDTH); every byte reaches the terminal
 * through text_out.c. Colour (severity words only) on request only.
 */
#include "report/text_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/digits.h"
#include "util/buf.h"

#define WIDTH 78		/* when the caller gives none */
/* Failing connections past which the default text is the summary. */
#define SCREENFUL 24

struct colour {
	dt_severity sev;
	const char *on;
};

static const struct colour colours[] = {
	{ DT_SEV_ERROR, "\033[31m" },	/* red */
	{ DT_SEV_WARNING, "\033[33m" },	/* yellow */
	{ DT_SEV_INFO, "\033[32m" },	/* green */
};

static const char *
colour_of(dt_severity sev)
{
	size_t i;

	for (i = 0; i < sizeof colours / sizeof colours[0]; i++)
		if (colours[i].sev == sev)
			return colours[i].on;
	return "";
}

/* ---- verdicts ----------------------------------------------------------- */

/* a, b and c one after the other in p[96], cut as snprintf() cuts. */
static void
part_cat(char p[96], const char *a, const char *b, const char *c)
{
	const char *s[3] = { a, b, c };
	size_t n = 0, k, i;

	for (i = 0; i < 3; i++) {
		k = strlen(s[i]);
		if (k > 95 - n)
			k = 95 - n;
		memcpy(p + n, s[i], k);
		n += k;
	}
	p[n] = '\0';
}

/* A Windows error: its code in lower-case hex, then its name if any. */
static void
part_win(char p[96], uint32_t code, const char *name)
{
	char h[19];

	h[dt_hex_u64(h, code, 1)] = '\0';
	part_cat(p, h, name != NULL ? " " : "", name != NULL ? name : "");
}

static void
verdict_head(struct out *o, const struct dt_verdict *v)
{
	const char *sev = dt_severity_name(v->severity);
	char parts[2][96];
	size_t col, np = 0, i;
	int colour = (o->flags & DT_TEXT_COLOR) != 0;

	/* "0x%" PRIx32 " %s" and "(confidence %s)" as snprintf() cut them to
	   96 bytes, without its cost on every verdict */
	if (v->win_code != 0)
		part_win(parts[np++], v->win_code, v->win_name);
	part_cat(parts[np++], "(confidence ",
	    dt_confidence_name(v->confidence), ")");

	if (colour)
		text_put(o, colour_of(v->severity), strlen(colour_of(v->severity)));
	text_put(o, sev, strlen(sev));
	if (colour)
		text_put(o, "\033[0m", 4);
	text_put(o, "  ", 2);
	text_put_clean(o, v->id != NULL ? v->id : "?");
	col = strlen(sev) + 2 + dt_utf8_width(v->id ? v->id : "?",
	    strlen(v->id ? v->id : "?"));
	for (i = 0; i < np; i++) {
		if (col + 2 + strlen(parts[i]) > o->width) {
			text_put(o, "\n  ", 3);
			col = 2;
		} else {
			text_put(o, "  ", 2);
			col += 2;
		}
		text_put(o, parts[i], strlen(parts[i]));
		col += strlen(parts[i]);
	}
	text_put(o, "\n", 1);
}

static void
verdict_block(struct out *o, const struct dt_verdict *v, int brief)
{
	struct dt_buf frames = DT_BUF_INIT(o->mem);
	char num[20];
	size_t i;

	verdict_head(o, v);
	if (v->summary != NULL)
		text_emit(o, "  ", 2, v->summary);
	if (brief)
		return;
	if (v->explanation != NULL && v->explanation[0] != '\0')
		text_emit(o, "  ", 2, v->explanation);
	if (v->remedy != NULL && v->remedy[0] != '\0')
		text_emit(o, "  Fix: ", 7, v->remedy);
	if (v->n_frames > 0) {
		for (i = 0; i < v->n_frames; i++) {
			if (i > 0)
				dt_buf_putn(&frames, ", ", 2);
			dt_buf_putn(&frames, num, dt_dec_u64(num,
			    v->frames[i]));
		}
		if (frames.err)
			o->err = o->err ? o->err : DT_ENOMEM;
		else
			text_emit(o, "  Frames: ", 10, frames.p);
	}
	dt_buf_free(&frames);
}

/* ---- connections and captures ----------------------------------------- */

static void
conn_head(struct out *o, const struct dt_conn *c)
{
	struct dt_buf s = DT_BUF_INIT(o->mem);
	const char *name = dt_facts_server_name(c);
	char prefix[32], addr[64];
	size_t k;

	/* "Connection %u: " and the numbers below without a format: a
	   verbose report has a head for each connection */
	memcpy(prefix, "Connection ", 11);
	k = 11 + dt_dec_u64(prefix + 11, c->id);
	memcpy(prefix + k, ": ", 3);
	dt_conn_client_text(c, addr);
	dt_buf_puts(&s, addr);
	dt_buf_puts(&s, " -> ");
	if (c->server_str[0] != '\0') {
		dt_buf_puts(&s, c->server_str);
	} else {
		dt_addr_format(&c->server, c->server_port, addr, sizeof addr);
		dt_buf_puts(&s, addr);
	}
	if (name != NULL) {
		dt_buf_puts(&s, " (");
		dt_buf_puts(&s, name);
		dt_buf_puts(&s, ")");
	}
	dt_buf_puts(&s, ", TCP ");
	dt_buf_puts(&s, dt_report_state_name(c->state));
	if (c->first_frame != 0) {
		dt_buf_puts(&s, ", frames ");
		dt_buf_putn(&s, addr, dt_dec_u64(addr, c->first_frame));
		dt_buf_putn(&s, "-", 1);
		dt_buf_putn(&s, addr, dt_dec_u64(addr, c->last_frame));
	}
	if (dt_conn_reason(c)[0] != '\0') {
		dt_buf_puts(&s, c->iphttps ? ", IP-HTTPS (score " :
		    ", not IP-HTTPS (score ");
		dt_buf_putn(&s, addr, dt_dec_i64(addr, c->iphttps_score));
		dt_buf_puts(&s, ": ");
		dt_buf_puts(&s, dt_conn_reason(c));
		dt_buf_puts(&s, ")");
	} else if (!c->iphttps) {
		dt_buf_puts(&s, ", not IP-HTTPS");
	}
	if (s.err)
		o->err = o->err ? o->err : DT_ENOMEM;
	else
		text_emit(o, prefix, 4, s.p);
	dt_buf_free(&s);
}

static int
vref_cmp(const void *pa, const void *pb)
{
	const struct vref *a = pa, *b = pb;

	if (a->conn != b->conn)
		return a->conn < b->conn ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* One connection (c may be NULL when its facts were not kept). */
static void
conn_block(struct out *o, const struct dt_conn *c, uint32_t id,
    const struct vref *vr, size_t nv)
{
	size_t i;
	int failing = 0;
	char line[48];

	for (i = 0; i < nv; i++)
		if (vr[i].severity >= DT_SEV_WARNING)
			failing = 1;
	if (c == NULL) {
		snprintf(line, sizeof line, "Connection %" PRIu32 ":", id);
		text_emit(o, line, 4, "");
	} else {
		if (!c->iphttps && nv == 0)
			return;
		conn_head(o, c);
		if (failing || (o->flags & DT_TEXT_VERBOSE))
			text_ladder(o, c);
	}
	for (i = 0; i < nv; i++)
		verdict_block(o, vr[i].v, !failing &&
		    !(o->flags & DT_TEXT_VERBOSE));
	text_put(o, "\n", 1);
}

static void
capture_text(struct out *o, const struct dt_capture *cap)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	const struct dt_conn *c;
	const struct dt_verdict *v;
	struct vref *vr = NULL;
	size_t nv = 0, i, lo, hi, iphttps = 0, sev[3] = { 0, 0, 0 };
	size_t failing = 0;
	char line[128];

	nv = cap->n_verdicts;
	if (nv > 0) {
		vr = dt_calloc(o->mem, nv, sizeof *vr);
		if (vr == NULL) {
			o->err = o->err ? o->err : DT_ENOMEM;
			return;
		}
		for (v = cap->verdicts, i = 0; v != NULL && i < nv;
		    v = v->next, i++) {
			dt_capture_spill_step(cap, &sw);
			vr[i].v = v;
			vr[i].conn = v->conn;
			vr[i].severity = v->severity;
			vr[i].seq = i;
			if ((unsigned)v->severity < 3)
				sev[v->severity]++;
		}
		qsort(vr, nv, sizeof *vr, vref_cmp);
	}

	o->winevents = (o->flags & DT_TEXT_EVENTS) ?
	    dt_report_winevents_by_time(o->mem, cap->winevents,
	    &o->n_winevents, &o->err) : NULL;
	text_capture_head(o, cap);
	for (i = 0; i < nv; i++)
		failing += vr[i].severity >= DT_SEV_WARNING;
	if ((o->flags & DT_TEXT_SUMMARY) ||
	    (failing > SCREENFUL && !(o->flags & DT_TEXT_VERBOSE))) {
		text_summary(o, cap, vr, nv);
		iphttps = cap->n_iphttps;
		goto tail;
	}
	/* capture-wide verdicts sort first; connections follow in id order */
	for (lo = 0; lo < nv && vr[lo].conn == 0; lo++)
		;
	hi = lo;
	for (c = cap->conns; c != NULL; c = c->next) {
		dt_capture_spill_step(cap, &sw);
		iphttps += c->iphttps != 0;
		/* verdicts about connections whose facts were not kept */
		while (lo < nv && vr[lo].conn < c->id) {
			for (hi = lo; hi < nv && vr[hi].conn == vr[lo].conn;
			    hi++)
				;
			conn_block(o, NULL, vr[lo].conn, vr + lo, hi - lo);
			lo = hi;
		}
		for (hi = lo; hi < nv && vr[hi].conn == c->id; hi++)
			;
		/* vr is NULL when there is no verdict: no NULL + 0 */
		conn_block(o, c, c->id, hi > lo ? vr + lo : NULL, hi - lo);
		lo = hi;
	}
	while (lo < nv) {
		for (hi = lo; hi < nv && vr[hi].conn == vr[lo].conn; hi++)
			;
		conn_block(o, NULL, vr[lo].conn, vr + lo, hi - lo);
		lo = hi;
	}
	for (i = 0; i < nv && vr[i].conn == 0; i++) {
		if (i == 0)
			text_emit(o, "Whole capture:", 4, "");
		verdict_block(o, vr[i].v, 0);
	}
	if (i > 0)
		text_put(o, "\n", 1);
tail:
	if (iphttps == 0 && sev[DT_SEV_ERROR] == 0 && sev[DT_SEV_WARNING] == 0)
		snprintf(line, sizeof line, "0 IP-HTTPS connections: nothing "
		    "to judge");
	else
		snprintf(line, sizeof line, "%zu IP-HTTPS connection%s, %zu "
		    "error%s, %zu warning%s", iphttps, iphttps == 1 ? "" : "s",
		    sev[DT_SEV_ERROR], sev[DT_SEV_ERROR] == 1 ? "" : "s",
		    sev[DT_SEV_WARNING], sev[DT_SEV_WARNING] == 1 ? "" : "s");
	if (cap->midstream_conns > 0)
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    "; %" PRIu64 " connection%s caught mid-stream (not "
		    "IP-HTTPS)", cap->midstream_conns,
		    cap->midstream_conns == 1 ? "" : "s");
	text_emit(o, "", 2, line);
	dt_free(o->mem, vr);
	dt_free(o->mem, o->winevents);
	o->winevents = NULL;
	o->n_winevents = 0;
}

int
dt_report_text(const struct dt_report_run *run, FILE *fp, unsigned flags)
{
	struct dt_mem local;
	struct out o;
	size_t i;

	dt_mem_init(&local, NULL, NULL, 0);
	o.mem = &local;
	o.fp = fp;
	o.on = 0;
	o.flags = flags;
	o.err = 0;
	o.winevents = NULL;
	o.n_winevents = 0;
	o.width = DT_TEXT_WIDTH_OF(flags) >= 40 ? DT_TEXT_WIDTH_OF(flags) - 2 :
	    WIDTH;
	o.filter = run->filter;
	for (i = 0; i < run->n_caps && o.err == 0; i++) {
		dt_mem_reader(&local, run->caps[i]->mem);
		if (i > 0)
			text_put(&o, "\n", 1);
		capture_text(&o, run->caps[i]);
		dt_capture_spill_drop(run->caps[i]);	/* as json.c */
	}
	dt_mem_reader(&local, NULL);
	if (run->n_caps > 1 && o.err == 0)
		text_run_summary(&o, run);
	text_flush(&o);
	if (o.err == 0 && (fflush(fp) != 0 || ferror(fp)))
		o.err = DT_EIO;
	return o.err;
}
