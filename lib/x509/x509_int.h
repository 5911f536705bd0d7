/*
 * Internal to x509/: the context (trust anchors, expected certificate and
 * the certificate cache) and what the files of x509/ share. Who does what:
 *
 *   cert.c        one DER certificate -> struct dt_cert (GnuTLS), DN strings
 *   validity.c    notBefore / notAfter read from the DER by hand
 *   cache.c       each distinct DER parsed once per context; chain verdicts
 *   ctx.c         --ca anchors, --expect-cert, the context's life
 *   chain.c       chain verification against the anchors
 *   host.c        RFC 6125 host-name matching
 *   inspection.c  TLS-inspection CA names (table in inspection_cas.c)
 *
 * Calls run downwards only: chain.c -> ctx.c, cache.c; ctx.c -> cache.c,
 * cert.c; cache.c -> cert.c -> validity.c; inspection.c -> ctx.c.
 */
#ifndef DT_X509_INT_H
#define DT_X509_INT_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "x509/x509.h"

#include "util/rd.h"

#define DN_CAP		4096	/* bytes of one DN string */
#define NAME_CAP	1024	/* bytes of one SAN / URL / CN */
#define LIST_CAP	256	/* entries of one list (SANs, URLs) */
#define FILE_CAP	(16u << 20)	/* --ca / --expect-cert files */

#define OID_SERVER_AUTH	"1.3.6.1.5.5.7.3.1"
#define OID_CLIENT_AUTH	"1.3.6.1.5.5.7.3.2"
#define OID_ANY_EKU	"2.5.29.37.0"
#define OID_EKU_EXT	"2.5.29.37"
#define OID_SAN_EXT	"2.5.29.17"
#define OID_CDP_EXT	"2.5.29.31"
#define OID_AIA_EXT	"1.3.6.1.5.5.7.1.1"

/* Flags for every GnuTLS verification here: never the wall clock; old
   enterprise PKIs still sign with SHA-1 and Windows accepts it there. */
#define VERIFY_FLAGS (GNUTLS_VERIFY_DISABLE_TIME_CHECKS | \
	GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS | \
	GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1)

/*
 * The certificate cache: a capture of a busy server holds the same few
 * certificates in thousands of handshakes, and GnuTLS's ASN.1 parse is the
 * most expensive thing done per connection. Each distinct DER is parsed
 * once per analyzer; connections get a struct dt_cert whose pointers are
 * the cache's (dt_cert.cached). Keyed by a fast hash of the DER, confirmed
 * by comparing the bytes; bounded in entries, bytes and probe length, so
 * hostile input costs at most an ordinary parse per certificate. The chain
 * verdicts of cached chains are kept too (same certificates, same
 * anchors: same answer).
 */
#define CACHE_BUCKETS	1024
#define CACHE_WAYS	8		/* entries looked at per bucket */
#define CACHE_ENTRIES	4096
#define CACHE_BYTES	((size_t)16 << 20)
#define CHAIN_SLOTS	256
#define CHAIN_MAX	16		/* certificates checked per chain */

struct cache_entry {
	struct cache_entry *next;
	uint64_t hash;
	int rc;				/* dt_x509_parse()'s result */
	struct dt_cert cert;		/* owns its pointers (cached == 0) */
};

struct chain_slot {
	size_t n;			/* 0: empty */
	const uint8_t *der[CHAIN_MAX];	/* cached DER: stable identities */
	enum dt_chain res;
	char *why;
};

struct shared_chain {			/* dt_x509_chain_shared() */
	struct shared_chain *next;
	uint64_t hash;
	size_t n;
	struct dt_cert certs[];		/* copies of cached certificates */
};

struct dn_entry {			/* CertificateRequest CA names */
	struct dn_entry *next;
	uint64_t hash;
	char *str;			/* NULL: unreadable */
	size_t len;
	uint8_t der[];
};

struct cert_cache {
	struct cache_entry *bucket[CACHE_BUCKETS];
	struct dn_entry *dn[CACHE_BUCKETS];
	size_t entries, bytes;
	uint64_t hits, misses;
	struct chain_slot chain[CHAIN_SLOTS];
	struct shared_chain *shared[CACHE_BUCKETS];
	size_t n_shared;
};

struct dt_x509_ctx {
	struct dt_mem *mem;
	gnutls_x509_trust_list_t anchors;	/* NULL: none */
	unsigned n_anchors;
	char expected[65];			/* "" when none */
	struct cert_cache *cache;	/* mutable behind a const ctx */
};

/* cert.c: lower-case hex of n bytes into out[2n+1]. */
void dt_x509_hex_lower(const uint8_t *p, size_t n, char *out);
/* validity.c: RFC 5280 4.1.2.5 times of a DER certificate (s since 1970);
   0 when they cannot be read there (GnuTLS's values are the fallback). */
int dt_x509_der_validity(const uint8_t *der, size_t len, int64_t *nb,
    int64_t *na);
/* ctx.c: whole file into memory from m (NUL-terminated), at most FILE_CAP
   bytes; NULL with errno set. */
uint8_t *dt_x509_slurp(struct dt_mem *m, const char *path, size_t *len);
/* cache.c */
void dt_x509_cache_free(struct dt_mem *m, struct cert_cache *cc);
/* The slot of a chain made only of cached certificates, or NULL; and
   whether the slot holds exactly that chain. */
struct chain_slot *dt_x509_chain_slot(const struct dt_x509_ctx *x,
    const struct dt_cert *chain, size_t n);
int dt_x509_chain_slot_is(const struct chain_slot *s,
    const struct dt_cert *chain, size_t n);

#endif
