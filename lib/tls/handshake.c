/*
 * tls/handshake: the handshake messages of one direction, decoded from the
 * reassembled handshake stream (RFC 5246 7.4 and RFC 8446 4: the 4-byte
 * message header, then ClientHello 7.4.1.2 / 4.1.2 with the extensions of
 * 4.2, ServerHello and HelloRetryRequest 7.4.1.3 / 4.1.3, Certificate
 * 7.4.2 / 4.4.2, CertificateRequest 7.4.4 / 4.3.2, ServerHelloDone,
 * Finished) and the SSLv2-format hellos (RFC 6101 E.2, RFC 5246 E.2).
 *
 * The record layer (record.c) hands over each handshake record's body; the
 * bytes wait in a per-direction buffer of at most hs_cap bytes until a
 * message is whole. Each decoder reads a (ptr, len) view through the
 * bounds-checked reader (util/rd.h) and returns NULL or what was wrong;
 * a wrong message becomes the direction's malformed fact. Certificates are
 * parsed by x509/ (through its cache).
 */
#include <stdio.h>
#include <string.h>

#include "tls/names.h"
#include "tls/tls_int.h"
#include "util/hash.h"

static const uint8_t hrr_random[32] = {	/* RFC 8446 4.1.3 */
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02,
	0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
	0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};


/* The vector just read was the last thing in r: r is good and empty. */
static int
last(const struct rd *r)
{
	return rd_ok(r) && r->n == 0;
}

static int
is_grease(uint16_t v)
{
	return (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF);
}

/* Suites that are no cipher at all: renegotiation / fallback signals, and
   TLS_NULL_WITH_NULL_NULL, the state before the first handshake, which
   "MUST NOT be negotiated" (RFC 5246 A.5) and so offers no NULL cipher. */
static int
is_signal_suite(uint16_t v)
{
	return v == 0x0000 || v == 0x00FF || v == 0x5600 || is_grease(v);
}


static int
push_u16(struct dt_mem *m, uint16_t **v, uint32_t *n, uint16_t x)
{
	uint16_t *nv = dt_realloc(m, *v, (*n + 1) * sizeof **v);

	if (nv == NULL)
		return -1;
	*v = nv;
	nv[(*n)++] = x;
	return 0;
}

/* A kept list of n entries of `size` bytes made room for `more` (the
   wire's count), up to max in all: exactly that, so a connection's facts
   hold no spare entries. Returns the list (moved, or v when memory
   failed) and in *room the entries it holds room for (n on failure: the
   list keeps what it has). */
static void *
grow_list(struct dt_mem *m, void *v, size_t size, uint32_t n, size_t more,
    uint32_t max, uint32_t *room)
{
	size_t want = n + more < max ? n + more : max;
	void *nv;

	*room = n;
	if (want <= n || (nv = dt_realloc(m, v, want * size)) == NULL)
		return v;
	*room = (uint32_t)want;
	return nv;
}

/* One allocation for a list whose length the wire gave (no quadratic
   growth for 32767 suites). */
static uint16_t *
alloc_u16(struct dt_tls *t, size_t n)
{
	return dt_calloc(t->m, n > 0 ? n : 1, sizeof(uint16_t));
}

/* offered_suites has room for every suite of the hello: room[1] of
   hello_room() for a ClientHello, alloc_u16() for an SSL 2.0 one. */
static void
add_suite(struct dt_tls *t, struct dt_conn *c, uint16_t s)
{
	struct dt_tls_hello *h = c->tls->hello;

	(void)t;
	if (h->offered_suites != NULL)
		h->offered_suites[h->n_offered_suites++] = s;
	if (s == 0x00FF)
		h->ch_reneg_info = 1;
}

static void
finish_offer(struct dt_conn *c)
{
	struct dt_tls_hello *h = c->tls->hello;
	size_t i, real = 0, null = 0;

	for (i = 0; i < h->n_offered_suites; i++) {
		uint16_t s = h->offered_suites[i];

		if (is_signal_suite(s))
			continue;
		real++;
		if (dt_tls_suite_is_null(s))
			null++;
	}
	h->offered_null = null > 0;
	h->offered_only_null = null > 0 && null == real;
}

/* The room a ClientHello's lists need in its block
   (dt_tls_hello_block): at least the entries the decoders below can
   write, counted on the same vectors without judging them (duplicate
   extensions add up to the DT_*_MAX caps; supported_versions replaces,
   so its longest; one entry for the legacy version). */
static void
hello_room(struct rd r, uint32_t room[5])
{
	struct rd suites, exts, e;
	uint32_t k = 0, groups = 0, sig_algs = 0, versions = 1;

	rd_skip(&r, 2 + 32);
	(void)rd_vec8(&r);
	suites = rd_vec16(&r);
	(void)rd_vec8(&r);
	exts = rd_vec16(&r);
	for (; exts.n > 0 && rd_ok(&exts); k++) {
		uint16_t type = rd_u16(&exts);

		e = rd_vec16(&exts);
		if (type == 10)
			groups += (uint32_t)(e.n / 2);
		else if (type == 13)
			sig_algs += (uint32_t)(e.n / 2);
		else if (type == 43 && e.n / 2 > versions)
			versions = (uint32_t)(e.n / 2);
	}
	room[0] = versions;
	room[1] = (uint32_t)(suites.n / 2);
	room[2] = k;
	room[3] = groups < DT_CH_GROUPS_MAX ? groups : DT_CH_GROUPS_MAX;
	room[4] = sig_algs < DT_CH_SIG_ALGS_MAX ? sig_algs : DT_CH_SIG_ALGS_MAX;
}

