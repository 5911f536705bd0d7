/*
 * ipsec-no-response: IKE or AuthIP requests from the client inside the
 * tunnel (UDP 500/4500; RFC 7296 2.1, RFC 2408, MS-AIPS) were never
 * answered, only retransmitted. The DirectAccess infrastructure tunnel
 * cannot form. Windows: ERROR_IPSEC_IKE_TIMED_OUT 13805 (0x35ED,
 * "Negotiation timed out").
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "rules/rules.h"
#include "tunnel/tunnel.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tunnel_facts *f = c->tunnel;
	const struct dt_tun_ike *k = NULL;
	char sum[DT_RULE_TEXT], who[64];
	const char *x;
	uint64_t fr[2];
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n_ike && k == NULL; i++)
		if (f->ike[i].initiator_dir == DT_C2S &&
		    f->ike[i].requests > 0 && f->ike[i].responses == 0)
			k = &f->ike[i];
	if (k == NULL)
		return;
	inet_ntop(AF_INET6, k->server.a, who, sizeof who);
	x = k->n_xchg > 0 ? dt_tun_ike_exchange_name(k->version, k->xchg[0]) :
	    NULL;
	fr[0] = k->first_frame;
	fr[1] = k->last_frame;
	snprintf(sum, sizeof sum, "%s %s request%s from the client to %s "
	    "(first in frame %llu) got no answer: %u request%s, %u "
	    "retransmission%s, last in frame %llu",
	    k->authip ? "AuthIP" : k->version == 2 ? "IKEv2" : "IKEv1",
	    x != NULL ? x : "", k->requests == 1 ? "" : "s", who,
	    (unsigned long long)k->first_frame, k->requests,
	    k->requests == 1 ? "" : "s", k->retransmissions,
	    k->retransmissions == 1 ? "" : "s",
	    (unsigned long long)k->last_frame);
	dt_verdict_add(ctx, &dt_rule_ipsec_no_response, c,
	    k->retransmissions > 0 ? DT_CONF_HIGH : DT_CONF_MEDIUM, 13805,
	    "ERROR_IPSEC_IKE_TIMED_OUT", fr, 2, sum,
	    "IP-HTTPS works and IPv6 flows, but the IPsec negotiation with the "
	    "DirectAccess server was never answered, so the infrastructure "
	    "tunnel (domain controllers, DNS, management) never forms.",
	    "Check on the DirectAccess server that the IKE and AuthIP IPsec "
	    "Keying Modules service runs and the DirectAccess connection "
	    "security rules exist (Get-NetIPsecRule -PolicyStore "
	    "ActiveStore); that nothing between the IP-HTTPS server and the "
	    "IPsec endpoint filters UDP 500/4500 inside the tunnel; and that "
	    "the client has a valid computer certificate and the current "
	    "DirectAccess policy (gpupdate, Get-DAClientExperienceConfiguration).");
}

const struct dt_rule dt_rule_ipsec_no_response = {
	.id = "ipsec-no-response",
	.severity = DT_SEV_ERROR,
	.summary = "IKE/AuthIP inside the tunnel never answered",
	.check_conn = check,
};
