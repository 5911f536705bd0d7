/*
 * The performance work keeps answers exact: the x509 certificate cache
 * (each distinct DER parsed once per analyzer, shared read-only by the
 * connections), the remembered chain verdicts, the cached CertificateRequest
 * DN strings and the one-pass inspection-CA match give the same facts as
 * the plain calls, and what a finished connection keeps is bounded.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "testutil.h"
#include "analyzer_int.h"
#include "capture/capture_int.h"
#include "x509/x509.h"

#define CERTS TESTDATA_DIR "/certs/"
#define SCEN TESTDATA_DIR "/scenarios/"

static struct dt_mem mem;

static void
setup(void)
{
	dt_mem_init(&mem, NULL, NULL, 0);
}

static void
teardown(void)
{
	ck_assert_uint_eq(mem.used, 0);	/* every test frees what it made */
}

static uint8_t *
load(const char *name, size_t *len)
{
	char path[256];
	uint8_t *b;

	snprintf(path, sizeof path, CERTS "%s", name);
	b = tu_slurp(path, len);
	ck_assert_msg(b != NULL, "cannot read %s", path);
	return b;
}

static struct dt_x509_ctx *
ctx_with_anchors(void)
{
	struct dt_x509_ctx *x = NULL;
	char err[256];

	ck_assert_int_eq(dt_x509_ctx_new(&x, &mem, CERTS "ca-bundle.pem", NULL,
	    0, NULL, err, sizeof err), 0);
	return x;
}

static void
same_cert(const struct dt_cert *a, const struct dt_cert *b)
{
	size_t i;

	ck_assert_str_eq(a->subject, b->subject);
	ck_assert_str_eq(a->issuer, b->issuer);
	ck_assert_str_eq(a->serial, b->serial);
	ck_assert_str_eq(a->sha256, b->sha256);
	ck_assert_int_eq(a->not_before, b->not_before);
	ck_assert_int_eq(a->not_after, b->not_after);
	ck_assert_uint_eq(a->n_dns_names, b->n_dns_names);
	for (i = 0; i < a->n_dns_names; i++)
		ck_assert_str_eq(a->dns_names[i], b->dns_names[i]);
	ck_assert_uint_eq(a->n_crl_urls, b->n_crl_urls);
	for (i = 0; i < a->n_crl_urls; i++)
		ck_assert_str_eq(a->crl_urls[i], b->crl_urls[i]);
	ck_assert_int_eq(a->self_signed, b->self_signed);
	ck_assert_int_eq(a->server_auth, b->server_auth);
	ck_assert_str_eq(a->key_type, b->key_type);
	ck_assert_uint_eq(a->key_bits, b->key_bits);
	ck_assert_str_eq(a->sig_alg, b->sig_alg);
	ck_assert_uint_eq(a->der_len, b->der_len);
	ck_assert_mem_eq(a->der, b->der, a->der_len);
}

/* ---- the certificate cache ---------------------------------------------- */

START_TEST(t_cache_same_facts)
{
	struct dt_x509_ctx *x = ctx_with_anchors();
	struct dt_cert plain, c1, c2, c3;
	uint8_t *b, *b2;
	size_t n, n2, bytes, used;
	uint64_t hits, misses;

	b = load("da-leaf.der", &n);
	b2 = load("issuing-ca.der", &n2);
	ck_assert_int_eq(dt_x509_parse(&mem, b, n, &plain), 0);
	ck_assert_int_eq(dt_x509_parse_cached(x, &mem, b, n, &c1), 0);
	used = mem.used;
	ck_assert_int_eq(dt_x509_parse_cached(x, &mem, b, n, &c2), 0);
	ck_assert_uint_eq(mem.used, used);	/* a hit allocates nothing */
	ck_assert_int_eq(dt_x509_parse_cached(x, &mem, b2, n2, &c3), 0);
	dt_x509_cache_stats(x, &hits, &misses, &bytes);
	ck_assert_uint_eq(hits, 1);
	ck_assert_uint_eq(misses, 2);
	ck_assert_uint_gt(bytes, n + n2);
	same_cert(&plain, &c1);
	same_cert(&plain, &c2);
	ck_assert_int_eq(plain.cached, 0);
	ck_assert_int_eq(c1.cached, 1);
	ck_assert_ptr_eq(c1.subject, c2.subject);	/* one copy */
	ck_assert_ptr_eq(c1.der, c2.der);
	ck_assert_ptr_ne(c1.der, b);		/* not the caller's bytes */
	ck_assert_str_eq(c3.subject, "CN=Corp Issuing CA 1,O=Corp Example,C=US");
	/* clearing a shared certificate forgets it, frees nothing */
	used = mem.used;
	dt_cert_clear(&mem, &c1);
	ck_assert_uint_eq(mem.used, used);
	ck_assert_ptr_null(c1.subject);
	ck_assert_str_eq(c2.subject, plain.subject);	/* still there */
	dt_cert_clear(&mem, &c2);
	dt_cert_clear(&mem, &c3);
	dt_cert_clear(&mem, &plain);
	dt_x509_ctx_free(x);			/* frees the entries */
	free(b);
	free(b2);
}
END_TEST

