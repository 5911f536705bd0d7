/*
 * rules/: judgement. Each rule is one file, a pure function of the facts of
 * a capture that appends verdicts; lib/rules/rules.def lists them in order
 * (DT_RULE(name) -> const struct dt_rule dt_rule_<name>).
 *
 * dt_rules_run() first decides which connections are IP-HTTPS (SPEC §2:
 * --host equals SNI or HTTP Host; else NULL suites offered; else the
 * IP-HTTPS/SSTP streaming POST; else a proxy CONNECT to the host; when
 * nothing marks any connection every TLS connection and every attempt to the
 * port set is a candidate), then runs every rule over every candidate
 * connection (every TLS connection with --all), then the capture-wide ones.
 */
#ifndef DT_RULES_H
#define DT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "facts/facts.h"
#include "x509/x509.h"

struct dt_rules_config {
	const char *host;		/* --host or NULL */
	const uint16_t *ports;		/* 0-terminated */
	int all;
	const struct dt_x509_ctx *x509;	/* anchors / expected cert; may be NULL */
	const char *const *inspection_cas;	/* extra CA name fragments, NULL-ended */
};

struct dt_rule_ctx {
	const struct dt_rules_config *cfg;
	struct dt_capture *cap;
	int any_marked;			/* some connection was positively IP-HTTPS */
};

struct dt_rule {
	const char *id;
	dt_severity severity;		/* default; a verdict may lower it */
	const char *summary;		/* one line, for --list-rules */
	/* Per connection (NULL for capture-wide rules). */
	void (*check_conn)(struct dt_rule_ctx *ctx, struct dt_conn *c);
	/* Once per capture, after the per-connection pass (may be NULL). */
	void (*check_capture)(struct dt_rule_ctx *ctx);
};

#define DT_RULE(name) extern const struct dt_rule dt_rule_##name;
#include "rules/rules.def"
#undef DT_RULE

extern const struct dt_rule *const dt_rules[];
extern const size_t dt_rules_count;

/* Judge the capture: mark IP-HTTPS connections, run the rules. 0 or -1 when
   memory failed. */
int dt_rules_run(const struct dt_rules_config *cfg, struct dt_capture *cap);

/* Add a verdict (frames: n 0-terminated or counted; strings are copied).
   Returns the verdict to adjust, or NULL when memory failed. */
struct dt_verdict *dt_verdict_add(struct dt_rule_ctx *ctx,
    const struct dt_rule *rule, const struct dt_conn *c,
    dt_confidence conf, uint32_t win_code, const char *win_name,
    const uint64_t *frames, size_t n_frames,
    const char *summary, const char *explanation, const char *remedy);

#endif
