/*
 * The JSON emitter: values written straight to the output as they come,
 * byte for byte what jansson 2.14's json_dumpf() wrote for the same tree
 * with JSON_INDENT(2) (or JSON_COMPACT for jsonl) and JSON_PRESERVE_ORDER,
 * so the document of SPEC §4 is unchanged (tests/golden holds it):
 *
 *  - a container with members opens with "{" or "[", each member on its
 *    own line indented two spaces per depth, members separated by ",", and
 *    the closing bracket on its own line at the container's depth; an
 *    empty one is "{}" or "[]"; compact: no newline, no space;
 *  - a key is followed by ": " (compact ":");
 *  - strings (RFC 8259 7) escape '"' and '\' and the C0 controls, as \b \f
 *    \n \r \t or \u00XX with upper-case hex; '/', DEL, U+2028/U+2029 and
 *    every other code point are written as they are (UTF-8; jansson's
 *    JSON_ENSURE_ASCII and JSON_ESCAPE_SLASH were never used);
 *  - jansson refused text that is not well-formed UTF-8 (RFC 3629), so
 *    strings from the wire were repaired first (U+FFFD for each bad byte)
 *    and our own text was required to be valid: both stay so here.
 *
 * Output is gathered in a buffer (allocated from the caller's allocator)
 * and written with fwrite() when it fills.
 */
#include "report/json_int.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The buffer, the memos and the event lists' memo after it in one
   allocation, no larger than the 256 KiB buffer alone was
   (fuzz_pipeline's 512 KiB cap counts it with the capture's memory). */
#define JW_BUF	(128 * 1024)
#define JW_MEMO_BYTES	(JW_MEMOS * JW_MEMO_WAYS * sizeof(struct jw_memo))
#define JW_EVM_BYTES	(JW_EVM_WAYS * sizeof(struct jw_evm))
_Static_assert(JW_BUF + JW_MEMO_BYTES + JW_EVM_BYTES <= 256 * 1024,
    "the writer's memory");

int
jw_init(struct jw *w, FILE *fp, struct dt_mem *mem, int compact)
{
	size_t i;

	memset(w, 0, sizeof *w);
	w->fp = fp;
	w->mem = mem;
	w->compact = compact != 0;
	w->step = w->compact ? 0 : 2;
	w->ind = w->compact ? 0 : 1;
	/* the memos after the buffer, in the same block: bounded, a few
	   pages, whatever the capture */
	_Static_assert(JW_BUF % _Alignof(struct jw_memo) == 0, "memo align");
	_Static_assert((JW_BUF + JW_MEMO_BYTES) % _Alignof(struct jw_evm) == 0,
	    "evm align");
	w->buf = dt_malloc(mem, JW_BUF + JW_MEMO_BYTES + JW_EVM_BYTES);
	if (w->buf == NULL) {
		w->err = DT_ENOMEM;
		return w->err;
	}
	w->size = JW_BUF;
	w->memo = (struct jw_memo *)(void *)(w->buf + JW_BUF);
	for (i = 0; i < JW_MEMOS * JW_MEMO_WAYS; i++)
		w->memo[i].klen = w->memo[i].n = 0;
	w->evm = (struct jw_evm *)(void *)(w->buf + JW_BUF + JW_MEMO_BYTES);
	for (i = 0; i < JW_EVM_WAYS; i++)
		w->evm[i].n_ev = 0;
	return 0;
}

static void
jw_flush(struct jw *w)
{
	if (w->err == 0 && w->n > 0 && fwrite(w->buf, 1, w->n, w->fp) != w->n)
		w->err = DT_EIO;
	w->n = 0;
	w->flushes++;
}

int
jw_finish(struct jw *w)
{
	jw_flush(w);
	dt_free(w->mem, w->buf);
	w->buf = NULL;
	w->size = 0;
	return w->err;
}

static void
jw_put_slow(struct jw *w, const char *p, size_t n)
{
	jw_flush(w);
	if (w->err != 0)
		return;
	if (n > w->size) {
		if (fwrite(p, 1, n, w->fp) != n)
			w->err = DT_EIO;
		return;
	}
	memcpy(w->buf, p, n);
	w->n = n;
}

