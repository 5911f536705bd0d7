/*
 * Rules: facts built by hand (no bytes), one case per verdict id with its
 * near misses. Each case checks the id, severity, confidence, Windows code
 * and evidence frames exactly, and that nothing else fired. Frame numbers
 * follow the usual ladder: 1 SYN, 2 SYN-ACK, 3 ACK, 4 ClientHello,
 * 5 ServerHello, 6 Certificate, 7 CertificateRequest, 8 ServerHelloDone,
 * 9 client Certificate, 10 client CCS/Finished, 11 server CCS/Finished.
 */
#include <stdarg.h>

#include "testutil.h"

#include "datrace.h"
#include "facts/facts.h"
#include "rules/rules.h"
#include "tls/tls.h"
#include "x509/x509.h"

#define S 1000000000LL		/* ns */
#define T0 (1700000000LL * S)	/* 2023-11-14 */
#define HOST "da.corp.example"
#define NULL_SHA256 0x003B
#define NULL_SHA 0x0002
#define AES128_GCM 0x009C

/* ---- building facts ----------------------------------------------------- */

struct fx {
	struct dt_mem mem;
	struct dt_capture *cap;
	struct dt_x509_ctx *x509;
	struct dt_rules_config cfg;
	uint16_t ports[4];
};

static struct fx *
fx_new(void)
{
	struct fx *f = calloc(1, sizeof *f);

	ck_assert_ptr_nonnull(f);
	dt_mem_init(&f->mem, NULL, NULL, 0);
	f->cap = dt_calloc(&f->mem, 1, sizeof *f->cap);
	ck_assert_ptr_nonnull(f->cap);
	f->cap->mem = &f->mem;
	f->cap->first_time = T0;
	f->cap->last_time = T0 + 30 * S;
	f->ports[0] = 443;
	f->cfg.ports = f->ports;
	return f;
}

static void
fx_free(struct fx *f)
{
	dt_capture_free(f->cap);
	if (f->x509 != NULL)
		dt_x509_ctx_free(f->x509);
	ck_assert_uint_eq(f->mem.used, 0);	/* nothing leaked */
	free(f);
}

static void
fx_expect(struct fx *f, const char *sha256)
{
	char err[256];

	ck_assert_int_eq(dt_x509_ctx_new(&f->x509, &f->mem, NULL, NULL, 0,
	    sha256, err, sizeof err), 0);
	f->cfg.x509 = f->x509;
}

static char *
sdup(struct fx *f, const char *s)
{
	char *d = dt_strdup(&f->mem, s);

	ck_assert_ptr_nonnull(d);
	return d;
}

static void
ev(struct fx *f, struct dt_conn *c, int type, int dir, uint64_t frame,
    uint16_t a)
{
	ck_assert_int_eq(dt_conn_add_event(&f->mem, c, (uint8_t)type,
	    (uint8_t)dir, frame, T0 + (int64_t)frame * S / 10, a, 0), 0);
}

/* A connection client 10.0.0.<id> -> server 198.19.0.<srv>:port whose TCP
   handshake took frames base+1 and base+2 (base = 100 * (id - 1)). */
static struct dt_conn *
conn_add(struct fx *f, int srv, uint16_t port)
{
	struct dt_conn *c = dt_calloc(&f->mem, 1, sizeof *c);
	uint32_t id = (uint32_t)f->cap->n_conns + 1;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(dt_conn_tls_make(&f->mem, c));
	c->id = id;
	c->client.family = c->server.family = 4;
	c->client.a[0] = 10, c->client.a[3] = (uint8_t)id;
	c->server.a[0] = 198, c->server.a[1] = 19, c->server.a[3] = (uint8_t)srv;
	c->client_port = (uint16_t)(50000 + id);
	c->server_port = port;
	c->roles_from_syn = 1;
	ck_assert_int_eq(dt_conn_text_make(f->cap, c), 0);
	c->first_time = c->last_time = T0;
	if (f->cap->conns_tail != NULL)
		f->cap->conns_tail->next = c;
	else
		f->cap->conns = c;
	f->cap->conns_tail = c;
	f->cap->n_conns++;
	return c;
}

static uint64_t
base(const struct dt_conn *c)
{
	return 100 * (uint64_t)(c->id - 1);
}

/* TCP up: SYN, SYN-ACK with the given TTLs. */
static struct dt_conn *
tcp_up(struct fx *f, int srv)
{
	struct dt_conn *c = conn_add(f, srv, 443);

	c->syn_frame = base(c) + 1;
	c->synack_frame = base(c) + 2;
	c->syn_count = 1;
	c->state = DT_TCP_ESTABLISHED;
	c->ttl_syn = 128;
	c->ttl_synack = c->ttl_server_data = 57;
	c->first_frame = base(c) + 1;
	c->last_frame = base(c) + 3;
	ev(f, c, DT_EV_SYN, DT_C2S, base(c) + 1, 0);
	ev(f, c, DT_EV_SYNACK, DT_S2C, base(c) + 2, 0);
	return c;
}

static void
hs_ev(struct fx *f, struct dt_conn *c, int dir, uint64_t frame, int type)
{
	ev(f, c, DT_EV_TLS_HANDSHAKE, dir, frame, (uint16_t)type);
	if (frame > c->last_frame)
		c->last_frame = frame;
	c->last_time = T0 + (int64_t)frame * S / 10;
}

static void
client_hello(struct fx *f, struct dt_conn *c, const char *sni, int n, ...)
{
	struct dt_tls_facts *t = c->tls;
	struct dt_tls_hello *h = dt_tls_hello_make(&f->mem, t);
	va_list ap;
	int i, nnull = 0;

	t->seen = 1;
	t->ch_frame = base(c) + 4;
	t->ch_time = T0 + (int64_t)t->ch_frame * S / 10;
	h->ch_legacy_version = 0x0303;
	h->client_versions = dt_malloc(&f->mem, sizeof *h->client_versions);
	h->client_versions[0] = 0x0303;
	h->n_client_versions = 1;
	h->offered_suites = dt_calloc(&f->mem, (size_t)n, sizeof(uint16_t));
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		h->offered_suites[i] = (uint16_t)va_arg(ap, int);
		nnull += dt_tls_suite_is_null(h->offered_suites[i]);
	}
	va_end(ap);
	h->n_offered_suites = (size_t)n;
	h->offered_null = nnull > 0;
	h->offered_only_null = nnull == n;
	if (sni != NULL)
		t->sni = sdup(f, sni);
	hs_ev(f, c, DT_C2S, t->ch_frame, 1);
}

static void
server_hello(struct fx *f, struct dt_conn *c, uint16_t version,
    uint16_t suite)
{
	c->tls->sh_frame = base(c) + 5;
	c->tls->version = version;
	c->tls->suite = suite;
	hs_ev(f, c, DT_S2C, c->tls->sh_frame, 2);
}

static struct dt_cert *
server_cert(struct fx *f, struct dt_conn *c, const char *subject,
    const char *issuer, const char *dns, const char *sha)
{
	struct dt_tls_facts *t = c->tls;
	struct dt_cert *x;

	t->server_certs = dt_realloc(&f->mem, t->server_certs,
	    (t->n_server_certs + 1) * sizeof *t->server_certs);
	ck_assert_ptr_nonnull(t->server_certs);
	x = &t->server_certs[t->n_server_certs++];
	memset(x, 0, sizeof *x);
	x->subject = sdup(f, subject);
	x->issuer = sdup(f, issuer);
	if (dns != NULL) {
		x->dns_names = dt_malloc(&f->mem, sizeof *x->dns_names);
		x->dns_names[0] = sdup(f, dns);
		x->n_dns_names = 1;
	}
	x->not_before = T0 / S - 86400 * 30;
	x->not_after = T0 / S + 86400 * 300;
	snprintf(x->sha256, sizeof x->sha256, "%064x", 0);
	memcpy(x->sha256, sha, strlen(sha) < 64 ? strlen(sha) : 64);
	x->self_signed = strcmp(subject, issuer) == 0;
	if (t->server_cert_frame == 0) {
		t->server_cert_frame = base(c) + 6;
		hs_ev(f, c, DT_S2C, t->server_cert_frame, 11);
	}
	return x;
}

static void
hello_done(struct fx *f, struct dt_conn *c)
{
	c->tls->server_hello_done_frame = base(c) + 8;
	hs_ev(f, c, DT_S2C, c->tls->server_hello_done_frame, 14);
}

static void
cert_request(struct fx *f, struct dt_conn *c, const char *ca)
{
	dt_tls_rare_make(&f->mem, c->tls)->cert_request_frame = base(c) + 7;
	if (ca != NULL) {
		dt_tls_rare_make(&f->mem, c->tls)->ca_names = dt_malloc(&f->mem, sizeof(char *));
		dt_tls_rare_make(&f->mem, c->tls)->ca_names[0] = sdup(f, ca);
		dt_tls_rare_make(&f->mem, c->tls)->n_ca_names = 1;
	}
	hs_ev(f, c, DT_S2C, dt_tls_rare(c->tls)->cert_request_frame, 13);
}

static void
client_cert(struct fx *f, struct dt_conn *c, const char *subject,
    const char *issuer)
{
	struct dt_tls_facts *t = c->tls;

	dt_tls_rare_make(&f->mem, t)->client_cert_frame = base(c) + 9;
	if (subject == NULL) {
		t->client_cert = DT_CCERT_EMPTY;
	} else {
		t->client_cert = DT_CCERT_PRESENT;
		dt_tls_rare_make(&f->mem, t)->client_certs = dt_calloc(&f->mem, 1, sizeof *dt_tls_rare(t)->client_certs);
		dt_tls_rare_make(&f->mem, t)->client_certs[0].subject = sdup(f, subject);
		dt_tls_rare_make(&f->mem, t)->client_certs[0].issuer = sdup(f, issuer);
		dt_tls_rare_make(&f->mem, t)->n_client_certs = 1;
	}
	hs_ev(f, c, DT_C2S, dt_tls_rare(t)->client_cert_frame, 11);
}

static void
finish(struct fx *f, struct dt_conn *c)
{
	struct dt_tls_facts *t = c->tls;

	t->ccs_frame[DT_C2S] = t->finished_frame[DT_C2S] = base(c) + 10;
	t->ccs_frame[DT_S2C] = t->finished_frame[DT_S2C] = base(c) + 11;
	t->appdata_frame[DT_C2S] = base(c) + 12;
	t->appdata_frame[DT_S2C] = base(c) + 13;
	c->last_frame = base(c) + 13;
}

static void
alert(struct fx *f, struct dt_conn *c, int dir, uint64_t frame, int desc)
{
	struct dt_tls_facts *t = c->tls;

	t->alert_frame = frame;
	t->alert_dir = (uint8_t)dir;
	t->alert_level = 2;
	t->alert_desc = (uint8_t)desc;
	t->n_alerts++;
	ev(f, c, DT_EV_TLS_ALERT, dir, frame, (uint16_t)(2 << 8 | desc));
	c->last_frame = frame;
}

static void
close_by(struct fx *f, struct dt_conn *c, int dir, uint64_t frame, int rst)
{
	if (rst) {
		c->rst_frame = frame;
		c->rst_dir = (uint8_t)dir;
		c->state = DT_TCP_RESET;
		ev(f, c, DT_EV_RST, dir, frame, 0);
	} else {
		c->fin_frame[dir] = frame;
		c->state = DT_TCP_CLOSED;
		ev(f, c, DT_EV_FIN, dir, frame, 0);
	}
	c->last_frame = frame;
	c->last_time = T0 + (int64_t)frame * S / 10;
}

/* The usual IP-HTTPS client: NULL-only ClientHello with SNI = HOST. */
static struct dt_conn *
iphttps_hello(struct fx *f)
{
	struct dt_conn *c = tcp_up(f, 10);

	client_hello(f, c, HOST, 2, NULL_SHA256, NULL_SHA);
	return c;
}

static struct dt_dns *
dns_add(struct fx *f, const char *name, uint16_t qtype, int rcode,
    uint64_t q, uint64_t a, int naddr)
{
	struct dt_dns *d = dt_capture_dns_slot(f->cap);

	ck_assert_ptr_nonnull(d);
	f->cap->n_dns++;
	d->name = dt_capture_intern(f->cap, name);
	d->qtype = qtype;
	d->rcode = rcode;
	dt_frame48_set(&d->query_frame, q);
	dt_frame48_set(&d->answer_frame, a);
	if (naddr > 0) {
		struct dt_addr ad = { 4, { 198, 19, 0, (uint8_t)naddr } };

		d->addr_bytes = dt_capture_keep_bytes(f->cap,
		    DT_KEEP_DNS_ADDRS, dt_dns_addr_size(4));
		ck_assert_ptr_nonnull(d->addr_bytes);
		dt_dns_addr_pack(d->addr_bytes, &ad);
		d->n_addrs = 1;
	}
	return d;
}

/* --host, and a DNS answer for it giving server 198.19.0.<srv>: ties the
   attempts that carry no name (TCP failures) to the IP-HTTPS name. */
static void
tied(struct fx *f, int srv)
{
	f->cfg.host = HOST;
	dns_add(f, HOST, 1, 0, 900, 901, srv);
}

static struct dt_http *
http_add(struct fx *f, uint32_t conn, const char *method, const char *uri,
    const char *host, uint64_t req, uint64_t resp, int status,
    const char *line)
{
	struct dt_http *h = dt_calloc(&f->mem, 1, sizeof *h);

	ck_assert_ptr_nonnull(h);
	h->conn = conn;
	h->method = sdup(f, method);
	h->uri = sdup(f, uri);
	h->host = host != NULL ? sdup(f, host) : NULL;
	h->request_frame = req;
	h->response_frame = resp;
	h->status = status;
	h->status_line = line != NULL ? sdup(f, line) : NULL;
	if (f->cap->http_tail != NULL)
		f->cap->http_tail->next = h;
	else
		f->cap->http = h;
	f->cap->http_tail = h;
	return h;
}

/* ---- judging and checking ----------------------------------------------- */

static void
run(struct fx *f)
{
	const struct dt_verdict *v;
	size_t i;

	ck_assert_int_eq(dt_rules_run(&f->cfg, f->cap), 0);
	if (getenv("RULES_DUMP") == NULL)	/* to read the wording */
		return;
	for (v = f->cap->verdicts; v != NULL; v = v->next) {
		printf("%s conn %u sev %d conf %d 0x%x frames", v->id, v->conn,
		    v->severity, v->confidence, v->win_code);
		for (i = 0; i < v->n_frames; i++)
			printf(" %llu", (unsigned long long)v->frames[i]);
		printf("\n  S: %s\n  E: %s\n  R: %s\n", v->summary,
		    v->explanation, v->remedy);
	}
}

static const struct dt_verdict *
find(const struct fx *f, const char *id, uint32_t conn)
{
	const struct dt_verdict *v;

	for (v = f->cap->verdicts; v != NULL; v = v->next)
		if (strcmp(v->id, id) == 0 && v->conn == conn)
			return v;
	return NULL;
}

