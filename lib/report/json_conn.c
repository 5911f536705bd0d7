/*
 * One connection's entry in "connections" (SPEC §4): addresses, the TCP
 * facts (RFC 9293 handshake, resets, FINs, TTLs), the TLS facts (RFC 5246
 * 7.4 / RFC 8446 4 handshake messages, RFC 5246 7.2 alerts, the
 * certificates of RFC 5280, the NULL-cipher HTTP heads of MS-IPHTTPS) and
 * the timeline, SPEC keys first in SPEC order, then the extras. Versions,
 * suites and alerts are named by tls/names.c, like in every report.
 */
#include "report/json_int.h"

#include <string.h>

#include "tls/tls.h"

static json_t *
jtime_sec(int64_t sec)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time_sec(sec, buf, sizeof buf) != 0)
		return json_null();
	return json_string(buf);
}

static json_t *
jstrv(struct jb *b, char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		jb_push(b, a, jb_str(b, v[i]));
	return a;
}

/* A 16-bit code point as SPEC writes suites: "0x003B". */
static json_t *
jhex16(uint16_t v)
{
	char buf[8];

	snprintf(buf, sizeof buf, "0x%04X", v);
	return json_string(buf);
}

/* An inline list of 16-bit code points as "0x0403" strings. */
static json_t *
ju16v(struct jb *b, const uint16_t *v, size_t n, size_t max)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n && i < max; i++)
		jb_push(b, a, jhex16(v[i]));
	return a;
}

static json_t *
jversion(uint16_t v)
{
	char buf[DT_TLS_NAME_LEN];

	return json_string(dt_tls_version_str(v, buf, sizeof buf));
}

static json_t *
jsuite(struct jb *b, uint16_t suite)
{
	json_t *o = json_object();
	const char *name = dt_tls_suite_name(suite);

	jb_set(b, o, "id", jhex16(suite));
	jb_set(b, o, "name", name != NULL ? json_string(name) : json_null());
	return o;
}

/* An SSLv2-format hello's cipher spec: "0x010080" and its name. */
static json_t *
jsslv2_spec(struct jb *b, uint32_t spec)
{
	json_t *o = json_object();
	const char *name = dt_tls_sslv2_spec_name(spec);
	char id[16];

	snprintf(id, sizeof id, "0x%06X", (unsigned)spec);
	jb_set(b, o, "id", json_string(id));
	jb_set(b, o, "name", name != NULL ? json_string(name) : json_null());
	return o;
}

/* level, description and code of an alert; all null when encrypted. */
static void
alert_fields(struct jb *b, json_t *o, int encrypted, uint8_t level,
    uint8_t desc)
{
	const char *name = dt_tls_alert_name(desc);

	if (encrypted) {
		jb_set(b, o, "level", json_null());
		jb_set(b, o, "description", json_null());
		jb_set(b, o, "code", json_null());
	} else {
		jb_set(b, o, "level", dt_tls_alert_level_name(level) != NULL ?
		    json_string(dt_tls_alert_level_name(level)) : json_null());
		jb_set(b, o, "description",
		    name != NULL ? json_string(name) : json_null());
		jb_set(b, o, "code", json_integer(desc));
	}
	jb_set(b, o, "encrypted", json_boolean(encrypted));
}

static json_t *
jevent(struct jb *b, const struct dt_event *ev)
{
	json_t *o = json_object();

	jb_set(b, o, "frame", jb_int(ev->frame));
	jb_set(b, o, "time", jb_time(ev->time));
	jb_set(b, o, "from", json_string(dt_report_dir_name(ev->dir)));
	jb_set(b, o, "type", json_string(dt_report_msg_name(ev)));
	switch (ev->type) {
	case DT_EV_TLS_ALERT: {
		uint8_t level, desc;
		int plain = dt_ev_alert(ev, &level, &desc);

		alert_fields(b, o, !plain, level, desc);
		break;
	}
	case DT_EV_HTTP_RESPONSE:
		jb_set(b, o, "status", jb_int(ev->b));
		break;
	case DT_EV_GAP:
	case DT_EV_TLS_ENCRYPTED:
		jb_set(b, o, "bytes", jb_int(ev->b));
		break;
	case DT_EV_SYN:
	case DT_EV_SYNACK:
		jb_set(b, o, "retransmission", json_boolean(ev->a != 0));
		break;
	case DT_EV_RST:
		jb_set(b, o, "before_synack", json_boolean(ev->a == 1));
		jb_set(b, o, "peer_bytes", jb_int(ev->b));
		break;
	case DT_EV_FIN:
		jb_set(b, o, "bytes_before", jb_int(ev->b));
		break;
	case DT_EV_TLS_HANDSHAKE:
		if (dt_ev_hs_encrypted(ev))
			jb_set(b, o, "encrypted", json_true());
		if (ev->b & DT_TLS_HS_REPEAT)
			jb_set(b, o, "repeated", json_true());
		break;
	case DT_EV_TLS_UPGRADE:
		jb_set(b, o, "protocol",
		    json_string(dt_tls_preamble_id(ev->a)));
		break;
	case DT_EV_TLS_RECORD:
		jb_set(b, o, "content_type", jb_int(ev->a));
		jb_set(b, o, "bytes", jb_int(ev->b));
		break;
	case DT_EV_TLS_RESYNC:
		jb_set(b, o, "bytes_skipped", jb_int(ev->b));
		break;
	default:
		break;
	}
	return o;
}

