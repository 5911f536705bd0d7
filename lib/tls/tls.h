/*
 * tls/: from each direction's byte stream, what the TLS handshake said.
 *
 * A struct dt_tls is the per-connection parser (the flow sink's `app`
 * slot). dt_tls_data() takes in-order bytes of one direction with the frame
 * that carried them and records facts in c->tls and events in c's timeline:
 * record layer (content types 20-24, SSL 3.0 .. TLS 1.3, RFC length limits,
 * SSLv2-compatible ClientHello), handshake reassembly across records, the
 * messages of RFC 5246 / RFC 8446, alerts, application data counted; NULL
 * suites decoded after ChangeCipherSpec (plaintext + MAC) including the
 * IP-HTTPS HTTP head inside; a non-TLS reply kept as its first line; a
 * proxy "CONNECT host:port" preamble skipped (the HTTP part is flow's).
 *
 * The stream parser's three outcomes per record: consumed, need more,
 * malformed (the stream then becomes a DT_EV_TLS_MALFORMED fact and that
 * direction is no longer parsed). Certificates are handed to x509/.
 *
 * Buffering: at most `hs_cap` bytes per direction wait for a record to
 * complete; past the handshake, records are hopped by their 5-byte header
 * (alerts still read, application data only counted) for the life of the
 * connection. dt_tls_data() returns 0 only for a direction that can no
 * longer be parsed: malformed, cut by a gap, not TLS, or an SSL 2.0 server.
 */
#ifndef DT_TLS_H
#define DT_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "facts/facts.h"
#include "x509/x509.h"

struct dt_tls;

/* A consumer of the NULL-cipher plaintext that follows the HTTP heads (the
   IP-HTTPS entity bodies: tunnel/). open() is asked once per connection,
   when the first body byte comes, and returns its state or NULL (not
   interested); data() gets each direction's body in order with the frame
   that completed its record and returns 1 to keep receiving it, 0 when
   that direction is no longer needed (its records are then only counted,
   as without a sink); gap() when the stream lost bytes; end() once at the
   end of the connection, with the state to free. */
struct dt_tls_body_sink {
	void *payload;
	void *(*open)(void *payload, struct dt_conn *c);
	int (*data)(void *state, struct dt_conn *c, int dir,
	    const uint8_t *p, size_t n, uint64_t frame, int64_t time);
	void (*gap)(void *state, struct dt_conn *c, int dir, uint64_t frame);
	void (*end)(void *state, struct dt_conn *c);
	size_t (*buffered)(const void *state);
};

struct dt_tls_config {
	size_t hs_cap;			/* 0: 256 KiB */
	const struct dt_x509_ctx *x509;	/* trust anchors, may be NULL */
	const struct dt_tls_body_sink *body;	/* may be NULL */
	struct dt_capture *cap;		/* NULL: a ClientHello stays the
					   connection's own until its trim;
					   else it is the capture's kept
					   copy from the start */
	const uint16_t *ports;		/* the IP-HTTPS ports, 0 ends them;
					   NULL: 443 (see start.c) */
	struct dt_tls_memo *memo;	/* NULL: none; else the ClientHellos
					   the capture's parsers read
					   before (needs cap) */
};

/* The distinct ClientHellos of one capture and the kept facts each gave:
   a connection whose hello says the same (its random, session id, server
   name and unread extensions aside) takes those facts without reading
   them again. One per capture (the facts it holds are that capture's
   kept ones), shared by its connections' parsers; NULL when memory is
   short. */
struct dt_tls_memo;
struct dt_tls_memo *dt_tls_memo_new(struct dt_mem *m);
void dt_tls_memo_free(struct dt_mem *m, struct dt_tls_memo *mo);

struct dt_tls *dt_tls_new(struct dt_mem *m, const struct dt_tls_config *cfg);
void dt_tls_free(struct dt_mem *m, struct dt_tls *t);
/* A parser's state for the next connection without a new allocation:
   dt_tls_clear() gives back what t holds (t stays allocated, fit only for
   dt_tls_renew() or dt_free()); dt_tls_renew() makes t as dt_tls_new()
   makes it and returns it. */
void dt_tls_clear(struct dt_mem *m, struct dt_tls *t);
struct dt_tls *dt_tls_renew(struct dt_tls *t, struct dt_mem *m,
    const struct dt_tls_config *cfg);