static size_t
count(const struct fx *f, const char *id)
{
	const struct dt_verdict *v;
	size_t n = 0;

	for (v = f->cap->verdicts; v != NULL; v = v->next)
		if (id == NULL || strcmp(v->id, id) == 0)
			n++;
	return n;
}

/* The verdict exists with exactly these properties; frames 0-ended. */
static const struct dt_verdict *
expect_v(const struct fx *f, const char *id, uint32_t conn, dt_severity sev,
    dt_confidence conf, uint32_t code, const char *code_name,
    const uint64_t *frames)
{
	const struct dt_verdict *v = find(f, id, conn);
	size_t n;

	ck_assert_msg(v != NULL, "no %s verdict for connection %u", id, conn);
	ck_assert_int_eq(v->severity, sev);
	ck_assert_int_eq(v->confidence, conf);
	ck_assert_uint_eq(v->win_code, code);
	if (code_name != NULL)
		ck_assert_str_eq(v->win_name, code_name);
	else
		ck_assert_ptr_null(v->win_name);
	for (n = 0; frames[n] != 0; n++) {
		ck_assert_uint_lt(n, v->n_frames);
		ck_assert_uint_eq(v->frames[n], frames[n]);
	}
	ck_assert_uint_eq(v->n_frames, n);
	ck_assert(v->summary[0] != '\0');
	ck_assert(v->explanation[0] != '\0');
	ck_assert(v->remedy[0] != '\0');
	return v;
}

#define FR(...) ((const uint64_t[]){ __VA_ARGS__, 0 })
#define NOFR ((const uint64_t[]){ 0 })

/* ---- the rule table ----------------------------------------------------- */

static const char *const spec_ids[] = {
	"handshake-ok", "null-cipher-negotiated",
	"encrypted-cipher-negotiated", "null-cipher-absent",
	"no-common-cipher", "tls-version-mismatch", "client-cert-missing",
	"client-cert-rejected", "server-cert-untrusted", "server-cert-expired",
	"server-name-mismatch", "ssl-inspection", "wrong-server",
	"iphttps-http-refused", "no-router-advertisement",
	"ipsec-no-response", "ipsec-negotiation-failed", "ipsec-one-way",
	"tunnel-ok",
	"tcp-no-answer", "tcp-refused", "host-not-seen", "dns-not-found",
	"proxy-refused", "crl-unreachable", "packet-dropped",
	"tls-protocol-violation",
	"handshake-incomplete", "capture-truncated", "no-iphttps-traffic",
	"windows-reported-error", "analysis-partial",
};

/*
 * While the rules run a summary is kept as its sentence and numbers
 * (rules/packed.c) and written out as text at the end of the pass: the
 * same bytes either way. Digit runs with a leading zero or of ten digits
 * stay words; an empty summary, one holding the number mark (0x01), one
 * longer than DT_RULE_PACK_MAX and those past the sentence bound are text
 * at once. Nothing is left of the packed forms (no leak).
 */
START_TEST(summaries_packed_then_text)
{
	static const char *const fixed[] = {
		"TLS 1.2 handshake with 198.19.0.10:443 completed with "
		    "TLS_RSA_WITH_NULL_SHA256 (0x003B) (ClientHello frame 29, "
		    "ServerHello frame 35, server's Finished frame 39)",
		"TLS 1.2 handshake with 10.0.0.1:8443 completed with "
		    "TLS_RSA_WITH_NULL_SHA256 (0x003B) (ClientHello frame "
		    "4294967296, ServerHello frame 999999999, server's Finished "
		    "frame 1000000000)",
		"007 0 00 0.5 x9 9x 123456789",
		"",
		"mark \x01 in 3 words",
		"1",
	};
	struct fx *f = fx_new();
	struct dt_rule_ctx ctx;
	struct dt_verdict *v;
	char want[5000][64], buf[DT_RULE_PACK_MAX], *big;
	const char *got;
	size_t i, n = 0, k;

	memset(&ctx, 0, sizeof ctx);
	ctx.cfg = &f->cfg;
	ctx.cap = f->cap;
	big = malloc(3000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 2999);
	big[2999] = '\0';
	big[10] = '7';
	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		ck_assert_ptr_nonnull(dt_verdict_add(&ctx, &dt_rule_handshake_ok,
		    NULL, DT_CONF_HIGH, 0, NULL, NULL, 0, fixed[i], "e", "r"));
	ck_assert_ptr_nonnull(dt_verdict_add(&ctx, &dt_rule_handshake_ok, NULL,
	    DT_CONF_HIGH, 0, NULL, NULL, 0, big, "e", "r"));
	/* 5,000 sentences (letters from i), each with its numbers */
	for (i = 0; i < 5000; i++) {
		snprintf(want[i], sizeof want[i], "%c%c%c frame %zu of %zu",
		    (int)('a' + i % 26), (int)('a' + i / 26 % 26),
		    (int)('a' + i / 676), i, 5000 - i);
		ck_assert_ptr_nonnull(dt_verdict_add(&ctx, &dt_rule_handshake_ok,
		    NULL, DT_CONF_HIGH, 0, NULL, NULL, 0, want[i], "e", "r"));
	}
	for (v = f->cap->verdicts, k = 0; v != NULL; v = v->next, k++) {
		const char *text = k < 6 ? fixed[k] : k == 6 ? big :
		    want[k - 7];

		got = dt_rule_summary(&ctx, v, buf);
		ck_assert_str_eq(got, text);
		n += v->packed;
		if (k == 3 || k == 4 || k == 6)
			ck_assert(!v->packed);
	}
	ck_assert_uint_eq(k, 5007);
	ck_assert_uint_ge(n, 4000);		/* most, not past the bound */
	ck_assert_uint_lt(n, 5000);
	dt_rule_summaries_unpack(&ctx);
	ck_assert_ptr_null(ctx.packing);
	for (v = f->cap->verdicts, k = 0; v != NULL; v = v->next, k++) {
		ck_assert(!v->packed);
		ck_assert_str_eq(v->summary, k < 6 ? fixed[k] : k == 6 ? big :
		    want[k - 7]);
	}
	free(big);
	fx_free(f);
}
END_TEST

START_TEST(table_lists_every_spec_id)
{
	const char *id, *summary;
	dt_severity sev;
	size_t i, n = sizeof spec_ids / sizeof spec_ids[0];

	ck_assert_uint_eq(dt_rules_count, n);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(dt_rule_at(i, &id, &sev, &summary), DT_OK);
		ck_assert_str_eq(id, spec_ids[i]);
		ck_assert(summary != NULL && summary[0] != '\0');
		ck_assert_int_eq(dt_rules[i]->check_conn == NULL,
		    dt_rules[i]->check_capture != NULL);
	}
	ck_assert_int_eq(dt_rule_at(n, &id, &sev, &summary), DT_ITEROVER);
	ck_assert_int_eq(dt_rule_at(0, NULL, NULL, NULL), DT_OK);
	dt_rule_at(3, &id, &sev, NULL);
	ck_assert_int_eq(sev, DT_SEV_ERROR);
	dt_rule_at(2, &id, &sev, NULL);
	ck_assert_int_eq(sev, DT_SEV_WARNING);
	dt_rule_at(n - 3, &id, &sev, NULL);	/* no-iphttps-traffic */
	ck_assert_int_eq(sev, DT_SEV_INFO);
	dt_rule_at(n - 2, &id, &sev, NULL);	/* windows-reported-error */
	ck_assert_int_eq(sev, DT_SEV_ERROR);
	dt_rule_at(n - 1, &id, &sev, NULL);	/* analysis-partial */
	ck_assert_int_eq(sev, DT_SEV_WARNING);
	dt_rule_at(21, &id, &sev, NULL);	/* host-not-seen */
	ck_assert_int_eq(sev, DT_SEV_WARNING);
}
END_TEST

/* ---- handshake outcomes ------------------------------------------------- */

START_TEST(null_handshake_ok)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	hello_done(f, c);
	finish(f, c);
	run(f);
	ck_assert_int_eq(c->iphttps, 1);
	expect_v(f, "handshake-ok", 1, DT_SEV_INFO, DT_CONF_HIGH, 0, NULL,
	    FR(4, 5, 10, 11));
	expect_v(f, "null-cipher-negotiated", 1, DT_SEV_INFO, DT_CONF_HIGH, 0,
	    NULL, FR(4, 5));
	ck_assert_uint_eq(count(f, NULL), 2);
	ck_assert_ptr_nonnull(strstr(find(f, "null-cipher-negotiated", 1)->
	    summary, "TLS_RSA_WITH_NULL_SHA256 (0x003B)"));
	/* no CertificateRequest: nothing said about client authentication,
	   and a completed handshake is not said to accept the certificate */
	v = find(f, "handshake-ok", 1);
	ck_assert_ptr_null(strstr(v->explanation, "client authentication"));
	ck_assert_ptr_null(strstr(v->explanation, "certificates, cipher "
	    "suites and client authentication were accepted"));
	ck_assert_ptr_nonnull(strstr(v->explanation, "may still drop the "
	    "session over it"));
	fx_free(f);
}
END_TEST

/* A fatal alert in the clear after the handshake is said, its frame is
   evidence, and its fix follows what it means: a changed record
   (bad_record_mac) or foreign bytes (unexpected_message) point at the
   path; an alert that answers the peer's FIN without close_notify does
   not, nor does one that says nothing of the path; an encrypted alert
   says nothing. */
