/*
 * host-not-seen: the name given with --host appears nowhere in the capture
 * - no DNS query or answer, SNI, HTTP Host, proxy CONNECT or server
 * certificate names it - so nothing can be tied to it, and a clean-looking
 * report would only mean that the wrong name (or the wrong capture) was
 * given. The first of the capture-wide verdicts (issue 16: a mistyped or
 * pasted --host turned a dns-not-found into "0 errors").
 */
#include <stdio.h>

#include "rules/rules.h"

static void
check(struct dt_rule_ctx *ctx)
{
	const char *host = ctx->cfg->host;
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT];

	if (host == NULL || host[0] == '\0' || ctx->host_seen)
		return;
	snprintf(sum, sizeof sum, "%s (--host) never appears in this capture: "
	    "no DNS query or answer, SNI, HTTP Host, proxy CONNECT or server "
	    "certificate names it%s", host, ctx->any_marked ? "; the attempts "
	    "to the IP-HTTPS port without a name are judged as IP-HTTPS, at "
	    "lower confidence" : "");
	snprintf(rem, sizeof rem, "Check %s against the host of the client's "
	    "IP-HTTPS URL (Get-NetIPHttpsConfiguration shows it; --host takes "
	    "the URL as it is), and that the capture was taken on the client "
	    "while it connected (from before it resolves the name).", host);
	dt_verdict_add(ctx, &dt_rule_host_not_seen, NULL, DT_CONF_HIGH, 0, NULL,
	    NULL, 0, sum,
	    "Nothing in the capture names the IP-HTTPS server given with "
	    "--host, so no connection can be tied to it by the name the client "
	    "resolved or sent. Either the name is not the one the client uses, "
	    "or the client never tried it while the capture ran.", rem);
}

const struct dt_rule dt_rule_host_not_seen = {
	.id = "host-not-seen",
	.severity = DT_SEV_WARNING,
	.summary = "the --host name appears nowhere in the capture",
	.check_capture = check,
};
