/*
 * datrace.h - libdatrace, the public interface.
 *
 * libdatrace reads packet captures taken on (or in front of) Windows
 * DirectAccess clients and tells, with evidence, why the IP-HTTPS tunnel
 * (TLS over TCP, normally port 443) did or did not come up: which verdict,
 * which Windows error the client most likely logged, which frames prove it,
 * and what to change.
 *
 * Conventions (see man libdatrace(3)):
 *  - Functions return 0 on success or a negative DT_E* code; the message of
 *    the last failure is kept in the analyzer (dt_analyzer_errmsg()).
 *    Malformed traffic or a damaged capture is never an API error: it is
 *    reported inside the results (capture errors, verdicts).
 *  - Iteration is by index: dt_..._at(obj, i, &out) returns 0 and sets *out
 *    for i < count, DT_ITEROVER past the end.
 *  - Objects handed out by accessors belong to the analyzer and live until
 *    dt_analyzer_free(); strings are NUL-terminated UTF-8 where the wire
 *    allowed it (bytes that are not UTF-8 come back as U+FFFD).
 *  - No global state. An analyzer is changed by one thread at a time
 *    (analysing, feeding, adopting, freeing); separate analyzers may be
 *    used concurrently from separate threads. Once a capture's analysis
 *    has returned, its results are read-only: accessors and writers never
 *    write or allocate, so any number of threads may read them at once
 *    (one exception, safe the same: a capture's first
 *    dt_capture_conn_at() makes the texts of dt_conn_client() and
 *    dt_conn_wireshark_filter(), from the options' allocator).
 *  - The library never prints and never exits.
 */
#ifndef DATRACE_H
#define DATRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DT_BUILDING_LIBRARY) && defined(__GNUC__)
#define DT_EXTERN __attribute__((visibility("default")))
#else
#define DT_EXTERN
#endif

#define DT_VERSION_MAJOR 0
#define DT_VERSION_MINOR 1
#define DT_VERSION_PATCH 0
#define DT_VERSION_STRING "0.1.0"

/* Return codes. */
#define DT_OK		0
#define DT_ITEROVER	(-1)	/* iteration past the last item; not an error */
#define DT_EINVAL	(-2)	/* bad argument or option */
#define DT_ENOMEM	(-3)	/* an allocation failed or the memory cap was hit */
#define DT_EIO		(-4)	/* the file could not be opened or read */
#define DT_EFORMAT	(-5)	/* not a capture, or nothing in it could be read */
#define DT_EFILTER	(-6)	/* the BPF filter does not compile */
#define DT_ECERT	(-7)	/* --ca / --expect-cert could not be loaded */
#define DT_ESTATE	(-8)	/* call out of order (feeding not begun, ...) */

/* Run-time version ("0.1.0"). */
DT_EXTERN const char *dt_version(void);
/* Static text for a DT_E* code. */
DT_EXTERN const char *dt_strerror(int code);

/*
 * An allocator: realloc semantics, size 0 frees and returns NULL. Every
 * allocation of the analyzer goes through it (GnuTLS's internal ones
 * excepted). ud is passed back unchanged. The report writers take their
 * buffers from it too, in the thread that writes: when several threads
 * write reports of one analyzer at once, it is called from all of them
 * and must be thread-safe (malloc is).
 */
typedef void *(*dt_alloc_fn)(void *ud, void *ptr, size_t size);

#define DT_OPTIONS_VERSION 5	/* 1 (no redaction), 2 (no spill), 3
				   (no threads) and 4 (no mapping) are
				   still accepted */
#define DT_MAX_PORTS 16

/*
 * Options. Initialise with DT_OPTIONS_INIT (or dt_options_init()) and set
 * what you need; strings are copied by dt_analyzer_new().
 */
