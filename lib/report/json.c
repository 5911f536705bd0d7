/*
 * The JSON document of SPEC §4 (schema "datrace/1"), built with jansson.
 * RFC 8259 wants UTF-8 text: every string from the wire (SNI, DNs, HTTP
 * lines, the first line of a non-TLS reply, error messages) goes through
 * dt_utf8_clean() first, so bytes that are not UTF-8 become U+FFFD,
 * and jansson escapes control characters. Keys are written in a fixed order
 * (insertion order, JSON_PRESERVE_ORDER) so the same capture always gives
 * the same bytes. Fields may be added; none is ever renamed or dropped
 * without a new schema.
 */
#include "report/report.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "capture/capture.h"
#include "net/encap.h"
#include "tls/tls.h"
#include "tunnel/tunnel.h"

/* A list written as it goes (see "writing as it goes" below). */
#define HOLE "@@datrace:list@@"

struct jb {
	struct dt_mem *mem;	/* sanitiser buffers */
	int err;		/* sticky: jansson or dt_mem ran out of memory */
};

static void
set(struct jb *b, json_t *obj, const char *key, json_t *val)
{
	/* jansson takes val even on failure, and fails on a NULL obj/val. */
	if (json_object_set_new(obj, key, val) != 0)
		b->err = 1;
}

static void
push(struct jb *b, json_t *arr, json_t *val)
{
	if (json_array_append_new(arr, val) != 0)
		b->err = 1;
}

/* A string from the wire (or NULL -> null), made valid UTF-8. */
static json_t *
jstr(struct jb *b, const char *s)
{
	char small[512], *buf = small;
	size_t n, len;
	json_t *j;

	if (s == NULL)
		return json_null();
	n = strlen(s);
	if (n > (SIZE_MAX - 1) / 3) {
		b->err = 1;
		return NULL;
	}
	if (3 * n + 1 > sizeof small) {
		buf = dt_malloc(b->mem, 3 * n + 1);
		if (buf == NULL) {
			b->err = 1;
			return NULL;
		}
	}
	len = dt_utf8_clean(s, n, buf);
	j = json_stringn(buf, len);
	if (buf != small)
		dt_free(b->mem, buf);
	if (j == NULL)
		b->err = 1;
	return j;
}

static json_t *
jint(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Frame numbers start at 1: 0 means none. */
static json_t *
jframe(uint64_t frame)
{
	return frame != 0 ? jint(frame) : json_null();
}

static json_t *
jtime(int64_t ns)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time(ns, buf, sizeof buf) != 0)
		return json_null();
	return json_string(buf);
}

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
		push(b, a, jstr(b, v[i]));
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
		push(b, a, jhex16(v[i]));
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

	set(b, o, "id", jhex16(suite));
	set(b, o, "name", name != NULL ? json_string(name) : json_null());
	return o;
}

static json_t *
jdirpair(struct jb *b, json_t *client, json_t *server)
{
	json_t *o = json_object();

	set(b, o, "client", client);
	set(b, o, "server", server);
	return o;
}

/* level, description and code of an alert; all null when encrypted. */
static void
alert_fields(struct jb *b, json_t *o, int encrypted, uint8_t level,
    uint8_t desc)
{
	const char *name = dt_tls_alert_name(desc);

	if (encrypted) {
		set(b, o, "level", json_null());
		set(b, o, "description", json_null());
		set(b, o, "code", json_null());
	} else {
		set(b, o, "level", dt_tls_alert_level_name(level) != NULL ?
		    json_string(dt_tls_alert_level_name(level)) : json_null());
		set(b, o, "description",
		    name != NULL ? json_string(name) : json_null());
		set(b, o, "code", json_integer(desc));
	}
	set(b, o, "encrypted", json_boolean(encrypted));
}

