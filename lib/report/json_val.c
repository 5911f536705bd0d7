/*
 * The small JSON values every part of the document uses: frame numbers,
 * times, per-direction pairs. Strings from the wire go through jw_wire()
 * (json_out.c), which makes them valid UTF-8 (RFC 8259 wants UTF-8 text;
 * a bad byte becomes U+FFFD) and escapes them.
 */
#include "report/json_val.h"

void
jw_time_sec_k(struct jw *w, const char *key, size_t klen, int64_t sec)
{
	char buf[DT_REPORT_TIME_LEN];

	if (dt_report_time_sec(sec, buf, sizeof buf) != 0)
		jw_null_k(w, key, klen);
	else
		jw_str_k(w, key, klen, buf);
}

void
jw_frame_pair_k(struct jw *w, const char *key, size_t klen, uint64_t client,
    uint64_t server)
{
	jw_obj_k(w, key, klen);
	jw_frame(w, "client", client);
	jw_frame(w, "server", server);
	jw_end(w);
}

void
jw_uint_pair_k(struct jw *w, const char *key, size_t klen, uint64_t client,
    uint64_t server)
{
	jw_obj_k(w, key, klen);
	jw_uint(w, "client", client);
	jw_uint(w, "server", server);
	jw_end(w);
}
