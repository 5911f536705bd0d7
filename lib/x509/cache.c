/*
 * x509/cache: each distinct certificate DER (and CertificateRequest DN) is
 * parsed once per context, and the verdict of a chain of cached
 * certificates is kept (the structures and bounds are in x509_int.h).
 */
#include "x509/x509_int.h"

#include <string.h>

#define DER_HASH_EDGE	64	/* bytes hashed at each end */

static uint64_t
der_hash_run(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p + i, n - i);
	return (h ^ w) * 0xc4ceb9fe1a85ec53ull;
}

/* Not cryptographic: equal hashes are confirmed by the bytes. The length
   and the bytes at both ends, not all of them: a certificate ends with
   its signature, which no two share, and the same one comes again in
   every handshake with its server (hashing a kilobyte or more each time
   was 1 % of a run); a DN is short enough to be hashed whole. Many
   alike at both ends only share a bucket, whose ways are bounded. */
static uint64_t
der_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

	if (n <= 2 * DER_HASH_EDGE)
		h = der_hash_run(h, p, n);
	else
		h = der_hash_run(der_hash_run(h, p, DER_HASH_EDGE),
		    p + n - DER_HASH_EDGE, DER_HASH_EDGE);
	return h ^ h >> 29;
}

int
dt_x509_parse_cached(const struct dt_x509_ctx *x, struct dt_mem *m,
    const uint8_t *der, size_t len, struct dt_cert *out)
{
	struct cert_cache *cc = x != NULL ? x->cache : NULL;
	struct cache_entry *e, **slot;
	uint64_t h;
	size_t ways = 0, before;

	if (cc == NULL || der == NULL || len == 0 || len > UINT32_MAX)
		return dt_x509_parse(m, der, len, out);
	h = der_hash(der, len);
	slot = &cc->bucket[h % CACHE_BUCKETS];
	for (e = *slot; e != NULL; e = e->next, ways++)
		if (e->hash == h && e->cert.der_len == len &&
		    memcmp(e->cert.der, der, len) == 0) {
			cc->hits++;
			*out = e->cert;
			out->cached = 1;
			return e->rc;
		}
	if (ways >= CACHE_WAYS || cc->entries >= CACHE_ENTRIES ||
	    cc->bytes >= CACHE_BYTES)
		return dt_x509_parse(m, der, len, out);
	before = x->mem->used;
	if ((e = dt_calloc(x->mem, 1, sizeof *e)) == NULL) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	e->rc = dt_x509_parse(x->mem, der, len, &e->cert);
	if (e->cert.der == NULL) {	/* no memory: nothing worth keeping */
		dt_cert_clear(x->mem, &e->cert);
		dt_free(x->mem, e);
		memset(out, 0, sizeof *out);
		return -1;
	}
	cc->misses++;
	cc->entries++;
	cc->bytes += x->mem->used > before ? x->mem->used - before : 0;
	e->hash = h;
	e->next = *slot;
	*slot = e;
	*out = e->cert;
	out->cached = 1;
	return e->rc;
}

/* The key of a chain made only of certificates the cache holds: their DER
   pointers, so equal chains meet without comparing bytes. 0: no key (an
   empty or long chain, or a certificate the cache does not hold). */
