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
 * Cost: a few sorts, O(V log V) for V verdicts; memory: 16 bytes a
 * verdict (its pointer, group and place by connection; 17 more for its
 * key, severity and confidence while the groups are made) and a few
 * words a group. A verdict's struct vref is made when it is drawn.
 *
 * The sorts read arrays of the heap, never the verdicts: a capture that
 * spills keeps its verdicts in the spill file, and a comparison sort
 * reading them at random maps them back 2 MiB a touch (85 MB of the
 * 2 GiB bench day under --all), where a walk in list order gives back
 * what it read as it goes. So that walk hashes what makes a verdict
 * alike into a 128-bit key (two 64-bit hashes of different functions
 * over every field compared), and alike verdicts are those of one key:
 * two unlike verdicts share a key with a chance of about V^2 / 2^129.
 */
#include "report/html_int.h"
#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

/* What qsort()'s comparisons read besides the two indexes (no state of
   its own: passed by qsort_r()). */
struct sort_ctx {
	const struct findings *f;
	uint64_t (*key)[2];	/* by run index, while grouping */
};

/* The two hashes of texts by their address, the last few: interned texts
   (ids, shared explanations and remedies, names) are hashed once. */
#define TEXT_MEMO	64

struct text_memo {
	const char *p[TEXT_MEMO];
	uint64_t h[TEXT_MEMO][2];
};

/* A second hash, of another function than dt_hash_bytes(): other
   constants, another shift, the words folded from the end. */
static uint64_t
hash2(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xc2b2ae3d27d4eb4fULL + n, w;
	size_t i;

	for (i = n; i >= 8; i -= 8) {
		memcpy(&w, b + i - 8, 8);
		h = (h ^ w) * 0x94d049bb133111ebULL;
		h ^= h >> 29;
	}
	for (w = 0; i > 0; i--)
		w = w << 8 | b[i - 1];
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	return h ^ h >> 32;
}

static const uint64_t *
text_hash(struct text_memo *m, const char *s)
{
	size_t at, n;

	if (s == NULL)
		s = "";			/* no text is the empty one */
	at = ((uintptr_t)s >> 3) % TEXT_MEMO;
	if (m->p[at] != s) {
		n = strlen(s);
		m->p[at] = s;
		m->h[at][0] = dt_hash_bytes(s, n);
		m->h[at][1] = hash2(s, n);
	}
	return m->h[at];
}

/* The key of verdict v of capture cap, whose server is `server` (its
   name, else its address): what makes verdicts alike is their capture,
   id, severity, confidence, Windows error, server, explanation and
   remedy. */
static void
alike_key(struct text_memo *m, size_t cap, const struct dt_verdict *v,
    const char *server, uint64_t key[2])
{
	uint64_t w[2][7];
	const uint64_t *t;
	int k;

	w[0][0] = w[1][0] = cap;
	w[0][1] = w[1][1] = (uint64_t)v->win_code << 16 |
	    (uint64_t)v->severity << 8 | v->confidence;
	for (k = 0; k < 2; k++) {
		t = text_hash(m, k == 0 ? v->id : server);
		w[0][2 + k] = t[0];
		w[1][2 + k] = t[1];
	}
	for (k = 0; k < 2; k++) {
		t = text_hash(m, k == 0 ? v->explanation : v->remedy);
		w[0][4 + k] = t[0];
		w[1][4 + k] = t[1];
	}
	w[0][6] = w[1][6] = 0;
	key[0] = dt_hash_bytes(w[0], sizeof w[0]);
	key[1] = hash2(w[1], sizeof w[1]);
}

