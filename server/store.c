/*
 * store.c - the data folder and the job table.
 *
 * SQLite in WAL mode with synchronous=FULL: a COMMIT returns only once the
 * row is on disk, and the server answers 201 only after the capture file,
 * its folder and the row are all synced (see http.c). So after a crash
 * every 201'd upload has its row and its file; start-up (store_recover)
 * removes what never got a 201 (tmp/ and folders without a row) and puts
 * jobs that were running back in the queue.
 *
 * One connection, serialised by db_lock: the statements are short and the
 * server's cost is in the children, not here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "serve.h"

static const char schema[] =
"CREATE TABLE IF NOT EXISTS analyses ("
"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
"  id TEXT NOT NULL UNIQUE,"
"  name TEXT NOT NULL,"
"  size INTEGER NOT NULL,"
"  uploaded INTEGER NOT NULL,"
"  status TEXT NOT NULL CHECK (status IN ('queued','running','done','failed')),"
"  options TEXT NOT NULL,"
"  started INTEGER, finished INTEGER,"
"  error TEXT, verdicts TEXT, top_verdict TEXT);"
"CREATE INDEX IF NOT EXISTS analyses_status ON analyses(status, seq);"
"CREATE INDEX IF NOT EXISTS analyses_uploaded ON analyses(uploaded);";

#define COLS "seq, id, name, size, uploaded, status, options, started, " \
	"finished, error, verdicts, top_verdict"

char *
store_path(const struct srv *s, const char *id, const char *file)
{
	char *p = NULL;

	if (file != NULL)
		(void)!asprintf(&p, "%s/a/%s/%s", s->data, id, file);
	else
		(void)!asprintf(&p, "%s/a/%s", s->data, id);
	return p;
}

void
store_new_id(char out[SRV_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[SRV_ID_LEN / 2];
	size_t i, got = 0;

	while (got < sizeof b) {
		ssize_t n = getrandom(b + got, sizeof b - got, 0);

		if (n > 0)
			got += (size_t)n;
	}
	for (i = 0; i < sizeof b; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[SRV_ID_LEN] = '\0';
}

int
store_valid_id(const char *id)
{
	size_t i;

	for (i = 0; i < SRV_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[SRV_ID_LEN] == '\0';
}

/*
 * A file name from the client becomes its last path component (after '/'
 * or '\'), with every byte outside [A-Za-z0-9._+-] replaced by '_', no
 * leading '.' or '-', at most SRV_NAME_MAX bytes (the extension kept).
 * So it cannot leave its folder, cannot be an option, cannot collide with
 * the server's own dot files, and prints safely anywhere.
 */
