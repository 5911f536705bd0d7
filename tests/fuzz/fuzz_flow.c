/*
 * Fuzz harness for the flow stage (lib/flow/flow.c): the input is a script
 * of segments between a few endpoints, each record
 *   u8 op (bits 0-5 TCP flags, bit 6 direction, bit 7 UDP/53)
 *   u8 conn (which of 4 port pairs: 443, 53, 8080, 443 over IPv6),
 *   u32 seq, u32 ack, u16 window,
 *   u8 length, u8 cut (bytes snaplen removed), u8 time step (ms), payload
 * fed through dt_flow_packet() with a small stream budget, a short idle
 * timeout and a memory cap, to a sink that checks the contract: bytes in
 * order per direction, end() once, nothing after end(). At the end every
 * allocation must have been returned.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "util/rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct app {
	int ended;
	uint64_t bytes[2];
};

struct ctx {
	struct dt_mem *m;
	unsigned live_apps;
};

static struct app *
app_of(struct ctx *x, void **app)
{
	if (*app == NULL) {
		*app = calloc(1, sizeof(struct app));
		if (*app == NULL)
			abort();
		x->live_apps++;
	}
	return *app;
}

static int
s_data(void *payload, struct dt_conn *c, void **app, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time)
{
	struct app *a = app_of(payload, app);

	if (a->ended || n == 0 || (dir != 0 && dir != 1))
		abort();
	a->bytes[dir] += n;
	return a->bytes[dir] < 3000;
}

static int
s_gap(void *payload, struct dt_conn *c, void **app, int dir, uint64_t n,
    uint64_t frame)
{
	struct app *a = app_of(payload, app);

	if (a->ended || n == 0)
		abort();
	return 1;
}

static void
s_end(void *payload, struct dt_conn *c, void **app)
{
	struct ctx *x = payload;
	struct app *a = app_of(x, app);

	if (a->ended)
		abort();
	free(a);
	*app = NULL;
	x->live_apps--;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 443, 8080, 0 };
	struct dt_flow_config cfg = { ports, 512, 5 * (int64_t)1000000000 };
	struct ctx x;
	struct dt_flow_sink sink = { .name = "test", .data = s_data,
	    .gap = s_gap, .end = s_end };
	struct dt_mem m;
	struct dt_capture *cap;
	struct dt_flow *f;
	struct dt_packet pkt;
	struct dt_l4 l4;
	struct rd r = rd_make(data, size);
	int64_t now = 1700000000 * (int64_t)1000000000;

	dt_mem_init(&m, NULL, NULL, 1 << 20);
	memset(&x, 0, sizeof x);
	x.m = &m;
	cap = dt_calloc(&m, 1, sizeof *cap);
	if (cap == NULL)
		return 0;
	cap->mem = &m;
	if (dt_flow_new(&f, cap, &cfg) != 0 ||
	    dt_flow_add_sink(f, &dt_http_sink, NULL) != 0 ||
	    dt_flow_add_sink(f, &dt_dns_sink, NULL) != 0 ||
	    dt_flow_add_sink(f, &sink, &x) != 0)
		abort();
	memset(&pkt, 0, sizeof pkt);
	while (r.n >= 15) {
		uint8_t op = rd_u8(&r), conn = rd_u8(&r) & 3, len, cut;

		memset(&l4, 0, sizeof l4);
		l4.seq = rd_u32(&r);
		l4.ack = rd_u32(&r);
		l4.window = rd_u16(&r);
		len = rd_u8(&r);
		cut = rd_u8(&r);
		now += (int64_t)rd_u8(&r) * 1000000;
		if (len > r.n)
			len = (uint8_t)r.n;
		l4.payload = rd_bytes(&r, len);
		l4.paylen = len;
		l4.caplen = cut < len ? (uint32_t)(len - cut) : 0;
		l4.src.family = l4.dst.family = conn == 3 ? 6 : 4;
		l4.src.a[0] = 10;
		l4.dst.a[0] = 10;
		l4.dst.a[3] = 1;
		l4.sport = (uint16_t)(50000 + conn);
		l4.dport = conn == 2 ? 8080 : conn == 1 ? 53 : 443;
		if (op & 0x40) {
			struct dt_addr t = l4.src;
			uint16_t tp = l4.sport;
			l4.src = l4.dst;
			l4.dst = t;
			l4.sport = l4.dport;
			l4.dport = tp;
		}
		if (op & 0x80) {
			l4.status = DT_L4_UDP;
			l4.proto = 17;
			if (op & 0x40)
				l4.sport = 53;
			else
				l4.dport = 53;
		} else {
			l4.status = DT_L4_TCP;
			l4.proto = 6;
			l4.flags = op & 0x3f;
		}
		l4.ttl = 64;
		pkt.frame++;
		pkt.time = now;
		dt_flow_packet(f, &pkt, &l4);
		if (dt_flow_buffered(f) > 4 * 512 + 4 * 2 * DT_HTTP_HEAD_MAX)
			abort();
	}
	dt_flow_finish(f);
	if (dt_flow_live(f) != 0 || dt_flow_buffered(f) != 0 ||
	    x.live_apps != 0)
		abort();
	dt_flow_free(f);
	dt_capture_free(cap);
	if (m.used != 0)
		abort();
	return 0;
}
