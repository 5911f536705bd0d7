/*
 * The JSON document of SPEC §4 (schema "datrace/1"), built with jansson and
 * written as it goes (json_stream.c): this file lays out the document and
 * each capture — header fields, then its long lists (connections, verdicts,
 * DNS, HTTP), each written one element at a time so memory stays that of
 * one element. A connection's entry is built in json_conn.c. Keys are
 * written in a fixed order (insertion order, JSON_PRESERVE_ORDER) so the
 * same capture always gives the same bytes. Fields may be added; none is
 * ever renamed or dropped without a new schema.
 */
#include "report/json_int.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "capture/capture.h"
#include "net/encap.h"
#include "tls/tls.h"

static json_t *
jverdict(struct jb *b, const struct dt_verdict *v)
{
	json_t *o = json_object(), *a, *w;
	char code[16];
	size_t i;

	jb_set(b, o, "id", jb_str(b, v->id));
	jb_set(b, o, "severity",
	    json_string(dt_report_severity_name(v->severity)));
	jb_set(b, o, "confidence",
	    json_string(dt_report_confidence_name(v->confidence)));
	if (v->win_code != 0) {
		w = json_object();
		snprintf(code, sizeof code, "0x%" PRIx32, v->win_code);
		jb_set(b, w, "code", json_string(code));
		jb_set(b, w, "name", jb_str(b, v->win_name));
	} else {
		w = json_null();
	}
	jb_set(b, o, "windows_error", w);
	jb_set(b, o, "connection", v->conn != 0 ? json_integer(v->conn) :
	    json_null());
	a = json_array();
	for (i = 0; i < v->n_frames; i++)
		jb_push(b, a, jb_int(v->frames[i]));
	jb_set(b, o, "frames", a);
	jb_set(b, o, "summary", jb_str(b, v->summary));
	jb_set(b, o, "explanation", jb_str(b, v->explanation));
	jb_set(b, o, "remedy", jb_str(b, v->remedy));
	return o;
}

static json_t *
jlinktype_name(struct jb *b, const struct dt_linktype_count *l)
{
	char buf[64];
	const char *name = buf;

	if (l->name[0] != '\0')	/* named by the pipeline */
		snprintf(buf, sizeof buf, "%.*s", (int)sizeof l->name, l->name);
	else
		name = dt_linktype_name(l->linktype, buf, sizeof buf);
	if (name == NULL) {
		snprintf(buf, sizeof buf, "LINKTYPE_%d", l->linktype);
		name = buf;
	}
	return jb_str(b, name);
}

static json_t *
jdns(struct jb *b, const struct dt_dns *d)
{
	json_t *o = json_object(), *a;
	char ip[INET6_ADDRSTRLEN];
	size_t i;

	jb_set(b, o, "name", jb_str(b, d->name));
	jb_set(b, o, "type", json_integer(d->qtype));
	jb_set(b, o, "query_frame", jb_frame(d->query_frame));
	jb_set(b, o, "answer_frame", jb_frame(d->answer_frame));
	jb_set(b, o, "rcode", d->rcode >= 0 ? json_integer(d->rcode) :
	    json_null());
	a = json_array();
	for (i = 0; i < d->n_addrs; i++) {
		int af = d->addrs[i].family == 6 ? AF_INET6 : AF_INET;

		if (inet_ntop(af, d->addrs[i].a, ip, sizeof ip) == NULL)
			continue;
		jb_push(b, a, json_string(ip));
	}
	jb_set(b, o, "addresses", a);
	jb_set(b, o, "cname", jb_str(b, d->cname));
	return o;
}

static json_t *
jhttp(struct jb *b, const struct dt_http *h)
{
	json_t *o = json_object();

	jb_set(b, o, "connection",
	    h->conn ? json_integer(h->conn) : json_null());
	jb_set(b, o, "request_frame", jb_frame(h->request_frame));
	jb_set(b, o, "response_frame", jb_frame(h->response_frame));
	jb_set(b, o, "method", jb_str(b, h->method));
	jb_set(b, o, "uri", jb_str(b, h->uri));
	jb_set(b, o, "host", jb_str(b, h->host));
	jb_set(b, o, "status", h->status >= 0 ? json_integer(h->status) :
	    json_null());
	jb_set(b, o, "status_line", jb_str(b, h->status_line));
	jb_set(b, o, "reset", json_boolean(h->conn_reset));
	jb_set(b, o, "no_answer", json_boolean(h->conn_no_answer));
	return o;
}

