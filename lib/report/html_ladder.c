/*
 * The HTML report's message ladder: one SVG arrow per timeline event (TCP
 * of RFC 9293, the TLS handshake of RFC 5246 7.4 and RFC 8446 4, alerts of
 * RFC 5246 7.2, HTTP inside NULL-cipher sessions), its label and details as
 * report/ladder.c decides them, and the failing step marked with the
 * verdict's badge.
 */
#include "report/html_int.h"

#include <inttypes.h>
#include <string.h>

#include "report/ladder.h"
#include "tls/tls.h"
#include "util/buf.h"

#define MAX_CA_NAMES 6		/* CertificateRequest CA names in a detail */
#define DETAIL_CPS 70		/* code points of an arrow's detail line */

/* Ladder geometry (SVG user units). */
#define L_WIDTH 800
#define L_CLIENT 150
#define L_SERVER 570
#define L_HEAD 64
#define L_ROW 46
#define W_LEFT 96		/* a Windows event's box, from here to the edge */

/* ---- the ladder ------------------------------------------------------------- */

static void
ch_detail(struct out *o, const struct dt_step *st)
{
	const struct dt_tls_facts *t = st->tls;
	size_t i;

	if (t->sni != NULL) {
		html_puts(o, "SNI ");
		html_esc(o, t->sni);
	} else {
		html_puts(o, "no SNI");
	}
	if (!st->null_offered) {
		html_printf(o, " \xc2\xb7 %zu suites, no NULL suite", st->n_suites);
		return;
	}
	html_puts(o, " \xc2\xb7 NULL offered: ");
	for (i = 0; i < st->n_null && i < 4; i++)
		html_printf(o, "%s0x%04X", i ? ", " : "", dt_ladder_null_suite(t, i));
	if (i < st->n_null)
		html_puts(o, ", \xe2\x80\xa6");
	if (st->only_null)
		html_puts(o, " (only NULL)");
	else
		html_printf(o, " (of %zu suites)", st->n_suites);
}

static void
cert_line(struct out *o, const struct dt_cert *x, size_t max)
{
	if (x->parse_error != NULL) {
		html_puts(o, "unparsable: ");
		html_text(o, x->parse_error, max);
		return;
	}
	/* subject and issuer share the room */
	html_text(o, x->subject != NULL ? x->subject : "(no subject)",
	    max > 0 ? max / 2 : 0);
	if (x->self_signed) {
		html_puts(o, ", self-signed");
		return;
	}
	html_puts(o, " \xe2\x86\x90 issued by ");	/* U+2190 */
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
		html_esc(o, st->label);
		return;
	case DT_STEP_CLIENT_HELLO:
	case DT_STEP_SERVER_HELLO:
	case DT_STEP_SERVER_CERT:
	case DT_STEP_CLIENT_CERT:
	case DT_STEP_CERT_REQUEST:
	case DT_STEP_HANDSHAKE:
		if (st->label != NULL)
			html_esc(o, st->label);
		else
			html_printf(o, "Handshake message type %d", st->hs);
		if (st->kind == DT_STEP_CLIENT_HELLO ||
		    st->kind == DT_STEP_SERVER_HELLO) {
			html_puts(o, " ");
			html_version(o, st->version);
		} else if (st->kind == DT_STEP_SERVER_CERT && st->n_certs > 1) {
			html_printf(o, " (%zu certificates)", st->n_certs);
		} else if (st->kind == DT_STEP_CLIENT_CERT && st->cert_empty) {
			html_puts(o, " (empty)");
		}
		if (st->encrypted)
			html_puts(o, " (encrypted)");
		return;
	case DT_STEP_ALERT:
		if (st->encrypted) {
			html_puts(o, "Alert (encrypted)");
			return;
		}
		html_puts(o, "Alert ");
		if ((level = dt_tls_alert_level_name(st->alert_level)) != NULL)
			html_puts(o, level);
		else
			html_printf(o, "level %u", st->alert_level);
		html_puts(o, " ");
		html_esc(o, dt_tls_alert_str(st->alert_desc, buf, sizeof buf));
		return;
	case DT_STEP_HTTP_RESPONSE:
		html_printf(o, "HTTP response %" PRIu32, st->ev->b);
		return;
	default:
		html_esc(o, st->label);
		return;
	}
}

