/*
 * report/: writers for the results, the same code for the CLI and for
 * linking tools. JSON (schema "datrace/1", SPEC §4) is built with jansson so
 * that every string from the wire is escaped correctly (invalid UTF-8
 * replaced by U+FFFD first); text is the per-connection ladder and verdicts.
 */
#ifndef DT_REPORT_H
#define DT_REPORT_H

#include <stdio.h>

#include "facts/facts.h"

struct dt_report_run {			/* what the report says about the run */
	const char *host;
	const uint16_t *ports;		/* 0-terminated */
	const char *ca_file;
	struct dt_capture *const *caps;
	size_t n_caps;
};

int dt_report_json(const struct dt_report_run *run, FILE *fp, int lines);
int dt_report_text(const struct dt_report_run *run, FILE *fp, unsigned flags);

#endif
