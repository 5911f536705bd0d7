/*
 * no-common-cipher: the client offered no NULL suite (a Windows 7 client,
 * or a non-DirectAccess client) and the server side refused the ClientHello
 * before any ServerHello with a fatal alert (handshake_failure 40 or
 * insufficient_security 71, RFC 5246 7.2.2 / 7.4.1.3: "If no acceptable
 * choices are presented, return a handshake failure alert"), or closed or
 * reset the connection. Schannel reports SEC_E_ALGORITHM_MISMATCH
 * (0x80090331); research note §1.2 (0x80090331 row) [inference]. Windows 7
 * IP-HTTPS needs encrypting suites on the server (R. Hicks, "Windows Server
 * 2012 DirectAccess IP-HTTPS and Windows 7 clients", 2013).
 */
#include <stdio.h>

#include "rules/rules.h"
#include "tls/tls.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	char how[128], al[64], sum[DT_RULE_TEXT], rem[DT_RULE_TEXT];
	char suites[512], one[96], expl[DT_RULE_TEXT];
	uint64_t fr[2], frame;
	int alert;
	size_t i, k = 0;

	if (dt_tls_hello(t)->offered_null || !dt_rule_refused_hello(c, &frame, &alert) ||
	    alert == 70 || (alert < 0 && dt_rule_tls_cut(c)))
		return;
	if (alert >= 0)
		snprintf(how, sizeof how, "a fatal %s alert (frame %llu)",
		    dt_tls_alert_str((uint8_t)alert, al, sizeof al),
		    (unsigned long long)frame);
	else
		snprintf(how, sizeof how, "%s (frame %llu)",
		    c->rst_frame == frame && c->rst_dir == DT_S2C ?
		    "a TCP reset" : "a FIN, closing the connection",
		    (unsigned long long)frame);
	suites[0] = '\0';
	for (i = 0; i < dt_tls_hello(t)->n_offered_suites && i < 4; i++)
		k += (size_t)snprintf(suites + k, sizeof suites - k, "%s%s",
		    i ? ", " : "", dt_tls_suite_str(dt_tls_hello(t)->offered_suites[i], one,
		    sizeof one));
	if (dt_tls_hello(t)->n_offered_suites > 4 && k < sizeof suites)
		snprintf(suites + k, sizeof suites - k, ", ...");
	snprintf(sum, sizeof sum, "Server answered the ClientHello (frame "
	    "%llu, %zu suite%s offered, none of them NULL) with %s",
	    (unsigned long long)t->ch_frame, (size_t)dt_tls_hello(t)->n_offered_suites,
	    dt_tls_hello(t)->n_offered_suites == 1 ? "" : "s", how);
	snprintf(rem, sizeof rem, "Enable on the server or on the virtual "
	    "server / SSL profile in front of it at least one of the suites "
	    "the client offers (%s); for Windows 7 DirectAccess clients the "
	    "IP-HTTPS listener needs encrypting suites besides the NULL ones, "
	    "and check that the enabled TLS versions overlap.",
	    suites[0] != '\0' ? suites : "none listed");
	snprintf(expl, sizeof expl, "The server side refused the ClientHello "
	    "before choosing a cipher suite: none of the suites the client "
	    "offered is enabled there%s. This client offered no NULL suite, "
	    "so it is a Windows 7 client or not the IP-HTTPS client; the "
	    "client logs 0x80090331.", alert == 40 || alert == 71 ? "" :
	    alert >= 0 ? " - the likely reason, though its alert names "
	    "another one" : " - the likely reason, though it closed without "
	    "an alert, as a service that does not speak TLS or a device "
	    "dropping the session would");
	fr[0] = t->ch_frame;
	fr[1] = frame;
	dt_verdict_add(ctx, &dt_rule_no_common_cipher, c,
	    alert == 40 || alert == 71 ? DT_CONF_HIGH : DT_CONF_MEDIUM,
	    0x80090331, "SEC_E_ALGORITHM_MISMATCH", fr, 2, sum,
	    expl, rem);
}

const struct dt_rule dt_rule_no_common_cipher = {
	.id = "no-common-cipher",
	.severity = DT_SEV_ERROR,
	.summary = "no NULL suite offered, ClientHello refused before ServerHello",
	.check_conn = check,
};