typedef struct dt_options {
	unsigned version;		/* DT_OPTIONS_VERSION */
	const char *host;		/* the IP-HTTPS server name, or NULL */
	uint16_t ports[DT_MAX_PORTS];	/* IP-HTTPS port set; 0 ends it */
	const char *ca_file;		/* PEM bundle of trust anchors, or NULL */
	const char *ca_pem;		/* ... or the same as PEM bytes */
	size_t ca_pem_len;
	const char *expect_cert;	/* PEM/DER file or 64-hex SHA-256, or NULL */
	const char *inspection_cas;	/* file adding interception CA names */
	const char *filter;		/* BPF expression, or NULL */
	int all;			/* verdicts for every TLS connection */
	size_t handshake_cap;		/* bytes kept per direction (0: 256 KiB) */
	size_t memory_cap;		/* total bytes (0: 256 MiB) */
	dt_alloc_fn alloc;		/* NULL: malloc/realloc/free */
	void *alloc_ud;
	/* Version 2. Redaction for sharing a report: every address, name,
	   certificate string, HTTP host and path in the results becomes a
	   keyed pseudonym (addresses prefix-preserving, private kept
	   private; public suffixes kept), the same in every writer; the
	   verdicts are those of the real facts. The key makes pseudonyms
	   the same across analyzers and runs; NULL: a random one per
	   analyzer (give analyzers that share a report the same key). */
	int redact;
	const void *redact_key;
	size_t redact_key_len;
	/* Version 3. A directory for the facts each capture keeps to its
	   end, once they pass spill_after bytes (0: 256 MiB): they go to an
	   unlinked file there, mapped, so the process's resident memory
	   stops growing with the capture and the rest is page cache the
	   kernel can write out (disk used: what the facts take past the
	   threshold, ~1 KiB per connection). It costs page faults: every
	   walk over the spilled facts maps them again, 8 MiB at a time, 2
	   MiB a fault where the file system caches the file in large folios
	   (a 2 GiB day spilled from 1 MiB: 61 MiB of RSS instead of 170, at
	   about the same CPU; datrace spills from 1 MiB), 64 KiB a fault
	   where it does not (several times). The file is gone when the
	   capture is freed. The cap (memory_cap) still counts these bytes.
	   NULL, or a directory where no file can be made: all stays on the
	   heap; a file that cannot grow (disk full) leaves the rest there. */
	const char *spill_dir;
	size_t spill_after;
	/* Version 4. 1: an analysis may run work of its own on a second
	   core beside the caller's thread: a thread reads the capture ahead
	   (dt_analyze_file() unless it maps the file, a regular file given
	   to dt_analyze_fp(), dt_analyze_stream(); 2 MiB at most, in
	   chunks of 512 KiB of a mapping of its own, not from alloc and
	   outside memory_cap) while the caller's thread judges the bytes
	   before, so the kernel's copy of a file, or a stream's unpacking,
	   runs there. Results are the same bytes; the thread is joined
	   before the call returns. A
	   stream's read callback is then called from the reading thread,
	   one call at a time and in order, and the call returns once the
	   callback's last call did. 0 (the default): everything runs in
	   the caller's thread. */
	int threads;
	/* Version 5. 1: dt_analyze_file() reads a regular file through a
	   mapping (512 KiB of it present at a time, about 1 MiB of resident
	   memory, outside alloc and memory_cap) instead of read(2): no copy
	   out of the page cache, a tenth of the CPU of the 100 MB bench day;
	   results are the same bytes. But a file cut shorter while it is
	   read (truncated, or on a file system that goes away) raises
	   SIGBUS in the process where the cut falls inside the 512 KiB
	   being read (between two, the rest is read with read(2) and the
	   cut reported as such), as any mapping does, and the library
	   installs no handler: set it for files that nothing shortens
	   meanwhile, and handle SIGBUS if the process must outlive one
	   (datrace(1) reports it and exits). 0 (the default): read(2). */
	int map_files;
} dt_options;

#define DT_OPTIONS_INIT { DT_OPTIONS_VERSION, NULL, { 443 }, NULL, NULL, 0, \
	NULL, NULL, NULL, 0, 0, 0, NULL, NULL, 0, NULL, 0, NULL, 0, 0, 0 }

DT_EXTERN void dt_options_init(dt_options *opts);

typedef struct dt_analyzer dt_analyzer;
typedef struct dt_capture dt_capture;
typedef struct dt_conn dt_conn;
typedef struct dt_verdict dt_verdict;
typedef struct dt_cert dt_cert;

/*
 * Create an analyzer. Trust anchors, the expected certificate and the
 * filter are loaded here, so a bad one fails early (DT_ECERT, DT_EFILTER
 * is reported on the first capture, when link types are known).
 * On failure *out is still set when memory allowed, so the message can be
 * read with dt_analyzer_errmsg(); free it with dt_analyzer_free().
 */
DT_EXTERN int dt_analyzer_new(dt_analyzer **out, const dt_options *opts);
DT_EXTERN void dt_analyzer_free(dt_analyzer *a);
/* Message of the last failure ("" when none); valid until the next call. */
DT_EXTERN const char *dt_analyzer_errmsg(const dt_analyzer *a);

/*
 * Analyse one capture (pcap, pcapng, etl; format detected by content) and add
 * its results. Returns 0 when anything could be analysed (read errors on a
 * damaged file are then listed in the capture's errors); DT_EIO/DT_EFORMAT
 * when nothing could (the capture is still added, with its error).
 */
DT_EXTERN int dt_analyze_file(dt_analyzer *a, const char *path);
/*
 * The capture format the first bytes of a file show ("pcap", "pcapng",
 * "etl"), or NULL when they are none the library reads. len should cover
 * the first 4 KiB when the file has them (an ETL file is told by its first
 * buffer header). For front ends that must tell a capture from other
 * files in a folder or an archive before analysing it.
 */
DT_EXTERN const char *dt_capture_format_probe(const void *buf, size_t len);
/* The same from memory; buf must stay valid during the call only. */
DT_EXTERN int dt_analyze_mem(dt_analyzer *a, const char *name,
    const void *buf, size_t len);
/* The same from an open stream (read to its end, not closed). */
DT_EXTERN int dt_analyze_fp(dt_analyzer *a, const char *name, FILE *fp);
/*
 * A read callback: copy up to len bytes of the capture into buf and return
 * how many (at least 1 while there are more), 0 at the end, or a negative
 * value on an error (-errno when there is one, e.g. -EIO; the capture's
 * error then says "cannot read: " and its text).
 */
typedef ptrdiff_t (*dt_read_fn)(void *buf, size_t len, void *payload);
/*
 * The same from a read callback (an archive member, a socket, a
 * decompressor): read is called with payload until it returns 0 or an
 * error, during this call only. The size is not known in advance, so
 * progress reports a total of 0.
 */
DT_EXTERN int dt_analyze_stream(dt_analyzer *a, const char *name,
    dt_read_fn read, void *payload);

