/*
 * flow/http: the plain-HTTP observer, a flow sink (flow.h). Plain HTTP/1.x
 * heads on every TCP connection but DNS's (RFC 9112): the request line and
 * Host, the status line, matched in order (pipelining), bodies passed over
 * by Content-Length. A head with a hole, a CONNECT or an Upgrade that
 * succeeded, or a body without a length ends the looking in that
 * direction. Heads are read by proto/http_head.c; records go to cap->http.
 */
#include "flow/flow.h"

#include <stdlib.h>
#include <string.h>

#include "proto/http_head.h"
#include "util/rd.h"

#define HTTP_MAX_HEADS		32		/* per direction */
#define HTTP_PENDING		8

struct http_obs {
	struct dt_capture *cap;
	struct dt_flow_budget *b;
};

struct http_dir {
	uint8_t done;
	uint8_t heads;
	uint64_t skip;			/* body bytes to pass over */
	uint8_t *buf;			/* a head so far */
	size_t len;
};

struct http_conn {
	struct http_dir d[2];
	struct dt_http *pending[HTTP_PENDING];	/* requests awaiting answers */
	unsigned n_pending;
};

static void
http_dir_stop(struct http_obs *o, struct http_dir *h)
{
	h->done = 1;
	if (h->buf != NULL) {
		o->b->buffered -= h->len;
		dt_free(o->b->m, h->buf);
		h->buf = NULL;
		h->len = 0;
	}
}

static char *
word(struct dt_mem *m, const char *line, int which)
{
	const char *s = line, *e;

	while (which-- > 0) {
		s = strchr(s, ' ');
		if (s == NULL)
			return NULL;
		s++;
	}
	e = strchr(s, ' ');
	return dt_strndup(m, s, e ? (size_t)(e - s) : strlen(s));
}

static struct dt_http *
http_record(struct http_obs *o, const struct dt_conn *c)
{
	struct dt_http *r;

	if (!dt_flow_fact_room(o->b, sizeof *r + 512) ||
	    !dt_flow_buffer_room(o->b, sizeof *r + 512) ||
	    (r = dt_calloc(o->b->m, 1, sizeof *r)) == NULL)
		return NULL;
	r->conn = c->id;
	r->status = -1;
	if (o->cap->http_tail != NULL)
		o->cap->http_tail->next = r;
	else
		o->cap->http = r;
	o->cap->http_tail = r;
	return r;
}

/* A complete head; returns the body bytes to skip, or -1: stop sniffing.
   What the record keeps of h whole is taken from it, not copied. */
static int64_t
http_head(struct http_obs *o, struct http_conn *hc, const struct dt_conn *c,
    int dir, struct dt_http_msg *h, int is_request, uint64_t frame)
{
	struct dt_http *r;
	int64_t body = 0;
	int connect, head;

	if (h->content_length != NULL) {
		char *e;
		unsigned long long v = strtoull(h->content_length, &e, 10);
		body = (*e != '\0' || v > (1ull << 40)) ? -1 : (int64_t)v;
	}
	if (is_request && dir == DT_C2S) {
		r = http_record(o, c);
		if (r == NULL)
			return -1;
		r->request_frame = frame;
		r->method = word(o->b->m, h->line, 0);
		r->uri = word(o->b->m, h->line, 1);
		r->host = h->host;	/* taken: the head is cleared after */
		h->host = NULL;
		connect = r->method != NULL && strcmp(r->method, "CONNECT") == 0;
		if (hc->n_pending == HTTP_PENDING) {
			hc->pending[0]->conn_no_answer = 1;
			memmove(hc->pending, hc->pending + 1,
			    (HTTP_PENDING - 1) * sizeof hc->pending[0]);
			hc->n_pending--;
		}
		hc->pending[hc->n_pending++] = r;
		if (connect)
			return -1;	/* a tunnel follows */
		return h->content_length != NULL ? body : 0;
	}
	if (is_request || dir != DT_S2C)
		return -1;
	if (h->status >= 100 && h->status < 200 && h->status != 101)
		return 0;		/* interim; the final answer follows */
	connect = head = 0;
	if (hc->n_pending > 0) {
		r = hc->pending[0];
		connect = r->method != NULL && strcmp(r->method, "CONNECT") == 0;
		head = r->method != NULL && strcmp(r->method, "HEAD") == 0;
		memmove(hc->pending, hc->pending + 1,
		    (hc->n_pending - 1) * sizeof hc->pending[0]);
		hc->n_pending--;
	} else if ((r = http_record(o, c)) == NULL) {
		return -1;
	}
	r->response_frame = frame;
	r->status = h->status;
	r->status_line = h->line;	/* taken, as the request's Host */
	h->line = NULL;
	if ((connect && h->status >= 200 && h->status < 300) ||
	    h->status == 101)
		return -1;
	if (head || h->status == 204 || h->status == 304)
		return 0;
	return h->content_length != NULL ? body : -1;
}

