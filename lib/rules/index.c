/*
 * The rules' indexes (see index.h): one pass over the connections, the DNS
 * answers and the HTTP exchanges of a capture, each entry added to the
 * hashes that will be asked about it.
 */
#include "rules/index.h"

#include <string.h>
#include <strings.h>

/* client, server (family + 16 address bytes each) + server port */
#define PATH_KEY (17 + 19)

static int
lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* One pass over the name: it is copied lower-cased while the colons that
   decide where it ends are found (a ":port" after a name with no other
   colon, or "]:" after a bracketed IPv6 address). */
size_t
dt_rule_name_key(const char *s, char *out, size_t n)
{
	size_t len, i, colons = 0, colon = 0, bracket = 0;
	int ch;

	if (n > 0)
		out[0] = '\0';
	if (s == NULL || n == 0)
		return 0;
	for (i = 0; (ch = (unsigned char)s[i]) != '\0'; i++) {
		if (ch == ':') {
			if (colons++ == 0)
				colon = i;
			if (bracket == 0 && i > 0 && s[i - 1] == ']')
				bracket = i;
		}
		if (i < n - 1)
			out[i] = (char)lower(ch);
	}
	len = i;
	if (s[0] != '[' && colons == 1)
		len = colon;
	else if (s[0] == '[' && bracket != 0)
		len = bracket;
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len >= n) {
		out[0] = '\0';
		return 0;
	}
	out[len] = '\0';
	return len;
}

static size_t
addr_key(const struct dt_addr *a, uint16_t port, uint8_t *out)
{
	out[0] = a->family;
	memcpy(out + 1, a->a, 16);
	out[17] = (uint8_t)(port >> 8);
	out[18] = (uint8_t)port;
	return 19;
}

/* ---- items by key (struct dt_rule_chains) ------------------------------- */

/* 8 bytes: a day's 99,316 names and as many servers take 131,072 slots
   each, 1 MiB (3 MiB when a slot also held its last item, its count
   and the interned name it was made from). Items are pushed before the
   items of their key, so that adding needs no last item: a table is
   built from its last item to its first, or its chains are turned
   round once it is built (chains_reverse). */
struct dt_rule_slot {
	uint32_t hash;
	uint32_t first;			/* item + 1; 0: an empty slot */
};

/* Whether item's key is the key asked (hashes are equal). */
typedef int (*same_fn)(const struct dt_rule_index *x, uint32_t item,
    const void *key);

static int
chains_init(struct dt_rule_chains *t, struct dt_mem *m, size_t n_items)
{
	memset(t, 0, sizeof *t);
	if (n_items > UINT32_MAX - 1)
		return -1;
	/* next[] is written as each item is added, never read before */
	t->next = dt_malloc(m, (n_items > 0 ? n_items : 1) * sizeof *t->next);
	return t->next != NULL ? 0 : -1;
}

static void
chains_free(struct dt_rule_chains *t, struct dt_mem *m)
{
	dt_free(m, t->slots);
	dt_free(m, t->next);
	memset(t, 0, sizeof *t);
}

/* The slot of key (hash), or the empty slot where it would go. Compared
   with the key's first item: while building, the one added most
   recently, whose record is the likeliest still in the cache. */
static size_t
chains_find(const struct dt_rule_chains *t, const struct dt_rule_index *x,
    uint32_t hash, same_fn same, const void *key)
{
	size_t mask = t->cap - 1, i;

	for (i = hash & mask; t->slots[i].first != 0; i = (i + 1) & mask)
		if (t->slots[i].hash == hash && same(x, t->slots[i].first - 1,
		    key))
			break;
	return i;
}

/* The slots twice as many (256 at first), the keys moved to them. */
static int
chains_grow(struct dt_rule_chains *t, struct dt_mem *m)
{
	size_t cap = t->cap ? t->cap * 2 : 256, mask = cap - 1, i, j;
	struct dt_rule_slot *s;

	if ((s = dt_calloc(m, cap, sizeof *s)) == NULL)
		return -1;
	for (i = 0; i < t->cap; i++) {
		if (t->slots[i].first == 0)
			continue;
		for (j = t->slots[i].hash & mask; s[j].first != 0;
		    j = (j + 1) & mask)
			;
		s[j] = t->slots[i];
	}
	dt_free(m, t->slots);
	t->slots = s;
	t->cap = cap;
	return 0;
}

