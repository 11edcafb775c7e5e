# ktlsd - kernel TLS handshake daemon, libktls, ktls CLI, ktls-bench.
#
#   make                 build everything into $(BUILD) (default build/)
#   make check           install missing deps, unit tests on the host, then the
#                        integration suite in one VM boot (or natively with
#                        KTLSD_NATIVE=1 on a kTLS host); ends "N passed, N failed"
#   make unit            host unit tests only (CI also runs them with ASAN=1 UBSAN=1)
#   make include-cycles  list include cycles among daemon modules (none: no output)
#   make demo            the demo (natively on a kTLS host, else in the VM)
#   make install         PREFIX DESTDIR SYSCONFDIR ... below
#   make deb             Debian packages into $(BUILD)/deb/ (debian/)
#   make ASAN=1 UBSAN=1 WERROR=1 V=1
#
# Sources are found by directory: lib/*.c is libktls (lib/*gnutls*.c is the
# GnuTLS glue, kept out of libktls.so; lib/support_*.c, helpers the programs
# share, is libktls-support.a), daemon/*.c and daemon/CONCERN/*.c are ktlsd
# (included as "CONCERN/name.h", see docs/architecture.md), tools/*.c is the
# ktls CLI, bench/*.c is ktls-bench, tests/unit/test_*.c are cmocka tests
# (test_X.wrap may list symbols to wrap with -Wl,--wrap), tests/integration/*.c
# are programs the VM suite runs (each linked with tests/integration/support/*.c).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SYSCONFDIR ?= /etc
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
MODPROBEDIR ?= $(PREFIX)/lib/modprobe.d
DESTDIR ?=

VERSION := 0.1.0
SONAME_MAJOR := 0

SAN := $(if $(filter 1,$(ASAN)),asan)$(if $(filter 1,$(UBSAN)),ubsan)
BUILD ?= build$(if $(SAN),/$(SAN))

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -MMD -MP
CFLAGS += -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wpointer-arith -Wcast-qual -Wformat=2 -Wswitch-enum -Wno-unused-parameter
CFLAGS += -fstack-protector-strong -D_FORTIFY_SOURCE=2
CPPFLAGS += -Ilib -DKTLSD_VERSION='"$(VERSION)"'
LDFLAGS += -Wl,-z,relro,-z,now
ifeq ($(WERROR),1)
CFLAGS += -Werror
endif
ifeq ($(ASAN),1)
CFLAGS += -fsanitize=address -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address
endif
ifeq ($(UBSAN),1)
CFLAGS += -fsanitize=undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=undefined
endif

pc = $(shell $(PKG_CONFIG) $(1) $(2) 2>/dev/null)
GNUTLS_CFLAGS := $(call pc,--cflags,gnutls)
GNUTLS_LIBS := $(call pc,--libs,gnutls)
NL_CFLAGS := $(call pc,--cflags,libnl-genl-3.0)
NL_LIBS := $(call pc,--libs,libnl-genl-3.0)
INIH_LIBS := $(call pc,--libs,inih)
CMOCKA_LIBS := $(call pc,--libs,cmocka)
CPPFLAGS += $(GNUTLS_CFLAGS) $(NL_CFLAGS)

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