/* Into the buffer; after an error, bytes land there and go nowhere (the
   flush writes nothing once err is set). */
static inline void
jw_put(struct jw *w, const char *p, size_t n)
{
	if (n <= w->size - w->n) {
		memcpy(w->buf + w->n, p, n);
		w->n += n;
	} else {
		jw_put_slow(w, p, n);
	}
}

static inline void
jw_putc(struct jw *w, char c)
{
	if (w->n < w->size)
		w->buf[w->n++] = c;
	else
		jw_put_slow(w, &c, 1);
}

void
jw_raw(struct jw *w, const char *p, size_t n)
{
	jw_put(w, p, n);
}

/*
 * Room: a member is written into the buffer without a check per byte. It
 * first makes room for its separator, indentation, key and a scalar value
 * (a number, true/false/null: JW_SCALAR bytes; a time is 32), flushing when
 * the buffer is that close to full; what does not fit (a key longer than
 * the buffer) takes the byte-by-byte path.
 */
#define JW_SCALAR	48

static inline void
jw_room(struct jw *w, size_t need)
{
	if (w->size - w->n < need)
		jw_flush(w);
}

/* The newline and indentation of every depth: 1 + 2 * depth bytes. */
#define SP16	"                "
const char jw_indent[] = "\n" SP16 SP16 SP16 SP16 SP16 SP16 SP16 SP16;
_Static_assert(sizeof jw_indent - 1 >= 1 + 2 * JW_MAX_DEPTH,
    "indentation of the deepest container");

/* 1: a byte written as it is inside a string (printable ASCII and DEL,
   but '"' and '\'); 0: it is escaped, starts UTF-8, or ends the string. */
static const unsigned char plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/*
 * Whether any of the 8 bytes of x is not plain: >= 0x80, < 0x20, '"' or
 * '\\' (the zero-byte test of "Bit Twiddling Hacks": (v - 1) & ~v & 0x80
 * in some byte exactly when some byte of v is 0; for bytes under 0x80,
 * the same with 0x20 finds those under 0x20).
 */
#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

static inline uint64_t
jw_word_odd(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

	return (x | ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) |
	    ((b - ONES) & ~b)) & HIGHS;
}

#ifdef __SSE2__
/*
 * The same for 16 bytes at a time (x86-64 has SSE2 always), kept in two
 * accumulators checked once at the end: the C0 controls and the bytes
 * >= 0x80 are those under 0x20 as signed bytes, that is under 0xA0 once
 * the top bit is flipped, so an unsigned minimum of the flipped bytes
 * finds both (*lo); the quote and the backslash are compared for (*eq).
 * Fewer operations a block than a mask of each test (callgrind).
 */
