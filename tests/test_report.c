/*
 * report/: the JSON document of SPEC §4 and the text report, from facts
 * built by hand: a NULL-cipher failure answered by a fatal alert, a
 * completed NULL-cipher handshake with certificates and a client
 * certificate, and a refused TCP connection; plus wire strings holding
 * invalid UTF-8 and terminal escape sequences.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdint.h>

#include "facts/facts.h"
#include "report/report.h"
#include "tls/tls.h"

#define T0 1718050707123456789LL	/* 2024-06-10T20:18:27.123456789Z */
#define MS 1000000LL

/* ---- building facts ----------------------------------------------------- */

static struct dt_mem mem;

static void
ev(struct dt_conn *c, uint8_t type, uint8_t dir, uint64_t frame, int64_t ms,
    uint16_t a, uint32_t b)
{
	ck_assert_int_eq(dt_conn_add_event(&mem, c, type, dir, frame,
	    T0 + ms * MS, a, b), 0);
}

static struct dt_conn *
conn_new(struct dt_capture *cap, uint32_t id, uint8_t last_octet,
    uint16_t cport)
{
	struct dt_conn *c = dt_calloc(&mem, 1, sizeof *c);
	static const uint8_t cli[4] = { 198, 18, 1, 100 };

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(dt_conn_tls_make(&mem, c));
	c->id = id;
	c->client.family = 4;
	memcpy(c->client.a, cli, 4);
	c->server.family = 4;
	c->server.a[0] = 198;
	c->server.a[1] = 19;
	c->server.a[2] = 0;
	c->server.a[3] = last_octet;
	c->client_port = cport;
	c->server_port = 443;
	c->roles_from_syn = 1;
	ck_assert_int_eq(dt_conn_text_make(cap, c), 0);
	c->iphttps = 1;
	if (cap->conns_tail != NULL)
		cap->conns_tail->next = c;
	else
		cap->conns = c;
	cap->conns_tail = c;
	cap->n_conns++;
	return c;
}

static char **
strv(size_t n, ...)
{
	char **v = dt_calloc(&mem, n, sizeof *v);
	va_list ap;
	size_t i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		v[i] = dt_strdup(&mem, va_arg(ap, const char *));
	va_end(ap);
	return v;
}

static uint16_t *
u16v(size_t n, ...)
{
	uint16_t *v = dt_calloc(&mem, n, sizeof *v);
	va_list ap;
	size_t i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		v[i] = (uint16_t)va_arg(ap, int);
	va_end(ap);
	return v;
}

static void
verdict(struct dt_capture *cap, const char *id, dt_severity sev,
    dt_confidence conf, uint32_t code, const char *name, uint32_t conn,
    const char *summary, const char *explanation, const char *remedy,
    size_t n_frames, ...)
{
	struct dt_verdict *v = dt_calloc(&mem, 1, sizeof *v);
	va_list ap;
	size_t i;

	ck_assert_ptr_nonnull(v);
	v->id = id;
	v->severity = sev;
	v->confidence = conf;
	v->win_code = code;
	v->win_name = name;
	v->conn = conn;
	v->frames = dt_calloc(&mem, n_frames ? n_frames : 1, sizeof *v->frames);
	va_start(ap, n_frames);
	for (i = 0; i < n_frames; i++)
		v->frames[i] = va_arg(ap, uint64_t);
	va_end(ap);
	v->n_frames = n_frames;
	v->summary = dt_strdup(&mem, summary);
	v->explanation = dt_strdup(&mem, explanation);
	v->remedy = dt_strdup(&mem, remedy);
	if (cap->verdicts_tail != NULL)
		cap->verdicts_tail->next = v;
	else
		cap->verdicts = v;
	cap->verdicts_tail = v;
	cap->n_verdicts++;
}

static const char long_explanation[] =
    "The client offered only NULL cipher suites (TLS_RSA_WITH_NULL_SHA256, "
    "TLS_RSA_WITH_NULL_SHA) and the server answered the ClientHello with a "
    "fatal handshake_failure alert before any ServerHello: whatever "
    "terminates TLS on port 443 has no NULL suite enabled. Windows logs "
    "0x80090326 SEC_E_ILLEGAL_MESSAGE and the IP-HTTPS interface stays "
    "down with error 0x80090326 in netsh interface httpstunnel show "
    "interfaces.";

