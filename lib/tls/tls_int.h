/*
 * Internal to tls/: the per-connection parser state shared by the record
 * layer (record.c: record headers, records, alerts, application data,
 * NULL-cipher plaintext, resynchronisation), the start of each direction
 * (start.c: detection, proxy CONNECT, non-TLS replies, the SSLv2-format
 * hello unit), plaintext preambles (preamble.c) and the handshake decoders
 * (handshake.c: ClientHello and its extensions, ServerHello, Certificate,
 * CertificateRequest, the SSLv2-format hellos, message dispatch).
 *
 * record.c owns the byte streams; it hands a direction's first bytes to
 * start.c (which may hand them on to preamble.c) and the handshake bytes
 * of each record to handshake.c; all write facts, events and a malformed
 * message through state.c (record.c -> start.c -> preamble.c,
 * handshake.c -> state.c, no way back).
 * Nothing here is seen outside tls/.
 */
#ifndef DT_TLS_INT_H
#define DT_TLS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tls/tls.h"
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
	D_PRE,		/* a plaintext preamble (STARTTLS and kin) */
	D_NONTLS,	/* gathering the first line of a non-TLS reply */
	D_SSL2,		/* an SSLv2-compatible ClientHello */
	D_RECORDS,	/* TLS records (after the handshake: hopped, alerts read) */
	D_MID,		/* a midstream start: a record header within the
			   first bytes, or not TLS (start.c) */
	D_DONE,		/* nothing more needed (an SSL 2.0 server) */
	D_STOP,		/* malformed, gap, or not TLS */
};

struct fmark {
	uint64_t pos;
	uint64_t frame;
	int64_t time;
};

/* The first FMAP_IN marks in the map itself (v == in: a unit that a few
   segments bring, the hellos and most certificate flights, allocates
   nothing), then on the heap, grown by doubling up to FMAP_MAX: most
   connections are not TLS and gather one short line, or nothing, and a
   parser is kept for every open connection. v NULL: none yet. */
#define FMAP_IN		4

struct fmap {
	uint32_t n, cap;
	struct fmark *v;
	struct fmark in[FMAP_IN];
};

/* One direction. What every record reads comes first, so that a packet
   after the handshake touches a line or two of it; the frame maps, used
   only while bytes are gathered, come last. */
struct tdir {
	enum dstate state;
	uint8_t rtype;			/* current record's content type */
	uint16_t rlen;			/* ... and its length */
	uint16_t rversion;
	int hop;			/* a hopped record waits for its last byte */
	int slim;			/* handshake over: buffers given back */
	int resync;			/* looking for a record header again */
	/* protection state */
	int ccs;			/* ChangeCipherSpec sent */
	int mac;			/* NULL suite after CCS: MAC bytes; -1 */
	int http_done;			/* NULL cipher: done with its HTTP head */
	int body;			/* ... and the body follows */
	int body_done;			/* the body sink wants no more of it */
	uint64_t skip;			/* body bytes of a hopped record left */
	uint64_t hop_frame;		/* ... whose header came in this frame */
	int64_t hop_time;
	/* the unit being gathered (record, head, line) */
	uint8_t *buf;
	size_t len, cap;
	int hs_lost;			/* a gap ate handshake bytes */
	int maybe_resumed;		/* server echoed the session id */
	/* handshake reassembly */
	uint8_t *hs;
	size_t hlen, hcap;
	uint64_t hpos;			/* handshake-stream position of hs[0] */
	/* HTTP inside a NULL-cipher session */
	uint8_t *http;
	size_t http_len;
	uint64_t http_frame;
	int64_t http_time;
	/* TLS 1.3 encrypted flight */
	size_t flight_ev;		/* index in c->events + 1; 0: none */
	int sslv2;			/* the SSLv2 hello was this direction's */
	uint64_t skipped;		/* resync: bytes passed over so far */
	uint64_t mid_lost;		/* midstream: bytes before buf[0] that
					   a gap made unreadable (start.c) */
	struct fmap bmap;		/* positions relative to buf[0] */
	struct fmap hmap;		/* handshake-stream positions */
};

