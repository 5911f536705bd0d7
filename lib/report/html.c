/*
 * The HTML report: one self-contained HTML5 document (inline CSS and inline
 * SVG, no script, nothing fetched) that a consultant can hand to a
 * customer. It shows the captures and options, the verdicts ranked by
 * severity, for each failing connection a message ladder (html_ladder.c)
 * with the failing step marked, the healthy connections folded into a
 * table, and the certificates as cards (html_cert.c). This file lays out
 * the document; every byte reaches it through html_out.c, every string
 * from the wire through html_text().
 */
#include "report/html_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "net/encap.h"
#include "tls/tls.h"

#define MAX_ERRORS 10		/* capture errors listed */
#define MAX_ROWS 200		/* rows of the table of healthy connections */

/* ---- the style sheet ------------------------------------------------------ */

static const char css[] =
":root{--err:#b3261e;--err-bg:#fdecea;--warn:#9a5b00;--warn-bg:#fff3dc;"
"--ok:#1d6b3a;--ok-bg:#e6f4ea;--ink:#1f2328;--mute:#59636e;--line:#d0d7de;"
"--panel:#f6f8fa;--c2s:#1f5fbf;--s2c:#3d4852}\n"
"*{box-sizing:border-box}\n"
"html{-webkit-text-size-adjust:100%}\n"
"body{margin:0;color:var(--ink);background:#fff;font:15px/1.5 system-ui,"
"-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\n"
"main{max-width:1040px;margin:0 auto;padding:24px 20px 40px}\n"
"h1{font-size:26px;margin:0 0 2px}h2{font-size:20px;margin:34px 0 12px;"
"padding-bottom:6px;border-bottom:2px solid var(--line)}"
"h3{font-size:16px;margin:0 0 6px}\n"
"code,.mono{font-family:ui-monospace,'SFMono-Regular',Consolas,"
"'Liberation Mono',monospace;font-size:.92em}\n"
"a{color:#0b57d0}\n"
".sub{color:var(--mute);margin:0}\n"
".banner{margin:18px 0 6px;padding:14px 18px;border-radius:8px;"
"border-left:6px solid;font-size:17px}\n"
".banner strong{font-size:19px}\n"
".banner.error{background:var(--err-bg);border-color:var(--err)}"
".banner.warning{background:var(--warn-bg);border-color:var(--warn)}"
".banner.info{background:var(--ok-bg);border-color:var(--ok)}"
".banner.none{background:var(--panel);border-color:var(--mute)}\n"
".scroll{overflow-x:auto}\n"
"table{border-collapse:collapse;width:100%;font-size:14px}\n"
"th,td{text-align:left;vertical-align:top;padding:6px 10px;"
"border-bottom:1px solid var(--line)}\n"
"th{background:var(--panel);font-weight:600;white-space:nowrap}\n"
"dl.opts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;"
"margin:8px 0}dl.opts dt{color:var(--mute)}dl.opts dd{margin:0;"
"overflow-wrap:anywhere}\n"
".notes{color:var(--mute);font-size:14px;margin:6px 0 0;padding-left:20px}\n"
".verdict{border:1px solid var(--line);border-left:6px solid;"
"border-radius:8px;padding:12px 16px;margin:12px 0;break-inside:avoid}\n"
".verdict.error{border-left-color:var(--err)}"
".verdict.warning{border-left-color:var(--warn)}"
".verdict.info{border-left-color:var(--ok)}\n"
".vhead{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 12px}\n"
".badge{display:inline-block;padding:1px 9px;border-radius:10px;"
"font-size:12px;font-weight:700;text-transform:uppercase;"
"letter-spacing:.04em;color:#fff}\n"
".badge.error{background:var(--err)}.badge.warning{background:var(--warn)}"
".badge.info{background:var(--ok)}\n"
".vid{font-weight:700;font-size:15px}\n"
".win{color:var(--ink)}.win .code{font-weight:600}\n"
".conf{color:var(--mute);font-size:13px}\n"
".summary{font-weight:600;margin:8px 0 4px;overflow-wrap:anywhere}\n"
".expl{margin:4px 0;overflow-wrap:anywhere}\n"
".remedy{background:var(--panel);border-radius:6px;padding:8px 12px;"
"margin:8px 0 4px;overflow-wrap:anywhere}\n"
".remedy b{margin-right:6px}\n"
"h3.fyi{margin:22px 0 8px;color:var(--mute)}\n"
".meta{color:var(--mute);font-size:13px;margin:6px 0 0}\n"
".frames code{background:var(--panel);padding:0 4px;border-radius:4px}\n"
".conn{border:1px solid var(--line);border-radius:8px;padding:14px 16px;"
"margin:14px 0}\n"
".conn .facts{color:var(--mute);font-size:13px;margin:2px 0 10px;"
"overflow-wrap:anywhere}\n"
".chip{display:inline-block;padding:0 7px;border-radius:9px;"
"font-size:12px;font-family:ui-monospace,Consolas,monospace;"
"margin-right:4px;text-decoration:none;color:var(--ink);"
"border:1px solid var(--line);background:#fff}\n"
".chip.error{border-color:var(--err);color:var(--err)}"
".chip.warning{border-color:var(--warn);color:var(--warn)}"
".chip.info{border-color:var(--ok);color:var(--ok)}\n"
".ladder{overflow-x:auto}\n"
".ladder svg{display:block;width:100%;max-width:800px;min-width:600px;"
"height:auto;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,"
"sans-serif}\n"
".outside{font-size:13px;color:var(--mute);margin:4px 0 0}\n"
".cards{display:grid;grid-template-columns:repeat(auto-fill,"
"minmax(400px,1fr));gap:14px}\n"
".card{border:1px solid var(--line);border-radius:8px;padding:12px 14px;"
"break-inside:avoid;overflow-wrap:break-word;min-width:0}\n"
".card h3{font-size:15px}\n"
".card .role{color:var(--mute);font-size:12px;margin-bottom:4px}"
".card .role b{text-transform:uppercase;letter-spacing:.05em}\n"
".card dl{display:grid;grid-template-columns:max-content 1fr;"
"gap:2px 10px;margin:6px 0 0;font-size:13px}\n"
".card dt{color:var(--mute)}.card dd{margin:0;min-width:0}\n"
".status{font-weight:600}.status.error{color:var(--err)}"
".status.warning{color:var(--warn)}.status.info{color:var(--ok)}\n"
".validity{position:relative;height:12px;background:var(--panel);"
"border:1px solid var(--line);border-radius:6px;margin:8px 0 2px}\n"
".validity .range{position:absolute;top:0;bottom:0;background:#9fd3ae;"
"border-radius:5px}.validity .range.bad{background:#f2b8b5}\n"
".validity .now{position:absolute;top:-5px;bottom:-5px;width:3px;"
"margin-left:-1px;background:var(--ink)}\n"
".vscale{display:flex;justify-content:space-between;font-size:12px;"
"color:var(--mute)}\n"
".fp{font-family:ui-monospace,Consolas,monospace;font-size:11.5px;"
"word-break:break-all}\n"
"footer{color:var(--mute);font-size:13px;margin-top:36px;"
"border-top:1px solid var(--line);padding-top:10px}\n"
"@media (max-width:640px){main{padding:14px 12px 28px}h1{font-size:21px}"
"h2{font-size:18px}.cards{grid-template-columns:1fr}"
"dl.opts{grid-template-columns:1fr}dl.opts dd{margin-bottom:6px}"
"th,td{padding:5px 6px}}\n"
"@media print{@page{margin:14mm}body{font-size:10.5pt}"
"main{max-width:none;padding:0}"
"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
".ladder{overflow:visible}.ladder svg{min-width:0;max-width:100%}"
".conn,.card,.verdict,tr{break-inside:avoid}h2,h3{break-after:avoid}"
"a{color:inherit;text-decoration:none}.scroll{overflow:visible}}\n";

