/*
 * Fuzz harness: dt_export_pcapng (lib/export/) on any input. The bytes are
 * written to a temporary file (the export reads its capture a second time,
 * by path), analysed, exported, and the export is read back by the
 * library's own pcapng reader. Invariants beyond "no crash": an export of
 * what was analysed succeeds; the file read back holds exactly the packet
 * and ETW blocks the export counted; every block the analyzer allocated
 * is freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datrace.h"

struct counter {
	long live;
};

static void *
count_alloc(void *ud, void *ptr, size_t size)
{
	struct counter *c = ud;
	void *p;

	if (size == 0) {
		if (ptr != NULL)
			c->live--;
		free(ptr);
		return NULL;
	}
	p = realloc(ptr, size);
	if (p != NULL && ptr == NULL)
		c->live++;
	return p;
}

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_export: invariant broken: %s\n", what);
		abort();
	}
}

/* A temporary file holding data (or only created); its path in buf. */
static FILE *
temp(char *buf, size_t len, const char *suffix)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(buf, len, "%s/fuzz-export-XXXXXX%s", dir ? dir : "/tmp",
	    suffix);
	fd = mkstemps(buf, (int)strlen(suffix));
	return fd < 0 ? NULL : fdopen(fd, "w+b");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dt_options o = DT_OPTIONS_INIT;
	struct counter c = { 0 };
	char in[256], out[256];
	const dt_capture *cap, *back;
	dt_export_counts n;
	dt_analyzer *a, *b;
	FILE *fi, *fo;
	int rc;

	if ((fi = temp(in, sizeof in, ".cap")) == NULL)
		return 0;
	if ((fo = temp(out, sizeof out, ".pcapng")) == NULL) {
		fclose(fi);
		unlink(in);
		return 0;
	}
	if (fwrite(data, 1, size, fi) != size || fclose(fi) != 0)
		abort();
	o.alloc = count_alloc;
	o.alloc_ud = &c;
	if (dt_analyzer_new(&a, &o) == 0) {
		(void)dt_analyze_file(a, in);
		if (dt_analyzer_capture_at(a, 0, &cap) == 0 &&
		    strcmp(dt_capture_format(cap), "unknown") != 0) {
			rc = dt_export_pcapng(a, cap, in, fo, &n);
			check(rc == 0, dt_analyzer_errmsg(a));
			check(n.packets + n.sightings_left_out <=
			    dt_capture_packets(cap), "no more packets than read");
			check(dt_analyzer_new(&b, NULL) == 0, "analyzer");
			if (n.packets + n.events > 0) {
				check(dt_analyze_file(b, out) == 0,
				    "the export reads back");
				check(dt_analyzer_capture_at(b, 0, &back) == 0,
				    "a capture read back");
				check(dt_capture_packets(back) == n.packets +
				    n.events, "every block read back");
			}
			dt_analyzer_free(b);
		}
	}
	dt_analyzer_free(a);
	check(c.live == 0, "every block freed");
	fclose(fo);
	unlink(in);
	unlink(out);
	return 0;
}
