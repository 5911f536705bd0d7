/*
 * report/: writers for the results, the same code for the CLI and for
 * linking tools. JSON (schema "datrace/1", SPEC §4) is written as it goes
 * by a small emitter (json_out.c) that escapes every string from the wire
 * correctly (invalid UTF-8 replaced by U+FFFD first); text is the
 * per-connection ladder and verdicts.
 *
 * The helpers below give the names the public accessors must share with the
 * JSON document (TCP states, message types, times), so that a tool walking
 * the API and one reading the JSON see the same words; severities and
 * confidences are the API's own (dt_severity_name(), datrace.h).
 */
#ifndef DT_REPORT_H
#define DT_REPORT_H

#include <stdio.h>

#include "facts/facts.h"
#include "tls/tls.h"
#include "util/utf8.h"

struct dt_report_run {			/* what the report says about the run */
	const char *host;
	const uint16_t *ports;		/* 0-terminated; NULL: the default {443} */
	const char *ca_file;
	struct dt_capture *const *caps;
	size_t n_caps;
	/* Added: more of the options, echoed in "options" (NULL/0: none). */
	const char *expect_cert;
	const char *filter;
	int all;
};

/*
 * The JSON document of SPEC §4 on fp. lines = 0: one indented document for
 * the run; lines = 1 (jsonl): one compact document per capture, one a line,
 * each with schema/tool/options and a one-element "captures" array.
 * Returns 0, DT_ENOMEM, or DT_EIO when writing failed.
 */
int dt_report_json(const struct dt_report_run *run, FILE *fp, int lines);

/*
 * Human text (DT_TEXT_VERBOSE: every IP-HTTPS connection's ladder;
 * DT_TEXT_COLOR: ANSI colour on severity words, never otherwise). Lines fit
 * in 80 columns; bytes from the wire are printed through a sanitiser (no
 * control character or escape sequence reaches the terminal).
 * Returns 0, DT_ENOMEM, or DT_EIO.
 */
int dt_report_text(const struct dt_report_run *run, FILE *fp, unsigned flags);

/*
 * One self-contained HTML5 document for the run (inline CSS and SVG, no
 * script, nothing fetched): captures and options, verdicts ranked by
 * severity (verdicts alike on one card with their count, html_group.c),
 * a message ladder (SVG) for the first and the last connection of each
 * card with a warning or error (DT_TEXT_VERBOSE: for every IP-HTTPS
 * connection), the healthy ones in a bounded table, and the certificates
 * as cards. Every string from the
 * wire is HTML-escaped and made valid UTF-8. Returns 0, DT_ENOMEM or DT_EIO.
 */
int dt_report_html(const struct dt_report_run *run, FILE *fp, unsigned flags);

/*
 * The rows the inside of an IP-HTTPS tunnel adds to a connection's ladder
 * (tunnel_rows.c), in frame order: the first of each kind with its counts.
 * Returns how many were written (at most max).
 */
struct dt_tunnel_row {
	uint64_t frame;
	int dir;			/* DT_C2S / DT_S2C */
	unsigned seq;
	char text[192];
};
#define DT_TUNNEL_ROWS_MAX 32
size_t dt_report_tunnel_rows(const struct dt_conn *c,
    struct dt_tunnel_row *rows, size_t max);

/* Whether c's tunnel, not read, is so because the TLS it rides in
   encrypts: application data from the client after a ServerHello of
   TLS 1.3 or of a suite that is not NULL. The JSON's {"encrypted": true}
   and the ladder's row both say it, from this one test. */
static inline int
dt_report_tunnel_encrypted(const struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;

	return t->sh_frame != 0 && t->appdata_frame[DT_C2S] != 0 &&
	    (t->version == 0x0304 || !dt_tls_suite_is_null(t->suite));
}

/* ---- shared names (static strings, never NULL) ---------------------------- */

/* "no-answer", "refused", "established", "reset", "closed", "open". */
const char *dt_report_state_name(enum dt_tcp_state s);
/* "none", "empty", "present". */
const char *dt_report_client_cert_name(enum dt_client_cert cc);
/* "unchecked", "ok", "untrusted", "bad". */
const char *dt_report_chain_name(enum dt_chain ch);
/* "client" / "server" for DT_C2S / DT_S2C. */
const char *dt_report_dir_name(int dir);
/*
 * The JSON "type" of a timeline event: "client_hello", "server_hello",
 * "certificate", ..., "change_cipher_spec", "alert", "application_data",
 * "encrypted_handshake", "non_tls", "http_request", "http_response",
 * "hello_retry_request"; TCP events: "syn", "syn_ack", "rst", "fin",
 * "retransmission", "zero_window", "keepalive", "gap", "end_open".
 */
