/*
 * Classic pcap (tcpdump's savefile, pcap-savefile(5); micro- and
 * nanosecond magics, both byte orders). A plain file (versions 2.0-2.4 or
 * DG/UX's 543.0, a snapshot length libpcap keeps as it is, a link type
 * whose pseudo-header libpcap leaves alone) is read here, its header and
 * its records in place (see "records without a copy"), and libpcap is not
 * even loaded; any other header, and its records, are libpcap's, from a
 * stream over the reader's byte source. Offsets in errors are byte
 * offsets of the record that failed.
 */
#include "capture/capture_int.h"

#include <errno.h>
#include <string.h>

#include "datrace.h"
#include "util/rd.h"

#define PCAP_MAGIC_US		0xa1b2c3d4u
#define PCAP_MAGIC_NS		0xa1b23c4du
#define FAST_WIN	(DT_CAP_IOBUF)	/* stays in L2 between read() and use */
#define MAX_SNAPLEN	262144u		/* libpcap's MAXIMUM_SNAPLEN */

struct pcap_state {
	struct dt_pcap_lib lib;		/* libpcap, once it reads */
	pcap_t *pcap;
	FILE *pfp;			/* the stream libpcap reads */
	size_t hdr_left;		/* ... whose first bytes are these of
					   hdr (read here before libpcap) */
	int linktype;			/* the header's LINKTYPE_ */
	int snaplen;			/* libpcap's, records cut to it */
	uint8_t hdr[24];		/* the file header */
	/* records read in place */
	int fast;
	int le;				/* little-endian file */
	int swap;			/* ... of the other order than the host */
	int nsec;			/* nanosecond magic */
	int lengths_swapped;		/* 0 no, 1 yes, 2 when caplen > len */
	int64_t frac_ns;		/* ns in a unit of the fraction */
	int in_place;			/* fast_record() may read: lengths in
					   place, a source with a window */
};

/* The magic's first byte of a little-endian file. */
static int
hdr_le(const uint8_t *h)
{
	return h[0] == 0xd4 || h[0] == 0x4d;
}

/* The file header's 16- or 32-bit number at off, in the file's byte
   order. */
static uint32_t
hdr_num(const struct pcap_state *ps, size_t off, size_t size)
{
	struct rd r = rd_make(ps->hdr, sizeof ps->hdr);
	int le = hdr_le(ps->hdr);

	rd_skip(&r, off);
	if (size == 2)
		return le ? rd_u16le(&r) : rd_u16(&r);
	return le ? rd_u32le(&r) : rd_u32(&r);
}

static int
pcap_probe(const uint8_t *p, size_t n)
{
	uint32_t magic;

	if (n < 4)
		return 0;
	magic = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	return magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
	    magic == __builtin_bswap32(PCAP_MAGIC_US) ||
	    magic == __builtin_bswap32(PCAP_MAGIC_NS);
}

/* ---- the stream libpcap reads -------------------------------------------- */

/*
 * libpcap reads a FILE: a cookie stream over the byte source, unbuffered,
 * so that libpcap takes exactly the bytes it asks for (the 24-byte header,
 * then records when it reads them) and the in-place reader goes on from
 * the source where libpcap stopped. Closing it closes nothing.
 */
static ssize_t
wrap_read(void *cookie, char *buf, size_t size)
{
	struct dt_reader *r = cookie;
	struct pcap_state *ps = r->priv;
	size_t k = size < ps->hdr_left ? size : ps->hdr_left;
	ptrdiff_t got;

	memcpy(buf, ps->hdr + sizeof ps->hdr - ps->hdr_left, k);
	ps->hdr_left -= k;
	if (k == size)
		return (ssize_t)k;
	got = dt_src_read(&r->src, buf + k, size - k);
	if (got < 0)
		return k > 0 ? (ssize_t)k : -1;
	return (ssize_t)(k + (size_t)got);
}

/* Only "where are we" is answered, which is what ftello() asks. */
static int
wrap_seek(void *cookie, off64_t *off, int whence)
{
	struct dt_reader *r = cookie;
	struct pcap_state *ps = r->priv;

	if (whence == SEEK_CUR && *off == 0) {
		*off = (off64_t)(r->src.pos - ps->hdr_left);
		return 0;
	}
	errno = ESPIPE;
	return -1;
}

static int
wrap_close(void *cookie)
{
	(void)cookie;
	return 0;
}

