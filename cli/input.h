/*
 * input.h - what the command line reads: capture files, folders of them,
 * archives and compressed files holding them (cli/input.c).
 */
#ifndef DATRACE_CLI_INPUT_H
#define DATRACE_CLI_INPUT_H

#include <stdint.h>
#include <stdio.h>

#include "datrace.h"

/* Caps against archive bombs, for one archive argument. */
struct in_limits {
	uint64_t max_bytes;	/* bytes unpacked in all (--max-unpacked) */
	uint64_t max_ratio;	/* unpacked / bytes read from the file (--max-ratio) */
};

#define IN_MAX_BYTES_DEFAULT	(64ULL << 30)
#define IN_MAX_RATIO_DEFAULT	100
/* The ratio is measured against at least this many bytes read, so that
   the first, well-compressed blocks of an honest archive never trip it. */
#define IN_RATIO_FLOOR		(1ULL << 20)

/* One input: a path as given or found under a folder argument. */
struct in_item {
	char *path;
	int folder;		/* index of the folder argument, -1: given */
};

struct in_list {
	struct in_item *v;
	size_t n, cap;
	char **folders;		/* folder arguments, for the skip note */
	size_t nfolders;
};

/*
 * Add one command-line argument: "-", a file, or a folder (every regular
 * file under it, recursive, sorted byte-wise, hidden entries skipped, a
 * directory reached again through a symlink skipped with a note). A path
 * that cannot be opened is one error line on msg and counts in *bad.
 * Returns 0, or -1 when memory failed.
 */
int in_expand(struct in_list *l, const char *arg, FILE *msg, int *bad);
void in_list_free(struct in_list *l);

/* 1 when path starts like an archive or a compressed file (what
   in_analyse() unpacks), 0 otherwise or when it cannot be read. */
int in_packed(const char *path);

/* What analysing one input came to. */
struct in_count {
	int analysed;		/* captures analysed */
	int bad;		/* inputs, members or caps that failed */
	int skipped;		/* files under a folder that are not captures */
};

/* Where the analyzers of one input's captures go: adopted into `into`
   at once, or (into NULL) kept in order for the caller to adopt (an
   analyzer that adopted others cannot itself be adopted). */
struct in_sink {
	dt_analyzer *into;
	dt_analyzer **v;
	size_t n, cap;
};

void in_sink_free(struct in_sink *s);

/*
 * Analyse one input into the sink: a capture file as it is; an archive or a
 * compressed file (told by content) member by member, streamed, nested
 * archives one level deep, the path shown as "outer.zip:inner/x.pcapng".
 * Every capture is analysed in an analyzer of its own (opts) and goes to
 * the sink when it is one. Errors and notes go to msg, one line each.
 * progress/payload: passed to the analyzer of a plain file.
 * Returns 0, or -1 when `into` could not take the results (memory).
 */
int in_analyse(struct in_sink *into, const dt_options *opts,
    const struct in_item *it, const struct in_limits *lim, int quiet,
    dt_progress_fn progress, void *payload, FILE *msg,
    struct in_count *count);

#endif
