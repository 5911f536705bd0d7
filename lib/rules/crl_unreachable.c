/*
 * crl-unreachable: the client could not fetch a CRL named in the CRL
 * distribution points (RFC 5280 4.2.1.13) of the IP-HTTPS server's chain.
 * Wire shape (research note §1.2, 0x80092013 row; KB2980672; "UAG DA
 * clients not able to connect using IP-HTTPS intermittently", TechNet
 * 2013): after the server's certificate, the client looks up the CDP host
 * (NXDOMAIN), connects to it on TCP 80 (no answer, RST), or sends
 * "GET /path.crl" - directly or as an absolute URI to a proxy - and gets a
 * status >= 400 or a reset; and no fetch of that URL succeeds later. The
 * client logs CRYPT_E_REVOCATION_OFFLINE (0x80092013). Only http:// CDPs
 * are judged (LDAP ones are not reachable from the Internet anyway).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules.h"

#define MAX_FRAMES 8

struct crl_fail {
	char what[400];
	uint64_t frames[MAX_FRAMES];
	size_t n;
	dt_confidence conf;
};

struct dt_crl_memo {			/* one distinct CRL URL of the capture */
	const char *url;
	int failed;
	struct crl_fail f;
	uint32_t reported_by;		/* connection whose verdict names it */
};

/* "http://host[:port]/path" -> host, port, path (views into buffers). */
static int
split_url(const char *url, char *host, size_t hn, uint16_t *port,
    const char **path)
{
	const char *p, *end;
	size_t len;

	if (url == NULL || strncasecmp(url, "http://", 7) != 0)
		return 0;
	p = url + 7;
	end = p + strcspn(p, "/:?#");
	len = (size_t)(end - p);
	if (len == 0 || len >= hn)
		return 0;
	memcpy(host, p, len);
	host[len] = '\0';
	*port = 80;
	if (*end == ':') {
		unsigned long v = strtoul(end + 1, NULL, 10);

		if (v == 0 || v > 65535)
			return 0;
		*port = (uint16_t)v;
	}
	*path = strchr(end, '/');
	if (*path == NULL)
		*path = "/";
	return 1;
}

/* The request asked for host+path (origin form, or absolute to a proxy). */
static int
request_for(const struct dt_http *h, const char *host, const char *path)
{
	char rhost[256];
	const char *rpath;
	uint16_t rport;

	if (h->uri == NULL || h->method == NULL ||
	    (strcmp(h->method, "GET") != 0 && strcmp(h->method, "HEAD") != 0))
		return 0;
	if (split_url(h->uri, rhost, sizeof rhost, &rport, &rpath))
		return dt_rule_host_eq(rhost, host) && strcmp(rpath, path) == 0;
	return h->host != NULL && dt_rule_host_eq(h->host, host) &&
	    strcmp(h->uri, path) == 0;
}

static void
add_frame(struct crl_fail *f, uint64_t frame)
{
	if (frame != 0 && f->n < MAX_FRAMES)
		f->frames[f->n++] = frame;
}

static int
cmp_conn_id(const void *a, const void *b)
{
	uint32_t x = (*(const struct dt_conn *const *)a)->id;
	uint32_t y = (*(const struct dt_conn *const *)b)->id;

	return x < y ? -1 : x > y;
}

/* The TCP connections to the port of the addresses a DNS record gave,
   each address once (seen: those walked), appended to *v (n of cap). -1
   when memory failed. */
static int
conns_of(const struct dt_rule_ctx *ctx, const struct dt_dns *d,
    uint16_t port, struct dt_hash *seen, const struct dt_conn ***v,
    size_t *n, size_t *cap)
{
	const struct dt_rule_index *x = &ctx->idx;
	const struct dt_conn **nv, *c;
	struct dt_hash_iter ic;
	struct dt_addr a;
	size_t i;
	int fresh;

	for (i = 0; i < d->n_addrs; i++) {
		dt_dns_addr(d, i, &a);
		if ((fresh = dt_hash_add(seen, &a, sizeof a, NULL)) <= 0) {
			if (fresh < 0)
				return -1;
			continue;
		}
		for (c = dt_rule_index_server_first(x, &a, port, &ic);
		    c != NULL; c = dt_rule_index_server_next(x, &ic)) {
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 8;
				nv = dt_realloc(ctx->cap->mem, *v,
				    *cap * sizeof **v);
				if (nv == NULL)
					return -1;
				*v = nv;
			}
			(*v)[(*n)++] = c;
		}
	}
	return 0;
}

