/*
 * flow/dns: one DNS message (RFC 1035 4.1) -> the fields a rule needs: the
 * first question's name and type, the response code, the A (RFC 1035
 * 3.4.1) and AAAA (RFC 3596) answers and the first CNAME target. Names are
 * read iteratively; compression pointers (RFC 1035 4.1.4) are followed at
 * most DT_DNS_MAX_JUMPS times per name and a name is at most 255 bytes
 * (RFC 1035 2.3.4), so a pointer loop ends as "malformed", not as a hang.
 * Authority and additional sections are not read.
 */
#include "flow/flow.h"

#include <string.h>

#include "util/rd.h"

#define NAME_MAX_WIRE 255

/*
 * Read the name at the cursor of r (a reader positioned inside msg) into
 * out (lower case, dots between labels, no trailing dot). r moves past the
 * name as it appears at that place (the first pointer ends it). 0 or -1.
 */
static int
read_name(const uint8_t *msg, size_t msglen, struct rd *r, char *out,
    size_t outlen)
{
	struct rd cur = *r;
	size_t o = 0, wire = 0;
	int jumps = 0, jumped = 0;
	uint8_t len, ch;

	for (;;) {
		len = rd_u8(&cur);
		if (!rd_ok(&cur))
			return -1;
		if ((len & 0xc0) == 0xc0) {
			size_t off = (size_t)(len & 0x3f) << 8 | rd_u8(&cur);

			if (!rd_ok(&cur) || ++jumps > DT_DNS_MAX_JUMPS ||
			    off >= msglen)
				return -1;
			if (!jumped) {
				*r = cur;
				jumped = 1;
			}
			cur = rd_make(msg, msglen);
			rd_skip(&cur, off);
			continue;
		}
		if ((len & 0xc0) != 0)
			return -1;	/* 0x40, 0x80: extended/unknown label */
		wire += (size_t)len + 1;
		if (wire > NAME_MAX_WIRE)
			return -1;
		if (len == 0)
			break;
		if (o > 0) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = '.';
		}
		while (len-- > 0) {
			ch = rd_u8(&cur);
			if (!rd_ok(&cur) || o + 1 >= outlen)
				return -1;
			if (ch >= 'A' && ch <= 'Z')
				ch = (uint8_t)(ch - 'A' + 'a');
			else if (ch == '\0')
				ch = '?';
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
	if (!jumped)
		*r = cur;
	return 0;
}

static void
dns_clear(struct dt_mem *m, struct dt_dns *out)
{
	dt_free(m, out->name);
	dt_free(m, out->addrs);
	dt_free(m, out->cname);
	memset(out, 0, sizeof *out);
	out->rcode = -1;
}

int
dt_dns_parse(struct dt_mem *m, const uint8_t *p, size_t n, int *is_response,
    uint16_t *txid, struct dt_dns *out)
{
	struct rd r = rd_make(p, n);
	char name[NAME_MAX_WIRE + 2];
	uint16_t flags, qd, an, i, type, class, rdlen;
	struct rd rdata;

	memset(out, 0, sizeof *out);
	out->rcode = -1;
	*txid = rd_u16(&r);
	flags = rd_u16(&r);
	qd = rd_u16(&r);
	an = rd_u16(&r);
	rd_skip(&r, 4);			/* nscount, arcount */
	if (!rd_ok(&r) || qd == 0)
		return -1;
	*is_response = flags >> 15;
	if (*is_response)
		out->rcode = flags & 0x0f;
	for (i = 0; i < qd; i++) {
		if (read_name(p, n, &r, name, sizeof name) != 0)
			goto bad;
		type = rd_u16(&r);
		rd_skip(&r, 2);		/* qclass */
		if (!rd_ok(&r))
			goto bad;
		if (i == 0) {
			out->qtype = type;
			out->name = dt_strdup(m, name);
			if (out->name == NULL)
				goto bad;
		}
	}
	if (!*is_response)
		an = 0;
	for (i = 0; i < an; i++) {
		if (read_name(p, n, &r, name, sizeof name) != 0)
			goto bad;
		type = rd_u16(&r);
		class = rd_u16(&r);
		rd_skip(&r, 4);		/* ttl */
		rdlen = rd_u16(&r);
		rdata = rd_sub(&r, rdlen);
		if (!rd_ok(&r))
			goto bad;
		if (class != 1)
			continue;
		if ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16)) {
			struct dt_addr *a;

			if (out->n_addrs >= DT_DNS_MAX_ADDRS)
				continue;
			a = dt_realloc(m, out->addrs,
			    (out->n_addrs + 1) * sizeof *a);
			if (a == NULL)
				goto bad;
			out->addrs = a;
			a += out->n_addrs++;
			memset(a, 0, sizeof *a);
			a->family = type == 1 ? 4 : 6;
			rd_copy(&rdata, a->a, rdlen);
		} else if (type == 5 && out->cname == NULL) {
			/* the target may point anywhere in the message */
			if (read_name(p, n, &rdata, name, sizeof name) != 0)
				goto bad;
			out->cname = dt_strdup(m, name);
			if (out->cname == NULL)
				goto bad;
		}
	}
	return 0;
bad:
	dns_clear(m, out);
	return -1;
}
