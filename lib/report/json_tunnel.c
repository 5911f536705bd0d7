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

/* "answer": the HTTP response that opened the tunnel. */
static void
janswer(struct jw *w, const struct dt_conn *c)
{
	const struct dt_tunnel_facts *f = c->tunnel;
	const struct dt_tls_facts *t = c->tls;
	const struct dt_tls_http *th = dt_tls_http(t);

	jw_obj(w, "answer");
	if (th->response.frame)
		jw_int(w, "status", th->response.status);
	else
		jw_null(w, "status");
	jw_wire(w, "line", th->response.line);
	jw_wire(w, "server", th->response.server);
	jw_frame(w, "frame", th->response.frame);
	if (f->answer_delay >= 0)
		jw_uint(w, "delay_us", (uint64_t)f->answer_delay / 1000);
	else
		jw_null(w, "delay_us");
	if (f->answer_iphttps < 0)
		jw_null(w, "iphttps");
	else
		jw_bool(w, "iphttps", f->answer_iphttps);
	jw_end(w);
}

static void
jrouter(struct jw *w, const struct dt_tunnel_facts *f)
{
	char pfx[INET6_ADDRSTRLEN + 8];
	size_t i;

	jw_obj(w, "router_discovery");
	jw_int(w, "rs", f->rs);
	jw_int(w, "ra", f->ra);
	jw_int(w, "ns", f->ns);
	jw_int(w, "na", f->na);
	jw_frame(w, "rs_frame", f->rs_frame);
	jw_frame(w, "ra_frame", f->ra_frame);
	if (f->ra)
		jw_int(w, "router_lifetime", f->router_lifetime);
	else
		jw_null(w, "router_lifetime");
	jw_arr(w, "prefixes");
	for (i = 0; i < f->n_prefixes; i++) {
		inet_ntop(AF_INET6, f->prefixes[i].prefix, pfx, sizeof pfx);
		snprintf(pfx + strlen(pfx), 8, "/%u", f->prefixes[i].len);
		jw_obj(w, NULL);
		jw_wire(w, "prefix", pfx);
		jw_uint(w, "valid_lifetime", f->prefixes[i].valid);
		jw_uint(w, "preferred_lifetime", f->prefixes[i].preferred);
		jw_end(w);
	}
	jw_end(w);
	jw_end(w);
}

static void
jdns(struct jw *w, const struct dt_tunnel_facts *f)
{
	char k[8];
	size_t i, n;

	jw_obj(w, "dns");
	jw_int(w, "queries", f->dns_queries);
	jw_int(w, "answers", f->dns_answers);
	jw_int(w, "unanswered", f->dns_unanswered);
	jw_obj(w, "rcodes");
	for (i = 0; i < 16; i++)
		if (f->dns_rcodes[i] != 0) {
			/* "%zu" of i < 16, as a key */
			if (i < 10) {
				k[0] = (char)('0' + i);
				n = 1;
			} else {
				k[0] = '1';
				k[1] = (char)('0' + i - 10);
				n = 2;
			}
			jw_int_k(w, k, n, f->dns_rcodes[i]);
		}
	jw_end(w);
	if (f->dns_queries)
		jw_wire(w, "first_query", f->dns_first_name);
	else
		jw_null(w, "first_query");
	jw_frame(w, "first_query_frame", f->dns_query_frame);
	jw_frame(w, "first_error_frame", f->dns_error_frame);
	jw_frame(w, "first_unanswered_frame", f->dns_unanswered_frame);
	jw_end(w);
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
	jw_obj(w, "tunnel");
	jw_bool(w, "encrypted", 0);
	janswer(w, c);
	jw_obj(w, "inner");
	jinner_dir(w, 0, &f->dir[DT_C2S]);
	jinner_dir(w, 1, &f->dir[DT_S2C]);
	jw_end(w);
	jrouter(w, f);

	jw_arr(w, "ipsec");
	for (i = 0; i < f->n_ike; i++)
		jike(w, &f->ike[i]);
	jw_end(w);
	jw_int(w, "ipsec_peers_dropped", f->ike_peers_dropped);

	jw_arr(w, "esp");
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
	jw_end(w);
	jw_uint_pair(w, "esp_packets", f->esp_packets[DT_C2S],
	    f->esp_packets[DT_S2C]);
	jdns(w, f);
	jw_end(w);
}
