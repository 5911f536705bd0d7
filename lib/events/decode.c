/*
 * Typed decoding of one ETW event by its manifest layout (events.h,
 * layouts.c): each field read in payload order by its inType, little-
 * endian; strings made UTF-8 and cut at DT_EVENT_TEXT_MAX bytes; a Binary
 * field takes its length from an earlier field or the layout, and one
 * that holds a socket address (family AF_INET 2 or AF_INET6 23, as
 * Windows numbers them) is shown as "addr:port". CAPI2 events carry one
 * XML string; the chain or policy `<Result value="...">` in it becomes a
 * field of its own, read from the whole payload (not the cut text).
 */
#include "events/decode.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/utf8.h"

#define HT_EVENT32	0x12		/* 32-bit EVENT_HEADER: 4-byte pointers */

static const char *const type_name[] = {
	[DT_ETW_USTR] = "UnicodeString", [DT_ETW_ASTR] = "AnsiString",
	[DT_ETW_I8] = "Int8", [DT_ETW_U8] = "UInt8", [DT_ETW_I16] = "Int16",
	[DT_ETW_U16] = "UInt16", [DT_ETW_I32] = "Int32",
	[DT_ETW_U32] = "UInt32", [DT_ETW_HEX32] = "HexInt32",
	[DT_ETW_BOOL] = "Boolean", [DT_ETW_I64] = "Int64",
	[DT_ETW_U64] = "UInt64", [DT_ETW_HEX64] = "HexInt64",
	[DT_ETW_PTR] = "Pointer", [DT_ETW_GUID] = "GUID",
	[DT_ETW_FILETIME] = "FILETIME", [DT_ETW_SYSTEMTIME] = "SYSTEMTIME",
	[DT_ETW_SID] = "SID", [DT_ETW_BINARY] = "Binary",
	[DT_ETW_DOUBLE] = "Double", [DT_ETW_FLOAT] = "Float",
};

static const uint8_t guid_capi2[16] = {
	0xa8, 0xa4, 0xbc, 0x5b, 0x09, 0xb2, 0xdc, 0x48,
	0xa8, 0xc7, 0xb2, 0x3d, 0x3e, 0x52, 0x16, 0xfb,
};

