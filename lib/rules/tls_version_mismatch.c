/*
 * tls-version-mismatch: the two sides share no TLS version. Wire shapes:
 * a protocol_version alert (70, RFC 5246 E.1 / RFC 8446 4.2.1) from either
 * side, typically the server's answer to the ClientHello; or a ServerHello
 * whose version the client never offered (legacy version or
 * supported_versions). The NetScaler write-up cited in the research note
 * §1.3 (franken.pro, "DirectAccess load balancer configuration") warns that
 * disabling TLS 1.0-1.2 on the vserver breaks Windows 8/10 clients. NULL
 * suites exist in TLS 1.0 to 1.2 (TLS_RSA_WITH_NULL_SHA 0x0002 since
 * SSL 3.0, TLS_RSA_WITH_NULL_SHA256 0x003B in TLS 1.2 alone, RFC 5246
 * A.5) and not in TLS 1.3 (RFC 8446 B.4 defines none); research note
 * §1.3. Schannel logs 0x80090326. The texts say only what the capture
 * shows: who refused, what the client offered; the remedy follows the
 * client's highest version.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"
#include "tls/tls.h"

/* Without supported_versions (RFC 8446 4.2.1) the legacy version is the
   highest the client accepts, and every lower one down to SSL 3.0 too
   (RFC 5246 E.1); with it, exactly the listed ones. */
