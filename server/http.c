/*
 * http.c - the HTTP side of `datrace serve`, on libmicrohttpd.
 *
 * libmicrohttpd parses HTTP (thread pool, connection timeouts, TLS through
 * GnuTLS) and, for multipart/form-data, the body (its POST processor); this
 * file routes requests, checks tokens (RFC 6750 Bearer), streams uploads to
 * tmp/ID.part and commits them (fsync file, rename into a/ID/, fsync the
 * folders, then the row: see store.c), and answers from the store.
 *
 * An upload is accepted in three steps of the access handler: the headers
 * (route, token, Content-Length against --max-upload: 413 before a byte of
 * the body is read), the body chunks (written as they come: memory per
 * upload is the post processor's 64 KiB buffer), and the end (validate,
 * commit, 201). An error found in the body is answered at the end; a body
 * that grows past the limit without a Content-Length closes the connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "serve.h"

#define API "/api/v1/analyses"
#define PP_BUFFER (64 << 10)
#define FIELD_MAX 512
#define LIST_DEFAULT 50
#define LIST_MAX 500

static const char csp_page[] = "default-src 'none'; script-src 'self'; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
/* the report is self-contained: its own inline style, nothing else */
static const char csp_report[] = "default-src 'none'; style-src "
    "'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

enum pem { PEM_CA, PEM_EXPECT, NPEM };
static const char *pem_file[NPEM] = { ".ca.pem", ".expect.pem" };

struct req {
	struct srv *s;
	struct timespec start;
	char method[8];
	char url[160];
	int status;
	uint64_t body;			/* bytes of body received */

	/* upload */
	int upload;
	char id[SRV_ID_LEN + 1];
	struct MHD_PostProcessor *pp;
	int fd, pem_fd[NPEM];
	uint64_t size, pem_size[NPEM];
	int got_capture;
	char name[SRV_NAME_MAX + 1];
	struct job_opts opts;
	int ui;
	int err_status;
	char err[200];
	char key[32];			/* the multipart text field being read */
	char val[FIELD_MAX + 1];
	size_t val_len;
	int in_text;
};

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1000 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
clean_copy(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < n; i++)
		dst[i] = (src[i] > 32 && src[i] < 127) ? src[i] : '?';
	dst[i] = '\0';
}

static char *
tmp_path(const struct srv *s, const char *id, const char *ext)
{
	char *p = NULL;

	(void)!asprintf(&p, "%s/tmp/%s.%s", s->data, id, ext);
	return p;
}

/* ---- responses ---- */

static void
common_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result
queue(struct MHD_Connection *c, struct req *q, int status,
    struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	common_headers(r);
	q->status = status;
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, struct req *q, int status,
    const char *type, char *body, const char *csp)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body),
	    body, MHD_RESPMEM_MUST_FREE);

	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	if (csp != NULL)
		MHD_add_response_header(r, "Content-Security-Policy", csp);
	return queue(c, q, status, r);
}

static enum MHD_Result
send_json(struct MHD_Connection *c, struct req *q, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	char *t = NULL;

	json_decref(j);
	if (s == NULL)
		return MHD_NO;
	(void)!asprintf(&t, "%s\n", s);
	free(s);
	if (t == NULL)
		return MHD_NO;
	return send_text(c, q, status, "application/json", t, NULL);
}

static enum MHD_Result
send_error(struct MHD_Connection *c, struct req *q, int status,
    const char *msg)
{
	return send_json(c, q, status, json_pack("{s:s}", "error", msg));
}

static enum MHD_Result
send_405(struct MHD_Connection *c, struct req *q, const char *allow)
{
	struct MHD_Response *r;
	char *body = strdup("{\"error\":\"method not allowed\"}\n");

	if (body == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Allow", allow);
	return queue(c, q, MHD_HTTP_METHOD_NOT_ALLOWED, r);
}

static enum MHD_Result
send_redirect(struct MHD_Connection *c, struct req *q, const char *to)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT);

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Location", to);
	return queue(c, q, MHD_HTTP_SEE_OTHER, r);
}

/* ---- tokens (RFC 6750: Authorization: Bearer, or access_token=) ---- */

static int
token_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static const char *
request_token(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);

	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		return h + 7;
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "access_token");
}

/* The kind of the request's token: 0 none or unknown, else TOK_*. With no
   token file everybody may do everything. */
static int
token_kind(const struct srv *s, struct MHD_Connection *c)
{
	const char *t;
	size_t i;
	int kind = 0;

	if (s->ntokens == 0)
		return TOK_UPLOAD;
	t = request_token(c);
	if (t == NULL)
		return 0;
	for (i = 0; i < s->ntokens; i++)
		if (token_eq(t, s->tokens[i].value))
			kind = (int)s->tokens[i].kind;
	return kind;
}

/* 0 when allowed; else the 401/403 answer is queued and *ret set. */
static int
deny(const struct srv *s, struct MHD_Connection *c, struct req *q, int need,
    enum MHD_Result *ret)
{
	int have = token_kind(s, c);
	struct MHD_Response *r;
	char *body;

