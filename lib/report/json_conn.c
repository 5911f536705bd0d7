/*
 * One connection's entry in "connections" (SPEC §4): addresses, the TCP
 * facts (RFC 9293 handshake, resets, FINs, TTLs), the TLS facts (RFC 5246
 * 7.4 / RFC 8446 4 handshake messages, RFC 5246 7.2 alerts, the
 * certificates of RFC 5280, the NULL-cipher HTTP heads of MS-IPHTTPS) and
 * the timeline, SPEC keys first in SPEC order, then the extras. Versions,
 * suites and alerts are named by tls/names.c, like in every report.
 */
#include "report/json_val.h"

#include <arpa/inet.h>
#include <string.h>

#include "tls/tls.h"

static void
jstrv(struct jw *w, const char *key, char *const *v, size_t n)
{
	size_t i;

	jw_arr(w, key);
	for (i = 0; i < n; i++)
		jw_wire(w, NULL, v[i]);
	jw_end(w);
}

/* "0x003B" at o, quoted: two digits a byte from a table. */
static inline char *
jq_hex16(char *o, uint16_t v)
{
	static const char hex2[] =
	    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
	    "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F"
	    "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F"
	    "606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F"
	    "808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F"
	    "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"
	    "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
	    "E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF";

	memcpy(o, "\"0x", 3);
	memcpy(o + 3, hex2 + 2 * (v >> 8), 2);
	memcpy(o + 5, hex2 + 2 * (v & 0xff), 2);
	o[7] = '"';
	return o + 8;
}

/* An inline list of 16-bit code points as "0x0403" strings. */
static void
ju16v(struct jw *w, const char *key, const uint16_t *v, size_t n, size_t max)
{
	size_t i;
	char *o;

	jw_arr(w, key);
	for (i = 0; i < n && i < max; i++) {
		o = jq_begin(w, 1);
		o = jq_elem(w, o);
		jq_end(w, jq_hex16(o, v[i]));
	}
	jw_end(w);
}

/* A name we may not have: null. */
static void
jname(struct jw *w, const char *key, const char *name)
{
	if (name != NULL)
		jw_str(w, key, name);
	else
		jw_null(w, key);
}

/* {"id": "0x003B", "name": ...} after its key or jq_elem(); room for k
   members after it. */
static char *
jq_suite(struct jw *w, char *o, uint16_t suite, size_t k)
{
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "id");
	o = jq_hex16(o, suite);
	o = jq_keyn(w, o, "name");
	o = jq_ours(w, o, dt_tls_suite_name(suite), k + 1);
	return jq_close(w, o);
}

/* An SSLv2-format hello's cipher spec: "0x010080" and its name. */
static void
jsslv2_spec(struct jw *w, uint32_t spec)
{
	char id[16];

	snprintf(id, sizeof id, "0x%06X", (unsigned)spec);
	jw_obj(w, NULL);
	jw_str(w, "id", id);
	jname(w, "name", dt_tls_sslv2_spec_name(spec));
	jw_end(w);
}

/* level, description and code of an alert after its other members (at
   indentation ind); all null when encrypted. Room for 4 + k members on
   entry; for k on return. */
static char *
jq_alert_fields(struct jw *w, char *o, size_t ind, int encrypted,
    uint8_t level, uint8_t desc, size_t k)
{
	if (encrypted) {
		o = jq_keyi(o, ind, "level");
		o = jq_null(o);
		o = jq_keyi(o, ind, "description");
		o = jq_null(o);
		o = jq_keyi(o, ind, "code");
		o = jq_null(o);
	} else {
		o = jq_keyi(o, ind, "level");
		o = jq_ours(w, o, dt_tls_alert_level_name(level), k + 3);
		o = jq_keyi(o, ind, "description");
		o = jq_ours(w, o, dt_tls_alert_name(desc), k + 2);
		o = jq_keyi(o, ind, "code");
		o = jq_int(o, desc);
	}
	o = jq_keyi(o, ind, "encrypted");
	return jq_bool(o, encrypted);
}

/* A member of an event after its head: "key": after the constant bytes
   of its separator and indentation; counted as jq_key() counts it (a
   compile error past JQ_KEY_MAX, the room a member has). */
#define jev_key(t, o, key)	jq_copy_key_((t), (o), JQ_Q(key), JQ_QLEN(key))

static inline __attribute__((always_inline)) char *
jq_copy_key_(const struct jw_evt *t, char *o, const char *q, size_t n)
{
	o = jq_copy(o, t->key, t->n_key, 32);
	memcpy(o, q, n);
	/* compact: the key without its space (n_key is 1 then) */
	return o + n - (t->n_key == 1);
}

/* An event's frame and time as kept in k, "time"'s key between them. */
static inline __attribute__((always_inline)) char *
jev_kept(char *o, const struct jw_evt *t, const struct jw_evc *k)
{
	memcpy(o, k->frame, sizeof k->frame);
	o += k->nf;
	o = jq_copy(o, t->time, t->n_time, 32);
	memcpy(o, k->time, sizeof k->time);
	return o + k->nt;
}

/*
 * An event's frame and time after its "frame": key, "time"'s key between
 * them. In "messages" (keep) they are kept for "timeline" by the event's
 * place, and the last event's for the next in the same packet; in
 * "timeline" a TLS event's are those kept, the rest (TCP's, seldom two a
 * packet) are written.
 */
static inline __attribute__((always_inline)) char *
jev_ft(struct jw *w, const struct jw_evt *t, const struct dt_conn *c,
    size_t i, int keep, char *o)
{
	const struct dt_event *ev = &c->events[i];
	struct jw_evc *e = i < JW_EVC ? &w->evc[i] : NULL;
	struct jw_evc *l = &w->evl;
	uint64_t frame;
	int64_t ns;
	char *v;

	if (!keep && e != NULL && e->gen == w->evc_gen)
		return jev_kept(o, t, e);
	if (!keep) {
		o = jq_uint(o, dt_ev_frame(c, ev));
		o = jq_copy(o, t->time, t->n_time, 32);
		return jq_time(w, o, dt_ev_time(c, ev));
	}
	frame = dt_ev_frame(c, ev);
	ns = dt_ev_time(c, ev);
	if (w->evl_ok && frame == w->evl_frame && ns == w->evl_ns) {
		/* the packet of the event before: its bytes */
		o = jev_kept(o, t, l);
	} else {
		v = o;
		o = jq_uint(o, frame);
		l->nf = (unsigned char)(o - v);
		memcpy(l->frame, v, sizeof l->frame);
		o = jq_copy(o, t->time, t->n_time, 32);
		v = o;
		o = jq_time(w, o, ns);
		l->nt = (unsigned char)(o - v);
		memcpy(l->time, v, sizeof l->time);
		w->evl_frame = frame;
		w->evl_ns = ns;
		w->evl_ok = 1;
	}
	if (e != NULL) {
		*e = *l;
		e->gen = w->evc_gen;
	}
	return o;
}

