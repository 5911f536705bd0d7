/*
 * capture-truncated: the capture lacks TLS bytes the analysis needed -
 * snaplen cut the packets (flow marks conn->truncated), or stream bytes
 * were never captured (gaps) - before the handshake's outcome was seen.
 * The TLS parser marks tls.truncated for either and cannot tell them
 * apart, so only conn->truncated says "the snapshot length" (mercury's
 * capture2.pcap, a capture that missed segments, was told "the snapshot
 * length cut ... (0 packets of the capture truncated)"). Verdicts that
 * judge by the absence of a message (null-cipher-absent /
 * no-common-cipher without an alert, handshake-incomplete) stay silent on
 * such a connection; this verdict says what is missing and how to
 * capture it next time: whole packets where snaplen cut them (pktmon's
 * default packet size is 128 bytes, learn.microsoft.com pktmon-start:
 * "--pkt-size ... Default is 128 bytes. 0 for full packet"; tcpdump's -s,
 * netsh trace's packettruncatebytes), on the client itself where the
 * capture missed packets.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"

#define MAX_FRAMES 8

static void
add(uint64_t *fr, size_t *n, uint64_t frame)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (fr[i] == frame)
			return;
	if (frame != 0 && *n < MAX_FRAMES)
		fr[(*n)++] = frame;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	char sum[DT_RULE_TEXT], head[400], list[160], where[180], missing[160];
	uint64_t fr[MAX_FRAMES];
	size_t n = 0, i, k = 0;
	int snap;

	if (!dt_rule_tls_cut(c))
		return;
	snap = c->truncated;
	add(fr, &n, tr->truncated_frame);
	for (i = 0; i < c->n_events; i++)
		if (c->events[i].type == DT_EV_GAP)
			add(fr, &n, dt_ev_frame(c, &c->events[i]));
	k = 0;
	list[0] = '\0';
	for (i = 0; i < n && k < sizeof list - 24; i++)
		k += (size_t)snprintf(list + k, sizeof list - k, "%s%llu",
		    i ? ", " : "", (unsigned long long)fr[i]);
	if (n > 0)
		snprintf(where, sizeof where, " in frame%s %s", n > 1 ? "s" : "",
		    list);
	else
		where[0] = '\0';
	if (t->ch_frame == 0)
		snprintf(missing, sizeof missing, "the ClientHello%s",
		    t->sh_frame == 0 ? " and the server's answer" :
		    t->server_cert_frame == 0 && !t->certs_not_visible &&
		    !t->resumed ? " and the server's Certificate" : "");
	else if (t->sh_frame == 0)
		snprintf(missing, sizeof missing, "the server's answer to the "
		    "ClientHello");
	else if (t->server_cert_frame == 0 && !t->certs_not_visible &&
	    !t->resumed)
		snprintf(missing, sizeof missing, "the server's Certificate "
		    "message, so no certificate check was possible");
	else
		snprintf(missing, sizeof missing, "the rest of the handshake, "
		    "so its outcome is unknown");
	if (snap)
		snprintf(head, sizeof head, "The snapshot length cut the TLS "
		    "bytes of %s%s (%llu packets of the capture truncated)",
		    c->server_str, where,
		    (unsigned long long)ctx->cap->truncated_packets);
	else
		snprintf(head, sizeof head, "Stream bytes were never captured "
		    "on %s%s (%llu bytes lost: the capture missed packets)",
		    c->server_str, where, (unsigned long long)
		    (dt_conn_gap(c, DT_C2S) + dt_conn_gap(c, DT_S2C)));
	snprintf(sum, sizeof sum, "%s: %s %s missing", head, missing,
	    strstr(missing, " and ") != NULL ? "are" : "is");
	dt_verdict_add(ctx, &dt_rule_capture_truncated, c, DT_CONF_HIGH, 0,
	    NULL, n > 0 ? fr : NULL, n, sum,
	    "The capture does not hold the whole TLS handshake of this "
	    "connection, so the checks that need the missing bytes were "
	    "skipped rather than guessed.", snap ?
	    "Capture whole packets: pktmon start --capture --pkt-size 0 "
	    "(pktmon keeps only 128 bytes by default), netsh trace start "
	    "capture=yes without packettruncatebytes, tcpdump -s 0, or "
	    "Wireshark/dumpcap without a snapshot length limit; capture on the "
	    "client from before it connects." :
	    "Capture on the client itself (netsh trace start capture=yes, or "
	    "pktmon start --capture --pkt-size 0) rather than on a mirror "
	    "port or a busy host that drops packets, and from before it "
	    "connects; write the capture to a local disk, with no filter that "
	    "drops part of the connection.");
}

const struct dt_rule dt_rule_capture_truncated = {
	.id = "capture-truncated",
	.severity = DT_SEV_WARNING,
	.summary = "snaplen cut TLS bytes the analysis needed",
	.check_conn = check,
};
