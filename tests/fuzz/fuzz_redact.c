/*
 * Fuzz harness for redact/: the input as a capture analysed with
 * redaction on (every fact and verdict text rewritten), then the three
 * writers; and the input as an option string through each pseudonym
 * function (name, path, fingerprint, text with addresses and DNs).
 * Invariants beyond "no crash": the same input gives the same pseudonyms
 * twice (they are a function of the key and the value) and the same
 * redacted JSON twice; no block is left allocated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datrace.h"
#include "redact/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "fuzz_redact: %s\n", #x); \
	abort(); } } while (0)

static char *
json_of(const uint8_t *data, size_t size)
{
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a = NULL;
	char *out = NULL, *t;
	size_t n;

	o.redact = 1;
	o.redact_key = "fuzz";
	o.redact_key_len = 4;
	o.host = "da.corp.example";
	CHECK(dt_analyzer_new(&a, &o) == 0);
	(void)dt_analyze_mem(a, "/cases/customer/trace.pcapng", data, size);
	if (dt_write_buffer(a, "json", 0, &out, &n) != 0)
		out = NULL;
	if (dt_write_buffer(a, "text", DT_TEXT_VERBOSE, &t, &n) == 0)
		dt_buffer_free(t);
	if (dt_write_buffer(a, "html", 0, &t, &n) == 0)
		dt_buffer_free(t);
	dt_analyzer_free(a);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *(*const fns[])(struct dt_redact *, struct dt_mem *,
	    const char *) = { dt_redact_name, dt_redact_path,
	    dt_redact_expect, dt_redact_text };
	struct dt_redact *r;
	struct dt_mem m;
	char *s, *x, *y, *j1, *j2;
	size_t i;

	j1 = json_of(data, size);
	j2 = json_of(data, size);
	CHECK((j1 == NULL) == (j2 == NULL));
	CHECK(j1 == NULL || strcmp(j1, j2) == 0);
	dt_buffer_free(j1);
	dt_buffer_free(j2);

	if (size > 4096)
		return 0;
	dt_mem_init(&m, NULL, NULL, 0);
	s = dt_strndup(&m, (const char *)data, size);
	CHECK(s != NULL);
	CHECK(dt_redact_new(&r, &m, "fuzz", 4) == 0);
	for (i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		x = fns[i](r, &m, s);
		y = fns[i](r, &m, s);
		CHECK(x != NULL && y != NULL);
		CHECK(strcmp(x, y) == 0);
		dt_free(&m, x);
		dt_free(&m, y);
	}
	dt_redact_free(r);
	dt_free(&m, s);
	CHECK(m.used == 0);
	return 0;
}
