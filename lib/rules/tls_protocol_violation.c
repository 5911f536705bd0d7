/*
 * tls-protocol-violation: the TLS decoding of a connection met bytes that
 * break RFC 5246 / RFC 8446 (a record header that cannot be one, a record
 * of an unknown content type, a handshake message that overruns itself or
 * the cap, a zero-length handshake record) or a certificate that does not
 * parse as X.509 (RFC 5280). Whatever verdict the rest of the connection
 * gets, it rests on a stream that was not clean: this says where and what,
 * and where the record layer could read again.
 *
 * Confidence medium: the same bytes come from a damaged capture (a bad
 * merge, a cut file), from a middlebox rewriting the stream, or from a
 * broken TLS stack; the facts do not tell which.
 */
#include <stdio.h>

#include "rules/rules.h"

static const struct dt_cert *
bad_cert(const struct dt_conn *c, size_t *index, int *from_server)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	size_t i;

	for (i = 0; i < t->n_server_certs; i++)
		if (t->server_certs[i].parse_error != NULL) {
			*index = i;
			*from_server = 1;
			return &t->server_certs[i];
		}
	for (i = 0; i < tr->n_client_certs; i++)
		if (tr->client_certs[i].parse_error != NULL) {
			*index = i;
			*from_server = 0;
			return &tr->client_certs[i];
		}
	return NULL;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	const struct dt_cert *x;
	char sum[DT_RULE_TEXT], more[DT_RULE_TEXT / 2] = "";
	uint64_t fr[3];
	size_t n = 0, idx = 0;
	int from_server = 0;
	int k = 0;

	x = bad_cert(c, &idx, &from_server);
	if (tr->malformed == NULL && x == NULL)
		return;
	if (tr->malformed != NULL) {
		fr[n++] = tr->malformed_frame;
		k = snprintf(sum, sizeof sum, "TLS protocol violation from the "
		    "%s in frame %llu: %s", tr->malformed_dir == DT_S2C ?
		    "server" : "client",
		    (unsigned long long)tr->malformed_frame, tr->malformed);
		if (tr->n_violations > 1)
			k += snprintf(sum + k, sizeof sum - (size_t)k,
			    " (%u violations in all)", tr->n_violations);
		if (tr->resync_frame != 0) {
			fr[n++] = tr->resync_frame;
			snprintf(more, sizeof more, " Records were readable "
			    "again from frame %llu, %llu bytes further on; the "
			    "handshake messages in between are lost.",
			    (unsigned long long)tr->resync_frame,
			    (unsigned long long)tr->resync_skipped);
		}
	} else {
		k = snprintf(sum, sizeof sum, "Unreadable certificate");
	}
	if (x != NULL) {
		uint64_t cf = from_server ? t->server_cert_frame :
		    tr->client_cert_frame;

		if (cf != 0)
			fr[n++] = cf;
		snprintf(sum + k, sizeof sum - (size_t)k, "%s the %s's "
		    "certificate %zu in frame %llu does not parse: %s",
		    tr->malformed != NULL ? ";" : ":",
		    from_server ? "server" : "client", idx + 1,
		    (unsigned long long)cf, x->parse_error);
	}
	{
		char expl[DT_RULE_TEXT];

		snprintf(expl, sizeof expl, "The bytes of this connection break "
		    "the TLS or X.509 rules, so what was read of it may be "
		    "incomplete, and a verdict about it rests on damaged "
		    "input.%s They may come from damage to the capture file, "
		    "a device on the path rewriting the stream, or a broken "
		    "TLS implementation; the capture alone does not tell "
		    "which.", more);
		dt_verdict_add(ctx, &dt_rule_tls_protocol_violation, c,
		    DT_CONF_MEDIUM, 0, NULL, fr, n, sum, expl,
		    "Open the frames in Wireshark: if the capture was merged, "
		    "cut or converted, take a new one on the client; if the "
		    "bytes are the same in a fresh capture, capture on the "
		    "server side too, to see whether a device on the path "
		    "changes them.");
	}
}

const struct dt_rule dt_rule_tls_protocol_violation = {
	.id = "tls-protocol-violation",
	.severity = DT_SEV_WARNING,
	.summary = "the TLS stream or a certificate in it breaks the protocol",
	.check_conn = check,
};