/* The per-packet fields first, the directions (with their maps) last. */
struct dt_tls {
	struct dt_mem *m;
	int tls13;			/* TLS 1.3 chosen (HRR or ServerHello) */
	int sh13;			/* ... and its ServerHello was seen */
	int client_flight13;		/* client's encrypted flight seen */
	int sh_seen;			/* a real ServerHello (not HRR) */
	const struct dt_tls_body_sink *bsink;
	void *bstate;			/* the body sink's, NULL: none */
	int bopened;			/* open() was asked */
	int connect;			/* c2s began with a proxy CONNECT */
	int client_not_tls;		/* c2s began with something else */
	int ssl2_server;		/* the server answered in SSL 2.0 */
	size_t hs_cap;
	const struct dt_x509_ctx *x509;
	int64_t hs_time;		/* ServerHello / Certificate capture time */
	struct dt_capture *cap;		/* dt_tls_config's */
	const uint16_t *ports;		/* dt_tls_config's */
	struct dt_tls_memo *memo;	/* dt_tls_config's */
	uint8_t ch_sid[32];
	size_t ch_sid_len;
	uint16_t ch_rversion;		/* the first client handshake record's
					   version, the hello's record_version
					   when it is made (or at the end) */
	struct {			/* preamble.c */
		uint8_t family;		/* framing chosen by the first bytes */
		uint8_t cmd;		/* the client's upgrade command */
		uint8_t asked;		/* ... was sent */
		uint8_t agreed;		/* ... and answered yes */
		uint8_t give_up;	/* not a preamble that leads to TLS */
		uint8_t greeting;	/* the server spoke first: its first
					   unit is the non-TLS fact until TLS
					   is agreed */
		uint8_t pending;	/* text: client commands the server
					   has not answered yet */
		uint8_t before;		/* ... of them, sent before the
					   upgrade command (pipelined) */
		uint8_t step[2];	/* SOCKS5 messages per direction */
		uint8_t socks_method;
		char tag[24];		/* IMAP command tag */
		size_t bytes[2];
	} pre;
	struct tdir d[2];
};


/* ---- small helpers (state.c unless inline) ---------------------------- */

/* A mark that finds no room (the cap refused it) is not kept: later bytes
   keep the last frame known, and m->failed stops the direction. */
void dt_tls_fmap_add(struct dt_mem *m, struct fmap *f, uint64_t pos,
    uint64_t frame, int64_t time);
void dt_tls_fmap_free(struct dt_mem *m, struct fmap *f);
/* Forget marks before pos, keeping the one that covers pos. */
void dt_tls_fmap_drop(struct fmap *f, uint64_t pos);
/* Grow *buf to at least need bytes; -1 when refused (the cap). */
int dt_tls_grow(struct dt_mem *m, uint8_t **buf, size_t *cap, size_t need);
/* *buf made need bytes long at least, exactly need when it grows (a unit
   whose length is known); -1 when refused (the cap). */
int dt_tls_reserve(struct dt_mem *m, uint8_t **buf, size_t *cap, size_t need);
/* Records readable again at fm after `skipped` bytes (a bad header, a
   midstream start): the first such place is the fact, each an event. */
void dt_tls_resynced(struct dt_tls *t, struct dt_conn *c, int dir,
    const struct fmark *fm, uint64_t skipped);
/* An event on c's timeline: inline, as dt_conn_add_event() is (a call
   between was 20 instructions of each of the day's 55,000). */
static inline void
dt_tls_event(struct dt_tls *t, struct dt_conn *c, uint8_t type, int dir,
    uint64_t frame, int64_t time, uint16_t a, uint32_t b)
{
	(void)dt_conn_add_event(t->m, c, type, (uint8_t)dir, frame, time, a, b);
}
/* A protocol violation: counted, and the first one of the connection
   becomes the malformed fact and event. The caller decides how to go on
   (skip the message or record, resynchronise, or stop). */
