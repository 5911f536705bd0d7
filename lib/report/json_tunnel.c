/*
 * A connection's "tunnel": what tunnel/ read inside the IP-HTTPS session
 * (MS-IPHTTPS: IPv6 packets in the NULL-cipher bodies) — the HTTP heads
 * that opened it, per direction the packets and framing errors, router
 * discovery (RFC 4861), IKE/AuthIP per peer, ESP per SPI (RFC 4303), DNS.
 */
#include "report/json_int.h"

#include <arpa/inet.h>
#include <inttypes.h>

#include "tls/tls.h"
#include "tunnel/tunnel.h"

static json_t *
jaddr6(struct jb *b, const struct dt_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf,
	    sizeof buf) == NULL)
		return json_null();
	return jb_str(b, buf);
}

static json_t *
jspi(uint64_t v, int width)
{
	char buf[24];

	snprintf(buf, sizeof buf, "0x%0*" PRIx64, width, v);
	return json_string(buf);
}

static json_t *
jinner_dir(struct jb *b, const struct dt_tun_dir *d)
{
	json_t *o = json_object(), *e;

	jb_set(b, o, "packets", jb_int(d->packets));
	jb_set(b, o, "bytes", jb_int(d->bytes));
	jb_set(b, o, "first_frame", jb_frame(d->first_frame));
	jb_set(b, o, "last_frame", jb_frame(d->last_frame));
	jb_set(b, o, "first_time", d->first_frame ? jb_time(d->first_time) :
	    json_null());
	jb_set(b, o, "last_time", d->last_frame ? jb_time(d->last_time) :
	    json_null());
	jb_set(b, o, "undecoded", jb_int(d->undecoded));
	if (d->error_frame != 0) {
		e = json_object();
		jb_set(b, e, "frame", jb_int(d->error_frame));
		jb_set(b, e, "offset", jb_int(d->error_offset));
		jb_set(b, e, "message", jb_str(b, d->error));
	} else {
		e = json_null();
	}
	jb_set(b, o, "framing_error", e);
	return o;
}

static json_t *
jike(struct jb *b, const struct dt_tun_ike *k)
{
	json_t *o = json_object(), *a, *x;
	const char *name;
	size_t i;

	jb_set(b, o, "protocol", json_string(k->authip ? "AuthIP" :
	    k->version == 2 ? "IKEv2" : "IKEv1"));
	jb_set(b, o, "client", jaddr6(b, &k->client));
	jb_set(b, o, "server", jaddr6(b, &k->server));
	jb_set(b, o, "initiator", json_string(dt_report_dir_name(
	    k->initiator_dir == DT_C2S ? DT_C2S : DT_S2C)));
	jb_set(b, o, "initiator_spi", jspi(k->ispi, 16));
	jb_set(b, o, "responder_spi",
	    k->rspi ? jspi(k->rspi, 16) : json_null());
	a = json_array();
	for (i = 0; i < k->n_xchg; i++) {
		x = json_object();
		name = dt_tun_ike_exchange_name(k->version, k->xchg[i]);
		jb_set(b, x, "type", jb_str(b, name));
		jb_set(b, x, "code", json_integer(k->xchg[i]));
		jb_set(b, x, "messages", json_integer(k->n_xchg_msgs[i]));
		jb_push(b, a, x);
	}
	jb_set(b, o, "exchanges", a);
	jb_set(b, o, "requests", json_integer(k->requests));
	jb_set(b, o, "responses", json_integer(k->responses));
	jb_set(b, o, "retransmissions", json_integer(k->retransmissions));
	jb_set(b, o, "unanswered", json_integer(k->unanswered));
	jb_set(b, o, "first_frame", jb_frame(k->first_frame));
	jb_set(b, o, "first_response_frame", jb_frame(k->first_response_frame));
	jb_set(b, o, "unanswered_frame", jb_frame(k->unanswered_frame));
	jb_set(b, o, "established", json_boolean(k->established));
	if (k->notify != 0) {
		x = json_object();
		jb_set(b, x, "type", json_integer(k->notify));
		jb_set(b, x, "name",
		    jb_str(b, dt_tun_ike_notify_name(k->version,
		    k->notify)));
		jb_set(b, x, "frame", jb_int(k->notify_frame));
		jb_set(b, x, "from", json_string(dt_report_dir_name(
		    k->notify_dir == DT_C2S ? DT_C2S : DT_S2C)));
	} else {
		x = json_null();
	}
	jb_set(b, o, "error_notify", x);
	return o;
}

/* The tunnel's facts; {"encrypted": true} when the suite encrypts and
   there is nothing to read; null when no tunnel was seen. */
