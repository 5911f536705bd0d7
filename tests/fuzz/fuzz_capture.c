/*
 * Fuzz target for capture/: any bytes through dt_reader_open_mem(), every
 * packet read; frame numbers must go up by one and caplen stay inside the
 * record. Covers the pcap path (libpcap over fmemopen) and our pcapng
 * reader, pktmon comments and the BPF filter per link type. Invariants:
 * what is consumed stays inside the input (record offsets, the reader's
 * position, an error's offset), memory comes back, and reading the same
 * bytes twice gives the same packets, warnings and error (a hash of all),
 * the second time through dt_reader_open_stream() in pieces of 1 to 64
 * bytes (sizes taken from the input), as an archive member is read, and a
 * third time so, read ahead by the reader's thread (capture/ahead.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "datrace.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sum {
	uint64_t h;		/* FNV-1a over everything read */
	unsigned warns;
};

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_capture: invariant broken: %s\n", what);
		abort();
	}
}

static void
mix(struct sum *s, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		s->h = (s->h ^ b[i]) * 0x100000001b3ull;
}

static void
mix_u64(struct sum *s, uint64_t x)
{
	mix(s, &x, sizeof x);
}

static void
on_warn(void *payload, uint64_t off, const char *msg)
{
	struct sum *s = payload;

	s->warns++;
	mix_u64(s, off);
	mix(s, msg, strlen(msg));
}

/* The input handed out in pieces whose sizes cycle through its bytes. */
struct pieces {
	const uint8_t *p;
	size_t len, at, turn;
};

static ptrdiff_t
piece_read(void *buf, size_t len, void *payload)
{
	struct pieces *c = payload;
	size_t k = c->len ? (size_t)(c->p[c->turn++ % c->len] & 63) + 1 : 0;

	if (k > len)
		k = len;
	if (k > c->len - c->at)
		k = c->len - c->at;
	if (k == 0)
		return 0;
	memcpy(buf, c->p + c->at, k);
	c->at += k;
	return (ptrdiff_t)k;
}

static void
read_all(const uint8_t *data, size_t size, struct sum *s, int stream)
{
	struct pieces pc = { data, size, 0, 0 };
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_filter *f = NULL;
	struct dt_packet p;
	char eb[256];
	const char *err;
	uint64_t eo = 0, frame = 0, off;
	int rc;

	memset(s, 0, sizeof *s);
	s->h = 0xcbf29ce484222325ull;
	dt_mem_init(&m, NULL, NULL, 256u << 20);
	eb[0] = '\0';
	if (stream)
		rc = dt_reader_open_stream(&r, &m, piece_read, &pc, eb,
		    sizeof eb, &eo);
	else
		rc = dt_reader_open_mem(&r, &m, data, size, eb, sizeof eb,
		    &eo);
	mix_u64(s, (uint64_t)rc);
	if (rc != 0) {
		check(r == NULL && m.used == 0, "nothing kept when open fails");
		check(eo <= size, "open error offset inside the input");
		mix(s, eb, strlen(eb));
		return;
	}
	dt_reader_set_warn(r, on_warn, s);
	if (stream == 2)	/* (not when the header read it all) */
		(void)dt_reader_read_ahead(r);
	(void)dt_filter_new(&f, &m, "tcp port 443", eb, sizeof eb);
	while (dt_reader_next(r, &p) == 0) {
		check(p.frame == ++frame, "frames go up by one");
		check(p.caplen <= size, "caplen inside the input");
		check(p.offset < size, "record offset inside the input");
		check(p.caplen == 0 || p.data != NULL, "data there");
		mix_u64(s, p.frame);
		mix_u64(s, (uint64_t)p.time);
		mix_u64(s, (uint64_t)p.linktype);
		mix_u64(s, p.caplen);
		mix_u64(s, p.origlen);
		mix_u64(s, p.iface);
		mix_u64(s, p.offset);
		mix_u64(s, p.packet_id);
		mix_u64(s, (uint64_t)p.dir);
		if (p.caplen > 0)
			mix(s, p.data, p.caplen);
		if (p.comment != NULL)
			mix(s, p.comment, p.comment_len);
		if (p.iface_name != NULL)
			mix(s, p.iface_name, strlen(p.iface_name));
		if (f != NULL)
			mix_u64(s, (uint64_t)dt_filter_match(f, &p, eb,
			    sizeof eb));
	}
	err = dt_reader_error(r, &off);
	if (err != NULL) {
		check(off <= size, "error offset inside the input");
		mix(s, err, strlen(err));
		mix_u64(s, off);
	}
	check(dt_reader_pos(r) <= size, "consumed <= input");
	dt_filter_free(f);
	dt_reader_close(r);
	check(m.used == 0, "no leak");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sum a, b, c;

	read_all(data, size, &a, 0);
	read_all(data, size, &b, 1);
	check(a.h == b.h && a.warns == b.warns,
	    "the same packets from memory and from a stream");
	read_all(data, size, &c, 2);
	check(a.h == c.h && a.warns == c.warns,
	    "the same packets from a stream read ahead");
	return 0;
}
