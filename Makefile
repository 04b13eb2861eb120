# binserve front door. `make run` and `make test` work on a fresh Debian 12
# machine: they install what is missing, configure, build, then act.
BUILD     ?= build
SHARED    ?= ../shared
MODEL     ?= $(SHARED)/models/stories260K.bin
BINSERVE  := $(BUILD)/bin/binserve
PROMPTS   := "Once upon a time" "Lily wanted a puppy" "The little robot" "One day, Tom found a box"

.PHONY: all deps build run test bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD)

# The default job: stories from stories260K for a few prompts (seeded sampling).
run: build
	@for p in $(PROMPTS); do \
	  echo "== $$p"; \
	  $(BINSERVE) generate --model $(MODEL) --prompt "$$p" --max-new-tokens 512 \
	    --temperature 0.8 --top-p 0.9 --seed 7 || exit 1; \
	done

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $$(nproc)

bench: build
	scripts/bench.sh $(BINSERVE) $(SHARED)

clean:
	rm -rf $(BUILD)