json_t *
jb_tunnel(struct jb *b, const struct dt_conn *c)
{
	const struct dt_tunnel_facts *f = c->tunnel;
	const struct dt_tls_facts *t = &c->tls;
	json_t *o, *a, *x, *r;
	char pfx[INET6_ADDRSTRLEN + 8];
	size_t i;

	if (f == NULL) {
		if (t->sh_frame == 0 || t->appdata_frame[DT_C2S] == 0 ||
		    (t->version != 0x0304 && dt_tls_suite_is_null(t->suite)))
			return json_null();
		o = json_object();
		jb_set(b, o, "encrypted", json_true());
		return o;
	}
	o = json_object();
	jb_set(b, o, "encrypted", json_false());
	x = json_object();
	jb_set(b, x, "status", t->http_response.frame ?
	    json_integer(t->http_response.status) : json_null());
	jb_set(b, x, "line", jb_str(b, t->http_response.line));
	jb_set(b, x, "server", jb_str(b, t->http_response.server));
	jb_set(b, x, "frame", jb_frame(t->http_response.frame));
	jb_set(b, x, "delay_us", f->answer_delay >= 0 ?
	    jb_int((uint64_t)f->answer_delay / 1000) : json_null());
	jb_set(b, x, "iphttps", f->answer_iphttps < 0 ? json_null() :
	    json_boolean(f->answer_iphttps));
	jb_set(b, o, "answer", x);
	jb_set(b, o, "inner", jb_dirpair(b, jinner_dir(b, &f->dir[DT_C2S]),
	    jinner_dir(b, &f->dir[DT_S2C])));

	x = json_object();
	jb_set(b, x, "rs", json_integer(f->rs));
	jb_set(b, x, "ra", json_integer(f->ra));
	jb_set(b, x, "ns", json_integer(f->ns));
	jb_set(b, x, "na", json_integer(f->na));
	jb_set(b, x, "rs_frame", jb_frame(f->rs_frame));
	jb_set(b, x, "ra_frame", jb_frame(f->ra_frame));
	jb_set(b, x, "router_lifetime",
	    f->ra ? json_integer(f->router_lifetime) :
	    json_null());
	a = json_array();
	for (i = 0; i < f->n_prefixes; i++) {
		r = json_object();
		inet_ntop(AF_INET6, f->prefixes[i].prefix, pfx, sizeof pfx);
		snprintf(pfx + strlen(pfx), 8, "/%u", f->prefixes[i].len);
		jb_set(b, r, "prefix", jb_str(b, pfx));
		jb_set(b, r, "valid_lifetime", jb_int(f->prefixes[i].valid));
		jb_set(b, r, "preferred_lifetime",
		    jb_int(f->prefixes[i].preferred));
		jb_push(b, a, r);
	}
	jb_set(b, x, "prefixes", a);
	jb_set(b, o, "router_discovery", x);

	a = json_array();
	for (i = 0; i < f->n_ike; i++)
		jb_push(b, a, jike(b, &f->ike[i]));
	jb_set(b, o, "ipsec", a);
	jb_set(b, o, "ipsec_peers_dropped", json_integer(f->ike_peers_dropped));

	a = json_array();
	for (i = 0; i < f->n_esp; i++) {
		r = json_object();
		jb_set(b, r, "spi", jspi(f->esp[i].spi, 8));
		jb_set(b, r, "from", json_string(dt_report_dir_name(
		    f->esp[i].dir == DT_C2S ? DT_C2S : DT_S2C)));
		jb_set(b, r, "udp", json_boolean(f->esp[i].udp));
		jb_set(b, r, "packets", jb_int(f->esp[i].packets));
		jb_set(b, r, "bytes", jb_int(f->esp[i].bytes));
		jb_set(b, r, "first_frame", jb_frame(f->esp[i].first_frame));
		jb_set(b, r, "last_frame", jb_frame(f->esp[i].last_frame));
		jb_push(b, a, r);
	}
	jb_set(b, o, "esp", a);
	jb_set(b, o, "esp_packets",
	    jb_dirpair(b, jb_int(f->esp_packets[DT_C2S]),
	    jb_int(f->esp_packets[DT_S2C])));

	x = json_object();
	jb_set(b, x, "queries", json_integer(f->dns_queries));
	jb_set(b, x, "answers", json_integer(f->dns_answers));
	jb_set(b, x, "unanswered", json_integer(f->dns_unanswered));
	r = json_object();
	for (i = 0; i < 16; i++)
		if (f->dns_rcodes[i] != 0) {
			char k[8];

			snprintf(k, sizeof k, "%zu", i);
			jb_set(b, r, k, json_integer(f->dns_rcodes[i]));
		}
	jb_set(b, x, "rcodes", r);
	jb_set(b, x, "first_query", f->dns_queries ?
	    jb_str(b, f->dns_first_name) : json_null());
	jb_set(b, x, "first_query_frame", jb_frame(f->dns_query_frame));
	jb_set(b, x, "first_error_frame", jb_frame(f->dns_error_frame));
	jb_set(b, x, "first_unanswered_frame",
	    jb_frame(f->dns_unanswered_frame));
	jb_set(b, o, "dns", x);
	return o;
}
