/*
 * capture/: read capture files into packets.
 *
 * A struct dt_reader opens a file, a memory buffer, a stream or a read
 * callback, detects the format by content (classic pcap through libpcap,
 * pcapng and ETL through our own readers) and hands out packets in file
 * order. Frame numbers count every packet
 * record from 1, as Wireshark's frame.number does.
 *
 * Errors: a damaged file ends reading at the fault; dt_reader_next() returns
 * DT_ITEROVER and the fault is in dt_reader_error() (offset + message, e.g.
 * "pcapng block length 13 is not a multiple of 4"). Packets before it were
 * delivered. Non-fatal oddities (an unknown option, a skipped block that
 * libpcap would reject) are warnings: they go to the capture errors list
 * through the warn callback and reading continues.
 */
#ifndef DT_CAPTURE_H
#define DT_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "datrace.h"
#include "util/mem.h"

enum dt_dir { DT_DIR_UNKNOWN = 0, DT_DIR_IN = 1, DT_DIR_OUT = 2 };

/* pktmon's per-packet comment, parsed (pcapng written by pktmon). */
struct dt_pktmon_meta {
	int present;
	uint32_t component;		/* component id */
	char component_name[64];
	uint32_t edge;
	uint64_t group_id;		/* "PktGroupId" */
	uint32_t pkt_number;		/* "PktNumber" */
	uint32_t appearance;		/* "Appearance" */
	int direction;			/* enum dt_dir */
	int dropped;
	char drop_reason[96];
	char drop_location[64];
};

/* Packet times are clamped to +-(2^62 - 1) ns (years 1824..2116) so that
   the difference of any two fits in an int64_t. */
#define DT_TIME_MAX	((int64_t)((UINT64_C(1) << 62) - 1))

struct dt_packet {
	uint64_t frame;			/* 1-based, every record counted */
	int64_t time;			/* ns since 1970 UTC, within
					   +-DT_TIME_MAX */
	int linktype;			/* LINKTYPE_* (duplicate beside it:
					   no hole, 8 bytes fewer to zero) */
	int duplicate;			/* pktmon: another sighting of an earlier
					   packet; the pipeline skips it */
	const uint8_t *data;		/* caplen bytes; valid until the next call */
	uint32_t caplen;
	uint32_t origlen;
	uint32_t iface;			/* interface index within the file */
	int dir;			/* enum dt_dir */
	const char *comment;		/* opt_comment (not NUL-terminated), or NULL */
	size_t comment_len;
	uint64_t packet_id;		/* epb_packetid, 0: none */
	const struct dt_pktmon_meta *pktmon;	/* NULL when none */
	uint64_t offset;		/* file offset of the record */
	const char *iface_name;		/* pcapng if_name (else if_description),
					   NUL-terminated, or NULL; valid until
					   the next call */
};

struct dt_reader;

/*
 * Every record of an ETL file that the reader walks, packet providers'
 * events included, for the events stage (dt_reader_set_events): an
 * EVENT_HEADER event with its provider GUID (16 bytes as stored, Data1..3
 * little-endian), or a kernel/system record (provider NULL; its trace
 * header kind in header_type). data/len: the user data, valid during the
 * call only. time: ns since 1970 on the packets' clock, when has_time.
 */
struct dt_etw_event {
	const uint8_t *provider;
	unsigned header_type;
	uint16_t id;
	uint8_t version, level, opcode;
	uint16_t task;
	uint64_t keyword;
	int64_t time;
	int has_time;
	uint32_t pid, tid;
	const uint8_t *data;
	size_t len;
	uint64_t offset;		/* of the record, or its buffer */
	/* TraceLogging: the extended data items EVENT_SCHEMA_TL (the
	   event's own metadata) and PROV_TRAITS (the provider's name),
	   as stored; NULL when the record has none */
	const uint8_t *tl_meta, *tl_traits;
	size_t tl_meta_len, tl_traits_len;
};

typedef void (*dt_reader_event_fn)(void *payload,
    const struct dt_etw_event *ev);

