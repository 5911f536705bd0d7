/*
 * The one writer to the terminal. Every byte of the text report goes
 * through here: control characters, C1 controls, bidirectional overrides
 * and invalid UTF-8 (and U+FFFD, the mark finished facts carry for a bad
 * byte from the wire) become '?', so nothing from the wire can move the
 * cursor, recolour or hide text. Prose is wrapped at the report's width
 * (counting East Asian wide characters as two columns); a path, a name, a
 * filter (any word) is never broken, a line holding one that is longer
 * runs over.
 */
#include "report/text_int.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "util/buf.h"

/* A byte that reaches the terminal as it is, whatever surrounds it:
   printable ASCII. */
static inline int
plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/*
 * The length of text's head of plain bytes (and newlines when keep_nl).
 * Sixteen bytes a step (SSE2: two signed compares) or eight (a word with
 * none below 0x20 and none above 0x7e: both tests exact for the word as
 * a whole) while all are plain; the bytes of the step that has one are
 * looked at one by one.
 */
static size_t
plain_head(const char *text, size_t n, int keep_nl)
{
	size_t i = 0, end;
	uint64_t w, bad;

#ifdef __SSE2__
	const __m128i lo = _mm_set1_epi8(0x1f), hi = _mm_set1_epi8(0x7f);
	__m128i v;

	/* signed: 0x80..0xff are below 0x1f, as they should be */
	while (n - i >= 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(text + i));
		if (_mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, lo),
		    _mm_cmplt_epi8(v, hi))) != 0xffff)
			break;
		i += 16;
	}
#endif
	while (i < n) {
		if (n - i >= 8) {
			memcpy(&w, text + i, 8);
			/* a byte < 0x20: its high bit in (w - 0x20..) & ~w;
			   a byte > 0x7e: in (w + 0x01..) | w */
			bad = ((w - ONES * 0x20) & ~w) | (w + ONES) | w;
			if ((bad & HIGHS) == 0) {
				i += 8;
				continue;
			}
		}
		end = n - i >= 8 ? i + 8 : n;
		for (; i < end; i++)
			if (!plain((unsigned char)text[i]) &&
			    !(keep_nl && text[i] == '\n'))
				return i;
	}
	return n;
}

/*
 * Copy text[0..n) into s with every unsafe or invalid byte sequence as
 * '?' (also U+FFFD, which is how finished facts carry a bad byte from the
 * wire). keep_nl: a newline stays (paragraph break in our own texts); tabs
 * become a space. A run of plain bytes goes in with one copy.
 */
static void
clean_into(struct dt_buf *s, const char *text, size_t n, int keep_nl)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = plain_head(text + i, n - i, 0);
		if (k > 0) {
			dt_buf_putn(s, text + i, k);
			i += k;
			if (i == n)
				break;
		}
		k = dt_utf8_next(text + i, n - i, &cp);
		if (k == 0) {
			dt_buf_putn(s, "?", 1);
			i++;
		} else if (cp == '\n' && keep_nl) {
			dt_buf_putn(s, "\n", 1);
			i++;
		} else if (cp == '\t') {
			dt_buf_putn(s, " ", 1);
			i++;
		} else if (dt_utf8_unsafe_cp(cp) || cp == '\n' ||
		    cp == 0xfffd) {	/* the repair mark of a bad byte */
			dt_buf_putn(s, "?", 1);
			i += k;
		} else {
			dt_buf_putn(s, text + i, k);
			i += k;
		}
	}
}

/* Whether s[0..n) has a two-column (East Asian wide) code point. */
static int
has_wide(const char *s, size_t n)
{
	return dt_utf8_width(s, n) > dt_utf8_count(s, n);
}

void
text_flush(struct out *o)
{
	/* after a failed write nothing more; bytes gathered before another
	   error are written as they were when each went out at once */
	if (o->on > 0 && o->err != DT_EIO &&
	    fwrite(o->ob, 1, o->on, o->fp) != o->on)
		o->err = o->err ? o->err : DT_EIO;
	o->on = 0;
}

