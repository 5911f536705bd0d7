/*
 * The public API as a linking tool sees it (datrace.h only, plus libpcap to
 * feed packets): every way in gives the same results; allocation failure at
 * any allocation gives DT_ENOMEM and leaks nothing; separate analyzers run
 * in separate threads; iteration ends with DT_ITEROVER; every accessor gives
 * what the JSON document says, for every scenario capture, and known facts
 * of a few; strings from the wire come back as UTF-8.
 */
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datrace.h"
#include "testutil.h"

/* An allocator that counts live blocks and can fail the n-th call. The
   report writers take their buffers from it in every thread that writes
   (test_readers_do_not_write runs four), so the counts are atomic. */
struct counting {
	long calls;
	long fail_at;		/* 0: never */
	long live;
};

static void *
counting_alloc(void *ud, void *ptr, size_t size)
{
	struct counting *c = ud;
	long n;

	if (size == 0) {
		if (ptr != NULL)
			__atomic_sub_fetch(&c->live, 1, __ATOMIC_RELAXED);
		free(ptr);
		return NULL;
	}
	n = __atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
	if (c->fail_at != 0 && n == c->fail_at)
		return NULL;
	if (ptr == NULL) {
		void *p = malloc(size);
		if (p != NULL)
			__atomic_add_fetch(&c->live, 1, __ATOMIC_RELAXED);
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

/* A read callback over a buffer that hands out pieces of varying size
   (1, 2, ... 13 bytes, then one of 64 KiB) and can fail after `fail_at`
   bytes with -EIO. */
struct chunks {
	const unsigned char *p;
	size_t len, at, fail_at;	/* fail_at 0: never */
	unsigned step;
};

static ptrdiff_t
chunk_read(void *buf, size_t len, void *payload)
{
	struct chunks *c = payload;
	size_t k = (c->step++ % 14) + 1;

	if (k == 14)
		k = 65536;
	if (c->fail_at != 0 && c->at >= c->fail_at)
		return -EIO;
	if (k > len)
		k = len;
	if (k > c->len - c->at)
		k = c->len - c->at;
	if (c->fail_at != 0 && k > c->fail_at - c->at)
		k = c->fail_at - c->at;
	memcpy(buf, c->p + c->at, k);
	c->at += k;
	return (ptrdiff_t)k;
}

/* Every test capture (and the public ETL sample when present) read from a
   callback in small pieces gives the JSON of the file itself. */
START_TEST(test_stream_agrees)
{
	static const char *const pats[] = {
		TESTDATA_DIR "/formats/*.pcap*",
		TESTDATA_DIR "/scenarios/*.pcap*",
		CORPUS_DIR "/etl/*.etl",
	};
	dt_analyzer *a1, *a2;
	struct chunks c;
	char *j1, *j2;
	size_t i, k, n = 0;
	glob_t g;
	int rc1, rc2;

	for (i = 0; i < sizeof pats / sizeof pats[0]; i++) {
		if (glob(pats[i], 0, NULL, &g) != 0)
			continue;
		for (k = 0; k < g.gl_pathc; k++) {
			const char *path = g.gl_pathv[k];

			memset(&c, 0, sizeof c);
			c.p = tu_slurp(path, &c.len);
			ck_assert_ptr_nonnull(c.p);
			ck_assert_int_eq(dt_analyzer_new(&a1, NULL), 0);
			ck_assert_int_eq(dt_analyzer_new(&a2, NULL), 0);
			rc1 = dt_analyze_file(a1, path);
			rc2 = dt_analyze_stream(a2, path, chunk_read, &c);
			ck_assert_msg(rc1 == rc2, "%s: %d != %d", path, rc1,
			    rc2);
			ck_assert_uint_eq(c.at, c.len);
			j1 = json_of(a1);
			j2 = json_of(a2);
			ck_assert_msg(strcmp(j1, j2) == 0, "%s differs", path);
			dt_buffer_free(j1);
			dt_buffer_free(j2);
			dt_analyzer_free(a1);
			dt_analyzer_free(a2);
			free((void *)c.p);
			n++;
		}
		globfree(&g);
	}
	ck_assert_uint_gt(n, 50);
}
END_TEST

/* A callback that fails: at once, nothing is analysed (DT_EIO and the
   reason); in the middle, the packets before it are, and the capture's
   error names the offset and the reason. */
START_TEST(test_stream_errors)
{
	dt_analyzer *a;
	const dt_capture *cap;
	struct chunks c;
	const char *path = TESTDATA_DIR "/scenarios/ok-null-openssl.pcap";
	const char *msg;
	uint64_t off;

	memset(&c, 0, sizeof c);
	c.p = tu_slurp(path, &c.len);
	ck_assert_ptr_nonnull(c.p);
	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_stream(a, NULL, NULL, &c), DT_EINVAL);
	c.fail_at = 1;
	c.at = 1;			/* fails before the first byte */
	ck_assert_int_eq(dt_analyze_stream(a, "x.pcap", chunk_read, &c),
	    DT_EIO);
	ck_assert_str_eq(dt_analyzer_errmsg(a),
	    "x.pcap: offset 0: cannot read: Input/output error");

	c.at = 0;
	c.step = 0;
	c.fail_at = 2000;
	ck_assert_int_eq(dt_analyze_stream(a, "y.pcap", chunk_read, &c), 0);
	ck_assert_uint_eq(dt_analyzer_capture_count(a), 2);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 1, &cap), 0);
	ck_assert_uint_eq(dt_capture_error_count(cap), 1);
	ck_assert_int_eq(dt_capture_error_at(cap, 0, &off, &msg), 0);
	ck_assert_str_eq(msg, "error reading dump file: Input/output error");
	ck_assert_uint_gt(off, 24);
	ck_assert_uint_le(off, 2000);
	free((void *)c.p);
	dt_analyzer_free(a);
}
END_TEST

/* The capture facts of issue 17 and 19: a file cut short is damaged and
   says so; pktmon's sightings of one packet are counted apart. */
START_TEST(test_damage_and_sightings)
{
	dt_analyzer *a;
	const dt_capture *cap;
	const char *msg;
	uint64_t off;

	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_file(a, TESTDATA_DIR
	    "/formats/truncated.pcap"), 0);
	ck_assert_int_eq(dt_analyze_file(a, TESTDATA_DIR
	    "/formats/pktmon.pcapng"), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &cap), 0);
	ck_assert_int_eq(dt_capture_damaged(cap), 1);
	ck_assert_int_eq(dt_capture_error_at(cap, 0, &off, &msg), 0);
	ck_assert_uint_eq(off, 1079);
	ck_assert_str_eq(msg, "the file is cut short: truncated dump file; "
	    "tried to read 66 captured bytes, only got 59");
	ck_assert_uint_eq(dt_capture_duplicate_sightings(cap), 0);
	ck_assert_uint_eq(dt_capture_distinct_packets(cap),
	    dt_capture_packets(cap));
	ck_assert_int_eq(dt_analyzer_capture_at(a, 1, &cap), 0);
	ck_assert_int_eq(dt_capture_damaged(cap), 0);
	ck_assert_uint_eq(dt_capture_packets(cap), 20);
	ck_assert_uint_eq(dt_capture_distinct_packets(cap), 10);
	ck_assert_uint_eq(dt_capture_duplicate_sightings(cap), 10);
	dt_analyzer_free(a);
}
END_TEST

/* Tunnels: the Teredo and VXLAN lab captures give their tunnel, counts,
 * first frame and outer endpoints; a capture without tunnels has none. */
