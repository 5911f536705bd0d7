/*
 * The analyzer: one run of the pipeline per capture.
 *
 *   reader (capture/) -> BPF filter -> net/ decode -> flow/ connections
 *   -> tls/ facts (through the flow sinks) -> rules/ verdicts
 *
 * The analyzer owns the options, the trust anchors, the filter and the
 * results of every capture analysed; the public accessors (api.c) and the
 * writers read those results. Packets can come from a file, from memory,
 * from a stream, or be fed one by one by the caller: all take the same path
 * (pipe_packet()).
 */
#include "analyzer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "events/events.h"
#include "flow/flow.h"
#include "net/net.h"
#include "redact/redact.h"
#include "rules/rules.h"
#include "tls/tls.h"
#include "tunnel/tunnel.h"
#include "x509/x509.h"

#define DEFAULT_HS_CAP (256u << 10)
#define DEFAULT_MEM_CAP ((size_t)256 << 20)

static const char *const errtext[] = {
	"success",			/* DT_OK */
	"end of iteration",		/* DT_ITEROVER */
	"invalid argument",		/* DT_EINVAL */
	"out of memory",		/* DT_ENOMEM */
	"input/output error",		/* DT_EIO */
	"not a capture file",		/* DT_EFORMAT */
	"bad filter expression",	/* DT_EFILTER */
	"cannot load certificate",	/* DT_ECERT */
	"call out of order",		/* DT_ESTATE */
};

DT_EXTERN const char *
dt_version(void)
{
	return DT_VERSION_STRING;
}

DT_EXTERN const char *
dt_strerror(int code)
{
	size_t i = code <= 0 ? (size_t)-(long long)code : sizeof errtext;

	if (i >= sizeof errtext / sizeof errtext[0])
		return "unknown error";
	return errtext[i];
}

DT_EXTERN void
dt_options_init(dt_options *opts)
{
	dt_options init = DT_OPTIONS_INIT;

	*opts = init;
}

static int dt_analyzer_fail(struct dt_analyzer *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void dt_pipe_abort(struct dt_analyzer *);

static int
dt_analyzer_fail(struct dt_analyzer *a, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->errmsg, sizeof a->errmsg, fmt, ap);
	va_end(ap);
	return code;
}

static char *
opt_strdup(struct dt_analyzer *a, const char *s)
{
	return s != NULL ? dt_strdup(&a->mem, s) : NULL;
}

/*
 * --host as users paste it: the IP-HTTPS URL (Get-NetIPHttpsConfiguration
 * shows "https://da.corp.example:443/IPHTTPS"), "name:port" or the bare
 * name. Keeps the name (lower case, no trailing dot) and adds the port to
 * the port set.
 */
static void
host_from_url(struct dt_analyzer *a)
{
	char *h = a->host, *p, *end;
	unsigned long port = 0;
	size_t i, n;

	if ((p = strstr(h, "://")) != NULL)
		memmove(h, p + 3, strlen(p + 3) + 1);
	h[strcspn(h, "/?#")] = '\0';
	if (h[0] == '[') {			/* [v6]:port */
		p = strchr(h, ']');
		if (p != NULL && p[1] == ':')
			port = strtoul(p + 2, &end, 10), p[1] = '\0';
	} else if ((p = strchr(h, ':')) != NULL && strchr(p + 1, ':') == NULL) {
		port = strtoul(p + 1, &end, 10);
		*p = '\0';
	}
	for (i = 0; h[i] != '\0'; i++)
		if (h[i] >= 'A' && h[i] <= 'Z')
			h[i] = (char)(h[i] - 'A' + 'a');
	if (i > 0 && h[i - 1] == '.')
		h[i - 1] = '\0';
	if (port == 0 || port > 65535)
		return;
	for (n = 0; a->ports[n] != 0; n++)
		if (a->ports[n] == port)
			return;
	if (n < DT_MAX_PORTS) {
		a->ports[n] = (uint16_t)port;
		a->ports[n + 1] = 0;
	}
}