/* Where an event's holes were written (a list being kept as text with
   holes, struct jw_evm): its frame and time, and its b when b[0] is
   not NULL. */
struct jev_rec {
	char *ft[2];
	char *b[2];
};

/* The types whose b is a count written as a number (a hole of the kept
   text); every other value an event writes is its type's, dir's, a's or
   b's alone. */
#define JEV_B_HOLES	(UINT64_C(1) << DT_EV_FIN | UINT64_C(1) << DT_EV_GAP | \
	UINT64_C(1) << DT_EV_TLS_ENCRYPTED | UINT64_C(1) << DT_EV_RST | \
	UINT64_C(1) << DT_EV_TLS_RESYNC)

/* b, a hole when r is not NULL */
static inline __attribute__((always_inline)) char *
jev_b(char *o, const struct dt_event *ev, struct jev_rec *r)
{
	if (r != NULL)
		r->b[0] = o;
	o = jq_uint(o, ev->b);
	if (r != NULL)
		r->b[1] = o;
	return o;
}

/*
 * An element of "timeline" or "messages": frame, time, from, type, then
 * what the type adds. A day has millions: the keys, their punctuation
 * and indentation, "from" and its value come from the writer's copy of
 * the bytes every event at this depth shares (struct jw_evt), the type's
 * name with its length from a table; what is left is the numbers. r,
 * when not NULL, is told where the holes went.
 */
static inline __attribute__((always_inline)) void
jevent(struct jw *w, const struct jw_evt *t, const struct dt_conn *c,
    size_t i, int keep, size_t first, struct jev_rec *r)
{
	const struct dt_event *ev = &c->events[i];
	const struct dt_report_name *type = dt_report_msg_nm(ev);
	const char *s;
	char *o;

	o = jq_begin(w, 12);
	/* jq_elem() and the open in one copy */
	o = jq_copy(o, t->elem + first, t->n_elem - first, 64);
	if (r != NULL)
		r->ft[0] = o;
	o = jev_ft(w, t, c, i, keep, o);
	if (r != NULL)
		r->ft[1] = o;
	o = jq_copy(o, t->from[ev->dir == DT_S2C], t->n_from[ev->dir == DT_S2C],
	    64);
	memcpy(o, type->s, DT_REPORT_NAME_PAD);
	o += type->n;
	*o++ = '"';
	switch (ev->type) {
	case DT_EV_TLS_ALERT: {
		uint8_t level, desc;

		if (!dt_ev_alert(ev, &level, &desc)) {
			o = jev_key(t, o, "level");
			o = jq_null(o);
			o = jev_key(t, o, "description");
			o = jq_null(o);
			o = jev_key(t, o, "code");
			o = jq_null(o);
			o = jev_key(t, o, "encrypted");
			o = jq_bool(o, 1);
			break;
		}
		o = jev_key(t, o, "level");
		o = jq_ours(w, o, dt_tls_alert_level_name(level), 4);
		o = jev_key(t, o, "description");
		o = jq_ours(w, o, dt_tls_alert_name(desc), 3);
		o = jev_key(t, o, "code");
		o = jq_int(o, desc);
		o = jev_key(t, o, "encrypted");
		o = jq_bool(o, 0);
		break;
	}
	case DT_EV_HTTP_RESPONSE:
		o = jev_key(t, o, "status");
		o = jq_uint(o, ev->b);
		break;
	case DT_EV_GAP:
	case DT_EV_TLS_ENCRYPTED:
		o = jev_key(t, o, "bytes");
		o = jev_b(o, ev, r);
		break;
	case DT_EV_SYN:
	case DT_EV_SYNACK:
		o = jev_key(t, o, "retransmission");
		o = jq_bool(o, ev->a != 0);
		break;
	case DT_EV_RST:
		o = jev_key(t, o, "before_synack");
		o = jq_bool(o, ev->a == 1);
		o = jev_key(t, o, "peer_bytes");
		o = jev_b(o, ev, r);
		break;
	case DT_EV_FIN:
		o = jev_key(t, o, "bytes_before");
		o = jev_b(o, ev, r);
		break;
	case DT_EV_TLS_HANDSHAKE:
		if (dt_ev_hs_encrypted(ev)) {
			o = jev_key(t, o, "encrypted");
			o = jq_bool(o, 1);
		}
		if (ev->b & DT_TLS_HS_REPEAT) {
			o = jev_key(t, o, "repeated");
			o = jq_bool(o, 1);
		}
		break;
	case DT_EV_TLS_UPGRADE:
		/* a name of ours; none (never) is refused, as jw_str() does */
		o = jev_key(t, o, "protocol");
		s = dt_tls_preamble_id(ev->a);
		o = s != NULL ? jq_ours(w, o, s, 1) : jq_str(w, o, NULL, 1);
		break;
	case DT_EV_TLS_RECORD:
		o = jev_key(t, o, "content_type");
		o = jq_uint(o, ev->a);
		o = jev_key(t, o, "bytes");
		o = jq_uint(o, ev->b);
		break;
	case DT_EV_TLS_RESYNC:
		o = jev_key(t, o, "bytes_skipped");
		o = jev_b(o, ev, r);
		break;
	default:
		break;
	}
	o = jq_copy(o, t->close, t->n_close, 32);
	jq_end(w, o);
}

/*
 * The events of c in the array just opened, one by one: those of
 * "messages" (keep: the TLS ones, their frame and time kept for
 * "timeline") or all of "timeline". One call a list, not an event (a
 * call's saving and restoring of registers was a tenth of an event), and
 * the constant bytes found once: every event is at the same depth. r,
 * when not NULL, is told where each event's holes went (r[i] event i's,
 * cleared by the caller).
 */
static inline __attribute__((always_inline)) void
jevents_(struct jw *w, const struct jw_evt *t, const struct dt_conn *c,
    int keep, struct jev_rec *r)
{
	size_t i, first = w->empty != 0;	/* without a ',' */

	for (i = 0; i < c->n_events; i++) {
		if (keep && !dt_report_event_is_tls(&c->events[i]))
			continue;
		jevent(w, t, c, i, keep, first, r != NULL ? &r[i] : NULL);
		first = 0;
	}
	if (first == 0)		/* an event written, or one was before */
		w->empty = 0;
}