/* ---- header: captures and options ------------------------------------------ */

static void
put_linktypes(struct out *o, const struct dt_capture *cap)
{
	char name[64];
	const char *ltn;
	size_t i;

	for (i = 0; i < cap->n_linktypes; i++) {
		if (cap->linktypes[i].name[0] != '\0') {
			snprintf(name, sizeof name, "%.*s",
			    (int)sizeof cap->linktypes[i].name,
			    cap->linktypes[i].name);
			ltn = name;
		} else {
			ltn = dt_linktype_name(cap->linktypes[i].linktype, name,
			    sizeof name);
		}
		if (i > 0)
			html_puts(o, ", ");
		html_esc(o, ltn != NULL ? ltn : "?");
		if (!cap->linktypes[i].supported)
			html_puts(o, " (not analysed)");
	}
	if (cap->n_linktypes == 0)
		html_puts(o, "&mdash;");
}

static void
capture_notes(struct out *o, const struct dt_capture *cap)
{
	size_t i;
	int open = 0;

#define NOTE() do { if (!open) html_puts(o, "<ul class=\"notes\">"); \
	open = 1; } while (0)
	for (i = 0; i < cap->n_errors && i < MAX_ERRORS; i++) {
		NOTE();
		html_printf(o, "<li>error at byte offset %" PRIu64 ": ",
		    cap->errors[i].offset);
		html_esc(o, cap->errors[i].message);
		html_puts(o, "</li>");
	}
	if (cap->n_errors > MAX_ERRORS) {
		NOTE();
		html_printf(o, "<li>and %zu more errors</li>",
		    cap->n_errors - MAX_ERRORS);
	}
	if (cap->duplicate_sightings > 0) {
		NOTE();
		html_printf(o, "<li>%" PRIu64 " distinct packets in %" PRIu64
		    " records: %" PRIu64 " are further sightings of a packet (at "
		    "another component or layer), counted once</li>",
		    cap->packets - cap->duplicate_sightings, cap->packets,
		    cap->duplicate_sightings);
	}
	for (i = 0; i < cap->n_providers; i++) {
		NOTE();
		html_printf(o, "<li>%" PRIu64 " event%s of %u kind%s from ",
		    cap->providers[i].events,
		    cap->providers[i].events == 1 ? "" : "s",
		    cap->providers[i].ids, cap->providers[i].ids == 1 ? "" : "s");
		html_esc(o, cap->providers[i].name ? cap->providers[i].name :
		    "provider");
		html_printf(o, " <span class=\"mono\">%s</span></li>",
		    cap->providers[i].guid);
	}
	if (cap->system_records > 0) {
		NOTE();
		html_printf(o, "<li>%" PRIu64 " kernel and system record%s "
		    "(trace header, configuration)</li>", cap->system_records,
		    cap->system_records == 1 ? "" : "s");
	}
	if (cap->packets == 0 && cap->n_providers > 0) {
		NOTE();
		html_puts(o, "<li>the trace holds events but no packets: "
		    "capture packets with <code>netsh trace start "
		    "capture=yes</code> or <code>pktmon start --capture "
		    "--pkt-size 0</code></li>");
	}
	if (cap->protected_80211 > 0) {
		NOTE();
		html_printf(o, "<li>%" PRIu64 " 802.11 data frame%s protected "
		    "(encrypted on the air): not decoded; capture on the client "
		    "(netsh, pktmon) to see them in the clear</li>",
		    cap->protected_80211, cap->protected_80211 == 1 ? "" : "s");
	}
	if (cap->truncated_packets > 0) {
		NOTE();
		html_printf(o, "<li>%" PRIu64 " packet%s cut short by the capture's "
		    "snapshot length</li>", cap->truncated_packets,
		    cap->truncated_packets == 1 ? "" : "s");
	}
	for (i = 1; i < DT_ENCAP_MAX; i++) {
		const struct dt_encap_count *e = &cap->encap[i];

		if (e->packets == 0 && e->unread == 0)
			continue;
		NOTE();
		html_printf(o, "<li>%" PRIu64 " packet%s came through %s (first "
		    "in frame %" PRIu64 ")%s</li>", e->packets + e->unread,
		    e->packets + e->unread == 1 ? "" : "s", dt_encap_name(i),
		    e->first_frame, e->unread == 0 ? ", decoded" :
		    e->packets == 0 ? "; what they carry was not decoded" :
		    "; some carry what is not decoded");
	}
	if (cap->undecodable > 0) {
		NOTE();
		html_printf(o, "<li>%" PRIu64 " packet%s could not be decoded</li>",
		    cap->undecodable, cap->undecodable == 1 ? "" : "s");
	}
	if (cap->dropped_conns || cap->dropped_bytes ||
	    cap->fragments_dropped) {
		NOTE();
		html_printf(o, "<li>memory limits dropped %" PRIu64 " connections, %"
		    PRIu64 " stream bytes, %" PRIu64 " fragments</li>",
		    cap->dropped_conns, cap->dropped_bytes,
		    cap->fragments_dropped);
	}
