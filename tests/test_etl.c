/*
 * capture/etl and capture/xpress: the golden facts of the one real pktmon
 * sample (shared corpus, skipped when absent), the MS-XCA decompressor on
 * the specification's own example and on malformed streams, and files made
 * by the test-only writer (tests/etlw.h) per the documented layout: 32-
 * and 64-bit logfile headers, the three clock types, NDIS-PacketCapture
 * fragments stitched into packets, VMSwitch events, link types from
 * keywords, compressed and padded buffers, circular (out-of-order)
 * buffers with a zero tail, extended data items, unknown header kinds, and
 * bad records that abandon their buffer but not the file; allocation
 * failure at every allocation; 100 MB read within the reorder window's
 * memory; and three scenario captures rewritten as netsh and pktmon ETL
 * files whose analysis JSON equals that of their pcapng twins.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/capture_int.h"
#include "capture/etl.h"
#include "capture/xpress.h"
#include "datrace.h"
#include "etlw.h"
#include "testutil.h"
#include "util/mem.h"

#define PKTMON_SAMPLE CORPUS_DIR "/etl/demikernel-PktMon.etl"
#define T0 INT64_C(1718050707000000000)	/* etlw start: 2024-06-10 20:18:27 */

/* ---- reading helpers ---------------------------------------------------- */

struct rec {
	uint64_t frame;
	int64_t time;
	int linktype;
	uint32_t caplen, origlen, iface;
	int dir, dup;
	uint8_t data[2048];
	char iface_name[96];
	int pm;
	struct dt_pktmon_meta meta;
};

struct got {
	struct rec *r;
	size_t n;
	unsigned n_warn;
	char warn[32][256];
	uint64_t warn_off[32];
	char err[256];
	uint64_t err_off;
	const char *format;
	struct dt_etl_info info;
};

static void
on_warn(void *payload, uint64_t off, const char *msg)
{
	struct got *g = payload;

	if (g->n_warn < 32) {
		snprintf(g->warn[g->n_warn], sizeof g->warn[0], "%s", msg);
		g->warn_off[g->n_warn] = off;
	}
	g->n_warn++;
}

static inline int
has_warning(const struct got *g, const char *needle)
{
	unsigned i;

	for (i = 0; i < g->n_warn && i < 32; i++)
		if (strstr(g->warn[i], needle) != NULL)
			return 1;
	return 0;
}

/* ETL_SEEDS=dir: keep the writer-made files as fuzz seeds. */
static void
seed(const char *name, const void *buf, size_t len)
{
	const char *dir = getenv("ETL_SEEDS");
	char path[512];
	FILE *fp;

	if (dir == NULL)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) != NULL) {
		fwrite(buf, 1, len, fp);
		fclose(fp);
	}
}

/* Open through the capture reader (format by content) and read it all. */
static int
read_all(const void *buf, size_t len, struct got *g)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	const struct dt_etl_info *in;
	char err[256];
	uint64_t eoff;
	int rc;

	memset(g, 0, sizeof *g);
	dt_mem_init(&m, NULL, NULL, 0);
	rc = dt_reader_open_mem(&r, &m, buf, len, err, sizeof err, &eoff);
	if (rc != 0) {
		snprintf(g->err, sizeof g->err, "%s", err);
		return rc;
	}
	dt_reader_set_warn(r, on_warn, g);
	g->format = dt_reader_format(r);
	while (dt_reader_next(r, &p) == 0) {
		struct rec *x;

		g->r = realloc(g->r, (g->n + 1) * sizeof *g->r);
		ck_assert_ptr_nonnull(g->r);
		x = &g->r[g->n++];
		memset(x, 0, sizeof *x);
		x->frame = p.frame;
		x->time = p.time;
		x->linktype = p.linktype;
		x->caplen = p.caplen;
		x->origlen = p.origlen;
		x->iface = p.iface;
		x->dir = p.dir;
		x->dup = p.duplicate;
		ck_assert_uint_le(p.caplen, sizeof x->data);
		memcpy(x->data, p.data, p.caplen);
		if (p.iface_name != NULL)
			snprintf(x->iface_name, sizeof x->iface_name, "%s",
			    p.iface_name);
		if (p.pktmon != NULL) {
			x->pm = 1;
			x->meta = *p.pktmon;
		}
	}
	if (dt_reader_error(r, &g->err_off) != NULL)
		snprintf(g->err, sizeof g->err, "%s", dt_reader_error(r, NULL));
	if ((in = dt_etl_info(r)) != NULL)
		g->info = *in;
	dt_reader_close(r);
	ck_assert_uint_eq(m.used, 0);
	return 0;
}

static void
got_free(struct got *g)
{
	free(g->r);
	g->r = NULL;
}

static size_t
distinct(const struct got *g)
{
	size_t i, k = 0;

	for (i = 0; i < g->n; i++)
		k += !g->r[i].dup;
	return k;
}

/* ---- the real pktmon sample --------------------------------------------- */

