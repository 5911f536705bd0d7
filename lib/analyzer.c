/*
 * The analyzer handle: options, trust anchors, filter, and the results of
 * every capture analysed (the public accessors in api.c and the writers
 * read those). One run of the pipeline per capture lives in pipe.c, the
 * flow sinks it registers in sinks.c, the ways packets come in (file,
 * memory, stream, fed one by one) in input.c.
 */
#include "analyzer_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "redact/redact.h"
#include "x509/x509.h"

#define DEFAULT_HS_CAP (256u << 10)
#define DEFAULT_MEM_CAP ((size_t)256 << 20)
#define DEFAULT_SPILL_AFTER ((size_t)256 << 20)

static const char *const errtext[] = {
	"success",			/* DT_OK */
	"end of iteration",		/* DT_ITEROVER */
	"invalid argument",		/* DT_EINVAL */
	"out of memory",		/* DT_ENOMEM */
	"input/output error",		/* DT_EIO */
	"not a capture file",		/* DT_EFORMAT */
	"bad filter expression",	/* DT_EFILTER */
	"cannot load certificate",	/* DT_ECERT */
	"call out of order",		/* DT_ESTATE */
};

DT_EXTERN const char *
dt_version(void)
{
	return DT_VERSION_STRING;
}

DT_EXTERN const char *
dt_strerror(int code)
{
	size_t i = code <= 0 ? (size_t)-(long long)code : sizeof errtext;

	if (i >= sizeof errtext / sizeof errtext[0])
		return "unknown error";
	return errtext[i];
}

DT_EXTERN void
dt_options_init(dt_options *opts)
{
	dt_options init = DT_OPTIONS_INIT;

	*opts = init;
}

static char *
opt_strdup(struct dt_analyzer *a, const char *s)
{
	return s != NULL ? dt_strdup(&a->mem, s) : NULL;
}

/*
 * --host as users paste it: the IP-HTTPS URL (Get-NetIPHttpsConfiguration
 * shows "https://da.corp.example:443/IPHTTPS"), "name:port" or the bare
 * name. Keeps the name (lower case, no trailing dot) and adds the port to
 * the port set.
 */
static void
host_from_url(struct dt_analyzer *a)
{
	char *h = a->host, *p, *end;
	unsigned long port = 0;
	size_t i, n;

	if ((p = strstr(h, "://")) != NULL)
		memmove(h, p + 3, strlen(p + 3) + 1);
	h[strcspn(h, "/?#")] = '\0';
	if (h[0] == '[') {			/* [v6]:port */
		p = strchr(h, ']');
		if (p != NULL && p[1] == ':')
			port = strtoul(p + 2, &end, 10), p[1] = '\0';
	} else if ((p = strchr(h, ':')) != NULL && strchr(p + 1, ':') == NULL) {
		port = strtoul(p + 1, &end, 10);
		*p = '\0';
	}
	for (i = 0; h[i] != '\0'; i++)
		if (h[i] >= 'A' && h[i] <= 'Z')
			h[i] = (char)(h[i] - 'A' + 'a');
	if (i > 0 && h[i - 1] == '.')
		h[i - 1] = '\0';
	if (port == 0 || port > 65535)
		return;
	for (n = 0; a->ports[n] != 0; n++)
		if (a->ports[n] == port)
			return;
	if (n < DT_MAX_PORTS) {
		a->ports[n] = (uint16_t)port;
		a->ports[n + 1] = 0;
	}
}

