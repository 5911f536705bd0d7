/*
 * redact.h - pseudonyms for sharing a report (lib/redact/redact.c).
 *
 * The judged capture's facts and verdict texts get every IPv4/IPv6
 * address, DNS name, SNI, HTTP host, certificate subject, issuer, serial,
 * fingerprint, SAN and CRL/AIA URL, URL path and file path replaced by a
 * pseudonym, once, after the rules and before any writer or accessor sees
 * them: text, JSON and HTML then agree by construction, and the verdicts
 * are those of the real facts. Ports, suites, versions, alerts, verdict
 * ids, Windows codes, frame numbers and times are kept.
 *
 * Pseudonyms are keyed (HMAC-SHA256, GnuTLS): the same key gives the same
 * pseudonym for the same value in every capture and every run. Addresses
 * are prefix-preserving (Crypto-PAn's construction: bit i is flipped by a
 * keyed function of bits 0..i-1), with the prefixes of private, loopback,
 * link-local, documentation, benchmark and multicast ranges kept, so a
 * subnet stays a subnet and private stays private. A name keeps its public
 * suffix (libpsl): "a1b2.contoso.com" becomes "n-5c01e2.example-9a4f10.com".
 */
#ifndef DT_REDACT_H
#define DT_REDACT_H

#include <stddef.h>

#include "facts/facts.h"
#include "util/mem.h"

struct dt_redact;

#define DT_REDACT_KEYLEN 32

/* key/len: the key (any length); NULL: a random one. 0, DT_ENOMEM, or
   DT_EINVAL when no random key could be made. */
int dt_redact_new(struct dt_redact **out, struct dt_mem *m, const void *key,
    size_t len);
void dt_redact_free(struct dt_redact *r);

/* Redact the judged capture in place. 0 or DT_ENOMEM. */
int dt_redact_capture(struct dt_redact *r, struct dt_capture *cap);

/* The pseudonym of an option the report echoes, allocated from m (NULL
   in, NULL out; NULL when memory failed): a name (--host), a file path
   (--ca, --expect-cert given as a file), a fingerprint (--expect-cert
   given as SHA-256 hex), a filter (its addresses). The first three are
   remembered: the rules quote them in verdict texts. */
char *dt_redact_name(struct dt_redact *r, struct dt_mem *m, const char *s);
char *dt_redact_path(struct dt_redact *r, struct dt_mem *m, const char *s);
char *dt_redact_expect(struct dt_redact *r, struct dt_mem *m, const char *s);
char *dt_redact_text(struct dt_redact *r, struct dt_mem *m, const char *s);

#endif
