/*
 * The analyzer's insides, shared by analyzer.c (the pipeline) and api.c
 * (the public accessors and writers). Not installed.
 */
#ifndef DT_ANALYZER_H
#define DT_ANALYZER_H

#include "datrace.h"
#include "capture/capture.h"
#include "facts/facts.h"
#include "tls/tls.h"
#include "util/mem.h"

struct dt_pipe {			/* one capture being analysed */
	struct dt_analyzer *a;
	struct dt_capture *cap;
	struct dt_net *net;
	struct dt_flow *flow;
	struct dt_tunnel_ctx *tun;	/* IP-HTTPS bodies (tunnel/) */
	struct dt_tls_body_sink body;
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
	dt_inner_packet_fn inner_fn;	/* tunnel packets for export */
	void *inner_payload;
	struct dt_analyzer **adopted;	/* owned: their captures are in caps */
	size_t n_adopted;
	struct dt_redact *redact;	/* --redact, or NULL */
	/* the options as the report shows them (redacted when redacting) */
	char *shown_host, *shown_ca_file, *shown_expect, *shown_filter;
};


#endif