/*
 * Feeding packets one by one: begin, any number of packets, end. Link types
 * are LINKTYPE_* numbers (1 Ethernet, 101 raw IP, 113 SLL, ...). Time is
 * seconds and nanoseconds since 1970 UTC. bytes must hold caplen bytes and
 * stay valid during the call only. Frame numbers count fed packets from 1.
 */
DT_EXTERN int dt_feed_begin(dt_analyzer *a, const char *name);
DT_EXTERN int dt_feed_packet(dt_analyzer *a, int linktype, int64_t sec,
    uint32_t nsec, const void *bytes, uint32_t caplen, uint32_t origlen);
DT_EXTERN int dt_feed_end(dt_analyzer *a);

/*
 * Move every capture of `from` (analysed, in another thread perhaps) to the
 * end of a's results, in order, so one writer call covers both; `from`
 * must have the same options and no capture open. On success a owns from
 * and frees it with itself: do not use or free `from` afterwards. This is
 * how `datrace -j` analyses several files at once.
 */
DT_EXTERN int dt_analyzer_adopt(dt_analyzer *a, dt_analyzer *from);

/* Reports the bytes read so far of the current file (for progress). */
typedef void (*dt_progress_fn)(uint64_t done, uint64_t total, void *payload);
DT_EXTERN void dt_analyzer_set_progress(dt_analyzer *a, dt_progress_fn fn,
    void *payload);

/*
 * The IPv6 packets inside IP-HTTPS tunnels (the entity bodies of a
 * NULL-cipher session's POST and its answer, MS-IPHTTPS 3.1.5.3), handed
 * over as they are read: the connection id, the direction (0 client to
 * server, 1 back), the outer frame that completed the packet, its capture
 * time (ns since 1970 UTC) and the whole packet. p is valid during the
 * call only. Set before analysing; fn NULL (the default) turns it off.
 * This is how `datrace --export-inner` writes its pcapng.
 */
typedef void (*dt_inner_packet_fn)(uint32_t conn, int dir, uint64_t frame,
    int64_t time_ns, const uint8_t *p, size_t n, void *payload);
DT_EXTERN void dt_analyzer_set_inner_packets(dt_analyzer *a,
    dt_inner_packet_fn fn, void *payload);

/* ---- results ---------------------------------------------------------- */

typedef enum { DT_SEV_INFO = 0, DT_SEV_WARNING = 1, DT_SEV_ERROR = 2 } dt_severity;
typedef enum { DT_CONF_LOW = 0, DT_CONF_MEDIUM = 1, DT_CONF_HIGH = 2 } dt_confidence;

DT_EXTERN size_t dt_analyzer_capture_count(const dt_analyzer *a);
DT_EXTERN int dt_analyzer_capture_at(const dt_analyzer *a, size_t i,
    const dt_capture **out);
/* Highest severity over all verdicts of all captures, -1 when none. */
DT_EXTERN int dt_analyzer_worst(const dt_analyzer *a);

DT_EXTERN const char *dt_capture_path(const dt_capture *c);
DT_EXTERN const char *dt_capture_format(const dt_capture *c);	/* "pcap", "pcapng", "etl", "fed" */
DT_EXTERN uint64_t dt_capture_packets(const dt_capture *c);
DT_EXTERN uint64_t dt_capture_bytes(const dt_capture *c);
DT_EXTERN uint64_t dt_capture_truncated_packets(const dt_capture *c);
/* pktmon logs a packet at every component it crosses, netsh at the
   miniport and at a filter above it: packets counts every record (frame
   numbers refer to them), distinct_packets the packets once each, and
   duplicate_sightings the records that are another sighting. */
DT_EXTERN uint64_t dt_capture_distinct_packets(const dt_capture *c);
DT_EXTERN uint64_t dt_capture_duplicate_sightings(const dt_capture *c);
/* 802.11 data frames captured encrypted (a monitor-mode capture of a
   protected network): counted, not decoded. */
DT_EXTERN uint64_t dt_capture_protected_80211(const dt_capture *c);
/* 1 when reading ended early at damage or at the end of a file cut short
   (the packets before it were analysed; the reason is the last error). */
DT_EXTERN int dt_capture_damaged(const dt_capture *c);
/* Capture time of the first/last packet, ns since 1970 UTC (0: none). */
DT_EXTERN int64_t dt_capture_first_time(const dt_capture *c);
DT_EXTERN int64_t dt_capture_last_time(const dt_capture *c);
DT_EXTERN size_t dt_capture_link_type_count(const dt_capture *c);
/* Link type name ("EN10MB", "LINUX_SLL", "DLT_147"...) and its number. */
DT_EXTERN int dt_capture_link_type_at(const dt_capture *c, size_t i,
    const char **name, int *linktype);
DT_EXTERN size_t dt_capture_error_count(const dt_capture *c);
DT_EXTERN int dt_capture_error_at(const dt_capture *c, size_t i,
    uint64_t *offset, const char **message);
DT_EXTERN size_t dt_capture_conn_count(const dt_capture *c);
DT_EXTERN int dt_capture_conn_at(const dt_capture *c, size_t i,
    const dt_conn **out);
DT_EXTERN size_t dt_capture_verdict_count(const dt_capture *c);
DT_EXTERN int dt_capture_verdict_at(const dt_capture *c, size_t i,
    const dt_verdict **out);

/* Verdicts (see datrace(1) for the ids; they are a stable interface). */
DT_EXTERN const char *dt_verdict_id(const dt_verdict *v);
DT_EXTERN dt_severity dt_verdict_severity(const dt_verdict *v);
DT_EXTERN dt_confidence dt_verdict_confidence(const dt_verdict *v);
/* Windows error the client most likely logged: code 0 and NULL name when
 * none applies. */