/* The room of a hole: a frame (22 bytes copied when kept), "time"'s key
   (copied as 32 bytes at least), a time (or a count). A kept text needs
   its constant bytes, the pad its last copy writes past them, and this
   for each hole. */
#define JEV_HOLE_ROOM	(24 + sizeof ((struct jw_evt *)0)->time + \
	JQ_VALUE_MAX)

/* A list of the shape m kept: its text, the holes filled in from the
   events of c. */
static inline __attribute__((always_inline)) void
jevm_put(struct jw *w, const struct jw_evt *t, const struct dt_conn *c,
    const struct jw_evm *m, int keep)
{
	const struct jw_evm_hole *h, *end = m->hole + m->n_holes;
	const char *p = m->text;
	size_t need = m->n_text + JW_EVM_PAD + m->n_holes * JEV_HOLE_ROOM;
	char *o;

	o = w->size - w->n < need ? jw_room_k(w, need) : w->buf + w->n;
	for (h = m->hole; h < end; h++) {
		o = jq_copy(o, p, h->len, JW_EVM_PAD);
		p += h->len;
		if (h->b)
			o = jq_uint(o, c->events[h->ev].b);
		else
			o = jev_ft(w, t, c, h->ev, keep, o);
	}
	o = jq_copy(o, p, m->tail, JW_EVM_PAD);
	jq_end(w, o);
	if (m->n_holes != 0)	/* an event written */
		w->empty = 0;
}

/* The constant bytes of a kept text from from up to at; 0 when they do
   not fit. */
static int
jevm_text(struct jw_evm *m, const char *from, const char *at)
{
	size_t n = (size_t)(at - from);

	if (n > JW_EVM_TEXT - m->n_text)
		return 0;
	memcpy(m->text + m->n_text, from, n);
	m->n_text += (unsigned)n;
	return 1;
}

/* The constant bytes from *from up to a hole, the hole (at[0]..at[1]:
   event ev's b when b, else its frame and time) after them; *from then
   past the hole. 0 when the bytes do not fit. */
static int
jevm_hole(struct jw_evm *m, const char **from, char *const at[2], size_t ev,
    int b)
{
	struct jw_evm_hole *h = &m->hole[m->n_holes++];

	h->len = (unsigned short)(at[0] - *from);
	h->ev = (unsigned char)ev;
	h->b = (unsigned char)b;
	if (!jevm_text(m, *from, at[0]))
		return 0;
	*from = at[1];
	return 1;
}

/* The list written one by one, then kept as the text of its shape (the
   connection's, w->evk) when it went out in one piece and fits. */
static void
jevm_keep(struct jw *w, const struct jw_evt *t, const struct dt_conn *c,
    int keep, uint64_t head)
{
	struct jev_rec r[JW_EVM_EVENTS];
	struct jw_evm *m;
	size_t start = w->n, i, n = w->n_evk;
	uint64_t flushes = w->flushes;
	const char *from;

	for (i = 0; i < n; i++)
		r[i].ft[0] = r[i].b[0] = NULL;
	jevents_(w, t, c, keep, r);
	if (w->flushes != flushes || w->err != 0)
		return;
	m = &w->evm[w->evm_next];
	m->n_ev = 0;
	m->n_holes = m->n_text = 0;
	from = w->buf + start;
	for (i = 0; i < n; i++) {
		if (r[i].ft[0] == NULL)
			continue;
		if (!jevm_hole(m, &from, r[i].ft, i, 0))
			return;
		if (r[i].b[0] != NULL && !jevm_hole(m, &from, r[i].b, i, 1))
			return;
	}
	m->tail = (unsigned)(w->buf + w->n - from);
	if (!jevm_text(m, from, w->buf + w->n))
		return;
	m->head = head;
	memcpy(m->key, w->evk, n * sizeof *w->evk);
	m->n_ev = (unsigned)n;
	w->evm_next = (w->evm_next + 1) % JW_EVM_WAYS;
}

/* The shapes of c's events (w->evk): all an event is but its frame, its
   time and a b that is a hole. A connection with more than
   JW_EVM_EVENTS, or with a preamble upgrade (a name that may be
   refused), has its lists written one by one. */
static void
jev_shapes(struct jw *w, const struct dt_conn *c)
{
	const struct dt_event *ev;
	size_t i;

	w->evk_gen = w->evc_gen;
	w->n_evk = JW_EVM_EVENTS + 1;
	if (c->n_events > JW_EVM_EVENTS)
		return;
	for (i = 0; i < c->n_events; i++) {
		ev = &c->events[i];
		if (ev->type == DT_EV_TLS_UPGRADE)
			return;
		w->evk[i] = (uint64_t)ev->type | (uint64_t)ev->dir << 6 |
		    (uint64_t)ev->a << 8 |
		    ((JEV_B_HOLES >> ev->type & 1) ? 0 : (uint64_t)ev->b << 32);
	}
	w->n_evk = c->n_events;
}

/*
 * The events of c in the array just opened (keep: "messages", else
 * "timeline"): the kept text of their shape when one was written before,
 * else one by one (then kept).
 */
static void
jevents(struct jw *w, const struct dt_conn *c, int keep)
{
	const struct jw_evt *t = jw_evt(w);
	const struct jw_evm *m;
	uint64_t head;
	size_t n;

	_Static_assert(JW_EVM_EVENTS <= 255, "an event's place in a hole");
	if (t == NULL)
		return;
	if (w->evk_gen != w->evc_gen)
		jev_shapes(w, c);
	n = w->n_evk;
	if (n == 0)
		return;
	if (n > JW_EVM_EVENTS) {
		if (keep)
			jevents_(w, t, c, 1, NULL);
		else
			jevents_(w, t, c, 0, NULL);
		return;
	}
	head = w->depth | (uint64_t)w->ind << 16 | (uint64_t)keep << 32 |
	    (uint64_t)(w->empty != 0) << 33;
	for (m = w->evm; m < w->evm + JW_EVM_WAYS; m++) {
		if (m->n_ev != n || m->head != head ||
		    memcmp(m->key, w->evk, n * sizeof *w->evk) != 0)
			continue;
		if (keep)
			jevm_put(w, t, c, m, 1);
		else
			jevm_put(w, t, c, m, 0);
		return;
	}
	jevm_keep(w, t, c, keep, head);
}

static void
jstrv_key(struct jw_memo_run *r, char *const *v, size_t n)
{
	size_t i;

	jw_memo_add(r, &n, sizeof n);
	for (i = 0; i < n; i++)
		jw_memo_str(r, v[i]);
}

/*
 * A certificate: the same few (a server's chain) on thousands of
 * connections, ~4,000 instructions each written member by member; kept
 * (jw_memo) with everything it is written from as the key.
 */