/* Room for one more key: at most 4/5 of the slots are used, as in a dense
   struct dt_hash (a table built once and asked once or twice per
   connection). The slots move when they grow; the question is inline,
   asked for every item added. */
static inline int
chains_room(struct dt_rule_chains *t, struct dt_mem *m)
{
	return (t->n_keys + 1) * 5 <= t->cap * 4 ? 0 : chains_grow(t, m);
}

/* item chained before the items of slot i (an empty slot becomes the
   key's, with hash). */
static void
chains_push(struct dt_rule_chains *t, size_t i, uint32_t hash, uint32_t item)
{
	struct dt_rule_slot *k = &t->slots[i];

	t->next[item] = k->first;
	if (k->first == 0) {
		k->hash = hash;
		t->n_keys++;
	}
	k->first = item + 1;
}

/* Every chain turned round (a table built from its first item to its
   last). */
static void
chains_reverse(struct dt_rule_chains *t)
{
	uint32_t prev, cur, nx;
	size_t i;

	for (i = 0; i < t->cap; i++) {
		for (prev = 0, cur = t->slots[i].first; cur != 0; cur = nx) {
			nx = t->next[cur - 1];
			t->next[cur - 1] = prev;
			prev = cur;
		}
		t->slots[i].first = prev;
	}
}

static const struct dt_rule_slot *
chains_get(const struct dt_rule_chains *t, const struct dt_rule_index *x,
    uint32_t hash, same_fn same, const void *key)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	i = chains_find(t, x, hash, same, key);
	return t->slots[i].first != 0 ? &t->slots[i] : NULL;
}

/* The items of a slot. */
static uint32_t
chains_count(const struct dt_rule_chains *t, const struct dt_rule_slot *k)
{
	uint32_t n = 0, item1;

	for (item1 = k != NULL ? k->first : 0; item1 != 0;
	    item1 = t->next[item1 - 1])
		n++;
	return n;
}

/* The item after the cursor (and the cursor past it); 0 at the end, else
   item + 1. */
static uint32_t
chains_next(const struct dt_rule_chains *t, struct dt_hash_iter *it)
{
	uint32_t item1 = (uint32_t)it->next;

	it->next = item1 != 0 ? t->next[item1 - 1] : 0;
	return item1;
}

/* A name's key as a view: the name itself when it is canonical already
   (DNS names are stored lower case without the trailing dot), else its
   canonical copy in buf. Its length, 0 when it has none. */
static size_t
name_view(const char *s, char *buf, const char **out)
{
	size_t i;
	int ch;

	*out = buf;
	if (s == NULL)
		return dt_rule_name_key(s, buf, DT_NAME_KEY);
	for (i = 0; (ch = (unsigned char)s[i]) != '\0' && i < DT_NAME_KEY;
	    i++)
		if (ch == ':' || (ch >= 'A' && ch <= 'Z'))
			return dt_rule_name_key(s, buf, DT_NAME_KEY);
	if (i == 0 || i >= DT_NAME_KEY || s[i - 1] == '.')
		return dt_rule_name_key(s, buf, DT_NAME_KEY);
	*out = s;
	return i;
}

/* A name asked of dns_name: its key, and the stored (interned) name it
   may be, which then needs no comparison. */
struct name_ask {
	const char *name;
	const char *key;
	size_t n;
};

static int
same_name(const struct dt_rule_index *x, uint32_t item, const void *key)
{
	const struct name_ask *a = key;
	const char *stored = dt_capture_dns(x->cap, item)->name, *k;
	char buf[DT_NAME_KEY];

	if (stored == a->name)
		return 1;
	return name_view(stored, buf, &k) == a->n && memcmp(k, a->key,
	    a->n) == 0;
}

static int
same_server(const struct dt_rule_index *x, uint32_t item, const void *key)
{
	const struct dt_conn *c = x->conn_by_id[item];
	uint8_t k[19];

	addr_key(&c->server, c->server_port, k);
	return memcmp(k, key, sizeof k) == 0;
}

/* The connections the rules ask answered_after about: the server never
   answered them, or refused them (tcp_no_answer.c, tcp_refused.c). */
static int
unanswered(const struct dt_conn *c)
{
	return c->state == DT_TCP_NO_ANSWER || c->state == DT_TCP_REFUSED;
}

