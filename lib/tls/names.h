/*
 * Internal to tls/: what the generated name tables (names.c, see gen/) know
 * beyond the names published in tls.h.
 */
#ifndef DT_TLS_NAMES_H
#define DT_TLS_NAMES_H

#include <stdint.h>

/* Bytes of record MAC of a NULL-encryption suite (RFC 5246 6.2.3.1: the
   record is plaintext followed by the MAC); -1 for other suites. */
int dt_tls_null_mac_len(uint16_t suite);

#endif
