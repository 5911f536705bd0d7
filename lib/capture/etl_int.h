/*
 * What the ETL container (etl.c) shares with its providers' decoders,
 * Microsoft-Windows-PktMon (etl_pktmon.c) and Microsoft-Windows-NDIS-
 * PacketCapture (etl_ndis.c): a decoded packet waiting for the reorder
 * heap, the interfaces both kinds of packet are numbered in, and the
 * decoder entry points. A decoder never calls the container: it hands a
 * packet back (struct etl_out) and the container files it.
 */
#ifndef DT_CAPTURE_ETL_INT_H
#define DT_CAPTURE_ETL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/capture_int.h"
#include "util/rd.h"

#define DT_ETL_BUFHDR 0x48u		/* WMI_BUFFER_HEADER */
#define DT_ETL_MAX_BUFFER (64u * 1024 * 1024)	/* one buffer, in file and filled */
#define DT_ETL_MAX_PACKET (256u * 1024)	/* one stitched NDIS packet */
#define DT_ETL_WINDOW (64u * 1024 * 1024)	/* reorder window, bytes */
#define DT_ETL_MAX_RATIO 128		/* XPRESS output per input byte */
#define DT_ETL_MAX_NDIS_IFACES 256
#define DT_ETL_NDIS_DUP_NS 10000000	/* miniport vs filter copy of a frame */

#define LT_ETHERNET	1
#define LT_RAW		101
#define LT_80211	105

enum { SRC_NDIS = 0, SRC_PKTMON = 1 };

struct etl_pkt {
	int64_t time;			/* ns since 1970 */
	uint64_t seq;			/* decode order, ties in time */
	uint64_t offset;		/* record (or compressed buffer) offset */
	uint8_t *data;			/* owned, caplen bytes */
	uint32_t caplen, origlen;
	uint32_t iface;
	uint16_t linktype;
	uint8_t dir, src, dropped;
	uint16_t comp;			/* pktmon component */
	uint32_t mini, lower;		/* NDIS interface indexes */
	uint64_t group;			/* pktmon */
	uint16_t number, appearance, edge, filter;
	uint32_t reason, location;
};

/* A packet a decoder hands back: the fields, and len bytes at data (valid
   until the decoder is called again). */
struct etl_out {
	struct etl_pkt pkt;
	const uint8_t *data;
	size_t len;
};

/* The interfaces of the file, in order of first packet. */
struct etl_iface {
	int src;
	uint32_t mini, lower;		/* NDIS */
	int linktype;
	uint16_t comp;			/* pktmon */
	char name[80];
};

struct etl_ifaces {
	struct etl_iface *v;
	size_t n, cap;
};

/* Index of the new interface, or -1 when memory is refused. */
static inline int
etl_iface_add(struct dt_mem *m, struct etl_ifaces *t, const struct etl_iface *f)
{
	struct etl_iface *nv;
	size_t ncap;

	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 16;
		if ((nv = dt_realloc(m, t->v, ncap * sizeof *nv)) == NULL)
			return -1;
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n++] = *f;
	return (int)(t->n - 1);
}

/*
 * Where an 802.11 data frame's LLC/SNAP header is (24 bytes of header, 30
 * with a fourth address, +2 QoS, +4 HT Control), or 0 when d is no data
 * frame carrying one (a null frame, a later fragment, an encrypted body).
 * The Protected bit is not looked at: Windows leaves it on the frames it
 * decrypted (net/wifi.c). What the two decoders compare a Wi-Fi sighting
 * of a packet by.
 */
static inline size_t
etl_wifi_snap_at(const uint8_t *d, size_t n)
{
	static const uint8_t snap[3] = { 0xaa, 0xaa, 0x03 };
	size_t h = 24;

	if (n < 2 || (d[0] & 0x0f) != 0x08)
		return 0;
	if ((d[1] & 3) == 3)
		h += 6;
	if (d[0] & 0x80)
		h += (d[1] & 0x80) ? 6 : 2;
	return n >= h + 8 && memcmp(d + h, snap, 3) == 0 ? h : 0;
}

/* FNV-1a, 64 bits: the key of a sighting's bytes. */
static inline uint64_t
etl_fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* One event of a provider, as the container saw it. */
struct etl_event {
	unsigned id;
	uint64_t keyword;
	uint32_t tid;
	int64_t time;			/* ns since 1970 */
	uint64_t offset;		/* of the record */
};

/*
 * The decoders. Each keeps its state behind a pointer the container holds
 * (NULL until the first event; freed by the _free call). An event call
 * returns 1 with *out filled when a packet is complete, 0 when not (the
 * event was not a packet, or a malformed one, warned about), or DT_ENOMEM.
 */
struct etl_pm;
struct etl_ndis;

int dt_etl_pm_event(struct dt_reader *r, struct etl_pm **pm,
    struct etl_ifaces *ifs, const struct etl_event *ev, struct rd *u,
    struct etl_out *out);
/* A PktMon packet handed out: its metadata (component name, drop reason)
   into *meta; the component's name, or NULL. 1 when it is a later
   sighting of a packet, 0 when not, -1 on ENOMEM. */
int dt_etl_pm_deliver(struct dt_reader *r, struct etl_pm *pm,
    const struct etl_pkt *p, struct dt_pktmon_meta *meta,
    const char **iface_name);
uint32_t dt_etl_pm_components(const struct etl_pm *pm);
void dt_etl_pm_free(struct dt_mem *m, struct etl_pm *pm);

int dt_etl_ndis_event(struct dt_reader *r, struct etl_ndis **nd,
    struct etl_ifaces *ifs, const struct etl_event *ev, struct rd *u,
    struct etl_out *out);
/* An NDIS packet handed out: 1 when it is the copy of a frame just
   delivered from the same miniport at another layer. */
int dt_etl_ndis_deliver(struct etl_ndis *nd, const struct etl_pkt *p);
/* At the end of the file: packets whose last piece never came. */
void dt_etl_ndis_end(struct dt_reader *r, struct etl_ndis *nd);
void dt_etl_ndis_free(struct dt_mem *m, struct etl_ndis *nd);

/* utf16.c: a NUL-terminated UTF-16LE string (the end of the data ends it
   too) appended to dst as UTF-8 (dst may be NULL: skip it). */
void dt_utf16z(struct rd *r, char *dst, size_t dstlen, size_t *len);

#endif
