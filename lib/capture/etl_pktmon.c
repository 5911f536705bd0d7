/*
 * Microsoft-Windows-PktMon events in an ETL file, as `pktmon start
 * --capture` writes them: 20 ComponentInfo (id, type, name, description),
 * 60 NdisMedium (a component's medium), 160 FramePayload and 170
 * FrameDropPayload (the packet, at one component, with its PktGroupId,
 * PktNumber, Appearance, DirTag, PacketType, Edge, Filter, DropReason and
 * DropLocation). Field layouts from the provider's manifest and
 * Microsoft's NetMon parser for PktMon (shared/research/etl-format.md).
 * pktmon logs a packet at every component it crosses: the later sightings
 * of a (PktGroupId, PktNumber) are marked duplicate through the table of
 * sightings the pcapng reader uses too (pktmon.c); where a build logs
 * Appearance 0 and a PktGroupId per sighting, by the packet's IP bytes.
 */
#include "capture/etl_int.h"

#include <string.h>

#include "datrace.h"

/* PktMon PacketType and NdisMedium to link type (etl2pcapng, NetMon parser). */
struct lt_map {
	int value;
	int linktype;
};

static const struct lt_map pm_ptypes[] = {
	{ 1, LT_ETHERNET }, { 2, LT_80211 }, { 3, LT_RAW },
}, pm_media[] = {
	{ 0, LT_ETHERNET }, { 16, LT_80211 }, { 19, LT_RAW },
};

/* PktMon DirTag (NetMon parser): only Rx/Tx say which way the host sees it. */
static const struct {
	int tag;
	int dir;
} pm_dirs[] = {
	{ 3, DT_DIR_IN }, { 4, DT_DIR_OUT },
};

struct etl_comp {
	uint16_t id, type;
	int medium;			/* -1: not told */
	int64_t iface;			/* -1: none yet */
	char name[64];
};

/*
 * Newer pktmon builds log Appearance 0 and give every sighting a PktGroupId
 * of its own (a per-processor sequence), so the key names no packet. For
 * those a sighting is known by its IP bytes instead: the first PM_KEY_MAX
 * bytes from the IP header on (an 802.11, Ethernet or raw-IP sighting of
 * one packet compares alike; a frame that is not IP, such as an 802.11
 * null frame or ARP, by its own bytes, link type and length), its IP
 * length and direction, at another component or edge than the sightings
 * so far, within PM_SEEN_NS of the first. The same bytes again at a point
 * that has logged them already are a new packet (a retransmission passes
 * the same components again), or a later sighting of an older packet of
 * those bytes that has not passed there yet (pktmon logs a batch at one
 * component, then at the next: a public Windows 11 trace, Dookisan/
 * stmcast_server_client, has two like IPv6 mDNS queries in one batch,
 * which made 309 packets too many when the newest key alone was asked).
 * The ring is PM_RING keys of PM_POINTS points: memory and the cost of a
 * sighting are bounded whatever the trace holds. A batch is as many
 * packets as an NDIS chain carries, more than a few dozen on a busy host,
 * and each must still be in the ring when its batch reaches the next
 * component: the ring holds 4,096, and a sighting asks only the keys of
 * its hash's bucket (newest first, each linked to the one before it in
 * the bucket, a link that the key's slot being reused since ends).
 */
#define PM_RING 4096			/* recent IP-byte keys */
#define PM_BUCKETS 1024			/* a power of two */
#define PM_POINTS 16			/* (component, edge) per key */
#define PM_KEY_MAX 64
#define PM_SEEN_NS 10000000		/* sightings: microseconds apart */

struct pm_key {
	uint64_t hash;
	int64_t time;			/* of the first sighting */
	uint64_t serial;		/* ring_n when it was made, 1-based */
	uint64_t prev_serial;		/* the bucket's key before it, or 0 */
	uint32_t iplen;
	uint8_t keylen, dir, n_points;
	uint32_t points[PM_POINTS];	/* component << 16 | edge */
};