START_TEST(null_handshake_ok_late_alert)
{
	static const struct {
		uint8_t desc, encrypted;
		uint64_t fin;		/* the server's FIN, base + */
		const char *said, *fix;
	} cases[] = {
		{ 20, 0, 0, "fatal bad_record_mac (20) alert from the client "
		    "(frame 13): a record failed its integrity check",
		    "exempt the IP-HTTPS server from TLS inspection" },
		{ 10, 0, 0, "fatal unexpected_message (10) alert from the "
		    "client (frame 13): the side received bytes that were not "
		    "the TLS it expected", "exempt the IP-HTTPS server" },
		{ 50, 0, 12, "the server had closed its side of the TCP "
		    "connection (frame 12) without a close_notify alert, and "
		    "the alert answers that cut (OpenSSL 3 answers it with "
		    "decode_error): the server ended the session, not the "
		    "path.", "check the IP-HTTPS HTTP reply" },
		{ 80, 0, 0, "fatal internal_error (80) alert from the client "
		    "(frame 13): the alert names the reason the side gave up "
		    "the session.", "check the IP-HTTPS HTTP reply" },
		{ 20, 1, 0, NULL, "check the IP-HTTPS HTTP reply" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fx *f = fx_new();
		struct dt_conn *c = iphttps_hello(f);
		const struct dt_verdict *v;

		server_hello(f, c, 0x0303, NULL_SHA256);
		server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
		hello_done(f, c);
		finish(f, c);
		c->tls->alert_frame = base(c) + 13;
		c->tls->alert_dir = DT_C2S;
		c->tls->alert_level = cases[i].encrypted ? 0 : 2;
		c->tls->alert_desc = cases[i].encrypted ? 0 : cases[i].desc;
		c->tls->alert_encrypted = cases[i].encrypted;
		c->tls->n_alerts = 1;
		if (cases[i].fin != 0)
			c->fin_frame[DT_S2C] = base(c) + cases[i].fin;
		run(f);
		if (cases[i].said != NULL) {
			v = expect_v(f, "handshake-ok", 1, DT_SEV_INFO,
			    DT_CONF_HIGH, 0, NULL, FR(4, 5, 10, 11, 13));
			ck_assert_msg(strstr(v->explanation, cases[i].said) !=
			    NULL, "case %zu: %s", i, v->explanation);
		} else {
			v = expect_v(f, "handshake-ok", 1, DT_SEV_INFO,
			    DT_CONF_HIGH, 0, NULL, FR(4, 5, 10, 11));
			ck_assert_ptr_null(strstr(v->explanation, "The session "
			    "then ended"));
		}
		ck_assert_msg(strstr(v->remedy, cases[i].fix) != NULL,
		    "case %zu: %s", i, v->remedy);
		fx_free(f);
	}
}
END_TEST

START_TEST(null_offered_aes_chosen)
{
	struct fx *f = fx_new();
	struct dt_conn *c = tcp_up(f, 10);
	const struct dt_verdict *v;

	client_hello(f, c, HOST, 3, NULL_SHA256, NULL_SHA, AES128_GCM);
	server_hello(f, c, 0x0303, AES128_GCM);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	hello_done(f, c);
	finish(f, c);
	run(f);
	v = expect_v(f, "encrypted-cipher-negotiated", 1, DT_SEV_WARNING,
	    DT_CONF_HIGH, 0, NULL, FR(4, 5));
	ck_assert_ptr_nonnull(find(f, "handshake-ok", 1));
	ck_assert_uint_eq(count(f, "null-cipher-absent"), 0);
	ck_assert_uint_eq(count(f, "null-cipher-negotiated"), 0);
	ck_assert_uint_eq(count(f, NULL), 2);
	/* the suite choice does not show the tunnel works, nor which of
	   the known causes made it */
	ck_assert_ptr_null(strstr(v->explanation, "the tunnel works"));
	ck_assert_ptr_nonnull(strstr(v->explanation, "The capture does not "
	    "show why"));
	fx_free(f);
}
END_TEST

/* Refusals before ServerHello, table-driven. */
static const struct refusal {
	int only_null, aes, alert;	/* alert -1: none */
	int rst, fin, ttl;		/* how it closed, alert TTL */
	const char *id;
	dt_confidence conf;
	uint32_t code;
	uint64_t frames[4];
} refusals[] = {
	{ 1, 0, 40, 0, 7, 57, "null-cipher-absent", DT_CONF_HIGH, 0x80090326,
	  { 4, 6 } },
	{ 1, 0, 71, 0, 0, 57, "null-cipher-absent", DT_CONF_HIGH, 0x80090326,
	  { 4, 6 } },
	/* the alert came with another TTL: a middlebox may have answered */
	{ 1, 0, 40, 0, 7, 250, "null-cipher-absent", DT_CONF_MEDIUM,
	  0x80090326, { 2, 4, 6 } },
	/* mixed offer, reset without alert */
	{ 0, 1, -1, 6, 0, 57, "null-cipher-absent", DT_CONF_MEDIUM, 0x80090326,
	  { 4, 6 } },
	{ 0, 1, -1, 6, 0, 250, "null-cipher-absent", DT_CONF_LOW, 0x80090326,
	  { 2, 4, 6 } },
	/* only-null, FIN without alert: no reason given, medium */
	{ 1, 0, -1, 0, 6, 57, "null-cipher-absent", DT_CONF_MEDIUM, 0x80090326,
	  { 4, 6 } },
	/* only-null, an alert that names another reason */
	{ 1, 0, 112, 0, 7, 57, "null-cipher-absent", DT_CONF_MEDIUM,
	  0x80090326, { 4, 6 } },
	{ 0, 2, 40, 0, 7, 57, "no-common-cipher", DT_CONF_HIGH, 0x80090331,
	  { 4, 6 } },
	{ 0, 2, -1, 0, 6, 57, "no-common-cipher", DT_CONF_MEDIUM, 0x80090331,
	  { 4, 6 } },
	{ 1, 0, 70, 0, 7, 57, "tls-version-mismatch", DT_CONF_HIGH, 0x80090326,
	  { 4, 6 } },
	{ 0, 2, 70, 0, 7, 57, "tls-version-mismatch", DT_CONF_HIGH, 0x80090326,
	  { 4, 6 } },
};

START_TEST(refused_before_server_hello)
{
	const struct refusal *r = &refusals[_i];
	struct fx *f = fx_new();
	struct dt_conn *c = tcp_up(f, 10);
	const struct dt_verdict *v;
	size_t n;

	if (r->only_null)
		client_hello(f, c, HOST, 2, NULL_SHA256, NULL_SHA);
	else if (r->aes == 1)
		client_hello(f, c, HOST, 2, NULL_SHA256, AES128_GCM);
	else
		client_hello(f, c, HOST, 2, AES128_GCM, 0xC02F);
	c->ttl_server_data = (uint8_t)r->ttl;
	if (r->alert >= 0)
		alert(f, c, DT_S2C, 6, r->alert);
	if (r->rst)
		close_by(f, c, DT_S2C, (uint64_t)r->rst, 1);
	if (r->fin)
		close_by(f, c, DT_S2C, (uint64_t)r->fin, 0);
	f->cfg.host = HOST;
	run(f);
	for (n = 0; r->frames[n] != 0; n++)
		;
	v = expect_v(f, r->id, 1, DT_SEV_ERROR, r->conf, r->code,
	    r->code == 0x80090331 ? "SEC_E_ALGORITHM_MISMATCH" :
	    "SEC_E_ILLEGAL_MESSAGE", r->frames);
	ck_assert_uint_eq(count(f, NULL), 1);	/* nothing else fired */
	if (strcmp(r->id, "null-cipher-absent") == 0) {
		ck_assert_ptr_nonnull(strstr(v->remedy, "TLS_RSA_WITH_NULL_SHA"));
		ck_assert_ptr_nonnull(strstr(v->summary, "frame 4"));
		ck_assert_ptr_nonnull(strstr(v->summary, "frame 6"));
		if (r->only_null)
			ck_assert_ptr_nonnull(strstr(v->summary,
			    "offering only NULL suites"));
		if (r->alert == 40)
			ck_assert_ptr_nonnull(strstr(v->summary,
			    "handshake_failure (40)"));
	}
	if (strcmp(r->id, "tls-version-mismatch") != 0) {
		/* only handshake_failure / insufficient_security say "no
		   suite in common"; otherwise the text says what else */
		if (r->alert == 40 || r->alert == 71)
			ck_assert_ptr_null(strstr(v->explanation, "likely"));
		else if (r->alert >= 0)
			ck_assert_ptr_nonnull(strstr(v->explanation, "though its "
			    "alert names another one"));
		else
			ck_assert_ptr_nonnull(strstr(v->explanation, "though it "
			    "closed without an alert"));
	}
	if (strcmp(r->id, "tls-version-mismatch") == 0) {
		/* refused before any choice: the text says so and no more */
		ck_assert_ptr_nonnull(strstr(v->explanation, "The server "
		    "refused every version the client offered before choosing "
		    "anything"));
		ck_assert_ptr_null(strstr(v->explanation, "needs TLS 1.2"));
		/* NULL suites exist in TLS 1.0-1.2, not in 1.3 */
		if (r->only_null)
			ck_assert_ptr_nonnull(strstr(v->explanation, "exist in "
			    "TLS 1.0 to 1.2 (TLS_RSA_WITH_NULL_SHA256 in TLS 1.2 "
			    "only) and not in TLS 1.3"));
		else
			ck_assert_ptr_null(strstr(v->explanation, "NULL"));
		/* the client offered TLS 1.2: the server is to enable it */
		ck_assert_ptr_nonnull(strstr(v->remedy, "Enable TLS 1.2 on the "
		    "IP-HTTPS listener"));
	}
	fx_free(f);
}
END_TEST

START_TEST(server_picked_version_not_offered)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	/* a legacy 0x0303 ClientHello accepts TLS 1.0 too */
	server_hello(f, c, 0x0301, NULL_SHA);
	run(f);
	ck_assert_uint_eq(count(f, "tls-version-mismatch"), 0);
	dt_capture_free(f->cap);
	free(f);

	/* supported_versions lists exactly TLS 1.3 and 1.2 */
	f = fx_new();
	c = iphttps_hello(f);
	dt_tls_hello_make(&f->mem, c->tls)->extensions = dt_malloc(&f->mem, 2 * sizeof(uint16_t));
	dt_tls_hello_make(&f->mem, c->tls)->extensions[0] = 0;
	dt_tls_hello_make(&f->mem, c->tls)->extensions[1] = 43;
	dt_tls_hello_make(&f->mem, c->tls)->n_extensions = 2;
	dt_tls_hello_make(&f->mem, c->tls)->client_versions = dt_realloc(&f->mem, dt_tls_hello_make(&f->mem, c->tls)->client_versions,
	    2 * sizeof(uint16_t));
	dt_tls_hello_make(&f->mem, c->tls)->client_versions[0] = 0x0304;
	dt_tls_hello_make(&f->mem, c->tls)->client_versions[1] = 0x0303;
	dt_tls_hello_make(&f->mem, c->tls)->n_client_versions = 2;
	server_hello(f, c, 0x0301, NULL_SHA);
	alert(f, c, DT_C2S, 6, 47);
	run(f);
	v = expect_v(f, "tls-version-mismatch", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", FR(4, 5));
	ck_assert_uint_eq(count(f, "null-cipher-absent"), 0);
	/* a ServerHello was sent: nothing claims the handshake stopped
	   before any certificate */
	ck_assert_ptr_nonnull(strstr(v->explanation, "The server chose a "
	    "version the client did not offer"));
	ck_assert_ptr_null(strstr(v->explanation, "before any certificate"));
	fx_free(f);

	/* a client that offers only TLS 1.0 is the one to change */
	f = fx_new();
	c = iphttps_hello(f);
	dt_tls_hello_make(&f->mem, c->tls)->ch_legacy_version = dt_tls_hello_make(&f->mem, c->tls)->client_versions[0] = 0x0301;
	alert(f, c, DT_S2C, 6, 70);
	run(f);
	v = expect_v(f, "tls-version-mismatch", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", FR(4, 6));
	ck_assert_ptr_nonnull(strstr(v->remedy, "This client offered nothing "
	    "newer than TLS 1.0: enable TLS 1.2 on it"));
	ck_assert_ptr_nonnull(strstr(v->remedy, "enable TLS 1.0 on the "
	    "IP-HTTPS listener"));
	fx_free(f);
}
END_TEST

/* ---- client certificates ------------------------------------------------ */

static struct dt_conn *
preauth_conn(struct fx *f, const char *ca)
{
	struct dt_conn *c = iphttps_hello(f);

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	cert_request(f, c, ca);
	hello_done(f, c);
	return c;
}

START_TEST(client_cert_empty_then_alert)
{
	struct fx *f = fx_new();
	struct dt_conn *c = preauth_conn(f, "CN=Corp Root CA,O=Corp");
	const struct dt_verdict *v;

	client_cert(f, c, NULL, NULL);
	alert(f, c, DT_S2C, 12, 40);
	close_by(f, c, DT_S2C, 13, 0);
	run(f);
	v = expect_v(f, "client-cert-missing", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x90320, "SEC_I_INCOMPLETE_CREDENTIALS", FR(7, 9, 12));
	ck_assert_ptr_nonnull(strstr(v->summary, "CN=Corp Root CA,O=Corp"));
	ck_assert_ptr_nonnull(strstr(v->remedy, "CN=Corp Root CA,O=Corp"));
	ck_assert_uint_eq(count(f, "client-cert-rejected"), 0);
	ck_assert_uint_eq(count(f, "handshake-incomplete"), 0);
	ck_assert_uint_eq(count(f, "server-cert-untrusted"), 0);
	/* the server chose NULL: that info verdict stays */
	ck_assert_uint_eq(count(f, NULL), 2);
	ck_assert_ptr_nonnull(strstr(v->explanation, "had none that chains "
	    "to a CA the server named, so it sent an empty Certificate and the "
	    "server ended the handshake."));
	fx_free(f);

	/* no CA named, and the server closed without an alert: the text
	   says what is known and no more */
	f = fx_new();
	c = preauth_conn(f, NULL);
	client_cert(f, c, NULL, NULL);
	close_by(f, c, DT_S2C, 12, 0);
	run(f);
	v = expect_v(f, "client-cert-missing", 1, DT_SEV_ERROR, DT_CONF_MEDIUM,
	    0x90320, "SEC_I_INCOMPLETE_CREDENTIALS", FR(7, 9, 12));
	ck_assert_ptr_nonnull(strstr(v->explanation, "had no usable client "
	    "certificate at all (the request named no CA"));
	ck_assert_ptr_nonnull(strstr(v->explanation, "without saying why (no "
	    "alert)"));
	ck_assert_ptr_null(strstr(v->explanation, "a CA the server named"));
	fx_free(f);
}
END_TEST

START_TEST(client_cert_empty_accepted_is_info)
{
	struct fx *f = fx_new();
	struct dt_conn *c = preauth_conn(f, "CN=Corp Root CA");

	client_cert(f, c, NULL, NULL);
	finish(f, c);
	run(f);
	expect_v(f, "client-cert-missing", 1, DT_SEV_INFO, DT_CONF_HIGH, 0,
	    NULL, FR(7, 9));
	ck_assert_ptr_nonnull(find(f, "handshake-ok", 1));
	fx_free(f);
}
END_TEST

START_TEST(client_cert_good_no_verdict)
{
	struct fx *f = fx_new();
	struct dt_conn *c = preauth_conn(f, "CN=Corp Root CA");

	client_cert(f, c, "CN=pc1.corp.example", "CN=Corp Root CA");
	finish(f, c);
	run(f);
	ck_assert_uint_eq(count(f, "client-cert-missing"), 0);
	ck_assert_uint_eq(count(f, "client-cert-rejected"), 0);
	ck_assert_uint_eq(count(f, NULL), 2);	/* handshake-ok + null */
	fx_free(f);
}
END_TEST

START_TEST(client_cert_rejected_issuer_not_listed)
{
	struct fx *f = fx_new();
	struct dt_conn *c = preauth_conn(f, "CN=Corp Root CA,O=Corp");
	const struct dt_verdict *v;

	client_cert(f, c, "CN=pc1.corp.example", "CN=Other Issuing CA,O=Corp");
	c->tls->ccs_frame[DT_C2S] = c->tls->finished_frame[DT_C2S] = 10;
	alert(f, c, DT_S2C, 12, 48);
	run(f);
	v = expect_v(f, "client-cert-rejected", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", FR(7, 9, 12));
	ck_assert_ptr_nonnull(strstr(v->summary, "CN=Other Issuing CA,O=Corp"));
	ck_assert_ptr_nonnull(strstr(v->summary, "NOT in"));
	ck_assert_ptr_nonnull(strstr(v->remedy,
	    "dd the issuing CA of the client certificates, "
	    "CN=Other Issuing CA,O=Corp, to the trusted CA list"));
	ck_assert_uint_eq(count(f, "client-cert-missing"), 0);
	fx_free(f);
}
END_TEST

START_TEST(client_cert_rejected_issuer_listed)
{
	struct fx *f = fx_new();
	struct dt_conn *c = preauth_conn(f, "CN=Corp Root CA, O=Corp");
	const struct dt_verdict *v;

	client_cert(f, c, "CN=pc1", "cn=Corp Root CA,o=Corp");
	close_by(f, c, DT_S2C, 12, 1);
	run(f);
	v = expect_v(f, "client-cert-rejected", 1, DT_SEV_ERROR,
	    DT_CONF_MEDIUM, 0x80090326, "SEC_E_ILLEGAL_MESSAGE", FR(7, 9, 12));
	ck_assert_ptr_nonnull(strstr(v->summary, "is in the"));
	/* a reset without an alert: not told as a certain rejection, and
	   a CA the server named is not blamed */
	ck_assert_ptr_nonnull(strstr(v->summary, "The server answered the "
	    "client certificate"));
	ck_assert_ptr_nonnull(strstr(v->explanation, "a refused certificate "
	    "is the likely cause"));
	ck_assert_ptr_nonnull(strstr(v->explanation, "the certificate itself"));
	ck_assert_ptr_null(strstr(v->explanation, "does not trust the CA"));
	fx_free(f);
}
END_TEST

/* ---- server certificates ------------------------------------------------ */

START_TEST(untrusted_by_ca)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp Issuing CA", HOST, "aa");
	server_cert(f, c, "CN=Corp Issuing CA", "CN=Corp Root CA", NULL, "bb");
	hello_done(f, c);
	c->tls->chain = DT_CHAIN_UNTRUSTED;
	alert(f, c, DT_C2S, 9, 48);
	f->cfg.host = HOST;
	run(f);
	expect_v(f, "server-cert-untrusted", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x800b0109, "CERT_E_UNTRUSTEDROOT", FR(6, 9));
	ck_assert_ptr_nonnull(strstr(find(f, "server-cert-untrusted", 1)->
	    remedy, "CN=Corp Root CA"));
	ck_assert_uint_eq(count(f, "ssl-inspection"), 0);
	ck_assert_uint_eq(count(f, "server-name-mismatch"), 0);
	ck_assert_uint_eq(count(f, "handshake-incomplete"), 0);
	fx_free(f);
}
END_TEST

START_TEST(untrusted_by_client_alert)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp Issuing CA", HOST, "aa");
	hello_done(f, c);
	alert(f, c, DT_C2S, 9, 48);
	run(f);
	/* without --ca the chain itself was not checked: medium, and said */
	v = expect_v(f, "server-cert-untrusted", 1, DT_SEV_ERROR,
	    DT_CONF_MEDIUM, 0x800b0109, "CERT_E_UNTRUSTEDROOT", FR(6, 9));
	ck_assert_ptr_nonnull(strstr(v->summary, "; no --ca was given, so the "
	    "chain was not checked against the clients' root"));
	ck_assert_ptr_null(strstr(v->summary, "also stands for"));
	ck_assert_str_eq(v->remedy, "First check the chain against the "
	    "clients' root (datrace --ca ROOT.pem, or certutil -verify on a "
	    "client); if it does not verify, install the root CA CN=Corp "
	    "Issuing CA in the clients' Trusted Root Certification Authorities "
	    "store (GPO; for Offline Domain Join provision with djoin "
	    "/rootcacerts), make the server or ADC send the intermediate "
	    "certificates with the IP-HTTPS certificate, or replace the "
	    "IP-HTTPS certificate with one from a CA the clients trust "
	    "(KB2980667).");
	fx_free(f);
}
END_TEST

/* bad_certificate (42) covers more than an unknown root: said. */
START_TEST(untrusted_bad_certificate_says_what_else)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp Issuing CA", HOST, "aa");
	hello_done(f, c);
	alert(f, c, DT_C2S, 9, 42);
	run(f);
	v = expect_v(f, "server-cert-untrusted", 1, DT_SEV_ERROR,
	    DT_CONF_MEDIUM, 0x800b0109, "CERT_E_UNTRUSTEDROOT", FR(6, 9));
	ck_assert_ptr_nonnull(strstr(v->summary, "that alert also stands for "
	    "other certificate problems"));
	fx_free(f);
}
END_TEST