START_TEST(test_pktmon_sample_golden)
{
	unsigned char *buf;
	size_t len = 0, i, rx = 0, tx = 0;
	struct got g;
	int64_t lo = INT64_C(1718050707000000000);	/* 20:18:27 */
	int64_t hi = INT64_C(1718050735000000000);	/* 20:18:55 */
	int64_t prev = 0;

	if (!tu_exists(PKTMON_SAMPLE))
		return;
	buf = tu_slurp(PKTMON_SAMPLE, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(len, 25571);
	ck_assert_int_eq(read_all(buf, len, &g), 0);
	ck_assert_str_eq(g.format, "etl");
	ck_assert_str_eq(g.err, "");
	ck_assert_uint_eq(g.n_warn, 0);
	/* header facts */
	ck_assert_int_eq(g.info.pointer_size, 8);
	ck_assert_uint_eq(g.info.build, 20348);
	ck_assert_uint_eq(g.info.n_cpus, 8);
	ck_assert_uint_eq(g.info.log_mode, 0x04010001);
	ck_assert_uint_eq(g.info.clock, 1);
	ck_assert_uint_eq(g.info.perf_freq, 10000000);
	ck_assert_str_eq(g.info.logger, "Relogger");
	ck_assert_int_ge(g.info.start_ns, lo);
	ck_assert_int_le(g.info.end_ns, hi);
	ck_assert_uint_eq(g.info.n_buffers, 3);
	ck_assert_uint_eq(g.info.n_compressed, 2);
	ck_assert_uint_eq(g.info.n_components, 44);
	/* 114 packet events, 38 distinct Ethernet frames */
	ck_assert_uint_eq(g.n, 114);
	ck_assert_uint_eq(g.info.n_events, 114);
	ck_assert_uint_eq(distinct(&g), 38);
	for (i = 0; i < g.n; i++) {
		const struct rec *x = &g.r[i];

		ck_assert_uint_eq(x->frame, i + 1);
		ck_assert_int_eq(x->linktype, 1);
		ck_assert_int_ge(x->time, g.info.start_ns);
		ck_assert_int_le(x->time, g.info.end_ns);
		ck_assert_int_ge(x->time, prev);
		prev = x->time;
		ck_assert(x->pm);
		ck_assert_int_eq(x->meta.present, 1);
		ck_assert_int_eq(x->meta.dropped, 0);
		ck_assert_uint_eq(x->caplen, 98);
		/* ICMP between 10.9.1.14 and 10.9.1.22 */
		ck_assert_uint_eq(x->data[23], 1);
		ck_assert(memcmp(x->data + 26, "\x0a\x09\x01\x0e\x0a\x09\x01\x16",
		    8) == 0 || memcmp(x->data + 26,
		    "\x0a\x09\x01\x16\x0a\x09\x01\x0e", 8) == 0);
		if (!x->dup) {
			ck_assert_uint_eq(x->meta.appearance, 1);
			if (x->dir == DT_DIR_IN)
				rx++;
			else if (x->dir == DT_DIR_OUT)
				tx++;
		} else {
			ck_assert_uint_gt(x->meta.appearance, 1);
		}
	}
	/* 19 echo requests in, 19 replies out (the host is 10.9.1.22) */
	ck_assert_uint_eq(rx, 19);
	ck_assert_uint_eq(tx, 19);
	/* first packet: 20:18:35.4891721 UTC, echo request seq 1, seen at
	   the netvsc miniport, then at the XDP filter */
	ck_assert_int_eq(g.r[0].time, INT64_C(1718050715489172100));
	ck_assert_uint_eq(g.r[0].data[34], 8);
	ck_assert_uint_eq(g.r[0].data[41], 1);
	ck_assert_uint_eq(g.r[0].meta.component, 59);
	ck_assert_str_eq(g.r[0].meta.component_name,
	    "netvsc.sys / Microsoft Hyper-V Network Adapter #3");
	ck_assert_str_eq(g.r[0].iface_name, g.r[0].meta.component_name);
	ck_assert_uint_eq(g.r[0].meta.group_id, 1071654);
	ck_assert_uint_eq(g.r[0].meta.pkt_number, 1);
	ck_assert_int_eq(g.r[1].dup, 1);
	ck_assert_uint_eq(g.r[1].meta.component, 61);
	ck_assert_uint_eq(g.r[1].meta.group_id, 1071654);
	ck_assert(memcmp(g.r[0].data, g.r[1].data, 98) == 0);
	/* last: echo reply seq 19 at 20:18:53.9074 (1 s cadence) */
	ck_assert_uint_eq(g.r[113].data[34], 0);
	ck_assert_uint_eq(g.r[113].data[41], 19);
	ck_assert_int_eq(g.r[113].time / 1000000,
	    INT64_C(1718050733907));
	ck_assert_uint_eq(g.r[113].meta.appearance, 4);
	got_free(&g);
	free(buf);
}
END_TEST

/* ---- XPRESS ------------------------------------------------------------- */

START_TEST(test_xpress_spec_example)
{
	/* [MS-XCA] 3.1 example: "abc" x 100 */
	static const uint8_t in[] = {
		0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f,
		0xff, 0x26, 0x01,
	};
	uint8_t out[400];
	size_t n, i;

	ck_assert_int_eq(dt_xpress_decompress(in, sizeof in, out, sizeof out,
	    &n), 0);
	ck_assert_uint_eq(n, 300);
	for (i = 0; i < 300; i++)
		ck_assert_uint_eq(out[i], "abc"[i % 3]);
	/* capped exactly at 300: fine; one less: refused */
	ck_assert_int_eq(dt_xpress_decompress(in, sizeof in, out, 300, &n), 0);
	ck_assert_int_eq(dt_xpress_decompress(in, sizeof in, out, 299, &n), -1);
	/* cut inside the length fields: malformed */
	ck_assert_int_eq(dt_xpress_decompress(in, 11, out, sizeof out, &n), -1);
	ck_assert_int_eq(dt_xpress_decompress(in, 12, out, sizeof out, &n), -1);
}
END_TEST

START_TEST(test_xpress_matches_and_errors)
{
	/* a b c, match offset 3 length 9, then the half-byte pair shared
	   by two matches (7+3+nibble) */
	static const uint8_t in[] = {
		0x00, 0x00, 0x00, 0x1c,		/* 0 0 0 1 1 1 ... */
		'a', 'b', 'c',
		0x16, 0x00,			/* off 3, len 6+3 */
		0x17, 0x00, 0x21,		/* off 3, len 7: nibble 1 -> 11 */
		0x0f, 0x00,			/* off 2, len 7: nibble 2 -> 12 */
	};
	static const uint8_t bad_off[] = {
		0x00, 0x00, 0x00, 0x80, 0x08, 0x00,	/* match off 2 at 0 */
	};
	static const uint8_t short_flags[] = { 0x00, 0x00 };
	uint8_t out[64], lit[100], enc[200];
	size_t n, i, k = 0;

	ck_assert_int_eq(dt_xpress_decompress(in, sizeof in, out, sizeof out,
	    &n), 0);
	ck_assert_uint_eq(n, 3 + 9 + 11 + 12);
	for (i = 0; i < 23; i++)
		ck_assert_uint_eq(out[i], "abc"[i % 3]);
	for (i = 23; i < 35; i++)
		ck_assert_uint_eq(out[i], out[i - 2]);
	ck_assert_int_eq(dt_xpress_decompress(bad_off, sizeof bad_off, out,
	    sizeof out, &n), -1);
	ck_assert_int_eq(dt_xpress_decompress(short_flags, 2, out, sizeof out,
	    &n), -1);
	ck_assert_int_eq(dt_xpress_decompress(NULL, 0, out, sizeof out, &n),
	    0);
	ck_assert_uint_eq(n, 0);
	/* the writer's literal-only encoding round-trips */
	for (i = 0; i < sizeof lit; i++)
		lit[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof lit; i += 32) {
		size_t c = sizeof lit - i < 32 ? sizeof lit - i : 32;

		memset(enc + k, 0, 4);
		memcpy(enc + k + 4, lit + i, c);
		k += 4 + c;
	}
	ck_assert_int_eq(dt_xpress_decompress(enc, k, out, sizeof out, &n),
	    -1);				/* 100 > 64: capped */
	{
		uint8_t big[128];

		ck_assert_int_eq(dt_xpress_decompress(enc, k, big, sizeof big,
		    &n), 0);
		ck_assert_uint_eq(n, 100);
		ck_assert(memcmp(big, lit, 100) == 0);
	}
}
END_TEST

/* ---- written files: pktmon ---------------------------------------------- */

/* Two components, a packet seen at both, a drop, an 802.11 packet. */
static void
write_pktmon(struct etlw *w, int compress)
{
	struct etlw_pm m;
	uint8_t f[80];

	etlw_header(w, 60 * UINT64_C(1000000000));
	etlw_pm_component(w, 5, 2, "nic.sys", "Test Adapter", 100);
	etlw_pm_component(w, 9, 3, "filter.sys", "", 200);
	memset(&m, 0, sizeof m);
	m.group = UINT64_C(562949953421327);
	m.number = 1;
	m.appearance = 1;
	m.dirtag = 3;			/* Rx */
	m.ptype = 1;
	m.comp = 5;
	etlw_frame(f, sizeof f, 1);
	etlw_pm_packet(w, 0, &m, f, sizeof f, 1000000);
	m.appearance = 2;
	m.comp = 9;
	etlw_pm_packet(w, 0, &m, f, sizeof f, 1000300);
	m.appearance = 3;
	m.reason = 25;
	m.location = 0xE000460A;
	etlw_pm_packet(w, 1, &m, f, sizeof f, 1000600);
	memset(&m, 0, sizeof m);
	m.group = UINT64_C(562949953421327);
	m.number = 2;
	m.appearance = 1;
	m.dirtag = 4;			/* Tx */
	m.ptype = 2;			/* WiFi */
	m.comp = 5;
	m.origlen = 1500;
	etlw_frame(f, sizeof f, 2);
	/* as native 802.11: data to the DS, then LLC/SNAP and the IP */
	memmove(f + 32, f + 14, sizeof f - 32);
	memcpy(f, "\x08\x01\x00\x00" "\x00\x15\x5d\x01\x02\x03"
	    "\x00\x15\x5d\x04\x05\x06" "\x00\x15\x5d\x01\x02\x03"
	    "\x10\x00" "\xaa\xaa\x03\x00\x00\x00\x08\x00", 32);
	etlw_pm_packet(w, 0, &m, f, 60, 2000000);
	etlw_flush(w, compress, 0, 0, 0);
}

START_TEST(test_pktmon_written)
{
	int compress;

	for (compress = 0; compress <= 1; compress++) {
		struct etlw w;
		struct got g;

		etlw_init(&w);
		write_pktmon(&w, compress);
		seed(compress ? "pktmon-xpress.etl" : "pktmon.etl", w.file.p,
		    w.file.n);
		ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
		ck_assert_str_eq(g.format, "etl");
		ck_assert_uint_eq(g.n_warn, 0);
		ck_assert_uint_eq(g.info.n_compressed, (unsigned)compress);
		ck_assert_uint_eq(g.info.n_components, 2);
		ck_assert_uint_eq(g.n, 4);
		ck_assert_uint_eq(distinct(&g), 2);
		ck_assert_int_eq(g.r[0].time, T0 + 1000000);
		ck_assert_int_eq(g.r[0].dir, DT_DIR_IN);
		ck_assert_int_eq(g.r[0].dup, 0);
		ck_assert_str_eq(g.r[0].iface_name, "nic.sys / Test Adapter");
		ck_assert_str_eq(g.r[1].meta.component_name, "filter.sys");
		ck_assert_int_eq(g.r[1].dup, 1);
		ck_assert_uint_ne(g.r[0].iface, g.r[1].iface);
		/* the drop: another sighting, with reason and location */
		ck_assert_int_eq(g.r[2].dup, 1);
		ck_assert_int_eq(g.r[2].meta.dropped, 1);
		ck_assert_str_eq(g.r[2].meta.drop_reason,
		    "Invalid VLAN format");
		ck_assert_str_eq(g.r[2].meta.drop_location, "0xE000460A");
		ck_assert_int_eq(g.r[2].time, T0 + 1000600);
		/* 802.11, logged 60 of 1500 */
		ck_assert_int_eq(g.r[3].linktype, 105);
		ck_assert_uint_eq(g.r[3].caplen, 60);
		ck_assert_uint_eq(g.r[3].origlen, 1500);
		ck_assert_int_eq(g.r[3].dir, DT_DIR_OUT);
		ck_assert_int_eq(g.r[3].dup, 0);
		got_free(&g);
		etlw_free(&w);
	}
}
END_TEST


/*
 * An NdisMedium event (60) too short for its component id, type and
 * value is told at its offset and skipped, as a short component or
 * packet event is; the packets after it are read, the component's link
 * type Ethernet as when no medium was logged.
 */
START_TEST(test_pktmon_short_medium)
{
	struct etlw w;
	struct got g;
	struct etlw_pm m;
	uint8_t f[80];
	static const uint8_t shortev[4] = { 5, 0, 0, 0 };
	size_t at, rec;

	etlw_init(&w);
	etlw_header(&w, 60 * UINT64_C(1000000000));
	etlw_pm_component(&w, 5, 2, "nic.sys", "Test Adapter", 100);
	at = w.file.n;
	rec = w.recs.n;
	etlw_event(&w, etlw_guid_pktmon, 60, 0x1, 200, 8, shortev,
	    sizeof shortev, NULL, 0);
	memset(&m, 0, sizeof m);
	m.group = 7;
	m.number = 1;
	m.appearance = 1;
	m.dirtag = 3;
	m.ptype = 1;
	m.comp = 5;
	etlw_frame(f, sizeof f, 1);
	etlw_pm_packet(&w, 0, &m, f, sizeof f, 1000000);
	etlw_flush(&w, 0, 0, 0, 0);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n_warn, 1);
	ck_assert_str_eq(g.warn[0], "PktMon medium event is too short; "
	    "skipped");
	ck_assert_uint_eq(g.warn_off[0], at + 0x48 + rec);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_int_eq(g.r[0].linktype, 1);
	got_free(&g);
	etlw_free(&w);
}
END_TEST


