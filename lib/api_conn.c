/*
 * The public accessors of a connection and its certificates (datrace.h):
 * TCP facts, the timeline, TLS and certificate fields, each a pure getter
 * of the finished facts (facts/finish.c made them UTF-8 and derived what
 * they hand out). The analyzer, captures, verdicts, side observations and
 * writers are in api.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer_int.h"
#include "report/report.h"
#include "rules/rules.h"
#include "tls/tls.h"

#include "capture/capture.h"

#include <arpa/inet.h>

/* ---- connection --------------------------------------------------------- */

DT_EXTERN uint32_t dt_conn_id(const dt_conn *c) { return c->id; }
/* made by the capture's first dt_capture_conn_at(), the only way to a
   dt_conn (dt_capture_api_texts): "client\0filter" */
static const char *
api_text(const dt_conn *c)
{
	return __atomic_load_n(&c->api_text, __ATOMIC_ACQUIRE);
}

DT_EXTERN const char *
dt_conn_client(const dt_conn *c)
{
	const char *s = api_text(c);

	return s != NULL ? s : "";
}

DT_EXTERN const char *dt_conn_server(const dt_conn *c) { return c->server_str; }
DT_EXTERN int dt_conn_iphttps(const dt_conn *c) { return c->iphttps; }
DT_EXTERN int dt_conn_iphttps_score(const dt_conn *c) { return c->iphttps_score; }
DT_EXTERN const char *dt_conn_iphttps_reason(const dt_conn *c) { return dt_conn_reason(c); }
DT_EXTERN uint64_t dt_conn_first_frame(const dt_conn *c) { return c->first_frame; }
DT_EXTERN uint64_t dt_conn_last_frame(const dt_conn *c) { return c->last_frame; }
DT_EXTERN int dt_conn_has_tls(const dt_conn *c) { return c->tls->seen; }
DT_EXTERN int dt_conn_tls_offered_null(const dt_conn *c) { return dt_tls_hello(c->tls)->offered_null; }
DT_EXTERN size_t dt_conn_tls_offered_count(const dt_conn *c) { return dt_tls_hello(c->tls)->n_offered_suites; }
DT_EXTERN size_t dt_conn_server_cert_count(const dt_conn *c) { return c->tls->n_server_certs; }

DT_EXTERN const char *
dt_conn_server_name(const dt_conn *c)
{
	return dt_facts_server_name(c);
}

DT_EXTERN const char *
dt_conn_state(const dt_conn *c)
{
	return dt_report_state_name(c->state);
}

DT_EXTERN const char *
dt_conn_wireshark_filter(const dt_conn *c)
{
	const char *s = api_text(c);

	return s != NULL ? s + strlen(s) + 1 : "";
}

DT_EXTERN const char *
dt_conn_tls_version(const dt_conn *c)
{
	if (!c->tls->seen || c->tls->sh_frame == 0)
		return NULL;
	return dt_tls_version_name(c->tls->version);
}

DT_EXTERN int
dt_conn_tls_suite(const dt_conn *c, const char **name)
{
	/* an SSL 2.0 SERVER-HELLO chooses no TLS suite (JSON null) */
	if (c->tls->sh_frame == 0 || c->tls->version < 0x0300) {
		if (name != NULL)
			*name = NULL;
		return -1;
	}
	if (name != NULL)
		*name = dt_tls_suite_name(c->tls->suite);
	return c->tls->suite;
}

DT_EXTERN int
dt_conn_tls_offered_at(const dt_conn *c, size_t i, uint16_t *suite,
    const char **name)
{
	if (i >= dt_tls_hello(c->tls)->n_offered_suites)
		return DT_ITEROVER;
	if (suite != NULL)
		*suite = dt_tls_hello(c->tls)->offered_suites[i];
	if (name != NULL)
		*name = dt_tls_suite_name(dt_tls_hello(c->tls)->offered_suites[i]);
	return 0;
}

