/*
 * capture/: the readers. Hand-built bytes for every malformed case (pcap
 * cut mid-record, pcapng block lengths that lie, bad versions, options
 * past their block), the pcapng features one at a time (sections in both
 * byte orders, interfaces of different link types, EPB/SPB/PB, options,
 * if_tsresol, pktmon comments and duplicates), the committed real files in
 * testdata/formats/ (made by testdata/gen/formats.sh) with their packet
 * counts, every capture of the shared corpus, BPF filters per link type,
 * and allocation failure at every allocation.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/capture_int.h"
#include "datrace.h"
#include "testutil.h"
#include "util/mem.h"

#define FORMATS TESTDATA_DIR "/formats/"

/* ---- a byte builder for captures ---------------------------------------- */

struct bb {
	uint8_t b[8192];
	size_t n;
	int be;
};

static void
put8(struct bb *b, unsigned v)
{
	ck_assert_uint_lt(b->n, sizeof b->b);
	b->b[b->n++] = (uint8_t)v;
}

static void
put16(struct bb *b, unsigned v)
{
	if (b->be) {
		put8(b, v >> 8);
		put8(b, v);
	} else {
		put8(b, v);
		put8(b, v >> 8);
	}
}

static void
put32(struct bb *b, uint32_t v)
{
	if (b->be) {
		put16(b, v >> 16);
		put16(b, v & 0xffff);
	} else {
		put16(b, v & 0xffff);
		put16(b, v >> 16);
	}
}

static void
put64(struct bb *b, uint64_t v)
{
	if (b->be) {
		put32(b, (uint32_t)(v >> 32));
		put32(b, (uint32_t)v);
	} else {
		put32(b, (uint32_t)v);
		put32(b, (uint32_t)(v >> 32));
	}
}

static void
putbytes(struct bb *b, const void *p, size_t n)
{
	ck_assert_uint_le(b->n + n, sizeof b->b);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void
pad4(struct bb *b)
{
	while (b->n % 4 != 0)
		put8(b, 0);
}

static void
set32(struct bb *b, size_t at, uint32_t v)
{
	size_t save = b->n;

	b->n = at;
	put32(b, v);
	b->n = save;
}

static size_t
blk_begin(struct bb *b, uint32_t type)
{
	size_t at = b->n;

	put32(b, type);
	put32(b, 0);
	return at;
}

static void
blk_end(struct bb *b, size_t at)
{
	uint32_t len;

	pad4(b);
	len = (uint32_t)(b->n - at + 4);
	put32(b, len);
	set32(b, at + 4, len);
}

static void
opt(struct bb *b, unsigned code, const void *val, size_t len)
{
	put16(b, code);
	put16(b, (unsigned)len);
	putbytes(b, val, len);
	pad4(b);
}

static void
opt_str(struct bb *b, unsigned code, const char *s)
{
	opt(b, code, s, strlen(s));
}

static void
opt_end(struct bb *b)
{
	put32(b, 0);
}

static void
shb(struct bb *b, int be, unsigned major, unsigned minor)
{
	size_t at;

	b->be = be;
	at = blk_begin(b, 0x0a0d0d0a);
	put32(b, 0x1a2b3c4d);
	put16(b, major);
	put16(b, minor);
	put64(b, UINT64_MAX);
	blk_end(b, at);
}

/* An IDB with optional if_tsresol (-1: none) and if_name (NULL: none). */
static void
idb(struct bb *b, int linktype, uint32_t snaplen, int tsresol,
    const char *name)
{
	size_t at = blk_begin(b, 1);
	uint8_t r;

	put16(b, (unsigned)linktype);
	put16(b, 0);
	put32(b, snaplen);
	if (tsresol >= 0 || name != NULL) {
		if (tsresol >= 0) {
			r = (uint8_t)tsresol;
			opt(b, 9, &r, 1);
		}
		if (name != NULL)
			opt_str(b, 2, name);
		opt_end(b);
	}
	blk_end(b, at);
}

/* EPB fixed part and data; the caller adds options and calls blk_end. */
static size_t
epb_begin(struct bb *b, uint32_t ifid, uint64_t ts, const void *data,
    uint32_t caplen, uint32_t origlen)
{
	size_t at = blk_begin(b, 6);

	put32(b, ifid);
	put32(b, (uint32_t)(ts >> 32));
	put32(b, (uint32_t)ts);
	put32(b, caplen);
	put32(b, origlen);
	putbytes(b, data, caplen);
	pad4(b);
	return at;
}

static void
epb(struct bb *b, uint32_t ifid, uint64_t ts, const void *data, uint32_t len)
{
	blk_end(b, epb_begin(b, ifid, ts, data, len, len));
}

/* Classic pcap header. */
static void
pcap_hdr(struct bb *b, int be, uint32_t magic, int linktype)
{
	b->be = be;
	put32(b, magic);
	put16(b, 2);
	put16(b, 4);
	put32(b, 0);
	put32(b, 0);
	put32(b, 65535);
	put32(b, (uint32_t)linktype);
}

static void
pcap_rec(struct bb *b, uint32_t sec, uint32_t frac, const void *data,
    uint32_t len)
{
	put32(b, sec);
	put32(b, frac);
	put32(b, len);
	put32(b, len);
	putbytes(b, data, len);
}

static const uint8_t pkt60[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    1, 2, 3, 4, 5, 6, 0x08, 0x00, 0x45 };

/* ---- reading helpers ------------------------------------------------------ */

struct warns {
	int n;
	uint64_t off[8];
	char msg[8][256];
};

static void
on_warn(void *payload, uint64_t off, const char *msg)
{
	struct warns *w = payload;

	if (w->n < 8) {
		w->off[w->n] = off;
		snprintf(w->msg[w->n], sizeof w->msg[0], "%s", msg);
	}
	w->n++;
}

struct run {
	struct dt_mem m;
	struct dt_reader *r;
	struct warns w;
	int rc;
	char errbuf[256];
	uint64_t erroff;
	struct dt_packet pkt[32];
	char iface_name[32][32];	/* copied: valid until the next call */
	size_t n;			/* packets read */
	const char *err;
	uint64_t err_off;
};

/* Opens buf, reads every packet (first 32 kept, data not), closes. */
static void
run_mem(struct run *x, const void *buf, size_t len)
{
	struct dt_packet p;

	memset(x, 0, sizeof *x);
	dt_mem_init(&x->m, NULL, NULL, 0);
	x->erroff = 99;
	x->rc = dt_reader_open_mem(&x->r, &x->m, buf, len, x->errbuf,
	    sizeof x->errbuf, &x->erroff);
	if (x->rc != 0) {
		ck_assert_ptr_null(x->r);
		ck_assert_uint_eq(x->m.used, 0);
		return;
	}
	dt_reader_set_warn(x->r, on_warn, &x->w);
	while (dt_reader_next(x->r, &p) == 0) {
		ck_assert_uint_eq(p.frame, x->n + 1);
		if (x->n < 32) {
			x->pkt[x->n] = p;
			snprintf(x->iface_name[x->n], sizeof x->iface_name[0],
			    "%s", p.iface_name ? p.iface_name : "(null)");
		}
		x->n++;
	}
	/* a failed reader stays failed */
	ck_assert_int_eq(dt_reader_next(x->r, &p), DT_ITEROVER);
	x->err = dt_reader_error(x->r, &x->err_off);
}

static void
run_done(struct run *x)
{
	dt_reader_close(x->r);
	ck_assert_uint_eq(x->m.used, 0);
}

/* ---- format detection ---------------------------------------------------- */

START_TEST(test_empty_file)
{
	struct run x;

	run_mem(&x, "", 0);
	ck_assert_int_eq(x.rc, DT_EFORMAT);
	ck_assert_str_eq(x.errbuf, "offset 0: empty file");
	ck_assert_uint_eq(x.erroff, 0);
}
END_TEST

START_TEST(test_unknown_magic)
{
	static const char *inputs[] = { "GET / HTTP/1.1\r\n\r\n", "ab",
	    "\x0a\x0d\x0d" };
	struct run x;
	size_t i;

	for (i = 0; i < 3; i++) {
		run_mem(&x, inputs[i], strlen(inputs[i]));
		ck_assert_int_eq(x.rc, DT_EFORMAT);
		ck_assert_str_eq(x.errbuf,
		    "offset 0: not a capture file (pcap, pcapng, etl)");
	}
}
END_TEST

/* The probe front ends use to tell captures from other files in folders
   and archives answers as the reader does: each testdata format by name,
   the inputs the reader refuses as none. */
START_TEST(test_format_probe)
{
	static const struct {
		const char *path, *want;
	} files[] = {
		{ "testdata/formats/pcap-le-usec.pcap", "pcap" },
		{ "testdata/formats/pcap-be-usec.pcap", "pcap" },
		{ "testdata/formats/pcap-nsec.pcap", "pcap" },
		{ "testdata/formats/pcapng-sections.pcapng", "pcapng" },
	};
	static const char *none[] = { "GET / HTTP/1.1\r\n\r\n", "ab",
	    "\x0a\x0d\x0d" };
	unsigned char *buf;
	size_t i, len = 0;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		buf = tu_slurp(files[i].path, &len);
		ck_assert_ptr_nonnull(buf);
		ck_assert_str_eq(dt_capture_format_probe(buf, len),
		    files[i].want);
		free(buf);
	}
	for (i = 0; i < 3; i++)
		ck_assert_ptr_null(dt_capture_format_probe(none[i],
		    strlen(none[i])));
	ck_assert_ptr_null(dt_capture_format_probe(NULL, 0));
}
END_TEST

START_TEST(test_open_missing_file)
{
	struct dt_mem m;
	struct dt_reader *r = (struct dt_reader *)1;
	char eb[256];
	uint64_t eo = 7;

	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_file(&r, &m, "/nonexistent/x.pcap",
	    eb, sizeof eb, &eo), DT_EIO);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(eb, "offset 0: cannot open: No such file or "
	    "directory");
	ck_assert_uint_eq(eo, 0);
	ck_assert_int_eq(dt_reader_open_file(&r, &m, "/", eb, sizeof eb,
	    &eo), DT_EIO);
	ck_assert_uint_eq(m.used, 0);
}
END_TEST

