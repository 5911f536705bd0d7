/*
 * The "events" list of a capture (an .etl with Windows' own events of a
 * known layout, events/): each decoded event with its provider, id,
 * version, time, record offset, process and thread, and its fields by
 * their manifest names. Field values: integers as numbers (UInt64 past
 * 2^63 as a decimal string), HexInt32/HexInt64/Pointer as "0x..." strings,
 * Boolean as true/false, everything else (strings, GUID, SID, times,
 * socket addresses, binary as hex) as a string. The list is written one
 * event at a time.
 */
#include "report/json_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void
jfield(struct jw *w, const struct dt_winevent_field *f)
{
	char t[24];

	if (!f->is_num) {
		jw_wire(w, f->name, f->text);
	} else if (strcmp(f->type, "Boolean") == 0) {
		jw_bool(w, f->name, f->u != 0);
	} else if (f->is_hex) {
		snprintf(t, sizeof t, strcmp(f->type, "HexInt32") == 0 ?
		    "0x%08" PRIX64 : "0x%016" PRIX64, f->u);
		jw_str(w, f->name, t);
	} else if (f->is_signed) {
		jw_int(w, f->name, (int64_t)f->u);
	} else if (f->u > INT64_MAX) {
		snprintf(t, sizeof t, "%" PRIu64, f->u);
		jw_str(w, f->name, t);
	} else {
		jw_uint(w, f->name, f->u);
	}
}

/*
 * The fields by name. A name given twice keeps its first place and takes
 * its last value, as a JSON object (and jansson's) does; an event has a
 * handful of fields, so the search is short.
 */
static void
jfields(struct jw *w, const struct dt_winevent *e)
{
	size_t i, j, last;

	jw_obj(w, "fields");
	w->data_keys = 1;	/* the manifests' names */
	for (i = 0; i < e->n_fields; i++) {
		if (e->fields[i].name == NULL) {
			if (w->err == 0)
				w->err = DT_ENOMEM;	/* jansson refused it */
			break;
		}
		for (j = 0; j < i; j++)
			if (strcmp(e->fields[j].name, e->fields[i].name) == 0)
				break;
		if (j < i)
			continue;	/* written at its first place */
		last = i;
		for (j = i + 1; j < e->n_fields; j++)
			if (e->fields[j].name != NULL &&
			    strcmp(e->fields[j].name, e->fields[i].name) == 0)
				last = j;
		jfield(w, &e->fields[last]);
	}
	w->data_keys = 0;
	jw_end(w);
}

static void
jwinevent(struct jw *w, const struct dt_winevent *e)
{
	jw_obj(w, NULL);
	if (e->has_time)
		jw_time(w, "time", e->time);
	else
		jw_null(w, "time");
	jw_str(w, "provider", e->provider);
	jw_uint(w, "id", e->id);
	jw_uint(w, "version", e->version);
	jw_wire(w, "name", e->name);
	jw_uint(w, "level", e->level);
	jw_uint(w, "pid", e->pid);
	jw_uint(w, "tid", e->tid);
	jw_uint(w, "offset", e->offset);
	jfields(w, e);
	jw_bool(w, "short_payload", e->short_payload);
	jw_end(w);
}

void
jw_winevents(struct jw *w, const struct dt_capture *cap)
{
	const struct dt_winevent *e;

	if (cap->winevents_decoded == 0)
		return;
	jw_arr(w, "events");
	for (e = cap->winevents; e != NULL && w->err == 0; e = e->next)
		jwinevent(w, e);
	jw_end(w);
	jw_uint(w, "events_not_kept", cap->winevents_decoded -
	    cap->n_winevents);
}
