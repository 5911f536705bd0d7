/*
 * lib/x509: certificate facts, chain verification, RFC 6125 host names,
 * DN strings and the TLS-inspection CA list, on the fixed-date certificates
 * of testdata/certs/ (made by testdata/gen/certs.sh; rerunning it gives the
 * same bytes, so the fingerprints below hold). Nothing here depends on the
 * day the tests run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "testutil.h"
#include "x509/x509.h"

#define CERTS TESTDATA_DIR "/certs/"

#define ISSUING "CN=Corp Issuing CA 1,O=Corp Example,C=US"
#define ROOT "CN=Corp Root CA,O=Corp Example,C=US"
#define FORTI_CA "CN=Fortinet_CA_SSL,OU=Certificate Authority,O=Fortinet," \
	"L=Sunnyvale,ST=California,C=US"

#define T2024 1704067200	/* 2024-01-01 00:00:00 UTC */
#define T2034 2019686400	/* 2034-01-01 00:00:00 UTC */

static struct dt_mem mem;

static void
setup(void)
{
	dt_mem_init(&mem, NULL, NULL, 0);
}

static void
teardown(void)
{
	ck_assert_uint_eq(mem.used, 0);	/* every test frees what it made */
}

static uint8_t *
load(const char *name, size_t *len)
{
	char path[256];
	uint8_t *b;

	snprintf(path, sizeof path, CERTS "%s", name);
	b = tu_slurp(path, len);
	ck_assert_msg(b != NULL, "cannot read %s (run testdata/gen/certs.sh)",
	    path);
	return b;
}

static void
parse_file(const char *name, struct dt_cert *c)
{
	size_t n;
	uint8_t *b = load(name, &n);

	ck_assert_int_eq(dt_x509_parse(&mem, b, n, c), 0);
	free(b);
}

/* ---- every field of every test certificate ----------------------------- */

struct want {
	const char *file;
	const char *subject, *issuer, *serial, *cn, *sha256;
	int64_t nb, na;
	int self_signed, server_auth, client_auth;
	const char *key_type;
	unsigned key_bits;
	const char *dns[3], *ips[3], *crl[2], *aia[3];
};

