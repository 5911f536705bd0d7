/*
 * pcapng reader (draft-ietf-opsawg-pcapng-02, "PCAP Now Generic"): Section
 * Header Blocks in either byte order and several sections per file
 * (interface numbering restarts in each), Interface Description Blocks with
 * if_name, if_description, if_tsresol (a power of 10 or of 2) and
 * if_tsoffset, Enhanced and Simple Packet Blocks, the obsolete Packet Block
 * (type 2); every other block is skipped by its length. Per-packet options:
 * opt_comment, epb_flags (direction), epb_packetid. Interfaces of one file
 * may have different link types, which libpcap 1.10 refuses.
 *
 * A block is checked before use: length >= 12, a multiple of 4, at most
 * 64 MiB, inside the file, equal to its trailing copy; a violation ends
 * reading with an error at the block's offset. A bad option is a warning.
 * Input is read through a window that grows only as real data arrives, or
 * straight from the caller's memory; no allocation per packet.
 */
#include "capture/capture_int.h"

#include <errno.h>
#include <string.h>

#include "datrace.h"
#include "util/rd.h"

#define BT_SHB		0x0a0d0d0au
#define BT_IDB		1u
#define BT_PB		2u
#define BT_SPB		3u
#define BT_EPB		6u
#define BOM		0x1a2b3c4du

#define OPT_END		0
#define OPT_COMMENT	1
#define OPT_FLAGS	2	/* epb_flags, pack_flags */
#define OPT_PACKETID	5	/* epb_packetid */
#define OPT_IF_NAME	2
#define OPT_IF_DESC	3
#define OPT_IF_TSRESOL	9
#define OPT_IF_TSOFFSET	14

/* An interface (IDB) of the current section. */
struct ng_iface {
	int linktype;
	uint32_t snaplen;
	int ts_kind;			/* 0: multiply, 1: divide, 2: 2^-n */
	uint64_t ts_factor;		/* 10^k for kinds 0 and 1 */
	unsigned ts_shift;		/* n for kind 2 */
	int64_t ts_offset;		/* if_tsoffset, seconds */
	char *name;			/* if_name or NULL */
	char *description;		/* if_description or NULL */
};

/* The reader's private state: the current section and its interfaces. */
struct ng_state {
	int big_endian;			/* byte order of the current section */
	struct ng_iface *ifaces;
	size_t n_ifaces, cap_ifaces;
	size_t ifaces_ignored;		/* IDBs past DT_CAP_MAX_IFACES in the section */
	uint64_t skipped_packets;	/* their packets: counted frames, not read */
	uint32_t iface_base;		/* interfaces of earlier sections */
	uint32_t n_sections;
	struct dt_pktmon_meta pktmon;	/* of the packet handed out */
	struct dt_pktmon_seen *seen;
};

/* ---- input -------------------------------------------------------------- */

/* Up to `want` bytes at the source's position; a read error or a refused
   window is the fault that ends reading. */
static size_t
ng_fetch(struct dt_reader *r, size_t want, const uint8_t **p)
{
	size_t n = dt_src_fetch(&r->src, want, p);

	if (n < want && r->src.err) {
		r->io_error = 1;
		dt_reader_fail(r, r->src.pos, "cannot read: %s",
		    strerror(r->src.err));
	} else if (n < want && r->src.nomem) {
		dt_reader_fail(r, r->src.pos, "out of memory reading a "
		    "%zu-byte pcapng block", want);
	}
	return n;
}

/* ---- byte order ---------------------------------------------------------- */

static uint16_t
get16(const struct ng_state *g, struct rd *d)
{
	return g->big_endian ? rd_u16(d) : rd_u16le(d);
}

static uint32_t
get32(const struct ng_state *g, struct rd *d)
{
	return g->big_endian ? rd_u32(d) : rd_u32le(d);
}

