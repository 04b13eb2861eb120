# binserve front door. `make run` and `make test` work on a fresh Debian 12
# machine: they install what is missing, configure, build, then act.
BUILD     ?= build
SHARED    ?= ../shared
BINSERVE  := $(BUILD)/bin/binserve

.PHONY: all deps build run test bench clean

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

bench: build
	scripts/bench.sh $(BINSERVE) $(SHARED)

clean:
	rm -rf $(BUILD)