DT_EXTERN int
dt_analyzer_new(dt_analyzer **out, const dt_options *opts)
{
	struct dt_analyzer *a;
	dt_options defaults = DT_OPTIONS_INIT;
	struct dt_mem boot;
	char err[512];
	size_t n;
	int rc;

	if (out == NULL)
		return DT_EINVAL;
	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != DT_OPTIONS_VERSION && opts->version != 1)
		return DT_EINVAL;
	dt_mem_init(&boot, opts->alloc, opts->alloc_ud, 0);
	a = dt_calloc(&boot, 1, sizeof *a);
	if (a == NULL)
		return DT_ENOMEM;
	/* The analyzer's own block was counted by `boot`; from here on all
	   goes through a->mem, which carries the cap. */
	a->mem = boot;
	a->mem.cap = opts->memory_cap ? opts->memory_cap : DEFAULT_MEM_CAP;
	a->hs_cap = opts->handshake_cap ? opts->handshake_cap : DEFAULT_HS_CAP;
	a->all = opts->all;
	*out = a;

	for (n = 0; n < DT_MAX_PORTS && opts->ports[n] != 0; n++)
		a->ports[n] = opts->ports[n];
	if (n == 0)
		a->ports[n++] = 443;
	a->ports[n] = 0;

	a->host = opt_strdup(a, opts->host);
	a->ca_file = opt_strdup(a, opts->ca_file);
	a->filter_expr = opt_strdup(a, opts->filter);
	a->expect_cert = opt_strdup(a, opts->expect_cert);
	if (a->mem.failed)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	if (a->host != NULL)
		host_from_url(a);

	rc = dt_x509_ctx_new(&a->x509, &a->mem, opts->ca_file, opts->ca_pem,
	    opts->ca_pem_len, opts->expect_cert, err, sizeof err);
	if (rc != 0)
		return dt_analyzer_fail(a, rc == DT_ENOMEM ? DT_ENOMEM : DT_ECERT,
		    "%s", err);
	if (opts->inspection_cas != NULL) {
		rc = dt_x509_inspection_cas_load(&a->mem, opts->inspection_cas,
		    &a->inspection_cas, err, sizeof err);
		if (rc != 0)
			return dt_analyzer_fail(a, rc == DT_ENOMEM ? DT_ENOMEM :
			    DT_EIO, "%s", err);
	}
	if (a->filter_expr != NULL) {
		rc = dt_filter_new(&a->filter, &a->mem, a->filter_expr, err,
		    sizeof err);
		if (rc != 0)
			return dt_analyzer_fail(a, rc == DT_ENOMEM ? DT_ENOMEM :
			    DT_EFILTER, "bad filter '%s': %s", a->filter_expr, err);
	}
	if (opts->version >= 2 && opts->redact) {
		rc = dt_redact_new(&a->redact, &a->mem, opts->redact_key,
		    opts->redact_key_len);
		if (rc != 0)
			return dt_analyzer_fail(a, rc, "cannot make a "
			    "redaction key");
		a->shown_host = dt_redact_name(a->redact, &a->mem, a->host);
		a->shown_ca_file = dt_redact_path(a->redact, &a->mem,
		    a->ca_file);
		a->shown_expect = dt_redact_expect(a->redact, &a->mem,
		    a->expect_cert);
		a->shown_filter = dt_redact_text(a->redact, &a->mem,
		    a->filter_expr);
		if (a->mem.failed)
			return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	}
	return 0;
}