const struct dt_etw_layout *
dt_etw_layout_find(const uint8_t guid[16], uint16_t id, uint8_t version)
{
	size_t lo = 0, hi = dt_etw_n_layouts, mid;
	const struct dt_etw_layout *l, *best = NULL;
	int c;

	while (lo < hi) {		/* the first of (guid, id) */
		mid = lo + (hi - lo) / 2;
		l = &dt_etw_layouts[mid];
		c = memcmp(l->guid, guid, 16);
		if (c < 0 || (c == 0 && l->id < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < dt_etw_n_layouts; lo++) {
		l = &dt_etw_layouts[lo];
		if (memcmp(l->guid, guid, 16) != 0 || l->id != id ||
		    l->version > version)
			break;
		best = l;
	}
	return best;
}


/* Room for one text: at most DT_EVENT_TEXT_MAX + 4 bytes (the cut mark). */
static char *
text_begin(struct dt_event_texts *t, size_t *room)
{
	size_t left = DT_EVENT_TEXT_ROOM - t->used;

	*room = left < DT_EVENT_TEXT_MAX + 4 ? left : DT_EVENT_TEXT_MAX + 4;
	return t->buf + t->used;
}

static const char *
text_end(struct dt_event_texts *t, size_t len)
{
	const char *s = t->buf + t->used;

	t->buf[t->used + len] = '\0';
	t->used += len + 1;
	return s;
}

/* Appends code point cp if it fits below DT_EVENT_TEXT_MAX; else the cut
   mark once. 0: go on, 1: cut. */
static int
put_cp(char *out, size_t room, size_t *len, uint32_t cp)
{
	char u[4];
	size_t k = dt_utf8_encode(cp, u);

	if (*len + k > DT_EVENT_TEXT_MAX || *len + k + 1 > room) {
		if (*len + 4 <= room) {
			memcpy(out + *len, "\xe2\x80\xa6", 3);	/* U+2026 */
			*len += 3;
		}
		return 1;
	}
	memcpy(out + *len, u, k);
	*len += k;
	return 0;
}

static uint64_t
le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* UTF-16LE of nchar characters (or to its NUL when nchar is SIZE_MAX):
   bytes consumed, -1 when a fixed count runs past the end. */
static long
ustr(const uint8_t *p, size_t n, size_t nchar, struct dt_event_texts *t,
    const char **out)
{
	size_t i = 0, room, len = 0, k;
	char *o = text_begin(t, &room);
	uint32_t c, d;
	int cut = 0;

	if (room == 0)
		*out = NULL;
	if (nchar != SIZE_MAX && nchar > n / 2)
		return -1;
	for (k = 0; k < nchar && i + 2 <= n; k++) {
		c = (uint32_t)le(p + i, 2);
		i += 2;
		if (c == 0 && nchar == SIZE_MAX)
			break;
		if (c >= 0xd800 && c < 0xdc00 && i + 2 <= n &&
		    (d = (uint32_t)le(p + i, 2)) >= 0xdc00 && d < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
			i += 2;
		} else if (c >= 0xd800 && c < 0xe000)
			c = 0xfffd;
		if (!cut && room > 0)
			cut = put_cp(o, room, &len, c);
	}
	if (nchar == SIZE_MAX && i + 1 == n)
		i = n;			/* an odd last byte */
	if (room > 0)
		*out = text_end(t, len);
	return (long)i;
}

/* Bytes (AnsiString, to its NUL or nchar bytes), made valid UTF-8. */
static long
astr(const uint8_t *p, size_t n, size_t nchar, struct dt_event_texts *t,
    const char **out)
{
	size_t i = 0, room, len = 0, end, k;
	char *o = text_begin(t, &room);
	uint32_t cp;
	int cut = 0;

	if (nchar != SIZE_MAX && nchar > n)
		return -1;
	end = nchar != SIZE_MAX ? nchar : n;
	if (nchar == SIZE_MAX) {
		const uint8_t *z = memchr(p, 0, n);

		end = z != NULL ? (size_t)(z - p) : n;
	}
	while (i < end) {
		k = dt_utf8_next((const char *)p + i, end - i, &cp);
		if (k == 0) {
			cp = 0xfffd;
			k = 1;
		}
		i += k;
		if (!cut && room > 0)
			cut = put_cp(o, room, &len, cp);
	}
	*out = room > 0 ? text_end(t, len) : NULL;
	return (long)(nchar == SIZE_MAX && end < n ? end + 1 : end);
}

/* A socket address as Windows lays out SOCKADDR_IN / SOCKADDR_IN6. */
int
dt_event_sockaddr(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	unsigned fam, port, k;
	int w;

	if (n < 8)
		return -1;
	fam = (unsigned)le(p, 2);
	port = (unsigned)p[2] << 8 | p[3];
	if (fam == 2) {
		snprintf(out, outlen, "%u.%u.%u.%u:%u", p[4], p[5], p[6], p[7],
		    port);
		return 0;
	}
	if (fam != 23 || n < 24)
		return -1;
	w = snprintf(out, outlen, "[");
	for (k = 0; k < 8; k++)	/* full form: no guess at zero runs */
		w += snprintf(out + w, outlen - (size_t)w, "%s%x",
		    k ? ":" : "", (unsigned)p[8 + 2 * k] << 8 | p[9 + 2 * k]);
	snprintf(out + w, outlen - (size_t)w, "]:%u", port);
	return 0;
}

static const char *
hex_text(const uint8_t *p, size_t n, struct dt_event_texts *t)
{
	size_t room, i, len = 0;
	char *o = text_begin(t, &room);

	if (room < 8)
		return NULL;
	for (i = 0; i < n; i++) {
		if (len + 2 > DT_EVENT_TEXT_MAX - 3 || len + 6 > room) {
			memcpy(o + len, "\xe2\x80\xa6", 3);
			len += 3;
			break;
		}
		snprintf(o + len, 3, "%02x", p[i]);
		len += 2;
	}
	return text_end(t, len);
}

static const char *
copy_text(struct dt_event_texts *t, const char *s)
{
	size_t room, n = strlen(s);
	char *o = text_begin(t, &room);

	if (n + 1 > room)
		return NULL;
	memcpy(o, s, n);
	return text_end(t, n);
}

/* "2024-06-10T20:18:27.1234567Z" from a FILETIME; -1 before 1601+. */
static int
filetime_text(uint64_t ft, char *out, size_t outlen, uint64_t *ns)
{
	const uint64_t epoch = UINT64_C(116444736000000000);
	time_t s;
	struct tm tm;

	if (ft < epoch || (ft - epoch) / 10000000 > (uint64_t)INT32_MAX * 8)
		return -1;
	s = (time_t)((ft - epoch) / 10000000);
	if (gmtime_r(&s, &tm) == NULL)
		return -1;
	*ns = (ft - epoch) * 100;
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%07uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)((ft - epoch) % 10000000));
	return 0;
}

