/*
 * datrace - the command line, a thin client of libdatrace (datrace.h only).
 *
 * Options become a dt_options; the arguments (captures, folders,
 * archives: cli/input.c) are analysed, several at once with -j; results
 * are written with the library's writers.
 * Exit status: 0 no error verdict, 1 at least one error verdict, 2 usage
 * error or an input that could not be analysed at all, 3 the analysis is
 * partial (the memory cap kept connections out).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "behind.h"
#include "datrace.h"
#include "input.h"
#include "export.h"
#include "export_inner.h"

#define EXIT_OK 0
#define EXIT_FINDING 1
#define EXIT_USAGE 2
#define EXIT_PARTIAL 3

static const char usage_text[] =
"usage: datrace [options] CAPTURE|ARCHIVE|FOLDER...\n"
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
"      --memory-cap SIZE          memory for one analysis, e.g. 512M, 2G (default 1G)\n"
"      --spill-dir DIR            where a big capture's facts wait for the report, in a\n"
"                                 file out of RAM (default $TMPDIR, else /var/tmp)\n"
"      --spill-after SIZE         ... once they pass SIZE (default 1M; more: fewer page\n"
"                                 faults, more memory)\n"
"      --no-spill                 keep them all in memory\n"
"  -v, --verbose                  every connection's message ladder, not only failing ones\n"
"  -q, --quiet                    print nothing; exit status only\n"
"      --summary                  text: verdict counts per id and server with examples\n"
"                                 (the default when more than a screenful fail)\n"
"      --events                   text: Windows' own events of an .etl, in the head\n"
"                                 and beside each connection's ladder by time\n"
"  -j, --jobs N                   analyse N captures at once; one capture: 2 or more read\n"
"                                 it ahead on a second core (default: the core count)\n"
"      --redact                   pseudonyms for addresses, names, certificates, paths\n"
"      --redact-key FILE          ... the same in every run with this key (implies --redact)\n"
"      --max-unpacked SIZE        stop reading an archive after SIZE bytes unpacked (64G)\n"
"      --max-ratio N              ... or when it unpacks to N times its size (100)\n"
"      --progress                 progress on stderr (default: on a terminal, large input)\n"
"      --no-progress              never show progress\n"
"      --export FILE              what was read as pcapng for Wireshark: packets, ETL\n"
"                                 events (ETW), evidence frames commented\n"
"      --export-inner FILE        the IPv6 packets inside IP-HTTPS tunnels as pcapng\n"
"      --list-rules               list the verdicts datrace can give, and exit\n"
"  -h, --help                     this help\n"
"  -V, --version                  the version\n"
"\n"
"Exit status: 0 no error found, 1 an error verdict, 2 usage error or unreadable input,\n"
"3 partial analysis (the memory cap dropped connections).\n";

enum { OPT_HOST = 256, OPT_CA, OPT_EXPECT, OPT_ALL, OPT_MEMORY_CAP, OPT_PROGRESS,
    OPT_NO_PROGRESS, OPT_LIST_RULES, OPT_INSPECTION, OPT_MAX_UNPACKED,
    OPT_MAX_RATIO, OPT_REDACT, OPT_REDACT_KEY, OPT_EXPORT_INNER, OPT_SUMMARY,
    OPT_EXPORT, OPT_EVENTS, OPT_SPILL_DIR, OPT_NO_SPILL, OPT_SPILL_AFTER };

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
	{ "memory-cap", required_argument, NULL, OPT_MEMORY_CAP },
	{ "spill-dir", required_argument, NULL, OPT_SPILL_DIR },
	{ "no-spill", no_argument, NULL, OPT_NO_SPILL },
	{ "spill-after", required_argument, NULL, OPT_SPILL_AFTER },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "events", no_argument, NULL, OPT_EVENTS },
	{ "jobs", required_argument, NULL, 'j' },
	{ "redact", no_argument, NULL, OPT_REDACT },
	{ "redact-key", required_argument, NULL, OPT_REDACT_KEY },
	{ "max-unpacked", required_argument, NULL, OPT_MAX_UNPACKED },
	{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "list-rules", no_argument, NULL, OPT_LIST_RULES },
	{ "export-inner", required_argument, NULL, OPT_EXPORT_INNER },
	{ "export", required_argument, NULL, OPT_EXPORT },
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

	const char *name;
	uint32_t code;
	size_t k;

	/* the Windows errors after "; Windows ", joined by " or " (the man
	   page's rule list is made from this: scripts/man-rules.sh) */
	for (i = 0; dt_rule_at(i, &id, &sev, &summary) == 0; i++) {
		printf("%-30s %-8s %s", id, dt_severity_name(sev), summary);
		for (k = 0; dt_rule_windows_at(id, k, &code, &name) == 0; k++)
			printf("%s0x%" PRIx32 " %s", k == 0 ? "; Windows " :
			    " or ", code, name);
		putchar('\n');
	}
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