/* ---- classic pcap --------------------------------------------------------- */

START_TEST(test_pcap_le_be_nsec)
{
	struct bb b;
	struct run x;
	int be;

	for (be = 0; be <= 1; be++) {
		memset(&b, 0, sizeof b);
		pcap_hdr(&b, be, 0xa1b2c3d4, 1);
		pcap_rec(&b, 1700000000, 123456, pkt60, 60);
		pcap_rec(&b, 1700000001, 999999, pkt60, 42);
		run_mem(&x, b.b, b.n);
		ck_assert_int_eq(x.rc, 0);
		ck_assert_str_eq(dt_reader_format(x.r), "pcap");
		ck_assert_uint_eq(x.n, 2);
		ck_assert_ptr_null(x.err);
		ck_assert_int_eq(x.pkt[0].time, 1700000000123456000LL);
		ck_assert_int_eq(x.pkt[1].time, 1700000001999999000LL);
		ck_assert_int_eq(x.pkt[0].linktype, 1);
		ck_assert_uint_eq(x.pkt[1].caplen, 42);
		ck_assert_uint_eq(x.pkt[0].offset, 24);
		ck_assert_uint_eq(x.pkt[1].offset, 24 + 16 + 60);
		ck_assert_uint_eq(dt_reader_pos(x.r), b.n);
		ck_assert_uint_eq(dt_reader_size(x.r), b.n);
		run_done(&x);

		/* nanosecond magic keeps the nanoseconds */
		memset(&b, 0, sizeof b);
		pcap_hdr(&b, be, 0xa1b23c4d, 101);
		pcap_rec(&b, 1700000000, 123456789, pkt60, 20);
		run_mem(&x, b.b, b.n);
		ck_assert_int_eq(x.rc, 0);
		ck_assert_uint_eq(x.n, 1);
		ck_assert_int_eq(x.pkt[0].time, 1700000000123456789LL);
		ck_assert_int_eq(x.pkt[0].linktype, 101);	/* not DLT_RAW */
		run_done(&x);

		/* the seconds are unsigned (good to 2106): 2038-01-19
		   03:14:08 UTC is not 1901, nor the last second 1969 */
		memset(&b, 0, sizeof b);
		pcap_hdr(&b, be, 0xa1b2c3d4, 1);
		pcap_rec(&b, 0x80000000u, 1, pkt60, 60);
		pcap_rec(&b, 0xffffffffu, 999999, pkt60, 60);
		run_mem(&x, b.b, b.n);
		ck_assert_int_eq(x.rc, 0);
		ck_assert_uint_eq(x.n, 2);
		ck_assert_int_eq(x.pkt[0].time, 2147483648000001000LL);
		ck_assert_int_eq(x.pkt[1].time, 4294967295999999000LL);
		run_done(&x);
	}
}
END_TEST

START_TEST(test_pcap_cut_mid_record)
{
	struct bb b;
	struct run x;

	memset(&b, 0, sizeof b);
	pcap_hdr(&b, 0, 0xa1b2c3d4, 1);
	pcap_rec(&b, 1, 0, pkt60, 60);
	pcap_rec(&b, 2, 0, pkt60, 60);
	run_mem(&x, b.b, b.n - 10);		/* second record's data cut */
	ck_assert_int_eq(x.rc, 0);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_ptr_nonnull(x.err);
	ck_assert_uint_eq(x.err_off, 24 + 76);
	ck_assert_str_eq(x.err, "the file is cut short: truncated dump file; "
	    "tried to read 60 captured bytes, only got 50");
	run_done(&x);

	run_mem(&x, b.b, 24 + 76 + 5);		/* second record's header cut */
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(x.err_off, 24 + 76);
	ck_assert_str_eq(x.err, "the file is cut short: truncated dump file; "
	    "tried to read 16 header bytes, only got 5");
	run_done(&x);
}
END_TEST

/* Records longer than the header's snaplen: libpcap cuts them to it but
   the next record's offset must still be right. */
START_TEST(test_pcap_record_beyond_snaplen)
{
	struct bb b;
	struct run x;

	memset(&b, 0, sizeof b);
	pcap_hdr(&b, 0, 0xa1b2c3d4, 1);
	set32(&b, 16, 40);			/* snaplen 40 */
	pcap_rec(&b, 1, 0, pkt60, 60);
	pcap_rec(&b, 2, 0, pkt60, 20);
	pcap_rec(&b, 3, 0, pkt60, 60);
	run_mem(&x, b.b, b.n - 1);
	ck_assert_int_eq(x.rc, 0);
	ck_assert_uint_eq(x.n, 2);
	ck_assert_uint_eq(x.pkt[0].caplen, 40);
	ck_assert_uint_eq(x.pkt[0].origlen, 60);
	ck_assert_uint_eq(x.pkt[1].offset, 24 + 76);
	ck_assert_uint_eq(x.err_off, 24 + 76 + 36);
	ck_assert_ptr_nonnull(x.err);
	run_done(&x);
}
END_TEST

START_TEST(test_pcap_bad_header)
{
	struct bb b;
	struct run x;

	memset(&b, 0, sizeof b);
	pcap_hdr(&b, 0, 0xa1b2c3d4, 1);
	b.b[4] = 1;				/* version 1.4 */
	run_mem(&x, b.b, b.n);
	ck_assert_int_eq(x.rc, DT_EFORMAT);
	ck_assert_str_eq(x.errbuf, "offset 0: archaic pcap savefile format");

	run_mem(&x, b.b, 10);			/* header cut */
	ck_assert_int_eq(x.rc, DT_EFORMAT);
	ck_assert_msg(strncmp(x.errbuf, "offset 0: truncated dump file",
	    29) == 0, "%s", x.errbuf);
}
END_TEST

/* ---- pcapng: malformed blocks --------------------------------------------- */

/* SHB + IDB + one EPB: the packet before the broken block. */
static void
ng_prefix(struct bb *b, int be)
{
	memset(b, 0, sizeof *b);
	shb(b, be, 1, 0);
	idb(b, 1, 0, -1, NULL);
	epb(b, 0, 1000000, pkt60, 60);
}

START_TEST(test_pcapng_len_not_multiple_of_4)
{
	struct bb b;
	struct run x;
	size_t at;

	ng_prefix(&b, 0);
	at = b.n;
	epb(&b, 0, 2000000, pkt60, 60);
	set32(&b, at + 4, 13);
	run_mem(&x, b.b, b.n);
	ck_assert_int_eq(x.rc, 0);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(x.err_off, at);
	ck_assert_str_eq(x.err, "pcapng block length 13 is not a multiple "
	    "of 4");
	run_done(&x);
}
END_TEST

START_TEST(test_pcapng_len_past_end)
{
	struct bb b;
	struct run x;
	size_t at;

	ng_prefix(&b, 0);
	at = b.n;
	epb(&b, 0, 2000000, pkt60, 60);
	run_mem(&x, b.b, b.n - 8);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(x.err_off, at);
	ck_assert_str_eq(x.err, "the file is cut short: pcapng block length 92 "
	    "runs past the end of the file (84 bytes left)");
	run_done(&x);

	/* 1..11 bytes of a block header at the end */
	run_mem(&x, b.b, at + 5);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(x.err_off, at);
	ck_assert_str_eq(x.err, "the file is cut short: truncated pcapng "
	    "block: only 5 bytes left, a block has at least 12");
	run_done(&x);
}
END_TEST

START_TEST(test_pcapng_trailing_mismatch)
{
	struct bb b;
	struct run x;
	size_t at;

	ng_prefix(&b, 1);			/* big-endian section */
	at = b.n;
	epb(&b, 0, 2000000, pkt60, 60);
	set32(&b, b.n - 4, 100);
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(x.err_off, at);
	ck_assert_str_eq(x.err, "pcapng block length 92 differs from its "
	    "trailing copy 100");
	run_done(&x);
}
END_TEST

START_TEST(test_pcapng_len_too_small_or_big)
{
	struct bb b;
	struct run x;
	size_t at;

	ng_prefix(&b, 0);
	at = b.n;
	epb(&b, 0, 2000000, pkt60, 60);
	set32(&b, at + 4, 8);
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_str_eq(x.err, "pcapng block length 8 is less than 12");
	run_done(&x);

	set32(&b, at + 4, 0x7ffffffc);
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_str_eq(x.err, "pcapng block length 2147483644 is more than "
	    "the 64 MiB limit");
	ck_assert_uint_lt(x.m.peak, 1024 * 1024);	/* never allocated */
	run_done(&x);
}
END_TEST

START_TEST(test_pcapng_shb_bad_version)
{
	struct bb b;
	struct run x;
	size_t at;

	memset(&b, 0, sizeof b);
	shb(&b, 0, 2, 0);
	run_mem(&x, b.b, b.n);
	ck_assert_int_eq(x.rc, DT_EFORMAT);
	ck_assert_str_eq(x.errbuf, "offset 0: unsupported pcapng version 2.0");

	/* a later section with a bad version ends the file there */
	ng_prefix(&b, 0);
	at = b.n;
	shb(&b, 1, 0, 1);
	idb(&b, 1, 0, -1, NULL);
	epb(&b, 0, 1, pkt60, 60);
	run_mem(&x, b.b, b.n);
	ck_assert_int_eq(x.rc, 0);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(x.err_off, at);
	ck_assert_str_eq(x.err, "unsupported pcapng version 0.1");
	run_done(&x);

	/* a byte-order magic that is neither */
	memset(&b, 0, sizeof b);
	shb(&b, 0, 1, 0);
	b.b[8] = 0x11;
	run_mem(&x, b.b, b.n);
	ck_assert_int_eq(x.rc, DT_EFORMAT);
	ck_assert_str_eq(x.errbuf, "offset 0: pcapng section header "
	    "byte-order magic 0x113c2b1a is not 0x1a2b3c4d");
}
END_TEST