static inline __attribute__((always_inline)) void
jw_vec_acc(__m128i x, __m128i *lo, __m128i *eq)
{
	*eq = _mm_or_si128(*eq, _mm_or_si128(
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
	*lo = _mm_min_epu8(*lo, _mm_xor_si128(x, _mm_set1_epi8((char)0x80)));
}

/* Whether every byte the accumulators saw is plain. */
static inline int
jw_vec_plain(__m128i lo, __m128i eq)
{
	/* a lane of lo under 0xA0: its min with 0x9F is itself */
	__m128i top = _mm_set1_epi8((char)0x9F);

	return _mm_movemask_epi8(_mm_or_si128(eq,
	    _mm_cmpeq_epi8(_mm_min_epu8(lo, top), lo))) == 0;
}
#endif

/*
 * Copies s[0..n) to o 16 bytes or a word at a time (the last block
 * overlapping the one before: no loop over the tail) and tells whether
 * every byte is plain; when one is not, what was copied is to be written
 * again.
 */
static inline int
jw_copy_plain(char *o, const unsigned char *s, size_t n)
{
	uint64_t x, odd = 0;
	uint32_t lo, hi;
	size_t i;

#ifdef __SSE2__
	if (n >= 16) {
		__m128i v, v2, vlo = _mm_set1_epi8((char)0xFF);
		__m128i veq = _mm_setzero_si128();

		/* two blocks a turn: a verdict's texts are hundreds */
		for (i = 0; i + 32 < n; i += 32) {
			v = _mm_loadu_si128((const __m128i *)(s + i));
			v2 = _mm_loadu_si128((const __m128i *)(s + i + 16));
			_mm_storeu_si128((__m128i *)(o + i), v);
			_mm_storeu_si128((__m128i *)(o + i + 16), v2);
			jw_vec_acc(v, &vlo, &veq);
			jw_vec_acc(v2, &vlo, &veq);
		}
		if (i + 16 < n) {
			v = _mm_loadu_si128((const __m128i *)(s + i));
			_mm_storeu_si128((__m128i *)(o + i), v);
			jw_vec_acc(v, &vlo, &veq);
		}
		v = _mm_loadu_si128((const __m128i *)(s + n - 16));
		_mm_storeu_si128((__m128i *)(o + n - 16), v);
		jw_vec_acc(v, &vlo, &veq);
		return jw_vec_plain(vlo, veq);
	}
#endif
	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&x, s + i, 8);
			odd |= jw_word_odd(x);
			memcpy(o + i, &x, 8);
		}
		memcpy(&x, s + n - 8, 8);
		memcpy(o + n - 8, &x, 8);
		return (odd | jw_word_odd(x)) == 0;
	}
	if (n >= 4) {
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		memcpy(o, &lo, 4);
		memcpy(o + n - 4, &hi, 4);
		return jw_word_odd((uint64_t)hi << 32 | lo) == 0;
	}
	for (i = 0; i < n; i++) {
		o[i] = (char)s[i];
		odd |= plain[s[i]] ^ 1;
	}
	return odd == 0;
}

/* jw_copy_plain() without the check: a key of our own (json_int.h). */
static inline void
jw_copy_key(char *o, const unsigned char *s, size_t n)
{
	uint64_t x;
	uint32_t lo, hi;
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&x, s + i, 8);
			memcpy(o + i, &x, 8);
		}
		memcpy(&x, s + n - 8, 8);
		memcpy(o + n - 8, &x, 8);
	} else if (n >= 4) {
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		memcpy(o, &lo, 4);
		memcpy(o + n - 4, &hi, 4);
	} else {
		for (i = 0; i < n; i++)
			o[i] = (char)s[i];
	}
}

/* A newline and the indentation of depth d (the byte-by-byte path). */
static void
jw_newline(struct jw *w, unsigned d)
{
	jw_put(w, jw_indent, 1 + 2 * (size_t)d);
}

/*
 * The escaped rest of a string, s[0..n), and its closing quote. wire:
 * bytes that do not start a well-formed sequence become U+FFFD; else they
 * are an error (DT_ENOMEM, what jansson's refusal gave).
 */
static void
jw_escape(struct jw *w, const char *s, size_t n, int wire)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, from, k;
	uint32_t cp;
	char esc[6];

	while (i < n && w->err == 0) {
		/* a run of printable ASCII that needs no escape */
		from = i;
		while (i < n && plain[p[i]])
			i++;
		jw_put(w, s + from, i - from);
		if (i == n)
			break;
		if (p[i] >= 0x80) {
			k = dt_utf8_next(s + i, n - i, &cp);
			if (k > 0) {
				jw_put(w, s + i, k);
				i += k;
			} else if (wire) {
				jw_put(w, "\xEF\xBF\xBD", 3);
				i++;
			} else if (w->err == 0) {
				w->err = DT_ENOMEM;
			}
			continue;
		}
		esc[0] = '\\';
		switch (p[i]) {
		case '"':
		case '\\':
			esc[1] = (char)p[i];
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:	/* the other C0 controls (DEL is not escaped) */
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 0xf];
			jw_put(w, esc, 6);
			i++;
			continue;
		}
		jw_put(w, esc, 2);
		i++;
	}
	jw_putc(w, '"');
}

/* The quoted, escaped string s[0..n): a string of plain bytes is copied
   a word at a time; any other goes through jw_escape(). */
static void
jw_quoted(struct jw *w, const char *s, size_t n, int wire)
{
	const unsigned char *p = (const unsigned char *)s;
	char *o;

	if (n + 2 > w->size - w->n) {
		jw_putc(w, '"');
		jw_escape(w, s, n, wire);
		return;
	}
	o = w->buf + w->n + 1;
	o[-1] = '"';
	if (jw_copy_plain(o, p, n)) {
		o[n] = '"';
		w->n += n + 2;
		return;
	}
	w->n += 1;
	jw_escape(w, s, n, wire);
}

