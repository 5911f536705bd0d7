/*
 * The ways packets come in: a capture file, a buffer in memory, a stdio
 * stream, a read callback (capture/ readers), or packets fed one by one
 * by the caller. All take the same path (dt_pipe_packet()); a capture
 * that cannot be opened is still listed, with its error.
 */
#include "analyzer_int.h"

#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "events/events.h"

/* ---- reading a capture -------------------------------------------------- */

static void
reader_warn(void *payload, uint64_t offset, const char *msg)
{
	struct dt_pipe *pp = payload;

	dt_capture_add_error(pp->cap, offset, "%s", msg);
}

static int
analyze_reader(struct dt_analyzer *a, const char *name, struct dt_reader *r)
{
	struct dt_packet pkt;
	struct dt_events *events = NULL;
	const char *fault;
	char fault_copy[256];	/* the reader's message dies with the reader */
	uint64_t off, total, n = 0;
	int rc = 0;

	rc = dt_pipe_begin(a, name, dt_reader_format(r));
	if (rc == 0)
		rc = dt_events_new(&events, a->pipe->cap);
	if (rc != 0) {
		if (a->pipe != NULL)
			dt_pipe_free(a);
		dt_reader_close(r);
		return rc;
	}
	dt_reader_set_warn(r, reader_warn, a->pipe);
	dt_reader_set_events(r, dt_events_record, events);
	if (a->threads)
		(void)dt_reader_read_ahead(r);	/* else in this thread */
	total = dt_reader_size(r);
	while (dt_reader_next(r, &pkt) == 0) {
		rc = dt_pipe_packet(a, &pkt);
		if (rc != 0)
			break;
		if (a->progress != NULL && (++n & 0xffff) == 0)
			a->progress(dt_reader_pos(r), total, a->progress_payload);
	}
	fault = dt_reader_error(r, &off);
	if (fault != NULL) {
		a->pipe->cap->damaged = 1;
		dt_capture_add_error(a->pipe->cap, off, "%s", fault);
		snprintf(fault_copy, sizeof fault_copy, "%s", fault);
		fault = fault_copy;
	}
	if (a->progress != NULL)
		a->progress(dt_reader_pos(r), total, a->progress_payload);
	dt_reader_close(r);
	if (rc == 0)
		rc = dt_events_finish(events, a->pipe->cap);
	dt_events_free(events);
	if (rc != 0) {
		dt_pipe_free(a);
		return dt_analyzer_fail(a, rc, "%s: out of memory (memory cap %zu bytes)",
		    name, a->mem.cap);
	}
	{
		struct dt_capture *cap = a->pipe->cap;

		rc = dt_pipe_end(a);
		if (rc != 0)
			return rc;
		if (a->mem.failed)
			return dt_analyzer_fail(a, DT_ENOMEM, "%s: out of memory",
			    name);
		if (fault != NULL && cap->packets == 0)
			return dt_analyzer_fail(a, DT_EFORMAT,
			    "%s: offset %llu: %s", name,
			    (unsigned long long)off, fault);
	}
	return 0;
}

/* A capture that could not be opened is still listed, with its error. */
static int
open_failed(struct dt_analyzer *a, const char *name, int rc,
    const char *err, uint64_t off)
{
	if (rc == DT_ENOMEM || a->mem.failed)
		return dt_analyzer_fail(a, DT_ENOMEM, "%s: out of memory", name);
	if (dt_pipe_begin(a, name, "unknown") == 0) {
		/* the reader says "offset N: what"; the list keeps N apart */
		const char *what = err;

		if (strncmp(what, "offset ", 7) == 0 && strstr(what, ": ") != NULL)
			what = strstr(what, ": ") + 2;
		dt_capture_add_error(a->pipe->cap, off, "%s", what);
		dt_pipe_free(a);
	} else if (a->pipe != NULL) {
		dt_pipe_free(a);
	}
	return dt_analyzer_fail(a, rc, "%s: %s", name, err);
}

DT_EXTERN int
dt_analyze_file(dt_analyzer *a, const char *path)
{
	struct dt_reader *r;
	char err[512];
	uint64_t off = 0;
	int rc;

	if (a == NULL || path == NULL)
		return DT_EINVAL;
	err[0] = '\0';
	rc = (a->map_files ? dt_reader_open_map : dt_reader_open_file)(&r,
	    &a->mem, path, err, sizeof err, &off);
	if (rc != 0)
		return open_failed(a, path, rc, err, off);
	return analyze_reader(a, path, r);
}

