/*
 * The small composite JSON values of json_val.c: times in whole seconds
 * and per-direction pairs. Its own header, below json_int.h, so that the
 * writer's core does not call up into it.
 */
#ifndef DT_REPORT_JSON_VAL_H
#define DT_REPORT_JSON_VAL_H

#include "report/json_int.h"

void jw_time_sec_k(struct jw *w, const char *key, size_t klen, int64_t sec);
/* {"client": frame, "server": frame} and the same with counters. */
void jw_frame_pair_k(struct jw *w, const char *key, size_t klen,
    uint64_t client, uint64_t server);
void jw_uint_pair_k(struct jw *w, const char *key, size_t klen,
    uint64_t client, uint64_t server);

static inline void
jw_time_sec(struct jw *w, const char *key, int64_t sec)
{
	jw_time_sec_k(w, key, JW_KLEN(key), sec);
}

static inline void
jw_frame_pair(struct jw *w, const char *key, uint64_t client, uint64_t server)
{
	jw_frame_pair_k(w, key, JW_KLEN(key), client, server);
}

static inline void
jw_uint_pair(struct jw *w, const char *key, uint64_t client, uint64_t server)
{
	jw_uint_pair_k(w, key, JW_KLEN(key), client, server);
}

#endif
