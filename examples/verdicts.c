/*
 * verdicts - the smallest useful libdatrace program: analyse the captures
 * named on the command line and print one line per verdict.
 *
 *   cc verdicts.c $(pkg-config --cflags --libs libdatrace) -o verdicts
 *   ./verdicts [--host NAME] CAPTURE...
 */
#include <datrace.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	dt_options opts = DT_OPTIONS_INIT;
	dt_analyzer *a;
	const dt_capture *cap;
	const dt_verdict *v;
	size_t i, k;
	uint64_t frame;
	int arg = 1;

	if (argc > 2 && strcmp(argv[1], "--host") == 0) {
		opts.host = argv[2];
		arg = 3;
	}
	if (dt_analyzer_new(&a, &opts) != 0) {
		fprintf(stderr, "verdicts: %s\n", dt_analyzer_errmsg(a));
		dt_analyzer_free(a);
		return 2;
	}
	for (; arg < argc; arg++)
		if (dt_analyze_file(a, argv[arg]) != 0)
			fprintf(stderr, "verdicts: %s\n", dt_analyzer_errmsg(a));
	for (i = 0; dt_analyzer_capture_at(a, i, &cap) == 0; i++) {
		for (k = 0; dt_capture_verdict_at(cap, k, &v) == 0; k++) {
			printf("%s\t%s\t%s\t%s\tframes", dt_capture_path(cap),
			    dt_verdict_id(v),
			    dt_severity_name(dt_verdict_severity(v)),
			    dt_verdict_windows_name(v) ?
			    dt_verdict_windows_name(v) : "-");
			for (size_t f = 0; dt_verdict_frame_at(v, f, &frame) == 0; f++)
				printf("%c%llu", f ? ',' : ' ',
				    (unsigned long long)frame);
			putchar('\n');
		}
	}
	i = dt_analyzer_worst(a) >= DT_SEV_ERROR;
	dt_analyzer_free(a);
	return (int)i;
}
