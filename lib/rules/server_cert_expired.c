/*
 * server-cert-expired: the capture time of the handshake is outside the
 * validity of a server certificate (RFC 5280 4.1.2.5), or the client sent
 * certificate_expired (45) after the server's Certificate (OpenSSL clients
 * do [lab s07]). R. Hicks, "DirectAccess expired IP-HTTPS certificate and
 * error 0x800b0101" (2016): the IP-HTTPS certificate expired and was not
 * renewed; a browser cannot show it, the capture can. A "not yet valid"
 * certificate usually means the client's (or capture host's) clock is
 * wrong. Client error 0x800b0101 CERT_E_EXPIRED.
 */
#include <stdio.h>
#include <time.h>

#include "rules/rules.h"

static void
fmt_time(int64_t s, char *buf, size_t n)
{
	time_t tt = (time_t)s;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "%lld", (long long)s);
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_cert *x = NULL;
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], when_s[40], lim[40];
	char expl[DT_RULE_TEXT], react[160];
	uint64_t seen;
	int how;
	int64_t when = (t->ch_time != 0 ? t->ch_time : c->first_time) /
	    1000000000;
	uint64_t fr[2] = { t->server_cert_frame, 0 };
	int alert, early = 0;
	size_t i;

	if (t->server_cert_frame == 0 || dt_rule_inspected(ctx, c, NULL) ||
	    dt_rule_foreign_cert(ctx, c))
		return;
	for (i = 0; i < t->n_server_certs && x == NULL; i++) {
		const struct dt_cert *y = &t->server_certs[i];

		if (y->parse_error != NULL || y->not_after == 0)
			continue;
		if (when > y->not_after)
			x = y;
		else if (when < y->not_before)
			x = y, early = 1;
	}
	alert = t->alert_frame > t->server_cert_frame &&
	    t->alert_dir == DT_C2S && t->alert_desc == 45;
	if (alert)
		fr[1] = t->alert_frame;
	if (x != NULL) {
		/* formatted only for the verdict: every IP-HTTPS connection
		   with a certificate comes here */
		fmt_time(when, when_s, sizeof when_s);
		fmt_time(early ? x->not_before : x->not_after, lim, sizeof lim);
		snprintf(sum, sizeof sum, "The server certificate %s (frame "
		    "%llu) %s %s, but the handshake is from %s%s",
		    x->subject != NULL ? x->subject : "?",
		    (unsigned long long)t->server_cert_frame,
		    early ? "is valid only from" : "expired on", lim, when_s,
		    alert ? "; the client answered certificate_expired" : "");
	} else if (alert) {
		snprintf(sum, sizeof sum, "The client answered the server's "
		    "certificate (frame %llu) with a fatal certificate_expired "
		    "(45) alert (frame %llu)",
		    (unsigned long long)t->server_cert_frame,
		    (unsigned long long)t->alert_frame);
	} else
		return;
	snprintf(rem, sizeof rem, "%sRenew %s%s%s and bind the new "
	    "certificate: Remote Access Management > Configuration > Remote "
	    "Access Server > Network Adapters (or Set-RemoteAccess "
	    "-SslCertificate); where an ADC terminates IP-HTTPS, replace it in "
	    "the client SSL profile / vserver certificate binding too.",
	    early ? "Check the client's clock (and the capture host's) first. "
	    : "", x != NULL && x != &t->server_certs[0] ?
	    "the expired intermediate certificate of the IP-HTTPS chain" :
	    "the IP-HTTPS certificate",
	    x != NULL && x->subject != NULL ? ", " : "",
	    x != NULL && x->subject != NULL ? x->subject : "");
	how = dt_rule_cert_reaction(c, react, sizeof react, &seen);
	if (fr[1] == 0)
		fr[1] = seen;
	snprintf(expl, sizeof expl, "A certificate the server presented for "
	    "IP-HTTPS is %s at the time of the handshake by the capture's "
	    "clock; here %s. A Windows client rejects such a certificate and "
	    "logs 0x800b0101. A browser does not show the IP-HTTPS "
	    "certificate; the capture does.", x == NULL ? "outside its "
	    "validity period, as the client's certificate_expired alert says" :
	    early ? "not yet valid" : "past its expiry date", react);
	dt_verdict_add(ctx, &dt_rule_server_cert_expired, c,
	    x == NULL ? DT_CONF_MEDIUM : how == DT_CERT_COMPLETED ?
	    DT_CONF_MEDIUM : DT_CONF_HIGH, 0x800b0101, "CERT_E_EXPIRED", fr,
	    2, sum, expl, rem);
}

const struct dt_rule dt_rule_server_cert_expired = {
	.id = "server-cert-expired",
	.severity = DT_SEV_ERROR,
	.summary = "the server certificate is outside its validity",
	.check_conn = check,
};
