/*
 * x509/host: does the leaf certificate name the host (RFC 6125 6.4; IP
 * addresses against iPAddress SANs, RFC 2818 3.1)?
 */
#include "x509/x509_int.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

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
