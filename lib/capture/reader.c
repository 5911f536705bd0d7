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

#include "capture/etl.h"
#include "datrace.h"

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
		rc = pcap_next_pkt(r, pkt);
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
