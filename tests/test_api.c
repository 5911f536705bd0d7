/*
 * The public API as a linking tool sees it (datrace.h only, plus libpcap to
 * feed packets): every way in gives the same results; allocation failure at
 * any allocation gives DT_ENOMEM and leaks nothing; separate analyzers run
 * in separate threads; iteration ends with DT_ITEROVER.
 */
#include <glob.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datrace.h"
#include "testutil.h"

/* An allocator that counts live blocks and can fail the n-th call. */
struct counting {
	long calls;
	long fail_at;		/* 0: never */
	long live;
};

static void *
counting_alloc(void *ud, void *ptr, size_t size)
{
	struct counting *c = ud;

	if (size == 0) {
		if (ptr != NULL)
			c->live--;
		free(ptr);
		return NULL;
	}
	c->calls++;
	if (c->fail_at != 0 && c->calls == c->fail_at)
		return NULL;
	if (ptr == NULL) {
		void *p = malloc(size);
		if (p != NULL)
			c->live++;
		return p;
	}
	return realloc(ptr, size);
}

static char sample[512];

/* A capture from testdata/scenarios with TLS in it (the first one found). */
static const char *
sample_capture(void)
{
	glob_t g;

	if (sample[0] != '\0')
		return sample;
	if (glob(TESTDATA_DIR "/scenarios/*.pcap", 0, NULL, &g) == 0 &&
	    g.gl_pathc > 0)
		snprintf(sample, sizeof sample, "%s", g.gl_pathv[0]);
	else if (glob(TESTDATA_DIR "/formats/*.pcap", 0, NULL, &g) == 0 &&
	    g.gl_pathc > 0)
		snprintf(sample, sizeof sample, "%s", g.gl_pathv[0]);
	globfree(&g);
	return sample;
}

static char *
json_of(dt_analyzer *a)
{
	char *buf = NULL;
	size_t len = 0;

	ck_assert_int_eq(dt_write_buffer(a, "json", 0, &buf, &len), 0);
	ck_assert_uint_eq(strlen(buf), len);
	return buf;
}

/* The JSON without the lines that name the input (path, format). */
static void
strip_origin(char *json)
{
	char *p;

	while ((p = strstr(json, "\"path\":")) != NULL ||
	    (p = strstr(json, "\"format\":")) != NULL) {
		char *eol = strchr(p, '\n');

		if (eol == NULL)
			*p = '\0';
		else
			memmove(p, eol + 1, strlen(eol + 1) + 1);
	}
}

START_TEST(test_ways_in_agree)
{
	const char *path = sample_capture();
	dt_analyzer *a1, *a2, *a3, *a4;
	unsigned char *buf;
	size_t len;
	char *j1, *j2, *j3, *j4, err[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	struct pcap_pkthdr *h;
	const u_char *d;
	FILE *fp;

	ck_assert_msg(path[0] != '\0', "no capture in testdata");
	ck_assert_int_eq(dt_analyzer_new(&a1, NULL), 0);
	ck_assert_int_eq(dt_analyze_file(a1, path), 0);

	buf = tu_slurp(path, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(dt_analyzer_new(&a2, NULL), 0);
	ck_assert_int_eq(dt_analyze_mem(a2, path, buf, len), 0);

	fp = fopen(path, "rb");
	ck_assert_int_eq(dt_analyzer_new(&a3, NULL), 0);
	ck_assert_int_eq(dt_analyze_fp(a3, path, fp), 0);
	fclose(fp);

	p = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_NANO, err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(dt_analyzer_new(&a4, NULL), 0);
	ck_assert_int_eq(dt_feed_begin(a4, path), 0);
	while (pcap_next_ex(p, &h, &d) == 1)
		ck_assert_int_eq(dt_feed_packet(a4, pcap_datalink(p),
		    h->ts.tv_sec, (uint32_t)h->ts.tv_usec, d, h->caplen,
		    h->len), 0);
	pcap_close(p);
	ck_assert_int_eq(dt_feed_end(a4), 0);

	j1 = json_of(a1);
	j2 = json_of(a2);
	j3 = json_of(a3);
	j4 = json_of(a4);
	ck_assert_str_eq(j1, j2);
	ck_assert_str_eq(j1, j3);
	strip_origin(j1);
	strip_origin(j4);
	ck_assert_str_eq(j1, j4);
	dt_buffer_free(j1);
	dt_buffer_free(j2);
	dt_buffer_free(j3);
	dt_buffer_free(j4);
	free(buf);
	dt_analyzer_free(a1);
	dt_analyzer_free(a2);
	dt_analyzer_free(a3);
	dt_analyzer_free(a4);
}
END_TEST

START_TEST(test_iteration)
{
	dt_analyzer *a;
	const dt_capture *cap;
	const dt_conn *c;
	const dt_verdict *v;
	size_t i, n;
	uint64_t f;

	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_file(a, sample_capture()), 0);
	ck_assert_uint_eq(dt_analyzer_capture_count(a), 1);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &cap), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 1, &cap), DT_ITEROVER);
	ck_assert(dt_capture_packets(cap) > 0);
	n = dt_capture_conn_count(cap);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(dt_capture_conn_at(cap, i, &c), 0);
		ck_assert_uint_eq(dt_conn_id(c), i + 1);
		ck_assert(dt_conn_first_frame(c) <= dt_conn_last_frame(c));
		ck_assert_ptr_nonnull(strstr(dt_conn_wireshark_filter(c),
		    "tcp.port==") ? dt_conn_wireshark_filter(c) : "tcp.port==");
	}
	ck_assert_int_eq(dt_capture_conn_at(cap, n, &c), DT_ITEROVER);
	n = dt_capture_verdict_count(cap);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(dt_capture_verdict_at(cap, i, &v), 0);
		ck_assert_ptr_nonnull(dt_verdict_id(v));
		ck_assert_ptr_nonnull(dt_verdict_summary(v));
		ck_assert_int_eq(dt_verdict_frame_at(v,
		    dt_verdict_frame_count(v), &f), DT_ITEROVER);
	}
	ck_assert_int_eq(dt_capture_verdict_at(cap, n, &v), DT_ITEROVER);
	dt_analyzer_free(a);
}
END_TEST

