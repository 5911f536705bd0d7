/*
 * Which connections are IP-HTTPS, and how repeated attempts are grouped:
 * the cross-connection decisions the rules rely on (SPEC §2, "Which
 * connections are IP-HTTPS"). Every lookup goes through the capture's
 * index (rules/index.h), so the whole step is linear in connections, DNS
 * answers and HTTP exchanges.
 *
 * Selection: the server name equals --host; else NULL suites offered,
 * which browsers never do; else the IP-HTTPS/SSTP streaming POST,
 * Content-Length 18446744073709551615 [MS-IPHTTPS 3.2.5.1, MS-SSTP
 * 3.2.5.2], in a NULL-cipher session; else a proxy CONNECT to the host;
 * when nothing marks any connection, every TLS connection and every attempt
 * to the port set is a candidate.
 *
 * Repeated attempts: each connection keeps its own verdicts (so every
 * connection's ladder shows why it failed), and the first verdict of a run
 * of same-id verdicts against the same server gets the count and the
 * connection list appended to its summary ("4 attempts to 198.19.0.10:443
 * (connections 1, 2, 3, 4) ended the same way").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"
#include "tls/tls.h"
#include "x509/x509.h"

#define STREAM_LENGTH "18446744073709551615"	/* ULONGLONG_MAX */

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

/* ---- which connections are IP-HTTPS ------------------------------------- */

/* The length of the longest run of whole "; "-separated clauses of a
   reason that fits in max bytes (the first clause cut when even it does
   not), so that a reason quoted inside another never ends mid-word. */
static size_t
whole_clauses(const char *s, size_t max)
{
	size_t len = strlen(s), i, end = 0;

	if (len <= max)
		return len;
	for (i = 0; i + 1 < max; i++)
		if (s[i] == ';' && s[i + 1] == ' ')
			end = i;
	return end > 0 ? end : max;
}

/*
 * The evidence, and what each piece weighs in the identification score.
 * With --host a connection is IP-HTTPS only when something ties it to that
 * name (the TIE signals); without --host only when its score reaches
 * STRONG. The other signals add to the score (and so to the confidence of
 * the verdicts about the connection) but never decide alone.
 */
#define W_NAME 60	/* TIE: SNI / HTTP Host / proxy CONNECT is --host */
#define W_DNS 50	/* TIE: server address from a DNS answer for --host */
#define W_SERVER 40	/* same server as a connection identified by name */
#define W_CERT 40	/* TIE: no SNI, the certificate covers --host */
#define W_NULL 50	/* NULL suites offered: Windows 8+ IP-HTTPS does,
			   browsers never */
#define W_POST 60	/* POST /IPHTTPS, or the streaming Content-Length,
			   in a NULL-cipher session [MS-IPHTTPS 3.2.5.1] */
#define W_DALIKE 40	/* the name looks like a DirectAccess name */
#define W_PROXY 10	/* a proxy CONNECT to the IP-HTTPS port */
#define W_CCERT 20	/* a CertificateRequest answered with a certificate
			   (the computer certificate) */
#define W_RETRY 10	/* three or more attempts to one server */
#define W_TTL 5		/* the Windows initial TTL / hop limit, 128 */
#define W_PORT 10	/* TLS, or an attempt, on the IP-HTTPS port set */
#define STRONG DT_RULE_STRONG

struct why {
	int score, tie, other;	/* other: the wire names another host */
	size_t k;
	char text[DT_REASON_LEN];
};

