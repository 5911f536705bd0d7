/*
 * proto/http_head: the head of a plain HTTP/1.x message (RFC 9112 2-5: start line,
 * header fields up to the empty line), parsed the way picohttpparser does:
 * one call over the bytes so far answers "complete, N bytes", "need more" or
 * "not HTTP". Only what the rules need is kept: the start line, Host,
 * Server and Content-Length. A head longer than DT_HTTP_HEAD_MAX is not
 * HTTP for us. Lines may end in CRLF or a bare LF (RFC 9112 2.2 allows a
 * recipient to accept that); obsolete line folding is skipped.
 */
#include "proto/http_head.h"

#include <string.h>

#include "util/rd.h"

#define METHOD_MAX 24

/*
 * RFC 9110 5.6.2 tchar, as a table: every byte of every field name is
 * tested, and a strchr() per byte was a tenth of the parse.
 */
#define T1(c) [c] = 1
static const uint8_t tchar[256] = {
	T1('!'), T1('#'), T1('$'), T1('%'), T1('&'), T1('\''), T1('*'),
	T1('+'), T1('-'), T1('.'), T1('^'), T1('_'), T1('`'), T1('|'),
	T1('~'),
	T1('0'), T1('1'), T1('2'), T1('3'), T1('4'), T1('5'), T1('6'),
	T1('7'), T1('8'), T1('9'),
	T1('A'), T1('B'), T1('C'), T1('D'), T1('E'), T1('F'), T1('G'),
	T1('H'), T1('I'), T1('J'), T1('K'), T1('L'), T1('M'), T1('N'),
	T1('O'), T1('P'), T1('Q'), T1('R'), T1('S'), T1('T'), T1('U'),
	T1('V'), T1('W'), T1('X'), T1('Y'), T1('Z'),
	T1('a'), T1('b'), T1('c'), T1('d'), T1('e'), T1('f'), T1('g'),
	T1('h'), T1('i'), T1('j'), T1('k'), T1('l'), T1('m'), T1('n'),
	T1('o'), T1('p'), T1('q'), T1('r'), T1('s'), T1('t'), T1('u'),
	T1('v'), T1('w'), T1('x'), T1('y'), T1('z'),
};
#undef T1

static inline int
is_tchar(uint8_t ch)
{
	return tchar[ch];
}

/* The next byte without consuming it, -1 when none. */
static int
peek(const struct rd *r)
{
	struct rd t = *r;
	uint8_t ch = rd_u8(&t);

	return rd_ok(&t) ? ch : -1;
}

/* The last byte, -1 when none. */
static int
last(const struct rd *r)
{
	struct rd t = *r;

	if (t.n == 0)
		return -1;
	rd_skip(&t, t.n - 1);
	return rd_u8(&t);
}

