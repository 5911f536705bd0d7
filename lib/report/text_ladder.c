/*
 * The message ladder of one connection in the text report: one line per
 * timeline event (time from the connection start, frame, direction,
 * message with its key details: the TLS handshake messages of RFC 5246
 * 7.4 and RFC 8446 4, alerts of RFC 5246 7.2, TCP SYN/RST/FIN of RFC
 * 9293), a run of retransmissions as one line, then the compact rows from
 * inside the IP-HTTPS tunnel. What each event stands for is decided in
 * report/ladder.c; this file only words it.
 */
#include "report/text_int.h"

#include <inttypes.h>
#include <string.h>

#include "report/digits.h"
#include "report/ladder.h"
#include "tls/tls.h"
#include "util/buf.h"

#define MAX_LISTED 8		/* suites, CA names ... listed on one line */

/* v in decimal (as "%" PRIu64 writes it): a ladder has numbers on most
   lines, and dt_buf_printf() formats twice. */
static void
buf_uint(struct dt_buf *s, uint64_t v)
{
	char d[20];

	dt_buf_putn(s, d, dt_dec_u64(d, v));
}

/* head, v in decimal, tail. */
static void
buf_num(struct dt_buf *s, const char *head, uint64_t v, const char *tail)
{
	dt_buf_puts(s, head);
	buf_uint(s, v);
	dt_buf_puts(s, tail);
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

/* dt_tls_version_str()'s text: a name as it is (it fits its buffer),
   without its snprintf(). */
static void
put_version(struct dt_buf *s, uint16_t v)
{
	const char *name = dt_tls_version_name(v);
	char buf[DT_TLS_NAME_LEN];

	if (name != NULL && strlen(name) < sizeof buf)
		dt_buf_puts(s, name);
	else
		dt_buf_puts(s, dt_tls_version_str(v, buf, sizeof buf));
}

/* dt_tls_alert_str()'s text, "name (code)", without its snprintf(). */
static void
put_alert(struct dt_buf *s, uint8_t desc)
{
	const char *name = dt_tls_alert_name(desc);
	char buf[DT_TLS_NAME_LEN];

	if (name == NULL)
		name = "unknown";
	if (strlen(name) + sizeof " (255)" <= sizeof buf) {
		dt_buf_puts(s, name);
		buf_num(s, " (", desc, ")");
	} else {
		dt_buf_puts(s, dt_tls_alert_str(desc, buf, sizeof buf));
	}
}

/* head and a suite as "0x%04X" writes it. */
static void
put_suite(struct dt_buf *s, const char *head, uint16_t v)
{
	static const char hex[] = "0123456789ABCDEF";
	char d[6] = { '0', 'x', hex[v >> 12], hex[v >> 8 & 15],
	    hex[v >> 4 & 15], hex[v & 15] };

	dt_buf_puts(s, head);
	dt_buf_putn(s, d, sizeof d);
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
		buf_num(s, ", ", st->n_suites, " suites, no NULL suite");
		return;
	}
	dt_buf_puts(s, ", NULL suites offered: ");
	for (i = 0; i < st->n_null; i++) {
		if (i == MAX_LISTED) {
			dt_buf_puts(s, ", ...");
			break;
		}
		put_suite(s, i ? ", " : "", dt_ladder_null_suite(t, i));
	}
	if (st->only_null)
		dt_buf_puts(s, " (only NULL)");
	else
		buf_num(s, " (of ", st->n_suites, " suites)");
}

