/*
 * client-cert-rejected: the client sent a certificate in answer to the
 * server's CertificateRequest and the server ended the handshake with a
 * fatal alert (bad_certificate 42, unknown_ca 48, certificate_unknown 46,
 * access_denied 49, ... RFC 5246 7.2.2) or closed before its Finished.
 * R. Hicks ("DirectAccess IP-HTTPS error 0x80090326"): "If the TLS
 * handshake failure occurs after the Server Hello, it is likely that the
 * ADC is configured to perform client certificate authentication
 * incorrectly"; research note §1.2 [lab s04b]: a client certificate from a
 * CA the ADC does not trust is answered with Alert 48 unknown_ca. The
 * evidence names the client certificate's issuer and whether it was in the
 * CertificateRequest's certificate_authorities list (if not, the ADC is
 * missing that CA).
 */
#include <stdio.h>

#include "rules/rules.h"
#include "tls/tls.h"

static int
issuer_listed(const struct dt_tls_facts *t, const char **issuer)
{
	size_t i, j;

	*issuer = dt_tls_rare(t)->n_client_certs > 0 ? dt_tls_rare(t)->client_certs[0].issuer : NULL;
	for (i = 0; i < dt_tls_rare(t)->n_client_certs; i++)
		for (j = 0; j < dt_tls_rare(t)->n_ca_names; j++)
			if (dt_rule_dn_eq(dt_tls_rare(t)->client_certs[i].issuer,
			    dt_tls_rare(t)->ca_names[j]) ||
			    dt_rule_dn_eq(dt_tls_rare(t)->client_certs[i].subject,
			    dt_tls_rare(t)->ca_names[j]))
				return 1;
	return 0;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], how[128], al[64];
	char expl[DT_RULE_TEXT];
	const char *issuer, *subject;
	dt_confidence conf = DT_CONF_MEDIUM;
	uint64_t fr[4], fail = 0;
	int listed, a = -1;

	if (t->client_cert != DT_CCERT_PRESENT || tr->client_cert_frame == 0 ||
	    dt_rule_hs_complete(c))
		return;
	if (t->alert_frame > tr->client_cert_frame && t->alert_dir == DT_S2C &&
	    t->alert_desc != 0 && t->alert_desc != 70) {
		fail = t->alert_frame;
		a = t->alert_desc;
		snprintf(how, sizeof how, "a fatal %s alert",
		    dt_tls_alert_str(t->alert_desc, al, sizeof al));
		if (a != 40)
			conf = DT_CONF_HIGH;
	} else {
		if (c->fin_frame[DT_S2C] > tr->client_cert_frame)
			fail = c->fin_frame[DT_S2C];
		if (c->rst_frame > tr->client_cert_frame &&
		    c->rst_dir == DT_S2C && (fail == 0 || c->rst_frame < fail))
			fail = c->rst_frame;
		if (fail == 0 || (t->finished_frame[DT_S2C] != 0 &&
		    t->finished_frame[DT_S2C] < fail))
			return;
		snprintf(how, sizeof how, "%s before its Finished",
		    fail == c->rst_frame ? "a TCP reset" :
		    "closing the connection");
	}
	listed = issuer_listed(t, &issuer);
	subject = tr->n_client_certs > 0 ? tr->client_certs[0].subject : NULL;
	if (issuer == NULL)
		issuer = "(issuer not readable)";
	snprintf(sum, sizeof sum, "The server %s the client certificate "
	    "%s issued by %s (frame %llu) with %s (frame %llu); %s",
	    a >= 0 && a != 40 ? "rejected" : "answered",
	    subject != NULL ? subject : "", issuer,
	    (unsigned long long)tr->client_cert_frame, how,
	    (unsigned long long)fail,
	    tr->n_ca_names == 0 ? "the CertificateRequest named no CAs" :
	    listed ? "that issuer is in the CertificateRequest's CA list" :
	    "that issuer is NOT in the CertificateRequest's CA list");
	if (!listed && tr->n_ca_names > 0)
		snprintf(rem, sizeof rem, "Add the issuing CA of the client "
		    "certificates, %s, to the trusted CA list of the client SSL "
		    "profile (F5: Client Authentication > Trusted Certificate "
		    "Authorities and Advertised Certificate Authorities; "
		    "NetScaler: bind it to the vserver as a CA certificate), "
		    "with its root and intermediates.", issuer);
	else if (a == 45)
		snprintf(rem, sizeof rem, "The client certificate has expired: "
		    "renew the clients' computer certificates (autoenrollment) "
		    "from %s.", issuer);
	else if (a == 44)
		snprintf(rem, sizeof rem, "The client certificate is revoked: "
		    "enroll a new computer certificate from %s.", issuer);
	else
		snprintf(rem, sizeof rem, "The CA %s must be trusted by the ADC "
		    "or server with its complete chain (root and intermediates "
		    "in the client SSL profile's trusted CA bundle); check that "
		    "the client certificate has the Client Authentication EKU, "
		    "is valid, and that the ADC can reach its CRL/OCSP.", issuer);
	fr[0] = tr->cert_request_frame;
	fr[1] = tr->client_cert_frame;
	fr[2] = fail;
	fr[3] = 0;
	snprintf(expl, sizeof expl, "The server (or the ADC doing IP-HTTPS "
	    "preauthentication) asked for a client certificate, the client "
	    "sent its computer certificate, and the server %s. %s The client "
	    "logs 0x80090326.", a >= 0 && a != 40 ? "refused it, the alert "
	    "naming why" : "ended the handshake right after it without "
	    "naming the certificate as the reason: a refused certificate is "
	    "the likely cause, though the client's CertificateVerify or key "
	    "exchange would end it the same way",
	    tr->n_ca_names == 0 ? "The request named no CA, so the capture "
	    "does not show which CAs the server trusts." : !listed ? "Its "
	    "issuer is not among the CAs the server named: the server does "
	    "not trust the CA that issued the clients' certificates." : "Its "
	    "issuer is among the CAs the server named, so that CA is known "
	    "there: the certificate itself (validity, Client Authentication "
	    "EKU, revocation, the intermediates) is the likely problem.");
	dt_verdict_add(ctx, &dt_rule_client_cert_rejected, c, conf,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", fr, 3, sum, expl, rem);
}

const struct dt_rule dt_rule_client_cert_rejected = {
	.id = "client-cert-rejected",
	.severity = DT_SEV_ERROR,
	.summary = "the client certificate was refused by the server",
	.check_conn = check,
};
