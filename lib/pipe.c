/*
 * One run of the pipeline over one capture:
 *
 *   packets -> BPF filter -> net/ decode -> flow/ connections
 *   -> the flow sinks (sinks.c: HTTP, DNS, TLS -> tunnel/) -> facts
 *   -> rules/ verdicts -> facts finished (facts/finish.c)
 *
 * dt_pipe_begin() opens the capture's record and its stages,
 * dt_pipe_packet() is the per-packet path every input takes (input.c),
 * dt_pipe_end() ends open connections, judges and finishes the capture.
 */
#include "analyzer_int.h"

#include <string.h>

#include "capture/capture.h"
#include "flow/flow.h"
#include "net/net.h"
#include "redact/redact.h"
#include "rules/rules.h"
#include "tunnel/tunnel.h"

int
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
	cap->spill_dir = a->spill_dir;
	cap->spill_after = a->spill_after;
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
	memset(&fcfg, 0, sizeof fcfg);
	fcfg.ports = a->ports;
	fcfg.stream_cap = a->hs_cap;
	if (dt_flow_new(&pp->flow, cap, &fcfg) != 0 || dt_pipe_sinks(pp) != 0)
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

/* A packet of another link type than the one before (or the first): it
   is counted (a new one named once), net/ says whether it decodes it, and
   its count is where the next packets of that type add theirs (only a
   new type moves cap->linktypes, and it comes here). */
static void
pipe_linktype(struct dt_pipe *pp, struct dt_capture *cap, int linktype)
{
	size_t i;

	pp->last_linktype = linktype;
	pp->last_supported = dt_net_linktype_supported(linktype);
	dt_capture_count_linktype(cap, linktype, pp->last_supported);
	if (cap->n_linktypes > pp->named_linktypes) {
		struct dt_linktype_count *l = &cap->linktypes[cap->n_linktypes - 1];

		dt_linktype_name(l->linktype, l->name, sizeof l->name);
		pp->named_linktypes = cap->n_linktypes;
	}
	pp->lt_count = NULL;
	for (i = 0; i < cap->n_linktypes; i++)
		if (cap->linktypes[i].linktype == linktype)
			pp->lt_count = &cap->linktypes[i];
}

/* The per-packet path: counters, filter, decode, flow. No allocation here
   beyond what flow/ does for a new connection. */
int
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
	if (pp->lt_count != NULL && pkt->linktype == pp->last_linktype)
		pp->lt_count->packets++;
	else
		pipe_linktype(pp, cap, pkt->linktype);
	drop = pkt->pktmon != NULL && pkt->pktmon->dropped;
	if (pkt->duplicate) {
		cap->duplicate_sightings++;
		if (!drop)
			return 0;
	}
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
	/* TCP and UDP first: one test for nearly every packet, where the
	   switch of all the cases took three */
	if (l4.status == DT_L4_TCP || l4.status == DT_L4_UDP)
		dt_flow_packet(pp->flow, pkt, &l4);
	else if (l4.status == DT_L4_MALFORMED ||
	    l4.status == DT_L4_TRUNCATED)
		cap->undecodable++;
	else if (l4.status == DT_L4_PROTECTED_80211)
		cap->protected_80211++;
	if (a->mem.failed)
		return DT_ENOMEM;
	return 0;
}

void
dt_pipe_free(struct dt_analyzer *a)
{
	struct dt_pipe *pp = a->pipe;

	dt_flow_free(pp->flow);
	dt_tunnel_ctx_free(pp->tun);
	dt_net_free(pp->net);
	dt_free(&a->mem, pp);
	a->pipe = NULL;
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
	uint64_t top, fr;
	size_t i, j;

	if (c->n_events == 0)
		return;
	/* most events come in frame order: one comparison with the latest
	   frame so far (top) each, and only one that is not moves */
	top = dt_ev_frame(c, &c->events[0]);
	for (i = 1; i < c->n_events; i++) {
		struct dt_event ev;

		if ((fr = dt_ev_frame(c, &c->events[i])) >= top) {
			top = fr;
			continue;
		}
		ev = c->events[i];	/* copied only to move */
		for (j = i; j > 0 && dt_ev_frame(c, &c->events[j - 1]) > fr;
		    j--)
			c->events[j] = c->events[j - 1];
		c->events[j] = ev;
	}
}

/* Close the capture: end open connections, judge, index for accessors. */
int
dt_pipe_end(struct dt_analyzer *a)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	struct dt_pipe *pp = a->pipe;
	struct dt_capture *cap = pp->cap;
	struct dt_rules_config rcfg;
	struct dt_conn *c;

	dt_flow_finish(pp->flow);
	for (c = cap->conns; c != NULL; c = c->next) {
		dt_capture_spill_step(cap, &sw);
		timeline_sort(c);
	}
	cap->fragments_dropped = dt_net_fragments_dropped(pp->net);
	dt_pipe_free(a);
	/* every name from the wire is in: the intern table's slots would
	   stay beside the rules' indexes (what interns later, the reasons
	   of classify.c, starts a small table) */
	dt_capture_intern_end(cap);

	memset(&rcfg, 0, sizeof rcfg);
	rcfg.host = a->host;
	rcfg.ports = a->ports;
	rcfg.all = a->all;
	rcfg.x509 = a->x509;
	rcfg.inspection_cas = (const char *const *)a->inspection_cas;
	rcfg.memory_cap = a->mem.cap;
	if (dt_rules_run(&rcfg, cap) != 0 || a->mem.failed)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	/* judged on the real facts; from here on only pseudonyms */
	if (a->redact != NULL && dt_redact_capture(a->redact, cap) != 0)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");

	if (dt_capture_finish(cap) != 0)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	dt_capture_intern_end(cap);
	dt_capture_spill_release(cap);
	return 0;
}