DT_EXTERN int
dt_analyzer_new(dt_analyzer **out, const dt_options *opts)
{
	struct dt_analyzer *a;
	dt_options defaults = DT_OPTIONS_INIT;
	struct dt_mem boot;
	char err[512];
	size_t n;
	int rc;

	if (out == NULL)
		return DT_EINVAL;
	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version < 1 || opts->version > DT_OPTIONS_VERSION)
		return DT_EINVAL;
	dt_mem_init(&boot, opts->alloc, opts->alloc_ud, 0);
	a = dt_calloc(&boot, 1, sizeof *a);
	if (a == NULL)
		return DT_ENOMEM;
	/* The analyzer's own block was counted by `boot`; from here on all
	   goes through a->mem, which carries the cap. */
	a->mem = boot;
	a->mem.cap = opts->memory_cap ? opts->memory_cap : DEFAULT_MEM_CAP;
	a->hs_cap = opts->handshake_cap ? opts->handshake_cap : DEFAULT_HS_CAP;
	a->all = opts->all;
	*out = a;

	for (n = 0; n < DT_MAX_PORTS && opts->ports[n] != 0; n++)
		a->ports[n] = opts->ports[n];
	if (n == 0)
		a->ports[n++] = 443;
	a->ports[n] = 0;

	a->host = opt_strdup(a, opts->host);
	a->ca_file = opt_strdup(a, opts->ca_file);
	a->filter_expr = opt_strdup(a, opts->filter);
	if (opts->version >= 3) {
		a->spill_dir = opt_strdup(a, opts->spill_dir);
		a->spill_after = opts->spill_after ? opts->spill_after :
		    DEFAULT_SPILL_AFTER;
	}
	if (opts->version >= 4)
		a->threads = opts->threads > 0;
	if (opts->version >= 5)
		a->map_files = opts->map_files > 0;
	a->expect_cert = opt_strdup(a, opts->expect_cert);
	if (a->mem.failed)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	if (a->host != NULL)
		host_from_url(a);

	rc = dt_x509_ctx_new(&a->x509, &a->mem, opts->ca_file, opts->ca_pem,
	    opts->ca_pem_len, opts->expect_cert, err, sizeof err);
	if (rc != 0)
		return dt_analyzer_fail(a, rc == DT_ENOMEM ? DT_ENOMEM : DT_ECERT,
		    "%s", err);
	if (opts->inspection_cas != NULL) {
		rc = dt_x509_inspection_cas_load(&a->mem, opts->inspection_cas,
		    &a->inspection_cas, err, sizeof err);
		if (rc != 0)
			return dt_analyzer_fail(a, rc == DT_ENOMEM ? DT_ENOMEM :
			    DT_EIO, "%s", err);
	}
	if (a->filter_expr != NULL) {
		rc = dt_filter_new(&a->filter, &a->mem, a->filter_expr, err,
		    sizeof err);
		if (rc != 0)
			return dt_analyzer_fail(a, rc == DT_ENOMEM ? DT_ENOMEM :
			    DT_EFILTER, "bad filter '%s': %s", a->filter_expr, err);
	}
	if (opts->version >= 2 && opts->redact) {
		rc = dt_redact_new(&a->redact, &a->mem, opts->redact_key,
		    opts->redact_key_len);
		if (rc != 0)
			return dt_analyzer_fail(a, rc, "cannot make a "
			    "redaction key");
		a->shown_host = dt_redact_name(a->redact, &a->mem, a->host);
		a->shown_ca_file = dt_redact_path(a->redact, &a->mem,
		    a->ca_file);
		a->shown_expect = dt_redact_expect(a->redact, &a->mem,
		    a->expect_cert);
		a->shown_filter = dt_redact_text(a->redact, &a->mem,
		    a->filter_expr);
		if (a->mem.failed)
			return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	}
	return 0;
}

DT_EXTERN void
dt_analyzer_free(dt_analyzer *a)
{
	struct dt_mem m;
	size_t i;

	if (a == NULL)
		return;
	if (a->pipe != NULL)
		dt_pipe_free(a);
	for (i = 0; i < a->n_caps; i++)
		dt_capture_free(a->caps[i]);
	dt_free(&a->mem, a->caps);
	for (i = 0; i < a->n_adopted; i++)	/* after the captures they hold */
		dt_analyzer_free(a->adopted[i]);
	dt_free(&a->mem, a->adopted);
	if (a->inspection_cas != NULL)
		dt_x509_strv_free(&a->mem, a->inspection_cas);
	dt_filter_free(a->filter);
	dt_x509_ctx_free(a->x509);
	dt_free(&a->mem, a->host);
	dt_free(&a->mem, a->ca_file);
	dt_free(&a->mem, a->filter_expr);
	dt_free(&a->mem, a->spill_dir);
	dt_free(&a->mem, a->expect_cert);
	dt_free(&a->mem, a->shown_host);
	dt_free(&a->mem, a->shown_ca_file);
	dt_free(&a->mem, a->shown_expect);
	dt_free(&a->mem, a->shown_filter);
	dt_redact_free(a->redact);
	m = a->mem;
	dt_free(&m, a);
}

DT_EXTERN const char *
dt_analyzer_errmsg(const dt_analyzer *a)
{
	return a != NULL ? a->errmsg : "no analyzer";
}

DT_EXTERN void
dt_analyzer_set_progress(dt_analyzer *a, dt_progress_fn fn, void *payload)
{
	if (a == NULL)
		return;
	a->progress = fn;
	a->progress_payload = payload;
}

DT_EXTERN void
dt_analyzer_set_inner_packets(dt_analyzer *a, dt_inner_packet_fn fn,
    void *payload)
{
	if (a == NULL)
		return;
	a->inner_fn = fn;
	a->inner_payload = payload;
}

/* Exported (the dt_* version script) so that the public header only has to
   declare it: DT_EXTERN int dt_analyzer_adopt(dt_analyzer *a,
   dt_analyzer *from); (datrace -j). */
DT_EXTERN int
dt_analyzer_adopt(struct dt_analyzer *a, struct dt_analyzer *from)
{
	struct dt_capture **caps;
	struct dt_analyzer **ad;
	size_t i;

	if (a == NULL || from == NULL || a == from || a->pipe != NULL ||
	    from->pipe != NULL || from->n_adopted > 0)
		return DT_EINVAL;
	caps = dt_realloc(&a->mem, a->caps,
	    (a->n_caps + from->n_caps + 1) * sizeof *caps);
	if (caps == NULL)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	a->caps = caps;
	ad = dt_realloc(&a->mem, a->adopted, (a->n_adopted + 1) * sizeof *ad);
	if (ad == NULL)
		return dt_analyzer_fail(a, DT_ENOMEM, "out of memory");
	a->adopted = ad;
	for (i = 0; i < from->n_caps; i++)
		a->caps[a->n_caps++] = from->caps[i];
	from->n_caps = 0;		/* a frees them, then from */
	a->adopted[a->n_adopted++] = from;
	return 0;
}
