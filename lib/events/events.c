/*
 * The events stage: every record of an ETL file counted by provider and
 * event id (events.h). A fixed open-addressing table of providers keyed
 * by GUID, allocated on the first record; per provider a small bitmap of
 * the event ids seen (ids are 16-bit), so the summary can say how many
 * kinds of event a provider wrote. Names come from the generated table
 * (providers.c), found by binary search. An event whose layout is known
 * (layouts.c) is decoded (decode.c) and appended to the capture's events
 * while fewer than DT_EVENTS_KEPT are kept.
 */
#include "events/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datrace.h"

#define SLOTS	(2 * DT_EVENTS_MAX_PROVIDERS)	/* a power of two */

struct slot {
	uint8_t guid[16];
	int used;
	uint64_t events;
	uint64_t decoded;
	uint8_t *ids;			/* 8 KiB bitmap, or NULL */
	uint32_t n_ids;
	char tl_name[64];		/* TraceLogging's own name, or "" */
};

struct dt_events {
	struct dt_mem *m;
	struct dt_capture *cap;
	struct dt_winevent *tail;		/* of cap->events */
	uint64_t short_payloads, tl_malformed;
	struct slot *slots;		/* SLOTS, or NULL before any event */
	size_t n_used;
	uint64_t system, untold;
	int nomem;
};

