/*
 * One connection's entry in "connections" (SPEC §4): addresses, the TCP
 * facts (RFC 9293 handshake, resets, FINs, TTLs), the TLS facts (RFC 5246
 * 7.4 / RFC 8446 4 handshake messages, RFC 5246 7.2 alerts, the
 * certificates of RFC 5280, the NULL-cipher HTTP heads of MS-IPHTTPS) and
 * the timeline, SPEC keys first in SPEC order, then the extras. Versions,
 * suites and alerts are named by tls/names.c, like in every report.
 */
#include "report/json_val.h"

#include <string.h>

#include "tls/tls.h"

static void
jstrv(struct jw *w, const char *key, char *const *v, size_t n)
{
	size_t i;

	jw_arr(w, key);
	for (i = 0; i < n; i++)
		jw_wire(w, NULL, v[i]);
	jw_end(w);
}

/* A 16-bit code point as SPEC writes suites: "0x003B" (without
   snprintf(): a hello lists dozens). */
static void
jhex16(struct jw *w, const char *key, uint16_t v)
{
	static const char hex[] = "0123456789ABCDEF";
	char buf[7] = { '0', 'x', hex[v >> 12], hex[v >> 8 & 0xf],
	    hex[v >> 4 & 0xf], hex[v & 0xf], '\0' };

	jw_name_k(w, key, JW_KLEN(key), buf, 6);
}

/* An inline list of 16-bit code points as "0x0403" strings. */
static void
ju16v(struct jw *w, const char *key, const uint16_t *v, size_t n, size_t max)
{
	size_t i;

	jw_arr(w, key);
	for (i = 0; i < n && i < max; i++)
		jhex16(w, NULL, v[i]);
	jw_end(w);
}

/* "TLS 1.2", or "0x7F1C" for a version without a name (as
   dt_tls_version_str() writes it, without its snprintf()). */
static void
jversion(struct jw *w, const char *key, uint16_t v)
{
	const char *name = dt_tls_version_name(v);

	if (name != NULL)
		jw_str(w, key, name);
	else
		jhex16(w, key, v);
}

/* A name we may not have: null. */
static void
jname(struct jw *w, const char *key, const char *name)
{
	if (name != NULL)
		jw_str(w, key, name);
	else
		jw_null(w, key);
}

static void
jsuite(struct jw *w, const char *key, uint16_t suite)
{
	jw_obj(w, key);
	jhex16(w, "id", suite);
	jname(w, "name", dt_tls_suite_name(suite));
	jw_end(w);
}

/* An SSLv2-format hello's cipher spec: "0x010080" and its name. */
static void
jsslv2_spec(struct jw *w, uint32_t spec)
{
	char id[16];

	snprintf(id, sizeof id, "0x%06X", (unsigned)spec);
	jw_obj(w, NULL);
	jw_str(w, "id", id);
	jname(w, "name", dt_tls_sslv2_spec_name(spec));
	jw_end(w);
}

/* level, description and code of an alert; all null when encrypted. */
static void
alert_fields(struct jw *w, int encrypted, uint8_t level, uint8_t desc)
{
	if (encrypted) {
		jw_null(w, "level");
		jw_null(w, "description");
		jw_null(w, "code");
	} else {
		jname(w, "level", dt_tls_alert_level_name(level));
		jname(w, "description", dt_tls_alert_name(desc));
		jw_int(w, "code", desc);
	}
	jw_bool(w, "encrypted", encrypted);
}

