/*
 * datrace --export-inner FILE.pcapng: the IPv6 packets carried inside
 * IP-HTTPS tunnels (MS-IPHTTPS 3.1.5.3), as the library hands them over
 * (dt_analyzer_set_inner_packets), written by the library's pcapng writer
 * (dt_pcapng_writer, the one --export uses) as one interface of link type
 * LINKTYPE_IPV6 (229) with nanosecond timestamps taken from the outer
 * segments; each packet's comment names the outer frame that completed
 * it, so Wireshark's IKE, DNS and Kerberos dissectors can take over and
 * every packet still points back to the capture.
 */
#include "export_inner.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LINKTYPE_IPV6	229

struct inner_export *inner_export_active;

int
inner_export_open(struct inner_export *x, const char *path)
{
	int rc;

	memset(x, 0, sizeof *x);
	pthread_mutex_init(&x->lock, NULL);
	if ((x->fp = fopen(path, "wb")) == NULL)
		return -1;
	if ((rc = dt_pcapng_writer_new(&x->w, x->fp, LINKTYPE_IPV6)) != 0) {
		fclose(x->fp);
		x->fp = NULL;
		errno = rc == DT_ENOMEM ? ENOMEM : EIO;
		return -1;
	}
	return 0;
}

void
inner_export_packet(uint32_t conn, int dir, uint64_t frame, int64_t time_ns,
    const uint8_t *p, size_t n, void *payload)
{
	struct inner_export *x = payload;
	char comment[128];

	if (n > 0xffff + 40)
		return;
	snprintf(comment, sizeof comment, "outer frame %llu (connection %u, "
	    "%s)", (unsigned long long)frame, conn, dir == 0 ?
	    "client to server" : "server to client");
	pthread_mutex_lock(&x->lock);
	if (dt_pcapng_writer_packet(x->w, time_ns, p, n, comment) == 0)
		x->packets++;
	pthread_mutex_unlock(&x->lock);
}

int
inner_export_close(struct inner_export *x)
{
	int err = dt_pcapng_writer_free(x->w) != 0;

	x->w = NULL;
	if (x->fp != NULL && fclose(x->fp) != 0)
		err = 1;
	x->fp = NULL;
	return err ? -1 : 0;
}
