/*
 * The events stage's typed decoding (issue 23): ETL files built by the
 * project's writer (tests/etlw.h) with the IP-HTTPS providers' events,
 * each payload laid out field by field as the public manifests give them
 * (../shared/research/manifests, Win10 18990: Iphlpsvc 4302, Iphlpsvc-
 * Trace 5000/5003/5065, Schannel 36874/36887/36888, CAPI2 11, TCPIP 1034,
 * DNS-Client 3008), read back through the reader and the events stage;
 * every field's value asserted. A payload shorter than its layout is one
 * warning naming the record's offset, the fields before the end kept;
 * an id without a layout is counted, not decoded. No independent ETW
 * reader runs on Debian here (dissect.etl and etl-parser are Python
 * packages outside Debian bookworm), so the layouts are checked against
 * the manifest text itself: the generator's input. DT_EVENTS_SEED=FILE
 * writes the first test's file (tests/fuzz/corpus/events/iphttps.etl).
 */
#include <arpa/inet.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "datrace.h"
#include "etlw.h"
#include "events/events.h"
#include "facts/facts.h"
#include "testutil.h"
#include "util/mem.h"

#define MS UINT64_C(1000000)

struct run {
	struct dt_mem m;
	struct dt_capture cap;
	struct dt_events *ev;
};

static void
on_warn(void *payload, uint64_t off, const char *msg)
{
	struct run *r = payload;

	dt_capture_add_error(&r->cap, off, "%s", msg);
}

/* The reader and the events stage over w's file, as the analyzer runs
   them. */
static void
run_events(struct run *r, const struct etlw *w)
{
	struct dt_reader *rd;
	struct dt_packet p;
	char eb[256];
	uint64_t eo;

	memset(r, 0, sizeof *r);
	dt_mem_init(&r->m, NULL, NULL, 64u << 20);
	r->cap.mem = &r->m;
	ck_assert_int_eq(dt_reader_open_mem(&rd, &r->m, w->file.p, w->file.n,
	    eb, sizeof eb, &eo), 0);
	ck_assert_int_eq(dt_events_new(&r->ev, &r->cap), 0);
	dt_reader_set_warn(rd, on_warn, r);
	dt_reader_set_events(rd, dt_events_record, r->ev);
	while (dt_reader_next(rd, &p) == 0)
		;
	dt_reader_close(rd);
	ck_assert_int_eq(dt_events_finish(r->ev, &r->cap), 0);
	dt_events_free(r->ev);
}

static void
run_free(struct run *r)
{
	struct dt_winevent *d;
	size_t i;

	dt_free(&r->m, r->cap.providers);
	while ((d = r->cap.winevents) != NULL) {
		r->cap.winevents = d->next;
		dt_free(&r->m, d);
	}
	for (i = 0; i < r->cap.n_errors; i++)
		dt_free(&r->m, r->cap.errors[i].message);
	dt_free(&r->m, r->cap.errors);
	ck_assert_uint_eq(r->m.used, 0);
}

static const struct dt_winevent *
nth(const struct run *r, size_t k)
{
	const struct dt_winevent *d = r->cap.winevents;

	while (d != NULL && k-- > 0)
		d = d->next;
	ck_assert_ptr_nonnull(d);
	return d;
}

static const struct dt_winevent_field *
field(const struct dt_winevent *d, const char *name, const char *type)
{
	size_t i;

	for (i = 0; i < d->n_fields; i++)
		if (strcmp(d->fields[i].name, name) == 0) {
			ck_assert_str_eq(d->fields[i].type, type);
			return &d->fields[i];
		}
	ck_abort_msg("no field %s in event %u", name, d->id);
	return NULL;
}

static void
num_is(const struct dt_winevent *d, const char *name, const char *type,
    uint64_t v)
{
	const struct dt_winevent_field *f = field(d, name, type);

	ck_assert(f->is_num);
	ck_assert_uint_eq(f->u, v);
}

static void
text_is(const struct dt_winevent *d, const char *name, const char *type,
    const char *v)
{
	const struct dt_winevent_field *f = field(d, name, type);

	ck_assert_ptr_nonnull(f->text);
	ck_assert_str_eq(f->text, v);
}

static void
ev_put(struct etlw *w, const uint8_t *guid, uint16_t id, uint64_t t,
    struct etlw_vec *v)
{
	etlw_event(w, guid, id, 0, t, 7, v->p, v->n, NULL, 0);
	free(v->p);
	memset(v, 0, sizeof *v);
}

/* SOCKADDR_IN as Windows lays it out: family 2 LE, port BE, address. */
static void
sockaddr6(struct etlw_vec *v, const uint8_t a[16], unsigned port)
{
	etlw_u16(v, 23);			/* AF_INET6 as Windows numbers it */
	etlw_u8(v, port >> 8);
	etlw_u8(v, port & 0xff);
	etlw_u32(v, 0);				/* flow info */
	etlw_put(v, a, 16);
	etlw_u32(v, 0);				/* scope id */
}

static void
sockaddr4(struct etlw_vec *v, const uint8_t a[4], unsigned port)
{
	etlw_u16(v, 2);
	etlw_u8(v, port >> 8);
	etlw_u8(v, port & 0xff);
	etlw_put(v, a, 4);
	etlw_zero(v, 8);
}

/* The IP-HTTPS providers' events, each field from the manifest. */
static void
write_iphttps_events(struct etlw *w)
{
	static const uint8_t cli[4] = { 192, 0, 2, 10 },
	    srv[4] = { 203, 0, 113, 5 };
	struct etlw_vec v = { 0 };

	/* Iphlpsvc-Trace 5000: InterfaceName, InterfaceType, RegistryState,
	   CurrentState, URL, AuthenticationMode */
	etlw_wstr(&v, "IPHTTPSInterface");
	etlw_u32(&v, 3);
	etlw_u32(&v, 1);
	etlw_u32(&v, 4);
	etlw_wstr(&v, "https://da.example.com:443/IPHTTPS");
	etlw_u32(&v, 0);
	ev_put(w, etlw_guid_iphlpsvc_trace, 5000, 1 * MS, &v);
	/* 5003: InterfaceName, CertificateCN, Preference */
	etlw_wstr(&v, "IPHTTPSInterface");
	etlw_wstr(&v, "client1.corp.example.com");
	etlw_u32(&v, 2);
	ev_put(w, etlw_guid_iphlpsvc_trace, 5003, 2 * MS, &v);
	/* 5065: InterfaceName, ProxyAccessType, Proxy, ProxyBypass */
	etlw_wstr(&v, "IPHTTPSInterface");
	etlw_u32(&v, 3);
	etlw_wstr(&v, "proxy.corp.example.com:8080");
	etlw_wstr(&v, "<local>");
	ev_put(w, etlw_guid_iphlpsvc_trace, 5065, 3 * MS, &v);
	/* DNS-Client 3008: QueryName, QueryType, QueryOptions (UInt64),
	   QueryStatus, QueryResults */
	etlw_wstr(&v, "da.example.com");
	etlw_u32(&v, 28);
	etlw_u64(&v, UINT64_C(0x140000000));
	etlw_u32(&v, 0);
	etlw_wstr(&v, "::ffff:203.0.113.5;");
	ev_put(w, etlw_guid_dns, 3008, 4 * MS, &v);
	/* TCPIP 1034 (v0): LocalAddressLength, LocalAddress,
	   RemoteAddressLength, RemoteAddress, Status, ProcessId,
	   Compartment, Tcb (Pointer, 8 bytes in a 64-bit trace) */
	etlw_u32(&v, 16);
	sockaddr4(&v, cli, 50123);
	etlw_u32(&v, 16);
	sockaddr4(&v, srv, 443);
	etlw_u32(&v, 0xc0000236);
	etlw_u32(&v, 1234);
	etlw_u32(&v, 1);
	etlw_u64(&v, UINT64_C(0xffffa50c12345678));
	ev_put(w, etlw_guid_tcpip, 1034, 5 * MS, &v);
	/* CAPI2 11: EventWriteData, the chain as XML */
	etlw_wstr(&v, "<CertGetCertificateChain><TrustStatus><ErrorStatus "
	    "value=\"20\" CERT_TRUST_IS_UNTRUSTED_ROOT=\"true\"/></TrustStatus>"
	    "<Result value=\"800B0109\">A certificate chain processed, but "
	    "terminated in a root certificate which is not trusted by the "
	    "trust provider.</Result></CertGetCertificateChain>");
	ev_put(w, etlw_guid_capi2, 11, 6 * MS, &v);
	/* Schannel 36888: AlertDesc, ErrorState, TargetName */
	etlw_u32(&v, 48);
	etlw_u32(&v, 552);
	etlw_wstr(&v, "da.example.com");
	ev_put(w, etlw_guid_schannel, 36888, 7 * MS, &v);
	/* 36887: AlertDesc */
	etlw_u32(&v, 40);
	ev_put(w, etlw_guid_schannel, 36887, 8 * MS, &v);
	/* 36874: Protocol */
	etlw_wstr(&v, "TLS 1.2");
	ev_put(w, etlw_guid_schannel, 36874, 9 * MS, &v);
	/* Iphlpsvc 4302: ErrorCode, IpHTTPSReasonCode */
	etlw_u32(&v, 0x800b0109);
	etlw_u32(&v, 0);
	ev_put(w, etlw_guid_iphlpsvc, 4302, 10 * MS, &v);
}

