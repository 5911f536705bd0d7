/*
 * no-iphttps-traffic: nothing in the capture is an IP-HTTPS attempt - no
 * connection marked by name, NULL suites, the IP-HTTPS POST or a proxy
 * CONNECT, and no TLS connection or attempt to the port set (SPEC §2).
 * When some connections carry weaker evidence (TLS on the port, a name,
 * a client certificate), names the best few with their identification
 * scores instead of judging them (issue 16). Else says what the capture
 * does hold (TCP connections, TLS connections, DNS names) so the user can tell a wrong interface or filter from a client
 * that never tried IP-HTTPS (6to4 or Teredo in use, research note §1.1:
 * IP-HTTPS is the last-resort transition technology).
 */
#include <stdio.h>

#include "net/encap.h"
#include "rules/rules.h"

/* DirectAccess's other IPv6 transition technologies, in the order the
   client prefers them (6to4 with a public address, Teredo behind NAT,
   IP-HTTPS last); ISATAP is the intranet one. */
static const int transition[] = {
	DT_ENCAP_6TO4, DT_ENCAP_TEREDO, DT_ENCAP_ISATAP,
};

/* "the client used Teredo via 192.0.2.1:3544 (12 packets from frame 3)"
   for the first transition technology the capture shows; 0 when none. */
static uint64_t
transition_used(const struct dt_capture *cap, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < sizeof transition / sizeof transition[0]; i++) {
		const struct dt_encap_count *e = &cap->encap[transition[i]];
		const struct dt_addr *peer = &e->dst;
		uint16_t port = e->dport;
		char a[64];

		if (e->packets == 0)
			continue;
		if (e->sport == 3544 && e->dport != 3544) {
			peer = &e->src;	/* the server's answer came first */
			port = e->sport;
		}
		dt_encap_endpoint(peer, port, a, sizeof a);
		snprintf(out, outlen, "the client used %s via %s (%llu packet%s "
		    "from frame %llu); IP-HTTPS was never tried",
		    transition[i] == DT_ENCAP_TEREDO ? "Teredo" :
		    transition[i] == DT_ENCAP_6TO4 ? "6to4" : "ISATAP", a,
		    (unsigned long long)e->packets, e->packets == 1 ? "" : "s",
		    (unsigned long long)e->first_frame);
		return e->first_frame;
	}
	return 0;
}

/* Nothing identified, but connections with some evidence: name the best,
   with their scores, rather than judge a browser's traffic. */
static void
candidates(const struct dt_rule_ctx *ctx, char *sum, size_t n)
{
	size_t i, k;

	k = (size_t)snprintf(sum, n, "No connection is identified as IP-HTTPS "
	    "(%s); best candidates:", ctx->cfg->host != NULL ? "none is tied "
	    "to the --host name by SNI, DNS, CONNECT or certificate" :
	    "none offers NULL suites, sends the IP-HTTPS POST or names a "
	    "DirectAccess-like server; give --host");
	for (i = 0; i < DT_RULE_CANDIDATES && ctx->best[i] != NULL &&
	    k < n - 1; i++)
		k += (size_t)snprintf(sum + k, n - k, "%s connection %u to %s "
		    "(score %d: %s)", i ? "," : "", ctx->best[i]->id,
		    ctx->best[i]->server_str, ctx->best[i]->iphttps_score,
		    dt_conn_reason(ctx->best[i]));
}

