/*
 * ipsec-one-way: the IKE/AuthIP negotiation inside the tunnel was answered
 * and the client sends ESP (RFC 4303; or ESP in UDP 4500, RFC 3948), but
 * no ESP ever comes back: the server side, or a filter behind the IP-HTTPS
 * server, drops the protected traffic (or cannot decrypt it). Windows
 * logs no code for it: "none".
 */
#include <stdio.h>

#include "rules/rules.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tunnel_facts *f = c->tunnel;
	const struct dt_tun_ike *k = NULL;
	char sum[DT_RULE_TEXT];
	uint64_t fr[3];
	size_t i, spis = 0;

	if (f == NULL || f->esp_packets[DT_C2S] == 0 ||
	    f->esp_packets[DT_S2C] != 0)
		return;
	for (i = 0; i < f->n_ike && k == NULL; i++)
		if (f->ike[i].responses > 0)
			k = &f->ike[i];
	if (k == NULL)
		return;
	for (i = 0; i < f->n_esp; i++)
		spis += f->esp[i].dir == DT_C2S;
	fr[0] = k->first_response_frame;
	fr[1] = f->esp_first_frame[DT_C2S];
	fr[2] = f->dir[DT_S2C].last_frame;
	snprintf(sum, sizeof sum, "IPsec was negotiated (answer in frame "
	    "%llu) and the client sent %llu ESP packet%s on %zu SPI%s (first "
	    "in frame %llu), but no ESP came back",
	    (unsigned long long)k->first_response_frame,
	    (unsigned long long)f->esp_packets[DT_C2S],
	    f->esp_packets[DT_C2S] == 1 ? "" : "s", spis, spis == 1 ? "" : "s",
	    (unsigned long long)f->esp_first_frame[DT_C2S]);
	dt_verdict_add(ctx, &dt_rule_ipsec_one_way, c,
	    f->esp_packets[DT_C2S] > 2 ? DT_CONF_HIGH : DT_CONF_MEDIUM, 0,
	    NULL, fr, 3, sum,
	    "The IPsec tunnel was set up, but only the client's protected "
	    "packets travel: nothing protected returns, so DNS, domain "
	    "controllers and management servers behind DirectAccess stay "
	    "unreachable although the tunnel looks connected.",
	    "Look behind the IP-HTTPS server: a firewall or filter that drops "
	    "ESP (IP protocol 50) or UDP 4500 between the DirectAccess server "
	    "and its IPsec endpoint, the Windows Filtering Platform on the "
	    "server (netsh wfp show state, audit of dropped packets), or "
	    "security associations that no longer match (restart the IKE and "
	    "AuthIP IPsec Keying Modules service on the client).");
}

const struct dt_rule dt_rule_ipsec_one_way = {
	.id = "ipsec-one-way",
	.severity = DT_SEV_ERROR,
	.summary = "IPsec negotiated, the client's ESP never answered",
	.check_conn = check,
};
