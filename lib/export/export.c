/*
 * export/: what datrace read, as one pcapng section for Wireshark
 * (dt_export_pcapng, `datrace --export`).
 *
 * The capture is read a second time, streaming, by the same reader that
 * analysed it, so frame numbers are the analysis' own (SPEC 1: every packet
 * record counted from 1); the packet count is compared at the end, so a file
 * that changed in between is an error, never a silently wrong export.
 * Every packet goes out as an Enhanced Packet Block; a further sighting of
 * a packet pktmon or netsh logged at several components is left out (the
 * analysis skipped it too) unless it is a drop or a verdict's evidence.
 * Every other ETL record becomes a LINKTYPE_ETW (290) packet on its own
 * interface, laid out as tcpdump.org's LINKTYPE_ETW page and Wireshark's
 * packet-etw.c read it: EVENT_HEADER (80 bytes), ETW_BUFFER_CONTEXT (4),
 * UserDataLength, MessageLength, ProviderNameLength, then the user data,
 * a message and the provider name (UTF-16LE, each padded to 32 bits).
 * Records are handed over as buffers are decoded, ahead of the packets the
 * ETL reader reorders by time, so they wait in a bounded queue and go out
 * before the first packet that is not older than them: one timeline.
 * Comments (opt_comment): pktmon's component and drop reason, the analysis'
 * frame number where Wireshark's count differs (ETW blocks, sightings left
 * out), and on each evidence frame the verdict and the frame's role in it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer_int.h"
#include "capture/capture.h"
#include "capture/etl.h"
#include "events/events.h"
#include "export/pcapng_out.h"
#include "facts/facts.h"
#include "net/encap.h"
#include "report/ladder.h"
#include "report/report.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/utf8.h"

#define LINKTYPE_ETW	290
#define MAX_IFACES	256		/* input interfaces told apart */
#define QUEUE_BYTES	(4u << 20)	/* ETW records waiting for packets */
#define FILETIME_1970	UINT64_C(116444736000000000)
#define MESSAGE_MAX	2048		/* bytes of an ETW packet's message */

struct iface {
	uint32_t in;			/* the reader's interface index */
	int linktype;
	uint32_t out;			/* its Interface Description Block */
};

struct evidence {
	uint64_t frame;
	const struct dt_verdict *v;
	size_t k;			/* index in v->frames */
	size_t order;			/* verdict order, for a stable sort */
	const struct dt_dns *dns;	/* the frame is this DNS query or */
	const struct dt_http *http;	/* answer, HTTP request or response */
};

struct qev {				/* an ETL record waiting in the queue */
	struct dt_etw_event ev;		/* provider: unset, see guid */
	uint8_t guid[16];
	int has_guid;
	uint8_t *data;			/* its user data, owned */
	int64_t t;			/* where it goes on the timeline */
	uint64_t seq;			/* record order, among equal times */
	const struct dt_winevent *we;	/* the analysis' decoding, or NULL */
};

struct exp {
	struct dt_analyzer *a;
	const struct dt_capture *cap;
	struct dt_mem mem;
	struct dt_png png;
	struct iface ifaces[MAX_IFACES];
	size_t n_ifaces;
	uint32_t n_idb;			/* Interface Description Blocks */
	uint32_t etw_iface;		/* UINT32_MAX: not written yet */
	uint64_t written;		/* blocks that are frames in Wireshark */
	struct evidence *evid;
	size_t n_evid;
	struct qev *q;			/* a heap, earliest first */
	size_t q_n, q_cap, q_bytes;
	uint64_t q_seq;
	int64_t seen_time;		/* the latest record time seen */
	int failed;			/* memory */
	const struct dt_winevent *we;	/* the next decoded event to meet */
	struct dt_buf block, text, msg, msg16, name16;
	dt_export_counts counts;
	struct dt_spill_walk sw;	/* the walks over the capture's kept
					   facts give back what they read */
};

/* ---- evidence comments ----------------------------------------------- */

