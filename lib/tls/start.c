/*
 * tls/start: how each direction of a connection begins, before any record
 * is read (record.c hands over the bytes while a direction is in one of
 * these states):
 *
 *   D_START   the first bytes decide: a TLS record header (RFC 5246 6.2),
 *             an SSLv2-format hello (RFC 6101 E.2 / RFC 5246 E.2), a proxy
 *             "CONNECT " request, a plaintext preamble (preamble.c), or
 *             something that is not TLS;
 *   D_HEAD    a proxy's HTTP head (RFC 9110 9.3.6 CONNECT) through its empty
 *             line; a 2xx answer starts TLS in both directions;
 *   D_NONTLS  the first line of a reply that is not TLS, kept as the fact;
 *   D_SSL2    the SSLv2-format hello, gathered whole for handshake.c.
 */
#include "tls/tls.h"

#include <string.h>

#include "tls/tls_int.h"
#include "util/ports.h"

/*
 * The capture began inside this connection (no SYN seen), on a TLS port,
 * and this direction's first bytes are no record header and no text: the
 * middle of a record, or another protocol: D_MID (dt_tls_midstream())
 * tells which, where nDPI's 443-chrome.pcap, one server segment that
 * begins 8 bytes before an application-data header, was judged
 * wrong-server, an error of high confidence. Text (an HTTP reply, a
 * banner) is still what it is: a first line all of text, of three bytes
 * or more before its LF (or LINE_MAX bytes of it). Its first three bytes
 * were once enough, but one cut into ciphertext in twenty begins with
 * three printable bytes, and mercury's capture2.pcap has one with nine
 * ("`ZpPB5V"z" then dd) that was made wrong-server again; one in about
 * 600 begins with a printable byte or two and an LF. Text taken for a
 * cut costs only the search: what finds no record is the non-TLS fact
 * all the same. Other ports are not searched.
 * 1: search, 0: not, -1: more bytes to tell.
 */
static int
midstream_record(const struct dt_tls *t, const struct dt_conn *c,
    const uint8_t *b, size_t len)
{
	size_t i;

	if (c->roles_from_syn || !dt_ports_have(t->ports, c->server_port))
		return 0;
	for (i = 0; i < len && i < LINE_MAX; i++) {
		if (!dt_tls_is_text(b[i]))
			return 1;
		if (b[i] == '\n')
			return i < 3;
	}
	return i < LINE_MAX ? -1 : 0;
}

/* How first bytes that are not a record header begin, told where they
   lie (b, have: the segment, nothing gathered) when what they begin
   needs no buffer. The 100 MB day's HTTP on port 80 and binary
   protocols on other ports each gathered their first bytes in a buffer
   of their own. Nothing is changed here. */
enum {
	HERE_GATHER = 0,	/* detect() gathers them as before */
	HERE_TEXT,		/* a text preamble, its lines read in place */
	HERE_STOP,		/* the client did not begin with TLS: nothing
				   more to read */
};

static int
start_here(const struct dt_tls *t, const struct dt_conn *c, int dir,
    const uint8_t *b, size_t have)
{
	const struct tdir *cl = &t->d[DT_C2S];
	int rc;

	/* what detect() asks before the preamble (dt_tls_looks(), asked of
	   them already), each as it would; those that go on need the
	   bytes gathered */
	if (have < 5 || s2n_alert_head(b) || t->pre.agreed ||
	    midstream_record(t, c, b, have) != 0 ||
	    ((b[0] & 0x80) && b[2] == (dir == DT_C2S ? 1 : 4)) ||
	    (dir == DT_C2S && !t->connect && memcmp(b, "CON", 3) == 0) ||
	    (dir == DT_S2C && t->connect == 1 && memcmp(b, "HTT", 3) == 0))
		return HERE_GATHER;
	if (dir == DT_C2S || t->pre.family != 0 || cl->state == D_START ||
	    cl->state == D_PRE || cl->state == D_STOP) {
		/* a server that speaks first: its first bytes, as
		   gathered, may become the non-TLS fact */
		if (dir == DT_S2C && t->pre.family == 0 &&
		    !t->client_not_tls && cl->state == D_START && cl->len == 0)
			return HERE_GATHER;
		if ((rc = dt_tls_pre_text_here(t, dir, b, have)) < 0)
			return HERE_GATHER;
		if (rc > 0)
			return HERE_TEXT;
	}
	if (dir == DT_C2S || t->client_not_tls)
		return HERE_STOP;
	return HERE_GATHER;	/* D_NONTLS: its first line is gathered */
}

