/*
 * The human report: per capture a header, then for each IP-HTTPS
 * connection (and each connection with a verdict) a message ladder, one
 * line per timeline event (time from the connection start, frame, direction,
 * message with its key details: the TLS handshake messages of RFC 5246 7.4
 * and RFC 8446 4, alerts of RFC 5246 7.2, TCP SYN/RST/FIN of RFC 9293),
 * then each verdict with its Windows error, confidence, explanation, remedy
 * and evidence frames, and a one-line summary; after several captures,
 * a line per capture. Prose is wrapped at 78 columns, or at the width the
 * caller gives (DT_TEXT_WIDTH); a path, a name, a filter (any word) is
 * never broken, a line holding one that is longer runs over. Every byte reaches the terminal through one writer that
 * replaces control characters, C1 controls, bidirectional overrides and
 * invalid UTF-8 with '?', so nothing from the wire can move the cursor,
 * recolour or hide text. Colour (severity words only) on request only.
 */
#include "report/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "net/encap.h"
#include "report/ladder.h"
#include "tls/tls.h"
#include "util/buf.h"

#define WIDTH 78		/* when the caller gives none */
#define MAX_LISTED 8		/* suites, CA names ... listed on one line */
#define MAX_ERRORS 10		/* capture errors listed */

struct out {
	FILE *fp;
	struct dt_mem *mem;
	unsigned flags;
	int err;		/* DT_EIO / DT_ENOMEM, sticky */
	size_t width;		/* columns the prose is wrapped at */
	const char *filter;	/* the run's -F filter, or NULL */
};

/* ---- the one writer to the terminal -------------------------------------- */

/*
 * Copy text into s with every unsafe or invalid byte sequence as '?' (also
 * U+FFFD, which is how finished facts carry a bad byte from the wire).
 * keep_nl: a newline stays (paragraph break in our own texts); tabs become
 * a space.
 */
static void
clean_into(struct dt_buf *s, const char *text, int keep_nl)
{
	size_t n = strlen(text), i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = dt_utf8_next(text + i, n - i, &cp);
		if (k == 0) {
			dt_buf_putn(s, "?", 1);
			i++;
		} else if (cp == '\n' && keep_nl) {
			dt_buf_putn(s, "\n", 1);
			i++;
		} else if (cp == '\t') {
			dt_buf_putn(s, " ", 1);
			i++;
		} else if (dt_utf8_unsafe_cp(cp) || cp == '\n' ||
		    cp == 0xfffd) {	/* the repair mark of a bad byte */
			dt_buf_putn(s, "?", 1);
			i += k;
		} else {
			dt_buf_putn(s, text + i, k);
			i += k;
		}
	}
}

/* Whether s[0..n) has a two-column (East Asian wide) code point. */
static int
has_wide(const char *s, size_t n)
{
	return dt_utf8_width(s, n) > dt_utf8_count(s, n);
}

static void
put_raw(struct out *o, const char *s, size_t n)
{
	if (o->err == 0 && n > 0 && fwrite(s, 1, n, o->fp) != n)
		o->err = DT_EIO;
}

static void
put_line(struct out *o, const char *lead, size_t lead_n, const char *s,
    size_t n)
{
	while (n > 0 && s[n - 1] == ' ')	/* no trailing blanks */
		n--;
	if (n == 0)
		while (lead_n > 0 && lead[lead_n - 1] == ' ')
			lead_n--;
	put_raw(o, lead, lead_n);
	put_raw(o, s, n);
	put_raw(o, "\n", 1);
}

static const char spaces[] = "                                        ";

/*
 * Write `text` wrapped at WIDTH: the first line after `prefix` (ASCII of
 * ours), the following ones after `indent` spaces. Breaks at spaces; a word
 * longer than the room (a path, a name, a filter) is never cut: it takes a
 * line of its own and runs over. A newline in text starts a new line.
 */