/* What jw_member() does when a key will not go the quick way. */
static void
jw_member_slow(struct jw *w, const char *key, size_t klen)
{
	if (!w->empty)
		jw_putc(w, ',');
	w->empty = 0;
	if (!w->compact)
		jw_newline(w, w->depth);
	if (key != NULL) {
		jw_quoted(w, key, klen, 0);
		if (w->compact)
			jw_putc(w, ':');
		else
			jw_put(w, ": ", 2);
	}
}

/* What jw_member() does off its quick path: the document's own value
   (depth 0), a key where none belongs or none where one does (our bug),
   keys from the data, and keys too long for the buffer. */
static void __attribute__((noinline))
jw_member_rare(struct jw *w, const char *key, size_t klen)
{
	uint64_t bit;

	if (w->depth == 0) {
		jw_room(w, JW_SCALAR);
		return;
	}
	bit = (uint64_t)1 << w->depth;
	/* a key in an object, none in an array: anything else is our bug */
	if ((key == NULL) != ((w->arr & bit) != 0)) {
		if (w->err == 0)
			w->err = DT_ENOMEM;
		jw_room(w, JW_SCALAR);
		return;
	}
	jw_member_slow(w, key, klen);
	jw_room(w, JW_SCALAR);
}

/*
 * What comes before a value: its key, or the separator of an element.
 * Afterwards there are JW_SCALAR bytes of room in the buffer. Inline in
 * each writer of a value: it runs once a member, millions of times.
 */
static inline __attribute__((always_inline)) void
jw_member(struct jw *w, const char *key, size_t klen)
{
	uint64_t bit = (uint64_t)1 << w->depth;
	size_t ind = w->ind;
	char *o;

	if (w->depth == 0 || (key == NULL) != ((w->arr & bit) != 0) ||
	    klen > JW_BUF / 4 || (w->data_keys && key != NULL)) {
		jw_member_rare(w, key, klen);
		return;
	}
	/* , indent "key": value; the indentation of depths up to 15 is
	   copied as 32 bytes (one fixed-size copy, past ind overwritten) */
	jw_room(w, 1 + (ind > 32 ? ind : 32) + klen + 4 + JW_SCALAR);
	o = w->buf + w->n;
	if (!w->empty)
		*o++ = ',';
	if (ind <= 32)
		memcpy(o, jw_indent, 32);
	else
		memcpy(o, jw_indent, ind);
	o += ind;
	if (key != NULL) {
		*o++ = '"';
		jw_copy_key(o, (const unsigned char *)key, klen);
		o += klen;
		*o++ = '"';
		*o++ = ':';
		if (!w->compact)
			*o++ = ' ';
	}
	w->empty = 0;
	w->n = (size_t)(o - w->buf);
}

/* Bytes after jw_member(): n <= JW_SCALAR. */
static inline void
jw_scalar(struct jw *w, const char *p, size_t n)
{
	memcpy(w->buf + w->n, p, n);
	w->n += n;
}

static void
jw_open(struct jw *w, const char *key, size_t klen, char c, int array)
{
	uint64_t bit;

	jw_member(w, key, klen);
	if (w->depth >= JW_MAX_DEPTH) {
		if (w->err == 0)
			w->err = DT_ENOMEM;
		return;
	}
	w->buf[w->n++] = c;
	w->depth++;
	w->ind = w->compact ? 0 : 1 + 2 * (size_t)w->depth;
	bit = (uint64_t)1 << w->depth;
	w->empty = 1;
	if (array)
		w->arr |= bit;
	else
		w->arr &= ~bit;
}

void
jw_obj_k(struct jw *w, const char *key, size_t klen)
{
	jw_open(w, key, klen, '{', 0);
}

void
jw_arr_k(struct jw *w, const char *key, size_t klen)
{
	jw_open(w, key, klen, '[', 1);
}