static void
jevent(struct jw *w, const struct dt_event *ev)
{
	jw_obj(w, NULL);
	jw_uint(w, "frame", ev->frame);
	jw_time(w, "time", ev->time);
	jw_name(w, "from", dt_report_dir_name(ev->dir));
	jw_name(w, "type", dt_report_msg_name(ev));
	switch (ev->type) {
	case DT_EV_TLS_ALERT: {
		uint8_t level, desc;
		int plain = dt_ev_alert(ev, &level, &desc);

		alert_fields(w, !plain, level, desc);
		break;
	}
	case DT_EV_HTTP_RESPONSE:
		jw_uint(w, "status", ev->b);
		break;
	case DT_EV_GAP:
	case DT_EV_TLS_ENCRYPTED:
		jw_uint(w, "bytes", ev->b);
		break;
	case DT_EV_SYN:
	case DT_EV_SYNACK:
		jw_bool(w, "retransmission", ev->a != 0);
		break;
	case DT_EV_RST:
		jw_bool(w, "before_synack", ev->a == 1);
		jw_uint(w, "peer_bytes", ev->b);
		break;
	case DT_EV_FIN:
		jw_uint(w, "bytes_before", ev->b);
		break;
	case DT_EV_TLS_HANDSHAKE:
		if (dt_ev_hs_encrypted(ev))
			jw_bool(w, "encrypted", 1);
		if (ev->b & DT_TLS_HS_REPEAT)
			jw_bool(w, "repeated", 1);
		break;
	case DT_EV_TLS_UPGRADE:
		jw_str(w, "protocol", dt_tls_preamble_id(ev->a));
		break;
	case DT_EV_TLS_RECORD:
		jw_uint(w, "content_type", ev->a);
		jw_uint(w, "bytes", ev->b);
		break;
	case DT_EV_TLS_RESYNC:
		jw_uint(w, "bytes_skipped", ev->b);
		break;
	default:
		break;
	}
	jw_end(w);
}

static void
jcert(struct jw *w, const struct dt_cert *x)
{
	jw_obj(w, NULL);
	jw_wire(w, "subject", x->subject);
	jw_wire(w, "issuer", x->issuer);
	if (x->sha256[0] != '\0')
		jw_wire(w, "sha256", x->sha256);
	else
		jw_null(w, "sha256");
	if (x->parse_error == NULL) {
		jw_time_sec(w, "not_before", x->not_before);
		jw_time_sec(w, "not_after", x->not_after);
	} else {
		jw_null(w, "not_before");
		jw_null(w, "not_after");
	}
	jstrv(w, "dns_names", x->dns_names, x->n_dns_names);
	jstrv(w, "crl_urls", x->crl_urls, x->n_crl_urls);
	jw_bool(w, "self_signed", x->self_signed);
	jw_wire(w, "common_name", x->common_name);
	jw_wire(w, "serial", x->serial);
	jstrv(w, "ip_addresses", x->ip_addrs, x->n_ip_addrs);
	jstrv(w, "aia_urls", x->aia_urls, x->n_aia_urls);
	jw_bool(w, "server_auth", x->server_auth);
	jw_bool(w, "client_auth", x->client_auth);
	jw_wire(w, "key_type", x->key_type);
	jw_int(w, "key_bits", x->key_bits);
	jw_wire(w, "signature_algorithm", x->sig_alg);
	jw_wire(w, "parse_error", x->parse_error);
	jw_end(w);
}

static void
jcerts(struct jw *w, const char *key, const struct dt_cert *v, size_t n)
{
	size_t i;

	jw_arr(w, key);
	for (i = 0; i < n; i++)
		jcert(w, &v[i]);
	jw_end(w);
}

/* "h2,http/1.1" -> ["h2", "http/1.1"] */
static void
jalpn(struct jw *w, const char *alpn)
{
	const char *p, *q;

	if (alpn == NULL) {
		jw_null(w, "alpn");
		return;
	}
	jw_arr(w, "alpn");
	for (p = alpn; ; p = q + 1) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		jw_wiren(w, NULL, p, (size_t)(q - p));
		if (*q == '\0')
			break;
	}
	jw_end(w);
}

static void
jhttp_msg(struct jw *w, const char *key, const struct dt_http_msg *h,
    int response)
{
	if (h->frame == 0) {
		jw_null(w, key);
		return;
	}
	jw_obj(w, key);
	jw_uint(w, "frame", h->frame);
	jw_wire(w, "line", h->line);
	if (response)
		jw_int(w, "status", h->status);
	jw_wire(w, "host", h->host);
	jw_wire(w, "server", h->server);
	jw_wire(w, "content_length", h->content_length);
	jw_end(w);
}

