/*
 * The rule registry and the judging pass (SPEC §2). dt_rules[] is built from
 * rules.def, in that order. dt_rules_run() first decides which connections
 * are IP-HTTPS ("Which connections are IP-HTTPS": the server name equals
 * --host; else NULL suites offered, which browsers never do; else the
 * IP-HTTPS/SSTP streaming POST, Content-Length 18446744073709551615
 * [MS-IPHTTPS 3.2.5.1, MS-SSTP 3.2.5.2], in a NULL-cipher session; else a
 * proxy CONNECT to the host; when nothing marks any connection, every TLS
 * connection and every attempt to the port set is a candidate), then runs
 * the per-connection rules over the candidates (over every TLS connection
 * too with --all), then the capture-wide rules.
 *
 * Repeated attempts: each connection keeps its own verdicts (so every
 * connection's ladder shows why it failed), and the first verdict of a run
 * of same-id verdicts against the same server gets the count and the
 * connection list appended to its summary ("4 attempts to 198.19.0.10:443
 * (connections 1, 2, 3, 4) ended the same way").
 */
#include "rules/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datrace.h"
#include "tls/tls.h"
#include "x509/x509.h"

const struct dt_rule *const dt_rules[] = {
#define DT_RULE(name) &dt_rule_##name,
#include "rules/rules.def"
#undef DT_RULE
};
const size_t dt_rules_count = sizeof dt_rules / sizeof dt_rules[0];

#define STREAM_LENGTH "18446744073709551615"	/* ULONGLONG_MAX */
#define GROUP_MAX 4096		/* verdicts grouped at most (quadratic pass) */

static const uint16_t default_ports[] = { 443, 0 };

int
dt_rule_at(size_t i, const char **id, dt_severity *severity,
    const char **summary)
{
	if (i >= dt_rules_count)
		return DT_ITEROVER;
	if (id != NULL)
		*id = dt_rules[i]->id;
	if (severity != NULL)
		*severity = dt_rules[i]->severity;
	if (summary != NULL)
		*summary = dt_rules[i]->summary;
	return DT_OK;
}

/* ---- small helpers ------------------------------------------------------ */

static int
lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

int
dt_rule_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	while (*a != '\0' && lower((unsigned char)*a) ==
	    lower((unsigned char)*b))
		a++, b++;
	return *a == '\0' && *b == '\0';
}

int
dt_rule_contains(const char *hay, const char *needle)
{
	size_t i, j;

	if (hay == NULL || needle == NULL || *needle == '\0')
		return 0;
	for (i = 0; hay[i] != '\0'; i++) {
		for (j = 0; needle[j] != '\0' && hay[i + j] != '\0'; j++)
			if (lower((unsigned char)hay[i + j]) !=
			    lower((unsigned char)needle[j]))
				break;
		if (needle[j] == '\0')
			return 1;
	}
	return 0;
}

/* Next significant character of a DN: blanks next to a separator skipped. */
static const char *
dn_next(const char *p, const char *start)
{
	while (*p == ' ') {
		const char *q = p;

		while (*q == ' ')
			q++;
		if ((p > start && strchr(",+=;", p[-1]) != NULL) ||
		    *q == '\0' || strchr(",+=;", *q) != NULL)
			p = q;
		else
			break;
	}
	return p;
}

int
dt_rule_dn_eq(const char *a, const char *b)
{
	const char *sa = a, *sb = b;

	if (a == NULL || b == NULL)
		return 0;
	for (;;) {
		int ca, cb;

		a = dn_next(a, sa);
		b = dn_next(b, sb);
		ca = lower((unsigned char)*a);
		cb = lower((unsigned char)*b);
		if (ca == ';')
			ca = ',';
		if (cb == ';')
			cb = ',';
		if (ca != cb)
			return 0;
		if (ca == '\0')
			return 1;
		a++, b++;
	}
}

/* The port is in the IP-HTTPS port set (443 when none is given). */
static int
dt_rule_in_ports(const struct dt_rules_config *cfg, uint16_t port)
{
	const uint16_t *p = cfg != NULL && cfg->ports != NULL &&
	    cfg->ports[0] != 0 ? cfg->ports : default_ports;

	for (; *p != 0; p++)
		if (*p == port)
			return 1;
	return 0;
}