/* f's SNI or ALPN (bit `kept` of f->kept), n bytes at s: the capture's
   interned copy when the parser has one (thousands of connections name
   the same few servers), else its own. */
static void
hello_name(struct dt_tls *t, struct dt_tls_facts *f, char **sp, uint8_t kept,
    const char *s, size_t n)
{
	const char *k;

	if (t->cap != NULL && (k = dt_capture_name(t->cap, s, n)) != NULL) {
		*sp = (char *)k;	/* shared from here on: never written */
		f->kept |= kept;
	} else
		*sp = dt_strndup(t->m, s, n);
}

/* RFC 8446 4.2: the ClientHello extensions we decode, into the lists of
   the hello's block (room: hello_room). NULL or a reason. */
static const char *
client_ext(struct dt_tls *t, struct dt_conn *c, uint16_t type, struct rd e,
    const uint32_t room[5])
{
	struct dt_tls_facts *f = c->tls;
	struct dt_tls_hello *h = f->hello;
	struct rd v, w;

	switch (type) {		/* each type read here is in ext_read() */
	case 0:		/* RFC 6066 3 server_name */
		if (e.n == 0)
			return NULL;	/* a server's empty answer shape */
		v = rd_vec16(&e);
		if (!last(&e) || v.n == 0)
			return "ClientHello: malformed server_name list";
		while (v.n > 0 && rd_ok(&v)) {
			uint8_t nt = rd_u8(&v);

			w = rd_vec16(&v);
			if (!rd_ok(&v) || w.n == 0)
				return "ClientHello: malformed server_name entry";
			if (nt == 0 && f->sni == NULL)
				hello_name(t, f, &f->sni, DT_TLS_KEPT_SNI,
				    (const char *)w.p, w.n);
		}
		return rd_ok(&v) ? NULL : "ClientHello: malformed server_name entry";
	case 10:	/* RFC 8422 5.1.1 supported_groups */
		v = rd_vec16(&e);
		if (!last(&e) || v.n < 2 || v.n % 2)
			return "ClientHello: malformed supported_groups list";
		while (v.n > 0) {
			uint16_t g = rd_u16(&v);
			if (h->n_ch_groups < room[3])
				h->ch_groups[h->n_ch_groups++] = g;
		}
		return NULL;
	case 13:	/* RFC 5246 7.4.1.4.1 signature_algorithms */
		v = rd_vec16(&e);
		if (!last(&e) || v.n < 2 || v.n % 2)
			return "ClientHello: malformed signature_algorithms list";
		while (v.n > 0) {
			uint16_t a = rd_u16(&v);
			if (h->n_ch_sig_algs < room[4])
				h->ch_sig_algs[h->n_ch_sig_algs++] = a;
		}
		return NULL;
	case 16: {	/* RFC 7301 3.1 ALPN */
		char buf[512];
		size_t bl = 0;

		v = rd_vec16(&e);
		if (!last(&e) || v.n < 2)
			return "ClientHello: malformed ALPN protocol list";
		while (v.n > 0 && rd_ok(&v)) {
			w = rd_vec8(&v);
			if (!rd_ok(&v) || w.n == 0)
				return "ClientHello: malformed ALPN protocol name";
			if (bl + w.n + 2 < sizeof buf) {
				if (bl > 0)
					buf[bl++] = ',';
				memcpy(buf + bl, w.p, w.n);
				bl += w.n;
			}
		}
		if (f->alpn == NULL)
			hello_name(t, f, &f->alpn, DT_TLS_KEPT_ALPN, buf, bl);
		return NULL;
	}
	case 43:	/* RFC 8446 4.2.1 supported_versions */
		v = rd_vec8(&e);
		if (!last(&e) || v.n < 2 || v.n % 2)
			return "ClientHello: malformed supported_versions list";
		h->n_client_versions = 0;
		while (v.n > 0 && h->n_client_versions < room[0])
			h->client_versions[h->n_client_versions++] =
			    rd_u16(&v);
		return NULL;
	case 65281:	/* RFC 5746 3.2 renegotiation_info */
		v = rd_vec8(&e);
		if (!last(&e))
			return "ClientHello: malformed renegotiation_info";
		h->ch_reneg_info = 1;
		return NULL;
	case 23:	/* RFC 7627 5.1 extended_master_secret: empty */
		if (e.n != 0)
			return "ClientHello: extended_master_secret not empty";
		h->ch_ems = 1;
		return NULL;
	case 5:		/* RFC 6066 8 status_request */
		h->ch_status_request = 1;
		return NULL;
	default:
		return NULL;
	}
}

/* RFC 5246 7.4.1.2 / RFC 8446 4.1.2 ClientHello, into c->tls->hello (its
   lists with room[] entries). */
