/*
 * Test-only ETL writer: builds .etl files in memory per the documented
 * layout (shared/research/etl-format.md: WMI_BUFFER_HEADER, the system
 * logfile-header record with TRACE_LOGFILE_HEADER in its 32- and 64-bit
 * forms, EVENT_HEADER records with extended data items, 8-byte record
 * alignment), with buffers stored plain and padded, or compressed with a
 * literal-only MS-XCA Plain LZ77 encoding (a valid stream: every flag bit
 * 0, 32 literals per flag word). Also writes the pcapng twin of the same
 * packets. No real netsh trace is redistributable, so the NDIS-
 * PacketCapture tests rest on this writer and the documented layout.
 * Used by tests/test_etl.c; aborts on misuse.
 */
#ifndef DT_TEST_ETLW_H
#define DT_TEST_ETLW_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct etlw_vec {
	uint8_t *p;
	size_t n, cap;
};

static inline void
etlw_put(struct etlw_vec *v, const void *src, size_t n)
{
	if (v->n + n > v->cap) {
		size_t c = v->cap ? v->cap : 1024;

		while (c < v->n + n)
			c *= 2;
		v->p = realloc(v->p, c);
		if (v->p == NULL)
			abort();
		v->cap = c;
	}
	if (n > 0)
		memcpy(v->p + v->n, src, n);
	v->n += n;
}

static inline void
etlw_u8(struct etlw_vec *v, unsigned x)
{
	uint8_t b = (uint8_t)x;

	etlw_put(v, &b, 1);
}

static inline void
etlw_u16(struct etlw_vec *v, unsigned x)
{
	etlw_u8(v, x & 0xff);
	etlw_u8(v, x >> 8 & 0xff);
}

static inline void
etlw_u32(struct etlw_vec *v, uint32_t x)
{
	etlw_u16(v, x & 0xffff);
	etlw_u16(v, x >> 16);
}

static inline void
etlw_u64(struct etlw_vec *v, uint64_t x)
{
	etlw_u32(v, (uint32_t)x);
	etlw_u32(v, (uint32_t)(x >> 32));
}

static inline void
etlw_zero(struct etlw_vec *v, size_t n)
{
	while (n-- > 0)
		etlw_u8(v, 0);
}

static inline void
etlw_fill(struct etlw_vec *v, unsigned byte, size_t n)
{
	while (n-- > 0)
		etlw_u8(v, byte);
}

/* ASCII to UTF-16LE with its NUL. */
static inline void
etlw_wstr(struct etlw_vec *v, const char *s)
{
	while (*s)
		etlw_u16(v, (unsigned char)*s++);
	etlw_u16(v, 0);
}

static inline void
etlw_set32(struct etlw_vec *v, size_t off, uint32_t x)
{
	v->p[off] = (uint8_t)x;
	v->p[off + 1] = (uint8_t)(x >> 8);
	v->p[off + 2] = (uint8_t)(x >> 16);
	v->p[off + 3] = (uint8_t)(x >> 24);
}

/* Literal-only MS-XCA Plain LZ77: a zero flag word before every 32 bytes. */
static inline void
etlw_xpress_literal(struct etlw_vec *out, const uint8_t *in, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < 32 ? n - i : 32;
		etlw_u32(out, 0);
		etlw_put(out, in + i, k);
	}
}

static const uint8_t etlw_guid_pktmon[16] = {
	0xd9, 0x80, 0x4f, 0x4d, 0xbd, 0xc8, 0x73, 0x4d,
	0xbb, 0x5b, 0x19, 0xc9, 0x04, 0x02, 0xc5, 0xac,
};
static const uint8_t etlw_guid_ndis[16] = {
	0x6e, 0x00, 0xd6, 0x2e, 0x29, 0x47, 0x09, 0x46,
	0xb4, 0x23, 0x3e, 0xe7, 0xbc, 0xd6, 0x78, 0xef,
};
static const uint8_t etlw_guid_other[16] = {	/* some other provider */
	0x91, 0xee, 0x79, 0x9b, 0xfd, 0xb5, 0xc0, 0x41,
	0xa2, 0x43, 0x42, 0x48, 0xe2, 0x66, 0xe9, 0xd0,
};