static json_t *
jcert(struct jb *b, const struct dt_cert *x)
{
	json_t *o = json_object();

	jb_set(b, o, "subject", jb_str(b, x->subject));
	jb_set(b, o, "issuer", jb_str(b, x->issuer));
	jb_set(b, o, "sha256", x->sha256[0] != '\0' ? jb_str(b, x->sha256) :
	    json_null());
	jb_set(b, o, "not_before", x->parse_error == NULL ?
	    jtime_sec(x->not_before) : json_null());
	jb_set(b, o, "not_after", x->parse_error == NULL ?
	    jtime_sec(x->not_after) : json_null());
	jb_set(b, o, "dns_names", jstrv(b, x->dns_names, x->n_dns_names));
	jb_set(b, o, "crl_urls", jstrv(b, x->crl_urls, x->n_crl_urls));
	jb_set(b, o, "self_signed", json_boolean(x->self_signed));
	jb_set(b, o, "common_name", jb_str(b, x->common_name));
	jb_set(b, o, "serial", jb_str(b, x->serial));
	jb_set(b, o, "ip_addresses", jstrv(b, x->ip_addrs, x->n_ip_addrs));
	jb_set(b, o, "aia_urls", jstrv(b, x->aia_urls, x->n_aia_urls));
	jb_set(b, o, "server_auth", json_boolean(x->server_auth));
	jb_set(b, o, "client_auth", json_boolean(x->client_auth));
	jb_set(b, o, "key_type", jb_str(b, x->key_type));
	jb_set(b, o, "key_bits", json_integer(x->key_bits));
	jb_set(b, o, "signature_algorithm", jb_str(b, x->sig_alg));
	jb_set(b, o, "parse_error", jb_str(b, x->parse_error));
	return o;
}

static json_t *
jcerts(struct jb *b, const struct dt_cert *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		jb_push(b, a, jcert(b, &v[i]));
	return a;
}

/* "h2,http/1.1" -> ["h2", "http/1.1"] */
static json_t *
jalpn(struct jb *b, const char *alpn)
{
	json_t *a;
	const char *p, *q;
	char *one;

	if (alpn == NULL)
		return json_null();
	a = json_array();
	for (p = alpn; ; p = q + 1) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		one = dt_strndup(b->mem, p, (size_t)(q - p));
		if (one == NULL) {
			b->err = 1;
			break;
		}
		jb_push(b, a, jb_str(b, one));
		dt_free(b->mem, one);
		if (*q == '\0')
			break;
	}
	return a;
}

static json_t *
jhttp_msg(struct jb *b, const struct dt_http_msg *h, int response)
{
	json_t *o;

	if (h->frame == 0)
		return json_null();
	o = json_object();
	jb_set(b, o, "frame", jb_int(h->frame));
	jb_set(b, o, "line", jb_str(b, h->line));
	if (response)
		jb_set(b, o, "status", json_integer(h->status));
	jb_set(b, o, "host", jb_str(b, h->host));
	jb_set(b, o, "server", jb_str(b, h->server));
	jb_set(b, o, "content_length", jb_str(b, h->content_length));
	return o;
}