static void
path_key(const struct dt_conn *c, uint8_t *key)
{
	key[0] = c->client.family;
	memcpy(key + 1, c->client.a, 16);
	addr_key(&c->server, c->server_port, key + 17);
}

/* answered_after[] of the unanswered connections (want: their paths).
   Walked from the last connection back, the last value under a path's key
   is the earliest answered connection seen so far, that is the first one
   after the connection being looked at; only the answered connections on
   a wanted path are kept, so the table is as small as the failures. */
static int
build_answered_after(struct dt_rule_index *x, const struct dt_hash *want,
    struct dt_mem *m)
{
	struct dt_hash later;
	struct dt_conn *c, *a;
	uint8_t key[PATH_KEY];
	uint32_t id;
	int rc = 0, ask;

	if (want->n_keys == 0)
		return 0;
	x->answered_after = dt_calloc(m, (size_t)x->max_id + 1,
	    sizeof *x->answered_after);
	if (x->answered_after == NULL)
		return -1;
	dt_hash_init(&later, m);
	for (id = x->max_id; id > 0 && rc == 0; id--) {
		if ((c = x->conn_by_id[id]) == NULL)
			continue;
		ask = unanswered(c);
		if (!ask && c->synack_frame == 0)
			continue;
		path_key(c, key);
		if (ask && (a = dt_hash_last(&later, key, sizeof key)) != NULL)
			x->answered_after[id] = a->id;
		if (c->synack_frame != 0 && dt_hash_count(want, key,
		    sizeof key) > 0 && dt_hash_add(&later, key, sizeof key,
		    c) < 0)
			rc = -1;
	}
	dt_hash_free(&later);
	return rc;
}

/* What the answers walked lately tell of the ones to come: the names
   met (an answer asking the same name as one before, A then AAAA, is
   the host's or not as that one was) and the records keyed last. */
struct dns_run {
	struct dt_name_memo names;	/* whether a name's key is the
					   host's */
	const struct dt_dns *host_d[2];	/* the last record whose addresses
					   were keyed for the host, of a
					   query for A ([0]) and other */
};

/* The bytes of d's packed addresses. */
static size_t
addrs_len(const struct dt_dns *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_addrs; i++)
		n += dt_dns_addr_size(d->addr_bytes[n]);
	return n;
}

/* The slots of the names keyed lately, by the interned name's pointer
   (direct-mapped): a day's 389,491 answers ask 99,316 names, most of
   them again soon (the A and AAAA of one lookup, a lookup repeated),
   and a name found here is not canonicalised, hashed and probed again.
   Emptied when the slots move. */
#define DNS_SEEN 1024
struct dns_seen {
	const char *name;
	size_t slot;
};

/* A DNS answer under its query name (seen: DNS_SEEN entries). */
static int
add_dns_name(struct dt_rule_index *x, uint32_t di, struct dns_seen *seen)
{
	struct dt_dns *d = dt_capture_dns(x->cap, di);
	struct dns_seen *e;
	char key[DT_NAME_KEY];
	struct name_ask ask;
	uint32_t hash;
	size_t cap;

	if (d->name == NULL)
		return 0;
	e = &seen[((uintptr_t)d->name * 0x9E3779B97F4A7C15ull) >> 54];
	if (e->name == d->name) {
		chains_push(&x->dns_name, e->slot, 0, di);
		return 0;
	}
	ask.name = d->name;
	ask.n = name_view(d->name, key, &ask.key);
	if (ask.n == 0)
		return 0;
	cap = x->dns_name.cap;
	if (chains_room(&x->dns_name, x->cap->mem) != 0)
		return -1;
	if (x->dns_name.cap != cap)
		memset(seen, 0, DNS_SEEN * sizeof *seen);
	hash = (uint32_t)dt_hash_bytes(ask.key, ask.n);
	e->slot = chains_find(&x->dns_name, x, hash, same_name, &ask);
	chains_push(&x->dns_name, e->slot, hash, di);
	e->name = d->name;
	return 0;
}

/* A DNS answer's addresses under host_answer when the query name or its
   CNAME target is the host (hk, hn: its key). */
