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
#include "rules/rules.h"
#include "tls/tls.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_hello *h = dt_tls_hello(t);
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], suites[512], al[64];
	char expl[DT_RULE_TEXT];
	struct dt_text s, l;
	uint64_t fr[2], frame;
	int alert;
	size_t i;

	if (h->offered_null || !dt_rule_refused_hello(c, &frame, &alert) ||
	    alert == 70 || (alert < 0 && dt_rule_tls_cut(c)))
		return;
	/* the first four suites offered, as a list of at most 511 bytes */
	dt_text_init(&l, suites, sizeof suites);
	for (i = 0; i < h->n_offered_suites && i < 4; i++) {
		if (i > 0)
			dt_text_put(&l, ", ");
		dt_text_suite(ctx, &l, h->offered_suites[i]);
	}
	if (h->n_offered_suites > 4)
		dt_text_put(&l, ", ...");
	dt_text_init(&s, sum, sizeof sum);
	dt_text_put(&s, "Server answered the ClientHello (frame ");
	dt_text_u64(&s, t->ch_frame);
	dt_text_put(&s, ", ");
	dt_text_u64(&s, h->n_offered_suites);
	dt_text_put(&s, h->n_offered_suites == 1 ? " suite" : " suites");
	dt_text_put(&s, " offered, none of them NULL) with ");
	/* how it refused: a clause once cut at 127 bytes, which an alert's
	   name (at most 63) and a frame number do not reach */
	if (alert >= 0) {
		dt_text_put(&s, "a fatal ");
		dt_text_put(&s, dt_tls_alert_str((uint8_t)alert, al,
		    sizeof al));
		dt_text_put(&s, " alert");
	} else
		dt_text_put(&s, c->rst_frame == frame &&
		    c->rst_dir == DT_S2C ? "a TCP reset" :
		    "a FIN, closing the connection");
	dt_text_put(&s, " (frame ");
	dt_text_u64(&s, frame);
	dt_text_put(&s, ")");
	dt_text_init(&l, rem, sizeof rem);
	dt_text_put(&l, "Enable on the server or on the virtual "
	    "server / SSL profile in front of it at least one of the suites "
	    "the client offers (");
	dt_text_put(&l, suites[0] != '\0' ? suites : "none listed");
	dt_text_put(&l, "); for Windows 7 DirectAccess clients the "
	    "IP-HTTPS listener needs encrypting suites besides the NULL ones, "
	    "and check that the enabled TLS versions overlap.");
	dt_text_init(&l, expl, sizeof expl);
	dt_text_put(&l, "The server side refused the ClientHello "
	    "before choosing a cipher suite: none of the suites the client "
	    "offered is enabled there");
	dt_text_put(&l, alert == 40 || alert == 71 ? "" :
	    alert >= 0 ? " - the likely reason, though its alert names "
	    "another one" : " - the likely reason, though it closed without "
	    "an alert, as a service that does not speak TLS or a device "
	    "dropping the session would");
	dt_text_put(&l, ". This client offered no NULL suite, "
	    "so it is a Windows 7 client or not the IP-HTTPS client; the "
	    "client logs 0x80090331.");
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
