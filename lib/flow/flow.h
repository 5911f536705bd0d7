/*
 * flow/: connections, TCP reassembly, and the stream consumers ("sinks")
 * that read what the connections carry: TLS, the plain HTTP and DNS side
 * observations that the rules correlate with the IP-HTTPS connection, and
 * whatever decoder comes next.
 *
 * dt_flow_packet() takes decoded TCP segments, finds or creates the
 * connection (5-tuple, both directions folded; roles from the SYN, else
 * from the port set, else the lower port is the server), records TCP facts
 * and events in the struct dt_conn it appends to the capture, and delivers
 * each direction's bytes in sequence order to every sink, once, with the
 * frame that carried them. Gaps (lost or snaplen-cut bytes) are reported as
 * gaps, never filled. Out-of-order segments wait in a per-direction buffer
 * under a byte budget; on overlap the first copy received wins (what the
 * receiver most likely kept, and what Wireshark shows), a different later
 * copy is counted. UDP datagrams are handed to the sinks as they come (no
 * connection state).
 *
 * When a connection ends (RST, FIN both ways, a new SYN on the 5-tuple
 * after it ended, idle longer than the timeout in capture time, or
 * dt_flow_finish()) every sink's end() runs and the flow state is freed;
 * the struct dt_conn facts stay in the capture.
 *
 * States (decided when the connection ends): refused = a SYN answered by
 * the server's RST before any SYN-ACK or data; no-answer = SYN(s) and
 * nothing back; reset = any other RST; closed = FIN both ways; open = no
 * SYN seen (the capture started mid-way) and it did not close; else
 * established. A SYN with the ISN of the known one is a retry of the same
 * attempt (syn_count, SYN event a = 1), also after a RST (Windows retries
 * that way); a SYN with another ISN ends the old connection and starts a
 * new one. After the end a tombstone keeps the 5-tuple for
 * min(idle_timeout, 60 s) so the last ACK or a repeated RST count for the
 * old connection.
 *
 * Retransmissions: a segment carrying bytes already seen, one filling a
 * hole later than the handshake's round trip (3 ms when unknown) after the
 * bytes past it, a FIN or data again after the connection closed. The same
 * segment (direction, seq, ack, length, flags) twice within 1 ms is one
 * packet (a capture duplicate), not a retransmission.
 *
 * Memory (a struct dt_mem with a cap): buffers may use the cap but an
 * eighth; when short, tombstones go first, then the connections idle
 * longest are ended (judged, sinks' end() called) and counted in
 * cap->dropped_conns. New facts (connections, DNS, HTTP records) may use
 * half the cap, weighed without the buffers; past that a new connection
 * is not recorded and is counted in cap->dropped_conns, once per
 * connection however many packets it has (a new SYN with another ISN on
 * the 5-tuple is another connection), and live ones keep their state. A
 * connection that ended gives back its buffers and its sinks' state at
 * once, so live state follows the connections open at once; its facts
 * stay to the end of the capture. Out-of-order bytes that found no room are counted in
 * cap->dropped_bytes (their hole becomes a gap). No allocation is made
 * that would fail the cap, so dt_mem.failed stays 0 because of flow/.
 * Sinks follow the same policy through struct dt_flow_budget.
 */
#ifndef DT_FLOW_H
#define DT_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "facts/facts.h"
#include "flow/budget.h"
#include "net/net.h"
#include "proto/http_head.h"

/*
 * A stream consumer. Every consumer of connection bytes (TLS, the HTTP and
 * DNS observers, the IP-HTTPS tunnel decoder) is one of these, registered
 * with dt_flow_add_sink(); flow/ knows none of them by name. Registering a
 * sink is one line in the analyzer:
 *
 *	dt_flow_add_sink(flow, &dt_http_sink, NULL);
 *
 * Per capture:
 *   start(payload, cap, budget)  optional; runs inside dt_flow_add_sink()
 *       with &payload (the pointer given there). It may replace *payload
 *       by state of its own (then stop() frees it). cap is where facts go;
 *       budget is the shared memory policy. 0, or DT_ENOMEM.
 *   stop(payload)  optional; runs in dt_flow_free(), after every end().
 *   datagram(payload, pkt, l4)  optional; every UDP datagram, as it comes
 *       (flow/ keeps no UDP state). The pointers live for the call only.
 *
 * Per connection, in this order, each at most once unless said:
 *   want(payload, c)  optional (NULL: every connection). Called when the
 *       connection is created, roles and ports known; 0 means the sink
 *       sees nothing of this connection (no data, gap or end).
 *   data(payload, c, &state, dir, p, n, frame, time)  many times: the next
 *       n in-order bytes of direction dir (DT_C2S / DT_S2C), carried by
 *       `frame`. p lives for the call only. *state is the sink's
 *       per-connection slot, NULL at first; allocate it lazily (most
 *       connections carry bytes one sink does not want).
 *   gap(payload, c, &state, dir, n, frame)  many times: n bytes of dir are
 *       missing here (lost before the capture point, or cut by snaplen);
 *       the next data() continues after them.
 *       data() and gap() return 1 to keep receiving dir, 0 when the sink is
 *       done with it (it frees what it holds for dir first): then it gets
 *       no more data() or gap() for dir. When every sink is done with a
 *       direction, flow/ stops reassembling it and only counts.
 *   end(payload, c, &state)  optional; once, when the connection ended
 *       (c->state is decided by then): free *state and set it to NULL.
 *
 * Sinks run in the order they were added, each to its own slot; a sink
 * never sees another's state. Callbacks must not call back into flow/.
 * Facts a sink learns go into c (events, TLS facts) or the capture's lists;
 * memory comes from budget->m, under dt_flow_buffer_room() for what is
 * buffered and dt_flow_fact_room() for what is kept to the end.
 */
