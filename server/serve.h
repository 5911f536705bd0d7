/*
 * serve.h - what the parts of `datrace serve` offer each other.
 *
 * The server is three rooms around one struct srv: store.c (the data folder
 * and the SQLite job table), jobs.c (workers that run each analysis in a
 * child process: fork + exec of the datrace binary, with resource limits and
 * a wall-clock timeout), http.c (libmicrohttpd: the API, uploads, the page).
 * main.c reads the options, recovers the store and waits for a signal.
 *
 * Layout of --data DIR:
 *   datrace.db            the job table (SQLite, WAL)
 *   tmp/ID.part           uploads still streaming (removed at start-up)
 *   a/ID/NAME             an accepted capture (NAME sanitised, never '.'-led)
 *   a/ID/.report.json     datrace --format json
 *   a/ID/.report.html     datrace --format html
 *   a/ID/.ca.pem, a/ID/.expect.pem, a/ID/.stderr
 */
#ifndef DT_SERVE_H
#define DT_SERVE_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include <sqlite3.h>

#define SRV_ID_LEN 32		/* hex digits of a 128-bit random id */
#define SRV_NAME_MAX 100	/* bytes of a sanitised file name */
#define SRV_MAX_PORTS 16
#define SRV_HOST_MAX 253
#define SRV_PEM_MAX (1 << 20)	/* an uploaded --ca / --expect-cert file */

enum tok_kind { TOK_READ = 1, TOK_UPLOAD = 2 };

struct token {
	enum tok_kind kind;
	char *value;
};

/* What an analysis is asked: the CLI options the page and API expose. */
struct job_opts {
	char host[SRV_HOST_MAX + 1];
	uint16_t ports[SRV_MAX_PORTS];
	int nports;
	int all;
	int ca;				/* a/ID/.ca.pem present */
	int expect_file;		/* a/ID/.expect.pem present */
	char expect_sha[96];		/* or a SHA-256 given as text */
};

struct srv {
	/* options */
	const char *listen;
	const char *data;
	int jobs;
	uint64_t max_upload;
	long long retention;		/* seconds */
	struct token *tokens;
	size_t ntokens;
	char *tls_cert, *tls_key;	/* PEM text, or NULL */
	double job_timeout;		/* seconds, wall clock */
	long job_cpu;			/* seconds of CPU per child */
	uint64_t job_memory;		/* address space per child */
	uint64_t job_fsize;		/* largest file a child may write */
	unsigned idle_timeout;		/* seconds a connection may idle */
	int threads;			/* libmicrohttpd thread pool */
	char analyser[4096];		/* the datrace binary run per job */

	/* state */
	sqlite3 *db;
	pthread_mutex_t db_lock;	/* one connection, one user at a time */
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;		/* a job was queued, or stop */
	int stopping;			/* under q_lock */
	int stop_pipe[2];		/* readable once stopping */
	pid_t *children;		/* per worker, under q_lock; 0 = none */
	pthread_t *workers;
	pthread_t sweeper;
	struct MHD_Daemon *mhd;
	unsigned port;			/* bound port */
};

/* main.c */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int srv_parse_size(const char *s, uint64_t *out);

/* store.c */
struct row {
	char id[SRV_ID_LEN + 1];
	char name[SRV_NAME_MAX + 1];
	long long seq, size, uploaded, started, finished;
	char status[8];
	char *options;			/* JSON text */
	char *error;			/* or NULL */
	char *verdicts;			/* JSON text {"error":n,...}, or NULL */
	char *top;			/* top verdict id, or NULL */
};

int store_open(struct srv *s);
void store_close(struct srv *s);
int store_recover(struct srv *s);
void store_new_id(char out[SRV_ID_LEN + 1]);
int store_valid_id(const char *id);
void store_sanitise_name(const char *in, size_t len, char out[SRV_NAME_MAX + 1]);
char *store_path(const struct srv *s, const char *id, const char *file);
int store_insert(struct srv *s, const char *id, const char *name,
    long long size, const char *options);
int store_get(struct srv *s, const char *id, struct row *out);
void row_clear(struct row *r);
/* Rows newest first, older than `after` (an id) when given; calls fn. */
int store_list(struct srv *s, const char *after, int limit,
    void (*fn)(const struct row *, void *), void *payload);
/* 1 and the row deleted (files too unless it is running), 0 no such row. */
int store_delete(struct srv *s, const char *id);
int store_claim(struct srv *s, struct row *out);
int store_finish(struct srv *s, const char *id, const char *status,
    const char *error, const char *verdicts, const char *top);
int store_requeue(struct srv *s, const char *id);
int store_expire(struct srv *s, long long before);
void store_remove_dir(const struct srv *s, const char *id);
int opts_to_json(const struct job_opts *o, char **out);
int opts_from_json(const char *text, struct job_opts *o);

/* jobs.c */
int jobs_start(struct srv *s);
void jobs_wake(struct srv *s);
void jobs_stop(struct srv *s);

/* http.c */
int http_start(struct srv *s);
void http_stop(struct srv *s);

/* www.c (generated from server/www/) */
extern const char www_index_html[], www_app_css[], www_app_js[];

#endif
