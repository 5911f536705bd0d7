/*
 * End to end: the datrace CLI on the captures in testdata/scenarios/, made by
 * real TLS stacks (testdata/gen/scenarios.sh), against the table
 * testdata/scenarios/expected.tsv:
 *
 *   file <TAB> options <TAB> expect_ids <TAB> frames <TAB> exit <TAB> absent_ids
 *
 * expect_ids and absent_ids are comma-separated verdict ids ("-" for none);
 * frames is "id:frame,frame;id:frame" - each listed frame must be among the
 * evidence frames of a verdict with that id. Checked through the JSON
 * output, like a tool linking the library would see it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

#define TABLE TESTDATA_DIR "/scenarios/expected.tsv"

struct row {
	char file[256], options[512], expect[512], frames[512], absent[512];
	int exit;
	int line;
};

static const char *
cli_path(void)
{
	static char path[512];
	const char *b = getenv("BUILD");

	snprintf(path, sizeof path, "%s/datrace", b ? b : "build");
	return path;
}

/* Runs the CLI, returns its exit status and the parsed JSON document. */
static int
run_json(const struct row *r, json_t **doc, char *err, size_t errlen)
{
	char cmd[2048];
	FILE *p;
	json_error_t jerr;
	int st;

	snprintf(cmd, sizeof cmd, "%s -f json %s %s/scenarios/%s 2>/dev/null",
	    cli_path(), strcmp(r->options, "-") == 0 ? "" : r->options,
	    TESTDATA_DIR, r->file);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	*doc = json_loadf(p, 0, &jerr);
	st = pclose(p);
	if (*doc == NULL)
		snprintf(err, errlen, "%.200s: no JSON: %.200s", r->file,
		    jerr.text);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static json_t *
verdicts_of(json_t *doc)
{
	json_t *caps = json_object_get(doc, "captures");

	return json_object_get(json_array_get(caps, 0), "verdicts");
}

static json_t *
find_verdict(json_t *verdicts, const char *id, size_t from)
{
	size_t i;

	for (i = from; i < json_array_size(verdicts); i++) {
		json_t *v = json_array_get(verdicts, i);

		if (strcmp(json_string_value(json_object_get(v, "id")), id) == 0)
			return v;
	}
	return NULL;
}

static int
verdict_has_frame(json_t *verdicts, const char *id, long long frame)
{
	size_t i, k;

	for (i = 0; i < json_array_size(verdicts); i++) {
		json_t *v = json_array_get(verdicts, i);
		json_t *fr = json_object_get(v, "frames");

		if (strcmp(json_string_value(json_object_get(v, "id")), id) != 0)
			continue;
		for (k = 0; k < json_array_size(fr); k++)
			if (json_integer_value(json_array_get(fr, k)) == frame)
				return 1;
	}
	return 0;
}

static char *
ids_of(json_t *verdicts, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < json_array_size(verdicts); i++) {
		json_t *v = json_array_get(verdicts, i);
		strncat(buf, json_string_value(json_object_get(v, "id")),
		    len - strlen(buf) - 2);
		strncat(buf, " ", len - strlen(buf) - 1);
	}
	return buf;
}

static void
check_row(const struct row *r)
{
	json_t *doc, *verdicts;
	char err[2048], ids[2048], list[512], *tok, *save;
	int st;

	st = run_json(r, &doc, err, sizeof err);
	ck_assert_msg(doc != NULL, "%s line %d: %s", TABLE, r->line, err);
	verdicts = verdicts_of(doc);
	ids_of(verdicts, ids, sizeof ids);
	ck_assert_msg(st == r->exit, "%s: exit %d, expected %d (verdicts: %s)",
	    r->file, st, r->exit, ids);

	snprintf(list, sizeof list, "%s", r->expect);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, "-") != 0)
			ck_assert_msg(find_verdict(verdicts, tok, 0) != NULL,
			    "%s: expected verdict %s, got: %s", r->file, tok, ids);
	snprintf(list, sizeof list, "%s", r->absent);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, "-") != 0)
			ck_assert_msg(find_verdict(verdicts, tok, 0) == NULL,
			    "%s: verdict %s must not appear, got: %s", r->file,
			    tok, ids);
	/* frames: "id:1,2;id2:3" */
	snprintf(list, sizeof list, "%s", r->frames);
	for (tok = strtok_r(list, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(tok, ':'), *f, *save2;

		if (colon == NULL)
			continue;
		*colon = '\0';
		for (f = strtok_r(colon + 1, ",", &save2); f;
		    f = strtok_r(NULL, ",", &save2))
			ck_assert_msg(verdict_has_frame(verdicts, tok, atoll(f)),
			    "%s: verdict %s lacks evidence frame %s", r->file,
			    tok, f);
	}
	json_decref(doc);
}

static struct row rows[256];
static int nrows;

static void
load_table(void)
{
	FILE *fp = fopen(TABLE, "r");
	char line[4096];
	int ln = 0;

	if (fp == NULL)
		return;
	while (fgets(line, sizeof line, fp) != NULL && nrows < 256) {
		char *col[6], *p = line;
		int n = 0;

		ln++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		while (n < 6) {
			col[n++] = p;
			p = strchr(p, '\t');
			if (p == NULL)
				break;
			*p++ = '\0';
		}
		if (n < 5)
			continue;
		snprintf(rows[nrows].file, sizeof rows[nrows].file, "%s", col[0]);
		snprintf(rows[nrows].options, sizeof rows[nrows].options, "%s", col[1]);
		snprintf(rows[nrows].expect, sizeof rows[nrows].expect, "%s", col[2]);
		snprintf(rows[nrows].frames, sizeof rows[nrows].frames, "%s", col[3]);
		rows[nrows].exit = atoi(col[4]);
		snprintf(rows[nrows].absent, sizeof rows[nrows].absent, "%s",
		    n > 5 ? col[5] : "-");
		rows[nrows].line = ln;
		nrows++;
	}
	fclose(fp);
}

START_TEST(test_scenario)
{
	check_row(&rows[_i]);
}
END_TEST

START_TEST(test_table_present)
{
	ck_assert_msg(nrows > 0, "%s has no rows", TABLE);
}
END_TEST

static Suite *
e2e_suite(void)
{
	Suite *s = suite_create("e2e");
	TCase *tc = tcase_create("scenarios");

	load_table();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_table_present);
	if (nrows > 0)
		tcase_add_loop_test(tc, test_scenario, 0, nrows);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(e2e_suite)