static const struct want wants[] = {
	{ "root-ca.der", ROOT, ROOT, "1001", "Corp Root CA",
	  "e3640f3d5e63c8721cc48c586199467dbfbe359a051accd229f36693056f0ad6",
	  T2024, T2034, 1, 1, 1, "RSA", 2048,
	  { NULL }, { NULL }, { NULL }, { NULL } },
	{ "issuing-ca.der", ISSUING, ROOT, "2001", "Corp Issuing CA 1",
	  "799ece1a239718d69e00bb8db1f7fb5491dd3847935962f4d40412cc1933f66e",
	  T2024, T2034, 0, 1, 1, "RSA", 2048,
	  { NULL }, { NULL }, { "http://crl.corp.example/corp-root.crl" },
	  { NULL } },
	{ "da-leaf.der", "CN=da.corp.example,O=Corp Example", ISSUING,
	  "0a1b2c3d4e5f", "da.corp.example",
	  "377e5d4d951295f6089ee6d95f40a020ddc010cac03f7b1f9f34955a92c91c19",
	  T2024, T2034, 0, 1, 0, "RSA", 2048,
	  { "da.corp.example", "da-alt.corp.example" },
	  { "203.0.113.10", "2001:db8::10" },
	  { "http://crl.corp.example/corp-root.crl" },
	  { "http://ocsp.corp.example/",
	    "http://pki.corp.example/corp-issuing.crt" } },
	{ "expired-leaf.der", "CN=old.corp.example", ISSUING, "0e",
	  "old.corp.example",
	  "2963872b1ea6e9227d98dda88016367aabfce7f4da589ad65def142a6c8f9dd5",
	  1577836800, 1609459200, 0, 1, 0, "RSA", 2048,
	  { "old.corp.example" }, { NULL }, { NULL }, { NULL } },
	{ "wildcard-leaf.der", "CN=*.corp.example", ISSUING, "77",
	  "*.corp.example",
	  "ab880776e37227a34fd312dc6f9f4b8c87686f342607a9e9378d1a1ac884c744",
	  T2024, T2034, 0, 1, 0, "EC", 256,
	  { "*.corp.example" }, { NULL }, { NULL }, { NULL } },
	{ "nosan-leaf.der", "CN=nosan.corp.example", ISSUING, "78",
	  "nosan.corp.example",
	  "cea92e79d8d5651d74f56be56a44670318f638eb8cbd5b7f09708a76502ac465",
	  T2024, T2034, 0, 1, 0, "RSA", 2048,
	  { NULL }, { NULL }, { NULL }, { NULL } },
	{ "client.der", "CN=client1.corp.example,O=Corp Example", ISSUING,
	  "0c01", "client1.corp.example",
	  "066c1cbb204fdb1885b88c7551139d05020c272af5189d35a3936f8056c772d6",
	  T2024, T2034, 0, 0, 1, "RSA", 2048,
	  { NULL }, { NULL }, { NULL }, { NULL } },
	/* a device's self-signed end-entity certificate (no CA flag) */
	{ "fortigate-device.der", "CN=FortiGate,O=Fortinet",
	  "CN=FortiGate,O=Fortinet", "4647", "FortiGate",
	  "224bd5ecb7b81c1941772a848948fe6c747ae2c245be2392b23cb1c7fb78fdcf",
	  T2024, T2034, 1, 1, 0, "RSA", 2048,
	  { NULL }, { NULL }, { NULL }, { NULL } },
	{ "fortinet-ca.der", FORTI_CA, FORTI_CA, "4653", "Fortinet_CA_SSL",
	  "406225403d87bfa85d012c515e6ab50563f6bbf591c75fba89d10eeb12955aa3",
	  T2024, T2034, 1, 1, 1, "RSA", 2048,
	  { NULL }, { NULL }, { NULL }, { NULL } },
	{ "mitm-leaf.der", "CN=da.corp.example", FORTI_CA, "4d49",
	  "da.corp.example",
	  "a324d8a5ad6589e80662391056135bbb9a92e18a1df6c0ef1b06df18e7f0344d",
	  T2024, T2034, 0, 1, 0, "RSA", 2048,
	  { "da.corp.example" }, { NULL }, { NULL }, { NULL } },
	{ "evil-root.der", "CN=Evil Root,O=Evil", "CN=Evil Root,O=Evil",
	  "6576", "Evil Root",
	  "66970240cd785460785ffc7306e3970b84fb96a1056c5a047e0cf62e7f3934db",
	  T2024, T2034, 1, 1, 1, "RSA", 2048,
	  { NULL }, { NULL }, { NULL }, { NULL } },
	{ "evil-leaf.der", "CN=da.corp.example", "CN=Evil Root,O=Evil", "6577",
	  "da.corp.example",
	  "c5f70a666d9e2e40144f8cee8a9ce7af6db07296939148358fb575d1cda3841a",
	  T2024, T2034, 0, 1, 0, "RSA", 2048,
	  { "da.corp.example" }, { NULL }, { NULL }, { NULL } },
	/* 1965-01-01 .. 2050-06-01 12:00: GnuTLS itself says 0 for 1965 */
	{ "pre1970.der", "CN=Old Timer", "CN=Old Timer", "1970", "Old Timer",
	  "75c22ce164d65600e90b813f59c430f11ac86048c8c5ee6573c5093517b6d239",
	  -157766400, 2537697600LL, 1, 1, 1, "RSA", 2048,
	  { NULL }, { NULL }, { NULL }, { NULL } },
};

static void
check_list(const char *what, char **got, size_t n, const char *const *want,
    size_t cap)
{
	size_t k = 0;

	while (k < cap && want[k] != NULL)
		k++;
	ck_assert_msg(n == k, "%s: %zu entries, want %zu", what, n, k);
	for (k = 0; k < n; k++)
		ck_assert_str_eq(got[k], want[k]);
}

START_TEST(parse_fields)
{
	const struct want *w = &wants[_i];
	struct dt_cert c;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	size_t n;
	uint8_t *b = load(w->file, &n);

	ck_assert_int_eq(dt_x509_parse(&mem, b, n, &c), 0);
	ck_assert_ptr_null(c.parse_error);
	ck_assert_str_eq(c.subject, w->subject);
	ck_assert_str_eq(c.issuer, w->issuer);
	ck_assert_str_eq(c.serial, w->serial);
	ck_assert_str_eq(c.common_name, w->cn);
	ck_assert_str_eq(c.sha256, w->sha256);
	ck_assert_int_eq(c.not_before, w->nb);
	ck_assert_int_eq(c.not_after, w->na);
	ck_assert_int_eq(c.self_signed, w->self_signed);
	ck_assert_int_eq(c.server_auth, w->server_auth);
	ck_assert_int_eq(c.client_auth, w->client_auth);
	ck_assert_str_eq(c.key_type, w->key_type);
	ck_assert_uint_eq(c.key_bits, w->key_bits);
	ck_assert_str_eq(c.sig_alg, "RSA-SHA256");
	check_list("dns", c.dns_names, c.n_dns_names, w->dns, 3);
	check_list("ip", c.ip_addrs, c.n_ip_addrs, w->ips, 3);
	check_list("crl", c.crl_urls, c.n_crl_urls, w->crl, 2);
	check_list("aia", c.aia_urls, c.n_aia_urls, w->aia, 3);
	ck_assert_uint_eq(c.der_len, n);
	ck_assert_mem_eq(c.der, b, n);

	/* our DER date reader agrees with GnuTLS where GnuTLS is right */
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	d.data = b;
	d.size = (unsigned)n;
	ck_assert_int_eq(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER),
	    0);
	if (w->nb >= 0)
		ck_assert_int_eq(gnutls_x509_crt_get_activation_time(crt),
		    c.not_before);
	ck_assert_int_eq(gnutls_x509_crt_get_expiration_time(crt),
	    c.not_after);
	gnutls_x509_crt_deinit(crt);

	dt_cert_clear(&mem, &c);
	free(b);
}
END_TEST

