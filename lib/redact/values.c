/*
 * values.c - the pseudonyms of names, file and URL paths, host:port,
 * request targets, certificate DNs (RFC 4514) and hex values.
 *
 * Names: each label below the registrable domain becomes "n-" and six hex
 * digits, the registrable label "example-" and six, the public suffix
 * (libpsl's built-in list) is kept, and so is a wildcard label, so a
 * wildcard certificate still visibly covers its names. Every value mapped
 * is learnt in the dictionary (pseudo.c) for the texts.
 */
#include "redact/redact_int.h"

#include <string.h>

void
redact_name_into(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	char low[256], *suffix, *p, *dot;
	size_t n = strlen(s), i;
	int trailing = n > 0 && s[n - 1] == '.';

	if (trailing)
		n--;
	if (n == 0 || n >= sizeof low) {
		redact_token(r, b, "name", "n-", s, n, 12);
		return;
	}
	for (i = 0; i < n; i++)
		low[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') :
		    s[i];
	low[n] = '\0';
	if (redact_addr_text(r, b, low, n))
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
				redact_token(r, b, "reg", "example-", s, (size_t)(suffix -
				    low) + strlen(suffix) - 1 + 1, 6);
			else
				redact_token(r, b, "label", "n-", p, strlen(p), 6);
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

/* s's pseudonym: the one already given, else into's, learnt. */
static const char *
mapped(struct dt_redact *r, const char *s,
    void (*into)(struct dt_redact *, struct dt_buf *, const char *))
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p;

	if (s == NULL)
		return NULL;
	if ((p = redact_known(r, s, strlen(s))) != NULL)
		return p;
	into(r, &b, s);
	return redact_learn(r, s, &b);
}

const char *
redact_name_map(struct dt_redact *r, const char *s)
{
	return mapped(r, s, redact_name_into);
}

/* A path (file, URL path): each segment a token, extensions kept. */
void
redact_path_into(struct dt_redact *r, struct dt_buf *b, const char *s, size_t n)
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
				redact_token(r, b, "path", "", s + i, j - i, 8);
			} else {
				redact_token(r, b, "path", "p-", s + i, ext - i, 6);
			}
			dt_buf_putn(b, s + ext, j - ext);
		}
		i = j;
	}
}

static void
whole_path_into(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	redact_path_into(r, b, s, strlen(s));
}

const char *
redact_path_map(struct dt_redact *r, const char *s)
{
	return mapped(r, s, whole_path_into);
}

/* A URL's path and its query (a token), up to the end of s. */
static void
path_query_into(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	const char *q = s + strcspn(s, "?#");

	redact_path_into(r, b, s, (size_t)(q - s));
	if (*q != '\0')
		redact_token(r, b, "query", "?q-", q, strlen(q), 6);
}

/* "host", "host:port", "[v6]:port", "v4:port" */
static void
hostport_into(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	const char *colon = strrchr(s, ':'), *close = strchr(s, ']');
	char host[256];
	size_t n;

	if (s[0] == '[' && close != NULL) {
		if (!redact_addr_text(r, b, s, (size_t)(close - s) + 1))
			redact_token(r, b, "name", "n-", s, (size_t)(close - s), 12);
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
	redact_name_into(r, b, host);
	if (colon != NULL)
		dt_buf_puts(b, colon);
}

const char *
redact_hostport_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p, *colon = strrchr(s != NULL ? s : "", ':');
	char host[256];

	if (s == NULL)
		return NULL;
	if ((p = redact_known(r, s, strlen(s))) != NULL)
		return p;
	/* the host alone too, as texts quote it */
	if (s[0] != '[' && colon != NULL && strchr(s, ':') == colon &&
	    (size_t)(colon - s) < sizeof host) {
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		redact_name_map(r, host);
	}
	hostport_into(r, &b, s);
	return redact_learn(r, s, &b);
}

/* scheme://host[:port]/path[?query]; anything else a token */
const char *
redact_url_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p, *h, *slash;
	char host[300];
	size_t n;

	if (s == NULL)
		return NULL;
	if ((p = redact_known(r, s, strlen(s))) != NULL)
		return p;
	h = strstr(s, "://");
	if (h == NULL) {
		redact_token(r, &b, "url", "url-", s, strlen(s), 12);
		return redact_learn(r, s, &b);
	}
	dt_buf_putn(&b, s, (size_t)(h + 3 - s));
	h += 3;
	slash = h + strcspn(h, "/?#");
	n = (size_t)(slash - h) < sizeof host ? (size_t)(slash - h) :
	    sizeof host - 1;
	memcpy(host, h, n);
	host[n] = '\0';
	hostport_into(r, &b, host);
	path_query_into(r, &b, slash);
	return redact_learn(r, s, &b);
}

/* HTTP request target: CONNECT's host:port, a URL, or a path. */
const char *
redact_uri_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	const char *p;

	if (s == NULL)
		return NULL;
	if (strstr(s, "://") != NULL)
		return redact_url_map(r, s);
	if (s[0] != '/')
		return redact_hostport_map(r, s);
	if ((p = redact_known(r, s, strlen(s))) != NULL)
		return p;
	path_query_into(r, &b, s);
	return redact_learn(r, s, &b);
}

/* RFC 4514 DN: every value a token (C kept), names as names. */
const char *
redact_dn_map(struct dt_redact *r, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(r->cm);
	char val[512], type[64];
	const char *p, *eq;
	size_t n, k, i;

	if (s == NULL)
		return NULL;
	if ((p = redact_known(r, s, strlen(s))) != NULL)
		return p;
	for (p = s; *p != '\0';) {
		eq = strchr(p, '=');
		if (eq == NULL || (size_t)(eq - p) >= sizeof type) {
			redact_token(r, &b, "dn", "dn-", p, strlen(p), 8);
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
			redact_name_into(r, &b, val);
		} else {
			for (i = 0; type[i] != '\0'; i++)
				if (type[i] >= 'A' && type[i] <= 'Z')
					type[i] = (char)(type[i] - 'A' + 'a');
			if (strlen(type) > 8)
				type[8] = '\0';
			strcat(type, "-");
			redact_token(r, &b, "dnval", type, val, n, 6);
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
	return redact_learn(r, s, &b);
}

/* a fingerprint or serial: a token as long as it (64 digits at most) */
static void
hex_into(struct dt_redact *r, struct dt_buf *b, const char *s)
{
	size_t n = strlen(s);

	redact_token(r, b, "hex", "", s, n, n < 64 ? n : 64);
}

const char *
redact_hex_map(struct dt_redact *r, const char *s)
{
	return mapped(r, s, hex_into);
}