static void
emit(struct out *o, const char *prefix, size_t indent, const char *text)
{
	struct dt_buf clean = DT_BUF_INIT(o->mem);
	const char *lead = prefix, *p, *end, *nl;
	size_t lead_n = strlen(prefix), room, take, i, last_space;

	if (indent > sizeof spaces - 1)
		indent = sizeof spaces - 1;
	clean_into(&clean, text, 1);
	if (clean.err) {
		o->err = o->err ? o->err : DT_ENOMEM;
		dt_buf_free(&clean);
		return;
	}
	p = clean.p != NULL ? clean.p : "";
	end = p + clean.n;
	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		/* one paragraph: p .. nl */
		do {
			room = o->width > dt_utf8_width(lead, lead_n) + 10 ?
			    o->width - dt_utf8_width(lead, lead_n) : 10;
			if (dt_utf8_width(p, (size_t)(nl - p)) <= room) {
				take = (size_t)(nl - p);
			} else {
				/* the last space within room columns, else
				   the end of the first word */
				take = dt_utf8_cols_bytes(p, (size_t)(nl - p), room);
				last_space = 0;
				for (i = 1; i <= take && p + i < nl; i++)
					if (p[i] == ' ')
						last_space = i;
				if (last_space > 0) {
					take = last_space;
				} else if (!has_wide(p, take)) {
					/* a path or name: whole; wide (East
					   Asian) text breaks anywhere */
					for (take = 0; p + take < nl &&
					    p[take] != ' '; take++)
						;
				}
			}
			put_line(o, lead, lead_n, p, take);
			p += take;
			while (p < nl && *p == ' ')
				p++;
			lead = spaces;
			lead_n = indent;
		} while (p < nl);
		if (nl == end)
			break;
		p = nl + 1;
	}
	dt_buf_free(&clean);
}

/* Text from our own tables or the wire, without wrapping. */
static void
put_clean(struct out *o, const char *text)
{
	struct dt_buf clean = DT_BUF_INIT(o->mem);

	clean_into(&clean, text, 0);
	if (clean.err)
		o->err = o->err ? o->err : DT_ENOMEM;
	else
		put_raw(o, clean.p, clean.n);
	dt_buf_free(&clean);
}

/* ---- names ------------------------------------------------------------------ */

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

static void
buf_cert(struct dt_buf *s, const struct dt_cert *x)
{
	if (x->parse_error != NULL) {
		dt_buf_puts(s, "unparsable (");
		dt_buf_puts(s, x->parse_error);
		dt_buf_puts(s, ")");
		return;
	}
	dt_buf_puts(s, x->subject != NULL ? x->subject : "(no subject)");
	if (x->self_signed) {
		dt_buf_puts(s, ", self-signed");
		return;
	}
	dt_buf_puts(s, " issued by ");
	dt_buf_puts(s, x->issuer != NULL ? x->issuer : "(no issuer)");
}

/* ---- the ladder --------------------------------------------------------------- */

static void
put_version(struct dt_buf *s, uint16_t v)
{
	char buf[DT_TLS_NAME_LEN];

	dt_buf_puts(s, dt_tls_version_str(v, buf, sizeof buf));
}

static void
msg_client_hello(struct dt_buf *s, const struct dt_step *st)
{
	const struct dt_tls_facts *t = st->tls;
	size_t i;

	dt_buf_puts(s, "ClientHello ");
	put_version(s, st->version);
	if (t->sni != NULL) {
		dt_buf_puts(s, ", SNI ");
		dt_buf_puts(s, t->sni);
	} else {
		dt_buf_puts(s, ", no SNI");
	}
	if (!st->null_offered) {
		dt_buf_printf(s, ", %zu suites, no NULL suite", st->n_suites);
		return;
	}
	dt_buf_puts(s, ", NULL suites offered: ");
	for (i = 0; i < st->n_null; i++) {
		if (i == MAX_LISTED) {
			dt_buf_puts(s, ", ...");
			break;
		}
		dt_buf_printf(s, "%s0x%04X", i ? ", " : "",
		    dt_ladder_null_suite(t, i));
	}
	if (st->only_null)
		dt_buf_puts(s, " (only NULL)");
	else
		dt_buf_printf(s, " (of %zu suites)", st->n_suites);
}

