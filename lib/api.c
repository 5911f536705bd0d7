/*
 * The public accessors and writers of datrace.h: a read-only window on the
 * facts and verdicts the analyzer keeps (lib/facts/facts.h), finished once
 * when each capture's analysis ended, so every accessor is a pure getter.
 * Everything the CLI prints it gets through these functions. This file:
 * the analyzer, captures, verdicts, side observations and the writer
 * table; connections and certificates are in api_conn.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer_int.h"
#include "net/encap.h"
#include "report/report.h"
#include "rules/rules.h"
#include "tls/tls.h"

#include "capture/capture.h"

#include <arpa/inet.h>

/* ---- analyzer ----------------------------------------------------------- */

DT_EXTERN size_t
dt_analyzer_capture_count(const dt_analyzer *a)
{
	return a != NULL ? a->n_caps : 0;
}

DT_EXTERN int
dt_analyzer_capture_at(const dt_analyzer *a, size_t i, const dt_capture **out)
{
	if (a == NULL || out == NULL)
		return DT_EINVAL;
	if (i >= a->n_caps)
		return DT_ITEROVER;
	*out = a->caps[i];
	return 0;
}

DT_EXTERN int
dt_analyzer_worst(const dt_analyzer *a)
{
	const struct dt_verdict *v;
	int worst = -1;
	size_t i;

	for (i = 0; a != NULL && i < a->n_caps; i++) {
		struct dt_spill_walk sw = DT_SPILL_WALK_INIT;

		for (v = a->caps[i]->verdicts; v != NULL; v = v->next) {
			dt_capture_spill_step(a->caps[i], &sw);
			if (!v->background && (int)v->severity > worst)
				worst = (int)v->severity;
		}
	}
	return worst;
}

/* ---- capture ------------------------------------------------------------ */

DT_EXTERN const char *dt_capture_path(const dt_capture *c) { return c->path; }
DT_EXTERN const char *dt_capture_format(const dt_capture *c) { return c->format; }
DT_EXTERN uint64_t dt_capture_packets(const dt_capture *c) { return c->packets; }
DT_EXTERN uint64_t dt_capture_bytes(const dt_capture *c) { return c->bytes; }
DT_EXTERN int64_t dt_capture_first_time(const dt_capture *c) { return c->first_time; }
DT_EXTERN int64_t dt_capture_last_time(const dt_capture *c) { return c->last_time; }
DT_EXTERN size_t dt_capture_link_type_count(const dt_capture *c) { return c->n_linktypes; }
DT_EXTERN size_t dt_capture_error_count(const dt_capture *c) { return c->n_errors; }
DT_EXTERN size_t dt_capture_conn_count(const dt_capture *c) { return c->conn_index ? c->n_conns : 0; }
DT_EXTERN size_t dt_capture_verdict_count(const dt_capture *c) { return c->verdict_index ? c->n_verdicts : 0; }

DT_EXTERN uint64_t
dt_capture_truncated_packets(const dt_capture *c)
{
	return c->truncated_packets;
}

DT_EXTERN uint64_t
dt_capture_distinct_packets(const dt_capture *c)
{
	return c->packets - c->duplicate_sightings;
}

DT_EXTERN uint64_t
dt_capture_duplicate_sightings(const dt_capture *c)
{
	return c->duplicate_sightings;
}

DT_EXTERN uint64_t
dt_capture_protected_80211(const dt_capture *c)
{
	return c->protected_80211;
}

DT_EXTERN int
dt_capture_damaged(const dt_capture *c)
{
	return c->damaged;
}

DT_EXTERN int
dt_capture_link_type_at(const dt_capture *c, size_t i, const char **name,
    int *linktype)
{
	const struct dt_linktype_count *l;

	if (i >= c->n_linktypes)
		return DT_ITEROVER;
	l = &c->linktypes[i];	/* named by the pipeline as it counted */
	if (linktype != NULL)
		*linktype = l->linktype;
	if (name != NULL)
		*name = l->name;
	return 0;
}

DT_EXTERN int
dt_capture_error_at(const dt_capture *c, size_t i, uint64_t *offset,
    const char **message)
{
	if (i >= c->n_errors)
		return DT_ITEROVER;
	if (offset != NULL)
		*offset = c->errors[i].offset;
	if (message != NULL)
		*message = c->errors[i].message;
	return 0;
}

DT_EXTERN int
dt_capture_conn_at(const dt_capture *c, size_t i, const dt_conn **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (c->conn_index == NULL || i >= c->n_conns)
		return DT_ITEROVER;
	dt_capture_api_texts(c);	/* once: dt_conn_client() ... */
	*out = c->conn_index[i];
	return 0;
}

DT_EXTERN int
dt_capture_verdict_at(const dt_capture *c, size_t i, const dt_verdict **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (c->verdict_index == NULL || i >= c->n_verdicts)
		return DT_ITEROVER;
	*out = c->verdict_index[i];
	return 0;
}

/* ---- verdict ------------------------------------------------------------ */

