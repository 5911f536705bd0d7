/*
 * Fuzz target for capture/: any bytes through dt_reader_open_mem(), every
 * packet read; frame numbers must go up by one and caplen stay inside the
 * record. Covers the pcap path (libpcap over fmemopen) and our pcapng
 * reader, pktmon comments and the BPF filter per link type.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/capture.h"
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
	struct dt_filter *f = NULL;
	struct dt_packet p;
	char eb[256];
	uint64_t eo, frame = 0, off;
	unsigned warns = 0;
	volatile uint8_t sink = 0;

	dt_mem_init(&m, NULL, NULL, 256u << 20);
	if (dt_reader_open_mem(&r, &m, data, size, eb, sizeof eb, &eo) != 0) {
		assert(r == NULL && m.used == 0);
		return 0;
	}
	dt_reader_set_warn(r, on_warn, &warns);
	(void)dt_filter_new(&f, &m, "tcp port 443", eb, sizeof eb);
	while (dt_reader_next(r, &p) == 0) {
		assert(p.frame == ++frame);
		assert(p.caplen <= size);
		assert(p.offset < size);
		if (p.caplen > 0)
			sink ^= p.data[0] ^ p.data[p.caplen - 1];
		if (p.comment != NULL && p.comment_len > 0)
			sink ^= (uint8_t)p.comment[p.comment_len - 1];
		if (p.iface_name != NULL)
			sink ^= (uint8_t)strlen(p.iface_name);
		if (f != NULL)
			(void)dt_filter_match(f, &p, eb, sizeof eb);
	}
	if (dt_reader_error(r, &off) != NULL)
		assert(off <= size);
	assert(dt_reader_pos(r) <= size);
	dt_filter_free(f);
	dt_reader_close(r);
	assert(m.used == 0);
	(void)sink;
	return 0;
}