static uint64_t
get64(const struct ng_state *g, struct rd *d)
{
	return g->big_endian ? rd_u64(d) : rd_u64le(d);
}

/* ---- blocks and options -------------------------------------------------- */

/*
 * The next block: 1 and its type and body, 0 at a clean end of file, -1
 * when the block is broken (r->failed set).
 */
static int
ng_block(struct dt_reader *r, uint32_t *type, struct rd *body)
{
	struct ng_state *g = r->priv;
	uint64_t off = r->src.pos;
	const uint8_t *p;
	struct rd h;
	uint32_t len, trail, bom;
	int big = g->big_endian;
	size_t n;

	n = ng_fetch(r, 12, &p);
	if (r->failed)
		return -1;
	if (n == 0)
		return 0;
	if (n < 12) {
		dt_reader_cut(r, off, "truncated pcapng block: only %zu "
		    "bytes left, a block has at least 12", n);
		return -1;
	}
	h = rd_make(p, 12);
	*type = rd_u32(&h);		/* SHB's type reads the same both ways */
	if (*type == BT_SHB) {
		rd_skip(&h, 4);
		bom = rd_u32(&h);
		if (bom == BOM) {
			big = 1;
		} else if (bom == __builtin_bswap32(BOM)) {
			big = 0;
		} else {
			dt_reader_fail(r, off, "pcapng section header "
			    "byte-order magic 0x%08x is not 0x1a2b3c4d", bom);
			return -1;
		}
		g->big_endian = big;
	} else if (!big) {
		*type = __builtin_bswap32(*type);
	}
	h = rd_make(p + 4, 4);
	len = big ? rd_u32(&h) : rd_u32le(&h);
	if (len < 12) {
		dt_reader_fail(r, off, "pcapng block length %u is less than "
		    "12", len);
		return -1;
	}
	if (len % 4 != 0) {
		dt_reader_fail(r, off, "pcapng block length %u is not a "
		    "multiple of 4", len);
		return -1;
	}
	if (len > DT_CAP_MAX_BLOCK) {
		dt_reader_fail(r, off, "pcapng block length %u is more than "
		    "the 64 MiB limit", len);
		return -1;
	}
	if (r->src.size != 0 && off <= r->src.size && len > r->src.size - off) {
		dt_reader_cut(r, off, "pcapng block length %u runs past the "
		    "end of the file (%llu bytes left)", len,
		    (unsigned long long)(r->src.size - off));
		return -1;
	}
	n = ng_fetch(r, len, &p);
	if (r->failed)
		return -1;
	if (n < len) {
		dt_reader_cut(r, off, "pcapng block length %u runs past the "
		    "end of the file (%zu bytes left)", len, n);
		return -1;
	}
	h = rd_make(p + len - 4, 4);
	trail = big ? rd_u32(&h) : rd_u32le(&h);
	if (trail != len) {
		dt_reader_fail(r, off, "pcapng block length %u differs from "
		    "its trailing copy %u", len, trail);
		return -1;
	}
	*body = rd_make(p + 8, len - 12);
	dt_src_prefetch(&r->src, p, len);
	dt_src_consume(&r->src, len);
	return 1;
}

struct ng_opt {
	uint16_t code;
	uint16_t len;
	const uint8_t *val;
};

/* The next option of a block (1), or 0 at its end; a bad one is a warning. */
static int
ng_opt_next(struct dt_reader *r, struct rd *o, struct ng_opt *opt,
    uint64_t boff, const char *bname)
{
	struct ng_state *g = r->priv;
	size_t pad;

	if (o->bad || o->n == 0)
		return 0;
	if (o->n < 4) {
		dt_reader_warnf(r, boff, "pcapng %s: %zu stray bytes after "
		    "the options", bname, o->n);
		return 0;
	}
	opt->code = get16(g, o);
	opt->len = get16(g, o);
	if (opt->code == OPT_END)
		return 0;
	if (opt->len > o->n) {
		dt_reader_warnf(r, boff, "pcapng %s option %u: length %u runs "
		    "past the block", bname, opt->code, opt->len);
		return 0;
	}
	opt->val = rd_bytes(o, opt->len);
	pad = (4 - (opt->len & 3)) & 3;
	rd_skip(o, pad < o->n ? pad : o->n);
	return 1;
}