/*
 * Newer pktmon builds log Appearance 0 and a PktGroupId per sighting (a
 * public Windows 11 trace: 30,132 records, every one its own group): the
 * sightings of one packet are known by their IP bytes, whatever the link
 * (native 802.11 with the Protected bit Windows leaves on, Ethernet, raw
 * IP). The same bytes again at a point that logged them are a new packet;
 * other bytes, another direction, or a gap over 10 ms are not sightings.
 */
START_TEST(test_pktmon_appearance0_by_bytes)
{
	static const uint8_t wifi_hdr[32] = { 0x08, 0x42, 0, 0, 0x00, 0x15,
		0x5d, 1, 2, 3, 0x02, 0, 0, 0, 0xa0, 0xa0, 0x00, 0x15, 0x5d,
		4, 5, 6, 0x10, 0, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };
	static const struct {
		uint16_t comp, edge, ptype, dirtag;
		int frame;		/* 0 Ethernet, 1 802.11, 2 raw IP,
					   3 ARP */
		unsigned id;		/* IP identification: the bytes */
		uint64_t t_us;
		int dup;
	} s[] = {
		{ 5, 1, 2, 3, 1, 7, 1000, 0 },	/* first sighting, 802.11 */
		{ 9, 2, 2, 3, 1, 7, 1010, 1 },	/* a filter, 802.11 */
		{ 9, 1, 1, 3, 0, 7, 1020, 1 },	/* its other edge, Ethernet */
		{ 12, 0, 3, 3, 2, 7, 1050, 1 },	/* TCP/IP, raw IP */
		{ 9, 1, 1, 3, 0, 8, 1060, 0 },	/* other bytes */
		{ 9, 1, 1, 4, 0, 7, 1070, 0 },	/* the other direction */
		{ 5, 1, 2, 3, 1, 7, 3000, 0 },	/* logged at 5 again: new */
		{ 9, 1, 1, 3, 0, 7, 3010, 1 },	/* ... and its sighting */
		{ 12, 0, 3, 3, 2, 7, 30000, 0 },	/* 27 ms later */
		/* Npcap's upper edge: Ethernet bytes labelled WiFi */
		{ 13, 2, 2, 3, 0, 7, 30010, 1 },
		/* not IP: by the frame's own bytes */
		{ 5, 1, 1, 3, 3, 9, 31000, 0 },
		{ 9, 1, 1, 3, 3, 9, 31010, 1 },
	};
	uint8_t eth[100], f[100 - 14 + 32];
	struct etlw_pm m;
	struct etlw w;
	struct got g;
	size_t i;

	etlw_init(&w);
	etlw_header(&w, 0);
	etlw_pm_component(&w, 5, 2, "wifi.sys", "Test Wi-Fi", 100);
	etlw_pm_component(&w, 9, 3, "nwifi.sys", "", 200);
	etlw_pm_component(&w, 12, 4, "tcpip.sys", "", 300);
	etlw_pm_component(&w, 13, 3, "npcap.sys", "", 400);
	for (i = 0; i < sizeof s / sizeof s[0]; i++) {
		const uint8_t *d = eth;
		uint16_t len = sizeof eth;

		etlw_frame(eth, sizeof eth, s[i].id);
		if (s[i].frame == 3) {
			eth[12] = 0x08;
			eth[13] = 0x06;
			eth[14] = 0x00;
		}
		if (s[i].frame == 1) {
			memcpy(f, wifi_hdr, sizeof wifi_hdr);
			memcpy(f + sizeof wifi_hdr, eth + 14, sizeof eth - 14);
			d = f;
			len = sizeof f;
		} else if (s[i].frame == 2) {
			d = eth + 14;
			len = sizeof eth - 14;
		}
		memset(&m, 0, sizeof m);
		m.group = (UINT64_C(3) << 48) + i + 1;	/* one per sighting */
		m.number = 1;
		m.dirtag = s[i].dirtag;
		m.ptype = s[i].ptype;
		m.comp = s[i].comp;
		m.edge = s[i].edge;
		etlw_pm_packet(&w, 0, &m, d, len, s[i].t_us * 1000);
	}
	etlw_flush(&w, 0, 0, 0, 0);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n_warn, 0);
	ck_assert_uint_eq(g.n, sizeof s / sizeof s[0]);
	for (i = 0; i < g.n; i++)
		ck_assert_msg(g.r[i].dup == s[i].dup, "sighting %zu: dup %d",
		    i, g.r[i].dup);
	ck_assert_int_eq(g.r[0].linktype, 105);
	ck_assert_int_eq(g.r[3].linktype, 101);
	ck_assert_int_eq(g.r[9].linktype, 1);
	got_free(&g);
	etlw_free(&w);
}
END_TEST

/* An Appearance-0 sighting: an Ethernet frame of IP identification id at
   component comp's edge 1, a PktGroupId of its own. */
static void
pm_app0(struct etlw *w, uint16_t comp, unsigned id, uint64_t group,
    uint64_t t_ns)
{
	struct etlw_pm m;
	uint8_t f[100];

	memset(&m, 0, sizeof m);
	m.group = group;
	m.number = 1;
	m.dirtag = 3;
	m.ptype = 1;
	m.comp = comp;
	m.edge = 1;
	etlw_frame(f, sizeof f, id);
	etlw_pm_packet(w, 0, &m, f, sizeof f, t_ns);
}

/*
 * Two packets of the same bytes (IPv6 carries no identification: two
 * like mDNS queries, or duplicate ACKs) logged in one batch at the first
 * component before either reaches the second: each is seen once more
 * there, so two packets, not three (the Dookisan/stmcast_server_client
 * trace read 5,894 distinct packets where 5,585 were).
 */
START_TEST(test_pktmon_appearance0_interleaved)
{
	static const struct {
		uint16_t comp;
		uint64_t t_us;
		int dup;
	} s[] = {
		{ 5, 1000, 0 }, { 5, 1005, 0 },	/* two packets at 5 */
		{ 9, 1010, 1 }, { 9, 1015, 1 },	/* each once at 9 */
		{ 9, 1020, 0 },			/* a third packet */
	};
	struct etlw w;
	struct got g;
	size_t i;

	etlw_init(&w);
	etlw_header(&w, 0);
	etlw_pm_component(&w, 5, 1, "e1.sys", "Test Ethernet", 100);
	etlw_pm_component(&w, 9, 3, "filter.sys", "", 200);
	for (i = 0; i < sizeof s / sizeof s[0]; i++)
		pm_app0(&w, s[i].comp, 7, (UINT64_C(3) << 48) + i + 1,
		    s[i].t_us * 1000);
	etlw_flush(&w, 0, 0, 0, 0);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n, sizeof s / sizeof s[0]);
	for (i = 0; i < g.n; i++)
		ck_assert_msg(g.r[i].dup == s[i].dup, "sighting %zu: dup %d",
		    i, g.r[i].dup);
	got_free(&g);
	etlw_free(&w);
}
END_TEST

/*
 * A batch of 600 packets logged at one component, then at the next: each
 * must still be known when its second sighting comes, so 600 packets,
 * not the 600 + 536 that a ring of the last 64 made of it.
 */
START_TEST(test_pktmon_appearance0_big_batch)
{
	struct etlw w;
	struct got g;
	size_t i, n = 600;

	etlw_init(&w);
	etlw_header(&w, 0);
	etlw_pm_component(&w, 5, 1, "e1.sys", "Test Ethernet", 100);
	etlw_pm_component(&w, 9, 3, "filter.sys", "", 200);
	for (i = 0; i < 2 * n; i++)
		pm_app0(&w, i < n ? 5 : 9, (unsigned)(i % n) + 1,
		    (UINT64_C(3) << 48) + i + 1, (1000 + i) * 1000);
	etlw_flush(&w, 0, 0, 0, 0);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n, 2 * n);
	for (i = 0; i < g.n; i++)
		ck_assert_msg(g.r[i].dup == (i >= n), "sighting %zu: dup %d",
		    i, g.r[i].dup);
	got_free(&g);
	etlw_free(&w);
}
END_TEST

/*
 * Sightings 18e18 ns apart (a damaged clock: one in 1684, one in 2255,
 * kept apart until the reader clamps them) are not within the window:
 * their difference does not fit in 64 bits and must not wrap to one
 * that does.
 */
START_TEST(test_pktmon_appearance0_far_times)
{
	struct etlw w;
	struct got g;
	uint64_t hdr;

	etlw_init(&w);
	w.start_ft = ETLW_FT_1970;	/* time 0 at the header */
	w.hdr_ts = UINT64_C(100000000000000000);
	etlw_header(&w, 0);
	etlw_pm_component(&w, 5, 1, "e1.sys", "Test Ethernet", 100);
	etlw_pm_component(&w, 9, 3, "filter.sys", "", 200);
	hdr = w.hdr_ts;
	w.hdr_ts = hdr - UINT64_C(90000000000000000);	/* -9e18 ns */
	pm_app0(&w, 5, 7, 1, 0);
	w.hdr_ts = hdr;
	pm_app0(&w, 9, 7, 2, UINT64_C(9000000000000000000));
	etlw_flush(&w, 0, 0, 0, 0);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_int_eq(g.r[0].time, -DT_TIME_MAX);	/* as for any reader */
	ck_assert_int_eq(g.r[1].time, DT_TIME_MAX);
	ck_assert_int_eq(g.r[0].dup, 0);
	ck_assert_int_eq(g.r[1].dup, 0);
	got_free(&g);
	etlw_free(&w);
}
END_TEST