static void
check(struct dt_rule_ctx *ctx)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	const struct dt_capture *cap = ctx->cap;
	const struct dt_conn *c;
	const struct dt_dns *d;
	char sum[DT_RULE_TEXT], names[320], ports[96], used[200];
	char on[sizeof ports + 96];	/* the ports and the words around */
	uint64_t tframe;
	size_t tcp = 0, tls = 0, k = 0, nn = 0, i, di, on_port = 0, mid = 0;
	const uint16_t *p;

	for (c = cap->conns; c != NULL; c = c->next) {
		dt_capture_spill_step(cap, &sw);
		if (c->iphttps)
			return;
		tcp++;
		tls += c->tls->seen != 0;
		if (dt_rule_in_ports(ctx->cfg, c->server_port)) {
			on_port++;
			mid += dt_rule_midstream(c);
		}
	}
	names[0] = '\0';
	for (di = 0; (d = dt_capture_dns(cap, di)) != NULL && nn < 6; di++) {
		struct dt_hash_iter it;

		/* each name once: where it was first asked */
		if (d->name == NULL ||
		    dt_rule_index_dns_first(&ctx->idx, d->name, &it) != d)
			continue;
		if (++nn == 6) {
			if (k < sizeof names - 8)
				snprintf(names + k, sizeof names - k, ", ...");
			break;
		}
		if (k < sizeof names - 1)
			k += (size_t)snprintf(names + k, sizeof names - k,
			    "%s%s", k ? ", " : "", d->name);
	}
	k = 0;
	ports[0] = '\0';
	p = ctx->cfg->ports != NULL && ctx->cfg->ports[0] != 0 ?
	    ctx->cfg->ports : NULL;
	for (i = 0; p != NULL && p[i] != 0 && k < sizeof ports - 8; i++)
		k += (size_t)snprintf(ports + k, sizeof ports - k, "%s%u",
		    i ? ", " : "", p[i]);
	/* connections to the port that classify.c did not weigh: caught
	   mid-stream, their start (and any sign of IP-HTTPS) not captured
	   (scapy's tls_new-session-ticket.pcap: 12 to port 443, told
	   "none to port 443") */
	if (on_port == 0)
		snprintf(on, sizeof on, "none to port %s%s",
		    p != NULL ? ports : "443", ctx->cfg->host != NULL ?
		    " or to the --host name" : "");
	else
		snprintf(on, sizeof on, "%zu to port %s, %s", on_port,
		    p != NULL ? ports : "443", mid == on_port ? "all caught "
		    "mid-stream (no start to judge)" : "none of them with a "
		    "sign of IP-HTTPS");
	snprintf(sum, sizeof sum, "No IP-HTTPS connection attempt: %zu TCP "
	    "connection%s (%zu with TLS), %s; DNS names: %s", tcp,
	    tcp == 1 ? "" : "s", tls, on, names[0] != '\0' ? names : "none");
	if ((tframe = transition_used(cap, used, sizeof used)) != 0) {
		char head[DT_RULE_TEXT];

		snprintf(head, sizeof head, "No IP-HTTPS connection attempt: %s; "
		    "%.700s", used, sum + sizeof "No IP-HTTPS connection attempt:");
		dt_verdict_add(ctx, &dt_rule_no_iphttps_traffic, NULL,
		    DT_CONF_HIGH, 0, NULL, &tframe, 1, head,
		    "A DirectAccess client tries its IPv6 transition "
		    "technologies in order: 6to4 when it has a public IPv4 "
		    "address, Teredo behind NAT, and IP-HTTPS only when both "
		    "fail. This capture shows the client's IPv6 traffic going "
		    "through 6to4 or Teredo and no IP-HTTPS attempt, so the "
		    "tunnel to judge is that one, not IP-HTTPS.",
		    "If DirectAccess fails over this path, check it on the "
		    "client (Get-NetTeredoState, Get-Net6to4Configuration, "
		    "netsh interface teredo show state) and that the "
		    "DirectAccess server answers Teredo (UDP 3544) or 6to4 "
		    "(IP protocol 41) from the Internet; to make the client use "
		    "IP-HTTPS instead, disable the others "
		    "(Set-NetTeredoConfiguration -Type Disabled, "
		    "Set-Net6to4Configuration -State Disabled).");
		return;
	}
	if (ctx->best[0] != NULL)	/* weaker evidence: name it */
		candidates(ctx, sum, sizeof sum);
	dt_verdict_add(ctx, &dt_rule_no_iphttps_traffic, NULL, DT_CONF_MEDIUM,
	    0, NULL, NULL, 0, sum,
	    "The capture holds no TLS connection or connection attempt that "
	    "could be the IP-HTTPS tunnel, so there is nothing to judge. The "
	    "capture may have been taken on the wrong interface, filtered, or "
	    "stopped before the client tried; or the client used 6to4 or "
	    "Teredo, or is inside the corporate network.",
	    "Capture on the client's Internet-facing interface from before it "
	    "connects, without a filter that drops TCP 443 (netsh trace start "
	    "capture=yes, or pktmon start --capture --pkt-size 0); give the "
	    "IP-HTTPS name with --host and its port with -p if it is not 443; "
	    "on the client check Get-NetIPHttpsConfiguration and "
	    "Get-NetIPHttpsState.");
}

const struct dt_rule dt_rule_no_iphttps_traffic = {
	.id = "no-iphttps-traffic",
	.severity = DT_SEV_INFO,
	.summary = "no IP-HTTPS connection attempt found",
	.check_capture = check,
};