static json_t *
jtls(struct jb *b, const struct dt_conn *c)
{
	const struct dt_tls_facts *t = &c->tls;
	json_t *o, *a, *x;
	size_t i;
	int d;

	if (!t->seen && t->ch_frame == 0 && t->non_tls_frame == 0 &&
	    t->malformed_frame == 0)
		return json_null();
	o = json_object();

	/* SPEC §4 keys, in its order */
	a = json_array();
	for (i = 0; i < t->n_client_versions; i++)
		jb_push(b, a, jversion(t->client_versions[i]));
	jb_set(b, o, "client_versions", a);
	jb_set(b, o, "version", t->sh_frame != 0 ? jversion(t->version) :
	    json_null());
	a = json_array();
	for (i = 0; i < t->n_offered_suites; i++)
		jb_push(b, a, jsuite(b, t->offered_suites[i]));
	jb_set(b, o, "offered_suites", a);
	jb_set(b, o, "offered_null", json_boolean(t->offered_null));
	/* an SSL 2.0 SERVER-HELLO (version 0x0002) chooses no TLS suite */
	jb_set(b, o, "suite", t->sh_frame != 0 && t->version >= 0x0300 ?
	    jsuite(b, t->suite) : json_null());

	a = json_array();
	for (i = 0; i < c->n_events; i++)
		if (dt_report_event_is_tls(&c->events[i]))
			jb_push(b, a, jevent(b, &c->events[i]));
	jb_set(b, o, "messages", a);

	if (t->alert_frame != 0) {
		x = json_object();
		jb_set(b, x, "frame", jb_int(t->alert_frame));
		jb_set(b, x, "from",
		    json_string(dt_report_dir_name(t->alert_dir)));
		alert_fields(b, x, t->alert_encrypted, t->alert_level,
		    t->alert_desc);
	} else {
		x = json_null();
	}
	jb_set(b, o, "alert", x);

	jb_set(b, o, "server_certificates",
	    jcerts(b, t->server_certs, t->n_server_certs));
	if (t->cert_request_frame != 0) {
		x = json_object();
		jb_set(b, x, "frame", jb_int(t->cert_request_frame));
		jb_set(b, x, "ca_names", jstrv(b, t->ca_names, t->n_ca_names));
		a = json_array();
		for (i = 0; i < t->n_cr_cert_types &&
		    i < sizeof t->cr_cert_types; i++)
			jb_push(b, a, json_integer(t->cr_cert_types[i]));
		jb_set(b, x, "certificate_types", a);
		jb_set(b, x, "signature_algorithms", ju16v(b, t->cr_sig_algs,
		    t->n_cr_sig_algs,
		    sizeof t->cr_sig_algs / sizeof t->cr_sig_algs[0]));
	} else {
		x = json_null();
	}
	jb_set(b, o, "certificate_request", x);
	jb_set(b, o, "client_certificate",
	    json_string(dt_report_client_cert_name(t->client_cert)));

	/* extras */
	jb_set(b, o, "client_hello_frame", jb_frame(t->ch_frame));
	jb_set(b, o, "client_hello_version", t->ch_frame != 0 ?
	    jversion(t->ch_legacy_version) : json_null());
	jb_set(b, o, "record_version", t->record_version != 0 ?
	    jversion(t->record_version) : json_null());
	jb_set(b, o, "offered_only_null", json_boolean(t->offered_only_null));
	jb_set(b, o, "sni", jb_str(b, t->sni));
	jb_set(b, o, "alpn", jalpn(b, t->alpn));
	a = json_array();
	for (i = 0; i < t->n_extensions; i++)
		jb_push(b, a, json_integer(t->extensions[i]));
	jb_set(b, o, "extensions", a);
	jb_set(b, o, "supported_groups", ju16v(b, t->ch_groups, t->n_ch_groups,
	    sizeof t->ch_groups / sizeof t->ch_groups[0]));
	jb_set(b, o, "signature_algorithms", ju16v(b, t->ch_sig_algs,
	    t->n_ch_sig_algs, sizeof t->ch_sig_algs / sizeof t->ch_sig_algs[0]));
	jb_set(b, o, "renegotiation_info", json_boolean(t->ch_reneg_info));
	jb_set(b, o, "extended_master_secret", json_boolean(t->ch_ems));
	jb_set(b, o, "status_request", json_boolean(t->ch_status_request));
	jb_set(b, o, "sslv2_hello", json_boolean(t->sslv2_hello));
	jb_set(b, o, "server_hello_frame", jb_frame(t->sh_frame));
	jb_set(b, o, "hello_retry_request", json_boolean(t->hrr));
	jb_set(b, o, "resumed", json_boolean(t->resumed));
	jb_set(b, o, "alerts", json_integer(t->n_alerts));
	jb_set(b, o, "server_certificate_frame",
	    jb_frame(t->server_cert_frame));
	jb_set(b, o, "certificates_visible",
	    json_boolean(!t->certs_not_visible));
	jb_set(b, o, "chain", json_string(dt_report_chain_name(t->chain)));
	jb_set(b, o, "chain_error", jb_str(b, t->chain_error));
	jb_set(b, o, "client_certificate_frame",
	    jb_frame(t->client_cert_frame));
	jb_set(b, o, "client_certificates",
	    jcerts(b, t->client_certs, t->n_client_certs));
	jb_set(b, o, "server_hello_done_frame",
	    jb_frame(t->server_hello_done_frame));
	jb_set(b, o, "change_cipher_spec",
	    jb_dirpair(b, jb_frame(t->ccs_frame[0]),
	    jb_frame(t->ccs_frame[1])));
	jb_set(b, o, "finished", jb_dirpair(b, jb_frame(t->finished_frame[0]),
	    jb_frame(t->finished_frame[1])));
	x = json_object();
	for (d = 0; d < 2; d++) {
		json_t *ad = json_object();

		jb_set(b, ad, "frame", jb_frame(t->appdata_frame[d]));
		jb_set(b, ad, "bytes", jb_int(t->appdata_bytes[d]));
		jb_set(b, ad, "records", jb_int(t->appdata_records[d]));
		jb_set(b, x, dt_report_dir_name(d), ad);
	}
	jb_set(b, o, "application_data", x);
	if (t->non_tls_frame != 0) {
		x = json_object();
		jb_set(b, x, "frame", jb_int(t->non_tls_frame));
		jb_set(b, x, "from",
		    json_string(dt_report_dir_name(t->non_tls_dir)));
		jb_set(b, x, "line", jb_str(b, t->non_tls_line));
	} else {
		x = json_null();
	}
	jb_set(b, o, "non_tls", x);
	if (t->malformed_frame != 0) {
		x = json_object();
		jb_set(b, x, "frame", jb_int(t->malformed_frame));
		jb_set(b, x, "from",
		    json_string(dt_report_dir_name(t->malformed_dir)));
		jb_set(b, x, "reason", jb_str(b, t->malformed));
	} else {
		x = json_null();
	}
	jb_set(b, o, "malformed", x);
	/* keys present only when there is something to say (issue 17) */
	if (t->preamble != DT_PRE_NONE) {
		x = json_object();
		jb_set(b, x, "protocol",
		    json_string(dt_tls_preamble_id(t->preamble)));
		jb_set(b, x, "name",
		    json_string(dt_tls_preamble_name(t->preamble)));
		jb_set(b, x, "frame", jb_int(t->preamble_frame));
		jb_set(b, o, "preamble", x);
	}
	if (t->preamble_refused_frame != 0) {
		x = json_object();
		jb_set(b, x, "asked_frame", jb_int(t->preamble_asked_frame));
		jb_set(b, x, "frame", jb_int(t->preamble_refused_frame));
		jb_set(b, x, "line", jb_str(b, t->preamble_refused_line));
		jb_set(b, o, "preamble_refused", x);
	}
	if (t->n_violations > 1)
		jb_set(b, o, "violations", jb_int(t->n_violations));
	if (t->resync_frame != 0) {
		x = json_object();
		jb_set(b, x, "frame", jb_int(t->resync_frame));
		jb_set(b, x, "from",
		    json_string(dt_report_dir_name(t->resync_dir)));
		jb_set(b, x, "bytes_skipped", jb_int(t->resync_skipped));
		jb_set(b, o, "resync", x);
	}
	if (t->n_heartbeats > 0)
		jb_set(b, o, "heartbeat_records", jb_int(t->n_heartbeats));
	if (t->n_unknown_records > 0)
		jb_set(b, o, "unknown_records", jb_int(t->n_unknown_records));
	if (t->n_client_hellos > 1)
		jb_set(b, o, "client_hellos", jb_int(t->n_client_hellos));
	if (t->n_sslv2_specs > 0) {
		a = json_array();
		for (i = 0; i < t->n_sslv2_specs; i++)
			jb_push(b, a, jsslv2_spec(b, t->sslv2_specs[i]));
		jb_set(b, o, "sslv2_cipher_specs", a);
	}
	x = json_object();
	jb_set(b, x, "request", jhttp_msg(b, &t->http_request, 0));
	jb_set(b, x, "response", jhttp_msg(b, &t->http_response, 1));
	jb_set(b, o, "http", x);
	jb_set(b, o, "truncated", json_boolean(t->truncated));
	jb_set(b, o, "truncated_frame", jb_frame(t->truncated_frame));
	return o;
}