START_TEST(t_cache_parse_error)
{
	struct dt_x509_ctx *x = ctx_with_anchors();
	struct dt_cert plain, c1, c2;
	uint8_t *b;
	size_t n;

	b = load("truncated.der", &n);
	ck_assert_int_eq(dt_x509_parse(&mem, b, n, &plain), -1);
	ck_assert_int_eq(dt_x509_parse_cached(x, &mem, b, n, &c1), -1);
	ck_assert_int_eq(dt_x509_parse_cached(x, &mem, b, n, &c2), -1);
	ck_assert_ptr_nonnull(c2.parse_error);
	ck_assert_str_eq(c2.parse_error, plain.parse_error);
	ck_assert_str_eq(c2.sha256, plain.sha256);
	ck_assert_int_eq(mem.failed, 0);
	/* no DER, no context: the plain parser's answers */
	ck_assert_int_eq(dt_x509_parse_cached(x, &mem, NULL, 0, &c1), -1);
	ck_assert_int_eq(c1.cached, 0);
	dt_cert_clear(&mem, &c1);
	ck_assert_int_eq(dt_x509_parse_cached(NULL, &mem, b, n, &c1), -1);
	ck_assert_int_eq(c1.cached, 0);
	ck_assert_str_eq(c1.parse_error, plain.parse_error);
	dt_cert_clear(&mem, &c1);
	dt_cert_clear(&mem, &c2);
	dt_cert_clear(&mem, &plain);
	dt_x509_ctx_free(x);
	free(b);
}
END_TEST

/* Under a memory cap every allocation may fail: no leak, no false fact. */
START_TEST(t_cache_nomem)
{
	struct dt_x509_ctx *x;
	struct dt_mem capped;
	struct dt_cert c;
	uint8_t *b;
	size_t n, cap;
	char err[256];
	int ok = 0;

	b = load("da-leaf.der", &n);
	for (cap = 16384; cap < 200000 && !ok; cap += 512) {
		dt_mem_init(&capped, NULL, NULL, cap);
		x = NULL;
		if (dt_x509_ctx_new(&x, &capped, NULL, NULL, 0, NULL, err,
		    sizeof err) != 0)
			continue;
		if (dt_x509_parse_cached(x, &capped, b, n, &c) == 0) {
			ck_assert_str_eq(c.subject, "CN=da.corp.example,O=Corp Example");
			ok = 1;
		} else {
			ck_assert_ptr_null(c.subject);
		}
		dt_cert_clear(&capped, &c);
		dt_x509_ctx_free(x);
		ck_assert_uint_eq(capped.used, 0);
	}
	ck_assert_int_eq(ok, 1);
	free(b);
}
END_TEST

/* The remembered verdict of a chain of cached certificates is the one the
   plain certificates get, every time, for every outcome. */
