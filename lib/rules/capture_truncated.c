/*
 * capture-truncated: the capture lacks TLS bytes the analysis needed -
 * snaplen cut the packets (the TLS parser marks tls.truncated; flow marks
 * conn->truncated), or stream bytes were never captured (gaps) - before the
 * handshake's outcome was seen. Verdicts that judge by the absence of a
 * message (null-cipher-absent / no-common-cipher without an alert,
 * handshake-incomplete) stay silent on such a connection; this verdict says
 * what is missing and how to re-capture whole packets: pktmon's default
 * packet size is 128 bytes (learn.microsoft.com pktmon-start:
 * "--pkt-size ... Default is 128 bytes. 0 for full packet"), tcpdump's -s,
 * netsh trace's packettruncatebytes.
 */
#include <stdio.h>

#include "rules/rules.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = &c->tls;
	char sum[DT_RULE_TEXT], from[48];
	const char *missing;
	uint64_t fr[1] = { 0 };
	int snap;
	size_t i;

	if (!dt_rule_tls_cut(c))
		return;
	snap = t->truncated || c->truncated;
	if (t->truncated)
		fr[0] = t->truncated_frame;
	for (i = 0; i < c->n_events && fr[0] == 0; i++)
		if (c->events[i].type == DT_EV_GAP)
			fr[0] = c->events[i].frame;
	if (t->ch_frame == 0)
		missing = "the ClientHello";
	else if (t->sh_frame == 0)
		missing = "the server's answer to the ClientHello";
	else if (t->server_cert_frame == 0 && !t->certs_not_visible &&
	    !t->resumed)
		missing = "the server's Certificate message, so no certificate "
		    "check was possible";
	else
		missing = "the rest of the handshake, so its outcome is unknown";
	if (fr[0] != 0)
		snprintf(from, sizeof from, " from frame %llu on",
		    (unsigned long long)fr[0]);
	else
		from[0] = '\0';
	snprintf(sum, sizeof sum, "%s %s%s (%llu packets of the capture "
	    "truncated): %s is missing",
	    snap ? "The snapshot length cut the TLS bytes of" :
	    "Stream bytes were never captured on", c->server_str, from,
	    (unsigned long long)ctx->cap->truncated_packets, missing);
	dt_verdict_add(ctx, &dt_rule_capture_truncated, c, DT_CONF_HIGH, 0,
	    NULL, fr, fr[0] != 0 ? 1 : 0, sum,
	    "The capture does not hold the whole TLS handshake of this "
	    "connection, so the checks that need the missing bytes were "
	    "skipped rather than guessed.",
	    "Capture whole packets: pktmon start --capture --pkt-size 0 "
	    "(pktmon keeps only 128 bytes by default), netsh trace start "
	    "capture=yes without packettruncatebytes, tcpdump -s 0, or "
	    "Wireshark/dumpcap without a snapshot length limit; capture on the "
	    "client from before it connects.");
}

const struct dt_rule dt_rule_capture_truncated = {
	.id = "capture-truncated",
	.severity = DT_SEV_WARNING,
	.summary = "snaplen cut TLS bytes the analysis needed",
	.check_conn = check,
};
