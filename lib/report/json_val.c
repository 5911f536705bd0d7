/*
 * The small JSON values every part of the document uses: frame numbers,
 * times, per-direction pairs. Strings from the wire go through jw_wire()
 * (json_out.c), which makes them valid UTF-8 (RFC 8259 wants UTF-8 text;
 * a bad byte becomes U+FFFD) and escapes them.
 */
#include "report/json_int.h"

void
jw_frame(struct jw *w, const char *key, uint64_t frame)
{
	if (frame != 0)
		jw_uint(w, key, frame);
	else
		jw_null(w, key);
}

void
jw_time(struct jw *w, const char *key, int64_t ns)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time(ns, buf, sizeof buf) != 0)
		jw_null(w, key);
	else
		jw_str(w, key, buf);
}

void
jw_time_sec(struct jw *w, const char *key, int64_t sec)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time_sec(sec, buf, sizeof buf) != 0)
		jw_null(w, key);
	else
		jw_str(w, key, buf);
}

void
jw_frame_pair(struct jw *w, const char *key, uint64_t client, uint64_t server)
{
	jw_obj(w, key);
	jw_frame(w, "client", client);
	jw_frame(w, "server", server);
	jw_end(w);
}

void
jw_uint_pair(struct jw *w, const char *key, uint64_t client, uint64_t server)
{
	jw_obj(w, key);
	jw_uint(w, "client", client);
	jw_uint(w, "server", server);
	jw_end(w);
}
