/*
 * Classic pcap (tcpdump's savefile, pcap-savefile(5); micro- and
 * nanosecond magics, both byte orders). libpcap reads and checks the file
 * header, in nanosecond precision, from a stream over the reader's byte
 * source; the records of a plain file are then read here in place (see
 * "records without a copy"), the others by libpcap. Offsets in errors are
 * byte offsets of the record that failed.
 */
#include "capture/capture_int.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>

#include "datrace.h"

#define PCAP_MAGIC_US		0xa1b2c3d4u
#define PCAP_MAGIC_NS		0xa1b23c4du
#define FAST_WIN	(DT_CAP_IOBUF)	/* stays in L2 between read() and use */
#define MAX_SNAPLEN	262144u		/* libpcap's MAXIMUM_SNAPLEN */

struct pcap_state {
	pcap_t *pcap;
	FILE *pfp;			/* the stream libpcap reads */
	int linktype;			/* the header's LINKTYPE_ */
	int snaplen;			/* libpcap's, records cut to it */
	uint8_t hdr[24];		/* the file header */
	/* records read in place */
	int fast;
	int le;				/* little-endian file */
	int swap;			/* ... of the other order than the host */
	int nsec;			/* nanosecond magic */
	int lengths_swapped;		/* 0 no, 1 yes, 2 when caplen > len */
};

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

	return (ssize_t)dt_src_read(&r->src, buf, size);
}

