/*
 * The small JSON values every part of the document uses: frame numbers,
 * times, per-direction pairs. Strings from the wire go through jw_wire()
 * (json_out.c), which makes them valid UTF-8 (RFC 8259 wants UTF-8 text;
 * a bad byte becomes U+FFFD) and escapes them.
 */
#include "report/json_val.h"

#include <string.h>

void
jw_time_sec_k(struct jw *w, const char *key, size_t klen, int64_t sec)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time_sec(sec, buf, sizeof buf) != 0)
		jw_null_k(w, key, klen);
	else
		jw_str_k(w, key, klen, buf);
}

void
jw_frame_pair_k(struct jw *w, const char *key, size_t klen, uint64_t client,
    uint64_t server)
{
	jw_obj_k(w, key, klen);
	jw_frame(w, "client", client);
	jw_frame(w, "server", server);
	jw_end(w);
}

void
jw_uint_pair_k(struct jw *w, const char *key, size_t klen, uint64_t client,
    uint64_t server)
{
	jw_obj_k(w, key, klen);
	jw_uint(w, "client", client);
	jw_uint(w, "server", server);
	jw_end(w);
}

/* The decimal digits of an octet at p: their count. */
static size_t
put_octet(char *p, unsigned v)
{
	if (v >= 100) {
		p[0] = (char)('0' + v / 100);
		p[1] = (char)('0' + v / 10 % 10);
		p[2] = (char)('0' + v % 10);
		return 3;
	}
	if (v >= 10) {
		p[0] = (char)('0' + v / 10);
		p[1] = (char)('0' + v % 10);
		return 2;
	}
	p[0] = (char)('0' + v);
	return 1;
}

static size_t
put_quad(char *p, const uint8_t *a)
{
	size_t k = 0, i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			p[k++] = '.';
		k += put_octet(p + k, a[i]);
	}
	return k;
}

/*
 * glibc's inet_ntop6() step by step (RFC 5952 4's form but for its
 * IPv4-mapped and -compatible cases): the longest run of two or more
 * zero groups (the first of equal ones) becomes "::", groups are lower-case
 * hex without leading zeros, and ::a.b.c.d / ::ffff:a.b.c.d end in a
 * dotted quad.
 */
size_t
jw_addr_text(char *p, const struct dt_addr *a)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8], v;
	int i, base = -1, len = 0, cur = -1, clen = 0, sh;
	size_t k = 0;

	if (a->family != 6)
		return put_quad(p, a->a);
	for (i = 0; i < 8; i++)
		w[i] = (unsigned)a->a[2 * i] << 8 | a->a[2 * i + 1];
	for (i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur == -1)
				cur = i, clen = 1;
			else
				clen++;
		} else if (cur != -1) {
			if (base == -1 || clen > len)
				base = cur, len = clen;
			cur = -1;
		}
	}
	if (cur != -1 && (base == -1 || clen > len))
		base = cur, len = clen;
	if (base != -1 && len < 2)
		base = -1;
	for (i = 0; i < 8; i++) {
		if (base != -1 && i >= base && i < base + len) {
			if (i == base)
				p[k++] = ':';
			continue;
		}
		if (i != 0)
			p[k++] = ':';
		if (i == 6 && base == 0 &&
		    (len == 6 || (len == 5 && w[5] == 0xffff))) {
			k += put_quad(p + k, a->a + 12);
			return k;
		}
		v = w[i];
		for (sh = 12; sh > 0 && (v >> sh) == 0; sh -= 4)
			;
		for (; sh >= 0; sh -= 4)
			p[k++] = hex[v >> sh & 0xf];
	}
	if (base != -1 && base + len == 8)
		p[k++] = ':';
	return k;
}
