#!/usr/bin/env python3
"""Writes examples/stories260k_prompts.txt: story openings for stories260K.

stories260K was trained on TinyStories, so it answers simple story openings
with stories whose length varies with the opening. These prompts feed
`binserve predictor collect`, which records the model's own response lengths
to train and evaluate length predictors on:

  python3 scripts/make_stories_prompts.py
  binserve predictor collect --model ../shared/models/stories260K.bin \
      --prompts examples/stories260k_prompts.txt --out stories260k_lengths.jsonl

Every prompt is one of the templates below filled with a name and a thing
(16 x 16 x 10 = 2,560 distinct lines). The order is a seeded shuffle, so
neighbouring lines (which share a batch) differ, and the file is the same
on every run and Python 3 version. Output: one prompt per line, UTF-8.
"""

import pathlib
import random

NAMES = [
    "Lily", "Tom", "Sue", "Ben", "Mia", "Max", "Anna", "Sam",
    "Lucy", "Tim", "Sara", "Jack", "Amy", "Joe", "Kitty", "Bob",
]

THINGS = [
    "a red ball", "a big box", "a little dog", "a shiny stone", "a blue kite",
    "a toy car", "a funny hat", "a small bird", "a yummy cake", "an old book",
]

TEMPLATES = [
    "Once upon a time, there was a little kid named {name} who found {thing}",
    "Once upon a time, there was a happy child named {name} who wanted {thing}",
    "One day, {name} went to the park and saw {thing}",
    "One day, {name} was playing in the garden with {thing}",
    "{name} had {thing} and",
    "{name} loved {thing} very much. Every day,",
    "It was a sunny day. {name} and Mom went outside with {thing}",
    "It was a rainy day, so {name} stayed inside and played with {thing}",
    "{name} was sad because {thing} was lost.",
    "{name} was very happy. Dad gave {name} {thing} and",
    "There once was a friendly cat. The cat and {name} found {thing}",
    "In a small house lived {name}. One morning, {name} saw {thing}",
    "{name} wanted to share {thing} with a friend, but",
    "At school, {name} showed the class {thing}",
    "{name} and a friend went to the beach. They found {thing}",
    "Once, {name} climbed a big tree and saw {thing}",
]

SEED = 260  # fixes the shuffle: changing it changes the file
OUT = pathlib.Path(__file__).resolve().parent.parent / "examples" / "stories260k_prompts.txt"


def prompts():
    lines = [t.format(name=n, thing=x) for t in TEMPLATES for n in NAMES for x in THINGS]
    assert len(set(lines)) == len(lines), "templates must give distinct prompts"
    random.Random(SEED).shuffle(lines)
    return lines


def main():
    lines = prompts()
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(lines)} prompts, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