#undef NOTE
	if (open)
		html_puts(o, "</ul>");
}

/* n_iphttps[i]: the IP-HTTPS connections of capture i (document()). */
/* A verdict's chip: a link to its card, or its id alone when its group
   has no card (struct group's folded). */
static void
chip(struct out *o, size_t capi, const struct vref *r)
{
	const char *sev = dt_severity_name(r->v->severity);

	if (r->folded)
		html_printf(o, "<span class=\"chip %s\">", sev);
	else
		html_printf(o, "<a class=\"chip %s\" href=\"#v%zu-%zu\">", sev,
		    capi, r->card);
	html_esc(o, r->v->id);
	html_puts(o, r->folded ? "</span>" : "</a>");
}

static void
captures_section(struct out *o, const struct dt_report_run *run,
    const struct findings *f, const size_t *n_iphttps)
{
	const struct dt_capture *cap;
	size_t i, r, top;
	struct vref tv;

	/* the index of the run: a row per capture, linking to its section */
	html_puts(o, "<section id=\"captures\"><h2>Captures analysed</h2>"
	    "<div class=\"scroll\"><table><thead><tr><th>Capture</th>"
	    "<th>Format</th><th title=\"bytes of the captured packets, not "
	    "the size of the file\">Packet bytes</th><th>Packets</th>"
	    "<th>First packet</th><th>Time span</th><th>Link types</th>"
	    "<th>IP-HTTPS</th><th>Top finding</th></tr></thead><tbody>");
	for (i = 0; i < run->n_caps; i++) {
		struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
		const struct dt_verdict *topv = NULL;

		/* the capture's top finding: the first of its most severe */
		for (r = top = f->capoff[i]; r < f->capoff[i + 1]; r++) {
			dt_capture_spill_step(run->caps[i], &sw);
			if (f->vp[r]->severity > f->vp[top]->severity)
				top = r;
		}
		if (top < f->capoff[i + 1]) {
			html_vref(f, (uint32_t)top, &tv);
			topv = tv.v;
		}
		cap = run->caps[i];
		html_printf(o, "<tr><td><a class=\"mono\" href=\"#cap%zu\" "
		    "title=\"", i);
		html_esc(o, cap->path);
		html_puts(o, "\">");
		html_esc(o, html_base_name(cap->path));
		html_puts(o, "</a></td><td>");
		html_esc(o, cap->format != NULL ? cap->format : "?");
		html_puts(o, "</td><td>");
		html_bytes(o, cap->bytes);
		html_printf(o, "</td><td>%" PRIu64 "</td><td>", cap->packets);
		if (cap->packets > 0)
			html_when(o, cap->first_time);
		else
			html_puts(o, "&mdash;");
		html_puts(o, "</td><td>");
		if (cap->packets > 0)
			html_span(o, cap->last_time - cap->first_time);
		else
			html_puts(o, "&mdash;");
		html_puts(o, "</td><td>");
		put_linktypes(o, cap);
		html_printf(o, "</td><td>%zu</td><td>", n_iphttps[i]);
		if (topv == NULL) {
			html_puts(o, "&mdash;");
		} else {
			chip(o, i, &tv);
			if (topv->win_code != 0)
				html_printf(o, " 0x%" PRIx32, topv->win_code);
		}
		html_puts(o, "</td></tr>");
		dt_capture_spill_drop(run->caps[i]);	/* as json.c */
	}
	html_puts(o, "</tbody></table></div>");
	for (i = 0; i < run->n_caps; i++)
		if (run->caps[i]->n_errors || run->caps[i]->truncated_packets ||
		    run->caps[i]->duplicate_sightings ||
		    run->caps[i]->protected_80211 ||
		    run->caps[i]->n_providers ||
		    run->caps[i]->undecodable || run->caps[i]->dropped_conns ||
		    run->caps[i]->dropped_bytes ||
		    run->caps[i]->fragments_dropped) {
			if (run->n_caps > 1) {
				html_puts(o, "<p class=\"meta\">");
				html_esc(o, html_base_name(run->caps[i]->path));
				html_puts(o, ":</p>");
			}
			capture_notes(o, run->caps[i]);
		}

	html_puts(o, "<dl class=\"opts\"><dt>IP-HTTPS server name</dt><dd>");
	if (run->host != NULL) {
		html_puts(o, "<code>");
		html_esc(o, run->host);
		html_puts(o, "</code>");
	} else {
		html_puts(o, "not given (<code>--host</code>): IP-HTTPS connections "
		    "recognised by their traffic");
	}
	html_puts(o, "</dd><dt>Trust anchors</dt><dd>");
	if (run->ca_file != NULL) {
		html_puts(o, "<code>");
		html_esc(o, run->ca_file);
		html_puts(o, "</code>");
	} else {
		html_puts(o, "none given (<code>--ca</code>): certificate chains "
		    "not verified");
	}
	html_puts(o, "</dd>");
	if (run->expect_cert != NULL) {
		html_puts(o, "<dt>Expected server certificate</dt><dd><code>");
		html_esc(o, run->expect_cert);
		html_puts(o, "</code></dd>");
	}
	html_puts(o, "<dt>Ports</dt><dd>");
	if (run->ports == NULL || run->ports[0] == 0) {
		html_puts(o, "443");
	} else {
		for (i = 0; run->ports[i] != 0; i++)
			html_printf(o, "%s%u", i ? ", " : "", run->ports[i]);
	}
	html_puts(o, "</dd>");
	if (run->filter != NULL) {
		html_puts(o, "<dt>Capture filter</dt><dd><code>");
		html_esc(o, run->filter);
		html_puts(o, "</code></dd>");
	}
	if (run->all)
		html_puts(o, "<dt>Scope</dt><dd>every TLS connection "
		    "(<code>--all</code>)</dd>");
	html_puts(o, "</dl></section>\n");
}

