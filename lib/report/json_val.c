/*
 * The small JSON values every part of the document uses. RFC 8259 wants
 * UTF-8 text: every string from the wire (SNI, DNs, HTTP lines, the first
 * line of a non-TLS reply, error messages) goes through jb_str(), which
 * makes it valid UTF-8 with dt_utf8_clean() (a bad byte becomes U+FFFD);
 * jansson escapes control characters.
 */
#include "report/json_int.h"

#include <stdint.h>
#include <string.h>

void
jb_set(struct jb *b, json_t *obj, const char *key, json_t *val)
{
	/* jansson takes val even on failure, and fails on a NULL obj/val. */
	if (json_object_set_new(obj, key, val) != 0)
		b->err = 1;
}

void
jb_push(struct jb *b, json_t *arr, json_t *val)
{
	if (json_array_append_new(arr, val) != 0)
		b->err = 1;
}

/* A string from the wire (or NULL -> null), made valid UTF-8. */
json_t *
jb_str(struct jb *b, const char *s)
{
	char small[512], *buf = small;
	size_t n, len;
	json_t *j;

	if (s == NULL)
		return json_null();
	n = strlen(s);
	if (n > (SIZE_MAX - 1) / 3) {
		b->err = 1;
		return NULL;
	}
	if (3 * n + 1 > sizeof small) {
		buf = dt_malloc(b->mem, 3 * n + 1);
		if (buf == NULL) {
			b->err = 1;
			return NULL;
		}
	}
	len = dt_utf8_clean(s, n, buf);
	j = json_stringn(buf, len);
	if (buf != small)
		dt_free(b->mem, buf);
	if (j == NULL)
		b->err = 1;
	return j;
}

json_t *
jb_int(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Frame numbers start at 1: 0 means none. */
json_t *
jb_frame(uint64_t frame)
{
	return frame != 0 ? jb_int(frame) : json_null();
}

json_t *
jb_time(int64_t ns)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time(ns, buf, sizeof buf) != 0)
		return json_null();
	return json_string(buf);
}

json_t *
jb_dirpair(struct jb *b, json_t *client, json_t *server)
{
	json_t *o = json_object();

	jb_set(b, o, "client", client);
	jb_set(b, o, "server", server);
	return o;
}
