/*
 * iphttps-http-refused: the IP-HTTPS POST was not answered by the tunnel.
 * MS-IPHTTPS 3.1.5.1 / 4.1: the client's "POST /IPHTTPS" with
 * Content-Length 18446744073709551615 is answered "HTTP/1.1 200 OK" and
 * from then on the response body carries IPv6 packets (3.1.5.3). A
 * non-2xx status (an ADC's 503, a web server's 404, a 401/403 from a
 * reverse proxy) or a 2xx whose body is not IPv6 means something other
 * than the IP-HTTPS server took the request. Readable only with a NULL
 * suite. Windows logs no specific code for it (the IP-HTTPS interface
 * stays in error): "none".
 */
#include <stdio.h>

#include "rules/rules.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_http *th = dt_tls_http(t);
	const struct dt_tunnel_facts *f = c->tunnel;
	char sum[DT_RULE_TEXT];
	uint64_t fr[3] = { th->request.frame, th->response.frame, 0 };
	int st = th->response.status;

	if (th->request.frame == 0 || th->response.frame == 0)
		return;
	if (st >= 200 && st <= 299) {
		if (f == NULL || f->answer_iphttps != 0)
			return;
		fr[2] = f->dir[DT_S2C].error_frame;
		snprintf(sum, sizeof sum, "The IP-HTTPS request \"%s\" (frame "
		    "%llu) was answered \"%s\" (frame %llu) but the answer's "
		    "body is not IPv6: %s (frame %llu)",
		    th->request.line != NULL ? th->request.line : "",
		    (unsigned long long)fr[0],
		    th->response.line != NULL ? th->response.line : "",
		    (unsigned long long)fr[1], f->dir[DT_S2C].error,
		    (unsigned long long)fr[2]);
	} else {
		snprintf(sum, sizeof sum, "The IP-HTTPS request \"%s\" (frame "
		    "%llu) was refused: \"%s\" (frame %llu, Server: %s)",
		    th->request.line != NULL ? th->request.line : "",
		    (unsigned long long)fr[0],
		    th->response.line != NULL ? th->response.line : "",
		    (unsigned long long)fr[1],
		    th->response.server != NULL ?
		    th->response.server : "none");
	}
	dt_verdict_add(ctx, &dt_rule_iphttps_http_refused, c, DT_CONF_HIGH, 0,
	    NULL, fr, 3, sum,
	    "TLS worked, but the HTTP request that opens the IP-HTTPS tunnel "
	    "was answered by something that is not the IP-HTTPS server: an "
	    "ADC or reverse proxy's error page, or a web server that has no "
	    "/IPHTTPS. No IPv6 packet can flow, so the IP-HTTPS interface "
	    "never gets an address.",
	    "Send the IP-HTTPS virtual server's traffic to the DirectAccess "
	    "servers without HTTP processing (TCP or SSL bridging, no HTTP "
	    "profile, no health-check page in its place), check that the pool "
	    "members are up (a 503 is the ADC's own answer when none is), and "
	    "that the IP-HTTPS URL's host and port reach the DirectAccess "
	    "server rather than a web site.");
}

const struct dt_rule dt_rule_iphttps_http_refused = {
	.id = "iphttps-http-refused",
	.severity = DT_SEV_ERROR,
	.summary = "the IP-HTTPS POST got a non-2xx or non-tunnel answer",
	.check_conn = check,
};
