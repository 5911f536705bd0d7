/*
 * Fuzz harness for dt_dns_parse() (lib/flow/dns.c): any bytes as one DNS
 * message. Checks that a failure leaves nothing allocated and that a
 * success gives a bounded, NUL-terminated name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_mem m;
	struct dt_dns d;
	int resp;
	uint16_t txid;

	dt_mem_init(&m, NULL, NULL, 0);
	if (dt_dns_parse(&m, data, size, &resp, &txid, &d) == 0) {
		if (d.name == NULL || strlen(d.name) > 255 ||
		    d.n_addrs > DT_DNS_MAX_ADDRS)
			abort();
		dt_free(&m, d.name);
		dt_free(&m, d.addrs);
		dt_free(&m, d.cname);
	} else if (d.name != NULL || d.addrs != NULL || d.cname != NULL) {
		abort();
	}
	if (m.used != 0)
		abort();
	return 0;
}