START_TEST(parse_truncated)
{
	struct dt_cert c;
	size_t n;
	uint8_t *b = load("truncated.der", &n);

	ck_assert_uint_eq(n, 200);
	ck_assert_int_eq(dt_x509_parse(&mem, b, n, &c), -1);
	ck_assert_ptr_nonnull(c.parse_error);
	ck_assert_str_eq(c.parse_error, "ASN1 parser: Error in DER parsing.");
	ck_assert_str_eq(c.sha256,
	    "a0c1852b20b1a6d45b36dd2ae264a17f2f3057929b6cd025d6cdec933f70045d");
	ck_assert_ptr_null(c.subject);
	ck_assert_int_eq(mem.failed, 0);	/* a fact, not a failure */
	dt_cert_clear(&mem, &c);
	free(b);

	/* nothing at all: SHA-256 of the empty string */
	ck_assert_int_eq(dt_x509_parse(&mem, NULL, 0, &c), -1);
	ck_assert_ptr_nonnull(c.parse_error);
	ck_assert_str_eq(c.sha256,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	dt_cert_clear(&mem, &c);
}
END_TEST

/* Every allocation refused in turn: -1 with m->failed, nothing leaked. */
START_TEST(parse_alloc_failure)
{
	struct dt_mem capped;
	struct dt_cert c;
	size_t n, cap;
	uint8_t *b = load("da-leaf.der", &n);
	int ok = 0;

	for (cap = 0; cap < 200000 && !ok; cap += 97) {
		dt_mem_init(&capped, NULL, NULL, cap ? cap : 1);
		if (dt_x509_parse(&capped, b, n, &c) == 0) {
			ok = 1;
			ck_assert_str_eq(c.subject,
			    "CN=da.corp.example,O=Corp Example");
			dt_cert_clear(&capped, &c);
		} else {
			ck_assert_int_eq(capped.failed, 1);
			dt_cert_clear(&capped, &c);
		}
		ck_assert_uint_eq(capped.used, 0);
	}
	ck_assert(ok);
	free(b);
}
END_TEST

/* ---- DN strings (CertificateRequest CA names) --------------------------- */

START_TEST(dn_strings)
{
	/* CN=a<U+0001>b as a UTF8String: the control byte comes back escaped */
	static const uint8_t ctl[] = { 0x30, 0x0e, 0x31, 0x0c, 0x30, 0x0a,
	    0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x03, 'a', 0x01, 'b' };
	/* with a NUL inside GnuTLS prints the value as #hex (RFC 4514 2.4) */
	static const uint8_t nul[] = { 0x30, 0x0e, 0x31, 0x0c, 0x30, 0x0a,
	    0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x03, 'a', 0x00, 'b' };
	static const uint8_t junk[] = { 0x30, 0x0e, 0x31, 0x0c, 0x30 };
	gnutls_x509_crt_t crt;
	gnutls_datum_t d, raw;
	size_t n;
	uint8_t *b = load("mitm-leaf.der", &n);
	char *s;

	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	d.data = b;
	d.size = (unsigned)n;
	ck_assert_int_eq(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER),
	    0);
	ck_assert_int_eq(gnutls_x509_crt_get_raw_issuer_dn(crt, &raw), 0);
	s = dt_x509_dn_string(&mem, raw.data, raw.size);
	ck_assert_str_eq(s, FORTI_CA);
	dt_free(&mem, s);
	gnutls_free(raw.data);
	gnutls_x509_crt_deinit(crt);
	free(b);

	s = dt_x509_dn_string(&mem, ctl, sizeof ctl);
	ck_assert_str_eq(s, "CN=a\\01b");
	dt_free(&mem, s);
	s = dt_x509_dn_string(&mem, nul, sizeof nul);
	ck_assert_str_eq(s, "CN=#0c03610062");
	dt_free(&mem, s);
	ck_assert_ptr_null(dt_x509_dn_string(&mem, junk, sizeof junk));
	ck_assert_ptr_null(dt_x509_dn_string(&mem, NULL, 0));
}
END_TEST

