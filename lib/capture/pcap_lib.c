/*
 * libpcap through dlopen(), on first need (see struct dt_pcap_lib in
 * capture_int.h). A plain pcap file is read without it (pcap.c), pcapng
 * and ETL never need it, so a run on ordinary captures does not load it
 * nor what it drags in (D-Bus, systemd, libgcrypt, three compressors:
 * about 5 ms of CPU at every start, a quarter of `datrace --version`).
 * Each user holds its own handle and nothing here is global; once loaded
 * the library stays (RTLD_NODELETE), so another user's dlopen() is a
 * look-up. Every symbol is looked up at once, so a libpcap that loads is
 * whole, and one that does not is one error line.
 */
#include "capture/capture_int.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The SONAME of the libpcap 1.x ABI: Debian and Ubuntu name it 0.8 for
   continuity, the others 1. */
static const char *const sonames[] = { "libpcap.so.0.8", "libpcap.so.1" };

static const struct {
	const char *name;
	size_t at;
} syms[] = {
#define S(f, field) { #f, offsetof(struct dt_pcap_lib, field) }
	S(pcap_fopen_offline_with_tstamp_precision, fopen_offline),
	S(pcap_snapshot, snapshot),
	S(pcap_datalink, datalink),
	S(pcap_next_ex, next_ex),
	S(pcap_geterr, geterr),
	S(pcap_close, close),
	S(pcap_open_dead, open_dead),
	S(pcap_compile, compile),
	S(pcap_offline_filter, offline_filter),
	S(pcap_freecode, freecode),
	S(pcap_datalink_val_to_name, datalink_val_to_name),
#undef S
};

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
    "dlsym() results stored as function pointers");

int
dt_pcap_lib_open(struct dt_pcap_lib *l, char *err, size_t errlen)
{
	void *h = NULL, *f;
	size_t i;

	memset(l, 0, sizeof *l);
	/* RTLD_LOCAL: its symbols (and its libraries') stay out of the way;
	   RTLD_NODELETE: once loaded it stays, so the next user's dlopen()
	   is a look-up, not a load of nine libraries (a reader per file) */
	for (i = 0; h == NULL && i < sizeof sonames / sizeof sonames[0]; i++)
		h = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (h == NULL) {
		snprintf(err, errlen, "libpcap cannot be loaded: %s", dlerror());
		return -1;
	}
	for (i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		if ((f = dlsym(h, syms[i].name)) == NULL) {
			snprintf(err, errlen, "libpcap cannot be loaded: it "
			    "has no %s", syms[i].name);
			dlclose(h);
			return -1;
		}
		/* POSIX: a function's address as dlsym() gives it */
		memcpy((char *)l + syms[i].at, &f, sizeof f);
	}
	l->h = h;
	return 0;
}

void
dt_pcap_lib_close(struct dt_pcap_lib *l)
{
	if (l->h != NULL)
		dlclose(l->h);
	memset(l, 0, sizeof *l);
}