static void
http_bytes(struct http_obs *o, struct http_conn *hc, const struct dt_conn *c,
    int dir, const uint8_t *p, size_t n, uint64_t frame)
{
	struct http_dir *h = &hc->d[dir];
	struct rd in = rd_make(p, n);

	while (in.n > 0 && !h->done) {
		struct dt_http_msg msg;
		const uint8_t *q;
		size_t qn, used, take;
		int isreq, rc;
		int64_t body;

		if (h->skip > 0) {
			take = h->skip < in.n ? (size_t)h->skip : in.n;
			rd_skip(&in, take);
			h->skip -= take;
			continue;
		}
		take = 0;
		if (h->len == 0) {
			q = in.p;
			qn = in.n;
		} else {
			take = DT_HTTP_HEAD_MAX - h->len;
			if (take > in.n)
				take = in.n;
			memcpy(h->buf + h->len, in.p, take);
			h->len += take;
			o->b->buffered += take;
			/* a head ends at a LF: without one, parse again only
			   while the start line may still show it is not HTTP
			   (one-byte segments would make it quadratic) */
			if (h->len > 64 && h->len < DT_HTTP_HEAD_MAX &&
			    memchr(in.p, '\n', take) == NULL)
				return;
			q = h->buf;
			qn = h->len;
		}
		rc = dt_http_head_parse(o->b->m, q, qn, &msg, &isreq, &used);
		if (rc < 0) {
			http_dir_stop(o, h);
			return;
		}
		if (rc == 0) {
			if (h->len == 0) {
				/* keep the start until the head is complete */
				if (!dt_flow_buffer_room(o->b, DT_HTTP_HEAD_MAX) ||
				    (h->buf = dt_malloc(o->b->m,
				    DT_HTTP_HEAD_MAX)) == NULL) {
					http_dir_stop(o, h);
					return;
				}
				memcpy(h->buf, in.p, in.n);
				h->len = in.n;
				o->b->buffered += in.n;
			}
			return;
		}
		/* complete: what of this input did the head use? */
		if (h->len == 0) {
			rd_skip(&in, used);
		} else {
			size_t before = h->len - take;
			rd_skip(&in, used - before);
			o->b->buffered -= h->len;
			dt_free(o->b->m, h->buf);
			h->buf = NULL;
			h->len = 0;
		}
		body = http_head(o, hc, c, dir, &msg, isreq, frame);
		dt_http_msg_clear(o->b->m, &msg);
		if (body < 0 || ++h->heads >= HTTP_MAX_HEADS) {
			http_dir_stop(o, h);
			return;
		}
		h->skip = (uint64_t)body;
	}
}


static int
http_start(void **payload, struct dt_capture *cap, struct dt_flow_budget *b)
{
	struct http_obs *o = dt_calloc(b->m, 1, sizeof *o);

	if (o == NULL)
		return DT_ENOMEM;
	o->cap = cap;
	o->b = b;
	*payload = o;
	return 0;
}

static void
http_stop_all(void *payload)
{
	struct http_obs *o = payload;

	dt_free(o->b->m, o);
}

static int
http_want(void *payload, const struct dt_conn *c)
{
	(void)payload;
	return c->server_port != 53;
}

static int
http_data(void *payload, struct dt_conn *c, void **state, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time)
{
	struct http_obs *o = payload;
	struct http_conn *hc = *state;
	struct rd first = rd_make(p, n);
	uint8_t ch = rd_u8(&first);

	(void)time;
	/* A head starts with a method (A-Z) or "HTTP/": any other first
	   byte (a TLS record's, on nearly every connection) is what
	   dt_http_head_parse() would refuse, so nothing is allocated or
	   scanned for it; the direction is done as http_dir_stop() makes it. */
	if ((ch < 'A' || ch > 'Z') && (hc == NULL ||
	    (hc->d[dir].len == 0 && hc->d[dir].skip == 0 &&
	    !hc->d[dir].done))) {
		if (hc != NULL)
			http_dir_stop(o, &hc->d[dir]);
		return 0;
	}
	if (hc == NULL) {
		if (!dt_flow_buffer_room(o->b, sizeof *hc) ||
		    (hc = dt_calloc(o->b->m, 1, sizeof *hc)) == NULL)
			return 0;
		*state = hc;
	}
	http_bytes(o, hc, c, dir, p, n, frame);
	return !hc->d[dir].done;
}

/* A head with a hole is not read. */
static int
http_gap(void *payload, struct dt_conn *c, void **state, int dir, uint64_t n,
    uint64_t frame)
{
	struct http_conn *hc = *state;

	(void)c, (void)n, (void)frame;
	if (hc != NULL)
		http_dir_stop(payload, &hc->d[dir]);
	return 0;
}

/* Requests still waiting were not answered: say how the connection went. */
static void
http_end(void *payload, struct dt_conn *c, void **state)
{
	struct http_obs *o = payload;
	struct http_conn *hc = *state;
	unsigned i;

	if (hc == NULL)
		return;
	for (i = 0; i < hc->n_pending; i++) {
		struct dt_http *r = hc->pending[i];

		if (c->state == DT_TCP_RESET || c->state == DT_TCP_REFUSED)
			r->conn_reset = 1;
		else
			r->conn_no_answer = 1;
	}
	http_dir_stop(o, &hc->d[0]);
	http_dir_stop(o, &hc->d[1]);
	dt_free(o->b->m, hc);
	*state = NULL;
}

const struct dt_flow_sink dt_http_sink = {
	.name = "http",
	.start = http_start,
	.stop = http_stop_all,
	.want = http_want,
	.data = http_data,
	.gap = http_gap,
	.end = http_end,
};
