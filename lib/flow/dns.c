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
#include "flow/flow_int.h"

#include <string.h>

#include "util/rd.h"
#include "util/bytetab.h"
#include "util/hash.h"
#include "util/utf8.h"

#define NAME_MAX_WIRE 255
/* A name as read_name() writes it: at most 253 bytes and its NUL. A
   label is copied before the wire length of the labels after it is
   checked, so a name refused at its root byte has written 254: the
   buffer holds NAME_MAX_WIRE, one more than either needs. */
#define NAME_BUF	NAME_MAX_WIRE

/* A name's byte as read_name() writes it: A-Z in lower case, NUL as '?'
   (one load a byte; the arithmetic was three times the work). */
#define NB(c)	((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c) == 0 ? '?' : (c))
static const uint8_t name_byte[256] = DT_BYTE_TABLE(NB);
#undef NB

/*
 * Read the name at the cursor of r (a reader positioned inside msg) into
 * out (NAME_BUF bytes: lower case, dots between labels, no trailing
 * dot), or only check it when out is NULL. r moves past the name as it
 * appears at that place (the first pointer ends it). Its length, or -1;
 * *jumps: the pointers followed; *ascii (when out): every byte ASCII;
 * *id set when a pointer led into the message's id (what the name reads
 * then is not in the bytes after it, the DNS memo's key).
 * Inline at its three places: the cursor stays in registers and the walk
 * that copies nothing is its own loop (called, it was 4.8 M instructions
 * more of the 100 MB day's 42 M of DNS).
 */
static inline __attribute__((always_inline)) int
read_name(const uint8_t *msg, size_t msglen, struct rd *r, char *out,
    int *jumps, int *ascii, int *id)
{
	/* a bare cursor and end, not a struct rd: a label costs one bounds
	   check, and nothing is written back until the name is read */
	const uint8_t *s, *end, *after = NULL;
	size_t o = 0, wire = 0, i, off;
	uint8_t len, hi = 0;

	*jumps = 0;
	if (r->bad || r->n == 0)
		return -1;
	s = r->p;
	end = s + r->n;
	for (;;) {
		if (s == end)
			return -1;
		len = *s++;
		if (len >= 0xc0) {
			if (s == end)
				return -1;
			off = (size_t)(len & 0x3f) << 8 | *s++;
			if (++*jumps > DT_DNS_MAX_JUMPS || off >= msglen)
				return -1;
			*id |= off < 2;
			if (after == NULL)
				after = s;
			s = msg + off;
			end = msg + msglen;
			continue;
		}
		if (len >= 0x40)
			return -1;	/* 0x40, 0x80: extended/unknown label */
		wire += (size_t)len + 1;
		if (wire > NAME_MAX_WIRE)
			return -1;
		if (len == 0)
			break;
		/* the label whole: one bounds check, not one per byte */
		if (len > end - s)
			return -1;
		if (out != NULL) {
			/* wire <= 255 keeps o + 1 + len below 256 */
			if (o > 0)
				out[o++] = '.';
			for (i = 0; i < len; i++) {
				hi |= s[i];
				out[o + i] = (char)name_byte[s[i]];
			}
			o += len;
		}
		s += len;
	}
	if (out != NULL) {
		*ascii = hi < 0x80;
		out[o] = '\0';
	}
	if (after == NULL)
		after = s;
	r->n -= (size_t)(after - r->p);
	r->p = after;
	return (int)o;
}

/* One message as read: the names and addresses in place, nothing
   allocated (the observer keeps what it wants of them). */
struct dns_msg {
	uint16_t qtype;
	int16_t rcode;			/* -1: a query */
	uint16_t n_addrs;
	uint16_t addr_len;		/* bytes of addr_bytes */
	uint8_t has_cname;
	uint8_t qtype_last;		/* qtype: bytes n - 4, n - 3 */
	uint8_t reads_id;		/* a name points into the id */
	uint8_t name_ascii, cname_ascii;	/* every byte ASCII */
	uint16_t name_len, cname_len;
	char name[NAME_BUF];
	char cname[NAME_BUF];
	/* packed as struct dt_dns keeps them (dt_dns_addr_pack()) */
	uint8_t addr_bytes[DT_DNS_MAX_ADDRS * 17];
};