START_TEST(test_decode_iphttps_providers)
{
	struct etlw w;
	struct run r;
	const struct dt_winevent *d;
	size_t i;

	etlw_init(&w);
	etlw_header(&w, 0);
	write_iphttps_events(&w);
	etlw_flush(&w, 0, 0, 0, 0);
	if (getenv("DT_EVENTS_SEED") != NULL) {	/* the fuzz seed */
		FILE *fp = fopen(getenv("DT_EVENTS_SEED"), "wb");

		ck_assert_ptr_nonnull(fp);
		ck_assert_uint_eq(fwrite(w.file.p, 1, w.file.n, fp), w.file.n);
		fclose(fp);
	}
	run_events(&r, &w);
	ck_assert_uint_eq(r.cap.n_winevents, 10);
	ck_assert_uint_eq(r.cap.winevents_decoded, 10);
	ck_assert_uint_eq(r.cap.n_errors, 0);

	d = nth(&r, 0);
	ck_assert_str_eq(d->provider, "Microsoft-Windows-Iphlpsvc-Trace");
	ck_assert_uint_eq(d->id, 5000);
	ck_assert_ptr_null(d->name);
	ck_assert_int_eq(d->has_time, 1);
	ck_assert_uint_eq(d->n_fields, 6);
	text_is(d, "InterfaceName", "UnicodeString", "IPHTTPSInterface");
	num_is(d, "InterfaceType", "UInt32", 3);
	num_is(d, "CurrentState", "UInt32", 4);
	text_is(d, "URL", "UnicodeString",
	    "https://da.example.com:443/IPHTTPS");
	num_is(d, "AuthenticationMode", "UInt32", 0);
	ck_assert_int_eq(d->short_payload, 0);

	d = nth(&r, 1);
	text_is(d, "CertificateCN", "UnicodeString",
	    "client1.corp.example.com");
	num_is(d, "Preference", "UInt32", 2);
	d = nth(&r, 2);
	num_is(d, "ProxyAccessType", "UInt32", 3);
	text_is(d, "Proxy", "UnicodeString", "proxy.corp.example.com:8080");
	text_is(d, "ProxyBypass", "UnicodeString", "<local>");

	d = nth(&r, 3);
	ck_assert_str_eq(d->provider, "Microsoft-Windows-DNS-Client");
	text_is(d, "QueryName", "UnicodeString", "da.example.com");
	num_is(d, "QueryType", "UInt32", 28);
	num_is(d, "QueryOptions", "UInt64", UINT64_C(0x140000000));
	num_is(d, "QueryStatus", "UInt32", 0);
	text_is(d, "QueryResults", "UnicodeString", "::ffff:203.0.113.5;");

	d = nth(&r, 4);
	ck_assert_str_eq(d->provider, "Microsoft-Windows-TCPIP");
	ck_assert_str_eq(d->name, "TcpConnectTcbFailure");
	num_is(d, "LocalAddressLength", "UInt32", 16);
	text_is(d, "LocalAddress", "SocketAddress", "192.0.2.10:50123");
	text_is(d, "RemoteAddress", "SocketAddress", "203.0.113.5:443");
	num_is(d, "Status", "UInt32", 0xc0000236);
	num_is(d, "ProcessId", "UInt32", 1234);
	num_is(d, "Tcb", "Pointer", UINT64_C(0xffffa50c12345678));
	ck_assert(field(d, "Tcb", "Pointer")->is_hex);

	d = nth(&r, 5);
	ck_assert_str_eq(d->provider, "Microsoft-Windows-CAPI2");
	ck_assert_str_eq(d->name, "BuildChainStop");
	ck_assert_uint_eq(d->n_fields, 2);
	ck_assert(strncmp(field(d, "EventWriteData", "UnicodeString")->text,
	    "<CertGetCertificateChain><TrustStatus>", 38) == 0);
	num_is(d, "Result", "HexInt32", 0x800b0109);

	d = nth(&r, 6);
	ck_assert_str_eq(d->provider, "Schannel");
	ck_assert_uint_eq(d->id, 36888);
	num_is(d, "AlertDesc", "UInt32", 48);
	num_is(d, "ErrorState", "UInt32", 552);
	text_is(d, "TargetName", "UnicodeString", "da.example.com");
	num_is(nth(&r, 7), "AlertDesc", "UInt32", 40);
	text_is(nth(&r, 8), "Protocol", "UnicodeString", "TLS 1.2");

	d = nth(&r, 9);
	ck_assert_str_eq(d->provider, "Microsoft-Windows-Iphlpsvc");
	ck_assert_uint_eq(d->id, 4302);
	num_is(d, "ErrorCode", "UInt32", 0x800b0109);
	num_is(d, "IpHTTPSReasonCode", "UInt32", 0);
	/* in file order, each later than the one before */
	for (i = 1; i < 10; i++)
		ck_assert_int_eq(nth(&r, i)->time - nth(&r, i - 1)->time,
		    (int64_t)MS);
	run_free(&r);
	etlw_free(&w);
}
END_TEST

/*
 * A payload shorter than its layout: one warning at the record's offset
 * naming the provider, the event and the first missing field; the fields
 * before it kept, and the events after it still read. An id with no
 * layout and an unknown provider are counted by provider, not decoded,
 * and are no error. A string running to the end of the payload without
 * its NUL ends there; a length field larger than the payload is short.
 */
