/*
 * Microsoft-Windows-NDIS-PacketCapture events in an ETL file, as `netsh
 * trace start capture=yes` writes them: 1001 PacketFragment (MiniportIfIndex,
 * LowerIfIndex, FragmentSize, Fragment) and 1003 (the same with the
 * switch port fields of a Hyper-V vSwitch before the fragment). Keywords
 * say the medium (Ethernet, 802.11, WWAN, tunnel), the direction, a
 * truncated frame, and PacketStart / PacketEnd: a frame in pieces is
 * stitched per (miniport, lower interface, thread). The provider's
 * manifest and etl2pcapng describe the fields (shared/research/
 * etl-format.md). ndiscap logs a frame at the miniport and again at a
 * filter above it: the same bytes from the same miniport at another layer
 * within 10 ms are marked duplicate.
 */
#include "capture/etl_int.h"

#include <string.h>

#include "datrace.h"

#define FRAG_SLOTS	16
#define NDIS_RING	32

/* Microsoft-Windows-NDIS-PacketCapture keywords */
#define KW_WWAN		UINT64_C(0x200)
#define KW_TUNNEL	UINT64_C(0x8000)
#define KW_80211	UINT64_C(0x10000)
#define KW_TRUNCATED	UINT64_C(0x2000000)
#define KW_START	UINT64_C(0x40000000)
#define KW_END		UINT64_C(0x80000000)
#define KW_SEND		UINT64_C(0x100000000)
#define KW_RECV		UINT64_C(0x200000000)

struct etl_frag {
	int used;
	uint32_t mini, lower, tid;
	int64_t time;
	uint64_t kw, offset;
	uint8_t *data;
	size_t len, cap;
};

/* netsh: a recently delivered frame, to spot its copy at another layer. */
struct ndis_seen {
	uint64_t hash;
	int64_t time;
	uint32_t mini, lower, len;	/* len: bytes hashed */
	int dir, linktype;
};