/*
 * Where names the parser read well start, and the pointers each
 * followed: an answer's owner name is nearly always a pointer to the
 * question's name or to the CNAME target before it (RFC 1035 4.1.4), and
 * a pointer to a name read well reads well after one pointer more, so it
 * is not walked again. A server that does not compress writes the name
 * again whole: the same bytes as a name read well (its labels and any
 * pointer it ends with) read the same, so they are compared, not walked.
 */
#define KNOWN_NAMES	4

struct known_names {
	int n;
	size_t off[KNOWN_NAMES];
	size_t span[KNOWN_NAMES];	/* its bytes where it was read */
	int jumps[KNOWN_NAMES];
};

static void
known_add(struct known_names *k, size_t off, size_t span, int jumps)
{
	if (k->n < KNOWN_NAMES) {
		k->off[k->n] = off;
		k->span[k->n] = span;
		k->jumps[k->n++] = jumps;
	}
}

/* Whether the n (8 or more) bytes at a and at b are the same: a word at
   a time, the last one overlapping (names are a few words; memcmp() was
   a call). */
static inline int
same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t x, y;
	size_t i;

	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return 0;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return x == y;
}

/* Past the name at the cursor of r, checked as read_name() checks it
   (*id as it sets it: a known name told it when it was read). 0, or -1
   when malformed. */
static int
skip_name(const uint8_t *msg, size_t msglen, struct rd *r,
    const struct known_names *k, int *id)
{
	struct rd peek = *r;
	uint16_t w = rd_u16(&peek);
	int i, jumps;

	if (rd_ok(&peek) && (w & 0xc000) == 0xc000) {
		for (i = 0; i < k->n; i++)
			if (k->off[i] == (size_t)(w & 0x3fff) &&
			    k->jumps[i] < DT_DNS_MAX_JUMPS) {
				*r = peek;
				return 0;
			}
	} else if (rd_ok(&peek)) {
		for (i = 0; i < k->n; i++)
			if (k->span[i] >= 8 && k->span[i] <= r->n &&
			    same_bytes(r->p, msg + k->off[i], k->span[i])) {
				rd_skip(r, k->span[i]);
				return 0;
			}
	}
	return read_name(msg, msglen, r, NULL, &jumps, NULL, id) < 0 ? -1 : 0;
}

/* The message at p (n bytes) into out; the first question's name only
   when want_name (else only checked). 0, or -1 when malformed. */