static void
jcert(struct jw *w, const struct dt_cert *x)
{
	struct jw_memo_run r;
	int32_t flags[4] = { x->self_signed, x->server_auth, x->client_auth,
	    (int32_t)x->key_bits };

	jw_memo_begin(w, &r, JW_MEMO_CERT);
	jw_memo_str(&r, x->subject);
	jw_memo_str(&r, x->issuer);
	jw_memo_str(&r, x->sha256);
	jw_memo_add(&r, &x->not_before, sizeof x->not_before);
	jw_memo_add(&r, &x->not_after, sizeof x->not_after);
	jstrv_key(&r, x->dns_names, x->n_dns_names);
	jstrv_key(&r, x->crl_urls, x->n_crl_urls);
	jstrv_key(&r, x->ip_addrs, x->n_ip_addrs);
	jstrv_key(&r, x->aia_urls, x->n_aia_urls);
	jw_memo_add(&r, flags, sizeof flags);
	jw_memo_str(&r, x->common_name);
	jw_memo_str(&r, x->serial);
	jw_memo_str(&r, x->key_type);
	jw_memo_str(&r, x->sig_alg);
	jw_memo_str(&r, x->parse_error);
	if (jw_memo_found(w, &r))
		return;
	jw_obj(w, NULL);
	jw_wire(w, "subject", x->subject);
	jw_wire(w, "issuer", x->issuer);
	if (x->sha256[0] != '\0')
		jw_wire(w, "sha256", x->sha256);
	else
		jw_null(w, "sha256");
	if (x->parse_error == NULL) {
		jw_time_sec(w, "not_before", x->not_before);
		jw_time_sec(w, "not_after", x->not_after);
	} else {
		jw_null(w, "not_before");
		jw_null(w, "not_after");
	}
	jstrv(w, "dns_names", x->dns_names, x->n_dns_names);
	jstrv(w, "crl_urls", x->crl_urls, x->n_crl_urls);
	jw_bool(w, "self_signed", x->self_signed);
	jw_wire(w, "common_name", x->common_name);
	jw_wire(w, "serial", x->serial);
	jstrv(w, "ip_addresses", x->ip_addrs, x->n_ip_addrs);
	jstrv(w, "aia_urls", x->aia_urls, x->n_aia_urls);
	jw_bool(w, "server_auth", x->server_auth);
	jw_bool(w, "client_auth", x->client_auth);
	jw_wire(w, "key_type", x->key_type);
	jw_int(w, "key_bits", x->key_bits);
	jw_wire(w, "signature_algorithm", x->sig_alg);
	jw_wire(w, "parse_error", x->parse_error);
	jw_end(w);
	jw_memo_end(w, &r);
}

/*
 * A list of certificates. A chain the x509 cache shares (the one array
 * of every handshake with that server, read-only while its capture is)
 * is written once and kept whole (jw_memo) by its address, length and
 * key (the same chain may be both ends' certificates):
 * its certificates' keys, hundreds of bytes each, are then not made
 * again for each connection. The capture's number in the key: an
 * address says nothing once another capture is being written.
 */
static void
jcerts_q(struct jw *w, const char *q, size_t qn, const struct dt_cert *v,
    size_t n, int shared)
{
	struct jw_memo_run r;
	const unsigned char tag = 2;	/* a cert's key starts 0 or 1 */
	size_t i;
	char *o;

	if (shared && n > 0) {
		jw_memo_begin(w, &r, JW_MEMO_CERT);
		jw_memo_add(&r, &tag, 1);
		jw_memo_add(&r, &w->capture_gen, sizeof w->capture_gen);
		jw_memo_add(&r, &v, sizeof v);
		jw_memo_add(&r, &n, sizeof n);
		jw_memo_add(&r, q, qn);	/* a chain both ends sent */
		if (jw_memo_found(w, &r))
			return;
	}
	/* the quick way: most lists (a client's certificates) are empty */
	o = jq_begin(w, 2);
	o = jq_key_(w, o, q, qn);
	o = jq_open(w, o, '[');
	for (i = 0; i < n; i++) {
		jq_end(w, o);
		jcert(w, &v[i]);
		o = jq_begin(w, 1);
	}
	o = jq_close(w, o);
	jq_end(w, o);
	if (shared && n > 0)
		jw_memo_end(w, &r);
}

/* key: a literal, counted as jq_key() counts it */
#define jcerts(w, key, v, n, shared)	jcerts_q((w), JQ_Q(key), \
	JQ_QLEN(key), (v), (n), (shared))

/* "h2,http/1.1" -> ["h2", "http/1.1"] */
static void
jalpn(struct jw *w, const char *alpn)
{
	const char *p, *q;

	if (alpn == NULL) {	/* most: the quick way */
		char *o = jq_begin(w, 1);

		o = jq_key(w, o, "alpn");
		jq_end(w, jq_null(o));
		return;
	}
	jw_arr(w, "alpn");
	for (p = alpn; ; p = q + 1) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		jw_wiren(w, NULL, p, (size_t)(q - p));
		if (*q == '\0')
			break;
	}
	jw_end(w);
}

/* A NULL-cipher HTTP head after its key, or null when none was seen;
   room for k members after it. */
static char *
jq_http_msg(struct jw *w, char *o, const struct dt_http_msg *h,
    int response, size_t k)
{
	if (h->frame == 0)
		return jq_null(o);
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "frame");
	o = jq_uint(o, h->frame);
	o = jq_keyn(w, o, "line");
	o = jq_wire(w, o, h->line, 6);
	if (response) {
		o = jq_key(w, o, "status");
		o = jq_int(o, h->status);
	}
	o = jq_key(w, o, "host");
	o = jq_wire(w, o, h->host, 4);
	o = jq_keyn(w, o, "server");
	o = jq_wire(w, o, h->server, 4);
	o = jq_keyn(w, o, "content_length");
	o = jq_wire(w, o, h->content_length, k + 1);
	return jq_close(w, o);
}

/* "TLS 1.2", or "0x7F1C" for a version without a name (as
   dt_tls_version_str() writes it, without its snprintf()); room for k
   members after it. */
static char *
jq_version(struct jw *w, char *o, uint16_t v, size_t k)
{
	const char *name;
	unsigned i = (unsigned)v - 0x0300;

	/* four to a TLS connection: the names of the usual ones kept by
	   version rather than searched for again; jq_ours() keeps what
	   each quotes to */
	if (i < 8 && w->ver_name[i] != NULL) {
		name = w->ver_name[i];
	} else {
		name = dt_tls_version_name(v);
		if (i < 8)
			w->ver_name[i] = name;
	}
	if (name != NULL)
		return jq_ours(w, o, name, k);
	return jq_hex16(o, v);
}

