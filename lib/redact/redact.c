/*
 * redact.c - pseudonyms for a report that goes to people who must not see
 * the customer's addresses and names (issue 19; see redact.h).
 *
 * Every pseudonym is a function of the key and the value, so one value
 * gets one pseudonym across connections, captures and (with the same key)
 * runs. Addresses: Crypto-PAn's prefix-preserving construction (Xu, Fan,
 * Ammar, Moon, "Prefix-preserving IP address anonymization", 2002) with
 * HMAC-SHA256 as the keyed function; on the way to a kept range (RFC 1918,
 * RFC 6598, loopback, link-local, RFC 5737 documentation, RFC 2544
 * benchmarking, multicast; for IPv6 ULA, link-local, RFC 3849
 * documentation, 6to4, Teredo, multicast, mapped IPv4) no bit is flipped,
 * so an address in such a range stays in it and one outside stays outside.
 * Names: each label below the registrable domain becomes "n-" and six hex
 * digits, the registrable label "example-" and six, the public suffix
 * (libpsl's built-in list) is kept, and so is a wildcard label, so a
 * wildcard certificate still visibly covers its names.
 *
 * The facts are rewritten field by field. The verdict texts were written
 * by the rules from the real facts; every string replaced in the facts is
 * kept in a dictionary (original -> pseudonym) and the texts are rewritten
 * token by token through it, addresses by their own function, and the
 * certificate DNs (which hold spaces) by lookups of their known lengths at
 * each "type=" start. Linear in the facts and the texts.
 */
#include "redact/redact.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libpsl.h>
#include <string.h>

#include "util/buf.h"
#include "util/hash.h"

struct dt_redact {
	struct dt_mem *m;
	uint8_t key[DT_REDACT_KEYLEN];
	const psl_ctx_t *psl;
	/* per capture */
	struct dt_mem *cm;		/* the capture's memory */
	struct dt_hash dict;		/* original -> pseudonym (char *) */
	struct dt_hash addrs;		/* 17-byte dt_addr -> pseudonym */
	char **owned;			/* the dictionary's pseudonyms */
	size_t n_owned, cap_owned;
	size_t dn_lens[32];		/* distinct lengths of known DNs */
	size_t n_dn_lens;
	int err;			/* memory failed */
	/* option values the rules may quote in texts (--host, --ca,
	   --expect-cert), learnt for every capture */
	char *opt[3];
};

