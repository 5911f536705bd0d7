/*
 * tunnel-ok: the inside of the IP-HTTPS tunnel works end to end: a Router
 * Advertisement gave the client its prefix (RFC 4861), IKE/AuthIP was
 * answered (RFC 7296, RFC 2408, MS-AIPS) and ESP flows both ways
 * (RFC 4303). Information only.
 */
#include <stdio.h>

#include "rules/rules.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tunnel_facts *f = c->tunnel;
	const struct dt_tun_ike *k = NULL;
	char sum[DT_RULE_TEXT];
	uint64_t fr[4];
	size_t i;

	if (f == NULL || f->ra == 0 || f->esp_packets[DT_C2S] == 0 ||
	    f->esp_packets[DT_S2C] == 0)
		return;
	for (i = 0; i < f->n_ike && k == NULL; i++)
		if (f->ike[i].responses > 0 && f->ike[i].notify == 0)
			k = &f->ike[i];
	if (k == NULL)
		return;
	fr[0] = f->ra_frame;
	fr[1] = k->first_response_frame;
	fr[2] = f->esp_first_frame[DT_C2S];
	fr[3] = f->esp_first_frame[DT_S2C];
	snprintf(sum, sizeof sum, "The tunnel works: Router Advertisement "
	    "(frame %llu), %s answered (frame %llu), ESP both ways (%llu out "
	    "from frame %llu, %llu back from frame %llu)",
	    (unsigned long long)f->ra_frame,
	    k->authip ? "AuthIP" : k->version == 2 ? "IKEv2" : "IKEv1",
	    (unsigned long long)k->first_response_frame,
	    (unsigned long long)f->esp_packets[DT_C2S],
	    (unsigned long long)f->esp_first_frame[DT_C2S],
	    (unsigned long long)f->esp_packets[DT_S2C],
	    (unsigned long long)f->esp_first_frame[DT_S2C]);
	dt_verdict_add(ctx, &dt_rule_tunnel_ok, c, DT_CONF_HIGH, 0, NULL, fr, 4,
	    sum,
	    "Inside IP-HTTPS, the client got its IPv6 prefix, negotiated "
	    "IPsec with the DirectAccess server, and protected traffic flows "
	    "in both directions. The DirectAccess transport works; a remaining "
	    "problem is above it (name resolution policy, an application, a "
	    "server behind DirectAccess).",
	    "Nothing to change in the tunnel; check the NRPT (Get-DnsClientNrptPolicy) "
	    "and the application's own errors.");
}

const struct dt_rule dt_rule_tunnel_ok = {
	.id = "tunnel-ok",
	.severity = DT_SEV_INFO,
	.summary = "RA received, IPsec answered, ESP both ways",
	.check_conn = check,
};