/* Only "where are we" is answered, which is what ftello() asks. */
static int
wrap_seek(void *cookie, off64_t *off, int whence)
{
	struct dt_reader *r = cookie;

	if (whence == SEEK_CUR && *off == 0) {
		*off = (off64_t)r->src.pos;
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
 * reading cost. Once libpcap has accepted the file header, the records
 * of a plain file (versions 2.0-2.4, 16-byte record headers, link types
 * whose pseudo-header libpcap leaves alone) are read here from the
 * source's window (or straight from the caller's memory) and handed out
 * in place, following libpcap 1.10's pcap_next_packet(): the same lengths
 * (2.3 and older swap caplen/len; records past the snapshot length are
 * cut to it), the same time stamps (signed 32-bit fields, microseconds
 * scaled), the same error messages. test_perf compares both readers on
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
	ps->le = h[0] == 0xd4 || h[0] == 0x4d;
	ps->nsec = (ps->le ? h[1] : h[2]) == 0x3c;
	vmaj = ps->le ? (unsigned)(h[4] | h[5] << 8) :
	    (unsigned)(h[4] << 8 | h[5]);
	vmin = ps->le ? (unsigned)(h[6] | h[7] << 8) :
	    (unsigned)(h[6] << 8 | h[7]);
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

static int
fast_next(struct dt_reader *r, struct pcap_state *ps, struct dt_packet *pkt)
{
	const uint8_t *h;
	uint64_t off = r->src.pos;
	uint32_t w[4], caplen, len, t, keep, snap = (uint32_t)ps->snaplen;
	int32_t sec, frac;
	size_t got;

	got = dt_src_fetch(&r->src, 16, &h);
	if (got < 16) {
		if (got > 0 || r->src.err)
			fast_short(r, off, "header", 16, got);
		return DT_ITEROVER;
	}
	fast_header(ps, h, w);
	sec = (int32_t)w[0];
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
	got = dt_src_fetch(&r->src, 16 + (size_t)caplen, &h);
	if (got < 16 + (size_t)caplen) {
		got -= 16;
		fast_short(r, off, "captured", got < keep ? keep : caplen, got);
		return DT_ITEROVER;
	}
	memset(pkt, 0, sizeof *pkt);
	pkt->frame = ++r->frame;
	pkt->time = (int64_t)sec * 1000000000 +
	    (int64_t)frac * (ps->nsec ? 1 : 1000);
	pkt->linktype = ps->linktype;
	pkt->data = h + 16;
	pkt->caplen = keep;
	pkt->origlen = len;
	pkt->offset = off;
	dt_src_consume(&r->src, 16 + (size_t)caplen);
	return 0;
}

void
dt_reader_use_libpcap(struct dt_reader *r)
{
	struct pcap_state *ps = r->priv;

	if (r->fmt == &dt_capfmt_pcap)
		ps->fast = 0;
}

int
dt_reader_in_place(const struct dt_reader *r)
{
	const struct pcap_state *ps = r->priv;

	return r->fmt == &dt_capfmt_pcap && ps->fast;
}

/* ---- classic pcap through libpcap --------------------------------------- */

static int
pcap_begin(struct dt_reader *r)
{
	cookie_io_functions_t io = { wrap_read, NULL, wrap_seek, wrap_close };
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_state *ps;
	const uint8_t *h;
	uint32_t lt;
	size_t n;

	if ((ps = dt_calloc(r->m, 1, sizeof *ps)) == NULL) {
		dt_reader_fail(r, 0, "out of memory");
		return DT_ENOMEM;
	}
	r->priv = ps;
	n = dt_src_fetch(&r->src, sizeof ps->hdr, &h);
	memcpy(ps->hdr, h, n);
	ps->pfp = fopencookie(r, "rb", io);
	if (ps->pfp == NULL) {
		dt_reader_fail(r, 0, "cannot read: %s", strerror(errno));
		return DT_EIO;
	}
	setvbuf(ps->pfp, NULL, _IONBF, 0);
	perr[0] = '\0';
	ps->pcap = pcap_fopen_offline_with_tstamp_precision(ps->pfp,
	    PCAP_TSTAMP_PRECISION_NANO, perr);
	if (ps->pcap == NULL) {
		dt_reader_fail(r, 0, "%s",
		    perr[0] ? perr : "libpcap cannot read the pcap header");
		return DT_EFORMAT;
	}
	ps->snaplen = pcap_snapshot(ps->pcap);
	/* The header's own LINKTYPE_ value: pcap_datalink() gives a DLT_. */
	if (n >= 24) {
		h = ps->hdr;
		lt = (uint32_t)h[20] | (uint32_t)h[21] << 8 |
		    (uint32_t)h[22] << 16 | (uint32_t)h[23] << 24;
		if (h[0] == 0xa1)		/* big-endian file */
			lt = (uint32_t)h[23] | (uint32_t)h[22] << 8 |
			    (uint32_t)h[21] << 16 | (uint32_t)h[20] << 24;
		ps->linktype = (int)(lt & 0xffff);
	} else {
		ps->linktype = pcap_datalink(ps->pcap);
	}
	fast_setup(r, ps);
	return 0;
}

static int
pcap_next_pkt(struct dt_reader *r, struct dt_packet *pkt)
{
	struct pcap_state *ps = r->priv;
	struct pcap_pkthdr *h;
	const u_char *d;
	const uint8_t *rest;
	uint64_t off = r->src.pos;
	int rc;

	if (ps->fast)
		return fast_next(r, ps, pkt);
	rc = pcap_next_ex(ps->pcap, &h, &d);
	if (rc == PCAP_ERROR_BREAK)
		return DT_ITEROVER;
	if (rc != 1 && dt_src_fetch(&r->src, 1, &rest) == 0 && !r->src.err &&
	    !r->src.nomem) {
		/* libpcap read to the end of the stream inside a record */
		dt_reader_cut(r, off, "%s", pcap_geterr(ps->pcap));
		return DT_ITEROVER;
	}
	if (rc != 1) {
		dt_reader_fail(r, off, "%s", pcap_geterr(ps->pcap));
		return DT_ITEROVER;
	}
	memset(pkt, 0, sizeof *pkt);
	pkt->frame = ++r->frame;
	pkt->time = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec;
	pkt->linktype = ps->linktype;
	pkt->data = d;
	pkt->caplen = h->caplen;
	pkt->origlen = h->len;
	pkt->offset = off;
	return 0;
}

static void
pcap_end(struct dt_reader *r)
{
	struct pcap_state *ps = r->priv;

	if (ps == NULL)
		return;
	if (ps->pcap != NULL)
		pcap_close(ps->pcap);	/* closes pfp */
	else if (ps->pfp != NULL)
		fclose(ps->pfp);
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

const char *
dt_linktype_name(int linktype, char *buf, size_t buflen)
{
	const char *name = pcap_datalink_val_to_name(
	    dt_linktype_to_dlt(linktype));

	if (name != NULL)
		snprintf(buf, buflen, "%s", name);
	else
		snprintf(buf, buflen, "LINKTYPE_%d", linktype);
	return buf;
}
