/*
 * wrong-server: something other than the DirectAccess server (or its ADC)
 * answered on the IP-HTTPS port. Wire shapes (research note §1.2, "Other
 * failure shapes"): non-TLS bytes in reply to the ClientHello (a plain HTTP
 * server: "HTTP/1.1 400 Bad Request" [lab s09]); a device's own
 * self-signed administration certificate (a firewall or router whose web
 * GUI or SSL VPN listens on 443 after a NAT/port-forward mistake); a
 * certificate that is neither --expect-cert nor covers the host name
 * [lab s11]; or, readable thanks to the NULL cipher, an HTTP reply to the
 * IP-HTTPS POST that is not the tunnel's "HTTP/1.1 200 OK" with
 * "Server: Microsoft-HTTPAPI/2.0" ([MS-IPHTTPS] 3.1.5.1). Schannel reports
 * 0x80090326 for the TLS shapes.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"
#include "x509/x509.h"

/* Subject/issuer fragments of devices' own certificates. */
static const char *const device_names[] = {
	"fortinet", "fortigate", "sonicwall", "pfsense", "opnsense",
	"mikrotik", "routeros", "ubiquiti", "unifi", "edgeos", "cisco",
	"meraki", "palo alto", "paloalto", "watchguard", "sophos",
	"cyberoam", "zyxel", "draytek", "netgear", "tp-link", "d-link",
	"juniper", "check point", "checkpoint", "barracuda", "untangle",
	"openwrt", "lancom", "huawei", "synology", "qnap", "idrac",
	"integrated lights-out", "vmware", "localhost", "localdomain",
	"default", "self-signed", "selfsigned", "snakeoil",
};

static int
device_like(const struct dt_cert *x)
{
	size_t i;

	for (i = 0; i < sizeof device_names / sizeof device_names[0]; i++)
		if (dt_rule_contains(x->subject, device_names[i]) ||
		    dt_rule_contains(x->issuer, device_names[i]))
			return 1;
	return 0;
}

/* 1: a device's self-signed certificate; 2: not --expect-cert and not
   covering the host (3: no host to check). */
int
dt_rule_foreign_cert(const struct dt_rule_ctx *ctx, const struct dt_conn *c)
{
	const struct dt_cert *leaf = dt_rule_leaf(c);
	const char *host = dt_rule_host(ctx, c), *expected;
	int covers = -1;

	if (leaf == NULL)
		return 0;
	/* whether the leaf covers the host is asked only when the answer
	   matters: three rules ask this of every judged connection, and
	   the RFC 6125 match is the dearest part */
	if (leaf->self_signed && device_like(leaf)) {
		covers = host != NULL && dt_x509_matches_host(leaf, host);
		if (!covers)
			return 1;
	}
	expected = ctx->cfg->x509 != NULL ?
	    dt_x509_ctx_expected(ctx->cfg->x509) : NULL;
	if (expected != NULL && !dt_rule_streq(expected, leaf->sha256)) {
		if (covers < 0)
			covers = host != NULL &&
			    dt_x509_matches_host(leaf, host);
		if (!covers)
			return host != NULL ? 2 : 3;
	}
	return 0;
}

static int
is_tunnel_reply(const struct dt_http_msg *r)
{
	return r->status == 200 && r->server != NULL &&
	    dt_rule_contains(r->server, "Microsoft-HTTPAPI/2.0");
}

/* The non-TLS shape, told in the order the capture shows it: a reply to
   the ClientHello, or a greeting before it (the server spoke first), and a
   refused upgrade when the client asked for TLS in that protocol. */
