/*
 * Fuzz harness: the whole pipeline on a capture held in memory, through the
 * public API only, then the three writers (text, JSON, HTML). Invariants
 * beyond "no crash": the same input gives the same JSON and text twice, the
 * analyzer frees every block it allocated, and the bytes it holds at its
 * peak stay under the memory cap it was given (the allocator counts them).
 * Inputs of odd size run under a small cap (512 KiB) so that the paths
 * that hit it (drop, warn, DT_ENOMEM) are fuzzed too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datrace.h"

#define CAP_BIG		((size_t)64 << 20)
#define CAP_SMALL	((size_t)512 << 10)

struct counter {
	long live;
	size_t bytes, peak;
};

/* Each block carries its size in front so the bytes held are known. */
union head {
	size_t size;
	max_align_t align;
};

static void *
count_alloc(void *ud, void *ptr, size_t size)
{
	struct counter *c = ud;
	union head *h = ptr != NULL ? (union head *)ptr - 1 : NULL;
	union head *nh;

	if (size == 0) {
		if (h != NULL) {
			c->live--;
			c->bytes -= h->size;
		}
		free(h);
		return NULL;
	}
	if (size > SIZE_MAX - sizeof *h)
		return NULL;
	nh = realloc(h, sizeof *h + size);
	if (nh == NULL)
		return NULL;
	if (h == NULL)
		c->live++;
	else
		c->bytes -= nh->size;
	nh->size = size;
	c->bytes += size;
	if (c->bytes > c->peak)
		c->peak = c->bytes;
	return nh + 1;
}

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_pipeline: invariant broken: %s\n", what);
		abort();
	}
}

static char *
analyse(const uint8_t *data, size_t size, size_t cap, struct counter *cnt,
    char **text)
{
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a;
	char *json = NULL, *html = NULL;

	*text = NULL;
	o.alloc = count_alloc;
	o.alloc_ud = cnt;
	o.memory_cap = cap;
	o.host = "da.corp.example";
	if (dt_analyzer_new(&a, &o) != 0) {
		dt_analyzer_free(a);
		return NULL;
	}
	(void)dt_analyze_mem(a, "fuzz", data, size);
	(void)dt_write_buffer(a, "text", DT_TEXT_VERBOSE, text, NULL);
	(void)dt_write_buffer(a, "json", 0, &json, NULL);
	if (dt_write_buffer(a, "html", DT_TEXT_VERBOSE, &html, NULL) == 0)
		dt_buffer_free(html);
	dt_analyzer_free(a);
	return json;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct counter c1 = { 0, 0, 0 }, c2 = { 0, 0, 0 };
	size_t cap = (size & 1) ? CAP_SMALL : CAP_BIG;
	char *t1, *t2;
	char *j1 = analyse(data, size, cap, &c1, &t1);
	char *j2 = analyse(data, size, cap, &c2, &t2);

	check(c1.live == 0 && c2.live == 0, "every block freed");
	check(c1.bytes == 0 && c2.bytes == 0, "every byte freed");
	/* GnuTLS's own allocations and the writers' output buffers do not
	   go through the analyzer's allocator, so no slack is needed */
	check(c1.peak <= cap && c2.peak <= cap, "peak under the memory cap");
	check(same(j1, j2), "same JSON twice");
	check(same(t1, t2), "same text twice");
	dt_buffer_free(j1);
	dt_buffer_free(j2);
	dt_buffer_free(t1);
	dt_buffer_free(t2);
	return 0;
}
