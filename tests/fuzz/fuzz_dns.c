/*
 * Fuzz harness for dt_dns_parse() (lib/flow/dns.c, RFC 1035): any bytes
 * as one DNS message. Checks that a failure leaves nothing allocated, that
 * a success gives a bounded, NUL-terminated name and at most
 * DT_DNS_MAX_ADDRS addresses, and that the same message parsed twice gives
 * the same facts (name, type, rcode, addresses, CNAME).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_dns: invariant broken: %s\n", what);
		abort();
	}
}

/* One parse, its facts as a string; the return value of dt_dns_parse(). */
static int
parse(struct dt_mem *m, const uint8_t *data, size_t size, char *out,
    size_t outn)
{
	struct dt_dns d;
	int resp = -1, rc;
	uint16_t txid = 0;
	size_t i, k;

	out[0] = '\0';
	rc = dt_dns_parse(m, data, size, &resp, &txid, &d);
	if (rc != 0) {
		check(d.name == NULL && d.addr_bytes == NULL && d.cname == NULL,
		    "nothing kept on failure");
		return rc;
	}
	check(d.name != NULL && strlen(d.name) <= 255, "name bounded");
	check(d.n_addrs <= DT_DNS_MAX_ADDRS, "addresses bounded");
	check(d.n_addrs == 0 || d.addr_bytes != NULL, "addresses there");
	snprintf(out, outn, "%d %u %s %u %d %s %u", resp, txid, d.name,
	    d.qtype, d.rcode, d.cname ? d.cname : "-", d.n_addrs);
	for (i = 0; i < d.n_addrs; i++) {
		struct dt_addr a;

		dt_dns_addr(&d, i, &a);
		k = strlen(out);
		snprintf(out + k, outn - k, " %d:", a.family);
		check(a.family == 4 || a.family == 6, "address family");
		for (k = 0; k < 16; k++) {
			size_t l = strlen(out);

			snprintf(out + l, outn - l, "%02x", a.a[k]);
		}
	}
	dt_free(m, (void *)d.name);
	dt_free(m, d.addr_bytes);
	dt_free(m, (void *)d.cname);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[8192], b[8192];
	struct dt_mem m;
	int r1, r2;

	dt_mem_init(&m, NULL, NULL, 0);
	r1 = parse(&m, data, size, a, sizeof a);
	r2 = parse(&m, data, size, b, sizeof b);
	check(r1 == r2 && strcmp(a, b) == 0, "same facts twice");
	check(m.used == 0, "no leak");
	return 0;
}
