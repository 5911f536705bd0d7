/*
 * Certificate facts with GnuTLS (RFC 5280 profile, RFC 4514 DN strings,
 * RFC 6125 host names). dt_x509_parse() turns one DER certificate into a
 * struct dt_cert; everything taken from the certificate is untrusted and is
 * copied through text_copy() (length cap, control bytes escaped). The
 * validity dates are read from the DER by hand (RFC 5280 4.1.2.5) because
 * GnuTLS 3.7 returns 0 for dates before 1970 and time_t limits the rest;
 * GnuTLS's values are the fallback. Chain verification runs with GnuTLS's
 * time checks disabled and never touches its process-wide time function:
 * validity at the capture time is the rules' business (not_before/after).
 */
#include "x509/x509.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

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
};

struct dt_x509_ctx {
	struct dt_mem *mem;
	gnutls_x509_trust_list_t anchors;	/* NULL: none */
	unsigned n_anchors;
	char expected[65];			/* "" when none */
	struct cert_cache *cache;	/* mutable behind a const ctx */
};

/* ---- small helpers ------------------------------------------------------ */

/*
 * Untrusted bytes -> NUL-terminated string from m: at most cap bytes out,
 * control bytes (NUL included) and DEL as "\XX" (RFC 4514 2.4 hexpair), so a
 * "good\0.evil" name can neither hide its tail nor end early. A cut string
 * ends in "...". NULL when memory failed.
 */
static char *
text_copy(struct dt_mem *m, const uint8_t *p, size_t n, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	struct rd r = rd_make(p, n);
	char *s;
	size_t k = 0;

	if ((s = dt_malloc(m, cap + 1)) == NULL)
		return NULL;
	while (r.n > 0) {
		uint8_t c = rd_u8(&r);
		size_t w = (c < 0x20 || c == 0x7f) ? 3 : 1;

		if (k + w > cap - 3) {
			memcpy(s + k, "...", 3);
			k += 3;
			break;
		}
		if (w == 3) {
			s[k++] = '\\';
			s[k++] = hex[c >> 4];
			s[k++] = hex[c & 15];
		} else {
			s[k++] = (char)c;
		}
	}
	s[k] = '\0';
	return dt_realloc(m, s, k + 1);
}

static char *
datum_copy(struct dt_mem *m, const gnutls_datum_t *d, size_t cap)
{
	return text_copy(m, d->data, d->size, cap);
}

