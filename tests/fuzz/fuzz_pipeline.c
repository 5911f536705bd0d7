/*
 * Fuzz harness: the whole pipeline on a capture held in memory, through the
 * public API only, then both writers. Invariants beyond "no crash": the
 * same input gives the same JSON twice, the analyzer frees every block it
 * allocated, and memory stays under a small cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datrace.h"

struct counter {
	long live;
};

static void *
count_alloc(void *ud, void *ptr, size_t size)
{
	struct counter *c = ud;

	if (size == 0) {
		if (ptr != NULL)
			c->live--;
		free(ptr);
		return NULL;
	}
	if (ptr == NULL) {
		ptr = malloc(size);
		if (ptr != NULL)
			c->live++;
		return ptr;
	}
	return realloc(ptr, size);
}

static char *
analyse(const uint8_t *data, size_t size, struct counter *cnt)
{
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a;
	char *json = NULL, *text = NULL;

	o.alloc = count_alloc;
	o.alloc_ud = cnt;
	o.memory_cap = 64u << 20;
	o.host = "da.corp.example";
	if (dt_analyzer_new(&a, &o) != 0) {
		dt_analyzer_free(a);
		return NULL;
	}
	(void)dt_analyze_mem(a, "fuzz", data, size);
	if (dt_write_buffer(a, "text", DT_TEXT_VERBOSE, &text, NULL) == 0)
		dt_buffer_free(text);
	(void)dt_write_buffer(a, "json", 0, &json, NULL);
	dt_analyzer_free(a);
	return json;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct counter c1 = { 0 }, c2 = { 0 };
	char *j1 = analyse(data, size, &c1);
	char *j2 = analyse(data, size, &c2);

	if (c1.live != 0 || c2.live != 0)
		abort();		/* a block was not freed */
	if ((j1 == NULL) != (j2 == NULL) || (j1 && strcmp(j1, j2) != 0))
		abort();		/* not deterministic */
	dt_buffer_free(j1);
	dt_buffer_free(j2);
	return 0;
}
