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

struct dt_spill {
	int fd;
	int statm;			/* /proc/self/statm, or -1 */
	long shared_before;		/* its resident shared pages at open */
	unsigned char *base;		/* `reserve` bytes of address space */
	size_t reserve;
	size_t size;			/* of the file, mapped from base */
	size_t used;			/* handed out, from base */
};

/* s made a spill file in dir (O_TMPFILE, or a name unlinked at once) with
   room for up to `reserve` bytes: 0, or -1 when it cannot be made (the
   caller keeps its memory on the heap instead). */
int dt_spill_open(struct dt_spill *s, const char *dir, size_t reserve);

/* n bytes (rounded up to a page), 8-aligned, zeroed: NULL when the file
   cannot grow (disk full, reserve used up). Never freed alone. */
void *dt_spill_alloc(struct dt_spill *s, size_t n);

/* Bytes handed out (whole pages). */
size_t dt_spill_size(const struct dt_spill *s);

/* The spilled pages taken out of the process's resident memory; their
   contents stay in the file. Cheap when few are resident. */
void dt_spill_drop(const struct dt_spill *s);

/* About how many bytes of the file are mapped into the process now: the
   process's resident file pages beyond those it had when the spill was
   opened (other files it maps count too). SIZE_MAX when /proc does not
   say; callers then drop by their own measure. */
size_t dt_spill_mapped(const struct dt_spill *s);

/* Unmapped and closed; the file goes with it. */
void dt_spill_close(struct dt_spill *s);

#endif