static void
hex_lower(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Appends s (already ours) to a list capped at LIST_CAP; frees s when the
   list is full. -1 when memory failed (s freed). */
static int
list_push(struct dt_mem *m, char ***v, size_t *n, char *s)
{
	char **nv;

	if (s == NULL)
		return -1;
	if (*n >= LIST_CAP) {
		dt_free(m, s);
		return 0;
	}
	nv = dt_realloc(m, *v, (*n + 1) * sizeof *nv);
	if (nv == NULL) {
		dt_free(m, s);
		return -1;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static int
has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- validity from the DER (RFC 5280 4.1.2.5) --------------------------- */

/* One DER TLV with a low tag number and a definite length of <= 4 bytes. */
static int
der_tlv(struct rd *r, uint8_t *tag, struct rd *val)
{
	uint8_t t = rd_u8(r), l = rd_u8(r);
	size_t len = l;

	if (!rd_ok(r) || (t & 0x1f) == 0x1f)
		return 0;
	if (l & 0x80) {
		unsigned k = l & 0x7f;

		if (k == 0 || k > 4)
			return 0;
		len = 0;
		while (k-- > 0)
			len = len << 8 | rd_u8(r);
	}
	*tag = t;
	*val = rd_sub(r, len);
	return rd_ok(r);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
   days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned mo, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
digits(struct rd *r, unsigned k, unsigned *out)
{
	unsigned v = 0;

	while (k-- > 0) {
		uint8_t c = rd_u8(r);

		if (!rd_ok(r) || c < '0' || c > '9')
			return 0;
		v = v * 10 + (unsigned)(c - '0');
	}
	*out = v;
	return 1;
}

/* UTCTime YYMMDDHHMMSSZ (YY < 50: 20YY) or GeneralizedTime
   YYYYMMDDHHMMSSZ, as RFC 5280 requires them. */
static int
der_time(uint8_t tag, struct rd v, int64_t *out)
{
	unsigned y, mo, d, h, mi, s;

	if (tag == 0x17 && v.n == 13) {
		if (!digits(&v, 2, &y))
			return 0;
		y += y < 50 ? 2000 : 1900;
	} else if (tag == 0x18 && v.n == 15) {
		if (!digits(&v, 4, &y))
			return 0;
	} else {
		return 0;
	}
	if (!digits(&v, 2, &mo) || !digits(&v, 2, &d) || !digits(&v, 2, &h) ||
	    !digits(&v, 2, &mi) || !digits(&v, 2, &s) || rd_u8(&v) != 'Z' ||
	    !rd_ok(&v))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 60)
		return 0;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 1;
}

/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
   serialNumber, signature, issuer, validity SEQUENCE { notBefore, notAfter }
   ... } ... } */
static int
der_validity(const uint8_t *der, size_t len, int64_t *nb, int64_t *na)
{
	struct rd r = rd_make(der, len), cert, tbs, v, t;
	uint8_t tag;
	int i;

	if (!der_tlv(&r, &tag, &cert) || tag != 0x30 ||
	    !der_tlv(&cert, &tag, &tbs) || tag != 0x30 ||
	    !der_tlv(&tbs, &tag, &v))
		return 0;
	if (tag == 0xa0 && !der_tlv(&tbs, &tag, &v))
		return 0;
	if (tag != 0x02)			/* serialNumber */
		return 0;
	for (i = 0; i < 2; i++)			/* signature, issuer */
		if (!der_tlv(&tbs, &tag, &v) || tag != 0x30)
			return 0;
	if (!der_tlv(&tbs, &tag, &v) || tag != 0x30)
		return 0;
	if (!der_tlv(&v, &tag, &t) || !der_time(tag, t, nb) ||
	    !der_tlv(&v, &tag, &t) || !der_time(tag, t, na))
		return 0;
	return 1;
}

/* ---- names -------------------------------------------------------------- */

static const struct {
	gnutls_pk_algorithm_t pk;
	const char *name;
} pk_names[] = {
	{ GNUTLS_PK_RSA, "RSA" },
	{ GNUTLS_PK_RSA_PSS, "RSA-PSS" },
	{ GNUTLS_PK_DSA, "DSA" },
	{ GNUTLS_PK_DH, "DH" },
	{ GNUTLS_PK_ECDSA, "EC" },
	{ GNUTLS_PK_EDDSA_ED25519, "Ed25519" },
	{ GNUTLS_PK_EDDSA_ED448, "Ed448" },
	{ GNUTLS_PK_ECDH_X25519, "X25519" },
	{ GNUTLS_PK_ECDH_X448, "X448" },
	{ GNUTLS_PK_GOST_01, "GOST R 34.10-2001" },
	{ GNUTLS_PK_GOST_12_256, "GOST R 34.10-2012-256" },
	{ GNUTLS_PK_GOST_12_512, "GOST R 34.10-2012-512" },
};

static char *
key_type_name(struct dt_mem *m, gnutls_x509_crt_t crt, int pk)
{
	char oid[128];
	size_t sz = sizeof oid;
	size_t i;

	for (i = 0; i < sizeof pk_names / sizeof pk_names[0]; i++)
		if ((int)pk_names[i].pk == pk)
			return dt_strdup(m, pk_names[i].name);
	if (pk > 0 && gnutls_pk_get_name((gnutls_pk_algorithm_t)pk) != NULL)
		return dt_strdup(m, gnutls_pk_get_name((gnutls_pk_algorithm_t)pk));
	if (gnutls_x509_crt_get_pk_oid(crt, oid, &sz) == 0)
		return text_copy(m, (const uint8_t *)oid, strnlen(oid, sz),
		    NAME_CAP);
	return dt_strdup(m, "unknown");
}

static char *
sig_alg_name(struct dt_mem *m, gnutls_x509_crt_t crt)
{
	int sig = gnutls_x509_crt_get_signature_algorithm(crt);
	const char *name = NULL;
	char oid[128];
	size_t sz = sizeof oid;

	if (sig > 0)
		name = gnutls_sign_get_name((gnutls_sign_algorithm_t)sig);
	if (name != NULL)
		return dt_strdup(m, name);
	if (gnutls_x509_crt_get_signature_oid(crt, oid, &sz) == 0)
		return text_copy(m, (const uint8_t *)oid, strnlen(oid, sz),
		    NAME_CAP);
	return dt_strdup(m, "unknown");
}

/* The extension's DER value, or 0 when absent / unreadable. */
static int
get_ext(gnutls_x509_crt_t crt, const char *oid, gnutls_datum_t *d)
{
	unsigned crit;

	d->data = NULL;
	d->size = 0;
	return gnutls_x509_crt_get_extension_by_oid2(crt, oid, 0, d,
	    &crit) == 0;
}

static int
get_sans(struct dt_mem *m, gnutls_x509_crt_t crt, struct dt_cert *out)
{
	gnutls_subject_alt_names_t sans;
	gnutls_datum_t ext, name, oid;
	unsigned type, i;
	int rc = 0;

	if (!get_ext(crt, OID_SAN_EXT, &ext))
		return 0;
	if (gnutls_subject_alt_names_init(&sans) < 0) {
		gnutls_free(ext.data);
		return 0;
	}
	if (gnutls_x509_ext_import_subject_alt_names(&ext, sans, 0) == 0) {
		for (i = 0; rc == 0 && i < 4 * LIST_CAP &&
		    gnutls_subject_alt_names_get(sans, i, &type, &name,
		    &oid) == 0; i++) {
			char ip[INET6_ADDRSTRLEN];

			if (type == GNUTLS_SAN_DNSNAME) {
				rc = list_push(m, &out->dns_names,
				    &out->n_dns_names,
				    datum_copy(m, &name, NAME_CAP));
			} else if (type == GNUTLS_SAN_IPADDRESS &&
			    (name.size == 4 || name.size == 16)) {
				inet_ntop(name.size == 4 ? AF_INET : AF_INET6,
				    name.data, ip, sizeof ip);
				rc = list_push(m, &out->ip_addrs,
				    &out->n_ip_addrs, dt_strdup(m, ip));
			}
		}
	}
	gnutls_subject_alt_names_deinit(sans);
	gnutls_free(ext.data);
	return rc;
}

static int
get_crl_urls(struct dt_mem *m, gnutls_x509_crt_t crt, struct dt_cert *out)
{
	gnutls_x509_crl_dist_points_t cdp;
	gnutls_datum_t ext, name;
	unsigned type, reasons, i;
	int rc = 0;

	if (!get_ext(crt, OID_CDP_EXT, &ext))
		return 0;
	if (gnutls_x509_crl_dist_points_init(&cdp) < 0) {
		gnutls_free(ext.data);
		return 0;
	}
	if (gnutls_x509_ext_import_crl_dist_points(&ext, cdp, 0) == 0) {
		for (i = 0; rc == 0 && i < 4 * LIST_CAP &&
		    gnutls_x509_crl_dist_points_get(cdp, i, &type, &name,
		    &reasons) == 0; i++)
			if (type == GNUTLS_SAN_URI)
				rc = list_push(m, &out->crl_urls,
				    &out->n_crl_urls,
				    datum_copy(m, &name, NAME_CAP));
	}
	gnutls_x509_crl_dist_points_deinit(cdp);
	gnutls_free(ext.data);
	return rc;
}

static int
get_aia_urls(struct dt_mem *m, gnutls_x509_crt_t crt, struct dt_cert *out)
{
	gnutls_x509_aia_t aia;
	gnutls_datum_t ext, oid, name;
	unsigned type, i;
	int rc = 0;

	if (!get_ext(crt, OID_AIA_EXT, &ext))
		return 0;
	if (gnutls_x509_aia_init(&aia) < 0) {
		gnutls_free(ext.data);
		return 0;
	}
	if (gnutls_x509_ext_import_aia(&ext, aia, 0) == 0) {
		for (i = 0; rc == 0 && i < 4 * LIST_CAP &&
		    gnutls_x509_aia_get(aia, i, &oid, &type, &name) == 0; i++)
			if (type == GNUTLS_SAN_URI)	/* caIssuers, OCSP */
				rc = list_push(m, &out->aia_urls,
				    &out->n_aia_urls,
				    datum_copy(m, &name, NAME_CAP));
	}
	gnutls_x509_aia_deinit(aia);
	gnutls_free(ext.data);
	return rc;
}

static int
oid_is(const gnutls_datum_t *d, const char *oid)
{
	size_t n = strlen(oid);

	/* GnuTLS's datum may or may not count a terminating NUL */
	return (d->size == n || (d->size == n + 1 && d->data[n] == 0)) &&
	    memcmp(d->data, oid, n) == 0;
}

/* RFC 5280 4.2.1.12: no EKU means any purpose; anyExtendedKeyUsage too. */
static void
get_eku(gnutls_x509_crt_t crt, struct dt_cert *out)
{
	gnutls_x509_key_purposes_t kp;
	gnutls_datum_t ext, oid;
	unsigned i;

	out->server_auth = out->client_auth = 1;
	if (!get_ext(crt, OID_EKU_EXT, &ext))
		return;
	out->server_auth = out->client_auth = 0;
	if (gnutls_x509_key_purpose_init(&kp) < 0) {
		gnutls_free(ext.data);
		return;
	}
	if (gnutls_x509_ext_import_key_purposes(&ext, kp, 0) == 0) {
		for (i = 0; i < 4 * LIST_CAP &&
		    gnutls_x509_key_purpose_get(kp, i, &oid) == 0; i++) {
			if (oid_is(&oid, OID_SERVER_AUTH) ||
			    oid_is(&oid, OID_ANY_EKU))
				out->server_auth = 1;
			if (oid_is(&oid, OID_CLIENT_AUTH) ||
			    oid_is(&oid, OID_ANY_EKU))
				out->client_auth = 1;
		}
	}
	gnutls_x509_key_purpose_deinit(kp);
	gnutls_free(ext.data);
}

/* Flags 0: RFC 4514 order ("CN=leaf,O=Org,C=US"); GNUTLS_X509_DN_FLAG_COMPAT
   would give the legacy DER order, which no other tool prints. */
static char *
get_dn(struct dt_mem *m, gnutls_x509_crt_t crt, int issuer)
{
	gnutls_datum_t d = { NULL, 0 };
	char *s;
	int ret;

	ret = issuer ?
	    gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) :
	    gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (ret < 0)
		return dt_strdup(m, "");	/* an empty DN */
	s = datum_copy(m, &d, DN_CAP);
	gnutls_free(d.data);
	return s;
}

