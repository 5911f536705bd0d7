/*
 * Internal to the JSON document (json*.c). The document is written as it
 * goes, straight to the output, by a small emitter (json_out.c) that puts
 * every byte where jansson's json_dumpf() put it (JSON_INDENT(2) or
 * JSON_COMPACT, keys in the order they are written) and escapes strings
 * the way jansson does; no tree is built. json.c lays out the document and
 * the capture (its header fields, verdicts, DNS, HTTP), json_conn.c writes
 * one connection's entry (TCP, TLS, timeline), json_tunnel.c the facts
 * from inside its IP-HTTPS tunnel, json_events.c Windows' events, and
 * json_val.c the small values every part uses (frames, times).
 */
#ifndef DT_REPORT_JSON_INT_H
#define DT_REPORT_JSON_INT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "report/digits.h"
#include "report/report.h"

/* ---- the emitter (json_out.c) ------------------------------------------- */

#define JW_MAX_DEPTH	63	/* the document is 12 deep at most */

/*
 * The bytes of a timeline event (json_conn.c's jevent()) that are the same
 * for every event at one depth: its keys with their punctuation and
 * indentation, "from" with its two values, the close. Made the first time
 * an event is written at a depth (a document has two: "timeline" and
 * "messages", one deeper), then copied whole; sized for the deepest
 * indentation (JW_IND_MAX), copied as a fixed 32 or 64 bytes up to the
 * depths a document has.
 */
#define JW_IND_MAX	(1 + 2 * (JW_MAX_DEPTH + 1))

struct jw_evt {
	unsigned depth;		/* of the array it is in; 0: not made */
	unsigned short n_elem, n_time, n_from[2], n_key, n_close;
	/* ',' and the array's indentation, then '{' "frame": an element
	   after the first (the first copies it from its second byte) */
	char elem[2 * JW_IND_MAX + 48];
	char time[JW_IND_MAX + 32];	/* , "time": */
	char from[2][2 * JW_IND_MAX + 48]; /* , "from": "client", "type": " */
	char key[JW_IND_MAX + 32];	/* , and a member's indentation */
	char close[JW_IND_MAX + 32];	/* the array's indentation, '}' */
};

/*
 * A TLS event is written twice, in "messages" and in "timeline" (one
 * level shallower: other indentation, the same values). Its frame and
 * time as written the first time, kept by its place in the connection's
 * events (the first JW_EVC of them) for the second: the time was a third
 * of an event's cost. gen tells the connection they are from.
 */
#define JW_EVC	64

struct jw_evc {
	uint64_t gen;
	unsigned char nf, nt;	/* bytes of frame and time */
	char frame[22];		/* digits (jq_uint() stores 8 whole) */
	char time[36];		/* quoted, or null */
};

/*
 * A connection's "messages" or "timeline" as kept text with holes: the
 * bytes of either list are a function of the connection's events' types,
 * directions and a and b, but for the frames, the times and the byte
 * counts of some types (the holes), and of the depth it is written at.
 * A day's connections have a few dozen such shapes (a handshake, a
 * refused port), so a list whose shape was written before is its kept
 * text with the holes filled in, rather than each event's keys, names and
 * indentation put together again. The shape is of all the connection's
 * events, for "messages" too (its TLS ones are a part): found once for
 * both lists. The text is copied JW_EVM_PAD bytes at a time where it fits
 * (one fixed-size copy between two holes), hence the pad after it.
 */
#define JW_EVM_EVENTS	40	/* a longer list is written event by event */
#define JW_EVM_TEXT	3072
#define JW_EVM_PAD	160
#define JW_EVM_WAYS	16

struct jw_evm_hole {
	unsigned short len;	/* the constant bytes before it */
	unsigned char ev;	/* its event's place in the connection's */
	unsigned char b;	/* 1: the event's b, 0: its frame and time */
};

struct jw_evm {
	unsigned n_ev;		/* 0: none kept */
	unsigned n_holes, tail;	/* tail: the constant bytes after the last */
	unsigned n_text;	/* all the constant bytes */
	uint64_t head;		/* the list, its depth and indentation */
	uint64_t key[JW_EVM_EVENTS];	/* each event's shape */
	struct jw_evm_hole hole[2 * JW_EVM_EVENTS];
	char text[JW_EVM_TEXT + JW_EVM_PAD];
};