DT_EXTERN int
dt_conn_tls_alert(const dt_conn *c, uint64_t *frame, int *from_server,
    int *level, int *description, const char **name)
{
	const struct dt_tls_facts *t = c->tls;

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
	return dt_report_client_cert_name(c->tls->client_cert);
}

DT_EXTERN int
dt_conn_server_cert_at(const dt_conn *c, size_t i, const dt_cert **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (i >= c->tls->n_server_certs)
		return DT_ITEROVER;
	*out = &c->tls->server_certs[i];
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

/* ---- connection: TCP ---------------------------------------------------- */

/* dir as an index: DT_FROM_CLIENT/SERVER are DT_C2S/DT_S2C. */
#define DIR_OK(dir) ((dir) == DT_FROM_CLIENT || (dir) == DT_FROM_SERVER)

DT_EXTERN int dt_conn_roles_from_syn(const dt_conn *c) { return c->roles_from_syn != 0; }
DT_EXTERN int64_t dt_conn_first_time(const dt_conn *c) { return c->first_time; }
DT_EXTERN int64_t dt_conn_last_time(const dt_conn *c) { return c->last_time; }
DT_EXTERN uint64_t dt_conn_syn_frame(const dt_conn *c) { return c->syn_frame; }
DT_EXTERN unsigned dt_conn_syn_count(const dt_conn *c) { return c->syn_count; }
DT_EXTERN uint64_t dt_conn_synack_frame(const dt_conn *c) { return c->synack_frame; }
DT_EXTERN unsigned dt_conn_retransmissions(const dt_conn *c) { return c->retransmissions; }
DT_EXTERN int dt_conn_truncated(const dt_conn *c) { return c->truncated != 0; }
DT_EXTERN unsigned dt_conn_ttl_syn(const dt_conn *c) { return c->ttl_syn; }
DT_EXTERN unsigned dt_conn_ttl_synack(const dt_conn *c) { return c->ttl_synack; }
DT_EXTERN unsigned dt_conn_timeline_dropped(const dt_conn *c) { return dt_conn_events_dropped(c); }
DT_EXTERN size_t dt_conn_event_count(const dt_conn *c) { return c->n_events; }

DT_EXTERN int
dt_conn_rst(const dt_conn *c, uint64_t *frame, int *from_server)
{
	if (c->rst_frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = c->rst_frame;
	if (from_server != NULL)
		*from_server = c->rst_dir == DT_S2C;
	return 0;
}

DT_EXTERN uint64_t
dt_conn_fin_frame(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->fin_frame[dir] : 0;
}

DT_EXTERN uint64_t
dt_conn_bytes(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->bytes[dir] : 0;
}

DT_EXTERN uint64_t
dt_conn_packets(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->packets[dir] : 0;
}

DT_EXTERN uint64_t
dt_conn_gap_bytes(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? dt_conn_gap(c, dir) : 0;
}

DT_EXTERN unsigned
dt_conn_ttl_server_data(const dt_conn *c, unsigned *min, unsigned *max)
{
	if (min != NULL)
		*min = c->ttl_server_data ? c->ttl_server_data_min : 0;
	if (max != NULL)
		*max = c->ttl_server_data ? c->ttl_server_data_max : 0;
	return c->ttl_server_data;
}

/* ---- connection: timeline ----------------------------------------------- */

DT_EXTERN int
dt_conn_event_at(const dt_conn *c, size_t i, uint64_t *frame, int64_t *time,
    int *from_server, const char **type)
{
	const struct dt_event *ev;

	if (i >= c->n_events)
		return DT_ITEROVER;
	ev = &c->events[i];
	if (frame != NULL)
		*frame = dt_ev_frame(c, ev);
	if (time != NULL)
		*time = dt_ev_time(c, ev);
	if (from_server != NULL)
		*from_server = ev->dir == DT_S2C;
	if (type != NULL)
		*type = dt_report_msg_name(ev);
	return 0;
}

DT_EXTERN int
dt_conn_event_in_messages(const dt_conn *c, size_t i)
{
	return i < c->n_events && dt_report_event_is_tls(&c->events[i]);
}

/*
 * The extra fields the JSON writer gives each event type (report/json.c,
 * jevent): type, key, where the value comes from. A row with a test only
 * applies when the test holds (an encrypted alert has no "code").
 */
enum ev_src { SRC_B, SRC_A_SET, SRC_A_ONE, SRC_B_SET, SRC_ALERT_CODE,
	SRC_HS_ENCRYPTED };

static const struct ev_field {
	uint8_t type;
	const char *key;
	enum ev_src src;
} ev_fields[] = {
	{ DT_EV_TLS_ALERT,	"code",			SRC_ALERT_CODE },
	{ DT_EV_TLS_ALERT,	"encrypted",		SRC_B_SET },
	{ DT_EV_HTTP_RESPONSE,	"status",		SRC_B },
	{ DT_EV_GAP,		"bytes",		SRC_B },
	{ DT_EV_TLS_ENCRYPTED,	"bytes",		SRC_B },
	{ DT_EV_SYN,		"retransmission",	SRC_A_SET },
	{ DT_EV_SYNACK,		"retransmission",	SRC_A_SET },
	{ DT_EV_RST,		"before_synack",	SRC_A_ONE },
	{ DT_EV_RST,		"peer_bytes",		SRC_B },
	{ DT_EV_FIN,		"bytes_before",		SRC_B },
	{ DT_EV_TLS_HANDSHAKE,	"encrypted",		SRC_HS_ENCRYPTED },
};

DT_EXTERN int
dt_conn_event_field(const dt_conn *c, size_t i, const char *key,
    int64_t *value)
{
	const struct dt_event *ev;
	const struct ev_field *f;
	int64_t v;
	size_t k;

	if (key == NULL || i >= c->n_events)
		return DT_ITEROVER;
	ev = &c->events[i];
	for (k = 0; k < sizeof ev_fields / sizeof ev_fields[0]; k++) {
		f = &ev_fields[k];
		if (f->type != ev->type || strcmp(f->key, key) != 0)
			continue;
		switch (f->src) {
		case SRC_B:
			v = ev->b;
			break;
		case SRC_A_SET:
			v = ev->a != 0;
			break;
		case SRC_A_ONE:
			v = ev->a == 1;
			break;
		case SRC_B_SET:
			v = ev->b != 0;
			break;
		case SRC_ALERT_CODE: {
			uint8_t level, desc;

			if (!dt_ev_alert(ev, &level, &desc))
				return DT_ITEROVER;
			v = desc;
			break;
		}
		case SRC_HS_ENCRYPTED:
			if (!dt_ev_hs_encrypted(ev))
				return DT_ITEROVER;
			v = 1;
			break;
		default:
			return DT_ITEROVER;
		}
		if (value != NULL)
			*value = v;
		return 0;
	}
	return DT_ITEROVER;
}

DT_EXTERN int
dt_conn_event_alert(const dt_conn *c, size_t i, int *level, int *description,
    const char **name)
{
	uint8_t lv, desc;
	int plain;

	if (i >= c->n_events || c->events[i].type != DT_EV_TLS_ALERT)
		return DT_ITEROVER;
	plain = dt_ev_alert(&c->events[i], &lv, &desc);
	if (level != NULL)
		*level = lv;
	if (description != NULL)
		*description = plain ? desc : -1;
	if (name != NULL)
		*name = plain ? dt_tls_alert_name(desc) : NULL;
	return 0;
}

/* ---- connection: TLS ---------------------------------------------------- */

/* A kept list's count, bounded by its DT_*_MAX (the count may say more
   were seen than were kept). */
#define KEPT(n, max) ((n) < (max) ? (n) : (max))

DT_EXTERN size_t dt_conn_tls_client_version_count(const dt_conn *c) { return dt_tls_hello(c->tls)->n_client_versions; }
DT_EXTERN uint16_t dt_conn_tls_client_hello_version(const dt_conn *c) { return c->tls->ch_frame ? dt_tls_hello(c->tls)->ch_legacy_version : 0; }
DT_EXTERN uint16_t dt_conn_tls_record_version(const dt_conn *c) { return dt_tls_hello(c->tls)->record_version; }
DT_EXTERN uint64_t dt_conn_tls_client_hello_frame(const dt_conn *c) { return c->tls->ch_frame; }
DT_EXTERN uint64_t dt_conn_tls_server_hello_frame(const dt_conn *c) { return c->tls->sh_frame; }
DT_EXTERN int dt_conn_tls_offered_only_null(const dt_conn *c) { return dt_tls_hello(c->tls)->offered_only_null != 0; }
DT_EXTERN const char *dt_conn_tls_sni(const dt_conn *c) { return c->tls->sni; }
DT_EXTERN const char *dt_conn_tls_alpn(const dt_conn *c) { return c->tls->alpn; }
DT_EXTERN size_t dt_conn_tls_extension_count(const dt_conn *c) { return dt_tls_hello(c->tls)->n_extensions; }
DT_EXTERN size_t dt_conn_tls_group_count(const dt_conn *c) { return KEPT(dt_tls_hello(c->tls)->n_ch_groups, DT_CH_GROUPS_MAX); }
DT_EXTERN size_t dt_conn_tls_sig_alg_count(const dt_conn *c) { return KEPT(dt_tls_hello(c->tls)->n_ch_sig_algs, DT_CH_SIG_ALGS_MAX); }
DT_EXTERN int dt_conn_tls_renegotiation_info(const dt_conn *c) { return dt_tls_hello(c->tls)->ch_reneg_info != 0; }
DT_EXTERN int dt_conn_tls_extended_master_secret(const dt_conn *c) { return dt_tls_hello(c->tls)->ch_ems != 0; }
DT_EXTERN int dt_conn_tls_status_request(const dt_conn *c) { return dt_tls_hello(c->tls)->ch_status_request != 0; }
DT_EXTERN int dt_conn_tls_sslv2_hello(const dt_conn *c) { return c->tls->sslv2_hello != 0; }
DT_EXTERN int dt_conn_tls_hello_retry_request(const dt_conn *c) { return c->tls->hrr != 0; }
DT_EXTERN int dt_conn_tls_resumed(const dt_conn *c) { return c->tls->resumed != 0; }
DT_EXTERN unsigned dt_conn_tls_alert_count(const dt_conn *c) { return c->tls->n_alerts; }
DT_EXTERN uint64_t dt_conn_tls_server_certificate_frame(const dt_conn *c) { return c->tls->server_cert_frame; }
DT_EXTERN int dt_conn_tls_certificates_visible(const dt_conn *c) { return !c->tls->certs_not_visible; }
DT_EXTERN const char *dt_conn_tls_chain(const dt_conn *c) { return dt_report_chain_name(c->tls->chain); }
DT_EXTERN const char *dt_conn_tls_chain_error(const dt_conn *c) { return dt_tls_rare(c->tls)->chain_error; }
DT_EXTERN size_t dt_conn_tls_ca_name_count(const dt_conn *c) { return dt_tls_rare(c->tls)->n_ca_names; }
DT_EXTERN size_t dt_conn_tls_cert_request_type_count(const dt_conn *c) { return KEPT(dt_tls_rare(c->tls)->n_cr_cert_types, DT_CR_CERT_TYPES_MAX); }
DT_EXTERN size_t dt_conn_tls_cert_request_sig_alg_count(const dt_conn *c) { return KEPT(dt_tls_rare(c->tls)->n_cr_sig_algs, DT_CR_SIG_ALGS_MAX); }
DT_EXTERN uint64_t dt_conn_tls_client_certificate_frame(const dt_conn *c) { return dt_tls_rare(c->tls)->client_cert_frame; }
DT_EXTERN size_t dt_conn_client_cert_count(const dt_conn *c) { return dt_tls_rare(c->tls)->n_client_certs; }
DT_EXTERN uint64_t dt_conn_tls_server_hello_done_frame(const dt_conn *c) { return c->tls->server_hello_done_frame; }

DT_EXTERN uint16_t
dt_conn_tls_version_id(const dt_conn *c)
{
	return c->tls->sh_frame != 0 ? c->tls->version : 0;
}

DT_EXTERN int
dt_conn_tls_client_version_at(const dt_conn *c, size_t i, uint16_t *version,
    const char **name)
{
	if (i >= dt_tls_hello(c->tls)->n_client_versions)
		return DT_ITEROVER;
	if (version != NULL)
		*version = dt_tls_hello(c->tls)->client_versions[i];
	if (name != NULL)
		*name = dt_tls_version_name(dt_tls_hello(c->tls)->client_versions[i]);
	return 0;
}

DT_EXTERN int
dt_conn_tls_extension_at(const dt_conn *c, size_t i, uint16_t *type)
{
	if (i >= dt_tls_hello(c->tls)->n_extensions)
		return DT_ITEROVER;
	if (type != NULL)
		*type = dt_tls_hello(c->tls)->extensions[i];
	return 0;
}

DT_EXTERN int
dt_conn_tls_group_at(const dt_conn *c, size_t i, uint16_t *group)
{
	if (i >= dt_conn_tls_group_count(c))
		return DT_ITEROVER;
	if (group != NULL)
		*group = dt_tls_hello(c->tls)->ch_groups[i];
	return 0;
}

DT_EXTERN int
dt_conn_tls_sig_alg_at(const dt_conn *c, size_t i, uint16_t *alg)
{
	if (i >= dt_conn_tls_sig_alg_count(c))
		return DT_ITEROVER;
	if (alg != NULL)
		*alg = dt_tls_hello(c->tls)->ch_sig_algs[i];
	return 0;
}

DT_EXTERN int
dt_conn_tls_cert_request(const dt_conn *c, uint64_t *frame)
{
	if (dt_tls_rare(c->tls)->cert_request_frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = dt_tls_rare(c->tls)->cert_request_frame;
	return 0;
}

DT_EXTERN const char *
dt_conn_tls_ca_name_at(const dt_conn *c, size_t i)
{
	return i < dt_tls_rare(c->tls)->n_ca_names ? dt_tls_rare(c->tls)->ca_names[i] : NULL;
}

DT_EXTERN int
dt_conn_tls_cert_request_type_at(const dt_conn *c, size_t i, unsigned *type)
{
	if (i >= dt_conn_tls_cert_request_type_count(c))
		return DT_ITEROVER;
	if (type != NULL)
		*type = dt_tls_rare(c->tls)->cr_cert_types[i];
	return 0;
}

DT_EXTERN int
dt_conn_tls_cert_request_sig_alg_at(const dt_conn *c, size_t i,
    uint16_t *alg)
{
	if (i >= dt_conn_tls_cert_request_sig_alg_count(c))
		return DT_ITEROVER;
	if (alg != NULL)
		*alg = dt_tls_rare(c->tls)->cr_sig_algs[i];
	return 0;
}

DT_EXTERN int
dt_conn_client_cert_at(const dt_conn *c, size_t i, const dt_cert **out)
{
	if (out == NULL)
		return DT_EINVAL;
	if (i >= dt_tls_rare(c->tls)->n_client_certs)
		return DT_ITEROVER;
	*out = &dt_tls_rare(c->tls)->client_certs[i];
	return 0;
}

DT_EXTERN uint64_t
dt_conn_tls_ccs_frame(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->tls->ccs_frame[dir] : 0;
}

DT_EXTERN uint64_t
dt_conn_tls_finished_frame(const dt_conn *c, int dir)
{
	return DIR_OK(dir) ? c->tls->finished_frame[dir] : 0;
}

DT_EXTERN uint64_t
dt_conn_tls_appdata(const dt_conn *c, int dir, uint64_t *bytes,
    uint64_t *records)
{
	if (!DIR_OK(dir)) {
		if (bytes != NULL)
			*bytes = 0;
		if (records != NULL)
			*records = 0;
		return 0;
	}
	if (bytes != NULL)
		*bytes = c->tls->appdata_bytes[dir];
	if (records != NULL)
		*records = c->tls->appdata_records[dir];
	return c->tls->appdata_frame[dir];
}

DT_EXTERN int
dt_conn_tls_http(const dt_conn *c, int response, uint64_t *frame,
    const char **line, const char **host, const char **server,
    const char **content_length, int *status)
{
	const struct dt_http_msg *h = response ? &dt_tls_http(c->tls)->response :
	    &dt_tls_http(c->tls)->request;

	if (h->frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = h->frame;
	if (line != NULL)
		*line = h->line;
	if (host != NULL)
		*host = h->host;
	if (server != NULL)
		*server = h->server;
	if (content_length != NULL)
		*content_length = h->content_length;
	if (status != NULL)
		*status = response ? h->status : 0;
	return 0;
}

DT_EXTERN int
dt_conn_tls_non_tls(const dt_conn *c, uint64_t *frame, int *from_server,
    const char **line)
{
	if (dt_tls_rare(c->tls)->non_tls_frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = dt_tls_rare(c->tls)->non_tls_frame;
	if (from_server != NULL)
		*from_server = dt_tls_rare(c->tls)->non_tls_dir == DT_S2C;
	if (line != NULL)
		*line = dt_tls_rare(c->tls)->non_tls_line;
	return 0;
}

DT_EXTERN int
dt_conn_tls_malformed(const dt_conn *c, uint64_t *frame, int *from_server,
    const char **reason)
{
	if (dt_tls_rare(c->tls)->malformed_frame == 0)
		return DT_ITEROVER;
	if (frame != NULL)
		*frame = dt_tls_rare(c->tls)->malformed_frame;
	if (from_server != NULL)
		*from_server = dt_tls_rare(c->tls)->malformed_dir == DT_S2C;
	if (reason != NULL)
		*reason = dt_tls_rare(c->tls)->malformed;
	return 0;
}

DT_EXTERN int
dt_conn_tls_truncated(const dt_conn *c, uint64_t *frame)
{
	if (frame != NULL)
		*frame = dt_tls_rare(c->tls)->truncated_frame;
	return dt_tls_rare(c->tls)->truncated != 0;
}

/* ---- certificate: the rest ---------------------------------------------- */

DT_EXTERN const char *dt_cert_serial(const dt_cert *x) { return x->serial; }
DT_EXTERN const char *dt_cert_common_name(const dt_cert *x) { return x->common_name; }
DT_EXTERN size_t dt_cert_ip_address_count(const dt_cert *x) { return x->n_ip_addrs; }
DT_EXTERN size_t dt_cert_crl_url_count(const dt_cert *x) { return x->n_crl_urls; }
DT_EXTERN size_t dt_cert_aia_url_count(const dt_cert *x) { return x->n_aia_urls; }
DT_EXTERN const char *dt_cert_key_type(const dt_cert *x) { return x->key_type; }
DT_EXTERN unsigned dt_cert_key_bits(const dt_cert *x) { return x->key_bits; }
DT_EXTERN const char *dt_cert_signature_algorithm(const dt_cert *x) { return x->sig_alg; }
DT_EXTERN int dt_cert_server_auth(const dt_cert *x) { return x->server_auth != 0; }
DT_EXTERN int dt_cert_client_auth(const dt_cert *x) { return x->client_auth != 0; }
DT_EXTERN const char *dt_cert_parse_error(const dt_cert *x) { return x->parse_error; }

DT_EXTERN const char *
dt_cert_ip_address_at(const dt_cert *x, size_t i)
{
	return i < x->n_ip_addrs ? x->ip_addrs[i] : NULL;
}

DT_EXTERN const char *
dt_cert_crl_url_at(const dt_cert *x, size_t i)
{
	return i < x->n_crl_urls ? x->crl_urls[i] : NULL;
}

DT_EXTERN const char *
dt_cert_aia_url_at(const dt_cert *x, size_t i)
{
	return i < x->n_aia_urls ? x->aia_urls[i] : NULL;
}

