/*
 * events/: what Windows wrote beside the packets. The ETL reader hands
 * every record it walks to this stage (capture.h: struct dt_etw_event);
 * here each is counted by provider GUID and event id, named from the
 * provider table generated from the public manifests (providers.c), and
 * the per-provider summary goes into the capture's facts when reading
 * ends. Unknown providers are counted by GUID, never an error; kernel and
 * system records (no provider GUID) are counted apart. Memory is bounded:
 * at most DT_EVENTS_MAX_PROVIDERS distinct providers are told apart, the
 * rest are counted together.
 *
 * Events of the providers whose layouts the manifests give (layouts.c,
 * generated) are decoded into typed fields (decode.c) and kept for the
 * outputs and the rules, at most DT_EVENTS_KEPT of them; the rest are
 * counted. A payload shorter than its layout is a warning naming the
 * record's offset; its fields up to the end are kept.
 */
#ifndef DT_EVENTS_H
#define DT_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "events/decode.h"
#include "facts/facts.h"

#define DT_EVENTS_MAX_PROVIDERS 1024
#define DT_EVENTS_KEPT		2000	/* decoded events kept for output */
#define DT_EVENTS_WARN_MAX	16	/* short-payload warnings told */

/* providers.c (generated) */
struct dt_etw_provider {
	uint8_t guid[16];		/* as stored in an ETL file */
	const char *name;
};
extern const struct dt_etw_provider dt_etw_providers[];
extern const size_t dt_etw_n_providers;

/* The provider's name, or NULL when the table does not know it. */
const char *dt_etw_provider_name(const uint8_t guid[16]);

struct dt_events;

/* Decoded events and short-payload warnings go into cap as they come
   (memory from cap->mem). */
int dt_events_new(struct dt_events **out, struct dt_capture *cap);
/* The reader's callback (dt_reader_event_fn): payload is the dt_events. */
void dt_events_record(void *payload, const struct dt_etw_event *ev);
/* The summary into cap (providers by count, then name); 0 or DT_ENOMEM. */
int dt_events_finish(struct dt_events *ev, struct dt_capture *cap);
void dt_events_free(struct dt_events *ev);

#endif
