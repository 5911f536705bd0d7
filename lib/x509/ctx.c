/*
 * x509/ctx: the context of an analyzer: the --ca trust anchors, the
 * --expect-cert fingerprint, and the certificate cache's life.
 */
#include "x509/x509_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>

/* Whole file into memory from m (NUL-terminated), capped. errno set. */
uint8_t *
dt_x509_slurp(struct dt_mem *m, const char *path, size_t *len)
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
	if ((buf = dt_x509_slurp(x->mem, expect, &n)) == NULL || n == 0 ||
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
				dt_x509_hex_lower(md, sizeof md, x->expected);
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
		if ((buf = dt_x509_slurp(m, ca_file, &n)) == NULL) {
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
	dt_x509_cache_free(x->mem, x->cache);
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