START_TEST(test_short_and_unknown)
{
	struct etlw w;
	struct run r;
	struct etlw_vec v = { 0 };
	const struct dt_winevent *d;
	char want[160];
	size_t i;

	etlw_init(&w);
	etlw_header(&w, 0);
	etlw_u32(&v, 0x2af9);			/* no IpHTTPSReasonCode */
	ev_put(&w, etlw_guid_iphlpsvc, 4302, 1 * MS, &v);
	etlw_u32(&v, 1);
	ev_put(&w, etlw_guid_iphlpsvc, 4999, 2 * MS, &v);	/* no layout */
	etlw_u32(&v, 1);
	ev_put(&w, etlw_guid_other, 4302, 3 * MS, &v);
	etlw_u32(&v, 16);			/* LocalAddressLength */
	etlw_zero(&v, 8);			/* 8 of its 16 bytes */
	ev_put(&w, etlw_guid_tcpip, 1034, 4 * MS, &v);
	etlw_u32(&v, 46);
	etlw_u32(&v, 1);
	etlw_u16(&v, 'd');			/* TargetName without NUL */
	etlw_u16(&v, 'a');
	ev_put(&w, etlw_guid_schannel, 36888, 5 * MS, &v);
	etlw_flush(&w, 0, 0, 0, 0);
	run_events(&r, &w);
	ck_assert_uint_eq(r.cap.n_winevents, 3);
	ck_assert_uint_eq(r.cap.n_providers, 4);
	ck_assert_uint_eq(r.cap.n_errors, 2);

	d = nth(&r, 0);
	ck_assert_uint_eq(d->id, 4302);
	ck_assert_int_eq(d->short_payload, 1);
	ck_assert_uint_eq(d->n_fields, 1);
	num_is(d, "ErrorCode", "UInt32", 0x2af9);
	ck_assert_uint_eq(r.cap.errors[0].offset, d->offset);
	ck_assert_str_eq(r.cap.errors[0].message, "Microsoft-Windows-Iphlpsvc "
	    "event 4302: payload of 4 bytes ends before field "
	    "IpHTTPSReasonCode of its layout; the fields before it read");
	d = nth(&r, 1);
	ck_assert_uint_eq(d->id, 1034);
	ck_assert_uint_eq(d->n_fields, 1);
	snprintf(want, sizeof want, "Microsoft-Windows-TCPIP event 1034: "
	    "payload of 12 bytes ends before field LocalAddress of its "
	    "layout; the fields before it read");
	ck_assert_str_eq(r.cap.errors[1].message, want);
	ck_assert_uint_eq(r.cap.errors[1].offset, d->offset);
	d = nth(&r, 2);
	ck_assert_int_eq(d->short_payload, 0);
	text_is(d, "TargetName", "UnicodeString", "da");
	for (i = 0; i < r.cap.n_providers; i++)
		if (strcmp(r.cap.providers[i].guid,
		    "{66a5c15c-4f8e-4044-bf6e-71d896038977}") == 0) {
			ck_assert_uint_eq(r.cap.providers[i].events, 2);
			ck_assert_uint_eq(r.cap.providers[i].ids, 2);
		}
	run_free(&r);
	etlw_free(&w);
}
END_TEST

/* Memory stays bounded: past DT_EVENTS_KEPT decoded events the rest are
   counted, not kept; a long string is cut at DT_EVENT_TEXT_MAX bytes with
   a cut mark, on a character boundary. */
START_TEST(test_bounded)
{
	struct etlw w;
	struct run r;
	struct etlw_vec v = { 0 };
	const char *t;
	size_t i;

	etlw_init(&w);
	etlw_header(&w, 0);
	for (i = 0; i < 600; i++)
		etlw_u16(&v, 0x00e9);		/* é: 2 bytes in UTF-8 */
	etlw_u16(&v, 0);
	ev_put(&w, etlw_guid_schannel, 36874, 1 * MS, &v);
	for (i = 0; i < DT_EVENTS_KEPT + 50; i++) {
		etlw_u32(&v, 0x274c);
		etlw_u32(&v, 0);
		ev_put(&w, etlw_guid_iphlpsvc, 4302, 2 * MS + i, &v);
		if (w.recs.n > 60000)
			etlw_flush(&w, 0, 0, 0, 0);
	}
	etlw_flush(&w, 0, 0, 0, 0);
	run_events(&r, &w);
	ck_assert_uint_eq(r.cap.n_winevents, DT_EVENTS_KEPT);
	ck_assert_uint_eq(r.cap.winevents_decoded, DT_EVENTS_KEPT + 51);
	t = field(nth(&r, 0), "Protocol", "UnicodeString")->text;
	ck_assert_uint_eq(strlen(t), DT_EVENT_TEXT_MAX + 3);
	ck_assert_str_eq(t + DT_EVENT_TEXT_MAX, "\xe2\x80\xa6");
	run_free(&r);
	etlw_free(&w);
}
END_TEST


/* ---- Windows' word in the verdicts ---------------------------------------- */

/*
 * Frames from..to (0: to the end) of a capture as NDIS-PacketCapture 1001
 * events of w (a Linux cooked frame as Ethernet, its direction kept in
 * the MACs; sent: the first frame's source), shift ns added to their
 * times. The first frames written start the trace: *start (0 before)
 * gets its start, a whole second before the first frame (and a minute
 * more with early). Returns the last frame's time from the start; *first
 * the first one's.
 */
static uint64_t
put_frames(struct etlw *w, const char *path, uint64_t from, uint64_t to,
    int64_t shift, int early, int64_t *start, uint64_t *first)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	char err[256];
	uint8_t mac[6];
	static uint8_t eth[65536];
	uint64_t rel = 0, kw, n = 0;
	int have_mac = 0;

	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_reader_open_file(&r, &m, path, err, sizeof err,
	    NULL), 0);
	while (dt_reader_next(r, &p) == 0) {
		if (++n < from || (to != 0 && n > to))
			continue;
		if (p.linktype == 113) {	/* Linux cooked: as Ethernet */
			ck_assert_uint_ge(p.caplen, 16);
			ck_assert_uint_le(p.caplen - 2, sizeof eth);
			memset(eth, 0, 12);
			eth[0] = eth[6] = 2;
			eth[p.data[1] == 4 ? 11 : 5] = 1;   /* 4: we sent it */
			memcpy(eth + 12, p.data + 14, p.caplen - 14);
			p.data = eth;
			p.caplen -= 2;
			p.linktype = 1;
		}
		ck_assert_int_eq(p.linktype, 1);
		p.time += shift;
		if (!have_mac) {
			memcpy(mac, p.data + 6, 6);
			have_mac = 1;
		}
		if (*start == 0) {
			*start = p.time - p.time % 1000000000 -
			    (early ? 60 * INT64_C(1000000000) : 0);
			*first = (uint64_t)(p.time - *start);
			w->start_ft = ETLW_FT_1970 + (uint64_t)(*start / 100);
			etlw_header(w, 3600 * UINT64_C(1000000000));
		}
		rel = (uint64_t)(p.time - *start);
		kw = ETLW_KW_ETH | ETLW_KW_START | ETLW_KW_END |
		    (memcmp(p.data + 6, mac, 6) == 0 ? ETLW_KW_SEND :
		    ETLW_KW_RECV);
		etlw_ndis_1001(w, 7, 7, kw, p.data, p.caplen, rel, 1, NULL, 0);
		if (w->recs.n > 50000)
			etlw_flush(w, 0, 0, 0, 0);
	}
	ck_assert_ptr_null(dt_reader_error(r, NULL));
	dt_reader_close(r);
	return rel;
}

/*
 * A scenario capture (real TLS stacks, testdata/gen/scenarios.sh) written
 * as a netsh trace (put_frames), then the given Windows event one second
 * after the last frame (or, _at, before_first ns before the first; the
 * trace then starts a minute before it).
 */
static void
scenario_etl_at(struct etlw *w, const char *path, const uint8_t *guid,
    uint16_t id, struct etlw_vec *payload, uint64_t before_first)
{
	int64_t start = 0;
	uint64_t rel, first = 0;

	etlw_init(w);
	rel = put_frames(w, path, 0, 0, 0, before_first > 0, &start, &first);
	if (guid != NULL)
		ev_put(w, guid, id, before_first > 0 ? first - before_first :
		    rel + 1000 * MS, payload);
	etlw_flush(w, 0, 0, 0, 0);
}

static void
scenario_etl(struct etlw *w, const char *path, const uint8_t *guid,
    uint16_t id, struct etlw_vec *payload)
{
	scenario_etl_at(w, path, guid, id, payload, 0);
}