/*
 * A run of output that is a function of a few bytes of the facts (a
 * ClientHello's lists: thousands of connections from the same clients
 * send the same hello), kept when written and copied whole when the same
 * bytes come again at the same place. The key is those bytes with the
 * depth and whether the container has members; a memo keeps the last
 * JW_MEMO_WAYS runs written that fit (a day's clients send a handful of
 * distinct hellos, interleaved).
 */
#define JW_MEMO_KEY	640
#define JW_MEMO_OUT	1920
#define JW_MEMO_WAYS	8

struct jw_memo {
	size_t klen, n;		/* 0: none kept */
	unsigned char key[JW_MEMO_KEY];
	char out[JW_MEMO_OUT];
};

enum {
	JW_MEMO_SUITES,		/* "offered_suites", "offered_null" */
	JW_MEMO_HELLO,		/* "extensions" .. "status_request" */
	JW_MEMO_CERT,		/* a certificate's object; a shared chain; an
				   interned text with escapes */
	JW_MEMOS
};

/* A key being made, and where its run starts in the output. */
struct jw_memo_run {
	struct jw_memo *m;	/* the memo's JW_MEMO_WAYS runs */
	unsigned *next;		/* which of them the next one replaces */
	size_t klen, start;
	uint64_t flushes;
	unsigned char key[JW_MEMO_KEY];
};

/* Seconds whose text is kept (jq_time_any()): a connection's times go
   back to its start for "timeline", the next connection starts near where
   the last began, a verdict's evidence names the connection's times again,
   and connections that last minutes come back to seconds long past (a
   day's bench capture, 30 minutes of 8,000 connections, went through the
   clock 12,307 times with two seconds kept, 7,951 with 16, 3,587 with
   256: some 10 KiB). A power of two. */
#define JW_SECS	256

struct jw {
	FILE *fp;
	struct dt_mem *mem;	/* holds buf */
	char *buf;		/* output not yet written to fp */
	size_t n, size;
	int compact;		/* jsonl: no newlines, no spaces */
	int err;		/* DT_EIO / DT_ENOMEM, sticky */
	unsigned depth;		/* containers open */
	size_t ind;		/* newline and indentation of a member: 0
				   exactly when compact (jq_key_()) */
	int empty;		/* the innermost container has no member yet */
	uint64_t arr;		/* bit d: the container at depth d is an array */
	size_t step;		/* what ind grows by a depth: 2, compact 0 */
	struct dt_report_clock clock;	/* the date of the last time made */
	const char *now;	/* the text of the second last written, */
	int64_t clock_base;	/* in ns, when clock_ok */
	int clock_ok;
	/* The texts of the seconds written lately, by the second modulo
	   JW_SECS (jq_time_any()). */
	struct jw_sec {
		int64_t sec;
		int ok;		/* sec and text are set */
		char text[24];
	} secs[JW_SECS];
	int data_keys;		/* keys from the data: checked, escaped */
	struct jw_evt evt[2];	/* by the parity of the depth */
	struct jw_evc evc[JW_EVC];	/* by event index, the connection's */
	uint64_t evc_gen;	/* the connection being written */
	/* The frame and time of the last event written, when evl_ok, and
	   their bytes: events of one packet (a server's hello, certificate
	   and hello done; a client's key exchange, change cipher spec and
	   finished) come in a row, and the bytes are a function of the two
	   numbers alone. */
	struct jw_evc evl;
	uint64_t evl_frame;
	int64_t evl_ns;
	int evl_ok;
	/* The names of SSL 3.0 .. TLS 1.3 and the four after (jq_version):
	   ver_name[i] 0x0300 + i's, NULL until looked up (and for one
	   without a name); a TLS connection names four versions, of two
	   or three kinds. */
	const char *ver_name[8];
	/* Names of ours written (jq_ours()), quoted, by their address: a
	   connection writes a dozen (its state, its alerts', "server"), of
	   a handful of kinds, a document a few dozen kinds. One slot an
	   address hash: in 16, two names written every connection shared a
	   slot and took turns, which ones moving with the code's layout
	   (0.3-1 M instructions of a day's document, a rebuild apart). */
	struct jw_nm {
		const char *p;	/* NULL: none */
		size_t n;	/* bytes of q that count */
		char q[32];
	} nm[64];
	/* Texts the capture interned (a verdict's explanation and remedy:
	   a handful of kinds, hundreds of bytes, thousands of verdicts) by
	   their address, the capture's number with it: their length when
	   nothing in them needs an escape, else JW_TXT_ESC (written once,
	   then kept in a memo: jq_interned()). Two ways a slot. */
	struct jw_txt {
		const char *p;	/* NULL: none */
		uint64_t gen;	/* capture_gen when kept */
		size_t n;
	} txt[32][2];
	struct jw_memo *memo;	/* JW_MEMOS * JW_MEMO_WAYS, after buf */
	unsigned memo_next[JW_MEMOS];
	struct jw_evm *evm;	/* JW_EVM_WAYS, after the memos */
	unsigned evm_next;
	/* The shapes of the events of the connection being written (made
	   for "messages", used again for "timeline"), when evk_gen is
	   evc_gen: n_evk of them, more than JW_EVM_EVENTS when they are
	   written one by one. */
	uint64_t evk[JW_EVM_EVENTS];
	size_t n_evk;
	uint64_t evk_gen;
	uint64_t capture_gen;	/* the capture being written: its number */
	uint64_t flushes;	/* times buf was written out */
};

