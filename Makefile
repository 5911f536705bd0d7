# datrace - one non-recursive Makefile.
#
#   make            build/libdatrace.a, build/libdatrace.so.$(VERSION), build/datrace
#   make run        set-up, build, analyse the example captures
#   make check      set-up, build, every test
#   make asan       every test under AddressSanitizer + UBSan (build-asan/)
#   make fuzz       libFuzzer builds of tests/fuzz/ (clang), FUZZ_SECONDS each
#   make bench      the benchmark (see tests/bench/)
#   make serve      build, then `datrace serve` on its defaults (server/)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Project flags are in DT_CFLAGS/DT_LDFLAGS; CFLAGS/LDFLAGS from the command
# line add to them (sanitizers, optimisation) without replacing them.

VERSION := $(shell sed -n 's/^\#define DT_VERSION_STRING "\(.*\)"/\1/p' include/datrace.h)
MAJOR := $(firstword $(subst ., ,$(VERSION)))

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
LDFLAGS ?=
WERROR ?=
PKG_CONFIG ?= pkg-config
# The library's own (libdatrace.pc's Requires.private). It writes its JSON
# itself; the tests, fuzz replays and the server read JSON with jansson.
# libpcap is built against (its header) but loaded with dlopen() when a
# capture needs it (lib/capture/pcap_lib.c: unusual pcap headers, filters),
# so plain pcap, pcapng and ETL never load it nor what it drags in; the
# tests call it directly.
PKGS := gnutls libpsl
TEST_PKGS := jansson libpcap

PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags libpcap $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || echo -lgnutls -lpsl)
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null || echo -ljansson -lpcap)
# The CLI alone reads archives (libarchive); the library never does. It is
# built against libarchive's header but loads libarchive.so.13 with dlopen()
# when the first archive is opened (cli/archive_load.c), so a run on plain
# captures never loads it nor what it drags in (dlopen is in glibc's libc
# since 2.34; older systems: make CLI_LIBS=-ldl).
CLI_CFLAGS = $(shell $(PKG_CONFIG) --cflags libarchive 2>/dev/null)
CLI_LIBS =
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check 2>/dev/null || echo -lcheck)

DT_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Wall -Wextra -Wshadow \
	-Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes \
	-fPIC -Iinclude -Ilib $(PKG_CFLAGS) $(if $(WERROR),-Werror)
DT_LIB_CFLAGS = $(DT_CFLAGS) -DDT_BUILDING_LIBRARY -fvisibility=hidden
DT_LDFLAGS = -pthread