/* ---- verdicts --------------------------------------------------------------- */

/* The evidence frames of v, as a list of <code>. */
static void
frame_list(struct out *o, const struct dt_verdict *v)
{
	size_t i;

	for (i = 0; i < v->n_frames; i++)
		html_printf(o, "%s<code>%" PRIu64 "</code>", i ? ", " : "",
		    v->frames[i]);
}

/* A card that stands for several verdicts alike: how many, and the last. */
static void
alike_note(struct out *o, const struct findings *f, const struct group *g)
{
	struct vref lv, fv;
	const struct vref *last = &lv;

	html_vref(f, g->last, &lv);
	html_vref(f, g->first, &fv);

	html_printf(o, "<p class=\"meta alike\"><b>%zu %s alike</b> (same "
	    "finding, server and cause): this card shows the first; the last "
	    "is ", g->n, last->v->conn != 0 ? "connections" : "findings");
	if (last->v->conn != 0 && last->c != NULL)
		html_printf(o, "<a href=\"#c%zu-%" PRIu32 "\">connection %"
		    PRIu32 "</a>", last->cap, last->v->conn, last->v->conn);
	else if (last->v->conn != 0)
		html_printf(o, "connection %" PRIu32, last->v->conn);
	else
		html_puts(o, "about the whole capture");
	if (last->v->n_frames > 0) {
		html_printf(o, " (frame%s ", last->v->n_frames == 1 ? "" : "s");
		frame_list(o, last->v);
		html_puts(o, ")");
	}
	html_printf(o, ". Only the first and the last are %s under "
	    "Connections; the JSON report (<code>-f json</code>) lists every "
	    "one.</p>", fv.v->severity >= DT_SEV_WARNING ? "drawn" :
	    "listed");
}