void
jw_end(struct jw *w)
{
	uint64_t bit;

	if (w->depth == 0)
		return;
	bit = (uint64_t)1 << w->depth;
	if (!w->empty && !w->compact)
		jw_newline(w, w->depth - 1);
	jw_putc(w, (w->arr & bit) ? ']' : '}');
	w->depth--;
	w->ind = w->compact ? 0 : 1 + 2 * (size_t)w->depth;
	w->empty = 0;	/* it is a member of its container */
}

void
jw_null_k(struct jw *w, const char *key, size_t klen)
{
	jw_member(w, key, klen);
	jw_scalar(w, "null", 4);
}

void
jw_bool_k(struct jw *w, const char *key, size_t klen, uint64_t v)
{
	jw_member(w, key, klen);
	if (v)
		jw_scalar(w, "true", 4);
	else
		jw_scalar(w, "false", 5);
}

#ifdef DT_DIGITS_SWAR
/* jq_byte()'s words (json_int.h): one table for every file of the
   writer, not a copy in each. */
#define DEC3_D(v, k)	((uint32_t)('0' + (v) / (k) % 10))
#define DEC3_W(v)	((v) >= 100 ? DEC3_D(v, 100) | DEC3_D(v, 10) << 8 | \
	DEC3_D(v, 1) << 16 | (uint32_t)'.' << 24 : (v) >= 10 ? \
	DEC3_D(v, 10) | DEC3_D(v, 1) << 8 | (uint32_t)'.' << 16 : \
	DEC3_D(v, 1) | (uint32_t)'.' << 8)
#define DEC3_4(v)	DEC3_W(v), DEC3_W((v) + 1), DEC3_W((v) + 2), \
	DEC3_W((v) + 3)
#define DEC3_16(v)	DEC3_4(v), DEC3_4((v) + 4), DEC3_4((v) + 8), \
	DEC3_4((v) + 12)
#define DEC3_64(v)	DEC3_16(v), DEC3_16((v) + 16), DEC3_16((v) + 32), \
	DEC3_16((v) + 48)

const uint32_t jq_dec3[256] = {
	DEC3_64(0), DEC3_64(64), DEC3_64(128), DEC3_64(192)
};
#endif

/* "%lld" (JSON_INTEGER_FORMAT) of v at o. Below 10^8 (frames, counts,
   times' parts), its 8 digits zero-padded in a word, the leading zeros
   shifted out and the word stored whole (a member has the room); above,
   two digits a division from the last. */
char *
jq_int_any(char *o, int64_t v)
{
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324252627282930"
	    "31323334353637383940414243444546474849505152535455565758596061"
	    "62636465666768697071727374757677787980818283848586878889909192"
	    "93949596979899";
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char buf[20], *p;
	size_t n;

	if (v < 0)
		*o++ = '-';
	if (u < 10) {
		*o = (char)('0' + u);
		return o + 1;
	}
#ifdef DT_DIGITS_SWAR
	if (u < 100000000)
		return o + dt_dec8(o, (uint32_t)u);
#endif
	p = buf + sizeof buf;
	while (u >= 100) {
		p -= 2;
		memcpy(p, pairs + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * u, 2);
	} else {
		*--p = (char)('0' + u);
	}
	n = (size_t)(buf + sizeof buf - p);
	memcpy(o, p, n);
	return o + n;
}

void
jw_int_k(struct jw *w, const char *key, size_t klen, int64_t v)
{
	jw_member(w, key, klen);
	w->n = (size_t)(jq_int(w->buf + w->n, v) - w->buf);
}