/* --redact-key FILE: its bytes (1 to 4096) are the key. */
static int
read_key(const char *path, unsigned char *key, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (fp == NULL) {
		fprintf(stderr, "datrace: --redact-key %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	n = fread(key, 1, 4096, fp);
	if (ferror(fp) || n == 0 || fgetc(fp) != EOF) {
		fprintf(stderr, "datrace: --redact-key %s: %s\n", path,
		    n == 0 ? "empty" : "more than 4096 bytes, or unreadable");
		fclose(fp);
		return -1;
	}
	fclose(fp);
	*len = n;
	return 0;
}

/* Sizes as "64G", "500M", "1048576". */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	if (*s == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (*end != '\0' || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Connections the memory cap kept out, per capture, said on stderr (unless
   quiet); 1 when there were any: the analysis is partial. */
static int
say_partial(const dt_analyzer *a, int quiet)
{
	const dt_capture *cap;
	size_t k;
	int partial = 0;

	for (k = 0; dt_analyzer_capture_at(a, k, &cap) == 0; k++) {
		if (dt_capture_dropped_conns(cap) == 0)
			continue;
		partial = 1;
		if (!quiet)
			fprintf(stderr, "datrace: %s: warning: the memory cap "
			    "dropped %llu connections; the analysis is partial "
			    "(raise --memory-cap)\n", dt_capture_path(cap),
			    (unsigned long long)dt_capture_dropped_conns(cap));
	}
	return partial;
}

/* -j: one analyzer and one message buffer per input, run by a pool of
   threads (the library is safe for separate analyzers); results and
   messages are taken in command-line order, so the output is the same as
   a serial run. */
struct job {
	const dt_options *opts;
	const struct in_limits *lim;
	const struct in_list *in;
	int quiet;
	size_t next;
	struct in_sink *an;
	char **msg;
	size_t *msg_len;
	struct in_count *count;
	pthread_mutex_t lock;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	FILE *msg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&j->lock);
		i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->in->n)
			return NULL;
		msg = open_memstream(&j->msg[i], &j->msg_len[i]);
		if (msg == NULL) {
			j->count[i].bad++;
			continue;
		}
		if (in_analyse(&j->an[i], j->opts, &j->in->v[i], j->lim,
		    j->quiet, NULL, NULL, msg, &j->count[i]) != 0)
			j->count[i].bad++;
		fclose(msg);
	}
}

static int
analyse_parallel(dt_analyzer *a, const dt_options *opts,
    const struct in_limits *lim, const struct in_list *in, int jobs,
    int quiet, struct in_count *count, int *skipped)
{
	struct job j;
	pthread_t *t;
	int started = 0, rc = 0, i;
	size_t k, m;

	memset(&j, 0, sizeof j);
	j.opts = opts;
	j.lim = lim;
	j.in = in;
	j.quiet = quiet;
	j.an = calloc(in->n, sizeof *j.an);
	j.msg = calloc(in->n, sizeof *j.msg);
	j.msg_len = calloc(in->n, sizeof *j.msg_len);
	j.count = calloc(in->n, sizeof *j.count);
	t = calloc((size_t)jobs, sizeof *t);
	if (j.an == NULL || j.msg == NULL || j.msg_len == NULL ||
	    j.count == NULL || t == NULL ||
	    pthread_mutex_init(&j.lock, NULL) != 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < jobs && (size_t)i < in->n; i++)
		if (pthread_create(&t[i], NULL, worker, &j) == 0)
			started++;
	if (started == 0)
		worker(&j);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (k = 0; k < in->n; k++) {
		if (j.msg[k] == NULL)
			fprintf(stderr, "datrace: %s: %s\n", in->v[k].path,
			    dt_strerror(DT_ENOMEM));
		if (j.msg[k] != NULL)
			fwrite(j.msg[k], 1, j.msg_len[k], stderr);
		count->analysed += j.count[k].analysed;
		count->bad += j.count[k].bad;
		if (in->v[k].folder >= 0)
			skipped[in->v[k].folder] += j.count[k].skipped;
		for (m = 0; m < j.an[k].n; m++)
			if (rc == 0 && dt_analyzer_adopt(a, j.an[k].v[m]) == 0)
				j.an[k].v[m] = NULL;	/* a frees it now */
			else
				rc = -1;
	}
	pthread_mutex_destroy(&j.lock);
out:
	for (k = 0; j.an != NULL && k < in->n; k++)
		in_sink_free(&j.an[k]);
	for (k = 0; j.msg != NULL && k < in->n; k++)
		free(j.msg[k]);
	free(j.an);
	free(j.msg);
	free(j.msg_len);
	free(j.count);
	free(t);
	return rc;
}

/* Columns of the terminal on stdout, else $COLUMNS, else 0 (80). */
static unsigned
term_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	long v;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0)
		return ws.ws_col;
	if (env != NULL && (v = strtol(env, NULL, 10)) > 0 && v < 1000)
		return (unsigned)v;
	return 0;
}

