/*
 * dt_export_pcapng on ETL files built by the test writer (tests/etlw.h):
 * a pktmon trace with a packet seen at two components and dropped at the
 * second, Windows' own events (Microsoft-Windows-Iphlpsvc 4302, a provider
 * the table does not know) and the logfile header's system record. The
 * counts the library returns are asserted always; the file is then read
 * back by tshark (Wireshark's pcapng reader and its LINKTYPE_ETW dissector,
 * packet-etw.c; skipped when tshark is absent): frames, ETW packets by
 * provider, comments, time order. Also: a trace of events only, a file
 * that changed since the analysis, a write error, and redaction refused.
 * The CLI side is tests/test_export.sh.
 */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datrace.h"
#include "etlw.h"
#include "testutil.h"

#define MS UINT64_C(1000000)

static const uint8_t iphlpsvc[16] = { 0x5c, 0xc1, 0xa5, 0x66, 0x8e, 0x4f,
	0x44, 0x40, 0xbf, 0x6e, 0x71, 0xd8, 0x96, 0x03, 0x89, 0x77 };

/* Packet 1 at nic.sys, again at filter.sys, dropped there; an Iphlpsvc
   4302 and an unknown provider's event between; packet 2. */
static void
write_trace(struct etlw *w)
{
	/* ErrorCode 0x80090326, IpHTTPSReasonCode 0 (the manifest's layout) */
	static const uint8_t code[8] = { 0x26, 0x03, 0x09, 0x80 };
	struct etlw_pm m;
	uint8_t f[80];

	etlw_init(w);
	etlw_header(w, 60 * UINT64_C(1000000000));
	etlw_pm_component(w, 5, 2, "nic.sys", "Test Adapter", 100);
	etlw_pm_component(w, 9, 3, "filter.sys", "", 200);
	memset(&m, 0, sizeof m);
	m.group = 7;
	m.number = 1;
	m.appearance = 1;
	m.dirtag = 3;			/* Rx */
	m.ptype = 1;
	m.comp = 5;
	etlw_frame(f, sizeof f, 1);
	etlw_pm_packet(w, 0, &m, f, sizeof f, 1 * MS);
	m.appearance = 2;
	m.comp = 9;
	etlw_pm_packet(w, 0, &m, f, sizeof f, 1 * MS + 300);
	m.appearance = 3;
	m.reason = 25;
	m.location = 0xE000460A;
	etlw_pm_packet(w, 1, &m, f, sizeof f, 1 * MS + 600);
	etlw_event(w, iphlpsvc, 4302, 0, 2 * MS, 7, code, sizeof code, NULL,
	    0);
	etlw_event(w, etlw_guid_other, 1, 0, 3 * MS, 7, code, 2, NULL, 0);
	memset(&m, 0, sizeof m);
	m.group = 7;
	m.number = 2;
	m.appearance = 1;
	m.dirtag = 4;			/* Tx */
	m.ptype = 1;
	m.comp = 5;
	etlw_frame(f, sizeof f, 2);
	etlw_pm_packet(w, 0, &m, f, 60, 4 * MS);
	etlw_flush(w, 0, 0, 0, 0);
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(p, 1, n, fp), n);
	ck_assert_int_eq(fclose(fp), 0);
}

/* tshark's fields of every frame (or those of filter), one line each;
   NULL when tshark is not installed. */
static char *
tshark(const char *path, const char *filter, const char *fields)
{
	char cmd[1024], *out;
	size_t n = 0;
	FILE *fp;

	if (system("command -v tshark >/dev/null 2>&1") != 0)
		return NULL;
	snprintf(cmd, sizeof cmd, "tshark -r '%s' %s%s%s -T fields %s "
	    "2>/dev/null", path, filter ? "-Y '" : "", filter ? filter : "",
	    filter ? "'" : "", fields);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	out = calloc(1, 65536);
	ck_assert_ptr_nonnull(out);
	n = fread(out, 1, 65535, fp);
	out[n] = '\0';
	pclose(fp);
	return out;
}