/* 0, or DT_ENOMEM when mem refused the output buffer. */
int jw_init(struct jw *w, FILE *fp, struct dt_mem *mem, int compact);
/* Writes what is buffered, frees the buffer: 0, DT_ENOMEM or DT_EIO. */
int jw_finish(struct jw *w);
/* Raw bytes of our own (the newline after a document). */
void jw_raw(struct jw *w, const char *p, size_t n);

/*
 * Every value takes the key it has in the enclosing object, or NULL as an
 * element of an array (or the document itself). Keys are our own names,
 * plain ASCII that needs no escape ('"', '\\' and the C0 controls never
 * occur in them), copied as they are; a part that writes keys from the
 * data (the fields of Windows' events, named by manifests) sets
 * w->data_keys while it does, and its keys are checked and escaped. The functions below take
 * the key's length too (klen); the jw_* wrappers after them give it, so a
 * key written as a literal has its length counted by the compiler.
 */
void jw_obj_k(struct jw *w, const char *key, size_t klen);
void jw_arr_k(struct jw *w, const char *key, size_t klen);
void jw_end(struct jw *w);	/* closes the innermost object or array */
void jw_null_k(struct jw *w, const char *key, size_t klen);
/* v != 0: true (any integer type). */
void jw_bool_k(struct jw *w, const char *key, size_t klen, uint64_t v);
void jw_int_k(struct jw *w, const char *key, size_t klen, int64_t v);
/* Counters: past INT64_MAX written as INT64_MAX. */
void jw_uint_k(struct jw *w, const char *key, size_t klen, uint64_t v);
/* Our own text (names, numbers as strings): it must be UTF-8 (and not
   NULL); jansson refused anything else, and so does this (DT_ENOMEM). */
void jw_str_k(struct jw *w, const char *key, size_t klen, const char *s);
/* One of our own names (a table's identifier, a hex number): plain
   ASCII like a key, n bytes, copied without a check or an escape. */
void jw_name_k(struct jw *w, const char *key, size_t klen, const char *s,
    size_t n);
/* A string from the wire, or NULL -> null: each byte that does not start
   a well-formed UTF-8 sequence becomes U+FFFD (dt_utf8_clean()). */
void jw_wire_k(struct jw *w, const char *key, size_t klen, const char *s);
void jw_wiren_k(struct jw *w, const char *key, size_t klen, const char *s,
    size_t n);

/* RFC 3339 UTC, or null outside 0000..9999 (the writer's clock). */
void jw_time_k(struct jw *w, const char *key, size_t klen, int64_t ns);