/* ---- keyed functions --------------------------------------------------------- */

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
static void
token(struct dt_redact *r, struct dt_buf *b, const char *kind,
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

static void
addr_map(struct dt_redact *r, struct dt_addr *a)
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
static int
addr_text(struct dt_redact *r, struct dt_buf *b, const char *s, size_t n)
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
	addr_map(r, &a);
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

static char *
keep(struct dt_redact *r, struct dt_buf *b)
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
static const char *
learn(struct dt_redact *r, const char *orig, struct dt_buf *b)
{
	char *p, **no;

	if ((p = keep(r, b)) == NULL)
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

static const char *
known(struct dt_redact *r, const char *s, size_t n)
{
	return dt_hash_last(&r->dict, s, n);
}

/* ---- names, URLs, paths, DNs -------------------------------------------------- */

static void
name_into(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	char low[256], *suffix, *p, *dot;
	size_t n = strlen(s), i;
	int trailing = n > 0 && s[n - 1] == '.';

	if (trailing)
		n--;
	if (n == 0 || n >= sizeof low) {
		token(r, b, "name", "n-", s, n, 12);
		return;
	}
	for (i = 0; i < n; i++)
		low[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') :
		    s[i];
	low[n] = '\0';
	if (addr_text(r, b, low, n))
		return;
	suffix = (char *)psl_unregistrable_domain(r->psl, low);
	if (suffix == NULL || strchr(low, '.') == NULL)
		suffix = low + n;		/* one label: no suffix kept */
	if (suffix == low) {
		dt_buf_puts(b, low);		/* a public suffix itself */
	} else {
		/* labels left of the suffix; the last is the registrable one */
		if (suffix < low + n)
			suffix[-1] = '\0';
		for (p = low; p != NULL; p = dot) {
			dot = strchr(p, '.');
			if (dot != NULL)
				*dot++ = '\0';
			if (strcmp(p, "*") == 0)
				dt_buf_puts(b, "*");
			else if (dot == NULL && suffix < low + n)
				token(r, b, "reg", "example-", s, (size_t)(suffix -
				    low) + strlen(suffix) - 1 + 1, 6);
			else
				token(r, b, "label", "n-", p, strlen(p), 6);
			if (dot != NULL)
				dt_buf_puts(b, ".");
		}
		if (suffix < low + n) {
			dt_buf_puts(b, ".");
			dt_buf_puts(b, suffix);
		}
	}
	if (trailing)
		dt_buf_puts(b, ".");
}

static const char *
name_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p;

	if (s == NULL)
		return NULL;
	if ((p = known(r, s, strlen(s))) != NULL)
		return p;
	name_into(r, &b, s);
	return learn(r, s, &b);
}

/* A path (file, URL path): each segment a token, extensions kept. */
static void
path_into(struct dt_redact *r, struct dt_buf *b, const char *s, size_t n)
{
	size_t i = 0, j, ext;

	while (i < n) {
		if (s[i] == '/' || s[i] == ':' || s[i] == '\\') {
			dt_buf_putn(b, s + i, 1);
			i++;
			continue;
		}
		for (j = i; j < n && s[j] != '/' && s[j] != ':' && s[j] != '\\';
		    j++)
			;
		if ((j - i == 1 && s[i] == '.') ||
		    (j - i == 2 && s[i] == '.' && s[i + 1] == '.')) {
			dt_buf_putn(b, s + i, j - i);
		} else if (j - i == 7 && strncasecmp(s + i, "IPHTTPS", 7) == 0) {
			dt_buf_putn(b, s + i, 7);	/* the protocol's path */
		} else {
			/* keep up to two short extensions: .pcap.gz, .crl */
			for (ext = j; ext > i + 1 && j - ext < 12 &&
			    s[ext - 1] != '.'; ext--)
				;
			if (ext > i + 1 && s[ext - 1] == '.') {
				size_t e2 = ext - 1;

				for (; e2 > i + 1 && ext - 1 - e2 < 6 &&
				    s[e2 - 1] != '.'; e2--)
					;
				if (e2 > i + 1 && s[e2 - 1] == '.')
					ext = e2;
				ext--;
			} else {
				ext = j;
			}
			if (j - i >= 4 && strncmp(s + i, "sra_", 4) == 0) {
				dt_buf_puts(b, "sra_");
				token(r, b, "path", "", s + i, j - i, 8);
			} else {
				token(r, b, "path", "p-", s + i, ext - i, 6);
			}
			dt_buf_putn(b, s + ext, j - ext);
		}
		i = j;
	}
}

static const char *
path_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p;

	if (s == NULL)
		return NULL;
	if ((p = known(r, s, strlen(s))) != NULL)
		return p;
	path_into(r, &b, s, strlen(s));
	return learn(r, s, &b);
}

/* "host", "host:port", "[v6]:port", "v4:port" */
static void
hostport_into(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	const char *colon = strrchr(s, ':'), *close = strchr(s, ']');
	char host[256];
	size_t n;

	if (s[0] == '[' && close != NULL) {
		if (!addr_text(r, b, s, (size_t)(close - s) + 1))
			token(r, b, "name", "n-", s, (size_t)(close - s), 12);
		dt_buf_puts(b, close + 1);
		return;
	}
	if (colon != NULL && strchr(s, ':') != colon)
		colon = NULL;			/* a bare IPv6 address */
	n = colon != NULL ? (size_t)(colon - s) : strlen(s);
	if (n >= sizeof host)
		n = sizeof host - 1;
	memcpy(host, s, n);
	host[n] = '\0';
	name_into(r, b, host);
	if (colon != NULL)
		dt_buf_puts(b, colon);
}

static const char *
hostport_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p, *colon = strrchr(s != NULL ? s : "", ':');
	char host[256];

	if (s == NULL)
		return NULL;
	if ((p = known(r, s, strlen(s))) != NULL)
		return p;
	/* the host alone too, as texts quote it */
	if (s[0] != '[' && colon != NULL && strchr(s, ':') == colon &&
	    (size_t)(colon - s) < sizeof host) {
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		name_map(r, host);
	}
	hostport_into(r, &b, s);
	return learn(r, s, &b);
}