/* The verdict with id of the analysed ETL (NULL when none). */
static const dt_verdict *
verdict_of(const dt_analyzer *a, const char *id)
{
	const dt_capture *c;
	const dt_verdict *v;
	size_t i;

	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &c), 0);
	for (i = 0; i < dt_capture_verdict_count(c); i++) {
		ck_assert_int_eq(dt_capture_verdict_at(c, i, &v), 0);
		if (strcmp(dt_verdict_id(v), id) == 0)
			return v;
	}
	return NULL;
}

enum how { IPHLPSVC, CAPI2, DNS, TCPIP };

static const struct weigh_case {
	const char *file, *host, *ca, *id;
	enum how how;
	uint32_t confirm, contradict;	/* the event's code */
	const char *confirm_name, *contradict_name;
} weigh_cases[] = {
	{ "null-absent-alert-openssl.pcap", "da.corp.example", NULL,
	  "null-cipher-absent", IPHLPSVC, 0x80090326,
	  0x800b0109, "SEC_E_ILLEGAL_MESSAGE", "CERT_E_UNTRUSTEDROOT" },
	{ "server-cert-untrusted-openssl.pcap", "da.corp.example",
	  "testdata/scenarios/certs/corp-root.pem", "server-cert-untrusted",
	  CAPI2, 0x800b0109, 0x800b010f, "CERT_E_UNTRUSTEDROOT",
	  "CERT_E_CN_NO_MATCH" },
	{ "server-name-mismatch-openssl.pcap", "da.corp.example",
	  "testdata/scenarios/certs/corp-root.pem", "server-name-mismatch",
	  IPHLPSVC, 0x800b010f, 0x80092013,
	  "CERT_E_CN_NO_MATCH", "CRYPT_E_REVOCATION_OFFLINE" },
	{ "server-cert-expired-openssl.pcap", "da.corp.example",
	  "testdata/scenarios/certs/corp-root.pem", "server-cert-expired",
	  CAPI2, 0x800b0101, 0x800b0109, "CERT_E_EXPIRED",
	  "CERT_E_UNTRUSTEDROOT" },
	{ "client-cert-missing-openssl.pcap", "da.corp.example",
	  "testdata/scenarios/certs/corp-root.pem", "client-cert-missing",
	  IPHLPSVC, 0x90320, 0x274d,
	  "SEC_I_INCOMPLETE_CREDENTIALS", "WSAECONNREFUSED" },
	{ "tcp-refused-v4.pcap", "da.corp.example", NULL, "tcp-refused",
	  TCPIP, 0xc0000236, 0xc00000b5,
	  "STATUS_CONNECTION_REFUSED", "STATUS_IO_TIMEOUT" },
	/* linked by the server's address: Windows writes IPv6 in full */
	{ "tcp-refused-v6.pcap", "da.corp.example", NULL, "tcp-refused",
	  TCPIP, 0xc0000236, 0xc00000b5,
	  "STATUS_CONNECTION_REFUSED", "STATUS_IO_TIMEOUT" },
	{ "dns-nxdomain.pcap", "da.corp.example", NULL, "dns-not-found",
	  DNS, 9003, 0x800b0109, "DNS_ERROR_RCODE_NAME_ERROR",
	  "CERT_E_UNTRUSTEDROOT" },
};

/* The event of kind how reporting code, about the scenario's server. */
static const uint8_t *
code_event(enum how how, uint32_t code, const char *server, uint16_t *id,
    struct etlw_vec *v)
{
	char xml[160], h[64];
	uint8_t a[4], a6[16];
	unsigned port;

	switch (how) {
	case IPHLPSVC:
		etlw_u32(v, code);
		etlw_u32(v, 0);
		*id = 4302;
		return etlw_guid_iphlpsvc;
	case CAPI2:
		snprintf(xml, sizeof xml, "<CertVerifyCertificateChainPolicy>"
		    "<Result value=\"%08X\"/></CertVerifyCertificateChainPolicy>",
		    code);
		etlw_wstr(v, xml);
		*id = 30;
		return etlw_guid_capi2;
	case DNS:
		etlw_wstr(v, "da.corp.example");
		etlw_u32(v, 28);
		etlw_u64(v, 0);
		etlw_u32(v, code);
		etlw_wstr(v, "");
		*id = 3008;
		return etlw_guid_dns;
	case TCPIP:
		if (server[0] == '[') {		/* SOCKADDR_IN6, 28 bytes */
			ck_assert_int_eq(sscanf(server, "[%63[^]]]:%u", h,
			    &port), 2);
			ck_assert_int_eq(inet_pton(AF_INET6, h, a6), 1);
			etlw_u32(v, 28);
			sockaddr6(v, (const uint8_t[16]){ 0x20, 0x01, 0x0d,
			    0xb8, [15] = 1 }, 50000);
			etlw_u32(v, 28);
			sockaddr6(v, a6, port);
		} else {
			ck_assert_int_eq(sscanf(server, "%hhu.%hhu.%hhu.%hhu:%u",
			    &a[0], &a[1], &a[2], &a[3], &port), 5);
			etlw_u32(v, 16);
			sockaddr4(v, (const uint8_t[4]){ 10, 0, 0, 1 }, 50000);
			etlw_u32(v, 16);
			sockaddr4(v, a, port);
		}
		etlw_u32(v, code);
		etlw_u32(v, 1234);
		etlw_u32(v, 1);
		etlw_u64(v, 0);
		*id = 1034;
		return etlw_guid_tcpip;
	}
	return NULL;
}

/* The server of the scenario's first connection ("a.b.c.d:p"). */
static void
first_server(const char *path, char *out, size_t n)
{
	dt_analyzer *a;
	const dt_capture *c;
	const dt_conn *k;

	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	dt_analyze_file(a, path);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &c), 0);
	if (dt_capture_conn_count(c) > 0) {
		ck_assert_int_eq(dt_capture_conn_at(c, 0, &k), 0);
		snprintf(out, n, "%s", dt_conn_server(k));
	} else
		snprintf(out, n, "0.0.0.0:0");
	dt_analyzer_free(a);
}

/*
 * For each verdict with a Windows code: the scenario as a netsh trace
 * with the client's own event reporting the verdict's code (confirms:
 * the verdict's text cites it, the confidence stays), and with another
 * code the project maps to another verdict (contradicts: cited beside it,
 * the confidence one step lower than the same packets give without the
 * event). The cited event is no windows-reported-error verdict again.
 */