/* The server name seen on the wire (SNI, else HTTP Host), or NULL. */
static const char *
dt_rule_wire_name(const struct dt_conn *c)
{
	if (c->tls.sni != NULL && c->tls.sni[0] != '\0')
		return c->tls.sni;
	if (c->tls.http_request.frame != 0 && c->tls.http_request.host != NULL &&
	    c->tls.http_request.host[0] != '\0')
		return c->tls.http_request.host;
	return NULL;
}

const char *
dt_rule_host(const struct dt_rule_ctx *ctx, const struct dt_conn *c)
{
	if (ctx->cfg != NULL && ctx->cfg->host != NULL &&
	    ctx->cfg->host[0] != '\0')
		return ctx->cfg->host;
	return c != NULL ? dt_rule_wire_name(c) : NULL;
}

/*
 * A wire name ("host", "host:port", "host.", "[v6]:port") against a name:
 * case-insensitive, port and trailing dot ignored on both sides.
 */
static size_t
name_len(const char *s)
{
	size_t n = strlen(s);
	const char *colon = strrchr(s, ':');

	if (s[0] != '[' && colon != NULL && strchr(s, ':') == colon)
		n = (size_t)(colon - s);
	else if (s[0] == '[' && (colon = strstr(s, "]:")) != NULL)
		n = (size_t)(colon - s) + 1;
	if (n > 0 && s[n - 1] == '.')
		n--;
	return n;
}