/* ---- sections and interfaces --------------------------------------------- */

static void
ifaces_clear(struct dt_reader *r)
{
	struct ng_state *g = r->priv;
	size_t i;

	for (i = 0; i < g->n_ifaces; i++) {
		dt_free(r->m, g->ifaces[i].name);
		dt_free(r->m, g->ifaces[i].description);
	}
	g->iface_base += (uint32_t)(g->n_ifaces + g->ifaces_ignored);
	g->n_ifaces = 0;
	g->ifaces_ignored = 0;
}

static int
ng_shb(struct dt_reader *r, struct rd *b, uint64_t off)
{
	struct ng_state *g = r->priv;
	struct ng_opt opt;
	uint16_t major, minor;

	rd_skip(b, 4);			/* byte-order magic, checked */
	major = get16(g, b);
	minor = get16(g, b);
	(void)get64(g, b);		/* section length: may be -1 */
	if (!rd_ok(b)) {
		dt_reader_fail(r, off, "pcapng section header block is too "
		    "short");
		return -1;
	}
	if (major != 1) {
		dt_reader_fail(r, off, "unsupported pcapng version %u.%u",
		    major, minor);
		return -1;
	}
	ifaces_clear(r);
	g->n_sections++;
	while (ng_opt_next(r, b, &opt, off, "section header"))
		;
	return 0;
}

static void
iface_tsresol(struct dt_reader *r, struct ng_iface *ifc, uint8_t v,
    uint64_t off)
{
	static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000,
	    1000000, 10000000, 100000000, 1000000000, 10000000000ull };
	unsigned n = v & 0x7f;

	if (v & 0x80) {
		if (n > 63) {
			dt_reader_warnf(r, off, "pcapng if_tsresol 2^-%u is "
			    "out of range; microseconds assumed", n);
			return;
		}
		ifc->ts_kind = 2;
		ifc->ts_shift = n;
	} else if (n <= 9) {
		ifc->ts_kind = 0;
		ifc->ts_factor = pow10[9 - n];
	} else if (n <= 19) {
		ifc->ts_kind = 1;
		ifc->ts_factor = pow10[n - 9];
	} else {
		dt_reader_warnf(r, off, "pcapng if_tsresol 10^-%u is out of "
		    "range; microseconds assumed", n);
	}
}

static char *
opt_string(struct dt_reader *r, const struct ng_opt *opt)
{
	size_t n = opt->len < DT_CAP_NAME_MAX ? opt->len : DT_CAP_NAME_MAX;

	return dt_strndup(r->m, (const char *)opt->val, n);
}

