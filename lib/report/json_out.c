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

#define JW_BUF	(64 * 1024)

int
jw_init(struct jw *w, FILE *fp, struct dt_mem *mem, int compact)
{
	memset(w, 0, sizeof *w);
	w->fp = fp;
	w->mem = mem;
	w->compact = compact != 0;
	w->buf = dt_malloc(mem, JW_BUF);
	if (w->buf == NULL) {
		w->err = DT_ENOMEM;
		return w->err;
	}
	w->size = JW_BUF;
	return 0;
}

static void
jw_flush(struct jw *w)
{
	if (w->err == 0 && w->n > 0 && fwrite(w->buf, 1, w->n, w->fp) != w->n)
		w->err = DT_EIO;
	w->n = 0;
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

/* A newline and the indentation of depth d. */
static void
jw_indent(struct jw *w, unsigned d)
{
	static const char sp[] = "                                ";
	unsigned n = 2 * d;

	jw_putc(w, '\n');
	for (; n > sizeof sp - 1; n -= sizeof sp - 1)
		jw_put(w, sp, sizeof sp - 1);
	jw_put(w, sp, n);
}

/*
 * The quoted, escaped string s[0..n). wire: bytes that do not start a
 * well-formed sequence become U+FFFD; else they are an error (DT_ENOMEM,
 * what jansson's refusal gave).
 */
static void
jw_quoted(struct jw *w, const char *s, size_t n, int wire)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, from, k;
	uint32_t cp;
	char esc[6];

	jw_putc(w, '"');
	while (i < n && w->err == 0) {
		/* a run of printable ASCII that needs no escape */
		from = i;
		while (i < n && (unsigned)(p[i] - 0x20) < 0x60 && p[i] != '"' &&
		    p[i] != '\\')
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

/* What comes before a value: its key, or the separator of an element. */
static void
jw_member(struct jw *w, const char *key)
{
	uint64_t bit;

	if (w->depth == 0)
		return;
	bit = (uint64_t)1 << w->depth;
	/* a key in an object, none in an array: anything else is our bug */
	if ((key == NULL) != ((w->arr & bit) != 0)) {
		if (w->err == 0)
			w->err = DT_ENOMEM;
		return;
	}
	if (w->any & bit)
		jw_putc(w, ',');
	w->any |= bit;
	if (!w->compact)
		jw_indent(w, w->depth);
	if (key != NULL) {
		jw_quoted(w, key, strlen(key), 0);
		if (w->compact)
			jw_putc(w, ':');
		else
			jw_put(w, ": ", 2);
	}
}

static void
jw_open(struct jw *w, const char *key, char c, int array)
{
	uint64_t bit;

	jw_member(w, key);
	if (w->depth >= JW_MAX_DEPTH) {
		if (w->err == 0)
			w->err = DT_ENOMEM;
		return;
	}
	jw_putc(w, c);
	w->depth++;
	bit = (uint64_t)1 << w->depth;
	w->any &= ~bit;
	if (array)
		w->arr |= bit;
	else
		w->arr &= ~bit;
}

void
jw_obj(struct jw *w, const char *key)
{
	jw_open(w, key, '{', 0);
}

void
jw_arr(struct jw *w, const char *key)
{
	jw_open(w, key, '[', 1);
}

void
jw_end(struct jw *w)
{
	uint64_t bit;

	if (w->depth == 0)
		return;
	bit = (uint64_t)1 << w->depth;
	if ((w->any & bit) && !w->compact)
		jw_indent(w, w->depth - 1);
	jw_putc(w, (w->arr & bit) ? ']' : '}');
	w->depth--;
}

void
jw_null(struct jw *w, const char *key)
{
	jw_member(w, key);
	jw_put(w, "null", 4);
}

void
jw_bool(struct jw *w, const char *key, uint64_t v)
{
	jw_member(w, key);
	if (v)
		jw_put(w, "true", 4);
	else
		jw_put(w, "false", 5);
}

/* "%lld" (JSON_INTEGER_FORMAT) of v. */
void
jw_int(struct jw *w, const char *key, int64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	jw_member(w, key);
	jw_put(w, p, (size_t)(buf + sizeof buf - p));
}

void
jw_uint(struct jw *w, const char *key, uint64_t v)
{
	jw_int(w, key, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

void
jw_str(struct jw *w, const char *key, const char *s)
{
	jw_member(w, key);
	if (s == NULL) {
		if (w->err == 0)
			w->err = DT_ENOMEM;
		return;
	}
	jw_quoted(w, s, strlen(s), 0);
}

void
jw_wiren(struct jw *w, const char *key, const char *s, size_t n)
{
	jw_member(w, key);
	jw_quoted(w, s, n, 1);
}

void
jw_wire(struct jw *w, const char *key, const char *s)
{
	if (s == NULL)
		jw_null(w, key);
	else
		jw_wiren(w, key, s, strlen(s));
}
