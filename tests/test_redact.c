/*
 * Redaction (dt_options.redact, datrace --redact): for every capture of
 * testdata/scenarios, every address, name and certificate string the
 * library reports without redaction (capture path, connection addresses,
 * server names, SNI, HTTP hosts and targets, DNS names, CNAMEs and
 * answers, certificate subjects, issuers, common names, serials,
 * fingerprints, SANs, CRL and AIA URLs, CertificateRequest CA names, the
 * --host and --ca options) is absent from the redacted text, JSON and
 * HTML; the verdicts (id, severity, confidence, Windows code, connection,
 * frames) are unchanged; a key gives the same pseudonyms every time, and
 * an address in a private range stays in it.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datrace.h"
#include "testutil.h"

#define HOST "da.corp.example"
#define CA "testdata/scenarios/certs/corp-root.pem"
#define KEY "a key for the tests"

struct strs {
	char **v;
	size_t n, cap;
};

static void
add(struct strs *s, const char *p, size_t n)
{
	if (p == NULL || n < 4)		/* shorter ones occur by chance */
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		ck_assert_ptr_nonnull(s->v);
	}
	s->v[s->n] = strndup(p, n);
	ck_assert_ptr_nonnull(s->v[s->n]);
	s->n++;
}

static void
adds(struct strs *s, const char *p)
{
	if (p != NULL)
		add(s, p, strlen(p));
}

/* "1.2.3.4:443" and "[v6]:443": the address alone */
static void
add_endpoint(struct strs *s, const char *ep)
{
	const char *colon = strrchr(ep, ':');

	if (ep[0] == '[')
		add(s, ep + 1, (size_t)(strchr(ep, ']') - ep - 1));
	else if (colon != NULL)
		add(s, ep, (size_t)(colon - ep));
}

static void
add_cert(struct strs *s, const dt_cert *x)
{
	size_t i;

	adds(s, dt_cert_subject(x));
	adds(s, dt_cert_issuer(x));
	adds(s, dt_cert_common_name(x));
	/* a short serial ("2001") is also a kept address prefix */
	if (dt_cert_serial(x) != NULL && strlen(dt_cert_serial(x)) >= 8)
		adds(s, dt_cert_serial(x));
	adds(s, dt_cert_sha256(x));
	for (i = 0; i < dt_cert_dns_name_count(x); i++)
		adds(s, dt_cert_dns_name_at(x, i));
	for (i = 0; i < dt_cert_ip_address_count(x); i++)
		adds(s, dt_cert_ip_address_at(x, i));
	for (i = 0; i < dt_cert_crl_url_count(x); i++)
		adds(s, dt_cert_crl_url_at(x, i));
	for (i = 0; i < dt_cert_aia_url_count(x); i++)
		adds(s, dt_cert_aia_url_at(x, i));
}

/* Every sensitive string the results of a hold. */
static void
collect(const dt_analyzer *a, struct strs *s)
{
	const dt_capture *cap;
	const dt_conn *c;
	const dt_cert *x;
	const dt_dns *d;
	const dt_http *h;
	const char *host, *line;
	char buf[DT_ADDR_STRLEN];
	size_t i, k;

	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &cap), 0);
	adds(s, dt_capture_path(cap));
	for (i = 0; dt_capture_conn_at(cap, i, &c) == 0; i++) {
		add_endpoint(s, dt_conn_client(c));
		add_endpoint(s, dt_conn_server(c));
		adds(s, dt_conn_server_name(c));
		adds(s, dt_conn_tls_sni(c));
		for (k = 0; dt_conn_server_cert_at(c, k, &x) == 0; k++)
			add_cert(s, x);
		for (k = 0; dt_conn_client_cert_at(c, k, &x) == 0; k++)
			add_cert(s, x);
		for (k = 0; k < dt_conn_tls_ca_name_count(c); k++)
			adds(s, dt_conn_tls_ca_name_at(c, k));
		if (dt_conn_tls_http(c, 0, NULL, &line, &host, NULL, NULL,
		    NULL) == 0)
			adds(s, host);
	}
	for (i = 0; dt_capture_dns_at(cap, i, &d) == 0; i++) {
		adds(s, dt_dns_name(d));
		adds(s, dt_dns_cname(d));
		for (k = 0; k < dt_dns_address_count(d); k++)
			if (dt_dns_address_at(d, k, buf, sizeof buf) == 0)
				adds(s, buf);
	}
	for (i = 0; dt_capture_http_at(cap, i, &h) == 0; i++) {
		adds(s, dt_http_host(h));
		if (dt_http_uri(h) != NULL && strcmp(dt_http_uri(h), "/") != 0)
			adds(s, dt_http_uri(h));
	}
	adds(s, HOST);
	adds(s, CA);
}

