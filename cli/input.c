/*
 * input.c - what the datrace command line reads: capture files, folders of
 * them, and archives or compressed files holding them, as customers send
 * them (trace.zip, NetTrace.cab, a .7z of a day, a .pcap.gz, a folder).
 *
 * Arguments are expanded in order: a folder becomes the files under it
 * (recursive, sorted byte-wise, hidden entries skipped, a directory met
 * again through a symlink skipped with a note); a path that does not exist
 * is one error line and nothing in the report. Each file is then told by
 * its content: libarchive's bidders recognise archives (zip, 7z, tar, cab,
 * rar, iso, cpio) and compression (gzip, bzip2, xz, lzma, lzip, zstd, lz4,
 * compress);
 * anything else goes to the library as a capture. An archive is read
 * member by member and each member streamed from libarchive into
 * dt_analyze_stream() through a read callback: nothing is unpacked to disk. A
 * member that is an archive itself is opened once more (one level); a
 * member that is not a capture is skipped with a note; an encrypted member
 * is an error naming it. Caps on the bytes unpacked and on their ratio to
 * the bytes read from the file stop archive bombs with one error, the
 * members read before it still reported. Archives stay here, in front of
 * the library, which sees only a stream of capture bytes.
 *
 * Every capture is analysed in an analyzer of its own, then adopted into
 * the caller's, so a member or folder file that turns out not to be a
 * capture leaves nothing behind.
 */
#include "input.h"
#include "export_inner.h"

#include "archive_load.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PEEK 4096		/* bytes looked at to tell what a member is */
#define BLOCK 65536		/* read size from the file and from members */
#define MAX_DEPTH 64		/* folder nesting followed */

/* ---- the list of inputs --------------------------------------------------- */

static int
list_add(struct in_list *l, const char *path, int folder)
{
	struct in_item *nv;
	char *p;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;

		nv = realloc(l->v, ncap * sizeof *nv);
		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	p = strdup(path);
	if (p == NULL)
		return -1;
	l->v[l->n].path = p;
	l->v[l->n].folder = folder;
	l->n++;
	return 0;
}

void
in_list_free(struct in_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	for (i = 0; i < l->nfolders; i++)
		free(l->folders[i]);
	free(l->v);
	free(l->folders);
	memset(l, 0, sizeof *l);
}

/* A directory on the way down from the folder argument. */
struct up {
	dev_t dev;
	ino_t ino;
	const struct up *next;
};

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *p = malloc(n + strlen(name) + 2);

	if (p != NULL)
		sprintf(p, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/",
		    name);
	return p;
}

