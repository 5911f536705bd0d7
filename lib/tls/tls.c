/*
 * tls/: the TLS handshake of one connection, read from the two in-order
 * byte streams (RFC 5246 6.2 record layer and 7.4 handshake, RFC 8446 4 for
 * TLS 1.3, RFC 6101 E.2 / RFC 5246 E.2 for the SSLv2-compatible
 * ClientHello, RFC 5246 6.2.3.1 for NULL-cipher records: plaintext + MAC).
 *
 * Each direction is a small state machine over whole units: detection of
 * the first bytes, an HTTP head (proxy CONNECT), a non-TLS line, or records.
 * A record is gathered in a buffer (at most 5 + 2^14 + 2048 bytes) only when
 * its body is needed; otherwise it is hopped by its header and counted
 * (no copy). After the handshake a direction is still followed this way
 * for the life of the connection, so later alerts (close_notify, a fatal
 * one in the tunnel) are seen; the handshake buffers are given back.
 * Handshake bodies go to a per-direction reassembly buffer of at most hs_cap
 * bytes, from which whole messages are decoded with the bounds-checked
 * reader (util/rd.h). Every step has three outcomes: done, need more bytes,
 * malformed; a malformed stream becomes a named fact and its direction is no
 * longer parsed. Frame numbers come from small maps (stream position ->
 * frame) kept for the bytes buffered; like Wireshark, a record and its
 * messages get the frame that completes the record (a hopped record: the
 * frame of its last byte, or of its header if that byte never comes).
 */
#include "tls/tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tls/names.h"
#include "util/rd.h"

#define REC_HDR		5
#define REC_MAX		(16384 + 2048)	/* RFC 5246 6.2.3 TLSCiphertext */
#define SSL2_MAX	32767
#define HEAD_MAX	8192		/* proxy CONNECT request/response head */
#define LINE_MAX	200		/* non-TLS first line kept */
#define HTTP_MAX	16384		/* NULL-cipher HTTP head buffered */
#define FMAP_MAX	32		/* frame marks per buffer */
#define HS_CAP_DEFAULT	(256 * 1024)

enum dstate {
	D_START = 0,	/* nothing seen: detect TLS / SSLv2 / CONNECT / other */
	D_HEAD,		/* proxy HTTP head (CONNECT or its answer) */
	D_NONTLS,	/* gathering the first line of a non-TLS reply */
	D_SSL2,		/* an SSLv2-compatible ClientHello */
	D_RECORDS,	/* TLS records (after the handshake: hopped, alerts read) */
	D_DONE,		/* nothing more needed (an SSL 2.0 server) */
	D_STOP,		/* malformed, gap, or not TLS */
};

struct fmark {
	uint64_t pos;
	uint64_t frame;
	int64_t time;
};

struct fmap {
	struct fmark v[FMAP_MAX];
	size_t n;
};

struct tdir {
	enum dstate state;
	/* the unit being gathered (record, head, line) */
	uint8_t *buf;
	size_t len, cap;
	struct fmap bmap;		/* positions relative to buf[0] */
	uint64_t skip;			/* body bytes of a hopped record left */
	uint8_t rtype;			/* current record's content type */
	uint16_t rlen;			/* ... and its length */
	int hop;			/* a hopped record waits for its last byte */
	uint64_t hop_frame;		/* ... whose header came in this frame */
	int64_t hop_time;
	int slim;			/* handshake over: buffers given back */
	int hs_lost;			/* a gap ate handshake bytes */
	uint16_t rversion;
	/* handshake reassembly */
	uint8_t *hs;
	size_t hlen, hcap;
	uint64_t hpos;			/* handshake-stream position of hs[0] */
	struct fmap hmap;		/* handshake-stream positions */
	/* protection state */
	int ccs;			/* ChangeCipherSpec sent */
	int mac;			/* NULL suite after CCS: MAC bytes; -1 */
	int maybe_resumed;		/* server echoed the session id */
	/* HTTP inside a NULL-cipher session */
	uint8_t *http;
	size_t http_len;
	int http_done;
	uint64_t http_frame;
	int64_t http_time;
	/* TLS 1.3 encrypted flight */
	size_t flight_ev;		/* index in c->events + 1; 0: none */
	int sslv2;			/* the SSLv2 hello was this direction's */
};

struct dt_tls {
	struct dt_mem *m;
	size_t hs_cap;
	const struct dt_x509_ctx *x509;
	struct tdir d[2];
	int connect;			/* c2s began with a proxy CONNECT */
	int client_not_tls;		/* c2s began with something else */
	uint8_t ch_sid[32];
	size_t ch_sid_len;
	int sh_seen;			/* a real ServerHello (not HRR) */
	int tls13;			/* TLS 1.3 chosen (HRR or ServerHello) */
	int sh13;			/* ... and its ServerHello was seen */
	int client_flight13;		/* client's encrypted flight seen */
	int64_t hs_time;		/* ServerHello / Certificate capture time */
};