START_TEST(test_tunnels)
{
	dt_analyzer *a;
	const dt_capture *cap;
	const char *type;
	uint64_t packets, unread, first;
	char ep[64];

	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_file(a, TESTDATA_DIR
	    "/scenarios/tunnel-teredo-only.pcap"), 0);
	ck_assert_int_eq(dt_analyze_file(a, TESTDATA_DIR
	    "/scenarios/tunnel-vxlan-iphttps.pcap"), 0);
	ck_assert_int_eq(dt_analyze_file(a, TESTDATA_DIR
	    "/formats/pktmon.pcapng"), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &cap), 0);
	ck_assert_uint_eq(dt_capture_tunnel_count(cap), 1);
	ck_assert_int_eq(dt_capture_tunnel_at(cap, 0, &type, &packets, &unread,
	    &first, ep, sizeof ep), 0);
	ck_assert_str_eq(type, "Teredo");
	ck_assert_uint_eq(packets, 14);
	ck_assert_uint_eq(unread, 0);
	ck_assert_uint_eq(first, 3);
	ck_assert_str_eq(ep, "198.18.5.1:40000 -> 198.18.5.2:3544");
	ck_assert_int_eq(dt_capture_tunnel_at(cap, 1, &type, NULL, NULL, NULL,
	    NULL, 0), DT_ITEROVER);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 1, &cap), 0);
	ck_assert_int_eq(dt_capture_tunnel_at(cap, 0, &type, &packets, &unread,
	    &first, NULL, 0), 0);
	ck_assert_str_eq(type, "VXLAN");
	ck_assert_uint_eq(packets, 21);
	ck_assert_uint_eq(unread, 2);
	ck_assert_uint_eq(first, 1);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 2, &cap), 0);
	ck_assert_uint_eq(dt_capture_tunnel_count(cap), 0);
	dt_analyzer_free(a);
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
	const dt_capture *cap;
	const char *msg;
	uint64_t off;

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
	ck_assert_str_eq(dt_strerror(INT_MIN), "unknown error");	/* no -INT_MIN */
	ck_assert_str_eq(dt_strerror(1), "unknown error");
	ck_assert_str_eq(dt_version(), DT_VERSION_STRING);
	dt_analyzer_free(a);
	o = (dt_options)DT_OPTIONS_INIT;
	o.filter = "tcp port and and";
	ck_assert_int_eq(dt_analyzer_new(&a, &o), DT_EFILTER);
	ck_assert_ptr_nonnull(strstr(dt_analyzer_errmsg(a), "bad filter"));
	dt_analyzer_free(a);
	/* a filter that exists on Ethernet only, on raw IP: one error that
	   names the filter and the link type once */
	o = (dt_options)DT_OPTIONS_INIT;
	o.filter = "ether host 00:11:22:33:44:55";
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_file(a, TESTDATA_DIR "/formats/rawip.pcap"),
	    0);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &cap), 0);
	ck_assert_uint_eq(dt_capture_error_count(cap), 1);
	ck_assert_int_eq(dt_capture_error_at(cap, 0, &off, &msg), 0);
	ck_assert_uint_eq(off, 24);
	ck_assert_msg(strncmp(msg, "filter \"ether host 00:11:22:33:44:55\" "
	    "on link type RAW: ", 56) == 0, "%s", msg);
	ck_assert_ptr_null(strstr(msg + 1, "filter"));
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

/* Readers of finished results never allocate through the analyzer, so
   several threads may read one analyzer at once (datrace.h). */
static void *
read_run(void *arg)
{
	const dt_analyzer *a = arg;
	char *out = NULL;

	if (dt_write_buffer(a, "text", DT_TEXT_VERBOSE, &out, NULL) != 0)
		return NULL;
	dt_buffer_free(out);
	if (dt_write_buffer(a, "json", 0, &out, NULL) != 0)
		return NULL;
	return out;
}

START_TEST(test_readers_do_not_write)
{
	struct counting cnt = { 0, 0, 0 };
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a;
	const dt_capture *cap;
	const dt_conn *c;
	const dt_verdict *v;
	const dt_dns *d;
	const dt_http *h;
	const dt_cert *x;
	const char *s;
	uint64_t off;
	pthread_t t[4];
	void *out[4];
	long calls, live;
	size_t i, k, n = 0;

	o.alloc = counting_alloc;
	o.alloc_ud = &cnt;
	o.host = "da.corp.example";
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_file(a, sample_capture()), 0);
	calls = cnt.calls;
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &cap), 0);
	/* the one exception: the first dt_capture_conn_at() makes the
	   connections' client and filter texts, in one block here */
	ck_assert_int_eq(dt_capture_conn_at(cap, 0, &c), 0);
	ck_assert_int_eq(cnt.calls, calls + 1);
	calls = cnt.calls;
	live = cnt.live;
	for (i = 0; dt_capture_error_at(cap, i, &off, &s) == 0; i++)
		n++;
	for (i = 0; dt_capture_conn_at(cap, i, &c) == 0; i++) {
		n += strlen(dt_conn_wireshark_filter(c)) > 0;
		(void)dt_conn_server_name(c);
		for (k = 0; dt_conn_server_cert_at(c, k, &x) == 0; k++)
			n++;
	}
	for (i = 0; dt_capture_verdict_at(cap, i, &v) == 0; i++)
		n++;
	for (i = 0; dt_capture_dns_at(cap, i, &d) == 0; i++)
		n++;
	for (i = 0; dt_capture_http_at(cap, i, &h) == 0; i++)
		n++;
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(cnt.calls, calls);	/* not one allocation */
	ck_assert_int_eq(cnt.live, live);

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, read_run, a), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], &out[i]);
	for (i = 0; i < 4; i++) {
		ck_assert_ptr_nonnull(out[i]);
		ck_assert_str_eq(out[i], out[0]);
	}
	for (i = 0; i < 4; i++)
		dt_buffer_free(out[i]);
	dt_analyzer_free(a);
	ck_assert_int_eq(cnt.live, 0);
}
END_TEST

/* Several threads asking for a fresh capture's connections at once: the
   texts are made once, each connection's the same pointers for all. */
#define TEXT_CONNS 64

struct texts_run {
	const dt_capture *cap;
	const char *client[TEXT_CONNS], *filter[TEXT_CONNS];
	size_t n;
};

static void *
texts_run(void *arg)
{
	struct texts_run *r = arg;
	const dt_conn *c;

	for (r->n = 0; r->n < TEXT_CONNS &&
	    dt_capture_conn_at(r->cap, r->n, &c) == 0; r->n++) {
		r->client[r->n] = dt_conn_client(c);
		r->filter[r->n] = dt_conn_wireshark_filter(c);
	}
	return NULL;
}

START_TEST(test_conn_texts_once)
{
	struct texts_run r[4];
	pthread_t t[4];
	dt_analyzer *a;
	size_t i, k;

	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_file(a, sample_capture()), 0);
	for (i = 0; i < 4; i++) {
		memset(&r[i], 0, sizeof r[i]);
		ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &r[i].cap), 0);
		ck_assert_int_eq(pthread_create(&t[i], NULL, texts_run, &r[i]),
		    0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_gt(r[0].n, 0);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(r[i].n, r[0].n);
		for (k = 0; k < r[0].n; k++) {
			ck_assert_ptr_eq(r[i].client[k], r[0].client[k]);
			ck_assert_ptr_eq(r[i].filter[k], r[0].filter[k]);
			ck_assert_ptr_nonnull(strstr(r[i].filter[k],
			    " && tcp.port=="));
			ck_assert_ptr_nonnull(strchr(r[i].client[k], ':'));
		}
	}
	dt_analyzer_free(a);
}
END_TEST

/* ---- every accessor against the JSON writer ------------------------------ */

static dt_analyzer *
analyse(const char *path)
{
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a;

	o.host = "da.corp.example";
	o.ca_file = TESTDATA_DIR "/scenarios/certs/corp-root.pem";
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_msg(dt_analyze_file(a, path) == 0, "%s: %s", path,
	    dt_analyzer_errmsg(a));
	return a;
}

static const dt_capture *
first_capture(const dt_analyzer *a)
{
	const dt_capture *cap;

	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &cap), 0);
	return cap;
}

static const dt_conn *
conn_of(const dt_capture *cap, size_t i)
{
	const dt_conn *c;

	ck_assert_int_eq(dt_capture_conn_at(cap, i, &c), 0);
	return c;
}

static json_t *
get(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(v != NULL, "JSON has no \"%s\"", key);
	return v;
}

/* A string or null against a C string or NULL. */
static void
eq_str(json_t *o, const char *key, const char *s, const char *where)
{
	json_t *v = get(o, key);

	if (json_is_null(v)) {
		ck_assert_msg(s == NULL, "%s %s: JSON null, API \"%s\"", where,
		    key, s);
		return;
	}
	ck_assert_msg(s != NULL, "%s %s: JSON \"%s\", API NULL", where, key,
	    json_string_value(v));
	ck_assert_msg(strcmp(json_string_value(v), s) == 0,
	    "%s %s: JSON \"%s\", API \"%s\"", where, key,
	    json_string_value(v), s);
}

/* An integer or boolean. */
static void
eq_int(json_t *o, const char *key, int64_t n, const char *where)
{
	json_t *v = get(o, key);
	int64_t j = json_is_boolean(v) ? json_is_true(v) :
	    (int64_t)json_integer_value(v);

	ck_assert_msg(json_is_integer(v) || json_is_boolean(v),
	    "%s %s: not a number", where, key);
	ck_assert_msg(j == n, "%s %s: JSON %lld, API %lld", where, key,
	    (long long)j, (long long)n);
}

