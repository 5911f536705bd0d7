/*
 * proxy-refused: the client reached for the IP-HTTPS server through a web
 * proxy ("CONNECT host:443", RFC 9110 9.3.6; [MS-IPHTTPS] 3.2.5.1: a client
 * behind a proxy first tunnels with CONNECT) and the proxy refused or
 * failed: a status >= 400 (407 authentication - IP-HTTPS runs as SYSTEM and
 * cannot answer it; 403 policy; 502/504 upstream failure), a reset, or no
 * answer, and no later CONNECT to the same target succeeded. R. Hicks (tag
 * powershell) and KB2980635 name proxy settings as the common cause of
 * 0x2af9 when the name resolves and TCP 443 works.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"

/* A later CONNECT to the same target succeeded: the last success to that
   target was asked after h (the list is in request order). */
static int
later_success(const struct dt_rule_ctx *ctx, const struct dt_http *h)
{
	const struct dt_http *o = dt_rule_index_connect_ok_last(&ctx->idx,
	    h->uri);

	return o != NULL && o != h && o->request_frame > h->request_frame;
}

static void
check(struct dt_rule_ctx *ctx)
{
	const struct dt_http *h;
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], how[256];
	const char *host;
	struct dt_conn *c;
	dt_confidence conf;
	uint64_t fr[3];

	for (h = ctx->cap->http; h != NULL; h = h->next) {
		if (h->method == NULL || strcmp(h->method, "CONNECT") != 0 ||
		    h->uri == NULL || (c = dt_rule_conn(ctx, h->conn)) == NULL ||
		    !(c->iphttps || ctx->cfg->all))
			continue;
		if (h->status >= 400) {
			conf = DT_CONF_HIGH;
			snprintf(how, sizeof how, "with \"%s\" (frame %llu)",
			    h->status_line != NULL ? h->status_line : "",
			    (unsigned long long)h->response_frame);
		} else if (h->status < 0 && (h->conn_reset || h->conn_no_answer)) {
			conf = DT_CONF_MEDIUM;
			if (h->conn_reset)
				snprintf(how, sizeof how, "by resetting the "
				    "connection (frame %llu)",
				    (unsigned long long)c->rst_frame);
			else
				snprintf(how, sizeof how, "with nothing");
		} else if (h->status < 0 && h->response_frame == 0) {
			conf = DT_CONF_LOW;
			snprintf(how, sizeof how, "with nothing before the "
			    "capture ended");
		} else
			continue;
		if (later_success(ctx, h))
			continue;
		host = ctx->cfg->host != NULL ? ctx->cfg->host : h->uri;
		snprintf(sum, sizeof sum, "The proxy at %s answered CONNECT %s "
		    "(frame %llu) %s", c->server_str, h->uri,
		    (unsigned long long)h->request_frame, how);
		if (h->status == 407)
			snprintf(rem, sizeof rem, "IP-HTTPS connects as SYSTEM "
			    "and cannot authenticate to the proxy: allow "
			    "unauthenticated CONNECT to %s on the proxy, or let "
			    "the clients bypass it for %s (netsh winhttp set "
			    "proxy ... bypass-list=\"%s\", or the proxy PAC "
			    "file).", h->uri, host, host);
		else if (h->status >= 500)
			snprintf(rem, sizeof rem, "The proxy could not reach %s: "
			    "check the proxy resolves the IP-HTTPS name and may "
			    "connect out to it on TCP 443.", h->uri);
		else
			snprintf(rem, sizeof rem, "Allow CONNECT to %s in the "
			    "proxy's policy (the IP-HTTPS host and port), or "
			    "let the clients bypass the proxy for %s (netsh "
			    "winhttp show proxy shows what the client uses).",
			    h->uri, host);
		fr[0] = h->request_frame;
		fr[1] = h->response_frame;
		/* how it ended without an answer: the reset, or who closed */
		fr[2] = h->status >= 0 ? 0 : h->conn_reset ? c->rst_frame :
		    c->fin_frame[DT_S2C] > h->request_frame ?
		    c->fin_frame[DT_S2C] : c->fin_frame[DT_C2S] >
		    h->request_frame ? c->fin_frame[DT_C2S] : 0;
		dt_verdict_add(ctx, &dt_rule_proxy_refused, c, conf, 0x2af9,
		    "WSAHOST_NOT_FOUND", fr, 3, sum,
		    "The client reaches the IP-HTTPS server through a web proxy, "
		    "and the proxy refused or failed the CONNECT, so no TLS "
		    "handshake with the DirectAccess server took place. The "
		    "client logs 0x2af9 although the name itself may resolve.",
		    rem);
	}
}

const struct dt_rule dt_rule_proxy_refused = {
	.id = "proxy-refused",
	.severity = DT_SEV_ERROR,
	.summary = "the web proxy refused or failed the CONNECT",
	.check_capture = check,
};