/* The decoder's state: the components met so far. */
struct etl_pm {
	struct etl_comp *comps;
	size_t n_comps, cap_comps;
	uint32_t *comp_idx;		/* 65536: 1 + index into comps, 0 none */
	uint32_t n_named;		/* components with a name */
	struct dt_pktmon_seen *seen;
	struct pm_key *ring;		/* PM_RING, made on first use */
	uint64_t *bucket;		/* PM_BUCKETS: the newest key's
					   serial, or 0 */
	uint64_t ring_n;		/* keys made */
};

static int
table_linktype(const struct lt_map *t, size_t n, int value, int dflt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].linktype;
	return dflt;
}

static struct etl_comp *
comp_get(struct dt_mem *m, struct etl_pm *pm, uint16_t id, int create)
{
	struct etl_comp *c;
	size_t ncap;

	if (pm->comp_idx == NULL) {
		if (!create)
			return NULL;
		pm->comp_idx = dt_calloc(m, 65536, sizeof *pm->comp_idx);
		if (pm->comp_idx == NULL)
			return NULL;
	}
	if (pm->comp_idx[id] != 0)
		return &pm->comps[pm->comp_idx[id] - 1];
	if (!create)
		return NULL;
	if (pm->n_comps == pm->cap_comps) {
		ncap = pm->cap_comps ? pm->cap_comps * 2 : 64;
		c = dt_realloc(m, pm->comps, ncap * sizeof *c);
		if (c == NULL)
			return NULL;
		pm->comps = c;
		pm->cap_comps = ncap;
	}
	c = &pm->comps[pm->n_comps++];
	memset(c, 0, sizeof *c);
	c->id = id;
	c->medium = -1;
	c->iface = -1;
	pm->comp_idx[id] = (uint32_t)pm->n_comps;
	return c;
}

/* Event 20 ComponentInfo: Id, Type, Name, Description ("Name / Desc"). */
static int
pm_component(struct dt_reader *r, struct etl_pm *pm, struct rd *u,
    uint64_t off)
{
	struct etl_comp *c;
	uint16_t id, type;
	char name[64];
	size_t len = 0, nl;

	id = rd_u16le(u);
	type = rd_u16le(u);
	name[0] = '\0';
	dt_utf16z(u, name, sizeof name, &len);
	nl = len;
	if (len > 0 && len + 3 < sizeof name) {
		memcpy(name + len, " / ", 4);
		len += 3;
	}
	dt_utf16z(u, name, sizeof name, &len);
	if (len == nl + 3)
		name[nl] = '\0';	/* no description */
	if (!rd_ok(u)) {
		dt_reader_warnf(r, off, "PktMon component event is too short; "
		    "skipped");
		return 0;
	}
	if ((c = comp_get(r->m, pm, id, 1)) == NULL)
		return DT_ENOMEM;
	if (c->name[0] == '\0')
		pm->n_named++;
	c->type = type;
	memcpy(c->name, name, sizeof c->name);
	return 0;
}

/* Event 60 NdisMedium: ComponentId, Type, Value u16. */
static int
pm_medium(struct dt_reader *r, struct etl_pm *pm, struct rd *u, uint64_t off)
{
	struct etl_comp *c;
	uint16_t id, medium;

	id = rd_u16le(u);
	rd_skip(u, 2);
	medium = rd_u16le(u);
	if (!rd_ok(u)) {
		dt_reader_warnf(r, off, "PktMon medium event is too short; "
		    "skipped");
		return 0;
	}
	if ((c = comp_get(r->m, pm, id, 1)) == NULL)
		return DT_ENOMEM;
	c->medium = medium;
	return 0;
}

/*
 * An Ethernet frame labelled 802.11: pktmon logs the upper edge of some
 * filters bound to a Wi-Fi adapter (Npcap's, seen in a public Windows 11
 * trace) with PacketType WiFi while the bytes are the Ethernet frames the
 * Native WiFi filter made. Such a frame is no 802.11 data frame, and has
 * an IP EtherType with the IP version where Ethernet puts it.
 */
static int
ethernet_in_80211(const uint8_t *d, size_t n)
{
	if (n < 34 || etl_wifi_snap_at(d, n) != 0)
		return 0;
	switch (rd_be16(d + 12)) {
	case 0x0800:
		return d[14] >= 0x45 && d[14] <= 0x4f;
	case 0x86dd:
		return n >= 54 && (d[14] & 0xf0) == 0x60;
	}
	return 0;
}

