/*
 * The JSON document of SPEC §4 (schema "datrace/1"), written as it goes by
 * the emitter of json_out.c: this file lays out the document and each
 * capture — header fields, then its long lists (connections, verdicts,
 * DNS, HTTP), each element written straight to the output, so memory is
 * the emitter's buffer whatever the capture. A connection's entry is
 * written by json_conn.c. Keys are written in a fixed order so the same
 * capture always gives the same bytes. Fields may be added; none is ever
 * renamed or dropped without a new schema.
 */
#include "report/json_int.h"

#include <arpa/inet.h>
#include <string.h>

#include "capture/capture.h"
#include "net/encap.h"
#include "tls/tls.h"

/* A verdict, the quick way: its members in runs, its texts (of any
   length) between them. */
static void
jverdict(struct jw *w, const struct dt_verdict *v)
{
	char code[18];
	size_t i;
	char *o = jq_begin(w, 4);

	o = jq_elem(w, o);
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "id");
	o = jq_wire(w, o, v->id, 8);
	o = jq_keyn(w, o, "severity");
	o = jq_ours(w, o, dt_severity_name(v->severity), 7);
	o = jq_keyn(w, o, "confidence");
	o = jq_ours(w, o, dt_confidence_name(v->confidence), 6);
	o = jq_keyn(w, o, "windows_error");
	if (v->win_code != 0) {
		o = jq_open(w, o, '{');
		o = jq_key(w, o, "code");
		o = jq_name(o, code, dt_hex_u64(code, v->win_code, 1));
		o = jq_keyn(w, o, "name");
		o = jq_wire(w, o, v->win_name, 6);
		o = jq_close(w, o);
	} else {
		o = jq_null(o);
	}
	o = jq_key(w, o, "connection");
	o = v->conn != 0 ? jq_int(o, v->conn) : jq_null(o);
	o = jq_keyn(w, o, "frames");
	o = jq_open(w, o, '[');
	for (i = 0; i < v->n_frames; i++) {
		o = jq_begin_at(w, o, 2);
		o = jq_elem(w, o);
		o = jq_uint(o, v->frames[i]);
	}
	o = jq_begin_at(w, o, 4);
	o = jq_close(w, o);
	o = jq_keyn(w, o, "summary");
	o = jq_wire(w, o, v->summary, 4);
	o = jq_keyn(w, o, "explanation");
	if (v->shared_text & 1)
		o = jq_interned(w, o, v->explanation, 4);
	else
		o = jq_wire(w, o, v->explanation, 4);
	o = jq_keyn(w, o, "remedy");
	if (v->shared_text & 2)
		o = jq_interned(w, o, v->remedy, 4);
	else
		o = jq_wire(w, o, v->remedy, 4);
	o = jq_close(w, o);
	jq_end(w, o);
}

static void
jlinktype_name(struct jw *w, const char *key,
    const struct dt_linktype_count *l)
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
	jw_wire(w, key, name);
}

/* One DNS lookup, the quick way (a day has hundreds of thousands): the
   element's indentation i0 (w->ind), its members' i1, its addresses'
   i2; the object and its list of a fixed shape (jq_obj_key()). */
static inline __attribute__((always_inline)) void
jdns_(struct jw *w, const struct dt_dns *d, size_t i0, size_t i1, size_t i2)
{
	char ip[INET6_ADDRSTRLEN];
	struct dt_addr a;
	size_t i, n;
	char *o = jq_begin(w, 10);

	o = jq_elem(w, o);
	o = jq_obj_key(o, i1, "name");
	o = jq_wire(w, o, d->name, 10);
	o = jq_keyi(o, i1, "type");
	o = jq_int(o, d->qtype);
	o = jq_keyi(o, i1, "query_frame");
	o = jq_frame(o, dt_dns_query_frame_of(d));
	o = jq_keyi(o, i1, "answer_frame");
	o = jq_frame(o, dt_dns_answer_frame_of(d));
	o = jq_keyi(o, i1, "rcode");
	o = d->rcode >= 0 ? jq_int(o, d->rcode) : jq_null(o);
	o = jq_keyi(o, i1, "addresses");
	for (i = 0; i < d->n_addrs; i++) {
		/* written as inet_ntop() does: plain ASCII, under 46 bytes */
		dt_dns_addr(d, i, &a);
		n = jq_addr(ip, &a);
		_Static_assert(sizeof ip - 1 <= JQ_VALUE_MAX - 2,
		    "an address in a member's room");
		o = jq_begin_at(w, o, 4);
		*o = i == 0 ? '[' : ',';
		o = jq_ind(o + 1, i2);
		o = jq_name(o, ip, n);
	}
	o = jq_begin_at(w, o, 4);
	if (d->n_addrs == 0) {
		memcpy(o, "[]", 2);
		o += 2;
	} else {
		o = jq_shut(o, i1, ']');
	}
	o = jq_keyi(o, i1, "cname");
	o = jq_wire(w, o, d->cname, 2);
	o = jq_obj_end(o, i0);
	jq_end(w, o);
}