static int
offered(const struct dt_tls_facts *t, uint16_t v)
{
	size_t i;
	int listed = 0;

	/* what the client named itself (an SSLv2 CLIENT-HELLO's 0x0002 too) */
	for (i = 0; i < dt_tls_hello(t)->n_client_versions; i++)
		if (dt_tls_hello(t)->client_versions[i] == v)
			return 1;
	for (i = 0; i < dt_tls_hello(t)->n_extensions; i++)
		if (dt_tls_hello(t)->extensions[i] == 43)	/* supported_versions */
			listed = 1;
	if (!listed || dt_tls_hello(t)->n_client_versions == 0)
		return dt_tls_hello(t)->ch_legacy_version == 0 ||
		    (v >= 0x0300 && v <= dt_tls_hello(t)->ch_legacy_version);
	for (i = 0; i < dt_tls_hello(t)->n_client_versions; i++)
		if (dt_tls_hello(t)->client_versions[i] == v)
			return 1;
	return 0;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	char vers[160], one[32], sum[DT_RULE_TEXT], v[32];
	char expl[DT_RULE_TEXT], rem[DT_RULE_TEXT];
	uint64_t fr[3];
	size_t i, k = 0, n;
	uint16_t best = dt_tls_hello(t)->ch_legacy_version;
	int old;

	if (t->ch_frame == 0)
		return;
	/* decided before the client's versions are written out: most
	   connections have no finding here */
	if (!(t->alert_frame != 0 && t->alert_desc == 70) &&
	    !(t->sh_frame != 0 && t->version != 0 && !t->hrr &&
	    !offered(t, t->version)))
		return;
	vers[0] = '\0';
	for (i = 0; i < dt_tls_hello(t)->n_client_versions && k < sizeof vers - 1; i++)
		k += (size_t)snprintf(vers + k, sizeof vers - k, "%s%s",
		    i ? ", " : "", dt_tls_version_str(dt_tls_hello(t)->client_versions[i],
		    one, sizeof one));
	if (k == 0)
		dt_tls_version_str(dt_tls_hello(t)->ch_legacy_version, vers, sizeof vers);
	else if (dt_tls_hello(t)->n_client_versions == 1 && dt_tls_hello(t)->client_versions[0] ==
	    dt_tls_hello(t)->ch_legacy_version && k < sizeof vers - 16)
		snprintf(vers + k, sizeof vers - k, " or lower");
	fr[0] = t->ch_frame;
	fr[1] = t->sh_frame;
	fr[2] = 0;
	if (t->alert_frame != 0 && t->alert_desc == 70) {
		fr[2] = t->alert_frame;
		snprintf(sum, sizeof sum, "The %s answered %s with a "
		    "protocol_version (70) alert (frame %llu); the client "
		    "offered %s (ClientHello frame %llu)",
		    t->alert_dir == DT_S2C ? "server" : "client",
		    t->alert_dir == DT_S2C ? "the ClientHello" :
		    "the server's version choice",
		    (unsigned long long)t->alert_frame, vers,
		    (unsigned long long)t->ch_frame);
	} else if (t->sh_frame != 0 && t->version != 0 && !t->hrr &&
	    !offered(t, t->version)) {
		snprintf(sum, sizeof sum, "The server chose %s in its "
		    "ServerHello (frame %llu), which the client did not offer "
		    "(%s, ClientHello frame %llu)",
		    dt_tls_version_str(t->version, v, sizeof v),
		    (unsigned long long)t->sh_frame, vers,
		    (unsigned long long)t->ch_frame);
	} else
		return;
	/* a client that offers nothing from TLS 1.0 on is no Windows
	   IP-HTTPS client (Schannel offers TLS 1.0 to 1.2): the server's
	   versions are then not what to change */
	for (i = 0; i < dt_tls_hello(t)->n_client_versions; i++)
		if (!dt_tls_is_grease(dt_tls_hello(t)->client_versions[i]) &&
		    dt_tls_hello(t)->client_versions[i] > best)
			best = dt_tls_hello(t)->client_versions[i];
	old = best != 0 && best < 0x0301;
	n = strlen(sum);
	if (old && n < sizeof sum)
		snprintf(sum + n, sizeof sum - n, "; nothing from TLS 1.0 on "
		    "was offered, which no Windows IP-HTTPS client does");
	if (old) {
		dt_verdict_add(ctx, &dt_rule_tls_version_mismatch, c,
		    DT_CONF_HIGH, 0x80090326, "SEC_E_ILLEGAL_MESSAGE", fr, 3,
		    sum, "Client and server have no TLS version in common, so "
		    "the handshake stops before any certificate is exchanged. "
		    "Here the client offered only SSL, which Schannel on a "
		    "DirectAccess client does not do: this is another program "
		    "(a scanner, an old client) or a client whose TLS versions "
		    "were all disabled.",
		    "Find which program opened this connection; on a Windows "
		    "client keep TLS 1.2 enabled under "
		    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\"
		    "SecurityProviders\\SCHANNEL\\Protocols.");
		return;
	}
	if (fr[2] != 0 && t->alert_dir == DT_S2C && t->sh_frame == 0)
		k = (size_t)snprintf(expl, sizeof expl, "The server refused "
		    "every version the client offered before choosing "
		    "anything, so no certificate was exchanged; which versions "
		    "it accepts the capture does not show.");
	else if (fr[2] != 0 && t->alert_dir == DT_S2C)
		k = (size_t)snprintf(expl, sizeof expl, "The server chose a "
		    "version, then refused the handshake with "
		    "protocol_version.");
	else if (fr[2] != 0)
		k = (size_t)snprintf(expl, sizeof expl, "The client refused the "
		    "version the server chose.");
	else
		k = (size_t)snprintf(expl, sizeof expl, "The server chose a "
		    "version the client did not offer, which the client cannot "
		    "accept.");
	if (dt_tls_hello(t)->offered_null && k < sizeof expl)
		k += (size_t)snprintf(expl + k, sizeof expl - k, " The client "
		    "offered NULL-encryption suites, which exist in TLS 1.0 to "
		    "1.2 (TLS_RSA_WITH_NULL_SHA256 in TLS 1.2 only) and not in "
		    "TLS 1.3, so IP-HTTPS without double encryption needs one "
		    "of TLS 1.0-1.2 on both sides.");
	if (k < sizeof expl)
		snprintf(expl + k, sizeof expl - k, " The client logs "
		    "0x80090326.");
	if (best != 0 && best < 0x0303)
		snprintf(rem, sizeof rem, "This client offered nothing newer "
		    "than %s: enable TLS 1.2 on it (HKLM\\SYSTEM\\"
		    "CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL"
		    "\\Protocols\\TLS 1.2\\Client: Enabled 1, "
		    "DisabledByDefault 0), or, if it must be served as it is, "
		    "enable %s on the IP-HTTPS listener and on the virtual "
		    "server / SSL profile in front of it.",
		    dt_tls_version_str(best, v, sizeof v), v);
	else
		snprintf(rem, sizeof rem, "Enable %s on the IP-HTTPS listener "
		    "and on the virtual server / SSL profile in front of it "
		    "(NetScaler: do not disable TLS 1.0-1.2 on the vserver; F5: "
		    "client SSL profile Options must not include No TLSv1.2); "
		    "on the client keep TLS 1.2 enabled under HKLM\\SYSTEM\\"
		    "CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL"
		    "\\Protocols.", offered(t, 0x0303) ? "TLS 1.2" :
		    "a version the client offered");
	dt_verdict_add(ctx, &dt_rule_tls_version_mismatch, c, DT_CONF_HIGH,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", fr, 3, sum, expl, rem);
}

const struct dt_rule dt_rule_tls_version_mismatch = {
	.id = "tls-version-mismatch",
	.severity = DT_SEV_ERROR,
	.summary = "protocol_version alert or a version the client did not offer",
	.check_conn = check,
};