START_TEST(test_export_etl)
{
	char dir[] = "/tmp/dt-export-XXXXXX", in[64], outp[64], *s;
	const dt_capture *c;
	dt_export_counts n;
	dt_analyzer *a;
	struct etlw w;
	FILE *out;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(in, sizeof in, "%s/t.etl", dir);
	snprintf(outp, sizeof outp, "%s/t.pcapng", dir);
	write_trace(&w);
	write_file(in, w.file.p, w.file.n);
	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_file(a, in), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &c), 0);
	ck_assert_uint_eq(dt_capture_packets(c), 4);
	out = fopen(outp, "wb");
	ck_assert_int_eq(dt_export_pcapng(a, c, in, out, &n), 0);
	ck_assert_int_eq(fclose(out), 0);
	/* packet 1 once, its drop, packet 2; the second sighting left out */
	ck_assert_uint_eq(n.packets, 3);
	ck_assert_uint_eq(n.sightings_left_out, 1);
	/* two ComponentInfo, 4302, the unknown one, the header record */
	ck_assert_uint_eq(n.events, 5);
	ck_assert_uint_eq(n.comments, 0);

	if ((s = tshark(outp, NULL, "-e frame.number -e frame.protocols "
	    "-e etw.provider_name -e etw.descriptor.id")) != NULL) {
		ck_assert_str_eq(s,
		    "1\tetw\tkernel\t0\n"
		    "2\tetw\tMicrosoft-Windows-PktMon\t20\n"
		    "3\tetw\tMicrosoft-Windows-PktMon\t20\n"
		    "4\teth:ethertype:ip:udp:data\t\t\n"
		    "5\teth:ethertype:ip:udp:data\t\t\n"
		    "6\tetw\tMicrosoft-Windows-Iphlpsvc\t4302\n"
		    "7\tetw\t{9b79ee91-b5fd-41c0-a243-4248e266e9d0}\t1\n"
		    "8\teth:ethertype:ip:udp:data\t\t\n");
		free(s);
		s = tshark(outp, "frame.comment", "-e frame.number "
		    "-e frame.comment");
		ck_assert_str_eq(s,
		    "4\tPktMon component 5 (nic.sys / Test Adapter), edge 0, "
		    "in,datrace frame 1\n"
		    "5\tPktMon component 9 (filter.sys), edge 0, in, dropped: "
		    "Invalid VLAN format at 0xE000460A,datrace frame 3\n"
		    "8\tPktMon component 5 (nic.sys / Test Adapter), edge 0, "
		    "out,datrace frame 4\n");
		free(s);
		/* the user data as written, after the 96-byte header */
		s = tshark(outp, "etw.descriptor.id == 4302",
		    "-e etw.user_data_length -e etw.time_stamp");
		ck_assert_str_eq(s, "8\t133625243070020000\n");
		free(s);
		/* the message: the analysis' decoding in the text report's
		   words, else provider and id (Wireshark's Info column) */
		s = tshark(outp, "etw.provider_id", "-e etw.message");
		ck_assert_str_eq(s,
		    "system record (trace header type 2)\n"
		    "Microsoft-Windows-PktMon event 20\n"
		    "Microsoft-Windows-PktMon event 20\n"
		    "Microsoft-Windows-Iphlpsvc 4302: ErrorCode=0x80090326 "
		    "IpHTTPSReasonCode=0x0\n"
		    "{9b79ee91-b5fd-41c0-a243-4248e266e9d0} event 1\n");
		free(s);
		s = tshark(outp, NULL, "-e frame.time_epoch");
		ck_assert_str_eq(s,
		    "1718050707.000000000\n1718050707.000000100\n"
		    "1718050707.000000200\n1718050707.001000000\n"
		    "1718050707.001000600\n1718050707.002000000\n"
		    "1718050707.003000000\n1718050707.004000000\n");
		free(s);
	}
	dt_analyzer_free(a);
	etlw_free(&w);
	unlink(in);
	unlink(outp);
	rmdir(dir);
}
END_TEST

/* Windows' events without a packet: every record still goes out. */
START_TEST(test_export_events_only)
{
	static const uint8_t code[4] = { 0x26, 0x03, 0x09, 0x80 };
	char dir[] = "/tmp/dt-export-XXXXXX", in[64];
	const dt_capture *c;
	dt_export_counts n;
	dt_analyzer *a;
	struct etlw w;
	FILE *out;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(in, sizeof in, "%s/e.etl", dir);
	etlw_init(&w);
	etlw_header(&w, 0);
	etlw_event(&w, iphlpsvc, 4302, 0, 1 * MS, 7, code, sizeof code, NULL,
	    0);
	etlw_flush(&w, 0, 0, 0, 0);
	write_file(in, w.file.p, w.file.n);
	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_file(a, in), DT_EFORMAT);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &c), 0);
	out = tmpfile();
	ck_assert_int_eq(dt_export_pcapng(a, c, in, out, &n), 0);
	ck_assert_uint_eq(n.packets, 0);
	ck_assert_uint_eq(n.events, 2);
	fclose(out);
	dt_analyzer_free(a);
	etlw_free(&w);
	unlink(in);
	rmdir(dir);
}
END_TEST

/* Counts the bytes the analyzer holds (for the queue's bound). */
struct held {
	size_t bytes, peak;
};

union head {
	size_t size;
	max_align_t align;
};

static void *
held_alloc(void *ud, void *ptr, size_t size)
{
	struct held *c = ud;
	union head *h = ptr != NULL ? (union head *)ptr - 1 : NULL, *nh;

	if (h != NULL)
		c->bytes -= h->size;
	if (size == 0) {
		free(h);
		return NULL;
	}
	nh = realloc(h, sizeof *nh + size);
	if (nh == NULL)
		return NULL;
	nh->size = size;
	c->bytes += size;
	if (c->bytes > c->peak)
		c->peak = c->bytes;
	return nh + 1;
}

/*
 * 12 MiB of events, later ones earlier in time (a trace's CPU buffers
 * overlap): the export writes every one, in time order within its
 * 4 MiB queue, and holds no more than the queue and its buffers.
 */
