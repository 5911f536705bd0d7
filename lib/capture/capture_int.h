/*
 * capture/ internals shared by the readers of this room: the reader state
 * (one struct for classic pcap through libpcap and our own pcapng reader),
 * the pcapng entry points, and the pktmon comment parser with its bounded
 * set of recently seen packets. Not part of the contract: only the files of capture/
 * and the capture tests include it.
 */
#ifndef DT_CAPTURE_INT_H
#define DT_CAPTURE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"

#define DT_CAP_ERRLEN 256
#define DT_CAP_PEEK 24			/* bytes sniffed for the format */
#define DT_CAP_IOBUF (256 * 1024)	/* stdio / window buffer */
#define DT_CAP_MAX_BLOCK (64u * 1024 * 1024)	/* pcapng block length cap */
#define DT_CAP_MAX_IFACES 65536		/* per pcapng section */
#define DT_CAP_MAX_WARNINGS 64		/* then one "suppressed" line */
#define DT_CAP_NAME_MAX 256		/* if_name / if_description kept */
#define DT_PKTMON_SLOTS 16384		/* recent (group, number) keys */

enum dt_cap_format { DT_CAP_PCAP = 1, DT_CAP_PCAPNG = 2, DT_CAP_ETL = 3 };

/* A pcapng interface (IDB) of the current section. */
struct dt_ng_iface {
	int linktype;
	uint32_t snaplen;
	int ts_kind;			/* 0: multiply, 1: divide, 2: 2^-n */
	uint64_t ts_factor;		/* 10^k for kinds 0 and 1 */
	unsigned ts_shift;		/* n for kind 2 */
	int64_t ts_offset;		/* if_tsoffset, seconds */
	char *name;			/* if_name or NULL */
	char *description;		/* if_description or NULL */
};

struct dt_pktmon_key {
	uint64_t group;
	uint32_t number;
	uint32_t used;
};

struct dt_reader {
	struct dt_mem *m;
	int format;			/* enum dt_cap_format */
	dt_reader_warn_fn warn;
	void *warn_payload;
	unsigned n_warnings;

	int failed;			/* a fatal fault ended reading */
	int io_error;			/* ... because the stream failed */
	char err[DT_CAP_ERRLEN];
	uint64_t err_off;

	uint64_t frame;			/* records handed out so far */
	uint64_t size;			/* 0: unknown */
	uint64_t pos;			/* next record / block offset */

	/* Source: memory, or a FILE (ours or the caller's). */
	const uint8_t *mem;
	size_t mem_len;
	FILE *fp;			/* the underlying stream */
	int own_fp;			/* fclose it on close */
	uint64_t fp_start;		/* offset of the stream at open */

	/* classic pcap through libpcap */
	void *pcap;			/* pcap_t */
	FILE *pfp;			/* the stream libpcap reads */
	int pfp_ours;			/* a wrapper/fmemopen we fclose on failure */
	void *iobuf;			/* setvbuf buffer of fp (ours) */
	void *pbuf;			/* setvbuf buffer of pfp (ours) */
	int pcap_linktype;
	int snaplen;			/* libpcap's, records cut to it */
	uint8_t peek[DT_CAP_PEEK];	/* sniffed bytes, replayed by the wrapper */
	size_t peek_n, peek_pos;
	uint64_t cookie_pos;		/* bytes the wrapper handed out */
	/* classic pcap records read by us (reader.c): libpcap checked the
	   file header; records come from the window below (or r->mem)
	   without a copy, with libpcap's rules and messages */
	int fast;
	int le;				/* little-endian file */
	int nsec;			/* nanosecond magic */
	int lengths_swapped;		/* 0 no, 1 yes, 2 when caplen > len */

	/* pcapng: a window over the stream (or the memory buffer itself) */
	uint8_t *win;
	size_t win_cap, win_beg, win_end;
	int win_eof;
	int big_endian;			/* byte order of the current section */
	struct dt_ng_iface *ifaces;
	size_t n_ifaces, cap_ifaces;
	size_t ifaces_ignored;		/* IDBs past DT_CAP_MAX_IFACES in the section */
	uint64_t skipped_packets;	/* their packets: counted frames, not read */
	uint32_t iface_base;		/* interfaces of earlier sections */
	uint32_t n_sections;

	/* pktmon */
	struct dt_pktmon_meta pktmon;
	struct dt_pktmon_key *seen;	/* DT_PKTMON_SLOTS, allocated on first use */

	/* ETL (etl.c) */
	void *etl;			/* struct dt_etl, or NULL */
};

/* reader.c */
void dt_reader_fail(struct dt_reader *r, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dt_reader_warnf(struct dt_reader *r, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Classic pcap: let libpcap read the records (tests compare both ways);
   only before the first dt_reader_next(). */
void dt_reader_use_libpcap(struct dt_reader *r);

/* LINKTYPE_ (file) to DLT_ (libpcap's API) */
int dt_linktype_to_dlt(int linktype);

/* pcapng.c: the first SHB is parsed by open (0, or -1 with r->err set). */
int dt_pcapng_open(struct dt_reader *r);
int dt_pcapng_next(struct dt_reader *r, struct dt_packet *pkt);
void dt_pcapng_free(struct dt_reader *r);

/*
 * pktmon.c: parse one pktmon comment ("PktGroupId 5629..., PktNumber 1,
 * Appearance 1, Direction Tx , ..."); 1 when it is one (out->present set),
 * 0 otherwise.
 */
int dt_pktmon_parse(const char *s, size_t n, struct dt_pktmon_meta *out);
/* 1 when (group, number) was seen recently, then remembered; -1 on ENOMEM. */
int dt_pktmon_seen(struct dt_reader *r, uint64_t group, uint32_t number);

#endif
