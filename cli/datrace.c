/*
 * datrace - the command line, a thin client of libdatrace (datrace.h only).
 *
 * Options become a dt_options; each capture is analysed with
 * dt_analyze_file(); results are written with the library's writers.
 * Exit status: 0 no error verdict, 1 at least one error verdict, 2 usage
 * error or an input that could not be analysed at all.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datrace.h"

#define EXIT_OK 0
#define EXIT_FINDING 1
#define EXIT_USAGE 2

static const char usage_text[] =
"usage: datrace [options] CAPTURE...\n"
"Tell why a DirectAccess IP-HTTPS (TLS) connection failed, from a capture.\n"
"\n"
"  -f, --format text|json|jsonl|html  output format (default text)\n"
"  -o, --output FILE              write there instead of stdout\n"
"      --host NAME                the IP-HTTPS server name (from the IP-HTTPS URL)\n"
"      --ca FILE                  PEM bundle of trust anchors (the organisation's root CA)\n"
"      --expect-cert FILE|SHA256  the DirectAccess server's real certificate or its SHA-256\n"
"      --inspection-cas FILE      more TLS-interception CA names, one per line\n"
"  -p, --port N                   add a port to the IP-HTTPS port set (default 443)\n"
"  -F, --filter EXPR              BPF filter applied before analysis\n"
"      --all                      verdicts for every TLS connection, not only IP-HTTPS\n"
"  -v, --verbose                  every connection's message ladder, not only failing ones\n"
"  -q, --quiet                    print nothing; exit status only\n"
"  -j, --jobs N                   analyse N captures at once (default: the core count)\n"
"      --progress                 progress on stderr (default: on a terminal, large input)\n"
"      --no-progress              never show progress\n"
"      --list-rules               list the verdicts datrace can give, and exit\n"
"  -h, --help                     this help\n"
"  -V, --version                  the version\n"
"\n"
"Exit status: 0 no error found, 1 an error verdict, 2 usage error or unreadable input.\n";

enum { OPT_HOST = 256, OPT_CA, OPT_EXPECT, OPT_ALL, OPT_PROGRESS,
    OPT_NO_PROGRESS, OPT_LIST_RULES, OPT_INSPECTION };

static const struct option long_opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "expect-cert", required_argument, NULL, OPT_EXPECT },
	{ "inspection-cas", required_argument, NULL, OPT_INSPECTION },
	{ "port", required_argument, NULL, 'p' },
	{ "filter", required_argument, NULL, 'F' },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "list-rules", no_argument, NULL, OPT_LIST_RULES },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct progress {
	const char *name;
	time_t start, last;
	int shown;
};

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "datrace: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'datrace --help'.\n");
	return EXIT_USAGE;
}

static void
show_progress(uint64_t done, uint64_t total, void *payload)
{
	struct progress *p = payload;
	time_t now = time(NULL);
	double secs, rate;

	if (now == p->last && done < total)
		return;
	p->last = now;
	secs = difftime(now, p->start);
	rate = secs > 0 ? (double)done / secs : 0;
	if (total > 0 && rate > 0)
		fprintf(stderr, "\r%s: %llu of %llu MiB, %.0f MiB/s, %.0f s left ",
		    p->name, (unsigned long long)(done >> 20),
		    (unsigned long long)(total >> 20), rate / 1048576,
		    (double)(total - done) / rate);
	else
		fprintf(stderr, "\r%s: %llu MiB ", p->name,
		    (unsigned long long)(done >> 20));
	p->shown = 1;
}

static int
list_rules(void)
{
	const char *id, *summary;
	dt_severity sev;
	size_t i;

	for (i = 0; dt_rule_at(i, &id, &sev, &summary) == 0; i++)
		printf("%-30s %-8s %s\n", id, dt_severity_name(sev), summary);
	return EXIT_OK;
}

static int
parse_port(const char *s, uint16_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/*
 * What one capture's analysis says on stderr: why it could not be read,
 * or where a damaged file broke. errs is the analyzer that ran it (its
 * message), a the one holding its results from index `before`.
 * Returns 0 when the capture was analysed.
 */
