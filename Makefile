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
BENCHES  = $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

.PHONY: all check unit e2e debug install clean golden bench demo
all: $(BIN)

$(BUILD)/%.o: src/%.c $(HDRS) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(OBJS)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIB) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(TEST_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS) $(TEST_LIBS)

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
check: $(BIN) $(TESTS)
	@tests/run $(TESTS) $(sort $(wildcard tests/e2e/t*.sh))

unit: $(TESTS)
	@tests/run $(TESTS)

e2e: $(BIN)
	@tests/run $(sort $(wildcard tests/e2e/t*.sh))

# ASan + UBSan build of everything, then the whole suite under it.
debug:
	$(MAKE) BUILD=build-debug OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" BIN=newsbeat-debug \
	  NEWSBEAT=$(CURDIR)/newsbeat-debug check

bench: $(BIN) $(BENCHES)

# Regenerate golden files for review with `git diff tests/golden`.
golden: $(BIN)
	tests/golden/regen

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/newsbeat/templates
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/newsbeat
	install -m 644 templates/* $(DESTDIR)$(PREFIX)/share/newsbeat/templates/

clean:
	rm -rf build build-debug newsbeat newsbeat-debug

# The main job on the sample newsletter in this directory: import the sample
# members, send the latest issue through the Maildir outbox, build the archive.
demo: $(BIN)
	./newsbeat subscribers import data/subscribers.csv
	./newsbeat send --yes $$(ls issues/issue-*.md | sort -t- -k2 -n | tail -n 1)
	./newsbeat archive
	@echo
	@echo "Messages: $(CURDIR)/outbox/new/ (open with: mutt -f outbox, or any mail client)"
	@echo "Archive:  $(CURDIR)/public/index.html (or: ./newsbeat serve, then http://127.0.0.1:8080/)"
