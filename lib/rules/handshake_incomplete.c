/*
 * handshake-incomplete: the TLS handshake started (ClientHello seen) but
 * neither completed nor failed visibly: no alert, no FIN or RST from the
 * server, no non-TLS reply. Either the capture ended mid-handshake, or the
 * server side went silent and the client gave up by closing (research note
 * §1.2, 0x274c row [lab s10]: ClientHello, silence, client FIN after 8 s -
 * the client then logs WSAETIMEDOUT 0x274c). Connections another rule
 * already explained, or whose bytes snaplen cut (capture-truncated), are
 * left alone.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"
#include "tls/tls.h"

#define STALL_NS 5000000000LL

static int
closed_by_server(const struct dt_conn *c)
{
	return c->fin_frame[DT_S2C] != 0 ||
	    (c->rst_frame != 0 && c->rst_dir == DT_S2C);
}

/* The time of the event of this type and frame (0: none). */
static int64_t
event_time(const struct dt_conn *c, uint8_t type, uint64_t frame)
{
	size_t i;

	for (i = 0; i < c->n_events; i++)
		if (c->events[i].type == type &&
		    dt_ev_frame(c, &c->events[i]) == frame)
			return dt_ev_time(c, &c->events[i]);
	return 0;
}

/* A message of the handshake: its event, frame and time. */
struct msg {
	const struct dt_event *ev;
	uint64_t frame;
	int64_t time;
};

/* "client_hello (frame 4)", "heartbeat record (frame 9)", "second
   ClientHello on the same connection (frame 11)". */
static void
describe(const struct msg *m, char *buf, size_t n)
{
	const struct dt_event *ev = m->ev;
	const char *name;

	if (ev->type == DT_EV_TLS_RECORD)
		snprintf(buf, n, "%s record (frame %llu)", ev->a == 24 ?
		    "heartbeat" : "unknown", (unsigned long long)m->frame);
	else if (ev->a == DT_HS_CLIENT_HELLO && (ev->b & DT_HS_F_REPEAT))
		snprintf(buf, n, "second ClientHello on the same connection "
		    "(frame %llu)", (unsigned long long)m->frame);
	else {
		name = dt_tls_handshake_name((uint8_t)ev->a);
		snprintf(buf, n, "%s (frame %llu)",
		    name != NULL ? name : "handshake message",
		    (unsigned long long)m->frame);
	}
}

/* The client closed (or reset) the connection: a timeout only when it had
   waited for the server long enough; else it gave up itself, and the
   text says so with the measured time. */
