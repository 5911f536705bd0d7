/*
 * The analyzer's insides, shared by analyzer.c (the pipeline) and api.c
 * (the public accessors and writers). Not installed.
 */
#ifndef DT_ANALYZER_H
#define DT_ANALYZER_H

#include "datrace.h"
#include "capture/capture.h"
#include "facts/facts.h"
#include "util/mem.h"

struct dt_pipe {			/* one capture being analysed */
	struct dt_analyzer *a;
	struct dt_capture *cap;
	struct dt_net *net;
	struct dt_flow *flow;
	int last_linktype, last_supported;
	/* link types the filter cannot be compiled for: said once each,
	   then their packets are dropped without asking the filter again */
	int filter_bad[8];
	size_t n_filter_bad;
	size_t named_linktypes;
};

struct dt_analyzer {
	struct dt_mem mem;
	char errmsg[1024];
	char *host;
	char *ca_file;
	char *filter_expr;
	char *expect_cert;
	uint16_t ports[DT_MAX_PORTS + 1];
	int all;
	size_t hs_cap;
	struct dt_x509_ctx *x509;
	char **inspection_cas;		/* NULL-terminated, or NULL */
	struct dt_filter *filter;
	struct dt_capture **caps;
	size_t n_caps;
	struct dt_pipe *pipe;		/* the capture being read, or NULL */
	uint64_t feed_frame;
	dt_progress_fn progress;
	void *progress_payload;
	struct dt_analyzer **adopted;	/* owned: their captures are in caps */
	size_t n_adopted;
};

int dt_analyzer_fail(struct dt_analyzer *a, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int dt_pipe_begin(struct dt_analyzer *a, const char *name, const char *format);
int dt_pipe_packet(struct dt_analyzer *a, const struct dt_packet *pkt);
int dt_pipe_end(struct dt_analyzer *a);
void dt_pipe_abort(struct dt_analyzer *a);

/* Appends the captures of `from` (analysed elsewhere, e.g. by another
   thread with the same options) to a's, in order, and takes `from` over:
   it is freed with a (its captures keep using its memory and certificate
   cache). Then accessors and writers on a see every capture, as if a had
   analysed them one after another. 0, DT_EINVAL (same analyzer, or either
   busy reading), DT_ENOMEM (nothing moved; `from` stays the caller's). */
int dt_analyzer_adopt(struct dt_analyzer *a, struct dt_analyzer *from);

#endif
