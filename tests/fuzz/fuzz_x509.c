/*
 * Fuzz target for lib/x509: the input as a DER certificate (dt_x509_parse,
 * then the host-name check and the inspection-CA match on what came out)
 * and as a DER DN (dt_x509_dn_string, as CertificateRequest CA names are
 * read). Everything allocated must come back: the accounting allocator's
 * live count is checked after each input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "x509/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_mem m;
	struct dt_cert c;
	char *dn;

	dt_mem_init(&m, NULL, NULL, 0);
	dt_x509_parse(&m, data, size, &c);
	if (c.parse_error == NULL) {
		dt_x509_matches_host(&c, "da.corp.example");
		dt_x509_matches_host(&c, "203.0.113.10");
		dt_x509_inspection_ca_match(c.issuer, NULL, NULL);
	}
	dt_cert_clear(&m, &c);
	dn = dt_x509_dn_string(&m, data, size);
	dt_free(&m, dn);
	if (m.used != 0)
		abort();
	return 0;
}
