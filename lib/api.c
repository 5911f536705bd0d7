/*
 * The public accessors and writers of datrace.h: a read-only window on the
 * facts and verdicts the analyzer keeps (lib/facts/facts.h). Everything the
 * CLI prints it gets through these functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "report/report.h"
#include "rules/rules.h"
#include "tls/tls.h"

static const char *const sev_names[] = { "info", "warning", "error" };
static const char *const conf_names[] = { "low", "medium", "high" };
static const char *const state_names[] = {
	"no-answer", "refused", "established", "reset", "closed", "open",
};
static const char *const ccert_names[] = { "none", "empty", "present" };

DT_EXTERN const char *
dt_severity_name(dt_severity s)
{
	return (unsigned)s < 3 ? sev_names[s] : "unknown";
}

DT_EXTERN const char *
dt_confidence_name(dt_confidence c)
{
	return (unsigned)c < 3 ? conf_names[c] : "unknown";
}

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

	for (i = 0; a != NULL && i < a->n_caps; i++)
		for (v = a->caps[i]->verdicts; v != NULL; v = v->next)
			if ((int)v->severity > worst)
				worst = (int)v->severity;
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

DT_EXTERN int
dt_capture_link_type_at(const dt_capture *c, size_t i, const char **name,
    int *linktype)
{
	if (i >= c->n_linktypes)
		return DT_ITEROVER;
	if (linktype != NULL)
		*linktype = c->linktypes[i].linktype;
	if (name != NULL)
		*name = c->linktypes[i].name;
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

DT_EXTERN int
dt_verdict_frame_at(const dt_verdict *v, size_t i, uint64_t *frame)
{
	if (i >= v->n_frames)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = v->frames[i];
	return 0;
}

/* ---- connection --------------------------------------------------------- */

DT_EXTERN uint32_t dt_conn_id(const dt_conn *c) { return c->id; }
DT_EXTERN const char *dt_conn_client(const dt_conn *c) { return c->client_str; }
DT_EXTERN const char *dt_conn_server(const dt_conn *c) { return c->server_str; }
DT_EXTERN int dt_conn_iphttps(const dt_conn *c) { return c->iphttps; }
DT_EXTERN uint64_t dt_conn_first_frame(const dt_conn *c) { return c->first_frame; }
DT_EXTERN uint64_t dt_conn_last_frame(const dt_conn *c) { return c->last_frame; }
DT_EXTERN int dt_conn_has_tls(const dt_conn *c) { return c->tls.seen; }
DT_EXTERN int dt_conn_tls_offered_null(const dt_conn *c) { return c->tls.offered_null; }
DT_EXTERN size_t dt_conn_tls_offered_count(const dt_conn *c) { return c->tls.n_offered_suites; }
DT_EXTERN size_t dt_conn_server_cert_count(const dt_conn *c) { return c->tls.n_server_certs; }

DT_EXTERN const char *
dt_conn_server_name(const dt_conn *c)
{
	if (c->tls.sni != NULL)
		return c->tls.sni;
	return c->tls.http_request.host;
}

DT_EXTERN const char *
dt_conn_state(const dt_conn *c)
{
	return (unsigned)c->state < 6 ? state_names[c->state] : "unknown";
}

DT_EXTERN const char *
dt_conn_wireshark_filter(const dt_conn *c)
{
	return c->wireshark_filter != NULL ? c->wireshark_filter : "";
}

DT_EXTERN const char *
dt_conn_tls_version(const dt_conn *c)
{
	if (!c->tls.seen || c->tls.sh_frame == 0)
		return NULL;
	return dt_tls_version_name(c->tls.version);
}

DT_EXTERN int
dt_conn_tls_suite(const dt_conn *c, const char **name)
{
	if (c->tls.sh_frame == 0) {
		if (name != NULL)
			*name = NULL;
		return -1;
	}
	if (name != NULL)
		*name = dt_tls_suite_name(c->tls.suite);
	return c->tls.suite;
}

DT_EXTERN int
dt_conn_tls_offered_at(const dt_conn *c, size_t i, uint16_t *suite,
    const char **name)
{
	if (i >= c->tls.n_offered_suites)
		return DT_ITEROVER;
	if (suite != NULL)
		*suite = c->tls.offered_suites[i];
	if (name != NULL)
		*name = dt_tls_suite_name(c->tls.offered_suites[i]);
	return 0;
}

