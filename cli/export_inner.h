/* datrace --export-inner: the tunnel's IPv6 packets as a pcapng file. */
#ifndef DATRACE_EXPORT_INNER_H
#define DATRACE_EXPORT_INNER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "datrace.h"

struct inner_export {
	FILE *fp;
	dt_pcapng_writer *w;	/* the library's pcapng writer */
	pthread_mutex_t lock;	/* several analyzers (-j) write to one file */
	uint64_t packets;
};

/* The export of this run, or NULL: every analyzer the CLI creates (one
   per capture, cli/input.c) hands its tunnel packets to it. */
extern struct inner_export *inner_export_active;

/* Create path and write the section and interface headers: 0 or -1
   (errno set). */
int inner_export_open(struct inner_export *x, const char *path);
/* A dt_inner_packet_fn; payload is the struct inner_export. */
void inner_export_packet(uint32_t conn, int dir, uint64_t frame,
    int64_t time_ns, const uint8_t *p, size_t n, void *payload);
/* 0, or -1 when some write failed. */
int inner_export_close(struct inner_export *x);

#endif
