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
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], cas[384], al[64];
	char expl[DT_RULE_TEXT];
	struct dt_text l;
	struct dt_verdict *v;
	uint64_t fr[3], fail = 0, cframe;
	int complete;
	size_t i;

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
		} else {
			if (c->fin_frame[DT_S2C] > cframe)
				fail = c->fin_frame[DT_S2C];
			if (c->rst_frame > cframe && c->rst_dir == DT_S2C &&
			    (fail == 0 || c->rst_frame < fail))
				fail = c->rst_frame;
		}
		if (fail == 0)
			return;		/* handshake-incomplete's case */
	}
	dt_text_init(&l, cas, sizeof cas);
	for (i = 0; i < tr->n_ca_names && i < 3 && l.n < sizeof cas - 1;
	    i++) {
		if (i > 0)
			dt_text_put(&l, "; ");
		dt_text_put(&l, tr->ca_names[i]);
	}
	if (tr->n_ca_names > 3 && l.n < sizeof cas - 1) {
		dt_text_put(&l, "; ... (");
		dt_text_u64(&l, tr->n_ca_names);
		dt_text_put(&l, " in all)");
	}
	fr[0] = tr->cert_request_frame;
	fr[1] = tr->client_cert_frame;
	fr[2] = fail;
	if (complete) {
		dt_text_init(&l, sum, sizeof sum);
		dt_text_put(&l, "The server asked for a client "
		    "certificate (frame ");
		dt_text_u64(&l, tr->cert_request_frame);
		dt_text_put(&l, "), the client sent none (frame ");
		dt_text_u64(&l, cframe);
		dt_text_put(&l, ") and the server completed the handshake "
		    "anyway");
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
	dt_text_init(&l, sum, sizeof sum);
	dt_text_put(&l, "The server asked for a client certificate "
	    "(CertificateRequest frame ");
	dt_text_u64(&l, tr->cert_request_frame);
	dt_text_put(&l, ", CAs: ");
	dt_text_put(&l, cas[0] != '\0' ? cas : "none named");
	dt_text_put(&l, t->client_cert == DT_CCERT_EMPTY ?
	    "), the client sent an empty Certificate (frame " :
	    "), the client sent no certificate (frame ");
	dt_text_u64(&l, cframe);
	dt_text_put(&l, ") and the server answered with ");
	/* how: a clause once cut at 127 bytes, which an alert's name (at
	   most 63) does not reach */
	if (t->alert_frame > cframe && t->alert_dir == DT_S2C &&
	    t->alert_desc != 0) {
		dt_text_put(&l, "a fatal ");
		dt_text_put(&l, dt_tls_alert_str(t->alert_desc, al,
		    sizeof al));
		dt_text_put(&l, " alert");
	} else
		dt_text_put(&l, fail == c->rst_frame ? "a TCP reset" :
		    "closing the connection");
	dt_text_put(&l, " (frame ");
	dt_text_u64(&l, fail);
	dt_text_put(&l, ")");
	dt_text_init(&l, rem, sizeof rem);
	dt_text_put(&l, "Give the clients a computer certificate "
	    "with the Client Authentication EKU issued by ");
	dt_text_put(&l, tr->n_ca_names > 0 ? "a CA named in the "
	    "CertificateRequest: " : "the CA the server trusts");
	dt_text_put(&l, tr->n_ca_names > 0 ? tr->ca_names[0] : "");
	dt_text_put(&l, " (certificate "
	    "autoenrollment GPO for the DirectAccess clients), or add the CA "
	    "that issues the clients' computer certificates to the trusted CA "
	    "list of the client SSL profile (F5: Client Authentication > "
	    "Trusted and Advertised Certificate Authorities; NetScaler: bind "
	    "the CA certificate to the vserver as a CA certificate).");
	dt_text_init(&l, expl, sizeof expl);
	dt_text_put(&l, "The server (or the ADC doing IP-HTTPS "
	    "preauthentication) requires a client certificate, and the "
	    "client ");
	dt_text_put(&l, tr->n_ca_names > 0 ?
	    "had none that chains to a CA the server named" : "had no usable "
	    "client certificate at all (the request named no CA, so any would "
	    "have been offered)");
	dt_text_put(&l, t->client_cert == DT_CCERT_EMPTY ?
	    ", so it sent an empty Certificate" : ", so it sent no Certificate");
	dt_text_put(&l, " and the server ended the handshake");
	dt_text_put(&l, t->alert_frame == fail ?
	    "" : " without saying why (no alert): the missing certificate is "
	    "the likely reason, not a proven one");
	dt_text_put(&l, ". The client logs 0x90320 "
	    "SEC_I_INCOMPLETE_CREDENTIALS.");
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
