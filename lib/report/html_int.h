/*
 * Internal to the HTML report (html*.c): the output with its one escaping
 * function, the small formats every section uses, and the two drawings
 * that have their own files: the message ladder (html_ladder.c) and the
 * certificate cards (html_cert.c); html_group.c ranks the verdicts and
 * groups identical ones into one card. html.c lays out the document.
 */
#ifndef DT_REPORT_HTML_INT_H
#define DT_REPORT_HTML_INT_H

#include <stdio.h>

#include "report/report.h"

#define MAX_CARDS 60		/* certificate cards per capture */

struct out {
	FILE *fp;
	struct dt_mem *mem;
	unsigned flags;
	int err;		/* DT_EIO / DT_ENOMEM, sticky */
	/* the capture's events by time, for the ladders */
	const struct dt_winevent **winevents;
	size_t n_winevents;
};

/* One verdict and where it stands in the run: made on demand from the
   compact tables of struct findings (html_vref()), a connection's few at
   a time. */
struct vref {
	const struct dt_verdict *v;
	size_t cap;		/* index of its capture */
	size_t seq;		/* order in its capture's list */
	const struct dt_conn *c;	/* its connection, NULL when none kept */
	size_t group;		/* its group in struct findings */
	size_t card;		/* seq of the verdict whose card shows it */
	int example;		/* first or last of its group: ladder drawn */
	int folded;		/* its group has no card (struct group) */
};

/*
 * Identical verdicts (same capture, id, severity, confidence, Windows
 * error, server and cause: explanation and remedy) share one card, which
 * shows the first of them (by connection) and names the last; only those
 * two connections get a ladder. A day of the same failure is one card.
 * first and last are run indexes (struct findings).
 */
struct group {
	uint32_t first, last;
	size_t n;
	uint8_t severity, confidence;	/* its verdicts': what the cards'
					   sort reads, not the verdicts */
	uint8_t folded;			/* no card: about connections that
					   are not IP-HTTPS (--all), past the
					   first HTML_BG_CARDS groups of its
					   id (struct folded_id) */
};

/*
 * Under --all every TLS connection is judged, and its verdicts group by
 * server: a day of browsing is tens of thousands of groups, and a card
 * and two ladders each made a page of 945 MB for the 2 GiB bench day. The
 * groups about connections that are not IP-HTTPS get at most
 * HTML_BG_CARDS cards per verdict id (the first by rank); the rest of
 * each id is one line of counts, and the JSON report lists every one.
 */
#define HTML_BG_CARDS	10
#define HTML_FOLDED_IDS	64	/* verdict ids folded: more than the
					   rules have; past it, none folds */

struct folded_id {
	const char *id;
	uint8_t severity;		/* of its first folded group */
	size_t groups, verdicts;
};

/*
 * The run's verdicts numbered capture by capture in list order (the run
 * index r of verdict seq of capture i is capoff[i] + seq), with 16 bytes
 * each: its pointer, its group, its place by connection. A day of 80,000
 * verdicts is 1.3 MB (it was 13 MB of copies); the rest is per group.
 */
struct findings {
	const struct dt_report_run *run;
	const struct dt_verdict **vp;	/* by run index */
	uint32_t *gid;			/* its group */
	uint32_t *conn;			/* its connection's id: what the sorts
					   and the searches by connection read,
					   not the verdicts (a spilled
					   capture's verdicts, read at random,
					   are mapped back page by page) */
	uint32_t *byconn;		/* run indexes by capture, connection,
					   list order */
	size_t *capoff;			/* n_caps + 1 */
	size_t nv;
	struct group *groups;
	uint32_t *cards;		/* groups by rank: severity, confidence,
					   capture, first's place */
	size_t ng;
	struct vref *tmp;		/* a connection's verdicts made */
	size_t max_conn;		/* the most verdicts of one connection */
	struct folded_id folded[HTML_FOLDED_IDS];	/* ids with groups
					   folded, in the order of their first */
	size_t n_folded;
};

/* ---- output (html_out.c) --------------------------------------------------- */

void html_put(struct out *o, const char *s, size_t n);
/* Our own markup. */
void html_puts(struct out *o, const char *s);
/* Our own markup with numbers; never a string from the wire. */
void html_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Write s as HTML text, safe in element content, in a quoted attribute
 * value and in SVG <text>. max_cps > 0 keeps that many code points and
 * ends with an ellipsis; returns 1 when it cut. NULL writes nothing.
 */
int html_text(struct out *o, const char *s, size_t max_cps);
void html_esc(struct out *o, const char *s);		/* html_text, whole */

/* "Info", "Warning", "Error". */
const char *html_sev_title(dt_severity s);
void html_version(struct out *o, uint16_t v);
void html_suite(struct out *o, uint16_t suite);
/* "2026-11-25 17:11:27 UTC" (no fraction); "?" outside 0000..9999. */
void html_when(struct out *o, int64_t ns);
/* The date of a certificate bound: "2034-01-01". */
void html_date(struct out *o, int64_t sec);
/* A duration: "0.008 s" under a minute, else "1:02:03", "3 d 01:02:03". */
void html_span(struct out *o, int64_t ns);
void html_bytes(struct out *o, uint64_t n);
/* The file name after the last '/'. */
const char *html_base_name(const char *path);
/* The Windows error of a verdict, when it has one. */
void html_windows(struct out *o, const struct dt_verdict *v);

/* ---- findings (html_group.c) ---------------------------------------------- */

/* Ranks and groups the verdicts of the run into f (freed with
   html_findings_free). 0 or DT_ENOMEM. */
int html_findings(struct findings *f, const struct dt_report_run *run,
    struct dt_mem *mem);
void html_findings_free(struct findings *f, struct dt_mem *mem);
/* The verdict of run index r, made into *out. */
void html_vref(const struct findings *f, uint32_t r, struct vref *out);
/* The verdicts of connection c (id) of capture capi, in list order, made
   into f->tmp: their count. *at: where the walk of a capture's
   connections (in id order) expects them, 0 to start; looked for when
   they are not there. */
size_t html_conn_verdicts(const struct findings *f, size_t capi, uint32_t id,
    const struct dt_conn *c, size_t *at);

/* ---- the message ladder (html_ladder.c) ------------------------------------- */

/* The SVG ladder of connection c of capture capi, marked with the evidence
   of its verdicts vr[0..nv). */
void html_ladder(struct out *o, size_t capi, const struct dt_conn *c,
    const struct vref *vr, size_t nv);

/* ---- certificates (html_cert.c) --------------------------------------------- */

struct card {
	const struct dt_cert *x;
	const struct dt_conn *c;	/* first connection showing it */
	size_t pos;			/* in that chain */
	int client;			/* a client certificate */
};

/* One card: the RFC 5280 fields of cd->x, its validity against the
   capture time, and where it was seen. */
void html_cert_card(struct out *o, size_t capi, const struct card *cd);
/* Adds the certificates v[0..nx) of c not yet among cards[0..n) (at most
   MAX_CARDS); returns the new count. */
size_t html_card_add(struct card *cards, size_t n, const struct dt_conn *c,
    const struct dt_cert *v, size_t nx, int client);

#endif
