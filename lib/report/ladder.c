/*
 * The message ladder's decisions, once for text and HTML (see ladder.h):
 * which facts of a connection a timeline event stands for (the handshake
 * messages of RFC 5246 7.4 and RFC 8446 4, alerts of RFC 5246 7.2, TCP of
 * RFC 9293), its label, the evidence marks of the failing verdicts, and the
 * rows (a run of retransmissions is one).
 */
#include "report/ladder.h"

#include <string.h>

#include "tls/tls.h"

/* ---- labels ------------------------------------------------------------- */

struct label {
	int value;
	const char *label;
};

static const struct label hs_labels[] = {
	{ 0, "HelloRequest" },
	{ 1, "ClientHello" },
	{ 2, "ServerHello" },
	{ 3, "HelloVerifyRequest" },
	{ 4, "NewSessionTicket" },
	{ 5, "EndOfEarlyData" },
	{ 6, "HelloRetryRequest" },
	{ 8, "EncryptedExtensions" },
	{ 11, "Certificate" },
	{ 12, "ServerKeyExchange" },
	{ 13, "CertificateRequest" },
	{ 14, "ServerHelloDone" },
	{ 15, "CertificateVerify" },
	{ 16, "ClientKeyExchange" },
	{ 20, "Finished" },
	{ 21, "CertificateURL" },
	{ 22, "CertificateStatus" },
	{ 23, "SupplementalData" },
	{ 24, "KeyUpdate" },
	{ 25, "CompressedCertificate" },
	{ 254, "MessageHash" },
};

static const struct label ev_labels[] = {
	{ DT_EV_SYN, "SYN" },
	{ DT_EV_SYNACK, "SYN-ACK" },
	{ DT_EV_RST, "RST" },
	{ DT_EV_FIN, "FIN" },
	{ DT_EV_RETRANS, "Retransmission" },
	{ DT_EV_ZERO_WINDOW, "Zero window" },
	{ DT_EV_KEEPALIVE, "Keep-alive" },
	{ DT_EV_GAP, "Bytes missing" },
	{ DT_EV_END_OPEN, "Capture ends, connection still open" },
	{ DT_EV_TLS_HANDSHAKE, "Handshake message" },
	{ DT_EV_TLS_CCS, "ChangeCipherSpec" },
	{ DT_EV_TLS_ALERT, "Alert" },
	{ DT_EV_TLS_APPDATA, "Application data" },
	{ DT_EV_TLS_ENCRYPTED, "Encrypted handshake" },
	{ DT_EV_TLS_MALFORMED, "Not parseable as TLS" },
	{ DT_EV_NON_TLS, "Not TLS" },
	{ DT_EV_HTTP_REQUEST, "HTTP request" },
	{ DT_EV_HTTP_RESPONSE, "HTTP response" },
	{ DT_EV_SSLV2_HELLO, "SSLv2-compatible ClientHello" },
	{ DT_EV_DROPPED, "Dropped on the client (pktmon)" },
	{ DT_EV_TLS_UPGRADE, "TLS agreed" },
	{ DT_EV_TLS_RECORD, "Record" },
	{ DT_EV_TLS_RESYNC, "Records readable again" },
	{ DT_EV_OUT_OF_WINDOW, "ACK outside the window" },
	{ DT_EV_ZERO_WINDOW_PROBE, "Zero-window probe" },
};

static const char *
label_of(const struct label *t, size_t n, int value, const char *dflt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].label;
	return dflt;
}

const char *
dt_report_hs_label(int type, const char *dflt)
{
	return label_of(hs_labels, sizeof hs_labels / sizeof hs_labels[0],
	    type, dflt);
}

const char *
dt_report_ev_label(int type, const char *dflt)
{
	return label_of(ev_labels, sizeof ev_labels / sizeof ev_labels[0],
	    type, dflt);
}

/* ---- steps -------------------------------------------------------------- */