	if (have >= need)
		return 0;
	if (have != 0) {
		*ret = send_error(c, q, MHD_HTTP_FORBIDDEN, need == TOK_UPLOAD ?
		    "this token may read, not upload or delete" : "forbidden");
		return 1;
	}
	body = strdup("{\"error\":\"a valid token is needed (Authorization: "
	    "Bearer TOKEN)\"}\n");
	r = body ? MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_FREE) : NULL;
	if (r == NULL) {
		free(body);
		*ret = MHD_NO;
		return 1;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "WWW-Authenticate", request_token(c) ?
	    "Bearer realm=\"datrace\", error=\"invalid_token\"" :
	    "Bearer realm=\"datrace\"");
	*ret = queue(c, q, MHD_HTTP_UNAUTHORIZED, r);
	return 1;
}

/* ---- rows as JSON ---- */

static json_t *
time_json(long long t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0)
		return json_null();
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *
row_json(const struct row *r)
{
	json_t *j = json_object(), *v;
	char link[128];

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "id", json_string(r->id));
	json_object_set_new(j, "name", json_string(r->name));
	json_object_set_new(j, "size", json_integer(r->size));
	json_object_set_new(j, "uploaded", time_json(r->uploaded));
	json_object_set_new(j, "status", json_string(r->status));
	v = r->options ? json_loads(r->options, 0, NULL) : NULL;
	json_object_set_new(j, "options", v ? v : json_null());
	json_object_set_new(j, "started", time_json(r->started));
	json_object_set_new(j, "finished", time_json(r->finished));
	v = r->verdicts ? json_loads(r->verdicts, 0, NULL) : NULL;
	json_object_set_new(j, "verdicts", v ? v : json_null());
	json_object_set_new(j, "top_verdict", r->top ? json_string(r->top) :
	    json_null());
	json_object_set_new(j, "error", r->error ? json_string(r->error) :
	    json_null());
	snprintf(link, sizeof link, API "/%s", r->id);
	json_object_set_new(j, "url", json_string(link));
	snprintf(link, sizeof link, API "/%s/report", r->id);
	json_object_set_new(j, "report", json_string(link));
	snprintf(link, sizeof link, API "/%s/capture", r->id);
	json_object_set_new(j, "capture", json_string(link));
	return j;
}

struct list_ctx {
	json_t *arr;
	char last[SRV_ID_LEN + 1];
	int n;
};

static void
list_one(const struct row *r, void *payload)
{
	struct list_ctx *l = payload;
	json_t *j = row_json(r);

	if (j != NULL)
		json_array_append_new(l->arr, j);
	snprintf(l->last, sizeof l->last, "%s", r->id);
	l->n++;
}

static enum MHD_Result
api_list(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	const char *ls = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
	struct list_ctx l;
	long limit = LIST_DEFAULT;
	struct row r;

	if (ls != NULL) {
		char *end;

		limit = strtol(ls, &end, 10);
		if (*end != '\0' || end == ls || limit < 1 || limit > LIST_MAX)
			return send_error(c, q, MHD_HTTP_BAD_REQUEST,
			    "limit must be 1 to 500");
	}
	if (after != NULL) {
		if (!store_valid_id(after) || !store_get(s, after, &r))
			return send_error(c, q, MHD_HTTP_BAD_REQUEST,
			    "'after' names no analysis");
		row_clear(&r);
	}
	memset(&l, 0, sizeof l);
	l.arr = json_array();
	if (l.arr == NULL || store_list(s, after, (int)limit, list_one, &l) < 0) {
		json_decref(l.arr);
		return send_error(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, "store error");
	}
	return send_json(c, q, MHD_HTTP_OK, json_pack("{s:o,s:o}", "analyses",
	    l.arr, "next", l.n == limit ? json_string(l.last) : json_null()));
}

/* GET one row: its JSON, and when done the report document spliced in
   from the file (streamed, never loaded). */
struct splice {
	char *head;
	size_t head_len;
	int fd;
	uint64_t file_len;
};

static ssize_t
splice_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct splice *sp = cls;
	uint64_t file_end = sp->head_len + sp->file_len;
	ssize_t n;

	if (pos < sp->head_len) {
		size_t k = sp->head_len - (size_t)pos;

		k = k < max ? k : max;
		memcpy(buf, sp->head + pos, k);
		return (ssize_t)k;
	}
	if (pos < file_end) {
		uint64_t k = file_end - pos;

		n = pread(sp->fd, buf, k < max ? (size_t)k : max,
		    (off_t)(pos - sp->head_len));
		return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (pos == file_end && max > 0) {
		buf[0] = '}';
		return 1;
	}
	return MHD_CONTENT_READER_END_OF_STREAM;
}

static void
splice_free(void *cls)
{
	struct splice *sp = cls;

	free(sp->head);
	if (sp->fd >= 0)
		close(sp->fd);
	free(sp);
}