/* A warning while reading (offset, message); the reader goes on. */
typedef void (*dt_reader_warn_fn)(void *payload, uint64_t offset,
    const char *msg);

/*
 * Open by path / from memory (buf must outlive the reader) / from a stream.
 * Returns 0, or DT_EIO (cannot open/read) or DT_EFORMAT (not a capture
 * format we know, empty file, bad header) with errbuf holding
 * "offset N: what" text (no file name; the caller prefixes it) and *err_offset
 * the offset.
 */
int dt_reader_open_file(struct dt_reader **out, struct dt_mem *m,
    const char *path, char *errbuf, size_t errlen, uint64_t *err_offset);
/* dt_reader_open_file(), a regular file read through a mapping (the same
   packets, faults and offsets; no copy out of the page cache). A file cut
   shorter while it is read raises SIGBUS in the process: for files that
   nothing shortens meanwhile. Anything else is read as by
   dt_reader_open_file(). */
int dt_reader_open_map(struct dt_reader **out, struct dt_mem *m,
    const char *path, char *errbuf, size_t errlen, uint64_t *err_offset);
int dt_reader_open_mem(struct dt_reader **out, struct dt_mem *m,
    const void *buf, size_t len, char *errbuf, size_t errlen,
    uint64_t *err_offset);
int dt_reader_open_fp(struct dt_reader **out, struct dt_mem *m, FILE *fp,
    char *errbuf, size_t errlen, uint64_t *err_offset);
/* From a read callback (an archive member, a socket): fn is called until
   it returns 0 (end) or a negative value (error, -errno when it can). */
int dt_reader_open_stream(struct dt_reader **out, struct dt_mem *m,
    dt_read_fn fn, void *payload, char *errbuf, size_t errlen,
    uint64_t *err_offset);

/*
 * Read the rest of the source ahead on a thread of the reader's own
 * (capture/ahead.c): a file, a regular FILE or a stream; the packets,
 * warnings and faults are the same as without it. A stream's callback
 * is then called from that thread, one call at a time, and the last one
 * returns before dt_reader_close() does. 0, or -1 when it does not
 * (memory, a pipe or a terminal, no thread): reading goes on as before.
 */
int dt_reader_read_ahead(struct dt_reader *r);

void dt_reader_set_warn(struct dt_reader *r, dt_reader_warn_fn fn,
    void *payload);
/* The events stage's callback for every ETL record (other formats have
   none); set before the first dt_reader_next(). */
void dt_reader_set_events(struct dt_reader *r, dt_reader_event_fn fn,
    void *payload);

/* 0 and *pkt filled; DT_ITEROVER at the end or at a fatal fault
   (then dt_reader_error() returns non-NULL). */
int dt_reader_next(struct dt_reader *r, struct dt_packet *pkt);

/* The fault that ended reading, or NULL. */
const char *dt_reader_error(const struct dt_reader *r, uint64_t *offset);
const char *dt_reader_format(const struct dt_reader *r);	/* "pcap", "pcapng", "etl" */
uint64_t dt_reader_size(const struct dt_reader *r);	/* total bytes, 0 unknown */
uint64_t dt_reader_pos(const struct dt_reader *r);	/* bytes consumed */
void dt_reader_close(struct dt_reader *r);

/* Link type numbers and names ("EN10MB", as pcap_datalink_val_to_name). */
const char *dt_linktype_name(int linktype, char *buf, size_t buflen);

/*
 * BPF filter applied per link type: compiled with pcap_open_dead +
 * pcap_compile for each link type met, applied with pcap_offline_filter.
 */
struct dt_filter;
int dt_filter_new(struct dt_filter **out, struct dt_mem *m, const char *expr,
    char *errbuf, size_t errlen);	/* checks the syntax on EN10MB */
/* 1 keep, 0 drop, <0 DT_EFILTER (errbuf: the expression fails for it). */
int dt_filter_match(struct dt_filter *f, const struct dt_packet *pkt,
    char *errbuf, size_t errlen);
void dt_filter_free(struct dt_filter *f);

#endif