/* ---- written files: NDIS-PacketCapture (netsh) --------------------------- */

#define KW_IN (ETLW_KW_ETH | ETLW_KW_RECV | ETLW_KW_START | ETLW_KW_END)
#define MS UINT64_C(1000000)

/* Raw IPv4 (len >= 20) or IPv6 (len >= 40) packet. */
static void
raw_ip(uint8_t *b, size_t len, int v6)
{
	memset(b, 0, len);
	if (v6) {
		b[0] = 0x60;
		b[4] = (uint8_t)((len - 40) >> 8);
		b[5] = (uint8_t)(len - 40);
		b[6] = 17;
		b[7] = 64;
	} else {
		b[0] = 0x45;
		b[2] = (uint8_t)(len >> 8);
		b[3] = (uint8_t)len;
		b[8] = 64;
		b[9] = 17;
	}
}

START_TEST(test_ndis_written)
{
	static const uint8_t sid[12] = { 1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0 };
	struct etlw_ext ext[2] = { { 5, sid, 12 }, { 8, "\x01\x00\x00\x00", 4 } };
	struct etlw w;
	struct got g;
	uint8_t a[100], b[300], c[60], d[64], e6[80], f[128], v[90];

	etlw_init(&w);
	etlw_header(&w, 60 * UINT64_C(1000000000));
	/* A: at the miniport (7/7), then the same bytes at a filter (7/12) */
	etlw_frame(a, sizeof a, 1);
	etlw_ndis_1001(&w, 7, 7, KW_IN, a, sizeof a, 1 * MS, 100, ext, 2);
	etlw_ndis_1001(&w, 7, 12, KW_IN, a, sizeof a, 1 * MS + 2000, 100,
	    NULL, 0);
	/* an event of another provider in between */
	etlw_event(&w, etlw_guid_other, 1001, KW_IN, 1 * MS + 3000, 100, a,
	    sizeof a, NULL, 0);
	/* B: sent in three fragments */
	etlw_frame(b, sizeof b, 2);
	etlw_ndis_1001(&w, 7, 7, ETLW_KW_ETH | ETLW_KW_SEND | ETLW_KW_START,
	    b, 100, 2 * MS, 101, NULL, 0);
	etlw_ndis_1001(&w, 7, 7, ETLW_KW_ETH | ETLW_KW_SEND, b + 100, 100,
	    2 * MS + 1000, 101, NULL, 0);
	etlw_ndis_1001(&w, 7, 7, ETLW_KW_ETH | ETLW_KW_SEND | ETLW_KW_END,
	    b + 200, 100, 2 * MS + 2000, 101, NULL, 0);
	/* C: mobile broadband, raw IP */
	raw_ip(c, sizeof c, 0);
	etlw_ndis_1001(&w, 9, 9, ETLW_KW_WWAN | ETLW_KW_RECV | ETLW_KW_START |
	    ETLW_KW_END, c, sizeof c, 3 * MS, 102, NULL, 0);
	/* D: native 802.11 */
	memset(d, 0x88, sizeof d);
	etlw_ndis_1001(&w, 11, 11, ETLW_KW_80211 | ETLW_KW_RECV |
	    ETLW_KW_START | ETLW_KW_END, d, sizeof d, 4 * MS, 103, NULL, 0);
	/* E: tunnel interface with raw IPv6, then with Ethernet */
	raw_ip(e6, sizeof e6, 1);
	etlw_ndis_1001(&w, 13, 13, ETLW_KW_TUNNEL | ETLW_KW_SEND |
	    ETLW_KW_START | ETLW_KW_END, e6, sizeof e6, 5 * MS, 104, NULL, 0);
	etlw_frame(f, 64, 5);
	etlw_ndis_1001(&w, 13, 13, ETLW_KW_TUNNEL | ETLW_KW_SEND |
	    ETLW_KW_START | ETLW_KW_END, f, 64, 5 * MS + 1000, 104, NULL, 0);
	/* F: truncated to 128 of a 1500-byte frame (IPv4 total 1486) */
	etlw_frame(f, sizeof f, 6);
	f[16] = 1486 >> 8;
	f[17] = 1486 & 0xff;
	etlw_ndis_1001(&w, 7, 7, KW_IN | ETLW_KW_TRUNC, f, sizeof f, 6 * MS,
	    100, NULL, 0);
	/* G: VMSwitch */
	etlw_frame(v, sizeof v, 7);
	etlw_ndis_1003(&w, 21, 22, KW_IN, v, sizeof v, 7 * MS, 105);
	/* broken stitching: a middle without start, a start without end */
	etlw_ndis_1001(&w, 7, 7, ETLW_KW_ETH | ETLW_KW_END, b, 10, 8 * MS,
	    106, NULL, 0);
	etlw_ndis_1001(&w, 7, 7, ETLW_KW_ETH | ETLW_KW_START, b, 10, 9 * MS,
	    107, NULL, 0);
	etlw_flush(&w, 0, 8192, 0, 0);
	seed("ndis.etl", w.file.p, w.file.n);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_str_eq(g.format, "etl");
	ck_assert_str_eq(g.err, "");
	ck_assert_uint_eq(g.n, 9);
	ck_assert_uint_eq(distinct(&g), 8);
	ck_assert_uint_eq(g.n_warn, 2);
	ck_assert(has_warning(&g, "fragment without its PacketStart"));
	ck_assert(has_warning(&g, "without its PacketEnd"));
	/* A and its filter copy */
	ck_assert_int_eq(g.r[0].time, T0 + 1 * (int64_t)MS);
	ck_assert_int_eq(g.r[0].dup, 0);
	ck_assert_int_eq(g.r[0].dir, DT_DIR_IN);
	ck_assert_int_eq(g.r[0].linktype, 1);
	ck_assert_str_eq(g.r[0].iface_name, "eth:7");
	ck_assert(memcmp(g.r[0].data, a, sizeof a) == 0);
	ck_assert_ptr_null(g.r[0].pm ? "pm" : NULL);
	ck_assert_int_eq(g.r[1].dup, 1);
	ck_assert_str_eq(g.r[1].iface_name, "eth:12 LWF over IfIndex 7");
	ck_assert_uint_ne(g.r[0].iface, g.r[1].iface);
	/* B stitched, stamped at its first fragment */
	ck_assert_int_eq(g.r[2].time, T0 + 2 * (int64_t)MS);
	ck_assert_uint_eq(g.r[2].caplen, 300);
	ck_assert(memcmp(g.r[2].data, b, 300) == 0);
	ck_assert_int_eq(g.r[2].dir, DT_DIR_OUT);
	ck_assert_uint_eq(g.r[2].iface, g.r[0].iface);
	/* link types */
	ck_assert_int_eq(g.r[3].linktype, 101);
	ck_assert_str_eq(g.r[3].iface_name, "mbb:9");
	ck_assert_int_eq(g.r[4].linktype, 105);
	ck_assert_str_eq(g.r[4].iface_name, "wifi:11");
	ck_assert_int_eq(g.r[5].linktype, 101);
	ck_assert_str_eq(g.r[5].iface_name, "tunnel:13");
	ck_assert_int_eq(g.r[6].linktype, 1);
	ck_assert_uint_ne(g.r[5].iface, g.r[6].iface);
	/* truncation: original length from the IPv4 header */
	ck_assert_uint_eq(g.r[7].caplen, 128);
	ck_assert_uint_eq(g.r[7].origlen, 1500);
	/* VMSwitch */
	ck_assert_uint_eq(g.r[8].caplen, sizeof v);
	ck_assert(memcmp(g.r[8].data, v, sizeof v) == 0);
	ck_assert_str_eq(g.r[8].iface_name, "eth:22 LWF over IfIndex 21");
	got_free(&g);
	etlw_free(&w);
}
END_TEST


/* ---- written files: layout variants -------------------------------------- */

static void
pm_one(struct etlw *w, unsigned id, uint64_t t_ns)
{
	struct etlw_pm m;
	uint8_t f[64];

	memset(&m, 0, sizeof m);
	m.group = 1000 + id;
	m.number = 1;
	m.appearance = 1;
	m.dirtag = 3;
	m.ptype = 1;
	m.comp = 1;
	etlw_frame(f, sizeof f, id);
	etlw_pm_packet(w, 0, &m, f, sizeof f, t_ns);
}

/*
 * netsh on a Wi-Fi client: the miniport logs native 802.11, the filter
 * above it the same packet as an Ethernet frame; the packet counts once
 * (issue 17). A different packet at the filter is not a sighting.
 */