LIB_SRCS := $(filter-out %gnutls.c lib/support_%.c,$(wildcard lib/*.c))
SUPPORT_SRCS := $(wildcard lib/support_*.c)
GLUE_SRCS := $(wildcard lib/*gnutls.c)
DAEMON_SRCS := $(wildcard daemon/*.c daemon/*/*.c)
TOOL_SRCS := $(wildcard tools/*.c)
BENCH_SRCS := $(wildcard bench/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_HELPER_SRCS := $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c))
INTEG_SRCS := $(wildcard tests/integration/*.c)
INTEG_SUPPORT_SRCS := $(wildcard tests/integration/support/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
LIB_OBJS := $(call obj,$(LIB_SRCS))
GLUE_OBJS := $(call obj,$(GLUE_SRCS))
DAEMON_OBJS := $(call obj,$(DAEMON_SRCS))
DAEMON_LIB_OBJS := $(filter-out $(BUILD)/daemon/main.o,$(DAEMON_OBJS))
TOOL_LIB_OBJS := $(filter-out $(BUILD)/tools/ktls.o,$(call obj,$(TOOL_SRCS)))
UNIT_HELPER_OBJS := $(call obj,$(UNIT_HELPER_SRCS))
INTEG_SUPPORT_OBJS := $(call obj,$(INTEG_SUPPORT_SRCS))

LIBKTLS_SO := $(BUILD)/libktls.so.$(VERSION)
LIBKTLS_A := $(BUILD)/libktls.a
GLUE_A := $(BUILD)/libktls-gnutls.a
SUPPORT_A := $(BUILD)/libktls-support.a
KTLS_CLI := $(BUILD)/ktls
KTLSD := $(if $(DAEMON_SRCS),$(BUILD)/ktlsd)
BENCH := $(if $(BENCH_SRCS),$(BUILD)/ktls-bench)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
INTEG_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(INTEG_SRCS))
# ktlsd plus a compromised-network-process probe (tests/integration/attack)
ATTACK := $(if $(DAEMON_SRCS),$(BUILD)/tests/ktlsd-attack)

.PHONY: all deps check unit vm-check demo bench install uninstall clean tests version \
	include-cycles
all: $(LIBKTLS_SO) $(BUILD)/libktls.so $(LIBKTLS_A) $(GLUE_A) $(BUILD)/libktls.pc \
     $(KTLS_CLI) $(KTLSD) $(BENCH)
tests: all $(UNIT_BINS) $(INTEG_BINS) $(ATTACK)

# Only the daemon and its tests see daemon headers, as "CONCERN/name.h".
$(BUILD)/daemon/%.o $(BUILD)/tests/%.o: CPPFLAGS += -Idaemon
$(BUILD)/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBKTLS_SO): $(LIB_OBJS) lib/libktls.map
	$(call say,LD,$@)
	$(Q)$(CC) -shared -Wl,-soname,libktls.so.$(SONAME_MAJOR) \
		-Wl,--version-script=lib/libktls.map $(LDFLAGS) -o $@ $(LIB_OBJS)
$(BUILD)/libktls.so: $(LIBKTLS_SO)
	$(Q)ln -sf $(notdir $<) $@
$(LIBKTLS_A): $(LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(GLUE_A): $(GLUE_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(SUPPORT_A): $(call obj,$(SUPPORT_SRCS))
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
# The paths in the .pc are the install's: rewritten when `make install
# PREFIX=...` differs from the build's (the recorded values are the stamp).
PC_VALUES := $(PREFIX)|$(LIBDIR)|$(INCLUDEDIR)|$(VERSION)
$(BUILD)/libktls.pc: lib/libktls.pc.in Makefile FORCE
	@mkdir -p $(@D)
	$(Q)if [ "$$(cat $@.values 2>/dev/null)" != '$(PC_VALUES)' ] || [ ! -f $@ ] || \
	       [ $< -nt $@ ]; then \
		sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' $< > $@ && \
		echo '$(PC_VALUES)' > $@.values; fi
.PHONY: FORCE
FORCE:

# Programs link libktls statically so they run from the build tree.
$(KTLS_CLI): $(call obj,$(TOOL_SRCS)) $(LIBKTLS_A) $(SUPPORT_A)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS) -lpthread
$(BUILD)/ktlsd: $(DAEMON_OBJS) $(LIBKTLS_A) $(GLUE_A)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(DAEMON_OBJS) $(GLUE_A) $(LIBKTLS_A) \
		$(GNUTLS_LIBS) $(NL_LIBS) $(INIH_LIBS) -lkeyutils -lpthread
$(BUILD)/tests/ktlsd-attack: $(DAEMON_OBJS) $(BUILD)/tests/integration/attack/attack_probe.o \
			     $(LIBKTLS_A) $(GLUE_A)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(DAEMON_OBJS) $(BUILD)/tests/integration/attack/attack_probe.o \
		$(GLUE_A) $(LIBKTLS_A) $(GNUTLS_LIBS) $(NL_LIBS) $(INIH_LIBS) -lkeyutils -lpthread
$(BUILD)/ktls-bench: $(call obj,$(BENCH_SRCS)) $(LIBKTLS_A) $(GLUE_A) $(SUPPORT_A)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(call obj,$(BENCH_SRCS)) $(GLUE_A) $(LIBKTLS_A) $(SUPPORT_A) \
		$(GNUTLS_LIBS) -lpthread -lm

# Daemon code as an archive, so a unit test pulls in only what it uses.
$(BUILD)/libktlsd-core.a: $(DAEMON_LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
# The same for the CLI's code (tools/http.c and friends).
$(BUILD)/libktls-tools.a: $(TOOL_LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(UNIT_HELPER_OBJS) $(BUILD)/libktlsd-core.a \
		       $(BUILD)/libktls-tools.a $(GLUE_A) $(LIBKTLS_A) $(SUPPORT_A)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(UNIT_HELPER_OBJS) $(BUILD)/libktlsd-core.a \
		$(BUILD)/libktls-tools.a \
		$(foreach s,$(shell cat tests/unit/$*.wrap 2>/dev/null),-Wl,--wrap=$(s)) \
		$(GLUE_A) $(LIB_OBJS) $(SUPPORT_A) $(CMOCKA_LIBS) $(GNUTLS_LIBS) $(NL_LIBS) $(INIH_LIBS) -lkeyutils -lpthread
$(BUILD)/tests/integration/%: $(BUILD)/tests/integration/%.o $(INTEG_SUPPORT_OBJS) \
			      $(GLUE_A) $(LIBKTLS_A) $(SUPPORT_A)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(INTEG_SUPPORT_OBJS) $(GLUE_A) $(LIBKTLS_A) $(SUPPORT_A) \
		$(GNUTLS_LIBS) -lpthread

deps:
	@scripts/install-deps.sh

# `check` installs what is missing first, so it works on a fresh clone.
check: deps
	@$(MAKE) --no-print-directory tests
	@BUILD=$(BUILD) tests/run-check all

unit: tests
	@BUILD=$(BUILD) tests/run-check unit

# Include cycles among daemon modules, one per line; none prints nothing.
# `make unit` and `make check` fail on one (tests/run-check).
include-cycles:
	@scripts/include-cycles daemon

vm-check: tests
	@BUILD=$(BUILD) tests/run-check vm

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/bench.sh

# make fuzz: each tests/fuzz/fuzz_*.c built with clang's libFuzzer (and ASan,
# UBSan) into $(BUILD)/fuzz/ and run FUZZ_SECONDS (or FUZZ_RUNS executions)
# from its seeds in tests/fuzz/corpus/NAME/ (only read: what it finds goes to
# $(BUILD)/fuzz/corpus/NAME/, a crash to $(BUILD)/fuzz/NAME-crash-*).
# FUZZ=NAME runs one harness.  SKIP, not failure, without clang/libFuzzer;
# any crash fails.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_RUNS ?=
FUZZ_MAX_LEN ?= 70000
FUZZ_SRCS := $(if $(FUZZ),tests/fuzz/$(FUZZ).c,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	       -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Werror -Ilib -Idaemon \
	       $(NL_CFLAGS) $(GNUTLS_CFLAGS)
FUZZ_LIBS := $(NL_LIBS) $(GNUTLS_LIBS) $(INIH_LIBS)
FUZZ_LIMIT := $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))

.PHONY: fuzz
fuzz:
	@if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' | \
	     $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - > /dev/null 2>&1; then \
		echo "fuzz: SKIP: no $(FUZZ_CC) with libFuzzer (apt-get install clang)"; exit 0; \
	fi; \
	mkdir -p $(BUILD)/fuzz || exit 1; \
	for src in $(FUZZ_SRCS); do \
		name=$$(basename $$src .c); \
		printf '  %-7s %s\n' FUZZ "$$name ($(or $(FUZZ_RUNS),$(FUZZ_SECONDS) s))"; \
		$(FUZZ_CC) $(FUZZ_CFLAGS) $$src -o $(BUILD)/fuzz/$$name $(FUZZ_LIBS) || exit 1; \
		mkdir -p $(BUILD)/fuzz/corpus/$$name tests/fuzz/corpus/$$name || exit 1; \
		$(BUILD)/fuzz/$$name $(FUZZ_LIMIT) -max_len=$(FUZZ_MAX_LEN) \
			-use_value_profile=1 -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/$$name- \
			$(BUILD)/fuzz/corpus/$$name tests/fuzz/corpus/$$name \
			> $(BUILD)/fuzz/$$name.log 2>&1; \
		rc=$$?; \
		grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' $(BUILD)/fuzz/$$name.log | \
			sed "s/^/  $$name: /"; \
		if [ $$rc -ne 0 ]; then \
			tail -n 30 $(BUILD)/fuzz/$$name.log; \
			echo "fuzz: $$name FAILED (rc $$rc), log $(BUILD)/fuzz/$$name.log"; exit 1; \
		fi; \
	done; \
	echo "fuzz: $(words $(FUZZ_SRCS)) harness(es) ran $(or $(FUZZ_RUNS),$(FUZZ_SECONDS) s) each without a crash"

# Units get the installed ktlsd path; the example config never replaces a
# ktlsd.conf (only ktlsd.conf.example is written).
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MAN_PAGES := $(wildcard docs/*.[1-8])

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MODULESLOADDIR) $(DESTDIR)$(MODPROBEDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/ktlsd
	install -m 0755 $(KTLS_CLI) $(DESTDIR)$(BINDIR)/ktls
	$(if $(BENCH),install -m 0755 $(BENCH) $(DESTDIR)$(BINDIR)/ktls-bench)
	$(if $(KTLSD),install -d $(DESTDIR)$(SBINDIR) && install -m 0755 $(KTLSD) $(DESTDIR)$(SBINDIR)/ktlsd)
	install -m 0755 $(LIBKTLS_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libktls.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libktls.so.$(SONAME_MAJOR)
	ln -sf libktls.so.$(SONAME_MAJOR) $(DESTDIR)$(LIBDIR)/libktls.so
	install -m 0644 $(LIBKTLS_A) $(DESTDIR)$(LIBDIR)/
	install -m 0644 lib/ktls.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 $(BUILD)/libktls.pc $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 0644 kmod-config/modules-load.d/ktls.conf $(DESTDIR)$(MODULESLOADDIR)/ktls.conf
	install -m 0644 kmod-config/modprobe.d/ktls.conf $(DESTDIR)$(MODPROBEDIR)/ktls.conf
	sed 's|/usr/local/sbin|$(SBINDIR)|g' systemd/ktlsd.service > $(DESTDIR)$(SYSTEMDUNITDIR)/ktlsd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/ktlsd.service
	install -m 0644 systemd/ktlsd.socket $(DESTDIR)$(SYSTEMDUNITDIR)/ktlsd.socket
	install -m 0644 systemd/ktlsd.sysusers $(DESTDIR)$(SYSUSERSDIR)/ktlsd.conf
	install -m 0644 docs/ktlsd.conf.example $(DESTDIR)$(SYSCONFDIR)/ktlsd/ktlsd.conf.example
	for page in $(MAN_PAGES); do \
		section=$${page##*.}; \
		install -d $(DESTDIR)$(MANDIR)/man$$section && \
		install -m 0644 $$page $(DESTDIR)$(MANDIR)/man$$section/ || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ktls $(DESTDIR)$(BINDIR)/ktls-bench $(DESTDIR)$(SBINDIR)/ktlsd \
	      $(DESTDIR)$(LIBDIR)/libktls.so* $(DESTDIR)$(LIBDIR)/libktls.a \
	      $(DESTDIR)$(INCLUDEDIR)/ktls.h $(DESTDIR)$(PKGCONFIGDIR)/libktls.pc \
	      $(DESTDIR)$(MODULESLOADDIR)/ktls.conf $(DESTDIR)$(MODPROBEDIR)/ktls.conf \
	      $(DESTDIR)$(SYSTEMDUNITDIR)/ktlsd.service $(DESTDIR)$(SYSTEMDUNITDIR)/ktlsd.socket \
	      $(DESTDIR)$(SYSUSERSDIR)/ktlsd.conf $(DESTDIR)$(SYSCONFDIR)/ktlsd/ktlsd.conf.example \
	      $(foreach p,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p)))
	@# only when empty: a ktlsd.conf and its keys stay
	-rmdir $(DESTDIR)$(SYSCONFDIR)/ktlsd 2>/dev/null

# make deb: the Debian packages ktlsd, libktls0 and libktls-dev (debian/),
# built by dpkg-buildpackage from a copy of the files git tracks (what a
# fresh clone has; everything when there is no .git) in $(DEB_DIR)/src, so
# that nothing lands in the tree or beside it.  The .debs, .changes and
# .buildinfo end up in $(DEB_DIR), the build log in $(DEB_DIR)/build.log.
# Needs dpkg-dev and debhelper (make deps).  tests/install/package also
# runs lintian.
DEB_DIR ?= $(BUILD)/deb
DEB_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
DEB_SRC := $(DEB_DIR)/src/ktlsd-$(VERSION)

.PHONY: deb
deb:
	$(if $(DEB_DIR),,$(error DEB_DIR is empty))
	@command -v dpkg-buildpackage > /dev/null && command -v dh > /dev/null || \
		{ echo "deb: needs dpkg-buildpackage and dh (apt-get install dpkg-dev debhelper)"; exit 1; }
	$(call say,COPY,$(DEB_SRC))
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	$(Q)if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then \
		git ls-files -z | tar --null -T - --ignore-failed-read -cf -; \
	else \
		tar --exclude=./build --exclude=./.git -cf - .; \
	fi | tar -xf - -C $(DEB_SRC)
	$(call say,DPKG,$(DEB_DIR)/build.log)
	$(Q)cd $(DEB_SRC) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		DEB_BUILD_OPTIONS="nocheck parallel=$(DEB_JOBS) $(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -us -uc -b > ../../build.log 2>&1 || \
		{ tail -n 30 ../../build.log; echo "deb: failed, log $(DEB_DIR)/build.log"; exit 1; }
	$(Q)mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	$(Q)rm -rf $(DEB_DIR)/src
	@ls $(DEB_DIR)/*.deb | sed 's/^/  built   /'

clean:
	rm -rf build

# The version, said here only: libktls's file name, the .pc, KTLSD_VERSION;
# tests/install/check holds the man pages and debian/changelog to it.
version:
	@echo $(VERSION)

.SECONDARY: $(call obj,$(INTEG_SRCS) $(UNIT_SRCS)) $(INTEG_SUPPORT_OBJS) $(UNIT_HELPER_OBJS)

# (not in $(DEB_DIR), whose copy of the tree has kmod-config/*.d directories)
-include $(shell find $(BUILD) -path $(DEB_DIR) -prune -o -name '*.d' -type f -print 2>/dev/null)
