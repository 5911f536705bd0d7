/*
 * Fuzz harness for tls/ (the TLS stream parser, RFC 5246 / RFC 8446).
 *
 * Input: one byte of split seed and flags, then segments, each a 2-byte
 * header (top bit: direction, 1 = server to client; low 15 bits: length,
 * 0 = a gap of 100 bytes) and its bytes; segment k has frame k + 1.
 * The script is fed twice, whole segments and segments cut into chunks
 * whose sizes come from the seed, and the facts must agree. Invariants:
 * no crash, no leak (the dt_mem count returns to 0), the parser never
 * holds more than its caps, same facts (and the same timeline, event by
 * event) split or not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HELD(cap)	(2 * (32769 + (cap) + 16384))

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_tls: invariant broken: %s\n", what);
		abort();
	}
}

static void
facts(char *out, size_t n, const struct dt_conn *c)
{
	const struct dt_tls_facts *f = c->tls;
	size_t i;

	snprintf(out, n, "%d %llu %llu %04X %04X %u %u %llu %u %u %s %s "
	    "%llu %llu %llu %llu %llu %d %u %u %d %d %s %s %d %u %u %llu",
	    f->seen, (unsigned long long)f->ch_frame,
	    (unsigned long long)f->sh_frame, f->version, f->suite,
	    dt_tls_hello(f)->n_offered_suites, f->n_server_certs,
	    (unsigned long long)f->alert_frame, f->alert_desc, f->n_alerts,
	    dt_tls_rare(f)->malformed ? dt_tls_rare(f)->malformed : "-",
	    dt_tls_rare(f)->non_tls_line ? dt_tls_rare(f)->non_tls_line : "-",
	    (unsigned long long)f->finished_frame[0],
	    (unsigned long long)f->finished_frame[1],
	    (unsigned long long)f->appdata_records[0],
	    (unsigned long long)f->appdata_records[1],
	    (unsigned long long)dt_tls_rare(f)->cert_request_frame, f->client_cert,
	    dt_tls_rare(f)->n_ca_names, dt_tls_hello(f)->n_extensions, f->hrr, dt_tls_rare(f)->truncated,
	    f->sni ? f->sni : "-",
	    dt_tls_http(f)->request.line ? dt_tls_http(f)->request.line : "-",
	    f->resumed, c->n_events, f->preamble,
	    (unsigned long long)dt_tls_rare(f)->preamble_frame);
	/* and the timeline itself, event by event */
	for (i = 0; i < c->n_events; i++) {
		const struct dt_event *e = &c->events[i];
		size_t k = strlen(out);

		if (k + 1 >= n)
			break;
		snprintf(out + k, n - k, " %u/%u/%llu/%u/%lu", e->type, e->dir,
		    (unsigned long long)dt_ev_frame(c, e), e->a, (unsigned long)e->b);
	}
}

static void
feed(const uint8_t *data, size_t size, int split, char *out, size_t outn)
{
	struct dt_mem m;
	struct dt_conn c;
	struct dt_tls_facts tf;
	struct dt_tls_config cfg = { 0, NULL, NULL, NULL, NULL, NULL };
	struct dt_tls *t;
	uint8_t seed = data[0];
	size_t pos = 1, held_max;
	uint64_t frame = 0;
	unsigned k = seed;

	cfg.hs_cap = (seed & 0x80) ? 4096 : 0;
	held_max = MAX_HELD(cfg.hs_cap ? cfg.hs_cap : 256 * 1024);
	dt_mem_init(&m, NULL, NULL, 0);
	memset(&c, 0, sizeof c);
	memset(&tf, 0, sizeof tf);
	c.tls = &tf;
	t = dt_tls_new(&m, &cfg);
	if (t == NULL)
		return;
	while (pos + 2 <= size) {
		int dir = data[pos] >> 7;
		size_t len = (size_t)(data[pos] & 0x7F) << 8 | data[pos + 1];
		int64_t time = (int64_t)(frame + 1) * 1000000;

		pos += 2;
		frame++;
		if (len == 0) {
			dt_tls_gap(t, &c, dir, 100, frame);
			continue;
		}
		if (len > size - pos)
			len = size - pos;
		if (!split) {
			(void)dt_tls_data(t, &c, dir, data + pos, len, frame,
			    time);
		} else {
			size_t off = 0;

			while (off < len) {
				size_t chunk = 1 + (k % 13);

				k = k * 1103515245u + 12345u;
				if (chunk > len - off)
					chunk = len - off;
				(void)dt_tls_data(t, &c, dir, data + pos + off,
				    chunk, frame, time);
				off += chunk;
				check(dt_tls_buffered(t) <= held_max,
				    "buffered under the caps");
			}
		}
		check(dt_tls_buffered(t) <= held_max, "buffered under the caps");
		pos += len;
	}
	dt_tls_end(t, &c);
	dt_tls_free(&m, t);
	facts(out, outn, &c);
	dt_tls_facts_clear(&m, c.tls);
	dt_conn_timeline_free(&m, &c);
	check(m.used == 0, "no leak");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[16384], b[16384];

	if (size < 1)
		return 0;
	feed(data, size, 0, a, sizeof a);
	feed(data, size, 1, b, sizeof b);
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "whole: %s\nsplit: %s\n", a, b);
		check(0, "same facts split or not");
	}
	return 0;
}