/* "offered_suites" and "offered_null": the same for every connection
   from a client (jw_memo), written once. */
static void
jsuites(struct jw *w, const struct dt_tls_hello *h)
{
	struct jw_memo_run r;
	size_t i;
	char *o;

	jw_memo_begin(w, &r, JW_MEMO_SUITES);
	jw_memo_u16v(&r, h->offered_suites, h->n_offered_suites);
	jw_memo_add(&r, &h->offered_null, sizeof h->offered_null);
	if (jw_memo_found(w, &r))
		return;
	o = jq_begin(w, 2);
	o = jq_key(w, o, "offered_suites");
	o = jq_open(w, o, '[');
	for (i = 0; i < h->n_offered_suites; i++) {
		o = jq_begin_at(w, o, 8);
		o = jq_elem(w, o);
		o = jq_suite(w, o, h->offered_suites[i], 4);
	}
	o = jq_begin_at(w, o, 4);
	o = jq_close(w, o);
	o = jq_keyn(w, o, "offered_null");
	o = jq_bool(o, h->offered_null);
	jq_end(w, o);
	jw_memo_end(w, &r);
}

/* "extensions" .. "status_request": the ClientHello's lists and flags,
   the same for every connection from a client, written once. */
static void
jhello_lists(struct jw *w, const struct dt_tls_hello *h)
{
	struct jw_memo_run r;
	size_t i;
	char *o;

	jw_memo_begin(w, &r, JW_MEMO_HELLO);
	jw_memo_u16v(&r, h->extensions, h->n_extensions);
	jw_memo_u16v(&r, h->ch_groups, h->n_ch_groups);
	jw_memo_u16v(&r, h->ch_sig_algs, h->n_ch_sig_algs);
	jw_memo_add(&r, &h->ch_reneg_info, sizeof h->ch_reneg_info);
	jw_memo_add(&r, &h->ch_ems, sizeof h->ch_ems);
	jw_memo_add(&r, &h->ch_status_request, sizeof h->ch_status_request);
	if (jw_memo_found(w, &r))
		return;
	o = jq_begin(w, 2);
	o = jq_key(w, o, "extensions");
	o = jq_open(w, o, '[');
	for (i = 0; i < h->n_extensions; i++) {
		o = jq_begin_at(w, o, 2);
		o = jq_elem(w, o);
		o = jq_int(o, h->extensions[i]);
	}
	o = jq_begin_at(w, o, 2);
	o = jq_close(w, o);
	jq_end(w, o);
	ju16v(w, "supported_groups", h->ch_groups, h->n_ch_groups,
	    DT_CH_GROUPS_MAX);
	ju16v(w, "signature_algorithms", h->ch_sig_algs, h->n_ch_sig_algs,
	    DT_CH_SIG_ALGS_MAX);
	o = jq_begin(w, 3);
	o = jq_key(w, o, "renegotiation_info");
	o = jq_bool(o, h->ch_reneg_info);
	o = jq_keyn(w, o, "extended_master_secret");
	o = jq_bool(o, h->ch_ems);
	o = jq_keyn(w, o, "status_request");
	o = jq_bool(o, h->ch_status_request);
	jq_end(w, o);
	jw_memo_end(w, &r);
}

/* SPEC §4 keys of "tls", in its order. */
static void
jtls_spec(struct jw *w, const struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	size_t i;
	char *o;

	o = jq_begin(w, 2);
	o = jq_key(w, o, "client_versions");
	o = jq_open(w, o, '[');
	for (i = 0; i < dt_tls_hello(t)->n_client_versions; i++) {
		o = jq_begin_at(w, o, 2);
		o = jq_elem(w, o);
		o = jq_version(w, o, dt_tls_hello(t)->client_versions[i], 2);
	}
	o = jq_begin_at(w, o, 8);
	o = jq_close(w, o);
	o = jq_keyn(w, o, "version");
	if (t->sh_frame != 0)
		o = jq_version(w, o, t->version, 6);
	else
		o = jq_null(o);
	jq_end(w, o);
	jsuites(w, dt_tls_hello(t));
	o = jq_begin(w, 12);
	/* an SSL 2.0 SERVER-HELLO (version 0x0002) chooses no TLS suite */
	o = jq_key(w, o, "suite");
	if (t->sh_frame != 0 && t->version >= 0x0300)
		o = jq_suite(w, o, t->suite, 4);
	else
		o = jq_null(o);
	o = jq_keyn(w, o, "messages");
	o = jq_open(w, o, '[');
	jq_end(w, o);
	jevents(w, c, 1);
	o = jq_begin(w, 12);
	o = jq_close(w, o);

	o = jq_keyn(w, o, "alert");
	if (t->alert_frame != 0) {
		/* a fixed shape: its members one deeper than "alert" */
		size_t ind = w->ind + w->step;

		o = jq_obj_key(o, ind, "frame");
		o = jq_uint(o, t->alert_frame);
		o = jq_keyi(o, ind, "from");
		o = jq_ours(w, o, dt_report_dir_name(t->alert_dir), 8);
		o = jq_alert_fields(w, o, ind, t->alert_encrypted,
		    t->alert_level, t->alert_desc, 4);
		o = jq_obj_end(o, w->ind);
	} else {
		o = jq_null(o);
	}
	jq_end(w, o);

	jcerts(w, "server_certificates", t->server_certs, t->n_server_certs,
	    t->certs_shared & 1);
	if (tr->cert_request_frame != 0) {
		jw_obj(w, "certificate_request");
		jw_uint(w, "frame", tr->cert_request_frame);
		jstrv(w, "ca_names", tr->ca_names, tr->n_ca_names);
		jw_arr(w, "certificate_types");
		for (i = 0; i < tr->n_cr_cert_types &&
		    i < DT_CR_CERT_TYPES_MAX; i++)
			jw_int(w, NULL, tr->cr_cert_types[i]);
		jw_end(w);
		ju16v(w, "signature_algorithms", tr->cr_sig_algs,
		    tr->n_cr_sig_algs,
		    DT_CR_SIG_ALGS_MAX);
		jw_end(w);
		o = jq_begin(w, 1);
	} else {
		o = jq_begin(w, 2);
		o = jq_key(w, o, "certificate_request");
		o = jq_null(o);
	}
	/* a name of ours, never NULL ("none" when unknown) */
	o = jq_key(w, o, "client_certificate");
	o = jq_ours(w, o, dt_report_client_cert_name(t->client_cert), 1);
	jq_end(w, o);
}