static int
word(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
}

/* s occurs in out as a whole (not inside a longer name or number) */
static int
occurs(const char *out, const char *s)
{
	size_t n = strlen(s);
	const char *p;

	for (p = strstr(out, s); p != NULL; p = strstr(p + 1, s))
		if ((p == out || !word(p[-1]) || !word(s[0])) &&
		    (!word(p[n]) || !word(s[n - 1])))
			return 1;
	return 0;
}

static dt_analyzer *
run(const char *path, int redact, const char *key)
{
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a = NULL;

	o.host = HOST;
	o.ca_file = CA;
	o.redact = redact;
	o.redact_key = key;
	o.redact_key_len = key != NULL ? strlen(key) : 0;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_file(a, path), 0);
	return a;
}

static void
same_verdicts(const dt_analyzer *a, const dt_analyzer *b, const char *path)
{
	const dt_capture *ca, *cb;
	const dt_verdict *va, *vb;
	uint64_t fa, fb;
	size_t i, k;

	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &ca), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(b, 0, &cb), 0);
	ck_assert_msg(dt_capture_verdict_count(ca) ==
	    dt_capture_verdict_count(cb), "%s: verdict count", path);
	for (i = 0; dt_capture_verdict_at(ca, i, &va) == 0; i++) {
		ck_assert_int_eq(dt_capture_verdict_at(cb, i, &vb), 0);
		ck_assert_str_eq(dt_verdict_id(va), dt_verdict_id(vb));
		ck_assert_int_eq(dt_verdict_severity(va), dt_verdict_severity(vb));
		ck_assert_int_eq(dt_verdict_confidence(va),
		    dt_verdict_confidence(vb));
		ck_assert_uint_eq(dt_verdict_windows_code(va),
		    dt_verdict_windows_code(vb));
		ck_assert_uint_eq(dt_verdict_conn(va), dt_verdict_conn(vb));
		ck_assert_uint_eq(dt_verdict_frame_count(va),
		    dt_verdict_frame_count(vb));
		for (k = 0; dt_verdict_frame_at(va, k, &fa) == 0; k++) {
			ck_assert_int_eq(dt_verdict_frame_at(vb, k, &fb), 0);
			ck_assert_uint_eq(fa, fb);
		}
	}
}