static void
msg_handshake(struct dt_buf *s, const struct dt_step *st)
{
	const struct dt_tls_facts *t = st->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
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
		if (tr->n_ca_names == 0) {
			dt_buf_puts(s, "CertificateRequest (no CA names)");
			return;
		}
		dt_buf_puts(s, "CertificateRequest (CAs: ");
		for (i = 0; i < tr->n_ca_names && i < MAX_LISTED / 2; i++) {
			if (i > 0)
				dt_buf_puts(s, "; ");
			dt_buf_puts(s, tr->ca_names[i]);
		}
		if (i < tr->n_ca_names)
			dt_buf_printf(s, "; %zu more", tr->n_ca_names - i);
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

	if (st->encrypted) {
		dt_buf_puts(s, "Alert (encrypted)");
	} else {
		dt_buf_puts(s, "Alert ");
		if (level != NULL)
			dt_buf_puts(s, level);
		else
			dt_buf_printf(s, "level %u", st->alert_level);
		dt_buf_puts(s, " ");
		put_alert(s, st->alert_desc);
	}
	dt_buf_puts(s, " from ");
	dt_buf_puts(s, dt_report_dir_name(st->ev->dir));
}

static void
event_message(struct dt_buf *s, const struct dt_conn *c,
    const struct dt_event *ev)
{
	struct dt_step st;
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_http *th = dt_tls_http(t);

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
		if (th->request.line == NULL) {
			dt_buf_puts(s, st.label);
			return;
		}
		dt_buf_puts(s, "HTTP ");
		dt_buf_puts(s, th->request.line);
		if (th->request.host != NULL) {
			dt_buf_puts(s, ", Host ");
			dt_buf_puts(s, th->request.host);
		}
		return;
	case DT_STEP_HTTP_RESPONSE:
		if (th->response.line == NULL) {
			dt_buf_printf(s, "HTTP response %" PRIu32, ev->b);
			return;
		}
		/* a status line names its protocol already */
		if (strncmp(th->response.line, "HTTP", 4) != 0)
			dt_buf_puts(s, "HTTP ");
		dt_buf_puts(s, th->response.line);
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
		dt_buf_puts(s, " from ");
		dt_buf_puts(s, dt_report_dir_name(ev->dir));
		if (ev->type == DT_EV_RST && ev->a == 1)
			dt_buf_puts(s, ", refusing the SYN");
		return;
	case DT_EV_GAP:
		buf_num(s, "", ev->b, " bytes missing from the stream");
		return;
	case DT_EV_TLS_ENCRYPTED:
		buf_num(s, "Encrypted handshake (", ev->b, " bytes)");
		return;
	case DT_EV_TLS_RECORD:
		if (ev->a == 24) {
			dt_buf_puts(s, st.label);
			buf_num(s, " (", ev->b, " bytes)");
		} else
			dt_buf_printf(s, "Record of unknown content type %u "
			    "(%" PRIu32 " bytes)", (unsigned)ev->a, ev->b);
		return;
	case DT_EV_TLS_RESYNC:
		dt_buf_puts(s, st.label);
		buf_num(s, ", ", ev->b, " bytes skipped");
		return;
	default:
		dt_buf_puts(s, st.label);
		return;
	}
}

static const char *const arrows[] = { "C->S", "S->C" };

/* n spaces at p; the end. */
static char *
pad(char *p, size_t n)
{
	memset(p, ' ', n);
	return p + n;
}

/* The tail of a line's head: "%-6" PRIu64 " %-4s  " of frame and arrow
   (at most 4 bytes), NUL-terminated; 34 bytes at most, and p has room for
   36 (the spaces are laid down 16 at once past the digits). */
static void
frame_arrow(char *p, uint64_t frame, const char *arrow)
{
	size_t k = dt_dec_u64(p, frame), a = strlen(arrow), at;

	memset(p + k, ' ', 16);
	at = (k < 6 ? 6 : k) + 1;
	memcpy(p + at, arrow, a);
	at += (a < 4 ? 4 : a) + 2;
	p[at] = '\0';
}

/*
 * An event's line head, as snprintf("  %3" PRId64 ".%03d  #%-6" PRIu64
 * " %-4s  ") would write it, without the cost of the format on every
 * event: rel (>= 0) in seconds and milliseconds, the frame, the arrow (at
 * most 4 bytes). p has room for 64 bytes; NUL-terminated.
 */
