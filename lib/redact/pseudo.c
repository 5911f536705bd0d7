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

static void
mac(const struct dt_redact *r, const char *kind, const void *p, size_t n,
    uint8_t out[32])
{
	gnutls_hmac_hd_t h;

	memset(out, 0, 32);
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

/* Whether the first i bits of a lead towards a kept range longer than i. */
static int
on_kept_path(const struct dt_addr *a, unsigned i)
{
	size_t k;
	unsigned j;

	for (k = 0; k < sizeof kept / sizeof kept[0]; k++) {
		if (kept[k].family != a->family || kept[k].bits <= i)
			continue;
		for (j = 0; j < i && bit(a->a, j) == bit(kept[k].p, j); j++)
			;
		if (j == i)
			return 1;
	}
	return 0;
}

static void
addr_compute(struct dt_redact *r, const struct dt_addr *in,
    struct dt_addr *out)
{
	unsigned nbits = in->family == 4 ? 32 : 128, i;
	uint8_t pre[17], d[32];

	*out = *in;
	for (i = 0; i < nbits; i++) {
		if (on_kept_path(in, i))
			continue;
		/* the keyed bit of the prefix: family, length, bits */
		memset(pre, 0, sizeof pre);
		pre[0] = (uint8_t)i;
		memcpy(pre + 1, in->a, (i + 7) / 8);
		if (i % 8)
			pre[1 + i / 8] &= (uint8_t)(0xff << (8 - i % 8));
		mac(r, in->family == 4 ? "ip4" : "ip6", pre, sizeof pre, d);
		if (d[0] & 1)
			out->a[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
	}
}

void
redact_addr_map(struct dt_redact *r, struct dt_addr *a)
{
	uint8_t k[17];
	struct dt_addr *v;

	if (a->family != 4 && a->family != 6)
		return;
	k[0] = a->family;
	memcpy(k + 1, a->a, 16);
	v = dt_hash_last(&r->addrs, k, sizeof k);
	if (v == NULL) {
		v = dt_malloc(r->cm, sizeof *v);
		if (v == NULL || dt_hash_add(&r->addrs, k, sizeof k, v) < 0) {
			dt_free(r->cm, v);
			r->err = 1;
			return;
		}
		addr_compute(r, a, v);
		if (r->n_owned == r->cap_owned) {
			size_t nc = r->cap_owned ? r->cap_owned * 2 : 64;
			char **no = dt_realloc(r->cm, r->owned, nc * sizeof *no);

			if (no == NULL) {
				r->err = 1;
				return;
			}
			r->owned = no;
			r->cap_owned = nc;
		}
		r->owned[r->n_owned++] = (char *)v;
	}
	*a = *v;
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

/* Remember original -> pseudonym for the texts; returns the pseudonym. */
const char *
redact_learn(struct dt_redact *r, const char *orig, struct dt_buf *b)
{
	char *p, **no;

	if ((p = redact_keep(r, b)) == NULL)
		return NULL;
	if (r->n_owned == r->cap_owned) {
		size_t nc = r->cap_owned ? r->cap_owned * 2 : 64;

		no = dt_realloc(r->cm, r->owned, nc * sizeof *no);
		if (no == NULL) {
			dt_free(r->cm, p);
			r->err = 1;
			return NULL;
		}
		r->owned = no;
		r->cap_owned = nc;
	}
	r->owned[r->n_owned++] = p;
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