START_TEST(test_confirm_contradict)
{
	const struct weigh_case *k = &weigh_cases[_i / 2];
	int confirm = _i % 2 == 0;
	uint32_t code = confirm ? k->confirm : k->contradict;
	const char *name = confirm ? k->confirm_name : k->contradict_name;
	char path[256], server[64], want[512];
	dt_options o;
	dt_analyzer *a;
	const dt_verdict *v;
	struct etlw w;
	struct etlw_vec p = { 0 };
	const uint8_t *guid;
	uint16_t id = 0;
	dt_confidence base;

	snprintf(path, sizeof path, "testdata/scenarios/%s", k->file);
	first_server(path, server, sizeof server);
	dt_options_init(&o);
	o.host = k->host;
	o.ca_file = k->ca;

	/* the packets without the event: as the scenario */
	scenario_etl(&w, path, NULL, 0, NULL);
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	dt_analyze_mem(a, "scenario.etl", w.file.p, w.file.n);
	v = verdict_of(a, k->id);
	ck_assert_ptr_nonnull(v);
	base = dt_verdict_confidence(v);
	ck_assert_ptr_null(strstr(dt_verdict_explanation(v), "Windows "
	    "confirms"));
	ck_assert_ptr_null(strstr(dt_verdict_explanation(v), "Windows says"));
	dt_analyzer_free(a);
	etlw_free(&w);

	guid = code_event(k->how, code, server, &id, &p);
	scenario_etl(&w, path, guid, id, &p);
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	dt_analyze_mem(a, "scenario.etl", w.file.p, w.file.n);
	v = verdict_of(a, k->id);
	ck_assert_msg(v != NULL, "%s: no %s", k->file, k->id);
	/* the event is beside the packet verdict, not a verdict again */
	ck_assert_ptr_null(verdict_of(a, "windows-reported-error"));
	if (confirm) {
		snprintf(want, sizeof want, "Windows confirms it: %s event %u at ",
		    k->how == IPHLPSVC ? "Microsoft-Windows-Iphlpsvc" :
		    k->how == CAPI2 ? "Microsoft-Windows-CAPI2" :
		    k->how == DNS ? "Microsoft-Windows-DNS-Client" :
		    "Microsoft-Windows-TCPIP", id);
		ck_assert_msg(strstr(dt_verdict_explanation(v), want) != NULL,
		    "%s: %s", k->file, dt_verdict_explanation(v));
		ck_assert_int_eq(dt_verdict_confidence(v), base);
	} else {
		ck_assert_msg(strstr(dt_verdict_explanation(v),
		    "Windows says otherwise: ") != NULL, "%s: %s", k->file,
		    dt_verdict_explanation(v));
		ck_assert_int_gt(base, DT_CONF_LOW);
		ck_assert_int_eq(dt_verdict_confidence(v), base - 1);
		snprintf(want, sizeof want, "; confidence lowered to %s.",
		    dt_confidence_name(base - 1));
		ck_assert_ptr_nonnull(strstr(dt_verdict_explanation(v), want));
	}
	snprintf(want, sizeof want, " 0x%X (%s)", code, name);
	ck_assert_msg(strstr(dt_verdict_explanation(v), want) != NULL,
	    "%s: %s", k->file, dt_verdict_explanation(v));
	dt_analyzer_free(a);
	etlw_free(&w);
}
END_TEST

/*
 * Events linked to the connection by what they name, else by time. The
 * IP-HTTPS client's 4003 (ServerName, ErrorCode) with the verdict's code:
 * naming the IP-HTTPS server it confirms the verdict even half a minute
 * before the first packet; naming another server it is not about this
 * connection, though in its time. The same code in a 4302, which names
 * nothing, goes by time: after the last packet it confirms, half a
 * minute before the first it does not.
 */
static const struct link_case {
	uint16_t id;
	const char *server;		/* 4003's ServerName */
	uint64_t before_first;		/* 0: a second after the last packet */
	int confirms;
} link_cases[] = {
	{ 4003, "DA.corp.example", 30000 * MS, 1 },
	{ 4003, "da.corp.example", 0, 1 },
	{ 4003, "other.example", 0, 0 },
	{ 4302, NULL, 0, 1 },
	{ 4302, NULL, 30000 * MS, 0 },
};

START_TEST(test_event_links)
{
	const struct link_case *k = &link_cases[_i];
	struct etlw w;
	struct etlw_vec p = { 0 };
	dt_options o;
	dt_analyzer *a;
	const dt_verdict *v;
	const char *ex;
	char want[128];

	if (k->server != NULL)
		etlw_wstr(&p, k->server);
	etlw_u32(&p, 0x80090326);
	if (k->server == NULL)
		etlw_u32(&p, 0);		/* IpHTTPSReasonCode */
	scenario_etl_at(&w, "testdata/scenarios/null-absent-alert-openssl.pcap",
	    etlw_guid_iphlpsvc, k->id, &p, k->before_first);
	dt_options_init(&o);
	o.host = "da.corp.example";
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	dt_analyze_mem(a, "scenario.etl", w.file.p, w.file.n);
	v = verdict_of(a, "null-cipher-absent");
	ck_assert_ptr_nonnull(v);
	ex = dt_verdict_explanation(v);
	snprintf(want, sizeof want, "Windows confirms it: "
	    "Microsoft-Windows-Iphlpsvc event %u at ", k->id);
	if (k->confirms)
		ck_assert_msg(strstr(ex, want) != NULL, "case %d: %s", _i, ex);
	else {
		ck_assert_msg(strstr(ex, "Windows confirms") == NULL &&
		    strstr(ex, "Windows says") == NULL, "case %d: %s", _i, ex);
		/* beside a packet verdict's connection: no verdict of its
		   own either */
		ck_assert_ptr_null(verdict_of(a, "windows-reported-error"));
	}
	dt_analyzer_free(a);
	etlw_free(&w);
}
END_TEST

/*
 * A DNS-Client event linked to a connection by the capture's own DNS
 * answer. The client asked da.corp.example and got 198.19.0.10 (the DNS
 * exchange of crl-nxdomain.pcap, 20 ms before the connections), then its
 * connections to 198.19.0.10:443 were refused (tcp-refused-v4.pcap: no
 * TLS, so no SNI); the user knows the server by another name (--host
 * vpn.corp.example). Neither the name nor an SNI ties the event's
 * QueryName to the connection: only the answer does, in any case and
 * with the trailing dot. Its QueryStatus (a name error) is cited beside
 * tcp-refused as a contradiction; the same event about a name no answer
 * tied to that address is about nothing here.
 */
static const struct resolved_case {
	const char *query;
	int linked;
} resolved_cases[] = {
	{ "da.corp.example", 1 },
	{ "DA.Corp.Example.", 1 },
	{ "wpad.corp.example", 0 },
};

START_TEST(test_event_linked_by_answer)
{
	const struct resolved_case *k = &resolved_cases[_i];
	struct etlw w;
	struct etlw_vec p = { 0 };
	dt_options o;
	dt_analyzer *a;
	const dt_capture *c;
	const dt_verdict *v;
	static const char refused[] = "Nothing accepted TCP connections on "
	    "the IP-HTTPS address and port: the host (or a firewall in front "
	    "of it) answered the SYN with a reset. The client logs 0x274d "
	    "WSAECONNREFUSED and retries.";
	char want[512];
	uint64_t fr, first = 0, answer;
	int64_t start = 0, shift;
	size_t i, n = 0;

	etlw_init(&w);
	/* crl-nxdomain's frames 1-2 at 1795626917.098218 s; tcp-refused-v4
	   starts at 1795626881.964667 s */
	shift = INT64_C(1795626881964667000) - INT64_C(20000000) -
	    INT64_C(1795626917098218000);
	answer = put_frames(&w, "testdata/scenarios/crl-nxdomain.pcap", 1, 2,
	    shift, 0, &start, &first);
	put_frames(&w, "testdata/scenarios/tcp-refused-v4.pcap", 0, 0, 0, 0,
	    &start, &first);
	etlw_wstr(&p, k->query);
	etlw_u32(&p, 1);			/* QueryType A */
	etlw_u64(&p, 0);
	etlw_u32(&p, 9003);			/* QueryStatus */
	etlw_wstr(&p, "");
	ev_put(&w, etlw_guid_dns, 3008, answer + 1 * MS, &p);
	etlw_flush(&w, 0, 0, 0, 0);

	dt_options_init(&o);
	o.host = "vpn.corp.example";
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	dt_analyze_mem(a, "resolved.etl", w.file.p, w.file.n);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &c), 0);
	snprintf(want, sizeof want, "%s%s", refused, k->linked ?
	    " Windows says otherwise: Microsoft-Windows-DNS-Client event "
	    "3008 at 17:14:41.945 UTC logged QueryStatus 0x232B "
	    "(DNS_ERROR_RCODE_NAME_ERROR), which is not what the packets "
	    "show (WSAECONNREFUSED); confidence lowered to low." : "");
	for (i = 0; i < dt_capture_verdict_count(c); i++) {
		ck_assert_int_eq(dt_capture_verdict_at(c, i, &v), 0);
		if (strcmp(dt_verdict_id(v), "tcp-refused") != 0)
			continue;
		/* connection n + 1: its SYN and RST after the 2 DNS frames */
		ck_assert_uint_eq(dt_verdict_conn(v), n + 1);
		ck_assert_uint_eq(dt_verdict_frame_count(v), 2);
		ck_assert_int_eq(dt_verdict_frame_at(v, 0, &fr), 0);
		ck_assert_uint_eq(fr, 3 + 2 * n);
		ck_assert_int_eq(dt_verdict_frame_at(v, 1, &fr), 0);
		ck_assert_uint_eq(fr, 4 + 2 * n);
		ck_assert_uint_eq(dt_verdict_windows_code(v), 0x274d);
		ck_assert_int_eq(dt_verdict_confidence(v), k->linked ?
		    DT_CONF_LOW : DT_CONF_MEDIUM);
		ck_assert_str_eq(dt_verdict_explanation(v), want);
		n++;
	}
	ck_assert_uint_eq(n, 2);
	/* beside the packet verdicts, or about nothing: never its own */
	ck_assert_ptr_null(verdict_of(a, "windows-reported-error"));
	dt_analyzer_free(a);
	etlw_free(&w);
}
END_TEST