static int
walk(struct in_list *l, const char *dir, int folder, const struct up *up,
    int depth, FILE *msg, int *bad)
{
	struct dirent **names = NULL;
	struct stat st;
	struct up here;
	int n, i, rc = 0;
	char *path;

	if (stat(dir, &st) != 0)
		return 0;
	for (const struct up *u = up; u != NULL; u = u->next)
		if (u->dev == st.st_dev && u->ino == st.st_ino) {
			fprintf(msg, "datrace: note: %s: a folder seen again "
			    "through a symlink, skipped\n", dir);
			return 0;
		}
	if (depth > MAX_DEPTH) {
		fprintf(msg, "datrace: note: %s: more than %d folders deep, "
		    "skipped\n", dir, MAX_DEPTH);
		return 0;
	}
	here.dev = st.st_dev;
	here.ino = st.st_ino;
	here.next = up;
	n = scandir(dir, &names, not_hidden, by_name);
	if (n < 0) {
		fprintf(msg, "datrace: %s: cannot read: %s\n", dir,
		    strerror(errno));
		(*bad)++;
		return 0;
	}
	for (i = 0; i < n; i++) {
		path = rc == 0 ? join(dir, names[i]->d_name) : NULL;
		free(names[i]);
		if (path == NULL) {
			rc = -1;
			continue;
		}
		if (stat(path, &st) != 0)
			fprintf(msg, "datrace: note: %s: %s, skipped\n", path,
			    strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = walk(l, path, folder, &here, depth + 1, msg, bad);
		else if (S_ISREG(st.st_mode))
			rc = list_add(l, path, folder);
		free(path);
	}
	free(names);
	return rc;
}

int
in_expand(struct in_list *l, const char *arg, FILE *msg, int *bad)
{
	struct stat st;
	char **nf;

	if (strcmp(arg, "-") == 0)
		return list_add(l, arg, -1);
	if (stat(arg, &st) != 0) {
		fprintf(msg, "datrace: %s: cannot open: %s\n", arg,
		    strerror(errno));
		(*bad)++;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return list_add(l, arg, -1);
	nf = realloc(l->folders, (l->nfolders + 1) * sizeof *nf);
	if (nf == NULL)
		return -1;
	l->folders = nf;
	if ((nf[l->nfolders] = strdup(arg)) == NULL)
		return -1;
	l->nfolders++;
	return walk(l, arg, (int)l->nfolders - 1, NULL, 0, msg, bad);
}

/* ---- what bytes are ------------------------------------------------------- */

/* A capture the library reads (pcap, pcapng, etl): told by the library's
   own probes from the first bytes, so this list never drifts from them. */
static int
capture_magic(const unsigned char *p, size_t n)
{
	return dt_capture_format_probe(p, n) != NULL;
}

/* Signatures of the archive and compression formats libarchive reads,
   for members (a file argument is given to libarchive's bidders). */
static const struct {
	size_t at, len;
	const char *magic;
} archive_magics[] = {
	{ 0, 2, "\x1f\x8b" },				/* gzip */
	{ 0, 3, "BZh" },				/* bzip2 */
	{ 0, 6, "\xfd" "7zXZ\0" },			/* xz */
	{ 0, 4, "\x28\xb5\x2f\xfd" },			/* zstd */
	{ 0, 4, "\x04\x22\x4d\x18" },			/* lz4 */
	{ 0, 4, "PK\x03\x04" },				/* zip */
	{ 0, 4, "PK\x05\x06" },				/* zip, empty */
	{ 0, 6, "7z\xbc\xaf\x27\x1c" },			/* 7z */
	{ 0, 4, "MSCF" },				/* cab */
	{ 0, 6, "Rar!\x1a\x07" },			/* rar */
	{ 257, 5, "ustar" },				/* tar */
};

static int file_head(const char *path, unsigned char *buf, size_t len,
    size_t *n);

static int
archive_magic(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof archive_magics / sizeof archive_magics[0]; i++)
		if (n >= archive_magics[i].at + archive_magics[i].len &&
		    memcmp(p + archive_magics[i].at, archive_magics[i].magic,
		    archive_magics[i].len) == 0)
			return 1;
	return 0;
}

int
in_packed(const char *path)
{
	unsigned char head[PEEK];
	size_t n;

	return file_head(path, head, sizeof head, &n) == 0 &&
	    archive_magic(head, n);
}

/* ---- one analysis ---------------------------------------------------------- */

/* Takes an (frees it on failure). */
static int
sink_take(struct in_sink *s, dt_analyzer *an)
{
	dt_analyzer **nv;

	if (s->into != NULL) {
		if (dt_analyzer_adopt(s->into, an) == 0)
			return 0;
		dt_analyzer_free(an);
		return -1;
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 4;

		nv = realloc(s->v, ncap * sizeof *nv);
		if (nv == NULL) {
			dt_analyzer_free(an);
			return -1;
		}
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = an;
	return 0;
}

void
in_sink_free(struct in_sink *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		dt_analyzer_free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

struct ctx {
	struct in_sink *into;
	const dt_options *opts;
	const struct in_limits *lim;
	int quiet;
	FILE *msg;
	struct in_count *count;
	int adopt_failed;
	/* libarchive, loaded when the first archive is met */
	const struct arc_api *la;
	/* the archive argument being read */
	struct archive *top;
	const char *top_path;
	uint64_t unpacked;
	int stopped;
};

static void
say(struct ctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->quiet)
		return;
	va_start(ap, fmt);
	fputs("datrace: ", x->msg);
	vfprintf(x->msg, fmt, ap);
	fputc('\n', x->msg);
	va_end(ap);
}

/*
 * What one capture's analysis says: why it could not be read, or where a
 * damaged file broke; then its results join x->into. not_capture: the
 * input may be anything (a folder's file, an archive member), so an input
 * the library does not recognise is skipped instead of reported; returns
 * 1 then.
 */
static int
finish(struct ctx *x, dt_analyzer *an, const char *path, int rc,
    int not_capture)
{
	const dt_capture *cap;
	uint64_t off;
	const char *msg;
	size_t k;

	if (rc == DT_EFORMAT && not_capture &&
	    dt_analyzer_capture_at(an, 0, &cap) == 0 &&
	    dt_capture_packets(cap) == 0) {
		dt_analyzer_free(an);
		return 1;
	}
	if (rc != 0) {
		/* out of memory and a bad filter are said even with -q; a
		   member cut by a cap is said by the cap's one error */
		if ((!x->quiet && !x->stopped) || rc == DT_ENOMEM ||
		    rc == DT_EFILTER)
			fprintf(x->msg, "datrace: %s\n", dt_analyzer_errmsg(an));
		x->count->bad++;
	} else if (dt_analyzer_capture_at(an, 0, &cap) == 0) {
		/* a file damaged or cut short was analysed in part: it still
		   counts as unreadable input for the exit status */
		if (dt_capture_damaged(cap))
			x->count->bad++;
		else
			x->count->analysed++;
		/* a member cut by a cap: the cap's one error says why */
		for (k = 0; !x->quiet && !x->stopped &&
		    dt_capture_error_at(cap, k, &off, &msg) == 0; k++)
			fprintf(x->msg, "datrace: %s: offset %llu: %s\n", path,
			    (unsigned long long)off, msg);
	} else {
		x->count->analysed++;
	}
	if (dt_analyzer_capture_count(an) == 0 || x->adopt_failed)
		dt_analyzer_free(an);
	else if (sink_take(x->into, an) != 0)
		x->adopt_failed = 1;
	return 0;
}

static dt_analyzer *
new_analyzer(struct ctx *x, const char *path)
{
	dt_analyzer *an = NULL;
	int rc = dt_analyzer_new(&an, x->opts);

	if (rc == 0 && inner_export_active != NULL)	/* --export-inner */
		dt_analyzer_set_inner_packets(an, inner_export_packet,
		    inner_export_active);
	if (rc != 0) {
		fprintf(x->msg, "datrace: %s: %s\n", path, an != NULL ?
		    dt_analyzer_errmsg(an) : dt_strerror(rc));
		dt_analyzer_free(an);
		x->count->bad++;
		return NULL;
	}
	return an;
}

/*
 * The formats and compressions read, by name rather than "all": no format
 * that reads files named inside it from the disk (mtree) or bids on plain
 * text, and no filter that runs an outside program.
 */
static void
supported(const struct arc_api *la, struct archive *ar)
{
	la->support_filter_gzip(ar);
	la->support_filter_bzip2(ar);
	la->support_filter_xz(ar);
	la->support_filter_lzma(ar);
	la->support_filter_lzip(ar);
	la->support_filter_zstd(ar);
	la->support_filter_lz4(ar);
	la->support_filter_compress(ar);
	la->support_format_zip(ar);
	la->support_format_7zip(ar);
	la->support_format_tar(ar);
	la->support_format_cab(ar);
	la->support_format_rar(ar);
	la->support_format_rar5(ar);
	la->support_format_cpio(ar);
	la->support_format_iso9660(ar);
	la->support_format_raw(ar);
}

/* ---- archive members as streams -------------------------------------------- */

/* The data of the current entry of `ar`, with its first bytes kept for a
   look and then replayed. */
struct member {
	struct ctx *x;
	struct archive *ar;
	unsigned char peek[PEEK];
	size_t peek_n, peek_pos;
	unsigned char *block;	/* for a nested archive's reads */
	int eof, err;
	char errmsg[256];
};

/* Counts every byte libarchive unpacks against the caps. */
static int
over_cap(struct ctx *x)
{
	uint64_t in = (uint64_t)x->la->filter_bytes(x->top, -1);
	uint64_t floor = in > IN_RATIO_FLOOR ? in : IN_RATIO_FLOOR;

	if (x->unpacked > x->lim->max_bytes) {
		say(x, "%s: stopped: more than %llu bytes unpacked "
		    "(--max-unpacked); the members read so far are reported",
		    x->top_path, (unsigned long long)x->lim->max_bytes);
		return 1;
	}
	if (x->lim->max_ratio > 0 && floor <= UINT64_MAX / x->lim->max_ratio &&
	    x->unpacked > floor * x->lim->max_ratio) {
		say(x, "%s: stopped: %llu bytes unpacked from %llu read, more "
		    "than %llu times as many (an archive bomb? --max-ratio); "
		    "the members read so far are reported", x->top_path,
		    (unsigned long long)x->unpacked, (unsigned long long)in,
		    (unsigned long long)x->lim->max_ratio);
		return 1;
	}
	return 0;
}

static ssize_t
pull(struct member *m, void *buf, size_t n)
{
	la_ssize_t k;

	if (m->eof || m->err || m->x->stopped)
		return 0;
	k = m->x->la->read_data(m->ar, buf, n);
	if (k < 0) {
		m->err = 1;
		snprintf(m->errmsg, sizeof m->errmsg, "%s",
		    m->x->la->error_string(m->ar) ? m->x->la->error_string(m->ar) :
		    "cannot unpack");
		errno = EIO;
		return -1;
	}
	if (k == 0) {
		m->eof = 1;
		return 0;
	}
	m->x->unpacked += (uint64_t)k;
	if (over_cap(m->x)) {
		m->x->stopped = 1;
		m->x->count->bad++;
	}
	return k;
}

/* The dt_read_fn the library reads a member through. */
static ptrdiff_t
member_read(void *buf, size_t n, void *payload)
{
	struct member *m = payload;
	ssize_t got;
	size_t k;

	if (m->peek_pos < m->peek_n) {
		k = m->peek_n - m->peek_pos;
		if (k > n)
			k = n;
		memcpy(buf, m->peek + m->peek_pos, k);
		m->peek_pos += k;
		return (ptrdiff_t)k;
	}
	got = pull(m, buf, n);
	return got < 0 ? -EIO : (ptrdiff_t)got;
}

static la_ssize_t
nested_read(struct archive *ar, void *cookie, const void **buf)
{
	struct member *m = cookie;
	ssize_t k;

	if (m->peek_pos < m->peek_n) {
		*buf = m->peek + m->peek_pos;
		k = (ssize_t)(m->peek_n - m->peek_pos);
		m->peek_pos = m->peek_n;
		return k;
	}
	*buf = m->block;
	k = pull(m, m->block, BLOCK);
	if (k < 0)
		m->x->la->set_error(ar, EIO, "%s", m->errmsg);
	return k;
}

static void entries(struct ctx *x, struct archive *ar,
    struct archive_entry *e, const char *prefix, int level);

/* A member that is a capture (or may be one): analysed from the stream. */
static void
member_capture(struct ctx *x, struct member *m, const char *path)
{
	dt_analyzer *an;
	int rc, sure = capture_magic(m->peek, m->peek_n);

	if ((an = new_analyzer(x, path)) == NULL)
		return;
	rc = dt_analyze_stream(an, path, member_read, m);
	if (m->err) {
		say(x, "%s: cannot unpack: %s", path, m->errmsg);
		x->count->bad++;
	}
	if (finish(x, an, path, rc, !sure && !m->err))
		say(x, "note: %s: not a capture, skipped", path);
}

/* A member that is an archive or compressed: its members, one level. */
static void
member_archive(struct ctx *x, struct member *m, const char *path)
{
	struct archive *in = x->la->read_new();
	struct archive_entry *e;
	int r;

	m->block = malloc(BLOCK);
	if (in == NULL || m->block == NULL) {
		say(x, "%s: out of memory", path);
		x->count->bad++;
		goto out;
	}
	supported(x->la, in);
	if (x->la->read_open(in, m, NULL, nested_read, NULL) != ARCHIVE_OK) {
		say(x, "%s: %s", path, x->la->error_string(in));
		x->count->bad++;
		goto out;
	}
	r = x->la->read_next_header(in, &e);
	if (r == ARCHIVE_EOF)
		goto out;
	if (r < ARCHIVE_WARN) {
		say(x, "%s: %s", path, x->la->error_string(in));
		x->count->bad++;
		goto out;
	}
	entries(x, in, e, path, 1);
out:
	x->la->read_free(in);
	free(m->block);
	m->block = NULL;
}

static void
member(struct ctx *x, struct archive *ar, const char *path, int level)
{
	struct member m;
	ssize_t k;

	memset(&m, 0, sizeof m);
	m.x = x;
	m.ar = ar;
	while (m.peek_n < PEEK &&
	    (k = pull(&m, m.peek + m.peek_n, PEEK - m.peek_n)) > 0)
		m.peek_n += (size_t)k;
	if (m.err) {
		say(x, "%s: cannot unpack: %s", path, m.errmsg);
		x->count->bad++;
		return;
	}
	if (archive_magic(m.peek, m.peek_n) && !capture_magic(m.peek, m.peek_n)) {
		if (level > 0)
			say(x, "note: %s: an archive in an archive in an "
			    "archive, skipped (one level is opened)", path);
		else
			member_archive(x, &m, path);
		return;
	}
	member_capture(x, &m, path);
}

/* Every regular member of ar, from the header e already read. */
static void
entries(struct ctx *x, struct archive *ar, struct archive_entry *e,
    const char *prefix, int level)
{
	const char *name;
	char *path;
	int r;

	do {
		if (x->la->entry_filetype(e) != AE_IFREG)
			goto next;
		name = x->la->entry_pathname_utf8(e);
		if (name == NULL)
			name = x->la->entry_pathname(e);
		if (name == NULL)
			name = "?";
		/* a compressed file (not an archive) is its one capture */
		if (x->la->format(ar) == ARCHIVE_FORMAT_RAW)
			path = strdup(prefix);
		else if ((path = malloc(strlen(prefix) + strlen(name) + 2)))
			sprintf(path, "%s:%s", prefix, name);
		if (path == NULL) {
			say(x, "%s: out of memory", prefix);
			x->count->bad++;
			return;
		}
		if (x->la->entry_is_encrypted(e)) {
			say(x, "%s: encrypted, cannot be read (datrace takes "
			    "no passwords; unpack it first)", path);
			x->count->bad++;
		} else {
			member(x, ar, path, level);
		}
		free(path);
		if (x->stopped)
			return;
next:
		r = x->la->read_next_header(ar, &e);
		if (r == ARCHIVE_WARN)
			say(x, "note: %s: %s", prefix, x->la->error_string(ar));
	} while (r == ARCHIVE_OK || r == ARCHIVE_WARN);
	if (r != ARCHIVE_EOF && !x->stopped) {
		say(x, "%s: %s", prefix, x->la->error_string(ar) ?
		    x->la->error_string(ar) : "cannot read the archive");
		x->count->bad++;
	}
}

/* ---- one input -------------------------------------------------------------- */

static int
file_head(const char *path, unsigned char *buf, size_t len, size_t *n)
{
	FILE *fp = fopen(path, "rb");

	*n = 0;
	if (fp == NULL)
		return -1;
	*n = fread(buf, 1, len, fp);
	fclose(fp);
	return 0;
}

static void
plain(struct ctx *x, const struct in_item *it, dt_progress_fn progress,
    void *payload)
{
	unsigned char head[PEEK];
	dt_analyzer *an;
	size_t n;
	int rc, maybe = 0;

	if ((an = new_analyzer(x, it->path)) == NULL)
		return;
	dt_analyzer_set_progress(an, progress, payload);
	if (strcmp(it->path, "-") == 0) {
		rc = dt_analyze_fp(an, "-", stdin);
	} else {
		if (it->folder >= 0 &&
		    file_head(it->path, head, sizeof head, &n) == 0)
			maybe = !capture_magic(head, n);
		rc = dt_analyze_file(an, it->path);
	}
	if (progress != NULL)
		dt_analyzer_set_progress(an, NULL, NULL);
	if (finish(x, an, it->path, rc, maybe))
		x->count->skipped++;
}

int
in_analyse(struct in_sink *into, const dt_options *opts,
    const struct in_item *it, const struct in_limits *lim, int quiet,
    dt_progress_fn progress, void *payload, FILE *msg,
    struct in_count *count)
{
	struct ctx x;
	struct archive *ar = NULL;
	struct archive_entry *e;
	unsigned char head[PEEK];
	const char *why;
	size_t n;
	int r;

	memset(&x, 0, sizeof x);
	x.into = into;
	x.opts = opts;
	x.lim = lim;
	x.quiet = quiet;
	x.msg = msg;
	x.count = count;
	x.top_path = it->path;
	/* a capture by its first bytes (or a file that cannot be read: the
	   library says why) goes straight to the library, so libarchive is
	   loaded only for what may be an archive */
	if (strcmp(it->path, "-") == 0 ||
	    file_head(it->path, head, sizeof head, &n) != 0 ||
	    capture_magic(head, n))
		goto plain;
	if ((x.la = arc_load(&why)) == NULL) {
		if (archive_magic(head, n)) {
			say(&x, "%s: %s", it->path, why);
			count->bad++;
			return 0;
		}
		goto plain;
	}
	if ((ar = x.la->read_new()) == NULL)
		goto plain;
	supported(x.la, ar);
	if (x.la->read_open_filename(ar, it->path, BLOCK) != ARCHIVE_OK) {
		/* a compressed file cut short fails already here */
		if (x.la->error_string(ar) != NULL && archive_magic(head, n)) {
			say(&x, "%s: cannot unpack: %s", it->path,
			    x.la->error_string(ar));
			count->bad++;
			x.la->read_free(ar);
			return 0;
		}
		goto plain;
	}
	r = x.la->read_next_header(ar, &e);
	/* neither compressed nor an archive (nor anything): the library
	   reads it and says what it is */
	if ((x.la->format(ar) == ARCHIVE_FORMAT_RAW ||
	    x.la->format(ar) == ARCHIVE_FORMAT_EMPTY ||
	    x.la->format(ar) == 0) && x.la->filter_count(ar) <= 1)
		goto plain;
	if (r == ARCHIVE_EOF) {
		x.la->read_free(ar);
		return x.adopt_failed ? -1 : 0;
	}
	if (r < ARCHIVE_WARN) {
		const char *err = x.la->error_string(ar);

		/* 7z with its list of members encrypted too */
		if (err != NULL && strstr(err, "ncrypt") != NULL)
			say(&x, "%s: encrypted, cannot be read (datrace takes "
			    "no passwords; unpack it first)", it->path);
		else
			say(&x, "%s: %s", it->path, err != NULL ? err :
			    "cannot read the archive");
		count->bad++;
	} else {
		x.top = ar;
		entries(&x, ar, e, it->path, 0);
	}
	x.la->read_free(ar);
	return x.adopt_failed ? -1 : 0;
plain:
	if (ar != NULL)
		x.la->read_free(ar);
	plain(&x, it, progress, payload);
	return x.adopt_failed ? -1 : 0;
}