#define JW_KLEN(key)	((key) != NULL ? strlen(key) : 0)

static inline void
jw_obj(struct jw *w, const char *key)
{
	jw_obj_k(w, key, JW_KLEN(key));
}

static inline void
jw_arr(struct jw *w, const char *key)
{
	jw_arr_k(w, key, JW_KLEN(key));
}

static inline void
jw_null(struct jw *w, const char *key)
{
	jw_null_k(w, key, JW_KLEN(key));
}

static inline void
jw_bool(struct jw *w, const char *key, uint64_t v)
{
	jw_bool_k(w, key, JW_KLEN(key), v);
}

static inline void
jw_int(struct jw *w, const char *key, int64_t v)
{
	jw_int_k(w, key, JW_KLEN(key), v);
}

static inline void
jw_uint(struct jw *w, const char *key, uint64_t v)
{
	jw_uint_k(w, key, JW_KLEN(key), v);
}

static inline void
jw_str(struct jw *w, const char *key, const char *s)
{
	jw_str_k(w, key, JW_KLEN(key), s);
}

static inline void
jw_name(struct jw *w, const char *key, const char *s)
{
	jw_name_k(w, key, JW_KLEN(key), s, strlen(s));
}

static inline void
jw_wire(struct jw *w, const char *key, const char *s)
{
	jw_wire_k(w, key, JW_KLEN(key), s);
}

static inline void
jw_wiren(struct jw *w, const char *key, const char *s, size_t n)
{
	jw_wiren_k(w, key, JW_KLEN(key), s, n);
}

/* Frame numbers start at 1: 0 means none (null). */
static inline void
jw_frame(struct jw *w, const char *key, uint64_t frame)
{
	if (frame != 0)
		jw_uint_k(w, key, JW_KLEN(key), frame);
	else
		jw_null_k(w, key, JW_KLEN(key));
}

static inline void
jw_time(struct jw *w, const char *key, int64_t ns)
{
	jw_time_k(w, key, JW_KLEN(key), ns);
}

/* ---- the quick path (json_out.c) --------------------------------------- */

/*
 * A run of members with keys of ours and short values (numbers, true,
 * false, null, names of ours, times) written straight into the buffer
 * after one check of room, the same bytes jw_*() write: jq_begin() makes
 * room for k members and gives where to write, jq_key() writes the
 * separator, the indentation and the quoted key (its length counted by
 * the compiler), the jq_ value writers return the end of what they wrote,
 * and jq_end() keeps it. Objects and arrays open and close inside the run
 * (each open and close counts as a member). Nothing of unbounded length
 * (a string from the wire) goes this way: it takes jw_*() between runs.
 * Most of the document's members are written so: a member through jw_*()
 * cost about a hundred instructions, most of them checks made once here.
 */
#define JQ_KEY_MAX	40	/* a key, its quotes, ": " */
#define JQ_VALUE_MAX	48	/* a number, a literal, a name, a time */

extern const char jw_indent[];	/* "\n" and 2 spaces a depth */

char *jw_room_k(struct jw *w, size_t k);

/* The room of k members: ',', the deepest indentation rather than this
   depth's (a constant, as most k are: one load fewer and no compare a
   run), the key and the value. */
#define JQ_ROOM(k)	((k) * (1 + JW_IND_MAX + 2 + JQ_KEY_MAX + JQ_VALUE_MAX))

/* Room for k members at the current depth (and one deeper). */
static inline char *
jq_begin(struct jw *w, size_t k)
{
	size_t need = JQ_ROOM(k);

	if (w->size - w->n < need)
		return jw_room_k(w, need);
	return w->buf + w->n;
}

static inline void
jq_end(struct jw *w, char *o)
{
	w->n = (size_t)(o - w->buf);
}

/* Inside a run (a list of unknown length): room for k more members. */
static inline char *
jq_begin_at(struct jw *w, char *o, size_t k)
{
	jq_end(w, o);
	return jq_begin(w, k);
}

/* The separator and indentation of a member at the current depth (the
   writer's fields read before the first byte is stored: a char store
   may alias them, and would make the compiler read them again). Only
   the innermost container's emptiness is kept: the others have a
   member, the one open inside them. */
