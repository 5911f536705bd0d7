/*
 * TraceLogging (self-describing) events: no manifest, each event carries
 * its own metadata in the extended data item EVENT_SCHEMA_TL, and its
 * provider's name in PROV_TRAITS (events.h). The layout, as Microsoft's
 * TraceLoggingDynamic.h (microsoft/tracelogging, EventMetadataBuilder)
 * documents it:
 *
 *   EventMetadata = Size u16 (the whole, itself included), Tags (bytes
 *     while the high bit is set), Name (NUL-terminated UTF-8), Fields
 *     to the end.
 *   Field = Name (NUL-terminated UTF-8), InMeta u8 (InType in the low 5
 *     bits; 0x20 constant count, 0x40 variable count, 0x60 custom;
 *     0x80: OutMeta follows), OutMeta u8 (OutType in the low 7 bits, or
 *     a struct's field count; 0x80: tag bytes follow as above), then
 *     Ccount u16 for a constant count, or CbSchema u16 and the schema for
 *     a custom field.
 *   ProviderMetadata = Size u16, Name (NUL-terminated UTF-8), traits.
 *
 * In the payload a variable count is a u16 before the elements; Binary,
 * CountedBinary, CountedString and CountedAnsiString (and custom fields)
 * are a u16 byte count then the bytes. A struct groups the next N fields;
 * an array of structs repeats the group. Fields come out flat, named
 * "struct.field" and "array[i]", at most DT_EVENT_FIELDS_MAX of them.
 *
 * The metadata is checked whole before the payload is read: a name past
 * the end, a struct of no fields or more than follow, nesting past
 * DEPTH_MAX or more than FIELDS_MAX fields make it malformed (DT_EFORMAT,
 * the reason in why). An InType with no fixed layout (Null, the
 * platform-specific pointer, or past CountedBinary) ends decoding at that
 * field: the fields before it are kept. A payload that ends early is
 * short_payload, as for manifest events.
 */
#include "events/decode.h"

#include <stdio.h>
#include <string.h>

#include "datrace.h"
#include "util/utf8.h"

#define FIELDS_MAX	128		/* fields in one event's metadata */
#define DEPTH_MAX	8		/* structs within structs */
#define NAME_MAX_LEN	120		/* "a.b[3].c" as written */

enum {
	TL_NULL, TL_USTR, TL_ASTR, TL_I8, TL_U8, TL_I16, TL_U16, TL_I32,
	TL_U32, TL_I64, TL_U64, TL_FLOAT, TL_DOUBLE, TL_BOOL32, TL_BINARY,
	TL_GUID, TL_PTR_UNSUPPORTED, TL_FILETIME, TL_SYSTEMTIME, TL_SID,
	TL_HEX32, TL_HEX64, TL_CSTR, TL_CASTR, TL_STRUCT, TL_CBINARY
};

#define IN_CCOUNT	0x20
#define IN_VCOUNT	0x40
#define IN_CUSTOM	0x60
#define IN_COUNTMASK	0x60
#define IN_CHAIN	0x80
#define OUT_CHAIN	0x80

/* OutTypes that change how a value reads */
#define OUT_BOOLEAN	0x03
#define OUT_HEX		0x04
#define OUT_PORT	0x07
#define OUT_IPV4	0x08
#define OUT_IPV6	0x09
#define OUT_SOCKADDR	0x0a
#define OUT_WIN32ERR	0x0d
#define OUT_NTSTATUS	0x0e
#define OUT_HRESULT	0x0f

/* InType to the manifest type it reads as (0: none) */
static const uint8_t as_etw[] = {
	[TL_USTR] = DT_ETW_USTR, [TL_ASTR] = DT_ETW_ASTR,
	[TL_I8] = DT_ETW_I8, [TL_U8] = DT_ETW_U8, [TL_I16] = DT_ETW_I16,
	[TL_U16] = DT_ETW_U16, [TL_I32] = DT_ETW_I32, [TL_U32] = DT_ETW_U32,
	[TL_I64] = DT_ETW_I64, [TL_U64] = DT_ETW_U64,
	[TL_FLOAT] = DT_ETW_FLOAT, [TL_DOUBLE] = DT_ETW_DOUBLE,
	[TL_BOOL32] = DT_ETW_BOOL, [TL_BINARY] = DT_ETW_BINARY,
	[TL_GUID] = DT_ETW_GUID, [TL_FILETIME] = DT_ETW_FILETIME,
	[TL_SYSTEMTIME] = DT_ETW_SYSTEMTIME, [TL_SID] = DT_ETW_SID,
	[TL_HEX32] = DT_ETW_HEX32, [TL_HEX64] = DT_ETW_HEX64,
	[TL_CSTR] = DT_ETW_USTR, [TL_CASTR] = DT_ETW_ASTR,
	[TL_CBINARY] = DT_ETW_BINARY,
};

