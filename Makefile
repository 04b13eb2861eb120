# binserve front door. `make run` and `make test` work on a fresh Debian 12
# machine: they install what is missing, configure, build, then act.
BUILD     ?= build
SHARED    ?= ../shared
BINSERVE  := $(BUILD)/bin/binserve
BENCH     := $(BUILD)/bin/binserve-bench

.PHONY: all deps build run test bench clean test-asan test-tsan fuzz format

# Sanitizer and fuzz builds (docs/reliability.md): their own build dirs, CUDA off.
ASAN_BUILD   ?= build-asan
TSAN_BUILD   ?= build-tsan
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
SAN_CMAKE    := -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
                -DBINSERVE_WITH_CUDA=OFF

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD)

# The default job: the default deployment (examples/stories260k.yaml) serves
# a few stories to the TCP client, prints its stats, and stops cleanly.
run: build
	scripts/run-default.sh $(BINSERVE) examples/stories260k.yaml

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $$(nproc)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) $(SAN_CMAKE) -DBINSERVE_SANITIZE=address
	cmake --build $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $$(nproc)

# The whole suite under ThreadSanitizer, against CAF 0.17.6 built from
# Debian's source with -fsanitize=thread into $(TSAN_BUILD)/caf-tsan (once);
# tests/tsan.supp says what is suppressed (uninstrumented OpenMP/OpenBLAS) and why.
test-tsan: deps
	scripts/build-caf-tsan.sh $(TSAN_BUILD)/caf-tsan
	cmake -S . -B $(TSAN_BUILD) $(SAN_CMAKE) -DBINSERVE_SANITIZE=thread -DCAF_ROOT=$(abspath $(TSAN_BUILD))/caf-tsan
	cmake --build $(TSAN_BUILD)
	TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp" \
	OMP_NUM_THREADS=1 ctest --test-dir $(TSAN_BUILD) --output-on-failure -j $$(nproc)

# Each libFuzzer target for FUZZ_SECONDS (clang, tests/fuzz).
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) $(SAN_CMAKE) -DCMAKE_CXX_COMPILER=clang++ -DBINSERVE_FUZZ=ON
	cmake --build $(FUZZ_BUILD) --target protocol_fuzz http_fuzz config_fuzz llama2c_fuzz gguf_fuzz tokenizer_fuzz
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	scripts/bench.sh $(BENCH) $(SHARED) $(BUILD)/bench

# The one C++ format (.clang-format), applied to every tracked source.
format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
