/*
 * Helpers for the facts model (facts.h): appending errors and events,
 * freeing what the parsers allocated.
 */
#include "facts/facts.h"
#include "util/hash.h"
#include "util/spill.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

int
dt_capture_add_error(struct dt_capture *cap, uint64_t offset,
    const char *fmt, ...)
{
	struct dt_capture_error *e;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	e = dt_realloc(cap->mem, cap->errors,
	    (cap->n_errors + 1) * sizeof *cap->errors);
	if (e == NULL)
		return -1;
	cap->errors = e;
	e[cap->n_errors].offset = offset;
	e[cap->n_errors].message = dt_strdup(cap->mem, msg);
	if (e[cap->n_errors].message == NULL)
		return -1;
	cap->n_errors++;
	return 0;
}

void
dt_capture_count_linktype(struct dt_capture *cap, int linktype, int supported)
{
	struct dt_linktype_count *l;
	size_t i;

	for (i = 0; i < cap->n_linktypes; i++) {
		if (cap->linktypes[i].linktype == linktype) {
			cap->linktypes[i].packets++;
			return;
		}
	}
	l = dt_realloc(cap->mem, cap->linktypes,
	    (cap->n_linktypes + 1) * sizeof *l);
	if (l == NULL)
		return;
	cap->linktypes = l;
	l[cap->n_linktypes].linktype = linktype;
	l[cap->n_linktypes].packets = 1;
	l[cap->n_linktypes].supported = supported;
	l[cap->n_linktypes].name[0] = '\0';
	cap->n_linktypes++;
}

static struct dt_conn_rare *
conn_rare_make(struct dt_mem *m, struct dt_conn *c)
{
	if (c->rare == NULL)
		c->rare = dt_calloc(m, 1, sizeof *c->rare);
	return c->rare;
}

/* frame and time kept exactly in c's rare part: their index there, -1
   when memory failed, -2 when the table is full (events taken out of
   the timeline leave their entries: more than DT_MAX_EVENTS were
   added). */
static int
conn_ev_wide(struct dt_mem *m, struct dt_conn *c, uint64_t frame,
    int64_t time)
{
	struct dt_conn_rare *r;

	if ((r = conn_rare_make(m, c)) == NULL)
		return -1;
	if (r->n_wide == UINT8_MAX)
		return -2;
	if (r->n_wide == r->cap_wide) {
		size_t ncap = r->cap_wide ? r->cap_wide * 2u : 4;
		struct dt_ev_wide *w;

		if (ncap > UINT8_MAX)
			ncap = UINT8_MAX;
		if ((w = dt_realloc(m, r->wide, ncap * sizeof *w)) == NULL)
			return -1;
		r->wide = w;
		r->cap_wide = (uint8_t)ncap;
	}
	r->wide[r->n_wide].frame = frame;
	r->wide[r->n_wide].time = time;
	return r->n_wide++;
}

/* One more event not kept: 0, or -1 when memory failed. */
static int
events_dropped(struct dt_mem *m, struct dt_conn *c)
{
	struct dt_conn_rare *r = conn_rare_make(m, c);

	if (r == NULL)
		return -1;
	r->events_dropped++;
	return 0;
}

int
dt_conn_gap_add(struct dt_mem *m, struct dt_conn *c, int dir, uint64_t n)
{
	struct dt_conn_rare *r = conn_rare_make(m, c);

	if (r == NULL)
		return -1;
	r->gap_bytes[dir] += n;
	return 0;
}

/* ---- spare blocks: the ones every connection takes --------------------- */

#define EV_FIRST	24	/* events of a timeline's first array */
#define SPARES_MAX	64	/* blocks of each size waiting at most */

/* A block of n bytes from s, counted by cap->mem as dt_malloc(n) counts
   it; NULL when s has none, or when dt_malloc(n) would be refused (the
   caller's dt_malloc() then is, as before). */
static void *
spare_take(struct dt_capture *cap, struct dt_spares *s, size_t n)
{
	void *p = s->head;

	if (p == NULL || n > dt_mem_room(cap->mem))
		return NULL;
	memcpy(&s->head, p, sizeof s->head);
	s->n--;
	dt_mem_charge(cap->mem, n);
	return p;
}

/* p, a heap block of n bytes, put in s for the next connection, else
   freed. */
static void
spare_put(struct dt_capture *cap, struct dt_spares *s, void *p, size_t n)
{
	if (s->n >= SPARES_MAX) {
		dt_free(cap->mem, p);
		return;
	}
	memcpy(p, &s->head, sizeof s->head);
	s->head = p;
	s->n++;
	dt_mem_uncharge(cap->mem, n);
}

static void
spares_free(struct dt_capture *cap, struct dt_spares *s, size_t n)
{
	void *p;

	while ((p = s->head) != NULL) {
		memcpy(&s->head, p, sizeof s->head);
		dt_mem_charge(cap->mem, n);	/* as dt_free() uncounts it */
		dt_free(cap->mem, p);
	}
	s->n = 0;
}

void
dt_capture_spares_free(struct dt_capture *cap)
{
	spares_free(cap, &cap->spare_tls, sizeof(struct dt_tls_facts));
	spares_free(cap, &cap->spare_events, EV_FIRST *
	    sizeof(struct dt_event));
}

void
dt_conn_events_spare(struct dt_capture *cap, struct dt_conn *c)
{
	struct dt_event *ev;

	if (c->events == NULL && (ev = spare_take(cap, &cap->spare_events,
	    EV_FIRST * sizeof *ev)) != NULL) {
		c->events = ev;
		c->cap_events = EV_FIRST;
	}
}

int
dt_conn_add_event_slow(struct dt_mem *m, struct dt_conn *c, uint8_t type,
    uint8_t dir, uint64_t frame, int64_t time, uint16_t a, uint32_t b)
{
	struct dt_event *ev;
	int wide;

	if (c->n_events >= DT_MAX_EVENTS)
		return events_dropped(m, c);
	if (c->n_events == c->cap_events) {
		/* the first array holds a whole TLS session's timeline (its
		   handshake, HTTP heads and close: 17-19 events), so most
		   never grow; a connection's heap, its kept copy is exact */
		size_t ncap = c->cap_events ? c->cap_events * 2u : EV_FIRST;

		if (ncap > DT_MAX_EVENTS)
			ncap = DT_MAX_EVENTS;
		if (c->kept & DT_CONN_KEPT_EVENTS) {	/* copied out */
			if ((ev = dt_malloc(m, ncap * sizeof *ev)) == NULL)
				return -1;
			memcpy(ev, c->events, c->n_events * sizeof *ev);
			c->kept &= (uint8_t)~DT_CONN_KEPT_EVENTS;
		} else if ((ev = dt_realloc(m, c->events,
		    ncap * sizeof *ev)) == NULL)
			return -1;
		c->events = ev;
		c->cap_events = (uint8_t)ncap;
	}
	if (dt_conn_event_near(c, frame, time))	/* room now: the usual */
		return dt_conn_add_event(m, c, type, dir, frame, time, a, b);
	if ((wide = conn_ev_wide(m, c, frame, time)) < 0)
		return wide == -1 ? -1 : events_dropped(m, c);
	ev = &c->events[c->n_events++];
	ev->frame_off = DT_EV_WIDE;
	ev->time_off = (uint64_t)wide;
	ev->type = type;
	ev->dir = dir;
	ev->a = a;
	ev->b = b;
	return 0;
}