DT_EXTERN uint32_t dt_verdict_windows_code(const dt_verdict *v);
DT_EXTERN const char *dt_verdict_windows_name(const dt_verdict *v);
/* Connection id the verdict concerns, or 0 for the whole capture. */
DT_EXTERN uint32_t dt_verdict_conn(const dt_verdict *v);
DT_EXTERN size_t dt_verdict_frame_count(const dt_verdict *v);
DT_EXTERN int dt_verdict_frame_at(const dt_verdict *v, size_t i,
    uint64_t *frame);
DT_EXTERN const char *dt_verdict_summary(const dt_verdict *v);
DT_EXTERN const char *dt_verdict_explanation(const dt_verdict *v);
DT_EXTERN const char *dt_verdict_remedy(const dt_verdict *v);
/* 1: about a connection that is not IP-HTTPS (--all); such verdicts come
   after the IP-HTTPS ones and do not count in dt_analyzer_worst(). */
DT_EXTERN int dt_verdict_background(const dt_verdict *v);
DT_EXTERN const char *dt_severity_name(dt_severity s);	/* "error" ... */
DT_EXTERN const char *dt_confidence_name(dt_confidence c);	/* "high" ... */

/* Connections. */
DT_EXTERN uint32_t dt_conn_id(const dt_conn *c);
DT_EXTERN const char *dt_conn_client(const dt_conn *c);	/* "ip:port", "[v6]:port" */
DT_EXTERN const char *dt_conn_server(const dt_conn *c);
DT_EXTERN const char *dt_conn_server_name(const dt_conn *c);	/* SNI/Host or NULL */
DT_EXTERN int dt_conn_iphttps(const dt_conn *c);
/* Why the connection is (or is not) taken as IP-HTTPS: its identification
   score (50 and more needs no --host) and the evidence, e.g. "SNI
   da.corp.example; NULL suites offered; port 443" or "address from the DNS
   answer in frame 4"; "" when nothing spoke. Valid until dt_analyzer_free. */
DT_EXTERN int dt_conn_iphttps_score(const dt_conn *c);
DT_EXTERN const char *dt_conn_iphttps_reason(const dt_conn *c);
DT_EXTERN uint64_t dt_conn_first_frame(const dt_conn *c);
DT_EXTERN uint64_t dt_conn_last_frame(const dt_conn *c);
/* "no-answer", "refused", "established", "reset", "closed", "open". */
DT_EXTERN const char *dt_conn_state(const dt_conn *c);
DT_EXTERN const char *dt_conn_wireshark_filter(const dt_conn *c);
/* TLS facts: 0 when no TLS was seen on the connection. */
DT_EXTERN int dt_conn_has_tls(const dt_conn *c);
DT_EXTERN const char *dt_conn_tls_version(const dt_conn *c);	/* "TLS 1.2" or NULL */
/* Chosen suite: id (-1 when no ServerHello) and name. */
DT_EXTERN int dt_conn_tls_suite(const dt_conn *c, const char **name);
DT_EXTERN int dt_conn_tls_offered_null(const dt_conn *c);
DT_EXTERN size_t dt_conn_tls_offered_count(const dt_conn *c);
DT_EXTERN int dt_conn_tls_offered_at(const dt_conn *c, size_t i,
    uint16_t *suite, const char **name);
/* The deciding alert: 0 and its fields, DT_ITEROVER when there was none.
 * from_server is 1 when the server sent it. */
DT_EXTERN int dt_conn_tls_alert(const dt_conn *c, uint64_t *frame,
    int *from_server, int *level, int *description, const char **name);
/* "none", "empty", "present". */
DT_EXTERN const char *dt_conn_tls_client_certificate(const dt_conn *c);
DT_EXTERN size_t dt_conn_server_cert_count(const dt_conn *c);
DT_EXTERN int dt_conn_server_cert_at(const dt_conn *c, size_t i,
    const dt_cert **out);

DT_EXTERN const char *dt_cert_subject(const dt_cert *x);
DT_EXTERN const char *dt_cert_issuer(const dt_cert *x);
DT_EXTERN const char *dt_cert_sha256(const dt_cert *x);	/* 64 hex digits */
DT_EXTERN int64_t dt_cert_not_before(const dt_cert *x);	/* s since 1970 */
DT_EXTERN int64_t dt_cert_not_after(const dt_cert *x);
DT_EXTERN int dt_cert_self_signed(const dt_cert *x);
DT_EXTERN size_t dt_cert_dns_name_count(const dt_cert *x);
DT_EXTERN const char *dt_cert_dns_name_at(const dt_cert *x, size_t i);

/* ---- more of the results (0.1 additions) --------------------------------
 *
 * Everything the JSON document of datrace(1) says has an accessor; each is
 * named after its JSON key. Lifetime, ownership and threads as above: what
 * they return belongs to the analyzer and lives until dt_analyzer_free();
 * they are read-only for the caller. Frame numbers are 1-based, 0 means
 * "not seen"; directions are DT_FROM_CLIENT / DT_FROM_SERVER.
 *
 * Strings from the wire: when a capture's analysis ends, any string of its
 * results that is not UTF-8 is replaced by its copy with U+FFFD for each
 * bad byte (when the memory cap leaves no room for the copy, bad bytes
 * become '?' in place), so every accessor and writer sees the same
 * strings. A string accessor marked "or NULL" returns NULL when the JSON
 * has null there.
 */