static json_t *
jevent(struct jb *b, const struct dt_event *ev)
{
	json_t *o = json_object();

	set(b, o, "frame", jint(ev->frame));
	set(b, o, "time", jtime(ev->time));
	set(b, o, "from", json_string(dt_report_dir_name(ev->dir)));
	set(b, o, "type", json_string(dt_report_msg_name(ev)));
	switch (ev->type) {
	case DT_EV_TLS_ALERT: {
		uint8_t level, desc;
		int plain = dt_ev_alert(ev, &level, &desc);

		alert_fields(b, o, !plain, level, desc);
		break;
	}
	case DT_EV_HTTP_RESPONSE:
		set(b, o, "status", jint(ev->b));
		break;
	case DT_EV_GAP:
	case DT_EV_TLS_ENCRYPTED:
		set(b, o, "bytes", jint(ev->b));
		break;
	case DT_EV_SYN:
	case DT_EV_SYNACK:
		set(b, o, "retransmission", json_boolean(ev->a != 0));
		break;
	case DT_EV_RST:
		set(b, o, "before_synack", json_boolean(ev->a == 1));
		set(b, o, "peer_bytes", jint(ev->b));
		break;
	case DT_EV_FIN:
		set(b, o, "bytes_before", jint(ev->b));
		break;
	case DT_EV_TLS_HANDSHAKE:
		if (dt_ev_hs_encrypted(ev))
			set(b, o, "encrypted", json_true());
		if (ev->b & DT_TLS_HS_REPEAT)
			set(b, o, "repeated", json_true());
		break;
	case DT_EV_TLS_UPGRADE:
		set(b, o, "protocol", json_string(dt_tls_preamble_id(ev->a)));
		break;
	case DT_EV_TLS_RECORD:
		set(b, o, "content_type", jint(ev->a));
		set(b, o, "bytes", jint(ev->b));
		break;
	case DT_EV_TLS_RESYNC:
		set(b, o, "bytes_skipped", jint(ev->b));
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

	set(b, o, "subject", jstr(b, x->subject));
	set(b, o, "issuer", jstr(b, x->issuer));
	set(b, o, "sha256", x->sha256[0] != '\0' ? jstr(b, x->sha256) :
	    json_null());
	set(b, o, "not_before", x->parse_error == NULL ?
	    jtime_sec(x->not_before) : json_null());
	set(b, o, "not_after", x->parse_error == NULL ?
	    jtime_sec(x->not_after) : json_null());
	set(b, o, "dns_names", jstrv(b, x->dns_names, x->n_dns_names));
	set(b, o, "crl_urls", jstrv(b, x->crl_urls, x->n_crl_urls));
	set(b, o, "self_signed", json_boolean(x->self_signed));
	set(b, o, "common_name", jstr(b, x->common_name));
	set(b, o, "serial", jstr(b, x->serial));
	set(b, o, "ip_addresses", jstrv(b, x->ip_addrs, x->n_ip_addrs));
	set(b, o, "aia_urls", jstrv(b, x->aia_urls, x->n_aia_urls));
	set(b, o, "server_auth", json_boolean(x->server_auth));
	set(b, o, "client_auth", json_boolean(x->client_auth));
	set(b, o, "key_type", jstr(b, x->key_type));
	set(b, o, "key_bits", json_integer(x->key_bits));
	set(b, o, "signature_algorithm", jstr(b, x->sig_alg));
	set(b, o, "parse_error", jstr(b, x->parse_error));
	return o;
}

static json_t *
jcerts(struct jb *b, const struct dt_cert *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		push(b, a, jcert(b, &v[i]));
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
		push(b, a, jstr(b, one));
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
	set(b, o, "frame", jint(h->frame));
	set(b, o, "line", jstr(b, h->line));
	if (response)
		set(b, o, "status", json_integer(h->status));
	set(b, o, "host", jstr(b, h->host));
	set(b, o, "server", jstr(b, h->server));
	set(b, o, "content_length", jstr(b, h->content_length));
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
		push(b, a, jversion(t->client_versions[i]));
	set(b, o, "client_versions", a);
	set(b, o, "version", t->sh_frame != 0 ? jversion(t->version) :
	    json_null());
	a = json_array();
	for (i = 0; i < t->n_offered_suites; i++)
		push(b, a, jsuite(b, t->offered_suites[i]));
	set(b, o, "offered_suites", a);
	set(b, o, "offered_null", json_boolean(t->offered_null));
	/* an SSL 2.0 SERVER-HELLO (version 0x0002) chooses no TLS suite */
	set(b, o, "suite", t->sh_frame != 0 && t->version >= 0x0300 ?
	    jsuite(b, t->suite) : json_null());

	a = json_array();
	for (i = 0; i < c->n_events; i++)
		if (dt_report_event_is_tls(&c->events[i]))
			push(b, a, jevent(b, &c->events[i]));
	set(b, o, "messages", a);

	if (t->alert_frame != 0) {
		x = json_object();
		set(b, x, "frame", jint(t->alert_frame));
		set(b, x, "from", json_string(dt_report_dir_name(t->alert_dir)));
		alert_fields(b, x, t->alert_encrypted, t->alert_level,
		    t->alert_desc);
	} else {
		x = json_null();
	}
	set(b, o, "alert", x);

	set(b, o, "server_certificates",
	    jcerts(b, t->server_certs, t->n_server_certs));
	if (t->cert_request_frame != 0) {
		x = json_object();
		set(b, x, "frame", jint(t->cert_request_frame));
		set(b, x, "ca_names", jstrv(b, t->ca_names, t->n_ca_names));
		a = json_array();
		for (i = 0; i < t->n_cr_cert_types &&
		    i < sizeof t->cr_cert_types; i++)
			push(b, a, json_integer(t->cr_cert_types[i]));
		set(b, x, "certificate_types", a);
		set(b, x, "signature_algorithms", ju16v(b, t->cr_sig_algs,
		    t->n_cr_sig_algs,
		    sizeof t->cr_sig_algs / sizeof t->cr_sig_algs[0]));
	} else {
		x = json_null();
	}
	set(b, o, "certificate_request", x);
	set(b, o, "client_certificate",
	    json_string(dt_report_client_cert_name(t->client_cert)));

	/* extras */
	set(b, o, "client_hello_frame", jframe(t->ch_frame));
	set(b, o, "client_hello_version", t->ch_frame != 0 ?
	    jversion(t->ch_legacy_version) : json_null());
	set(b, o, "record_version", t->record_version != 0 ?
	    jversion(t->record_version) : json_null());
	set(b, o, "offered_only_null", json_boolean(t->offered_only_null));
	set(b, o, "sni", jstr(b, t->sni));
	set(b, o, "alpn", jalpn(b, t->alpn));
	a = json_array();
	for (i = 0; i < t->n_extensions; i++)
		push(b, a, json_integer(t->extensions[i]));
	set(b, o, "extensions", a);
	set(b, o, "supported_groups", ju16v(b, t->ch_groups, t->n_ch_groups,
	    sizeof t->ch_groups / sizeof t->ch_groups[0]));
	set(b, o, "signature_algorithms", ju16v(b, t->ch_sig_algs,
	    t->n_ch_sig_algs, sizeof t->ch_sig_algs / sizeof t->ch_sig_algs[0]));
	set(b, o, "renegotiation_info", json_boolean(t->ch_reneg_info));
	set(b, o, "extended_master_secret", json_boolean(t->ch_ems));
	set(b, o, "status_request", json_boolean(t->ch_status_request));
	set(b, o, "sslv2_hello", json_boolean(t->sslv2_hello));
	set(b, o, "server_hello_frame", jframe(t->sh_frame));
	set(b, o, "hello_retry_request", json_boolean(t->hrr));
	set(b, o, "resumed", json_boolean(t->resumed));
	set(b, o, "alerts", json_integer(t->n_alerts));
	set(b, o, "server_certificate_frame", jframe(t->server_cert_frame));
	set(b, o, "certificates_visible", json_boolean(!t->certs_not_visible));
	set(b, o, "chain", json_string(dt_report_chain_name(t->chain)));
	set(b, o, "chain_error", jstr(b, t->chain_error));
	set(b, o, "client_certificate_frame", jframe(t->client_cert_frame));
	set(b, o, "client_certificates",
	    jcerts(b, t->client_certs, t->n_client_certs));
	set(b, o, "server_hello_done_frame", jframe(t->server_hello_done_frame));
	set(b, o, "change_cipher_spec", jdirpair(b, jframe(t->ccs_frame[0]),
	    jframe(t->ccs_frame[1])));
	set(b, o, "finished", jdirpair(b, jframe(t->finished_frame[0]),
	    jframe(t->finished_frame[1])));
	x = json_object();
	for (d = 0; d < 2; d++) {
		json_t *ad = json_object();

		set(b, ad, "frame", jframe(t->appdata_frame[d]));
		set(b, ad, "bytes", jint(t->appdata_bytes[d]));
		set(b, ad, "records", jint(t->appdata_records[d]));
		set(b, x, dt_report_dir_name(d), ad);
	}
	set(b, o, "application_data", x);
	if (t->non_tls_frame != 0) {
		x = json_object();
		set(b, x, "frame", jint(t->non_tls_frame));
		set(b, x, "from", json_string(dt_report_dir_name(t->non_tls_dir)));
		set(b, x, "line", jstr(b, t->non_tls_line));
	} else {
		x = json_null();
	}
	set(b, o, "non_tls", x);
	if (t->malformed_frame != 0) {
		x = json_object();
		set(b, x, "frame", jint(t->malformed_frame));
		set(b, x, "from", json_string(dt_report_dir_name(t->malformed_dir)));
		set(b, x, "reason", jstr(b, t->malformed));
	} else {
		x = json_null();
	}
	set(b, o, "malformed", x);
	/* keys present only when there is something to say (issue 17) */
	if (t->preamble != DT_PRE_NONE) {
		x = json_object();
		set(b, x, "protocol", json_string(dt_tls_preamble_id(t->preamble)));
		set(b, x, "name", json_string(dt_tls_preamble_name(t->preamble)));
		set(b, x, "frame", jint(t->preamble_frame));
		set(b, o, "preamble", x);
	}
	if (t->n_violations > 1)
		set(b, o, "violations", jint(t->n_violations));
	if (t->resync_frame != 0) {
		x = json_object();
		set(b, x, "frame", jint(t->resync_frame));
		set(b, x, "from", json_string(dt_report_dir_name(t->resync_dir)));
		set(b, x, "bytes_skipped", jint(t->resync_skipped));
		set(b, o, "resync", x);
	}
	if (t->n_heartbeats > 0)
		set(b, o, "heartbeat_records", jint(t->n_heartbeats));
	if (t->n_unknown_records > 0)
		set(b, o, "unknown_records", jint(t->n_unknown_records));
	if (t->n_client_hellos > 1)
		set(b, o, "client_hellos", jint(t->n_client_hellos));
	x = json_object();
	set(b, x, "request", jhttp_msg(b, &t->http_request, 0));
	set(b, x, "response", jhttp_msg(b, &t->http_response, 1));
	set(b, o, "http", x);
	set(b, o, "truncated", json_boolean(t->truncated));
	set(b, o, "truncated_frame", jframe(t->truncated_frame));
	return o;
}

static json_t *
jtcp(struct jb *b, const struct dt_conn *c)
{
	json_t *o = json_object(), *x;

	set(b, o, "state", json_string(dt_report_state_name(c->state)));
	set(b, o, "roles_from_syn", json_boolean(c->roles_from_syn));
	set(b, o, "syn_frame", jframe(c->syn_frame));
	set(b, o, "syn_count", json_integer(c->syn_count));
	set(b, o, "synack_frame", jframe(c->synack_frame));
	if (c->rst_frame != 0) {
		x = json_object();
		set(b, x, "frame", jint(c->rst_frame));
		set(b, x, "from", json_string(dt_report_dir_name(c->rst_dir)));
	} else {
		x = json_null();
	}
	set(b, o, "rst", x);
	set(b, o, "fin", jdirpair(b, jframe(c->fin_frame[0]),
	    jframe(c->fin_frame[1])));
	x = json_object();
	set(b, x, "syn", c->ttl_syn ? json_integer(c->ttl_syn) : json_null());
	set(b, x, "synack", c->ttl_synack ? json_integer(c->ttl_synack) :
	    json_null());
	set(b, x, "server_data", c->ttl_server_data ?
	    json_integer(c->ttl_server_data) : json_null());
	set(b, x, "server_data_min", c->ttl_server_data ?
	    json_integer(c->ttl_server_data_min) : json_null());
	set(b, x, "server_data_max", c->ttl_server_data ?
	    json_integer(c->ttl_server_data_max) : json_null());
	set(b, o, "ttl", x);
	set(b, o, "bytes", jdirpair(b, jint(c->bytes[0]), jint(c->bytes[1])));
	set(b, o, "packets", jdirpair(b, jint(c->packets[0]),
	    jint(c->packets[1])));
	set(b, o, "retransmissions", json_integer(c->retransmissions));
	set(b, o, "gap_bytes", jdirpair(b, jint(c->gap_bytes[0]),
	    jint(c->gap_bytes[1])));
	set(b, o, "truncated", json_boolean(c->truncated));
	return o;
}

/* ---- inside the IP-HTTPS tunnel (tunnel/ facts) ------------------------- */

static json_t *
jaddr6(struct jb *b, const struct dt_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf,
	    sizeof buf) == NULL)
		return json_null();
	return jstr(b, buf);
}

