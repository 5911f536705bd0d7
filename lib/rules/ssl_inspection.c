/*
 * ssl-inspection: a middlebox terminated TLS and re-signed the server
 * certificate. Wire shape (research note §1.5): the leaf carries the
 * DirectAccess host name but is issued by the box's own CA - a product CA
 * name from the built-in table (lib/x509/inspection-cas.txt, e.g.
 * FortiGate's Fortinet_CA_SSL, "Zscaler Root CA") or from --inspection-cas,
 * or simply a certificate different from --expect-cert that still claims
 * the host. Supporting evidence: the SYN-ACK and the server's TLS packets
 * arrive with different IP TTLs. Zscaler documents that it cannot decrypt
 * mutually authenticated TLS (help.zscaler.com/zia/deploying-ssl-inspection),
 * so inspected IP-HTTPS also breaks ADC preauthentication; an untrusted
 * inspection CA gives 0x800b0109 (KB2980667), otherwise Schannel reports
 * 0x80090326.
 */
#include <stdint.h>
#include <stdio.h>

#include "rules/rules.h"
#include "x509/x509.h"

/* The interception CA that issued a certificate of t's server chain, NULL
   when none did. The chain is the x509 cache's array shared by every
   handshake that sent it (a day's 40,960 IP-HTTPS connections carry a
   few), and four rules ask about each connection: the answer is
   remembered per array (the arrays live as long as the pass). */
static const char *
chain_ca(const struct dt_rule_ctx *ctx, const struct dt_tls_facts *t)
{
	struct dt_rule_memos *mm = ctx->memos;
	const char *product = NULL;
	size_t i, slot = 0;

	if (mm != NULL) {
		slot = ((uintptr_t)t->server_certs >> 4) %
		    DT_RULE_CHAIN_MEMO;
		if (mm->chain[slot].certs == t->server_certs &&
		    mm->chain[slot].n == t->n_server_certs)
			return mm->chain[slot].product;
	}
	for (i = 0; i < t->n_server_certs && product == NULL; i++)
		product = dt_x509_inspection_ca_match(t->server_certs[i].issuer,
		    ctx->cfg->inspection_cas, NULL);
	if (mm != NULL) {
		mm->chain[slot].certs = t->server_certs;
		mm->chain[slot].n = t->n_server_certs;
		mm->chain[slot].product = product;
	}
	return product;
}

int
dt_rule_inspected(const struct dt_rule_ctx *ctx, const struct dt_conn *c,
    const char **ca_name)
{
	const struct dt_cert *leaf = dt_rule_leaf(c);
	const char *expected, *host, *product;

	if (ca_name != NULL)
		*ca_name = NULL;
	/* A box's own self-signed certificate is wrong-server, not
	   interception: interception leaves are issued by the box's CA. */
	if (leaf == NULL || leaf->self_signed)
		return 0;
	if ((product = chain_ca(ctx, c->tls)) != NULL) {
		if (ca_name != NULL)
			*ca_name = product;
		return 1;
	}
	expected = ctx->cfg->x509 != NULL ?
	    dt_x509_ctx_expected(ctx->cfg->x509) : NULL;
	host = dt_rule_host(ctx, c);
	return expected != NULL && !dt_rule_streq(expected, leaf->sha256) &&
	    host != NULL && dt_x509_matches_host(leaf, host);
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_cert *leaf = dt_rule_leaf(c);
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], ttl[192];
	const char *product, *host = dt_rule_host(ctx, c);
	dt_confidence conf;
	uint64_t fr[4];
	int untrusted, mbox;

	if (!dt_rule_inspected(ctx, c, &product))
		return;
	mbox = dt_rule_ttl_differs(c);
	untrusted = t->chain == DT_CHAIN_UNTRUSTED ||
	    (t->alert_frame > t->server_cert_frame && t->alert_dir == DT_C2S &&
	    t->alert_desc == 48);
	ttl[0] = '\0';
	if (mbox)
		snprintf(ttl, sizeof ttl, "; the SYN-ACK (frame %llu) came with "
		    "IP TTL %u, the TLS packets with %u", (unsigned long long)
		    c->synack_frame, c->ttl_synack, c->ttl_server_data);
	if (product != NULL) {
		conf = DT_CONF_HIGH;
		snprintf(sum, sizeof sum, "The certificate for %s (frame %llu) "
		    "is issued by %s, a known TLS-interception CA (%s): a "
		    "middlebox terminated TLS%s",
		    host != NULL ? host : "the server",
		    (unsigned long long)t->server_cert_frame,
		    leaf->issuer != NULL ? leaf->issuer : "?", product, ttl);
	} else {
		conf = mbox ? DT_CONF_HIGH : t->chain == DT_CHAIN_OK ?
		    DT_CONF_LOW : DT_CONF_MEDIUM;
		snprintf(sum, sizeof sum, "The certificate for %s (frame %llu, "
		    "SHA-256 %.16s..., issued by %s) is not the expected "
		    "DirectAccess certificate (%.16s...) although it covers the "
		    "name: re-signed by a middlebox%s%s", host,
		    (unsigned long long)t->server_cert_frame, leaf->sha256,
		    leaf->issuer != NULL ? leaf->issuer : "?",
		    dt_x509_ctx_expected(ctx->cfg->x509), ttl,
		    t->chain == DT_CHAIN_OK ? " (or the server certificate was "
		    "renewed: the chain verifies against --ca)" : "");
	}
	snprintf(rem, sizeof rem, "Exempt %s (%s) from TLS/SSL inspection on "
	    "the %s (a do-not-decrypt / SSL inspection bypass rule), so that "
	    "IP-HTTPS reaches the DirectAccess server or its ADC end to end; "
	    "inspection breaks the NULL-cipher session and client-certificate "
	    "preauthentication.", host != NULL ? host : "the IP-HTTPS server",
	    c->server_str, product != NULL ? product : "inspecting proxy or "
	    "firewall");
	fr[0] = t->server_cert_frame;
	fr[1] = mbox ? c->synack_frame : 0;
	fr[2] = mbox ? t->sh_frame : 0;
	fr[3] = t->alert_frame > t->server_cert_frame &&
	    t->alert_dir == DT_C2S ? t->alert_frame : 0;
	dt_verdict_add(ctx, &dt_rule_ssl_inspection, c, conf,
	    untrusted ? 0x800b0109 : 0x80090326,
	    untrusted ? "CERT_E_UNTRUSTEDROOT" : "SEC_E_ILLEGAL_MESSAGE",
	    fr, 4, sum, product == NULL && !mbox && t->chain == DT_CHAIN_OK ?
	    "The certificate differs from the one given with --expect-cert "
	    "but verifies against --ca and covers the name: either a "
	    "TLS-inspecting proxy or firewall trusted by that CA minted it, "
	    "or the DirectAccess certificate was renewed (then give the new "
	    "one with --expect-cert). Inspection does not pass NULL-cipher "
	    "sessions or client-certificate authentication." :
	    "A TLS-inspecting proxy or firewall between the client and the "
	    "DirectAccess server answered with a certificate it minted itself. "
	    "The client either does not trust that CA or cannot complete "
	    "IP-HTTPS through it: inspection does not pass NULL-cipher "
	    "sessions or client-certificate authentication.", rem);
}

const struct dt_rule dt_rule_ssl_inspection = {
	.id = "ssl-inspection",
	.severity = DT_SEV_ERROR,
	.summary = "a middlebox re-signed the server certificate",
	.check_conn = check,
};
