/*
 * The facts: what was on the wire, recorded by the parsers and read by the
 * rules. This header is the shared data model of the pipeline, not a stage:
 * flow/ writes the TCP part of a struct dt_conn, tls/ and x509/ the TLS part,
 * rules/ reads everything and appends struct dt_verdict, report/ and the
 * public accessors read the result.
 *
 * Ownership: every pointer inside these structs is allocated from the
 * capture's struct dt_mem and freed by dt_capture_free().
 * Strings are NUL-terminated; strings taken from the wire are kept as bytes
 * (the report layer escapes them).
 *
 * Directions: DT_C2S (client to server) = 0, DT_S2C = 1.
 * Times: int64_t nanoseconds since 1970-01-01 UTC.
 */
#ifndef DT_FACTS_H
#define DT_FACTS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "datrace.h"
#include "util/mem.h"
#include "util/spill.h"

#define DT_C2S 0
#define DT_S2C 1

struct dt_addr {
	uint8_t family;		/* 4 or 6 */
	uint8_t a[16];		/* IPv4 in the first 4 bytes */
};

/* Same family and address (only the bytes the family uses; an IPv6
   address as two words, not a call of memcmp() on the per-packet path). */
static inline int
dt_addr_eq(const struct dt_addr *a, const struct dt_addr *b)
{
	uint64_t x[2], y[2];

	if (a->family != b->family)
		return 0;
	if (a->family != 6)
		return memcmp(a->a, b->a, 4) == 0;
	memcpy(x, a->a, 16);
	memcpy(y, b->a, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/* ---- events: a per-connection timeline ---------------------------------- */

enum dt_ev_type {
	DT_EV_SYN = 1,		/* a: 1 when a retransmission of the SYN */
	DT_EV_SYNACK,		/* a: 1 when a retransmission */
	DT_EV_RST,		/* dir: who sent it; a: 1 when it answers the
				   SYN (a SYN seen, no SYN-ACK, no data);
				   b: peer's stream bytes seen before it */
	DT_EV_FIN,		/* dir: who sent it; b: stream bytes sent before */
	DT_EV_RETRANS,		/* b: sequence offset */
	DT_EV_ZERO_WINDOW,
	DT_EV_KEEPALIVE,
	DT_EV_GAP,		/* b: bytes missing from the stream (lost/cut) */
	DT_EV_END_OPEN,		/* the capture ended while the connection was open */
	DT_EV_TLS_HANDSHAKE,	/* a: handshake type (1 client_hello ...) */
	DT_EV_TLS_CCS,
	DT_EV_TLS_ALERT,	/* a: level << 8 | description; b: 1 encrypted */
	DT_EV_TLS_APPDATA,	/* first application data record per direction */
	DT_EV_TLS_ENCRYPTED,	/* TLS 1.3 encrypted handshake flight; b: bytes */
	DT_EV_TLS_MALFORMED,	/* see dt_tls_facts.malformed */
	DT_EV_NON_TLS,		/* first bytes were not TLS */
	DT_EV_HTTP_REQUEST,	/* HTTP inside a NULL-cipher session */
	DT_EV_HTTP_RESPONSE,	/* b: status code */
	DT_EV_SSLV2_HELLO,	/* SSLv2-compatible ClientHello */
	DT_EV_DROPPED,		/* pktmon: the host dropped this packet; dir:
				   whose; a: TCP flags | 0x100 when it
				   carried its direction's first stream
				   byte; b: payload bytes */
	DT_EV_TLS_UPGRADE,	/* plaintext preamble agreed on TLS; a: enum
				   dt_preamble; dir: whose message agreed */
	DT_EV_TLS_RECORD,	/* a record of another content type
				   (heartbeat 24, unknown); a: content type,
				   b: length */
	DT_EV_TLS_RESYNC,	/* records readable again after a damaged
				   stretch; b: bytes skipped */
	DT_EV_OUT_OF_WINDOW,	/* an ACK for bytes never sent (RFC 9293
				   3.10.7): neither an answer nor a gap.
				   dir: its sender; a: 1 when it answered a
				   SYN (a challenge ACK, RFC 5961 4: the
				   peer still holds an older connection);
				   b: how far past what was sent it acks */
	DT_EV_ZERO_WINDOW_PROBE, /* a probe of the peer's zero window (RFC
				   9293 3.8.6.1): the byte before the next
				   (Linux) or the next byte alone (Windows);
				   neither a retransmission nor a gap */
};

/* 16 bytes: ten of them stay with every connection of a day to the end
   of the capture. The frame and the time are offsets from the
   connection's first_frame and first_time (set before its first event,
   never changed), the time to the nanosecond in 48 bits (78 hours); an
   event whose offsets do not fit (a frame 2^24 - 1 or more packets past
   the first, a time 78 hours past it, or earlier than it) has frame_off
   DT_EV_WIDE and keeps its frame and time exactly in the connection's
   rare part, at index time_off. Read them with dt_ev_frame() and
   dt_ev_time(), never the offsets; type, dir, a and b are plain. */
struct dt_event {
	uint64_t time_off : 48;
	uint64_t a : 16;
	uint32_t frame_off : 24;
	uint32_t type : 6;	/* enum dt_ev_type */
	uint32_t dir : 2;	/* DT_C2S / DT_S2C */
	uint32_t b;
};

#define DT_EV_WIDE	((UINT32_C(1) << 24) - 1)
#define DT_EV_TIME_OFF_MAX	((UINT64_C(1) << 48) - 1)
_Static_assert(DT_EV_ZERO_WINDOW_PROBE < 64, "enum dt_ev_type fits type");
#define DT_MAX_EVENTS 128	/* a timeline longer than this keeps its head */

/* Handshake message types (RFC 8446 4, RFC 5246 7.4): a of
   DT_EV_TLS_HANDSHAKE. */
enum dt_hs_type {
	DT_HS_HELLO_REQUEST = 0,
	DT_HS_CLIENT_HELLO = 1,
	DT_HS_SERVER_HELLO = 2,		/* also HelloRetryRequest */
	DT_HS_NEW_SESSION_TICKET = 4,
	DT_HS_ENCRYPTED_EXTENSIONS = 8,
	DT_HS_CERTIFICATE = 11,
	DT_HS_SERVER_KEY_EXCHANGE = 12,
	DT_HS_CERTIFICATE_REQUEST = 13,
	DT_HS_SERVER_HELLO_DONE = 14,
	DT_HS_CERTIFICATE_VERIFY = 15,
	DT_HS_CLIENT_KEY_EXCHANGE = 16,
	DT_HS_FINISHED = 20,
};

/* b of DT_EV_TLS_HANDSHAKE: flags. */
#define DT_HS_F_ENCRYPTED	1	/* seen as an encrypted record */
#define DT_HS_F_HRR		2	/* the ServerHello is a HelloRetryRequest */
#define DT_HS_F_REPEAT		4	/* a ClientHello again, not after HRR */

/* a of DT_EV_SSLV2_HELLO: the SSL 2.0 message, when it is not the
   client's hello (1): the server's SERVER-HELLO, and the client's
   CLIENT-MASTER-KEY after it (the last message sent in the clear). */
#define DT_SSLV2_CLIENT_MASTER_KEY	2
#define DT_SSLV2_SERVER_HELLO	4

/* Typed reads of an event's a and b, so that no reader unpacks them. */

/* The handshake type of a DT_EV_TLS_HANDSHAKE event, -1 for other events. */
static inline int
dt_ev_hs(const struct dt_event *ev)
{
	return ev->type == DT_EV_TLS_HANDSHAKE ? ev->a : -1;
}

/* 1 when ev is the handshake message `type` (enum dt_hs_type). */
static inline int
dt_ev_is_hs(const struct dt_event *ev, int type)
{
	return dt_ev_hs(ev) == type;
}

static inline int
dt_ev_hs_encrypted(const struct dt_event *ev)
{
	return ev->type == DT_EV_TLS_HANDSHAKE &&
	    (ev->b & DT_HS_F_ENCRYPTED) != 0;
}

static inline int
dt_ev_hs_hrr(const struct dt_event *ev)
{
	return dt_ev_is_hs(ev, DT_HS_SERVER_HELLO) && (ev->b & DT_HS_F_HRR) != 0;
}

/* A DT_EV_TLS_ALERT: 1 and its level and description when readable, 0
   (both set to 0) when encrypted. */
static inline int
dt_ev_alert(const struct dt_event *ev, uint8_t *level, uint8_t *desc)
{
	int plain = ev->b == 0;

	*level = plain ? (uint8_t)(ev->a >> 8) : 0;
	*desc = plain ? (uint8_t)(ev->a & 0xff) : 0;
	return plain;
}

/* ---- certificates ------------------------------------------------------- */

struct dt_cert {
	char *subject;		/* RFC 4514 DN, NULL when unparsable */
	char *issuer;
	char *serial;		/* hex */
	int64_t not_before;	/* s since 1970 */
	int64_t not_after;
	char **dns_names;	/* SAN dNSName */
	size_t n_dns_names;
	char **ip_addrs;	/* SAN iPAddress, printed */
	size_t n_ip_addrs;
	char **crl_urls;	/* CRL distribution points */
	size_t n_crl_urls;
	char **aia_urls;	/* authority information access (caIssuers, OCSP) */
	size_t n_aia_urls;
	char *common_name;	/* subject CN, or NULL */
	char sha256[65];	/* hex, lower case */
	int self_signed;	/* subject == issuer and the signature verifies */
	int server_auth;	/* EKU absent or contains serverAuth */
	int client_auth;	/* EKU absent or contains clientAuth */
	char *key_type;		/* "RSA", "EC", ... */
	unsigned key_bits;
	char *sig_alg;
	char *parse_error;	/* non-NULL: GnuTLS could not parse it, says why */
	uint8_t *der;		/* the encoding, kept for chain verification */
	size_t der_len;
	int cached;		/* 1: every pointer above belongs to the x509
				   certificate cache (one copy per distinct DER,
				   freed with the analyzer); read-only, and
				   dt_cert_clear() forgets them */
};

/* ---- TLS ---------------------------------------------------------------- */

/* The plaintext preamble TLS followed on its connection (the protocol's
   own upgrade message: STARTTLS and its kin, SSLRequest, SOCKS, CONNECT). */
enum dt_preamble {
	DT_PRE_NONE = 0,
	DT_PRE_SMTP,		/* RFC 3207 STARTTLS, 220 */
	DT_PRE_IMAP,		/* RFC 9051 6.2.1 tag STARTTLS, tag OK */
	DT_PRE_POP3,		/* RFC 2595 4 STLS, +OK */
	DT_PRE_FTP,		/* RFC 4217 4 AUTH TLS, 234 */
	DT_PRE_XMPP,		/* RFC 6120 5.4 <starttls/>, <proceed/> */
	DT_PRE_NNTP,		/* RFC 4642 2 STARTTLS, 382 */
	DT_PRE_SIEVE,		/* RFC 5804 2.2 STARTTLS, OK */
	DT_PRE_LDAP,		/* RFC 4511 4.14 StartTLS extended operation */
	DT_PRE_POSTGRES,	/* PostgreSQL SSLRequest, 'S' */
	DT_PRE_MYSQL,		/* MySQL SSLRequest (CLIENT_SSL) */
	DT_PRE_SOCKS4,		/* SOCKS 4 / 4a CONNECT, 90 granted */
	DT_PRE_SOCKS5,		/* RFC 1928 CONNECT, succeeded */
	DT_PRE_HTTP_CONNECT,	/* RFC 9110 9.3.6 CONNECT, 2xx */
	DT_PRE_IRC,		/* IRCv3 tls: STARTTLS, numeric 670 */
};

enum dt_client_cert { DT_CCERT_NONE = 0, DT_CCERT_EMPTY, DT_CCERT_PRESENT };

/* Chain verification against --ca at the handshake's capture time. */
enum dt_chain {
	DT_CHAIN_UNCHECKED = 0,	/* no --ca given, or no certificate seen */
	DT_CHAIN_OK,
	DT_CHAIN_UNTRUSTED,	/* does not chain to a given anchor */
	DT_CHAIN_BAD,		/* broken signature / malformed chain */
};

struct dt_http_msg {		/* one HTTP head seen (plaintext) */
	uint64_t frame;
	char *line;		/* request or status line */
	char *host;		/* Host: */
	char *server;		/* Server: */
	char *content_length;	/* as written */
	int status;		/* responses: the code */
};

/* The most entries kept of the ClientHello's and CertificateRequest's
   lists (the count goes on). */
#define DT_CH_GROUPS_MAX	32
#define DT_CH_SIG_ALGS_MAX	48
#define DT_CR_CERT_TYPES_MAX	16
#define DT_CR_SIG_ALGS_MAX	48

/* The TLS facts few connections have (a preamble, an SSL 2.0 hello, a
   CertificateRequest, client certificates, a failed chain, bytes that
   were not TLS, protocol violations, a resync, snaplen cuts, heartbeats
   and unknown records): out of line, so that the facts every TLS
   connection keeps to the end of the capture stay small. Read through
   dt_tls_rare(), written through dt_tls_rare_make(). */
struct dt_tls_rare {
	uint64_t preamble_frame;	/* the message that agreed on TLS */
	uint64_t preamble_asked_frame;	/* the client asked for TLS in a
					   plaintext protocol (STARTTLS ...) */
	uint64_t preamble_refused_frame;	/* ... and the server said no */
	char *preamble_refused_line;	/* that answer's first line */

	uint32_t *sslv2_specs;		/* the SSL 2.0 hello's cipher specs, in
					   order (3 bytes; 0x00XXXX: TLS suite) */
	uint32_t n_sslv2_specs;

	uint32_t n_ca_names;
	uint64_t cert_request_frame;	/* 0: no CertificateRequest */
	char **ca_names;		/* its certificate_authorities DNs */
	uint8_t *cr_cert_types;		/* its certificate_types (1 rsa_sign ...) */
	uint16_t *cr_sig_algs;		/* its signature algorithms (TLS 1.2) */
	uint32_t n_cr_cert_types;
	uint32_t n_cr_sig_algs;

	uint32_t n_client_certs;
	uint64_t client_cert_frame;
	struct dt_cert *client_certs;

	char *chain_error;		/* why the chain is not OK */

	/* Non-TLS bytes where TLS was expected */
	uint8_t non_tls_dir;
	uint8_t malformed_dir;
	uint8_t resync_dir;
	uint8_t truncated;		/* snaplen cut bytes the TLS parser
					   needed (at truncated_frame) */
	unsigned n_violations;		/* every one, both directions */
	uint64_t non_tls_frame;
	char *non_tls_line;		/* first printable line */

	/* The first protocol violation (a malformed record or message); the
	   record layer went on reading after it where it could */
	uint64_t malformed_frame;
	char *malformed;		/* reason */
	uint64_t resync_frame;		/* records readable again here; 0 */
	uint64_t resync_skipped;	/* bytes skipped before that */
	uint64_t truncated_frame;	/* see truncated */

	/* Records of other content types */
	unsigned n_heartbeats;		/* content type 24 records */
	unsigned n_unknown_records;	/* content types outside 20-24 */
};

/* HTTP inside a NULL-cipher session (IP-HTTPS / SSTP): out of line for
   the same reason. Read through dt_tls_http(), written through
   dt_tls_http_make(). */
struct dt_tls_http {
	struct dt_http_msg request;	/* frame 0: none */
	struct dt_http_msg response;
};

/* The ClientHello's lists and flags: thousands of connections from the
   same clients send the same hello, so a connection that ended points to
   the capture's one kept copy of each distinct value (dt_conn_tls_trim).
   Read through dt_tls_hello(), written through dt_tls_hello_make(). Each
   list is allocated to its length; lists keep their first DT_*_MAX
   entries when longer (the count goes on). */
struct dt_tls_hello {
	uint16_t *client_versions;	/* supported_versions, else the legacy one */
	uint16_t *offered_suites;
	uint16_t *extensions;		/* in order */
	uint16_t *ch_groups;		/* supported_groups */
	uint16_t *ch_sig_algs;		/* signature_algorithms */
	/* from here on, with the lists after it, the kept copy's key */
	uint32_t n_client_versions;
	uint32_t n_offered_suites;
	uint32_t n_extensions;
	uint32_t n_ch_groups;
	uint32_t n_ch_sig_algs;
	uint16_t record_version;	/* of the first ClientHello record */
	uint16_t ch_legacy_version;
	uint8_t offered_null;		/* a NULL-encryption suite is offered */
	uint8_t offered_only_null;
	uint8_t ch_reneg_info;		/* renegotiation_info extension or SCSV */
	uint8_t ch_ems;			/* extended_master_secret */
	uint8_t ch_status_request;	/* status_request (OCSP stapling) */
	uint8_t kept;			/* the capture's kept copy, its lists
					   after it: shared, never written,
					   never freed alone */
	uint8_t lists;			/* kept: bit i, the i-th list above is
					   not NULL */
	uint8_t block;			/* live, its lists in its own block
					   (dt_tls_hello_block): freed with
					   it; 0 in a kept copy (no padding
					   in the key) */
};

/* Flags and small numbers are uint8_t / uint16_t, counts uint32_t, each
   group ordered so that nothing is padding: the facts of every TLS
   connection stay to the end of the capture (216 bytes each). A struct
   of zeros is a connection with no TLS facts (hello, rare and http
   NULL). */
struct dt_tls_facts {
	/* ClientHello (the first one; a second one after HRR counts in hrr) */
	uint64_t ch_frame;
	int64_t ch_time;
	struct dt_tls_hello *hello;	/* NULL: none (dt_tls_hello()) */
	char *sni;
	char *alpn;			/* comma-separated */
	uint32_t n_server_certs;

	uint16_t version;		/* negotiated (supported_versions aware) */
	uint16_t suite;

	uint8_t seen;			/* any TLS record on this connection */
	uint8_t preamble;		/* enum dt_preamble: TLS after it (the
					   frames: rare) */
	uint8_t sslv2_hello;		/* its specs: rare */
	uint8_t hrr;			/* a HelloRetryRequest was seen */
	uint8_t resumed;		/* session id echoed / abbreviated handshake */
	uint8_t certs_not_visible;	/* TLS 1.3: encrypted, not guessed */
	uint8_t chain;			/* enum dt_chain */
	uint8_t client_cert;		/* enum dt_client_cert */
	/* The first alert (the deciding one) and the count of all */
	uint8_t alert_dir;
	uint8_t alert_level;		/* 1 warning, 2 fatal; 0 when encrypted */
	uint8_t alert_desc;
	uint8_t alert_encrypted;
	uint8_t certs_shared;		/* 1: server_certs, 2: client_certs are
					   the x509 cache's array of that chain
					   (dt_x509_chain_shared): read-only,
					   not freed here; dt_tls_certs_own()
					   before writing to them */
	uint8_t kept;			/* DT_TLS_KEPT_*: what is in the
					   capture's kept memory, never freed
					   alone */
	unsigned n_alerts;
	unsigned n_client_hellos;	/* readable ClientHellos (1: normal) */
	unsigned n_server_hellos;	/* readable ServerHellos, HRR included */

	/* ServerHello */
	uint64_t sh_frame;		/* 0: none */

	/* Certificates (TLS <= 1.2, or readable) */
	uint64_t server_cert_frame;
	struct dt_cert *server_certs;

	uint64_t server_hello_done_frame;
	uint64_t ccs_frame[2];		/* per direction, 0: none */
	uint64_t finished_frame[2];	/* readable Finished (NULL suite) or the
					   first encrypted handshake record after CCS */
	uint64_t appdata_frame[2];	/* first application data */
	uint64_t appdata_bytes[2];
	uint64_t appdata_records[2];
	uint64_t alert_frame;		/* 0: none */

	struct dt_tls_rare *rare;	/* NULL: none of them */
	struct dt_tls_http *http;	/* NULL: no HTTP head seen */
};

extern const struct dt_tls_hello dt_tls_hello_none;
extern const struct dt_tls_rare dt_tls_rare_none;
extern const struct dt_tls_http dt_tls_http_none;

/* t's ClientHello facts, all 0 when it has none. */
static inline const struct dt_tls_hello *
dt_tls_hello(const struct dt_tls_facts *t)
{
	return t->hello != NULL ? t->hello : &dt_tls_hello_none;
}

/* t's rare facts, all 0 when it has none. */
static inline const struct dt_tls_rare *
dt_tls_rare(const struct dt_tls_facts *t)
{
	return t->rare != NULL ? t->rare : &dt_tls_rare_none;
}

/* t's HTTP heads, frame 0 when it has none. */
static inline const struct dt_tls_http *
dt_tls_http(const struct dt_tls_facts *t)
{
	return t->http != NULL ? t->http : &dt_tls_http_none;
}

/* ---- inside the IP-HTTPS tunnel (tunnel/) ------------------------------ */

/* MS-IPHTTPS 3.1.5.3 / 3.2.5.2.2: after the HTTP heads each direction's
   NULL-cipher plaintext is a stream of IPv6 packets delimited by their
   Payload Length. Filled by tunnel/ and read by the rules and writers.
   Lists keep their first entries; counts go on. The IKE peers and ESP
   SPIs are blocks as long as their lists (most tunnels have none or one:
   their full arrays were 2 KiB of every tunnel's facts), freed with the
   connection. Frames are the outer frame that completed the
   inner packet. */
#define DT_TUN_PEERS	8
#define DT_TUN_SPIS	16
#define DT_TUN_PREFIXES	4
#define DT_TUN_XCHG	8

struct dt_tun_dir {			/* one direction's inner stream */
	uint64_t packets, bytes;	/* whole inner packets, their bytes */
	uint64_t first_frame, last_frame;
	int64_t first_time, last_time;
	uint64_t error_frame;		/* first framing error, 0: none; the */
	uint64_t error_offset;		/* direction is not read past it */
	char error[96];
	uint64_t undecoded;		/* inner packets net/ could not read */
};

struct dt_tun_ike {			/* IKE/AuthIP between two inner peers */
	struct dt_addr client, server;	/* client: the tunnel client's side */
	uint8_t version;		/* 1 (IKEv1 or AuthIP), 2 */
	uint8_t authip;			/* AuthIP exchange types seen (MS-AIPS) */
	uint8_t established;		/* IKEv2 IKE_AUTH answered; IKEv1/AuthIP
					   an encrypted answer or quick mode */
	uint8_t initiator_dir;		/* DT_C2S / DT_S2C: who began */
	uint64_t ispi, rspi;		/* of the first SA (rspi: first nonzero) */
	uint8_t xchg[DT_TUN_XCHG];	/* exchange types, in order first seen */
	uint32_t n_xchg_msgs[DT_TUN_XCHG];
	size_t n_xchg;
	uint32_t requests, responses, retransmissions;
	uint64_t first_frame, first_response_frame, last_frame;
	uint32_t unanswered;		/* requests never answered */
	uint64_t unanswered_frame;	/* the first of them */
	uint16_t notify;		/* first error NOTIFY type, 0: none */
	uint8_t notify_dir;
	uint8_t notify_exchange;
	uint64_t notify_frame;
};

struct dt_tun_esp {			/* ESP of one SPI (RFC 4303) */
	uint32_t spi;
	uint8_t dir;			/* DT_C2S / DT_S2C */
	uint8_t udp;			/* UDP-encapsulated (RFC 3948) */
	uint64_t packets, bytes;
	uint64_t first_frame, last_frame;
};

struct dt_tun_prefix {
	uint8_t prefix[16];
	uint8_t len;
	uint32_t valid, preferred;	/* lifetimes, s */
};

struct dt_tunnel_facts {
	int64_t answer_delay;		/* ns from the POST to the answer; -1 */
	int answer_iphttps;		/* 1: the answer is the IP-HTTPS server
					   (2xx and IPv6 from it), 0: not, -1:
					   unknown (2xx, nothing flowed yet) */
	struct dt_tun_dir dir[2];

	/* RFC 4861 router discovery */
	uint32_t rs, ra, ns, na;
	uint64_t rs_frame, ra_frame;	/* first of each; RS counted from
					   the client, RA from the server */
	int64_t rs_time;
	uint16_t router_lifetime;	/* of the first RA */
	struct dt_tun_prefix prefixes[DT_TUN_PREFIXES];
	size_t n_prefixes;

	struct dt_tun_ike *ike;		/* n_ike of them, at most DT_TUN_PEERS */
	size_t n_ike;
	uint32_t ike_peers_dropped;	/* peers past the list */

	struct dt_tun_esp *esp;		/* n_esp, at most DT_TUN_SPIS */
	size_t n_esp;
	uint64_t esp_packets[2];	/* all SPIs, per direction */
	uint64_t esp_first_frame[2];

	/* DNS over UDP inside the tunnel, outside IPsec */
	uint32_t dns_queries, dns_answers, dns_unanswered;
	uint32_t dns_rcodes[16];
	uint64_t dns_query_frame;	/* first query */
	uint64_t dns_error_frame;	/* first answer with rcode != 0 */
	uint64_t dns_unanswered_frame;	/* first query never answered */
	char dns_first_name[128];
};

/* One interned string in the capture's table (dt_capture_intern): its
   hash and length beside it, so that a probe reads the string only when
   both are the ones asked for (a probe that read every string it passed
   was a cache miss each on a day of 155,113 strings). */
struct dt_str_slot {
	const char *s;			/* NULL: empty slot */
	uint32_t hash;			/* dt_hash_bytes()'s low half */
	uint32_t n;			/* strlen(s) */
};

/* One kept ClientHello (struct dt_tls_hello) in the capture's table. */
struct dt_lists_slot {
	const unsigned char *p;		/* its key, in kept memory; NULL:
					   empty slot */
	uint32_t n;			/* the key's bytes */
	uint32_t hash;
};

/* ---- connections -------------------------------------------------------- */

/* pktmon drop sightings of a connection's packets: the first is the
   evidence (its packet is described by its DT_EV_DROPPED event), the
   rest are counted; what pktmon said of the first. Dropped bytes are not
   stream data. Out of line: few connections have one, and its 240 bytes
   in every struct dt_conn were most of a short connection's facts. */
struct dt_drop {
	uint64_t frame;			/* of the first; 0: none */
	unsigned n;			/* sightings */
	uint8_t dir;			/* of the first */
	char component[64];		/* name, else "component <id>"; "" */
	char reason[96];
	char location[64];
};

/* The exact frame and time of an event whose offsets did not fit. */
struct dt_ev_wide {
	uint64_t frame;
	int64_t time;
};

/* What few connections have, out of the struct every connection keeps:
   made (zeroed) the first time one of them is written. Read through
   dt_conn_drop(), dt_conn_gap(), dt_conn_events_dropped(), dt_ev_frame()
   and dt_ev_time(). */
struct dt_conn_rare {
	uint64_t gap_bytes[2];		/* missing from the stream */
	struct dt_drop *drop;		/* NULL: no drop seen */
	struct dt_ev_wide *wide;	/* DT_EV_WIDE events' frames and times */
	unsigned events_dropped;	/* past DT_MAX_EVENTS */
	uint8_t n_wide, cap_wide;
};

enum dt_tcp_state {
	DT_TCP_NO_ANSWER = 0,	/* SYN(s), no answer */
	DT_TCP_REFUSED,		/* SYN answered by RST */
	DT_TCP_ESTABLISHED,	/* ended cleanly neither way yet; data flowed */
	DT_TCP_RESET,
	DT_TCP_CLOSED,		/* FIN both ways */
	DT_TCP_OPEN,		/* capture ended with it open, no SYN seen */
};

/* 232 bytes, every connection's to the end of the capture: small fields
   together (the flags in bits), then the 8-byte ones and the pointers,
   no padding between; what few connections have is in rare. */
struct dt_conn {
	uint32_t id;			/* 1-based, in order of first packet */
	uint16_t client_port, server_port;
	struct dt_addr client, server;
	uint8_t roles_from_syn : 1;	/* 0: guessed (capture started mid-way) */
	uint8_t truncated : 1;		/* some payload cut by snaplen */
	uint8_t iphttps : 1;		/* decided by the rules' context step */
	uint8_t state;			/* enum dt_tcp_state */
	uint8_t rst_dir;		/* of rst_frame */
	uint8_t ttl_syn;		/* client's SYN */
	uint8_t ttl_synack;		/* server's SYN-ACK (0: none) */
	uint8_t ttl_server_data;	/* server's first payload packet */
	uint8_t ttl_server_data_min, ttl_server_data_max;
	uint8_t kept;			/* in dt_capture_keep() memory, never
					   freed alone: DT_CONN_KEPT_* */
	uint8_t n_events, cap_events;	/* of events: at most DT_MAX_EVENTS */
	int16_t iphttps_score;		/* identification score (rules/classify.c:
					   a sum of a few weights) */
	unsigned syn_count;
	unsigned retransmissions;

	uint64_t first_frame, last_frame;
	int64_t first_time, last_time;

	uint64_t syn_frame, synack_frame;	/* first of each, 0: none */
	uint64_t rst_frame;		/* first RST, 0: none */
	uint64_t fin_frame[2];
	uint64_t bytes[2];		/* TCP payload bytes seen per direction */
	uint64_t packets[2];

	struct dt_conn_rare *rare;	/* NULL: none of it */
	struct dt_event *events;
	/* Never NULL: &dt_tls_none (read-only, every field 0) until the TLS
	   parser writes (dt_conn_tls_make); a connection whose facts stayed
	   empty goes back to it when it ends (dt_conn_tls_trim), so the
	   connections that never carried TLS keep no copy. */
	struct dt_tls_facts *tls;
	struct dt_tunnel_facts *tunnel;	/* NULL: no tunnel body read */

	/* "ip:port" / "[v6]:port" of the server, interned, made with the
	   connection (dt_conn_text_make): servers are few, and the rules
	   quote it. The client's text and the Wireshark filter are not
	   kept (a hundred bytes of every connection of a day): writers
	   make them as they write (dt_conn_client_text,
	   dt_facts_wireshark_filter), and api_text holds them for the
	   public accessors, "client\0filter", made by the capture's first
	   dt_capture_conn_at() (dt_capture_api_texts); NULL before, and
	   only ever set once, atomically. */
	const char *server_str;
	const char *api_text;
	const char *iphttps_reason;	/* what tied it to IP-HTTPS, or why not:
					   "SNI da.corp.example; NULL suites
					   offered", at most DT_REASON_LEN - 1
					   bytes, interned (dt_capture_intern:
					   thousands of connections share a
					   few reasons); NULL or "" when
					   nothing spoke: read dt_conn_reason() */
	struct dt_conn *next;		/* capture's list, in id order */
};

/* dt_conn.kept: the struct itself (flow/ makes it there), its events
   (the connection retired: copied out before they grow), its tunnel
   facts (moved there when the connection ended, dt_conn_keep_tunnel). */
#define DT_CONN_KEPT_STRUCT	1
#define DT_CONN_KEPT_EVENTS	2
#define DT_CONN_KEPT_TUNNEL	4

/* dt_tls_facts.kept: the SNI and the ALPN interned (thousands of
   connections name the same few servers; shared, never written); since
   the connection ended (dt_conn_tls_trim), the struct itself, its rare
   part's struct, the HTTP heads' struct and their strings (one block:
   dt_tls_http_own() before replacing one). */
#define DT_TLS_KEPT_SNI		1
#define DT_TLS_KEPT_ALPN	2
#define DT_TLS_KEPT_STRUCT	4
#define DT_TLS_KEPT_RARE	8
#define DT_TLS_KEPT_HTTP	16
#define DT_TLS_KEPT_HTTP_TEXT	32

#define DT_REASON_LEN 128
#define DT_ENDPOINT_LEN 48	/* client, server_str: at most 47 bytes */

/* c's identification reason, "" when none. */
static inline const char *
dt_conn_reason(const struct dt_conn *c)
{
	return c->iphttps_reason != NULL ? c->iphttps_reason : "";
}

/* The drops of c: frame 0, n 0 and "" in each text when none was seen;
   "" in a text pktmon did not give. */
static inline const struct dt_drop *
dt_conn_drop(const struct dt_conn *c)
{
	static const struct dt_drop none;

	return c->rare != NULL && c->rare->drop != NULL ? c->rare->drop :
	    &none;
}

/* The bytes missing from c's stream in direction dir (gaps, or cut by
   snaplen). */
static inline uint64_t
dt_conn_gap(const struct dt_conn *c, int dir)
{
	return c->rare != NULL ? c->rare->gap_bytes[dir] : 0;
}

/* The events past DT_MAX_EVENTS that c's timeline did not keep. */
static inline unsigned
dt_conn_events_dropped(const struct dt_conn *c)
{
	return c->rare != NULL ? c->rare->events_dropped : 0;
}

/* The frame of ev, an event of c's timeline (or a copy of one). */
static inline uint64_t
dt_ev_frame(const struct dt_conn *c, const struct dt_event *ev)
{
	return ev->frame_off != DT_EV_WIDE ? c->first_frame + ev->frame_off :
	    c->rare->wide[ev->time_off].frame;
}

/* The time of ev, an event of c's timeline (or a copy of one). */
static inline int64_t
dt_ev_time(const struct dt_conn *c, const struct dt_event *ev)
{
	return ev->frame_off != DT_EV_WIDE ?
	    c->first_time + (int64_t)ev->time_off :
	    c->rare->wide[ev->time_off].time;
}

/* ---- side observations -------------------------------------------------- */

/* A frame number in 48 bits (three 16-bit words, low first): six bytes
   where a uint64_t takes eight and aligns the record to eight. A capture
   past frame 2^48 - 1 would be a file of 4 PiB at the least (16-byte
   record headers), so no frame number the library meets is cut. */
#define DT_FRAME48_MAX	(((uint64_t)1 << 48) - 1)

struct dt_frame48 {
	uint16_t w[3];
};

static inline uint64_t
dt_frame48_get(const struct dt_frame48 *f)
{
	return (uint64_t)f->w[0] | (uint64_t)f->w[1] << 16 |
	    (uint64_t)f->w[2] << 32;
}

static inline void
dt_frame48_set(struct dt_frame48 *f, uint64_t v)
{
	f->w[0] = (uint16_t)v;
	f->w[1] = (uint16_t)(v >> 16);
	f->w[2] = (uint16_t)(v >> 32);
}

/* One query and its answer. Hundreds of thousands in a day: the record,
   its addresses and its names are dt_capture_keep() memory, the names
   interned (a few thousand distinct names are asked all day), so none of
   them is freed alone and equal names are one string. 40 bytes: the
   addresses packed apart (dt_dns_addr()), the frames in 48 bits, and no
   list pointer (the capture keeps them in blocks: dt_capture_dns()). */
struct dt_dns {
	const char *name;		/* lower case, no trailing dot */
	const char *cname;		/* first CNAME target, if any */
	uint8_t *addr_bytes;		/* the A / AAAA answers, each its
					   family (4 or 6) then its 4 or 16
					   bytes: read with dt_dns_addr() */
	struct dt_frame48 query_frame;	/* 0: answer without the query seen */
	struct dt_frame48 answer_frame;	/* 0: never answered */
	uint16_t qtype;
	int8_t rcode;			/* -1: no answer; else 0..15 */
	uint8_t n_addrs;		/* at most DT_DNS_MAX_ADDRS */
};

/* The bytes an address takes in addr_bytes. */
static inline size_t
dt_dns_addr_size(uint8_t family)
{
	return family == 6 ? 17 : 5;
}

static inline uint64_t
dt_dns_query_frame_of(const struct dt_dns *d)
{
	return dt_frame48_get(&d->query_frame);
}

static inline uint64_t
dt_dns_answer_frame_of(const struct dt_dns *d)
{
	return dt_frame48_get(&d->answer_frame);
}

/* a written at p as addr_bytes holds it, the way dt_dns_addr() reads it
   back: its family, then the bytes the family uses. The bytes written,
   dt_dns_addr_size(a->family). */
static inline size_t
dt_dns_addr_pack(uint8_t *p, const struct dt_addr *a)
{
	size_t k = dt_dns_addr_size(a->family);

	p[0] = a->family;
	memcpy(p + 1, a->a, k - 1);
	return k;
}

/* The i-th address of d (i < d->n_addrs), the bytes its family does not
   use 0, as the parser made it. Its place in addr_bytes is returned. */
static inline uint8_t *
dt_dns_addr(const struct dt_dns *d, size_t i, struct dt_addr *out)
{
	uint8_t *p = d->addr_bytes;

	for (; i > 0; i--)
		p += dt_dns_addr_size(p[0]);
	memset(out, 0, sizeof *out);
	out->family = p[0];
	memcpy(out->a, p + 1, dt_dns_addr_size(p[0]) - 1);
	return p;
}

struct dt_http {			/* plain HTTP seen on a TCP connection */
	uint32_t conn;			/* dt_conn id */
	uint64_t request_frame, response_frame;	/* 0: not seen */
	char *method, *uri, *host;	/* CONNECT: uri is "host:port" */
	int status;			/* -1: no response */
	char *status_line;
	int conn_reset, conn_no_answer;	/* how it ended without a response */
	struct dt_http *next;
};

/* ---- verdicts ----------------------------------------------------------- */

/* Pointers first, then the 4-byte fields, then the flags: one verdict per
   failed attempt stays to the end of the capture. */
struct dt_verdict {
	const char *id;			/* static: the rule's id */
	const char *win_name;		/* static */
	uint64_t *frames;		/* sorted, distinct; in the verdict's
					   own block (v + 1) when the rules
					   made it (dt_verdict_frames_owned) */
	char *summary, *explanation, *remedy;
	struct dt_verdict *next;
	uint32_t win_code;		/* 0: none */
	uint32_t conn;			/* 0: about the capture */
	/* the small fields packed after the pointers: 72 bytes a verdict,
	   not 88 (a day keeps 73,645 of them) */
	uint16_t n_frames;		/* DT_VERDICT_MAX_FRAMES at most */
	uint8_t severity;		/* dt_severity */
	uint8_t confidence;		/* dt_confidence */
	uint8_t shared_text;		/* 1: explanation, 2: remedy are
					   interned in the capture's texts;
					   4: explanation, 8: remedy are
					   kept text (dt_capture_keep_text:
					   never freed alone); neither: heap */
	uint8_t background;		/* about a connection that is not
					   IP-HTTPS (--all): shown after the
					   IP-HTTPS story, never sets the
					   exit status */
	uint8_t kept;			/* 1: the verdict, its frames and its
					   summary are one block of the
					   capture's kept memory (never freed
					   alone, never written: a new summary
					   is a new kept text) */
	uint8_t packed;			/* 1: summary is the rule pass's
					   packed form of it (rules/packed.c);
					   only while the rules run, never
					   seen by readers */
};

/* A verdict cites a handful of frames; never more than this. */
#define DT_VERDICT_MAX_FRAMES UINT16_MAX

/* 1 when v's frames are a block of their own (to free with it), 0 when
   they live in v's block. */
static inline int
dt_verdict_frames_owned(const struct dt_verdict *v)
{
	return v->frames != NULL && v->frames != (const uint64_t *)(v + 1);
}

/* ---- the capture -------------------------------------------------------- */

struct dt_capture_error {
	uint64_t offset;
	char *message;
};

struct dt_linktype_count {
	int linktype;
	uint64_t packets;
	int supported;
	char name[32];		/* "EN10MB", "LINUX_SLL", "LINKTYPE_147" */
};

/* Tunnels net/ decodes on the way to the packet a connection sees
 * (net/encap.c); the IPv6 transition technologies DirectAccess tries before
 * IP-HTTPS (6to4, Teredo, ISATAP) among them. */
enum dt_encap {
	DT_ENCAP_NONE = 0,
	DT_ENCAP_IPIP,		/* IPv4 in IPv4/IPv6 (RFC 2003, RFC 2473) */
	DT_ENCAP_6IN4,		/* IPv6 in IPv4, protocol 41 (RFC 4213) */
	DT_ENCAP_6TO4,		/* the same to or from 2002::/16 (RFC 3056) */
	DT_ENCAP_ISATAP,	/* the same with an ISATAP interface id (RFC 5214) */
	DT_ENCAP_IP6IP6,	/* IPv6 in IPv6 (RFC 2473) */
	DT_ENCAP_GRE,		/* RFC 2784 / 2890 */
	DT_ENCAP_PPTP,		/* enhanced GRE v1 carrying PPP (RFC 2637) */
	DT_ENCAP_VXLAN,		/* RFC 7348, and VXLAN-GPE */
	DT_ENCAP_GTPU,		/* 3GPP TS 29.281 */
	DT_ENCAP_TEREDO,	/* IPv6 in UDP (RFC 4380) */
	DT_ENCAP_GENEVE,	/* RFC 8926 */
	DT_ENCAP_MAX
};

/* Packets that came through one kind of tunnel, and the first of them. */
struct dt_encap_count {
	uint64_t packets;		/* decoded through this tunnel */
	uint64_t unread;		/* of this tunnel, payload not read */
	uint64_t first_frame;
	struct dt_addr src, dst;	/* the first one's tunnel endpoints */
	uint16_t sport, dport;		/* its UDP ports (0: an IP tunnel) */
};

/* One ETW provider seen in an ETL file (events/). */
struct dt_event_provider {
	char guid[40];			/* "{4d4f80d9-c8bd-...}" */
	const char *name;		/* the table's, TraceLogging's own (in
					   this array's block), or NULL */
	uint64_t events;
	uint64_t decoded;		/* by a layout or their own metadata */
	uint32_t ids;			/* distinct event ids */
};

/*
 * One field of a decoded ETW event (events/): its manifest name and
 * inType, the number (integers, booleans, codes; FILETIME as ns since
 * 1970) and/or its text (strings as UTF-8, at most DT_EVENT_TEXT_MAX
 * bytes and a cut mark; GUID, SID, socket address, binary as hex).
 * is_num: u holds the value (signed types store int64 bits).
 */
#define DT_EVENT_TEXT_MAX 512
struct dt_winevent_field {
	const char *name;		/* static, or in the event's block */
	const char *type;		/* static: "UInt32", "UnicodeString" */
	int is_num, is_signed, is_hex;
	uint64_t u;
	const char *text;		/* in the event's block, or NULL */
};

/* One ETW event of a provider whose layout is known, decoded (events/).
   One allocation holds it, its fields and their texts. */
struct dt_winevent {
	struct dt_winevent *next;
	uint64_t offset;		/* of its record in the file */
	int64_t time;			/* ns since 1970, packets' clock */
	int has_time;
	const char *provider;		/* name: static, or in the block */
	const char *name;		/* manifest symbol or TraceLogging
					   event name, or NULL */
	uint16_t id, task;
	uint8_t version, level, opcode;
	uint32_t pid, tid;
	int short_payload;		/* shorter than its layout: fields
					   past the end are missing */
	size_t n_fields;
	struct dt_winevent_field *fields;
};

/* Kept memory by what reads it: each kind in chunks of its own, so a walk
   over every connection (or DNS record) reads dense memory, and a spilled
   capture maps back only the pages of what the walk reads. */
enum dt_keep_kind {
	DT_KEEP_FACTS,		/* timelines, TLS facts, texts: the rest */
	DT_KEEP_CONN,		/* struct dt_conn, in id order */
	DT_KEEP_DNS,		/* DNS records (struct dt_dns) */
	DT_KEEP_DNS_ADDRS,	/* their addresses, packed: byte-aligned,
				   so apart from the records that are not */
	DT_KEEP_HOT,		/* interned strings: read at every lookup,
				   never spilled */
	DT_KEEP_KINDS
};

/* A block of kept memory (dt_capture_keep()), filled from its start. */
struct dt_keep {
	struct dt_keep *next;
	size_t used, size;
	uint64_t bytes[];		/* 8-aligned */
};

#define DT_SERVER_MEMO_BITS	8	/* 256 slots of dt_capture.server_memo */

struct dt_capture {
	struct dt_mem *mem;
	char *path;
	const char *format;		/* static: "pcap", "pcapng", "fed" */
	uint64_t packets, bytes, truncated_packets;
	/* records that are another sighting of a packet already counted
	   (pktmon components, netsh layers): packets - duplicates are the
	   distinct packets */
	uint64_t duplicate_sightings;
	int damaged;			/* reading ended at damage or a cut */
	uint64_t protected_80211;	/* 802.11 data frames encrypted on the
					   air: named, not decoded */
	/* ETL: every record by provider, most events first (events/) */
	struct dt_event_provider *providers;
	size_t n_providers;
	uint64_t system_records;	/* kernel/system records, no provider */
	uint64_t events_untold;		/* of providers past the table's cap */
	struct dt_winevent *winevents;	/* decoded, in file order */
	size_t n_winevents;		/* kept (at most DT_EVENTS_KEPT) */
	uint64_t winevents_decoded;	/* all decoded, kept or not */
	int64_t first_time, last_time;
	struct dt_linktype_count *linktypes;
	size_t n_linktypes;
	struct dt_capture_error *errors;
	size_t n_errors;

	struct dt_conn *conns, *conns_tail;	/* all connections, id order */
	size_t n_conns;
	size_t n_iphttps;		/* of them identified as IP-HTTPS
					   (counted by dt_capture_finish()) */
	/* DNS records in the order met, DT_DNS_BLOCK to a block of kept
	   memory (dt_capture_dns() reads the i-th): no list pointer and
	   no index of their own. */
	struct dt_dns **dns_blocks;
	size_t n_dns, n_dns_blocks;
	struct dt_http *http, *http_tail;
	struct dt_verdict *verdicts, *verdicts_tail;
	size_t n_verdicts;
	uint64_t midstream_conns;	/* caught mid-stream (no SYN, no
					   ClientHello): never IP-HTTPS */
	char **texts;			/* verdict texts shared by many verdicts */
	size_t n_texts;

	/* What stays to the end of the capture without a block of its own
	   (dt_capture_keep, dt_capture_intern): DNS records, names asked
	   thousands of times, identification reasons. Freed with it. */
	struct dt_keep *keep[DT_KEEP_KINDS];	/* chunks by enum
					   dt_keep_kind, the one filled first */
	size_t kept_total;		/* bytes of its chunks */
	/* Where kept memory goes past spill_after (dt_options), or
	   NULL: all on the heap. The file once made (util/spill.h). */
	const char *spill_dir;
	size_t spill_after;		/* kept bytes before it spills */
	struct dt_spill *spill;		/* &spill_file once open */
	struct dt_spill spill_file;	/* here: a heap block of its own
					   would leave a spilling capture
					   less room under the cap than the
					   same capture kept on the heap */
	struct dt_str_slot *strs;	/* interned strings: open addressing,
					   at most 3/4 full */
	size_t n_strs, cap_strs;
	struct dt_lists_slot *lists;	/* the TLS facts' ClientHellos, one
					   kept copy of each distinct one
					   (dt_conn_tls_trim):
					   open addressing, at most half full */
	size_t n_lists, cap_lists;
	/* The server texts made lately (dt_conn_text_make), by a hash of
	   their endpoint: a day's thousands of connections go to a few
	   servers, whose text need not be formatted and interned again. */
	struct dt_server_memo {
		struct dt_addr addr;
		uint16_t port;
		const char *text;	/* interned; NULL: slot empty */
	} server_memo[1 << DT_SERVER_MEMO_BITS];
	/* Heap blocks every connection takes, back from the ended ones for
	   the next (hundreds live at once, thousands made): the TLS facts'
	   struct (dt_conn_tls_trim) and the first event array
	   (dt_conn_retire). Linked through their first word, 64 of each at
	   most (38 KiB), not counted by cap->mem while they wait (as if
	   freed). */
	struct dt_spares {
		void *head;
		size_t n;
	} spare_tls, spare_events;

	/* what bounded memory made us drop */
	uint64_t dropped_conns;		/* connection state freed at the cap */
	uint64_t drop_frame;		/* the packet at which the first was */
	uint64_t dropped_bytes;		/* stream bytes not buffered */
	uint64_t fragments_dropped;
	uint64_t undecodable;		/* packets no link/IP decoder could read */
	uint64_t drops_unattributed;	/* pktmon drops of no connection */

	/* tunnels decoded, by enum dt_encap (index 0 unused) */
	struct dt_encap_count encap[DT_ENCAP_MAX];

	/* The accessors' indexes, built by dt_capture_finish() in kept
	   memory. */
	struct dt_conn **conn_index;
	uint32_t *conn_ids;		/* conn_index[i]->id, searched by
					   dt_facts_conn_by_id() */
	struct dt_verdict **verdict_index;
	struct dt_http **http_index;
	size_t n_http;

	/* dt_capture_api_texts(): its blocks (a list, pushed atomically),
	   and 1 once every connection has its texts */
	struct dt_api_block {
		struct dt_api_block *next;
		size_t used, size;
		char bytes[];
	} *api_blocks;
	int api_texts;
};

/* Records per block of cap->dns_blocks: 20 KiB, a block of kept memory
   of its own. */
#define DT_DNS_BLOCK	512

/* The i-th DNS record of the capture, or NULL past the last: walk them as
   for (i = 0; (d = dt_capture_dns(cap, i)) != NULL; i++). */
static inline struct dt_dns *
dt_capture_dns(const struct dt_capture *cap, size_t i)
{
	return i < cap->n_dns ?
	    &cap->dns_blocks[i / DT_DNS_BLOCK][i % DT_DNS_BLOCK] : NULL;
}

/* Helpers (facts.c). All return 0, or -1 when memory failed. */
int dt_capture_add_error(struct dt_capture *cap, uint64_t offset,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void dt_capture_count_linktype(struct dt_capture *cap, int linktype,
    int supported);
int dt_conn_add_event_slow(struct dt_mem *m, struct dt_conn *c,
    uint8_t type, uint8_t dir, uint64_t frame, int64_t time, uint16_t a,
    uint32_t b);
/* Do an event's frame and time fit its offsets from c's first ones? */
static inline int
dt_conn_event_near(const struct dt_conn *c, uint64_t frame, int64_t time)
{
	/* as unsigned: the difference of two times does not overflow */
	return frame >= c->first_frame && frame - c->first_frame < DT_EV_WIDE &&
	    time >= c->first_time &&
	    (uint64_t)time - (uint64_t)c->first_time <= DT_EV_TIME_OFF_MAX;
}

/* One more event on c's timeline. The usual one (room in the array, its
   frame and time near the connection's first) is written here, inline in
   the stages that add them (86,000 on the 100 MB bench day: the call was
   a third of the work); a new array, a wide event or a full timeline in
   facts.c (dt_conn_add_event_slow()). */
static inline int
dt_conn_add_event(struct dt_mem *m, struct dt_conn *c, uint8_t type,
    uint8_t dir, uint64_t frame, int64_t time, uint16_t a, uint32_t b)
{
	struct dt_event *ev;

	if (c->n_events >= c->cap_events ||
	    !dt_conn_event_near(c, frame, time))
		return dt_conn_add_event_slow(m, c, type, dir, frame, time,
		    a, b);
	ev = &c->events[c->n_events++];
	ev->frame_off = (uint32_t)(frame - c->first_frame);
	ev->time_off = (uint64_t)time - (uint64_t)c->first_time;
	ev->type = type;
	ev->dir = dir;
	ev->a = a;
	ev->b = b;
	return 0;
}
/* n zeroed bytes (8-aligned) that live as long as cap, carved from a few
   large blocks: for records kept by the ten thousand, which would each
   cost a block header otherwise. Never freed alone. NULL when memory
   failed. */
void *dt_capture_keep(struct dt_capture *cap, size_t n);
/* The same, with what live beside them (enum dt_keep_kind). */
void *dt_capture_keep_as(struct dt_capture *cap, enum dt_keep_kind kind,
    size_t n);
/* The capture's spilled kept memory taken out of the process's resident
   set (its contents stay in the file; the next read maps them again).
   For walks over every connection, every few thousand: what they read
   then costs RSS for a few thousand connections, not for the capture.
   Nothing when the capture has no spill file. Safe beside readers. */
void dt_capture_spill_drop(const struct dt_capture *cap);
/* The capture is finished (or a walk over it is): no region of its spill
   file is being filled any more, and none of its pages stays resident
   (the next read maps them again). A run over a folder of captures kept
   each finished one's last pages mapped: 8 MiB a 100 MB capture, 400
   MiB for fifty. */
void dt_capture_spill_release(struct dt_capture *cap);
/* A walk over every connection (or DNS record, or verdict) of a capture
   that spills maps back the pages it reads (64 KiB a fault where the
   kernel maps the file in 4 KiB pages, 2 MiB where it maps huge ones):
   so at its first step and every 16 after it, when the file holds
   more than 8 MiB beyond what stayed mapped after its last drop (a
   smaller one cannot pass the bound below), it looks at the faults
   its thread took, and after 2 since its last look, at how much of the
   file is mapped: past 8 MiB more than after its last drop it calls
   dt_capture_spill_drop(). A walk then holds ~8-12 MiB of spilled
   pages, whatever the capture's size; once the capture is finished,
   more while the process stays 8 MiB below the most resident memory
   the analysis' walks saw (the room the freed heap left). One struct
   per walk (per thread). A walk that writes to what it
   reads had better write only what changes: a page of the file read
   first and written after costs 512 faults where it cost one (spill.h). */
struct dt_spill_walk {
	uint32_t n;		/* steps */
	long faults;		/* the thread's page faults at the last look */
	size_t floor;		/* mapped right after its last drop */
};
#define DT_SPILL_WALK_INIT { 0, 0, 0 }
void dt_capture_spill_check(const struct dt_capture *cap,
    struct dt_spill_walk *w);
static inline void
dt_capture_spill_step(const struct dt_capture *cap, struct dt_spill_walk *w)
{
	/* from the first step: what was read between walks (a sort, a
	   lookup by id) goes before this walk maps its own */
	if (cap->spill != NULL && (w->n++ & 15) == 0)
		dt_capture_spill_check(cap, w);
}
/* The same for a walk whose every step reads at random (a report's card
   draws a connection's ladder, its TLS facts, the last alike one's): a
   touch maps 2 MiB where the file is mapped in huge pages, and 16 steps
   of it held 64 MB more than a walk in order. It looks at every step. */
static inline void
dt_capture_spill_step_far(const struct dt_capture *cap,
    struct dt_spill_walk *w)
{
	if (cap->spill != NULL) {
		w->n++;
		dt_capture_spill_check(cap, w);
	}
}
/* The bytes of kept memory handed out; *blocks: what its blocks take,
   headers included (the accounted memory). */
size_t dt_capture_kept(const struct dt_capture *cap, size_t *blocks);
/* n bytes of dt_capture_keep() memory without its alignment, for text. */
char *dt_capture_keep_text(struct dt_capture *cap, size_t n);
/* A copy of the n bytes at s and a NUL in that memory (the spill file's,
   once the capture spills), or NULL when memory failed. */
char *dt_capture_keep_str(struct dt_capture *cap, const char *s, size_t n);
/* The next DNS record's place, zeroed, or NULL when memory failed: it
   counts (cap->n_dns++) once the caller has filled it. */
struct dt_dns *dt_capture_dns_slot(struct dt_capture *cap);
uint8_t *dt_capture_keep_bytes_block(struct dt_capture *cap,
    enum dt_keep_kind kind, size_t n);
/* n bytes of kept memory of a kind without its alignment, for bytes the
   caller writes whole (they may not come zeroed). Inline: the DNS answers
   of a day take tens of thousands, and most fit the block being filled
   (the call into keep() was 60 instructions an answer). */
static inline uint8_t *
dt_capture_keep_bytes(struct dt_capture *cap, enum dt_keep_kind kind,
    size_t n)
{
	struct dt_keep *k = cap->keep[kind];
	uint8_t *p;

	if (k == NULL || n == 0 || k->size - k->used < n)
		return dt_capture_keep_bytes_block(cap, kind, n);
	p = (uint8_t *)k->bytes + k->used;
	k->used += n;
	return p;
}
/* The capture's one copy of the n bytes at s (NUL-terminated, in
   dt_capture_keep memory): equal strings share it, so compare, never
   free or write. NULL when memory failed. */
const char *dt_capture_intern_n(struct dt_capture *cap, const char *s,
    size_t n);
const char *dt_capture_intern(struct dt_capture *cap, const char *s);
/* The same for n bytes with no NUL among them whose dt_hash_bytes() the
   caller has already (flow/dns.c hashes a name once for its memo and
   for the table). */
const char *dt_capture_intern_h(struct dt_capture *cap, const char *s,
    size_t n, uint64_t hash);
/* The TLS facts of a connection that carried none: every field 0. Never
   written (it is read-only memory). */
extern const struct dt_tls_facts dt_tls_none;

/* c->tls made writable (allocated, zeroed, when it is dt_tls_none or
   NULL): NULL when memory failed (c->tls is then unchanged). */
struct dt_tls_facts *dt_conn_tls_make(struct dt_mem *m, struct dt_conn *c);
/* The same, a struct an ended connection left taken from cap when it
   has one (cap NULL or not m's: dt_conn_tls_make). */
struct dt_tls_facts *dt_conn_tls_make_in(struct dt_capture *cap,
    struct dt_mem *m, struct dt_conn *c);
/* A new connection's first event array, one an ended connection left,
   when cap has one (else the first event makes it). */
void dt_conn_events_spare(struct dt_capture *cap, struct dt_conn *c);
/* The blocks cap keeps for connections to come freed. */
void dt_capture_spares_free(struct dt_capture *cap);
/* c->tls freed and set back to dt_tls_none when nothing was written to it
   (every field still 0); dt_tls_none when it was NULL. Otherwise, once
   the connection ended, its ClientHello facts are replaced by the
   capture's kept copy of the same value (one for every connection that
   sent the same hello: thousands do), its SNI and ALPN by the capture's
   interned copies, and the struct moved into kept memory (no block
   header), as room allows (kept). */
void dt_conn_tls_trim(struct dt_capture *cap, struct dt_conn *c);

/* f, its IKE peers and its ESP SPIs freed (NULL: nothing). */
void dt_tunnel_facts_free(struct dt_mem *m, struct dt_tunnel_facts *f);
/* c's tunnel facts (and their IKE and ESP lists) moved into kept memory,
   once the connection ended and nothing writes them: thousands of tunnels
   stay to the end of a capture, and their heap goes back to the live
   connections. Left where they are when memory is short. */
void dt_conn_keep_tunnel(struct dt_capture *cap, struct dt_conn *c);

/* c's server_str formatted from its endpoint and interned (servers are
   few; again after the endpoints changed). 0, or -1 when memory failed
   (server_str is then unchanged). */
int dt_conn_text_make(struct dt_capture *cap, struct dt_conn *c);
/* c's client endpoint, "ip:port" / "[v6]:port", into buf
   (DT_ENDPOINT_LEN bytes): its length. */
size_t dt_conn_client_text(const struct dt_conn *c, char *buf);
/* The connection ended for good (no packet can reach it any more): its
   timeline moves into kept memory, exactly as long as it is (one block
   header less per connection). Events added later copy it out first. */
void dt_conn_retire(struct dt_capture *cap, struct dt_conn *c);

/* c's timeline and rare part freed (a connection that is not in a
   capture: the capture frees its own). */
void dt_conn_timeline_free(struct dt_mem *m, struct dt_conn *c);

/* n more bytes missing from c's stream in direction dir: 0, or -1 when
   memory failed. */
int dt_conn_gap_add(struct dt_mem *m, struct dt_conn *c, int dir,
    uint64_t n);

/* c's drops, made (zeroed) the first time: NULL when memory failed. */
struct dt_drop *dt_conn_drop_make(struct dt_mem *m, struct dt_conn *c);
void dt_cert_clear(struct dt_mem *m, struct dt_cert *x);
/* t's certificate arrays made its own (copies of the shared ones, whose
   entries stay cached): 0, or -1 when memory failed (then still shared). */
int dt_tls_certs_own(struct dt_mem *m, struct dt_tls_facts *t);
/* t's rare facts / HTTP heads made writable (allocated, zeroed, the first
   time): NULL when memory failed (t is then unchanged). t is not the
   shared dt_tls_none. */
struct dt_tls_rare *dt_tls_rare_make(struct dt_mem *m, struct dt_tls_facts *t);
/* t's ClientHello facts made writable: allocated, zeroed, the first time;
   a private copy of a kept one. NULL when memory failed (t is then
   unchanged). */
struct dt_tls_hello *dt_tls_hello_make(struct dt_mem *m,
    struct dt_tls_facts *t);
/* t's ClientHello made a live hello in one block: the struct with room
   after it for room[i] entries of its i-th list (client_versions,
   offered_suites, extensions, ch_groups, ch_sig_algs), what it held
   before (flags, lists) carried over. room[] is updated to the room each
   list has (a list with none is NULL). NULL when memory failed (t is
   then unchanged). */
struct dt_tls_hello *dt_tls_hello_block(struct dt_mem *m,
    struct dt_tls_facts *t, uint32_t room[5]);
/* The capture's kept copy of the live hello h (h unchanged): NULL when
   memory is short or refused. */
struct dt_tls_hello *dt_capture_hello(struct dt_capture *cap,
    const struct dt_tls_hello *h);
/* The n bytes at s (up to a NUL) as the capture's interned string, for a
   connection's SNI or ALPN: NULL when memory is short or refused. */
const char *dt_capture_name(struct dt_capture *cap, const char *s, size_t n);
struct dt_tls_http *dt_tls_http_make(struct dt_mem *m, struct dt_tls_facts *t);
void dt_http_msg_clear(struct dt_mem *m, struct dt_http_msg *h);
/* t's HTTP heads' strings made owned copies when they are kept text
   (bit 32 of t->kept), so that they can be replaced and freed one by
   one: 0, or -1 when memory is refused (then they stay kept). */
int dt_tls_http_own(struct dt_mem *m, struct dt_tls_facts *t);
void dt_tls_facts_clear(struct dt_mem *m, struct dt_tls_facts *t);
void dt_capture_free(struct dt_capture *cap);	/* frees everything inside */
void dt_addr_format(const struct dt_addr *a, uint16_t port, char *out,
    size_t outlen);			/* "1.2.3.4:443", "[::1]:443" */
/* The decimal digits of v at p, no NUL: their count. */
size_t dt_put_uint(char *p, unsigned v);
/* a's address as inet_ntop() writes it, at p (room for INET6_ADDRSTRLEN),
   no NUL: its length, 0 when it cannot be written. By hand, IPv6 too:
   glibc's inet_ntop() goes through sprintf(), most of the cost where an
   address is written per connection or per DNS answer. */
size_t dt_addr_put(char *p, const struct dt_addr *a);

/* ---- derived facts, and finishing a capture (finish.c) -------------------- */

/* The server name of a connection: SNI, else the Host of the HTTP request
   seen inside the session, else NULL. Bytes as recorded. The rules and
   every writer use this one. */
const char *dt_facts_server_name(const struct dt_conn *c);

/* The connection numbered id, or NULL: a binary search of conn_ids
   (connections are numbered in the order they are listed), so a writer
   finds each verdict's connection in log time, reading 17 ids side by
   side and one connection, not 17 connections across the capture (a
   spilled capture maps each back). After dt_capture_finish(). */
const struct dt_conn *dt_facts_conn_by_id(const struct dt_capture *cap,
    uint32_t id);

/* "ip.addr==A && tcp.port==P && ip.addr==B && tcp.port==Q" (ipv6.addr for
   IPv6): the Wireshark display filter of the connection. */
#define DT_FILTER_LEN 160
void dt_facts_wireshark_filter(const struct dt_conn *c, char *buf,
    size_t len);

/*
 * Once a connection is judged: its strings from the wire made valid UTF-8
 * (U+FFFD for bad bytes; '?' in place when memory is refused), and its
 * server string made when it was not (dt_conn_text_make). Idempotent. 0,
 * or -1 when memory for them failed.
 */
int dt_conn_finish(struct dt_capture *cap, struct dt_conn *c);

/*
 * The public accessors' texts of every connection of cap (api_text), made
 * once, by its first dt_capture_conn_at(): the CLI and the writers never
 * ask for them, so a capture keeps none unless a program reads its
 * connections through the API. Results are read-only to the readers, so
 * this is the one write after the analysis: safe when several threads ask
 * at once (each connection's pointer is set once, by compare-and-swap;
 * a thread that lost a race gives its copy back), and its blocks come
 * from the allocator as a reader's would (dt_mem_reader: the analyzer's
 * counters are not touched), freed with the capture. When memory fails,
 * the connections not reached read "" and the next call tries again.
 */
void dt_capture_api_texts(const struct dt_capture *cap);
/* Their blocks freed (dt_capture_free). */
void dt_capture_api_texts_free(struct dt_capture *cap);

/*
 * Once a capture's analysis ended (after the rules): dt_conn_finish() for
 * every connection, the same repair for the capture's own strings, DNS and
 * HTTP side observations and verdict texts, and the accessors' indexes.
 * Afterwards nothing writes to the capture: reading it never allocates.
 * 0, or -1 when memory for a filter or the indexes failed.
 */
int dt_capture_finish(struct dt_capture *cap);

/* The intern table freed (finish.c): when the names of the capture are all
   in (the flows ended), before the end of the capture allocates. The
   strings stay; an intern after it starts a new, empty table. */
void dt_capture_intern_end(struct dt_capture *cap);

#endif