/* A frame: null is 0. */
static void
eq_frame(json_t *o, const char *key, uint64_t f, const char *where)
{
	json_t *v = get(o, key);

	if (json_is_null(v))
		ck_assert_msg(f == 0, "%s %s: JSON null, API %llu", where, key,
		    (unsigned long long)f);
	else
		eq_int(o, key, (int64_t)f, where);
}

static void
hex16(char *buf, size_t len, unsigned v)
{
	snprintf(buf, len, "0x%04X", v);
}

/* As the JSON writes a version: its name, else hex. */
static const char *
version_str(char *buf, size_t len, uint16_t v, const char *name)
{
	if (name != NULL)
		return name;
	hex16(buf, len, v);
	return buf;
}

static const char *
version_of(char *buf, size_t len, uint16_t v)
{
	static const struct { uint16_t v; const char *name; } names[] = {
		{ 0x0002, "SSL 2.0" }, { 0x0300, "SSL 3.0" },
		{ 0x0301, "TLS 1.0" }, { 0x0302, "TLS 1.1" },
		{ 0x0303, "TLS 1.2" }, { 0x0304, "TLS 1.3" },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].v == v)
			return names[i].name;
	hex16(buf, len, v);
	return buf;
}

/* RFC 3339 as the JSON writes it. */
static void
time_str(char *buf, size_t len, int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	size_t n;

	if (frac < 0) {
		frac += 1000000000;
		s--;
	}
	gmtime_r(&s, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac != 0)
		snprintf(buf + n, len - n, ".%09ldZ", frac);
	else
		snprintf(buf + n, len - n, "Z");
}

static void
eq_dirpair(json_t *o, const char *key, uint64_t cl, uint64_t sv, int frames,
    const char *where)
{
	json_t *p = get(o, key);

	if (frames) {
		eq_frame(p, "client", cl, where);
		eq_frame(p, "server", sv, where);
	} else {
		eq_int(p, "client", (int64_t)cl, where);
		eq_int(p, "server", (int64_t)sv, where);
	}
}

static void
eq_strlist(json_t *arr, size_t n, const char *(*at)(const dt_cert *, size_t),
    const dt_cert *x, const char *where)
{
	size_t i;

	ck_assert_msg(json_array_size(arr) == n, "%s: %zu in JSON, %zu in API",
	    where, json_array_size(arr), n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(json_string_value(json_array_get(arr, i)),
		    at(x, i));
	ck_assert_ptr_null(at(x, n));
}

static void
check_cert(json_t *j, const dt_cert *x, const char *where)
{
	char buf[64];

	eq_str(j, "subject", dt_cert_subject(x), where);
	eq_str(j, "issuer", dt_cert_issuer(x), where);
	eq_str(j, "sha256", dt_cert_sha256(x)[0] ? dt_cert_sha256(x) : NULL,
	    where);
	if (dt_cert_parse_error(x) == NULL &&
	    dt_cert_not_after(x) < INT64_MAX / 1000000000) {
		time_str(buf, sizeof buf, dt_cert_not_before(x) * 1000000000);
		eq_str(j, "not_before", buf, where);
		time_str(buf, sizeof buf, dt_cert_not_after(x) * 1000000000);
		eq_str(j, "not_after", buf, where);
	}
	eq_strlist(get(j, "dns_names"), dt_cert_dns_name_count(x),
	    dt_cert_dns_name_at, x, where);
	eq_strlist(get(j, "crl_urls"), dt_cert_crl_url_count(x),
	    dt_cert_crl_url_at, x, where);
	eq_strlist(get(j, "ip_addresses"), dt_cert_ip_address_count(x),
	    dt_cert_ip_address_at, x, where);
	eq_strlist(get(j, "aia_urls"), dt_cert_aia_url_count(x),
	    dt_cert_aia_url_at, x, where);
	eq_int(j, "self_signed", dt_cert_self_signed(x), where);
	eq_str(j, "common_name", dt_cert_common_name(x), where);
	eq_str(j, "serial", dt_cert_serial(x), where);
	eq_int(j, "server_auth", dt_cert_server_auth(x), where);
	eq_int(j, "client_auth", dt_cert_client_auth(x), where);
	eq_str(j, "key_type", dt_cert_key_type(x), where);
	eq_int(j, "key_bits", dt_cert_key_bits(x), where);
	eq_str(j, "signature_algorithm", dt_cert_signature_algorithm(x),
	    where);
	eq_str(j, "parse_error", dt_cert_parse_error(x), where);
}

static const char *const level_names[] = { NULL, "warning", "fatal" };

/* One timeline event (JSON object j) against event i of c. */
static void
check_event(json_t *j, const dt_conn *c, size_t i, const char *where)
{
	static const char *const keys[] = { "status", "bytes",
	    "retransmission", "before_synack", "peer_bytes", "bytes_before",
	    "code", "encrypted" };
	uint64_t frame;
	int64_t time, value;
	int from, level, desc;
	const char *type, *name, *key;
	char tbuf[64];
	size_t k;
	json_t *v;

	ck_assert_int_eq(dt_conn_event_at(c, i, &frame, &time, &from, &type),
	    0);
	eq_int(j, "frame", (int64_t)frame, where);
	time_str(tbuf, sizeof tbuf, time);
	eq_str(j, "time", tbuf, where);
	eq_str(j, "from", from ? "server" : "client", where);
	eq_str(j, "type", type, where);
	for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		key = keys[k];
		v = json_object_get(j, key);
		if (v == NULL || json_is_null(v)) {
			ck_assert_msg(dt_conn_event_field(c, i, key, &value) ==
			    DT_ITEROVER, "%s event %zu: API has \"%s\"", where,
			    i, key);
			continue;
		}
		ck_assert_msg(dt_conn_event_field(c, i, key, &value) == 0,
		    "%s event %zu: API lacks \"%s\"", where, i, key);
		eq_int(j, key, value, where);
	}
	if (strcmp(type, "alert") == 0) {
		ck_assert_int_eq(dt_conn_event_alert(c, i, &level, &desc,
		    &name), 0);
		eq_str(j, "level", level > 0 && level < 3 ?
		    level_names[level] : NULL, where);
		eq_str(j, "description", name, where);
	} else {
		ck_assert_int_eq(dt_conn_event_alert(c, i, &level, &desc,
		    &name), DT_ITEROVER);
	}
}

static void
check_http_msg(json_t *j, const dt_conn *c, int response, const char *where)
{
	uint64_t frame;
	const char *line, *host, *server, *cl;
	int status;

	if (json_is_null(j)) {
		ck_assert_int_eq(dt_conn_tls_http(c, response, &frame, &line,
		    &host, &server, &cl, &status), DT_ITEROVER);
		return;
	}
	ck_assert_int_eq(dt_conn_tls_http(c, response, &frame, &line, &host,
	    &server, &cl, &status), 0);
	eq_int(j, "frame", (int64_t)frame, where);
	eq_str(j, "line", line, where);
	eq_str(j, "host", host, where);
	eq_str(j, "server", server, where);
	eq_str(j, "content_length", cl, where);
	if (response)
		eq_int(j, "status", status, where);
}

