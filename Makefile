# newsbeat — see README.md.  `make`, `make check`, `make debug`,
# `make install PREFIX=/usr/local`, `make clean`, `make golden`.

PREFIX  ?= /usr/local
CC      ?= cc
PKGS     = libcmark sqlite3 yaml-0.1 libidn2 nettle gnutls libcurl libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libetpan)
# libetpan's .pc file drags in a dpkg -specs flag that breaks sanitizer
# links: link -letpan itself.
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -letpan -lcsv -lpthread
TEST_CFLAGS := $(shell pkg-config --cflags json-c)
TEST_LIBS   := $(shell pkg-config --libs json-c)

WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wwrite-strings -Wformat=2 -Wvla
OPT     ?= -O2 -g
VERSION  = 0.1.0
# The user's CFLAGS come first so they can never remove the warnings.
ALL_CFLAGS = $(CFLAGS) -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Isrc -DNEWSBEAT_VERSION=\"$(VERSION)\" -DNEWSBEAT_DATADIR=\"$(PREFIX)/share/newsbeat\" $(PKG_CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)

BUILD   ?= build
export NEWSBEAT ?= $(CURDIR)/newsbeat
export NEWSBEAT_SHARED ?= $(abspath ../shared)
# The layers are folders under src/ (README.md, Layout); an object keeps
# its folder, so build/store/store.o.
SRCS     = $(wildcard src/*/*.c)
HDRS     = $(wildcard src/*/*.h)
OBJS     = $(SRCS:src/%.c=$(BUILD)/%.o)
LIB      = $(BUILD)/libnewsbeat.a
BIN      = newsbeat
TESTS    = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
# Test drivers for modules no command exposes on its own (tests/tools/*.c).
TOOLS    = $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))
export NEWSBEAT_TOOLS := $(CURDIR)/$(BUILD)/tools
BENCHES  = $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

.PHONY: all check unit e2e debug tsan install uninstall clean golden bench demo FORCE
all: $(BIN)

# Every object depends on the flags it was built with (the install prefix
# among them: the binary looks for its templates there), so
# `make install PREFIX=X` after a plain `make` rebuilds for X.
$(BUILD)/CFLAGS: FORCE | $(BUILD)
	@printf '%s\n' '$(subst ','\'',$(ALL_CFLAGS))' | cmp -s - $@ || \
	  printf '%s\n' '$(subst ','\'',$(ALL_CFLAGS))' > $@
FORCE:

$(BUILD)/%.o: src/%.c $(HDRS) $(BUILD)/CFLAGS | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(OBJS)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIB) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(TEST_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS) $(TEST_LIBS)

$(BUILD)/tools/%: tests/tools/%.c $(LIB) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/bench/%: bench/%.c $(LIB) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS)

# The bare libcurl loop bench/send measures against links libcurl itself.
$(BUILD)/bench/curl_loop: bench/curl_loop.c | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(shell pkg-config --libs libcurl) -lpthread

$(BUILD):
	mkdir -p $(BUILD)

# Unit tests (TAP) and end-to-end shell tests; tests/run prints the
# closing "N passed, N failed" line.
check: $(BIN) $(TESTS) $(TOOLS)
	@scripts/check-layers
	@tests/run $(TESTS) $(sort $(wildcard tests/e2e/t*.sh))

unit: $(TESTS)
	@tests/run $(TESTS)

e2e: $(BIN) $(TOOLS)
	@tests/run $(sort $(wildcard tests/e2e/t*.sh))

# ASan + UBSan build of everything, then the whole suite under it.
debug:
	$(MAKE) BUILD=build-debug OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" BIN=newsbeat-debug \
	  NEWSBEAT=$(CURDIR)/newsbeat-debug check

# ThreadSanitizer (gcc) over the tests that run threads: the sender's
# workers, the row pipe and the import's reader, serve's mailer, the
# archive's page workers.  Any report fails the run (exit 66); nothing is
# suppressed.
TSAN_TESTS = test_sender test_rowpipe test_import test_serve test_archive
tsan:
	$(MAKE) BUILD=build-tsan CC=gcc OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=thread" EXTRA_LDFLAGS="-fsanitize=thread" \
	  $(TSAN_TESTS:%=build-tsan/tests/%)
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 $$TSAN_OPTIONS" \
	  tests/run $(TSAN_TESTS:%=build-tsan/tests/%)

bench: $(BIN) $(BENCHES)

# Regenerate golden files for review with `git diff tests/golden`.
golden: $(BIN)
	tests/golden/regen

TEMPLATES = $(filter-out templates/README.md,$(wildcard templates/*))
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/newsbeat/templates \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/newsbeat
	install -m 644 $(TEMPLATES) $(DESTDIR)$(PREFIX)/share/newsbeat/templates/
	install -m 644 docs/newsbeat.1 $(DESTDIR)$(PREFIX)/share/man/man1/newsbeat.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/newsbeat $(DESTDIR)$(PREFIX)/share/man/man1/newsbeat.1
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/newsbeat/,$(TEMPLATES))
	-rmdir $(DESTDIR)$(PREFIX)/share/newsbeat/templates $(DESTDIR)$(PREFIX)/share/newsbeat 2>/dev/null

clean:
	rm -rf build build-debug build-tsan build-fuzz newsbeat newsbeat-debug

# The main job on the sample newsletter in this directory: import the sample
# members, send the latest issue through the Maildir outbox, build the archive.
demo: $(BIN)
	./newsbeat subscribers import data/subscribers.csv
	./newsbeat send --yes $$(ls issues/issue-*.md | sort -t- -k2 -n | tail -n 1)
	@echo
	@echo "Messages: $(CURDIR)/outbox/new/ (open with: mutt -f outbox, or any mail client)"
	@echo "Archive:  $(CURDIR)/public/index.html (or: ./newsbeat serve, then http://127.0.0.1:8080/)"

# ---- Warnings as errors, and fuzzing ----------------------------------
# `make fuzz` builds one libFuzzer target per tests/fuzz/fuzz_*.c (clang;
# the library in its own BUILD dir with the fuzzer's coverage hooks and
# ASan + UBSan); `make fuzz-run` then runs each for an equal share of
# FUZZ_SECONDS from its seeds in tests/fuzz/<name>/ and fails on any
# finding (crash, leak, sanitizer report, broken invariant, timeout).
#
# WERROR=1 (CI) makes every warning an error in every build: it reaches
# the debug and fuzz builds too, as command-line variables do.
ifeq ($(WERROR),1)
WARN += -Werror
endif

FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN      = address,undefined
FUZZ_TARGETS  = $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: fuzz fuzz-run fuzz-targets
fuzz:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,$(FUZZ_SAN) -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=fuzzer,$(FUZZ_SAN)" fuzz-targets

fuzz-run: fuzz
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BUILD) $(FUZZ_TARGETS)

fuzz-targets: $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS)
# ---- end of warnings as errors, and fuzzing ---------------------------