/* Events 160 FramePayload and 170 FrameDropPayload. */
static int
pm_packet(struct dt_reader *r, struct etl_pm *pm, struct etl_ifaces *ifs,
    const struct etl_event *ev, struct rd *u, struct etl_out *out)
{
	struct etl_pkt *p = &out->pkt;
	struct etl_comp *c;
	struct etl_iface f;
	const uint8_t *payload;
	uint64_t group;
	uint16_t number, app, dirtag, ptype, comp, edge, filter, orig, logged;
	uint32_t reason, loc;
	int lt, ix;
	size_t i;

	group = rd_u64le(u);
	number = rd_u16le(u);
	app = rd_u16le(u);
	dirtag = rd_u16le(u);
	ptype = rd_u16le(u);
	comp = rd_u16le(u);
	edge = rd_u16le(u);
	filter = rd_u16le(u);
	reason = rd_u32le(u);
	loc = rd_u32le(u);
	orig = rd_u16le(u);
	logged = rd_u16le(u);
	payload = rd_bytes(u, logged);
	if (!rd_ok(u)) {
		dt_reader_warnf(r, ev->offset, "PktMon packet event is shorter "
		    "than its payload size %u; skipped", logged);
		return 0;
	}
	if ((c = comp_get(r->m, pm, comp, 1)) == NULL)
		return DT_ENOMEM;
	if (c->iface < 0) {
		memset(&f, 0, sizeof f);
		f.src = SRC_PKTMON;
		f.comp = comp;
		if ((ix = etl_iface_add(r->m, ifs, &f)) < 0)
			return DT_ENOMEM;
		c->iface = ix;
	}
	lt = table_linktype(pm_ptypes, sizeof pm_ptypes / sizeof pm_ptypes[0],
	    ptype, -1);
	if (lt < 0)
		lt = table_linktype(pm_media,
		    sizeof pm_media / sizeof pm_media[0], c->medium,
		    LT_ETHERNET);
	if (lt == LT_80211 && ethernet_in_80211(payload, logged))
		lt = LT_ETHERNET;
	memset(p, 0, sizeof *p);
	p->offset = ev->offset;
	p->time = ev->time;
	p->src = SRC_PKTMON;
	p->linktype = (uint16_t)lt;
	p->origlen = orig;
	p->iface = (uint32_t)c->iface;
	p->comp = comp;
	p->group = group;
	p->number = number;
	p->appearance = app;
	p->edge = edge;
	p->filter = filter;
	p->reason = reason;
	p->location = loc;
	p->dropped = ev->id == 170;
	for (i = 0; i < sizeof pm_dirs / sizeof pm_dirs[0]; i++)
		if (pm_dirs[i].tag == dirtag)
			p->dir = (uint8_t)pm_dirs[i].dir;
	out->data = payload;
	out->len = logged;
	return 1;
}

int
dt_etl_pm_event(struct dt_reader *r, struct etl_pm **state,
    struct etl_ifaces *ifs, const struct etl_event *ev, struct rd *u,
    struct etl_out *out)
{
	struct etl_pm *pm = *state;

	if (pm == NULL) {
		if ((pm = dt_calloc(r->m, 1, sizeof *pm)) == NULL)
			return DT_ENOMEM;
		*state = pm;
	}
	if (ev->id == 20)
		return pm_component(r, pm, u, ev->offset);
	if (ev->id == 60)
		return pm_medium(r, pm, u, ev->offset);
	if (ev->id == 160 || ev->id == 170)
		return pm_packet(r, pm, ifs, ev, u, out);
	return 0;
}

/*
 * PktMon DropReason names as Microsoft's NetMon parser for PacketMon
 * (etl_Microsoft-Windows-PktMon-Events.npl, 2018) lists them; newer builds
 * add reasons, which are shown by number.
 */
