/*
 * report/html.c: the HTML report, from facts built by hand (hostile wire
 * strings: markup and quotes in the SNI, the certificate subject, the HTTP
 * and non-TLS lines, invalid UTF-8 and control bytes) and from the library
 * run on scenario captures in testdata/ (ranking, ladder steps, the failing
 * step's mark, certificate cards, the healthy-connection table, several
 * captures, write errors).
 */
#include "testutil.h"

#include <stdarg.h>
#include <stdint.h>

#include "analyzer_int.h"
#include "facts/facts.h"
#include "report/report.h"

#define SCEN TESTDATA_DIR "/scenarios/"
#define CA SCEN "certs/corp-root.pem"
#define T0 1718050707123456789LL	/* 2024-06-10T20:18:27.123456789Z */
#define MS 1000000LL

/* ---- rendering ----------------------------------------------------------- */

static char *
render_run(const struct dt_report_run *run, unsigned flags)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(dt_report_html(run, fp, flags), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_uint_eq(strlen(buf), n);
	return buf;
}

/* The library on captures; options: host (may be NULL), ca (may be NULL). */
static char *
render_files(const char *host, const char *ca, unsigned flags, ...)
{
	dt_options o = DT_OPTIONS_INIT;
	struct dt_analyzer *a;
	struct dt_report_run run;
	const char *path;
	va_list ap;
	char *out;

	o.host = host;
	o.ca_file = ca;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	va_start(ap, flags);
	while ((path = va_arg(ap, const char *)) != NULL)
		ck_assert_msg(dt_analyze_file(a, path) == 0, "%s: %s", path,
		    dt_analyzer_errmsg(a));
	va_end(ap);
	memset(&run, 0, sizeof run);
	run.host = a->host;
	run.ports = a->ports;
	run.ca_file = a->ca_file;
	run.caps = a->caps;
	run.n_caps = a->n_caps;
	out = render_run(&run, flags);
	dt_analyzer_free(a);
	return out;
}

#define ck_has(out, s) \
	ck_assert_msg(strstr((out), (s)) != NULL, "missing \"%s\"", (s))
#define ck_hasnt(out, s) \
	ck_assert_msg(strstr((out), (s)) == NULL, "unexpected \"%s\"", (s))

static size_t
count(const char *out, const char *s)
{
	size_t n = 0;

	while ((out = strstr(out, s)) != NULL) {
		n++;
		out++;
	}
	return n;
}

/* Offset of s in out, failing when absent. */
static size_t
at(const char *out, const char *s)
{
	const char *p = strstr(out, s);

	ck_assert_msg(p != NULL, "missing \"%s\"", s);
	return (size_t)(p - out);
}

/*
 * What every report must be: one document, valid UTF-8, no control byte
 * but newline, no script, nothing that the browser would fetch (every
 * href is a fragment; no src, no url(), no @import).
 */
static void
assert_self_contained(const char *out)
{
	size_t n = strlen(out), i = 0, k;
	uint32_t cp;
	const char *p;

	ck_assert_msg(strncmp(out, "<!DOCTYPE html>\n", 16) == 0,
	    "no doctype");
	ck_assert_uint_eq(count(out, "<html"), 1);
	ck_assert_uint_eq(count(out, "</html>"), 1);
	while (i < n) {
		k = dt_utf8_next(out + i, n - i, &cp);
		ck_assert_msg(k > 0, "invalid UTF-8 at byte %zu", i);
		ck_assert_msg(cp >= 0x20 || cp == '\n', "control 0x%02x at %zu",
		    (unsigned)cp, i);
		i += k;
	}
	ck_hasnt(out, "<script");
	ck_hasnt(out, "<img");
	ck_hasnt(out, "<iframe");
	ck_hasnt(out, "<link");
	ck_hasnt(out, "<object");
	ck_hasnt(out, "<embed");
	ck_hasnt(out, "url(");
	ck_hasnt(out, "@import");
	for (p = out; (p = strstr(p, "href=\"")) != NULL; p++)
		ck_assert_msg(p[6] == '#', "external link: %.40s", p);
	/* the one URL in an attribute is the SVG namespace name (URLs from
	   certificates are text) */
	ck_assert_uint_eq(count(out, "=\"http"),
	    count(out, "xmlns=\"http://www.w3.org/2000/svg\""));
}

/* ---- hand-built hostile facts ---------------------------------------------- */

static struct dt_mem mem;

#define EVIL "<script>alert(1)</script>\"'"
#define EVIL_ESC "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"

static void
ev(struct dt_conn *c, uint8_t type, uint8_t dir, uint64_t frame, int64_t ms,
    uint16_t a, uint32_t b)
{
	ck_assert_int_eq(dt_conn_add_event(&mem, c, type, dir, frame,
	    T0 + ms * MS, a, b), 0);
}