static enum MHD_Result
api_get(struct srv *s, struct MHD_Connection *c, struct req *q,
    const struct row *r)
{
	json_t *j = row_json(r);
	struct splice *sp;
	struct MHD_Response *resp;
	struct stat sb;
	char *path, *text;

	if (j == NULL)
		return MHD_NO;
	if (strcmp(r->status, "done") != 0)
		return send_json(c, q, MHD_HTTP_OK, j);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	sp = calloc(1, sizeof *sp);
	path = store_path(s, r->id, ".report.json");
	if (text == NULL || sp == NULL || path == NULL) {
		free(text);
		free(sp);
		free(path);
		return MHD_NO;
	}
	sp->fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (sp->fd < 0 || fstat(sp->fd, &sb) != 0) {
		splice_free(sp);
		free(text);
		return send_error(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the report is missing");
	}
	text[strlen(text) - 1] = '\0';		/* drop the closing brace */
	sp->head = NULL;
	(void)!asprintf(&sp->head, "%s,\"document\":", text);
	free(text);
	if (sp->head == NULL) {
		splice_free(sp);
		return MHD_NO;
	}
	sp->head_len = strlen(sp->head);
	sp->file_len = (uint64_t)sb.st_size;
	/* datrace ends its JSON with a newline: it stays inside the object */
	resp = MHD_create_response_from_callback(sp->head_len + sp->file_len + 1,
	    64 << 10, splice_read, sp, splice_free);
	if (resp == NULL) {
		splice_free(sp);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	return queue(c, q, MHD_HTTP_OK, resp);
}

static enum MHD_Result
send_file(struct srv *s, struct MHD_Connection *c, struct req *q,
    const struct row *r, const char *file, const char *type, int report)
{
	char *path = store_path(s, r->id, file), disp[200];
	struct MHD_Response *resp;
	struct stat sb;
	int fd;

	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		return send_error(c, q, MHD_HTTP_NOT_FOUND, "no such file");
	}
	resp = MHD_create_response_from_fd64((uint64_t)sb.st_size, fd);
	if (resp == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	if (report) {
		MHD_add_response_header(resp, "Content-Security-Policy", csp_report);
	} else {
		/* r->name is sanitised: no quote, no slash, no control byte */
		snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", r->name);
		MHD_add_response_header(resp, "Content-Disposition", disp);
	}
	return queue(c, q, MHD_HTTP_OK, resp);
}

/* ---- the page ---- */

static void
html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

struct page_ctx {
	FILE *f;
	const char *tok;		/* access_token to carry in links, or NULL */
};

static const char *
badge_class(const struct row *r)
{
	if (strcmp(r->status, "failed") == 0)
		return "failed";
	if (strcmp(r->status, "done") != 0)
		return "pending";
	if (r->verdicts && strstr(r->verdicts, "\"error\":0") == NULL)
		return "error";
	if (r->verdicts && strstr(r->verdicts, "\"warning\":0") == NULL)
		return "warning";
	return "ok";
}

static void
page_row(const struct row *r, void *payload)
{
	struct page_ctx *p = payload;
	char when[32];
	time_t t = (time_t)r->uploaded;
	struct tm tm;
	const char *cls = badge_class(r);

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
	fprintf(p->f, "<tr data-id=\"%s\" data-status=\"%s\"><td>", r->id,
	    r->status);
	if (strcmp(r->status, "done") == 0)
		fprintf(p->f, "<a href=\"" API "/%s/report%s%s\">", r->id,
		    p->tok ? "?access_token=" : "", p->tok ? p->tok : "");
	else
		fprintf(p->f, "<a href=\"/analyses/%s%s%s\">", r->id,
		    p->tok ? "?access_token=" : "", p->tok ? p->tok : "");
	html_escape(p->f, r->name);
	fprintf(p->f, "</a></td><td class=\"num\">%lld</td><td>%s</td>"
	    "<td><span class=\"badge %s\">", r->size, when, cls);
	if (strcmp(r->status, "done") == 0)
		html_escape(p->f, r->top ? r->top : "no verdict");
	else
		html_escape(p->f, r->status);
	fputs("</span>", p->f);
	if (r->error != NULL) {
		fputs(" <span class=\"why\">", p->f);
		html_escape(p->f, r->error);
		fputs("</span>", p->f);
	}
	fputs("</td></tr>\n", p->f);
}

/* A token safe to echo into a link: the characters of RFC 6750 b64token. */
static const char *
link_token(const struct srv *s, struct MHD_Connection *c)
{
	const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "access_token");
	size_t i;

	if (s->ntokens == 0 || t == NULL)
		return NULL;
	for (i = 0; t[i]; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-._~+/=", t[i]))
			return NULL;
	return t;
}

static enum MHD_Result
page_index(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	struct page_ctx p;
	char *body = NULL, *rows = NULL;
	size_t len = 0, rlen = 0;
	const char *tpl = www_index_html, *mark;
	int readable = token_kind(s, c) >= TOK_READ;

	p.tok = link_token(s, c);
	p.f = open_memstream(&rows, &rlen);
	if (p.f == NULL)
		return MHD_NO;
	if (readable)
		store_list(s, NULL, LIST_DEFAULT, page_row, &p);
	else
		fputs("<tr><td colspan=\"4\">A read token is needed to list "
		    "analyses.</td></tr>\n", p.f);
	fclose(p.f);
	p.f = open_memstream(&body, &len);
	if (p.f == NULL) {
		free(rows);
		return MHD_NO;
	}
	/* the template's markers: @ACTION@, @TOKENS@, @MAX@, @ROWS@ */
	while ((mark = strchr(tpl, '@')) != NULL) {
		fwrite(tpl, 1, (size_t)(mark - tpl), p.f);
		if (strncmp(mark, "@ACTION@", 8) == 0) {
			fprintf(p.f, API "%s%s", p.tok ? "?access_token=" : "",
			    p.tok ? p.tok : "");
			tpl = mark + 8;
		} else if (strncmp(mark, "@TOKENS@", 8) == 0) {
			fputs(s->ntokens ? "on" : "off", p.f);
			tpl = mark + 8;
		} else if (strncmp(mark, "@MAX@", 5) == 0) {
			fprintf(p.f, "%llu", (unsigned long long)s->max_upload);
			tpl = mark + 5;
		} else if (strncmp(mark, "@ROWS@", 6) == 0) {
			fputs(rows ? rows : "", p.f);
			tpl = mark + 6;
		} else {
			fputc('@', p.f);
			tpl = mark + 1;
		}
	}
	fputs(tpl, p.f);
	fclose(p.f);
	free(rows);
	return send_text(c, q, MHD_HTTP_OK, "text/html; charset=utf-8", body,
	    csp_page);
}

/* /analyses/ID: the status of one upload without JavaScript; refreshes
   itself until the report is there, then sends the browser to it. */
static enum MHD_Result
page_view(struct srv *s, struct MHD_Connection *c, struct req *q,
    const struct row *r)
{
	const char *tok = link_token(s, c);
	char to[160];
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(to, sizeof to, API "/%s/report%s%s", r->id,
	    tok ? "?access_token=" : "", tok ? tok : "");
	if (strcmp(r->status, "done") == 0)
		return send_redirect(c, q, to);
	f = open_memstream(&body, &len);
	if (f == NULL)
		return MHD_NO;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">", f);
	if (strcmp(r->status, "failed") != 0)
		fputs("<meta http-equiv=\"refresh\" content=\"2\">", f);
	fputs("<title>datrace: ", f);
	html_escape(f, r->name);
	fputs("</title><link rel=\"stylesheet\" href=\"/app.css\"></head>"
	    "<body><main><h1><a href=\"/\">datrace</a></h1><p>", f);
	html_escape(f, r->name);
	fprintf(f, ": <span class=\"badge %s\" id=\"status\">%s</span></p>",
	    strcmp(r->status, "failed") == 0 ? "failed" : "pending", r->status);
	if (r->error != NULL) {
		fputs("<pre class=\"why\">", f);
		html_escape(f, r->error);
		fputs("</pre>", f);
	}
	fputs("</main></body></html>\n", f);
	fclose(f);
	return send_text(c, q, MHD_HTTP_OK, "text/html; charset=utf-8", body,
	    csp_page);
}

/* ---- uploads ---- */

static int
fail_upload(struct req *q, int status, const char *msg)
{
	if (q->err_status == 0) {
		q->err_status = status;
		snprintf(q->err, sizeof q->err, "%s", msg);
	}
	return -1;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *yes[] = { "", "1", "true", "on", "yes" };
	static const char *no[] = { "0", "false", "off", "no" };
	size_t i;

	for (i = 0; i < sizeof yes / sizeof *yes; i++)
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
	for (i = 0; i < sizeof no / sizeof *no; i++)
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

/* One analysis option from the query or a form field (len: NULs count). */
static int
set_option(struct req *q, const char *key, const char *v, size_t len)
{
	struct job_opts *o = &q->opts;
	size_t i;

	if (strlen(v) != len)
		return strcmp(key, "filename") == 0 ? 0 :
		    fail_upload(q, MHD_HTTP_BAD_REQUEST, "a NUL byte in a field");
	if (strcmp(key, "host") == 0) {
		if (len == 0)
			return 0;
		if (len > SRV_HOST_MAX)
			return fail_upload(q, MHD_HTTP_BAD_REQUEST, "host: too long");
		for (i = 0; i < len; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789.-_", v[i]))
				return fail_upload(q, MHD_HTTP_BAD_REQUEST,
				    "host: not a host name");
		memcpy(o->host, v, len + 1);
	} else if (strcmp(key, "port") == 0) {
		/* repeatable, and one field may list several: "443, 8443" */
		while (*v != '\0') {
			char *end;
			long p;
			int k, dup = 0;

			v += strspn(v, ", ");
			if (*v == '\0')
				break;
			p = strtol(v, &end, 10);
			if (end == v || (*end != '\0' && !strchr(", ", *end)) ||
			    p < 1 || p > 65535)
				return fail_upload(q, MHD_HTTP_BAD_REQUEST,
				    "port: not a port number (1-65535)");
			for (k = 0; k < o->nports; k++)
				dup |= o->ports[k] == p;
			if (!dup && o->nports >= SRV_MAX_PORTS)
				return fail_upload(q, MHD_HTTP_BAD_REQUEST,
				    "too many ports");
			if (!dup)
				o->ports[o->nports++] = (uint16_t)p;
			v = end;
		}
	} else if (strcmp(key, "all") == 0) {
		if (parse_bool(v, &o->all) != 0)
			return fail_upload(q, MHD_HTTP_BAD_REQUEST,
			    "all: not a boolean");
	} else if (strcmp(key, "expect-cert") == 0) {
		int hex = 0;

		if (len == 0)
			return 0;
		for (i = 0; i < len; i++) {
			if (strchr("0123456789abcdefABCDEF", v[i]))
				hex++;
			else if (v[i] != ':')
				break;
		}
		if (i != len || hex != 64 || len >= sizeof o->expect_sha)
			return fail_upload(q, MHD_HTTP_BAD_REQUEST, "expect-cert: "
			    "give a SHA-256 (64 hex digits) or upload a PEM file");
		memcpy(o->expect_sha, v, len + 1);
	} else if (strcmp(key, "filename") == 0) {
		store_sanitise_name(v, len, q->name);
	} else if (strcmp(key, "ui") == 0) {
		q->ui = 1;
	}
	return 0;
}

static enum MHD_Result
query_option(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_len, const char *value, size_t value_len)
{
	struct req *q = cls;

	if (value == NULL)
		value = "", value_len = 0;
	if (strcmp(key, "filename") == 0)
		store_sanitise_name(value, value_len, q->name);
	else
		set_option(q, key, value, value_len);
	return MHD_YES;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void
flush_field(struct req *q)
{
	if (q->in_text) {
		q->val[q->val_len] = '\0';
		set_option(q, q->key, q->val, q->val_len);
	}
	q->in_text = 0;
	q->val_len = 0;
}

static int
open_tmp(struct srv *s, struct req *q, const char *ext)
{
	char *p = tmp_path(s, q->id, ext);
	int fd = p ? open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;

	if (fd < 0)
		srv_log("cannot create %s: %s", p ? p : "a temporary file",
		    strerror(errno));
	free(p);
	return fd;
}

static enum MHD_Result
form_field(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off, size_t size)
{
	struct req *q = cls;
	struct srv *s = q->s;
	int k;

	if (q->err_status != 0)
		return MHD_YES;		/* discard the rest, answer at the end */
	if (strcmp(key, "capture") == 0 && filename != NULL) {
		flush_field(q);
		if (off == 0) {
			if (q->got_capture)
				return fail_upload(q, MHD_HTTP_BAD_REQUEST,
				    "more than one 'capture' file"), MHD_YES;
			q->got_capture = 1;
			if (q->name[0] == '\0')
				store_sanitise_name(filename, strlen(filename),
				    q->name);
		}
		if (q->size + size > s->max_upload)
			return fail_upload(q, MHD_HTTP_CONTENT_TOO_LARGE,
			    "the capture is larger than the upload limit"), MHD_YES;
		if (write_all(q->fd, data, size) != 0)
			return fail_upload(q, MHD_HTTP_INSUFFICIENT_STORAGE,
			    "cannot store the upload"), MHD_YES;
		q->size += size;
		return MHD_YES;
	}
	if (filename != NULL && (strcmp(key, "ca") == 0 ||
	    strcmp(key, "expect-cert") == 0)) {
		flush_field(q);
		k = strcmp(key, "ca") == 0 ? PEM_CA : PEM_EXPECT;
		if (size == 0)
			return MHD_YES;	/* an empty file input */
		if (q->pem_fd[k] < 0 && (q->pem_fd[k] = open_tmp(s, q,
		    k == PEM_CA ? "ca" : "expect")) < 0)
			return fail_upload(q, MHD_HTTP_INSUFFICIENT_STORAGE,
			    "cannot store the upload"), MHD_YES;
		if (q->pem_size[k] + size > SRV_PEM_MAX)
			return fail_upload(q, MHD_HTTP_CONTENT_TOO_LARGE,
			    "a certificate file is larger than 1 MiB"), MHD_YES;
		if (write_all(q->pem_fd[k], data, size) != 0)
			return fail_upload(q, MHD_HTTP_INSUFFICIENT_STORAGE,
			    "cannot store the upload"), MHD_YES;
		q->pem_size[k] += size;
		return MHD_YES;
	}
	if (filename != NULL)
		return MHD_YES;		/* another file field: ignored */
	if (off == 0 || !q->in_text || strcmp(q->key, key) != 0) {
		flush_field(q);
		snprintf(q->key, sizeof q->key, "%s", key);
		q->in_text = 1;
	}
	if (q->val_len + size > FIELD_MAX)
		return fail_upload(q, MHD_HTTP_BAD_REQUEST, "a form field is too "
		    "long"), MHD_YES;
	memcpy(q->val + q->val_len, data, size);
	q->val_len += size;
	return MHD_YES;
}

static void
upload_discard(struct srv *s, struct req *q)
{
	static const char *ext[] = { "part", "ca", "expect" };
	int i;

	if (q->pp != NULL)
		MHD_destroy_post_processor(q->pp);
	q->pp = NULL;
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	for (i = 0; i < NPEM; i++) {
		if (q->pem_fd[i] >= 0)
			close(q->pem_fd[i]);
		q->pem_fd[i] = -1;
	}
	for (i = 0; i < 3; i++) {
		char *p = tmp_path(s, q->id, ext[i]);

		if (p != NULL)
			unlink(p);
		free(p);
	}
}

static int
fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The end of an upload: everything on disk, then the row, then 201. */
static int
upload_commit(struct srv *s, struct req *q)
{
	static const char *ext[NPEM] = { "ca", "expect" };
	char *dir = store_path(s, q->id, NULL), *from = NULL, *to = NULL;
	char *options = NULL, *adir = NULL;
	int i, rc = -1;

	if (dir == NULL || fsync(q->fd) != 0 || mkdir(dir, 0700) != 0)
		goto out;
	close(q->fd);
	q->fd = -1;
	from = tmp_path(s, q->id, "part");
	to = store_path(s, q->id, q->name);
	if (from == NULL || to == NULL || rename(from, to) != 0)
		goto out;
	for (i = 0; i < NPEM; i++) {
		if (q->pem_fd[i] < 0)
			continue;
		if (fsync(q->pem_fd[i]) != 0)
			goto out;
		close(q->pem_fd[i]);
		q->pem_fd[i] = -1;
		free(from);
		free(to);
		from = tmp_path(s, q->id, ext[i]);
		to = store_path(s, q->id, pem_file[i]);
		if (from == NULL || to == NULL || rename(from, to) != 0)
			goto out;
		if (i == PEM_CA)
			q->opts.ca = 1;
		else
			q->opts.expect_file = 1;
	}
	(void)!asprintf(&adir, "%s/a", s->data);
	if (adir == NULL || fsync_path(dir) != 0 || fsync_path(adir) != 0)
		goto out;
	if (opts_to_json(&q->opts, &options) != 0)
		goto out;
	rc = store_insert(s, q->id, q->name, (long long)q->size, options);
out:
	if (rc != 0) {
		srv_log("upload %s: cannot store it: %s", q->id, strerror(errno));
		if (dir != NULL)
			store_remove_dir(s, q->id);
	}
	free(dir);
	free(from);
	free(to);
	free(adir);
	free(options);
	return rc;
}

static enum MHD_Result
upload_begin(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *xf;
	size_t xf_len;
	uint64_t limit = s->max_upload;
	int i;

	q->upload = 1;
	q->fd = -1;
	for (i = 0; i < NPEM; i++)
		q->pem_fd[i] = -1;
	store_new_id(q->id);
	if (ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0) {
		q->pp = MHD_create_post_processor(c, PP_BUFFER, form_field, q);
		if (q->pp == NULL)
			return send_error(c, q, MHD_HTTP_BAD_REQUEST,
			    "malformed multipart/form-data (no boundary?)");
		limit += 2 * SRV_PEM_MAX + (64 << 10);
	} else if (ct != NULL && strncasecmp(ct, "application/octet-stream", 24) != 0) {
		return send_error(c, q, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    "send the capture as application/octet-stream or "
		    "multipart/form-data");
	}
	if (cl != NULL && strtoull(cl, NULL, 10) > limit)
		return send_error(c, q, MHD_HTTP_CONTENT_TOO_LARGE,
		    "the capture is larger than the upload limit");
	MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, query_option, q);
	if (q->pp == NULL && q->name[0] == '\0' &&
	    MHD_lookup_connection_value_n(c, MHD_HEADER_KIND,
	    "X-Filename", 10, &xf, &xf_len) == MHD_YES)
		store_sanitise_name(xf, xf_len, q->name);
	if (q->err_status != 0)
		return send_error(c, q, q->err_status, q->err);
	q->fd = open_tmp(s, q, "part");
	if (q->fd < 0)
		return send_error(c, q, MHD_HTTP_INSUFFICIENT_STORAGE,
		    "cannot store the upload");
	return MHD_YES;
}

static enum MHD_Result
upload_data(struct srv *s, struct req *q, const char *data, size_t *size)
{
	size_t n = *size;

	*size = 0;
	q->body += n;
	/* a body with no Content-Length may still not grow without end */
	if (q->body > s->max_upload + 2 * SRV_PEM_MAX + (128 << 10)) {
		srv_log("upload %s: body past the limit without a "
		    "Content-Length: connection closed", q->id);
		return MHD_NO;
	}
	if (q->err_status != 0)
		return MHD_YES;
	if (q->pp != NULL) {
		if (MHD_post_process(q->pp, data, n) != MHD_YES)
			fail_upload(q, MHD_HTTP_BAD_REQUEST,
			    "malformed multipart/form-data");
		return MHD_YES;
	}
	if (q->size + n > s->max_upload) {
		fail_upload(q, MHD_HTTP_CONTENT_TOO_LARGE,
		    "the capture is larger than the upload limit");
		return MHD_YES;
	}
	if (write_all(q->fd, data, n) != 0)
		fail_upload(q, MHD_HTTP_INSUFFICIENT_STORAGE,
		    "cannot store the upload");
	q->size += n;
	return MHD_YES;
}

static enum MHD_Result
upload_end(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	struct row r;
	json_t *j;
	char loc[128];
	struct MHD_Response *resp;
	char *body, *t;

	if (q->pp != NULL) {
		if (MHD_destroy_post_processor(q->pp) != MHD_YES)
			fail_upload(q, MHD_HTTP_BAD_REQUEST,
			    "malformed multipart/form-data");
		q->pp = NULL;
		flush_field(q);
		if (q->err_status == 0 && !q->got_capture)
			fail_upload(q, MHD_HTTP_BAD_REQUEST,
			    "no 'capture' file field in the form");
	}
	if (q->name[0] == '\0')
		strcpy(q->name, "capture");
	if (q->err_status == 0 && upload_commit(s, q) != 0)
		fail_upload(q, MHD_HTTP_INSUFFICIENT_STORAGE, "cannot store the upload");
	if (q->err_status != 0) {
		upload_discard(s, q);
		return send_error(c, q, q->err_status, q->err);
	}
	q->upload = 2;			/* committed: nothing to discard */
	jobs_wake(s);
	srv_log("upload %s accepted: %s, %llu bytes", q->id, q->name,
	    (unsigned long long)q->size);
	if (q->ui) {
		const char *tok = link_token(s, c);

		snprintf(loc, sizeof loc, "/analyses/%s%s%s", q->id,
		    tok ? "?access_token=" : "", tok ? tok : "");
		return send_redirect(c, q, loc);
	}
	if (!store_get(s, q->id, &r))
		return send_error(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, "store error");
	j = row_json(&r);
	row_clear(&r);
	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	t = NULL;
	if (body != NULL)
		(void)!asprintf(&t, "%s\n", body);
	free(body);
	if (t == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(t), t, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(t);
		return MHD_NO;
	}
	snprintf(loc, sizeof loc, API "/%s", q->id);
	MHD_add_response_header(resp, "Location", loc);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	return queue(c, q, MHD_HTTP_CREATED, resp);
}

/* ---- routing ---- */

static enum MHD_Result
route_one(struct srv *s, struct MHD_Connection *c, struct req *q,
    const char *method, const char *rest)
{
	char id[SRV_ID_LEN + 1];
	const char *sub;
	struct row r;
	enum MHD_Result ret;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	size_t n;

	sub = strchr(rest, '/');
	n = sub ? (size_t)(sub - rest) : strlen(rest);
	if (n != SRV_ID_LEN)
		return send_error(c, q, MHD_HTTP_NOT_FOUND, "no such analysis");
	memcpy(id, rest, n);
	id[n] = '\0';
	if (!store_valid_id(id))
		return send_error(c, q, MHD_HTTP_NOT_FOUND, "no such analysis");
	if (sub != NULL && strcmp(sub, "/report") != 0 &&
	    strcmp(sub, "/capture") != 0)
		return send_error(c, q, MHD_HTTP_NOT_FOUND, "not found");
	if (sub == NULL && !get && strcmp(method, "DELETE") != 0)
		return send_405(c, q, "GET, HEAD, DELETE");
	if (sub != NULL && !get)
		return send_405(c, q, "GET, HEAD");
	if (deny(s, c, q, get ? TOK_READ : TOK_UPLOAD, &ret))
		return ret;
	if (!get) {
		if (!store_delete(s, id))
			return send_error(c, q, MHD_HTTP_NOT_FOUND, "no such analysis");
		srv_log("analysis %s deleted", id);
		return queue(c, q, MHD_HTTP_NO_CONTENT,
		    MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
	}
	if (!store_get(s, id, &r))
		return send_error(c, q, MHD_HTTP_NOT_FOUND, "no such analysis");
	if (sub == NULL)
		ret = api_get(s, c, q, &r);
	else if (strcmp(sub, "/capture") == 0)
		ret = send_file(s, c, q, &r, r.name, "application/octet-stream", 0);
	else if (strcmp(r.status, "done") != 0)
		ret = send_error(c, q, MHD_HTTP_CONFLICT, strcmp(r.status,
		    "failed") == 0 ? "the analysis failed: no report" :
		    "the analysis is not done yet");
	else
		ret = send_file(s, c, q, &r, ".report.html",
		    "text/html; charset=utf-8", 1);
	row_clear(&r);
	return ret;
}

static enum MHD_Result
route(struct srv *s, struct MHD_Connection *c, struct req *q,
    const char *url, const char *method)
{
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	enum MHD_Result ret;
	struct row r;

	if (strcmp(url, API) == 0 || strcmp(url, API "/") == 0) {
		if (strcmp(method, "POST") == 0) {
			if (deny(s, c, q, TOK_UPLOAD, &ret))
				return ret;
			return upload_begin(s, c, q);
		}
		if (!get)
			return send_405(c, q, "GET, HEAD, POST");
		if (deny(s, c, q, TOK_READ, &ret))
			return ret;
		return api_list(s, c, q);
	}
	if (strncmp(url, API "/", sizeof API) == 0)
		return route_one(s, c, q, method, url + sizeof API);
	if (strcmp(url, "/") == 0 || strcmp(url, "/app.css") == 0 ||
	    strcmp(url, "/app.js") == 0 || strncmp(url, "/analyses/", 10) == 0) {
		if (!get)
			return send_405(c, q, "GET, HEAD");
		if (strcmp(url, "/") == 0)
			return page_index(s, c, q);
		if (strcmp(url, "/app.css") == 0)
			return send_text(c, q, MHD_HTTP_OK, "text/css",
			    strdup(www_app_css), NULL);
		if (strcmp(url, "/app.js") == 0)
			return send_text(c, q, MHD_HTTP_OK, "text/javascript",
			    strdup(www_app_js), NULL);
		if (deny(s, c, q, TOK_READ, &ret))
			return ret;
		if (!store_valid_id(url + 10) || !store_get(s, url + 10, &r))
			return send_error(c, q, MHD_HTTP_NOT_FOUND, "no such analysis");
		ret = page_view(s, c, q, &r);
		row_clear(&r);
		return ret;
	}
	return send_error(c, q, MHD_HTTP_NOT_FOUND, "not found");
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *data_size, void **con_cls)
{
	struct srv *s = cls;
	struct req *q = *con_cls;

	if (q == NULL) {
		q = calloc(1, sizeof *q);
		if (q == NULL)
			return MHD_NO;
		q->s = s;
		q->fd = -1;
		q->pem_fd[0] = q->pem_fd[1] = -1;
		clock_gettime(CLOCK_MONOTONIC, &q->start);
		clean_copy(q->method, sizeof q->method, method);
		clean_copy(q->url, sizeof q->url, url);
		*con_cls = q;
		return route(s, c, q, url, method);
	}
	if (q->upload != 1) {
		*data_size = 0;		/* a body we do not want */
		return MHD_YES;
	}
	if (*data_size > 0)
		return upload_data(s, q, data, data_size);
	return upload_end(s, c, q);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct srv *s = cls;
	struct req *q = *con_cls;
	const union MHD_ConnectionInfo *ci;
	char addr[INET6_ADDRSTRLEN] = "-";

	if (q == NULL)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)
			    (const void *)sa)->sin_addr, addr, sizeof addr);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			    (const void *)sa)->sin6_addr, addr, sizeof addr);
	}
	if (q->upload == 1)
		upload_discard(s, q);	/* aborted, refused or cut: never 201 */
	srv_log("%s %s %s %d %llu %.1fms%s", addr, q->method, q->url,
	    q->status, (unsigned long long)q->body, ms_since(&q->start),
	    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" :
	    toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timed out)" :
	    toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? " (server stopping)" :
	    toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? " (client went away)" :
	    " (aborted)");
	free(q);
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof buf, fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	srv_log("libmicrohttpd: %s", buf);
}

static int
parse_listen(const char *spec, struct sockaddr_storage *ss, int *v6)
{
	char host[128];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;
	size_t n;

	memset(ss, 0, sizeof *ss);
	if (colon == NULL)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535)
		return -1;
	n = (size_t)(colon - spec);
	if (n >= sizeof host)
		return -1;
	memcpy(host, spec, n);
	host[n] = '\0';
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		host[n - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*v6 = 0;
		return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
	}
}

int
http_start(struct srv *s)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	int v6 = 0;

	if (parse_listen(s->listen, &ss, &v6) != 0) {
		srv_log("--listen %s: give ADDR:PORT (127.0.0.1:8080, [::1]:8080)",
		    s->listen);
		return -1;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	if (s->tls_cert != NULL)
		flags |= MHD_USE_TLS;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, s->idle_timeout,
	    MHD_OPTION_CONNECTION_LIMIT, 512U,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	    s->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->tls_cert,
	    MHD_OPTION_HTTPS_MEM_KEY, s->tls_key,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		srv_log("cannot listen on %s: %s", s->listen, strerror(errno));
		return -1;
	}
	di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	return 0;
}

void
http_stop(struct srv *s)
{
	if (s->mhd != NULL)
		MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
}