static void
verdict_article(struct out *o, const struct dt_report_run *run,
    const struct findings *f, const struct vref *r)
{
	const struct dt_verdict *v = r->v;
	const char *sev = dt_severity_name(v->severity);
	const struct dt_conn *c = r->c;
	const char *name;

	html_printf(o, "<article class=\"verdict %s\" id=\"v%zu-%zu\">"
	    "<div class=\"vhead\"><span class=\"badge %s\">%s</span>"
	    "<code class=\"vid\">", sev, r->cap, r->seq, sev,
	    html_sev_title(v->severity));
	html_esc(o, v->id != NULL ? v->id : "?");
	html_puts(o, "</code>");
	html_windows(o, v);
	html_printf(o, "<span class=\"conf\">confidence %s</span></div>",
	    dt_confidence_name(v->confidence));
	if (v->summary != NULL) {
		html_puts(o, "<p class=\"summary\">");
		html_esc(o, v->summary);
		html_puts(o, "</p>");
	}
	if (v->explanation != NULL && v->explanation[0] != '\0') {
		html_puts(o, "<p class=\"expl\">");
		html_esc(o, v->explanation);
		html_puts(o, "</p>");
	}
	if (v->remedy != NULL && v->remedy[0] != '\0') {
		html_puts(o, "<div class=\"remedy\"><b>Fix</b>");
		html_esc(o, v->remedy);
		html_puts(o, "</div>");
	}
	html_puts(o, "<p class=\"meta\">");
	if (v->n_frames > 0) {
		html_printf(o, "<span class=\"frames\">Evidence frame%s ",
		    v->n_frames == 1 ? "" : "s");
		frame_list(o, v);
		html_puts(o, "</span>");
	} else {
		html_puts(o, "No frame evidence");
	}
	if (v->conn != 0) {
		html_puts(o, " &middot; ");
		if (c != NULL)
			html_printf(o, "<a href=\"#c%zu-%" PRIu32 "\">connection %"
			    PRIu32 "</a>", r->cap, v->conn, v->conn);
		else
			html_printf(o, "connection %" PRIu32, v->conn);
		if (c != NULL && (name = dt_facts_server_name(c)) != NULL) {
			html_puts(o, " to <code>");
			html_esc(o, name);
			html_puts(o, "</code>");
		}
	} else {
		html_puts(o, " &middot; about the whole capture");
	}
	if (run->n_caps > 1) {
		html_puts(o, " &middot; in <span class=\"mono\">");
		html_esc(o, html_base_name(run->caps[r->cap]->path));
		html_puts(o, "</span>");
	}
	html_puts(o, "</p>");
	if (f->groups[r->group].n > 1)
		alike_note(o, f, &f->groups[r->group]);
	html_puts(o, "</article>\n");
}

/* ---- connections --------------------------------------------------------- */

static void
conn_chips(struct out *o, size_t capi, const struct vref *vr, size_t nv)
{
	size_t i;

	for (i = 0; i < nv; i++)
		chip(o, capi, &vr[i]);
}

static void
conn_facts(struct out *o, const struct dt_conn *c)
{
	char filter[DT_FILTER_LEN];

	html_puts(o, "<p class=\"facts\">");
	html_when(o, c->first_time);
	html_printf(o, " &middot; TCP %s &middot; frames %" PRIu64 "&ndash;%" PRIu64,
	    dt_report_state_name(c->state), c->first_frame, c->last_frame);
	if (c->tls->sh_frame != 0) {
		html_puts(o, " &middot; ");
		html_version(o, c->tls->version);
		html_puts(o, ", ");
		html_suite(o, c->tls->suite);
	}
	if (!c->iphttps)
		html_puts(o, " &middot; not IP-HTTPS");
	if (dt_conn_reason(c)[0] != '\0') {
		html_puts(o, c->iphttps ? " &middot; IP-HTTPS" : "");
		html_printf(o, " (score %d: ", c->iphttps_score);
		html_esc(o, dt_conn_reason(c));
		html_puts(o, ")");
	}
	html_puts(o, "<br>Wireshark: <code>");
	dt_facts_wireshark_filter(c, filter, sizeof filter);
	html_esc(o, filter);
	html_puts(o, "</code></p>");
}

/* The ladder goes on inside the IP-HTTPS tunnel: compact rows, the
   first of each kind with its counts (report/tunnel_rows.c). */
static void
tunnel_list(struct out *o, const struct dt_conn *c)
{
	static const char *const dirs[] = { "C&rarr;S", "S&rarr;C" };
	struct dt_tunnel_row rows[DT_TUNNEL_ROWS_MAX];
	size_t i, n = dt_report_tunnel_rows(c, rows, DT_TUNNEL_ROWS_MAX);

	if (n == 0)
		return;
	html_puts(o, "<h4>Inside the tunnel</h4><table class=\"tunnel\">");
	for (i = 0; i < n; i++) {
		html_printf(o, "<tr><td class=\"mono\">#%" PRIu64 "</td><td>%s</td>"
		    "<td>", rows[i].frame, dirs[rows[i].dir & 1]);
		html_esc(o, rows[i].text);
		html_puts(o, "</td></tr>");
	}
	html_puts(o, "</table>");
}

static void
conn_article(struct out *o, size_t capi, const struct dt_conn *c,
    const struct vref *vr, size_t nv)
{
	const char *name = dt_facts_server_name(c);
	char cli[DT_ENDPOINT_LEN];

	html_printf(o, "<article class=\"conn\" id=\"c%zu-%" PRIu32 "\"><h3>"
	    "Connection %" PRIu32 ": <span class=\"mono\">", capi, c->id, c->id);
	dt_conn_client_text(c, cli);
	html_esc(o, cli);
	html_puts(o, "</span> &rarr; <span class=\"mono\">");
	html_esc(o, c->server_str);
	html_puts(o, "</span>");
	if (name != NULL) {
		html_puts(o, " (<span class=\"mono\">");
		html_esc(o, name);
		html_puts(o, "</span>)");
	}
	html_puts(o, "</h3><div>");
	conn_chips(o, capi, vr, nv);
	html_puts(o, "</div>");
	conn_facts(o, c);
	html_ladder(o, capi, c, vr, nv);
	tunnel_list(o, c);
	html_puts(o, "</article>\n");
}

