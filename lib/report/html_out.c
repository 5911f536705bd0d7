/*
 * The HTML report's output: every byte goes through html_put(), and every
 * string from the wire through html_text(), which repairs invalid UTF-8
 * (RFC 3629) with the shared decoder, replaces control and
 * bidirectional-override characters, and escapes the five characters HTML
 * gives meaning to (& < > " '), in element text, attribute values and SVG
 * text alike (HTML Living Standard 13.1.2.6, 13.2.6.5). Also the small
 * formats (times, sizes, names) every section uses.
 */
#include "report/html_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "tls/tls.h"

/* ---- output ------------------------------------------------------------ */

void
html_put(struct out *o, const char *s, size_t n)
{
	if (o->err == 0 && n > 0 && fwrite(s, 1, n, o->fp) != n)
		o->err = DT_EIO;
}

/* Our own markup. */
void
html_puts(struct out *o, const char *s)
{
	html_put(o, s, strlen(s));
}

/* Our own markup with numbers; never a string from the wire. */
void
html_printf(struct out *o, const char *fmt, ...)
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
int
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
			html_puts(o, "\xe2\x80\xa6");	/* U+2026 */
			return 1;
		}
		cps++;
		k = dt_utf8_next(s + i, n - i, &cp);
		if (k == 0) {
			html_puts(o, "\xef\xbf\xbd");	/* U+FFFD */
			i++;
		} else if (dt_utf8_unsafe_cp(cp)) {
			html_puts(o, "\xef\xbf\xbd");
			i += k;
		} else if (cp < 0x80 && cp != 0 &&
		    (e = strchr(esc_chars, (int)cp)) != NULL) {
			html_puts(o, esc_ents[e - esc_chars]);
			i++;
		} else {
			html_put(o, s + i, k);
			i += k;
		}
	}
	return 0;
}

void
html_esc(struct out *o, const char *s)
{
	html_text(o, s, 0);
}

/* ---- names and small formats ---------------------------------------------- */


/* Severity words as shown, and the CSS class of each. */
static const char *const sev_titles[] = { "Info", "Warning", "Error" };

const char *
html_sev_title(dt_severity s)
{
	return (unsigned)s < 3 ? sev_titles[s] : "?";
}

void
html_version(struct out *o, uint16_t v)
{
	char buf[DT_TLS_NAME_LEN];

	html_esc(o, dt_tls_version_str(v, buf, sizeof buf));
}

void
html_suite(struct out *o, uint16_t suite)
{
	char buf[DT_TLS_NAME_LEN];

	html_esc(o, dt_tls_suite_str(suite, buf, sizeof buf));
}

/* "2026-11-25 17:11:27 UTC" (no fraction); "?" outside 0000..9999. */
void
html_when(struct out *o, int64_t ns)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time(ns - (ns % 1000000000 + 1000000000) % 1000000000,
	    buf, sizeof buf) != 0 || strlen(buf) < 20) {
		html_puts(o, "?");
		return;
	}
	buf[10] = ' ';
	buf[19] = '\0';
	html_puts(o, buf);
	html_puts(o, " UTC");
}

/* The date of a certificate bound: "2034-01-01". */
void
html_date(struct out *o, int64_t sec)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time_sec(sec, buf, sizeof buf) != 0 || strlen(buf) < 10) {
		html_puts(o, "?");
		return;
	}
	buf[10] = '\0';
	html_puts(o, buf);
}

/* A duration: "0.008 s" under a minute, else "1:02:03", "3 d 01:02:03". */
void
html_span(struct out *o, int64_t ns)
{
	int64_t sec;

	if (ns < 0)
		ns = 0;
	sec = ns / 1000000000;
	if (sec < 60)
		html_printf(o, "%" PRId64 ".%03d&nbsp;s", sec,
		    (int)(ns % 1000000000 / 1000000));
	else if (sec < 86400)
		html_printf(o, "%d:%02d:%02d", (int)(sec / 3600), (int)(sec / 60 % 60),
		    (int)(sec % 60));
	else
		html_printf(o, "%" PRId64 "&nbsp;d %02d:%02d:%02d", sec / 86400,
		    (int)(sec / 3600 % 24), (int)(sec / 60 % 60),
		    (int)(sec % 60));
}

void
html_bytes(struct out *o, uint64_t n)
{
	if (n < 10000)
		html_printf(o, "%" PRIu64 "&nbsp;bytes", n);
	else if (n < 10000ULL * 1024)
		html_printf(o, "%" PRIu64 "&nbsp;KiB", (n + 512) / 1024);
	else if (n < 10000ULL * 1024 * 1024)
		html_printf(o, "%" PRIu64 "&nbsp;MiB", (n + 512 * 1024) / (1024 * 1024));
	else
		html_printf(o, "%" PRIu64 "&nbsp;GiB",
		    (n + 512 * 1024 * 1024) / (1024 * 1024 * 1024));
}

/* The file name after the last '/'. */
const char *
html_base_name(const char *path)
{
	const char *s;

	if (path == NULL)
		return "(capture)";
	s = strrchr(path, '/');
	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

void
html_windows(struct out *o, const struct dt_verdict *v)
{
	if (v->win_code == 0)
		return;
	html_printf(o, "<span class=\"win\"><span class=\"code\">0x%" PRIx32
	    "</span>", v->win_code);
	if (v->win_name != NULL) {
		html_puts(o, " ");
		html_esc(o, v->win_name);
	}
	html_puts(o, "</span>");
}