static inline __attribute__((always_inline)) char *
jq_sep(struct jw *w, char *o)
{
	int empty = w->empty;
	size_t ind = w->ind;

	w->empty = 0;
	*o = ',';
	o += !empty;
	if (ind <= 32)
		memcpy(o, jw_indent, 32);
	else
		memcpy(o, jw_indent, ind);
	return o + ind;
}

static inline __attribute__((always_inline)) char *
jq_key_(struct jw *w, char *o, const char *q, size_t n)
{
	/* the indentation is 0 exactly when compact: ':' without ' ' (the
	   load jq_sep() makes anyway, where w->compact was one more a
	   member, after the stores) */
	size_t ind = w->ind;

	o = jq_sep(w, o);
	memcpy(o, q, n);
	return o + n - (ind == 0);
}

#define JQ_Q(key)	"\"" key "\": "
/* its length, a compile error past JQ_KEY_MAX */
#define JQ_QLEN(key)	sizeof(char[sizeof JQ_Q(key) - 1 <= JQ_KEY_MAX ? \
	sizeof JQ_Q(key) - 1 : -1])
#define jq_key(w, o, key)	jq_key_((w), (o), JQ_Q(key), JQ_QLEN(key))

/* The newline and indentation ind (0: compact, nothing) at o: the
   indentations of depths up to 7 as 16 bytes, up to 15 as 32. */
static inline __attribute__((always_inline)) char *
jq_ind(char *o, size_t ind)
{
	if (ind == 0)		/* compact */
		;
	else if (ind <= 16)
		memcpy(o, jw_indent, 16);
	else if (ind <= 32)
		memcpy(o, jw_indent, 32);
	else
		memcpy(o, jw_indent, ind);
	return o + ind;
}

/*
 * A key after another value, with the indentation given by the caller
 * (ind: w->ind, 0 when compact): a run specialised for the depth it is
 * written at (or for jsonl) has it as a constant, and its keys'
 * separators, indentation and quoted names become stores of constant
 * bytes (the indentation of depths up to 7 as 16 bytes).
 */
static inline __attribute__((always_inline)) char *
jq_keyi_(char *o, size_t ind, const char *q, size_t n)
{
	*o++ = ',';
	o = jq_ind(o, ind);
	memcpy(o, q, n);
	return o + n - (ind == 0);
}

/*
 * jq_key() of a member written right after another of the same object
 * in the same run (its value, or a container it closed, the statement
 * before): the object has a member, so its ',' needs no look at
 * w->empty, nor a store of it (a load, a store and two operations of
 * the ~19 a member's key cost; a char store may alias the writer, so
 * each member loaded it again). The first member after jq_open(), or
 * one after a branch, takes jq_key(). It is jq_keyi() at w->ind.
 */
#define jq_keyi(o, ind, key)	jq_keyi_((o), (ind), JQ_Q(key), JQ_QLEN(key))
#define jq_keyn(w, o, key)	jq_keyi((o), (w)->ind, key)

/* An element of an array. */
#define jq_elem(w, o)	jq_sep((w), (o))

/*
 * A small object of a fixed shape (its members always there: a pair of
 * frames, a TTL's five) opened and closed as constant bytes, the
 * writer's depth untouched: its first key is jq_keyi() with the '{'
 * where the ',' would be (jq_obj_key()), and it closes on its own line
 * at its key's indentation (jq_obj_end(); ind as jq_keyi() takes it).
 * Nothing inside may take jq_key(), jq_open() or jq_close(): they read
 * the depth, which is still the enclosing object's.
 */
#define jq_obj_key(o, ind, key)	jq_obj_key_((o), (ind), JQ_Q(key), \
	JQ_QLEN(key))

static inline __attribute__((always_inline)) char *
jq_obj_key_(char *o, size_t ind, const char *q, size_t n)
{
	char *open = o;

	o = jq_keyi_(o, ind, q, n);
	*open = '{';
	return o;
}