static void
client_hello(const struct dt_tls_facts *t, struct dt_step *st)
{
	uint16_t best = 0;
	size_t i;

	for (i = 0; i < dt_tls_hello(t)->n_client_versions; i++)
		if (!dt_tls_is_grease(dt_tls_hello(t)->client_versions[i]) &&
		    dt_tls_hello(t)->client_versions[i] > best)
			best = dt_tls_hello(t)->client_versions[i];
	st->version = best != 0 ? best : dt_tls_hello(t)->ch_legacy_version;
	st->n_suites = dt_tls_hello(t)->n_offered_suites;
	for (i = 0; i < dt_tls_hello(t)->n_offered_suites; i++)
		if (dt_tls_suite_is_null(dt_tls_hello(t)->offered_suites[i]))
			st->n_null++;
	st->null_offered = st->n_null > 0 || dt_tls_hello(t)->offered_null;
	st->only_null = dt_tls_hello(t)->offered_only_null || st->n_null == st->n_suites;
}

uint16_t
dt_ladder_null_suite(const struct dt_tls_facts *t, size_t k)
{
	size_t i;

	for (i = 0; i < dt_tls_hello(t)->n_offered_suites; i++)
		if (dt_tls_suite_is_null(dt_tls_hello(t)->offered_suites[i]) && k-- == 0)
			return dt_tls_hello(t)->offered_suites[i];
	return 0;
}

static void
handshake(const struct dt_conn *c, const struct dt_event *ev,
    struct dt_step *st)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);

	st->hs = dt_ev_hs(ev);
	st->encrypted = dt_ev_hs_encrypted(ev);
	st->label = dt_report_hs_label(st->hs, NULL);
	st->kind = DT_STEP_HANDSHAKE;
	if (st->hs == DT_HS_CLIENT_HELLO && dt_ev_frame(c, ev) == t->ch_frame &&
	    ev->dir == DT_C2S) {
		st->kind = DT_STEP_CLIENT_HELLO;
		client_hello(t, st);
	} else if (dt_ev_hs_hrr(ev)) {
		st->kind = DT_STEP_HRR;
		st->label = "HelloRetryRequest";
	} else if (st->hs == DT_HS_SERVER_HELLO && dt_ev_frame(c, ev) == t->sh_frame &&
	    ev->dir == DT_S2C) {
		st->kind = DT_STEP_SERVER_HELLO;
		st->version = t->version;
		st->suite = t->suite;
		st->resumed = t->resumed;
	} else if (st->hs == DT_HS_CERTIFICATE && ev->dir == DT_S2C &&
	    t->n_server_certs > 0) {
		st->kind = DT_STEP_SERVER_CERT;
		st->cert = &t->server_certs[0];
		st->n_certs = t->n_server_certs;
	} else if (st->hs == DT_HS_CERTIFICATE && ev->dir == DT_C2S) {
		st->kind = DT_STEP_CLIENT_CERT;
		st->cert_empty = t->client_cert == DT_CCERT_EMPTY;
		st->cert = tr->n_client_certs > 0 ? &tr->client_certs[0] : NULL;
		st->n_certs = tr->n_client_certs;
	} else if (st->hs == DT_HS_CERTIFICATE_REQUEST &&
	    dt_ev_frame(c, ev) == tr->cert_request_frame) {
		st->kind = DT_STEP_CERT_REQUEST;
	}
}

void
dt_ladder_step(const struct dt_conn *c, const struct dt_event *ev,
    struct dt_step *st)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);

	memset(st, 0, sizeof *st);
	st->ev = ev;
	st->tls = t;
	st->hs = -1;
	st->label = dt_report_ev_label(ev->type, "Event");
	switch (ev->type) {
	case DT_EV_TLS_HANDSHAKE:
		handshake(c, ev, st);
		break;
	case DT_EV_TLS_ALERT:
		st->kind = DT_STEP_ALERT;
		st->encrypted = !dt_ev_alert(ev, &st->alert_level,
		    &st->alert_desc);
		break;
	case DT_EV_SSLV2_HELLO:
		if (ev->a == DT_SSLV2_SERVER_HELLO)
			st->label = "SSLv2 ServerHello";
		else if (ev->a == DT_SSLV2_CLIENT_MASTER_KEY)
			st->label = "SSLv2 ClientMasterKey";
		break;
	case DT_EV_NON_TLS:
		st->kind = DT_STEP_NON_TLS;
		if (dt_ev_frame(c, ev) == tr->non_tls_frame)
			st->wire = tr->non_tls_line;
		break;
	case DT_EV_TLS_MALFORMED:
		st->kind = DT_STEP_MALFORMED;
		if (dt_ev_frame(c, ev) == tr->malformed_frame)
			st->wire = tr->malformed;
		break;
	case DT_EV_HTTP_REQUEST:
		st->kind = DT_STEP_HTTP_REQUEST;
		break;
	case DT_EV_HTTP_RESPONSE:
		st->kind = DT_STEP_HTTP_RESPONSE;
		break;
	case DT_EV_TLS_UPGRADE:
		st->kind = DT_STEP_NOTE;
		st->wire = dt_tls_preamble_name(ev->a);
		break;
	case DT_EV_TLS_RECORD:
		if (ev->a == 24)
			st->label = "Heartbeat record";
		break;
	default:
		break;
	}
}