START_TEST(test_pcapng_option_past_block)
{
	struct bb b;
	struct run x;
	size_t at, at2;

	ng_prefix(&b, 0);
	at = epb_begin(&b, 0, 2000000, pkt60, 60, 60);
	put16(&b, 1);			/* opt_comment ... */
	put16(&b, 200);			/* ... longer than what is left */
	putbytes(&b, "abcd", 4);
	blk_end(&b, at);
	at2 = b.n;
	epb(&b, 0, 3000000, pkt60, 60);
	run_mem(&x, b.b, b.n);
	ck_assert_int_eq(x.rc, 0);
	ck_assert_uint_eq(x.n, 3);		/* a warning, not fatal */
	ck_assert_ptr_null(x.err);
	ck_assert_int_eq(x.w.n, 1);
	ck_assert_uint_eq(x.w.off[0], at);
	ck_assert_str_eq(x.w.msg[0], "pcapng EPB option 1: length 200 runs "
	    "past the block");
	ck_assert_ptr_null(x.pkt[1].comment);
	ck_assert_uint_eq(x.pkt[2].offset, at2);
	run_done(&x);
}
END_TEST

START_TEST(test_pcapng_bad_interface_and_caplen)
{
	struct bb b;
	struct run x;
	size_t at;

	ng_prefix(&b, 0);
	at = b.n;
	epb(&b, 3, 2000000, pkt60, 60);
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(x.err_off, at);
	ck_assert_str_eq(x.err, "pcapng EPB names interface 3, but the "
	    "section has 1");
	run_done(&x);

	ng_prefix(&b, 0);
	at = b.n;
	blk_end(&b, epb_begin(&b, 0, 2000000, pkt60, 60, 60));
	set32(&b, at + 20, 61);			/* caplen > data */
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_str_eq(x.err, "pcapng EPB captured length 61 runs past "
	    "the block");
	run_done(&x);
}
END_TEST

/* ---- pcapng: features ----------------------------------------------------- */

START_TEST(test_pcapng_sections_and_linktypes)
{
	struct bb b;
	struct run x;

	memset(&b, 0, sizeof b);
	shb(&b, 0, 1, 0);
	idb(&b, 1, 0, -1, "eth0");
	idb(&b, 101, 0, -1, "tun0");
	epb(&b, 1, 5, pkt60, 20);
	epb(&b, 0, 6, pkt60, 60);
	shb(&b, 1, 1, 2);			/* big-endian section */
	idb(&b, 113, 0, -1, NULL);
	epb(&b, 0, 7, pkt60, 30);
	{
		size_t at = blk_begin(&b, 0x40000bad);	/* custom: skipped */
		put32(&b, 1234);
		blk_end(&b, at);
		at = blk_begin(&b, 5);			/* ISB: skipped */
		put32(&b, 0);
		blk_end(&b, at);
	}
	epb(&b, 1, 8, pkt60, 30);		/* interface 1 gone here */
	run_mem(&x, b.b, b.n);
	ck_assert_int_eq(x.rc, 0);
	ck_assert_str_eq(dt_reader_format(x.r), "pcapng");
	ck_assert_uint_eq(x.n, 3);
	ck_assert_int_eq(x.pkt[0].linktype, 101);
	ck_assert_uint_eq(x.pkt[0].iface, 1);
	ck_assert_str_eq(x.iface_name[0], "tun0");
	ck_assert_uint_eq(x.pkt[0].caplen, 20);
	ck_assert_int_eq(x.pkt[1].linktype, 1);
	ck_assert_uint_eq(x.pkt[1].iface, 0);
	ck_assert_str_eq(x.iface_name[1], "eth0");
	ck_assert_int_eq(x.pkt[2].linktype, 113);
	ck_assert_uint_eq(x.pkt[2].iface, 2);	/* numbered across the file */
	ck_assert_str_eq(x.iface_name[2], "(null)");
	ck_assert_int_eq(x.pkt[2].time, 7000);	/* default microseconds */
	ck_assert_ptr_nonnull(x.err);
	ck_assert_str_eq(x.err, "pcapng EPB names interface 1, but the "
	    "section has 1");
	run_done(&x);
}
END_TEST

START_TEST(test_pcapng_epb_options)
{
	static const uint64_t pid = 0x1122334455667788ull;
	uint32_t flags_in = 1, flags_out = 2 | 0x20;
	struct bb b;
	struct run x;
	size_t at;

	memset(&b, 0, sizeof b);
	shb(&b, 0, 1, 0);
	idb(&b, 1, 0, -1, NULL);
	at = epb_begin(&b, 0, 1, pkt60, 60, 1514);
	opt_str(&b, 1, "first comment");
	opt(&b, 2, &flags_in, 4);
	opt(&b, 5, &pid, 8);
	opt_str(&b, 1, "second comment");
	opt_end(&b);
	blk_end(&b, at);
	at = epb_begin(&b, 0, 2, pkt60, 60, 60);
	opt(&b, 2, &flags_out, 4);
	opt(&b, 2, &flags_out, 3);		/* bad length: a warning */
	opt_end(&b);
	blk_end(&b, at);
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 2);
	ck_assert_ptr_null(x.err);
	ck_assert_uint_eq(x.pkt[0].origlen, 1514);
	ck_assert_uint_eq(x.pkt[0].comment_len, 13);
	ck_assert(memcmp(x.pkt[0].comment, "first comment", 13) == 0);
	ck_assert_int_eq(x.pkt[0].dir, DT_DIR_IN);
	ck_assert(x.pkt[0].packet_id == pid);
	ck_assert_ptr_null(x.pkt[0].pktmon);
	ck_assert_int_eq(x.pkt[1].dir, DT_DIR_OUT);
	ck_assert_ptr_null(x.pkt[1].comment);
	ck_assert_uint_eq(x.pkt[1].packet_id, 0);
	ck_assert_int_eq(x.w.n, 1);
	ck_assert_str_eq(x.w.msg[0], "pcapng EPB flags option has length 3, "
	    "not 4");
	run_done(&x);
}
END_TEST

START_TEST(test_pcapng_tsresol)
{
	int64_t off = 100;
	struct bb b;
	struct run x;
	size_t at;

	memset(&b, 0, sizeof b);
	shb(&b, 0, 1, 0);
	idb(&b, 1, 0, 9, NULL);				/* nanoseconds */
	idb(&b, 1, 0, 0x80 | 10, NULL);			/* 2^-10 s */
	idb(&b, 1, 0, 3, NULL);				/* milliseconds */
	at = blk_begin(&b, 1);				/* if_tsoffset */
	put16(&b, 1);
	put16(&b, 0);
	put32(&b, 0);
	opt(&b, 14, &off, 8);
	opt_end(&b);
	blk_end(&b, at);
	idb(&b, 1, 0, 12, NULL);			/* picoseconds */
	epb(&b, 0, 1700000000123456789ull, pkt60, 14);
	epb(&b, 1, 1536, pkt60, 14);			/* 1.5 s */
	epb(&b, 2, 1700000000123ull, pkt60, 14);
	epb(&b, 3, 5, pkt60, 14);			/* 5 us + 100 s */
	epb(&b, 4, 2500000, pkt60, 14);			/* 2.5 us */
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 5);
	ck_assert_int_eq(x.pkt[0].time, 1700000000123456789LL);
	ck_assert_int_eq(x.pkt[1].time, 1500000000LL);
	ck_assert_int_eq(x.pkt[2].time, 1700000000123000000LL);
	ck_assert_int_eq(x.pkt[3].time, 100000005000LL);
	ck_assert_int_eq(x.pkt[4].time, 2500LL);
	ck_assert_int_eq(x.w.n, 0);
	run_done(&x);
}
END_TEST

START_TEST(test_pcapng_spb)
{
	struct bb b;
	struct run x;
	size_t at;

	memset(&b, 0, sizeof b);
	shb(&b, 1, 1, 0);
	at = blk_begin(&b, 3);				/* SPB before any IDB */
	put32(&b, 4);
	putbytes(&b, pkt60, 4);
	blk_end(&b, at);
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 0);
	ck_assert_str_eq(x.err, "pcapng SPB before any interface "
	    "description");
	run_done(&x);

	memset(&b, 0, sizeof b);
	shb(&b, 1, 1, 0);
	idb(&b, 101, 16, -1, NULL);
	at = blk_begin(&b, 3);
	put32(&b, 60);				/* origlen 60, snaplen 16 */
	putbytes(&b, pkt60, 16);
	blk_end(&b, at);
	at = blk_begin(&b, 3);
	put32(&b, 10);
	putbytes(&b, pkt60, 10);
	blk_end(&b, at);
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 2);
	ck_assert_ptr_null(x.err);
	ck_assert_uint_eq(x.pkt[0].caplen, 16);
	ck_assert_uint_eq(x.pkt[0].origlen, 60);
	ck_assert_int_eq(x.pkt[0].linktype, 101);
	ck_assert_int_eq(x.pkt[0].time, 0);
	ck_assert_uint_eq(x.pkt[1].caplen, 10);
	run_done(&x);
}
END_TEST

START_TEST(test_pcapng_obsolete_pb)
{
	uint32_t flags = 2;
	struct bb b;
	struct run x;
	size_t at;

	memset(&b, 0, sizeof b);
	shb(&b, 0, 1, 0);
	idb(&b, 1, 0, -1, NULL);
	idb(&b, 113, 0, -1, NULL);
	at = blk_begin(&b, 2);
	put16(&b, 1);			/* interface */
	put16(&b, 0);			/* drops */
	put32(&b, 0);
	put32(&b, 42);
	put32(&b, 30);
	put32(&b, 70);
	putbytes(&b, pkt60, 30);
	pad4(&b);
	opt_str(&b, 1, "old");
	opt(&b, 2, &flags, 4);
	opt_end(&b);
	blk_end(&b, at);
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_ptr_null(x.err);
	ck_assert_int_eq(x.pkt[0].linktype, 113);
	ck_assert_uint_eq(x.pkt[0].iface, 1);
	ck_assert_int_eq(x.pkt[0].time, 42000);
	ck_assert_uint_eq(x.pkt[0].caplen, 30);
	ck_assert_uint_eq(x.pkt[0].origlen, 70);
	ck_assert_uint_eq(x.pkt[0].comment_len, 3);
	ck_assert_int_eq(x.pkt[0].dir, DT_DIR_OUT);
	run_done(&x);
}
END_TEST