static struct dt_capture *
capture_main(void)
{
	struct dt_capture *cap = dt_calloc(&mem, 1, sizeof *cap);
	struct dt_conn *c;
	struct dt_tls_facts *t;
	struct dt_tls_hello *h;
	struct dt_cert *x;

	ck_assert_ptr_nonnull(cap);
	cap->mem = &mem;
	cap->path = dt_strdup(&mem, "captures/da-null.pcapng");
	cap->format = "pcapng";
	cap->packets = 16;
	cap->bytes = 4321;
	cap->truncated_packets = 1;
	cap->first_time = T0;
	cap->last_time = T0 + 2500 * MS;
	dt_capture_count_linktype(cap, 1, 1);
	dt_capture_count_linktype(cap, 147, 0);
	/* the pipeline names link types; an unnamed one is named here.
	   (dt_capture_count_linktype leaves name uninitialised) */
	cap->linktypes[0].name[0] = '\0';
	snprintf(cap->linktypes[1].name, sizeof cap->linktypes[1].name,
	    "USER0");
	ck_assert_int_eq(dt_capture_add_error(cap, 1234,
	    "pcapng block length 13 is not a multiple of 4"), 0);

	/* 1: NULL-only ClientHello, fatal handshake_failure, RST */
	c = conn_new(cap, 1, 10, 50123);
	c->first_frame = 1;
	c->last_frame = 6;
	c->first_time = T0;
	c->last_time = T0 + 40 * MS;
	c->state = DT_TCP_RESET;
	c->syn_frame = 1;
	c->synack_frame = 2;
	c->syn_count = 1;
	c->rst_frame = 6;
	c->rst_dir = DT_S2C;
	c->ttl_syn = 128;
	c->ttl_synack = 58;
	c->ttl_server_data = 58;
	c->ttl_server_data_min = 58;
	c->ttl_server_data_max = 58;
	c->bytes[0] = 180;
	c->bytes[1] = 7;
	ev(c, DT_EV_SYN, DT_C2S, 1, 0, 0, 0);
	ev(c, DT_EV_SYNACK, DT_S2C, 2, 12, 0, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_C2S, 4, 13, 1, 0);
	ev(c, DT_EV_TLS_ALERT, DT_S2C, 5, 25, 2 << 8 | 40, 0);
	ev(c, DT_EV_RST, DT_S2C, 6, 40, 0, 0);
	t = c->tls;
	h = dt_tls_hello_make(&mem, t);
	t->seen = 1;
	h->record_version = 0x0301;
	t->ch_frame = 4;
	t->ch_time = T0 + 13 * MS;
	h->ch_legacy_version = 0x0303;
	h->client_versions = u16v(1, 0x0303);
	h->n_client_versions = 1;
	h->offered_suites = u16v(2, 0x003B, 0x0002);
	h->n_offered_suites = 2;
	h->offered_null = 1;
	h->offered_only_null = 1;
	t->sni = dt_strdup(&mem, "da.corp.example");
	t->alert_frame = 5;
	t->alert_dir = DT_S2C;
	t->alert_level = 2;
	t->alert_desc = 40;
	t->n_alerts = 1;

	/* 2: NULL handshake with certificates both ways, IP-HTTPS POST */
	c = conn_new(cap, 2, 10, 50124);
	c->first_frame = 7;
	c->last_frame = 13;
	c->first_time = T0 + 1000 * MS;
	c->last_time = T0 + 1100 * MS;
	c->state = DT_TCP_OPEN;
	c->syn_frame = 7;
	c->synack_frame = 8;
	c->syn_count = 1;
	ev(c, DT_EV_SYN, DT_C2S, 7, 1000, 0, 0);
	ev(c, DT_EV_SYNACK, DT_S2C, 8, 1001, 0, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_C2S, 9, 1002, 1, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_S2C, 10, 1010, 2, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_S2C, 10, 1010, 11, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_S2C, 10, 1010, 13, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_S2C, 10, 1010, 14, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_C2S, 11, 1020, 11, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_C2S, 11, 1020, 16, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_C2S, 11, 1020, 15, 0);
	ev(c, DT_EV_TLS_CCS, DT_C2S, 11, 1020, 0, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_C2S, 11, 1020, 20, 0);
	ev(c, DT_EV_TLS_CCS, DT_S2C, 12, 1030, 0, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_S2C, 12, 1030, 20, DT_TLS_HS_ENCRYPTED);
	ev(c, DT_EV_TLS_APPDATA, DT_C2S, 13, 1040, 0, 0);
	ev(c, DT_EV_HTTP_REQUEST, DT_C2S, 13, 1040, 0, 0);
	ev(c, DT_EV_END_OPEN, DT_C2S, 13, 1100, 0, 0);
	t = c->tls;
	h = dt_tls_hello_make(&mem, t);
	t->seen = 1;
	t->ch_frame = 9;
	h->ch_legacy_version = 0x0303;
	h->client_versions = u16v(1, 0x0303);
	h->n_client_versions = 1;
	h->offered_suites = u16v(3, 0xC030, 0x003B, 0x0002);
	h->n_offered_suites = 3;
	h->offered_null = 1;
	t->sni = dt_strdup(&mem, "da.corp.example");
	t->alpn = dt_strdup(&mem, "h2,http/1.1");
	t->sh_frame = 10;
	t->version = 0x0303;
	t->suite = 0x003B;
	t->server_cert_frame = 10;
	t->server_certs = x = dt_calloc(&mem, 2, sizeof *x);
	t->n_server_certs = 2;
	/* bytes that are not UTF-8 and an escape sequence, as a DN may hold */
	x[0].subject = dt_strdup(&mem, "CN=da.corp.example,O=Bad\xff\x1b[31m");
	x[0].issuer = dt_strdup(&mem, "CN=Corp Issuing CA");
	x[0].common_name = dt_strdup(&mem, "da.corp.example");
	memset(x[0].sha256, 'a', 64);
	x[0].not_before = 1700000000;
	x[0].not_after = 253402300799LL;	/* 9999-12-31T23:59:59Z */
	x[0].dns_names = strv(1, "da.corp.example");
	x[0].n_dns_names = 1;
	x[0].crl_urls = strv(1, "http://crl.corp.example/issuing.crl");
	x[0].n_crl_urls = 1;
	x[0].server_auth = 1;
	x[1].subject = dt_strdup(&mem, "CN=Corp Issuing CA");
	x[1].issuer = dt_strdup(&mem, "CN=Corp Root CA");
	memset(x[1].sha256, 'b', 64);
	t->chain = DT_CHAIN_OK;
	dt_tls_rare_make(&mem, t)->cert_request_frame = 10;
	dt_tls_rare_make(&mem, t)->ca_names = strv(2, "CN=Corp Root CA", "CN=Other Root");
	dt_tls_rare_make(&mem, t)->n_ca_names = 2;
	t->client_cert = DT_CCERT_PRESENT;
	dt_tls_rare_make(&mem, t)->client_cert_frame = 11;
	dt_tls_rare_make(&mem, t)->client_certs = x = dt_calloc(&mem, 1, sizeof *x);
	dt_tls_rare_make(&mem, t)->n_client_certs = 1;
	x[0].subject = dt_strdup(&mem, "CN=CLIENT01.corp.example");
	x[0].issuer = dt_strdup(&mem, "CN=Corp Issuing CA");
	t->server_hello_done_frame = 10;
	t->ccs_frame[0] = 11;
	t->ccs_frame[1] = 12;
	t->finished_frame[0] = 11;
	t->finished_frame[1] = 12;
	t->appdata_frame[0] = 13;
	t->appdata_bytes[0] = 300;
	t->appdata_records[0] = 1;
	dt_tls_http_make(&mem, t)->request.frame = 13;
	dt_tls_http_make(&mem, t)->request.line = dt_strdup(&mem, "POST /IPHTTPS HTTP/1.1");
	dt_tls_http_make(&mem, t)->request.host = dt_strdup(&mem, "da.corp.example");
	dt_tls_http_make(&mem, t)->request.content_length = dt_strdup(&mem,
	    "18446744073709551615");

	/* 3: SYN answered by RST */
	c = conn_new(cap, 3, 20, 50125);
	c->first_frame = 14;
	c->last_frame = 15;
	c->first_time = T0 + 2000 * MS;
	c->last_time = T0 + 2001 * MS;
	c->state = DT_TCP_REFUSED;
	c->syn_frame = 14;
	c->syn_count = 1;
	c->rst_frame = 15;
	c->rst_dir = DT_S2C;
	ev(c, DT_EV_SYN, DT_C2S, 14, 2000, 0, 0);
	ev(c, DT_EV_RST, DT_S2C, 15, 2001, 1, 0);

	verdict(cap, "null-cipher-absent", DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", 1,
	    "The server refused a ClientHello that offered only NULL suites.",
	    long_explanation,
	    "Enable TLS_RSA_WITH_NULL_SHA and TLS_RSA_WITH_NULL_SHA256 on the "
	    "virtual server's cipher group of the ADC that terminates "
	    "IP-HTTPS, or pass TCP 443 through to the DirectAccess server.",
	    2, (uint64_t)4, (uint64_t)5);
	verdict(cap, "handshake-ok", DT_SEV_INFO, DT_CONF_HIGH, 0, NULL, 2,
	    "The TLS handshake completed.", "Both Finished messages seen.",
	    "", 2, (uint64_t)11, (uint64_t)12);
	verdict(cap, "null-cipher-negotiated", DT_SEV_INFO, DT_CONF_HIGH, 0,
	    NULL, 2, "The server chose TLS_RSA_WITH_NULL_SHA256.", "", "",
	    1, (uint64_t)10);
	verdict(cap, "tcp-refused", DT_SEV_ERROR, DT_CONF_HIGH, 0x274d,
	    "WSAECONNREFUSED", 3, "198.19.0.20:443 refused the connection.",
	    "The SYN in frame 14 was answered by RST in frame 15.",
	    "Check that the DirectAccess server listens on 443.",
	    2, (uint64_t)14, (uint64_t)15);
	verdict(cap, "capture-truncated", DT_SEV_WARNING, DT_CONF_MEDIUM, 0,
	    NULL, 0, "1 packet was cut by the snapshot length.",
	    "Nothing needed was lost.",
	    "Capture full packets: netsh trace start capture=yes "
	    "packettruncatebytes=65535.", 1, (uint64_t)16);
	return cap;
}

/* A second capture whose wire strings are hostile. */
static struct dt_capture *
capture_hostile(void)
{
	struct dt_capture *cap = dt_calloc(&mem, 1, sizeof *cap);
	struct dt_conn *c;

	cap->mem = &mem;
	cap->path = dt_strdup(&mem, "evil\x1b]0;pwned\x07.pcap");
	cap->format = "pcap";
	cap->packets = 3;
	cap->first_time = T0;
	cap->last_time = T0;
	cap->dropped_conns = 2;
	c = conn_new(cap, 1, 30, 40000);
	c->first_frame = 1;
	c->last_frame = 3;
	c->first_time = T0;
	c->last_time = T0;
	c->state = DT_TCP_CLOSED;
	c->tls->seen = 1;
	c->tls->ch_frame = 1;
	c->tls->sni = dt_strdup(&mem, "bad\xff\xc0\xaf\x01\x1b[2J\xe2\x80\xaeok");
	dt_tls_rare_make(&mem, c->tls)->non_tls_frame = 2;
	dt_tls_rare_make(&mem, c->tls)->non_tls_dir = DT_S2C;
	dt_tls_rare_make(&mem, c->tls)->non_tls_line = dt_strdup(&mem, "HTTP/1.1 400 Bad\x1b[5m \xfe");
	c->tls->alert_frame = 3;
	c->tls->alert_dir = DT_C2S;
	c->tls->alert_encrypted = 1;
	ev(c, DT_EV_TLS_HANDSHAKE, DT_C2S, 1, 0, 1, 0);
	ev(c, DT_EV_NON_TLS, DT_S2C, 2, 0, 0, 0);
	ev(c, DT_EV_TLS_ALERT, DT_C2S, 3, 0, 0, 1);
	verdict(cap, "wrong-server", DT_SEV_ERROR, DT_CONF_MEDIUM, 0x80090326,
	    "SEC_E_ILLEGAL_MESSAGE", 1, "Not TLS: \x1b[31mred\x9b" "2J",
	    "x\xc2\x9b" "1m", "y\x07", 1, (uint64_t)2);
	return cap;
}

static struct dt_capture *caps[2];
static const uint16_t ports[] = { 443, 8443, 0 };
static struct dt_report_run run;

static void
setup(void)
{
	dt_mem_init(&mem, NULL, NULL, 0);
	caps[0] = capture_main();
	caps[1] = capture_hostile();
	/* as the pipeline leaves them: finished once analysis ended */
	ck_assert_int_eq(dt_capture_finish(caps[0]), 0);
	ck_assert_int_eq(dt_capture_finish(caps[1]), 0);
	memset(&run, 0, sizeof run);
	run.host = "da.corp.example";
	run.ports = ports;
	run.ca_file = "/etc/da/root.pem";
	run.caps = caps;
	run.n_caps = 1;
}

