/*
 * The "events" list of a capture (an .etl with Windows' own events of a
 * known layout, events/): each decoded event with its provider, id,
 * version, time, record offset, process and thread, and its fields by
 * their manifest names. Field values: integers as numbers (UInt64 past
 * 2^63 as a decimal string), HexInt32/HexInt64/Pointer as "0x..." strings,
 * Boolean as true/false, everything else (strings, GUID, SID, times,
 * socket addresses, binary as hex) as a string. The list is written one
 * event at a time (json.c fills its hole).
 */
#include "report/json_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static json_t *
jfield(struct jb *b, const struct dt_winevent_field *f)
{
	char t[24];

	if (!f->is_num)
		return jb_str(b, f->text);
	if (strcmp(f->type, "Boolean") == 0)
		return json_boolean(f->u != 0);
	if (f->is_hex) {
		snprintf(t, sizeof t, strcmp(f->type, "HexInt32") == 0 ?
		    "0x%08" PRIX64 : "0x%016" PRIX64, f->u);
		return json_string(t);
	}
	if (f->is_signed)
		return json_integer((json_int_t)(int64_t)f->u);
	if (f->u > INT64_MAX) {
		snprintf(t, sizeof t, "%" PRIu64, f->u);
		return json_string(t);
	}
	return jb_int(f->u);
}

json_t *
jb_winevent(struct jb *b, const struct dt_winevent *e)
{
	json_t *o = json_object(), *f = json_object();
	size_t i;

	jb_set(b, o, "time", e->has_time ? jb_time(e->time) : json_null());
	jb_set(b, o, "provider", json_string(e->provider));
	jb_set(b, o, "id", jb_int(e->id));
	jb_set(b, o, "version", jb_int(e->version));
	jb_set(b, o, "name", jb_str(b, e->name));
	jb_set(b, o, "level", jb_int(e->level));
	jb_set(b, o, "pid", jb_int(e->pid));
	jb_set(b, o, "tid", jb_int(e->tid));
	jb_set(b, o, "offset", jb_int(e->offset));
	for (i = 0; i < e->n_fields; i++)
		jb_set(b, f, e->fields[i].name, jfield(b, &e->fields[i]));
	jb_set(b, o, "fields", f);
	jb_set(b, o, "short_payload", json_boolean(e->short_payload));
	return o;
}

void
jb_winevents(struct jb *b, json_t *o, const struct dt_capture *cap)
{
	if (cap->winevents_decoded == 0)
		return;
	jb_set(b, o, "events", json_string(HOLE));
	jb_set(b, o, "events_not_kept",
	    jb_int(cap->winevents_decoded - cap->n_winevents));
}
