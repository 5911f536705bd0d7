/*
 * Finishing a capture's facts, once, when its analysis ended (after the
 * rules judged the bytes as they came): every string from the wire made
 * valid UTF-8 (RFC 3629, U+FFFD for bad bytes), the derived facts the
 * writers and accessors share (endpoint strings, the Wireshark filter), and
 * the indexes of the accessors. After this nothing writes to the capture,
 * so reading it is free of side effects and of allocation, from any number
 * of threads.
 */
#include "facts/facts.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

/* Whether s is valid UTF-8 (NULL is): nearly every text here is ASCII,
   told by its length and its words or-ed, eight bytes a step; only the
   others are read a sequence at a time (dt_utf8_valid(), a byte a step
   over ASCII: 2.1 M instructions of the 100 MB bench day's finish were
   its walk over 3,605 verdict summaries). */
static int
text_valid(const char *s)
{
	uint64_t w, hi = 0;
	size_t n, i;

	if (s == NULL)
		return 1;
	n = strlen(s);
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		hi |= w;
	}
	if (i < n && n >= 8) {		/* the last eight, once more */
		memcpy(&w, s + n - 8, 8);
		hi |= w;
	} else
		for (; i < n; i++)
			hi |= (unsigned char)s[i];
	return (hi & 0x8080808080808080ULL) == 0 || dt_utf8_valid(s);
}

/* ---- the verdict's words ------------------------------------------------- */

/* Public (datrace.h), and here rather than with the other accessors so
   that the rules, which write them into explanations, and the writers
   take them from below both. */
DT_EXTERN const char *
dt_severity_name(dt_severity s)
{
	switch (s) {
	case DT_SEV_INFO: return "info";
	case DT_SEV_WARNING: return "warning";
	case DT_SEV_ERROR: return "error";
	}
	return "unknown";
}

DT_EXTERN const char *
dt_confidence_name(dt_confidence c)
{
	switch (c) {
	case DT_CONF_LOW: return "low";
	case DT_CONF_MEDIUM: return "medium";
	case DT_CONF_HIGH: return "high";
	}
	return "unknown";
}

/* ---- derived facts ------------------------------------------------------- */

const char *
dt_facts_server_name(const struct dt_conn *c)
{
	if (c->tls->sni != NULL && c->tls->sni[0] != '\0')
		return c->tls->sni;
	if (dt_tls_http(c->tls)->request.frame != 0 && dt_tls_http(c->tls)->request.host != NULL &&
	    dt_tls_http(c->tls)->request.host[0] != '\0')
		return dt_tls_http(c->tls)->request.host;
	return NULL;
}

const struct dt_conn *
dt_facts_conn_by_id(const struct dt_capture *cap, uint32_t id)
{
	size_t lo = 0, hi = cap->conn_ids != NULL ? cap->n_conns : 0, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cap->conn_ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return cap->conn_ids != NULL && lo < cap->n_conns &&
	    cap->conn_ids[lo] == id ? cap->conn_index[lo] : NULL;
}

static size_t
put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return n;
}

/* "ip.addr==A && tcp.port==P" of one end at p: its length, 0 when the
   address cannot be written (snprintf() with inet_ntop() was most of
   dt_capture_finish()). */
static size_t
put_end(char *p, const struct dt_addr *a, unsigned port)
{
	char *q = p;
	size_t n;

	q += put_str(q, a->family == 6 ? "ipv6.addr==" : "ip.addr==");
	if ((n = dt_addr_put(q, a)) == 0)
		return 0;
	q += n;
	q += put_str(q, " && tcp.port==");
	q += dt_put_uint(q, port);
	return (size_t)(q - p);
}