static int
say_result(const dt_analyzer *errs, const dt_analyzer *a, size_t before,
    const char *path, int rc, int quiet)
{
	const dt_capture *cap;
	uint64_t off;
	const char *msg;
	size_t k;

	if (rc != 0) {
		/* out of memory and a bad filter are said even with -q */
		if (!quiet || rc == DT_ENOMEM || rc == DT_EFILTER)
			fprintf(stderr, "datrace: %s\n", dt_analyzer_errmsg(errs));
		return -1;
	}
	if (quiet || dt_analyzer_capture_at(a, before, &cap) != 0)
		return 0;
	for (k = 0; dt_capture_error_at(cap, k, &off, &msg) == 0; k++)
		fprintf(stderr, "datrace: %s: offset %llu: %s\n", path,
		    (unsigned long long)off, msg);
	return 0;
}

static int
has_stdin(char **paths, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(paths[i], "-") == 0)
			return 1;
	return 0;
}

/* -j: one analyzer per capture, run by a pool of threads (the library is
   safe for separate analyzers); the results are adopted in command-line
   order, so the output is the same as a serial run. */
struct job {
	const dt_options *opts;
	char **paths;
	int n, next;
	dt_analyzer **an;
	int *rc;
	pthread_mutex_t lock;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	int i;

	for (;;) {
		pthread_mutex_lock(&j->lock);
		i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n)
			return NULL;
		j->rc[i] = dt_analyzer_new(&j->an[i], j->opts);
		if (j->rc[i] == 0)
			j->rc[i] = dt_analyze_file(j->an[i], j->paths[i]);
	}
}

static int
analyse_parallel(dt_analyzer *a, const dt_options *opts, char **paths, int n,
    int jobs, int quiet, int *analysed, int *unreadable)
{
	struct job j;
	pthread_t *t;
	int i, started = 0, rc = 0;

	memset(&j, 0, sizeof j);
	j.opts = opts;
	j.paths = paths;
	j.n = n;
	j.an = calloc((size_t)n, sizeof *j.an);
	j.rc = calloc((size_t)n, sizeof *j.rc);
	t = calloc((size_t)jobs, sizeof *t);
	if (j.an == NULL || j.rc == NULL || t == NULL ||
	    pthread_mutex_init(&j.lock, NULL) != 0) {
		free(j.an);
		free(j.rc);
		free(t);
		return -1;
	}
	for (i = 0; i < jobs && i < n; i++)
		if (pthread_create(&t[i], NULL, worker, &j) == 0)
			started++;
	if (started == 0)
		worker(&j);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < n; i++) {
		if (j.an[i] == NULL) {
			fprintf(stderr, "datrace: %s: %s\n", paths[i],
			    dt_strerror(j.rc[i]));
			(*unreadable)++;
			continue;
		}
		if (say_result(j.an[i], j.an[i], 0, paths[i], j.rc[i], quiet) == 0)
			(*analysed)++;
		else
			(*unreadable)++;
		if (rc == 0 && dt_analyzer_adopt(a, j.an[i]) == 0)
			j.an[i] = NULL;		/* a frees it now */
		else
			rc = -1;
	}
	for (i = 0; i < n; i++)
		dt_analyzer_free(j.an[i]);
	pthread_mutex_destroy(&j.lock);
	free(j.an);
	free(j.rc);
	free(t);
	return rc;
}