static int
ng_idb(struct dt_reader *r, struct rd *b, uint64_t off)
{
	struct ng_state *g = r->priv;
	struct ng_iface *ifc, *nv;
	struct ng_opt opt;
	struct rd v;
	size_t ncap;

	if (g->n_ifaces >= DT_CAP_MAX_IFACES) {
		/* A hostile or broken file: keep reading, skip the rest. */
		if (g->ifaces_ignored++ == 0)
			dt_reader_warnf(r, off, "more than %d pcapng interfaces "
			    "in one section: the others and their packets are "
			    "skipped", DT_CAP_MAX_IFACES);
		return 0;
	}
	if (g->n_ifaces == g->cap_ifaces) {
		ncap = g->cap_ifaces ? g->cap_ifaces * 2 : 4;
		if (ncap > DT_CAP_MAX_IFACES)
			ncap = DT_CAP_MAX_IFACES;
		nv = dt_realloc(r->m, g->ifaces, ncap * sizeof *nv);
		if (nv == NULL) {
			dt_reader_fail(r, off, "out of memory");
			return -1;
		}
		g->ifaces = nv;
		g->cap_ifaces = ncap;
	}
	ifc = &g->ifaces[g->n_ifaces];
	memset(ifc, 0, sizeof *ifc);
	ifc->linktype = get16(g, b);
	rd_skip(b, 2);
	ifc->snaplen = get32(g, b);
	if (!rd_ok(b)) {
		dt_reader_fail(r, off, "pcapng interface description block is "
		    "too short");
		return -1;
	}
	ifc->ts_kind = 0;
	ifc->ts_factor = 1000;		/* default if_tsresol 6 */
	g->n_ifaces++;			/* from here on its names get freed */
	while (ng_opt_next(r, b, &opt, off, "interface description")) {
		v = rd_make(opt.val, opt.len);
		if (opt.code == OPT_IF_NAME && ifc->name == NULL) {
			if ((ifc->name = opt_string(r, &opt)) == NULL)
				goto nomem;
		} else if (opt.code == OPT_IF_DESC && ifc->description == NULL) {
			if ((ifc->description = opt_string(r, &opt)) == NULL)
				goto nomem;
		} else if (opt.code == OPT_IF_TSRESOL) {
			if (opt.len != 1)
				dt_reader_warnf(r, off, "pcapng if_tsresol has "
				    "length %u, not 1", opt.len);
			else
				iface_tsresol(r, ifc, rd_u8(&v), off);
		} else if (opt.code == OPT_IF_TSOFFSET) {
			if (opt.len != 8)
				dt_reader_warnf(r, off, "pcapng if_tsoffset "
				    "has length %u, not 8", opt.len);
			else
				ifc->ts_offset = (int64_t)get64(g, &v);
		}
	}
	return 0;
nomem:
	dt_reader_fail(r, off, "out of memory");
	return -1;
}

/* Timestamp units of the interface to ns since 1970 (wrapping, not UB). */
static int64_t
ng_time(const struct ng_iface *ifc, uint64_t ts)
{
	uint64_t ns, frac;

	if (ifc->ts_kind == 0) {
		ns = ts * ifc->ts_factor;
	} else if (ifc->ts_kind == 1) {
		ns = ts / ifc->ts_factor;
	} else if (ifc->ts_shift == 0) {
		ns = ts * 1000000000u;
	} else {
		frac = ts & ((UINT64_C(1) << ifc->ts_shift) - 1);
		ns = (ts >> ifc->ts_shift) * 1000000000u + (uint64_t)
		    (((unsigned __int128)frac * 1000000000u) >> ifc->ts_shift);
	}
	ns += (uint64_t)ifc->ts_offset * 1000000000u;
	return (int64_t)ns;
}

/* ---- packets ------------------------------------------------------------- */

static const int flag_dir[4] = { DT_DIR_UNKNOWN, DT_DIR_IN, DT_DIR_OUT,
    DT_DIR_UNKNOWN };

/* Options of EPB and PB: comment, flags, packet id. */
static void
pkt_options(struct dt_reader *r, struct rd *b, struct dt_packet *pkt,
    const char *bname)
{
	struct ng_state *g = r->priv;
	struct ng_opt opt;
	struct rd v;

	while (ng_opt_next(r, b, &opt, pkt->offset, bname)) {
		v = rd_make(opt.val, opt.len);
		if (opt.code == OPT_COMMENT) {
			if (pkt->comment == NULL) {
				pkt->comment = (const char *)opt.val;
				pkt->comment_len = opt.len;
			}
		} else if (opt.code == OPT_FLAGS) {
			if (opt.len != 4)
				dt_reader_warnf(r, pkt->offset, "pcapng %s "
				    "flags option has length %u, not 4", bname,
				    opt.len);
			else
				pkt->dir = flag_dir[get32(g, &v) & 3];
		} else if (opt.code == OPT_PACKETID &&
		    strcmp(bname, "EPB") == 0) {
			if (opt.len != 8)
				dt_reader_warnf(r, pkt->offset, "pcapng EPB "
				    "packet id option has length %u, not 8",
				    opt.len);
			else
				pkt->packet_id = get64(g, &v);
		}
	}
}