void
dt_facts_wireshark_filter(const struct dt_conn *c, char *buf, size_t len)
{
	char t[2 * (sizeof "ipv6.addr== && tcp.port==65535" + INET6_ADDRSTRLEN)
	    + sizeof " && "];
	size_t n, k;

	if (len == 0)
		return;
	n = put_end(t, &c->client, c->client_port);
	k = n != 0 ? put_end(t + n + 4, &c->server, c->server_port) : 0;
	if (k == 0) {
		snprintf(buf, len, "tcp.port==%u && tcp.port==%u",
		    c->client_port, c->server_port);
		return;
	}
	memcpy(t + n, " && ", 4);
	n += 4 + k;
	if (n > len - 1)	/* cut to len, as snprintf() did */
		n = len - 1;
	memcpy(buf, t, n);
	buf[n] = '\0';
}

/* ---- UTF-8 repair -------------------------------------------------------- */

/*
 * Facts keep wire bytes as they came (the rules compare them). Here each
 * string that is not UTF-8 (few are) is replaced by its cleaned copy from
 * the capture's memory; when memory is refused, its bad bytes become '?' in
 * place, and the refusal is forgotten (the analysis itself succeeded).
 */
static char *
utf8_copy(struct dt_mem *m, const char *s, int *fail)
{
	char *out, *shrunk;
	int was;

	if (s == NULL)
		return NULL;
	was = m->failed;
	out = dt_utf8_dup(m, s);
	if (out != NULL) {
		shrunk = dt_realloc(m, out, strlen(out) + 1);
		if (shrunk != NULL)
			out = shrunk;
	} else {
		*fail = 1;
	}
	m->failed = was;
	return out;
}

static void
clean_str(struct dt_mem *m, char **sp)
{
	char *copy;
	int fail = 0;

	if (text_valid(*sp))
		return;
	copy = utf8_copy(m, *sp, &fail);
	if (copy == NULL) {
		dt_utf8_patch(*sp);
		return;
	}
	dt_free(m, *sp);
	*sp = copy;
}

/* The same for an interned string (shared, never freed): the cleaned
   copy interned in its place; when memory is refused, patched where it
   is (every sharer would get the same repair). */
static void
clean_kept(struct dt_capture *cap, const char **sp)
{
	struct dt_mem *m = cap->mem;
	const char *kept = NULL;
	char *copy;
	int was;

	if (text_valid(*sp))
		return;
	was = m->failed;
	copy = dt_utf8_dup(m, *sp);
	if (copy != NULL)
		kept = dt_capture_intern(cap, copy);
	dt_free(m, copy);
	m->failed = was;
	if (kept != NULL)
		*sp = kept;
	else
		dt_utf8_patch((char *)*sp);
}

/* The same for a string in kept memory that is not shared (a verdict's
   summary): the cleaned copy is kept text too, the old one left there. */
static void
clean_kept_text(struct dt_capture *cap, char **sp)
{
	char *copy, *kept = NULL;
	int fail = 0, was;

	if (text_valid(*sp))
		return;
	was = cap->mem->failed;
	copy = utf8_copy(cap->mem, *sp, &fail);
	if (copy != NULL)
		kept = dt_capture_keep_str(cap, copy, strlen(copy));
	dt_free(cap->mem, copy);
	cap->mem->failed = was;
	if (kept != NULL)
		*sp = kept;
	else
		dt_utf8_patch(*sp);
}

static void
clean_strv(struct dt_mem *m, char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		clean_str(m, &v[i]);
}

static int
strv_ok(char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!text_valid(v[i]))
			return 0;
	return 1;
}

static int
cert_ok(const struct dt_cert *x)
{
	return text_valid(x->subject) && text_valid(x->issuer) &&
	    text_valid(x->serial) && text_valid(x->common_name) &&
	    text_valid(x->key_type) && text_valid(x->sig_alg) &&
	    text_valid(x->parse_error) &&
	    strv_ok(x->dns_names, x->n_dns_names) &&
	    strv_ok(x->ip_addrs, x->n_ip_addrs) &&
	    strv_ok(x->crl_urls, x->n_crl_urls) &&
	    strv_ok(x->aia_urls, x->n_aia_urls);
}

