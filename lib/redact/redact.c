/*
 * redact.c - pseudonyms for a report that goes to people who must not see
 * the customer's addresses and names (issue 19; see redact.h): the
 * redactor and its key (any length, hashed to 32 bytes; or random), and
 * the options the report echoes (--host, --ca, --expect-cert, -F), whose
 * values are remembered because the rules quote them in verdict texts.
 *
 * The room, one job per file: pseudo.c (the keyed pseudonyms, addresses
 * prefix-preserving, and the dictionary original -> pseudonym), values.c
 * (names with their public suffix kept, paths, URLs, DNs, hex), text.c
 * (free text through the dictionary), capture.c (a judged capture's facts
 * field by field, then its verdict texts); redact_int.h is what they
 * share.
 */
#include "redact/redact_int.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

int
dt_redact_new(struct dt_redact **out, struct dt_mem *m, const void *key,
    size_t len)
{
	struct dt_redact *r;

	*out = NULL;
	r = dt_calloc(m, 1, sizeof *r);
	if (r == NULL)
		return DT_ENOMEM;
	r->m = m;
	r->psl = psl_builtin();
	if (key != NULL && len > 0) {
		/* any length: its SHA-256 is the key */
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key, len, r->key) < 0) {
			dt_free(m, r);
			return DT_EINVAL;
		}
	} else if (gnutls_rnd(GNUTLS_RND_KEY, r->key, sizeof r->key) < 0) {
		dt_free(m, r);
		return DT_EINVAL;
	}
	*out = r;
	return 0;
}

void
dt_redact_free(struct dt_redact *r)
{
	size_t i;

	if (r != NULL) {
		for (i = 0; i < 3; i++)
			dt_free(r->m, r->opt[i]);
		redact_caches_free(r);
		gnutls_memset(r->key, 0, sizeof r->key);
		dt_free(r->m, r);
	}
}

/* One option string, outside any capture. */
static char *
option(struct dt_redact *r, struct dt_mem *m, const char *s,
    void (*fn)(struct dt_redact *, struct dt_buf *, const char *))
{
	struct dt_buf b = DT_BUF_INIT(m);
	char *p;

	if (s == NULL)
		return NULL;
	r->cm = m;
	dt_hash_init(&r->dict, m);
	fn(r, &b, s);
	p = b.err ? NULL : dt_strdup(m, dt_buf_str(&b));
	dt_buf_free(&b);
	dt_hash_free(&r->dict);
	redact_words_free(r);
	return p;
}

static void
opt_name(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	redact_name_into(r, b, s);
}

static void
opt_path(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	redact_path_into(r, b, s, strlen(s));
}

static void
opt_expect(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n && strchr("0123456789abcdefABCDEF", s[i]); i++)
		;
	if (n == 64 && i == n) {
		char low[65];

		for (i = 0; i < n; i++)
			low[i] = s[i] >= 'A' && s[i] <= 'F' ?
			    (char)(s[i] - 'A' + 'a') : s[i];
		low[n] = '\0';
		redact_token(r, b, "hex", "", low, n, 64);
	} else {
		redact_path_into(r, b, s, n);
	}
}

static void
opt_text(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	redact_text_into(r, b, s);
}

static void
remember(struct dt_redact *r, int i, const char *s)
{
	dt_free(r->m, r->opt[i]);
	r->opt[i] = s != NULL ? dt_strdup(r->m, s) : NULL;
}

char *
dt_redact_name(struct dt_redact *r, struct dt_mem *m, const char *s)
{
	remember(r, 0, s);
	return option(r, m, s, opt_name);
}

char *
dt_redact_path(struct dt_redact *r, struct dt_mem *m, const char *s)
{
	remember(r, 1, s);
	return option(r, m, s, opt_path);
}

char *
dt_redact_expect(struct dt_redact *r, struct dt_mem *m, const char *s)
{
	remember(r, 2, s);
	return option(r, m, s, opt_expect);
}

char *
dt_redact_text(struct dt_redact *r, struct dt_mem *m, const char *s)
{
	return option(r, m, s, opt_text);
}