int
dt_rule_host_eq(const char *a, const char *b)
{
	size_t na, nb, i;

	if (a == NULL || b == NULL)
		return 0;
	na = name_len(a);
	nb = name_len(b);
	if (na != nb || na == 0)
		return 0;
	for (i = 0; i < na; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

static uint16_t
name_port(const char *s)
{
	const char *colon = strrchr(s, ':');
	unsigned long v;
	char *end;

	if (colon == NULL || (s[0] != '[' && strchr(s, ':') != colon) ||
	    (s[0] == '[' && colon[-1] != ']'))
		return 0;
	v = strtoul(colon + 1, &end, 10);
	return *end == '\0' && v > 0 && v < 65536 ? (uint16_t)v : 0;
}

const struct dt_cert *
dt_rule_leaf(const struct dt_conn *c)
{
	if (c->tls.n_server_certs == 0 || c->tls.server_certs == NULL)
		return NULL;
	if (c->tls.server_certs[0].parse_error != NULL &&
	    c->tls.server_certs[0].subject == NULL)
		return NULL;
	return &c->tls.server_certs[0];
}

int
dt_rule_hs_complete(const struct dt_conn *c)
{
	const struct dt_tls_facts *t = &c->tls;
	uint64_t last;

	if (t->sh_frame == 0)
		return 0;
	if (t->finished_frame[DT_C2S] != 0 && t->finished_frame[DT_S2C] != 0)
		return 1;
	if (t->ccs_frame[DT_C2S] != 0 && t->ccs_frame[DT_S2C] != 0 &&
	    t->appdata_frame[DT_C2S] != 0 && t->appdata_frame[DT_S2C] != 0)
		return 1;
	/* TLS 1.2 without False Start (RFC 7918 needs forward secrecy, so
	   never with NULL/RSA suites): the client sends application data
	   only after it checked the server's Finished - which the capture
	   may have lost. */
	if (t->version != 0x0304 && t->ccs_frame[DT_C2S] != 0 &&
	    t->appdata_frame[DT_C2S] > t->ccs_frame[DT_C2S] &&
	    (t->alert_frame == 0 || t->alert_frame > t->appdata_frame[DT_C2S]))
		return 1;
	if (t->version == 0x0304 && t->appdata_frame[DT_C2S] != 0 &&
	    t->appdata_frame[DT_S2C] != 0) {
		last = t->appdata_frame[DT_C2S] > t->appdata_frame[DT_S2C] ?
		    t->appdata_frame[DT_C2S] : t->appdata_frame[DT_S2C];
		return t->alert_frame == 0 || t->alert_frame > last;
	}
	return 0;
}

/* First frame at or after `after` where `dir` closed (FIN or RST), 0: none. */
static uint64_t
closed_by(const struct dt_conn *c, int dir, uint64_t after)
{
	uint64_t f = 0;

	if (c->fin_frame[dir] != 0 && c->fin_frame[dir] >= after)
		f = c->fin_frame[dir];
	if (c->rst_frame != 0 && c->rst_dir == dir && c->rst_frame >= after &&
	    (f == 0 || c->rst_frame < f))
		f = c->rst_frame;
	return f;
}

int
dt_rule_refused_hello(const struct dt_conn *c, uint64_t *frame, int *alert)
{
	const struct dt_tls_facts *t = &c->tls;
	uint64_t srv, cli;

	if (t->ch_frame == 0 || t->sh_frame != 0 ||
	    (t->non_tls_frame != 0 && t->non_tls_dir == DT_S2C))
		return 0;
	srv = closed_by(c, DT_S2C, t->ch_frame);
	cli = closed_by(c, DT_C2S, t->ch_frame);
	if (t->alert_frame != 0 && t->alert_frame >= t->ch_frame) {
		if (t->alert_dir == DT_C2S) {
			if (srv == 0 || srv > t->alert_frame)
				return 0;	/* the client gave up first */
		} else if (cli == 0 || cli > t->alert_frame) {
			*frame = t->alert_frame;
			*alert = t->alert_desc != 0 ? t->alert_desc : -1;
			return 1;
		}
	}
	if (srv == 0 || (cli != 0 && cli < srv))
		return 0;
	*frame = srv;
	*alert = -1;
	return 1;
}

int
dt_rule_ttl_differs(const struct dt_conn *c)
{
	return c->ttl_synack != 0 && c->ttl_server_data != 0 &&
	    c->ttl_synack != c->ttl_server_data;
}

int
dt_rule_tls_cut(const struct dt_conn *c)
{
	if (dt_rule_hs_complete(c))
		return 0;
	if (c->tls.truncated)
		return 1;
	if (c->tls.alert_frame != 0)
		return 0;
	return c->truncated || c->gap_bytes[DT_C2S] != 0 ||
	    c->gap_bytes[DT_S2C] != 0;
}

const char *
dt_rule_suite_str(uint16_t suite, char *buf, size_t n)
{
	const char *name = dt_tls_suite_name(suite);

	if (name != NULL)
		snprintf(buf, n, "%s (0x%04X)", name, suite);
	else
		snprintf(buf, n, "suite 0x%04X", suite);
	return buf;
}

const char *
dt_rule_alert_str(uint8_t desc, char *buf, size_t n)
{
	const char *name = dt_tls_alert_name(desc);

	if (name != NULL)
		snprintf(buf, n, "%s (%u)", name, desc);
	else
		snprintf(buf, n, "alert %u", desc);
	return buf;
}

const char *
dt_rule_version_str(uint16_t v, char *buf, size_t n)
{
	const char *name = dt_tls_version_name(v);

	if (name != NULL)
		snprintf(buf, n, "%s", name);
	else
		snprintf(buf, n, "version 0x%04X", v);
	return buf;
}

int
dt_rule_conn_has(const struct dt_rule_ctx *ctx, const struct dt_conn *c,
    dt_severity sev)
{
	const struct dt_verdict *v;

	v = ctx->conn_mark != NULL ? ctx->conn_mark->next : ctx->cap->verdicts;
	for (; v != NULL; v = v->next)
		if (v->conn == c->id && v->severity >= sev)
			return 1;
	return 0;
}

struct dt_conn *
dt_rule_conn(const struct dt_rule_ctx *ctx, uint32_t id)
{
	struct dt_conn *c;

	for (c = ctx->cap->conns; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* ---- verdicts ----------------------------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Explanations and remedies are mostly the same few texts for thousands of
 * verdicts (a day of failed attempts); they are kept once per capture.
 * Only ASCII texts are shared: the public accessors may replace a string
 * that is not UTF-8 with a cleaned copy, which a shared one must never be.
 */
#define MAX_SHARED_TEXTS 256

static char *
shared_text(struct dt_capture *cap, const char *s)
{
	char **v;
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] >= 0x80)
			return NULL;
	for (i = 0; i < cap->n_texts; i++)
		if (strcmp(cap->texts[i], s) == 0)
			return cap->texts[i];
	if (cap->n_texts == MAX_SHARED_TEXTS)
		return NULL;
	v = dt_realloc(cap->mem, cap->texts, (cap->n_texts + 1) * sizeof *v);
	if (v == NULL)
		return NULL;
	cap->texts = v;
	v[cap->n_texts] = dt_strdup(cap->mem, s);
	if (v[cap->n_texts] == NULL)
		return NULL;
	return v[cap->n_texts++];
}

struct dt_verdict *
dt_verdict_add(struct dt_rule_ctx *ctx, const struct dt_rule *rule,
    const struct dt_conn *c, dt_confidence conf, uint32_t win_code,
    const char *win_name, const uint64_t *frames, size_t n_frames,
    const char *summary, const char *explanation, const char *remedy)
{
	struct dt_capture *cap = ctx->cap;
	struct dt_mem *m = cap->mem;
	struct dt_verdict *v;
	size_t i, n = 0;

	if (frames != NULL && n_frames == 0)
		while (frames[n_frames] != 0)
			n_frames++;
	v = dt_calloc(m, 1, sizeof *v);
	if (v == NULL)
		return NULL;
	v->id = rule->id;
	v->severity = rule->severity;
	v->confidence = conf;
	v->win_code = win_code;
	v->win_name = win_code != 0 ? win_name : NULL;
	v->conn = c != NULL ? c->id : 0;
	if (n_frames > 0) {
		v->frames = dt_calloc(m, n_frames, sizeof *v->frames);
		if (v->frames == NULL)
			goto fail;
		for (i = 0; i < n_frames; i++)
			if (frames[i] != 0)
				v->frames[n++] = frames[i];
		qsort(v->frames, n, sizeof *v->frames, cmp_u64);
		v->n_frames = 0;
		for (i = 0; i < n; i++)
			if (v->n_frames == 0 ||
			    v->frames[v->n_frames - 1] != v->frames[i])
				v->frames[v->n_frames++] = v->frames[i];
	}
	v->summary = dt_strdup(m, summary != NULL ? summary : "");
	if (explanation == NULL)
		explanation = "";
	if (remedy == NULL)
		remedy = "";
	if ((v->explanation = shared_text(cap, explanation)) != NULL)
		v->shared_text |= 1;
	else
		v->explanation = dt_strdup(m, explanation);
	if ((v->remedy = shared_text(cap, remedy)) != NULL)
		v->shared_text |= 2;
	else
		v->remedy = dt_strdup(m, remedy);
	if (v->summary == NULL || v->explanation == NULL || v->remedy == NULL)
		goto fail;
	if (cap->verdicts_tail != NULL)
		cap->verdicts_tail->next = v;
	else
		cap->verdicts = v;
	cap->verdicts_tail = v;
	cap->n_verdicts++;
	return v;
fail:
	dt_free(m, v->frames);
	dt_free(m, v->summary);
	if (!(v->shared_text & 1))
		dt_free(m, v->explanation);
	if (!(v->shared_text & 2))
		dt_free(m, v->remedy);
	dt_free(m, v);
	return NULL;
}

/* ---- which connections are IP-HTTPS ------------------------------------- */

static int
addr_eq(const struct dt_addr *a, const struct dt_addr *b)
{
	return a->family == b->family &&
	    memcmp(a->a, b->a, a->family == 6 ? 16 : 4) == 0;
}

/* The server address was a DNS answer for `name`. */
static int
resolved_from(const struct dt_capture *cap, const char *name,
    const struct dt_addr *addr)
{
	const struct dt_dns *d;
	size_t i;

	for (d = cap->dns; d != NULL; d = d->next) {
		if (!dt_rule_host_eq(d->name, name) &&
		    !(d->cname != NULL && dt_rule_host_eq(d->cname, name)))
			continue;
		for (i = 0; i < d->n_addrs; i++)
			if (addr_eq(&d->addrs[i], addr))
				return 1;
	}
	return 0;
}

static int
stream_post(const struct dt_conn *c)
{
	const struct dt_tls_facts *t = &c->tls;
	const char *cl = t->http_request.content_length;

	if (t->http_request.frame == 0 || cl == NULL || t->sh_frame == 0 ||
	    !dt_tls_suite_is_null(t->suite))
		return 0;
	while (*cl == ' ' || *cl == '\t')
		cl++;
	return strncmp(cl, STREAM_LENGTH, sizeof STREAM_LENGTH - 1) == 0 &&
	    (cl[sizeof STREAM_LENGTH - 1] == '\0' ||
	    cl[sizeof STREAM_LENGTH - 1] == ' ' ||
	    cl[sizeof STREAM_LENGTH - 1] == '\r');
}

static void
mark_conn_id(struct dt_capture *cap, uint32_t id)
{
	struct dt_conn *c;

	for (c = cap->conns; c != NULL; c = c->next)
		if (c->id == id)
			c->iphttps = 1;
}

static int
is_connect(const struct dt_http *h)
{
	return h->method != NULL && strcmp(h->method, "CONNECT") == 0 &&
	    h->uri != NULL;
}

/* Some marked connection was made to this name. */
static int
marked_name(const struct dt_capture *cap, const char *name)
{
	const struct dt_conn *c;

	for (c = cap->conns; c != NULL; c = c->next)
		if (c->iphttps && dt_rule_host_eq(dt_rule_wire_name(c), name))
			return 1;
	return 0;
}

static void
mark(struct dt_rule_ctx *ctx)
{
	const struct dt_rules_config *cfg = ctx->cfg;
	struct dt_capture *cap = ctx->cap;
	const char *host = cfg->host != NULL && cfg->host[0] != '\0' ?
	    cfg->host : NULL;
	struct dt_conn *c, *m;
	struct dt_http *h;

	ctx->any_marked = 0;
	for (c = cap->conns; c != NULL; c = c->next) {
		const char *name = dt_rule_wire_name(c);

		/* Browsers never offer NULL suites: an offer marks the
		   connection whatever name it carries. */
		c->iphttps = (host != NULL && dt_rule_host_eq(name, host)) ||
		    c->tls.offered_null || stream_post(c);
	}
	for (h = cap->http; h != NULL; h = h->next)
		if (is_connect(h) && (host != NULL ? dt_rule_host_eq(h->uri, host) :
		    marked_name(cap, h->uri)))
			mark_conn_id(cap, h->conn);
	for (c = cap->conns; c != NULL; c = c->next)
		ctx->any_marked |= c->iphttps;

	if (ctx->any_marked) {
		/* Attempts that never got as far as a name (TCP failures,
		   no SNI) to a marked server, or to an address DNS gave for
		   the host, are attempts at the same tunnel. */
		for (c = cap->conns; c != NULL; c = c->next) {
			if (c->iphttps || dt_rule_wire_name(c) != NULL ||
			    c->tls.http_request.frame != 0)
				continue;
			if (host != NULL && resolved_from(cap, host,
			    &c->server) && dt_rule_in_ports(cfg, c->server_port)) {
				c->iphttps = 2;
				continue;
			}
			for (m = cap->conns; m != NULL; m = m->next)
				if (m->iphttps == 1 &&
				    m->server_port == c->server_port &&
				    addr_eq(&m->server, &c->server)) {
					c->iphttps = 2;
					break;
				}
		}
		for (c = cap->conns; c != NULL; c = c->next)
			if (c->iphttps)
				c->iphttps = 1;
		return;
	}
	/* Nothing marked: every TLS connection and every attempt to the port
	   set - except those that name another server than --host. */
	for (c = cap->conns; c != NULL; c = c->next)
		if ((c->tls.seen || dt_rule_in_ports(cfg, c->server_port)) &&
		    (host == NULL || dt_rule_wire_name(c) == NULL))
			c->iphttps = 1;
	for (h = cap->http; h != NULL; h = h->next)
		if (is_connect(h) && dt_rule_in_ports(cfg, name_port(h->uri)))
			mark_conn_id(cap, h->conn);
}

static int
judged(const struct dt_rule_ctx *ctx, const struct dt_conn *c)
{
	if (c->iphttps)
		return 1;
	return ctx->cfg->all && (c->tls.seen ||
	    dt_rule_in_ports(ctx->cfg, c->server_port));
}

/* ---- repeated attempts -------------------------------------------------- */

static const struct dt_conn *
find_in(struct dt_conn *const *idx, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (idx[mid]->id == id)
			return idx[mid];
		if (idx[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
group_attempts(struct dt_rule_ctx *ctx)
{
	struct dt_capture *cap = ctx->cap;
	struct dt_mem *mem = cap->mem;
	struct dt_conn **idx = NULL, *c;
	struct dt_verdict **vs = NULL, *v;
	unsigned char *done = NULL;
	size_t nc = 0, nv = 0, i, j;

	if (cap->n_verdicts < 2 || cap->n_verdicts > GROUP_MAX)
		return;
	for (c = cap->conns; c != NULL; c = c->next)
		nc++;
	idx = dt_calloc(mem, nc ? nc : 1, sizeof *idx);
	vs = dt_calloc(mem, cap->n_verdicts, sizeof *vs);
	done = dt_calloc(mem, cap->n_verdicts, 1);
	if (idx == NULL || vs == NULL || done == NULL)
		goto out;
	nc = 0;
	for (c = cap->conns; c != NULL; c = c->next) {
		/* ids ascend in the list; keep the index sorted anyway */
		if (nc > 0 && idx[nc - 1]->id >= c->id)
			goto out;
		idx[nc++] = c;
	}
	for (v = cap->verdicts; v != NULL && nv < cap->n_verdicts; v = v->next)
		vs[nv++] = v;
	for (i = 0; i < nv; i++) {
		const struct dt_conn *ci, *cj;
		char buf[DT_RULE_TEXT], *s;
		size_t count = 1, len;
		int k;

		if (done[i] || vs[i]->conn == 0 ||
		    vs[i]->severity == DT_SEV_INFO ||
		    (ci = find_in(idx, nc, vs[i]->conn)) == NULL)
			continue;
		k = snprintf(buf, sizeof buf, "connections %u", ci->id);
		for (j = i + 1; j < nv; j++) {
			if (done[j] || vs[j]->conn == 0 ||
			    vs[j]->conn == vs[i]->conn ||
			    strcmp(vs[j]->id, vs[i]->id) != 0 ||
			    (cj = find_in(idx, nc, vs[j]->conn)) == NULL ||
			    cj->server_port != ci->server_port ||
			    !addr_eq(&cj->server, &ci->server))
				continue;
			done[j] = 1;
			count++;
			if (k > 0 && (size_t)k < sizeof buf - 16)
				k += snprintf(buf + k, sizeof buf - (size_t)k,
				    ", %u", cj->id);
			else if (k > 0 && (size_t)k < sizeof buf - 4) {
				snprintf(buf + k, sizeof buf - (size_t)k, ", ...");
				k = (int)sizeof buf;
			}
		}
		if (count < 2)
			continue;
		len = strlen(vs[i]->summary) + strlen(buf) + 128;
		s = dt_malloc(mem, len);
		if (s == NULL)
			goto out;
		snprintf(s, len, "%s; %zu attempts to %s (%s) ended the same way",
		    vs[i]->summary, count, ci->server_str, buf);
		dt_free(mem, vs[i]->summary);
		vs[i]->summary = s;
	}
out:
	dt_free(mem, idx);
	dt_free(mem, vs);
	dt_free(mem, done);
}

/* ---- the pass ----------------------------------------------------------- */

int
dt_rules_run(const struct dt_rules_config *cfg, struct dt_capture *cap)
{
	static const struct dt_rules_config none = { NULL, default_ports, 0,
	    NULL, NULL };
	struct dt_rule_ctx ctx;
	struct dt_conn *c;
	size_t i;

	ctx.cfg = cfg != NULL ? cfg : &none;
	ctx.cap = cap;
	ctx.any_marked = 0;
	ctx.conn_mark = NULL;
	ctx.crl_memo = NULL;
	ctx.n_crl_memo = 0;
	mark(&ctx);
	for (c = cap->conns; c != NULL; c = c->next) {
		if (!judged(&ctx, c))
			continue;
		ctx.conn_mark = cap->verdicts_tail;
		for (i = 0; i < dt_rules_count; i++)
			if (dt_rules[i]->check_conn != NULL)
				dt_rules[i]->check_conn(&ctx, c);
	}
	ctx.conn_mark = cap->verdicts_tail;
	for (i = 0; i < dt_rules_count; i++)
		if (dt_rules[i]->check_capture != NULL)
			dt_rules[i]->check_capture(&ctx);
	group_attempts(&ctx);
	dt_free(cap->mem, ctx.crl_memo);
	return cap->mem->failed ? -1 : 0;
}