/* pktmon's comment: metadata, direction, and "seen before?". */
static int
pkt_pktmon(struct dt_reader *r, struct dt_packet *pkt)
{
	struct ng_state *g = r->priv;
	struct dt_pktmon_meta *pm = &g->pktmon;
	int seen;

	if (pkt->comment == NULL ||
	    !dt_pktmon_parse(pkt->comment, pkt->comment_len, pm))
		return 0;
	if (pkt->iface_name != NULL && pm->component_name[0] == '\0')
		snprintf(pm->component_name, sizeof pm->component_name, "%s",
		    pkt->iface_name);
	pkt->pktmon = pm;
	if (pkt->dir == DT_DIR_UNKNOWN)
		pkt->dir = pm->direction;
	if (pm->group_id != 0) {
		seen = dt_pktmon_seen(&g->seen, r->m, pm->group_id,
		    pm->pkt_number, pkt->time, DT_PKTMON_DUP_WINDOW_NS);
		if (seen < 0) {
			dt_reader_fail(r, pkt->offset, "out of memory");
			return -1;
		}
		pkt->duplicate = seen;
	}
	return 0;
}

static const char *
iface_label(const struct ng_iface *ifc)
{
	return ifc->name != NULL ? ifc->name : ifc->description;
}

/* EPB (6) and the obsolete PB (2). */
static int
ng_epb(struct dt_reader *r, struct rd *b, uint64_t off, int obsolete,
    struct dt_packet *pkt)
{
	struct ng_state *g = r->priv;
	const char *bname = obsolete ? "PB" : "EPB";
	const struct ng_iface *ifc;
	uint32_t ifid, caplen, origlen;
	uint64_t ts;
	size_t pad;

	memset(pkt, 0, sizeof *pkt);
	pkt->offset = off;
	if (obsolete) {
		ifid = get16(g, b);
		rd_skip(b, 2);		/* drops count */
	} else {
		ifid = get32(g, b);
	}
	ts = (uint64_t)get32(g, b) << 32;
	ts |= get32(g, b);
	caplen = get32(g, b);
	origlen = get32(g, b);
	if (!rd_ok(b)) {
		dt_reader_fail(r, off, "pcapng %s is too short", bname);
		return -1;
	}
	if (ifid >= g->n_ifaces && ifid - g->n_ifaces < g->ifaces_ignored) {
		r->frame++;		/* still a frame, as Wireshark counts */
		g->skipped_packets++;
		return 1;
	}
	if (ifid >= g->n_ifaces) {
		dt_reader_fail(r, off, "pcapng %s names interface %u, but "
		    "the section has %zu", bname, ifid, g->n_ifaces);
		return -1;
	}
	if (caplen > b->n) {
		dt_reader_fail(r, off, "pcapng %s captured length %u runs "
		    "past the block", bname, caplen);
		return -1;
	}
	ifc = &g->ifaces[ifid];
	pkt->data = rd_bytes(b, caplen);
	pad = (4 - (caplen & 3)) & 3;
	rd_skip(b, pad < b->n ? pad : b->n);
	pkt->frame = ++r->frame;
	pkt->time = dt_time_clamp(ng_time(ifc, ts));
	pkt->linktype = ifc->linktype;
	pkt->caplen = caplen;
	pkt->origlen = origlen;
	pkt->iface = g->iface_base + ifid;
	pkt->iface_name = iface_label(ifc);
	pkt_options(r, b, pkt, bname);
	return pkt_pktmon(r, pkt);
}

