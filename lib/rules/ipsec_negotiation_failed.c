/*
 * ipsec-negotiation-failed: an IKE/AuthIP message that is not encrypted
 * carries an error NOTIFY (RFC 7296 3.10.1 types below 16384, e.g. in the
 * IKE_SA_INIT response; RFC 2408 3.14.1 types below 8192 in a main mode
 * informational exchange): the peers disagree on proposals, identities or
 * credentials. Windows: ERROR_IPSEC_IKE_POLICY_MATCH 13868 (0x362C) for
 * NO_PROPOSAL_CHOSEN, ERROR_IPSEC_IKE_AUTH_FAIL 13801 (0x35E9) for
 * AUTHENTICATION_FAILED, none named for the others.
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
	char sum[DT_RULE_TEXT], who[64], num[16];
	const char *name, *x, *wname = NULL;
	uint32_t wcode = 0;
	uint64_t fr[2];
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n_ike && k == NULL; i++)
		if (f->ike[i].notify != 0)
			k = &f->ike[i];
	if (k == NULL)
		return;
	name = dt_tun_ike_notify_name(k->version, k->notify);
	if (name == NULL) {
		snprintf(num, sizeof num, "type %u", k->notify);
		name = num;
	}
	if (k->notify == 14) {
		wcode = 13868;
		wname = "ERROR_IPSEC_IKE_POLICY_MATCH";
	} else if (k->notify == 24) {
		wcode = 13801;
		wname = "ERROR_IPSEC_IKE_AUTH_FAIL";
	}
	x = dt_tun_ike_exchange_name(k->version, k->notify_exchange);
	inet_ntop(AF_INET6, k->notify_dir == DT_S2C ? k->server.a : k->client.a,
	    who, sizeof who);
	fr[0] = k->first_frame;
	fr[1] = k->notify_frame;
	snprintf(sum, sizeof sum, "%s negotiation failed: %s sent %s in %s "
	    "(frame %llu), %s",
	    k->authip ? "AuthIP" : k->version == 2 ? "IKEv2" : "IKEv1",
	    who, name, x != NULL ? x : "an exchange",
	    (unsigned long long)k->notify_frame,
	    k->notify_dir == DT_S2C ? "the DirectAccess side refused the "
	    "client's offer" : "the client refused the server's answer");
	dt_verdict_add(ctx, &dt_rule_ipsec_negotiation_failed, c, DT_CONF_HIGH,
	    wcode, wname, fr, 2, sum,
	    "The IPsec peers inside the IP-HTTPS tunnel talked but could not "
	    "agree: the error notification names why (NO_PROPOSAL_CHOSEN: no "
	    "common encryption/integrity/DH proposal; AUTHENTICATION_FAILED "
	    "or INVALID_ID_INFORMATION: certificates or identities; "
	    "TS_UNACCEPTABLE: traffic selectors). The infrastructure tunnel "
	    "does not form.",
	    "Compare the IPsec main and quick mode proposals and the "
	    "authentication of the DirectAccess client GPO with the server's "
	    "(Get-NetIPsecMainModeCryptoSet, Get-NetIPsecQuickModeCryptoSet, "
	    "Get-NetIPsecPhase1AuthSet -PolicyStore ActiveStore on both); "
	    "re-apply the DirectAccess GPOs after a change on the server, "
	    "and check the computer certificate chain for authentication "
	    "errors.");
}

const struct dt_rule dt_rule_ipsec_negotiation_failed = {
	.id = "ipsec-negotiation-failed",
	.severity = DT_SEV_ERROR,
	.summary = "an IKE/AuthIP error notification inside the tunnel",
	.check_conn = check,
};