static const char *
client_hello_read(struct dt_tls *t, struct dt_conn *c, struct rd r,
    uint64_t frame, int64_t time, const uint32_t room[5])
{
	struct dt_tls_facts *f = c->tls;
	struct dt_tls_hello *h = f->hello;
	struct rd sid, suites, comp, exts;
	uint16_t legacy;

	legacy = rd_u16(&r);
	rd_skip(&r, 32);
	sid = rd_vec8(&r);
	if (!rd_ok(&r))
		return "ClientHello: truncated before the session id";
	if (sid.n > 32)
		return "ClientHello: session id longer than 32 bytes";
	suites = rd_vec16(&r);
	if (!rd_ok(&r))
		return "ClientHello: cipher_suites vector overruns the message";
	if (suites.n < 2 || suites.n % 2)
		return "ClientHello: cipher_suites vector of odd or zero length";
	/* the suites are kept before the later fields are judged: a hello
	   that breaks a rule after them still shows what it offered (the
	   server of tls_invalid_reads.pcap chose one of them) */
	if (h->n_offered_suites == 0) {
		while (suites.n > 0)
			add_suite(t, c, rd_u16(&suites));
		finish_offer(c);
	}
	comp = rd_vec8(&r);
	if (!rd_ok(&r))
		return "ClientHello: compression_methods vector overruns the message";
	if (comp.n == 0)
		return "ClientHello: empty compression_methods";
	f->ch_frame = frame;
	f->ch_time = time;
	h->ch_legacy_version = legacy;
	memcpy(t->ch_sid, sid.p, sid.n);
	t->ch_sid_len = sid.n;
	if (r.n > 0) {
		exts = rd_vec16(&r);
		if (!last(&r))
			return "ClientHello: extensions vector overruns the message";
		while (exts.n > 0) {
			uint16_t type = rd_u16(&exts);
			struct rd e = rd_vec16(&exts);
			const char *why;

			if (!rd_ok(&exts))
				return "ClientHello: extension overruns the extensions vector";
			if (h->n_extensions < room[2])
				h->extensions[h->n_extensions++] = type;
			if ((why = client_ext(t, c, type, e, room)) != NULL)
				return why;
		}
	}
	if (h->n_client_versions == 0 && room[0] > 0)
		h->client_versions[h->n_client_versions++] = legacy;
	return NULL;
}

/* The bytes a hello parsed on the stack may take, lists included: the
   common hellos take a few hundred; a longer one is made on the heap. */
#define HELLO_SCRATCH	1024

/* h laid out as a block (dt_tls_hello_block) at h: zeroed, its lists
   after it with room[] entries each. */
static void
hello_place(struct dt_tls_hello *h, const uint32_t room[5])
{
	uint16_t *at = (uint16_t *)(void *)(h + 1);

	memset(h, 0, sizeof *h);
	h->block = 1;
	h->client_versions = room[0] > 0 ? at : NULL;
	at += room[0];
	h->offered_suites = room[1] > 0 ? at : NULL;
	at += room[1];
	h->extensions = room[2] > 0 ? at : NULL;
	at += room[2];
	h->ch_groups = room[3] > 0 ? at : NULL;
	at += room[3];
	h->ch_sig_algs = room[4] > 0 ? at : NULL;
}

/* The stack hello s (hello_place, `bytes` in all) copied to the heap as
   f's: when the capture could not keep it. NULL when memory failed. */
static struct dt_tls_hello *
hello_copy(struct dt_tls *t, struct dt_tls_facts *f,
    const struct dt_tls_hello *s, size_t bytes, uint32_t room[5])
{
	struct dt_tls_hello *h;

	f->hello = NULL;
	if ((h = dt_tls_hello_block(t->m, f, room)) == NULL)
		return NULL;
	memcpy(h, s, bytes);	/* the same layout: the same room */
	hello_place(h, room);
	memcpy(&h->n_client_versions, &s->n_client_versions,
	    sizeof *h - offsetof(struct dt_tls_hello, n_client_versions));
	return h;
}

/* ---- the capture's memo of ClientHellos (dt_tls_memo_new) -------------- */

/* A few clients make most connections of a capture, each offering the
   same hello every time but for its random, its session id, the server
   it names and the contents of extensions nothing reads (a key share, a
   ticket, padding): reading it again was a third of the TLS parser's
   cost. The server's name is read each time. */
#define MEMO_SLOTS	256		/* a power of two */
#define MEMO_KEY_MAX	1024		/* longer keys are read each time */
#define MEMO_ROOM	((size_t)1 << 20)	/* a key never nears the cap */

struct memo_hello {
	uint64_t hash;
	uint8_t *key;			/* NULL: an empty slot */
	size_t n;
	/* the kept facts it gave */
	struct dt_tls_hello *hello;
	char *alpn;
	uint8_t kept;			/* DT_TLS_KEPT_ALPN, or 0 */
};

/* A server's chain as the x509 cache shares it (dt_x509_chain_shared):
   its certificates' DER, compared whole, say whether a Certificate
   message is this one again. */
#define MEMO_CHAINS	16		/* a power of two */

struct memo_chain {
	const struct dt_cert *certs;	/* NULL: an empty slot */
	size_t n;
	int v13;			/* entries with extensions */
};

struct dt_tls_memo {
	struct memo_hello e[MEMO_SLOTS];
	struct memo_chain c[MEMO_CHAINS];
};

struct dt_tls_memo *
dt_tls_memo_new(struct dt_mem *m)
{
	if (dt_mem_room(m) < MEMO_ROOM)
		return NULL;
	return dt_calloc(m, 1, sizeof(struct dt_tls_memo));
}

void
dt_tls_memo_free(struct dt_mem *m, struct dt_tls_memo *mo)
{
	size_t i;

	if (mo == NULL)
		return;
	for (i = 0; i < MEMO_SLOTS; i++)
		dt_free(m, mo->e[i].key);
	dt_free(m, mo);
}

/* The extensions client_ext() reads: their bodies are in the key (but
   for server_name's, read each time). */
static int
ext_read(uint16_t type)
{
	switch (type) {
	case 5: case 10: case 13: case 16: case 23: case 43: case 65281:
		return 1;
	default:
		return 0;
	}
}

/* The ClientHello r's key in k (MEMO_KEY_MAX bytes): every byte the
   facts are read from but the server's name, and the lengths that frame
   them; *sni, the server_name extension's body (NULL: none). 0: no key
   (a hello that is long, that client_hello_read() finds fault with, or
   that names servers twice). */