#define DT_FROM_CLIENT	0
#define DT_FROM_SERVER	1
/* Room for a printed IPv4/IPv6 address, NUL included. */
#define DT_ADDR_STRLEN	46

typedef struct dt_dns dt_dns;
typedef struct dt_http dt_http;

/* Capture: what bounded memory made us drop, and packets no decoder read
   (JSON "dropped" and "undecodable_packets"). */
DT_EXTERN uint64_t dt_capture_dropped_conns(const dt_capture *c);
DT_EXTERN uint64_t dt_capture_dropped_bytes(const dt_capture *c);
DT_EXTERN uint64_t dt_capture_fragments_dropped(const dt_capture *c);
DT_EXTERN uint64_t dt_capture_undecodable_packets(const dt_capture *c);
/* Tunnels the capture's packets came through (JSON "tunnels", same
   order): the i-th kind seen; `type` is "GRE", "VXLAN",
   "GTP-U", "Teredo", "6to4", ... (static). `not_decoded` counts packets of
   that tunnel whose payload was not read (ARP in VXLAN, encrypted PPTP);
   endpoints as "a -> b" into a caller buffer of at least 64 bytes. */
DT_EXTERN size_t dt_capture_tunnel_count(const dt_capture *c);
DT_EXTERN int dt_capture_tunnel_at(const dt_capture *c, size_t i,
    const char **type, uint64_t *packets, uint64_t *not_decoded,
    uint64_t *first_frame, char *endpoints, size_t endpoints_len);
/* Link type i (as dt_capture_link_type_at): its packets and whether it is
   decoded (0: listed in JSON "unsupported_link_types"). */
DT_EXTERN int dt_capture_link_type_stats_at(const dt_capture *c, size_t i,
    uint64_t *packets, int *supported);
/* JSON "summary": IP-HTTPS connections, verdicts of one severity. */
DT_EXTERN size_t dt_capture_iphttps_count(const dt_capture *c);
DT_EXTERN size_t dt_capture_severity_count(const dt_capture *c,
    dt_severity s);

/* DNS queries and answers seen (JSON "dns"), in capture order. Walking by
   index costs O(i) per call: iterate with increasing i. */
DT_EXTERN size_t dt_capture_dns_count(const dt_capture *c);
DT_EXTERN int dt_capture_dns_at(const dt_capture *c, size_t i,
    const dt_dns **out);
DT_EXTERN const char *dt_dns_name(const dt_dns *d);	/* lower case, "" */
DT_EXTERN unsigned dt_dns_qtype(const dt_dns *d);	/* 1 A, 28 AAAA ... */
DT_EXTERN int dt_dns_rcode(const dt_dns *d);		/* -1: no answer */
DT_EXTERN uint64_t dt_dns_query_frame(const dt_dns *d);
DT_EXTERN uint64_t dt_dns_answer_frame(const dt_dns *d);
DT_EXTERN const char *dt_dns_cname(const dt_dns *d);	/* or NULL */
DT_EXTERN size_t dt_dns_address_count(const dt_dns *d);
/* The i-th A/AAAA answer printed into buf (DT_ADDR_STRLEN bytes is enough);
   DT_EINVAL when buf is too small. */
DT_EXTERN int dt_dns_address_at(const dt_dns *d, size_t i, char *buf,
    size_t len);

/* Plain HTTP seen on TCP connections (JSON "http"): proxies, CRL fetches. */
DT_EXTERN size_t dt_capture_http_count(const dt_capture *c);
DT_EXTERN int dt_capture_http_at(const dt_capture *c, size_t i,
    const dt_http **out);
DT_EXTERN uint32_t dt_http_conn(const dt_http *h);	/* 0: none */
DT_EXTERN uint64_t dt_http_request_frame(const dt_http *h);
DT_EXTERN uint64_t dt_http_response_frame(const dt_http *h);
DT_EXTERN const char *dt_http_method(const dt_http *h);	/* or NULL */
DT_EXTERN const char *dt_http_uri(const dt_http *h);	/* CONNECT: "host:port" */
DT_EXTERN const char *dt_http_host(const dt_http *h);	/* or NULL */
DT_EXTERN int dt_http_status(const dt_http *h);		/* -1: no response */
DT_EXTERN const char *dt_http_status_line(const dt_http *h);	/* or NULL */
/* How it ended without a response: reset, or never answered. */
DT_EXTERN int dt_http_reset(const dt_http *h);
DT_EXTERN int dt_http_no_answer(const dt_http *h);

/* Connection, TCP (JSON "tcp"). */
DT_EXTERN int dt_conn_roles_from_syn(const dt_conn *c);	/* 0: guessed */
DT_EXTERN int64_t dt_conn_first_time(const dt_conn *c);	/* ns since 1970 */
DT_EXTERN int64_t dt_conn_last_time(const dt_conn *c);
DT_EXTERN uint64_t dt_conn_syn_frame(const dt_conn *c);
DT_EXTERN unsigned dt_conn_syn_count(const dt_conn *c);
DT_EXTERN uint64_t dt_conn_synack_frame(const dt_conn *c);
/* The first RST: 0, DT_ITEROVER when there was none. */
DT_EXTERN int dt_conn_rst(const dt_conn *c, uint64_t *frame,
    int *from_server);