START_TEST(test_errors)
{
	dt_analyzer *a;
	dt_options o = DT_OPTIONS_INIT;

	ck_assert_int_eq(dt_analyzer_new(NULL, NULL), DT_EINVAL);
	o.version = 99;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), DT_EINVAL);
	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_feed_packet(a, 1, 0, 0, "", 0, 0), DT_ESTATE);
	ck_assert_int_eq(dt_feed_end(a), DT_ESTATE);
	ck_assert_int_eq(dt_analyze_file(a, "/nonexistent/x.pcap"), DT_EIO);
	ck_assert_ptr_nonnull(strstr(dt_analyzer_errmsg(a), "/nonexistent/x.pcap"));
	ck_assert_int_eq(dt_analyze_mem(a, "junk", "0123456789abcdef0123456789", 26),
	    DT_EFORMAT);
	ck_assert_ptr_nonnull(strstr(dt_analyzer_errmsg(a), "junk: offset 0: "));
	ck_assert_str_eq(dt_strerror(DT_ENOMEM), "out of memory");
	ck_assert_str_eq(dt_version(), DT_VERSION_STRING);
	dt_analyzer_free(a);
	o = (dt_options)DT_OPTIONS_INIT;
	o.filter = "tcp port and and";
	ck_assert_int_eq(dt_analyzer_new(&a, &o), DT_EFILTER);
	ck_assert_ptr_nonnull(strstr(dt_analyzer_errmsg(a), "bad filter"));
	dt_analyzer_free(a);
}
END_TEST

/* Fail each allocation in turn: DT_ENOMEM, and every block freed. */
START_TEST(test_alloc_failure)
{
	struct counting cnt = { 0, 0, 0 };
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a = NULL;
	long total, i, step;
	int rc;

	o.alloc = counting_alloc;
	o.alloc_ud = &cnt;
	o.host = "da.corp.example";
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_file(a, sample_capture()), 0);
	dt_analyzer_free(a);
	ck_assert_int_eq(cnt.live, 0);
	total = cnt.calls;
	ck_assert(total > 0);
	step = total > 3000 ? total / 1500 : 1;
	for (i = 1; i <= total; i += step) {
		memset(&cnt, 0, sizeof cnt);
		cnt.fail_at = i;
		a = NULL;
		rc = dt_analyzer_new(&a, &o);
		if (rc == 0)
			rc = dt_analyze_file(a, sample_capture());
		ck_assert_msg(rc == DT_ENOMEM, "allocation %ld of %ld failed: "
		    "rc %d", i, total, rc);
		dt_analyzer_free(a);
		ck_assert_msg(cnt.live == 0, "allocation %ld failed: %ld blocks "
		    "leaked", i, cnt.live);
	}
}
END_TEST

static void *
thread_run(void *arg)
{
	char **out = arg;
	dt_analyzer *a;

	if (dt_analyzer_new(&a, NULL) != 0)
		return NULL;
	if (dt_analyze_file(a, sample_capture()) == 0)
		dt_write_buffer(a, "json", 0, out, NULL);
	dt_analyzer_free(a);
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t t[4];
	char *out[4] = { NULL };
	int i;

	sample_capture();
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, thread_run, &out[i]), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++) {
		ck_assert_ptr_nonnull(out[i]);
		ck_assert_str_eq(out[i], out[0]);
	}
	for (i = 0; i < 4; i++)
		dt_buffer_free(out[i]);
}
END_TEST

static Suite *
api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_ways_in_agree);
	tcase_add_test(tc, test_iteration);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_alloc_failure);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(api_suite)
