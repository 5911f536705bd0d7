/*
 * rules/: judgement. Each rule is one file, a pure function of the facts of
 * a capture that appends verdicts; lib/rules/rules.def lists them in order
 * (DT_RULE(name) -> const struct dt_rule dt_rule_<name>).
 *
 * dt_rules_run() first decides which connections are IP-HTTPS (SPEC §2:
 * --host equals SNI or HTTP Host; else NULL suites offered; else the
 * IP-HTTPS/SSTP streaming POST; else a proxy CONNECT to the host; when
 * nothing marks any connection every TLS connection and every attempt to the
 * port set is a candidate), then runs every rule over every candidate
 * connection (every TLS connection with --all), then the capture-wide ones.
 */
#ifndef DT_RULES_H
#define DT_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "facts/facts.h"
#include "rules/index.h"
#include "x509/x509.h"

struct dt_rules_config {
	const char *host;		/* --host or NULL */
	const uint16_t *ports;		/* 0-terminated */
	int all;
	const struct dt_x509_ctx *x509;	/* anchors / expected cert; may be NULL */
	const char *const *inspection_cas;	/* extra CA name fragments, NULL-ended */
	size_t memory_cap;		/* the analysis' cap, bytes (0: none) */
};

struct dt_crl_memo;

/* The pass's memos (dt_rule_ctx.memos; NULL: none, each asked afresh). */
#define DT_RULE_TEXT_AT 64	/* a power of two */
#define DT_RULE_NAME_MEMO_BITS 6
#define DT_RULE_NAME_MEMO (1 << DT_RULE_NAME_MEMO_BITS)
#define DT_RULE_NAME_MEMO_LEN 96
#define DT_RULE_CHAIN_MEMO 64		/* chains remembered (direct-mapped) */
#define DT_RULE_SHARED_TEXTS 256	/* the capture's shared texts, at most */
struct dt_rule_memos {
	struct {
		const struct dt_cert *certs;	/* NULL: an empty entry */
		size_t n;
		const char *product;	/* the CA matched, NULL: none */
	} chain[DT_RULE_CHAIN_MEMO];
	uint64_t text_fp[DT_RULE_SHARED_TEXTS];	/* of cap->texts[i] */
	size_t n_text_fp;
	/* the shared text each buffer or literal handed in lately held,
	   by its address (rules.c, shared_text) */
	struct {
		const char *src;
		const char *text;
	} text_at[DT_RULE_TEXT_AT];
	/* server-name-mismatch's last question (leaf NULL: none): the
	   host is mostly --host and the leaf one of the few shared
	   chains', and the answer costs two inet_pton and a name match */
	struct {
		const struct dt_cert *leaf;
		const char *host;
		int skip;		/* an IP literal, or the leaf covers it */
	} name_match;
	/* the last identification reason a verdict quoted and the length
	   of its first clause: a connection's verdicts quote the same one,
	   and neighbours mostly share one copy (classify.c) */
	const char *tie_reason;
	size_t tie_len;
	/* suites and versions as written lately (dt_text_suite,
	   dt_text_version: a search of the names each), direct-mapped by
	   the number and whether it is a version */
	struct {
		uint32_t key;		/* suite + 1; version + 0x10001 */
		uint8_t n;
		char s[DT_RULE_NAME_MEMO_LEN];
	} name[DT_RULE_NAME_MEMO];
};

struct dt_rule_ctx {
	const struct dt_rules_config *cfg;
	struct dt_capture *cap;
	int any_marked;			/* some connection was positively IP-HTTPS */
	int host_seen;			/* --host appears in the capture (DNS,
					   SNI, Host, CONNECT, certificate);
					   1 without --host */
	/* Without an identified connection, the best-scored candidates
	   (highest first, NULL-padded) for no-iphttps-traffic. */
#define DT_RULE_CANDIDATES 3
#define DT_RULE_STRONG 50		/* identification score that needs
					   no --host (classify.c) */
	const struct dt_conn *best[DT_RULE_CANDIDATES];
	/* The last verdict before the connection being judged (NULL: the
	   list was empty): the connection's verdicts so far follow it. */
	struct dt_verdict *conn_mark;
	/* crl-unreachable's finding per distinct CRL URL, so that a capture
	   of many connections naming the same CDP probes it once; rules.c
	   frees it. */
	struct dt_crl_memo *crl_memo;
	size_t n_crl_memo;
	struct dt_hash crl_urls;	/* URL -> position in crl_memo + 1 */
	/* The connections the rules judge, a bit per id (id / 8, 1 << id %
	   8), set by dt_rules_classify() without --all (the IP-HTTPS ones:
	   the rule pass then walks them, not every connection; 20 KB for a
	   day's 163,840 where a list of pointers took 1 MB, 2 while it was
	   merged); NULL with --all or when memory failed (walk every
	   connection with dt_rules_judged()). run.c frees it. */
	uint8_t *judged;
	/* Connections, DNS answers and HTTP exchanges by name, address and
	   id, built once before the rules run (rules/index.h). */
	struct dt_rule_index idx;
	/* The verdicts' summaries as sentences and numbers until the
	   indexes are freed (packed.c); NULL before the first. */
	struct dt_rule_packing *packing;
	/* dt_rule_inspected()'s interception-CA match per server chain
	   (run.c's; chains are arrays shared by the thousands of
	   handshakes that sent them, and four rules ask about each
	   connection), and a fingerprint of each of the capture's shared
	   texts (rules.c): the pass's own memos, so ctx stays const for
	   the rules that read them. */
	struct dt_rule_memos *memos;
};

