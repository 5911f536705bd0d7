/*
 * null-cipher-absent: the client offered NULL-encryption suites and the
 * server side refused the ClientHello before any ServerHello - a fatal
 * alert (handshake_failure 40 or insufficient_security 71 typically,
 * RFC 5246 7.2.2), a FIN or a RST right after the ClientHello. R. Hicks
 * ("DirectAccess IP-HTTPS error 0x80090326", directaccess.richardhicks.com
 * tag/support): "If the TLS handshake failure occurs immediately after the
 * client sends a Client Hello, it is likely that the ADC does not have null
 * cipher suites enabled"; research note §1.2 [lab s02]: a NULL-only
 * ClientHello answered by Alert(fatal, 40) then FIN. An inspecting
 * middlebox answers the same way (note §1.5 b), so when the IP TTL of the
 * refusing packet differs from the SYN-ACK's the confidence is lowered.
 * protocol_version (70) is tls-version-mismatch instead.
 */
#include <stdio.h>

#include "rules/rules.h"
#include "tls/tls.h"

static dt_confidence
lower(dt_confidence c)
{
	return c == DT_CONF_HIGH ? DT_CONF_MEDIUM : DT_CONF_LOW;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	char how[128], al[64], sum[DT_RULE_TEXT], rem[DT_RULE_TEXT];
	char offer[160], ttl[160], expl[DT_RULE_TEXT];
	dt_confidence conf;
	uint64_t fr[3], frame;
	int alert, mbox;
	size_t i, k;

	if (!dt_tls_hello(t)->offered_null || !dt_rule_refused_hello(c, &frame, &alert) ||
	    alert == 70 || (alert < 0 && dt_rule_tls_cut(c)))
		return;
	/* handshake_failure and insufficient_security are the answers to
	   "no suite in common" (RFC 5246 7.2.2, 7.4.1.3); another alert names
	   another reason, and a silent close names none */
	conf = alert == 40 || alert == 71 ? DT_CONF_HIGH : DT_CONF_MEDIUM;
	mbox = dt_rule_ttl_differs(c);
	if (mbox)
		conf = lower(conf);
	if (alert >= 0)
		snprintf(how, sizeof how, "a fatal %s alert (frame %llu)",
		    dt_tls_alert_str((uint8_t)alert, al, sizeof al),
		    (unsigned long long)frame);
	else
		snprintf(how, sizeof how, "%s (frame %llu)",
		    c->rst_frame == frame && c->rst_dir == DT_S2C ?
		    "a TCP reset" : "a FIN, closing the connection",
		    (unsigned long long)frame);
	if (dt_tls_hello(t)->offered_only_null)
		snprintf(offer, sizeof offer, "offering only NULL suites");
	else {
		k = (size_t)snprintf(offer, sizeof offer, "offering NULL suites");
		for (i = 0; i < dt_tls_hello(t)->n_offered_suites && k < sizeof offer - 16;
		    i++)
			if (dt_tls_suite_is_null(dt_tls_hello(t)->offered_suites[i]))
				k += (size_t)snprintf(offer + k, sizeof offer - k,
				    "%s0x%04X", k == 20 ? " (" : ", ",
				    dt_tls_hello(t)->offered_suites[i]);
		if (k > 20 && k < sizeof offer - 24)
			snprintf(offer + k, sizeof offer - k, ") among %zu",
			    (size_t)dt_tls_hello(t)->n_offered_suites);
	}
	ttl[0] = '\0';
	if (mbox)
		snprintf(ttl, sizeof ttl, "; its IP TTL %u differs from the "
		    "SYN-ACK's %u (frame %llu), so another device may have "
		    "answered", c->ttl_server_data, c->ttl_synack,
		    (unsigned long long)c->synack_frame);
	snprintf(sum, sizeof sum, "Server answered the ClientHello (frame "
	    "%llu) %s with %s%s", (unsigned long long)t->ch_frame, offer, how,
	    ttl);
	snprintf(rem, sizeof rem, "Enable TLS_RSA_WITH_NULL_SHA (0x0002) and "
	    "TLS_RSA_WITH_NULL_SHA256 (0x003B) in the cipher group / SSL "
	    "profile of the virtual server that fronts IP-HTTPS (F5: client "
	    "SSL profile Ciphers; NetScaler: bind the NULL cipher group to the "
	    "vserver), or pass IP-HTTPS through without SSL offload.%s",
	    mbox ? " A firewall, IPS or TLS-inspecting proxy between client "
	    "and server may be the one refusing: exempt the IP-HTTPS server "
	    "from TLS inspection there." : "");
	fr[0] = t->ch_frame;
	fr[1] = frame;
	fr[2] = mbox ? c->synack_frame : 0;
	snprintf(expl, sizeof expl, "Windows 8 and later IP-HTTPS clients "
	    "offer the NULL-encryption suites, and the side that terminates "
	    "TLS refused the ClientHello before choosing any suite%s%s. This "
	    "is the usual failure when an ADC or load balancer does SSL "
	    "offload for DirectAccess; the client logs 0x80090326.",
	    dt_tls_hello(t)->offered_only_null ? ": it has none of them enabled" :
	    ": it accepts none of the suites offered, NULL or encrypting",
	    alert == 40 || alert == 71 ? "" : alert >= 0 ? " - the likely "
	    "reason, though its alert names another one" : " - the likely "
	    "reason, though it closed without an alert, as a service that "
	    "does not speak TLS or a device dropping the session would");
	dt_verdict_add(ctx, &dt_rule_null_cipher_absent, c, conf,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", fr, 3, sum, expl, rem);
}

const struct dt_rule dt_rule_null_cipher_absent = {
	.id = "null-cipher-absent",
	.severity = DT_SEV_ERROR,
	.summary = "NULL suites offered, ClientHello refused before ServerHello",
	.check_conn = check,
};
