# ksink — one plain Makefile. Every dependency comes from pkg-config.
#
#   make              build/ksink, the tools (build/ksink-*) and the test programs
#   make test         install missing packages, build (normal + ASan), run every test
#   make asan         the ASan+UBSan build in build-asan/
#   make fuzz         libFuzzer targets in build-fuzz/ (needs clang)
#   make demo | down  the tote-pool demo on the embedded local stack
#                     (KAFKA=real: on a real Apache Kafka broker instead of the mock)
#   make bench        benchmarks (not part of make test)
#   make install      ksink, ksink(1), worker.properties, ksink.service under
#                     PREFIX (/usr/local) and DESTDIR
#   make deb          the Debian package, in build/deb/ (debhelper, lintian)
#   make format | format-check

BUILD   ?= build
PKGS    := rdkafka avro-c libpq libcurl jansson libmicrohttpd gnutls lua5.4
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
OPT     ?= -O2 -g
CC      ?= cc
CFLAGS  := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -fno-strict-aliasing $(OPT) \
           $(PKG_CFLAGS) $(SAN) $(EXTRA_CFLAGS)
LDFLAGS := $(SAN) $(EXTRA_LDFLAGS)
LDLIBS  := $(PKG_LIBS) -lpthread -lm

MODULES   := lib config schemas transforms connectors connectors/jdbc rest worker
LIB_SRCS  := $(filter-out worker/main.c,$(foreach d,$(MODULES),$(wildcard $(d)/*.c)))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TOOL_SRCS := $(wildcard tools/*.c)
TOOLS     := $(TOOL_SRCS:tools/%.c=$(BUILD)/ksink-%)
TLIB_SRCS := $(wildcard tests/lib/*.c)
TLIB_OBJS := $(TLIB_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/[0-9]*.c)
TESTS     := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
DEMO_SRCS := $(wildcard demo/*.c)
DEMOS     := $(DEMO_SRCS:demo/%.c=$(BUILD)/ksink-demo-%)
BENCH_SRCS:= $(wildcard bench/*.c)
BENCHES   := $(BENCH_SRCS:bench/%.c=$(BUILD)/ksink-bench-%)
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)

.SECONDARY:

.PHONY: FORCE all deps test test-only asan fuzz format format-check clean demo down play start \
        prune bench bench-smoke compose-up install deb doc

all: $(BUILD)/ksink $(BUILD)/ksink-test $(TOOLS) $(TESTS) $(DEMOS) $(BENCHES)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libksink.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/ksink: $(BUILD)/obj/worker/main.o $(BUILD)/libksink.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The worker of the shell tests: build/ksink plus the test-only MemorySink
# (tests/lib/memory_sink.c), which the shipped binary never contains (0407).
$(BUILD)/ksink-test: $(BUILD)/obj/worker/main.o $(BUILD)/obj/tests/lib/memory_sink.o \
                     $(BUILD)/libksink.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ksink-%: $(BUILD)/obj/tools/%.o $(BUILD)/libksink.a
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS)

# A tool's own modules, tools/TOOL/*.c, link into build/ksink-TOOL.
$(foreach t,$(TOOL_SRCS:tools/%.c=%),$(eval $(BUILD)/ksink-$(t): \
	$(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/$(t)/*.c))))

$(BUILD)/ksink-demo-%: $(BUILD)/obj/demo/%.o $(BUILD)/libksink.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ksink-bench-%: $(BUILD)/obj/bench/%.o $(BUILD)/libksink.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TLIB_OBJS) $(BUILD)/libksink.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

deps:
	@scripts/deps.sh

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" all

# libFuzzer targets: tests/fuzz/NAME.c defines LLVMFuzzerTestOneInput.
fuzz:
	@if command -v clang >/dev/null; then \
		$(MAKE) BUILD=build-fuzz CC=clang OPT="-O1 -g" \
			SAN="-fsanitize=fuzzer-no-link,address,undefined" $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/fuzz-%); \
	else echo "fuzz: clang not found, skipping"; fi

build-fuzz/fuzz-%: tests/fuzz/%.c tests/lib/memory_sink.c build-fuzz/libksink.a
	clang -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) \
		-o $@ $^ $(LDLIBS)

test: deps
	scripts/kafka-fetch.sh >/dev/null
	$(MAKE) all
	$(MAKE) asan
	-$(MAKE) fuzz
	tests/run.sh

# Runs the suite without rebuilding or installing (for quick iterations).
test-only:
	tests/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@out=$$(for f in $$(git ls-files '*.c' '*.h'); do \
		clang-format --dry-run --Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$out" ]; then echo "format-check: not formatted:"; echo "$$out"; exit 1; fi; \
	echo "format-check: clean"

# --- the tote-pool demo (demo/README in README.md) ---
KAFKA ?= mock

demo: deps all
	KAFKA=$(KAFKA) demo/demo.sh up

start: deps all
	KAFKA=$(KAFKA) demo/demo.sh start

play:
	demo/demo.sh play

down:
	demo/demo.sh down

prune: down
	demo/demo.sh prune

compose-up:
	docker compose -f compose/docker-compose.yml up -d --build

# --- benchmarks ---
# -O3 makes gcc 12 guess at uninitialized variables on paths it cannot rule out
# (transforms/transform_cast.c); those are warnings here, not errors
bench: deps
	$(MAKE) BUILD=build-bench OPT="-O3 -march=native -g -DNDEBUG" all
	bench/bench.sh build-bench

# a quick pass while developing: 50k rows, one round (the ratios mean little)
bench-smoke: deps all
	BENCH_RECORDS=50000 BENCH_REPEAT=1 BENCH_RESULT=build/bench-smoke.md bench/bench.sh build

# --- install, Debian package ---
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),/lib,$(PREFIX)/lib)/systemd/system
SYSUSERSDIR?= $(PREFIX)/lib/sysusers.d
# the settings of the installed worker.properties; every other key is listed
# with its default, commented out (ksink-worker-doc, from ks_worker_defs)
ETC_WORKER := key.converter=org.apache.kafka.connect.storage.StringConverter \
              value.converter=org.apache.kafka.connect.json.JsonConverter \
              config.storage.file=/var/lib/ksink/connectors.json

doc: $(BUILD)/ksink.1 $(BUILD)/worker.properties $(BUILD)/ksink.service

# rebuilt when the install paths change (they are written into the files)
$(BUILD)/install.paths: FORCE
	@mkdir -p $(BUILD)
	@echo '$(BINDIR) $(SYSCONFDIR) $(UNITDIR)' | cmp -s - $@ || \
		echo '$(BINDIR) $(SYSCONFDIR) $(UNITDIR)' >$@

FORCE:

$(BUILD)/ksink.1: dist/ksink.1.in scripts/mkman.sh $(BUILD)/ksink $(BUILD)/ksink-worker-doc \
		$(BUILD)/install.paths
	scripts/mkman.sh $(BUILD)/ksink $(BUILD)/ksink-worker-doc $< $(SYSCONFDIR) $(UNITDIR) >$@.tmp
	mv $@.tmp $@

$(BUILD)/worker.properties: $(BUILD)/ksink-worker-doc
	$< properties $(ETC_WORKER) >$@.tmp
	mv $@.tmp $@

$(BUILD)/ksink.service: dist/ksink.service.in $(BUILD)/install.paths
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@.tmp
	mv $@.tmp $@

# an existing worker.properties is kept (it is the user's configuration)
install: $(BUILD)/ksink doc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(SYSCONFDIR)/ksink \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 755 $(BUILD)/ksink $(DESTDIR)$(BINDIR)/ksink
	install -m 644 $(BUILD)/ksink.1 $(DESTDIR)$(MANDIR)/man1/ksink.1
	install -m 644 $(BUILD)/ksink.service $(DESTDIR)$(UNITDIR)/ksink.service
	install -m 644 dist/ksink.sysusers $(DESTDIR)$(SYSUSERSDIR)/ksink.conf
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/ksink/worker.properties ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/ksink/worker.properties"; \
	else install -m 644 $(BUILD)/worker.properties $(DESTDIR)$(SYSCONFDIR)/ksink/worker.properties; fi

# dpkg-buildpackage runs on a copy of the tree in build/deb/src (its clean
# step and its ../*.deb stay inside build/); the package lands in build/deb/.
deb:
	@KSINK_DEPS_DEB=1 scripts/deps.sh
	scripts/mkdeb.sh $(BUILD)/deb

clean:
	rm -rf build build-asan build-fuzz build-bench
