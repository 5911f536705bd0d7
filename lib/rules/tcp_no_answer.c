/*
 * tcp-no-answer: SYNs to the IP-HTTPS port were never answered while the
 * capture went on (RFC 6298 retransmissions: 1 s, 2 s, 4 s ...). Research
 * note §1.2 (0x274c row): "the more common 0x274c IP-HTTPS connection time
 * out error" (R. Hicks, tag ipv6-transition-technologies): a firewall or
 * NAT drops the SYN. When the capture ended less than ~3 s after the last
 * SYN, the answer may simply not have been captured: low confidence.
 */
#include <stdio.h>

#include "rules/rules.h"

#define WAITED_NS 3000000000LL
#define MAX_SYNS 8

/* A later connection on the same path was answered: the attempt timed
   out, the path did not stay closed. */
static void
recovered(struct dt_rule_ctx *ctx, const struct dt_conn *c,
    const struct dt_conn *later, uint64_t *fr, size_t n, size_t syns,
    const char *list, int64_t first, int64_t last)
{
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT];
	int64_t after = later->first_time - last;
	struct dt_verdict *v;

	snprintf(sum, sizeof sum, "%zu SYN%s to %s (frame%s %s%s) over %.1f s, "
	    "none answered; %.1f s after the last, connection %u from the "
	    "same client was answered (SYN-ACK frame %llu): the path "
	    "recovered", syns, syns > 1 ? "s" : "", c->server_str,
	    n > 1 ? "s" : "", list, syns > n ? ", ..." : "",
	    (double)(last - first) / 1e9, (double)(after > 0 ? after : 0) / 1e9,
	    later->id, (unsigned long long)later->synack_frame);
	snprintf(rem, sizeof rem, "Nothing to fix for this attempt: connection "
	    "%u got through. If attempts keep timing out before one gets "
	    "through, find what drops SYNs to %s for a while (a firewall or "
	    "NAT state table, a failover, a server whose listen queue is "
	    "full).", later->id, c->server_str);
	fr[n++] = later->synack_frame;
	v = dt_verdict_add(ctx, &dt_rule_tcp_no_answer, c, DT_CONF_HIGH,
	    0x274c, "WSAETIMEDOUT", fr, n, sum,
	    "The client's SYNs on this connection got neither a SYN-ACK nor a "
	    "reset, but a later connection from the same client to the same "
	    "server was answered, so the path was closed only for a while: "
	    "something on the way dropped these SYNs (a firewall or NAT, "
	    "a failover), or the server was too busy to answer. Windows logs "
	    "0x274c WSAETIMEDOUT for the attempt that timed out and tries "
	    "again.", rem);
	if (v != NULL)
		v->severity = DT_SEV_WARNING;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], list[256];
	const struct dt_conn *later;
	uint64_t fr[MAX_SYNS + 1];
	int64_t last = c->first_time, first = c->first_time, waited;
	size_t i, n = 0, k = 0, syns = 0;

	if (c->state != DT_TCP_NO_ANSWER || c->syn_frame == 0)
		return;
	for (i = 0; i < c->n_events; i++) {
		if (c->events[i].type != DT_EV_SYN || c->events[i].dir != DT_C2S)
			continue;
		syns++;
		last = dt_ev_time(c, &c->events[i]);
		if (n < MAX_SYNS) {
			fr[n++] = dt_ev_frame(c, &c->events[i]);
			k += (size_t)snprintf(list + k, sizeof list - k, "%s%llu",
			    n > 1 ? ", " : "",
			    (unsigned long long)dt_ev_frame(c, &c->events[i]));
		}
	}
	if (n == 0) {
		fr[n++] = c->syn_frame;
		snprintf(list, sizeof list, "%llu",
		    (unsigned long long)c->syn_frame);
		syns = c->syn_count ? c->syn_count : 1;
		last = c->last_time;
	}
	if (c->syn_count > syns)
		syns = c->syn_count;
	waited = ctx->cap->last_time - last;
	later = dt_rule_index_answered_after(&ctx->idx, c);
	if (later != NULL) {
		recovered(ctx, c, later, fr, n, syns, list, first, last);
		return;
	}
	snprintf(sum, sizeof sum, "%zu SYN%s to %s (frame%s %s%s) over %.1f s, "
	    "none answered; the capture went on %.1f s after the last",
	    syns, syns > 1 ? "s" : "", c->server_str, n > 1 ? "s" : "", list,
	    syns > n ? ", ..." : "", (double)(last - first) / 1e9,
	    (double)(waited > 0 ? waited : 0) / 1e9);
	snprintf(rem, sizeof rem, "Allow TCP %u to %s through every firewall "
	    "and NAT on the way (client network, edge firewall, the "
	    "DirectAccess server's own firewall); check the public address "
	    "maps to the DirectAccess server or ADC. From the client, "
	    "Test-NetConnection <IP-HTTPS host> -Port %u shows the same.",
	    c->server_port, c->server_str, c->server_port);
	dt_verdict_add(ctx, &dt_rule_tcp_no_answer, c,
	    waited >= WAITED_NS ? DT_CONF_HIGH : DT_CONF_LOW, 0x274c,
	    "WSAETIMEDOUT", n > 0 ? fr : NULL, n, sum,
	    "The client's SYNs to the IP-HTTPS server got neither a SYN-ACK "
	    "nor a reset: a firewall or NAT on the way drops them, the "
	    "address is not the server's, or the server is down or too busy "
	    "to answer. The client logs 0x274c WSAETIMEDOUT.", rem);
}

const struct dt_rule dt_rule_tcp_no_answer = {
	.id = "tcp-no-answer",
	.severity = DT_SEV_ERROR,
	.summary = "SYNs to the server were never answered",
	.check_conn = check,
};
