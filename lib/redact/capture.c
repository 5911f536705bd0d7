/*
 * capture.c - a judged capture's facts rewritten field by field through
 * the pseudonyms (dt_redact_capture), once, after the rules and before any
 * writer or accessor sees them, then the verdict texts through the
 * dictionary those fields filled. Linear in the facts and the texts.
 */
#include "redact/redact_int.h"

#include <string.h>

/* *p becomes c (owned: the old one freed; else left to its owner); c
   NULL: memory failed. */
static void
replace(struct dt_redact *r, char **p, char *c, int owned)
{
	if (c == NULL) {
		r->err = 1;
		return;
	}
	if (owned)
		dt_free(r->cm, *p);
	*p = c;
}

/* Replace *p by v's copy. */
static void
swap(struct dt_redact *r, char **p, const char *v, int owned)
{
	if (*p != NULL && v != NULL)
		replace(r, p, dt_strdup(r->cm, v), owned);
}

/* Replace the interned *p by v, interned too (DNS names: facts.h). */
/* The i-th address of d replaced by its pseudonym, in place (one of the
   same family: the same bytes). */
static void
dns_addr_map(struct dt_redact *r, struct dt_dns *d, size_t i)
{
	struct dt_addr a;
	uint8_t *p = dt_dns_addr(d, i, &a);
	uint8_t family = a.family;

	redact_addr_map(r, &a);
	if (a.family == family)
		memcpy(p + 1, a.a, dt_dns_addr_size(family) - 1);
}

/* v copied into the capture's kept memory (its spill file, once it
   spills): a text of one connection, read to the end. NULL for NULL;
   NULL with r->err set when memory failed. */
static char *
kept_copy(struct dt_redact *r, struct dt_capture *cap, const char *v)
{
	char *k;

	if (v == NULL)
		return NULL;
	if ((k = dt_capture_keep_str(cap, v, strlen(v))) == NULL)
		r->err = 1;
	return k;
}

static void
kept(struct dt_redact *r, struct dt_capture *cap, const char **p,
    const char *v)
{
	const char *c;

	if (*p == NULL || v == NULL)
		return;
	if ((c = dt_capture_intern(cap, v)) == NULL)
		r->err = 1;
	else
		*p = c;
}

static void
swap_text(struct dt_redact *r, char **p, int owned)
{
	if (*p != NULL)
		replace(r, p, redact_text_map(r, r->cm, *p), owned);
}

/* The same for a text in the capture's kept memory (a verdict's summary):
   the new one kept too, the old one left there. */
static void
swap_kept_text(struct dt_redact *r, struct dt_capture *cap, char **p)
{
	char *t, *k;

	if (*p == NULL)
		return;
	if ((t = redact_text_map(r, r->cm, *p)) == NULL) {
		r->err = 1;
		return;
	}
	if ((k = kept_copy(r, cap, t)) != NULL)
		*p = k;
	dt_free(r->cm, t);
}

static void
strv(struct dt_redact *r, char ***v, size_t n, int owned,
    const char *(*fn)(struct dt_redact *, const char *))
{
	char **nv;
	size_t i;

	if (*v == NULL)
		return;
	if (!owned) {
		nv = dt_calloc(r->cm, n + 1, sizeof *nv);
		if (nv == NULL) {
			r->err = 1;
			return;
		}
		for (i = 0; i < n; i++)
			nv[i] = (*v)[i];
		*v = nv;
	}
	for (i = 0; i < n; i++) {
		char *old = (*v)[i];

		(*v)[i] = NULL;
		if (old == NULL)
			continue;
		(*v)[i] = dt_strdup(r->cm, fn(r, old) != NULL ? fn(r, old) : "");
		if ((*v)[i] == NULL)
			r->err = 1;
		if (owned)
			dt_free(r->cm, old);
	}
}

static const char *
ip_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);

	if (!redact_addr_text(r, &b, s, strlen(s)))
		redact_token(r, &b, "ip", "ip-", s, strlen(s), 8);
	return redact_learn(r, s, &b);
}

/* A subject CN as its DN has it: a name, or a "cn-" token. */
static const char *
cn_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p;

	if (s == NULL)
		return NULL;
	if (strchr(s, '.') != NULL && strchr(s, ' ') == NULL)
		return redact_name_map(r, s);
	if ((p = redact_known(r, s, strlen(s))) != NULL)
		return p;
	redact_token(r, &b, "dnval", "cn-", s, strlen(s), 6);
	return redact_learn(r, s, &b);
}

