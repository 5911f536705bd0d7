/*
 * server-name-mismatch: the leaf certificate does not cover the IP-HTTPS
 * host name (--host, else the SNI the client sent): RFC 6125 6.4 (SAN
 * dNSName with wildcard rules; CN only without SAN), checked by
 * dt_x509_matches_host(). KB2980635 ("No usable certificate(s) found",
 * 0x103): the IP-HTTPS URL does not match the certificate, extra data in
 * the Subject, or the right Subject with a wrong SAN; generically Schannel
 * reports CERT_E_CN_NO_MATCH (0x800b010f). OpenSSL clients send
 * bad_certificate (42) [lab s11]. Device certificates and re-signed
 * (inspected) certificates are wrong-server / ssl-inspection instead.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"
#include "x509/x509.h"

static int
ip_literal(const char *s)
{
	unsigned char buf[16];
	char tmp[64];
	size_t n = strlen(s);

	if (n >= sizeof tmp)
		return 0;
	if (s[0] == '[' && n > 2 && s[n - 1] == ']') {
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
	} else
		memcpy(tmp, s, n + 1);
	return inet_pton(AF_INET, tmp, buf) == 1 ||
	    inet_pton(AF_INET6, tmp, buf) == 1;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_cert *leaf = dt_rule_leaf(c);
	const char *host = dt_rule_host(ctx, c);
	struct dt_rule_memos *mm = ctx->memos;
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], names[384];
	char expl[DT_RULE_TEXT], react[160];
	int how, skip;
	uint64_t fr[2];
	size_t i, k = 0;

	if (leaf == NULL || host == NULL)
		return;
	if (mm != NULL && mm->name_match.leaf == leaf &&
	    mm->name_match.host == host)
		skip = mm->name_match.skip;
	else {
		skip = ip_literal(host) || dt_x509_matches_host(leaf, host);
		if (mm != NULL) {
			mm->name_match.leaf = leaf;
			mm->name_match.host = host;
			mm->name_match.skip = skip;
		}
	}
	if (skip || dt_rule_inspected(ctx, c, NULL) ||
	    dt_rule_foreign_cert(ctx, c))
		return;
	names[0] = '\0';
	for (i = 0; i < leaf->n_dns_names && k < sizeof names - 1; i++)
		k += (size_t)snprintf(names + k, sizeof names - k, "%s%s",
		    i ? ", " : "", leaf->dns_names[i]);
	if (k == 0 && leaf->common_name != NULL)
		snprintf(names, sizeof names, "CN %s", leaf->common_name);
	fr[0] = t->server_cert_frame;
	snprintf(sum, sizeof sum, "The server certificate (frame %llu, "
	    "subject %s) covers %s, not %s%s",
	    (unsigned long long)t->server_cert_frame,
	    leaf->subject != NULL ? leaf->subject : "?",
	    names[0] != '\0' ? names : "no name", host,
	    ctx->cfg->host != NULL ? "" : " (the name the client sent as SNI)");
	snprintf(rem, sizeof rem, "Bind an IP-HTTPS certificate whose Subject "
	    "Alternative Name includes %s (Remote Access Management > Remote "
	    "Access Server > Network Adapters; on an ADC, the client SSL "
	    "profile's certificate), or change the IP-HTTPS URL "
	    "(Set-DAServer -ConnectToAddress, ServerURL of "
	    "Get-NetIPHttpsConfiguration) to a name the certificate covers%s%s.",
	    host, names[0] != '\0' ? ": " : "", names);
	how = dt_rule_cert_reaction(c, react, sizeof react, &fr[1]);
	snprintf(expl, sizeof expl, "The client checks that the IP-HTTPS "
	    "certificate names the host of the IP-HTTPS URL; this one does "
	    "not. Here %s%s. Windows reports 0x800b010f, or 0x103 \"no usable "
	    "certificate\" in Get-NetIPHttpsState (KB2980635).", react,
	    how == DT_CERT_COMPLETED ? ": if IP-HTTPS then came up, this "
	    "client did not check the name, and the failure is elsewhere" :
	    "");
	dt_verdict_add(ctx, &dt_rule_server_name_mismatch, c,
	    how == DT_CERT_COMPLETED ? DT_CONF_MEDIUM : DT_CONF_HIGH,
	    0x800b010f, "CERT_E_CN_NO_MATCH", fr, 2, sum, expl, rem);
}

const struct dt_rule dt_rule_server_name_mismatch = {
	.id = "server-name-mismatch",
	.severity = DT_SEV_ERROR,
	.summary = "the leaf certificate does not cover the IP-HTTPS host",
	.check_conn = check,
};