static size_t
memo_key(uint16_t rversion, struct rd r, uint8_t *k, struct rd *sni)
{
	struct rd exts;
	const uint8_t *at;
	size_t n, sid;

	*sni = rd_make(NULL, 0);
	if (r.n < 2 + 32 + 1)
		return 0;
	k[0] = (uint8_t)(rversion >> 8);
	k[1] = (uint8_t)rversion;
	k[2] = r.p[0];			/* legacy_version */
	k[3] = r.p[1];
	rd_skip(&r, 2 + 32);
	sid = rd_vec8(&r).n;
	k[4] = (uint8_t)sid;
	at = r.p;
	(void)rd_vec16(&r);		/* cipher_suites */
	(void)rd_vec8(&r);		/* compression_methods */
	if (!rd_ok(&r) || sid > 32 || (size_t)(r.p - at) > MEMO_KEY_MAX - 6)
		return 0;
	memcpy(k + 5, at, (size_t)(r.p - at));
	n = 5 + (size_t)(r.p - at);
	k[n++] = r.n > 0;		/* an extensions vector */
	if (r.n == 0)
		return n;
	exts = rd_vec16(&r);
	if (!last(&r))
		return 0;
	while (exts.n > 0) {
		uint16_t type = rd_u16(&exts);
		struct rd e = rd_vec16(&exts);
		size_t len = ext_read(type) ? e.n : 0;

		if (!rd_ok(&exts) || n + 4 + len > MEMO_KEY_MAX)
			return 0;
		if (type == 0) {
			if (sni->p != NULL)
				return 0;
			*sni = e;
		}
		k[n++] = (uint8_t)(type >> 8);
		k[n++] = (uint8_t)type;
		if (ext_read(type)) {
			k[n++] = (uint8_t)(len >> 8);
			k[n++] = (uint8_t)len;
			memcpy(k + n, e.p, len);
			n += len;
		}
	}
	return n;
}

static struct memo_hello *
memo_slot(struct dt_tls_memo *mo, uint64_t hash)
{
	return &mo->e[hash & (MEMO_SLOTS - 1)];
}

/* f's facts from a hello read without fault, when all of them are the
   capture's kept ones (so that they outlive this connection): in the
   slot of its hash, in place of what was there. */
static void
memo_put(struct dt_tls *t, const uint8_t *key, size_t n, uint64_t hash,
    const struct dt_tls_facts *f)
{
	struct memo_hello *e = memo_slot(t->memo, hash);
	uint8_t *copy;

	if (f->hello == NULL || !f->hello->kept ||
	    (f->alpn != NULL && !(f->kept & DT_TLS_KEPT_ALPN)) ||
	    dt_mem_room(t->m) < MEMO_ROOM)
		return;
	if ((copy = dt_realloc(t->m, e->key, n)) == NULL)
		return;
	memcpy(copy, key, n);
	e->key = copy;
	e->n = n;
	e->hash = hash;
	e->hello = f->hello;
	e->alpn = f->alpn;
	e->kept = (uint8_t)(f->kept & DT_TLS_KEPT_ALPN);
}

/* What client_hello_read() does for a hello the memo knows: the server's
   name read, the connection's own facts, and the shared ones. 0 when the
   name is at fault (f as it was: the hello is then read as any other). */
static int
memo_take(struct dt_tls *t, struct dt_conn *c, const struct memo_hello *e,
    struct rd r, struct rd sni, uint64_t frame, int64_t time)
{
	struct dt_tls_facts *f = c->tls;
	uint8_t kept = f->kept;

	if (sni.p != NULL && client_ext(t, c, 0, sni, NULL) != NULL) {
		if (f->sni != NULL && !(f->kept & DT_TLS_KEPT_SNI))
			dt_free(t->m, f->sni);
		f->sni = NULL;
		f->kept = kept;
		return 0;
	}
	f->ch_frame = frame;
	f->ch_time = time;
	t->ch_sid_len = r.p[2 + 32];
	memcpy(t->ch_sid, r.p + 2 + 32 + 1, t->ch_sid_len);
	f->hello = e->hello;
	f->alpn = e->alpn;
	f->kept |= e->kept;
	return 1;
}

/* The ClientHello read, on the stack when it is short and a capture keeps
   the hellos: then it becomes the capture's kept copy at once (most are
   one of a few hundred distinct ones), nothing allocated or freed for it
   per connection; and one the capture's memo knows is not read again.
   The first one only. */
static const char *
client_hello(struct dt_tls *t, struct dt_conn *c, struct rd r,
    uint64_t frame, int64_t time)
{
	struct dt_tls_facts *f = c->tls;
	uint64_t scratch[HELLO_SCRATCH / 8];
	struct dt_tls_hello *s = (struct dt_tls_hello *)(void *)scratch, *h;
	uint8_t key[MEMO_KEY_MAX];
	size_t kn = 0;
	uint64_t hash = 0;
	struct rd sni;
	uint32_t room[5];
	size_t need = sizeof *s;
	const char *why;
	int i;

	if (f->ch_frame != 0)
		return NULL;	/* the second one (after HRR, renegotiation) */
	/* the memo's facts are a hello's on a connection that has none */
	if (t->memo != NULL && f->hello == NULL && f->sni == NULL &&
	    f->alpn == NULL &&
	    (kn = memo_key(t->ch_rversion, r, key, &sni)) > 0) {
		const struct memo_hello *e;

		hash = dt_hash_bytes(key, kn);
		e = memo_slot(t->memo, hash);
		if (e->key != NULL && e->hash == hash && e->n == kn &&
		    memcmp(e->key, key, kn) == 0 &&
		    memo_take(t, c, e, r, sni, frame, time))
			return NULL;
	}
	hello_room(r, room);
	for (i = 0; i < 5; i++)
		need += (size_t)room[i] * sizeof(uint16_t);
	if (t->cap == NULL || f->hello != NULL || need > sizeof scratch) {
		if ((h = dt_tls_hello_block(t->m, f, room)) == NULL)
			return NULL;	/* m->failed: the analysis says so */
		if (h->record_version == 0)
			h->record_version = t->ch_rversion;
		return client_hello_read(t, c, r, frame, time, room);
	}
	hello_place(s, room);
	s->record_version = t->ch_rversion;
	f->hello = s;
	why = client_hello_read(t, c, r, frame, time, room);
	f->hello = NULL;
	if ((h = dt_capture_hello(t->cap, s)) == NULL)
		h = hello_copy(t, f, s, need, room);
	f->hello = h;
	if (kn > 0 && why == NULL)
		memo_put(t, key, kn, hash, f);
	return why;
}