/* The IP-HTTPS providers of the research (windows-events.md), as stored. */
static const uint8_t etlw_guid_iphlpsvc[16] = {	/* {66a5c15c-4f8e-4044-bf6e-71d896038977} */
	0x5c, 0xc1, 0xa5, 0x66, 0x8e, 0x4f, 0x44, 0x40,
	0xbf, 0x6e, 0x71, 0xd8, 0x96, 0x03, 0x89, 0x77,
};
static const uint8_t etlw_guid_iphlpsvc_trace[16] = {	/* {6600e712-c3b6-44a2-8a48-935c511f28c8} */
	0x12, 0xe7, 0x00, 0x66, 0xb6, 0xc3, 0xa2, 0x44,
	0x8a, 0x48, 0x93, 0x5c, 0x51, 0x1f, 0x28, 0xc8,
};
static const uint8_t etlw_guid_schannel[16] = {	/* {1f678132-5938-4686-9fdc-c8ff68f15c85} */
	0x32, 0x81, 0x67, 0x1f, 0x38, 0x59, 0x86, 0x46,
	0x9f, 0xdc, 0xc8, 0xff, 0x68, 0xf1, 0x5c, 0x85,
};
static const uint8_t etlw_guid_capi2[16] = {	/* {5bbca4a8-b209-48dc-a8c7-b23d3e5216fb} */
	0xa8, 0xa4, 0xbc, 0x5b, 0x09, 0xb2, 0xdc, 0x48,
	0xa8, 0xc7, 0xb2, 0x3d, 0x3e, 0x52, 0x16, 0xfb,
};
static const uint8_t etlw_guid_tcpip[16] = {	/* {2f07e2ee-15db-40f1-90ef-9d7ba282188a} */
	0xee, 0xe2, 0x07, 0x2f, 0xdb, 0x15, 0xf1, 0x40,
	0x90, 0xef, 0x9d, 0x7b, 0xa2, 0x82, 0x18, 0x8a,
};
static const uint8_t etlw_guid_dns[16] = {	/* {1c95126e-7eea-49a9-a3fe-a378b03ddb4d} */
	0x6e, 0x12, 0x95, 0x1c, 0xea, 0x7e, 0xa9, 0x49,
	0xa3, 0xfe, 0xa3, 0x78, 0xb0, 0x3d, 0xdb, 0x4d,
};

/* A small Ethernet/IPv4/UDP frame, id-tagged, len >= 42. */
static inline void
etlw_frame(uint8_t *b, size_t len, unsigned id)
{
	size_t i;

	memset(b, 0, len);
	memcpy(b, "\x00\x15\x5d\x01\x02\x03\x00\x15\x5d\x04\x05\x06\x08\x00",
	    14);
	b[14] = 0x45;
	b[16] = (uint8_t)((len - 14) >> 8);
	b[17] = (uint8_t)(len - 14);
	b[18] = (uint8_t)(id >> 8);
	b[19] = (uint8_t)id;
	b[22] = 64;
	b[23] = 17;
	memcpy(b + 26, "\x0a\x09\x01\x0e\x0a\x09\x01\x16", 8);
	b[34] = 0x13;
	b[35] = 0x88;
	b[36] = 0x01;
	b[37] = 0xbb;
	b[38] = (uint8_t)((len - 34) >> 8);
	b[39] = (uint8_t)(len - 34);
	for (i = 42; i < len; i++)
		b[i] = (uint8_t)(id + i);
}

#define ETLW_FT_1970 UINT64_C(116444736000000000)