START_TEST(t_chain_verdict_remembered)
{
	static const char *const chains[][4] = {
		{ "da-leaf.der", "issuing-ca.der", NULL },
		{ "da-leaf.der", NULL },
		{ "issuing-ca.der", "da-leaf.der", NULL },
		{ "evil-leaf.der", "evil-root.der", NULL },
		{ "mitm-leaf.der", "fortinet-ca.der", NULL },
		{ "truncated.der", "issuing-ca.der", NULL },
	};
	struct dt_x509_ctx *x = ctx_with_anchors();
	struct dt_cert plain[4], shared[4];
	size_t i, j, n, len, k, outcomes[4] = { 0 };
	enum dt_chain want, got;
	char *why0, *why;
	uint8_t *b;

	for (i = 0; i < sizeof chains / sizeof chains[0]; i++) {
		for (n = 0; chains[i][n] != NULL; n++) {
			b = load(chains[i][n], &len);
			(void)dt_x509_parse(&mem, b, len, &plain[n]);
			(void)dt_x509_parse_cached(x, &mem, b, len, &shared[n]);
			free(b);
		}
		want = dt_x509_verify_chain(x, &mem, plain, n, 0, &why0);
		outcomes[want]++;
		for (k = 0; k < 3; k++) {
			got = dt_x509_verify_chain(x, &mem, shared, n, 0, &why);
			ck_assert_int_eq(got, want);
			if (why0 == NULL) {
				ck_assert_ptr_null(why);
			} else {
				ck_assert_ptr_nonnull(why);
				ck_assert_str_eq(why, why0);
			}
			dt_free(&mem, why);
		}
		dt_free(&mem, why0);
		for (j = 0; j < n; j++) {
			dt_cert_clear(&mem, &plain[j]);
			dt_cert_clear(&mem, &shared[j]);
		}
	}
	/* the cases cover trusted, untrusted and broken chains */
	ck_assert_uint_gt(outcomes[DT_CHAIN_OK], 0);
	ck_assert_uint_gt(outcomes[DT_CHAIN_UNTRUSTED], 0);
	ck_assert_uint_gt(outcomes[DT_CHAIN_BAD], 0);
	dt_x509_ctx_free(x);
}
END_TEST

START_TEST(t_dn_string_cached)
{
	/* SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "Corp Root CA" } } } */
	static const uint8_t dn[] = {
		0x30, 0x17, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04,
		0x03, 0x0c, 0x0c, 'C', 'o', 'r', 'p', ' ', 'R', 'o', 'o', 't',
		' ', 'C', 'A',
	};
	struct dt_x509_ctx *x = ctx_with_anchors();
	char *a, *b, *c;

	a = dt_x509_dn_string(&mem, dn, sizeof dn);
	b = dt_x509_dn_string_cached(x, &mem, dn, sizeof dn);
	c = dt_x509_dn_string_cached(x, &mem, dn, sizeof dn);
	ck_assert_str_eq(a, "CN=Corp Root CA");
	ck_assert_str_eq(b, a);
	ck_assert_str_eq(c, a);
	ck_assert_ptr_ne(b, c);			/* each caller owns its copy */
	dt_free(&mem, a);
	dt_free(&mem, b);
	dt_free(&mem, c);
	/* unreadable stays unreadable */
	ck_assert_ptr_null(dt_x509_dn_string_cached(x, &mem, dn, 5));
	ck_assert_ptr_null(dt_x509_dn_string_cached(x, &mem, dn, 5));
	dt_x509_ctx_free(x);
}
END_TEST

/* ---- inspection CAs: one lower-case pass, same answers ------------------- */