static void
event_prefix(char *p, int64_t rel, uint64_t frame, const char *arrow)
{
	unsigned ms = (unsigned)(rel % 1000000000 / 1000000);
	size_t k;
	char d[20];

	p = pad(p, 2);
	k = dt_dec_u64(d, (uint64_t)(rel / 1000000000));
	if (k < 3)
		p = pad(p, 3 - k);
	memcpy(p, d, k);
	p += k;
	p[0] = '.';
	p[1] = (char)('0' + ms / 100);
	p[2] = (char)('0' + ms / 10 % 10);
	p[3] = (char)('0' + ms % 10);
	memcpy(p + 4, "  #", 3);
	frame_arrow(p + 7, frame, arrow);
}

/* The ladder goes on inside the IP-HTTPS tunnel (compact rows). */
static void
tunnel_ladder(struct out *o, const struct dt_conn *c)
{
	struct dt_tunnel_row rows[DT_TUNNEL_ROWS_MAX];
	char prefix[48];
	size_t i, n = dt_report_tunnel_rows(c, rows, DT_TUNNEL_ROWS_MAX);

	for (i = 0; i < n; i++) {
		/* "  %7s  #%-6" PRIu64 " %-4s  " of "tunnel" */
		memcpy(prefix, "   tunnel  #", 12);
		frame_arrow(prefix + 12, rows[i].frame,
		    arrows[rows[i].dir & 1]);
		text_emit(o, prefix, strlen(prefix), rows[i].text);
	}
}

/* The Windows events up to time t (all when t is INT64_MAX). */
static void
winevents_until(struct out *o, const struct dt_conn *c,
    const struct dt_winevent *const *w, size_t n, size_t *k, int64_t t,
    struct dt_buf *msg)
{
	char prefix[64];
	int64_t rel;

	for (; *k < n && w[*k]->time <= t; (*k)++) {
		rel = w[*k]->time - c->first_time;
		snprintf(prefix, sizeof prefix, "  %3" PRId64 ".%03d  %-12s  ",
		    rel / 1000000000, (int)(rel % 1000000000 / 1000000),
		    "windows");
		dt_buf_reset(msg);
		dt_report_winevent_line(msg, w[*k]);
		if (!msg->err)
			text_emit(o, prefix, strlen(prefix), msg->p);
	}
}

void
text_ladder(struct out *o, const struct dt_conn *c)
{
	struct dt_buf msg = DT_BUF_INIT(o->mem);
	char prefix[96];
	const struct dt_event *ev;
	const struct dt_winevent *const *w;
	int64_t rel;
	size_t i, j, nw, kw = 0;

	w = dt_report_conn_winevents(o->winevents, o->n_winevents, c, &nw);
	for (i = 0; i < c->n_events; i++) {
		ev = &c->events[i];
		winevents_until(o, c, w, nw, &kw, dt_ev_time(c, ev), &msg);
		rel = dt_ev_time(c, ev) - c->first_time;
		if (rel < 0)
			rel = 0;
		event_prefix(prefix, rel, (uint64_t)dt_ev_frame(c, ev),
		    ev->type == DT_EV_END_OPEN ? "" : arrows[ev->dir & 1]);
		dt_buf_reset(&msg);
		event_message(&msg, c, ev);
		/* a run of retransmissions is one line */
		j = dt_ladder_row_end(c, i, NULL);
		if (j > i) {
			buf_num(&msg, " (", j - i + 1, ", up to frame ");
			buf_num(&msg, "", (uint64_t)dt_ev_frame(c, &c->events[j]),
			    ")");
			i = j;
		}
		if (msg.err) {
			o->err = o->err ? o->err : DT_ENOMEM;
			break;
		}
		text_emit(o, prefix, strlen(prefix), msg.p);
	}
	winevents_until(o, c, w, nw, &kw, INT64_MAX, &msg);
	if (dt_conn_events_dropped(c) > 0) {
		snprintf(prefix, sizeof prefix,
		    "  ... %u more events not kept", dt_conn_events_dropped(c));
		text_emit(o, prefix, 4, "");
	}
	dt_buf_free(&msg);
	tunnel_ladder(o, c);
}
