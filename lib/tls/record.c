/*
 * tls/record: the TLS record layer of one connection, read from the two
 * in-order byte streams (RFC 5246 6.2 and RFC 8446 5: the 5-byte header,
 * content types 20-24, SSL 3.0 .. TLS 1.3 versions, the 2^14 + 2048 length
 * limit; RFC 5246 7.1 ChangeCipherSpec, 7.2 alerts; RFC 5246 6.2.3.1
 * NULL-cipher records: plaintext + MAC).
 *
 * Each direction is a small state machine over whole units. How it begins
 * (detection of the first bytes, an HTTP head of a proxy CONNECT, a
 * non-TLS line, the SSLv2-format hello) is start.c's; a plaintext
 * preamble is preamble.c's; from the first record on it is read here.
 * A record is gathered in a buffer (at most 5 + 2^14 + 2048 bytes) only when
 * its body is needed; otherwise it is hopped by its header and counted
 * (no copy). After the handshake a direction is still followed this way
 * for the life of the connection, so later alerts (close_notify, a fatal
 * one in the tunnel) are seen; the handshake buffers are given back.
 * Handshake bodies go to handshake.c. Every step has three outcomes: done,
 * need more bytes, malformed; a malformed stream becomes a named fact.
 * Frame numbers come from small maps (stream position -> frame) kept for
 * the bytes buffered; like Wireshark, a record and its messages get the
 * frame that completes the record (a hopped record: the frame of its last
 * byte, or of its header if that byte never comes).
 */
#include "tls/tls.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "proto/http_head.h"
#include "tls/names.h"
#include "tls/tls_int.h"

/* ---- small helpers ------------------------------------------------------ */

/* Is the handshake over (both sides' Finished or CCS, or the TLS 1.3
   flights) so that what is left of a stream is only application data? */
static int
handshake_over(const struct dt_tls *t, const struct dt_conn *c)
{
	if (t->sh13)
		return t->client_flight13;
	return c->tls->finished_frame[0] != 0 && c->tls->finished_frame[1] != 0;
}

