/*
 * Event Trace Log (.etl) reader for packet captures taken on Windows with
 * `netsh trace start capture=yes` (provider Microsoft-Windows-NDIS-
 * PacketCapture) and `pktmon start --capture` (Microsoft-Windows-PktMon).
 * Microsoft does not document the file layout; we follow the field lists
 * gathered in shared/research/etl-format.md (Geoff Chappell's studies of
 * WMI_BUFFER_HEADER, the trace headers and TRACE_LOGFILE_HEADER; the
 * public ETW_BUFFER_HEADER, EVENT_HEADER and EVENT_HEADER_EXTENDED_DATA_ITEM
 * structures; the providers' manifests and Microsoft's NetMon parser for
 * PktMon). A file is a series of buffers, each walked by its own size;
 * buffers flagged compressed hold MS-XCA Plain LZ77 data (xpress.c);
 * records inside are 8-byte aligned and every header kind is sized by one
 * generic rule. A record that cannot be sized abandons the rest of its
 * buffer with a warning, never the file. Events are stamped in the
 * session's raw clock (QPC, system time or CPU cycles) and converted to UTC
 * from the logfile header's StartTime in overflow-checked integers.
 * Per-processor buffers overlap in time, so decoded packets wait in a
 * min-heap (time, then file order) that is kept filled to DT_ETL_WINDOW
 * bytes: packets come out in time order whenever the disorder fits the
 * window (a warning says when it did not), and memory stays bounded.
 * Decoding starts on the first dt_reader_next(), when the warn callback is
 * set. pktmon logs one packet at every component it crosses: (PktGroupId,
 * PktNumber) names the packet, and later sightings within a second are
 * marked duplicate; netsh logs a frame at the miniport and again at a
 * filter above it: the same bytes from the same miniport at another layer
 * within 10 ms are marked duplicate.
 */
#include "capture/etl.h"

#include <stdlib.h>
#include <string.h>

#include "capture/xpress.h"
#include "datrace.h"
#include "util/rd.h"

#define FT_UNIX_EPOCH INT64_C(116444736000000000)	/* 1970 in FILETIME */

/* WMI_BUFFER_HEADER fields */
#define BH_SIZE		0x00
#define BH_TIMESTAMP	0x10
#define BH_FILLED	0x30
#define BH_FLAGS	0x34
#define BH_TYPE		0x36
#define BF_EVENTS_LOST	0x0002
#define BF_BUFFER_LOST	0x0004
#define BF_COMPRESSED	0x0040

/* trace header kinds (bits 23..16 of the record's first u32) */
#define HT_SYSTEM32	0x01
#define HT_SYSTEM64	0x02
#define HT_COMPACT32	0x03
#define HT_COMPACT64	0x04
#define HT_PERFINFO32	0x10
#define HT_PERFINFO64	0x11
#define HT_EVENT32	0x12
#define HT_EVENT64	0x13
#define EVENT_HEADER_SIZE 0x50
#define SYSTEM_HEADER_SIZE 0x20
#define EH_EXTENDED_INFO 0x0001

/* Microsoft-Windows-NDIS-PacketCapture keywords */
#define KW_WWAN		UINT64_C(0x200)
#define KW_TUNNEL	UINT64_C(0x8000)
#define KW_80211	UINT64_C(0x10000)
#define KW_TRUNCATED	UINT64_C(0x2000000)
#define KW_START	UINT64_C(0x40000000)
#define KW_END		UINT64_C(0x80000000)
#define KW_SEND		UINT64_C(0x100000000)
#define KW_RECV		UINT64_C(0x200000000)

#define LT_ETHERNET	1
#define LT_RAW		101
#define LT_80211	105

#define FRAG_SLOTS	16
#define NDIS_RING	32

/* GUIDs as stored (Data1..3 little-endian, MS-DTYP 2.3.4.2). */
static const uint8_t guid_pktmon[16] = {	/* 4d4f80d9-c8bd-4d73-bb5b-19c90402c5ac */
	0xd9, 0x80, 0x4f, 0x4d, 0xbd, 0xc8, 0x73, 0x4d,
	0xbb, 0x5b, 0x19, 0xc9, 0x04, 0x02, 0xc5, 0xac,
};
static const uint8_t guid_ndis[16] = {		/* 2ed6006e-4729-4609-b423-3ee7bcd678ef */
	0x6e, 0x00, 0xd6, 0x2e, 0x29, 0x47, 0x09, 0x46,
	0xb4, 0x23, 0x3e, 0xe7, 0xbc, 0xd6, 0x78, 0xef,
};

/* PktMon PacketType and NdisMedium to link type (etl2pcapng, NetMon parser). */
struct lt_map {
	int value;
	int linktype;
};

static const struct lt_map pm_ptypes[] = {
	{ 1, LT_ETHERNET }, { 2, LT_80211 }, { 3, LT_RAW },
}, pm_media[] = {
	{ 0, LT_ETHERNET }, { 16, LT_80211 }, { 19, LT_RAW },
};

/* PktMon DirTag (NetMon parser): only Rx/Tx say which way the host sees it. */
static const struct {
	int tag;
	int dir;
} pm_dirs[] = {
	{ 3, DT_DIR_IN }, { 4, DT_DIR_OUT },
};

enum { SRC_NDIS = 0, SRC_PKTMON = 1 };

struct etl_pkt {
	int64_t time;			/* ns since 1970 */
	uint64_t seq;			/* decode order, ties in time */
	uint64_t offset;		/* record (or compressed buffer) offset */
	uint8_t *data;			/* owned, caplen bytes */
	uint32_t caplen, origlen;
	uint32_t iface;
	uint16_t linktype;
	uint8_t dir, src, dropped;
	uint16_t comp;			/* pktmon component */
	uint32_t mini, lower;		/* NDIS interface indexes */
	uint64_t group;			/* pktmon */
	uint16_t number, appearance, edge, filter;
	uint32_t reason, location;
};

struct etl_comp {
	uint16_t id, type;
	int medium;			/* -1: not told */
	int64_t iface;			/* -1: none yet */
	char name[64];
};

struct etl_iface {
	int src;
	uint32_t mini, lower;		/* NDIS */
	int linktype;
	uint16_t comp;			/* pktmon */
	char name[80];
};

struct etl_frag {
	int used;
	uint32_t mini, lower, tid;
	int64_t time;
	uint64_t kw, offset;
	uint8_t *data;
	size_t len, cap;
};

/* pktmon: primary sighting of (group, number), direct-mapped. */
struct pm_seen {
	uint64_t group;
	int64_t time;
	uint32_t number;
	uint32_t used;
};

/* netsh: a recently delivered frame, to spot its copy at another layer. */
struct ndis_seen {
	uint64_t hash;
	int64_t time;
	uint32_t mini, lower, caplen;
	int dir;
};

struct dt_etl {
	struct dt_etl_info info;
	int64_t base_ns;		/* StartTime */
	uint64_t header_ts;		/* raw clock of the logfile header */
	uint64_t clk_freq, clk_unit;	/* ns = ticks * unit / freq */

	/* source */
	uint64_t src_pos;		/* file offset of the next byte */
	size_t peek_used;
	int src_err;
	uint8_t first_hdr[DT_ETL_BUFHDR];
	int have_first;
	size_t first_len;
	uint8_t *io, *dec;
	size_t io_cap, dec_cap;