static json_t *
jspi(uint64_t v, int width)
{
	char buf[24];

	snprintf(buf, sizeof buf, "0x%0*" PRIx64, width, v);
	return json_string(buf);
}

static json_t *
jinner_dir(struct jb *b, const struct dt_tun_dir *d)
{
	json_t *o = json_object(), *e;

	set(b, o, "packets", jint(d->packets));
	set(b, o, "bytes", jint(d->bytes));
	set(b, o, "first_frame", jframe(d->first_frame));
	set(b, o, "last_frame", jframe(d->last_frame));
	set(b, o, "first_time", d->first_frame ? jtime(d->first_time) :
	    json_null());
	set(b, o, "last_time", d->last_frame ? jtime(d->last_time) :
	    json_null());
	set(b, o, "undecoded", jint(d->undecoded));
	if (d->error_frame != 0) {
		e = json_object();
		set(b, e, "frame", jint(d->error_frame));
		set(b, e, "offset", jint(d->error_offset));
		set(b, e, "message", jstr(b, d->error));
	} else {
		e = json_null();
	}
	set(b, o, "framing_error", e);
	return o;
}

static json_t *
jike(struct jb *b, const struct dt_tun_ike *k)
{
	json_t *o = json_object(), *a, *x;
	const char *name;
	size_t i;

	set(b, o, "protocol", json_string(k->authip ? "AuthIP" :
	    k->version == 2 ? "IKEv2" : "IKEv1"));
	set(b, o, "client", jaddr6(b, &k->client));
	set(b, o, "server", jaddr6(b, &k->server));
	set(b, o, "initiator", json_string(dt_report_dir_name(
	    k->initiator_dir == DT_C2S ? DT_C2S : DT_S2C)));
	set(b, o, "initiator_spi", jspi(k->ispi, 16));
	set(b, o, "responder_spi", k->rspi ? jspi(k->rspi, 16) : json_null());
	a = json_array();
	for (i = 0; i < k->n_xchg; i++) {
		x = json_object();
		name = dt_tun_ike_exchange_name(k->version, k->xchg[i]);
		set(b, x, "type", jstr(b, name));
		set(b, x, "code", json_integer(k->xchg[i]));
		set(b, x, "messages", json_integer(k->n_xchg_msgs[i]));
		push(b, a, x);
	}
	set(b, o, "exchanges", a);
	set(b, o, "requests", json_integer(k->requests));
	set(b, o, "responses", json_integer(k->responses));
	set(b, o, "retransmissions", json_integer(k->retransmissions));
	set(b, o, "unanswered", json_integer(k->unanswered));
	set(b, o, "first_frame", jframe(k->first_frame));
	set(b, o, "first_response_frame", jframe(k->first_response_frame));
	set(b, o, "unanswered_frame", jframe(k->unanswered_frame));
	set(b, o, "established", json_boolean(k->established));
	if (k->notify != 0) {
		x = json_object();
		set(b, x, "type", json_integer(k->notify));
		set(b, x, "name", jstr(b, dt_tun_ike_notify_name(k->version,
		    k->notify)));
		set(b, x, "frame", jint(k->notify_frame));
		set(b, x, "from", json_string(dt_report_dir_name(
		    k->notify_dir == DT_C2S ? DT_C2S : DT_S2C)));
	} else {
		x = json_null();
	}
	set(b, o, "error_notify", x);
	return o;
}