struct etlw {
	struct etlw_vec file;
	struct etlw_vec recs;		/* records of the open buffer */
	int ptr32;			/* 32-bit logfile header and events */
	uint32_t clock;			/* 1 QPC, 2 system time, 3 CPU */
	uint64_t freq;			/* PerfFreq */
	uint32_t mhz;			/* CpuSpeedInMHz */
	uint64_t start_ft;		/* StartTime, FILETIME */
	uint64_t hdr_ts;		/* raw clock of the header record */
	uint32_t log_mode;
	uint32_t n_buffers;
	int ext_sized;			/* Reserved1 = item size (8 + data) */
};

/* Defaults: 64-bit, QPC at 10 MHz, start 2024-06-10 20:18:27 UTC. */
static inline void
etlw_init(struct etlw *w)
{
	memset(w, 0, sizeof *w);
	w->clock = 1;
	w->freq = 10000000;
	w->mhz = 2594;
	w->start_ft = ETLW_FT_1970 + UINT64_C(1718050707) * 10000000;
	w->hdr_ts = UINT64_C(2500565067975);
	w->log_mode = 0x00000001;
}

static inline void
etlw_free(struct etlw *w)
{
	free(w->file.p);
	free(w->recs.p);
	memset(w, 0, sizeof *w);
}

/* Raw clock value for t_ns after StartTime (exact for these clocks);
   UINT64_MAX stays UINT64_MAX. */
static inline uint64_t
etlw_ts(const struct etlw *w, uint64_t t_ns)
{
	if (t_ns == UINT64_MAX)
		return UINT64_MAX;		/* "far future": out of range */
	if (w->clock == 2)
		return w->hdr_ts + t_ns / 100;
	if (w->clock == 3)
		return w->hdr_ts + t_ns * w->mhz / 1000;
	return w->hdr_ts + t_ns / (1000000000 / w->freq);
}

/* The open buffer's records as one buffer; flag adds BufferFlag bits.
   compress: literal XPRESS; pad_to: on-disk size of a plain buffer
   (0: just the records, else padded with 0xFF). */
static inline void
etlw_flush(struct etlw *w, int compress, uint32_t pad_to, uint16_t flag,
    uint16_t type)
{
	struct etlw_vec body = { NULL, 0, 0 };
	size_t at = w->file.n;
	uint32_t filled = 0x48 + (uint32_t)w->recs.n;

	if (compress)
		etlw_xpress_literal(&body, w->recs.p, w->recs.n);
	else
		etlw_put(&body, w->recs.p, w->recs.n);
	etlw_u32(&w->file, 0);			/* BufferSize, set below */
	etlw_u32(&w->file, filled);		/* SavedOffset */
	etlw_u32(&w->file, filled);		/* CurrentOffset */
	etlw_u32(&w->file, 0);			/* ReferenceCount */
	etlw_u64(&w->file, 0);			/* TimeStamp */
	etlw_u64(&w->file, w->n_buffers);	/* SequenceNumber */
	etlw_u64(&w->file, 0);			/* ClockType/Frequency */
	etlw_u32(&w->file, w->n_buffers % 4);	/* ClientContext */
	etlw_u32(&w->file, 3);			/* State */
	etlw_u32(&w->file, filled);		/* FilledBytes */
	etlw_u16(&w->file, (compress ? 0x40 : 0) | flag);
	etlw_u16(&w->file, type);
	etlw_zero(&w->file, 16);
	etlw_put(&w->file, body.p, body.n);
	if (!compress && pad_to > 0x48 + body.n)
		etlw_fill(&w->file, 0xff, pad_to - 0x48 - body.n);
	etlw_set32(&w->file, at, (uint32_t)(w->file.n - at));
	free(body.p);
	w->recs.n = 0;
	w->n_buffers++;
}

/* Pads the open buffer's records to 8. */
static inline void
etlw_align(struct etlw *w)
{
	while (w->recs.n % 8)
		etlw_u8(&w->recs, 0);
}

