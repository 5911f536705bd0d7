/*
 * bench-touch: what this machine charges for memory the process has not
 * used before. Maps MIB MiB of anonymous memory, writes one byte in each
 * 4 KiB page, and prints the system time that took, in ms per MiB.
 *
 * On bare metal this is the kernel zeroing pages (~0.1 ms/MiB). On a
 * virtual machine whose balloon driver reports free memory to the host
 * (virtio-balloon free page reporting), memory freed a few seconds ago
 * was handed back, and its next first touch is faulted in by the host
 * too: 2.2 ms/MiB on the VM of tests/bench/RESULTS.md, 20 times more.
 * datrace keeps ~150 MB of facts to the end of the 2 GiB bench day, so
 * there that is ~0.35 s of system time the read loop (which touches no
 * new memory) never pays. run.sh prints the figure after a pause (cold)
 * and at once again (warm: the pages just freed come back).
 *
 *   bench-touch [MIB]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>

static double
sys_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 128, i;
	volatile unsigned char *p;
	double t0;

	if (mib == 0 || mib > 65536) {
		fprintf(stderr, "usage: bench-touch [MIB] (1-65536)\n");
		return 2;
	}
	p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("bench-touch: mmap");
		return 2;
	}
	t0 = sys_seconds();
	for (i = 0; i < mib << 20; i += 4096)
		p[i] = 1;
	printf("%.2f\n", (sys_seconds() - t0) * 1000 / (double)mib);
	return 0;
}
