/*
 * report/ladder: what a message ladder says about each timeline event,
 * decided once for the text and the HTML reports, which only render it.
 *
 * A step is one event seen through the facts of its connection: which fact
 * the event stands for (the first ClientHello carries the offered versions,
 * SNI and suites; the server's Certificate the chain; the CertificateRequest
 * its CA names ...), its label in our words, and the numbers a writer needs.
 * The evidence marks say which events are a failing verdict's evidence and
 * which verdict's badge sits on which step. A run of retransmissions in one
 * direction is one row.
 */
#ifndef DT_REPORT_LADDER_H
#define DT_REPORT_LADDER_H

#include <stddef.h>
#include <stdint.h>

#include "facts/facts.h"

enum dt_step_kind {
	DT_STEP_EVENT = 0,	/* the label, and what ev itself carries */
	DT_STEP_CLIENT_HELLO,	/* the first ClientHello: version, SNI, NULL */
	DT_STEP_HRR,		/* HelloRetryRequest */
	DT_STEP_SERVER_HELLO,	/* the ServerHello: version, suite, resumed */
	DT_STEP_SERVER_CERT,	/* the server's chain: cert (leaf), n_certs */
	DT_STEP_CLIENT_CERT,	/* the client's Certificate: cert or empty */
	DT_STEP_CERT_REQUEST,	/* the CertificateRequest: tls->ca_names */
	DT_STEP_HANDSHAKE,	/* any other handshake message */
	DT_STEP_ALERT,		/* alert_level, alert_desc unless encrypted */
	DT_STEP_NON_TLS,	/* wire: the first line, when of this event */
	DT_STEP_MALFORMED,	/* wire: the reason, when of this event */
	DT_STEP_HTTP_REQUEST,	/* tls->http_request */
	DT_STEP_HTTP_RESPONSE,	/* tls->http_response; status */
	DT_STEP_NOTE,		/* wire: what the label is about (the
				   preamble's protocol, a record's type) */
};

struct dt_step {
	enum dt_step_kind kind;
	const struct dt_event *ev;
	const struct dt_tls_facts *tls;	/* the connection's TLS facts */
	const char *label;	/* "ClientHello", "SYN", "Alert" ...; NULL for
				   a handshake type with no name (hs then) */
	int hs;			/* handshake type, -1 for other events */
	int encrypted;		/* handshake message or alert seen encrypted */
	uint16_t version;	/* CLIENT_HELLO: best offered; SERVER_HELLO */
	uint16_t suite;		/* SERVER_HELLO */
	int resumed;		/* SERVER_HELLO */
	const struct dt_cert *cert;	/* SERVER_CERT, CLIENT_CERT: the first
					   certificate, NULL when none parsed */
	size_t n_certs;
	int cert_empty;		/* CLIENT_CERT: an empty Certificate */
	size_t n_suites;	/* CLIENT_HELLO: offered suites */
	size_t n_null;		/* CLIENT_HELLO: NULL suites among them */
	int null_offered;	/* CLIENT_HELLO: a NULL suite is offered */
	int only_null;		/* CLIENT_HELLO: nothing else is */
	uint8_t alert_level, alert_desc;	/* ALERT, when not encrypted */
	const char *wire;	/* NON_TLS, MALFORMED: bytes from the wire;
				   NOTE: its subject */
};

/* The step of event ev of connection c. */
void dt_ladder_step(const struct dt_conn *c, const struct dt_event *ev,
    struct dt_step *st);

/* The i-th NULL suite offered in the first ClientHello (i < n_null). */
uint16_t dt_ladder_null_suite(const struct dt_tls_facts *t, size_t i);

/* What the ladder marks on each event. */
struct dt_mark {
	int sev;		/* -1: no evidence; else the highest severity */
	long badge;		/* the verdict (index) whose failing step this
				   is, -1: none */
};

/*
 * Marks for the n_events of c from the verdicts v[0..nv) about it: each
 * warning or error verdict's evidence frames mark their events (the message
 * that shows the verdict best when several share a frame), and the verdict's
 * badge sits on its last evidence event (the most severe verdict wins).
 * Returns the number of evidence frames outside the connection.
 */
size_t dt_ladder_marks(const struct dt_conn *c,
    const struct dt_verdict *const *v, size_t nv, struct dt_mark *mk);

/* The event that stands for `frame` in verdict v's evidence, or -1. */
long dt_ladder_evidence_event(const struct dt_conn *c,
    const struct dt_verdict *v, uint64_t frame);

/* The last event of the row that starts at event i: a run of
   retransmissions in one direction is one row (with marks: only while
   none of them is evidence). */
size_t dt_ladder_row_end(const struct dt_conn *c, size_t i,
    const struct dt_mark *mk);

/* Human labels of handshake types and timeline events; dflt when the value
   has none. */
const char *dt_report_hs_label(int type, const char *dflt);
const char *dt_report_ev_label(int type, const char *dflt);

#endif