static void
cert(struct dt_redact *r, struct dt_cert *x)
{
	int owned = !x->cached;

	/* one's own copy of what the x509 cache shares, then redacted */
	swap(r, &x->subject, redact_dn_map(r, x->subject), owned);
	swap(r, &x->issuer, redact_dn_map(r, x->issuer), owned);
	swap(r, &x->serial, redact_hex_map(r, x->serial), owned);
	swap(r, &x->common_name, cn_map(r, x->common_name), owned);
	strv(r, &x->dns_names, x->n_dns_names, owned, redact_name_map);
	strv(r, &x->ip_addrs, x->n_ip_addrs, owned, ip_map);
	strv(r, &x->crl_urls, x->n_crl_urls, owned, redact_url_map);
	strv(r, &x->aia_urls, x->n_aia_urls, owned, redact_url_map);
	swap(r, &x->key_type, x->key_type, owned);
	swap(r, &x->sig_alg, x->sig_alg, owned);
	swap(r, &x->parse_error, x->parse_error, owned);
	{
		const char *h = redact_hex_map(r, x->sha256);

		if (h != NULL)
			snprintf(x->sha256, sizeof x->sha256, "%s", h);
	}
	if (owned)
		dt_free(r->cm, x->der);
	x->der = NULL;
	x->der_len = 0;
	x->cached = 0;
}

/* *p, a string of the cache's, by its pseudonym (fn), kept. */
static void
kept_field(struct dt_redact *r, struct dt_capture *cap, char **p,
    const char *(*fn)(struct dt_redact *, const char *))
{
	const char *v;
	char *k;

	if (*p == NULL)
		return;
	if ((v = fn(r, *p)) == NULL || (k = kept_copy(r, cap, v)) == NULL) {
		r->err = 1;
		return;
	}
	*p = k;
}

static void
kept_strv(struct dt_redact *r, struct dt_capture *cap, char ***v, size_t n,
    const char *(*fn)(struct dt_redact *, const char *))
{
	char **nv;
	size_t i;

	if (*v == NULL || n == 0)
		return;
	if ((nv = dt_capture_keep(cap, n * sizeof *nv)) == NULL) {
		r->err = 1;
		return;
	}
	memcpy(nv, *v, n * sizeof *nv);
	for (i = 0; i < n; i++)
		kept_field(r, cap, &nv[i], fn);
	*v = nv;
}

/*
 * A chain the x509 cache shares among connections (certs_shared) redacted
 * once, into the capture's kept memory, and shared by every connection
 * that had it: one copy per connection was 160 MB of heap on the 2 GiB
 * bench day. Its certificates are marked cached (nothing in them is
 * theirs to free; key type, signature algorithm and parse error stay the
 * cache's, no value of the capture's) and the connections keep
 * certs_shared (nor is the array). NULL when memory failed.
 */
static struct dt_cert *
chain_redacted(struct dt_redact *r, struct dt_capture *cap,
    struct dt_cert *certs, size_t n)
{
	struct dt_cert *out;
	const char *h;
	size_t i;

	if ((out = dt_hash_last(&r->chains, &certs, sizeof certs)) != NULL)
		return out;
	if (n == 0 || (out = dt_capture_keep(cap, n * sizeof *out)) == NULL)
		return NULL;
	memcpy(out, certs, n * sizeof *out);
	for (i = 0; i < n; i++) {
		struct dt_cert *x = &out[i];

		kept_field(r, cap, &x->subject, redact_dn_map);
		kept_field(r, cap, &x->issuer, redact_dn_map);
		kept_field(r, cap, &x->serial, redact_hex_map);
		kept_field(r, cap, &x->common_name, cn_map);
		kept_strv(r, cap, &x->dns_names, x->n_dns_names,
		    redact_name_map);
		kept_strv(r, cap, &x->ip_addrs, x->n_ip_addrs, ip_map);
		kept_strv(r, cap, &x->crl_urls, x->n_crl_urls, redact_url_map);
		kept_strv(r, cap, &x->aia_urls, x->n_aia_urls, redact_url_map);
		if ((h = redact_hex_map(r, x->sha256)) != NULL)
			snprintf(x->sha256, sizeof x->sha256, "%s", h);
		x->der = NULL;
		x->der_len = 0;
		x->cached = 1;
	}
	if (dt_hash_add(&r->chains, &certs, sizeof certs, out) < 0)
		r->err = 1;
	return out;
}