static void
stop_here(struct dt_tls *t, int dir)
{
	t->client_not_tls = 1;	/* a server's stop: it was already */
	unit_reset(&t->d[dir]);
	stop(&t->d[dir]);
}

/* detect() where the first bytes lie: 1 when decided. */
static int
detect_here(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *b,
    size_t have)
{
	switch (start_here(t, c, dir, b, have)) {
	case HERE_TEXT:
		dt_tls_pre_text_begin(t, dir);
		if (dir == DT_C2S)
			t->client_not_tls = 1;
		return 1;
	case HERE_STOP:
		stop_here(t, dir);
		return 1;
	default:
		return 0;
	}
}

int
dt_tls_start_stops(struct dt_tls *t, const struct dt_conn *c, int dir,
    const uint8_t *p, size_t n)
{
	const struct tdir *d = &t->d[dir];

	if (d->state != D_START || d->len != 0 ||
	    (n >= 3 && dt_tls_looks(t, c, p, n, dir)) ||
	    start_here(t, c, dir, p, n) != HERE_STOP)
		return 0;
	stop_here(t, dir);
	return 1;
}

/* final: no more bytes will come (the direction ended, or a gap cut
   it): a first line of text so far is text. */
static void
detect(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t **p,
    size_t *n, uint64_t frame, int64_t time, int final)
{
	struct tdir *d = &t->d[dir];
	static const char connect[] = "CONNECT ";
	static const char http[] = "HTTP/";
	int mid;

	if (d->len == 0 && *n >= 3 && dt_tls_looks(t, c, *p, *n, dir)) {
		d->state = D_RECORDS;	/* its records read where they lie */
		return;
	}
	if (d->len == 0 && detect_here(t, c, dir, *p, *n))
		return;
	if (!dt_tls_take(t, d, p, n, 3, frame, time))
		return;
	if (s2n_alert_head(d->buf) && dir == DT_S2C &&
	    !dt_tls_take(t, d, p, n, 5, frame, time))
		return;			/* an s2n alert? its length tells */
	if (dt_tls_looks(t, c, d->buf, d->len, dir)) {
		d->state = D_RECORDS;
		return;
	}
	if (t->pre.agreed) {
		/* the preamble agreed on TLS: these bytes should be a record */
		const struct fmark *fm = fmap_at(&d->bmap, 0);

		dt_tls_malformed(t, c, dir, fm->frame, fm->time,
		    "%s sent %02x %02x %02x, not a TLS record, after %s",
		    dt_tls_dir_name(dir), d->buf[0], d->buf[1], d->buf[2],
		    dt_tls_preamble_name(c->tls->preamble));
		d->state = D_RECORDS;
		dt_tls_resync_begin(d);
		return;
	}
	if ((mid = midstream_record(t, c, d->buf, d->len)) < 0) {
		(void)dt_tls_take(t, d, p, n, LINE_MAX, frame, time);
		mid = midstream_record(t, c, d->buf, d->len);
		if (mid < 0 && !final)
			return;
	}
	if (mid > 0) {
		d->state = D_MID;
		d->skipped = 0;		/* where the search goes on */
		return;
	}
	if ((d->buf[0] & 0x80) && d->buf[2] == (dir == DT_C2S ? 1 : 4)) {
		d->state = D_SSL2;	/* CLIENT-HELLO / SERVER-HELLO */
		return;
	}
	if (dir == DT_C2S && !t->connect && memcmp(d->buf, connect, 3) == 0) {
		if (!dt_tls_take(t, d, p, n, 8, frame, time))
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
	/* TLS after a plaintext preamble (preamble.c): any direction of a
	   connection whose client has not begun with TLS */
	if (dir == DT_C2S || t->pre.family != 0 ||
	    t->d[DT_C2S].state == D_START || t->d[DT_C2S].state == D_PRE ||
	    t->d[DT_C2S].state == D_STOP) {
		const struct tdir *cl = &t->d[DT_C2S];
		int greeting = dir == DT_S2C && t->pre.family == 0 &&
		    !t->client_not_tls && cl->state == D_START && cl->len == 0;
		int rc = dt_tls_pre_begin(t, dir, p, n, frame, time);

		if (rc < 0)
			return;		/* more bytes to tell */
		if (rc > 0) {
			if (greeting)
				t->pre.greeting = 1;
			if (dir == DT_C2S)
				t->client_not_tls = 1;
			return;
		}
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

void
dt_tls_detect(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t **p,
    size_t *n, uint64_t frame, int64_t time)
{
	detect(t, c, dir, p, n, frame, time, 0);
}

/*
 * No more bytes: a midstream start that waited for the end of its first
 * line of text is decided on what it has, as any start once was on three
 * bytes (a reply the capture ended in, or lost the rest of, is still the
 * non-TLS fact).
 */
void
dt_tls_detect_end(struct dt_tls *t, struct dt_conn *c, int dir)
{
	struct tdir *d = &t->d[dir];
	const uint8_t *p = NULL;
	size_t n = 0;

	if (d->state == D_START && d->len >= 3 &&
	    midstream_record(t, c, d->buf, d->len) < 0)
		detect(t, c, dir, &p, &n, 0, 0, 1);
}

/* ---- a midstream start --------------------------------------------------- */

/* The bytes a midstream direction gathers at most to find its first
   record: a record is at most REC_MAX long, so a TLS stream cut anywhere
   shows a header within REC_MAX + REC_HDR bytes, and the next one at
   most REC_MAX after that header's end. */
#define MID_MAX	(2 * (REC_MAX + REC_HDR) + REC_HDR)

/* Not TLS (no record found, or the direction ended before one): as for
   any other start that is not, a server's first bytes are the non-TLS
   fact and a client's end its parsing; but the server's fact stays when
   its client's bytes were not TLS either (a start seen from its SYN
   drops it then): in a capture that began inside the connection neither
   side was seen to speak first, and a port 443 that carries another
   protocol is what the fact says (nDPI's KakaoTalk). */
void
dt_tls_midstream_end(struct dt_tls *t, int dir)
{
	struct tdir *d = &t->d[dir];

	d->skipped = 0;
	if (dir == DT_S2C) {
		d->state = D_NONTLS;
		return;
	}
	t->client_not_tls = 1;
	unit_reset(d);
	stop(d);
}

/* Records from `at` on: the bytes before it are the fact; record.c
   reads what was gathered after it (dt_tls_data: D_MID). */
static void
mid_records(struct dt_tls *t, struct dt_conn *c, int dir, size_t at)
{
	struct tdir *d = &t->d[dir];

	dt_tls_resynced(t, c, dir, fmap_at(&d->bmap, at), d->mid_lost + at);
	dt_tls_consume(d, at);
	d->skipped = 0;
	d->mid_lost = 0;
	d->hs_lost = 1;
	d->state = D_RECORDS;
}

/*
 * D_MID: a header, and the next one where its length says, both
 * plausible (one alone turns up by chance in other protocols' bytes now
 * and then). Found: records from there, the bytes before it the resync
 * fact. Not within MID_MAX bytes, or not before the direction ends: not
 * TLS, and the first bytes are the non-TLS fact as for any other start.
 */
void
dt_tls_midstream(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t **p, size_t *n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	size_t i, want;

	for (;;) {
		for (i = (size_t)d->skipped; i + REC_HDR <= d->len; i++) {
			size_t next;

			if (!dt_tls_plausible(d->buf + i))
				continue;
			next = i + REC_HDR + (size_t)(d->buf[i + 3] << 8 |
			    d->buf[i + 4]);
			if (next + REC_HDR > d->len)
				break;		/* its follower not here yet */
			if (dt_tls_plausible(d->buf + next)) {
				mid_records(t, c, dir, i);
				return;
			}
		}
		d->skipped = i;
		if (d->len >= MID_MAX) {
			dt_tls_midstream_end(t, dir);
			return;
		}
		if (*n == 0)
			return;
		want = d->len + *n < MID_MAX ? d->len + *n : MID_MAX;
		if (!dt_tls_take(t, d, p, n, want, frame, time) &&
		    d->state == D_STOP)
			return;
	}
}

/*
 * A gap before the start was told: a header before it cannot be chained
 * to one after it, so the search begins again after the gap, with the
 * bytes gathered and lost counted as passed over. Deciding "not TLS"
 * there made a stream caught inside a large record that then lost a
 * segment (mercury's capture2.pcap: 16 KB application-data records,
 * the second segment missing) a wrong-server error.
 */
void
dt_tls_midstream_gap(struct dt_tls *t, int dir, uint64_t n)
{
	struct tdir *d = &t->d[dir];

	d->mid_lost += d->len + n;
	unit_reset(d);
	d->skipped = 0;
}

/* A proxy's HTTP head: through the empty line. */
void
dt_tls_head(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t **p,
    size_t *n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	while (*n > 0) {
		size_t before = d->len;
		size_t i;
		int status;

		if (!dt_tls_take(t, d, p, n, d->len + 1, frame, time))
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
		if (status == 2) {
			const struct fmark *fm = fmap_at(&d->bmap, d->len - 1);

			c->tls->preamble = DT_PRE_HTTP_CONNECT;
			if (dt_tls_rare_make(t->m, c->tls) != NULL)
				c->tls->rare->preamble_frame = fm->frame;
			dt_tls_event(t, c, DT_EV_TLS_UPGRADE, dir, fm->frame,
			    fm->time, DT_PRE_HTTP_CONNECT, 0);
			unit_reset(d);
			d->state = D_START;
		} else {
			unit_reset(d);
			stop(d);
		}
		return;
	}
}

/*
 * A server's whole answer to the ClientHello is one 7-byte unit shaped
 * like a record: a header that cannot be TLS, a length of 2 and a body
 * whose second byte is an alert description (zeek's
 * tls-1.2-protocol-error.pcap: "00 00 00 00 02 00 28" then FIN, a
 * NULL-only hello refused by a stack that zeroed the header). Those are
 * TLS bytes gone wrong, not another service: told as a protocol
 * violation, never as wrong-server. Judged when the reply is complete
 * (its direction ended), so however the segments split it.
 */
static int
damaged_alert(const struct dt_tls *t, const struct dt_conn *c,
    const struct tdir *d, int dir)
{
	const uint8_t *b = d->buf;

	return dir == DT_S2C && c->tls->ch_frame != 0 && d->len == 7 &&
	    t->d[DT_C2S].state == D_RECORDS && (b[0] < 20 || b[0] > 24 ||
	    b[1] != 3) && b[3] == 0 && b[4] == 2 && b[5] <= 2 &&
	    dt_tls_alert_name(b[6]) != NULL;
}

/* The first printable line of a non-TLS reply: the fact, and the
   direction is done. */
void
dt_tls_nontls_finish(struct dt_tls *t, struct dt_conn *c, int dir)
{
	struct tdir *d = &t->d[dir];

	if (damaged_alert(t, c, d, dir)) {
		const struct fmark *fm = fmap_at(&d->bmap, 0);
		char al[64];

		dt_tls_malformed(t, c, dir, fm->frame, fm->time,
		    "a 7-byte answer to the ClientHello, its header not TLS "
		    "(content type %u, version 0x%02x%02x) but its length "
		    "that of its body, a %s alert: a broken TLS stack or a "
		    "device rewriting it, not another protocol", d->buf[0],
		    d->buf[1], d->buf[2], dt_tls_alert_str(d->buf[6], al,
		    sizeof al));
	} else
		dt_tls_nontls_fact(t, c, dir);
	unit_reset(d);
	stop(d);
}

/* Is the first line of a non-TLS reply complete (or long enough)? */
static int
line_complete(const struct tdir *d)
{
	return d->len >= LINE_MAX ||
	    (d->len > 0 && memchr(d->buf, '\n', d->len) != NULL);
}

void
dt_tls_nontls_line(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t **p, size_t *n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];

	if (d->state != D_NONTLS)
		return;
	if (line_complete(d)) {
		dt_tls_nontls_finish(t, c, dir);
		return;
	}
	(void)dt_tls_take(t, d, p, n, d->len + 1, frame, time);
}

void
dt_tls_nontls_check(struct dt_tls *t, struct dt_conn *c, int dir)
{
	if (t->d[dir].state == D_NONTLS && line_complete(&t->d[dir]))
		dt_tls_nontls_finish(t, c, dir);
}

void
dt_tls_ssl2_hello(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t **p, size_t *n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	const struct fmark *fm;

	if (!dt_tls_take(t, d, p, n, 2, frame, time))
		return;
	if (!dt_tls_take(t, d, p, n, 2 + ((size_t)(d->buf[0] & 0x7F) << 8 |
	    d->buf[1]), frame, time))
		return;
	fm = fmap_at(&d->bmap, 0);
	if (dir == DT_S2C) {
		dt_tls_sslv2_server_hello(t, c, fm->frame, fm->time);
		unit_reset(d);
		return;
	}
	if (t->ssl2_server) {
		dt_tls_sslv2_client_master_key(t, c, fm->frame, fm->time);
		unit_reset(d);
		return;
	}
	dt_tls_sslv2_client_hello(t, c, fm->frame, fm->time);
	if (d->state == D_SSL2) {
		d->state = D_RECORDS;
		d->sslv2 = 1;
	}
	unit_reset(d);
}