/* RFC 5246 7.4.1.3 / RFC 8446 4.1.3 ServerHello (and HelloRetryRequest). */
static const char *
server_hello(struct dt_tls *t, struct dt_conn *c, struct rd r,
    uint64_t frame, int *hrr_out)
{
	struct dt_tls_facts *f = c->tls;
	struct rd sid, exts;
	const uint8_t *random;
	uint16_t legacy, suite, selected = 0;
	int psk = 0, hrr, draft;

	legacy = rd_u16(&r);
	random = rd_bytes(&r, 32);
	/* TLS 1.3 drafts before -22 (draft-ietf-tls-tls13-21 4.1.3): no
	   session id, no compression method. Their servers wrote the
	   draft's number (0x7F10: draft 16) or, in the early drafts
	   (suricata-verify's tls13-draft14 capture, 2016), {3, 4} itself;
	   RFC 8446's ServerHello says 0x0303 and puts 1.3 in
	   supported_versions, so 0x0304 here is always a draft's. */
	draft = legacy >> 8 == 0x7F || legacy == 0x0304;
	sid = draft ? rd_make(NULL, 0) : rd_vec8(&r);
	suite = rd_u16(&r);
	if (!draft)
		(void)rd_u8(&r);	/* compression method */
	if (!rd_ok(&r))
		return "ServerHello: truncated";
	if (sid.n > 32)
		return "ServerHello: session id longer than 32 bytes";
	if (r.n > 0) {
		exts = rd_vec16(&r);
		if (!last(&r))
			return "ServerHello: extensions vector overruns the message";
		while (exts.n > 0) {
			uint16_t type = rd_u16(&exts);
			struct rd e = rd_vec16(&exts);

			if (!rd_ok(&exts))
				return "ServerHello: extension overruns the extensions vector";
			if (type == 43) {
				selected = rd_u16(&e);
				if (!rd_ok(&e) || e.n != 0)
					return "ServerHello: supported_versions is not 2 bytes";
			} else if (type == 41) {
				psk = 1;
			}
		}
	}
	hrr = memcmp(random, hrr_random, sizeof hrr_random) == 0;
	*hrr_out = hrr;
	if (hrr) {
		f->hrr = 1;
		t->tls13 = 1;
		if (!t->sh_seen) {
			f->version = selected ? selected : legacy;
			f->suite = suite;
		}
		return NULL;
	}
	if (t->sh_seen)
		return NULL;	/* renegotiation: the first one decides */
	t->sh_seen = 1;
	f->sh_frame = frame;
	f->version = selected ? selected : legacy;
	f->suite = suite;
	if (f->version == 0x0304 || f->version >> 8 == 0x7F) {
		t->tls13 = 1;
		t->sh13 = 1;
		f->certs_not_visible = 1;
		if (psk)
			f->resumed = 1;
	} else if (sid.n > 0 && sid.n == t->ch_sid_len &&
	    memcmp(sid.p, t->ch_sid, sid.n) == 0) {
		t->d[DT_S2C].maybe_resumed = 1;
	}
	return NULL;
}

/* The slot of a certificate_list: by its length and its last bytes (the
   signature of its last certificate, which no two share). */
static struct memo_chain *
chain_slot(struct dt_tls_memo *mo, struct rd list)
{
	size_t k = list.n < 32 ? list.n : 32;
	uint64_t h = dt_hash_bytes(list.p + list.n - k, k) ^ list.n;

	return &mo->c[h & (MEMO_CHAINS - 1)];
}

/* Is the certificate_list of n entries e's chain, byte for byte? */
static int
chain_is(const struct memo_chain *e, struct rd list, size_t n, int v13)
{
	size_t i;

	if (e->certs == NULL || e->n != n || e->v13 != v13)
		return 0;
	for (i = 0; i < n; i++) {
		struct rd one = rd_vec24(&list);

		if (one.n != e->certs[i].der_len ||
		    memcmp(one.p, e->certs[i].der, one.n) != 0)
			return 0;
		if (v13)
			(void)rd_vec16(&list);
	}
	return 1;
}