static int
by_frame(const void *x, const void *y)
{
	const struct evidence *a = x, *b = y;

	if (a->frame != b->frame)
		return a->frame < b->frame ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static size_t evidence_find(const struct exp *x, uint64_t frame);

/* The DNS messages and HTTP heads that are evidence frames, found in one
   pass over each list (a binary search of the evidence per entry). */
/* The evidence entries of `frame` (none when 0) learn the DNS message or
   HTTP exchange it carries (either may be NULL: left as it is). */
static void
side_mark(struct exp *x, uint64_t frame, const struct dt_dns *d,
    const struct dt_http *h)
{
	size_t i;

	for (i = frame ? evidence_find(x, frame) : x->n_evid;
	    i < x->n_evid && x->evid[i].frame == frame; i++) {
		if (d != NULL)
			x->evid[i].dns = d;
		if (h != NULL)
			x->evid[i].http = h;
	}
}

static void
side_roles(struct exp *x)
{
	const struct dt_dns *d;
	const struct dt_http *h;
	size_t i;

	for (i = 0; (d = dt_capture_dns(x->cap, i)) != NULL; i++) {
		dt_capture_spill_step(x->cap, &x->sw);
		side_mark(x, dt_dns_query_frame_of(d), d, NULL);
		side_mark(x, dt_dns_answer_frame_of(d), d, NULL);
	}
	for (h = x->cap->http; h != NULL; h = h->next) {
		dt_capture_spill_step(x->cap, &x->sw);
		side_mark(x, h->request_frame, NULL, h);
		side_mark(x, h->response_frame, NULL, h);
	}
}

static int
evidence_build(struct exp *x)
{
	const struct dt_verdict *v;
	size_t n = 0, order = 0, k;

	for (v = x->cap->verdicts; v != NULL; v = v->next) {
		dt_capture_spill_step(x->cap, &x->sw);
		n += v->n_frames;
	}
	if (n == 0)
		return 0;
	x->evid = dt_calloc(&x->mem, n, sizeof *x->evid);
	if (x->evid == NULL)
		return -1;
	for (v = x->cap->verdicts; v != NULL; v = v->next, order++) {
		dt_capture_spill_step(x->cap, &x->sw);
		for (k = 0; k < v->n_frames; k++) {
			x->evid[x->n_evid].frame = v->frames[k];
			x->evid[x->n_evid].v = v;
			x->evid[x->n_evid].k = k;
			x->evid[x->n_evid++].order = order;
		}
	}
	qsort(x->evid, x->n_evid, sizeof *x->evid, by_frame);
	side_roles(x);
	return 0;
}

/* The first evidence entry of frame, or n_evid. */
static size_t
evidence_find(const struct exp *x, uint64_t frame)
{
	size_t lo = 0, hi = x->n_evid, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (x->evid[mid].frame < frame)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->n_evid && x->evid[lo].frame == frame ? lo : x->n_evid;
}

/* What frame is inside the IP-HTTPS tunnel of c, or NULL. */
static const char *
tunnel_role(const struct dt_conn *c, uint64_t frame, char *out, size_t n)
{
	const struct dt_tunnel_facts *t = c->tunnel;
	size_t i;

	if (t == NULL)
		return NULL;
	if (frame == t->rs_frame)
		return "the client's first Router Solicitation in the tunnel";
	if (frame == t->ra_frame)
		return "the server's first Router Advertisement in the tunnel";
	for (i = 0; i < t->n_ike; i++) {
		if (frame == t->ike[i].notify_frame) {
			snprintf(out, n, "the %s's IKEv%u error notification",
			    t->ike[i].notify_dir == DT_C2S ? "client" :
			    "server", t->ike[i].version);
			return out;
		}
		if (frame == t->ike[i].first_frame ||
		    frame == t->ike[i].first_response_frame ||
		    frame == t->ike[i].unanswered_frame) {
			snprintf(out, n, "the first IKEv%u %s in the tunnel",
			    t->ike[i].version, frame ==
			    t->ike[i].first_response_frame ? "answer" :
			    frame == t->ike[i].unanswered_frame ?
			    "request never answered" : "request");
			return out;
		}
	}
	for (i = 0; i < t->n_esp; i++)
		if (frame == t->esp[i].first_frame) {
			snprintf(out, n, "the %s's first ESP packet (SPI "
			    "0x%08x) in the tunnel", t->esp[i].dir == DT_C2S ?
			    "client" : "server", (unsigned)t->esp[i].spi);
			return out;
		}
	if (frame == t->dns_error_frame)
		return "the first DNS error answer in the tunnel";
	if (frame == t->dns_unanswered_frame)
		return "the first DNS query in the tunnel never answered";
	if (frame == t->dns_query_frame)
		return "the first DNS query in the tunnel";
	for (i = 0; i < 2; i++)
		if (frame == t->dir[i].error_frame)
			return i == DT_C2S ? "where the client's tunnel stream "
			    "breaks" : "where the server's tunnel stream breaks";
	for (i = 0; i < 2; i++) {
		if (frame == t->dir[i].first_frame)
			return i == DT_C2S ? "the client's first packet in the "
			    "tunnel" : "the server's first packet in the tunnel";
		if (frame == t->dir[i].last_frame)
			return i == DT_C2S ? "the client's last packet in the "
			    "tunnel" : "the server's last packet in the tunnel";
	}
	for (i = 0; i < t->n_ike; i++)
		if (frame == t->ike[i].last_frame) {
			snprintf(out, n, "the last IKEv%u packet in the tunnel",
			    t->ike[i].version);
			return out;
		}
	return NULL;
}

/*
 * What the evidence frame is, for its comment: the message of the
 * connection's ladder the verdict cites ("the client's ClientHello", "the
 * server's RST"), else the TCP handshake, a packet inside the IP-HTTPS
 * tunnel, a DNS query or answer, an HTTP request or response, the first
 * packet of a transition tunnel; NULL when none of these.
 */
static const char *
frame_role(const struct exp *x, const struct evidence *e,
    const struct dt_conn *c, char *out, size_t n)
{
	const struct dt_verdict *v = e->v;
	const char *r;
	struct dt_step st;
	long i = c != NULL ? dt_ladder_evidence_event(c, v, e->frame) : -1;
	int k;

	if (i >= 0) {
		dt_ladder_step(c, &c->events[i], &st);
		snprintf(out, n, "the %s's %s", c->events[i].dir == DT_C2S ?
		    "client" : "server", st.label != NULL ? st.label :
		    "message");
		return out;
	}
	if (c != NULL && e->frame == c->syn_frame)
		return "the client's SYN";
	if (c != NULL && e->frame == c->synack_frame)
		return "the server's SYN-ACK";
	if (c != NULL && e->frame == c->rst_frame)
		return c->rst_dir == DT_C2S ? "the client's RST" :
		    "the server's RST";
	if (c != NULL && (r = tunnel_role(c, e->frame, out, n)) != NULL)
		return r;
	if (e->dns != NULL) {
		snprintf(out, n, "the DNS %s for %s", e->frame ==
		    dt_dns_query_frame_of(e->dns) ? "query" : "answer", e->dns->name ?
		    e->dns->name : "?");
		return out;
	}
	if (e->http != NULL && e->frame == e->http->request_frame) {
		snprintf(out, n, "the HTTP request %s %s", e->http->method ?
		    e->http->method : "", e->http->uri ? e->http->uri : "");
		return out;
	}
	if (e->http != NULL) {
		snprintf(out, n, "the HTTP response \"%s\"",
		    e->http->status_line ? e->http->status_line : "");
		return out;
	}
	for (k = 1; k < DT_ENCAP_MAX; k++)
		if (x->cap->encap[k].packets > 0 &&
		    e->frame == x->cap->encap[k].first_frame) {
			snprintf(out, n, "the first %s packet",
			    dt_encap_name(k));
			return out;
		}
	return NULL;
}

/*
 * "datrace null-cipher-absent (error): the client's ClientHello, evidence
 * 1 of 2. <summary>": the verdict, what this frame is (frame_role), and
 * the verdict's one line; appended to x->text.
 */
static void
evidence_text(struct exp *x, const struct evidence *e)
{
	const struct dt_verdict *v = e->v;
	const struct dt_conn *c = v->conn ? dt_facts_conn_by_id(x->cap, v->conn) : NULL;
	char buf[200];
	const char *role = frame_role(x, e, c, buf, sizeof buf);

	dt_buf_printf(&x->text, "datrace %s (%s): ", v->id,
	    dt_severity_name(v->severity));
	if (role != NULL)
		dt_buf_printf(&x->text, "%s, ", role);
	dt_buf_printf(&x->text, "evidence %zu of %zu. %s", e->k + 1,
	    (size_t)v->n_frames, v->summary != NULL ? v->summary : "");
}

/* ---- interfaces -------------------------------------------------------- */

static uint32_t
iface_of(struct exp *x, const struct dt_packet *pkt)
{
	size_t i;

	for (i = 0; i < x->n_ifaces; i++)
		if (x->ifaces[i].in == pkt->iface &&
		    x->ifaces[i].linktype == pkt->linktype)
			return x->ifaces[i].out;
	if (x->n_ifaces == MAX_IFACES) {	/* share one of its link type */
		for (i = 0; i < x->n_ifaces; i++)
			if (x->ifaces[i].linktype == pkt->linktype)
				return x->ifaces[i].out;
		return UINT32_MAX;
	}
	x->ifaces[x->n_ifaces].in = pkt->iface;
	x->ifaces[x->n_ifaces].linktype = pkt->linktype;
	x->ifaces[x->n_ifaces++].out = x->n_idb;
	dt_png_idb(&x->png, pkt->linktype, pkt->iface_name);
	return x->n_idb++;
}

/* ---- ETW records ------------------------------------------------------- */

static void
le16(struct dt_buf *b, uint16_t v)
{
	char p[2] = { (char)(v & 0xff), (char)(v >> 8) };

	dt_buf_putn(b, p, 2);
}

static void
le32(struct dt_buf *b, uint32_t v)
{
	le16(b, (uint16_t)v);
	le16(b, (uint16_t)(v >> 16));
}

static void
le64(struct dt_buf *b, uint64_t v)
{
	le32(b, (uint32_t)v);
	le32(b, (uint32_t)(v >> 32));
}

/* n bytes and their padding to 32 bits */
static size_t
padded(size_t n)
{
	return n + (4 - n % 4) % 4;
}

static void
pad4(struct dt_buf *b, size_t n)
{
	dt_buf_putn(b, "\0\0\0", padded(n) - n);
}

/* UTF-8 s as UTF-16LE with its NUL, into b (which is reset); a byte that
   starts no sequence becomes U+FFFD. Returns the bytes written. */
static size_t
utf16(struct dt_buf *b, const char *s)
{
	size_t n = strlen(s), k, c;
	uint32_t cp;

	dt_buf_reset(b);
	for (k = 0; k < n; k += c ? c : 1) {
		c = dt_utf8_next(s + k, n - k, &cp);
		if (c == 0)
			cp = 0xFFFD;
		if (cp >= 0x10000) {
			le16(b, (uint16_t)(0xD800 + ((cp - 0x10000) >> 10)));
			le16(b, (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
		} else
			le16(b, (uint16_t)cp);
	}
	le16(b, 0);
	return b->n;
}

/* The ETW packet's message (Wireshark's Info column): the decoded event
   in the text report's words, else what it is. */
static void
etw_message(struct exp *x, const struct dt_etw_event *ev, int system,
    const char *name, const struct dt_winevent *we)
{
	size_t n;

	dt_buf_reset(&x->msg);
	if (we != NULL)
		dt_report_winevent_line(&x->msg, we);
	else if (system)
		dt_buf_printf(&x->msg, "system record (trace header type %u)",
		    ev->header_type);
	else
		dt_buf_printf(&x->msg, "%s event %u", name, ev->id);
	if (x->msg.err || x->msg.n <= MESSAGE_MAX)
		return;
	/* cut at a character's start */
	for (n = MESSAGE_MAX; n > 0 && ((uint8_t)x->msg.p[n] & 0xC0) == 0x80;
	    n--)
		;
	x->msg.p[n] = '\0';
	x->msg.n = n;
}

static void
etw_write(struct exp *x, const struct dt_etw_event *ev, const uint8_t *guid,
    const uint8_t *data, size_t len, const struct dt_winevent *we, int64_t t)
{
	static const uint8_t zero[16];
	char who[40];
	const char *name = guid != NULL ? dt_etw_provider_name(guid) : "kernel";
	size_t mlen, plen, total;

	if (name == NULL) {
		dt_etw_guid_text(who, guid);
		name = who;
	}
	etw_message(x, ev, guid == NULL, name, we);
	if (len > UINT16_MAX)
		len = UINT16_MAX;
	mlen = utf16(&x->msg16, dt_buf_str(&x->msg));
	plen = utf16(&x->name16, name);
	total = 96 + padded(len) + padded(mlen) + padded(plen);
	dt_buf_reset(&x->block);
	/* EVENT_HEADER */
	le16(&x->block, total > UINT16_MAX ? UINT16_MAX : (uint16_t)total);
	le16(&x->block, (uint16_t)ev->header_type);
	le16(&x->block, 0);			/* Flags */
	le16(&x->block, 0);			/* EventProperty */
	le32(&x->block, ev->tid);
	le32(&x->block, ev->pid);
	le64(&x->block, t < 0 ? 0 : (uint64_t)t / 100 + FILETIME_1970);
	dt_buf_putn(&x->block, (const char *)(guid != NULL ? guid : zero), 16);
	le16(&x->block, ev->id);		/* EVENT_DESCRIPTOR */
	dt_buf_putn(&x->block, (const char *)&ev->version, 1);
	dt_buf_putn(&x->block, "\0", 1);	/* Channel */
	dt_buf_putn(&x->block, (const char *)&ev->level, 1);
	dt_buf_putn(&x->block, (const char *)&ev->opcode, 1);
	le16(&x->block, ev->task);
	le64(&x->block, ev->keyword);
	le64(&x->block, 0);			/* ProcessorTime */
	dt_buf_putn(&x->block, (const char *)zero, 16);	/* ActivityId */
	le32(&x->block, 0);			/* ETW_BUFFER_CONTEXT */
	le32(&x->block, (uint32_t)len);
	le32(&x->block, (uint32_t)mlen);
	le32(&x->block, (uint32_t)plen);
	dt_buf_putn(&x->block, (const char *)data, len);
	pad4(&x->block, len);
	dt_buf_putn(&x->block, x->msg16.p, mlen);
	pad4(&x->block, mlen);
	dt_buf_putn(&x->block, x->name16.p, plen);
	pad4(&x->block, plen);
	if (x->block.err || x->msg.err || x->msg16.err || x->name16.err) {
		x->failed = 1;
		return;
	}
	if (x->etw_iface == UINT32_MAX) {
		x->etw_iface = x->n_idb++;
		dt_png_idb(&x->png, LINKTYPE_ETW, "ETW events");
	}
	dt_png_epb(&x->png, x->etw_iface, t, x->block.p,
	    (uint32_t)x->block.n, (uint32_t)x->block.n, NULL, 0);
	x->written++;
	x->counts.events++;
}

/* Heap order: by time, then as the records came. */
static int
q_less(const struct qev *a, const struct qev *b)
{
	return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

/* The earliest waiting record out to the file. */
static void
queue_pop(struct exp *x)
{
	struct qev top = x->q[0], last;
	size_t i = 0, c, n;

	etw_write(x, &top.ev, top.has_guid ? top.guid : NULL, top.data,
	    top.ev.len, top.we, top.t);
	x->q_bytes -= top.ev.len;
	dt_free(&x->mem, top.data);
	n = --x->q_n;
	if (n == 0)
		return;
	last = x->q[n];
	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && q_less(&x->q[c + 1], &x->q[c]))
			c++;
		if (!q_less(&x->q[c], &last))
			break;
		x->q[i] = x->q[c];
		i = c;
	}
	x->q[i] = last;
}

/* Records not newer than t (every one when t is INT64_MAX). */
static void
queue_flush(struct exp *x, int64_t t)
{
	while (x->q_n > 0 && x->q[0].t <= t)
		queue_pop(x);
}

static int
queue_push(struct exp *x, const struct qev *e)
{
	size_t i;
	void *p;

	/* a full queue writes its earliest: the order may then slip, the
	   memory stays bounded */
	while (x->q_n > 0 && x->q_bytes + e->ev.len > QUEUE_BYTES)
		queue_pop(x);
	if (x->q_n == x->q_cap) {
		size_t ncap = x->q_cap ? 2 * x->q_cap : 256;

		if ((p = dt_realloc(&x->mem, x->q, ncap * sizeof *x->q)) ==
		    NULL)
			return -1;
		x->q = p;
		x->q_cap = ncap;
	}
	for (i = x->q_n++; i > 0 && q_less(e, &x->q[(i - 1) / 2]);
	    i = (i - 1) / 2)
		x->q[i] = x->q[(i - 1) / 2];
	x->q[i] = *e;
	x->q_bytes += e->ev.len;
	return 0;
}

/*
 * The analysis' decoding of record ev, if it kept one: its decoded events
 * are in record order, so one cursor walks them as the records come. A
 * compressed buffer's records share its offset: the event id and time
 * tell them apart.
 */
static const struct dt_winevent *
decoded(struct exp *x, const struct dt_etw_event *ev)
{
	const struct dt_winevent *we;

	while (x->we != NULL && x->we->offset < ev->offset)
		x->we = x->we->next;
	we = x->we;
	if (we == NULL || we->offset != ev->offset || we->id != ev->id ||
	    we->has_time != ev->has_time || (ev->has_time &&
	    we->time != ev->time))
		return NULL;
	x->we = we->next;
	return we;
}

/* The reader's events callback: the record waits in the queue, at its
   own time or, without one, the last time seen. */
static void
on_event(void *payload, const struct dt_etw_event *ev)
{
	struct exp *x = payload;
	struct qev e;
	size_t len = ev->len > UINT16_MAX ? UINT16_MAX : ev->len;

	/* the packet providers' packet events went out as packets */
	if (x->failed || dt_etl_packet_event(ev->provider, ev->id))
		return;
	memset(&e, 0, sizeof e);
	e.ev = *ev;
	e.ev.provider = NULL;
	e.ev.len = len;
	e.has_guid = ev->provider != NULL;
	if (e.has_guid)
		memcpy(e.guid, ev->provider, 16);
	e.we = decoded(x, ev);
	if (ev->has_time && ev->time > x->seen_time)
		x->seen_time = ev->time;
	e.t = ev->has_time ? ev->time : x->seen_time;
	e.seq = x->q_seq++;
	e.data = dt_malloc(&x->mem, len ? len : 1);
	if (e.data == NULL) {
		x->failed = 1;
		return;
	}
	if (len > 0)
		memcpy(e.data, ev->data, len);
	e.ev.data = e.data;
	if (queue_push(x, &e) != 0) {
		dt_free(&x->mem, e.data);
		x->failed = 1;
	}
}

/* ---- packets ----------------------------------------------------------- */

/* "PktMon component 5 (nic.sys), edge 1, in, dropped: <reason> at
   0xE000460A": what pktmon said of this sighting. */
static void
pktmon_text(char *out, size_t len, const struct dt_pktmon_meta *m)
{
	snprintf(out, len, "PktMon component %u%s%s%s, edge %u%s%s%s%s%s",
	    m->component, m->component_name[0] ? " (" : "",
	    m->component_name, m->component_name[0] ? ")" : "", m->edge,
	    m->direction == DT_DIR_IN ? ", in" : m->direction == DT_DIR_OUT ?
	    ", out" : "", m->dropped ? ", dropped: " : "",
	    m->dropped ? m->drop_reason : "", m->dropped ? " at " : "",
	    m->dropped ? m->drop_location : "");
}

/* At most this many evidence comments on one frame (the verdicts citing
   one frame are few; the rest are in the report). */
#define MAX_EVIDENCE_COMMENTS	4

static void
packet_write(struct exp *x, const struct dt_packet *pkt, size_t ev_first)
{
	struct dt_png_opt opt[4 + MAX_EVIDENCE_COMMENTS];
	char meta[320], frame[40];
	size_t n = 0, i, m = 0, offs[MAX_EVIDENCE_COMMENTS];
	uint32_t flags = pkt->dir == DT_DIR_IN ? 1 : pkt->dir == DT_DIR_OUT ?
	    2 : 0;
	uint32_t iface = iface_of(x, pkt);

	if (iface == UINT32_MAX)
		return;
	if (pkt->comment != NULL && pkt->comment_len > 0)
		opt[n++] = (struct dt_png_opt){ DT_PNG_OPT_COMMENT,
		    pkt->comment, pkt->comment_len };
	else if (pkt->pktmon != NULL && pkt->pktmon->present) {
		pktmon_text(meta, sizeof meta, pkt->pktmon);
		opt[n++] = (struct dt_png_opt){ DT_PNG_OPT_COMMENT, meta,
		    strlen(meta) };
	}
	if (x->written + 1 != pkt->frame) {
		snprintf(frame, sizeof frame, "datrace frame %llu",
		    (unsigned long long)pkt->frame);
		opt[n++] = (struct dt_png_opt){ DT_PNG_OPT_COMMENT, frame,
		    strlen(frame) };
	}
	if (flags != 0)
		opt[n++] = (struct dt_png_opt){ DT_PNG_EPB_FLAGS, &flags, 4 };
	/* the evidence comments, one option each, built in one buffer */
	dt_buf_reset(&x->text);
	for (i = ev_first; i < x->n_evid && m < MAX_EVIDENCE_COMMENTS &&
	    x->evid[i].frame == pkt->frame; i++) {
		offs[m++] = x->text.n;
		evidence_text(x, &x->evid[i]);
	}
	if (x->text.err) {
		x->failed = 1;
		return;
	}
	for (i = 0; i < m; i++)
		opt[n++] = (struct dt_png_opt){ DT_PNG_OPT_COMMENT,
		    x->text.p + offs[i], (i + 1 < m ? offs[i + 1] :
		    x->text.n) - offs[i] };
	dt_png_epb(&x->png, iface, pkt->time, pkt->data, pkt->caplen,
	    pkt->origlen, opt, n);
	x->counts.comments += m;
	x->written++;
	x->counts.packets++;
}

/* ---- the pass ---------------------------------------------------------- */

static int
run(struct exp *x, struct dt_reader *r, const char *path)
{
	struct dt_packet pkt;
	uint64_t frames = 0;
	size_t e;

	/* records without a time of their own (kernel and system ones) take
	   the latest record time seen, from the trace's start on */
	x->seen_time = dt_etl_info(r) != NULL && dt_etl_info(r)->start_ns > 0 ?
	    dt_etl_info(r)->start_ns : x->cap->first_time;
	dt_png_shb(&x->png, "datrace " DT_VERSION_STRING);
	dt_reader_set_events(r, on_event, x);
	while (!x->failed && x->png.err == 0 && dt_reader_next(r, &pkt) == 0) {
		frames = pkt.frame;
		queue_flush(x, pkt.time);
		e = evidence_find(x, pkt.frame);
		if (e < x->n_evid)	/* the comment reads kept facts */
			dt_capture_spill_step(x->cap, &x->sw);
		if (pkt.duplicate && e == x->n_evid &&
		    !(pkt.pktmon != NULL && pkt.pktmon->dropped)) {
			x->counts.sightings_left_out++;
			continue;
		}
		packet_write(x, &pkt, e);
	}
	queue_flush(x, INT64_MAX);
	if (x->failed || x->mem.failed)
		return dt_analyzer_fail(x->a, DT_ENOMEM, "export of %s: out of "
		    "memory", path);
	if (x->png.err != 0)
		return dt_analyzer_fail(x->a, DT_EIO, "export of %s: cannot "
		    "write: %s", path, strerror(x->png.err));
	if (frames != x->cap->packets)
		return dt_analyzer_fail(x->a, DT_EFORMAT, "export of %s: the "
		    "file changed since it was analysed (%llu packets then, "
		    "%llu now)", path,
		    (unsigned long long)x->cap->packets,
		    (unsigned long long)frames);
	return 0;
}

DT_EXTERN int
dt_export_pcapng(dt_analyzer *a, const dt_capture *cap, const char *path,
    FILE *out, dt_export_counts *counts)
{
	struct exp exp, *x = &exp;
	struct dt_reader *r = NULL;
	char err[256];
	uint64_t off = 0;
	int rc;

	if (counts != NULL)
		memset(counts, 0, sizeof *counts);
	if (a == NULL || cap == NULL || path == NULL || out == NULL)
		return DT_EINVAL;
	if (a->redact != NULL)
		return dt_analyzer_fail(a, DT_EINVAL, "an export writes the "
		    "packets as they are: it cannot be made while redacting");
	memset(x, 0, sizeof *x);
	x->a = a;
	x->cap = cap;
	x->sw = (struct dt_spill_walk)DT_SPILL_WALK_INIT;
	dt_mem_reader(&x->mem, &a->mem);
	x->mem.cap = a->mem.cap;
	x->png.fp = out;
	x->etw_iface = UINT32_MAX;
	x->block = (struct dt_buf)DT_BUF_INIT(&x->mem);
	x->text = (struct dt_buf)DT_BUF_INIT(&x->mem);
	x->msg = (struct dt_buf)DT_BUF_INIT(&x->mem);
	x->msg16 = (struct dt_buf)DT_BUF_INIT(&x->mem);
	x->name16 = (struct dt_buf)DT_BUF_INIT(&x->mem);
	x->we = cap->winevents;
	rc = dt_reader_open_file(&r, &x->mem, path, err, sizeof err, &off);
	if (rc != 0)
		rc = dt_analyzer_fail(a, rc, "export of %s: %s", path, err);
	else if (cap->format == NULL ||
	    strcmp(dt_reader_format(r), cap->format) != 0)
		rc = dt_analyzer_fail(a, DT_EFORMAT, "export of %s: the file "
		    "changed since it was analysed (%s then, %s now)", path,
		    cap->format != NULL ? cap->format : "not a capture",
		    dt_reader_format(r));
	else if (evidence_build(x) != 0)
		rc = dt_analyzer_fail(a, DT_ENOMEM, "export of %s: out of "
		    "memory", path);
	else
		rc = run(x, r, path);
	if (rc == 0 && fflush(out) != 0)
		rc = dt_analyzer_fail(a, DT_EIO, "export of %s: cannot write: "
		    "%s", path, strerror(errno));
	if (counts != NULL)
		*counts = x->counts;
	dt_reader_close(r);
	dt_buf_free(&x->block);
	dt_buf_free(&x->text);
	dt_buf_free(&x->msg);
	dt_buf_free(&x->msg16);
	dt_buf_free(&x->name16);
	dt_free(&x->mem, x->evid);
	while (x->q_n > 0)		/* after a failure: unwritten */
		dt_free(&x->mem, x->q[--x->q_n].data);
	dt_free(&x->mem, x->q);
	return rc;
}
