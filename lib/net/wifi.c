/*
 * 802.11 data frames to their EtherType (IEEE Std 802.11-2020, 9.2 MAC
 * frame formats; RFC 1042 LLC/SNAP encapsulation, 802.1H bridge tunnel).
 * The header is 24 bytes, 30 with a fourth address (to and from the DS),
 * 2 more for QoS data subtypes, 4 more for the HT Control field of a QoS
 * frame with the +HTC/Order bit. A frame with the Protected bit is
 * encrypted on the air (WEP, TKIP, CCMP, GCMP): named, not decoded,
 * unless its body is plainly LLC/SNAP (Windows' decrypted frames); a
 * non-first fragment carries no LLC header. Radiotap
 * (https://www.radiotap.org, "it_len" little-endian) and PPI (CACE
 * Technologies' Per-Packet Information header, pph_len and pph_dlt
 * little-endian) are skipped by their own lengths.
 */
#include "net/wifi.h"

#include <string.h>

#define FC_TYPE_DATA	2
#define FC_TO_DS	0x01
#define FC_FROM_DS	0x02
#define FC_PROTECTED	0x40
#define FC_ORDER	0x80		/* +HTC in QoS data frames */
#define SUB_QOS		0x08
#define SUB_NULL	0x04

#define LT_ETHERNET	1
#define LT_80211	105
#define LT_RADIOTAP	127
#define LT_PPI		192

static int
fault(const char **why, int kind, const char *text)
{
	*why = text;
	return kind;
}

/* An RFC 1042 or 802.1H LLC/SNAP header and its EtherType at r: AA AA
   03, then OUI 00-00-00 or 00-00-F8. */
static int
llc_snap(const struct rd *r)
{
	static const uint8_t rfc1042[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };
	static const uint8_t bridge[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0xf8 };

	return r->n >= 8 && (memcmp(r->p, rfc1042, 6) == 0 ||
	    memcmp(r->p, bridge, 6) == 0);
}

static int
ieee80211(struct rd *r, const char **why)
{
	struct rd q = *r;
	uint8_t fc0, fc1, type, sub;
	uint16_t seqctl;
	size_t hlen = 24;

	if (r->n < 2)
		return fault(why, DT_WIFI_TRUNCATED, "802.11 header cut by "
		    "snaplen");
	fc0 = rd_u8(&q);
	fc1 = rd_u8(&q);
	if ((fc0 & 3) != 0)
		return fault(why, DT_WIFI_MALFORMED, "802.11 protocol version "
		    "is not 0");
	type = (uint8_t)(fc0 >> 2 & 3);
	sub = (uint8_t)(fc0 >> 4);
	if (type != FC_TYPE_DATA || (sub & SUB_NULL))
		return DT_WIFI_NOT_IP;	/* management, control, no data */
	if ((fc1 & (FC_TO_DS | FC_FROM_DS)) == (FC_TO_DS | FC_FROM_DS))
		hlen += 6;
	if (sub & SUB_QOS) {
		hlen += 2;
		if (fc1 & FC_ORDER)
			hlen += 4;
	}
	if (r->n < hlen)
		return fault(why, DT_WIFI_TRUNCATED, "802.11 header cut by "
		    "snaplen");
	rd_skip(r, 22);
	seqctl = rd_u16le(r);
	rd_skip(r, hlen - 24);
	/*
	 * Windows logs Native 802.11 frames after the miniport decrypted
	 * them, with the Protected bit still set (netsh, pktmon, and
	 * etl2pcapng's pcapng of them): the body then starts with the
	 * LLC/SNAP header in the clear. No cipher's header can begin so:
	 * CCMP's and GCMP's third byte is reserved zero (here 03), TKIP's
	 * second has bit 7 clear (here AA), and a WEP IV of AA AA 03 with
	 * two encrypted bytes of zero is a 2^-40 chance. Such a frame is
	 * read; any other protected one is encrypted.
	 */
	if ((fc1 & FC_PROTECTED) && ((seqctl & 0xf) != 0 || !llc_snap(r)))
		return DT_WIFI_PROTECTED;
	if ((seqctl & 0xf) != 0)
		return DT_WIFI_NOT_IP;	/* a later fragment: no LLC */
	if (r->n < 8)
		return r->n == 0 ? DT_WIFI_NOT_IP : fault(why,
		    DT_WIFI_TRUNCATED, "802.2 LLC/SNAP header cut by snaplen");
	if (!llc_snap(r))
		return DT_WIFI_NOT_IP;
	rd_skip(r, 6);
	return rd_u16(r);
}

/* Radiotap: version 0, a pad byte, the header's own length. */
static int
radiotap(struct rd *r, const char **why)
{
	uint16_t len;

	if (r->n < 8)
		return fault(why, DT_WIFI_TRUNCATED, "radiotap header cut by "
		    "snaplen");
	if (rd_u8(r) != 0)
		return fault(why, DT_WIFI_MALFORMED, "radiotap version is not "
		    "0");
	rd_skip(r, 1);
	len = rd_u16le(r);
	if (len < 8)
		return fault(why, DT_WIFI_MALFORMED, "radiotap length is less "
		    "than 8");
	if ((size_t)len - 4 > r->n)
		return fault(why, DT_WIFI_TRUNCATED, "radiotap header cut by "
		    "snaplen");
	rd_skip(r, len - 4u);
	return ieee80211(r, why);
}

/* PPI: version 0, flags, length, the link type that follows. */
static int
ppi(struct rd *r, const char **why)
{
	uint16_t len, type;
	uint32_t dlt;

	if (r->n < 8)
		return fault(why, DT_WIFI_TRUNCATED, "PPI header cut by "
		    "snaplen");
	if (rd_u8(r) != 0)
		return fault(why, DT_WIFI_MALFORMED, "PPI version is not 0");
	rd_skip(r, 1);
	len = rd_u16le(r);
	dlt = rd_u32le(r);
	if (len < 8)
		return fault(why, DT_WIFI_MALFORMED, "PPI length is less than "
		    "8");
	if ((size_t)len - 8 > r->n)
		return fault(why, DT_WIFI_TRUNCATED, "PPI header cut by "
		    "snaplen");
	rd_skip(r, len - 8u);
	if (dlt == LT_80211)
		return ieee80211(r, why);
	if (dlt == LT_ETHERNET) {
		if (r->n < 14)
			return fault(why, DT_WIFI_TRUNCATED, "Ethernet header "
			    "cut by snaplen");
		rd_skip(r, 12);
		type = rd_u16(r);
		return type >= 0x0600 ? type : DT_WIFI_NOT_IP;
	}
	return DT_WIFI_NOT_IP;
}

int
dt_wifi_ethertype(struct rd *r, int linktype, const char **why)
{
	*why = NULL;
	if (linktype == LT_RADIOTAP)
		return radiotap(r, why);
	if (linktype == LT_PPI)
		return ppi(r, why);
	return ieee80211(r, why);
}
