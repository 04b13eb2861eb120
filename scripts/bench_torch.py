#!/usr/bin/env python3
"""The PyTorch baseline of issue 6's must-show 2: decode-step time of
transformers' LlamaForCausalLM (eager) with Llama-2-7B's shape and random
fp16 weights on one GPU, at the batch sizes and context binserve's
bench-engine uses.

For each batch B: a random prompt of CONTEXT tokens per sequence, then
generate() greedily with min_new_tokens = max_new_tokens = N (every sequence
decodes N steps; no early stop). Two runs, N = 1 and N = 1 + STEPS, each
timed with CUDA events after a warm-up; the decode step time is the
difference over STEPS, so the prefill cancels out. Median of --repeats.

Prints one JSON object. Exits 2 with a message when torch, transformers or
a CUDA device is missing.

    python3 scripts/bench_torch.py --batch 1,16,64,256 --context 512 [--steps 32]
"""
import argparse
import json
import statistics
import sys


def fail(message):
    print(f"bench_torch.py: {message}", file=sys.stderr)
    sys.exit(2)


try:
    import torch
except ImportError as e:
    fail(f"PyTorch is not installed ({e}); it runs where a CUDA GPU and torch are present")
try:
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM
except ImportError as e:
    fail(f"transformers is not installed ({e})")

# Llama-2-7B (binserve's dummy:llama2-7b preset: gpu/model_config.cpp).
LLAMA2_7B = dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                 num_attention_heads=32, num_key_value_heads=32, vocab_size=32000,
                 max_position_embeddings=4096, rms_norm_eps=1e-5, rope_theta=10000.0,
                 tie_word_embeddings=False)


def make_model(dtype):
    # eager PyTorch attention, no SDPA/flash kernels
    config = LlamaConfig(**LLAMA2_7B, attn_implementation="eager")
    torch.manual_seed(0)
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # initialise in fp16: 13 GB, not 27 GB of fp32 first
    try:
        with torch.device("cuda"):
            model = LlamaForCausalLM(config)  # random init (never zeros)
    finally:
        torch.set_default_dtype(default)
    model.eval()
    # transformers 5 may rename or ignore the argument: report what it runs
    model.binserve_attention = getattr(model.config, "_attn_implementation", "unknown")
    return model


def time_generate(model, prompt, new_tokens):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    out = model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                         min_new_tokens=new_tokens, max_new_tokens=new_tokens, pad_token_id=0,
                         use_cache=True)  # min_new_tokens suppresses EOS: exactly new_tokens steps
    stop.record()
    torch.cuda.synchronize()
    assert out.shape[1] == prompt.shape[1] + new_tokens, out.shape
    return start.elapsed_time(stop)


def bench_batch(model, batch, context, steps, repeats):
    gen = torch.Generator(device="cuda").manual_seed(batch)
    prompt = torch.randint(3, LLAMA2_7B["vocab_size"], (batch, context), device="cuda", generator=gen)
    time_generate(model, prompt, 2)  # warm-up: kernels, allocator, cuBLAS handles
    diffs = []
    for _ in range(repeats):
        prefill = time_generate(model, prompt, 1)
        full = time_generate(model, prompt, 1 + steps)
        diffs.append((full - prefill) / steps)
    step_ms = statistics.median(diffs)
    return {"batch": batch, "context": context, "step_ms": step_ms,
            "tokens_per_s": batch * 1000.0 / step_ms, "step_ms_runs": diffs}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", default="1,16,64,256")
    p.add_argument("--context", type=int, default=512)
    p.add_argument("--steps", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--dtype", default="fp16", choices=["fp16", "bf16"])
    args = p.parse_args()
    if not torch.cuda.is_available():
        fail("no CUDA device visible to PyTorch")
    dtype = torch.float16 if args.dtype == "fp16" else torch.bfloat16
    with torch.inference_mode():
        run(args, dtype)


def run(args, dtype):
    model = make_model(dtype)
    results = []
    for batch in [int(b) for b in args.batch.split(",")]:
        try:
            results.append(bench_batch(model, batch, args.context, args.steps, args.repeats))
        except torch.cuda.OutOfMemoryError as e:
            results.append({"batch": batch, "context": args.context, "error": f"out of memory: {e}"})
            torch.cuda.empty_cache()
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"model": "LlamaForCausalLM llama2-7b random", "dtype": args.dtype,
                      "attention": model.binserve_attention, "torch": torch.__version__,
                      "transformers": transformers.__version__,
                      "device": torch.cuda.get_device_name(), "steps": args.steps, "results": results}))


if __name__ == "__main__":
    main()
