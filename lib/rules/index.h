/*
 * The rules' indexes, built once per capture before any rule runs, so that
 * judging costs O(connections + DNS answers + HTTP exchanges): every lookup
 * the rules and the IP-HTTPS selection make by name, address, connection
 * or URL is a hash probe, never a walk of a whole list inside a loop over
 * connections (docs/ARCHITECTURE.md, "Cost").
 *
 * Names are keyed canonically: ASCII lower case, without a ":port" suffix
 * and without the trailing dot (dt_rule_name_key), so "DA.corp.example.:443"
 * and "da.corp.example" are one key. Addresses are keyed as family + the
 * 16 address bytes. Values are kept in capture order, so the first value
 * of a key is the earliest in the capture. Iterate with the index's own next functions (dt_rule_index_dns_next() after
 * dt_rule_index_dns_first(), ...) or dt_hash_next() on the dt_hash tables.
 *
 * The two big tables, DNS records by name and connections by server, hold
 * a day's 389,491 records and 163,840 connections for the whole rule pass,
 * on top of the kept facts at the pass's peak: they chain record numbers
 * and connection ids (32 bits) through one array indexed by that number,
 * and keep no copy of a key: a slot is its hash and its first item (8
 * bytes), the key read back from the record or the connection when hashes
 * are equal (a DNS name is interned: the same pointer is the same key).
 * Items are pushed before their key's others (no last item kept: the DNS
 * names are pushed from the last record to the first, the connections'
 * chains turned round once built), and a key's count is a walk of its
 * chain.
 */
#ifndef DT_RULES_INDEX_H
#define DT_RULES_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "facts/facts.h"
#include "util/hash.h"

#define DT_NAME_KEY 256		/* a DNS name is at most 253 characters */

/* A yes or no about each of the names met lately (classify.c: is it
   --host; index.c: is its key the host's). Names are interned, one
   pointer a name, so a name met again (a client's attempts, the A and
   AAAA of one lookup) is not asked again. Direct-mapped by the pointer;
   zeroed: empty. */
#define DT_NAME_MEMO 64			/* a power of two */
struct dt_name_memo {
	const char *name[DT_NAME_MEMO];
	int yes[DT_NAME_MEMO];
};

/* name's answer in nm; *known: whether it is there already, else the
   slot is name's now and the caller sets the answer */
static inline int *
dt_name_memo_at(struct dt_name_memo *nm, const char *name, int *known)
{
	size_t i = ((uintptr_t)name * 0x9e3779b97f4a7c15ULL) >> 32 &
	    (DT_NAME_MEMO - 1);

	*known = nm->name[i] == name;
	nm->name[i] = name;
	return &nm->yes[i];
}

struct dt_rule_slot;

/* Items (DNS record numbers, connection ids) by key: each distinct key a
   slot (its hash, its first item + 1), the items of a key chained in the
   order added through next[item]. */
struct dt_rule_chains {
	struct dt_rule_slot *slots;	/* cap, a power of two */
	uint32_t *next;			/* [item]: the key's next item + 1,
					   0: the last */
	size_t cap, n_keys;
};

struct dt_rule_index {
	struct dt_rule_chains dns_name;	/* query name -> DNS record number;
					   made when a few names have been
					   looked for by reading every
					   record (index.c, DNS_SCANS) */
	struct dt_hash host_answer;	/* address -> the first struct dt_dns
					   whose answer gave it for --host (as
					   the query name or its CNAME
					   target): the one name
					   classification asks about, so not
					   every answer of the day is keyed,
					   nor the later answers alike */
	struct dt_rule_chains conn_server;	/* server address + port ->
					   connection id */
	struct dt_hash conn_name;	/* wire name (SNI, else Host) -> dt_conn;
					   made by the first
					   dt_rule_index_named_first() (few
					   captures ask: a day's 160,000
					   connections would be 5 MB of it
					   through the rules for nothing) */
	struct dt_capture *cap;		/* whose connections and records */
	int conn_name_made;
	int dns_made;			/* dns_name made: by the first
					   dt_rule_index_dns_first() past
					   the records' reads allowed */
	size_t dns_scanned;		/* records read to find a name
					   without dns_name */
	int http_made;			/* http_conn made, and get_made:
	 				   http_get, by the first lookup
					   that reads each */
	int get_made;
	struct dt_conn **conn_by_id;	/* [id], NULL when absent */
	uint32_t *answered_after;	/* [id] of an unanswered or refused
					   connection: the id of the first
					   later connection from the same
					   client address to the same server
					   address and port that got a SYN-ACK
					   (0: none; NULL when no connection
					   was unanswered) */
	uint32_t max_id;
	size_t n_connects;		/* CONNECT requests with a target */
	/* made by the first lookup that reads them (connect_on with a
	   CONNECT in the capture, http_count, get_first) */
	struct dt_hash http_conn;	/* connection id -> struct dt_http */
	struct dt_hash http_get;	/* host of a GET/HEAD -> struct dt_http */
	struct dt_hash connect;		/* CONNECT target name -> dt_http */
	struct dt_hash connect_ok;	/* CONNECT target "name:port" as
					   written (lower case) -> dt_http
					   answered 2xx */
};