/* ---- trust anchors and the expected certificate ------------------------- */

START_TEST(ctx_errors)
{
	struct dt_x509_ctx *x;
	char err[512];

	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, "/nonexistent/ca.pem",
	    NULL, 0, NULL, err, sizeof err), DT_ECERT);
	ck_assert_ptr_null(x);
	ck_assert_str_eq(err, "cannot read --ca file /nonexistent/ca.pem: "
	    "No such file or directory");

	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, "testdata/gen/certs.sh",
	    NULL, 0, NULL, err, sizeof err), DT_ECERT);
	ck_assert_str_eq(err, "--ca file testdata/gen/certs.sh holds no PEM "
	    "certificate");

	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, NULL, "hello", 5, NULL,
	    err, sizeof err), DT_ECERT);
	ck_assert_str_eq(err, "the --ca PEM data holds no PEM certificate");

	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, NULL, NULL, 0,
	    "testdata/gen/certs.sh", err, sizeof err), DT_ECERT);
	ck_assert_str_eq(err, "--expect-cert testdata/gen/certs.sh is neither "
	    "a SHA-256 nor a certificate file");

	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, NULL, NULL, 0, "abcd", err,
	    sizeof err), DT_ECERT);
	ck_assert_str_eq(err, "--expect-cert abcd is neither a SHA-256 nor a "
	    "certificate file");
}
END_TEST

START_TEST(ctx_expect)
{
	static const char *const forms[] = {
		CERTS "da-leaf.pem",
		CERTS "da-leaf.der",
		"377E5D4D951295F6089EE6D95F40A020DDC010CAC03F7B1F9F34955A92C91C19",
		"37:7e:5d:4d:95:12:95:f6:08:9e:e6:d9:5f:40:a0:20:dd:c0:10:ca:"
		"c0:3f:7b:1f:9f:34:95:5a:92:c9:1c:19",
	};
	struct dt_x509_ctx *x;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		ck_assert_msg(dt_x509_ctx_new(&x, &mem, NULL, NULL, 0,
		    forms[i], err, sizeof err) == 0, "%s: %s", forms[i], err);
		ck_assert_str_eq(dt_x509_ctx_expected(x),
		    "377e5d4d951295f6089ee6d95f40a020ddc010cac03f7b1f9f34955a92c91c19");
		ck_assert_int_eq(dt_x509_ctx_has_anchors(x), 0);
		dt_x509_ctx_free(x);
	}
	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, NULL, NULL, 0, NULL, err,
	    sizeof err), 0);
	ck_assert_ptr_null(dt_x509_ctx_expected(x));
	dt_x509_ctx_free(x);
	ck_assert_ptr_null(dt_x509_ctx_expected(NULL));
}
END_TEST

START_TEST(ctx_alloc_failure)
{
	struct dt_mem capped;
	struct dt_x509_ctx *x;
	char err[512];
	size_t cap;
	int rc = -1;

	for (cap = 1; cap < 200000 && rc != 0; cap += 251) {
		dt_mem_init(&capped, NULL, NULL, cap);
		rc = dt_x509_ctx_new(&x, &capped, CERTS "ca-bundle.pem", NULL,
		    0, CERTS "da-leaf.pem", err, sizeof err);
		if (rc == 0) {
			ck_assert_int_eq(dt_x509_ctx_has_anchors(x), 1);
			dt_x509_ctx_free(x);
		} else {
			ck_assert_msg(rc == DT_ENOMEM || rc == DT_ECERT,
			    "rc %d", rc);
			ck_assert_ptr_null(x);
		}
		ck_assert_uint_eq(capped.used, 0);
	}
	ck_assert_int_eq(rc, 0);
}
END_TEST

/* ---- chain verification -------------------------------------------------- */

struct chain_case {
	const char *files[4];
	enum dt_chain want;
	const char *why;
};