static void
check_tls(json_t *t, const dt_conn *c, const char *where)
{
	json_t *a, *x;
	size_t i, n, k;
	uint16_t u16;
	unsigned u;
	uint64_t frame, bytes, records;
	int from, level, desc, d;
	const char *name, *s;
	char buf[64], buf2[64];
	const dt_cert *cert;

	a = get(t, "client_versions");
	ck_assert_uint_eq(json_array_size(a), dt_conn_tls_client_version_count(c));
	for (i = 0; dt_conn_tls_client_version_at(c, i, &u16, &name) == 0; i++)
		ck_assert_str_eq(json_string_value(json_array_get(a, i)),
		    version_str(buf, sizeof buf, u16, name));
	ck_assert_uint_eq(i, json_array_size(a));
	if (dt_conn_tls_version_id(c) != 0)
		eq_str(t, "version", version_of(buf, sizeof buf,
		    dt_conn_tls_version_id(c)), where);
	else
		ck_assert(json_is_null(get(t, "version")));
	if (dt_conn_tls_version(c) != NULL)
		eq_str(t, "version", dt_conn_tls_version(c), where);
	a = get(t, "offered_suites");
	ck_assert_uint_eq(json_array_size(a), dt_conn_tls_offered_count(c));
	for (i = 0; dt_conn_tls_offered_at(c, i, &u16, &name) == 0; i++) {
		hex16(buf, sizeof buf, u16);
		eq_str(json_array_get(a, i), "id", buf, where);
		eq_str(json_array_get(a, i), "name", name, where);
	}
	eq_int(t, "offered_null", dt_conn_tls_offered_null(c), where);
	d = dt_conn_tls_suite(c, &name);
	if (d < 0) {
		ck_assert(json_is_null(get(t, "suite")));
	} else {
		hex16(buf, sizeof buf, (unsigned)d);
		eq_str(get(t, "suite"), "id", buf, where);
		eq_str(get(t, "suite"), "name", name, where);
	}
	a = get(t, "messages");
	for (i = 0, k = 0; i < dt_conn_event_count(c); i++)
		if (dt_conn_event_in_messages(c, i))
			check_event(json_array_get(a, k++), c, i, where);
	ck_assert_uint_eq(k, json_array_size(a));

	x = get(t, "alert");
	if (json_is_null(x)) {
		ck_assert_int_eq(dt_conn_tls_alert(c, &frame, &from, &level,
		    &desc, &name), DT_ITEROVER);
	} else {
		ck_assert_int_eq(dt_conn_tls_alert(c, &frame, &from, &level,
		    &desc, &name), 0);
		eq_int(x, "frame", (int64_t)frame, where);
		eq_str(x, "from", from ? "server" : "client", where);
		eq_str(x, "level", level > 0 && level < 3 ?
		    level_names[level] : NULL, where);
		eq_str(x, "description", name, where);
	}
	a = get(t, "server_certificates");
	ck_assert_uint_eq(json_array_size(a), dt_conn_server_cert_count(c));
	for (i = 0; dt_conn_server_cert_at(c, i, &cert) == 0; i++)
		check_cert(json_array_get(a, i), cert, where);
	x = get(t, "certificate_request");
	if (json_is_null(x)) {
		ck_assert_int_eq(dt_conn_tls_cert_request(c, &frame),
		    DT_ITEROVER);
	} else {
		ck_assert_int_eq(dt_conn_tls_cert_request(c, &frame), 0);
		eq_int(x, "frame", (int64_t)frame, where);
		a = get(x, "ca_names");
		n = dt_conn_tls_ca_name_count(c);
		ck_assert_uint_eq(json_array_size(a), n);
		for (i = 0; i < n; i++)
			ck_assert_str_eq(json_string_value(json_array_get(a,
			    i)), dt_conn_tls_ca_name_at(c, i));
		ck_assert_ptr_null(dt_conn_tls_ca_name_at(c, n));
		a = get(x, "certificate_types");
		ck_assert_uint_eq(json_array_size(a),
		    dt_conn_tls_cert_request_type_count(c));
		for (i = 0; dt_conn_tls_cert_request_type_at(c, i, &u) == 0;
		    i++)
			ck_assert_int_eq(json_integer_value(json_array_get(a,
			    i)), u);
		a = get(x, "signature_algorithms");
		ck_assert_uint_eq(json_array_size(a),
		    dt_conn_tls_cert_request_sig_alg_count(c));
		for (i = 0; dt_conn_tls_cert_request_sig_alg_at(c, i,
		    &u16) == 0; i++) {
			hex16(buf, sizeof buf, u16);
			ck_assert_str_eq(json_string_value(json_array_get(a,
			    i)), buf);
		}
	}
	eq_str(t, "client_certificate", dt_conn_tls_client_certificate(c),
	    where);
	eq_frame(t, "client_hello_frame", dt_conn_tls_client_hello_frame(c),
	    where);
	if (dt_conn_tls_client_hello_frame(c) != 0)
		eq_str(t, "client_hello_version", version_of(buf, sizeof buf,
		    dt_conn_tls_client_hello_version(c)), where);
	if (dt_conn_tls_record_version(c) != 0)
		eq_str(t, "record_version", version_of(buf2, sizeof buf2,
		    dt_conn_tls_record_version(c)), where);
	else
		ck_assert(json_is_null(get(t, "record_version")));
	eq_int(t, "offered_only_null", dt_conn_tls_offered_only_null(c),
	    where);
	eq_str(t, "sni", dt_conn_tls_sni(c), where);
	x = get(t, "alpn");
	s = dt_conn_tls_alpn(c);
	if (json_is_null(x)) {
		ck_assert_ptr_null(s);
	} else {
		char joined[512] = "";

		for (i = 0; i < json_array_size(x); i++) {
			if (i > 0)
				strcat(joined, ",");
			strncat(joined, json_string_value(json_array_get(x,
			    i)), sizeof joined - strlen(joined) - 2);
		}
		ck_assert_str_eq(joined, s);
	}
	a = get(t, "extensions");
	ck_assert_uint_eq(json_array_size(a), dt_conn_tls_extension_count(c));
	for (i = 0; dt_conn_tls_extension_at(c, i, &u16) == 0; i++)
		ck_assert_int_eq(json_integer_value(json_array_get(a, i)), u16);
	a = get(t, "supported_groups");
	ck_assert_uint_eq(json_array_size(a), dt_conn_tls_group_count(c));
	for (i = 0; dt_conn_tls_group_at(c, i, &u16) == 0; i++) {
		hex16(buf, sizeof buf, u16);
		ck_assert_str_eq(json_string_value(json_array_get(a, i)), buf);
	}
	a = get(t, "signature_algorithms");
	ck_assert_uint_eq(json_array_size(a), dt_conn_tls_sig_alg_count(c));
	for (i = 0; dt_conn_tls_sig_alg_at(c, i, &u16) == 0; i++) {
		hex16(buf, sizeof buf, u16);
		ck_assert_str_eq(json_string_value(json_array_get(a, i)), buf);
	}
	eq_int(t, "renegotiation_info", dt_conn_tls_renegotiation_info(c),
	    where);
	eq_int(t, "extended_master_secret",
	    dt_conn_tls_extended_master_secret(c), where);
	eq_int(t, "status_request", dt_conn_tls_status_request(c), where);
	eq_int(t, "sslv2_hello", dt_conn_tls_sslv2_hello(c), where);
	eq_frame(t, "server_hello_frame", dt_conn_tls_server_hello_frame(c),
	    where);
	eq_int(t, "hello_retry_request", dt_conn_tls_hello_retry_request(c),
	    where);
	eq_int(t, "resumed", dt_conn_tls_resumed(c), where);
	eq_int(t, "alerts", dt_conn_tls_alert_count(c), where);
	eq_frame(t, "server_certificate_frame",
	    dt_conn_tls_server_certificate_frame(c), where);
	eq_int(t, "certificates_visible", dt_conn_tls_certificates_visible(c),
	    where);
	eq_str(t, "chain", dt_conn_tls_chain(c), where);
	eq_str(t, "chain_error", dt_conn_tls_chain_error(c), where);
	eq_frame(t, "client_certificate_frame",
	    dt_conn_tls_client_certificate_frame(c), where);
	a = get(t, "client_certificates");
	ck_assert_uint_eq(json_array_size(a), dt_conn_client_cert_count(c));
	for (i = 0; dt_conn_client_cert_at(c, i, &cert) == 0; i++)
		check_cert(json_array_get(a, i), cert, where);
	ck_assert_uint_eq(i, json_array_size(a));
	eq_frame(t, "server_hello_done_frame",
	    dt_conn_tls_server_hello_done_frame(c), where);
	eq_dirpair(t, "change_cipher_spec", dt_conn_tls_ccs_frame(c,
	    DT_FROM_CLIENT), dt_conn_tls_ccs_frame(c, DT_FROM_SERVER), 1,
	    where);
	eq_dirpair(t, "finished", dt_conn_tls_finished_frame(c,
	    DT_FROM_CLIENT), dt_conn_tls_finished_frame(c, DT_FROM_SERVER), 1,
	    where);
	for (d = 0; d < 2; d++) {
		x = get(get(t, "application_data"), d ? "server" : "client");
		frame = dt_conn_tls_appdata(c, d, &bytes, &records);
		eq_frame(x, "frame", frame, where);
		eq_int(x, "bytes", (int64_t)bytes, where);
		eq_int(x, "records", (int64_t)records, where);
	}
	x = get(t, "non_tls");
	if (json_is_null(x)) {
		ck_assert_int_eq(dt_conn_tls_non_tls(c, &frame, &from, &s),
		    DT_ITEROVER);
	} else {
		ck_assert_int_eq(dt_conn_tls_non_tls(c, &frame, &from, &s), 0);
		eq_int(x, "frame", (int64_t)frame, where);
		eq_str(x, "from", from ? "server" : "client", where);
		eq_str(x, "line", s, where);
	}
	x = get(t, "malformed");
	if (json_is_null(x)) {
		ck_assert_int_eq(dt_conn_tls_malformed(c, &frame, &from, &s),
		    DT_ITEROVER);
	} else {
		ck_assert_int_eq(dt_conn_tls_malformed(c, &frame, &from, &s),
		    0);
		eq_int(x, "frame", (int64_t)frame, where);
		eq_str(x, "from", from ? "server" : "client", where);
		eq_str(x, "reason", s, where);
	}
	check_http_msg(get(get(t, "http"), "request"), c, 0, where);
	check_http_msg(get(get(t, "http"), "response"), c, 1, where);
	eq_int(t, "truncated", dt_conn_tls_truncated(c, &frame), where);
	eq_frame(t, "truncated_frame", frame, where);
}