DT_EXTERN void
dt_analyzer_free(dt_analyzer *a)
{
	struct dt_mem m;
	size_t i;

	if (a == NULL)
		return;
	if (a->pipe != NULL)
		dt_pipe_abort(a);
	for (i = 0; i < a->n_caps; i++)
		dt_capture_free(a->caps[i]);
	dt_free(&a->mem, a->caps);
	for (i = 0; i < a->n_adopted; i++)	/* after the captures they hold */
		dt_analyzer_free(a->adopted[i]);
	dt_free(&a->mem, a->adopted);
	if (a->inspection_cas != NULL)
		dt_x509_strv_free(&a->mem, a->inspection_cas);
	dt_filter_free(a->filter);
	dt_x509_ctx_free(a->x509);
	dt_free(&a->mem, a->host);
	dt_free(&a->mem, a->ca_file);
	dt_free(&a->mem, a->filter_expr);
	dt_free(&a->mem, a->expect_cert);
	dt_free(&a->mem, a->shown_host);
	dt_free(&a->mem, a->shown_ca_file);
	dt_free(&a->mem, a->shown_expect);
	dt_free(&a->mem, a->shown_filter);
	dt_redact_free(a->redact);
	m = a->mem;
	dt_free(&m, a);
}

DT_EXTERN const char *
dt_analyzer_errmsg(const dt_analyzer *a)
{
	return a != NULL ? a->errmsg : "no analyzer";
}

DT_EXTERN void
dt_analyzer_set_progress(dt_analyzer *a, dt_progress_fn fn, void *payload)
{
	if (a == NULL)
		return;
	a->progress = fn;
	a->progress_payload = payload;
}

DT_EXTERN void
dt_analyzer_set_inner_packets(dt_analyzer *a, dt_inner_packet_fn fn,
    void *payload)
{
	if (a == NULL)
		return;
	a->inner_fn = fn;
	a->inner_payload = payload;
}

/* Exported (the dt_* version script) so that the public header only has to
   declare it: DT_EXTERN int dt_analyzer_adopt(dt_analyzer *a,
   dt_analyzer *from); (datrace -j). */
DT_EXTERN int
dt_analyzer_adopt(struct dt_analyzer *a, struct dt_analyzer *from)
{
	struct dt_capture **caps;
	struct dt_analyzer **ad;
	size_t i;

	if (a == NULL || from == NULL || a == from || a->pipe != NULL ||
	    from->pipe != NULL || from->n_adopted > 0)
		return DT_EINVAL;
	caps = dt_realloc(&a->mem, a->caps,
	    (a->n_caps + from->n_caps + 1) * sizeof *caps);
	if (caps == NULL)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	a->caps = caps;
	ad = dt_realloc(&a->mem, a->adopted, (a->n_adopted + 1) * sizeof *ad);
	if (ad == NULL)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	a->adopted = ad;
	for (i = 0; i < from->n_caps; i++)
		a->caps[a->n_caps++] = from->caps[i];
	from->n_caps = 0;		/* a frees them, then from */
	a->adopted[a->n_adopted++] = from;
	return 0;
}

/* ---- the TLS body sink: IP-HTTPS bodies to the tunnel decoder ----------- */

/* MS-IPHTTPS 3.1.5.3: the tunnel is the body of the streaming POST; SSTP's
   (path /sra_...) carries SSTP, not IPv6. */
static void *
body_open(void *payload, struct dt_conn *c)
{
	struct dt_pipe *pp = payload;
	const char *line = c->tls.http_request.line;

	if (line == NULL || strncmp(line, "POST ", 5) != 0 ||
	    strncmp(line + 5, "/sra_", 5) == 0)
		return NULL;
	return dt_tunnel_new(pp->tun, c);
}

/* The server's body is the tunnel only after a 2xx answer; an error
   page is not read as IPv6. */
static int
body_data(void *state, struct dt_conn *c, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	int st = c->tls.http_response.status;

	if (dir == DT_S2C && (st < 200 || st > 299))
		return 0;
	return dt_tunnel_data(state, c, dir, p, n, frame, time);
}

static void
body_gap(void *state, struct dt_conn *c, int dir, uint64_t frame)
{
	dt_tunnel_gap(state, c, dir, frame);
}

static void
body_end(void *state, struct dt_conn *c)
{
	dt_tunnel_end(state, c);
}

static size_t
body_buffered(const void *state)
{
	return dt_tunnel_buffered(state);
}