static int
add_host_answer(struct dt_rule_index *x, uint32_t di, struct dns_run *run,
    const char *hk, size_t hn)
{
	struct dt_dns *d = dt_capture_dns(x->cap, di);
	const struct dt_dns **last;
	char key[DT_NAME_KEY];
	const char *k;
	uint8_t akey[19];
	struct dt_addr a;
	size_t n, i;
	int for_host, known, *is_host;

	is_host = dt_name_memo_at(&run->names, d->name, &known);
	if (d->name != NULL && known)
		for_host = *is_host;
	else {
		/* a key begins with its name's first character, lower
		   case: most names are told apart by it alone */
		for_host = 0;
		if (d->name != NULL && lower((unsigned char)d->name[0]) ==
		    (unsigned char)hk[0]) {
			n = name_view(d->name, key, &k);
			for_host = n == hn && memcmp(k, hk, n) == 0;
		}
		*is_host = for_host;
	}
	if (d->n_addrs == 0)
		return 0;
	if (!for_host && d->cname != NULL && lower((unsigned char)
	    d->cname[0]) == (unsigned char)hk[0])
		for_host = dt_rule_name_key(d->cname, key, sizeof key) == hn &&
		    memcmp(key, hk, hn) == 0;
	if (!for_host)
		return 0;
	/* the same addresses as the record keyed last (the host's answers
	   mostly repeat): each is keyed already */
	last = &run->host_d[d->qtype != 1];
	if (*last != NULL && (*last)->n_addrs == d->n_addrs &&
	    (n = addrs_len(d)) == addrs_len(*last) &&
	    memcmp(d->addr_bytes, (*last)->addr_bytes, n) == 0)
		return 0;
	*last = d;
	/* the first answer that gave an address is the one asked for:
	   later ones (a day's 81,920 for the host) are not kept */
	for (i = 0; i < d->n_addrs; i++) {
		dt_dns_addr(d, i, &a);
		n = addr_key(&a, 0, akey);
		if (dt_hash_count(&x->host_answer, akey, n) == 0 &&
		    dt_hash_add(&x->host_answer, akey, n, d) < 0)
			return -1;
	}
	return 0;
}

/* Add under the canonical form of name; names that have none are not
   indexed (nothing can ask for them). */
static int
add_name(struct dt_hash *h, const char *name, void *val)
{
	char key[DT_NAME_KEY];
	size_t n = dt_rule_name_key(name, key, sizeof key);

	return n == 0 || dt_hash_add(h, key, n, val) >= 0 ? 0 : -1;
}

/* The host a GET/HEAD asked: the absolute URI's (to a proxy), else Host. */
static int
get_host(const struct dt_http *h, char *out, size_t n)
{
	const char *p;
	size_t len;

	if (h->method == NULL || h->uri == NULL ||
	    (strcmp(h->method, "GET") != 0 && strcmp(h->method, "HEAD") != 0))
		return 0;
	if (strncasecmp(h->uri, "http://", 7) == 0) {
		p = h->uri + 7;
		len = strcspn(p, "/?#");
		if (len == 0 || len >= n)
			return 0;
		memcpy(out, p, len);
		out[len] = '\0';
		return 1;
	}
	if (h->host == NULL)
		return 0;
	/* cut at n - 1 bytes as snprintf(out, n, "%s") was, without it:
	   each of a capture's GETs comes here when the table is made */
	len = strlen(h->host);
	if (len >= n)
		len = n - 1;
	memcpy(out, h->host, len);
	out[len] = '\0';
	return 1;
}

/* A CONNECT with a target under its name and, answered 2xx, its target
   as written. */
static int
add_connect(struct dt_rule_index *x, struct dt_http *h)
{
	char key[DT_NAME_KEY];
	size_t i;

	if (h->method == NULL || strcmp(h->method, "CONNECT") != 0 ||
	    h->uri == NULL)
		return 0;
	x->n_connects++;
	if (add_name(&x->connect, h->uri, h) != 0)
		return -1;
	if (h->status >= 200 && h->status < 300) {
		for (i = 0; h->uri[i] != '\0' && i < sizeof key - 1; i++)
			key[i] = (char)lower((unsigned char)h->uri[i]);
		if (h->uri[i] == '\0' && dt_hash_add(&x->connect_ok, key, i,
		    h) < 0)
			return -1;
	}
	return 0;
}

