/*
 * capture/etl: Event Trace Log (.etl) files written by `netsh trace ...
 * capture=yes` (Microsoft-Windows-NDIS-PacketCapture) and `pktmon start
 * --capture` (Microsoft-Windows-PktMon), read natively. Internal to
 * capture/: reader.c dispatches to it when the content looks like ETL; the
 * tests and fuzz harness reach the header summary through dt_etl_info().
 * Layout notes and sources: shared/research/etl-format.md.
 */
#ifndef DT_CAPTURE_ETL_H
#define DT_CAPTURE_ETL_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture_int.h"

#define DT_ETL_BUFHDR 0x48u		/* WMI_BUFFER_HEADER */
#define DT_ETL_MAX_BUFFER (64u * 1024 * 1024)	/* one buffer, in file and filled */
#define DT_ETL_MAX_PACKET (256u * 1024)	/* one stitched NDIS packet */
#define DT_ETL_WINDOW (64u * 1024 * 1024)	/* reorder window, bytes */
#define DT_ETL_MAX_RATIO 128		/* XPRESS output per input byte */
#define DT_ETL_MAX_NDIS_IFACES 256
#define DT_ETL_DUP_WINDOW_NS 1000000000	/* pktmon sightings of one packet */
#define DT_ETL_NDIS_DUP_NS 10000000	/* miniport vs filter copy of a frame */

/* What the logfile header said (for tests and diagnostics). */
struct dt_etl_info {
	int pointer_size;		/* 4 or 8 */
	uint32_t build;			/* ProviderVersion */
	uint32_t n_cpus;
	uint32_t log_mode;		/* LogFileMode */
	uint32_t buffers_written;
	uint32_t clock;			/* 1 QPC, 2 system time, 3 CPU cycles */
	uint64_t perf_freq;
	uint32_t cpu_mhz;
	int64_t start_ns, end_ns;	/* StartTime/EndTime, ns since 1970 */
	char logger[64];		/* LoggerName, UTF-8 */
	/* filled while reading */
	uint32_t n_buffers, n_compressed, n_components;
	uint64_t n_events;		/* packet events decoded */
};

/*
 * Called by the reader's open with the first bytes in r->peek and the
 * source (r->mem or r->fp after the peeked bytes). Returns 1 when the
 * content is not ETL, 0 when the logfile header was read, or DT_ENOMEM,
 * DT_EIO, DT_EFORMAT with the fault in r->err/r->err_off.
 */
int dt_etl_open(struct dt_reader *r);
int dt_etl_next(struct dt_reader *r, struct dt_packet *pkt);
void dt_etl_free(struct dt_reader *r);
/* NULL when r is not an ETL reader. */
const struct dt_etl_info *dt_etl_info(const struct dt_reader *r);

#endif