static void
nontls_summary(const struct dt_conn *c, char *sum, size_t n, uint64_t *fr)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	const char *line = tr->non_tls_line != NULL ? tr->non_tls_line : "";
	unsigned long long ch = t->ch_frame, nt = tr->non_tls_frame;
	size_t k;

	fr[0] = tr->non_tls_frame;
	fr[1] = tr->preamble_refused_frame;
	fr[2] = t->ch_frame;
	if (c->rst_frame > t->ch_frame && c->rst_dir == DT_S2C)
		fr[3] = c->rst_frame;
	if (t->ch_frame != 0 && tr->non_tls_frame > t->ch_frame) {
		snprintf(sum, n, "%s answered the ClientHello (frame %llu) "
		    "with non-TLS bytes (frame %llu): \"%s\"", c->server_str,
		    ch, nt, line);
		return;
	}
	if (!c->roles_from_syn)		/* who spoke first is not seen */
		k = (size_t)snprintf(sum, n, "%s sent bytes that are not "
		    "TLS: \"%s\" (frame %llu; the capture began inside this "
		    "connection, and no TLS records follow in what it sent)",
		    c->server_str, line, nt);
	else
		k = (size_t)snprintf(sum, n, "%s spoke first, and not TLS: "
		    "\"%s\" (frame %llu)", c->server_str, line, nt);
	if (k < n && tr->preamble_refused_frame != 0)
		k += (size_t)snprintf(sum + k, n - k, "; the client asked it "
		    "to switch to TLS (frame %llu) and it refused (frame %llu: "
		    "\"%s\")", (unsigned long long)tr->preamble_asked_frame,
		    (unsigned long long)tr->preamble_refused_frame,
		    tr->preamble_refused_line != NULL ?
		    tr->preamble_refused_line : "");
	if (k < n && t->ch_frame != 0 && fr[3] != 0)
		k += (size_t)snprintf(sum + k, n - k, "; the client's "
		    "ClientHello (frame %llu) was answered by a reset (frame "
		    "%llu)", ch, (unsigned long long)fr[3]);
	else if (k < n && t->ch_frame != 0)
		k += (size_t)snprintf(sum + k, n - k, "; no TLS came back "
		    "after the client's ClientHello (frame %llu)", ch);
	if (k < n && tr->preamble_asked_frame != 0)
		snprintf(sum + k, n - k, ". The client itself spoke that "
		    "protocol first, which the Windows IP-HTTPS client never "
		    "does: this may be another application's connection to "
		    "that address, not an IP-HTTPS attempt");
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	const struct dt_tls_http *th = dt_tls_http(t);
	const struct dt_cert *leaf = dt_rule_leaf(c);
	const char *host = dt_rule_host(ctx, c);
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT];
	const char *expl = "The service that answered on the IP-HTTPS address "
	    "and port is not the DirectAccess server: it presents another "
	    "certificate. The client cannot build the tunnel and logs "
	    "0x80090326.";
	dt_confidence conf = DT_CONF_HIGH;
	uint64_t fr[4] = { 0, 0, 0, 0 };
	int kind;

	if (tr->non_tls_frame != 0 && tr->non_tls_dir == DT_S2C) {
		nontls_summary(c, sum, sizeof sum, fr);
		/* the client itself spoke plaintext first and asked for TLS
		   in it: the Windows IP-HTTPS client never does that */
		if (tr->preamble_asked_frame != 0)
			conf = DT_CONF_MEDIUM;
		expl = "The service that answered on the IP-HTTPS address and "
		    "port is not the DirectAccess server: it speaks another "
		    "protocol. The client cannot build the tunnel and logs "
		    "0x80090326.";
	} else if ((kind = dt_rule_foreign_cert(ctx, c)) != 0) {
		fr[0] = t->server_cert_frame;
		if (kind == 1)
			snprintf(sum, sizeof sum, "%s presented a device's own "
			    "self-signed certificate (frame %llu, subject %s)%s%s",
			    c->server_str,
			    (unsigned long long)t->server_cert_frame,
			    leaf->subject != NULL ? leaf->subject : "?",
			    host != NULL ? " that does not cover " : "",
			    host != NULL ? host : "");
		else {
			snprintf(sum, sizeof sum, "%s presented a certificate "
			    "(frame %llu, subject %s, issued by %s, SHA-256 "
			    "%.16s...) that is not the expected DirectAccess "
			    "certificate%s%s", c->server_str,
			    (unsigned long long)t->server_cert_frame,
			    leaf->subject != NULL ? leaf->subject : "?",
			    leaf->issuer != NULL ? leaf->issuer : "?",
			    leaf->sha256, host != NULL ?
			    " and does not cover " : "",
			    host != NULL ? host : "");
			if (kind == 3)
				conf = DT_CONF_MEDIUM;
		}
	} else if (th->response.frame != 0 && th->request.frame != 0 &&
	    t->sh_frame != 0 && !is_tunnel_reply(&th->response) &&
	    (c->tunnel == NULL || c->tunnel->answer_iphttps != 1)) {
		/* a tunnel whose IPv6 flows both ways is the IP-HTTPS server,
		   whatever its Server header says */
		fr[0] = th->request.frame;
		fr[1] = th->response.frame;
		expl = "The reply to the IP-HTTPS request did not come from "
		    "the IP-HTTPS listener: either an ADC or reverse proxy in "
		    "front of it answered for it (its own error page, e.g. when "
		    "no pool member is up), or another web server has the "
		    "address and port. The client cannot build the tunnel and "
		    "logs 0x80090326.";
		snprintf(sum, sizeof sum, "The reply to the IP-HTTPS request "
		    "\"%s\" (frame %llu) is \"%s\" (frame %llu, Server: %s), "
		    "not the tunnel's 200 OK from Microsoft-HTTPAPI/2.0",
		    th->request.line != NULL ? th->request.line : "",
		    (unsigned long long)th->request.frame,
		    th->response.line != NULL ? th->response.line : "",
		    (unsigned long long)th->response.frame,
		    th->response.server != NULL ?
		    th->response.server : "none");
	} else
		return;
	snprintf(rem, sizeof rem, "Check the NAT / port-forward / load-balancer "
	    "rule for %s: TCP %u must reach the DirectAccess server's IP-HTTPS "
	    "listener (or the ADC virtual server in front of it), not another "
	    "service; move the device's own web administration or SSL VPN off "
	    "that address and port, and check the IP-HTTPS URL resolves to the "
	    "right address.", c->server_str, c->server_port);
	dt_verdict_add(ctx, &dt_rule_wrong_server, c, conf, 0x80090326,
	    "SEC_E_ILLEGAL_MESSAGE", fr, 4, sum, expl, rem);
}

const struct dt_rule dt_rule_wrong_server = {
	.id = "wrong-server",
	.severity = DT_SEV_ERROR,
	.summary = "something other than the DirectAccess server answered",
	.check_conn = check,
};