/* CAPI2's `<Result value="800B0109"` in the UTF-16LE XML payload. */
static int
capi2_result(const uint8_t *p, size_t n, uint32_t *code)
{
	static const char pat[] = "<Result value=\"";
	size_t k = sizeof pat - 1, i, j;
	uint32_t v = 0;
	unsigned d;

	for (i = 0; i + 2 * k <= n; i += 2) {
		for (j = 0; j < k; j++)
			if (p[i + 2 * j] != (uint8_t)pat[j] ||
			    p[i + 2 * j + 1] != 0)
				break;
		if (j < k)
			continue;
		for (j = i + 2 * k; j + 1 < n && j < i + 2 * k + 16 &&
		    p[j + 1] == 0; j += 2) {
			d = p[j];
			if (d >= '0' && d <= '9')
				d -= '0';
			else if ((d | 0x20) >= 'a' && (d | 0x20) <= 'f')
				d = (d | 0x20) - 'a' + 10;
			else
				break;
			v = v << 4 | d;
		}
		if (j == i + 2 * k || j >= n || p[j] != '"')
			return -1;
		*code = v;
		return 0;
	}
	return -1;
}

/*
 * One value of type (enum dt_etw_type) at p (n bytes left) into f: len is
 * the byte count of a Binary, the character count of a string (SIZE_MAX:
 * to its NUL, or the rest for Binary). Returns the bytes it took, or -1
 * when the payload ends first.
 */
long
dt_event_value(struct dt_event_texts *t, const struct dt_etw_event *ev,
    uint8_t type, const char *name, const uint8_t *p, size_t n, size_t len,
    struct dt_winevent_field *f)
{
	size_t size = 0, i;
	char tmp[96];

