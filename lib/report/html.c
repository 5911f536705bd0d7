/*
 * The HTML report: one self-contained HTML5 document (inline CSS and inline
 * SVG, no script, nothing fetched) that a consultant can hand to a
 * customer. It shows the captures and options, the verdicts ranked by
 * severity, for each failing connection a message ladder drawn as SVG (one
 * arrow per timeline event: TCP of RFC 9293, the TLS handshake of RFC 5246
 * 7.4 and RFC 8446 4, alerts of RFC 5246 7.2, HTTP inside NULL-cipher
 * sessions) with the failing step marked, the healthy connections folded
 * into a table, and the certificates as cards (RFC 5280 fields). Every
 * string from the wire reaches the document through html_text(), which
 * repairs invalid UTF-8 (RFC 3629) with the shared decoder, replaces
 * control and bidirectional-override characters, and escapes the five
 * characters HTML gives meaning to (& < > " '), in element text, attribute
 * values and SVG text alike (HTML Living Standard 13.1.2.6, 13.2.6.5).
 */
#include "report/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "report/ladder.h"
#include "tls/tls.h"

#define MAX_ERRORS 10		/* capture errors listed */
#define MAX_CARDS 60		/* certificate cards per capture */
#define MAX_CA_NAMES 6		/* CertificateRequest CA names in a detail */
#define DETAIL_CPS 70		/* code points of an arrow's detail line */

/* Ladder geometry (SVG user units). */
#define L_WIDTH 800
#define L_CLIENT 150
#define L_SERVER 570
#define L_HEAD 64
#define L_ROW 46

struct out {
	FILE *fp;
	struct dt_mem *mem;
	unsigned flags;
	int err;		/* DT_EIO / DT_ENOMEM, sticky */
};

/* One verdict and where it stands in the run. */
struct vref {
	const struct dt_verdict *v;
	size_t cap;		/* index of its capture */
	size_t seq;		/* order in its capture's list */
};

/* ---- output ------------------------------------------------------------ */

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->err == 0 && n > 0 && fwrite(s, 1, n, o->fp) != n)
		o->err = DT_EIO;
}

/* Our own markup. */
static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void outf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Our own markup with numbers; never a string from the wire. */
static void
outf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->err != 0)
		return;
	va_start(ap, fmt);
	if (vfprintf(o->fp, fmt, ap) < 0)
		o->err = DT_EIO;
	va_end(ap);
}

/* ---- the one escaping function ----------------------------------------- */

static const char esc_chars[] = "&<>\"'";
static const char *const esc_ents[] = {
	"&amp;", "&lt;", "&gt;", "&quot;", "&#39;",
};

/*
 * Write s as HTML text, safe in element content, in a quoted attribute
 * value and in SVG <text>. max_cps > 0 keeps that many code points and
 * ends with an ellipsis; returns 1 when it cut. NULL writes nothing.
 */
static int
html_text(struct out *o, const char *s, size_t max_cps)
{
	size_t n, i = 0, k, cps = 0;
	const char *e;
	uint32_t cp;

	if (s == NULL)
		return 0;
	n = strlen(s);
	while (i < n) {
		if (max_cps > 0 && cps == max_cps) {
			puts_(o, "\xe2\x80\xa6");	/* U+2026 */
			return 1;
		}
		cps++;
		k = dt_utf8_next(s + i, n - i, &cp);
		if (k == 0) {
			puts_(o, "\xef\xbf\xbd");	/* U+FFFD */
			i++;
		} else if (dt_utf8_unsafe_cp(cp)) {
			puts_(o, "\xef\xbf\xbd");
			i += k;
		} else if (cp < 0x80 && cp != 0 &&
		    (e = strchr(esc_chars, (int)cp)) != NULL) {
			puts_(o, esc_ents[e - esc_chars]);
			i++;
		} else {
			put(o, s + i, k);
			i += k;
		}
	}
	return 0;
}

static void
esc(struct out *o, const char *s)
{
	html_text(o, s, 0);
}

/* ---- names and small formats ---------------------------------------------- */


/* Severity words as shown, and the CSS class of each. */
static const char *const sev_titles[] = { "Info", "Warning", "Error" };

static const char *
sev_title(dt_severity s)
{
	return (unsigned)s < 3 ? sev_titles[s] : "?";
}

static void
put_version(struct out *o, uint16_t v)
{
	char buf[DT_TLS_NAME_LEN];

	esc(o, dt_tls_version_str(v, buf, sizeof buf));
}

static void
put_suite(struct out *o, uint16_t suite)
{
	char buf[DT_TLS_NAME_LEN];

	esc(o, dt_tls_suite_str(suite, buf, sizeof buf));
}

/* "2026-11-25 17:11:27 UTC" (no fraction); "?" outside 0000..9999. */
static void
put_when(struct out *o, int64_t ns)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time(ns - (ns % 1000000000 + 1000000000) % 1000000000,
	    buf, sizeof buf) != 0 || strlen(buf) < 20) {
		puts_(o, "?");
		return;
	}
	buf[10] = ' ';
	buf[19] = '\0';
	puts_(o, buf);
	puts_(o, " UTC");
}

/* The date of a certificate bound: "2034-01-01". */
static void
put_date(struct out *o, int64_t sec)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time_sec(sec, buf, sizeof buf) != 0 || strlen(buf) < 10) {
		puts_(o, "?");
		return;
	}
	buf[10] = '\0';
	puts_(o, buf);
}

/* A duration: "0.008 s" under a minute, else "1:02:03", "3 d 01:02:03". */
static void
put_span(struct out *o, int64_t ns)
{
	int64_t sec;

	if (ns < 0)
		ns = 0;
	sec = ns / 1000000000;
	if (sec < 60)
		outf(o, "%" PRId64 ".%03d&nbsp;s", sec,
		    (int)(ns % 1000000000 / 1000000));
	else if (sec < 86400)
		outf(o, "%d:%02d:%02d", (int)(sec / 3600), (int)(sec / 60 % 60),
		    (int)(sec % 60));
	else
		outf(o, "%" PRId64 "&nbsp;d %02d:%02d:%02d", sec / 86400,
		    (int)(sec / 3600 % 24), (int)(sec / 60 % 60),
		    (int)(sec % 60));
}

static void
put_bytes(struct out *o, uint64_t n)
{
	if (n < 10000)
		outf(o, "%" PRIu64 "&nbsp;bytes", n);
	else if (n < 10000ULL * 1024)
		outf(o, "%" PRIu64 "&nbsp;KiB", (n + 512) / 1024);
	else if (n < 10000ULL * 1024 * 1024)
		outf(o, "%" PRIu64 "&nbsp;MiB", (n + 512 * 1024) / (1024 * 1024));
	else
		outf(o, "%" PRIu64 "&nbsp;GiB",
		    (n + 512 * 1024 * 1024) / (1024 * 1024 * 1024));
}