static json_t *
jcapture(struct jb *b, const struct dt_capture *cap)
{
	json_t *o = json_object(), *a, *u, *x;
	const struct dt_conn *c;
	const struct dt_verdict *v;
	uint64_t sev[3] = { 0, 0, 0 }, iphttps = 0;
	size_t i;

	jb_set(b, o, "path", jb_str(b, cap->path));
	jb_set(b, o, "format", jb_str(b, cap->format));
	jb_set(b, o, "packets", jb_int(cap->packets));
	jb_set(b, o, "distinct_packets",
	    jb_int(cap->packets - cap->duplicate_sightings));
	jb_set(b, o, "duplicate_sightings", jb_int(cap->duplicate_sightings));
	jb_set(b, o, "protected_80211_frames", jb_int(cap->protected_80211));
	jb_set(b, o, "bytes", jb_int(cap->bytes));
	a = json_array();
	u = json_array();
	for (i = 0; i < cap->n_linktypes; i++) {
		jb_push(b, a, jlinktype_name(b, &cap->linktypes[i]));
		if (!cap->linktypes[i].supported)
			jb_push(b, u, jlinktype_name(b, &cap->linktypes[i]));
	}
	jb_set(b, o, "link_types", a);
	jb_set(b, o, "first_time", cap->packets ? jb_time(cap->first_time) :
	    json_null());
	jb_set(b, o, "last_time", cap->packets ? jb_time(cap->last_time) :
	    json_null());
	jb_set(b, o, "truncated_packets", jb_int(cap->truncated_packets));
	a = json_array();
	for (i = 0; i < cap->n_errors; i++) {
		x = json_object();
		jb_set(b, x, "offset", jb_int(cap->errors[i].offset));
		jb_set(b, x, "message", jb_str(b, cap->errors[i].message));
		jb_push(b, a, x);
	}
	jb_set(b, o, "errors", a);

	/* the long lists are streamed into their holes (stream_capture) */
	for (c = cap->conns; c != NULL; c = c->next)
		iphttps += c->iphttps != 0;
	jb_set(b, o, "connections", json_string(HOLE));
	for (v = cap->verdicts; v != NULL; v = v->next)
		if ((unsigned)v->severity < 3)
			sev[v->severity]++;
	jb_set(b, o, "verdicts", json_string(HOLE));

	/* extras */
	jb_set(b, o, "unsupported_link_types", u);
	a = json_array();
	for (i = 0; i < cap->n_linktypes; i++) {
		x = json_object();
		jb_set(b, x, "linktype",
		    json_integer(cap->linktypes[i].linktype));
		jb_set(b, x, "name", jlinktype_name(b, &cap->linktypes[i]));
		jb_set(b, x, "packets", jb_int(cap->linktypes[i].packets));
		jb_set(b, x, "supported",
		    json_boolean(cap->linktypes[i].supported));
		jb_push(b, a, x);
	}
	jb_set(b, o, "link_type_counts", a);
	jb_set(b, o, "undecodable_packets", jb_int(cap->undecodable));
	a = NULL;
	for (i = 1; i < DT_ENCAP_MAX; i++) {
		const struct dt_encap_count *e = &cap->encap[i];
		char ep[2 * DT_ADDR_STRLEN + 16];

		if (e->packets == 0 && e->unread == 0)
			continue;
		if (a == NULL)
			a = json_array();
		x = json_object();
		jb_set(b, x, "type", json_string(dt_encap_name((int)i)));
		jb_set(b, x, "packets", jb_int(e->packets));
		jb_set(b, x, "not_decoded", jb_int(e->unread));
		jb_set(b, x, "first_frame", jb_int(e->first_frame));
		dt_encap_endpoints(e, ep, sizeof ep);
		jb_set(b, x, "endpoints", json_string(ep));
		jb_push(b, a, x);
	}
	if (a != NULL)
		jb_set(b, o, "tunnels", a);
	if (cap->n_providers > 0 || cap->system_records > 0) {
		/* an ETL file: every record, by provider */
		a = json_array();
		for (i = 0; i < cap->n_providers; i++) {
			x = json_object();
			jb_set(b, x, "name", jb_str(b, cap->providers[i].name));
			jb_set(b, x, "guid",
			    json_string(cap->providers[i].guid));
			jb_set(b, x, "events",
			    jb_int(cap->providers[i].events));
			jb_set(b, x, "event_ids",
			    jb_int(cap->providers[i].ids));
			jb_push(b, a, x);
		}
		jb_set(b, o, "event_providers", a);
		jb_set(b, o, "system_records", jb_int(cap->system_records));
		jb_winevents(b, o, cap);
	}
	if (cap->dropped_conns || cap->dropped_bytes ||
	    cap->fragments_dropped) {
		x = json_object();
		jb_set(b, x, "dropped_conns", jb_int(cap->dropped_conns));
		jb_set(b, x, "dropped_bytes", jb_int(cap->dropped_bytes));
		jb_set(b, x, "fragments_dropped",
		    jb_int(cap->fragments_dropped));
		jb_set(b, o, "dropped", x);
	}
	jb_set(b, o, "dns", json_string(HOLE));
	jb_set(b, o, "http", json_string(HOLE));
	x = json_object();
	jb_set(b, x, "connections", jb_int(cap->n_conns));
	jb_set(b, x, "iphttps_connections", jb_int(iphttps));
	jb_set(b, x, "midstream_connections", jb_int(cap->midstream_conns));
	jb_set(b, x, "errors", jb_int(sev[DT_SEV_ERROR]));
	jb_set(b, x, "warnings", jb_int(sev[DT_SEV_WARNING]));
	jb_set(b, x, "infos", jb_int(sev[DT_SEV_INFO]));
	jb_set(b, o, "summary", x);
	return o;
}