static struct dt_capture *
hostile_capture(void)
{
	struct dt_capture *cap = dt_calloc(&mem, 1, sizeof *cap);
	struct dt_conn *c = dt_calloc(&mem, 1, sizeof *c);
	struct dt_verdict *v = dt_calloc(&mem, 1, sizeof *v);
	struct dt_cert *x;
	static const uint16_t suites[] = { 0x003B, 0x0002 };

	ck_assert_ptr_nonnull(cap);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(dt_conn_tls_make(&mem, c));
	cap->mem = &mem;
	cap->path = dt_strdup(&mem, "/tmp/" EVIL ".pcap");
	cap->format = "pcap";
	cap->packets = 9;
	cap->bytes = 4321;
	cap->first_time = T0;
	cap->last_time = T0 + 20 * MS;
	dt_capture_count_linktype(cap, 1, 1);
	memcpy(cap->linktypes[0].name, "EN10MB", 7);
	ck_assert_int_eq(dt_capture_add_error(cap, 77, "bad \x1b[2J block "
	    EVIL), 0);

	c->id = 1;
	c->client.family = 4;
	memcpy(c->client.a, "\xc6\x12\x01\x64", 4);	/* 198.18.1.100 */
	c->server.family = 4;
	memcpy(c->server.a, "\xc6\x13\x00\x0a", 4);	/* 198.19.0.10 */
	c->client_port = 40000;
	c->server_port = 443;
	c->server_str = "198.19.0.10:443";
	c->first_frame = 1;
	c->last_frame = 9;
	c->first_time = T0;
	c->last_time = T0 + 20 * MS;
	c->state = DT_TCP_RESET;
	c->iphttps = 1;
	c->tls->seen = 1;
	c->tls->ch_frame = 4;
	dt_tls_hello_make(&mem, c->tls)->ch_legacy_version = 0x0303;
	dt_tls_hello_make(&mem, c->tls)->offered_suites = dt_calloc(&mem, 2, sizeof(uint16_t));
	memcpy(dt_tls_hello_make(&mem, c->tls)->offered_suites, suites, sizeof suites);
	dt_tls_hello_make(&mem, c->tls)->n_offered_suites = 2;
	dt_tls_hello_make(&mem, c->tls)->offered_null = 1;
	dt_tls_hello_make(&mem, c->tls)->offered_only_null = 1;
	/* SNI: markup, quotes, an invalid byte, a control byte, an RLO */
	c->tls->sni = dt_strdup(&mem, EVIL "\xff\x01\xe2\x80\xae");
	c->tls->sh_frame = 6;
	c->tls->version = 0x0303;
	c->tls->suite = 0x003B;
	c->tls->server_cert_frame = 6;
	c->tls->server_certs = x = dt_calloc(&mem, 1, sizeof *x);
	c->tls->n_server_certs = 1;
	x->subject = dt_strdup(&mem, "CN=" EVIL ",O=Corp");
	x->issuer = dt_strdup(&mem, "CN=<img src=x onerror=alert(2)>");
	x->common_name = dt_strdup(&mem, EVIL);
	x->not_before = T0 / 1000000000 - 86400;
	x->not_after = T0 / 1000000000 + 86400;
	x->dns_names = dt_calloc(&mem, 1, sizeof(char *));
	x->dns_names[0] = dt_strdup(&mem, "<b>da</b>.corp.example");
	x->n_dns_names = 1;
	x->crl_urls = dt_calloc(&mem, 1, sizeof(char *));
	x->crl_urls[0] = dt_strdup(&mem, "javascript:alert(3)//\"><x>");
	x->n_crl_urls = 1;
	memcpy(x->sha256, "0bd61c56df173ad8573f637e9ba42b074a087d4d22f401b5"
	    "af00bc8192e97b98", 65);
	x->server_auth = 1;
	c->tls->chain = DT_CHAIN_UNTRUSTED;
	dt_tls_rare_make(&mem, c->tls)->chain_error = dt_strdup(&mem, "ends at " EVIL);
	dt_tls_rare_make(&mem, c->tls)->non_tls_frame = 8;
	dt_tls_rare_make(&mem, c->tls)->non_tls_dir = DT_S2C;
	dt_tls_rare_make(&mem, c->tls)->non_tls_line = dt_strdup(&mem, "HTTP/1.1 400 " EVIL);
	dt_tls_http_make(&mem, c->tls)->request.frame = 7;
	dt_tls_http_make(&mem, c->tls)->request.line = dt_strdup(&mem, "POST /" EVIL " HTTP/1.1");
	dt_tls_http_make(&mem, c->tls)->request.host = dt_strdup(&mem, EVIL);

	ev(c, DT_EV_SYN, DT_C2S, 1, 0, 0, 0);
	ev(c, DT_EV_SYNACK, DT_S2C, 2, 1, 0, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_C2S, 4, 5, 1, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_S2C, 6, 7, 2, 0);
	ev(c, DT_EV_TLS_HANDSHAKE, DT_S2C, 6, 7, 11, 0);
	ev(c, DT_EV_HTTP_REQUEST, DT_C2S, 7, 9, 0, 0);
	ev(c, DT_EV_NON_TLS, DT_S2C, 8, 10, 0, 0);
	ev(c, DT_EV_RST, DT_C2S, 9, 20, 0, 0);
	cap->conns = cap->conns_tail = c;
	cap->n_conns = 1;

	v->id = "wrong-server";
	v->severity = DT_SEV_ERROR;
	v->confidence = DT_CONF_HIGH;
	v->win_code = 0x80090326;
	v->win_name = "SEC_E_ILLEGAL_MESSAGE";
	v->conn = 1;
	v->frames = dt_calloc(&mem, 2, sizeof *v->frames);
	v->frames[0] = 4;
	v->frames[1] = 8;
	v->n_frames = 2;
	v->summary = dt_strdup(&mem, "Summary " EVIL);
	v->explanation = dt_strdup(&mem, "Explanation " EVIL);
	v->remedy = dt_strdup(&mem, "Remedy " EVIL);
	cap->verdicts = cap->verdicts_tail = v;
	cap->n_verdicts = 1;
	return cap;
}

