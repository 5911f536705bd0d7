/*
 * net/wifi: 802.11 link layers down to the EtherType their LLC/SNAP
 * header carries. Native 802.11 (LINKTYPE_IEEE802_11, 105) as netsh and
 * pktmon log it on a Wi-Fi client, and the pseudo-headers that put it in
 * pcap files: radiotap (127) and PPI (192). net.c decodes what follows the
 * EtherType as for any other link.
 */
#ifndef DT_NET_WIFI_H
#define DT_NET_WIFI_H

#include "util/rd.h"

enum dt_wifi_result {
	DT_WIFI_NOT_IP = 0,	/* management, control, null data, not SNAP */
	DT_WIFI_TRUNCATED = -1,	/* the snapshot length cut the headers */
	DT_WIFI_MALFORMED = -2,	/* *why says what */
	DT_WIFI_PROTECTED = -3,	/* a data frame encrypted on the air */
};

/*
 * Moves r past the link headers of linktype (105, 127 or 192) and the
 * LLC/SNAP header; returns the EtherType (> 0), or an enum dt_wifi_result
 * with *why set for TRUNCATED and MALFORMED (static text).
 */
int dt_wifi_ethertype(struct rd *r, int linktype, const char **why);

#endif
