/*
 * Plain driver for the fuzz harnesses: with gcc (no libFuzzer) each harness
 * links to this main(), which feeds it every file under the directories and
 * files named on the command line. `make check` uses it to replay the seed
 * corpora and past crash inputs; `make fuzz` links libFuzzer instead.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long runs;

static void
replay(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	FILE *fp;
	uint8_t *buf;

	if (stat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		if ((d = opendir(path)) == NULL)
			return;
		while ((e = readdir(d)) != NULL) {
			char sub[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			replay(sub);
		}
		closedir(d);
		return;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > 64 << 20)
		return;
	if ((fp = fopen(path, "rb")) == NULL)
		return;
	buf = malloc((size_t)st.st_size + 1);
	if (buf != NULL && fread(buf, 1, (size_t)st.st_size, fp) ==
	    (size_t)st.st_size) {
		LLVMFuzzerTestOneInput(buf, (size_t)st.st_size);
		runs++;
	}
	free(buf);
	fclose(fp);
}

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		replay(argv[i]);
	printf("replayed %lu inputs\n", runs);
	return 0;
}
