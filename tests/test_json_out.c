/*
 * The JSON emitter (lib/report/json_out.c) against jansson, whose bytes
 * the document kept when the emitter replaced it: the same values written
 * by both, indented (JSON_INDENT(2)) and compact (jsonl), must give the
 * same text — escaping of quotes, backslash and every C0 control, '/',
 * DEL, multi-byte UTF-8 and U+2028/U+2029 as they are, an embedded NUL,
 * empty and nested containers, integer limits, a string longer than the
 * emitter's buffer. Invalid UTF-8: from the wire it becomes U+FFFD per
 * bad byte (what jansson was given after dt_utf8_clean()); our own text
 * is refused, as jansson refused it. Times: dt_report_time() against
 * gmtime_r() and snprintf(), what it was written with before; integers
 * against "%lld" and addresses (dt_addr_put) against inet_ntop().
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "report/json_int.h"
#include "testutil.h"

#define FLAGS(compact) \
	(JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | \
	((compact) ? JSON_COMPACT : JSON_INDENT(2)))

/* Strings jansson accepts (valid UTF-8), with their lengths. */
static const struct {
	const char *s;
	size_t n;
} valid[] = {
#define S(x) { x, sizeof x - 1 }
	S(""), S("da.corp.example"), S("say \"hello\""), S("C:\\Windows\\"),
	S("http://crl.corp.example/a/b.crl"),
	S("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"),
	S("\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"),
	S("tab\there\r\nline\bback\fform"), S("del\x7f end"),
	S("caf\xc3\xa9"), S("\xe2\x82\xac 5"),
	S("line\xe2\x80\xa8sep\xe2\x80\xa9para"), S("\xef\xbb\xbf" "bom"),
	S("\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"), S("\xc2\x80\xc2\x9f"),
	S("nul\0inside"), S("\"\\/\"\\"), S("<script>&amp;'</script>"),
#undef S
};

/* Bytes that are not UTF-8 (RFC 3629): lone continuation, overlong,
   surrogate, past U+10FFFF, cut sequences, bytes never used. */
static const char *const invalid[] = {
	"\x80", "a\xc0\x80z", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	"cut \xe2\x82", "\xff\xfe", "ok \xc3\xa9 then \xe9 ", "\xf0\x9f\x98",
};

/* Runs a writer into memory; returns the malloc'd text and jw's result. */
static char *
emit(int compact, void (*fn)(struct jw *, const void *), const void *arg,
    int *rc)
{
	struct dt_mem mem;
	struct jw w;
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);

	ck_assert_ptr_nonnull(fp);
	dt_mem_init(&mem, NULL, NULL, 0);
	ck_assert_int_eq(jw_init(&w, fp, &mem, compact), 0);
	fn(&w, arg);
	*rc = jw_finish(&w);
	fclose(fp);
	ck_assert_uint_eq(mem.used, 0);
	return buf;
}

