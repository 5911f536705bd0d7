/*
 * client-cert-missing: the server asked for a client certificate
 * (CertificateRequest, RFC 5246 7.4.4) and the client answered with an
 * empty Certificate (certificate_list of length 0, RFC 5246 7.4.6), or with
 * no Certificate at all / SSL 3.0's no_certificate alert (41). Schannel
 * sends an empty Certificate when none of the machine's certificates chains
 * to a CA named in the request; the client then logs
 * SEC_I_INCOMPLETE_CREDENTIALS (0x90320) (R. Hicks, tag
 * certificate-authentication; research note §1.2 and §1.4: IP-HTTPS
 * preauthentication on an ADC, F5 "Client Certificate = Require"). When the
 * server accepts the empty certificate and completes the handshake it only
 * requests, not requires, a certificate: the same id at info severity.
 */
#include <stdio.h>

#include "rules/rules.h"
#include "tls/tls.h"

static int
client_skipped_certificate(const struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	size_t i;

	if (t->alert_frame != 0 && t->alert_dir == DT_C2S &&
	    t->alert_desc == 41)
		return 1;
	for (i = 0; i < c->n_events; i++)
		if (c->events[i].type == DT_EV_TLS_HANDSHAKE &&
		    c->events[i].dir == DT_C2S &&
		    dt_ev_frame(c, &c->events[i]) > dt_tls_rare(t)->cert_request_frame &&
		    c->events[i].a == 16)	/* client_key_exchange */
			return 1;
	return 0;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], cas[384], how[128], al[64];
	char expl[DT_RULE_TEXT];
	struct dt_verdict *v;
	uint64_t fr[3], fail = 0, cframe;
	int complete;
	size_t i, k = 0;

	if (tr->cert_request_frame == 0)
		return;
	if (t->client_cert != DT_CCERT_EMPTY &&
	    !(t->client_cert == DT_CCERT_NONE && client_skipped_certificate(c)))
		return;
	cframe = tr->client_cert_frame != 0 ? tr->client_cert_frame :
	    tr->cert_request_frame;
	complete = dt_rule_hs_complete(c);
	if (!complete) {
		if (t->alert_frame > cframe && t->alert_dir == DT_S2C &&
		    t->alert_desc != 0) {
			fail = t->alert_frame;
			snprintf(how, sizeof how, "a fatal %s alert",
			    dt_tls_alert_str(t->alert_desc, al, sizeof al));
		} else {
			if (c->fin_frame[DT_S2C] > cframe)
				fail = c->fin_frame[DT_S2C];
			if (c->rst_frame > cframe && c->rst_dir == DT_S2C &&
			    (fail == 0 || c->rst_frame < fail))
				fail = c->rst_frame;
			snprintf(how, sizeof how, "%s",
			    fail == c->rst_frame ? "a TCP reset" :
			    "closing the connection");
		}
		if (fail == 0)
			return;		/* handshake-incomplete's case */
	}
	cas[0] = '\0';
	for (i = 0; i < tr->n_ca_names && i < 3 && k < sizeof cas - 1; i++)
		k += (size_t)snprintf(cas + k, sizeof cas - k, "%s%s",
		    i ? "; " : "", tr->ca_names[i]);
	if (tr->n_ca_names > 3 && k < sizeof cas - 1)
		snprintf(cas + k, sizeof cas - k, "; ... (%zu in all)",
		    (size_t)tr->n_ca_names);
	fr[0] = tr->cert_request_frame;
	fr[1] = tr->client_cert_frame;
	fr[2] = fail;
	if (complete) {
		snprintf(sum, sizeof sum, "The server asked for a client "
		    "certificate (frame %llu), the client sent none (frame "
		    "%llu) and the server completed the handshake anyway",
		    (unsigned long long)tr->cert_request_frame,
		    (unsigned long long)cframe);
		v = dt_verdict_add(ctx, &dt_rule_client_cert_missing, c,
		    DT_CONF_HIGH, 0, NULL, fr, 3, sum,
		    "The server requests but does not require a client "
		    "certificate, so IP-HTTPS preauthentication is not "
		    "enforced: any device can reach the IP-HTTPS interface.",
		    "If IP-HTTPS preauthentication is intended, set the client "
		    "SSL profile's Client Certificate to Require (F5) or the "
		    "vserver's Client Authentication to Mandatory (NetScaler).");
		if (v != NULL)
			v->severity = DT_SEV_INFO;
		return;
	}
	snprintf(sum, sizeof sum, "The server asked for a client certificate "
	    "(CertificateRequest frame %llu, CAs: %s), the client sent %s "
	    "(frame %llu) and the server answered with %s (frame %llu)",
	    (unsigned long long)tr->cert_request_frame,
	    cas[0] != '\0' ? cas : "none named",
	    t->client_cert == DT_CCERT_EMPTY ? "an empty Certificate" :
	    "no certificate", (unsigned long long)cframe, how,
	    (unsigned long long)fail);
	snprintf(rem, sizeof rem, "Give the clients a computer certificate "
	    "with the Client Authentication EKU issued by %s%s (certificate "
	    "autoenrollment GPO for the DirectAccess clients), or add the CA "
	    "that issues the clients' computer certificates to the trusted CA "
	    "list of the client SSL profile (F5: Client Authentication > "
	    "Trusted and Advertised Certificate Authorities; NetScaler: bind "
	    "the CA certificate to the vserver as a CA certificate).",
	    tr->n_ca_names > 0 ? "a CA named in the CertificateRequest: " :
	    "the CA the server trusts",
	    tr->n_ca_names > 0 ? tr->ca_names[0] : "");
	snprintf(expl, sizeof expl, "The server (or the ADC doing IP-HTTPS "
	    "preauthentication) requires a client certificate, and the client "
	    "%s, so it sent %s and the server ended the handshake%s. The client "
	    "logs 0x90320 SEC_I_INCOMPLETE_CREDENTIALS.", tr->n_ca_names > 0 ?
	    "had none that chains to a CA the server named" : "had no usable "
	    "client certificate at all (the request named no CA, so any would "
	    "have been offered)", t->client_cert == DT_CCERT_EMPTY ?
	    "an empty Certificate" : "no Certificate", t->alert_frame == fail ?
	    "" : " without saying why (no alert): the missing certificate is "
	    "the likely reason, not a proven one");
	dt_verdict_add(ctx, &dt_rule_client_cert_missing, c,
	    t->alert_frame == fail ? DT_CONF_HIGH : DT_CONF_MEDIUM,
	    0x90320, "SEC_I_INCOMPLETE_CREDENTIALS", fr, 3, sum, expl, rem);
}

const struct dt_rule dt_rule_client_cert_missing = {
	.id = "client-cert-missing",
	.severity = DT_SEV_ERROR,
	.summary = "CertificateRequest answered with an empty Certificate",
	.check_conn = check,
};