/* The keys present only when there is something to say (issue 17). */
static void
jtls_extra(struct jw *w, const struct dt_tls_facts *t)
{
	size_t i;

	if (t->preamble != DT_PRE_NONE) {
		jw_obj(w, "preamble");
		jw_str(w, "protocol", dt_tls_preamble_id(t->preamble));
		jw_str(w, "name", dt_tls_preamble_name(t->preamble));
		jw_uint(w, "frame", dt_tls_rare(t)->preamble_frame);
		jw_end(w);
	}
	if (dt_tls_rare(t)->preamble_refused_frame != 0) {
		jw_obj(w, "preamble_refused");
		jw_uint(w, "asked_frame", dt_tls_rare(t)->preamble_asked_frame);
		jw_uint(w, "frame", dt_tls_rare(t)->preamble_refused_frame);
		jw_wire(w, "line", dt_tls_rare(t)->preamble_refused_line);
		jw_end(w);
	}
	if (dt_tls_rare(t)->n_violations > 1)
		jw_uint(w, "violations", dt_tls_rare(t)->n_violations);
	if (dt_tls_rare(t)->resync_frame != 0) {
		jw_obj(w, "resync");
		jw_uint(w, "frame", dt_tls_rare(t)->resync_frame);
		jw_name(w, "from", dt_report_dir_name(dt_tls_rare(t)->resync_dir));
		jw_uint(w, "bytes_skipped", dt_tls_rare(t)->resync_skipped);
		jw_end(w);
	}
	if (dt_tls_rare(t)->n_heartbeats > 0)
		jw_uint(w, "heartbeat_records", dt_tls_rare(t)->n_heartbeats);
	if (dt_tls_rare(t)->n_unknown_records > 0)
		jw_uint(w, "unknown_records", dt_tls_rare(t)->n_unknown_records);
	if (t->n_client_hellos > 1)
		jw_uint(w, "client_hellos", t->n_client_hellos);
	if (dt_tls_rare(t)->n_sslv2_specs > 0) {
		jw_arr(w, "sslv2_cipher_specs");
		for (i = 0; i < dt_tls_rare(t)->n_sslv2_specs; i++)
			jsslv2_spec(w, dt_tls_rare(t)->sslv2_specs[i]);
		jw_end(w);
	}
}

/*
 * A connection's members are at depth 5 of the JSON document (the
 * indentation 11): there "tcp" and most of "tls" are written by a copy
 * of their runs with the indentations as constants (jq_keyi()), and
 * in jsonl by another (0). Anywhere else, the same runs with them read.
 * An indentation that is not 0 is never jsonl's (w->ind is 0 exactly
 * when compact), so it alone says which copy.
 */
#define JW_CONN_IND	11

/* {"client": v, "server": v} after its key (at indentation i1), each
   value written by val (jq_frame: a frame or null; jq_uint: a count),
   its members at i2: 4 members' room. A fixed shape (jq_obj_key()).
   Inline, so that val is a direct call. */
static inline __attribute__((always_inline)) char *
jq_pair(char *o, size_t i1, size_t i2, char *(*val)(char *, uint64_t),
    uint64_t client, uint64_t server)
{
	o = jq_obj_key(o, i2, "client");
	o = val(o, client);
	o = jq_keyi(o, i2, "server");
	o = val(o, server);
	return jq_obj_end(o, i1);
}

/* The rest of "tls" after its SPEC keys: its members at indentation i1
   (w->ind), those of the objects in it at i2, of theirs at i3. */
static inline __attribute__((always_inline)) void
jtls_(struct jw *w, const struct dt_conn *c, size_t i1, size_t i2, size_t i3)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	const struct dt_tls_http *th = dt_tls_http(t);
	char *o;
	int d;

	/* extras */
	o = jq_begin(w, 8);
	o = jq_keyi(o, i1, "client_hello_frame");
	o = jq_frame(o, t->ch_frame);
	o = jq_keyi(o, i1, "client_hello_version");
	if (t->ch_frame != 0)
		o = jq_version(w, o, dt_tls_hello(t)->ch_legacy_version, 6);
	else
		o = jq_null(o);
	o = jq_keyi(o, i1, "record_version");
	if (dt_tls_hello(t)->record_version != 0)
		o = jq_version(w, o, dt_tls_hello(t)->record_version, 6);
	else
		o = jq_null(o);
	o = jq_keyi(o, i1, "offered_only_null");
	o = jq_bool(o, dt_tls_hello(t)->offered_only_null);
	o = jq_keyi(o, i1, "sni");
	o = jq_wire(w, o, t->sni, 4);
	jq_end(w, o);
	jalpn(w, t->alpn);
	jhello_lists(w, dt_tls_hello(t));
	o = jq_begin(w, 16);
	o = jq_keyi(o, i1, "sslv2_hello");
	o = jq_bool(o, t->sslv2_hello);
	o = jq_keyi(o, i1, "server_hello_frame");
	o = jq_frame(o, t->sh_frame);
	o = jq_keyi(o, i1, "hello_retry_request");
	o = jq_bool(o, t->hrr);
	o = jq_keyi(o, i1, "resumed");
	o = jq_bool(o, t->resumed);
	o = jq_keyi(o, i1, "alerts");
	o = jq_int(o, t->n_alerts);
	o = jq_keyi(o, i1, "server_certificate_frame");
	o = jq_frame(o, t->server_cert_frame);
	o = jq_keyi(o, i1, "certificates_visible");
	o = jq_bool(o, !t->certs_not_visible);
	o = jq_keyi(o, i1, "chain");
	o = jq_ours(w, o, dt_report_chain_name(t->chain), 2);
	o = jq_keyi(o, i1, "chain_error");
	o = jq_wire(w, o, tr->chain_error, 2);
	o = jq_keyi(o, i1, "client_certificate_frame");
	o = jq_frame(o, tr->client_cert_frame);
	jq_end(w, o);
	jcerts(w, "client_certificates", tr->client_certs, tr->n_client_certs,
	    t->certs_shared & 2);
	o = jq_begin(w, 40);
	o = jq_keyi(o, i1, "server_hello_done_frame");
	o = jq_frame(o, t->server_hello_done_frame);
	o = jq_keyi(o, i1, "change_cipher_spec");
	o = jq_pair(o, i1, i2, jq_frame, t->ccs_frame[0], t->ccs_frame[1]);
	o = jq_keyi(o, i1, "finished");
	o = jq_pair(o, i1, i2, jq_frame, t->finished_frame[0],
	    t->finished_frame[1]);
	o = jq_keyi(o, i1, "application_data");
	for (d = 0; d < 2; d++) {
		if (d == DT_S2C)
			o = jq_keyi(o, i2, "server");
		else
			o = jq_obj_key(o, i2, "client");
		o = jq_obj_key(o, i3, "frame");
		o = jq_frame(o, t->appdata_frame[d]);
		o = jq_keyi(o, i3, "bytes");
		o = jq_uint(o, t->appdata_bytes[d]);
		o = jq_keyi(o, i3, "records");
		o = jq_uint(o, t->appdata_records[d]);
		o = jq_obj_end(o, i2);
	}
	o = jq_obj_end(o, i1);
	o = jq_keyi(o, i1, "non_tls");
	if (tr->non_tls_frame != 0) {
		o = jq_open(w, o, '{');
		o = jq_key(w, o, "frame");
		o = jq_uint(o, tr->non_tls_frame);
		o = jq_keyi(o, i2, "from");
		o = jq_ours(w, o, dt_report_dir_name(tr->non_tls_dir), 12);
		o = jq_keyi(o, i2, "line");
		o = jq_wire(w, o, tr->non_tls_line, 12);
		o = jq_close(w, o);
	} else {
		o = jq_null(o);
	}
	o = jq_keyi(o, i1, "malformed");
	if (tr->malformed_frame != 0) {
		o = jq_open(w, o, '{');
		o = jq_key(w, o, "frame");
		o = jq_uint(o, tr->malformed_frame);
		o = jq_keyi(o, i2, "from");
		o = jq_ours(w, o, dt_report_dir_name(tr->malformed_dir), 6);
		o = jq_keyi(o, i2, "reason");
		o = jq_wire(w, o, tr->malformed, 4);
		o = jq_close(w, o);
	} else {
		o = jq_null(o);
	}
	jq_end(w, o);
	jtls_extra(w, t);
	o = jq_begin(w, 8);
	o = jq_keyi(o, i1, "http");
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "request");
	o = jq_http_msg(w, o, &th->request, 0, 6);
	o = jq_keyi(o, i2, "response");
	o = jq_http_msg(w, o, &th->response, 1, 6);
	o = jq_close(w, o);
	o = jq_keyi(o, i1, "truncated");
	o = jq_bool(o, tr->truncated);
	o = jq_keyi(o, i1, "truncated_frame");
	o = jq_frame(o, tr->truncated_frame);
	o = jq_close(w, o);
	jq_end(w, o);
}

