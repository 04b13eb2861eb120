# binserve front door. `make run` and `make test` work on a fresh Debian 12
# machine: they install what is missing, configure, build, then act.
BUILD     ?= build
SHARED    ?= ../shared
MODEL     ?= $(SHARED)/models/stories260K.bin
BINSERVE  := $(BUILD)/bin/binserve

.PHONY: all deps build run test bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD)

# The default job: a few stories from stories260K served through the
# embedding API (examples/embed.cpp), then the service's stats.
run: build
	$(BUILD)/bin/embed_example $(MODEL)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $$(nproc)

bench: build
	scripts/bench.sh $(BINSERVE) $(SHARED)

clean:
	rm -rf $(BUILD)
