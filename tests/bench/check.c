/*
 * bench-check: compare datrace's JSON (`datrace --all -f json`) with the
 * generator's manifest. Every ClientHello and every alert must be found, in
 * the right frame, and nothing more: prints the counts and exits 1 on any
 * difference.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct want {
	char client[64];
	unsigned long long ch, alert;
	int seen;
};

static int
by_client(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->client,
	    ((const struct want *)b)->client);
}

int
main(int argc, char **argv)
{
	FILE *m;
	json_t *doc, *conns;
	json_error_t jerr;
	struct want *w = NULL;
	size_t nw = 0, cw = 0, i, k;
	char line[512];
	unsigned long long ch_found = 0, alerts_found = 0, alerts_want = 0;
	unsigned long long wrong = 0, extra = 0;

	if (argc != 3 || (m = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: bench-check MANIFEST.tsv DATRACE.json\n");
		return 2;
	}
	while (fgets(line, sizeof line, m) != NULL) {
		char kind[64];
		if (line[0] == '#')
			continue;
		if (nw == cw) {
			cw = cw ? cw * 2 : 1024;
			w = realloc(w, cw * sizeof *w);
		}
		memset(&w[nw], 0, sizeof w[nw]);
		if (sscanf(line, "%*u\t%63s\t%63s\t%llu\t%llu", kind, w[nw].client,
		    &w[nw].ch, &w[nw].alert) == 4) {
			alerts_want += w[nw].alert != 0;
			nw++;
		}
	}
	fclose(m);
	qsort(w, nw, sizeof *w, by_client);
	doc = json_load_file(argv[2], 0, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "bench-check: %s: %s\n", argv[2], jerr.text);
		return 2;
	}
	conns = json_object_get(json_array_get(json_object_get(doc, "captures"),
	    0), "connections");
	for (i = 0; i < json_array_size(conns); i++) {
		json_t *c = json_array_get(conns, i), *tls, *msgs, *alert;
		const char *client = json_string_value(json_object_get(c, "client"));
		unsigned long long ch = 0, af = 0;
		struct want *x = NULL;

		tls = json_object_get(c, "tls");
		if (!json_is_object(tls))
			continue;
		msgs = json_object_get(tls, "messages");
		for (k = 0; k < json_array_size(msgs); k++) {
			json_t *msg = json_array_get(msgs, k);
			if (strcmp(json_string_value(json_object_get(msg, "type")),
			    "client_hello") == 0 && ch == 0)
				ch = (unsigned long long)json_integer_value(
				    json_object_get(msg, "frame"));
		}
		alert = json_object_get(tls, "alert");
		if (json_is_object(alert))
			af = (unsigned long long)json_integer_value(
			    json_object_get(alert, "frame"));
		if (client != NULL) {
			struct want key;

			snprintf(key.client, sizeof key.client, "%s", client);
			x = bsearch(&key, w, nw, sizeof *w, by_client);
			if (x != NULL && x->seen)
				x = NULL;
		}
		if (x == NULL) {
			extra += ch != 0 || af != 0;
			continue;
		}
		x->seen = 1;
		ch_found += ch != 0;
		alerts_found += af != 0;
		if (ch != x->ch || af != x->alert) {
			if (wrong < 5)
				fprintf(stderr, "bench-check: %s: ClientHello %llu "
				    "(want %llu), alert %llu (want %llu)\n", client,
				    ch, x->ch, af, x->alert);
			wrong++;
		}
	}
	printf("ClientHellos %llu/%zu, alerts %llu/%llu, wrong %llu, spurious %llu\n",
	    ch_found, nw, alerts_found, alerts_want, wrong, extra);
	json_decref(doc);
	free(w);
	return (ch_found == nw && alerts_found == alerts_want && wrong == 0 &&
	    extra == 0) ? 0 : 1;
}