static void
msg_handshake(struct dt_buf *s, const struct dt_step *st)
{
	const struct dt_tls_facts *t = st->tls;
	char buf[DT_TLS_NAME_LEN];
	size_t i;

	switch (st->kind) {
	case DT_STEP_CLIENT_HELLO:
		msg_client_hello(s, st);
		return;
	case DT_STEP_HRR:
		dt_buf_puts(s, st->label);
		return;
	case DT_STEP_SERVER_HELLO:
		dt_buf_puts(s, "ServerHello ");
		put_version(s, st->version);
		dt_buf_puts(s, ", ");
		/* the name alone; the number only when there is no name */
		dt_buf_puts(s, dt_tls_suite_name(st->suite) != NULL ?
		    dt_tls_suite_name(st->suite) :
		    dt_tls_suite_str(st->suite, buf, sizeof buf));
		if (st->resumed)
			dt_buf_puts(s, ", resumed session");
		return;
	case DT_STEP_SERVER_CERT:
		dt_buf_puts(s, "Certificate: ");
		buf_cert(s, st->cert);
		if (st->n_certs > 1)
			dt_buf_printf(s, " (%zu certificates)", st->n_certs);
		return;
	case DT_STEP_CLIENT_CERT:
		if (st->cert_empty) {
			dt_buf_puts(s, "Certificate (empty)");
		} else if (st->cert != NULL) {
			dt_buf_puts(s, "Certificate: ");
			buf_cert(s, st->cert);
		} else {
			dt_buf_puts(s, "Certificate");
		}
		return;
	case DT_STEP_CERT_REQUEST:
		if (t->n_ca_names == 0) {
			dt_buf_puts(s, "CertificateRequest (no CA names)");
			return;
		}
		dt_buf_puts(s, "CertificateRequest (CAs: ");
		for (i = 0; i < t->n_ca_names && i < MAX_LISTED / 2; i++) {
			if (i > 0)
				dt_buf_puts(s, "; ");
			dt_buf_puts(s, t->ca_names[i]);
		}
		if (i < t->n_ca_names)
			dt_buf_printf(s, "; %zu more", t->n_ca_names - i);
		dt_buf_puts(s, ")");
		return;
	default:
		break;
	}
	if (st->label != NULL)
		dt_buf_puts(s, st->label);
	else
		dt_buf_printf(s, "Handshake message type %d", st->hs);
	if (st->encrypted)
		dt_buf_puts(s, " (encrypted)");
}

static void
msg_alert(struct dt_buf *s, const struct dt_step *st)
{
	const char *level = dt_tls_alert_level_name(st->alert_level);
	char buf[DT_TLS_NAME_LEN];

	if (st->encrypted) {
		dt_buf_puts(s, "Alert (encrypted)");
	} else {
		dt_buf_puts(s, "Alert ");
		if (level != NULL)
			dt_buf_puts(s, level);
		else
			dt_buf_printf(s, "level %u", st->alert_level);
		dt_buf_printf(s, " %s", dt_tls_alert_str(st->alert_desc, buf,
		    sizeof buf));
	}
	dt_buf_printf(s, " from %s", dt_report_dir_name(st->ev->dir));
}

static void
event_message(struct dt_buf *s, const struct dt_conn *c,
    const struct dt_event *ev)
{
	struct dt_step st;
	const struct dt_tls_facts *t = &c->tls;

	dt_ladder_step(c, ev, &st);
	switch (st.kind) {
	case DT_STEP_CLIENT_HELLO:
	case DT_STEP_HRR:
	case DT_STEP_SERVER_HELLO:
	case DT_STEP_SERVER_CERT:
	case DT_STEP_CLIENT_CERT:
	case DT_STEP_CERT_REQUEST:
	case DT_STEP_HANDSHAKE:
		msg_handshake(s, &st);
		return;
	case DT_STEP_ALERT:
		msg_alert(s, &st);
		return;
	case DT_STEP_NON_TLS:
	case DT_STEP_MALFORMED:
	case DT_STEP_NOTE:
		dt_buf_puts(s, st.label);
		if (st.wire != NULL) {
			dt_buf_puts(s, st.kind == DT_STEP_NON_TLS ? ": \"" : ": ");
			dt_buf_puts(s, st.wire);
			if (st.kind == DT_STEP_NON_TLS)
				dt_buf_puts(s, "\"");
		}
		return;
	case DT_STEP_HTTP_REQUEST:
		if (t->http_request.line == NULL) {
			dt_buf_puts(s, st.label);
			return;
		}
		dt_buf_puts(s, "HTTP ");
		dt_buf_puts(s, t->http_request.line);
		if (t->http_request.host != NULL) {
			dt_buf_puts(s, ", Host ");
			dt_buf_puts(s, t->http_request.host);
		}
		return;
	case DT_STEP_HTTP_RESPONSE:
		if (t->http_response.line == NULL) {
			dt_buf_printf(s, "HTTP response %" PRIu32, ev->b);
			return;
		}
		/* a status line names its protocol already */
		if (strncmp(t->http_response.line, "HTTP", 4) != 0)
			dt_buf_puts(s, "HTTP ");
		dt_buf_puts(s, t->http_response.line);
		return;
	case DT_STEP_EVENT:
		break;
	}
	switch (ev->type) {
	case DT_EV_SYN:
	case DT_EV_SYNACK:
		dt_buf_puts(s, st.label);
		if (ev->a)
			dt_buf_puts(s, " (retransmission)");
		return;
	case DT_EV_RST:
	case DT_EV_FIN:
		dt_buf_puts(s, st.label);
		dt_buf_printf(s, " from %s", dt_report_dir_name(ev->dir));
		if (ev->type == DT_EV_RST && ev->a == 1)
			dt_buf_puts(s, ", refusing the SYN");
		return;
	case DT_EV_GAP:
		dt_buf_printf(s, "%" PRIu32 " bytes missing from the stream",
		    ev->b);
		return;
	case DT_EV_TLS_ENCRYPTED:
		dt_buf_printf(s, "Encrypted handshake (%" PRIu32 " bytes)",
		    ev->b);
		return;
	case DT_EV_TLS_RECORD:
		if (ev->a == 24)
			dt_buf_printf(s, "%s (%" PRIu32 " bytes)", st.label,
			    ev->b);
		else
			dt_buf_printf(s, "Record of unknown content type %u "
			    "(%" PRIu32 " bytes)", (unsigned)ev->a, ev->b);
		return;
	case DT_EV_TLS_RESYNC:
		dt_buf_printf(s, "%s, %" PRIu32 " bytes skipped", st.label,
		    ev->b);
		return;
	default:
		dt_buf_puts(s, st.label);
		return;
	}
}

