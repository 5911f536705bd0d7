/*
 * Verdict summaries while the rules run. The peak of a day's analysis is
 * the end of the rule pass: the rules' indexes (rules/index.h) and every
 * verdict are alive at once. A day's 73,645 summaries are a few sentences
 * with other numbers in them ("the SYN (frame 3) was answered by a RST
 * (frame 4)", addresses, ports, counts): 14 MB as text, under 2 MB as
 * each sentence once (its digit runs replaced by PLACE) and each
 * verdict's numbers. So a summary is kept in that form until the indexes
 * are freed, then written out as the capture's kept text
 * (dt_rule_summaries_unpack): the texts every reader sees are the same
 * bytes, and they exist only after the indexes are gone.
 *
 * A digit run is a number when it is at most 9 digits and has no leading
 * zero ("0x003B" keeps its "003"); a text that holds PLACE itself, is
 * longer than DT_RULE_PACK_MAX or would make more than MAX_SHAPES
 * sentences is kept as text at once, as before.
 */
#include <stdint.h>
#include <string.h>

#include "rules/rules.h"
#include "util/mem.h"

#define PLACE		'\x01'	/* a number's place in a sentence */
#define MAX_SHAPES	4096	/* bounds what unique texts cost here */
#define BLOCK		65536	/* packed numbers, in blocks of this */
#define MAX_DIGITS	9	/* below 10^9: a uint32_t */

#define RECENT		64	/* sentences found without hashing */

struct dt_rule_packing {
	struct dt_hash shapes;		/* sentence -> its index + 1 */
	uint32_t recent[RECENT];	/* index + 1 of a sentence by
					   recent_slot(): a day's verdicts
					   are a few sentences, found by one
					   memcmp rather than hashing 200
					   bytes each time */
	char **shape;			/* [i]: sentence i, NUL-terminated */
	size_t n_shapes, cap_shapes;
	unsigned char *block;		/* the newest; each block begins with
					   the previous one's address */
	size_t used;			/* bytes of block in use */
};

/* Room for n bytes of packed numbers (BLOCK at most). */
static unsigned char *
room(struct dt_rule_packing *p, struct dt_mem *m, size_t n)
{
	unsigned char *b;

	if (p->block == NULL || BLOCK - p->used < n) {
		if ((b = dt_malloc(m, BLOCK)) == NULL)
			return NULL;
		memcpy(b, &p->block, sizeof p->block);
		p->block = b;
		p->used = sizeof p->block;
	}
	b = p->block + p->used;
	p->used += n;
	return b;
}

static size_t
recent_slot(const char *s, size_t len)
{
	return (len * 31 + (unsigned char)s[len / 2] * 7 +
	    (unsigned char)s[len - 1]) % RECENT;
}

/* The index of sentence s (len bytes, at least 1), added when new; -1
   when there is no room for it. */
static long
shape_of(struct dt_rule_packing *p, struct dt_mem *m, const char *s,
    size_t len)
{
	struct dt_hash_iter it;
	char **v, *copy;
	size_t r = recent_slot(s, len);
	uint32_t i = p->recent[r];
	void *got;

	if (i != 0 && strncmp(p->shape[i - 1], s, len) == 0 &&
	    p->shape[i - 1][len] == '\0')
		return (long)i - 1;
	if ((got = dt_hash_first(&p->shapes, s, len, &it)) != NULL) {
		p->recent[r] = (uint32_t)(uintptr_t)got;
		return (long)((uintptr_t)got - 1);
	}
	if (p->n_shapes == MAX_SHAPES)
		return -1;
	if (p->n_shapes == p->cap_shapes) {
		size_t cap = p->cap_shapes ? 2 * p->cap_shapes : 64;

		if ((v = dt_realloc(m, p->shape, cap * sizeof *v)) == NULL)
			return -1;
		p->shape = v;
		p->cap_shapes = cap;
	}
	if ((copy = dt_malloc(m, len + 1)) == NULL)
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	if (dt_hash_add(&p->shapes, s, len,
	    (void *)(uintptr_t)(p->n_shapes + 1)) < 0) {
		dt_free(m, copy);
		return -1;
	}
	p->shape[p->n_shapes] = copy;
	p->recent[r] = (uint32_t)(p->n_shapes + 1);
	return (long)p->n_shapes++;
}