static void
inner_packet(void *payload, const struct dt_conn *c, int dir,
    uint64_t frame, int64_t time, const uint8_t *p, size_t n)
{
	struct dt_analyzer *a = payload;

	a->inner_fn(c->id, dir, frame, time, p, n, a->inner_payload);
}

/* ---- the TLS flow sink: bytes to the TLS parser ------------------------- */

static int
tls_sink_data(void *payload, struct dt_conn *c, void **app, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time)
{
	struct dt_pipe *pp = payload;

	if (*app == NULL) {
		struct dt_tls_config cfg = { pp->a->hs_cap, pp->a->x509,
		    &pp->body };

		*app = dt_tls_new(&pp->a->mem, &cfg);
		if (*app == NULL)
			return 0;
	}
	return dt_tls_data(*app, c, dir, p, n, frame, time);
}

static int
tls_sink_gap(void *payload, struct dt_conn *c, void **app, int dir,
    uint64_t n, uint64_t frame)
{
	(void)payload;
	if (*app != NULL)
		dt_tls_gap(*app, c, dir, n, frame);
	return 1;
}

/* A finished connection is kept until the end of the capture (the rules
   judge them all together), thousands of them: drop what nothing reads
   any more. The chain was verified (dt_tls_end), so a certificate's own
   DER copy can go (cached ones share one copy per distinct certificate);
   the timeline is cut to its length. */
static void
certs_trim(struct dt_mem *m, struct dt_cert *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!x[i].cached && x[i].der != NULL) {
			dt_free(m, x[i].der);
			x[i].der = NULL;
		}
}

static void
conn_trim(struct dt_mem *m, struct dt_conn *c)
{
	struct dt_event *ev;

	certs_trim(m, c->tls.server_certs, c->tls.n_server_certs);
	certs_trim(m, c->tls.client_certs, c->tls.n_client_certs);
	if (c->n_events > 0 && c->n_events < c->cap_events &&
	    (ev = dt_realloc(m, c->events, c->n_events * sizeof *ev)) != NULL) {
		c->events = ev;
		c->cap_events = c->n_events;
	}
}

static void
tls_sink_end(void *payload, struct dt_conn *c, void **app)
{
	struct dt_pipe *pp = payload;

	if (*app != NULL) {
		dt_tls_end(*app, c);
		dt_tls_free(&pp->a->mem, *app);
		*app = NULL;
	}
	conn_trim(&pp->a->mem, c);
}

/* Every connection, so that tls_sink_end trims each one's facts. */
static const struct dt_flow_sink tls_sink = {
	.name = "tls",
	.data = tls_sink_data,
	.gap = tls_sink_gap,
	.end = tls_sink_end,
};

/* ---- one capture -------------------------------------------------------- */

static void
reader_warn(void *payload, uint64_t offset, const char *msg)
{
	struct dt_pipe *pp = payload;

	dt_capture_add_error(pp->cap, offset, "%s", msg);
}

static int
dt_pipe_begin(struct dt_analyzer *a, const char *name, const char *format)
{
	struct dt_pipe *pp;
	struct dt_capture *cap, **caps;
	struct dt_flow_config fcfg;

	if (a->pipe != NULL)
		return dt_analyzer_fail(a, DT_ESTATE, "a capture is already open");
	caps = dt_realloc(&a->mem, a->caps, (a->n_caps + 1) * sizeof *caps);
	if (caps == NULL)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	a->caps = caps;
	cap = dt_calloc(&a->mem, 1, sizeof *cap);
	if (cap == NULL)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	cap->mem = &a->mem;
	cap->path = dt_strdup(&a->mem, name != NULL ? name : "-");
	cap->format = format;
	a->caps[a->n_caps++] = cap;

	pp = dt_calloc(&a->mem, 1, sizeof *pp);
	if (pp == NULL)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	pp->a = a;
	pp->cap = cap;
	a->pipe = pp;		/* from here on the caller's pipe_free() cleans up */
	if (cap->path == NULL)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	if (dt_net_new(&pp->net, &a->mem, 0) != 0)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	if (dt_tunnel_ctx_new(&pp->tun, &a->mem,
	    a->inner_fn != NULL ? inner_packet : NULL, a) != 0)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	pp->body.payload = pp;
	pp->body.open = body_open;
	pp->body.data = body_data;
	pp->body.gap = body_gap;
	pp->body.end = body_end;
	pp->body.buffered = body_buffered;
	memset(&fcfg, 0, sizeof fcfg);
	fcfg.ports = a->ports;
	fcfg.stream_cap = a->hs_cap;
	/* the stream consumers, in delivery order (flow.h: the sink contract) */
	if (dt_flow_new(&pp->flow, cap, &fcfg) != 0 ||
	    dt_flow_add_sink(pp->flow, &dt_http_sink, NULL) != 0 ||
	    dt_flow_add_sink(pp->flow, &dt_dns_sink, NULL) != 0 ||
	    dt_flow_add_sink(pp->flow, &tls_sink, pp) != 0)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	return 0;
}