static const char *const arrows[] = { "C->S", "S->C" };

/* The ladder goes on inside the IP-HTTPS tunnel (compact rows). */
static void
tunnel_ladder(struct out *o, const struct dt_conn *c)
{
	struct dt_tunnel_row rows[DT_TUNNEL_ROWS_MAX];
	char prefix[48];
	size_t i, n = dt_report_tunnel_rows(c, rows, DT_TUNNEL_ROWS_MAX);

	for (i = 0; i < n; i++) {
		snprintf(prefix, sizeof prefix, "  %7s  #%-6" PRIu64 " %-4s  ",
		    "tunnel", rows[i].frame, arrows[rows[i].dir & 1]);
		emit(o, prefix, strlen(prefix), rows[i].text);
	}
}

static void
ladder(struct out *o, const struct dt_conn *c)
{
	struct dt_buf msg = DT_BUF_INIT(o->mem);
	char prefix[96];
	const struct dt_event *ev;
	int64_t rel;
	size_t i, j;

	for (i = 0; i < c->n_events; i++) {
		ev = &c->events[i];
		rel = ev->time - c->first_time;
		if (rel < 0)
			rel = 0;
		snprintf(prefix, sizeof prefix, "  %3" PRId64 ".%03d  #%-6" PRIu64
		    " %-4s  ", rel / 1000000000,
		    (int)(rel % 1000000000 / 1000000), ev->frame,
		    ev->type == DT_EV_END_OPEN ? "" : arrows[ev->dir & 1]);
		dt_buf_reset(&msg);
		event_message(&msg, c, ev);
		/* a run of retransmissions is one line */
		j = dt_ladder_row_end(c, i, NULL);
		if (j > i) {
			dt_buf_printf(&msg, " (%zu, up to frame %" PRIu64 ")",
			    j - i + 1, c->events[j].frame);
			i = j;
		}
		if (msg.err) {
			o->err = o->err ? o->err : DT_ENOMEM;
			break;
		}
		emit(o, prefix, strlen(prefix), msg.p);
	}
	if (c->events_dropped > 0) {
		snprintf(prefix, sizeof prefix,
		    "  ... %u more events not kept", c->events_dropped);
		emit(o, prefix, 4, "");
	}
	dt_buf_free(&msg);
	tunnel_ladder(o, c);
}

/* ---- verdicts ----------------------------------------------------------------- */

static void
verdict_head(struct out *o, const struct dt_verdict *v)
{
	const char *sev = dt_report_severity_name(v->severity);
	char parts[2][96];
	size_t col, np = 0, i;
	int colour = (o->flags & DT_TEXT_COLOR) != 0;

	if (v->win_code != 0)
		snprintf(parts[np++], sizeof parts[0], "0x%" PRIx32 "%s%s",
		    v->win_code, v->win_name ? " " : "",
		    v->win_name ? v->win_name : "");
	snprintf(parts[np++], sizeof parts[0], "(confidence %s)",
	    dt_report_confidence_name(v->confidence));

	if (colour)
		put_raw(o, colour_of(v->severity), strlen(colour_of(v->severity)));
	put_raw(o, sev, strlen(sev));
	if (colour)
		put_raw(o, "\033[0m", 4);
	put_raw(o, "  ", 2);
	put_clean(o, v->id != NULL ? v->id : "?");
	col = strlen(sev) + 2 + dt_utf8_width(v->id ? v->id : "?",
	    strlen(v->id ? v->id : "?"));
	for (i = 0; i < np; i++) {
		if (col + 2 + strlen(parts[i]) > o->width) {
			put_raw(o, "\n  ", 3);
			col = 2;
		} else {
			put_raw(o, "  ", 2);
			col += 2;
		}
		put_raw(o, parts[i], strlen(parts[i]));
		col += strlen(parts[i]);
	}
	put_raw(o, "\n", 1);
}

