/*
 * Shared helpers for the Check suites: paths to test data and the shared
 * corpus, reading a file into memory, and a main() that runs one suite.
 */
#ifndef DT_TESTUTIL_H
#define DT_TESTUTIL_H

#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Real captures by others; tests skip when it is absent. */
#define CORPUS_DIR "../shared/corpus"
#define TESTDATA_DIR "testdata"

static inline int
tu_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Whole file into a malloc'd buffer (NULL when unreadable). */
static inline unsigned char *
tu_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf != NULL) {
			*len = (size_t)n;
		}
	}
	fclose(fp);
	return buf;
}

/* Bytes in memory as a stream (dt_reader_open_stream(),
   dt_analyze_stream()), handed out in pieces of odd sizes from 1 to `max`
   bytes, failing with EIO once `fail_at` bytes were handed out (0:
   never). */
struct tu_pieces {
	const uint8_t *b;
	size_t len, max, fail_at;
	size_t at, calls;		/* zero to begin */
};

static inline ptrdiff_t
tu_piece_read(void *buf, size_t n, void *payload)
{
	struct tu_pieces *s = payload;
	size_t k = 1 + (s->calls++ * 40503u) % s->max;

	if (s->fail_at != 0 && s->at >= s->fail_at)
		return -EIO;
	if (k > n)
		k = n;
	if (k > s->len - s->at)
		k = s->len - s->at;
	if (s->fail_at != 0 && k > s->fail_at - s->at)
		k = s->fail_at - s->at;
	memcpy(buf, s->b + s->at, k);
	s->at += k;
	return (ptrdiff_t)k;
}

#define TU_MAIN(suite_fn)						\
	int								\
	main(void)							\
	{								\
		SRunner *sr = srunner_create(suite_fn());		\
		int nf;							\
		srunner_run_all(sr, CK_NORMAL);				\
		nf = srunner_ntests_failed(sr);				\
		srunner_free(sr);					\
		return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;		\
	}

/* One Ethernet/IPv4/TCP frame (no options, window 64240) into b, which
   has room for 54 + plen bytes: its length. The ACK number is written
   only when flags carry ACK (0x10), as a stack sending the segment would.
   A NULL MAC address is 02:00:00:00:00:00. */
struct tu_tcp4 {
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags, ttl;
	const uint8_t *src_mac, *dst_mac;	/* 6 bytes each, or NULL */
};

static inline size_t
tu_tcp4_frame(uint8_t *b, const struct tu_tcp4 *t, const uint8_t *pay,
    size_t plen)
{
	size_t ipl = 20 + 20 + plen;

	memset(b, 0, 54);
	b[0] = 0x02;
	b[6] = 0x02;
	if (t->dst_mac != NULL)
		memcpy(b, t->dst_mac, 6);
	if (t->src_mac != NULL)
		memcpy(b + 6, t->src_mac, 6);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = (uint8_t)(ipl >> 8);
	b[17] = (uint8_t)ipl;
	b[22] = t->ttl;
	b[23] = 6;
	memcpy(b + 26, t->src, 4);
	memcpy(b + 30, t->dst, 4);
	b[34] = (uint8_t)(t->sport >> 8);
	b[35] = (uint8_t)t->sport;
	b[36] = (uint8_t)(t->dport >> 8);
	b[37] = (uint8_t)t->dport;
	b[38] = (uint8_t)(t->seq >> 24);
	b[39] = (uint8_t)(t->seq >> 16);
	b[40] = (uint8_t)(t->seq >> 8);
	b[41] = (uint8_t)t->seq;
	if (t->flags & 0x10) {
		b[42] = (uint8_t)(t->ack >> 24);
		b[43] = (uint8_t)(t->ack >> 16);
		b[44] = (uint8_t)(t->ack >> 8);
		b[45] = (uint8_t)t->ack;
	}
	b[46] = 0x50;
	b[47] = t->flags;
	b[48] = 0xfa;
	b[49] = 0xf0;
	if (plen > 0)
		memcpy(b + 54, pay, plen);
	return 54 + plen;
}

#endif
