/*
 * bench-state: what the library keeps to the end of a capture, through the
 * public API. An allocator that counts live bytes is handed to the
 * analyzer (dt_options.alloc); after dt_analyze_file() has judged the
 * capture, what is still live is the state kept for the writers: every
 * connection's facts, DNS answers, HTTP exchanges, verdicts. Prints, per
 * capture: live bytes, peak live bytes, connections, DNS answers.
 * run.sh divides the growth between two captures by the connections added:
 * the per-connection state the scaling check allows.
 *
 *   bench-state HOST CAPTURE...
 */
#include <datrace.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct acct {
	size_t live, peak;
};

/* realloc semantics; a header before each block keeps its size */
static void *
acct_alloc(void *ud, void *ptr, size_t size)
{
	struct acct *a = ud;
	size_t *h = ptr != NULL ? (size_t *)ptr - 2 : NULL, *n;

	if (h != NULL)
		a->live -= h[0];
	if (size == 0) {
		free(h);
		return NULL;
	}
	n = realloc(h, size + 2 * sizeof *n);
	if (n == NULL) {
		if (h != NULL)
			a->live += h[0];
		return NULL;
	}
	n[0] = size;
	a->live += size;
	if (a->live > a->peak)
		a->peak = a->live;
	return n + 2;
}

int
main(int argc, char **argv)
{
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-state HOST CAPTURE...\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		dt_options o = DT_OPTIONS_INIT;
		struct acct a = { 0, 0 };
		dt_analyzer *an;
		const dt_capture *cap;
		int rc;

		o.host = argv[1];
		o.alloc = acct_alloc;
		o.alloc_ud = &a;
		o.memory_cap = SIZE_MAX / 2;	/* measure, do not drop */
		if (dt_analyzer_new(&an, &o) != 0) {
			fprintf(stderr, "bench-state: %s\n", dt_analyzer_errmsg(an));
			return 1;
		}
		rc = dt_analyze_file(an, argv[i]);
		if (rc != 0 || dt_analyzer_capture_at(an, 0, &cap) != 0) {
			fprintf(stderr, "bench-state: %s: %s\n", argv[i],
			    dt_analyzer_errmsg(an));
			dt_analyzer_free(an);
			return 1;
		}
		printf("%zu %zu %zu %zu\n", a.live, a.peak,
		    dt_capture_conn_count(cap), dt_capture_dns_count(cap));
		dt_analyzer_free(an);
	}
	return 0;
}