DT_EXTERN int
dt_analyze_mem(dt_analyzer *a, const char *name, const void *buf, size_t len)
{
	struct dt_reader *r;
	char err[512];
	uint64_t off = 0;
	int rc;

	if (a == NULL || (buf == NULL && len != 0))
		return DT_EINVAL;
	if (name == NULL)
		name = "(memory)";
	err[0] = '\0';
	rc = dt_reader_open_mem(&r, &a->mem, buf, len, err, sizeof err, &off);
	if (rc != 0)
		return open_failed(a, name, rc, err, off);
	return analyze_reader(a, name, r);
}

DT_EXTERN int
dt_analyze_fp(dt_analyzer *a, const char *name, FILE *fp)
{
	struct dt_reader *r;
	char err[512];
	uint64_t off = 0;
	int rc;

	if (a == NULL || fp == NULL)
		return DT_EINVAL;
	if (name == NULL)
		name = "(stream)";
	err[0] = '\0';
	rc = dt_reader_open_fp(&r, &a->mem, fp, err, sizeof err, &off);
	if (rc != 0)
		return open_failed(a, name, rc, err, off);
	return analyze_reader(a, name, r);
}

DT_EXTERN int
dt_analyze_stream(dt_analyzer *a, const char *name, dt_read_fn read,
    void *payload)
{
	struct dt_reader *r;
	char err[512];
	uint64_t off = 0;
	int rc;

	if (a == NULL || read == NULL)
		return DT_EINVAL;
	if (name == NULL)
		name = "(stream)";
	err[0] = '\0';
	rc = dt_reader_open_stream(&r, &a->mem, read, payload, err, sizeof err,
	    &off);
	if (rc != 0)
		return open_failed(a, name, rc, err, off);
	return analyze_reader(a, name, r);
}

/* ---- feeding ------------------------------------------------------------ */

DT_EXTERN int
dt_feed_begin(dt_analyzer *a, const char *name)
{
	int rc;

	if (a == NULL)
		return DT_EINVAL;
	rc = dt_pipe_begin(a, name != NULL ? name : "(fed)", "fed");
	if (rc != 0 && a->pipe != NULL)
		dt_pipe_free(a);
	if (rc == 0)
		a->feed_frame = 0;
	return rc;
}

DT_EXTERN int
dt_feed_packet(dt_analyzer *a, int linktype, int64_t sec, uint32_t nsec,
    const void *bytes, uint32_t caplen, uint32_t origlen)
{
	struct dt_packet pkt;
	int rc;

	if (a == NULL || (bytes == NULL && caplen != 0) || nsec >= 1000000000u)
		return DT_EINVAL;
	if (a->pipe == NULL)
		return dt_analyzer_fail(a, DT_ESTATE,
		    "dt_feed_packet before dt_feed_begin");
	memset(&pkt, 0, sizeof pkt);
	pkt.frame = ++a->feed_frame;
	/* no overflow for any sec; times within DT_TIME_MAX as a reader's */
	if (sec >= DT_TIME_MAX / 1000000000)
		pkt.time = DT_TIME_MAX;
	else if (sec <= -(DT_TIME_MAX / 1000000000))
		pkt.time = -DT_TIME_MAX;
	else
		pkt.time = sec * 1000000000 + (int64_t)nsec;
	pkt.linktype = linktype;
	pkt.data = bytes;
	pkt.caplen = caplen;
	pkt.origlen = origlen < caplen ? caplen : origlen;
	rc = dt_pipe_packet(a, &pkt);
	if (rc != 0)
		return dt_analyzer_fail(a, rc, "out of memory (memory cap %zu bytes)",
		    a->mem.cap);
	return 0;
}

DT_EXTERN int
dt_feed_end(dt_analyzer *a)
{
	if (a == NULL)
		return DT_EINVAL;
	if (a->pipe == NULL)
		return dt_analyzer_fail(a, DT_ESTATE,
		    "dt_feed_end before dt_feed_begin");
	return dt_pipe_end(a);
}