START_TEST(t_inspection_match)
{
	static const char *const extra[] = { "Corp MITM", "", NULL };
	const char *frag, *p;
	char *big;
	size_t i;

	p = dt_x509_inspection_ca_match("CN=FORTINET_ca_SSL,O=Fortinet", NULL,
	    &frag);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(frag);
	ck_assert_int_eq(strcasecmp(frag, "Fortinet_CA_SSL") == 0 ||
	    strcasestr("CN=FORTINET_ca_SSL,O=Fortinet", frag) != NULL, 1);
	ck_assert_ptr_null(dt_x509_inspection_ca_match("CN=Corp Issuing CA 1",
	    NULL, &frag));
	ck_assert_ptr_null(frag);
	p = dt_x509_inspection_ca_match("CN=x,O=corp mitm inc", extra, &frag);
	ck_assert_str_eq(p, "Corp MITM");
	ck_assert_str_eq(frag, "Corp MITM");
	ck_assert_ptr_null(dt_x509_inspection_ca_match("", extra, NULL));
	ck_assert_ptr_null(dt_x509_inspection_ca_match(NULL, extra, NULL));
	/* longer than any certificate DN: still searched */
	big = malloc(20001);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < 20000; i++)
		big[i] = 'a';
	memcpy(big + 19990, "CORP MITM", 9);
	big[20000] = '\0';
	ck_assert_str_eq(dt_x509_inspection_ca_match(big, extra, NULL),
	    "Corp MITM");
	free(big);
}
END_TEST

/* ---- through the analyzer ----------------------------------------------- */

/* Two captures of the same server in one analyzer: the second one's
   certificates are the first one's, parsed once. */
START_TEST(t_analyzer_shares_certs)
{
	const char *f = SCEN "ok-null-openssl.pcap";
	dt_analyzer *a;
	struct dt_capture *c0, *c1;
	const struct dt_cert *l0 = NULL, *l1 = NULL;
	struct dt_conn *c;
	uint64_t hits, misses;
	size_t bytes;

	if (!tu_exists(f))
		return;
	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_file(a, f), 0);
	ck_assert_int_eq(dt_analyze_file(a, f), 0);
	c0 = a->caps[0];
	c1 = a->caps[1];
	for (c = c0->conns; c != NULL && l0 == NULL; c = c->next)
		if (c->tls->n_server_certs > 0)
			l0 = &c->tls->server_certs[0];
	for (c = c1->conns; c != NULL && l1 == NULL; c = c->next)
		if (c->tls->n_server_certs > 0)
			l1 = &c->tls->server_certs[0];
	ck_assert_ptr_nonnull(l0);
	ck_assert_ptr_nonnull(l1);
	ck_assert_int_eq(l1->cached, 1);
	ck_assert_ptr_eq(l0->subject, l1->subject);
	ck_assert_str_eq(l0->sha256, l1->sha256);
	dt_x509_cache_stats(a->x509, &hits, &misses, &bytes);
	ck_assert_uint_ge(hits, 1);
	ck_assert_uint_ge(misses, 1);
	dt_analyzer_free(a);
}
END_TEST

/* ---- several captures on several threads, one document ---------------- */

struct worker {
	const char *path;
	dt_analyzer *a;
	int rc;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	dt_options o = DT_OPTIONS_INIT;

	o.all = 1;
	w->rc = dt_analyzer_new(&w->a, &o);
	if (w->rc == 0)
		w->rc = dt_analyze_file(w->a, w->path);
	return NULL;
}

static char *
json_of(const dt_analyzer *a, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(dt_write_json(a, fp, 0), 0);
	fclose(fp);
	*len = n;
	return buf;
}

START_TEST(t_adopt_threads_same_document)
{
	static const char *const files[] = {
		SCEN "ok-null-openssl.pcap",
		SCEN "no-common-cipher-openssl.pcap",
		SCEN "client-cert-missing-openssl.pcap",
		SCEN "ok-null-openssl.pcap",
	};
	enum { N = sizeof files / sizeof files[0] };
	struct worker w[N];
	pthread_t th[N];
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *serial, *merged;
	char *j1, *j2;
	size_t i, n1, n2;

	for (i = 0; i < N; i++)
		if (!tu_exists(files[i]))
			return;
	o.all = 1;
	ck_assert_int_eq(dt_analyzer_new(&serial, &o), 0);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(dt_analyze_file(serial, files[i]), 0);
	for (i = 0; i < N; i++) {
		w[i].path = files[i];
		w[i].a = NULL;
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].rc, 0);
	}
	ck_assert_int_eq(dt_analyzer_new(&merged, &o), 0);
	ck_assert_int_eq(dt_analyzer_adopt(merged, merged), DT_EINVAL);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(dt_analyzer_adopt(merged, w[i].a), 0);
	ck_assert_uint_eq(dt_analyzer_capture_count(merged), N);
	ck_assert_int_eq(dt_analyzer_worst(merged), dt_analyzer_worst(serial));
	j1 = json_of(serial, &n1);
	j2 = json_of(merged, &n2);
	ck_assert_uint_gt(n1, 1000);
	ck_assert_uint_eq(n1, n2);
	ck_assert_str_eq(j1, j2);
	free(j1);
	free(j2);
	dt_analyzer_free(serial);
	dt_analyzer_free(merged);		/* and the adopted ones */
}
END_TEST

