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
#include "rules/rules.h"
#include "tls/tls.h"

/* The offer clause's room: it was written to a buffer of 160 bytes. */
#define OFFER 160

static dt_confidence
lower(dt_confidence c)
{
	return c == DT_CONF_HIGH ? DT_CONF_MEDIUM : DT_CONF_LOW;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_hello *h = dt_tls_hello(t);
	char al[64], sum[DT_RULE_TEXT], rem[DT_RULE_TEXT];
	char expl[DT_RULE_TEXT];
	struct dt_text l;
	dt_confidence conf;
	uint64_t fr[3], frame;
	int alert, mbox;
	size_t i, k;

	if (!h->offered_null || !dt_rule_refused_hello(c, &frame, &alert) ||
	    alert == 70 || (alert < 0 && dt_rule_tls_cut(c)))
		return;
	/* handshake_failure and insufficient_security are the answers to
	   "no suite in common" (RFC 5246 7.2.2, 7.4.1.3); another alert names
	   another reason, and a silent close names none */
	conf = alert == 40 || alert == 71 ? DT_CONF_HIGH : DT_CONF_MEDIUM;
	mbox = dt_rule_ttl_differs(c);
	if (mbox)
		conf = lower(conf);
	dt_text_init(&l, sum, sizeof sum);
	dt_text_put(&l, "Server answered the ClientHello (frame ");
	dt_text_u64(&l, t->ch_frame);
	dt_text_put(&l, ") ");
	/* what was offered: a clause of at most 159 bytes, which its
	   bounds below keep it under */
	if (h->offered_only_null)
		dt_text_put(&l, "offering only NULL suites");
	else {
		dt_text_put(&l, "offering NULL suites");
		for (i = 0, k = 20; i < h->n_offered_suites &&
		    k < OFFER - 16; i++)
			if (dt_tls_suite_is_null(h->offered_suites[i])) {
				dt_text_put(&l, k == 20 ? " (" : ", ");
				dt_text_hex4(&l, h->offered_suites[i]);
				k += 8;
			}
		if (k > 20 && k < OFFER - 24) {
			dt_text_put(&l, ") among ");
			dt_text_u64(&l, h->n_offered_suites);
		}
	}
	dt_text_put(&l, " with ");
	/* how it refused: a clause once cut at 127 bytes, which an alert's
	   name (at most 63) and a frame number do not reach */
	if (alert >= 0) {
		dt_text_put(&l, "a fatal ");
		dt_text_put(&l, dt_tls_alert_str((uint8_t)alert, al,
		    sizeof al));
		dt_text_put(&l, " alert");
	} else
		dt_text_put(&l, c->rst_frame == frame &&
		    c->rst_dir == DT_S2C ? "a TCP reset" :
		    "a FIN, closing the connection");
	dt_text_put(&l, " (frame ");
	dt_text_u64(&l, frame);
	dt_text_put(&l, ")");
	if (mbox) {
		dt_text_put(&l, "; its IP TTL ");
		dt_text_u64(&l, c->ttl_server_data);
		dt_text_put(&l, " differs from the SYN-ACK's ");
		dt_text_u64(&l, c->ttl_synack);
		dt_text_put(&l, " (frame ");
		dt_text_u64(&l, c->synack_frame);
		dt_text_put(&l, "), so another device may have answered");
	}
	dt_text_init(&l, rem, sizeof rem);
	dt_text_put(&l, "Enable TLS_RSA_WITH_NULL_SHA (0x0002) and "
	    "TLS_RSA_WITH_NULL_SHA256 (0x003B) in the cipher group / SSL "
	    "profile of the virtual server that fronts IP-HTTPS (F5: client "
	    "SSL profile Ciphers; NetScaler: bind the NULL cipher group to the "
	    "vserver), or pass IP-HTTPS through without SSL offload.");
	if (mbox)
		dt_text_put(&l, " A firewall, IPS or TLS-inspecting proxy "
		    "between client and server may be the one refusing: "
		    "exempt the IP-HTTPS server from TLS inspection there.");
	fr[0] = t->ch_frame;
	fr[1] = frame;
	fr[2] = mbox ? c->synack_frame : 0;
	dt_text_init(&l, expl, sizeof expl);
	dt_text_put(&l, "Windows 8 and later IP-HTTPS clients "
	    "offer the NULL-encryption suites, and the side that terminates "
	    "TLS refused the ClientHello before choosing any suite");
	dt_text_put(&l, h->offered_only_null ? ": it has none of them enabled" :
	    ": it accepts none of the suites offered, NULL or encrypting");
	dt_text_put(&l, alert == 40 || alert == 71 ? "" : alert >= 0 ?
	    " - the likely reason, though its alert names another one" :
	    " - the likely reason, though it closed without an alert, as a "
	    "service that does not speak TLS or a device dropping the "
	    "session would");
	dt_text_put(&l, ". This "
	    "is the usual failure when an ADC or load balancer does SSL "
	    "offload for DirectAccess; the client logs 0x80090326.");
	dt_verdict_add(ctx, &dt_rule_null_cipher_absent, c, conf,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", fr, 3, sum, expl, rem);
}

const struct dt_rule dt_rule_null_cipher_absent = {
	.id = "null-cipher-absent",
	.severity = DT_SEV_ERROR,
	.summary = "NULL suites offered, ClientHello refused before ServerHello",
	.check_conn = check,
};
