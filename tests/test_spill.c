/*
 * Kept facts in a spill file (util/spill.h, dt_options.spill_dir).
 *
 * The room itself: memory handed out stays what was written across
 * growth and drops, a full reserve and a directory that cannot hold a
 * file are refused, and the file is gone with the spill. Then the
 * library: a capture that keeps more than its spill threshold (12,000
 * connections fed packet by packet, 1 MiB) spills into the directory it
 * is given, its report is
 * byte for byte the report of the same capture kept on the heap, the cap
 * counts the spilled bytes as it counts the heap's (same connections
 * dropped under the same cap), and nothing of it remains once the
 * analyzer is freed.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "datrace.h"
#include "util/spill.h"
#include "testutil.h"

/* A fresh directory for one test (removed by rm_dir). */
static void
mk_dir(char *dir, size_t n)
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, n, "%s/dt-spill-XXXXXX",
	    base != NULL && base[0] != '\0' ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
rm_dir(const char *dir)
{
	ck_assert_int_eq(rmdir(dir), 0);	/* empty: the file went */
}

/* Mappings of this process whose file lives in dir. */
static int
mapped_in(const char *dir)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[4096];
	size_t n = strlen(dir);
	int found = 0;

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof line, fp) != NULL) {
		char *path = strchr(line, '/');

		if (path != NULL && strncmp(path, dir, n) == 0 &&
		    path[n] == '/')
			found++;
	}
	fclose(fp);
	return found;
}

START_TEST(test_spill_room)
{
	struct dt_spill s;
	unsigned char *p[3];
	char dir[256];
	size_t i, k;

	mk_dir(dir, sizeof dir);
	ck_assert_int_eq(dt_spill_open(&s, dir, (size_t)12 << 20), 0);
	ck_assert_int_eq(mapped_in(dir), 0);	/* nothing mapped yet */
	/* 3 MiB + 1 byte each, one lane: the file grows past its 4 MiB
	   steps, each a region of 4 MiB (whole 2 MiB pages) */
	for (k = 0; k < 3; k++) {
		p[k] = dt_spill_alloc(&s, 0, ((size_t)3 << 20) + 1);
		ck_assert_ptr_nonnull(p[k]);
		ck_assert_uint_eq((uintptr_t)p[k] % ((size_t)2 << 20), 0);
		for (i = 0; i < ((size_t)3 << 20) + 1; i += 4093)
			ck_assert_uint_eq(p[k][i], 0);	/* zeroed */
		for (i = 0; i < ((size_t)3 << 20) + 1; i += 511)
			p[k][i] = (unsigned char)(i * 7 + k);
	}
	ck_assert_uint_eq(dt_spill_size(&s), (size_t)12 << 20);
	ck_assert_int_gt(mapped_in(dir), 0);
	/* on a 2 MiB boundary, so that huge pages can map it */
	ck_assert_uint_eq((uintptr_t)p[0] % ((size_t)2 << 20), 0);
	/* the lane's last region is filling: its 2 MiB page where the
	   last allocation ends stays, the rest goes */
	dt_spill_drop(&s);
	if (dt_spill_mapped(&s) != SIZE_MAX)	/* /proc says */
		ck_assert_uint_lt(dt_spill_mapped(&s), (size_t)3 << 20);
	for (k = 0; k < 3; k++)		/* back from the file, unchanged */
		for (i = 0; i < ((size_t)3 << 20) + 1; i += 511)
			ck_assert_uint_eq(p[k][i], (unsigned char)(i * 7 + k));
	/* what a walk maps back is seen, and leaves with the next drop;
	   once the lane is ended, its region goes too */
	if (dt_spill_mapped(&s) != SIZE_MAX) {
		ck_assert_uint_ge(dt_spill_mapped(&s), (size_t)9 << 20);
		dt_spill_drop(&s);
		ck_assert_uint_lt(dt_spill_mapped(&s), (size_t)3 << 20);
		dt_spill_lane_end(&s, 0);
		dt_spill_drop(&s);
		ck_assert_uint_lt(dt_spill_mapped(&s), (size_t)1 << 20);
	}
	/* the reserve is spent: refused, and what was given is intact */
	ck_assert_ptr_null(dt_spill_alloc(&s, 1, 10));
	ck_assert_ptr_null(dt_spill_alloc(&s, DT_SPILL_LANES, 10));
	ck_assert_uint_eq(p[2][511], (unsigned char)(511 * 7 + 2));
	dt_spill_close(&s);
	ck_assert_int_eq(mapped_in(dir), 0);
	rm_dir(dir);

	/* a directory that cannot hold a file: refused, nothing left open */
	ck_assert_int_eq(dt_spill_open(&s, "/nonexistent/dir", 1 << 20), -1);
	ck_assert_ptr_null(dt_spill_alloc(&s, 0, 10));
	dt_spill_close(&s);
}
END_TEST

