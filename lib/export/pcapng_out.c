/*
 * export/pcapng_out: pcapng blocks written in host order (the byte-order
 * magic of the Section Header tells readers which), after
 * draft-ietf-opsawg-pcapng: 4.1 Section Header Block, 4.2 Interface
 * Description Block, 4.3 Enhanced Packet Block, 3.5 options (each padded
 * to 32 bits, the list ended by opt_endofopt).
 */
#include "export/pcapng_out.h"

#include <errno.h>
#include <string.h>

#include "datrace.h"
#include "util/mem.h"

#define OPT_MAX		65532u	/* an option's length is 16 bits, padded */

static void
put(struct dt_png *o, const void *p, size_t n)
{
	if (o->err == 0 && n > 0 && fwrite(p, 1, n, o->fp) != n)
		o->err = errno != 0 ? errno : EIO;
}

static void
put32(struct dt_png *o, uint32_t v)
{
	put(o, &v, 4);
}

static void
put16(struct dt_png *o, uint16_t v)
{
	put(o, &v, 2);
}

static size_t
pad4(size_t n)
{
	return (4 - n % 4) % 4;
}

static void
pad(struct dt_png *o, size_t n)
{
	static const uint8_t zero[4];

	put(o, zero, pad4(n));
}

static size_t
opt_len(const struct dt_png_opt *opt)
{
	return opt->len > OPT_MAX ? OPT_MAX : opt->len;
}

/* The bytes the options take, opt_endofopt included (0 for none). */
static size_t
opts_size(const struct dt_png_opt *opt, size_t n)
{
	size_t i, sz = 0;

	for (i = 0; i < n; i++)
		sz += 4 + opt_len(&opt[i]) + pad4(opt_len(&opt[i]));
	return n > 0 ? sz + 4 : 0;
}

static void
opts_put(struct dt_png *o, const struct dt_png_opt *opt, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = opt_len(&opt[i]);
		put16(o, opt[i].code);
		put16(o, (uint16_t)len);
		put(o, opt[i].p, len);
		pad(o, len);
	}
	if (n > 0)
		put32(o, 0);		/* opt_endofopt */
}

void
dt_png_shb(struct dt_png *o, const char *userappl)
{
	struct dt_png_opt opt = { 4, userappl, strlen(userappl) };
	size_t total = 28 + opts_size(&opt, 1);

	put32(o, 0x0A0D0D0A);
	put32(o, (uint32_t)total);
	put32(o, 0x1A2B3C4D);		/* byte-order magic, host order */
	put16(o, 1);			/* version 1.0 */
	put16(o, 0);
	put32(o, 0xffffffff);		/* section length: not given */
	put32(o, 0xffffffff);
	opts_put(o, &opt, 1);
	put32(o, (uint32_t)total);
}

void
dt_png_idb(struct dt_png *o, int lt, const char *name)
{
	static const uint8_t nano = 9;
	struct dt_png_opt opt[2] = {
		{ 9, &nano, 1 },	/* if_tsresol: 10^-9 */
		{ 2, name, name != NULL ? strlen(name) : 0 },	/* if_name */
	};
	size_t n = name != NULL && name[0] != '\0' ? 2 : 1;
	size_t total = 20 + opts_size(opt, n);

	put32(o, 1);
	put32(o, (uint32_t)total);
	put16(o, (uint16_t)lt);
	put16(o, 0);
	put32(o, 0);			/* snap length: none */
	opts_put(o, opt, n);
	put32(o, (uint32_t)total);
}

void
dt_png_epb(struct dt_png *o, uint32_t iface, int64_t time_ns,
    const void *data, uint32_t caplen, uint32_t origlen,
    const struct dt_png_opt *opt, size_t n_opt)
{
	uint64_t ts = time_ns < 0 ? 0 : (uint64_t)time_ns;
	size_t total = 32 + caplen + pad4(caplen) + opts_size(opt, n_opt);

	put32(o, 6);
	put32(o, (uint32_t)total);
	put32(o, iface);
	put32(o, (uint32_t)(ts >> 32));
	put32(o, (uint32_t)ts);
	put32(o, caplen);
	put32(o, origlen < caplen ? caplen : origlen);
	put(o, data, caplen);
	pad(o, caplen);
	opts_put(o, opt, n_opt);
	put32(o, (uint32_t)total);
}

/* ---- the public writer (datrace.h) -------------------------------------- */

struct dt_pcapng_writer {
	struct dt_mem mem;		/* the allocator it came from */
	struct dt_png png;
};

int
dt_pcapng_writer_new(dt_pcapng_writer **w, FILE *out, int linktype)
{
	struct dt_mem boot;

	dt_mem_init(&boot, NULL, NULL, 0);
	if ((*w = dt_calloc(&boot, 1, sizeof **w)) == NULL)
		return DT_ENOMEM;
	(*w)->mem = boot;
	(*w)->png.fp = out;
	dt_png_shb(&(*w)->png, "datrace " DT_VERSION_STRING);
	dt_png_idb(&(*w)->png, linktype, NULL);
	if ((*w)->png.err != 0) {
		dt_free(&boot, *w);
		*w = NULL;
		return DT_EIO;
	}
	return 0;
}

int
dt_pcapng_writer_packet(dt_pcapng_writer *w, int64_t time_ns,
    const void *data, size_t len, const char *comment)
{
	struct dt_png_opt opt = { DT_PNG_OPT_COMMENT, comment,
	    comment != NULL ? strlen(comment) : 0 };

	if (w->png.err == 0 && len <= UINT32_MAX)
		dt_png_epb(&w->png, 0, time_ns, data, (uint32_t)len,
		    (uint32_t)len, &opt, comment != NULL);
	return w->png.err != 0 ? DT_EIO : 0;
}

int
dt_pcapng_writer_free(dt_pcapng_writer *w)
{
	struct dt_mem m;
	int rc;

	if (w == NULL)
		return 0;
	rc = w->png.err != 0 ? DT_EIO : 0;
	m = w->mem;
	dt_free(&m, w);
	return rc;
}