/* What a finished connection keeps: its certificates' DER only once per
   distinct certificate (in the cache), its timeline cut to length. */
START_TEST(t_finished_conn_trimmed)
{
	const char *f = SCEN "ok-null-openssl.pcap";
	dt_analyzer *a;
	struct dt_conn *c;
	size_t k, n = 0;

	if (!tu_exists(f))
		return;
	ck_assert_int_eq(dt_analyzer_new(&a, NULL), 0);
	ck_assert_int_eq(dt_analyze_file(a, f), 0);
	for (c = a->caps[0]->conns; c != NULL; c = c->next) {
		ck_assert_uint_eq(c->cap_events, c->n_events);
		for (k = 0; k < c->tls->n_server_certs; k++, n++) {
			ck_assert_int_eq(c->tls->server_certs[k].cached, 1);
			ck_assert_ptr_nonnull(c->tls->server_certs[k].der);
		}
	}
	ck_assert_uint_gt(n, 0);
	dt_analyzer_free(a);
}
END_TEST

/* ---- dt_options.map_files ---------------------------------------------- */

/* Every capture of testdata (pcap, pcapng, ETL, the damaged ones) read
   through a mapping and by read(2) gives the same JSON document, byte for
   byte; and mapping is the caller's choice, off by default. */
START_TEST(t_map_files_same_document)
{
	static const char *const dirs[] = { TESTDATA_DIR "/scenarios",
	    TESTDATA_DIR "/formats", TESTDATA_DIR "/etw",
	    TESTDATA_DIR "/netem" };
	dt_options o = DT_OPTIONS_INIT, d;
	dt_analyzer *a[2];
	char path[512], *j[2];
	struct dirent *e;
	size_t i, n[2], files = 0;
	int k, rc[2];
	DIR *dir;

	dt_options_init(&d);
	ck_assert_int_eq(d.map_files, 0);
	o.all = 1;
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if ((dir = opendir(dirs[i])) == NULL)
			continue;
		while ((e = readdir(dir)) != NULL) {
			if (e->d_name[0] == '.' || e->d_type != DT_REG)
				continue;
			snprintf(path, sizeof path, "%s/%s", dirs[i], e->d_name);
			for (k = 0; k < 2; k++) {
				o.map_files = k;
				ck_assert_int_eq(dt_analyzer_new(&a[k], &o), 0);
				ck_assert_int_eq(a[k]->map_files, k);
				rc[k] = dt_analyze_file(a[k], path);
				j[k] = json_of(a[k], &n[k]);
			}
			ck_assert_msg(n[0] == n[1] && memcmp(j[0], j[1], n[0]) == 0,
			    "%s: the mapped file's document differs", path);
			ck_assert_int_eq(rc[1], rc[0]);
			ck_assert_str_eq(dt_analyzer_errmsg(a[1]),
			    dt_analyzer_errmsg(a[0]));
			for (k = 0; k < 2; k++) {
				free(j[k]);
				dt_analyzer_free(a[k]);
			}
			files++;
		}
		closedir(dir);
	}
	ck_assert_uint_gt(files, 50);
}
END_TEST

/* ---- classic pcap records read without libpcap's copy ------------------ */

/* Every packet (frame, time, link type, lengths, offset, bytes) and the
   final fault, as one string, for one way of reading. */
enum { VIA_FILE, VIA_MEM, VIA_FP, VIA_MAP };