/* dns_name, http_conn and http_get, each once, by the first lookup that
   needs it: a capture's rules may never ask (the 100 MB bench day's do
   not; the 2 GiB day's crl-unreachable asks for the names and GETs of a
   CRL's host, after the classification: 2.6 MB of DNS names and 0.5 MB
   of GETs that stayed beside it; the exchanges by connection, 0.65 MB,
   are not asked). x is the rule pass's own (a local of
   dt_rules_run), written here once: the lookups stay const for the
   rules that call them. When memory is refused the table stays empty
   (lookups find nothing) and the capture's memory says failed. */
static void
make_dns(const struct dt_rule_index *cx)
{
	struct dt_rule_index *x = (struct dt_rule_index *)cx;
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	struct dt_capture *cap = x->cap;
	struct dns_seen seen[DNS_SEEN];
	size_t di;

	if (x->dns_made || cap == NULL)
		return;
	memset(seen, 0, sizeof seen);
	x->dns_made = 1;
	/* from the last record to the first, each pushed before the
	   records of its name */
	if (chains_init(&x->dns_name, cap->mem, cap->n_dns) != 0)
		goto fail;
	for (di = cap->n_dns; di > 0; di--) {
		dt_capture_spill_step(cap, &sw);
		if (add_dns_name(x, (uint32_t)(di - 1), seen) != 0)
			goto fail;
	}
	return;
fail:
	chains_free(&x->dns_name, cap->mem);
	cap->mem->failed = 1;
}

static void
make_http(const struct dt_rule_index *cx, int get)
{
	struct dt_rule_index *x = (struct dt_rule_index *)cx;
	struct dt_hash *t = get ? &x->http_get : &x->http_conn;
	struct dt_capture *cap = x->cap;
	struct dt_http *h;
	char host[DT_NAME_KEY];
	size_t n_http = 0;
	int *made = get ? &x->get_made : &x->http_made;

	if (*made || cap == NULL)
		return;
	*made = 1;
	for (h = cap->http; h != NULL; h = h->next)
		n_http++;
	/* the table of exchanges fills its slots further (hash.h) */
	t->dense = !get;
	if (dt_hash_reserve(t, n_http) != 0)	/* at most, for GETs */
		goto fail;
	for (h = cap->http; h != NULL; h = h->next)
		if (get ? get_host(h, host, sizeof host) &&
		    add_name(t, host, h) != 0 :
		    dt_hash_add(t, &h->conn, sizeof h->conn, h) < 0)
			goto fail;
	return;
fail:
	dt_hash_free(t);
	cap->mem->failed = 1;
}

static int
grow_by_id(struct dt_rule_index *x, struct dt_mem *m, uint32_t id)
{
	struct dt_conn **v;
	uint32_t *nx;

	if (id == UINT32_MAX)
		return -1;
	nx = dt_realloc(m, x->conn_server.next, ((size_t)id + 1) *
	    sizeof *nx);
	if (nx == NULL)
		return -1;
	x->conn_server.next = nx;
	v = dt_realloc(m, x->conn_by_id, ((size_t)id + 1) * sizeof *v);
	if (v == NULL)
		return -1;
	memset(v + x->max_id + 1, 0, (size_t)(id - x->max_id) * sizeof *v);
	x->conn_by_id = v;
	x->max_id = id;
	return 0;
}