/* Closes a fixed shape (c '}' or ']') on its own line at ind. */
static inline __attribute__((always_inline)) char *
jq_shut(char *o, size_t ind, char c)
{
	o = jq_ind(o, ind);
	*o = c;
	return o + 1;
}

#define jq_obj_end(o, ind)	jq_shut((o), (ind), '}')

/* Opens an object (c '{') or an array ('[') after its key or jq_elem(). */
char *jq_open_deep(struct jw *w, char *o);

static inline __attribute__((always_inline)) char *
jq_open(struct jw *w, char *o, char c)
{
	unsigned d = w->depth + 1;
	uint64_t bit;

	if (d > JW_MAX_DEPTH)
		return jq_open_deep(w, o);
	bit = (uint64_t)1 << d;
	*o++ = c;
	w->depth = d;
	w->ind += w->step;
	w->empty = 1;
	w->arr = (w->arr & ~bit) | (c == '[' ? bit : 0);
	return o;
}

/* Closes the innermost: on its own line at its depth when it has
   members (the indentation copied as 32 bytes, as jq_sep() does). */
static inline __attribute__((always_inline)) char *
jq_close(struct jw *w, char *o)
{
	unsigned d = w->depth;
	uint64_t bit = (uint64_t)1 << d;
	size_t ind = w->ind - w->step;

	if (d == 0)
		return o;
	if (!w->empty) {
		if (ind <= 32)
			memcpy(o, jw_indent, 32);
		else
			memcpy(o, jw_indent, ind);
		o += ind;
	}
	*o++ = (w->arr & bit) ? ']' : '}';
	w->depth = d - 1;
	w->ind = ind;
	w->empty = 0;	/* it is a member of its container */
	return o;
}

/*
 * The decimal digits of a byte (0..255) as a word, in memory order on a
 * little-endian machine (DT_DIGITS_SWAR), then '.', the rest zero: a
 * dotted quad's parts as put_ip4() in facts.c writes them (inet_ntop()'s
 * bytes; a day's JSON writes two addresses a connection and one a DNS
 * answer), and the small numbers of a connection (TTLs, counts), each
 * one store without a loop or a division.
 */
#ifdef DT_DIGITS_SWAR
extern const uint32_t jq_dec3[256]	/* json_out.c */
    __attribute__((visibility("hidden")));
#endif

/* The digits of v < 256 at p, then '.' (room for 4); their count. */
static inline size_t
jq_byte(char *p, unsigned v)
{
#ifdef DT_DIGITS_SWAR
	uint32_t x = jq_dec3[v];

	memcpy(p, &x, 4);
#else
	char *q = p;

	if (v >= 100)
		*q++ = (char)('0' + v / 100);
	if (v >= 10)
		*q++ = (char)('0' + v / 10 % 10);
	*q++ = (char)('0' + v % 10);
	*q = '.';
#endif
	return 1 + (v >= 10) + (v >= 100);
}

/* The dotted quad of b at p (room for 16); its length. */
static inline size_t
jq_ip4(char *p, const uint8_t *b)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++)
		n += jq_byte(p + n, b[i]) + 1;
	return n - 1;	/* the last '.' */
}

/* An address as dt_addr_put() writes it (inet_ntop()'s bytes), an IPv4
   one inline (nearly every connection's and DNS answer's); room for 20
   at p. Its length. */
static inline size_t
jq_addr(char *p, const struct dt_addr *a)
{
	return a->family == 6 ? dt_addr_put(p, a) : jq_ip4(p, a->a);
}

/* Values. */
char *jq_int_any(char *o, int64_t v);

/* "%lld" of v at o: under 10^8 (ids, counts, codes) inline, the 8
   digits of a word with the leading zeros shifted out; the rest, and
   negatives, by jq_int_any(). */
static inline __attribute__((always_inline)) char *
jq_int(char *o, int64_t v)
{
#ifdef DT_DIGITS_SWAR
	if ((uint64_t)v < 10) {
		*o = (char)('0' + v);
		return o + 1;
	}
	if ((uint64_t)v < 256)
		return o + jq_byte(o, (unsigned)v);
	if ((uint64_t)v < 100000000)
		return o + dt_dec8(o, (uint32_t)v);
#endif
	return jq_int_any(o, v);
}

