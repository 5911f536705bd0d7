/*
 * jobs.c - workers that run each analysis in a child process.
 *
 * A job is two runs of the datrace binary in the job's folder, never in the
 * server's address space: `datrace --format json` then `--format html`, each
 * a fork + exec with stdin and stdout on /dev/null, stderr into .stderr,
 * every other descriptor closed, a minimal environment, its own process
 * group, and resource limits (address space, CPU seconds, file size, no core
 * files). The worker waits on a pidfd with the wall-clock deadline and the
 * stop pipe: past the deadline, or when the server stops, the group is
 * killed. A crash, a limit or a timeout marks the job failed with the
 * reason (and datrace's own last error line); a stop leaves it queued.
 *
 * Test-only hook: DATRACE_SERVE_TEST_HOOK=crash:NAME|hang:NAME|balloon:NAME
 * is read by the child alone, after its limits are set and before exec, when
 * the job's capture is called NAME: it then crashes (SIGSEGV), sleeps, or
 * allocates until the address-space limit stops it. The server never reads
 * it; it exists so tests can prove the limits and the failure path.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "serve.h"

#if defined(__SANITIZE_ADDRESS__)
#define SRV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SRV_ASAN 1
#endif
#endif

#define MAX_SUMMARY (16 << 20)	/* largest report JSON read for the counts */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
child_hook(const char *name)
{
	const char *h = getenv("DATRACE_SERVE_TEST_HOOK");
	const char *colon;

	if (h == NULL || (colon = strchr(h, ':')) == NULL ||
	    strcmp(colon + 1, name) != 0)
		return;
	if (strncmp(h, "crash:", 6) == 0) {
		signal(SIGSEGV, SIG_DFL);	/* past any sanitizer's handler */
		raise(SIGSEGV);
	} else if (strncmp(h, "hang:", 5) == 0) {
		for (;;)
			pause();
	} else if (strncmp(h, "balloon:", 8) == 0) {
#ifdef SRV_ASAN
		static const char msg[] = "test hook: no balloon under ASan\n";

		(void)!write(2, msg, sizeof msg - 1);
		abort();
#else
		size_t mib = 0;
		char msg[96];
		int n;

		for (;;) {
			char *p = malloc(1 << 20);

			if (p == NULL)
				break;
			memset(p, 1, 1 << 20);
			mib++;
		}
		n = snprintf(msg, sizeof msg, "test hook: allocation failed "
		    "after %zu MiB\n", mib);
		(void)!write(2, msg, (size_t)n);
		abort();
#endif
	}
}

static void
set_limit(int res, rlim_t v)
{
	struct rlimit rl = { v, v };

	setrlimit(res, &rl);
}

/* In the child: never returns. */
static void
child(const struct srv *s, pid_t parent, const char *dir, const char *name,
    char **argv, int append)
{
	static char *envp[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL, NULL,
	    NULL, NULL };
	static const char *pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS",
	    "LSAN_OPTIONS" };
	sigset_t none;
	int fd, i, k = 2;

	/* the server killed with -9 takes its analyses with it: restart
	   re-queues them, so no orphan keeps running */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (chdir(dir) != 0)
		_exit(127);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		_exit(127);
	dup2(fd, 0);
	dup2(fd, 1);
	fd = open(".stderr", O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC),
	    0600);
	if (fd >= 0)
		dup2(fd, 2);
	syscall(SYS_close_range, 3U, ~0U, 0U);
	/* sanitizer runtimes reserve terabytes of address space: under ASan
	   the address-space limit is left off (the CPU, size and time ones
	   still hold) */
#ifndef SRV_ASAN
	set_limit(RLIMIT_AS, (rlim_t)s->job_memory);
#endif
	set_limit(RLIMIT_CPU, (rlim_t)s->job_cpu);
	set_limit(RLIMIT_FSIZE, (rlim_t)s->job_fsize);
	set_limit(RLIMIT_CORE, 0);
	set_limit(RLIMIT_NOFILE, 64);
	for (i = 0; i < 3; i++) {
		char *v = getenv(pass[i]);

		if (v != NULL)
			envp[k++] = v - strlen(pass[i]) - 1;
	}
	child_hook(name);
	execve(s->analyser, argv, envp);
	_exit(127);
}