static int
get_cn(struct dt_mem *m, gnutls_x509_crt_t crt, struct dt_cert *out)
{
	char buf[NAME_CAP];
	size_t sz = sizeof buf;
	int ret;

	ret = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
	    0, 0, buf, &sz);
	if (ret < 0 || sz > sizeof buf)
		return 0;			/* none, or absurdly long */
	out->common_name = text_copy(m, (const uint8_t *)buf, sz, NAME_CAP);
	return out->common_name ? 0 : -1;
}

static int
get_serial(struct dt_mem *m, gnutls_x509_crt_t crt, struct dt_cert *out)
{
	uint8_t buf[128];
	size_t sz = sizeof buf, skip = 0;
	char hex[2 * sizeof buf + 1];

	if (gnutls_x509_crt_get_serial(crt, buf, &sz) < 0 || sz > sizeof buf) {
		out->serial = dt_strdup(m, "");
		return out->serial ? 0 : -1;
	}
	/* the integer's value: no DER sign-padding zeros */
	while (sz - skip > 1 && buf[skip] == 0)
		skip++;
	hex_lower(buf + skip, sz - skip, hex);
	out->serial = dt_strdup(m, hex);
	return out->serial ? 0 : -1;
}

/* Subject == issuer and the certificate verifies with its own key. The
   certificate itself as the trusted list would be "trusted as is" without
   a signature check, hence DO_NOT_ALLOW_SAME; DISABLE_CA_SIGN so a device's
   self-signed end-entity certificate (no CA flag) counts. */
