/*
 * server-cert-untrusted: the server's chain does not lead to a root the
 * client trusts. Evidence, strongest first: the chain does not verify
 * against the trust anchors given with --ca (x509/ sets tls.chain); the
 * client aborted right after the server's Certificate/ServerHelloDone with
 * unknown_ca (48), bad_certificate (42) or certificate_unknown (46)
 * (RFC 5246 7.2.2; OpenSSL clients send 48 [lab s06]); or the client
 * closed silently at that point with nothing else to explain it (low
 * confidence: a failed revocation check looks the same). Causes (R. Hicks,
 * "Troubleshooting DirectAccess IP-HTTPS error code 0x800b0109", 2017;
 * KB2980667): an internal-PKI certificate on clients provisioned by
 * Offline Domain Join without /rootcacerts, a renewed self-signed IP-HTTPS
 * certificate, missing intermediates. Client error 0x800b0109.
 */
#include <stdio.h>

#include "rules/rules.h"
#include "tls/tls.h"
#include "x509/x509.h"

static int
expired_at_handshake(const struct dt_conn *c)
{
	const struct dt_cert *leaf = dt_rule_leaf(c);
	int64_t when = (c->tls->ch_time != 0 ? c->tls->ch_time : c->first_time) /
	    1000000000;

	return leaf != NULL && when != 0 &&
	    (when < leaf->not_before || when > leaf->not_after);
}