void dt_tls_malformed(struct dt_tls *t, struct dt_conn *c, int dir,
    uint64_t frame, int64_t time, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Gather the current unit of d up to `want` bytes; 1 when complete. */
int dt_tls_take(struct dt_tls *t, struct tdir *d, const uint8_t **p,
    size_t *n, size_t want, uint64_t frame, int64_t time);
/* Drop the first k bytes of the unit buffer, keeping what follows. */
void dt_tls_consume(struct tdir *d, size_t k);

/* The frame mark covering stream position pos. */
static inline const struct fmark *
fmap_at(const struct fmap *f, uint64_t pos)
{
	static const struct fmark none = { 0, 0, 0 };
	size_t i;

	for (i = f->n; i > 0; i--)
		if (f->v[i - 1].pos <= pos)
			return &f->v[i - 1];
	return f->n > 0 ? &f->v[0] : &none;
}

static inline void
stop(struct tdir *d)
{
	d->state = D_STOP;
	d->skip = 0;
}

static inline void
unit_reset(struct tdir *d)
{
	d->len = 0;
	d->bmap.n = 0;
}

static inline const char *
dt_tls_dir_name(int dir)
{
	return dir == DT_C2S ? "client" : "server";
}

/* A server's alert before its ServerHello with record version 0x0000:
   s2n-tls (AWS's load balancers, S3) wrote its close_notify, or any
   alert sent before it had read a whole ClientHello, so until 2023
   (aws/s2n-tls#1734, fixed by #3744: nDPI's alexa-app.pcapng has one
   from S3 after an idle client's FIN). A TLS alert, not a foreign
   protocol. */
static inline int
s2n_early_alert(const struct dt_tls *t, int dir, unsigned type,
    unsigned version, unsigned len)
{
	return dir == DT_S2C && !t->sh_seen && type == 21 && version == 0 &&
	    len == 2;
}

/* The first 3 bytes of such a record: its length (2) decides. */
static inline int
s2n_alert_head(const uint8_t *b)
{
	return b[0] == 21 && b[1] == 0 && b[2] == 0;
}

/* Printable ASCII, CR, LF, TAB: a byte of a text line (preamble.c's
   table: 0 not text, 1 text, 3 LF, the text that ends a line). */
extern const uint8_t dt_tls_text_byte[256];

static inline int
dt_tls_is_text(uint8_t ch)
{
	return dt_tls_text_byte[ch] != 0;
}

/* A header that could begin a record: a known content type, SSL 3.0 ..
   TLS 1.3, a length within the limit (what resync and a midstream start
   look for). */
static inline int
dt_tls_plausible(const uint8_t *h)
{
	return h[0] >= 20 && h[0] <= 23 && h[1] == 3 && h[2] <= 4 &&
	    (h[3] << 8 | h[4]) > 0 && (h[3] << 8 | h[4]) <= REC_MAX;
}

/* A record header that cannot be one: look for the next plausible header
   (record.c); the handshake messages in between are lost. */
static inline void
dt_tls_resync_begin(struct tdir *d)
{
	d->resync = 1;
	d->skipped = 0;
	d->hlen = 0;
	d->hmap.n = 0;
	d->hs_lost = 1;
}

/* Do the first bytes b[0..have) of dir begin TLS records? A client
   begins with a handshake record, unless the capture began after its
   start (no SYN seen) or the server already speaks TLS: then any content
   type (an alert, application data). Inline: every direction's first
   bytes are asked (record.c where they lie, then start.c). */
static inline int
dt_tls_looks(const struct dt_tls *t, const struct dt_conn *c,
    const uint8_t *b, size_t have, int dir)
{
	if (s2n_alert_head(b))
		return have >= 5 && s2n_early_alert(t, dir, 21, 0,
		    (unsigned)(b[3] << 8 | b[4]));
	if (b[1] != 3 || b[2] > 4 || b[0] < 20 || b[0] > 24)
		return 0;
	return dir == DT_S2C || b[0] == 22 || !c->roles_from_syn ||
	    t->d[DT_S2C].state == D_RECORDS;
}

/* ---- start.c ------------------------------------------------------------ */

/* D_START: the first bytes of dir choose TLS, SSLv2, CONNECT, a preamble,
   or not TLS. */
void dt_tls_detect(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t **p, size_t *n, uint64_t frame, int64_t time);
/* D_START, nothing gathered, and the segment p[0..n) ends the
   direction's parsing at once (no record header, no preamble, on a
   connection whose client did not begin with TLS): 1, the direction
   stopped. Nothing else is written: a connection whose every direction
   ends so needs no TLS facts. */
int dt_tls_start_stops(struct dt_tls *t, const struct dt_conn *c, int dir,
    const uint8_t *p, size_t n);
/* D_START and no more bytes to come (the end, a gap): decide on those
   gathered where a midstream first line waited for its end. */
void dt_tls_detect_end(struct dt_tls *t, struct dt_conn *c, int dir);
/* D_HEAD: a proxy's HTTP head through its empty line. */
void dt_tls_head(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t **p, size_t *n, uint64_t frame, int64_t time);
/* D_NONTLS: gather the first line (one byte per call) or finish it. */
void dt_tls_nontls_line(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t **p, size_t *n, uint64_t frame, int64_t time);
/* D_MID: look for two records in a row in a midstream start's first
   bytes (start.c); records from there, or not TLS. */
void dt_tls_midstream(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t **p, size_t *n, uint64_t frame, int64_t time);
/* D_MID and no record found (the limit, or the direction's end): the
   non-TLS fact for a server, the end of parsing for a client. */
void dt_tls_midstream_end(struct dt_tls *t, int dir);
/* D_MID across a gap of n bytes: the search begins again after it. */
void dt_tls_midstream_gap(struct dt_tls *t, int dir, uint64_t n);
/* Finish the non-TLS line if it is complete. */
void dt_tls_nontls_check(struct dt_tls *t, struct dt_conn *c, int dir);
/* The non-TLS fact from what was gathered, and the direction is done. */
void dt_tls_nontls_finish(struct dt_tls *t, struct dt_conn *c, int dir);
/* D_SSL2: the SSLv2-format hello, gathered whole. */
void dt_tls_ssl2_hello(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t **p, size_t *n, uint64_t frame, int64_t time);

/* ---- handshake.c -------------------------------------------------------- */

/* Decode the handshake bytes p[0..n) (a whole record's body part, at
   positions [off, off+n) of the frame marks bm): every complete message
   where it lies, a message that goes on in the next record gathered in
   d->hs. */
void dt_tls_handshake_bytes(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t *p, size_t n, const struct fmap *bm, size_t off);
/* RFC 6101 E.2 / RFC 5246 E.2: the SSLv2-format CLIENT-HELLO gathered in
   t->d[DT_C2S].buf (2-byte header included). */
void dt_tls_sslv2_client_hello(struct dt_tls *t, struct dt_conn *c,
    uint64_t frame, int64_t time);
/* SSL 2.0 SERVER-HELLO gathered in t->d[DT_S2C].buf. */
void dt_tls_sslv2_client_master_key(struct dt_tls *t, struct dt_conn *c,
    uint64_t frame, int64_t time);
void dt_tls_sslv2_server_hello(struct dt_tls *t, struct dt_conn *c,
    uint64_t frame, int64_t time);

/* ---- preamble.c --------------------------------------------------------- */

/* The first bytes of dir (in d->buf) are not TLS: 1 when they begin a
   preamble of ours (the direction is then in D_PRE), 0 when not, -1 when
   more bytes are needed. */
int dt_tls_pre_begin(struct dt_tls *t, int dir, const uint8_t **p,
    size_t *n, uint64_t frame, int64_t time);
/* What dt_tls_pre_begin() would find of the segment's first bytes where
   they lie (b, have; nothing gathered), when they tell without a buffer:
   1 when they begin a text preamble, 0 when no preamble of ours; -1 when
   not told here (more bytes needed, or a framing whose units are
   gathered). Nothing changed. */
int dt_tls_pre_text_here(const struct dt_tls *t, int dir, const uint8_t *b,
    size_t have);
/* A text preamble begins (D_PRE): no byte taken, its lines are read in
   place. */
void dt_tls_pre_text_begin(struct dt_tls *t, int dir);
void dt_tls_preamble(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t **p, size_t *n, uint64_t frame, int64_t time);
/* The direction's bytes end here (gap, end of capture). */
void dt_tls_pre_end(struct dt_tls *t, struct dt_conn *c, int dir);
/* The non-TLS fact from the first line (or bytes) in d->buf. */
void dt_tls_nontls_fact(struct dt_tls *t, struct dt_conn *c, int dir);

#endif
