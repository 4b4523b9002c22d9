# Tributary: the two commands a new machine needs are `make run` and `make test`.
# Both first install missing Debian build dependencies (as root, idempotent).

JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEPS := $(shell sed -e 's/\#.*//' -e '/^\s*$$/d' packaging/build-deps.txt)
# The fuzz build also needs clang and its libFuzzer/sanitizer runtimes.
FUZZ_DEPS := clang libclang-rt-14-dev

.PHONY: all deps fuzz-deps install-packages build build-sanitize run stop test test-sanitize fuzz bench clean format

all: build

deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEPS)"

fuzz-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(FUZZ_DEPS)"

install-packages:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

# clang with ASan+UBSan and libFuzzer instrumentation: builds the whole suite and the fuzzers.
build-sanitize: deps fuzz-deps
	cmake --preset sanitize >/dev/null
	cmake --build --preset sanitize -j $(JOBS)

# Starts a parent and an agent on 127.0.0.1 with the embedded defaults (see packaging/dev-run.sh).
run: build
	packaging/dev-run.sh start build/release

stop:
	packaging/dev-run.sh stop build/release

test: build
	ctest --preset release

# The whole suite again under ASan+UBSan, then every fuzz target for 10 s over its seeds.
test-sanitize: build-sanitize
	ctest --preset sanitize
	tests/fuzz/run-all.sh build/sanitize 10

# Longer fuzz runs (FUZZ_SECONDS each, default 120).
fuzz: build-sanitize
	tests/fuzz/run-all.sh build/sanitize $(or $(FUZZ_SECONDS),120)

bench: build
	tests/bench/run-all.sh build/release

format:
	find agent parent common tests -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build
