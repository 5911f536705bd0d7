/*
 * encrypted-cipher-negotiated: the client offered NULL suites (a Windows 8+
 * IP-HTTPS client) and the server's ServerHello chose an encrypting suite.
 * The tunnel works but every packet is encrypted twice (IPsec inside TLS).
 * Typical causes (R. Hicks, "DirectAccess IP-HTTPS null cipher suites not
 * available", 2017; "DirectAccess IP-HTTPS null encryption and SSTP VPN",
 * 2014): an ADC doing SSL offload without the NULL suites in its cipher
 * group, a self-signed IP-HTTPS certificate, SSTP VPN enabled on the same
 * server, or a TLS-inspecting middlebox.
 */
#include "rules/rules.h"
#include "tls/tls.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT];
	struct dt_text l;
	uint64_t fr[2];

	if (!dt_tls_hello(t)->offered_null || t->sh_frame == 0 ||
	    dt_tls_suite_is_null(t->suite))
		return;
	fr[0] = t->ch_frame;
	fr[1] = t->sh_frame;
	dt_text_init(&l, sum, sizeof sum);
	dt_text_put(&l, "The client offered NULL suites (frame ");
	dt_text_u64(&l, t->ch_frame);
	dt_text_put(&l, ") but the server chose ");
	dt_text_suite(ctx, &l, t->suite);
	dt_text_put(&l, " with ");
	dt_text_version(ctx, &l, t->version);
	dt_text_put(&l, " (frame ");
	dt_text_u64(&l, t->sh_frame);
	dt_text_put(&l, "): IP-HTTPS pays double encryption");
	dt_text_init(&l, rem, sizeof rem);
	dt_text_put(&l, "If an ADC terminates TLS for IP-HTTPS, add "
	    "TLS_RSA_WITH_NULL_SHA (0x0002) and TLS_RSA_WITH_NULL_SHA256 "
	    "(0x003B) at the top of the cipher group / SSL profile of the "
	    "virtual server (F5: client SSL profile Ciphers; NetScaler: bind a "
	    "cipher group with the NULL suites to the vserver)");
	dt_text_put(&l, t->version == 0x0304 ? " and cap the version at TLS "
	    "1.2 (TLS 1.3 has no NULL suites)" : "");
	dt_text_put(&l, "; on the "
	    "DirectAccess server use a certificate from a CA (not "
	    "self-signed) and keep SSTP VPN off the IP-HTTPS listener.");
	dt_verdict_add(ctx, &dt_rule_encrypted_cipher_negotiated, c,
	    DT_CONF_HIGH, 0, NULL, fr, 2, sum,
	    "Windows 8 and later offer the NULL-encryption suites so that "
	    "IP-HTTPS does not encrypt traffic that IPsec already encrypts. "
	    "The server side preferred an encrypting suite, so a tunnel over "
	    "this session costs CPU on both ends and throughput. The capture "
	    "does not show why: an ADC or middlebox terminating TLS without "
	    "the NULL suites, a self-signed IP-HTTPS certificate, or SSTP VPN "
	    "on the same listener each lead the DirectAccess side to choose an "
	    "encrypting suite.", rem);
}

const struct dt_rule dt_rule_encrypted_cipher_negotiated = {
	.id = "encrypted-cipher-negotiated",
	.severity = DT_SEV_WARNING,
	.summary = "NULL suites offered, an encrypting suite chosen",
	.check_conn = check,
};