static int
parse_msg(const uint8_t *p, size_t n, int *is_response, uint16_t *txid,
    int want_name, struct dns_msg *out)
{
	struct rd r = rd_make(p, n);
	struct known_names known;
	const uint8_t *f;
	uint16_t flags, qd, an, i, type, class, rdlen;
	struct rd rdata;
	size_t at;
	int len, jumps, ascii = 1, id = 0;

	out->qtype = 0;
	out->rcode = -1;
	out->n_addrs = 0;
	out->addr_len = 0;
	out->has_cname = 0;
	out->name[0] = '\0';
	out->name_len = 0;
	out->name_ascii = 1;
	known.n = 0;
	/* id, flags, qdcount, ancount, nscount, arcount */
	if ((f = rd_bytes(&r, 12)) == NULL)
		return -1;
	*txid = rd_be16(f);
	flags = rd_be16(f + 2);
	qd = rd_be16(f + 4);
	an = rd_be16(f + 6);
	if (qd == 0)
		return -1;
	*is_response = flags >> 15;
	if (*is_response)
		out->rcode = flags & 0x0f;
	for (i = 0; i < qd; i++) {
		at = n - r.n;
		if ((len = read_name(p, n, &r, i == 0 && want_name ?
		    out->name : NULL, &jumps, &ascii, &id)) < 0)
			return -1;
		/* qtype, qclass */
		if ((f = rd_bytes(&r, 4)) == NULL)
			return -1;
		if (i == 0) {
			out->name_len = (uint16_t)len;
			if (want_name)
				out->name_ascii = (uint8_t)ascii;
			known_add(&known, at, n - r.n - 4 - at, jumps);
			out->qtype = rd_be16(f);
			out->qtype_last = f + 4 == p + n;
		}
	}
	if (!*is_response)
		an = 0;
	for (i = 0; i < an; i++) {
		if (skip_name(p, n, &r, &known, &id) < 0)
			return -1;
		/* type, class, ttl, rdlength */
		if ((f = rd_bytes(&r, 10)) == NULL)
			return -1;
		type = rd_be16(f);
		class = rd_be16(f + 2);
		rdlen = rd_be16(f + 8);
		at = n - r.n;
		rdata = rd_sub(&r, rdlen);
		if (!rd_ok(&r))
			return -1;
		if (class != 1)
			continue;
		if ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16)) {
			uint8_t *a;

			if (out->n_addrs >= DT_DNS_MAX_ADDRS)
				continue;
			/* packed here: the record copies them whole */
			a = out->addr_bytes + out->addr_len;
			if (type == 1) {
				a[0] = 4;
				memcpy(a + 1, rdata.p, 4);
			} else {
				a[0] = 6;
				memcpy(a + 1, rdata.p, 16);
			}
			out->addr_len += rdlen + 1;
			out->n_addrs++;
		} else if (type == 5 && !out->has_cname) {
			/* the target may point anywhere in the message */
			if ((len = read_name(p, n, &rdata, out->cname,
			    &jumps, &ascii, &id)) < 0)
				return -1;
			out->cname_len = (uint16_t)len;
			out->cname_ascii = (uint8_t)ascii;
			out->has_cname = 1;
			known_add(&known, at, (size_t)(rdata.p - p) - at,
			    jumps);
		}
	}
	out->reads_id = (uint8_t)id;
	return 0;
}

int
dt_dns_parse(struct dt_mem *m, const uint8_t *p, size_t n, int *is_response,
    uint16_t *txid, struct dt_dns *out)
{
	struct dns_msg msg;
	char *name = NULL, *cname = NULL;
	uint8_t *addrs = NULL;

	memset(out, 0, sizeof *out);
	out->rcode = -1;
	if (parse_msg(p, n, is_response, txid, 1, &msg) != 0)
		return -1;
	name = dt_strdup(m, msg.name);
	if (msg.has_cname)
		cname = dt_strdup(m, msg.cname);
	if (msg.addr_len > 0 && (addrs = dt_malloc(m, msg.addr_len)) != NULL)
		memcpy(addrs, msg.addr_bytes, msg.addr_len);
	if (name == NULL || (msg.has_cname && cname == NULL) ||
	    (msg.n_addrs > 0 && addrs == NULL)) {
		dt_free(m, name);
		dt_free(m, cname);
		dt_free(m, addrs);
		return -1;
	}
	out->name = name;
	out->cname = cname;
	out->addr_bytes = addrs;
	out->n_addrs = (uint8_t)msg.n_addrs;
	out->qtype = msg.qtype;
	out->rcode = (int8_t)msg.rcode;
	return 0;
}

/* ---- the observer: a flow sink ------------------------------------------ */

/*
 * DNS queries and answers over UDP/53 and TCP/53, matched by client
 * address, port and id (RFC 1035 7.3) in a small set-associative table:
 * a query waits in one of DNS_WAYS ways of its bucket; a full bucket lets
 * its oldest query go unanswered. Records go to the capture's
 * (dt_capture_dns_slot()).
 */