static void
verdict_block(struct out *o, const struct dt_verdict *v, int brief)
{
	struct dt_buf frames = DT_BUF_INIT(o->mem);
	size_t i;

	verdict_head(o, v);
	if (v->summary != NULL)
		emit(o, "  ", 2, v->summary);
	if (brief)
		return;
	if (v->explanation != NULL && v->explanation[0] != '\0')
		emit(o, "  ", 2, v->explanation);
	if (v->remedy != NULL && v->remedy[0] != '\0')
		emit(o, "  Fix: ", 7, v->remedy);
	if (v->n_frames > 0) {
		for (i = 0; i < v->n_frames; i++)
			dt_buf_printf(&frames, "%s%" PRIu64, i ? ", " : "",
			    v->frames[i]);
		if (frames.err)
			o->err = o->err ? o->err : DT_ENOMEM;
		else
			emit(o, "  Frames: ", 10, frames.p);
	}
	dt_buf_free(&frames);
}

/* ---- connections and captures ------------------------------------------------ */

static void
conn_head(struct out *o, const struct dt_conn *c)
{
	struct dt_buf s = DT_BUF_INIT(o->mem);
	const char *name = dt_facts_server_name(c);
	char prefix[32], addr[64];

	snprintf(prefix, sizeof prefix, "Connection %" PRIu32 ": ", c->id);
	if (c->client_str[0] != '\0') {
		dt_buf_puts(&s, c->client_str);
	} else {
		dt_addr_format(&c->client, c->client_port, addr, sizeof addr);
		dt_buf_puts(&s, addr);
	}
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
	dt_buf_printf(&s, ", TCP %s", dt_report_state_name(c->state));
	if (c->first_frame != 0)
		dt_buf_printf(&s, ", frames %" PRIu64 "-%" PRIu64, c->first_frame,
		    c->last_frame);
	if (c->iphttps && c->iphttps_reason[0] != '\0')
		dt_buf_printf(&s, ", IP-HTTPS (score %d: %s)", c->iphttps_score,
		    c->iphttps_reason);
	else if (c->iphttps)
		;
	else if (c->iphttps_reason[0] != '\0')
		dt_buf_printf(&s, ", not IP-HTTPS (score %d: %s)",
		    c->iphttps_score, c->iphttps_reason);
	else
		dt_buf_puts(&s, ", not IP-HTTPS");
	if (s.err)
		o->err = o->err ? o->err : DT_ENOMEM;
	else
		emit(o, prefix, 4, s.p);
	dt_buf_free(&s);
}

struct vref {
	const struct dt_verdict *v;
	size_t seq;
};

static int
vref_cmp(const void *pa, const void *pb)
{
	const struct vref *a = pa, *b = pb;

	if (a->v->conn != b->v->conn)
		return a->v->conn < b->v->conn ? -1 : 1;
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
		if (vr[i].v->severity >= DT_SEV_WARNING)
			failing = 1;
	if (c == NULL) {
		snprintf(line, sizeof line, "Connection %" PRIu32 ":", id);
		emit(o, line, 4, "");
	} else {
		if (!c->iphttps && nv == 0)
			return;
		conn_head(o, c);
		if (failing || (o->flags & DT_TEXT_VERBOSE))
			ladder(o, c);
	}
	for (i = 0; i < nv; i++)
		verdict_block(o, vr[i].v, !failing &&
		    !(o->flags & DT_TEXT_VERBOSE));
	put_raw(o, "\n", 1);
}

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