static void
healthy_row(struct out *o, size_t capi, const struct dt_conn *c,
    const struct vref *vr, size_t nv)
{
	const char *name = dt_facts_server_name(c);
	char cli[DT_ENDPOINT_LEN];

	html_printf(o, "<tr id=\"c%zu-%" PRIu32 "\"><td>%" PRIu32 "</td>"
	    "<td class=\"mono\">", capi, c->id, c->id);
	dt_conn_client_text(c, cli);
	html_esc(o, cli);
	html_puts(o, "</td><td class=\"mono\">");
	html_esc(o, c->server_str);
	html_puts(o, "</td><td class=\"mono\">");
	if (name != NULL)
		html_esc(o, name);
	else
		html_puts(o, "&mdash;");
	html_printf(o, "</td><td>%s</td><td>", dt_report_state_name(c->state));
	if (c->tls->sh_frame != 0) {
		html_version(o, c->tls->version);
		html_puts(o, "<br>");
		html_suite(o, c->tls->suite);
	} else {
		html_puts(o, "&mdash;");
	}
	html_printf(o, "</td><td>%" PRIu64 "&ndash;%" PRIu64 "</td><td>",
	    c->first_frame, c->last_frame);
	conn_chips(o, capi, vr, nv);
	html_puts(o, "</td></tr>");
}

/* ---- one capture ----------------------------------------------------------- */

static int
any_example(const struct vref *vr, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (vr[i].example)
			return 1;
	return 0;
}

/* What a connection's section shows. */
enum show { SHOW_OTHER, SHOW_HEALTHY, SHOW_FOLDED, SHOW_UNCARDED, SHOW_DRAWN };

/*
 * A connection with a warning or error is drawn when it is the first or
 * the last of a group of alike findings (and, verbose, every IP-HTTPS
 * connection); the others of a group are folded into its card, or, when
 * no group of theirs has a card (struct group's folded), counted apart.
 * The rest of IP-HTTPS (and any with a finding) goes into the table.
 */
static enum show
conn_show(const struct out *o, const struct dt_conn *c,
    const struct vref *vr, size_t n)
{
	size_t i;
	int fails = 0, example = 0, carded = 0;

	for (i = 0; i < n; i++)
		if (vr[i].v->severity >= DT_SEV_WARNING) {
			fails = 1;
			example |= vr[i].example;
			carded |= !vr[i].folded;
		}
	if (example || (c->iphttps && (o->flags & DT_TEXT_VERBOSE)))
		return SHOW_DRAWN;
	if (fails)
		return carded ? SHOW_FOLDED : SHOW_UNCARDED;
	return c->iphttps || n > 0 ? SHOW_HEALTHY : SHOW_OTHER;
}

