/*
 * report/: what the inside of an IP-HTTPS tunnel adds to a connection's
 * ladder, decided once for the text and HTML writers: compact rows (the
 * first of each kind, with counts) in frame order after the handshake.
 * Facts from tunnel/ (MS-IPHTTPS 3.1.5.3); when the suite encrypts, one
 * row says there is nothing more to read.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "tls/tls.h"
#include "tunnel/tunnel.h"

static const char *const rcode_names[16] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

static void
put_row(struct dt_tunnel_row *rows, size_t *n, size_t max, uint64_t frame,
    int dir, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
put_row(struct dt_tunnel_row *rows, size_t *n, size_t max, uint64_t frame,
    int dir, const char *fmt, ...)
{
	va_list ap;

	if (*n >= max || frame == 0)
		return;
	rows[*n].frame = frame;
	rows[*n].dir = dir;
	va_start(ap, fmt);
	vsnprintf(rows[*n].text, sizeof rows[*n].text, fmt, ap);
	va_end(ap);
	(*n)++;
}

static const char *
proto(const struct dt_tun_ike *k)
{
	return k->authip ? "AuthIP" : k->version == 2 ? "IKEv2" : "IKEv1";
}

static int
by_frame(const void *pa, const void *pb)
{
	const struct dt_tunnel_row *a = pa, *b = pb;

	if (a->frame != b->frame)
		return a->frame < b->frame ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void
ike_rows(const struct dt_tun_ike *k, struct dt_tunnel_row *rows, size_t *n,
    size_t max)
{
	char peer[INET6_ADDRSTRLEN];
	const char *x, *nn;

	inet_ntop(AF_INET6, k->server.a, peer, sizeof peer);
	x = k->n_xchg > 0 ? dt_tun_ike_exchange_name(k->version, k->xchg[0]) :
	    NULL;
	put_row(rows, n, max, k->first_frame, k->initiator_dir,
	    "%s %s with %s (%u request%s, %u retransmission%s)", proto(k),
	    x != NULL ? x : "message", peer, k->requests,
	    k->requests == 1 ? "" : "s", k->retransmissions,
	    k->retransmissions == 1 ? "" : "s");
	put_row(rows, n, max, k->first_response_frame, !k->initiator_dir,
	    "%s answer (%u response%s)%s", proto(k), k->responses,
	    k->responses == 1 ? "" : "s",
	    k->established ? ", security association established" : "");
	if (k->notify != 0) {
		nn = dt_tun_ike_notify_name(k->version, k->notify);
		put_row(rows, n, max, k->notify_frame, k->notify_dir,
		    "%s error notification %s (%u)", proto(k),
		    nn != NULL ? nn : "?", k->notify);
	}
	if (k->responses == 0)
		put_row(rows, n, max, k->last_frame, k->initiator_dir,
		    "%s: no answer to any request", proto(k));
}

size_t
dt_report_tunnel_rows(const struct dt_conn *c, struct dt_tunnel_row *rows,
    size_t max)
{
	const struct dt_tunnel_facts *f = c->tunnel;
	char pfx[INET6_ADDRSTRLEN];
	size_t n = 0, i, spis[2] = { 0, 0 };
	int dir;

	if (f == NULL) {
		if (dt_report_tunnel_encrypted(c))
			put_row(rows, &n, max, c->tls->appdata_frame[DT_C2S],
			    DT_C2S, "tunnel content encrypted (the suite is "
			    "not NULL): nothing more to read");
		return n;
	}
	for (dir = 0; dir < 2; dir++) {
		const struct dt_tun_dir *d = &f->dir[dir];

		put_row(rows, &n, max, d->first_frame, dir, "IPv6 in the "
		    "tunnel: %llu packet%s, %llu bytes (last in frame %llu)",
		    (unsigned long long)d->packets, d->packets == 1 ? "" : "s",
		    (unsigned long long)d->bytes,
		    (unsigned long long)d->last_frame);
		put_row(rows, &n, max, d->error_frame, dir, "framing error: %s",
		    d->error);
	}
	put_row(rows, &n, max, f->rs_frame, DT_C2S, "Router Solicitation (%u)",
	    f->rs);
	if (f->ra_frame != 0) {
		if (f->n_prefixes > 0)
			inet_ntop(AF_INET6, f->prefixes[0].prefix, pfx,
			    sizeof pfx);
		put_row(rows, &n, max, f->ra_frame, DT_S2C, "Router "
		    "Advertisement (%u): prefix %s/%u, router lifetime %u s",
		    f->ra,
		    f->n_prefixes > 0 ? pfx : "none",
		    f->n_prefixes > 0 ? f->prefixes[0].len : 0,
		    f->router_lifetime);
	}
	for (i = 0; i < f->n_ike; i++)
		ike_rows(&f->ike[i], rows, &n, max);
	for (i = 0; i < f->n_esp; i++)
		spis[f->esp[i].dir & 1]++;
	for (dir = 0; dir < 2; dir++)
		put_row(rows, &n, max, f->esp_first_frame[dir], dir,
		    "ESP: %llu packet%s on %zu SPI%s",
		    (unsigned long long)f->esp_packets[dir],
		    f->esp_packets[dir] == 1 ? "" : "s", spis[dir],
		    spis[dir] == 1 ? "" : "s");
	put_row(rows, &n, max, f->dns_query_frame, DT_C2S, "DNS query %s (%u "
	    "quer%s, %u answer%s, %u unanswered)", f->dns_first_name,
	    f->dns_queries, f->dns_queries == 1 ? "y" : "ies", f->dns_answers,
	    f->dns_answers == 1 ? "" : "s", f->dns_unanswered);
	for (i = 1; i < 16 && f->dns_error_frame != 0; i++)
		if (f->dns_rcodes[i] != 0) {
			put_row(rows, &n, max, f->dns_error_frame, DT_S2C,
			    "DNS answer %s (%u)", rcode_names[i] != NULL ?
			    rcode_names[i] : "rcode", f->dns_rcodes[i]);
			break;
		}
	for (i = 0; i < n; i++)
		rows[i].seq = (unsigned)i;
	qsort(rows, n, sizeof *rows, by_frame);
	return n;
}
