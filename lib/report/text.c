/*
 * The human report: per capture a header, then for each IP-HTTPS
 * connection (and each connection with a verdict) a message ladder, one
 * line per timeline event (time from the connection start, frame, direction,
 * message with its key details: the TLS handshake messages of RFC 5246 7.4
 * and RFC 8446 4, alerts of RFC 5246 7.2, TCP SYN/RST/FIN of RFC 9293),
 * then each verdict with its Windows error, confidence, explanation, remedy
 * and evidence frames, and a one-line summary. Lines fit in 80 columns
 * (wrapped at 78). Every byte reaches the terminal through one writer that
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
#include "tls/tls.h"

#define WIDTH 78
#define MAX_LISTED 8		/* suites, CA names ... listed on one line */
#define MAX_ERRORS 10		/* capture errors listed */

struct out {
	FILE *fp;
	struct dt_mem *mem;
	unsigned flags;
	int err;		/* DT_EIO / DT_ENOMEM, sticky */
};

/* ---- a growable string ---------------------------------------------------- */

struct sb {
	struct dt_mem *m;
	char *p;
	size_t n, cap;
	int err;
};

static int
sb_grow(struct sb *s, size_t more)
{
	size_t ncap;
	char *np;

	if (s->err)
		return -1;
	if (more < s->cap - s->n)
		return 0;
	if (more > SIZE_MAX / 2 - s->n) {
		s->err = 1;
		return -1;
	}
	ncap = s->cap ? s->cap : 128;
	while (ncap - s->n <= more)
		ncap *= 2;
	np = dt_realloc(s->m, s->p, ncap);
	if (np == NULL) {
		s->err = 1;
		return -1;
	}
	s->p = np;
	s->cap = ncap;
	return 0;
}

static void
sb_putn(struct sb *s, const char *str, size_t n)
{
	if (sb_grow(s, n) != 0)
		return;
	memcpy(s->p + s->n, str, n);
	s->n += n;
	s->p[s->n] = '\0';
}

static void
sb_puts(struct sb *s, const char *str)
{
	sb_putn(s, str, strlen(str));
}

static void sb_printf(struct sb *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *s, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	/* every caller formats short, fixed-size things; wire strings go
	   through sb_puts */
	sb_putn(s, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
}

static void
sb_reset(struct sb *s)
{
	s->n = 0;
	if (s->p != NULL)
		s->p[0] = '\0';
}

static void
sb_free(struct sb *s)
{
	dt_free(s->m, s->p);
	s->p = NULL;
	s->n = s->cap = 0;
}

/* ---- the one writer to the terminal -------------------------------------- */

/* Code points that must not reach a terminal as they are. */
static int
unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/*
 * Copy text into s with every unsafe or invalid byte sequence as '?'.
 * keep_nl: a newline stays (paragraph break in our own texts); tabs become
 * a space.
 */
static void
clean_into(struct sb *s, const char *text, int keep_nl)
{
	size_t n = strlen(text), i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = dt_report_utf8_next(text + i, n - i, &cp);
		if (k == 0) {
			sb_putn(s, "?", 1);
			i++;
		} else if (cp == '\n' && keep_nl) {
			sb_putn(s, "\n", 1);
			i++;
		} else if (cp == '\t') {
			sb_putn(s, " ", 1);
			i++;
		} else if (unsafe_cp(cp)) {
			sb_putn(s, "?", 1);
			i += k;
		} else {
			sb_putn(s, text + i, k);
			i += k;
		}
	}
}