static void
teardown(void)
{
	dt_capture_free(caps[0]);
	dt_capture_free(caps[1]);
	ck_assert_uint_eq(mem.used, 0);
}

/* Run a writer into memory; returns the malloc'd output. */
static char *
render(int json, int lines, unsigned flags, int *rc, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);

	ck_assert_ptr_nonnull(fp);
	*rc = json ? dt_report_json(&run, fp, lines) :
	    dt_report_text(&run, fp, flags);
	fclose(fp);
	if (len != NULL)
		*len = n;
	return buf;
}

static json_t *
parse(const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);

	ck_assert_msg(doc != NULL, "invalid JSON: %s at line %d", jerr.text,
	    jerr.line);
	return doc;
}

/* Path lookup: "captures.0.connections.1.tls.alert.code" */
static json_t *
at(json_t *doc, const char *path)
{
	char buf[256], *save = NULL, *tok;
	json_t *j = doc;

	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && j != NULL;
	    tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(j))
			j = json_array_get(j, strtoul(tok, NULL, 10));
		else
			j = json_object_get(j, tok);
	}
	ck_assert_msg(j != NULL, "no %s", path);
	return j;
}

static void
is_str(json_t *doc, const char *path, const char *want)
{
	json_t *j = at(doc, path);

	ck_assert_msg(json_is_string(j), "%s is not a string", path);
	ck_assert_str_eq(json_string_value(j), want);
}

static void
is_int(json_t *doc, const char *path, long long want)
{
	json_t *j = at(doc, path);

	ck_assert_msg(json_is_integer(j), "%s is not an integer", path);
	ck_assert_int_eq(json_integer_value(j), want);
}

static void
is_null(json_t *doc, const char *path)
{
	ck_assert_msg(json_is_null(at(doc, path)), "%s is not null", path);
}

static void
is_bool(json_t *doc, const char *path, int want)
{
	json_t *j = at(doc, path);

	ck_assert_msg(json_is_boolean(j), "%s is not a boolean", path);
	ck_assert_int_eq(json_is_true(j), want);
}

static void
has_keys(json_t *obj, const char *where, const char *const *keys)
{
	ck_assert_msg(json_is_object(obj), "%s is not an object", where);
	for (; *keys != NULL; keys++)
		ck_assert_msg(json_object_get(obj, *keys) != NULL,
		    "%s lacks \"%s\"", where, *keys);
}

/* ---- JSON ------------------------------------------------------------------ */

START_TEST(json_spec_keys)
{
	static const char *const top[] = { "schema", "tool", "options",
	    "captures", NULL };
	static const char *const cap[] = { "path", "format", "packets",
	    "bytes", "link_types", "first_time", "last_time",
	    "truncated_packets", "errors", "connections", "verdicts", NULL };
	static const char *const conn[] = { "id", "client", "server",
	    "server_name", "iphttps", "first_frame", "last_frame",
	    "wireshark_filter", "tcp", "tls", NULL };
	static const char *const tls[] = { "client_versions", "version",
	    "offered_suites", "offered_null", "suite", "messages", "alert",
	    "server_certificates", "certificate_request",
	    "client_certificate", NULL };
	static const char *const cert[] = { "subject", "issuer", "sha256",
	    "not_before", "not_after", "dns_names", "crl_urls", "self_signed",
	    NULL };
	static const char *const verdict_keys[] = { "id", "severity",
	    "confidence", "windows_error", "connection", "frames", "summary",
	    "explanation", "remedy", NULL };
	static const char *const msg[] = { "frame", "time", "from", "type",
	    NULL };
	int rc;
	char *out = render(1, 0, 0, &rc, NULL);
	json_t *doc;

	ck_assert_int_eq(rc, 0);
	doc = parse(out);
	has_keys(doc, "document", top);
	has_keys(at(doc, "tool"), "tool", (const char *const[]){ "name",
	    "version", NULL });
	has_keys(at(doc, "options"), "options", (const char *const[]){ "host",
	    "ports", "ca", NULL });
	has_keys(at(doc, "captures.0"), "capture", cap);
	has_keys(at(doc, "captures.0.connections.0"), "connection", conn);
	has_keys(at(doc, "captures.0.connections.0.tcp"), "tcp",
	    (const char *const[]){ "state", NULL });
	has_keys(at(doc, "captures.0.connections.0.tls"), "tls", tls);
	has_keys(at(doc, "captures.0.connections.0.tls.alert"), "alert",
	    (const char *const[]){ "frame", "from", "level", "description",
	    "code", NULL });
	has_keys(at(doc, "captures.0.connections.0.tls.messages.0"), "message",
	    msg);
	has_keys(at(doc, "captures.0.connections.1.tls.server_certificates.0"),
	    "certificate", cert);
	has_keys(at(doc, "captures.0.connections.1.tls.certificate_request"),
	    "certificate_request", (const char *const[]){ "frame", "ca_names",
	    NULL });
	has_keys(at(doc, "captures.0.verdicts.0"), "verdict", verdict_keys);
	has_keys(at(doc, "captures.0.verdicts.0.windows_error"),
	    "windows_error", (const char *const[]){ "code", "name", NULL });
	json_decref(doc);
	free(out);
}
END_TEST