/* SPEC §4 keys of "tls", in its order. */
static void
jtls_spec(struct jw *w, const struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	size_t i;

	jw_arr(w, "client_versions");
	for (i = 0; i < t->n_client_versions; i++)
		jversion(w, NULL, t->client_versions[i]);
	jw_end(w);
	if (t->sh_frame != 0)
		jversion(w, "version", t->version);
	else
		jw_null(w, "version");
	jw_arr(w, "offered_suites");
	for (i = 0; i < t->n_offered_suites; i++)
		jsuite(w, NULL, t->offered_suites[i]);
	jw_end(w);
	jw_bool(w, "offered_null", t->offered_null);
	/* an SSL 2.0 SERVER-HELLO (version 0x0002) chooses no TLS suite */
	if (t->sh_frame != 0 && t->version >= 0x0300)
		jsuite(w, "suite", t->suite);
	else
		jw_null(w, "suite");

	jw_arr(w, "messages");
	for (i = 0; i < c->n_events; i++)
		if (dt_report_event_is_tls(&c->events[i]))
			jevent(w, &c->events[i]);
	jw_end(w);

	if (t->alert_frame != 0) {
		jw_obj(w, "alert");
		jw_uint(w, "frame", t->alert_frame);
		jw_name(w, "from", dt_report_dir_name(t->alert_dir));
		alert_fields(w, t->alert_encrypted, t->alert_level,
		    t->alert_desc);
		jw_end(w);
	} else {
		jw_null(w, "alert");
	}

	jcerts(w, "server_certificates", t->server_certs, t->n_server_certs);
	if (t->cert_request_frame != 0) {
		jw_obj(w, "certificate_request");
		jw_uint(w, "frame", t->cert_request_frame);
		jstrv(w, "ca_names", t->ca_names, t->n_ca_names);
		jw_arr(w, "certificate_types");
		for (i = 0; i < t->n_cr_cert_types &&
		    i < DT_CR_CERT_TYPES_MAX; i++)
			jw_int(w, NULL, t->cr_cert_types[i]);
		jw_end(w);
		ju16v(w, "signature_algorithms", t->cr_sig_algs,
		    t->n_cr_sig_algs,
		    DT_CR_SIG_ALGS_MAX);
		jw_end(w);
	} else {
		jw_null(w, "certificate_request");
	}
	jw_str(w, "client_certificate",
	    dt_report_client_cert_name(t->client_cert));
}

/* The keys present only when there is something to say (issue 17). */
static void
jtls_extra(struct jw *w, const struct dt_tls_facts *t)
{
	size_t i;

	if (t->preamble != DT_PRE_NONE) {
		jw_obj(w, "preamble");
		jw_str(w, "protocol", dt_tls_preamble_id(t->preamble));
		jw_str(w, "name", dt_tls_preamble_name(t->preamble));
		jw_uint(w, "frame", t->preamble_frame);
		jw_end(w);
	}
	if (t->preamble_refused_frame != 0) {
		jw_obj(w, "preamble_refused");
		jw_uint(w, "asked_frame", t->preamble_asked_frame);
		jw_uint(w, "frame", t->preamble_refused_frame);
		jw_wire(w, "line", t->preamble_refused_line);
		jw_end(w);
	}
	if (t->n_violations > 1)
		jw_uint(w, "violations", t->n_violations);
	if (t->resync_frame != 0) {
		jw_obj(w, "resync");
		jw_uint(w, "frame", t->resync_frame);
		jw_name(w, "from", dt_report_dir_name(t->resync_dir));
		jw_uint(w, "bytes_skipped", t->resync_skipped);
		jw_end(w);
	}
	if (t->n_heartbeats > 0)
		jw_uint(w, "heartbeat_records", t->n_heartbeats);
	if (t->n_unknown_records > 0)
		jw_uint(w, "unknown_records", t->n_unknown_records);
	if (t->n_client_hellos > 1)
		jw_uint(w, "client_hellos", t->n_client_hellos);
	if (t->n_sslv2_specs > 0) {
		jw_arr(w, "sslv2_cipher_specs");
		for (i = 0; i < t->n_sslv2_specs; i++)
			jsslv2_spec(w, t->sslv2_specs[i]);
		jw_end(w);
	}
}