/* A Heartbeat request after ServerHelloDone, then the client leaves: it
   did not walk away from the certificate, so no untrusted-root blame; the
   handshake-incomplete text names the heartbeat. */
START_TEST(heartbeat_after_hello_done)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp Issuing CA", HOST, "aa");
	hello_done(f, c);
	ev(f, c, DT_EV_TLS_RECORD, DT_C2S, 9, 24);
	dt_tls_rare_make(&f->mem, c->tls)->n_heartbeats = 1;
	close_by(f, c, DT_C2S, 10, 0);
	run(f);
	ck_assert_uint_eq(count(f, "server-cert-untrusted"), 0);
	v = expect_v(f, "handshake-incomplete", 1, DT_SEV_WARNING, DT_CONF_LOW,
	    0, NULL, FR(4, 8, 9, 10));
	ck_assert_str_eq(v->summary, "The server answered up to its "
	    "server_hello_done (frame 8); the client then sent its heartbeat "
	    "record (frame 9) and closed the connection (frame 10) 0.1 s "
	    "later without an alert (IP-HTTPS: NULL suites offered)");
	fx_free(f);
}
END_TEST

/* A second ClientHello on the connection after the server's whole flight,
   then a reset: not "the server sent nothing more", not a timeout, and
   the time is the measured one. */
START_TEST(incomplete_repeated_hello_reset)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp Issuing CA", HOST, "aa");
	hello_done(f, c);
	ev(f, c, DT_EV_TLS_HANDSHAKE, DT_C2S, 10, DT_HS_CLIENT_HELLO);
	c->events[c->n_events - 1].b = DT_HS_F_REPEAT;
	c->tls->n_client_hellos = 2;
	close_by(f, c, DT_C2S, 13, 1);
	run(f);
	ck_assert_uint_eq(count(f, "server-cert-untrusted"), 0);
	v = expect_v(f, "handshake-incomplete", 1, DT_SEV_WARNING, DT_CONF_LOW,
	    0, NULL, FR(4, 8, 10, 13));
	ck_assert_str_eq(v->summary, "The server answered up to its "
	    "server_hello_done (frame 8); the client then sent its second "
	    "ClientHello on the same connection (frame 10) and reset the "
	    "connection (frame 13) 0.3 s later without an alert (IP-HTTPS: "
	    "NULL suites offered)");
	ck_assert_ptr_null(strstr(v->summary, "sent nothing"));
	fx_free(f);
}
END_TEST

START_TEST(untrusted_silent_close_is_low)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp Issuing CA", HOST, "aa");
	hello_done(f, c);
	close_by(f, c, DT_C2S, 9, 0);
	run(f);
	expect_v(f, "server-cert-untrusted", 1, DT_SEV_ERROR, DT_CONF_LOW,
	    0x800b0109, "CERT_E_UNTRUSTEDROOT", FR(6, 9));
	ck_assert_uint_eq(count(f, "handshake-incomplete"), 0);
	fx_free(f);
}
END_TEST

START_TEST(expired_by_time)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;
	struct dt_cert *x;

	server_hello(f, c, 0x0303, NULL_SHA256);
	x = server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	x->not_after = T0 / S - 86400;
	hello_done(f, c);
	alert(f, c, DT_C2S, 9, 45);
	run(f);
	v = expect_v(f, "server-cert-expired", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x800b0101, "CERT_E_EXPIRED", FR(6, 9));
	ck_assert_ptr_nonnull(strstr(v->summary, "expired on 2023-11-13"));
	ck_assert_uint_eq(count(f, "server-cert-untrusted"), 0);
	ck_assert_ptr_nonnull(strstr(v->explanation, "here the client ended "
	    "the handshake with a certificate_expired (45) alert (frame 9)"));
	ck_assert_ptr_null(strstr(v->explanation, "so the client rejects it"));
	fx_free(f);

	/* a client that completed the handshake did not reject it in TLS:
	   lower confidence, and the text says so */
	f = fx_new();
	c = iphttps_hello(f);
	server_hello(f, c, 0x0303, NULL_SHA256);
	x = server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	x->not_after = T0 / S - 86400;
	hello_done(f, c);
	finish(f, c);
	run(f);
	v = expect_v(f, "server-cert-expired", 1, DT_SEV_ERROR, DT_CONF_MEDIUM,
	    0x800b0101, "CERT_E_EXPIRED", FR(6));
	ck_assert_ptr_nonnull(strstr(v->explanation, "the handshake completed "
	    "all the same"));
	fx_free(f);

	/* the client closed without an alert: that frame is shown */
	f = fx_new();
	c = iphttps_hello(f);
	server_hello(f, c, 0x0303, NULL_SHA256);
	x = server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	x->not_after = T0 / S - 86400;
	hello_done(f, c);
	close_by(f, c, DT_C2S, 9, 0);
	run(f);
	v = expect_v(f, "server-cert-expired", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x800b0101, "CERT_E_EXPIRED", FR(6, 9));
	ck_assert_ptr_nonnull(strstr(v->explanation, "the client closed the "
	    "connection (frame 9) without a failure alert"));
	fx_free(f);
}
END_TEST

START_TEST(expired_by_alert_only)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	hello_done(f, c);
	alert(f, c, DT_C2S, 9, 45);
	run(f);
	expect_v(f, "server-cert-expired", 1, DT_SEV_ERROR, DT_CONF_MEDIUM,
	    0x800b0101, "CERT_E_EXPIRED", FR(6, 9));
	fx_free(f);
}
END_TEST

START_TEST(name_mismatch)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=vpn.corp.example", "CN=Corp CA",
	    "vpn.corp.example", "aa");
	hello_done(f, c);
	alert(f, c, DT_C2S, 9, 42);
	f->cfg.host = HOST;
	run(f);
	v = expect_v(f, "server-name-mismatch", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x800b010f, "CERT_E_CN_NO_MATCH", FR(6, 9));
	ck_assert_ptr_nonnull(strstr(v->summary, "vpn.corp.example"));
	ck_assert_ptr_nonnull(strstr(v->summary, HOST));
	/* bad_certificate here is the name, not the root */
	ck_assert_uint_eq(count(f, "server-cert-untrusted"), 0);
	ck_assert_uint_eq(count(f, "wrong-server"), 0);
	/* the text tells what the client did, from the facts */
	ck_assert_ptr_nonnull(strstr(v->explanation, "Here the client ended "
	    "the handshake with a bad_certificate (42) alert (frame 9)."));
	ck_assert_ptr_null(strstr(v->explanation, "abandoned"));
	fx_free(f);

	/* the client finished the handshake: it did not refuse the name
	   during TLS, so the finding is weaker and says so; a close_notify
	   afterwards is no evidence */
	f = fx_new();
	c = iphttps_hello(f);
	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=vpn.corp.example", "CN=Corp CA",
	    "vpn.corp.example", "aa");
	hello_done(f, c);
	finish(f, c);
	alert(f, c, DT_C2S, 20, 0);
	f->cfg.host = HOST;
	run(f);
	v = expect_v(f, "server-name-mismatch", 1, DT_SEV_ERROR,
	    DT_CONF_MEDIUM, 0x800b010f, "CERT_E_CN_NO_MATCH", FR(6));
	ck_assert_ptr_nonnull(strstr(v->explanation, "the handshake completed "
	    "all the same"));
	ck_assert_ptr_null(strstr(v->explanation, "abandoned"));
	fx_free(f);
}
END_TEST

START_TEST(name_matches_wildcard_no_verdict)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=*.corp.example", "CN=Corp CA", "*.corp.example",
	    "aa");
	hello_done(f, c);
	finish(f, c);
	run(f);
	ck_assert_uint_eq(count(f, "server-name-mismatch"), 0);
	ck_assert_uint_eq(count(f, NULL), 2);
	fx_free(f);
}
END_TEST

START_TEST(inspection_by_ca_name)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	server_hello(f, c, 0x0303, AES128_GCM);
	server_cert(f, c, "CN=" HOST, "CN=Fortinet_CA_SSL,O=Fortinet", HOST,
	    "aa");
	hello_done(f, c);
	c->tls->chain = DT_CHAIN_UNTRUSTED;
	alert(f, c, DT_C2S, 9, 48);
	f->cfg.host = HOST;
	run(f);
	v = expect_v(f, "ssl-inspection", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x800b0109, "CERT_E_UNTRUSTEDROOT", FR(6, 9));
	ck_assert_ptr_nonnull(strstr(v->summary, "Fortinet"));
	ck_assert_uint_eq(count(f, "server-cert-untrusted"), 0);
	ck_assert_uint_eq(count(f, "wrong-server"), 0);
	ck_assert_uint_eq(count(f, "server-name-mismatch"), 0);
	fx_free(f);
}
END_TEST

START_TEST(inspection_by_extra_ca_name)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	static const char *const extra[] = { "Acme Inspect", NULL };

	server_hello(f, c, 0x0303, AES128_GCM);
	server_cert(f, c, "CN=" HOST, "CN=Acme Inspect Root", HOST, "aa");
	hello_done(f, c);
	finish(f, c);
	run(f);
	ck_assert_uint_eq(count(f, "ssl-inspection"), 0);
	dt_capture_free(f->cap);
	f->cap = NULL;
	free(f);

	f = fx_new();
	c = iphttps_hello(f);
	server_hello(f, c, 0x0303, AES128_GCM);
	server_cert(f, c, "CN=" HOST, "CN=Acme Inspect Root", HOST, "aa");
	hello_done(f, c);
	finish(f, c);
	f->cfg.inspection_cas = extra;
	run(f);
	expect_v(f, "ssl-inspection", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", FR(6));
	fx_free(f);
}
END_TEST

#define SHA_REAL "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA_OTHER "2222222222222222222222222222222222222222222222222222222222222222"

START_TEST(inspection_by_expected_cert_and_ttl)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	fx_expect(f, SHA_REAL);
	server_hello(f, c, 0x0303, AES128_GCM);
	server_cert(f, c, "CN=" HOST, "CN=Some Proxy CA", HOST, SHA_OTHER);
	hello_done(f, c);
	c->ttl_server_data = 63;
	alert(f, c, DT_C2S, 9, 48);
	f->cfg.host = HOST;
	run(f);
	expect_v(f, "ssl-inspection", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x800b0109, "CERT_E_UNTRUSTEDROOT", FR(2, 5, 6, 9));
	ck_assert_uint_eq(count(f, "wrong-server"), 0);
	ck_assert_uint_eq(count(f, "server-cert-untrusted"), 0);
	fx_free(f);
}
END_TEST

/* A different certificate that verifies against --ca, same TTLs: a
   renewal explains it as well as an inspecting box trusted by that CA;
   the text says both, at low confidence. */
START_TEST(inspection_or_renewal)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	fx_expect(f, SHA_REAL);
	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, SHA_OTHER);
	hello_done(f, c);
	finish(f, c);
	c->tls->chain = DT_CHAIN_OK;
	f->cfg.host = HOST;
	run(f);
	v = expect_v(f, "ssl-inspection", 1, DT_SEV_ERROR, DT_CONF_LOW,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", FR(6));
	ck_assert_ptr_nonnull(strstr(v->explanation, "or the DirectAccess "
	    "certificate was renewed"));
	ck_assert_ptr_null(strstr(v->explanation, "answered with a "
	    "certificate it minted itself"));
	fx_free(f);
}
END_TEST

START_TEST(expected_cert_matches_no_inspection)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	fx_expect(f, SHA_REAL);
	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, SHA_REAL);
	hello_done(f, c);
	finish(f, c);
	run(f);
	ck_assert_uint_eq(count(f, "ssl-inspection"), 0);
	ck_assert_uint_eq(count(f, "wrong-server"), 0);
	ck_assert_uint_eq(count(f, NULL), 2);
	fx_free(f);
}
END_TEST

/* ---- wrong server ------------------------------------------------------- */

START_TEST(wrong_server_non_tls)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	dt_tls_rare_make(&f->mem, c->tls)->non_tls_frame = 6;
	dt_tls_rare_make(&f->mem, c->tls)->non_tls_dir = DT_S2C;
	dt_tls_rare_make(&f->mem, c->tls)->non_tls_line = sdup(f, "HTTP/1.1 400 Bad Request");
	close_by(f, c, DT_S2C, 7, 0);
	run(f);
	v = expect_v(f, "wrong-server", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", FR(4, 6));
	ck_assert_ptr_nonnull(strstr(v->summary, "\"HTTP/1.1 400 Bad Request\""));
	ck_assert_uint_eq(count(f, NULL), 1);
	fx_free(f);
}
END_TEST

/* The server spoke first (a greeting), not in answer to the ClientHello:
   the summary tells it in that order. */
START_TEST(wrong_server_greeting)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	dt_tls_rare_make(&f->mem, c->tls)->non_tls_frame = 3;
	dt_tls_rare_make(&f->mem, c->tls)->non_tls_dir = DT_S2C;
	dt_tls_rare_make(&f->mem, c->tls)->non_tls_line = sdup(f, "SSH-2.0-OpenSSH_9.2");
	close_by(f, c, DT_S2C, 7, 0);
	run(f);
	v = expect_v(f, "wrong-server", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", FR(3, 4));
	ck_assert_str_eq(v->summary, "198.19.0.10:443 spoke first, and not "
	    "TLS: \"SSH-2.0-OpenSSH_9.2\" (frame 3); no TLS came back after "
	    "the client's ClientHello (frame 4) (IP-HTTPS: NULL suites offered)");
	fx_free(f);
}
END_TEST

/* preamble-smtp-refused.pcap's shape: an SMTP greeting, STARTTLS refused,
   a ClientHello anyway, a reset. No "answered the ClientHello" claim, and
   since the client itself spoke SMTP first (no Windows IP-HTTPS client
   does), the confidence is medium and the summary says what else it may
   be. */