static int
has_stdin(const struct in_list *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		if (strcmp(in->v[i].path, "-") == 0)
			return 1;
	return 0;
}

/* Analyse every input in order into a, progress on stderr for big files. */
static int
analyse_serial(dt_analyzer *a, const dt_options *opts,
    const struct in_limits *lim, const struct in_list *in, int quiet,
    int progress, struct in_count *count, int *skipped)
{
	struct in_sink sink = { a, NULL, 0, 0 };
	struct progress prog;
	struct in_count one;
	struct stat st;
	size_t i;
	int rc = 0;

	for (i = 0; i < in->n && rc == 0; i++) {
		const char *path = in->v[i].path;
		/* asked for, it shows even with -q (a script that waits) */
		int show = progress == 1 || (!quiet && progress == -1 &&
		    isatty(STDERR_FILENO) && stat(path, &st) == 0 &&
		    st.st_size > (64 << 20));

		memset(&prog, 0, sizeof prog);
		memset(&one, 0, sizeof one);
		prog.name = path;
		prog.start = prog.last = time(NULL);
		rc = in_analyse(&sink, opts, &in->v[i], lim, quiet,
		    show ? show_progress : NULL, &prog, stderr, &one);
		if (prog.shown)
			fputc('\n', stderr);
		count->analysed += one.analysed;
		count->bad += one.bad;
		if (in->v[i].folder >= 0)
			skipped[in->v[i].folder] += one.skipped;
	}
	return rc;
}

/* `datrace serve ...` runs datrace-serve (server/), found beside this
   binary or on PATH: the web service is its own program, so the CLI links
   no HTTP or SQL code. */
static int
exec_serve(char **argv)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 16);
	char *slash;

	argv[0] = "datrace-serve";
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			strcpy(slash + 1, "datrace-serve");
			execv(self, argv);
		}
	}
	execvp("datrace-serve", argv);
	fprintf(stderr, "datrace: serve: cannot run datrace-serve: %s\n",
	    strerror(errno));
	return EXIT_USAGE;
}