static void
same(json_t *j, int compact, void (*fn)(struct jw *, const void *),
    const void *arg)
{
	char *want, *got;
	int rc;

	ck_assert_ptr_nonnull(j);
	want = json_dumps(j, FLAGS(compact));
	ck_assert_ptr_nonnull(want);
	got = emit(compact, fn, arg, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
}

/* {"k": s, "list": [s, s], "k2": s} and the same with jansson. */
static void
w_valid(struct jw *w, const void *arg)
{
	size_t i = *(const size_t *)arg;

	jw_obj(w, NULL);
	jw_wiren(w, "k", valid[i].s, valid[i].n);
	jw_arr(w, "list");
	jw_wiren(w, NULL, valid[i].s, valid[i].n);
	jw_wiren(w, NULL, valid[i].s, valid[i].n);
	jw_end(w);
	if (memchr(valid[i].s, '\0', valid[i].n) == NULL) {
		jw_str(w, "own", valid[i].s);
		jw_wire(w, "wire", valid[i].s);
		w->data_keys = 1;	/* as a key from the data, escaped */
		jw_int(w, valid[i].s, 7);
		w->data_keys = 0;
	}
	jw_end(w);
}

START_TEST(escaping_like_jansson)
{
	size_t i = (size_t)_i;
	int compact;

	for (compact = 0; compact < 2; compact++) {
		json_t *o = json_object(), *a = json_array();

		json_object_set_new(o, "k",
		    json_stringn(valid[i].s, valid[i].n));
		json_array_append_new(a, json_stringn(valid[i].s, valid[i].n));
		json_array_append_new(a, json_stringn(valid[i].s, valid[i].n));
		json_object_set_new(o, "list", a);
		if (memchr(valid[i].s, '\0', valid[i].n) == NULL) {
			json_object_set_new(o, "own", json_string(valid[i].s));
			json_object_set_new(o, "wire", json_string(valid[i].s));
			json_object_set_new(o, valid[i].s, json_integer(7));
		}
		same(o, compact, w_valid, &i);
		json_decref(o);
	}
}
END_TEST

/* A few escapes pinned as bytes, so the test stands without jansson's
   word for it too. */
static void
w_pinned(struct jw *w, const void *arg)
{
	jw_arr(w, NULL);
	jw_wiren(w, NULL, "\x01\x1f\"\\/\x7f\n\t", 8);
	jw_wire(w, NULL, "\xe2\x80\xa8");
	jw_wire(w, NULL, "a\xc0\x80z");
	jw_end(w);
}

START_TEST(escaping_pinned)
{
	char *got;
	int rc;

	got = emit(1, w_pinned, NULL, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(got, "[\"\\u0001\\u001F\\\"\\\\/\x7f\\n\\t\","
	    "\"\xe2\x80\xa8\",\"a\xef\xbf\xbd\xef\xbf\xbdz\"]");
	free(got);
}
END_TEST

static void
w_invalid_wire(struct jw *w, const void *arg)
{
	jw_obj(w, NULL);
	jw_wire(w, "s", *(const char *const *)arg);
	jw_end(w);
}

static void
w_invalid_own(struct jw *w, const void *arg)
{
	jw_obj(w, NULL);
	jw_str(w, "s", *(const char *const *)arg);
	jw_end(w);
}

START_TEST(invalid_utf8)
{
	const char *s = invalid[_i];
	char clean[64], *got;
	json_t *o;
	int rc;

	ck_assert_uint_lt(3 * strlen(s) + 1, sizeof clean);
	/* jansson refuses it... */
	ck_assert_ptr_null(json_string(s));
	/* ...so a string from the wire was repaired first: the same bytes */
	dt_utf8_clean(s, strlen(s), clean);
	o = json_object();
	json_object_set_new(o, "s", json_string(clean));
	same(o, 0, w_invalid_wire, &s);
	same(o, 1, w_invalid_wire, &s);
	json_decref(o);
	/* and our own text that is not UTF-8 is an error, as it was */
	got = emit(0, w_invalid_own, &s, &rc);
	ck_assert_int_eq(rc, DT_ENOMEM);
	free(got);
}
END_TEST

/*
 * One byte that is not plain ASCII at every place of strings of 0 to 40
 * bytes, in a key and in values (plain runs are copied a word at a time:
 * each place in a word, and the bytes after the last whole word).
 */
static const char *const odd_bytes[] = {
	"\"", "\\", "\n", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\x80",
	"\xff",
};

static char pos_s[64];

static void
w_position(struct jw *w, const void *arg)
{
	jw_obj(w, NULL);
	w->data_keys = 1;	/* a key from the data: checked, escaped */
	jw_wire(w, pos_s, pos_s);
	w->data_keys = 0;
	jw_wiren(w, "#n", pos_s, strlen(pos_s));
	jw_arr(w, "#a");
	jw_wire(w, NULL, pos_s);
	jw_end(w);
	jw_end(w);
}

START_TEST(every_position)
{
	const char *odd = odd_bytes[_i];
	char clean[3 * sizeof pos_s + 1];
	size_t len, at;
	int compact;

	for (len = 0; len <= 40; len++)
		for (at = 0; at <= len; at++) {
			json_t *o = json_object(), *a = json_array();

			memset(pos_s, 'x', len);
			pos_s[len] = '\0';
			if (at < len)	/* at == len: all plain */
				memcpy(pos_s + at, odd, strlen(odd));
			pos_s[len + (at < len ? strlen(odd) - 1 : 0)] = '\0';
			dt_utf8_clean(pos_s, strlen(pos_s), clean);
			json_object_set_new(o, clean, json_string(clean));
			json_object_set_new(o, "#n", json_string(clean));
			json_array_append_new(a, json_string(clean));
			json_object_set_new(o, "#a", a);
			if (strcmp(clean, pos_s) == 0) {
				for (compact = 0; compact < 2; compact++)
					same(o, compact, w_position, NULL);
			} else {
				/* a bad key is our bug: refused */
				char *got;
				int rc;

				got = emit(0, w_position, NULL, &rc);
				ck_assert_int_eq(rc, DT_ENOMEM);
				free(got);
			}
			json_decref(o);
		}
}
END_TEST

/* dt_utf8_valid() as it was: strlen(), then dt_utf8_next() on the rest. */
static int
valid_before(const char *s)
{
	size_t n = strlen(s), i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = dt_utf8_next(s + i, n - i, &cp);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* dt_utf8_valid(), which reads a sequence without the string's length,
   against it: the tables, then strings of lead, continuation, edge and
   ASCII bytes cut anywhere (ASan sees any read past the NUL). */
START_TEST(utf8_valid_like_before)
{
	static const unsigned char alphabet[] = {
		'a', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2,
		0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
	};
	uint64_t x = 0x2545f4914f6cdd1dULL;
	size_t i, j, n;
	char *t;

	for (i = 0; i < sizeof valid / sizeof valid[0]; i++)
		ck_assert_int_eq(dt_utf8_valid(valid[i].s), 1);
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		ck_assert_int_eq(dt_utf8_valid(invalid[i]), 0);
	ck_assert_int_eq(dt_utf8_valid(NULL), 1);
	for (i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n = (size_t)(x % 9);
		t = malloc(n + 1);	/* exactly: a read past it is seen */
		ck_assert_ptr_nonnull(t);
		for (j = 0; j < n; j++)
			t[j] = (char)alphabet[(x >> (8 + 5 * j)) %
			    sizeof alphabet];
		t[n] = '\0';
		ck_assert_int_eq(dt_utf8_valid(t), valid_before(t));
		free(t);
	}
}
END_TEST

static void
w_layout(struct jw *w, const void *arg)
{
	jw_obj(w, NULL);
	jw_obj(w, "empty_object");
	jw_end(w);
	jw_arr(w, "empty_array");
	jw_end(w);
	jw_arr(w, "numbers");
	jw_int(w, NULL, INT64_MIN);
	jw_int(w, NULL, -1);
	jw_int(w, NULL, 0);
	jw_int(w, NULL, 7);
	jw_int(w, NULL, INT64_MAX);
	jw_uint(w, NULL, UINT64_MAX);	/* a counter past INT64_MAX */
	jw_uint(w, NULL, 1234567890123ULL);
	jw_end(w);
	jw_bool(w, "yes", 1);
	jw_bool(w, "big", (uint64_t)1 << 40);	/* any non-zero is true */
	jw_bool(w, "no", 0);
	jw_null(w, "none");
	jw_wire(w, "null_string", NULL);
	jw_arr(w, "nested");
	jw_arr(w, NULL);
	jw_obj(w, NULL);
	jw_arr(w, "deep");
	jw_obj(w, NULL);
	jw_end(w);
	jw_arr(w, NULL);
	jw_end(w);
	jw_end(w);
	jw_end(w);
	jw_end(w);
	jw_obj(w, NULL);
	jw_frame(w, "frame", 0);
	jw_frame(w, "frame2", 42);
	jw_end(w);
	jw_end(w);
	jw_end(w);
}

START_TEST(layout_like_jansson)
{
	json_t *o = json_object(), *a, *b, *x;
	int compact;

	json_object_set_new(o, "empty_object", json_object());
	json_object_set_new(o, "empty_array", json_array());
	a = json_array();
	json_array_append_new(a, json_integer(INT64_MIN));
	json_array_append_new(a, json_integer(-1));
	json_array_append_new(a, json_integer(0));
	json_array_append_new(a, json_integer(7));
	json_array_append_new(a, json_integer(INT64_MAX));
	json_array_append_new(a, json_integer(INT64_MAX));
	json_array_append_new(a, json_integer(1234567890123LL));
	json_object_set_new(o, "numbers", a);
	json_object_set_new(o, "yes", json_true());
	json_object_set_new(o, "big", json_true());
	json_object_set_new(o, "no", json_false());
	json_object_set_new(o, "none", json_null());
	json_object_set_new(o, "null_string", json_null());
	a = json_array();
	b = json_array();
	x = json_object();
	{
		json_t *deep = json_array();

		json_array_append_new(deep, json_object());
		json_array_append_new(deep, json_array());
		json_object_set_new(x, "deep", deep);
	}
	json_array_append_new(b, x);
	json_array_append_new(a, b);
	x = json_object();
	json_object_set_new(x, "frame", json_null());
	json_object_set_new(x, "frame2", json_integer(42));
	json_array_append_new(a, x);
	json_object_set_new(o, "nested", a);
	for (compact = 0; compact < 2; compact++)
		same(o, compact, w_layout, NULL);
	json_decref(o);
}
END_TEST

/* Larger than the emitter's 64 KiB buffer, escapes all along. */
static char *big;

static char *big_plain;

static void
w_big(struct jw *w, const void *arg)
{
	size_t i;

	jw_arr(w, NULL);
	jw_wire(w, NULL, "small first");
	jw_wire(w, NULL, big);
	jw_wire(w, NULL, big);
	jw_str(w, NULL, big_plain);
	jw_wiren(w, NULL, big_plain, strlen(big_plain));
	jw_obj(w, NULL);
	jw_int(w, big, 1);
	jw_int(w, big_plain, 2);
	jw_end(w);
	/* many members, so the buffer fills at every place in them */
	for (i = 0; i < 20000; i++) {
		jw_obj(w, NULL);
		jw_wire(w, "some_key", big_plain + 599990 - i % 37);
		jw_time(w, "time", (int64_t)i * 999999937);
		jw_end(w);
	}
	jw_end(w);
}

/* Our own names (jw_name(), copied without a check): every length up to
   past the quick path's room, as a value and in an array, and enough of
   them to fill the buffer many times over, as jansson writes them. */
static char name_s[64];

static void
w_names(struct jw *w, const void *arg)
{
	size_t i, many = *(const size_t *)arg;

	jw_obj(w, NULL);
	jw_name(w, "name", name_s);
	jw_arr(w, "list");
	for (i = 0; i < many; i++)
		jw_name(w, NULL, name_s);
	jw_end(w);
	jw_end(w);
}

START_TEST(own_names_like_jansson)
{
	static const char letters[] =
	    "client_hello server_hello_done 0x0303 TLS_RSA_WITH_NULL_SHA256 z";
	size_t len, many;
	int compact;

	for (len = 0; len < sizeof name_s && len < sizeof letters; len++)
		for (many = 1; many <= 4001; many += 4000) {
			json_t *o = json_object(), *a = json_array();
			size_t i;

			memcpy(name_s, letters, len);
			name_s[len] = '\0';
			json_object_set_new(o, "name", json_string(name_s));
			for (i = 0; i < many; i++)
				json_array_append_new(a, json_string(name_s));
			json_object_set_new(o, "list", a);
			for (compact = 0; compact < 2; compact++)
				same(o, compact, w_names, &many);
			json_decref(o);
		}
}
END_TEST

START_TEST(longer_than_the_buffer)
{
	size_t n = 600000, i;	/* longer than the writer's buffer */
	json_t *a;
	int compact;

	big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < n; i++)
		big[i] = "ab\"c\\\n\x01\xc3\xa9"[i % 9];
	big[n] = '\0';
	big[n - 1] = 'z';	/* not a cut sequence */
	big[n - 2] = 'z';
	big_plain = malloc(n + 1);
	ck_assert_ptr_nonnull(big_plain);
	for (i = 0; i < n; i++)
		big_plain[i] = (char)('a' + i % 26);
	big_plain[n] = '\0';
	a = json_array();
	json_array_append_new(a, json_string("small first"));
	json_array_append_new(a, json_string(big));
	json_array_append_new(a, json_string(big));
	json_array_append_new(a, json_string(big_plain));
	json_array_append_new(a, json_string(big_plain));
	{
		json_t *o = json_object();

		json_object_set_new(o, big, json_integer(1));
		json_object_set_new(o, big_plain, json_integer(2));
		json_array_append_new(a, o);
	}
	for (i = 0; i < 20000; i++) {
		json_t *o = json_object();
		char t[DT_REPORT_TIME_LEN];

		json_object_set_new(o, "some_key",
		    json_string(big_plain + 599990 - i % 37));
		ck_assert_int_eq(dt_report_time((int64_t)i * 999999937, t,
		    sizeof t), 0);
		json_object_set_new(o, "time", json_string(t));
		json_array_append_new(a, o);
	}
	for (compact = 0; compact < 2; compact++)
		same(a, compact, w_big, NULL);
	json_decref(a);
	free(big);
	free(big_plain);
}
END_TEST

static void *
refuse(void *ud, void *p, size_t n)
{
	(void)ud;
	if (n == 0)
		free(p);
	return NULL;
}

START_TEST(memory_and_io_failures)
{
	struct dt_mem mem;
	struct jw w;
	FILE *ro;

	/* no buffer, no output */
	dt_mem_init(&mem, refuse, NULL, 0);
	ck_assert_int_eq(jw_init(&w, stdout, &mem, 0), DT_ENOMEM);
	ck_assert_int_eq(jw_finish(&w), DT_ENOMEM);

	/* a stream that cannot be written: DT_EIO when the buffer goes out */
	ro = fopen("/dev/null", "r");
	ck_assert_ptr_nonnull(ro);
	dt_mem_init(&mem, NULL, NULL, 0);
	ck_assert_int_eq(jw_init(&w, ro, &mem, 1), 0);
	jw_obj(&w, NULL);
	jw_str(&w, "k", "v");
	jw_end(&w);
	ck_assert_int_eq(jw_finish(&w), DT_EIO);
	ck_assert_uint_eq(mem.used, 0);
	fclose(ro);
}
END_TEST

/* What format_time() was: gmtime_r() and snprintf(). */
static int
ref_format(int64_t sec, long frac, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)sec;

	buf[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	if (frac != 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, frac);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	return 0;
}

/*
 * A clock's text of v against dt_report_time()'s, twice: the first may
 * find the clock on another day, the second finds it on v's. The clock
 * lives across calls, so the test's jumps and steps both reach it.
 */
static struct dt_report_clock clock_;

static struct jw clock_w;	/* jq_time()'s clock: zeroed, unset */

static void
same_clock(int64_t v)
{
	char got[DT_REPORT_TIME_LEN], want[DT_REPORT_TIME_LEN];
	int k, rw = dt_report_time(v, want, sizeof want);
	size_t n;

	for (k = 0; k < 2; k++) {
		n = dt_report_clock_time(&clock_, v, got);
		ck_assert_msg(rw != 0 ? n == 0 :
		    n == strlen(want) && memcmp(got, want, n) == 0,
		    "%" PRId64 " ns: clock %.*s, want %s", v, (int)n, got, want);
	}
	/* jq_time(): the same quoted, or null (its own second first) */
	for (k = 0; k < 2; k++) {
		char q[JQ_VALUE_MAX + 8];

		n = (size_t)(jq_time(&clock_w, q, v) - q);
		ck_assert_msg(rw != 0 ? n == 4 && memcmp(q, "null", 4) == 0 :
		    n == strlen(want) + 2 && q[0] == '"' && q[n - 1] == '"' &&
		    memcmp(q + 1, want, n - 2) == 0,
		    "%" PRId64 " ns: jq_time %.*s, want %s", v, (int)n, q, want);
	}
}

/* dt_report_time(v) against it. */
static void
same_ns(int64_t v)
{
	char got[DT_REPORT_TIME_LEN], want[DT_REPORT_TIME_LEN];
	int64_t sec = v / 1000000000, frac = v % 1000000000;
	int rg, rw;

	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	rg = dt_report_time(v, got, sizeof got);
	rw = ref_format(sec, (long)frac, want, sizeof want);
	ck_assert_msg(rg == rw && strcmp(got, want) == 0,
	    "%" PRId64 " ns: %d \"%s\", want %d \"%s\"", v, rg, got, rw, want);
	same_clock(v);
	same_clock(v + (v < INT64_MAX - 3600000000000 ? 3600000000000 : 0));
}

/* dt_report_time_sec(sec) (certificates: any year), and sec + ns in
   nanoseconds when that fits in int64 (1677..2262). */
static void
same_time(int64_t sec, long ns)
{
	char got[DT_REPORT_TIME_LEN], want[DT_REPORT_TIME_LEN];
	int rg, rw;

	rg = dt_report_time_sec(sec, got, sizeof got);
	rw = ref_format(sec, 0, want, sizeof want);
	ck_assert_msg(rg == rw && strcmp(got, want) == 0,
	    "%" PRId64 " s: %d \"%s\", want %d \"%s\"", sec, rg, got, rw,
	    want);
	if (sec <= (INT64_MAX - ns) / 1000000000 &&
	    sec >= INT64_MIN / 1000000000 + 1)
		same_ns(sec * 1000000000 + ns);
}

START_TEST(times_like_gmtime)
{
	static const int64_t edges[] = {
		0, -1, 1, 86399, 86400, -86400, -86401,
		951782400,		/* 2000-02-29 */
		4107542400,		/* 2100-03-01 */
		-2208988800,		/* 1900-01-01 */
		-62135596800,		/* 0001-01-01 */
		-62167219200,		/* 0000-01-01, the first */
		-62167219201,		/* before it: null */
		253402300799,		/* 9999-12-31T23:59:59, the last */
		253402300800,		/* after it: null */
		INT64_MAX / 1000000000, INT64_MIN / 1000000000 + 1,
	};
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i;
	char small[8];

	for (i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		same_time(edges[i], 0);
		same_time(edges[i], 1);
		same_time(edges[i], 999999999);
		same_time(edges[i] - 1, 500000000);
	}
	/* random instants, and day edges across the whole range */
	for (i = 0; i < 50000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		same_time(-62167219200 - 86400 +
		    (int64_t)(x % (253402300800 + 62167219200 + 2 * 86400)),
		    (long)(x >> 34) % 1000000000);
	}
	for (i = 0; i <= 3652425; i += 29) {	/* 10,000 years of days */
		same_time(-62167219200 + (int64_t)i * 86400, 0);
		same_time(-62167219200 + (int64_t)i * 86400 - 1, 0);
	}
	same_time(INT64_MAX, 0);	/* years gmtime() cannot hold */
	same_time(INT64_MIN, 0);
	same_ns(INT64_MAX);	/* 2262 */
	same_ns(INT64_MIN);	/* 1677 */
	/* a short buffer gets the head, as snprintf gave */
	ck_assert_int_eq(dt_report_time(0, small, sizeof small), 0);
	ck_assert_str_eq(small, "1970-01");
}
END_TEST

/* jq_int() and jq_uint() against "%lld": every power of ten and its
   neighbours, the limits, and random values of every length. */
static void
same_int(int64_t v)
{
	char got[64], want[32];
	char *e;

	memset(got, 'x', sizeof got);
	e = jq_int(got, v);
	snprintf(want, sizeof want, "%" PRId64, v);
	ck_assert_msg((size_t)(e - got) == strlen(want) &&
	    memcmp(got, want, strlen(want)) == 0,
	    "%" PRId64 ": \"%.*s\"", v, (int)(e - got), got);
	if (v < 0)
		return;
	e = jq_uint(got, (uint64_t)v);	/* its inline path */
	ck_assert_msg((size_t)(e - got) == strlen(want) &&
	    memcmp(got, want, strlen(want)) == 0,
	    "%" PRId64 ": jq_uint \"%.*s\"", v, (int)(e - got), got);
}

START_TEST(ints_like_printf)
{
	uint64_t x = 0x2545f4914f6cdd1dULL, p = 1;
	int i;

	same_int(0);
	{
		char got[64], *e = jq_uint(got, UINT64_MAX);	/* a counter */

		ck_assert_int_eq(e - got, 19);
		ck_assert(memcmp(got, "9223372036854775807", 19) == 0);
	}
	same_int(INT64_MAX);
	same_int(INT64_MIN);
	same_int(INT64_MIN + 1);
	for (i = 0; i < 19; i++, p *= 10) {
		same_int((int64_t)p);
		same_int((int64_t)p - 1);
		same_int((int64_t)p + 1);
		same_int(-(int64_t)p);
		same_int(-(int64_t)p + 1);
	}
	for (i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* lengths spread evenly: a random shift */
		same_int((int64_t)(x >> (x % 64)));
		same_int(-(int64_t)(x >> (x % 63 + 1)));
	}
}
END_TEST

/* The document's addresses (DNS answers, a connection's endpoints and
   filter) are dt_addr_put()'s, which must write what inet_ntop() wrote:
   IPv4, and IPv6 with every pattern of zero and non-zero groups (runs of
   zeros, ties, the IPv4-mapped and -compatible forms), non-zero groups
   of every width. */
START_TEST(addrs_like_inet_ntop)
{
	static const unsigned vals[] = {
		0, 1, 0xf, 0x10, 0xff, 0x100, 0xabc, 0x1000, 0xfe80, 0xffff,
	};
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char got[64], want[64];
	struct dt_addr a;
	unsigned pat, v, c;
	int i, rep;
	size_t n;

	memset(&a, 0, sizeof a);
	a.family = 6;
	for (pat = 0; pat < 1u << 16; pat++) {
		for (rep = 0; rep < 3; rep++) {
			for (i = 0; i < 8; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				c = pat >> (2 * i) & 3;
				v = c == 0 ? 0 : c == 1 ? vals[x % 10] :
				    c == 2 ? (unsigned)(x >> 20 & 0xffff) :
				    x % 3 == 0 ? 0xffff : 0;
				a.a[2 * i] = (uint8_t)(v >> 8);
				a.a[2 * i + 1] = (uint8_t)v;
			}
			ck_assert_ptr_nonnull(inet_ntop(AF_INET6, a.a, want,
			    sizeof want));
			n = dt_addr_put(got, &a);
			ck_assert_int_eq(n, strlen(want));
			ck_assert_msg(memcmp(got, want, n) == 0, "%s: %.*s",
			    want, (int)n, got);
		}
	}
	a.family = 4;
	for (i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(a.a, &x, 4);
		if (i < 256)
			memset(a.a, i, 4);
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, a.a, want,
		    sizeof want));
		n = dt_addr_put(got, &a);
		ck_assert_int_eq(n, strlen(want));
		ck_assert_msg(memcmp(got, want, n) == 0, "%s: %.*s", want,
		    (int)n, got);
	}
}
END_TEST