void
text_put(struct out *o, const char *s, size_t n)
{
	if (o->err != 0 || n == 0)
		return;
	if (n > TEXT_BUF - o->on) {
		text_flush(o);
		if (n > TEXT_BUF) {
			if (o->err == 0 && fwrite(s, 1, n, o->fp) != n)
				o->err = DT_EIO;
			return;
		}
	}
	memcpy(o->ob + o->on, s, n);
	o->on += n;
}

static void
put_line(struct out *o, const char *lead, size_t lead_n, const char *s,
    size_t n)
{
	while (n > 0 && s[n - 1] == ' ')	/* no trailing blanks */
		n--;
	if (n == 0)
		while (lead_n > 0 && lead[lead_n - 1] == ' ')
			lead_n--;
	if (o->err == 0 && lead_n + n < TEXT_BUF - o->on) {
		/* the usual: the line fits in what is left of the buffer */
		memcpy(o->ob + o->on, lead, lead_n);
		memcpy(o->ob + o->on + lead_n, s, n);
		o->on += lead_n + n;
		o->ob[o->on++] = '\n';
		return;
	}
	text_put(o, lead, lead_n);
	text_put(o, s, n);
	text_put(o, "\n", 1);
}

static const char spaces[] = "                                        ";

void
text_emit(struct out *o, const char *prefix, size_t indent,
    const char *text)
{
	struct dt_buf clean = DT_BUF_INIT(o->mem);
	const char *lead = prefix, *p, *end, *nl;
	size_t n = strlen(text), lead_n = strlen(prefix), lead_w, room, take,
	    i, last_space;
	/* all plain (the usual: our own prose, names, numbers): the text
	   needs no copy, and a byte is a column */
	int ascii = plain_head(text, n, 1) == n;

	if (indent > sizeof spaces - 1)
		indent = sizeof spaces - 1;
	if (ascii) {
		p = text;
	} else {
		clean_into(&clean, text, n, 1);
		if (clean.err) {
			o->err = o->err ? o->err : DT_ENOMEM;
			dt_buf_free(&clean);
			return;
		}
		p = clean.p != NULL ? clean.p : "";
		n = clean.n;
	}
	end = p + n;
	lead_w = plain_head(lead, lead_n, 0) == lead_n ? lead_n :
	    dt_utf8_width(lead, lead_n);
	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		/* one paragraph: p .. nl */
		do {
			room = o->width > lead_w + 10 ? o->width - lead_w : 10;
			/* what fits in room columns: the whole rest of the
			   paragraph when it fits (its width <= room), read
			   only as far as room, not to the paragraph's end
			   for every line */
			if (ascii)
				take = (size_t)(nl - p) < room ?
				    (size_t)(nl - p) : room;
			else
				take = dt_utf8_cols_bytes(p, (size_t)(nl - p),
				    room);
			if (take < (size_t)(nl - p)) {
				/* the last space within room columns (p[take]
				   is still in the paragraph), else the end of
				   the first word */
				last_space = 0;
				for (i = take; i >= 1; i--)
					if (p[i] == ' ') {
						last_space = i;
						break;
					}
				if (last_space > 0) {
					take = last_space;
				} else if (ascii || !has_wide(p, take)) {
					/* a path or name: whole; wide (East
					   Asian) text breaks anywhere */
					for (take = 0; p + take < nl &&
					    p[take] != ' '; take++)
						;
				}
			}
			put_line(o, lead, lead_n, p, take);
			p += take;
			while (p < nl && *p == ' ')
				p++;
			lead = spaces;
			lead_n = indent;
			lead_w = indent;
		} while (p < nl);
		if (nl == end)
			break;
		p = nl + 1;
	}
	dt_buf_free(&clean);
}

void
text_put_clean(struct out *o, const char *text)
{
	struct dt_buf clean = DT_BUF_INIT(o->mem);
	size_t n = strlen(text);

	if (plain_head(text, n, 0) == n) {
		text_put(o, text, n);
		return;
	}
	clean_into(&clean, text, n, 0);
	if (clean.err)
		o->err = o->err ? o->err : DT_ENOMEM;
	else
		text_put(o, clean.p, clean.n);
	dt_buf_free(&clean);
}

void
text_pad(struct out *o, size_t n)
{
	size_t k;

	for (; n > 0; n -= k) {
		k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		text_put(o, spaces, k);
	}
}