static int
is_self_signed(gnutls_x509_crt_t crt)
{
	unsigned status = 0;

	if (!gnutls_x509_crt_check_issuer(crt, crt))
		return 0;
	if (gnutls_x509_crt_verify(crt, &crt, 1, VERIFY_FLAGS |
	    GNUTLS_VERIFY_DO_NOT_ALLOW_SAME | GNUTLS_VERIFY_DISABLE_CA_SIGN |
	    GNUTLS_VERIFY_ALLOW_SIGN_RSA_MD5 | GNUTLS_VERIFY_ALLOW_BROKEN,
	    &status) < 0)
		return 0;
	return status == 0;
}

/* ---- parse -------------------------------------------------------------- */

static int
fill(struct dt_mem *m, gnutls_x509_crt_t crt, const uint8_t *der,
    size_t len, struct dt_cert *out)
{
	unsigned bits = 0;
	int pk;
	time_t t;

	if ((out->subject = get_dn(m, crt, 0)) == NULL ||
	    (out->issuer = get_dn(m, crt, 1)) == NULL ||
	    get_serial(m, crt, out) < 0)
		return -1;
	if (!der_validity(der, len, &out->not_before, &out->not_after)) {
		t = gnutls_x509_crt_get_activation_time(crt);
		out->not_before = t == (time_t)-1 ? 0 : (int64_t)t;
		t = gnutls_x509_crt_get_expiration_time(crt);
		out->not_after = t == (time_t)-1 ? 0 : (int64_t)t;
	}
	if (get_sans(m, crt, out) < 0 || get_crl_urls(m, crt, out) < 0 ||
	    get_aia_urls(m, crt, out) < 0 || get_cn(m, crt, out) < 0)
		return -1;
	out->self_signed = is_self_signed(crt);
	get_eku(crt, out);
	pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	out->key_bits = pk < 0 ? 0 : bits;
	if ((out->key_type = key_type_name(m, crt, pk)) == NULL ||
	    (out->sig_alg = sig_alg_name(m, crt)) == NULL)
		return -1;
	return 0;
}

int
dt_x509_parse(struct dt_mem *m, const uint8_t *der, size_t len,
    struct dt_cert *out)
{
	static const uint8_t empty[1];
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	uint8_t md[32];
	int ret;

	memset(out, 0, sizeof *out);
	if (der == NULL || len == 0) {
		der = empty;
		len = 0;
	}
	if (len > UINT32_MAX) {
		out->parse_error = dt_strdup(m, "certificate larger than 4 GiB");
		return -1;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, md) < 0) {
		out->parse_error = dt_strdup(m, "SHA-256 failed");
		return -1;
	}
	hex_lower(md, sizeof md, out->sha256);
	if (len > 0) {
		if ((out->der = dt_malloc(m, len)) == NULL)
			goto nomem;
		memcpy(out->der, der, len);
		out->der_len = len;
	}
	if ((ret = gnutls_x509_crt_init(&crt)) < 0) {
		out->parse_error = dt_strdup(m, gnutls_strerror(ret));
		return -1;
	}
	d.data = (unsigned char *)(uintptr_t)der;
	d.size = (unsigned)len;
	ret = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
	if (ret < 0) {
		gnutls_x509_crt_deinit(crt);
		out->parse_error = dt_strdup(m, gnutls_strerror(ret));
		if (out->parse_error == NULL)
			goto nomem;
		return -1;
	}
	ret = fill(m, crt, der, len, out);
	gnutls_x509_crt_deinit(crt);
	if (ret == 0)
		return 0;
nomem:
	dt_cert_clear(m, out);
	m->failed = 1;
	return -1;
}

/* ---- the certificate cache ---------------------------------------------- */

/* Not cryptographic: equal hashes are confirmed by the bytes. */
static uint64_t
der_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p + i, n - i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
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

void
dt_x509_cache_stats(const struct dt_x509_ctx *x, uint64_t *hits,
    uint64_t *misses, size_t *bytes)
{
	const struct cert_cache *cc = x != NULL ? x->cache : NULL;

	*hits = cc != NULL ? cc->hits : 0;
	*misses = cc != NULL ? cc->misses : 0;
	*bytes = cc != NULL ? cc->bytes : 0;
}

static void
cache_free(struct dt_mem *m, struct cert_cache *cc)
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
	dt_free(m, cc);
}

/* The slot of a chain made only of cached certificates, or NULL. */
static struct chain_slot *
chain_slot(const struct dt_x509_ctx *x, const struct dt_cert *chain,
    size_t n)
{
	uint64_t h = n;
	size_t i;

	if (x->cache == NULL || n == 0 || n > CHAIN_MAX)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!chain[i].cached || chain[i].der == NULL)
			return NULL;
		h = (h ^ (uint64_t)(uintptr_t)chain[i].der) *
		    0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return &x->cache->chain[h % CHAIN_SLOTS];
}

