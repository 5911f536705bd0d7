/*
 * Fuzz harness for report/: the input becomes the facts of one capture
 * (wire strings such as SNI, DNs, HTTP lines and the non-TLS line taken
 * from the input bytes, a timeline of arbitrary events and alert codes,
 * arbitrary suites and versions) and both writers run over it.
 * Invariants beyond "no crash": the JSON parses back (so every string was
 * made valid UTF-8), and the text holds no control byte but newline, no
 * ESC without DT_TEXT_COLOR, and no line wider than 80 columns but for
 * the capture's heading (its path is never broken) and lines that run
 * over because they hold a word longer than the room (a path or a name,
 * never broken either).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts/facts.h"
#include "report/report.h"
#include "util/rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "fuzz_report: %s\n", #x); \
	abort(); } } while (0)

/* The next string: bytes up to a NUL (or the end), at most 400. */
static char *
field(struct dt_mem *m, struct rd *r)
{
	const uint8_t *p;
	size_t n = 0;

	while (n < r->n && n < 400 && r->p[n] != 0)
		n++;
	p = rd_bytes(r, n);
	return p != NULL ? dt_strndup(m, (const char *)p, n) : NULL;
}

static void
check_text(const char *out, size_t len, int colour)
{
	size_t i, col = 0, k, word = 0, longest = 0, line = 1;
	uint32_t cp;

	for (i = 0; i < len; i += k) {
		k = dt_utf8_next(out + i, len - i, &cp);
		CHECK(k != 0);			/* valid UTF-8 */
		if (cp == '\n') {
			CHECK(col <= 80 || line == 1 || longest >= 40);
			col = word = longest = 0;
			line++;
			continue;
		}
		word = cp == ' ' ? 0 : word + 1;
		longest = word > longest ? word : longest;
		if (cp == 0x1b) {		/* only our colour codes */
			CHECK(colour);
			while (i + k < len && out[i + k] != 'm')
				k++;
			k++;
			continue;
		}
		CHECK(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f));
		col++;			/* every code point takes a column or more */
	}
	CHECK(col <= 80 || line == 1 || longest >= 40);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_mem mem;
	struct dt_capture *cap;
	struct dt_conn *c;
	struct dt_verdict *v;
	struct dt_report_run run;
	struct rd r = rd_make(data, size);
	char *out = NULL;
	size_t len = 0, i, n;
	unsigned flags;
	FILE *fp;
	json_t *doc;

	dt_mem_init(&mem, NULL, NULL, 0);
	cap = dt_calloc(&mem, 1, sizeof *cap);
	c = dt_calloc(&mem, 1, sizeof *c);
	v = dt_calloc(&mem, 1, sizeof *v);
	if (cap == NULL || c == NULL || v == NULL ||
	    dt_conn_tls_make(&mem, c) == NULL)
		abort();
	cap->mem = &mem;
	cap->format = "pcapng";
	flags = rd_u8(&r);
	cap->packets = rd_u8(&r);
	cap->first_time = (int64_t)rd_u64(&r);
	cap->last_time = cap->first_time + rd_u32(&r);
	cap->path = field(&mem, &r);
	rd_skip(&r, 1);

	c->id = 1;
	c->client.family = 4;
	c->server.family = (rd_u8(&r) & 1) ? 6 : 4;
	rd_copy(&r, c->server.a, 16);
	c->client_port = rd_u16(&r);
	c->server_port = 443;
	CHECK(dt_conn_text_make(cap, c) == 0);
	c->iphttps = 1;
	c->state = rd_u8(&r) % 7;
	c->first_frame = 1;
	c->last_frame = rd_u32(&r);
	c->first_time = cap->first_time;
	c->tls->seen = 1;
	c->tls->ch_frame = rd_u8(&r);
	c->tls->sh_frame = rd_u8(&r);
	c->tls->version = rd_u16(&r);
	c->tls->suite = rd_u16(&r);
	dt_tls_hello_make(&mem, c->tls)->offered_only_null = rd_u8(&r) & 1;
	c->tls->alert_frame = rd_u8(&r);
	c->tls->alert_level = rd_u8(&r);
	c->tls->alert_desc = rd_u8(&r);
	c->tls->alert_encrypted = rd_u8(&r) & 1;
	dt_tls_rare_make(&mem, c->tls)->cert_request_frame = rd_u8(&r);
	c->tls->client_cert = rd_u8(&r) % 3;
	n = rd_u8(&r) % 8;
	dt_tls_hello_make(&mem, c->tls)->offered_suites = dt_calloc(&mem, n + 1, sizeof(uint16_t));
	for (i = 0; i < n && dt_tls_hello_make(&mem, c->tls)->offered_suites != NULL; i++)
		dt_tls_hello_make(&mem, c->tls)->offered_suites[dt_tls_hello_make(&mem, c->tls)->n_offered_suites++] = rd_u16(&r);
	dt_tls_hello_make(&mem, c->tls)->client_versions = dt_calloc(&mem, 2, sizeof(uint16_t));
	if (dt_tls_hello_make(&mem, c->tls)->client_versions != NULL) {
		dt_tls_hello_make(&mem, c->tls)->client_versions[0] = rd_u16(&r);
		dt_tls_hello_make(&mem, c->tls)->n_client_versions = 1;
	}
	c->tls->sni = field(&mem, &r);
	rd_skip(&r, 1);
	dt_tls_rare_make(&mem, c->tls)->non_tls_line = field(&mem, &r);
	dt_tls_rare_make(&mem, c->tls)->non_tls_frame = dt_tls_rare(c->tls)->non_tls_line != NULL;
	rd_skip(&r, 1);
	dt_tls_http_make(&mem, c->tls)->request.line = field(&mem, &r);
	dt_tls_http_make(&mem, c->tls)->request.frame = 3;
	rd_skip(&r, 1);
	dt_tls_http_make(&mem, c->tls)->response.line = field(&mem, &r);
	rd_skip(&r, 1);
	c->tls->server_certs = dt_calloc(&mem, 1, sizeof(struct dt_cert));
	if (c->tls->server_certs != NULL) {
		c->tls->n_server_certs = 1;
		c->tls->server_certs[0].subject = field(&mem, &r);
		rd_skip(&r, 1);
		c->tls->server_certs[0].issuer = field(&mem, &r);
		rd_skip(&r, 1);
		c->tls->server_certs[0].not_after = (int64_t)rd_u64(&r);
	}
	dt_tls_rare_make(&mem, c->tls)->ca_names = dt_calloc(&mem, 1, sizeof(char *));
	if (dt_tls_rare(c->tls)->ca_names != NULL) {
		dt_tls_rare_make(&mem, c->tls)->ca_names[0] = field(&mem, &r);
		dt_tls_rare_make(&mem, c->tls)->n_ca_names = 1;
		rd_skip(&r, 1);
	}
	v->id = "wrong-server";
	v->severity = rd_u8(&r) % 3;
	v->confidence = rd_u8(&r) % 3;
	v->win_code = rd_u32(&r);
	v->conn = rd_u8(&r) % 3;
	v->summary = field(&mem, &r);
	rd_skip(&r, 1);
	v->explanation = field(&mem, &r);
	rd_skip(&r, 1);
	v->remedy = field(&mem, &r);
	rd_skip(&r, 1);
	v->frames = dt_calloc(&mem, 4, sizeof(uint64_t));
	for (i = 0; i < 4 && v->frames != NULL; i++)
		v->frames[v->n_frames++] = rd_u32(&r);
	/* the rest: events of 8 bytes */
	while (!r.bad && r.n >= 8) {
		uint8_t type = rd_u8(&r) % 21, dir = rd_u8(&r) & 1;
		uint16_t a = rd_u16(&r);
		uint32_t b = rd_u32(&r);

		(void)dt_conn_add_event(&mem, c, type, dir, c->n_events + 1,
		    c->first_time + (int64_t)b * 1000, a, b);
	}
	cap->conns = cap->conns_tail = c;
	cap->n_conns = 1;
	cap->verdicts = cap->verdicts_tail = v;
	cap->n_verdicts = 1;
	/* half the inputs as the pipeline leaves them (finished: UTF-8
	   repaired, filter made), half raw: the writers take either */
	if (flags & 8)
		CHECK(dt_capture_finish(cap) == 0);

	memset(&run, 0, sizeof run);
	run.host = c->tls->sni;
	run.caps = &cap;
	run.n_caps = 1;

	fp = open_memstream(&out, &len);
	if (fp == NULL)
		abort();
	CHECK(dt_report_json(&run, fp, flags & 4) == 0);
	fclose(fp);
	doc = json_loadb(out, len, flags & 4 ? JSON_DISABLE_EOF_CHECK : 0, NULL);
	CHECK(doc != NULL);
	json_decref(doc);
	free(out);

	out = NULL;
	fp = open_memstream(&out, &len);
	if (fp == NULL)
		abort();
	CHECK(dt_report_text(&run, fp, flags & 7) == 0);
	fclose(fp);
	check_text(out, len, (flags & DT_TEXT_COLOR) != 0);
	free(out);

	dt_capture_free(cap);
	CHECK(mem.used == 0);
	return 0;
}