#define DNS_BUCKETS		256
#define DNS_WAYS		4
#define DNS_TCP_MAX_MSGS	32		/* per direction */

/*
 * Names the observer interned lately, so that a name asked again soon or
 * a CNAME target seen before costs no look-up in the capture's intern
 * table (the 2 GiB benchmark day's 389,491 records ask 99,316 distinct
 * names: a random probe into megabytes each). Questions go through a
 * direct-mapped memo (a name's AAAA query follows its A query: 40 % of
 * them hit); first CNAME targets (that day's 199,716 name 1,000 CDN
 * hosts) through a table that keeps the first DNS_TARGETS / 2 it meets.
 * An entry holds only a name whose bytes were interned as they are
 * (valid UTF-8), so bytes equal to an entry's are its interned string.
 */
#define DNS_RECENT		256
#define DNS_TARGETS		4096

struct dns_memo {
	const char *s;			/* interned; NULL: empty */
	uint32_t h;
	uint32_t n;
};

struct dns_pending {
	struct dt_dns *rec;		/* NULL: free slot */
	struct dt_addr client;
	uint16_t port, txid;
	int64_t time;
};

/*
 * Messages read lately, by their bytes after the id: a client asks the
 * same name again and again, and a server answers it with the same bytes
 * but the id (the 100 MB benchmark day: a fifth of the queries and of the
 * answers). What such a message gave, its question's name and CNAME
 * target interned and its addresses kept, is then taken as it was; the
 * records share the addresses. A query (its type the last word but one)
 * is also the same as one that differs only in its type: a name's AAAA
 * query follows its A query. Direct-mapped by its length and two words
 * of it (not a query's type); only a message read whole and kept whole
 * goes in, and none with a name that points into its id.
 */
#define DNS_SEEN		256
#define DNS_SEEN_MAX		186	/* bytes after the id */
#define DNS_SEEN_MIN		20	/* the words the index reads */

struct dns_seen {
	uint64_t key;			/* seen_slot()'s mix of the message */
	const char *name;		/* NULL: not read (answered a query) */
	const char *cname;
	uint8_t *addr_bytes;
	uint16_t len;			/* bytes after the id; 0: only the key */
	uint16_t qtype;
	int8_t rcode;
	uint8_t n_addrs;
	uint8_t qtype_last;		/* its type the message's last word
					   but one: compared apart */
	uint8_t bytes[DNS_SEEN_MAX];
};

struct dns_obs {
	struct dt_capture *cap;
	struct dt_flow_budget *b;
	size_t room_cap;		/* the cap room_below was worked from */
	size_t room_below;		/* dns_room(): m->used below this */
	uint32_t seed;
	size_t n_targets;
	struct dns_pending pending[DNS_BUCKETS][DNS_WAYS];
	struct dns_memo recent[DNS_RECENT];
	struct dns_memo targets[DNS_TARGETS];
	struct dns_seen seen[DNS_SEEN];
};

struct dns_dir {			/* DNS over TCP, one direction */
	uint8_t done;
	uint8_t msgs;
	uint8_t *buf;
	size_t len;
};

/* The bucket of a (client, port, id): two or three multiplies (murmur's
   mixing word by word was 50 instructions a message). The seed comes
   from an address, so nothing depends on which bucket it is. */
static struct dns_pending *
dns_bucket(struct dns_obs *o, const struct dt_addr *a, uint16_t port,
    uint16_t txid)
{
	uint64_t h = dt_addr_fold(o->seed, a);

	h = (h * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)port << 16 | txid);
	h *= 0xff51afd7ed558ccdULL;
	return o->pending[(h >> 32) % DNS_BUCKETS];
}

/* Room for a message's facts and buffers: dt_flow_fact_room() and
   dt_flow_buffer_room() of DNS_ROOM bytes, asked only past their mark
   (dt_flow_room_mark): every datagram asks. */
#define DNS_ROOM	4096