/* {schema, tool, options, captures: []}; *caps gets the empty array. */
static json_t *
jdoc(struct jb *b, const struct dt_report_run *run)
{
	static const uint16_t default_ports[] = { 443, 0 };
	const uint16_t *p;
	json_t *o = json_object(), *x, *a;

	jb_set(b, o, "schema", json_string("datrace/1"));
	x = json_object();
	jb_set(b, x, "name", json_string("datrace"));
	jb_set(b, x, "version", json_string(DT_VERSION_STRING));
	jb_set(b, o, "tool", x);
	x = json_object();
	jb_set(b, x, "host", jb_str(b, run->host));
	a = json_array();
	for (p = run->ports != NULL ? run->ports : default_ports; *p != 0; p++)
		jb_push(b, a, json_integer(*p));
	jb_set(b, x, "ports", a);
	jb_set(b, x, "ca", jb_str(b, run->ca_file));
	jb_set(b, x, "expect_cert", jb_str(b, run->expect_cert));
	jb_set(b, x, "filter", jb_str(b, run->filter));
	jb_set(b, x, "all", json_boolean(run->all));
	jb_set(b, o, "options", x);
	jb_set(b, o, "captures", json_string(HOLE));
	return o;
}

static void
fill_capture(struct sj *s, const char *key, unsigned depth, const void *arg)
{
	const struct dt_capture *cap = arg;
	const struct dt_conn *c;
	const struct dt_verdict *v;
	const struct dt_dns *d;
	const struct dt_http *h;
	const struct dt_winevent *e;
	size_t n = 0;

	if (strcmp(key, "events") == 0)
		for (e = cap->winevents; e != NULL && s->err == 0; e = e->next)
			sj_item(s, n++, jb_winevent(s->b, e), depth);
	else if (strcmp(key, "connections") == 0)
		for (c = cap->conns; c != NULL && s->err == 0; c = c->next)
			sj_item(s, n++, jb_conn(s->b, c), depth);
	else if (strcmp(key, "verdicts") == 0)
		for (v = cap->verdicts; v != NULL && s->err == 0; v = v->next)
			sj_item(s, n++, jverdict(s->b, v), depth);
	else if (strcmp(key, "dns") == 0)
		for (d = cap->dns; d != NULL && s->err == 0; d = d->next)
			sj_item(s, n++, jdns(s->b, d), depth);
	else if (strcmp(key, "http") == 0)
		for (h = cap->http; h != NULL && s->err == 0; h = h->next)
			sj_item(s, n++, jhttp(s->b, h), depth);
	sj_close(s, n, depth);
}

static const char *const capture_lists[] = {
	"events", "connections", "verdicts", "dns", "http", NULL
};

/* The captures [from, to) of the run, and what fills their hole. */
struct run_part {
	const struct dt_report_run *run;
	size_t from, to;
	struct dt_mem *mem;
};

static void
fill_captures(struct sj *s, const char *key, unsigned depth, const void *arg)
{
	const struct run_part *rp = arg;
	const struct dt_capture *cap;
	size_t i, n = 0;

	for (i = rp->from; i < rp->to && s->err == 0; i++) {
		cap = rp->run->caps[i];
		dt_mem_reader(rp->mem, cap->mem);
		if (n++ > 0)
			sj_put(s, ",", 1);
		if (!s->compact) {
			sj_put(s, "\n", 1);
			sj_pad(s, 2 * depth);
		}
		sj_object(s, jcapture(s->b, cap), depth, capture_lists,
		    fill_capture, cap);
	}
	sj_close(s, n, depth);
}

static const char *const doc_lists[] = { "captures", NULL };

int
dt_report_json(const struct dt_report_run *run, FILE *fp, int lines)
{
	struct dt_mem local;
	struct jb b;
	struct sj s;
	struct run_part rp;
	size_t i;

	dt_mem_init(&local, NULL, NULL, 0);
	b.mem = &local;
	b.err = 0;
	memset(&s, 0, sizeof s);
	s.b = &b;
	s.fp = fp;
	s.compact = lines != 0;
	s.flags = lines ? JSON_COMPACT : JSON_INDENT(2);
	rp.run = run;
	rp.mem = &local;
	/* one document for the run, or one line per capture */
	for (i = 0; lines ? i < run->n_caps : i == 0; i++) {
		if (s.err != 0)
			break;
		rp.from = lines ? i : 0;
		rp.to = lines ? i + 1 : run->n_caps;
		dt_mem_reader(&local, NULL);
		sj_object(&s, jdoc(&b, run), 0, doc_lists, fill_captures, &rp);
		sj_put(&s, "\n", 1);
	}
	if (s.err == 0 && b.err)
		s.err = DT_ENOMEM;
	if (s.err == 0 && (fflush(fp) != 0 || ferror(fp)))
		s.err = DT_EIO;
	return s.err;
}