START_TEST(test_ndis_wifi_and_ethernet_once)
{
	uint8_t hdr[32] = { 0x88, 0x02, 0, 0, 0x00, 0x15, 0x5d,
		1, 2, 3, 0x02, 0, 0, 0, 0xa0, 0xa0, 0x00, 0x15, 0x5d, 4, 5, 6,
		0x10, 0, 0, 0, 0xaa, 0xaa, 0x03, 0, 0, 0 };
	uint8_t eth[100], other[100], wifi[100 - 12 + 32];
	struct etlw w;
	struct got g;

	/* Windows keeps the Protected bit on the frames it decrypted */
	hdr[1] |= (uint8_t)(_i ? 0x40 : 0);
	etlw_frame(eth, sizeof eth, 7);
	etlw_frame(other, sizeof other, 8);
	memcpy(wifi, hdr, sizeof hdr);
	memcpy(wifi + sizeof hdr, eth + 12, sizeof eth - 12);
	etlw_init(&w);
	etlw_header(&w, 0);
	etlw_ndis_1001(&w, 11, 11, ETLW_KW_80211 | ETLW_KW_RECV |
	    ETLW_KW_START | ETLW_KW_END, wifi, sizeof wifi, 1 * MS, 100, NULL,
	    0);
	etlw_ndis_1001(&w, 11, 14, KW_IN, eth, sizeof eth, 1 * MS + 500, 100,
	    NULL, 0);
	etlw_ndis_1001(&w, 11, 14, KW_IN, other, sizeof other, 1 * MS + 900,
	    100, NULL, 0);
	etlw_flush(&w, 0, 0, 0, 0);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_int_eq(g.r[0].linktype, 105);
	ck_assert_int_eq(g.r[0].dup, 0);
	ck_assert_int_eq(g.r[1].linktype, 1);
	ck_assert_int_eq(g.r[1].dup, 1);
	ck_assert_int_eq(g.r[2].dup, 0);
	got_free(&g);
	etlw_free(&w);
}
END_TEST

/* The events stage's view: every record by (provider, id). */
struct ev_count {
	unsigned system, other;
	uint8_t seen[65536];
	unsigned id160, id20, ids;
	int64_t first, last;
};

static void
on_event(void *payload, const struct dt_etw_event *ev)
{
	static const uint8_t pm[16] = { 0xd9, 0x80, 0x4f, 0x4d, 0xbd, 0xc8,
		0x73, 0x4d, 0xbb, 0x5b, 0x19, 0xc9, 0x04, 0x02, 0xc5, 0xac };
	struct ev_count *c = payload;

	if (ev->provider == NULL) {
		c->system++;
		return;
	}
	if (memcmp(ev->provider, pm, 16) != 0) {
		c->other++;
		return;
	}
	c->id160 += ev->id == 160;
	c->id20 += ev->id == 20;
	ck_assert(ev->has_time);
	if (c->first == 0 || ev->time < c->first)
		c->first = ev->time;
	if (ev->time > c->last)
		c->last = ev->time;
	c->ids += !c->seen[ev->id];
	c->seen[ev->id] = 1;
}

/*
 * Issue 23: every record of the public pktmon sample reaches the events
 * stage. The counts an independent ETW reader gave when the sample was
 * collected (shared/corpus/ETL-PROVENANCE.md): 114 FramePayload (160), 44
 * ComponentInfo (20), 61 classic SystemConfigEx/EventMetadata records and
 * 3 system records (64 without a provider GUID), no other provider.
 */
START_TEST(test_events_every_record)
{
	struct ev_count c;
	unsigned char *buf;
	size_t len = 0;
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	char err[256];
	uint64_t eoff;

	if (!tu_exists(PKTMON_SAMPLE))
		return;
	buf = tu_slurp(PKTMON_SAMPLE, &len);
	memset(&c, 0, sizeof c);
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_mem(&r, &m, buf, len, err, sizeof err,
	    &eoff), 0);
	dt_reader_set_events(r, on_event, &c);
	while (dt_reader_next(r, &p) == 0)
		;
	dt_reader_close(r);
	ck_assert_uint_eq(c.id160, 114);
	ck_assert_uint_eq(c.id20, 44);
	ck_assert_uint_eq(c.system, 61 + 3);
	ck_assert_uint_eq(c.other, 0);
	ck_assert_uint_ge(c.ids, 9);	/* 20, 60, 65, 66, 70, 80, 90, 100, 160 */
	ck_assert_int_ge(c.first, INT64_C(1718050707000000000));
	ck_assert_int_le(c.last, INT64_C(1718050735000000000));
	ck_assert_uint_eq(m.used, 0);
	free(buf);
}
END_TEST

/*
 * A trace with Windows' own events and no packets (netsh trace without
 * capture=yes): each provider is listed with its name from the generated
 * table, or by GUID when unknown; the report says the trace holds events
 * but no packets and names the commands that capture them (issue 23).
 */
START_TEST(test_events_without_packets)
{
	static const uint8_t iphlpsvc[16] = { 0x5c, 0xc1, 0xa5, 0x66, 0x8e,
		0x4f, 0x44, 0x40, 0xbf, 0x6e, 0x71, 0xd8, 0x96, 0x03, 0x89,
		0x77 };
	static const uint8_t user[8] = { 0x26, 0x03, 0x09, 0x80 };
	struct etlw w;
	dt_analyzer *a;
	char *out = NULL;
	size_t n, i;

	etlw_init(&w);
	etlw_header(&w, 0);
	for (i = 0; i < 3; i++)
		etlw_event(&w, iphlpsvc, 4302, 0, (1 + i) * MS, 7, user,
		    sizeof user, NULL, 0);
	etlw_event(&w, etlw_guid_other, 1, 0, 5 * MS, 7, user, 4, NULL, 0);
	etlw_event(&w, etlw_guid_other, 2, 0, 6 * MS, 7, user, 4, NULL, 0);
	etlw_flush(&w, 0, 0, 0, 0);
	/* told from its first buffer, as front ends probe folder entries */
	ck_assert_str_eq(dt_capture_format_probe(w.file.p, w.file.n), "etl");
	ck_assert_ptr_null(dt_capture_format_probe(w.file.p, 4));
	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_mem(a, "events.etl", w.file.p, w.file.n),
	    DT_EFORMAT);
	ck_assert_int_eq(dt_write_buffer(a, "json", 0, &out, &n), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"event_providers\": [\n"
	    "        {\n"
	    "          \"name\": \"Microsoft-Windows-Iphlpsvc\",\n"
	    "          \"guid\": \"{66a5c15c-4f8e-4044-bf6e-71d896038977}\",\n"
	    "          \"events\": 3,\n"
	    "          \"event_ids\": 1,\n"
	    "          \"decoded\": 3\n"
	    "        },\n"
	    "        {\n"
	    "          \"name\": null,\n"
	    "          \"guid\": \"{9b79ee91-b5fd-41c0-a243-4248e266e9d0}\",\n"
	    "          \"events\": 2,\n"
	    "          \"event_ids\": 2,\n"
	    "          \"decoded\": 0\n"
	    "        }\n"
	    "      ],\n"
	    "      \"system_records\": 1,"));
	dt_buffer_free(out);
	ck_assert_int_eq(dt_write_buffer(a, "text", 0, &out, &n), 0);
	ck_assert_ptr_nonnull(strstr(out, "  events: 3 events of 1 kind from "
	    "Microsoft-Windows-Iphlpsvc\n"));
	ck_assert_ptr_nonnull(strstr(out, "  events: 2 events of 2 kinds from "
	    "provider"));
	ck_assert_ptr_nonnull(strstr(out, " {9b79ee91-b5fd-41c0-a243-"
	    "4248e266e9d0}\n"));
	ck_assert_ptr_nonnull(strstr(out, "  note: the trace holds events but "
	    "no packets: capture packets with"));
	ck_assert_ptr_nonnull(strstr(out, "'netsh trace start capture=yes' or"));
	ck_assert_ptr_nonnull(strstr(out, "'pktmon start --capture --pkt-size "
	    "0'"));
	dt_buffer_free(out);
	dt_analyzer_free(a);
	etlw_free(&w);
}
END_TEST

START_TEST(test_header_32bit)
{
	struct etlw w;
	struct got g;

	etlw_init(&w);
	w.ptr32 = 1;
	etlw_header(&w, 10 * UINT64_C(1000000000));
	pm_one(&w, 1, 1 * MS);
	pm_one(&w, 2, 2 * MS + 300);
	etlw_flush(&w, 1, 0, 0, 0);
	seed("header32.etl", w.file.p, w.file.n);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n_warn, 0);
	ck_assert_int_eq(g.info.pointer_size, 4);
	ck_assert_str_eq(g.info.logger, "TestLogger");
	ck_assert_int_eq(g.info.start_ns, T0);
	ck_assert_int_eq(g.info.end_ns, T0 + INT64_C(10000000000));
	ck_assert_uint_eq(g.n, 2);
	ck_assert_int_eq(g.r[0].time, T0 + 1 * (int64_t)MS);
	ck_assert_int_eq(g.r[1].time, T0 + 2 * (int64_t)MS + 300);
	got_free(&g);
	etlw_free(&w);
}
END_TEST

