/*
 * Fuzz target for lib/x509 (RFC 5280, through GnuTLS): the input as a DER
 * certificate (dt_x509_parse, then the host-name check and the
 * inspection-CA match on what came out) and as a DER DN
 * (dt_x509_dn_string, as CertificateRequest CA names are read).
 * Invariants: everything allocated comes back (the accounting allocator's
 * live count is checked after each input), the same bytes parsed twice
 * give the same facts, through the certificate cache too (a miss, then a
 * hit: the same facts as the plain parse), and a parsed certificate's
 * SHA-256 is 64 hex digits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_x509: invariant broken: %s\n", what);
		abort();
	}
}

static void
cat(char *out, size_t n, const char *s)
{
	size_t k = strlen(out);

	snprintf(out + k, n - k, "|%s", s != NULL ? s : "(null)");
}

static void
list(char *out, size_t n, char **v, size_t nv)
{
	size_t i;

	for (i = 0; i < nv; i++)
		cat(out, n, v[i]);
	cat(out, n, "/");
}

/* x NULL: the plain parse; else through x's cache. */
static void
facts(const struct dt_x509_ctx *x, struct dt_mem *m, const uint8_t *data,
    size_t size, char *out, size_t n)
{
	struct dt_cert c;
	char *dn;
	int rc;

	rc = x != NULL ? dt_x509_parse_cached(x, m, data, size, &c) :
	    dt_x509_parse(m, data, size, &c);
	snprintf(out, n, "%d %lld %lld %d %d %d %u %s", rc,
	    (long long)c.not_before, (long long)c.not_after, c.self_signed,
	    c.server_auth, c.client_auth, c.key_bits, c.sha256);
	cat(out, n, c.parse_error);
	if (c.parse_error == NULL) {
		check(strlen(c.sha256) == 64 &&
		    strspn(c.sha256, "0123456789abcdef") == 64,
		    "SHA-256 in hex");
		cat(out, n, c.subject);
		cat(out, n, c.issuer);
		cat(out, n, c.serial);
		cat(out, n, c.common_name);
		cat(out, n, c.key_type);
		cat(out, n, c.sig_alg);
		list(out, n, c.dns_names, c.n_dns_names);
		list(out, n, c.ip_addrs, c.n_ip_addrs);
		list(out, n, c.crl_urls, c.n_crl_urls);
		list(out, n, c.aia_urls, c.n_aia_urls);
		cat(out, n, dt_x509_matches_host(&c, "da.corp.example") ?
		    "host" : "-");
		cat(out, n, dt_x509_matches_host(&c, "203.0.113.10") ?
		    "ip" : "-");
		cat(out, n, dt_x509_inspection_ca_match(c.issuer, NULL, NULL));
	}
	dt_cert_clear(m, &c);
	dn = x != NULL ? dt_x509_dn_string_cached(x, m, data, size) :
	    dt_x509_dn_string(m, data, size);
	cat(out, n, dn);
	dt_free(m, dn);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[65536], b[65536];
	struct dt_mem m, xm;
	struct dt_x509_ctx *x = NULL;
	char eb[256];

	dt_mem_init(&m, NULL, NULL, 0);
	facts(NULL, &m, data, size, a, sizeof a);
	facts(NULL, &m, data, size, b, sizeof b);
	check(strcmp(a, b) == 0, "same facts twice");
	check(m.used == 0, "no leak");

	dt_mem_init(&xm, NULL, NULL, 0);
	if (dt_x509_ctx_new(&x, &xm, NULL, NULL, 0, NULL, eb, sizeof eb) != 0)
		abort();
	facts(x, &m, data, size, b, sizeof b);		/* a miss */
	check(strcmp(a, b) == 0, "cached parse (miss) = plain parse");
	facts(x, &m, data, size, b, sizeof b);		/* a hit */
	check(strcmp(a, b) == 0, "cached parse (hit) = plain parse");
	dt_x509_ctx_free(x);
	check(m.used == 0 && xm.used == 0, "no leak through the cache");
	return 0;
}