static char **
strv_copy(struct dt_mem *m, char *const *v, size_t n, int *fail)
{
	char **out;
	size_t i;
	int was;

	if (n == 0)
		return NULL;
	was = m->failed;
	out = dt_calloc(m, n, sizeof *out);
	m->failed = was;
	if (out == NULL) {
		*fail = 1;
		return NULL;
	}
	for (i = 0; i < n; i++)
		out[i] = utf8_copy(m, v[i], fail);
	return out;
}

static void
patch_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dt_utf8_patch(v[i]);
}

static void
cert_patch(struct dt_cert *x)
{
	char **fields[] = { &x->subject, &x->issuer, &x->serial,
	    &x->common_name, &x->key_type, &x->sig_alg, &x->parse_error };
	size_t i;

	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (*fields[i] != NULL)
			dt_utf8_patch(*fields[i]);
	patch_strv(x->dns_names, x->n_dns_names);
	patch_strv(x->ip_addrs, x->n_ip_addrs);
	patch_strv(x->crl_urls, x->n_crl_urls);
	patch_strv(x->aia_urls, x->n_aia_urls);
}

/*
 * A certificate from the x509 cache shares its strings with every other
 * connection that saw the same DER, read-only. One with a string that is
 * not UTF-8 gets its own cleaned copies instead (no longer cached, so
 * dt_cert_clear() frees them); its DER stays the cache's business (the
 * chain was verified long ago).
 */
static void
clean_cert(struct dt_mem *m, struct dt_cert *x)
{
	struct dt_cert y;
	int fail = 0;

	if (cert_ok(x))
		return;
	if (!x->cached) {
		clean_str(m, &x->subject);
		clean_str(m, &x->issuer);
		clean_str(m, &x->serial);
		clean_str(m, &x->common_name);
		clean_str(m, &x->key_type);
		clean_str(m, &x->sig_alg);
		clean_str(m, &x->parse_error);
		clean_strv(m, x->dns_names, x->n_dns_names);
		clean_strv(m, x->ip_addrs, x->n_ip_addrs);
		clean_strv(m, x->crl_urls, x->n_crl_urls);
		clean_strv(m, x->aia_urls, x->n_aia_urls);
		return;
	}
	memset(&y, 0, sizeof y);
	y.subject = utf8_copy(m, x->subject, &fail);
	y.issuer = utf8_copy(m, x->issuer, &fail);
	y.serial = utf8_copy(m, x->serial, &fail);
	y.common_name = utf8_copy(m, x->common_name, &fail);
	y.key_type = utf8_copy(m, x->key_type, &fail);
	y.sig_alg = utf8_copy(m, x->sig_alg, &fail);
	y.parse_error = utf8_copy(m, x->parse_error, &fail);
	y.n_dns_names = x->n_dns_names;
	y.dns_names = strv_copy(m, x->dns_names, x->n_dns_names, &fail);
	y.n_ip_addrs = x->n_ip_addrs;
	y.ip_addrs = strv_copy(m, x->ip_addrs, x->n_ip_addrs, &fail);
	y.n_crl_urls = x->n_crl_urls;
	y.crl_urls = strv_copy(m, x->crl_urls, x->n_crl_urls, &fail);
	y.n_aia_urls = x->n_aia_urls;
	y.aia_urls = strv_copy(m, x->aia_urls, x->n_aia_urls, &fail);
	if (fail) {
		/* free what was copied (a list's count may outrun its
		   NULL array: dt_cert_clear frees per entry, so zero them) */
		if (y.dns_names == NULL)
			y.n_dns_names = 0;
		if (y.ip_addrs == NULL)
			y.n_ip_addrs = 0;
		if (y.crl_urls == NULL)
			y.n_crl_urls = 0;
		if (y.aia_urls == NULL)
			y.n_aia_urls = 0;
		dt_cert_clear(m, &y);
		cert_patch(x);
		return;
	}
	memcpy(y.sha256, x->sha256, sizeof y.sha256);
	y.not_before = x->not_before;
	y.not_after = x->not_after;
	y.self_signed = x->self_signed;
	y.server_auth = x->server_auth;
	y.client_auth = x->client_auth;
	y.key_bits = x->key_bits;
	*x = y;
}