void
jw_uint_k(struct jw *w, const char *key, size_t klen, uint64_t v)
{
	jw_int_k(w, key, klen, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

void
jw_str_k(struct jw *w, const char *key, size_t klen, const char *s)
{
	jw_member(w, key, klen);
	if (s == NULL) {
		if (w->err == 0)
			w->err = DT_ENOMEM;
		return;
	}
	jw_quoted(w, s, strlen(s), 0);
}

void
jw_name_k(struct jw *w, const char *key, size_t klen, const char *s,
    size_t n)
{
	char *o;

	if (n > JW_SCALAR - 2) {
		jw_str_k(w, key, klen, s);
		return;
	}
	jw_member(w, key, klen);
	o = w->buf + w->n;
	*o++ = '"';
	jw_copy_key(o, (const unsigned char *)s, n);
	o[n] = '"';
	w->n += n + 2;
}

void
jw_wiren_k(struct jw *w, const char *key, size_t klen, const char *s,
    size_t n)
{
	jw_member(w, key, klen);
	jw_quoted(w, s, n, 1);
}

void
jw_wire_k(struct jw *w, const char *key, size_t klen, const char *s)
{
	jw_member(w, key, klen);
	if (s == NULL)
		jw_scalar(w, "null", 4);
	else
		jw_quoted(w, s, strlen(s), 1);
}

/* RFC 3339 UTC: its text is plain ASCII, written in place (the room a
   member leaves, JW_SCALAR, holds DT_REPORT_TIME_LEN and the quotes). */
_Static_assert(DT_REPORT_TIME_LEN + 2 <= JW_SCALAR &&
    DT_REPORT_TIME_LEN + 2 <= JQ_VALUE_MAX, "a time in a member's room");

/*
 * Most times fall in the second last written (the events of one
 * connection): jq_time() writes those inline, by their nanoseconds past
 * clock_base, a subtraction rather than a division by 10^9. The rest come
 * here: the text of a second written lately is kept by the second modulo
 * JW_SECS (a connection's "timeline" goes back to its start after its TLS
 * "messages", the next connection starts near where the last began), any
 * other goes through the clock (which keeps its day) and is kept. Either
 * becomes the second last written.
 */
char *
jq_time_any(struct jw *w, char *o, int64_t ns)
{
	const struct dt_report_clock *k = &w->clock;
	struct jw_sec *s;
	int64_t sec = ns / 1000000000;
	size_t n;

	_Static_assert(sizeof k->text == 24 && sizeof s->text == 24 &&
	    24 + 12 <= JQ_VALUE_MAX, "text copied whole");
	_Static_assert((JW_SECS & (JW_SECS - 1)) == 0, "a power of two");
	if (ns % 1000000000 < 0)	/* before 1970: floor, as the clock */
		sec--;
	s = &w->secs[(uint64_t)sec & (JW_SECS - 1)];
	if (s->ok && s->sec == sec) {
		w->now = s->text;
		w->clock_base = sec * 1000000000;
		w->clock_ok = 1;
		return jq_time_in(o, s->text, (uint64_t)(ns - w->clock_base));
	}
	n = dt_report_clock_time(&w->clock, ns, o + 1);
	w->clock_ok = k->in_range &&
	    !__builtin_mul_overflow(k->sec, 1000000000, &w->clock_base);
	if (w->clock_ok) {
		memcpy(s->text, k->text, sizeof s->text);
		s->sec = sec;
		s->ok = 1;
		w->now = s->text;
	}
	if (n == 0)
		return jq_null(o);
	o[0] = '"';
	o[1 + n] = '"';
	return o + n + 2;
}

void
jw_time_k(struct jw *w, const char *key, size_t klen, int64_t ns)
{
	jw_member(w, key, klen);
	w->n = (size_t)(jq_time(w, w->buf + w->n, ns) - w->buf);
}

/* ---- the quick path -------------------------------------------------- */

char *
jw_room_k(struct jw *w, size_t need)
{
	jw_room(w, need);
	if (w->size - w->n < need) {	/* never: the buffer is 128 KiB */
		if (w->err == 0)
			w->err = DT_ENOMEM;
		w->n = 0;
	}
	return w->buf + w->n;
}

/* jq_open() past JW_MAX_DEPTH: our bug. */
char *
jq_open_deep(struct jw *w, char *o)
{
	if (w->err == 0)
		w->err = DT_ENOMEM;
	return o;
}

char *
jq_str(struct jw *w, char *o, const char *s, size_t k)
{
	jq_end(w, o);
	if (s == NULL) {
		if (w->err == 0)
			w->err = DT_ENOMEM;
	} else {
		jw_quoted(w, s, strlen(s), 0);
	}
	return jq_begin(w, k);
}

/* jq_ours() of a name not kept in its slot: kept there when it fits. */
char *
jq_ours_new(struct jw *w, char *o, const char *name, size_t k)
{
	struct jw_nm *e = jw_nm_slot(w, name);
	size_t n = strlen(name);

	if (n + 2 > sizeof e->q) {
		if (n <= JQ_VALUE_MAX - 2)
			return jq_name(o, name, n);
		return jq_str(w, o, name, k);
	}
	memset(e->q, 0, sizeof e->q);
	jq_name(e->q, name, n);
	e->n = n + 2;
	e->p = name;
	memcpy(o, e->q, sizeof e->q);
	return o + e->n;
}

char *
jq_plain_long(struct jw *w, char *o, const char *s, size_t n, size_t k)
{
	jq_end(w, o);
	o = jw_room_k(w, n + 2);
	if (w->size - w->n >= n + 2) {	/* else DT_ENOMEM is set */
		*o++ = '"';
		memcpy(o, s, n);
		o[n] = '"';
		jq_end(w, o + n + 1);
	}
	return jq_begin(w, k);
}

char *
jq_wire(struct jw *w, char *o, const char *s, size_t k)
{
	size_t n, need;

	if (s == NULL)
		return jq_null(o);
	n = strlen(s);
	/* the quick way: the string and the room for k members after it
	   fit where the run is, and every byte is plain (nearly every
	   string: a name, an address, a reason of ours) */
	need = JQ_ROOM(k) + 2;
	if (n <= w->size && n + need <= (size_t)(w->buf + w->size - o) &&
	    jw_copy_plain(o + 1, (const unsigned char *)s, n)) {
		o[0] = '"';
		o[n + 1] = '"';
		return o + n + 2;
	}
	jq_end(w, o);
	jw_quoted(w, s, n, 1);
	return jq_begin(w, k);
}

#define JW_TXT_ESC	SIZE_MAX

/* An interned text that needs escapes, kept whole as written (a
   remedy quoting a command line): a memo keyed by its address. */
static char *
jq_interned_esc(struct jw *w, char *o, const char *s, size_t k)
{
	static const unsigned char tag = 3;	/* not a cert's, nor a chain's */
	struct jw_memo_run r;

	jq_end(w, o);
	jw_memo_begin(w, &r, JW_MEMO_CERT);
	jw_memo_add(&r, &tag, 1);
	jw_memo_add(&r, &w->capture_gen, sizeof w->capture_gen);
	jw_memo_add(&r, &s, sizeof s);
	if (!jw_memo_found(w, &r)) {
		jq_end(w, jq_wire(w, jq_begin(w, 0), s, 0));
		jw_memo_end(w, &r);
	}
	return jq_begin(w, k);
}

char *
jq_interned(struct jw *w, char *o, const char *s, size_t k)
{
	struct jw_txt *e = w->txt[((uint64_t)(uintptr_t)s *
	    UINT64_C(0x9E3779B97F4A7C15)) >> 59];
	size_t n;

	_Static_assert(sizeof w->txt / sizeof w->txt[0] == 32, "5 bits");
	if (s == NULL)
		return jq_null(o);
	if (e[0].p != s || e[0].gen != w->capture_gen) {
		struct jw_txt t = e[0];

		if (e[1].p != s || e[1].gen != w->capture_gen) {
			/* new: the other way goes */
			e[1] = t;
			e[0].p = NULL;
		} else {		/* the last one found first */
			e[0] = e[1];
			e[1] = t;
		}
	}
	if (e[0].p != NULL && e[0].n == JW_TXT_ESC)
		return jq_interned_esc(w, o, s, k);
	if (e[0].p != NULL) {
		n = e[0].n;
		if (n + JQ_ROOM(k) + 2 > (size_t)(w->buf + w->size - o))
			return jq_plain_long(w, o, s, n, k);
		memcpy(o + 1, s, n);
	} else {
		/* jq_wire()'s quick way, the text kept when it takes it */
		n = strlen(s);
		if (n > w->size ||
		    n + JQ_ROOM(k) + 2 > (size_t)(w->buf + w->size - o))
			return jq_wire(w, o, s, k);
		e[0].p = s;
		e[0].gen = w->capture_gen;
		if (!jw_copy_plain(o + 1, (const unsigned char *)s, n)) {
			e[0].n = JW_TXT_ESC;
			return jq_interned_esc(w, o, s, k);
		}
		e[0].n = n;
	}
	o[0] = '"';
	o[n + 1] = '"';
	return o + n + 2;
}

/* ---- timeline events' constant bytes ------------------------------------ */

static size_t
evt_put(char *t, size_t n, const char *p, size_t k)
{
	memcpy(t + n, p, k);
	return n + k;
}

/* A key at the event's members' indentation: ',', newline, indentation,
   "key": (compact: ,"key":). */
static size_t
evt_key(const struct jw *w, char *t, size_t n, size_t ind, const char *key)
{
	n = evt_put(t, n, ",", 1);
	n = evt_put(t, n, jw_indent, ind);
	n = evt_put(t, n, "\"", 1);
	n = evt_put(t, n, key, strlen(key));
	return evt_put(t, n, "\": ", w->compact ? 2 : 3);
}

struct jw_evt *
jw_evt_make(struct jw *w)
{
	struct jw_evt *t = &w->evt[w->depth & 1];
	size_t ind = w->compact ? 0 : 1 + 2 * ((size_t)w->depth + 1), n;
	int i;

	if (w->depth + 1 > JW_MAX_DEPTH) {	/* our bug */
		if (w->err == 0)
			w->err = DT_ENOMEM;
		return NULL;
	}
	/* the sizes of jw_evt hold the deepest: ind <= JW_IND_MAX */
	n = evt_put(t->elem, 0, ",", 1);
	n = evt_put(t->elem, n, jw_indent, w->ind);
	t->n_elem = (unsigned short)evt_key(w, t->elem, n, ind, "frame");
	t->elem[n] = '{';			/* the open, not a ',' */
	t->n_time = (unsigned short)evt_key(w, t->time, 0, ind, "time");
	for (i = 0; i < 2; i++) {
		n = evt_key(w, t->from[i], 0, ind, "from");
		n = evt_put(t->from[i], n, i ? "\"server\"" : "\"client\"", 8);
		n = evt_key(w, t->from[i], n, ind, "type");
		n = evt_put(t->from[i], n, "\"", 1);
		t->n_from[i] = (unsigned short)n;
	}
	n = evt_put(t->key, 0, ",", 1);
	t->n_key = (unsigned short)evt_put(t->key, n, jw_indent, ind);
	n = evt_put(t->close, 0, jw_indent, w->compact ? 0 : ind - 2);
	t->n_close = (unsigned short)evt_put(t->close, n, "}", 1);
	t->depth = w->depth;
	return t;
}

/* ---- runs written once ---------------------------------------------------- */

void
jw_memo_begin(struct jw *w, struct jw_memo_run *r, unsigned i)
{
	r->m = &w->memo[i * JW_MEMO_WAYS];
	r->next = &w->memo_next[i];
	r->key[0] = (unsigned char)w->depth;
	r->key[1] = !w->empty;
	r->klen = 2;
}

int
jw_memo_found(struct jw *w, struct jw_memo_run *r)
{
	const struct jw_memo *m;
	char *o;
	size_t i;

	for (i = 0; i < JW_MEMO_WAYS && r->klen <= JW_MEMO_KEY; i++) {
		m = &r->m[i];
		if (m->n == 0 || m->klen != r->klen ||
		    memcmp(m->key, r->key, r->klen) != 0)
			continue;
		o = jw_room_k(w, m->n);
		memcpy(o, m->out, m->n);
		w->n += m->n;
		w->empty = 0;	/* as writing it did */
		return 1;
	}
	r->start = w->n;
	r->flushes = w->flushes;
	return 0;
}

void
jw_memo_end(struct jw *w, struct jw_memo_run *r)
{
	struct jw_memo *m = &r->m[*r->next];
	size_t n = w->n - r->start;

	if (r->klen > JW_MEMO_KEY || w->flushes != r->flushes ||
	    n > JW_MEMO_OUT || w->err != 0)
		return;
	*r->next = (*r->next + 1) % JW_MEMO_WAYS;
	memcpy(m->key, r->key, r->klen);
	m->klen = r->klen;
	memcpy(m->out, w->buf + r->start, n);
	m->n = n;
}
