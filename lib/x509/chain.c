/*
 * x509/chain: the chain the server sent against the --ca anchors, with
 * GnuTLS's time checks disabled (VERIFY_FLAGS) and never its process-wide
 * time function: validity at the capture time is the rules' business
 * (not_before/not_after). The verdict of a cached chain is remembered.
 */
#include "x509/x509_int.h"

#include <stdio.h>
#include <string.h>

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
	if ((s = dt_x509_chain_slot(x, chain, n)) != NULL && dt_x509_chain_slot_is(s, chain, n)) {
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