DT_EXTERN const char *dt_verdict_id(const dt_verdict *v) { return v->id; }
DT_EXTERN dt_severity dt_verdict_severity(const dt_verdict *v) { return v->severity; }
DT_EXTERN dt_confidence dt_verdict_confidence(const dt_verdict *v) { return v->confidence; }
DT_EXTERN uint32_t dt_verdict_windows_code(const dt_verdict *v) { return v->win_code; }
DT_EXTERN const char *dt_verdict_windows_name(const dt_verdict *v) { return v->win_name; }
DT_EXTERN uint32_t dt_verdict_conn(const dt_verdict *v) { return v->conn; }
DT_EXTERN size_t dt_verdict_frame_count(const dt_verdict *v) { return v->n_frames; }
DT_EXTERN const char *dt_verdict_summary(const dt_verdict *v) { return v->summary; }
DT_EXTERN const char *dt_verdict_explanation(const dt_verdict *v) { return v->explanation; }
DT_EXTERN const char *dt_verdict_remedy(const dt_verdict *v) { return v->remedy; }
DT_EXTERN int dt_verdict_background(const dt_verdict *v) { return v->background; }

DT_EXTERN int
dt_verdict_frame_at(const dt_verdict *v, size_t i, uint64_t *frame)
{
	if (i >= v->n_frames)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = v->frames[i];
	return 0;
}

/* ---- capture: drops, link types, summary ------------------------------- */

DT_EXTERN uint64_t dt_capture_dropped_conns(const dt_capture *c) { return c->dropped_conns; }
DT_EXTERN uint64_t dt_capture_dropped_bytes(const dt_capture *c) { return c->dropped_bytes; }
DT_EXTERN uint64_t dt_capture_fragments_dropped(const dt_capture *c) { return c->fragments_dropped; }
DT_EXTERN uint64_t dt_capture_undecodable_packets(const dt_capture *c) { return c->undecodable; }

DT_EXTERN size_t
dt_capture_tunnel_count(const dt_capture *c)
{
	size_t n = 0, k;

	for (k = 1; k < DT_ENCAP_MAX; k++)
		n += c->encap[k].packets != 0 || c->encap[k].unread != 0;
	return n;
}

DT_EXTERN int
dt_capture_tunnel_at(const dt_capture *c, size_t i, const char **type,
    uint64_t *packets, uint64_t *not_decoded, uint64_t *first_frame,
    char *endpoints, size_t endpoints_len)
{
	size_t k;

	for (k = 1; k < DT_ENCAP_MAX; k++) {
		const struct dt_encap_count *e = &c->encap[k];

		if (e->packets == 0 && e->unread == 0)
			continue;
		if (i-- > 0)
			continue;
		if (type != NULL)
			*type = dt_encap_name((int)k);
		if (packets != NULL)
			*packets = e->packets;
		if (not_decoded != NULL)
			*not_decoded = e->unread;
		if (first_frame != NULL)
			*first_frame = e->first_frame;
		if (endpoints != NULL && endpoints_len > 0)
			dt_encap_endpoints(e, endpoints, endpoints_len);
		return 0;
	}
	return DT_ITEROVER;
}

DT_EXTERN int
dt_capture_link_type_stats_at(const dt_capture *c, size_t i,
    uint64_t *packets, int *supported)
{
	if (i >= c->n_linktypes)
		return DT_ITEROVER;
	if (packets != NULL)
		*packets = c->linktypes[i].packets;
	if (supported != NULL)
		*supported = c->linktypes[i].supported;
	return 0;
}

DT_EXTERN size_t
dt_capture_iphttps_count(const dt_capture *c)
{
	return c->n_iphttps;
}

DT_EXTERN size_t
dt_capture_severity_count(const dt_capture *c, dt_severity s)
{
	const struct dt_verdict *v;
	size_t n = 0;

	for (v = c->verdicts; v != NULL; v = v->next)
		n += v->severity == s;
	return n;
}

/* ---- capture: DNS ------------------------------------------------------- */

/* The records need no index (dt_capture_dns()); the connections' one
   says whether dt_capture_finish() made them all (else: none). */
DT_EXTERN size_t
dt_capture_dns_count(const dt_capture *c)
{
	return c->conn_index != NULL ? c->n_dns : 0;
}

DT_EXTERN int
dt_capture_dns_at(const dt_capture *c, size_t i, const dt_dns **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (c->conn_index == NULL || i >= c->n_dns)
		return DT_ITEROVER;
	*out = dt_capture_dns(c, i);
	return 0;
}

DT_EXTERN const char *dt_dns_name(const dt_dns *d) { return d->name != NULL ? d->name : ""; }
DT_EXTERN unsigned dt_dns_qtype(const dt_dns *d) { return d->qtype; }
DT_EXTERN int dt_dns_rcode(const dt_dns *d) { return d->rcode >= 0 ? d->rcode : -1; }
DT_EXTERN uint64_t dt_dns_query_frame(const dt_dns *d) { return dt_dns_query_frame_of(d); }
DT_EXTERN uint64_t dt_dns_answer_frame(const dt_dns *d) { return dt_dns_answer_frame_of(d); }
DT_EXTERN const char *dt_dns_cname(const dt_dns *d) { return d->cname; }
DT_EXTERN size_t dt_dns_address_count(const dt_dns *d) { return d->n_addrs; }