static void
free_strv(struct dt_mem *m, char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dt_free(m, v[i]);
	dt_free(m, v);
}

void
dt_cert_clear(struct dt_mem *m, struct dt_cert *x)
{
	if (x->cached) {		/* the x509 cache owns the pointers */
		memset(x, 0, sizeof *x);
		return;
	}
	dt_free(m, x->subject);
	dt_free(m, x->issuer);
	dt_free(m, x->serial);
	free_strv(m, x->dns_names, x->n_dns_names);
	free_strv(m, x->ip_addrs, x->n_ip_addrs);
	free_strv(m, x->crl_urls, x->n_crl_urls);
	free_strv(m, x->aia_urls, x->n_aia_urls);
	dt_free(m, x->common_name);
	dt_free(m, x->key_type);
	dt_free(m, x->sig_alg);
	dt_free(m, x->parse_error);
	dt_free(m, x->der);
	memset(x, 0, sizeof *x);
}

void
dt_http_msg_clear(struct dt_mem *m, struct dt_http_msg *h)
{
	dt_free(m, h->line);
	dt_free(m, h->host);
	dt_free(m, h->server);
	dt_free(m, h->content_length);
	memset(h, 0, sizeof *h);
}

/* The ClientHello lists and the entries each keeps: a kept hello's order
   after its struct (all are uint16_t). */
#define HELLO_LISTS(X) \
	X(client_versions, n_client_versions, UINT32_MAX) \
	X(offered_suites, n_offered_suites, UINT32_MAX) \
	X(extensions, n_extensions, UINT32_MAX) \
	X(ch_groups, n_ch_groups, DT_CH_GROUPS_MAX) \
	X(ch_sig_algs, n_ch_sig_algs, DT_CH_SIG_ALGS_MAX)
#define KEPT_BYTES(h, f, n, max) ((h)->f == NULL ? 0 : \
	(size_t)((h)->n < (max) ? (h)->n : (max)) * sizeof *(h)->f)

static void
hello_free(struct dt_mem *m, struct dt_tls_hello *h)
{
	if (h == NULL || h->kept)
		return;
	if (!h->block) {
#define FREE_LIST(f, n, max) dt_free(m, h->f);
		HELLO_LISTS(FREE_LIST)
#undef FREE_LIST
	}
	dt_free(m, h);
}

/* A kept hello: the struct, its lists after it, 8-aligned. It is looked
   up by its bytes from the first count on (the pointers differ from copy
   to copy): HELLO_SHARED_MAX at most (the hellos that thousands of
   connections share are a few hundred); longer ones are kept unshared. */
#define HELLO_KEY		offsetof(struct dt_tls_hello, n_client_versions)
#define HELLO_SHARED_MAX	1024

/* h's kept form written at out (room for hello_bytes(h)): its size. */
static size_t
hello_write(const struct dt_tls_hello *h, unsigned char *out)
{
	struct dt_tls_hello *k = (struct dt_tls_hello *)(void *)out;
	size_t at = sizeof *k, b;
	int i = 0;

	memcpy(k, h, sizeof *k);
	k->kept = 1;
	k->lists = 0;
	k->block = 0;
#define WRITE_LIST(f, n, max) \
	if (h->f != NULL) { \
		b = KEPT_BYTES(h, f, n, max); \
		k->f = (uint16_t *)(void *)(out + at); \
		memcpy(out + at, h->f, b); \
		k->lists |= (uint8_t)(1u << i); \
		at += b; \
	} \
	i++;
	HELLO_LISTS(WRITE_LIST)
#undef WRITE_LIST
	return at;
}

static size_t
hello_bytes(const struct dt_tls_hello *h)
{
	size_t n = sizeof *h;

#define SIZE_LIST(f, nn, max) n += KEPT_BYTES(h, f, nn, max);
	HELLO_LISTS(SIZE_LIST)
#undef SIZE_LIST
	return n;
}

static struct dt_lists_slot *
lists_slot(struct dt_lists_slot *slots, size_t cap, const unsigned char *p,
    uint32_t n, uint32_t hash)
{
	size_t mask = cap - 1, i = hash & mask;

	for (; slots[i].p != NULL; i = (i + 1) & mask)
		if (slots[i].hash == hash && slots[i].n == n &&
		    memcmp(slots[i].p, p, n) == 0)
			break;
	return &slots[i];
}

/* The table of kept hellos with room for one more: -1 when memory is
   refused. */
static int
hellos_room(struct dt_capture *cap)
{
	size_t ncap, i;
	struct dt_lists_slot *ns;

	if ((cap->n_lists + 1) * 2 <= cap->cap_lists)
		return 0;
	ncap = cap->cap_lists ? cap->cap_lists * 2 : 64;
	if ((ns = dt_calloc(cap->mem, ncap, sizeof *ns)) == NULL)
		return -1;
	for (i = 0; i < cap->cap_lists; i++)
		if (cap->lists[i].p != NULL)
			*lists_slot(ns, ncap, cap->lists[i].p, cap->lists[i].n,
			    cap->lists[i].hash) = cap->lists[i];
	dt_free(cap->mem, cap->lists);
	cap->lists = ns;
	cap->cap_lists = ncap;
	return 0;
}

/* The kept copy of h: the capture's when an earlier connection sent the
   same hello, else a new one (entered in the table when short enough to
   be looked up). NULL when memory is refused. */
static struct dt_tls_hello *
hello_kept(struct dt_capture *cap, const struct dt_tls_hello *h)
{
	uint64_t tmp[HELLO_SHARED_MAX / 8];
	size_t total = hello_bytes(h);
	struct dt_lists_slot *slot = NULL;
	unsigned char *block;
	uint32_t hash = 0;

	if (total <= sizeof tmp && hellos_room(cap) == 0) {
		unsigned char *key = (unsigned char *)tmp + HELLO_KEY;

		(void)hello_write(h, (unsigned char *)tmp);
		hash = (uint32_t)dt_hash_bytes(key, total - HELLO_KEY);
		slot = lists_slot(cap->lists, cap->cap_lists, key,
		    (uint32_t)(total - HELLO_KEY), hash);
		if (slot->p != NULL)	/* shared: never written */
			return (struct dt_tls_hello *)(void *)
			    ((unsigned char *)slot->p - HELLO_KEY);
	}
	if ((block = dt_capture_keep(cap, total)) == NULL)
		return NULL;
	(void)hello_write(h, block);
	if (slot != NULL) {
		slot->p = block + HELLO_KEY;
		slot->n = (uint32_t)(total - HELLO_KEY);
		slot->hash = hash;
		cap->n_lists++;
	}
	return (struct dt_tls_hello *)(void *)block;
}

