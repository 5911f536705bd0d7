/*
 * capture/ internals shared by the files of this room: the byte source
 * every format reads through (src.c), the table entry a format fills in
 * (struct dt_capfmt, libpcap's check_headers[] / next_packet_op pattern),
 * the reader that holds one source and one format's private state, fault
 * reporting (diag.c), and the pktmon comment parser with its bounded table
 * of recent sightings (pktmon.c). Not part of the contract: only the files
 * of capture/ and the capture tests include it.
 */
#ifndef DT_CAPTURE_INT_H
#define DT_CAPTURE_INT_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"

#define DT_CAP_ERRLEN 256
#define DT_CAP_PROBE 80			/* bytes a format's probe may see */
#define DT_CAP_IOBUF (256 * 1024)	/* first window size */
#define DT_SRC_MAP_WIN ((size_t)512 << 10)	/* a mapped file's window
					   made present at once (2 MiB,
					   one PMD where the page cache
					   holds large folios: 4 MiB more
					   peak RSS, no less CPU) */
#define DT_CAP_MAX_BLOCK (64u * 1024 * 1024)	/* pcapng block length cap */
#define DT_CAP_MAX_IFACES 65536		/* per pcapng section */
#define DT_CAP_MAX_WARNINGS 64		/* then one "suppressed" line */
#define DT_CAP_NAME_MAX 256		/* if_name / if_description kept */
#define DT_PKTMON_SLOTS 16384		/* recent (group, number) keys */
#define DT_PKTMON_DUP_WINDOW_NS 1000000000	/* sightings of one packet */

/* ---- the byte source (src.c) --------------------------------------------- */

/*
 * One windowed source for every format: the caller's memory (handed out in
 * place), or a read function (a descriptor we opened, the caller's FILE, a
 * caller's callback such as an archive member) feeding a window that grows
 * only when it is full of bytes really read, so a lying length costs at
 * most twice the bytes present. Offsets count from the start of the source.
 */
struct dt_src {
	struct dt_mem *m;
	const uint8_t *mem;		/* memory source, or NULL */
	size_t mem_len;
	dt_read_fn read;		/* otherwise: bytes, 0 at end, <0 error */
	void *payload;
	int fd;				/* ours to close, or -1 */
	uint8_t *win;
	size_t cap, beg, end;
	int eof;
	int err;			/* errno of a failed read, or 0 */
	int nomem;			/* the window could not grow */
	uint64_t pos;			/* offset of the next byte not consumed */
	uint64_t size;			/* total bytes, 0: unknown */
	int may_block;			/* a pipe or a terminal: never ahead */
	struct dt_ahead *ahead;		/* reading ahead (ahead.c), or NULL */
	/* a regular file read through a mapping (map_more()): win is the
	   mapping of the whole file, end the end of what is made present,
	   done where what is behind was dropped; old, a mapping of the
	   file before it grew */
	int mapped;
	size_t done;
	uint8_t *old;
	size_t old_len;
	uint64_t shrunk;		/* the file's size + 1 when it was found
					   shorter than what was mapped (cut
					   while read); 0 otherwise */
};

void dt_src_mem(struct dt_src *s, struct dt_mem *m, const void *buf,
    size_t len);
/* Reading from fn; fd (or -1) is closed by dt_src_close. */
void dt_src_fn(struct dt_src *s, struct dt_mem *m, dt_read_fn fn,
    void *payload, int fd);
/* Reading descriptor fd of a regular file of `size` bytes through a
   mapping, DT_SRC_MAP_WIN bytes (more for a longer record) resident at a
   time, from its start; fd is closed by dt_src_close. No copy out of the page cache; the
   bytes come to the cache cold, and dt_src_prefetch() asks for them
   ahead. A file cut shorter while it is read raises SIGBUS (see
   dt_options.map_files). */
void dt_src_map(struct dt_src *s, struct dt_mem *m, int fd, uint64_t size);
/* The window is at least cap bytes (0, or -1 when memory is refused). */
int dt_src_reserve(struct dt_src *s, size_t cap);
/* Up to `want` bytes at s->pos in *p, valid until the next fetch or read;
   fewer only at the end, on a read error (s->err) or when the window
   cannot grow (s->nomem). Nothing is consumed. */
size_t dt_src_fetch(struct dt_src *s, size_t want, const uint8_t **p);