START_TEST(nothing_left)
{
	static const char *const formats[] = { "text", "json", "html" };
	struct strs s = { NULL, 0, 0 };
	glob_t g;
	size_t i, k, f, checked = 0;

	ck_assert_int_eq(glob(TESTDATA_DIR "/scenarios/*.pcap*", 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		dt_analyzer *plain = run(g.gl_pathv[i], 0, NULL);
		dt_analyzer *red = run(g.gl_pathv[i], 1, KEY);

		s.n = 0;
		collect(plain, &s);
		for (f = 0; f < 3; f++) {
			char *out;
			size_t len;

			ck_assert_int_eq(dt_write_buffer(red, formats[f],
			    DT_TEXT_VERBOSE, &out, &len), 0);
			for (k = 0; k < s.n; k++) {
				ck_assert_msg(!occurs(out, s.v[k]),
				    "%s: '%s' in the redacted %s", g.gl_pathv[i],
				    s.v[k], formats[f]);
				checked++;
			}
			/* the verdicts' evidence stays: frames, codes */
			dt_buffer_free(out);
		}
		same_verdicts(plain, red, g.gl_pathv[i]);
		for (k = 0; k < s.n; k++)
			free(s.v[k]);
		dt_analyzer_free(plain);
		dt_analyzer_free(red);
	}
	/* every capture gave strings to look for */
	ck_assert_uint_gt(checked, 3 * g.gl_pathc * 5);
	free(s.v);
	globfree(&g);
}
END_TEST

START_TEST(stable_and_private)
{
	const char *path = TESTDATA_DIR "/scenarios/ok-null-openssl.pcap";
	dt_analyzer *a = run(path, 1, KEY), *b = run(path, 1, KEY);
	dt_analyzer *c = run(path, 1, NULL), *plain = run(path, 0, NULL);
	const dt_capture *cap;
	const dt_conn *conn, *pconn;
	char *ja, *jb, *jc;
	size_t n;

	/* the same key: the same document; a random key: another one */
	ck_assert_int_eq(dt_write_buffer(a, "json", 0, &ja, &n), 0);
	ck_assert_int_eq(dt_write_buffer(b, "json", 0, &jb, &n), 0);
	ck_assert_int_eq(dt_write_buffer(c, "json", 0, &jc, &n), 0);
	ck_assert_str_eq(ja, jb);
	ck_assert_str_ne(ja, jc);
	/* ports and the suite are kept */
	ck_assert_ptr_nonnull(strstr(ja, "TLS_RSA_WITH_NULL_SHA256"));
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &cap), 0);
	ck_assert_int_eq(dt_capture_conn_at(cap, 0, &conn), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(plain, 0, &cap), 0);
	ck_assert_int_eq(dt_capture_conn_at(cap, 0, &pconn), 0);
	ck_assert_str_eq(strrchr(dt_conn_server(conn), ':'),
	    strrchr(dt_conn_server(pconn), ':'));
	/* 198.18.0.0/15 (benchmarking) stays in its range */
	ck_assert_msg(strncmp(dt_conn_client(pconn), "198.18.", 7) == 0,
	    "%s", dt_conn_client(pconn));
	ck_assert_msg(strncmp(dt_conn_client(conn), "198.18.", 7) == 0 ||
	    strncmp(dt_conn_client(conn), "198.19.", 7) == 0, "%s",
	    dt_conn_client(conn));
	ck_assert_str_ne(dt_conn_client(conn), dt_conn_client(pconn));
	/* the public suffix is kept */
	ck_assert_msg(strstr(dt_conn_server_name(conn), ".example") != NULL,
	    "%s", dt_conn_server_name(conn));
	dt_buffer_free(ja);
	dt_buffer_free(jb);
	dt_buffer_free(jc);
	dt_analyzer_free(a);
	dt_analyzer_free(b);
	dt_analyzer_free(c);
	dt_analyzer_free(plain);
}
END_TEST

/* A chain the certificate cache shares among connections is redacted once
   and shared again: the three connections of noise/browser.pcapng to
   www.noise.example show one redacted certificate (one copy, not one per
   connection: 160 MB of heap on a day of traffic), its subject a
   pseudonym, the other connection's chain its own. */
START_TEST(shared_chain_once)
{
	const char *path = TESTDATA_DIR "/noise/browser.pcapng";
	dt_analyzer *plain = run(path, 0, NULL), *red = run(path, 1, KEY);
	const dt_capture *pc, *rc;
	const dt_conn *p, *r;
	const dt_cert *px, *rx, *first = NULL, *other = NULL;
	size_t i, shared = 0;

	ck_assert_int_eq(dt_analyzer_capture_at(plain, 0, &pc), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(red, 0, &rc), 0);
	ck_assert_uint_eq(dt_capture_conn_count(pc), dt_capture_conn_count(rc));
	for (i = 0; i < dt_capture_conn_count(pc); i++) {
		ck_assert_int_eq(dt_capture_conn_at(pc, i, &p), 0);
		ck_assert_int_eq(dt_capture_conn_at(rc, i, &r), 0);
		ck_assert_uint_eq(dt_conn_server_cert_count(p),
		    dt_conn_server_cert_count(r));
		if (dt_conn_server_cert_count(p) == 0)
			continue;
		ck_assert_int_eq(dt_conn_server_cert_at(p, 0, &px), 0);
		ck_assert_int_eq(dt_conn_server_cert_at(r, 0, &rx), 0);
		ck_assert_ptr_null(strstr(dt_cert_subject(rx), "noise"));
		if (strcmp(dt_cert_subject(px), "CN=www.noise.example") != 0) {
			other = rx;
			continue;
		}
		if (first == NULL)
			first = rx;
		ck_assert_ptr_eq(rx, first);	/* the one copy */
		shared++;
	}
	ck_assert_uint_eq(shared, 3);
	ck_assert_ptr_nonnull(other);
	ck_assert_ptr_ne(other, first);
	ck_assert_str_ne(dt_cert_subject(other), dt_cert_subject(first));
	dt_analyzer_free(plain);
	dt_analyzer_free(red);
}
END_TEST

static Suite *
redact_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("redact");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, nothing_left);
	tcase_add_test(tc, stable_and_private);
	tcase_add_test(tc, shared_chain_once);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(redact_suite)
