/*
 * Names and formats shared by the JSON and text writers and by the public
 * accessors: TCP states, severities, timeline event types (the TLS
 * handshake types of RFC 5246 7.4 and RFC 8446 4, as registered by IANA),
 * RFC 3339 timestamps, and connection strings.
 */
#include "report/report.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "tls/tls.h"
#include "util/rd.h"

struct name {
	int value;
	const char *name;
};

static const char *
lookup(const struct name *t, size_t n, int value, const char *dflt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return dflt;
}

#define LOOKUP(t, v, d) lookup((t), sizeof(t) / sizeof((t)[0]), (v), (d))

static const struct name state_names[] = {
	{ DT_TCP_NO_ANSWER, "no-answer" },
	{ DT_TCP_REFUSED, "refused" },
	{ DT_TCP_ESTABLISHED, "established" },
	{ DT_TCP_RESET, "reset" },
	{ DT_TCP_CLOSED, "closed" },
	{ DT_TCP_OPEN, "open" },
};

const char *
dt_report_state_name(enum dt_tcp_state s)
{
	return LOOKUP(state_names, (int)s, "unknown");
}

static const struct name severity_names[] = {
	{ DT_SEV_INFO, "info" },
	{ DT_SEV_WARNING, "warning" },
	{ DT_SEV_ERROR, "error" },
};

const char *
dt_report_severity_name(dt_severity s)
{
	return LOOKUP(severity_names, (int)s, "unknown");
}

static const struct name confidence_names[] = {
	{ DT_CONF_LOW, "low" },
	{ DT_CONF_MEDIUM, "medium" },
	{ DT_CONF_HIGH, "high" },
};

const char *
dt_report_confidence_name(dt_confidence c)
{
	return LOOKUP(confidence_names, (int)c, "unknown");
}

static const struct name client_cert_names[] = {
	{ DT_CCERT_NONE, "none" },
	{ DT_CCERT_EMPTY, "empty" },
	{ DT_CCERT_PRESENT, "present" },
};

const char *
dt_report_client_cert_name(enum dt_client_cert cc)
{
	return LOOKUP(client_cert_names, (int)cc, "none");
}

static const struct name chain_names[] = {
	{ DT_CHAIN_UNCHECKED, "unchecked" },
	{ DT_CHAIN_OK, "ok" },
	{ DT_CHAIN_UNTRUSTED, "untrusted" },
	{ DT_CHAIN_BAD, "bad" },
};

const char *
dt_report_chain_name(enum dt_chain ch)
{
	return LOOKUP(chain_names, (int)ch, "unchecked");
}

const char *
dt_report_dir_name(int dir)
{
	return dir == DT_S2C ? "server" : "client";
}

/* IANA TLS HandshakeType registry. */
static const struct name handshake_names[] = {
	{ 0, "hello_request" },
	{ 1, "client_hello" },
	{ 2, "server_hello" },
	{ 3, "hello_verify_request" },
	{ 4, "new_session_ticket" },
	{ 5, "end_of_early_data" },
	{ 6, "hello_retry_request" },
	{ 8, "encrypted_extensions" },
	{ 11, "certificate" },
	{ 12, "server_key_exchange" },
	{ 13, "certificate_request" },
	{ 14, "server_hello_done" },
	{ 15, "certificate_verify" },
	{ 16, "client_key_exchange" },
	{ 20, "finished" },
	{ 21, "certificate_url" },
	{ 22, "certificate_status" },
	{ 23, "supplemental_data" },
	{ 24, "key_update" },
	{ 25, "compressed_certificate" },
	{ 254, "message_hash" },
};

static const struct name event_names[] = {
	{ DT_EV_SYN, "syn" },
	{ DT_EV_SYNACK, "syn_ack" },
	{ DT_EV_RST, "rst" },
	{ DT_EV_FIN, "fin" },
	{ DT_EV_RETRANS, "retransmission" },
	{ DT_EV_ZERO_WINDOW, "zero_window" },
	{ DT_EV_KEEPALIVE, "keepalive" },
	{ DT_EV_GAP, "gap" },
	{ DT_EV_END_OPEN, "end_open" },
	{ DT_EV_TLS_HANDSHAKE, "handshake" },
	{ DT_EV_TLS_CCS, "change_cipher_spec" },
	{ DT_EV_TLS_ALERT, "alert" },
	{ DT_EV_TLS_APPDATA, "application_data" },
	{ DT_EV_TLS_ENCRYPTED, "encrypted_handshake" },
	{ DT_EV_TLS_MALFORMED, "malformed" },
	{ DT_EV_NON_TLS, "non_tls" },
	{ DT_EV_HTTP_REQUEST, "http_request" },
	{ DT_EV_HTTP_RESPONSE, "http_response" },
	{ DT_EV_SSLV2_HELLO, "sslv2_client_hello" },
	{ DT_EV_DROPPED, "dropped" },
	{ DT_EV_TLS_UPGRADE, "upgrade" },
	{ DT_EV_TLS_RECORD, "record" },
	{ DT_EV_TLS_RESYNC, "resync" },
	{ DT_EV_OUT_OF_WINDOW, "out_of_window_ack" },
	{ DT_EV_ZERO_WINDOW_PROBE, "zero_window_probe" },
};

const char *
dt_report_msg_name(const struct dt_event *ev)
{
	if (dt_ev_hs_hrr(ev))
		return "hello_retry_request";
	if (ev->type == DT_EV_TLS_HANDSHAKE)
		return LOOKUP(handshake_names, dt_ev_hs(ev), "handshake");
	if (ev->type == DT_EV_SSLV2_HELLO && ev->a == DT_SSLV2_SERVER_HELLO)
		return "sslv2_server_hello";
	if (ev->type == DT_EV_TLS_RECORD && ev->a == 24)
		return "heartbeat";
	return LOOKUP(event_names, ev->type, "unknown");
}

int
dt_report_event_is_tls(const struct dt_event *ev)
{
	return (ev->type >= DT_EV_TLS_HANDSHAKE &&
	    ev->type <= DT_EV_SSLV2_HELLO) || (ev->type >= DT_EV_TLS_UPGRADE &&
	    ev->type <= DT_EV_TLS_RESYNC);
}

/* ---- time ------------------------------------------------------------------ */

static int
format_time(int64_t sec, long nsec, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)sec;

	if (len > 0)
		buf[0] = '\0';
	if ((int64_t)t != sec || gmtime_r(&t, &tm) == NULL)
		return -1;
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return -1;
	if (nsec != 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, nsec);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	return 0;
}

int
dt_report_time(int64_t ns, char *buf, size_t len)
{
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;

	if (frac < 0) {		/* before 1970: floor, not truncation */
		frac += 1000000000;
		sec--;
	}
	return format_time(sec, (long)frac, buf, len);
}

int
dt_report_time_sec(int64_t sec, char *buf, size_t len)
{
	return format_time(sec, 0, buf, len);
}
