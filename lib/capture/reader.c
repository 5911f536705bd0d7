/*
 * Capture reader: opens a path, a memory buffer, a stream or a read
 * callback as one byte source (src.c), asks each format of the table
 * below in turn whether the first bytes are its own, and hands out the
 * chosen format's packets in file order. Classic pcap (pcap.c, through
 * libpcap), pcapng (pcapng.c, our own reader: libpcap 1.10 refuses
 * interfaces of different link types) and ETL (etl.c). A format is one
 * file and one line in formats[], in the way of libpcap's check_headers[].
 */
#include "capture/capture_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "datrace.h"

static const struct dt_capfmt *const formats[] = {
	&dt_capfmt_pcap,
	&dt_capfmt_pcapng,
	&dt_capfmt_etl,
};

const char *
dt_capture_format_probe(const void *buf, size_t len)
{
	size_t i;

	for (i = 0; buf != NULL && i < sizeof formats / sizeof formats[0]; i++)
		if (formats[i]->probe(buf, len))
			return formats[i]->name;
	return NULL;
}

/* The prelude every dt_reader_open_* shares: a reader with no source yet,
   and no error offset until the open says otherwise. */
static int
reader_new(struct dt_reader **out, struct dt_mem *m, char *errbuf,
    size_t errlen, uint64_t *err_offset)
{
	struct dt_reader *r;

	*out = NULL;
	if (err_offset != NULL)
		*err_offset = 0;
	r = dt_calloc(m, 1, sizeof *r);
	if (r == NULL) {
		snprintf(errbuf, errlen, "offset 0: out of memory");
		return DT_ENOMEM;
	}
	r->m = m;
	r->src.fd = -1;
	*out = r;
	return 0;
}

/* The source is set up: sniff, pick the format, read its header. */
static int
open_common(struct dt_reader *r, char *errbuf, size_t errlen)
{
	const uint8_t *p;
	size_t n, i;
	int rc;

	n = dt_src_fetch(&r->src, DT_CAP_PROBE, &p);
	if (n == 0 && r->src.err) {
		snprintf(errbuf, errlen, "offset 0: cannot read: %s",
		    strerror(r->src.err));
		return DT_EIO;
	}
	if (n == 0 && r->src.nomem) {
		snprintf(errbuf, errlen, "offset 0: out of memory");
		return DT_ENOMEM;
	}
	if (n == 0) {
		snprintf(errbuf, errlen, "offset 0: empty file");
		return DT_EFORMAT;
	}
	for (i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		if (!formats[i]->probe(p, n))
			continue;
		r->fmt = formats[i];
		rc = r->fmt->open(r);
		if (rc != 0)
			snprintf(errbuf, errlen, "offset %llu: %s",
			    (unsigned long long)r->err_off, r->err);
		return rc;
	}
	snprintf(errbuf, errlen, "offset 0: not a capture file (");
	for (i = 0; i < sizeof formats / sizeof formats[0]; i++)
		snprintf(errbuf + strlen(errbuf), errlen - strlen(errbuf), "%s%s",
		    i > 0 ? ", " : "", formats[i]->name);
	snprintf(errbuf + strlen(errbuf), errlen - strlen(errbuf), ")");
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

static int
open_path(struct dt_reader **out, struct dt_mem *m, const char *path,
    int map, char *errbuf, size_t errlen, uint64_t *err_offset)
{
	struct dt_reader *r;
	struct stat st;
	int rc, fd;

	if ((rc = reader_new(out, m, errbuf, errlen, err_offset)) != 0)
		return rc;
	r = *out;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(errbuf, errlen, "offset 0: cannot open: %s",
		    strerror(errno));
		return open_finish(out, r, DT_EIO, err_offset);
	}
	dt_src_fn(&r->src, m, dt_src_read_fd, &r->src.fd, fd);
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(errbuf, errlen,
			    "offset 0: cannot read: Is a directory");
			return open_finish(out, r, DT_EIO, err_offset);
		}
		if (S_ISREG(st.st_mode) && map)
			dt_src_map(&r->src, m, fd, (uint64_t)st.st_size);
		else if (S_ISREG(st.st_mode))
			r->src.size = (uint64_t)st.st_size;
		else
			r->src.may_block = 1;	/* a FIFO, a device */
	}
	rc = open_common(r, errbuf, errlen);
	return open_finish(out, r, rc, err_offset);
}