/* dir: DT_FROM_CLIENT or DT_FROM_SERVER; anything else gives 0. */
DT_EXTERN uint64_t dt_conn_fin_frame(const dt_conn *c, int dir);
DT_EXTERN uint64_t dt_conn_bytes(const dt_conn *c, int dir);	/* TCP payload */
DT_EXTERN uint64_t dt_conn_packets(const dt_conn *c, int dir);
DT_EXTERN uint64_t dt_conn_gap_bytes(const dt_conn *c, int dir);
DT_EXTERN unsigned dt_conn_retransmissions(const dt_conn *c);
DT_EXTERN int dt_conn_truncated(const dt_conn *c);	/* payload cut by snaplen */
/* IP TTL / hop limit of the client's SYN, of the server's SYN-ACK, and of
   the server's first payload packet (with the least and most seen after):
   0 when not seen. */
DT_EXTERN unsigned dt_conn_ttl_syn(const dt_conn *c);
DT_EXTERN unsigned dt_conn_ttl_synack(const dt_conn *c);
DT_EXTERN unsigned dt_conn_ttl_server_data(const dt_conn *c, unsigned *min,
    unsigned *max);

/*
 * The connection's timeline (JSON "timeline"; the events for which
 * dt_conn_event_in_messages() is 1 are JSON tls "messages"): frame, time
 * (ns since 1970), who sent it (1: server) and the JSON "type"
 * ("syn", "client_hello", "alert", "http_request", ...). Static type names.
 */
DT_EXTERN size_t dt_conn_event_count(const dt_conn *c);
DT_EXTERN int dt_conn_event_at(const dt_conn *c, size_t i, uint64_t *frame,
    int64_t *time, int *from_server, const char **type);
DT_EXTERN int dt_conn_event_in_messages(const dt_conn *c, size_t i);
/* The event's integer or boolean JSON field named key ("status", "bytes",
   "retransmission", "before_synack", "peer_bytes", "bytes_before", "code",
   "encrypted"): 0 and *value, DT_ITEROVER when the event has no such field
   (or i is past the end). */
DT_EXTERN int dt_conn_event_field(const dt_conn *c, size_t i,
    const char *key, int64_t *value);
/* An alert event: level (1 warning, 2 fatal), description and its name;
   encrypted alerts give level 0, description -1, name NULL. DT_ITEROVER
   when event i is not an alert. */
DT_EXTERN int dt_conn_event_alert(const dt_conn *c, size_t i, int *level,
    int *description, const char **name);
/* Events left out because the timeline was full (JSON "timeline_dropped"). */
DT_EXTERN unsigned dt_conn_timeline_dropped(const dt_conn *c);

/* Connection, TLS (JSON "tls"). Versions are wire numbers (0x0303 ...) with
   their name ("TLS 1.2", NULL when unknown). */
DT_EXTERN size_t dt_conn_tls_client_version_count(const dt_conn *c);
DT_EXTERN int dt_conn_tls_client_version_at(const dt_conn *c, size_t i,
    uint16_t *version, const char **name);
/* Negotiated version number, 0 without a ServerHello. */
DT_EXTERN uint16_t dt_conn_tls_version_id(const dt_conn *c);
/* ClientHello legacy version and record-layer version (0: none). */
DT_EXTERN uint16_t dt_conn_tls_client_hello_version(const dt_conn *c);
DT_EXTERN uint16_t dt_conn_tls_record_version(const dt_conn *c);
DT_EXTERN uint64_t dt_conn_tls_client_hello_frame(const dt_conn *c);
DT_EXTERN uint64_t dt_conn_tls_server_hello_frame(const dt_conn *c);
DT_EXTERN int dt_conn_tls_offered_only_null(const dt_conn *c);
DT_EXTERN const char *dt_conn_tls_sni(const dt_conn *c);	/* or NULL */
/* ALPN protocols offered, comma-separated ("h2,http/1.1"), or NULL. */
DT_EXTERN const char *dt_conn_tls_alpn(const dt_conn *c);
/* ClientHello extensions in order, supported_groups and
   signature_algorithms (lists keep their first 32 / 48 entries). */
DT_EXTERN size_t dt_conn_tls_extension_count(const dt_conn *c);
DT_EXTERN int dt_conn_tls_extension_at(const dt_conn *c, size_t i,
    uint16_t *type);
DT_EXTERN size_t dt_conn_tls_group_count(const dt_conn *c);
DT_EXTERN int dt_conn_tls_group_at(const dt_conn *c, size_t i,
    uint16_t *group);
DT_EXTERN size_t dt_conn_tls_sig_alg_count(const dt_conn *c);
DT_EXTERN int dt_conn_tls_sig_alg_at(const dt_conn *c, size_t i,
    uint16_t *alg);
DT_EXTERN int dt_conn_tls_renegotiation_info(const dt_conn *c);
DT_EXTERN int dt_conn_tls_extended_master_secret(const dt_conn *c);
DT_EXTERN int dt_conn_tls_status_request(const dt_conn *c);
DT_EXTERN int dt_conn_tls_sslv2_hello(const dt_conn *c);
DT_EXTERN int dt_conn_tls_hello_retry_request(const dt_conn *c);
DT_EXTERN int dt_conn_tls_resumed(const dt_conn *c);
DT_EXTERN unsigned dt_conn_tls_alert_count(const dt_conn *c);	/* all alerts */
/* Server certificates: the frame of the Certificate message, and 0 when
   they were encrypted (TLS 1.3). */