static void
capture_section(struct out *o, const struct dt_report_run *run, size_t capi,
    const struct findings *f)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	const struct dt_capture *cap = run->caps[capi];
	const struct dt_conn *c;
	const struct vref *vr = f->tmp;
	struct card *cards = NULL;
	size_t i, n, healthy = 0, drawn = 0, other = 0, folded = 0;
	size_t uncarded = 0;
	size_t rows = 0, ncards = 0, at[3] = { 0, 0, 0 };
	enum show show;

	o->winevents = dt_report_winevents_by_time(o->mem, cap->winevents,
	    &o->n_winevents, &o->err);
	html_printf(o, "<section id=\"cap%zu\"><h2>Connections", capi);
	if (run->n_caps > 1) {
		html_puts(o, " in <span class=\"mono\">");
		html_esc(o, html_base_name(cap->path));
		html_puts(o, "</span>");
	}
	html_puts(o, "</h2>");
	/* failing connections drawn; the table and the certificates walk
	   the list again (nothing kept per connection shown) */
	for (c = cap->conns; c != NULL && o->err == 0; c = c->next) {
		dt_capture_spill_step(cap, &sw);
		n = html_conn_verdicts(f, capi, c->id, c, &at[0]);
		show = conn_show(o, c, vr, n);
		if (show == SHOW_OTHER) {
			other++;
		} else if (show == SHOW_DRAWN) {
			conn_article(o, capi, c, vr, n);
			dt_capture_spill_step_far(cap, &sw);
			drawn++;
		} else if (show == SHOW_FOLDED) {
			folded++;
		} else if (show == SHOW_UNCARDED) {
			uncarded++;
		} else {
			healthy++;
		}
	}
	if (folded > 0)
		html_printf(o, "<p class=\"meta\">%zu more connection%s with "
		    "the same findings as those drawn above: counted on the "
		    "findings' cards, not drawn; the JSON report (<code>-f "
		    "json</code>) lists every one.</p>", folded,
		    folded == 1 ? "" : "s");
	if (uncarded > 0)
		html_printf(o, "<p class=\"meta\">%zu connection%s that %s not "
		    "IP-HTTPS, with findings counted under Findings and not "
		    "drawn; the JSON report (<code>-f json</code>) lists every "
		    "one.</p>", uncarded, uncarded == 1 ? "" : "s",
		    uncarded == 1 ? "is" : "are");
	if (drawn == 0 && healthy == 0 && folded == 0 && uncarded == 0)
		html_puts(o, "<p>No IP-HTTPS connection in this capture.</p>");
	if (healthy > 0) {
		html_printf(o, "<h3>%s</h3><div class=\"scroll\"><table><thead><tr>"
		    "<th>#</th><th>Client</th><th>Server</th><th>Name</th>"
		    "<th>TCP</th><th>TLS</th><th>Frames</th><th>Findings</th>"
		    "</tr></thead><tbody>", drawn + folded > 0 ?
		    "Connections without problems" : "Connections (no problem found)");
		/* the first MAX_ROWS, and past them the first and last of
		   each group (its card links there) */
		for (c = cap->conns; c != NULL && o->err == 0; c = c->next) {
			dt_capture_spill_step(cap, &sw);
			n = html_conn_verdicts(f, capi, c->id, c, &at[1]);
			if (conn_show(o, c, vr, n) != SHOW_HEALTHY ||
			    (rows >= MAX_ROWS && !any_example(vr, n)))
				continue;
			healthy_row(o, capi, c, vr, n);
			rows++;
		}
		html_puts(o, "</tbody></table></div>");
		if (healthy > rows)
			html_printf(o, "<p class=\"meta\">and %zu more connections "
			    "without problems, not listed; the JSON report "
			    "(<code>-f json</code>) lists every one.</p>",
			    healthy - rows);
	}
	if (other > 0)
		html_printf(o, "<p class=\"meta\">%zu other connection%s (not IP-HTTPS) "
		    "not shown.</p>", other, other == 1 ? "" : "s");
	html_puts(o, "</section>\n");
	dt_free(o->mem, o->winevents);
	o->winevents = NULL;
	o->n_winevents = 0;

	/* certificates of the connections shown */
	cards = dt_calloc(o->mem, MAX_CARDS, sizeof *cards);
	if (cards == NULL) {
		o->err = o->err ? o->err : DT_ENOMEM;
		return;
	}
	for (c = cap->conns; c != NULL && ncards < MAX_CARDS; c = c->next) {
		dt_capture_spill_step(cap, &sw);
		n = html_conn_verdicts(f, capi, c->id, c, &at[2]);
		if (conn_show(o, c, vr, n) == SHOW_OTHER)
			continue;
		ncards = html_card_add(cards, ncards, c, c->tls->server_certs,
		    c->tls->n_server_certs, 0);
		ncards = html_card_add(cards, ncards, c, dt_tls_rare(c->tls)->client_certs,
		    dt_tls_rare(c->tls)->n_client_certs, 1);
	}
	if (ncards > 0) {
		html_printf(o, "<section id=\"certs%zu\"><h2>Certificates", capi);
		if (run->n_caps > 1) {
			html_puts(o, " in <span class=\"mono\">");
			html_esc(o, html_base_name(cap->path));
			html_puts(o, "</span>");
		}
		html_puts(o, "</h2><div class=\"cards\">");
		for (i = 0; i < ncards && o->err == 0; i++)
			html_cert_card(o, capi, &cards[i]);
		html_puts(o, "</div></section>\n");
	}
	dt_free(o->mem, cards);
}

/* ---- the document ---------------------------------------------------------- */

static void
banner(struct out *o, const size_t sev[3], size_t n_iphttps)
{
	const char *cls = sev[DT_SEV_ERROR] ? "error" : sev[DT_SEV_WARNING] ?
	    "warning" : "info";

	/* no IP-HTTPS connection and nothing wrong: no verdict to give */
	if (n_iphttps == 0 && !sev[DT_SEV_ERROR] && !sev[DT_SEV_WARNING]) {
		html_printf(o, "<div class=\"banner none\"><strong>Nothing to "
		    "judge</strong> &mdash; no IP-HTTPS connection in the "
		    "capture; %zu informational finding%s.</div>",
		    sev[DT_SEV_INFO], sev[DT_SEV_INFO] == 1 ? "" : "s");
		return;
	}
	html_printf(o, "<div class=\"banner %s\"><strong>%s</strong> &mdash; %zu "
	    "error%s, %zu warning%s, %zu informational finding%s; %zu "
	    "IP-HTTPS connection%s.</div>", cls,
	    sev[DT_SEV_ERROR] ? "Problems found" : sev[DT_SEV_WARNING] ?
	    "Works, with warnings" : "No problem found",
	    sev[DT_SEV_ERROR], sev[DT_SEV_ERROR] == 1 ? "" : "s",
	    sev[DT_SEV_WARNING], sev[DT_SEV_WARNING] == 1 ? "" : "s",
	    sev[DT_SEV_INFO], sev[DT_SEV_INFO] == 1 ? "" : "s",
	    n_iphttps, n_iphttps == 1 ? "" : "s");
}