/* East Asian wide and fullwidth blocks (UAX #11, W and F), two columns. */
static const uint32_t wide[][2] = {
	{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff },
	{ 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
	{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe30, 0xfe4f },
	{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
	{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

static size_t
cp_width(uint32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			return 2;
	return 1;
}

/* One code point of clean text: its byte length and columns. */
static size_t
next_cp(const char *s, size_t n, size_t *cols)
{
	uint32_t cp;
	size_t k = dt_report_utf8_next(s, n, &cp);

	if (k == 0) {		/* not after clean_into(); count a byte */
		*cols = 1;
		return 1;
	}
	*cols = cp_width(cp);
	return k;
}

/* Columns of clean UTF-8. */
static size_t
width(const char *s, size_t n)
{
	size_t i = 0, w = 0, c;

	while (i < n) {
		i += next_cp(s + i, n - i, &c);
		w += c;
	}
	return w;
}

/* Byte length of the longest head of s[0..n) that fits in `cols` columns
   (at least one code point, so that wrapping always advances). */
static size_t
cols_bytes(const char *s, size_t n, size_t cols)
{
	size_t i = 0, k, c, used = 0;

	while (i < n) {
		k = next_cp(s + i, n - i, &c);
		if (used + c > cols && i > 0)
			break;
		used += c;
		i += k;
	}
	return i;
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
 * longer than the room is cut. A newline in text starts a new line.
 */
static void
emit(struct out *o, const char *prefix, size_t indent, const char *text)
{
	struct sb clean = { o->mem, NULL, 0, 0, 0 };
	const char *lead = prefix, *p, *end, *nl;
	size_t lead_n = strlen(prefix), room, take, i, last_space;

	if (indent > sizeof spaces - 1)
		indent = sizeof spaces - 1;
	clean_into(&clean, text, 1);
	if (clean.err) {
		o->err = o->err ? o->err : DT_ENOMEM;
		sb_free(&clean);
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
			room = WIDTH > width(lead, lead_n) + 10 ?
			    WIDTH - width(lead, lead_n) : 10;
			if (width(p, (size_t)(nl - p)) <= room) {
				take = (size_t)(nl - p);
			} else {
				/* the last space within room columns */
				take = cols_bytes(p, (size_t)(nl - p), room);
				last_space = 0;
				for (i = 1; i <= take && p + i < nl; i++)
					if (p[i] == ' ')
						last_space = i;
				if (last_space > 0)
					take = last_space;
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
	sb_free(&clean);
}

/* Text from our own tables or the wire, without wrapping. */
static void
put_clean(struct out *o, const char *text)
{
	struct sb clean = { o->mem, NULL, 0, 0, 0 };

	clean_into(&clean, text, 0);
	if (clean.err)
		o->err = o->err ? o->err : DT_ENOMEM;
	else
		put_raw(o, clean.p, clean.n);
	sb_free(&clean);
}

/* ---- names ------------------------------------------------------------------ */


static const char *const alert_levels[] = { "level 0", "warning", "fatal" };

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
sb_version(struct sb *s, uint16_t v)
{
	const char *name = dt_tls_version_name(v);

	if (name != NULL)
		sb_puts(s, name);
	else
		sb_printf(s, "0x%04X", v);
}

static void
sb_suite(struct sb *s, uint16_t suite)
{
	const char *name = dt_tls_suite_name(suite);

	if (name != NULL)
		sb_puts(s, name);
	else
		sb_printf(s, "suite 0x%04X", suite);
}

/* GREASE values (RFC 8701) are not versions. */
static int
grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static void
sb_cert(struct sb *s, const struct dt_cert *x)
{
	if (x->parse_error != NULL) {
		sb_puts(s, "unparsable (");
		sb_puts(s, x->parse_error);
		sb_puts(s, ")");
		return;
	}
	sb_puts(s, x->subject != NULL ? x->subject : "(no subject)");
	if (x->self_signed) {
		sb_puts(s, ", self-signed");
		return;
	}
	sb_puts(s, " issued by ");
	sb_puts(s, x->issuer != NULL ? x->issuer : "(no issuer)");
}

/* ---- the ladder --------------------------------------------------------------- */

static void
msg_client_hello(struct sb *s, const struct dt_tls_facts *t)
{
	uint16_t best = 0;
	size_t i, listed = 0, nulls = 0;

	sb_puts(s, "ClientHello ");
	for (i = 0; i < t->n_client_versions; i++)
		if (!grease(t->client_versions[i]) &&
		    t->client_versions[i] > best)
			best = t->client_versions[i];
	sb_version(s, best != 0 ? best : t->ch_legacy_version);
	if (t->sni != NULL) {
		sb_puts(s, ", SNI ");
		sb_puts(s, t->sni);
	} else {
		sb_puts(s, ", no SNI");
	}
	for (i = 0; i < t->n_offered_suites; i++)
		if (dt_tls_suite_is_null(t->offered_suites[i]))
			nulls++;
	if (nulls == 0 && !t->offered_null) {
		sb_printf(s, ", %zu suites, no NULL suite", t->n_offered_suites);
		return;
	}
	sb_puts(s, ", NULL suites offered: ");
	for (i = 0; i < t->n_offered_suites; i++) {
		if (!dt_tls_suite_is_null(t->offered_suites[i]))
			continue;
		if (listed == MAX_LISTED) {
			sb_puts(s, ", ...");
			break;
		}
		sb_printf(s, "%s0x%04X", listed ? ", " : "",
		    t->offered_suites[i]);
		listed++;
	}
	if (t->offered_only_null || nulls == t->n_offered_suites)
		sb_puts(s, " (only NULL)");
	else
		sb_printf(s, " (of %zu suites)", t->n_offered_suites);
}

static void
msg_handshake(struct sb *s, const struct dt_conn *c, const struct dt_event *ev)
{
	const struct dt_tls_facts *t = &c->tls;
	size_t i;

	if (ev->a == 1 && ev->frame == t->ch_frame && ev->dir == DT_C2S) {
		msg_client_hello(s, t);
		return;
	}
	if (ev->a == 2 && (ev->b & DT_TLS_HS_HRR)) {
		sb_puts(s, "HelloRetryRequest");
		return;
	}
	if (ev->a == 2 && ev->frame == t->sh_frame && ev->dir == DT_S2C) {
		sb_puts(s, "ServerHello ");
		sb_version(s, t->version);
		sb_puts(s, ", ");
		sb_suite(s, t->suite);
		if (t->resumed)
			sb_puts(s, ", resumed session");
		return;
	}
	if (ev->a == 11 && ev->dir == DT_S2C && t->n_server_certs > 0) {
		sb_puts(s, "Certificate: ");
		sb_cert(s, &t->server_certs[0]);
		if (t->n_server_certs > 1)
			sb_printf(s, " (%zu certificates)", t->n_server_certs);
		return;
	}
	if (ev->a == 11 && ev->dir == DT_C2S) {
		if (t->client_cert == DT_CCERT_EMPTY) {
			sb_puts(s, "Certificate (empty)");
		} else if (t->n_client_certs > 0) {
			sb_puts(s, "Certificate: ");
			sb_cert(s, &t->client_certs[0]);
		} else {
			sb_puts(s, "Certificate");
		}
		return;
	}
	if (ev->a == 13 && ev->frame == t->cert_request_frame) {
		if (t->n_ca_names == 0) {
			sb_puts(s, "CertificateRequest (no CA names)");
			return;
		}
		sb_puts(s, "CertificateRequest (CAs: ");
		for (i = 0; i < t->n_ca_names && i < MAX_LISTED / 2; i++) {
			if (i > 0)
				sb_puts(s, "; ");
			sb_puts(s, t->ca_names[i]);
		}
		if (i < t->n_ca_names)
			sb_printf(s, "; %zu more", t->n_ca_names - i);
		sb_puts(s, ")");
		return;
	}
	sb_puts(s, dt_report_hs_label(ev->a, "Handshake message"));
	if (dt_report_hs_label(ev->a, NULL) == NULL)
		sb_printf(s, " type %u", ev->a);
	if (ev->b & DT_TLS_HS_ENCRYPTED)
		sb_puts(s, " (encrypted)");
}

static void
msg_alert(struct sb *s, const struct dt_event *ev)
{
	uint8_t level = (uint8_t)(ev->a >> 8), desc = (uint8_t)(ev->a & 0xff);
	const char *name = dt_tls_alert_name(desc);

	if (ev->b != 0) {
		sb_puts(s, "Alert (encrypted)");
	} else {
		sb_puts(s, "Alert ");
		if (level < 3)
			sb_puts(s, alert_levels[level]);
		else
			sb_printf(s, "level %u", level);
		sb_printf(s, " %s (%u)", name != NULL ? name : "unknown", desc);
	}
	sb_printf(s, " from %s", dt_report_dir_name(ev->dir));
}

static void
event_message(struct sb *s, const struct dt_conn *c, const struct dt_event *ev)
{
	const struct dt_tls_facts *t = &c->tls;

	switch (ev->type) {
	case DT_EV_TLS_HANDSHAKE:
		msg_handshake(s, c, ev);
		return;
	case DT_EV_TLS_ALERT:
		msg_alert(s, ev);
		return;
	case DT_EV_SYN:
	case DT_EV_SYNACK:
		sb_puts(s, dt_report_ev_label(ev->type, "?"));
		if (ev->a)
			sb_puts(s, " (retransmission)");
		return;
	case DT_EV_RST:
	case DT_EV_FIN:
		sb_puts(s, dt_report_ev_label(ev->type, "?"));
		sb_printf(s, " from %s", dt_report_dir_name(ev->dir));
		if (ev->type == DT_EV_RST && ev->a == 1)
			sb_puts(s, ", refusing the SYN");
		return;
	case DT_EV_GAP:
		sb_printf(s, "%" PRIu32 " bytes missing from the stream", ev->b);
		return;
	case DT_EV_TLS_ENCRYPTED:
		sb_printf(s, "Encrypted handshake (%" PRIu32 " bytes)", ev->b);
		return;
	case DT_EV_SSLV2_HELLO:		/* tls.h: a = 4 from the server */
		sb_puts(s, ev->a == 4 ? "SSLv2 ServerHello" :
		    dt_report_ev_label(ev->type, "?"));
		return;
	case DT_EV_NON_TLS:
		sb_puts(s, "Not TLS");
		if (t->non_tls_line != NULL && ev->frame == t->non_tls_frame) {
			sb_puts(s, ": \"");
			sb_puts(s, t->non_tls_line);
			sb_puts(s, "\"");
		}
		return;
	case DT_EV_TLS_MALFORMED:
		sb_puts(s, "Not parseable as TLS");
		if (t->malformed != NULL && ev->frame == t->malformed_frame) {
			sb_puts(s, ": ");
			sb_puts(s, t->malformed);
		}
		return;
	case DT_EV_HTTP_REQUEST:
		if (t->http_request.line == NULL) {
			sb_puts(s, "HTTP request");
			return;
		}
		sb_puts(s, "HTTP ");
		sb_puts(s, t->http_request.line);
		if (t->http_request.host != NULL) {
			sb_puts(s, ", Host ");
			sb_puts(s, t->http_request.host);
		}
		return;
	case DT_EV_HTTP_RESPONSE:
		if (t->http_response.line == NULL) {
			sb_printf(s, "HTTP response %" PRIu32, ev->b);
			return;
		}
		/* a status line names its protocol already */
		if (strncmp(t->http_response.line, "HTTP", 4) != 0)
			sb_puts(s, "HTTP ");
		sb_puts(s, t->http_response.line);
		return;
	default:
		sb_puts(s, dt_report_ev_label(ev->type, "Event"));
		return;
	}
}

static const char *const arrows[] = { "C->S", "S->C" };

static void
ladder(struct out *o, const struct dt_conn *c)
{
	struct sb msg = { o->mem, NULL, 0, 0, 0 };
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
		sb_reset(&msg);
		event_message(&msg, c, ev);
		/* a run of retransmissions is one line */
		for (j = i + 1; ev->type == DT_EV_RETRANS && j < c->n_events &&
		    c->events[j].type == DT_EV_RETRANS &&
		    c->events[j].dir == ev->dir; j++)
			;
		if (j > i + 1) {
			sb_printf(&msg, " (%zu, up to frame %" PRIu64 ")",
			    j - i, c->events[j - 1].frame);
			i = j - 1;
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
	sb_free(&msg);
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
	col = strlen(sev) + 2 + width(v->id ? v->id : "?",
	    strlen(v->id ? v->id : "?"));
	for (i = 0; i < np; i++) {
		if (col + 2 + strlen(parts[i]) > WIDTH) {
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
	struct sb frames = { o->mem, NULL, 0, 0, 0 };
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
			sb_printf(&frames, "%s%" PRIu64, i ? ", " : "",
			    v->frames[i]);
		if (frames.err)
			o->err = o->err ? o->err : DT_ENOMEM;
		else
			emit(o, "  Frames: ", 10, frames.p);
	}
	sb_free(&frames);
}

/* ---- connections and captures ------------------------------------------------ */

static void
conn_head(struct out *o, const struct dt_conn *c)
{
	struct sb s = { o->mem, NULL, 0, 0, 0 };
	const char *name = dt_report_server_name(c);
	char prefix[32], addr[64];

	snprintf(prefix, sizeof prefix, "Connection %" PRIu32 ": ", c->id);
	if (c->client_str[0] != '\0') {
		sb_puts(&s, c->client_str);
	} else {
		dt_addr_format(&c->client, c->client_port, addr, sizeof addr);
		sb_puts(&s, addr);
	}
	sb_puts(&s, " -> ");
	if (c->server_str[0] != '\0') {
		sb_puts(&s, c->server_str);
	} else {
		dt_addr_format(&c->server, c->server_port, addr, sizeof addr);
		sb_puts(&s, addr);
	}
	if (name != NULL) {
		sb_puts(&s, " (");
		sb_puts(&s, name);
		sb_puts(&s, ")");
	}
	sb_printf(&s, ", TCP %s", dt_report_state_name(c->state));
	if (c->first_frame != 0)
		sb_printf(&s, ", frames %" PRIu64 "-%" PRIu64, c->first_frame,
		    c->last_frame);
	if (!c->iphttps)
		sb_puts(&s, ", not IP-HTTPS");
	if (s.err)
		o->err = o->err ? o->err : DT_ENOMEM;
	else
		emit(o, prefix, 4, s.p);
	sb_free(&s);
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
sb_span(struct sb *s, int64_t ns)
{
	int64_t sec = ns / 1000000000;

	if (sec < 60)
		sb_printf(s, "%" PRId64 ".%03d s", sec,
		    (int)(ns % 1000000000 / 1000000));
	else if (sec < 86400)
		sb_printf(s, "%d:%02d:%02d", (int)(sec / 3600),
		    (int)(sec / 60 % 60), (int)(sec % 60));
	else
		sb_printf(s, "%" PRId64 " d %02d:%02d:%02d", sec / 86400,
		    (int)(sec / 3600 % 24), (int)(sec / 60 % 60),
		    (int)(sec % 60));
}

static void
capture_head(struct out *o, const struct dt_capture *cap)
{
	struct sb s = { o->mem, NULL, 0, 0, 0 }, path = s;
	char when[64], name[64], line[160];
	const char *ltn;
	int64_t span;
	size_t i;

	sb_printf(&s, "%s, %" PRIu64 " packet%s",
	    cap->format != NULL ? cap->format : "?", cap->packets,
	    cap->packets == 1 ? "" : "s");
	if (cap->packets > 0) {
		human_time(cap->first_time, when, sizeof when);
		span = cap->last_time - cap->first_time;
		if (span < 0)
			span = 0;
		sb_printf(&s, ", %s, ", when);
		sb_span(&s, span);
	}
	/* "path: what" on one line when it fits, else the path alone */
	sb_puts(&path, cap->path != NULL ? cap->path : "(capture)");
	sb_puts(&path, ":");
	if (s.err || path.err) {
		o->err = o->err ? o->err : DT_ENOMEM;
	} else if (width(path.p, path.n) + 1 + width(s.p, s.n) <= WIDTH) {
		sb_puts(&path, " ");
		sb_puts(&path, s.p);
		emit(o, "", 2, path.p);
	} else {
		emit(o, "", 2, path.p);
		emit(o, "  ", 2, s.p);
	}
	sb_free(&s);
	sb_free(&path);

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

static void
capture_text(struct out *o, const struct dt_capture *cap)
{
	const struct dt_conn *c;
	const struct dt_verdict *v;
	struct vref *vr = NULL;
	size_t nv = 0, i, lo, hi, iphttps = 0, sev[3] = { 0, 0, 0 };
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

	snprintf(line, sizeof line, "%zu IP-HTTPS connection%s, %zu error%s, "
	    "%zu warning%s", iphttps, iphttps == 1 ? "" : "s",
	    sev[DT_SEV_ERROR], sev[DT_SEV_ERROR] == 1 ? "" : "s",
	    sev[DT_SEV_WARNING], sev[DT_SEV_WARNING] == 1 ? "" : "s");
	emit(o, "", 2, line);
	dt_free(o->mem, vr);
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
	for (i = 0; i < run->n_caps && o.err == 0; i++) {
		o.mem = run->caps[i]->mem != NULL ? run->caps[i]->mem : &local;
		if (i > 0)
			put_raw(&o, "\n", 1);
		capture_text(&o, run->caps[i]);
	}
	if (o.err == 0 && (fflush(fp) != 0 || ferror(fp)))
		o.err = DT_EIO;
	return o.err;
}