static void
check_conn(json_t *j, const dt_conn *c, const char *where)
{
	json_t *tcp = get(j, "tcp"), *x, *a;
	uint64_t frame;
	unsigned mn, mx, first;
	int from;
	size_t i;
	char tbuf[64];

	eq_int(j, "id", dt_conn_id(c), where);
	eq_str(j, "client", dt_conn_client(c), where);
	eq_str(j, "server", dt_conn_server(c), where);
	eq_str(j, "server_name", dt_conn_server_name(c), where);
	eq_int(j, "iphttps", dt_conn_iphttps(c), where);
	eq_int(j, "first_frame", (int64_t)dt_conn_first_frame(c), where);
	eq_int(j, "last_frame", (int64_t)dt_conn_last_frame(c), where);
	eq_str(j, "wireshark_filter", dt_conn_wireshark_filter(c), where);
	time_str(tbuf, sizeof tbuf, dt_conn_first_time(c));
	eq_str(j, "first_time", tbuf, where);
	time_str(tbuf, sizeof tbuf, dt_conn_last_time(c));
	eq_str(j, "last_time", tbuf, where);

	eq_str(tcp, "state", dt_conn_state(c), where);
	eq_int(tcp, "roles_from_syn", dt_conn_roles_from_syn(c), where);
	eq_frame(tcp, "syn_frame", dt_conn_syn_frame(c), where);
	eq_int(tcp, "syn_count", dt_conn_syn_count(c), where);
	eq_frame(tcp, "synack_frame", dt_conn_synack_frame(c), where);
	x = get(tcp, "rst");
	if (json_is_null(x)) {
		ck_assert_int_eq(dt_conn_rst(c, &frame, &from), DT_ITEROVER);
	} else {
		ck_assert_int_eq(dt_conn_rst(c, &frame, &from), 0);
		eq_int(x, "frame", (int64_t)frame, where);
		eq_str(x, "from", from ? "server" : "client", where);
	}
	eq_dirpair(tcp, "fin", dt_conn_fin_frame(c, DT_FROM_CLIENT),
	    dt_conn_fin_frame(c, DT_FROM_SERVER), 1, where);
	x = get(tcp, "ttl");
	eq_frame(x, "syn", dt_conn_ttl_syn(c), where);
	eq_frame(x, "synack", dt_conn_ttl_synack(c), where);
	first = dt_conn_ttl_server_data(c, &mn, &mx);
	eq_frame(x, "server_data", first, where);
	eq_frame(x, "server_data_min", mn, where);
	eq_frame(x, "server_data_max", mx, where);
	eq_dirpair(tcp, "bytes", dt_conn_bytes(c, DT_FROM_CLIENT),
	    dt_conn_bytes(c, DT_FROM_SERVER), 0, where);
	eq_dirpair(tcp, "packets", dt_conn_packets(c, DT_FROM_CLIENT),
	    dt_conn_packets(c, DT_FROM_SERVER), 0, where);
	eq_dirpair(tcp, "gap_bytes", dt_conn_gap_bytes(c, DT_FROM_CLIENT),
	    dt_conn_gap_bytes(c, DT_FROM_SERVER), 0, where);
	eq_int(tcp, "retransmissions", dt_conn_retransmissions(c), where);
	eq_int(tcp, "truncated", dt_conn_truncated(c), where);
	ck_assert_uint_eq(dt_conn_bytes(c, 2), 0);

	a = get(j, "timeline");
	ck_assert_uint_eq(json_array_size(a), dt_conn_event_count(c));
	for (i = 0; i < dt_conn_event_count(c); i++)
		check_event(json_array_get(a, i), c, i, where);
	ck_assert_int_eq(dt_conn_event_at(c, i, NULL, NULL, NULL, NULL),
	    DT_ITEROVER);
	eq_int(j, "timeline_dropped", dt_conn_timeline_dropped(c), where);
	if (!json_is_null(get(j, "tls")))
		check_tls(get(j, "tls"), c, where);
	else
		ck_assert_int_eq(dt_conn_has_tls(c), 0);
}

static void
check_verdict(json_t *j, const dt_verdict *v, const char *where)
{
	json_t *w = get(j, "windows_error"), *a;
	char code[16];
	uint64_t f;
	size_t i;

	eq_str(j, "id", dt_verdict_id(v), where);
	eq_str(j, "severity", dt_severity_name(dt_verdict_severity(v)), where);
	eq_str(j, "confidence", dt_confidence_name(dt_verdict_confidence(v)),
	    where);
	if (json_is_null(w)) {
		ck_assert_uint_eq(dt_verdict_windows_code(v), 0);
	} else {
		snprintf(code, sizeof code, "0x%x", dt_verdict_windows_code(v));
		eq_str(w, "code", code, where);
		eq_str(w, "name", dt_verdict_windows_name(v), where);
	}
	eq_frame(j, "connection", dt_verdict_conn(v), where);
	a = get(j, "frames");
	ck_assert_uint_eq(json_array_size(a), dt_verdict_frame_count(v));
	for (i = 0; dt_verdict_frame_at(v, i, &f) == 0; i++)
		ck_assert_int_eq(json_integer_value(json_array_get(a, i)),
		    (json_int_t)f);
	eq_str(j, "summary", dt_verdict_summary(v), where);
	eq_str(j, "explanation", dt_verdict_explanation(v), where);
	eq_str(j, "remedy", dt_verdict_remedy(v), where);
}

