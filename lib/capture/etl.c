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
 * marked duplicate (builds that log Appearance 0 name each sighting
 * apart: there the packet's IP bytes do, etl_pktmon.c); netsh logs a
 * frame at the miniport and again at a filter above it: the same bytes
 * from the same miniport at another layer within 10 ms are marked
 * duplicate.
 */
#include "capture/etl.h"

#include <errno.h>
#include <stdarg.h>
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
#define EXT_SCHEMA_TL	0x000b	/* EVENT_HEADER_EXT_TYPE_EVENT_SCHEMA_TL */
#define EXT_PROV_TRAITS	0x000c	/* EVENT_HEADER_EXT_TYPE_PROV_TRAITS */

/* GUIDs as stored (Data1..3 little-endian, MS-DTYP 2.3.4.2). */
static const uint8_t guid_pktmon[16] = {	/* 4d4f80d9-c8bd-4d73-bb5b-19c90402c5ac */
	0xd9, 0x80, 0x4f, 0x4d, 0xbd, 0xc8, 0x73, 0x4d,
	0xbb, 0x5b, 0x19, 0xc9, 0x04, 0x02, 0xc5, 0xac,
};
static const uint8_t guid_ndis[16] = {		/* 2ed6006e-4729-4609-b423-3ee7bcd678ef */
	0x6e, 0x00, 0xd6, 0x2e, 0x29, 0x47, 0x09, 0x46,
	0xb4, 0x23, 0x3e, 0xe7, 0xbc, 0xd6, 0x78, 0xef,
};

struct dt_etl {
	struct dt_etl_info info;
	int64_t base_ns;		/* StartTime */
	uint64_t header_ts;		/* raw clock of the logfile header */
	uint64_t clk_freq, clk_unit;	/* ns = ticks * unit / freq */
	uint8_t *dec;			/* a decompressed buffer */
	size_t dec_cap;

	/* decoded packets wait in a min-heap on (time, seq) */
	int eof;			/* no more buffers */
	struct etl_pkt *heap;
	size_t n_heap, cap_heap, heap_bytes;
	uint64_t seq;
	struct etl_pkt cur;		/* handed out, data freed next call */
	int64_t last_time;
	int warned_order;
	int warned_events_lost, warned_buffer_lost;
	int stop;			/* out of memory: decode no further */

	/* the providers' decoders and the interfaces they number */
	struct etl_ifaces ifaces;
	struct etl_pm *pm;
	struct etl_ndis *ndis;
	struct dt_pktmon_meta pktmon;	/* of the packet handed out */

	/* a fault met while decoding, reported after the last packet */
	int fault;			/* FAULT_DAMAGE, FAULT_CUT or 0 */
	uint32_t bad_buffers;		/* skipped as implausible */
	uint64_t bad_off;		/* the first of them */
	char bad_msg[DT_CAP_ERRLEN];
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

/* The fault that will end reading once the packets before it are out;
   kind FAULT_CUT: the file ends inside a buffer. */
enum { FAULT_DAMAGE = 1, FAULT_CUT = 2 };

static void __attribute__((format(printf, 4, 5)))
etl_fault(struct dt_etl *e, int kind, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	if (e->fault)
		return;
	e->fault = kind;
	e->fault_off = off;
	va_start(ap, fmt);
	vsnprintf(e->fault_msg, sizeof e->fault_msg, fmt, ap);
	va_end(ap);
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

static int
etl_probe(const uint8_t *p, size_t n)
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
	dt_utf16z(&s, in->logger, sizeof in->logger, &len);
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

/* Up to `want` bytes at the source's position; a read error is reported
   by the caller, which knows what it was reading. */
static size_t
etl_fetch(struct dt_reader *r, size_t want, const uint8_t **p)
{
	size_t n = dt_src_fetch(&r->src, want, p);

	if (n < want && r->src.err)
		r->io_error = 1;
	return n;
}

/* The logfile header in the first buffer; nothing consumed, the first
   buffer is decoded like the others. */
static int
etl_open(struct dt_reader *r)
{
	struct dt_etl *e;
	const uint8_t *p;
	uint32_t bsize;
	size_t got;
	struct rd rec;

	e = dt_calloc(r->m, 1, sizeof *e);
	if (e == NULL) {
		dt_reader_fail(r, 0, "out of memory");
		return DT_ENOMEM;
	}
	r->priv = e;
	got = etl_fetch(r, DT_ETL_BUFHDR, &p);
	bsize = get32at(p, got, BH_SIZE);
	got = etl_fetch(r, bsize, &p);
	if (r->io_error) {
		dt_reader_fail(r, DT_ETL_BUFHDR, "cannot read");
		return DT_EIO;
	}
	if (got < DT_ETL_BUFHDR + 8 && r->src.nomem) {
		dt_reader_fail(r, 0, "out of memory");
		return DT_ENOMEM;
	}
	rec = rd_make(p + DT_ETL_BUFHDR, got - DT_ETL_BUFHDR);
	rec = rd_sub(&rec, get16at(p, got, DT_ETL_BUFHDR + 4));
	if (!rd_ok(&rec)) {
		dt_reader_fail(r, DT_ETL_BUFHDR, "ETL logfile header record "
		    "runs past the first buffer");
		return DT_EFORMAT;
	}
	if (logfile_header(r, e, rec,
	    (int)(get32at(p, got, DT_ETL_BUFHDR) >> 16 & 0xff)) != 0)
		return DT_EFORMAT;
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
	etl_fault(e, FAULT_DAMAGE, tmpl->offset, "out of memory");
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

/* ---- records ------------------------------------------------------------ */

int
dt_etl_packet_event(const uint8_t *provider, uint16_t id)
{
	if (provider == NULL)
		return 0;
	if (memcmp(provider, guid_pktmon, 16) == 0)
		return id == 160 || id == 170;
	if (memcmp(provider, guid_ndis, 16) == 0)
		return id == 1001 || id == 1003;
	return 0;
}

/* An EVENT_HEADER record (0x12/0x13). -1: the record is malformed. */
static int
event_record(struct dt_reader *r, struct dt_etl *e, struct rd rec,
    uint64_t off)
{
	const uint8_t *guid;
	uint16_t flags, id, lnk, dsize, r1, xt;
	size_t step;
	uint32_t tid;
	uint64_t ts, kw;
	int64_t t = 0;
	int pm, nd, rc;
	struct dt_etw_event we;
	struct etl_event ev;
	struct etl_out out;

	memset(&we, 0, sizeof we);
	we.header_type = get32at(rec.p, rec.n, 0) >> 16 & 0xff;
	rd_skip(&rec, 4);			/* Size, HeaderType, MarkerFlags */
	flags = rd_u16le(&rec);
	rd_skip(&rec, 2);			/* EventProperty */
	tid = rd_u32le(&rec);
	we.pid = rd_u32le(&rec);
	ts = rd_u64le(&rec);
	guid = rd_bytes(&rec, 16);
	id = rd_u16le(&rec);			/* EVENT_DESCRIPTOR */
	we.version = rd_u8(&rec);
	rd_skip(&rec, 1);			/* Channel */
	we.level = rd_u8(&rec);
	we.opcode = rd_u8(&rec);
	we.task = rd_u16le(&rec);
	kw = rd_u64le(&rec);
	rd_skip(&rec, 8 + 16);			/* ProcessorTime, ActivityId */
	if (!rd_ok(&rec))
		return -1;
	pm = memcmp(guid, guid_pktmon, 16) == 0;
	nd = memcmp(guid, guid_ndis, 16) == 0;
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
			xt = rd_u16le(&rec);
			lnk = rd_u16le(&rec);
			dsize = rd_u16le(&rec);
			step = align8(dsize);
			if (r1 % 8 == 0 && r1 >= 8 + (size_t)dsize)
				step = r1 - 8u;
			if (step > rec.n)
				step = dsize;	/* unpadded last item */
			if (xt == EXT_SCHEMA_TL && dsize <= rec.n) {
				we.tl_meta = rec.p;
				we.tl_meta_len = dsize;
			} else if (xt == EXT_PROV_TRAITS && dsize <= rec.n) {
				we.tl_traits = rec.p;
				we.tl_traits_len = dsize;
			}
			rd_skip(&rec, step);
			if (!rd_ok(&rec)) {
				dt_reader_warnf(r, off, "ETL event extended "
				    "data runs past the event; event skipped");
				return 0;
			}
		} while (lnk & 1);
	}
	we.has_time = etl_time(e, ts, &t) == 0;
	if (r->events != NULL) {
		we.provider = guid;
		we.id = id;
		we.keyword = kw;
		we.time = we.has_time ? t : 0;
		we.tid = tid;
		we.data = rec.p;
		we.len = rec.n;
		we.offset = off;
		r->events(r->events_payload, &we);
	}
	if (!pm && !nd)
		return 0;
	if (!we.has_time) {
		dt_reader_warnf(r, off, "ETL event time is out of range; "
		    "event skipped");
		return 0;
	}
	ev.id = id;
	ev.keyword = kw;
	ev.tid = tid;
	ev.time = t;
	ev.offset = off;
	if (pm)
		rc = dt_etl_pm_event(r, &e->pm, &e->ifaces, &ev, &rec, &out);
	else
		rc = dt_etl_ndis_event(r, &e->ndis, &e->ifaces, &ev, &rec,
		    &out);
	if (rc > 0)
		(void)push_packet(r, e, &out.pkt, out.data, out.len);
	else if (rc < 0) {
		etl_fault(e, FAULT_DAMAGE, off, "out of memory");
		e->stop = 1;
	}
	e->info.n_components = dt_etl_pm_components(e->pm);
	return 0;
}

/* A record of another header kind (system, compact, perfinfo, classic
   event trace): the events stage counts it. */
static void
system_record(struct dt_reader *r, struct rd rec, unsigned ht, uint64_t off)
{
	struct dt_etw_event we;

	memset(&we, 0, sizeof we);
	we.header_type = ht;
	we.data = rec.p;
	we.len = rec.n;
	we.offset = off;
	r->events(r->events_payload, &we);
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
		if (((hf & 0xc0) != 0xc0 || (ht != HT_EVENT32 &&
		    ht != HT_EVENT64)) && r->events != NULL)
			system_record(r, rec, (hf & 0xc0) == 0xc0 ? ht : 0,
			    roff);
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
/* A buffer skipped as implausible: a warning; the first one becomes the
   fault when the file gives no packet at all. */
static void __attribute__((format(printf, 4, 5)))
bad_buffer(struct dt_reader *r, struct dt_etl *e, uint64_t boff,
    const char *fmt, ...)
{
	char msg[DT_CAP_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	dt_reader_warnf(r, boff, "%s; buffer skipped", msg);
	if (e->bad_buffers++ == 0) {
		e->bad_off = boff;
		snprintf(e->bad_msg, sizeof e->bad_msg, "%s", msg);
	}
}

/* One buffer: header hdr, body[0..body_len) as read from the file (less
   than the header's size when the file ends inside it: cut). */
static void
do_buffer(struct dt_reader *r, struct dt_etl *e, const uint8_t *hdr,
    const uint8_t *body, size_t body_len, uint64_t boff, int cut)
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
		bad_buffer(r, e, boff, "ETL buffer filled size %u is "
		    "implausible", filled);
		return;
	}
	valid = filled - DT_ETL_BUFHDR;
	if (flags & BF_COMPRESSED) {
		e->info.n_compressed++;
		if (cut)
			return;		/* LZ77 cut short: its events are lost */
		/* a few bytes of LZ77 can claim megabytes: bound the work */
		if (valid / DT_ETL_MAX_RATIO > body_len) {
			bad_buffer(r, e, boff, "ETL buffer claims %u bytes "
			    "from %zu compressed", valid, body_len);
			return;
		}
		if (grow(r->m, &e->dec, &e->dec_cap, valid) != 0) {
			etl_fault(e, FAULT_DAMAGE, boff, "out of memory");
			e->stop = 1;
			return;
		}
		if (dt_xpress_decompress(body, body_len, e->dec, valid,
		    &got) != 0 || got != valid) {
			bad_buffer(r, e, boff, "ETL buffer uses an "
			    "unsupported compression (XPRESS does not give "
			    "its %u bytes)", valid);
			return;
		}
		walk_records(r, e, e->dec, valid, boff, 0);
		return;
	}
	if (valid > body_len) {
		if (!cut)
			dt_reader_warnf(r, boff, "ETL buffer filled size %u "
			    "runs past its %zu bytes; records up to there "
			    "read", filled, body_len + DT_ETL_BUFHDR);
		valid = (uint32_t)body_len;
	}
	walk_records(r, e, body, valid, boff, 1);
}

/* The next buffer of the file; 0 at the end. */
static int
decode_step(struct dt_reader *r, struct dt_etl *e)
{
	const uint8_t *p;
	uint64_t boff = r->src.pos;
	uint32_t bsize;
	size_t got;

	if (e->stop)
		return 0;
	got = etl_fetch(r, DT_ETL_BUFHDR, &p);
	if (got == 0 && !r->io_error)
		return 0;
	if (got < DT_ETL_BUFHDR && !r->io_error) {
		etl_fault(e, FAULT_CUT, boff, "ETL file ends inside a buffer "
		    "header (%zu of %u bytes)", got, DT_ETL_BUFHDR);
		return 0;
	}
	bsize = get32at(p, got, BH_SIZE);
	if (got == DT_ETL_BUFHDR && bsize == 0)
		return 0;		/* zero-filled tail (circular files) */
	if (got == DT_ETL_BUFHDR &&
	    (bsize < DT_ETL_BUFHDR + 8 || bsize > DT_ETL_MAX_BUFFER)) {
		etl_fault(e, FAULT_DAMAGE, boff, "ETL buffer size %u is "
		    "implausible", bsize);
		return 0;
	}
	if (got == DT_ETL_BUFHDR)
		got = etl_fetch(r, bsize, &p);
	if (r->io_error) {
		etl_fault(e, FAULT_DAMAGE, boff, "cannot read");
		return 0;
	}
	if (got < bsize && r->src.nomem) {
		etl_fault(e, FAULT_DAMAGE, boff, "out of memory");
		return 0;
	}
	do_buffer(r, e, p, p + DT_ETL_BUFHDR, got - DT_ETL_BUFHDR, boff,
	    got < bsize);
	dt_src_consume(&r->src, got);
	if (got < bsize) {
		etl_fault(e, FAULT_CUT, boff, "ETL file ends inside %s buffer "
		    "(%zu of %u bytes%s)", boff == 0 ? "its first" : "a", got,
		    bsize, get16at(p, got, BH_FLAGS) & BF_COMPRESSED ?
		    ", compressed: its events are lost" : "");
		return 0;
	}
	return 1;
}

/* At the end: pieces of packets that never ended, and the buffers. */
static void
decode_end(struct dt_reader *r, struct dt_etl *e)
{
	e->eof = 1;
	dt_etl_ndis_end(r, e->ndis);
	dt_free(r->m, e->dec);
	e->dec = NULL;
	e->dec_cap = 0;
}

/*
 * After the last packet: the fault met while decoding; else, when the
 * file gave no packet at all, why: every buffer was implausible, or the
 * trace holds no packet events (pktmon started without --capture, netsh
 * trace without capture=yes), with the command that captures packets.
 */
static void
etl_end(struct dt_reader *r, struct dt_etl *e)
{
	if (e->fault == FAULT_CUT)
		dt_reader_cut(r, e->fault_off, "%s", e->fault_msg);
	else if (e->fault)
		dt_reader_fail(r, e->fault_off, "%s", e->fault_msg);
	else if (r->frame > 0)
		return;
	else if (e->bad_buffers > 0)
		dt_reader_fail(r, e->bad_off, "%s (%u of %u buffers "
		    "implausible)", e->bad_msg, e->bad_buffers,
		    e->info.n_buffers);
	else if (e->pm != NULL)
		dt_reader_fail(r, 0, "this pktmon trace holds no packet events "
		    "(%u components described, no packet logged: pktmon was "
		    "started without --capture); capture packets with "
		    "'pktmon start --capture --pkt-size 0'",
		    dt_etl_pm_components(e->pm));
	else
		dt_reader_fail(r, 0, "this ETL trace holds no packet events "
		    "(no Microsoft-Windows-PktMon or NDIS-PacketCapture "
		    "packet); capture packets with 'netsh trace start "
		    "capture=yes' or 'pktmon start --capture --pkt-size 0'");
}

static int
etl_next(struct dt_reader *r, struct dt_packet *pkt)
{
	struct dt_etl *e = r->priv;
	const struct etl_pkt *p;
	int dup;

	dt_free(r->m, e->cur.data);
	e->cur.data = NULL;
	/* fill the reorder window: per-processor buffers overlap in time */
	while (!e->eof && e->heap_bytes < DT_ETL_WINDOW)
		if (!decode_step(r, e))
			decode_end(r, e);
	if (e->n_heap == 0) {
		etl_end(r, e);
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
	pkt->time = dt_time_clamp(p->time);
	pkt->linktype = p->linktype;
	pkt->data = p->data;
	pkt->caplen = p->caplen;
	pkt->origlen = p->origlen;
	pkt->iface = p->iface;
	pkt->dir = p->dir;
	pkt->offset = p->offset;
	if (p->src == SRC_NDIS) {
		pkt->duplicate = dt_etl_ndis_deliver(e->ndis, p);
		pkt->iface_name = e->ifaces.v[p->iface].name;
		return 0;
	}
	dup = dt_etl_pm_deliver(r, e->pm, p, &e->pktmon, &pkt->iface_name);
	if (dup < 0) {
		dt_reader_fail(r, p->offset, "out of memory");
		return DT_ITEROVER;
	}
	pkt->duplicate = dup;
	pkt->pktmon = &e->pktmon;
	return 0;
}

static void
etl_free(struct dt_reader *r)
{
	struct dt_etl *e = r->priv;
	size_t i;

	if (e == NULL)
		return;
	dt_free(r->m, e->dec);
	for (i = 0; i < e->n_heap; i++)
		dt_free(r->m, e->heap[i].data);
	dt_free(r->m, e->heap);
	dt_free(r->m, e->cur.data);
	dt_etl_pm_free(r->m, e->pm);
	dt_etl_ndis_free(r->m, e->ndis);
	dt_free(r->m, e->ifaces.v);
	dt_free(r->m, e);
	r->priv = NULL;
}

const struct dt_capfmt dt_capfmt_etl = {
	.name = "etl",
	.probe = etl_probe,
	.open = etl_open,
	.next = etl_next,
	.free = etl_free,
};

const struct dt_etl_info *
dt_etl_info(const struct dt_reader *r)
{
	const struct dt_etl *e = r->priv;

	return e != NULL && r->fmt == &dt_capfmt_etl ? &e->info : NULL;
}
