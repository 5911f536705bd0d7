/*
 * Fuzz target for events/tracelogging.c: a TraceLogging event's own
 * metadata and its payload, as the ETL reader hands them over. Input:
 * u16 little-endian metadata length k, then k bytes of EVENT_SCHEMA_TL
 * metadata, then the payload; the same bytes again serve as the
 * provider's traits. Whatever the bytes: 0 with an event, DT_EFORMAT
 * with a reason, or DT_ENOMEM; a decoded event has at most
 * DT_EVENT_FIELDS_MAX fields, every name and text valid UTF-8 (texts
 * within DT_EVENT_TEXT_MAX and the cut mark), and all memory comes back.
 * Seeds in corpus/tl: the metadata and payload of the real events of
 * testdata/etw/perfview-*.etl, and malformed metadata of
 * tests/test_events.c.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t guid[16] = { 1 };
	struct dt_mem m;
	struct dt_etw_event e;
	struct dt_winevent *d;
	char why[96], name[64];
	size_t k, i;
	int rc;

	if (size < 2)
		return 0;
	k = (size_t)data[0] | (size_t)data[1] << 8;
	if (k > size - 2)
		k = size - 2;
	memset(&e, 0, sizeof e);
	e.provider = guid;
	e.header_type = 0x13;
	e.tl_meta = data + 2;
	e.tl_meta_len = k;
	e.tl_traits = data + 2;
	e.tl_traits_len = k;
	e.data = data + 2 + k;
	e.len = size - 2 - k;
	dt_mem_init(&m, NULL, NULL, 64u << 20);
	why[0] = '\0';
	rc = dt_tl_decode(&m, &e, &d, why, sizeof why);
	assert(rc == 0 || rc == DT_EFORMAT || rc == DT_ENOMEM);
	if (rc == DT_EFORMAT)
		assert(d == NULL && why[0] != '\0');
	if (rc == 0) {
		assert(d != NULL && d->provider != NULL);
		assert(dt_utf8_valid(d->provider));
		assert(d->name == NULL || dt_utf8_valid(d->name));
		assert(d->n_fields <= DT_EVENT_FIELDS_MAX);
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
		dt_free(&m, d);
	}
	if (dt_tl_provider_name(&e, name, sizeof name) == 0)
		assert(strlen(name) < sizeof name);
	assert(m.used == 0);
	return 0;
}
