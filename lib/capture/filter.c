/*
 * BPF capture filters (pcap-filter(7)) on packets read from files. A
 * filter program depends on the link type, and a pcapng file may hold
 * several, so the expression is compiled once per link type met
 * (pcap_open_dead + pcap_compile) and applied with pcap_offline_filter on
 * a pcap_pkthdr built from the packet. The syntax is checked at creation
 * on EN10MB. At most DT_FILTER_MAX_LINKTYPES programs are kept. libpcap
 * is loaded by the filter, and held until it goes.
 */
#include "capture/capture_int.h"

#include <string.h>

#include "datrace.h"

#define DT_FILTER_MAX_LINKTYPES 64
#define DT_FILTER_SNAPLEN 262144

struct dt_filter_prog {
	int linktype;
	int ok;
	struct bpf_program prog;
	char err[PCAP_ERRBUF_SIZE];
};

struct dt_filter {
	struct dt_mem *m;
	struct dt_pcap_lib lib;
	char *expr;
	struct dt_filter_prog progs[DT_FILTER_MAX_LINKTYPES];
	size_t n;
	size_t last;			/* index of the last one used */
};

/* Compile expr for linktype into f->progs[f->n]; the entry is kept
   whether or not it compiles (its error then answers every packet). */
static struct dt_filter_prog *
filter_compile(struct dt_filter *f, int linktype)
{
	struct dt_filter_prog *fp;
	pcap_t *p;

	if (f->n == DT_FILTER_MAX_LINKTYPES)
		return NULL;
	fp = &f->progs[f->n];
	memset(fp, 0, sizeof *fp);
	fp->linktype = linktype;
	p = f->lib.open_dead(dt_linktype_to_dlt(linktype), DT_FILTER_SNAPLEN);
	if (p == NULL) {
		snprintf(fp->err, sizeof fp->err, "out of memory");
	} else if (f->lib.compile(p, &fp->prog, f->expr, 1,
	    PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(fp->err, sizeof fp->err, "%s", f->lib.geterr(p));
	} else {
		fp->ok = 1;
	}
	if (p != NULL)
		f->lib.close(p);
	f->last = f->n++;
	return fp;
}

int
dt_filter_new(struct dt_filter **out, struct dt_mem *m, const char *expr,
    char *errbuf, size_t errlen)
{
	struct dt_filter *f;
	struct dt_filter_prog *fp;

	*out = NULL;
	if (expr == NULL) {
		snprintf(errbuf, errlen, "no filter expression");
		return DT_EINVAL;
	}
	f = dt_calloc(m, 1, sizeof *f);
	if (f == NULL || (f->expr = dt_strdup(m, expr)) == NULL) {
		dt_free(m, f);
		snprintf(errbuf, errlen, "out of memory");
		return DT_ENOMEM;
	}
	f->m = m;
	if (dt_pcap_lib_open(&f->lib, errbuf, errlen) != 0) {
		dt_filter_free(f);
		return DT_EFILTER;
	}
	fp = filter_compile(f, 1);	/* LINKTYPE_ETHERNET */
	if (!fp->ok) {
		snprintf(errbuf, errlen, "%s", fp->err);
		dt_filter_free(f);
		return DT_EFILTER;
	}
	*out = f;
	return 0;
}

int
dt_filter_match(struct dt_filter *f, const struct dt_packet *pkt,
    char *errbuf, size_t errlen)
{
	struct dt_filter_prog *fp = &f->progs[f->last];
	struct pcap_pkthdr h;
	size_t i;
	char name[64];

	if (fp->linktype != pkt->linktype) {
		fp = NULL;
		for (i = 0; i < f->n; i++)
			if (f->progs[i].linktype == pkt->linktype) {
				fp = &f->progs[i];
				f->last = i;
				break;
			}
		if (fp == NULL && (fp = filter_compile(f, pkt->linktype)) ==
		    NULL) {
			snprintf(errbuf, errlen, "filter: more than %d link "
			    "types", DT_FILTER_MAX_LINKTYPES);
			return DT_EFILTER;
		}
	}
	if (!fp->ok) {
		snprintf(errbuf, errlen, "filter \"%s\" on link type %s: %s",
		    f->expr, dt_linktype_name(pkt->linktype, name,
		    sizeof name), fp->err);
		return DT_EFILTER;
	}
	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)(pkt->time / 1000000000);
	h.ts.tv_usec = (suseconds_t)(pkt->time % 1000000000 / 1000);
	h.caplen = pkt->caplen;
	h.len = pkt->origlen;
	return f->lib.offline_filter(&fp->prog, &h, pkt->data) != 0;
}

void
dt_filter_free(struct dt_filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		if (f->progs[i].ok)
			f->lib.freecode(&f->progs[i].prog);
	dt_pcap_lib_close(&f->lib);
	dt_free(f->m, f->expr);
	dt_free(f->m, f);
}
