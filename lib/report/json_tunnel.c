/*
 * A connection's "tunnel": what tunnel/ read inside the IP-HTTPS session
 * (MS-IPHTTPS: IPv6 packets in the NULL-cipher bodies) — the HTTP heads
 * that opened it, per direction the packets and framing errors, router
 * discovery (RFC 4861), IKE/AuthIP per peer, ESP per SPI (RFC 4303), DNS.
 */
#include "report/json_val.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "tls/tls.h"
#include "tunnel/tunnel.h"

static void
jaddr6(struct jw *w, const char *key, const struct dt_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf,
	    sizeof buf) == NULL)
		jw_null(w, key);
	else
		jw_wire(w, key, buf);
}

/* An SPI as "0x%0*" PRIx64 writes it (lower-case hex, at least width
   digits) at o, quoted; o has room for 20 bytes. */
static char *
jq_spi(char *o, uint64_t v, unsigned width)
{
	o[0] = '"';
	o += 1 + dt_hex_u64(o + 1, v, width);
	*o = '"';
	return o + 1;
}

static void
jspi(struct jw *w, const char *key, uint64_t v, unsigned width)
{
	char buf[20];
	size_t n = (size_t)(jq_spi(buf, v, width) - buf);

	jw_name_k(w, key, strlen(key), buf + 1, n - 2);
}

/* One direction inside the tunnel: "client" or "server" (server != 0),
   a run of members the quick way. */
static void
jinner_dir(struct jw *w, int server, const struct dt_tun_dir *d)
{
	char *o = jq_begin(w, 16);

	if (server)
		o = jq_key(w, o, "server");
	else
		o = jq_key(w, o, "client");
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "packets");
	o = jq_uint(o, d->packets);
	o = jq_keyn(w, o, "bytes");
	o = jq_uint(o, d->bytes);
	o = jq_keyn(w, o, "first_frame");
	o = jq_frame(o, d->first_frame);
	o = jq_keyn(w, o, "last_frame");
	o = jq_frame(o, d->last_frame);
	o = jq_keyn(w, o, "first_time");
	o = d->first_frame ? jq_time(w, o, d->first_time) : jq_null(o);
	o = jq_key(w, o, "last_time");
	o = d->last_frame ? jq_time(w, o, d->last_time) : jq_null(o);
	o = jq_key(w, o, "undecoded");
	o = jq_uint(o, d->undecoded);
	o = jq_keyn(w, o, "framing_error");
	if (d->error_frame != 0) {
		o = jq_open(w, o, '{');
		o = jq_key(w, o, "frame");
		o = jq_uint(o, d->error_frame);
		o = jq_keyn(w, o, "offset");
		o = jq_uint(o, d->error_offset);
		o = jq_keyn(w, o, "message");
		o = jq_wire(w, o, d->error, 2);
		o = jq_close(w, o);
	} else {
		o = jq_null(o);
	}
	o = jq_close(w, o);
	jq_end(w, o);
}

static void
jike(struct jw *w, const struct dt_tun_ike *k)
{
	size_t i;

	jw_obj(w, NULL);
	jw_str(w, "protocol", k->authip ? "AuthIP" :
	    k->version == 2 ? "IKEv2" : "IKEv1");
	jaddr6(w, "client", &k->client);
	jaddr6(w, "server", &k->server);
	jw_str(w, "initiator", dt_report_dir_name(
	    k->initiator_dir == DT_C2S ? DT_C2S : DT_S2C));
	jspi(w, "initiator_spi", k->ispi, 16);
	if (k->rspi)
		jspi(w, "responder_spi", k->rspi, 16);
	else
		jw_null(w, "responder_spi");
	jw_arr(w, "exchanges");
	for (i = 0; i < k->n_xchg; i++) {
		jw_obj(w, NULL);
		jw_wire(w, "type",
		    dt_tun_ike_exchange_name(k->version, k->xchg[i]));
		jw_int(w, "code", k->xchg[i]);
		jw_int(w, "messages", k->n_xchg_msgs[i]);
		jw_end(w);
	}
	jw_end(w);
	jw_int(w, "requests", k->requests);
	jw_int(w, "responses", k->responses);
	jw_int(w, "retransmissions", k->retransmissions);
	jw_int(w, "unanswered", k->unanswered);
	jw_frame(w, "first_frame", k->first_frame);
	jw_frame(w, "first_response_frame", k->first_response_frame);
	jw_frame(w, "unanswered_frame", k->unanswered_frame);
	jw_bool(w, "established", k->established);
	if (k->notify != 0) {
		jw_obj(w, "error_notify");
		jw_int(w, "type", k->notify);
		jw_wire(w, "name", dt_tun_ike_notify_name(k->version,
		    k->notify));
		jw_uint(w, "frame", k->notify_frame);
		jw_name(w, "from", dt_report_dir_name(
		    k->notify_dir == DT_C2S ? DT_C2S : DT_S2C));
		jw_end(w);
	} else {
		jw_null(w, "error_notify");
	}
	jw_end(w);
}

