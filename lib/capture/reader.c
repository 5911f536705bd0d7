/*
 * Capture reader: opens a path, a memory buffer or a stream, tells the
 * format by its first bytes and hands out packets in file order. Classic
 * pcap (tcpdump's savefile, pcap-savefile(5); micro- and nanosecond magics,
 * both byte orders) is read by libpcap in nanosecond precision; pcapng
 * (draft-ietf-opsawg-pcapng) by our own reader in pcapng.c, because libpcap
 * 1.10 refuses files whose interfaces differ in link type. Offsets in
 * errors are byte offsets of the record that failed, from the start of the
 * capture data.
 */
#include "capture/capture_int.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "capture/etl.h"
#include "datrace.h"
#include "util/rd.h"

#define PCAP_MAGIC_US		0xa1b2c3d4u
#define PCAP_MAGIC_NS		0xa1b23c4du
#define PCAPNG_SHB		0x0a0d0d0au

void
dt_reader_fail(struct dt_reader *r, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = 1;
	r->err_off = off;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
}

void
dt_reader_warnf(struct dt_reader *r, uint64_t off, const char *fmt, ...)
{
	char msg[DT_CAP_ERRLEN];
	va_list ap;

	if (r->warn == NULL)
		return;
	r->n_warnings++;
	if (r->n_warnings > DT_CAP_MAX_WARNINGS) {
		if (r->n_warnings == DT_CAP_MAX_WARNINGS + 1)
			r->warn(r->warn_payload, off,
			    "further capture warnings suppressed");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->warn(r->warn_payload, off, msg);
}

/* ---- the stream libpcap reads -------------------------------------------- */

/*
 * libpcap must see the file from its first byte, but we already read the
 * magic, and a caller's stream may be a pipe and must not be closed by
 * pcap_close(): a cookie stream replays the sniffed bytes, then reads on.
 */
static ssize_t
wrap_read(void *cookie, char *buf, size_t size)
{
	struct dt_reader *r = cookie;
	size_t n = 0, k;

	if (r->peek_pos < r->peek_n) {
		n = r->peek_n - r->peek_pos;
		if (n > size)
			n = size;
		memcpy(buf, r->peek + r->peek_pos, n);
		r->peek_pos += n;
	}
	if (n < size && r->fp != NULL) {
		k = fread(buf + n, 1, size - n, r->fp);
		if (k == 0 && n == 0 && ferror(r->fp))
			return -1;
		n += k;
	}
	r->cookie_pos += n;
	return (ssize_t)n;
}

/* Only "where are we" is answered, which is what ftello() asks. */
static int
wrap_seek(void *cookie, off64_t *off, int whence)
{
	struct dt_reader *r = cookie;

	if (whence == SEEK_CUR && *off == 0) {
		*off = (off64_t)r->cookie_pos;
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

static FILE *
wrap_open(struct dt_reader *r)
{
	cookie_io_functions_t io = { wrap_read, NULL, wrap_seek, wrap_close };

	r->cookie_pos = 0;
	return fopencookie(r, "rb", io);
}

/* ---- classic pcap records without a copy -------------------------------- */

/*
 * libpcap copies every record out of its stdio buffer into its own, one
 * fread for the header and one for the data; that was a third of the
 * reading cost. Once libpcap has accepted the file header, the records
 * of a plain file (versions 2.0-2.4, 16-byte record headers, link types
 * whose pseudo-header libpcap leaves alone) are read here from a large
 * window (or straight from the caller's memory) and handed out in place,
 * following libpcap 1.10's pcap_next_packet(): the same lengths (2.3 and
 * older swap caplen/len; records past the snapshot length are cut to
 * it), the same time stamps (signed 32-bit fields, microseconds scaled),
 * the same error messages. test_perf compares both readers on every test
 * capture and on damaged copies of them.
 */
#define FAST_WIN	(4 * DT_CAP_IOBUF)
#define MAX_SNAPLEN	262144u		/* libpcap's MAXIMUM_SNAPLEN */

static void
fast_setup(struct dt_reader *r)
{
	static const uint16_t one = 1;
	const uint8_t *h = r->peek;
	int host_le = *(const uint8_t *)&one == 1;
	unsigned vmaj, vmin;

	r->fast = 0;
	if (r->peek_n < 24 || r->snaplen <= 0 ||
	    (uint32_t)r->snaplen > MAX_SNAPLEN)
		return;
	r->le = h[0] == 0xd4 || h[0] == 0x4d;
	r->nsec = (r->le ? h[1] : h[2]) == 0x3c;
	vmaj = r->le ? (unsigned)(h[4] | h[5] << 8) :
	    (unsigned)(h[4] << 8 | h[5]);
	vmin = r->le ? (unsigned)(h[6] | h[7] << 8) :
	    (unsigned)(h[6] << 8 | h[7]);
	if (vmaj == 2 && vmin < 3)
		r->lengths_swapped = 1;
	else if (vmaj == 2 && vmin == 3)
		r->lengths_swapped = 2;
	else if (vmaj == 543 && vmin == 0)
		r->lengths_swapped = 1;
	else if (vmaj == 2 && vmin == 4)
		r->lengths_swapped = 0;
	else
		return;
	/* libpcap byte-swaps the pseudo-header of some link types in files
	   of the other byte order; those stay with libpcap */
	if (r->le != host_le && r->pcap_linktype != 1 &&
	    r->pcap_linktype != 101 && r->pcap_linktype != 113 &&
	    r->pcap_linktype != 228 && r->pcap_linktype != 229 &&
	    r->pcap_linktype != 276)
		return;
	if (r->mem == NULL) {
		r->win = dt_malloc(r->m, FAST_WIN);
		if (r->win == NULL)
			return;			/* libpcap copes */
		r->win_cap = FAST_WIN;
		r->win_beg = r->win_end = 0;
		r->win_eof = 0;
	}
	r->fast = 1;
}

/* `want` bytes of the record stream at r->pos into *p; fewer at the end of
   the input (or on a read error: r->io_error set). */
static size_t
fast_fetch(struct dt_reader *r, size_t want, const uint8_t **p)
{
	size_t avail, k;
	uint8_t *nw;

	if (r->mem != NULL) {
		avail = r->pos < r->mem_len ? r->mem_len - (size_t)r->pos : 0;
		*p = r->mem + (r->pos < r->mem_len ? r->pos : r->mem_len);
		return avail < want ? avail : want;
	}
	avail = r->win_end - r->win_beg;
	while (avail < want && !r->win_eof) {
		if (r->win_beg > 0) {
			memmove(r->win, r->win + r->win_beg, avail);
			r->win_beg = 0;
			r->win_end = avail;
		}
		if (want > r->win_cap) {	/* a record past the window */
			if ((nw = dt_realloc(r->m, r->win, want)) == NULL)
				break;
			r->win = nw;
			r->win_cap = want;
		}
		k = r->win_cap - r->win_end;
		if (r->own_fp && r->pfp == r->fp) {
			/* our own seekable file: straight into the window
			   at the offset (stdio would copy through its
			   buffer); a FIFO or /dev/fd path is read through
			   the cookie stream, which has no descriptor */
			ssize_t g;

			do
				g = pread(fileno(r->pfp), r->win + r->win_end, k,
				    (off_t)(r->fp_start + r->pos + avail));
			while (g < 0 && errno == EINTR);
			if (g < 0)
				r->io_error = errno ? errno : EIO;
			k = g > 0 ? (size_t)g : 0;
		} else {
			k = fread(r->win + r->win_end, 1, k, r->pfp);
			if (k == 0 && ferror(r->pfp))
				r->io_error = errno ? errno : EIO;
		}
		if (k == 0)
			r->win_eof = 1;
		r->win_end += k;
		avail += k;
	}
	*p = r->win + r->win_beg;
	return avail < want ? avail : want;
}

static uint32_t
fast_u32(const struct dt_reader *r, struct rd *d)
{
	return r->le ? rd_u32le(d) : rd_u32(d);
}

/* libpcap's words for a short read; a read error wins. */
static void
fast_short(struct dt_reader *r, uint64_t off, const char *what,
    uint32_t wanted, size_t got)
{
	if (r->io_error)
		dt_reader_fail(r, off, "error reading dump file: %s",
		    strerror(r->io_error));
	else
		dt_reader_fail(r, off, "truncated dump file; tried to read %u "
		    "%s bytes, only got %zu", wanted, what, got);
}

static int
fast_next(struct dt_reader *r, struct dt_packet *pkt)
{
	const uint8_t *h;
	uint64_t off = r->pos;
	uint32_t caplen, len, t, keep, snap = (uint32_t)r->snaplen;
	int32_t sec, frac;
	size_t got;
	struct rd d;

	got = fast_fetch(r, 16, &h);
	if (got < 16) {
		if (got > 0 || r->io_error)
			fast_short(r, off, "header", 16, got);
		return DT_ITEROVER;
	}
	d = rd_make(h, 16);
	sec = (int32_t)fast_u32(r, &d);
	frac = (int32_t)fast_u32(r, &d);
	caplen = fast_u32(r, &d);
	len = fast_u32(r, &d);
	if (r->lengths_swapped == 1 ||
	    (r->lengths_swapped == 2 && caplen > len)) {
		t = caplen;
		caplen = len;
		len = t;
	}
	if (caplen > MAX_SNAPLEN) {
		if (caplen > snap)
			dt_reader_fail(r, off, "invalid packet capture length "
			    "%u, bigger than snaplen of %d", caplen, r->snaplen);
		else
			dt_reader_fail(r, off, "invalid packet capture length "
			    "%u, bigger than maximum of %u", caplen,
			    MAX_SNAPLEN);
		return DT_ITEROVER;
	}
	keep = caplen > snap ? snap : caplen;
	got = fast_fetch(r, 16 + (size_t)caplen, &h);
	if (got < 16 + (size_t)caplen) {
		got -= 16;
		fast_short(r, off, "captured", got < keep ? keep : caplen, got);
		return DT_ITEROVER;
	}
	memset(pkt, 0, sizeof *pkt);
	pkt->frame = ++r->frame;
	pkt->time = (int64_t)sec * 1000000000 +
	    (int64_t)frac * (r->nsec ? 1 : 1000);
	pkt->linktype = r->pcap_linktype;
	pkt->data = h + 16;
	pkt->caplen = keep;
	pkt->origlen = len;
	pkt->offset = off;
	r->pos = off + 16 + caplen;
	if (r->mem == NULL)
		r->win_beg += 16 + (size_t)caplen;
	return 0;
}

void
dt_reader_use_libpcap(struct dt_reader *r)
{
	r->fast = 0;
}

/* ---- classic pcap through libpcap --------------------------------------- */

static int
pcap_begin(struct dt_reader *r, char *errbuf, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	uint32_t lt;
	pcap_t *p;

	if (r->mem != NULL) {
		r->pfp = fmemopen((void *)(uintptr_t)r->mem, r->mem_len, "rb");
		r->pfp_ours = 1;
	} else if (r->own_fp && fseeko(r->fp, 0, SEEK_SET) == 0) {
		r->pfp = r->fp;		/* buffered at open */
	} else {
		r->pfp = wrap_open(r);
		r->pfp_ours = 1;
	}
	if (r->pfp == NULL) {
		snprintf(errbuf, errlen, "offset 0: cannot read: %s",
		    strerror(errno));
		return DT_EIO;
	}
	if (r->pfp_ours) {
		r->pbuf = dt_malloc(r->m, DT_CAP_IOBUF);
		if (r->pbuf != NULL)
			setvbuf(r->pfp, r->pbuf, _IOFBF, DT_CAP_IOBUF);
	}
	perr[0] = '\0';
	p = pcap_fopen_offline_with_tstamp_precision(r->pfp,
	    PCAP_TSTAMP_PRECISION_NANO, perr);
	if (p == NULL) {
		snprintf(errbuf, errlen, "offset 0: %s",
		    perr[0] ? perr : "libpcap cannot read the pcap header");
		return DT_EFORMAT;
	}
	r->pcap = p;
	r->snaplen = pcap_snapshot(p);
	/* The header's own LINKTYPE_ value: pcap_datalink() gives a DLT_. */
	if (r->peek_n >= 24) {
		lt = (uint32_t)r->peek[20] | (uint32_t)r->peek[21] << 8 |
		    (uint32_t)r->peek[22] << 16 | (uint32_t)r->peek[23] << 24;
		if (r->peek[0] == 0xa1)		/* big-endian file */
			lt = (uint32_t)r->peek[23] | (uint32_t)r->peek[22] << 8 |
			    (uint32_t)r->peek[21] << 16 |
			    (uint32_t)r->peek[20] << 24;
		r->pcap_linktype = (int)(lt & 0xffff);
	} else {
		r->pcap_linktype = pcap_datalink(p);
	}
	r->pos = 24;
	fast_setup(r);
	return 0;
}

static int
pcap_next_pkt(struct dt_reader *r, struct dt_packet *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t off = r->pos;
	off_t after;
	int rc;

	rc = pcap_next_ex(r->pcap, &h, &d);
	if (rc == PCAP_ERROR_BREAK)
		return DT_ITEROVER;
	if (rc != 1) {
		dt_reader_fail(r, off, "%s", pcap_geterr(r->pcap));
		return DT_ITEROVER;
	}
	/* A record longer than the snaplen is cut to it by libpcap, which
	   reads past caplen: only then ask the stream where the next starts
	   (ftello per packet costs a lock and ~20% on small packets). */
	r->pos = off + 16 + h->caplen;
	if (h->caplen >= (uint32_t)r->snaplen &&
	    (after = ftello(r->pfp)) >= 0)
		r->pos = (uint64_t)after;

	memset(pkt, 0, sizeof *pkt);
	pkt->frame = ++r->frame;
	pkt->time = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec;
	pkt->linktype = r->pcap_linktype;
	pkt->data = d;
	pkt->caplen = h->caplen;
	pkt->origlen = h->len;
	pkt->offset = off;
	return 0;
}

/* ---- opening -------------------------------------------------------------- */

static int
reader_new(struct dt_reader **out, struct dt_mem *m)
{
	struct dt_reader *r;

	*out = NULL;
	r = dt_calloc(m, 1, sizeof *r);
	if (r == NULL)
		return DT_ENOMEM;
	r->m = m;
	*out = r;
	return 0;
}

static uint32_t
peek_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The source is set up; sniff, pick the reader, read the header. */
static int
open_common(struct dt_reader *r, char *errbuf, size_t errlen)
{
	uint32_t magic;
	int rc;

	if (r->mem != NULL) {
		r->peek_n = r->mem_len < DT_CAP_PEEK ? r->mem_len : DT_CAP_PEEK;
		memcpy(r->peek, r->mem, r->peek_n);
	} else {
		r->peek_n = fread(r->peek, 1, DT_CAP_PEEK, r->fp);
		if (r->peek_n == 0 && ferror(r->fp)) {
			snprintf(errbuf, errlen, "offset 0: cannot read: %s",
			    strerror(errno));
			return DT_EIO;
		}
	}
	if (r->peek_n == 0) {
		snprintf(errbuf, errlen, "offset 0: empty file");
		return DT_EFORMAT;
	}
	if (r->peek_n < 4) {
		snprintf(errbuf, errlen,
		    "offset 0: not a capture file (pcap, pcapng)");
		return DT_EFORMAT;
	}
	magic = peek_be32(r->peek);
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
	    magic == __builtin_bswap32(PCAP_MAGIC_US) ||
	    magic == __builtin_bswap32(PCAP_MAGIC_NS)) {
		r->format = DT_CAP_PCAP;
		return pcap_begin(r, errbuf, errlen);
	}
	if (magic == PCAPNG_SHB) {
		r->format = DT_CAP_PCAPNG;
		if (dt_pcapng_open(r) != 0) {
			snprintf(errbuf, errlen, "offset %llu: %s",
			    (unsigned long long)r->err_off, r->err);
			if (r->mem == NULL && r->win == NULL)
				return DT_ENOMEM;	/* the window */
			return r->io_error ? DT_EIO : DT_EFORMAT;
		}
		return 0;
	}
	rc = dt_etl_open(r);		/* ETL: told by its first buffer */
	if (rc < 0) {
		snprintf(errbuf, errlen, "offset %llu: %s",
		    (unsigned long long)r->err_off, r->err);
		return rc;
	}
	if (rc == 0)
		return 0;
	snprintf(errbuf, errlen, "offset 0: not a capture file (pcap, pcapng)");
	return DT_EFORMAT;
}

static int
open_finish(struct dt_reader **out, struct dt_reader *r, int rc,
    uint64_t *err_offset)
{
	if (err_offset != NULL)
		*err_offset = rc == 0 ? 0 : r->err_off;
	if (rc != 0) {
		dt_reader_close(r);
		*out = NULL;
		return rc;
	}
	*out = r;
	return 0;
}

int
dt_reader_open_file(struct dt_reader **out, struct dt_mem *m,
    const char *path, char *errbuf, size_t errlen, uint64_t *err_offset)
{
	struct dt_reader *r;
	struct stat st;
	int rc;

	if (err_offset != NULL)
		*err_offset = 0;
	if ((rc = reader_new(out, m)) != 0) {
		snprintf(errbuf, errlen, "offset 0: out of memory");
		return rc;
	}
	r = *out;
	r->fp = fopen(path, "rb");
	if (r->fp == NULL) {
		snprintf(errbuf, errlen, "offset 0: cannot open: %s",
		    strerror(errno));
		return open_finish(out, r, DT_EIO, err_offset);
	}
	r->own_fp = 1;
	r->iobuf = dt_malloc(m, DT_CAP_IOBUF);
	if (r->iobuf != NULL)
		setvbuf(r->fp, r->iobuf, _IOFBF, DT_CAP_IOBUF);
	if (fstat(fileno(r->fp), &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(errbuf, errlen,
			    "offset 0: cannot read: Is a directory");
			return open_finish(out, r, DT_EIO, err_offset);
		}
		if (S_ISREG(st.st_mode))
			r->size = (uint64_t)st.st_size;
	}
	rc = open_common(r, errbuf, errlen);
	return open_finish(out, r, rc, err_offset);
}

int
dt_reader_open_mem(struct dt_reader **out, struct dt_mem *m,
    const void *buf, size_t len, char *errbuf, size_t errlen,
    uint64_t *err_offset)
{
	static const uint8_t empty[1];
	struct dt_reader *r;
	int rc;

	if (err_offset != NULL)
		*err_offset = 0;
	if ((rc = reader_new(out, m)) != 0) {
		snprintf(errbuf, errlen, "offset 0: out of memory");
		return rc;
	}
	r = *out;
	r->mem = buf != NULL ? buf : empty;
	r->mem_len = buf != NULL ? len : 0;
	r->size = r->mem_len;
	rc = open_common(r, errbuf, errlen);
	return open_finish(out, r, rc, err_offset);
}

int
dt_reader_open_fp(struct dt_reader **out, struct dt_mem *m, FILE *fp,
    char *errbuf, size_t errlen, uint64_t *err_offset)
{
	struct dt_reader *r;
	struct stat st;
	off_t at;
	int rc;

	if (err_offset != NULL)
		*err_offset = 0;
	if ((rc = reader_new(out, m)) != 0) {
		snprintf(errbuf, errlen, "offset 0: out of memory");
		return rc;
	}
	r = *out;
	r->fp = fp;
	at = ftello(fp);
	if (fileno(fp) >= 0 && fstat(fileno(fp), &st) == 0 &&
	    S_ISREG(st.st_mode) && at >= 0 && st.st_size >= at)
		r->size = (uint64_t)(st.st_size - at);
	rc = open_common(r, errbuf, errlen);
	return open_finish(out, r, rc, err_offset);
}

void
dt_reader_set_warn(struct dt_reader *r, dt_reader_warn_fn fn, void *payload)
{
	r->warn = fn;
	r->warn_payload = payload;
}

int
dt_reader_next(struct dt_reader *r, struct dt_packet *pkt)
{
	int rc;

	if (r->failed)
		return DT_ITEROVER;
	if (r->format == DT_CAP_PCAP)
		rc = r->fast ? fast_next(r, pkt) :
		    pcap_next_pkt(r, pkt);
	else if (r->format == DT_CAP_ETL)
		rc = dt_etl_next(r, pkt);
	else
		rc = dt_pcapng_next(r, pkt);
	/* A damaged pcapng time can be any int64; keep every time within
	   DT_TIME_MAX of 1970 so that the difference of two never overflows
	   (the report and the rules subtract them). */
	if (rc == 0 && pkt->time > DT_TIME_MAX)
		pkt->time = DT_TIME_MAX;
	else if (rc == 0 && pkt->time < -DT_TIME_MAX)
		pkt->time = -DT_TIME_MAX;
	return rc;
}

const char *
dt_reader_error(const struct dt_reader *r, uint64_t *offset)
{
	if (!r->failed)
		return NULL;
	if (offset != NULL)
		*offset = r->err_off;
	return r->err;
}

const char *
dt_reader_format(const struct dt_reader *r)
{
	if (r->format == DT_CAP_ETL)
		return "etl";
	return r->format == DT_CAP_PCAPNG ? "pcapng" : "pcap";
}

uint64_t
dt_reader_size(const struct dt_reader *r)
{
	return r->size;
}

uint64_t
dt_reader_pos(const struct dt_reader *r)
{
	return r->pos;
}

void
dt_reader_close(struct dt_reader *r)
{
	if (r == NULL)
		return;
	if (r->pcap != NULL)
		pcap_close(r->pcap);	/* closes pfp */
	else if (r->pfp != NULL && r->pfp_ours)
		fclose(r->pfp);
	if (r->own_fp && r->fp != NULL &&
	    !(r->pcap != NULL && r->pfp == r->fp))
		fclose(r->fp);
	dt_pcapng_free(r);
	dt_etl_free(r);
	dt_free(r->m, r->pbuf);
	dt_free(r->m, r->iobuf);
	dt_free(r->m, r->seen);
	dt_free(r->m, r);
}

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