START_TEST(test_clock_types)
{
	int clock;

	for (clock = 1; clock <= 3; clock++) {
		struct etlw w;
		struct got g;

		etlw_init(&w);
		w.clock = (uint32_t)clock;
		if (clock == 2)
			w.hdr_ts = w.start_ft;
		w.mhz = 1000;
		etlw_header(&w, 0);
		pm_one(&w, 1, 7 * MS);
		pm_one(&w, 2, 3 * UINT64_C(86400000000000));	/* 3 days */
		pm_one(&w, 3, UINT64_MAX);			/* overflows */
		etlw_flush(&w, 0, 0, 0, 0);
		ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
		ck_assert_uint_eq(g.info.clock, (unsigned)clock);
		ck_assert_uint_eq(g.n, 2);
		ck_assert_int_eq(g.r[0].time, T0 + 7 * (int64_t)MS);
		ck_assert_int_eq(g.r[1].time, T0 + 3 * INT64_C(86400000000000));
		ck_assert_uint_eq(g.n_warn, 1);
		ck_assert(has_warning(&g, "time is out of range"));
		got_free(&g);
		etlw_free(&w);
	}
}
END_TEST

START_TEST(test_circular_out_of_order)
{
	struct etlw w;
	struct got g;
	uint8_t zero[4096];

	etlw_init(&w);
	w.log_mode = 0x00000002;
	etlw_header(&w, 0);
	pm_one(&w, 5, 5 * MS);
	pm_one(&w, 6, 6 * MS);
	etlw_flush(&w, 0, 4096, 0, 0);		/* CPU 1, later */
	pm_one(&w, 1, 1 * MS);
	pm_one(&w, 2, 2 * MS);
	etlw_flush(&w, 1, 0, 0, 0);		/* CPU 2, earlier, compressed */
	memset(zero, 0, sizeof zero);		/* preallocated tail */
	etlw_put(&w.file, zero, sizeof zero);
	seed("circular.etl", w.file.p, w.file.n);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n_warn, 0);
	ck_assert_uint_eq(g.info.log_mode, 2);
	ck_assert_uint_eq(g.info.n_buffers, 3);
	ck_assert_uint_eq(g.n, 4);
	ck_assert_int_eq(g.r[0].time, T0 + 1 * (int64_t)MS);
	ck_assert_int_eq(g.r[1].time, T0 + 2 * (int64_t)MS);
	ck_assert_int_eq(g.r[2].time, T0 + 5 * (int64_t)MS);
	ck_assert_int_eq(g.r[3].time, T0 + 6 * (int64_t)MS);
	ck_assert_uint_eq(g.r[0].frame, 1);
	ck_assert_uint_eq(g.r[3].frame, 4);
	ck_assert_uint_eq(g.r[0].data[19], 1);
	ck_assert_uint_eq(g.r[3].data[19], 6);
	got_free(&g);
	etlw_free(&w);
}
END_TEST

START_TEST(test_unknown_header_kinds)
{
	/* each sized by the generic rule: u16 at +4 for system, compact
	   and perfinfo kinds, u16 at +0 for the rest */
	static const uint8_t sys64[0x28] = { 2, 0, 0x02, 0xc0, 0x28, 0, 0x50, 0 };
	static const uint8_t compact[0x20] = { 2, 0, 0x04, 0xc0, 0x20, 0, 1, 1 };
	static const uint8_t perf[0x18] = { 2, 0, 0x11, 0xc0, 0x18, 0, 1, 1 };
	static const uint8_t full[0x38] = { 0x38, 0, 0x14, 0xc0 };
	static const uint8_t wpp[0x1c] = { 0x1c, 0, 0x00, 0x90 };
	static const uint8_t unknown[0x11] = { 0x11, 0, 0x2f, 0xc0 };
	struct etlw w;
	struct got g;

	etlw_init(&w);
	etlw_header(&w, 0);
	pm_one(&w, 1, 1 * MS);
	etlw_raw(&w, sys64, sizeof sys64);
	etlw_raw(&w, compact, sizeof compact);
	etlw_raw(&w, perf, sizeof perf);
	etlw_raw(&w, full, sizeof full);
	etlw_raw(&w, wpp, sizeof wpp);
	etlw_raw(&w, unknown, sizeof unknown);
	pm_one(&w, 2, 2 * MS);
	etlw_flush(&w, 0, 0, 0, 0);
	seed("header-kinds.etl", w.file.p, w.file.n);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n_warn, 0);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.r[1].data[19], 2);
	got_free(&g);
	etlw_free(&w);
}
END_TEST

START_TEST(test_bad_records_abandon_buffer)
{
	static const uint8_t garbage[16] = { 0x78, 0x56, 0x34, 0x12 };
	static const uint8_t too_long[16] = { 0x00, 0x70, 0x13, 0xc0 };
	static const uint8_t too_short[16] = { 0x10, 0x00, 0x13, 0xc0 };
	struct etlw w;
	struct got g;
	size_t at;

	etlw_init(&w);
	etlw_header(&w, 0);
	pm_one(&w, 1, 1 * MS);
	etlw_raw(&w, garbage, sizeof garbage);
	pm_one(&w, 2, 2 * MS);			/* lost with its buffer */
	etlw_flush(&w, 0, 0, 0, 0);
	pm_one(&w, 3, 3 * MS);
	etlw_raw(&w, too_long, sizeof too_long);
	etlw_flush(&w, 1, 0, 0, 0);
	etlw_raw(&w, too_short, sizeof too_short);
	pm_one(&w, 4, 4 * MS);			/* lost */
	etlw_flush(&w, 0, 1024, 0, 0);
	/* a compressed buffer that does not give its filled size */
	pm_one(&w, 5, 5 * MS);
	at = w.file.n;
	etlw_flush(&w, 1, 0, 0, 0);
	etlw_set32(&w.file, at + 0x30, 0x48 + 8 + (uint32_t)(w.file.n - at));
	/* a compressed buffer claiming 128x more than its bytes */
	pm_one(&w, 7, 5 * MS + 1);
	at = w.file.n;
	etlw_flush(&w, 1, 0, 0, 0);
	etlw_set32(&w.file, at + 0x30, 0x48 + 129 * (uint32_t)(w.file.n - at -
	    0x48));
	pm_one(&w, 6, 6 * MS);
	etlw_flush(&w, 0, 0, 0x0002, 0);	/* EVENTS_LOST */
	seed("bad-records.etl", w.file.p, w.file.n);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_str_eq(g.err, "");
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.r[0].data[19], 1);
	ck_assert_uint_eq(g.r[1].data[19], 3);
	ck_assert_uint_eq(g.r[2].data[19], 6);
	ck_assert_uint_eq(g.n_warn, 6);
	ck_assert(has_warning(&g, "compressed; buffer skipped"));
	ck_assert(has_warning(&g, "without a trace header (0x12345678); "
	    "rest of the buffer skipped"));
	ck_assert(has_warning(&g, "record size 28672 does not fit"));
	ck_assert(has_warning(&g, "record size 16 does not fit"));
	ck_assert(has_warning(&g, "unsupported compression"));
	ck_assert(has_warning(&g, "lost events"));
	got_free(&g);
	etlw_free(&w);
}
END_TEST

