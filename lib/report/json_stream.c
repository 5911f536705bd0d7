/*
 * Writing the JSON document as it goes: the way json_dumpf() would write
 * it whole, but one list element at a time: an object is dumped with its
 * long lists as holes (the HOLE string), and each hole is filled by
 * writing the list's elements one by one, each built, dumped and freed
 * before the next. An element at depth d is dumped alone and indented by
 * 2 * d spaces after each of its newlines (jansson writes no raw newline
 * inside a string), so the bytes are those of the whole document
 * (tests/golden holds them).
 */
#include "report/json_int.h"

#include <stdlib.h>
#include <string.h>

void
sj_put(struct sj *s, const char *p, size_t n)
{
	if (s->err == 0 && n > 0 && fwrite(p, 1, n, s->fp) != n)
		s->err = DT_EIO;
}

void
sj_pad(struct sj *s, unsigned n)
{
	static const char sp[] = "                ";

	for (; n > sizeof sp - 1; n -= sizeof sp - 1)
		sj_put(s, sp, sizeof sp - 1);
	sj_put(s, sp, n);
}

/* Text of a value dumped alone, placed at depth d. */
static void
sj_text(struct sj *s, const char *p, size_t n, unsigned depth)
{
	const char *nl;
	size_t k;

	while (n > 0 && s->err == 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		sj_put(s, p, k);
		if (nl != NULL && !s->compact)
			sj_pad(s, 2 * depth);
		p += k;
		n -= k;
	}
}

void
sj_item(struct sj *s, size_t i, json_t *v, unsigned depth)
{
	char *t;

	if (v == NULL || s->b->err) {
		json_decref(v);
		s->err = s->err ? s->err : DT_ENOMEM;
		return;
	}
	if (i > 0)
		sj_put(s, ",", 1);
	if (!s->compact) {
		sj_put(s, "\n", 1);
		sj_pad(s, 2 * depth);
	}
	t = json_dumps(v, s->flags | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(v);
	if (t == NULL) {
		s->err = s->err ? s->err : DT_ENOMEM;
		return;
	}
	sj_text(s, t, strlen(t), depth);
	free(t);
}

void
sj_close(struct sj *s, size_t n, unsigned depth)
{
	if (n > 0 && !s->compact) {
		sj_put(s, "\n", 1);
		sj_pad(s, 2 * (depth - 1));
	}
	sj_put(s, "]", 1);
}

void
sj_object(struct sj *s, json_t *o, unsigned depth, const char *const *keys,
    sj_fill fill, const void *arg)
{
	char pat[64], *t;
	const char *p, *at;
	size_t i;

	if (o == NULL || s->b->err) {
		json_decref(o);
		s->err = s->err ? s->err : DT_ENOMEM;
		return;
	}
	t = json_dumps(o, s->flags | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (t == NULL) {
		s->err = s->err ? s->err : DT_ENOMEM;
		return;
	}
	p = t;
	for (i = 0; keys[i] != NULL && s->err == 0; i++) {
		/* the key with its hole: no string value can hold this text */
		snprintf(pat, sizeof pat, "\"%s\":%s\"%s\"", keys[i],
		    s->compact ? "" : " ", HOLE);
		if ((at = strstr(p, pat)) == NULL)
			continue;
		at += strlen(keys[i]) + (s->compact ? 3 : 4);
		sj_text(s, p, (size_t)(at - p), depth);
		sj_put(s, "[", 1);
		fill(s, keys[i], depth + 2, arg);
		p = at + strlen(HOLE) + 2;
	}
	sj_text(s, p, strlen(p), depth);
	free(t);
}

