/*
 * The analyzer's insides, shared by analyzer.c (the handle), pipe.c (one
 * capture through the pipeline), sinks.c (the flow sinks), input.c (files,
 * memory, streams, fed packets) and api.c (the public accessors and
 * writers). Not installed.
 */
#ifndef DT_ANALYZER_INT_H
#define DT_ANALYZER_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "datrace.h"
#include "capture/capture.h"
#include "facts/facts.h"
#include "tls/tls.h"
#include "util/mem.h"

#define DT_PIPE_TLS_SPARES	16

struct dt_pipe {			/* one capture being analysed */
	struct dt_analyzer *a;
	struct dt_capture *cap;
	struct dt_net *net;
	struct dt_flow *flow;
	struct dt_tunnel_ctx *tun;	/* IP-HTTPS bodies (tunnel/) */
	struct dt_tls_body_sink body;
	/* ended connections' TLS states, for the next connections */
	struct dt_tls *tls_spare[DT_PIPE_TLS_SPARES];
	unsigned n_tls_spare;
	struct dt_tls_memo *tls_memo;	/* its ClientHellos, NULL: none yet */
	int last_linktype, last_supported;
	struct dt_linktype_count *lt_count;	/* last_linktype's count */
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
	char *spill_dir;		/* dt_options.spill_dir, or NULL */
	size_t spill_after;
	int threads;			/* dt_options.threads: read ahead */
	int map_files;			/* dt_options.map_files */
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
	dt_inner_packet_fn inner_fn;	/* tunnel packets for export */
	void *inner_payload;
	struct dt_analyzer **adopted;	/* owned: their captures are in caps */
	size_t n_adopted;
	struct dt_redact *redact;	/* --redact, or NULL */
	/* the options as the report shows them (redacted when redacting) */
	char *shown_host, *shown_ca_file, *shown_expect, *shown_filter;
};

/* The analyzer's error message, for every stage of it: sets errmsg,
   returns code. */
static inline int dt_analyzer_fail(struct dt_analyzer *a, int code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline int
dt_analyzer_fail(struct dt_analyzer *a, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->errmsg, sizeof a->errmsg, fmt, ap);
	va_end(ap);
	return code;
}

/* pipe.c: one capture at a time (a->pipe); after a failed begin, or to
   abandon a capture, dt_pipe_free() */
int dt_pipe_begin(struct dt_analyzer *a, const char *name,
    const char *format);
int dt_pipe_packet(struct dt_analyzer *a, const struct dt_packet *pkt);
int dt_pipe_end(struct dt_analyzer *a);
void dt_pipe_free(struct dt_analyzer *a);

/* sinks.c: the tunnel context, the TLS body sink and the flow sinks of
   pp->flow; DT_ENOMEM when out of memory */
int dt_pipe_sinks(struct dt_pipe *pp);

#endif
