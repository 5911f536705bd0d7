/*
 * Writing the report behind. A JSON report of the 100 MB bench day is 78
 * MB; written to a file, the kernel's copy of it into the page cache took
 * as long as the analysis (0.083 s to /dev/null, 0.147 s to a file). The
 * writers now write into a stream (fopencookie) whose bytes are copied
 * into a ring of four 256 KiB buffers, and a thread writes each full one
 * to the output's descriptor on a second core while the writer formats
 * the next. The bytes and their order are the same; a write that fails
 * (a full disk) makes the writer's next write fail, and behind_end()
 * gives its errno for the message the CLI prints without it.
 *
 * The CLI's own room: the library writes to any FILE and starts no thread
 * for its writers. (fopencookie: _GNU_SOURCE, from the Makefile.)
 */
#include "behind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BEHIND_SIZE (256 * 1024)

static void *
behind_main(void *arg)
{
	struct behind *b = arg;
	const char *p;
	size_t n;
	ssize_t k;
	int err = 0;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (b->written == b->filled && !b->end)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->written == b->filled)
			break;		/* the end, all written */
		p = b->buf[b->written % BEHIND_BUFS];
		n = b->len[b->written % BEHIND_BUFS];
		pthread_mutex_unlock(&b->mu);
		while (err == 0 && n > 0) {
			k = write(b->fd, p, n);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				err = k < 0 ? errno : EIO;
				break;
			}
			p += k;
			n -= (size_t)k;
		}
		pthread_mutex_lock(&b->mu);
		if (err != 0 && b->err == 0)
			b->err = err;	/* the rest is not written */
		b->written++;
		pthread_cond_broadcast(&b->cv);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* The buffer being filled goes to the thread; waits for a free one. 0,
   or -1 with errno once a write failed. */
static int
hand_over(struct behind *b)
{
	int err;

	pthread_mutex_lock(&b->mu);
	if (b->at > 0) {
		b->len[b->filled % BEHIND_BUFS] = b->at;
		b->filled++;
		b->at = 0;
		pthread_cond_broadcast(&b->cv);
	}
	while (b->filled - b->written == BEHIND_BUFS && b->err == 0)
		pthread_cond_wait(&b->cv, &b->mu);
	err = b->err;
	pthread_mutex_unlock(&b->mu);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

static ssize_t
behind_write(void *cookie, const char *s, size_t n)
{
	struct behind *b = cookie;
	size_t done = 0, k;

	while (done < n) {
		if (b->at == BEHIND_SIZE && hand_over(b) != 0)
			return done > 0 ? (ssize_t)done : -1;
		k = BEHIND_SIZE - b->at;
		if (k > n - done)
			k = n - done;
		memcpy(b->buf[b->filled % BEHIND_BUFS] + b->at, s + done, k);
		b->at += k;
		done += k;
	}
	return (ssize_t)n;
}

int
behind_start(struct behind *b, FILE *out)
{
	cookie_io_functions_t io = { NULL, behind_write, NULL, NULL };
	int i;

	memset(b, 0, sizeof *b);
	if (fflush(out) != 0 || (b->fd = fileno(out)) < 0)
		return -1;
	for (i = 0; i < BEHIND_BUFS; i++)
		if ((b->buf[i] = malloc(BEHIND_SIZE)) == NULL)
			goto fail;
	if (pthread_mutex_init(&b->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&b->cv, NULL) != 0)
		goto fail_mu;
	if ((b->fp = fopencookie(b, "w", io)) == NULL)
		goto fail_cv;
	/* the writers' own buffers are large: a small one here only
	   gathers their small writes */
	(void)setvbuf(b->fp, NULL, _IOFBF, 64 * 1024);
	if (pthread_create(&b->thread, NULL, behind_main, b) != 0)
		goto fail_fp;
	return 0;
fail_fp:
	fclose(b->fp);
fail_cv:
	pthread_cond_destroy(&b->cv);
fail_mu:
	pthread_mutex_destroy(&b->mu);
fail:
	for (i = 0; i < BEHIND_BUFS; i++)
		free(b->buf[i]);
	return -1;
}

int
behind_end(struct behind *b)
{
	int rc = fclose(b->fp), err, i;

	(void)hand_over(b);	/* what the last write left */
	pthread_mutex_lock(&b->mu);
	b->end = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	err = b->err;
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	for (i = 0; i < BEHIND_BUFS; i++)
		free(b->buf[i]);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return rc != 0 ? -1 : 0;
}