static void
dns_room_mark(struct dns_obs *o)
{
	o->room_cap = o->b->m->cap;
	o->room_below = dt_flow_room_mark(o->b->m, DNS_ROOM);
}

static inline int
dns_room(struct dns_obs *o)
{
	const struct dt_mem *m = o->b->m;

	if (m->cap != o->room_cap)
		dns_room_mark(o);
	if (m->used < o->room_below)
		return 1;
	return dt_flow_fact_room(o->b, DNS_ROOM) &&
	    dt_flow_buffer_room(o->b, DNS_ROOM);
}

static void
dns_stop(struct dns_obs *o, struct dns_dir *h)
{
	h->done = 1;
	if (h->buf != NULL) {
		o->b->buffered -= h->len;
		dt_free(o->b->m, h->buf);
		h->buf = NULL;
		h->len = 0;
	}
}

/* The capture's interned copy of the name at s (n bytes, no NUL among
   them: read_name() made it; hash: their dt_hash_bytes(); ascii: every
   byte ASCII, as read_name() saw), valid UTF-8 from the start (each byte
   that starts no well-formed sequence U+FFFD, as dt_capture_finish()
   repairs other texts), so that no DNS record is walked again to repair
   it. *as_is: the bytes were interned as they are. NULL when memory
   failed. */
static const char *
dns_intern(struct dt_capture *cap, const char *s, size_t n, uint64_t hash,
    int ascii, int *as_is)
{
	char clean[3 * (NAME_MAX_WIRE + 2) + 1];

	*as_is = ascii || dt_utf8_valid(s);
	if (*as_is)
		return dt_capture_intern_h(cap, s, n, hash);
	n = dt_utf8_clean(s, n, clean);
	return dt_capture_intern_n(cap, clean, n);
}

static int
memo_is(const struct dns_memo *e, const char *s, size_t n, uint32_t h)
{
	return e->h == h && e->n == n && memcmp(e->s, s, n) == 0;
}

/* The name just asked, or one asked lately: dns_intern() through the
   direct-mapped memo. The name is hashed once, for the memo and for the
   capture's table. */
static const char *
dns_intern_name(struct dns_obs *o, const char *s, size_t n, int ascii)
{
	uint64_t h = dt_hash_bytes(s, n);
	struct dns_memo *e = &o->recent[(uint32_t)h % DNS_RECENT];
	const char *p;
	int as_is;

	if (e->s != NULL && memo_is(e, s, n, (uint32_t)h))
		return e->s;
	if ((p = dns_intern(o->cap, s, n, h, ascii, &as_is)) != NULL && as_is) {
		e->s = p;
		e->h = (uint32_t)h;
		e->n = (uint32_t)n;
	}
	return p;
}

/* A CNAME target: dns_intern() through the table of the targets seen
   (open addressing; it takes no more once half full). */
static const char *
dns_intern_target(struct dns_obs *o, const char *s, size_t n, int ascii)
{
	uint64_t h = dt_hash_bytes(s, n);
	size_t i = (uint32_t)h % DNS_TARGETS;
	const char *p;
	int as_is;

	for (; o->targets[i].s != NULL; i = (i + 1) % DNS_TARGETS)
		if (memo_is(&o->targets[i], s, n, (uint32_t)h))
			return o->targets[i].s;
	if ((p = dns_intern(o->cap, s, n, h, ascii, &as_is)) != NULL && as_is &&
	    o->n_targets < DNS_TARGETS / 2) {
		o->targets[i].s = p;
		o->targets[i].h = (uint32_t)h;
		o->targets[i].n = (uint32_t)n;
		o->n_targets++;
	}
	return p;
}

/* The answer's part of rec from msg: its addresses copied to kept memory,
   its CNAME interned. 0, or -1 when memory failed. */