const char *
dt_etw_provider_name(const uint8_t guid[16])
{
	size_t lo = 0, hi = dt_etw_n_providers, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(guid, dt_etw_providers[mid].guid, 16);
		if (c == 0)
			return dt_etw_providers[mid].name;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int
dt_events_new(struct dt_events **out, struct dt_capture *cap)
{
	*out = dt_calloc(cap->mem, 1, sizeof **out);
	if (*out == NULL)
		return DT_ENOMEM;
	(*out)->m = cap->mem;
	(*out)->cap = cap;
	return 0;
}

/* Keeps d at the end of the capture's events while fewer than
   DT_EVENTS_KEPT are kept; else frees it. */
static void
keep(struct dt_events *ev, struct dt_winevent *d)
{
	struct dt_capture *cap = ev->cap;

	cap->winevents_decoded++;
	if (cap->n_winevents >= DT_EVENTS_KEPT) {
		dt_free(ev->m, d);
		return;
	}
	if (ev->tail != NULL)
		ev->tail->next = d;
	else
		cap->winevents = d;
	ev->tail = d;
	cap->n_winevents++;
}

/* A TraceLogging event by its own metadata; malformed metadata is told
   (the first DT_EVENTS_WARN_MAX) and the event only counted. 1: decoded. */
static int
decode_tl(struct dt_events *ev, const struct dt_etw_event *e)
{
	struct dt_winevent *d;
	char why[96];
	int rc;

	rc = dt_tl_decode(ev->m, e, &d, why, sizeof why);
	if (rc == DT_ENOMEM) {
		ev->nomem = 1;
		return 0;
	}
	if (rc != 0) {
		if (++ev->tl_malformed <= DT_EVENTS_WARN_MAX)
			dt_capture_add_error(ev->cap, e->offset, "TraceLogging "
			    "event %u: metadata malformed (%s); event counted, "
			    "not decoded", e->id, why);
		return 0;
	}
	if (d->short_payload && ++ev->short_payloads <= DT_EVENTS_WARN_MAX)
		dt_capture_add_error(ev->cap, e->offset, "TraceLogging event "
		    "%s: payload of %zu bytes ends before the fields its "
		    "metadata names; the fields before read", d->name != NULL ?
		    d->name : "(unnamed)", e->len);
	keep(ev, d);
	return 1;
}

/* The event decoded by its layout, or its TraceLogging metadata; a
   payload shorter than the layout is told (the first DT_EVENTS_WARN_MAX).
   1: decoded. */
static int
decode(struct dt_events *ev, const struct dt_etw_event *e)
{
	const struct dt_etw_layout *l;
	struct dt_winevent *d;
	int short_field;

	l = dt_etw_layout_find(e->provider, e->id, e->version);
	if (l == NULL)
		return e->tl_meta != NULL ? decode_tl(ev, e) : 0;
	if ((d = dt_event_decode(ev->m, l, e, &short_field)) == NULL) {
		ev->nomem = 1;
		return 0;
	}
	keep(ev, d);
	if (short_field >= 0 && ++ev->short_payloads <= DT_EVENTS_WARN_MAX)
		dt_capture_add_error(ev->cap, e->offset, "%s event %u: payload "
		    "of %zu bytes ends before field %s of its layout; the "
		    "fields before it read", l->provider, e->id, e->len,
		    dt_etw_fields[l->first + short_field].name);
	return 1;
}

static struct slot *
slot_of(struct dt_events *ev, const uint8_t guid[16])
{
	uint64_t h = 0;
	size_t i, k;

	for (k = 0; k < 16; k++)
		h = (h ^ guid[k]) * UINT64_C(0x100000001b3);
	for (i = (size_t)h & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
		if (!ev->slots[i].used) {
			if (ev->n_used >= DT_EVENTS_MAX_PROVIDERS)
				return NULL;
			ev->slots[i].used = 1;
			memcpy(ev->slots[i].guid, guid, 16);
			ev->n_used++;
			return &ev->slots[i];
		}
		if (memcmp(ev->slots[i].guid, guid, 16) == 0)
			return &ev->slots[i];
	}
}

void
dt_events_record(void *payload, const struct dt_etw_event *e)
{
	struct dt_events *ev = payload;
	struct slot *s;
	int dec;

	if (e->provider == NULL) {
		ev->system++;
		return;
	}
	dec = decode(ev, e);
	if (ev->slots == NULL && !ev->nomem) {
		ev->slots = dt_calloc(ev->m, SLOTS, sizeof *ev->slots);
		ev->nomem = ev->slots == NULL;
	}
	if (ev->slots == NULL || (s = slot_of(ev, e->provider)) == NULL) {
		ev->untold++;
		return;
	}
	s->events++;
	s->decoded += (uint64_t)dec;
	if (s->tl_name[0] == '\0' && e->tl_traits != NULL)
		(void)dt_tl_provider_name(e, s->tl_name, sizeof s->tl_name);
	if (s->ids == NULL && (s->ids = dt_calloc(ev->m, 65536 / 8, 1)) ==
	    NULL)
		return;
	if (!(s->ids[e->id >> 3] & (1u << (e->id & 7)))) {
		s->ids[e->id >> 3] |= (uint8_t)(1u << (e->id & 7));
		s->n_ids++;
	}
}

static int
by_count(const void *a, const void *b)
{
	const struct dt_event_provider *x = a, *y = b;

	if (x->events != y->events)
		return x->events > y->events ? -1 : 1;
	return strcmp(x->guid, y->guid);
}

int
dt_events_finish(struct dt_events *ev, struct dt_capture *cap)
{
	struct dt_event_provider *p;
	char (*names)[64];
	size_t i, n = 0;

	cap->system_records = ev->system;
	cap->events_untold = ev->untold;
	if (ev->short_payloads > DT_EVENTS_WARN_MAX)
		dt_capture_add_error(cap, 0, "%llu more events with a payload "
		    "shorter than their layout", (unsigned long long)
		    (ev->short_payloads - DT_EVENTS_WARN_MAX));
	if (ev->tl_malformed > DT_EVENTS_WARN_MAX)
		dt_capture_add_error(cap, 0, "%llu more TraceLogging events "
		    "with malformed metadata", (unsigned long long)
		    (ev->tl_malformed - DT_EVENTS_WARN_MAX));
	if (ev->n_used == 0)
		return ev->nomem ? DT_ENOMEM : 0;
	/* the array, then the TraceLogging names: one allocation */
	p = dt_calloc(cap->mem, ev->n_used, sizeof *p + sizeof names[0]);
	if (p == NULL)
		return DT_ENOMEM;
	names = (char (*)[64])(void *)(p + ev->n_used);
	for (i = 0; i < SLOTS; i++) {
		if (!ev->slots[i].used)
			continue;
		dt_etw_guid_text(p[n].guid, ev->slots[i].guid);
		p[n].name = dt_etw_provider_name(ev->slots[i].guid);
		if (p[n].name == NULL && ev->slots[i].tl_name[0] != '\0') {
			memcpy(names[n], ev->slots[i].tl_name, 64);
			p[n].name = names[n];
		}
		p[n].decoded = ev->slots[i].decoded;
		p[n].events = ev->slots[i].events;
		p[n].ids = ev->slots[i].n_ids;
		n++;
	}
	qsort(p, n, sizeof *p, by_count);
	cap->providers = p;
	cap->n_providers = n;
	return 0;
}

void
dt_events_free(struct dt_events *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; ev->slots != NULL && i < SLOTS; i++)
		dt_free(ev->m, ev->slots[i].ids);
	dt_free(ev->m, ev->slots);
	dt_free(ev->m, ev);
}