/*
 * A netsh trace without packets: the IP-HTTPS client's 4302 with
 * WSAHOST_NOT_FOUND is a verdict of its own, with the meaning and remedy,
 * confidence medium; a TCPIP connect failure to port 80 and a DNS failure
 * for another name are not about IP-HTTPS and give none. JSON lists the
 * decoded events with their fields; text with --events lists them.
 */
START_TEST(test_events_alone)
{
	static const uint8_t web[4] = { 198, 51, 100, 7 };
	struct etlw w;
	struct etlw_vec v = { 0 };
	dt_analyzer *a;
	const dt_capture *c;
	const dt_verdict *vd;
	char *out = NULL;
	size_t n, i, k = 0;

	etlw_init(&w);
	etlw_header(&w, 0);
	etlw_wstr(&v, "IPHTTPSInterface");
	etlw_u32(&v, 3);
	etlw_u32(&v, 1);
	etlw_u32(&v, 4);
	etlw_wstr(&v, "https://da.corp.example:443/IPHTTPS");
	etlw_u32(&v, 0);
	ev_put(&w, etlw_guid_iphlpsvc_trace, 5000, 1 * MS, &v);
	etlw_wstr(&v, "wpad.corp.example");		/* another name */
	etlw_u32(&v, 1);
	etlw_u64(&v, 0);
	etlw_u32(&v, 9003);
	etlw_wstr(&v, "");
	ev_put(&w, etlw_guid_dns, 3008, 2 * MS, &v);
	etlw_u32(&v, 16);				/* to port 80 */
	sockaddr4(&v, web, 50000);
	etlw_u32(&v, 16);
	sockaddr4(&v, web, 80);
	etlw_u32(&v, 0xc0000236);
	etlw_u32(&v, 4);
	etlw_u32(&v, 1);
	etlw_u64(&v, 0);
	ev_put(&w, etlw_guid_tcpip, 1034, 3 * MS, &v);
	etlw_u32(&v, 0x2af9);
	etlw_u32(&v, 0);
	ev_put(&w, etlw_guid_iphlpsvc, 4302, 4 * MS, &v);
	etlw_flush(&w, 0, 0, 0, 0);

	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_mem(a, "events.etl", w.file.p, w.file.n),
	    DT_EFORMAT);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &c), 0);
	for (i = 0; i < dt_capture_verdict_count(c); i++) {
		ck_assert_int_eq(dt_capture_verdict_at(c, i, &vd), 0);
		k += strcmp(dt_verdict_id(vd), "windows-reported-error") == 0;
	}
	ck_assert_uint_eq(k, 1);
	vd = verdict_of(a, "windows-reported-error");
	ck_assert_uint_eq(dt_verdict_windows_code(vd), 0x2af9);
	ck_assert_str_eq(dt_verdict_windows_name(vd), "WSAHOST_NOT_FOUND");
	ck_assert_int_eq(dt_verdict_confidence(vd), DT_CONF_MEDIUM);
	ck_assert_int_eq(dt_verdict_severity(vd), DT_SEV_ERROR);
	ck_assert_str_eq(dt_verdict_summary(vd), "Windows reported 0x2AF9 "
	    "(WSAHOST_NOT_FOUND): the IP-HTTPS server's name did not resolve");
	ck_assert_str_eq(dt_verdict_explanation(vd), "Microsoft-Windows-"
	    "Iphlpsvc event 4302 at 20:18:27.004 UTC logged ErrorCode 0x2AF9 "
	    "(WSAHOST_NOT_FOUND). The capture shows no IP-HTTPS connection, "
	    "so this rests on the client's own event alone (confidence "
	    "medium): no packet confirms it.");
	ck_assert(strncmp(dt_verdict_remedy(vd), "Publish the ConnectTo name",
	    26) == 0);

	ck_assert_int_eq(dt_write_buffer(a, "json", 0, &out, &n), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"events\": [\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "          \"provider\": \"Microsoft-Windows-Iphlpsvc\",\n"
	    "          \"id\": 4302,\n"
	    "          \"version\": 0,\n"
	    "          \"name\": null,\n"
	    "          \"level\": 4,\n"
	    "          \"pid\": 4,\n"
	    "          \"tid\": 7,\n"));
	ck_assert_ptr_nonnull(strstr(out, "          \"fields\": {\n"
	    "            \"ErrorCode\": 11001,\n"
	    "            \"IpHTTPSReasonCode\": 0\n"
	    "          },\n"
	    "          \"short_payload\": false\n"));
	ck_assert_ptr_nonnull(strstr(out, "\"RemoteAddress\": "
	    "\"198.51.100.7:80\""));
	ck_assert_ptr_nonnull(strstr(out, "\"events_not_kept\": 0"));
	dt_buffer_free(out);
	ck_assert_int_eq(dt_write_buffer(a, "text", 0, &out, &n), 0);
	ck_assert_ptr_nonnull(strstr(out, "  events: 4 Windows events decoded "
	    "(--events lists them, beside the ladders)\n"));
	ck_assert_ptr_null(strstr(out, "  windows: "));
	dt_buffer_free(out);
	ck_assert_int_eq(dt_write_buffer(a, "text", DT_TEXT_EVENTS |
	    DT_TEXT_WIDTH(200), &out, &n), 0);
	ck_assert_ptr_nonnull(strstr(out, "  windows: 2024-06-10T20:18:27."
	    "004000000Z Microsoft-Windows-Iphlpsvc 4302: ErrorCode=0x2AF9 "
	    "IpHTTPSReasonCode=0x0\n"));
	dt_buffer_free(out);
	dt_analyzer_free(a);
	etlw_free(&w);
}
END_TEST

/*
 * --events beside a ladder: the scenario's failing connection shows the
 * client's 4302 one second after its last frame, as a "windows" row in
 * its ladder after the frames, with its time from the connection start;
 * the HTML ladder draws it on the same time axis (always, no option).
 */
