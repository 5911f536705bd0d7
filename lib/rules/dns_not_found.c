/*
 * dns-not-found: the IP-HTTPS host name did not resolve. Wire shape
 * (RFC 1035 4.1.1; RFC 2308 2.1/2.2): the query for the name was answered
 * NXDOMAIN (rcode 3; the client logs WSAHOST_NOT_FOUND 0x2af9) or NOERROR
 * with no address (NODATA; WSANO_DATA 0x2afc), and no query for the name
 * ever got an address. Research note §1.2 (0x2af9 / 0x2afc rows,
 * KB2980635, KB3056560): the public name is not published, or the NRPT
 * sends it to the internal DirectAccess DNS server through the tunnel that
 * is not up yet. The name is --host; without it, the SNI of the IP-HTTPS
 * connections or a name that looks like a DirectAccess name ("da.",
 * "directaccess", "iphttps") - only a guess, so a warning at low
 * confidence.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"

#define MAX_NAMES 8
#define MAX_FRAMES 8

static const char *
qtype_name(uint16_t t, char *buf, size_t n)
{
	static const struct { uint16_t t; const char *name; } names[] = {
		{ 1, "A" }, { 28, "AAAA" }, { 5, "CNAME" }, { 33, "SRV" },
		{ 255, "ANY" },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].t == t)
			return names[i].name;
	snprintf(buf, n, "type %u", t);
	return buf;
}

static int
looks_like_da(const char *name)
{
	return strncmp(name, "da.", 3) == 0 ||
	    dt_rule_contains(name, "directaccess") ||
	    dt_rule_contains(name, "iphttps");
}

static void
judge(struct dt_rule_ctx *ctx, const char *name, int guessed)
{
	const struct dt_dns *d;
	struct dt_hash_iter it;
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], types[64], tb[16];
	char expl[DT_RULE_TEXT];
	const struct dt_conn *used;
	struct dt_hash_iter ic;
	uint64_t fr[MAX_FRAMES];
	size_t n = 0, failed = 0, k = 0;
	int nx = 0;
	struct dt_verdict *v;

	types[0] = '\0';
	for (d = dt_rule_index_dns_first(&ctx->idx, name, &it); d != NULL;
	    d = dt_rule_index_dns_next(&ctx->idx, &it)) {
		if (d->n_addrs > 0)
			return;			/* it did resolve */
		if (dt_dns_answer_frame_of(d) == 0 || d->rcode < 0)
			continue;
		if (d->rcode == 3)
			nx = 1;
		else if (d->rcode != 0)
			continue;
		failed++;
		if (!strstr(types, qtype_name(d->qtype, tb, sizeof tb)) &&
		    k < sizeof types - 8)
			k += (size_t)snprintf(types + k, sizeof types - k,
			    "%s%s", k ? ", " : "",
			    qtype_name(d->qtype, tb, sizeof tb));
		if (n + 2 <= MAX_FRAMES) {
			fr[n++] = dt_dns_query_frame_of(d);
			fr[n++] = dt_dns_answer_frame_of(d);
		}
	}
	if (failed == 0)
		return;
	snprintf(sum, sizeof sum, "%zu DNS quer%s for %s (%s, first at frame "
	    "%llu) answered %s, none with an address%s", failed,
	    failed > 1 ? "ies" : "y", name, types,
	    (unsigned long long)(fr[0] != 0 ? fr[0] : fr[1]),
	    nx ? "NXDOMAIN" : "with no data",
	    guessed ? " (the IP-HTTPS name is guessed; give --host)" : "");
	snprintf(rem, sizeof rem, "Publish %s in public DNS (an A/AAAA record "
	    "for the public address of the DirectAccess server or the ADC in "
	    "front of it); if the client resolves it through the NRPT, add an "
	    "NRPT exemption for %s so it goes to public DNS (KB3056560). Check "
	    "with Resolve-DnsName %s from a client outside the network.",
	    name, name, name);
	/* a connection that names the server (SNI, Host) shows the client
	   had its address all the same */
	used = dt_rule_index_named_first(&ctx->idx, name, &ic);
	if (used != NULL)
		snprintf(expl, sizeof expl, "These lookups of the IP-HTTPS "
		    "server name failed, yet connection %u (frame %llu) to %s "
		    "names it, so the client had an address from elsewhere (its "
		    "DNS cache, a hosts file, an answer outside the capture): "
		    "the failed lookups may not be what stops IP-HTTPS. With "
		    "split DNS, the NRPT may send the public name to the "
		    "internal DNS server, which is only reachable through the "
		    "tunnel that is not up yet.", used->id,
		    (unsigned long long)used->first_frame, used->server_str);
	else
		snprintf(expl, sizeof expl, "The client could not resolve the "
		    "IP-HTTPS server name, and the capture shows no connection "
		    "to a server of that name. With split DNS, the NRPT may "
		    "send the public name to the internal DNS server, which is "
		    "only reachable through the tunnel that is not up yet.");
	v = dt_verdict_add(ctx, &dt_rule_dns_not_found, NULL,
	    guessed || used != NULL ? DT_CONF_LOW : DT_CONF_HIGH,
	    nx ? 0x2af9 : 0x2afc, nx ? "WSAHOST_NOT_FOUND" : "WSANO_DATA",
	    n > 0 ? fr : NULL, n, sum, expl, rem);
	/* a guessed name is the whole story when no connection was
	   identified as IP-HTTPS: an error then, at medium confidence; a
	   connection that reached the named server makes the failed
	   lookups a warning */
	if (v != NULL && guessed && !ctx->any_marked && used == NULL)
		v->confidence = DT_CONF_MEDIUM;
	else if (v != NULL && (guessed || used != NULL))
		v->severity = DT_SEV_WARNING;
}

static void
check(struct dt_rule_ctx *ctx)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	const char *seen[MAX_NAMES];
	const struct dt_conn *c;
	const struct dt_dns *d;
	size_t n = 0, i, di;

	if (ctx->cfg->host != NULL && ctx->cfg->host[0] != '\0') {
		judge(ctx, ctx->cfg->host, 0);
		return;
	}
	for (c = ctx->cap->conns; c != NULL && n < MAX_NAMES; c = c->next) {
		dt_capture_spill_step(ctx->cap, &sw);
		const char *name = c->iphttps ? c->tls->sni : NULL;

		if (name == NULL || name[0] == '\0')
			continue;
		for (i = 0; i < n && !dt_rule_host_eq(seen[i], name); i++)
			;
		if (i == n)
			seen[n++] = name;
	}
	for (di = 0; (d = dt_capture_dns(ctx->cap, di)) != NULL &&
	    n < MAX_NAMES; di++) {
		if (d->name == NULL || !looks_like_da(d->name))
			continue;
		for (i = 0; i < n && !dt_rule_host_eq(seen[i], d->name); i++)
			;
		if (i == n)
			seen[n++] = d->name;
	}
	for (i = 0; i < n; i++)
		judge(ctx, seen[i], 1);
}

const struct dt_rule dt_rule_dns_not_found = {
	.id = "dns-not-found",
	.severity = DT_SEV_ERROR,
	.summary = "the IP-HTTPS host name got NXDOMAIN or no address",
	.check_capture = check,
};
