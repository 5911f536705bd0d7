/*
 * pseudo.c - the keyed pseudonyms every value goes through, and the
 * dictionary of the values a capture's facts held (original ->
 * pseudonym), which the verdict texts are rewritten through.
 *
 * Every pseudonym is a function of the key and the value (HMAC-SHA256,
 * GnuTLS), so one value gets one pseudonym across connections, captures
 * and (with the same key) runs. Addresses: Crypto-PAn's prefix-preserving
 * construction (Xu, Fan, Ammar, Moon, "Prefix-preserving IP address
 * anonymization", 2002) with HMAC-SHA256 as the keyed function; on the way
 * to a kept range (RFC 1918, RFC 6598, loopback, link-local, RFC 5737
 * documentation, RFC 2544 benchmarking, multicast; for IPv6 ULA,
 * link-local, RFC 3849 documentation, 6to4, Teredo, multicast, mapped
 * IPv4) no bit is flipped, so an address in such a range stays in it and
 * one outside stays outside.
 */
#include "redact/redact_int.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

/* The HMAC state of `kind`, keyed and fed the kind's name with its NUL:
   made once (a kind is one of a few literals), NULL when it cannot be. */
static gnutls_hmac_hd_t
kind_state(struct dt_redact *r, const char *kind)
{
	gnutls_hmac_hd_t h;
	size_t i;

	for (i = 0; i < r->n_macs; i++)
		if (r->macs[i].kind == kind || strcmp(r->macs[i].kind, kind) == 0)
			return r->macs[i].h;
	if (r->n_macs == REDACT_KINDS ||
	    gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, r->key, sizeof r->key) < 0)
		return NULL;
	if (gnutls_hmac(h, kind, strlen(kind) + 1) < 0) {
		gnutls_hmac_deinit(h, NULL);
		return NULL;
	}
	r->macs[r->n_macs].kind = kind;
	r->macs[r->n_macs++].h = h;
	return h;
}

void
redact_caches_free(struct dt_redact *r)
{
	while (r->n_macs > 0)
		gnutls_hmac_deinit(r->macs[--r->n_macs].h, NULL);
	dt_free(r->m, r->addr_cache);
	dt_free(r->m, r->bit_cache);
	r->addr_cache = NULL;
	r->bit_cache = NULL;
}

/* HMAC-SHA256(key, kind NUL value). From the kind's state copied: two
   blocks of SHA-256 a MAC where keying one took two more, and an address
   takes a MAC per bit (Crypto-PAn): --redact of the 2 GiB bench day made
   11 million. */
static void
mac(struct dt_redact *r, const char *kind, const void *p, size_t n,
    uint8_t out[32])
{
	gnutls_hmac_hd_t base = kind_state(r, kind), h;

	memset(out, 0, 32);
	if (base != NULL && (h = gnutls_hmac_copy(base)) != NULL) {
		gnutls_hmac(h, p, n);
		gnutls_hmac_deinit(h, out);
		return;
	}
	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, r->key, sizeof r->key) < 0)
		return;
	gnutls_hmac(h, kind, strlen(kind) + 1);
	gnutls_hmac(h, p, n);
	gnutls_hmac_deinit(h, out);
}

/* kind-prefixed token: prefix, then nhex hex digits of the MAC. */
void
redact_token(struct dt_redact *r, struct dt_buf *b, const char *kind,
    const char *prefix, const char *s, size_t n, size_t nhex)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[32];
	size_t i;

	mac(r, kind, s, n, d);
	dt_buf_puts(b, prefix);
	for (i = 0; i < nhex && i < 64; i++)
		dt_buf_putn(b, &hex[(d[i / 2] >> (i % 2 ? 0 : 4)) & 15], 1);
}

/* ---- addresses --------------------------------------------------------------- */

static const struct {
	uint8_t family, bits;
	uint8_t p[16];
} kept[] = {
	{ 4, 8, { 10 } }, { 4, 12, { 172, 16 } }, { 4, 16, { 192, 168 } },
	{ 4, 10, { 100, 64 } }, { 4, 8, { 127 } }, { 4, 16, { 169, 254 } },
	{ 4, 8, { 0 } }, { 4, 15, { 198, 18 } }, { 4, 24, { 192, 0, 2 } },
	{ 4, 24, { 198, 51, 100 } }, { 4, 24, { 203, 0, 113 } },
	{ 4, 4, { 224 } }, { 4, 32, { 255, 255, 255, 255 } },
	{ 6, 7, { 0xfc } }, { 6, 10, { 0xfe, 0x80 } }, { 6, 8, { 0xff } },
	{ 6, 32, { 0x20, 0x01, 0x0d, 0xb8 } }, { 6, 16, { 0x20, 0x02 } },
	{ 6, 32, { 0x20, 0x01 } },
	{ 6, 96, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } },
	{ 6, 128, { 0 } },
	{ 6, 128, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
};

