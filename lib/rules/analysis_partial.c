/*
 * analysis-partial: the memory cap (dt_options.memory_cap, --memory-cap)
 * was reached, so from that packet on connections were cut short (the
 * idle longest ended early to make room) or counted without being kept.
 * Every other verdict covers only what was kept: a consultant reading
 * "3,000 handshakes refused" must know it is 3,000 of what was analysed,
 * not of the capture. Says where the cap was reached, how many
 * connections it cost, and what to do: a larger cap, with a figure from
 * what the kept part used, or the capture cut into parts.
 */
#include <stdio.h>

#include "rules/rules.h"

/* A cap to suggest: the room the kept connections used, scaled to all of
   them, rounded up to a power of two of MiB (at least twice the cap). */
static unsigned long long
suggest_mib(size_t cap, size_t kept, uint64_t dropped)
{
	double need = (double)cap * (double)(kept + dropped) /
	    (double)(kept > 0 ? kept : 1);
	unsigned long long mib = 1, cap_mib = (unsigned long long)(cap >> 20);

	while ((double)(mib << 20) < need && mib < (1ull << 30))
		mib <<= 1;
	if (mib < 2 * cap_mib)
		mib = 2 * cap_mib;
	return mib;
}

static void
check(struct dt_rule_ctx *ctx)
{
	const struct dt_capture *cap = ctx->cap;
	char sum[DT_RULE_TEXT], rem[DT_RULE_TEXT], capstr[32], at[40] = "";
	unsigned long long mib;
	uint64_t fr[2] = { cap->drop_frame, 0 };

	if (cap->dropped_conns == 0)
		return;
	if (ctx->cfg->memory_cap != 0)
		snprintf(capstr, sizeof capstr, " (%llu MiB)",
		    (unsigned long long)(ctx->cfg->memory_cap >> 20));
	else
		capstr[0] = '\0';
	if (cap->drop_frame != 0)
		snprintf(at, sizeof at, " at frame %llu",
		    (unsigned long long)cap->drop_frame);
	snprintf(sum, sizeof sum, "The memory cap%s was reached%s: %llu "
	    "connections were cut short or counted without being analysed, "
	    "so the verdicts cover %zu connections, not the whole capture",
	    capstr, at, (unsigned long long)cap->dropped_conns, cap->n_conns);
	mib = suggest_mib(ctx->cfg->memory_cap != 0 ? ctx->cfg->memory_cap :
	    (size_t)256 << 20, cap->n_conns, cap->dropped_conns);
	snprintf(rem, sizeof rem, "Run the analysis again with a larger cap: "
	    "--memory-cap %lluM holds this capture (an upper estimate from "
	    "what the kept connections used; the analysis takes only what it "
	    "needs). Or cut the capture into parts (editcap -c 1000000) or "
	    "narrow it with a filter (-F 'host ADDRESS') and analyse each "
	    "part.", mib);
	dt_verdict_add(ctx, &dt_rule_analysis_partial, NULL, DT_CONF_HIGH, 0,
	    NULL, fr, 0, sum, "The analysis keeps each connection's facts "
	    "until the end of the capture, within the memory cap. When the cap "
	    "is reached it ends the connections idle longest early and counts "
	    "new ones without keeping them, so the capture's later connections "
	    "are missing from the verdicts and the counts.", rem);
}

const struct dt_rule dt_rule_analysis_partial = {
	.id = "analysis-partial",
	.severity = DT_SEV_WARNING,
	.summary = "the memory cap cut the analysis short",
	.check_capture = check,
};