	/* decoded packets wait in a min-heap on (time, seq) */
	int eof;			/* no more buffers */
	struct etl_pkt *heap;
	size_t n_heap, cap_heap, heap_bytes;
	uint64_t seq;
	struct etl_pkt cur;		/* handed out, data freed next call */
	int64_t last_time;
	int warned_order;
	struct pm_seen *seen;		/* DT_PKTMON_SLOTS */
	struct ndis_seen ring[NDIS_RING];
	size_t ring_n;
	struct etl_comp *comps;
	size_t n_comps, cap_comps;
	uint32_t *comp_idx;		/* 65536: 1 + index into comps, 0 none */
	struct etl_iface *ifaces;
	size_t n_ifaces, cap_ifaces, n_ndis_ifaces;
	uint32_t ndis_ix[DT_ETL_MAX_NDIS_IFACES];
	struct etl_frag frags[FRAG_SLOTS];
	int warned_events_lost, warned_buffer_lost, warned_ifaces;
	int stop;			/* out of memory: decode no further */

	/* a fault met while decoding, reported after the last packet */
	int fault;
	uint64_t fault_off;
	char fault_msg[DT_CAP_ERRLEN];
};

/* ---- little helpers ------------------------------------------------------ */

static uint16_t
get16at(const uint8_t *p, size_t n, size_t off)
{
	struct rd r = rd_make(p, n);

	rd_skip(&r, off);
	return rd_u16le(&r);
}

