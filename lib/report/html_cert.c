/*
 * The HTML report's certificate cards: subject, issuer, validity against
 * the capture time, names, key, usages, CRL and AIA locations (RFC 5280
 * 4.1, 4.2), one card per distinct certificate of a capture.
 */
#include "report/html_int.h"

#include <inttypes.h>
#include <string.h>

/* ---- certificates ---------------------------------------------------------- */

void
html_cert_card(struct out *o, size_t capi, const struct card *cd)
{
	const struct dt_cert *x = cd->x;
	const struct dt_conn *c = cd->c;
	int64_t now = c->first_time / 1000000000, lo, hi, span;
	int valid = now >= x->not_before && now <= x->not_after;
	const char *role;
	size_t i;

	role = cd->client ? "Client certificate" : cd->pos == 0 ?
	    "Server certificate" : x->self_signed ? "Root CA" : "Intermediate CA";
	html_printf(o, "<div class=\"card\"><div class=\"role\"><b>%s</b>", role);
	html_printf(o, " &middot; <a href=\"#c%zu-%" PRIu32 "\">connection %" PRIu32
	    "</a>", capi, c->id, c->id);
	if (!cd->client && c->tls->server_cert_frame != 0)
		html_printf(o, ", frame %" PRIu64, c->tls->server_cert_frame);
	else if (cd->client && dt_tls_rare(c->tls)->client_cert_frame != 0)
		html_printf(o, ", frame %" PRIu64, dt_tls_rare(c->tls)->client_cert_frame);
	html_puts(o, "</div><h3>");
	if (x->parse_error != NULL) {
		html_puts(o, "Unparsable certificate</h3><p>");
		html_esc(o, x->parse_error);
		html_puts(o, "</p></div>");
		return;
	}
	html_esc(o, x->common_name != NULL ? x->common_name :
	    x->subject != NULL ? x->subject : "(no subject)");
	html_puts(o, "</h3>");

	/* validity against the capture time */
	lo = x->not_before < now ? x->not_before : now;
	hi = x->not_after > now ? x->not_after : now;
	span = hi > lo ? hi - lo : 1;
	html_printf(o, "<div class=\"validity\" title=\"capture time\"><div "
	    "class=\"range%s\" style=\"left:%d%%;width:%d%%\"></div>"
	    "<div class=\"now\" style=\"left:%d%%\"></div></div>",
	    valid ? "" : " bad",
	    (int)((double)(x->not_before - lo) * 100 / (double)span),
	    (int)((double)(x->not_after - x->not_before) * 100 / (double)span),
	    (int)((double)(now - lo) * 100 / (double)span));
	html_puts(o, "<div class=\"vscale\"><span>");
	html_date(o, lo);
	html_puts(o, "</span><span>");
	html_date(o, hi);
	html_puts(o, "</span></div><dl><dt>Subject</dt><dd>");
	html_esc(o, x->subject != NULL ? x->subject : "(none)");
	html_puts(o, "</dd><dt>Issuer</dt><dd>");
	html_esc(o, x->issuer != NULL ? x->issuer : "(none)");
	if (x->self_signed)
		html_puts(o, " (self-signed)");
	html_puts(o, "</dd><dt>Valid</dt><dd>");
	html_date(o, x->not_before);
	html_puts(o, " to ");
	html_date(o, x->not_after);
	html_printf(o, "<br><span class=\"status %s\">", valid ? "info" : "error");
	if (valid)
		html_puts(o, "valid");
	else if (now < x->not_before)
		html_puts(o, "not yet valid");
	else
		html_puts(o, "expired");
	html_puts(o, "</span> at capture time (");
	html_when(o, c->first_time);
	html_puts(o, ")</dd>");
	if (x->n_dns_names > 0 || x->n_ip_addrs > 0) {
		html_puts(o, "<dt>Names (SAN)</dt><dd>");
		for (i = 0; i < x->n_dns_names; i++) {
			html_puts(o, i ? ", <code>" : "<code>");
			html_esc(o, x->dns_names[i]);
			html_puts(o, "</code>");
		}
		for (i = 0; i < x->n_ip_addrs; i++) {
			html_puts(o, i || x->n_dns_names ? ", <code>" : "<code>");
			html_esc(o, x->ip_addrs[i]);
			html_puts(o, "</code>");
		}
		html_puts(o, "</dd>");
	}
	if (x->key_type != NULL) {
		html_puts(o, "<dt>Key</dt><dd>");
		html_esc(o, x->key_type);
		if (x->key_bits > 0)
			html_printf(o, " %u bits", x->key_bits);
		if (x->sig_alg != NULL) {
			html_puts(o, ", signed ");
			html_esc(o, x->sig_alg);
		}
		html_puts(o, "</dd>");
	}
	if (!x->server_auth && !cd->client && cd->pos == 0)
		html_puts(o, "<dt>Usage</dt><dd><span class=\"status error\">"
		    "not for server authentication</span></dd>");
	if (x->n_crl_urls > 0) {
		html_puts(o, "<dt>CRL</dt><dd>");
		for (i = 0; i < x->n_crl_urls; i++) {
			html_puts(o, i ? "<br><code>" : "<code>");
			html_esc(o, x->crl_urls[i]);
			html_puts(o, "</code>");
		}
		html_puts(o, "</dd>");
	}
	if (!cd->client && cd->pos == 0) {
		html_puts(o, "<dt>Chain</dt><dd>");
		switch (c->tls->chain) {
		case DT_CHAIN_OK:
			html_puts(o, "<span class=\"status info\">trusted</span> "
			    "(verifies against the trust anchors)");
			break;
		case DT_CHAIN_UNTRUSTED:
		case DT_CHAIN_BAD:
			html_printf(o, "<span class=\"status error\">%s</span>",
			    c->tls->chain == DT_CHAIN_BAD ? "broken" :
			    "not trusted");
			if (dt_tls_rare(c->tls)->chain_error != NULL) {
				html_puts(o, ": ");
				html_esc(o, dt_tls_rare(c->tls)->chain_error);
			}
			break;
		default:
			html_puts(o, "not checked (no <code>--ca</code> given)");
			break;
		}
		html_puts(o, "</dd>");
	}
	html_puts(o, "<dt>SHA-256</dt><dd class=\"fp\">");
	for (i = 0; i < sizeof x->sha256 - 1 && x->sha256[i] != '\0'; i++) {
		if (i > 0 && i % 2 == 0)
			html_puts(o, ":");
		html_put(o, strchr("0123456789abcdefABCDEF", x->sha256[i]) != NULL ?
		    &x->sha256[i] : "?", 1);
	}
	html_puts(o, "</dd>");
	if (x->serial != NULL) {
		html_puts(o, "<dt>Serial</dt><dd class=\"fp\">");
		html_esc(o, x->serial);
		html_puts(o, "</dd>");
	}
	html_puts(o, "</dl></div>");
}

static int
card_seen(const struct card *cards, size_t n, const struct dt_cert *x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (x->sha256[0] != '\0' &&
		    strcmp(cards[i].x->sha256, x->sha256) == 0)
			return 1;
	return 0;
}

size_t
html_card_add(struct card *cards, size_t n, const struct dt_conn *c,
    const struct dt_cert *v, size_t nx, int client)
{
	size_t i;

	for (i = 0; i < nx && n < MAX_CARDS; i++) {
		if (card_seen(cards, n, &v[i]))
			continue;
		cards[n].x = &v[i];
		cards[n].c = c;
		cards[n].pos = i;
		cards[n].client = client;
		n++;
	}
	return n;
}
