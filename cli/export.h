/* datrace --export FILE.pcapng: what datrace read, for Wireshark. */
#ifndef DATRACE_CLI_EXPORT_H
#define DATRACE_CLI_EXPORT_H

#include <stdio.h>

#include "datrace.h"
#include "input.h"

/*
 * Before any analysis: every input must be a capture file that can be read
 * a second time (not standard input, not an archive or compressed file),
 * and path must be writable. One error line on stderr and NULL otherwise.
 */
FILE *export_open(const char *path, const struct in_list *in);

/*
 * Every capture of a, one pcapng section each, into fp (closed here);
 * one line per capture on stderr saying what was written unless quiet.
 * Returns 0, or -1 after an error line.
 */
int export_write(dt_analyzer *a, FILE *fp, const char *path, int quiet);

#endif
