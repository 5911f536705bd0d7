/*
 * The rule registry and the helpers every rule uses (SPEC §2): dt_rules[]
 * is built from rules.def, in that order; verdicts are added here with
 * their Windows codes (windows.def), names compared, ports checked. The
 * pass that runs the rules is run.c.
 */
#include "rules/rules.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datrace.h"
#include "tls/tls.h"
#include "util/ports.h"
#include "x509/x509.h"

const struct dt_rule *const dt_rules[] = {
#define DT_RULE(name) &dt_rule_##name,
#include "rules/rules.def"
#undef DT_RULE
};
const size_t dt_rules_count = sizeof dt_rules / sizeof dt_rules[0];
_Static_assert(sizeof dt_rules / sizeof dt_rules[0] == DT_RULES_MAX,
    "DT_RULES_MAX counts rules.def");


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

static const struct {
	const char *id;
	uint32_t code;
	const char *name;
} winerrs[] = {
#define DT_WINERR(id, code, name) { id, code, name },
#include "rules/windows.def"
#undef DT_WINERR
};

int
dt_rule_windows_at(const char *id, size_t k, uint32_t *code,
    const char **name)
{
	size_t i;

	for (i = 0; id != NULL && i < sizeof winerrs / sizeof winerrs[0]; i++)
		if (strcmp(winerrs[i].id, id) == 0 && k-- == 0) {
			if (code != NULL)
				*code = winerrs[i].code;
			if (name != NULL)
				*name = winerrs[i].name;
			return DT_OK;
		}
	return DT_ITEROVER;
}

/* The name of a rule's Windows error from the table; a code the table
   does not list for the rule is our bug. */