/* t's hello replaced by its kept copy. When memory is refused it stays as
   it is (the refusal is an allocation failure like any other: the
   analysis says so). */
static void
tls_hello_keep(struct dt_capture *cap, struct dt_tls_facts *t)
{
	struct dt_tls_hello *k;

	if (t->hello == NULL || t->hello->kept ||
	    (k = hello_kept(cap, t->hello)) == NULL)
		return;
	hello_free(cap->mem, t->hello);
	t->hello = k;
}

static void
tls_rare_free(struct dt_mem *m, struct dt_tls_rare *r, int certs_shared,
    int kept)
{
	size_t i;

	if (r == NULL)
		return;
	dt_free(m, r->preamble_refused_line);
	dt_free(m, r->sslv2_specs);
	free_strv(m, r->ca_names, r->n_ca_names);
	dt_free(m, r->cr_cert_types);
	dt_free(m, r->cr_sig_algs);
	if (!certs_shared) {
		for (i = 0; i < r->n_client_certs; i++)
			dt_cert_clear(m, &r->client_certs[i]);
		dt_free(m, r->client_certs);
	}
	dt_free(m, r->chain_error);
	dt_free(m, r->non_tls_line);
	dt_free(m, r->malformed);
	if (!kept)
		dt_free(m, r);
}

void
dt_tls_facts_clear(struct dt_mem *m, struct dt_tls_facts *t)
{
	size_t i;

	hello_free(m, t->hello);
	if (!(t->kept & DT_TLS_KEPT_SNI))
		dt_free(m, t->sni);
	if (!(t->kept & DT_TLS_KEPT_ALPN))
		dt_free(m, t->alpn);
	if (!(t->certs_shared & 1)) {
		for (i = 0; i < t->n_server_certs; i++)
			dt_cert_clear(m, &t->server_certs[i]);
		dt_free(m, t->server_certs);
	}
	tls_rare_free(m, t->rare, t->certs_shared & 2,
	    t->kept & DT_TLS_KEPT_RARE);
	if (t->http != NULL) {
		if (!(t->kept & DT_TLS_KEPT_HTTP_TEXT)) {	/* else kept */
			dt_http_msg_clear(m, &t->http->request);
			dt_http_msg_clear(m, &t->http->response);
		}
		if (!(t->kept & DT_TLS_KEPT_HTTP))
			dt_free(m, t->http);
	}
	memset(t, 0, sizeof *t);
}

/* ---- kept bytes and interned strings -------------------------------------- */

/* 32 KiB blocks: a DNS record is ~80 bytes, so one header per ~400 of
   them; a request larger than a quarter of a block gets a block of its
   own, put behind the one being filled. */
#define KEEP_BLOCK	(32768 - 64)

#define MEM_HDR		16		/* what dt_malloc() counts beside n */

static int
spilled(const struct dt_capture *cap, const void *p)
{
	const unsigned char *b = cap->spill != NULL ? cap->spill->base : NULL;

	return b != NULL && (const unsigned char *)p >= b &&
	    (const unsigned char *)p < b + cap->spill->reserve;
}

/* A block of n bytes for kept memory: from the spill file once the
   capture kept spill_after bytes (counted as dt_malloc() would count it,
   so the cap judges the same bytes wherever they live), else, or when
   the file cannot take it, from the heap. */
static void *
keep_block(struct dt_capture *cap, size_t n, int kind)
{
	struct dt_mem *m = cap->mem;
	int hot = kind == DT_KEEP_HOT;
	void *p;

	if (!hot && cap->spill == NULL && cap->spill_dir != NULL &&
	    cap->kept_total >= cap->spill_after) {
		if (dt_spill_open(&cap->spill_file, cap->spill_dir,
		    m->cap != 0 ? m->cap : (size_t)1 << 40) == 0) {
			cap->spill = &cap->spill_file;
		} else
			cap->spill_dir = NULL;	/* asked once */
	}
	if (!hot && cap->spill != NULL && n <= dt_mem_room(m) &&
	    (p = dt_spill_alloc(cap->spill, kind, n)) != NULL)
		dt_mem_charge(m, n);
	else if ((p = dt_malloc(m, n)) == NULL)
		return NULL;
	cap->kept_total += n;
	return p;
}

/* n bytes at an offset that is a multiple of align (1 or 8), from the
   chain of `kind` (enum dt_keep_kind), as they are (keep(): zeroed). */
static inline void *
keep_raw(struct dt_capture *cap, int kind, size_t n, size_t align)
{
	struct dt_keep **chain = &cap->keep[kind];
	struct dt_keep *k = *chain, *nk;
	unsigned char *p;
	size_t at = k != NULL ? (k->used + align - 1) & ~(align - 1) : 0;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		return NULL;
	if (k == NULL || at > k->size || k->size - at < n) {
		size_t size = n > KEEP_BLOCK / 4 ? n : KEEP_BLOCK;

		nk = keep_block(cap, sizeof *nk + size, kind);
		if (nk == NULL)
			return NULL;
		nk->used = 0;
		nk->size = size;
		if (k != NULL && size != KEEP_BLOCK) {
			nk->next = k->next;	/* a big one: behind */
			k->next = nk;
		} else {
			nk->next = k;
			*chain = nk;
		}
		k = nk;
		at = 0;
	}
	p = (unsigned char *)k->bytes + at;
	k->used = at + n;
	return p;
}

static void *
keep(struct dt_capture *cap, int kind, size_t n, size_t align)
{
	void *p;

	if (n == 0)
		n = 1;		/* as keep_raw() takes it */
	if ((p = keep_raw(cap, kind, n, align)) != NULL)
		memset(p, 0, n);
	return p;
}

/* A copy of n bytes at p, 8-aligned, in kept facts: written once, not
   zeroed first. */
static void *
keep_copy(struct dt_capture *cap, const void *p, size_t n)
{
	void *k;

	if ((k = keep_raw(cap, DT_KEEP_FACTS, n, 8)) != NULL)
		memcpy(k, p, n);
	return k;
}

void *
dt_capture_keep(struct dt_capture *cap, size_t n)
{
	return keep(cap, DT_KEEP_FACTS, n, 8);
}

void *
dt_capture_keep_as(struct dt_capture *cap, enum dt_keep_kind kind, size_t n)
{
	return keep(cap, kind, n, 8);
}

char *
dt_capture_keep_text(struct dt_capture *cap, size_t n)
{
	return keep(cap, DT_KEEP_FACTS, n, 1);
}

char *
dt_capture_keep_str(struct dt_capture *cap, const char *s, size_t n)
{
	char *k;

	if (n == SIZE_MAX || (k = keep_raw(cap, DT_KEEP_FACTS, n + 1, 1)) == NULL)
		return NULL;
	memcpy(k, s, n);
	k[n] = '\0';
	return k;
}