static int
bit(const uint8_t *a, unsigned i)
{
	return a[i / 8] >> (7 - i % 8) & 1;
}

/* Bits a and b have in common from the first, up to nbits. */
static unsigned
common_bits(const uint8_t *a, const uint8_t *b, unsigned nbits)
{
	unsigned i = 0;

	while (i < nbits && a[i / 8] == b[i / 8])
		i += 8;
	while (i < nbits && bit(a, i) == bit(b, i))
		i++;
	return i < nbits ? i : nbits;
}

/* The first i bits of a lead towards a kept range longer than i (the
   range's bits are not flipped on the way) exactly for i <= the value
   returned: the most, over the kept ranges of a's family, of the bits a
   shares with the range, short of the range's own length; -1 when none.
   Once per address, where asking it of each bit walked every range up
   to that bit (13 % of a --redact run's CPU). */
static int
kept_path(const struct dt_addr *a)
{
	unsigned nbits = a->family == 4 ? 32 : 128, m;
	int most = -1;
	size_t k;

	for (k = 0; k < sizeof kept / sizeof kept[0]; k++) {
		if (kept[k].family != a->family)
			continue;
		m = common_bits(a->a, kept[k].p, nbits);
		if (m > (unsigned)kept[k].bits - 1)
			m = (unsigned)kept[k].bits - 1;
		if ((int)m > most)
			most = (int)m;
	}
	return most;
}

/*
 * The keyed bits of the prefixes met lately: the bit of a prefix is the
 * same for every address under it, and addresses share their first bits
 * (a /16 of clients, a /64 of IPv6 hosts, the few prefixes a range's
 * first bits make), so most of an address's MACs were made for another
 * before. Bounded as the addresses' cache is.
 */
#define BIT_CACHE_BITS	17

struct redact_bit_slot {
	uint8_t key[18];		/* family, then pre[17]; family 0: empty */
	uint8_t bit;
};

/* The keyed bit of prefix pre (its length, then its bits) of family. */
static int
prefix_bit(struct dt_redact *r, uint8_t family, const uint8_t pre[17])
{
	struct redact_bit_slot *s = NULL;
	uint8_t d[32];

	if (r->bit_cache == NULL)
		r->bit_cache = dt_calloc(r->m, (size_t)1 << BIT_CACHE_BITS,
		    sizeof *r->bit_cache);
	if (r->bit_cache != NULL) {
		s = &r->bit_cache[(dt_hash_bytes(pre, 17) ^ family) >>
		    (64 - BIT_CACHE_BITS)];
		if (s->key[0] == family && memcmp(s->key + 1, pre, 17) == 0)
			return s->bit;
	}
	mac(r, family == 4 ? "ip4" : "ip6", pre, 17, d);
	if (s != NULL) {
		s->key[0] = family;
		memcpy(s->key + 1, pre, 17);
		s->bit = d[0] & 1;
	}
	return d[0] & 1;
}

static void
addr_compute(struct dt_redact *r, const struct dt_addr *in,
    struct dt_addr *out)
{
	unsigned nbits = in->family == 4 ? 32 : 128, i;
	int path = kept_path(in);
	uint8_t pre[17];