const char *dt_report_msg_name(const struct dt_event *ev);
/* The same name with its length, its bytes NUL-padded to
   DT_REPORT_NAME_PAD: a writer may copy all of them at once. */
#define DT_REPORT_NAME_PAD	32
struct dt_report_name {
	char s[DT_REPORT_NAME_PAD];
	unsigned char n;	/* strlen(s) */
};

/*
 * The tables behind it (names.c), for the inline quick path below: a
 * JSON document names every event of every connection, twice for TLS
 * ones, and a call was most of the cost. By handshake type (index 0: not
 * registered, else its name is dt_report_hs_names[index - 1]) and by
 * enum dt_ev_type (n 0: no name of its own).
 */
extern const struct dt_report_name dt_report_hs_names[];
extern const uint8_t dt_report_hs_index[256];
extern const struct dt_report_name dt_report_ev_names[64];
/* The rest: a HelloRetryRequest, SSL 2.0 messages, heartbeats, unknown. */
const struct dt_report_name *dt_report_msg_nm_rare(const struct dt_event *ev);

static inline const struct dt_report_name *
dt_report_msg_nm(const struct dt_event *ev)
{
	const struct dt_report_name *nm = &dt_report_ev_names[ev->type];
	unsigned i;

	switch (ev->type) {
	case DT_EV_TLS_HANDSHAKE:
		i = ev->a < 256 ? dt_report_hs_index[ev->a] : 0;
		if (dt_ev_hs_hrr(ev))
			break;
		return i != 0 ? &dt_report_hs_names[i - 1] : nm;
	case DT_EV_SSLV2_HELLO:
	case DT_EV_TLS_RECORD:
		break;
	default:
		if (nm->n != 0)
			return nm;
		break;
	}
	return dt_report_msg_nm_rare(ev);
}

/* 1 when the event belongs in tls.messages (TLS/HTTP/non-TLS content). */
static inline int
dt_report_event_is_tls(const struct dt_event *ev)
{
	return (ev->type >= DT_EV_TLS_HANDSHAKE &&
	    ev->type <= DT_EV_SSLV2_HELLO) || (ev->type >= DT_EV_TLS_UPGRADE &&
	    ev->type <= DT_EV_TLS_RESYNC);
}

/* ---- Windows' events (winevent.c) ---------------------------------------- */

struct dt_buf;
/* One Windows event in words, appended to s: "Microsoft-Windows-Iphlpsvc
   4302 (name): ErrorCode=0x80090326 ...": the text and HTML reports'
   line and the message of the export's ETW packet. */
void dt_report_winevent_line(struct dt_buf *s, const struct dt_winevent *e);
/* The events of list that have a time, sorted by time (ties by record
   offset): built once per capture (*n of them; NULL when none, or when
   memory failed, which sets *err to DT_ENOMEM); free with dt_free. */
const struct dt_winevent **dt_report_winevents_by_time(struct dt_mem *m,
    const struct dt_winevent *list, size_t *n, int *err);
/* The run of sorted (n events) that c's ladder shows, from c's first
   packet to two minutes after its last: *k events from the one returned,
   found by binary search, so a capture costs O(connections x log events). */
const struct dt_winevent *const *dt_report_conn_winevents(
    const struct dt_winevent *const *sorted, size_t n,
    const struct dt_conn *c, size_t *k);

/* ---- formatting helpers --------------------------------------------------- */

#define DT_REPORT_TIME_LEN 40

/*
 * RFC 3339 UTC: "2024-06-10T20:18:27Z", with ".123456789" before the Z when
 * the nanoseconds are non-zero. 0, or -1 (buf "") when the year is outside
 * 0000..9999. dt_report_time_sec takes seconds (certificate validity, which
 * may be 9999-12-31 and does not fit in int64 nanoseconds).
 */
int dt_report_time(int64_t ns, char *buf, size_t len);
int dt_report_time_sec(int64_t sec, char *buf, size_t len);

/* dt_report_time()'s text of ns, not NUL-terminated: its length, or 0
   outside 0000..9999. The clock (zeroed before its first use) keeps the
   text of the last second it wrote, so a writer formats the times of a
   capture (many a second) without the calendar and the clock, only their
   nanoseconds, and the calendar runs once a day. */
struct dt_report_clock {
	int64_t sec, day;
	int set, in_range;
	char text[24];		/* "YYYY-MM-DDTHH:MM:SS" */
};
size_t dt_report_clock_time(struct dt_report_clock *k, int64_t ns,
    char buf[DT_REPORT_TIME_LEN]);

#endif