/* The tunnel's facts; {"encrypted": true} when the suite encrypts and
   there is nothing to read; null when no tunnel was seen. */
static json_t *
jtunnel(struct jb *b, const struct dt_conn *c)
{
	const struct dt_tunnel_facts *f = c->tunnel;
	const struct dt_tls_facts *t = &c->tls;
	json_t *o, *a, *x, *r;
	char pfx[INET6_ADDRSTRLEN + 8];
	size_t i;

	if (f == NULL) {
		if (t->sh_frame == 0 || t->appdata_frame[DT_C2S] == 0 ||
		    (t->version != 0x0304 && dt_tls_suite_is_null(t->suite)))
			return json_null();
		o = json_object();
		set(b, o, "encrypted", json_true());
		return o;
	}
	o = json_object();
	set(b, o, "encrypted", json_false());
	x = json_object();
	set(b, x, "status", t->http_response.frame ?
	    json_integer(t->http_response.status) : json_null());
	set(b, x, "line", jstr(b, t->http_response.line));
	set(b, x, "server", jstr(b, t->http_response.server));
	set(b, x, "frame", jframe(t->http_response.frame));
	set(b, x, "delay_us", f->answer_delay >= 0 ?
	    jint((uint64_t)f->answer_delay / 1000) : json_null());
	set(b, x, "iphttps", f->answer_iphttps < 0 ? json_null() :
	    json_boolean(f->answer_iphttps));
	set(b, o, "answer", x);
	set(b, o, "inner", jdirpair(b, jinner_dir(b, &f->dir[DT_C2S]),
	    jinner_dir(b, &f->dir[DT_S2C])));

	x = json_object();
	set(b, x, "rs", json_integer(f->rs));
	set(b, x, "ra", json_integer(f->ra));
	set(b, x, "ns", json_integer(f->ns));
	set(b, x, "na", json_integer(f->na));
	set(b, x, "rs_frame", jframe(f->rs_frame));
	set(b, x, "ra_frame", jframe(f->ra_frame));
	set(b, x, "router_lifetime", f->ra ? json_integer(f->router_lifetime) :
	    json_null());
	a = json_array();
	for (i = 0; i < f->n_prefixes; i++) {
		r = json_object();
		inet_ntop(AF_INET6, f->prefixes[i].prefix, pfx, sizeof pfx);
		snprintf(pfx + strlen(pfx), 8, "/%u", f->prefixes[i].len);
		set(b, r, "prefix", jstr(b, pfx));
		set(b, r, "valid_lifetime", jint(f->prefixes[i].valid));
		set(b, r, "preferred_lifetime", jint(f->prefixes[i].preferred));
		push(b, a, r);
	}
	set(b, x, "prefixes", a);
	set(b, o, "router_discovery", x);

	a = json_array();
	for (i = 0; i < f->n_ike; i++)
		push(b, a, jike(b, &f->ike[i]));
	set(b, o, "ipsec", a);
	set(b, o, "ipsec_peers_dropped", json_integer(f->ike_peers_dropped));

	a = json_array();
	for (i = 0; i < f->n_esp; i++) {
		r = json_object();
		set(b, r, "spi", jspi(f->esp[i].spi, 8));
		set(b, r, "from", json_string(dt_report_dir_name(
		    f->esp[i].dir == DT_C2S ? DT_C2S : DT_S2C)));
		set(b, r, "udp", json_boolean(f->esp[i].udp));
		set(b, r, "packets", jint(f->esp[i].packets));
		set(b, r, "bytes", jint(f->esp[i].bytes));
		set(b, r, "first_frame", jframe(f->esp[i].first_frame));
		set(b, r, "last_frame", jframe(f->esp[i].last_frame));
		push(b, a, r);
	}
	set(b, o, "esp", a);
	set(b, o, "esp_packets", jdirpair(b, jint(f->esp_packets[DT_C2S]),
	    jint(f->esp_packets[DT_S2C])));

	x = json_object();
	set(b, x, "queries", json_integer(f->dns_queries));
	set(b, x, "answers", json_integer(f->dns_answers));
	set(b, x, "unanswered", json_integer(f->dns_unanswered));
	r = json_object();
	for (i = 0; i < 16; i++)
		if (f->dns_rcodes[i] != 0) {
			char k[8];

			snprintf(k, sizeof k, "%zu", i);
			set(b, r, k, json_integer(f->dns_rcodes[i]));
		}
	set(b, x, "rcodes", r);
	set(b, x, "first_query", f->dns_queries ?
	    jstr(b, f->dns_first_name) : json_null());
	set(b, x, "first_query_frame", jframe(f->dns_query_frame));
	set(b, x, "first_error_frame", jframe(f->dns_error_frame));
	set(b, x, "first_unanswered_frame", jframe(f->dns_unanswered_frame));
	set(b, o, "dns", x);
	return o;
}

