/*
 * The public accessors and writers of datrace.h: a read-only window on the
 * facts and verdicts the analyzer keeps (lib/facts/facts.h). Everything the
 * CLI prints it gets through these functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "report/report.h"
#include "rules/rules.h"
#include "tls/tls.h"

#include "capture/capture.h"

#include <arpa/inet.h>

/* ---- wire strings made UTF-8 ------------------------------------------- */

/*
 * The header promises UTF-8 (RFC 3629) with U+FFFD for bad bytes. Facts
 * keep wire bytes as they came, so an object is cleaned when an iterator
 * first hands it out: a string that is already UTF-8 (nearly all of them)
 * is left alone, another is replaced by its cleaned copy from the
 * capture's memory. Cleaning is idempotent, so handing the same object out
 * again costs a scan and allocates nothing.
 */
static int
utf8_ok(const char *s)
{
	size_t n, i = 0, k;
	uint32_t cp;

	if (s == NULL)
		return 1;
	n = strlen(s);
	while (i < n) {
		k = dt_utf8_next(s + i, n - i, &cp);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* No room for a copy: each bad byte becomes '?' where it is. */
static void
utf8_patch(char *s)
{
	size_t n = strlen(s), i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = dt_utf8_next(s + i, n - i, &cp);
		if (k == 0) {
			s[i] = '?';
			k = 1;
		}
		i += k;
	}
}

/* A cleaned copy of s (NULL for NULL or when memory failed; *fail set).
   A refused allocation is handled here, so the sticky flag is put back. */
static char *
utf8_copy(struct dt_mem *m, const char *s, int *fail)
{
	char *out, *shrunk;
	int was;

	if (s == NULL || m == NULL) {
		if (s != NULL)
			*fail = 1;
		return NULL;
	}
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

/* An owned string: replaced by its cleaned copy when not UTF-8. */
static void
clean_str(struct dt_mem *m, char **sp)
{
	char *copy;
	int fail = 0;

	if (utf8_ok(*sp))
		return;
	copy = utf8_copy(m, *sp, &fail);
	if (copy == NULL) {
		utf8_patch(*sp);
		return;
	}
	dt_free(m, *sp);
	*sp = copy;
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
		if (!utf8_ok(v[i]))
			return 0;
	return 1;
}

static int
cert_ok(const struct dt_cert *x)
{
	return utf8_ok(x->subject) && utf8_ok(x->issuer) &&
	    utf8_ok(x->serial) && utf8_ok(x->common_name) &&
	    utf8_ok(x->key_type) && utf8_ok(x->sig_alg) &&
	    utf8_ok(x->parse_error) &&
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

	if (n == 0 || m == NULL) {
		if (n != 0)
			*fail = 1;
		return NULL;
	}
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
cert_patch(struct dt_cert *x)
{
	char **fields[] = { &x->subject, &x->issuer, &x->serial,
	    &x->common_name, &x->key_type, &x->sig_alg, &x->parse_error };
	size_t i;

	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (*fields[i] != NULL)
			utf8_patch(*fields[i]);
	for (i = 0; i < x->n_dns_names; i++)
		utf8_patch(x->dns_names[i]);
	for (i = 0; i < x->n_ip_addrs; i++)
		utf8_patch(x->ip_addrs[i]);
	for (i = 0; i < x->n_crl_urls; i++)
		utf8_patch(x->crl_urls[i]);
	for (i = 0; i < x->n_aia_urls; i++)
		utf8_patch(x->aia_urls[i]);
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
		if (m != NULL)
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

/* What the JSON writer computes when the pipeline left it unset, made
   once so that the accessors can hand out a pointer. */
static void
prepare_conn(struct dt_mem *m, struct dt_conn *c)
{
	char buf[256];
	const char *f;
	int was;

	if (c->client_str[0] == '\0')
		dt_addr_format(&c->client, c->client_port, c->client_str,
		    sizeof c->client_str);
	if (c->server_str[0] == '\0')
		dt_addr_format(&c->server, c->server_port, c->server_str,
		    sizeof c->server_str);
	if (c->wireshark_filter == NULL && m != NULL) {
		f = dt_report_wireshark_filter(c, buf, sizeof buf);
		was = m->failed;
		c->wireshark_filter = dt_strdup(m, f);
		m->failed = was;
	}
}

static void
clean_conn(struct dt_mem *m, struct dt_conn *c)
{
	struct dt_tls_facts *t = &c->tls;
	size_t i;

	clean_str(m, &t->sni);
	clean_str(m, &t->alpn);
	clean_str(m, &t->chain_error);
	clean_str(m, &t->non_tls_line);
	clean_str(m, &t->malformed);
	clean_strv(m, t->ca_names, t->n_ca_names);
	clean_http_msg(m, &t->http_request);
	clean_http_msg(m, &t->http_response);
	clean_str(m, &c->wireshark_filter);
	prepare_conn(m, c);
	for (i = 0; i < t->n_server_certs; i++)
		clean_cert(m, &t->server_certs[i]);
	for (i = 0; i < t->n_client_certs; i++)
		clean_cert(m, &t->client_certs[i]);
}

DT_EXTERN const char *
dt_severity_name(dt_severity s)
{
	return dt_report_severity_name(s);
}

DT_EXTERN const char *
dt_confidence_name(dt_confidence c)
{
	return dt_report_confidence_name(c);
}

/* ---- analyzer ----------------------------------------------------------- */

DT_EXTERN size_t
dt_analyzer_capture_count(const dt_analyzer *a)
{
	return a != NULL ? a->n_caps : 0;
}

DT_EXTERN int
dt_analyzer_capture_at(const dt_analyzer *a, size_t i, const dt_capture **out)
{
	if (a == NULL || out == NULL)
		return DT_EINVAL;
	if (i >= a->n_caps)
		return DT_ITEROVER;
	clean_str(a->caps[i]->mem, &a->caps[i]->path);
	*out = a->caps[i];
	return 0;
}

DT_EXTERN int
dt_analyzer_worst(const dt_analyzer *a)
{
	const struct dt_verdict *v;
	int worst = -1;
	size_t i;

	for (i = 0; a != NULL && i < a->n_caps; i++)
		for (v = a->caps[i]->verdicts; v != NULL; v = v->next)
			if ((int)v->severity > worst)
				worst = (int)v->severity;
	return worst;
}

/* ---- capture ------------------------------------------------------------ */

DT_EXTERN const char *dt_capture_path(const dt_capture *c) { return c->path; }
DT_EXTERN const char *dt_capture_format(const dt_capture *c) { return c->format; }
DT_EXTERN uint64_t dt_capture_packets(const dt_capture *c) { return c->packets; }
DT_EXTERN uint64_t dt_capture_bytes(const dt_capture *c) { return c->bytes; }
DT_EXTERN int64_t dt_capture_first_time(const dt_capture *c) { return c->first_time; }
DT_EXTERN int64_t dt_capture_last_time(const dt_capture *c) { return c->last_time; }
DT_EXTERN size_t dt_capture_link_type_count(const dt_capture *c) { return c->n_linktypes; }
DT_EXTERN size_t dt_capture_error_count(const dt_capture *c) { return c->n_errors; }
DT_EXTERN size_t dt_capture_conn_count(const dt_capture *c) { return c->conn_index ? c->n_conns : 0; }
DT_EXTERN size_t dt_capture_verdict_count(const dt_capture *c) { return c->verdict_index ? c->n_verdicts : 0; }

DT_EXTERN uint64_t
dt_capture_truncated_packets(const dt_capture *c)
{
	return c->truncated_packets;
}

DT_EXTERN uint64_t
dt_capture_distinct_packets(const dt_capture *c)
{
	return c->packets - c->duplicate_sightings;
}

DT_EXTERN uint64_t
dt_capture_duplicate_sightings(const dt_capture *c)
{
	return c->duplicate_sightings;
}

DT_EXTERN int
dt_capture_damaged(const dt_capture *c)
{
	return c->damaged;
}

DT_EXTERN int
dt_capture_link_type_at(const dt_capture *c, size_t i, const char **name,
    int *linktype)
{
	struct dt_linktype_count *l;
	char buf[64];
	const char *known;

	if (i >= c->n_linktypes)
		return DT_ITEROVER;
	l = &c->linktypes[i];
	if (l->name[0] == '\0') {	/* not named by the pipeline: as JSON */
		known = dt_linktype_name(l->linktype, buf, sizeof buf);
		if (known == NULL)
			snprintf(l->name, sizeof l->name, "LINKTYPE_%d",
			    l->linktype);
		else
			snprintf(l->name, sizeof l->name, "%s", known);
	}
	if (linktype != NULL)
		*linktype = l->linktype;
	if (name != NULL)
		*name = l->name;
	return 0;
}

DT_EXTERN int
dt_capture_error_at(const dt_capture *c, size_t i, uint64_t *offset,
    const char **message)
{
	if (i >= c->n_errors)
		return DT_ITEROVER;
	clean_str(c->mem, &c->errors[i].message);
	if (offset != NULL)
		*offset = c->errors[i].offset;
	if (message != NULL)
		*message = c->errors[i].message;
	return 0;
}

DT_EXTERN int
dt_capture_conn_at(const dt_capture *c, size_t i, const dt_conn **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (c->conn_index == NULL || i >= c->n_conns)
		return DT_ITEROVER;
	clean_conn(c->mem, c->conn_index[i]);
	*out = c->conn_index[i];
	return 0;
}

DT_EXTERN int
dt_capture_verdict_at(const dt_capture *c, size_t i, const dt_verdict **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (c->verdict_index == NULL || i >= c->n_verdicts)
		return DT_ITEROVER;
	clean_str(c->mem, &c->verdict_index[i]->summary);
	clean_str(c->mem, &c->verdict_index[i]->explanation);
	clean_str(c->mem, &c->verdict_index[i]->remedy);
	*out = c->verdict_index[i];
	return 0;
}

/* ---- verdict ------------------------------------------------------------ */

DT_EXTERN const char *dt_verdict_id(const dt_verdict *v) { return v->id; }
DT_EXTERN dt_severity dt_verdict_severity(const dt_verdict *v) { return v->severity; }
DT_EXTERN dt_confidence dt_verdict_confidence(const dt_verdict *v) { return v->confidence; }
DT_EXTERN uint32_t dt_verdict_windows_code(const dt_verdict *v) { return v->win_code; }
DT_EXTERN const char *dt_verdict_windows_name(const dt_verdict *v) { return v->win_name; }
DT_EXTERN uint32_t dt_verdict_conn(const dt_verdict *v) { return v->conn; }
DT_EXTERN size_t dt_verdict_frame_count(const dt_verdict *v) { return v->n_frames; }
DT_EXTERN const char *dt_verdict_summary(const dt_verdict *v) { return v->summary; }
DT_EXTERN const char *dt_verdict_explanation(const dt_verdict *v) { return v->explanation; }
DT_EXTERN const char *dt_verdict_remedy(const dt_verdict *v) { return v->remedy; }

DT_EXTERN int
dt_verdict_frame_at(const dt_verdict *v, size_t i, uint64_t *frame)
{
	if (i >= v->n_frames)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = v->frames[i];
	return 0;
}

/* ---- connection --------------------------------------------------------- */

DT_EXTERN uint32_t dt_conn_id(const dt_conn *c) { return c->id; }
DT_EXTERN const char *dt_conn_client(const dt_conn *c) { return c->client_str; }
DT_EXTERN const char *dt_conn_server(const dt_conn *c) { return c->server_str; }
DT_EXTERN int dt_conn_iphttps(const dt_conn *c) { return c->iphttps; }
DT_EXTERN uint64_t dt_conn_first_frame(const dt_conn *c) { return c->first_frame; }
DT_EXTERN uint64_t dt_conn_last_frame(const dt_conn *c) { return c->last_frame; }
DT_EXTERN int dt_conn_has_tls(const dt_conn *c) { return c->tls.seen; }
DT_EXTERN int dt_conn_tls_offered_null(const dt_conn *c) { return c->tls.offered_null; }
DT_EXTERN size_t dt_conn_tls_offered_count(const dt_conn *c) { return c->tls.n_offered_suites; }
DT_EXTERN size_t dt_conn_server_cert_count(const dt_conn *c) { return c->tls.n_server_certs; }

DT_EXTERN const char *
dt_conn_server_name(const dt_conn *c)
{
	return dt_report_server_name(c);
}

DT_EXTERN const char *
dt_conn_state(const dt_conn *c)
{
	return dt_report_state_name(c->state);
}

DT_EXTERN const char *
dt_conn_wireshark_filter(const dt_conn *c)
{
	return c->wireshark_filter != NULL ? c->wireshark_filter : "";
}

DT_EXTERN const char *
dt_conn_tls_version(const dt_conn *c)
{
	if (!c->tls.seen || c->tls.sh_frame == 0)
		return NULL;
	return dt_tls_version_name(c->tls.version);
}

DT_EXTERN int
dt_conn_tls_suite(const dt_conn *c, const char **name)
{
	/* an SSL 2.0 SERVER-HELLO chooses no TLS suite (JSON null) */
	if (c->tls.sh_frame == 0 || c->tls.version < 0x0300) {
		if (name != NULL)
			*name = NULL;
		return -1;
	}
	if (name != NULL)
		*name = dt_tls_suite_name(c->tls.suite);
	return c->tls.suite;
}

DT_EXTERN int
dt_conn_tls_offered_at(const dt_conn *c, size_t i, uint16_t *suite,
    const char **name)
{
	if (i >= c->tls.n_offered_suites)
		return DT_ITEROVER;
	if (suite != NULL)
		*suite = c->tls.offered_suites[i];
	if (name != NULL)
		*name = dt_tls_suite_name(c->tls.offered_suites[i]);
	return 0;
}

DT_EXTERN int
dt_conn_tls_alert(const dt_conn *c, uint64_t *frame, int *from_server,
    int *level, int *description, const char **name)
{
	const struct dt_tls_facts *t = &c->tls;

	if (t->alert_frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = t->alert_frame;
	if (from_server != NULL)
		*from_server = t->alert_dir == DT_S2C;
	if (level != NULL)
		*level = t->alert_encrypted ? 0 : t->alert_level;
	if (description != NULL)
		*description = t->alert_encrypted ? -1 : t->alert_desc;
	if (name != NULL)
		*name = t->alert_encrypted ? NULL : dt_tls_alert_name(t->alert_desc);
	return 0;
}

DT_EXTERN const char *
dt_conn_tls_client_certificate(const dt_conn *c)
{
	return dt_report_client_cert_name(c->tls.client_cert);
}

DT_EXTERN int
dt_conn_server_cert_at(const dt_conn *c, size_t i, const dt_cert **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (i >= c->tls.n_server_certs)
		return DT_ITEROVER;
	*out = &c->tls.server_certs[i];
	return 0;
}

/* ---- certificate -------------------------------------------------------- */

DT_EXTERN const char *dt_cert_subject(const dt_cert *x) { return x->subject; }
DT_EXTERN const char *dt_cert_issuer(const dt_cert *x) { return x->issuer; }
DT_EXTERN const char *dt_cert_sha256(const dt_cert *x) { return x->sha256; }
DT_EXTERN int64_t dt_cert_not_before(const dt_cert *x) { return x->not_before; }
DT_EXTERN int64_t dt_cert_not_after(const dt_cert *x) { return x->not_after; }
DT_EXTERN int dt_cert_self_signed(const dt_cert *x) { return x->self_signed; }
DT_EXTERN size_t dt_cert_dns_name_count(const dt_cert *x) { return x->n_dns_names; }

DT_EXTERN const char *
dt_cert_dns_name_at(const dt_cert *x, size_t i)
{
	return i < x->n_dns_names ? x->dns_names[i] : NULL;
}

/* ---- capture: drops, link types, summary ------------------------------- */

DT_EXTERN uint64_t dt_capture_dropped_conns(const dt_capture *c) { return c->dropped_conns; }
DT_EXTERN uint64_t dt_capture_dropped_bytes(const dt_capture *c) { return c->dropped_bytes; }
DT_EXTERN uint64_t dt_capture_fragments_dropped(const dt_capture *c) { return c->fragments_dropped; }
DT_EXTERN uint64_t dt_capture_undecodable_packets(const dt_capture *c) { return c->undecodable; }

DT_EXTERN int
dt_capture_link_type_stats_at(const dt_capture *c, size_t i,
    uint64_t *packets, int *supported)
{
	if (i >= c->n_linktypes)
		return DT_ITEROVER;
	if (packets != NULL)
		*packets = c->linktypes[i].packets;
	if (supported != NULL)
		*supported = c->linktypes[i].supported;
	return 0;
}

DT_EXTERN size_t
dt_capture_iphttps_count(const dt_capture *c)
{
	const struct dt_conn *conn;
	size_t n = 0;

	for (conn = c->conns; conn != NULL; conn = conn->next)
		n += conn->iphttps != 0;
	return n;
}

DT_EXTERN size_t
dt_capture_severity_count(const dt_capture *c, dt_severity s)
{
	const struct dt_verdict *v;
	size_t n = 0;

	for (v = c->verdicts; v != NULL; v = v->next)
		n += v->severity == s;
	return n;
}

/* ---- capture: DNS ------------------------------------------------------- */

DT_EXTERN size_t
dt_capture_dns_count(const dt_capture *c)
{
	const struct dt_dns *d;
	size_t n = 0;

	for (d = c->dns; d != NULL; d = d->next)
		n++;
	return n;
}

DT_EXTERN int
dt_capture_dns_at(const dt_capture *c, size_t i, const dt_dns **out)
{
	struct dt_dns *d;

	if (out == NULL)
		return DT_EINVAL;
	for (d = c->dns; d != NULL && i > 0; d = d->next)
		i--;
	if (d == NULL)
		return DT_ITEROVER;
	clean_str(c->mem, &d->name);
	clean_str(c->mem, &d->cname);
	*out = d;
	return 0;
}

DT_EXTERN const char *dt_dns_name(const dt_dns *d) { return d->name != NULL ? d->name : ""; }
DT_EXTERN unsigned dt_dns_qtype(const dt_dns *d) { return d->qtype; }
DT_EXTERN int dt_dns_rcode(const dt_dns *d) { return d->rcode >= 0 ? d->rcode : -1; }
DT_EXTERN uint64_t dt_dns_query_frame(const dt_dns *d) { return d->query_frame; }
DT_EXTERN uint64_t dt_dns_answer_frame(const dt_dns *d) { return d->answer_frame; }
DT_EXTERN const char *dt_dns_cname(const dt_dns *d) { return d->cname; }
DT_EXTERN size_t dt_dns_address_count(const dt_dns *d) { return d->n_addrs; }

DT_EXTERN int
dt_dns_address_at(const dt_dns *d, size_t i, char *buf, size_t len)
{
	const struct dt_addr *a;

	if (i >= d->n_addrs)
		return DT_ITEROVER;
	if (buf == NULL || len == 0 || len > (size_t)INT32_MAX)
		return DT_EINVAL;
	a = &d->addrs[i];
	if (inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf,
	    (socklen_t)len) == NULL) {
		buf[0] = '\0';
		return DT_EINVAL;
	}
	return 0;
}

/* ---- capture: plain HTTP ------------------------------------------------ */

DT_EXTERN size_t
dt_capture_http_count(const dt_capture *c)
{
	const struct dt_http *h;
	size_t n = 0;

	for (h = c->http; h != NULL; h = h->next)
		n++;
	return n;
}

DT_EXTERN int
dt_capture_http_at(const dt_capture *c, size_t i, const dt_http **out)
{
	struct dt_http *h;

	if (out == NULL)
		return DT_EINVAL;
	for (h = c->http; h != NULL && i > 0; h = h->next)
		i--;
	if (h == NULL)
		return DT_ITEROVER;
	clean_str(c->mem, &h->method);
	clean_str(c->mem, &h->uri);
	clean_str(c->mem, &h->host);
	clean_str(c->mem, &h->status_line);
	*out = h;
	return 0;
}

DT_EXTERN uint32_t dt_http_conn(const dt_http *h) { return h->conn; }
DT_EXTERN uint64_t dt_http_request_frame(const dt_http *h) { return h->request_frame; }
DT_EXTERN uint64_t dt_http_response_frame(const dt_http *h) { return h->response_frame; }
DT_EXTERN const char *dt_http_method(const dt_http *h) { return h->method; }
DT_EXTERN const char *dt_http_uri(const dt_http *h) { return h->uri; }
DT_EXTERN const char *dt_http_host(const dt_http *h) { return h->host; }
DT_EXTERN int dt_http_status(const dt_http *h) { return h->status >= 0 ? h->status : -1; }
DT_EXTERN const char *dt_http_status_line(const dt_http *h) { return h->status_line; }
DT_EXTERN int dt_http_reset(const dt_http *h) { return h->conn_reset != 0; }
DT_EXTERN int dt_http_no_answer(const dt_http *h) { return h->conn_no_answer != 0; }

/* ---- connection: TCP ---------------------------------------------------- */

/* dir as an index: DT_FROM_CLIENT/SERVER are DT_C2S/DT_S2C. */
#define DIR_OK(dir) ((dir) == DT_FROM_CLIENT || (dir) == DT_FROM_SERVER)

DT_EXTERN int dt_conn_roles_from_syn(const dt_conn *c) { return c->roles_from_syn != 0; }
DT_EXTERN int64_t dt_conn_first_time(const dt_conn *c) { return c->first_time; }
DT_EXTERN int64_t dt_conn_last_time(const dt_conn *c) { return c->last_time; }
DT_EXTERN uint64_t dt_conn_syn_frame(const dt_conn *c) { return c->syn_frame; }
DT_EXTERN unsigned dt_conn_syn_count(const dt_conn *c) { return c->syn_count; }
DT_EXTERN uint64_t dt_conn_synack_frame(const dt_conn *c) { return c->synack_frame; }
DT_EXTERN unsigned dt_conn_retransmissions(const dt_conn *c) { return c->retransmissions; }
DT_EXTERN int dt_conn_truncated(const dt_conn *c) { return c->truncated != 0; }
DT_EXTERN unsigned dt_conn_ttl_syn(const dt_conn *c) { return c->ttl_syn; }
DT_EXTERN unsigned dt_conn_ttl_synack(const dt_conn *c) { return c->ttl_synack; }
DT_EXTERN unsigned dt_conn_timeline_dropped(const dt_conn *c) { return c->events_dropped; }
DT_EXTERN size_t dt_conn_event_count(const dt_conn *c) { return c->n_events; }

DT_EXTERN int
dt_conn_rst(const dt_conn *c, uint64_t *frame, int *from_server)
{
	if (c->rst_frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = c->rst_frame;
	if (from_server != NULL)
		*from_server = c->rst_dir == DT_S2C;
	return 0;
}

DT_EXTERN uint64_t
dt_conn_fin_frame(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->fin_frame[dir] : 0;
}

DT_EXTERN uint64_t
dt_conn_bytes(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->bytes[dir] : 0;
}

DT_EXTERN uint64_t
dt_conn_packets(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->packets[dir] : 0;
}

DT_EXTERN uint64_t
dt_conn_gap_bytes(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->gap_bytes[dir] : 0;
}

DT_EXTERN unsigned
dt_conn_ttl_server_data(const dt_conn *c, unsigned *min, unsigned *max)
{
	if (min != NULL)
		*min = c->ttl_server_data ? c->ttl_server_data_min : 0;
	if (max != NULL)
		*max = c->ttl_server_data ? c->ttl_server_data_max : 0;
	return c->ttl_server_data;
}

/* ---- connection: timeline ----------------------------------------------- */

DT_EXTERN int
dt_conn_event_at(const dt_conn *c, size_t i, uint64_t *frame, int64_t *time,
    int *from_server, const char **type)
{
	const struct dt_event *ev;

	if (i >= c->n_events)
		return DT_ITEROVER;
	ev = &c->events[i];
	if (frame != NULL)
		*frame = ev->frame;
	if (time != NULL)
		*time = ev->time;
	if (from_server != NULL)
		*from_server = ev->dir == DT_S2C;
	if (type != NULL)
		*type = dt_report_msg_name(ev);
	return 0;
}

DT_EXTERN int
dt_conn_event_in_messages(const dt_conn *c, size_t i)
{
	return i < c->n_events && dt_report_event_is_tls(&c->events[i]);
}

/*
 * The extra fields the JSON writer gives each event type (report/json.c,
 * jevent): type, key, where the value comes from. A row with a test only
 * applies when the test holds (an encrypted alert has no "code").
 */
enum ev_src { SRC_B, SRC_A_SET, SRC_A_ONE, SRC_B_SET, SRC_ALERT_CODE,
	SRC_HS_ENCRYPTED };

static const struct ev_field {
	uint8_t type;
	const char *key;
	enum ev_src src;
} ev_fields[] = {
	{ DT_EV_TLS_ALERT,	"code",			SRC_ALERT_CODE },
	{ DT_EV_TLS_ALERT,	"encrypted",		SRC_B_SET },
	{ DT_EV_HTTP_RESPONSE,	"status",		SRC_B },
	{ DT_EV_GAP,		"bytes",		SRC_B },
	{ DT_EV_TLS_ENCRYPTED,	"bytes",		SRC_B },
	{ DT_EV_SYN,		"retransmission",	SRC_A_SET },
	{ DT_EV_SYNACK,		"retransmission",	SRC_A_SET },
	{ DT_EV_RST,		"before_synack",	SRC_A_ONE },
	{ DT_EV_RST,		"peer_bytes",		SRC_B },
	{ DT_EV_FIN,		"bytes_before",		SRC_B },
	{ DT_EV_TLS_HANDSHAKE,	"encrypted",		SRC_HS_ENCRYPTED },
};

DT_EXTERN int
dt_conn_event_field(const dt_conn *c, size_t i, const char *key,
    int64_t *value)
{
	const struct dt_event *ev;
	const struct ev_field *f;
	int64_t v;
	size_t k;

	if (key == NULL || i >= c->n_events)
		return DT_ITEROVER;
	ev = &c->events[i];
	for (k = 0; k < sizeof ev_fields / sizeof ev_fields[0]; k++) {
		f = &ev_fields[k];
		if (f->type != ev->type || strcmp(f->key, key) != 0)
			continue;
		switch (f->src) {
		case SRC_B:
			v = ev->b;
			break;
		case SRC_A_SET:
			v = ev->a != 0;
			break;
		case SRC_A_ONE:
			v = ev->a == 1;
			break;
		case SRC_B_SET:
			v = ev->b != 0;
			break;
		case SRC_ALERT_CODE: {
			uint8_t level, desc;

			if (!dt_ev_alert(ev, &level, &desc))
				return DT_ITEROVER;
			v = desc;
			break;
		}
		case SRC_HS_ENCRYPTED:
			if (!dt_ev_hs_encrypted(ev))
				return DT_ITEROVER;
			v = 1;
			break;
		default:
			return DT_ITEROVER;
		}
		if (value != NULL)
			*value = v;
		return 0;
	}
	return DT_ITEROVER;
}

DT_EXTERN int
dt_conn_event_alert(const dt_conn *c, size_t i, int *level, int *description,
    const char **name)
{
	uint8_t lv, desc;
	int plain;

	if (i >= c->n_events || c->events[i].type != DT_EV_TLS_ALERT)
		return DT_ITEROVER;
	plain = dt_ev_alert(&c->events[i], &lv, &desc);
	if (level != NULL)
		*level = lv;
	if (description != NULL)
		*description = plain ? desc : -1;
	if (name != NULL)
		*name = plain ? dt_tls_alert_name(desc) : NULL;
	return 0;
}

/* ---- connection: TLS ---------------------------------------------------- */

#define NELEM(a) (sizeof (a) / sizeof (a)[0])
/* An inline list's count, bounded by its array (the count may say more
   were seen than were kept). */
#define KEPT(n, arr) ((n) < NELEM(arr) ? (n) : NELEM(arr))

DT_EXTERN size_t dt_conn_tls_client_version_count(const dt_conn *c) { return c->tls.n_client_versions; }
DT_EXTERN uint16_t dt_conn_tls_client_hello_version(const dt_conn *c) { return c->tls.ch_frame ? c->tls.ch_legacy_version : 0; }
DT_EXTERN uint16_t dt_conn_tls_record_version(const dt_conn *c) { return c->tls.record_version; }
DT_EXTERN uint64_t dt_conn_tls_client_hello_frame(const dt_conn *c) { return c->tls.ch_frame; }
DT_EXTERN uint64_t dt_conn_tls_server_hello_frame(const dt_conn *c) { return c->tls.sh_frame; }
DT_EXTERN int dt_conn_tls_offered_only_null(const dt_conn *c) { return c->tls.offered_only_null != 0; }
DT_EXTERN const char *dt_conn_tls_sni(const dt_conn *c) { return c->tls.sni; }
DT_EXTERN const char *dt_conn_tls_alpn(const dt_conn *c) { return c->tls.alpn; }
DT_EXTERN size_t dt_conn_tls_extension_count(const dt_conn *c) { return c->tls.n_extensions; }
DT_EXTERN size_t dt_conn_tls_group_count(const dt_conn *c) { return KEPT(c->tls.n_ch_groups, c->tls.ch_groups); }
DT_EXTERN size_t dt_conn_tls_sig_alg_count(const dt_conn *c) { return KEPT(c->tls.n_ch_sig_algs, c->tls.ch_sig_algs); }
DT_EXTERN int dt_conn_tls_renegotiation_info(const dt_conn *c) { return c->tls.ch_reneg_info != 0; }
DT_EXTERN int dt_conn_tls_extended_master_secret(const dt_conn *c) { return c->tls.ch_ems != 0; }
DT_EXTERN int dt_conn_tls_status_request(const dt_conn *c) { return c->tls.ch_status_request != 0; }
DT_EXTERN int dt_conn_tls_sslv2_hello(const dt_conn *c) { return c->tls.sslv2_hello != 0; }
DT_EXTERN int dt_conn_tls_hello_retry_request(const dt_conn *c) { return c->tls.hrr != 0; }
DT_EXTERN int dt_conn_tls_resumed(const dt_conn *c) { return c->tls.resumed != 0; }
DT_EXTERN unsigned dt_conn_tls_alert_count(const dt_conn *c) { return c->tls.n_alerts; }
DT_EXTERN uint64_t dt_conn_tls_server_certificate_frame(const dt_conn *c) { return c->tls.server_cert_frame; }
DT_EXTERN int dt_conn_tls_certificates_visible(const dt_conn *c) { return !c->tls.certs_not_visible; }
DT_EXTERN const char *dt_conn_tls_chain(const dt_conn *c) { return dt_report_chain_name(c->tls.chain); }
DT_EXTERN const char *dt_conn_tls_chain_error(const dt_conn *c) { return c->tls.chain_error; }
DT_EXTERN size_t dt_conn_tls_ca_name_count(const dt_conn *c) { return c->tls.n_ca_names; }
DT_EXTERN size_t dt_conn_tls_cert_request_type_count(const dt_conn *c) { return KEPT(c->tls.n_cr_cert_types, c->tls.cr_cert_types); }
DT_EXTERN size_t dt_conn_tls_cert_request_sig_alg_count(const dt_conn *c) { return KEPT(c->tls.n_cr_sig_algs, c->tls.cr_sig_algs); }
DT_EXTERN uint64_t dt_conn_tls_client_certificate_frame(const dt_conn *c) { return c->tls.client_cert_frame; }
DT_EXTERN size_t dt_conn_client_cert_count(const dt_conn *c) { return c->tls.n_client_certs; }
DT_EXTERN uint64_t dt_conn_tls_server_hello_done_frame(const dt_conn *c) { return c->tls.server_hello_done_frame; }

DT_EXTERN uint16_t
dt_conn_tls_version_id(const dt_conn *c)
{
	return c->tls.sh_frame != 0 ? c->tls.version : 0;
}

DT_EXTERN int
dt_conn_tls_client_version_at(const dt_conn *c, size_t i, uint16_t *version,
    const char **name)
{
	if (i >= c->tls.n_client_versions)
		return DT_ITEROVER;
	if (version != NULL)
		*version = c->tls.client_versions[i];
	if (name != NULL)
		*name = dt_tls_version_name(c->tls.client_versions[i]);
	return 0;
}

DT_EXTERN int
dt_conn_tls_extension_at(const dt_conn *c, size_t i, uint16_t *type)
{
	if (i >= c->tls.n_extensions)
		return DT_ITEROVER;
	if (type != NULL)
		*type = c->tls.extensions[i];
	return 0;
}

DT_EXTERN int
dt_conn_tls_group_at(const dt_conn *c, size_t i, uint16_t *group)
{
	if (i >= dt_conn_tls_group_count(c))
		return DT_ITEROVER;
	if (group != NULL)
		*group = c->tls.ch_groups[i];
	return 0;
}

DT_EXTERN int
dt_conn_tls_sig_alg_at(const dt_conn *c, size_t i, uint16_t *alg)
{
	if (i >= dt_conn_tls_sig_alg_count(c))
		return DT_ITEROVER;
	if (alg != NULL)
		*alg = c->tls.ch_sig_algs[i];
	return 0;
}

DT_EXTERN int
dt_conn_tls_cert_request(const dt_conn *c, uint64_t *frame)
{
	if (c->tls.cert_request_frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = c->tls.cert_request_frame;
	return 0;
}

DT_EXTERN const char *
dt_conn_tls_ca_name_at(const dt_conn *c, size_t i)
{
	return i < c->tls.n_ca_names ? c->tls.ca_names[i] : NULL;
}

DT_EXTERN int
dt_conn_tls_cert_request_type_at(const dt_conn *c, size_t i, unsigned *type)
{
	if (i >= dt_conn_tls_cert_request_type_count(c))
		return DT_ITEROVER;
	if (type != NULL)
		*type = c->tls.cr_cert_types[i];
	return 0;
}

DT_EXTERN int
dt_conn_tls_cert_request_sig_alg_at(const dt_conn *c, size_t i,
    uint16_t *alg)
{
	if (i >= dt_conn_tls_cert_request_sig_alg_count(c))
		return DT_ITEROVER;
	if (alg != NULL)
		*alg = c->tls.cr_sig_algs[i];
	return 0;
}

DT_EXTERN int
dt_conn_client_cert_at(const dt_conn *c, size_t i, const dt_cert **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (i >= c->tls.n_client_certs)
		return DT_ITEROVER;
	*out = &c->tls.client_certs[i];
	return 0;
}

DT_EXTERN uint64_t
dt_conn_tls_ccs_frame(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->tls.ccs_frame[dir] : 0;
}

DT_EXTERN uint64_t
dt_conn_tls_finished_frame(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->tls.finished_frame[dir] : 0;
}

DT_EXTERN uint64_t
dt_conn_tls_appdata(const dt_conn *c, int dir, uint64_t *bytes,
    uint64_t *records)
{
	if (!DIR_OK(dir)) {
		if (bytes != NULL)
			*bytes = 0;
		if (records != NULL)
			*records = 0;
		return 0;
	}
	if (bytes != NULL)
		*bytes = c->tls.appdata_bytes[dir];
	if (records != NULL)
		*records = c->tls.appdata_records[dir];
	return c->tls.appdata_frame[dir];
}

DT_EXTERN int
dt_conn_tls_http(const dt_conn *c, int response, uint64_t *frame,
    const char **line, const char **host, const char **server,
    const char **content_length, int *status)
{
	const struct dt_http_msg *h = response ? &c->tls.http_response :
	    &c->tls.http_request;

	if (h->frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = h->frame;
	if (line != NULL)
		*line = h->line;
	if (host != NULL)
		*host = h->host;
	if (server != NULL)
		*server = h->server;
	if (content_length != NULL)
		*content_length = h->content_length;
	if (status != NULL)
		*status = response ? h->status : 0;
	return 0;
}

DT_EXTERN int
dt_conn_tls_non_tls(const dt_conn *c, uint64_t *frame, int *from_server,
    const char **line)
{
	if (c->tls.non_tls_frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = c->tls.non_tls_frame;
	if (from_server != NULL)
		*from_server = c->tls.non_tls_dir == DT_S2C;
	if (line != NULL)
		*line = c->tls.non_tls_line;
	return 0;
}

DT_EXTERN int
dt_conn_tls_malformed(const dt_conn *c, uint64_t *frame, int *from_server,
    const char **reason)
{
	if (c->tls.malformed_frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = c->tls.malformed_frame;
	if (from_server != NULL)
		*from_server = c->tls.malformed_dir == DT_S2C;
	if (reason != NULL)
		*reason = c->tls.malformed;
	return 0;
}

DT_EXTERN int
dt_conn_tls_truncated(const dt_conn *c, uint64_t *frame)
{
	if (frame != NULL)
		*frame = c->tls.truncated_frame;
	return c->tls.truncated != 0;
}

/* ---- certificate: the rest ---------------------------------------------- */

DT_EXTERN const char *dt_cert_serial(const dt_cert *x) { return x->serial; }
DT_EXTERN const char *dt_cert_common_name(const dt_cert *x) { return x->common_name; }
DT_EXTERN size_t dt_cert_ip_address_count(const dt_cert *x) { return x->n_ip_addrs; }
DT_EXTERN size_t dt_cert_crl_url_count(const dt_cert *x) { return x->n_crl_urls; }
DT_EXTERN size_t dt_cert_aia_url_count(const dt_cert *x) { return x->n_aia_urls; }
DT_EXTERN const char *dt_cert_key_type(const dt_cert *x) { return x->key_type; }
DT_EXTERN unsigned dt_cert_key_bits(const dt_cert *x) { return x->key_bits; }
DT_EXTERN const char *dt_cert_signature_algorithm(const dt_cert *x) { return x->sig_alg; }
DT_EXTERN int dt_cert_server_auth(const dt_cert *x) { return x->server_auth != 0; }
DT_EXTERN int dt_cert_client_auth(const dt_cert *x) { return x->client_auth != 0; }
DT_EXTERN const char *dt_cert_parse_error(const dt_cert *x) { return x->parse_error; }

DT_EXTERN const char *
dt_cert_ip_address_at(const dt_cert *x, size_t i)
{
	return i < x->n_ip_addrs ? x->ip_addrs[i] : NULL;
}

DT_EXTERN const char *
dt_cert_crl_url_at(const dt_cert *x, size_t i)
{
	return i < x->n_crl_urls ? x->crl_urls[i] : NULL;
}

DT_EXTERN const char *
dt_cert_aia_url_at(const dt_cert *x, size_t i)
{
	return i < x->n_aia_urls ? x->aia_urls[i] : NULL;
}

/* ---- writers ------------------------------------------------------------ */

static void
run_of(const struct dt_analyzer *a, struct dt_report_run *run)
{
	memset(run, 0, sizeof *run);
	run->host = a->redact != NULL ? a->shown_host : a->host;
	run->ports = a->ports;
	run->ca_file = a->redact != NULL ? a->shown_ca_file : a->ca_file;
	run->expect_cert = a->redact != NULL ? a->shown_expect :
	    a->expect_cert;
	run->filter = a->redact != NULL ? a->shown_filter : a->filter_expr;
	run->all = a->all;
	run->caps = a->caps;
	run->n_caps = a->n_caps;
}

static int
write_fp(const dt_analyzer *a, FILE *fp, int kind, unsigned flags)
{
	struct dt_report_run run;
	int rc;

	if (a == NULL || fp == NULL)
		return DT_EINVAL;
	run_of(a, &run);
	if (kind == 2)
		rc = dt_report_text(&run, fp, flags);
	else if (kind == 3)
		rc = dt_report_html(&run, fp, flags);
	else
		rc = dt_report_json(&run, fp, kind == 1);
	if (rc != 0 || ferror(fp))
		return DT_EIO;
	return 0;
}

DT_EXTERN int
dt_write_json(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, 0, flags);
}

DT_EXTERN int
dt_write_jsonl(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, 1, flags);
}

DT_EXTERN int
dt_write_text(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, 2, flags);
}

DT_EXTERN int
dt_write_html(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, 3, flags);
}

DT_EXTERN int
dt_write_buffer(const dt_analyzer *a, const char *format, unsigned flags,
    char **out, size_t *len)
{
	FILE *fp;
	char *buf = NULL;
	size_t n = 0;
	int kind, rc;

	if (a == NULL || format == NULL || out == NULL)
		return DT_EINVAL;
	if (strcmp(format, "json") == 0)
		kind = 0;
	else if (strcmp(format, "jsonl") == 0)
		kind = 1;
	else if (strcmp(format, "text") == 0)
		kind = 2;
	else if (strcmp(format, "html") == 0)
		kind = 3;
	else
		return DT_EINVAL;
	fp = open_memstream(&buf, &n);
	if (fp == NULL)
		return DT_ENOMEM;
	rc = write_fp(a, fp, kind, flags);
	if (fclose(fp) != 0 && rc == 0)
		rc = DT_ENOMEM;
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	if (len != NULL)
		*len = n;
	return 0;
}

DT_EXTERN void
dt_buffer_free(char *buf)
{
	free(buf);
}

