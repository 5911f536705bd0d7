/*
 * no-iphttps-traffic: nothing in the capture is an IP-HTTPS attempt - no
 * connection marked by name, NULL suites, the IP-HTTPS POST or a proxy
 * CONNECT, and no TLS connection or attempt to the port set (SPEC §2).
 * Says what the capture does hold (TCP connections, TLS connections, DNS
 * names) so the user can tell a wrong interface or filter from a client
 * that never tried IP-HTTPS (6to4 or Teredo in use, research note §1.1:
 * IP-HTTPS is the last-resort transition technology).
 */
#include <stdio.h>

#include "rules/rules.h"

static void
check(struct dt_rule_ctx *ctx)
{
	const struct dt_capture *cap = ctx->cap;
	const struct dt_conn *c;
	const struct dt_dns *d;
	char sum[DT_RULE_TEXT], names[320], ports[96];
	size_t tcp = 0, tls = 0, k = 0, nn = 0, i;
	const uint16_t *p;

	for (c = cap->conns; c != NULL; c = c->next) {
		if (c->iphttps)
			return;
		tcp++;
		tls += c->tls.seen != 0;
	}
	names[0] = '\0';
	for (d = cap->dns; d != NULL && nn < 6; d = d->next) {
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
	snprintf(sum, sizeof sum, "No IP-HTTPS connection attempt: %zu TCP "
	    "connection%s (%zu with TLS), none to port %s%s; DNS names: %s",
	    tcp, tcp == 1 ? "" : "s", tls, p != NULL ? ports : "443",
	    ctx->cfg->host != NULL ? " or to the --host name" : "",
	    names[0] != '\0' ? names : "none");
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