static json_t *
jconn(struct jb *b, const struct dt_conn *c)
{
	json_t *o = json_object(), *a;
	size_t i;

	set(b, o, "id", json_integer(c->id));
	set(b, o, "client", jstr(b, c->client_str));
	set(b, o, "server", jstr(b, c->server_str));
	set(b, o, "server_name", jstr(b, dt_facts_server_name(c)));
	set(b, o, "iphttps", json_boolean(c->iphttps));
	set(b, o, "iphttps_score", json_integer(c->iphttps_score));
	set(b, o, "iphttps_reason", jstr(b, c->iphttps_reason));
	set(b, o, "first_frame", jint(c->first_frame));
	set(b, o, "last_frame", jint(c->last_frame));
	set(b, o, "wireshark_filter",
	    jstr(b, c->wireshark_filter));
	set(b, o, "tcp", jtcp(b, c));
	set(b, o, "tls", jtls(b, c));
	set(b, o, "tunnel", jtunnel(b, c));
	/* extras */
	set(b, o, "first_time", c->first_frame ? jtime(c->first_time) :
	    json_null());
	set(b, o, "last_time", c->last_frame ? jtime(c->last_time) :
	    json_null());
	a = json_array();
	for (i = 0; i < c->n_events; i++)
		push(b, a, jevent(b, &c->events[i]));
	set(b, o, "timeline", a);
	set(b, o, "timeline_dropped", json_integer(c->events_dropped));
	return o;
}