/* Each lane fills 2 MiB regions of its own, in turn as they need them,
   and a drop leaves the regions being filled mapped: a string appended
   to a region already read back is not written into a page mapped
   read-only (which the kernel would split into 4 KiB ones). */
START_TEST(test_spill_lanes)
{
	struct dt_spill s;
	unsigned char *a[2], *b[2], *c;
	char dir[256];
	const size_t huge = (size_t)2 << 20;
	size_t before;

	mk_dir(dir, sizeof dir);
	ck_assert_int_eq(dt_spill_open(&s, dir, (size_t)64 << 20), 0);
	/* the file's first 8 MiB are cut finer (lanes share its pages, so
	   a small spill maps few): here filled at once, in lane 2 */
	ck_assert_ptr_eq(dt_spill_alloc(&s, 2, (size_t)8 << 20), s.base);
	a[0] = dt_spill_alloc(&s, 0, 100);
	b[0] = dt_spill_alloc(&s, 1, 100);
	a[1] = dt_spill_alloc(&s, 0, 100);
	b[1] = dt_spill_alloc(&s, 1, 1);
	ck_assert_ptr_nonnull(a[0]);
	ck_assert_ptr_nonnull(b[0]);
	/* 64-aligned, one after the other within a lane's region */
	ck_assert_ptr_eq(a[1], a[0] + 128);
	ck_assert_ptr_eq(b[1], b[0] + 128);
	ck_assert_uint_eq((uintptr_t)a[0] % huge, 0);
	ck_assert_uint_eq((size_t)(b[0] - a[0]), huge);
	ck_assert_uint_eq(dt_spill_size(&s), 6 * huge);
	/* a block larger than what is left: a new region, of whole 2 MiB
	   pages, after the others */
	c = dt_spill_alloc(&s, 0, huge);
	ck_assert_ptr_eq(c, b[0] + huge);
	ck_assert_uint_eq(dt_spill_size(&s), 7 * huge);
	memset(c, 0xa5, huge);
	a[0][0] = 1;
	b[0][0] = 2;
	if (dt_spill_mapped(&s) != SIZE_MAX) {
		/* the region lane 0 fills (c's, all used: its last page) and
		   lane 1's stay; lane 0's first region goes */
		before = dt_spill_mapped(&s);
		ck_assert_uint_ge(before, 3 * huge);
		dt_spill_drop(&s);
		ck_assert_uint_lt(dt_spill_mapped(&s), 3 * huge);
		ck_assert_uint_ge(dt_spill_mapped(&s), huge);
	}
	ck_assert_uint_eq(a[0][0], 1);
	ck_assert_uint_eq(b[0][0], 2);
	ck_assert_uint_eq(c[huge - 1], 0xa5);
	dt_spill_close(&s);
	rm_dir(dir);
}
END_TEST

/* ---- the library ---------------------------------------------------------- */

#define N_CONNS 12000

/* Ethernet/IPv4/TCP from 10.1.x.y:port to 198.19.0.10:3389 (a connection
   no rule judges, the kind a day holds by the ten thousand). */
static size_t
frame(uint8_t *b, unsigned conn, int to_server, uint8_t flags)
{
	const uint8_t cli[4] = { 10, 1, (uint8_t)(conn >> 8), (uint8_t)conn };
	static const uint8_t srv[4] = { 198, 19, 0, 10 };
	uint16_t cport = (uint16_t)(1024 + conn % 60000);
	struct tu_tcp4 t = {
		.sport = to_server ? cport : 3389,
		.dport = to_server ? 3389 : cport,
		.seq = to_server ? 1000 : 5000,
		.ack = to_server ? 5001 : 1001,
		.flags = flags,
		.ttl = to_server ? 128 : 57,
	};

	memcpy(t.src, to_server ? cli : srv, 4);
	memcpy(t.dst, to_server ? srv : cli, 4);
	return tu_tcp4_frame(b, &t, NULL, 0);
}

/* One capture named `name` of N_CONNS refused connections (SYN, RST-ACK)
   fed into a, ended. */
static void
feed_conns(dt_analyzer *a, const char *name)
{
	uint8_t b[64];
	unsigned i;
	int64_t t = 1764000000;

	ck_assert_int_eq(dt_feed_begin(a, name), 0);
	for (i = 0; i < N_CONNS; i++) {
		uint32_t ns = (i % 1000) * 1000000;

		t += i % 1000 == 0;
		ck_assert_int_eq(dt_feed_packet(a, 1, t, ns, b,
		    (uint32_t)frame(b, i, 1, 0x02), 54), 0);
		ck_assert_int_eq(dt_feed_packet(a, 1, t, ns + 500000, b,
		    (uint32_t)frame(b, i, 0, 0x14), 54), 0);
	}
	ck_assert_int_eq(dt_feed_end(a), 0);
}