int
dt_rule_index_build(struct dt_rule_index *x, struct dt_capture *cap,
    const char *host)
{
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	struct dt_mem *m = cap->mem;
	struct dt_conn *c;
	struct dt_http *h;
	char hk[DT_NAME_KEY];
	size_t hn = dt_rule_name_key(host, hk, sizeof hk), di, i;
	uint8_t key[19], pkey[PATH_KEY];
	uint32_t hash;
	struct dt_hash want;		/* paths of unanswered connections */
	struct dns_run run;

	memset(x, 0, sizeof *x);
	memset(&run, 0, sizeof run);
	x->cap = cap;
	dt_hash_init(&want, m);
	dt_hash_init(&x->host_answer, m);
	dt_hash_init(&x->conn_name, m);
	dt_hash_init(&x->http_conn, m);
	dt_hash_init(&x->http_get, m);
	dt_hash_init(&x->connect, m);
	dt_hash_init(&x->connect_ok, m);
	/* ids grow along the list (flow.c numbers a connection as it
	   appends it): the last is the largest, and the loop below grows
	   the array should one not be */
	x->max_id = cap->conns_tail != NULL ? cap->conns_tail->id : 0;
	/* every connection is one item of conn_server */
	if (chains_init(&x->conn_server, m, (size_t)x->max_id + 1) != 0)
		goto fail;
	x->conn_by_id = dt_calloc(m, (size_t)x->max_id + 1,
	    sizeof *x->conn_by_id);
	if (x->conn_by_id == NULL)
		goto fail;
	for (c = cap->conns; c != NULL; c = c->next) {
		dt_capture_spill_step(cap, &sw);
		if (c->id > x->max_id && grow_by_id(x, m, c->id) != 0)
			goto fail;
		x->conn_by_id[c->id] = c;
		if (chains_room(&x->conn_server, m) != 0)
			goto fail;
		hash = (uint32_t)dt_hash_bytes(key, addr_key(&c->server,
		    c->server_port, key));
		i = chains_find(&x->conn_server, x, hash, same_server, key);
		chains_push(&x->conn_server, i, hash, c->id);
		if (unanswered(c)) {
			path_key(c, pkey);
			if (dt_hash_add(&want, pkey, sizeof pkey, NULL) < 0)
				goto fail;
		}
	}
	chains_reverse(&x->conn_server);
	if (build_answered_after(x, &want, m) != 0)
		goto fail;
	dt_hash_free(&want);
	/* the host's addresses (the classification asks for every
	   connection); the names of every answer only when asked */
	for (di = 0; hn > 0 && di < cap->n_dns; di++) {
		dt_capture_spill_step(cap, &sw);
		if (add_host_answer(x, (uint32_t)di, &run, hk, hn) != 0)
			goto fail;
	}
	/* CONNECTs (the classification asks for every connection whether
	   one was made on it, at once when there is none); the other
	   exchanges only when asked */
	for (h = cap->http; h != NULL; h = h->next)
		if (add_connect(x, h) != 0)
			goto fail;
	return 0;
fail:
	dt_hash_free(&want);
	dt_rule_index_free(x, m);
	return -1;
}

void
dt_rule_index_free(struct dt_rule_index *x, struct dt_mem *m)
{
	chains_free(&x->dns_name, m);
	dt_hash_free(&x->host_answer);
	chains_free(&x->conn_server, m);
	dt_hash_free(&x->conn_name);
	dt_hash_free(&x->http_conn);
	dt_hash_free(&x->http_get);
	dt_hash_free(&x->connect);
	dt_hash_free(&x->connect_ok);
	dt_free(m, x->conn_by_id);
	dt_free(m, x->answered_after);
	x->conn_by_id = NULL;
	x->answered_after = NULL;
	x->max_id = 0;
	x->cap = NULL;			/* nothing made after it is freed */
	x->conn_name_made = 0;
	x->dns_made = 0;
	x->http_made = 0;
	x->get_made = 0;
}

const struct dt_dns *
dt_rule_index_host_resolved(const struct dt_rule_index *x,
    const struct dt_addr *addr)
{
	struct dt_hash_iter it;
	uint8_t key[19];

	return dt_hash_first(&x->host_answer, key, addr_key(addr, 0, key),
	    &it);
}

static void *
first_by_name(const struct dt_hash *h, const char *name,
    struct dt_hash_iter *it)
{
	char key[DT_NAME_KEY];
	size_t n = dt_rule_name_key(name, key, sizeof key);

	it->next = 0;
	return n > 0 ? dt_hash_first(h, key, n, it) : NULL;
}

/*
 * A name's records found by reading every record, not through dns_name:
 * the rules of most captures ask for a few names only (the 2 GiB day's
 * crl-unreachable three times for the CRL's host, 389,491 records: a
 * read of each costs less than making the table, and needs no memory).
 * The reads are counted: past DNS_SCANS times the records, the next name
 * asked makes the table, so the cost stays linear whatever is asked.
 * A scanning cursor is the last record it gave + 1 with DNS_SCAN set:
 * that record's name is the key (every record it gives has the key).
 */
#define DNS_SCANS 8
#define DNS_SCAN ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* Whether record d's name has the key asked (a: its view; ref: a name
   known to have it, or NULL). */
static int
dns_has(const struct dt_dns *d, const struct name_ask *a, const char *ref)
{
	char buf[DT_NAME_KEY];
	const char *k;

	if (d->name == NULL)
		return 0;
	if (d->name == ref || d->name == a->name)
		return 1;
	/* a key begins with its name's first character, lower case */
	if (lower((unsigned char)d->name[0]) != (unsigned char)a->key[0])
		return 0;
	return name_view(d->name, buf, &k) == a->n && memcmp(k, a->key,
	    a->n) == 0;
}