/* scheme://host[:port]/path[?query]; anything else a token */
static const char *
url_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p, *h, *slash, *q;
	char host[300];
	size_t n;

	if (s == NULL)
		return NULL;
	if ((p = known(r, s, strlen(s))) != NULL)
		return p;
	h = strstr(s, "://");
	if (h == NULL) {
		token(r, &b, "url", "url-", s, strlen(s), 12);
		return learn(r, s, &b);
	}
	dt_buf_putn(&b, s, (size_t)(h + 3 - s));
	h += 3;
	slash = h + strcspn(h, "/?#");
	n = (size_t)(slash - h) < sizeof host ? (size_t)(slash - h) :
	    sizeof host - 1;
	memcpy(host, h, n);
	host[n] = '\0';
	hostport_into(r, &b, host);
	q = slash + strcspn(slash, "?#");
	path_into(r, &b, slash, (size_t)(q - slash));
	if (*q != '\0')
		token(r, &b, "query", "?q-", q, strlen(q), 6);
	return learn(r, s, &b);
}

/* HTTP request target: CONNECT's host:port, a URL, or a path. */
static const char *
uri_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p, *q;

	if (s == NULL)
		return NULL;
	if (strstr(s, "://") != NULL)
		return url_map(r, s);
	if (s[0] != '/')
		return hostport_map(r, s);
	if ((p = known(r, s, strlen(s))) != NULL)
		return p;
	q = s + strcspn(s, "?#");
	path_into(r, &b, s, (size_t)(q - s));
	if (*q != '\0')
		token(r, &b, "query", "?q-", q, strlen(q), 6);
	return learn(r, s, &b);
}

/* RFC 4514 DN: every value a token (C kept), names as names. */
static const char *
dn_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	char val[512], type[64];
	const char *p, *eq;
	size_t n, k, i;

	if (s == NULL)
		return NULL;
	if ((p = known(r, s, strlen(s))) != NULL)
		return p;
	for (p = s; *p != '\0';) {
		eq = strchr(p, '=');
		if (eq == NULL || (size_t)(eq - p) >= sizeof type) {
			token(r, &b, "dn", "dn-", p, strlen(p), 8);
			break;
		}
		memcpy(type, p, (size_t)(eq - p));
		type[eq - p] = '\0';
		dt_buf_putn(&b, p, (size_t)(eq - p + 1));
		/* the value, up to an unescaped ',' or '+' */
		for (n = 0, k = (size_t)(eq - p) + 1; p[k] != '\0' &&
		    p[k] != ',' && p[k] != '+'; k++) {
			if (p[k] == '\\' && p[k + 1] != '\0')
				k++;
			if (n < sizeof val - 1)
				val[n++] = p[k];
		}
		val[n] = '\0';
		if (strcmp(type, "C") == 0) {
			dt_buf_putn(&b, eq + 1, k - (size_t)(eq - p) - 1);
		} else if (strchr(val, '.') != NULL && strchr(val, ' ') == NULL &&
		    (strcmp(type, "CN") == 0 || strcmp(type, "DC") == 0 ||
		    strcmp(type, "emailAddress") == 0 || strcmp(type, "E") == 0)) {
			name_into(r, &b, val);
		} else {
			for (i = 0; type[i] != '\0'; i++)
				if (type[i] >= 'A' && type[i] <= 'Z')
					type[i] = (char)(type[i] - 'A' + 'a');
			if (strlen(type) > 8)
				type[8] = '\0';
			strcat(type, "-");
			token(r, &b, "dnval", type, val, n, 6);
		}
		p += k;
		if (*p != '\0')
			dt_buf_putn(&b, p++, 1);
	}
	n = strlen(s);
	for (i = 0; i < r->n_dn_lens && r->dn_lens[i] != n; i++)
		;
	if (i == r->n_dn_lens && i < sizeof r->dn_lens / sizeof r->dn_lens[0])
		r->dn_lens[r->n_dn_lens++] = n;
	return learn(r, s, &b);
}

static const char *
hex_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p;
	size_t n;

	if (s == NULL)
		return NULL;
	if ((p = known(r, s, strlen(s))) != NULL)
		return p;
	n = strlen(s);
	token(r, &b, "hex", "", s, n, n < 64 ? n : 64);
	return learn(r, s, &b);
}

/* ---- texts ------------------------------------------------------------------- */

static int
tokch(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
	    c == ':' || c == '/' || c == '[' || c == ']' || c == '%' ||
	    c == '*' || c == '?' || c == '&' || c == '~';
}