static void
http_msg(struct dt_redact *r, struct dt_http_msg *h, int request)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *sp, *sp2;
	char *line;

	swap(r, &h->host, redact_hostport_map(r, h->host), 1);
	if (h->line == NULL)
		return;
	if (!request) {
		swap_text(r, &h->line, 1);
		return;
	}
	/* METHOD target VERSION */
	sp = strchr(h->line, ' ');
	sp2 = sp != NULL ? strchr(sp + 1, ' ') : NULL;
	if (sp == NULL) {
		swap_text(r, &h->line, 1);
		return;
	}
	line = dt_strndup(r->cm, sp + 1, sp2 != NULL ? (size_t)(sp2 - sp - 1) :
	    strlen(sp + 1));
	if (line == NULL) {
		r->err = 1;
		return;
	}
	dt_buf_putn(&b, h->line, (size_t)(sp - h->line + 1));
	dt_buf_puts(&b, redact_uri_map(r, line) != NULL ? redact_uri_map(r, line) : "");
	if (sp2 != NULL)
		dt_buf_puts(&b, sp2);
	dt_free(r->cm, line);
	line = redact_keep(r, &b);
	if (line != NULL) {
		dt_free(r->cm, h->line);
		h->line = line;
	}
}

static void
conn(struct dt_redact *r, struct dt_capture *cap, struct dt_conn *c)
{
	struct dt_tls_facts *t = c->tls;
	struct dt_cert *x;
	const char *v, *k;
	size_t i;

	redact_addr_map(r, &c->client);
	redact_addr_map(r, &c->server);
	/* the server's text again, of the pseudonym (the client's and the
	   filter are written from the endpoints when asked for) */
	if (dt_conn_text_make(cap, c) != 0)
		r->err = 1;
	if (t == &dt_tls_none)		/* no TLS: nothing of it to redact */
		return;
	/* the pseudonym interned as the name was (one copy per name, not
	   per connection) */
	if (t->sni != NULL) {
		if ((v = redact_name_map(r, t->sni)) == NULL ||
		    (k = dt_capture_intern(cap, v)) == NULL) {
			r->err = 1;
		} else {
			if (!(t->kept & DT_TLS_KEPT_SNI))
				dt_free(r->cm, t->sni);
			t->sni = (char *)k;
			t->kept |= DT_TLS_KEPT_SNI;
		}
	}
	if ((t->certs_shared & 1) && t->n_server_certs > 0) {
		if ((x = chain_redacted(r, cap, t->server_certs,
		    t->n_server_certs)) == NULL) {
			r->err = 1;
			return;
		}
		t->server_certs = x;
	} else {
		for (i = 0; i < t->n_server_certs; i++)
			cert(r, &t->server_certs[i]);
	}
	if ((t->certs_shared & 2) && dt_tls_rare(t)->n_client_certs > 0) {
		if ((x = chain_redacted(r, cap, t->rare->client_certs,
		    t->rare->n_client_certs)) == NULL) {
			r->err = 1;
			return;
		}
		t->rare->client_certs = x;
	} else {
		for (i = 0; i < dt_tls_rare(t)->n_client_certs; i++)
			cert(r, &dt_tls_rare(t)->client_certs[i]);
	}
	if (t->rare != NULL) {
		strv(r, &t->rare->ca_names, t->rare->n_ca_names, 1,
		    redact_dn_map);
		swap_text(r, &t->rare->chain_error, 1);
		swap_text(r, &t->rare->non_tls_line, 1);
		swap_text(r, &t->rare->preamble_refused_line, 1);
		swap_text(r, &t->rare->malformed, 1);
	}
	if (t->http != NULL) {
		/* kept text (facts.c): owned copies to replace */
		if (dt_tls_http_own(r->cm, t) != 0) {
			r->err = 1;
		} else {
			http_msg(r, &t->http->request, 1);
			http_msg(r, &t->http->response, 0);
		}
	}
}