static int
chain_slot_is(const struct chain_slot *s, const struct dt_cert *chain,
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

/* ---- host names (RFC 6125 6.4) ------------------------------------------ */

/* Compare one presented DNS-ID with the reference identity: labels
   case-insensitive, a '*' only as the whole left-most label, standing for
   exactly one non-empty label, never in front of a public-suffix-like
   single label ("*.example" does not match). Trailing dots ignored. */
static int
dns_id_matches(const char *id, const char *host, size_t hlen)
{
	size_t ilen = strlen(id);
	const char *hdot;

	if (ilen > 0 && id[ilen - 1] == '.')
		ilen--;
	if (ilen == 0 || hlen == 0)
		return 0;
	if (id[0] == '*') {
		if (ilen < 3 || id[1] != '.' || memchr(id + 2, '*', ilen - 2) ||
		    memchr(id + 2, '.', ilen - 2) == NULL)
			return 0;
		hdot = memchr(host, '.', hlen);
		if (hdot == NULL || hdot == host)
			return 0;
		/* the rest after "*" is ".corp.example" */
		return (size_t)(host + hlen - hdot) == ilen - 1 &&
		    strncasecmp(hdot, id + 1, ilen - 1) == 0;
	}
	if (memchr(id, '*', ilen) != NULL)
		return 0;		/* partial wildcards: not honoured */
	return ilen == hlen && strncasecmp(id, host, hlen) == 0;
}

static int
is_ip_literal(const char *host, uint8_t *bin, size_t *blen)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' &&
	    n - 2 < sizeof tmp) {	/* "[2001:db8::1]" */
		memcpy(tmp, host + 1, n - 2);
		tmp[n - 2] = '\0';
		host = tmp;
	}
	if (inet_pton(AF_INET, host, bin) == 1) {
		*blen = 4;
		return 1;
	}
	if (inet_pton(AF_INET6, host, bin) == 1) {
		*blen = 16;
		return 1;
	}
	return 0;
}

int
dt_x509_matches_host(const struct dt_cert *leaf, const char *host)
{
	uint8_t want[16], have[16];
	size_t wlen, hlen, i;

	if (leaf == NULL || host == NULL || *host == '\0')
		return 0;
	if (is_ip_literal(host, want, &wlen)) {
		/* RFC 6125 is about DNS names; IPs match iPAddress SANs only
		   (RFC 2818 3.1). Compare binary so "::ffff" spellings agree. */
		for (i = 0; i < leaf->n_ip_addrs; i++) {
			size_t l = strchr(leaf->ip_addrs[i], ':') ? 16 : 4;

			if (l == wlen && inet_pton(l == 4 ? AF_INET : AF_INET6,
			    leaf->ip_addrs[i], have) == 1 &&
			    memcmp(have, want, wlen) == 0)
				return 1;
		}
		return 0;
	}
	hlen = strlen(host);
	if (host[hlen - 1] == '.')
		hlen--;
	if (leaf->n_dns_names > 0) {
		for (i = 0; i < leaf->n_dns_names; i++)
			if (dns_id_matches(leaf->dns_names[i], host, hlen))
				return 1;
		return 0;
	}
	return leaf->common_name != NULL &&
	    dns_id_matches(leaf->common_name, host, hlen);
}

/* ---- DN strings ---------------------------------------------------------- */

char *
dt_x509_dn_string(struct dt_mem *m, const uint8_t *der, size_t len)
{
	gnutls_x509_dn_t dn;
	gnutls_datum_t d, str = { NULL, 0 };
	char *s = NULL;

	if (der == NULL || len == 0 || len > UINT32_MAX)
		return NULL;
	if (gnutls_x509_dn_init(&dn) < 0)
		return NULL;
	d.data = (unsigned char *)(uintptr_t)der;
	d.size = (unsigned)len;
	if (gnutls_x509_dn_import(dn, &d) == 0 &&
	    gnutls_x509_dn_get_str2(dn, &str, 0) == 0) {
		s = datum_copy(m, &str, DN_CAP);
		gnutls_free(str.data);
	}
	gnutls_x509_dn_deinit(dn);
	return s;
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

/* ---- context: anchors and the expected certificate ----------------------- */

/* Whole file into memory from m (NUL-terminated), capped. errno set. */
static uint8_t *
slurp(struct dt_mem *m, const char *path, size_t *len)
{
	FILE *fp;
	uint8_t *buf = NULL, *nb;
	size_t n = 0, cap = 0, got;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= FILE_CAP) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			if ((nb = dt_realloc(m, buf, cap)) == NULL) {
				errno = ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - 1 - n, fp);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		errno = EIO;
		goto fail;
	}
	fclose(fp);
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	fclose(fp);
	dt_free(m, buf);
	return NULL;
}

/* PEM certificates (or one DER) into the trust list. Count added. */
static int
add_anchors(struct dt_x509_ctx *x, const uint8_t *p, size_t n)
{
	gnutls_x509_crt_t *list = NULL, one;
	gnutls_datum_t d;
	unsigned k = 0;
	int ret;

	if (n == 0 || n > UINT32_MAX)
		return 0;
	d.data = (unsigned char *)(uintptr_t)p;
	d.size = (unsigned)n;
	if (x->anchors == NULL &&
	    gnutls_x509_trust_list_init(&x->anchors, 0) < 0) {
		x->anchors = NULL;
		return -1;
	}
	if (gnutls_x509_crt_list_import2(&list, &k, &d, GNUTLS_X509_FMT_PEM,
	    0) < 0 || k == 0) {
		/* a single DER certificate is accepted too */
		if (gnutls_x509_crt_init(&one) < 0)
			return -1;
		if (gnutls_x509_crt_import(one, &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(one);
			return 0;
		}
		ret = gnutls_x509_trust_list_add_cas(x->anchors, &one, 1,
		    GNUTLS_TL_NO_DUPLICATES);
		x->n_anchors += ret > 0 ? (unsigned)ret : 0;
		return 1;
	}
	/* the trust list owns the certificates from here on */
	ret = gnutls_x509_trust_list_add_cas(x->anchors, list, k,
	    GNUTLS_TL_NO_DUPLICATES);
	gnutls_free(list);
	x->n_anchors += ret > 0 ? (unsigned)ret : 0;
	return (int)k;
}

/* "ab:CD:..." or 64 hex digits -> lower-case hex in out[65]. */
static int
parse_sha256(const char *s, char *out)
{
	size_t k = 0;

	for (; *s != '\0'; s++) {
		if (*s == ':' || *s == ' ')
			continue;
		if (!isxdigit((unsigned char)*s) || k >= 64)
			return 0;
		out[k++] = (char)tolower((unsigned char)*s);
	}
	out[k] = '\0';
	return k == 64;
}

static int
load_expect(struct dt_x509_ctx *x, const char *expect)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d, der = { NULL, 0 };
	uint8_t *buf, md[32];
	size_t n;
	int ok = 0;

	if (parse_sha256(expect, x->expected))
		return 1;
	x->expected[0] = '\0';
	if ((buf = slurp(x->mem, expect, &n)) == NULL || n == 0 ||
	    n > UINT32_MAX) {
		dt_free(x->mem, buf);
		return 0;
	}
	d.data = buf;
	d.size = (unsigned)n;
	if (gnutls_x509_crt_init(&crt) == 0) {
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) == 0 ||
		    gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0) {
			if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER,
			    &der) == 0 &&
			    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data,
			    der.size, md) == 0) {
				hex_lower(md, sizeof md, x->expected);
				ok = 1;
			}
			gnutls_free(der.data);
		}
		gnutls_x509_crt_deinit(crt);
	}
	dt_free(x->mem, buf);
	return ok;
}