static void
check_capture(json_t *j, const dt_capture *cap, const char *where)
{
	json_t *a, *u, *x, *d;
	const char *name, *msg;
	const dt_conn *c;
	const dt_verdict *v;
	const dt_dns *dns;
	const dt_http *h;
	uint64_t packets, off;
	int lt, supported;
	size_t i, k, nu = 0;
	char ip[DT_ADDR_STRLEN], tbuf[64];

	eq_str(j, "path", dt_capture_path(cap), where);
	eq_str(j, "format", dt_capture_format(cap), where);
	eq_int(j, "packets", (int64_t)dt_capture_packets(cap), where);
	eq_int(j, "bytes", (int64_t)dt_capture_bytes(cap), where);
	eq_int(j, "truncated_packets",
	    (int64_t)dt_capture_truncated_packets(cap), where);
	time_str(tbuf, sizeof tbuf, dt_capture_first_time(cap));
	eq_str(j, "first_time", tbuf, where);
	time_str(tbuf, sizeof tbuf, dt_capture_last_time(cap));
	eq_str(j, "last_time", tbuf, where);
	a = get(j, "link_types");
	u = get(j, "unsupported_link_types");
	x = get(j, "link_type_counts");
	ck_assert_uint_eq(json_array_size(a), dt_capture_link_type_count(cap));
	for (i = 0; dt_capture_link_type_at(cap, i, &name, &lt) == 0; i++) {
		ck_assert_str_eq(json_string_value(json_array_get(a, i)), name);
		ck_assert_int_eq(dt_capture_link_type_stats_at(cap, i,
		    &packets, &supported), 0);
		eq_int(json_array_get(x, i), "linktype", lt, where);
		eq_str(json_array_get(x, i), "name", name, where);
		eq_int(json_array_get(x, i), "packets", (int64_t)packets,
		    where);
		eq_int(json_array_get(x, i), "supported", supported, where);
		if (!supported)
			ck_assert_str_eq(json_string_value(json_array_get(u,
			    nu++)), name);
	}
	ck_assert_uint_eq(nu, json_array_size(u));
	ck_assert_int_eq(dt_capture_link_type_stats_at(cap, i, NULL, NULL),
	    DT_ITEROVER);
	a = get(j, "errors");
	ck_assert_uint_eq(json_array_size(a), dt_capture_error_count(cap));
	for (i = 0; dt_capture_error_at(cap, i, &off, &msg) == 0; i++) {
		eq_int(json_array_get(a, i), "offset", (int64_t)off, where);
		eq_str(json_array_get(a, i), "message", msg, where);
	}
	eq_int(j, "undecodable_packets",
	    (int64_t)dt_capture_undecodable_packets(cap), where);
	x = json_object_get(j, "dropped");
	if (x != NULL) {
		eq_int(x, "dropped_conns", (int64_t)dt_capture_dropped_conns(cap),
		    where);
		eq_int(x, "dropped_bytes", (int64_t)dt_capture_dropped_bytes(cap),
		    where);
		eq_int(x, "fragments_dropped",
		    (int64_t)dt_capture_fragments_dropped(cap), where);
	} else {
		ck_assert_uint_eq(dt_capture_dropped_conns(cap) +
		    dt_capture_dropped_bytes(cap) +
		    dt_capture_fragments_dropped(cap), 0);
	}

	a = get(j, "dns");
	ck_assert_uint_eq(json_array_size(a), dt_capture_dns_count(cap));
	for (i = 0; dt_capture_dns_at(cap, i, &dns) == 0; i++) {
		d = json_array_get(a, i);
		eq_str(d, "name", dt_dns_name(dns), where);
		eq_int(d, "type", dt_dns_qtype(dns), where);
		eq_frame(d, "query_frame", dt_dns_query_frame(dns), where);
		eq_frame(d, "answer_frame", dt_dns_answer_frame(dns), where);
		if (dt_dns_rcode(dns) < 0)
			ck_assert(json_is_null(get(d, "rcode")));
		else
			eq_int(d, "rcode", dt_dns_rcode(dns), where);
		eq_str(d, "cname", dt_dns_cname(dns), where);
		ck_assert_uint_eq(json_array_size(get(d, "addresses")),
		    dt_dns_address_count(dns));
		for (k = 0; dt_dns_address_at(dns, k, ip, sizeof ip) == 0; k++)
			ck_assert_str_eq(json_string_value(json_array_get(get(d,
			    "addresses"), k)), ip);
		ck_assert_uint_eq(k, dt_dns_address_count(dns));
	}
	ck_assert_uint_eq(i, json_array_size(a));
	a = get(j, "http");
	ck_assert_uint_eq(json_array_size(a), dt_capture_http_count(cap));
	for (i = 0; dt_capture_http_at(cap, i, &h) == 0; i++) {
		d = json_array_get(a, i);
		eq_frame(d, "connection", dt_http_conn(h), where);
		eq_frame(d, "request_frame", dt_http_request_frame(h), where);
		eq_frame(d, "response_frame", dt_http_response_frame(h), where);
		eq_str(d, "method", dt_http_method(h), where);
		eq_str(d, "uri", dt_http_uri(h), where);
		eq_str(d, "host", dt_http_host(h), where);
		if (dt_http_status(h) < 0)
			ck_assert(json_is_null(get(d, "status")));
		else
			eq_int(d, "status", dt_http_status(h), where);
		eq_str(d, "status_line", dt_http_status_line(h), where);
		eq_int(d, "reset", dt_http_reset(h), where);
		eq_int(d, "no_answer", dt_http_no_answer(h), where);
	}
	ck_assert_uint_eq(i, json_array_size(a));

	a = get(j, "connections");
	ck_assert_uint_eq(json_array_size(a), dt_capture_conn_count(cap));
	for (i = 0; dt_capture_conn_at(cap, i, &c) == 0; i++)
		check_conn(json_array_get(a, i), c, where);
	a = get(j, "verdicts");
	ck_assert_uint_eq(json_array_size(a), dt_capture_verdict_count(cap));
	for (i = 0; dt_capture_verdict_at(cap, i, &v) == 0; i++)
		check_verdict(json_array_get(a, i), v, where);
	x = get(j, "summary");
	eq_int(x, "connections", (int64_t)dt_capture_conn_count(cap), where);
	eq_int(x, "iphttps_connections",
	    (int64_t)dt_capture_iphttps_count(cap), where);
	eq_int(x, "errors", (int64_t)dt_capture_severity_count(cap,
	    DT_SEV_ERROR), where);
	eq_int(x, "warnings", (int64_t)dt_capture_severity_count(cap,
	    DT_SEV_WARNING), where);
	eq_int(x, "infos", (int64_t)dt_capture_severity_count(cap,
	    DT_SEV_INFO), where);
}

/* Every scenario capture: the accessors say what the JSON says. */
START_TEST(test_accessors_match_json)
{
	glob_t g;
	size_t n, i;
	dt_analyzer *a;
	char *doc;
	json_t *root, *caps;
	json_error_t err;

	ck_assert_int_eq(glob(TESTDATA_DIR "/scenarios/*.pcap*", 0, NULL, &g),
	    0);
	ck_assert(g.gl_pathc >= 10);
	for (n = 0; n < g.gl_pathc; n++) {
		a = analyse(g.gl_pathv[n]);
		doc = json_of(a);
		root = json_loads(doc, 0, &err);
		ck_assert_msg(root != NULL, "%s: %s", g.gl_pathv[n], err.text);
		caps = get(root, "captures");
		ck_assert_uint_eq(json_array_size(caps),
		    dt_analyzer_capture_count(a));
		for (i = 0; i < json_array_size(caps); i++) {
			const dt_capture *cap;

			ck_assert_int_eq(dt_analyzer_capture_at(a, i, &cap), 0);
			check_capture(json_array_get(caps, i), cap,
			    g.gl_pathv[n]);
		}
		json_decref(root);
		dt_buffer_free(doc);
		dt_analyzer_free(a);
	}
	globfree(&g);
}
END_TEST

/* Known facts of two scenario captures (testdata/README.md). */
START_TEST(test_client_cert_missing_facts)
{
	dt_analyzer *a = analyse(TESTDATA_DIR
	    "/scenarios/client-cert-missing-openssl.pcap");
	const dt_capture *cap = first_capture(a);
	const dt_conn *c = conn_of(cap, 0);
	const dt_cert *x;
	uint64_t frame;
	unsigned type;
	int from, level, desc;
	const char *name;

	ck_assert_uint_eq(dt_capture_conn_count(cap), 1);
	ck_assert_int_eq(dt_conn_tls_cert_request(c, &frame), 0);
	ck_assert_uint_eq(frame, 6);
	ck_assert_uint_eq(dt_conn_tls_ca_name_count(c), 1);
	ck_assert_str_eq(dt_conn_tls_ca_name_at(c, 0), "CN=Corp Client CA,O=Corp");
	ck_assert_ptr_null(dt_conn_tls_ca_name_at(c, 1));
	ck_assert_uint_eq(dt_conn_tls_cert_request_type_count(c), 3);
	ck_assert_int_eq(dt_conn_tls_cert_request_type_at(c, 2, &type), 0);
	ck_assert_uint_eq(type, 64);	/* ecdsa_sign */
	ck_assert_int_eq(dt_conn_tls_cert_request_type_at(c, 3, &type),
	    DT_ITEROVER);
	ck_assert_uint_eq(dt_conn_tls_cert_request_sig_alg_count(c), 23);
	ck_assert_str_eq(dt_conn_tls_client_certificate(c), "empty");
	ck_assert_uint_eq(dt_conn_tls_client_certificate_frame(c), 8);
	ck_assert_uint_eq(dt_conn_client_cert_count(c), 0);
	ck_assert_int_eq(dt_conn_client_cert_at(c, 0, &x), DT_ITEROVER);
	ck_assert_int_eq(dt_conn_tls_alert(c, &frame, &from, &level, &desc,
	    &name), 0);
	ck_assert_uint_eq(frame, 9);
	ck_assert_int_eq(from, 1);
	ck_assert_int_eq(level, 2);
	ck_assert_str_eq(name, "handshake_failure");
	ck_assert_uint_eq(dt_conn_tls_ccs_frame(c, DT_FROM_CLIENT), 8);
	ck_assert_uint_eq(dt_conn_tls_ccs_frame(c, DT_FROM_SERVER), 0);
	ck_assert_uint_eq(dt_conn_tls_ccs_frame(c, 7), 0);
	ck_assert_str_eq(dt_conn_tls_chain(c), "ok");
	ck_assert_ptr_null(dt_conn_tls_chain_error(c));
	/* timeline: the server's CertificateRequest in frame 6, its alert 9 */
	ck_assert_uint_eq(dt_conn_event_count(c), 14);
	ck_assert_int_eq(dt_conn_event_at(c, 5, &frame, NULL, &from, &name), 0);
	ck_assert_uint_eq(frame, 6);
	ck_assert_int_eq(from, 1);
	ck_assert_str_eq(name, "certificate_request");
	ck_assert_int_eq(dt_conn_event_alert(c, 11, &level, &desc, &name), 0);
	ck_assert_int_eq(desc, 40);
	ck_assert_int_eq(dt_conn_event_alert(c, 10, &level, &desc, &name),
	    DT_ITEROVER);
	ck_assert_int_eq(dt_conn_event_field(c, 11, "code", NULL), 0);
	ck_assert_int_eq(dt_conn_event_field(c, 11, "status", NULL),
	    DT_ITEROVER);
	ck_assert_int_eq(dt_conn_server_cert_at(c, 0, &x), 0);
	ck_assert_str_eq(dt_cert_serial(x), "1001");
	ck_assert_str_eq(dt_cert_common_name(x), "da.corp.example");
	ck_assert_str_eq(dt_cert_crl_url_at(x, 0),
	    "http://crl.corp.example/corp-root.crl");
	ck_assert_uint_eq(dt_cert_crl_url_count(x), 1);
	ck_assert_uint_eq(dt_cert_aia_url_count(x), 0);
	ck_assert_uint_eq(dt_cert_ip_address_count(x), 0);
	ck_assert_str_eq(dt_cert_key_type(x), "RSA");
	ck_assert_uint_eq(dt_cert_key_bits(x), 2048);
	ck_assert_str_eq(dt_cert_signature_algorithm(x), "RSA-SHA256");
	ck_assert_int_eq(dt_cert_server_auth(x), 1);
	ck_assert_int_eq(dt_cert_client_auth(x), 0);
	ck_assert_ptr_null(dt_cert_parse_error(x));
	ck_assert_uint_eq(dt_capture_severity_count(cap, DT_SEV_ERROR), 1);
	ck_assert_uint_eq(dt_capture_iphttps_count(cap), 1);
	dt_analyzer_free(a);
}
END_TEST