/* The JSON report of N_CONNS refused connections (SYN, RST-ACK), spilled
   into dir past `after` kept bytes (SIZE_MAX: kept on the heap, with the
   same options otherwise, so that both runs weigh the same bookkeeping
   under the cap), under `cap` bytes (0: the library's default);
   *spilled: whether dir held a mapping after the analysis; threads:
   dt_options's. Returns the report (malloc'd), its length in *len. */
#define SPILL_AFTER	((size_t)1 << 20)

static char *
report(const char *dir, size_t after, size_t cap, int *spilled, size_t *len,
    int threads)
{
	dt_analyzer *a;
	dt_options o;
	char *doc = NULL;
	FILE *fp;

	dt_options_init(&o);
	ck_assert_uint_eq(o.version, 5);
	o.spill_dir = dir;
	o.spill_after = after;
	o.memory_cap = cap;
	o.threads = threads;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	feed_conns(a, "conns");
	*spilled = dir != NULL && mapped_in(dir) > 0;
	fp = open_memstream(&doc, len);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(dt_write_json(a, fp, 0), 0);
	ck_assert_int_eq(fclose(fp), 0);
	dt_analyzer_free(a);
	if (dir != NULL)
		ck_assert_int_eq(mapped_in(dir), 0);
	return doc;
}

/* KiB of the mappings of files in dir resident in this process (smaps). */
static size_t
resident_in(const char *dir)
{
	FILE *fp = fopen("/proc/self/smaps", "r");
	char line[4096];
	size_t n = strlen(dir), kib = 0, v;
	int in = 0;

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof line, fp) != NULL) {
		char *path = strchr(line, '/');

		if (strchr(line, '-') != NULL && strchr(line, '-') <
		    strchr(line, ' ') && line[0] != ' ')	/* a mapping */
			in = path != NULL && strncmp(path, dir, n) == 0 &&
			    path[n] == '/';
		else if (in && sscanf(line, "Rss: %zu kB", &v) == 1)
			kib += v;
	}
	fclose(fp);
	return kib;
}

/* A finished capture keeps none of its spill file resident, nor does the
   report once written: a run over a folder of captures kept each one's
   last pages mapped (8 MiB a 100 MB capture). */