START_TEST(test_pcapng_warning_cap)
{
	struct bb b;
	struct run x;
	uint32_t f = 0;
	size_t at;
	int i;

	memset(&b, 0, sizeof b);
	shb(&b, 0, 1, 0);
	idb(&b, 1, 0, -1, NULL);
	for (i = 0; i < 100; i++) {
		at = epb_begin(&b, 0, 1, pkt60, 4, 4);
		opt(&b, 2, &f, 2);
		opt_end(&b);
		blk_end(&b, at);
	}
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 100);
	ck_assert_int_eq(x.w.n, DT_CAP_MAX_WARNINGS + 1);
	run_done(&x);
}
END_TEST

/* ---- pktmon --------------------------------------------------------------- */

START_TEST(test_pktmon_parse)
{
	static const char *c1 = "PktGroupId 562949953421327, PktNumber 1, "
	    "Appearance 3, Direction Tx , Type Ethernet , Component 93, "
	    "Edge 1, Filter 0, OriginalSize 66, LoggedSize 66";
	static const char *c2 = "Drop: PktGroupId 8444249301423149, "
	    "PktNumber 2, Appearance 0, Direction Rx , Type IP , Component "
	    "49, Filter 1, DropReason INET: transport endpoint was not found "
	    ", DropLocation 0xE000460A, OriginalSize 402, LoggedSize 148";
	static const char *c3 = "PktGroupId 7, PktNumber 1, Direction Rx, "
	    "Drop Reason Filtered VLAN, Drop Location 0x1";
	struct dt_pktmon_meta m;

	ck_assert_int_eq(dt_pktmon_parse(c1, strlen(c1), &m), 1);
	ck_assert(m.group_id == 562949953421327ull);
	ck_assert_uint_eq(m.pkt_number, 1);
	ck_assert_uint_eq(m.appearance, 3);
	ck_assert_int_eq(m.direction, DT_DIR_OUT);
	ck_assert_uint_eq(m.component, 93);
	ck_assert_uint_eq(m.edge, 1);
	ck_assert_int_eq(m.dropped, 0);

	ck_assert_int_eq(dt_pktmon_parse(c2, strlen(c2), &m), 1);
	ck_assert(m.group_id == 8444249301423149ull);
	ck_assert_uint_eq(m.pkt_number, 2);
	ck_assert_int_eq(m.direction, DT_DIR_IN);
	ck_assert_uint_eq(m.component, 49);
	ck_assert_int_eq(m.dropped, 1);
	ck_assert_str_eq(m.drop_reason, "INET: transport endpoint was not "
	    "found");
	ck_assert_str_eq(m.drop_location, "0xE000460A");

	ck_assert_int_eq(dt_pktmon_parse(c3, strlen(c3), &m), 1);
	ck_assert_str_eq(m.drop_reason, "Filtered VLAN");
	ck_assert_str_eq(m.drop_location, "0x1");
	ck_assert_int_eq(m.dropped, 1);

	/* only a prefix of the comment is in the buffer */
	ck_assert_int_eq(dt_pktmon_parse(c1, 16, &m), 1);
	ck_assert(m.group_id == 56294);
	ck_assert_int_eq(dt_pktmon_parse("a plain comment", 15, &m), 0);
	ck_assert_int_eq(m.present, 0);
	ck_assert_int_eq(dt_pktmon_parse("PktGroupIdx 5", 13, &m), 0);
}
END_TEST

static void
pktmon_epb(struct bb *b, const char *comment)
{
	size_t at = epb_begin(b, 0, 1, pkt60, 60, 60);

	opt_str(b, 1, comment);
	opt_end(b);
	blk_end(b, at);
}

START_TEST(test_pktmon_duplicates)
{
	struct bb b;
	struct run x;

	memset(&b, 0, sizeof b);
	shb(&b, 0, 1, 0);
	idb(&b, 1, 0, -1, "NDIS Miniport");
	pktmon_epb(&b, "PktGroupId 10, PktNumber 1, Appearance 1, "
	    "Direction Rx , Component 5");
	pktmon_epb(&b, "PktGroupId 10, PktNumber 1, Appearance 2, "
	    "Direction Rx , Component 6");
	pktmon_epb(&b, "PktGroupId 10, PktNumber 2, Appearance 1, "
	    "Direction Tx , Component 5");
	pktmon_epb(&b, "PktGroupId 0, PktNumber 1, Appearance 1, "
	    "Direction Tx , Component 5");
	pktmon_epb(&b, "PktGroupId 0, PktNumber 1, Appearance 2, "
	    "Direction Tx , Component 6");
	pktmon_epb(&b, "Drop: PktGroupId 10, PktNumber 1, Appearance 3, "
	    "Direction Rx , Component 7, DropReason Filtered , DropLocation "
	    "0x5");
	run_mem(&x, b.b, b.n);
	ck_assert_uint_eq(x.n, 6);
	ck_assert_int_eq(x.pkt[0].duplicate, 0);
	ck_assert_int_eq(x.pkt[1].duplicate, 1);
	ck_assert_int_eq(x.pkt[2].duplicate, 0);	/* another PktNumber */
	ck_assert_int_eq(x.pkt[3].duplicate, 0);	/* group 0: no key */
	ck_assert_int_eq(x.pkt[4].duplicate, 0);
	ck_assert_int_eq(x.pkt[5].duplicate, 1);
	ck_assert_int_eq(x.pkt[0].dir, DT_DIR_IN);
	ck_assert_int_eq(x.pkt[2].dir, DT_DIR_OUT);
	/* the last packet's metadata is still valid */
	ck_assert_ptr_nonnull(x.pkt[5].pktmon);
	ck_assert_int_eq(x.pkt[5].pktmon->dropped, 1);
	ck_assert_str_eq(x.pkt[5].pktmon->drop_reason, "Filtered");
	ck_assert_uint_eq(x.pkt[5].pktmon->component, 7);
	ck_assert_str_eq(x.pkt[5].pktmon->component_name, "NDIS Miniport");
	run_done(&x);
}
END_TEST

/* ---- streams -------------------------------------------------------------- */

/* The same bytes through a pipe (not seekable, size unknown). */
static void
run_pipe(const void *buf, size_t len, size_t *n, char *err, size_t errlen)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	char eb[256];
	uint64_t eo;
	const char *e;
	int fds[2];
	FILE *fp;

	ck_assert_uint_lt(len, 60000);		/* fits in the pipe */
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], buf, len), (ssize_t)len);
	close(fds[1]);
	fp = fdopen(fds[0], "rb");
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_fp(&r, &m, fp, eb, sizeof eb, &eo),
	    0);
	ck_assert_uint_eq(dt_reader_size(r), 0);
	*n = 0;
	while (dt_reader_next(r, &p) == 0)
		(*n)++;
	e = dt_reader_error(r, &eo);
	snprintf(err, errlen, "%s", e ? e : "");
	dt_reader_close(r);
	ck_assert_uint_eq(m.used, 0);
	ck_assert_int_eq(fclose(fp), 0);	/* still ours */
}

START_TEST(test_open_fp_pipe)
{
	struct bb b;
	size_t n;
	char err[256];

	memset(&b, 0, sizeof b);
	pcap_hdr(&b, 0, 0xa1b2c3d4, 1);
	pcap_rec(&b, 1, 0, pkt60, 60);
	pcap_rec(&b, 2, 0, pkt60, 60);
	run_pipe(b.b, b.n, &n, err, sizeof err);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(err, "");
	run_pipe(b.b, b.n - 3, &n, err, sizeof err);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(err, "the file is cut short: truncated dump file; "
	    "tried to read 60 captured bytes, only got 57");

	ng_prefix(&b, 1);
	epb(&b, 0, 2, pkt60, 60);
	run_pipe(b.b, b.n, &n, err, sizeof err);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(err, "");
	run_pipe(b.b, b.n - 4, &n, err, sizeof err);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(err, "the file is cut short: pcapng block length 92 "
	    "runs past the end of the file (88 bytes left)");
}
END_TEST

/* A path that names a pipe (a FIFO, bash's <(...)) is not seekable: the
   classic pcap records come through the stream, not pread (which failed
   with EBADF on the cookie stream). */
START_TEST(test_open_file_pipe_path)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	struct bb b;
	char path[64], eb[256];
	int fds[2];
	size_t n = 0;

	memset(&b, 0, sizeof b);
	pcap_hdr(&b, 0, 0xa1b2c3d4, 1);
	pcap_rec(&b, 1, 0, pkt60, 60);
	pcap_rec(&b, 2, 0, pkt60, 60);
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], b.b, b.n), (ssize_t)b.n);
	close(fds[1]);
	snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_file(&r, &m, path, eb, sizeof eb,
	    NULL), 0);
	while (dt_reader_next(r, &p) == 0)
		n++;
	ck_assert_ptr_null(dt_reader_error(r, NULL));
	ck_assert_uint_eq(n, 2);
	dt_reader_close(r);
	close(fds[0]);
	ck_assert_uint_eq(m.used, 0);
}
END_TEST

START_TEST(test_open_fp_regular_file)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	char eb[256];
	uint64_t eo;
	FILE *fp;
	size_t n = 0;

	fp = fopen(FORMATS "pcapng-two-linktypes.pcapng", "rb");
	ck_assert_ptr_nonnull(fp);
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_fp(&r, &m, fp, eb, sizeof eb, &eo), 0);
	ck_assert_uint_eq(dt_reader_size(r), 2652);
	while (dt_reader_next(r, &p) == 0)
		n++;
	ck_assert_uint_eq(n, 20);
	ck_assert_uint_eq(dt_reader_pos(r), 2652);
	dt_reader_close(r);
	fclose(fp);
	ck_assert_uint_eq(m.used, 0);
}
END_TEST

/* ---- reading ahead ------------------------------------------------------- */

/* A classic pcap of `n` records in memory, big enough for many chunks of
   the read-ahead ring: mostly packets of 60 to 1,514 bytes, and every
   97th one of 100 to 262,144 bytes, so records straddle chunks with
   tails longer than a chunk's room in front as well as shorter ones.
   Each byte says its record and place. */
