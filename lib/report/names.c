/*
 * Names and formats shared by the JSON and text writers and by the public
 * accessors: TCP states, severities, timeline event types (the TLS
 * handshake types of RFC 5246 7.4 and RFC 8446 4, as registered by IANA),
 * RFC 3339 timestamps, and the UTF-8 repair that makes any bytes from the
 * wire a valid JSON string (RFC 8259 8.1 requires UTF-8; RFC 3629 4 says
 * what is well-formed).
 */
#include "report/report.h"

#include <arpa/inet.h>
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
};

const char *
dt_report_msg_name(const struct dt_event *ev)
{
	if (ev->type == DT_EV_TLS_HANDSHAKE && ev->a == 2 &&
	    (ev->b & DT_TLS_HS_HRR))
		return "hello_retry_request";
	if (ev->type == DT_EV_TLS_HANDSHAKE)
		return LOOKUP(handshake_names, ev->a, "handshake");
	if (ev->type == DT_EV_SSLV2_HELLO && ev->a == 4)
		return "sslv2_server_hello";	/* tls.h: a = 4 from the server */
	return LOOKUP(event_names, ev->type, "unknown");
}

int
dt_report_event_is_tls(const struct dt_event *ev)
{
	return ev->type >= DT_EV_TLS_HANDSHAKE && ev->type <= DT_EV_SSLV2_HELLO;
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

/* ---- UTF-8 ----------------------------------------------------------------- */

size_t
dt_report_utf8_next(const char *s, size_t n, uint32_t *cp)
{
	struct rd r = rd_make(s, n);
	uint8_t b0, b, lo = 0x80, hi = 0xBF;
	uint32_t v;
	size_t len, i;

	b0 = rd_u8(&r);
	if (r.bad)
		return 0;
	if (b0 < 0x80) {
		*cp = b0;
		return 1;
	}
	if (b0 >= 0xC2 && b0 <= 0xDF) {
		len = 2;
		v = b0 & 0x1F;
	} else if (b0 >= 0xE0 && b0 <= 0xEF) {
		len = 3;
		v = b0 & 0x0F;
		if (b0 == 0xE0)
			lo = 0xA0;	/* overlong */
		else if (b0 == 0xED)
			hi = 0x9F;	/* surrogates */
	} else if (b0 >= 0xF0 && b0 <= 0xF4) {
		len = 4;
		v = b0 & 0x07;
		if (b0 == 0xF0)
			lo = 0x90;	/* overlong */
		else if (b0 == 0xF4)
			hi = 0x8F;	/* past U+10FFFF */
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		b = rd_u8(&r);
		if (r.bad || b < lo || b > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
		v = v << 6 | (b & 0x3F);
	}
	*cp = v;
	return len;
}

size_t
dt_report_utf8_clean(const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0, k;
	uint32_t cp;

	while (i < n) {
		k = dt_report_utf8_next(in + i, n - i, &cp);
		if (k == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);	/* U+FFFD */
			o += 3;
			i++;
		} else {
			memcpy(out + o, in + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	return o;
}

char *
dt_report_utf8_dup(struct dt_mem *m, const char *s)
{
	size_t n = strlen(s);
	char *out;

	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	out = dt_malloc(m, 3 * n + 1);
	if (out == NULL)
		return NULL;
	dt_report_utf8_clean(s, n, out);
	return out;
}

/* ---- connections ----------------------------------------------------------- */

const char *
dt_report_server_name(const struct dt_conn *c)
{
	if (c->tls.sni != NULL && c->tls.sni[0] != '\0')
		return c->tls.sni;
	if (c->tls.http_request.host != NULL &&
	    c->tls.http_request.host[0] != '\0')
		return c->tls.http_request.host;
	return NULL;
}

const char *
dt_report_wireshark_filter(const struct dt_conn *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = c->client.family == 6 ? AF_INET6 : AF_INET;
	const char *ip = af == AF_INET6 ? "ipv6" : "ip";

	if (c->wireshark_filter != NULL)
		return c->wireshark_filter;
	if (inet_ntop(af, c->client.a, a, sizeof a) == NULL ||
	    inet_ntop(af, c->server.a, b, sizeof b) == NULL) {
		snprintf(buf, len, "tcp.port==%u && tcp.port==%u",
		    c->client_port, c->server_port);
		return buf;
	}
	snprintf(buf, len, "%s.addr==%s && tcp.port==%u && %s.addr==%s && "
	    "tcp.port==%u", ip, a, c->client_port, ip, b, c->server_port);
	return buf;
}

/* ---- ladder labels (text and HTML) ------------------------------------- */

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


/* Ladder labels of the text and HTML reports (dflt when unknown). */
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