START_TEST(wrong_server_starttls_refused)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	c->tls->ch_frame = 11;
	dt_tls_rare_make(&f->mem, c->tls)->non_tls_frame = 4;
	dt_tls_rare_make(&f->mem, c->tls)->non_tls_dir = DT_S2C;
	dt_tls_rare_make(&f->mem, c->tls)->non_tls_line = sdup(f, "220 mail.corp.example ESMTP");
	dt_tls_rare_make(&f->mem, c->tls)->preamble_asked_frame = 9;
	dt_tls_rare_make(&f->mem, c->tls)->preamble_refused_frame = 10;
	dt_tls_rare_make(&f->mem, c->tls)->preamble_refused_line = sdup(f, "454 4.7.0 TLS not available");
	close_by(f, c, DT_S2C, 12, 1);
	run(f);
	v = expect_v(f, "wrong-server", 1, DT_SEV_ERROR, DT_CONF_MEDIUM,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", FR(4, 10, 11, 12));
	ck_assert_str_eq(v->summary, "198.19.0.10:443 spoke first, and not "
	    "TLS: \"220 mail.corp.example ESMTP\" (frame 4); the client asked "
	    "it to switch to TLS (frame 9) and it refused (frame 10: \"454 "
	    "4.7.0 TLS not available\"); the client's ClientHello (frame 11) "
	    "was answered by a reset (frame 12). The client itself spoke that "
	    "protocol first, which the Windows IP-HTTPS client never does: "
	    "this may be another application's connection to that address, "
	    "not an IP-HTTPS attempt (IP-HTTPS: NULL suites offered)");
	ck_assert_ptr_null(strstr(v->explanation, "certificate"));
	fx_free(f);
}
END_TEST

START_TEST(wrong_server_device_cert)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	server_hello(f, c, 0x0303, AES128_GCM);
	server_cert(f, c, "CN=FGT60E1234,O=Fortinet", "CN=FGT60E1234,O=Fortinet",
	    NULL, "aa");
	hello_done(f, c);
	alert(f, c, DT_C2S, 9, 48);
	f->cfg.host = HOST;
	run(f);
	expect_v(f, "wrong-server", 1, DT_SEV_ERROR, DT_CONF_HIGH, 0x80090326,
	    "SEC_E_ILLEGAL_MESSAGE", FR(6));
	ck_assert_uint_eq(count(f, "server-name-mismatch"), 0);
	ck_assert_uint_eq(count(f, "server-cert-untrusted"), 0);
	ck_assert_uint_eq(count(f, "ssl-inspection"), 0);
	fx_free(f);
}
END_TEST

START_TEST(wrong_server_other_cert)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	fx_expect(f, SHA_REAL);
	server_hello(f, c, 0x0303, AES128_GCM);
	server_cert(f, c, "CN=www.example.org", "CN=Public CA",
	    "www.example.org", SHA_OTHER);
	hello_done(f, c);
	alert(f, c, DT_C2S, 9, 42);
	f->cfg.host = HOST;
	run(f);
	expect_v(f, "wrong-server", 1, DT_SEV_ERROR, DT_CONF_HIGH, 0x80090326,
	    "SEC_E_ILLEGAL_MESSAGE", FR(6));
	ck_assert_uint_eq(count(f, "server-name-mismatch"), 0);
	fx_free(f);
}
END_TEST

START_TEST(wrong_server_http_reply)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	struct dt_tls_facts *t = c->tls;
	const struct dt_verdict *v;

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	hello_done(f, c);
	finish(f, c);
	dt_tls_http_make(&f->mem, t)->request.frame = 14;
	dt_tls_http_make(&f->mem, t)->request.line = sdup(f, "POST /IPHTTPS HTTP/1.1");
	dt_tls_http_make(&f->mem, t)->request.content_length = sdup(f, "18446744073709551615");
	dt_tls_http_make(&f->mem, t)->response.frame = 15;
	dt_tls_http_make(&f->mem, t)->response.status = 404;
	dt_tls_http_make(&f->mem, t)->response.line = sdup(f, "HTTP/1.1 404 Not Found");
	dt_tls_http_make(&f->mem, t)->response.server = sdup(f, "nginx");
	run(f);
	v = expect_v(f, "wrong-server", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80090326, "SEC_E_ILLEGAL_MESSAGE", FR(14, 15));
	ck_assert_ptr_nonnull(find(f, "handshake-ok", 1));
	/* an ADC's own error page looks the same: both are said */
	ck_assert_ptr_nonnull(strstr(v->explanation, "an ADC or reverse proxy "
	    "in front of it answered for it"));
	ck_assert_ptr_null(strstr(v->explanation, "is not the DirectAccess "
	    "server"));
	fx_free(f);
}
END_TEST

START_TEST(tunnel_reply_no_verdict)
{
	struct fx *f = fx_new();
	struct dt_conn *c = tcp_up(f, 10);
	struct dt_tls_facts *t = c->tls;

	/* no SNI, no NULL offer... */
	client_hello(f, c, NULL, 1, AES128_GCM);
	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	hello_done(f, c);
	finish(f, c);
	dt_tls_http_make(&f->mem, t)->request.frame = 14;
	dt_tls_http_make(&f->mem, t)->request.content_length = sdup(f, "18446744073709551615");
	dt_tls_http_make(&f->mem, t)->response.frame = 15;
	dt_tls_http_make(&f->mem, t)->response.status = 200;
	dt_tls_http_make(&f->mem, t)->response.server = sdup(f, "Microsoft-HTTPAPI/2.0");
	/* ... plus a browser connection: the streaming POST marks c */
	c = tcp_up(f, 20);
	client_hello(f, c, "www.example.org", 1, AES128_GCM);
	run(f);
	ck_assert_int_eq(f->cap->conns->iphttps, 1);
	ck_assert_int_eq(c->iphttps, 0);
	ck_assert_uint_eq(count(f, "wrong-server"), 0);
	ck_assert_uint_eq(count(f, "handshake-incomplete"), 0);
	ck_assert_uint_eq(count(f, NULL), 2);
	fx_free(f);
}
END_TEST

/* ---- TCP ---------------------------------------------------------------- */

static struct dt_conn *
syns(struct fx *f, int n, int64_t capture_after)
{
	struct dt_conn *c = conn_add(f, 10, 443);
	int i;

	c->state = DT_TCP_NO_ANSWER;
	c->syn_frame = 1;
	c->syn_count = (unsigned)n;
	for (i = 0; i < n; i++)
		ev(f, c, DT_EV_SYN, DT_C2S, (uint64_t)(1 + i * 2), i > 0);
	c->last_time = T0 + (int64_t)(n - 1) * 2 * S / 10;
	f->cap->last_time = c->last_time + capture_after;
	return c;
}

START_TEST(no_answer)
{
	struct fx *f = fx_new();

	syns(f, 3, 10 * S);
	tied(f, 10);
	run(f);
	expect_v(f, "tcp-no-answer", 1, DT_SEV_ERROR, DT_CONF_HIGH, 0x274c,
	    "WSAETIMEDOUT", FR(1, 3, 5));
	ck_assert_uint_eq(count(f, NULL), 1);
	fx_free(f);
}
END_TEST

START_TEST(no_answer_capture_too_short)
{
	struct fx *f = fx_new();

	syns(f, 1, S / 2);
	tied(f, 10);
	run(f);
	expect_v(f, "tcp-no-answer", 1, DT_SEV_ERROR, DT_CONF_LOW, 0x274c,
	    "WSAETIMEDOUT", FR(1));
	fx_free(f);
}
END_TEST

/* Parentheses in a text all close. */
static void
balanced(const char *s)
{
	int depth = 0;

	for (; *s != '\0'; s++) {
		depth += *s == '(' ? 1 : *s == ')' ? -1 : 0;
		ck_assert_int_ge(depth, 0);
	}
	ck_assert_int_eq(depth, 0);
}

/* SYNs dropped, then the same client connects again and is answered
   (testdata/gen/tcp-lab.sh syn-dropped): the attempt timed out, the path
   recovered - a warning naming the answer, not an error. */
START_TEST(no_answer_then_answered_is_warning)
{
	struct fx *f = fx_new();
	struct dt_conn *a, *b;
	const struct dt_verdict *v;

	a = syns(f, 3, 10 * S);
	b = iphttps_hello(f);		/* frames 101-104, SYN-ACK 102 */
	b->client = a->client;
	f->cfg.host = HOST;
	run(f);
	v = expect_v(f, "tcp-no-answer", 1, DT_SEV_WARNING, DT_CONF_HIGH,
	    0x274c, "WSAETIMEDOUT", FR(1, 3, 5, 102));
	ck_assert_ptr_nonnull(strstr(v->summary, "connection 2 from the same "
	    "client was answered (SYN-ACK frame 102): the path recovered"));
	ck_assert_ptr_nonnull(strstr(v->remedy, "Nothing to fix for this "
	    "attempt"));
	ck_assert_ptr_null(strstr(v->explanation, "drops them"));
	/* the identification's own parentheses survive the cut at ';' */
	ck_assert_ptr_nonnull(strstr(v->summary, "(IP-HTTPS: same server as "
	    "connection 2 (SNI da.corp.example"));
	balanced(v->summary);
	fx_free(f);

	/* without --host the other connection's reason is long: quoted by
	   whole clauses, never cut inside one */
	f = fx_new();
	a = syns(f, 3, 10 * S);
	b = iphttps_hello(f);
	b->client = a->client;
	run(f);
	v = expect_v(f, "tcp-no-answer", 1, DT_SEV_WARNING, DT_CONF_HIGH,
	    0x274c, "WSAETIMEDOUT", FR(1, 3, 5, 102));
	ck_assert_ptr_nonnull(strstr(a->iphttps_reason, "same server as "
	    "connection 2 (NULL suites offered"));
	balanced(a->iphttps_reason);
	balanced(v->summary);
	fx_free(f);

	/* answered, but from another client: this one's path stays shut */
	f = fx_new();
	syns(f, 3, 10 * S);
	iphttps_hello(f);
	tied(f, 10);
	run(f);
	v = expect_v(f, "tcp-no-answer", 1, DT_SEV_ERROR, DT_CONF_HIGH, 0x274c,
	    "WSAETIMEDOUT", FR(1, 3, 5));
	ck_assert_ptr_null(strstr(v->summary, "recovered"));
	fx_free(f);
}
END_TEST

START_TEST(refused)
{
	struct fx *f = fx_new();
	struct dt_conn *c = conn_add(f, 10, 443);

	c->state = DT_TCP_REFUSED;
	c->syn_frame = 1;
	c->rst_frame = 2;
	c->rst_dir = DT_S2C;
	tied(f, 10);
	run(f);
	expect_v(f, "tcp-refused", 1, DT_SEV_ERROR, DT_CONF_HIGH, 0x274d,
	    "WSAECONNREFUSED", FR(1, 2));
	ck_assert_uint_eq(count(f, NULL), 1);
	fx_free(f);
}
END_TEST

/* Refused, then the same client is accepted: the refusal did not last,
   a warning naming the later SYN-ACK. */
START_TEST(refused_then_accepted_is_warning)
{
	struct fx *f = fx_new();
	struct dt_conn *a = conn_add(f, 10, 443), *b;
	const struct dt_verdict *v;

	a->state = DT_TCP_REFUSED;
	a->syn_frame = 1;
	a->rst_frame = 2;
	a->rst_dir = DT_S2C;
	b = iphttps_hello(f);		/* SYN-ACK frame 102 */
	b->client = a->client;
	f->cfg.host = HOST;
	run(f);
	v = expect_v(f, "tcp-refused", 1, DT_SEV_WARNING, DT_CONF_HIGH, 0x274d,
	    "WSAECONNREFUSED", FR(1, 2, 102));
	ck_assert_ptr_nonnull(strstr(v->summary, "connection 2 from the same "
	    "client was accepted later (SYN-ACK frame 102)"));
	ck_assert_ptr_null(strstr(v->explanation, "Nothing accepted"));
	fx_free(f);
}
END_TEST

START_TEST(other_port_not_judged)
{
	struct fx *f = fx_new();
	struct dt_conn *c = conn_add(f, 10, 8443);

	c->state = DT_TCP_REFUSED;
	c->syn_frame = 1;
	c->rst_frame = 2;
	c->rst_dir = DT_S2C;
	run(f);
	ck_assert_uint_eq(count(f, "tcp-refused"), 0);
	expect_v(f, "no-iphttps-traffic", 0, DT_SEV_INFO, DT_CONF_MEDIUM, 0,
	    NULL, NOFR);
	ck_assert_ptr_nonnull(strstr(find(f, "no-iphttps-traffic", 0)->summary,
	    "1 TCP connection (0 with TLS)"));
	dt_capture_free(f->cap);
	free(f);

	/* -p 8443 makes it a candidate */
	f = fx_new();
	c = conn_add(f, 10, 8443);
	c->state = DT_TCP_REFUSED;
	c->syn_frame = 1;
	c->rst_frame = 2;
	c->rst_dir = DT_S2C;
	tied(f, 10);
	f->ports[1] = 8443;
	run(f);
	ck_assert_uint_eq(count(f, "tcp-refused"), 1);
	ck_assert_uint_eq(count(f, "no-iphttps-traffic"), 0);
	fx_free(f);
}
END_TEST

/* Attempts to the marked server without a name are the same tunnel. */
START_TEST(same_server_attempts_marked)
{
	struct fx *f = fx_new();
	struct dt_conn *a, *b, *c;

	a = iphttps_hello(f);
	alert(f, a, DT_S2C, 6, 40);
	b = conn_add(f, 10, 443);	/* later attempt: no answer */
	b->state = DT_TCP_NO_ANSWER;
	b->syn_frame = 101;
	c = tcp_up(f, 20);		/* a browser elsewhere */
	client_hello(f, c, "www.example.org", 1, AES128_GCM);
	alert(f, c, DT_S2C, 206, 40);
	run(f);
	ck_assert_int_eq(a->iphttps, 1);
	ck_assert_int_eq(b->iphttps, 1);
	ck_assert_int_eq(c->iphttps, 0);
	ck_assert_ptr_nonnull(find(f, "null-cipher-absent", 1));
	ck_assert_ptr_nonnull(find(f, "tcp-no-answer", 2));
	ck_assert_uint_eq(count(f, NULL), 2);	/* nothing about the browser */
	fx_free(f);
}
END_TEST

START_TEST(all_judges_other_connections)
{
	struct fx *f = fx_new();
	struct dt_conn *a, *c;

	a = iphttps_hello(f);
	server_hello(f, a, 0x0303, NULL_SHA256);
	finish(f, a);
	c = tcp_up(f, 20);
	client_hello(f, c, "www.example.org", 1, AES128_GCM);
	alert(f, c, DT_S2C, 106, 40);
	run(f);
	ck_assert_uint_eq(count(f, "no-common-cipher"), 0);
	dt_capture_free(f->cap);
	free(f);

	f = fx_new();
	a = iphttps_hello(f);
	server_hello(f, a, 0x0303, NULL_SHA256);
	finish(f, a);
	c = tcp_up(f, 20);
	client_hello(f, c, "www.example.org", 1, AES128_GCM);
	alert(f, c, DT_S2C, 106, 40);
	f->cfg.all = 1;
	run(f);
	ck_assert_int_eq(c->iphttps, 0);
	expect_v(f, "no-common-cipher", 2, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80090331, "SEC_E_ALGORITHM_MISMATCH", FR(104, 106));
	fx_free(f);
}
END_TEST