enum run_end { RUN_EXITED, RUN_SIGNALLED, RUN_TIMEOUT, RUN_STOPPED, RUN_ERROR };

static enum run_end
run_child(struct srv *s, int slot, const char *dir, const char *name,
    char **argv, int append, double deadline, int *status)
{
	pid_t pid, self = getpid();
	int pfd, st = 0;
	enum run_end end = RUN_ERROR;

	pthread_mutex_lock(&s->q_lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->q_lock);
		return RUN_STOPPED;
	}
	pid = fork();
	if (pid == 0)
		child(s, self, dir, name, argv, append);
	if (pid > 0)
		s->children[slot] = pid;
	pthread_mutex_unlock(&s->q_lock);
	if (pid < 0) {
		srv_log("fork: %s", strerror(errno));
		return RUN_ERROR;
	}
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		struct pollfd p[2] = { { pfd, POLLIN, 0 },
		    { s->stop_pipe[0], POLLIN, 0 } };
		double left = deadline - now_s();
		int ms = left <= 0 ? 0 : left > 1e6 ? 1000000 : (int)ceil(left * 1000);

		if (pfd < 0) {		/* no pidfd: poll the child */
			p[0].fd = -1;
			if (ms > 20)
				ms = 20;
		}
		if (left <= 0) {
			end = RUN_TIMEOUT;
			break;
		}
		if (poll(p, 2, ms) < 0 && errno != EINTR)
			break;
		if (p[1].revents) {
			end = RUN_STOPPED;
			break;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			*status = st;
			end = WIFSIGNALED(st) ? RUN_SIGNALLED : RUN_EXITED;
			pid = 0;
			break;
		}
	}
	if (pid > 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	pthread_mutex_lock(&s->q_lock);
	s->children[slot] = 0;
	pthread_mutex_unlock(&s->q_lock);
	if (pfd >= 0)
		close(pfd);
	return end;
}

/* The last "datrace: " line the child wrote, or its last line. */
static char *
stderr_line(const char *dir)
{
	char *path = NULL, buf[4096], *best = NULL, *line, *save;
	ssize_t n;
	off_t size;
	int fd;

	(void)!asprintf(&path, "%s/.stderr", dir);
	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	if (fd < 0)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0,
	    SEEK_SET);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (best == NULL || strncmp(line, "datrace: ", 9) == 0 ||
		    strncmp(best, "datrace: ", 9) != 0)
			best = line;
	return best ? strdup(best) : NULL;
}

static char *
describe(enum run_end end, int st, const struct srv *s, const char *dir)
{
	char *why = NULL, *line = stderr_line(dir);

	switch (end) {
	case RUN_TIMEOUT:
		(void)!asprintf(&why, "timed out after %g s", s->job_timeout);
		break;
	case RUN_SIGNALLED:
		if (WTERMSIG(st) == SIGXCPU)
			(void)!asprintf(&why, "CPU time limit (%ld s) exceeded",
			    s->job_cpu);
		else if (WTERMSIG(st) == SIGXFSZ)
			(void)!asprintf(&why, "the report passed the file size "
			    "limit (%llu bytes)", (unsigned long long)s->job_fsize);
		else
			(void)!asprintf(&why, "the analyser crashed (signal %d, %s)%s%s",
			    WTERMSIG(st), strsignal(WTERMSIG(st)),
			    line ? ": " : "", line ? line : "");
		break;
	case RUN_EXITED:
		if (WEXITSTATUS(st) == 127 && line == NULL)
			(void)!asprintf(&why, "cannot run %s", s->analyser);
		else
			(void)!asprintf(&why, "%s", line ? line :
			    "the analyser failed without a message");
		break;
	default:
		(void)!asprintf(&why, "the analyser could not be started");
		break;
	}
	free(line);
	return why;
}

