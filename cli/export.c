/*
 * datrace --export FILE.pcapng: every capture analysed, read a second time
 * by the library (dt_export_pcapng) into one pcapng, one section per
 * capture, with Windows' own ETL events as LINKTYPE_ETW packets and the
 * verdicts' evidence frames commented, for Wireshark. The second reading
 * is why the inputs must be files as they are: standard input and archive
 * members are refused before any analysis, as is an output that cannot be
 * written.
 */
#include "export.h"

#include <errno.h>
#include <string.h>

FILE *
export_open(const char *path, const struct in_list *in)
{
	FILE *fp;
	size_t i;

	for (i = 0; i < in->n; i++) {
		if (strcmp(in->v[i].path, "-") == 0) {
			fprintf(stderr, "datrace: --export reads each capture "
			    "twice: standard input cannot be; save it to a "
			    "file and give that\n");
			return NULL;
		}
		if (in_packed(in->v[i].path)) {
			fprintf(stderr, "datrace: --export reads each capture "
			    "twice: %s is an archive or compressed; unpack "
			    "it first\n", in->v[i].path);
			return NULL;
		}
	}
	if ((fp = fopen(path, "wb")) == NULL)
		fprintf(stderr, "datrace: cannot write %s: %s\n", path,
		    strerror(errno));
	return fp;
}

int
export_write(dt_analyzer *a, FILE *fp, const char *path, int quiet)
{
	const dt_capture *c;
	dt_export_counts n;
	size_t i;
	int rc = 0;

	for (i = 0; dt_analyzer_capture_at(a, i, &c) == 0 && rc == 0; i++) {
		/* not a capture: the analysis said so already */
		if (strcmp(dt_capture_format(c), "unknown") == 0)
			continue;
		rc = dt_export_pcapng(a, c, dt_capture_path(c), fp, &n);
		if (rc != 0)
			fprintf(stderr, "datrace: %s\n", dt_analyzer_errmsg(a));
		else if (!quiet)
			fprintf(stderr, "datrace: wrote %s from %s: %llu "
			    "packet%s, %llu Windows event%s (ETW), %llu "
			    "evidence comment%s, %llu repeated sighting%s left "
			    "out\n", path, dt_capture_path(c),
			    (unsigned long long)n.packets,
			    n.packets == 1 ? "" : "s",
			    (unsigned long long)n.events,
			    n.events == 1 ? "" : "s",
			    (unsigned long long)n.comments,
			    n.comments == 1 ? "" : "s",
			    (unsigned long long)n.sightings_left_out,
			    n.sightings_left_out == 1 ? "" : "s");
	}
	if (fclose(fp) != 0 && rc == 0) {
		fprintf(stderr, "datrace: cannot write %s: %s\n", path,
		    strerror(errno));
		rc = -1;
	}
	return rc != 0 ? -1 : 0;
}