/* The decoder's state. */
struct etl_ndis {
	uint32_t ndis_ix[DT_ETL_MAX_NDIS_IFACES];	/* into the ifaces */
	size_t n_ndis_ifaces;
	int warned_ifaces;
	struct etl_frag frags[FRAG_SLOTS];
	struct ndis_seen ring[NDIS_RING];
	size_t ring_n;
};

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
ndis_iface(struct dt_reader *r, struct etl_ndis *nd, struct etl_ifaces *ifs,
    uint32_t mini, uint32_t lower, int lt, uint64_t kw, uint64_t off)
{
	struct etl_iface f;
	const char *kind;
	size_t i;
	int ix;

	for (i = nd->n_ndis_ifaces; i-- > 0;) {
		const struct etl_iface *g = &ifs->v[nd->ndis_ix[i]];

		if (g->mini == mini && g->lower == lower && g->linktype == lt)
			return (int)nd->ndis_ix[i];
	}
	if (nd->n_ndis_ifaces >= DT_ETL_MAX_NDIS_IFACES) {
		if (!nd->warned_ifaces++)
			dt_reader_warnf(r, off, "more than %u NDIS capture "
			    "points; the rest share the last interface",
			    DT_ETL_MAX_NDIS_IFACES);
		return (int)nd->ndis_ix[nd->n_ndis_ifaces - 1];
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
	if ((ix = etl_iface_add(r->m, ifs, &f)) < 0)
		return -1;
	nd->ndis_ix[nd->n_ndis_ifaces++] = (uint32_t)ix;
	return ix;
}

/* A whole frame: its link type, length and interface into *out. */
static int
ndis_emit(struct dt_reader *r, struct etl_ndis *nd, struct etl_ifaces *ifs,
    uint32_t mini, uint32_t lower, uint64_t kw, int64_t t,
    const uint8_t *data, size_t n, uint64_t off, struct etl_out *out)
{
	struct etl_pkt *p = &out->pkt;
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
	if ((ix = ndis_iface(r, nd, ifs, mini, lower, lt, kw, off)) < 0)
		return DT_ENOMEM;
	memset(p, 0, sizeof *p);
	p->offset = off;
	p->time = t;
	p->src = SRC_NDIS;
	p->linktype = (uint16_t)lt;
	p->origlen = ol;
	p->iface = (uint32_t)ix;
	p->mini = mini;
	p->lower = lower;
	p->dir = (kw & KW_SEND) ? DT_DIR_OUT : (kw & KW_RECV) ? DT_DIR_IN :
	    DT_DIR_UNKNOWN;
	out->data = data;
	out->len = n;
	return 1;
}

static void
frag_reset(struct etl_frag *f)
{
	f->used = 0;
	f->len = 0;
}

/* One 1001/1003 fragment: whole packets go out, pieces are stitched. */
static int
ndis_fragment(struct dt_reader *r, struct etl_ndis *nd,
    struct etl_ifaces *ifs, uint32_t mini, uint32_t lower,
    const struct etl_event *ev, const uint8_t *frag, size_t n,
    struct etl_out *out)
{
	struct etl_frag *f = NULL;
	uint64_t kw = ev->keyword, off = ev->offset;
	uint8_t *nb;
	size_t i, ncap;

	for (i = 0; i < FRAG_SLOTS; i++)
		if (nd->frags[i].used && nd->frags[i].mini == mini &&
		    nd->frags[i].lower == lower && nd->frags[i].tid == ev->tid)
			f = &nd->frags[i];
	if (kw & KW_START) {
		if (f != NULL) {
			dt_reader_warnf(r, f->offset, "NDIS packet without "
			    "its PacketEnd fragment; dropped");
			frag_reset(f);
		}
		if (kw & KW_END)
			return ndis_emit(r, nd, ifs, mini, lower, kw, ev->time,
			    frag, n, off, out);
		for (i = 0; i < FRAG_SLOTS && f == NULL; i++)
			if (!nd->frags[i].used)
				f = &nd->frags[i];
		if (f == NULL) {
			f = &nd->frags[0];	/* the oldest slot gives way */
			dt_reader_warnf(r, f->offset, "too many NDIS packets "
			    "in pieces at once; one dropped");
		}
		frag_reset(f);
		f->used = 1;
		f->mini = mini;
		f->lower = lower;
		f->tid = ev->tid;
		f->time = ev->time;
		f->kw = kw;
		f->offset = off;
	} else if (f == NULL) {
		dt_reader_warnf(r, off, "NDIS packet fragment without its "
		    "PacketStart; dropped");
		return 0;
	}
	if (n > DT_ETL_MAX_PACKET - f->len) {
		dt_reader_warnf(r, f->offset, "NDIS packet longer than %u "
		    "bytes; dropped", DT_ETL_MAX_PACKET);
		frag_reset(f);
		return 0;
	}
	if (f->len + n > f->cap) {
		ncap = f->len + n;
		if ((nb = dt_realloc(r->m, f->data, ncap)) == NULL)
			return DT_ENOMEM;
		f->data = nb;
		f->cap = ncap;
	}
	if (n > 0)
		memcpy(f->data + f->len, frag, n);
	f->len += n;
	f->kw |= kw & KW_TRUNCATED;
	if (!(kw & KW_END))
		return 0;
	n = f->len;
	frag_reset(f);			/* the bytes stay until the next piece */
	return ndis_emit(r, nd, ifs, mini, lower, f->kw, f->time, f->data, n,
	    f->offset, out);
}

int
dt_etl_ndis_event(struct dt_reader *r, struct etl_ndis **state,
    struct etl_ifaces *ifs, const struct etl_event *ev, struct rd *u,
    struct etl_out *out)
{
	struct etl_ndis *nd = *state;
	uint32_t mini, lower, n, count;
	const uint8_t *frag;

	if (ev->id != 1001 && ev->id != 1003)
		return 0;
	if (nd == NULL) {
		if ((nd = dt_calloc(r->m, 1, sizeof *nd)) == NULL)
			return DT_ENOMEM;
		*state = nd;
	}
	mini = rd_u32le(u);
	lower = rd_u32le(u);
	if (ev->id == 1003) {
		rd_skip(u, 4);			/* SourcePortId */
		dt_utf16z(u, NULL, 0, NULL);	/* SourcePortName */
		dt_utf16z(u, NULL, 0, NULL);	/* SourceNicName */
		dt_utf16z(u, NULL, 0, NULL);	/* SourceNicType */
		count = rd_u32le(u);
		if (count > u->n / 8)
			u->bad = 1;
		else
			rd_skip(u, (size_t)count * 8);
	}
	n = rd_u32le(u);
	frag = rd_bytes(u, n);
	if (!rd_ok(u)) {
		dt_reader_warnf(r, ev->offset, "NDIS packet event %u is shorter "
		    "than its fragment; skipped", ev->id);
		return 0;
	}
	return ndis_fragment(r, nd, ifs, mini, lower, ev, frag, n, out);
}

void
dt_etl_ndis_end(struct dt_reader *r, struct etl_ndis *nd)
{
	size_t i;

	if (nd == NULL)
		return;
	for (i = 0; i < FRAG_SLOTS; i++) {
		if (nd->frags[i].used)
			dt_reader_warnf(r, nd->frags[i].offset, "NDIS packet "
			    "without its PacketEnd fragment; dropped");
		dt_free(r->m, nd->frags[i].data);
		nd->frags[i].data = NULL;
		nd->frags[i].cap = 0;
		frag_reset(&nd->frags[i]);
	}
}

void
dt_etl_ndis_free(struct dt_mem *m, struct etl_ndis *nd)
{
	size_t i;

	if (nd == NULL)
		return;
	for (i = 0; i < FRAG_SLOTS; i++)
		dt_free(m, nd->frags[i].data);
	dt_free(m, nd);
}

/*
 * Where the EtherType is: a Wi-Fi miniport logs native 802.11, the layer
 * above it Ethernet-shaped frames of the same packet, so the two compare
 * from the EtherType on (net/wifi.c decodes the same 802.11 header in
 * full; here only where its LLC/SNAP header is, etl_int.h, whose last 2
 * bytes are the EtherType). Anything else is compared whole.
 */
static size_t
ethertype_at(const struct etl_pkt *p)
{
	size_t h;

	if (p->linktype == LT_ETHERNET)
		return p->caplen >= 14 ? 12 : 0;
	if (p->linktype != LT_80211 ||
	    (h = etl_wifi_snap_at(p->data, p->caplen)) == 0)
		return 0;
	return h + 6;
}

/* netsh: the same frame just delivered from the same miniport at another
   layer (same bytes, by a 64-bit hash and the length). */
int
dt_etl_ndis_deliver(struct etl_ndis *nd, const struct etl_pkt *p)
{
	struct ndis_seen *q;
	size_t j, from = ethertype_at(p);
	uint32_t len = p->caplen - (uint32_t)from;
	uint64_t h = etl_fnv1a(p->data + from, len);
	int64_t dt;

	for (j = 0; j < nd->ring_n && j < NDIS_RING; j++) {
		q = &nd->ring[j];
		if (q->hash == h && q->mini == p->mini &&
		    (q->lower != p->lower || q->linktype != p->linktype) &&
		    q->dir == p->dir && q->len == len &&
		    !__builtin_sub_overflow(p->time, q->time, &dt) &&
		    dt <= DT_ETL_NDIS_DUP_NS)
			return 1;
	}
	q = &nd->ring[nd->ring_n++ % NDIS_RING];
	q->hash = h;
	q->time = p->time;
	q->mini = p->mini;
	q->lower = p->lower;
	q->len = len;
	q->dir = p->dir;
	q->linktype = p->linktype;
	return 0;
}

