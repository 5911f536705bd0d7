/*
 * Test tool, not a test: writes FILE, an .etl as `netsh trace start`
 * leaves it without capture=yes (Windows' own events, no packet), built by
 * the test ETL writer (tests/etlw.h). The shell tests need such a file in
 * folders and archives, where it must be read as the trace it is and not
 * skipped as "not a capture" (tests/test_archive.sh).
 */
#include <stdio.h>

#include "etlw.h"

int
main(int argc, char **argv)
{
	/* Microsoft-Windows-Iphlpsvc, event 4302: the IP-HTTPS client's
	   error; the payload is not read here, only counted */
	static const uint8_t iphlpsvc[16] = { 0x5c, 0xc1, 0xa5, 0x66, 0x8e,
		0x4f, 0x44, 0x40, 0xbf, 0x6e, 0x71, 0xd8, 0x96, 0x03, 0x89,
		0x77 };
	static const uint8_t user[8] = { 0x26, 0x03, 0x09, 0x80 };
	struct etlw w;
	FILE *fp;
	int i, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: etl-events FILE\n");
		return 2;
	}
	etlw_init(&w);
	etlw_header(&w, 0);
	for (i = 0; i < 3; i++)
		etlw_event(&w, iphlpsvc, 4302, 0, (uint64_t)(1 + i) * 1000000,
		    7, user, sizeof user, NULL, 0);
	etlw_flush(&w, 0, 0, 0, 0);
	if ((fp = fopen(argv[1], "wb")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	rc = fwrite(w.file.p, 1, w.file.n, fp) == w.file.n ? 0 : 1;
	if (fclose(fp) != 0)
		rc = 1;
	etlw_free(&w);
	return rc;
}