static const struct chain_case chain_cases[] = {
	{ { "da-leaf.der", "issuing-ca.der" }, DT_CHAIN_OK, NULL },
	{ { "da-leaf.der", "issuing-ca.der", "root-ca.der" }, DT_CHAIN_OK,
	  NULL },
	/* order as sent does not matter to GnuTLS */
	{ { "da-leaf.der", "root-ca.der", "issuing-ca.der" }, DT_CHAIN_OK,
	  NULL },
	/* validity is the rules' business: an expired leaf still chains */
	{ { "expired-leaf.der", "issuing-ca.der" }, DT_CHAIN_OK, NULL },
	{ { "client.der", "issuing-ca.der" }, DT_CHAIN_OK, NULL },
	/* missing intermediate */
	{ { "da-leaf.der" }, DT_CHAIN_UNTRUSTED,
	  "the chain ends at CN=da.corp.example,O=Corp Example, whose issuer "
	  ISSUING " was neither sent nor among the --ca anchors" },
	{ { "evil-leaf.der", "evil-root.der" }, DT_CHAIN_UNTRUSTED,
	  "the chain ends at CN=Evil Root,O=Evil, which is not among the "
	  "--ca anchors" },
	{ { "evil-leaf.der" }, DT_CHAIN_UNTRUSTED,
	  "the chain ends at CN=da.corp.example, whose issuer "
	  "CN=Evil Root,O=Evil was neither sent nor among the --ca anchors" },
	{ { "mitm-leaf.der", "fortinet-ca.der" }, DT_CHAIN_UNTRUSTED,
	  "the chain ends at " FORTI_CA ", which is not among the --ca "
	  "anchors" },
	{ { "fortigate-device.der" }, DT_CHAIN_UNTRUSTED,
	  "the chain ends at CN=FortiGate,O=Fortinet, which is not among the "
	  "--ca anchors" },
	{ { "truncated.der", "issuing-ca.der" }, DT_CHAIN_BAD,
	  "certificate 1 of the chain cannot be parsed: ASN1 parser: Error in "
	  "DER parsing." },
};

static void
load_chain(const char *const *files, struct dt_cert *chain, size_t *n)
{
	size_t k;

	for (k = 0; k < 4 && files[k] != NULL; k++) {
		size_t len;
		uint8_t *b = load(files[k], &len);

		dt_x509_parse(&mem, b, len, &chain[k]);
		free(b);
	}
	*n = k;
}

static void
free_chain(struct dt_cert *chain, size_t n)
{
	while (n > 0)
		dt_cert_clear(&mem, &chain[--n]);
}

START_TEST(chain_verify)
{
	const struct chain_case *cc = &chain_cases[_i];
	struct dt_x509_ctx *x;
	struct dt_cert chain[4];
	char err[512], *why;
	size_t n;
	static const int64_t whens[] = { 0, T2024 + 1, 4102444800LL };
	size_t w;

	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, CERTS "ca-bundle.pem", NULL,
	    0, NULL, err, sizeof err), 0);
	ck_assert_int_eq(dt_x509_ctx_has_anchors(x), 1);
	load_chain(cc->files, chain, &n);
	/* the verdict does not depend on the time given (or today) */
	for (w = 0; w < sizeof whens / sizeof whens[0]; w++) {
		ck_assert_int_eq(dt_x509_verify_chain(x, &mem, chain, n,
		    whens[w], &why), cc->want);
		if (cc->why == NULL) {
			ck_assert_ptr_null(why);
		} else {
			ck_assert_ptr_nonnull(why);
			ck_assert_str_eq(why, cc->why);
		}
		dt_free(&mem, why);
	}
	free_chain(chain, n);
	dt_x509_ctx_free(x);
}
END_TEST

START_TEST(chain_bad_signature)
{
	static const char *const files[] = { "da-leaf.der", "issuing-ca.der",
	    NULL };
	struct dt_x509_ctx *x;
	struct dt_cert chain[4], forged;
	char err[512], *why;
	size_t n;

	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, CERTS "ca-bundle.pem", NULL,
	    0, NULL, err, sizeof err), 0);
	load_chain(files, chain, &n);
	/* the last byte of the leaf is in its signature */
	chain[0].der[chain[0].der_len - 1] ^= 0x01;
	ck_assert_int_eq(dt_x509_verify_chain(x, &mem, chain, n, T2024, &why),
	    DT_CHAIN_BAD);
	ck_assert_str_eq(why, "a signature in the chain does not verify");
	dt_free(&mem, why);

	/* the same bytes parse fine, and are not "self-signed" */
	ck_assert_int_eq(dt_x509_parse(&mem, chain[0].der, chain[0].der_len,
	    &forged), 0);
	ck_assert_int_eq(forged.self_signed, 0);
	dt_cert_clear(&mem, &forged);
	free_chain(chain, n);
	dt_x509_ctx_free(x);
}
END_TEST

START_TEST(chain_too_long)
{
	struct dt_x509_ctx *x;
	struct dt_cert chain[17];
	char err[512], *why;
	size_t i;

	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, CERTS "ca-bundle.pem", NULL,
	    0, NULL, err, sizeof err), 0);
	for (i = 0; i < 17; i++)
		parse_file("issuing-ca.der", &chain[i]);
	ck_assert_int_eq(dt_x509_verify_chain(x, &mem, chain, 17, 0, &why),
	    DT_CHAIN_BAD);
	ck_assert_str_eq(why, "the server sent 17 certificates; at most 16 are "
	    "checked");
	dt_free(&mem, why);
	/* 16 copies of the intermediate: within the limit, and it chains */
	ck_assert_int_eq(dt_x509_verify_chain(x, &mem, chain, 16, 0, &why),
	    DT_CHAIN_OK);
	free_chain(chain, 17);
	dt_x509_ctx_free(x);
}
END_TEST