/* The first record from di on with the key, its cursor in it. */
static const struct dt_dns *
dns_scan(const struct dt_rule_index *cx, size_t di, const struct name_ask *a,
    const char *ref, struct dt_hash_iter *it)
{
	struct dt_rule_index *x = (struct dt_rule_index *)cx;
	struct dt_spill_walk sw = DT_SPILL_WALK_INIT;
	const struct dt_capture *cap = x->cap;
	const struct dt_dns *d;
	const char *nm;
	size_t from = di;
	int k0 = (unsigned char)a->key[0];

	it->next = 0;
	for (d = NULL; di < cap->n_dns; di++) {
		dt_capture_spill_step(cap, &sw);
		nm = cap->dns_blocks[di / DT_DNS_BLOCK][di % DT_DNS_BLOCK].name;
		/* most names are told apart by their first character */
		if (nm == NULL || (nm != ref && nm != a->name &&
		    lower((unsigned char)nm[0]) != k0))
			continue;
		if (dns_has(dt_capture_dns(cap, di), a, ref)) {
			d = dt_capture_dns(cap, di);
			it->next = DNS_SCAN | (di + 1);
			di++;
			break;
		}
	}
	x->dns_scanned += di - from;
	return d;
}

const struct dt_dns *
dt_rule_index_dns_first(const struct dt_rule_index *x, const char *name,
    struct dt_hash_iter *it)
{
	const struct dt_rule_slot *k;
	struct name_ask ask;
	char key[DT_NAME_KEY];
	size_t n_dns = x->cap != NULL ? x->cap->n_dns : 0;

	it->next = 0;
	ask.name = NULL;
	ask.n = name_view(name, key, &ask.key);
	if (ask.n == 0 || n_dns == 0)
		return NULL;
	if (!x->dns_made && n_dns < DNS_SCAN &&
	    x->dns_scanned / DNS_SCANS < n_dns)
		return dns_scan(x, 0, &ask, NULL, it);
	make_dns(x);
	k = chains_get(&x->dns_name, x, (uint32_t)dt_hash_bytes(ask.key,
	    ask.n), same_name, &ask);
	it->next = k != NULL ? k->first : 0;
	return dt_rule_index_dns_next(x, it);
}

const struct dt_dns *
dt_rule_index_dns_next(const struct dt_rule_index *x, struct dt_hash_iter *it)
{
	const struct dt_dns *ref;
	struct name_ask ask;
	char key[DT_NAME_KEY];
	uint32_t item1;
	size_t di;

	if ((it->next & DNS_SCAN) != 0) {
		/* the record given last has the key */
		di = it->next & ~DNS_SCAN;
		ref = dt_capture_dns(x->cap, di - 1);
		ask.name = ref->name;
		ask.n = name_view(ref->name, key, &ask.key);
		return dns_scan(x, di, &ask, ref->name, it);
	}
	item1 = chains_next(&x->dns_name, it);
	return item1 != 0 ? dt_capture_dns(x->cap, item1 - 1) : NULL;
}

static const struct dt_rule_slot *
server_slot(const struct dt_rule_index *x, const struct dt_addr *addr,
    uint16_t port)
{
	uint8_t key[19];

	return chains_get(&x->conn_server, x, (uint32_t)dt_hash_bytes(key,
	    addr_key(addr, port, key)), same_server, key);
}

struct dt_conn *
dt_rule_index_server_first(const struct dt_rule_index *x,
    const struct dt_addr *addr, uint16_t port, struct dt_hash_iter *it)
{
	const struct dt_rule_slot *k = server_slot(x, addr, port);

	it->next = k != NULL ? k->first : 0;
	return dt_rule_index_server_next(x, it);
}

struct dt_conn *
dt_rule_index_server_next(const struct dt_rule_index *x,
    struct dt_hash_iter *it)
{
	uint32_t item1 = chains_next(&x->conn_server, it);

	return item1 != 0 ? x->conn_by_id[item1 - 1] : NULL;
}

size_t
dt_rule_index_server_count(const struct dt_rule_index *x,
    const struct dt_addr *addr, uint16_t port)
{
	return chains_count(&x->conn_server, server_slot(x, addr, port));
}