/* ---- classic pcap records without a copy -------------------------------- */

/*
 * libpcap copies every record out of its stdio buffer into its own, one
 * fread for the header and one for the data; that was a third of the
 * reading cost. The records of a plain file (versions 2.0-2.4, 16-byte
 * record headers, link types whose pseudo-header libpcap leaves alone)
 * are read here from the source's window (or straight from the caller's
 * memory) and handed out in place, following libpcap 1.10's
 * pcap_check_header() and pcap_next_packet(): the same lengths
 * (2.3 and older swap caplen/len; records past the snapshot length are
 * cut to it), the same time stamps (microseconds scaled), the same error
 * messages. One difference: libpcap 1.10 reads the seconds as a signed
 * field, where the format (draft-ietf-opsawg-pcap, 4) and Wireshark have
 * them unsigned; a capture made after 2038-01-19 03:14:07 UTC (or one
 * damaged there) was dated 1901-1938. Both readers here read them
 * unsigned, good to 2106. test_perf compares both readers on
 * every test capture and on damaged copies of them.
 */
static void
fast_setup(struct dt_reader *r, struct pcap_state *ps)
{
	static const uint16_t one = 1;
	const uint8_t *h = ps->hdr;
	int host_le = *(const uint8_t *)&one == 1;
	unsigned vmaj, vmin;

	ps->fast = 0;
	if (ps->snaplen <= 0 || (uint32_t)ps->snaplen > MAX_SNAPLEN)
		return;
	ps->le = hdr_le(h);
	ps->nsec = (ps->le ? h[1] : h[2]) == 0x3c;
	vmaj = hdr_num(ps, 4, 2);
	vmin = hdr_num(ps, 6, 2);
	if (vmaj == 2 && vmin < 3)
		ps->lengths_swapped = 1;
	else if (vmaj == 2 && vmin == 3)
		ps->lengths_swapped = 2;
	else if (vmaj == 543 && vmin == 0)
		ps->lengths_swapped = 1;
	else if (vmaj == 2 && vmin == 4)
		ps->lengths_swapped = 0;
	else
		return;
	/* libpcap byte-swaps the pseudo-header of some link types in files
	   of the other byte order; those stay with libpcap */
	if (ps->le != host_le && ps->linktype != 1 &&
	    ps->linktype != 101 && ps->linktype != 113 &&
	    ps->linktype != 228 && ps->linktype != 229 &&
	    ps->linktype != 276)
		return;
	ps->swap = ps->le != host_le;
	if (dt_src_reserve(&r->src, r->src.size != 0 && r->src.size < FAST_WIN ?
	    (size_t)r->src.size : FAST_WIN) != 0) {
		r->src.nomem = 0;	/* libpcap copes */
		return;
	}
	ps->frac_ns = ps->nsec ? 1 : 1000;
	ps->in_place = ps->lengths_swapped == 0 && r->src.mem == NULL;
	ps->fast = 1;
}

/* The four words of a record header that dt_src_fetch() returned whole,
   in the host's order (one load each: four bounds-checked reads per
   packet were 1.5 % of the instructions of a run). */
static void
fast_header(const struct pcap_state *ps, const uint8_t *h, uint32_t w[4])
{
	int i;

	memcpy(w, h, 16);
	if (ps->swap)
		for (i = 0; i < 4; i++)
			w[i] = __builtin_bswap32(w[i]);
}

/* libpcap's words for a short read; a read error wins. */
static void
fast_short(struct dt_reader *r, uint64_t off, const char *what,
    uint32_t wanted, size_t got)
{
	if (r->src.err)
		dt_reader_fail(r, off, "error reading dump file: %s",
		    strerror(r->src.err));
	else if (r->src.nomem)
		dt_reader_fail(r, off, "out of memory");
	else
		dt_reader_cut(r, off, "truncated dump file; tried to read %u "
		    "%s bytes, only got %zu", wanted, what, got);
}

