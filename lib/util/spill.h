/*
 * Memory that lives in a file: the facts a capture keeps to its end, once
 * they are many.
 *
 * A day of server traffic keeps hundreds of megabytes of facts (every
 * connection's endpoints, timeline, TLS facts, DNS records) until the
 * report is written. Kept on the heap they are the process's resident
 * memory, and a machine without swap can only hold them or fail. Kept
 * here they are pages of an unlinked file mapped shared into a reserved
 * range: pointers into them stay valid for the capture's life, the
 * kernel may write them to disk and take the RAM back whenever it needs
 * it, and dt_spill_drop() takes them out of the resident set at once
 * (the next touch maps them again from the page cache, or reads them
 * back). The disk space is reserved when the file grows
 * (posix_fallocate), so a full disk is a refused allocation, never a
 * SIGBUS on a write.
 *
 * Not thread-safe for allocation; dt_spill_drop() may run beside readers.
 */
#ifndef DT_UTIL_SPILL_H
#define DT_UTIL_SPILL_H

#include <stddef.h>

/* Lanes: each kind of what is kept fills 2 MiB regions of its own, so
   that a walk over one kind maps back pages of that kind only, and the
   region a lane is filling stays mapped through a drop (see
   dt_spill_drop). */
#define DT_SPILL_LANES	8

struct dt_spill {
	int fd;
	int statm;			/* /proc/self/statm, or -1 */
	long shared_before;		/* its resident shared pages at open */
	unsigned char *base;		/* `reserve` bytes of address space */
	size_t reserve;
	size_t size;			/* of the file, mapped from base */
	size_t used;			/* handed out, from base */
	size_t rss_high;		/* the most resident memory walks saw
					   (atomic: walks may run in
					   parallel) */
	unsigned char *lane_at[DT_SPILL_LANES];	/* next byte of the region
					   each lane fills, or NULL */
	unsigned char *lane_end[DT_SPILL_LANES];
};

/* s made a spill file in dir (O_TMPFILE, or a name unlinked at once) with
   room for up to `reserve` bytes: 0, or -1 when it cannot be made (the
   caller keeps its memory on the heap instead). */
int dt_spill_open(struct dt_spill *s, const char *dir, size_t reserve);

/* n bytes of lane `lane` (< DT_SPILL_LANES), 64-aligned, zeroed: NULL
   when the file cannot grow (disk full, reserve used up). Never freed
   alone. */
void *dt_spill_alloc(struct dt_spill *s, int lane, size_t n);

/* Lane `lane` fills no region any more: its last one is dropped with
   the others from now on. A later allocation in it starts a new one. */
void dt_spill_lane_end(struct dt_spill *s, int lane);

/* Bytes handed out (whole regions). */
size_t dt_spill_size(const struct dt_spill *s);

/* The spilled pages taken out of the process's resident memory, but for
   the regions the lanes are filling; their contents stay in the file.
   Cheap when few are resident.

   Why the lanes' regions stay: the file is mapped shared, and a file
   system with dirty tracking (ext4, xfs) maps a page that is read
   first without write permission. The kernel cannot make such a 2 MiB
   mapping writable in place: the first write splits it into 512 small
   ones, and every page touched after that costs a fault of its own.
   A region being filled is read (an interned string looked up) and
   written (the next one appended) all along; dropped, it would come
   back read-only and be split at the next append: 220,000 faults on
   the 2 GiB bench day instead of 14,000. */
void dt_spill_drop(const struct dt_spill *s);

/* About how many bytes of the file are mapped into the process now: the
   process's resident file pages beyond those it had when the spill was
   opened (other files it maps count too). SIZE_MAX when /proc does not
   say; callers then drop by their own measure. */
size_t dt_spill_mapped(const struct dt_spill *s);
/* The same, and the process's whole resident memory in *rss (NULL: not
   asked), from one read of /proc. */
size_t dt_spill_resident(const struct dt_spill *s, size_t *rss);

/* Unmapped and closed; the file goes with it. */
void dt_spill_close(struct dt_spill *s);

#endif
