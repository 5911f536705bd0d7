/*
 * capture/etl: Event Trace Log (.etl) files written by `netsh trace ...
 * capture=yes` (Microsoft-Windows-NDIS-PacketCapture) and `pktmon start
 * --capture` (Microsoft-Windows-PktMon), read natively. Internal to
 * capture/: reader.c reaches it through its formats[] entry, dt_capfmt_etl;
 * the tests and fuzz harness reach the header summary through
 * dt_etl_info().
 * Layout notes and sources: shared/research/etl-format.md.
 */
#ifndef DT_CAPTURE_ETL_H
#define DT_CAPTURE_ETL_H

#include <stddef.h>
#include <stdint.h>

#include "capture/etl_int.h"

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

/* NULL when r is not an ETL reader. */
const struct dt_etl_info *dt_etl_info(const struct dt_reader *r);

/* Whether an event of provider (as stored, or NULL) and id carries a
   packet the reader hands out as one (PktMon 160 FramePayload and 170
   FrameDropPayload, NDIS-PacketCapture 1001 and 1003 fragments). */
int dt_etl_packet_event(const uint8_t *provider, uint16_t id);

#endif