static void
capture_head(struct out *o, const struct dt_capture *cap)
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
		emit(o, "", 2, path.p);
	} else {
		/* the path whole on its line, even when it has spaces */
		put_clean(o, path.p);
		put_raw(o, "\n", 1);
		emit(o, "  ", 2, s.p);
	}
	dt_buf_free(&s);
	dt_buf_free(&path);

	for (i = 0; i < cap->n_errors && i < MAX_ERRORS; i++) {
		snprintf(line, sizeof line, "  error at offset %" PRIu64 ": ",
		    cap->errors[i].offset);
		emit(o, line, 4, cap->errors[i].message != NULL ?
		    cap->errors[i].message : "");
	}
	if (cap->n_errors > MAX_ERRORS) {
		snprintf(line, sizeof line, "  ... and %zu more errors",
		    cap->n_errors - MAX_ERRORS);
		emit(o, line, 4, "");
	}
	if (o->filter != NULL) {
		/* the filter whole on its own line: never broken */
		emit(o, "  note: ", 4, "only the packets matching this filter "
		    "(-F) were analysed:");
		put_raw(o, "    ", 4);
		put_clean(o, o->filter);
		put_raw(o, "\n", 1);
	}
	if (cap->duplicate_sightings > 0) {
		snprintf(line, sizeof line, "%" PRIu64 " distinct packets in "
		    "%" PRIu64 " records: %" PRIu64 " are further sightings of a "
		    "packet (at another component or layer), counted once",
		    cap->packets - cap->duplicate_sightings, cap->packets,
		    cap->duplicate_sightings);
		emit(o, "  note: ", 4, line);
	}
	for (i = 0; i < cap->n_providers && i < 12; i++) {
		snprintf(line, sizeof line, "%" PRIu64 " event%s of %u kind%s "
		    "from %s %s", cap->providers[i].events,
		    cap->providers[i].events == 1 ? "" : "s",
		    cap->providers[i].ids, cap->providers[i].ids == 1 ? "" : "s",
		    cap->providers[i].name ? cap->providers[i].name :
		    "provider", cap->providers[i].guid);
		emit(o, "  events: ", 4, line);
	}
	if (cap->n_providers > 12) {
		snprintf(line, sizeof line, "and %zu more providers",
		    cap->n_providers - 12);
		emit(o, "  events: ", 4, line);
	}
	if (cap->system_records > 0) {
		snprintf(line, sizeof line, "%" PRIu64 " kernel and system "
		    "record%s (trace header, configuration)",
		    cap->system_records, cap->system_records == 1 ? "" : "s");
		emit(o, "  events: ", 4, line);
	}
	if (cap->packets == 0 && cap->n_providers > 0)
		emit(o, "  note: ", 4, "the trace holds events but no packets: "
		    "capture packets with 'netsh trace start capture=yes' or "
		    "'pktmon start --capture --pkt-size 0'");
	if (cap->protected_80211 > 0) {
		snprintf(line, sizeof line, "%" PRIu64 " 802.11 data frame%s "
		    "protected (encrypted on the air): not decoded; capture on "
		    "the client (netsh, pktmon) to see them in the clear",
		    cap->protected_80211, cap->protected_80211 == 1 ? "" : "s");
		emit(o, "  note: ", 4, line);
	}
	if (cap->truncated_packets > 0) {
		snprintf(line, sizeof line, "%" PRIu64 " packet%s cut short by "
		    "the capture's snapshot length", cap->truncated_packets,
		    cap->truncated_packets == 1 ? "" : "s");
		emit(o, "  note: ", 4, line);
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
		emit(o, "  note: ", 4, line);
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
		emit(o, "  note: ", 4, line);
	}
	if (cap->undecodable > 0) {
		snprintf(line, sizeof line, "%" PRIu64 " packet%s could not be "
		    "decoded", cap->undecodable, cap->undecodable == 1 ? "" : "s");
		emit(o, "  note: ", 4, line);
	}
	if (cap->dropped_conns || cap->dropped_bytes || cap->fragments_dropped) {
		snprintf(line, sizeof line, "memory limits dropped %" PRIu64
		    " connections, %" PRIu64 " stream bytes, %" PRIu64
		    " fragments", cap->dropped_conns, cap->dropped_bytes,
		    cap->fragments_dropped);
		emit(o, "  note: ", 4, line);
	}
	put_raw(o, "\n", 1);
}

/* ---- the summary of a big capture ----------------------------------------- */

/* Failing connections past which the default text is the summary. */
#define SCREENFUL 24
#define EXAMPLES 3		/* connections named per verdict and server */