	f->type = type_name[type];
	switch (type) {
	case DT_ETW_USTR:
	case DT_ETW_ASTR:
		if (n == 0 && len != 0)
			return -1;
		return type == DT_ETW_USTR ? ustr(p, n, len, t, &f->text) :
		    astr(p, n, len, t, &f->text);
	case DT_ETW_I8: case DT_ETW_U8: size = 1; break;
	case DT_ETW_I16: case DT_ETW_U16: size = 2; break;
	case DT_ETW_I32: case DT_ETW_U32: case DT_ETW_HEX32:
	case DT_ETW_BOOL: case DT_ETW_FLOAT: size = 4; break;
	case DT_ETW_I64: case DT_ETW_U64: case DT_ETW_HEX64:
	case DT_ETW_FILETIME: case DT_ETW_DOUBLE: size = 8; break;
	case DT_ETW_PTR:
		size = ev->header_type == HT_EVENT32 ? 4 : 8;
		break;
	case DT_ETW_GUID: case DT_ETW_SYSTEMTIME: size = 16; break;
	case DT_ETW_SID:
		size = n >= 2 ? 8 + 4 * (size_t)p[1] : 8;
		break;
	case DT_ETW_BINARY:
		size = len == SIZE_MAX ? n : len;
		break;
	default:
		return -1;
	}
	if (size > n)
		return -1;
	switch (type) {
	case DT_ETW_I8: case DT_ETW_I16: case DT_ETW_I32:
	case DT_ETW_I64:
		f->u = le(p, size);
		if (size < 8 && (f->u >> (8 * size - 1)) & 1)
			f->u |= ~UINT64_C(0) << (8 * size);
		f->is_num = f->is_signed = 1;
		break;
	case DT_ETW_HEX32: case DT_ETW_HEX64: case DT_ETW_PTR:
		f->is_hex = 1;
		/* fall through */
	case DT_ETW_U8: case DT_ETW_U16: case DT_ETW_U32:
	case DT_ETW_U64: case DT_ETW_BOOL:
		f->u = le(p, size);
		f->is_num = 1;
		break;
	case DT_ETW_FILETIME:
		if (filetime_text(le(p, 8), tmp, sizeof tmp, &f->u) == 0)
			f->text = copy_text(t, tmp);
		else {
			f->u = le(p, 8);
			f->is_num = 1;
		}
		break;
	case DT_ETW_SYSTEMTIME:
		snprintf(tmp, sizeof tmp, "%04u-%02u-%02uT%02u:%02u:"
		    "%02u.%03uZ", (unsigned)le(p, 2), (unsigned)le(p + 2, 2),
		    (unsigned)le(p + 6, 2), (unsigned)le(p + 8, 2),
		    (unsigned)le(p + 10, 2), (unsigned)le(p + 12, 2),
		    (unsigned)le(p + 14, 2));
		f->text = copy_text(t, tmp);
		break;
	case DT_ETW_GUID:
		dt_etw_guid_text(tmp, p);
		f->text = copy_text(t, tmp);
		break;
	case DT_ETW_SID: {
		int w = snprintf(tmp, sizeof tmp, "S-%u-%llu", p[0],
		    (unsigned long long)((uint64_t)p[2] << 40 |
		    (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 |
		    (uint64_t)p[5] << 16 | (uint64_t)p[6] << 8 | p[7]));

		for (i = 0; i < p[1] && w > 0 && (size_t)w < sizeof tmp - 12;
		    i++)
			w += snprintf(tmp + w, sizeof tmp - (size_t)w, "-%u",
			    (unsigned)le(p + 8 + 4 * i, 4));
		f->text = copy_text(t, tmp);
		break;
	}
	case DT_ETW_DOUBLE: case DT_ETW_FLOAT: {
		uint64_t bits = le(p, size);
		double x;
		float y;
		uint32_t b32 = (uint32_t)bits;

		if (size == 8)
			memcpy(&x, &bits, 8);
		else {
			memcpy(&y, &b32, 4);
			x = y;
		}
		snprintf(tmp, sizeof tmp, "%.17g", x);
		f->text = copy_text(t, tmp);
		break;
	}
	case DT_ETW_BINARY:
		if (name != NULL && strstr(name, "Addr") != NULL &&
		    dt_event_sockaddr(p, size, tmp, sizeof tmp) == 0) {
			f->type = "SocketAddress";
			f->text = copy_text(t, tmp);
		} else
			f->text = hex_text(p, size, t);
		break;
	}
	return (long)size;
}

struct dt_winevent *
dt_event_pack(struct dt_mem *m, const struct dt_winevent_field *f,
    size_t nf, const struct dt_event_texts *t, const struct dt_etw_event *ev)
{
	struct dt_winevent *out;
	char *block, *tb;
	size_t i;

	block = dt_malloc(m, sizeof *out + nf * sizeof *f + t->used);
	if (block == NULL)
		return NULL;
	out = (struct dt_winevent *)(void *)block;
	memset(out, 0, sizeof *out);
	out->fields = (struct dt_winevent_field *)(void *)(block + sizeof *out);
	tb = block + sizeof *out + nf * sizeof *f;
	if (nf > 0)
		memcpy(out->fields, f, nf * sizeof *f);
	memcpy(tb, t->buf, t->used);
	for (i = 0; i < nf; i++) {
		if (f[i].text != NULL)
			out->fields[i].text = tb + (f[i].text - t->buf);
		if (f[i].name >= t->buf && f[i].name < t->buf + t->used)
			out->fields[i].name = tb + (f[i].name - t->buf);
	}
	out->n_fields = nf;
	out->offset = ev->offset;
	out->time = ev->time;
	out->has_time = ev->has_time;
	out->id = ev->id;
	out->task = ev->task;
	out->version = ev->version;
	out->level = ev->level;
	out->opcode = ev->opcode;
	out->pid = ev->pid;
	out->tid = ev->tid;
	return out;
}

/* A text of its own in the event's block (a name, a provider). */
const char *
dt_event_text(struct dt_event_texts *t, const char *s, size_t n)
{
	size_t room;
	char *o = text_begin(t, &room);

	if (n + 1 > room)
		return NULL;
	memcpy(o, s, n);
	return text_end(t, n);
}

struct dt_winevent *
dt_event_decode(struct dt_mem *m, const struct dt_etw_layout *l,
    const struct dt_etw_event *ev, int *short_field)
{
	struct dt_winevent_field f[DT_EVENT_FIELDS_MAX + 1];
	struct dt_event_texts *t;
	struct dt_winevent *out;
	const struct dt_etw_field_def *d;
	const uint8_t *p = ev->data;
	size_t n = ev->len, off = 0, k, nf = 0, len;
	uint32_t code;
	long used;

	*short_field = -1;
	t = dt_malloc(m, sizeof *t);
	if (t == NULL)
		return NULL;
	t->used = 0;
	memset(f, 0, sizeof f);
	for (k = 0; k < l->n && nf < DT_EVENT_FIELDS_MAX; k++) {
		d = &dt_etw_fields[l->first + k];
		f[nf].name = d->name;
		len = SIZE_MAX;
		if (d->len_kind == 1)
			len = d->len;
		else if (d->len_kind == 2) {
			if (d->len >= nf || !f[d->len].is_num)
				break;
			len = f[d->len].u > n ? n + 1 : (size_t)f[d->len].u;
		}
		used = dt_event_value(t, ev, d->type, d->name, p + off,
		    n - off, len, &f[nf]);
		if (used < 0) {
			memset(&f[nf], 0, sizeof f[nf]);
			*short_field = (int)k;
			break;
		}
		off += (size_t)used;
		nf++;
	}
	if (memcmp(ev->provider, guid_capi2, 16) == 0 &&
	    capi2_result(p, n, &code) == 0) {
		f[nf].name = "Result";
		f[nf].type = "HexInt32";
		f[nf].is_num = f[nf].is_hex = 1;
		f[nf].u = code;
		nf++;
	}
	out = dt_event_pack(m, f, nf, t, ev);
	dt_free(m, t);
	if (out == NULL)
		return NULL;
	out->provider = l->provider;
	out->name = l->name;
	out->short_payload = *short_field >= 0;
	return out;
}

void
dt_etw_guid_text(char out[40], const uint8_t g[16])
{
	snprintf(out, 40, "{%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x}", g[3], g[2], g[1], g[0], g[5], g[4],
	    g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}