	*out = *in;
	for (i = path + 1 > 0 ? (unsigned)(path + 1) : 0; i < nbits; i++) {
		/* the keyed bit of the prefix: family, length, bits */
		memset(pre, 0, sizeof pre);
		pre[0] = (uint8_t)i;
		memcpy(pre + 1, in->a, (i + 7) / 8);
		if (i % 8)
			pre[1 + i / 8] &= (uint8_t)(0xff << (8 - i % 8));
		if (prefix_bit(r, in->family, pre))
			out->a[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
	}
}

/*
 * The pseudonyms of the addresses met lately, by a hash of the address:
 * a cache, not a dictionary (texts find address literals by reading
 * them), so bounded: a table of every address was 60 MB of heap on the
 * 2 GiB bench day (a million distinct addresses in DNS answers). A slot
 * taken by another address is computed again, the same.
 */
#define ADDR_CACHE_BITS	16

struct redact_addr_slot {
	struct dt_addr in;		/* family 0: empty */
	struct dt_addr out;
};

void
redact_addr_map(struct dt_redact *r, struct dt_addr *a)
{
	struct redact_addr_slot *s;
	uint64_t x, y;

	if (a->family != 4 && a->family != 6)
		return;
	if (r->addr_cache == NULL)
		r->addr_cache = dt_calloc(r->m, (size_t)1 << ADDR_CACHE_BITS,
		    sizeof *r->addr_cache);
	if (r->addr_cache == NULL) {	/* computed each time */
		struct dt_addr out;

		addr_compute(r, a, &out);
		*a = out;
		return;
	}
	memcpy(&x, a->a, 8);
	memcpy(&y, a->a + 8, 8);
	x = (x ^ (y * 0x9e3779b97f4a7c15ULL) ^ a->family) *
	    0xbf58476d1ce4e5b9ULL;
	s = &r->addr_cache[x >> (64 - ADDR_CACHE_BITS)];
	if (s->in.family != a->family || memcmp(s->in.a, a->a, 16) != 0) {
		s->in = *a;
		addr_compute(r, a, &s->out);
	}
	*a = s->out;
}

/* An address literal (v4, v6, "[v6]") in s[0..n): its pseudonym into b. */
int
redact_addr_text(struct dt_redact *r, struct dt_buf *b, const char *s, size_t n)
{
	char tmp[64], out[64];
	struct dt_addr a;
	int br = n > 2 && s[0] == '[' && s[n - 1] == ']';

	if (br) {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof tmp)
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(&a, 0, sizeof a);
	if (inet_pton(AF_INET, tmp, a.a) == 1)
		a.family = 4;
	else if (strchr(tmp, ':') != NULL && inet_pton(AF_INET6, tmp, a.a) == 1)
		a.family = 6;
	else
		return 0;
	redact_addr_map(r, &a);
	if (inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.a, out,
	    sizeof out) == NULL)
		return 0;
	if (br)
		dt_buf_puts(b, "[");
	dt_buf_puts(b, out);
	if (br)
		dt_buf_puts(b, "]");
	return 1;
}

/* ---- the dictionary ---------------------------------------------------------- */

char *
redact_keep(struct dt_redact *r, struct dt_buf *b)
{
	char *p;

	if (b->err) {
		r->err = 1;
		dt_buf_free(b);
		return NULL;
	}
	p = dt_strdup(r->cm, dt_buf_str(b));
	dt_buf_free(b);
	if (p == NULL)
		r->err = 1;
	return p;
}

/*
 * The dictionary's pseudonyms live to the end of a pass, all freed at
 * once: bump-allocated in blocks of WORDS_BLOCK bytes, not a dt_strdup()
 * each (a day's hundred thousand names cost 4 MB of malloc headers and a
 * pointer array more).
 */
#define WORDS_BLOCK	65536

struct redact_block {
	struct redact_block *next;
	size_t used, size;
	char bytes[];
};

static char *
words_copy(struct dt_redact *r, const char *s, size_t n)
{
	struct redact_block *k = r->words;
	char *p;

	if (k == NULL || k->size - k->used < n + 1) {
		size_t size = n + 1 > WORDS_BLOCK ? n + 1 : WORDS_BLOCK;

		if ((k = dt_malloc(r->cm, sizeof *k + size)) == NULL)
			return NULL;
		k->used = 0;
		k->size = size;
		if (r->words != NULL && size != WORDS_BLOCK) {
			k->next = r->words->next;	/* a big one: behind */
			r->words->next = k;
		} else {
			k->next = r->words;
			r->words = k;
		}
	}
	p = k->bytes + k->used;
	memcpy(p, s, n);
	p[n] = '\0';
	k->used += n + 1;
	return p;
}

void
redact_words_free(struct dt_redact *r)
{
	struct redact_block *k;

	while ((k = r->words) != NULL) {
		r->words = k->next;
		dt_free(r->cm, k);
	}
}

/* Remember original -> pseudonym for the texts; returns the pseudonym. */
const char *
redact_learn(struct dt_redact *r, const char *orig, struct dt_buf *b)
{
	char *p;

	if (b->err) {
		r->err = 1;
		dt_buf_free(b);
		return NULL;
	}
	p = words_copy(r, dt_buf_str(b), b->n);
	dt_buf_free(b);
	if (p == NULL) {
		r->err = 1;
		return NULL;
	}
	if (orig[0] != '\0' && strcmp(orig, p) != 0 &&
	    dt_hash_add(&r->dict, orig, strlen(orig), p) < 0)
		r->err = 1;
	return p;
}

const char *
redact_known(struct dt_redact *r, const char *s, size_t n)
{
	return dt_hash_last(&r->dict, s, n);
}