/*
 * pktmon logged the packet as dropped on this host (issue 9): a fact of
 * its connection, which flow/ records. Its bytes never reached their
 * destination, so a drop is not given to flow/ as a packet even when it
 * is the first sighting - except a client's SYN, the application's
 * attempt, which opens (or retries) its connection so the drop has one.
 */
static void
pipe_drop(struct dt_pipe *pp, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	if (!pkt->duplicate && l4->status == DT_L4_TCP && l4->paylen == 0 &&
	    (l4->flags & (DT_TCP_SYN | DT_TCP_ACK | DT_TCP_RST)) == DT_TCP_SYN)
		dt_flow_packet(pp->flow, pkt, l4);
	dt_flow_drop(pp->flow, pkt, l4);
}

/* Tunnels the packet came through: counted per kind, the first one's
   frame and endpoints kept (what no-iphttps-traffic and the summaries say
   about 6to4 and Teredo). */
static void
count_encap(struct dt_capture *cap, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	unsigned i;

	for (i = 0; i < l4->n_encap; i++) {
		struct dt_encap_count *e = &cap->encap[l4->encaps[i]];

		if (e->packets++ == 0 && e->unread == 0) {
			e->first_frame = pkt->frame;
			e->src = l4->tun_src;
			e->dst = l4->tun_dst;
			e->sport = l4->tun_sport;
			e->dport = l4->tun_dport;
		}
	}
	if (l4->encap_unread != DT_ENCAP_NONE) {
		struct dt_encap_count *e = &cap->encap[l4->encap_unread];

		if (e->packets == 0 && e->unread == 0) {
			e->first_frame = pkt->frame;
			e->src = l4->src;
			e->dst = l4->dst;
		}
		e->unread++;
	}
}

/* The per-packet path: counters, filter, decode, flow. No allocation here
   beyond what flow/ does for a new connection. */