static const struct {
	uint32_t value;
	const char *name;
} pm_reasons[] = {
	{ 0, "Unspecified" }, { 1, "Invalid Data" }, { 2, "Invalid Packet" },
	{ 3, "Insufficient resources" }, { 4, "Adapter not ready" },
	{ 5, "Media Disconnected" }, { 6, "Not accepted" },
	{ 7, "Device busy" }, { 8, "Filtered" }, { 9, "Filtered VLAN" },
	{ 10, "Unauthorized VLAN" }, { 11, "Unauthorized MAC" },
	{ 12, "Failed security policy" }, { 13, "Failed pVlan setting" },
	{ 14, "QoS drop" }, { 15, "IPSec drop" },
	{ 16, "Spoofed MAC address is not allowed" },
	{ 17, "Failed DHCP guard" }, { 18, "Failed Router Guard" },
	{ 19, "Bridge is not allowed inside VM" },
	{ 20, "Virtual Subnet ID does not match" },
	{ 21, "Required vSwitch extension is missing" },
	{ 22, "Creating vSwitch over another vSwitch is not allowed" },
	{ 23, "MTU mismatch" }, { 24, "Native forwarding required" },
	{ 25, "Invalid VLAN format" }, { 26, "Invalid destination MAC" },
	{ 27, "Invalid source MAC" }, { 28, "First NB too small" },
	{ 29, "Windows Network Virtualization error" },
	{ 30, "Storm limit exceeded" },
	{ 31, "ICMP request injected by switch" },
	{ 32, "Failed to update destination list" },
	{ 33, "Destination NIC is disabled" },
	{ 34, "Packet does not match destination NIC packet filter" },
	{ 35, "vSwitch data flow is disabled" },
	{ 36, "Port isolation setting does not allow untagged traffic" },
	{ 37, "Invalid PD queue" }, { 38, "Adapter is in low power state" },
	{ 101, "Adapter paused" }, { 102, "Adapter reset in progress" },
	{ 103, "Send aborted" }, { 104, "Unsupported EtherType" },
	{ 201, "Microport error" }, { 202, "VF not ready" },
	{ 203, "Microport not ready" }, { 204, "VMBus error" },
};

static void
drop_reason(char *dst, size_t len, uint32_t reason)
{
	size_t i;

	for (i = 0; i < sizeof pm_reasons / sizeof pm_reasons[0]; i++)
		if (pm_reasons[i].value == reason) {
			snprintf(dst, len, "%s", pm_reasons[i].name);
			return;
		}
	snprintf(dst, len, "DropReason %u", reason);
}


/*
 * Where the IP header starts in a sighting: after an Ethernet header (and
 * its VLAN tags), after an 802.11 data header and its LLC/SNAP (the
 * Protected bit may stay set on decrypted frames, wifi.c), or at 0 for raw
 * IP; 0 with *ok clear when there is none to find.
 */
static size_t
ip_at(const struct etl_pkt *p, int *ok)
{
	const uint8_t *d = p->data;
	size_t h, n = p->caplen;
	uint16_t type;

	*ok = 0;
	if (p->linktype == LT_RAW) {
		*ok = 1;
		return 0;
	}
	if (p->linktype == LT_ETHERNET) {
		for (h = 12; h + 2 <= n; h += 4) {
			type = rd_be16(d + h);
			if (type != 0x8100 && type != 0x88a8)
				break;
		}
	} else if (p->linktype == LT_80211) {
		if ((h = etl_wifi_snap_at(d, n)) == 0)
			return 0;
		h += 6;
	} else
		return 0;
	if (h + 2 > n)
		return 0;
	type = rd_be16(d + h);
	*ok = type == 0x0800 || type == 0x86dd;
	return h + 2;
}

/* 1: p is another sighting of a packet by its IP bytes; 0: a new one;
   -1: out of memory. */