/* RFC 5246 7.4.2 / RFC 8446 4.4.2 Certificate. */
static const char *
certificate(struct dt_tls *t, struct dt_conn *c, int dir, struct rd r,
    uint64_t frame)
{
	struct dt_tls_facts *f = c->tls;
	struct dt_tls_rare *rf = NULL;
	struct rd list, scan;
	struct dt_cert *certs;
	const struct dt_cert *shared;
	struct memo_chain *slot = NULL;
	size_t n = 0, i;
	int v13 = t->tls13;

	if (v13) {
		struct rd ctx = rd_vec8(&r);
		(void)ctx;
	}
	list = rd_vec24(&r);
	if (!last(&r))
		return "Certificate: certificate_list overruns the message";
	scan = list;
	while (scan.n > 0) {
		struct rd one = rd_vec24(&scan);

		if (!rd_ok(&scan))
			return "Certificate: certificate overruns the list";
		if (one.n == 0)
			return "Certificate: empty ASN.1Cert";
		if (v13) {
			struct rd ext = rd_vec16(&scan);
			if (!rd_ok(&scan))
				return "Certificate: entry extensions overrun the list";
			(void)ext;
		}
		n++;
	}
	if (dir == DT_C2S) {
		if (f->client_cert != DT_CCERT_NONE ||
		    (rf = dt_tls_rare_make(t->m, f)) == NULL)
			return NULL;
		f->client_cert = n == 0 ? DT_CCERT_EMPTY : DT_CCERT_PRESENT;
		rf->client_cert_frame = frame;
	} else {
		if (f->server_cert_frame != 0)
			return NULL;
		f->server_cert_frame = frame;
	}
	if (n == 0)
		return NULL;
	/* the chain this capture's server sent before: the cache's array
	   without parsing or gathering it again */
	if (t->memo != NULL) {
		slot = chain_slot(t->memo, list);
		if (chain_is(slot, list, n, v13)) {
			certs = (struct dt_cert *)slot->certs;
			f->certs_shared |= dir == DT_C2S ? 2 : 1;
			goto keep;
		}
	}
	certs = dt_calloc(t->m, n, sizeof *certs);
	if (certs == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		struct rd one = rd_vec24(&list);

		(void)dt_x509_parse_cached(t->x509, t->m, one.p, one.n,
		    &certs[i]);
		if (v13)
			(void)rd_vec16(&list);
	}
	/* the same chain as thousands of other handshakes: the cache's one
	   array, not a copy per connection */
	shared = dt_x509_chain_shared(t->x509, certs, n);
	if (shared != NULL) {
		dt_free(t->m, certs);
		certs = (struct dt_cert *)shared;
		f->certs_shared |= dir == DT_C2S ? 2 : 1;
		if (slot != NULL) {
			slot->certs = shared;
			slot->n = n;
			slot->v13 = v13;
		}
	}
keep:
	if (dir == DT_C2S) {
		rf->client_certs = certs;
		rf->n_client_certs = n;
	} else {
		f->server_certs = certs;
		f->n_server_certs = n;
	}
	return NULL;
}

/* RFC 5246 7.4.4 (RFC 4346 7.4.4 without the algorithms) CertificateRequest. */
static const char *
certificate_request(struct dt_tls *t, struct dt_conn *c, struct rd r,
    uint64_t frame)
{
	struct dt_tls_facts *f = c->tls;
	struct dt_tls_rare *rf;
	struct rd types, algs, cas, scan;
	size_t n = 0, i;
	uint32_t room;

	if (dt_tls_rare(f)->cert_request_frame != 0 ||
	    (rf = dt_tls_rare_make(t->m, f)) == NULL)
		return NULL;
	if (t->tls13) {		/* RFC 8446 4.3.2: context + extensions */
		rf->cert_request_frame = frame;
		return NULL;
	}
	types = rd_vec8(&r);
	if (!rd_ok(&r) || types.n == 0)
		return "CertificateRequest: certificate_types vector";
	if (f->version >= 0x0303) {
		algs = rd_vec16(&r);
		if (!rd_ok(&r) || algs.n < 2 || algs.n % 2)
			return "CertificateRequest: supported_signature_algorithms vector";
	} else {
		algs = rd_make(NULL, 0);
	}
	cas = rd_vec16(&r);
	if (!last(&r))
		return "CertificateRequest: certificate_authorities vector overruns the message";
	scan = cas;
	while (scan.n > 0) {
		struct rd dn = rd_vec16(&scan);

		if (!rd_ok(&scan))
			return "CertificateRequest: DistinguishedName overruns the list";
		if (dn.n == 0)
			return "CertificateRequest: empty DistinguishedName";
		n++;
	}
	rf->cert_request_frame = frame;
	rf->cr_cert_types = grow_list(t->m, rf->cr_cert_types, 1,
	    rf->n_cr_cert_types, types.n, DT_CR_CERT_TYPES_MAX, &room);
	while (types.n > 0) {
		uint8_t ty = rd_u8(&types);
		if (rf->n_cr_cert_types < room)
			rf->cr_cert_types[rf->n_cr_cert_types++] = ty;
	}
	rf->cr_sig_algs = grow_list(t->m, rf->cr_sig_algs, 2,
	    rf->n_cr_sig_algs, algs.n / 2, DT_CR_SIG_ALGS_MAX, &room);
	while (algs.n > 0) {
		uint16_t a = rd_u16(&algs);
		if (rf->n_cr_sig_algs < room)
			rf->cr_sig_algs[rf->n_cr_sig_algs++] = a;
	}
	if (n == 0)
		return NULL;
	rf->ca_names = dt_calloc(t->m, n, sizeof *rf->ca_names);
	if (rf->ca_names == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		struct rd dn = rd_vec16(&cas);
		char *s = dt_x509_dn_string_cached(t->x509, t->m, dn.p,
		    dn.n);

		if (s == NULL) {
			char tmp[64];

			snprintf(tmp, sizeof tmp, "(unreadable DN of %zu bytes)",
			    dn.n);
			s = dt_strdup(t->m, tmp);
		}
		if (s == NULL)
			break;	/* no memory: the list holds no NULL */
		rf->ca_names[rf->n_ca_names++] = s;
	}
	return NULL;
}