START_TEST(test_truncated_and_not_etl)
{
	struct etlw w;
	struct got g;
	size_t cut;
	uint8_t junk[200];

	etlw_init(&w);
	etlw_header(&w, 0);
	pm_one(&w, 1, 1 * MS);
	etlw_flush(&w, 0, 0, 0, 0);
	cut = w.file.n;
	pm_one(&w, 2, 2 * MS);
	pm_one(&w, 3, 3 * MS);
	etlw_flush(&w, 0, 0, 0, 0);
	/* cut inside the second packet of the last buffer: the packets
	   before the cut, then the fault that says the file is cut */
	ck_assert_int_eq(read_all(w.file.p, w.file.n - 40, &g), 0);
	ck_assert_str_eq(g.err, "the file is cut short: ETL file ends inside "
	    "a buffer (400 of 440 bytes)");
	ck_assert_uint_eq(g.n, 2);
	got_free(&g);
	/* cut inside a buffer header */
	ck_assert_int_eq(read_all(w.file.p, cut + 20, &g), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_str_eq(g.err, "the file is cut short: ETL file ends inside "
	    "a buffer header (20 of 72 bytes)");
	got_free(&g);
	/* cut inside the logfile header: not readable at all */
	ck_assert_int_eq(read_all(w.file.p, 0x48 + 0x100, &g), DT_EFORMAT);
	ck_assert_str_eq(g.err, "offset 72: ETL logfile header record runs "
	    "past the first buffer");
	/* a start time that is not a time */
	memset(junk, 0, sizeof junk);
	ck_assert_int_eq(read_all(junk, sizeof junk, &g), DT_EFORMAT);
	ck_assert_str_eq(g.err, "offset 0: not a capture file (pcap, pcapng, "
	    "etl)");
	etlw_free(&w);
}
END_TEST

/* A compressed buffer cut by the end of the file is the file cut short,
   not an unsupported compression (issue 17). */
START_TEST(test_cut_compressed)
{
	struct etlw w;
	struct got g;
	size_t cut;

	etlw_init(&w);
	etlw_header(&w, 0);
	pm_one(&w, 1, 1 * MS);
	etlw_flush(&w, 0, 0, 0, 0);
	cut = w.file.n;
	pm_one(&w, 2, 2 * MS);
	pm_one(&w, 3, 3 * MS);
	etlw_flush(&w, 1, 0, 0, 0);
	ck_assert_int_eq(read_all(w.file.p, w.file.n - 30, &g), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert(!has_warning(&g, "compression"));
	ck_assert_uint_eq(g.err_off, cut);
	ck_assert_str_eq(g.err, "the file is cut short: ETL file ends inside "
	    "a buffer (458 of 488 bytes, compressed: its events are lost)");
	got_free(&g);
	etlw_free(&w);
}
END_TEST

/* Files that give no packet at all say why (a fault, so the analyzer says
   the input could not be analysed, exit 2 in the CLI): every
   buffer implausible; a pktmon trace without packet events (pktmon
   started without --capture); a trace with no packet provider at all. */
START_TEST(test_no_packets_why)
{
	struct etlw w;
	struct got g;
	size_t at;

	etlw_init(&w);
	etlw_header(&w, 0);
	etlw_pm_component(&w, 1, 1, "Wi-Fi", "Intel(R) Wi-Fi 6 AX201", 1 * MS);
	etlw_pm_component(&w, 2, 1, "Ethernet", "", 1 * MS);
	etlw_flush(&w, 0, 0, 0, 0);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_str_eq(g.err, "this pktmon trace holds no packet "
	    "events (2 components described, no packet logged: pktmon was "
	    "started without --capture); capture packets with 'pktmon start "
	    "--capture --pkt-size 0'");
	got_free(&g);
	etlw_free(&w);

	etlw_init(&w);
	etlw_header(&w, 0);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_str_eq(g.err, "this ETL trace holds no packet "
	    "events (no Microsoft-Windows-PktMon or NDIS-PacketCapture "
	    "packet); capture packets with 'netsh trace start capture=yes' or "
	    "'pktmon start --capture --pkt-size 0'");
	got_free(&g);
	/* a buffer whose size is implausible: damage, as pcap and pcapng */
	at = w.file.n;
	pm_one(&w, 1, 1 * MS);
	etlw_flush(&w, 0, 0, 0, 0);
	etlw_set32(&w.file, at, 20);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(g.err_off, at);
	ck_assert_str_eq(g.err, "ETL buffer size 20 is "
	    "implausible");
	got_free(&g);
	/* a buffer whose filled size is implausible, and no other */
	etlw_set32(&w.file, at, (uint32_t)(w.file.n - at));
	etlw_set32(&w.file, at + 0x30, 7);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_str_eq(g.err, "ETL buffer filled size 7 is "
	    "implausible (1 of 2 buffers implausible)");
	got_free(&g);
	etlw_free(&w);
}
END_TEST

/* The same through a named file and through a pipe (size unknown). */
START_TEST(test_file_and_pipe)
{
	struct etlw w;
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	char path[] = "/tmp/test_etl_XXXXXX", err[256];
	int fd, pfd[2], k, n;
	FILE *fp;

	etlw_init(&w);
	write_pktmon(&w, 1);
	ck_assert_uint_lt(w.file.n, 60000);	/* fits a pipe buffer */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, w.file.p, w.file.n), (int)w.file.n);
	close(fd);
	for (k = 0; k < 2; k++) {
		dt_mem_init(&m, NULL, NULL, 0);
		if (k == 0) {
			ck_assert_int_eq(dt_reader_open_file(&r, &m, path, err,
			    sizeof err, NULL), 0);
			fp = NULL;
		} else {
			ck_assert_int_eq(pipe(pfd), 0);
			ck_assert_int_eq(write(pfd[1], w.file.p, w.file.n),
			    (int)w.file.n);
			close(pfd[1]);
			fp = fdopen(pfd[0], "rb");
			ck_assert_int_eq(dt_reader_open_fp(&r, &m, fp, err,
			    sizeof err, NULL), 0);
		}
		ck_assert_str_eq(dt_reader_format(r), "etl");
		for (n = 0; dt_reader_next(r, &p) == 0; n++)
			;
		ck_assert_int_eq(n, 4);
		ck_assert_ptr_null(dt_reader_error(r, NULL));
		dt_reader_close(r);
		if (fp != NULL)
			fclose(fp);
		ck_assert_uint_eq(m.used, 0);
	}
	unlink(path);
	etlw_free(&w);
}
END_TEST

struct failing {
	int left;
};

static void *
failing_alloc(void *ud, void *ptr, size_t size)
{
	struct failing *f = ud;

	if (size == 0) {
		free(ptr);
		return NULL;
	}
	if (f->left-- <= 0)
		return NULL;
	return realloc(ptr, size);
}

/* Allocation failure at every allocation: an error, never a leak. */
START_TEST(test_alloc_failure)
{
	struct etlw w;
	int k, done = 0;

	etlw_init(&w);
	write_pktmon(&w, 1);
	for (k = 0; k < 100 && !done; k++) {
		struct failing f = { k };
		struct dt_mem m;
		struct dt_reader *r;
		struct dt_packet p;
		char err[256];
		int n = 0, rc;

		dt_mem_init(&m, failing_alloc, &f, 0);
		rc = dt_reader_open_mem(&r, &m, w.file.p, w.file.n, err,
		    sizeof err, NULL);
		if (rc == 0) {
			while (dt_reader_next(r, &p) == 0)
				n++;
			if (dt_reader_error(r, NULL) == NULL) {
				ck_assert_int_eq(n, 4);
				done = 1;
			} else {
				ck_assert_str_eq(dt_reader_error(r, NULL),
				    "out of memory");
			}
			dt_reader_close(r);
		} else {
			ck_assert_int_eq(rc, DT_ENOMEM);
		}
		ck_assert_uint_eq(m.used, 0);
	}
	ck_assert(done);
	etlw_free(&w);
}
END_TEST



/* Extended data items, chained by Linkage, in both public readings. */
START_TEST(test_extended_items)
{
	static const uint8_t sid[12] = { 1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0 };
	struct etlw_ext ext[3] = {
		{ 5, sid, 12 }, { 8, "\x01\x00\x00\x00\x02", 5 },
		{ 13, "\x01\x02\x03\x04\x05\x06\x07\x08", 8 },
	};
	struct etlw w;
	struct got g;
	uint8_t a[70];
	size_t at;

	etlw_init(&w);
	etlw_header(&w, 0);
	etlw_frame(a, sizeof a, 1);
	etlw_ndis_1001(&w, 7, 7, KW_IN, a, sizeof a, 1 * MS, 1, ext, 3);
	w.ext_sized = 1;
	etlw_frame(a, sizeof a, 2);
	etlw_ndis_1001(&w, 7, 7, KW_IN, a, sizeof a, 2 * MS, 1, ext, 3);
	/* an item claiming more data than the event holds */
	at = w.recs.n;
	etlw_frame(a, sizeof a, 3);
	etlw_ndis_1001(&w, 7, 7, KW_IN, a, sizeof a, 3 * MS, 1, ext, 1);
	w.recs.p[at + 0x50] = 0;
	w.recs.p[at + 0x51] = 0;
	w.recs.p[at + 0x56] = 0xf0;
	w.recs.p[at + 0x57] = 0xff;
	etlw_frame(a, sizeof a, 4);
	etlw_ndis_1001(&w, 7, 7, KW_IN, a, sizeof a, 4 * MS, 1, NULL, 0);
	etlw_flush(&w, 1, 0, 0, 0);
	seed("extended.etl", w.file.p, w.file.n);
	ck_assert_int_eq(read_all(w.file.p, w.file.n, &g), 0);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.r[0].data[19], 1);
	ck_assert_uint_eq(g.r[1].data[19], 2);
	ck_assert_uint_eq(g.r[2].data[19], 4);
	ck_assert_uint_eq(g.r[1].caplen, sizeof a);
	ck_assert_uint_eq(g.n_warn, 1);
	ck_assert(has_warning(&g, "extended data runs past the event; event "
	    "skipped"));
	got_free(&g);
	etlw_free(&w);
}
END_TEST


/* 100 MB of packets read in bounded memory; disorder past the window is
   told, not hidden. */
START_TEST(test_bounded_memory)
{
	enum { N = 1700, LEN = 60000 };
	struct etlw w;
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	struct got g;
	char err[256];
	uint8_t *f = malloc(LEN);
	int64_t last = 0;
	unsigned back = 0, n = 0, i;

	ck_assert_ptr_nonnull(f);
	etlw_init(&w);
	etlw_header(&w, 3600 * UINT64_C(1000000000));
	for (i = 0; i < N; i++) {
		etlw_frame(f, LEN, i);
		etlw_ndis_1001(&w, 7, 7, KW_IN, f, LEN, (i + 1) * MS, 1,
		    NULL, 0);
		etlw_flush(&w, 0, 0, 0, 0);
	}
	etlw_frame(f, LEN, 9999);
	etlw_ndis_1001(&w, 7, 7, KW_IN, f, LEN, MS / 2, 1, NULL, 0);
	etlw_flush(&w, 0, 0, 0, 0);
	ck_assert_uint_gt(w.file.n, (size_t)N * LEN);
	memset(&g, 0, sizeof g);
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_mem(&r, &m, w.file.p, w.file.n, err,
	    sizeof err, NULL), 0);
	dt_reader_set_warn(r, on_warn, &g);
	while (dt_reader_next(r, &p) == 0) {
		ck_assert_uint_eq(p.caplen, LEN);
		back += p.time < last;
		last = p.time;
		n++;
	}
	ck_assert_ptr_null(dt_reader_error(r, NULL));
	dt_reader_close(r);
	ck_assert_uint_eq(n, N + 1);
	ck_assert_uint_eq(back, 1);
	ck_assert_uint_eq(g.n_warn, 1);
	ck_assert(has_warning(&g, "out of time order by more than the 64 MiB "
	    "reorder window"));
	ck_assert_uint_lt(m.peak, DT_ETL_WINDOW + (8u << 20));
	ck_assert_uint_eq(m.used, 0);
	free(f);
	etlw_free(&w);
}
END_TEST