DT_EXTERN uint64_t dt_conn_tls_server_certificate_frame(const dt_conn *c);
DT_EXTERN int dt_conn_tls_certificates_visible(const dt_conn *c);
/* Chain check against the trust anchors: "unchecked", "ok", "untrusted",
   "bad"; and why when not "ok" (or NULL). */
DT_EXTERN const char *dt_conn_tls_chain(const dt_conn *c);
DT_EXTERN const char *dt_conn_tls_chain_error(const dt_conn *c);
/* The CertificateRequest: 0 and its frame, DT_ITEROVER when none. Its CA
   names (RFC 4514 DNs), certificate types and signature algorithms. */
DT_EXTERN int dt_conn_tls_cert_request(const dt_conn *c, uint64_t *frame);
DT_EXTERN size_t dt_conn_tls_ca_name_count(const dt_conn *c);
DT_EXTERN const char *dt_conn_tls_ca_name_at(const dt_conn *c, size_t i);
DT_EXTERN size_t dt_conn_tls_cert_request_type_count(const dt_conn *c);
DT_EXTERN int dt_conn_tls_cert_request_type_at(const dt_conn *c, size_t i,
    unsigned *type);
DT_EXTERN size_t dt_conn_tls_cert_request_sig_alg_count(const dt_conn *c);
DT_EXTERN int dt_conn_tls_cert_request_sig_alg_at(const dt_conn *c, size_t i,
    uint16_t *alg);
/* The client's Certificate message: frame (0: none) and its certificates
   (none when it was empty; see dt_conn_tls_client_certificate()). */
DT_EXTERN uint64_t dt_conn_tls_client_certificate_frame(const dt_conn *c);
DT_EXTERN size_t dt_conn_client_cert_count(const dt_conn *c);
DT_EXTERN int dt_conn_client_cert_at(const dt_conn *c, size_t i,
    const dt_cert **out);
DT_EXTERN uint64_t dt_conn_tls_server_hello_done_frame(const dt_conn *c);
DT_EXTERN uint64_t dt_conn_tls_ccs_frame(const dt_conn *c, int dir);
DT_EXTERN uint64_t dt_conn_tls_finished_frame(const dt_conn *c, int dir);
/* Application data one way: first frame (0: none), bytes, records. */
DT_EXTERN uint64_t dt_conn_tls_appdata(const dt_conn *c, int dir,
    uint64_t *bytes, uint64_t *records);
/*
 * The HTTP request (response = 0) or response (1) read inside a NULL-cipher
 * session: 0 and its fields (any pointer may be NULL; strings NULL when the
 * header was absent; status 0 for a request), DT_ITEROVER when none.
 */
DT_EXTERN int dt_conn_tls_http(const dt_conn *c, int response,
    uint64_t *frame, const char **line, const char **host,
    const char **server, const char **content_length, int *status);
/* Non-TLS bytes where TLS was expected: frame, sender, first printable
   line. DT_ITEROVER when none. */
DT_EXTERN int dt_conn_tls_non_tls(const dt_conn *c, uint64_t *frame,
    int *from_server, const char **line);
/* Where the stream stopped parsing as TLS, and why. DT_ITEROVER when
   never. */
DT_EXTERN int dt_conn_tls_malformed(const dt_conn *c, uint64_t *frame,
    int *from_server, const char **reason);
/* Bytes the TLS parser needed were cut by snaplen: 1 and the frame. */
DT_EXTERN int dt_conn_tls_truncated(const dt_conn *c, uint64_t *frame);

/* Certificates. Lists end with NULL past their count. */
DT_EXTERN const char *dt_cert_serial(const dt_cert *x);	/* hex, or NULL */
DT_EXTERN const char *dt_cert_common_name(const dt_cert *x);	/* or NULL */
DT_EXTERN size_t dt_cert_ip_address_count(const dt_cert *x);
DT_EXTERN const char *dt_cert_ip_address_at(const dt_cert *x, size_t i);
DT_EXTERN size_t dt_cert_crl_url_count(const dt_cert *x);
DT_EXTERN const char *dt_cert_crl_url_at(const dt_cert *x, size_t i);
DT_EXTERN size_t dt_cert_aia_url_count(const dt_cert *x);
DT_EXTERN const char *dt_cert_aia_url_at(const dt_cert *x, size_t i);
DT_EXTERN const char *dt_cert_key_type(const dt_cert *x);	/* "RSA", "EC" */
DT_EXTERN unsigned dt_cert_key_bits(const dt_cert *x);
DT_EXTERN const char *dt_cert_signature_algorithm(const dt_cert *x);
/* Extended key usage allows it (an absent EKU allows everything). */
DT_EXTERN int dt_cert_server_auth(const dt_cert *x);
DT_EXTERN int dt_cert_client_auth(const dt_cert *x);
/* Why the certificate could not be parsed, NULL when it was. */
DT_EXTERN const char *dt_cert_parse_error(const dt_cert *x);

/* ---- writers ------------------------------------------------------------ */

#define DT_TEXT_VERBOSE	0x1	/* every connection's ladder, not only failing ones */
#define DT_TEXT_COLOR	0x2	/* ANSI colour */
/* Verdict counts per id and per server with the first few connections of
   each, instead of one block per connection (the default too when more
   than a screenful of connections fail, unless DT_TEXT_VERBOSE). */