static json_t *
jtcp(struct jb *b, const struct dt_conn *c)
{
	json_t *o = json_object(), *x;

	jb_set(b, o, "state", json_string(dt_report_state_name(c->state)));
	jb_set(b, o, "roles_from_syn", json_boolean(c->roles_from_syn));
	jb_set(b, o, "syn_frame", jb_frame(c->syn_frame));
	jb_set(b, o, "syn_count", json_integer(c->syn_count));
	jb_set(b, o, "synack_frame", jb_frame(c->synack_frame));
	if (c->rst_frame != 0) {
		x = json_object();
		jb_set(b, x, "frame", jb_int(c->rst_frame));
		jb_set(b, x, "from",
		    json_string(dt_report_dir_name(c->rst_dir)));
	} else {
		x = json_null();
	}
	jb_set(b, o, "rst", x);
	jb_set(b, o, "fin", jb_dirpair(b, jb_frame(c->fin_frame[0]),
	    jb_frame(c->fin_frame[1])));
	x = json_object();
	jb_set(b, x, "syn",
	    c->ttl_syn ? json_integer(c->ttl_syn) : json_null());
	jb_set(b, x, "synack", c->ttl_synack ? json_integer(c->ttl_synack) :
	    json_null());
	jb_set(b, x, "server_data", c->ttl_server_data ?
	    json_integer(c->ttl_server_data) : json_null());
	jb_set(b, x, "server_data_min", c->ttl_server_data ?
	    json_integer(c->ttl_server_data_min) : json_null());
	jb_set(b, x, "server_data_max", c->ttl_server_data ?
	    json_integer(c->ttl_server_data_max) : json_null());
	jb_set(b, o, "ttl", x);
	jb_set(b, o, "bytes",
	    jb_dirpair(b, jb_int(c->bytes[0]), jb_int(c->bytes[1])));
	jb_set(b, o, "packets", jb_dirpair(b, jb_int(c->packets[0]),
	    jb_int(c->packets[1])));
	jb_set(b, o, "retransmissions", json_integer(c->retransmissions));
	jb_set(b, o, "gap_bytes", jb_dirpair(b, jb_int(c->gap_bytes[0]),
	    jb_int(c->gap_bytes[1])));
	jb_set(b, o, "truncated", json_boolean(c->truncated));
	return o;
}

