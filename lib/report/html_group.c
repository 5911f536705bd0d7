/*
 * The findings of the HTML report: every verdict of the run ranked by
 * severity, and identical verdicts grouped into one card. On a day of
 * traffic one failure repeats on thousands of connections; a card and a
 * ladder for each made pages of hundreds of megabytes that no browser
 * opens. Verdicts are alike when they have the same capture, id,
 * severity, confidence, Windows error, server (its name, else its
 * address) and cause (explanation and remedy; the summary differs only by
 * its frame numbers). A group's card shows its first verdict (by
 * connection) and names the last; those two connections are drawn.
 * Cost: a few sorts, O(V log V + C log C) for V verdicts, C connections.
 */
#include "report/html_int.h"

#include <stdlib.h>
#include <string.h>

/* Severity, then confidence, then capture and list order. */
static int
vref_rank(const void *pa, const void *pb)
{
	const struct vref *a = pa, *b = pb;

	if (a->v->severity != b->v->severity)
		return a->v->severity > b->v->severity ? -1 : 1;
	if (a->v->confidence != b->v->confidence)
		return a->v->confidence > b->v->confidence ? -1 : 1;
	if (a->cap != b->cap)
		return a->cap < b->cap ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
str_cmp(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/* Three-way comparison of what makes two verdicts alike. */
static int
alike(const struct vref *a, const struct vref *b)
{
	int k;

	if (a->cap != b->cap)
		return a->cap < b->cap ? -1 : 1;
	if ((k = str_cmp(a->v->id, b->v->id)) != 0)
		return k;
	if (a->v->severity != b->v->severity)
		return a->v->severity < b->v->severity ? -1 : 1;
	if (a->v->confidence != b->v->confidence)
		return a->v->confidence < b->v->confidence ? -1 : 1;
	if (a->v->win_code != b->v->win_code)
		return a->v->win_code < b->v->win_code ? -1 : 1;
	if ((k = str_cmp(a->server, b->server)) != 0)
		return k;
	if ((k = str_cmp(a->v->explanation, b->v->explanation)) != 0)
		return k;
	return str_cmp(a->v->remedy, b->v->remedy);
}

/* Alike ones together, each group by connection, then list order. */
static int
by_group(const void *pa, const void *pb)
{
	const struct vref *a = *(const struct vref *const *)pa;
	const struct vref *b = *(const struct vref *const *)pb;
	int k = alike(a, b);

	if (k != 0)
		return k;
	if (a->v->conn != b->v->conn)
		return a->v->conn < b->v->conn ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
by_conn(const void *pa, const void *pb)
{
	const struct vref *a = pa, *b = pb;

	if (a->cap != b->cap)
		return a->cap < b->cap ? -1 : 1;
	if (a->v->conn != b->v->conn)
		return a->v->conn < b->v->conn ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Appends capture capi's verdicts to f->vr, each with its connection
   (found through the capture's index by id, not a walk per verdict). */
static void
add_capture(struct findings *f, const struct dt_capture *cap, size_t capi)
{
	const struct dt_verdict *v;
	struct vref *r;
	const char *name;
	size_t k;

	for (v = cap->verdicts, k = 0; v != NULL; v = v->next, k++) {
		r = &f->vr[f->nv++];
		r->v = v;
		r->cap = capi;
		r->seq = k;
		r->c = v->conn != 0 ? dt_facts_conn_by_id(cap, v->conn) : NULL;
		name = r->c != NULL ? dt_facts_server_name(r->c) : NULL;
		r->server = name != NULL ? name : r->c != NULL ?
		    r->c->server_str : "";
	}
}

int
html_findings(struct findings *f, const struct dt_report_run *run,
    struct dt_mem *mem)
{
	const struct dt_verdict *v;
	struct vref **by;
	size_t nv = 0, i, j, k;

	memset(f, 0, sizeof *f);
	for (i = 0; i < run->n_caps; i++)
		for (v = run->caps[i]->verdicts; v != NULL; v = v->next)
			nv++;
	/* one spare entry each: never NULL, so an empty run needs no case
	   of its own (qsort, memcpy) and byconn + lo is defined */
	f->vr = dt_calloc(mem, nv + 1, sizeof *f->vr);
	f->byconn = dt_calloc(mem, nv + 1, sizeof *f->byconn);
	f->groups = dt_calloc(mem, nv + 1, sizeof *f->groups);
	by = dt_calloc(mem, nv + 1, sizeof *by);
	if (f->vr == NULL || f->byconn == NULL || f->groups == NULL ||
	    by == NULL)
		goto fail;
	for (i = 0; i < run->n_caps; i++)
		add_capture(f, run->caps[i], i);
	qsort(f->vr, nv, sizeof *f->vr, vref_rank);
	for (i = 0; i < nv; i++)
		by[i] = &f->vr[i];
	qsort(by, nv, sizeof *by, by_group);
	for (i = 0; i < nv; i = j) {
		for (j = i + 1; j < nv && alike(by[i], by[j]) == 0; j++)
			;
		f->groups[f->ng].first = by[i];
		f->groups[f->ng].last = by[j - 1];
		f->groups[f->ng].n = j - i;
		for (k = i; k < j; k++) {
			by[k]->group = f->ng;
			by[k]->card = by[i]->seq;
			by[k]->example = k == i || k == j - 1;
		}
		f->ng++;
	}
	memcpy(f->byconn, f->vr, nv * sizeof *f->vr);
	qsort(f->byconn, nv, sizeof *f->byconn, by_conn);
	dt_free(mem, by);
	return 0;
fail:
	dt_free(mem, by);
	html_findings_free(f, mem);
	return DT_ENOMEM;
}

void
html_findings_free(struct findings *f, struct dt_mem *mem)
{
	dt_free(mem, f->vr);
	dt_free(mem, f->byconn);
	dt_free(mem, f->groups);
	memset(f, 0, sizeof *f);
}

size_t
html_conn_verdicts(const struct findings *f, size_t capi, uint32_t id,
    size_t *lo)
{
	size_t a = 0, b = f->nv, mid, n = 0;
	const struct vref *r;

	while (a < b) {		/* the first at or after (capi, id) */
		mid = a + (b - a) / 2;
		r = &f->byconn[mid];
		if (r->cap < capi || (r->cap == capi && r->v->conn < id))
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	while (a + n < f->nv && f->byconn[a + n].cap == capi &&
	    f->byconn[a + n].v->conn == id)
		n++;
	return n;
}