#define DT_TEXT_SUMMARY	0x4
/* Windows' own events of an .etl (decoded ones): listed in the capture's
   head and shown in each connection's ladder by time. */
#define DT_TEXT_EVENTS	0x8
/* Terminal width in columns for the text writer (prose is wrapped two
   columns short of it; 0 or under 40: 80). Or it into the flags. */
#define DT_TEXT_WIDTH(cols)	(((unsigned)(cols) & 0xffffu) << 16)
#define DT_TEXT_WIDTH_OF(flags)	(((unsigned)(flags) >> 16) & 0xffffu)

/* The JSON document of datrace(1) (schema "datrace/1"); flags unused (0). */
DT_EXTERN int dt_write_json(const dt_analyzer *a, FILE *fp, unsigned flags);
/* One document per capture, one per line. */
DT_EXTERN int dt_write_jsonl(const dt_analyzer *a, FILE *fp, unsigned flags);
DT_EXTERN int dt_write_text(const dt_analyzer *a, FILE *fp, unsigned flags);
/*
 * One self-contained HTML document (inline CSS and SVG, no script): the
 * verdicts ranked by severity, a message ladder for each failing
 * connection, certificate cards. Verdicts alike (same capture, id,
 * severity, confidence, Windows error, server and cause) share one card
 * with their count, the first and the last; only those two connections
 * are drawn, and the table of healthy ones lists the first 200 (and every
 * first or last), so the page stays small whatever the capture. flags:
 * DT_TEXT_VERBOSE draws every IP-HTTPS connection's ladder.
 */
DT_EXTERN int dt_write_html(const dt_analyzer *a, FILE *fp, unsigned flags);
/*
 * The same into memory: *out gets a NUL-terminated string the caller frees
 * with dt_buffer_free(); *len its length. format is "json", "jsonl",
 * "text" or "html".
 */
DT_EXTERN int dt_write_buffer(const dt_analyzer *a, const char *format,
    unsigned flags, char **out, size_t *len);
DT_EXTERN void dt_buffer_free(char *buf);

/* ---- export ------------------------------------------------------------ */

/* What dt_export_pcapng() wrote. */
typedef struct dt_export_counts {
	uint64_t packets;		/* packets, as Enhanced Packet Blocks */
	uint64_t sightings_left_out;	/* further pktmon/netsh sightings of
					   a packet already written */
	uint64_t events;		/* other ETL records, as LINKTYPE_ETW */
	uint64_t comments;		/* evidence comments (verdict, frame) */
} dt_export_counts;

/*
 * What was read for capture cap, written to out as one pcapng section for
 * Wireshark: path (the file cap was analysed from) is read once more,
 * streaming, and every packet record goes out with its capture time and
 * link type (the BPF filter notwithstanding); a further sighting of a
 * packet that pktmon or netsh logged at several components is left out
 * unless it is a drop or a verdict's evidence. Every other ETL record is a
 * LINKTYPE_ETW (290) packet on the same timeline, its message the event
 * as the analysis decoded it (or its provider and id). Packet comments carry
 * pktmon's component, the frame number the analysis gave the packet when
 * Wireshark's count differs ("datrace frame 12"), and on every evidence
 * frame of every verdict "datrace <id> (<severity>): the client's
 * ClientHello, evidence 1 of 2. <summary>". Call it again with the next
 * capture and the same out for one section per capture. Memory stays
 * bounded, time linear in the file.
 * Returns 0; DT_EIO (path cannot be read, or out written), DT_EFORMAT
 * (path no longer holds what cap was analysed from), DT_EINVAL (the
 * analyzer redacts: an export would reveal what it hides), DT_ENOMEM;
 * the message in dt_analyzer_errmsg(). counts (may be NULL) is filled
 * either way. Like analysing, a call uses the analyzer from one thread.
 */
DT_EXTERN int dt_export_pcapng(dt_analyzer *a, const dt_capture *cap,
    const char *path, FILE *out, dt_export_counts *counts);

/*
 * A pcapng of packets the caller hands over (the tunnel's inner packets
 * of dt_analyzer_set_inner_packets(), for instance), by the block writer
 * dt_export_pcapng() uses: one section, one interface of link type
 * linktype with nanosecond times. _new writes the headers to out (which
 * the caller opened and closes); each _packet one Enhanced Packet Block,
 * with comment as its opt_comment when not NULL. Not locked: callers on
 * several threads serialise the calls. _packet and _free return 0, or
 * DT_EIO once a write failed (later packets are not written);
 * _new DT_ENOMEM or DT_EIO (*w then NULL).
 */
typedef struct dt_pcapng_writer dt_pcapng_writer;
DT_EXTERN int dt_pcapng_writer_new(dt_pcapng_writer **w, FILE *out,
    int linktype);
DT_EXTERN int dt_pcapng_writer_packet(dt_pcapng_writer *w, int64_t time_ns,
    const void *data, size_t len, const char *comment);
DT_EXTERN int dt_pcapng_writer_free(dt_pcapng_writer *w);

/* The rule table: i-th rule id, severity and one-line description. */
DT_EXTERN int dt_rule_at(size_t i, const char **id, dt_severity *severity,
    const char **summary);
/* The k-th Windows error (code, symbolic name) a verdict of rule `id` can
   carry; DT_ITEROVER past the last (rules with none: at k = 0). */
DT_EXTERN int dt_rule_windows_at(const char *id, size_t k, uint32_t *code,
    const char **name);

#ifdef __cplusplus
}
#endif
#endif