static void
document(struct out *o, const struct dt_report_run *run,
    const struct findings *f)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	size_t i, k, nv = f->nv, sev[3] = { 0, 0, 0 }, n_iphttps = 0, cards = 0;
	size_t last_cap = SIZE_MAX;
	size_t *cap_iphttps;
	dt_severity sev_last = DT_SEV_INFO;
	struct vref r;

	for (k = 0; k < run->n_caps; k++) {
		struct dt_spill_walk vw = DT_SPILL_WALK_INIT;

		for (i = f->capoff[k]; i < f->capoff[k + 1]; i++) {
			dt_capture_spill_step(run->caps[k], &vw);
			if ((unsigned)f->vp[i]->severity < 3)
				sev[f->vp[i]->severity]++;
		}
		dt_capture_spill_drop(run->caps[k]);
	}
	/* counted once, for the banner and the index of captures */
	cap_iphttps = dt_calloc(o->mem, run->n_caps + 1, sizeof *cap_iphttps);
	if (cap_iphttps == NULL) {
		o->err = o->err ? o->err : DT_ENOMEM;
		return;
	}
	for (i = 0; i < run->n_caps; i++) {
		cap_iphttps[i] = run->caps[i]->n_iphttps;
		n_iphttps += cap_iphttps[i];
	}

	html_puts(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\"><meta name=\"generator\" content=\"datrace "
	    DT_VERSION_STRING "\"><meta http-equiv=\"Content-Security-Policy\" "
	    "content=\"default-src 'none'; style-src 'unsafe-inline'; "
	    "img-src data:\"><title>DirectAccess IP-HTTPS report");
	if (run->n_caps == 1) {
		html_puts(o, ": ");
		html_esc(o, html_base_name(run->caps[0]->path));
	}
	html_puts(o, "</title><style>\n");
	html_puts(o, css);
	html_puts(o, "</style></head><body><main>\n<header><h1>DirectAccess "
	    "IP-HTTPS report</h1><p class=\"sub\">Why the IP-HTTPS tunnel "
	    "(TLS over TCP) did or did not come up, with the evidence from "
	    "the capture.</p>");
	banner(o, sev, n_iphttps);
	html_puts(o, "</header>\n");
	captures_section(o, run, f, cap_iphttps);
	dt_free(o->mem, cap_iphttps);

	html_puts(o, "<section id=\"findings\"><h2>Findings</h2>");
	if (nv == 0)
		html_puts(o, "<p>No finding.</p>");
	/* a card per group of alike verdicts, where its first ranks */
	for (i = 0; i < f->ng && o->err == 0; i++) {
		if (f->groups[f->cards[i]].folded)
			continue;
		html_vref(f, f->groups[f->cards[i]].first, &r);
		/* the cards go from capture to capture by rank: what one read
		   of another capture leaves when the next is of this one */
		if (r.cap != last_cap && last_cap < run->n_caps)
			dt_capture_spill_drop(run->caps[last_cap]);
		last_cap = r.cap;
		dt_capture_spill_step_far(run->caps[r.cap], &sw);
		if (cards++ > 0 && r.v->severity == DT_SEV_INFO &&
		    sev_last != DT_SEV_INFO)
			html_puts(o, "<h3 class=\"fyi\">For information</h3>");
		sev_last = r.v->severity;
		verdict_article(o, run, f, &r);
	}
	for (i = 0; i < f->n_folded && o->err == 0; i++) {
		const struct folded_id *fi = &f->folded[i];

		html_printf(o, "<p class=\"meta\"><span class=\"chip %s\">",
		    dt_severity_name(fi->severity));
		html_esc(o, fi->id);
		html_printf(o, "</span> %zu more finding%s about connections "
		    "that are not IP-HTTPS, in %zu more group%s (by server and "
		    "cause) than the %d drawn above: not drawn; the JSON "
		    "report (<code>-f json</code>) lists every one.</p>",
		    fi->verdicts, fi->verdicts == 1 ? "" : "s", fi->groups,
		    fi->groups == 1 ? "" : "s", HTML_BG_CARDS);
	}
	html_puts(o, "</section>\n");

	for (i = 0; i < run->n_caps && o->err == 0; i++) {
		capture_section(o, run, i, f);
		dt_capture_spill_drop(run->caps[i]);	/* as json.c */
	}

	html_puts(o, "<footer>Made by datrace " DT_VERSION_STRING ". Frame numbers "
	    "are Wireshark's: type <code>frame.number == N</code> in its "
	    "display filter to see one. Times are UTC; ladder times count "
	    "from the connection's first packet.</footer>\n</main></body>"
	    "</html>\n");
}

int
dt_report_html(const struct dt_report_run *run, FILE *fp, unsigned flags)
{
	struct dt_mem local;
	struct out o;
	struct findings f;

	/* the caller's allocator (the first capture's), counted apart */
	dt_mem_reader(&local, run->n_caps > 0 ? run->caps[0]->mem : NULL);
	o.mem = &local;
	o.fp = fp;
	o.flags = flags;
	o.err = 0;
	o.winevents = NULL;
	o.n_winevents = 0;
	if (html_findings(&f, run, &local) != 0)
		return DT_ENOMEM;
	document(&o, run, &f);
	html_findings_free(&f, &local);
	if (o.err == 0 && (fflush(fp) != 0 || ferror(fp)))
		o.err = DT_EIO;
	return o.err;
}