START_TEST(healthy_other_host_no_verdict)
{
	struct fx *f = fx_new();
	struct dt_conn *a, *c;

	a = iphttps_hello(f);
	alert(f, a, DT_S2C, 6, 40);
	c = tcp_up(f, 20);
	client_hello(f, c, "www.example.org", 1, AES128_GCM);
	server_hello(f, c, 0x0303, AES128_GCM);
	server_cert(f, c, "CN=www.example.org", "CN=Public CA",
	    "www.example.org", "cc");
	hello_done(f, c);
	finish(f, c);
	f->cfg.host = HOST;
	run(f);
	ck_assert_int_eq(c->iphttps, 0);
	ck_assert_ptr_null(find(f, "handshake-ok", 2));
	ck_assert_ptr_nonnull(find(f, "null-cipher-absent", 1));
	ck_assert_uint_eq(count(f, NULL), 1);
	fx_free(f);
}
END_TEST

/* --host given, only another site in the capture: not a candidate. */
START_TEST(other_name_than_host_not_candidate)
{
	struct fx *f = fx_new();
	struct dt_conn *c = tcp_up(f, 20);

	client_hello(f, c, "www.other.example", 1, AES128_GCM);
	server_hello(f, c, 0x0303, AES128_GCM);
	server_cert(f, c, "CN=www.other.example", "CN=Public CA",
	    "www.other.example", "cc");
	hello_done(f, c);
	finish(f, c);
	f->cfg.host = HOST;
	run(f);
	ck_assert_int_eq(c->iphttps, 0);
	ck_assert_uint_eq(count(f, "server-name-mismatch"), 0);
	expect_v(f, "no-iphttps-traffic", 0, DT_SEV_INFO, DT_CONF_MEDIUM, 0,
	    NULL, NOFR);
	/* and nothing names --host: said first */
	expect_v(f, "host-not-seen", 0, DT_SEV_WARNING, DT_CONF_HIGH, 0,
	    NULL, NOFR);
	ck_assert_str_eq(f->cap->verdicts->id, "host-not-seen");
	ck_assert_uint_eq(count(f, NULL), 2);
	dt_capture_free(f->cap);
	free(f);

	/* without --host a browser-like connection is only a candidate,
	   listed with its score, not judged (issue 16) */
	f = fx_new();
	c = tcp_up(f, 20);
	client_hello(f, c, "www.other.example", 1, AES128_GCM);
	server_hello(f, c, 0x0303, AES128_GCM);
	server_cert(f, c, "CN=www.other.example", "CN=Public CA",
	    "www.other.example", "cc");
	hello_done(f, c);
	finish(f, c);
	run(f);
	ck_assert_int_eq(c->iphttps, 0);
	ck_assert_int_eq(c->iphttps_score, 15);
	ck_assert_str_eq(c->iphttps_reason, "port 443; Windows TTL 128");
	ck_assert_ptr_nonnull(strstr(find(f, "no-iphttps-traffic", 0)->summary,
	    "best candidates: connection 1 to 198.19.0.20:443 (score 15: "
	    "port 443; Windows TTL 128)"));
	ck_assert_uint_eq(count(f, NULL), 1);
	fx_free(f);
}
END_TEST

/* A reason quotes wire names as printable ASCII: a byte below 0x20 or
   from 0x7f on becomes '?', wherever it falls in the text; equal reasons
   share one kept copy, the one before and the ones kept lately. */
START_TEST(reason_printable_shared)
{
	struct fx *f = fx_new();
	struct dt_conn *c[5];
	static const char *const sni[5] = {
		"w\x01w.\x7f\xc3\xa9x.example-with-a-longer-name\x1f",
		"w\x01w.\x7f\xc3\xa9x.example-with-a-longer-name\x1f",
		"www.other.example",
		"w\x01w.\x7f\xc3\xa9x.example-with-a-longer-name\x1f",
		"abcdefghijklmnopqrstuvwxyz\x80",
	};
	int i;

	for (i = 0; i < 5; i++) {
		c[i] = tcp_up(f, 20 + i);
		client_hello(f, c[i], sni[i], 1, AES128_GCM);
	}
	f->cfg.host = HOST;
	run(f);
	ck_assert_str_eq(c[0]->iphttps_reason, "SNI w?w.???x.example-with-"
	    "a-longer-name?, not da.corp.example; port 443; Windows TTL 128");
	ck_assert_ptr_eq(c[1]->iphttps_reason, c[0]->iphttps_reason);
	ck_assert_str_eq(c[2]->iphttps_reason, "SNI www.other.example, not "
	    "da.corp.example; port 443; Windows TTL 128");
	ck_assert_ptr_eq(c[3]->iphttps_reason, c[0]->iphttps_reason);
	ck_assert_str_eq(c[4]->iphttps_reason, "SNI abcdefghijklmnopqrstuvwxyz?"
	    ", not da.corp.example; port 443; Windows TTL 128");
	fx_free(f);
}
END_TEST

/* ---- DNS, proxy, CRL ---------------------------------------------------- */

START_TEST(dns_nxdomain)
{
	struct fx *f = fx_new();
	const struct dt_verdict *v;
	struct dt_conn *c;

	dns_add(f, HOST, 1, 3, 1, 2, 0);
	dns_add(f, HOST, 28, 3, 3, 4, 0);
	f->cfg.host = "DA.corp.example.";
	run(f);
	v = expect_v(f, "dns-not-found", 0, DT_SEV_ERROR, DT_CONF_HIGH, 0x2af9,
	    "WSAHOST_NOT_FOUND", FR(1, 2, 3, 4));
	ck_assert_ptr_nonnull(find(f, "no-iphttps-traffic", 0));
	ck_assert_ptr_nonnull(strstr(v->explanation, "the capture shows no "
	    "connection to a server of that name"));
	ck_assert_ptr_null(strstr(v->explanation, "never tried"));
	fx_free(f);

	/* the lookups failed, but the client reached the server by that
	   name anyway (cache, hosts file): not the cause, a warning */
	f = fx_new();
	c = iphttps_hello(f);
	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	hello_done(f, c);
	finish(f, c);
	dns_add(f, HOST, 1, 3, 91, 92, 0);
	f->cfg.host = HOST;
	run(f);
	v = expect_v(f, "dns-not-found", 0, DT_SEV_WARNING, DT_CONF_LOW, 0x2af9,
	    "WSAHOST_NOT_FOUND", FR(91, 92));
	ck_assert_ptr_nonnull(strstr(v->explanation, "yet connection 1 (frame "
	    "1) to 198.19.0.10:443 names it"));
	fx_free(f);
}
END_TEST

START_TEST(dns_no_data)
{
	struct fx *f = fx_new();

	dns_add(f, HOST, 28, 0, 1, 2, 0);
	f->cfg.host = HOST;
	run(f);
	expect_v(f, "dns-not-found", 0, DT_SEV_ERROR, DT_CONF_HIGH, 0x2afc,
	    "WSANO_DATA", FR(1, 2));
	fx_free(f);
}
END_TEST

START_TEST(dns_aaaa_empty_a_ok_no_verdict)
{
	struct fx *f = fx_new();

	dns_add(f, HOST, 28, 0, 1, 2, 0);
	dns_add(f, HOST, 1, 0, 3, 4, 10);
	f->cfg.host = HOST;
	run(f);
	ck_assert_uint_eq(count(f, "dns-not-found"), 0);
	fx_free(f);
}
END_TEST

START_TEST(dns_guessed_name)
{
	struct fx *f = fx_new();

	dns_add(f, "da.corp.example", 1, 3, 1, 2, 0);
	dns_add(f, "www.example.org", 1, 3, 3, 4, 0);
	run(f);
	/* a guessed name, but no connection identified: the whole story */
	expect_v(f, "dns-not-found", 0, DT_SEV_ERROR, DT_CONF_MEDIUM, 0x2af9,
	    "WSAHOST_NOT_FOUND", FR(1, 2));
	ck_assert_uint_eq(count(f, "dns-not-found"), 1);
	fx_free(f);
}
END_TEST

static struct dt_conn *
proxy_conn(struct fx *f)
{
	struct dt_conn *c = tcp_up(f, 80);

	c->server_port = 8080;
	ck_assert_int_eq(dt_conn_text_make(f->cap, c), 0);
	return c;
}

START_TEST(proxy_407)
{
	struct fx *f = fx_new();
	struct dt_conn *c = proxy_conn(f);
	const struct dt_verdict *v;

	http_add(f, c->id, "CONNECT", HOST ":443", HOST ":443", 4, 5, 407,
	    "HTTP/1.1 407 Proxy Authentication Required");
	f->cfg.host = HOST;
	run(f);
	ck_assert_int_eq(c->iphttps, 1);
	v = expect_v(f, "proxy-refused", 1, DT_SEV_ERROR, DT_CONF_HIGH, 0x2af9,
	    "WSAHOST_NOT_FOUND", FR(4, 5));
	ck_assert_ptr_nonnull(strstr(v->summary, "407"));
	ck_assert_ptr_nonnull(strstr(v->remedy, "SYSTEM"));
	fx_free(f);
}
END_TEST

START_TEST(proxy_later_success_no_verdict)
{
	struct fx *f = fx_new();
	struct dt_conn *c = proxy_conn(f), *d = proxy_conn(f);

	http_add(f, c->id, "CONNECT", HOST ":443", NULL, 4, 5, 403,
	    "HTTP/1.1 403 Forbidden");
	http_add(f, d->id, "CONNECT", HOST ":443", NULL, 104, 105, 200,
	    "HTTP/1.1 200 Connection established");
	run(f);		/* no --host: CONNECT to any :443 is a candidate */
	ck_assert_int_eq(c->iphttps, 1);
	ck_assert_uint_eq(count(f, "proxy-refused"), 0);
	fx_free(f);
}
END_TEST

START_TEST(proxy_reset_no_host)
{
	struct fx *f = fx_new();
	struct dt_conn *c = proxy_conn(f);
	struct dt_http *h;

	h = http_add(f, c->id, "CONNECT", HOST ":443", NULL, 4, 0, -1, NULL);
	h->conn_reset = 1;
	close_by(f, c, DT_S2C, 6, 1);
	run(f);
	expect_v(f, "proxy-refused", 1, DT_SEV_ERROR, DT_CONF_MEDIUM, 0x2af9,
	    "WSAHOST_NOT_FOUND", FR(4, 6));
	fx_free(f);
}
END_TEST

static struct dt_conn *
crl_setup(struct fx *f)
{
	struct dt_conn *c = iphttps_hello(f);
	struct dt_cert *x;

	server_hello(f, c, 0x0303, NULL_SHA256);
	x = server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	x->crl_urls = dt_malloc(&f->mem, sizeof(char *));
	x->crl_urls[0] = sdup(f, "http://crl.corp.example/pki/corp.crl");
	x->n_crl_urls = 1;
	hello_done(f, c);
	close_by(f, c, DT_C2S, 30, 0);
	return c;
}

START_TEST(crl_404)
{
	struct fx *f = fx_new();
	const struct dt_verdict *v;
	struct dt_conn *c;

	crl_setup(f);
	/* resolved, TCP up, HTTP 404 on that connection */
	dns_add(f, "crl.corp.example", 28, 0, 16, 17, 99);
	c = conn_add(f, 99, 80);
	c->state = DT_TCP_CLOSED;
	c->syn_frame = 18;
	c->bytes[DT_S2C] = 140;
	http_add(f, c->id, "GET", "/pki/corp.crl", "crl.corp.example", 20, 21,
	    404, "HTTP/1.1 404 Not Found");
	run(f);
	v = expect_v(f, "crl-unreachable", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80092013, "CRYPT_E_REVOCATION_OFFLINE", FR(6, 20, 21));
	ck_assert_ptr_nonnull(strstr(v->summary,
	    "http://crl.corp.example/pki/corp.crl"));
	/* the CRL explains the client's silent close */
	ck_assert_uint_eq(count(f, "server-cert-untrusted"), 0);
	ck_assert_uint_eq(count(f, "handshake-incomplete"), 0);
	/* a cached CRL would spare the client: said, not assumed away */
	ck_assert_ptr_nonnull(strstr(v->explanation, "unless the client still "
	    "holds a cached copy"));
	fx_free(f);
}
END_TEST

START_TEST(crl_via_proxy_then_success)
{
	struct fx *f = fx_new();

	crl_setup(f);
	http_add(f, 2, "GET", "http://crl.corp.example/pki/corp.crl", NULL,
	    20, 21, 502, "HTTP/1.1 502 Bad Gateway");
	run(f);
	expect_v(f, "crl-unreachable", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80092013, "CRYPT_E_REVOCATION_OFFLINE", FR(6, 20, 21));
	dt_capture_free(f->cap);
	free(f);

	f = fx_new();
	crl_setup(f);
	http_add(f, 2, "GET", "http://crl.corp.example/pki/corp.crl", NULL,
	    20, 21, 502, "HTTP/1.1 502 Bad Gateway");
	http_add(f, 3, "GET", "/pki/corp.crl", "crl.corp.example", 40, 41, 200,
	    "HTTP/1.1 200 OK");
	run(f);
	ck_assert_uint_eq(count(f, "crl-unreachable"), 0);
	fx_free(f);
}
END_TEST

START_TEST(crl_dns_and_tcp)
{
	struct fx *f = fx_new();
	struct dt_conn *c;

	crl_setup(f);
	dns_add(f, "crl.corp.example", 1, 3, 20, 21, 0);
	run(f);
	expect_v(f, "crl-unreachable", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x80092013, "CRYPT_E_REVOCATION_OFFLINE", FR(6, 20, 21));
	dt_capture_free(f->cap);
	free(f);

	f = fx_new();
	crl_setup(f);
	dns_add(f, "crl.corp.example", 1, 0, 20, 21, 99);
	c = conn_add(f, 99, 80);
	c->state = DT_TCP_NO_ANSWER;
	c->syn_frame = 122;
	run(f);
	expect_v(f, "crl-unreachable", 1, DT_SEV_ERROR, DT_CONF_MEDIUM,
	    0x80092013, "CRYPT_E_REVOCATION_OFFLINE", FR(6, 122));
	fx_free(f);
}
END_TEST

/* ---- incomplete, truncated, nothing ------------------------------------- */

START_TEST(incomplete_capture_ended)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	f->cap->last_time = c->last_time + S;
	run(f);
	expect_v(f, "handshake-incomplete", 1, DT_SEV_WARNING, DT_CONF_LOW, 0,
	    NULL, FR(4));
	ck_assert_uint_eq(count(f, NULL), 1);
	fx_free(f);
}
END_TEST