DT_EXTERN int
dt_conn_tls_alert(const dt_conn *c, uint64_t *frame, int *from_server,
    int *level, int *description, const char **name)
{
	const struct dt_tls_facts *t = &c->tls;

	if (t->alert_frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = t->alert_frame;
	if (from_server != NULL)
		*from_server = t->alert_dir == DT_S2C;
	if (level != NULL)
		*level = t->alert_encrypted ? 0 : t->alert_level;
	if (description != NULL)
		*description = t->alert_encrypted ? -1 : t->alert_desc;
	if (name != NULL)
		*name = t->alert_encrypted ? NULL : dt_tls_alert_name(t->alert_desc);
	return 0;
}

DT_EXTERN const char *
dt_conn_tls_client_certificate(const dt_conn *c)
{
	return (unsigned)c->tls.client_cert < 3 ?
	    ccert_names[c->tls.client_cert] : "none";
}

DT_EXTERN int
dt_conn_server_cert_at(const dt_conn *c, size_t i, const dt_cert **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (i >= c->tls.n_server_certs)
		return DT_ITEROVER;
	*out = &c->tls.server_certs[i];
	return 0;
}

/* ---- certificate -------------------------------------------------------- */

DT_EXTERN const char *dt_cert_subject(const dt_cert *x) { return x->subject; }
DT_EXTERN const char *dt_cert_issuer(const dt_cert *x) { return x->issuer; }
DT_EXTERN const char *dt_cert_sha256(const dt_cert *x) { return x->sha256; }
DT_EXTERN int64_t dt_cert_not_before(const dt_cert *x) { return x->not_before; }
DT_EXTERN int64_t dt_cert_not_after(const dt_cert *x) { return x->not_after; }
DT_EXTERN int dt_cert_self_signed(const dt_cert *x) { return x->self_signed; }
DT_EXTERN size_t dt_cert_dns_name_count(const dt_cert *x) { return x->n_dns_names; }

DT_EXTERN const char *
dt_cert_dns_name_at(const dt_cert *x, size_t i)
{
	return i < x->n_dns_names ? x->dns_names[i] : NULL;
}

/* ---- writers ------------------------------------------------------------ */

static void
run_of(const struct dt_analyzer *a, struct dt_report_run *run)
{
	memset(run, 0, sizeof *run);
	run->host = a->host;
	run->ports = a->ports;
	run->ca_file = a->ca_file;
	run->expect_cert = a->expect_cert;
	run->filter = a->filter_expr;
	run->all = a->all;
	run->caps = a->caps;
	run->n_caps = a->n_caps;
}

static int
write_fp(const dt_analyzer *a, FILE *fp, int kind, unsigned flags)
{
	struct dt_report_run run;
	int rc;

	if (a == NULL || fp == NULL)
		return DT_EINVAL;
	run_of(a, &run);
	if (kind == 2)
		rc = dt_report_text(&run, fp, flags);
	else if (kind == 3)
		rc = dt_report_html(&run, fp, flags);
	else
		rc = dt_report_json(&run, fp, kind == 1);
	if (rc != 0 || ferror(fp))
		return DT_EIO;
	return 0;
}

DT_EXTERN int
dt_write_json(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, 0, flags);
}

DT_EXTERN int
dt_write_jsonl(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, 1, flags);
}

DT_EXTERN int
dt_write_text(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, 2, flags);
}

DT_EXTERN int
dt_write_html(const dt_analyzer *a, FILE *fp, unsigned flags)
{
	return write_fp(a, fp, 3, flags);
}

DT_EXTERN int
dt_write_buffer(const dt_analyzer *a, const char *format, unsigned flags,
    char **out, size_t *len)
{
	FILE *fp;
	char *buf = NULL;
	size_t n = 0;
	int kind, rc;

	if (a == NULL || format == NULL || out == NULL)
		return DT_EINVAL;
	if (strcmp(format, "json") == 0)
		kind = 0;
	else if (strcmp(format, "jsonl") == 0)
		kind = 1;
	else if (strcmp(format, "text") == 0)
		kind = 2;
	else if (strcmp(format, "html") == 0)
		kind = 3;
	else
		return DT_EINVAL;
	fp = open_memstream(&buf, &n);
	if (fp == NULL)
		return DT_ENOMEM;
	rc = write_fp(a, fp, kind, flags);
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