static char *
read_all(const char *path, const uint8_t *buf, size_t len, int via,
    int libpcap, int *fast_used)
{
	struct dt_mem m;
	struct dt_reader *r;
	struct dt_packet pkt;
	char err[512], line[256], *out = NULL;
	size_t n = 0;
	FILE *fp = NULL, *acc;
	uint64_t off = 0, h;
	const char *fault;
	uint32_t i;
	int rc;

	dt_mem_init(&m, NULL, NULL, 0);
	acc = open_memstream(&out, &n);
	ck_assert_ptr_nonnull(acc);
	if (via == VIA_FILE) {
		rc = dt_reader_open_file(&r, &m, path, err, sizeof err, &off);
	} else if (via == VIA_MAP) {
		rc = dt_reader_open_map(&r, &m, path, err, sizeof err, &off);
	} else if (via == VIA_MEM) {
		rc = dt_reader_open_mem(&r, &m, buf, len, err, sizeof err, &off);
	} else {
		fp = fmemopen((void *)(uintptr_t)buf, len, "rb");
		ck_assert_ptr_nonnull(fp);
		rc = dt_reader_open_fp(&r, &m, fp, err, sizeof err, &off);
	}
	if (rc != 0) {
		fprintf(acc, "open %d %llu %s\n", rc, (unsigned long long)off,
		    err);
	} else {
		if (libpcap)
			dt_reader_use_libpcap(r);
		*fast_used |= dt_reader_in_place(r);
		while (dt_reader_next(r, &pkt) == 0) {
			for (h = 1469598103934665603ull, i = 0; i < pkt.caplen; i++)
				h = (h ^ pkt.data[i]) * 1099511628211ull;
			snprintf(line, sizeof line, "%llu %lld %d %u %u %llu %llx\n",
			    (unsigned long long)pkt.frame, (long long)pkt.time,
			    pkt.linktype, pkt.caplen, pkt.origlen,
			    (unsigned long long)pkt.offset,
			    (unsigned long long)h);
			fputs(line, acc);
		}
		fault = dt_reader_error(r, &off);
		fprintf(acc, "end %llu %s\n", (unsigned long long)off,
		    fault != NULL ? fault : "-");
		dt_reader_close(r);
	}
	if (fp != NULL)
		fclose(fp);
	fclose(acc);
	ck_assert_uint_eq(m.used, 0);
	return out;
}

static void
same_both_ways(const char *path, const uint8_t *buf, size_t len,
    int *fast_used)
{
	char *file = NULL;
	int via;

	for (via = VIA_FILE; via <= VIA_MAP; via++) {
		char *a = read_all(path, buf, len, via, 0, fast_used);
		char *b = read_all(path, buf, len, via, 1, fast_used);

		ck_assert_msg(strcmp(a, b) == 0, "%s (way %d): ours\n%.600s\n"
		    "libpcap\n%.600s", path, via, a, b);
		/* a mapped file reads as read(2) reads it */
		if (via == VIA_FILE)
			file = a;
		else if (via == VIA_MAP)
			ck_assert_msg(strcmp(a, file) == 0, "%s mapped\n%.600s\n"
			    "read\n%.600s", path, a, file);
		if (a != file)
			free(a);
		free(b);
	}
	free(file);
}

/* A new file each time: truncating the last one would make ext4 flush it
   to disk on close (auto_da_alloc, for files replaced by truncation), one
   wait on the disk per variant, minutes when the machine is busy. */
static void
write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *fp;

	(void)unlink(path);
	fp = fopen(path, "wb");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(b, 1, n, fp), n);
	fclose(fp);
}

static void
put32(uint8_t *p, uint32_t v, int le)
{
	int i;

	for (i = 0; i < 4; i++)
		p[le ? i : 3 - i] = (uint8_t)(v >> (8 * i));
}