static int
dns_answer(struct dns_obs *o, struct dt_dns *rec, const struct dns_msg *msg)
{
	rec->rcode = (int8_t)msg->rcode;
	if (msg->n_addrs > 0) {
		rec->addr_bytes = dt_capture_keep_bytes(o->cap,
		    DT_KEEP_DNS_ADDRS, msg->addr_len);
		if (rec->addr_bytes == NULL)
			return -1;
		memcpy(rec->addr_bytes, msg->addr_bytes, msg->addr_len);
		rec->n_addrs = (uint8_t)msg->n_addrs;
	}
	if (msg->has_cname && (rec->cname = dns_intern_target(o,
	    msg->cname, msg->cname_len, msg->cname_ascii)) == NULL)
		return -1;
	return 0;
}

/* The entry of o->seen the message at p (n bytes) would take, or NULL
   when its length is out of the memo's range; *key: its mix. */
static struct dns_seen *
seen_slot(struct dns_obs *o, const uint8_t *p, size_t n, uint64_t *key)
{
	uint64_t a, z;
	uint32_t z4;
	uint16_t z2;

	if (n < DNS_SEEN_MIN || n - 2 > DNS_SEEN_MAX)
		return NULL;
	/* the question's first bytes and the message's last but a query's
	   type (bytes n - 4, n - 3): the name asked, the last answer, and
	   a name's AAAA query comes where its A query went */
	memcpy(&a, p + 12, 8);
	memcpy(&z4, p + n - 8, 4);
	memcpy(&z2, p + n - 2, 2);
	z = (uint64_t)z4 << 16 | z2;
	*key = (a ^ (z << 29 | z >> 35) ^ n) * 0x9e3779b97f4a7c15ULL;
	return &o->seen[*key >> 56];
}

/* The message at p (n bytes, its mix key) and what rec holds from it
   now, into the memo entry e (rec's name and type only when read:
   name_read; qtype_last: the message's type is its last word but one).
   A query goes in at once (its AAAA twin comes next); an answer only the
   second time its key comes, else only the key is kept: most answers
   come once, and copying each was most of what the memo saved. */
static void
seen_keep(struct dns_seen *e, uint64_t key, const uint8_t *p, size_t n,
    const struct dt_dns *rec, int name_read, int qtype_last)
{
	if (!qtype_last && e->key != key) {
		e->key = key;
		e->len = 0;
		return;
	}
	e->key = key;
	e->qtype_last = (uint8_t)qtype_last;
	e->len = (uint16_t)(n - 2);
	memcpy(e->bytes, p + 2, n - 2);
	e->name = name_read ? rec->name : NULL;
	e->cname = rec->cname;
	e->addr_bytes = rec->addr_bytes;
	e->qtype = rec->qtype;
	e->rcode = rec->rcode;
	e->n_addrs = rec->n_addrs;
}

/* Whether the message at p (n bytes, its mix key) is the one e holds
   but the id, and but the first question's type when that is its last
   word but one (a query). */
static int
seen_match(const struct dns_seen *e, uint64_t key, const uint8_t *p,
    size_t n)
{
	if (e->key != key || e->len != n - 2)
		return 0;
	if (!e->qtype_last)
		return memcmp(e->bytes, p + 2, n - 2) == 0;
	return memcmp(e->bytes, p + 2, n - 6) == 0 &&
	    e->bytes[n - 4] == p[n - 2] && e->bytes[n - 3] == p[n - 1];
}

/* The answer's part of rec as the memo entry e has it. */
static void
seen_answer(struct dt_dns *rec, const struct dns_seen *e)
{
	rec->rcode = e->rcode;
	rec->addr_bytes = e->addr_bytes;
	rec->n_addrs = e->n_addrs;
	rec->cname = e->cname;
}