static int
dt_pipe_packet(struct dt_analyzer *a, const struct dt_packet *pkt)
{
	struct dt_pipe *pp = a->pipe;
	struct dt_capture *cap = pp->cap;
	struct dt_l4 l4;
	char err[256];
	int rc, drop;

	cap->packets++;
	cap->bytes += pkt->caplen;
	if (cap->first_time == 0 || pkt->time < cap->first_time)
		cap->first_time = pkt->time;
	if (pkt->time > cap->last_time)
		cap->last_time = pkt->time;
	if (pkt->caplen < pkt->origlen)
		cap->truncated_packets++;
	if (pkt->duplicate)
		cap->duplicate_sightings++;
	if (pkt->linktype != pp->last_linktype || cap->n_linktypes == 0) {
		pp->last_linktype = pkt->linktype;
		pp->last_supported = dt_net_linktype_supported(pkt->linktype);
	}
	dt_capture_count_linktype(cap, pkt->linktype, pp->last_supported);
	if (cap->n_linktypes > pp->named_linktypes) {
		struct dt_linktype_count *l = &cap->linktypes[cap->n_linktypes - 1];

		dt_linktype_name(l->linktype, l->name, sizeof l->name);
		pp->named_linktypes = cap->n_linktypes;
	}
	drop = pkt->pktmon != NULL && pkt->pktmon->dropped;
	if (pkt->duplicate && !drop)
		return 0;
	if (a->filter != NULL) {
		size_t i;

		for (i = 0; i < pp->n_filter_bad; i++)
			if (pp->filter_bad[i] == pkt->linktype)
				return 0;
		rc = dt_filter_match(a->filter, pkt, err, sizeof err);
		if (rc < 0) {
			/* err names the filter and the link type; formatting
			   it per packet would be per-packet work for nothing */
			if (pp->n_filter_bad < sizeof pp->filter_bad /
			    sizeof pp->filter_bad[0]) {
				pp->filter_bad[pp->n_filter_bad++] = pkt->linktype;
				dt_capture_add_error(cap, pkt->offset, "%s", err);
			}
			return 0;
		}
		if (rc == 0)
			return 0;
	}
	if (!pp->last_supported) {
		cap->drops_unattributed += drop;
		return 0;
	}
	dt_net_decode(pp->net, pkt, &l4);
	if (l4.n_encap != 0 || l4.encap_unread != DT_ENCAP_NONE)
		count_encap(cap, pkt, &l4);
	if (drop) {
		pipe_drop(pp, pkt, &l4);
		return a->mem.failed ? DT_ENOMEM : 0;
	}
	switch (l4.status) {
	case DT_L4_TCP:
	case DT_L4_UDP:
		dt_flow_packet(pp->flow, pkt, &l4);
		break;
	case DT_L4_MALFORMED:
	case DT_L4_TRUNCATED:
		cap->undecodable++;
		break;
	case DT_L4_PROTECTED_80211:
		cap->protected_80211++;
		break;
	default:
		break;
	}
	if (a->mem.failed)
		return DT_ENOMEM;
	return 0;
}

static void
pipe_free(struct dt_analyzer *a)
{
	struct dt_pipe *pp = a->pipe;

	dt_flow_free(pp->flow);
	dt_tunnel_ctx_free(pp->tun);
	dt_net_free(pp->net);
	dt_free(&a->mem, pp);
	a->pipe = NULL;
}

static void
dt_pipe_abort(struct dt_analyzer *a)
{
	pipe_free(a);
}

/*
 * A connection's timeline in frame order. Stages add events when they learn
 * them (a non-TLS line once it is complete, a record hopped to its end), so
 * the order of arrival is not always the order of frames; the ladders and
 * the JSON show frame order, ties kept in arrival order (insertion sort:
 * stable, and timelines are short).
 */
static void
timeline_sort(struct dt_conn *c)
{
	size_t i, j;

	for (i = 1; i < c->n_events; i++) {
		struct dt_event ev = c->events[i];

		for (j = i; j > 0 && c->events[j - 1].frame > ev.frame; j--)
			c->events[j] = c->events[j - 1];
		c->events[j] = ev;
	}
}

/* Close the capture: end open connections, judge, index for accessors. */
static int
dt_pipe_end(struct dt_analyzer *a)
{
	struct dt_pipe *pp = a->pipe;
	struct dt_capture *cap = pp->cap;
	struct dt_rules_config rcfg;
	struct dt_conn *c;

	dt_flow_finish(pp->flow);
	for (c = cap->conns; c != NULL; c = c->next)
		timeline_sort(c);
	cap->fragments_dropped = dt_net_fragments_dropped(pp->net);
	pipe_free(a);

	memset(&rcfg, 0, sizeof rcfg);
	rcfg.host = a->host;
	rcfg.ports = a->ports;
	rcfg.all = a->all;
	rcfg.x509 = a->x509;
	rcfg.inspection_cas = (const char *const *)a->inspection_cas;
	if (dt_rules_run(&rcfg, cap) != 0 || a->mem.failed)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	/* judged on the real facts; from here on only pseudonyms */
	if (a->redact != NULL && dt_redact_capture(a->redact, cap) != 0)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");

	if (dt_capture_finish(cap) != 0)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	return 0;
}

