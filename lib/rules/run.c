/*
 * The rule pass, dt_rules_run(): build the capture's indexes, decide which
 * connections are IP-HTTPS (classify.c), run every connection rule over
 * the judged connections and then the capture-wide rules, put the
 * IP-HTTPS story ahead of the background and group repeated attempts.
 * Its own file so that the helpers every rule uses (rules.c) and the
 * classification that uses them (classify.c) are both below it: rules.c
 * no longer calls up into classify.c.
 */
#include "rules/rules.h"

#include <string.h>

#include "util/mem.h"

/* The IP-HTTPS story (its connections' verdicts and the capture-wide ones)
   first, in the order found; the background (--all) after it. */
static void
headline_first(struct dt_capture *cap)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	struct dt_verdict *v, *next, *head = NULL, *tail = NULL, *bhead = NULL,
	    *btail = NULL;

	for (v = cap->verdicts; v != NULL; v = next) {
		dt_capture_spill_step(cap, &sw);
		next = v->next;
		v->next = NULL;
		if (v->background) {
			if (btail != NULL)
				btail->next = v;
			else
				bhead = v;
			btail = v;
		} else {
			if (tail != NULL)
				tail->next = v;
			else
				head = v;
			tail = v;
		}
	}
	if (tail != NULL)
		tail->next = bhead;
	cap->verdicts = head != NULL ? head : bhead;
	cap->verdicts_tail = btail != NULL ? btail : tail;
}

/* ---- the pass ----------------------------------------------------------- */

/* The connection rules' checks, in dt_rules[] order: a judged connection
   goes through these, not through every rule asking whether it has one. */
struct conn_checks {
	void (*check[DT_RULES_MAX])(struct dt_rule_ctx *, struct dt_conn *);
	size_t n;
};

static void
judge_conn(struct dt_rule_ctx *ctx, const struct conn_checks *cc,
    struct dt_conn *c)
{
	size_t i;

	ctx->conn_mark = ctx->cap->verdicts_tail;
	for (i = 0; i < cc->n; i++)
		cc->check[i](ctx, c);
}

int
dt_rules_run(const struct dt_rules_config *cfg, struct dt_capture *cap)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	static const uint16_t default_ports[] = { 443, 0 };
	static const struct dt_rules_config none = { NULL, default_ports, 0,
	    NULL, NULL, 0 };
	struct dt_rule_ctx ctx;
	struct dt_rule_memos memos;
	struct conn_checks cc;
	struct dt_conn *c;
	uint32_t id;
	size_t i;

	ctx.cfg = cfg != NULL ? cfg : &none;
	ctx.cap = cap;
	ctx.any_marked = 0;
	ctx.conn_mark = NULL;
	ctx.crl_memo = NULL;
	ctx.n_crl_memo = 0;
	ctx.judged = NULL;
	ctx.packing = NULL;
	memset(&memos, 0, sizeof memos);
	ctx.memos = &memos;
	cc.n = 0;
	for (i = 0; i < dt_rules_count; i++)
		if (dt_rules[i]->check_conn != NULL)
			cc.check[cc.n++] = dt_rules[i]->check_conn;
	dt_hash_init(&ctx.crl_urls, cap->mem);
	if (dt_rule_index_build(&ctx.idx, cap, ctx.cfg->host) != 0)
		return -1;
	dt_rules_classify(&ctx);
	/* the reasons are in: their intern table (most are distinct) need
	   not stay beside the indexes through the rules */
	dt_capture_intern_end(cap);
	if (ctx.judged != NULL) {
		for (id = 1; id <= ctx.idx.max_id; id++) {
			if ((ctx.judged[id / 8] & 1 << id % 8) == 0 ||
			    (c = dt_rule_index_conn(&ctx.idx, id)) == NULL)
				continue;
			dt_capture_spill_step(cap, &sw);
			judge_conn(&ctx, &cc, c);
		}
	} else {
		for (c = cap->conns; c != NULL; c = c->next) {
			dt_capture_spill_step(cap, &sw);
			if (dt_rules_judged(&ctx, c))
				judge_conn(&ctx, &cc, c);
		}
	}
	dt_free(cap->mem, ctx.judged);
	ctx.judged = NULL;
	ctx.conn_mark = cap->verdicts_tail;
	for (i = 0; i < dt_rules_count; i++)
		if (dt_rules[i]->check_capture != NULL)
			dt_rules[i]->check_capture(&ctx);
	headline_first(cap);
	dt_rules_group_attempts(&ctx);
	dt_free(cap->mem, ctx.crl_memo);
	dt_hash_free(&ctx.crl_urls);
	dt_rule_index_free(&ctx.idx, cap->mem);
	/* the summaries as text once the indexes are gone, not beside
	   them: the pass's peak is the smaller */
	dt_rule_summaries_unpack(&ctx);
	return cap->mem->failed ? -1 : 0;
}
