/*
 * Fuzz target for events/: any bytes through the ETL reader with the
 * events stage listening, as the analyzer runs it. Every record handed
 * over has a readable payload of its stated length (a sanitizer sees any
 * read past it) and a 16-byte provider GUID when it has one; the summary
 * accounts for every record (the providers' counts plus those past the
 * table's cap equal the records with a provider, the system records the
 * rest), lists providers most events first, names them as the generated
 * table does, and all memory comes back. Typed decoding: every event of a
 * provider and id with a layout is decoded (events_decoded counts them
 * all), at most DT_EVENTS_KEPT are kept, each with at most its layout's
 * fields (plus CAPI2's Result); a TraceLogging event (by its own
 * metadata, tracelogging.c) is decoded unless that metadata is malformed;
 * every name and text valid UTF-8 within DT_EVENT_TEXT_MAX (and its cut
 * mark). Seeds in corpus/events: small
 * writer-made ETL files from corpus/etl, and the IP-HTTPS provider events
 * of tests/test_events.c.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/capture.h"
#include "datrace.h"
#include "events/events.h"
#include "util/mem.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
	struct dt_events *ev;
	uint64_t with, without, laid_out, tl;
	volatile uint8_t sink;
};

static void
on_event(void *payload, const struct dt_etw_event *e)
{
	struct tally *t = payload;
	size_t i;

	if (e->provider != NULL) {
		t->with++;
		for (i = 0; i < 16; i++)
			t->sink ^= e->provider[i];
	} else {
		t->without++;
	}
	for (i = 0; i < e->len; i++)
		t->sink ^= e->data[i];
	if (e->provider != NULL &&
	    dt_etw_layout_find(e->provider, e->id, e->version) != NULL)
		t->laid_out++;
	else if (e->provider != NULL && e->tl_meta != NULL)
		t->tl++;		/* decoded unless malformed */
	dt_events_record(t->ev, e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	struct dt_capture cap;
	struct dt_winevent *d;
	struct tally t;
	char eb[256];
	uint64_t eo, sum;
	size_t i;

	dt_mem_init(&m, NULL, NULL, 256u << 20);
	memset(&t, 0, sizeof t);
	memset(&cap, 0, sizeof cap);
	cap.mem = &m;
	if (dt_reader_open_mem(&r, &m, data, size, eb, sizeof eb, &eo) != 0)
		return 0;
	if (dt_events_new(&t.ev, &cap) != 0) {
		dt_reader_close(r);
		return 0;
	}
	dt_reader_set_events(r, on_event, &t);
	while (dt_reader_next(r, &p) == 0)
		;
	dt_reader_close(r);
	assert(cap.winevents_decoded >= t.laid_out &&
	    cap.winevents_decoded <= t.laid_out + t.tl);
	assert(cap.n_winevents <= DT_EVENTS_KEPT &&
	    cap.n_winevents <= cap.winevents_decoded);
	for (sum = 0, d = cap.winevents; d != NULL; d = d->next, sum++) {
		assert(d->n_fields <= DT_EVENT_FIELDS_MAX + 1);
		for (i = 0; i < d->n_fields; i++) {
			assert(d->fields[i].name != NULL);
			assert(dt_utf8_valid(d->fields[i].name));
			assert(d->fields[i].type != NULL);
			if (d->fields[i].text == NULL)
				continue;
			assert(dt_utf8_valid(d->fields[i].text));
			assert(strlen(d->fields[i].text) <=
			    DT_EVENT_TEXT_MAX + 3);
		}
	}
	assert(sum == cap.n_winevents);
	if (dt_events_finish(t.ev, &cap) == 0) {
		assert(cap.system_records == t.without);
		for (sum = cap.events_untold, i = 0; i < cap.n_providers; i++) {
			sum += cap.providers[i].events;
			assert(cap.providers[i].events > 0);
			assert(cap.providers[i].ids >= 1);
			assert(i == 0 || cap.providers[i - 1].events >=
			    cap.providers[i].events);
			assert(strlen(cap.providers[i].guid) == 38);
		}
		assert(sum == t.with);
	}
	dt_events_free(t.ev);
	dt_free(&m, cap.providers);
	while ((d = cap.winevents) != NULL) {
		cap.winevents = d->next;
		dt_free(&m, d);
	}
	for (i = 0; i < cap.n_errors; i++)
		dt_free(&m, cap.errors[i].message);
	dt_free(&m, cap.errors);
	assert(m.used == 0);
	return 0;
}
