/*
 * handshake-ok: the TLS handshake completed. Wire shape (RFC 5246 7.3):
 * ClientHello, ServerHello ... ServerHelloDone, the client's
 * ChangeCipherSpec + Finished, the server's ChangeCipherSpec + Finished;
 * TLS 1.3 (RFC 8446 2): ServerHello, then the encrypted flight and
 * application data both ways. A completed handshake rules out every TLS
 * cause of the IP-HTTPS errors in the research note §1.2; if the tunnel
 * still fails, the reason is above TLS (the HTTP exchange, wrong-server) or
 * outside the capture.
 */
#include <stdio.h>

#include "rules/rules.h"
#include "tls/tls.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	char ver[32], suite[96], sum[DT_RULE_TEXT], how[128];
	char expl[DT_RULE_TEXT];
	uint64_t fr[4];
	uint64_t last;

	if (!dt_rule_hs_complete(c))
		return;
	if (t->finished_frame[DT_S2C] != 0) {
		last = t->finished_frame[DT_S2C];
		snprintf(how, sizeof how, "server's Finished frame %llu",
		    (unsigned long long)last);
	} else if (t->appdata_frame[DT_S2C] != 0) {
		last = t->appdata_frame[DT_S2C];
		snprintf(how, sizeof how, "server's application data frame "
		    "%llu", (unsigned long long)last);
	} else {
		last = t->appdata_frame[DT_C2S];
		snprintf(how, sizeof how, "client's application data frame "
		    "%llu; the server's Finished was not captured",
		    (unsigned long long)last);
	}
	fr[0] = t->ch_frame;
	fr[1] = t->sh_frame;
	fr[2] = t->finished_frame[DT_C2S];
	fr[3] = last;
	snprintf(sum, sizeof sum, "%s handshake with %s completed with %s "
	    "(ClientHello frame %llu, ServerHello frame %llu, %s)%s",
	    dt_tls_version_str(t->version, ver, sizeof ver), c->server_str,
	    dt_tls_suite_str(t->suite, suite, sizeof suite),
	    (unsigned long long)t->ch_frame, (unsigned long long)t->sh_frame,
	    how, t->resumed ? ", session resumed" : "");
	snprintf(expl, sizeof expl, "%s, so the two sides agreed on the "
	    "cipher suite%s and neither refused the other during TLS. A client "
	    "that checks the server's certificate only afterwards may still "
	    "drop the session over it (any certificate verdict on this "
	    "connection says why). If IP-HTTPS still does not come up, the "
	    "cause is in the HTTP exchange inside the tunnel or beyond this "
	    "capture.", t->finished_frame[DT_S2C] != 0 &&
	    t->finished_frame[DT_C2S] != 0 ? "Both sides finished the TLS "
	    "handshake" : "The handshake went far enough for application data "
	    "to flow", dt_tls_rare(t)->cert_request_frame == 0 ? "" :
	    t->client_cert == DT_CCERT_PRESENT ? ", the server accepted the "
	    "client's certificate" : ", the server went on without a client "
	    "certificate");
	dt_verdict_add(ctx, &dt_rule_handshake_ok, c, DT_CONF_HIGH, 0, NULL,
	    fr, 4, sum, expl,
	    "Nothing to change at the TLS layer; if the tunnel still fails, "
	    "check the IP-HTTPS HTTP reply (200 OK from Microsoft-HTTPAPI/2.0) "
	    "and Get-NetIPHttpsState on the client.");
}

const struct dt_rule dt_rule_handshake_ok = {
	.id = "handshake-ok",
	.severity = DT_SEV_INFO,
	.summary = "the TLS handshake completed",
	.check_conn = check,
};