static void
jtls(struct jw *w, const struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	size_t i;
	int d;

	if (!t->seen && t->ch_frame == 0 && t->non_tls_frame == 0 &&
	    t->malformed_frame == 0) {
		jw_null(w, "tls");
		return;
	}
	jw_obj(w, "tls");
	jtls_spec(w, c);

	/* extras */
	jw_frame(w, "client_hello_frame", t->ch_frame);
	if (t->ch_frame != 0)
		jversion(w, "client_hello_version", t->ch_legacy_version);
	else
		jw_null(w, "client_hello_version");
	if (t->record_version != 0)
		jversion(w, "record_version", t->record_version);
	else
		jw_null(w, "record_version");
	jw_bool(w, "offered_only_null", t->offered_only_null);
	jw_wire(w, "sni", t->sni);
	jalpn(w, t->alpn);
	jw_arr(w, "extensions");
	for (i = 0; i < t->n_extensions; i++)
		jw_int(w, NULL, t->extensions[i]);
	jw_end(w);
	ju16v(w, "supported_groups", t->ch_groups, t->n_ch_groups,
	    DT_CH_GROUPS_MAX);
	ju16v(w, "signature_algorithms", t->ch_sig_algs, t->n_ch_sig_algs,
	    DT_CH_SIG_ALGS_MAX);
	jw_bool(w, "renegotiation_info", t->ch_reneg_info);
	jw_bool(w, "extended_master_secret", t->ch_ems);
	jw_bool(w, "status_request", t->ch_status_request);
	jw_bool(w, "sslv2_hello", t->sslv2_hello);
	jw_frame(w, "server_hello_frame", t->sh_frame);
	jw_bool(w, "hello_retry_request", t->hrr);
	jw_bool(w, "resumed", t->resumed);
	jw_int(w, "alerts", t->n_alerts);
	jw_frame(w, "server_certificate_frame", t->server_cert_frame);
	jw_bool(w, "certificates_visible", !t->certs_not_visible);
	jw_str(w, "chain", dt_report_chain_name(t->chain));
	jw_wire(w, "chain_error", t->chain_error);
	jw_frame(w, "client_certificate_frame", t->client_cert_frame);
	jcerts(w, "client_certificates", t->client_certs, t->n_client_certs);
	jw_frame(w, "server_hello_done_frame", t->server_hello_done_frame);
	jw_frame_pair(w, "change_cipher_spec", t->ccs_frame[0],
	    t->ccs_frame[1]);
	jw_frame_pair(w, "finished", t->finished_frame[0],
	    t->finished_frame[1]);
	jw_obj(w, "application_data");
	for (d = 0; d < 2; d++) {
		jw_obj(w, dt_report_dir_name(d));
		jw_frame(w, "frame", t->appdata_frame[d]);
		jw_uint(w, "bytes", t->appdata_bytes[d]);
		jw_uint(w, "records", t->appdata_records[d]);
		jw_end(w);
	}
	jw_end(w);
	if (t->non_tls_frame != 0) {
		jw_obj(w, "non_tls");
		jw_uint(w, "frame", t->non_tls_frame);
		jw_name(w, "from", dt_report_dir_name(t->non_tls_dir));
		jw_wire(w, "line", t->non_tls_line);
		jw_end(w);
	} else {
		jw_null(w, "non_tls");
	}
	if (t->malformed_frame != 0) {
		jw_obj(w, "malformed");
		jw_uint(w, "frame", t->malformed_frame);
		jw_name(w, "from", dt_report_dir_name(t->malformed_dir));
		jw_wire(w, "reason", t->malformed);
		jw_end(w);
	} else {
		jw_null(w, "malformed");
	}
	jtls_extra(w, t);
	jw_obj(w, "http");
	jhttp_msg(w, "request", &t->http_request, 0);
	jhttp_msg(w, "response", &t->http_response, 1);
	jw_end(w);
	jw_bool(w, "truncated", t->truncated);
	jw_frame(w, "truncated_frame", t->truncated_frame);
	jw_end(w);
}