/*
 * Where the facts of a big capture wait for the report (dt_options.
 * spill_dir): the user's directory, which must be one we can write (said
 * before any analysis), else $TMPDIR, else /var/tmp (on disk where /tmp
 * is RAM), else /tmp; NULL (all in memory) when none can be written.
 */
static int
writable_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return access(dir, W_OK | X_OK);
}

static const char *
default_spill_dir(void)
{
	const char *dirs[] = { getenv("TMPDIR"), "/var/tmp", "/tmp" };
	size_t i;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (dirs[i] != NULL && dirs[i][0] != '\0' &&
		    writable_dir(dirs[i]) == 0)
			return dirs[i];
	return NULL;
}

/*
 * The cap of one analysis when --memory-cap is not given. The library's
 * default (256 MiB) suits programs that run many analyses at once; here
 * a person waits for one capture's answer, and a partial answer for a
 * capture the machine could have held whole is the worse surprise: a
 * working day of a DirectAccess server's traffic (2 GiB, 164,000
 * connections; make bench) needs 378 MiB and was cut to half its
 * connections under 256 MiB. A capture that needs more still ends in
 * counted drops, an analysis-partial verdict and exit 3, never in
 * unbounded memory. With -j N each analysis has its own cap.
 */
#define CLI_MEMORY_CAP ((size_t)1 << 30)

/*
 * Kept facts past this go to the spill file (dt_options.spill_after; the
 * library's default, 256 MiB, is for callers that choose). A spill costs
 * the analysis little now that a walk maps the file back 2 MiB a fault
 * and each kind of facts fills regions of its own (util/spill.h), and
 * it is what keeps a day's report under 64 MiB of RSS (2 GiB bench day,
 * every format: 48-60 MiB spilled from 1 MiB, 170 from 256 MiB). Small captures
 * (every testdata capture, kept under 1 MiB) never make a file.
 */
#define CLI_SPILL_AFTER ((size_t)1 << 20)

/*
 * main() returns right after the report: the process's memory goes back
 * to the kernel in one step. Freeing the analysis first, block by block
 * (a day's facts are millions of blocks), cost 9 % of a -q run on the
 * bench day for nothing. Builds with a leak checker still free it, so
 * that a leak in the library's own freeing stays visible there.
 */
#if defined(__SANITIZE_ADDRESS__)
#define FREE_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define FREE_AT_EXIT 1
#endif
#endif
#ifndef FREE_AT_EXIT
#define FREE_AT_EXIT 0
#endif

/*
 * The analysis keeps its facts on the C library's heap, which grows a page
 * at a time as connections are kept: one page fault per 4 KiB first
 * touched (8,700 on a 100 MB capture, 12 % of -q's CPU on a virtual
 * machine, where a fault is dear), and one TLB entry per page when the
 * rules walk the connections. Ask for transparent huge pages on the heap,
 * as glibc's tunable glibc.malloc.hugetlb=1 does: the heap grows by
 * `reserve` bytes of address space at once (M_TOP_PAD: addresses, not
 * memory; what is never touched costs nothing) and that range is advised
 * MADV_HUGEPAGE, so it fills 2 MiB at a time. Growth past it is ordinary.
 * Nothing changes where the kernel has huge pages off, or where the heap
 * is not one contiguous break (the advice is then simply not given).
 */
