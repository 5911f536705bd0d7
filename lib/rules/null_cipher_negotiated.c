/*
 * null-cipher-negotiated: the server chose a NULL-encryption suite
 * (TLS_RSA_WITH_NULL_SHA 0x0002, TLS_RSA_WITH_NULL_SHA256 0x003B, RFC 5246
 * appendix A.5) in its ServerHello. This is how Windows 8+ IP-HTTPS is
 * meant to run against Windows Server 2012+: authenticated but not double
 * encrypted, since the IPsec inside is already encrypted (R. Hicks,
 * "Windows Server 2012 DirectAccess IP-HTTPS and Windows 7 clients", and
 * "DirectAccess IP-HTTPS null cipher suites not available", 2017).
 */
#include "rules/rules.h"
#include "tls/tls.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	char sum[DT_RULE_TEXT];
	struct dt_text l;
	uint64_t fr[2];

	/* a real TLS ServerHello: an SSL 2.0 SERVER-HELLO chooses no suite */
	if (t->sh_frame == 0 || t->version < 0x0300 ||
	    !dt_tls_suite_is_null(t->suite))
		return;
	fr[0] = t->ch_frame;
	fr[1] = t->sh_frame;
	dt_text_init(&l, sum, sizeof sum);
	dt_text_put(&l, "The server chose ");
	dt_text_suite(ctx, &l, t->suite);
	dt_text_put(&l, " in its ServerHello (frame ");
	dt_text_u64(&l, t->sh_frame);
	dt_text_put(&l, "): IP-HTTPS without double encryption");
	dt_verdict_add(ctx, &dt_rule_null_cipher_negotiated, c, DT_CONF_HIGH,
	    0, NULL, fr, 2, sum,
	    "The session uses a NULL-encryption suite: TLS authenticates the "
	    "server but does not encrypt, because the IPsec traffic inside "
	    "IP-HTTPS is already encrypted. This is the intended setup for "
	    "Windows 8 and later clients.",
	    "Nothing to change.");
}

const struct dt_rule dt_rule_null_cipher_negotiated = {
	.id = "null-cipher-negotiated",
	.severity = DT_SEV_INFO,
	.summary = "the server chose a NULL-encryption suite",
	.check_conn = check,
};
