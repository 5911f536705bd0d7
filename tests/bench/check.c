/*
 * bench-check: compare datrace's JSON (`datrace [--host NAME] -f json`)
 * with the generator's manifest (tests/bench/gen.c). Every ClientHello and
 * every alert in the right frame, each connection judged IP-HTTPS or not
 * as the generator made it (when the JSON was made with --host), every DNS
 * query with its answer (frames, rcode, whether it held an address, the
 * first CNAME), every HTTP exchange (frames, status), and nothing more:
 * prints the counts and exits 1 on any difference.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct want {
	char key[80];			/* client (tls, http) or query frame (dns) */
	char name[80], cname[80];
	unsigned long long a, b;	/* frames */
	int iphttps, type, rcode, addrs, status;
	int seen;
};

struct table {
	struct want *w;
	size_t n, cap;
	unsigned long long found, wrong, extra;
};

static int
by_key(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->key,
	    ((const struct want *)b)->key);
}

static struct want *
add(struct table *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->w = realloc(t->w, t->cap * sizeof *t->w);
		if (t->w == NULL)
			exit(2);
	}
	memset(&t->w[t->n], 0, sizeof t->w[t->n]);
	return &t->w[t->n];
}

static struct want *
find(struct table *t, const char *key)
{
	struct want k, *x;

	snprintf(k.key, sizeof k.key, "%s", key);
	x = bsearch(&k, t->w, t->n, sizeof *t->w, by_key);
	if (x == NULL || x->seen) {
		t->extra++;
		return NULL;
	}
	x->seen = 1;
	t->found++;
	return x;
}

static void
wrong(struct table *t, const char *what, const char *key)
{
	if (t->wrong++ < 5)
		fprintf(stderr, "bench-check: %s %s differs from the manifest\n",
		    what, key);
}

static unsigned long long
num(json_t *o, const char *k)
{
	return (unsigned long long)json_integer_value(json_object_get(o, k));
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

int
main(int argc, char **argv)
{
	FILE *m;
	json_t *doc, *cap, *arr, *opts;
	json_error_t jerr;
	struct table tls = { 0 }, dns = { 0 }, http = { 0 };
	unsigned long long alerts_want = 0, alerts_found = 0;
	char line[1024];
	int by_host, ok;
	size_t i, k;

	if (argc != 3 || (m = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: bench-check MANIFEST.tsv DATRACE.json\n");
		return 2;
	}
	while (fgets(line, sizeof line, m) != NULL) {
		struct want *w;

		if (strncmp(line, "tls\t", 4) == 0) {
			w = add(&tls);
			if (sscanf(line, "tls\t%*u\t%*s\t%79s\t%llu\t%llu\t%d",
			    w->key, &w->a, &w->b, &w->iphttps) == 4) {
				alerts_want += w->b != 0;
				tls.n++;
			}
		} else if (strncmp(line, "dns\t", 4) == 0) {
			w = add(&dns);
			if (sscanf(line, "dns\t%79s\t%d\t%llu\t%llu\t%d\t%d\t%79s",
			    w->name, &w->type, &w->a, &w->b, &w->rcode,
			    &w->addrs, w->cname) == 7) {
				snprintf(w->key, sizeof w->key, "%llu", w->a);
				dns.n++;
			}
		} else if (strncmp(line, "http\t", 5) == 0) {
			w = add(&http);
			if (sscanf(line, "http\t%*u\t%*s\t%*s\t%llu\t%llu\t%d",
			    &w->a, &w->b, &w->status) == 3) {
				snprintf(w->key, sizeof w->key, "%llu", w->a);
				http.n++;
			}
		}
	}
	fclose(m);
	qsort(tls.w, tls.n, sizeof *tls.w, by_key);
	qsort(dns.w, dns.n, sizeof *dns.w, by_key);
	qsort(http.w, http.n, sizeof *http.w, by_key);
	doc = json_load_file(argv[2], 0, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "bench-check: %s: %s\n", argv[2], jerr.text);
		return 2;
	}
	opts = json_object_get(doc, "options");
	by_host = json_is_string(json_object_get(opts, "host"));
	cap = json_array_get(json_object_get(doc, "captures"), 0);

	arr = json_object_get(cap, "connections");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *c = json_array_get(arr, i), *t, *msgs, *alert;
		unsigned long long ch = 0, af = 0;
		struct want *x;

		t = json_object_get(c, "tls");
		if (!json_is_object(t))
			continue;
		msgs = json_object_get(t, "messages");
		for (k = 0; k < json_array_size(msgs) && ch == 0; k++)
			if (strcmp(str(json_array_get(msgs, k), "type"),
			    "client_hello") == 0)
				ch = num(json_array_get(msgs, k), "frame");
		alert = json_object_get(t, "alert");
		if (json_is_object(alert))
			af = num(alert, "frame");
		if (ch == 0 && af == 0)
			continue;	/* another protocol's bytes */
		if ((x = find(&tls, str(c, "client"))) == NULL)
			continue;
		alerts_found += af != 0;
		if (ch != x->a || af != x->b || (by_host &&
		    json_is_true(json_object_get(c, "iphttps")) != x->iphttps))
			wrong(&tls, "connection", x->key);
	}

	arr = json_object_get(cap, "dns");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *d = json_array_get(arr, i), *cn;
		char key[32];
		struct want *x;

		snprintf(key, sizeof key, "%llu", num(d, "query_frame"));
		if ((x = find(&dns, key)) == NULL)
			continue;
		cn = json_object_get(d, "cname");
		if (strcmp(str(d, "name"), x->name) != 0 ||
		    (int)num(d, "type") != x->type || num(d, "answer_frame") != x->b ||
		    (int)num(d, "rcode") != x->rcode ||
		    (json_array_size(json_object_get(d, "addresses")) > 0) != x->addrs ||
		    strcmp(json_is_string(cn) ? json_string_value(cn) : "-",
		    x->cname) != 0)
			wrong(&dns, "DNS query in frame", key);
	}

	arr = json_object_get(cap, "http");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *h = json_array_get(arr, i);
		char key[32];
		struct want *x;

		snprintf(key, sizeof key, "%llu", num(h, "request_frame"));
		if ((x = find(&http, key)) == NULL)
			continue;
		if (num(h, "response_frame") != x->b ||
		    (int)num(h, "status") != x->status)
			wrong(&http, "HTTP request in frame", key);
	}

	printf("ClientHellos %llu/%zu, alerts %llu/%llu, DNS %llu/%zu, HTTP "
	    "%llu/%zu, wrong %llu, spurious %llu\n", tls.found, tls.n,
	    alerts_found, alerts_want, dns.found, dns.n, http.found, http.n,
	    tls.wrong + dns.wrong + http.wrong, tls.extra + dns.extra + http.extra);
	ok = tls.found == tls.n && alerts_found == alerts_want &&
	    dns.found == dns.n && http.found == http.n &&
	    tls.wrong + dns.wrong + http.wrong == 0 &&
	    tls.extra + dns.extra + http.extra == 0;
	json_decref(doc);
	free(tls.w);
	free(dns.w);
	free(http.w);
	return ok ? 0 : 1;
}
