/*
 * pktmon metadata. Windows Packet Monitor (pktmon.exe, "Packet Monitor"
 * in Microsoft's networking documentation) writes one comment per packet
 * when it converts a trace to pcapng, in the same words as its text
 * output: "PktGroupId 562949953421327, PktNumber 1, Appearance 1, Direction
 * Tx , Type Ethernet , Component 93, Edge 1, Filter 0, OriginalSize 66,
 * LoggedSize 66", and for drops "Drop: PktGroupId ..., DropReason INET:
 * transport endpoint was not found , DropLocation 0xE000460A, ...".
 * pktmon logs one packet at every component it crosses; (PktGroupId,
 * PktNumber) names the packet, so a key seen within a second of its first
 * sighting is another sighting. The table of sightings is a fixed
 * direct-mapped table of recent keys, shared by the pcapng and the ETL
 * readers: bounded memory, and sightings of one packet are close together
 * in a trace.
 */
#include "capture/capture_int.h"

#include <stddef.h>
#include <string.h>

enum pm_kind { PM_U64, PM_U32, PM_DIR, PM_REASON, PM_LOCATION };

static const struct {
	const char *key;
	enum pm_kind kind;
	size_t off;
} pm_fields[] = {
	{ "PktGroupId", PM_U64, offsetof(struct dt_pktmon_meta, group_id) },
	{ "PktNumber", PM_U32, offsetof(struct dt_pktmon_meta, pkt_number) },
	{ "Appearance", PM_U32, offsetof(struct dt_pktmon_meta, appearance) },
	{ "Direction", PM_DIR, 0 },
	{ "Component", PM_U32, offsetof(struct dt_pktmon_meta, component) },
	{ "Edge", PM_U32, offsetof(struct dt_pktmon_meta, edge) },
	{ "DropReason", PM_REASON, 0 },
	{ "Drop Reason", PM_REASON, 0 },
	{ "DropLocation", PM_LOCATION, 0 },
	{ "Drop Location", PM_LOCATION, 0 },
};

static const struct {
	const char *word;
	int dir;
} pm_dirs[] = {
	{ "Tx", DT_DIR_OUT },
	{ "Rx", DT_DIR_IN },
	{ "Send", DT_DIR_OUT },
	{ "Recv", DT_DIR_IN },
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* [*b, *e) without surrounding blanks. */
static void
trim(const char **b, const char **e)
{
	while (*b < *e && is_space(**b))
		(*b)++;
	while (*e > *b && is_space((*e)[-1]))
		(*e)--;
}

static int
starts(const char *b, const char *e, const char *word)
{
	size_t k = strlen(word);

	return (size_t)(e - b) >= k && memcmp(b, word, k) == 0;
}

static uint64_t
parse_u64(const char *b, const char *e)
{
	uint64_t v = 0;

	for (; b < e && *b >= '0' && *b <= '9'; b++) {
		if (v > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(*b - '0');
	}
	return v;
}

static void
copy_text(char *dst, size_t dstlen, const char *b, const char *e)
{
	size_t n = (size_t)(e - b);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, b, n);
	dst[n] = '\0';
}

static void
pm_field(struct dt_pktmon_meta *out, const char *b, const char *e)
{
	const char *v;
	uint64_t x;
	size_t i, k;

	for (i = 0; i < sizeof pm_fields / sizeof pm_fields[0]; i++) {
		k = strlen(pm_fields[i].key);
		if (!starts(b, e, pm_fields[i].key))
			continue;
		v = b + k;
		if (v < e && !is_space(*v) && *v != ':')
			continue;	/* a longer word */
		while (v < e && (is_space(*v) || *v == ':'))
			v++;
		switch (pm_fields[i].kind) {
		case PM_U64:
			x = parse_u64(v, e);
			memcpy((char *)out + pm_fields[i].off, &x, sizeof x);
			if (pm_fields[i].off ==
			    offsetof(struct dt_pktmon_meta, group_id))
				out->present = 1;
			break;
		case PM_U32:
			x = parse_u64(v, e);
			if (x > UINT32_MAX)
				x = UINT32_MAX;
			{
				uint32_t y = (uint32_t)x;
				memcpy((char *)out + pm_fields[i].off, &y,
				    sizeof y);
			}
			break;
		case PM_DIR:
			for (k = 0; k < sizeof pm_dirs / sizeof pm_dirs[0];
			    k++)
				if ((size_t)(e - v) == strlen(pm_dirs[k].word)
				    && starts(v, e, pm_dirs[k].word))
					out->direction = pm_dirs[k].dir;
			break;
		case PM_REASON:
			out->dropped = 1;
			copy_text(out->drop_reason, sizeof out->drop_reason,
			    v, e);
			break;
		case PM_LOCATION:
			out->dropped = 1;
			copy_text(out->drop_location,
			    sizeof out->drop_location, v, e);
			break;
		}
		return;
	}
}

int
dt_pktmon_parse(const char *s, size_t n, struct dt_pktmon_meta *out)
{
	const char *p = s, *end, *b, *e;

	memset(out, 0, sizeof *out);
	if (s == NULL || memmem(s, n, "PktGroupId", 10) == NULL)
		return 0;
	end = s + n;
	while (p < end && is_space(*p))
		p++;
	if (starts(p, end, "Drop:")) {
		out->dropped = 1;
		p += 5;
	}
	while (p < end) {
		b = p;
		while (p < end && *p != ',')
			p++;
		e = p;
		if (p < end)
			p++;		/* the comma */
		trim(&b, &e);
		if (b < e)
			pm_field(out, b, e);
	}
	return out->present;
}

struct dt_pktmon_seen {
	struct {
		uint64_t group;
		int64_t time;		/* of the first sighting */
		uint32_t number;
		uint32_t used;
	} slot[DT_PKTMON_SLOTS];
};

int
dt_pktmon_seen(struct dt_pktmon_seen **tab, struct dt_mem *m, uint64_t group,
    uint32_t number, int64_t t, int64_t window)
{
	struct dt_pktmon_seen *s = *tab;
	uint64_t h;
	int64_t d;
	size_t i;

	if (s == NULL) {
		if ((s = dt_calloc(m, 1, sizeof *s)) == NULL)
			return -1;
		*tab = s;
	}
	h = group * UINT64_C(0x9e3779b97f4a7c15) ^
	    (uint64_t)number * UINT64_C(0xc2b2ae3d27d4eb4f);
	h ^= h >> 29;
	i = h & (DT_PKTMON_SLOTS - 1);
	if (s->slot[i].used && s->slot[i].group == group &&
	    s->slot[i].number == number &&
	    !__builtin_sub_overflow(t, s->slot[i].time, &d) && d <= window)
		return 1;
	s->slot[i].used = 1;
	s->slot[i].group = group;
	s->slot[i].number = number;
	s->slot[i].time = t;
	return 0;
}

void
dt_pktmon_seen_free(struct dt_pktmon_seen *tab, struct dt_mem *m)
{
	dt_free(m, tab);
}
