/*
 * Fuzz target for capture/etl: any bytes through dt_reader_open_mem() (an
 * ETL file is told by its first buffer), every packet read. Frame numbers
 * go up by one, times never go back (packets are sorted), lengths stay
 * inside what an ETL buffer can hold, and memory is returned. Covers the
 * buffer walker, XPRESS buffers, every header kind, both providers'
 * payloads, NDIS stitching and pktmon/NDIS deduplication. Seeds in
 * corpus/etl: writer-made files (written by test_etl with ETL_SEEDS=dir;
 * the real sample stays in the shared corpus, not in the repository).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "capture/etl.h"
#include "datrace.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_warn(void *payload, uint64_t off, const char *msg)
{
	(void)off;
	(*(unsigned *)payload) += msg[0] != '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet p;
	char eb[256];
	uint64_t eo, frame = 0;
	int64_t last = INT64_MIN;
	unsigned warns = 0;
	volatile uint8_t sink = 0;

	dt_mem_init(&m, NULL, NULL, 256u << 20);
	if (dt_reader_open_mem(&r, &m, data, size, eb, sizeof eb, &eo) != 0) {
		assert(r == NULL && m.used == 0);
		return 0;
	}
	dt_reader_set_warn(r, on_warn, &warns);
	while (dt_reader_next(r, &p) == 0) {
		assert(p.frame == ++frame);
		if (dt_etl_info(r) != NULL) {
			assert(p.time >= last);
			assert(p.caplen <= DT_ETL_MAX_PACKET);
			assert(p.origlen >= p.caplen);
		}
		last = p.time;
		if (p.caplen > 0)
			sink ^= p.data[0] ^ p.data[p.caplen - 1];
		if (p.pktmon != NULL)
			sink ^= (uint8_t)p.pktmon->component_name[0];
		if (p.iface_name != NULL)
			sink ^= (uint8_t)p.iface_name[0];
	}
	(void)sink;
	dt_reader_close(r);
	assert(m.used == 0);
	return 0;
}