/* Bytes read: inline, as each record of every format ends with one. */
static inline void
dt_src_consume(struct dt_src *s, size_t n)
{
	s->pos += n;
	if (s->mem == NULL)
		s->beg += n;
}

/* dt_src_fetch() without the call when the window already holds `want`
   bytes: every record of a file read in place but the one that straddles
   a refill. */
static inline size_t
dt_src_fetch_fast(struct dt_src *s, size_t want, const uint8_t **p)
{
	if (s->mem == NULL && s->end - s->beg >= want) {
		*p = s->win + s->beg;
		return want;
	}
	return dt_src_fetch(s, want, p);
}
/*
 * A record of a mapped or memory source (its n bytes at `at`) is read
 * from memory that no read() has just copied through the cache: it costs
 * a miss per line, and the hardware prefetcher stops at each page. So
 * the bytes DT_SRC_PREFETCH ahead of it are asked for while it is judged
 * (a prefetch may name any address; past the end it is dropped). On the
 * 100 MB bench day a mapping without it took as much CPU as read(2)
 * (the copy's cost came back as misses), with it 0.90 of it.
 */
#define DT_SRC_PREFETCH 4096
/* always inline: GCC 12 split it out of line (-fpartial-inlining), found
   the part that only prefetches free of side effects, and dropped every
   call to it */
static inline __attribute__((always_inline)) void
dt_src_prefetch(const struct dt_src *s, const uint8_t *at, size_t n)
{
	size_t i;

	if (s->read != NULL)
		return;		/* a window read() just filled: in the cache */
	for (i = 0; i < n; i += 64)
		__builtin_prefetch(at + DT_SRC_PREFETCH + i);
}

/* The source ended after the read function returned k: a fault when
   k < 0 (-errno; EIO when it is no errno), else the end (k = 0, or more
   bytes than were asked for). */
void dt_src_end(struct dt_src *s, ptrdiff_t k);
/* Copy out and consume (libpcap's stream): bytes, 0 at end, -1 error. */
ptrdiff_t dt_src_read(struct dt_src *s, void *dst, size_t n);
void dt_src_close(struct dt_src *s);

/*
 * Read ahead (ahead.c): from here on, the read function is called by a
 * thread of the source's own, into a ring of chunks, while the caller
 * judges the bytes before; bytes, offsets and faults are the same as
 * without it. 0, or -1 (a memory source, one that may block, no thread
 * or no memory): the source reads in the caller's thread as before.
 */
int dt_src_ahead(struct dt_src *s);
/* dt_src_fetch()'s refill while reading ahead: the next chunk after the
   window's `avail` bytes; the bytes added, 0 at the end or on a fault. */
size_t dt_ahead_more(struct dt_src *s, size_t avail);
/* Stops the thread (after the read in flight) and frees the chunks. */
void dt_ahead_free(struct dt_src *s);

/* Read functions for the sources we open: a descriptor, a FILE. */
ptrdiff_t dt_src_read_fd(void *buf, size_t len, void *payload);
ptrdiff_t dt_src_read_fp(void *buf, size_t len, void *payload);

/* ---- formats and the reader ---------------------------------------------- */

struct dt_reader;

/*
 * A capture format: probe() says whether the first bytes are its own
 * (p[0..n), n <= DT_CAP_PROBE; nothing consumed); open() reads the file
 * header and sets r->priv (0, or DT_ENOMEM / DT_EIO / DT_EFORMAT with the
 * fault in r->err); next() hands out a packet (0) or ends (DT_ITEROVER,
 * r->failed when a fault ended it); free() releases r->priv. A format
 * whose times can fall outside +-DT_TIME_MAX passes them through
 * dt_time_clamp() (classic pcap's 32-bit seconds cannot).
 */
struct dt_capfmt {
	const char *name;
	int (*probe)(const uint8_t *p, size_t n);
	int (*open)(struct dt_reader *r);
	int (*next)(struct dt_reader *r, struct dt_packet *pkt);
	void (*free)(struct dt_reader *r);
};

/* A damaged pcapng or ETL time can be any int64: every time is kept
   within DT_TIME_MAX of 1970, so that the difference of two never
   overflows (the report and the rules subtract them). */
static inline int64_t
dt_time_clamp(int64_t t)
{
	return t > DT_TIME_MAX ? DT_TIME_MAX : t < -DT_TIME_MAX ?
	    -DT_TIME_MAX : t;
}