/* 1 when the URL failed and never succeeded; *f says how. */
static int
probe(const struct dt_rule_ctx *ctx, const char *url, struct crl_fail *f)
{
	const struct dt_rule_index *x = &ctx->idx;
	const struct dt_http *h;
	const struct dt_dns *d;
	const struct dt_conn *c, **to_host;
	struct dt_hash_iter it;
	char host[256];
	const char *path;
	uint16_t port;
	struct crl_fail nx;		/* the NXDOMAIN answers' frames */
	struct dt_hash seen;		/* addresses whose connections
					   to_host holds */
	int resolved = 0, failed = 0, nxdomain = 0, rc = 0;
	size_t i, n = 0, n_cap = 0;

	memset(f, 0, sizeof *f);
	if (!split_url(url, host, sizeof host, &port, &path))
		return 0;
	for (h = dt_rule_index_get_first(x, host, &it); h != NULL;
	    h = dt_hash_next(&x->http_get, &it)) {
		if (!request_for(h, host, path))
			continue;
		if (h->status >= 200 && h->status < 400)
			return 0;
		if (failed)
			continue;
		if (h->status >= 400) {
			snprintf(f->what, sizeof f->what, "GET %s answered \"%s\"",
			    h->uri, h->status_line != NULL ? h->status_line :
			    "");
			f->conf = DT_CONF_HIGH;
		} else if (h->conn_reset || h->conn_no_answer) {
			snprintf(f->what, sizeof f->what, "GET %s %s", h->uri,
			    h->conn_reset ? "was reset" : "got no answer");
			f->conf = DT_CONF_MEDIUM;
		} else
			continue;
		add_frame(f, h->request_frame);
		add_frame(f, h->response_frame);
		failed = 1;
	}
	/* one walk of the host's records for the three questions (without
	   the DNS table each walk reads every record): an address, the
	   NXDOMAIN answers, which count only when nothing resolved, and
	   the TCP connections to the addresses, in id order below */
	nx.n = 0;
	to_host = NULL;
	dt_hash_init(&seen, ctx->cap->mem);
	for (d = dt_rule_index_dns_first(x, host, &it); d != NULL && rc == 0;
	    d = dt_rule_index_dns_next(x, &it)) {
		if (d->n_addrs > 0)
			resolved = 1;
		if (d->rcode == 3) {
			nxdomain = 1;
			add_frame(&nx, dt_dns_query_frame_of(d));
			add_frame(&nx, dt_dns_answer_frame_of(d));
		}
		rc = conns_of(ctx, d, port, &seen, &to_host, &n, &n_cap);
	}
	dt_hash_free(&seen);
	if (rc != 0) {
		dt_free(ctx->cap->mem, to_host);
		return 0;
	}
	if (n > 1)
		qsort(to_host, n, sizeof *to_host, cmp_conn_id);
	if (!failed && !resolved && nxdomain) {
		snprintf(f->what, sizeof f->what, "DNS answered NXDOMAIN for "
		    "%s", host);
		memcpy(f->frames, nx.frames, nx.n * sizeof *nx.frames);
		f->n = nx.n;		/* it had none: nothing failed before */
		f->conf = DT_CONF_HIGH;
		failed = 1;
	}
	/* TCP to the CDP host's addresses; an established one whose HTTP
	   we did not see may have fetched it, so it clears. */
	for (i = 0; i < n; i++) {
		c = to_host[i];
		if (c->state != DT_TCP_NO_ANSWER && c->state != DT_TCP_REFUSED) {
			if (dt_rule_index_http_count(x, c->id) == 0) {
				dt_free(ctx->cap->mem, to_host);
				return 0;	/* unseen content: maybe fetched */
			}
			continue;
		}
		if (!failed) {
			snprintf(f->what, sizeof f->what, "TCP to %s (%s) %s",
			    c->server_str, host, c->state == DT_TCP_REFUSED ?
			    "was refused" : "got no answer");
			f->conf = DT_CONF_MEDIUM;
			failed = 1;
		}
		add_frame(f, c->syn_frame);
		add_frame(f, c->rst_frame);
	}
	dt_free(ctx->cap->mem, to_host);
	return failed;
}