struct tlf {
	const char *name;		/* in the metadata, NUL-terminated */
	uint8_t in, out, count;		/* InType, OutType, IN_COUNTMASK bits */
	uint16_t ccount;
	uint16_t span;			/* fields of a struct, nested ones
					   included; 0 for a scalar */
};

struct tl {
	const struct dt_etw_event *ev;
	struct tlf f[FIELDS_MAX];
	size_t nf;
	struct dt_winevent_field out[DT_EVENT_FIELDS_MAX];
	size_t nout;
	struct dt_event_texts t;
	const uint8_t *p;		/* payload */
	size_t n, off;
	int short_payload, stop;
};

static int
bad(char *why, size_t whylen, const char *what, size_t at)
{
	snprintf(why, whylen, "%s at byte %zu of its metadata", what, at);
	return DT_EFORMAT;
}

/* The NUL-terminated string at m[*i], *i moved past it; NULL: no NUL. */
static const char *
cstr(const uint8_t *m, size_t n, size_t *i)
{
	const uint8_t *z = *i < n ? memchr(m + *i, 0, n - *i) : NULL;
	const char *s = (const char *)m + *i;

	if (z == NULL)
		return NULL;
	*i = (size_t)(z - m) + 1;
	return s;
}

/* Tag bytes: while the high bit is set (at most 4, 28 bits). */
static int
skip_tags(const uint8_t *m, size_t n, size_t *i)
{
	int k;

	for (k = 0; k < 4; k++) {
		if (*i >= n)
			return -1;
		if (!(m[(*i)++] & 0x80))
			return 0;
	}
	return -1;
}

/* Each struct's span: the fields it holds, nested ones included. */
static int
spans(struct tl *s, size_t at, unsigned depth, size_t *next, char *why,
    size_t whylen)
{
	struct tlf *f = &s->f[at];
	size_t i = at + 1, k;

	if (f->in != TL_STRUCT) {
		*next = at + 1;
		return 0;
	}
	if (depth >= DEPTH_MAX) {
		snprintf(why, whylen, "structs nested deeper than %d",
		    DEPTH_MAX);
		return DT_EFORMAT;
	}
	for (k = 0; k < f->out; k++) {
		if (i >= s->nf) {
			snprintf(why, whylen, "struct %s holds %u fields but "
			    "only %zu follow", f->name, f->out, s->nf - at - 1);
			return DT_EFORMAT;
		}
		if (spans(s, i, depth + 1, &i, why, whylen) != 0)
			return DT_EFORMAT;
	}
	f->span = (uint16_t)(i - at - 1);
	*next = i;
	return 0;
}

/* The metadata into s->f; the event name into *name. */
static int
parse_meta(struct tl *s, const char **name, char *why, size_t whylen)
{
	const uint8_t *m = s->ev->tl_meta;
	size_t n = s->ev->tl_meta_len, i = 2, size;
	struct tlf *f;
	uint8_t in;

	if (n < 4)
		return bad(why, whylen, "metadata shorter than its header", 0);
	size = (size_t)m[0] | (size_t)m[1] << 8;
	if (size < 4 || size > n)
		return bad(why, whylen, "metadata size past the item", 0);
	n = size;
	if (skip_tags(m, n, &i) != 0)
		return bad(why, whylen, "event tags run on", i);
	if ((*name = cstr(m, n, &i)) == NULL)
		return bad(why, whylen, "event name without its NUL", i);
	while (i < n) {
		if (s->nf >= FIELDS_MAX) {
			snprintf(why, whylen, "more than %d fields",
			    FIELDS_MAX);
			return DT_EFORMAT;
		}
		f = &s->f[s->nf];
		memset(f, 0, sizeof *f);
		if ((f->name = cstr(m, n, &i)) == NULL)
			return bad(why, whylen, "field name without its NUL",
			    i);
		if (i >= n)
			return bad(why, whylen, "field without its type", i);
		in = m[i++];
		f->in = in & 0x1f;
		f->count = in & IN_COUNTMASK;
		if (in & IN_CHAIN) {
			if (i >= n)
				return bad(why, whylen, "OutType past the end",
				    i);
			f->out = m[i] & 0x7f;
			if ((m[i++] & OUT_CHAIN) && skip_tags(m, n, &i) != 0)
				return bad(why, whylen, "field tags run on",
				    i);
		}
		if (f->count == IN_CCOUNT || f->count == IN_CUSTOM) {
			if (i + 2 > n)
				return bad(why, whylen, "count past the end",
				    i);
			f->ccount = (uint16_t)(m[i] | m[i + 1] << 8);
			i += 2;
			if (f->count == IN_CUSTOM) {	/* CbSchema, schema */
				if (f->ccount > n - i)
					return bad(why, whylen, "custom schema "
					    "past the end", i);
				i += f->ccount;
			}
		}
		if (f->in == TL_STRUCT && f->out == 0)	/* its OutMeta */
			return bad(why, whylen, "struct of no fields", i - 1);
		s->nf++;
	}
	for (i = 0; i < s->nf;)
		if (spans(s, i, 0, &i, why, whylen) != 0)
			return DT_EFORMAT;
	return 0;
}