/* The client said nothing after the server's flight and closed. */
static uint64_t
client_walked_away(const struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	uint64_t after = t->server_hello_done_frame != 0 ?
	    t->server_hello_done_frame : t->server_cert_frame;
	uint64_t f = 0;
	size_t i;

	if (after == 0 || dt_tls_rare(t)->client_cert_frame != 0 ||
	    t->ccs_frame[DT_C2S] != 0 || t->alert_frame != 0)
		return 0;
	for (i = 0; i < c->n_events; i++)
		if ((c->events[i].type == DT_EV_TLS_HANDSHAKE ||
		    c->events[i].type == DT_EV_TLS_RECORD) &&
		    c->events[i].dir == DT_C2S && dt_ev_frame(c, &c->events[i]) > after)
			return 0;	/* it did something else (a heartbeat) */
	if (c->fin_frame[DT_C2S] > after)
		f = c->fin_frame[DT_C2S];
	if (c->rst_frame > after && c->rst_dir == DT_C2S &&
	    (f == 0 || c->rst_frame < f))
		f = c->rst_frame;
	/* the server must not have closed first */
	if (f != 0 && ((c->fin_frame[DT_S2C] != 0 && c->fin_frame[DT_S2C] < f) ||
	    (c->rst_frame != 0 && c->rst_dir == DT_S2C && c->rst_frame < f)))
		return 0;
	return f;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	const struct dt_cert *leaf = dt_rule_leaf(c), *top;
	const char *host = dt_rule_host(ctx, c);
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], al[64];
	int anchors = ctx->cfg->x509 != NULL &&
	    dt_x509_ctx_has_anchors(ctx->cfg->x509);
	size_t k;
	dt_confidence conf;
	uint64_t fr[2] = { t->server_cert_frame, 0 };

	if (t->server_cert_frame == 0 || dt_rule_inspected(ctx, c, NULL) ||
	    dt_rule_foreign_cert(ctx, c))
		return;
	top = leaf != NULL ? &t->server_certs[t->n_server_certs - 1] : NULL;
	if (leaf != NULL && (t->chain == DT_CHAIN_UNTRUSTED ||
	    t->chain == DT_CHAIN_BAD)) {
		conf = DT_CONF_HIGH;
		snprintf(sum, sizeof sum, "The server's chain (frame %llu, "
		    "leaf %s issued by %s) %s the --ca trust anchors%s%s",
		    (unsigned long long)t->server_cert_frame,
		    leaf->subject != NULL ? leaf->subject : "?",
		    leaf->issuer != NULL ? leaf->issuer : "?",
		    t->chain == DT_CHAIN_BAD ? "is broken and does not verify "
		    "against" : "does not chain to",
		    tr->chain_error != NULL ? ": " : "",
		    tr->chain_error != NULL ? tr->chain_error : "");
		if (t->alert_frame > t->server_cert_frame &&
		    t->alert_dir == DT_C2S)
			fr[1] = t->alert_frame;
	} else if (t->alert_frame > t->server_cert_frame &&
	    t->alert_dir == DT_C2S && (t->alert_desc == 48 ||
	    t->alert_desc == 42 || t->alert_desc == 46) &&
	    (t->ccs_frame[DT_C2S] == 0 ||
	    t->ccs_frame[DT_C2S] > t->alert_frame) &&
	    !expired_at_handshake(c) && !(leaf != NULL && host != NULL &&
	    !dt_x509_matches_host(leaf, host))) {
		/* unknown_ca names the cause; the other two also stand for
		   other certificate problems. Without --ca the chain itself
		   was not checked. */
		conf = t->alert_desc == 48 && anchors &&
		    t->chain != DT_CHAIN_OK ? DT_CONF_HIGH : DT_CONF_MEDIUM;
		fr[1] = t->alert_frame;
		k = (size_t)snprintf(sum, sizeof sum, "The client refused the "
		    "server's certificate (frame %llu%s%s) with a fatal %s "
		    "alert (frame %llu)",
		    (unsigned long long)t->server_cert_frame,
		    leaf != NULL && leaf->issuer != NULL ? ", issued by " : "",
		    leaf != NULL && leaf->issuer != NULL ? leaf->issuer : "",
		    dt_tls_alert_str(t->alert_desc, al, sizeof al),
		    (unsigned long long)t->alert_frame);
		if (k < sizeof sum && t->alert_desc != 48)
			k += (size_t)snprintf(sum + k, sizeof sum - k, "; that "
			    "alert also stands for other certificate problems "
			    "(a revocation check that failed, a key usage or "
			    "name the client rejects)");
		if (k < sizeof sum && !anchors)
			snprintf(sum + k, sizeof sum - k, "; no --ca was given, "
			    "so the chain was not checked against the clients' "
			    "root");
	} else if (!dt_rule_hs_complete(c) && (fr[1] = client_walked_away(c))
	    != 0 && !expired_at_handshake(c) && !dt_rule_crl_failed(ctx, c) &&
	    !(leaf != NULL && host != NULL &&
	    !dt_x509_matches_host(leaf, host))) {
		conf = DT_CONF_LOW;
		snprintf(sum, sizeof sum, "The client closed the connection "
		    "(frame %llu) right after the server's certificate (frame "
		    "%llu%s%s) without an alert: it may not trust the chain, "
		    "or it could not check revocation, or it gave up for a "
		    "reason of its own%s", (unsigned long long)fr[1],
		    (unsigned long long)t->server_cert_frame,
		    leaf != NULL && leaf->issuer != NULL ? ", issued by " : "",
		    leaf != NULL && leaf->issuer != NULL ? leaf->issuer : "",
		    anchors ? "" : "; no --ca was given, so the chain was not "
		    "checked against the clients' root");
	} else
		return;
	snprintf(rem, sizeof rem, "%s the root CA %s in the clients' "
	    "Trusted Root Certification Authorities store (GPO; for Offline "
	    "Domain Join provision with djoin /rootcacerts), make the server or "
	    "ADC send the intermediate certificates with the IP-HTTPS "
	    "certificate, or replace the IP-HTTPS certificate with one from a "
	    "CA the clients trust (KB2980667).", anchors ||
	    t->chain == DT_CHAIN_UNTRUSTED || t->chain == DT_CHAIN_BAD ?
	    "Install" : "First check the chain against the clients' root "
	    "(datrace --ca ROOT.pem, or certutil -verify on a client); if it "
	    "does not verify, install",
	    top != NULL && top->issuer != NULL ? top->issuer :
	    "that issued the server's chain");
	dt_verdict_add(ctx, &dt_rule_server_cert_untrusted, c, conf,
	    0x800b0109, "CERT_E_UNTRUSTEDROOT", fr, 2, sum,
	    "The IP-HTTPS certificate does not chain to a root the client "
	    "trusts, so Schannel aborts the handshake and the client logs "
	    "0x800b0109. Typical after an internal-PKI certificate reaches "
	    "clients that lack the root (Offline Domain Join, new PKI), or "
	    "when a self-signed IP-HTTPS certificate was renewed.", rem);
}

const struct dt_rule dt_rule_server_cert_untrusted = {
	.id = "server-cert-untrusted",
	.severity = DT_SEV_ERROR,
	.summary = "the server chain does not lead to a trusted root",
	.check_conn = check,
};
