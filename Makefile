# femtocwmp — the two commands a new user needs:
#   make demo    the main job
#   make test    every test: Rust, Python, C, header freshness, schema validation, README
# Everything else it needs is installed into project-local places, at pinned versions:
# .venv (maturin, pytest, lxml, ruff, nbclient + ipykernel) and cargo's bin (cbindgen).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CBINDGEN_VERSION := 0.29.4
CBINDGEN := $(HOME)/.cargo/bin/cbindgen
OUT := tests/out
CFLAGS_TEST := -Wall -Wextra -Werror -std=c99 -Iinclude
CLIBS := -lpthread -ldl -lm
PY_PINS := maturin==1.16.0 pytest==9.2.0 lxml==6.1.3 ruff==0.17.5 \
	nbclient==0.11.0 nbformat==5.11.1 ipykernel==7.4.0 mypy==2.4.1
PREFIX ?= /usr/local
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)

.PHONY: demo test bench fuzz header c-lib python-ext install curl-dev test-example-c \
	test-install test-rust test-python test-c test-header test-schema test-readme lint-python tools venv \
	chaos

demo:
	$(CARGO) run -q --release -p femtocwmp-cli -- demo

test: test-rust test-header test-schema test-python test-c test-example-c test-install test-readme
	@echo "make test: all suites passed"

# ---------------------------------------------------------------- set-up (idempotent)
$(VENV)/.pins: Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(PY_PINS)
	@touch $@
venv: $(VENV)/.pins

tools:
	@if [ "$$($(CBINDGEN) --version 2>/dev/null)" != "cbindgen $(CBINDGEN_VERSION)" ]; then \
		$(CARGO) install -q cbindgen --version $(CBINDGEN_VERSION) --locked; fi

# ---------------------------------------------------------------- suites
test-rust:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -q --workspace --all-targets -- -D warnings
	$(CARGO) test -q --workspace
	$(MAKE) --no-print-directory chaos

# The exactly-once chaos run: 50 HeNBs (--state-dir), the HeMS (--store) killed 3 times and
# the henb process twice at seeded moments (FEMTOCWMP_CHAOS_SEED to replay); prints its counts.
chaos:
	$(CARGO) test -q -p femtocwmp-cli --test exactly_once chaos -- --ignored --nocapture

test-header: tools
	$(CBINDGEN) --quiet --config bindings-c/cbindgen.toml --crate femtocwmp-c \
		--output include/femtocwmp.h --verify bindings-c
	@echo "include/femtocwmp.h is fresh"

header: tools
	$(CBINDGEN) --quiet --config bindings-c/cbindgen.toml --crate femtocwmp-c \
		--output include/femtocwmp.h bindings-c

# Every sample envelope of every message type and version, validated by libxml2 (lxml)
# against the BBF schemas; plus negative fixtures that must fail, so a validator that
# silently skips cannot pass.
test-schema: venv
	rm -rf $(OUT)/samples
	$(CARGO) run -q -p femtocwmp --example emit_samples -- $(OUT)/samples
	$(PY) tools/validate_xsd.py $(OUT)/samples tests/xsd/examples
	$(PY) tools/validate_xsd.py --expect-fail tests/schema-negative

python-ext: venv
	cd bindings-python && ../$(VENV)/bin/maturin develop -q --release

test-python: venv python-ext lint-python
	$(PY) -m pytest -q tests/python
	MYPY_CACHE_DIR=$(OUT)/mypy-cache $(PY) -m mypy.stubtest femtocwmp._femtocwmp
	$(PY) tools/run_notebook.py examples/notebooks/cm_procedures.ipynb 2>&1 | grep -v "without encryption"

lint-python: venv
	$(VENV)/bin/ruff check bindings-python/python tests/python tools examples/python
	$(VENV)/bin/ruff format --check bindings-python/python tests/python tools examples/python

c-lib:
	$(CARGO) build -q --release -p femtocwmp-c

C_TESTS := test_codec test_session test_procedures test_typed test_trust