/* The first buffer: the logfile header record (and nothing else). */
static inline void
etlw_header(struct etlw *w, uint64_t end_ns)
{
	struct etlw_vec *v = &w->recs;
	size_t at = v->n;
	unsigned ps = w->ptr32 ? 4 : 8;

	etlw_u16(v, 2);				/* Version */
	etlw_u8(v, w->ptr32 ? 1 : 2);		/* SYSTEM32/64 */
	etlw_u8(v, 0xc0);
	etlw_u16(v, 0);				/* Size, set below */
	etlw_u16(v, 0);				/* HookId: logfile header */
	etlw_u32(v, 0x2624);			/* ThreadId */
	etlw_u32(v, 0xb74);			/* ProcessId */
	etlw_u64(v, w->hdr_ts);
	etlw_u64(v, 0);				/* Kernel/UserTime */
	/* TRACE_LOGFILE_HEADER */
	etlw_u32(v, 0x10000);			/* BufferSize */
	etlw_u32(v, 0x0002000a);		/* Version */
	etlw_u32(v, 20348);			/* ProviderVersion */
	etlw_u32(v, 4);				/* NumberOfProcessors */
	etlw_u64(v, w->start_ft + end_ns / 100);	/* EndTime */
	etlw_u32(v, 156250);			/* TimerResolution */
	etlw_u32(v, 0);				/* MaximumFileSize */
	etlw_u32(v, w->log_mode);
	etlw_u32(v, 0);				/* BuffersWritten */
	etlw_u32(v, 1);				/* StartBuffers */
	etlw_u32(v, ps);			/* PointerSize */
	etlw_u32(v, 0);				/* EventsLost */
	etlw_u32(v, w->mhz);			/* CpuSpeedInMHz */
	etlw_zero(v, 2 * ps);			/* LoggerName, LogFileName */
	etlw_zero(v, 0xac + 4);			/* TimeZone + padding */
	etlw_u64(v, 0);				/* BootTime */
	etlw_u64(v, w->freq);			/* PerfFreq */
	etlw_u64(v, w->start_ft);		/* StartTime */
	etlw_u32(v, w->clock);			/* ReservedFlags */
	etlw_u32(v, 0);				/* BuffersLost */
	etlw_wstr(v, "TestLogger");
	etlw_wstr(v, "C:\\trace.etl");
	v->p[at + 4] = (uint8_t)(v->n - at);
	v->p[at + 5] = (uint8_t)((v->n - at) >> 8);
	etlw_align(w);
	etlw_flush(w, 0, 1024, 0, 4);
}

struct etlw_ext {
	uint16_t type;
	const void *data;
	uint16_t len;
};

/* One EVENT_HEADER record with user data and extended items. */
static inline void
etlw_event(struct etlw *w, const uint8_t guid[16], uint16_t id, uint64_t kw,
    uint64_t t_ns, uint32_t tid, const void *user, size_t ulen,
    const struct etlw_ext *ext, size_t n_ext)
{
	struct etlw_vec *v = &w->recs;
	size_t at = v->n, i;

	etlw_u16(v, 0);				/* Size, set below */
	etlw_u8(v, w->ptr32 ? 0x12 : 0x13);
	etlw_u8(v, 0xc0);
	etlw_u16(v, (n_ext ? 1 : 0) | (w->ptr32 ? 0x20 : 0x40));
	etlw_u16(v, 0);				/* EventProperty */
	etlw_u32(v, tid);
	etlw_u32(v, 4);				/* ProcessId */
	etlw_u64(v, etlw_ts(w, t_ns));
	etlw_put(v, guid, 16);
	etlw_u16(v, id);
	etlw_u8(v, 0);				/* Version */
	etlw_u8(v, 0x10);			/* Channel */
	etlw_u8(v, 4);				/* Level */
	etlw_u8(v, 0);				/* Opcode */
	etlw_u16(v, 0);				/* Task */
	etlw_u64(v, kw);
	etlw_u64(v, 0);				/* ProcessorTime */
	etlw_zero(v, 16);			/* ActivityId */
	for (i = 0; i < n_ext; i++) {
		etlw_u16(v, w->ext_sized ? 8 + ((ext[i].len + 7u) & ~7u) : 0);
		etlw_u16(v, ext[i].type);
		etlw_u16(v, i + 1 < n_ext ? 1 : 0);	/* Linkage */
		etlw_u16(v, ext[i].len);
		etlw_put(v, ext[i].data, ext[i].len);
		while ((v->n - at) % 8)
			etlw_u8(v, 0);
	}
	etlw_put(v, user, ulen);
	v->p[at] = (uint8_t)(v->n - at);
	v->p[at + 1] = (uint8_t)((v->n - at) >> 8);
	etlw_align(w);
}