static uint16_t
u16_at(struct tl *s)
{
	uint16_t v;

	if (s->n - s->off < 2) {
		s->short_payload = s->stop = 1;
		return 0;
	}
	v = (uint16_t)(s->p[s->off] | s->p[s->off + 1] << 8);
	s->off += 2;
	return v;
}

/* How the OutType reads the value just decoded into o. */
static void
out_type(struct tl *s, const struct tlf *f, struct dt_winevent_field *o,
    const uint8_t *v, long used)
{
	char tmp[64];

	switch (f->out) {
	case OUT_BOOLEAN:
		if (o->is_num) {
			o->type = "Boolean";
			o->is_signed = o->is_hex = 0;
		}
		break;
	case OUT_HEX: case OUT_WIN32ERR: case OUT_NTSTATUS: case OUT_HRESULT:
		if (o->is_num && used <= 4) {
			o->type = "HexInt32";
			o->u &= 0xffffffffu;
			o->is_hex = 1;
			o->is_signed = 0;
		} else if (o->is_num) {
			o->type = "HexInt64";
			o->is_hex = 1;
			o->is_signed = 0;
		}
		break;
	case OUT_PORT:
		if (o->is_num && used == 2) {
			o->type = "Port";
			o->u = (uint64_t)v[0] << 8 | v[1];
		}
		break;
	case OUT_IPV4:
		if (o->is_num && used == 4) {
			snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", v[0], v[1],
			    v[2], v[3]);
			o->type = "IPv4";
			o->is_num = 0;
			o->text = dt_event_text(&s->t, tmp, strlen(tmp));
		}
		break;
	case OUT_IPV6:
		if (!o->is_num && used == 16) {
			int w = 0, k;

			for (k = 0; k < 8; k++)
				w += snprintf(tmp + w, sizeof tmp - (size_t)w,
				    "%s%x", k ? ":" : "",
				    (unsigned)v[2 * k] << 8 | v[2 * k + 1]);
			o->type = "IPv6";
			o->text = dt_event_text(&s->t, tmp, strlen(tmp));
		}
		break;
	case OUT_SOCKADDR:
		if (!o->is_num && used > 0 &&
		    dt_event_sockaddr(v, (size_t)used, tmp, sizeof tmp) == 0) {
			o->type = "SocketAddress";
			o->text = dt_event_text(&s->t, tmp, strlen(tmp));
		}
		break;
	}
}

/* One value of scalar field f, named name. */
static void
value(struct tl *s, const struct tlf *f, const char *name)
{
	struct dt_winevent_field *o;
	uint8_t type = f->in < sizeof as_etw ? as_etw[f->in] : 0;
	size_t len = SIZE_MAX;
	const uint8_t *v;
	long used;

	if (type == 0) {		/* no layout: nothing after it reads */
		s->stop = 1;
		return;
	}
	if (f->in == TL_BINARY || f->in == TL_CBINARY || f->in == TL_CSTR ||
	    f->in == TL_CASTR || f->count == IN_CUSTOM) {
		len = u16_at(s);
		if (s->stop)
			return;
		if (f->in == TL_CSTR)
			len /= 2;	/* a byte count of UTF-16 */
		if (f->count == IN_CUSTOM)
			type = DT_ETW_BINARY;
	}
	if (s->nout >= DT_EVENT_FIELDS_MAX) {
		s->stop = 1;
		return;
	}
	o = &s->out[s->nout];
	memset(o, 0, sizeof *o);
	v = s->p + s->off;
	used = dt_event_value(&s->t, s->ev, type, NULL, v, s->n - s->off, len,
	    o);
	if (used < 0) {
		memset(o, 0, sizeof *o);
		s->short_payload = s->stop = 1;
		return;
	}
	o->name = name;
	out_type(s, f, o, v, used);
	s->off += (size_t)used;
	s->nout++;
}

/* n bytes of a metadata name as valid UTF-8 into out (room bytes, no
   NUL): bytes written. Invalid bytes and controls become '?'. */