uint8_t *
dt_capture_keep_bytes_block(struct dt_capture *cap, enum dt_keep_kind kind,
    size_t n)
{
	/* not zeroed, as the inline path's are not: written whole */
	return keep_raw(cap, kind, n, 1);
}

struct dt_dns *
dt_capture_dns_slot(struct dt_capture *cap)
{
	size_t b = cap->n_dns / DT_DNS_BLOCK;
	struct dt_dns **nb, *d;

	if (b == cap->n_dns_blocks) {
		nb = dt_realloc(cap->mem, cap->dns_blocks,
		    (b + 1) * sizeof *nb);
		if (nb == NULL)
			return NULL;
		cap->dns_blocks = nb;
		/* not zeroed here: each record is, as it is taken */
		nb[b] = keep_raw(cap, DT_KEEP_DNS, DT_DNS_BLOCK * sizeof **nb,
		    8);
		if (nb[b] == NULL)
			return NULL;
		cap->n_dns_blocks++;
	}
	d = &cap->dns_blocks[b][cap->n_dns % DT_DNS_BLOCK];
	memset(d, 0, sizeof *d);
	return d;
}

void
dt_capture_spill_drop(const struct dt_capture *cap)
{
	if (cap->spill != NULL)
		dt_spill_drop(cap->spill);
}

void
dt_capture_spill_release(struct dt_capture *cap)
{
	int lane;

	if (cap->spill == NULL)
		return;
	for (lane = 0; lane < DT_KEEP_KINDS; lane++)
		dt_spill_lane_end(cap->spill, lane);
	dt_spill_drop(cap->spill);
}

/* A walk looks at what it has mapped only when its thread took
   SPILL_WALK_FAULTS page faults since it last looked (one fault maps
   64 KiB of a 4 KiB mapping, 2 MiB of a huge one), and drops the spilled
   pages when more than SPILL_MAPPED of files are mapped beyond what
   stayed after its last drop (the region the facts' kind is filling,
   util/spill.h) and what the process had before it spilled. Where /proc
   does not say, every look drops.

   8 MiB, every 2 faults: a walk then holds ~8-12 MiB of spilled pages
   (32 MiB, every 8 faults, held up to 48 on the 2 GiB bench day). Less
   is not free: the rules' index of connections by server compares keys
   in other connections, read at random over all of them, and every
   drop maps those again; at 8 MiB the day takes 15,000 faults in all
   (1,000 at 32 MiB), a few ms of system time.

   The writers read more at random (each verdict's connection and its
   TLS facts: 5-7 pages of 2 MiB a step), and at 8 MiB the HTML and text
   reports of the day took 41,000 faults, 1.3 times main's CPU. By then
   the heap is ~15 MiB smaller than at the rules' peak, and the budget
   grows into that room (see the check): 18,000 faults, the peak
   unchanged. */
#define SPILL_WALK_FAULTS	2
#define SPILL_MAPPED		((size_t)8 << 20)