/* Any record bytes as they are (then aligned). */
static inline void
etlw_raw(struct etlw *w, const void *p, size_t n)
{
	etlw_put(&w->recs, p, n);
	etlw_align(w);
}

/* PktMon 20 ComponentInfo. */
static inline void
etlw_pm_component(struct etlw *w, uint16_t id, uint16_t type,
    const char *name, const char *desc, uint64_t t_ns)
{
	struct etlw_vec u = { NULL, 0, 0 };

	etlw_u16(&u, id);
	etlw_u16(&u, type);
	etlw_wstr(&u, name);
	etlw_wstr(&u, desc);
	etlw_event(w, etlw_guid_pktmon, 20, 0x1, t_ns, 8, u.p, u.n, NULL, 0);
	free(u.p);
}

struct etlw_pm {
	uint64_t group;
	uint16_t number, appearance, dirtag, ptype, comp, edge, filter;
	uint32_t reason, location;
	uint16_t origlen;
};

/* PktMon 160 FramePayload / 170 FrameDropPayload. */
static inline void
etlw_pm_packet(struct etlw *w, int drop, const struct etlw_pm *m,
    const void *data, uint16_t len, uint64_t t_ns)
{
	struct etlw_vec u = { NULL, 0, 0 };

	etlw_u64(&u, m->group);
	etlw_u16(&u, m->number);
	etlw_u16(&u, m->appearance);
	etlw_u16(&u, m->dirtag);
	etlw_u16(&u, m->ptype);
	etlw_u16(&u, m->comp);
	etlw_u16(&u, m->edge);
	etlw_u16(&u, m->filter);
	etlw_u32(&u, m->reason);
	etlw_u32(&u, m->location);
	etlw_u16(&u, m->origlen ? m->origlen : len);
	etlw_u16(&u, len);
	etlw_put(&u, data, len);
	etlw_event(w, etlw_guid_pktmon, drop ? 170 : 160, 0x10, t_ns, 8,
	    u.p, u.n, NULL, 0);
	free(u.p);
}

#define ETLW_KW_ETH	UINT64_C(0x1)
#define ETLW_KW_WWAN	UINT64_C(0x200)
#define ETLW_KW_TUNNEL	UINT64_C(0x8000)
#define ETLW_KW_80211	UINT64_C(0x10000)
#define ETLW_KW_TRUNC	UINT64_C(0x2000000)
#define ETLW_KW_START	UINT64_C(0x40000000)
#define ETLW_KW_END	UINT64_C(0x80000000)
#define ETLW_KW_SEND	UINT64_C(0x100000000)
#define ETLW_KW_RECV	UINT64_C(0x200000000)

/* NDIS-PacketCapture 1001, with the two trailing u64 of newer builds. */
static inline void
etlw_ndis_1001(struct etlw *w, uint32_t mini, uint32_t lower, uint64_t kw,
    const void *frag, uint32_t len, uint64_t t_ns, uint32_t tid,
    const struct etlw_ext *ext, size_t n_ext)
{
	struct etlw_vec u = { NULL, 0, 0 };

	etlw_u32(&u, mini);
	etlw_u32(&u, lower);
	etlw_u32(&u, len);
	etlw_put(&u, frag, len);
	etlw_u64(&u, 0);			/* GftFlowEntryId */
	etlw_u64(&u, 0);			/* GftOffloadInformation */
	etlw_event(w, etlw_guid_ndis, 1001, kw, t_ns, tid, u.p, u.n, ext,
	    n_ext);
	free(u.p);
}