/* Returns 1 to keep receiving this direction, 0 when done with it. */
int dt_tls_data(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time);
void dt_tls_gap(struct dt_tls *t, struct dt_conn *c, int dir, uint64_t n,
    uint64_t frame);
/* The connection ended: verify the chain (x509) at the handshake time. */
void dt_tls_end(struct dt_tls *t, struct dt_conn *c);
/* Bytes the parser holds now (record + handshake + HTTP buffers); per
   direction at most hs_cap + 32769 (the largest SSLv2 record; a TLS record
   is at most 5 + 2^14+2048) + 16 KiB (a NULL-cipher HTTP head). */
size_t dt_tls_buffered(const struct dt_tls *t);

/* The preamble TLS followed (enum dt_preamble, facts.h): a short id for
   JSON ("smtp", "http-connect") and a name for people ("SMTP STARTTLS");
   NULL for DT_PRE_NONE and unknown values. */
const char *dt_tls_preamble_id(unsigned preamble);
const char *dt_tls_preamble_name(unsigned preamble);

/* Events written (facts.h): DT_EV_TLS_HANDSHAKE a = handshake type, b flags:
   DT_TLS_HS_ENCRYPTED (the encrypted Finished after CCS, known by position)
   and DT_TLS_HS_HRR (a ServerHello that is a HelloRetryRequest).
   DT_EV_TLS_ENCRYPTED b = bytes of the TLS 1.3 flight so far (one event per
   direction: the server's flight after ServerHello, the client's first
   encrypted record; finished_frame[] is set to their first record); before
   TLS 1.3, one per encrypted handshake record after a direction's Finished
   (NPN's client sends NextProtocol and Finished as two records; a
   renegotiation's messages), b = that record's bytes.
   DT_EV_TLS_ALERT a = level << 8 | description (0 when encrypted), b = 1
   when encrypted. DT_EV_HTTP_RESPONSE b = status. DT_EV_SSLV2_HELLO a = 1
   from the client (CLIENT-HELLO), a = 4 from the server (an SSL 2.0
   SERVER-HELLO: tls.version is then 0x0002, and sh_frame its frame).
   tls.non_tls_line for bytes that are no text line: "(binary) 00 01 ..."
   (the first 16 bytes in hex). */
#define DT_TLS_HS_ENCRYPTED	DT_HS_F_ENCRYPTED	/* facts.h */
#define DT_TLS_HS_HRR		DT_HS_F_HRR
#define DT_TLS_HS_REPEAT	DT_HS_F_REPEAT

/* Names (tables generated from the IANA registries by
   scripts/tls-names/gen-names.py); NULL when unknown. Reports print them
   through the dt_tls_*_str() below, never on their own. */
const char *dt_tls_suite_name(uint16_t suite);
int dt_tls_suite_is_null(uint16_t suite);	/* NULL bulk encryption */
const char *dt_tls_alert_name(uint8_t desc);	/* "handshake_failure" */
const char *dt_tls_handshake_name(uint8_t type);	/* "client_hello" */
const char *dt_tls_extension_name(uint16_t ext);	/* "server_name" */
const char *dt_tls_version_name(uint16_t v);	/* "TLS 1.2", "SSL 3.0" */
/* A 3-byte cipher spec of an SSLv2-format hello: 0x00XXXX is TLS suite
   0xXXXX, else an SSL 2.0 kind ("SSL_CK_RC4_128_WITH_MD5" for 0x010080). */
const char *dt_tls_sslv2_spec_name(uint32_t spec);

/* GREASE values (RFC 8701): 0x?A?A with both bytes equal; not versions,
   suites or extensions. */
int dt_tls_is_grease(uint16_t v);
/* "warning" (1), "fatal" (2), NULL for any other alert level. */
const char *dt_tls_alert_level_name(uint8_t level);
/*
 * A value as every report writes it, into buf (returned):
 * version "TLS 1.2", else "0x0305"; suite "TLS_RSA_WITH_NULL_SHA (0x0002)",
 * else "suite 0xABCD"; alert "handshake_failure (40)", else "unknown (99)".
 */
const char *dt_tls_version_str(uint16_t v, char *buf, size_t n);
const char *dt_tls_suite_str(uint16_t suite, char *buf, size_t n);
const char *dt_tls_alert_str(uint8_t desc, char *buf, size_t n);
#define DT_TLS_NAME_LEN 96	/* enough for any of them */

#endif
