/*
 * packet-dropped: Windows Packet Monitor logged packets of the IP-HTTPS
 * connection as dropped on the client itself (issue 9: pktmon drops are
 * facts rules can use). pktmon reports each drop with the component that
 * dropped the packet, a DropReason and a DropLocation
 * (PKTMON_EVT_STREAM_METADATA, https://learn.microsoft.com/en-us/
 * windows-hardware/drivers/ddi/pktmonnpik/ns-pktmonnpik-pktmon_evt_stream_
 * metadata; "pktmon start --capture --type drop", https://learn.microsoft
 * .com/en-us/windows-server/networking/technologies/pktmon/pktmon-syntax).
 * When the handshake did not complete and the first drop came before any
 * failure signal from the server (alert, FIN, RST, non-TLS reply), the
 * drop explains the failure: error; when it left the client's SYN or
 * ClientHello unanswered (the client never got past the ServerHello) the
 * client timed out, 0x274c WSAETIMEDOUT (research note §1.2). Otherwise
 * (handshake complete, or the server had already refused) a warning: the
 * drops did not decide the outcome but are worth knowing.
 */
#include <stdio.h>

#include "net/net.h"
#include "rules/rules.h"

#define MAX_DROPS 8
#define FIRST_DATA 0x100	/* DT_EV_DROPPED a: first stream byte */

/* The server had already said no (alert, close, non-TLS) before `frame`. */
static int
server_refused_before(const struct dt_conn *c, uint64_t frame)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);

	if (t->alert_frame != 0 && t->alert_dir == DT_S2C &&
	    t->alert_frame < frame)
		return 1;
	if (c->fin_frame[DT_S2C] != 0 && c->fin_frame[DT_S2C] < frame)
		return 1;
	if (c->rst_frame != 0 && c->rst_dir == DT_S2C && c->rst_frame < frame)
		return 1;
	return tr->non_tls_frame != 0 && tr->non_tls_dir == DT_S2C &&
	    tr->non_tls_frame < frame;
}