struct dt_flow_sink {
	const char *name;
	int (*start)(void **payload, struct dt_capture *cap,
	    struct dt_flow_budget *budget);
	void (*stop)(void *payload);
	void (*datagram)(void *payload, const struct dt_packet *pkt,
	    const struct dt_l4 *l4);
	int (*want)(void *payload, const struct dt_conn *c);
	int (*data)(void *payload, struct dt_conn *c, void **state, int dir,
	    const uint8_t *p, size_t n, uint64_t frame, int64_t time);
	int (*gap)(void *payload, struct dt_conn *c, void **state, int dir,
	    uint64_t n, uint64_t frame);
	void (*end)(void *payload, struct dt_conn *c, void **state);
};

#define DT_FLOW_MAX_SINKS 8

struct dt_flow_config {
	const uint16_t *ports;		/* IP-HTTPS port set, 0-terminated */
	size_t stream_cap;		/* bytes buffered out of order per dir */
	int64_t idle_timeout;		/* ns of capture time; 0: 600 s */
};

struct dt_flow;

int dt_flow_new(struct dt_flow **out, struct dt_capture *cap,
    const struct dt_flow_config *cfg);
void dt_flow_free(struct dt_flow *f);

/* Adds a sink (see struct dt_flow_sink), before the first packet; the
   struct is copied. 0, DT_EINVAL (too many sinks, or packets came
   already), or what its start() returned. */
int dt_flow_add_sink(struct dt_flow *f, const struct dt_flow_sink *sink,
    void *payload);

/* The side observers of flow/http.c and flow/dns.c: plain HTTP heads on
   TCP connections (not port 53) into cap->http, DNS over UDP/53 and
   TCP/53 into the capture's DNS records (dt_capture_dns()). */
extern const struct dt_flow_sink dt_http_sink;
extern const struct dt_flow_sink dt_dns_sink;

/* One decoded packet (status DT_L4_TCP or DT_L4_UDP). */
void dt_flow_packet(struct dt_flow *f, const struct dt_packet *pkt,
    const struct dt_l4 *l4);

/* A packet pktmon logged as dropped on the host (decoded; any status):
   recorded on the connection of its 5-tuple, live or ended, as a drop
   (dt_conn_drop(), a DT_EV_DROPPED event) and nothing
   else - its bytes never reached their destination, so they are not
   stream data. No connection is created: a drop of no known connection
   is counted in cap->drops_unattributed. */
void dt_flow_drop(struct dt_flow *f, const struct dt_packet *pkt,
    const struct dt_l4 *l4);

/* The capture ended: end every open connection (events DT_EV_END_OPEN),
   finish DNS queries without answers. */
void dt_flow_finish(struct dt_flow *f);

/* Live connections and buffered bytes now (for tests and the memory cap). */
size_t dt_flow_live(const struct dt_flow *f);
size_t dt_flow_buffered(const struct dt_flow *f);

/* Limits of the side observations. */
#define DT_DNS_MAX_ADDRS 32		/* A/AAAA answers kept per message */
#define DT_DNS_MAX_JUMPS 16		/* compression pointers per name */

/* Parsers usable on their own (and by the fuzzers): */
/* DNS message -> observation fields; 0 ok, -1 malformed. */
int dt_dns_parse(struct dt_mem *m, const uint8_t *p, size_t n, int *is_response,
    uint16_t *txid, struct dt_dns *out);

#endif