/* ---- the pcapng twin: same packets, same analysis ------------------------ */

#define SCENARIOS TESTDATA_DIR "/scenarios/"

struct twin {
	struct etlw w;
	struct etlw_vec ng;
	size_t n;
};

/* JSON of one capture through the public API; "format" made neutral. */
static char *
analyze_json(const void *buf, size_t len, const char *format)
{
	dt_analyzer *a;
	dt_options o;
	char *out = NULL, *res, *at, key[64];
	size_t n;

	dt_options_init(&o);
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_mem(a, "twin", buf, len), 0);
	ck_assert_int_eq(dt_write_buffer(a, "json", 0, &out, &n), 0);
	res = strdup(out);
	dt_buffer_free(out);
	dt_analyzer_free(a);
	snprintf(key, sizeof key, "\"format\": \"%s\"", format);
	at = strstr(res, key);
	ck_assert_msg(at != NULL, "no %s in %s", key, res);
	/* "format": "etl" -> "format": "*" */
	at[11] = '*';
	memmove(at + 12, at + 11 + strlen(format),
	    strlen(at + 11 + strlen(format)) + 1);
	return res;
}

/*
 * A scenario pcap rewritten as an ETL file (mode 0: netsh, one event per
 * packet, buffers written out of time order; 1: netsh, packets over 200
 * bytes in two fragments, compressed; 2: pktmon, compressed) and as a
 * pcapng with the same packets, interfaces, times and directions.
 */
static void
twin_build(struct twin *t, const char *path, int mode)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	struct etlw_vec late = { NULL, 0, 0 };
	char err[256];
	uint8_t mac[6];
	int64_t start = 0;
	size_t half = 0, at;
	int dir;

	memset(t, 0, sizeof *t);
	etlw_init(&t->w);
	etlw_ng_shb(&t->ng);
	etlw_ng_idb(&t->ng, 1, mode == 2 ? "nic.sys / Test Adapter" : "eth:7");
	dt_mem_init(&m, NULL, NULL, 0);
	/* count first: the second half is written before the first */
	ck_assert_int_eq(dt_reader_open_file(&r, &m, path, err, sizeof err,
	    NULL), 0);
	while (dt_reader_next(r, &p) == 0)
		t->n++;
	dt_reader_close(r);
	ck_assert_uint_gt(t->n, 4);
	ck_assert_int_eq(dt_reader_open_file(&r, &m, path, err, sizeof err,
	    NULL), 0);
	while (dt_reader_next(r, &p) == 0) {
		uint64_t rel;

		ck_assert_int_eq(p.linktype, 1);
		ck_assert_uint_eq(p.caplen, p.origlen);
		if (start == 0) {
			start = p.time - p.time % 1000000000;
			t->w.start_ft = ETLW_FT_1970 + (uint64_t)(start / 100);
			etlw_header(&t->w, 3600 * UINT64_C(1000000000));
			memcpy(mac, p.data + 6, 6);
			if (mode == 2)
				etlw_pm_component(&t->w, 5, 2, "nic.sys",
				    "Test Adapter", 0);
		}
		rel = (uint64_t)(p.time - start);
		dir = memcmp(p.data + 6, mac, 6) == 0 ? 2 : 1;
		if (mode == 2) {
			struct etlw_pm pm;

			memset(&pm, 0, sizeof pm);
			pm.group = 4242;
			pm.number = (uint16_t)half;
			pm.appearance = 1;
			pm.dirtag = dir == 2 ? 4 : 3;
			pm.ptype = 1;
			pm.comp = 5;
			etlw_pm_packet(&t->w, 0, &pm, p.data, (uint16_t)p.caplen,
			    rel);
		} else {
			uint64_t kw = ETLW_KW_ETH | (dir == 2 ? ETLW_KW_SEND :
			    ETLW_KW_RECV);

			if (mode == 1 && p.caplen > 200) {
				etlw_ndis_1001(&t->w, 7, 7, kw | ETLW_KW_START,
				    p.data, 200, rel, 1, NULL, 0);
				etlw_ndis_1001(&t->w, 7, 7, kw | ETLW_KW_END,
				    p.data + 200, p.caplen - 200, rel + 100, 1,
				    NULL, 0);
			} else {
				etlw_ndis_1001(&t->w, 7, 7, kw | ETLW_KW_START |
				    ETLW_KW_END, p.data, p.caplen, rel, 1,
				    NULL, 0);
			}
		}
		etlw_ng_epb(&t->ng, 0, (uint64_t)p.time, p.data, p.caplen,
		    p.origlen, dir);
		if (++half == t->n / 2) {
			/* first half: kept aside, written last */
			at = t->w.file.n;
			etlw_flush(&t->w, mode != 0, 0, 0, 0);
			etlw_put(&late, t->w.file.p + at, t->w.file.n - at);
			t->w.file.n = at;
		}
	}
	ck_assert_ptr_null(dt_reader_error(r, NULL));
	dt_reader_close(r);
	etlw_flush(&t->w, mode != 0, 4096, 0, 0);
	etlw_put(&t->w.file, late.p, late.n);
	free(late.p);
}

/* Equal, or the first line that differs in the failure message. */
static void
json_same(const char *a, const char *b)
{
	size_t i = 0, line = 0, ls = 0;
	char la[120], lb[120];

	while (a[i] != '\0' && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			ls = i + 1;
		}
		i++;
	}
	if (a[i] == '\0' && b[i] == '\0')
		return;
	snprintf(la, sizeof la, "%.*s", (int)strcspn(a + ls, "\n"), a + ls);
	snprintf(lb, sizeof lb, "%.*s", (int)strcspn(b + ls, "\n"), b + ls);
	ck_abort_msg("JSON differs at line %zu: etl '%s' pcapng '%s'",
	    line + 1, la, lb);
}

/* What only an ETL file has: its records by provider (events stage). */
static void
strip_events(char *json)
{
	char *a = strstr(json, "\"event_providers\": [");
	char *b = a != NULL ? strstr(a, "\"system_records\": ") : NULL;
	char *e;

	if (b == NULL)
		return;
	while (a > json && a[-1] == ' ')
		a--;
	e = strchr(b, '\n');
	memmove(a, e + 1, strlen(e + 1) + 1);
}

START_TEST(test_twin_json)
{
	static const char *const files[] = {
		SCENARIOS "ok-null-openssl.pcap",
		SCENARIOS "null-absent-alert-openssl.pcap",
		SCENARIOS "client-cert-rejected-openssl.pcap",
	};
	const char *path = files[_i % 3];
	int mode = _i / 3;
	struct twin t;
	struct got g;
	char *je, *jn;

	if (!tu_exists(path))
		return;
	twin_build(&t, path, mode);
	/* the reader gives the pcapng's packets, in its order */
	ck_assert_int_eq(read_all(t.w.file.p, t.w.file.n, &g), 0);
	ck_assert_uint_eq(g.n_warn, 0);
	ck_assert_uint_eq(g.n, t.n);
	ck_assert_uint_eq(distinct(&g), t.n);
	got_free(&g);
	je = analyze_json(t.w.file.p, t.w.file.n, "etl");
	jn = analyze_json(t.ng.p, t.ng.n, "pcapng");
	ck_assert_ptr_nonnull(strstr(je, "\"event_providers\": ["));
	strip_events(je);
	json_same(je, jn);
	/* a real analysis: a connection and a verdict with evidence */
	ck_assert_ptr_nonnull(strstr(je, "\"client\": \"198.18.1.100:"));
	ck_assert_ptr_nonnull(strstr(je, "\"frames\": [\n"));
	free(je);
	free(jn);
	free(t.ng.p);
	etlw_free(&t.w);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

static Suite *
etl_suite(void)
{
	Suite *s = suite_create("etl");
	TCase *tc = tcase_create("etl");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pktmon_sample_golden);
	tcase_add_test(tc, test_xpress_spec_example);
	tcase_add_test(tc, test_xpress_matches_and_errors);
	tcase_add_test(tc, test_pktmon_written);
	tcase_add_test(tc, test_pktmon_short_medium);
	tcase_add_test(tc, test_ndis_written);
	tcase_add_loop_test(tc, test_ndis_wifi_and_ethernet_once, 0, 2);
	tcase_add_test(tc, test_pktmon_appearance0_by_bytes);
	tcase_add_test(tc, test_pktmon_appearance0_interleaved);
	tcase_add_test(tc, test_pktmon_appearance0_far_times);
	tcase_add_test(tc, test_pktmon_appearance0_big_batch);
	tcase_add_test(tc, test_events_every_record);
	tcase_add_test(tc, test_events_without_packets);
	tcase_add_test(tc, test_header_32bit);
	tcase_add_test(tc, test_clock_types);
	tcase_add_test(tc, test_circular_out_of_order);
	tcase_add_test(tc, test_unknown_header_kinds);
	tcase_add_test(tc, test_bad_records_abandon_buffer);
	tcase_add_test(tc, test_truncated_and_not_etl);
	tcase_add_test(tc, test_cut_compressed);
	tcase_add_test(tc, test_no_packets_why);
	tcase_add_test(tc, test_file_and_pipe);
	tcase_add_test(tc, test_alloc_failure);
	tcase_add_test(tc, test_extended_items);
	tcase_add_test(tc, test_bounded_memory);
	tcase_add_loop_test(tc, test_twin_json, 0, 9);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(etl_suite)
