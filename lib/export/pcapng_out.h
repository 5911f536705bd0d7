/*
 * export/pcapng_out: the pcapng blocks an export writes (Section Header,
 * Interface Description, Enhanced Packet with options) in host byte
 * order, which the Section Header's magic tells readers. Format: draft-ietf-opsawg-pcapng (sections 4.1-4.3, options 3.5).
 * A failed write is sticky: later calls do nothing and `err` keeps the
 * errno of the first failure, so a caller checks once at the end.
 */
#ifndef DT_EXPORT_PCAPNG_OUT_H
#define DT_EXPORT_PCAPNG_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct dt_png {
	FILE *fp;
	int err;		/* errno of the first failed write, 0: none */
};

struct dt_png_opt {
	uint16_t code;		/* 1 opt_comment, 2 epb_flags, 2 if_name... */
	const void *p;
	size_t len;		/* cut to 65532 */
};

#define DT_PNG_OPT_COMMENT	1
#define DT_PNG_EPB_FLAGS	2	/* bits 0-1: 1 inbound, 2 outbound */

/* A section: shb_userappl names the writer. */
void dt_png_shb(struct dt_png *o, const char *userappl);
/* An interface of link type lt, nanosecond times (if_tsresol 9), no
   snap length, named name when not NULL. */
void dt_png_idb(struct dt_png *o, int lt, const char *name);
/* A packet on interface iface; time in ns since 1970 (clamped at 0). */
void dt_png_epb(struct dt_png *o, uint32_t iface, int64_t time_ns,
    const void *data, uint32_t caplen, uint32_t origlen,
    const struct dt_png_opt *opt, size_t n_opt);

#endif