static void
jtls(struct jw *w, const struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_rare *tr = dt_tls_rare(t);
	char *o;

	if (!t->seen && t->ch_frame == 0 && tr->non_tls_frame == 0 &&
	    tr->malformed_frame == 0 && tr->preamble_refused_frame == 0 &&
	    t->preamble == DT_PRE_NONE) {
		o = jq_begin(w, 1);
		o = jq_key(w, o, "tls");
		jq_end(w, jq_null(o));
		return;
	}
	o = jq_begin(w, 1);
	o = jq_key(w, o, "tls");
	jq_end(w, jq_open(w, o, '{'));
	jtls_spec(w, c);
	if (w->ind == JW_CONN_IND + 2)
		jtls_(w, c, JW_CONN_IND + 2, JW_CONN_IND + 4, JW_CONN_IND + 6);
	else if (w->compact)
		jtls_(w, c, 0, 0, 0);
	else
		jtls_(w, c, w->ind, w->ind + w->step, w->ind + 2 * w->step);
}

/* A TTL, null when not seen. */
static char *
jq_ttl(char *o, int seen, int64_t ttl)
{
	return seen ? jq_int(o, ttl) : jq_null(o);
}

/* "tcp" after the connection's first members (at indentation i0,
   w->ind): its members at i1, those of the objects in it at i2; all of
   them fixed shapes (jq_obj_key()). */
static inline __attribute__((always_inline)) void
jtcp_(struct jw *w, const struct dt_conn *c, size_t i0, size_t i1, size_t i2)
{
	char *o = jq_begin(w, 40);

	o = jq_keyi(o, i0, "tcp");
	o = jq_obj_key(o, i1, "state");
	o = jq_ours(w, o, dt_report_state_name(c->state), 40);
	o = jq_keyi(o, i1, "roles_from_syn");
	o = jq_bool(o, c->roles_from_syn);
	o = jq_keyi(o, i1, "syn_frame");
	o = jq_frame(o, c->syn_frame);
	o = jq_keyi(o, i1, "syn_count");
	o = jq_int(o, c->syn_count);
	o = jq_keyi(o, i1, "synack_frame");
	o = jq_frame(o, c->synack_frame);
	o = jq_keyi(o, i1, "rst");
	if (c->rst_frame != 0) {
		o = jq_obj_key(o, i2, "frame");
		o = jq_uint(o, c->rst_frame);
		o = jq_keyi(o, i2, "from");
		o = jq_ours(w, o, dt_report_dir_name(c->rst_dir), 32);
		o = jq_obj_end(o, i1);
	} else {
		o = jq_null(o);
	}
	o = jq_keyi(o, i1, "fin");
	o = jq_pair(o, i1, i2, jq_frame, c->fin_frame[0], c->fin_frame[1]);
	o = jq_keyi(o, i1, "ttl");
	o = jq_obj_key(o, i2, "syn");
	o = jq_ttl(o, c->ttl_syn != 0, c->ttl_syn);
	o = jq_keyi(o, i2, "synack");
	o = jq_ttl(o, c->ttl_synack != 0, c->ttl_synack);
	o = jq_keyi(o, i2, "server_data");
	o = jq_ttl(o, c->ttl_server_data != 0, c->ttl_server_data);
	o = jq_keyi(o, i2, "server_data_min");
	o = jq_ttl(o, c->ttl_server_data != 0, c->ttl_server_data_min);
	o = jq_keyi(o, i2, "server_data_max");
	o = jq_ttl(o, c->ttl_server_data != 0, c->ttl_server_data_max);
	o = jq_obj_end(o, i1);
	o = jq_keyi(o, i1, "bytes");
	o = jq_pair(o, i1, i2, jq_uint, c->bytes[0], c->bytes[1]);
	o = jq_keyi(o, i1, "packets");
	o = jq_pair(o, i1, i2, jq_uint, c->packets[0], c->packets[1]);
	o = jq_keyi(o, i1, "retransmissions");
	o = jq_int(o, c->retransmissions);
	o = jq_keyi(o, i1, "gap_bytes");
	o = jq_pair(o, i1, i2, jq_uint, dt_conn_gap(c, 0), dt_conn_gap(c, 1));
	o = jq_keyi(o, i1, "truncated");
	o = jq_bool(o, c->truncated);
	o = jq_obj_end(o, i0);
	jq_end(w, o);
}