struct dt_rule {
	const char *id;
	dt_severity severity;		/* default; a verdict may lower it */
	const char *summary;		/* one line, for --list-rules */
	/* Per connection (NULL for capture-wide rules). */
	void (*check_conn)(struct dt_rule_ctx *ctx, struct dt_conn *c);
	/* Once per capture, after the per-connection pass (may be NULL). */
	void (*check_capture)(struct dt_rule_ctx *ctx);
};

#define DT_RULE(name) extern const struct dt_rule dt_rule_##name;
#include "rules/rules.def"
#undef DT_RULE

extern const struct dt_rule *const dt_rules[];
extern const size_t dt_rules_count;
/* the same count, as a constant (rules.def's entries) */
enum {
	DT_RULES_MAX = 0
#define DT_RULE(name) + 1
#include "rules/rules.def"
#undef DT_RULE
};

/* Judge the capture: mark IP-HTTPS connections, run the rules. 0 or -1 when
   memory failed. */
int dt_rules_run(const struct dt_rules_config *cfg, struct dt_capture *cap);

/* classify.c: decide which connections are IP-HTTPS (sets c->iphttps
   and ctx->any_marked); whether the rules judge c (IP-HTTPS, or --all);
   append "N attempts to server (connections ...) ended the same way" to
   the first verdict of each run of same-id verdicts against one server. */
void dt_rules_classify(struct dt_rule_ctx *ctx);
int dt_rules_judged(const struct dt_rule_ctx *ctx, const struct dt_conn *c);
void dt_rules_group_attempts(struct dt_rule_ctx *ctx);

/* Add a verdict (frames: n_frames counted, or with n_frames 0 a
   0-terminated list - so a counted list that may be empty must be passed
   as NULL then; strings are copied).
   Returns the verdict to adjust, or NULL when memory failed. */
struct dt_verdict *dt_verdict_add(struct dt_rule_ctx *ctx,
    const struct dt_rule *rule, const struct dt_conn *c,
    dt_confidence conf, uint32_t win_code, const char *win_name,
    const uint64_t *frames, size_t n_frames,
    const char *summary, const char *explanation, const char *remedy);

/* packed.c: a summary of len bytes (a verdict's, tie included) as its
   sentence and numbers in the pass's memory, NULL when it is kept as
   text (too long, a sentence too many, memory); the text of v's summary
   (buf: DT_RULE_PACK_MAX bytes, used when v is packed); every packed
   summary written out as kept text, the packed forms freed (after the
   indexes, at the end of the pass). */
#define DT_RULE_PACK_MAX 2048
void *dt_rule_summary_pack(struct dt_rule_ctx *ctx, const char *s,
    size_t len);
const char *dt_rule_summary(const struct dt_rule_ctx *ctx,
    const struct dt_verdict *v, char *buf);
void dt_rule_summaries_unpack(struct dt_rule_ctx *ctx);

/* ---- helpers shared by the rules (rules.c unless noted) ----------------- */

/* A verdict's text written by appending to the rule's buffer. What does
   not fit is cut and the text stays NUL-terminated, as snprintf() cuts a
   text, so each text is byte for byte the format it replaced; but
   without printf's reading of the format and its arguments at every
   call, which was half the rule pass of a day of failed attempts (some
   ten texts a verdict). */
struct dt_text {
	char *p;
	size_t n;			/* bytes written, < size */
	size_t size;			/* of p, > 0 */
};

static inline void
dt_text_init(struct dt_text *t, char *buf, size_t size)
{
	t->p = buf;
	t->n = 0;
	t->size = size;
	buf[0] = '\0';
}

static inline void
dt_text_putn(struct dt_text *t, const char *s, size_t len)
{
	if (len > t->size - 1 - t->n)
		len = t->size - 1 - t->n;
	memcpy(t->p + t->n, s, len);
	t->n += len;
	t->p[t->n] = '\0';
}

