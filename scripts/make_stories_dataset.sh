#!/usr/bin/env bash
# Builds the stories260K length dataset that docs/predictors.md evaluates on:
# openings of stories the model itself writes, with the length of the rest.
#
#  1. stories260K writes a story for each of the first 640 template prompts
#     (examples/stories260k_prompts.txt, from scripts/make_stories_prompts.py);
#  2. each story is cut after 10%, 30%, 50% and 70% of its words: 2,560
#     openings, from a first sentence to most of a story;
#  3. stories260K continues each opening (seeded sampling, T 0.8, top-p 0.9)
#     and `predictor collect` records how many tokens it wrote.
# Everything is seeded, so the dataset is the same on every run.
#
#   scripts/make_stories_dataset.sh [BINSERVE] [MODEL] [OUT_DIR]
set -euo pipefail
binserve=${1:-build/bin/binserve}
model=${2:-../shared/models/stories260K.bin}
out=${3:-build/data}
mkdir -p "$out"

head -n 640 examples/stories260k_prompts.txt > "$out/story_seeds.txt"
"$binserve" predictor collect --model "$model" --prompts "$out/story_seeds.txt" \
    --out "$out/stories260k_full.jsonl" --seed 1

python3 - "$out/stories260k_full.jsonl" > "$out/story_openings.txt" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    rec = json.loads(line)
    words = (rec["prompt"] + rec["text"]).split()  # one line per prompt: newlines go
    for cut in (0.1, 0.3, 0.5, 0.7):
        print(" ".join(words[: max(3, int(len(words) * cut))]))
PY

"$binserve" predictor collect --model "$model" --prompts "$out/story_openings.txt" \
    --out "$out/stories260k_openings.jsonl" --seed 1001
echo "wrote $out/stories260k_openings.jsonl"