/* "type=" at s: an RFC 4514 attribute type, so a DN may start here. */
static int
dn_start(const char *s)
{
	size_t i;

	for (i = 0; i < 16 && ((s[i] >= 'A' && s[i] <= 'Z') ||
	    (s[i] >= 'a' && s[i] <= 'z') || (i > 0 && s[i] >= '0' &&
	    s[i] <= '9')); i++)
		;
	return i > 0 && s[i] == '=';
}

static void
text_into(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	size_t n = strlen(s), i = 0, j, k, t, best;
	const char *hit;

	while (i < n) {
		/* a known DN starting here ("CN=Corp CA,O=Corp": spaces) */
		if (r->n_dn_lens > 0 && (i == 0 || !tokch(s[i - 1])) &&
		    dn_start(s + i)) {
			best = 0;
			for (k = 0; k < r->n_dn_lens; k++) {
				t = r->dn_lens[k];
				if (t > best && t <= n - i &&
				    known(r, s + i, t) != NULL)
					best = t;
			}
			if (best > 0) {
				dt_buf_puts(b, known(r, s + i, best));
				i += best;
				continue;
			}
		}
		if (!tokch(s[i])) {
			dt_buf_putn(b, s + i, 1);
			i++;
			continue;
		}
		for (j = i; j < n && tokch(s[j]); j++)
			;
		/* the longest head of the token that is a known string or
		   an address (with a port); trailing punctuation is tried
		   off, and what is left goes on from there */
		for (t = j; t > i; t--) {
			if ((hit = known(r, s + i, t - i)) != NULL) {
				dt_buf_puts(b, hit);
				break;
			}
			if (addr_text(r, b, s + i, t - i))
				break;
			for (k = t; k > i && s[k - 1] >= '0' && s[k - 1] <= '9';
			    k--)
				;
			if (k < t && k > i + 1 && s[k - 1] == ':' &&
			    addr_text(r, b, s + i, k - 1 - i)) {
				dt_buf_putn(b, s + k - 1, t - k + 1);
				break;
			}
			if (strchr(".,:;)]/?", s[t - 1]) == NULL) {
				t = i;
				break;
			}
		}
		if (t > i) {
			i = t;
		} else {
			dt_buf_putn(b, s + i, j - i);
			i = j;
		}
	}
}

static char *
text_map(struct dt_redact *r, struct dt_mem *m, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(m);

	if (s == NULL)
		return NULL;
	text_into(r, &b, s);
	if (b.err) {
		dt_buf_free(&b);
		return NULL;
	}
	return dt_buf_str(&b) == b.p && b.p != NULL ? b.p : dt_strdup(m, "");
}

/* ---- the facts ----------------------------------------------------------------- */

/* Replace *p (owned: freed; else left to its owner) by v's copy. */
static void
swap(struct dt_redact *r, char **p, const char *v, int owned)
{
	char *c;

	if (*p == NULL || v == NULL)
		return;
	c = dt_strdup(r->cm, v);
	if (c == NULL) {
		r->err = 1;
		return;
	}
	if (owned)
		dt_free(r->cm, *p);
	*p = c;
}

static void
swap_text(struct dt_redact *r, char **p, int owned)
{
	char *c;

	if (*p == NULL)
		return;
	c = text_map(r, r->cm, *p);
	if (c == NULL) {
		r->err = 1;
		return;
	}
	if (owned)
		dt_free(r->cm, *p);
	*p = c;
}

static void
strv(struct dt_redact *r, char ***v, size_t n, int owned,
    const char *(*fn)(struct dt_redact *, const char *))
{
	char **nv;
	size_t i;

	if (*v == NULL)
		return;
	if (!owned) {
		nv = dt_calloc(r->cm, n + 1, sizeof *nv);
		if (nv == NULL) {
			r->err = 1;
			return;
		}
		for (i = 0; i < n; i++)
			nv[i] = (*v)[i];
		*v = nv;
	}
	for (i = 0; i < n; i++) {
		char *old = (*v)[i];

		(*v)[i] = NULL;
		if (old == NULL)
			continue;
		(*v)[i] = dt_strdup(r->cm, fn(r, old) != NULL ? fn(r, old) : "");
		if ((*v)[i] == NULL)
			r->err = 1;
		if (owned)
			dt_free(r->cm, old);
	}
}

static const char *
ip_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);

	if (!addr_text(r, &b, s, strlen(s)))
		token(r, &b, "ip", "ip-", s, strlen(s), 8);
	return learn(r, s, &b);
}