static uint8_t *
big_pcap(unsigned n, size_t *len)
{
	size_t cap = (size_t)n * 1600 + (size_t)(n / 97 + 1) * 262160 + 24;
	uint8_t *b = malloc(cap), *p;
	uint32_t w[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 262144, 1 };
	uint32_t h[4], k, i, j;

	ck_assert_ptr_nonnull(b);
	memcpy(b, w, 24);
	p = b + 24;
	for (i = 0; i < n; i++) {
		k = i % 97 == 96 ? 100000 + (i * 7919u) % 162145 :
		    60 + (i * 131u) % 1455;
		h[0] = 1764000000 + i / 1000;
		h[1] = (i % 1000) * 1000;
		h[2] = h[3] = k;
		memcpy(p, h, 16);
		for (j = 0; j < k; j++)
			p[16 + j] = (uint8_t)(i * 31 + j);
		p += 16 + k;
	}
	*len = (size_t)(p - b);
	ck_assert_uint_le(*len, cap);
	return b;
}

struct pkt_sum {
	uint64_t n, bytes, hash, long_off;
	char err[256];
	uint64_t err_off;
};

/* Every packet of r, summed: the frames must count up, and each packet's
   bytes, time and offset go into one hash. */
static void
sum_packets(struct dt_reader *r, struct pkt_sum *s)
{
	struct dt_packet p;
	const char *e;
	uint32_t i;

	memset(s, 0, sizeof *s);
	while (dt_reader_next(r, &p) == 0) {
		ck_assert_uint_eq(p.frame, s->n + 1);
		s->n++;
		s->bytes += p.caplen;
		if (p.caplen >= 100000)
			s->long_off = p.offset;
		s->hash = s->hash * 1000003u ^ (uint64_t)p.time ^ p.offset ^
		    p.origlen;
		for (i = 0; i < p.caplen; i += 61)
			s->hash = s->hash * 131u + p.data[i];
		if (p.caplen > 0)
			s->hash = s->hash * 131u + p.data[p.caplen - 1];
	}
	e = dt_reader_error(r, &s->err_off);
	snprintf(s->err, sizeof s->err, "%s", e ? e : "");
}

/* The same bytes through a stream, read ahead or not. */
static void
stream_sum(const uint8_t *b, size_t len, size_t fail_at, int ahead,
    struct pkt_sum *out)
{
	struct tu_pieces src = { b, len, 70001, fail_at, 0, 0 };
	struct dt_mem m;
	struct dt_reader *r;
	char eb[256];
	uint64_t eo;

	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_stream(&r, &m, tu_piece_read, &src,
	    eb, sizeof eb, &eo), 0);
	if (ahead)
		ck_assert_int_eq(dt_reader_read_ahead(r), 0);
	sum_packets(r, out);
	dt_reader_close(r);
	ck_assert_uint_eq(m.used, 0);
}

/* Read ahead, a stream gives the same packets, offsets and faults as read
   in place: whole, cut inside a record, failing inside a long record and
   between two, and closed half read. */
START_TEST(test_read_ahead)
{
	struct pkt_sum ref, got;
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	struct tu_pieces src;
	size_t len, cut[] = { 0, 0, 0, 0 };
	char eb[256];
	uint64_t eo;
	uint8_t *b = big_pcap(3000, &len);
	unsigned i;

	ck_assert_uint_gt(len, 6u << 20);	/* many chunks of the ring */
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_mem(&r, &m, b, len, eb, sizeof eb,
	    &eo), 0);
	ck_assert_int_eq(dt_reader_read_ahead(r), -1);	/* memory: in place */
	sum_packets(r, &ref);
	dt_reader_close(r);
	ck_assert_uint_eq(ref.n, 3000);
	ck_assert_str_eq(ref.err, "");

	stream_sum(b, len, 0, 1, &got);
	ck_assert_uint_eq(got.n, ref.n);
	ck_assert_uint_eq(got.bytes, ref.bytes);
	ck_assert_uint_eq(got.hash, ref.hash);
	ck_assert_str_eq(got.err, "");

	/* a fault: inside the last long record, just past a chunk's first
	   bytes, at the end of the file minus one byte, half way */
	cut[0] = ref.long_off + 16 + 50000;
	cut[1] = (512 << 10) * 3 + 7;
	cut[2] = len - 1;
	cut[3] = len / 2;
	for (i = 0; i < 4; i++) {
		stream_sum(b, len, cut[i], 0, &ref);
		stream_sum(b, len, cut[i], 1, &got);
		ck_assert_uint_eq(got.n, ref.n);
		ck_assert_uint_eq(got.hash, ref.hash);
		ck_assert_str_eq(got.err, ref.err);
		ck_assert_uint_eq(got.err_off, ref.err_off);
		ck_assert_str_ne(got.err, "");
	}
	/* the file cut short: the same words as without reading ahead */
	stream_sum(b, len - 3, 0, 0, &ref);
	stream_sum(b, len - 3, 0, 1, &got);
	ck_assert_uint_eq(got.n, ref.n);
	ck_assert_str_eq(got.err, ref.err);
	ck_assert_ptr_nonnull(strstr(got.err, "the file is cut short"));

	/* closed after a few packets: the thread stops, nothing is left */
	src = (struct tu_pieces){ b, len, 70001, 0, 0, 0 };
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_stream(&r, &m, tu_piece_read, &src, eb,
	    sizeof eb, &eo), 0);
	ck_assert_int_eq(dt_reader_read_ahead(r), 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(dt_reader_next(r, &p), 0);
	dt_reader_close(r);
	ck_assert_uint_eq(m.used, 0);
	ck_assert_uint_lt(src.at, len);		/* 2 MiB ahead at most */
	free(b);
}
END_TEST

/* A file is read ahead, a pipe never (closing would wait for its writer):
   dt_reader_read_ahead() says which, and the packets are the same. */
START_TEST(test_read_ahead_file_and_pipe)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct pkt_sum ref, got;
	char path[] = "/tmp/datrace-ahead-XXXXXX", eb[256];
	size_t len;
	uint8_t *b = big_pcap(700, &len);
	int fd = mkstemp(path), fds[2];
	uint64_t eo;
	FILE *fp;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b, len), (ssize_t)len);
	close(fd);
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_file(&r, &m, path, eb, sizeof eb, &eo),
	    0);
	sum_packets(r, &ref);
	dt_reader_close(r);
	ck_assert_int_eq(dt_reader_open_file(&r, &m, path, eb, sizeof eb, &eo),
	    0);
	ck_assert_int_eq(dt_reader_read_ahead(r), 0);
	sum_packets(r, &got);
	dt_reader_close(r);
	ck_assert_uint_eq(got.n, 700);
	ck_assert_uint_eq(got.hash, ref.hash);
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(dt_reader_open_fp(&r, &m, fp, eb, sizeof eb, &eo), 0);
	ck_assert_int_eq(dt_reader_read_ahead(r), 0);	/* a regular FILE */
	sum_packets(r, &got);
	dt_reader_close(r);
	fclose(fp);
	ck_assert_uint_eq(got.hash, ref.hash);
	unlink(path);

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], b, 4096), 4096);
	close(fds[1]);
	fp = fdopen(fds[0], "rb");
	ck_assert_int_eq(dt_reader_open_fp(&r, &m, fp, eb, sizeof eb, &eo), 0);
	ck_assert_int_eq(dt_reader_read_ahead(r), -1);
	dt_reader_close(r);
	fclose(fp);
	ck_assert_uint_eq(m.used, 0);
	free(b);
}
END_TEST

/* ---- committed real files ------------------------------------------------ */

static const struct {
	const char *file;
	const char *format;
	uint64_t packets;
	int linktype;			/* of frame 1 */
	int n_linktypes;
	const char *error;		/* the fault that ends it, or NULL */
	uint64_t error_offset;
} real_files[] = {
	{ "pcap-le-usec.pcap", "pcap", 10, 1, 1, NULL, 0 },
	{ "pcap-be-usec.pcap", "pcap", 10, 1, 1, NULL, 0 },
	{ "pcap-nsec.pcap", "pcap", 10, 1, 1, NULL, 0 },
	{ "vlan.pcap", "pcap", 10, 1, 1, NULL, 0 },
	{ "sll.pcap", "pcap", 10, 113, 1, NULL, 0 },
	{ "sll2.pcap", "pcap", 10, 276, 1, NULL, 0 },
	{ "rawip.pcap", "pcap", 10, 101, 1, NULL, 0 },
	{ "rawip4.pcap", "pcap", 10, 228, 1, NULL, 0 },
	{ "rawip6.pcap", "pcap", 10, 229, 1, NULL, 0 },
	{ "pcapng-two-linktypes.pcapng", "pcapng", 20, 101, 2, NULL, 0 },
	{ "pcapng-sections.pcapng", "pcapng", 17, 1, 3, NULL, 0 },
	{ "pcapng-comments-flags.pcapng", "pcapng", 10, 1, 1, NULL, 0 },
	{ "pktmon.pcapng", "pcapng", 20, 1, 1, NULL, 0 },
	{ "truncated.pcap", "pcap", 9, 1, 1, "the file is cut short: "
	    "truncated dump file; tried to read 66 captured bytes, only got 59",
	    1079 },
	{ "truncated.pcapng", "pcapng", 19, 101, 2, "the file is cut short: "
	    "pcapng block length 100 runs past the end of the file (90 bytes "
	    "left)", 2552 },
};

struct file_run {
	uint64_t n;
	int linktypes[8];
	int n_linktypes;
	uint64_t duplicates, pktmon, dropped, comments, in, out;
	int64_t times[32];
	uint32_t ifaces[32];
	const char *err;
	uint64_t err_off;
};

static void
read_file_all(struct dt_reader *r, struct file_run *f)
{
	struct dt_packet p;
	int i, found;

	memset(f, 0, sizeof *f);
	while (dt_reader_next(r, &p) == 0) {
		ck_assert_uint_eq(p.frame, f->n + 1);
		ck_assert_ptr_nonnull(p.data);
		if (f->n < 32) {
			f->times[f->n] = p.time;
			f->ifaces[f->n] = p.iface;
		}
		f->n++;
		for (found = 0, i = 0; i < f->n_linktypes; i++)
			found |= f->linktypes[i] == p.linktype;
		if (!found && f->n_linktypes < 8)
			f->linktypes[f->n_linktypes++] = p.linktype;
		f->duplicates += p.duplicate != 0;
		f->pktmon += p.pktmon != NULL;
		f->dropped += p.pktmon != NULL && p.pktmon->dropped;
		f->comments += p.comment != NULL;
		f->in += p.dir == DT_DIR_IN;
		f->out += p.dir == DT_DIR_OUT;
	}
	f->err = dt_reader_error(r, &f->err_off);
}