int
dt_x509_ctx_new(struct dt_x509_ctx **out, struct dt_mem *m,
    const char *ca_file, const char *ca_pem, size_t ca_pem_len,
    const char *expect, char *errbuf, size_t errlen)
{
	struct dt_x509_ctx *x;
	uint8_t *buf;
	size_t n;
	int k, rc = DT_ECERT;

	*out = NULL;
	if (errlen > 0)
		errbuf[0] = '\0';
	if ((x = dt_calloc(m, 1, sizeof *x)) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return DT_ENOMEM;
	}
	x->mem = m;
	if ((x->cache = dt_calloc(m, 1, sizeof *x->cache)) == NULL) {
		dt_free(m, x);
		snprintf(errbuf, errlen, "out of memory");
		return DT_ENOMEM;
	}
	if (gnutls_global_init() < 0) {
		dt_free(m, x->cache);
		dt_free(m, x);
		snprintf(errbuf, errlen, "GnuTLS could not be initialised");
		return DT_ECERT;
	}
	if (ca_file != NULL) {
		if ((buf = slurp(m, ca_file, &n)) == NULL) {
			if (errno == ENOMEM)
				rc = DT_ENOMEM;
			snprintf(errbuf, errlen, "cannot read --ca file %s: %s",
			    ca_file, strerror(errno));
			goto fail;
		}
		k = add_anchors(x, buf, n);
		dt_free(m, buf);
		if (k <= 0) {
			if (k < 0)
				rc = DT_ENOMEM;
			snprintf(errbuf, errlen, k < 0 ? "cannot load --ca "
			    "file %s: out of memory" : "--ca file %s holds no "
			    "PEM certificate", ca_file);
			goto fail;
		}
	}
	if (ca_pem != NULL && ca_pem_len > 0) {
		k = add_anchors(x, (const uint8_t *)ca_pem, ca_pem_len);
		if (k <= 0) {
			if (k < 0)
				rc = DT_ENOMEM;
			snprintf(errbuf, errlen, k < 0 ? "cannot load the --ca "
			    "PEM data: out of memory" : "the --ca PEM data holds "
			    "no PEM certificate");
			goto fail;
		}
	}
	if (expect != NULL && !load_expect(x, expect)) {
		snprintf(errbuf, errlen, "--expect-cert %s is neither a SHA-256 "
		    "nor a certificate file", expect);
		goto fail;
	}
	*out = x;
	return 0;
fail:
	dt_x509_ctx_free(x);
	return rc;
}

void
dt_x509_ctx_free(struct dt_x509_ctx *x)
{
	if (x == NULL)
		return;
	if (x->anchors != NULL)
		gnutls_x509_trust_list_deinit(x->anchors, 1);
	gnutls_global_deinit();
	cache_free(x->mem, x->cache);
	dt_free(x->mem, x);
}

int
dt_x509_ctx_has_anchors(const struct dt_x509_ctx *x)
{
	return x != NULL && x->n_anchors > 0;
}

const char *
dt_x509_ctx_expected(const struct dt_x509_ctx *x)
{
	return x != NULL && x->expected[0] != '\0' ? x->expected : NULL;
}

/* ---- chain verification ------------------------------------------------- */

/* GnuTLS status bits -> our verdict, most telling first. */
static const struct {
	unsigned bit;
	enum dt_chain chain;
	const char *why;
} status_map[] = {
	{ GNUTLS_CERT_SIGNATURE_FAILURE, DT_CHAIN_BAD,
	  "a signature in the chain does not verify" },
	{ GNUTLS_CERT_INSECURE_ALGORITHM, DT_CHAIN_BAD,
	  "the chain is signed with an insecure algorithm (MD2/MD5)" },
	{ GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, DT_CHAIN_BAD,
	  "a certificate in the chain has an unknown critical extension" },
	{ GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, DT_CHAIN_UNTRUSTED,
	  "the chain violates its CA's constraints (path length or name "
	  "constraints)" },
	{ GNUTLS_CERT_SIGNER_NOT_CA, DT_CHAIN_UNTRUSTED,
	  "a certificate that signs another in the chain is not a CA" },
	{ GNUTLS_CERT_REVOKED, DT_CHAIN_UNTRUSTED,
	  "a certificate in the chain is revoked" },
};