/* "dns" is at depth 4 of the document: its lookups' members at the
   indentation 11 have a copy of the run with it a constant, and so do
   jsonl's (0). w->ind 9 is never jsonl's: there it is 0. */
static inline __attribute__((always_inline)) void
jdns(struct jw *w, const struct dt_dns *d)
{
	if (w->ind == 9)
		jdns_(w, d, 9, 11, 13);
	else if (w->compact)
		jdns_(w, d, 0, 0, 0);
	else
		jdns_(w, d, w->ind, w->ind + w->step, w->ind + 2 * w->step);
}

static void
jhttp(struct jw *w, const struct dt_http *h)
{
	char *o = jq_begin(w, 8);

	o = jq_elem(w, o);
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "connection");
	o = h->conn ? jq_int(o, h->conn) : jq_null(o);
	o = jq_keyn(w, o, "request_frame");
	o = jq_frame(o, h->request_frame);
	o = jq_keyn(w, o, "response_frame");
	o = jq_frame(o, h->response_frame);
	o = jq_keyn(w, o, "method");
	o = jq_wire(w, o, h->method, 4);
	o = jq_keyn(w, o, "uri");
	o = jq_wire(w, o, h->uri, 4);
	o = jq_keyn(w, o, "host");
	o = jq_wire(w, o, h->host, 4);
	o = jq_keyn(w, o, "status");
	o = h->status >= 0 ? jq_int(o, h->status) : jq_null(o);
	o = jq_keyn(w, o, "status_line");
	o = jq_wire(w, o, h->status_line, 4);
	o = jq_keyn(w, o, "reset");
	o = jq_bool(o, h->conn_reset);
	o = jq_keyn(w, o, "no_answer");
	o = jq_bool(o, h->conn_no_answer);
	o = jq_close(w, o);
	jq_end(w, o);
}

/* The capture's header: what was read, its link types and errors. */
static void
jcapture_head(struct jw *w, const struct dt_capture *cap)
{
	size_t i;

	jw_wire(w, "path", cap->path);
	jw_wire(w, "format", cap->format);
	jw_uint(w, "packets", cap->packets);
	jw_uint(w, "distinct_packets",
	    cap->packets - cap->duplicate_sightings);
	jw_uint(w, "duplicate_sightings", cap->duplicate_sightings);
	jw_uint(w, "protected_80211_frames", cap->protected_80211);
	jw_uint(w, "bytes", cap->bytes);
	jw_arr(w, "link_types");
	for (i = 0; i < cap->n_linktypes; i++)
		jlinktype_name(w, NULL, &cap->linktypes[i]);
	jw_end(w);
	if (cap->packets) {
		jw_time(w, "first_time", cap->first_time);
		jw_time(w, "last_time", cap->last_time);
	} else {
		jw_null(w, "first_time");
		jw_null(w, "last_time");
	}
	jw_uint(w, "truncated_packets", cap->truncated_packets);
	jw_arr(w, "errors");
	for (i = 0; i < cap->n_errors; i++) {
		jw_obj(w, NULL);
		jw_uint(w, "offset", cap->errors[i].offset);
		jw_wire(w, "message", cap->errors[i].message);
		jw_end(w);
	}
	jw_end(w);
}

