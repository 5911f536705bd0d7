/*
 * Shared helpers for the Check suites: paths to test data and the shared
 * corpus, reading a file into memory, and a main() that runs one suite.
 */
#ifndef DT_TESTUTIL_H
#define DT_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Real captures by others; tests skip when it is absent. */
#define CORPUS_DIR "../shared/corpus"
#define TESTDATA_DIR "testdata"

static inline int
tu_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Whole file into a malloc'd buffer (NULL when unreadable). */
static inline unsigned char *
tu_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf != NULL) {
			*len = (size_t)n;
		}
	}
	fclose(fp);
	return buf;
}

#define TU_MAIN(suite_fn)						\
	int								\
	main(void)							\
	{								\
		SRunner *sr = srunner_create(suite_fn());		\
		int nf;							\
		srunner_run_all(sr, CK_NORMAL);				\
		nf = srunner_ntests_failed(sr);				\
		srunner_free(sr);					\
		return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;		\
	}

#endif