START_TEST(self_signed_needs_signature)
{
	struct dt_cert c;
	size_t n;
	uint8_t *b = load("fortigate-device.der", &n);

	b[n - 1] ^= 0x01;	/* subject == issuer, signature broken */
	ck_assert_int_eq(dt_x509_parse(&mem, b, n, &c), 0);
	ck_assert_str_eq(c.subject, c.issuer);
	ck_assert_int_eq(c.self_signed, 0);
	dt_cert_clear(&mem, &c);
	free(b);
}
END_TEST

START_TEST(chain_anchor_variants)
{
	static const char *const leaf_only[] = { "da-leaf.der", NULL };
	struct dt_x509_ctx *x;
	struct dt_cert chain[4];
	char err[512], *why;
	size_t n, pem_len;
	uint8_t *pem = load("issuing-ca.pem", &pem_len);

	load_chain(leaf_only, chain, &n);

	/* no anchors: unchecked, no reason */
	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, NULL, NULL, 0, NULL, err,
	    sizeof err), 0);
	ck_assert_int_eq(dt_x509_verify_chain(x, &mem, chain, n, 0, &why),
	    DT_CHAIN_UNCHECKED);
	ck_assert_ptr_null(why);
	dt_x509_ctx_free(x);
	ck_assert_int_eq(dt_x509_verify_chain(NULL, &mem, chain, n, 0, &why),
	    DT_CHAIN_UNCHECKED);

	/* the intermediate given as PEM bytes is enough of an anchor */
	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, NULL, (const char *)pem,
	    pem_len, NULL, err, sizeof err), 0);
	ck_assert_int_eq(dt_x509_verify_chain(x, &mem, chain, n, 0, &why),
	    DT_CHAIN_OK);
	ck_assert_int_eq(dt_x509_verify_chain(x, &mem, chain, 0, 0, &why),
	    DT_CHAIN_UNCHECKED);
	dt_x509_ctx_free(x);

	/* a DER anchor file works too; file + bytes add up */
	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, CERTS "evil-root.der",
	    (const char *)pem, pem_len, NULL, err, sizeof err), 0);
	ck_assert_int_eq(dt_x509_verify_chain(x, &mem, chain, n, 0, &why),
	    DT_CHAIN_OK);
	dt_x509_ctx_free(x);

	free_chain(chain, n);
	free(pem);
}
END_TEST

/* ---- host names (RFC 6125) ---------------------------------------------- */

static char *san_only[] = { "san.example" };
static char *partial[] = { "f*.corp.example", "*.example", "*" };
static char *v4mapped[] = { "::ffff:192.0.2.1" };

/* synthetic leaves: matching works on struct dt_cert */
static const struct dt_cert cn_and_san = {
	.common_name = "cn.example", .dns_names = san_only, .n_dns_names = 1,
};
static const struct dt_cert bad_wild = {
	.dns_names = partial, .n_dns_names = 3,
};
static const struct dt_cert ip_in_cn = { .common_name = "192.0.2.1" };
static const struct dt_cert mapped = {
	.ip_addrs = v4mapped, .n_ip_addrs = 1,
};

struct host_case {
	const char *file;		/* or NULL: use `synthetic` */
	const struct dt_cert *synthetic;
	const char *host;
	int want;
};

