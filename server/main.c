/*
 * main.c - `datrace serve`: a small self-hosted web service where engineers
 * upload a capture and get datrace's report to share (see datrace-serve(1)).
 *
 * This is its own binary, datrace-serve, which `datrace serve` executes:
 * the command line and the library stay free of HTTP and SQL, and the
 * analyses themselves run in children that execute the plain datrace
 * binary (jobs.c). Here: the options, the token file, start-up recovery,
 * then wait for SIGTERM/SIGINT and stop in order (HTTP first, so no upload
 * is half-committed; then the workers, whose running jobs go back to the
 * queue).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datrace.h"
#include "serve.h"

static const char usage_text[] =
"usage: datrace serve [options]\n"
"A web service: upload a capture, get datrace's report.\n"
"\n"
"  --listen ADDR:PORT      where to listen (default 127.0.0.1:8080; [::1]:8080)\n"
"  --data DIR              uploads, reports and the job table (default ./datrace-data)\n"
"  --jobs N                analyses at once (default: the core count)\n"
"  --max-upload SIZE       largest capture accepted (default 4G; K, M, G, T)\n"
"  --retention-days N      remove analyses older than N days (default 30)\n"
"  --token-file FILE       require tokens: lines 'upload TOKEN' or 'read TOKEN'\n"
"  --tls-cert FILE         serve HTTPS with this PEM certificate (chain)...\n"
"  --tls-key FILE          ...and this PEM private key\n"
"  --job-timeout SECONDS   wall-clock limit per analysis (default 600)\n"
"  --job-cpu SECONDS       CPU limit per analysis (default: the timeout)\n"
"  --job-memory SIZE       address-space limit per analysis (default 4G)\n"
"  --job-output SIZE       largest report file an analysis may write (default 1G)\n"
"  --idle-timeout SECONDS  close connections idle this long (default 60)\n"
"  --threads N             HTTP thread pool (default 4)\n"
"  --analyser PATH         the datrace binary to run (default: next to this one)\n"
"  --retention-seconds N   retention in seconds (for tests)\n"
"  -h, --help / -V, --version\n";

enum { O_LISTEN = 256, O_DATA, O_JOBS, O_MAX, O_RET_DAYS, O_TOKENS, O_CERT,
    O_KEY, O_TIMEOUT, O_CPU, O_MEMORY, O_OUTPUT, O_IDLE, O_THREADS,
    O_ANALYSER, O_RET_SECS };

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "data", required_argument, NULL, O_DATA },
	{ "jobs", required_argument, NULL, O_JOBS },
	{ "max-upload", required_argument, NULL, O_MAX },
	{ "retention-days", required_argument, NULL, O_RET_DAYS },
	{ "token-file", required_argument, NULL, O_TOKENS },
	{ "tls-cert", required_argument, NULL, O_CERT },
	{ "tls-key", required_argument, NULL, O_KEY },
	{ "job-timeout", required_argument, NULL, O_TIMEOUT },
	{ "job-cpu", required_argument, NULL, O_CPU },
	{ "job-memory", required_argument, NULL, O_MEMORY },
	{ "job-output", required_argument, NULL, O_OUTPUT },
	{ "idle-timeout", required_argument, NULL, O_IDLE },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "analyser", required_argument, NULL, O_ANALYSER },
	{ "retention-seconds", required_argument, NULL, O_RET_SECS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int
srv_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'i' && shift > 0)
		end++;
	if (*end == 'B')
		end++;
	if (*end != '\0' || v > (ULLONG_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static char *
read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = malloc(max + 1);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Lines "upload TOKEN" or "read TOKEN"; '#' comments and blank lines. */
static int
load_tokens(struct srv *s, const char *path)
{
	char *text = read_file(path, 1 << 20), *line, *save;
	int lineno = 0;

	if (text == NULL) {
		fprintf(stderr, "datrace serve: cannot read %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char kind[16], value[256], extra;
		int n;
		struct token *t;

		lineno++;
		line[strcspn(line, "\r#")] = '\0';
		n = sscanf(line, "%15s %255s %c", kind, value, &extra);
		if (n <= 0)
			continue;
		if (n != 2 || (strcmp(kind, "upload") != 0 &&
		    strcmp(kind, "read") != 0) || strlen(value) < 8) {
			fprintf(stderr, "datrace serve: %s: line %d: want 'upload "
			    "TOKEN' or 'read TOKEN' (8 characters or more)\n",
			    path, lineno);
			free(text);
			return -1;
		}
		t = realloc(s->tokens, (s->ntokens + 1) * sizeof *t);
		if (t == NULL) {
			free(text);
			return -1;
		}
		s->tokens = t;
		t[s->ntokens].kind = strcmp(kind, "upload") == 0 ? TOK_UPLOAD : TOK_READ;
		t[s->ntokens].value = strdup(value);
		if (t[s->ntokens].value == NULL) {
			free(text);
			return -1;
		}
		s->ntokens++;
	}
	free(text);
	if (s->ntokens == 0) {
		fprintf(stderr, "datrace serve: %s holds no token\n", path);
		return -1;
	}
	return 0;
}

/* The datrace binary beside this one (build/ or PREFIX/bin). */
static void
default_analyser(struct srv *s)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash;

	snprintf(s->analyser, sizeof s->analyser, "datrace");
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return;
	if ((size_t)(slash - self) + 9 > sizeof s->analyser)
		return;
	memcpy(s->analyser, self, (size_t)(slash - self) + 1);
	strcpy(s->analyser + (slash - self) + 1, "datrace");
}