START_TEST(hostile_strings_escaped)
{
	struct dt_capture *cap;
	struct dt_report_run run;
	char *out;
	const char *svg;

	dt_mem_init(&mem, NULL, NULL, 0);
	cap = hostile_capture();
	memset(&run, 0, sizeof run);
	run.host = EVIL;
	run.ca_file = "/etc/" EVIL ".pem";
	run.expect_cert = EVIL;
	run.filter = "tcp && " EVIL;
	run.caps = &cap;
	run.n_caps = 1;
	out = render_run(&run, 0);
	assert_self_contained(out);

	/* no live markup from the wire: neither raw form is anywhere */
	ck_hasnt(out, "<script>");
	ck_hasnt(out, "</script>");
	ck_hasnt(out, "<img");
	ck_hasnt(out, "<b>da");
	ck_hasnt(out, "<x>");
	ck_hasnt(out, "\"'");
	ck_hasnt(out, "\xe2\x80\xae");		/* RLO */
	/* and the escaped forms are there, in every place they go */
	ck_has(out, "SNI " EVIL_ESC "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ck_has(out, "<h3>" EVIL_ESC "</h3>");		/* card title */
	ck_has(out, "<dd>CN=" EVIL_ESC ",O=Corp</dd>");	/* card subject */
	ck_has(out, "CN=&lt;img src=x onerror=alert(2)&gt;");
	ck_has(out, "<code>&lt;b&gt;da&lt;/b&gt;.corp.example</code>");
	ck_has(out, "javascript:alert(3)//&quot;&gt;&lt;x&gt;");
	ck_has(out, "ends at " EVIL_ESC);
	ck_has(out, "<p class=\"summary\">Summary " EVIL_ESC "</p>");
	ck_has(out, "<p class=\"expl\">Explanation " EVIL_ESC "</p>");
	ck_has(out, "<b>Fix</b>Remedy " EVIL_ESC "</div>");
	/* the filter is written from the endpoints: nothing to escape
	   but its &&, escaped */
	ck_has(out, "<code>ip.addr==198.18.1.100 &amp;&amp; tcp.port==40000 "
	    "&amp;&amp; ip.addr==198.19.0.10 &amp;&amp; tcp.port==443</code>");
	ck_has(out, "198.18.1.100:40000");
	ck_has(out, "bad \xef\xbf\xbd[2J block " EVIL_ESC);
	/* attribute values: the capture path in a title=""; the name shown
	   is what follows the last '/', the one in "</script>" */
	ck_has(out, "title=\"/tmp/" EVIL_ESC ".pcap\">script&gt;&quot;&#39;"
	    ".pcap</a>");
	/* options */
	ck_has(out, "<code>" EVIL_ESC "</code>");
	ck_has(out, "<code>/etc/" EVIL_ESC ".pem</code>");
	ck_has(out, "<code>tcp &amp;&amp; " EVIL_ESC "</code>");
	/* inside the SVG: the server box, the tooltip, the arrow texts */
	svg = strstr(out, "<svg");
	ck_assert_ptr_nonnull(svg);
	ck_has(svg, ">Server &lt;script&gt;alert(1)&lt;/script\xe2\x80\xa6</text>");
	ck_has(svg, "\xe2\x80\x9cHTTP/1.1 400 " EVIL_ESC "\xe2\x80\x9d</text>");
	ck_has(svg, "POST /" EVIL_ESC " HTTP/1.1 \xc2\xb7 Host " EVIL_ESC);
	ck_has(svg, "<title>Frame 4, client to server: ClientHello TLS 1.2. "
	    "SNI " EVIL_ESC);
	free(out);
	dt_capture_free(cap);
}
END_TEST

START_TEST(hostile_ladder_marks)
{
	struct dt_capture *cap;
	struct dt_report_run run;
	char *out;

	dt_mem_init(&mem, NULL, NULL, 0);
	cap = hostile_capture();
	memset(&run, 0, sizeof run);
	run.caps = &cap;
	run.n_caps = 1;
	out = render_run(&run, 0);
	/* wrong-server prefers the Certificate, but frame 6 is not evidence;
	   4 and 8 are, and the badge sits on the last, the non-TLS reply */
	ck_has(out, "<g class=\"step\" data-frame=\"4\" data-evidence=\"1\">");
	ck_has(out, "<g class=\"step\" data-frame=\"8\" data-evidence=\"1\">");
	ck_hasnt(out, "data-frame=\"6\" data-evidence");
	ck_assert_uint_eq(count(out, "data-evidence"), 2);
	ck_assert_uint_eq(count(out, "<rect class=\"badge\""), 1);
	ck_assert(at(out, "data-frame=\"8\" data-evidence") <
	    at(out, "<a href=\"#v0-0\"><rect class=\"badge\""));
	ck_assert(at(out, "<rect class=\"badge\"") < at(out,
	    "data-frame=\"9\""));
	ck_has(out, "fill=\"#fff\">wrong-server</text></a>");
	/* options not given are said so */
	ck_has(out, "not given (<code>--host</code>)");
	ck_has(out, "none given (<code>--ca</code>)");
	ck_hasnt(out, "Capture filter");
	/* times and frames beside the arrows */
	ck_has(out, ">+0.005 s</text>");
	ck_has(out, ">frame 4</text>");
	ck_has(out, ">+0.020 s</text>");
	ck_has(out, "<td>2024-06-10 20:18:27 UTC</td><td>0.020&nbsp;s</td>");
	ck_has(out, "<td>4321&nbsp;bytes</td><td>9</td>");
	free(out);
	dt_capture_free(cap);
}
END_TEST

START_TEST(empty_run)
{
	struct dt_report_run run;
	char *out;

	memset(&run, 0, sizeof run);
	out = render_run(&run, 0);
	assert_self_contained(out);
	/* no IP-HTTPS connection, no finding: not a green "no problem" */
	ck_has(out, "<div class=\"banner none\"><strong>Nothing to judge"
	    "</strong>");
	ck_hasnt(out, "No problem found");
	ck_has(out, "<p>No finding.</p>");
	free(out);
}
END_TEST

START_TEST(write_error)
{
	struct dt_report_run run;
	FILE *fp = fopen("/dev/full", "w");

	if (fp == NULL)
		return;		/* no /dev/full here */
	memset(&run, 0, sizeof run);
	ck_assert_int_eq(dt_report_html(&run, fp, 0), DT_EIO);
	fclose(fp);
}
END_TEST

/* ---- the library on scenario captures ------------------------------------------ */

START_TEST(null_absent_ladder)
{
	char *out = render_files("da.corp.example", NULL, 0,
	    SCEN "null-absent-alert-openssl.pcap", NULL);
	const char *svg;

	assert_self_contained(out);
	ck_has(out, "<title>DirectAccess IP-HTTPS report: "
	    "null-absent-alert-openssl.pcap</title>");
	ck_has(out, "<div class=\"banner error\"><strong>Problems found"
	    "</strong> &mdash; 1 error, 0 warnings, 0 informational findings; "
	    "1 IP-HTTPS connection.</div>");
	ck_has(out, "<td>pcap</td><td>823&nbsp;bytes</td><td>10</td>"
	    "<td>2026-11-25 17:11:27 UTC</td><td>0.008&nbsp;s</td>"
	    "<td>EN10MB</td>");
	ck_has(out, "<code>da.corp.example</code>");
	ck_has(out, "<code class=\"vid\">null-cipher-absent</code><span "
	    "class=\"win\"><span class=\"code\">0x80090326</span> "
	    "SEC_E_ILLEGAL_MESSAGE</span><span class=\"conf\">confidence "
	    "high</span>");
	ck_has(out, "Evidence frames <code>4</code>, <code>6</code>");
	ck_has(out, "<a href=\"#c0-1\">connection 1</a>");
	ck_has(out, "<article class=\"conn\" id=\"c0-1\">");
	/* the ladder: one arrow per event, in order, the alert marked */
	svg = strstr(out, "<svg");
	ck_assert_ptr_nonnull(svg);
	ck_assert_uint_eq(count(svg, "<g class=\"step\""), 6);
	ck_assert(at(svg, ">SYN</text>") < at(svg, ">SYN-ACK</text>"));
	ck_assert(at(svg, ">SYN-ACK</text>") < at(svg,
	    ">ClientHello TLS 1.2</text>"));
	ck_has(svg, "SNI da.corp.example \xc2\xb7 NULL offered: 0x003B, "
	    "0x0002 (only NULL)</text>");
	ck_has(svg, "<g class=\"step\" data-frame=\"6\" data-evidence=\"1\">"
	    "<title>Frame 6, server to client: Alert fatal handshake_failure "
	    "(40). </title>");
	ck_has(svg, "fill=\"#b3261e\">Alert fatal handshake_failure (40)"
	    "</text>");
	ck_assert(at(svg, "Alert fatal handshake_failure (40)</text>") <
	    at(svg, ">null-cipher-absent</text></a>"));
	ck_assert(at(svg, ">null-cipher-absent</text></a>") <
	    at(svg, "data-frame=\"8\""));
	ck_has(svg, ">frame 9</text>");
	/* no certificate was sent */
	ck_hasnt(out, "Certificates");
	free(out);
}
END_TEST

START_TEST(ranked_and_cards)
{
	char *out = render_files("da.corp.example", CA, 0,
	    SCEN "ssl-inspection-fortinet.pcap", NULL);
	size_t err, warn;

	assert_self_contained(out);
	/* the rules list the warning first; the report ranks the error first */
	err = at(out, "<article class=\"verdict error\"");
	warn = at(out, "<article class=\"verdict warning\"");
	ck_assert(err < warn);
	ck_has(out, "<span class=\"badge error\">Error</span><code "
	    "class=\"vid\">ssl-inspection</code>");
	ck_has(out, "0x800b0109</span> CERT_E_UNTRUSTEDROOT");
	/* the Certificate, completed in frame 8 (as Wireshark shows it), is
	   the evidence shown for ssl-inspection; the client's alert carries
	   its badge */
	ck_has(out, "data-evidence=\"1\"><title>Frame 8, server to client: "
	    "Certificate (2 certificates). CN=da.corp.example,O=Corp \xe2\x86\x90"
	    " issued by CN=Fortinet_CA_SSL,OU=Certificate Authority,"
	    "O=Fortinet</title>");
	ck_has(out, "<title>Frame 6, server to client: ServerHello TLS 1.2. "
	    "TLS_RSA_WITH_AES_128_CBC_SHA256 (0x003C)</title>");
	ck_assert(at(out, "Alert fatal unknown_ca (48)</text>") <
	    at(out, ">ssl-inspection</text></a>"));
	ck_assert(at(out, "ServerHello TLS 1.2</text>") <
	    at(out, ">encrypted-cipher-negotiated</text></a>"));
	/* two cards: the leaf, then the interception CA */
	ck_assert_uint_eq(count(out, "<div class=\"card\">"), 2);
	ck_assert(at(out, "<b>Server certificate</b>") <
	    at(out, "<b>Root CA</b>"));
	ck_has(out, "<h3>da.corp.example</h3>");
	ck_has(out, "<h3>Fortinet_CA_SSL</h3>");
	ck_has(out, "<dt>Names (SAN)</dt><dd><code>da.corp.example</code>");
	ck_has(out, "<span class=\"status error\">not trusted</span>: ");
	ck_has(out, "<span class=\"status info\">valid</span> at capture time");
	ck_has(out, "<dd class=\"fp\">0b:d6:1c:56:df:17:3a:d8:57:3f:63:7e:9b:"
	    "a4:2b:07:4a:08:74:d2:2f:40:1b:b5:af:00:bc:81:92:e9:7b:98</dd>");
	ck_has(out, "<span>2024-01-01</span><span>2034-01-01</span>");
	ck_has(out, "<code>testdata/scenarios/certs/corp-root.pem</code>");
	free(out);
}
END_TEST

START_TEST(client_cert_missing_marks)
{
	char *out = render_files("da.corp.example", CA, 0,
	    SCEN "client-cert-missing-openssl.pcap", NULL);

	assert_self_contained(out);
	/* in frame 6 the CertificateRequest is the evidence, not the
	   server's Certificate; the empty client Certificate is frame 8 */
	ck_has(out, "data-frame=\"6\" data-evidence=\"1\"><title>Frame 6, "
	    "server to client: CertificateRequest. CAs: CN=Corp Client CA,"
	    "O=Corp</title>");
	ck_has(out, "data-frame=\"8\" data-evidence=\"1\"><title>Frame 8, "
	    "client to server: Certificate (empty). </title>");
	ck_assert_uint_eq(count(out, "data-evidence"), 3);
	ck_assert(at(out, "Alert fatal handshake_failure (40)</text>") <
	    at(out, ">client-cert-missing</text></a>"));
	ck_has(out, "<h3 class=\"fyi\">For information</h3>");
	ck_has(out, "<span class=\"status info\">trusted</span>");
	ck_has(out, "<dt>CRL</dt><dd><code>http://crl.corp.example/"
	    "corp-root.crl</code>");
	free(out);
}
END_TEST

START_TEST(expired_card)
{
	char *out = render_files("da.corp.example", CA, 0,
	    SCEN "server-cert-expired-openssl.pcap", NULL);

	assert_self_contained(out);
	ck_has(out, "<span class=\"status error\">expired</span> at capture "
	    "time");
	ck_has(out, "<div class=\"range bad\"");
	ck_has(out, "<span>2022-01-01</span><span>2026-11-25</span>");
	ck_has(out, "data-frame=\"6\" data-evidence=\"1\"><title>Frame 6, "
	    "server to client: Certificate.");
	free(out);
}
END_TEST

START_TEST(healthy_table_and_verbose)
{
	char *out = render_files("da.corp.example", CA, 0,
	    SCEN "ok-null-openssl.pcap", NULL);

	assert_self_contained(out);
	ck_has(out, "<div class=\"banner info\"><strong>No problem found"
	    "</strong>");
	ck_hasnt(out, "<svg");
	ck_has(out, "<h3>Connections (no problem found)</h3>");
	ck_has(out, "<tr id=\"c0-1\"><td>1</td><td class=\"mono\">"
	    "198.18.1.100:");
	ck_has(out, "<td>TLS 1.2<br>TLS_RSA_WITH_NULL_SHA256 (0x003B)</td>");
	ck_has(out, "<a class=\"chip info\" href=\"#v0-0\">handshake-ok</a>");
	ck_has(out, "<b>Server certificate</b>");
	free(out);

	out = render_files("da.corp.example", CA, DT_TEXT_VERBOSE,
	    SCEN "ok-null-openssl.pcap", NULL);
	ck_assert_uint_eq(count(out, "<svg"), 1);
	ck_hasnt(out, "data-evidence");
	ck_hasnt(out, "<rect class=\"badge\"");
	ck_has(out, ">HTTP request</text>");
	ck_has(out, "POST /IPHTTPS HTTP/1.1 \xc2\xb7 Host da.corp.example");
	ck_has(out, ">HTTP response 200</text>");
	ck_has(out, "Microsoft-HTTPAPI/2.0");
	free(out);
}
END_TEST

START_TEST(several_captures)
{
	char *out = render_files("da.corp.example", NULL, 0,
	    SCEN "null-absent-alert-openssl.pcap",
	    SCEN "tcp-refused-v4.pcap", SCEN "ok-null-openssl.pcap", NULL);

	assert_self_contained(out);
	ck_hasnt(out, "<title>DirectAccess IP-HTTPS report:");
	/* the index: a row per capture linking to its section, its
	   IP-HTTPS connections, its top finding with its Windows code */
	ck_assert_uint_eq(count(out, "<tr><td><a class=\"mono\" href=\"#cap"), 3);
	ck_has(out, "<tr><td><a class=\"mono\" href=\"#cap1\" title=\"");
	ck_has(out, "<section id=\"cap1\">");
	ck_has(out, "<a class=\"chip error\" href=\"#v1-0\">tcp-refused</a>"
	    " 0x274d</td></tr>");
	ck_has(out, "<th title=\"bytes of the captured packets, not the size "
	    "of the file\">Packet bytes</th>");
	ck_has(out, "<h2>Connections in <span class=\"mono\">"
	    "tcp-refused-v4.pcap</span></h2>");
	ck_has(out, " &middot; in <span class=\"mono\">tcp-refused-v4.pcap"
	    "</span>");
	/* anchors are per capture */
	ck_has(out, "id=\"c0-1\"");
	ck_has(out, "id=\"c1-1\"");
	ck_has(out, "id=\"c2-1\"");
	ck_has(out, ">tcp-refused</text></a>");
	ck_has(out, "RST</text>");
	ck_has(out, "refusing the SYN</text>");
	/* errors of both failing captures before any info verdict */
	ck_assert(at(out, "class=\"vid\">tcp-refused<") <
	    at(out, "class=\"vid\">handshake-ok<"));
	ck_assert(at(out, "class=\"vid\">null-cipher-absent<") <
	    at(out, "class=\"vid\">handshake-ok<"));
	free(out);
}
END_TEST

/* ---- a capture with hostile names, fed packet by packet -------------------- */

/* A self-signed certificate (openssl req -x509, P-256) whose subject is
   CN=<script>alert(1)</script>"', O=Evil"Corp. */
static const unsigned char evil_der[] =
	"\x30\x82\x01\xb4\x30\x82\x01\x5c\xa0\x03\x02\x01\x02\x02\x01\x07"
	"\x30\x0a\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02\x30\x3a\x31\x24"
	"\x30\x22\x06\x03\x55\x04\x03\x0c\x1b\x3c\x73\x63\x72\x69\x70\x74"
	"\x3e\x61\x6c\x65\x72\x74\x28\x31\x29\x3c\x2f\x73\x63\x72\x69\x70"
	"\x74\x3e\x22\x27\x31\x12\x30\x10\x06\x03\x55\x04\x0a\x0c\x09\x45"
	"\x76\x69\x6c\x22\x43\x6f\x72\x70\x30\x1e\x17\x0d\x32\x36\x31\x31"
	"\x32\x35\x31\x37\x33\x31\x30\x37\x5a\x17\x0d\x33\x36\x31\x31\x32"
	"\x32\x31\x37\x33\x31\x30\x37\x5a\x30\x3a\x31\x24\x30\x22\x06\x03"
	"\x55\x04\x03\x0c\x1b\x3c\x73\x63\x72\x69\x70\x74\x3e\x61\x6c\x65"
	"\x72\x74\x28\x31\x29\x3c\x2f\x73\x63\x72\x69\x70\x74\x3e\x22\x27"
	"\x31\x12\x30\x10\x06\x03\x55\x04\x0a\x0c\x09\x45\x76\x69\x6c\x22"
	"\x43\x6f\x72\x70\x30\x59\x30\x13\x06\x07\x2a\x86\x48\xce\x3d\x02"
	"\x01\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07\x03\x42\x00\x04\x3e"
	"\x46\xdb\x1d\xe9\x66\x24\x31\xba\x10\xdb\xf6\x81\x57\x55\xc5\x68"
	"\xd7\xaf\xcc\xba\xfe\xe4\x55\xe8\x79\x5f\xb8\xe2\xa9\xaf\x99\xc4"
	"\xb3\x1b\x5e\x53\x6a\xeb\x7b\xbd\xdb\xf9\x24\x54\x5f\xfd\x25\x84"
	"\xaf\x6b\xd2\x06\xc6\x9d\xd9\x27\x98\x32\xcb\x40\xb5\x88\x18\xa3"
	"\x53\x30\x51\x30\x1d\x06\x03\x55\x1d\x0e\x04\x16\x04\x14\xe1\x5a"
	"\x72\x65\x4b\x00\x66\x61\x17\x9c\x01\x42\x12\x04\x43\x52\x97\x44"
	"\x56\x5e\x30\x1f\x06\x03\x55\x1d\x23\x04\x18\x30\x16\x80\x14\xe1"
	"\x5a\x72\x65\x4b\x00\x66\x61\x17\x9c\x01\x42\x12\x04\x43\x52\x97"
	"\x44\x56\x5e\x30\x0f\x06\x03\x55\x1d\x13\x01\x01\xff\x04\x05\x30"
	"\x03\x01\x01\xff\x30\x0a\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02"
	"\x03\x46\x00\x30\x43\x02\x1f\x55\x52\x41\x24\x92\x4b\x80\x65\x92"
	"\x0b\x31\xcf\x32\x9e\x5d\x3c\x25\x3a\xd5\x75\x00\xf0\x1b\x69\x61"
	"\x47\x3c\x10\x15\x55\xb2\x02\x20\x27\x1d\xc8\xac\x9c\x2d\x79\x4a"
	"\x55\x3b\x7b\x6d\xfe\xe9\x48\xc8\x9c\xde\xc0\xff\x92\x15\x7b\xb9"
	"\xf1\xbd\xce\x03\x74\xea\x2a\xbe";

struct pkt {
	uint8_t b[1600];
	size_t n;
};

static void
p8(struct pkt *p, unsigned v)
{
	ck_assert_uint_lt(p->n, sizeof p->b);
	p->b[p->n++] = (uint8_t)v;
}

static void
p16(struct pkt *p, unsigned v)
{
	p8(p, v >> 8);
	p8(p, v & 0xff);
}

static void
p24(struct pkt *p, size_t v)
{
	p8(p, (unsigned)(v >> 16) & 0xff);
	p16(p, (unsigned)v & 0xffff);
}

static void
p32(struct pkt *p, uint32_t v)
{
	p16(p, v >> 16);
	p16(p, v & 0xffff);
}

static void
pbytes(struct pkt *p, const void *v, size_t n)
{
	ck_assert_uint_le(n, sizeof p->b - p->n);
	memcpy(p->b + p->n, v, n);
	p->n += n;
}

/* Patch a big-endian length of `width` bytes at off: bytes after it. */
static void
plen(struct pkt *p, size_t off, int width)
{
	size_t v = p->n - off - (size_t)width;
	int i;

	for (i = width - 1; i >= 0; i--, v >>= 8)
		p->b[off + (size_t)i] = (uint8_t)(v & 0xff);
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* One raw IPv4 (LINKTYPE 101) TCP packet between 198.18.1.100:40000 and
   198.19.0.10:443 carrying `data`. */
static void
feed_tcp(struct dt_analyzer *a, int c2s, uint32_t seq, uint32_t ack,
    unsigned flags, const struct pkt *data, int ms)
{
	static const uint8_t cli[4] = { 198, 18, 1, 100 };
	static const uint8_t srv[4] = { 198, 19, 0, 10 };
	struct pkt p = { .n = 0 };
	size_t dn = data != NULL ? data->n : 0;

	p8(&p, 0x45);
	p8(&p, 0);
	p16(&p, (unsigned)(40 + dn));
	p16(&p, 1);
	p16(&p, 0x4000);
	p8(&p, 64);
	p8(&p, 6);
	p16(&p, 0);
	pbytes(&p, c2s ? cli : srv, 4);
	pbytes(&p, c2s ? srv : cli, 4);
	p16(&p, c2s ? 40000 : 443);
	p16(&p, c2s ? 443 : 40000);
	p32(&p, seq);
	p32(&p, ack);
	p8(&p, 5 << 4);
	p8(&p, flags);
	p16(&p, 65535);
	p32(&p, 0);
	if (dn > 0)
		pbytes(&p, data->b, dn);
	ck_assert_int_eq(dt_feed_packet(a, 101, 1900000000, (uint32_t)ms *
	    1000000u, p.b, (uint32_t)p.n, (uint32_t)p.n), 0);
}

static char *
render_evil_capture(void)
{
	dt_options o = DT_OPTIONS_INIT;
	struct dt_analyzer *a;
	struct dt_report_run run;
	struct pkt ch = { .n = 0 }, sh = { .n = 0 }, al = { .n = 0 };
	static const char sni[] = EVIL;
	size_t rec, hs, ext, list, certs;
	char *out;
	int i;

	/* ClientHello: TLS 1.2, NULL suites only, SNI EVIL */
	p8(&ch, 22); p16(&ch, 0x0301); rec = ch.n; p16(&ch, 0);
	p8(&ch, 1); hs = ch.n; p24(&ch, 0);
	p16(&ch, 0x0303);
	for (i = 0; i < 32; i++)
		p8(&ch, (unsigned)i);
	p8(&ch, 0);
	p16(&ch, 4); p16(&ch, 0x003B); p16(&ch, 0x0002);
	p8(&ch, 1); p8(&ch, 0);
	ext = ch.n; p16(&ch, 0);
	p16(&ch, 0); p16(&ch, (unsigned)(sizeof sni - 1 + 5));
	list = ch.n; p16(&ch, 0);
	p8(&ch, 0); p16(&ch, sizeof sni - 1); pbytes(&ch, sni, sizeof sni - 1);
	plen(&ch, list, 2);
	plen(&ch, ext, 2);
	plen(&ch, hs, 3);
	plen(&ch, rec, 2);

	/* ServerHello NULL_SHA256, Certificate(evil), ServerHelloDone */
	p8(&sh, 22); p16(&sh, 0x0303); rec = sh.n; p16(&sh, 0);
	p8(&sh, 2); hs = sh.n; p24(&sh, 0);
	p16(&sh, 0x0303);
	for (i = 0; i < 32; i++)
		p8(&sh, (unsigned)(100 + i));
	p8(&sh, 0); p16(&sh, 0x003B); p8(&sh, 0);
	plen(&sh, hs, 3);
	p8(&sh, 11); hs = sh.n; p24(&sh, 0);
	certs = sh.n; p24(&sh, 0);
	p24(&sh, sizeof evil_der - 1);
	pbytes(&sh, evil_der, sizeof evil_der - 1);	/* not the NUL */
	plen(&sh, certs, 3);
	plen(&sh, hs, 3);
	p8(&sh, 14); p24(&sh, 0);
	plen(&sh, rec, 2);

	/* the client gives up: fatal unknown_ca */
	p8(&al, 21); p16(&al, 0x0303); p16(&al, 2); p8(&al, 2); p8(&al, 48);

	/* no --host: the NULL offer identifies it (with --host, its SNI
	   would name another server and make it background) */
	o.host = NULL;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_feed_begin(a, "evil-feed"), 0);
	feed_tcp(a, 1, 1000, 0, F_SYN, NULL, 0);
	feed_tcp(a, 0, 5000, 1001, F_SYN | F_ACK, NULL, 1);
	feed_tcp(a, 1, 1001, 5001, F_ACK, NULL, 2);
	feed_tcp(a, 1, 1001, 5001, F_PSH | F_ACK, &ch, 3);
	feed_tcp(a, 0, 5001, 1001 + (uint32_t)ch.n, F_PSH | F_ACK, &sh, 4);
	feed_tcp(a, 1, 1001 + (uint32_t)ch.n, 5001 + (uint32_t)sh.n,
	    F_PSH | F_ACK, &al, 5);
	feed_tcp(a, 1, 1001 + (uint32_t)(ch.n + al.n), 0, F_RST, NULL, 6);
	ck_assert_int_eq(dt_feed_end(a), 0);

	memset(&run, 0, sizeof run);
	run.host = a->host;
	run.ports = a->ports;
	run.caps = a->caps;
	run.n_caps = a->n_caps;
	out = render_run(&run, 0);
	dt_analyzer_free(a);
	return out;
}

START_TEST(hostile_capture_escaped)
{
	char *out = render_evil_capture();
	const char *svg;

	assert_self_contained(out);
	ck_hasnt(out, "<script>");
	ck_hasnt(out, "</script>");
	ck_hasnt(out, "\"'");
	ck_hasnt(out, "Evil\"Corp");
	/* the parsers saw the names: they are in the report, escaped */
	svg = strstr(out, "<svg");
	ck_assert_ptr_nonnull(svg);
	ck_has(svg, ">ClientHello TLS 1.2</text>");
	ck_has(svg, "SNI " EVIL_ESC " \xc2\xb7 NULL offered");
	ck_has(svg, ">Certificate</text>");
	ck_has(svg, ">Alert fatal unknown_ca (48)</text>");
	/* GnuTLS writes the DN per RFC 4514, a backslash before <, >, " */
	ck_has(out, "<h3>\\&lt;script\\&gt;alert(1)\\&lt;/script\\&gt;"
	    "\\&quot;&#39;</h3>");
	ck_has(out, "<dd>O=Evil\\&quot;Corp,CN=\\&lt;script\\&gt;");
	ck_has(out, "<span class=\"status info\">valid</span>");
	ck_has(out, "(<span class=\"mono\">" EVIL_ESC "</span>)");
	free(out);
}
END_TEST

static Suite *
html_suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("html");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hostile_strings_escaped);
	tcase_add_test(tc, hostile_ladder_marks);
	tcase_add_test(tc, empty_run);
	tcase_add_test(tc, write_error);
	tcase_add_test(tc, null_absent_ladder);
	tcase_add_test(tc, ranked_and_cards);
	tcase_add_test(tc, client_cert_missing_marks);
	tcase_add_test(tc, expired_card);
	tcase_add_test(tc, healthy_table_and_verbose);
	tcase_add_test(tc, several_captures);
	tcase_add_test(tc, hostile_capture_escaped);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(html_suite)
