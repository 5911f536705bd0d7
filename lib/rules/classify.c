/*
 * Which connections are IP-HTTPS, and how repeated attempts are grouped:
 * the cross-connection decisions the rules rely on (SPEC §2, "Which
 * connections are IP-HTTPS"). Every lookup goes through the capture's
 * index (rules/index.h), so the whole step is linear in connections, DNS
 * answers and HTTP exchanges.
 *
 * Selection: the server name equals --host; else NULL suites offered,
 * which browsers never do; else the IP-HTTPS/SSTP streaming POST,
 * Content-Length 18446744073709551615 [MS-IPHTTPS 3.2.5.1, MS-SSTP
 * 3.2.5.2], in a NULL-cipher session; else a proxy CONNECT to the host;
 * when nothing marks any connection, every TLS connection and every attempt
 * to the port set is a candidate.
 *
 * Repeated attempts: each connection keeps its own verdicts (so every
 * connection's ladder shows why it failed), and the first verdict of a run
 * of same-id verdicts against the same server gets the count and the
 * connection list appended to its summary ("4 attempts to 198.19.0.10:443
 * (connections 1, 2, 3, 4) ended the same way").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"
#include "tls/tls.h"

#define STREAM_LENGTH "18446744073709551615"	/* ULONGLONG_MAX */

static uint16_t
name_port(const char *s)
{
	const char *colon = strrchr(s, ':');
	unsigned long v;
	char *end;

	if (colon == NULL || (s[0] != '[' && strchr(s, ':') != colon) ||
	    (s[0] == '[' && colon[-1] != ']'))
		return 0;
	v = strtoul(colon + 1, &end, 10);
	return *end == '\0' && v > 0 && v < 65536 ? (uint16_t)v : 0;
}

/* ---- which connections are IP-HTTPS ------------------------------------- */

static int
stream_post(const struct dt_conn *c)
{
	const struct dt_tls_facts *t = &c->tls;
	const char *cl = t->http_request.content_length;

	if (t->http_request.frame == 0 || cl == NULL || t->sh_frame == 0 ||
	    !dt_tls_suite_is_null(t->suite))
		return 0;
	while (*cl == ' ' || *cl == '\t')
		cl++;
	return strncmp(cl, STREAM_LENGTH, sizeof STREAM_LENGTH - 1) == 0 &&
	    (cl[sizeof STREAM_LENGTH - 1] == '\0' ||
	    cl[sizeof STREAM_LENGTH - 1] == ' ' ||
	    cl[sizeof STREAM_LENGTH - 1] == '\r');
}

static int
is_connect(const struct dt_http *h)
{
	return h->method != NULL && strcmp(h->method, "CONNECT") == 0 &&
	    h->uri != NULL;
}

static void
mark_conn_id(struct dt_rule_index *x, uint32_t id)
{
	struct dt_conn *c = dt_rule_index_conn(x, id);

	if (c != NULL)
		c->iphttps = 1;
}

static size_t
server_key(const struct dt_conn *c, uint8_t *out)
{
	out[0] = c->server.family;
	memcpy(out + 1, c->server.a, 16);
	out[17] = (uint8_t)(c->server_port >> 8);
	out[18] = (uint8_t)c->server_port;
	return 19;
}

void
dt_rules_classify(struct dt_rule_ctx *ctx)
{
	const struct dt_rules_config *cfg = ctx->cfg;
	struct dt_capture *cap = ctx->cap;
	struct dt_rule_index *x = &ctx->idx;
	const char *host = cfg->host != NULL && cfg->host[0] != '\0' ?
	    cfg->host : NULL;
	struct dt_conn *c;
	struct dt_http *h;
	struct dt_hash names;
	char key[DT_NAME_KEY];
	size_t n;

	ctx->any_marked = 0;
	for (c = cap->conns; c != NULL; c = c->next) {
		const char *name = dt_facts_server_name(c);

		/* Browsers never offer NULL suites: an offer marks the
		   connection whatever name it carries. */
		c->iphttps = (host != NULL && dt_rule_host_eq(name, host)) ||
		    c->tls.offered_null || stream_post(c);
	}
	/* the names the marked connections were made to */
	dt_hash_init(&names, cap->mem);
	for (c = cap->conns; c != NULL && host == NULL; c = c->next)
		if (c->iphttps && (n = dt_rule_name_key(dt_facts_server_name(c),
		    key, sizeof key)) > 0 && dt_hash_add(&names, key, n, c) < 0)
			break;
	for (h = cap->http; h != NULL; h = h->next)
		if (is_connect(h) && (host != NULL ? dt_rule_host_eq(h->uri, host) :
		    ((n = dt_rule_name_key(h->uri, key, sizeof key)) > 0 &&
		    dt_hash_count(&names, key, n) > 0)))
			mark_conn_id(x, h->conn);
	dt_hash_free(&names);
	for (c = cap->conns; c != NULL; c = c->next)
		ctx->any_marked |= c->iphttps;

	if (ctx->any_marked) {
		struct dt_hash marked;	/* servers of connections marked */
		uint8_t skey[19];

		dt_hash_init(&marked, cap->mem);
		for (c = cap->conns; c != NULL; c = c->next)
			if (c->iphttps == 1 && dt_hash_add(&marked, skey,
			    server_key(c, skey), c) < 0)
				break;
		/* Attempts that never got as far as a name (TCP failures,
		   no SNI) to a marked server, or to an address DNS gave for
		   the host, are attempts at the same tunnel. */
		for (c = cap->conns; c != NULL; c = c->next) {
			if (c->iphttps || dt_facts_server_name(c) != NULL ||
			    c->tls.http_request.frame != 0)
				continue;
			if (host != NULL && dt_rule_index_resolved(x, host,
			    &c->server) != NULL &&
			    dt_rule_in_ports(cfg, c->server_port)) {
				c->iphttps = 2;
				continue;
			}
			if (dt_hash_count(&marked, skey, server_key(c, skey)))
				c->iphttps = 2;
		}
		dt_hash_free(&marked);
		for (c = cap->conns; c != NULL; c = c->next)
			if (c->iphttps)
				c->iphttps = 1;
		return;
	}
	/* Nothing marked: every TLS connection and every attempt to the port
	   set - except those that name another server than --host. */
	for (c = cap->conns; c != NULL; c = c->next)
		if ((c->tls.seen || dt_rule_in_ports(cfg, c->server_port)) &&
		    (host == NULL || dt_facts_server_name(c) == NULL))
			c->iphttps = 1;
	for (h = cap->http; h != NULL; h = h->next)
		if (is_connect(h) && dt_rule_in_ports(cfg, name_port(h->uri)))
			mark_conn_id(x, h->conn);
}