START_TEST(incomplete_client_gave_up)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	close_by(f, c, DT_C2S, 90, 0);
	run(f);
	v = expect_v(f, "handshake-incomplete", 1, DT_SEV_WARNING,
	    DT_CONF_MEDIUM, 0x274c, "WSAETIMEDOUT", FR(4, 90));
	ck_assert_ptr_nonnull(strstr(v->summary, "client_hello"));
	ck_assert_uint_eq(count(f, "null-cipher-absent"), 0);
	fx_free(f);
}
END_TEST

/* The client closed before the server answered; the ServerHello came
   after its FIN, and a RST answered it. The story is the client's: it
   gave up after its ClientHello, not after the server's ServerHello
   (mercury's quic_reordered_frames.pcap was told "stopped after the
   server's server_hello (frame 152) ... the client closed the
   connection (frame 105) 0.0 s later"). */
START_TEST(incomplete_client_closed_before_answer)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	close_by(f, c, DT_C2S, 5, 0);
	c->tls->sh_frame = 7;
	c->tls->version = 0x0303;
	c->tls->suite = NULL_SHA256;
	hs_ev(f, c, DT_S2C, 7, 2);
	close_by(f, c, DT_C2S, 8, 1);
	run(f);
	v = expect_v(f, "handshake-incomplete", 1, DT_SEV_WARNING,
	    DT_CONF_LOW, 0, NULL, FR(4, 5));
	ck_assert_str_eq(v->summary, "The handshake stopped after the "
	    "client's client_hello (frame 4): the client closed the connection "
	    "itself (frame 5) 0.1 s later, too soon for a timeout, without an "
	    "alert (IP-HTTPS: NULL suites offered)");
	fx_free(f);
}
END_TEST

START_TEST(truncated_suppresses_absence_verdicts)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	c->truncated = 1;
	dt_tls_rare_make(&f->mem, c->tls)->truncated = 1;
	dt_tls_rare_make(&f->mem, c->tls)->truncated_frame = 5;
	f->cap->truncated_packets = 3;
	close_by(f, c, DT_S2C, 7, 0);
	ev(f, c, DT_EV_GAP, DT_S2C, 5, 0);
	ev(f, c, DT_EV_GAP, DT_S2C, 6, 0);
	run(f);
	v = expect_v(f, "capture-truncated", 1, DT_SEV_WARNING, DT_CONF_HIGH,
	    0, NULL, FR(5, 6));
	ck_assert_ptr_nonnull(strstr(v->summary, "in frames 5, 6"));
	ck_assert_ptr_nonnull(strstr(v->summary, "server's answer"));
	ck_assert_ptr_nonnull(strstr(v->remedy, "--pkt-size 0"));
	ck_assert_uint_eq(count(f, "null-cipher-absent"), 0);
	ck_assert_uint_eq(count(f, "handshake-incomplete"), 0);
	ck_assert_uint_eq(count(f, NULL), 1);
	fx_free(f);
}
END_TEST

/* Bytes lost to a gap, no packet cut: the TLS parser marks the cut as
   for snaplen, but only flow's mark says the snapshot length did it
   (mercury's capture2.pcap: "The snapshot length cut ... (0 packets of
   the capture truncated)" for segments the capture missed). */
START_TEST(truncated_by_gap_not_snaplen)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	dt_tls_rare_make(&f->mem, c->tls)->truncated = 1;
	dt_tls_rare_make(&f->mem, c->tls)->truncated_frame = 5;
	ck_assert_int_eq(dt_conn_gap_add(&f->mem, c, DT_S2C, 4200), 0);
	ev(f, c, DT_EV_GAP, DT_S2C, 5, 0);
	close_by(f, c, DT_S2C, 7, 0);
	run(f);
	v = expect_v(f, "capture-truncated", 1, DT_SEV_WARNING, DT_CONF_HIGH,
	    0, NULL, FR(5));
	ck_assert_str_eq(v->summary, "Stream bytes were never captured on "
	    "198.19.0.10:443 in frame 5 (4200 bytes lost: the capture missed "
	    "packets): the server's answer to the ClientHello is missing "
	    "(IP-HTTPS: NULL suites offered)");
	ck_assert_ptr_null(strstr(v->remedy, "snapshot"));
	ck_assert_ptr_nonnull(strstr(v->remedy, "mirror port"));
	fx_free(f);
}
END_TEST

/* The server's CCS/Finished was lost, but the client sent application
   data after its own Finished: TLS 1.2 clients only do after checking the
   server's Finished. */
START_TEST(server_finished_lost_still_ok)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	hello_done(f, c);
	c->tls->ccs_frame[DT_C2S] = c->tls->finished_frame[DT_C2S] = 8;
	c->tls->appdata_frame[DT_C2S] = 10;
	dt_tls_rare_make(&f->mem, c->tls)->truncated = 1;
	ck_assert_int_eq(dt_conn_gap_add(&f->mem, c, DT_S2C, 250), 0);
	ev(f, c, DT_EV_GAP, DT_S2C, 9, 0);
	run(f);
	v = expect_v(f, "handshake-ok", 1, DT_SEV_INFO, DT_CONF_HIGH, 0, NULL,
	    FR(4, 5, 8, 10));
	ck_assert_ptr_nonnull(strstr(v->summary, "not captured"));
	ck_assert_uint_eq(count(f, "capture-truncated"), 0);
	ck_assert_uint_eq(count(f, "handshake-incomplete"), 0);
	ck_assert_uint_eq(count(f, NULL), 2);
	dt_capture_free(f->cap);
	free(f);

	/* a fatal alert before that data: not complete */
	f = fx_new();
	c = iphttps_hello(f);
	server_hello(f, c, 0x0303, NULL_SHA256);
	c->tls->ccs_frame[DT_C2S] = 8;
	c->tls->appdata_frame[DT_C2S] = 10;
	alert(f, c, DT_S2C, 9, 20);
	run(f);
	ck_assert_uint_eq(count(f, "handshake-ok"), 0);
	fx_free(f);
}
END_TEST

START_TEST(truncated_but_alert_seen)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	c->truncated = 1;
	alert(f, c, DT_S2C, 6, 40);
	run(f);
	/* the alert is on the wire: the verdict stands, nothing is missing */
	ck_assert_ptr_nonnull(find(f, "null-cipher-absent", 1));
	ck_assert_uint_eq(count(f, "capture-truncated"), 0);
	fx_free(f);
}
END_TEST

START_TEST(empty_capture)
{
	struct fx *f = fx_new();

	dns_add(f, "www.example.org", 1, 0, 1, 2, 50);
	run(f);
	expect_v(f, "no-iphttps-traffic", 0, DT_SEV_INFO, DT_CONF_MEDIUM, 0,
	    NULL, NOFR);
	ck_assert_ptr_nonnull(strstr(find(f, "no-iphttps-traffic", 0)->summary,
	    "www.example.org"));
	ck_assert_uint_eq(count(f, NULL), 1);
	fx_free(f);
}
END_TEST

/* Connections to 443 caught mid-stream are not weighed as candidates,
   but they are to the port: "none to port 443" was false (scapy's
   tls_new-session-ticket.pcap, 12 of them). */
START_TEST(no_iphttps_midstream_on_port)
{
	struct fx *f = fx_new();
	struct dt_conn *c;
	int i;

	for (i = 0; i < 2; i++) {
		c = conn_add(f, 10 + i, 443);
		c->roles_from_syn = 0;
		c->tls->seen = 1;
	}
	(void)conn_add(f, 20, 5222);
	run(f);
	expect_v(f, "no-iphttps-traffic", 0, DT_SEV_INFO, DT_CONF_MEDIUM, 0,
	    NULL, NOFR);
	ck_assert_str_eq(find(f, "no-iphttps-traffic", 0)->summary,
	    "No IP-HTTPS connection attempt: 3 TCP connections (2 with TLS), "
	    "2 to port 443, all caught mid-stream (no start to judge); DNS "
	    "names: none");
	fx_free(f);

	/* none there: said so */
	f = fx_new();
	(void)conn_add(f, 20, 5222);
	run(f);
	ck_assert_str_eq(find(f, "no-iphttps-traffic", 0)->summary,
	    "No IP-HTTPS connection attempt: 1 TCP connection (0 with TLS), "
	    "none to port 443; DNS names: none");
	fx_free(f);
}
END_TEST

/* Many ports and a --host name: the whole of what is not there is said
   (it was cut at 95 bytes, in the middle of a port). */
START_TEST(no_iphttps_many_ports)
{
	static const uint16_t many[] = { 10443, 10444, 10445, 10446, 10447,
	    10448, 10449, 10450, 10451, 10452, 10453, 10454, 0 };
	struct fx *f = fx_new();
	const char *sum;

	f->cfg.ports = many;
	f->cfg.host = HOST;
	(void)conn_add(f, 20, 5222);
	run(f);
	sum = find(f, "no-iphttps-traffic", 0)->summary;
	ck_assert_msg(strstr(sum, "none to port 10443, 10444, 10445, 10446, "
	    "10447, 10448, 10449, 10450, 10451, 10452, 10453, 10454 or to the "
	    "--host name; DNS names: none") != NULL, "%s", sum);
	fx_free(f);
}
END_TEST

/* ---- attempts and order ------------------------------------------------- */

static void
four_refusals(struct fx *f)
{
	int i;

	for (i = 0; i < 4; i++) {
		struct dt_conn *c = tcp_up(f, 10);

		client_hello(f, c, HOST, 2, NULL_SHA256, NULL_SHA);
		alert(f, c, DT_S2C, base(c) + 6, 40);
		close_by(f, c, DT_S2C, base(c) + 7, 0);
	}
}

START_TEST(attempts_counted)
{
	struct fx *f = fx_new();
	const struct dt_verdict *v;

	four_refusals(f);
	run(f);
	ck_assert_uint_eq(count(f, "null-cipher-absent"), 4);
	v = find(f, "null-cipher-absent", 1);
	ck_assert_ptr_nonnull(strstr(v->summary,
	    "4 attempts to 198.19.0.10:443 (connections 1, 2, 3, 4) ended the "
	    "same way"));
	v = find(f, "null-cipher-absent", 2);
	ck_assert_ptr_null(strstr(v->summary, "attempts"));
	fx_free(f);
}
END_TEST

/* The list of a run's connections as it was always written: one id per
   attempt while the text is short of DT_RULE_TEXT - 16 bytes, then
   ", ..." once (its lists are made at the second attempt and grow since
   2026-12-08; the text must not change). */
static void
attempts_list(char *out, size_t size, uint32_t n)
{
	char list[DT_RULE_TEXT];
	int k = snprintf(list, sizeof list, "connections %u", 1u);
	uint32_t id;

	for (id = 2; id <= n; id++) {
		if (k < DT_RULE_TEXT - 16)
			k += snprintf(list + k, sizeof list - (size_t)k, ", %u",
			    id);
		else if (k < DT_RULE_TEXT - 4) {
			snprintf(list + k, sizeof list - (size_t)k, ", ...");
			k = DT_RULE_TEXT;
		}
	}
	snprintf(out, size, "%u attempts to 198.19.0.10:443 (%s) ended the "
	    "same way", n, list);
}

START_TEST(attempts_listed_to_their_bound)
{
	static const uint32_t runs[] = { 2, 9, 12, 60, 150, 400 };
	char want[DT_RULE_TEXT + 128];
	size_t r;
	int i;

	for (r = 0; r < sizeof runs / sizeof runs[0]; r++) {
		struct fx *f = fx_new();
		const struct dt_verdict *v;

		for (i = 0; i < (int)runs[r]; i++) {
			struct dt_conn *c = tcp_up(f, 10);

			client_hello(f, c, HOST, 2, NULL_SHA256, NULL_SHA);
			alert(f, c, DT_S2C, base(c) + 6, 40);
			close_by(f, c, DT_S2C, base(c) + 7, 0);
		}
		run(f);
		ck_assert_uint_eq(count(f, "null-cipher-absent"), runs[r]);
		v = find(f, "null-cipher-absent", 1);
		attempts_list(want, sizeof want, runs[r]);
		ck_assert_msg(strstr(v->summary, want) != NULL,
		    "%u attempts: %s", runs[r], v->summary);
		fx_free(f);
	}
}
END_TEST

START_TEST(order_is_deterministic)
{
	struct fx *f = fx_new(), *g = fx_new();
	const struct dt_verdict *v, *w;
	struct dt_conn *c;
	uint32_t last = 0;

	four_refusals(f);
	four_refusals(g);
	c = iphttps_hello(f);
	server_hello(f, c, 0x0303, NULL_SHA256);
	finish(f, c);
	c = iphttps_hello(g);
	server_hello(g, c, 0x0303, NULL_SHA256);
	finish(g, c);
	run(f);
	run(g);
	ck_assert_uint_eq(f->cap->n_verdicts, g->cap->n_verdicts);
	for (v = f->cap->verdicts, w = g->cap->verdicts; v != NULL;
	    v = v->next, w = w->next) {
		ck_assert_str_eq(v->id, w->id);
		ck_assert_uint_eq(v->conn, w->conn);
		ck_assert_str_eq(v->summary, w->summary);
		ck_assert_uint_ge(v->conn, last);	/* by connection */
		last = v->conn;
	}
	/* within a connection: table order */
	v = find(f, "handshake-ok", 5);
	ck_assert_str_eq(v->next->id, "null-cipher-negotiated");
	fx_free(f);
	fx_free(g);
}
END_TEST

/* ---- allocation failure ------------------------------------------------- */

struct failer {
	size_t left;
};

static void *
failing_alloc(void *ud, void *p, size_t n)
{
	struct failer *fl = ud;

	if (n == 0) {
		free(p);
		return NULL;
	}
	if (fl->left == 0)
		return NULL;
	fl->left--;
	return realloc(p, n);
}

START_TEST(allocation_failure)
{
	size_t budget;
	int ok = 0;

	for (budget = 0; budget < 400 && !ok; budget++) {
		struct failer fl = { SIZE_MAX };
		struct fx *f = fx_new();

		dt_capture_free(f->cap);
		dt_mem_init(&f->mem, failing_alloc, &fl, 0);
		f->cap = dt_calloc(&f->mem, 1, sizeof *f->cap);
		f->cap->mem = &f->mem;
		f->cap->last_time = T0 + 30 * S;
		four_refusals(f);
		syns(f, 2, 10 * S);
		fl.left = budget;
		ok = dt_rules_run(&f->cfg, f->cap) == 0;
		if (!ok)
			ck_assert(f->mem.failed);
		fx_free(f);	/* leak-free either way */
	}
	ck_assert(ok);
	ck_assert_uint_gt(budget, 1);
}
END_TEST

/* ---- packet-dropped ----------------------------------------------------- */

/* pktmon saw one of the connection's packets dropped on the client, as
   flow/ records it (dt_flow_drop): a = TCP flags | 0x100 for the first
   stream byte of its direction, b = payload bytes. */