/* A subject CN as its DN has it: a name, or a "cn-" token. */
static const char *
cn_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p;

	if (s == NULL)
		return NULL;
	if (strchr(s, '.') != NULL && strchr(s, ' ') == NULL)
		return name_map(r, s);
	if ((p = known(r, s, strlen(s))) != NULL)
		return p;
	token(r, &b, "dnval", "cn-", s, strlen(s), 6);
	return learn(r, s, &b);
}

static void
cert(struct dt_redact *r, struct dt_cert *x)
{
	int owned = !x->cached;

	/* one's own copy of what the x509 cache shares, then redacted */
	swap(r, &x->subject, dn_map(r, x->subject), owned);
	swap(r, &x->issuer, dn_map(r, x->issuer), owned);
	swap(r, &x->serial, hex_map(r, x->serial), owned);
	swap(r, &x->common_name, cn_map(r, x->common_name), owned);
	strv(r, &x->dns_names, x->n_dns_names, owned, name_map);
	strv(r, &x->ip_addrs, x->n_ip_addrs, owned, ip_map);
	strv(r, &x->crl_urls, x->n_crl_urls, owned, url_map);
	strv(r, &x->aia_urls, x->n_aia_urls, owned, url_map);
	swap(r, &x->key_type, x->key_type, owned);
	swap(r, &x->sig_alg, x->sig_alg, owned);
	swap(r, &x->parse_error, x->parse_error, owned);
	{
		const char *h = hex_map(r, x->sha256);

		if (h != NULL)
			snprintf(x->sha256, sizeof x->sha256, "%s", h);
	}
	if (owned)
		dt_free(r->cm, x->der);
	x->der = NULL;
	x->der_len = 0;
	x->cached = 0;
}

static void
http_msg(struct dt_redact *r, struct dt_http_msg *h, int request)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *sp, *sp2;
	char *line;

	swap(r, &h->host, hostport_map(r, h->host), 1);
	if (h->line == NULL)
		return;
	if (!request) {
		swap_text(r, &h->line, 1);
		return;
	}
	/* METHOD target VERSION */
	sp = strchr(h->line, ' ');
	sp2 = sp != NULL ? strchr(sp + 1, ' ') : NULL;
	if (sp == NULL) {
		swap_text(r, &h->line, 1);
		return;
	}
	line = dt_strndup(r->cm, sp + 1, sp2 != NULL ? (size_t)(sp2 - sp - 1) :
	    strlen(sp + 1));
	if (line == NULL) {
		r->err = 1;
		return;
	}
	dt_buf_putn(&b, h->line, (size_t)(sp - h->line + 1));
	dt_buf_puts(&b, uri_map(r, line) != NULL ? uri_map(r, line) : "");
	if (sp2 != NULL)
		dt_buf_puts(&b, sp2);
	dt_free(r->cm, line);
	line = keep(r, &b);
	if (line != NULL) {
		dt_free(r->cm, h->line);
		h->line = line;
	}
}

static void
conn(struct dt_redact *r, struct dt_conn *c)
{
	struct dt_tls_facts *t = &c->tls;
	size_t i;

	addr_map(r, &c->client);
	addr_map(r, &c->server);
	dt_addr_format(&c->client, c->client_port, c->client_str,
	    sizeof c->client_str);
	dt_addr_format(&c->server, c->server_port, c->server_str,
	    sizeof c->server_str);
	swap_text(r, &c->wireshark_filter, 1);
	swap(r, &t->sni, name_map(r, t->sni), 1);
	for (i = 0; i < t->n_server_certs; i++)
		cert(r, &t->server_certs[i]);
	for (i = 0; i < t->n_client_certs; i++)
		cert(r, &t->client_certs[i]);
	strv(r, &t->ca_names, t->n_ca_names, 1, dn_map);
	swap_text(r, &t->chain_error, 1);
	swap_text(r, &t->non_tls_line, 1);
	swap_text(r, &t->malformed, 1);
	http_msg(r, &t->http_request, 1);
	http_msg(r, &t->http_response, 0);
}