extern const struct dt_capfmt dt_capfmt_pcap;	/* pcap.c */
extern const struct dt_capfmt dt_capfmt_pcapng;	/* pcapng.c */
extern const struct dt_capfmt dt_capfmt_etl;	/* etl.c */

struct dt_reader {
	struct dt_mem *m;
	struct dt_src src;
	const struct dt_capfmt *fmt;	/* NULL until a format opened */
	void *priv;			/* the format's own state */

	dt_reader_warn_fn warn;
	void *warn_payload;
	dt_reader_event_fn events;	/* ETL records, or NULL */
	void *events_payload;
	unsigned n_warnings;

	int failed;			/* a fatal fault ended reading */
	int io_error;			/* ... because the source failed */
	int cut;			/* ... because the file ends inside a record */
	char err[DT_CAP_ERRLEN];
	uint64_t err_off;

	uint64_t frame;			/* records handed out so far */
};

/* diag.c: the fault that ends reading (the first one is kept), and
   warnings (at most DT_CAP_MAX_WARNINGS, then one "suppressed"). */
void dt_reader_fail(struct dt_reader *r, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dt_reader_warnf(struct dt_reader *r, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The fault of a file that ends inside a record: "the file is cut short: "
   and the format's words. */
void dt_reader_cut(struct dt_reader *r, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pcap.c. Classic pcap: let libpcap read the records (tests compare both
   ways); only before the first dt_reader_next(). 0, or -1 when libpcap
   cannot be loaded or refuses the header (then nothing changed). */
int dt_reader_use_libpcap(struct dt_reader *r);
/* 1 when classic pcap records are read in place (not by libpcap). */
int dt_reader_in_place(const struct dt_reader *r);

/* LINKTYPE_ (file) to DLT_ (libpcap's API) */
int dt_linktype_to_dlt(int linktype);

/* ---- libpcap, loaded when needed (pcap_lib.c) ------------------------------ */

/*
 * The functions of libpcap this room calls, from one dlopen() handle:
 * reading an unusual pcap header and its records (pcap.c), filters
 * (filter.c), link type names not in our table (pcap.c). Each user opens
 * its own and closes it when done.
 */
struct dt_pcap_lib {
	void *h;
	pcap_t *(*fopen_offline)(FILE *, u_int, char *);
	int (*snapshot)(pcap_t *);
	int (*datalink)(pcap_t *);
	int (*next_ex)(pcap_t *, struct pcap_pkthdr **, const u_char **);
	char *(*geterr)(pcap_t *);
	void (*close)(pcap_t *);
	pcap_t *(*open_dead)(int, int);
	int (*compile)(pcap_t *, struct bpf_program *, const char *, int,
	    bpf_u_int32);
	int (*offline_filter)(const struct bpf_program *,
	    const struct pcap_pkthdr *, const u_char *);
	void (*freecode)(struct bpf_program *);
	const char *(*datalink_val_to_name)(int);
};

/* 0, or -1 with the reason in err ("libpcap cannot be loaded: ..."). */
int dt_pcap_lib_open(struct dt_pcap_lib *l, char *err, size_t errlen);
void dt_pcap_lib_close(struct dt_pcap_lib *l);

/* ---- pktmon (pktmon.c) ---------------------------------------------------- */

/*
 * Parse one pktmon comment ("PktGroupId 5629..., PktNumber 1, Appearance
 * 1, Direction Tx , ..."); 1 when it is one (out->present set), 0 otherwise.
 */
int dt_pktmon_parse(const char *s, size_t n, struct dt_pktmon_meta *out);

/*
 * The sightings of pktmon packets: pktmon logs one packet at every
 * component it crosses, and (PktGroupId, PktNumber) names the packet. A
 * direct-mapped table of recent keys (DT_PKTMON_SLOTS): bounded memory, and
 * sightings of one packet are close together in a trace.
 */
struct dt_pktmon_seen;

/* 1 when (group, number) was first seen at most `window` ns before t (then
   it is another sighting), else 0 and remembered; -1 on ENOMEM. *tab is
   allocated on first use and freed by dt_pktmon_seen_free. */
int dt_pktmon_seen(struct dt_pktmon_seen **tab, struct dt_mem *m,
    uint64_t group, uint32_t number, int64_t t, int64_t window);
void dt_pktmon_seen_free(struct dt_pktmon_seen *tab, struct dt_mem *m);

#endif