/* ---- reading a capture -------------------------------------------------- */

static int
analyze_reader(struct dt_analyzer *a, const char *name, struct dt_reader *r)
{
	struct dt_packet pkt;
	struct dt_events *events = NULL;
	const char *fault;
	char fault_copy[256];	/* the reader's message dies with the reader */
	uint64_t off, total, n = 0;
	int rc = 0;

	rc = dt_pipe_begin(a, name, dt_reader_format(r));
	if (rc == 0)
		rc = dt_events_new(&events, &a->mem);
	if (rc != 0) {
		if (a->pipe != NULL)
			pipe_free(a);
		dt_reader_close(r);
		return rc;
	}
	dt_reader_set_warn(r, reader_warn, a->pipe);
	dt_reader_set_events(r, dt_events_record, events);
	total = dt_reader_size(r);
	while (dt_reader_next(r, &pkt) == 0) {
		rc = dt_pipe_packet(a, &pkt);
		if (rc != 0)
			break;
		if (a->progress != NULL && (++n & 0xffff) == 0)
			a->progress(dt_reader_pos(r), total, a->progress_payload);
	}
	fault = dt_reader_error(r, &off);
	if (fault != NULL) {
		a->pipe->cap->damaged = 1;
		dt_capture_add_error(a->pipe->cap, off, "%s", fault);
		snprintf(fault_copy, sizeof fault_copy, "%s", fault);
		fault = fault_copy;
	}
	if (a->progress != NULL)
		a->progress(dt_reader_pos(r), total, a->progress_payload);
	dt_reader_close(r);
	if (rc == 0)
		rc = dt_events_finish(events, a->pipe->cap);
	dt_events_free(events);
	if (rc != 0) {
		pipe_free(a);
		return dt_analyzer_fail(a, rc, "%s: out of memory (memory cap %zu bytes)",
		    name, a->mem.cap);
	}
	{
		struct dt_capture *cap = a->pipe->cap;

		rc = dt_pipe_end(a);
		if (rc != 0)
			return rc;
		if (a->mem.failed)
			return dt_analyzer_fail(a, DT_ENOMEM, "%s: out of memory",
			    name);
		if (fault != NULL && cap->packets == 0)
			return dt_analyzer_fail(a, DT_EFORMAT,
			    "%s: offset %llu: %s", name,
			    (unsigned long long)off, fault);
	}
	return 0;
}

/* A capture that could not be opened is still listed, with its error. */
static int
open_failed(struct dt_analyzer *a, const char *name, int rc,
    const char *err, uint64_t off)
{
	if (rc == DT_ENOMEM || a->mem.failed)
		return dt_analyzer_fail(a, DT_ENOMEM, "%s: out of memory", name);
	if (dt_pipe_begin(a, name, "unknown") == 0) {
		/* the reader says "offset N: what"; the list keeps N apart */
		const char *what = err;

		if (strncmp(what, "offset ", 7) == 0 && strstr(what, ": ") != NULL)
			what = strstr(what, ": ") + 2;
		dt_capture_add_error(a->pipe->cap, off, "%s", what);
		pipe_free(a);
	} else if (a->pipe != NULL) {
		pipe_free(a);
	}
	return dt_analyzer_fail(a, rc, "%s: %s", name, err);
}

DT_EXTERN int
dt_analyze_file(dt_analyzer *a, const char *path)
{
	struct dt_reader *r;
	char err[512];
	uint64_t off = 0;
	int rc;

	if (a == NULL || path == NULL)
		return DT_EINVAL;
	err[0] = '\0';
	rc = dt_reader_open_file(&r, &a->mem, path, err, sizeof err, &off);
	if (rc != 0)
		return open_failed(a, path, rc, err, off);
	return analyze_reader(a, path, r);
}