static int
dir_done(const struct dt_tls *t, const struct dt_conn *c, int dir)
{
	const struct tdir *d = &t->d[dir];

	if (!handshake_over(t, c) || c->tls->appdata_frame[dir] == 0)
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

/* ---- records ------------------------------------------------------------ */

static void
alert(struct dt_tls *t, struct dt_conn *c, int dir, uint8_t level,
    uint8_t desc, int encrypted, uint64_t frame, int64_t time)
{
	struct dt_tls_facts *f = c->tls;

	if (f->alert_frame == 0) {
		f->alert_frame = frame;
		f->alert_dir = (uint8_t)dir;
		f->alert_level = level;
		f->alert_desc = desc;
		f->alert_encrypted = encrypted;
	}
	f->n_alerts++;
	dt_tls_event(t, c, DT_EV_TLS_ALERT, dir, frame, time,
	    (uint16_t)(level << 8 | desc), (uint32_t)encrypted);
}

/* An application-data record of len bytes (every one: inline). */
static inline __attribute__((always_inline)) void
appdata(struct dt_tls *t, struct dt_conn *c, int dir, size_t len,
    uint64_t frame, int64_t time)
{
	struct dt_tls_facts *f = c->tls;

	if (f->appdata_frame[dir] == 0) {
		f->appdata_frame[dir] = frame;
		dt_tls_event(t, c, DT_EV_TLS_APPDATA, dir, frame, time, 0, 0);
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

	if (c->tls->finished_frame[dir] == 0)
		c->tls->finished_frame[dir] = frame;
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

/* Plaintext after this direction's HTTP head: to the body sink. */
static void
body_bytes(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	if (t->bsink == NULL || n == 0)
		return;
	if (!t->bopened) {
		t->bopened = 1;
		t->bstate = t->bsink->open(t->bsink->payload, c);
	}
	if (t->bstate != NULL && !t->d[dir].body_done &&
	    !t->bsink->data(t->bstate, c, dir, p, n, frame, time))
		t->d[dir].body_done = 1;
}

/* The HTTP head inside NULL-cipher application data. A head that one
   record holds whole (the usual case) is read where it lies; only one cut
   across records is gathered, in a buffer of HTTP_MAX bytes. */
static void
http_bytes(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	struct dt_http_msg msg, *slot;
	struct dt_tls_http *h;
	const uint8_t *head;
	size_t k, len, used, old;
	int isreq, rc;

	if (d->http_done)
		return;
	old = d->http_len;
	if (d->http == NULL) {
		d->http_frame = frame;
		d->http_time = time;
		head = p;
		len = n < HTTP_MAX ? n : HTTP_MAX;
	} else {
		k = HTTP_MAX - d->http_len;
		if (k > n)
			k = n;
		memcpy(d->http + d->http_len, p, k);
		d->http_len += k;
		head = d->http;
		len = d->http_len;
	}
	rc = dt_http_head_parse(t->m, head, len, &msg, &isreq, &used);
	if (rc == 0 && len < HTTP_MAX) {
		if (d->http == NULL) {		/* the rest comes later */
			d->http = dt_malloc(t->m, HTTP_MAX);
			if (d->http == NULL) {
				d->http_done = 1;
				return;
			}
			memcpy(d->http, p, len);
			d->http_len = len;
		}
		return;
	}
	d->http_done = 1;
	dt_free(t->m, d->http);
	d->http = NULL;
	d->http_len = 0;
	if (rc != 1)
		return;
	if ((h = dt_tls_http_make(t->m, c->tls)) == NULL) {
		dt_http_msg_clear(t->m, &msg);
		return;
	}
	slot = isreq ? &h->request : &h->response;
	if (slot->frame != 0) {
		dt_http_msg_clear(t->m, &msg);
		return;
	}
	*slot = msg;
	slot->frame = d->http_frame;
	dt_tls_event(t, c, isreq ? DT_EV_HTTP_REQUEST : DT_EV_HTTP_RESPONSE, dir,
	    d->http_frame, d->http_time, 0, isreq ? 0 : (uint32_t)msg.status);
	d->body = 1;
	if (used >= old && used - old < n)	/* the body began here */
		body_bytes(t, c, dir, p + (used - old), n - (used - old),
		    frame, time);
}

/* Does this record's body have to be gathered? */
static inline int
need_body(const struct dt_tls *t, const struct tdir *d, uint8_t type)
{
	switch (type) {
	case 20:
		return 1;
	case 21:
	case 22:
		return !dir_encrypted(t, d);
	case 23:
		return d->ccs && d->mac >= 0 && !t->tls13 &&
		    (!d->http_done || (d->body && !d->body_done &&
		    t->bsink != NULL && (!t->bopened || t->bstate != NULL)));
	default:
		return 0;
	}
}

/* A record known by its header only. */
static inline __attribute__((always_inline)) void
record_hopped(struct dt_tls *t, struct dt_conn *c, int dir, uint8_t type,
    size_t len, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	switch (type) {
	case 21:	/* after CCS: encrypted */
		alert(t, c, dir, 0, 0, 1, frame, time);
		break;
	case 22:	/* the first one after CCS is the Finished */
		if (c->tls->finished_frame[dir] == 0) {
			c->tls->finished_frame[dir] = frame;
			dt_tls_event(t, c, DT_EV_TLS_HANDSHAKE, dir, frame, time, 20,
			    DT_TLS_HS_ENCRYPTED);
		} else	/* NPN's second record, a renegotiation: each shown */
			dt_tls_event(t, c, DT_EV_TLS_ENCRYPTED, dir, frame, time,
			    0, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
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
	case 20:
		break;
	case 24:	/* RFC 6520 heartbeat */
		if (dt_tls_rare_make(t->m, c->tls) != NULL)
			c->tls->rare->n_heartbeats++;
		dt_tls_event(t, c, DT_EV_TLS_RECORD, dir, frame, time, type,
		    (uint32_t)len);
		break;
	default:	/* no content type of ours: counted, shown, hopped */
		if (dt_tls_rare_make(t->m, c->tls) != NULL)
			c->tls->rare->n_unknown_records++;
		dt_tls_event(t, c, DT_EV_TLS_RECORD, dir, frame, time, type,
		    (uint32_t)len);
		break;
	}
	(void)d;
}

/* After lost handshake bytes, does this handshake record (body of plen
   bytes at body) begin with a message header we can believe? */
static int
hs_starts(const struct dt_tls *t, const struct tdir *d, const uint8_t *body,
    size_t plen)
{
	static const uint8_t known[] = { 0, 1, 2, 4, 8, 11, 12, 13, 14, 15,
	    16, 20, 22, 24 };
	struct rd r = rd_make(body, plen);
	uint8_t type = rd_u8(&r);
	uint32_t len = rd_u24(&r);

	if (!rd_ok(&r) || dir_encrypted(t, d) || (size_t)len + 4 > t->hs_cap)
		return 0;
	return memchr(known, type, sizeof known) != NULL;
}

/* The record rec[0..reclen), its header first: d->buf (its frames in
   bm, d->bmap), or for a record that a segment holds whole, the segment
   (bm: one mark, that frame). */
static inline __attribute__((always_inline)) void
record_body(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *rec,
    size_t reclen, const struct fmap *bm, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	size_t len = reclen - REC_HDR;
	size_t plen = len;		/* plaintext length */
	struct rd r;

	if (d->ccs && d->mac >= 0 && !t->tls13 && d->rtype != 20) {
		if (len < (size_t)d->mac) {
			dt_tls_malformed(t, c, dir, frame, time,
			    "NULL-cipher record of %zu bytes is shorter than its %d-byte MAC",
			    len, d->mac);
			return;
		}
		plen = len - (size_t)d->mac;
	}
	/* RFC 5246 6.2.1 / RFC 8446 5.1: handshake messages are not
	   interleaved with other record types */
	if (d->rtype != 22 && d->hlen > 0) {
		dt_tls_malformed(t, c, dir, frame, time,
		    "handshake message cut by a record of content type %u",
		    d->rtype);
		d->hlen = 0;	/* that message is lost; this record is read */
		d->hmap.n = 0;
		d->hs_lost = 1;
	}
	switch (d->rtype) {
	case 20:	/* RFC 5246 7.1 */
		if (c->tls->ccs_frame[dir] == 0)
			c->tls->ccs_frame[dir] = frame;
		dt_tls_event(t, c, DT_EV_TLS_CCS, dir, frame, time, 0, 0);
		if (dir == DT_S2C && d->maybe_resumed)
			c->tls->resumed = 1;
		d->maybe_resumed = 0;
		if (!d->ccs) {
			d->ccs = 1;
			d->mac = t->sh_seen ?
			    dt_tls_null_mac_len(c->tls->suite) : -1;
		}
		break;
	case 21:	/* RFC 5246 7.2: level, description */
		if (plen > 2 && c->tls->ch_frame == 0 && c->tls->sh_frame == 0 &&
		    d->mac < 0) {
			/* the capture began after the hellos: longer than an
			   alert, this one is protected */
			alert(t, c, dir, 0, 0, 1, frame, time);
			break;
		}
		if (plen == 0 || plen % 2 ||
		    (d->ccs && d->mac >= 0 && plen != 2)) {
			dt_tls_malformed(t, c, dir, frame, time,
			    "alert record of %zu bytes", plen);
			return;
		}
		r = rd_make(rec + REC_HDR, plen);
		while (r.n > 0) {
			uint8_t level = rd_u8(&r);
			alert(t, c, dir, level, rd_u8(&r), 0, frame, time);
		}
		break;
	case 22:
		if (plen == 0) {
			dt_tls_malformed(t, c, dir, frame, time,
			    "zero-length handshake record");
			return;
		}
		if (dir == DT_C2S && t->ch_rversion == 0 &&
		    dt_tls_hello(c->tls)->record_version == 0)
			t->ch_rversion = d->rversion;
		if (d->hs_lost && !hs_starts(t, d, rec + REC_HDR, plen))
			break;	/* where its messages begin is unknown */
		d->hs_lost = 0;
		dt_tls_handshake_bytes(t, c, dir, rec + REC_HDR, plen, bm,
		    REC_HDR);
		break;
	case 23:
		appdata(t, c, dir, len, frame, time);
		if (d->body)
			body_bytes(t, c, dir, rec + REC_HDR, plen, frame, time);
		else
			http_bytes(t, c, dir, rec + REC_HDR, plen, frame, time);
		break;
	default:
		break;
	}
}

/* ---- the stream --------------------------------------------------------- */

/* A record header that rec_header() did not find well formed: what is
   wrong with it, said. 0: malformed (the direction is stopped). */
static int
rec_header_bad(struct dt_tls *t, struct dt_conn *c, int dir, uint64_t frame,
    int64_t time)
{
	struct tdir *d = &t->d[dir];

	if (s2n_early_alert(t, dir, d->rtype, d->rversion, d->rlen)) {
		c->tls->seen = 1;
		return 1;
	}
	if ((d->rtype < 20 || d->rtype > 24) && d->rversion >= 0x0300 &&
	    d->rversion <= 0x0304 && d->rlen <= REC_MAX && c->tls->seen) {
		/* RFC 5246 6.2.1: an unexpected type is a violation, but the
		   record's framing holds: hop it and read on */
		dt_tls_malformed(t, c, dir, frame, time,
		    "%s record of content type %u", dt_tls_dir_name(dir), d->rtype);
		return 1;
	}
	if (d->rtype < 20 || d->rtype > 24) {
		dt_tls_malformed(t, c, dir, frame, time,
		    "%s record of content type %u", dt_tls_dir_name(dir), d->rtype);
		return 0;
	}
	if (d->rversion < 0x0300 || d->rversion > 0x0304) {
		dt_tls_malformed(t, c, dir, frame, time,
		    "%s record version 0x%04X is not SSL 3.0 .. TLS 1.3",
		    dt_tls_dir_name(dir), d->rversion);
		return 0;
	}
	if (d->rlen > REC_MAX) {
		dt_tls_malformed(t, c, dir, frame, time,
		    "%s record length %u exceeds 2^14+2048", dt_tls_dir_name(dir),
		    d->rlen);
		return 0;
	}
	c->tls->seen = 1;
	return 1;
}

/* Check a record header h (5 bytes) and keep its type, version, length.
   0: malformed (the direction is stopped). The well-formed one, every
   record's, inline; the faults out of line. */
static inline __attribute__((always_inline)) int
rec_header(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *h,
    uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	struct rd r = rd_make(h, REC_HDR);

	d->rtype = rd_u8(&r);
	d->rversion = rd_u16(&r);
	d->rlen = rd_u16(&r);
	if (d->rtype >= 20 && d->rtype <= 24 && d->rversion >= 0x0300 &&
	    d->rversion <= 0x0304 && d->rlen <= REC_MAX) {
		c->tls->seen = 1;
		return 1;
	}
	return rec_header_bad(t, c, dir, frame, time);
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
slim_now(struct dt_tls *t, struct dt_conn *c, int dir)
{
	struct tdir *d = &t->d[dir];

	if (d->len != 0 || d->hlen != 0 || !dir_done(t, c, dir))
		return;
	d->slim = 1;
	dt_free(t->m, d->buf);
	dt_free(t->m, d->hs);
	d->buf = d->hs = NULL;
	d->cap = d->hcap = 0;
}

/* Asked after every segment a direction's records take; most are slim
   already (59,500 of the 100 MB day's 86,000): that asked inline. */
static inline void
slim(struct dt_tls *t, struct dt_conn *c, int dir)
{
	if (!t->d[dir].slim)
		slim_now(t, c, dir);
}

/* A record header that cannot be one: look for the next plausible header
   (a known content type, SSL 3.0 .. TLS 1.3, a length within the limit),
   byte by byte, at most RESYNC_MAX bytes on; the handshake messages in
   between are lost. */
#define RESYNC_MAX	(256 * 1024)

static void
resync(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t **p,
    size_t *n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	while (d->resync) {
		if (d->len == 0 && *n > 0 && d->skipped == 0) {
			/* the bad header was checked in place: pass its
			   first byte */
			(*p)++;
			(*n)--;
			d->skipped = 1;
			continue;
		}
		if (d->len > 0 && d->skipped == 0) {
			dt_tls_consume(d, 1);
			d->skipped = 1;
			continue;
		}
		if (!dt_tls_take(t, d, p, n, REC_HDR, frame, time))
			return;
		if (!dt_tls_plausible(d->buf)) {
			dt_tls_consume(d, 1);
			if (++d->skipped > RESYNC_MAX) {
				unit_reset(d);
				stop(d);
				return;
			}
			continue;
		}
		d->resync = 0;
		dt_tls_resynced(t, c, dir, fmap_at(&d->bmap, 0), d->skipped);
	}
}

static void
records(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t **p,
    size_t *n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	while (*n > 0 && d->state == D_RECORDS) {
		const struct fmark *fm;

		if (d->resync) {
			resync(t, c, dir, p, n, frame, time);
			continue;
		}
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
			if (!rec_header(t, c, dir, *p, frame, time)) {
				dt_tls_resync_begin(d);
				continue;
			}
			if (!need_body(t, d, d->rtype)) {
				*p += REC_HDR;
				*n -= REC_HDR;
				hop_start(t, c, dir, frame, time, frame, time);
				continue;
			}
			/* A record this segment holds whole is read where it
			   lies (no copy, no buffer kept for the connection's
			   life: NULL-cipher tunnels, alerts of failed ones,
			   hellos); only a handshake message that goes on in
			   the next record is gathered (handshake.c) */
			if (*n - REC_HDR >= d->rlen) {
				size_t k = REC_HDR + (size_t)d->rlen;
				struct fmark here = { 0, frame, time };
				struct fmap one;	/* its in[] unused */

				one.n = one.cap = 1;
				one.v = &here;

				record_body(t, c, dir, *p, k, &one, frame,
				    time);
				*p += k;
				*n -= k;
				continue;
			}
			/* gathered: room for all of it at once, not doubled
			   up to it segment by segment */
			if (dt_tls_reserve(t->m, &d->buf, &d->cap,
			    REC_HDR + (size_t)d->rlen) < 0) {
				stop(d);
				return;
			}
		}
		if (!dt_tls_take(t, d, p, n, REC_HDR, frame, time))
			return;
		fm = fmap_at(&d->bmap, 0);
		if (!rec_header(t, c, dir, d->buf, fm->frame, fm->time)) {
			dt_tls_resync_begin(d);
			continue;
		}
		if (d->len == REC_HDR && !need_body(t, d, d->rtype)) {
			hop_start(t, c, dir, fm->frame, fm->time, frame, time);
			unit_reset(d);
			continue;
		}
		if (!dt_tls_take(t, d, p, n, REC_HDR + (size_t)d->rlen, frame, time))
			return;
		/* Like Wireshark, a record belongs to the frame that
		   completes it: the one carrying its last byte. */
		record_body(t, c, dir, d->buf, d->len, &d->bmap, frame, time);
		if (d->state == D_RECORDS)
			unit_reset(d);
	}
	if (d->state == D_RECORDS)
		slim(t, c, dir);
}

/* A midstream start found its first record (start.c: D_MID) with bytes
   gathered past it: they are read as the segments they came in, each
   record from the frame that completes it, as if they came now. */
static void
replay(struct dt_tls *t, struct dt_conn *c, int dir)
{
	struct tdir *d = &t->d[dir];
	struct fmark marks[FMAP_MAX];
	size_t len = d->len, n_marks = d->bmap.n, j;
	uint8_t *bytes;

	if ((bytes = dt_malloc(t->m, len)) == NULL) {
		stop(d);
		return;
	}
	memcpy(bytes, d->buf, len);
	memcpy(marks, d->bmap.v, n_marks * sizeof marks[0]);
	unit_reset(d);
	/* through dt_tls_data(), not records(): records() keeps its one
	   caller, and the per-packet path its inlining (+3.2 M
	   instructions on the 100 MB bench day otherwise) */
	for (j = 0; j < n_marks && d->state == D_RECORDS; j++) {
		size_t from = (size_t)marks[j].pos;
		size_t to = j + 1 < n_marks ? (size_t)marks[j + 1].pos : len;

		if (to > from)
			(void)dt_tls_data(t, c, dir, bytes + from, to - from,
			    marks[j].frame, marks[j].time);
	}
	dt_free(t->m, bytes);
}

/* ---- the contract ------------------------------------------------------- */

struct dt_tls *
dt_tls_new(struct dt_mem *m, const struct dt_tls_config *cfg)
{
	struct dt_tls *t = dt_malloc(m, sizeof *t);

	if (t == NULL)
		return NULL;
	return dt_tls_renew(t, m, cfg);
}

struct dt_tls *
dt_tls_renew(struct dt_tls *t, struct dt_mem *m,
    const struct dt_tls_config *cfg)
{
	memset(t, 0, sizeof *t);
	t->m = m;
	t->hs_cap = cfg != NULL && cfg->hs_cap != 0 ? cfg->hs_cap :
	    HS_CAP_DEFAULT;
	if (t->hs_cap < 64)
		t->hs_cap = 64;
	t->x509 = cfg != NULL ? cfg->x509 : NULL;
	t->bsink = cfg != NULL ? cfg->body : NULL;
	t->cap = cfg != NULL ? cfg->cap : NULL;
	t->ports = cfg != NULL ? cfg->ports : NULL;
	t->memo = cfg != NULL && t->cap != NULL ? cfg->memo : NULL;
	t->d[0].mac = t->d[1].mac = -1;
	return t;
}

/* A direction's heap given back. Most hold little or nothing by then
   (slim(), a stopped direction asked again): each pointer is asked
   before a call. */
static void
dir_free(struct dt_mem *m, struct tdir *d)
{
	if (d->buf != NULL)
		dt_free(m, d->buf);
	if (d->hs != NULL)
		dt_free(m, d->hs);
	if (d->http != NULL)
		dt_free(m, d->http);
	if (d->bmap.v != NULL)
		dt_tls_fmap_free(m, &d->bmap);
	if (d->hmap.v != NULL)
		dt_tls_fmap_free(m, &d->hmap);
	d->buf = d->hs = d->http = NULL;
	d->len = d->cap = d->hlen = d->hcap = d->http_len = 0;
}

void
dt_tls_clear(struct dt_mem *m, struct dt_tls *t)
{
	if (t->bstate != NULL) {
		t->bsink->end(t->bstate, NULL);
		t->bstate = NULL;
	}
	dir_free(m, &t->d[0]);
	dir_free(m, &t->d[1]);
}

void
dt_tls_free(struct dt_mem *m, struct dt_tls *t)
{
	if (t == NULL)
		return;
	dt_tls_clear(m, t);
	dt_free(m, t);
}

/*
 * The usual segment of a direction past its first record: records only
 * counted (application data; after CCS, the Finished and alerts), walked
 * by their headers where they lie, with the stream position in registers.
 * The bytes passed are returned; it stops before anything else (a
 * record whose body is read, a header that is not well formed or not
 * whole), which records() then reads as always.
 */
static inline __attribute__((always_inline)) size_t
hop_records(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	size_t used = 0;

	for (;;) {
		const uint8_t *h;
		unsigned type, version, len;

		if (d->skip > 0) {
			size_t k = n - used < d->skip ? n - used :
			    (size_t)d->skip;

			used += k;
			d->skip -= k;
			if (d->skip > 0)
				return used;
			if (d->hop) {
				d->hop = 0;
				record_hopped(t, c, dir, d->rtype, d->rlen,
				    frame, time);
			}
		}
		if (n - used < REC_HDR)
			return used;
		h = p + used;
		type = h[0];
		version = (unsigned)h[1] << 8 | h[2];
		len = (unsigned)h[3] << 8 | h[4];
		/* what rec_header() would find at fault, and bodies to read,
		   are records()'s */
		if (type < 20 || type > 24 || version < 0x0300 ||
		    version > 0x0304 || len > REC_MAX ||
		    need_body(t, d, (uint8_t)type))
			return used;
		d->rtype = (uint8_t)type;
		d->rversion = (uint16_t)version;
		d->rlen = (uint16_t)len;
		c->tls->seen = 1;
		used += REC_HDR;
		if (len > n - used) {	/* its end comes later (hop_start) */
			d->skip = len - (n - used);
			d->hop = 1;
			d->hop_frame = frame;
			d->hop_time = time;
			return n;
		}
		used += len;
		record_hopped(t, c, dir, (uint8_t)type, len, frame, time);
	}
}

/* Every state, and what hop_records() left. */
static __attribute__((noinline)) int
data_slow(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	/* the facts exist after the first bytes: no call to ask again (a
	   direction reaches D_RECORDS, and hop_records(), only here). A
	   connection whose first bytes are another protocol's, not TLS,
	   needs none. */
	if (c->tls == NULL || c->tls == &dt_tls_none) {
		if (dt_tls_start_stops(t, c, dir, p, n))
			return 0;
		if (dt_conn_tls_make_in(t->cap, t->m, c) == NULL)
			return 0;
	}
	while (n > 0) {
		enum dstate was = d->state;
		size_t before = n;

		switch (d->state) {
		case D_START:
			/* detect()'s first question, asked here: a record
			   header where the first bytes lie */
			if (d->len == 0 && n >= 3 &&
			    dt_tls_looks(t, c, p, n, dir))
				d->state = D_RECORDS;
			else
				dt_tls_detect(t, c, dir, &p, &n, frame, time);
			break;
		case D_HEAD:
			dt_tls_head(t, c, dir, &p, &n, frame, time);
			break;
		case D_PRE:
			dt_tls_preamble(t, c, dir, &p, &n, frame, time);
			break;
		case D_NONTLS:
			dt_tls_nontls_line(t, c, dir, &p, &n, frame, time);
			break;
		case D_SSL2:
			dt_tls_ssl2_hello(t, c, dir, &p, &n, frame, time);
			break;
		case D_RECORDS:
			records(t, c, dir, &p, &n, frame, time);
			break;
		case D_MID:
			dt_tls_midstream(t, c, dir, &p, &n, frame, time);
			if (d->state == D_RECORDS && d->len > 0)
				replay(t, c, dir);
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
	if (d->state == D_NONTLS)
		dt_tls_nontls_check(t, c, dir);
	if (d->state == D_DONE || d->state == D_STOP) {
		dir_free(t->m, d);
		return 0;
	}
	return 1;
}

int
dt_tls_data(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	struct tdir *d;
	size_t used;

	if (t == NULL || (dir != DT_C2S && dir != DT_S2C))
		return 0;
	d = &t->d[dir];
	if (d->state != D_RECORDS || d->len != 0 || d->resync || n == 0)
		return data_slow(t, c, dir, p, n, frame, time);
	used = hop_records(t, c, dir, p, n, frame, time);
	if (used < n)
		return data_slow(t, c, dir, p + used, n - used, frame, time);
	/* as records() and data_slow() end */
	slim(t, c, dir);
	if (t->m->failed) {
		stop(d);
		dir_free(t->m, d);
		return 0;
	}
	return 1;
}

/* The first place snaplen (or a gap) cut bytes the handshake needed. */
static void
truncated(struct dt_tls *t, struct dt_conn *c, uint64_t frame)
{
	struct dt_tls_rare *rf;

	if (dt_tls_rare(c->tls)->truncated ||
	    (rf = dt_tls_rare_make(t->m, c->tls)) == NULL)
		return;
	rf->truncated = 1;
	rf->truncated_frame = frame;
}

void
dt_tls_gap(struct dt_tls *t, struct dt_conn *c, int dir, uint64_t n,
    uint64_t frame)
{
	struct tdir *d;

	if (t == NULL || (dir != DT_C2S && dir != DT_S2C) ||
	    dt_conn_tls_make(t->m, c) == NULL)
		return;
	d = &t->d[dir];
	if (d->body && t->bstate != NULL)	/* its packets lost their frame */
		t->bsink->gap(t->bstate, c, dir, frame);
	if (d->state == D_DONE || d->state == D_STOP)
		return;
	if (d->state == D_RECORDS && d->len == 0 && d->skip >= n) {
		d->skip -= n;	/* inside a record only counted */
		if (d->skip == 0)
			hop_flush(t, c, dir);	/* its end was lost */
		return;
	}
	hop_flush(t, c, dir);
	if (d->resync) {
		/* still looking for a header: go on after the gap. The bytes
		   gathered toward the next header (the bad header itself when
		   its last byte ended the segment) are passed over too */
		d->skipped += d->len + n;
		unit_reset(d);
		return;
	}
	if (d->state == D_MID) {	/* undecided: search on after it */
		dt_tls_midstream_gap(t, dir, n);
		return;
	}
	dt_tls_detect_end(t, c, dir);
	if (d->state == D_NONTLS) {
		dt_tls_nontls_finish(t, c, dir);
		return;
	}
	if (d->state == D_PRE) {
		dt_tls_pre_end(t, c, dir);
		unit_reset(d);
		stop(d);
		dir_free(t->m, d);
		return;
	}
	/* A gap inside a record whose header we have: that record is lost
	   but the next one starts where its length says, so what follows
	   (an alert, CCS, application data) stays readable. The handshake
	   messages of this direction are not: where they begin is lost. */
	if (d->state == D_RECORDS && d->len >= REC_HDR &&
	    n <= (uint64_t)REC_HDR + d->rlen - d->len) {
		d->skip = (uint64_t)REC_HDR + d->rlen - d->len - n;
		if (!handshake_over(t, c))
			truncated(t, c, frame);
		unit_reset(d);
		d->hlen = 0;
		d->hmap.n = 0;
		d->hs_lost = 1;
		return;
	}
	/* bytes the handshake needed are missing (lost or cut by snaplen:
	   the rules tell which); before any TLS was seen nothing is known */
	if ((c->tls->seen || d->state == D_RECORDS || d->state == D_SSL2) &&
	    !handshake_over(t, c))
		truncated(t, c, frame);
	unit_reset(d);
	stop(d);
	dir_free(t->m, d);
}

void
dt_tls_end(struct dt_tls *t, struct dt_conn *c)
{
	struct dt_tls_facts *f;
	struct dt_tls_hello *h;
	int dir;

	/* no facts: every byte read so far ended its direction at once
	   (dt_tls_start_stops()), and nothing waits to be finished */
	if (t == NULL || c->tls == NULL || c->tls == &dt_tls_none)
		return;
	f = c->tls;
	if (t->ch_rversion != 0 && dt_tls_hello(f)->record_version == 0 &&
	    (h = dt_tls_hello_make(t->m, f)) != NULL)
		h->record_version = t->ch_rversion;	/* no ClientHello read */
	for (dir = 0; dir < 2; dir++) {
		if (t->d[dir].state == D_MID)
			dt_tls_midstream_end(t, dir);
		dt_tls_detect_end(t, c, dir);
		if (t->d[dir].state == D_NONTLS && t->d[dir].len > 0)
			dt_tls_nontls_finish(t, c, dir);
		if (t->d[dir].state == D_PRE)
			dt_tls_pre_end(t, c, dir);
		hop_flush(t, c, dir);	/* the capture ended inside it */
	}
	if (f->n_server_certs > 0 && t->x509 != NULL &&
	    dt_x509_ctx_has_anchors(t->x509) && f->chain == DT_CHAIN_UNCHECKED) {
		char *why = NULL;
		int64_t when = t->hs_time != 0 ? t->hs_time : f->ch_time;

		f->chain = dt_x509_verify_chain(t->x509, t->m, f->server_certs,
		    f->n_server_certs, when / 1000000000, &why);
		if (why == NULL && f->rare == NULL)
			;		/* nothing to say, nothing to free */
		else if (dt_tls_rare_make(t->m, f) == NULL)
			dt_free(t->m, why);
		else {
			dt_free(t->m, f->rare->chain_error);
			f->rare->chain_error = why;
		}
	}
	if (t->bstate != NULL) {
		t->bsink->end(t->bstate, c);
		t->bstate = NULL;
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
	if (t->bstate != NULL && t->bsink->buffered != NULL)
		n += t->bsink->buffered(t->bstate);
	return n;
}