START_TEST(test_real_file)
{
	char path[512], eb[256];
	struct dt_mem m;
	struct dt_reader *r;
	struct file_run f;
	uint64_t eo;
	unsigned char *buf;
	size_t len = 0;
	int way;

	snprintf(path, sizeof path, FORMATS "%s", real_files[_i].file);
	for (way = 0; way < 2; way++) {		/* by path, from memory */
		dt_mem_init(&m, NULL, NULL, 0);
		buf = NULL;
		if (way == 0) {
			ck_assert_int_eq(dt_reader_open_file(&r, &m, path, eb,
			    sizeof eb, &eo), 0);
		} else {
			buf = tu_slurp(path, &len);
			ck_assert_ptr_nonnull(buf);
			ck_assert_int_eq(dt_reader_open_mem(&r, &m, buf, len,
			    eb, sizeof eb, &eo), 0);
		}
		ck_assert_str_eq(dt_reader_format(r), real_files[_i].format);
		read_file_all(r, &f);
		ck_assert_uint_eq(f.n, real_files[_i].packets);
		ck_assert_int_eq(f.linktypes[0], real_files[_i].linktype);
		ck_assert_int_eq(f.n_linktypes, real_files[_i].n_linktypes);
		if (real_files[_i].error == NULL) {
			ck_assert_ptr_null(f.err);
			ck_assert_uint_eq(dt_reader_pos(r), dt_reader_size(r));
		} else {
			ck_assert_ptr_nonnull(f.err);
			ck_assert_str_eq(f.err, real_files[_i].error);
			ck_assert_uint_eq(f.err_off,
			    real_files[_i].error_offset);
		}
		dt_reader_close(r);
		free(buf);
		ck_assert_uint_eq(m.used, 0);
	}
}
END_TEST

static void
read_path(const char *name, struct file_run *f)
{
	char path[512], eb[256];
	struct dt_mem m;
	struct dt_reader *r;
	uint64_t eo;

	snprintf(path, sizeof path, FORMATS "%s", name);
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_file(&r, &m, path, eb, sizeof eb,
	    &eo), 0);
	read_file_all(r, f);
	dt_reader_close(r);
	ck_assert_uint_eq(m.used, 0);
}

START_TEST(test_real_same_times)
{
	struct file_run le, be, ns, ng;
	int i;

	read_path("pcap-le-usec.pcap", &le);
	read_path("pcap-be-usec.pcap", &be);
	read_path("pcap-nsec.pcap", &ns);
	read_path("pcapng-sections.pcapng", &ng);
	ck_assert_int_gt(le.times[0], 1600000000LL * 1000000000);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(le.times[i] % 1000, 0);
		ck_assert_int_eq(be.times[i], le.times[i]);
		ck_assert_int_eq(ns.times[i], le.times[i]);
		ck_assert_int_eq(ng.times[i], le.times[i]);
	}
	/* sections: 10 + 4 + 3 packets, interfaces numbered over the file */
	ck_assert_uint_eq(ng.ifaces[9], 0);
	ck_assert_uint_eq(ng.ifaces[10], 1);
	ck_assert_uint_eq(ng.ifaces[16], 2);
	ck_assert_int_eq(ng.linktypes[1], 101);
	ck_assert_int_eq(ng.linktypes[2], 276);
}
END_TEST

START_TEST(test_real_comments_flags)
{
	char eb[256];
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	uint64_t eo;

	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_file(&r, &m,
	    FORMATS "pcapng-comments-flags.pcapng", eb, sizeof eb, &eo), 0);
	ck_assert_int_eq(dt_reader_next(r, &p), 0);
	ck_assert_uint_eq(p.comment_len, 10);
	ck_assert(memcmp(p.comment, "client SYN", 10) == 0);
	ck_assert_int_eq(p.dir, DT_DIR_OUT);
	ck_assert_uint_eq(p.packet_id, 1);
	ck_assert_str_eq(p.iface_name, "lo");
	ck_assert_int_eq(dt_reader_next(r, &p), 0);
	ck_assert_int_eq(p.dir, DT_DIR_IN);		/* the SYN-ACK */
	ck_assert_uint_eq(p.packet_id, 2);
	ck_assert_ptr_null(p.comment);
	ck_assert_int_eq(dt_reader_next(r, &p), 0);
	ck_assert_int_eq(dt_reader_next(r, &p), 0);
	ck_assert_uint_eq(p.frame, 4);
	ck_assert(memcmp(p.comment, "the GET request", 15) == 0);
	dt_reader_close(r);
	ck_assert_uint_eq(m.used, 0);
}
END_TEST

START_TEST(test_real_pktmon)
{
	struct file_run f;

	read_path("pktmon.pcapng", &f);
	ck_assert_uint_eq(f.n, 20);
	ck_assert_uint_eq(f.pktmon, 20);
	ck_assert_uint_eq(f.duplicates, 10);
	ck_assert_uint_eq(f.dropped, 1);
	ck_assert_uint_eq(f.out, 19);
	ck_assert_uint_eq(f.in, 1);
}
END_TEST

/* ---- the shared corpus ---------------------------------------------------- */

/* frames=N for `path` from PROVENANCE.md, -1 when not stated. */
static long
provenance_frames(const char *prov, const char *rel)
{
	char needle[1100];
	const char *p, *line_end, *f;

	snprintf(needle, sizeof needle, "`%s`", rel);
	p = strstr(prov, needle);
	if (p == NULL)
		return -1;
	line_end = strchr(p, '\n');
	f = strstr(p, "frames=");
	if (f == NULL || (line_end != NULL && f > line_end))
		return -1;
	return strtol(f + 7, NULL, 10);
}

static int corpus_files, corpus_checked;

/* fn(path, arg) for every regular file of at most 64 MiB under dir, in
   readdir's order, down its subdirectories; names that start with a dot
   are skipped. */
static void
tree_walk(const char *dir, void (*fn)(const char *, void *), void *arg)
{
	char path[1024];
	struct dirent *e;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			tree_walk(path, fn, arg);
		else if (S_ISREG(st.st_mode) && st.st_size <= (64 << 20))
			fn(path, arg);
	}
	closedir(d);
}

/* A pcap or pcapng file of the shared corpus (top: the corpus directory,
   prov: its PROVENANCE.md) reads whole, as many packets as PROVENANCE
   says; what is not a capture fails to open with "offset N: ...". */
static void
corpus_file(const char *path, void *arg)
{
	const char *const *tp = arg, *top = tp[0], *prov = tp[1];
	char eb[256];
	struct dt_mem m;
	struct dt_reader *r;
	struct file_run f;
	uint64_t eo;
	const char *ext, *rel, *src_end;
	long frames;
	int rc;

	ext = strrchr(path, '.');
	if (ext == NULL || (strcmp(ext, ".pcap") != 0 &&
	    strcmp(ext, ".pcapng") != 0))
		return;
	corpus_files++;
	dt_mem_init(&m, NULL, NULL, 0);
	rc = dt_reader_open_file(&r, &m, path, eb, sizeof eb, &eo);
	/* <source>/<path in the repository> */
	rel = path + strlen(top) + 1;
	src_end = strchr(rel, '/');
	frames = provenance_frames(prov, src_end ? src_end + 1 : rel);
	if (rc != 0) {
		ck_assert_int_eq(rc, DT_EFORMAT);
		ck_assert_msg(strncmp(eb, "offset ", 7) == 0, "%s: %s", path, eb);
		ck_assert_msg(frames <= 0, "%s: %s", path, eb);
		ck_assert_uint_eq(m.used, 0);
		return;
	}
	read_file_all(r, &f);
	dt_reader_close(r);
	ck_assert_uint_eq(m.used, 0);
	if (frames >= 0) {
		ck_assert_msg(f.n == (uint64_t)frames,
		    "%s: %llu packets, PROVENANCE says %ld", path,
		    (unsigned long long)f.n, frames);
		corpus_checked++;
	}
}

START_TEST(test_shared_corpus)
{
	unsigned char *prov;
	size_t len = 0;

	if (!tu_exists(CORPUS_DIR))
		return;			/* not on this machine */
	prov = tu_slurp(CORPUS_DIR "/PROVENANCE.md", &len);
	if (prov != NULL)
		prov[len] = '\0';
	{
		const char *tp[2] = { CORPUS_DIR, prov ? (char *)prov : "" };

		tree_walk(CORPUS_DIR, corpus_file, tp);
	}
	free(prov);
	ck_assert_int_gt(corpus_files, 60);
	if (prov != NULL)
		ck_assert_int_gt(corpus_checked, 60);
}
END_TEST

/* ---- reading through a mapping ------------------------------------------ */

/* Every packet a reader hands out (frame, time, link type, interface,
   direction, lengths, offset, a hash of the bytes, pktmon's metadata and
   the comment) and its fault, as one string; or the open's error. Each
   packet, what the mapping keeps present is checked against `max_win`
   bytes (0: not checked). */
static char *
run_digest(const char *path, int map, size_t max_win, int *mapped)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	char eb[256], *out = NULL;
	size_t n = 0;
	uint64_t eo = 0, h;
	const char *fault;
	uint32_t i;
	FILE *acc;
	int rc;

	dt_mem_init(&m, NULL, NULL, 0);
	acc = open_memstream(&out, &n);
	ck_assert_ptr_nonnull(acc);
	rc = (map ? dt_reader_open_map : dt_reader_open_file)(&r, &m, path,
	    eb, sizeof eb, &eo);
	if (rc != 0) {
		fprintf(acc, "open %d %llu %s\n", rc, (unsigned long long)eo, eb);
	} else {
		if (mapped != NULL)
			*mapped |= r->src.mapped;
		while (dt_reader_next(r, &p) == 0) {
			for (h = 1469598103934665603ull, i = 0; i < p.caplen; i++)
				h = (h ^ p.data[i]) * 1099511628211ull;
			fprintf(acc, "%llu %lld %d %u %d %u %u %llu %llx %d %d %s\n",
			    (unsigned long long)p.frame, (long long)p.time,
			    p.linktype, p.iface, (int)p.dir, p.caplen, p.origlen,
			    (unsigned long long)p.offset, (unsigned long long)h,
			    p.duplicate, p.pktmon != NULL ? (int)p.pktmon->dropped :
			    -1, p.comment != NULL ? p.comment : "-");
			if (max_win != 0 && r->src.mapped)
				ck_assert_uint_le(r->src.end - r->src.done,
				    max_win);
		}
		fault = dt_reader_error(r, &eo);
		fprintf(acc, "end %llu %s\n", (unsigned long long)eo,
		    fault != NULL ? fault : "-");
		dt_reader_close(r);
	}
	fclose(acc);
	ck_assert_uint_eq(m.used, 0);
	return out;
}