static void
clean_http_msg(struct dt_mem *m, struct dt_http_msg *h)
{
	clean_str(m, &h->line);
	clean_str(m, &h->host);
	clean_str(m, &h->server);
	clean_str(m, &h->content_length);
}

static int
http_msg_ok(const struct dt_http_msg *h)
{
	return text_valid(h->line) && text_valid(h->host) &&
	    text_valid(h->server) && text_valid(h->content_length);
}

static void
http_msg_patch(struct dt_http_msg *h)
{
	char *s[] = { h->line, h->host, h->server, h->content_length };
	size_t i;

	for (i = 0; i < 4; i++)
		if (s[i] != NULL && !text_valid(s[i]))
			dt_utf8_patch(s[i]);
}

static int
certs_ok(const struct dt_tls_facts *t)
{
	size_t i;

	for (i = 0; i < t->n_server_certs; i++)
		if (!cert_ok(&t->server_certs[i]))
			return 0;
	for (i = 0; i < dt_tls_rare(t)->n_client_certs; i++)
		if (!cert_ok(&dt_tls_rare(t)->client_certs[i]))
			return 0;
	return 1;
}

/* ---- one connection, one capture ----------------------------------------- */

/* The server chain shared from the x509 cache that was last found valid
   (a server's chain is the same array in thousands of connections, so
   it is checked once, not once per connection). */
struct chain_memo {
	const struct dt_cert *certs;
	size_t n;
};

/* Every certificate of t valid UTF-8, when some array is shared. */
static int
shared_certs_ok(const struct dt_tls_facts *t, struct chain_memo *cm)
{
	int memo = cm != NULL && (t->certs_shared & 1) &&
	    dt_tls_rare(t)->n_client_certs == 0;

	if (memo && t->server_certs == cm->certs && t->n_server_certs == cm->n)
		return 1;
	if (!certs_ok(t))
		return 0;
	if (memo) {
		cm->certs = t->server_certs;
		cm->n = t->n_server_certs;
	}
	return 1;
}

/* The TLS facts' strings; the shared empty facts have none (and are
   read-only). */
/* SNI or ALPN: interned (bit `kept` of kept) or owned. */
static void
clean_name(struct dt_capture *cap, struct dt_tls_facts *t, char **sp,
    uint8_t kept)
{
	const char *s = *sp;

	if (s == NULL)			/* none (most ALPNs) */
		return;
	if (!(t->kept & kept)) {
		clean_str(cap->mem, sp);
		return;
	}
	clean_kept(cap, &s);
	if (s != *sp)
		*sp = (char *)s;	/* interned: shared, never written */
}

static void
clean_tls(struct dt_capture *cap, struct dt_tls_facts *t,
    struct chain_memo *cm)
{
	struct dt_mem *m = cap->mem;
	size_t i;

	if (t == &dt_tls_none)
		return;
	clean_name(cap, t, &t->sni, DT_TLS_KEPT_SNI);
	clean_name(cap, t, &t->alpn, DT_TLS_KEPT_ALPN);
	if (t->rare != NULL) {
		clean_str(m, &t->rare->chain_error);
		clean_str(m, &t->rare->non_tls_line);
		clean_str(m, &t->rare->preamble_refused_line);
		clean_str(m, &t->rare->malformed);
		clean_strv(m, t->rare->ca_names, t->rare->n_ca_names);
	}
	if (t->http != NULL) {
		/* kept text (facts.c): replaced only when one is not UTF-8,
		   owned copies first (patched in place when refused) */
		if (!http_msg_ok(&t->http->request) ||
		    !http_msg_ok(&t->http->response)) {
			int was = m->failed;

			(void)dt_tls_http_own(m, t);
			m->failed = was;
		}
		if (t->kept & DT_TLS_KEPT_HTTP_TEXT) {
			http_msg_patch(&t->http->request);
			http_msg_patch(&t->http->response);
		} else {
			clean_http_msg(m, &t->http->request);
			clean_http_msg(m, &t->http->response);
		}
	}
	if (t->certs_shared != 0 && shared_certs_ok(t, cm))
		return;		/* nothing to repair in any certificate */
	if (t->certs_shared != 0) {
		int was = m->failed;

		if (dt_tls_certs_own(m, t) != 0) {
			/* the cache's strings repaired where they are, as
			   clean_cert does when memory is refused */
			m->failed = was;
			for (i = 0; i < t->n_server_certs; i++)
				cert_patch(&t->server_certs[i]);
			for (i = 0; i < dt_tls_rare(t)->n_client_certs; i++)
				cert_patch(&dt_tls_rare(t)->client_certs[i]);
			return;
		}
		m->failed = was;
	}
	for (i = 0; i < t->n_server_certs; i++)
		clean_cert(m, &t->server_certs[i]);
	for (i = 0; i < dt_tls_rare(t)->n_client_certs; i++)
		clean_cert(m, &dt_tls_rare(t)->client_certs[i]);
}

