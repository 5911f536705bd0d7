/*
 * Internal to the JSON document (json*.c). The document is built with
 * jansson one piece at a time and written as it goes: json.c lays out the
 * document and the capture (its header fields, verdicts, DNS, HTTP) and
 * says which lists are written element by element; json_conn.c builds one
 * connection's entry (TCP, TLS, timeline), json_tunnel.c the facts from
 * inside its IP-HTTPS tunnel; json_stream.c writes an object with its long
 * lists filled in one element at a time; json_val.c holds the small values
 * every part uses (a string from the wire made valid UTF-8, frames, times).
 */
#ifndef DT_REPORT_JSON_INT_H
#define DT_REPORT_JSON_INT_H

#include <jansson.h>
#include <stdio.h>

#include "report/report.h"

/* A list written as it goes: the value of its key until json_stream.c
   fills it (no string from the wire can hold this text as a JSON value). */
#define HOLE "@@datrace:list@@"

struct jb {
	struct dt_mem *mem;	/* sanitiser buffers */
	int err;		/* sticky: jansson or dt_mem ran out of memory */
};

/* ---- values (json_val.c) ------------------------------------------------ */

/* obj[key] = val, arr += val; both take val, and set b->err on failure. */
void jb_set(struct jb *b, json_t *obj, const char *key, json_t *val);
void jb_push(struct jb *b, json_t *arr, json_t *val);
/* A string from the wire (or NULL -> null), made valid UTF-8. */
json_t *jb_str(struct jb *b, const char *s);
json_t *jb_int(uint64_t v);
/* Frame numbers start at 1: 0 means none (null). */
json_t *jb_frame(uint64_t frame);
/* RFC 3339 UTC, or null outside 0000..9999. */
json_t *jb_time(int64_t ns);
/* {"client": client, "server": server}; takes both. */
json_t *jb_dirpair(struct jb *b, json_t *client, json_t *server);

/* ---- one connection (json_conn.c, json_tunnel.c) ------------------------ */

/* The entry of c in "connections" (SPEC §4 keys first, then extras). */
json_t *jb_conn(struct jb *b, const struct dt_conn *c);
/* Its "tunnel": null when none was seen, {"encrypted": true} when the
   suite encrypts and there is nothing to read. */
json_t *jb_tunnel(struct jb *b, const struct dt_conn *c);

/* ---- Windows' events (json_events.c) ----------------------------------- */

/* o["events"] (a hole) and o["events_not_kept"] when the capture
   decoded any; one element of the list. */
void jb_winevents(struct jb *b, json_t *o, const struct dt_capture *cap);
json_t *jb_winevent(struct jb *b, const struct dt_winevent *e);

/* ---- writing as it goes (json_stream.c) --------------------------------- */

struct sj {
	struct jb *b;
	FILE *fp;
	size_t flags;		/* JSON_INDENT(2) or JSON_COMPACT */
	int compact;
	int err;		/* DT_EIO / DT_ENOMEM, sticky */
};

void sj_put(struct sj *s, const char *p, size_t n);
void sj_pad(struct sj *s, unsigned n);
/* Element i of a list at depth d (its own depth); takes v. */
void sj_item(struct sj *s, size_t i, json_t *v, unsigned depth);
/* Ends a list of n elements whose elements are at depth d. */
void sj_close(struct sj *s, size_t n, unsigned depth);

/* Fills a hole: writes the list whose elements are at `depth`. */
typedef void (*sj_fill)(struct sj *s, const char *key, unsigned depth,
    const void *arg);

/*
 * Writes object o (taken) at depth d, filling the holes of `keys` in the
 * order its text has them; the rest of o as json_dumpf() writes it.
 */
void sj_object(struct sj *s, json_t *o, unsigned depth,
    const char *const *keys, sj_fill fill, const void *arg);

#endif