int
dt_rules_judged(const struct dt_rule_ctx *ctx, const struct dt_conn *c)
{
	if (c->iphttps)
		return 1;
	return ctx->cfg->all && (c->tls.seen ||
	    dt_rule_in_ports(ctx->cfg, c->server_port));
}

/* ---- repeated attempts -------------------------------------------------- */

/* Key of a run: the verdict id and the server's address and port. */
static size_t
group_key(const struct dt_verdict *v, const struct dt_conn *c, uint8_t *out,
    size_t n)
{
	size_t len = strlen(v->id);

	if (len + 19 > n)
		return 0;
	memcpy(out, v->id, len);
	out[len] = c->server.family;
	memcpy(out + len + 1, c->server.a, 16);
	out[len + 17] = (uint8_t)(c->server_port >> 8);
	out[len + 18] = (uint8_t)c->server_port;
	return len + 19;
}

/* One run of same-id verdicts against one server: its first verdict (the
   one whose summary gets the list), how many, and the list so far. */
struct run {
	struct run *next;		/* every run, to free them */
	struct dt_verdict *lead;
	const struct dt_conn *conn;
	size_t count;
	int k;				/* length of list, or sizeof list: full */
	char list[DT_RULE_TEXT];
};

static void
run_add(struct run *r, const struct dt_conn *c)
{
	r->count++;
	if (r->k > 0 && (size_t)r->k < sizeof r->list - 16)
		r->k += snprintf(r->list + r->k, sizeof r->list - (size_t)r->k,
		    ", %u", c->id);
	else if (r->k > 0 && (size_t)r->k < sizeof r->list - 4) {
		snprintf(r->list + r->k, sizeof r->list - (size_t)r->k, ", ...");
		r->k = (int)sizeof r->list;
	}
}

void
dt_rules_group_attempts(struct dt_rule_ctx *ctx)
{
	struct dt_capture *cap = ctx->cap;
	struct dt_mem *mem = cap->mem;
	struct dt_hash runs;
	struct dt_hash_iter it;
	struct dt_verdict *v;
	struct run *r, *list = NULL;
	uint8_t key[128];
	size_t len;

	if (cap->n_verdicts < 2)
		return;
	dt_hash_init(&runs, mem);
	for (v = cap->verdicts; v != NULL; v = v->next) {
		const struct dt_conn *c;

		if (v->conn == 0 ||
		    (c = dt_rule_index_conn(&ctx->idx, v->conn)) == NULL ||
		    (len = group_key(v, c, key, sizeof key)) == 0)
			continue;
		r = dt_hash_first(&runs, key, len, &it);
		if (r != NULL) {
			if (r->conn != c)
				run_add(r, c);
			continue;
		}
		if (v->severity == DT_SEV_INFO)
			continue;
		r = dt_malloc(mem, sizeof *r);
		if (r == NULL)
			goto out;
		r->lead = v;
		r->conn = c;
		r->count = 1;
		r->k = snprintf(r->list, sizeof r->list, "connections %u", c->id);
		r->next = list;
		list = r;
		if (dt_hash_add(&runs, key, len, r) < 0)
			goto out;
	}
	for (v = cap->verdicts; v != NULL; v = v->next) {
		const struct dt_conn *c;
		char *s;

		if (v->conn == 0 ||
		    (c = dt_rule_index_conn(&ctx->idx, v->conn)) == NULL ||
		    (len = group_key(v, c, key, sizeof key)) == 0 ||
		    (r = dt_hash_first(&runs, key, len, &it)) == NULL ||
		    r->lead != v || r->count < 2)
			continue;
		len = strlen(v->summary) + strlen(r->list) + 128;
		s = dt_malloc(mem, len);
		if (s == NULL)
			goto out;
		snprintf(s, len, "%s; %zu attempts to %s (%s) ended the same way",
		    v->summary, r->count, c->server_str, r->list);
		dt_free(mem, v->summary);
		v->summary = s;
	}
out:
	while ((r = list) != NULL) {
		list = r->next;
		dt_free(mem, r);
	}
	dt_hash_free(&runs);
}
