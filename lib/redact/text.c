/*
 * text.c - free text through the pseudonyms: the verdict texts were
 * written by the rules from the real facts, so they are rewritten token by
 * token through the dictionary of the values the facts held, addresses by
 * their own function, and the certificate DNs (which hold spaces) by
 * lookups of their known lengths at each "type=" start. Linear in the
 * text.
 */
#include "redact/redact_int.h"

#include <string.h>

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

void
redact_text_into(struct dt_redact *r, struct dt_buf *b, const char *s)
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
				    redact_known(r, s + i, t) != NULL)
					best = t;
			}
			if (best > 0) {
				dt_buf_puts(b, redact_known(r, s + i, best));
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
			if ((hit = redact_known(r, s + i, t - i)) != NULL) {
				dt_buf_puts(b, hit);
				break;
			}
			if (redact_addr_text(r, b, s + i, t - i))
				break;
			for (k = t; k > i && s[k - 1] >= '0' && s[k - 1] <= '9';
			    k--)
				;
			if (k < t && k > i + 1 && s[k - 1] == ':' &&
			    redact_addr_text(r, b, s + i, k - 1 - i)) {
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

char *
redact_text_map(struct dt_redact *r, struct dt_mem *m, const char *s)
{
	struct dt_buf b = DT_BUF_INIT(m);

	if (s == NULL)
		return NULL;
	redact_text_into(r, &b, s);
	if (b.err) {
		dt_buf_free(&b);
		return NULL;
	}
	if (dt_buf_str(&b) != b.p || b.p == NULL)
		return dt_strdup(m, "");
	/* a copy of the text's size, the buffer (128 bytes at least) given
	   back: a day's CRL fetches keep 40,000 status lines of 15 bytes to
	   the capture's end */
	if (b.cap - b.n > 32) {
		char *c = dt_strndup(m, b.p, b.n);

		dt_buf_free(&b);
		return c;
	}
	return b.p;
}