static const struct host_case host_cases[] = {
	{ "da-leaf.der", NULL, "da.corp.example", 1 },
	{ "da-leaf.der", NULL, "DA.Corp.Example", 1 },
	{ "da-leaf.der", NULL, "da.corp.example.", 1 },
	{ "da-leaf.der", NULL, "da-alt.corp.example", 1 },
	{ "da-leaf.der", NULL, "corp.example", 0 },
	{ "da-leaf.der", NULL, "x.da.corp.example", 0 },
	{ "da-leaf.der", NULL, "da.corp.example.evil", 0 },
	{ "da-leaf.der", NULL, "203.0.113.10", 1 },
	{ "da-leaf.der", NULL, "203.0.113.11", 0 },
	{ "da-leaf.der", NULL, "2001:db8::10", 1 },
	{ "da-leaf.der", NULL, "2001:DB8:0:0:0:0:0:10", 1 },
	{ "da-leaf.der", NULL, "[2001:db8::10]", 1 },
	{ "da-leaf.der", NULL, "", 0 },
	{ "wildcard-leaf.der", NULL, "da.corp.example", 1 },
	{ "wildcard-leaf.der", NULL, "DA.CORP.EXAMPLE.", 1 },
	{ "wildcard-leaf.der", NULL, "a.b.corp.example", 0 },
	{ "wildcard-leaf.der", NULL, "corp.example", 0 },
	{ "wildcard-leaf.der", NULL, ".corp.example", 0 },
	{ "wildcard-leaf.der", NULL, "da.corp.example.evil", 0 },
	{ "nosan-leaf.der", NULL, "nosan.corp.example", 1 },
	{ "nosan-leaf.der", NULL, "NOSAN.corp.example.", 1 },
	{ "nosan-leaf.der", NULL, "other.corp.example", 0 },
	{ "fortigate-device.der", NULL, "fortigate", 1 },
	{ "fortigate-device.der", NULL, "da.corp.example", 0 },
	{ "mitm-leaf.der", NULL, "da.corp.example", 1 },
	{ NULL, &cn_and_san, "san.example", 1 },
	{ NULL, &cn_and_san, "cn.example", 0 },	/* CN ignored with a SAN */
	{ NULL, &bad_wild, "foo.corp.example", 0 },
	{ NULL, &bad_wild, "a.example", 0 },
	{ NULL, &bad_wild, "x", 0 },
	{ NULL, &ip_in_cn, "192.0.2.1", 0 },	/* IPs only from iPAddress */
	{ NULL, &mapped, "::ffff:192.0.2.1", 1 },
	{ NULL, &mapped, "192.0.2.1", 0 },
};

START_TEST(host_match)
{
	const struct host_case *hc = &host_cases[_i];
	struct dt_cert c;

	if (hc->file == NULL) {
		ck_assert_int_eq(dt_x509_matches_host(hc->synthetic, hc->host),
		    hc->want);
		return;
	}
	parse_file(hc->file, &c);
	ck_assert_msg(dt_x509_matches_host(&c, hc->host) == hc->want,
	    "%s vs %s: want %d", hc->file, hc->host, hc->want);
	dt_cert_clear(&mem, &c);
}
END_TEST

/* Cross-check with GnuTLS's own RFC 6125 check where both have an opinion
   (GnuTLS does not ignore a trailing dot nor parse "[v6]", and lets "*."
   match an empty label: ".corp.example", not a host name, is ours alone). */
START_TEST(host_match_gnutls)
{
	const struct host_case *hc = &host_cases[_i];
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	size_t n, hl;
	uint8_t *b;

	if (hc->file == NULL || hc->host[0] == '\0' || hc->host[0] == '[' ||
	    hc->host[0] == '.')
		return;
	hl = strlen(hc->host);
	if (hc->host[hl - 1] == '.')
		return;
	b = load(hc->file, &n);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	d.data = b;
	d.size = (unsigned)n;
	ck_assert_int_eq(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER),
	    0);
	ck_assert_msg(!!gnutls_x509_crt_check_hostname(crt, hc->host) ==
	    hc->want, "GnuTLS disagrees on %s vs %s", hc->file, hc->host);
	gnutls_x509_crt_deinit(crt);
	free(b);
}
END_TEST

/* ---- TLS-inspection CA names -------------------------------------------- */

START_TEST(inspection_match)
{
	static const char *const extra[] = { "Corp Issuing", "ACME Proxy",
	    NULL };
	const char *frag;
	struct dt_cert c;

	parse_file("mitm-leaf.der", &c);
	ck_assert_str_eq(dt_x509_inspection_ca_match(c.issuer, NULL, &frag),
	    "Fortinet FortiGate SSL deep inspection");
	ck_assert_str_eq(frag, "Fortinet_CA_SSL");
	dt_cert_clear(&mem, &c);

	ck_assert_str_eq(dt_x509_inspection_ca_match(
	    "cn=zscaler root ca,o=zscaler inc.", NULL, NULL),
	    "Zscaler Internet Access SSL inspection");
	ck_assert_str_eq(dt_x509_inspection_ca_match(
	    "CN=mitmproxy,O=mitmproxy", NULL, &frag), "mitmproxy");
	ck_assert_ptr_null(dt_x509_inspection_ca_match(ISSUING, NULL, &frag));
	ck_assert_ptr_null(frag);
	ck_assert_str_eq(dt_x509_inspection_ca_match(ISSUING, extra, &frag),
	    "Corp Issuing");
	ck_assert_ptr_eq(frag, extra[0]);
	ck_assert_str_eq(dt_x509_inspection_ca_match("CN=acme proxy CA",
	    extra, NULL), "ACME Proxy");
	ck_assert_ptr_null(dt_x509_inspection_ca_match(NULL, extra, NULL));
	ck_assert_ptr_null(dt_x509_inspection_ca_match("CN=Evil Root", extra,
	    NULL));
}
END_TEST

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* inspection_cas.c is generated from the .txt: they must agree. */
START_TEST(inspection_table_in_sync)
{
	FILE *fp = fopen("lib/x509/inspection-cas.txt", "r");
	const struct dt_inspection_ca *t;
	char line[1024];
	size_t n, k = 0;

	ck_assert_ptr_nonnull(fp);
	t = dt_x509_inspection_cas(&n);
	ck_assert_uint_ge(n, 20);
	while (fgets(line, sizeof line, fp) != NULL) {
		char *s = trim(line), *p1, *p2;

		if (*s == '\0' || *s == '#')
			continue;
		ck_assert_msg(k < n, "more lines than table entries: rerun "
		    "scripts/gen-inspection-cas.sh");
		ck_assert_ptr_nonnull(p1 = strchr(s, '|'));
		ck_assert_ptr_nonnull(p2 = strchr(p1 + 1, '|'));
		*p1 = *p2 = '\0';
		ck_assert_str_eq(trim(s), t[k].fragment);
		ck_assert_str_eq(trim(p1 + 1), t[k].product);
		ck_assert_str_eq(trim(p2 + 1), t[k].source);
		ck_assert_int_eq(t[k].verified,
		    strncmp(trim(p2 + 1), "unverified", 10) != 0);
		k++;
	}
	fclose(fp);
	ck_assert_uint_eq(k, n);
}
END_TEST