/* A run that depends on k alone, written through a memo or not. */
static void
w_memo_run(struct jw *w, unsigned k, int memo)
{
	struct jw_memo_run r;
	unsigned i;

	if (memo) {
		jw_memo_begin(w, &r, JW_MEMO_HELLO);
		jw_memo_add(&r, &k, sizeof k);
		jw_memo_add(&r, NULL, 0);	/* an empty list */
		if (k == 9) {	/* a key too long to keep, and more of it */
			jw_memo_add(&r, big_plain, JW_MEMO_KEY);
			jw_memo_add(&r, big_plain, JW_MEMO_KEY);
			jw_memo_add(&r, "x", 2);
		}
		if (jw_memo_found(w, &r))
			return;
	}
	jw_arr(w, "list");
	for (i = 0; i < 3 * k + 1; i++)
		jw_int(w, NULL, 100 * k + i);
	jw_end(w);
	/* k 4: a run too long to keep */
	jw_str(w, "name", k == 4 ? big_plain + 600000 - 5000 : "v");
	if (memo)
		jw_memo_end(w, &r);
}

/* Thousands of objects with runs of a few kinds (more of them than a
   memo keeps, at two depths, first or not in their object), enough to
   fill the buffer many times: the same bytes with the memo and without. */
static void
w_memo(struct jw *w, const void *arg)
{
	int memo = *(const int *)arg;
	unsigned i;

	jw_arr(w, NULL);
	for (i = 0; i < 6000; i++) {
		jw_obj(w, NULL);
		if (i % 2)
			jw_int(w, "first", i);
		if (i % 7 == 0) {
			jw_obj(w, "deeper");
			w_memo_run(w, i % (i < 3000 ? 5 : 11), memo);
			jw_end(w);
		} else {
			w_memo_run(w, i % (i < 3000 ? 5 : 11), memo);
		}
		jw_end(w);
	}
	jw_end(w);
}