void
dt_capture_spill_check(const struct dt_capture *cap, struct dt_spill_walk *w)
{
	struct rusage ru;
	long faults;
	size_t mapped, rss = 0, high;

	/* a file no larger than what a walk may map needs no look: it
	   cannot pass the budget (the 100 MB bench day spills 8 MiB: 7,300
	   looks, ~145 ns each, 1-2% of its CPU, and never a drop) */
	if (cap->spill == NULL ||
	    dt_spill_size(cap->spill) <= w->floor + SPILL_MAPPED ||
	    getrusage(RUSAGE_THREAD, &ru) != 0)
		return;
	faults = ru.ru_minflt + ru.ru_majflt;
	if (faults - w->faults < SPILL_WALK_FAULTS)
		return;
	w->faults = faults;
	mapped = dt_spill_resident(cap->spill, &rss);
	/* the process's high-water as the walks of the analysis saw it;
	   once the capture is finished (its heap no longer grows: the
	   writers run with ~15 MiB less of it than the rules), a walk may
	   keep mapped what the heap gave back, up to SPILL_MAPPED below
	   that high-water */
	high = __atomic_load_n(&cap->spill->rss_high, __ATOMIC_RELAXED);
	while (mapped != SIZE_MAX && rss > high &&
	    !__atomic_compare_exchange_n(&cap->spill->rss_high, &high, rss, 1,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (mapped == SIZE_MAX || (mapped > w->floor + SPILL_MAPPED &&
	    (cap->conn_index == NULL || rss + SPILL_MAPPED > high))) {
		dt_spill_drop(cap->spill);
		if ((w->floor = dt_spill_mapped(cap->spill)) == SIZE_MAX)
			w->floor = 0;
	}
}

size_t
dt_capture_kept(const struct dt_capture *cap, size_t *blocks)
{
	const struct dt_keep *k;
	size_t used = 0;

	int i;

	*blocks = 0;
	for (i = 0; i < DT_KEEP_KINDS; i++)
		for (k = cap->keep[i]; k != NULL; k = k->next) {
			used += k->used;
			*blocks += sizeof *k + k->size + MEM_HDR;
		}
	return used;
}

/* The slot of the n bytes at s (hash: the low half of their
   dt_hash_bytes()), or the empty slot where they would go. A string is
   read only when its hash and length are the ones asked for. */
static struct dt_str_slot *
str_slot(struct dt_str_slot *slots, size_t cap, const char *s, size_t n,
    uint32_t hash)
{
	size_t mask = cap - 1, i = hash & mask;

	for (; slots[i].s != NULL; i = (i + 1) & mask)
		if (slots[i].hash == hash && slots[i].n == n &&
		    memcmp(slots[i].s, s, n) == 0)
			break;
	return &slots[i];
}

/* Room in the intern table for one more string: at most 3/4 full (a
   probe past another string compares two words beside each other, so
   a fuller table costs little; the day's 155,113 strings take 262,144
   slots of 16 bytes, the 4 MiB that 524,288 pointers took half full).
   The slots move with their hashes: no string is read again. */
static int
strs_room(struct dt_capture *cap)
{
	struct dt_str_slot *ns;
	size_t ncap, mask, i, j;

	if ((cap->n_strs + 1) * 4 <= cap->cap_strs * 3)
		return 0;
	ncap = cap->cap_strs ? cap->cap_strs * 2 : 256;
	if ((ns = dt_calloc(cap->mem, ncap, sizeof *ns)) == NULL)
		return -1;
	mask = ncap - 1;
	for (i = 0; i < cap->cap_strs; i++) {
		if (cap->strs[i].s == NULL)
			continue;
		for (j = cap->strs[i].hash & mask; ns[j].s != NULL;
		    j = (j + 1) & mask)
			;
		ns[j] = cap->strs[i];
	}
	dt_free(cap->mem, cap->strs);
	cap->strs = ns;
	cap->cap_strs = ncap;
	return 0;
}

const char *
dt_capture_intern_h(struct dt_capture *cap, const char *s, size_t n,
    uint64_t hash)
{
	struct dt_str_slot *slot;
	char *copy;

	if (n > UINT32_MAX || strs_room(cap) != 0)
		return NULL;
	slot = str_slot(cap->strs, cap->cap_strs, s, n, (uint32_t)hash);
	if (slot->s != NULL)
		return slot->s;
	if ((copy = keep_raw(cap, DT_KEEP_HOT, n + 1, 1)) == NULL)
		return NULL;
	memcpy(copy, s, n);
	copy[n] = '\0';
	slot->s = copy;
	slot->hash = (uint32_t)hash;
	slot->n = (uint32_t)n;
	cap->n_strs++;
	return copy;
}

const char *
dt_capture_intern_n(struct dt_capture *cap, const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);

	if (nul != NULL)
		n = (size_t)(nul - s);
	return dt_capture_intern_h(cap, s, n, dt_hash_bytes(s, n));
}

const char *
dt_capture_intern(struct dt_capture *cap, const char *s)
{
	size_t n = strlen(s);

	return dt_capture_intern_h(cap, s, n, dt_hash_bytes(s, n));
}

const struct dt_tls_facts dt_tls_none;
const struct dt_tls_hello dt_tls_hello_none;
const struct dt_tls_rare dt_tls_rare_none;
const struct dt_tls_http dt_tls_http_none;

struct dt_tls_rare *
dt_tls_rare_make(struct dt_mem *m, struct dt_tls_facts *t)
{
	if (t->rare == NULL)
		t->rare = dt_calloc(m, 1, sizeof *t->rare);
	return t->rare;
}

struct dt_tls_hello *
dt_tls_hello_make(struct dt_mem *m, struct dt_tls_facts *t)
{
	const struct dt_tls_hello *k = t->hello;
	struct dt_tls_hello *h;
	int failed = 0;

	if (k != NULL && !k->kept)
		return t->hello;
	if ((h = dt_calloc(m, 1, sizeof *h)) == NULL)
		return NULL;
	if (k != NULL) {	/* a private copy of the shared one */
		memcpy(h, k, sizeof *h);
		h->kept = h->lists = h->block = 0;
#define NO_LIST(f, n, max) h->f = NULL;
		HELLO_LISTS(NO_LIST)
#undef NO_LIST
#define COPY_LIST(f, n, max) 		if (k->f != NULL && 		    (h->f = dt_malloc(m, KEPT_BYTES(k, f, n, max) + 1)) != NULL) 			memcpy(h->f, k->f, KEPT_BYTES(k, f, n, max)); 		else if (k->f != NULL) 			failed = 1;
		HELLO_LISTS(COPY_LIST)
#undef COPY_LIST
		if (failed) {
			hello_free(m, h);
			return NULL;
		}
	}
	t->hello = h;
	return h;
}

struct dt_tls_hello *
dt_tls_hello_block(struct dt_mem *m, struct dt_tls_facts *t, uint32_t room[5])
{
	const struct dt_tls_hello *o = t->hello;
	struct dt_tls_hello *h;
	size_t total = sizeof *h;
	unsigned char *at;
	int i = 0;

#define ROOM_LIST(f, n, max) \
	if (o != NULL && o->f != NULL && o->n > room[i]) \
		room[i] = o->n < (max) ? o->n : (max); \
	total += (size_t)room[i++] * sizeof(uint16_t);
	HELLO_LISTS(ROOM_LIST)
#undef ROOM_LIST
	if ((h = dt_malloc(m, total)) == NULL)
		return NULL;
	if (o != NULL)
		memcpy(h, o, sizeof *h);
	else
		memset(h, 0, sizeof *h);
	h->kept = h->lists = 0;
	h->block = 1;
	at = (unsigned char *)(h + 1);
	i = 0;
#define PLACE_LIST(f, n, max) \
	h->f = room[i] > 0 ? (uint16_t *)(void *)at : NULL; \
	if (o != NULL && o->f != NULL && h->f != NULL) \
		memcpy(h->f, o->f, KEPT_BYTES(o, f, n, max)); \
	else \
		h->n = 0; \
	at += (size_t)room[i++] * sizeof(uint16_t);
	HELLO_LISTS(PLACE_LIST)
#undef PLACE_LIST
	hello_free(m, t->hello);
	t->hello = h;
	return h;
}

struct dt_tls_http *
dt_tls_http_make(struct dt_mem *m, struct dt_tls_facts *t)
{
	if (t->http == NULL)
		t->http = dt_calloc(m, 1, sizeof *t->http);
	return t->http;
}

static int
certs_own(struct dt_mem *m, struct dt_cert **certs, size_t n)
{
	struct dt_cert *own = dt_calloc(m, n, sizeof *own);

	if (own == NULL)
		return -1;
	memcpy(own, *certs, n * sizeof *own);
	*certs = own;
	return 0;
}

int
dt_tls_certs_own(struct dt_mem *m, struct dt_tls_facts *t)
{
	if ((t->certs_shared & 1) &&
	    certs_own(m, &t->server_certs, t->n_server_certs) == 0)
		t->certs_shared &= (uint8_t)~1;
	if ((t->certs_shared & 2) &&
	    certs_own(m, &t->rare->client_certs, t->rare->n_client_certs) == 0)
		t->certs_shared &= (uint8_t)~2;
	return t->certs_shared != 0 ? -1 : 0;
}

struct dt_tls_facts *
dt_conn_tls_make(struct dt_mem *m, struct dt_conn *c)
{
	return dt_conn_tls_make_in(NULL, m, c);
}

struct dt_tls_facts *
dt_conn_tls_make_in(struct dt_capture *cap, struct dt_mem *m,
    struct dt_conn *c)
{
	struct dt_tls_facts *t;

	if (c->tls != NULL && c->tls != &dt_tls_none)
		return c->tls;
	/* a spare is counted by cap->mem: taken only for m's facts */
	if (cap != NULL && cap->mem == m &&
	    (t = spare_take(cap, &cap->spare_tls, sizeof *t)) != NULL)
		memset(t, 0, sizeof *t);
	else if ((t = dt_calloc(m, 1, sizeof *t)) == NULL)
		return NULL;
	c->tls = t;
	return t;
}

/* Room enough that a new kept block cannot reach the cap. */
#define INTERN_ROOM	(2 * KEEP_BLOCK)

/* *sp (owned) replaced by the capture's interned copy: the bit `kept`
   of t->kept set. Left as it is when memory is short. */
static void
tls_name_intern(struct dt_capture *cap, struct dt_tls_facts *t, char **sp,
    uint8_t kept)
{
	const char *s;

	if (*sp == NULL || (t->kept & kept) ||
	    dt_mem_room(cap->mem) < INTERN_ROOM ||
	    (s = dt_capture_intern(cap, *sp)) == NULL)
		return;
	dt_free(cap->mem, *sp);
	*sp = (char *)s;	/* shared from here on: never written */
	t->kept |= kept;
}

struct dt_tls_hello *
dt_capture_hello(struct dt_capture *cap, const struct dt_tls_hello *h)
{
	if (dt_mem_room(cap->mem) < INTERN_ROOM)
		return NULL;
	return hello_kept(cap, h);
}

const char *
dt_capture_name(struct dt_capture *cap, const char *s, size_t n)
{
	if (dt_mem_room(cap->mem) < INTERN_ROOM)
		return NULL;
	return dt_capture_intern_n(cap, s, n);
}

/* The strings of a NULL-cipher session's HTTP heads (8 at most) in one
   block of kept text: 72,000 heap blocks on the 2 GiB bench day, 1.8 MB
   and as much again in the allocator's headers. Bit 32 of t->kept says
   so: they are not freed alone, and whoever replaces one (the UTF-8
   repair, the redaction) takes owned copies first (dt_tls_http_own). */
#define HTTP_STRINGS(h) { &(h)->request.line, &(h)->request.host, \
	&(h)->request.server, &(h)->request.content_length, \
	&(h)->response.line, &(h)->response.host, &(h)->response.server, \
	&(h)->response.content_length }