START_TEST(json_values)
{
	int rc;
	char *out = render(1, 0, 0, &rc, NULL);
	json_t *d;

	ck_assert_int_eq(rc, 0);
	/* indented, one document, ends with a newline */
	ck_assert_ptr_nonnull(strstr(out, "{\n  \"schema\": \"datrace/1\""));
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	d = parse(out);
	is_str(d, "schema", "datrace/1");
	is_str(d, "tool.name", "datrace");
	is_str(d, "tool.version", DT_VERSION_STRING);
	is_str(d, "options.host", "da.corp.example");
	ck_assert_uint_eq(json_array_size(at(d, "options.ports")), 2);
	is_int(d, "options.ports.0", 443);
	is_int(d, "options.ports.1", 8443);
	is_str(d, "options.ca", "/etc/da/root.pem");
	ck_assert_uint_eq(json_array_size(at(d, "captures")), 1);

	is_str(d, "captures.0.path", "captures/da-null.pcapng");
	is_str(d, "captures.0.format", "pcapng");
	is_int(d, "captures.0.packets", 16);
	is_int(d, "captures.0.bytes", 4321);
	ck_assert_uint_eq(json_array_size(at(d, "captures.0.link_types")), 2);
	is_str(d, "captures.0.link_types.0", "EN10MB");
	is_str(d, "captures.0.link_types.1", "USER0");
	is_str(d, "captures.0.unsupported_link_types.0", "USER0");
	ck_assert_uint_eq(json_array_size(
	    at(d, "captures.0.unsupported_link_types")), 1);
	is_str(d, "captures.0.first_time", "2024-06-10T20:18:27.123456789Z");
	is_str(d, "captures.0.last_time", "2024-06-10T20:18:29.623456789Z");
	is_int(d, "captures.0.truncated_packets", 1);
	is_int(d, "captures.0.errors.0.offset", 1234);
	is_str(d, "captures.0.errors.0.message",
	    "pcapng block length 13 is not a multiple of 4");
	ck_assert_ptr_null(json_object_get(at(d, "captures.0"), "dropped"));
	ck_assert_uint_eq(json_array_size(at(d, "captures.0.connections")), 3);

	/* 1: the NULL-cipher failure */
	is_int(d, "captures.0.connections.0.id", 1);
	is_str(d, "captures.0.connections.0.client", "198.18.1.100:50123");
	is_str(d, "captures.0.connections.0.server", "198.19.0.10:443");
	is_str(d, "captures.0.connections.0.server_name", "da.corp.example");
	is_bool(d, "captures.0.connections.0.iphttps", 1);
	is_int(d, "captures.0.connections.0.first_frame", 1);
	is_int(d, "captures.0.connections.0.last_frame", 6);
	is_str(d, "captures.0.connections.0.wireshark_filter",
	    "ip.addr==198.18.1.100 && tcp.port==50123 && "
	    "ip.addr==198.19.0.10 && tcp.port==443");
	is_str(d, "captures.0.connections.0.tcp.state", "reset");
	is_int(d, "captures.0.connections.0.tcp.syn_frame", 1);
	is_int(d, "captures.0.connections.0.tcp.synack_frame", 2);
	is_int(d, "captures.0.connections.0.tcp.rst.frame", 6);
	is_str(d, "captures.0.connections.0.tcp.rst.from", "server");
	is_null(d, "captures.0.connections.0.tcp.fin.client");
	is_int(d, "captures.0.connections.0.tcp.ttl.syn", 128);
	is_int(d, "captures.0.connections.0.tcp.ttl.synack", 58);
	is_int(d, "captures.0.connections.0.tcp.bytes.client", 180);
	is_int(d, "captures.0.connections.0.tcp.bytes.server", 7);
	is_str(d, "captures.0.connections.0.tls.client_versions.0", "TLS 1.2");
	is_null(d, "captures.0.connections.0.tls.version");
	is_str(d, "captures.0.connections.0.tls.offered_suites.0.id", "0x003B");
	is_str(d, "captures.0.connections.0.tls.offered_suites.0.name",
	    "TLS_RSA_WITH_NULL_SHA256");
	is_str(d, "captures.0.connections.0.tls.offered_suites.1.id", "0x0002");
	is_str(d, "captures.0.connections.0.tls.offered_suites.1.name",
	    "TLS_RSA_WITH_NULL_SHA");
	is_bool(d, "captures.0.connections.0.tls.offered_null", 1);
	is_null(d, "captures.0.connections.0.tls.suite");
	ck_assert_uint_eq(json_array_size(
	    at(d, "captures.0.connections.0.tls.messages")), 2);
	is_int(d, "captures.0.connections.0.tls.messages.0.frame", 4);
	is_str(d, "captures.0.connections.0.tls.messages.0.time",
	    "2024-06-10T20:18:27.136456789Z");
	is_str(d, "captures.0.connections.0.tls.messages.0.from", "client");
	is_str(d, "captures.0.connections.0.tls.messages.0.type",
	    "client_hello");
	is_int(d, "captures.0.connections.0.tls.messages.1.frame", 5);
	is_str(d, "captures.0.connections.0.tls.messages.1.from", "server");
	is_str(d, "captures.0.connections.0.tls.messages.1.type", "alert");
	is_int(d, "captures.0.connections.0.tls.alert.frame", 5);
	is_str(d, "captures.0.connections.0.tls.alert.from", "server");
	is_str(d, "captures.0.connections.0.tls.alert.level", "fatal");
	is_str(d, "captures.0.connections.0.tls.alert.description",
	    "handshake_failure");
	is_int(d, "captures.0.connections.0.tls.alert.code", 40);
	ck_assert_uint_eq(json_array_size(
	    at(d, "captures.0.connections.0.tls.server_certificates")), 0);
	is_null(d, "captures.0.connections.0.tls.certificate_request");
	is_str(d, "captures.0.connections.0.tls.client_certificate", "none");
	is_str(d, "captures.0.connections.0.tls.sni", "da.corp.example");
	/* the whole timeline, TCP included */
	ck_assert_uint_eq(json_array_size(
	    at(d, "captures.0.connections.0.timeline")), 5);
	is_str(d, "captures.0.connections.0.timeline.0.type", "syn");
	is_str(d, "captures.0.connections.0.timeline.1.type", "syn_ack");
	is_str(d, "captures.0.connections.0.timeline.4.type", "rst");
	is_str(d, "captures.0.connections.0.timeline.4.from", "server");

	/* 2: the completed handshake */
	is_str(d, "captures.0.connections.1.tcp.state", "open");
	is_str(d, "captures.0.connections.1.tls.version", "TLS 1.2");
	is_str(d, "captures.0.connections.1.tls.suite.id", "0x003B");
	is_str(d, "captures.0.connections.1.tls.suite.name",
	    "TLS_RSA_WITH_NULL_SHA256");
	is_str(d, "captures.0.connections.1.tls.offered_suites.0.id", "0xC030");
	is_str(d, "captures.0.connections.1.tls.messages.0.type", "client_hello");
	is_str(d, "captures.0.connections.1.tls.messages.1.type", "server_hello");
	is_str(d, "captures.0.connections.1.tls.messages.2.type", "certificate");
	is_str(d, "captures.0.connections.1.tls.messages.3.type",
	    "certificate_request");
	is_str(d, "captures.0.connections.1.tls.messages.4.type",
	    "server_hello_done");
	is_str(d, "captures.0.connections.1.tls.messages.6.type",
	    "client_key_exchange");
	is_str(d, "captures.0.connections.1.tls.messages.7.type",
	    "certificate_verify");
	is_str(d, "captures.0.connections.1.tls.messages.8.type",
	    "change_cipher_spec");
	is_str(d, "captures.0.connections.1.tls.messages.9.type", "finished");
	is_str(d, "captures.0.connections.1.tls.messages.11.type", "finished");
	is_bool(d, "captures.0.connections.1.tls.messages.11.encrypted", 1);
	ck_assert_ptr_null(json_object_get(
	    at(d, "captures.0.connections.1.tls.messages.9"), "encrypted"));
	is_str(d, "captures.0.connections.1.tls.messages.12.type",
	    "application_data");
	is_str(d, "captures.0.connections.1.tls.messages.13.type",
	    "http_request");
	/* END_OPEN is TCP: in the timeline only */
	ck_assert_uint_eq(json_array_size(
	    at(d, "captures.0.connections.1.tls.messages")), 14);
	is_null(d, "captures.0.connections.1.tls.alert");
	is_str(d, "captures.0.connections.1.tls.server_certificates.0.issuer",
	    "CN=Corp Issuing CA");
	is_str(d, "captures.0.connections.1.tls.server_certificates.0.sha256",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	is_str(d, "captures.0.connections.1.tls.server_certificates.0."
	    "not_before", "2023-11-14T22:13:20Z");
	is_str(d, "captures.0.connections.1.tls.server_certificates.0."
	    "not_after", "9999-12-31T23:59:59Z");
	is_str(d, "captures.0.connections.1.tls.server_certificates.0."
	    "dns_names.0", "da.corp.example");
	is_str(d, "captures.0.connections.1.tls.server_certificates.0."
	    "crl_urls.0", "http://crl.corp.example/issuing.crl");
	is_bool(d, "captures.0.connections.1.tls.server_certificates.0."
	    "self_signed", 0);
	is_str(d, "captures.0.connections.1.tls.server_certificates.1.subject",
	    "CN=Corp Issuing CA");
	is_int(d, "captures.0.connections.1.tls.certificate_request.frame", 10);
	is_str(d, "captures.0.connections.1.tls.certificate_request.ca_names.1",
	    "CN=Other Root");
	is_str(d, "captures.0.connections.1.tls.client_certificate", "present");
	is_str(d, "captures.0.connections.1.tls.chain", "ok");
	is_str(d, "captures.0.connections.1.tls.alpn.1", "http/1.1");
	is_str(d, "captures.0.connections.1.tls.http.request.line",
	    "POST /IPHTTPS HTTP/1.1");
	is_str(d, "captures.0.connections.1.tls.http.request.content_length",
	    "18446744073709551615");
	is_null(d, "captures.0.connections.1.tls.http.response");

	/* 3: refused, no TLS, no name */
	is_str(d, "captures.0.connections.2.tcp.state", "refused");
	is_bool(d, "captures.0.connections.2.timeline.1.before_synack", 1);
	is_bool(d, "captures.0.connections.0.timeline.4.before_synack", 0);
	is_null(d, "captures.0.connections.2.tls");
	is_null(d, "captures.0.connections.2.server_name");
	is_null(d, "captures.0.connections.2.tcp.synack_frame");

	/* verdicts, in the order the rules gave them */
	ck_assert_uint_eq(json_array_size(at(d, "captures.0.verdicts")), 5);
	is_str(d, "captures.0.verdicts.0.id", "null-cipher-absent");
	is_str(d, "captures.0.verdicts.0.severity", "error");
	is_str(d, "captures.0.verdicts.0.confidence", "high");
	is_str(d, "captures.0.verdicts.0.windows_error.code", "0x80090326");
	is_str(d, "captures.0.verdicts.0.windows_error.name",
	    "SEC_E_ILLEGAL_MESSAGE");
	is_int(d, "captures.0.verdicts.0.connection", 1);
	ck_assert_uint_eq(json_array_size(at(d, "captures.0.verdicts.0.frames")),
	    2);
	is_int(d, "captures.0.verdicts.0.frames.0", 4);
	is_int(d, "captures.0.verdicts.0.frames.1", 5);
	is_str(d, "captures.0.verdicts.0.summary",
	    "The server refused a ClientHello that offered only NULL suites.");
	is_str(d, "captures.0.verdicts.0.explanation", long_explanation);
	is_null(d, "captures.0.verdicts.1.windows_error");
	is_str(d, "captures.0.verdicts.1.severity", "info");
	is_str(d, "captures.0.verdicts.3.windows_error.code", "0x274d");
	is_str(d, "captures.0.verdicts.3.windows_error.name", "WSAECONNREFUSED");
	is_str(d, "captures.0.verdicts.4.severity", "warning");
	is_str(d, "captures.0.verdicts.4.confidence", "medium");
	is_null(d, "captures.0.verdicts.4.connection");
	is_int(d, "captures.0.summary.errors", 2);
	is_int(d, "captures.0.summary.warnings", 1);
	is_int(d, "captures.0.summary.iphttps_connections", 3);
	json_decref(d);
	free(out);
}
END_TEST

START_TEST(json_deterministic)
{
	int rc1, rc2;
	char *a = render(1, 0, 0, &rc1, NULL), *b = render(1, 0, 0, &rc2, NULL);

	ck_assert_int_eq(rc1, 0);
	ck_assert_int_eq(rc2, 0);
	ck_assert_str_eq(a, b);
	/* keys in SPEC order: schema, tool, options, captures */
	ck_assert_ptr_nonnull(strstr(a, "\"schema\""));
	ck_assert(strstr(a, "\"schema\"") < strstr(a, "\"tool\""));
	ck_assert(strstr(a, "\"tool\"") < strstr(a, "\"options\""));
	ck_assert(strstr(a, "\"options\"") < strstr(a, "\"captures\""));
	free(a);
	free(b);
}
END_TEST

START_TEST(jsonl_one_line_per_capture)
{
	int rc;
	size_t len, lines = 0, i;
	char *out, *line, *save = NULL;
	json_t *d;

	run.n_caps = 2;
	out = render(1, 1, 0, &rc, &len);
	ck_assert_int_eq(rc, 0);
	for (i = 0; i < len; i++)
		lines += out[i] == '\n';
	ck_assert_uint_eq(lines, 2);
	ck_assert_int_eq(out[len - 1], '\n');
	i = 0;
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), i++) {
		d = parse(line);
		is_str(d, "schema", "datrace/1");
		is_str(d, "options.host", "da.corp.example");
		ck_assert_uint_eq(json_array_size(at(d, "captures")), 1);
		is_str(d, "captures.0.format", i == 0 ? "pcapng" : "pcap");
		json_decref(d);
	}
	ck_assert_uint_eq(i, 2);
	free(out);

	/* json with both: one document, two captures */
	out = render(1, 0, 0, &rc, NULL);
	d = parse(out);
	ck_assert_uint_eq(json_array_size(at(d, "captures")), 2);
	json_decref(d);
	free(out);
}
END_TEST