START_TEST(test_events_in_ladder)
{
	struct etlw w;
	struct etlw_vec p = { 0 };
	dt_options o;
	dt_analyzer *a;
	char *out = NULL, *row, *last;
	size_t n;

	etlw_u32(&p, 0x80090326);
	etlw_u32(&p, 0);
	scenario_etl(&w, "testdata/scenarios/null-absent-alert-openssl.pcap",
	    etlw_guid_iphlpsvc, 4302, &p);
	dt_options_init(&o);
	o.host = "da.corp.example";
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	dt_analyze_mem(a, "scenario.etl", w.file.p, w.file.n);
	ck_assert_int_eq(dt_write_buffer(a, "text", DT_TEXT_EVENTS |
	    DT_TEXT_WIDTH(200), &out, &n), 0);
	row = strstr(out, ".008  windows       Microsoft-Windows-Iphlpsvc "
	    "4302: ErrorCode=0x80090326 IpHTTPSReasonCode=0x0\n");
	ck_assert_msg(row != NULL, "%s", out);
	/* after the ladder's last frame row, before the verdicts */
	last = strstr(out, " #6 ");
	ck_assert_ptr_nonnull(last);
	ck_assert(last < row);
	ck_assert_ptr_nonnull(strstr(row, "null-cipher-absent"));
	dt_buffer_free(out);
	/* HTML: the same event as a row of the ladder's SVG, after the
	   frame 6 row, with its words in its title and box */
	ck_assert_int_eq(dt_write_buffer(a, "html", 0, &out, &n), 0);
	row = strstr(out, "<g class=\"winevent\"><title>Windows event: "
	    "Microsoft-Windows-Iphlpsvc 4302: ErrorCode=0x80090326 "
	    "IpHTTPSReasonCode=0x0</title>");
	ck_assert_msg(row != NULL, "no winevent row");
	last = strstr(out, "data-frame=\"6\"");
	ck_assert_ptr_nonnull(last);
	ck_assert(last < row);
	ck_assert_ptr_nonnull(strstr(row, ">+1.008 s</text>"));
	ck_assert_ptr_nonnull(strstr(row, "fill=\"#3b2370\">Microsoft-Windows-"
	    "Iphlpsvc 4302: ErrorCode=0x80090326"));
	ck_assert(strstr(row, "</svg>") != NULL);
	dt_buffer_free(out);
	dt_analyzer_free(a);
	etlw_free(&w);
}
END_TEST

/* ---- real traces: every record decoded or counted ------------------------ */

struct tally {
	struct dt_events *ev;
	uint64_t with, without, laid_out, tl;
};

static void
on_record(void *payload, const struct dt_etw_event *e)
{
	struct tally *t = payload;

	if (e->provider != NULL) {
		t->with++;
		if (dt_etw_layout_find(e->provider, e->id, e->version) !=
		    NULL)
			t->laid_out++;
		else
			t->tl += e->tl_meta != NULL;
	} else
		t->without++;
	dt_events_record(t->ev, e);
}

/* Every record of the file reaches the events stage and is either
   decoded (its provider and id have a layout) or counted by provider. */
static void
every_record(const char *path, struct run *r, struct tally *t)
{
	struct dt_reader *rd;
	struct dt_packet p;
	char eb[256];
	uint64_t eo, sum;
	size_t i;

	memset(r, 0, sizeof *r);
	memset(t, 0, sizeof *t);
	dt_mem_init(&r->m, NULL, NULL, 256u << 20);
	r->cap.mem = &r->m;
	ck_assert_int_eq(dt_reader_open_file(&rd, &r->m, path, eb, sizeof eb,
	    &eo), 0);
	ck_assert_int_eq(dt_events_new(&t->ev, &r->cap), 0);
	r->ev = t->ev;
	dt_reader_set_warn(rd, on_warn, r);
	dt_reader_set_events(rd, on_record, t);
	while (dt_reader_next(rd, &p) == 0)
		;
	dt_reader_close(rd);
	ck_assert_int_eq(dt_events_finish(t->ev, &r->cap), 0);
	dt_events_free(t->ev);
	ck_assert_uint_eq(r->cap.system_records, t->without);
	for (sum = r->cap.events_untold, i = 0; i < r->cap.n_providers; i++)
		sum += r->cap.providers[i].events;
	ck_assert_uint_eq(sum, t->with);
	/* every laid-out event decoded; a TraceLogging one unless its
	   metadata is malformed (then a warning) */
	ck_assert_uint_ge(r->cap.winevents_decoded, t->laid_out);
	ck_assert_uint_le(r->cap.winevents_decoded, t->laid_out + t->tl);
	for (sum = 0, i = 0; i < r->cap.n_providers; i++)
		sum += r->cap.providers[i].decoded;
	if (r->cap.events_untold == 0)
		ck_assert_uint_eq(sum, r->cap.winevents_decoded);
	ck_assert_uint_ge(t->with + t->without, 1);
}

/*
 * A real public trace (testdata/etw/README.md): Microsoft's Tx sample of
 * an HTTP.sys server, events and no packets. Its 2041 HttpService events
 * are the count Tx's tests assert reading it through Windows' own ETW API
 * (which drops the header event: here the one system record). No layout
 * is known for HttpService: all counted, none decoded, no warning.
 */
START_TEST(test_public_trace)
{
	struct run r;
	struct tally t;

	every_record("testdata/etw/tx-HTTP_Server.etl", &r, &t);
	ck_assert_uint_eq(r.cap.n_providers, 1);
	ck_assert_str_eq(r.cap.providers[0].guid,
	    "{dd5ef90a-6398-47a4-ad34-4dcecdef795f}");
	ck_assert_str_eq(r.cap.providers[0].name,
	    "Microsoft-Windows-HttpService");
	ck_assert_uint_eq(r.cap.providers[0].events, 2041);
	ck_assert_uint_eq(r.cap.providers[0].ids, 12);
	ck_assert_uint_eq(r.cap.system_records, 1);
	ck_assert_uint_eq(r.cap.winevents_decoded, 0);
	ck_assert_uint_eq(r.cap.n_errors, 0);
	run_free(&r);
}
END_TEST

/*
 * Real TraceLogging events (testdata/etw/README.md): PerfView's test
 * traces, read by TraceEvent through Windows' ETW API, whose baseline
 * gives the values asserted here. primitive-types.etl: 5 events
 * PrimitiveTypesTest of provider solar_system, every scalar InType its
 * metadata names; SelfDescribingSingleEvent.etl: one .NET EventSource
 * event TestEvent whose one field is a struct of two strings.
 */
START_TEST(test_tracelogging_public)
{
	static const char *const planets[] = {
		"Mercury", "Venus", "Earth", "Mars", "Jupiter"
	};
	static const uint64_t u16s[] = { 51, 95, 65, 29, 69 };
	struct run r;
	struct tally t;
	const struct dt_winevent *d;
	size_t k;

	every_record("testdata/etw/perfview-primitive-types.etl", &r, &t);
	ck_assert_uint_eq(r.cap.n_providers, 1);
	ck_assert_str_eq(r.cap.providers[0].guid,
	    "{d3dd3dd4-aac2-4e2a-8dd4-a8fb61b77615}");
	ck_assert_str_eq(r.cap.providers[0].name, "solar_system");
	ck_assert_uint_eq(r.cap.providers[0].events, 5);
	ck_assert_uint_eq(r.cap.providers[0].decoded, 5);
	ck_assert_uint_eq(r.cap.winevents_decoded, 5);
	ck_assert_uint_eq(r.cap.n_errors, 0);
	for (k = 0; k < 5; k++) {
		d = nth(&r, k);
		ck_assert_str_eq(d->provider, "solar_system");
		ck_assert_str_eq(d->name, "PrimitiveTypesTest");
		ck_assert_uint_eq(d->n_fields, 12);
		ck_assert_int_eq(d->short_payload, 0);
		text_is(d, "string_type", "AnsiString", planets[k]);
		num_is(d, "uint16_type", "UInt16", u16s[k]);
		num_is(d, "uint32_type", "UInt32", 2 * u16s[k]);
		num_is(d, "uint64_type", "UInt64", 4 * u16s[k]);
		num_is(d, "int16_type", "Int16", (uint64_t)-(int64_t)u16s[k]);
		num_is(d, "int32_type", "Int32",
		    (uint64_t)-(int64_t)(2 * u16s[k]));
		/* typed UInt64 by its metadata (TraceEvent shows -4x) */
		num_is(d, "int64_type", "UInt64",
		    (uint64_t)-(int64_t)(4 * u16s[k]));
		num_is(d, "char_type", "UInt8", (uint8_t)planets[k][0]);
	}
	d = nth(&r, 0);
	num_is(d, "boolean_type", "Boolean", 0);
	num_is(nth(&r, 1), "boolean_type", "Boolean", 1);
	text_is(d, "guid_type", "GUID",
	    "{0ad614c4-0ef4-4225-8013-f44f37cb0397}");
	text_is(d, "file_time_type", "FILETIME",
	    "2021-09-09T14:59:35.7990000Z");
	text_is(d, "system_time_type", "SYSTEMTIME",
	    "2021-09-09T14:59:35.799Z");
	run_free(&r);

	every_record("testdata/etw/perfview-SelfDescribingSingleEvent.etl",
	    &r, &t);
	ck_assert_uint_eq(r.cap.n_providers, 1);
	ck_assert_str_eq(r.cap.providers[0].name, "MySource");
	ck_assert_uint_eq(r.cap.providers[0].decoded, 1);
	ck_assert_uint_eq(r.cap.system_records, 22);
	d = nth(&r, 0);
	ck_assert_str_eq(d->name, "TestEvent");
	ck_assert_uint_eq(d->id, 3);
	ck_assert_uint_eq(d->n_fields, 2);
	text_is(d, "a.b", "UnicodeString", "Hello");
	text_is(d, "a.c", "UnicodeString", "World!");
	ck_assert_uint_eq(r.cap.n_errors, 0);
	run_free(&r);
}
END_TEST