/* A TTL, null when not seen. */
static void
jttl(struct jw *w, const char *key, int seen, int64_t ttl)
{
	if (seen)
		jw_int(w, key, ttl);
	else
		jw_null(w, key);
}

static void
jtcp(struct jw *w, const struct dt_conn *c)
{
	jw_obj(w, "tcp");
	jw_name(w, "state", dt_report_state_name(c->state));
	jw_bool(w, "roles_from_syn", c->roles_from_syn);
	jw_frame(w, "syn_frame", c->syn_frame);
	jw_int(w, "syn_count", c->syn_count);
	jw_frame(w, "synack_frame", c->synack_frame);
	if (c->rst_frame != 0) {
		jw_obj(w, "rst");
		jw_uint(w, "frame", c->rst_frame);
		jw_name(w, "from", dt_report_dir_name(c->rst_dir));
		jw_end(w);
	} else {
		jw_null(w, "rst");
	}
	jw_frame_pair(w, "fin", c->fin_frame[0], c->fin_frame[1]);
	jw_obj(w, "ttl");
	jttl(w, "syn", c->ttl_syn != 0, c->ttl_syn);
	jttl(w, "synack", c->ttl_synack != 0, c->ttl_synack);
	jttl(w, "server_data", c->ttl_server_data != 0, c->ttl_server_data);
	jttl(w, "server_data_min", c->ttl_server_data != 0,
	    c->ttl_server_data_min);
	jttl(w, "server_data_max", c->ttl_server_data != 0,
	    c->ttl_server_data_max);
	jw_end(w);
	jw_uint_pair(w, "bytes", c->bytes[0], c->bytes[1]);
	jw_uint_pair(w, "packets", c->packets[0], c->packets[1]);
	jw_int(w, "retransmissions", c->retransmissions);
	jw_uint_pair(w, "gap_bytes", c->gap_bytes[0], c->gap_bytes[1]);
	jw_bool(w, "truncated", c->truncated);
	jw_end(w);
}

void
jw_conn(struct jw *w, const struct dt_conn *c)
{
	size_t i;

	jw_obj(w, NULL);
	jw_int(w, "id", c->id);
	jw_wire(w, "client", c->client_str);
	jw_wire(w, "server", c->server_str);
	jw_wire(w, "server_name", dt_facts_server_name(c));
	jw_bool(w, "iphttps", c->iphttps);
	jw_int(w, "iphttps_score", c->iphttps_score);
	jw_wire(w, "iphttps_reason", dt_conn_reason(c));
	jw_uint(w, "first_frame", c->first_frame);
	jw_uint(w, "last_frame", c->last_frame);
	jw_wire(w, "wireshark_filter", c->wireshark_filter);
	jtcp(w, c);
	jtls(w, c);
	jw_tunnel(w, "tunnel", c);
	/* extras */
	if (c->first_frame)
		jw_time(w, "first_time", c->first_time);
	else
		jw_null(w, "first_time");
	if (c->last_frame)
		jw_time(w, "last_time", c->last_time);
	else
		jw_null(w, "last_time");
	jw_arr(w, "timeline");
	for (i = 0; i < c->n_events; i++)
		jevent(w, &c->events[i]);
	jw_end(w);
	jw_int(w, "timeline_dropped", c->events_dropped);
	jw_end(w);
}
