/*
 * The decoding half of events/: an event's payload into typed fields, by
 * the layout the manifests give (decode.c, layouts.c) or by the metadata a
 * TraceLogging event carries (tracelogging.c). A leaf below events.c, which
 * counts, keeps and summarises what these decode.
 */
#ifndef DT_EVENTS_DECODE_H
#define DT_EVENTS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "facts/facts.h"

#define DT_EVENT_FIELDS_MAX	48	/* fields decoded of one event */

/* Manifest inTypes (layouts.c) */
enum dt_etw_type {
	DT_ETW_USTR = 1, DT_ETW_ASTR, DT_ETW_I8, DT_ETW_U8, DT_ETW_I16,
	DT_ETW_U16, DT_ETW_I32, DT_ETW_U32, DT_ETW_HEX32, DT_ETW_BOOL,
	DT_ETW_I64, DT_ETW_U64, DT_ETW_HEX64, DT_ETW_PTR, DT_ETW_GUID,
	DT_ETW_FILETIME, DT_ETW_SYSTEMTIME, DT_ETW_SID, DT_ETW_BINARY,
	DT_ETW_DOUBLE, DT_ETW_FLOAT
};

/* One field of a layout: len_kind 0 natural size (strings to their NUL),
   1 fixed len (bytes, or characters for strings), 2 the value of field
   number len of the same event. */
struct dt_etw_field_def {
	const char *name;
	uint8_t type;			/* enum dt_etw_type */
	uint8_t len_kind;
	uint16_t len;
};

struct dt_etw_layout {
	uint8_t guid[16];
	uint16_t id;
	uint8_t version;
	const char *provider;
	const char *name;		/* the manifest's symbol, or NULL */
	uint16_t first, n;		/* in dt_etw_fields */
	uint8_t partial;		/* laid out up to a counted array */
};
extern const struct dt_etw_field_def dt_etw_fields[];
extern const struct dt_etw_layout dt_etw_layouts[];
extern const size_t dt_etw_n_layouts;

/* The layout of (provider, id) of the highest version not past version,
   or NULL. */
const struct dt_etw_layout *dt_etw_layout_find(const uint8_t guid[16],
    uint16_t id, uint8_t version);

/*
 * decode.c: the event's fields by its layout into a new struct dt_event
 * (one allocation from m; NULL when memory failed). *short_field: the
 * index of the first field the payload did not hold, or -1.
 */
struct dt_winevent *dt_event_decode(struct dt_mem *m,
    const struct dt_etw_layout *l, const struct dt_etw_event *ev,
    int *short_field);

/* Where the texts of one event are written while it is decoded. */
#define DT_EVENT_TEXT_ROOM 8192
struct dt_event_texts {
	char buf[DT_EVENT_TEXT_ROOM];
	size_t used;
};

/* One value of a field by its type (decode.c, also for TraceLogging):
   bytes taken, or -1 when the payload ends first. */
long dt_event_value(struct dt_event_texts *t, const struct dt_etw_event *ev,
    uint8_t type, const char *name, const uint8_t *p, size_t n, size_t len,
    struct dt_winevent_field *f);
/* A copy of s (n bytes) among the event's texts, or NULL: no room. */
const char *dt_event_text(struct dt_event_texts *t, const char *s,
    size_t n);
/* "addr:port" of a SOCKADDR_IN / SOCKADDR_IN6; -1 when it is not one. */
int dt_event_sockaddr(const uint8_t *p, size_t n, char *out, size_t outlen);
/* The fields, their names and texts in t (pointers into t->buf are
   moved) into one new allocation with ev's header; NULL: no memory.
   provider, name and short_payload are the caller's to set. */
struct dt_winevent *dt_event_pack(struct dt_mem *m,
    const struct dt_winevent_field *f, size_t nf,
    const struct dt_event_texts *t, const struct dt_etw_event *ev);

/*
 * tracelogging.c: a self-describing event decoded by the metadata it
 * carries (ev->tl_meta; its provider named by ev->tl_traits). Returns 0
 * with *out set, DT_ENOMEM, or DT_EFORMAT with why saying what is wrong
 * with the metadata (*out NULL).
 */
int dt_tl_decode(struct dt_mem *m, const struct dt_etw_event *ev,
    struct dt_winevent **out, char *why, size_t whylen);
/* The provider's name from its traits (PROV_TRAITS), at most outlen - 1
   bytes; 0, or -1 when the traits hold none. */
int dt_tl_provider_name(const struct dt_etw_event *ev, char *out,
    size_t outlen);

/* "{4d4f80d9-c8bd-4d73-bb5b-19c90402c5ac}" from the stored bytes (the
   reports' and the export's one spelling of a provider GUID; decode.c). */
void dt_etw_guid_text(char out[40], const uint8_t g[16]);

#endif
