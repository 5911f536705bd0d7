/*
 * x509/inspection: TLS-inspection (interception) CA names: the built-in
 * table (inspection_cas.c) and the --inspection-cas file, matched as
 * case-insensitive fragments of an issuer DN.
 */
#include "x509/x509_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/rd.h"

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
			if (strncasecmp(hay_orig, needle, n) == 0)
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
	if ((buf = dt_x509_slurp(m, path, &len)) == NULL) {
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