/* "answer": the HTTP response that opened the tunnel, a run. */
static void
janswer(struct jw *w, const struct dt_conn *c)
{
	const struct dt_tunnel_facts *f = c->tunnel;
	const struct dt_tls_http *th = dt_tls_http(c->tls);
	char *o = jq_begin(w, 10);

	o = jq_key(w, o, "answer");
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "status");
	if (th->response.frame)
		o = jq_int(o, th->response.status);
	else
		o = jq_null(o);
	o = jq_keyn(w, o, "line");
	o = jq_wire(w, o, th->response.line, 6);
	o = jq_keyn(w, o, "server");
	o = jq_wire(w, o, th->response.server, 5);
	o = jq_keyn(w, o, "frame");
	o = jq_frame(o, th->response.frame);
	o = jq_keyn(w, o, "delay_us");
	if (f->answer_delay >= 0)
		o = jq_uint(o, (uint64_t)f->answer_delay / 1000);
	else
		o = jq_null(o);
	o = jq_keyn(w, o, "iphttps");
	if (f->answer_iphttps < 0)
		o = jq_null(o);
	else
		o = jq_bool(o, f->answer_iphttps);
	o = jq_close(w, o);
	jq_end(w, o);
}

/* "router_discovery": its counts a run, its prefixes (seldom any) one
   by one. */
static void
jrouter(struct jw *w, const struct dt_tunnel_facts *f)
{
	char pfx[INET6_ADDRSTRLEN + 8];
	size_t i;
	char *o = jq_begin(w, 12);

	o = jq_key(w, o, "router_discovery");
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "rs");
	o = jq_int(o, f->rs);
	o = jq_keyn(w, o, "ra");
	o = jq_int(o, f->ra);
	o = jq_keyn(w, o, "ns");
	o = jq_int(o, f->ns);
	o = jq_keyn(w, o, "na");
	o = jq_int(o, f->na);
	o = jq_keyn(w, o, "rs_frame");
	o = jq_frame(o, f->rs_frame);
	o = jq_keyn(w, o, "ra_frame");
	o = jq_frame(o, f->ra_frame);
	o = jq_keyn(w, o, "router_lifetime");
	o = f->ra ? jq_int(o, f->router_lifetime) : jq_null(o);
	o = jq_keyn(w, o, "prefixes");
	o = jq_open(w, o, '[');
	jq_end(w, o);
	for (i = 0; i < f->n_prefixes; i++) {
		inet_ntop(AF_INET6, f->prefixes[i].prefix, pfx, sizeof pfx);
		snprintf(pfx + strlen(pfx), 8, "/%u", f->prefixes[i].len);
		jw_obj(w, NULL);
		jw_wire(w, "prefix", pfx);
		jw_uint(w, "valid_lifetime", f->prefixes[i].valid);
		jw_uint(w, "preferred_lifetime", f->prefixes[i].preferred);
		jw_end(w);
	}
	o = jq_begin(w, 2);
	o = jq_close(w, o);
	o = jq_close(w, o);
	jq_end(w, o);
}