static void
http_strings_keep(struct dt_capture *cap, struct dt_tls_facts *t)
{
	char **sp[] = HTTP_STRINGS(t->http);
	size_t i, n = 0, len;
	char *k;

	for (i = 0; i < sizeof sp / sizeof sp[0]; i++)
		if (*sp[i] != NULL)
			n += strlen(*sp[i]) + 1;
	if (n == 0 || (k = dt_capture_keep_text(cap, n)) == NULL)
		return;
	for (i = 0; i < sizeof sp / sizeof sp[0]; i++) {
		if (*sp[i] == NULL)
			continue;
		len = strlen(*sp[i]) + 1;
		memcpy(k, *sp[i], len);
		dt_free(cap->mem, *sp[i]);
		*sp[i] = k;
		k += len;
	}
	t->kept |= DT_TLS_KEPT_HTTP_TEXT;
}

int
dt_tls_http_own(struct dt_mem *m, struct dt_tls_facts *t)
{
	char **sp[8], *own[8];
	size_t i;

	if (t->http == NULL || !(t->kept & DT_TLS_KEPT_HTTP_TEXT))
		return 0;
	{
		char **all[] = HTTP_STRINGS(t->http);

		memcpy(sp, all, sizeof sp);
	}
	for (i = 0; i < 8; i++) {
		own[i] = NULL;
		if (*sp[i] != NULL && (own[i] = dt_strdup(m, *sp[i])) == NULL) {
			while (i-- > 0)
				dt_free(m, own[i]);
			return -1;
		}
	}
	for (i = 0; i < 8; i++)
		if (*sp[i] != NULL)
			*sp[i] = own[i];
	t->kept &= (uint8_t)~32;
	return 0;
}

/* The rare part and the NULL-cipher session's HTTP heads moved to kept
   memory (the strings they point to stay where they are): on a day's
   capture they are 2.6 MB of heap at the rule pass (10,000
   CertificateRequests, 9,000 tunnels' heads), which a spilling capture
   keeps in its file instead. Left as they are when memory is short. */
static void
tls_parts_keep(struct dt_capture *cap, struct dt_tls_facts *t)
{
	struct dt_tls_rare *r;
	struct dt_tls_http *h;

	if (t->rare != NULL && !(t->kept & DT_TLS_KEPT_RARE) &&
	    (r = keep_copy(cap, t->rare, sizeof *r)) != NULL) {
		dt_free(cap->mem, t->rare);
		t->rare = r;
		t->kept |= DT_TLS_KEPT_RARE;
	}
	if (t->http != NULL && !(t->kept & DT_TLS_KEPT_HTTP) &&
	    (h = keep_copy(cap, t->http, sizeof *h)) != NULL) {
		dt_free(cap->mem, t->http);
		t->http = h;
		t->kept |= DT_TLS_KEPT_HTTP;
	}
	if (t->http != NULL && !(t->kept & DT_TLS_KEPT_HTTP_TEXT))
		http_strings_keep(cap, t);
}

void
dt_conn_tls_trim(struct dt_capture *cap, struct dt_conn *c)
{
	struct dt_mem *m = cap->mem;
	struct dt_tls_facts *t;
	int room;

	if (c->tls == NULL || (c->tls != &dt_tls_none &&
	    memcmp(c->tls, &dt_tls_none, sizeof dt_tls_none) == 0)) {
		if (c->tls != NULL)
			spare_put(cap, &cap->spare_tls, c->tls, sizeof *t);
		c->tls = (struct dt_tls_facts *)&dt_tls_none;
		return;
	}
	if (c->tls == &dt_tls_none)
		return;
	room = dt_mem_room(m) >= INTERN_ROOM;
	if (room)
		tls_hello_keep(cap, c->tls);
	tls_name_intern(cap, c->tls, &c->tls->sni, DT_TLS_KEPT_SNI);
	tls_name_intern(cap, c->tls, &c->tls->alpn, DT_TLS_KEPT_ALPN);
	if (room)
		tls_parts_keep(cap, c->tls);
	if (room && !(c->tls->kept & DT_TLS_KEPT_STRUCT) &&
	    (t = keep_copy(cap, c->tls, sizeof *t)) != NULL) {
		spare_put(cap, &cap->spare_tls, c->tls, sizeof *t);
		t->kept |= DT_TLS_KEPT_STRUCT;
		c->tls = t;
	}
}

struct dt_drop *
dt_conn_drop_make(struct dt_mem *m, struct dt_conn *c)
{
	struct dt_conn_rare *r = conn_rare_make(m, c);

	if (r != NULL && r->drop == NULL)
		r->drop = dt_calloc(m, 1, sizeof *r->drop);
	return r != NULL ? r->drop : NULL;
}

void
dt_tunnel_facts_free(struct dt_mem *m, struct dt_tunnel_facts *f)
{
	if (f == NULL)
		return;
	dt_free(m, f->ike);
	dt_free(m, f->esp);
	dt_free(m, f);
}

int
dt_conn_text_make(struct dt_capture *cap, struct dt_conn *c)
{
	char srv[DT_ENDPOINT_LEN];
	struct dt_server_memo *mo;
	const char *s;
	uint64_t x, y;

	/* servers are few and sorted by in the reports: one interned copy
	   each; clients (a port each) are written when asked for */
	memcpy(&x, c->server.a, 8);
	memcpy(&y, c->server.a + 8, 8);
	if (c->server.family != 6)	/* only its first 4 bytes are read */
		x &= 0xffffffffu, y = 0;
	x ^= y ^ (uint64_t)c->server_port << 32;
	mo = &cap->server_memo[(x * 0x9e3779b97f4a7c15u) >>
	    (64 - DT_SERVER_MEMO_BITS)];
	if (mo->text != NULL && mo->port == c->server_port &&
	    dt_addr_eq(&mo->addr, &c->server)) {
		c->server_str = mo->text;
		return 0;
	}
	dt_addr_format(&c->server, c->server_port, srv, sizeof srv);
	if ((s = dt_capture_intern(cap, srv)) == NULL)
		return -1;
	mo->addr = c->server;
	mo->port = c->server_port;
	mo->text = s;
	c->server_str = s;
	return 0;
}