static const char *
winerr_name(const char *id, uint32_t code)
{
	const char *name;
	uint32_t c;
	size_t k;

	for (k = 0; dt_rule_windows_at(id, k, &c, &name) == DT_OK; k++)
		if (c == code)
			return name;
	assert(!"Windows error not in lib/rules/windows.def");
	return NULL;
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

int
dt_rule_in_ports(const struct dt_rules_config *cfg, uint16_t port)
{
	return dt_ports_have(cfg != NULL ? cfg->ports : NULL, port);
}

const char *
dt_rule_host(const struct dt_rule_ctx *ctx, const struct dt_conn *c)
{
	if (ctx->cfg != NULL && ctx->cfg->host != NULL &&
	    ctx->cfg->host[0] != '\0')
		return ctx->cfg->host;
	return c != NULL ? dt_facts_server_name(c) : NULL;
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
	/* most names asked about are told apart by their first byte, which
	   name_len() never cuts: the answer is no whatever their lengths */
	if (lower((unsigned char)a[0]) != lower((unsigned char)b[0]))
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

const struct dt_cert *
dt_rule_leaf(const struct dt_conn *c)
{
	if (c->tls->n_server_certs == 0 || c->tls->server_certs == NULL)
		return NULL;
	if (c->tls->server_certs[0].parse_error != NULL &&
	    c->tls->server_certs[0].subject == NULL)
		return NULL;
	return &c->tls->server_certs[0];
}

int
dt_rule_hs_complete(const struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
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
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	uint64_t srv, cli;

	if (t->ch_frame == 0 || t->sh_frame != 0 ||
	    (tr->non_tls_frame != 0 && tr->non_tls_dir == DT_S2C))
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
dt_rule_cert_reaction(const struct dt_conn *c, char *buf, size_t n,
    uint64_t *frame)
{
	const struct dt_tls_facts *t = c->tls;
	char al[64];
	uint64_t cf = t->server_cert_frame, closed;

	*frame = 0;
	if (dt_rule_hs_complete(c)) {
		snprintf(buf, n, "the handshake completed all the same, so this "
		    "client did not refuse the certificate during TLS");
		return DT_CERT_COMPLETED;
	}
	if (t->alert_frame > cf && t->alert_dir == DT_C2S &&
	    (t->alert_encrypted || t->alert_desc != 0)) {
		*frame = t->alert_frame;
		if (t->alert_encrypted)
			snprintf(buf, n, "the client ended the handshake with an "
			    "encrypted alert (frame %llu)",
			    (unsigned long long)t->alert_frame);
		else
			snprintf(buf, n, "the client ended the handshake with a "
			    "%s alert (frame %llu)", dt_tls_alert_str(
			    t->alert_desc, al, sizeof al),
			    (unsigned long long)t->alert_frame);
		return DT_CERT_REFUSED;
	}
	if ((closed = closed_by(c, DT_C2S, cf)) != 0 ||
	    (t->alert_frame > cf && t->alert_dir == DT_C2S)) {
		*frame = closed != 0 && (t->alert_frame <= cf ||
		    t->alert_dir != DT_C2S || closed < t->alert_frame) ?
		    closed : t->alert_frame;
		snprintf(buf, n, "the client closed the connection (frame "
		    "%llu) without a failure alert", (unsigned long long)*frame);
		return DT_CERT_CLOSED;
	}
	snprintf(buf, n, "the capture does not show how the client reacted");
	return DT_CERT_UNKNOWN;
}

int
dt_rule_tls_cut(const struct dt_conn *c)
{
	if (dt_rule_hs_complete(c))
		return 0;
	if (dt_tls_rare(c->tls)->truncated)
		return 1;
	if (c->tls->alert_frame != 0)
		return 0;
	return c->truncated || dt_conn_gap(c, DT_C2S) != 0 ||
	    dt_conn_gap(c, DT_S2C) != 0;
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
	return dt_rule_index_conn(&ctx->idx, id);
}

/* ---- verdict texts ------------------------------------------------------ */

void
dt_text_u64(struct dt_text *t, uint64_t v)
{
	/* two digits a division: a verdict's numbers are frame numbers,
	   five or six digits in a day */
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324"
	    "25262728293031323334353637383940414243444546474849"
	    "50515253545556575859606162636465666768697071727374"
	    "75767778798081828384858687888990919293949596979899";
	char d[20];
	size_t i = sizeof d;

	while (v >= 100) {
		i -= 2;
		memcpy(d + i, pairs + v % 100 * 2, 2);
		v /= 100;
	}
	if (v >= 10) {
		i -= 2;
		memcpy(d + i, pairs + v * 2, 2);
	} else
		d[--i] = (char)('0' + v);
	dt_text_putn(t, d + i, sizeof d - i);
}

void
dt_text_hex4(struct dt_text *t, uint16_t v)
{
	static const char hex[] = "0123456789ABCDEF";
	char d[6];

	d[0] = '0';
	d[1] = 'x';
	d[2] = hex[v >> 12];
	d[3] = hex[v >> 8 & 15];
	d[4] = hex[v >> 4 & 15];
	d[5] = hex[v & 15];
	dt_text_putn(t, d, sizeof d);
}

#define VERSION_LEN 32		/* a version's name, cut (at most 31) */

/* The name of a suite (key: number + 1, up to 0x10000) or a version
   (number + 0x10001, above 0x10000) written in buf, a version's cut at
   VERSION_LEN. */
static const char *
name_str(uint32_t key, char *buf)
{
	if (key > 0x10000)
		return dt_tls_version_str((uint16_t)(key - 0x10001), buf,
		    VERSION_LEN);
	return dt_tls_suite_str((uint16_t)(key - 1), buf,
	    DT_RULE_NAME_MEMO_LEN);
}

/* name_str()'s name of key put in t, from the memo when there is one
   (made there when missing) */
static void
text_name(struct dt_rule_ctx *ctx, struct dt_text *t, uint32_t key)
{
	struct dt_rule_memos *mm = ctx != NULL ? ctx->memos : NULL;
	char buf[DT_RULE_NAME_MEMO_LEN];
	/* by a multiplicative hash: the suites a ClientHello offers
	   (0xC02B, 0xC02F, 0xC02C, 0xC030, ...) share their low bits */
	size_t i = (uint32_t)(key * 0x9e3779b1u) >>
	    (32 - DT_RULE_NAME_MEMO_BITS);

	if (mm == NULL) {
		dt_text_put(t, name_str(key, buf));
		return;
	}
	if (mm->name[i].key != key) {
		name_str(key, mm->name[i].s);
		mm->name[i].key = key;
		mm->name[i].n = (uint8_t)strlen(mm->name[i].s);
	}
	dt_text_putn(t, mm->name[i].s, mm->name[i].n);
}

void
dt_text_suite(struct dt_rule_ctx *ctx, struct dt_text *t, uint16_t suite)
{
	text_name(ctx, t, (uint32_t)suite + 1);
}

void
dt_text_version(struct dt_rule_ctx *ctx, struct dt_text *t, uint16_t version)
{
	text_name(ctx, t, (uint32_t)version + 0x10001);
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
#define MAX_SHARED_TEXTS DT_RULE_SHARED_TEXTS

/* A text's length and its first and last eight bytes: two texts that
   differ here are different, so the walk over the shared texts compares
   one word each, not the texts (most share their first words). */
static uint64_t
text_fp(const char *s, size_t len)
{
	uint64_t a = 0, b = 0;

	memcpy(&a, s, len < 8 ? len : 8);
	if (len > 8)
		memcpy(&b, s + len - 8, 8);
	return (a ^ (b * 0x9e3779b97f4a7c15ULL)) + len;
}

static char *
shared_text(struct dt_rule_ctx *ctx, const struct dt_rule *rule, const char *s)
{
	struct dt_capture *cap = ctx->cap;
	struct dt_rule_memos *mm = ctx->memos;
	uint64_t fp, w, high = 0;
	size_t i, len, at = 0;
	char **v;

	/* a rule hands in its literal, or its buffer holding the same text
	   again: one comparison with what that address held last (by rule
	   too: the rules' buffers are at the same places of the stack) */
	if (mm != NULL) {
		at = ((uintptr_t)s ^ (uintptr_t)rule << 7) *
		    0x9e3779b97f4a7c15ULL >> 32 & (DT_RULE_TEXT_AT - 1);
		if (mm->text_at[at].src == s &&
		    strcmp(mm->text_at[at].text, s) == 0)
			return (char *)mm->text_at[at].text;
	}
	len = strlen(s);
	fp = text_fp(s, len);
	if (mm != NULL)
		for (; mm->n_text_fp < cap->n_texts; mm->n_text_fp++)
			mm->text_fp[mm->n_text_fp] = text_fp(
			    cap->texts[mm->n_text_fp],
			    strlen(cap->texts[mm->n_text_fp]));
	/* a text equal to a shared one is ASCII as it is */
	for (i = 0; i < cap->n_texts; i++)
		if ((mm == NULL || mm->text_fp[i] == fp) &&
		    strcmp(cap->texts[i], s) == 0) {
			if (mm != NULL) {
				mm->text_at[at].src = s;
				mm->text_at[at].text = cap->texts[i];
			}
			return cap->texts[i];
		}
	if (cap->n_texts == MAX_SHARED_TEXTS)
		return NULL;
	/* ASCII: no byte with its high bit, eight at a time */
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		high |= w;
	}
	for (; i < len; i++)
		high |= (unsigned char)s[i];
	if (high & 0x8080808080808080ULL)
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

/* Length of the first ';'-separated clause of an identification reason,
   a ';' inside parentheses not ending it: "same server as connection 2
   (SNI x; port 443)" is one clause. */
static size_t
first_clause(const char *s)
{
	size_t i;
	int depth = 0;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (s[i] == ';' && depth == 0)
			break;
	return i;
}

/* A verdict's summary into dst (room for len + 1): the rule's sentence
   (k bytes), and when tie >= 0 "%s (IP-HTTPS: %.*s)" with the first tie
   bytes of c's identification reason. */
static void
summary_write(char *dst, const char *summary, size_t k, size_t len,
    const struct dt_conn *c, int tie)
{
	if (tie < 0) {
		memcpy(dst, summary, len + 1);
		return;
	}
	memcpy(dst, summary, k);
	memcpy(dst + k, " (IP-HTTPS: ", 12);
	memcpy(dst + k + 12, c->iphttps_reason, (size_t)tie);
	memcpy(dst + k + 12 + tie, ")", 2);
}

struct dt_verdict *
dt_verdict_add(struct dt_rule_ctx *ctx, const struct dt_rule *rule,
    const struct dt_conn *c, dt_confidence conf, uint32_t win_code,
    const char *win_name, const uint64_t *frames, size_t n_frames,
    const char *summary, const char *explanation, const char *remedy)
{
	struct dt_capture *cap = ctx->cap;
	struct dt_verdict *v;
	size_t i, n = 0, len, slen, fb;
	int tie = -1;
	char text[DT_RULE_PACK_MAX];
	void *packed = NULL;

	if (frames != NULL && n_frames == 0)
		while (frames[n_frames] != 0)
			n_frames++;
	if (n_frames > DT_VERDICT_MAX_FRAMES)	/* no rule cites so many */
		n_frames = DT_VERDICT_MAX_FRAMES;
	if (summary == NULL)
		summary = "";
	/* what tied an IP-HTTPS connection to IP-HTTPS: its first clause,
	   after the summary */
	len = slen = strlen(summary);
	if (c != NULL && c->iphttps && dt_conn_reason(c)[0] != '\0') {
		struct dt_rule_memos *mm = ctx->memos;

		if (mm == NULL)
			tie = (int)first_clause(c->iphttps_reason);
		else {
			if (mm->tie_reason != c->iphttps_reason) {
				mm->tie_reason = c->iphttps_reason;
				mm->tie_len = first_clause(c->iphttps_reason);
			}
			tie = (int)mm->tie_len;
		}
		len += sizeof " (IP-HTTPS: )" - 1 + (size_t)tie;
	}
	/* the verdict, its frames and its summary in one block of the
	   capture's kept memory: one per failed attempt stays to the end */
	if (n_frames > (SIZE_MAX / 2 - sizeof *v - len) / sizeof *v->frames)
		return NULL;
	fb = n_frames * sizeof *v->frames;
	/* while the rules run, as its sentence and numbers (packed.c),
	   unless kept memory goes to the capture's spill file: the text is
	   then off the heap at once, and packing would only add the
	   numbers and sentences to the heap (0.6 MB at the 2 GiB day's
	   rule pass) and the work of writing each summary twice */
	if (len < sizeof text && cap->spill == NULL) {
		summary_write(text, summary, slen, len, c, tie);	/* it fits */
		packed = dt_rule_summary_pack(ctx, text, len);
	}
	v = dt_capture_keep(cap, sizeof *v + fb + (packed != NULL ? 0 :
	    len + 1));
	if (v == NULL)
		return NULL;
	v->kept = 1;
	v->id = rule->id;
	v->severity = rule->severity;
	v->confidence = conf;
	v->win_code = win_code;
	v->win_name = win_code != 0 ? winerr_name(rule->id, win_code) : NULL;
	(void)win_name;		/* the table's, the same by construction */
	v->conn = c != NULL ? c->id : 0;
	if (n_frames > 0) {
		v->frames = (uint64_t *)(v + 1);
		for (i = 0; i < n_frames; i++)
			if (frames[i] != 0)
				v->frames[n++] = frames[i];
		if (n > 16)
			qsort(v->frames, n, sizeof *v->frames, cmp_u64);
		else		/* the few a verdict cites, in place */
			for (i = 1; i < n; i++) {
				uint64_t f = v->frames[i];
				size_t j;

				for (j = i; j > 0 && v->frames[j - 1] > f; j--)
					v->frames[j] = v->frames[j - 1];
				v->frames[j] = f;
			}
		v->n_frames = 0;
		for (i = 0; i < n; i++)
			if (v->n_frames == 0 ||
			    v->frames[v->n_frames - 1] != v->frames[i])
				v->frames[v->n_frames++] = v->frames[i];
	}
	if (c != NULL && !c->iphttps)
		v->background = 1;
	if (packed != NULL) {
		v->summary = packed;
		v->packed = 1;
	} else {
		v->summary = (char *)(v + 1) + fb;
		summary_write(v->summary, summary, slen, len, c, tie);
	}
	/* a weak identification weakens every finding about it */
	if (tie >= 0 && c->iphttps_score < DT_RULE_STRONG &&
	    v->confidence > DT_CONF_LOW)
		v->confidence--;
	if (explanation == NULL)
		explanation = "";
	if (remedy == NULL)
		remedy = "";
	/* a text of its own (a name in it) lives as long as the verdict,
	   in kept memory: on the heap, a day's server-name-mismatch
	   verdicts under --all held 20 MB of them to the end */
	if ((v->explanation = shared_text(ctx, rule, explanation)) != NULL)
		v->shared_text |= 1;
	else if ((v->explanation = dt_capture_keep_str(cap, explanation, strlen(explanation))) != NULL)
		v->shared_text |= 4;
	if ((v->remedy = shared_text(ctx, rule, remedy)) != NULL)
		v->shared_text |= 2;
	else if ((v->remedy = dt_capture_keep_str(cap, remedy, strlen(remedy))) != NULL)
		v->shared_text |= 8;
	if (v->explanation == NULL || v->remedy == NULL)
		return NULL;	/* the kept block stays (kept memory is
				   never freed alone); memory failed */
	if (cap->verdicts_tail != NULL)
		cap->verdicts_tail->next = v;
	else
		cap->verdicts = v;
	cap->verdicts_tail = v;
	cap->n_verdicts++;
	return v;
}