START_TEST(json_hostile_strings)
{
	int rc;
	char *out;
	json_t *d;

	run.caps = &caps[1];
	run.n_caps = 1;
	run.ports = NULL;
	run.ca_file = NULL;
	out = render(1, 0, 0, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_null(strchr(out, '\x1b'));	/* escaped as \u001b */
	ck_assert_ptr_nonnull(strstr(out, "\\u001B"));
	d = parse(out);
	/* each bad byte one U+FFFD; controls kept, escaped by jansson */
	is_str(d, "captures.0.connections.0.server_name",
	    "bad\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\x01\x1b[2J\xe2\x80\xaeok");
	is_str(d, "captures.0.path", "evil\x1b]0;pwned\x07.pcap");
	is_str(d, "captures.0.connections.0.tls.non_tls.line",
	    "HTTP/1.1 400 Bad\x1b[5m \xEF\xBF\xBD");
	is_str(d, "captures.0.connections.0.tls.non_tls.from", "server");
	is_null(d, "captures.0.connections.0.tls.alert.level");
	is_null(d, "captures.0.connections.0.tls.alert.description");
	is_bool(d, "captures.0.connections.0.tls.alert.encrypted", 1);
	is_str(d, "captures.0.connections.0.tls.messages.1.type", "non_tls");
	is_str(d, "captures.0.verdicts.0.summary",
	    "Not TLS: \x1b[31mred\xEF\xBF\xBD" "2J");
	is_int(d, "captures.0.dropped.dropped_conns", 2);
	is_int(d, "captures.0.dropped.fragments_dropped", 0);
	ck_assert_uint_eq(json_array_size(at(d, "options.ports")), 1);
	is_int(d, "options.ports.0", 443);
	is_null(d, "options.ca");
	json_decref(d);
	free(out);
}
END_TEST

START_TEST(json_dns_http_extras)
{
	static const struct dt_addr v6 = { 6, { 0x20, 0x01, 0x0d, 0xb8,
	    [15] = 1 } };		/* 2001:db8::1 */
	struct dt_dns *dn = dt_capture_dns_slot(caps[0]);
	struct dt_http *h = dt_calloc(&mem, 1, sizeof *h);
	int rc;
	char *out;
	json_t *d;

	dt_frame48_set(&dn->query_frame, 1);
	dt_frame48_set(&dn->answer_frame, 2);
	dn->name = dt_capture_intern(caps[0], "da.corp.example");
	dn->qtype = 28;
	dn->rcode = 0;
	dn->addr_bytes = dt_capture_keep_bytes(caps[0], DT_KEEP_DNS_ADDRS,
	    dt_dns_addr_size(6));
	ck_assert_ptr_nonnull(dn->addr_bytes);
	dt_dns_addr_pack(dn->addr_bytes, &v6);
	dn->n_addrs = 1;
	caps[0]->n_dns++;
	h->conn = 3;
	h->request_frame = 14;
	h->method = dt_strdup(&mem, "CONNECT");
	h->uri = dt_strdup(&mem, "da.corp.example:443");
	h->status = -1;
	h->conn_reset = 1;
	caps[0]->http = caps[0]->http_tail = h;
	out = render(1, 0, 0, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	d = parse(out);
	is_str(d, "captures.0.dns.0.name", "da.corp.example");
	is_str(d, "captures.0.dns.0.addresses.0", "2001:db8::1");
	is_int(d, "captures.0.dns.0.rcode", 0);
	is_str(d, "captures.0.http.0.method", "CONNECT");
	is_null(d, "captures.0.http.0.status");
	is_bool(d, "captures.0.http.0.reset", 1);
	json_decref(d);
	free(out);
}
END_TEST

/* An allocator that refuses every allocation (and frees). */
static void *
refuse(void *ud, void *p, size_t n)
{
	(void)ud;
	if (n == 0)
		free(p);
	return NULL;
}

START_TEST(json_memory_and_io_failures)
{
	dt_mem_fn fn = mem.fn;
	FILE *ro;
	int rc;
	char *out;

	/* the writers allocate with the capture's allocator (not under its
	   cap: they never touch the capture): refused, the long explanation
	   gets no sanitiser buffer */
	mem.fn = refuse;
	out = render(1, 0, 0, &rc, NULL);
	ck_assert_int_eq(rc, DT_ENOMEM);
	free(out);
	out = render(0, 0, 0, &rc, NULL);
	ck_assert_int_eq(rc, DT_ENOMEM);
	free(out);
	mem.fn = fn;
	ck_assert_int_eq(mem.failed, 0);	/* the capture's memory untouched */

	ro = fopen("/dev/null", "r");
	ck_assert_ptr_nonnull(ro);
	ck_assert_int_eq(dt_report_json(&run, ro, 0), DT_EIO);
	ck_assert_int_eq(dt_report_json(&run, ro, 1), DT_EIO);
	ck_assert_int_eq(dt_report_text(&run, ro, 0), DT_EIO);
	fclose(ro);
}
END_TEST

/* ---- helpers ---------------------------------------------------------------- */

static const struct {
	const char *in;
	const char *out;
} utf8_cases[] = {
	{ "plain", "plain" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },		/* U+1F600 */
	{ "a\xff" "b", "a\xef\xbf\xbd" "b" },
	{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },		/* overlong '/' */
	{ "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
	{ "\xf4\x90\x80\x80",					/* > U+10FFFF */
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "x\xe2\x82", "x\xef\xbf\xbd\xef\xbf\xbd" },		/* cut short */
	{ "\x80z", "\xef\xbf\xbdz" },				/* lone tail */
	{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },		/* U+10FFFF */
	{ "", "" },
};

START_TEST(utf8_clean)
{
	char out[64];
	const char *in = utf8_cases[_i].in;
	size_t n = dt_utf8_clean(in, strlen(in), out);
	char *dup;

	ck_assert_str_eq(out, utf8_cases[_i].out);
	ck_assert_uint_eq(n, strlen(utf8_cases[_i].out));
	dup = dt_utf8_dup(&mem, in);
	ck_assert_str_eq(dup, utf8_cases[_i].out);
	dt_free(&mem, dup);
}
END_TEST

START_TEST(times)
{
	char buf[DT_REPORT_TIME_LEN];

	ck_assert_int_eq(dt_report_time(0, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	ck_assert_int_eq(dt_report_time(T0, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "2024-06-10T20:18:27.123456789Z");
	ck_assert_int_eq(dt_report_time(1718050707000000000LL, buf,
	    sizeof buf), 0);
	ck_assert_str_eq(buf, "2024-06-10T20:18:27Z");
	ck_assert_int_eq(dt_report_time(1000, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000001000Z");
	ck_assert_int_eq(dt_report_time(-1, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.999999999Z");
	ck_assert_int_eq(dt_report_time_sec(253402300799LL, buf, sizeof buf),
	    0);
	ck_assert_str_eq(buf, "9999-12-31T23:59:59Z");
	ck_assert_int_eq(dt_report_time_sec(253402300800LL, buf, sizeof buf),
	    -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(names)
{
	struct dt_event e = { 0 };

	ck_assert_str_eq(dt_report_state_name(DT_TCP_NO_ANSWER), "no-answer");
	ck_assert_str_eq(dt_report_state_name(DT_TCP_REFUSED), "refused");
	ck_assert_str_eq(dt_report_state_name(DT_TCP_ESTABLISHED),
	    "established");
	ck_assert_str_eq(dt_report_state_name(DT_TCP_RESET), "reset");
	ck_assert_str_eq(dt_report_state_name(DT_TCP_CLOSED), "closed");
	ck_assert_str_eq(dt_report_state_name(DT_TCP_OPEN), "open");
	ck_assert_str_eq(dt_severity_name(DT_SEV_WARNING), "warning");
	ck_assert_str_eq(dt_confidence_name(DT_CONF_LOW), "low");
	ck_assert_str_eq(dt_report_client_cert_name(DT_CCERT_EMPTY), "empty");
	e.type = DT_EV_TLS_HANDSHAKE;
	e.a = 6;
	ck_assert_str_eq(dt_report_msg_name(&e), "hello_retry_request");
	e.a = 2;
	ck_assert_str_eq(dt_report_msg_name(&e), "server_hello");
	e.b = DT_TLS_HS_HRR;
	ck_assert_str_eq(dt_report_msg_name(&e), "hello_retry_request");
	e.b = 0;
	e.a = 99;
	ck_assert_str_eq(dt_report_msg_name(&e), "handshake");
	e.type = DT_EV_TLS_ENCRYPTED;
	ck_assert_str_eq(dt_report_msg_name(&e), "encrypted_handshake");
	ck_assert_int_eq(dt_report_event_is_tls(&e), 1);
	e.type = DT_EV_SYNACK;
	ck_assert_str_eq(dt_report_msg_name(&e), "syn_ack");
	ck_assert_int_eq(dt_report_event_is_tls(&e), 0);
	e.type = 63;	/* no such kind */
	ck_assert_str_eq(dt_report_msg_name(&e), "unknown");
}
END_TEST

START_TEST(wireshark_filter_v6)
{
	struct dt_conn c;
	char buf[256];

	memset(&c, 0, sizeof c);
	c.client.family = c.server.family = 6;
	c.client.a[0] = 0x20;
	c.client.a[1] = 0x02;
	c.client.a[15] = 1;
	c.server.a[0] = 0x20;
	c.server.a[1] = 0x02;
	c.server.a[15] = 2;
	c.client_port = 50000;
	c.server_port = 443;
	dt_facts_wireshark_filter(&c, buf, sizeof buf);
	ck_assert_str_eq(buf,
	    "ipv6.addr==2002::1 && tcp.port==50000 && ipv6.addr==2002::2 && "
	    "tcp.port==443");
}
END_TEST

/* Timelines keep offsets from the connection's first frame and time; the
   events whose offsets do not fit keep both exactly beside it. Every one
   reads back to the frame and the nanosecond, before and after the
   timeline moves to kept memory and is copied out again. */
START_TEST(timeline_exact)
{
	static const struct {
		uint64_t frame;
		int64_t time;
	} e[] = {
		{ 7, T0 },				/* the first */
		{ 8, T0 + (INT64_C(1) << 48) - 1 },	/* 78 hours on */
		{ 9, T0 + (INT64_C(1) << 48) },		/* past them */
		{ 7 + DT_EV_WIDE - 1, T0 + 1 },		/* the last offset */
		{ 7 + DT_EV_WIDE, T0 + 2 },		/* past it */
		{ 6, T0 + 3 },				/* before the first */
		{ 10, T0 - 1 },				/* earlier */
		{ UINT64_MAX, INT64_MAX },
		{ 11, INT64_MIN },
		{ 12, T0 + 999999999 },
	};
	size_t n = sizeof e / sizeof e[0], i, k;
	struct dt_conn *c = conn_new(caps[0], 99, 9, 50999);
	uint64_t frame;
	int64_t time;

	ck_assert_uint_eq(sizeof(struct dt_event), 16);
	c->first_frame = 7;
	c->first_time = T0;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i++)
			ck_assert_int_eq(dt_conn_add_event(&mem, c, DT_EV_GAP,
			    (uint8_t)(i & 1), e[i].frame, e[i].time, (uint16_t)i,
			    (uint32_t)(UINT32_MAX - i)), 0);
		for (i = 0; i < c->n_events; i++) {
			const struct dt_event *ev = &c->events[i];

			ck_assert_uint_eq(ev->type, DT_EV_GAP);
			ck_assert_uint_eq(ev->dir, (i % n) & 1);
			ck_assert_uint_eq(ev->a, i % n);
			ck_assert_uint_eq(ev->b, UINT32_MAX - i % n);
			ck_assert_uint_eq(dt_ev_frame(c, ev), e[i % n].frame);
			ck_assert_int_eq(dt_ev_time(c, ev), e[i % n].time);
			ck_assert_int_eq(dt_conn_event_at(c, i, &frame, &time,
			    NULL, NULL), 0);
			ck_assert_uint_eq(frame, e[i % n].frame);
			ck_assert_int_eq(time, e[i % n].time);
		}
		/* kept, then copied out by the next round's first event */
		dt_conn_retire(caps[0], c);
		ck_assert_int_ne(c->kept & DT_CONN_KEPT_EVENTS, 0);
	}
	ck_assert_uint_eq(c->n_events, 2 * n);
	ck_assert_uint_eq(c->rare->n_wide, 2 * 6);
	ck_assert_uint_eq(dt_conn_drop(c)->frame, 0);
	ck_assert_uint_eq(dt_conn_drop(c)->n, 0);
	ck_assert_uint_eq(dt_conn_gap(c, DT_S2C), 0);
	/* past DT_MAX_EVENTS: counted beside the wide ones */
	for (i = c->n_events; i < DT_MAX_EVENTS + 3; i++)
		ck_assert_int_eq(dt_conn_add_event(&mem, c, DT_EV_GAP, 0,
		    7 + i, T0 + (int64_t)i, 0, 0), 0);
	ck_assert_uint_eq(c->n_events, DT_MAX_EVENTS);
	ck_assert_uint_eq(dt_conn_events_dropped(c), 3);
	ck_assert_uint_eq(dt_conn_timeline_dropped(c), 3);
	ck_assert_int_eq(dt_conn_gap_add(&mem, c, DT_S2C, 250), 0);
	ck_assert_uint_eq(dt_conn_gap(c, DT_S2C), 250);
	ck_assert_uint_eq(dt_conn_gap_bytes(c, DT_S2C), 250);
	ck_assert_uint_eq(dt_conn_gap(c, DT_C2S), 0);
}
END_TEST

/* ---- text ------------------------------------------------------------------- */

static int
has_line(const char *out, const char *line)
{
	size_t n = strlen(line);
	const char *p = out;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == out || p[-1] == '\n') && (p[n] == '\n'))
			return 1;
		p++;
	}
	return 0;
}

#define ck_line(out, line) \
	ck_assert_msg(has_line((out), (line)), "missing line \"%s\" in:\n%s", \
	    (line), (out))

static void
assert_fits(const char *out)
{
	size_t col = 0, lineno = 1;
	const char *p;

	for (p = out; *p != '\0'; p++) {
		if (*p == '\n') {
			col = 0;
			lineno++;
			continue;
		}
		/* a word longer than a line runs over rather than break */
		if (col > 0 && *p == ' ' && strcspn(p + 1, " \n") > 70) {
			p += strcspn(p + 1, " \n");
			continue;
		}
		if (((unsigned char)*p & 0xC0) != 0x80)
			col++;
		if (strncmp(p, "\xe4\xb8\xad", 3) == 0)	/* U+4E2D is wide */
			col++;
		ck_assert_msg(col <= 80, "line %zu longer than 80 columns:\n%s",
		    lineno, out);
	}
}

static void
assert_no_controls(const char *out)
{
	const char *p;

	for (p = out; *p != '\0'; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 || *p == '\n',
		    "control byte 0x%02x in text output",
		    (unsigned char)*p);
}

START_TEST(text_ladder_and_verdicts)
{
	int rc;
	char *out = render(0, 0, 0, &rc, NULL);

	ck_assert_int_eq(rc, 0);
	assert_fits(out);
	assert_no_controls(out);
	ck_line(out, "captures/da-null.pcapng: pcapng, 16 packets, 2024-06-10 "
	    "20:18:27 UTC, 2.500 s");
	ck_line(out, "  error at offset 1234: pcapng block length 13 is not a "
	    "multiple of 4");
	ck_line(out, "  note: 1 packet cut short by the capture's snapshot "
	    "length");
	ck_line(out, "  note: 1 packet of link type USER0 (147) not analysed");
	ck_line(out, "Connection 1: 198.18.1.100:50123 -> 198.19.0.10:443 "
	    "(da.corp.example), TCP");
	ck_line(out, "    reset, frames 1-6");
	ck_line(out, "    0.000  #1      C->S  SYN");
	ck_line(out, "    0.012  #2      S->C  SYN-ACK");
	ck_line(out, "    0.013  #4      C->S  ClientHello TLS 1.2, SNI "
	    "da.corp.example, NULL suites");
	ck_line(out, "                         offered: 0x003B, 0x0002 "
	    "(only NULL)");
	ck_line(out, "    0.025  #5      S->C  Alert fatal handshake_failure "
	    "(40) from server");
	ck_line(out, "    0.040  #6      S->C  RST from server");
	ck_line(out, "error  null-cipher-absent  0x80090326 SEC_E_ILLEGAL_MESSAGE"
	    "  (confidence high)");
	ck_line(out, "  The server refused a ClientHello that offered only NULL "
	    "suites.");
	ck_line(out, "  The client offered only NULL cipher suites "
	    "(TLS_RSA_WITH_NULL_SHA256,");
	ck_line(out, "  Fix: Enable TLS_RSA_WITH_NULL_SHA and "
	    "TLS_RSA_WITH_NULL_SHA256 on the");
	ck_line(out, "       virtual server's cipher group of the ADC that "
	    "terminates IP-HTTPS, or");
	ck_line(out, "  Frames: 4, 5");
	/* the healthy connection: header and brief verdicts, no ladder */
	ck_line(out, "Connection 2: 198.18.1.100:50124 -> 198.19.0.10:443 "
	    "(da.corp.example), TCP");
	ck_line(out, "info  handshake-ok  (confidence high)");
	ck_line(out, "  The TLS handshake completed.");
	ck_assert_ptr_null(strstr(out, "ServerHello TLS 1.2"));
	ck_assert_ptr_null(strstr(out, "Frames: 11, 12"));
	/* refused */
	ck_line(out, "    0.001  #15     S->C  RST from server, refusing the SYN");
	ck_line(out, "error  tcp-refused  0x274d WSAECONNREFUSED  "
	    "(confidence high)");
	ck_line(out, "  Frames: 14, 15");
	/* capture-wide after the connections, then the summary */
	ck_line(out, "Whole capture:");
	ck_line(out, "warning  capture-truncated  (confidence medium)");
	ck_assert(strstr(out, "Whole capture:") > strstr(out, "tcp-refused"));
	ck_line(out, "3 IP-HTTPS connections, 2 errors, 1 warning");
	ck_assert_ptr_null(strchr(out, '\x1b'));
	free(out);
}
END_TEST

START_TEST(text_verbose_ladder)
{
	int rc;
	char *out = render(0, 0, DT_TEXT_VERBOSE, &rc, NULL);

	ck_assert_int_eq(rc, 0);
	assert_fits(out);
	assert_no_controls(out);
	ck_line(out, "    0.002  #9      C->S  ClientHello TLS 1.2, SNI "
	    "da.corp.example, NULL suites");
	ck_line(out, "                         offered: 0x003B, 0x0002 "
	    "(of 3 suites)");
	ck_line(out, "    0.010  #10     S->C  ServerHello TLS 1.2, "
	    "TLS_RSA_WITH_NULL_SHA256");
	/* the bad bytes and ESC of the DN come out as '?' */
	ck_line(out, "    0.010  #10     S->C  Certificate: "
	    "CN=da.corp.example,O=Bad??[31m issued by");
	ck_line(out, "                         CN=Corp Issuing CA (2 "
	    "certificates)");
	ck_line(out, "    0.010  #10     S->C  CertificateRequest (CAs: CN=Corp "
	    "Root CA; CN=Other");
	ck_line(out, "    0.010  #10     S->C  ServerHelloDone");
	ck_line(out, "    0.020  #11     C->S  Certificate: CN=CLIENT01.corp."
	    "example issued by");
	ck_line(out, "                         CN=Corp Issuing CA");
	ck_line(out, "    0.020  #11     C->S  ChangeCipherSpec");
	ck_line(out, "    0.030  #12     S->C  Finished (encrypted)");
	ck_line(out, "    0.020  #11     C->S  Finished");
	ck_line(out, "    0.040  #13     C->S  Application data");
	ck_line(out, "    0.040  #13     C->S  HTTP POST /IPHTTPS HTTP/1.1, Host "
	    "da.corp.example");
	ck_line(out, "    0.100  #13           Capture ends, connection still "
	    "open");
	ck_line(out, "  Frames: 11, 12");
	free(out);
}
END_TEST

START_TEST(text_hostile)
{
	int rc;
	char *out;

	run.caps = &caps[1];
	run.n_caps = 1;
	out = render(0, 0, DT_TEXT_VERBOSE, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	assert_fits(out);
	assert_no_controls(out);
	ck_assert_ptr_null(strstr(out, "\xe2\x80\xae"));	/* RLO */
	ck_assert_ptr_null(strstr(out, "\xc2\x9b"));		/* CSI */
	ck_line(out, "evil?]0;pwned?.pcap: pcap, 3 packets, 2024-06-10 "
	    "20:18:27 UTC, 0.000 s");
	ck_line(out, "Connection 1: 198.18.1.100:40000 -> 198.19.0.30:443 "
	    "(bad?????[2J?ok), TCP");
	ck_line(out, "  x?1m");
	ck_line(out, "  Fix: y?");
	ck_line(out, "  note: memory limits dropped 2 connections, 0 stream "
	    "bytes, 0 fragments");
	ck_line(out, "    0.000  #1      C->S  ClientHello 0x0000, SNI "
	    "bad?????[2J?ok, 0 suites, no");
	ck_line(out, "                         NULL suite");
	ck_line(out, "    0.000  #2      S->C  Not TLS: \"HTTP/1.1 400 "
	    "Bad?[5m ?\"");
	ck_line(out, "    0.000  #3      C->S  Alert (encrypted) from client");
	ck_line(out, "  Not TLS: ?[31mred?2J");
	free(out);
}
END_TEST

START_TEST(text_colour)
{
	int rc;
	char *out = render(0, 0, DT_TEXT_COLOR, &rc, NULL);

	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "\033[31merror\033[0m  "
	    "null-cipher-absent  0x80090326 SEC_E_ILLEGAL_MESSAGE  "
	    "(confidence high)\n"));
	ck_assert_ptr_nonnull(strstr(out, "\033[33mwarning\033[0m  "
	    "capture-truncated"));
	ck_assert_ptr_nonnull(strstr(out, "\033[32minfo\033[0m  handshake-ok"));
	free(out);
}
END_TEST

START_TEST(text_wraps_long_words)
{
	struct dt_verdict *v = caps[0]->verdicts;
	int rc;
	char *out;
	char longword[300];

	memset(longword, 'x', sizeof longword - 1);
	longword[sizeof longword - 1] = '\0';
	dt_free(&mem, v->remedy);
	v->remedy = dt_strdup(&mem, longword);
	dt_free(&mem, caps[0]->path);
	caps[0]->path = dt_strdup(&mem, "/srv/support/cases/2024/123456/"
	    "client-da-trace.pcapng");
	out = render(0, 0, 0, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	assert_fits(out);
	/* the path alone, then the rest as one unit */
	ck_line(out, "/srv/support/cases/2024/123456/client-da-trace.pcapng:");
	ck_line(out, "  pcapng, 16 packets, 2024-06-10 20:18:27 UTC, 2.500 s");
	free(out);

	/* long spans in hours and days */
	caps[0]->last_time = T0 + 3723LL * 1000000000;
	out = render(0, 0, 0, &rc, NULL);
	ck_line(out, "  pcapng, 16 packets, 2024-06-10 20:18:27 UTC, 1:02:03");
	free(out);
	caps[0]->last_time = T0 + (2 * 86400 + 3723LL) * 1000000000;
	out = render(0, 0, 0, &rc, NULL);
	ck_line(out, "  pcapng, 16 packets, 2024-06-10 20:18:27 UTC, 2 d 01:02:03");
	/* a word longer than a line (a path, a name) is never cut: it
	   runs over on its line */
	{
		char whole[7 + 300];

		memcpy(whole, "  Fix: ", 7);
		memcpy(whole + 7, longword, sizeof longword);
		ck_line(out, whole);
	}
	free(out);

	/* nor is a path with spaces in the capture's heading, and the
	   width given by the caller is the one prose is wrapped at */
	dt_free(&mem, caps[0]->path);
	caps[0]->path = dt_strdup(&mem, "/srv/support/cases/customer one/"
	    "long folder name/client da trace.pcapng");
	out = render(0, 0, DT_TEXT_WIDTH(60), &rc, NULL);
	ck_assert_int_eq(rc, 0);
	ck_line(out, "/srv/support/cases/customer one/long folder name/client "
	    "da trace.pcapng:");
	ck_line(out, "Connection 1: 198.18.1.100:50123 -> 198.19.0.10:443");
	free(out);
}
END_TEST

START_TEST(text_wide_chars)
{
	struct dt_verdict *v = caps[0]->verdicts;
	char wide[3 * 60 + 1], line[3 * 60 + 3];
	int rc, i;
	char *out;

	for (i = 0; i < 60; i++)
		memcpy(wide + 3 * i, "\xe4\xb8\xad", 3);
	wide[3 * 60] = '\0';
	dt_free(&mem, v->summary);
	v->summary = dt_strdup(&mem, wide);
	out = render(0, 0, 0, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	assert_fits(out);
	/* 2 + 38 * 2 = 78 columns, then the other 22 */
	line[0] = line[1] = ' ';
	for (i = 0; i < 38; i++)
		memcpy(line + 2 + 3 * i, "\xe4\xb8\xad", 3);
	line[2 + 3 * 38] = '\0';
	ck_line(out, line);
	for (i = 0; i < 22; i++)
		memcpy(line + 2 + 3 * i, "\xe4\xb8\xad", 3);
	line[2 + 3 * 22] = '\0';
	ck_line(out, line);
	free(out);
}
END_TEST

/* A chain the x509 cache shares may be both ends' certificates (a peer
   that answers a certificate request with the server's own, as nDPI's
   anydesk.pcapng does): each list is written under its own key, not the
   first one's kept whole for both. */
START_TEST(json_shared_chain_both_ends)
{
	struct dt_conn *c = caps[0]->conns->next;
	struct dt_tls_rare *tr = c->tls->rare;
	struct dt_cert *own = tr->client_certs;
	size_t n_own = tr->n_client_certs;
	char *out;
	json_t *d;
	int rc;

	ck_assert_uint_eq(c->tls->n_server_certs, 2);
	tr->client_certs = c->tls->server_certs;
	tr->n_client_certs = c->tls->n_server_certs;
	c->tls->certs_shared = 3;
	out = render(1, 0, 0, &rc, NULL);
	tr->client_certs = own;
	tr->n_client_certs = n_own;
	c->tls->certs_shared = 0;
	ck_assert_int_eq(rc, 0);
	d = parse(out);
	is_str(d, "captures.0.connections.1.tls.server_certificates.1.subject",
	    "CN=Corp Issuing CA");
	is_str(d, "captures.0.connections.1.tls.client_certificates.1.subject",
	    "CN=Corp Issuing CA");
	json_decref(d);
	free(out);
}
END_TEST

/* Lists of the same shape written by a connection after another: the
   kept text (struct jw_evm) takes each one's frames, times and counts
   (FIN's bytes_before, a hole), and a record's bytes (in the shape, not
   a hole) keep a list of other bytes apart; in JSON and JSON lines. */
START_TEST(json_event_shapes_kept)
{
	static const char *const tl[] = { "timeline", "tls.messages" };
	struct dt_conn *c;
	json_t *d, *conns, *e;
	char *out, path[96];
	size_t i, j, k, n;
	int lines, rc, seen;

	for (k = 0; k < 3; k++) {
		c = conn_new(caps[0], 700 + (uint32_t)k, (uint8_t)(70 + k),
		    (uint16_t)(52000 + k));
		c->tls->seen = 1;	/* "tls" written, "messages" in it */
		c->tls->ch_frame = 1001 + 10 * (uint32_t)k;
		ev(c, DT_EV_SYN, DT_C2S, 1000 + 10 * k, 1000 * (int64_t)k, 0,
		    0);
		ev(c, DT_EV_TLS_HANDSHAKE, DT_C2S, 1001 + 10 * k,
		    1000 * (int64_t)k + 1, DT_HS_CLIENT_HELLO, 0);
		ev(c, DT_EV_TLS_RECORD, DT_S2C, 1002 + 10 * k,
		    1000 * (int64_t)k + 2, 23, k == 2 ? 99 : 77);
		ev(c, DT_EV_FIN, DT_S2C, 1003 + 10 * k,
		    1000 * (int64_t)k + 3, 0, 500 + (uint32_t)k);
	}
	for (lines = 0; lines < 2; lines++) {
		out = render(1, lines, 0, &rc, NULL);
		ck_assert_int_eq(rc, 0);
		d = parse(out);
		conns = at(d, "captures.0.connections");
		ck_assert_ptr_nonnull(conns);
		seen = 0;
		for (i = 0; i < json_array_size(conns); i++) {
			e = json_array_get(conns, i);
			k = (size_t)json_integer_value(json_object_get(e,
			    "id")) - 700;
			if (k >= 3)
				continue;
			seen++;
			for (j = 0; j < 2; j++) {
				n = j == 0 ? 1 : 0;	/* the hello's place */
				snprintf(path, sizeof path, "%s.%zu.frame",
				    tl[j], n);
				is_int(e, path, (long long)(1001 + 10 * k));
				snprintf(path, sizeof path, "%s.%zu.time",
				    tl[j], n);
				is_str(e, path, k == 0 ?
				    "2024-06-10T20:18:27.124456789Z" : k == 1 ?
				    "2024-06-10T20:18:28.124456789Z" :
				    "2024-06-10T20:18:29.124456789Z");
				snprintf(path, sizeof path, "%s.%zu.bytes",
				    tl[j], n + 1);
				is_int(e, path, k == 2 ? 99 : 77);
			}
			is_int(e, "timeline.3.frame", (long long)(1003 + 10 * k));
			is_int(e, "timeline.3.bytes_before", 500 + (long long)k);
		}
		ck_assert_int_eq(seen, 3);
		json_decref(d);
		free(out);
	}
}
END_TEST

START_TEST(empty_run)
{
	int rc;
	char *out;
	json_t *d;

	run.n_caps = 0;
	out = render(1, 0, 0, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	d = parse(out);
	ck_assert_uint_eq(json_array_size(at(d, "captures")), 0);
	json_decref(d);
	free(out);
	out = render(1, 1, 0, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("json");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, json_spec_keys);
	tcase_add_test(tc, json_values);
	tcase_add_test(tc, json_deterministic);
	tcase_add_test(tc, jsonl_one_line_per_capture);
	tcase_add_test(tc, json_hostile_strings);
	tcase_add_test(tc, json_dns_http_extras);
	tcase_add_test(tc, json_memory_and_io_failures);
	tcase_add_test(tc, json_shared_chain_both_ends);
	tcase_add_test(tc, json_event_shapes_kept);
	tcase_add_test(tc, empty_run);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, utf8_clean, 0,
	    sizeof utf8_cases / sizeof utf8_cases[0]);
	tcase_add_test(tc, times);
	tcase_add_test(tc, names);
	tcase_add_test(tc, wireshark_filter_v6);
	tcase_add_test(tc, timeline_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, text_ladder_and_verdicts);
	tcase_add_test(tc, text_verbose_ladder);
	tcase_add_test(tc, text_hostile);
	tcase_add_test(tc, text_colour);
	tcase_add_test(tc, text_wraps_long_words);
	tcase_add_test(tc, text_wide_chars);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(report_suite)