static int
usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "datrace serve: %s '%s'\nTry 'datrace serve --help'.\n",
	    what, arg);
	return 2;
}

static void
free_srv(struct srv *s)
{
	size_t i;

	for (i = 0; i < s->ntokens; i++)
		free(s->tokens[i].value);
	free(s->tokens);
	free(s->tls_cert);
	free(s->tls_key);
}

int
main(int argc, char **argv)
{
	struct srv s;
	const char *cert = NULL, *key = NULL, *tokens = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), v;
	long long days = 30, secs = -1;
	double d;
	char *end;
	int c, sig, rc = 1;
	sigset_t set;

	memset(&s, 0, sizeof s);
	s.listen = "127.0.0.1:8080";
	s.data = "./datrace-data";
	s.jobs = ncpu > 0 ? (ncpu > 64 ? 64 : (int)ncpu) : 1;
	s.max_upload = 4ULL << 30;
	s.job_timeout = 600;
	s.job_cpu = -1;
	s.job_memory = 4ULL << 30;
	s.job_fsize = 1ULL << 30;
	s.idle_timeout = 60;
	s.threads = 4;
	default_analyser(&s);

	while ((c = getopt_long(argc, argv, "hV", long_opts, NULL)) != -1) {
		switch (c) {
		case O_LISTEN: s.listen = optarg; break;
		case O_DATA: s.data = optarg; break;
		case O_JOBS:
			if (parse_long(optarg, 1, 256, &v) != 0)
				return usage_error("bad job count (1-256)", optarg);
			s.jobs = (int)v;
			break;
		case O_MAX:
			if (srv_parse_size(optarg, &s.max_upload) != 0 ||
			    s.max_upload == 0)
				return usage_error("bad size", optarg);
			break;
		case O_RET_DAYS:
			if (parse_long(optarg, 1, 100000, &v) != 0)
				return usage_error("bad day count", optarg);
			days = v;
			break;
		case O_RET_SECS:
			if (parse_long(optarg, 1, LONG_MAX, &v) != 0)
				return usage_error("bad second count", optarg);
			secs = v;
			break;
		case O_TOKENS: tokens = optarg; break;
		case O_CERT: cert = optarg; break;
		case O_KEY: key = optarg; break;
		case O_TIMEOUT:
			d = strtod(optarg, &end);
			if (*end != '\0' || end == optarg || !(d > 0) || d > 1e7)
				return usage_error("bad timeout", optarg);
			s.job_timeout = d;
			break;
		case O_CPU:
			if (parse_long(optarg, 1, 10000000, &v) != 0)
				return usage_error("bad CPU seconds", optarg);
			s.job_cpu = v;
			break;
		case O_MEMORY:
			if (srv_parse_size(optarg, &s.job_memory) != 0 ||
			    s.job_memory < (16 << 20))
				return usage_error("bad size (16M or more)", optarg);
			break;
		case O_OUTPUT:
			if (srv_parse_size(optarg, &s.job_fsize) != 0 ||
			    s.job_fsize < (1 << 20))
				return usage_error("bad size (1M or more)", optarg);
			break;
		case O_IDLE:
			if (parse_long(optarg, 1, 86400, &v) != 0)
				return usage_error("bad timeout", optarg);
			s.idle_timeout = (unsigned)v;
			break;
		case O_THREADS:
			if (parse_long(optarg, 1, 64, &v) != 0)
				return usage_error("bad thread count (1-64)", optarg);
			s.threads = (int)v;
			break;
		case O_ANALYSER:
			snprintf(s.analyser, sizeof s.analyser, "%s", optarg);
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("datrace serve %s\n", dt_version()); return 0;
		default:
			fprintf(stderr, "Try 'datrace serve --help'.\n");
			return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	s.retention = secs > 0 ? secs : days * 86400;
	if (s.job_cpu < 0)
		s.job_cpu = (long)ceil(s.job_timeout);
	if ((cert == NULL) != (key == NULL)) {
		fprintf(stderr, "datrace serve: --tls-cert and --tls-key go "
		    "together\n");
		return 2;
	}
	if (cert != NULL) {
		s.tls_cert = read_file(cert, 1 << 20);
		s.tls_key = read_file(key, 1 << 20);
		if (s.tls_cert == NULL || s.tls_key == NULL) {
			fprintf(stderr, "datrace serve: cannot read %s: %s\n",
			    s.tls_cert == NULL ? cert : key, strerror(errno));
			free_srv(&s);
			return 2;
		}
	}
	if (tokens != NULL && load_tokens(&s, tokens) != 0) {
		free_srv(&s);
		return 2;
	}
	if (access(s.analyser, X_OK) != 0) {
		fprintf(stderr, "datrace serve: cannot run the analyser %s: %s\n",
		    s.analyser, strerror(errno));
		free_srv(&s);
		return 2;
	}

	/* signals: SIGTERM/SIGINT are taken by sigwait() below, in this
	   thread only; every thread started later inherits the mask */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	pthread_mutex_init(&s.db_lock, NULL);
	pthread_mutex_init(&s.q_lock, NULL);
	pthread_cond_init(&s.q_cond, NULL);
	if (pipe2(s.stop_pipe, O_CLOEXEC) != 0)
		goto out;
	if (store_open(&s) != 0 || store_recover(&s) != 0)
		goto out;
	if (http_start(&s) != 0)
		goto out;
	if (jobs_start(&s) != 0) {
		srv_log("cannot start the workers");
		http_stop(&s);
		goto out;
	}
	srv_log("listening on %s://%.*s:%u/ (data %s, %d job(s), max upload "
	    "%llu, retention %lld s, tokens %s, analyser %s, job limits: "
	    "%g s, %ld s CPU, memory %s, output %llu)",
	    s.tls_cert ? "https" : "http",
	    (int)(strrchr(s.listen, ':') - s.listen), s.listen, s.port, s.data, s.jobs,
	    (unsigned long long)s.max_upload, s.retention,
	    s.ntokens ? "on" : "off", s.analyser, s.job_timeout, s.job_cpu,
#if defined(__SANITIZE_ADDRESS__)
	    "off (AddressSanitizer)",
#else
	    "on",
#endif
	    (unsigned long long)s.job_fsize);

	while (sigwait(&set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	srv_log("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	http_stop(&s);
	jobs_stop(&s);
	rc = 0;
	srv_log("stopped");
out:
	store_close(&s);
	if (s.stop_pipe[0] > 0) {
		close(s.stop_pipe[0]);
		close(s.stop_pipe[1]);
	}
	pthread_mutex_destroy(&s.db_lock);
	pthread_mutex_destroy(&s.q_lock);
	pthread_cond_destroy(&s.q_cond);
	free_srv(&s);
	return rc;
}