size_t
dt_conn_client_text(const struct dt_conn *c, char *buf)
{
	dt_addr_format(&c->client, c->client_port, buf, DT_ENDPOINT_LEN);
	return strlen(buf);
}

void
dt_conn_retire(struct dt_capture *cap, struct dt_conn *c)
{
	struct dt_event *ev;
	size_t n = c->n_events * sizeof *ev;

	if (c->kept & DT_CONN_KEPT_EVENTS)
		return;
	if (c->n_events == 0) {		/* a spare array, not used */
		if (c->cap_events == EV_FIRST)
			spare_put(cap, &cap->spare_events, c->events,
			    EV_FIRST * sizeof *ev);
		else
			dt_free(cap->mem, c->events);
		c->events = NULL;
		c->cap_events = 0;
		return;
	}
	/* 16 bytes each, 8-aligned: no padding between timelines */
	if ((ev = keep_raw(cap, DT_KEEP_FACTS, n, _Alignof(struct dt_event)))
	    == NULL)
		return;
	memcpy(ev, c->events, n);
	if (c->cap_events == EV_FIRST)	/* the next connection's */
		spare_put(cap, &cap->spare_events, c->events,
		    EV_FIRST * sizeof *ev);
	else
		dt_free(cap->mem, c->events);
	c->events = ev;
	c->cap_events = c->n_events;
	c->kept |= DT_CONN_KEPT_EVENTS;
}

void
dt_conn_keep_tunnel(struct dt_capture *cap, struct dt_conn *c)
{
	struct dt_tunnel_facts *f = c->tunnel, *k;
	size_t ni, ne;

	if (f == NULL || (c->kept & DT_CONN_KEPT_TUNNEL) ||
	    dt_mem_room(cap->mem) < INTERN_ROOM)
		return;
	/* the lists after the struct, each 8-aligned */
	ni = f->ike != NULL ? (f->n_ike * sizeof *f->ike + 7) & ~(size_t)7 : 0;
	ne = f->esp != NULL ? f->n_esp * sizeof *f->esp : 0;
	if ((k = dt_capture_keep(cap, sizeof *k + ni + ne)) == NULL)
		return;
	memcpy(k, f, sizeof *k);
	if (f->ike != NULL) {
		k->ike = (struct dt_tun_ike *)(k + 1);
		memcpy(k->ike, f->ike, f->n_ike * sizeof *f->ike);
	}
	if (f->esp != NULL) {
		k->esp = (struct dt_tun_esp *)((unsigned char *)(k + 1) + ni);
		memcpy(k->esp, f->esp, f->n_esp * sizeof *f->esp);
	}
	dt_tunnel_facts_free(cap->mem, f);
	c->tunnel = k;
	c->kept |= DT_CONN_KEPT_TUNNEL;
}

void
dt_conn_timeline_free(struct dt_mem *m, struct dt_conn *c)
{
	if (!(c->kept & DT_CONN_KEPT_EVENTS))
		dt_free(m, c->events);
	c->events = NULL;
	c->n_events = c->cap_events = 0;
	c->kept &= (uint8_t)~DT_CONN_KEPT_EVENTS;
	if (c->rare != NULL) {
		dt_free(m, c->rare->wide);
		dt_free(m, c->rare->drop);
	}
	dt_free(m, c->rare);
	c->rare = NULL;
}

static void
dt_conn_free(struct dt_mem *m, struct dt_conn *c)
{
	if (c == NULL)
		return;
	dt_conn_timeline_free(m, c);
	if (c->tls != &dt_tls_none) {
		int kept = c->tls->kept & DT_TLS_KEPT_STRUCT;

		dt_tls_facts_clear(m, c->tls);
		if (!kept)
			dt_free(m, c->tls);
	}
	if (!(c->kept & DT_CONN_KEPT_TUNNEL))
		dt_tunnel_facts_free(m, c->tunnel);
	if (!(c->kept & DT_CONN_KEPT_STRUCT))
		dt_free(m, c);
}

void
dt_capture_api_texts_free(struct dt_capture *cap)
{
	struct dt_mem rm;

	dt_mem_reader(&rm, cap->mem);
	while (cap->api_blocks != NULL) {
		struct dt_api_block *b = cap->api_blocks;

		cap->api_blocks = b->next;
		dt_free(&rm, b);
	}
}

void
dt_capture_free(struct dt_capture *cap)
{
	struct dt_mem *m;
	size_t i;

	if (cap == NULL)
		return;
	m = cap->mem;
	dt_free(m, cap->providers);
	while (cap->winevents != NULL) {
		struct dt_winevent *w = cap->winevents;
		cap->winevents = w->next;
		dt_free(m, w);
	}
	while (cap->conns != NULL) {
		struct dt_conn *c = cap->conns;
		cap->conns = c->next;
		dt_conn_free(m, c);
	}
	dt_free(m, cap->dns_blocks);	/* the records are kept memory */
	while (cap->http != NULL) {
		struct dt_http *h = cap->http;
		cap->http = h->next;
		dt_free(m, h->method);
		dt_free(m, h->uri);
		dt_free(m, h->host);
		dt_free(m, h->status_line);
		dt_free(m, h);
	}
	while (cap->verdicts != NULL) {
		struct dt_verdict *v = cap->verdicts;
		cap->verdicts = v->next;
		if (!(v->shared_text & (1 | 4)))
			dt_free(m, v->explanation);
		if (!(v->shared_text & (2 | 8)))
			dt_free(m, v->remedy);
		if (v->kept)
			continue;	/* kept memory, summary with it */
		if (dt_verdict_frames_owned(v))
			dt_free(m, v->frames);
		dt_free(m, v->summary);
		dt_free(m, v);
	}
	for (i = 0; i < cap->n_texts; i++)
		dt_free(m, cap->texts[i]);
	dt_free(m, cap->texts);
	for (i = 0; i < cap->n_errors; i++)
		dt_free(m, cap->errors[i].message);
	dt_free(m, cap->errors);
	dt_free(m, cap->linktypes);
	dt_free(m, cap->path);
	dt_free(m, cap->strs);
	dt_free(m, cap->lists);
	dt_capture_api_texts_free(cap);
	dt_capture_spares_free(cap);
	for (i = 0; i < DT_KEEP_KINDS; i++)
		while (cap->keep[i] != NULL) {
			struct dt_keep *k = cap->keep[i];

			cap->keep[i] = k->next;
			if (spilled(cap, k))
				dt_mem_uncharge(m, sizeof *k + k->size);
			else
				dt_free(m, k);
		}
	if (cap->spill != NULL)
		dt_spill_close(cap->spill);
	dt_free(m, cap);
}

