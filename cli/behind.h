/*
 * Writing the report behind: a stream whose bytes a thread of the CLI's
 * own writes to the output's descriptor (see behind.c).
 */
#ifndef DT_CLI_BEHIND_H
#define DT_CLI_BEHIND_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#define BEHIND_BUFS 4

struct behind {
	FILE *fp;			/* what the writers write to */
	int fd;				/* the output's descriptor */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* a buffer filled, or written */
	char *buf[BEHIND_BUFS];
	size_t len[BEHIND_BUFS];
	unsigned filled, written;	/* only grow; under mu */
	int end;			/* no more buffers; under mu */
	int err;			/* errno of the first failed write */
	size_t at;			/* bytes in buffer `filled % BUFS` */
};

/* Starts writing `out` behind (flushed first): 0 and b->fp the stream to
   write to, or -1 (memory, no thread) and nothing changed. */
int behind_start(struct behind *b, FILE *out);

/* Writes what is left, joins the thread: 0, or -1 with errno the first
   write's error. b->fp is closed either way. */
int behind_end(struct behind *b);

#endif