int
dt_redact_capture(struct dt_redact *r, struct dt_capture *cap)
{
	struct dt_conn *c;
	struct dt_dns *d;
	struct dt_http *h;
	struct dt_verdict *v;
	struct dt_hash shared;
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	size_t i, di;
	char **nt;

	r->cm = cap->mem;
	r->err = 0;
	r->n_dn_lens = 0;
	dt_hash_init(&r->dict, cap->mem);
	dt_hash_init(&r->chains, cap->mem);
	dt_hash_init(&shared, cap->mem);

	if (r->opt[0] != NULL)
		redact_name_map(r, r->opt[0]);
	if (r->opt[1] != NULL)
		redact_path_map(r, r->opt[1]);
	if (r->opt[2] != NULL && strlen(r->opt[2]) == 64)
		redact_hex_map(r, r->opt[2]);
	else if (r->opt[2] != NULL)
		redact_path_map(r, r->opt[2]);
	/* the facts first: every string replaced is learnt for the texts */
	for (c = cap->conns; c != NULL; c = c->next) {
		dt_capture_spill_step(cap, &sw);
		conn(r, cap, c);
	}
	for (di = 0; (d = dt_capture_dns(cap, di)) != NULL; di++) {
		dt_capture_spill_step(cap, &sw);
		kept(r, cap, &d->name, redact_name_map(r, d->name));
		kept(r, cap, &d->cname, redact_name_map(r, d->cname));
		for (i = 0; i < d->n_addrs; i++)
			dns_addr_map(r, d, i);
	}
	for (h = cap->http; h != NULL; h = h->next) {
		dt_capture_spill_step(cap, &sw);
		swap(r, &h->host, redact_hostport_map(r, h->host), 1);
		swap(r, &h->uri, redact_uri_map(r, h->uri), 1);
		swap_text(r, &h->status_line, 1);
	}
	/* why each connection is (not) IP-HTTPS quotes names and frames */
	for (c = cap->conns; c != NULL; c = c->next) {
		char *t;
		const char *k;

		dt_capture_spill_step(cap, &sw);
		if ((t = redact_text_map(r, r->cm, dt_conn_reason(c))) == NULL) {
			r->err = 1;
			continue;
		}
		if (strlen(t) >= DT_REASON_LEN)
			t[DT_REASON_LEN - 1] = '\0';
		/* kept text, as the rules keep the reasons of a capture that
		   spills: mostly distinct (names in them) */
		if ((k = kept_copy(r, cap, t)) != NULL)
			c->iphttps_reason = k;
		dt_free(r->cm, t);
	}
	swap(r, &cap->path, redact_path_map(r, cap->path), 1);
	for (i = 0; i < cap->n_errors; i++)
		swap_text(r, &cap->errors[i].message, 1);

	/* then the verdict texts; texts shared by many verdicts once */
	nt = cap->n_texts > 0 ? dt_calloc(r->cm, cap->n_texts, sizeof *nt) :
	    NULL;
	for (i = 0; i < cap->n_texts; i++) {
		if (nt == NULL)
			break;
		nt[i] = redact_text_map(r, r->cm, cap->texts[i]);
		if (nt[i] == NULL ||
		    dt_hash_add(&shared, &cap->texts[i], sizeof cap->texts[i],
		    nt[i]) < 0)
			r->err = 1;
	}
	for (v = cap->verdicts; v != NULL; v = v->next) {
		dt_capture_spill_step(cap, &sw);
		if (v->kept)
			swap_kept_text(r, cap, &v->summary);
		else
			swap_text(r, &v->summary, 1);
		if (v->shared_text & 1)
			v->explanation = dt_hash_last(&shared, &v->explanation,
			    sizeof v->explanation);
		else if (v->shared_text & 4)
			swap_kept_text(r, cap, &v->explanation);
		else
			swap_text(r, &v->explanation, 1);
		if (v->shared_text & 2)
			v->remedy = dt_hash_last(&shared, &v->remedy,
			    sizeof v->remedy);
		else if (v->shared_text & 8)
			swap_kept_text(r, cap, &v->remedy);
		else
			swap_text(r, &v->remedy, 1);
	}
	for (i = 0; i < cap->n_texts && nt != NULL; i++) {
		dt_free(r->cm, cap->texts[i]);
		cap->texts[i] = nt[i];
	}
	dt_free(r->cm, nt);

	dt_hash_free(&shared);
	dt_hash_free(&r->dict);
	dt_hash_free(&r->chains);
	redact_words_free(r);
	return r->err || cap->mem->failed ? DT_ENOMEM : 0;
}