START_TEST(test_finished_capture_gives_back)
{
	dt_analyzer *a;
	dt_options o;
	char dir[256], *doc = NULL;
	size_t len;
	FILE *fp;
	unsigned k;

	mk_dir(dir, sizeof dir);
	dt_options_init(&o);
	o.spill_dir = dir;
	o.spill_after = SPILL_AFTER;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	for (k = 0; k < 2; k++) {
		feed_conns(a, k == 0 ? "one" : "two");
		ck_assert_int_gt(mapped_in(dir), 0);	/* it spilled */
		ck_assert_msg(resident_in(dir) < 256, "%zu KiB resident after "
		    "capture %u", resident_in(dir), k + 1);
	}
	fp = open_memstream(&doc, &len);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(dt_write_json(a, fp, 0), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_ptr_nonnull(strstr(doc, "\"id\": 12000,"));
	ck_assert_msg(resident_in(dir) < 256, "%zu KiB resident after the "
	    "report", resident_in(dir));
	free(doc);
	dt_analyzer_free(a);
	ck_assert_int_eq(mapped_in(dir), 0);
	rm_dir(dir);
}
END_TEST

/* Spilled or on the heap, the same report, under a cap too; with
   dt_options.threads (_i = 1) as well. */
START_TEST(test_spilled_report_is_the_same)
{
	char dir[256], *heap, *spill;
	size_t nh, ns;
	int spilled;

	mk_dir(dir, sizeof dir);
	heap = report(dir, SIZE_MAX, 0, &spilled, &nh, 0);
	ck_assert_int_eq(spilled, 0);
	spill = report(dir, SPILL_AFTER, 0, &spilled, &ns, _i);
	ck_assert_int_eq(spilled, 1);
	ck_assert_ptr_nonnull(strstr(heap, "\"id\": 12000,"));
	ck_assert_uint_eq(ns, nh);
	ck_assert_int_eq(memcmp(heap, spill, nh), 0);
	free(heap);
	free(spill);

	/* under a cap the spilled bytes count as the heap's: the same
	   connections dropped, the same report */
	heap = report(dir, SIZE_MAX, (size_t)4 << 20, &spilled, &nh, 0);
	spill = report(dir, SPILL_AFTER, (size_t)4 << 20, &spilled, &ns, _i);
	ck_assert_ptr_nonnull(strstr(heap, "\"dropped_conns\": "));
	ck_assert_ptr_null(strstr(heap, "\"dropped_conns\": 0,"));
	ck_assert_uint_eq(ns, nh);
	ck_assert_int_eq(memcmp(heap, spill, nh), 0);
	free(heap);
	free(spill);
	rm_dir(dir);
}
END_TEST

/* How many of the n pages at p are in the page cache. */
static size_t
resident_pages(const unsigned char *p, size_t n)
{
	unsigned char vec[4096];
	size_t page = (size_t)sysconf(_SC_PAGESIZE), i, k = 0;

	ck_assert_uint_le(n, sizeof vec);
	ck_assert_int_eq(mincore((void *)p, n * page, vec), 0);
	for (i = 0; i < n; i++)
		k += vec[i] & 1;
	return k;
}

/* The file grows a step of 4 MiB at a time as it is filled, and its
   pages are made only as they are written: past what was handed out,
   none is in the page cache. A file that may not grow past 14 MiB takes
   what fits and refuses the rest. */
START_TEST(test_spill_pages_made_as_written)
{
	struct rlimit was, lim;
	struct dt_spill s;
	char dir[256];
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n;

	mk_dir(dir, sizeof dir);
	ck_assert_int_eq(dt_spill_open(&s, dir, (size_t)64 << 20), 0);
	ck_assert_ptr_nonnull(dt_spill_alloc(&s, 0, (size_t)3 << 20));
	ck_assert_uint_eq(s.size, (size_t)4 << 20);
	n = (s.size - s.used) / page;
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(resident_pages(s.base + s.used, n), 0);
	dt_spill_close(&s);

	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	ck_assert_ptr_ne(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
	lim = was;
	lim.rlim_cur = (rlim_t)14 << 20;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ck_assert_int_eq(dt_spill_open(&s, dir, (size_t)64 << 20), 0);
	ck_assert_ptr_nonnull(dt_spill_alloc(&s, 2, (size_t)8 << 20));
	ck_assert_ptr_nonnull(dt_spill_alloc(&s, 0, (size_t)3 << 20));
	ck_assert_uint_eq(s.size, (size_t)12 << 20);
	ck_assert_ptr_null(dt_spill_alloc(&s, 1, (size_t)3 << 20));
	dt_spill_close(&s);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
	rm_dir(dir);
}
END_TEST

/* A file that cannot grow (a full disk: here a file size limit) is a
   refused allocation, never a SIGBUS: what does not fit goes to the heap
   and the report is the heap's, byte for byte; with dt_options.threads
   (_i = 1) as well. */
START_TEST(test_spill_full_disk_falls_back)
{
	struct rlimit was, lim;
	char dir[256], *heap, *spill;
	size_t nh, ns;
	int spilled;

	mk_dir(dir, sizeof dir);
	heap = report(dir, SIZE_MAX, 0, &spilled, &nh, 0);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	ck_assert_ptr_ne(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
	/* room for the first 4 MiB step only: the file is made and
	   mapped, its second step refused */
	lim = was;
	lim.rlim_cur = (rlim_t)6 << 20;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	spill = report(dir, SPILL_AFTER, 0, &spilled, &ns, _i);
	ck_assert_int_eq(spilled, 1);
	ck_assert_uint_eq(ns, nh);
	ck_assert_int_eq(memcmp(heap, spill, nh), 0);
	free(spill);
	/* no room at all: the same */
	lim.rlim_cur = 4096;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	spill = report(dir, SPILL_AFTER, 0, &spilled, &ns, _i);
	ck_assert_uint_eq(ns, nh);
	ck_assert_int_eq(memcmp(heap, spill, nh), 0);
	free(spill);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &was), 0);

	/* a directory where no file can be made: all on the heap */
	spill = report("/nonexistent/dir", SPILL_AFTER, 0, &spilled, &ns, _i);
	ck_assert_uint_eq(ns, nh);
	ck_assert_int_eq(memcmp(heap, spill, nh), 0);
	free(spill);
	free(heap);
	rm_dir(dir);
}
END_TEST

static Suite *
spill_suite(void)
{
	Suite *s = suite_create("spill");
	TCase *tc = tcase_create("spill");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_spill_room);
	tcase_add_test(tc, test_spill_lanes);
	/* _i: dt_options.threads */
	tcase_add_loop_test(tc, test_spilled_report_is_the_same, 0, 2);
	tcase_add_loop_test(tc, test_spill_full_disk_falls_back, 0, 2);
	tcase_add_test(tc, test_spill_pages_made_as_written);
	tcase_add_test(tc, test_finished_capture_gives_back);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(spill_suite)
