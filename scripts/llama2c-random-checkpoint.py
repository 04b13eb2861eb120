#!/usr/bin/env python3
"""Writes a llama2.c checkpoint (version 0, shared classifier) of random weights,
for timing peers on the shapes of docs/benchmarks.md (values do not matter).

usage: llama2c-random-checkpoint.py DIM HIDDEN LAYERS HEADS VOCAB SEQ_LEN OUT.bin
"""
import array
import random
import struct
import sys

dim, hidden, layers, heads, vocab, seq = map(int, sys.argv[1:7])
out = sys.argv[7]
head = dim // heads
# embedding, rms_att, wq wk wv wo, rms_ffn, w1 w2 w3, rms_final, the old RoPE tables
n = (vocab * dim + layers * dim + 4 * layers * dim * dim + layers * dim + 3 * layers * dim * hidden + dim
     + seq * head)
random.seed(1)
block = array.array('f', (random.gauss(0, 0.02) for _ in range(1 << 20)))  # repeated
with open(out, 'wb') as f:
    f.write(struct.pack('7i', dim, hidden, layers, heads, heads, vocab, seq))
    left = n
    while left > 0:
        k = min(left, len(block))
        block[:k].tofile(f)
        left -= k
print(out, n, 'parameters')
