/*
 * bench-floor: the libpcap read floor - a loop of pcap_next_ex over the
 * file that touches each packet's length and nothing else. datrace's
 * throughput is measured against it.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long long n = 0, bytes = 0;
	pcap_t *p;

	if (argc != 2 || (p = pcap_open_offline(argv[1], err)) == NULL) {
		fprintf(stderr, "usage: bench-floor FILE.pcap\n");
		return 2;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		n++;
		bytes += h->caplen + d[0] * 0;
	}
	pcap_close(p);
	printf("%llu packets %llu bytes\n", n, bytes);
	return 0;
}