static int
is_ctl(uint8_t ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* The next line of r (without CR LF) into *line; 0 when no LF yet. */
static int
next_line(struct rd *r, struct rd *line)
{
	const uint8_t *lf;
	size_t k;

	if (r->bad || r->n == 0)
		return 0;
	lf = memchr(r->p, '\n', r->n);
	if (lf == NULL)
		return 0;
	k = (size_t)(lf - r->p);
	*line = rd_sub(r, k);
	rd_skip(r, 1);
	if (last(line) == '\r')
		line->n--;
	return 1;
}

/*
 * Could these bytes (no complete line yet, or a complete first line) begin
 * an HTTP start line? Requests: METHOD SP target SP HTTP/x.y; responses:
 * HTTP/x.y SP code. Checked as far as the bytes go.
 */
static int
start_line_ok(struct rd l, int complete, int *is_request)
{
	static const char http[] = "HTTP/";
	size_t i, k;
	uint8_t ch = 0;

	k = l.n < 5 ? l.n : 5;
	if (memcmp(l.p, http, k) == 0) {
		*is_request = 0;
		rd_skip(&l, k);
		if (k < 5)
			return !complete;
		/* version digit . digit SP code(3) [SP reason] */
		for (i = 0; l.n > 0 && i < 8; i++) {
			ch = rd_u8(&l);
			if (i == 0 || i == 2 || (i >= 4 && i <= 6)) {
				if (ch < '0' || ch > '9')
					return 0;
			} else if (i == 1) {
				if (ch != '.')
					return 0;
			} else if (ch != ' ') {
				return 0;
			}
		}
		return !complete || i >= 7;
	}
	*is_request = 1;
	/* method */
	for (i = 0; l.n > 0; i++) {
		ch = rd_u8(&l);
		if (ch == ' ')
			break;
		if (ch < 'A' || ch > 'Z' || i >= METHOD_MAX)
			return 0;
	}
	if (l.n == 0 && !complete)
		return 1;
	if (i == 0 || ch != ' ')
		return 0;
	/* request target */
	for (i = 0; l.n > 0; i++) {
		ch = rd_u8(&l);
		if (ch == ' ')
			break;
		if (is_ctl(ch))
			return 0;
	}
	if (l.n == 0 && !complete)
		return 1;
	if (i == 0 || ch != ' ')
		return 0;
	k = l.n < 5 ? l.n : 5;
	if (memcmp(l.p, http, k) != 0)
		return 0;
	if (complete) {
		uint8_t v[8];

		if (l.n != 8 || !rd_copy(&l, v, 8) || v[5] < '0' ||
		    v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
			return 0;
	}
	return 1;
}

static int
name_is(struct rd name, const char *want)
{
	size_t k = strlen(want);

	return name.n == k && strncasecmp((const char *)name.p, want, k) == 0;
}

/* Trimmed copy of a field value. */
static char *
value_dup(struct dt_mem *m, struct rd v)
{
	while (peek(&v) == ' ' || peek(&v) == '\t')
		rd_skip(&v, 1);
	while (last(&v) == ' ' || last(&v) == '\t')
		v.n--;
	return dt_strndup(m, (const char *)v.p, v.n);
}

int
dt_http_head_parse(struct dt_mem *m, const uint8_t *p, size_t n,
    struct dt_http_msg *out, int *is_request, size_t *consumed)
{
	struct rd r = rd_make(p, n), line, name;
	size_t avail;
	size_t lines = 0;
	int req = 0;
	const uint8_t *colon;
	/* Views of the kept values: copied only once the head is whole, as
	   most calls end in "need more" and would free the copies again. */
	struct rd host = { NULL, 0, 0 }, server = host, clen = host;

	memset(out, 0, sizeof *out);
	*consumed = 0;
	*is_request = 0;
	if (r.n > DT_HTTP_HEAD_MAX)
		r.n = DT_HTTP_HEAD_MAX;
	avail = r.n;
	if (r.n == 0)
		return 0;
	if (!next_line(&r, &line)) {
		/* no complete line: plausible start? */
		if (!start_line_ok(r, 0, &req))
			return -1;
		*is_request = req;
		return n >= DT_HTTP_HEAD_MAX ? -1 : 0;
	}
	if (!start_line_ok(line, 1, &req))
		return -1;
	*is_request = req;
	for (;;) {
		struct rd h;

		if (!next_line(&r, &h)) {
			/* the partial line must still look like a field */
			int ch = peek(&r);

			if (ch >= 0 && !is_tchar((uint8_t)ch) && ch != ' ' &&
			    ch != '\t' && ch != '\r')
				return -1;
			return n >= DT_HTTP_HEAD_MAX ? -1 : 0;
		}
		if (h.n == 0)
			break;
		if (++lines > 200)
			goto bad;
		if (peek(&h) == ' ' || peek(&h) == '\t')
			continue;	/* obs-fold: ignored */
		colon = memchr(h.p, ':', h.n);
		if (colon == NULL || colon == h.p)
			goto bad;
		name = rd_sub(&h, (size_t)(colon - h.p));
		rd_skip(&h, 1);
		{
			struct rd t = name;
			while (t.n > 0)
				if (!is_tchar(rd_u8(&t)))
					goto bad;
		}
		if (name_is(name, "host") && host.p == NULL)
			host = h;
		else if (name_is(name, "server") && server.p == NULL)
			server = h;
		else if (name_is(name, "content-length") && clen.p == NULL)
			clen = h;
	}
	if (host.p != NULL)
		out->host = value_dup(m, host);
	if (server.p != NULL)
		out->server = value_dup(m, server);
	if (clen.p != NULL)
		out->content_length = value_dup(m, clen);
	out->line = dt_strndup(m, (const char *)line.p, line.n);
	if (!req) {
		struct rd s = line;
		int d0, d1, d2;

		rd_skip(&s, 9);		/* "HTTP/x.y " */
		d0 = rd_u8(&s) - '0';
		d1 = rd_u8(&s) - '0';
		d2 = rd_u8(&s) - '0';
		out->status = d0 * 100 + d1 * 10 + d2;
	}
	if (out->line == NULL)
		goto bad;
	*consumed = avail - r.n;
	return 1;
bad:
	dt_http_msg_clear(m, out);
	return -1;
}
