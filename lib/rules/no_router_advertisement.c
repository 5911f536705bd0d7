/*
 * no-router-advertisement: inside a working IP-HTTPS tunnel the client sent
 * Router Solicitations (RFC 4861 6.3.7; MS-IPHTTPS 3.2.5.2.2 says the
 * server must let them through) and no Router Advertisement came back.
 * Without the RA's prefix (RFC 4862 5.5.3) the IP-HTTPS interface has no
 * global IPv6 address, so nothing of DirectAccess can follow. A host
 * waits RTR_SOLICITATION_INTERVAL (4 s, RFC 4861 10) between solicitations:
 * one RS in a connection that ended sooner is not judged. Windows logs no
 * error code for it: "none".
 */
#include "rules/rules.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tunnel_facts *f = c->tunnel;
	char sum[DT_RULE_TEXT];
	struct dt_text l;
	uint64_t fr[2];

	if (f == NULL || f->rs == 0 || f->ra != 0 ||
	    (f->rs < 2 && c->last_time - f->rs_time < (int64_t)4000000000))
		return;
	fr[0] = f->rs_frame;
	fr[1] = f->dir[DT_C2S].last_frame;
	dt_text_init(&l, sum, sizeof sum);
	dt_text_put(&l, "The client sent ");
	dt_text_u64(&l, f->rs);
	dt_text_put(&l, f->rs == 1 ? " Router Solicitation" :
	    " Router Solicitations");
	dt_text_put(&l, " through the tunnel (first in frame ");
	dt_text_u64(&l, f->rs_frame);
	dt_text_put(&l, ") and no Router Advertisement came back (");
	dt_text_u64(&l, f->dir[DT_S2C].packets);
	dt_text_put(&l, f->dir[DT_S2C].packets == 1 ?
	    " inner packet from the server)" :
	    " inner packets from the server)");
	dt_verdict_add(ctx, &dt_rule_no_router_advertisement, c,
	    f->rs > 1 ? DT_CONF_HIGH : DT_CONF_MEDIUM, 0, NULL, fr, 2, sum,
	    "The IP-HTTPS tunnel is up, but the server never advertised the "
	    "IP-HTTPS prefix, so the client's IP-HTTPS interface has no "
	    "global IPv6 address and DirectAccess cannot reach anything "
	    "through it.",
	    "On the DirectAccess server, check that the IP-HTTPS interface "
	    "advertises its prefix (netsh interface ipv6 show interface "
	    "\"IPHTTPSInterface\" level=verbose: Advertising Enabled, "
	    "Forwarding Enabled; Get-NetIPHttpsConfiguration), that the "
	    "prefix is published (Get-RemoteAccess, Set-DAServer "
	    "-ClientIPv6Prefix) and that the Remote Access services run.");
}

const struct dt_rule dt_rule_no_router_advertisement = {
	.id = "no-router-advertisement",
	.severity = DT_SEV_ERROR,
	.summary = "Router Solicitation in the tunnel, no Router Advertisement",
	.check_conn = check,
};