static void
jtcp(struct jw *w, const struct dt_conn *c)
{
	if (w->ind == JW_CONN_IND)
		jtcp_(w, c, JW_CONN_IND, JW_CONN_IND + 2, JW_CONN_IND + 4);
	else if (w->compact)
		jtcp_(w, c, 0, 0, 0);
	else
		jtcp_(w, c, w->ind, w->ind + w->step, w->ind + 2 * w->step);
}

/* s[0..n) at o, n <= fixed, copied as `fixed` bytes (one copy of a
   constant size, no branch; s holds them, o has the room). */
static inline __attribute__((always_inline)) char *
put_fixed(char *o, const char *s, size_t n, size_t fixed)
{
	memcpy(o, s, fixed);
	return o + n;
}

#define put16(o, s, n)	put_fixed((o), (s), (n), 16)
/* an address (under INET6_ADDRSTRLEN), a port (5 digits) */
#define put_addr(o, s, n)	put_fixed((o), (s), (n), INET6_ADDRSTRLEN)
#define put_port(o, s, n)	put_fixed((o), (s), (n), 8)

/*
 * The connection's "client", quoted at o ("A:P", "[A]:P" for IPv6), and
 * its "wireshark_filter" at filter ("ip.addr==A && tcp.port==P &&
 * ip.addr==..."): the bytes dt_conn_client_text() and
 * dt_facts_wireshark_filter() write (the client cut as it cuts), each
 * address formatted once for both, written straight into the run with
 * copies of a constant size (their memcpy() calls and the formatting
 * were a tenth of a connection's entry). filter has INET6_ADDRSTRLEN
 * bytes of room past DT_FILTER_LEN; *filter_n its length.
 */
static char *
jq_client(char *o, const struct dt_conn *c, char *filter, size_t *filter_n)
{
	char ca[INET6_ADDRSTRLEN], sa[INET6_ADDRSTRLEN], cp[24], sp[24];
	size_t can = jq_addr(ca, &c->client), san = jq_addr(sa, &c->server);
	size_t cpn = dt_dec_u64(cp, c->client_port);
	size_t spn = dt_dec_u64(sp, c->server_port);
	int v6 = c->client.family == 6;
	char *p = o + 1, *q = filter;

	_Static_assert(INET6_ADDRSTRLEN >= 20 && 2 * sizeof "ipv6.addr== && "
	    "tcp.port==65535" + 2 * INET6_ADDRSTRLEN + 4 <= DT_FILTER_LEN,
	    "an address's room; a filter never cut");
	*o = '"';
	*p = '[';
	p += v6;
	p = put_addr(p, ca, can);
	*p = ']';
	p += v6;
	*p++ = ':';
	p = put_port(p, cp, cpn);
	if ((size_t)(p - (o + 1)) > DT_ENDPOINT_LEN - 1)
		p = o + 1 + (DT_ENDPOINT_LEN - 1);
	*p++ = '"';

	if (v6)
		q = put16(q, "ipv6.addr==\0\0\0\0", 11);
	else
		q = put16(q, "ip.addr==\0\0\0\0\0\0", 9);
	q = put_addr(q, ca, can);
	q = put16(q, " && tcp.port==\0", 14);
	q = put_port(q, cp, cpn);
	if (c->server.family == 6)
		q = put16(q, " && ipv6.addr==", 15);
	else
		q = put16(q, " && ip.addr==\0\0", 13);
	q = put_addr(q, sa, san);
	q = put16(q, " && tcp.port==\0", 14);
	q = put_port(q, sp, spn);
	*filter_n = (size_t)(q - filter);
	return p;
}

/* The entry of c: its members at indentation i1 (jq_keyi()). */
static inline __attribute__((always_inline)) void
jw_conn_(struct jw *w, const struct dt_conn *c, size_t i1)
{
	char filter[DT_FILTER_LEN + INET6_ADDRSTRLEN];
	size_t filter_n;
	char *o = jq_begin(w, 12);

	w->evc_gen++;	/* no event of this connection kept yet */
	o = jq_elem(w, o);
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "id");
	o = jq_int(o, c->id);
	o = jq_keyi(o, i1, "client");
	/* in place: under 50 bytes, in a run made for 12 members */
	o = jq_client(o, c, filter, &filter_n);
	o = jq_keyi(o, i1, "server");
	o = jq_wire(w, o, c->server_str, 10);
	o = jq_keyi(o, i1, "server_name");
	o = jq_wire(w, o, dt_facts_server_name(c), 10);
	o = jq_keyi(o, i1, "iphttps");
	o = jq_bool(o, c->iphttps);
	o = jq_keyi(o, i1, "iphttps_score");
	o = jq_int(o, c->iphttps_score);
	o = jq_keyi(o, i1, "iphttps_reason");
	o = jq_wire(w, o, dt_conn_reason(c), 10);
	o = jq_keyi(o, i1, "first_frame");
	o = jq_uint(o, c->first_frame);
	o = jq_keyi(o, i1, "last_frame");
	o = jq_uint(o, c->last_frame);
	o = jq_keyi(o, i1, "wireshark_filter");
	/* in place when up to 96 bytes: this is at most the 11th member
	   of a run made for 12 (or 10 since the last jq_wire()), each of
	   the others far under a member's room (JQ_VALUE_MAX) */
	if (filter_n <= 96) {
		*o++ = '"';
		memcpy(o, filter, 96);
		o += filter_n;
		*o++ = '"';
	} else {
		o = jq_plain(w, o, filter, filter_n, 2);
	}
	jq_end(w, o);
	jtcp(w, c);
	jtls(w, c);
	jw_tunnel(w, c);
	/* extras */
	o = jq_begin(w, 4);
	o = jq_keyi(o, i1, "first_time");
	if (c->first_frame)
		o = jq_time(w, o, c->first_time);
	else
		o = jq_null(o);
	o = jq_keyi(o, i1, "last_time");
	if (c->last_frame)
		o = jq_time(w, o, c->last_time);
	else
		o = jq_null(o);
	o = jq_keyi(o, i1, "timeline");
	o = jq_open(w, o, '[');
	jq_end(w, o);
	jevents(w, c, 0);
	o = jq_begin(w, 3);
	o = jq_close(w, o);
	o = jq_keyi(o, i1, "timeline_dropped");
	o = jq_int(o, dt_conn_events_dropped(c));
	o = jq_close(w, o);
	jq_end(w, o);
}

void
jw_conn(struct jw *w, const struct dt_conn *c)
{
	if (w->ind == JW_CONN_IND - 2)
		jw_conn_(w, c, JW_CONN_IND);
	else if (w->compact)
		jw_conn_(w, c, 0);
	else
		jw_conn_(w, c, w->ind + w->step);
}