START_TEST(test_ok_null_facts)
{
	dt_analyzer *a = analyse(TESTDATA_DIR "/scenarios/ok-null-openssl.pcap");
	const dt_capture *cap = first_capture(a);
	const dt_conn *c = conn_of(cap, 0);
	const dt_dns *d;
	uint64_t frame, bytes, records;
	const char *line, *host, *server, *cl, *name;
	int status, supported;
	unsigned mn, mx;
	uint16_t v;
	char ip[DT_ADDR_STRLEN], small[4];

	ck_assert_int_eq(dt_conn_tls_suite(c, &name), 0x003B);
	ck_assert_str_eq(name, "TLS_RSA_WITH_NULL_SHA256");
	ck_assert_int_eq(dt_conn_tls_http(c, 0, &frame, &line, &host, &server,
	    &cl, &status), 0);
	ck_assert_uint_eq(frame, 14);
	ck_assert_str_eq(line, "POST /IPHTTPS HTTP/1.1");
	ck_assert_str_eq(host, "da.corp.example");
	ck_assert_ptr_null(server);
	ck_assert_str_eq(cl, "18446744073709551615");
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(dt_conn_tls_http(c, 1, &frame, &line, &host, &server,
	    &cl, &status), 0);
	ck_assert_uint_eq(frame, 15);
	ck_assert_str_eq(line, "HTTP/1.1 200 OK");
	ck_assert_str_eq(server, "Microsoft-HTTPAPI/2.0");
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(dt_conn_tls_http(c, 1, NULL, NULL, NULL, NULL, NULL,
	    NULL), 0);
	ck_assert_str_eq(dt_conn_tls_sni(c), "da.corp.example");
	ck_assert_ptr_null(dt_conn_tls_alpn(c));
	ck_assert_uint_eq(dt_conn_tls_record_version(c), 0x0301);
	ck_assert_uint_eq(dt_conn_tls_client_hello_version(c), 0x0303);
	ck_assert_uint_eq(dt_conn_tls_version_id(c), 0x0303);
	ck_assert_int_eq(dt_conn_tls_client_version_at(c, 0, &v, &name), 0);
	ck_assert_uint_eq(v, 0x0303);
	ck_assert_str_eq(name, "TLS 1.2");
	ck_assert_int_eq(dt_conn_tls_client_version_at(c, 1, &v, &name),
	    DT_ITEROVER);
	ck_assert_int_eq(dt_conn_tls_resumed(c), 0);
	ck_assert_int_eq(dt_conn_tls_hello_retry_request(c), 0);
	ck_assert_int_eq(dt_conn_tls_renegotiation_info(c), 1);
	ck_assert_int_eq(dt_conn_tls_extended_master_secret(c), 1);
	ck_assert_uint_eq(dt_conn_tls_extension_count(c), 4);
	ck_assert_int_eq(dt_conn_tls_extension_at(c, 1, &v), 0);
	ck_assert_uint_eq(v, 22);	/* encrypt_then_mac */
	ck_assert_uint_eq(dt_conn_tls_alert_count(c), 2);
	ck_assert_uint_eq(dt_conn_tls_appdata(c, DT_FROM_SERVER, &bytes,
	    &records), 15);
	ck_assert_uint_eq(bytes, 245);
	ck_assert_uint_eq(records, 2);
	ck_assert_int_eq(dt_conn_tls_non_tls(c, &frame, NULL, &line),
	    DT_ITEROVER);
	ck_assert_int_eq(dt_conn_tls_malformed(c, &frame, NULL, &line),
	    DT_ITEROVER);
	ck_assert_int_eq(dt_conn_tls_truncated(c, &frame), 0);
	ck_assert_uint_eq(frame, 0);
	/* TCP */
	ck_assert_str_eq(dt_conn_state(c), "closed");
	ck_assert_uint_eq(dt_conn_syn_frame(c), 5);
	ck_assert_uint_eq(dt_conn_synack_frame(c), 6);
	ck_assert_uint_eq(dt_conn_syn_count(c), 1);
	ck_assert_int_eq(dt_conn_rst(c, &frame, NULL), DT_ITEROVER);
	ck_assert_uint_eq(dt_conn_fin_frame(c, DT_FROM_CLIENT), 23);
	ck_assert_uint_eq(dt_conn_fin_frame(c, DT_FROM_SERVER), 22);
	ck_assert_uint_eq(dt_conn_ttl_syn(c), 64);
	ck_assert_uint_eq(dt_conn_ttl_synack(c), 63);
	ck_assert_uint_eq(dt_conn_ttl_server_data(c, &mn, &mx), 63);
	ck_assert_uint_eq(mn, 63);
	ck_assert_uint_eq(mx, 63);
	ck_assert_uint_eq(dt_conn_bytes(c, DT_FROM_CLIENT), 730);
	ck_assert_uint_eq(dt_conn_bytes(c, DT_FROM_SERVER), 1393);
	ck_assert_uint_eq(dt_conn_packets(c, DT_FROM_CLIENT), 11);
	ck_assert_uint_eq(dt_conn_packets(c, DT_FROM_SERVER), 9);
	ck_assert_uint_eq(dt_conn_retransmissions(c), 0);
	ck_assert_uint_eq(dt_conn_gap_bytes(c, DT_FROM_SERVER), 0);
	ck_assert_int_eq(dt_conn_truncated(c), 0);
	ck_assert_int_eq(dt_conn_roles_from_syn(c), 1);
	ck_assert_uint_eq(dt_conn_event_count(c), 19);
	ck_assert_int_eq(dt_conn_event_at(c, 14, &frame, NULL, NULL, &name), 0);
	ck_assert_str_eq(name, "http_response");
	ck_assert_int_eq(dt_conn_event_in_messages(c, 14), 1);
	ck_assert_int_eq(dt_conn_event_in_messages(c, 0), 0);	/* syn */
	/* DNS: da.corp.example A 198.19.0.10, query 3, answer 4 */
	ck_assert_uint_eq(dt_capture_dns_count(cap), 1);
	ck_assert_int_eq(dt_capture_dns_at(cap, 0, &d), 0);
	ck_assert_int_eq(dt_capture_dns_at(cap, 1, &d), DT_ITEROVER);
	ck_assert_str_eq(dt_dns_name(d), "da.corp.example");
	ck_assert_uint_eq(dt_dns_qtype(d), 1);
	ck_assert_int_eq(dt_dns_rcode(d), 0);
	ck_assert_uint_eq(dt_dns_query_frame(d), 3);
	ck_assert_uint_eq(dt_dns_answer_frame(d), 4);
	ck_assert_ptr_null(dt_dns_cname(d));
	ck_assert_uint_eq(dt_dns_address_count(d), 1);
	ck_assert_int_eq(dt_dns_address_at(d, 0, ip, sizeof ip), 0);
	ck_assert_str_eq(ip, "198.19.0.10");
	ck_assert_int_eq(dt_dns_address_at(d, 0, small, sizeof small),
	    DT_EINVAL);
	ck_assert_int_eq(dt_dns_address_at(d, 1, ip, sizeof ip), DT_ITEROVER);
	ck_assert_uint_eq(dt_capture_http_count(cap), 0);
	ck_assert_uint_eq(dt_capture_dropped_conns(cap), 0);
	ck_assert_uint_eq(dt_capture_undecodable_packets(cap), 0);
	ck_assert_int_eq(dt_capture_link_type_stats_at(cap, 0, &bytes,
	    &supported), 0);
	ck_assert_uint_eq(bytes, 24);
	ck_assert_int_eq(supported, 1);
	dt_analyzer_free(a);
}
END_TEST