int
dt_redact_capture(struct dt_redact *r, struct dt_capture *cap)
{
	struct dt_conn *c;
	struct dt_dns *d;
	struct dt_http *h;
	struct dt_verdict *v;
	struct dt_hash shared;
	size_t i;
	char **nt;

	r->cm = cap->mem;
	r->err = 0;
	r->n_dn_lens = 0;
	dt_hash_init(&r->dict, cap->mem);
	dt_hash_init(&r->addrs, cap->mem);
	dt_hash_init(&shared, cap->mem);

	if (r->opt[0] != NULL)
		name_map(r, r->opt[0]);
	if (r->opt[1] != NULL)
		path_map(r, r->opt[1]);
	if (r->opt[2] != NULL && strlen(r->opt[2]) == 64)
		hex_map(r, r->opt[2]);
	else if (r->opt[2] != NULL)
		path_map(r, r->opt[2]);
	/* the facts first: every string replaced is learnt for the texts */
	for (c = cap->conns; c != NULL; c = c->next)
		conn(r, c);
	for (d = cap->dns; d != NULL; d = d->next) {
		swap(r, &d->name, name_map(r, d->name), 1);
		swap(r, &d->cname, name_map(r, d->cname), 1);
		for (i = 0; i < d->n_addrs; i++)
			addr_map(r, &d->addrs[i]);
	}
	for (h = cap->http; h != NULL; h = h->next) {
		swap(r, &h->host, hostport_map(r, h->host), 1);
		swap(r, &h->uri, uri_map(r, h->uri), 1);
		swap_text(r, &h->status_line, 1);
	}
	/* why each connection is (not) IP-HTTPS quotes names and frames */
	for (c = cap->conns; c != NULL; c = c->next) {
		char *t = text_map(r, r->cm, c->iphttps_reason);

		if (t == NULL) {
			r->err = 1;
			continue;
		}
		snprintf(c->iphttps_reason, sizeof c->iphttps_reason, "%s", t);
		dt_free(r->cm, t);
	}
	swap(r, &cap->path, path_map(r, cap->path), 1);
	for (i = 0; i < cap->n_errors; i++)
		swap_text(r, &cap->errors[i].message, 1);

	/* then the verdict texts; texts shared by many verdicts once */
	nt = cap->n_texts > 0 ? dt_calloc(r->cm, cap->n_texts, sizeof *nt) :
	    NULL;
	for (i = 0; i < cap->n_texts; i++) {
		if (nt == NULL)
			break;
		nt[i] = text_map(r, r->cm, cap->texts[i]);
		if (nt[i] == NULL ||
		    dt_hash_add(&shared, &cap->texts[i], sizeof cap->texts[i],
		    nt[i]) < 0)
			r->err = 1;
	}
	for (v = cap->verdicts; v != NULL; v = v->next) {
		swap_text(r, &v->summary, 1);
		if (v->shared_text & 1)
			v->explanation = dt_hash_last(&shared, &v->explanation,
			    sizeof v->explanation);
		else
			swap_text(r, &v->explanation, 1);
		if (v->shared_text & 2)
			v->remedy = dt_hash_last(&shared, &v->remedy,
			    sizeof v->remedy);
		else
			swap_text(r, &v->remedy, 1);
	}
	for (i = 0; i < cap->n_texts && nt != NULL; i++) {
		dt_free(r->cm, cap->texts[i]);
		cap->texts[i] = nt[i];
	}
	dt_free(r->cm, nt);

	dt_hash_free(&shared);
	dt_hash_free(&r->dict);
	dt_hash_free(&r->addrs);
	for (i = 0; i < r->n_owned; i++)
		dt_free(r->cm, r->owned[i]);
	dt_free(r->cm, r->owned);
	r->owned = NULL;
	r->n_owned = r->cap_owned = 0;
	return r->err || cap->mem->failed ? DT_ENOMEM : 0;
}

/* ---- the key and the options --------------------------------------------------- */

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
	dt_hash_init(&r->addrs, m);
	fn(r, &b, s);
	p = b.err ? NULL : dt_strdup(m, dt_buf_str(&b));
	dt_buf_free(&b);
	dt_hash_free(&r->dict);
	dt_hash_free(&r->addrs);
	for (size_t i = 0; i < r->n_owned; i++)
		dt_free(m, r->owned[i]);
	dt_free(m, r->owned);
	r->owned = NULL;
	r->n_owned = r->cap_owned = 0;
	return p;
}

static void
opt_name(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	name_into(r, b, s);
}

static void
opt_path(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	path_into(r, b, s, strlen(s));
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
		token(r, b, "hex", "", low, n, 64);
	} else {
		path_into(r, b, s, n);
	}
}

static void
opt_text(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	text_into(r, b, s);
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