/* Follow issuers from the leaf through what the server sent; the top is
   where the chain stops (bounded by n steps: no loops). */
static const struct dt_cert *
chain_top(const struct dt_cert *chain, size_t n)
{
	const struct dt_cert *cur = &chain[0];
	size_t step, i;

	for (step = 0; step < n; step++) {
		const struct dt_cert *next = NULL;

		if (cur->issuer == NULL || cur->subject == NULL ||
		    strcmp(cur->issuer, cur->subject) == 0)
			break;
		for (i = 0; i < n && next == NULL; i++)
			if (&chain[i] != cur && chain[i].subject != NULL &&
			    strcmp(chain[i].subject, cur->issuer) == 0)
				next = &chain[i];
		if (next == NULL)
			break;
		cur = next;
	}
	return cur;
}

static char *
why_fmt(struct dt_mem *m, const char *fmt, const char *a, const char *b)
{
	char buf[2 * DN_CAP + 256];

	snprintf(buf, sizeof buf, fmt, a, b);
	return dt_strdup(m, buf);
}

static enum dt_chain
untrusted_top(struct dt_mem *m, const struct dt_cert *chain, size_t n,
    char **why)
{
	const struct dt_cert *top = chain_top(chain, n);
	const char *subj = top->subject && *top->subject ? top->subject :
	    "(empty subject)";

	if (top->issuer != NULL && top->subject != NULL &&
	    strcmp(top->issuer, top->subject) == 0)
		*why = why_fmt(m, "the chain ends at %s, which is not among "
		    "the --ca anchors%s", subj, "");
	else
		*why = why_fmt(m, "the chain ends at %s, whose issuer %s was "
		    "neither sent nor among the --ca anchors", subj,
		    top->issuer ? top->issuer : "(unknown)");
	return DT_CHAIN_UNTRUSTED;
}

static enum dt_chain
verify_chain(const struct dt_x509_ctx *x, struct dt_mem *m,
    const struct dt_cert *chain, size_t n, int64_t when, char **why)
{
	gnutls_x509_crt_t crts[CHAIN_MAX];
	gnutls_datum_t d;
	unsigned status = 0, k = 0;
	enum dt_chain res = DT_CHAIN_BAD;
	char buf[256];
	size_t i;
	int ret;

	(void)when;		/* validity is compared by the rules */
	*why = NULL;
	if (!dt_x509_ctx_has_anchors(x) || chain == NULL || n == 0)
		return DT_CHAIN_UNCHECKED;
	if (n > sizeof crts / sizeof crts[0]) {
		snprintf(buf, sizeof buf, "the server sent %zu certificates; "
		    "at most %zu are checked", n, sizeof crts / sizeof crts[0]);
		*why = dt_strdup(m, buf);
		return DT_CHAIN_BAD;
	}
	for (i = 0; i < n; i++) {
		if (chain[i].parse_error != NULL || chain[i].der == NULL ||
		    chain[i].der_len > UINT32_MAX) {
			snprintf(buf, sizeof buf, "certificate %zu of the chain "
			    "cannot be parsed", i + 1);
			*why = why_fmt(m, "%s: %s", buf, chain[i].parse_error ?
			    chain[i].parse_error : "no DER");
			goto out;
		}
		if (gnutls_x509_crt_init(&crts[k]) < 0)
			goto out;
		k++;
		d.data = chain[i].der;
		d.size = (unsigned)chain[i].der_len;
		if ((ret = gnutls_x509_crt_import(crts[k - 1], &d,
		    GNUTLS_X509_FMT_DER)) < 0) {
			snprintf(buf, sizeof buf, "certificate %zu of the chain "
			    "cannot be parsed", i + 1);
			*why = why_fmt(m, "%s: %s", buf, gnutls_strerror(ret));
			goto out;
		}
	}
	ret = gnutls_x509_trust_list_verify_crt2(x->anchors, crts, k, NULL, 0,
	    VERIFY_FLAGS, &status, NULL);
	if (ret < 0) {
		*why = why_fmt(m, "GnuTLS could not verify the chain: %s%s",
		    gnutls_strerror(ret), "");
		goto out;
	}
	if (status == 0) {
		res = DT_CHAIN_OK;
		goto out;
	}
	for (i = 0; i < sizeof status_map / sizeof status_map[0]; i++)
		if (status & status_map[i].bit) {
			res = status_map[i].chain;
			*why = dt_strdup(m, status_map[i].why);
			goto out;
		}
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		res = untrusted_top(m, chain, n, why);
		goto out;
	}
	snprintf(buf, sizeof buf, "GnuTLS rejected the chain (status 0x%x)",
	    status);
	*why = dt_strdup(m, buf);
out:
	while (k > 0)
		gnutls_x509_crt_deinit(crts[--k]);
	return res;
}