/* What was read besides packets: link types, tunnels, an ETL's records. */
static void
jcapture_extras(struct jw *w, const struct dt_capture *cap)
{
	size_t i;
	int tunnels = 0;

	jw_arr(w, "unsupported_link_types");
	for (i = 0; i < cap->n_linktypes; i++)
		if (!cap->linktypes[i].supported)
			jlinktype_name(w, NULL, &cap->linktypes[i]);
	jw_end(w);
	jw_arr(w, "link_type_counts");
	for (i = 0; i < cap->n_linktypes; i++) {
		jw_obj(w, NULL);
		jw_int(w, "linktype", cap->linktypes[i].linktype);
		jlinktype_name(w, "name", &cap->linktypes[i]);
		jw_uint(w, "packets", cap->linktypes[i].packets);
		jw_bool(w, "supported", cap->linktypes[i].supported);
		jw_end(w);
	}
	jw_end(w);
	jw_uint(w, "undecodable_packets", cap->undecodable);
	for (i = 1; i < DT_ENCAP_MAX; i++) {
		const struct dt_encap_count *e = &cap->encap[i];
		char ep[2 * DT_ADDR_STRLEN + 16];

		if (e->packets == 0 && e->unread == 0)
			continue;
		if (!tunnels++)
			jw_arr(w, "tunnels");
		jw_obj(w, NULL);
		jw_str(w, "type", dt_encap_name((int)i));
		jw_uint(w, "packets", e->packets);
		jw_uint(w, "not_decoded", e->unread);
		jw_uint(w, "first_frame", e->first_frame);
		dt_encap_endpoints(e, ep, sizeof ep);
		jw_str(w, "endpoints", ep);
		jw_end(w);
	}
	if (tunnels)
		jw_end(w);
	if (cap->n_providers > 0 || cap->system_records > 0) {
		/* an ETL file: every record, by provider */
		jw_arr(w, "event_providers");
		for (i = 0; i < cap->n_providers; i++) {
			jw_obj(w, NULL);
			jw_wire(w, "name", cap->providers[i].name);
			jw_str(w, "guid", cap->providers[i].guid);
			jw_uint(w, "events", cap->providers[i].events);
			jw_uint(w, "event_ids", cap->providers[i].ids);
			jw_uint(w, "decoded", cap->providers[i].decoded);
			jw_end(w);
		}
		jw_end(w);
		jw_uint(w, "system_records", cap->system_records);
		jw_winevents(w, cap);
	}
	if (cap->dropped_conns || cap->dropped_bytes ||
	    cap->fragments_dropped) {
		jw_obj(w, "dropped");
		jw_uint(w, "dropped_conns", cap->dropped_conns);
		jw_uint(w, "dropped_bytes", cap->dropped_bytes);
		jw_uint(w, "fragments_dropped", cap->fragments_dropped);
		jw_end(w);
	}
}

/*
 * The facts of the connections and lookups to come asked of memory while
 * this one is written: a day keeps hundreds of megabytes of them, each
 * connection's TLS facts and timeline allocated apart from it, and their
 * first reads (a string's length, the server name, the first event) were
 * where the writer waited. Three steps, each reading only what the step
 * before brought: the entry two ahead (it is read to find the next one),
 * the TLS facts, timeline and strings of the next but one, then the names
 * inside the next one's TLS facts. A prefetch of NULL is harmless.
 */
static void
prefetch_lines(const void *v, size_t n)
{
	const char *p = v;
	size_t i;

	for (i = 0; p != NULL && i < n; i += 64)
		__builtin_prefetch(p + i);
}

static void
prefetch_conns(const struct dt_conn *c)
{
	const struct dt_conn *c1 = c->next, *c2;

	if (c1 == NULL)
		return;
	if (c1->tls != NULL) {
		__builtin_prefetch(c1->tls->sni);
		__builtin_prefetch(dt_tls_http(c1->tls)->request.host);
	}
	if ((c2 = c1->next) == NULL)
		return;
	__builtin_prefetch(c2->next);
	__builtin_prefetch(c2->server_str);
	prefetch_lines(c2->tls, sizeof *c2->tls);
	prefetch_lines(c2->events, c2->n_events * sizeof *c2->events);
}

/* The records lie in a row: what they point to is what to ask for. */
static void
prefetch_dns(const struct dt_capture *cap, size_t i)
{
	const struct dt_dns *d1 = dt_capture_dns(cap, i + 1);

	if (d1 == NULL)
		return;
	__builtin_prefetch(d1->name);
	__builtin_prefetch(d1->cname);
	__builtin_prefetch(d1->addr_bytes);
}

