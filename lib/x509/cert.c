/*
 * x509/cert: certificate facts with GnuTLS (RFC 5280 profile, RFC 4514 DN strings,
 * RFC 6125 host names). dt_x509_parse() turns one DER certificate into a
 * struct dt_cert; everything taken from the certificate is untrusted and is
 * copied through text_copy() (length cap, control bytes escaped). The
 * validity dates come from validity.c (GnuTLS's values are the fallback).
 * dt_x509_dn_string() turns a DER DN (CertificateRequest CA names) into
 * an RFC 4514 string the same way.
 */
#include "x509/x509_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/x509-ext.h>

#include "util/rd.h"

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

void
dt_x509_hex_lower(const uint8_t *p, size_t n, char *out)
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
	dt_x509_hex_lower(buf + skip, sz - skip, hex);
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
	if (!dt_x509_der_validity(der, len, &out->not_before, &out->not_after)) {
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
	dt_x509_hex_lower(md, sizeof md, out->sha256);
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
