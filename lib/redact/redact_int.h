/*
 * redact_int.h - the insides lib/redact/'s files share (not installed):
 * the redactor, the keyed pseudonyms and their dictionary (pseudo.c),
 * the pseudonyms of names, paths, URLs, DNs and hex values (values.c) and
 * of free text (text.c); capture.c rewrites a capture's facts with them,
 * redact.c makes the redactor and redacts the options. See redact.h.
 */
#ifndef DT_REDACT_INT_H
#define DT_REDACT_INT_H

#include <gnutls/crypto.h>
#include <libpsl.h>
#include <stddef.h>
#include <stdint.h>

#include "facts/facts.h"
#include "redact/redact.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/mem.h"

/* The kinds of value a pseudonym is made for ("ip4", "name", ...): a few. */
#define REDACT_KINDS	16

struct dt_redact {
	struct dt_mem *m;
	uint8_t key[DT_REDACT_KEYLEN];
	const psl_ctx_t *psl;
	/* an HMAC state per kind, keyed and fed the kind's name: a MAC is
	   a copy of it (pseudo.c) */
	struct {
		const char *kind;
		gnutls_hmac_hd_t h;
	} macs[REDACT_KINDS];
	size_t n_macs;
	/* the pseudonyms of addresses and the keyed bits of prefixes met
	   lately (pseudo.c), or NULL */
	struct redact_addr_slot *addr_cache;
	struct redact_bit_slot *bit_cache;
	/* per capture */
	struct dt_mem *cm;		/* the capture's memory */
	struct dt_hash dict;		/* original -> pseudonym (char *) */
	struct dt_hash chains;		/* a chain the x509 cache shares ->
					   its redacted copy, kept */
	struct redact_block *words;	/* the dictionary's pseudonyms, in
					   blocks (pseudo.c) */
	size_t dn_lens[32];		/* distinct lengths of known DNs */
	size_t n_dn_lens;
	int err;			/* memory failed */
	/* option values the rules may quote in texts (--host, --ca,
	   --expect-cert), learnt for every capture */
	char *opt[3];
};

/* ---- pseudo.c: keyed pseudonyms and the dictionary ----------------------- */

/* The MAC states and the address cache made, let go (dt_redact_free). */
void redact_caches_free(struct dt_redact *r);
/* kind-keyed token of s[0..n): prefix, then nhex hex digits of the MAC. */
void redact_token(struct dt_redact *r, struct dt_buf *b, const char *kind,
    const char *prefix, const char *s, size_t n, size_t nhex);
/* An address in place: prefix-preserving, kept ranges kept. */
void redact_addr_map(struct dt_redact *r, struct dt_addr *a);
/* An address literal (v4, v6, "[v6]") in s[0..n): its pseudonym into b;
   0 when s[0..n) is not one. */
int redact_addr_text(struct dt_redact *r, struct dt_buf *b, const char *s,
    size_t n);
/* b's string kept as a pseudonym of the capture (owned by r). */
char *redact_keep(struct dt_redact *r, struct dt_buf *b);
/* Remember orig -> b's pseudonym for the texts; returns the pseudonym. */
const char *redact_learn(struct dt_redact *r, const char *orig,
    struct dt_buf *b);
/* The dictionary's pseudonyms let go, at the end of a pass (r->cm's). */
void redact_words_free(struct dt_redact *r);
/* The pseudonym already given to s[0..n), or NULL. */
const char *redact_known(struct dt_redact *r, const char *s, size_t n);

/* ---- values.c: names, paths, URLs, DNs, hex ------------------------------ */

void redact_name_into(struct dt_redact *r, struct dt_buf *b, const char *s);
void redact_path_into(struct dt_redact *r, struct dt_buf *b, const char *s,
    size_t n);
/* Each returns the pseudonym (learnt for the texts); NULL in, NULL out. */
const char *redact_name_map(struct dt_redact *r, const char *s);
const char *redact_path_map(struct dt_redact *r, const char *s);
const char *redact_hostport_map(struct dt_redact *r, const char *s);
const char *redact_url_map(struct dt_redact *r, const char *s);
const char *redact_uri_map(struct dt_redact *r, const char *s);
const char *redact_dn_map(struct dt_redact *r, const char *s);
const char *redact_hex_map(struct dt_redact *r, const char *s);

/* ---- text.c: free text --------------------------------------------------- */

/* s with every known value and address literal replaced, into b. */
void redact_text_into(struct dt_redact *r, struct dt_buf *b, const char *s);
/* The same as a string allocated from m (NULL when memory failed). */
char *redact_text_map(struct dt_redact *r, struct dt_mem *m, const char *s);

#endif
