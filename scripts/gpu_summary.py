#!/usr/bin/env python3
"""The table at the end of scripts/gpu-first.sh: what each stage left in RAW
(the gate's verdict, memcheck, bench-engine against its roofline and PyTorch,
the Alpaca replay of vanilla and sequence, and the per-kernel split of one
decode step from ncu). A stage that left nothing prints as missing.

    python3 scripts/gpu_summary.py RAW_FOLDER
"""
import csv
import json
import os
import re
import sys
from collections import defaultdict


def text(raw, name):
    path = os.path.join(raw, name)
    return open(path).read().strip() if os.path.exists(path) else ""


def last_json(raw, name):
    lines = [l for l in text(raw, name).splitlines() if l.startswith("{")]
    try:
        return json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None


def present(raw, label, name):
    """The JSON a stage left in `name`, or None after saying it is missing."""
    doc = last_json(raw, name)
    if doc is None:
        err = text(raw, name.replace(".json", ".err"))[-200:]
        print(f"{label} missing" + (f" ({err})" if err else ""))
    return doc


def engine_table(raw):
    torch = {r["batch"]: r for r in (last_json(raw, "torch.json") or {}).get("results", []) if "step_ms" in r}
    attention = (last_json(raw, "torch.json") or {}).get("attention", "?")
    print(f"{'run':6} {'batch':>5} {'step_ms':>8} {'p50_ms':>8} {'roof_ms':>8} {'x roof':>7} "
          f"{'torch_ms':>9} {'torch/ours':>10}")
    steps = {}
    for run in ("run1", "run2"):
        doc = present(raw, f"{run:6}", f"engine_{run}.json")
        if doc is None:
            continue
        for r in doc["results"]:
            t = torch.get(r["batch"], {}).get("step_ms")
            steps.setdefault(r["batch"], r["step_ms"])
            print(f"{run:6} {r['batch']:>5} {r['step_ms']:>8.3f} {r.get('step_ms_p50', float('nan')):>8.3f} "
                  f"{r.get('roofline_ms', float('nan')):>8.3f} {r.get('vs_roofline', float('nan')):>7.2f} "
                  f"{t if t else float('nan'):>9.3f} {(t / r['step_ms']) if t else float('nan'):>10.2f}")
        print(f"{run:6} bandwidth {doc.get('bandwidth_bytes_per_s', 0) / 1e12:.2f} TB/s (device-to-device copy)")
    print(f"torch attention implementation: {attention}")
    return steps


def policy_table(raw):
    rates = {}
    for policy in ("vanilla", "sequence"):
        doc = present(raw, f"alpaca {policy:9}", f"alpaca_{policy}.json")
        if doc is None:
            continue
        for r in doc.get("results", []):
            rates[policy] = r["requests_per_s"]
            print(f"alpaca {policy:9} {r['requests_per_s']:.3f} samples/s  completed {r['completed']}/{r['requests']}"
                  f"  effective-token ratio {r['effective_token_ratio']:.3f}  failures {r['failure_ratio']:.3f}")
    if len(rates) == 2:
        print(f"alpaca sequence / vanilla: {rates['sequence'] / rates['vanilla']:.2f}x "
              "(paper, A100, Vicuna-7B: 1.39 -> 2.69 samples/s, 1.94x)")


UNIT = {"nsecond": 1e-3, "usecond": 1.0, "msecond": 1e3, "second": 1e6}


def family(name):
    name = re.sub(r"^void ", "", name).replace("(anonymous namespace)::", "")
    return re.split(r"[<(]", name, 1)[0].strip()


def ncu_table(raw, steps):
    path = os.path.join(raw, "ncu.csv")
    if not os.path.exists(path):
        print("ncu: missing")
        return
    with open(path) as f:
        rows = [r for r in csv.reader(l for l in f if l.startswith('"')) if len(r) > 5]
    if not rows:
        print("ncu: no kernel rows")
        return
    head, rows = rows[0], rows[1:]
    col = {n: i for i, n in enumerate(head)}
    kernels = [(r[col["Kernel Name"]], float(r[col["Metric Value"]].replace(",", "")) * UNIT.get(r[col["Metric Unit"]], 1.0))
               for r in rows if r[col["Metric Name"]] == "gpu__time_duration.sum"]
    forwards, current = [], None
    for name, us in kernels:  # a forward starts at the embedding kernel
        if "embed" in name:
            current = []
            forwards.append(current)
        if current is not None:
            current.append((name, us))
    # bench-engine --batch 1,16 --steps 1: prefill, 2 warm-ups, 1 timed step per batch
    picks = {1: forwards[3] if len(forwards) > 3 else None, 16: forwards[7] if len(forwards) > 7 else None}
    print(f"ncu: {len(kernels)} kernels, {len(forwards)} forwards (8 expected)")
    for batch, fw in picks.items():
        if not fw:
            continue
        total = sum(us for _, us in fw)
        by = defaultdict(lambda: [0, 0.0])
        for name, us in fw:
            by[family(name)][0] += 1
            by[family(name)][1] += us
        measured = steps.get(batch)
        gaps = f", launch gaps ~{measured * 1e3 - total:.0f} us of the {measured:.3f} ms step" if measured else ""
        print(f"decode step, batch {batch}: {len(fw)} kernels, {total:.0f} us of kernel time{gaps}")
        for fam, (count, us) in sorted(by.items(), key=lambda kv: -kv[1][1])[:12]:
            print(f"  {us:9.0f} us {100 * us / total:5.1f}%  x{count:<4} {fam[:90]}")


def main():
    raw = sys.argv[1]
    print("== summary")
    print(text(raw, "device.txt"))
    print(text(raw, "gate.txt").splitlines()[-1] if text(raw, "gate.txt") else "gate: missing")
    print(text(raw, "memcheck.txt") or "memcheck: missing")
    steps = engine_table(raw)
    policy_table(raw)
    ncu_table(raw, steps)


if __name__ == "__main__":
    main()