static size_t
cap_of(const struct findings *f, uint32_t r)
{
	size_t lo = 0, hi = f->run->n_caps;

	while (hi - lo > 1) {	/* the last capture starting at or before r */
		size_t mid = lo + (hi - lo) / 2;

		if (f->capoff[mid] <= r)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int
same_key(const struct sort_ctx *x, uint32_t a, uint32_t b)
{
	return x->key[a][0] == x->key[b][0] && x->key[a][1] == x->key[b][1];
}

/* Alike ones together, each group by connection, then list order (the
   run index is capture, then list order). */
static int
by_group(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *x = arg;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int k;

	for (k = 0; k < 2; k++)
		if (x->key[a][k] != x->key[b][k])
			return x->key[a][k] < x->key[b][k] ? -1 : 1;
	if (x->f->conn[a] != x->f->conn[b])
		return x->f->conn[a] < x->f->conn[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int
by_conn(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *x = arg;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	size_t ca = cap_of(x->f, a), cb = cap_of(x->f, b);

	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (x->f->conn[a] != x->f->conn[b])
		return x->f->conn[a] < x->f->conn[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Cards: severity, then confidence, then capture and the first's place
   (the order of the verdicts' ranking, where each group's first stands). */
static int
by_rank(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *x = arg;
	const struct group *a = &x->f->groups[*(const uint32_t *)pa];
	const struct group *b = &x->f->groups[*(const uint32_t *)pb];

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->confidence != b->confidence)
		return a->confidence > b->confidence ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

/* The server of verdict v of capture cap: its connection (found through
   the capture's index by id, not a walk per verdict) named, else its
   address; "" for none. */
static const char *
server_of(const struct dt_capture *cap, const struct dt_verdict *v)
{
	const struct dt_conn *c = v->conn != 0 ?
	    dt_facts_conn_by_id(cap, v->conn) : NULL;
	const char *name = c != NULL ? dt_facts_server_name(c) : NULL;

	return name != NULL ? name : c != NULL ? c->server_str : "";
}

/* The groups marked as about connections that are not IP-HTTPS keep
   their mark (no card) past the first HTML_BG_CARDS of their id by rank,
   counted per id in f->folded; the others lose it. ids: the verdicts'. */
static void
fold(struct findings *f, const char *const *ids)
{
	size_t shown[HTML_FOLDED_IDS] = { 0 };
	const char *seen[HTML_FOLDED_IDS];
	size_t i, k, n_seen = 0;
	struct group *g;
	const char *id;

	for (i = 0; i < f->ng; i++) {
		g = &f->groups[f->cards[i]];
		if (!g->folded)
			continue;
		id = ids[g->first];
		for (k = 0; k < n_seen && strcmp(seen[k], id) != 0; k++)
			;
		if (k == n_seen) {
			if (n_seen == HTML_FOLDED_IDS) {
				g->folded = 0;	/* more ids than rules */
				continue;
			}
			seen[n_seen++] = id;
		}
		if (shown[k] < HTML_BG_CARDS) {
			shown[k]++;
			g->folded = 0;
			continue;
		}
		for (k = 0; k < f->n_folded && strcmp(f->folded[k].id, id) != 0;
		    k++)
			;
		if (k == f->n_folded) {
			f->folded[k].id = id;
			f->folded[k].severity = g->severity;
			f->n_folded++;
		}
		f->folded[k].groups++;
		f->folded[k].verdicts += g->n;
	}
}

int
html_findings(struct findings *f, const struct dt_report_run *run,
    struct dt_mem *mem)
{
	const struct dt_verdict *v;
	struct sort_ctx x;
	struct text_memo *memo = NULL;
	uint8_t *rank = NULL;		/* severity << 4 | background << 3 |
					   confidence */
	const char **ids = NULL;	/* the verdicts' ids (the rules') */
	uint32_t *by;
	size_t nv = 0, i, j, k, n;

	memset(f, 0, sizeof *f);
	f->run = run;
	x.f = f;
	x.key = NULL;
	for (i = 0; i < run->n_caps; i++)
		nv += run->caps[i]->n_verdicts;
	if (nv >= UINT32_MAX)
		return DT_ENOMEM;
	/* one spare entry each: never NULL, so an empty run needs no case
	   of its own (qsort, memcpy) */
	f->capoff = dt_calloc(mem, run->n_caps + 1, sizeof *f->capoff);
	f->vp = dt_calloc(mem, nv + 1, sizeof *f->vp);
	f->gid = dt_calloc(mem, nv + 1, sizeof *f->gid);
	f->conn = dt_calloc(mem, nv + 1, sizeof *f->conn);
	by = f->byconn = dt_calloc(mem, nv + 1, sizeof *f->byconn);
	x.key = dt_calloc(mem, nv + 1, sizeof *x.key);
	rank = dt_calloc(mem, nv + 1, sizeof *rank);
	ids = dt_calloc(mem, nv + 1, sizeof *ids);
	memo = dt_calloc(mem, 1, sizeof *memo);
	if (f->capoff == NULL || f->vp == NULL || f->gid == NULL ||
	    f->conn == NULL || by == NULL || x.key == NULL || rank == NULL ||
	    ids == NULL || memo == NULL)
		goto fail;
	for (i = 0; i < run->n_caps; i++) {
		struct dt_spill_walk sw = DT_SPILL_WALK_INIT;

		f->capoff[i] = f->nv;
		for (v = run->caps[i]->verdicts; v != NULL; v = v->next) {
			dt_capture_spill_step(run->caps[i], &sw);
			alike_key(memo, i, v, server_of(run->caps[i], v),
			    x.key[f->nv]);
			rank[f->nv] = (uint8_t)(v->severity << 4 |
			    (v->background != 0) << 3 | (v->confidence & 7));
			ids[f->nv] = v->id;
			f->conn[f->nv] = v->conn;
			f->vp[f->nv++] = v;
		}
		dt_capture_spill_drop(run->caps[i]);	/* as json.c */
	}
	f->capoff[run->n_caps] = nv;
	for (i = 0; i < nv; i++)
		by[i] = (uint32_t)i;
	qsort_r(by, nv, sizeof *by, by_group, &x);
	for (i = 0; i < nv; i = j)	/* count the groups */
		for (j = i + 1, f->ng++; j < nv && same_key(&x, by[i], by[j]);
		    j++)
			;
	f->groups = dt_calloc(mem, f->ng + 1, sizeof *f->groups);
	f->cards = dt_calloc(mem, f->ng + 1, sizeof *f->cards);
	if (f->groups == NULL || f->cards == NULL)
		goto fail;
	for (i = 0, n = 0; i < nv; i = j, n++) {
		for (j = i + 1; j < nv && same_key(&x, by[i], by[j]); j++)
			;
		f->groups[n].first = by[i];
		f->groups[n].last = by[j - 1];
		f->groups[n].n = j - i;
		f->groups[n].severity = (uint8_t)(rank[by[i]] >> 4);
		f->groups[n].confidence = rank[by[i]] & 7;
		/* marked, folded below once the cards are ranked */
		f->groups[n].folded = (rank[by[i]] & 8) != 0;
		f->cards[n] = (uint32_t)n;
		for (k = i; k < j; k++)
			f->gid[by[k]] = (uint32_t)n;
	}
	dt_free(mem, x.key);
	dt_free(mem, rank);
	dt_free(mem, memo);
	x.key = NULL;
	rank = NULL;
	memo = NULL;
	qsort_r(f->cards, f->ng, sizeof *f->cards, by_rank, &x);
	fold(f, ids);
	dt_free(mem, ids);
	ids = NULL;
	/* by connection, for the connections' sections */
	for (i = 0; i < nv; i++)
		by[i] = (uint32_t)i;
	qsort_r(by, nv, sizeof *by, by_conn, &x);
	for (i = 0; i < nv; i = j) {	/* the longest run of one connection */
		for (j = i + 1; j < nv && cap_of(f, by[i]) == cap_of(f, by[j]) &&
		    f->conn[by[i]] == f->conn[by[j]]; j++)
			;
		if (f->conn[by[i]] != 0 && j - i > f->max_conn)
			f->max_conn = j - i;
	}
	f->tmp = dt_calloc(mem, f->max_conn + 1, sizeof *f->tmp);
	if (f->tmp == NULL)
		goto fail;
	return 0;
fail:
	dt_free(mem, x.key);
	dt_free(mem, rank);
	dt_free(mem, ids);
	dt_free(mem, memo);
	html_findings_free(f, mem);
	return DT_ENOMEM;
}

void
html_findings_free(struct findings *f, struct dt_mem *mem)
{
	dt_free(mem, f->capoff);
	dt_free(mem, f->vp);
	dt_free(mem, f->gid);
	dt_free(mem, f->byconn);
	dt_free(mem, f->conn);
	dt_free(mem, f->groups);
	dt_free(mem, f->cards);
	dt_free(mem, f->tmp);
	memset(f, 0, sizeof *f);
}

/* r made into *out, with its connection c when known (else looked up). */
static void
make_vref(const struct findings *f, uint32_t r, struct vref *out,
    const struct dt_conn *c, int known)
{
	const struct group *g = &f->groups[f->gid[r]];
	const struct dt_verdict *v = f->vp[r];

	out->v = v;
	out->cap = cap_of(f, r);
	out->seq = r - f->capoff[out->cap];
	if (!known)
		c = v->conn != 0 ?
		    dt_facts_conn_by_id(f->run->caps[out->cap], v->conn) : NULL;
	out->c = c;
	out->group = f->gid[r];
	out->card = g->first - f->capoff[out->cap];
	out->example = !g->folded && (r == g->first || r == g->last);
	out->folded = g->folded;
}

void
html_vref(const struct findings *f, uint32_t r, struct vref *out)
{
	make_vref(f, r, out, NULL, 0);
}

/* Whether run index r sorts before connection id of capture capi. */
static int
before(const struct findings *f, uint32_t r, size_t capi, uint32_t id)
{
	size_t cr = cap_of(f, r);

	return cr < capi || (cr == capi && f->conn[r] < id);
}

size_t
html_conn_verdicts(const struct findings *f, size_t capi, uint32_t id,
    const struct dt_conn *c, size_t *at)
{
	size_t a = *at, b = f->nv, mid, n = 0;

	/* the walk's place is the first at or after (capi, id) when the one
	   before it sorts before and it does not: no search (three walks of
	   every connection) */
	if (a > f->nv || (a > 0 && !before(f, f->byconn[a - 1], capi, id)) ||
	    (a < f->nv && before(f, f->byconn[a], capi, id))) {
		a = 0;
		while (a < b) {	/* the first at or after (capi, id) */
			mid = a + (b - a) / 2;
			if (before(f, f->byconn[mid], capi, id))
				a = mid + 1;
			else
				b = mid;
		}
	}
	while (a + n < f->nv && n < f->max_conn &&
	    cap_of(f, f->byconn[a + n]) == capi &&
	    f->conn[f->byconn[a + n]] == id) {
		make_vref(f, f->byconn[a + n], &f->tmp[n], c, 1);
		n++;
	}
	/* past this connection's (all of them, not only the first max_conn) */
	b = a + n;
	while (b < f->nv && cap_of(f, f->byconn[b]) == capi &&
	    f->conn[f->byconn[b]] == id)
		b++;
	*at = b;
	return n;
}