static uint32_t
get32at(const uint8_t *p, size_t n, size_t off)
{
	struct rd r = rd_make(p, n);

	rd_skip(&r, off);
	return rd_u32le(&r);
}

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Append one code point as UTF-8 if it fits whole. */
static void
put_utf8(char *dst, size_t dstlen, size_t *len, uint32_t c)
{
	char b[4];
	size_t k, i;

	if (c < 0x80) {
		b[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		k = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | (c >> 12 & 0x3f));
		b[2] = (char)(0x80 | (c >> 6 & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		k = 4;
	}
	if (*len + k >= dstlen)
		return;
	for (i = 0; i < k; i++)
		dst[(*len)++] = b[i];
	dst[*len] = '\0';
}

/*
 * A NUL-terminated UTF-16LE string (the end of the data ends it too) into
 * dst as UTF-8, cut at a character boundary; unpaired surrogates and
 * control characters become U+FFFD. The reader moves past the string.
 */
static void
utf16z(struct rd *r, char *dst, size_t dstlen, size_t *len)
{
	uint32_t c, lo;

	while (r->n >= 2) {
		c = rd_u16le(r);
		if (c == 0)
			return;
		if (c >= 0xd800 && c < 0xdc00 && r->n >= 2 &&
		    get16at(r->p, r->n, 0) >= 0xdc00 &&
		    get16at(r->p, r->n, 0) < 0xe000) {
			lo = rd_u16le(r);
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
		} else if ((c >= 0xd800 && c < 0xe000) || c < 0x20 ||
		    c == 0x7f) {
			c = 0xfffd;
		}
		if (dst != NULL)
			put_utf8(dst, dstlen, len, c);
	}
	if (r->n == 1)
		rd_skip(r, 1);
}

static void
etl_fault(struct dt_etl *e, uint64_t off, const char *msg)
{
	if (e->fault)
		return;
	e->fault = 1;
	e->fault_off = off;
	snprintf(e->fault_msg, sizeof e->fault_msg, "%s", msg);
}

/* ---- time ---------------------------------------------------------------- */

/* Raw session clock to ns since 1970; -1 when it leaves int64. */
static int
etl_time(const struct dt_etl *e, uint64_t raw, int64_t *out)
{
	uint64_t d, q, rem, ns, frac;
	int neg = raw < e->header_ts;

	d = neg ? e->header_ts - raw : raw - e->header_ts;
	q = d / e->clk_freq;
	rem = d % e->clk_freq;
	/* rem < freq and freq * unit fits (checked at open) */
	frac = rem * e->clk_unit / e->clk_freq;
	if (__builtin_mul_overflow(q, e->clk_unit, &ns) ||
	    __builtin_add_overflow(ns, frac, &ns) || ns > (uint64_t)INT64_MAX)
		return -1;
	if (__builtin_add_overflow(e->base_ns,
	    neg ? -(int64_t)ns : (int64_t)ns, out))
		return -1;
	return 0;
}

/* FILETIME to ns since 1970; -1 when it does not fit. */
static int
filetime_ns(int64_t ft, int64_t *out)
{
	int64_t d;

	if (__builtin_sub_overflow(ft, FT_UNIX_EPOCH, &d) ||
	    __builtin_mul_overflow(d, 100, out))
		return -1;
	return 0;
}

/* ---- the source: r->mem, or the peeked bytes then r->fp ------------------ */

static size_t
src_read(struct dt_reader *r, struct dt_etl *e, uint8_t *dst, size_t n)
{
	size_t got = 0, k;

	if (r->mem != NULL) {
		if (e->src_pos >= r->mem_len)
			return 0;
		k = r->mem_len - (size_t)e->src_pos;
		got = n < k ? n : k;
		memcpy(dst, r->mem + e->src_pos, got);
		e->src_pos += got;
		return got;
	}
	if (e->peek_used < r->peek_n) {
		k = r->peek_n - e->peek_used;
		got = n < k ? n : k;
		memcpy(dst, r->peek + e->peek_used, got);
		e->peek_used += got;
	}
	if (got < n && r->fp != NULL) {
		k = fread(dst + got, 1, n - got, r->fp);
		if (k < n - got && ferror(r->fp))
			e->src_err = 1;
		got += k;
	}
	e->src_pos += got;
	return got;
}

static int
grow(struct dt_mem *m, uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *p;

	if (need <= *cap)
		return 0;
	p = dt_realloc(m, *buf, need);
	if (p == NULL)
		return -1;
	*buf = p;
	*cap = need;
	return 0;
}

/* ---- probing and the logfile header -------------------------------------- */

/*
 * 1 when p[0..n) starts like an ETL file: a buffer header followed by the
 * logfile-header system event (needs DT_ETL_BUFHDR + 8 bytes).
 */
static int
dt_etl_probe(const uint8_t *p, size_t n)
{
	uint32_t bsize, filled, marker;
	uint16_t rsize, hook;

	if (n < DT_ETL_BUFHDR + 8)
		return 0;
	bsize = get32at(p, n, BH_SIZE);
	filled = get32at(p, n, BH_FILLED);
	marker = get32at(p, n, DT_ETL_BUFHDR);
	rsize = get16at(p, n, DT_ETL_BUFHDR + 4);
	hook = get16at(p, n, DT_ETL_BUFHDR + 6);
	if ((marker >> 24 & 0xc0) != 0xc0)
		return 0;
	if ((marker >> 16 & 0xff) != HT_SYSTEM32 &&
	    (marker >> 16 & 0xff) != HT_SYSTEM64)
		return 0;
	if (hook != 0 || rsize < SYSTEM_HEADER_SIZE + 0x110)
		return 0;
	if (bsize < DT_ETL_BUFHDR + rsize || bsize > DT_ETL_MAX_BUFFER)
		return 0;
	if (filled < DT_ETL_BUFHDR + rsize || filled > DT_ETL_MAX_BUFFER)
		return 0;
	return 1;
}

/* TRACE_LOGFILE_HEADER (after a SYSTEM_TRACE_HEADER) into e->info. */
static int
logfile_header(struct dt_reader *r, struct dt_etl *e, struct rd rec,
    int type)
{
	struct dt_etl_info *in = &e->info;
	struct rd h, s;
	uint32_t psize;
	int64_t start, end;
	size_t len = 0;

	rd_skip(&rec, 0x10);
	e->header_ts = rd_u64le(&rec);
	rd_skip(&rec, 8);		/* kernel and user time */
	h = rec;
	rd_skip(&h, 4);			/* BufferSize */
	rd_skip(&h, 4);			/* Version */
	in->build = rd_u32le(&h);
	in->n_cpus = rd_u32le(&h);
	end = (int64_t)rd_u64le(&h);
	rd_skip(&h, 8);			/* TimerResolution, MaximumFileSize */
	in->log_mode = rd_u32le(&h);
	in->buffers_written = rd_u32le(&h);
	rd_skip(&h, 4);			/* StartBuffers */
	psize = rd_u32le(&h);
	rd_skip(&h, 4);			/* EventsLost */
	in->cpu_mhz = rd_u32le(&h);
	if (psize != 4 && psize != 8)
		psize = type == HT_SYSTEM32 ? 4 : 8;
	in->pointer_size = (int)psize;
	/* two pointers, TIME_ZONE_INFORMATION (0xac) + 4, BootTime */
	rd_skip(&h, 2 * psize + 0xac + 4 + 8);
	in->perf_freq = rd_u64le(&h);
	start = (int64_t)rd_u64le(&h);
	in->clock = rd_u32le(&h);
	rd_skip(&h, 4);			/* BuffersLost */
	if (!rd_ok(&h)) {
		dt_reader_fail(r, DT_ETL_BUFHDR,
		    "ETL logfile header is too short");
		return -1;
	}
	s = h;
	utf16z(&s, in->logger, sizeof in->logger, &len);
	if (filetime_ns(start, &e->base_ns) != 0 || start <= 0) {
		dt_reader_fail(r, DT_ETL_BUFHDR,
		    "ETL start time %lld is out of range", (long long)start);
		return -1;
	}
	in->start_ns = e->base_ns;
	if (filetime_ns(end, &in->end_ns) != 0)
		in->end_ns = 0;
	switch (in->clock) {
	case 2:				/* system time: FILETIME ticks */
		e->clk_freq = 1;
		e->clk_unit = 100;
		break;
	case 3:				/* CPU cycles */
		if (in->cpu_mhz == 0) {
			dt_reader_fail(r, DT_ETL_BUFHDR, "ETL CPU-cycle clock "
			    "without a CPU speed");
			return -1;
		}
		e->clk_freq = in->cpu_mhz;
		e->clk_unit = 1000;
		break;
	default:			/* 1 QPC (and 0, unset: the same) */
		if (in->perf_freq == 0 ||
		    in->perf_freq > UINT64_C(9000000000)) {
			dt_reader_fail(r, DT_ETL_BUFHDR, "ETL clock frequency "
			    "%llu is implausible",
			    (unsigned long long)in->perf_freq);
			return -1;
		}
		if (in->clock != 1 && in->clock != 0) {
			dt_reader_fail(r, DT_ETL_BUFHDR,
			    "ETL clock type %u is not supported", in->clock);
			return -1;
		}
		e->clk_freq = in->perf_freq;
		e->clk_unit = 1000000000;
		break;
	}
	return 0;
}

int
dt_etl_open(struct dt_reader *r)
{
	struct dt_etl *e;
	uint8_t probe[DT_ETL_BUFHDR + 8];
	uint32_t bsize, body;
	size_t got;
	struct rd rec;

	e = dt_calloc(r->m, 1, sizeof *e);
	if (e == NULL) {
		dt_reader_fail(r, 0, "out of memory");
		return DT_ENOMEM;
	}
	r->etl = e;
	got = src_read(r, e, e->first_hdr, DT_ETL_BUFHDR);
	if (got < DT_ETL_BUFHDR && e->src_err) {
		r->io_error = 1;
		dt_reader_fail(r, 0, "cannot read");
		return DT_EIO;
	}
	if (got < DT_ETL_BUFHDR)
		return 1;
	bsize = get32at(e->first_hdr, DT_ETL_BUFHDR, BH_SIZE);
	if (r->size != 0 && bsize > r->size)
		bsize = (uint32_t)r->size;
	if (bsize < DT_ETL_BUFHDR + 8 || bsize > DT_ETL_MAX_BUFFER)
		return 1;
	body = bsize - DT_ETL_BUFHDR;
	/* probe before allocating the buffer */
	memcpy(probe, e->first_hdr, DT_ETL_BUFHDR);
	got = src_read(r, e, probe + DT_ETL_BUFHDR, 8);
	if (got < 8 || !dt_etl_probe(probe, sizeof probe))
		return 1;
	if (grow(r->m, &e->io, &e->io_cap, DT_ETL_BUFHDR + body) != 0) {
		dt_reader_fail(r, 0, "out of memory");
		return DT_ENOMEM;
	}
	memcpy(e->io, probe, sizeof probe);
	got += src_read(r, e, e->io + DT_ETL_BUFHDR + 8, body - 8);
	if (e->src_err) {
		r->io_error = 1;
		dt_reader_fail(r, DT_ETL_BUFHDR, "cannot read");
		return DT_EIO;
	}
	e->first_len = got;
	e->have_first = 1;
	rec = rd_make(e->io + DT_ETL_BUFHDR, got);
	rec = rd_sub(&rec, get16at(e->io, DT_ETL_BUFHDR + got,
	    DT_ETL_BUFHDR + 4));
	if (!rd_ok(&rec)) {
		dt_reader_fail(r, DT_ETL_BUFHDR, "ETL logfile header record "
		    "runs past the first buffer");
		return DT_EFORMAT;
	}
	if (logfile_header(r, e, rec,
	    (int)(get32at(e->io, DT_ETL_BUFHDR + 8, DT_ETL_BUFHDR) >> 16 &
	    0xff)) != 0)
		return DT_EFORMAT;
	r->format = DT_CAP_ETL;
	r->pos = 0;
	return 0;
}

/* ---- the packet heap ---------------------------------------------------- */

static int
pkt_less(const struct etl_pkt *x, const struct etl_pkt *y)
{
	if (x->time != y->time)
		return x->time < y->time;
	return x->seq < y->seq;
}

/* A copy of *tmpl with its own copy of the bytes into the heap. */
static int
push_packet(struct dt_reader *r, struct dt_etl *e, const struct etl_pkt *tmpl,
    const uint8_t *data, size_t caplen)
{
	struct etl_pkt *h, t;
	size_t i, ncap;

	if (e->n_heap == e->cap_heap) {
		ncap = e->cap_heap ? e->cap_heap * 2 : 256;
		h = dt_realloc(r->m, e->heap, ncap * sizeof *h);
		if (h == NULL)
			goto nomem;
		e->heap = h;
		e->cap_heap = ncap;
	}
	t = *tmpl;
	t.seq = e->seq++;
	t.caplen = (uint32_t)caplen;
	if (t.origlen < t.caplen)
		t.origlen = t.caplen;
	t.data = dt_malloc(r->m, caplen ? caplen : 1);
	if (t.data == NULL)
		goto nomem;
	if (caplen > 0)
		memcpy(t.data, data, caplen);
	h = e->heap;
	for (i = e->n_heap++; i > 0 && pkt_less(&t, &h[(i - 1) / 2]);
	    i = (i - 1) / 2)
		h[i] = h[(i - 1) / 2];
	h[i] = t;
	e->heap_bytes += caplen + sizeof t;
	e->info.n_events++;
	return 0;
nomem:
	etl_fault(e, tmpl->offset, "out of memory");
	e->stop = 1;
	return -1;
}

static void
pop_packet(struct dt_etl *e, struct etl_pkt *out)
{
	struct etl_pkt *h = e->heap, last;
	size_t i = 0, c, n;

	*out = h[0];
	e->heap_bytes -= out->caplen + sizeof *out;
	n = --e->n_heap;
	if (n == 0)
		return;
	last = h[n];
	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && pkt_less(&h[c + 1], &h[c]))
			c++;
		if (!pkt_less(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = last;
}

static int
table_linktype(const struct lt_map *t, size_t n, int value, int dflt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].linktype;
	return dflt;
}

/* ---- PktMon -------------------------------------------------------------- */

static struct etl_comp *
comp_get(struct dt_reader *r, struct dt_etl *e, uint16_t id, int create)
{
	struct etl_comp *c;
	size_t ncap;

	if (e->comp_idx == NULL) {
		if (!create)
			return NULL;
		e->comp_idx = dt_calloc(r->m, 65536, sizeof *e->comp_idx);
		if (e->comp_idx == NULL)
			return NULL;
	}
	if (e->comp_idx[id] != 0)
		return &e->comps[e->comp_idx[id] - 1];
	if (!create)
		return NULL;
	if (e->n_comps == e->cap_comps) {
		ncap = e->cap_comps ? e->cap_comps * 2 : 64;
		c = dt_realloc(r->m, e->comps, ncap * sizeof *c);
		if (c == NULL)
			return NULL;
		e->comps = c;
		e->cap_comps = ncap;
	}
	c = &e->comps[e->n_comps++];
	memset(c, 0, sizeof *c);
	c->id = id;
	c->medium = -1;
	c->iface = -1;
	e->comp_idx[id] = (uint32_t)e->n_comps;
	return c;
}

static int
iface_add(struct dt_reader *r, struct dt_etl *e, const struct etl_iface *f)
{
	struct etl_iface *n;
	size_t ncap;

	if (e->n_ifaces == e->cap_ifaces) {
		ncap = e->cap_ifaces ? e->cap_ifaces * 2 : 16;
		n = dt_realloc(r->m, e->ifaces, ncap * sizeof *n);
		if (n == NULL)
			return -1;
		e->ifaces = n;
		e->cap_ifaces = ncap;
	}
	e->ifaces[e->n_ifaces++] = *f;
	return (int)(e->n_ifaces - 1);
}

/* Event 20 ComponentInfo: Id, Type, Name, Description ("Name / Desc"). */
static void
pm_component(struct dt_reader *r, struct dt_etl *e, struct rd *u,
    uint64_t off)
{
	struct etl_comp *c;
	uint16_t id, type;
	char name[64];
	size_t len = 0, nl;

	id = rd_u16le(u);
	type = rd_u16le(u);
	name[0] = '\0';
	utf16z(u, name, sizeof name, &len);
	nl = len;
	if (len > 0 && len + 3 < sizeof name) {
		memcpy(name + len, " / ", 4);
		len += 3;
	}
	utf16z(u, name, sizeof name, &len);
	if (len == nl + 3)
		name[nl] = '\0';	/* no description */
	if (!rd_ok(u)) {
		dt_reader_warnf(r, off, "PktMon component event is too short; "
		    "skipped");
		return;
	}
	if ((c = comp_get(r, e, id, 1)) == NULL) {
		etl_fault(e, off, "out of memory");
		e->stop = 1;
		return;
	}
	if (c->name[0] == '\0')
		e->info.n_components++;
	c->type = type;
	memcpy(c->name, name, sizeof c->name);
}

/* Event 60 NdisMedium: ComponentId, Type, Value u16. */
static void
pm_medium(struct dt_reader *r, struct dt_etl *e, struct rd *u, uint64_t off)
{
	struct etl_comp *c;
	uint16_t id, medium;

	id = rd_u16le(u);
	rd_skip(u, 2);
	medium = rd_u16le(u);
	if (!rd_ok(u))
		return;
	if ((c = comp_get(r, e, id, 1)) == NULL) {
		etl_fault(e, off, "out of memory");
		e->stop = 1;
		return;
	}
	c->medium = medium;
}

/* Events 160 FramePayload and 170 FrameDropPayload. */
static void
pm_packet(struct dt_reader *r, struct dt_etl *e, struct rd *u, int drop,
    int64_t t, uint64_t off)
{
	struct etl_pkt p;
	struct etl_comp *c;
	struct etl_iface f;
	const uint8_t *payload;
	uint64_t group;
	uint16_t number, app, dirtag, ptype, comp, edge, filter, orig, logged;
	uint32_t reason, loc;
	int lt, ix;
	size_t i;

	group = rd_u64le(u);
	number = rd_u16le(u);
	app = rd_u16le(u);
	dirtag = rd_u16le(u);
	ptype = rd_u16le(u);
	comp = rd_u16le(u);
	edge = rd_u16le(u);
	filter = rd_u16le(u);
	reason = rd_u32le(u);
	loc = rd_u32le(u);
	orig = rd_u16le(u);
	logged = rd_u16le(u);
	payload = rd_bytes(u, logged);
	if (!rd_ok(u)) {
		dt_reader_warnf(r, off, "PktMon packet event is shorter than "
		    "its payload size %u; skipped", logged);
		return;
	}
	if ((c = comp_get(r, e, comp, 1)) == NULL) {
		etl_fault(e, off, "out of memory");
		e->stop = 1;
		return;
	}
	if (c->iface < 0) {
		memset(&f, 0, sizeof f);
		f.src = SRC_PKTMON;
		f.comp = comp;
		if ((ix = iface_add(r, e, &f)) < 0) {
			etl_fault(e, off, "out of memory");
			e->stop = 1;
			return;
		}
		c->iface = ix;
	}
	lt = table_linktype(pm_ptypes, sizeof pm_ptypes / sizeof pm_ptypes[0],
	    ptype, -1);
	if (lt < 0)
		lt = table_linktype(pm_media,
		    sizeof pm_media / sizeof pm_media[0], c->medium,
		    LT_ETHERNET);
	memset(&p, 0, sizeof p);
	p.offset = off;
	p.time = t;
	p.src = SRC_PKTMON;
	p.linktype = (uint16_t)lt;
	p.origlen = orig;
	p.iface = (uint32_t)c->iface;
	p.comp = comp;
	p.group = group;
	p.number = number;
	p.appearance = app;
	p.edge = edge;
	p.filter = filter;
	p.reason = reason;
	p.location = loc;
	p.dropped = (uint8_t)drop;
	for (i = 0; i < sizeof pm_dirs / sizeof pm_dirs[0]; i++)
		if (pm_dirs[i].tag == dirtag)
			p.dir = (uint8_t)pm_dirs[i].dir;
	(void)push_packet(r, e, &p, payload, logged);
}

static void
pm_event(struct dt_reader *r, struct dt_etl *e, unsigned id, struct rd *u,
    int64_t t, uint64_t off)
{
	if (id == 20)
		pm_component(r, e, u, off);
	else if (id == 60)
		pm_medium(r, e, u, off);
	else if (id == 160 || id == 170)
		pm_packet(r, e, u, id == 170, t, off);
}

/* ---- NDIS-PacketCapture ------------------------------------------------- */

/* IP total length at data[base..]: the original frame length, or 0. */
static uint32_t
ip_origlen(const uint8_t *data, size_t n, size_t base)
{
	struct rd r = rd_make(data, n);
	uint8_t v;

	rd_skip(&r, base);
	v = rd_u8(&r);
	if ((v >> 4) == 4) {
		rd_skip(&r, 1);
		return rd_ok(&r) ? (uint32_t)base + rd_u16(&r) : 0;
	}
	if ((v >> 4) == 6) {
		rd_skip(&r, 3);
		return rd_ok(&r) ? (uint32_t)base + 40 + rd_u16(&r) : 0;
	}
	return 0;
}

static uint16_t
eth_type(const uint8_t *data, size_t n, size_t *l2len)
{
	struct rd r = rd_make(data, n);
	uint16_t t;

	rd_skip(&r, 12);
	t = rd_u16(&r);
	*l2len = 14;
	if (t == 0x8100 || t == 0x88a8) {
		rd_skip(&r, 2);
		t = rd_u16(&r);
		*l2len = 18;
	}
	return rd_ok(&r) ? t : 0;
}

/*
 * A tunnel interface's frames: raw IP when the bytes are a consistent
 * IPv4/IPv6 header and not an Ethernet header (open question #1 of the
 * research note; no real sample settles it).
 */
static int
tunnel_linktype(const uint8_t *data, size_t n, int truncated)
{
	size_t l2;
	uint16_t et = eth_type(data, n, &l2);
	uint32_t il = ip_origlen(data, n, 0);
	int eth_ok = et == 0x0800 || et == 0x86dd || et == 0x0806;
	int ip_ok = il != 0 && (il == n || (truncated && il > n));

	if (ip_ok && !eth_ok)
		return LT_RAW;
	if (eth_ok)
		return LT_ETHERNET;
	return il != 0 ? LT_RAW : LT_ETHERNET;
}

static int
ndis_iface(struct dt_reader *r, struct dt_etl *e, uint32_t mini,
    uint32_t lower, int lt, uint64_t kw, uint64_t off)
{
	struct etl_iface f;
	const char *kind;
	size_t i;
	int ix;

	for (i = e->n_ndis_ifaces; i-- > 0;) {
		const struct etl_iface *g = &e->ifaces[e->ndis_ix[i]];

		if (g->mini == mini && g->lower == lower && g->linktype == lt)
			return (int)e->ndis_ix[i];
	}
	if (e->n_ndis_ifaces >= DT_ETL_MAX_NDIS_IFACES) {
		if (!e->warned_ifaces++)
			dt_reader_warnf(r, off, "more than %u NDIS capture "
			    "points; the rest share the last interface",
			    DT_ETL_MAX_NDIS_IFACES);
		return (int)e->ndis_ix[e->n_ndis_ifaces - 1];
	}
	memset(&f, 0, sizeof f);
	f.src = SRC_NDIS;
	f.mini = mini;
	f.lower = lower;
	f.linktype = lt;
	kind = lt == LT_80211 ? "wifi" : (kw & KW_WWAN) ? "mbb" :
	    (kw & KW_TUNNEL) ? "tunnel" : "eth";
	if (lower == mini)
		snprintf(f.name, sizeof f.name, "%s:%u", kind, lower);
	else
		snprintf(f.name, sizeof f.name, "%s:%u LWF over IfIndex %u",
		    kind, lower, mini);
	if ((ix = iface_add(r, e, &f)) < 0)
		return -1;
	e->ndis_ix[e->n_ndis_ifaces++] = (uint32_t)ix;
	return ix;
}

static void
ndis_emit(struct dt_reader *r, struct dt_etl *e, uint32_t mini,
    uint32_t lower, uint64_t kw, int64_t t, const uint8_t *data, size_t n,
    uint64_t off)
{
	struct etl_pkt p;
	uint32_t ol = 0;
	size_t l2;
	uint16_t et;
	int lt, ix;

	if (kw & KW_80211)
		lt = LT_80211;
	else if (kw & KW_WWAN)
		lt = LT_RAW;
	else if (kw & KW_TUNNEL)
		lt = tunnel_linktype(data, n, (kw & KW_TRUNCATED) != 0);
	else
		lt = LT_ETHERNET;
	if (kw & KW_TRUNCATED) {
		/* ndiscap does not log the original length: the IP header
		   tells it (as etl2pcapng does). */
		if (lt == LT_RAW) {
			ol = ip_origlen(data, n, 0);
		} else if (lt == LT_ETHERNET) {
			et = eth_type(data, n, &l2);
			if (et == 0x0800 || et == 0x86dd)
				ol = ip_origlen(data, n, l2);
		}
	}
	if ((ix = ndis_iface(r, e, mini, lower, lt, kw, off)) < 0) {
		etl_fault(e, off, "out of memory");
		e->stop = 1;
		return;
	}
	memset(&p, 0, sizeof p);
	p.offset = off;
	p.time = t;
	p.src = SRC_NDIS;
	p.linktype = (uint16_t)lt;
	p.origlen = ol;
	p.iface = (uint32_t)ix;
	p.mini = mini;
	p.lower = lower;
	p.dir = (kw & KW_SEND) ? DT_DIR_OUT : (kw & KW_RECV) ? DT_DIR_IN :
	    DT_DIR_UNKNOWN;
	(void)push_packet(r, e, &p, data, n);
}

static void
frag_reset(struct dt_etl *e, struct etl_frag *f)
{
	(void)e;
	f->used = 0;
	f->len = 0;
}

/* One 1001/1003 fragment: whole packets go out, pieces are stitched. */
static void
ndis_fragment(struct dt_reader *r, struct dt_etl *e, uint32_t mini,
    uint32_t lower, uint32_t tid, uint64_t kw, int64_t t,
    const uint8_t *frag, size_t n, uint64_t off)
{
	struct etl_frag *f = NULL;
	size_t i;

	for (i = 0; i < FRAG_SLOTS; i++)
		if (e->frags[i].used && e->frags[i].mini == mini &&
		    e->frags[i].lower == lower && e->frags[i].tid == tid)
			f = &e->frags[i];
	if (kw & KW_START) {
		if (f != NULL) {
			dt_reader_warnf(r, f->offset, "NDIS packet without "
			    "its PacketEnd fragment; dropped");
			frag_reset(e, f);
		}
		if (kw & KW_END) {
			ndis_emit(r, e, mini, lower, kw, t, frag, n, off);
			return;
		}
		for (i = 0; i < FRAG_SLOTS && f == NULL; i++)
			if (!e->frags[i].used)
				f = &e->frags[i];
		if (f == NULL) {
			f = &e->frags[0];	/* the oldest slot gives way */
			dt_reader_warnf(r, f->offset, "too many NDIS packets "
			    "in pieces at once; one dropped");
		}
		frag_reset(e, f);
		f->used = 1;
		f->mini = mini;
		f->lower = lower;
		f->tid = tid;
		f->time = t;
		f->kw = kw;
		f->offset = off;
	} else if (f == NULL) {
		dt_reader_warnf(r, off, "NDIS packet fragment without its "
		    "PacketStart; dropped");
		return;
	}
	if (n > DT_ETL_MAX_PACKET - f->len) {
		dt_reader_warnf(r, f->offset, "NDIS packet longer than %u "
		    "bytes; dropped", DT_ETL_MAX_PACKET);
		frag_reset(e, f);
		return;
	}
	if (grow(r->m, &f->data, &f->cap, f->len + n) != 0) {
		etl_fault(e, off, "out of memory");
		e->stop = 1;
		return;
	}
	if (n > 0)
		memcpy(f->data + f->len, frag, n);
	f->len += n;
	f->kw |= kw & KW_TRUNCATED;
	if (kw & KW_END) {
		ndis_emit(r, e, mini, lower, f->kw, f->time, f->data, f->len,
		    f->offset);
		frag_reset(e, f);
	}
}

static void
ndis_event(struct dt_reader *r, struct dt_etl *e, unsigned id, struct rd *u,
    uint64_t kw, uint32_t tid, int64_t t, uint64_t off)
{
	uint32_t mini, lower, n, count;
	const uint8_t *frag;

	if (id != 1001 && id != 1003)
		return;
	mini = rd_u32le(u);
	lower = rd_u32le(u);
	if (id == 1003) {
		rd_skip(u, 4);			/* SourcePortId */
		utf16z(u, NULL, 0, NULL);	/* SourcePortName */
		utf16z(u, NULL, 0, NULL);	/* SourceNicName */
		utf16z(u, NULL, 0, NULL);	/* SourceNicType */
		count = rd_u32le(u);
		if (count > u->n / 8)
			u->bad = 1;
		else
			rd_skip(u, (size_t)count * 8);
	}
	n = rd_u32le(u);
	frag = rd_bytes(u, n);
	if (!rd_ok(u)) {
		dt_reader_warnf(r, off, "NDIS packet event %u is shorter than "
		    "its fragment; skipped", id);
		return;
	}
	ndis_fragment(r, e, mini, lower, tid, kw, t, frag, n, off);
}

/* ---- records ------------------------------------------------------------ */

/* An EVENT_HEADER record (0x12/0x13). -1: the record is malformed. */
static int
event_record(struct dt_reader *r, struct dt_etl *e, struct rd rec,
    uint64_t off)
{
	const uint8_t *guid;
	uint16_t flags, id, lnk, dsize, r1;
	size_t step;
	uint32_t tid;
	uint64_t ts, kw;
	int64_t t;
	int pm, nd;

	rd_skip(&rec, 4);			/* Size, HeaderType, MarkerFlags */
	flags = rd_u16le(&rec);
	rd_skip(&rec, 2);			/* EventProperty */
	tid = rd_u32le(&rec);
	rd_skip(&rec, 4);			/* ProcessId */
	ts = rd_u64le(&rec);
	guid = rd_bytes(&rec, 16);
	id = rd_u16le(&rec);
	rd_skip(&rec, 6);			/* Version .. Task */
	kw = rd_u64le(&rec);
	rd_skip(&rec, 8 + 16);			/* ProcessorTime, ActivityId */
	if (!rd_ok(&rec))
		return -1;
	pm = memcmp(guid, guid_pktmon, 16) == 0;
	nd = memcmp(guid, guid_ndis, 16) == 0;
	if (!pm && !nd)
		return 0;
	if (flags & EH_EXTENDED_INFO) {
		/*
		 * EVENT_HEADER_EXTENDED_DATA_ITEM headers (Reserved1, ExtType,
		 * Linkage, DataSize), chained by the Linkage bit, each
		 * followed by its data padded to 8. One public reader takes
		 * Reserved1 as the item's whole size: when it is a plausible
		 * one (a multiple of 8 holding the data), it is the step.
		 */
		do {
			r1 = rd_u16le(&rec);
			rd_skip(&rec, 2);	/* ExtType */
			lnk = rd_u16le(&rec);
			dsize = rd_u16le(&rec);
			step = align8(dsize);
			if (r1 % 8 == 0 && r1 >= 8 + (size_t)dsize)
				step = r1 - 8u;
			if (step > rec.n)
				step = dsize;	/* unpadded last item */
			rd_skip(&rec, step);
			if (!rd_ok(&rec)) {
				dt_reader_warnf(r, off, "ETL event extended "
				    "data runs past the event; event skipped");
				return 0;
			}
		} while (lnk & 1);
	}
	if (etl_time(e, ts, &t) != 0) {
		dt_reader_warnf(r, off, "ETL event time is out of range; "
		    "event skipped");
		return 0;
	}
	if (pm)
		pm_event(r, e, id, &rec, t, off);
	else
		ndis_event(r, e, id, &rec, kw, tid, t, off);
	return 0;
}

/*
 * Walk the records of one buffer's valid area. boff: the buffer's file
 * offset; exact: record offsets are file offsets (uncompressed).
 */
static void
walk_records(struct dt_reader *r, struct dt_etl *e, const uint8_t *area,
    size_t len, uint64_t boff, int exact)
{
	struct rd h, rec;
	uint32_t marker;
	unsigned hf, ht;
	size_t off = 0, size;
	uint64_t roff;

	while (off < len && !e->stop) {
		h = rd_make(area, len);
		rd_skip(&h, off);
		roff = exact ? boff + DT_ETL_BUFHDR + off : boff;
		if (h.n < 4)
			break;
		marker = get32at(h.p, h.n, 0);
		if (marker == 0xffffffffu || marker == 0)
			break;
		hf = marker >> 24;
		ht = marker >> 16 & 0xff;
		if ((hf & 0xc0) == 0xc0 && ((ht >= HT_SYSTEM32 &&
		    ht <= HT_COMPACT64) || ht == HT_PERFINFO32 ||
		    ht == HT_PERFINFO64))
			size = get16at(h.p, h.n, 4);
		else if (hf & 0x80)
			size = get16at(h.p, h.n, 0);
		else {
			dt_reader_warnf(r, roff, "ETL record without a trace "
			    "header (0x%08x); rest of the buffer skipped",
			    marker);
			return;
		}
		if (size < 8 || size > h.n ||
		    ((hf & 0xc0) == 0xc0 && (ht == HT_EVENT32 ||
		    ht == HT_EVENT64) && size < EVENT_HEADER_SIZE)) {
			dt_reader_warnf(r, roff, "ETL record size %zu does "
			    "not fit the buffer; rest of the buffer skipped",
			    size);
			return;
		}
		rec = rd_sub(&h, size);
		if ((hf & 0xc0) == 0xc0 && (ht == HT_EVENT32 ||
		    ht == HT_EVENT64) &&
		    event_record(r, e, rec, roff) != 0) {
			dt_reader_warnf(r, roff, "ETL event header is "
			    "malformed; rest of the buffer skipped");
			return;
		}
		if (align8(size) >= len - off)
			break;
		off += align8(size);
	}
}

/* One buffer: header hdr, body[0..body_len) as read from the file. */
static void
do_buffer(struct dt_reader *r, struct dt_etl *e, const uint8_t *hdr,
    const uint8_t *body, size_t body_len, uint64_t boff)
{
	uint32_t filled, valid;
	uint16_t flags;
	size_t got;

	filled = get32at(hdr, DT_ETL_BUFHDR, BH_FILLED);
	flags = get16at(hdr, DT_ETL_BUFHDR, BH_FLAGS);
	e->info.n_buffers++;
	if ((flags & BF_EVENTS_LOST) && !e->warned_events_lost++)
		dt_reader_warnf(r, boff, "the trace session lost events "
		    "(buffer flag EVENTS_LOST)");
	if ((flags & BF_BUFFER_LOST) && !e->warned_buffer_lost++)
		dt_reader_warnf(r, boff, "the trace session lost buffers "
		    "(buffer flag BUFFER_LOST)");
	if (filled < DT_ETL_BUFHDR || filled > DT_ETL_MAX_BUFFER) {
		dt_reader_warnf(r, boff, "ETL buffer filled size %u is "
		    "implausible; buffer skipped", filled);
		return;
	}
	valid = filled - DT_ETL_BUFHDR;
	if (flags & BF_COMPRESSED) {
		e->info.n_compressed++;
		/* a few bytes of LZ77 can claim megabytes: bound the work */
		if (valid / DT_ETL_MAX_RATIO > body_len) {
			dt_reader_warnf(r, boff, "ETL buffer claims %u bytes "
			    "from %zu compressed; buffer skipped", valid,
			    body_len);
			return;
		}
		if (grow(r->m, &e->dec, &e->dec_cap, valid) != 0) {
			etl_fault(e, boff, "out of memory");
			e->stop = 1;
			return;
		}
		if (dt_xpress_decompress(body, body_len, e->dec, valid,
		    &got) != 0 || got != valid) {
			dt_reader_warnf(r, boff, "ETL buffer uses an "
			    "unsupported compression (XPRESS does not give "
			    "its %u bytes); buffer skipped", valid);
			return;
		}
		walk_records(r, e, e->dec, valid, boff, 0);
		return;
	}
	if (valid > body_len) {
		dt_reader_warnf(r, boff, "ETL buffer filled size %u runs past "
		    "its %zu bytes; records up to there read", filled,
		    body_len + DT_ETL_BUFHDR);
		valid = (uint32_t)body_len;
	}
	walk_records(r, e, body, valid, boff, 1);
}

/* The next buffer of the file (the first was read by open); 0 at the end. */
static int
decode_step(struct dt_reader *r, struct dt_etl *e)
{
	uint8_t hdr[DT_ETL_BUFHDR];
	uint64_t boff;
	uint32_t bsize;
	size_t body, got;

	if (e->stop)
		return 0;
	if (e->have_first) {
		e->have_first = 0;
		do_buffer(r, e, e->io, e->io + DT_ETL_BUFHDR, e->first_len, 0);
		bsize = get32at(e->io, DT_ETL_BUFHDR, BH_SIZE);
		if (e->first_len < bsize - DT_ETL_BUFHDR) {
			dt_reader_warnf(r, 0, "ETL file ends inside its first "
			    "buffer");
			return 0;
		}
		return 1;
	}
	boff = e->src_pos;
	got = src_read(r, e, hdr, DT_ETL_BUFHDR);
	if (got == 0)
		return 0;
	if (got < DT_ETL_BUFHDR) {
		dt_reader_warnf(r, boff, "ETL file ends inside a buffer "
		    "header");
		return 0;
	}
	bsize = get32at(hdr, DT_ETL_BUFHDR, BH_SIZE);
	if (bsize == 0)
		return 0;		/* zero-filled tail (circular files) */
	if (bsize < DT_ETL_BUFHDR + 8 || bsize > DT_ETL_MAX_BUFFER) {
		dt_reader_warnf(r, boff, "ETL buffer size %u is implausible; "
		    "rest of the file skipped", bsize);
		return 0;
	}
	body = bsize - DT_ETL_BUFHDR;
	if (r->size != 0 && r->size > boff &&
	    body > r->size - boff - DT_ETL_BUFHDR)
		body = (size_t)(r->size - boff - DT_ETL_BUFHDR);
	if (grow(r->m, &e->io, &e->io_cap, body) != 0) {
		etl_fault(e, boff, "out of memory");
		return 0;
	}
	got = src_read(r, e, e->io, body);
	if (e->src_err) {
		etl_fault(e, boff, "cannot read");
		r->io_error = 1;
		return 0;
	}
	do_buffer(r, e, hdr, e->io, got, boff);
	if (got < bsize - DT_ETL_BUFHDR) {
		dt_reader_warnf(r, boff, "ETL file ends inside a buffer (%zu "
		    "of %u bytes)", got + DT_ETL_BUFHDR, bsize);
		return 0;
	}
	return 1;
}

/* At the end: pieces of packets that never ended, and the buffers. */
static void
decode_end(struct dt_reader *r, struct dt_etl *e)
{
	size_t i;

	e->eof = 1;
	for (i = 0; i < FRAG_SLOTS; i++) {
		if (e->frags[i].used)
			dt_reader_warnf(r, e->frags[i].offset, "NDIS packet "
			    "without its PacketEnd fragment; dropped");
		dt_free(r->m, e->frags[i].data);
		e->frags[i].data = NULL;
		e->frags[i].used = 0;
	}
	dt_free(r->m, e->io);
	dt_free(r->m, e->dec);
	e->io = e->dec = NULL;
	e->io_cap = e->dec_cap = 0;
}

/*
 * pktmon: a later sighting of (group, number) within the window of its
 * first one. A direct-mapped table: sightings of one packet are close.
 */
static int
pm_duplicate(struct dt_reader *r, struct dt_etl *e, const struct etl_pkt *p)
{
	struct pm_seen *k;
	uint64_t h;

	if (e->seen == NULL) {
		e->seen = dt_calloc(r->m, DT_PKTMON_SLOTS, sizeof *e->seen);
		if (e->seen == NULL)
			return 0;
	}
	h = p->group * UINT64_C(0x9e3779b97f4a7c15) ^
	    (uint64_t)p->number * UINT64_C(0xc2b2ae3d27d4eb4f);
	h ^= h >> 29;
	k = &e->seen[h & (DT_PKTMON_SLOTS - 1)];
	if (k->used && k->group == p->group && k->number == p->number &&
	    p->time - k->time <= DT_ETL_DUP_WINDOW_NS)
		return 1;
	k->used = 1;
	k->group = p->group;
	k->number = p->number;
	k->time = p->time;
	return 0;
}

static uint64_t
fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* netsh: the same frame just delivered from the same miniport at another
   layer (same bytes, by a 64-bit hash and the length). */
static int
ndis_duplicate(struct dt_etl *e, const struct etl_pkt *p)
{
	struct ndis_seen *q;
	uint64_t h = fnv1a(p->data, p->caplen);
	size_t j;

	for (j = 0; j < e->ring_n && j < NDIS_RING; j++) {
		q = &e->ring[j];
		if (q->hash == h && q->mini == p->mini &&
		    q->lower != p->lower && q->dir == p->dir &&
		    q->caplen == p->caplen &&
		    p->time - q->time <= DT_ETL_NDIS_DUP_NS)
			return 1;
	}
	q = &e->ring[e->ring_n++ % NDIS_RING];
	q->hash = h;
	q->time = p->time;
	q->mini = p->mini;
	q->lower = p->lower;
	q->caplen = p->caplen;
	q->dir = p->dir;
	return 0;
}

/* ---- entry points -------------------------------------------------------- */

/*
 * PktMon DropReason names as Microsoft's NetMon parser for PacketMon
 * (etl_Microsoft-Windows-PktMon-Events.npl, 2018) lists them; newer builds
 * add reasons, which are shown by number.
 */
static const struct {
	uint32_t value;
	const char *name;
} pm_reasons[] = {
	{ 0, "Unspecified" }, { 1, "Invalid Data" }, { 2, "Invalid Packet" },
	{ 3, "Insufficient resources" }, { 4, "Adapter not ready" },
	{ 5, "Media Disconnected" }, { 6, "Not accepted" },
	{ 7, "Device busy" }, { 8, "Filtered" }, { 9, "Filtered VLAN" },
	{ 10, "Unauthorized VLAN" }, { 11, "Unauthorized MAC" },
	{ 12, "Failed security policy" }, { 13, "Failed pVlan setting" },
	{ 14, "QoS drop" }, { 15, "IPSec drop" },
	{ 16, "Spoofed MAC address is not allowed" },
	{ 17, "Failed DHCP guard" }, { 18, "Failed Router Guard" },
	{ 19, "Bridge is not allowed inside VM" },
	{ 20, "Virtual Subnet ID does not match" },
	{ 21, "Required vSwitch extension is missing" },
	{ 22, "Creating vSwitch over another vSwitch is not allowed" },
	{ 23, "MTU mismatch" }, { 24, "Native forwarding required" },
	{ 25, "Invalid VLAN format" }, { 26, "Invalid destination MAC" },
	{ 27, "Invalid source MAC" }, { 28, "First NB too small" },
	{ 29, "Windows Network Virtualization error" },
	{ 30, "Storm limit exceeded" },
	{ 31, "ICMP request injected by switch" },
	{ 32, "Failed to update destination list" },
	{ 33, "Destination NIC is disabled" },
	{ 34, "Packet does not match destination NIC packet filter" },
	{ 35, "vSwitch data flow is disabled" },
	{ 36, "Port isolation setting does not allow untagged traffic" },
	{ 37, "Invalid PD queue" }, { 38, "Adapter is in low power state" },
	{ 101, "Adapter paused" }, { 102, "Adapter reset in progress" },
	{ 103, "Send aborted" }, { 104, "Unsupported EtherType" },
	{ 201, "Microport error" }, { 202, "VF not ready" },
	{ 203, "Microport not ready" }, { 204, "VMBus error" },
};

static void
drop_reason(char *dst, size_t len, uint32_t reason)
{
	size_t i;

	for (i = 0; i < sizeof pm_reasons / sizeof pm_reasons[0]; i++)
		if (pm_reasons[i].value == reason) {
			snprintf(dst, len, "%s", pm_reasons[i].name);
			return;
		}
	snprintf(dst, len, "DropReason %u", reason);
}

int
dt_etl_next(struct dt_reader *r, struct dt_packet *pkt)
{
	struct dt_etl *e = r->etl;
	const struct etl_pkt *p;
	const struct etl_comp *c;
	struct dt_pktmon_meta *pm = &r->pktmon;

	if (e == NULL)
		return DT_ITEROVER;
	dt_free(r->m, e->cur.data);
	e->cur.data = NULL;
	/* fill the reorder window: per-processor buffers overlap in time */
	while (!e->eof && e->heap_bytes < DT_ETL_WINDOW)
		if (!decode_step(r, e))
			decode_end(r, e);
	r->pos = e->src_pos;
	if (e->n_heap == 0) {
		if (e->fault)
			dt_reader_fail(r, e->fault_off, "%s", e->fault_msg);
		return DT_ITEROVER;
	}
	pop_packet(e, &e->cur);
	p = &e->cur;
	if (p->time < e->last_time && !e->warned_order++)
		dt_reader_warnf(r, p->offset, "ETL packets out of time order "
		    "by more than the %u MiB reorder window",
		    DT_ETL_WINDOW >> 20);
	if (p->time > e->last_time || r->frame == 0)
		e->last_time = p->time;
	memset(pkt, 0, sizeof *pkt);
	pkt->frame = ++r->frame;
	pkt->time = p->time;
	pkt->linktype = p->linktype;
	pkt->data = p->data;
	pkt->caplen = p->caplen;
	pkt->origlen = p->origlen;
	pkt->iface = p->iface;
	pkt->dir = p->dir;
	pkt->offset = p->offset;
	if (p->src == SRC_NDIS) {
		pkt->duplicate = ndis_duplicate(e, p);
		pkt->iface_name = e->ifaces[p->iface].name;
		return 0;
	}
	pkt->duplicate = pm_duplicate(r, e, p);
	c = comp_get(r, e, p->comp, 0);
	memset(pm, 0, sizeof *pm);
	pm->present = 1;
	pm->component = p->comp;
	if (c != NULL && c->name[0] != '\0') {
		snprintf(pm->component_name, sizeof pm->component_name, "%s",
		    c->name);
		pkt->iface_name = c->name;
	}
	pm->edge = p->edge;
	pm->group_id = p->group;
	pm->pkt_number = p->number;
	pm->appearance = p->appearance;
	pm->direction = p->dir;
	pm->dropped = p->dropped;
	if (p->dropped) {
		drop_reason(pm->drop_reason, sizeof pm->drop_reason,
		    p->reason);
		snprintf(pm->drop_location, sizeof pm->drop_location,
		    "0x%08X", p->location);
	}
	pkt->pktmon = pm;
	return 0;
}

void
dt_etl_free(struct dt_reader *r)
{
	struct dt_etl *e = r->etl;
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < FRAG_SLOTS; i++)
		dt_free(r->m, e->frags[i].data);
	dt_free(r->m, e->io);
	dt_free(r->m, e->dec);
	for (i = 0; i < e->n_heap; i++)
		dt_free(r->m, e->heap[i].data);
	dt_free(r->m, e->heap);
	dt_free(r->m, e->cur.data);
	dt_free(r->m, e->seen);
	dt_free(r->m, e->comps);
	dt_free(r->m, e->comp_idx);
	dt_free(r->m, e->ifaces);
	dt_free(r->m, e);
	r->etl = NULL;
}

const struct dt_etl_info *
dt_etl_info(const struct dt_reader *r)
{
	const struct dt_etl *e = r->etl;

	return e != NULL && r->format == DT_CAP_ETL ? &e->info : NULL;
}