test-c: c-lib
	mkdir -p $(OUT)
	for t in $(C_TESTS); do \
		gcc $(CFLAGS_TEST) -Itests/c tests/c/$$t.c target/release/libfemtocwmp.a $(CLIBS) -o $(OUT)/$$t; \
		gcc $(CFLAGS_TEST) -Itests/c -g -fsanitize=address,undefined -fno-omit-frame-pointer \
			tests/c/$$t.c target/release/libfemtocwmp.a $(CLIBS) -o $(OUT)/$$t-asan; \
	done
	gcc -O2 -Wall -Wextra -Werror -std=c99 -D_POSIX_C_SOURCE=199309L -Iinclude -Itests/c \
		bindings-c/bench/session.c target/release/libfemtocwmp.a $(CLIBS) -o $(OUT)/bench_session
	$(OUT)/bench_session 0 0.05 > /dev/null
	$(OUT)/bench_session 0 0 3 > /dev/null && $(OUT)/bench_session 0 0 3 json > /dev/null
	for t in $(C_TESTS); do \
		args=$$([ $$t = test_codec ] && echo tests/corpus/*.xml || true); \
		$(OUT)/$$t $$args; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 $(OUT)/$$t-asan $$args; \
		if command -v valgrind >/dev/null; then \
			valgrind -q --error-exitcode=1 --leak-check=full $(OUT)/$$t $$args; \
		else echo "valgrind not installed: skipped the valgrind run of $$t"; fi; \
	done

# libcurl for the C HeNB example: Debian's libcurl4-openssl-dev headers, linked against the
# machine's libcurl.so.4. When the -dev package is not installed (on Debian it can lag the
# installed library's version and refuse to install), its .deb is fetched with apt-get
# download and unpacked into $(OUT): no root, nothing installed system-wide.
MULTIARCH := $(shell gcc -print-multiarch)
CURL_DEV := $(OUT)/curl-dev
CURL_CFLAGS := -I$(CURL_DEV)/usr/include/$(MULTIARCH)
CURL_LIBS := -l:libcurl.so.4
curl-dev:
	@if [ -f /usr/include/$(MULTIARCH)/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] \
		|| [ -f $(CURL_DEV)/usr/include/$(MULTIARCH)/curl/curl.h ]; then :; else \
		rm -rf $(CURL_DEV) && mkdir -p $(CURL_DEV) && cd $(CURL_DEV) && \
		{ apt-get download -qq libcurl4-openssl-dev 2>/dev/null || \
		  { apt-get update -qq && apt-get download -qq libcurl4-openssl-dev 2>/dev/null; }; } && \
		dpkg-deb -x libcurl4-openssl-dev_*.deb . ; fi

# examples/c/henb_agent.c (libcurl) against `femtocwmp hems` on loopback: the three flows.
test-example-c: c-lib curl-dev
	$(CARGO) build -q --release -p femtocwmp-cli
	gcc $(CFLAGS_TEST) $(CURL_CFLAGS) examples/c/henb_agent.c target/release/libfemtocwmp.a \
		$(CURL_LIBS) $(CLIBS) -o $(OUT)/henb_agent
	tests/c/henb_agent_e2e.sh target/release/femtocwmp $(CURDIR)/$(OUT)/henb_agent $(OUT)/henb-e2e

# The C library as a system package: static and shared library, header, pkg-config file.
install: c-lib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 target/release/libfemtocwmp.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 target/release/libfemtocwmp.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/femtocwmp.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' bindings-c/femtocwmp.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/femtocwmp.pc

# Installs into a scratch prefix and builds the README's C example the way a user would:
# with pkg-config only, once against the shared library and once statically.
INSTALL_PREFIX := $(CURDIR)/$(OUT)/prefix
test-install: venv
	rm -rf $(INSTALL_PREFIX)
	$(MAKE) -s install PREFIX=$(INSTALL_PREFIX)
	mkdir -p $(OUT)
	$(PY) tools/readme_examples.py --c > $(OUT)/readme_example.c
	test "$$(PKG_CONFIG_PATH=$(INSTALL_PREFIX)/lib/pkgconfig pkg-config --modversion femtocwmp)" = "$(VERSION)"
	export PKG_CONFIG_PATH=$(INSTALL_PREFIX)/lib/pkgconfig; \
	gcc -Wall -Werror $(OUT)/readme_example.c $$(pkg-config --cflags --libs femtocwmp) \
		-o $(OUT)/readme_example-shared; \
	gcc -Wall -Werror -static-libgcc $(OUT)/readme_example.c $$(pkg-config --cflags femtocwmp) \
		$(INSTALL_PREFIX)/lib/libfemtocwmp.a $$(pkg-config --libs-only-l --static femtocwmp | sed 's/-lfemtocwmp//') \
		-o $(OUT)/readme_example-static
	LD_LIBRARY_PATH=$(INSTALL_PREFIX)/lib $(OUT)/readme_example-shared > /dev/null
	LD_LIBRARY_PATH=$(INSTALL_PREFIX)/lib ldd $(OUT)/readme_example-shared \
		| grep -q '$(INSTALL_PREFIX)/lib/libfemtocwmp.so'
	$(OUT)/readme_example-static > /dev/null
	! ldd $(OUT)/readme_example-static | grep -q libfemtocwmp
	@echo "make install: pkg-config build (shared and static) works"

# The README's Rust examples run as doctests (core/src/lib.rs includes README.md); its
# Python and C examples are extracted and run here.
test-readme: venv python-ext c-lib
	$(PY) tools/readme_examples.py --python | $(PY) -
	mkdir -p $(OUT)
	n=$$($(PY) tools/readme_examples.py --count c); test "$$n" -ge 2; \
	for i in $$(seq 0 $$((n - 1))); do \
		$(PY) tools/readme_examples.py --c $$i > $(OUT)/readme_example_$$i.c; \
		gcc $(CFLAGS_TEST) $(OUT)/readme_example_$$i.c target/release/libfemtocwmp.a $(CLIBS) \
			-o $(OUT)/readme_example_$$i; \
		$(OUT)/readme_example_$$i; \
	done

# ---------------------------------------------------------------- speed and fuzzing
# The C row: the session bench through the C ABI, against the Rust rate of this same run.
bench: c-lib venv python-ext
	mkdir -p $(OUT)
	$(CARGO) bench -q -p femtocwmp --bench codec | tee $(OUT)/bench-codec.txt
	$(CARGO) build -q --release -p femtocwmp --example profile_decode --example profile_tokenise
	$(PY) tools/instruction_ratio.py codec target/release/examples/profile_decode \
		target/release/examples/profile_tokenise tests/bench-corpus/a_inform_boot.xml \
		tests/bench-corpus/b_gpv_response_2000.xml tests/bench-corpus/c_spv_request_100.xml
	$(PY) tools/python_bench.py tests/bench-corpus $(OUT)/bench-codec.txt
	$(CARGO) bench -q -p femtocwmp --bench session | tee $(OUT)/bench-session.txt
	gcc -O2 -Wall -Wextra -Werror -std=c99 -D_POSIX_C_SOURCE=199309L -Iinclude -Itests/c \
		bindings-c/bench/session.c target/release/libfemtocwmp.a $(CLIBS) -o $(OUT)/bench_session
	$(OUT)/bench_session $$(sed -n 's/^ *full sessions: *\([0-9]*\) .*/\1/p' $(OUT)/bench-session.txt)
	$(PY) tools/instruction_ratio.py \
		$$($(CARGO) bench -q -p femtocwmp --bench session --no-run --message-format=json 2>/dev/null \
			| sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1) $(OUT)/bench_session
	$(CARGO) bench -q -p femtocwmp --bench procedures
	$(CARGO) build -q --release -p femtocwmp-cli
	$(PY) tools/load_bench.py target/release/femtocwmp 10000 1
	$(PY) tools/availability_bench.py target/release/femtocwmp

# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable toolchain provide them.
FUZZ_SECONDS ?= 60
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install -q cargo-fuzz --version 0.13.2 --locked
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run decode --target-dir ../target/fuzz \
		-- -max_total_time=$(FUZZ_SECONDS)