/* *pkt: zeroed, then the record at h (its header, then its bytes). */
static void
fast_fill(struct dt_reader *r, const struct pcap_state *ps,
    struct dt_packet *pkt, const uint8_t *h, uint32_t sec, int32_t frac,
    uint32_t keep, uint32_t len, uint64_t off)
{
	/* zeroed in two halves: each is a few vector stores, where one
	   memset() of the whole is a `rep stos`, whose start-up costs more
	   than the stores for a struct of this size */
	memset(pkt, 0, sizeof *pkt / 2);
	memset((char *)pkt + sizeof *pkt / 2, 0, sizeof *pkt - sizeof *pkt / 2);
	pkt->frame = ++r->frame;
	pkt->time = (int64_t)sec * 1000000000 +
	    (int64_t)frac * ps->frac_ns;
	pkt->linktype = ps->linktype;
	pkt->data = h + 16;
	pkt->caplen = keep;
	pkt->origlen = len;
	pkt->offset = off;
}

/*
 * The usual record - header and bytes already in the window, lengths
 * in their place (pcap 2.4) and within the limits - read without a call,
 * so that its path saves no registers for the others: 1 when *pkt is
 * it, 0 for fast_next() to read it (nothing consumed then).
 */
static inline int
fast_record(struct dt_reader *r, const struct pcap_state *ps,
    struct dt_packet *pkt)
{
	struct dt_src *s = &r->src;
	size_t avail = s->end - s->beg;
	uint32_t w[4], snap = (uint32_t)ps->snaplen;
	const uint8_t *h;

	if (!ps->in_place || avail < 16)
		return 0;
	h = s->win + s->beg;
	fast_header(ps, h, w);
	if (w[2] > MAX_SNAPLEN || avail - 16 < w[2])
		return 0;
	dt_src_prefetch(s, h, 16 + (size_t)w[2]);
	fast_fill(r, ps, pkt, h, w[0], (int32_t)w[1],
	    w[2] > snap ? snap : w[2], w[3], s->pos);
	s->pos += 16 + (size_t)w[2];	/* dt_src_consume(), a window's */
	s->beg += 16 + (size_t)w[2];
	return 1;
}

/* Any record read in place: the window refilled, lengths swapped,
   faults. Out of line (see fast_record()). */
static int __attribute__((noinline))
fast_next(struct dt_reader *r, struct pcap_state *ps, struct dt_packet *pkt)
{
	const uint8_t *h;
	uint64_t off = r->src.pos;
	uint32_t w[4], caplen, len, t, keep, snap = (uint32_t)ps->snaplen;
	uint32_t sec;
	int32_t frac;
	size_t got;

	got = dt_src_fetch_fast(&r->src, 16, &h);
	if (got < 16) {
		if (got > 0 || r->src.err)
			fast_short(r, off, "header", 16, got);
		return DT_ITEROVER;
	}
	fast_header(ps, h, w);
	sec = w[0];
	frac = (int32_t)w[1];
	caplen = w[2];
	len = w[3];
	if (ps->lengths_swapped == 1 ||
	    (ps->lengths_swapped == 2 && caplen > len)) {
		t = caplen;
		caplen = len;
		len = t;
	}
	if (caplen > MAX_SNAPLEN) {
		if (caplen > snap)
			dt_reader_fail(r, off, "invalid packet capture length "
			    "%u, bigger than snaplen of %d", caplen,
			    ps->snaplen);
		else
			dt_reader_fail(r, off, "invalid packet capture length "
			    "%u, bigger than maximum of %u", caplen,
			    MAX_SNAPLEN);
		return DT_ITEROVER;
	}
	keep = caplen > snap ? snap : caplen;
	got = dt_src_fetch_fast(&r->src, 16 + (size_t)caplen, &h);
	if (got < 16 + (size_t)caplen) {
		got -= 16;
		fast_short(r, off, "captured", got < keep ? keep : caplen, got);
		return DT_ITEROVER;
	}
	dt_src_prefetch(&r->src, h, 16 + (size_t)caplen);
	fast_fill(r, ps, pkt, h, sec, frac, keep, len, off);
	dt_src_consume(&r->src, 16 + (size_t)caplen);
	return 0;
}

static int libpcap_open(struct dt_reader *r, struct pcap_state *ps,
    char *err, size_t errlen);

int
dt_reader_use_libpcap(struct dt_reader *r)
{
	struct pcap_state *ps = r->priv;
	char err[PCAP_ERRBUF_SIZE];

	if (r->fmt != &dt_capfmt_pcap)
		return 0;
	if (ps->pcap == NULL) {		/* the header was read here */
		ps->hdr_left = sizeof ps->hdr;
		if (libpcap_open(r, ps, err, sizeof err) != 0) {
			ps->hdr_left = 0;
			return -1;
		}
	}
	ps->fast = 0;
	return 0;
}