static json_t *
jverdict(struct jb *b, const struct dt_verdict *v)
{
	json_t *o = json_object(), *a, *w;
	char code[16];
	size_t i;

	set(b, o, "id", jstr(b, v->id));
	set(b, o, "severity", json_string(dt_report_severity_name(v->severity)));
	set(b, o, "confidence",
	    json_string(dt_report_confidence_name(v->confidence)));
	if (v->win_code != 0) {
		w = json_object();
		snprintf(code, sizeof code, "0x%" PRIx32, v->win_code);
		set(b, w, "code", json_string(code));
		set(b, w, "name", jstr(b, v->win_name));
	} else {
		w = json_null();
	}
	set(b, o, "windows_error", w);
	set(b, o, "connection", v->conn != 0 ? json_integer(v->conn) :
	    json_null());
	a = json_array();
	for (i = 0; i < v->n_frames; i++)
		push(b, a, jint(v->frames[i]));
	set(b, o, "frames", a);
	set(b, o, "summary", jstr(b, v->summary));
	set(b, o, "explanation", jstr(b, v->explanation));
	set(b, o, "remedy", jstr(b, v->remedy));
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
	return jstr(b, name);
}

static json_t *
jdns(struct jb *b, const struct dt_dns *d)
{
	json_t *o = json_object(), *a;
	char ip[INET6_ADDRSTRLEN];
	size_t i;

	set(b, o, "name", jstr(b, d->name));
	set(b, o, "type", json_integer(d->qtype));
	set(b, o, "query_frame", jframe(d->query_frame));
	set(b, o, "answer_frame", jframe(d->answer_frame));
	set(b, o, "rcode", d->rcode >= 0 ? json_integer(d->rcode) :
	    json_null());
	a = json_array();
	for (i = 0; i < d->n_addrs; i++) {
		int af = d->addrs[i].family == 6 ? AF_INET6 : AF_INET;

		if (inet_ntop(af, d->addrs[i].a, ip, sizeof ip) == NULL)
			continue;
		push(b, a, json_string(ip));
	}
	set(b, o, "addresses", a);
	set(b, o, "cname", jstr(b, d->cname));
	return o;
}