static int
ng_spb(struct dt_reader *r, struct rd *b, uint64_t off,
    struct dt_packet *pkt)
{
	struct ng_state *g = r->priv;
	const struct ng_iface *ifc;
	uint32_t origlen, caplen;

	memset(pkt, 0, sizeof *pkt);
	pkt->offset = off;
	origlen = get32(g, b);
	if (!rd_ok(b)) {
		dt_reader_fail(r, off, "pcapng SPB is too short");
		return -1;
	}
	if (g->n_ifaces == 0) {
		dt_reader_fail(r, off, "pcapng SPB before any interface "
		    "description");
		return -1;
	}
	ifc = &g->ifaces[0];
	caplen = origlen;
	if (ifc->snaplen != 0 && caplen > ifc->snaplen)
		caplen = ifc->snaplen;
	if (caplen > b->n)
		caplen = (uint32_t)b->n;
	pkt->data = rd_bytes(b, caplen);
	pkt->frame = ++r->frame;
	pkt->time = 0;			/* an SPB has no timestamp */
	pkt->linktype = ifc->linktype;
	pkt->caplen = caplen;
	pkt->origlen = origlen;
	pkt->iface = g->iface_base;
	pkt->iface_name = iface_label(ifc);
	return 0;
}

/* ---- entry points -------------------------------------------------------- */

static int
pcapng_probe(const uint8_t *p, size_t n)
{
	return n >= 4 && p[0] == 0x0a && p[1] == 0x0d && p[2] == 0x0d &&
	    p[3] == 0x0a;
}

static int
pcapng_open(struct dt_reader *r)
{
	struct rd body;
	uint32_t type;
	int rc;

	if ((r->priv = dt_calloc(r->m, 1, sizeof(struct ng_state))) == NULL) {
		dt_reader_fail(r, 0, "out of memory");
		return DT_ENOMEM;
	}
	rc = ng_block(r, &type, &body);
	if (rc < 0 && (r->io_error || r->src.nomem))
		return r->io_error ? DT_EIO : DT_ENOMEM;
	if (rc <= 0 || type != BT_SHB) {
		dt_reader_fail(r, 0, "pcapng file without a section header");
		return DT_EFORMAT;
	}
	return ng_shb(r, &body, 0) != 0 ? DT_EFORMAT : 0;
}

static int
pcapng_next(struct dt_reader *r, struct dt_packet *pkt)
{
	struct rd body;
	uint32_t type;
	uint64_t off;
	int rc;

	for (;;) {
		off = r->src.pos;
		rc = ng_block(r, &type, &body);
		if (rc <= 0)
			return DT_ITEROVER;
		switch (type) {
		case BT_SHB:
			rc = ng_shb(r, &body, off);
			break;
		case BT_IDB:
			rc = ng_idb(r, &body, off);
			break;
		case BT_EPB:
		case BT_PB:
			rc = ng_epb(r, &body, off, type == BT_PB, pkt);
			if (rc < 0)
				return DT_ITEROVER;
			if (rc == 0)
				return 0;
			rc = 0;		/* skipped: on to the next block */
			break;
		case BT_SPB:
			if (ng_spb(r, &body, off, pkt) != 0)
				return DT_ITEROVER;
			return 0;
		default:
			rc = 0;		/* NRB, ISB, DSB, custom: skipped */
			break;
		}
		if (rc != 0)
			return DT_ITEROVER;
	}
}

static void
pcapng_free(struct dt_reader *r)
{
	struct ng_state *g = r->priv;

	if (g == NULL)
		return;
	ifaces_clear(r);
	dt_free(r->m, g->ifaces);
	dt_pktmon_seen_free(g->seen, r->m);
	dt_free(r->m, g);
	r->priv = NULL;
}

const struct dt_capfmt dt_capfmt_pcapng = {
	.name = "pcapng",
	.probe = pcapng_probe,
	.open = pcapng_open,
	.next = pcapng_next,
	.free = pcapng_free,
};
