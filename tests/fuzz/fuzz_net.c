/*
 * Fuzz harness for net/: the input is a sequence of packets, each
 * [link selector][seconds since the previous, 0xfe/0xff: the extremes]
 * [length, 2 bytes BE][bytes],
 * decoded by one struct dt_net so that fragments meet, overlap, hit the caps
 * and time out. Each packet is copied to a buffer of its exact size so a
 * sanitizer sees any read past it. Checked: a payload lies inside the packet
 * or is a reassembled datagram whose every byte can be read; caplen <=
 * paylen; failures carry a reason; memory stays under the fragment cap;
 * and the same packets decoded again by a second decoder give the same
 * results (status, addresses, ports, TCP fields, payload bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

#define FRAG_CAP	(64 * 1024)

static const int linktypes[] = {
	1, 1, 1, 1, 0, 9, 12, 14, 50, 51, 101, 104, 108, 113, 228, 229, 276,
	105, 127, 192,	/* 802.11, radiotap, PPI */
	253,		/* unsupported */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* A hash of what decoding said about one packet. */
static uint64_t
summary(uint64_t h, const struct dt_l4 *l4)
{
	uint32_t v[12];

	v[0] = (uint32_t)l4->status;
	v[1] = l4->ttl;
	v[2] = l4->proto;
	v[3] = l4->sport;
	v[4] = l4->dport;
	v[5] = l4->seq;
	v[6] = l4->ack;
	v[7] = l4->flags;
	v[8] = l4->window;
	v[9] = l4->caplen;
	v[10] = l4->paylen;
	v[11] = (uint32_t)l4->fragmented;
	h = mix(h, v, sizeof v);
	h = mix(h, &l4->src, sizeof l4->src);
	h = mix(h, &l4->dst, sizeof l4->dst);
	if (l4->reason != NULL)
		h = mix(h, l4->reason, strlen(l4->reason));
	if ((l4->status == DT_L4_TCP || l4->status == DT_L4_UDP ||
	    l4->status == DT_L4_OTHER_IP) && l4->caplen > 0)
		h = mix(h, l4->payload, l4->caplen);
	return h;
}

static void
check(const struct dt_l4 *l4, const uint8_t *pkt, size_t len)
{
	volatile uint8_t sink = 0;
	uint32_t i;

	switch (l4->status) {
	case DT_L4_TCP:
	case DT_L4_UDP:
	case DT_L4_OTHER_IP:
		if (l4->caplen > l4->paylen)
			abort();
		if (l4->caplen == 0)
			break;
		if (l4->payload == NULL)
			abort();
		if (!l4->fragmented) {
			/* Compare as integers: no pointer arithmetic past
			   the packet. */
			uintptr_t p = (uintptr_t)l4->payload;
			uintptr_t b = (uintptr_t)pkt;

			if (p < b || p - b > len || l4->caplen > len - (p - b))
				abort();
		}
		for (i = 0; i < l4->caplen; i++)
			sink ^= l4->payload[i];
		break;
	case DT_L4_MALFORMED:
	case DT_L4_TRUNCATED:
	case DT_L4_PROTECTED_80211:
		if (l4->reason == NULL)
			abort();
		break;
	case DT_L4_NOT_IP:
	case DT_L4_FRAGMENT:
	case DT_L4_UNSUPPORTED_LINK:
		break;
	default:
		abort();
	}
	(void)sink;
}

static uint64_t
run(const uint8_t *data, size_t size)
{
	struct dt_mem mem;
	struct dt_net *n;
	int64_t now = 0;
	size_t pos = 0;
	uint64_t h = 0xcbf29ce484222325ull;

	dt_mem_init(&mem, NULL, NULL, 0);
	if (dt_net_new(&n, &mem, FRAG_CAP) != 0)
		abort();
	while (size - pos >= 4) {
		struct dt_packet pkt;
		struct dt_l4 l4;
		size_t len;
		uint8_t *copy;

		memset(&pkt, 0, sizeof pkt);
		pkt.linktype = linktypes[data[pos] %
		    (sizeof linktypes / sizeof linktypes[0])];
		/* Capture time: steps of 0..253 s, or the extremes a
		   damaged file can hold. */
		if (data[pos + 1] == 0xff)
			now = INT64_MAX;
		else if (data[pos + 1] == 0xfe)
			now = INT64_MIN;
		else if (now > INT64_MAX - (int64_t)data[pos + 1] * 1000000000)
			now = INT64_MIN;
		else
			now += (int64_t)data[pos + 1] * 1000000000;
		len = (size_t)data[pos + 2] << 8 | data[pos + 3];
		pos += 4;
		if (len > size - pos)
			len = size - pos;
		if ((copy = malloc(len ? len : 1)) == NULL)
			break;
		memcpy(copy, data + pos, len);
		pos += len;
		pkt.data = copy;
		pkt.caplen = pkt.origlen = (uint32_t)len;
		pkt.time = now;
		dt_net_decode(n, &pkt, &l4);
		check(&l4, copy, len);
		h = summary(h, &l4);
		/* Held fragments stay under the cap (plus the handle, and a
		   completed datagram handed out). */
		if (mem.used > FRAG_CAP + 2 * 65536 + 4096)
			abort();
		free(copy);
	}
	h = mix(h, &(uint64_t){ dt_net_fragments_dropped(n) }, 8);
	dt_net_free(n);
	if (mem.used != 0)
		abort();
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (run(data, size) != run(data, size))
		abort();	/* the same packets decoded differently */
	return 0;
}