/* Verdict counts per severity and the top verdict, from the JSON report. */
static void
summarise(const char *dir, char **counts, char **top)
{
	static const char *sev[] = { "error", "warning", "info" };
	char *path = NULL;
	json_t *doc = NULL, *caps, *c, *v, *out;
	size_t i, k;
	int n[3] = { 0, 0, 0 }, best = 3;
	const char *best_id = NULL;
	struct stat sb;

	*counts = *top = NULL;
	(void)!asprintf(&path, "%s/.report.json", dir);
	if (path != NULL && stat(path, &sb) == 0 && sb.st_size <= MAX_SUMMARY)
		doc = json_load_file(path, 0, NULL);
	free(path);
	if (doc == NULL)
		return;
	caps = json_object_get(doc, "captures");
	json_array_foreach(caps, i, c) {
		json_array_foreach(json_object_get(c, "verdicts"), k, v) {
			const char *s = json_string_value(json_object_get(v, "severity"));
			int j;

			for (j = 0; j < 3; j++)
				if (s != NULL && strcmp(s, sev[j]) == 0)
					break;
			if (j == 3)
				continue;
			n[j]++;
			if (j < best) {
				best = j;
				best_id = json_string_value(json_object_get(v, "id"));
			}
		}
	}
	out = json_pack("{s:i,s:i,s:i}", "error", n[0], "warning", n[1],
	    "info", n[2]);
	if (out != NULL)
		*counts = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	if (best_id != NULL)
		*top = strdup(best_id);
	json_decref(doc);
}

static char **
build_argv(const struct job_opts *o, const char *format, const char *out,
    const char *name)
{
	char **argv = calloc(16 + 2 * SRV_MAX_PORTS, sizeof *argv);
	int k = 0, i;

	if (argv == NULL)
		return NULL;
	argv[k++] = strdup("datrace");
	argv[k++] = strdup("--no-progress");
	argv[k++] = strdup("--format");
	argv[k++] = strdup(format);
	argv[k++] = strdup("--output");
	argv[k++] = strdup(out);
	if (o->host[0]) {
		argv[k++] = strdup("--host");
		argv[k++] = strdup(o->host);
	}
	for (i = 0; i < o->nports; i++) {
		argv[k++] = strdup("--port");
		(void)!asprintf(&argv[k++], "%u", o->ports[i]);
	}
	if (o->all)
		argv[k++] = strdup("--all");
	if (o->ca) {
		argv[k++] = strdup("--ca");
		argv[k++] = strdup(".ca.pem");
	}
	if (o->expect_file || o->expect_sha[0]) {
		argv[k++] = strdup("--expect-cert");
		argv[k++] = strdup(o->expect_file ? ".expect.pem" : o->expect_sha);
	}
	argv[k++] = strdup("--");
	argv[k++] = strdup(name);
	for (i = 0; i < k; i++)
		if (argv[i] == NULL)
			return argv;	/* exec fails, the job is failed */
	return argv;
}