/* NDIS-PacketCapture 1003 (VMSwitch). */
static inline void
etlw_ndis_1003(struct etlw *w, uint32_t mini, uint32_t lower, uint64_t kw,
    const void *frag, uint32_t len, uint64_t t_ns, uint32_t tid)
{
	struct etlw_vec u = { NULL, 0, 0 };

	etlw_u32(&u, mini);
	etlw_u32(&u, lower);
	etlw_u32(&u, 7);			/* SourcePortId */
	etlw_wstr(&u, "port-7");
	etlw_wstr(&u, "vnic");
	etlw_wstr(&u, "Synthetic");
	etlw_u32(&u, 2);			/* DestinationCount */
	etlw_u64(&u, 1);
	etlw_u64(&u, 2);
	etlw_u32(&u, len);
	etlw_put(&u, frag, len);
	etlw_u32(&u, 4);			/* OOBDataSize */
	etlw_u32(&u, 0);
	etlw_event(w, etlw_guid_ndis, 1003, kw, t_ns, tid, u.p, u.n, NULL, 0);
	free(u.p);
}

/* ---- the pcapng twin ------------------------------------------------------ */

static inline void
etlw_ng_block(struct etlw_vec *v, uint32_t type, const struct etlw_vec *body)
{
	uint32_t len = 12 + (uint32_t)((body->n + 3) & ~(size_t)3);

	etlw_u32(v, type);
	etlw_u32(v, len);
	etlw_put(v, body->p, body->n);
	etlw_zero(v, ((body->n + 3) & ~(size_t)3) - body->n);
	etlw_u32(v, len);
}

static inline void
etlw_ng_opt(struct etlw_vec *v, uint16_t code, const void *p, uint16_t len)
{
	etlw_u16(v, code);
	etlw_u16(v, len);
	etlw_put(v, p, len);
	etlw_zero(v, ((len + 3u) & ~3u) - len);
}

static inline void
etlw_ng_shb(struct etlw_vec *v)
{
	struct etlw_vec b = { NULL, 0, 0 };

	etlw_u32(&b, 0x1a2b3c4d);
	etlw_u16(&b, 1);
	etlw_u16(&b, 0);
	etlw_u64(&b, UINT64_MAX);
	etlw_ng_block(v, 0x0a0d0d0a, &b);
	free(b.p);
}

/* IDB with if_name and if_tsresol 9 (nanoseconds). */
static inline void
etlw_ng_idb(struct etlw_vec *v, uint16_t linktype, const char *name)
{
	struct etlw_vec b = { NULL, 0, 0 };
	uint8_t res = 9;

	etlw_u16(&b, linktype);
	etlw_u16(&b, 0);
	etlw_u32(&b, 0);
	if (name != NULL)
		etlw_ng_opt(&b, 2, name, (uint16_t)strlen(name));
	etlw_ng_opt(&b, 9, &res, 1);
	etlw_ng_opt(&b, 0, NULL, 0);
	etlw_ng_block(v, 6 - 5, &b);		/* IDB = 1 */
	free(b.p);
}

/* EPB; dir 1 inbound, 2 outbound, 0 none. */
static inline void
etlw_ng_epb(struct etlw_vec *v, uint32_t iface, uint64_t ts_ns,
    const void *data, uint32_t caplen, uint32_t origlen, int dir)
{
	struct etlw_vec b = { NULL, 0, 0 };
	uint32_t flags = (uint32_t)dir;

	etlw_u32(&b, iface);
	etlw_u32(&b, (uint32_t)(ts_ns >> 32));
	etlw_u32(&b, (uint32_t)ts_ns);
	etlw_u32(&b, caplen);
	etlw_u32(&b, origlen);
	etlw_put(&b, data, caplen);
	etlw_zero(&b, ((caplen + 3u) & ~3u) - caplen);
	if (dir != 0)
		etlw_ng_opt(&b, 2, &flags, 4);
	etlw_ng_opt(&b, 0, NULL, 0);
	etlw_ng_block(v, 6, &b);
	free(b.p);
}

#endif