int
main(int argc, char **argv)
{
	dt_options opts = DT_OPTIONS_INIT;
	dt_analyzer *a = NULL;
	const char *format = "text", *output = NULL;
	FILE *out = stdout;
	int verbose = 0, quiet = 0, progress = -1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = ncpu > 0 ? (ncpu > 256 ? 256 : (int)ncpu) : 1;
	int c, i, rc, unreadable = 0, analysed = 0, status;
	size_t nports = 1;
	unsigned flags = 0;
	struct progress prog;

	while ((c = getopt_long(argc, argv, "f:o:p:F:j:vqhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0 &&
			    strcmp(optarg, "jsonl") != 0 && strcmp(optarg, "html") != 0)
				return usage_error("unknown format '%s' (text, json, jsonl, html)", optarg);
			format = optarg;
			break;
		case 'o': output = optarg; break;
		case OPT_HOST: opts.host = optarg; break;
		case OPT_CA: opts.ca_file = optarg; break;
		case OPT_EXPECT: opts.expect_cert = optarg; break;
		case OPT_INSPECTION: opts.inspection_cas = optarg; break;
		case 'p': {
			uint16_t port;
			size_t k;
			int dup = 0;

			if (parse_port(optarg, &port) != 0)
				return usage_error("bad port '%s' (1-65535)", optarg);
			for (k = 0; k < nports; k++)
				dup |= opts.ports[k] == port;
			if (dup)
				break;
			if (nports >= DT_MAX_PORTS)
				return usage_error("too many ports (at most %s)", "16");
			opts.ports[nports++] = port;
			break;
		}
		case 'F': opts.filter = optarg; break;
		case OPT_ALL: opts.all = 1; break;
		case 'v': verbose = 1; break;
		case 'q': quiet = 1; break;
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end != '\0' || end == optarg || v < 1 || v > 256)
				return usage_error("bad job count '%s' (1-256)", optarg);
			jobs = (int)v;
			break;
		}
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NO_PROGRESS: progress = 0; break;
		case OPT_LIST_RULES: return list_rules();
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case 'V': printf("datrace %s\n", dt_version()); return EXIT_OK;
		default:
			fprintf(stderr, "Try 'datrace --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no capture file given");

	rc = dt_analyzer_new(&a, &opts);
	if (rc != 0) {
		fprintf(stderr, "datrace: %s\n", a != NULL ?
		    dt_analyzer_errmsg(a) : dt_strerror(rc));
		dt_analyzer_free(a);
		return EXIT_USAGE;
	}

	if (jobs > 1 && argc - optind > 1 && !has_stdin(argv + optind,
	    argc - optind)) {
		if (analyse_parallel(a, &opts, argv + optind, argc - optind,
		    jobs, quiet, &analysed, &unreadable) != 0) {
			fprintf(stderr, "datrace: %s\n", dt_analyzer_errmsg(a));
			dt_analyzer_free(a);
			return EXIT_USAGE;
		}
	} else {
		for (i = optind; i < argc; i++) {
			const char *path = argv[i];
			struct stat st;
			size_t before = dt_analyzer_capture_count(a);

			memset(&prog, 0, sizeof prog);
			prog.name = path;
			prog.start = prog.last = time(NULL);
			if (!quiet && (progress == 1 || (progress == -1 &&
			    isatty(STDERR_FILENO) && stat(path, &st) == 0 &&
			    st.st_size > (64 << 20))))
				dt_analyzer_set_progress(a, show_progress, &prog);
			else
				dt_analyzer_set_progress(a, NULL, NULL);

			if (strcmp(path, "-") == 0)
				rc = dt_analyze_fp(a, "-", stdin);
			else
				rc = dt_analyze_file(a, path);
			if (prog.shown)
				fputc('\n', stderr);
			if (say_result(a, a, before, path, rc, quiet) == 0)
				analysed++;
			else
				unreadable++;
		}
	}

	status = unreadable > 0 ? EXIT_USAGE :
	    dt_analyzer_worst(a) >= DT_SEV_ERROR ? EXIT_FINDING : EXIT_OK;
	if (quiet || analysed + unreadable == 0)
		goto done;
	if (output != NULL) {
		out = fopen(output, "w");
		if (out == NULL) {
			fprintf(stderr, "datrace: cannot write %s: %s\n", output,
			    strerror(errno));
			status = EXIT_USAGE;
			goto done;
		}
	}
	if (verbose)
		flags |= DT_TEXT_VERBOSE;
	if (output == NULL && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL)
		flags |= DT_TEXT_COLOR;
	if (strcmp(format, "json") == 0)
		rc = dt_write_json(a, out, 0);
	else if (strcmp(format, "jsonl") == 0)
		rc = dt_write_jsonl(a, out, 0);
	else if (strcmp(format, "html") == 0)
		rc = dt_write_html(a, out, flags & DT_TEXT_VERBOSE);
	else
		rc = dt_write_text(a, out, flags);
	if (fflush(out) != 0 || rc != 0) {
		fprintf(stderr, "datrace: cannot write %s: %s\n",
		    output ? output : "standard output", strerror(errno));
		status = EXIT_USAGE;
	}
	if (out != stdout)
		fclose(out);
done:
	dt_analyzer_free(a);
	return status;
}