int
dt_reader_open_file(struct dt_reader **out, struct dt_mem *m,
    const char *path, char *errbuf, size_t errlen, uint64_t *err_offset)
{
	return open_path(out, m, path, 0, errbuf, errlen, err_offset);
}

int
dt_reader_open_map(struct dt_reader **out, struct dt_mem *m,
    const char *path, char *errbuf, size_t errlen, uint64_t *err_offset)
{
	return open_path(out, m, path, 1, errbuf, errlen, err_offset);
}

int
dt_reader_open_mem(struct dt_reader **out, struct dt_mem *m,
    const void *buf, size_t len, char *errbuf, size_t errlen,
    uint64_t *err_offset)
{
	struct dt_reader *r;
	int rc;

	if ((rc = reader_new(out, m, errbuf, errlen, err_offset)) != 0)
		return rc;
	r = *out;
	dt_src_mem(&r->src, m, buf, len);
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

	if ((rc = reader_new(out, m, errbuf, errlen, err_offset)) != 0)
		return rc;
	r = *out;
	dt_src_fn(&r->src, m, dt_src_read_fp, fp, -1);
	at = ftello(fp);
	if (fileno(fp) >= 0 && fstat(fileno(fp), &st) == 0 &&
	    S_ISREG(st.st_mode) && at >= 0 && st.st_size >= at)
		r->src.size = (uint64_t)(st.st_size - at);
	else
		r->src.may_block = 1;	/* a pipe: stdin from tcpdump */
	rc = open_common(r, errbuf, errlen);
	return open_finish(out, r, rc, err_offset);
}

int
dt_reader_open_stream(struct dt_reader **out, struct dt_mem *m,
    dt_read_fn fn, void *payload, char *errbuf, size_t errlen,
    uint64_t *err_offset)
{
	struct dt_reader *r;
	int rc;

	if ((rc = reader_new(out, m, errbuf, errlen, err_offset)) != 0)
		return rc;
	r = *out;
	dt_src_fn(&r->src, m, fn, payload, -1);
	rc = open_common(r, errbuf, errlen);
	return open_finish(out, r, rc, err_offset);
}

int
dt_reader_read_ahead(struct dt_reader *r)
{
	return r->failed ? -1 : dt_src_ahead(&r->src);
}

void
dt_reader_set_warn(struct dt_reader *r, dt_reader_warn_fn fn, void *payload)
{
	r->warn = fn;
	r->warn_payload = payload;
}

void
dt_reader_set_events(struct dt_reader *r, dt_reader_event_fn fn,
    void *payload)
{
	r->events = fn;
	r->events_payload = payload;
}

int
dt_reader_next(struct dt_reader *r, struct dt_packet *pkt)
{
	int rc;

	if (r->failed)
		return DT_ITEROVER;
	rc = r->fmt->next(r, pkt);	/* times within +-DT_TIME_MAX */
	/* the end of a file that was cut shorter while it was read (a
	   mapped one: src.c's map_more()) is no end: said, whatever the
	   format made of the bytes that were left */
	if (rc == DT_ITEROVER && r->src.shrunk != 0)
		dt_reader_cut(r, r->src.pos, "it was cut to %llu bytes while "
		    "it was read", (unsigned long long)(r->src.shrunk - 1));
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
	return r->fmt != NULL ? r->fmt->name : "unknown";
}

uint64_t
dt_reader_size(const struct dt_reader *r)
{
	return r->src.size;
}

uint64_t
dt_reader_pos(const struct dt_reader *r)
{
	return r->src.pos;
}

void
dt_reader_close(struct dt_reader *r)
{
	if (r == NULL)
		return;
	if (r->fmt != NULL)
		r->fmt->free(r);
	dt_src_close(&r->src);
	dt_free(r->m, r);
}