DT_EXTERN int
dt_dns_address_at(const dt_dns *d, size_t i, char *buf, size_t len)
{
	struct dt_addr a;

	if (i >= d->n_addrs)
		return DT_ITEROVER;
	if (buf == NULL || len == 0 || len > (size_t)INT32_MAX)
		return DT_EINVAL;
	dt_dns_addr(d, i, &a);
	if (inet_ntop(a.family == 6 ? AF_INET6 : AF_INET, a.a, buf,
	    (socklen_t)len) == NULL) {
		buf[0] = '\0';
		return DT_EINVAL;
	}
	return 0;
}

/* ---- capture: plain HTTP ------------------------------------------------ */

DT_EXTERN size_t
dt_capture_http_count(const dt_capture *c)
{
	return c->http_index != NULL ? c->n_http : 0;
}

DT_EXTERN int
dt_capture_http_at(const dt_capture *c, size_t i, const dt_http **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (c->http_index == NULL || i >= c->n_http)
		return DT_ITEROVER;
	*out = c->http_index[i];
	return 0;
}

DT_EXTERN uint32_t dt_http_conn(const dt_http *h) { return h->conn; }
DT_EXTERN uint64_t dt_http_request_frame(const dt_http *h) { return h->request_frame; }
DT_EXTERN uint64_t dt_http_response_frame(const dt_http *h) { return h->response_frame; }
DT_EXTERN const char *dt_http_method(const dt_http *h) { return h->method; }
DT_EXTERN const char *dt_http_uri(const dt_http *h) { return h->uri; }
DT_EXTERN const char *dt_http_host(const dt_http *h) { return h->host; }
DT_EXTERN int dt_http_status(const dt_http *h) { return h->status >= 0 ? h->status : -1; }
DT_EXTERN const char *dt_http_status_line(const dt_http *h) { return h->status_line; }
DT_EXTERN int dt_http_reset(const dt_http *h) { return h->conn_reset != 0; }
DT_EXTERN int dt_http_no_answer(const dt_http *h) { return h->conn_no_answer != 0; }

/* ---- writers ------------------------------------------------------------ */

static void
run_of(const struct dt_analyzer *a, struct dt_report_run *run)
{
	memset(run, 0, sizeof *run);
	run->host = a->redact != NULL ? a->shown_host : a->host;
	run->ports = a->ports;
	run->ca_file = a->redact != NULL ? a->shown_ca_file : a->ca_file;
	run->expect_cert = a->redact != NULL ? a->shown_expect :
	    a->expect_cert;
	run->filter = a->redact != NULL ? a->shown_filter : a->filter_expr;
	run->all = a->all;
	run->caps = a->caps;
	run->n_caps = a->n_caps;
}

static int
json_doc(const struct dt_report_run *run, FILE *fp, unsigned flags)
{
	return dt_report_json(run, fp, 0);
}

static int
json_lines(const struct dt_report_run *run, FILE *fp, unsigned flags)
{
	return dt_report_json(run, fp, 1);
}

/* The writers, by the name dt_write_buffer() takes. */
static const struct writer {
	const char *name;
	int (*write)(const struct dt_report_run *, FILE *, unsigned);
} writers[] = {
	{ "json", json_doc },
	{ "jsonl", json_lines },
	{ "text", dt_report_text },
	{ "html", dt_report_html },
};

static const struct writer *
writer_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof writers / sizeof writers[0]; i++)
		if (strcmp(writers[i].name, name) == 0)
			return &writers[i];
	return NULL;
}

static int
write_fp(const dt_analyzer *a, FILE *fp, const char *format, unsigned flags)
{
	const struct writer *w = writer_named(format);
	struct dt_report_run run;
	int rc;

	if (a == NULL || fp == NULL || w == NULL)
		return DT_EINVAL;
	run_of(a, &run);
	rc = w->write(&run, fp, flags);
	if (rc != 0 || ferror(fp))
		return DT_EIO;
	return 0;
}

DT_EXTERN int
dt_write_json(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, "json", flags);
}

DT_EXTERN int
dt_write_jsonl(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, "jsonl", flags);
}

DT_EXTERN int
dt_write_text(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, "text", flags);
}

DT_EXTERN int
dt_write_html(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, "html", flags);
}

DT_EXTERN int
dt_write_buffer(const dt_analyzer *a, const char *format, unsigned flags,
    char **out, size_t *len)
{
	FILE *fp;
	char *buf = NULL;
	size_t n = 0;
	int rc;

	if (a == NULL || format == NULL || out == NULL ||
	    writer_named(format) == NULL)
		return DT_EINVAL;
	fp = open_memstream(&buf, &n);
	if (fp == NULL)
		return DT_ENOMEM;
	rc = write_fp(a, fp, format, flags);
	if (fclose(fp) != 0 && rc == 0)
		rc = DT_ENOMEM;
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	if (len != NULL)
		*len = n;
	return 0;
}

DT_EXTERN void
dt_buffer_free(char *buf)
{
	free(buf);
}