int
dt_rule_index_server_walk(const struct dt_rule_index *x, size_t *pos,
    struct dt_hash_iter *it)
{
	const struct dt_rule_chains *t = &x->conn_server;

	while (*pos < t->cap && t->slots[*pos].first == 0)
		(*pos)++;
	if (*pos >= t->cap) {
		it->next = 0;
		return 0;
	}
	it->next = t->slots[(*pos)++].first;
	return 1;
}

uint32_t
dt_rule_index_server_id(const struct dt_rule_index *x,
    struct dt_hash_iter *it)
{
	uint32_t item1 = chains_next(&x->conn_server, it);

	return item1 != 0 ? item1 - 1 : 0;
}

uint32_t *
dt_rule_index_server_counts(const struct dt_rule_index *x)
{
	const struct dt_rule_chains *t = &x->conn_server;
	uint32_t *v, item1, n;
	size_t i;

	if (x->cap == NULL || (v = dt_calloc(x->cap->mem, (size_t)x->max_id + 1,
	    sizeof *v)) == NULL)
		return NULL;
	for (i = 0; i < t->cap; i++) {
		n = chains_count(t, &t->slots[i]);
		for (item1 = t->slots[i].first; item1 != 0;
		    item1 = t->next[item1 - 1])
			v[item1 - 1] = n;
	}
	return v;
}

/* conn_name, once: every connection under its wire name. */
static int
make_conn_name(struct dt_rule_index *x)
{
	struct dt_conn *c;

	x->conn_name_made = 1;
	for (c = x->cap->conns; c != NULL; c = c->next)
		if (add_name(&x->conn_name, dt_facts_server_name(c), c) != 0)
			return -1;
	return 0;
}

struct dt_conn *
dt_rule_index_named_first(const struct dt_rule_index *x, const char *name,
    struct dt_hash_iter *it)
{
	/* the index is the rule pass's (a local of dt_rules_run), written
	   here once: the lookups stay const for the rules that call them */
	if (!x->conn_name_made && x->cap != NULL &&
	    make_conn_name((struct dt_rule_index *)x) != 0) {
		it->next = 0;
		return NULL;
	}
	return first_by_name(&x->conn_name, name, it);
}

struct dt_conn *
dt_rule_index_conn(const struct dt_rule_index *x, uint32_t id)
{
	return x->conn_by_id != NULL && id <= x->max_id ?
	    x->conn_by_id[id] : NULL;
}

struct dt_conn *
dt_rule_index_answered_after(const struct dt_rule_index *x,
    const struct dt_conn *c)
{
	return x->answered_after != NULL && c->id <= x->max_id ?
	    dt_rule_index_conn(x, x->answered_after[c->id]) : NULL;
}

const struct dt_http *
dt_rule_index_connect_on(const struct dt_rule_index *x, uint32_t id)
{
	struct dt_hash_iter it;
	const struct dt_http *h;

	if (x->n_connects == 0)		/* most captures have none */
		return NULL;
	make_http(x, 0);
	for (h = dt_hash_first(&x->http_conn, &id, sizeof id, &it); h != NULL;
	    h = dt_hash_next(&x->http_conn, &it))
		if (h->method != NULL && strcmp(h->method, "CONNECT") == 0 &&
		    h->uri != NULL)
			return h;
	return NULL;
}

size_t
dt_rule_index_http_count(const struct dt_rule_index *x, uint32_t id)
{
	make_http(x, 0);
	return dt_hash_count(&x->http_conn, &id, sizeof id);
}

const struct dt_http *
dt_rule_index_get_first(const struct dt_rule_index *x, const char *name,
    struct dt_hash_iter *it)
{
	make_http(x, 1);
	return first_by_name(&x->http_get, name, it);
}

const struct dt_http *
dt_rule_index_connect_first(const struct dt_rule_index *x, const char *name,
    struct dt_hash_iter *it)
{
	return first_by_name(&x->connect, name, it);
}

const struct dt_http *
dt_rule_index_connect_ok_last(const struct dt_rule_index *x,
    const char *target)
{
	char key[DT_NAME_KEY];
	size_t i;

	for (i = 0; target[i] != '\0' && i < sizeof key - 1; i++)
		key[i] = (char)lower((unsigned char)target[i]);
	if (target[i] != '\0')
		return NULL;
	return dt_hash_last(&x->connect_ok, key, i);
}