/* Canonical form of a host name (also "name:port", "[v6]:port", "name."):
   its length, 0 when empty or longer than n - 1; out is NUL-terminated. */
size_t dt_rule_name_key(const char *name, char *out, size_t n);

/* Build / free. dt_rule_index_build: 0, or -1 when memory failed (the
   index is then freed). host: --host, or NULL. */
int dt_rule_index_build(struct dt_rule_index *x, struct dt_capture *cap,
    const char *host);
void dt_rule_index_free(struct dt_rule_index *x, struct dt_mem *m);

/* The first DNS answer that gave addr for the host the index was built
   for (directly or as the target of a CNAME), NULL when none did. */
const struct dt_dns *dt_rule_index_host_resolved(
    const struct dt_rule_index *x, const struct dt_addr *addr);
/* The queries for name, in capture order: the first, then the next
   (NULL after the last). */
const struct dt_dns *dt_rule_index_dns_first(const struct dt_rule_index *x,
    const char *name, struct dt_hash_iter *it);
const struct dt_dns *dt_rule_index_dns_next(const struct dt_rule_index *x,
    struct dt_hash_iter *it);
/* Connections to addr:port, in id order; how many there are. */
struct dt_conn *dt_rule_index_server_first(const struct dt_rule_index *x,
    const struct dt_addr *addr, uint16_t port, struct dt_hash_iter *it);
struct dt_conn *dt_rule_index_server_next(const struct dt_rule_index *x,
    struct dt_hash_iter *it);
size_t dt_rule_index_server_count(const struct dt_rule_index *x,
    const struct dt_addr *addr, uint16_t port);
/* The servers one after another (*pos 0 before the first): 1 and it
   ready for the next server's connection ids, or 0 after the last. */
int dt_rule_index_server_walk(const struct dt_rule_index *x, size_t *pos,
    struct dt_hash_iter *it);
/* The server's next connection id, in id order (0 after the last). */
uint32_t dt_rule_index_server_id(const struct dt_rule_index *x,
    struct dt_hash_iter *it);
/* [id]: how many connections went to connection id's server address and
   port, for every connection of the capture (an array of max_id + 1 the
   caller frees with dt_free(cap->mem)); NULL when memory refused. */
uint32_t *dt_rule_index_server_counts(const struct dt_rule_index *x);
/* Connections whose SNI (else HTTP Host) is name, in id order. The first
   call makes the table (x is the rule pass's own, never read-only memory):
   when memory is refused, NULL, and the capture's memory says failed. */
struct dt_conn *dt_rule_index_named_first(const struct dt_rule_index *x,
    const char *name, struct dt_hash_iter *it);
/* Connection by id, NULL when gone. */
struct dt_conn *dt_rule_index_conn(const struct dt_rule_index *x, uint32_t id);
/* The first connection after c (by id) from c's client address to c's
   server address and port that the server answered with a SYN-ACK; NULL
   when none did. Kept only for the connections that ask (c's SYNs got no
   answer, or a RST: DT_TCP_NO_ANSWER, DT_TCP_REFUSED); NULL for others. */
struct dt_conn *dt_rule_index_answered_after(const struct dt_rule_index *x,
    const struct dt_conn *c);
/* The CONNECT request made on connection id, NULL when none. */
const struct dt_http *dt_rule_index_connect_on(const struct dt_rule_index *x,
    uint32_t id);
/* Plain HTTP requests seen on connection id. */
size_t dt_rule_index_http_count(const struct dt_rule_index *x, uint32_t id);
/* GET/HEAD requests whose host (absolute URI or Host:) is name. */
const struct dt_http *dt_rule_index_get_first(const struct dt_rule_index *x,
    const char *name, struct dt_hash_iter *it);
/* CONNECTs to name (any port), in capture order; the last CONNECT to
   target ("name:port" as written, case aside) answered 2xx. */
const struct dt_http *dt_rule_index_connect_first(
    const struct dt_rule_index *x, const char *name,
    struct dt_hash_iter *it);
const struct dt_http *dt_rule_index_connect_ok_last(
    const struct dt_rule_index *x, const char *target);

#endif