/* A counter or a frame: most are under 10^8, written here inline (8
   digits in a word, the leading zeros shifted out, the word stored
   whole: a member has the room); past INT64_MAX as INT64_MAX. */
static inline __attribute__((always_inline)) char *
jq_uint(char *o, uint64_t v)
{
#ifdef DT_DIGITS_SWAR
	if (v < 10) {
		*o = (char)('0' + v);
		return o + 1;
	}
	if (v < 256)
		return o + jq_byte(o, (unsigned)v);
	if (v < 100000000)
		return o + dt_dec8(o, (uint32_t)v);
#endif
	return jq_int_any(o, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static inline char *
jq_null(char *o)
{
	memcpy(o, "null", 4);
	return o + 4;
}

static inline char *
jq_bool(char *o, uint64_t v)
{
	memcpy(o, v ? "true " : "false", 5);
	return o + 5 - (v != 0);
}

static inline __attribute__((always_inline)) char *
jq_frame(char *o, uint64_t frame)
{
	return frame != 0 ? jq_uint(o, frame) : jq_null(o);
}

/* One of our own names, plain ASCII, n <= JQ_VALUE_MAX - 2 bytes. */
static inline char *
jq_name(char *o, const char *s, size_t n)
{
	*o++ = '"';
	memcpy(o, s, n);
	o[n] = '"';
	return o + n + 1;
}

/* RFC 3339 UTC, or null outside 0000..9999 (the writer's clock). */
char *jq_time_any(struct jw *w, char *o, int64_t ns);

/* A time of the second whose text is text[0..19), frac ns past it. */
static inline char *
jq_time_in(char *o, const char *text, uint64_t frac)
{
	char *p;

	o[0] = '"';
	memcpy(o + 1, text, 24);	/* 19 bytes count */
	p = dt_dec_frac(o + 20, (uint32_t)frac);
	p[0] = 'Z';
	p[1] = '"';
	return p + 2;
}

/* The same: inline when in the second the clock last wrote (most are:
   the events of a connection), else jq_time_any(). */
static inline __attribute__((always_inline)) char *
jq_time(struct jw *w, char *o, int64_t ns)
{
	/* frac is ns - clock_base exactly when ns >= clock_base */
	uint64_t frac = (uint64_t)ns - (uint64_t)w->clock_base;

	if (w->clock_ok && ns >= w->clock_base && frac < 1000000000)
		return jq_time_in(o, w->now, frac);
	return jq_time_any(w, o, ns);
}

/* n bytes of p at o, copied as `fixed` bytes when n is no more (one
   fixed-size copy; what follows overwrites the rest): p holds at least
   `fixed`, and the run has the room. */
static inline __attribute__((always_inline)) char *
jq_copy(char *o, const char *p, size_t n, size_t fixed)
{
	if (n <= fixed)
		memcpy(o, p, fixed);
	else
		memcpy(o, p, n);
	return o + n;
}

/* The constant bytes of an event in the array open at w->depth (struct
   jw_evt), made when not yet made for it; NULL past JW_MAX_DEPTH. */
struct jw_evt *jw_evt_make(struct jw *w);

static inline struct jw_evt *
jw_evt(struct jw *w)
{
	struct jw_evt *t = &w->evt[w->depth & 1];

	return t->depth == w->depth ? t : jw_evt_make(w);
}

/*
 * Strings of any length end a run: jq_str() writes our own text (valid
 * UTF-8, not NULL, as jw_str()), jq_wire() a string from the wire or NULL
 * (as jw_wire()); both then make room for k more members and give where
 * to write them.
 */
char *jq_str(struct jw *w, char *o, const char *s, size_t k);
char *jq_wire(struct jw *w, char *o, const char *s, size_t k);
/* jq_wire() of a text interned in the capture being written: its bytes
   stay at that address while it is, so what jq_wire() found out about
   it (its length, that it is plain) is kept by the address and the
   text then copied as it is; one that needs escapes is kept whole as
   written (a memo). */
char *jq_interned(struct jw *w, char *o, const char *s, size_t k);
/* One of our names (printable ASCII, nothing to escape), or null. The
   name is a constant of the library (a table's: its bytes never change
   at that address), so what it quotes to is kept by its address and
   copied whole next time: no strlen(), no copy of a length. */
char *jq_ours_new(struct jw *w, char *o, const char *name, size_t k);

/* The slot of w->nm a name is kept in: its address, hashed to 6 bits. */
static inline __attribute__((always_inline)) struct jw_nm *
jw_nm_slot(struct jw *w, const char *name)
{
	_Static_assert(sizeof w->nm / sizeof w->nm[0] == 64, "6 bits a slot");
	return &w->nm[((uint64_t)(uintptr_t)name *
	    UINT64_C(0x9E3779B97F4A7C15)) >> 58];
}

static inline __attribute__((always_inline)) char *
jq_ours(struct jw *w, char *o, const char *name, size_t k)
{
	const struct jw_nm *e;

	if (name == NULL)
		return jq_null(o);
	e = jw_nm_slot(w, name);
	if (e->p != name)
		return jq_ours_new(w, o, name, k);
	_Static_assert(sizeof e->q <= JQ_VALUE_MAX, "a name in its room");
	memcpy(o, e->q, sizeof e->q);
	return o + e->n;
}

/* Our own text of n bytes, printable ASCII without '"' or '\\' (an
   endpoint, a filter we made), copied as it is: no strlen(), no check;
   room for k members after it when it is long. */
char *jq_plain_long(struct jw *w, char *o, const char *s, size_t n,
    size_t k);

static inline char *
jq_plain(struct jw *w, char *o, const char *s, size_t n, size_t k)
{
	if (n <= JQ_VALUE_MAX - 2)
		return jq_name(o, s, n);
	return jq_plain_long(w, o, s, n, k);
}

/* ---- runs written once (json_out.c) ----------------------------------- */

/* Starts the key of a run of memo i at the current depth. */
void jw_memo_begin(struct jw *w, struct jw_memo_run *r, unsigned i);

/* Adds n bytes to the key (a key too long for JW_MEMO_KEY is never
   kept); p may be NULL when n is 0 (an empty list). */
static inline void
jw_memo_add(struct jw_memo_run *r, const void *p, size_t n)
{
	if (n != 0 && r->klen <= JW_MEMO_KEY && n <= JW_MEMO_KEY - r->klen)
		memcpy(r->key + r->klen, p, n);
	r->klen += n;
}

/* A ClientHello list: its count, then its entries (n of them: the
   parser stops counting at the entries it keeps). */
static inline void
jw_memo_u16v(struct jw_memo_run *r, const uint16_t *v, uint32_t n)
{
	jw_memo_add(r, &n, sizeof n);
	jw_memo_add(r, v, n * sizeof *v);
}

/* A string or NULL, told apart: a tag byte, then its bytes and NUL. */
static inline void
jw_memo_str(struct jw_memo_run *r, const char *s)
{
	static const char tag[2] = { 0, 1 };

	jw_memo_add(r, &tag[s != NULL], 1);
	if (s != NULL)
		jw_memo_add(r, s, strlen(s) + 1);
}

/* 1 when the run was written as kept (the caller writes nothing);
   0: the caller writes it, then calls jw_memo_end(). */
int jw_memo_found(struct jw *w, struct jw_memo_run *r);
/* Keeps what was written since jw_memo_found() when it fits and went
   out in one piece. */
void jw_memo_end(struct jw *w, struct jw_memo_run *r);

/* ---- one connection (json_conn.c, json_tunnel.c) ------------------------ */

/* The entry of c in "connections" (SPEC §4 keys first, then extras). */
void jw_conn(struct jw *w, const struct dt_conn *c);
/* Its "tunnel": null when none was seen, {"encrypted": true} when the
   suite encrypts and there is nothing to read. */
void jw_tunnel(struct jw *w, const struct dt_conn *c);

/* ---- Windows' events (json_events.c) ----------------------------------- */

/* "events" and "events_not_kept" when the capture decoded any. */
void jw_winevents(struct jw *w, const struct dt_capture *cap);

#endif