#define M(s) s, sizeof s - 1	/* metadata bytes, length */

/* A TraceLogging event with this metadata (Size set here) and payload. */
static void
tl_put(struct etlw *w, uint64_t t, const void *meta, size_t mlen,
    const void *user, size_t ulen)
{
	static const uint8_t traits[] = { 9, 0, 't', 'l', 't', 'e', 's',
	    't', 0 };
	uint8_t m[256];
	struct etlw_ext ext[2];

	ck_assert_uint_le(mlen + 2, sizeof m);
	memcpy(m + 2, meta, mlen);
	m[0] = (uint8_t)(mlen + 2);
	m[1] = 0;
	ext[0].type = 11;
	ext[0].data = m;
	ext[0].len = (uint16_t)(mlen + 2);
	ext[1].type = 12;
	ext[1].data = traits;
	ext[1].len = sizeof traits;
	etlw_event(w, etlw_guid_other, 0, 0, t, 7, user, ulen, ext, 2);
}

/* The file offset of the record whose metadata holds the event name nm
   (metadata starts at record + 0x50 + 8; Size u16 and one tag byte). */
static uint64_t
tl_offset(const struct etlw *w, const char *nm)
{
	size_t n = strlen(nm) + 1, i;

	for (i = 0; i + n <= w->file.n; i++)
		if (memcmp(w->file.p + i, nm, n) == 0)
			return i - 3 - 0x58;
	ck_abort_msg("no %s", nm);
	return 0;
}

/*
 * Malformed TraceLogging metadata (hand-built: no real trace has it):
 * each is one warning naming the record's offset and what is wrong; the
 * event is counted for its provider, not decoded; the file reads on. A
 * payload shorter than an array its metadata declares keeps the
 * elements before the end.
 */
START_TEST(test_tracelogging_malformed)
{
	static const struct {
		const char *meta;	/* after Size */
		size_t len;
		const char *why;
	} bad[] = {
		{ M("\0E1\0f\0\x08"), NULL },	/* the good one */
		{ M("\0E2\0f"), "field name without its NUL at byte 6" },
		{ M("\0E3\0f\0"), "field without its type at byte 8" },
		{ M("\0E4\0s\0\x98\x02x\0\x08"),
		    "struct s holds 2 fields but only 1 follow" },
		{ M("\0E5\0s\0\x98\x00"), "struct of no fields at byte 9" },
		{ M("\0E6\0f\0\x88\x80"), "field tags run on at byte 10" },
		{ M("\0E7\0f\0\x28\x01"), "count past the end at byte 9" },
	};
	static const uint8_t u32[] = { 0x2a, 0, 0, 0 };
	static const uint8_t arr[] = { 3, 0, 1, 0, 2, 0 };	/* 3 of 2 */
	struct etlw w;
	struct run r;
	const struct dt_winevent *d;
	char want[200], nm[4];
	size_t i;

	etlw_init(&w);
	etlw_header(&w, 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tl_put(&w, (i + 1) * MS, bad[i].meta, bad[i].len, u32,
		    sizeof u32);
	/* an array of UInt16 whose count (3) runs past the payload */
	tl_put(&w, 9 * MS, M("\0E8\0a\0\x46"), arr, sizeof arr);
	etlw_flush(&w, 0, 0, 0, 0);
	run_events(&r, &w);
	ck_assert_uint_eq(r.cap.n_providers, 1);
	ck_assert_str_eq(r.cap.providers[0].name, "tltest");
	ck_assert_uint_eq(r.cap.providers[0].events, 8);
	ck_assert_uint_eq(r.cap.providers[0].decoded, 2);
	ck_assert_uint_eq(r.cap.n_winevents, 2);
	d = nth(&r, 0);
	ck_assert_str_eq(d->name, "E1");
	ck_assert_str_eq(d->provider, "tltest");
	num_is(d, "f", "UInt32", 42);
	ck_assert_uint_eq(r.cap.n_errors, 7);
	for (i = 1; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(nm, sizeof nm, "E%zu", i + 1);
		snprintf(want, sizeof want, "TraceLogging event 0: metadata "
		    "malformed (%s%s); event counted, not decoded", bad[i].why,
		    strstr(bad[i].why, "byte") ? " of its metadata" : "");
		ck_assert_str_eq(r.cap.errors[i - 1].message, want);
		ck_assert_uint_eq(r.cap.errors[i - 1].offset,
		    tl_offset(&w, nm));
	}
	d = nth(&r, 1);
	ck_assert_str_eq(d->name, "E8");
	ck_assert_int_eq(d->short_payload, 1);
	ck_assert_uint_eq(d->n_fields, 2);
	num_is(d, "a[0]", "UInt16", 1);
	num_is(d, "a[1]", "UInt16", 2);
	ck_assert_uint_eq(r.cap.errors[6].offset, d->offset);
	ck_assert_str_eq(r.cap.errors[6].message, "TraceLogging event E8: "
	    "payload of 6 bytes ends before the fields its metadata names; "
	    "the fields before read");
	run_free(&r);
	etlw_free(&w);
}
END_TEST

/* Every .etl under testdata/ and ../shared/corpus/etl (skipped when the
   corpus is absent): each record decoded or counted, as above. */
START_TEST(test_every_etl)
{
	static const char *const patterns[] = {
		"testdata/*.etl", "testdata/*/*.etl", "testdata/*/*/*.etl",
		CORPUS_DIR "/*.etl", CORPUS_DIR "/*/*.etl",
	};
	struct run r;
	struct tally t;
	glob_t g;
	size_t i, k, seen = 0;

	for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		if (glob(patterns[i], 0, NULL, &g) != 0)
			continue;
		for (k = 0; k < g.gl_pathc; k++) {
			every_record(g.gl_pathv[k], &r, &t);
			run_free(&r);
			seen++;
		}
		globfree(&g);
	}
	ck_assert_uint_ge(seen, 1);	/* testdata/etw has one */
}
END_TEST

static Suite *
events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("events");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_decode_iphttps_providers);
	tcase_add_test(tc, test_short_and_unknown);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_public_trace);
	tcase_add_test(tc, test_every_etl);
	tcase_add_loop_test(tc, test_event_links, 0,
	    (int)(sizeof link_cases / sizeof link_cases[0]));
	tcase_add_loop_test(tc, test_event_linked_by_answer, 0,
	    (int)(sizeof resolved_cases / sizeof resolved_cases[0]));
	tcase_add_test(tc, test_tracelogging_public);
	tcase_add_test(tc, test_tracelogging_malformed);
	tcase_add_test(tc, test_events_alone);
	tcase_add_test(tc, test_events_in_ladder);
	tcase_add_loop_test(tc, test_confirm_contradict, 0,
	    2 * (int)(sizeof weigh_cases / sizeof weigh_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(events_suite)