/* The record headers of a classic pcap: their offsets. */
static size_t
records(const uint8_t *b, size_t n, size_t *offs, size_t max)
{
	int le = b[0] == 0xd4 || b[0] == 0x4d;
	size_t off = 24, k = 0;

	while (off + 16 <= n && k < max) {
		const uint8_t *h = b + off + 8;
		uint32_t cl = le ? (uint32_t)(h[0] | h[1] << 8 | h[2] << 16 |
		    (uint32_t)h[3] << 24) : (uint32_t)(h[3] | h[2] << 8 |
		    h[1] << 16 | (uint32_t)h[0] << 24);

		offs[k++] = off;
		if (cl > n)
			break;
		off += 16 + cl;
	}
	return k;
}

START_TEST(t_pcap_fast_reader_same_as_libpcap)
{
	static const char *const dirs[] = { TESTDATA_DIR "/formats",
	    TESTDATA_DIR "/scenarios", TESTDATA_DIR "/netem",
	    "tests/fuzz/corpus/capture" };
	char tmp[64];	/* per process: make check and make asan may run at once */
	char path[512];
	struct dirent *e;
	size_t i, k, n, nrec, offs[64], files = 0, variants = 0;
	uint8_t *b, *v;
	int fast_used = 0, le;
	struct stat st;
	DIR *d;

	snprintf(tmp, sizeof tmp, "test_perf.%ld.tmp.pcap", (long)getpid());
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if ((d = opendir(dirs[i])) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			snprintf(path, sizeof path, "%s/%s", dirs[i], e->d_name);
			if (e->d_name[0] == '.' || stat(path, &st) != 0 ||
			    !S_ISREG(st.st_mode) || st.st_size > (64 << 20) ||
			    (b = tu_slurp(path, &n)) == NULL)
				continue;
			if (n < 24 || !(b[0] == 0xd4 || b[0] == 0x4d ||
			    b[0] == 0xa1)) {
				free(b);
				continue;
			}
			files++;
			same_both_ways(path, b, n, &fast_used);
			/* damaged copies: cut anywhere near the records,
			   lengths past the snapshot and past the maximum,
			   versions whose caplen/len are swapped */
			le = b[0] != 0xa1;
			nrec = records(b, n, offs, 64);
			v = malloc(n + 1);
			ck_assert_ptr_nonnull(v);
			for (k = 0; k < nrec && k < 6; k++) {
				size_t cuts[] = { offs[k] + 5, offs[k] + 16,
				    offs[k] + 30 };
				size_t c;

				for (c = 0; c < 3; c++) {
					if (cuts[c] >= n)
						continue;
					write_file(tmp, b, cuts[c]);
					same_both_ways(tmp, b, cuts[c], &fast_used);
					variants++;
				}
				memcpy(v, b, n);
				put32(v + offs[k] + 8, 300000, le);
				write_file(tmp, v, n);
				same_both_ways(tmp, v, n, &fast_used);
				memcpy(v, b, n);
				put32(v + 16, 40, le);		/* snaplen 40 */
				write_file(tmp, v, n);
				same_both_ways(tmp, v, n, &fast_used);
				memcpy(v, b, n);
				v[le ? 6 : 7] = (uint8_t)(k % 4);	/* 2.0-2.3 */
				write_file(tmp, v, n);
				same_both_ways(tmp, v, n, &fast_used);
				variants += 3;
			}
			free(v);
			free(b);
		}
		closedir(d);
	}
	unlink(tmp);
	ck_assert_uint_gt(files, 10);
	ck_assert_uint_gt(variants, 100);
	ck_assert_int_eq(fast_used, 1);
}
END_TEST

static Suite *
perf_suite(void)
{
	Suite *s = suite_create("perf");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_cache_same_facts);
	tcase_add_test(tc, t_cache_parse_error);
	tcase_add_test(tc, t_cache_nomem);
	tcase_add_test(tc, t_chain_verdict_remembered);
	tcase_add_test(tc, t_dn_string_cached);
	tcase_add_test(tc, t_inspection_match);
	tcase_add_test(tc, t_analyzer_shares_certs);
	tcase_add_test(tc, t_adopt_threads_same_document);
	tcase_add_test(tc, t_finished_conn_trimmed);
	tcase_add_test(tc, t_pcap_fast_reader_same_as_libpcap);
	tcase_add_test(tc, t_map_files_same_document);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(perf_suite)
