# SPDX-License-Identifier: MIT
# lanwire: plain GNU make. `make` builds, `make check` runs every test,
# `make demo` runs the main job. `make deps` installs Debian packages.

# The version is set in one place, debian/changelog's first line; a build
# from a git tree adds the commit (0.1.0+g86479b8-dirty), so a binary from
# a work tree is never taken for a packaged one. debian/rules passes
# VERSION=<the changelog's> so the package's programs print exactly the
# package version.
CHANGELOG_VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' \
	debian/changelog 2>/dev/null)
GIT_REV := $(shell git describe --always --dirty 2>/dev/null)
VERSION := $(or $(CHANGELOG_VERSION),0.0.0)$(if $(GIT_REV),+g$(GIT_REV))
CC ?= cc
SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
OPT := -O1
else ifeq ($(SAN),thread)
# ThreadSanitizer, for the crypto workers (make tsan).
BUILD ?= build-tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
OPT := -O1
else
BUILD ?= build
SANFLAGS :=
OPT := -O2
endif

CFLAGS ?= $(OPT) -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -MMD -MP \
	-D_GNU_SOURCE -Itests -DLW_VERSION='"$(VERSION)"' $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
LDLIBS := -lcrypto -lpthread

# common/: what both programs share (keys, prefixes, endpoints, the text
# buffer, the UAPI's names), linked into each. Each directory sees its own
# headers and common/'s only: the planner is built without -Idaemon and the
# daemon without -Iplanner.
COMMON_ALL := $(wildcard common/*.c)
COMMON_TESTS := $(filter %_test.c,$(COMMON_ALL))
COMMON_LIB := $(filter-out %_test.c,$(COMMON_ALL))
COMMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_LIB))
DAEMON_ALL := $(wildcard daemon/*.c)
DAEMON_TESTS := $(filter %_test.c,$(DAEMON_ALL))
DAEMON_LIB := $(filter-out %_test.c daemon/main.c,$(DAEMON_ALL))
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(DAEMON_LIB)) $(COMMON_OBJS)
TEST_BINS := $(patsubst daemon/%_test.c,$(BUILD)/tests/%_test,$(DAEMON_TESTS))
TEST_BINS += $(patsubst common/%_test.c,$(BUILD)/tests/common_%_test,\
	$(COMMON_TESTS))
# The planner, lanwire: planner/*.c and common/ (COMMON_OBJS); its tests
# run with the daemon's.
PLANNER_ALL := $(wildcard planner/*.c)
PLANNER_TESTS := $(filter %_test.c,$(PLANNER_ALL))
PLANNER_CLI := $(wildcard planner/cli*.c)
# Host side (up, down, lab): linked into lanwire only, with the examples
# embedded for the lab.
PLANNER_HOST := $(filter-out %_test.c,$(wildcard planner/lab*.c \
	planner/apply*.c planner/proc.c))
PLANNER_LIB := $(filter-out %_test.c $(PLANNER_CLI) $(PLANNER_HOST),\
	$(PLANNER_ALL))
PLANNER_HOST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(PLANNER_HOST)) \
	$(BUILD)/planner/lab_examples.o
PLANNER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(PLANNER_LIB))
PLANNER_LDLIBS := -linih -lqrencode -ljansson -lmicrohttpd -lcurl
TEST_BINS += $(patsubst planner/%_test.c,$(BUILD)/tests/planner_%_test,\
	$(PLANNER_TESTS))
MICROBENCH := $(BUILD)/bench/microbench
# Many peers from one process against one hub (bench/manypeers.sh).
LOADPEERS := $(BUILD)/bench/loadpeers
LOADPEERS_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard bench/loadpeers*.c))
# Many simulated agents against one lanwire serve (bench/ctlscale.sh).
CTLSCALE := $(BUILD)/bench/ctlscale

ifneq ($(V),1)
Q := @
qecho = @echo "  $(1)	$(2)"
else
qecho =
endif

.PHONY: all loadpeers ctlscale deps unit tsan valgrind soak-long check e2e fuzz fuzz-build \
	fuzz-campaign demo demo-tunnel lab bench clean man install uninstall \
	deb

all: $(BUILD)/lanwired $(BUILD)/lanwire

$(BUILD)/common/%.o: CPPFLAGS += -Icommon
$(BUILD)/daemon/%.o $(BUILD)/bench/%.o: CPPFLAGS += -Icommon -Idaemon
$(BUILD)/planner/%.o: CPPFLAGS += -Icommon -Iplanner

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call qecho,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/liblw.a: $(LIB_OBJS)
	$(call qecho,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/lanwired: $(BUILD)/daemon/main.o $(BUILD)/liblw.a
	$(call qecho,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%_test: $(BUILD)/daemon/%_test.o $(BUILD)/liblw.a
	@mkdir -p $(dir $@)
	$(call qecho,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/common_%_test: $(BUILD)/common/%_test.o $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(call qecho,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/planner/lab_examples.c: $(wildcard examples/*.conf) \
		scripts/embed-examples.sh
	@mkdir -p $(dir $@)
	$(call qecho,GEN,$@)
	$(Q)sh scripts/embed-examples.sh $(wildcard examples/*.conf) >$@.tmp && \
		mv $@.tmp $@

$(BUILD)/planner/lab_examples.o: $(BUILD)/planner/lab_examples.c
	$(call qecho,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/lanwire: $(patsubst %.c,$(BUILD)/%.o,$(PLANNER_CLI)) \
		$(PLANNER_OBJS) $(PLANNER_HOST_OBJS) $(COMMON_OBJS)
	$(call qecho,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PLANNER_LDLIBS) $(LDLIBS)

$(BUILD)/tests/planner_%_test: $(BUILD)/planner/%_test.o $(PLANNER_OBJS) \
		$(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(call qecho,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PLANNER_LDLIBS) $(LDLIBS)

# The lab's text overlay is host-side code: its test links it all.
$(BUILD)/tests/planner_lab_desc_test: $(PLANNER_HOST_OBJS)

$(MICROBENCH): $(BUILD)/bench/microbench.o $(BUILD)/liblw.a
	$(call qecho,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LOADPEERS): $(LOADPEERS_OBJS) $(BUILD)/liblw.a
	$(call qecho,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

loadpeers: $(LOADPEERS)

$(CTLSCALE): $(BUILD)/bench/ctlscale.o
	$(call qecho,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -ljansson -lcurl

ctlscale: $(CTLSCALE)

# libFuzzer targets: one per parser, built with clang into build-fuzz/.
# Every target links the daemon's and common/'s objects and, as an archive
# (only what it uses), the planner's.
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-std=gnu11 -D_GNU_SOURCE -Icommon -Idaemon -Iplanner \
	-DLW_VERSION='"fuzz"'
FUZZ_LIB_OBJS := $(patsubst %.c,build-fuzz/%.o,$(DAEMON_LIB) $(COMMON_LIB))
FUZZ_PLANNER_OBJS := $(patsubst %.c,build-fuzz/%.o,$(PLANNER_LIB))
FUZZ_NAMES := $(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c))
FUZZ_TARGETS := $(patsubst %,build-fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 30
# No link-time stand-ins (-Wl,--wrap): the wire, the sockets, the clocks
# and the random bytes come through each device's ops (device_ops, udp_io).

build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(call qecho,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -MMD -MP -fsanitize=fuzzer-no-link -c -o $@ $<

build-fuzz/libplanner.a: $(FUZZ_PLANNER_OBJS)
	$(call qecho,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

build-fuzz/fuzz_%: fuzz/%.c $(FUZZ_LIB_OBJS) build-fuzz/libplanner.a
	$(call qecho,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ \
		$(PLANNER_LDLIBS) -lcrypto -lpthread

# The same targets for line coverage (tests/fuzz-campaign.sh): no
# sanitizers, clang's source-based coverage, libFuzzer only as the driver
# that replays a corpus.
FUZZ_COV_FLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Icommon -Idaemon -Iplanner \
	-DLW_VERSION='"fuzz"' -fprofile-instr-generate -fcoverage-mapping
FUZZ_COV_LIB_OBJS := $(patsubst %.c,build-fuzz/cov/%.o,$(DAEMON_LIB) \
	$(COMMON_LIB))
FUZZ_COV_PLANNER_OBJS := $(patsubst %.c,build-fuzz/cov/%.o,$(PLANNER_LIB))
FUZZ_COV_TARGETS := $(patsubst %,build-fuzz/cov/fuzz_%,$(FUZZ_NAMES))

build-fuzz/cov/%.o: %.c
	@mkdir -p $(dir $@)
	$(call qecho,COVCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_COV_FLAGS) -MMD -MP -c -o $@ $<

build-fuzz/cov/libplanner.a: $(FUZZ_COV_PLANNER_OBJS)
	$(call qecho,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

build-fuzz/cov/fuzz_%: fuzz/%.c $(FUZZ_COV_LIB_OBJS) build-fuzz/cov/libplanner.a
	$(call qecho,COVLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_COV_FLAGS) -fsanitize=fuzzer -o $@ $^ \
		$(PLANNER_LDLIBS) -lcrypto -lpthread

.SECONDARY:

fuzz-build: $(FUZZ_TARGETS)

# Each target for FUZZ_SECONDS on a scratch copy of its committed corpus.
fuzz: $(FUZZ_TARGETS)
	@bash tests/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The long run: every target (or FUZZ_ONLY="a b") for FUZZ_SECONDS each,
# 600 unless given, one after the other; executions, coverage, crashes.
# FUZZ_MERGE=1 merges what it found back into fuzz/corpus/ (minimised).
FUZZ_CAMPAIGN_SECONDS := $(if $(filter file,$(origin FUZZ_SECONDS)),600,$(FUZZ_SECONDS))
fuzz-campaign: $(FUZZ_TARGETS) $(FUZZ_COV_TARGETS)
	@FUZZ_SECONDS=$(FUZZ_CAMPAIGN_SECONDS) FUZZ_MERGE=$(FUZZ_MERGE) \
		bash tests/fuzz-campaign.sh $(or $(FUZZ_ONLY),$(FUZZ_NAMES))

deps:
	@bash tests/deps.sh

unit: $(TEST_BINS)
	@bash tests/run-unit.sh $(TEST_BINS)

# The 30-minute soak of issue 5 (tests/e2e/soak.sh): lanwired as user nobody
# against wireguard-go, about 15 rekeys, RSS checked flat.
soak-long: deps all
	@SOAK_SECONDS=1800 LANWIRE_USER=nobody bash tests/e2e/run.sh \
		$(abspath $(BUILD))/lanwired $$(command -v wireguard-go || echo /usr/bin/wireguard-go) soak

# The unit tests built with ThreadSanitizer (the crypto workers, and the
# device tests that run them); a data race fails the run.
tsan:
	@$(MAKE) -s SAN=thread $(patsubst $(BUILD)/%,build-tsan/%,$(TEST_BINS))
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66" bash tests/run-unit.sh \
		$(patsubst $(BUILD)/%,build-tsan/%,$(TEST_BINS))

# The plain unit tests again under valgrind memcheck (leaks are errors).
valgrind: $(TEST_BINS)
	@UNIT_WRAPPER="valgrind -q --error-exitcode=9 --leak-check=full \
		--errors-for-leak-kinds=definite" bash tests/run-unit.sh $(TEST_BINS)

check: deps
	@bash tests/check.sh

# The main job: seed 000's leased line built in namespaces on this machine,
# configured by lanwire, run by lanwired, probed (lanwire lab).
demo: deps all
	@$(BUILD)/lanwire lab leased-line

# The two-namespace tunnel of seed 004 with wg-quick alone.
demo-tunnel: deps all
	@bash scripts/demo.sh $(BUILD)/lanwired

# Every lab scenario and lanwire up/down as tests (tests/lab/run.sh).
lab: deps all
	@bash tests/lab/run.sh $(BUILD)/lanwire

# lanwired against Debian's and upstream's wireguard-go, side by side
# (bench/bench.sh and its parts; set BENCH_IMPLS to other daemon paths,
# RUNS and DURATION to taste; docs/bench.md).
bench: deps all $(MICROBENCH) $(CTLSCALE)
	@MICROBENCH=$(MICROBENCH) bash bench/bench.sh $(BENCH_IMPLS)

# Man pages: scdoc sources in man/, built into $(BUILD)/man/.
MAN_SRC := $(wildcard man/*.scd)
MAN_PAGES := $(patsubst man/%.scd,$(BUILD)/man/%,$(MAN_SRC))

man: $(MAN_PAGES)

$(BUILD)/man/%: man/%.scd
	@mkdir -p $(dir $@)
	$(call qecho,SCDOC,$@)
	$(Q)scdoc <$< >$@.tmp && mv $@.tmp $@

# make install [PREFIX=/usr/local] [DESTDIR=]: programs in sbin (they
# need root), man pages, bash completion, the systemd units (lanwire@ and
# the wg-quick@ drop-in, which goes to the docs as an example: it changes
# every wg-quick@ interface, so an administrator installs it by hand),
# examples and docs. debian/rules runs it with PREFIX=/usr.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/lanwire
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
# What make install writes, relative to DESTDIR (uninstall removes these).
INSTALLED := $(SBINDIR)/lanwired $(SBINDIR)/lanwire \
	$(patsubst $(BUILD)/man/%,$(MANDIR)/man8/%,$(filter %.8,$(MAN_PAGES))) \
	$(patsubst $(BUILD)/man/%,$(MANDIR)/man5/%,$(filter %.5,$(MAN_PAGES))) \
	$(BASHCOMPDIR)/lanwire $(SYSTEMDUNITDIR)/lanwire@.service \
	$(DOCDIR)/examples/wg-quick@.service.d/lanwired.conf \
	$(patsubst examples/%,$(DOCDIR)/examples/%,$(wildcard examples/*.conf)) \
	$(DOCDIR)/README.md $(DOCDIR)/description.md
unit_subst = sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g'

install: all man
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(DOCDIR)/examples/wg-quick@.service.d
	install -m 0755 $(BUILD)/lanwired $(BUILD)/lanwire $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 completion/lanwire.bash $(DESTDIR)$(BASHCOMPDIR)/lanwire
	$(unit_subst) systemd/lanwire@.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/lanwire@.service
	$(unit_subst) systemd/wg-quick-lanwired.conf \
		>$(DESTDIR)$(DOCDIR)/examples/wg-quick@.service.d/lanwired.conf
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/lanwire@.service \
		$(DESTDIR)$(DOCDIR)/examples/wg-quick@.service.d/lanwired.conf
	install -m 0644 examples/*.conf $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 README.md docs/description.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR)/examples/wg-quick@.service.d \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

# The Debian package, built with dpkg-buildpackage from a copy of the tree
# in $(DEB_DIR) (so the tree stays clean); the .deb lands there too.
DEB_DIR ?= build-deb
deb:
	@bash scripts/build-deb.sh $(DEB_DIR)

clean:
	rm -rf build build-san build-tsan build-fuzz build-deb

-include $(shell find $(BUILD) build-fuzz -name '*.d' 2>/dev/null)