static void
why_add(struct why *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
why_add(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->k >= sizeof w->text - 1)
		return;
	if (w->k > 0) {
		n = snprintf(w->text + w->k, sizeof w->text - w->k, "; ");
		w->k += n > 0 ? (size_t)n : 0;
	}
	va_start(ap, fmt);
	n = vsnprintf(w->text + w->k, sizeof w->text - w->k, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->k += (size_t)n;
	if (w->k >= sizeof w->text)
		w->k = sizeof w->text - 1;
}

/* The same, for the clauses every connection has (names, port, TTL,
   attempts), without a format to read: a clause begins (its "; "), then
   its pieces are appended; text is cut where why_add()'s would be. */
static void
why_cat(struct why *w, const char *s)
{
	size_t n = strlen(s), room = sizeof w->text - 1 - w->k;

	if (n > room)
		n = room;
	memcpy(w->text + w->k, s, n);
	w->k += n;
	w->text[w->k] = '\0';
}

static void
why_num(struct why *w, unsigned long long v)
{
	char b[24], *p = b + sizeof b - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	why_cat(w, p);
}

static void
why_begin(struct why *w)
{
	if (w->k > 0)
		why_cat(w, "; ");
}

static int
stream_post(const struct dt_conn *c)
{
	const char *cl = dt_tls_http(c->tls)->request.content_length;

	if (cl == NULL)
		return 0;
	while (*cl == ' ' || *cl == '\t')
		cl++;
	return strncmp(cl, STREAM_LENGTH, sizeof STREAM_LENGTH - 1) == 0 &&
	    (cl[sizeof STREAM_LENGTH - 1] == '\0' ||
	    cl[sizeof STREAM_LENGTH - 1] == ' ' ||
	    cl[sizeof STREAM_LENGTH - 1] == '\r');
}

static int
looks_like_da(const char *name)
{
	char key[DT_NAME_KEY];

	if (dt_rule_name_key(name, key, sizeof key) == 0)
		return 0;
	return strncmp(key, "da.", 3) == 0 || strstr(key, "directaccess") ||
	    strstr(key, "iphttps");
}

static int
iphttps_post(const struct dt_conn *c)
{
	const struct dt_http_msg *r = &dt_tls_http(c->tls)->request;

	if (r->frame == 0 || c->tls->sh_frame == 0 ||
	    !dt_tls_suite_is_null(c->tls->suite))
		return 0;
	return stream_post(c) || (r->line != NULL &&
	    strncmp(r->line, "POST /IPHTTPS", 13) == 0);
}

/* Whether a server name asked lately was --host: not compared again for
   the connections asking the same one (a client's attempts, the
   tunnel's name between the others') */
static int
is_host(struct dt_name_memo *hm, const char *name, const char *host)
{
	int known, *eq = dt_name_memo_at(hm, name, &known);

	if (!known)
		*eq = dt_rule_host_eq(name, host);
	return *eq;
}

/*
 * What a connection's reason says: each clause present with the values it
 * quotes (0 and NULL: the clause is absent). The reason is a function of
 * these alone, so connections alike (a client's attempts to one server,
 * the day's failed attempts to the IP-HTTPS server) share one written and
 * kept text through the memo below, and only the evidence is looked at
 * per connection. No padding: the key is compared as bytes.
 */
#define EV_NAME		0x0001	/* name is --host */
#define EV_NOT_HOST	0x0002	/* name, not --host */
#define EV_SNI		0x0004	/* name is the SNI (else the HTTP Host) */
#define EV_CONNECT	0x0008	/* CONNECT to --host */
#define EV_NULL		0x0010	/* NULL suites offered */
#define EV_STREAM	0x0020	/* POST clause: the streaming length */
#define EV_DA_NAME	0x0040	/* without --host: name looks like DA */
#define EV_DA_CONNECT	0x0080	/* without --host: CONNECT looks like DA */
#define EV_PROXY	0x0100	/* without --host: CONNECT to the port set */
#define EV_CCERT	0x0200	/* client certificate sent */
#define EV_PORT		0x0400	/* the port clause */
#define EV_TTL		0x0800	/* Windows TTL 128 */
#define EV_DNS		0x1000	/* address from --host's answer */
#define EV_CERT		0x2000	/* no SNI, certificate for --host */
#define EV_POST		0x4000	/* POST in the NULL session */

struct ev {
	const char *name;		/* SNI, else HTTP Host */
	const struct dt_http *conn;	/* the CONNECT made on it */
	uint64_t dns_frame, cert_frame, post_frame;	/* their frames */
	uint64_t attempts;		/* to this server, 3 or more */
	uint32_t port;			/* the server port */
	uint32_t bits;			/* EV_*: the clauses present */
};

/* name: dt_facts_server_name(c); conn: the CONNECT made on c;
   attempts: the connections to c's server and port. The score and
   whether the evidence ties c to --host or names another host go to w. */
static void
evidence(const struct dt_rule_ctx *ctx, const struct dt_conn *c,
    const char *name, const struct dt_http *conn, const char *host,
    size_t attempts, struct dt_name_memo *hm, struct why *w, struct ev *e)
{
	const struct dt_rules_config *cfg = ctx->cfg;
	const struct dt_rule_index *x = &ctx->idx;
	const struct dt_tls_facts *t = c->tls;
	const char *sni = t->sni != NULL && t->sni[0] != '\0' ? t->sni : NULL;
	const struct dt_cert *leaf;
	const struct dt_dns *d;

	memset(e, 0, sizeof *e);
	e->name = name;
	e->conn = conn;
	e->port = c->server_port;
	w->score = w->tie = w->other = 0;
	if (name != NULL && sni != NULL)
		e->bits |= EV_SNI;
	if (host != NULL) {
		if (name != NULL && is_host(hm, name, host)) {
			e->bits |= EV_NAME;
			w->score += W_NAME;
			w->tie = 1;
		} else if (name != NULL) {
			e->bits |= EV_NOT_HOST;
			w->other = 1;
		}
		if (conn != NULL && dt_rule_host_eq(conn->uri, host)) {
			e->bits |= EV_CONNECT;
			w->score += W_NAME;
			w->tie = 1;
		}
		if (name == NULL && conn == NULL &&
		    dt_rule_in_ports(cfg, c->server_port) &&
		    (d = dt_rule_index_host_resolved(x, &c->server)) != NULL) {
			e->bits |= EV_DNS;
			e->dns_frame = dt_dns_answer_frame_of(d);
			w->score += W_DNS;
			w->tie = 1;
		}
		if (sni == NULL && !w->tie && (leaf = dt_rule_leaf(c)) != NULL &&
		    dt_x509_matches_host(leaf, host)) {
			e->cert_frame = t->server_cert_frame;
			e->bits |= EV_CERT;
			w->score += W_CERT;
			w->tie = 1;
		}
	}
	if (dt_tls_hello(t)->offered_null) {
		e->bits |= EV_NULL;
		w->score += W_NULL;
	}
	if (iphttps_post(c)) {
		e->bits |= EV_POST;
		e->post_frame = dt_tls_http(t)->request.frame;
		if (stream_post(c))
			e->bits |= EV_STREAM;
		w->score += W_POST;
	}
	if (host == NULL) {
		if (name != NULL && looks_like_da(name)) {
			e->bits |= EV_DA_NAME;
			w->score += W_DALIKE;
		} else if (conn != NULL && looks_like_da(conn->uri)) {
			e->bits |= EV_DA_CONNECT;
			w->score += W_DALIKE;
		}
		if (conn != NULL && dt_rule_in_ports(cfg, name_port(conn->uri))) {
			e->bits |= EV_PROXY;
			w->score += W_PROXY;
		}
	}
	if (dt_tls_rare(t)->cert_request_frame != 0 &&
	    t->client_cert == DT_CCERT_PRESENT) {
		e->bits |= EV_CCERT;
		w->score += W_CCERT;
	}
	if ((t->seen || conn == NULL) && dt_rule_in_ports(cfg, c->server_port)) {
		e->bits |= EV_PORT;
		w->score += W_PORT;
	}
	if (c->ttl_syn == 128) {
		e->bits |= EV_TTL;
		w->score += W_TTL;
	}
	if (attempts >= 3) {
		e->attempts = attempts;
		w->score += W_RETRY;
	}
}
/* The reason e says, into w->text. */
static void
reason_write(const struct ev *e, const char *host, struct why *w)
{
	const char *kind = e->bits & EV_SNI ? "SNI" : "HTTP Host";

	w->k = 0;
	w->text[0] = '\0';
	if (e->bits & (EV_NAME | EV_NOT_HOST)) {
		why_begin(w);
		why_cat(w, kind);
		why_cat(w, " ");
		why_cat(w, e->name);
		if (e->bits & EV_NOT_HOST) {
			why_cat(w, ", not ");
			why_cat(w, host);
		}
	}
	if (e->bits & EV_CONNECT)
		why_add(w, "CONNECT %s in frame %llu", e->conn->uri,
		    (unsigned long long)e->conn->request_frame);
	if (e->bits & EV_DNS)
		why_add(w, "address from the DNS answer in frame %llu",
		    (unsigned long long)e->dns_frame);
	if (e->bits & EV_CERT)
		why_add(w, "certificate for %s in frame %llu", host,
		    (unsigned long long)e->cert_frame);
	if (e->bits & EV_NULL) {
		why_begin(w);
		why_cat(w, "NULL suites offered");
	}
	if (e->bits & EV_POST) {
		why_begin(w);
		why_cat(w, e->bits & EV_STREAM ? "the IP-HTTPS Content-Length" :
		    "POST /IPHTTPS");
		why_cat(w, " in the NULL session (frame ");
		why_num(w, e->post_frame);
		why_cat(w, ")");
	}
	if (e->bits & EV_DA_NAME)
		why_add(w, "%s %s looks like a DirectAccess name", kind,
		    e->name);
	else if (e->bits & EV_DA_CONNECT)
		why_add(w, "CONNECT %s looks like a DirectAccess name",
		    e->conn->uri);
	if (e->bits & EV_PROXY)
		why_add(w, "proxy CONNECT to port %u", name_port(e->conn->uri));
	if (e->bits & EV_CCERT)
		why_add(w, "client certificate sent");
	if (e->bits & EV_PORT) {
		why_begin(w);
		why_cat(w, "port ");
		why_num(w, e->port);
	}
	if (e->bits & EV_TTL) {
		why_begin(w);
		why_cat(w, "Windows TTL 128");
	}
	if (e->attempts != 0) {
		why_begin(w);
		why_num(w, e->attempts);
		why_cat(w, " attempts to this server");
	}
}

/* The reasons written lately, by their evidence (direct-mapped, 128 KiB
   for the classification only): the 100 MB day's 8,000 connections have
   about 3,200 distinct evidences, and a slot per 2,048 leaves 3,527 to
   write (a reason written and kept is ~450 instructions). */
#define EV_MEMO_BITS 11
#define EV_MEMO (1 << EV_MEMO_BITS)
struct ev_slot {
	struct ev key;
	const char *reason;		/* kept, NULL: empty slot */
};

static uint64_t
ev_hash(const struct ev *e)
{
	uint64_t h = (uintptr_t)e->name ^ (uintptr_t)e->conn * 31 ^
	    e->dns_frame ^ e->cert_frame ^ e->post_frame ^ e->attempts << 24 ^
	    (uint64_t)e->port << 40 ^ (uint64_t)e->bits << 48;

	return h * 0x9e3779b97f4a7c15ULL;
}

/* c's reason, at most DT_REASON_LEN - 1 bytes. It quotes wire names (SNI,
   Host, CONNECT): printable ASCII only, so it is valid UTF-8 whatever the
   wire held (facts/finish.c repairs the wire strings, not this copy).
   NULL (read as "") when memory failed. The last reason is remembered:
   neighbours mostly share one.
   Where it is kept depends on where kept memory goes. On the heap, it is
   interned: equal reasons share one copy exactly (the 2 GiB day's 62,927
   distinct of 163,840, 4.7 MB). Once the capture spills, interned
   strings would stay on the heap (they never spill) with the intern
   table beside the indexes (1 MB): a reason is then kept text, spilled
   with the other facts, shared by the reasons kept lately with the same
   hash (a direct-mapped memo: 6.9 MB in the file on that day, none on
   the heap; hash: of what the text was written from, its evidence or
   its bytes, so that the text is not read again for it). */
#define REASON_SEEN 1024		/* direct-mapped, a power of two */
struct reason_memo {
	const char *kept;
	char text[DT_REASON_LEN];
	const char *seen[REASON_SEEN];
};

static void
keep_reason(struct dt_capture *cap, struct reason_memo *rm, struct dt_conn *c,
    char *text, uint64_t hash)
{
	const char **seen;
	size_t i, j, n = strlen(text);
	uint64_t w;

	/* eight bytes at a time: none below 0x20 (its high bit after
	   0x20 is taken from it, when it had none), none at 0x7f or above
	   (a high bit once 1 is added, or before); a word that may hold
	   one is looked at byte by byte */
	for (i = 0; i < n; i += 8) {
		if (i + 8 <= n) {
			memcpy(&w, text + i, 8);
			w = ((w - 0x2020202020202020ull) & ~w) |
			    (w + 0x0101010101010101ull) | w;
			if ((w & 0x8080808080808080ull) == 0)
				continue;
		}
		for (j = i; j < i + 8 && j < n; j++)
			if ((unsigned char)text[j] < 0x20 ||
			    (unsigned char)text[j] >= 0x7f)
				text[j] = '?';
	}
	if (rm->kept == NULL || memcmp(rm->text, text, n + 1) != 0) {
		if (cap->spill == NULL)
			rm->kept = dt_capture_intern_n(cap, text, n);
		else {
			seen = &rm->seen[hash >> 32 & (REASON_SEEN - 1)];
			if (*seen == NULL || memcmp(*seen, text, n + 1) != 0) {
				*seen = dt_capture_keep_str(cap, text, n);
			}
			rm->kept = *seen;
		}
		memcpy(rm->text, text, n + 1);
	}
	c->iphttps_reason = rm->kept;
}

static void
set_reason(struct dt_capture *cap, struct reason_memo *rm, struct dt_conn *c,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
set_reason(struct dt_capture *cap, struct reason_memo *rm, struct dt_conn *c,
    const char *fmt, ...)
{
	char text[DT_REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	keep_reason(cap, rm, c, text, dt_hash_bytes(text, strlen(text)));
}

/* Keep the best few candidates (highest score, then first) for the
   capture-wide report when nothing is IP-HTTPS. */
static void
candidate(struct dt_rule_ctx *ctx, const struct dt_conn *c)
{
	size_t i, j;

	if (c->iphttps_score <= 0)
		return;
	for (i = 0; i < DT_RULE_CANDIDATES; i++)
		if (ctx->best[i] == NULL ||
		    ctx->best[i]->iphttps_score < c->iphttps_score)
			break;
	if (i == DT_RULE_CANDIDATES)
		return;
	for (j = DT_RULE_CANDIDATES - 1; j > i; j--)
		ctx->best[j] = ctx->best[j - 1];
	ctx->best[i] = c;
}

/* The connections marked, a bit per id (ctx->judged's form). */
static void
mark(uint8_t *bits, uint32_t id)
{
	if (bits != NULL)
		bits[id / 8] |= (uint8_t)(1 << id % 8);
}

static int
marked(const uint8_t *bits, uint32_t id)
{
	return bits != NULL && (bits[id / 8] & 1 << id % 8) != 0;
}

/* Step 2 for the attempts without a CONNECT (bits: no_connect): each marked
   IP-HTTPS when a connection to its server was marked in step 1 (the
   first such, m), walking the servers' connections in the index, not a
   table of the marked servers. The marks of one server do not depend
   on another's, so the order of the servers does not matter; the first
   of a server's connections marked in step 1 is found before any of
   its own are marked. */
static void
same_server(struct dt_rule_ctx *ctx, struct reason_memo *rm,
    const uint8_t *no_connect)
{
	struct dt_capture *cap = ctx->cap;
	const struct dt_rule_index *x = &ctx->idx;
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	struct dt_hash_iter it, start;
	struct dt_conn *c, *m;
	size_t pos = 0;
	uint32_t id, first;

	while (dt_rule_index_server_walk(x, &pos, &start)) {
		it = start;
		first = 0;
		for (id = dt_rule_index_server_id(x, &it); id != 0 &&
		    first == 0; id = dt_rule_index_server_id(x, &it))
			if (marked(ctx->judged, id))
				first = id;
		if (first == 0 || (m = dt_rule_index_conn(x, first)) == NULL ||
		    m->iphttps != 1)
			continue;
		it = start;
		for (id = dt_rule_index_server_id(x, &it); id != 0;
		    id = dt_rule_index_server_id(x, &it)) {
			if (!marked(no_connect, id) ||
			    (c = dt_rule_index_conn(x, id)) == NULL)
				continue;
			dt_capture_spill_step(cap, &sw);
			c->iphttps = 1;
			c->iphttps_score += W_SERVER;
			set_reason(cap, rm, c, "same server as connection %u "
			    "(%.*s)", m->id,
			    (int)whole_clauses(dt_conn_reason(m), 80),
			    dt_conn_reason(m));
			ctx->any_marked = 1;
			mark(ctx->judged, id);
		}
	}
}

void
dt_rules_classify(struct dt_rule_ctx *ctx)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	const struct dt_rules_config *cfg = ctx->cfg;
	struct dt_capture *cap = ctx->cap;
	struct dt_rule_index *x = &ctx->idx;
	const char *host = cfg->host != NULL && cfg->host[0] != '\0' ?
	    cfg->host : NULL;
	struct dt_hash names;		/* names identified (without --host) */
	struct dt_conn *c, *m;
	struct dt_hash_iter it;
	struct reason_memo rm;
	struct dt_name_memo hm;
	const struct dt_http *h;
	const char *name;
	size_t n, i, n_bits;
	uint32_t *n_server;		/* [id]: connections to its server */
	uint32_t id;
	/* The connections step 1 left unmarked that a later step may mark,
	   a bit per id (a list of them took 1 MB on the 2 GiB day): no
	   name and no CONNECT (steps 2 and 3), or a CONNECT without --host
	   (step 2). */
	uint8_t *no_connect, *via_connect;
	int later = 0;
	struct why w;
	struct ev e;
	struct ev_slot *memo, *slot;
	uint64_t slot_hash;
	char key[DT_NAME_KEY];

	ctx->any_marked = 0;
	ctx->host_seen = host == NULL;
	for (i = 0; i < DT_RULE_CANDIDATES; i++)
		ctx->best[i] = NULL;
	cap->midstream_conns = 0;
	memset(&rm, 0, sizeof rm);
	memset(&hm, 0, sizeof hm);
	dt_hash_init(&names, cap->mem);
	/* the marks, a bit per id: step 2 reads step 1's, the rule pass
	   walks them (without --all) */
	n_bits = (size_t)x->max_id / 8 + 1;
	ctx->judged = dt_calloc(cap->mem, n_bits, 1);
	no_connect = dt_calloc(cap->mem, n_bits, 1);
	via_connect = host == NULL ? dt_calloc(cap->mem, n_bits, 1) : NULL;
	/* read in id order beside the walk, not a probe of the index per
	   connection (NULL when memory refused: then the probe) */
	n_server = dt_rule_index_server_counts(x);
	/* without it (memory refused) every reason is written */
	memo = dt_calloc(cap->mem, EV_MEMO, sizeof *memo);

	/* 1. each connection on its own evidence */
	for (c = cap->conns; c != NULL; c = c->next) {
		dt_capture_spill_step(cap, &sw);
		c->iphttps = 0;
		if (dt_rule_midstream(c)) {
			cap->midstream_conns++;
			c->iphttps_score = 0;
			set_reason(cap, &rm, c,
			    "caught mid-stream (no SYN, no handshake)");
			continue;
		}
		name = dt_facts_server_name(c);
		h = dt_rule_index_connect_on(x, c->id);
		evidence(ctx, c, name, h, host, n_server != NULL ?
		    n_server[c->id] : dt_rule_index_server_count(x,
		    &c->server, c->server_port), &hm, &w, &e);
		c->iphttps_score = w.score;
		slot_hash = ev_hash(&e);
		slot = memo != NULL ? &memo[slot_hash >> (64 - EV_MEMO_BITS)] :
		    NULL;
		if (slot != NULL && slot->reason != NULL &&
		    memcmp(&slot->key, &e, sizeof e) == 0)
			c->iphttps_reason = slot->reason;
		else {
			reason_write(&e, host, &w);
			keep_reason(cap, &rm, c, w.text, slot_hash);
			if (slot != NULL && c->iphttps_reason != NULL) {
				slot->key = e;
				slot->reason = c->iphttps_reason;
			}
		}
		if (host != NULL)
			c->iphttps = w.tie && !w.other;
		else
			c->iphttps = w.score >= STRONG;
		if (w.tie && !w.other)
			ctx->host_seen = 1;
		if (!c->iphttps) {
			candidate(ctx, c);
			if ((name != NULL || h != NULL) &&
			    (host != NULL || h == NULL))
				continue;
			mark(h == NULL ? no_connect : via_connect, c->id);
			later = 1;
			continue;
		}
		ctx->any_marked = 1;
		mark(ctx->judged, c->id);
		/* step 2 asks for names only without --host */
		if (host == NULL &&
		    (n = dt_rule_name_key(name, key, sizeof key)) > 0 &&
		    dt_hash_add(&names, key, n, c) < 0)
			break;
	}
	dt_free(cap->mem, n_server);
	dt_free(cap->mem, memo);

	/* 2. attempts that never got as far as a name (TCP failures, no
	   SNI) to the server of an identified connection; without --host,
	   a proxy CONNECT to the name of an identified connection (marks
	   are those of step 1: names holds no other, and same_server()
	   reads a server's step-1 marks before it adds its own) */
	if (later && ctx->any_marked && ctx->judged != NULL &&
	    no_connect != NULL)
		same_server(ctx, &rm, no_connect);
	for (id = 1; later && via_connect != NULL && id <= x->max_id; id++) {
		if (!marked(via_connect, id) ||
		    (c = dt_rule_index_conn(x, id)) == NULL)
			continue;
		dt_capture_spill_step(cap, &sw);
		h = dt_rule_index_connect_on(x, id);
		if (h != NULL &&
		    (n = dt_rule_name_key(h->uri, key, sizeof key)) > 0 &&
		    (m = dt_hash_first(&names, key, n, &it)) != NULL) {
			c->iphttps = 1;
			c->iphttps_score += W_NAME;
			set_reason(cap, &rm, c, "CONNECT %s in frame %llu, the "
			    "name of connection %u", h->uri,
			    (unsigned long long)h->request_frame, m->id);
			ctx->any_marked = 1;
			mark(ctx->judged, c->id);
		}
	}
	dt_hash_free(&names);
	dt_free(cap->mem, via_connect);
	if (host != NULL && !ctx->any_marked) {
		/* 3. --host tied to nothing: the attempts that could not
		   carry a name (no ClientHello decoded, no proxy) to the
		   port set are the likely tunnel attempts, judged with a
		   weak identification (with --host, step 2's attempts are
		   the connections without name and CONNECT) */
		if (dt_rule_index_dns_first(x, host, &it) != NULL ||
		    dt_rule_index_connect_first(x, host, &it) != NULL)
			ctx->host_seen = 1;
		for (id = 1; later && no_connect != NULL && id <= x->max_id;
		    id++) {
			if (!marked(no_connect, id) ||
			    (c = dt_rule_index_conn(x, id)) == NULL)
				continue;
			dt_capture_spill_step(cap, &sw);
			if (c->tls->ch_frame != 0 ||
			    !dt_rule_in_ports(cfg, c->server_port))
				continue;
			c->iphttps = 1;
			ctx->any_marked = 1;
			c->iphttps_score = W_PORT;
			set_reason(cap, &rm, c, "unnamed attempt to port %u; "
			    "nothing ties it to %s", c->server_port, host);
			mark(ctx->judged, c->id);
		}
	}
	dt_free(cap->mem, no_connect);
	if (cfg->all) {
		/* the rule pass walks every connection */
		dt_free(cap->mem, ctx->judged);
		ctx->judged = NULL;
	}
}

int
dt_rules_judged(const struct dt_rule_ctx *ctx, const struct dt_conn *c)
{
	if (c->iphttps)
		return 1;
	return ctx->cfg->all && (c->tls->seen ||
	    dt_rule_in_ports(ctx->cfg, c->server_port));
}

/* ---- repeated attempts -------------------------------------------------- */

/* Key of a run: the verdict id and the server's address and port. */
static size_t
group_key(const struct dt_verdict *v, const struct dt_conn *c, uint8_t *out,
    size_t n)
{
	size_t len = strlen(v->id);

	if (len + 19 > n)
		return 0;
	memcpy(out, v->id, len);
	out[len] = c->server.family;
	memcpy(out + len + 1, c->server.a, 16);
	out[len + 17] = (uint8_t)(c->server_port >> 8);
	out[len + 18] = (uint8_t)c->server_port;
	return len + 19;
}

/* One run of same-id verdicts against one server: its first verdict (the
   one whose summary gets the list), how many, and the list so far. The
   list is made at the second attempt and grows as it fills, up to
   DT_RULE_TEXT: with --all a day's captures have tens of thousands of
   runs, most of one or two connections (one per server a browser met),
   and a list of DT_RULE_TEXT bytes in each was 63 MB of heap on the
   2 GiB bench day. */
struct run {
	struct run *next;		/* every run, to free them */
	struct dt_verdict *lead;
	const struct dt_conn *conn;
	size_t count;
	int k;				/* length of list, or DT_RULE_TEXT: full */
	int size;			/* of list */
	char *list;			/* NULL while count is 1 */
};

#define RUN_LIST_FIRST	64

/* c's attempt added to r: -1 when memory failed */
static int
run_add(struct dt_mem *mem, struct run *r, const struct dt_conn *c)
{
	char *l;

	if (r->list == NULL) {
		if ((r->list = dt_malloc(mem, RUN_LIST_FIRST)) == NULL)
			return -1;
		r->size = RUN_LIST_FIRST;
		r->k = snprintf(r->list, RUN_LIST_FIRST, "connections %u",
		    r->conn->id);
	}
	r->count++;
	if (r->k < DT_RULE_TEXT - 16) {
		/* room for ", " and ten digits (a list past 512 bytes has
		   all DT_RULE_TEXT: ", ..." below always finds it) */
		if (r->k + 16 > r->size) {
			int size = r->size * 2 < DT_RULE_TEXT ? r->size * 2 :
			    DT_RULE_TEXT;

			if ((l = dt_realloc(mem, r->list, (size_t)size)) ==
			    NULL)
				return -1;
			r->list = l;
			r->size = size;
		}
		/* ", %u" by hand: a run's list grows by one id per attempt */
		r->list[r->k] = ',';
		r->list[r->k + 1] = ' ';
		r->k += 2 + (int)dt_put_uint(r->list + r->k + 2, c->id);
		r->list[r->k] = '\0';
	} else if (r->k < DT_RULE_TEXT - 4) {
		snprintf(r->list + r->k, (size_t)(r->size - r->k), ", ...");
		r->k = DT_RULE_TEXT;
	}
	return 0;
}

/* The run r is of c's server (the bytes group_key() reads). */
static int
same_server_as(const struct run *r, const struct dt_conn *c)
{
	return r->conn->server_port == c->server_port &&
	    r->conn->server.family == c->server.family &&
	    memcmp(r->conn->server.a, c->server.a, 16) == 0;
}

/* The run each verdict id met last, direct-mapped by its address: a
   connection's verdicts come in the rules' order, and the next attempt
   to the same server mostly has the same ones. */
#define RUN_LAST 16			/* a power of two */

void
dt_rules_group_attempts(struct dt_rule_ctx *ctx)
{
	struct dt_capture *cap = ctx->cap;
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	struct dt_mem *mem = cap->mem;
	struct dt_hash runs;
	struct dt_hash_iter it;
	struct dt_verdict *v;
	struct run *r, *list = NULL, *last[RUN_LAST] = { NULL }, **lp;
	uint8_t key[128];
	size_t len;
	int n;

	if (cap->n_verdicts < 2)
		return;
	dt_hash_init(&runs, mem);
	for (v = cap->verdicts; v != NULL; v = v->next) {
		const struct dt_conn *c;

		dt_capture_spill_step_far(cap, &sw);
		if (v->conn == 0 ||
		    (c = dt_rule_index_conn(&ctx->idx, v->conn)) == NULL)
			continue;
		lp = &last[((uintptr_t)v->id >> 3) & (RUN_LAST - 1)];
		if (*lp != NULL && (*lp)->lead->id == v->id &&
		    same_server_as(*lp, c)) {
			if ((*lp)->conn != c && run_add(mem, *lp, c) != 0)
				goto out;
			continue;
		}
		if ((len = group_key(v, c, key, sizeof key)) == 0)
			continue;
		r = dt_hash_first(&runs, key, len, &it);
		if (r != NULL) {
			if (r->conn != c && run_add(mem, r, c) != 0)
				goto out;
			*lp = r;
			continue;
		}
		if (v->severity == DT_SEV_INFO)
			continue;
		r = dt_malloc(mem, sizeof *r);
		if (r == NULL)
			goto out;
		r->lead = v;
		r->conn = c;
		r->count = 1;
		r->k = 0;
		r->list = NULL;
		r->next = list;
		list = r;
		if (dt_hash_add(&runs, key, len, r) < 0)
			goto out;
		*lp = r;
	}
	/* each run's first verdict gets the list (the runs, not every
	   verdict again) */
	for (r = list; r != NULL; r = r->next) {
		char *s, text[DT_RULE_PACK_MAX];
		char buf[DT_RULE_PACK_MAX + DT_RULE_TEXT + DT_ENDPOINT_LEN +
		    64];
		const char *was;

		dt_capture_spill_step(cap, &sw);
		if (r->count < 2)
			continue;
		v = r->lead;
		was = dt_rule_summary(ctx, v, text);
#define ATTEMPTS "%s; %zu attempts to %s (%s) ended the same way", \
	    was, r->count, r->conn->server_str, r->list
		/* written once where it fits (measured with a NULL buffer,
		   glibc writes a long list a few bytes at a time) */
		n = snprintf(buf, sizeof buf, ATTEMPTS);
		/* a kept verdict's summary is kept text too (the old one
		   stays there, unused: one per run) */
		if (n < 0 || (s = v->kept ?
		    dt_capture_keep_text(cap, (size_t)n + 1) :
		    dt_malloc(mem, (size_t)n + 1)) == NULL)
			goto out;
		if ((size_t)n < sizeof buf)
			memcpy(s, buf, (size_t)n + 1);
		else
			snprintf(s, (size_t)n + 1, ATTEMPTS);
#undef ATTEMPTS
		if (!v->kept)
			dt_free(mem, v->summary);
		v->summary = s;
		v->packed = 0;
	}
out:
	while ((r = list) != NULL) {
		list = r->next;
		dt_free(mem, r->list);
		dt_free(mem, r);
	}
	dt_hash_free(&runs);
}