LIB_SRC := $(sort $(wildcard lib/*.c lib/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_SRC := $(sort $(wildcard cli/*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
SERVE_SRC := $(sort $(wildcard server/*.c))
SERVE_OBJ := $(SERVE_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/server/www.o
SERVE_WWW := $(sort $(wildcard server/www/*))
SERVE_PKGS := libmicrohttpd sqlite3 jansson
SERVE_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(SERVE_PKGS) 2>/dev/null)
SERVE_LIBS = $(shell $(PKG_CONFIG) --libs $(SERVE_PKGS) 2>/dev/null || echo -lmicrohttpd -lsqlite3 -ljansson)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(filter-out tests/fuzz/main.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

SONAME := libdatrace.so.$(MAJOR)
SHLIB := $(BUILD)/libdatrace.so.$(VERSION)
STLIB := $(BUILD)/libdatrace.a
CLI := $(BUILD)/datrace
SERVE := $(BUILD)/datrace-serve

.PHONY: all deps deps-check run check test asan fuzz bench install uninstall clean serve
.DEFAULT_GOAL := all

all: $(STLIB) $(SHLIB) $(CLI) $(SERVE)

deps:
	@sh scripts/deps.sh build
deps-check:
	@sh scripts/deps.sh check

$(BUILD)/obj/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(DT_LIB_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/cli/%.o: cli/%.c
	@mkdir -p $(@D)
	$(CC) $(DT_CFLAGS) $(CLI_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The server is its own binary (datrace-serve, run by `datrace serve`), so
# the CLI and the library link no HTTP or SQL code; its page is embedded.
$(BUILD)/obj/server/%.o: server/%.c server/serve.h
	@mkdir -p $(@D)
	$(CC) $(DT_CFLAGS) $(SERVE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/www.c: $(SERVE_WWW) scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh $@ $(SERVE_WWW)

$(BUILD)/obj/server/www.o: $(BUILD)/gen/www.c
	@mkdir -p $(@D)
	$(CC) $(DT_CFLAGS) $(CFLAGS) -c $< -o $@

$(SERVE): $(SERVE_OBJ) $(SHLIB)
	$(CC) $(DT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(SERVE_OBJ) \
		-L$(BUILD) -ldatrace -Wl,-rpath,'$$ORIGIN' $(SERVE_LIBS) -lm

serve: all
	$(CLI) serve

$(STLIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(SHLIB): $(LIB_OBJ) lib/libdatrace.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libdatrace.map -Wl,--no-undefined \
		$(DT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(LIB_OBJ) $(PKG_LIBS)
	ln -sf libdatrace.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libdatrace.so

$(CLI): $(CLI_OBJ) $(SHLIB)
	$(CC) $(DT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) \
		-L$(BUILD) -ldatrace $(CLI_LIBS) -Wl,-rpath,'$$ORIGIN'

# Tests link the static library so they can reach internal stages; they
# read the internal headers, so a header change rebuilds them.
LIB_HDR := $(wildcard include/*.h lib/*.h lib/*/*.h)

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(STLIB) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(DT_CFLAGS) $(TEST_CFLAGS) -Itests $(CFLAGS) $(DT_LDFLAGS) $(LDFLAGS) -o $@ $< \
		$(STLIB) $(PKG_LIBS) $(TEST_LIBS) $(CHECK_LIBS)

# A test tool the shell tests run: an events-only .etl from tests/etlw.h.
$(BUILD)/tests/etl-events: tests/etl-events.c tests/etlw.h
	@mkdir -p $(@D)
	$(CC) $(DT_CFLAGS) $(CFLAGS) $(DT_LDFLAGS) $(LDFLAGS) -o $@ $<

# Fuzz harnesses: with gcc they link to a plain main() that replays inputs.
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/main.c $(STLIB) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(DT_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) $(DT_LDFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/main.c \
		$(STLIB) $(PKG_LIBS) $(TEST_LIBS)

run: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/run-examples.sh $(CLI)

check: deps-check
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory test

test: $(TEST_BIN) $(FUZZ_BIN) $(CLI) $(SERVE) $(BUILD)/tests/etl-events
	@BUILD=$(BUILD) sh tests/run-tests.sh $(TEST_BIN)

asan: deps-check
	@$(MAKE) --no-print-directory BUILD=build-asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" test

FUZZ_SECONDS ?= 30
fuzz:
	@sh tests/fuzz/run-libfuzzer.sh $(FUZZ_SECONDS)

bench: all
	@sh tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 644 $(STLIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHLIB) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libdatrace.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libdatrace.so
	install -m 644 include/datrace.h $(DESTDIR)$(PREFIX)/include/
	$(CC) $(DT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $(BUILD)/datrace.installed $(CLI_OBJ) \
		-L$(BUILD) -ldatrace $(CLI_LIBS) -Wl,--enable-new-dtags -Wl,-rpath,'$$ORIGIN/../lib'
	install -m 755 $(BUILD)/datrace.installed $(DESTDIR)$(PREFIX)/bin/datrace
	$(CC) $(DT_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $(BUILD)/datrace-serve.installed \
		$(SERVE_OBJ) -L$(BUILD) -ldatrace $(SERVE_LIBS) -lm
	install -m 755 $(BUILD)/datrace-serve.installed $(DESTDIR)$(PREFIX)/bin/datrace-serve
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@PKGS@|$(PKGS)|' lib/libdatrace.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/libdatrace.pc
	for f in $(wildcard man/*.1); do install -m 644 $$f $(DESTDIR)$(PREFIX)/share/man/man1/; done
	for f in $(wildcard man/*.3); do install -m 644 $$f $(DESTDIR)$(PREFIX)/share/man/man3/; done
	@# A system prefix is in the loader's path: refresh its cache so programs
	@# built against -ldatrace find libdatrace.so.$(MAJOR) without a RUNPATH.
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1 && \
	    ldconfig -p >/dev/null 2>&1; then ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libdatrace.a $(DESTDIR)$(PREFIX)/lib/libdatrace.so* \
		$(DESTDIR)$(PREFIX)/include/datrace.h $(DESTDIR)$(PREFIX)/bin/datrace \
		$(DESTDIR)$(PREFIX)/bin/datrace-serve \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/libdatrace.pc
	for f in $(notdir $(wildcard man/*.1)); do rm -f $(DESTDIR)$(PREFIX)/share/man/man1/$$f; done
	for f in $(notdir $(wildcard man/*.3)); do rm -f $(DESTDIR)$(PREFIX)/share/man/man3/$$f; done

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SERVE_OBJ:.o=.d)

# The HTML report in headless Chromium (installs Debian's chromium as root).
.PHONY: check-browser
check-browser: all
	@BUILD=$(BUILD) sh tests/test_browser.sh
	@BUILD=$(BUILD) sh tests/test_serve_browser.sh