static void
ev_detail(struct out *o, const struct dt_step *st, size_t max,
    size_t run_len, uint64_t run_end)
{
	const struct dt_event *ev = st->ev;
	const struct dt_tls_facts *t = st->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	const struct dt_tls_http *th = dt_tls_http(t);
	size_t i;

	switch (st->kind) {
	case DT_STEP_CLIENT_HELLO:
		ch_detail(o, st);
		return;
	case DT_STEP_SERVER_HELLO:
		html_suite(o, st->suite);
		if (st->resumed)
			html_puts(o, ", resumed session");
		return;
	case DT_STEP_SERVER_CERT:
	case DT_STEP_CLIENT_CERT:
		if (st->cert != NULL)
			cert_line(o, st->cert, max);
		return;
	case DT_STEP_CERT_REQUEST:
		if (tr->n_ca_names == 0) {
			html_puts(o, "no CA names: any client certificate");
			return;
		}
		html_puts(o, "CAs: ");
		for (i = 0; i < tr->n_ca_names && i < MAX_CA_NAMES; i++) {
			if (i > 0)
				html_puts(o, "; ");
			html_text(o, tr->ca_names[i], max ? 30 : 0);
		}
		if (i < tr->n_ca_names)
			html_printf(o, "; %zu more", tr->n_ca_names - i);
		return;
	case DT_STEP_NON_TLS:
		if (st->wire != NULL) {
			html_puts(o, "\xe2\x80\x9c");
			html_text(o, st->wire, max);
			html_puts(o, "\xe2\x80\x9d");
		}
		return;
	case DT_STEP_MALFORMED:
	case DT_STEP_NOTE:
		if (st->wire != NULL)
			html_text(o, st->wire, max);
		return;
	case DT_STEP_HTTP_REQUEST:
		html_text(o, th->request.line, max);
		if (th->request.host != NULL) {
			html_puts(o, " \xc2\xb7 Host ");
			html_text(o, th->request.host, max ? 40 : 0);
		}
		return;
	case DT_STEP_HTTP_RESPONSE:
		html_text(o, th->response.line, max);
		if (th->response.server != NULL) {
			html_puts(o, " \xc2\xb7 Server ");
			html_text(o, th->response.server, max ? 40 : 0);
		}
		return;
	default:
		break;
	}
	switch (ev->type) {
	case DT_EV_SYN:
	case DT_EV_SYNACK:
		if (ev->a)
			html_puts(o, "retransmission");
		return;
	case DT_EV_RST:
		if (ev->a == 1)
			html_puts(o, "refusing the SYN");
		return;
	case DT_EV_RETRANS:
		if (run_len > 1)
			html_printf(o, "%zu segments, up to frame %" PRIu64, run_len,
			    run_end);
		return;
	case DT_EV_GAP:
		html_printf(o, "%" PRIu32 " bytes missing from the stream", ev->b);
		return;
	case DT_EV_TLS_ENCRYPTED:
		html_printf(o, "%" PRIu32 " bytes", ev->b);
		return;
	case DT_EV_TLS_APPDATA:
		if (ev->dir < 2 && t->appdata_bytes[ev->dir] > 0)
			html_printf(o, "%" PRIu64 " bytes in %" PRIu64 " record%s",
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
	return (unsigned)(dt_utf8_count(s, strlen(s)) * px * 62 / 100);
}

static void
put_rel(struct out *o, int64_t rel)
{
	if (rel < 0)
		rel = 0;
	if (rel < 60 * 1000000000LL)
		html_printf(o, "+%d.%03d s", (int)(rel / 1000000000),
		    (int)(rel % 1000000000 / 1000000));
	else
		html_printf(o, "+%d:%02d.%03d", (int)(rel / 60000000000LL),
		    (int)(rel / 1000000000 % 60),
		    (int)(rel % 1000000000 / 1000000));
}

/* The two parties: their boxes, addresses and the server's name, and
   their lifelines down to h. */
static void
parties(struct out *o, const struct dt_conn *c, unsigned h)
{
	char cli[DT_ENDPOINT_LEN];
	const char *name;

	html_printf(o, "<g font-size=\"13\"><rect x=\"%d\" y=\"6\" width=\"230\" "
	    "height=\"44\" rx=\"6\" fill=\"#eef3fb\" stroke=\"#1f5fbf\"/>"
	    "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-weight=\"700\" "
	    "fill=\"#1f5fbf\">Client</text><text x=\"%d\" y=\"41\" "
	    "text-anchor=\"middle\" fill=\"#1f2328\">", L_CLIENT - 115,
	    L_CLIENT, L_CLIENT);
	dt_conn_client_text(c, cli);
	html_text(o, cli, 32);
	html_printf(o, "</text><rect x=\"%d\" y=\"6\" width=\"230\" height=\"44\" "
	    "rx=\"6\" fill=\"#f1f2f4\" stroke=\"#3d4852\"/><text x=\"%d\" "
	    "y=\"24\" text-anchor=\"middle\" font-weight=\"700\" "
	    "fill=\"#3d4852\">Server", L_SERVER - 115, L_SERVER);
	if ((name = dt_facts_server_name(c)) != NULL) {
		html_puts(o, " ");
		html_text(o, name, 24);
	}
	html_printf(o, "</text><text x=\"%d\" y=\"41\" text-anchor=\"middle\" "
	    "fill=\"#1f2328\">", L_SERVER);
	html_text(o, c->server_str, 32);
	html_printf(o, "</text></g><g stroke=\"#8c959f\" stroke-width=\"2\">"
	    "<line x1=\"%d\" y1=\"50\" x2=\"%d\" y2=\"%u\"/><line x1=\"%d\" "
	    "y1=\"50\" x2=\"%d\" y2=\"%u\"/></g>", L_CLIENT, L_CLIENT, h - 8,
	    L_SERVER, L_SERVER, h - 8);

}

/* One row of the ladder at height y: the event ev (with the run of
   retransmissions it stands for), its mark, and the badge of the verdict
   whose failing step it is (or NULL). */
static void
step(struct out *o, size_t capi, const struct dt_conn *c,
    const struct dt_event *ev, const struct dt_mark *mk,
    const struct vref *badge, unsigned y, size_t run_len, uint64_t run_end)
{
	struct dt_step st;
	const char *colour, *tint;
	unsigned x1, x2, bw;
	int sev;

	dt_ladder_step(c, ev, &st);
	sev = mk->sev;
	colour = sev == DT_SEV_ERROR ? "#b3261e" : sev == DT_SEV_WARNING ?
	    "#9a5b00" : ev->dir == DT_C2S ? "#1f5fbf" : "#3d4852";
	tint = sev == DT_SEV_ERROR ? "#fdecea" : "#fff3dc";
	html_printf(o, "<g class=\"step\" data-frame=\"%" PRIu64 "\"%s>",
	    (uint64_t)dt_ev_frame(c, ev), sev >= DT_SEV_WARNING ? " data-evidence=\"1\"" :
	    "");
	html_puts(o, "<title>");
	html_printf(o, "Frame %" PRIu64 ", %s: ", (uint64_t)dt_ev_frame(c, ev),
	    ev->type == DT_EV_END_OPEN ? "capture end" :
	    ev->dir == DT_C2S ? "client to server" : "server to client");
	ev_label(o, &st);
	html_puts(o, ". ");
	ev_detail(o, &st, 0, run_len, run_end);
	html_puts(o, "</title>");
	if (sev >= DT_SEV_WARNING)
		html_printf(o, "<rect x=\"2\" y=\"%u\" width=\"%d\" height=\"%d\" "
		    "rx=\"4\" fill=\"%s\"/>", y - 22, L_WIDTH - 4,
		    L_ROW - 2, tint);
	/* time and frame in the left margin */
	html_printf(o, "<text x=\"8\" y=\"%u\" font-size=\"12\" "
	    "fill=\"#59636e\">", y - 4);
	put_rel(o, dt_ev_time(c, ev) - c->first_time);
	html_printf(o, "</text><text x=\"8\" y=\"%u\" font-size=\"12\" "
	    "font-weight=\"600\" fill=\"#1f2328\">frame %" PRIu64
	    "</text>", y + 12, (uint64_t)dt_ev_frame(c, ev));
	if (ev->type == DT_EV_END_OPEN) {
		html_printf(o, "<line x1=\"%d\" y1=\"%u\" x2=\"%d\" y2=\"%u\" "
		    "stroke=\"#8c959f\" stroke-dasharray=\"5 4\"/>"
		    "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\" "
		    "font-size=\"13\" fill=\"#59636e\">", L_CLIENT, y,
		    L_SERVER, y, (L_CLIENT + L_SERVER) / 2, y - 6);
		ev_label(o, &st);
		html_puts(o, "</text></g>");
		return;
	}
	x1 = ev->dir == DT_C2S ? L_CLIENT : L_SERVER;
	x2 = ev->dir == DT_C2S ? L_SERVER - 2 : L_CLIENT + 2;
	html_printf(o, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" "
	    "stroke=\"%s\" stroke-width=\"%s\"%s/>", x1, y,
	    ev->dir == DT_C2S ? x2 - 10 : x2 + 10, y, colour,
	    sev >= DT_SEV_WARNING ? "2.5" : "1.6",
	    ev->type == DT_EV_RETRANS || ev->type == DT_EV_GAP ?
	    " stroke-dasharray=\"6 4\"" : "");
	if (ev->dir == DT_C2S)
		html_printf(o, "<polygon points=\"%u,%u %u,%u %u,%u\" "
		    "fill=\"%s\"/>", x2, y, x2 - 12, y - 6, x2 - 12,
		    y + 6, colour);
	else
		html_printf(o, "<polygon points=\"%u,%u %u,%u %u,%u\" "
		    "fill=\"%s\"/>", x2, y, x2 + 12, y - 6, x2 + 12,
		    y + 6, colour);
	html_printf(o, "<text class=\"msg\" x=\"%d\" y=\"%u\" "
	    "text-anchor=\"middle\" font-size=\"13.5\" "
	    "font-weight=\"%s\" fill=\"%s\">",
	    (L_CLIENT + L_SERVER) / 2, y - 6,
	    sev >= DT_SEV_WARNING ? "700" : "600",
	    sev >= DT_SEV_WARNING ? colour : "#1f2328");
	ev_label(o, &st);
	html_printf(o, "</text><text class=\"detail\" x=\"%d\" y=\"%u\" "
	    "text-anchor=\"middle\" font-size=\"11.5\" fill=\"#59636e\">",
	    (L_CLIENT + L_SERVER) / 2, y + 15);
	ev_detail(o, &st, DETAIL_CPS, run_len, run_end);
	html_puts(o, "</text>");
	
	if (badge != NULL && badge->v->id != NULL) {
		bw = text_width(badge->v->id, 12) + 22;
		if (bw > L_WIDTH - L_SERVER - 16)
			bw = L_WIDTH - L_SERVER - 16;
		html_printf(o, "<a href=\"#v%zu-%zu\"><rect class=\"badge\" "
		    "x=\"%d\" y=\"%u\" width=\"%u\" height=\"22\" "
		    "rx=\"11\" fill=\"%s\"/><text x=\"%u\" y=\"%u\" "
		    "text-anchor=\"middle\" font-size=\"12\" "
		    "font-weight=\"700\" fill=\"#fff\">", capi,
		    badge->card, L_SERVER + 12, y - 11, bw, colour,
		    L_SERVER + 12 + bw / 2, y + 4);
		html_esc(o, badge->v->id);
		html_puts(o, "</text></a>");
	}
	html_puts(o, "</g>");
}

/* A Windows event of c's time at height y: a dashed box across the
   ladder with its words, its time in the margin. */
static void
win_step(struct out *o, const struct dt_conn *c, const struct dt_winevent *e,
    unsigned y)
{
	struct dt_buf s = DT_BUF_INIT(o->mem);

	dt_report_winevent_line(&s, e);
	if (s.err) {
		o->err = o->err ? o->err : DT_ENOMEM;
		return;
	}
	html_puts(o, "<g class=\"winevent\"><title>Windows event: ");
	html_esc(o, s.p);
	html_printf(o, "</title><text x=\"8\" y=\"%u\" font-size=\"12\" "
	    "fill=\"#59636e\">", y - 4);
	put_rel(o, e->time - c->first_time);
	html_printf(o, "</text><text x=\"8\" y=\"%u\" font-size=\"12\" "
	    "font-weight=\"600\" fill=\"#6639ba\">Windows</text>"
	    "<rect x=\"%d\" y=\"%u\" width=\"%d\" height=\"%d\" rx=\"6\" "
	    "fill=\"#f6f0ff\" stroke=\"#6639ba\" stroke-dasharray=\"4 3\"/>"
	    "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\" "
	    "font-size=\"12\" fill=\"#3b2370\">", y + 12, W_LEFT, y - 18,
	    L_WIDTH - W_LEFT - 10, L_ROW - 12, (L_WIDTH + W_LEFT - 10) / 2,
	    y + 4);
	html_text(o, s.p, 88);
	html_puts(o, "</text></g>");
	dt_buf_free(&s);
}

/* The evidence frames of the failing verdicts that are not in c. */
static void
outside(struct out *o, const struct dt_conn *c, const struct vref *vr,
    size_t nv)
{
	size_t i, j, k;

	html_puts(o, "<p class=\"outside\">Evidence outside this "
	    "connection: frame");
	for (j = 0, k = 0; j < nv; j++) {
		if (vr[j].v->severity < DT_SEV_WARNING)
			continue;
		for (i = 0; i < vr[j].v->n_frames; i++)
			if (dt_ladder_evidence_event(c, vr[j].v,
			    vr[j].v->frames[i]) < 0)
				html_printf(o, "%s %" PRIu64, k++ ? "," : "",
				    vr[j].v->frames[i]);
	}
	html_puts(o, " (DNS, CRL or proxy traffic).</p>");
}

void
html_ladder(struct out *o, size_t capi, const struct dt_conn *c,
    const struct vref *vr, size_t nv)
{
	struct dt_mark *mk;
	const struct dt_verdict **vs;
	const struct dt_winevent *const *w;
	size_t i, j, rows = 0, row, n_out, nw, kw = 0;
	unsigned h;

	if (c->n_events == 0)
		return;
	w = dt_report_conn_winevents(o->winevents, o->n_winevents, c, &nw);
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
	rows += nw;
	h = L_HEAD + (unsigned)rows * L_ROW + 28;

	html_printf(o, "<div class=\"ladder\"><svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %u\" width=\"%d\" height=\"%u\" role=\"img\" "
	    "aria-label=\"Message ladder of connection %" PRIu32 "\">",
	    L_WIDTH, h, L_WIDTH, h, c->id);
	parties(o, c, h);
	for (i = 0, row = 0; i < c->n_events && o->err == 0; i++, row++) {
		for (; kw < nw && w[kw]->time <= dt_ev_time(c, &c->events[i]); kw++)
			win_step(o, c, w[kw], L_HEAD + (unsigned)row++ * L_ROW +
			    24);
		j = dt_ladder_row_end(c, i, mk);
		step(o, capi, c, &c->events[i], &mk[i], mk[i].badge >= 0 ?
		    &vr[mk[i].badge] : NULL, L_HEAD + (unsigned)row * L_ROW + 24,
		    j - i + 1, dt_ev_frame(c, &c->events[j]));
		i = j;
	}
	for (; kw < nw && o->err == 0; kw++)
		win_step(o, c, w[kw], L_HEAD + (unsigned)row++ * L_ROW + 24);
	html_puts(o, "</svg></div>");
	if (dt_conn_events_dropped(c) > 0)
		html_printf(o, "<p class=\"outside\">%u more events were not kept.</p>",
		    dt_conn_events_dropped(c));
	if (n_out > 0)
		outside(o, c, vr, nv);
	dt_free(o->mem, mk);
	dt_free(o->mem, vs);
}
