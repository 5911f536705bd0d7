/*
 * x509/: certificate facts and chain checks, with GnuTLS.
 *
 * dt_x509_parse() fills a struct dt_cert from DER (subject, issuer, serial,
 * validity, SANs, CRL distribution points, AIA, EKU, key, signature
 * algorithm, SHA-256, self-signed); a certificate GnuTLS cannot parse gets
 * parse_error set and is still a fact. dt_x509_verify_chain() checks the
 * chain the server sent against the trust anchors of --ca at a given time
 * without touching GnuTLS's process-wide time function: time checks are
 * disabled in GnuTLS and validity is compared with the capture time here.
 */
#ifndef DT_X509_H
#define DT_X509_H

#include <stddef.h>
#include <stdint.h>

#include "facts/facts.h"

struct dt_x509_ctx;	/* trust anchors + expected certificate */

/* ca_file / ca_pem may both be NULL (no anchors); either holds PEM
   certificates (or one DER). expect: a PEM/DER file or a 64-hex SHA-256
   (any case, colons allowed), or NULL. 0 ok; DT_ECERT (errbuf names the
   file and the problem) or DT_ENOMEM. Calls gnutls_global_init() (reference
   counted); dt_x509_ctx_free() calls gnutls_global_deinit(). */
int dt_x509_ctx_new(struct dt_x509_ctx **out, struct dt_mem *m,
    const char *ca_file, const char *ca_pem, size_t ca_pem_len,
    const char *expect, char *errbuf, size_t errlen);
void dt_x509_ctx_free(struct dt_x509_ctx *x);
int dt_x509_ctx_has_anchors(const struct dt_x509_ctx *x);
/* Expected server certificate's SHA-256 (hex), or NULL. */
const char *dt_x509_ctx_expected(const struct dt_x509_ctx *x);

/* 0 ok; -1 parse failure (out->parse_error says why, out->sha256 is the
   fingerprint of the bytes) or no memory (m->failed, *out cleared). *out is
   overwritten (not freed first); release it with dt_cert_clear(). Strings
   from the certificate are capped (4 KiB per DN, 256 names per list) and
   control bytes, NUL included, are written as RFC 4514 "\XX" escapes. */
int dt_x509_parse(struct dt_mem *m, const uint8_t *der, size_t len,
    struct dt_cert *out);

/* dt_x509_parse() through x's certificate cache: each distinct DER is
   parsed once per context; *out then shares the cache's pointers
   (out->cached = 1, read-only, valid until dt_x509_ctx_free();
   dt_cert_clear() only forgets them). Past the cache's bounds (4096
   certificates, 16 MiB) or with x NULL: a plain dt_x509_parse(). Same
   return values. Not for two threads at once on one x. */
int dt_x509_parse_cached(const struct dt_x509_ctx *x, struct dt_mem *m,
    const uint8_t *der, size_t len, struct dt_cert *out);
/* The cache's one array equal to chain[0..n) (leaf first, as seen), when
   every certificate of it came from the cache: thousands of handshakes
   carry the same chain, and each copy was n x 248 bytes kept to the end of
   the capture. Read-only, valid until dt_x509_ctx_free(); NULL when a
   certificate is not cached, past the cache's bounds, or memory failed
   (then keep one's own array). Not for two threads at once on one x. */
const struct dt_cert *dt_x509_chain_shared(const struct dt_x509_ctx *x,
    const struct dt_cert *chain, size_t n);
/* Cache counters (for tests and the benchmark). */
void dt_x509_cache_stats(const struct dt_x509_ctx *x, uint64_t *hits,
    uint64_t *misses, size_t *bytes);

/* Chain (leaf first; any order works) against the anchors, GnuTLS's time
   checks off: `when` (s since 1970) is not used for validity, which the
   rules compare with not_before/not_after, so the result never depends on
   the day the tool runs. DT_CHAIN_UNCHECKED without anchors or chain. Sets
   *why (allocated from m, a sentence naming where the chain stops) when
   UNTRUSTED or BAD, NULL otherwise. At most 16 certificates are checked.
   The verdict of a chain of cached certificates is remembered (the
   certificates and anchors decide it, nothing else). */
enum dt_chain dt_x509_verify_chain(const struct dt_x509_ctx *x,
    struct dt_mem *m, const struct dt_cert *chain, size_t n, int64_t when,
    char **why);

/* RFC 6125 host-name check of the leaf (SAN dNSName with wildcards; CN only
   without SAN). 1 match, 0 no match. */
int dt_x509_matches_host(const struct dt_cert *leaf, const char *host);

/* DER-encoded DN -> RFC 4514 string (CertificateRequest CA names). */
char *dt_x509_dn_string(struct dt_mem *m, const uint8_t *der, size_t len);
/* The same through x's cache (x may be NULL); the result is the caller's. */
char *dt_x509_dn_string_cached(const struct dt_x509_ctx *x, struct dt_mem *m,
    const uint8_t *der, size_t len);

/*
 * TLS-inspection (interception) CA names. The built-in table is generated
 * from lib/x509/inspection-cas.txt into inspection_cas.c by
 * scripts/gen-inspection-cas.sh; test_x509 checks the two agree.
 */
struct dt_inspection_ca {
	const char *fragment;	/* case-insensitive substring of an issuer DN */
	const char *product;	/* "Fortinet FortiGate SSL deep inspection" */
	const char *source;	/* where the name is documented */
	int verified;		/* 0: name seen in the wild, not in vendor docs */
};

/* The built-in table (static) and its length. */
const struct dt_inspection_ca *dt_x509_inspection_cas(size_t *n);

/* Does issuer_dn name an interception CA? Built-in fragments first, then
   `extra` (NULL-ended, from --inspection-cas; may be NULL). Returns the
   product name (static; for an extra fragment: the fragment itself) or NULL;
   *fragment (when not NULL) gets the fragment that matched. */
const char *dt_x509_inspection_ca_match(const char *issuer_dn,
    const char *const *extra, const char **fragment);

/* --inspection-cas FILE: one fragment per line, '#' starts a comment, blank
   lines ignored, surrounding blanks trimmed. *out: NULL-ended array from m,
   free with dt_x509_strv_free(). 0 ok; DT_EIO with errbuf ("cannot read
   --inspection-cas file X: ...") or DT_ENOMEM. At most 4096 names of 1 KiB. */
int dt_x509_inspection_cas_load(struct dt_mem *m, const char *path,
    char ***out, char *errbuf, size_t errlen);
void dt_x509_strv_free(struct dt_mem *m, char **v);

#endif