static const struct dt_conn *
conn_by_id(const struct dt_capture *cap, uint32_t id)
{
	size_t lo = 0, hi = cap->conn_index != NULL ? cap->n_conns : 0, mid;

	while (lo < hi) {		/* conn_index is in id order */
		mid = lo + (hi - lo) / 2;
		if (cap->conn_index[mid]->id == id)
			return cap->conn_index[mid];
		if (cap->conn_index[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct sref {
	const struct dt_verdict *v;
	const char *server;	/* "" when none */
};

static int
sref_cmp(const void *pa, const void *pb)
{
	const struct sref *a = pa, *b = pb;
	int k;

	if (a->v->severity != b->v->severity)
		return a->v->severity > b->v->severity ? -1 : 1;
	if ((k = strcmp(a->v->id, b->v->id)) != 0)
		return k;
	if ((k = strcmp(a->server, b->server)) != 0)
		return k;
	return a->v->conn < b->v->conn ? -1 : a->v->conn > b->v->conn;
}

/*
 * Verdict counts per id and, under each, per server, with the first few
 * connections of each: a day of traffic read in one screen.
 */
static void
capture_summary(struct out *o, const struct dt_capture *cap,
    const struct vref *vr, size_t nv)
{
	struct dt_buf line = DT_BUF_INIT(o->mem);
	const struct dt_conn *c;
	struct sref *sr;
	size_t i, j, k, n, e;

	if ((sr = dt_calloc(o->mem, nv ? nv : 1, sizeof *sr)) == NULL) {
		o->err = o->err ? o->err : DT_ENOMEM;
		return;
	}
	for (i = 0; i < nv; i++) {
		sr[i].v = vr[i].v;
		c = vr[i].v->conn != 0 ? conn_by_id(cap, vr[i].v->conn) : NULL;
		sr[i].server = c != NULL && dt_facts_server_name(c) != NULL ?
		    dt_facts_server_name(c) : c != NULL ? c->server_str : "";
	}
	qsort(sr, nv, sizeof *sr, sref_cmp);
	emit(o, "Summary (verdicts per id and server; --verbose for every "
	    "connection):", 2, "");
	for (i = 0; i < nv && o->err == 0; i = j) {
		for (j = i; j < nv && strcmp(sr[j].v->id, sr[i].v->id) == 0;
		    j++)
			;
		dt_buf_reset(&line);
		dt_buf_printf(&line, "%s  %s: %zu", dt_report_severity_name(
		    sr[i].v->severity), sr[i].v->id, j - i);
		emit(o, "  ", 4, dt_buf_str(&line));
		for (k = i; k < j && o->err == 0; k = n) {
			for (n = k; n < j && strcmp(sr[n].server,
			    sr[k].server) == 0; n++)
				;
			dt_buf_reset(&line);
			dt_buf_printf(&line, "%s: %zu, connection%s ",
			    sr[k].server[0] != '\0' ? sr[k].server :
			    "the whole capture", n - k, n - k > 1 ? "s" : "");
			for (e = k; e < n && e < k + EXAMPLES; e++)
				dt_buf_printf(&line, "%s%" PRIu32, e > k ? ", " :
				    "", sr[e].v->conn);
			if (n - k > EXAMPLES)
				dt_buf_puts(&line, ", ...");
			if (line.err)
				o->err = o->err ? o->err : DT_ENOMEM;
			else
				emit(o, "      ", 8, dt_buf_str(&line));
		}
	}
	put_raw(o, "\n", 1);
	dt_buf_free(&line);
	dt_free(o->mem, sr);
}

static void
capture_text(struct out *o, const struct dt_capture *cap)
{
	const struct dt_conn *c;
	const struct dt_verdict *v;
	struct vref *vr = NULL;
	size_t nv = 0, i, lo, hi, iphttps = 0, sev[3] = { 0, 0, 0 };
	size_t failing = 0;
	char line[128];

	for (v = cap->verdicts; v != NULL; v = v->next)
		nv++;
	if (nv > 0) {
		vr = dt_calloc(o->mem, nv, sizeof *vr);
		if (vr == NULL) {
			o->err = o->err ? o->err : DT_ENOMEM;
			return;
		}
		for (v = cap->verdicts, i = 0; v != NULL; v = v->next, i++) {
			vr[i].v = v;
			vr[i].seq = i;
			if ((unsigned)v->severity < 3)
				sev[v->severity]++;
		}
		qsort(vr, nv, sizeof *vr, vref_cmp);
	}

	capture_head(o, cap);
	for (i = 0; i < nv; i++)
		failing += vr[i].v->severity >= DT_SEV_WARNING;
	if ((o->flags & DT_TEXT_SUMMARY) ||
	    (failing > SCREENFUL && !(o->flags & DT_TEXT_VERBOSE))) {
		capture_summary(o, cap, vr, nv);
		for (c = cap->conns; c != NULL; c = c->next)
			iphttps += c->iphttps != 0;
		goto tail;
	}
	/* capture-wide verdicts sort first; connections follow in id order */
	for (lo = 0; lo < nv && vr[lo].v->conn == 0; lo++)
		;
	hi = lo;
	for (c = cap->conns; c != NULL; c = c->next) {
		iphttps += c->iphttps != 0;
		/* verdicts about connections whose facts were not kept */
		while (lo < nv && vr[lo].v->conn < c->id) {
			for (hi = lo; hi < nv && vr[hi].v->conn == vr[lo].v->conn;
			    hi++)
				;
			conn_block(o, NULL, vr[lo].v->conn, vr + lo, hi - lo);
			lo = hi;
		}
		for (hi = lo; hi < nv && vr[hi].v->conn == c->id; hi++)
			;
		/* vr is NULL when there is no verdict: no NULL + 0 */
		conn_block(o, c, c->id, hi > lo ? vr + lo : NULL, hi - lo);
		lo = hi;
	}
	while (lo < nv) {
		for (hi = lo; hi < nv && vr[hi].v->conn == vr[lo].v->conn; hi++)
			;
		conn_block(o, NULL, vr[lo].v->conn, vr + lo, hi - lo);
		lo = hi;
	}
	for (i = 0; i < nv && vr[i].v->conn == 0; i++) {
		if (i == 0)
			emit(o, "Whole capture:", 4, "");
		verdict_block(o, vr[i].v, 0);
	}
	if (i > 0)
		put_raw(o, "\n", 1);
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
	emit(o, "", 2, line);
	dt_free(o->mem, vr);
}

static void
pad(struct out *o, size_t n)
{
	size_t k;

	for (; n > 0; n -= k) {
		k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		put_raw(o, spaces, k);
	}
}

/*
 * After several captures, one line each: file, format, packets, IP-HTTPS
 * connections, the most severe verdict (the first of them) and its
 * Windows code. Columns are aligned; a long path pushes its line wider
 * instead of being broken.
 */
static void
run_summary(struct out *o, const struct dt_report_run *run)
{
	const struct dt_capture *cap;
	const struct dt_verdict *v, *top;
	const struct dt_conn *c;
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
	put_raw(o, line, strlen(line));
	put_raw(o, "  FILE", 6);
	pad(o, wpath - 4);
	snprintf(line, sizeof line, "  %-*s  %8s  %8s  TOP VERDICT\n",
	    (int)wfmt, "FORMAT", "PACKETS", "IP-HTTPS");
	put_raw(o, line, strlen(line));
	for (i = 0; i < run->n_caps && o->err == 0; i++) {
		cap = run->caps[i];
		put_raw(o, "  ", 2);
		put_clean(o, cap->path != NULL ? cap->path : "?");
		n = cap->path != NULL ?
		    dt_utf8_width(cap->path, strlen(cap->path)) : 1;
		pad(o, wpath - n);
		top = NULL;
		for (v = cap->verdicts; v != NULL; v = v->next)
			if (top == NULL || v->severity > top->severity)
				top = v;
		for (n = 0, c = cap->conns; c != NULL; c = c->next)
			n += c->iphttps != 0;
		snprintf(line, sizeof line, "  %-*s  %8" PRIu64 "  %8zu  ",
		    (int)wfmt, cap->format != NULL ? cap->format : "?",
		    cap->packets, n);
		put_raw(o, line, strlen(line));
		if (top == NULL) {
			put_raw(o, "-", 1);
		} else {
			put_raw(o, dt_report_severity_name(top->severity),
			    strlen(dt_report_severity_name(top->severity)));
			put_raw(o, " ", 1);
			put_clean(o, top->id != NULL ? top->id : "?");
			if (top->win_code != 0) {
				snprintf(line, sizeof line, " 0x%" PRIx32,
				    top->win_code);
				put_raw(o, line, strlen(line));
			}
		}
		put_raw(o, "\n", 1);
	}
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
	o.flags = flags;
	o.err = 0;
	o.width = DT_TEXT_WIDTH_OF(flags) >= 40 ? DT_TEXT_WIDTH_OF(flags) - 2 :
	    WIDTH;
	o.filter = run->filter;
	for (i = 0; i < run->n_caps && o.err == 0; i++) {
		dt_mem_reader(&local, run->caps[i]->mem);
		if (i > 0)
			put_raw(&o, "\n", 1);
		capture_text(&o, run->caps[i]);
	}
	dt_mem_reader(&local, NULL);
	if (run->n_caps > 1 && o.err == 0)
		run_summary(&o, run);
	if (o.err == 0 && (fflush(fp) != 0 || ferror(fp)))
		o.err = DT_EIO;
	return o.err;
}
