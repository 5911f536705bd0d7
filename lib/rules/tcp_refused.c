/*
 * tcp-refused: the SYN to the IP-HTTPS port was answered by a RST
 * (RFC 9293 3.10.7.3: no listener). Research note §1.2 (0x274d row,
 * KB3056560) [lab s08]: SYN -> RST,ACK; the client logs WSAECONNREFUSED
 * (0x274d). Typical causes: the IP-HTTPS listener is down, a NAT/port
 * forward points at the wrong host, or the ADC virtual server is disabled
 * or has no healthy pool member. When a later connection from the same
 * client address to the same server got a SYN-ACK, the refusal did not
 * last: a warning that says so.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT];
	const struct dt_conn *later;
	struct dt_verdict *v;
	uint64_t fr[3];
	size_t n;

	if (c->state != DT_TCP_REFUSED)
		return;
	fr[0] = c->syn_frame;
	fr[1] = c->rst_frame;
	snprintf(sum, sizeof sum, "%s refused the connection: the SYN (frame "
	    "%llu) was answered by a RST (frame %llu)%s", c->server_str,
	    (unsigned long long)c->syn_frame, (unsigned long long)c->rst_frame,
	    c->syn_count > 1 ? " after retransmissions" : "");
	snprintf(rem, sizeof rem, "Make something listen on %s: on the "
	    "DirectAccess server check the Remote Access service and "
	    "Get-NetIPHttpsState; check the NAT / port-forward rule that maps "
	    "TCP %u to it; on an ADC, enable the virtual server and check its "
	    "pool members are up.", c->server_str, c->server_port);
	later = dt_rule_index_answered_after(&ctx->idx, c);
	if (later != NULL) {
		/* the listener was there a moment later: not the failure */
		n = strlen(sum);
		snprintf(sum + n, sizeof sum - n, "; connection %u from the same "
		    "client was accepted later (SYN-ACK frame %llu): the refusal "
		    "did not last", later->id,
		    (unsigned long long)later->synack_frame);
		snprintf(rem, sizeof rem, "Nothing to fix for this attempt: "
		    "connection %u got through. If refusals recur, find what "
		    "takes the IP-HTTPS listener on %s away for a while (a "
		    "service restart, an ADC pool member going down, a NAT rule "
		    "that flaps).", later->id, c->server_str);
		fr[2] = later->synack_frame;
		v = dt_verdict_add(ctx, &dt_rule_tcp_refused, c, DT_CONF_HIGH,
		    0x274d, "WSAECONNREFUSED", fr, 3, sum,
		    "This attempt was answered with a reset, but the same server "
		    "accepted a later connection from the same client, so "
		    "something listened there again soon after. The client "
		    "logs 0x274d WSAECONNREFUSED for the refused attempt and "
		    "retries.", rem);
		if (v != NULL)
			v->severity = DT_SEV_WARNING;
		return;
	}
	dt_verdict_add(ctx, &dt_rule_tcp_refused, c, DT_CONF_HIGH, 0x274d,
	    "WSAECONNREFUSED", fr, 2, sum,
	    "Nothing accepted TCP connections on the IP-HTTPS address and "
	    "port: the host (or a firewall in front of it) answered the SYN "
	    "with a reset. The client logs 0x274d WSAECONNREFUSED and retries.",
	    rem);
}

const struct dt_rule dt_rule_tcp_refused = {
	.id = "tcp-refused",
	.severity = DT_SEV_ERROR,
	.summary = "the SYN was answered by RST",
	.check_conn = check,
};