json_t *
jb_conn(struct jb *b, const struct dt_conn *c)
{
	json_t *o = json_object(), *a;
	size_t i;

	jb_set(b, o, "id", json_integer(c->id));
	jb_set(b, o, "client", jb_str(b, c->client_str));
	jb_set(b, o, "server", jb_str(b, c->server_str));
	jb_set(b, o, "server_name", jb_str(b, dt_facts_server_name(c)));
	jb_set(b, o, "iphttps", json_boolean(c->iphttps));
	jb_set(b, o, "iphttps_score", json_integer(c->iphttps_score));
	jb_set(b, o, "iphttps_reason", jb_str(b, c->iphttps_reason));
	jb_set(b, o, "first_frame", jb_int(c->first_frame));
	jb_set(b, o, "last_frame", jb_int(c->last_frame));
	jb_set(b, o, "wireshark_filter",
	    jb_str(b, c->wireshark_filter));
	jb_set(b, o, "tcp", jtcp(b, c));
	jb_set(b, o, "tls", jtls(b, c));
	jb_set(b, o, "tunnel", jb_tunnel(b, c));
	/* extras */
	jb_set(b, o, "first_time", c->first_frame ? jb_time(c->first_time) :
	    json_null());
	jb_set(b, o, "last_time", c->last_frame ? jb_time(c->last_time) :
	    json_null());
	a = json_array();
	for (i = 0; i < c->n_events; i++)
		jb_push(b, a, jevent(b, &c->events[i]));
	jb_set(b, o, "timeline", a);
	jb_set(b, o, "timeline_dropped", json_integer(c->events_dropped));
	return o;
}
