# stsenv: see README.md.  `make` builds, `make test` tests, `make demo` shows.
# `make deps` installs the Debian packages a build needs.
VERSION := 0.2.0
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR := $(PREFIX)/lib/stsenv
BINDIR := $(PREFIX)/bin
DOCDIR := $(PREFIX)/share/doc/stsenv
MANDIR := $(PREFIX)/share/man
LIBDIR_REL = $(shell realpath -m --relative-to=$(BINDIR) $(LIBDIR))

CC ?= cc
BUILD ?= build
OPT ?= -O2
SAN ?=
CFLAGS_ALL = -std=gnu11 $(OPT) -g -Wall -Wextra -Werror -fPIC -fvisibility=hidden \
	-D_GNU_SOURCE -DSTSENV_VERSION='"$(VERSION)"' -DSTSENV_LIBDIR='"$(LIBDIR)"' \
	-DSTSENV_BINDIR='"$(BINDIR)"' -DSTSENV_DOCDIR='"$(DOCDIR)"' \
	-DSTSENV_LIBDIR_REL='"$(LIBDIR_REL)"' $(SAN) $(CFLAGS)
LDLIBS_ALL = -ldl -lpthread

CORE_SRC := $(wildcard core/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
PRELOAD_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard preload/*.c))
CLI_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard cli/*.c))
HDRS := $(wildcard core/*.h preload/*.h cli/*.h)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PROG_SRC := $(wildcard tests/progs/*.c)
PROG_BIN := $(PROG_SRC:tests/progs/%.c=$(BUILD)/progs/%)

.PHONY: all deps test-bins test demo bench install uninstall man deb clean format check-format
all: $(BUILD)/libstsenv.so $(BUILD)/stsenv $(BUILD)/stsenv-keeper $(BUILD)/python/sitecustomize.py

# Installs the Debian packages a build needs (make test, demo and bench do it).
deps:
	@sh tools/deps.sh build

$(BUILD)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libstsenv-core.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

# The export map comes from the one list of interposed symbols.
$(BUILD)/exports.map: preload/symbols.h
	@mkdir -p $(dir $@)
	cpp -P -DSTSENV_EXPORT_MAP $< > $@

$(BUILD)/libstsenv.so: $(PRELOAD_OBJ) $(BUILD)/libstsenv-core.a $(BUILD)/exports.map
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -shared -Wl,--version-script=$(BUILD)/exports.map \
		-o $@ $(PRELOAD_OBJ) $(BUILD)/libstsenv-core.a $(LDLIBS_ALL)

# The command exports one symbol, by which the preload knows not to act in it.
$(BUILD)/stsenv: $(CLI_OBJ) $(BUILD)/libstsenv-core.a cli/dynamic.list
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -Wl,--dynamic-list=cli/dynamic.list -o $@ $(CLI_OBJ) \
		$(BUILD)/libstsenv-core.a $(LDLIBS_ALL)

# The preload finds its Python bootstrap beside itself.
$(BUILD)/python/sitecustomize.py: python/sitecustomize.py
	@mkdir -p $(dir $@)
	cp $< $@

# The preload starts `stsenv keep` from beside itself.
$(BUILD)/stsenv-keeper: $(BUILD)/stsenv
	ln -sf stsenv $@

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libstsenv-core.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Wno-unused-function -o $@ $< $(BUILD)/libstsenv-core.a $(LDLIBS_ALL)

# Test programs are ordinary programs: they know nothing about stsenv.
$(BUILD)/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE $(SAN) -o $@ $< -lpthread

# Static binaries never load the preload: they only see what exec hands them.
$(BUILD)/progs/%-static: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -static -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

STATIC_BIN := $(BUILD)/progs/getenvs-static $(BUILD)/progs/stamp-static $(BUILD)/progs/rotatee-static
test-bins: all $(UNIT_BIN) $(PROG_BIN) $(STATIC_BIN)

test:
	@sh tools/deps.sh test
	@$(MAKE) --no-print-directory test-bins >/dev/null
	@$(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test-bins >/dev/null
	@$(MAKE) --no-print-directory BUILD=build/tsan OPT=-O1 SAN="-fsanitize=thread" \
		build/tsan/tests/test_snap build/tsan/tests/test_tree >/dev/null
	@sh tests/run.sh

demo:
	@sh tools/deps.sh demo
	@$(MAKE) --no-print-directory test-bins >/dev/null
	@sh tests/demo.sh

bench:
	@sh tools/deps.sh test
	@$(MAKE) --no-print-directory test-bins >/dev/null
	@sh bench/run.sh

# The man pages come from --help (cli/args.c) and the README, so neither
# can drift from them (tools/mkman.py).
MAN := $(BUILD)/man/stsenv.1 $(BUILD)/man/stsenv.7
man: $(MAN)
$(BUILD)/man/stsenv.1: $(BUILD)/stsenv tools/mkman.py
	@mkdir -p $(@D)
	python3 tools/mkman.py cmd $(BUILD)/stsenv $(VERSION) >$@.tmp && mv $@.tmp $@
$(BUILD)/man/stsenv.7: README.md tools/mkman.py
	@mkdir -p $(@D)
	python3 tools/mkman.py preload README.md $(VERSION) $(LIBDIR) >$@.tmp && mv $@.tmp $@

BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
INSTALLED := $(BINDIR)/stsenv $(LIBDIR)/libstsenv.so $(LIBDIR)/stsenv-keeper \
	$(LIBDIR)/python/sitecustomize.py $(MANDIR)/man1/stsenv.1 $(MANDIR)/man7/stsenv.7 \
	$(DOCDIR)/README.md $(BASHCOMPDIR)/stsenv $(ZSHCOMPDIR)/_stsenv

install: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/python \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(BUILD)/stsenv $(DESTDIR)$(BINDIR)/stsenv
	install -m 0644 $(BUILD)/libstsenv.so $(DESTDIR)$(LIBDIR)/libstsenv.so
	ln -sf $(shell realpath -m --relative-to=$(LIBDIR) $(BINDIR))/stsenv $(DESTDIR)$(LIBDIR)/stsenv-keeper
	install -m 0644 python/sitecustomize.py $(DESTDIR)$(LIBDIR)/python/sitecustomize.py
	install -m 0644 $(BUILD)/man/stsenv.1 $(DESTDIR)$(MANDIR)/man1/stsenv.1
	install -m 0644 $(BUILD)/man/stsenv.7 $(DESTDIR)$(MANDIR)/man7/stsenv.7
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0644 completion/stsenv.bash $(DESTDIR)$(BASHCOMPDIR)/stsenv
	install -m 0644 completion/_stsenv $(DESTDIR)$(ZSHCOMPDIR)/_stsenv

# A Debian package (tools/mkdeb.sh): Debian's paths and build flags.
deb:
	@sh tools/mkdeb.sh $(VERSION) $(BUILD)

# Removes what install put there, and the directories of ours it leaves empty.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(LIBDIR)/python $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null

format:
	clang-format -i core/*.[ch] preload/*.[ch] cli/*.[ch] tests/unit/*.[ch] tests/progs/*.c fuzz/*.c bench/*.c

clean:
	rm -rf build

# ---- fuzzing: libFuzzer harnesses in fuzz/ (see fuzz/README.md) -------------
# `make fuzz` builds them with clang into build/fuzz/ and runs each, one at a
# time, for FUZZ_SECONDS on a copy of its corpus; a crash fails it.
# `make fuzz-smoke` is the same with 20 s unless FUZZ_SECONDS is given,
# and a fixed seed (see below).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_NAMES := credjson http profile vars page sts httpreq
FUZZ_OUT := $(BUILD)/fuzz
FUZZ_FLAGS = -std=gnu11 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -D_GNU_SOURCE \
	-DSTSENV_VERSION='"$(VERSION)"' -DSTSENV_LIBDIR='"$(LIBDIR)"' \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(FUZZ_OUT)/obj/%.o)
FUZZ_BIN := $(FUZZ_NAMES:%=$(FUZZ_OUT)/fuzz_%)

.PHONY: fuzz fuzz-smoke fuzz-bins
fuzz-bins: $(FUZZ_BIN)

$(FUZZ_OUT)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/libstsenv-core.a: $(FUZZ_CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_OUT)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(HDRS) $(FUZZ_OUT)/libstsenv-core.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OUT)/libstsenv-core.a $(LDLIBS_ALL)

fuzz: fuzz-bins
	@sh fuzz/run.sh $(FUZZ_OUT) $(FUZZ_SECONDS) $(FUZZ_NAMES)

# The smoke round in CI uses a fixed seed: what it explores from a fresh
# clone is what was explored here before landing, so it fails on a change,
# not on the luck of the draw.  `make fuzz` explores with a random seed.
fuzz-smoke: fuzz-bins
	@FUZZ_SEED=$${FUZZ_SEED:-1} sh fuzz/run.sh $(FUZZ_OUT) \
		$(if $(filter command line environment%,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),20) \
		$(FUZZ_NAMES)

# The replay of the corpora (a unit test) includes the harnesses' sources.
$(BUILD)/tests/test_fuzz_corpus: $(wildcard fuzz/*.c fuzz/*.h)