enum dt_chain
dt_x509_verify_chain(const struct dt_x509_ctx *x, struct dt_mem *m,
    const struct dt_cert *chain, size_t n, int64_t when, char **why)
{
	struct chain_slot *s;
	enum dt_chain res;
	size_t i;

	*why = NULL;
	if (!dt_x509_ctx_has_anchors(x) || chain == NULL || n == 0)
		return DT_CHAIN_UNCHECKED;
	if ((s = chain_slot(x, chain, n)) != NULL && chain_slot_is(s, chain, n)) {
		if (s->why != NULL && (*why = dt_strdup(m, s->why)) == NULL)
			return DT_CHAIN_BAD;
		return s->res;
	}
	res = verify_chain(x, m, chain, n, when, why);
	if (s == NULL || (*why == NULL && res != DT_CHAIN_OK))
		return res;		/* a failure without words: not kept */
	dt_free(x->mem, s->why);
	s->n = 0;
	s->why = NULL;
	if (*why != NULL && (s->why = dt_strdup(x->mem, *why)) == NULL)
		return res;
	for (i = 0; i < n; i++)
		s->der[i] = chain[i].der;
	s->n = n;
	s->res = res;
	return res;
}

/* ---- interception CAs ---------------------------------------------------- */

/* ASCII lower case (strncasecmp's "C" behaviour) of at most cap bytes. */
static size_t
lower_copy(const char *s, char *out, size_t cap)
{
	size_t k;

	for (k = 0; k < cap && s[k] != '\0'; k++)
		out[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] - 'A' + 'a' :
		    s[k]);
	return k;
}

/* Case-insensitive substring. hay is already lower case (hn bytes);
   fragments are at most 1 KiB (longer: compared the slow way). */
static int
contains_ci(const char *hay, size_t hn, const char *hay_orig,
    const char *needle)
{
	char nl[1024];
	size_t n = strlen(needle);

	if (n == 0 || n > hn)
		return 0;
	if (n > sizeof nl) {
		for (; *hay_orig != '\0'; hay_orig++)
			if (has_prefix_ci(hay_orig, needle))
				return 1;
		return 0;
	}
	lower_copy(needle, nl, n);
	return memmem(hay, hn, nl, n) != NULL;
}

const char *
dt_x509_inspection_ca_match(const char *issuer_dn, const char *const *extra,
    const char **fragment)
{
	const struct dt_inspection_ca *t;
	char *lc, buf[DN_CAP + 64];
	size_t n, i, hn;
	const char *res = NULL, *frag = NULL;
	struct dt_mem m;

	if (fragment != NULL)
		*fragment = NULL;
	if (issuer_dn == NULL)
		return NULL;
	/* one lower-case copy of the DN, then memmem per fragment */
	hn = strlen(issuer_dn);
	lc = buf;
	dt_mem_init(&m, NULL, NULL, 0);
	if (hn >= sizeof buf && (lc = dt_malloc(&m, hn + 1)) == NULL)
		return NULL;
	lower_copy(issuer_dn, lc, hn);
	t = dt_x509_inspection_cas(&n);
	for (i = 0; i < n && res == NULL; i++)
		if (contains_ci(lc, hn, issuer_dn, t[i].fragment)) {
			frag = t[i].fragment;
			res = t[i].product;
		}
	for (i = 0; res == NULL && extra != NULL && extra[i] != NULL; i++)
		if (contains_ci(lc, hn, issuer_dn, extra[i]))
			res = frag = extra[i];
	if (lc != buf)
		dt_free(&m, lc);
	if (fragment != NULL)
		*fragment = frag;
	return res;
}

void
dt_x509_strv_free(struct dt_mem *m, char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		dt_free(m, v[i]);
	dt_free(m, v);
}

int
dt_x509_inspection_cas_load(struct dt_mem *m, const char *path, char ***out,
    char *errbuf, size_t errlen)
{
	uint8_t *buf;
	char **v = NULL, **nv;
	size_t len, n = 0, line = 0;
	struct rd r;

	*out = NULL;
	if ((buf = slurp(m, path, &len)) == NULL) {
		snprintf(errbuf, errlen, "cannot read --inspection-cas file "
		    "%s: %s", path, strerror(errno));
		return errno == ENOMEM ? DT_ENOMEM : DT_EIO;
	}
	if ((v = dt_calloc(m, 1, sizeof *v)) == NULL)
		goto nomem;
	r = rd_make(buf, len);
	while (r.n > 0) {
		const uint8_t *nl = memchr(r.p, '\n', r.n);
		size_t ll = nl ? (size_t)(nl - r.p) : r.n, b = 0, e;
		const uint8_t *p = rd_bytes(&r, ll);

		rd_skip(&r, nl ? 1 : 0);
		line++;
		if (memchr(p, '#', ll) != NULL)
			ll = (size_t)((const uint8_t *)memchr(p, '#', ll) - p);
		while (b < ll && isspace(p[b]))
			b++;
		e = ll;
		while (e > b && isspace(p[e - 1]))
			e--;
		if (e == b)
			continue;
		if (e - b > 1024 || memchr(p + b, '\0', e - b) != NULL ||
		    n >= 4096) {
			snprintf(errbuf, errlen, "--inspection-cas file %s line "
			    "%zu: %s", path, line, n >= 4096 ?
			    "more than 4096 names" : "name longer than 1024 "
			    "bytes or holding a NUL");
			dt_x509_strv_free(m, v);
			dt_free(m, buf);
			return DT_EIO;
		}
		if ((nv = dt_realloc(m, v, (n + 2) * sizeof *v)) == NULL)
			goto nomem;
		v = nv;
		v[n + 1] = NULL;
		if ((v[n] = dt_strndup(m, (const char *)p + b, e - b)) == NULL)
			goto nomem;
		n++;
	}
	dt_free(m, buf);
	*out = v;
	return 0;
nomem:
	dt_x509_strv_free(m, v);
	dt_free(m, buf);
	snprintf(errbuf, errlen, "cannot load --inspection-cas file %s: out "
	    "of memory", path);
	return DT_ENOMEM;
}