START_TEST(memo_like_written)
{
	int compact, memo[2] = { 0, 1 }, rc;
	char *want, *got;
	size_t i;

	big_plain = malloc(600001);
	ck_assert_ptr_nonnull(big_plain);
	for (i = 0; i < 600000; i++)
		big_plain[i] = (char)('a' + i % 26);
	big_plain[600000] = '\0';
	for (compact = 0; compact < 2; compact++) {
		want = emit(compact, w_memo, &memo[0], &rc);
		ck_assert_int_eq(rc, 0);
		got = emit(compact, w_memo, &memo[1], &rc);
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_gt(strlen(want), 1000000);
		ck_assert_str_eq(got, want);
		free(want);
		free(got);
	}
	free(big_plain);
	big_plain = NULL;
}
END_TEST

static Suite *
json_out_suite(void)
{
	Suite *s = suite_create("json_out");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, escaping_like_jansson, 0,
	    (int)(sizeof valid / sizeof valid[0]));
	tcase_add_test(tc, escaping_pinned);
	tcase_add_loop_test(tc, invalid_utf8, 0,
	    (int)(sizeof invalid / sizeof invalid[0]));
	tcase_add_loop_test(tc, every_position, 0,
	    (int)(sizeof odd_bytes / sizeof odd_bytes[0]));
	tcase_add_test(tc, utf8_valid_like_before);
	tcase_add_test(tc, layout_like_jansson);
	tcase_add_test(tc, own_names_like_jansson);
	tcase_add_test(tc, longer_than_the_buffer);
	tcase_add_test(tc, memory_and_io_failures);
	tcase_add_test(tc, times_like_gmtime);
	tcase_add_test(tc, ints_like_printf);
	tcase_add_test(tc, addrs_like_inet_ntop);
	tcase_add_test(tc, memo_like_written);
	/* a few hundred thousand gmtime_r() calls: room on a loaded machine */
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(json_out_suite)