static void
message(struct dt_tls *t, struct dt_conn *c, int dir, uint8_t type,
    struct rd body, uint64_t frame, int64_t time)
{
	struct dt_tls_facts *f = c->tls;
	struct tdir *d = &t->d[dir];
	const char *why = NULL;
	int hrr = 0;
	uint32_t flags = 0;

	switch (type) {
	case 1:
		/* a second ClientHello answers a HelloRetryRequest; any other
		   is a retry or a renegotiation, shown as such */
		if (dir == DT_C2S && f->ch_frame != 0 && !f->hrr)
			flags |= DT_TLS_HS_REPEAT;
		if (dir != DT_C2S)
			why = "ClientHello sent by the server";
		else
			why = client_hello(t, c, body, frame, time);
		if (why == NULL)
			f->n_client_hellos++;
		break;
	case 2:
		if (dir != DT_S2C)
			why = "ServerHello sent by the client";
		else
			why = server_hello(t, c, body, frame, &hrr);
		if (hrr)
			flags |= DT_TLS_HS_HRR;
		if (why == NULL)
			f->n_server_hellos++;
		if (why == NULL && !hrr && t->hs_time == 0)
			t->hs_time = time;
		break;
	case 11:
		why = certificate(t, c, dir, body, frame);
		if (dir == DT_S2C)
			t->hs_time = time;
		break;
	case 13:
		if (dir == DT_S2C)
			why = certificate_request(t, c, body, frame);
		break;
	case 14:
		if (dir == DT_S2C && f->server_hello_done_frame == 0)
			f->server_hello_done_frame = frame;
		break;
	case 20:
		if (f->finished_frame[dir] == 0)
			f->finished_frame[dir] = frame;
		break;
	default:
		break;
	}
	if (why != NULL) {
		dt_tls_malformed(t, c, dir, frame, time, "%s", why);
		return;
	}
	/* an abbreviated handshake goes from ServerHello straight to CCS */
	if (dir == DT_S2C && type != 2 && type != 4)
		d->maybe_resumed = 0;
	dt_tls_event(t, c, DT_EV_TLS_HANDSHAKE, dir, frame, time, type, flags);
}

/* The message at p[0..n) whose header is there, when it exceeds the cap:
   the malformed fact, and the handshake stream is lost until a record
   starts a message again. 1 then. */
static int
hs_too_long(struct dt_tls *t, struct dt_conn *c, int dir, uint32_t len,
    const struct fmark *fm)
{
	struct tdir *d = &t->d[dir];

	if ((size_t)len + 4 <= t->hs_cap)
		return 0;
	dt_tls_malformed(t, c, dir, fm->frame, fm->time,
	    "handshake message of %u bytes exceeds the cap of %zu bytes",
	    len, t->hs_cap);
	/* its end is not kept: the next handshake record that starts a
	   message goes on */
	d->hlen = 0;
	d->hmap.n = 0;
	d->hs_lost = 1;
	return 1;
}

/*
 * One handshake message from p[0..n), for both paths below (in place and
 * gathered): its bytes (4 + its length) when it is whole and was read, 0
 * when it goes on past n, SIZE_MAX when it is longer than the direction
 * may gather (hs_too_long() stopped it). at: the frame of its first byte;
 * done: the frame it is shown in.
 */
static size_t
take_message(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *p,
    size_t n, const struct fmark *at, const struct fmark *done)
{
	struct rd r = rd_make(p, n);
	uint8_t type = rd_u8(&r);
	uint32_t len = rd_u24(&r);

	if (!rd_ok(&r))
		return 0;
	if (hs_too_long(t, c, dir, len, at))
		return SIZE_MAX;
	if (r.n < len)
		return 0;
	message(t, c, dir, type, rd_sub(&r, len), done->frame, done->time);
	return 4 + (size_t)len;
}

void
dt_tls_handshake_bytes(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t *p, size_t n, const struct fmap *bm, size_t off)
{
	struct tdir *d = &t->d[dir];
	/* A message is shown, as in Wireshark, in the frame that completes
	   the record holding its last byte: this record's last frame. */
	const struct fmark done = *fmap_at(bm, n > 0 ? off + n - 1 : off);
	uint64_t start;
	size_t i;

	/* Nothing gathered: every message this record holds whole is read
	   where it lies (most hellos and flights: no copy, no buffer) */
	while (d->hlen == 0 && n >= 4 && d->state == D_RECORDS) {
		size_t k = take_message(t, c, dir, p, n, fmap_at(bm, off),
		    &done);

		if (k == SIZE_MAX)
			return;
		if (k == 0)
			break;
		p += k;
		n -= k;
		off += k;
		d->hpos += k;
	}
	if (n == 0 || d->state != D_RECORDS)
		return;
	if (d->hlen == 0)
		d->hmap.n = 0;	/* marks of bytes already read */
	start = d->hpos + d->hlen;	/* stream position of p[0] */
	/* frame marks of the bytes gathered */
	{
		const struct fmark *fm = fmap_at(bm, off);
		dt_tls_fmap_add(t->m, &d->hmap, start, fm->frame, fm->time);
		for (i = 0; i < bm->n; i++) {
			const struct fmark *b = &bm->v[i];
			if (b->pos > off && b->pos < off + n)
				dt_tls_fmap_add(t->m, &d->hmap, start + (b->pos - off),
				    b->frame, b->time);
		}
	}
	while (n > 0 && d->state == D_RECORDS) {
		size_t room = t->hs_cap - d->hlen, k = n < room ? n : room;
		size_t used = 0;

		if (k == 0)
			break;	/* cannot happen: a message fits in hs_cap */
		if (dt_tls_grow(t->m, &d->hs, &d->hcap, d->hlen + k) < 0) {
			stop(d);
			return;
		}
		memcpy(d->hs + d->hlen, p, k);
		d->hlen += k;
		p += k;
		n -= k;
		while (d->state == D_RECORDS) {
			size_t m = take_message(t, c, dir, d->hs + used,
			    d->hlen - used, fmap_at(&d->hmap, d->hpos + used),
			    &done);

			if (m == SIZE_MAX)
				return;
			if (m == 0)
				break;
			used += m;
		}
		if (used > 0) {
			memmove(d->hs, d->hs + used, d->hlen - used);
			d->hlen -= used;
			d->hpos += used;
			dt_tls_fmap_drop(&d->hmap, d->hpos);
		}
	}
}