static void
heap_huge_pages(size_t reserve)
{
	uintptr_t from, to;
	void *p;

	if (reserve > (size_t)1 << 30)
		reserve = (size_t)1 << 30;
	mallopt(M_TOP_PAD, 0);
	malloc_trim(0);			/* the free top goes: the next block
					   grows the heap by `reserve` */
	mallopt(M_TOP_PAD, (int)reserve);
	if ((p = malloc(64 * 1024)) == NULL)
		return;
	from = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	to = (uintptr_t)sbrk(0);
	if (to > from)
		(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
	free(p);
}

/*
 * Between the analysis and the report: the heap's free memory back to the
 * kernel. The rules' indexes and the flows' buffers were freed when the
 * analysis ended, but the heap keeps freed memory for the next malloc,
 * and the huge pages it is advised (heap_huge_pages) stay resident while
 * any byte of them is live: the 2 GiB bench day's report was written
 * beside 49 MiB of heap of which 30 were in use. Only the process that
 * owns the allocator may do this (it is process-wide: other threads'
 * arenas too), so the CLI does, not the library, whose callers may have
 * their own allocator (dt_options.alloc) or other plans for their heap.
 */
static void
heap_return(void)
{
	(void)malloc_trim(0);
}

/*
 * Capture files are read through a mapping (dt_options.map_files): no
 * copy out of the page cache, a tenth of the CPU of a run. A file cut
 * shorter meanwhile (by the program still writing it, a rotation, a
 * network file system gone) raises SIGBUS at the next byte read, which
 * the shell would report as "Bus error" and a core. One line says what
 * happened instead, with the status of an input that could not be
 * analysed; what was written to the output so far is incomplete.
 */
static void
on_sigbus(int sig)
{
	static const char msg[] = "datrace: error: a capture file was cut "
	    "shorter while it was read (SIGBUS); the analysis stopped\n";
	ssize_t k;

	(void)sig;
	k = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)k;
	_exit(EXIT_USAGE);
}

static void
catch_sigbus(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGBUS, &sa, NULL);
}