void
store_sanitise_name(const char *in, size_t len, char out[SRV_NAME_MAX + 1])
{
	size_t i, start = 0, n, ext = 0, k = 0;

	for (i = 0; i < len; i++)
		if (in[i] == '/' || in[i] == '\\')
			start = i + 1;
	in += start;
	n = len - start;
	for (i = 0; i < n; i++)
		if (in[i] == '.')
			ext = n - i;
	if (ext > 16 || ext == n)
		ext = 0;
	for (i = 0; i < n && k < SRV_NAME_MAX; i++) {
		unsigned char c = (unsigned char)in[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' ||
		    c == '-';

		if (n > SRV_NAME_MAX && ext > 0 && k == SRV_NAME_MAX - ext)
			i = n - ext, c = (unsigned char)in[i], ok = 1;
		out[k++] = ok ? (char)c : '_';
	}
	out[k] = '\0';
	if (k == 0)
		strcpy(out, "capture");
	else if (out[0] == '.' || out[0] == '-')
		out[0] = '_';
}

static int
exec_sql(struct srv *s, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		srv_log("store: %s: %s", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
mkdir_p(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	srv_log("cannot create %s: %s", path, strerror(errno));
	return -1;
}

int
store_open(struct srv *s)
{
	char *p;
	int rc;

	if (mkdir_p(s->data) != 0)
		return -1;
	p = NULL;
	(void)!asprintf(&p, "%s/tmp", s->data);
	rc = p ? mkdir_p(p) : -1;
	free(p);
	if (rc != 0)
		return -1;
	p = NULL;
	(void)!asprintf(&p, "%s/a", s->data);
	rc = p ? mkdir_p(p) : -1;
	free(p);
	if (rc != 0)
		return -1;
	p = NULL;
	(void)!asprintf(&p, "%s/datrace.db", s->data);
	if (p == NULL)
		return -1;
	rc = sqlite3_open_v2(p, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		srv_log("cannot open %s: %s", p, s->db ?
		    sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		free(p);
		return -1;
	}
	free(p);
	sqlite3_busy_timeout(s->db, 5000);
	if (exec_sql(s, "PRAGMA journal_mode=WAL") != 0 ||
	    exec_sql(s, "PRAGMA synchronous=FULL") != 0 ||
	    exec_sql(s, schema) != 0)
		return -1;
	return 0;
}

void
store_close(struct srv *s)
{
	if (s->db != NULL)
		sqlite3_close(s->db);
	s->db = NULL;
}

/* Remove the files of one folder (flat: we never make subfolders), then it. */
static void
remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	rmdir(dir);
}

void
store_remove_dir(const struct srv *s, const char *id)
{
	char *p = store_path(s, id, NULL);

	if (p != NULL)
		remove_tree(p);
	free(p);
}

static int
row_exists(struct srv *s, const char *id)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM analyses WHERE id = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return 1;		/* keep files when unsure */
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int
store_recover(struct srv *s)
{
	char *p = NULL;
	DIR *d;
	struct dirent *e;
	int partial = 0, orphans = 0, missing = 0, requeued;
	sqlite3_stmt *st;

	/* uploads that were streaming: never answered 201 */
	(void)!asprintf(&p, "%s/tmp", s->data);
	if (p != NULL && (d = opendir(p)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.' &&
			    unlinkat(dirfd(d), e->d_name, 0) == 0)
				partial++;
		closedir(d);
	}
	free(p);

	/* folders without a row: moved in place, row not committed */
	p = NULL;
	(void)!asprintf(&p, "%s/a", s->data);
	if (p != NULL && (d = opendir(p)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			if (!store_valid_id(e->d_name) || !row_exists(s, e->d_name)) {
				char *q = NULL;

				(void)!asprintf(&q, "%s/%s", p, e->d_name);
				if (q != NULL)
					remove_tree(q);
				free(q);
				orphans++;
			}
		}
		closedir(d);
	}
	free(p);

	/* rows whose capture is gone cannot be analysed */
	if (sqlite3_prepare_v2(s->db, "SELECT id, name FROM analyses WHERE "
	    "status IN ('queued','running')", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(st, 0);
			const char *name = (const char *)sqlite3_column_text(st, 1);
			char *f = store_path(s, id, name);
			struct stat sb;

			if (f != NULL && stat(f, &sb) != 0) {
				char *q = sqlite3_mprintf("UPDATE analyses SET "
				    "status = 'failed', error = 'the uploaded "
				    "capture is missing from the data folder' "
				    "WHERE id = %Q", id);

				if (q != NULL)
					exec_sql(s, q);
				sqlite3_free(q);
				missing++;
			}
			free(f);
		}
		sqlite3_finalize(st);
	}
	if (exec_sql(s, "UPDATE analyses SET status = 'queued', started = NULL "
	    "WHERE status = 'running'") != 0)
		return -1;
	requeued = sqlite3_changes(s->db);
	srv_log("store: %s: %d job(s) re-queued, %d partial upload(s) and "
	    "%d folder(s) without a row removed, %d capture(s) missing",
	    s->data, requeued, partial, orphans, missing);
	return 0;
}

int
store_insert(struct srv *s, const char *id, const char *name, long long size,
    const char *options)
{
	sqlite3_stmt *st;
	int rc;

	pthread_mutex_lock(&s->db_lock);
	rc = sqlite3_prepare_v2(s->db, "INSERT INTO analyses (id, name, size, "
	    "uploaded, status, options) VALUES (?, ?, ?, ?, 'queued', ?)",
	    -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, size);
		sqlite3_bind_int64(st, 4, (long long)time(NULL));
		sqlite3_bind_text(st, 5, options, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_DONE)
		srv_log("store: insert %s: %s", id, sqlite3_errmsg(s->db));
	pthread_mutex_unlock(&s->db_lock);
	return rc == SQLITE_DONE ? 0 : -1;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? strdup((const char *)t) : NULL;
}

static void
row_read(sqlite3_stmt *st, struct row *r)
{
	const unsigned char *t;

	memset(r, 0, sizeof *r);
	r->seq = sqlite3_column_int64(st, 0);
	t = sqlite3_column_text(st, 1);
	snprintf(r->id, sizeof r->id, "%s", t ? (const char *)t : "");
	t = sqlite3_column_text(st, 2);
	snprintf(r->name, sizeof r->name, "%s", t ? (const char *)t : "");
	r->size = sqlite3_column_int64(st, 3);
	r->uploaded = sqlite3_column_int64(st, 4);
	t = sqlite3_column_text(st, 5);
	snprintf(r->status, sizeof r->status, "%s", t ? (const char *)t : "");
	r->options = col_dup(st, 6);
	r->started = sqlite3_column_int64(st, 7);
	r->finished = sqlite3_column_int64(st, 8);
	r->error = col_dup(st, 9);
	r->verdicts = col_dup(st, 10);
	r->top = col_dup(st, 11);
}

void
row_clear(struct row *r)
{
	free(r->options);
	free(r->error);
	free(r->verdicts);
	free(r->top);
	memset(r, 0, sizeof *r);
}

int
store_get(struct srv *s, const char *id, struct row *out)
{
	sqlite3_stmt *st;
	int found = 0;

	pthread_mutex_lock(&s->db_lock);
	if (sqlite3_prepare_v2(s->db, "SELECT " COLS " FROM analyses WHERE id = ?",
	    -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			row_read(st, out);
			found = 1;
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->db_lock);
	return found;
}

int
store_list(struct srv *s, const char *after, int limit,
    void (*fn)(const struct row *, void *), void *payload)
{
	sqlite3_stmt *st;
	struct row r;
	int n = 0, rc;

	pthread_mutex_lock(&s->db_lock);
	if (after != NULL)
		rc = sqlite3_prepare_v2(s->db, "SELECT " COLS " FROM analyses "
		    "WHERE seq < (SELECT seq FROM analyses WHERE id = ?) "
		    "ORDER BY seq DESC LIMIT ?", -1, &st, NULL);
	else
		rc = sqlite3_prepare_v2(s->db, "SELECT " COLS " FROM analyses "
		    "ORDER BY seq DESC LIMIT ?", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		pthread_mutex_unlock(&s->db_lock);
		return -1;
	}
	if (after != NULL) {
		sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, limit);
	} else {
		sqlite3_bind_int(st, 1, limit);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		row_read(st, &r);
		fn(&r, payload);
		row_clear(&r);
		n++;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->db_lock);
	return n;
}

int
store_delete(struct srv *s, const char *id)
{
	sqlite3_stmt *st;
	int found = 0, running = 0;

	pthread_mutex_lock(&s->db_lock);
	if (sqlite3_prepare_v2(s->db, "DELETE FROM analyses WHERE id = ? "
	    "RETURNING status", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			found = 1;
			running = strcmp((const char *)sqlite3_column_text(st, 0),
			    "running") == 0;
		}
		while (sqlite3_step(st) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
	}
	/* a running job's worker removes the folder when its child ends */
	if (found && !running)
		store_remove_dir(s, id);
	pthread_mutex_unlock(&s->db_lock);
	return found;
}

int
store_claim(struct srv *s, struct row *out)
{
	sqlite3_stmt *st;
	int found = 0;

	pthread_mutex_lock(&s->db_lock);
	if (sqlite3_prepare_v2(s->db, "UPDATE analyses SET status = 'running', "
	    "started = ? WHERE seq = (SELECT seq FROM analyses WHERE status = "
	    "'queued' ORDER BY seq LIMIT 1) RETURNING " COLS, -1, &st,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (long long)time(NULL));
		if (sqlite3_step(st) == SQLITE_ROW) {
			row_read(st, out);
			found = 1;
		}
		while (sqlite3_step(st) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->db_lock);
	return found;
}

/* Returns 0, or 1 when the row was deleted while the job ran. */
int
store_finish(struct srv *s, const char *id, const char *status,
    const char *error, const char *verdicts, const char *top)
{
	sqlite3_stmt *st;
	int changed = 0;

	pthread_mutex_lock(&s->db_lock);
	if (sqlite3_prepare_v2(s->db, "UPDATE analyses SET status = ?, "
	    "finished = ?, error = ?, verdicts = ?, top_verdict = ? "
	    "WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (long long)time(NULL));
		sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, verdicts, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, top, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			changed = sqlite3_changes(s->db);
		sqlite3_finalize(st);
	}
	if (changed == 0)
		store_remove_dir(s, id);
	pthread_mutex_unlock(&s->db_lock);
	return changed == 0;
}

int
store_requeue(struct srv *s, const char *id)
{
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if (sqlite3_prepare_v2(s->db, "UPDATE analyses SET status = 'queued', "
	    "started = NULL WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}

/* Retention: rows uploaded before `before` (unix seconds) and their files.
   A running job is left to finish; the next sweep takes it. */
int
store_expire(struct srv *s, long long before)
{
	sqlite3_stmt *st;
	int n = 0;

	pthread_mutex_lock(&s->db_lock);
	if (sqlite3_prepare_v2(s->db, "DELETE FROM analyses WHERE uploaded < ? "
	    "AND status != 'running' RETURNING id", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, before);
		while (sqlite3_step(st) == SQLITE_ROW) {
			store_remove_dir(s, (const char *)sqlite3_column_text(st, 0));
			n++;
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->db_lock);
	return n;
}

int
opts_to_json(const struct job_opts *o, char **out)
{
	json_t *j = json_object(), *ports = json_array();
	int i;

	if (j == NULL || ports == NULL) {
		json_decref(j);
		json_decref(ports);
		return -1;
	}
	json_object_set_new(j, "host", o->host[0] ? json_string(o->host) : json_null());
	for (i = 0; i < o->nports; i++)
		json_array_append_new(ports, json_integer(o->ports[i]));
	json_object_set_new(j, "ports", ports);
	json_object_set_new(j, "all", json_boolean(o->all));
	json_object_set_new(j, "ca", json_boolean(o->ca));
	json_object_set_new(j, "expect_cert", o->expect_file ?
	    json_string("file") : o->expect_sha[0] ?
	    json_string(o->expect_sha) : json_null());
	*out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return *out ? 0 : -1;
}

int
opts_from_json(const char *text, struct job_opts *o)
{
	json_t *j = json_loads(text, 0, NULL), *v;
	size_t i;

	memset(o, 0, sizeof *o);
	if (j == NULL)
		return -1;
	v = json_object_get(j, "host");
	if (json_is_string(v))
		snprintf(o->host, sizeof o->host, "%s", json_string_value(v));
	v = json_object_get(j, "ports");
	for (i = 0; i < json_array_size(v) && o->nports < SRV_MAX_PORTS; i++)
		o->ports[o->nports++] = (uint16_t)json_integer_value(json_array_get(v, i));
	o->all = json_is_true(json_object_get(j, "all"));
	o->ca = json_is_true(json_object_get(j, "ca"));
	v = json_object_get(j, "expect_cert");
	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "file") == 0)
			o->expect_file = 1;
		else
			snprintf(o->expect_sha, sizeof o->expect_sha, "%s",
			    json_string_value(v));
	}
	json_decref(j);
	return 0;
}