static void
dns_message(struct dns_obs *o, uint64_t frame, int64_t time,
    const uint8_t *p, size_t n, const struct dt_addr *client, uint16_t cport,
    int want_resp)
{
	struct dns_msg msg;
	struct dt_dns *rec;
	struct dns_pending *b, *e = NULL;
	struct dns_seen *seen;
	struct rd hdr;
	uint64_t key = 0;
	int resp, i;
	uint16_t txid;

	/* past DT_FRAME48_MAX a record could not say its frame */
	if (frame > DT_FRAME48_MAX || !dns_room(o))
		return;
	/* the id and the QR bit first: the question's name is copied only
	   when no query waits for this message (it is then interned) */
	hdr = rd_make(p, n);
	txid = rd_u16(&hdr);
	resp = rd_u16(&hdr) >> 15;
	if (!rd_ok(&hdr) || resp != want_resp)
		return;
	b = dns_bucket(o, client, cport, txid);
	for (i = 0; i < DNS_WAYS; i++) {
		if (b[i].rec != NULL && b[i].txid == txid &&
		    b[i].port == cport && dt_addr_eq(&b[i].client, client)) {
			e = &b[i];
			break;
		}
	}
	if (!resp && e != NULL)
		return;		/* the query again: one query */
	/* read before (and its name, when a record starts): as it was */
	seen = seen_slot(o, p, n, &key);
	if (seen != NULL && (e != NULL || seen->name != NULL) &&
	    seen_match(seen, key, p, n)) {
		if (e != NULL) {
			rec = e->rec;
			e->rec = NULL;
			dt_frame48_set(&rec->answer_frame, frame);
			seen_answer(rec, seen);
			return;
		}
		if ((rec = dt_capture_dns_slot(o->cap)) == NULL)
			return;
		rec->name = seen->name;
		rec->qtype = seen->qtype_last ? rd_be16(p + n - 4) :
		    seen->qtype;
		rec->rcode = -1;
		if (resp) {
			dt_frame48_set(&rec->answer_frame, frame);
			seen_answer(rec, seen);
		}
		goto counted;
	}
	if (parse_msg(p, n, &resp, &txid, e == NULL, &msg) != 0)
		return;
	if (e != NULL) {
		rec = e->rec;
		e->rec = NULL;
		dt_frame48_set(&rec->answer_frame, frame);
		if (dns_answer(o, rec, &msg) == 0 && seen != NULL &&
		    !msg.reads_id)
			seen_keep(seen, key, p, n, rec, 0, msg.qtype_last);
		return;
	}
	rec = dt_capture_dns_slot(o->cap);
	if (rec == NULL ||
	    (rec->name = dns_intern_name(o, msg.name, msg.name_len,
	    msg.name_ascii)) == NULL)
		return;
	rec->qtype = msg.qtype;
	rec->rcode = -1;
	if (resp) {
		dt_frame48_set(&rec->answer_frame, frame);
		if (dns_answer(o, rec, &msg) != 0)
			return;
	}
	if (seen != NULL && !msg.reads_id)
		seen_keep(seen, key, p, n, rec, 1, msg.qtype_last);
counted:
	if (!resp) {
		dt_frame48_set(&rec->query_frame, frame);
		/* a free way, else the oldest one gives up waiting */
		e = &b[0];
		for (i = 0; i < DNS_WAYS; i++) {
			if (b[i].rec == NULL) {
				e = &b[i];
				break;
			}
			if (b[i].time < e->time)
				e = &b[i];
		}
		e->rec = rec;
		e->client = *client;
		e->port = cport;
		e->txid = txid;
		e->time = time;
	}
	o->cap->n_dns++;
}

static void
dns_datagram(void *payload, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	struct dns_obs *o = payload;

	/* queries go to port 53, answers come from it */
	if (l4->dport == 53)
		dns_message(o, pkt->frame, pkt->time, l4->payload, l4->caplen,
		    &l4->src, l4->sport, 0);
	if (l4->sport == 53)
		dns_message(o, pkt->frame, pkt->time, l4->payload, l4->caplen,
		    &l4->dst, l4->dport, 1);
}