int
main(int argc, char **argv)
{
	dt_options opts = DT_OPTIONS_INIT;
	struct in_limits lim = { IN_MAX_BYTES_DEFAULT, IN_MAX_RATIO_DEFAULT };
	struct in_list in;
	struct in_count count;
	dt_analyzer *a = NULL;
	const char *format = "text", *output = NULL, *export_inner = NULL;
	const char *export = NULL, *spill_dir = NULL;
	int no_spill = 0;
	FILE *export_fp = NULL;
	struct inner_export inner;
	FILE *out = stdout, *w;
	struct behind bh;
	struct stat ost;
	size_t at_once;			/* captures analysed at once */
	int out_existed = 0;
	int verbose = 0, quiet = 0, progress = -1, summary = 0, events = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = ncpu > 0 ? (ncpu > 256 ? 256 : (int)ncpu) : 1;
	int c, i, rc, status, *skipped = NULL;
	size_t nports = 1, k;
	unsigned flags = 0;
	const char *key_file = NULL;
	unsigned char key[4096];
	size_t key_len = 0;

	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		return exec_serve(argv + 1);
	memset(&in, 0, sizeof in);
	memset(&count, 0, sizeof count);
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
			size_t n;
			int dup = 0;

			if (parse_port(optarg, &port) != 0)
				return usage_error("bad port '%s' (1-65535)", optarg);
			for (n = 0; n < nports; n++)
				dup |= opts.ports[n] == port;
			if (dup)
				break;
			if (nports >= DT_MAX_PORTS)
				return usage_error("too many ports (at most %s)", "16");
			opts.ports[nports++] = port;
			break;
		}
		case 'F': opts.filter = optarg; break;
		case OPT_ALL: opts.all = 1; break;
		case OPT_MEMORY_CAP: {
			uint64_t v;

			/* at least 1 MiB, so that the analysis has room to start */
			if (parse_size(optarg, &v) != 0 || v < (1u << 20) ||
			    v > SIZE_MAX)
				return usage_error("bad memory cap '%s' (bytes, or "
				    "with K, M, G; at least 1M)", optarg);
			opts.memory_cap = (size_t)v;
			break;
		}
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
		case OPT_REDACT: opts.redact = 1; break;
		case OPT_REDACT_KEY:
			opts.redact = 1;
			key_file = optarg;
			break;
		case OPT_MAX_UNPACKED:
			if (parse_size(optarg, &lim.max_bytes) != 0)
				return usage_error("bad size '%s' (bytes, or with K, M, G, T)", optarg);
			break;
		case OPT_MAX_RATIO:
			if (parse_size(optarg, &lim.max_ratio) != 0)
				return usage_error("bad ratio '%s' (a whole number from 1)", optarg);
			break;
		case OPT_PROGRESS: progress = 1; break;
		case OPT_SUMMARY: summary = 1; break;
		case OPT_EVENTS: events = 1; break;
		case OPT_SPILL_DIR: spill_dir = optarg; break;
		case OPT_NO_SPILL: no_spill = 1; break;
		case OPT_SPILL_AFTER: {
			uint64_t v;

			if (parse_size(optarg, &v) != 0 || v < (1u << 20) ||
			    v > SIZE_MAX)
				return usage_error("bad spill threshold '%s' "
				    "(bytes, or with K, M, G; at least 1M)",
				    optarg);
			opts.spill_after = (size_t)v;
			break;
		}
		case OPT_NO_PROGRESS: progress = 0; break;
		case OPT_LIST_RULES: return list_rules();
		case OPT_EXPORT_INNER: export_inner = optarg; break;
		case OPT_EXPORT: export = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case 'V': printf("datrace %s\n", dt_version()); return EXIT_OK;
		default:
			fprintf(stderr, "Try 'datrace --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no capture file given");
	/* one key for every analyzer of the run (-j), so one value gets
	   one pseudonym in the whole report */
	if (opts.redact) {
		if (key_file != NULL ? read_key(key_file, key, &key_len) != 0 :
		    getrandom(key, sizeof key, 0) != (ssize_t)sizeof key)
			return EXIT_USAGE;
		if (key_file == NULL)
			key_len = sizeof key;
		opts.redact_key = key;
		opts.redact_key_len = key_len;
	}

	if (export != NULL && opts.redact)
		return usage_error("%s", "--export writes the packets as "
		    "they are: it cannot be combined with --redact");
	if (export_inner != NULL && opts.redact)
		return usage_error("%s", "--export-inner writes the packets as "
		    "they are: it cannot be combined with --redact");
	if (opts.memory_cap == 0)
		opts.memory_cap = CLI_MEMORY_CAP;
	if (spill_dir != NULL && !no_spill && writable_dir(spill_dir) != 0) {
		fprintf(stderr, "datrace: cannot spill to %s: %s\n", spill_dir,
		    strerror(errno));
		return EXIT_USAGE;
	}
	if (!no_spill)
		opts.spill_dir = spill_dir != NULL ? spill_dir :
		    default_spill_dir();
	if (opts.spill_after == 0)
		opts.spill_after = CLI_SPILL_AFTER;
	heap_huge_pages(opts.memory_cap);
	rc = dt_analyzer_new(&a, &opts);
	if (rc != 0) {
		fprintf(stderr, "datrace: %s\n", a != NULL ?
		    dt_analyzer_errmsg(a) : dt_strerror(rc));
		dt_analyzer_free(a);
		return EXIT_USAGE;
	}

	/* an output that cannot be written is said before any analysis */
	if (output != NULL && !quiet) {
		out_existed = access(output, F_OK) == 0;
		out = fopen(output, "w");
		if (out == NULL) {
			fprintf(stderr, "datrace: cannot write %s: %s\n", output,
			    strerror(errno));
			out = stdout;
			status = EXIT_USAGE;
			goto done;
		}
	}
	if (export_inner != NULL) {
		if (inner_export_open(&inner, export_inner) != 0) {
			fprintf(stderr, "datrace: cannot write %s: %s\n",
			    export_inner, strerror(errno));
			dt_analyzer_free(a);
			return EXIT_USAGE;
		}
		inner_export_active = &inner;
		jobs = 1;	/* one file, packets in capture order */
	}
	for (i = optind; i < argc; i++)
		if (in_expand(&in, argv[i], stderr, &count.bad) != 0)
			goto nomem;
	if (in.nfolders > 0 &&
	    (skipped = calloc(in.nfolders, sizeof *skipped)) == NULL)
		goto nomem;
	/* the export file too is said before any analysis */
	if (export != NULL && (export_fp = export_open(export, &in)) == NULL) {
		status = EXIT_USAGE;
		goto done;
	}
	at_once = jobs > 1 && in.n > 1 && !has_stdin(&in) ? in.n : 1;
	/* a core to spare for each capture analysed at once: it reads
	   ahead what is not mapped (a pipe, an archive member) */
	opts.threads = (size_t)jobs >= 2 * at_once;
	opts.map_files = 1;
	catch_sigbus();
	if (at_once > 1)
		rc = analyse_parallel(a, &opts, &lim, &in, jobs, quiet, &count,
		    skipped);
	else
		rc = analyse_serial(a, &opts, &lim, &in, quiet, progress, &count,
		    skipped);
	if (rc != 0)
		goto nomem;
	for (k = 0; k < in.nfolders && !quiet; k++)
		if (skipped[k] > 0)
			fprintf(stderr, "datrace: note: %s: %d file%s that %s not "
			    "a capture skipped\n", in.folders[k], skipped[k],
			    skipped[k] == 1 ? "" : "s",
			    skipped[k] == 1 ? "is" : "are");

	status = say_partial(a, quiet) ? EXIT_PARTIAL :
	    dt_analyzer_worst(a) >= DT_SEV_ERROR ? EXIT_FINDING : EXIT_OK;
	if (count.bad > 0)
		status = EXIT_USAGE;
	if (export_inner != NULL && inner_export_close(&inner) != 0) {
		fprintf(stderr, "datrace: cannot write %s: %s\n", export_inner,
		    strerror(errno));
		status = EXIT_USAGE;
	}
	if (export_fp != NULL) {
		if (export_write(a, export_fp, export, quiet) != 0)
			status = EXIT_USAGE;
		export_fp = NULL;
	}
	/* nothing read at all (a path that does not exist): no report */
	if (quiet || dt_analyzer_capture_count(a) == 0)
		goto done;
	if (verbose)
		flags |= DT_TEXT_VERBOSE;
	if (summary)
		flags |= DT_TEXT_SUMMARY;
	if (events)
		flags |= DT_TEXT_EVENTS;
	if (output == NULL && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL)
		flags |= DT_TEXT_COLOR;
	flags |= DT_TEXT_WIDTH(output == NULL ? term_width() : 0);
	heap_return();
	/* with a second core, a thread writes the bytes out (cli/behind.c)
	   to a file or a pipe; a terminal gets them as they come, and
	   /dev/null would only cost the copy */
	w = out;
	if (jobs > 1 && fstat(fileno(out), &ost) == 0 &&
	    (S_ISREG(ost.st_mode) || S_ISFIFO(ost.st_mode) ||
	    S_ISSOCK(ost.st_mode)) && behind_start(&bh, out) == 0)
		w = bh.fp;
	if (strcmp(format, "json") == 0)
		rc = dt_write_json(a, w, 0);
	else if (strcmp(format, "jsonl") == 0)
		rc = dt_write_jsonl(a, w, 0);
	else if (strcmp(format, "html") == 0)
		rc = dt_write_html(a, w, flags & DT_TEXT_VERBOSE);
	else
		rc = dt_write_text(a, w, flags);
	if (w != out && behind_end(&bh) != 0)
		rc = -1;		/* errno: the write's */
	if (fflush(out) != 0 || rc != 0) {
		fprintf(stderr, "datrace: cannot write %s: %s\n",
		    output ? output : "standard output", strerror(errno));
		status = EXIT_USAGE;
	}
	if (out != stdout)
		fclose(out);
	out = stdout;
done:
	if (export_fp != NULL)
		fclose(export_fp);
	if (out != stdout) {		/* no report: leave no empty file */
		fclose(out);
		if (!out_existed)
			unlink(output);
	}
	in_list_free(&in);
	free(skipped);
	if (FREE_AT_EXIT)
		dt_analyzer_free(a);
	return status;
nomem:
	fprintf(stderr, "datrace: %s\n", dt_strerror(DT_ENOMEM));
	status = EXIT_USAGE;
	goto done;
}