START_TEST(test_plain_http_facts)
{
	dt_analyzer *a = analyse(TESTDATA_DIR "/scenarios/proxy-refused-403.pcap");
	const dt_capture *cap = first_capture(a);
	const dt_http *h;

	ck_assert_uint_eq(dt_capture_http_count(cap), 1);
	ck_assert_int_eq(dt_capture_http_at(cap, 0, &h), 0);
	ck_assert_str_eq(dt_http_method(h), "CONNECT");
	ck_assert_str_eq(dt_http_uri(h), "da.corp.example:443");
	ck_assert_int_eq(dt_http_status(h), 403);
	ck_assert(dt_http_request_frame(h) > 0);
	ck_assert(dt_http_response_frame(h) > dt_http_request_frame(h));
	ck_assert_uint_eq(dt_http_conn(h), 1);
	ck_assert_int_eq(dt_capture_http_at(cap, 1, &h), DT_ITEROVER);
	dt_analyzer_free(a);
}
END_TEST

/* ---- strings from the wire come back as UTF-8 ----------------------------- */

/* Ethernet + IPv4 + TCP from 198.18.1.100:50000 (or back) to
   198.19.0.10:443; checksums are not checked by the decoder. */
static size_t
tcp_packet(uint8_t *p, int from_server, uint8_t flags, uint32_t seq,
    uint32_t ack, const uint8_t *payload, size_t n)
{
	static const uint8_t cli[4] = { 198, 18, 1, 100 }, srv[4] = { 198, 19, 0, 10 };
	size_t ip_len = 20 + 20 + n;

	memset(p, 0, 54);
	p[12] = 0x08;		/* IPv4 */
	p[14] = 0x45;
	p[16] = (uint8_t)(ip_len >> 8);
	p[17] = (uint8_t)ip_len;
	p[22] = 64;
	p[23] = 6;		/* TCP */
	memcpy(p + 26, from_server ? srv : cli, 4);
	memcpy(p + 30, from_server ? cli : srv, 4);
	p[34] = from_server ? 0x01 : 0xC3;	/* 443 / 50000 */
	p[35] = from_server ? 0xBB : 0x50;
	p[36] = from_server ? 0xC3 : 0x01;
	p[37] = from_server ? 0x50 : 0xBB;
	p[38] = (uint8_t)(seq >> 24); p[39] = (uint8_t)(seq >> 16);
	p[40] = (uint8_t)(seq >> 8); p[41] = (uint8_t)seq;
	p[42] = (uint8_t)(ack >> 24); p[43] = (uint8_t)(ack >> 16);
	p[44] = (uint8_t)(ack >> 8); p[45] = (uint8_t)ack;
	p[46] = 0x50;
	p[47] = flags;
	p[48] = 0xFF;
	p[49] = 0xFF;
	if (n > 0)
		memcpy(p + 54, payload, n);
	return 54 + n;
}

/* A ClientHello offering TLS_RSA_WITH_NULL_SHA256 with SNI name[n]. */
static size_t
client_hello(uint8_t *p, const char *name, size_t n)
{
	size_t body = 2 + 32 + 1 + 4 + 2 + 2 + (4 + 5 + n), k = 0;

	p[k++] = 0x16; p[k++] = 0x03; p[k++] = 0x01;
	p[k++] = (uint8_t)((body + 4) >> 8); p[k++] = (uint8_t)(body + 4);
	p[k++] = 0x01; p[k++] = 0; p[k++] = (uint8_t)(body >> 8);
	p[k++] = (uint8_t)body;
	p[k++] = 0x03; p[k++] = 0x03;
	memset(p + k, 0x11, 32);
	k += 32;
	p[k++] = 0;			/* session id */
	p[k++] = 0; p[k++] = 2; p[k++] = 0x00; p[k++] = 0x3B;
	p[k++] = 1; p[k++] = 0;		/* null compression */
	p[k++] = (uint8_t)((9 + n) >> 8); p[k++] = (uint8_t)(9 + n);
	p[k++] = 0; p[k++] = 0;		/* server_name */
	p[k++] = (uint8_t)((5 + n) >> 8); p[k++] = (uint8_t)(5 + n);
	p[k++] = (uint8_t)((3 + n) >> 8); p[k++] = (uint8_t)(3 + n);
	p[k++] = 0;
	p[k++] = (uint8_t)(n >> 8); p[k++] = (uint8_t)n;
	memcpy(p + k, name, n);
	return k + n;
}

START_TEST(test_wire_strings_utf8)
{
	static const char bad[] = "da\xff\xc0.corp.example";
	dt_analyzer *a;
	const dt_capture *cap;
	const dt_conn *c;
	uint8_t pkt[600], hello[300];
	size_t n, hn;
	char *doc;
	json_t *root;

	hn = client_hello(hello, bad, sizeof bad - 1);
	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_feed_begin(a, "bad-sni"), 0);
	n = tcp_packet(pkt, 0, 0x02, 1000, 0, NULL, 0);
	ck_assert_int_eq(dt_feed_packet(a, 1, 1700000000, 0, pkt, n, n), 0);
	n = tcp_packet(pkt, 1, 0x12, 5000, 1001, NULL, 0);
	ck_assert_int_eq(dt_feed_packet(a, 1, 1700000000, 1000, pkt, n, n), 0);
	n = tcp_packet(pkt, 0, 0x18, 1001, 5001, hello, hn);
	ck_assert_int_eq(dt_feed_packet(a, 1, 1700000000, 2000, pkt, n, n), 0);
	ck_assert_int_eq(dt_feed_end(a), 0);

	cap = first_capture(a);
	c = conn_of(cap, 0);
	ck_assert_uint_eq(dt_conn_tls_client_hello_frame(c), 3);
	ck_assert_str_eq(dt_conn_tls_sni(c),
	    "da\xEF\xBF\xBD\xEF\xBF\xBD.corp.example");
	ck_assert_str_eq(dt_conn_server_name(c), dt_conn_tls_sni(c));
	/* handing it out again changes nothing */
	c = conn_of(cap, 0);
	ck_assert_str_eq(dt_conn_tls_sni(c),
	    "da\xEF\xBF\xBD\xEF\xBF\xBD.corp.example");
	/* and the JSON says the same */
	doc = json_of(a);
	root = json_loads(doc, 0, NULL);
	ck_assert_ptr_nonnull(root);
	check_capture(json_array_get(get(root, "captures"), 0), cap, "bad-sni");
	json_decref(root);
	dt_buffer_free(doc);
	dt_analyzer_free(a);
}
END_TEST

static Suite *
api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_ways_in_agree);
	tcase_add_test(tc, test_stream_agrees);
	tcase_add_test(tc, test_stream_errors);
	tcase_add_test(tc, test_damage_and_sightings);
	tcase_add_test(tc, test_tunnels);
	tcase_add_test(tc, test_iteration);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_alloc_failure);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_readers_do_not_write);
	tcase_add_test(tc, test_conn_texts_once);
	tcase_add_test(tc, test_accessors_match_json);
	tcase_add_test(tc, test_client_cert_missing_facts);
	tcase_add_test(tc, test_ok_null_facts);
	tcase_add_test(tc, test_plain_http_facts);
	tcase_add_test(tc, test_wire_strings_utf8);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(api_suite)