/* The file name after the last '/'. */
static const char *
base_name(const char *path)
{
	const char *s;

	if (path == NULL)
		return "(capture)";
	s = strrchr(path, '/');
	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

static void
put_windows(struct out *o, const struct dt_verdict *v)
{
	if (v->win_code == 0)
		return;
	outf(o, "<span class=\"win\"><span class=\"code\">0x%" PRIx32
	    "</span>", v->win_code);
	if (v->win_name != NULL) {
		puts_(o, " ");
		esc(o, v->win_name);
	}
	puts_(o, "</span>");
}

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
".banner.info{background:var(--ok-bg);border-color:var(--ok)}\n"
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
			puts_(o, ", ");
		esc(o, ltn != NULL ? ltn : "?");
		if (!cap->linktypes[i].supported)
			puts_(o, " (not analysed)");
	}
	if (cap->n_linktypes == 0)
		puts_(o, "&mdash;");
}

static void
capture_notes(struct out *o, const struct dt_capture *cap)
{
	size_t i;
	int open = 0;

#define NOTE() do { if (!open) puts_(o, "<ul class=\"notes\">"); \
	open = 1; } while (0)
	for (i = 0; i < cap->n_errors && i < MAX_ERRORS; i++) {
		NOTE();
		outf(o, "<li>error at byte offset %" PRIu64 ": ",
		    cap->errors[i].offset);
		esc(o, cap->errors[i].message);
		puts_(o, "</li>");
	}
	if (cap->n_errors > MAX_ERRORS) {
		NOTE();
		outf(o, "<li>and %zu more errors</li>",
		    cap->n_errors - MAX_ERRORS);
	}
	if (cap->truncated_packets > 0) {
		NOTE();
		outf(o, "<li>%" PRIu64 " packet%s cut short by the capture's "
		    "snapshot length</li>", cap->truncated_packets,
		    cap->truncated_packets == 1 ? "" : "s");
	}
	if (cap->undecodable > 0) {
		NOTE();
		outf(o, "<li>%" PRIu64 " packet%s could not be decoded</li>",
		    cap->undecodable, cap->undecodable == 1 ? "" : "s");
	}
	if (cap->dropped_conns || cap->dropped_bytes ||
	    cap->fragments_dropped) {
		NOTE();
		outf(o, "<li>memory limits dropped %" PRIu64 " connections, %"
		    PRIu64 " stream bytes, %" PRIu64 " fragments</li>",
		    cap->dropped_conns, cap->dropped_bytes,
		    cap->fragments_dropped);
	}
#undef NOTE
	if (open)
		puts_(o, "</ul>");
}

static void
captures_section(struct out *o, const struct dt_report_run *run)
{
	const struct dt_capture *cap;
	size_t i;

	puts_(o, "<section id=\"captures\"><h2>Captures analysed</h2>"
	    "<div class=\"scroll\"><table><thead><tr><th>Capture</th>"
	    "<th>Format</th><th>Size</th><th>Packets</th><th>First packet</th>"
	    "<th>Time span</th><th>Link types</th></tr></thead><tbody>");
	for (i = 0; i < run->n_caps; i++) {
		cap = run->caps[i];
		puts_(o, "<tr><td><span class=\"mono\" title=\"");
		esc(o, cap->path);
		puts_(o, "\">");
		esc(o, base_name(cap->path));
		puts_(o, "</span></td><td>");
		esc(o, cap->format != NULL ? cap->format : "?");
		puts_(o, "</td><td>");
		put_bytes(o, cap->bytes);
		outf(o, "</td><td>%" PRIu64 "</td><td>", cap->packets);
		if (cap->packets > 0)
			put_when(o, cap->first_time);
		else
			puts_(o, "&mdash;");
		puts_(o, "</td><td>");
		if (cap->packets > 0)
			put_span(o, cap->last_time - cap->first_time);
		else
			puts_(o, "&mdash;");
		puts_(o, "</td><td>");
		put_linktypes(o, cap);
		puts_(o, "</td></tr>");
	}
	puts_(o, "</tbody></table></div>");
	for (i = 0; i < run->n_caps; i++)
		if (run->caps[i]->n_errors || run->caps[i]->truncated_packets ||
		    run->caps[i]->undecodable || run->caps[i]->dropped_conns ||
		    run->caps[i]->dropped_bytes ||
		    run->caps[i]->fragments_dropped) {
			if (run->n_caps > 1) {
				puts_(o, "<p class=\"meta\">");
				esc(o, base_name(run->caps[i]->path));
				puts_(o, ":</p>");
			}
			capture_notes(o, run->caps[i]);
		}

	puts_(o, "<dl class=\"opts\"><dt>IP-HTTPS server name</dt><dd>");
	if (run->host != NULL) {
		puts_(o, "<code>");
		esc(o, run->host);
		puts_(o, "</code>");
	} else {
		puts_(o, "not given (<code>--host</code>): IP-HTTPS connections "
		    "recognised by their traffic");
	}
	puts_(o, "</dd><dt>Trust anchors</dt><dd>");
	if (run->ca_file != NULL) {
		puts_(o, "<code>");
		esc(o, run->ca_file);
		puts_(o, "</code>");
	} else {
		puts_(o, "none given (<code>--ca</code>): certificate chains "
		    "not verified");
	}
	puts_(o, "</dd>");
	if (run->expect_cert != NULL) {
		puts_(o, "<dt>Expected server certificate</dt><dd><code>");
		esc(o, run->expect_cert);
		puts_(o, "</code></dd>");
	}
	puts_(o, "<dt>Ports</dt><dd>");
	if (run->ports == NULL || run->ports[0] == 0) {
		puts_(o, "443");
	} else {
		for (i = 0; run->ports[i] != 0; i++)
			outf(o, "%s%u", i ? ", " : "", run->ports[i]);
	}
	puts_(o, "</dd>");
	if (run->filter != NULL) {
		puts_(o, "<dt>Capture filter</dt><dd><code>");
		esc(o, run->filter);
		puts_(o, "</code></dd>");
	}
	if (run->all)
		puts_(o, "<dt>Scope</dt><dd>every TLS connection "
		    "(<code>--all</code>)</dd>");
	puts_(o, "</dl></section>\n");
}

/* ---- verdicts --------------------------------------------------------------- */

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