void
dt_tls_sslv2_client_hello(struct dt_tls *t, struct dt_conn *c, uint64_t frame,
    int64_t time)
{
	struct tdir *d = &t->d[DT_C2S];
	struct dt_tls_facts *f = c->tls;
	struct dt_tls_hello *h;
	struct dt_tls_rare *rf;
	struct rd r = rd_make(d->buf + 2, d->len - 2), specs;
	uint16_t version, slen, sidlen, clen;

	(void)rd_u8(&r);	/* msg_type 1, checked by detection */
	version = rd_u16(&r);
	slen = rd_u16(&r);
	sidlen = rd_u16(&r);
	clen = rd_u16(&r);
	specs = rd_sub(&r, slen);
	rd_skip(&r, sidlen);
	rd_skip(&r, clen);
	if (!rd_ok(&r) || r.n != 0 || slen == 0 || slen % 3 ||
	    (sidlen != 0 && sidlen != 16) || clen < 16 || clen > 32) {
		dt_tls_malformed(t, c, DT_C2S, frame, time,
		    "SSLv2 ClientHello lengths do not add up");
		stop(d);
		return;
	}
	if ((h = dt_tls_hello_make(t->m, f)) == NULL) {
		stop(d);
		return;
	}
	f->seen = 1;
	f->sslv2_hello = 1;
	h->record_version = 0x0002;
	f->ch_frame = frame;
	f->ch_time = time;
	h->ch_legacy_version = version;
	(void)push_u16(t->m, &h->client_versions, &h->n_client_versions,
	    version);
	h->offered_suites = alloc_u16(t, slen / 3);
	/* every spec is kept as sent (an SSL 2.0 kind like 0x010080 as
	   well); the TLS suites among them are also the offered suites */
	if ((rf = dt_tls_rare_make(t->m, f)) != NULL)
		rf->sslv2_specs = dt_calloc(t->m, slen / 3,
		    sizeof *rf->sslv2_specs);
	while (specs.n > 0) {
		uint8_t hi = rd_u8(&specs);
		uint16_t lo = rd_u16(&specs);

		if (rf != NULL && rf->sslv2_specs != NULL)
			rf->sslv2_specs[rf->n_sslv2_specs++] =
			    (uint32_t)hi << 16 | lo;
		if (hi == 0)	/* 0x00XXXX: a TLS suite */
			add_suite(t, c, lo);
	}
	finish_offer(c);
	dt_tls_event(t, c, DT_EV_SSLV2_HELLO, DT_C2S, frame, time, 1, 0);
}

/* RFC 6101 E.2 / SSL 2.0: the server answered in SSL 2.0 (SERVER-HELLO);
   nothing after it is readable. */
void
dt_tls_sslv2_server_hello(struct dt_tls *t, struct dt_conn *c, uint64_t frame,
    int64_t time)
{
	struct tdir *d = &t->d[DT_S2C];
	struct rd r = rd_make(d->buf + 2, d->len - 2);
	uint16_t version;

	rd_skip(&r, 3);		/* msg_type, session_id_hit, cert type */
	version = rd_u16(&r);
	if (!rd_ok(&r)) {
		dt_tls_malformed(t, c, DT_S2C, frame, time,
		    "SSLv2 ServerHello truncated");
		stop(d);
		return;
	}
	c->tls->seen = 1;
	if (c->tls->sh_frame == 0) {
		c->tls->sh_frame = frame;
		c->tls->version = version;
	}
	dt_tls_event(t, c, DT_EV_SSLV2_HELLO, DT_S2C, frame, time,
	    DT_SSLV2_SERVER_HELLO, 0);
	d->state = D_DONE;
	/* the client goes on in SSL 2.0, not in TLS records: its
	   CLIENT-MASTER-KEY is read (dt_tls_ssl2_hello), then nothing */
	if (t->d[DT_C2S].state == D_RECORDS) {
		unit_reset(&t->d[DT_C2S]);
		t->d[DT_C2S].state = D_SSL2;
		t->ssl2_server = 1;
	}
}

/* SSL 2.0 after the SERVER-HELLO: the client's next message, in the
   clear, is CLIENT-MASTER-KEY (msg_type 2); what follows is encrypted. */
void
dt_tls_sslv2_client_master_key(struct dt_tls *t, struct dt_conn *c,
    uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[DT_C2S];

	/* a two-byte record header (high bit set), then msg_type; with the
	   three-byte one buf[2] would be the padding length */
	if (d->len > 2 && (d->buf[0] & 0x80) != 0 &&
	    d->buf[2] == DT_SSLV2_CLIENT_MASTER_KEY)
		dt_tls_event(t, c, DT_EV_SSLV2_HELLO, DT_C2S, frame, time,
		    DT_SSLV2_CLIENT_MASTER_KEY, 0);
	d->state = D_DONE;
}

/* The first printable line of a non-TLS reply. */