START_TEST(test_export_queue_bounded)
{
	char dir[] = "/tmp/dt-export-XXXXXX", in[64];
	static uint8_t user[32000];
	const dt_capture *c;
	dt_export_counts n;
	struct held h = { 0, 0 };
	dt_options o;
	dt_analyzer *a;
	struct etlw w;
	size_t before, i;
	FILE *out;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(in, sizeof in, "%s/big.etl", dir);
	etlw_init(&w);
	etlw_header(&w, 0);
	for (i = 0; i < 400; i++) {
		etlw_event(&w, etlw_guid_other, 7, 0, (i % 2 ? 1000 - i : i) *
		    MS, 7, user, sizeof user, NULL, 0);
		etlw_flush(&w, 0, 0, 0, 0);
	}
	write_file(in, w.file.p, w.file.n);
	dt_options_init(&o);
	o.alloc = held_alloc;
	o.alloc_ud = &h;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_file(a, in), DT_EFORMAT);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &c), 0);
	before = h.bytes;
	h.peak = h.bytes;
	out = tmpfile();
	ck_assert_int_eq(dt_export_pcapng(a, c, in, out, &n), 0);
	ck_assert_uint_eq(n.events, 401);
	ck_assert_uint_le(h.peak - before, (size_t)8 << 20);
	ck_assert_uint_eq(h.bytes, before);
	fclose(out);
	dt_analyzer_free(a);
	etlw_free(&w);
	unlink(in);
	rmdir(dir);
}
END_TEST

/* The file must still be what was analysed; the output must take it. */
START_TEST(test_export_errors)
{
	const char *p = TESTDATA_DIR "/scenarios/null-absent-reset-v6.pcap";
	const char *q = TESTDATA_DIR "/scenarios/tcp-refused-v4.pcap";
	const dt_capture *c;
	dt_export_counts n;
	dt_options o;
	dt_analyzer *a;
	FILE *out;

	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_file(a, p), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &c), 0);
	out = tmpfile();
	ck_assert_int_eq(dt_export_pcapng(a, c, q, out, &n), DT_EFORMAT);
	ck_assert_str_eq(dt_analyzer_errmsg(a), "export of " TESTDATA_DIR
	    "/scenarios/tcp-refused-v4.pcap: the file changed since it was "
	    "analysed (6 packets then, 4 now)");
	fclose(out);
	out = fopen("/dev/full", "wb");
	if (out != NULL) {
		ck_assert_int_eq(dt_export_pcapng(a, c, p, out, &n), DT_EIO);
		ck_assert_str_eq(dt_analyzer_errmsg(a), "export of " TESTDATA_DIR
		    "/scenarios/null-absent-reset-v6.pcap: cannot write: No "
		    "space left on device");
		fclose(out);
	}
	dt_analyzer_free(a);
	dt_options_init(&o);
	o.redact = 1;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_file(a, p), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &c), 0);
	out = tmpfile();
	ck_assert_int_eq(dt_export_pcapng(a, c, p, out, &n), DT_EINVAL);
	fclose(out);
	dt_analyzer_free(a);
}
END_TEST

/*
 * The public pcapng writer (--export-inner writes with it): headers, a
 * packet with its comment, the link type in the Interface Description
 * Block; a failed write is DT_EIO, from the headers on (/dev/full,
 * unbuffered). Wireshark reads its output in tests/test_tunnel.sh.
 */
START_TEST(test_pcapng_writer)
{
	static const uint8_t pkt[40] = { 0x60 };
	dt_pcapng_writer *w;
	FILE *fp = tmpfile();
	char buf[512];
	size_t n;
	uint32_t v;
	uint16_t lt;

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(dt_pcapng_writer_new(&w, fp, 229), 0);
	ck_assert_int_eq(dt_pcapng_writer_packet(w, INT64_C(1700000000) *
	    1000000000, pkt, sizeof pkt, "outer frame 7"), 0);
	ck_assert_int_eq(dt_pcapng_writer_packet(w, 0, pkt, 20, NULL), 0);
	ck_assert_int_eq(dt_pcapng_writer_free(w), 0);
	rewind(fp);
	n = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	memcpy(&v, buf, 4);
	ck_assert_uint_eq(v, 0x0A0D0D0A);		/* Section Header */
	memcpy(&v, buf + 4, 4);				/* its length */
	ck_assert_uint_lt(v + 10, n);
	memcpy(&lt, buf + v + 8, 2);			/* IDB LinkType */
	ck_assert_uint_eq(lt, 229);
	ck_assert_ptr_nonnull(memmem(buf, n, "outer frame 7", 13));

	fp = fopen("/dev/full", "wb");
	if (fp == NULL)
		return;
	setvbuf(fp, NULL, _IONBF, 0);
	ck_assert_int_eq(dt_pcapng_writer_new(&w, fp, 229), DT_EIO);
	ck_assert_ptr_null(w);
	fclose(fp);
}
END_TEST

static Suite *
export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("export");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_export_etl);
	tcase_add_test(tc, test_export_events_only);
	tcase_add_test(tc, test_export_errors);
	tcase_add_test(tc, test_export_queue_bounded);
	tcase_add_test(tc, test_pcapng_writer);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(export_suite)
