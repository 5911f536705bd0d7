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

#include "rules/rules.h"
#include "tls/tls.h"

#define STALL_NS 5000000000LL

static int
closed_by_server(const struct dt_conn *c)
{
	return c->fin_frame[DT_S2C] != 0 ||
	    (c->rst_frame != 0 && c->rst_dir == DT_S2C);
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = &c->tls;
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], last_s[96];
	const char *name;
	uint64_t fr[3], last = t->ch_frame, cli;
	int64_t last_time = t->ch_time, tail;
	int last_dir = DT_C2S, last_type = 1;
	size_t i;

	if (t->ch_frame == 0 || dt_rule_hs_complete(c) || t->alert_frame != 0 ||
	    closed_by_server(c) || t->non_tls_frame != 0 ||
	    t->malformed_frame != 0 || dt_rule_tls_cut(c) ||
	    dt_rule_conn_has(ctx, c, DT_SEV_WARNING))
		return;
	for (i = 0; i < c->n_events; i++)
		if (c->events[i].type == DT_EV_TLS_HANDSHAKE) {
			last = c->events[i].frame;
			last_time = c->events[i].time;
			last_dir = c->events[i].dir;
			last_type = c->events[i].a;
		}
	name = dt_tls_handshake_name((uint8_t)last_type);
	snprintf(last_s, sizeof last_s, "the %s's %s (frame %llu)",
	    last_dir == DT_C2S ? "client" : "server",
	    name != NULL ? name : "handshake message",
	    (unsigned long long)last);
	cli = c->fin_frame[DT_C2S];
	if (c->rst_frame != 0 && c->rst_dir == DT_C2S &&
	    (cli == 0 || c->rst_frame < cli))
		cli = c->rst_frame;
	fr[0] = t->ch_frame;
	fr[1] = last;
	fr[2] = cli;
	if (cli != 0) {
		snprintf(sum, sizeof sum, "The handshake stalled after %s: the "
		    "server sent nothing more and the client closed the "
		    "connection (frame %llu) %.1f s later", last_s,
		    (unsigned long long)cli,
		    (double)(c->last_time - last_time) / 1e9);
		snprintf(rem, sizeof rem, "Look for what drops the server's "
		    "packets after %s: a firewall or IPS on the path, or a "
		    "path-MTU problem that loses the large Certificate "
		    "message (check MSS clamping); check the server / ADC logs "
		    "for %s.", last_s, c->server_str);
		dt_verdict_add(ctx, &dt_rule_handshake_incomplete, c,
		    DT_CONF_MEDIUM, 0x274c, "WSAETIMEDOUT", fr, 3, sum,
		    "The TLS handshake began but the server side stopped "
		    "answering without an alert or a close; the client timed "
		    "out and closed the connection, which it reports as "
		    "0x274c WSAETIMEDOUT.", rem);
		return;
	}
	tail = ctx->cap->last_time - c->last_time;
	snprintf(sum, sizeof sum, "The handshake stopped after %s with no "
	    "failure signal; the connection was still open when the capture "
	    "ended %.1f s later", last_s, (double)(tail > 0 ? tail : 0) / 1e9);
	snprintf(rem, sizeof rem, "Capture for longer: start the capture "
	    "before the client connects (netsh trace start capture=yes, or "
	    "pktmon start --capture --pkt-size 0) and stop it only after "
	    "Get-NetIPHttpsState reports the outcome; if the capture did run "
	    "on, look for what drops the server's packets after %s.", last_s);
	dt_verdict_add(ctx, &dt_rule_handshake_incomplete, c,
	    tail >= STALL_NS ? DT_CONF_MEDIUM : DT_CONF_LOW, 0, NULL, fr, 2,
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