static void
client_closed(struct dt_rule_ctx *ctx, struct dt_conn *c,
    const struct msg *last, const struct msg *srv, uint64_t cli,
    uint64_t *fr)
{
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], last_s[128], srv_s[128];
	int rst = cli == c->rst_frame && c->rst_dir == DT_C2S;
	int64_t at = event_time(c, rst ? DT_EV_RST : DT_EV_FIN, cli);
	int64_t gap = at > last->time ? at - last->time : 0;
	const struct dt_event *lev = last->ev;
	const char *how = rst ? "reset" : "closed";

	describe(last, last_s, sizeof last_s);
	if (lev->dir == DT_C2S && gap >= STALL_NS &&
	    lev->type == DT_EV_TLS_HANDSHAKE && !(lev->b & DT_HS_F_REPEAT)) {
		snprintf(sum, sizeof sum, "The handshake stalled after the "
		    "client's %s: the server sent nothing %sand the client %s "
		    "the connection (frame %llu) %.1f s later", last_s,
		    srv != NULL ? "more " : "", how, (unsigned long long)cli,
		    (double)gap / 1e9);
		snprintf(rem, sizeof rem, "Look for what drops the server's "
		    "packets after the client's %s: a firewall or IPS on the "
		    "path, or a path-MTU problem that loses the large "
		    "Certificate message (check MSS clamping); check the "
		    "server / ADC logs for %s.", last_s, c->server_str);
		dt_verdict_add(ctx, &dt_rule_handshake_incomplete, c,
		    DT_CONF_MEDIUM, 0x274c, "WSAETIMEDOUT", fr, 4, sum,
		    "The TLS handshake began but the server stopped answering, "
		    "without an alert or a close; the client timed out and "
		    "closed the connection, which it reports as 0x274c "
		    "WSAETIMEDOUT.", rem);
		return;
	}
	if (lev->dir == DT_S2C)
		snprintf(sum, sizeof sum, "The handshake stopped after the "
		    "server's %s: it was the client's turn, and the client %s "
		    "the connection (frame %llu) %.1f s later without an alert",
		    last_s, how, (unsigned long long)cli, (double)gap / 1e9);
	else if (srv != NULL) {
		describe(srv, srv_s, sizeof srv_s);
		snprintf(sum, sizeof sum, "The server answered up to its %s; "
		    "the client then sent its %s and %s the connection (frame "
		    "%llu) %.1f s later without an alert", srv_s, last_s, how,
		    (unsigned long long)cli, (double)gap / 1e9);
	} else
		snprintf(sum, sizeof sum, "The handshake stopped after the "
		    "client's %s: the client %s the connection itself (frame "
		    "%llu) %.1f s later, too soon for a timeout, without an "
		    "alert", last_s, how, (unsigned long long)cli,
		    (double)gap / 1e9);
	snprintf(rem, sizeof rem, "Look on the client for why it gave up: "
	    "the CAPI2 and Schannel event logs, Get-NetIPHttpsState, and any "
	    "software that filters TLS there; if the capture is not from the "
	    "Windows client, find which program opened this connection.");
	dt_verdict_add(ctx, &dt_rule_handshake_incomplete, c, DT_CONF_LOW, 0,
	    NULL, fr, 4, sum,
	    "The client ended the handshake itself without an alert, so the "
	    "capture does not say why: a certificate it does not accept, a "
	    "revocation check it could not make, a local policy, or a program "
	    "that is not an ordinary TLS client (a scanner) are all possible.",
	    rem);
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], last_s[128];
	struct dt_event first;
	struct msg last = { &first, t->ch_frame, t->ch_time }, srv = { NULL };
	uint64_t fr[4] = { 0, 0, 0, 0 }, cli;
	int64_t tail;
	size_t i;

	if (t->ch_frame == 0 || dt_rule_hs_complete(c) || t->alert_frame != 0 ||
	    closed_by_server(c) || tr->non_tls_frame != 0 ||
	    tr->malformed_frame != 0 || dt_rule_tls_cut(c) ||
	    dt_rule_conn_has(ctx, c, DT_SEV_WARNING))
		return;
	memset(&first, 0, sizeof first);
	first.type = DT_EV_TLS_HANDSHAKE;
	first.dir = DT_C2S;
	first.a = DT_HS_CLIENT_HELLO;
	cli = c->fin_frame[DT_C2S];
	if (c->rst_frame != 0 && c->rst_dir == DT_C2S &&
	    (cli == 0 || c->rst_frame < cli))
		cli = c->rst_frame;
	/* the last handshake message or other record (a heartbeat) of
	   either side, and the server's last one, before the client closed:
	   a ServerHello that came after the client's FIN is no turn the
	   client failed to take (mercury's quic_reordered_frames.pcap:
	   "stopped after the server's server_hello (frame 152) ... the
	   client closed the connection (frame 105) 0.0 s later") */
	for (i = 0; i < c->n_events; i++) {
		const struct dt_event *ev = &c->events[i];

		if (ev->type != DT_EV_TLS_HANDSHAKE &&
		    ev->type != DT_EV_TLS_RECORD)
			continue;
		if (cli != 0 && dt_ev_frame(c, ev) > cli)
			continue;
		last.ev = ev;
		last.frame = dt_ev_frame(c, ev);
		last.time = dt_ev_time(c, ev);
		if (ev->dir == DT_S2C)
			srv = last;
	}
	fr[0] = t->ch_frame;
	fr[1] = srv.frame;
	fr[2] = last.frame;
	fr[3] = cli;
	if (cli != 0) {
		client_closed(ctx, c, &last, srv.ev != NULL ? &srv : NULL, cli,
		    fr);
		return;
	}
	describe(&last, last_s, sizeof last_s);
	tail = ctx->cap->last_time - c->last_time;
	snprintf(sum, sizeof sum, "The handshake stopped after the %s's %s "
	    "with no failure signal; the connection was still open when the "
	    "capture ended %.1f s later", last.ev->dir == DT_C2S ? "client" :
	    "server", last_s, (double)(tail > 0 ? tail : 0) / 1e9);
	snprintf(rem, sizeof rem, "Capture for longer: start the capture "
	    "before the client connects (netsh trace start capture=yes, or "
	    "pktmon start --capture --pkt-size 0) and stop it only after "
	    "Get-NetIPHttpsState reports the outcome; if the capture did run "
	    "on, look for what drops the packets after the %s's %s.",
	    last.ev->dir == DT_C2S ? "client" : "server", last_s);
	dt_verdict_add(ctx, &dt_rule_handshake_incomplete, c,
	    tail >= STALL_NS ? DT_CONF_MEDIUM : DT_CONF_LOW, 0, NULL, fr, 4,
	    sum,
	    "The TLS handshake neither completed nor failed within the "
	    "capture: either the capture stopped too early to see the "
	    "outcome, or the connection stalled with both sides waiting.",
	    rem);
}

const struct dt_rule dt_rule_handshake_incomplete = {
	.id = "handshake-incomplete",
	.severity = DT_SEV_WARNING,
	.summary = "the handshake stopped midway with no failure signal",
	.check_conn = check,
};