/* "the server's SYN-ACK", "the client's ClientHello", ... */
static void
describe(const struct dt_conn *c, const struct dt_event *ev, char *buf,
    size_t n)
{
	const char *who = dt_conn_drop(c)->dir == DT_C2S ? "client" :
	    "server";
	unsigned fl, first;

	if (ev == NULL) {
		snprintf(buf, n, "a %s packet", who);
		return;
	}
	fl = ev->a & 0xff;
	first = (ev->a & FIRST_DATA) != 0;
	if (fl & DT_TCP_RST)
		snprintf(buf, n, "the %s's RST", who);
	else if ((fl & DT_TCP_SYN) && (fl & DT_TCP_ACK))
		snprintf(buf, n, "the %s's SYN-ACK", who);
	else if (fl & DT_TCP_SYN)
		snprintf(buf, n, "the %s's SYN", who);
	else if (ev->b > 0 && first && ev->dir == DT_C2S &&
	    c->tls->ch_frame != 0)
		snprintf(buf, n, "the client's ClientHello");
	else if (ev->b > 0 && first && ev->dir == DT_S2C &&
	    c->tls->sh_frame != 0)
		snprintf(buf, n, "the server's ServerHello");
	else if (ev->b > 0 && first && ev->dir == DT_S2C &&
	    c->tls->ch_frame != 0)
		snprintf(buf, n, "the server's reply to the ClientHello");
	else if (ev->b > 0)
		snprintf(buf, n, "a %s data packet", who);
	else if (fl & DT_TCP_FIN)
		snprintf(buf, n, "the %s's FIN", who);
	else
		snprintf(buf, n, "a %s ACK", who);
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_drop *dx = dt_conn_drop(c);
	const struct dt_event *first = NULL;
	struct dt_verdict *v;
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], what[128], list[160];
	char loc[96], size[32];
	uint64_t fr[MAX_DROPS];
	size_t i, n = 0, k = 0;
	int explains, unanswered, hs_packet;

	if (dx->frame == 0)
		return;
	list[0] = '\0';
	for (i = 0; i < c->n_events; i++) {
		const struct dt_event *ev = &c->events[i];

		if (ev->type != DT_EV_DROPPED)
			continue;
		if (dt_ev_frame(c, ev) == dx->frame && first == NULL)
			first = ev;
		if (n < MAX_DROPS) {
			fr[n++] = dt_ev_frame(c, ev);
			if (k < sizeof list)
				k += (size_t)snprintf(list + k, sizeof list - k,
				    "%s%llu", n > 1 ? ", " : "",
				    (unsigned long long)dt_ev_frame(c, ev));
		}
	}
	if (n == 0) {
		fr[n++] = dx->frame;
		snprintf(list, sizeof list, "%llu",
		    (unsigned long long)dx->frame);
	}
	describe(c, first, what, sizeof what);
	explains = !dt_rule_hs_complete(c) &&
	    !server_refused_before(c, dx->frame);
	unanswered = explains && t->ccs_frame[DT_C2S] == 0 &&
	    dt_tls_rare(t)->client_cert_frame == 0;
	hs_packet = first != NULL && ((first->a & (DT_TCP_SYN | DT_TCP_RST)) ||
	    (first->a & FIRST_DATA));
	size[0] = loc[0] = '\0';
	if (first != NULL && first->b > 0)
		snprintf(size, sizeof size, ", %u bytes", (unsigned)first->b);
	if (dx->location[0] != '\0')
		snprintf(loc, sizeof loc, " (drop location %s)", dx->location);
	snprintf(sum, sizeof sum, "pktmon saw %s (frame %llu%s) dropped on "
	    "the client at component '%s', reason '%s'%s%s; %u drop%s on this "
	    "connection (frame%s %s%s)", what,
	    (unsigned long long)dx->frame, size, dx->component,
	    dx->reason[0] != '\0' ? dx->reason : "not given", loc,
	    explains ? ", and the handshake never completed" : "",
	    dx->n, dx->n == 1 ? "" : "s", n > 1 ? "s" : "", list,
	    dx->n > n ? ", ..." : "");
	snprintf(rem, sizeof rem, "Find what on the client drops the "
	    "connection to %s: list the Windows Filtering Platform state "
	    "and filters (netsh wfp show state; netsh wfp show filters) and "
	    "look for a "
	    "block filter or callout matching the connection; check "
	    "third-party firewall, antivirus, VPN and web-filter drivers "
	    "(fltmc filters, netsh wfp show state names their callouts) and "
	    "the Windows Defender Firewall rules; look up the pktmon drop "
	    "reason '%s' of component '%s' (pktmon list shows the "
	    "components; pktmon etl2txt --verbose 2 prints every drop with "
	    "its location).", c->server_str,
	    dx->reason[0] != '\0' ? dx->reason : "not given", dx->component);
	if (explains) {
		dt_verdict_add(ctx, &dt_rule_packet_dropped, c,
		    hs_packet ? DT_CONF_HIGH : DT_CONF_MEDIUM,
		    unanswered ? 0x274c : 0, "WSAETIMEDOUT", fr, n, sum,
		    "Packet Monitor logged packets of the IP-HTTPS connection "
		    "as dropped inside the client's own network stack before "
		    "the handshake completed, and the server had not refused "
		    "it: a component on the client (a WFP filter, a firewall "
		    "or security driver, the TCP/IP stack) threw them away, so "
		    "the handshake could not go on. The cause is on the "
		    "client, not on the path or the server; when the client's "
		    "SYN or ClientHello is left unanswered this way the client "
		    "logs 0x274c WSAETIMEDOUT.", rem);
		return;
	}
	v = dt_verdict_add(ctx, &dt_rule_packet_dropped, c, DT_CONF_HIGH, 0,
	    NULL, fr, n, sum,
	    "Packet Monitor logged packets of this connection as dropped "
	    "inside the client's own network stack. The handshake's outcome "
	    "was decided otherwise (it completed, or the server had already "
	    "refused), but a component on the client that drops IP-HTTPS "
	    "packets can stall the tunnel later.", rem);
	if (v != NULL)
		v->severity = DT_SEV_WARNING;
}

const struct dt_rule dt_rule_packet_dropped = {
	.id = "packet-dropped",
	.severity = DT_SEV_ERROR,
	.summary = "pktmon saw the connection's packets dropped on the client",
	.check_conn = check,
};