size_t
dt_put_uint(char *p, unsigned v)
{
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324"
	    "25262728293031323334353637383940414243444546474849"
	    "50515253545556575859606162636465666768697071727374"
	    "75767778798081828384858687888990919293949596979899";
	size_t n = 1, k;
	unsigned t;

	/* the count first, then the digits from the last, two a step (a
	   port's five were 92 instructions a byte at a time, reversed) */
	for (t = v; t >= 10; t /= 10)
		n++;
	for (k = n; v >= 100; v /= 100, k -= 2)
		memcpy(p + k - 2, pairs + 2 * (v % 100), 2);
	if (v >= 10)
		memcpy(p, pairs + 2 * v, 2);
	else
		p[0] = (char)('0' + v);
	return n;
}

/* A byte's decimal digits and, last, their count ("255" 3, "7" 1): made
   at compile time, a dotted quad is four copies of four bytes (the
   digits worked out a byte at a time were 119 instructions an address,
   4.1 M of the 100 MB bench day's JSON report). */
#define QD(v)	((v) >= 100 ? (v) / 100 : (v) >= 10 ? (v) / 10 : (v))
#define QE(v)	{ (char)('0' + QD(v)), \
		  (char)((v) >= 100 ? '0' + (v) / 10 % 10 : \
		      (v) >= 10 ? '0' + (v) % 10 : 0), \
		  (char)((v) >= 100 ? '0' + (v) % 10 : 0), \
		  (char)((v) >= 100 ? 3 : (v) >= 10 ? 2 : 1) }
#define QE4(v)	QE(v), QE((v) + 1), QE((v) + 2), QE((v) + 3)
#define QE16(v)	QE4(v), QE4((v) + 4), QE4((v) + 8), QE4((v) + 12)
#define QE64(v)	QE16(v), QE16((v) + 16), QE16((v) + 32), QE16((v) + 48)
static const char quad_byte[256][4] = {
	QE64(0), QE64(64), QE64(128), QE64(192)
};
#undef QD
#undef QE
#undef QE4
#undef QE16
#undef QE64

/* A dotted quad at p; up to 3 bytes after it are written over (p has
   room for INET6_ADDRSTRLEN, a quad takes at most 15 bytes). */
static size_t
put_ip4(char *p, const uint8_t *b)
{
	const char *d;
	size_t k = 0, i;

	for (i = 0; i < 4; i++) {
		d = quad_byte[b[i]];
		memcpy(p + k, d, 4);
		k += (size_t)d[3];
		p[k++] = '.';
	}
	return k - 1;
}

/* Each byte's two lower-case hex digits. */
static const char hex_byte[513] =
	    "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f"
	    "202122232425262728292a2b2c2d2e2f"
	    "303132333435363738393a3b3c3d3e3f"
	    "404142434445464748494a4b4c4d4e4f"
	    "505152535455565758595a5b5c5d5e5f"
	    "606162636465666768696a6b6c6d6e6f"
	    "707172737475767778797a7b7c7d7e7f"
	    "808182838485868788898a8b8c8d8e8f"
	    "909192939495969798999a9b9c9d9e9f"
	    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	    "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* A group of an IPv6 address at p in lower-case hex without leading
   zeros, a byte's digits at a time (the digit loop was most of 373
   instructions an address, the digits made four at once then copied
   still 33 a group). Their count. */
static inline size_t
put_group(char *p, unsigned w)
{
	const char *hi = hex_byte + 2 * (w >> 8), *lo = hex_byte + 2 * (w & 255);

	if (w < 0x100) {
		if (w < 0x10) {
			p[0] = lo[1];
			return 1;
		}
		memcpy(p, lo, 2);
		return 2;
	}
	if (w < 0x1000) {
		p[0] = hi[1];
		memcpy(p + 1, lo, 2);
		return 3;
	}
	memcpy(p, hi, 2);
	memcpy(p + 2, lo, 2);
	return 4;
}

/*
 * IPv6 as glibc's inet_ntop() writes it (the reports are compared byte
 * for byte; it goes through sprintf() per group, 3,000 instructions an
 * address): groups in lower-case hex without leading zeros, the first
 * longest run of two or more zero groups as "::", and after 96 zero bits
 * or 80 zero bits and ffff (IPv4-compatible and -mapped) the last 32 bits
 * as a dotted quad.
 */
static size_t
put_ip6(char *p, const uint8_t *b)
{
	unsigned zero, r;
	int i, best = 8, end = 8;	/* the run written "::", [best, end) */
	size_t k = 0;

	/* bit i: group i is zero; the first longest run of two or more
	   from the bits: r keeps the groups that begin a run of len zero
	   groups, len growing while some does */
#define ZG(i)	((unsigned)((b[2 * (i)] | b[2 * (i) + 1]) == 0) << (i))
	zero = ZG(0) | ZG(1) | ZG(2) | ZG(3) | ZG(4) | ZG(5) | ZG(6) | ZG(7);
#undef ZG
	if ((r = zero & zero >> 1) != 0) {
		int len = 2;

		for (; (r & zero >> len) != 0; len++)
			r &= zero >> len;
		best = __builtin_ctz(r);
		end = best + len;
	}
	/* the groups before the run, ':' between them; the run; the
	   groups after it */
	for (i = 0; i < best; i++) {
		if (i != 0)
			p[k++] = ':';
		k += put_group(p + k, (unsigned)b[2 * i] << 8 | b[2 * i + 1]);
	}
	if (best == 8)
		return k;
	p[k++] = ':';
	p[k++] = ':';
	if (best == 0 && end == 5 && b[10] == 0xff && b[11] == 0xff) {
		memcpy(p + k, "ffff:", 5);
		return k + 5 + put_ip4(p + k + 5, b + 12);
	}
	if (best == 0 && end == 6)
		return k + put_ip4(p + k, b + 12);
	for (i = end; i < 8; i++) {
		if (i != end)
			p[k++] = ':';
		k += put_group(p + k, (unsigned)b[2 * i] << 8 | b[2 * i + 1]);
	}
	return k;
}

size_t
dt_addr_put(char *p, const struct dt_addr *a)
{
	return a->family == 6 ? put_ip6(p, a->a) : put_ip4(p, a->a);
}

/* Once per connection, twice (snprintf was most of the cost of a new
   connection). */
void
dt_addr_format(const struct dt_addr *a, uint16_t port, char *out,
    size_t outlen)
{
	char buf[INET6_ADDRSTRLEN + 16];
	size_t k = 0;

	if (outlen == 0)
		return;
	if (a->family == 6) {
		buf[k++] = '[';
		k += dt_addr_put(buf + k, a);
		buf[k++] = ']';
	} else
		k += dt_addr_put(buf, a);
	buf[k++] = ':';
	k += dt_put_uint(buf + k, port);
	if (k >= outlen)
		k = outlen - 1;
	memcpy(out, buf, k);
	out[k] = '\0';
}