static int map_files_read, map_files_mapped;

/* A file read through a mapping gives what read(2) gives. */
static void
same_mapped(const char *path, size_t max_win)
{
	char *a = run_digest(path, 0, 0, NULL);
	char *b = run_digest(path, 1, max_win, &map_files_mapped);

	ck_assert_msg(strcmp(a, b) == 0, "%s: read\n%.800s\nmapped\n%.800s",
	    path, a, b);
	map_files_read++;
	free(a);
	free(b);
}

static void
same_mapped_any(const char *path, void *arg)
{
	(void)arg;
	same_mapped(path, 0);
}

/* Every capture of ours (pcap, pcapng, ETL, damaged ones) and of the
   shared corpus, read through a mapping: the same packets, faults and
   offsets as read(2)'s. */
START_TEST(test_mapped_same_as_read)
{
	map_files_read = map_files_mapped = 0;
	tree_walk(TESTDATA_DIR, same_mapped_any, NULL);
	tree_walk("tests/fuzz/corpus/capture", same_mapped_any, NULL);
	if (tu_exists(CORPUS_DIR))
		tree_walk(CORPUS_DIR, same_mapped_any, NULL);
	ck_assert_int_gt(map_files_read, 100);
	ck_assert_int_eq(map_files_mapped, 1);
}
END_TEST

/* Little-endian words and bytes straight to a file: these captures are
   larger than a struct bb. */
static void
fput32(FILE *fp, uint32_t v)
{
	uint8_t w[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24) };

	ck_assert_uint_eq(fwrite(w, 1, 4, fp), 4);
}

/* A file of many windows whose records straddle them, some of a tenth
   of a window (big_pcap()), read with no more than two windows and a
   record present at a time; the same cut inside its last record; and a
   pcapng whose block is longer than two windows. */
static void
write_all(const char *path, const uint8_t *b, size_t len)
{
	FILE *fp = fopen(path, "wb");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(b, 1, len, fp), len);
	fclose(fp);
}

START_TEST(test_mapped_windows)
{
	char path[64];
	size_t len, i;
	uint8_t *b = big_pcap(9000, &len);
	FILE *fp;

	ck_assert_uint_gt(len, 8 * DT_SRC_MAP_WIN);
	snprintf(path, sizeof path, "test_capture.%ld.map", (long)getpid());
	write_all(path, b, len);
	same_mapped(path, 2 * DT_SRC_MAP_WIN + 262160);
	ck_assert_int_eq(truncate(path, (off_t)(len - 50)), 0);
	same_mapped(path, 2 * DT_SRC_MAP_WIN + 262160);
	free(b);

	/* pcapng: a section, an interface, a block no reader knows of two
	   windows and more, a packet */
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	fput32(fp, 0x0A0D0D0A);
	fput32(fp, 28);
	fput32(fp, 0x1A2B3C4D);
	fput32(fp, 1);
	fput32(fp, 0xffffffff);
	fput32(fp, 0xffffffff);
	fput32(fp, 28);
	fput32(fp, 1);
	fput32(fp, 20);
	fput32(fp, 1);
	fput32(fp, 0);
	fput32(fp, 20);
	fput32(fp, 0x0BAD0001);
	fput32(fp, (uint32_t)(12 + 2 * DT_SRC_MAP_WIN + 4));
	for (i = 0; i < 2 * DT_SRC_MAP_WIN + 4; i += 4)
		fput32(fp, (uint32_t)i);
	fput32(fp, (uint32_t)(12 + 2 * DT_SRC_MAP_WIN + 4));
	fput32(fp, 6);
	fput32(fp, 32 + 60);
	fput32(fp, 0);
	fput32(fp, 0);
	fput32(fp, 1);
	fput32(fp, 60);
	fput32(fp, 60);
	ck_assert_uint_eq(fwrite(pkt60, 1, 60, fp), 60);
	fput32(fp, 32 + 60);
	fclose(fp);
	same_mapped(path, 0);
	unlink(path);
}
END_TEST

/* A capture still being written: what was added after the reader mapped
   the file is read too, as read(2) reads it. */
START_TEST(test_mapped_file_grows)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	char path[64], eb[256];
	struct bb b;
	size_t n = 0;
	int i;
	FILE *fp;

	snprintf(path, sizeof path, "test_capture.%ld.grow", (long)getpid());
	memset(&b, 0, sizeof b);
	pcap_hdr(&b, 0, 0xa1b2c3d4, 1);
	for (i = 0; i < 10; i++)
		pcap_rec(&b, (uint32_t)i, 0, pkt60, 60);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(b.b, 1, b.n, fp), b.n);
	fclose(fp);
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_map(&r, &m, path, eb, sizeof eb,
	    NULL), 0);
	ck_assert_int_eq(r->src.mapped, 1);
	for (i = 0; i < 5; i++, n++)
		ck_assert_int_eq(dt_reader_next(r, &p), 0);
	fp = fopen(path, "ab");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(b.b + 24, 1, b.n - 24, fp), b.n - 24);
	fclose(fp);
	while (dt_reader_next(r, &p) == 0)
		n++;
	ck_assert_ptr_null(dt_reader_error(r, NULL));
	ck_assert_uint_eq(n, 20);
	dt_reader_close(r);
	ck_assert_uint_eq(m.used, 0);
	unlink(path);
}
END_TEST

static void
on_bus(int sig)
{
	(void)sig;
	_exit(77);
}

/* A mapped capture of `n` records (big_pcap()) cut to `cut_to` bytes
   once its first packet is read, then read on to its end, in a child:
   its exit status, 77 when SIGBUS came; else 0 when the reader turned to
   read(2) and ended on libpcap's "truncated dump file", 2 otherwise. */
static int
read_while_cut(unsigned n, off_t cut_to)
{
	char path[64], eb[256];
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	struct sigaction sa;
	const char *fault;
	size_t len;
	uint8_t *b = big_pcap(n, &len);
	pid_t pid;
	int st;

	snprintf(path, sizeof path, "test_capture.%ld.cut", (long)getpid());
	write_all(path, b, len);
	free(b);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_bus;
		sigaction(SIGBUS, &sa, NULL);
		dt_mem_init(&m, NULL, NULL, 0);
		if (dt_reader_open_map(&r, &m, path, eb, sizeof eb, NULL) != 0 ||
		    dt_reader_next(r, &p) != 0 || truncate(path, cut_to) != 0)
			_exit(1);
		while (dt_reader_next(r, &p) == 0)
			;
		fault = dt_reader_error(r, NULL);
		_exit(!r->src.mapped && fault != NULL &&
		    strstr(fault, "truncated dump file") != NULL ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	unlink(path);
	ck_assert_msg(WIFEXITED(st), "status %d", st);
	return WEXITSTATUS(st);
}

/* A mapped file cut shorter between two windows: the next window cannot
   be made present, and the source reads on with read(2), whose short
   read is the reader's "cut short" fault at the record's offset, as if
   the file had been that long from the start: no SIGBUS. (A kernel
   before 5.14 cannot make a window present: not tested there.) */
START_TEST(test_mapped_cut_between_windows)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *probe;
	int can;

	probe = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(probe, MAP_FAILED);
	can = madvise(probe, page, 22 /* MADV_POPULATE_READ */) == 0;
	munmap(probe, page);
	if (can)
		ck_assert_int_eq(read_while_cut(9000,
		    (off_t)DT_SRC_MAP_WIN + 100), 0);
}
END_TEST

/* A mapped capture of empty records (a pcap header, then holes: 16 bytes
   a record, so one straddles each window's end) read up to the record
   that straddles the first, then cut to 4096 bytes (below it) and read
   on, in a child: 0 when the reader said the file was cut to 4096 bytes,
   77 on SIGBUS, 2 otherwise. The read(2) the source turns to reads
   nothing there, as at a file's end: before the source told it
   (2026-12-08), the analysis ended without a word and exited 0
   (test_cli's 4 GiB file of holes, when the cut fell between windows). */
static int
read_to_window_end_then_cut(void)
{
	static const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535,
	    1 };
	char path[64], eb[256];
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	struct sigaction sa;
	const char *fault;
	pid_t pid;
	int st;

	snprintf(path, sizeof path, "test_capture.%ld.cut2", (long)getpid());
	write_all(path, (const uint8_t *)hdr, sizeof hdr);
	ck_assert_int_eq(truncate(path, (off_t)4 * DT_SRC_MAP_WIN), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_bus;
		sigaction(SIGBUS, &sa, NULL);
		dt_mem_init(&m, NULL, NULL, 0);
		if (dt_reader_open_map(&r, &m, path, eb, sizeof eb, NULL) != 0 ||
		    dt_reader_next(r, &p) != 0)
			_exit(1);
		/* on while the next record's header is whole in what is
		   present: the bytes past 4096 are not touched after the cut */
		while (r->src.mapped && r->src.end - r->src.pos >= 16)
			if (dt_reader_next(r, &p) != 0)
				_exit(1);
		if (!r->src.mapped || r->src.pos < 4096 ||
		    truncate(path, 4096) != 0)
			_exit(1);
		while (dt_reader_next(r, &p) == 0)
			;
		fault = dt_reader_error(r, NULL);
		_exit(fault != NULL && strstr(fault, "the file is cut short: "
		    "it was cut to 4096 bytes while it was read") != NULL ?
		    0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	unlink(path);
	ck_assert_msg(WIFEXITED(st), "status %d", st);
	return WEXITSTATUS(st);
}

/* A mapped file cut below the position being read, between two windows:
   the reader says so, at the record's offset, where it said nothing. */
START_TEST(test_mapped_cut_below_position)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *probe;
	int can;

	probe = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(probe, MAP_FAILED);
	can = madvise(probe, page, 22 /* MADV_POPULATE_READ */) == 0;
	munmap(probe, page);
	if (can)
		ck_assert_int_eq(read_to_window_end_then_cut(), 0);
}
END_TEST

