/*
 * The stream consumers the analyzer registers with flow/ for one capture
 * (flow.h: the sink contract), in delivery order: HTTP, DNS, then TLS;
 * and the body sink tls/ hands the NULL-cipher plaintext after the HTTP
 * heads to, which feeds the IP-HTTPS tunnel decoder (tunnel/).
 */
#include "analyzer_int.h"

#include <string.h>

#include "flow/flow.h"
#include "tls/tls.h"
#include "tunnel/tunnel.h"

/* ---- the TLS body sink: IP-HTTPS bodies to the tunnel decoder ----------- */

/* MS-IPHTTPS 3.1.5.3: the tunnel is the body of the streaming POST; SSTP's
   (path /sra_...) carries SSTP, not IPv6. */
static void *
body_open(void *payload, struct dt_conn *c)
{
	struct dt_pipe *pp = payload;
	const char *line = dt_tls_http(c->tls)->request.line;

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
	int st = dt_tls_http(c->tls)->response.status;

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

/* A connection's TLS state, made at its first bytes: apart and cold, so
   that tls_sink_data() builds no frame and ends in a jump to dt_tls_data()
   (its prologue and epilogue were 2.6 M instructions of the 100 MB day). */
static __attribute__((noinline, cold)) struct dt_tls *
tls_sink_open(struct dt_pipe *pp)
{
	struct dt_tls_config cfg;

	if (pp->tls_memo == NULL)
		pp->tls_memo = dt_tls_memo_new(&pp->a->mem);
	cfg = (struct dt_tls_config){ pp->a->hs_cap, pp->a->x509,
	    &pp->body, pp->cap, pp->a->ports, pp->tls_memo };
	if (pp->n_tls_spare > 0)
		return dt_tls_renew(pp->tls_spare[--pp->n_tls_spare],
		    &pp->a->mem, &cfg);
	return dt_tls_new(&pp->a->mem, &cfg);
}

/* A connection's first bytes: its state made, then read. Apart, so that
   tls_sink_data() keeps nothing across a call: no frame, both ways out
   a jump. */
static __attribute__((noinline, cold)) int
tls_sink_first(void *payload, struct dt_conn *c, void **app, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time)
{
	if ((*app = tls_sink_open(payload)) == NULL)
		return 0;
	return dt_tls_data(*app, c, dir, p, n, frame, time);
}

static int
tls_sink_data(void *payload, struct dt_conn *c, void **app, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time)
{
	struct dt_tls *t = *app;

	if (t == NULL)
		return tls_sink_first(payload, c, app, dir, p, n, frame, time);
	return dt_tls_data(t, c, dir, p, n, frame, time);
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
   any more. TLS facts nothing was written to go back to the shared empty
   ones (dt_conn_tls_trim). The chain was verified (dt_tls_end), so a certificate's own
   DER copy can go (cached ones share one copy per distinct certificate).
   The timeline stays as it is: a tombstone may add to it, and flow/
   moves it to kept memory or cuts it to its length when the tombstone
   goes (flow_destroy). */
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
conn_trim(struct dt_capture *cap, struct dt_conn *c)
{
	struct dt_mem *m = cap->mem;

	dt_conn_tls_trim(cap, c);
	dt_conn_keep_tunnel(cap, c);
	certs_trim(m, c->tls->server_certs, c->tls->n_server_certs);
	certs_trim(m, dt_tls_rare(c->tls)->client_certs, dt_tls_rare(c->tls)->n_client_certs);
}

static void
tls_sink_end(void *payload, struct dt_conn *c, void **app)
{
	struct dt_pipe *pp = payload;

	if (*app != NULL) {
		dt_tls_end(*app, c);
		/* the next connection takes the state: one allocation and
		   one free fewer a connection */
		if (pp->n_tls_spare < DT_PIPE_TLS_SPARES) {
			dt_tls_clear(&pp->a->mem, *app);
			pp->tls_spare[pp->n_tls_spare++] = *app;
		} else
			dt_tls_free(&pp->a->mem, *app);
		*app = NULL;
	}
	conn_trim(pp->cap, c);
}

static void
tls_sink_stop(void *payload)
{
	struct dt_pipe *pp = payload;

	while (pp->n_tls_spare > 0)
		dt_tls_free(&pp->a->mem, pp->tls_spare[--pp->n_tls_spare]);
	dt_tls_memo_free(&pp->a->mem, pp->tls_memo);
	pp->tls_memo = NULL;
}

/* Every connection, so that tls_sink_end trims each one's facts. */
static const struct dt_flow_sink tls_sink = {
	.name = "tls",
	.data = tls_sink_data,
	.gap = tls_sink_gap,
	.end = tls_sink_end,
	.stop = tls_sink_stop,
};

int
dt_pipe_sinks(struct dt_pipe *pp)
{
	struct dt_analyzer *a = pp->a;

	if (dt_tunnel_ctx_new(&pp->tun, &a->mem,
	    a->inner_fn != NULL ? inner_packet : NULL, a) != 0)
		return DT_ENOMEM;
	pp->body.payload = pp;
	pp->body.open = body_open;
	pp->body.data = body_data;
	pp->body.gap = body_gap;
	pp->body.end = body_end;
	pp->body.buffered = body_buffered;
	if (dt_flow_add_sink(pp->flow, &dt_http_sink, NULL) != 0 ||
	    dt_flow_add_sink(pp->flow, &dt_dns_sink, NULL) != 0 ||
	    dt_flow_add_sink(pp->flow, &tls_sink, pp) != 0)
		return DT_ENOMEM;
	return 0;
}