static void
drop(struct fx *f, struct dt_conn *c, int dir, uint64_t frame, uint16_t a,
    uint32_t b)
{
	struct dt_drop *dx = dt_conn_drop_make(&f->mem, c);

	ck_assert_ptr_nonnull(dx);
	if (dx->frame == 0) {
		dx->frame = frame;
		dx->dir = (uint8_t)dir;
		snprintf(dx->component, sizeof dx->component, "Wfp");
		snprintf(dx->reason, sizeof dx->reason, "WFP filter drop");
		snprintf(dx->location, sizeof dx->location, "0xE0004A0B");
	}
	dx->n++;
	ck_assert_int_eq(dt_conn_add_event(&f->mem, c, DT_EV_DROPPED,
	    (uint8_t)dir, frame, T0 + (int64_t)frame * S / 10, a, b), 0);
}

/* The server's SYN-ACK reached the NIC but was dropped above it, twice:
   the client never saw an answer to its SYN. */
START_TEST(dropped_synack)
{
	struct fx *f = fx_new();
	struct dt_conn *c = tcp_up(f, 10);
	const struct dt_verdict *v;

	drop(f, c, DT_S2C, 3, 0x12, 0);
	drop(f, c, DT_S2C, 7, 0x12, 0);
	tied(f, 10);
	run(f);
	v = expect_v(f, "packet-dropped", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x274c, "WSAETIMEDOUT", FR(3, 7));
	ck_assert_str_eq(v->summary, "pktmon saw the server's SYN-ACK "
	    "(frame 3) dropped on the client at component 'Wfp', reason 'WFP "
	    "filter drop' (drop location 0xE0004A0B), and the handshake "
	    "never completed; 2 drops on this connection (frames 3, 7)"
	    " (IP-HTTPS: address from the DNS answer in frame 901)");
	ck_assert_ptr_nonnull(strstr(v->remedy, "netsh wfp show state"));
	ck_assert_ptr_nonnull(strstr(v->remedy, "198.19.0.10:443"));
	ck_assert_uint_eq(count(f, NULL), 1);
	fx_free(f);
}
END_TEST

/* The ClientHello itself was dropped on its way out: no server reply,
   and handshake-incomplete gives way to the explanation. */
START_TEST(dropped_client_hello)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	const struct dt_verdict *v;

	drop(f, c, DT_C2S, 5, 0x100 | 0x18, 517);
	f->cap->last_time = c->last_time + 20 * S;
	run(f);
	v = expect_v(f, "packet-dropped", 1, DT_SEV_ERROR, DT_CONF_HIGH,
	    0x274c, "WSAETIMEDOUT", FR(5));
	ck_assert_ptr_nonnull(strstr(v->summary, "pktmon saw the client's "
	    "ClientHello (frame 5, 517 bytes) dropped on the client at "
	    "component 'Wfp'"));
	ck_assert_ptr_nonnull(strstr(v->summary, "; 1 drop on this "
	    "connection (frame 5)"));
	ck_assert_uint_eq(count(f, "handshake-incomplete"), 0);
	ck_assert_uint_eq(count(f, NULL), 1);
	fx_free(f);
}
END_TEST

/* Past the ServerHello (the client sent its CCS), a later server packet
   dropped: the drop explains the stall, but not as an unanswered
   SYN/ClientHello, and a plain ACK is weaker evidence. */
START_TEST(dropped_late_in_handshake)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	hello_done(f, c);
	c->tls->ccs_frame[DT_C2S] = 10;
	drop(f, c, DT_S2C, 11, 0x10, 0);
	run(f);
	expect_v(f, "packet-dropped", 1, DT_SEV_ERROR, DT_CONF_MEDIUM, 0,
	    NULL, FR(11));
	ck_assert_ptr_nonnull(strstr(find(f, "packet-dropped", 1)->summary,
	    "a server ACK (frame 11)"));
	ck_assert_uint_eq(count(f, "handshake-incomplete"), 0);
	fx_free(f);
}
END_TEST

/* Drops after a completed handshake, or after the server had refused,
   did not decide the outcome: a warning, beside the deciding verdict. */
START_TEST(dropped_not_deciding)
{
	struct fx *f = fx_new();
	struct dt_conn *c = iphttps_hello(f);
	struct dt_conn *d;
	const struct dt_verdict *v;

	server_hello(f, c, 0x0303, NULL_SHA256);
	server_cert(f, c, "CN=" HOST, "CN=Corp CA", HOST, "aa");
	hello_done(f, c);
	finish(f, c);
	drop(f, c, DT_S2C, 20, 0x18, 100);
	d = iphttps_hello(f);
	alert(f, d, DT_S2C, 105, 40);
	close_by(f, d, DT_S2C, 106, 0);
	drop(f, d, DT_C2S, 107, 0x11, 0);
	run(f);
	v = expect_v(f, "packet-dropped", 1, DT_SEV_WARNING, DT_CONF_HIGH, 0,
	    NULL, FR(20));
	ck_assert_ptr_nonnull(strstr(v->summary, "pktmon saw a server data "
	    "packet (frame 20, 100 bytes) dropped"));
	ck_assert_ptr_null(strstr(v->summary, "never completed"));
	ck_assert_ptr_nonnull(find(f, "handshake-ok", 1));
	v = expect_v(f, "packet-dropped", 2, DT_SEV_WARNING, DT_CONF_HIGH, 0,
	    NULL, FR(107));
	ck_assert_ptr_nonnull(strstr(v->summary, "the client's FIN"));
	ck_assert_ptr_nonnull(find(f, "null-cipher-absent", 2));
	fx_free(f);
}
END_TEST

/* No drop, no verdict; a drop with no component name or reason still
   says so rather than printing nothing. */
START_TEST(dropped_without_details)
{
	struct fx *f = fx_new();
	struct dt_conn *c = tcp_up(f, 10);
	const struct dt_verdict *v;
	struct dt_drop *dx;

	tied(f, 10);
	run(f);
	ck_assert_uint_eq(count(f, "packet-dropped"), 0);
	dt_capture_free(f->cap);
	f->cap = dt_calloc(&f->mem, 1, sizeof *f->cap);
	ck_assert_ptr_nonnull(f->cap);
	f->cap->mem = &f->mem;
	f->cap->last_time = T0 + 30 * S;
	c = tcp_up(f, 10);
	ck_assert_ptr_nonnull(dx = dt_conn_drop_make(&f->mem, c));
	dx->frame = 3;
	dx->n = 1;
	dx->dir = DT_S2C;
	snprintf(dx->component, sizeof dx->component, "component 7");
	tied(f, 10);
	run(f);
	v = expect_v(f, "packet-dropped", 1, DT_SEV_ERROR, DT_CONF_MEDIUM,
	    0x274c, "WSAETIMEDOUT", FR(3));
	ck_assert_str_eq(v->summary, "pktmon saw a server packet (frame 3) "
	    "dropped on the client at component 'component 7', reason 'not "
	    "given', and the handshake never completed; 1 drop on this "
	    "connection (frame 3) (IP-HTTPS: address from the DNS answer in "
	    "frame 901)");
	fx_free(f);
}
END_TEST

/* The verdict text writer writes what snprintf wrote, and cuts where it
   cut, NUL-terminated, for every room from 1 byte up. */
START_TEST(text_writer_cuts_as_snprintf)
{
	static const uint64_t nums[] = { 0, 7, 10, 99, 100, 65535, 1000000,
	    4294967295u, UINT64_MAX };
	char got[48], want[48], suite[96];
	struct dt_text t;
	size_t room, i;

	for (i = 0; i < sizeof nums / sizeof nums[0]; i++)
		for (room = 1; room <= sizeof got; room++) {
			dt_text_init(&t, got, room);
			dt_text_put(&t, "frame ");
			dt_text_u64(&t, nums[i]);
			dt_text_put(&t, ", suite ");
			dt_text_hex4(&t, (uint16_t)nums[i]);
			snprintf(want, room, "frame %llu, suite 0x%04X",
			    (unsigned long long)nums[i],
			    (unsigned)(uint16_t)nums[i]);
			ck_assert_str_eq(got, want);
			ck_assert_uint_eq(t.n, strlen(want));
		}
	/* the names as dt_tls_suite_str() and dt_tls_version_str() give
	   them, cut as they are */
	for (room = 1; room <= sizeof got; room++) {
		dt_text_init(&t, got, room);
		dt_text_suite(NULL, &t, 0x003B);
		dt_text_put(&t, " / ");
		dt_text_version(NULL, &t, 0x0303);
		dt_text_put(&t, " / ");
		dt_text_suite(NULL, &t, 0xFEFE);
		snprintf(want, room, "%s / TLS 1.2 / suite 0xFEFE",
		    dt_tls_suite_str(0x003B, suite, sizeof suite));
		ck_assert_str_eq(got, want);
	}
	ck_assert_str_eq(dt_tls_suite_str(0x003B, suite, sizeof suite),
	    "TLS_RSA_WITH_NULL_SHA256 (0x003B)");
	ck_assert_str_eq(dt_tls_suite_str(0x003B, suite, 9), "TLS_RSA_");
	ck_assert_str_eq(dt_tls_version_str(0x1234, suite, sizeof suite),
	    "0x1234");
	ck_assert_str_eq(dt_tls_version_str(0x0304, suite, 4), "TLS");
}
END_TEST

/* The pass's memo of names gives what the plain writers give, the keys'
   ends too (suite 0xFFFF and version 0xFFFF), and asked again */
START_TEST(text_names_memo_as_plain)
{
	static const uint16_t nums[] = { 0x0000, 0x003B, 0x0303, 0xC02B,
	    0xFEFE, 0xFFFF };
	struct dt_rule_memos *mm = calloc(1, sizeof *mm);
	struct dt_rule_ctx ctx;
	char got[256], want[256];
	struct dt_text t;
	size_t i, pass;

	ck_assert_ptr_nonnull(mm);
	memset(&ctx, 0, sizeof ctx);
	ctx.memos = mm;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
			dt_text_init(&t, want, sizeof want);
			dt_text_suite(NULL, &t, nums[i]);
			dt_text_put(&t, " / ");
			dt_text_version(NULL, &t, nums[i]);
			dt_text_init(&t, got, sizeof got);
			dt_text_suite(&ctx, &t, nums[i]);
			dt_text_put(&t, " / ");
			dt_text_version(&ctx, &t, nums[i]);
			ck_assert_str_eq(got, want);
		}
	free(mm);
}
END_TEST

/* ---- the suite ---------------------------------------------------------- */

static Suite *
rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, table_lists_every_spec_id);
	tcase_add_test(tc, text_writer_cuts_as_snprintf);
	tcase_add_test(tc, text_names_memo_as_plain);
	tcase_add_test(tc, summaries_packed_then_text);
	tcase_add_test(tc, null_handshake_ok);
	tcase_add_test(tc, null_handshake_ok_late_alert);
	tcase_add_test(tc, null_offered_aes_chosen);
	tcase_add_loop_test(tc, refused_before_server_hello, 0,
	    (int)(sizeof refusals / sizeof refusals[0]));
	tcase_add_test(tc, server_picked_version_not_offered);
	tcase_add_test(tc, client_cert_empty_then_alert);
	tcase_add_test(tc, client_cert_empty_accepted_is_info);
	tcase_add_test(tc, client_cert_good_no_verdict);
	tcase_add_test(tc, client_cert_rejected_issuer_not_listed);
	tcase_add_test(tc, client_cert_rejected_issuer_listed);
	tcase_add_test(tc, untrusted_by_ca);
	tcase_add_test(tc, untrusted_by_client_alert);
	tcase_add_test(tc, untrusted_bad_certificate_says_what_else);
	tcase_add_test(tc, heartbeat_after_hello_done);
	tcase_add_test(tc, incomplete_repeated_hello_reset);
	tcase_add_test(tc, untrusted_silent_close_is_low);
	tcase_add_test(tc, expired_by_time);
	tcase_add_test(tc, expired_by_alert_only);
	tcase_add_test(tc, name_mismatch);
	tcase_add_test(tc, name_matches_wildcard_no_verdict);
	tcase_add_test(tc, inspection_by_ca_name);
	tcase_add_test(tc, inspection_by_extra_ca_name);
	tcase_add_test(tc, inspection_by_expected_cert_and_ttl);
	tcase_add_test(tc, expected_cert_matches_no_inspection);
	tcase_add_test(tc, inspection_or_renewal);
	tcase_add_test(tc, wrong_server_non_tls);
	tcase_add_test(tc, wrong_server_greeting);
	tcase_add_test(tc, wrong_server_starttls_refused);
	tcase_add_test(tc, wrong_server_device_cert);
	tcase_add_test(tc, wrong_server_other_cert);
	tcase_add_test(tc, wrong_server_http_reply);
	tcase_add_test(tc, tunnel_reply_no_verdict);
	tcase_add_test(tc, no_answer);
	tcase_add_test(tc, no_answer_capture_too_short);
	tcase_add_test(tc, no_answer_then_answered_is_warning);
	tcase_add_test(tc, refused_then_accepted_is_warning);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, other_port_not_judged);
	tcase_add_test(tc, same_server_attempts_marked);
	tcase_add_test(tc, all_judges_other_connections);
	tcase_add_test(tc, healthy_other_host_no_verdict);
	tcase_add_test(tc, other_name_than_host_not_candidate);
	tcase_add_test(tc, reason_printable_shared);
	tcase_add_test(tc, dns_nxdomain);
	tcase_add_test(tc, dns_no_data);
	tcase_add_test(tc, dns_aaaa_empty_a_ok_no_verdict);
	tcase_add_test(tc, dns_guessed_name);
	tcase_add_test(tc, proxy_407);
	tcase_add_test(tc, proxy_later_success_no_verdict);
	tcase_add_test(tc, proxy_reset_no_host);
	tcase_add_test(tc, crl_404);
	tcase_add_test(tc, crl_via_proxy_then_success);
	tcase_add_test(tc, crl_dns_and_tcp);
	tcase_add_test(tc, incomplete_capture_ended);
	tcase_add_test(tc, incomplete_client_gave_up);
	tcase_add_test(tc, incomplete_client_closed_before_answer);
	tcase_add_test(tc, no_iphttps_midstream_on_port);
	tcase_add_test(tc, no_iphttps_many_ports);
	tcase_add_test(tc, truncated_suppresses_absence_verdicts);
	tcase_add_test(tc, truncated_by_gap_not_snaplen);
	tcase_add_test(tc, truncated_but_alert_seen);
	tcase_add_test(tc, server_finished_lost_still_ok);
	tcase_add_test(tc, empty_capture);
	tcase_add_test(tc, attempts_counted);
	tcase_add_test(tc, attempts_listed_to_their_bound);
	tcase_add_test(tc, order_is_deterministic);
	tcase_add_test(tc, allocation_failure);
	tcase_add_test(tc, dropped_synack);
	tcase_add_test(tc, dropped_client_hello);
	tcase_add_test(tc, dropped_late_in_handshake);
	tcase_add_test(tc, dropped_not_deciding);
	tcase_add_test(tc, dropped_without_details);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(rules_suite)