static int
seen_by_bytes(struct dt_mem *m, struct etl_pm *pm, const struct etl_pkt *p)
{
	const uint8_t *ip;
	struct pm_key *k;
	uint32_t iplen, point = (uint32_t)p->comp << 16 | p->edge;
	uint64_t h, *b, serial;
	int64_t dt;
	size_t at, avail, len, i;
	int ok;

	at = ip_at(p, &ok);
	ip = p->data + at;
	avail = p->caplen - at;
	if (!ok || avail < 20)
		iplen = 0;		/* not IP: the whole frame */
	else if (ip[0] >> 4 == 4)
		iplen = rd_be16(ip + 2);
	else if (ip[0] >> 4 == 6 && avail >= 40)
		iplen = 40u + rd_be16(ip + 4);
	else
		iplen = 0;
	if (iplen == 0) {
		ip = p->data;
		avail = p->caplen;
		iplen = UINT32_C(0x80000000) | (uint32_t)p->linktype << 16 |
		    (p->origlen & 0xffff);
	}
	len = avail < PM_KEY_MAX ? avail : PM_KEY_MAX;
	if (len > iplen)
		len = iplen;		/* not the Ethernet padding */
	if (len < 14)
		return 0;
	h = etl_fnv1a(ip, len);
	if (pm->ring == NULL) {
		pm->ring = dt_calloc(m, PM_RING, sizeof *pm->ring);
		pm->bucket = dt_calloc(m, PM_BUCKETS, sizeof *pm->bucket);
		if (pm->ring == NULL || pm->bucket == NULL)
			return -1;
	}
	b = &pm->bucket[h & (PM_BUCKETS - 1)];
	for (serial = *b; serial != 0; serial = k->prev_serial) {
		k = &pm->ring[(serial - 1) % PM_RING];
		if (k->serial != serial)
			break;		/* its slot was reused: older ones too */
		if (k->hash != h || k->keylen != len || k->iplen != iplen ||
		    k->dir != p->dir || p->time < k->time ||
		    __builtin_sub_overflow(p->time, k->time, &dt) ||
		    dt > PM_SEEN_NS)
			continue;
		for (i = 0; i < k->n_points; i++)
			if (k->points[i] == point)
				break;
		if (i < k->n_points)
			continue;	/* logged here: another packet's */
		if (k->n_points < PM_POINTS)
			k->points[k->n_points++] = point;
		return 1;
	}
	k = &pm->ring[pm->ring_n++ % PM_RING];
	k->serial = pm->ring_n;
	k->prev_serial = *b;
	*b = pm->ring_n;
	k->hash = h;
	k->time = p->time;
	k->iplen = iplen;
	k->keylen = (uint8_t)len;
	k->dir = p->dir;
	k->n_points = 1;
	k->points[0] = point;
	return 0;
}

int
dt_etl_pm_deliver(struct dt_reader *r, struct etl_pm *pm,
    const struct etl_pkt *p, struct dt_pktmon_meta *meta,
    const char **iface_name)
{
	const struct etl_comp *c;
	int dup;

	dup = dt_pktmon_seen(&pm->seen, r->m, p->group, p->number, p->time,
	    DT_PKTMON_DUP_WINDOW_NS);
	if (dup == 0 && p->appearance == 0)
		dup = seen_by_bytes(r->m, pm, p);
	c = comp_get(r->m, pm, p->comp, 0);
	memset(meta, 0, sizeof *meta);
	meta->present = 1;
	meta->component = p->comp;
	*iface_name = NULL;
	if (c != NULL && c->name[0] != '\0') {
		snprintf(meta->component_name, sizeof meta->component_name,
		    "%s", c->name);
		*iface_name = c->name;
	}
	meta->edge = p->edge;
	meta->group_id = p->group;
	meta->pkt_number = p->number;
	meta->appearance = p->appearance;
	meta->direction = p->dir;
	meta->dropped = p->dropped;
	if (p->dropped) {
		drop_reason(meta->drop_reason, sizeof meta->drop_reason,
		    p->reason);
		snprintf(meta->drop_location, sizeof meta->drop_location,
		    "0x%08X", p->location);
	}
	return dup;
}

uint32_t
dt_etl_pm_components(const struct etl_pm *pm)
{
	return pm != NULL ? pm->n_named : 0;
}

void
dt_etl_pm_free(struct dt_mem *m, struct etl_pm *pm)
{
	if (pm == NULL)
		return;
	dt_pktmon_seen_free(pm->seen, m);
	dt_free(m, pm->ring);
	dt_free(m, pm->bucket);
	dt_free(m, pm->comps);
	dt_free(m, pm->comp_idx);
	dt_free(m, pm);
}