DT_EXTERN int
dt_analyze_mem(dt_analyzer *a, const char *name, const void *buf, size_t len)
{
	struct dt_reader *r;
	char err[512];
	uint64_t off = 0;
	int rc;

	if (a == NULL || (buf == NULL && len != 0))
		return DT_EINVAL;
	if (name == NULL)
		name = "(memory)";
	err[0] = '\0';
	rc = dt_reader_open_mem(&r, &a->mem, buf, len, err, sizeof err, &off);
	if (rc != 0)
		return open_failed(a, name, rc, err, off);
	return analyze_reader(a, name, r);
}

DT_EXTERN int
dt_analyze_fp(dt_analyzer *a, const char *name, FILE *fp)
{
	struct dt_reader *r;
	char err[512];
	uint64_t off = 0;
	int rc;

	if (a == NULL || fp == NULL)
		return DT_EINVAL;
	if (name == NULL)
		name = "(stream)";
	err[0] = '\0';
	rc = dt_reader_open_fp(&r, &a->mem, fp, err, sizeof err, &off);
	if (rc != 0)
		return open_failed(a, name, rc, err, off);
	return analyze_reader(a, name, r);
}

DT_EXTERN int
dt_analyze_stream(dt_analyzer *a, const char *name, dt_read_fn read,
    void *payload)
{
	struct dt_reader *r;
	char err[512];
	uint64_t off = 0;
	int rc;

	if (a == NULL || read == NULL)
		return DT_EINVAL;
	if (name == NULL)
		name = "(stream)";
	err[0] = '\0';
	rc = dt_reader_open_stream(&r, &a->mem, read, payload, err, sizeof err,
	    &off);
	if (rc != 0)
		return open_failed(a, name, rc, err, off);
	return analyze_reader(a, name, r);
}

/* ---- feeding ------------------------------------------------------------ */

DT_EXTERN int
dt_feed_begin(dt_analyzer *a, const char *name)
{
	int rc;

	if (a == NULL)
		return DT_EINVAL;
	rc = dt_pipe_begin(a, name != NULL ? name : "(fed)", "fed");
	if (rc != 0 && a->pipe != NULL)
		pipe_free(a);
	if (rc == 0)
		a->feed_frame = 0;
	return rc;
}

DT_EXTERN int
dt_feed_packet(dt_analyzer *a, int linktype, int64_t sec, uint32_t nsec,
    const void *bytes, uint32_t caplen, uint32_t origlen)
{
	struct dt_packet pkt;
	int rc;

	if (a == NULL || (bytes == NULL && caplen != 0) || nsec >= 1000000000u)
		return DT_EINVAL;
	if (a->pipe == NULL)
		return dt_analyzer_fail(a, DT_ESTATE,
		    "dt_feed_packet before dt_feed_begin");
	memset(&pkt, 0, sizeof pkt);
	pkt.frame = ++a->feed_frame;
	/* no overflow for any sec; times within DT_TIME_MAX as a reader's */
	if (sec >= DT_TIME_MAX / 1000000000)
		pkt.time = DT_TIME_MAX;
	else if (sec <= -(DT_TIME_MAX / 1000000000))
		pkt.time = -DT_TIME_MAX;
	else
		pkt.time = sec * 1000000000 + (int64_t)nsec;
	pkt.linktype = linktype;
	pkt.data = bytes;
	pkt.caplen = caplen;
	pkt.origlen = origlen < caplen ? caplen : origlen;
	rc = dt_pipe_packet(a, &pkt);
	if (rc != 0)
		return dt_analyzer_fail(a, rc, "out of memory (memory cap %zu bytes)",
		    a->mem.cap);
	return 0;
}

DT_EXTERN int
dt_feed_end(dt_analyzer *a)
{
	if (a == NULL)
		return DT_EINVAL;
	if (a->pipe == NULL)
		return dt_analyzer_fail(a, DT_ESTATE,
		    "dt_feed_end before dt_feed_begin");
	return dt_pipe_end(a);
}