/*
 * The probe's finding for a URL, probed once per capture (the URLs are
 * indexed by their text). NULL when memory ran out (the caller then probes
 * directly).
 */
static struct dt_crl_memo *
memo(struct dt_rule_ctx *ctx, const char *url)
{
	struct dt_crl_memo *mm;
	struct dt_hash_iter it;
	uintptr_t i;

	/* the index keeps position + 1: the array moves when it grows */
	i = (uintptr_t)dt_hash_first(&ctx->crl_urls, url, strlen(url), &it);
	if (i != 0)
		return &ctx->crl_memo[i - 1];
	mm = dt_realloc(ctx->cap->mem, ctx->crl_memo,
	    (ctx->n_crl_memo + 1) * sizeof *mm);
	if (mm == NULL)
		return NULL;
	ctx->crl_memo = mm;
	if (dt_hash_add(&ctx->crl_urls, url, strlen(url),
	    (void *)(uintptr_t)(ctx->n_crl_memo + 1)) < 0)
		return NULL;
	mm = &mm[ctx->n_crl_memo++];
	mm->url = url;
	mm->reported_by = 0;
	mm->failed = probe(ctx, url, &mm->f);
	return mm;
}

static int
failed(struct dt_rule_ctx *ctx, const char *url)
{
	struct dt_crl_memo *mm = memo(ctx, url);
	struct crl_fail f;

	return mm != NULL ? mm->failed : probe(ctx, url, &f);
}

int
dt_rule_crl_failed(struct dt_rule_ctx *ctx, const struct dt_conn *c)
{
	size_t i, j;

	for (i = 0; i < c->tls->n_server_certs; i++)
		for (j = 0; j < c->tls->server_certs[i].n_crl_urls; j++)
			if (failed(ctx, c->tls->server_certs[i].crl_urls[j]))
				return 1;
	return 0;
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT];
	struct dt_crl_memo *mm;
	uint64_t fr[MAX_FRAMES + 1];
	size_t i, j, k;

	for (i = 0; i < t->n_server_certs; i++) {
		const struct dt_cert *x = &t->server_certs[i];

		for (j = 0; j < x->n_crl_urls; j++) {
			const char *url = x->crl_urls[j];

			/* the first judged connection naming a failed URL
			   reports it; the others would only repeat it */
			mm = memo(ctx, url);
			if (mm == NULL || !mm->failed ||
			    (mm->reported_by != 0 && mm->reported_by != c->id))
				continue;
			mm->reported_by = c->id;
			fr[0] = t->server_cert_frame;
			for (k = 0; k < mm->f.n; k++)
				fr[k + 1] = mm->f.frames[k];
			snprintf(sum, sizeof sum, "The CRL %s named in the "
			    "server's %scertificate (frame %llu) could not be "
			    "fetched: %s", url, i == 0 ? "" : "intermediate ",
			    (unsigned long long)t->server_cert_frame, mm->f.what);
			snprintf(rem, sizeof rem, "Publish the CRL at %s and "
			    "make its host resolvable and reachable on TCP 80 "
			    "from the Internet (the client checks revocation "
			    "of the IP-HTTPS certificate before the tunnel "
			    "exists); re-publish it if it expired; through a "
			    "proxy, allow unauthenticated GET of that URL.", url);
			dt_verdict_add(ctx, &dt_rule_crl_unreachable, c,
			    mm->f.conf, 0x80092013, "CRYPT_E_REVOCATION_OFFLINE",
			    fr, mm->f.n + 1, sum,
			    "Before trusting the IP-HTTPS certificate the client "
			    "checks the CRLs named in its chain; this one could "
			    "not be fetched, so unless the client still holds a "
			    "cached copy that has not expired, the revocation "
			    "check fails and the client logs 0x80092013. The CDP "
			    "must be reachable from outside, without the tunnel.",
			    rem);
		}
	}
}

const struct dt_rule dt_rule_crl_unreachable = {
	.id = "crl-unreachable",
	.severity = DT_SEV_ERROR,
	.summary = "a CRL of the server certificate could not be fetched",
	.check_conn = check,
};