static int
chain_key(const struct dt_cert *chain, size_t n, uint64_t *key)
{
	uint64_t h = n;
	size_t i;

	if (n == 0 || n > CHAIN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (!chain[i].cached || chain[i].der == NULL)
			return 0;
		h = (h ^ (uint64_t)(uintptr_t)chain[i].der) *
		    0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	*key = h;
	return 1;
}

/* Chains of certificates whose DER the cache holds: identified by those
   DER pointers, so equal chains are found without comparing bytes. */
const struct dt_cert *
dt_x509_chain_shared(const struct dt_x509_ctx *x, const struct dt_cert *chain,
    size_t n)
{
	struct cert_cache *cc = x != NULL ? x->cache : NULL;
	struct shared_chain *s, **slot;
	uint64_t h;
	size_t i, ways = 0;

	if (cc == NULL || !chain_key(chain, n, &h))
		return NULL;
	slot = &cc->shared[h % CACHE_BUCKETS];
	for (s = *slot; s != NULL; s = s->next, ways++) {
		if (s->hash != h || s->n != n)
			continue;
		for (i = 0; i < n && s->certs[i].der == chain[i].der; i++)
			;
		if (i == n)
			return s->certs;
	}
	if (ways >= CACHE_WAYS || cc->n_shared >= CACHE_ENTRIES)
		return NULL;
	if ((s = dt_malloc(x->mem, sizeof *s + n * sizeof *chain)) == NULL)
		return NULL;
	s->hash = h;
	s->n = n;
	memcpy(s->certs, chain, n * sizeof *chain);
	s->next = *slot;
	*slot = s;
	cc->n_shared++;
	return s->certs;
}

void
dt_x509_cache_stats(const struct dt_x509_ctx *x, uint64_t *hits,
    uint64_t *misses, size_t *bytes)
{
	const struct cert_cache *cc = x != NULL ? x->cache : NULL;

	*hits = cc != NULL ? cc->hits : 0;
	*misses = cc != NULL ? cc->misses : 0;
	*bytes = cc != NULL ? cc->bytes : 0;
}

void
dt_x509_cache_free(struct dt_mem *m, struct cert_cache *cc)
{
	struct cache_entry *e;
	size_t i;

	if (cc == NULL)
		return;
	for (i = 0; i < CACHE_BUCKETS; i++)
		while ((e = cc->bucket[i]) != NULL) {
			cc->bucket[i] = e->next;
			dt_cert_clear(m, &e->cert);
			dt_free(m, e);
		}
	for (i = 0; i < CACHE_BUCKETS; i++)
		while (cc->dn[i] != NULL) {
			struct dn_entry *d = cc->dn[i];

			cc->dn[i] = d->next;
			dt_free(m, d->str);
			dt_free(m, d);
		}
	for (i = 0; i < CHAIN_SLOTS; i++)
		dt_free(m, cc->chain[i].why);
	for (i = 0; i < CACHE_BUCKETS; i++)
		while (cc->shared[i] != NULL) {
			struct shared_chain *s = cc->shared[i];

			cc->shared[i] = s->next;
			dt_free(m, s);
		}
	dt_free(m, cc);
}

/* The slot of a chain made only of cached certificates, or NULL. */
struct chain_slot *
dt_x509_chain_slot(const struct dt_x509_ctx *x, const struct dt_cert *chain,
    size_t n)
{
	uint64_t h;

	if (x->cache == NULL || !chain_key(chain, n, &h))
		return NULL;
	return &x->cache->chain[h % CHAIN_SLOTS];
}

int
dt_x509_chain_slot_is(const struct chain_slot *s, const struct dt_cert *chain,
    size_t n)
{
	size_t i;

	if (s->n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (s->der[i] != chain[i].der)
			return 0;
	return 1;
}

char *
dt_x509_dn_string_cached(const struct dt_x509_ctx *x, struct dt_mem *m,
    const uint8_t *der, size_t len)
{
	struct cert_cache *cc = x != NULL ? x->cache : NULL;
	struct dn_entry *d, **slot;
	uint64_t h;
	size_t ways = 0, before;

	if (cc == NULL || der == NULL || len == 0 || len > UINT32_MAX)
		return dt_x509_dn_string(m, der, len);
	h = der_hash(der, len);
	slot = &cc->dn[h % CACHE_BUCKETS];
	for (d = *slot; d != NULL; d = d->next, ways++)
		if (d->hash == h && d->len == len &&
		    memcmp(d->der, der, len) == 0)
			return d->str != NULL ? dt_strdup(m, d->str) : NULL;
	if (ways >= CACHE_WAYS || cc->entries >= CACHE_ENTRIES ||
	    cc->bytes >= CACHE_BYTES)
		return dt_x509_dn_string(m, der, len);
	before = x->mem->used;
	if ((d = dt_malloc(x->mem, sizeof *d + len)) == NULL)
		return NULL;
	d->str = dt_x509_dn_string(x->mem, der, len);
	d->hash = h;
	d->len = len;
	memcpy(d->der, der, len);
	d->next = *slot;
	*slot = d;
	cc->entries++;
	cc->bytes += x->mem->used > before ? x->mem->used - before : 0;
	return d->str != NULL ? dt_strdup(m, d->str) : NULL;
}