static json_t *
jhttp(struct jb *b, const struct dt_http *h)
{
	json_t *o = json_object();

	set(b, o, "connection", h->conn ? json_integer(h->conn) : json_null());
	set(b, o, "request_frame", jframe(h->request_frame));
	set(b, o, "response_frame", jframe(h->response_frame));
	set(b, o, "method", jstr(b, h->method));
	set(b, o, "uri", jstr(b, h->uri));
	set(b, o, "host", jstr(b, h->host));
	set(b, o, "status", h->status >= 0 ? json_integer(h->status) :
	    json_null());
	set(b, o, "status_line", jstr(b, h->status_line));
	set(b, o, "reset", json_boolean(h->conn_reset));
	set(b, o, "no_answer", json_boolean(h->conn_no_answer));
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

	set(b, o, "path", jstr(b, cap->path));
	set(b, o, "format", jstr(b, cap->format));
	set(b, o, "packets", jint(cap->packets));
	set(b, o, "distinct_packets",
	    jint(cap->packets - cap->duplicate_sightings));
	set(b, o, "duplicate_sightings", jint(cap->duplicate_sightings));
	set(b, o, "protected_80211_frames", jint(cap->protected_80211));
	set(b, o, "bytes", jint(cap->bytes));
	a = json_array();
	u = json_array();
	for (i = 0; i < cap->n_linktypes; i++) {
		push(b, a, jlinktype_name(b, &cap->linktypes[i]));
		if (!cap->linktypes[i].supported)
			push(b, u, jlinktype_name(b, &cap->linktypes[i]));
	}
	set(b, o, "link_types", a);
	set(b, o, "first_time", cap->packets ? jtime(cap->first_time) :
	    json_null());
	set(b, o, "last_time", cap->packets ? jtime(cap->last_time) :
	    json_null());
	set(b, o, "truncated_packets", jint(cap->truncated_packets));
	a = json_array();
	for (i = 0; i < cap->n_errors; i++) {
		x = json_object();
		set(b, x, "offset", jint(cap->errors[i].offset));
		set(b, x, "message", jstr(b, cap->errors[i].message));
		push(b, a, x);
	}
	set(b, o, "errors", a);

	/* the long lists are streamed into their holes (stream_capture) */
	for (c = cap->conns; c != NULL; c = c->next)
		iphttps += c->iphttps != 0;
	set(b, o, "connections", json_string(HOLE));
	for (v = cap->verdicts; v != NULL; v = v->next)
		if ((unsigned)v->severity < 3)
			sev[v->severity]++;
	set(b, o, "verdicts", json_string(HOLE));

	/* extras */
	set(b, o, "unsupported_link_types", u);
	a = json_array();
	for (i = 0; i < cap->n_linktypes; i++) {
		x = json_object();
		set(b, x, "linktype", json_integer(cap->linktypes[i].linktype));
		set(b, x, "name", jlinktype_name(b, &cap->linktypes[i]));
		set(b, x, "packets", jint(cap->linktypes[i].packets));
		set(b, x, "supported",
		    json_boolean(cap->linktypes[i].supported));
		push(b, a, x);
	}
	set(b, o, "link_type_counts", a);
	set(b, o, "undecodable_packets", jint(cap->undecodable));
	a = NULL;
	for (i = 1; i < DT_ENCAP_MAX; i++) {
		const struct dt_encap_count *e = &cap->encap[i];
		char ep[2 * DT_ADDR_STRLEN + 16];

		if (e->packets == 0 && e->unread == 0)
			continue;
		if (a == NULL)
			a = json_array();
		x = json_object();
		set(b, x, "type", json_string(dt_encap_name((int)i)));
		set(b, x, "packets", jint(e->packets));
		set(b, x, "not_decoded", jint(e->unread));
		set(b, x, "first_frame", jint(e->first_frame));
		dt_encap_endpoints(e, ep, sizeof ep);
		set(b, x, "endpoints", json_string(ep));
		push(b, a, x);
	}
	if (a != NULL)
		set(b, o, "tunnels", a);
	if (cap->n_providers > 0 || cap->system_records > 0) {
		/* an ETL file: every record, by provider */
		a = json_array();
		for (i = 0; i < cap->n_providers; i++) {
			x = json_object();
			set(b, x, "name", jstr(b, cap->providers[i].name));
			set(b, x, "guid", json_string(cap->providers[i].guid));
			set(b, x, "events", jint(cap->providers[i].events));
			set(b, x, "event_ids", jint(cap->providers[i].ids));
			push(b, a, x);
		}
		set(b, o, "event_providers", a);
		set(b, o, "system_records", jint(cap->system_records));
	}
	if (cap->dropped_conns || cap->dropped_bytes ||
	    cap->fragments_dropped) {
		x = json_object();
		set(b, x, "dropped_conns", jint(cap->dropped_conns));
		set(b, x, "dropped_bytes", jint(cap->dropped_bytes));
		set(b, x, "fragments_dropped", jint(cap->fragments_dropped));
		set(b, o, "dropped", x);
	}
	set(b, o, "dns", json_string(HOLE));
	set(b, o, "http", json_string(HOLE));
	x = json_object();
	set(b, x, "connections", jint(cap->n_conns));
	set(b, x, "iphttps_connections", jint(iphttps));
	set(b, x, "midstream_connections", jint(cap->midstream_conns));
	set(b, x, "errors", jint(sev[DT_SEV_ERROR]));
	set(b, x, "warnings", jint(sev[DT_SEV_WARNING]));
	set(b, x, "infos", jint(sev[DT_SEV_INFO]));
	set(b, o, "summary", x);
	return o;
}

/* {schema, tool, options, captures: []}; *caps gets the empty array. */
static json_t *
jdoc(struct jb *b, const struct dt_report_run *run)
{
	static const uint16_t default_ports[] = { 443, 0 };
	const uint16_t *p;
	json_t *o = json_object(), *x, *a;

	set(b, o, "schema", json_string("datrace/1"));
	x = json_object();
	set(b, x, "name", json_string("datrace"));
	set(b, x, "version", json_string(DT_VERSION_STRING));
	set(b, o, "tool", x);
	x = json_object();
	set(b, x, "host", jstr(b, run->host));
	a = json_array();
	for (p = run->ports != NULL ? run->ports : default_ports; *p != 0; p++)
		push(b, a, json_integer(*p));
	set(b, x, "ports", a);
	set(b, x, "ca", jstr(b, run->ca_file));
	set(b, x, "expect_cert", jstr(b, run->expect_cert));
	set(b, x, "filter", jstr(b, run->filter));
	set(b, x, "all", json_boolean(run->all));
	set(b, o, "options", x);
	set(b, o, "captures", json_string(HOLE));
	return o;
}