/* ---- evidence marks ------------------------------------------------------ */

/* Per verdict id, the handshake messages that show it best when several
   share an evidence frame. */
static const struct {
	const char *id;
	uint8_t hs[2];
} prefer[] = {
	{ "server-cert-expired", { DT_HS_CERTIFICATE, 0 } },
	{ "server-cert-untrusted", { DT_HS_CERTIFICATE, 0 } },
	{ "server-name-mismatch", { DT_HS_CERTIFICATE, 0 } },
	{ "ssl-inspection", { DT_HS_CERTIFICATE, 0 } },
	{ "wrong-server", { DT_HS_CERTIFICATE, 0 } },
	{ "crl-unreachable", { DT_HS_CERTIFICATE, 0 } },
	{ "client-cert-missing",
	    { DT_HS_CERTIFICATE_REQUEST, DT_HS_CERTIFICATE } },
	{ "client-cert-rejected",
	    { DT_HS_CERTIFICATE, DT_HS_CERTIFICATE_REQUEST } },
	{ "encrypted-cipher-negotiated", { DT_HS_SERVER_HELLO, 0 } },
	{ "null-cipher-negotiated", { DT_HS_SERVER_HELLO, 0 } },
	{ "tls-version-mismatch", { DT_HS_SERVER_HELLO, 0 } },
};

long
dt_ladder_evidence_event(const struct dt_conn *c, const struct dt_verdict *v,
    uint64_t frame)
{
	size_t i, k, p;
	long first = -1;

	for (i = 0; i < c->n_events && first < 0; i++)
		if (dt_ev_frame(c, &c->events[i]) == frame)
			first = (long)i;
	if (first < 0 || v->id == NULL)
		return first;
	for (p = 0; p < sizeof prefer / sizeof prefer[0]; p++) {
		if (strcmp(prefer[p].id, v->id) != 0)
			continue;
		for (k = 0; k < 2 && prefer[p].hs[k] != 0; k++)
			for (i = (size_t)first; i < c->n_events; i++)
				if (dt_ev_frame(c, &c->events[i]) == frame &&
				    dt_ev_is_hs(&c->events[i],
				    prefer[p].hs[k]))
					return (long)i;
	}
	return first;
}

size_t
dt_ladder_marks(const struct dt_conn *c, const struct dt_verdict *const *v,
    size_t nv, struct dt_mark *mk)
{
	size_t i, j, k, outside = 0;
	uint64_t best;
	long e, last;

	for (i = 0; i < c->n_events; i++) {
		mk[i].sev = -1;
		mk[i].badge = -1;
	}
	for (j = 0; j < nv; j++) {
		if (v[j]->severity < DT_SEV_WARNING)
			continue;
		last = -1;
		best = 0;
		for (k = 0; k < v[j]->n_frames; k++) {
			e = dt_ladder_evidence_event(c, v[j], v[j]->frames[k]);
			if (e < 0) {
				outside++;
				continue;
			}
			if (mk[e].sev < (int)v[j]->severity)
				mk[e].sev = (int)v[j]->severity;
			if (v[j]->frames[k] >= best) {
				best = v[j]->frames[k];
				last = e;
			}
		}
		if (last >= 0 && (mk[last].badge < 0 ||
		    v[mk[last].badge]->severity < v[j]->severity))
			mk[last].badge = (long)j;
	}
	return outside;
}

size_t
dt_ladder_row_end(const struct dt_conn *c, size_t i, const struct dt_mark *mk)
{
	const struct dt_event *ev = &c->events[i];
	size_t j;

	for (j = i; ev->type == DT_EV_RETRANS && j + 1 < c->n_events &&
	    c->events[j + 1].type == DT_EV_RETRANS &&
	    c->events[j + 1].dir == ev->dir &&
	    (mk == NULL || (mk[j + 1].sev < 0 && mk[j].sev < 0)); j++)
		;
	return j;
}
