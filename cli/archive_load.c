/*
 * archive_load.c - libarchive through dlopen() on first use (see
 * archive_load.h). Every symbol is looked up at once, so a libarchive that
 * loads is whole, and one that does not is one line of error.
 */
#include "archive_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	size_t at;
} syms[] = {
#define S(f, field) { #f, offsetof(struct arc_api, field) }
	S(archive_read_new, read_new),
	S(archive_read_free, read_free),
	S(archive_read_support_filter_gzip, support_filter_gzip),
	S(archive_read_support_filter_bzip2, support_filter_bzip2),
	S(archive_read_support_filter_xz, support_filter_xz),
	S(archive_read_support_filter_lzma, support_filter_lzma),
	S(archive_read_support_filter_lzip, support_filter_lzip),
	S(archive_read_support_filter_zstd, support_filter_zstd),
	S(archive_read_support_filter_lz4, support_filter_lz4),
	S(archive_read_support_filter_compress, support_filter_compress),
	S(archive_read_support_format_zip, support_format_zip),
	S(archive_read_support_format_7zip, support_format_7zip),
	S(archive_read_support_format_tar, support_format_tar),
	S(archive_read_support_format_cab, support_format_cab),
	S(archive_read_support_format_rar, support_format_rar),
	S(archive_read_support_format_rar5, support_format_rar5),
	S(archive_read_support_format_cpio, support_format_cpio),
	S(archive_read_support_format_iso9660, support_format_iso9660),
	S(archive_read_support_format_raw, support_format_raw),
	S(archive_read_open, read_open),
	S(archive_read_open_filename, read_open_filename),
	S(archive_read_next_header, read_next_header),
	S(archive_read_data, read_data),
	S(archive_error_string, error_string),
	S(archive_set_error, set_error),
	S(archive_format, format),
	S(archive_filter_count, filter_count),
	S(archive_filter_bytes, filter_bytes),
	S(archive_entry_filetype, entry_filetype),
	S(archive_entry_pathname, entry_pathname),
	S(archive_entry_pathname_utf8, entry_pathname_utf8),
	S(archive_entry_is_encrypted, entry_is_encrypted),
#undef S
};

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
    "dlsym() results stored as function pointers");

/* Written once under load_once, read-only after: the process's one copy. */
static struct arc_api api;
static const struct arc_api *loaded;
static char why_buf[512];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	void *h, *f;
	size_t i;

	/* RTLD_LOCAL: its symbols (and its libraries') stay out of the way */
	h = dlopen(ARC_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(why_buf, sizeof why_buf, "cannot read archives: %s "
		    "(install %s)", dlerror(), ARC_PACKAGE);
		return;
	}
	for (i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		if ((f = dlsym(h, syms[i].name)) == NULL) {
			snprintf(why_buf, sizeof why_buf, "cannot read "
			    "archives: %s has no %s (install %s)",
			    ARC_SONAME, syms[i].name, ARC_PACKAGE);
			dlclose(h);
			return;
		}
		/* POSIX: a function's address as dlsym() gives it */
		memcpy((char *)&api + syms[i].at, &f, sizeof f);
	}
	loaded = &api;
}

const struct arc_api *
arc_load(const char **why)
{
	pthread_once(&load_once, load);
	if (loaded == NULL && why != NULL)
		*why = why_buf;
	return loaded;
}