static size_t
sane_copy(char *out, size_t room, const char *in, size_t n)
{
	size_t i = 0, w = 0, k;
	uint32_t cp;

	while (i < n) {
		k = dt_utf8_next(in + i, n - i, &cp);
		if (k == 0 || cp < 0x20 || cp == 0x7f) {
			if (w + 1 > room)
				break;
			out[w++] = '?';
			i += k == 0 ? 1 : k;
			continue;
		}
		if (w + k > room)
			break;
		memcpy(out + w, in + i, k);
		w += k;
		i += k;
	}
	return w;
}

static const char *
sane(struct dt_event_texts *t, const char *s, size_t n)
{
	char tmp[NAME_MAX_LEN];

	return dt_event_text(t, tmp, sane_copy(tmp, sizeof tmp, s, n));
}

static void fields(struct tl *s, size_t first, size_t count,
    const char *prefix, size_t plen);

/* Field at (and, for a struct, its span) with its array count. */
static void
field(struct tl *s, size_t at, const char *prefix, size_t plen)
{
	const struct tlf *f = &s->f[at];
	char nm[NAME_MAX_LEN + 24];
	size_t k, elems = 1, w, nlen = strlen(f->name);
	int arr = f->count == IN_CCOUNT || f->count == IN_VCOUNT;
	const char *name;

	if (arr)
		elems = f->count == IN_CCOUNT ? f->ccount : u16_at(s);
	if (plen > NAME_MAX_LEN)
		plen = NAME_MAX_LEN;
	memcpy(nm, prefix, plen);
	nlen = sane_copy(nm + plen, NAME_MAX_LEN - plen, f->name, nlen);
	for (k = 0; k < elems && !s->stop; k++) {
		w = plen + nlen;
		if (arr)
			w += (size_t)snprintf(nm + w, sizeof nm - w, "[%zu]",
			    k);
		if (f->in == TL_STRUCT) {
			nm[w++] = '.';
			fields(s, at + 1, f->out, nm, w);
			continue;
		}
		if ((name = dt_event_text(&s->t, nm, w)) == NULL) {
			s->stop = 1;	/* no room for more texts */
			return;
		}
		value(s, f, name);
	}
}

/* count fields from first (each struct with its span). */
static void
fields(struct tl *s, size_t first, size_t count, const char *prefix,
    size_t plen)
{
	size_t i = first, k;

	for (k = 0; k < count && i < s->nf && !s->stop; k++) {
		field(s, i, prefix, plen);
		i += 1 + s->f[i].span;
	}
}

int
dt_tl_provider_name(const struct dt_etw_event *ev, char *out, size_t outlen)
{
	const uint8_t *m = ev->tl_traits;
	size_t n = ev->tl_traits_len, i = 2, k;
	const char *name;

	if (m == NULL || n < 3 || outlen == 0)
		return -1;
	if (((size_t)m[0] | (size_t)m[1] << 8) < n)
		n = (size_t)m[0] | (size_t)m[1] << 8;
	if ((name = cstr(m, n, &i)) == NULL || *name == '\0')
		return -1;
	for (k = 0; name[k] != '\0' && k + 1 < outlen; k++)
		out[k] = name[k] >= 0x20 && name[k] != 0x7f ? name[k] : '?';
	out[k] = '\0';
	return 0;
}

int
dt_tl_decode(struct dt_mem *m, const struct dt_etw_event *ev,
    struct dt_winevent **out, char *why, size_t whylen)
{
	struct tl *s;
	const char *name, *ename, *pname, *tb;
	char prov[64];
	int rc;

	*out = NULL;
	if (ev->tl_meta == NULL)
		return bad(why, whylen, "no metadata", 0);
	if ((s = dt_malloc(m, sizeof *s)) == NULL)
		return DT_ENOMEM;
	s->ev = ev;
	s->nf = s->nout = s->off = 0;
	s->t.used = 0;
	s->p = ev->data;
	s->n = ev->len;
	s->short_payload = s->stop = 0;
	if ((rc = parse_meta(s, &name, why, whylen)) != 0) {
		dt_free(m, s);
		return rc;
	}
	fields(s, 0, s->nf, "", 0);
	/* the event's and the provider's names among its texts */
	if (dt_tl_provider_name(ev, prov, sizeof prov) != 0)
		dt_etw_guid_text(prov, ev->provider);
	ename = sane(&s->t, name, strlen(name));
	pname = dt_event_text(&s->t, prov, strlen(prov));
	*out = dt_event_pack(m, s->out, s->nout, &s->t, ev);
	if (*out == NULL) {
		dt_free(m, s);
		return DT_ENOMEM;
	}
	tb = (const char *)((*out)->fields + (*out)->n_fields);
	(*out)->name = ename != NULL ? tb + (ename - s->t.buf) : NULL;
	(*out)->provider = pname != NULL ? tb + (pname - s->t.buf) :
	    "TraceLogging";
	(*out)->short_payload = s->short_payload;
	dt_free(m, s);
	return 0;
}