/* What dt_options.map_files warns of: a mapped file cut shorter inside
   the window being read raises SIGBUS at the next byte read past the new
   end (the CLI reports it; test_cli). */
START_TEST(test_mapped_truncated_sigbus)
{
	ck_assert_int_eq(read_while_cut(3000, 4096), 77);
}
END_TEST

/* ---- link type names and filters ----------------------------------------- */

START_TEST(test_linktype_name)
{
	char buf[64];

	ck_assert_str_eq(dt_linktype_name(1, buf, sizeof buf), "EN10MB");
	ck_assert_str_eq(dt_linktype_name(101, buf, sizeof buf), "RAW");
	ck_assert_str_eq(dt_linktype_name(113, buf, sizeof buf), "LINUX_SLL");
	ck_assert_str_eq(dt_linktype_name(276, buf, sizeof buf),
	    "LINUX_SLL2");
	ck_assert_str_eq(dt_linktype_name(4242, buf, sizeof buf),
	    "LINKTYPE_4242");
}
END_TEST

/* Packets of a testdata file the filter keeps; -1 on a filter error. */
static long
filter_count(const char *file, const char *expr, char *errbuf, size_t el)
{
	char path[512], eb[256];
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_filter *flt;
	struct dt_packet p;
	uint64_t eo;
	long kept = 0;
	int rc;

	snprintf(path, sizeof path, FORMATS "%s", file);
	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_filter_new(&flt, &m, expr, eb, sizeof eb), 0);
	ck_assert_int_eq(dt_reader_open_file(&r, &m, path, eb, sizeof eb,
	    &eo), 0);
	while (dt_reader_next(r, &p) == 0) {
		rc = dt_filter_match(flt, &p, errbuf, el);
		if (rc < 0) {
			ck_assert_int_eq(rc, DT_EFILTER);
			kept = -1;
			break;
		}
		kept += rc;
	}
	dt_reader_close(r);
	dt_filter_free(flt);
	ck_assert_uint_eq(m.used, 0);
	return kept;
}

START_TEST(test_filter)
{
	struct dt_mem m;
	struct dt_filter *f = (struct dt_filter *)1;
	char eb[256];

	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_filter_new(&f, &m, "tcp port", eb, sizeof eb),
	    DT_EFILTER);
	ck_assert_ptr_null(f);
	ck_assert_msg(strstr(eb, "syntax error") != NULL, "%s", eb);
	ck_assert_uint_eq(m.used, 0);

	/* every link type of the testdata, each compiled on its own */
	ck_assert_int_eq(filter_count("pcapng-two-linktypes.pcapng", "tcp",
	    eb, sizeof eb), 20);
	ck_assert_int_eq(filter_count("pcapng-sections.pcapng",
	    "tcp port 28471", eb, sizeof eb), 17);
	ck_assert_int_eq(filter_count("pcapng-sections.pcapng", "udp", eb,
	    sizeof eb), 0);
	ck_assert_int_eq(filter_count("rawip6.pcap", "ip6 and tcp", eb,
	    sizeof eb), 10);
	ck_assert_int_eq(filter_count("vlan.pcap", "vlan 10 and tcp", eb,
	    sizeof eb), 10);
	ck_assert_int_eq(filter_count("sll.pcap", "tcp[tcpflags] & tcp-syn "
	    "!= 0", eb, sizeof eb), 2);
	/* an expression that exists on Ethernet only */
	ck_assert_int_eq(filter_count("rawip.pcap", "ether host "
	    "00:11:22:33:44:55", eb, sizeof eb), -1);
	ck_assert_msg(strncmp(eb, "filter \"ether host 00:11:22:33:44:55\" on "
	    "link type RAW: ", 56) == 0, "%s", eb);
}
END_TEST

/* ---- allocation failure at every allocation ------------------------------- */

struct failing {
	long calls, fail_at;
};

static void *
failing_alloc(void *ud, void *ptr, size_t size)
{
	struct failing *c = ud;

	if (size == 0) {
		free(ptr);
		return NULL;
	}
	if (++c->calls == c->fail_at)
		return NULL;
	return realloc(ptr, size);
}

START_TEST(test_alloc_failure)
{
	static const char *files[] = { "pktmon.pcapng", "pcap-le-usec.pcap",
	    "pcapng-sections.pcapng" };
	struct failing c;
	struct dt_mem m;
	struct dt_reader *r;
	struct file_run f;
	char path[512], eb[256];
	unsigned char *buf;
	size_t len = 0, i;
	uint64_t eo;
	long k;
	int rc, way;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, FORMATS "%s", files[i]);
		buf = tu_slurp(path, &len);
		ck_assert_ptr_nonnull(buf);
		for (way = 0; way < 2; way++)
			for (k = 1; k < 40; k++) {
				memset(&c, 0, sizeof c);
				c.fail_at = k;
				dt_mem_init(&m, failing_alloc, &c, 0);
				rc = way ? dt_reader_open_mem(&r, &m, buf, len,
				    eb, sizeof eb, &eo) :
				    dt_reader_open_file(&r, &m, path, eb,
				    sizeof eb, &eo);
				if (rc == 0) {
					read_file_all(r, &f);
					dt_reader_close(r);
				}
				ck_assert_uint_eq(m.used, 0);
			}
		free(buf);
	}
}
END_TEST

/* Reading ahead with allocations failing one at a time: when its state
   cannot be had, dt_reader_read_ahead() says no and nothing else changes
   (the analysis's memory is not marked failed); after, a window of our
   own that cannot grow ends reading with "out of memory", as it would in
   place. (The ring is a mapping of its own, not the allocator's.) */
START_TEST(test_read_ahead_alloc_failure)
{
	struct failing c;
	struct tu_pieces src;
	struct dt_mem m;
	struct dt_reader *r;
	struct pkt_sum ref, got;
	char eb[256];
	uint64_t eo;
	size_t len;
	uint8_t *b = big_pcap(3000, &len);	/* tails past the room */
	long k;
	int started = 0, oom = 0;

	stream_sum(b, len, 0, 0, &ref);
	for (k = 1; k < 12; k++) {
		memset(&c, 0, sizeof c);
		src = (struct tu_pieces){ b, len, 70001, 0, 0, 0 };
		dt_mem_init(&m, failing_alloc, &c, 0);
		ck_assert_int_eq(dt_reader_open_stream(&r, &m, tu_piece_read, &src,
		    eb, sizeof eb, &eo), 0);
		c.fail_at = c.calls + k;
		if (dt_reader_read_ahead(r) != 0) {
			ck_assert_int_eq(m.failed, 0);
			sum_packets(r, &got);
			ck_assert_uint_eq(got.n, ref.n);
			ck_assert_uint_eq(got.hash, ref.hash);
		} else {
			started++;
			sum_packets(r, &got);
			oom += strcmp(got.err, "out of memory") == 0;
			ck_assert(got.n == ref.n ||
			    strcmp(got.err, "out of memory") == 0);
		}
		dt_reader_close(r);
		ck_assert_uint_eq(m.used, 0);
	}
	ck_assert_int_gt(started, 0);
	ck_assert_int_gt(oom, 0);	/* our own window, refused */
	free(b);
}
END_TEST

static Suite *
capture_suite(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_unknown_magic);
	tcase_add_test(tc, test_format_probe);
	tcase_add_test(tc, test_open_missing_file);
	tcase_add_test(tc, test_pcap_le_be_nsec);
	tcase_add_test(tc, test_pcap_cut_mid_record);
	tcase_add_test(tc, test_pcap_record_beyond_snaplen);
	tcase_add_test(tc, test_pcap_bad_header);
	tcase_add_test(tc, test_pcapng_len_not_multiple_of_4);
	tcase_add_test(tc, test_pcapng_len_past_end);
	tcase_add_test(tc, test_pcapng_trailing_mismatch);
	tcase_add_test(tc, test_pcapng_len_too_small_or_big);
	tcase_add_test(tc, test_pcapng_shb_bad_version);
	tcase_add_test(tc, test_pcapng_option_past_block);
	tcase_add_test(tc, test_pcapng_bad_interface_and_caplen);
	tcase_add_test(tc, test_pcapng_sections_and_linktypes);
	tcase_add_test(tc, test_pcapng_epb_options);
	tcase_add_test(tc, test_pcapng_tsresol);
	tcase_add_test(tc, test_pcapng_spb);
	tcase_add_test(tc, test_pcapng_obsolete_pb);
	tcase_add_test(tc, test_pcapng_warning_cap);
	tcase_add_test(tc, test_pktmon_parse);
	tcase_add_test(tc, test_pktmon_duplicates);
	tcase_add_test(tc, test_open_fp_pipe);
	tcase_add_test(tc, test_open_file_pipe_path);
	tcase_add_test(tc, test_open_fp_regular_file);
	tcase_add_test(tc, test_read_ahead);
	tcase_add_test(tc, test_read_ahead_file_and_pipe);
	tcase_add_test(tc, test_read_ahead_alloc_failure);
	tcase_add_loop_test(tc, test_real_file, 0,
	    (int)(sizeof real_files / sizeof real_files[0]));
	tcase_add_test(tc, test_real_same_times);
	tcase_add_test(tc, test_real_comments_flags);
	tcase_add_test(tc, test_real_pktmon);
	tcase_add_test(tc, test_shared_corpus);
	tcase_add_test(tc, test_mapped_same_as_read);
	tcase_add_test(tc, test_mapped_windows);
	tcase_add_test(tc, test_mapped_file_grows);
	tcase_add_test(tc, test_mapped_truncated_sigbus);
	tcase_add_test(tc, test_mapped_cut_between_windows);
	tcase_add_test(tc, test_mapped_cut_below_position);
	tcase_add_test(tc, test_linktype_name);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_alloc_failure);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(capture_suite)