static int
conn_finish(struct dt_capture *cap, struct dt_conn *c, struct chain_memo *cm)
{
	clean_tls(cap, c->tls, cm);
	if (c->server_str == NULL && dt_conn_text_make(cap, c) != 0)
		return -1;
	return 0;
}

/* ---- the public accessors' texts ---------------------------------------- */

#define API_BLOCK (64 * 1024 - 64)

void
dt_capture_api_texts(const struct dt_capture *ccap)
{
	/* the one write to finished results (see facts.h): to fields no
	   reader reads before it is done */
	struct dt_capture *cap = (struct dt_capture *)ccap;
	struct dt_api_block *b = NULL;
	struct dt_mem rm;
	struct dt_conn *c;
	char t[DT_ENDPOINT_LEN + DT_FILTER_LEN];
	const char *none;
	size_t n;
	char *p;

	if (__atomic_load_n(&cap->api_texts, __ATOMIC_ACQUIRE))
		return;
	dt_mem_reader(&rm, cap->mem);
	for (c = cap->conns; c != NULL; c = c->next) {
		if (__atomic_load_n(&c->api_text, __ATOMIC_ACQUIRE) != NULL)
			continue;
		n = dt_conn_client_text(c, t) + 1;
		dt_facts_wireshark_filter(c, t + n, DT_FILTER_LEN);
		n += strlen(t + n) + 1;
		if (b == NULL || b->size - b->used < n) {
			if ((b = dt_malloc(&rm, sizeof *b + API_BLOCK)) == NULL)
				return;
			b->used = 0;
			b->size = API_BLOCK;
			b->next = __atomic_load_n(&cap->api_blocks,
			    __ATOMIC_RELAXED);
			while (!__atomic_compare_exchange_n(&cap->api_blocks,
			    &b->next, b, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
				;
		}
		p = b->bytes + b->used;
		memcpy(p, t, n);
		none = NULL;
		if (__atomic_compare_exchange_n(&c->api_text, &none, p, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			b->used += n;
	}
	__atomic_store_n(&cap->api_texts, 1, __ATOMIC_RELEASE);
}

int
dt_conn_finish(struct dt_capture *cap, struct dt_conn *c)
{
	return conn_finish(cap, c, NULL);
}

/* Each list is walked once to repair its strings and once to fill its
   index (the connections and verdicts, whose counts are kept, once in
   all): on a day's capture they are hundreds of thousands of records
   apart in memory. The DNS records are not walked: flow/dns.c interns
   their names repaired, and they need no index (dt_capture_dns()). */
int
dt_capture_finish(struct dt_capture *cap)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	struct dt_mem *m = cap->mem;
	struct dt_conn *c;
	struct dt_verdict *v;
	struct dt_http *h;
	struct chain_memo cm = { NULL, 0 };
	size_t i;

	clean_str(m, &cap->path);
	for (i = 0; i < cap->n_errors; i++)
		clean_str(m, &cap->errors[i].message);
	for (cap->n_http = 0, h = cap->http; h != NULL; h = h->next) {
		clean_str(m, &h->method);
		clean_str(m, &h->uri);
		clean_str(m, &h->host);
		clean_str(m, &h->status_line);
		cap->n_http++;
	}

	/* the accessors' indexes: the i-th of each list in one step; they
	   live as long as the capture, sized once: kept memory */
	cap->conn_index = dt_capture_keep(cap, (cap->n_conns + 1) *
	    sizeof *cap->conn_index);
	cap->verdict_index = dt_capture_keep(cap, (cap->n_verdicts + 1) *
	    sizeof *cap->verdict_index);
	cap->http_index = dt_capture_keep(cap, (cap->n_http + 1) *
	    sizeof *cap->http_index);
	cap->conn_ids = dt_capture_keep(cap, (cap->n_conns + 1) *
	    sizeof *cap->conn_ids);
	if (cap->conn_index == NULL || cap->verdict_index == NULL ||
	    cap->http_index == NULL || cap->conn_ids == NULL)
		goto fail;
	cap->n_iphttps = 0;
	for (i = 0, c = cap->conns; c != NULL; c = c->next) {
		dt_capture_spill_step(cap, &sw);
		if (conn_finish(cap, c, &cm) != 0)
			goto fail;
		cap->n_iphttps += c->iphttps != 0;
		if (i < cap->n_conns) {
			cap->conn_ids[i] = c->id;
			cap->conn_index[i++] = c;
		}
	}
	cap->n_conns = i;
	for (i = 0, v = cap->verdicts; v != NULL; v = v->next) {
		dt_capture_spill_step(cap, &sw);
		/* shared texts are ASCII (rules.c): only owned ones */
		if (v->kept)
			clean_kept_text(cap, &v->summary);
		else
			clean_str(m, &v->summary);
		if (v->shared_text & 4)
			clean_kept_text(cap, &v->explanation);
		else if (!(v->shared_text & 1))
			clean_str(m, &v->explanation);
		if (v->shared_text & 8)
			clean_kept_text(cap, &v->remedy);
		else if (!(v->shared_text & 2))
			clean_str(m, &v->remedy);
		if (i < cap->n_verdicts)
			cap->verdict_index[i++] = v;
	}
	cap->n_verdicts = i;
	for (i = 0, h = cap->http; h != NULL; h = h->next)
		cap->http_index[i++] = h;
	return 0;
fail:
	/* no index: the accessors see an empty capture, as before (what
	   was kept stays with the capture) */
	cap->conn_index = NULL;
	cap->conn_ids = NULL;
	cap->verdict_index = NULL;
	cap->http_index = NULL;
	return -1;
}

/* The intern table's slots, and the TLS list blocks' (the strings and
   blocks stay, kept): when nothing will
   ask for a name the capture has seen again, so that it does not stay
   beside what the end of the capture allocates. An intern after it
   starts a new table (a copy of a string interned before it is then
   another pointer). */
void
dt_capture_intern_end(struct dt_capture *cap)
{
	dt_free(cap->mem, cap->strs);
	cap->strs = NULL;
	cap->cap_strs = 0;
	cap->n_strs = 0;
	dt_free(cap->mem, cap->lists);
	cap->lists = NULL;
	cap->cap_lists = 0;
	cap->n_lists = 0;
	/* a server text made after this is interned anew, not remembered */
	memset(cap->server_memo, 0, sizeof cap->server_memo);
	dt_capture_spares_free(cap);	/* no connection is made after */
	/* nothing more comes from the wire: no connection or DNS record is
	   kept after this, so the regions their kinds were filling in the
	   spill file need not stay mapped through drops (util/spill.h) */
	if (cap->spill != NULL) {
		dt_spill_lane_end(cap->spill, DT_KEEP_CONN);
		dt_spill_lane_end(cap->spill, DT_KEEP_DNS);
		dt_spill_lane_end(cap->spill, DT_KEEP_DNS_ADDRS);
	}
}