void *
dt_rule_summary_pack(struct dt_rule_ctx *ctx, const char *s, size_t len)
{
	struct dt_mem *m = ctx->cap->mem;
	struct dt_rule_packing *p = ctx->packing;
	char shape[DT_RULE_PACK_MAX];
	unsigned char nums[DT_RULE_PACK_MAX / 2 * 5], *rec;
	size_t i, j, k = 0, n = 0;
	uint32_t x, idx;
	long at;

	if (len == 0 || len >= sizeof shape)
		return NULL;
	for (i = 0; i < len; i = j) {
		/* the words up to the next digit, at once */
		j = i + strcspn(s + i, "0123456789\x01");
		memcpy(shape + k, s + i, j - i);
		k += j - i;
		if (j == len)
			break;
		if (s[j] == PLACE)
			return NULL;
		for (i = j; j < len && s[j] >= '0' && s[j] <= '9'; j++)
			;
		if (j - i > MAX_DIGITS || (j - i > 1 && s[i] == '0')) {
			memcpy(shape + k, s + i, j - i);
			k += j - i;
			continue;
		}
		for (x = 0; i < j; i++)
			x = x * 10 + (uint32_t)(s[i] - '0');
		shape[k++] = PLACE;
		for (; x >= 0x80; x >>= 7)
			nums[n++] = (unsigned char)(x | 0x80);
		nums[n++] = (unsigned char)x;
	}
	if (p == NULL) {
		if ((p = dt_calloc(m, 1, sizeof *p)) == NULL)
			return NULL;
		dt_hash_init(&p->shapes, m);
		ctx->packing = p;
	}
	if ((at = shape_of(p, m, shape, k)) < 0 ||
	    (rec = room(p, m, sizeof idx + n)) == NULL)
		return NULL;
	idx = (uint32_t)at;
	memcpy(rec, &idx, sizeof idx);
	memcpy(rec + sizeof idx, nums, n);
	return rec;
}

/* The text of packed record rec into out (DT_RULE_PACK_MAX bytes: what
   was packed was shorter); its length. */
static size_t
unpack(const struct dt_rule_packing *p, const unsigned char *rec, char *out)
{
	const char *s;
	size_t k = 0;
	uint32_t idx, x;
	int shift;
	char digits[10];
	size_t d;

	memcpy(&idx, rec, sizeof idx);
	rec += sizeof idx;
	for (s = p->shape[idx];; s++) {
		/* the words up to the next number, at once (strchrnul: a
		   third of what strcspn took for one byte to find) */
		size_t w = (size_t)(strchrnul(s, PLACE) - s);

		memcpy(out + k, s, w);
		k += w;
		if (s[w] == '\0')
			break;
		s += w;
		for (x = 0, shift = 0; *rec & 0x80; rec++, shift += 7)
			x |= (uint32_t)(*rec & 0x7f) << shift;
		x |= (uint32_t)*rec++ << shift;
		d = 0;
		do
			digits[d++] = (char)('0' + x % 10);
		while ((x /= 10) != 0);
		while (d > 0)
			out[k++] = digits[--d];
	}
	out[k] = '\0';
	return k;
}

const char *
dt_rule_summary(const struct dt_rule_ctx *ctx, const struct dt_verdict *v,
    char *buf)
{
	if (!v->packed)
		return v->summary;
	unpack(ctx->packing, (const unsigned char *)v->summary, buf);
	return buf;
}

void
dt_rule_summaries_unpack(struct dt_rule_ctx *ctx)
{
	struct dt_capture *cap = ctx->cap;
	struct dt_rule_packing *p = ctx->packing;
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	struct dt_verdict *v;
	char text[DT_RULE_PACK_MAX];
	unsigned char *b;
	size_t i, n;
	char *s;

	if (p == NULL)
		return;
	for (v = cap->verdicts; v != NULL; v = v->next) {
		/* the texts written go to the spill too, and stay mapped
		   until a step gives them back (with --all, a verdict for
		   every TLS connection: 40 MB on the 2 GiB bench day) */
		dt_capture_spill_step(cap, &sw);
		if (!v->packed)
			continue;
		n = unpack(p, (const unsigned char *)v->summary, text);
		if ((s = dt_capture_keep_str(cap, text, n)) != NULL)
			v->summary = s;
		else		/* empty, never the packed bytes freed below
				   (the capture says memory failed); ASCII:
				   read, never written */
			v->summary = (char *)"";
		v->packed = 0;
	}
	while ((b = p->block) != NULL) {
		memcpy(&p->block, b, sizeof p->block);
		dt_free(cap->mem, b);
	}
	for (i = 0; i < p->n_shapes; i++)
		dt_free(cap->mem, p->shape[i]);
	dt_free(cap->mem, p->shape);
	dt_hash_free(&p->shapes);
	dt_free(cap->mem, p);
	ctx->packing = NULL;
}