static const uint8_t hrr_random[32] = {	/* RFC 8446 4.1.3 */
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02,
	0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
	0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

/* ---- small helpers ------------------------------------------------------ */

static void
fmap_add(struct fmap *f, uint64_t pos, uint64_t frame, int64_t time)
{
	if (f->n > 0 && f->v[f->n - 1].frame == frame)
		return;
	if (f->n > 0 && f->v[f->n - 1].pos == pos) {
		f->v[f->n - 1].frame = frame;
		f->v[f->n - 1].time = time;
		return;
	}
	if (f->n == FMAP_MAX)
		return;		/* later bytes keep the last frame known */
	f->v[f->n].pos = pos;
	f->v[f->n].frame = frame;
	f->v[f->n].time = time;
	f->n++;
}

static const struct fmark *
fmap_at(const struct fmap *f, uint64_t pos)
{
	static const struct fmark none = { 0, 0, 0 };
	size_t i;

	for (i = f->n; i > 0; i--)
		if (f->v[i - 1].pos <= pos)
			return &f->v[i - 1];
	return f->n > 0 ? &f->v[0] : &none;
}

/* Forget marks before pos, keeping the one that covers pos. */
static void
fmap_drop(struct fmap *f, uint64_t pos)
{
	size_t i = 0;

	while (i + 1 < f->n && f->v[i + 1].pos <= pos)
		i++;
	if (i > 0) {
		memmove(f->v, f->v + i, (f->n - i) * sizeof f->v[0]);
		f->n -= i;
	}
}

static int
grow(struct dt_mem *m, uint8_t **buf, size_t *cap, size_t need)
{
	size_t ncap;
	uint8_t *nb;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 512;
	while (ncap < need)
		ncap *= 2;
	nb = dt_realloc(m, *buf, ncap);
	if (nb == NULL)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

static void
event(struct dt_tls *t, struct dt_conn *c, uint8_t type, int dir,
    uint64_t frame, int64_t time, uint16_t a, uint32_t b)
{
	(void)dt_conn_add_event(t->m, c, type, (uint8_t)dir, frame, time, a, b);
}

static void
stop(struct tdir *d)
{
	d->state = D_STOP;
	d->skip = 0;
}

static void
malformed(struct dt_tls *t, struct dt_conn *c, int dir, uint64_t frame,
    int64_t time, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	stop(&t->d[dir]);
	if (c->tls.malformed != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->tls.malformed = dt_strdup(t->m, msg);
	c->tls.malformed_frame = frame;
	c->tls.malformed_dir = (uint8_t)dir;
	event(t, c, DT_EV_TLS_MALFORMED, dir, frame, time, 0, 0);
}

static const char *
dir_name(int dir)
{
	return dir == DT_C2S ? "client" : "server";
}

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

/* Suites that are no cipher at all: renegotiation / fallback signals. */
static int
is_signal_suite(uint16_t v)
{
	return v == 0x00FF || v == 0x5600 || is_grease(v);
}

/* Is the handshake over (both sides' Finished or CCS, or the TLS 1.3
   flights) so that what is left of a stream is only application data? */
static int
handshake_over(const struct dt_tls *t, const struct dt_conn *c)
{
	if (t->sh13)
		return t->client_flight13;
	return c->tls.finished_frame[0] != 0 && c->tls.finished_frame[1] != 0;
}

static int
dir_done(const struct dt_tls *t, const struct dt_conn *c, int dir)
{
	const struct tdir *d = &t->d[dir];

	if (!handshake_over(t, c) || c->tls.appdata_frame[dir] == 0)
		return 0;
	if (d->mac >= 0 && !t->tls13 && !d->http_done)
		return 0;
	return 1;
}

/* Bytes after this direction's CCS are protected (TLS <= 1.2, not NULL). */
static int
dir_encrypted(const struct dt_tls *t, const struct tdir *d)
{
	return d->ccs && !t->tls13 && d->mac < 0;
}

/* Gather the current unit up to `want` bytes; 1 when it is complete. */
static int
take(struct dt_tls *t, struct tdir *d, const uint8_t **p, size_t *n,
    size_t want, uint64_t frame, int64_t time)
{
	size_t k;

	if (d->len >= want)
		return 1;
	k = want - d->len;
	if (k > *n)
		k = *n;
	if (k == 0)
		return 0;
	if (grow(t->m, &d->buf, &d->cap, d->len + k) < 0) {
		stop(d);
		return 0;
	}
	fmap_add(&d->bmap, d->len, frame, time);
	memcpy(d->buf + d->len, *p, k);
	d->len += k;
	*p += k;
	*n -= k;
	return d->len >= want;
}

static void
unit_reset(struct tdir *d)
{
	d->len = 0;
	d->bmap.n = 0;
}

/* ---- handshake messages ------------------------------------------------- */

static int
push_u16(struct dt_mem *m, uint16_t **v, size_t *n, uint16_t x)
{
	uint16_t *nv = dt_realloc(m, *v, (*n + 1) * sizeof **v);

	if (nv == NULL)
		return -1;
	*v = nv;
	nv[(*n)++] = x;
	return 0;
}

/* One allocation for a list whose length the wire gave (no quadratic
   growth for 32767 suites). */
static uint16_t *
alloc_u16(struct dt_tls *t, size_t n)
{
	return dt_calloc(t->m, n > 0 ? n : 1, sizeof(uint16_t));
}

/* offered_suites was sized by alloc_u16 for every suite of the hello. */
static void
add_suite(struct dt_tls *t, struct dt_conn *c, uint16_t s)
{
	struct dt_tls_facts *f = &c->tls;

	(void)t;
	if (f->offered_suites != NULL)
		f->offered_suites[f->n_offered_suites++] = s;
	if (s == 0x00FF)
		f->ch_reneg_info = 1;
}

static void
finish_offer(struct dt_conn *c)
{
	struct dt_tls_facts *f = &c->tls;
	size_t i, real = 0, null = 0;

	for (i = 0; i < f->n_offered_suites; i++) {
		uint16_t s = f->offered_suites[i];

		if (is_signal_suite(s))
			continue;
		real++;
		if (dt_tls_suite_is_null(s))
			null++;
	}
	f->offered_null = null > 0;
	f->offered_only_null = null > 0 && null == real;
}

/* RFC 8446 4.2: the ClientHello extensions we decode. NULL or a reason. */
static const char *
client_ext(struct dt_tls *t, struct dt_conn *c, uint16_t type, struct rd e)
{
	struct dt_tls_facts *f = &c->tls;
	struct rd v, w;

	switch (type) {
	case 0:		/* RFC 6066 3 server_name */
		if (e.n == 0)
			return NULL;	/* a server's empty answer shape */
		v = rd_vec16(&e);
		if (!last(&e) || v.n == 0)
			return "server_name list";
		while (v.n > 0 && rd_ok(&v)) {
			uint8_t nt = rd_u8(&v);

			w = rd_vec16(&v);
			if (!rd_ok(&v) || w.n == 0)
				return "server_name entry";
			if (nt == 0 && f->sni == NULL)
				f->sni = dt_strndup(t->m, (const char *)w.p,
				    w.n);
		}
		return rd_ok(&v) ? NULL : "server_name entry";
	case 10:	/* RFC 8422 5.1.1 supported_groups */
		v = rd_vec16(&e);
		if (!last(&e) || v.n < 2 || v.n % 2)
			return "supported_groups list";
		while (v.n > 0) {
			uint16_t g = rd_u16(&v);
			if (f->n_ch_groups < sizeof f->ch_groups / 2)
				f->ch_groups[f->n_ch_groups++] = g;
		}
		return NULL;
	case 13:	/* RFC 5246 7.4.1.4.1 signature_algorithms */
		v = rd_vec16(&e);
		if (!last(&e) || v.n < 2 || v.n % 2)
			return "signature_algorithms list";
		while (v.n > 0) {
			uint16_t a = rd_u16(&v);
			if (f->n_ch_sig_algs < sizeof f->ch_sig_algs / 2)
				f->ch_sig_algs[f->n_ch_sig_algs++] = a;
		}
		return NULL;
	case 16: {	/* RFC 7301 3.1 ALPN */
		char buf[512];
		size_t bl = 0;

		v = rd_vec16(&e);
		if (!last(&e) || v.n < 2)
			return "ALPN protocol list";
		while (v.n > 0 && rd_ok(&v)) {
			w = rd_vec8(&v);
			if (!rd_ok(&v) || w.n == 0)
				return "ALPN protocol name";
			if (bl + w.n + 2 < sizeof buf) {
				if (bl > 0)
					buf[bl++] = ',';
				memcpy(buf + bl, w.p, w.n);
				bl += w.n;
			}
		}
		if (f->alpn == NULL)
			f->alpn = dt_strndup(t->m, buf, bl);
		return NULL;
	}
	case 43:	/* RFC 8446 4.2.1 supported_versions */
		v = rd_vec8(&e);
		if (!last(&e) || v.n < 2 || v.n % 2)
			return "supported_versions list";
		dt_free(t->m, f->client_versions);
		f->n_client_versions = 0;
		f->client_versions = alloc_u16(t, v.n / 2);
		while (v.n > 0 && f->client_versions != NULL)
			f->client_versions[f->n_client_versions++] =
			    rd_u16(&v);
		return NULL;
	case 65281:	/* RFC 5746 3.2 renegotiation_info */
		v = rd_vec8(&e);
		if (!last(&e))
			return "renegotiation_info";
		f->ch_reneg_info = 1;
		return NULL;
	case 23:	/* RFC 7627 5.1 extended_master_secret: empty */
		if (e.n != 0)
			return "extended_master_secret not empty";
		f->ch_ems = 1;
		return NULL;
	case 5:		/* RFC 6066 8 status_request */
		f->ch_status_request = 1;
		return NULL;
	default:
		return NULL;
	}
}

/* RFC 5246 7.4.1.2 / RFC 8446 4.1.2 ClientHello. */
static const char *
client_hello(struct dt_tls *t, struct dt_conn *c, struct rd r,
    uint64_t frame, int64_t time)
{
	struct dt_tls_facts *f = &c->tls;
	struct rd sid, suites, comp, exts;
	uint16_t legacy;

	if (f->ch_frame != 0)
		return NULL;	/* the second one (after HRR, renegotiation) */
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
	comp = rd_vec8(&r);
	if (!rd_ok(&r))
		return "ClientHello: compression_methods vector overruns the message";
	if (comp.n == 0)
		return "ClientHello: empty compression_methods";
	f->ch_frame = frame;
	f->ch_time = time;
	f->ch_legacy_version = legacy;
	memcpy(t->ch_sid, sid.p, sid.n);
	t->ch_sid_len = sid.n;
	f->offered_suites = alloc_u16(t, suites.n / 2);
	while (suites.n > 0)
		add_suite(t, c, rd_u16(&suites));
	finish_offer(c);
	if (r.n > 0) {
		struct rd scan;
		size_t k = 0;

		exts = rd_vec16(&r);
		if (!last(&r))
			return "ClientHello: extensions vector overruns the message";
		for (scan = exts; scan.n > 0 && rd_ok(&scan); k++) {
			rd_skip(&scan, 2);
			(void)rd_vec16(&scan);
		}
		f->extensions = alloc_u16(t, k);
		while (exts.n > 0) {
			uint16_t type = rd_u16(&exts);
			struct rd e = rd_vec16(&exts);
			const char *why;

			if (!rd_ok(&exts))
				return "ClientHello: extension overruns the extensions vector";
			if (f->extensions != NULL && f->n_extensions < k)
				f->extensions[f->n_extensions++] = type;
			if ((why = client_ext(t, c, type, e)) != NULL)
				return why;
		}
	}
	if (f->n_client_versions == 0)
		(void)push_u16(t->m, &f->client_versions, &f->n_client_versions,
		    legacy);
	return NULL;
}

/* RFC 5246 7.4.1.3 / RFC 8446 4.1.3 ServerHello (and HelloRetryRequest). */
static const char *
server_hello(struct dt_tls *t, struct dt_conn *c, struct rd r,
    uint64_t frame, int *hrr_out)
{
	struct dt_tls_facts *f = &c->tls;
	struct rd sid, exts;
	const uint8_t *random;
	uint16_t legacy, suite, selected = 0;
	int psk = 0, hrr;

	legacy = rd_u16(&r);
	random = rd_bytes(&r, 32);
	if (legacy >> 8 == 0x7F) {
		/* TLS 1.3 drafts before -22 (draft-ietf-tls-tls13-21 4.1.3):
		   no session id, no compression method */
		sid = rd_make(NULL, 0);
	} else {
		sid = rd_vec8(&r);
	}
	suite = rd_u16(&r);
	if (legacy >> 8 != 0x7F)
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

/* RFC 5246 7.4.2 / RFC 8446 4.4.2 Certificate. */
static const char *
certificate(struct dt_tls *t, struct dt_conn *c, int dir, struct rd r,
    uint64_t frame)
{
	struct dt_tls_facts *f = &c->tls;
	struct rd list, scan;
	struct dt_cert *certs;
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
		if (f->client_cert != DT_CCERT_NONE)
			return NULL;
		f->client_cert = n == 0 ? DT_CCERT_EMPTY : DT_CCERT_PRESENT;
		f->client_cert_frame = frame;
	} else {
		if (f->server_cert_frame != 0)
			return NULL;
		f->server_cert_frame = frame;
	}
	if (n == 0)
		return NULL;
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
	if (dir == DT_C2S) {
		f->client_certs = certs;
		f->n_client_certs = n;
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
	struct dt_tls_facts *f = &c->tls;
	struct rd types, algs, cas, scan;
	size_t n = 0, i;

	if (f->cert_request_frame != 0)
		return NULL;
	if (t->tls13) {		/* RFC 8446 4.3.2: context + extensions */
		f->cert_request_frame = frame;
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
	f->cert_request_frame = frame;
	while (types.n > 0) {
		uint8_t ty = rd_u8(&types);
		if (f->n_cr_cert_types < sizeof f->cr_cert_types)
			f->cr_cert_types[f->n_cr_cert_types++] = ty;
	}
	while (algs.n > 0) {
		uint16_t a = rd_u16(&algs);
		if (f->n_cr_sig_algs < sizeof f->cr_sig_algs / 2)
			f->cr_sig_algs[f->n_cr_sig_algs++] = a;
	}
	if (n == 0)
		return NULL;
	f->ca_names = dt_calloc(t->m, n, sizeof *f->ca_names);
	if (f->ca_names == NULL)
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
		f->ca_names[f->n_ca_names++] = s;
	}
	return NULL;
}

static void
message(struct dt_tls *t, struct dt_conn *c, int dir, uint8_t type,
    struct rd body, uint64_t frame, int64_t time)
{
	struct dt_tls_facts *f = &c->tls;
	struct tdir *d = &t->d[dir];
	const char *why = NULL;
	int hrr = 0;
	uint32_t flags = 0;

	switch (type) {
	case 1:
		if (dir != DT_C2S)
			why = "ClientHello sent by the server";
		else
			why = client_hello(t, c, body, frame, time);
		break;
	case 2:
		if (dir != DT_S2C)
			why = "ServerHello sent by the client";
		else
			why = server_hello(t, c, body, frame, &hrr);
		if (hrr)
			flags |= DT_TLS_HS_HRR;
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
		malformed(t, c, dir, frame, time, "%s", why);
		return;
	}
	/* an abbreviated handshake goes from ServerHello straight to CCS */
	if (dir == DT_S2C && type != 2 && type != 4)
		d->maybe_resumed = 0;
	event(t, c, DT_EV_TLS_HANDSHAKE, dir, frame, time, type, flags);
}

/* Append handshake bytes (the record's body part [off, off+n) of buf) and
   decode every complete message. */
static void
handshake_bytes(struct dt_tls *t, struct dt_conn *c, int dir, size_t off,
    size_t n)
{
	struct tdir *d = &t->d[dir];
	uint64_t start = d->hpos + d->hlen;	/* stream position of off */
	/* A message is shown, as in Wireshark, in the frame that completes
	   the record holding its last byte: this record's last frame. */
	const struct fmark done = *fmap_at(&d->bmap, n > 0 ? off + n - 1 : off);
	size_t i;

	/* frame marks of these bytes */
	{
		const struct fmark *fm = fmap_at(&d->bmap, off);
		fmap_add(&d->hmap, start, fm->frame, fm->time);
		for (i = 0; i < d->bmap.n; i++) {
			const struct fmark *b = &d->bmap.v[i];
			if (b->pos > off && b->pos < off + n)
				fmap_add(&d->hmap, start + (b->pos - off),
				    b->frame, b->time);
		}
	}
	while (n > 0 && d->state == D_RECORDS) {
		size_t room = t->hs_cap - d->hlen, k = n < room ? n : room;
		size_t used = 0;

		if (k == 0)
			break;	/* cannot happen: a message fits in hs_cap */
		if (grow(t->m, &d->hs, &d->hcap, d->hlen + k) < 0) {
			stop(d);
			return;
		}
		memcpy(d->hs + d->hlen, d->buf + off, k);
		d->hlen += k;
		off += k;
		n -= k;
		while (d->state == D_RECORDS) {
			struct rd r = rd_make(d->hs + used, d->hlen - used);
			const struct fmark *fm = fmap_at(&d->hmap, d->hpos + used);
			uint8_t type = rd_u8(&r);
			uint32_t len = rd_u24(&r);

			if (!rd_ok(&r))
				break;
			if ((size_t)len + 4 > t->hs_cap) {
				malformed(t, c, dir, fm->frame, fm->time,
				    "handshake message of %u bytes exceeds the cap of %zu bytes",
				    len, t->hs_cap);
				break;
			}
			if (r.n < len)
				break;
			message(t, c, dir, type, rd_sub(&r, len), done.frame,
			    done.time);
			used += 4 + (size_t)len;
		}
		if (used > 0) {
			memmove(d->hs, d->hs + used, d->hlen - used);
			d->hlen -= used;
			d->hpos += used;
			fmap_drop(&d->hmap, d->hpos);
		}
	}
}

/* ---- records ------------------------------------------------------------ */

static void
alert(struct dt_tls *t, struct dt_conn *c, int dir, uint8_t level,
    uint8_t desc, int encrypted, uint64_t frame, int64_t time)
{
	struct dt_tls_facts *f = &c->tls;

	if (f->alert_frame == 0) {
		f->alert_frame = frame;
		f->alert_dir = (uint8_t)dir;
		f->alert_level = level;
		f->alert_desc = desc;
		f->alert_encrypted = encrypted;
	}
	f->n_alerts++;
	event(t, c, DT_EV_TLS_ALERT, dir, frame, time,
	    (uint16_t)(level << 8 | desc), (uint32_t)encrypted);
}

static void
appdata(struct dt_tls *t, struct dt_conn *c, int dir, size_t len,
    uint64_t frame, int64_t time)
{
	struct dt_tls_facts *f = &c->tls;

	if (f->appdata_frame[dir] == 0) {
		f->appdata_frame[dir] = frame;
		event(t, c, DT_EV_TLS_APPDATA, dir, frame, time, 0, 0);
	}
	f->appdata_bytes[dir] += len;
	f->appdata_records[dir]++;
}

/* A TLS 1.3 encrypted record that belongs to a handshake flight. */
static void
flight(struct dt_tls *t, struct dt_conn *c, int dir, size_t len,
    uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	if (c->tls.finished_frame[dir] == 0)
		c->tls.finished_frame[dir] = frame;
	if (d->flight_ev == 0) {
		if (dt_conn_add_event(t->m, c, DT_EV_TLS_ENCRYPTED,
		    (uint8_t)dir, frame, time, 0, (uint32_t)len) == 0 &&
		    c->n_events > 0 &&
		    c->events[c->n_events - 1].type == DT_EV_TLS_ENCRYPTED)
			d->flight_ev = c->n_events;
		return;
	}
	if (d->flight_ev <= c->n_events) {
		struct dt_event *ev = &c->events[d->flight_ev - 1];
		uint64_t b = (uint64_t)ev->b + len;
		ev->b = b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
	}
}

/* The HTTP head inside NULL-cipher application data. */
static void
http_bytes(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	struct dt_http_msg msg, *slot;
	size_t k, used;
	int isreq, rc;

	if (d->http_done)
		return;
	if (d->http == NULL) {
		d->http = dt_malloc(t->m, HTTP_MAX);
		if (d->http == NULL) {
			d->http_done = 1;
			return;
		}
		d->http_frame = frame;
		d->http_time = time;
	}
	k = HTTP_MAX - d->http_len;
	if (k > n)
		k = n;
	memcpy(d->http + d->http_len, p, k);
	d->http_len += k;
	rc = dt_http_head_parse(t->m, d->http, d->http_len, &msg, &isreq,
	    &used);
	if (rc == 0 && d->http_len < HTTP_MAX)
		return;
	d->http_done = 1;
	dt_free(t->m, d->http);
	d->http = NULL;
	if (rc != 1)
		return;
	slot = isreq ? &c->tls.http_request : &c->tls.http_response;
	if (slot->frame != 0) {
		dt_http_msg_clear(t->m, &msg);
		return;
	}
	*slot = msg;
	slot->frame = d->http_frame;
	event(t, c, isreq ? DT_EV_HTTP_REQUEST : DT_EV_HTTP_RESPONSE, dir,
	    d->http_frame, d->http_time, 0, isreq ? 0 : (uint32_t)msg.status);
}

/* Does this record's body have to be gathered? */
static int
need_body(const struct dt_tls *t, const struct tdir *d, uint8_t type)
{
	switch (type) {
	case 20:
		return 1;
	case 21:
	case 22:
		return !dir_encrypted(t, d);
	case 23:
		return d->ccs && d->mac >= 0 && !t->tls13 && !d->http_done;
	default:
		return 0;
	}
}

/* A record known by its header only. */
static void
record_hopped(struct dt_tls *t, struct dt_conn *c, int dir, uint8_t type,
    size_t len, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	switch (type) {
	case 21:	/* after CCS: encrypted */
		alert(t, c, dir, 0, 0, 1, frame, time);
		break;
	case 22:	/* the first one after CCS is the Finished */
		if (c->tls.finished_frame[dir] == 0) {
			c->tls.finished_frame[dir] = frame;
			event(t, c, DT_EV_TLS_HANDSHAKE, dir, frame, time, 20,
			    DT_TLS_HS_ENCRYPTED);
		}
		break;
	case 23:
		if (t->sh13 && dir == DT_S2C && !t->client_flight13) {
			flight(t, c, dir, len, frame, time);
		} else if (t->sh13 && dir == DT_C2S && !t->client_flight13) {
			t->client_flight13 = 1;
			flight(t, c, dir, len, frame, time);
		} else {
			appdata(t, c, dir, len, frame, time);
		}
		break;
	default:
		break;
	}
	(void)d;
}

static void
record_body(struct dt_tls *t, struct dt_conn *c, int dir, uint64_t frame,
    int64_t time)
{
	struct tdir *d = &t->d[dir];
	size_t len = d->len - REC_HDR;
	size_t plen = len;		/* plaintext length */
	struct rd r;

	if (d->ccs && d->mac >= 0 && !t->tls13 && d->rtype != 20) {
		if (len < (size_t)d->mac) {
			malformed(t, c, dir, frame, time,
			    "NULL-cipher record of %zu bytes is shorter than its %d-byte MAC",
			    len, d->mac);
			return;
		}
		plen = len - (size_t)d->mac;
	}
	/* RFC 5246 6.2.1 / RFC 8446 5.1: handshake messages are not
	   interleaved with other record types */
	if (d->rtype != 22 && d->hlen > 0) {
		malformed(t, c, dir, frame, time,
		    "handshake message cut by a record of content type %u",
		    d->rtype);
		return;
	}
	switch (d->rtype) {
	case 20:	/* RFC 5246 7.1 */
		if (c->tls.ccs_frame[dir] == 0)
			c->tls.ccs_frame[dir] = frame;
		event(t, c, DT_EV_TLS_CCS, dir, frame, time, 0, 0);
		if (dir == DT_S2C && d->maybe_resumed)
			c->tls.resumed = 1;
		d->maybe_resumed = 0;
		if (!d->ccs) {
			d->ccs = 1;
			d->mac = t->sh_seen ?
			    dt_tls_null_mac_len(c->tls.suite) : -1;
		}
		break;
	case 21:	/* RFC 5246 7.2: level, description */
		if (plen > 2 && c->tls.ch_frame == 0 && c->tls.sh_frame == 0 &&
		    d->mac < 0) {
			/* the capture began after the hellos: longer than an
			   alert, this one is protected */
			alert(t, c, dir, 0, 0, 1, frame, time);
			break;
		}
		if (plen == 0 || plen % 2 ||
		    (d->ccs && d->mac >= 0 && plen != 2)) {
			malformed(t, c, dir, frame, time,
			    "alert record of %zu bytes", plen);
			return;
		}
		r = rd_make(d->buf + REC_HDR, plen);
		while (r.n > 0) {
			uint8_t level = rd_u8(&r);
			alert(t, c, dir, level, rd_u8(&r), 0, frame, time);
		}
		break;
	case 22:
		if (plen == 0) {
			malformed(t, c, dir, frame, time,
			    "zero-length handshake record");
			return;
		}
		if (dir == DT_C2S && c->tls.record_version == 0)
			c->tls.record_version = d->rversion;
		if (d->hs_lost)
			break;	/* where its messages begin is unknown */
		handshake_bytes(t, c, dir, REC_HDR, plen);
		break;
	case 23:
		appdata(t, c, dir, len, frame, time);
		http_bytes(t, c, dir, d->buf + REC_HDR, plen, frame, time);
		break;
	default:
		break;
	}
}

/* RFC 5246 E.2 / RFC 6101 E.2: SSLv2-compatible CLIENT-HELLO. */
static void
sslv2_hello(struct dt_tls *t, struct dt_conn *c, uint64_t frame,
    int64_t time)
{
	struct tdir *d = &t->d[DT_C2S];
	struct dt_tls_facts *f = &c->tls;
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
		malformed(t, c, DT_C2S, frame, time,
		    "SSLv2 ClientHello lengths do not add up");
		return;
	}
	f->seen = 1;
	f->sslv2_hello = 1;
	f->record_version = 0x0002;
	f->ch_frame = frame;
	f->ch_time = time;
	f->ch_legacy_version = version;
	(void)push_u16(t->m, &f->client_versions, &f->n_client_versions,
	    version);
	f->offered_suites = alloc_u16(t, slen / 3);
	while (specs.n > 0) {
		uint8_t hi = rd_u8(&specs);
		uint16_t lo = rd_u16(&specs);

		if (hi == 0)	/* 0x00XXXX: a TLS suite */
			add_suite(t, c, lo);
	}
	finish_offer(c);
	event(t, c, DT_EV_SSLV2_HELLO, DT_C2S, frame, time, 1, 0);
}

/* RFC 6101 E.2 / SSL 2.0: the server answered in SSL 2.0 (SERVER-HELLO);
   nothing after it is readable. */
static void
sslv2_server_hello(struct dt_tls *t, struct dt_conn *c, uint64_t frame,
    int64_t time)
{
	struct tdir *d = &t->d[DT_S2C];
	struct rd r = rd_make(d->buf + 2, d->len - 2);
	uint16_t version;

	rd_skip(&r, 3);		/* msg_type, session_id_hit, cert type */
	version = rd_u16(&r);
	if (!rd_ok(&r)) {
		malformed(t, c, DT_S2C, frame, time,
		    "SSLv2 ServerHello truncated");
		return;
	}
	c->tls.seen = 1;
	if (c->tls.sh_frame == 0) {
		c->tls.sh_frame = frame;
		c->tls.version = version;
	}
	event(t, c, DT_EV_SSLV2_HELLO, DT_S2C, frame, time, 4, 0);
	d->state = D_DONE;
	/* the client goes on in SSL 2.0 (CLIENT-MASTER-KEY): not TLS records */
	if (t->d[DT_C2S].state == D_RECORDS) {
		unit_reset(&t->d[DT_C2S]);
		t->d[DT_C2S].state = D_DONE;
	}
}

/* The first printable line of a non-TLS reply. */
static void
nontls_finish(struct dt_tls *t, struct dt_conn *c, int dir)
{
	struct tdir *d = &t->d[dir];
	const struct fmark *fm = fmap_at(&d->bmap, 0);
	size_t n = 0;

	size_t i;
	int binary = 0;
	char hex[3 * 16 + 16];

	while (n < d->len && n < LINE_MAX && d->buf[n] != '\r' &&
	    d->buf[n] != '\n')
		n++;
	for (i = 0; i < n; i++)
		if ((d->buf[i] < 0x20 && d->buf[i] != '\t') || d->buf[i] >= 0x7F)
			binary = 1;
	if (n == 0 && d->len > 0)
		binary = 1;
	if (binary) {	/* no text line: its first bytes in hex */
		size_t k = 0;

		k += (size_t)snprintf(hex, sizeof hex, "(binary)");
		for (i = 0; i < d->len && i < 16; i++)
			k += (size_t)snprintf(hex + k, sizeof hex - k, " %02x",
			    d->buf[i]);
	}
	if (c->tls.non_tls_frame == 0) {
		c->tls.non_tls_frame = fm->frame;
		c->tls.non_tls_dir = (uint8_t)dir;
		c->tls.non_tls_line = binary ? dt_strdup(t->m, hex) :
		    dt_strndup(t->m, (const char *)d->buf, n);
		event(t, c, DT_EV_NON_TLS, dir, fm->frame, fm->time, 0, 0);
	}
	unit_reset(d);
	stop(d);
}

/* ---- the stream --------------------------------------------------------- */

/* A client begins with a handshake record, unless the capture began
   after its start (no SYN seen) or the server already speaks TLS: then
   any content type (an alert, application data). */
static int
looks_tls(const struct dt_tls *t, const struct dt_conn *c, const uint8_t *b,
    int dir)
{
	if (b[1] != 3 || b[2] > 4 || b[0] < 20 || b[0] > 24)
		return 0;
	return dir == DT_S2C || b[0] == 22 || !c->roles_from_syn ||
	    t->d[DT_S2C].state == D_RECORDS;
}

static void
detect(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t **p,
    size_t *n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	static const char connect[] = "CONNECT ";
	static const char http[] = "HTTP/";

	if (!take(t, d, p, n, 3, frame, time))
		return;
	if (looks_tls(t, c, d->buf, dir)) {
		d->state = D_RECORDS;
		return;
	}
	if ((d->buf[0] & 0x80) && d->buf[2] == (dir == DT_C2S ? 1 : 4)) {
		d->state = D_SSL2;	/* CLIENT-HELLO / SERVER-HELLO */
		return;
	}
	if (dir == DT_C2S && !t->connect && memcmp(d->buf, connect, 3) == 0) {
		if (!take(t, d, p, n, 8, frame, time))
			return;
		if (memcmp(d->buf, connect, 8) == 0) {
			t->connect = 1;
			d->state = D_HEAD;
			return;
		}
	}
	if (dir == DT_S2C && t->connect == 1 && memcmp(d->buf, http, 3) == 0) {
		d->state = D_HEAD;
		return;
	}
	if (dir == DT_C2S) {
		t->client_not_tls = 1;
		unit_reset(d);
		stop(d);
		return;
	}
	if (t->client_not_tls) {
		unit_reset(d);
		stop(d);
		return;
	}
	d->state = D_NONTLS;
}

/* A proxy's HTTP head: through the empty line. */
static void
head(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t **p,
    size_t *n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	while (*n > 0) {
		size_t before = d->len;
		size_t i;
		int status;

		if (!take(t, d, p, n, d->len + 1, frame, time))
			return;
		i = before >= 3 ? before - 3 : 0;
		for (; i + 4 <= d->len; i++)
			if (memcmp(d->buf + i, "\r\n\r\n", 4) == 0)
				break;
		if (i + 4 > d->len) {
			if (d->len >= HEAD_MAX) {
				unit_reset(d);
				stop(d);
				return;	/* not on through the rest of the segment */
			}
			continue;
		}
		if (dir == DT_C2S) {
			unit_reset(d);
			d->state = D_START;
			return;
		}
		/* "HTTP/1.1 200 Connection established" */
		status = d->len > 12 && d->buf[9] >= '0' && d->buf[9] <= '9' ?
		    d->buf[9] - '0' : 0;
		t->connect = 2;
		unit_reset(d);
		if (status == 2)
			d->state = D_START;
		else
			stop(d);
		return;
	}
}

/* Check a record header h (5 bytes) and keep its type, version, length.
   0: malformed (the direction is stopped). */
static int
rec_header(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *h,
    uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	struct rd r = rd_make(h, REC_HDR);

	d->rtype = rd_u8(&r);
	d->rversion = rd_u16(&r);
	d->rlen = rd_u16(&r);
	if (d->rtype < 20 || d->rtype > 24) {
		malformed(t, c, dir, frame, time,
		    "%s record of content type %u", dir_name(dir), d->rtype);
		return 0;
	}
	if (d->rversion < 0x0300 || d->rversion > 0x0304) {
		malformed(t, c, dir, frame, time,
		    "%s record version 0x%04X is not SSL 3.0 .. TLS 1.3",
		    dir_name(dir), d->rversion);
		return 0;
	}
	if (d->rlen > REC_MAX) {
		malformed(t, c, dir, frame, time,
		    "%s record length %u exceeds 2^14+2048", dir_name(dir),
		    d->rlen);
		return 0;
	}
	c->tls.seen = 1;
	return 1;
}

/* The header of a record whose body is only counted has been read in
   `frame`; the record is reported when its last byte comes (like
   Wireshark: the frame that completes it). */
static void
hop_start(struct dt_tls *t, struct dt_conn *c, int dir, uint64_t hframe,
    int64_t htime, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	d->skip = d->rlen;
	if (d->rlen == 0) {
		record_hopped(t, c, dir, d->rtype, 0, frame, time);
		return;
	}
	d->hop = 1;
	d->hop_frame = hframe;
	d->hop_time = htime;
}

/* A hopped record whose end will never come (gap, end of capture): it is
   reported in the frame of its header. */
static void
hop_flush(struct dt_tls *t, struct dt_conn *c, int dir)
{
	struct tdir *d = &t->d[dir];

	if (!d->hop)
		return;
	d->hop = 0;
	record_hopped(t, c, dir, d->rtype, d->rlen, d->hop_frame, d->hop_time);
}

/* After the handshake only alerts (and a NULL-cipher HTTP head) are
   gathered: give the handshake buffers back. */
static void
slim(struct dt_tls *t, struct dt_conn *c, int dir)
{
	struct tdir *d = &t->d[dir];

	if (d->slim || d->len != 0 || d->hlen != 0 || !dir_done(t, c, dir))
		return;
	d->slim = 1;
	dt_free(t->m, d->buf);
	dt_free(t->m, d->hs);
	d->buf = d->hs = NULL;
	d->cap = d->hcap = 0;
}

static void
records(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t **p,
    size_t *n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	while (*n > 0 && d->state == D_RECORDS) {
		const struct fmark *fm;

		if (d->skip > 0) {
			size_t k = *n < d->skip ? *n : (size_t)d->skip;
			*p += k;
			*n -= k;
			d->skip -= k;
			if (d->skip == 0 && d->hop) {
				d->hop = 0;
				record_hopped(t, c, dir, d->rtype, d->rlen,
				    frame, time);
			}
			continue;
		}
		if (d->len == 0 && *n >= REC_HDR) {
			/* the whole header is here: checked in place, and
			   a record only counted is never copied */
			if (!rec_header(t, c, dir, *p, frame, time))
				return;
			if (!need_body(t, d, d->rtype)) {
				*p += REC_HDR;
				*n -= REC_HDR;
				hop_start(t, c, dir, frame, time, frame, time);
				continue;
			}
		}
		if (!take(t, d, p, n, REC_HDR, frame, time))
			return;
		fm = fmap_at(&d->bmap, 0);
		if (!rec_header(t, c, dir, d->buf, fm->frame, fm->time))
			return;
		if (d->len == REC_HDR && !need_body(t, d, d->rtype)) {
			hop_start(t, c, dir, fm->frame, fm->time, frame, time);
			unit_reset(d);
			continue;
		}
		if (!take(t, d, p, n, REC_HDR + (size_t)d->rlen, frame, time))
			return;
		/* Like Wireshark, a record belongs to the frame that
		   completes it: the one carrying its last byte. */
		record_body(t, c, dir, frame, time);
		if (d->state == D_RECORDS)
			unit_reset(d);
	}
	if (d->state == D_RECORDS)
		slim(t, c, dir);
}

/* ---- the contract ------------------------------------------------------- */

struct dt_tls *
dt_tls_new(struct dt_mem *m, const struct dt_tls_config *cfg)
{
	struct dt_tls *t = dt_calloc(m, 1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->m = m;
	t->hs_cap = cfg != NULL && cfg->hs_cap != 0 ? cfg->hs_cap :
	    HS_CAP_DEFAULT;
	if (t->hs_cap < 64)
		t->hs_cap = 64;
	t->x509 = cfg != NULL ? cfg->x509 : NULL;
	t->d[0].mac = t->d[1].mac = -1;
	return t;
}

static void
dir_free(struct dt_mem *m, struct tdir *d)
{
	dt_free(m, d->buf);
	dt_free(m, d->hs);
	dt_free(m, d->http);
	d->buf = d->hs = d->http = NULL;
	d->len = d->cap = d->hlen = d->hcap = d->http_len = 0;
}

void
dt_tls_free(struct dt_mem *m, struct dt_tls *t)
{
	if (t == NULL)
		return;
	dir_free(m, &t->d[0]);
	dir_free(m, &t->d[1]);
	dt_free(m, t);
}

int
dt_tls_data(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	struct tdir *d;

	if (t == NULL || (dir != DT_C2S && dir != DT_S2C))
		return 0;
	d = &t->d[dir];
	while (n > 0) {
		enum dstate was = d->state;
		size_t before = n;

		switch (d->state) {
		case D_START:
			detect(t, c, dir, &p, &n, frame, time);
			break;
		case D_HEAD:
			head(t, c, dir, &p, &n, frame, time);
			break;
		case D_NONTLS:
			if (d->len >= LINE_MAX || (d->len > 0 &&
			    memchr(d->buf, '\n', d->len) != NULL)) {
				nontls_finish(t, c, dir);
				break;
			}
			(void)take(t, d, &p, &n, d->len + 1, frame, time);
			break;
		case D_SSL2:
			if (!take(t, d, &p, &n, 2, frame, time))
				break;
			if (take(t, d, &p, &n, 2 + ((size_t)(d->buf[0] & 0x7F) << 8 |
			    d->buf[1]), frame, time)) {
				const struct fmark *fm = fmap_at(&d->bmap, 0);

				if (dir == DT_S2C) {
					sslv2_server_hello(t, c, fm->frame,
					    fm->time);
					unit_reset(d);
					break;
				}
				sslv2_hello(t, c, fm->frame, fm->time);
				if (d->state == D_SSL2) {
					d->state = D_RECORDS;
					d->sslv2 = 1;
				}
				unit_reset(d);
			}
			break;
		case D_RECORDS:
			records(t, c, dir, &p, &n, frame, time);
			break;
		case D_DONE:
		case D_STOP:
			dir_free(t->m, d);
			return 0;
		}
		if (t->m->failed)
			stop(d);
		if (n == before && d->state == was)
			break;	/* waiting for more bytes */
	}
	/* the line of a non-TLS reply can be complete with the last byte */
	if (d->state == D_NONTLS && (d->len >= LINE_MAX ||
	    (d->len > 0 && memchr(d->buf, '\n', d->len) != NULL)))
		nontls_finish(t, c, dir);
	if (d->state == D_DONE || d->state == D_STOP) {
		dir_free(t->m, d);
		return 0;
	}
	return 1;
}

void
dt_tls_gap(struct dt_tls *t, struct dt_conn *c, int dir, uint64_t n,
    uint64_t frame)
{
	struct tdir *d;

	if (t == NULL || (dir != DT_C2S && dir != DT_S2C))
		return;
	d = &t->d[dir];
	if (d->state == D_DONE || d->state == D_STOP)
		return;
	if (d->state == D_RECORDS && d->len == 0 && d->skip >= n) {
		d->skip -= n;	/* inside a record only counted */
		if (d->skip == 0)
			hop_flush(t, c, dir);	/* its end was lost */
		return;
	}
	hop_flush(t, c, dir);
	if (d->state == D_NONTLS) {
		nontls_finish(t, c, dir);
		return;
	}
	/* A gap inside a record whose header we have: that record is lost
	   but the next one starts where its length says, so what follows
	   (an alert, CCS, application data) stays readable. The handshake
	   messages of this direction are not: where they begin is lost. */
	if (d->state == D_RECORDS && d->len >= REC_HDR &&
	    n <= (uint64_t)REC_HDR + d->rlen - d->len) {
		d->skip = (uint64_t)REC_HDR + d->rlen - d->len - n;
		if (!handshake_over(t, c) && !c->tls.truncated) {
			c->tls.truncated = 1;
			c->tls.truncated_frame = frame;
		}
		unit_reset(d);
		d->hlen = 0;
		d->hmap.n = 0;
		d->hs_lost = 1;
		return;
	}
	/* bytes the handshake needed are missing (lost or cut by snaplen:
	   the rules tell which); before any TLS was seen nothing is known */
	if ((c->tls.seen || d->state == D_RECORDS || d->state == D_SSL2) &&
	    !handshake_over(t, c) && !c->tls.truncated) {
		c->tls.truncated = 1;
		c->tls.truncated_frame = frame;
	}
	unit_reset(d);
	stop(d);
	dir_free(t->m, d);
}

void
dt_tls_end(struct dt_tls *t, struct dt_conn *c)
{
	struct dt_tls_facts *f = &c->tls;
	int dir;

	if (t == NULL)
		return;
	for (dir = 0; dir < 2; dir++) {
		if (t->d[dir].state == D_NONTLS && t->d[dir].len > 0)
			nontls_finish(t, c, dir);
		hop_flush(t, c, dir);	/* the capture ended inside it */
	}
	if (f->n_server_certs > 0 && t->x509 != NULL &&
	    dt_x509_ctx_has_anchors(t->x509) && f->chain == DT_CHAIN_UNCHECKED) {
		char *why = NULL;
		int64_t when = t->hs_time != 0 ? t->hs_time : f->ch_time;

		f->chain = dt_x509_verify_chain(t->x509, t->m, f->server_certs,
		    f->n_server_certs, when / 1000000000, &why);
		dt_free(t->m, f->chain_error);
		f->chain_error = why;
	}
}

size_t
dt_tls_buffered(const struct dt_tls *t)
{
	size_t n = 0;
	int dir;

	if (t == NULL)
		return 0;
	for (dir = 0; dir < 2; dir++)
		n += t->d[dir].len + t->d[dir].hlen + t->d[dir].http_len;
	return n;
}