/* ---- writing as it goes ------------------------------------------------------- */

/*
 * The document is written the way json_dumpf() would write it whole, but
 * one list element at a time: an object is dumped with its long lists as
 * holes (the HOLE string), and each hole is filled by writing the list's
 * elements one by one, each built, dumped and freed before the next. An
 * element at depth d is dumped alone and indented by 2 * d spaces after
 * each of its newlines (jansson writes no raw newline inside a string), so
 * the bytes are those of the whole document (tests/golden holds them).
 */
struct sj {
	struct jb *b;
	FILE *fp;
	size_t flags;		/* JSON_INDENT(2) or JSON_COMPACT */
	int compact;
	int err;		/* DT_EIO / DT_ENOMEM, sticky */
};

static void
sj_put(struct sj *s, const char *p, size_t n)
{
	if (s->err == 0 && n > 0 && fwrite(p, 1, n, s->fp) != n)
		s->err = DT_EIO;
}

static void
sj_pad(struct sj *s, unsigned n)
{
	static const char sp[] = "                ";

	for (; n > sizeof sp - 1; n -= sizeof sp - 1)
		sj_put(s, sp, sizeof sp - 1);
	sj_put(s, sp, n);
}

/* Text of a value dumped alone, placed at depth d. */
static void
sj_text(struct sj *s, const char *p, size_t n, unsigned depth)
{
	const char *nl;
	size_t k;

	while (n > 0 && s->err == 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		sj_put(s, p, k);
		if (nl != NULL && !s->compact)
			sj_pad(s, 2 * depth);
		p += k;
		n -= k;
	}
}

/* Element i of a list at depth d (its own depth); takes v. */
static void
sj_item(struct sj *s, size_t i, json_t *v, unsigned depth)
{
	char *t;

	if (v == NULL || s->b->err) {
		json_decref(v);
		s->err = s->err ? s->err : DT_ENOMEM;
		return;
	}
	if (i > 0)
		sj_put(s, ",", 1);
	if (!s->compact) {
		sj_put(s, "\n", 1);
		sj_pad(s, 2 * depth);
	}
	t = json_dumps(v, s->flags | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(v);
	if (t == NULL) {
		s->err = s->err ? s->err : DT_ENOMEM;
		return;
	}
	sj_text(s, t, strlen(t), depth);
	free(t);
}

static void
sj_close(struct sj *s, size_t n, unsigned depth)
{
	if (n > 0 && !s->compact) {
		sj_put(s, "\n", 1);
		sj_pad(s, 2 * (depth - 1));
	}
	sj_put(s, "]", 1);
}

/* Fills a hole: writes the list whose elements are at `depth`. */
typedef void (*sj_fill)(struct sj *s, const char *key, unsigned depth,
    const void *arg);

/*
 * Writes object o (taken) at depth d, filling the holes of `keys` in the
 * order its text has them; the rest of o as json_dumpf() writes it.
 */
static void
sj_object(struct sj *s, json_t *o, unsigned depth, const char *const *keys,
    sj_fill fill, const void *arg)
{
	char pat[64], *t;
	const char *p, *at;
	size_t i;

	if (o == NULL || s->b->err) {
		json_decref(o);
		s->err = s->err ? s->err : DT_ENOMEM;
		return;
	}
	t = json_dumps(o, s->flags | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (t == NULL) {
		s->err = s->err ? s->err : DT_ENOMEM;
		return;
	}
	p = t;
	for (i = 0; keys[i] != NULL && s->err == 0; i++) {
		/* the key with its hole: no string value can hold this text */
		snprintf(pat, sizeof pat, "\"%s\":%s\"%s\"", keys[i],
		    s->compact ? "" : " ", HOLE);
		if ((at = strstr(p, pat)) == NULL)
			continue;
		at += strlen(keys[i]) + (s->compact ? 3 : 4);
		sj_text(s, p, (size_t)(at - p), depth);
		sj_put(s, "[", 1);
		fill(s, keys[i], depth + 2, arg);
		p = at + strlen(HOLE) + 2;
	}
	sj_text(s, p, strlen(p), depth);
	free(t);
}

static void
fill_capture(struct sj *s, const char *key, unsigned depth, const void *arg)
{
	const struct dt_capture *cap = arg;
	const struct dt_conn *c;
	const struct dt_verdict *v;
	const struct dt_dns *d;
	const struct dt_http *h;
	size_t n = 0;

	if (strcmp(key, "connections") == 0)
		for (c = cap->conns; c != NULL && s->err == 0; c = c->next)
			sj_item(s, n++, jconn(s->b, c), depth);
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
	"connections", "verdicts", "dns", "http", NULL
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