/* inline, so that a literal's length is known where it is written */
static inline void
dt_text_put(struct dt_text *t, const char *s)
{
	dt_text_putn(t, s, strlen(s));
}

/* "%llu" (any unsigned), "0x%04X", a suite and a version as
   dt_tls_suite_str() and dt_tls_version_str() write them (ctx: the rule
   pass, whose memo keeps the names written lately, or NULL) */
void dt_text_u64(struct dt_text *t, uint64_t v);
void dt_text_hex4(struct dt_text *t, uint16_t v);
void dt_text_suite(struct dt_rule_ctx *ctx, struct dt_text *t,
    uint16_t suite);
void dt_text_version(struct dt_rule_ctx *ctx, struct dt_text *t,
    uint16_t version);


/* Text buffers the rules format into (summary, explanation, remedy). */
#define DT_RULE_TEXT 1024

/* The port is in the IP-HTTPS port set (443 when none is given). */
int dt_rule_in_ports(const struct dt_rules_config *cfg, uint16_t port);
/* A TCP connection whose start the capture missed, and no handshake:
   caught mid-stream, so nothing marks it IP-HTTPS or not. */
static inline int
dt_rule_midstream(const struct dt_conn *c)
{
	return !c->roles_from_syn && c->syn_frame == 0 && c->tls->ch_frame == 0;
}
/* The name the client meant: --host, else SNI, else the HTTP Host; NULL. */
const char *dt_rule_host(const struct dt_rule_ctx *ctx,
    const struct dt_conn *c);
/* The leaf of the server's chain, NULL when none was seen or parsed. */
const struct dt_cert *dt_rule_leaf(const struct dt_conn *c);
/* Both Finished (or both CCS and application data), or TLS 1.3 ServerHello
   with application data both ways. */
int dt_rule_hs_complete(const struct dt_conn *c);
/* The server side refused the ClientHello before any ServerHello: a
   server alert (other than close_notify), FIN or RST after the
   ClientHello. *frame gets the refusing frame, *alert the alert
   description or -1 when it closed/reset without one. */
int dt_rule_refused_hello(const struct dt_conn *c, uint64_t *frame,
    int *alert);
/* SYN-ACK and the server's TLS packets came with different IP TTLs
   (another device answered). 0 when either is unknown. */
int dt_rule_ttl_differs(const struct dt_conn *c);
/* What the client did after the server's Certificate, as a clause for a
   verdict's text ("the client ended the handshake with a fatal
   bad_certificate (42) alert (frame 9)"); *frame gets the frame that
   shows it (0: none). */
enum { DT_CERT_UNKNOWN, DT_CERT_REFUSED, DT_CERT_CLOSED, DT_CERT_COMPLETED };
int dt_rule_cert_reaction(const struct dt_conn *c, char *buf, size_t n,
    uint64_t *frame);
/* snaplen cut the TLS bytes: rules that judge by the absence of a message
   must not fire. */
int dt_rule_tls_cut(const struct dt_conn *c);
/* ASCII case-insensitive: equality, substring. */
int dt_rule_streq(const char *a, const char *b);
int dt_rule_contains(const char *hay, const char *needle);
/* Distinguished names equal, ignoring case and blanks after separators. */
int dt_rule_dn_eq(const char *a, const char *b);
/* The connection being judged already has a verdict of this severity or
   worse from a rule earlier in the table. */
int dt_rule_conn_has(const struct dt_rule_ctx *ctx, const struct dt_conn *c,
    dt_severity sev);
/* Same host name: case-insensitive, ":port" and a trailing dot ignored. */
int dt_rule_host_eq(const char *a, const char *b);
/* Connection by id, NULL when gone. */
struct dt_conn *dt_rule_conn(const struct dt_rule_ctx *ctx, uint32_t id);

/* Look-alike classifiers, defined in the rule file that owns them and used
   by the rules they pre-empt. */
/* ssl_inspection.c: the chain comes from a TLS-inspecting middlebox.
   *ca_name (may be NULL) gets the matched interception CA name, or NULL when
   the evidence is --expect-cert (different certificate mimicking the host). */
int dt_rule_inspected(const struct dt_rule_ctx *ctx, const struct dt_conn *c,
    const char **ca_name);
/* wrong_server.c: the certificate is not the DirectAccess server's at all
   (a device's own self-signed certificate, or not --expect-cert and not
   covering the host). */
int dt_rule_foreign_cert(const struct dt_rule_ctx *ctx,
    const struct dt_conn *c);
/* crl_unreachable.c: a CRL of this connection's server chain could not be
   fetched (and was not fetched later). */
int dt_rule_crl_failed(struct dt_rule_ctx *ctx, const struct dt_conn *c);

#endif