int
dt_reader_in_place(const struct dt_reader *r)
{
	const struct pcap_state *ps = r->priv;

	return r->fmt == &dt_capfmt_pcap && ps->fast;
}

/* ---- the file header ----------------------------------------------------- */

/*
 * A header libpcap would accept as it is (pcap_check_header(): versions
 * 2.0-2.4 and 543.0; pcap_adjust_snapshot() keeps a snapshot length from
 * 1 to 262144 whatever the link type), with records we read in place:
 * libpcap is not needed. Anything else goes to libpcap, for its answer
 * and its error messages.
 */
static int
plain_header(struct dt_reader *r, struct pcap_state *ps)
{
	uint32_t snap, lt;

	snap = hdr_num(ps, 16, 4);
	lt = hdr_num(ps, 20, 4) & 0xffff;	/* above: FCS length, reserved */
	if (snap == 0 || snap > MAX_SNAPLEN)
		return 0;
	ps->snaplen = (int)snap;
	ps->linktype = (int)lt;
	fast_setup(r, ps);
	return ps->fast;
}

/* libpcap reads the header (from hdr first while hdr_left, then from the
   source) and, unless fast_setup() takes them, the records. */
static int
libpcap_open(struct dt_reader *r, struct pcap_state *ps, char *err,
    size_t errlen)
{
	cookie_io_functions_t io = { wrap_read, NULL, wrap_seek, wrap_close };

	if (ps->lib.h == NULL && dt_pcap_lib_open(&ps->lib, err, errlen) != 0)
		return DT_EFORMAT;
	ps->pfp = fopencookie(r, "rb", io);
	if (ps->pfp == NULL) {
		snprintf(err, errlen, "cannot read: %s", strerror(errno));
		return DT_EIO;
	}
	setvbuf(ps->pfp, NULL, _IONBF, 0);
	err[0] = '\0';
	ps->pcap = ps->lib.fopen_offline(ps->pfp, PCAP_TSTAMP_PRECISION_NANO,
	    err);
	if (ps->pcap == NULL) {
		if (err[0] == '\0')
			snprintf(err, errlen, "libpcap cannot read the pcap "
			    "header");
		fclose(ps->pfp);
		ps->pfp = NULL;
		return DT_EFORMAT;
	}
	return 0;
}

static int
pcap_begin(struct dt_reader *r)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_state *ps;
	const uint8_t *h;
	size_t n;
	int rc;

	if ((ps = dt_calloc(r->m, 1, sizeof *ps)) == NULL) {
		dt_reader_fail(r, 0, "out of memory");
		return DT_ENOMEM;
	}
	r->priv = ps;
	n = dt_src_fetch(&r->src, sizeof ps->hdr, &h);
	memcpy(ps->hdr, h, n);
	if (n == sizeof ps->hdr && plain_header(r, ps)) {
		dt_src_consume(&r->src, n);
		return 0;
	}
	if ((rc = libpcap_open(r, ps, perr, sizeof perr)) != 0) {
		dt_reader_fail(r, 0, "%s", perr);
		return rc;
	}
	ps->snaplen = ps->lib.snapshot(ps->pcap);
	/* The header's own LINKTYPE_ value: pcap_datalink() gives a DLT_. */
	if (n >= 24)
		ps->linktype = (int)(hdr_num(ps, 20, 4) & 0xffff);
	else
		ps->linktype = ps->lib.datalink(ps->pcap);
	fast_setup(r, ps);
	return 0;
}

/* A record libpcap reads. Out of line (see fast_record()). */
static int __attribute__((noinline))
lib_next(struct dt_reader *r, struct pcap_state *ps, struct dt_packet *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	const uint8_t *rest;
	uint64_t off = r->src.pos;
	int rc;

	rc = ps->lib.next_ex(ps->pcap, &h, &d);
	if (rc == PCAP_ERROR_BREAK)
		return DT_ITEROVER;
	if (rc != 1 && dt_src_fetch(&r->src, 1, &rest) == 0 && !r->src.err &&
	    !r->src.nomem) {
		/* libpcap read to the end of the stream inside a record */
		dt_reader_cut(r, off, "%s", ps->lib.geterr(ps->pcap));
		return DT_ITEROVER;
	}
	if (rc != 1) {
		dt_reader_fail(r, off, "%s", ps->lib.geterr(ps->pcap));
		return DT_ITEROVER;
	}
	memset(pkt, 0, sizeof *pkt);
	pkt->frame = ++r->frame;
	/* the file's 32 bits, which libpcap sign-extends (see fast_setup) */
	pkt->time = (int64_t)(uint32_t)h->ts.tv_sec * 1000000000 +
	    (int64_t)h->ts.tv_usec;
	pkt->linktype = ps->linktype;
	pkt->data = d;
	pkt->caplen = h->caplen;
	pkt->origlen = h->len;
	pkt->offset = off;
	return 0;
}