/* One capture, its long lists written one element at a time. */
static void
jcapture(struct jw *w, const struct dt_capture *cap)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	const struct dt_conn *c;
	const struct dt_verdict *v;
	const struct dt_dns *d;
	const struct dt_http *h;
	uint64_t sev[3] = { 0, 0, 0 }, iphttps = 0;
	size_t i;

	w->capture_gen++;	/* nothing kept by address is this one's */
	jw_obj(w, NULL);
	jcapture_head(w, cap);
	jw_arr(w, "connections");
	for (c = cap->conns; c != NULL && w->err == 0; c = c->next) {
		dt_capture_spill_step(cap, &sw);
		iphttps += c->iphttps != 0;
		prefetch_conns(c);
		jw_conn(w, c);
	}
	jw_end(w);
	jw_arr(w, "verdicts");
	for (v = cap->verdicts; v != NULL && w->err == 0; v = v->next) {
		dt_capture_spill_step(cap, &sw);
		if ((unsigned)v->severity < 3)
			sev[v->severity]++;
		jverdict(w, v);
	}
	jw_end(w);

	/* extras */
	jcapture_extras(w, cap);
	jw_arr(w, "dns");
	for (i = 0; (d = dt_capture_dns(cap, i)) != NULL && w->err == 0; i++) {
		dt_capture_spill_step(cap, &sw);
		prefetch_dns(cap, i);
		jdns(w, d);
	}
	jw_end(w);
	jw_arr(w, "http");
	for (h = cap->http; h != NULL && w->err == 0; h = h->next)
		jhttp(w, h);
	jw_end(w);
	jw_obj(w, "summary");
	jw_uint(w, "connections", cap->n_conns);
	jw_uint(w, "iphttps_connections", iphttps);
	jw_uint(w, "midstream_connections", cap->midstream_conns);
	jw_uint(w, "errors", sev[DT_SEV_ERROR]);
	jw_uint(w, "warnings", sev[DT_SEV_WARNING]);
	jw_uint(w, "infos", sev[DT_SEV_INFO]);
	jw_end(w);
	jw_end(w);
}

/* {schema, tool, options, captures: [the captures from..to]} */
static void
jdoc(struct jw *w, const struct dt_report_run *run, size_t from, size_t to)
{
	static const uint16_t default_ports[] = { 443, 0 };
	const uint16_t *p;
	size_t i;

	jw_obj(w, NULL);
	jw_str(w, "schema", "datrace/1");
	jw_obj(w, "tool");
	jw_str(w, "name", "datrace");
	jw_str(w, "version", DT_VERSION_STRING);
	jw_end(w);
	jw_obj(w, "options");
	jw_wire(w, "host", run->host);
	jw_arr(w, "ports");
	for (p = run->ports != NULL ? run->ports : default_ports; *p != 0; p++)
		jw_int(w, NULL, *p);
	jw_end(w);
	jw_wire(w, "ca", run->ca_file);
	jw_wire(w, "expect_cert", run->expect_cert);
	jw_wire(w, "filter", run->filter);
	jw_bool(w, "all", run->all);
	jw_end(w);
	jw_arr(w, "captures");
	for (i = from; i < to && w->err == 0; i++) {
		jcapture(w, run->caps[i]);
		/* what it read leaves with it: the next capture's walks
		   look only at their own spill */
		dt_capture_spill_drop(run->caps[i]);
	}
	jw_end(w);
	jw_end(w);
}

int
dt_report_json(const struct dt_report_run *run, FILE *fp, int lines)
{
	struct dt_mem mem;
	struct jw w;
	size_t i;
	int err;

	/* the output buffer comes from the caller's allocator (the first
	   capture's), counted apart from the capture, never under its cap */
	dt_mem_reader(&mem, run->n_caps > 0 ? run->caps[0]->mem : NULL);
	if (jw_init(&w, fp, &mem, lines) != 0)
		return jw_finish(&w);
	/* one document for the run, or one line per capture */
	for (i = 0; lines ? i < run->n_caps : i == 0; i++) {
		if (w.err != 0)
			break;
		if (lines)
			jdoc(&w, run, i, i + 1);
		else
			jdoc(&w, run, 0, run->n_caps);
		jw_raw(&w, "\n", 1);
	}
	err = jw_finish(&w);
	if (err == 0 && (fflush(fp) != 0 || ferror(fp)))
		err = DT_EIO;
	return err;
}
