/*
 * datrace --export-inner FILE.pcapng: the IPv6 packets carried inside
 * IP-HTTPS tunnels (MS-IPHTTPS 3.1.5.3), as the library hands them over
 * (dt_analyzer_set_inner_packets), written as one pcapng interface of link
 * type LINKTYPE_IPV6 (229) with nanosecond timestamps (if_tsresol 9) taken
 * from the outer segments; each packet's comment names the outer frame
 * that completed it, so Wireshark's IKE, DNS and Kerberos dissectors can
 * take over and every packet still points back to the capture
 * (pcapng: draft-ietf-opsawg-pcapng, sections 4.1-4.3).
 */
#include "export_inner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct inner_export *inner_export_active;

static int
put(struct inner_export *x, const void *p, size_t n)
{
	if (x->err == 0 && fwrite(p, 1, n, x->fp) != n)
		x->err = 1;
	return x->err;
}

static void
put32(struct inner_export *x, uint32_t v)
{
	put(x, &v, 4);
}

static void
put16(struct inner_export *x, uint16_t v)
{
	put(x, &v, 2);
}

static void
pad(struct inner_export *x, size_t n)
{
	static const uint8_t zero[4];

	put(x, zero, (4 - n % 4) % 4);
}

int
inner_export_open(struct inner_export *x, const char *path)
{
	memset(x, 0, sizeof *x);
	pthread_mutex_init(&x->lock, NULL);
	if ((x->fp = fopen(path, "wb")) == NULL)
		return -1;
	/* Section Header Block */
	put32(x, 0x0A0D0D0A);
	put32(x, 28);
	put32(x, 0x1A2B3C4D);
	put16(x, 1);
	put16(x, 0);
	put32(x, 0xffffffff);
	put32(x, 0xffffffff);
	put32(x, 28);
	/* Interface Description Block: raw IPv6, if_tsresol 10^-9 */
	put32(x, 1);
	put32(x, 32);
	put16(x, 229);
	put16(x, 0);
	put32(x, 0);
	put16(x, 9);
	put16(x, 1);
	put32(x, 9);
	put32(x, 0);		/* opt_endofopt */
	put32(x, 32);
	return x->err ? -1 : 0;
}

void
inner_export_packet(uint32_t conn, int dir, uint64_t frame, int64_t time_ns,
    const uint8_t *p, size_t n, void *payload)
{
	struct inner_export *x = payload;
	char comment[128];
	size_t clen, total;
	uint64_t ts = time_ns < 0 ? 0 : (uint64_t)time_ns;

	if (n > 0xffff + 40)
		return;
	clen = (size_t)snprintf(comment, sizeof comment,
	    "outer frame %llu (connection %u, %s)", (unsigned long long)frame,
	    conn, dir == 0 ? "client to server" : "server to client");
	if (clen >= sizeof comment)
		clen = sizeof comment - 1;
	total = 28 + n + (4 - n % 4) % 4 + 4 + clen + (4 - clen % 4) % 4 + 4 +
	    4;
	pthread_mutex_lock(&x->lock);
	put32(x, 6);		/* Enhanced Packet Block */
	put32(x, (uint32_t)total);
	put32(x, 0);
	put32(x, (uint32_t)(ts >> 32));
	put32(x, (uint32_t)ts);
	put32(x, (uint32_t)n);
	put32(x, (uint32_t)n);
	put(x, p, n);
	pad(x, n);
	put16(x, 1);		/* opt_comment */
	put16(x, (uint16_t)clen);
	put(x, comment, clen);
	pad(x, clen);
	put32(x, 0);
	put32(x, (uint32_t)total);
	x->packets++;
	pthread_mutex_unlock(&x->lock);
}

int
inner_export_close(struct inner_export *x)
{
	int err = x->err;

	if (x->fp != NULL && fclose(x->fp) != 0)
		err = 1;
	x->fp = NULL;
	return err ? -1 : 0;
}