static int
pcap_next_pkt(struct dt_reader *r, struct dt_packet *pkt)
{
	struct pcap_state *ps = r->priv;

	if (!ps->fast)
		return lib_next(r, ps, pkt);
	return fast_record(r, ps, pkt) ? 0 : fast_next(r, ps, pkt);
}

static void
pcap_end(struct dt_reader *r)
{
	struct pcap_state *ps = r->priv;

	if (ps == NULL)
		return;
	if (ps->pcap != NULL)
		ps->lib.close(ps->pcap);	/* closes pfp */
	else if (ps->pfp != NULL)
		fclose(ps->pfp);
	dt_pcap_lib_close(&ps->lib);
	dt_free(r->m, ps);
	r->priv = NULL;
}

const struct dt_capfmt dt_capfmt_pcap = {
	.name = "pcap",
	.probe = pcap_probe,
	.open = pcap_begin,
	.next = pcap_next_pkt,
	.free = pcap_end,
};

/* ---- link type names ----------------------------------------------------- */

/* LINKTYPE_ values whose DLT_ differs (pcap-linktype(7)). */
static const struct {
	int linktype;
	int dlt;
} linktype_dlt[] = {
	{ 100, DLT_ATM_RFC1483 },
	{ 101, DLT_RAW },
	{ 102, DLT_SLIP_BSDOS },
	{ 103, DLT_PPP_BSDOS },
	{ 106, DLT_ATM_CLIP },
	{ 246, DLT_PFSYNC },
};

int
dt_linktype_to_dlt(int linktype)
{
	size_t i;

	for (i = 0; i < sizeof linktype_dlt / sizeof linktype_dlt[0]; i++)
		if (linktype_dlt[i].linktype == linktype)
			return linktype_dlt[i].dlt;
	return linktype;
}

/* libpcap's names (pcap_datalink_val_to_name()) of the link types that
   net/ decodes, so that naming them does not load libpcap. */
static const struct {
	int dlt;
	const char *name;
} dlt_names[] = {
	{ DLT_NULL, "NULL" },
	{ DLT_EN10MB, "EN10MB" },
	{ DLT_PPP, "PPP" },
	{ DLT_RAW, "RAW" },
	{ DLT_PPP_SERIAL, "PPP_SERIAL" },
	{ DLT_PPP_ETHER, "PPP_ETHER" },
	{ DLT_C_HDLC, "C_HDLC" },
	{ DLT_IEEE802_11, "IEEE802_11" },
	{ DLT_LOOP, "LOOP" },
	{ DLT_LINUX_SLL, "LINUX_SLL" },
	{ DLT_IEEE802_11_RADIO, "IEEE802_11_RADIO" },
	{ DLT_PPI, "PPI" },
	{ DLT_IPV4, "IPV4" },
	{ DLT_IPV6, "IPV6" },
#ifdef DLT_LINUX_SLL2
	{ DLT_LINUX_SLL2, "LINUX_SLL2" },
#endif
};

const char *
dt_linktype_name(int linktype, char *buf, size_t buflen)
{
	int dlt = dt_linktype_to_dlt(linktype);
	const char *name = NULL;
	struct dt_pcap_lib lib;
	char err[PCAP_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < sizeof dlt_names / sizeof dlt_names[0]; i++)
		if (dlt_names[i].dlt == dlt) {
			snprintf(buf, buflen, "%s", dlt_names[i].name);
			return buf;
		}
	/* another one: libpcap's name, if libpcap is there */
	if (dt_pcap_lib_open(&lib, err, sizeof err) == 0)
		name = lib.datalink_val_to_name(dlt);
	if (name != NULL)
		snprintf(buf, buflen, "%s", name);
	else
		snprintf(buf, buflen, "LINKTYPE_%d", linktype);
	dt_pcap_lib_close(&lib);
	return buf;
}
