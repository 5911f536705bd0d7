/*
 * archive_load.h - libarchive, loaded the first time an archive is opened.
 *
 * Most runs read plain captures: linking libarchive would load it and what
 * it drags in (libxml2, ICU, libstdc++, the compressors) into every run,
 * ~5 ms of CPU before the first packet. cli/input.c calls libarchive only
 * through this one table, filled with dlopen()/dlsym() on first use.
 */
#ifndef DATRACE_CLI_ARCHIVE_LOAD_H
#define DATRACE_CLI_ARCHIVE_LOAD_H

#include <archive.h>
#include <archive_entry.h>

#if ARCHIVE_VERSION_NUMBER < 3000000 || ARCHIVE_VERSION_NUMBER >= 4000000
#error "libarchive 3 (libarchive.so.13) expected"
#endif

/* The shared object loaded, and the package that holds it: Debian 12 and
   Ubuntu 22.04 call it libarchive13, later releases (the 64-bit time_t
   transition) libarchive13t64. */
#define ARC_SONAME "libarchive.so.13"
#define ARC_PACKAGE "the libarchive13 package, libarchive13t64 on Debian 13 " \
    "and Ubuntu 24.04 or later"

/* The libarchive functions cli/input.c uses, named as libarchive names
   them without the archive_ prefix; the types are the header's own. */
struct arc_api {
	__typeof__(archive_read_new) *read_new;
	__typeof__(archive_read_free) *read_free;
	__typeof__(archive_read_support_filter_gzip) *support_filter_gzip;
	__typeof__(archive_read_support_filter_bzip2) *support_filter_bzip2;
	__typeof__(archive_read_support_filter_xz) *support_filter_xz;
	__typeof__(archive_read_support_filter_lzma) *support_filter_lzma;
	__typeof__(archive_read_support_filter_lzip) *support_filter_lzip;
	__typeof__(archive_read_support_filter_zstd) *support_filter_zstd;
	__typeof__(archive_read_support_filter_lz4) *support_filter_lz4;
	__typeof__(archive_read_support_filter_compress) *support_filter_compress;
	__typeof__(archive_read_support_format_zip) *support_format_zip;
	__typeof__(archive_read_support_format_7zip) *support_format_7zip;
	__typeof__(archive_read_support_format_tar) *support_format_tar;
	__typeof__(archive_read_support_format_cab) *support_format_cab;
	__typeof__(archive_read_support_format_rar) *support_format_rar;
	__typeof__(archive_read_support_format_rar5) *support_format_rar5;
	__typeof__(archive_read_support_format_cpio) *support_format_cpio;
	__typeof__(archive_read_support_format_iso9660) *support_format_iso9660;
	__typeof__(archive_read_support_format_raw) *support_format_raw;
	__typeof__(archive_read_open) *read_open;
	__typeof__(archive_read_open_filename) *read_open_filename;
	__typeof__(archive_read_next_header) *read_next_header;
	__typeof__(archive_read_data) *read_data;
	__typeof__(archive_error_string) *error_string;
	__typeof__(archive_set_error) *set_error;
	__typeof__(archive_format) *format;
	__typeof__(archive_filter_count) *filter_count;
	__typeof__(archive_filter_bytes) *filter_bytes;
	__typeof__(archive_entry_filetype) *entry_filetype;
	__typeof__(archive_entry_pathname) *entry_pathname;
	__typeof__(archive_entry_pathname_utf8) *entry_pathname_utf8;
	__typeof__(archive_entry_is_encrypted) *entry_is_encrypted;
};

/*
 * The table, loaded on the first call (once per process, safe from the -j
 * worker threads). NULL when libarchive cannot be loaded; *why then says
 * why in one line that names the package to install (static text, valid
 * for the life of the process).
 */
const struct arc_api *arc_load(const char **why);

#endif