static void
free_argv(char **argv)
{
	int i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

static int
report_written(enum run_end end, int st)
{
	return end == RUN_EXITED && (WEXITSTATUS(st) <= 1 || WEXITSTATUS(st) == 3);
}

/* Both reports, not empty: an exit status alone does not prove them. */
static int
reports_there(const char *dir)
{
	static const char *file[2] = { ".report.json", ".report.html" };
	struct stat sb;
	char *p;
	int i, ok = 1;

	for (i = 0; i < 2; i++) {
		p = NULL;
		(void)!asprintf(&p, "%s/%s", dir, file[i]);
		if (p == NULL || stat(p, &sb) != 0 || sb.st_size == 0)
			ok = 0;
		free(p);
	}
	return ok;
}

static void
run_job(struct srv *s, int slot, const struct row *r)
{
	struct job_opts o;
	char *dir = store_path(s, r->id, NULL), *why = NULL, *counts = NULL;
	char *top = NULL;
	static const char *fmt[2] = { "json", "html" };
	static const char *out[2] = { ".report.json", ".report.html" };
	double t0 = now_s(), deadline = t0 + s->job_timeout;
	enum run_end end = RUN_EXITED;
	int i, st = 0, gone;

	srv_log("job %s running: %s", r->id, r->name);
	if (dir == NULL || opts_from_json(r->options, &o) != 0) {
		why = strdup("bad job options");
		goto failed;
	}
	for (i = 0; i < 2; i++) {
		char **argv = build_argv(&o, fmt[i], out[i], r->name);

		end = argv ? run_child(s, slot, dir, r->name, argv, i > 0,
		    deadline, &st) : RUN_ERROR;
		free_argv(argv);
		if (end == RUN_STOPPED) {
			store_requeue(s, r->id);
			srv_log("job %s left queued: the server is stopping", r->id);
			free(dir);
			return;
		}
		/* 0 no error verdict, 1 an error verdict, 3 partial (the
		   memory cap dropped connections): all three wrote a report */
		if (!report_written(end, st))
			break;
	}
	if (report_written(end, st) && !reports_there(dir)) {
		why = stderr_line(dir);
		if (why == NULL)
			why = strdup("the analyser wrote no report");
		goto failed;
	}
	if (report_written(end, st)) {
		summarise(dir, &counts, &top);
		gone = store_finish(s, r->id, "done", NULL, counts, top);
		srv_log("job %s done in %.0f ms: %s, top verdict %s%s", r->id,
		    (now_s() - t0) * 1000, counts ? counts : "no counts",
		    top ? top : "none", gone ? " (deleted meanwhile)" : "");
		free(counts);
		free(top);
		free(dir);
		return;
	}
	why = describe(end, st, s, dir);
failed:
	gone = store_finish(s, r->id, "failed", why ? why : "failed", NULL, NULL);
	srv_log("job %s failed in %.0f ms: %s%s", r->id, (now_s() - t0) * 1000,
	    why ? why : "?", gone ? " (deleted meanwhile)" : "");
	free(why);
	free(dir);
}

struct worker_arg {
	struct srv *s;
	int slot;
};

static void *
worker(void *arg)
{
	struct worker_arg *w = arg;
	struct srv *s = w->s;
	int slot = w->slot;
	struct row r;

	free(w);
	for (;;) {
		pthread_mutex_lock(&s->q_lock);
		if (s->stopping) {
			pthread_mutex_unlock(&s->q_lock);
			return NULL;
		}
		pthread_mutex_unlock(&s->q_lock);
		if (store_claim(s, &r)) {
			run_job(s, slot, &r);
			row_clear(&r);
			continue;
		}
		pthread_mutex_lock(&s->q_lock);
		if (!s->stopping) {
			struct timespec ts;

			/* woken by jobs_wake(); the timeout is a safety net */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 5;
			pthread_cond_timedwait(&s->q_cond, &s->q_lock, &ts);
		}
		pthread_mutex_unlock(&s->q_lock);
	}
}

/* Retention: every min(retention / 2, 1 h), at least every second. */
static void *
sweeper(void *arg)
{
	struct srv *s = arg;
	long long period = s->retention / 2;

	if (period > 3600)
		period = 3600;
	if (period < 1)
		period = 1;
	for (;;) {
		struct timespec ts;
		int n;

		n = store_expire(s, (long long)time(NULL) - s->retention);
		if (n > 0)
			srv_log("retention: %d analysis(es) older than %lld s "
			    "removed", n, s->retention);
		pthread_mutex_lock(&s->q_lock);
		if (!s->stopping) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += period;
			pthread_cond_timedwait(&s->q_cond, &s->q_lock, &ts);
		}
		if (s->stopping) {
			pthread_mutex_unlock(&s->q_lock);
			return NULL;
		}
		pthread_mutex_unlock(&s->q_lock);
	}
}

int
jobs_start(struct srv *s)
{
	int i;

	s->children = calloc((size_t)s->jobs, sizeof *s->children);
	s->workers = calloc((size_t)s->jobs, sizeof *s->workers);
	if (s->children == NULL || s->workers == NULL)
		return -1;
	for (i = 0; i < s->jobs; i++) {
		struct worker_arg *w = malloc(sizeof *w);

		if (w == NULL)
			return -1;
		w->s = s;
		w->slot = i;
		if (pthread_create(&s->workers[i], NULL, worker, w) != 0) {
			free(w);
			return -1;
		}
	}
	if (pthread_create(&s->sweeper, NULL, sweeper, s) != 0)
		return -1;
	return 0;
}

void
jobs_wake(struct srv *s)
{
	pthread_mutex_lock(&s->q_lock);
	pthread_cond_broadcast(&s->q_cond);
	pthread_mutex_unlock(&s->q_lock);
}

void
jobs_stop(struct srv *s)
{
	int i;

	pthread_mutex_lock(&s->q_lock);
	s->stopping = 1;
	(void)!write(s->stop_pipe[1], "x", 1);
	pthread_cond_broadcast(&s->q_cond);
	pthread_mutex_unlock(&s->q_lock);
	for (i = 0; i < s->jobs; i++)
		pthread_join(s->workers[i], NULL);
	pthread_join(s->sweeper, NULL);
	free(s->children);
	free(s->workers);
}