/* The tunnel's "dns", a run. */
static void
jdns(struct jw *w, const struct dt_tunnel_facts *f)
{
	char q[8];
	size_t i;
	char *o = jq_begin(w, 12);

	o = jq_key(w, o, "dns");
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "queries");
	o = jq_int(o, f->dns_queries);
	o = jq_keyn(w, o, "answers");
	o = jq_int(o, f->dns_answers);
	o = jq_keyn(w, o, "unanswered");
	o = jq_int(o, f->dns_unanswered);
	o = jq_keyn(w, o, "rcodes");
	o = jq_open(w, o, '{');
	for (i = 0; i < 16; i++)
		if (f->dns_rcodes[i] != 0) {
			/* "%zu" of i < 16, quoted, as a key */
			size_t n = 1;

			q[0] = '"';
			if (i >= 10)
				q[n++] = '1';
			q[n++] = (char)('0' + i % 10);
			memcpy(q + n, "\": ", 3);
			o = jq_begin_at(w, o, 1);
			o = jq_key_(w, o, q, n + 3);
			o = jq_int(o, f->dns_rcodes[i]);
		}
	o = jq_begin_at(w, o, 8);
	o = jq_close(w, o);
	o = jq_keyn(w, o, "first_query");
	if (f->dns_queries)
		o = jq_wire(w, o, f->dns_first_name, 6);
	else
		o = jq_null(o);
	o = jq_keyn(w, o, "first_query_frame");
	o = jq_frame(o, f->dns_query_frame);
	o = jq_keyn(w, o, "first_error_frame");
	o = jq_frame(o, f->dns_error_frame);
	o = jq_keyn(w, o, "first_unanswered_frame");
	o = jq_frame(o, f->dns_unanswered_frame);
	o = jq_close(w, o);
	jq_end(w, o);
}

/* The tunnel's facts; {"encrypted": true} when the suite encrypts and
   there is nothing to read; null when no tunnel was seen. */
void
jw_tunnel(struct jw *w, const struct dt_conn *c)
{
	const struct dt_tunnel_facts *f = c->tunnel;
	size_t i;
	char *o;

	if (f == NULL) {
		/* most connections: a member or two, the quick way */
		o = jq_begin(w, 3);
		o = jq_key(w, o, "tunnel");
		if (dt_report_tunnel_encrypted(c)) {
			o = jq_open(w, o, '{');
			o = jq_key(w, o, "encrypted");
			o = jq_bool(o, 1);
			o = jq_close(w, o);
		} else {
			o = jq_null(o);
		}
		jq_end(w, o);
		return;
	}
	o = jq_begin(w, 2);
	o = jq_key(w, o, "tunnel");
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "encrypted");
	jq_end(w, jq_bool(o, 0));
	janswer(w, c);
	o = jq_begin(w, 1);
	o = jq_key(w, o, "inner");
	jq_end(w, jq_open(w, o, '{'));
	jinner_dir(w, 0, &f->dir[DT_C2S]);
	jinner_dir(w, 1, &f->dir[DT_S2C]);
	o = jq_begin(w, 1);
	jq_end(w, jq_close(w, o));
	jrouter(w, f);

	o = jq_begin(w, 1);
	o = jq_key(w, o, "ipsec");
	jq_end(w, jq_open(w, o, '['));
	for (i = 0; i < f->n_ike; i++)
		jike(w, &f->ike[i]);
	o = jq_begin(w, 4);
	o = jq_close(w, o);
	o = jq_keyn(w, o, "ipsec_peers_dropped");
	o = jq_int(o, f->ike_peers_dropped);
	o = jq_keyn(w, o, "esp");
	jq_end(w, jq_open(w, o, '['));
	for (i = 0; i < f->n_esp; i++) {
		o = jq_begin(w, 10);
		o = jq_elem(w, o);
		o = jq_open(w, o, '{');
		o = jq_key(w, o, "spi");
		o = jq_spi(o, f->esp[i].spi, 8);
		o = jq_keyn(w, o, "from");
		o = jq_ours(w, o, dt_report_dir_name(f->esp[i].dir == DT_C2S ?
		    DT_C2S : DT_S2C), 7);
		o = jq_keyn(w, o, "udp");
		o = jq_bool(o, f->esp[i].udp);
		o = jq_keyn(w, o, "packets");
		o = jq_uint(o, f->esp[i].packets);
		o = jq_keyn(w, o, "bytes");
		o = jq_uint(o, f->esp[i].bytes);
		o = jq_keyn(w, o, "first_frame");
		o = jq_frame(o, f->esp[i].first_frame);
		o = jq_keyn(w, o, "last_frame");
		o = jq_frame(o, f->esp[i].last_frame);
		o = jq_close(w, o);
		jq_end(w, o);
	}
	o = jq_begin(w, 6);
	o = jq_close(w, o);
	o = jq_keyn(w, o, "esp_packets");
	o = jq_open(w, o, '{');
	o = jq_key(w, o, "client");
	o = jq_uint(o, f->esp_packets[DT_C2S]);
	o = jq_keyn(w, o, "server");
	o = jq_uint(o, f->esp_packets[DT_S2C]);
	o = jq_close(w, o);
	jq_end(w, o);
	jdns(w, f);
	o = jq_begin(w, 1);
	jq_end(w, jq_close(w, o));
}