START_TEST(inspection_load)
{
	char path[] = "/tmp/test_x509_XXXXXX";
	char **v, err[512];
	int fd = mkstemp(path), i;
	FILE *fp;

	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fputs("# our proxies\n\n  ACME Proxy CA  \nBranch-SSL # the branch box\n"
	    "\t#indented comment\nlast-no-newline", fp);
	fclose(fp);
	ck_assert_int_eq(dt_x509_inspection_cas_load(&mem, path, &v, err,
	    sizeof err), 0);
	ck_assert_str_eq(v[0], "ACME Proxy CA");
	ck_assert_str_eq(v[1], "Branch-SSL");
	ck_assert_str_eq(v[2], "last-no-newline");
	ck_assert_ptr_null(v[3]);
	ck_assert_str_eq(dt_x509_inspection_ca_match("CN=branch-ssl,O=Corp",
	    (const char *const *)v, NULL), "Branch-SSL");
	dt_x509_strv_free(&mem, v);
	unlink(path);

	ck_assert_int_eq(dt_x509_inspection_cas_load(&mem, "/nonexistent/x",
	    &v, err, sizeof err), DT_EIO);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(err, "cannot read --inspection-cas file "
	    "/nonexistent/x: No such file or directory");

	/* a line too long to be a CA name */
	fd = mkstemp(strcpy(path, "/tmp/test_x509_XXXXXX"));
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fputs("ok\n", fp);
	for (i = 0; i < 1100; i++)
		fputc('x', fp);
	fclose(fp);
	ck_assert_int_eq(dt_x509_inspection_cas_load(&mem, path, &v, err,
	    sizeof err), DT_EIO);
	ck_assert_ptr_null(v);
	ck_assert_msg(strstr(err, " line 2: name longer than 1024 bytes") !=
	    NULL, "%s", err);
	unlink(path);

	/* an empty file is an empty list */
	ck_assert_int_eq(dt_x509_inspection_cas_load(&mem, "/dev/null", &v,
	    err, sizeof err), 0);
	ck_assert_ptr_null(v[0]);
	dt_x509_strv_free(&mem, v);
}
END_TEST

static Suite *
x509_suite(void)
{
	Suite *s = suite_create("x509");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, parse_fields, 0,
	    sizeof wants / sizeof wants[0]);
	tcase_add_test(tc, parse_truncated);
	tcase_add_test(tc, parse_alloc_failure);
	tcase_add_test(tc, dn_strings);
	tcase_add_test(tc, ctx_errors);
	tcase_add_test(tc, ctx_expect);
	tcase_add_test(tc, ctx_alloc_failure);
	tcase_add_loop_test(tc, chain_verify, 0,
	    sizeof chain_cases / sizeof chain_cases[0]);
	tcase_add_test(tc, chain_bad_signature);
	tcase_add_test(tc, chain_too_long);
	tcase_add_test(tc, self_signed_needs_signature);
	tcase_add_test(tc, chain_anchor_variants);
	tcase_add_loop_test(tc, host_match, 0,
	    sizeof host_cases / sizeof host_cases[0]);
	tcase_add_loop_test(tc, host_match_gnutls, 0,
	    sizeof host_cases / sizeof host_cases[0]);
	tcase_add_test(tc, inspection_match);
	tcase_add_test(tc, inspection_table_in_sync);
	tcase_add_test(tc, inspection_load);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(x509_suite)
