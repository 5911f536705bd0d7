/*
 * proto/: parsers of plaintext protocol heads shared by the stages that meet
 * them (flow/ for plain HTTP on any connection, tls/ for a proxy CONNECT
 * and the HTTP inside NULL-cipher records). They take (ptr, len), allocate
 * only what they return, and know nothing of connections.
 */
#ifndef DT_PROTO_HTTP_HEAD_H
#define DT_PROTO_HTTP_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "facts/facts.h"
#include "util/mem.h"

#define DT_HTTP_HEAD_MAX 16384		/* bytes of one HTTP head */

/* HTTP head at the start of p: 1 complete head parsed into out (the
   caller frees it with dt_http_msg_clear), 0 need more, -1 not HTTP.
   consumed = bytes of the head. */
int dt_http_head_parse(struct dt_mem *m, const uint8_t *p, size_t n,
    struct dt_http_msg *out, int *is_request, size_t *consumed);

#endif