static const struct dt_conn *
find_conn(const struct dt_capture *cap, uint32_t id)
{
	const struct dt_conn *c;

	if (id == 0)
		return NULL;
	for (c = cap->conns; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void
verdict_article(struct out *o, const struct dt_report_run *run,
    const struct vref *r)
{
	const struct dt_verdict *v = r->v;
	const char *sev = dt_report_severity_name(v->severity);
	const struct dt_conn *c = find_conn(run->caps[r->cap], v->conn);
	const char *name;
	size_t i;

	outf(o, "<article class=\"verdict %s\" id=\"v%zu-%zu\">"
	    "<div class=\"vhead\"><span class=\"badge %s\">%s</span>"
	    "<code class=\"vid\">", sev, r->cap, r->seq, sev,
	    sev_title(v->severity));
	esc(o, v->id != NULL ? v->id : "?");
	puts_(o, "</code>");
	put_windows(o, v);
	outf(o, "<span class=\"conf\">confidence %s</span></div>",
	    dt_report_confidence_name(v->confidence));
	if (v->summary != NULL) {
		puts_(o, "<p class=\"summary\">");
		esc(o, v->summary);
		puts_(o, "</p>");
	}
	if (v->explanation != NULL && v->explanation[0] != '\0') {
		puts_(o, "<p class=\"expl\">");
		esc(o, v->explanation);
		puts_(o, "</p>");
	}
	if (v->remedy != NULL && v->remedy[0] != '\0') {
		puts_(o, "<div class=\"remedy\"><b>Fix</b>");
		esc(o, v->remedy);
		puts_(o, "</div>");
	}
	puts_(o, "<p class=\"meta\">");
	if (v->n_frames > 0) {
		outf(o, "<span class=\"frames\">Evidence frame%s ",
		    v->n_frames == 1 ? "" : "s");
		for (i = 0; i < v->n_frames; i++)
			outf(o, "%s<code>%" PRIu64 "</code>", i ? ", " : "",
			    v->frames[i]);
		puts_(o, "</span>");
	} else {
		puts_(o, "No frame evidence");
	}
	if (v->conn != 0) {
		puts_(o, " &middot; ");
		if (c != NULL)
			outf(o, "<a href=\"#c%zu-%" PRIu32 "\">connection %"
			    PRIu32 "</a>", r->cap, v->conn, v->conn);
		else
			outf(o, "connection %" PRIu32, v->conn);
		if (c != NULL && (name = dt_report_server_name(c)) != NULL) {
			puts_(o, " to <code>");
			esc(o, name);
			puts_(o, "</code>");
		}
	} else {
		puts_(o, " &middot; about the whole capture");
	}
	if (run->n_caps > 1) {
		puts_(o, " &middot; in <span class=\"mono\">");
		esc(o, base_name(run->caps[r->cap]->path));
		puts_(o, "</span>");
	}
	puts_(o, "</p></article>\n");
}

/* ---- the ladder ------------------------------------------------------------- */

static void
ch_detail(struct out *o, const struct dt_step *st)
{
	const struct dt_tls_facts *t = st->tls;
	size_t i;

	if (t->sni != NULL) {
		puts_(o, "SNI ");
		esc(o, t->sni);
	} else {
		puts_(o, "no SNI");
	}
	if (!st->null_offered) {
		outf(o, " \xc2\xb7 %zu suites, no NULL suite", st->n_suites);
		return;
	}
	puts_(o, " \xc2\xb7 NULL offered: ");
	for (i = 0; i < st->n_null && i < 4; i++)
		outf(o, "%s0x%04X", i ? ", " : "", dt_ladder_null_suite(t, i));
	if (i < st->n_null)
		puts_(o, ", \xe2\x80\xa6");
	if (st->only_null)
		puts_(o, " (only NULL)");
	else
		outf(o, " (of %zu suites)", st->n_suites);
}

static void
cert_line(struct out *o, const struct dt_cert *x, size_t max)
{
	if (x->parse_error != NULL) {
		puts_(o, "unparsable: ");
		html_text(o, x->parse_error, max);
		return;
	}
	/* subject and issuer share the room */
	html_text(o, x->subject != NULL ? x->subject : "(no subject)",
	    max > 0 ? max / 2 : 0);
	if (x->self_signed) {
		puts_(o, ", self-signed");
		return;
	}
	puts_(o, " \xe2\x86\x90 issued by ");	/* U+2190 */
	html_text(o, x->issuer != NULL ? x->issuer : "(no issuer)",
	    max > 0 ? max / 2 : 0);
}

/*
 * The two lines of an arrow: the message (label) and its details. With
 * max > 0 the details are cut to fit beside the arrow; with max 0 they are
 * whole (the tooltip).
 */
static void
ev_label(struct out *o, const struct dt_step *st)
{
	const char *level;
	char buf[DT_TLS_NAME_LEN];

	switch (st->kind) {
	case DT_STEP_HRR:
		esc(o, st->label);
		return;
	case DT_STEP_CLIENT_HELLO:
	case DT_STEP_SERVER_HELLO:
	case DT_STEP_SERVER_CERT:
	case DT_STEP_CLIENT_CERT:
	case DT_STEP_CERT_REQUEST:
	case DT_STEP_HANDSHAKE:
		if (st->label != NULL)
			esc(o, st->label);
		else
			outf(o, "Handshake message type %d", st->hs);
		if (st->kind == DT_STEP_CLIENT_HELLO ||
		    st->kind == DT_STEP_SERVER_HELLO) {
			puts_(o, " ");
			put_version(o, st->version);
		} else if (st->kind == DT_STEP_SERVER_CERT && st->n_certs > 1) {
			outf(o, " (%zu certificates)", st->n_certs);
		} else if (st->kind == DT_STEP_CLIENT_CERT && st->cert_empty) {
			puts_(o, " (empty)");
		}
		if (st->encrypted)
			puts_(o, " (encrypted)");
		return;
	case DT_STEP_ALERT:
		if (st->encrypted) {
			puts_(o, "Alert (encrypted)");
			return;
		}
		puts_(o, "Alert ");
		if ((level = dt_tls_alert_level_name(st->alert_level)) != NULL)
			puts_(o, level);
		else
			outf(o, "level %u", st->alert_level);
		puts_(o, " ");
		esc(o, dt_tls_alert_str(st->alert_desc, buf, sizeof buf));
		return;
	case DT_STEP_HTTP_RESPONSE:
		outf(o, "HTTP response %" PRIu32, st->ev->b);
		return;
	default:
		esc(o, st->label);
		return;
	}
}

static void
ev_detail(struct out *o, const struct dt_step *st, size_t max,
    size_t run_len, uint64_t run_end)
{
	const struct dt_event *ev = st->ev;
	const struct dt_tls_facts *t = st->tls;
	size_t i;

	switch (st->kind) {
	case DT_STEP_CLIENT_HELLO:
		ch_detail(o, st);
		return;
	case DT_STEP_SERVER_HELLO:
		put_suite(o, st->suite);
		if (st->resumed)
			puts_(o, ", resumed session");
		return;
	case DT_STEP_SERVER_CERT:
	case DT_STEP_CLIENT_CERT:
		if (st->cert != NULL)
			cert_line(o, st->cert, max);
		return;
	case DT_STEP_CERT_REQUEST:
		if (t->n_ca_names == 0) {
			puts_(o, "no CA names: any client certificate");
			return;
		}
		puts_(o, "CAs: ");
		for (i = 0; i < t->n_ca_names && i < MAX_CA_NAMES; i++) {
			if (i > 0)
				puts_(o, "; ");
			html_text(o, t->ca_names[i], max ? 30 : 0);
		}
		if (i < t->n_ca_names)
			outf(o, "; %zu more", t->n_ca_names - i);
		return;
	case DT_STEP_NON_TLS:
		if (st->wire != NULL) {
			puts_(o, "\xe2\x80\x9c");
			html_text(o, st->wire, max);
			puts_(o, "\xe2\x80\x9d");
		}
		return;
	case DT_STEP_MALFORMED:
		if (st->wire != NULL)
			html_text(o, st->wire, max);
		return;
	case DT_STEP_HTTP_REQUEST:
		html_text(o, t->http_request.line, max);
		if (t->http_request.host != NULL) {
			puts_(o, " \xc2\xb7 Host ");
			html_text(o, t->http_request.host, max ? 40 : 0);
		}
		return;
	case DT_STEP_HTTP_RESPONSE:
		html_text(o, t->http_response.line, max);
		if (t->http_response.server != NULL) {
			puts_(o, " \xc2\xb7 Server ");
			html_text(o, t->http_response.server, max ? 40 : 0);
		}
		return;
	default:
		break;
	}
	switch (ev->type) {
	case DT_EV_SYN:
	case DT_EV_SYNACK:
		if (ev->a)
			puts_(o, "retransmission");
		return;
	case DT_EV_RST:
		if (ev->a == 1)
			puts_(o, "refusing the SYN");
		return;
	case DT_EV_RETRANS:
		if (run_len > 1)
			outf(o, "%zu segments, up to frame %" PRIu64, run_len,
			    run_end);
		return;
	case DT_EV_GAP:
		outf(o, "%" PRIu32 " bytes missing from the stream", ev->b);
		return;
	case DT_EV_TLS_ENCRYPTED:
		outf(o, "%" PRIu32 " bytes", ev->b);
		return;
	case DT_EV_TLS_APPDATA:
		if (ev->dir < 2 && t->appdata_bytes[ev->dir] > 0)
			outf(o, "%" PRIu64 " bytes in %" PRIu64 " record%s",
			    t->appdata_bytes[ev->dir],
			    t->appdata_records[ev->dir],
			    t->appdata_records[ev->dir] == 1 ? "" : "s");
		return;
	default:
		return;
	}
}

/* Rough width of text in the ladder's sans-serif at size px. */
static unsigned
text_width(const char *s, unsigned px)
{
	size_t n = strlen(s), i = 0, k, cps = 0;
	uint32_t cp;

	while (i < n) {
		k = dt_utf8_next(s + i, n - i, &cp);
		i += k ? k : 1;
		cps++;
	}
	return (unsigned)(cps * px * 62 / 100);
}

static void
put_rel(struct out *o, int64_t rel)
{
	if (rel < 0)
		rel = 0;
	if (rel < 60 * 1000000000LL)
		outf(o, "+%d.%03d s", (int)(rel / 1000000000),
		    (int)(rel % 1000000000 / 1000000));
	else
		outf(o, "+%d:%02d.%03d", (int)(rel / 60000000000LL),
		    (int)(rel / 1000000000 % 60),
		    (int)(rel % 1000000000 / 1000000));
}

static void
ladder(struct out *o, size_t capi, const struct dt_conn *c,
    const struct vref *vr, size_t nv)
{
	struct dt_mark *mk;
	const struct dt_verdict **vs;
	const struct dt_event *ev;
	const struct vref *badge;
	struct dt_step st;
	const char *name, *colour, *tint;
	size_t i, j, k, rows = 0, row, n_out;
	unsigned y, h, x1, x2, bw;
	int sev;

	if (c->n_events == 0)
		return;
	mk = dt_calloc(o->mem, c->n_events, sizeof *mk);
	vs = dt_calloc(o->mem, nv ? nv : 1, sizeof *vs);
	if (mk == NULL || vs == NULL) {
		dt_free(o->mem, mk);
		dt_free(o->mem, vs);
		o->err = o->err ? o->err : DT_ENOMEM;
		return;
	}
	for (j = 0; j < nv; j++)
		vs[j] = vr[j].v;
	n_out = dt_ladder_marks(c, vs, nv, mk);
	for (i = 0; i < c->n_events; i++, rows++)
		i = dt_ladder_row_end(c, i, mk);
	h = L_HEAD + (unsigned)rows * L_ROW + 28;

	outf(o, "<div class=\"ladder\"><svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %u\" width=\"%d\" height=\"%u\" role=\"img\" "
	    "aria-label=\"Message ladder of connection %" PRIu32 "\">",
	    L_WIDTH, h, L_WIDTH, h, c->id);
	/* the two parties */
	outf(o, "<g font-size=\"13\"><rect x=\"%d\" y=\"6\" width=\"230\" "
	    "height=\"44\" rx=\"6\" fill=\"#eef3fb\" stroke=\"#1f5fbf\"/>"
	    "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-weight=\"700\" "
	    "fill=\"#1f5fbf\">Client</text><text x=\"%d\" y=\"41\" "
	    "text-anchor=\"middle\" fill=\"#1f2328\">", L_CLIENT - 115,
	    L_CLIENT, L_CLIENT);
	html_text(o, c->client_str, 32);
	outf(o, "</text><rect x=\"%d\" y=\"6\" width=\"230\" height=\"44\" "
	    "rx=\"6\" fill=\"#f1f2f4\" stroke=\"#3d4852\"/><text x=\"%d\" "
	    "y=\"24\" text-anchor=\"middle\" font-weight=\"700\" "
	    "fill=\"#3d4852\">Server", L_SERVER - 115, L_SERVER);
	if ((name = dt_report_server_name(c)) != NULL) {
		puts_(o, " ");
		html_text(o, name, 24);
	}
	outf(o, "</text><text x=\"%d\" y=\"41\" text-anchor=\"middle\" "
	    "fill=\"#1f2328\">", L_SERVER);
	html_text(o, c->server_str, 32);
	outf(o, "</text></g><g stroke=\"#8c959f\" stroke-width=\"2\">"
	    "<line x1=\"%d\" y1=\"50\" x2=\"%d\" y2=\"%u\"/><line x1=\"%d\" "
	    "y1=\"50\" x2=\"%d\" y2=\"%u\"/></g>", L_CLIENT, L_CLIENT, h - 8,
	    L_SERVER, L_SERVER, h - 8);

	for (i = 0, row = 0; i < c->n_events && o->err == 0; i++, row++) {
		ev = &c->events[i];
		j = dt_ladder_row_end(c, i, mk);
		dt_ladder_step(c, ev, &st);
		y = L_HEAD + (unsigned)row * L_ROW + 24;
		sev = mk[i].sev;
		colour = sev == DT_SEV_ERROR ? "#b3261e" : sev == DT_SEV_WARNING ?
		    "#9a5b00" : ev->dir == DT_C2S ? "#1f5fbf" : "#3d4852";
		tint = sev == DT_SEV_ERROR ? "#fdecea" : "#fff3dc";
		outf(o, "<g class=\"step\" data-frame=\"%" PRIu64 "\"%s>",
		    ev->frame, sev >= DT_SEV_WARNING ? " data-evidence=\"1\"" :
		    "");
		puts_(o, "<title>");
		outf(o, "Frame %" PRIu64 ", %s: ", ev->frame,
		    ev->type == DT_EV_END_OPEN ? "capture end" :
		    ev->dir == DT_C2S ? "client to server" : "server to client");
		ev_label(o, &st);
		puts_(o, ". ");
		ev_detail(o, &st, 0, j - i + 1, c->events[j].frame);
		puts_(o, "</title>");
		if (sev >= DT_SEV_WARNING)
			outf(o, "<rect x=\"2\" y=\"%u\" width=\"%d\" height=\"%d\" "
			    "rx=\"4\" fill=\"%s\"/>", y - 22, L_WIDTH - 4,
			    L_ROW - 2, tint);
		/* time and frame in the left margin */
		outf(o, "<text x=\"8\" y=\"%u\" font-size=\"12\" "
		    "fill=\"#59636e\">", y - 4);
		put_rel(o, ev->time - c->first_time);
		outf(o, "</text><text x=\"8\" y=\"%u\" font-size=\"12\" "
		    "font-weight=\"600\" fill=\"#1f2328\">frame %" PRIu64
		    "</text>", y + 12, ev->frame);
		if (ev->type == DT_EV_END_OPEN) {
			outf(o, "<line x1=\"%d\" y1=\"%u\" x2=\"%d\" y2=\"%u\" "
			    "stroke=\"#8c959f\" stroke-dasharray=\"5 4\"/>"
			    "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\" "
			    "font-size=\"13\" fill=\"#59636e\">", L_CLIENT, y,
			    L_SERVER, y, (L_CLIENT + L_SERVER) / 2, y - 6);
			ev_label(o, &st);
			puts_(o, "</text></g>");
			i = j;
			continue;
		}
		x1 = ev->dir == DT_C2S ? L_CLIENT : L_SERVER;
		x2 = ev->dir == DT_C2S ? L_SERVER - 2 : L_CLIENT + 2;
		outf(o, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" "
		    "stroke=\"%s\" stroke-width=\"%s\"%s/>", x1, y,
		    ev->dir == DT_C2S ? x2 - 10 : x2 + 10, y, colour,
		    sev >= DT_SEV_WARNING ? "2.5" : "1.6",
		    ev->type == DT_EV_RETRANS || ev->type == DT_EV_GAP ?
		    " stroke-dasharray=\"6 4\"" : "");
		if (ev->dir == DT_C2S)
			outf(o, "<polygon points=\"%u,%u %u,%u %u,%u\" "
			    "fill=\"%s\"/>", x2, y, x2 - 12, y - 6, x2 - 12,
			    y + 6, colour);
		else
			outf(o, "<polygon points=\"%u,%u %u,%u %u,%u\" "
			    "fill=\"%s\"/>", x2, y, x2 + 12, y - 6, x2 + 12,
			    y + 6, colour);
		outf(o, "<text class=\"msg\" x=\"%d\" y=\"%u\" "
		    "text-anchor=\"middle\" font-size=\"13.5\" "
		    "font-weight=\"%s\" fill=\"%s\">",
		    (L_CLIENT + L_SERVER) / 2, y - 6,
		    sev >= DT_SEV_WARNING ? "700" : "600",
		    sev >= DT_SEV_WARNING ? colour : "#1f2328");
		ev_label(o, &st);
		outf(o, "</text><text class=\"detail\" x=\"%d\" y=\"%u\" "
		    "text-anchor=\"middle\" font-size=\"11.5\" fill=\"#59636e\">",
		    (L_CLIENT + L_SERVER) / 2, y + 15);
		ev_detail(o, &st, DETAIL_CPS, j - i + 1, c->events[j].frame);
		puts_(o, "</text>");
		badge = mk[i].badge >= 0 ? &vr[mk[i].badge] : NULL;
		if (badge != NULL && badge->v->id != NULL) {
			bw = text_width(badge->v->id, 12) + 22;
			if (bw > L_WIDTH - L_SERVER - 16)
				bw = L_WIDTH - L_SERVER - 16;
			outf(o, "<a href=\"#v%zu-%zu\"><rect class=\"badge\" "
			    "x=\"%d\" y=\"%u\" width=\"%u\" height=\"22\" "
			    "rx=\"11\" fill=\"%s\"/><text x=\"%u\" y=\"%u\" "
			    "text-anchor=\"middle\" font-size=\"12\" "
			    "font-weight=\"700\" fill=\"#fff\">", capi,
			    badge->seq, L_SERVER + 12, y - 11, bw, colour,
			    L_SERVER + 12 + bw / 2, y + 4);
			esc(o, badge->v->id);
			puts_(o, "</text></a>");
		}
		puts_(o, "</g>");
		i = j;
	}
	puts_(o, "</svg></div>");
	if (c->events_dropped > 0)
		outf(o, "<p class=\"outside\">%u more events were not kept.</p>",
		    c->events_dropped);
	if (n_out > 0) {
		puts_(o, "<p class=\"outside\">Evidence outside this "
		    "connection: frame");
		for (j = 0, k = 0; j < nv; j++) {
			if (vr[j].v->severity < DT_SEV_WARNING)
				continue;
			for (i = 0; i < vr[j].v->n_frames; i++)
				if (dt_ladder_evidence_event(c, vr[j].v,
				    vr[j].v->frames[i]) < 0)
					outf(o, "%s %" PRIu64, k++ ? "," : "",
					    vr[j].v->frames[i]);
		}
		puts_(o, " (DNS, CRL or proxy traffic).</p>");
	}
	dt_free(o->mem, mk);
	dt_free(o->mem, vs);
}

/* ---- connections --------------------------------------------------------- */

static void
conn_chips(struct out *o, size_t capi, const struct vref *vr, size_t nv)
{
	size_t i;
	const char *sev;

	for (i = 0; i < nv; i++) {
		sev = dt_report_severity_name(vr[i].v->severity);
		outf(o, "<a class=\"chip %s\" href=\"#v%zu-%zu\">", sev, capi,
		    vr[i].seq);
		esc(o, vr[i].v->id);
		puts_(o, "</a>");
	}
}

static void
conn_facts(struct out *o, const struct dt_conn *c)
{
	char filt[256];

	puts_(o, "<p class=\"facts\">");
	put_when(o, c->first_time);
	outf(o, " &middot; TCP %s &middot; frames %" PRIu64 "&ndash;%" PRIu64,
	    dt_report_state_name(c->state), c->first_frame, c->last_frame);
	if (c->tls.sh_frame != 0) {
		puts_(o, " &middot; ");
		put_version(o, c->tls.version);
		puts_(o, ", ");
		put_suite(o, c->tls.suite);
	}
	if (!c->iphttps)
		puts_(o, " &middot; not IP-HTTPS");
	puts_(o, "<br>Wireshark: <code>");
	esc(o, dt_report_wireshark_filter(c, filt, sizeof filt));
	puts_(o, "</code></p>");
}

static void
conn_article(struct out *o, size_t capi, const struct dt_conn *c,
    const struct vref *vr, size_t nv)
{
	const char *name = dt_report_server_name(c);

	outf(o, "<article class=\"conn\" id=\"c%zu-%" PRIu32 "\"><h3>"
	    "Connection %" PRIu32 ": <span class=\"mono\">", capi, c->id, c->id);
	esc(o, c->client_str);
	puts_(o, "</span> &rarr; <span class=\"mono\">");
	esc(o, c->server_str);
	puts_(o, "</span>");
	if (name != NULL) {
		puts_(o, " (<span class=\"mono\">");
		esc(o, name);
		puts_(o, "</span>)");
	}
	puts_(o, "</h3><div>");
	conn_chips(o, capi, vr, nv);
	puts_(o, "</div>");
	conn_facts(o, c);
	ladder(o, capi, c, vr, nv);
	puts_(o, "</article>\n");
}

static void
healthy_row(struct out *o, size_t capi, const struct dt_conn *c,
    const struct vref *vr, size_t nv)
{
	const char *name = dt_report_server_name(c);

	outf(o, "<tr id=\"c%zu-%" PRIu32 "\"><td>%" PRIu32 "</td>"
	    "<td class=\"mono\">", capi, c->id, c->id);
	esc(o, c->client_str);
	puts_(o, "</td><td class=\"mono\">");
	esc(o, c->server_str);
	puts_(o, "</td><td class=\"mono\">");
	if (name != NULL)
		esc(o, name);
	else
		puts_(o, "&mdash;");
	outf(o, "</td><td>%s</td><td>", dt_report_state_name(c->state));
	if (c->tls.sh_frame != 0) {
		put_version(o, c->tls.version);
		puts_(o, "<br>");
		put_suite(o, c->tls.suite);
	} else {
		puts_(o, "&mdash;");
	}
	outf(o, "</td><td>%" PRIu64 "&ndash;%" PRIu64 "</td><td>",
	    c->first_frame, c->last_frame);
	conn_chips(o, capi, vr, nv);
	puts_(o, "</td></tr>");
}

/* ---- certificates ---------------------------------------------------------- */

struct card {
	const struct dt_cert *x;
	const struct dt_conn *c;	/* first connection showing it */
	size_t pos;			/* in that chain */
	int client;			/* a client certificate */
};

static void
cert_card(struct out *o, size_t capi, const struct card *cd)
{
	const struct dt_cert *x = cd->x;
	const struct dt_conn *c = cd->c;
	int64_t now = c->first_time / 1000000000, lo, hi, span;
	int valid = now >= x->not_before && now <= x->not_after;
	const char *role;
	size_t i;

	role = cd->client ? "Client certificate" : cd->pos == 0 ?
	    "Server certificate" : x->self_signed ? "Root CA" : "Intermediate CA";
	outf(o, "<div class=\"card\"><div class=\"role\"><b>%s</b>", role);
	outf(o, " &middot; <a href=\"#c%zu-%" PRIu32 "\">connection %" PRIu32
	    "</a>", capi, c->id, c->id);
	if (!cd->client && c->tls.server_cert_frame != 0)
		outf(o, ", frame %" PRIu64, c->tls.server_cert_frame);
	else if (cd->client && c->tls.client_cert_frame != 0)
		outf(o, ", frame %" PRIu64, c->tls.client_cert_frame);
	puts_(o, "</div><h3>");
	if (x->parse_error != NULL) {
		puts_(o, "Unparsable certificate</h3><p>");
		esc(o, x->parse_error);
		puts_(o, "</p></div>");
		return;
	}
	esc(o, x->common_name != NULL ? x->common_name :
	    x->subject != NULL ? x->subject : "(no subject)");
	puts_(o, "</h3>");

	/* validity against the capture time */
	lo = x->not_before < now ? x->not_before : now;
	hi = x->not_after > now ? x->not_after : now;
	span = hi > lo ? hi - lo : 1;
	outf(o, "<div class=\"validity\" title=\"capture time\"><div "
	    "class=\"range%s\" style=\"left:%d%%;width:%d%%\"></div>"
	    "<div class=\"now\" style=\"left:%d%%\"></div></div>",
	    valid ? "" : " bad",
	    (int)((double)(x->not_before - lo) * 100 / (double)span),
	    (int)((double)(x->not_after - x->not_before) * 100 / (double)span),
	    (int)((double)(now - lo) * 100 / (double)span));
	puts_(o, "<div class=\"vscale\"><span>");
	put_date(o, lo);
	puts_(o, "</span><span>");
	put_date(o, hi);
	puts_(o, "</span></div><dl><dt>Subject</dt><dd>");
	esc(o, x->subject != NULL ? x->subject : "(none)");
	puts_(o, "</dd><dt>Issuer</dt><dd>");
	esc(o, x->issuer != NULL ? x->issuer : "(none)");
	if (x->self_signed)
		puts_(o, " (self-signed)");
	puts_(o, "</dd><dt>Valid</dt><dd>");
	put_date(o, x->not_before);
	puts_(o, " to ");
	put_date(o, x->not_after);
	outf(o, "<br><span class=\"status %s\">", valid ? "info" : "error");
	if (valid)
		puts_(o, "valid");
	else if (now < x->not_before)
		puts_(o, "not yet valid");
	else
		puts_(o, "expired");
	puts_(o, "</span> at capture time (");
	put_when(o, c->first_time);
	puts_(o, ")</dd>");
	if (x->n_dns_names > 0 || x->n_ip_addrs > 0) {
		puts_(o, "<dt>Names (SAN)</dt><dd>");
		for (i = 0; i < x->n_dns_names; i++) {
			puts_(o, i ? ", <code>" : "<code>");
			esc(o, x->dns_names[i]);
			puts_(o, "</code>");
		}
		for (i = 0; i < x->n_ip_addrs; i++) {
			puts_(o, i || x->n_dns_names ? ", <code>" : "<code>");
			esc(o, x->ip_addrs[i]);
			puts_(o, "</code>");
		}
		puts_(o, "</dd>");
	}
	if (x->key_type != NULL) {
		puts_(o, "<dt>Key</dt><dd>");
		esc(o, x->key_type);
		if (x->key_bits > 0)
			outf(o, " %u bits", x->key_bits);
		if (x->sig_alg != NULL) {
			puts_(o, ", signed ");
			esc(o, x->sig_alg);
		}
		puts_(o, "</dd>");
	}
	if (!x->server_auth && !cd->client && cd->pos == 0)
		puts_(o, "<dt>Usage</dt><dd><span class=\"status error\">"
		    "not for server authentication</span></dd>");
	if (x->n_crl_urls > 0) {
		puts_(o, "<dt>CRL</dt><dd>");
		for (i = 0; i < x->n_crl_urls; i++) {
			puts_(o, i ? "<br><code>" : "<code>");
			esc(o, x->crl_urls[i]);
			puts_(o, "</code>");
		}
		puts_(o, "</dd>");
	}
	if (!cd->client && cd->pos == 0) {
		puts_(o, "<dt>Chain</dt><dd>");
		switch (c->tls.chain) {
		case DT_CHAIN_OK:
			puts_(o, "<span class=\"status info\">trusted</span> "
			    "(verifies against the trust anchors)");
			break;
		case DT_CHAIN_UNTRUSTED:
		case DT_CHAIN_BAD:
			outf(o, "<span class=\"status error\">%s</span>",
			    c->tls.chain == DT_CHAIN_BAD ? "broken" :
			    "not trusted");
			if (c->tls.chain_error != NULL) {
				puts_(o, ": ");
				esc(o, c->tls.chain_error);
			}
			break;
		default:
			puts_(o, "not checked (no <code>--ca</code> given)");
			break;
		}
		puts_(o, "</dd>");
	}
	puts_(o, "<dt>SHA-256</dt><dd class=\"fp\">");
	for (i = 0; i < sizeof x->sha256 - 1 && x->sha256[i] != '\0'; i++) {
		if (i > 0 && i % 2 == 0)
			puts_(o, ":");
		put(o, strchr("0123456789abcdefABCDEF", x->sha256[i]) != NULL ?
		    &x->sha256[i] : "?", 1);
	}
	puts_(o, "</dd>");
	if (x->serial != NULL) {
		puts_(o, "<dt>Serial</dt><dd class=\"fp\">");
		esc(o, x->serial);
		puts_(o, "</dd>");
	}
	puts_(o, "</dl></div>");
}

static int
card_seen(const struct card *cards, size_t n, const struct dt_cert *x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (x->sha256[0] != '\0' &&
		    strcmp(cards[i].x->sha256, x->sha256) == 0)
			return 1;
	return 0;
}

static size_t
card_add(struct card *cards, size_t n, const struct dt_conn *c,
    const struct dt_cert *v, size_t nx, int client)
{
	size_t i;

	for (i = 0; i < nx && n < MAX_CARDS; i++) {
		if (card_seen(cards, n, &v[i]))
			continue;
		cards[n].x = &v[i];
		cards[n].c = c;
		cards[n].pos = i;
		cards[n].client = client;
		n++;
	}
	return n;
}

/* ---- one capture ----------------------------------------------------------- */

/* The verdicts of connection id in vr (sorted by conn, then seq). */
static size_t
conn_range(const struct vref *vr, size_t nv, uint32_t id, size_t *lo)
{
	size_t i, n = 0;

	for (i = 0; i < nv && vr[i].v->conn < id; i++)
		;
	*lo = i;
	while (i + n < nv && vr[i + n].v->conn == id)
		n++;
	return n;
}

static int
vref_by_conn(const void *pa, const void *pb)
{
	const struct vref *a = pa, *b = pb;

	if (a->v->conn != b->v->conn)
		return a->v->conn < b->v->conn ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
failing(const struct vref *vr, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (vr[i].v->severity >= DT_SEV_WARNING)
			return 1;
	return 0;
}

static void
capture_section(struct out *o, const struct dt_report_run *run, size_t capi,
    const struct vref *all, size_t n_all)
{
	const struct dt_capture *cap = run->caps[capi];
	const struct dt_conn *c;
	struct vref *vr = NULL;
	struct card *cards = NULL;
	size_t nv = 0, i, lo, n, healthy = 0, drawn = 0, other = 0, ncards = 0;

	for (i = 0; i < n_all; i++)
		nv += all[i].cap == capi;
	/* one spare entry: vr is never NULL, so vr + lo is defined */
	if ((vr = dt_calloc(o->mem, nv + 1, sizeof *vr)) == NULL) {
		o->err = o->err ? o->err : DT_ENOMEM;
		return;
	}
	for (i = 0, n = 0; i < n_all; i++)
		if (all[i].cap == capi)
			vr[n++] = all[i];
	if (nv > 0)
		qsort(vr, nv, sizeof *vr, vref_by_conn);

	outf(o, "<section id=\"cap%zu\"><h2>Connections", capi);
	if (run->n_caps > 1) {
		puts_(o, " in <span class=\"mono\">");
		esc(o, base_name(cap->path));
		puts_(o, "</span>");
	}
	puts_(o, "</h2>");
	/* failing connections drawn */
	for (c = cap->conns; c != NULL; c = c->next) {
		n = conn_range(vr, nv, c->id, &lo);
		if (failing(vr + lo, n) ||
		    (c->iphttps && (o->flags & DT_TEXT_VERBOSE))) {
			conn_article(o, capi, c, vr + lo, n);
			drawn++;
		} else if (c->iphttps || n > 0) {
			healthy++;
		} else {
			other++;
		}
	}
	if (drawn == 0 && healthy == 0)
		puts_(o, "<p>No IP-HTTPS connection in this capture.</p>");
	if (healthy > 0) {
		outf(o, "<h3>%s</h3><div class=\"scroll\"><table><thead><tr>"
		    "<th>#</th><th>Client</th><th>Server</th><th>Name</th>"
		    "<th>TCP</th><th>TLS</th><th>Frames</th><th>Findings</th>"
		    "</tr></thead><tbody>", drawn > 0 ?
		    "Connections without problems" : "Connections (no problem found)");
		for (c = cap->conns; c != NULL; c = c->next) {
			n = conn_range(vr, nv, c->id, &lo);
			if (failing(vr + lo, n) ||
			    (c->iphttps && (o->flags & DT_TEXT_VERBOSE)))
				continue;
			if (c->iphttps || n > 0)
				healthy_row(o, capi, c, vr + lo, n);
		}
		puts_(o, "</tbody></table></div>");
	}
	if (other > 0)
		outf(o, "<p class=\"meta\">%zu other connection%s (not IP-HTTPS) "
		    "not shown.</p>", other, other == 1 ? "" : "s");
	puts_(o, "</section>\n");

	/* certificates of the connections shown */
	cards = dt_calloc(o->mem, MAX_CARDS, sizeof *cards);
	if (cards == NULL) {
		o->err = o->err ? o->err : DT_ENOMEM;
		dt_free(o->mem, vr);
		return;
	}
	for (c = cap->conns; c != NULL; c = c->next) {
		n = conn_range(vr, nv, c->id, &lo);
		if (!c->iphttps && n == 0)
			continue;
		ncards = card_add(cards, ncards, c, c->tls.server_certs,
		    c->tls.n_server_certs, 0);
		ncards = card_add(cards, ncards, c, c->tls.client_certs,
		    c->tls.n_client_certs, 1);
	}
	if (ncards > 0) {
		outf(o, "<section id=\"certs%zu\"><h2>Certificates", capi);
		if (run->n_caps > 1) {
			puts_(o, " in <span class=\"mono\">");
			esc(o, base_name(cap->path));
			puts_(o, "</span>");
		}
		puts_(o, "</h2><div class=\"cards\">");
		for (i = 0; i < ncards && o->err == 0; i++)
			cert_card(o, capi, &cards[i]);
		puts_(o, "</div></section>\n");
	}
	dt_free(o->mem, cards);
	dt_free(o->mem, vr);
}

/* ---- the document ---------------------------------------------------------- */

static void
banner(struct out *o, const size_t sev[3], size_t n_iphttps)
{
	const char *cls = sev[DT_SEV_ERROR] ? "error" : sev[DT_SEV_WARNING] ?
	    "warning" : "info";

	outf(o, "<div class=\"banner %s\"><strong>%s</strong> &mdash; %zu "
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
document(struct out *o, const struct dt_report_run *run, struct vref *vr,
    size_t nv)
{
	const struct dt_conn *c;
	size_t i, sev[3] = { 0, 0, 0 }, n_iphttps = 0;

	for (i = 0; i < nv; i++)
		if ((unsigned)vr[i].v->severity < 3)
			sev[vr[i].v->severity]++;
	for (i = 0; i < run->n_caps; i++)
		for (c = run->caps[i]->conns; c != NULL; c = c->next)
			n_iphttps += c->iphttps != 0;

	puts_(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\"><meta name=\"generator\" content=\"datrace "
	    DT_VERSION_STRING "\"><meta http-equiv=\"Content-Security-Policy\" "
	    "content=\"default-src 'none'; style-src 'unsafe-inline'; "
	    "img-src data:\"><title>DirectAccess IP-HTTPS report");
	if (run->n_caps == 1) {
		puts_(o, ": ");
		esc(o, base_name(run->caps[0]->path));
	}
	puts_(o, "</title><style>\n");
	puts_(o, css);
	puts_(o, "</style></head><body><main>\n<header><h1>DirectAccess "
	    "IP-HTTPS report</h1><p class=\"sub\">Why the IP-HTTPS tunnel "
	    "(TLS over TCP) did or did not come up, with the evidence from "
	    "the capture.</p>");
	banner(o, sev, n_iphttps);
	puts_(o, "</header>\n");
	captures_section(o, run);

	puts_(o, "<section id=\"findings\"><h2>Findings</h2>");
	if (nv == 0)
		puts_(o, "<p>No finding.</p>");
	for (i = 0; i < nv && o->err == 0; i++) {
		if (i > 0 && vr[i].v->severity == DT_SEV_INFO &&
		    vr[i - 1].v->severity != DT_SEV_INFO)
			puts_(o, "<h3 class=\"fyi\">For information</h3>");
		verdict_article(o, run, &vr[i]);
	}
	puts_(o, "</section>\n");

	for (i = 0; i < run->n_caps && o->err == 0; i++)
		capture_section(o, run, i, vr, nv);

	puts_(o, "<footer>Made by datrace " DT_VERSION_STRING ". Frame numbers "
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
	struct vref *vr = NULL;
	const struct dt_verdict *v;
	size_t nv = 0, i, k;

	dt_mem_init(&local, NULL, NULL, 0);
	o.mem = &local;
	o.fp = fp;
	o.flags = flags;
	o.err = 0;
	for (i = 0; i < run->n_caps; i++)
		for (v = run->caps[i]->verdicts; v != NULL; v = v->next)
			nv++;
	if (nv > 0) {
		vr = dt_calloc(&local, nv, sizeof *vr);
		if (vr == NULL)
			return DT_ENOMEM;
	}
	for (i = 0, nv = 0; i < run->n_caps; i++)
		for (v = run->caps[i]->verdicts, k = 0; v != NULL;
		    v = v->next, k++) {
			vr[nv].v = v;
			vr[nv].cap = i;
			vr[nv].seq = k;
			nv++;
		}
	if (nv > 0)
		qsort(vr, nv, sizeof *vr, vref_rank);
	document(&o, run, vr, nv);
	dt_free(&local, vr);
	if (o.err == 0 && (fflush(fp) != 0 || ferror(fp)))
		o.err = DT_EIO;
	return o.err;
}