/*
 * DNS over TCP (RFC 7766 8): messages with a two-byte length prefix, read
 * from the start of each direction into a buffer of DT_HTTP_HEAD_MAX
 * bytes; a message longer than that ends the looking.
 */
static void
dns_stream(struct dns_obs *o, struct dns_dir *h, const struct dt_conn *c,
    int dir, const uint8_t *p, size_t n, uint64_t frame, int64_t time)
{
	struct rd in = rd_make(p, n);

	while (in.n > 0 && !h->done) {
		struct rd msg;
		size_t want, take;
		uint16_t len;

		if (h->buf == NULL) {
			if (!dt_flow_buffer_room(o->b, DT_HTTP_HEAD_MAX) ||
			    (h->buf = dt_malloc(o->b->m,
			    DT_HTTP_HEAD_MAX)) == NULL) {
				dns_stop(o, h);
				return;
			}
		}
		want = 2;
		if (h->len >= 2) {
			msg = rd_make(h->buf, h->len);
			len = rd_u16(&msg);
			if (len == 0 || (size_t)len + 2 > DT_HTTP_HEAD_MAX) {
				dns_stop(o, h);
				return;
			}
			want = (size_t)len + 2;
		}
		take = want - h->len;
		if (take > in.n)
			take = in.n;
		rd_copy(&in, h->buf + h->len, take);
		h->len += take;
		o->b->buffered += take;
		if (h->len < want || want == 2)
			continue;
		dns_message(o, frame, time, h->buf + 2, want - 2,
		    &c->client, c->client_port, dir == DT_S2C);
		o->b->buffered -= h->len;
		h->len = 0;
		if (++h->msgs >= DNS_TCP_MAX_MSGS)
			dns_stop(o, h);
	}
}


static int
dns_start(void **payload, struct dt_capture *cap, struct dt_flow_budget *b)
{
	struct dns_obs *o = dt_calloc(b->m, 1, sizeof *o);

	if (o == NULL)
		return DT_ENOMEM;
	o->cap = cap;
	o->b = b;
	o->seed = (uint32_t)((uintptr_t)o >> 4) * 0x9e3779b9u;
	dns_room_mark(o);
	*payload = o;
	return 0;
}

/* Queries never answered stay among the capture's records, rcode -1. */
static void
dns_stop_all(void *payload)
{
	struct dns_obs *o = payload;

	dt_free(o->b->m, o);
}

static int
dns_want(void *payload, const struct dt_conn *c)
{
	(void)payload;
	return c->server_port == 53;
}

static int
dns_data(void *payload, struct dt_conn *c, void **state, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time)
{
	struct dns_obs *o = payload;
	struct dns_dir *d = *state;

	if (d == NULL) {
		if (!dt_flow_buffer_room(o->b, 2 * sizeof *d) ||
		    (d = dt_calloc(o->b->m, 2, sizeof *d)) == NULL)
			return 0;
		*state = d;
	}
	dns_stream(o, &d[dir], c, dir, p, n, frame, time);
	return !d[dir].done;
}

static int
dns_gap(void *payload, struct dt_conn *c, void **state, int dir, uint64_t n,
    uint64_t frame)
{
	struct dns_dir *d = *state;

	(void)c, (void)n, (void)frame;
	if (d != NULL)
		dns_stop(payload, &d[dir]);
	return 0;
}

static void
dns_end(void *payload, struct dt_conn *c, void **state)
{
	struct dns_obs *o = payload;
	struct dns_dir *d = *state;

	(void)c;
	if (d == NULL)
		return;
	dns_stop(o, &d[0]);
	dns_stop(o, &d[1]);
	dt_free(o->b->m, d);
	*state = NULL;
}

const struct dt_flow_sink dt_dns_sink = {
	.name = "dns",
	.start = dns_start,
	.stop = dns_stop_all,
	.datagram = dns_datagram,
	.want = dns_want,
	.data = dns_data,
	.gap = dns_gap,
	.end = dns_end,
};
