"""bf16 against fp32 on a CPU: speed of evaluation and training, and how much the answers agree.

    .venv/bin/python bench/cpu_bf16.py                        # Qwen2.5 on 40 BFCL dev items, 4 training steps
    .venv/bin/python bench/cpu_bf16.py --limit 20 --train-steps 0

CPUs with AMX (Intel Sapphire Rapids and later: ``amx_bf16`` in /proc/cpuinfo) multiply bf16
matrices several times faster than fp32; without it there is no fast bf16 product. fctune
keeps fp32 on a CPU unless ``model.dtype=bfloat16`` (``--dtype bfloat16``) is asked for; this
measures what that buys on the machine it runs on and what it changes:

* matrix products at the model's shapes (GFLOP/s);
* ``fctune eval`` on BFCL dev items (the slice design decisions may look at), every answer generated
  to its end: prompt-pass and decode tokens/s, and how many answers and scores are the same;
* ``fctune train`` for a few steps of the BFCL recipe's configuration on the seed set: tokens/s.

Run it on a quiet machine; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DTYPES = ("float32", "bfloat16")


def cpu_flags() -> str:
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "unknown"
    return ", ".join(f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags) or "none of avx2/avx512/amx"


def matmul_rates(threads: int) -> dict[str, float]:
    """GFLOP/s of a 1024-token product with the Qwen2.5-0.5B MLP's up projection (896 -> 4864)."""
    import torch

    torch.set_num_threads(threads)
    x, w = torch.randn(1024, 896), torch.randn(4864, 896)
    rates = {}
    for name in DTYPES:
        a, b = x.to(getattr(torch, name)), w.to(getattr(torch, name))
        a @ b.t()
        start = time.perf_counter()
        for _ in range(20):
            a @ b.t()
        rates[name] = 2 * 1024 * 896 * 4864 * 20 / (time.perf_counter() - start) / 1e9
    return rates


def evaluate(args: argparse.Namespace, dtype: str, out: Path) -> tuple[dict, list[dict]]:
    cmd = [sys.executable, "-m", "fctune", "eval", "--model", args.model, "--bfcl", args.bfcl, "--split", "dev",
           "--limit", str(args.limit), "--replies", "full", "--max-new-tokens", str(args.max_new_tokens),
           "--dtype", dtype, "--no-progress", "--out", str(out)]
    if args.adapter:
        cmd += ["--adapter", args.adapter]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    return next(iter(report["runs"].values())), rows


def train_rate(args: argparse.Namespace, dtype: str, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "fctune", "train", args.config, f"train.output_dir={out}",
                           f"train.max_steps={args.train_steps}", "train.save_steps=0", "train.smoke_test=false",
                           "data.train_file=", "data.valid_file=", f"model.dtype={dtype}"],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"fctune train ({dtype}) failed:\n{proc.stderr[-3000:]}")
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-0.5b")
    parser.add_argument("--adapter", default="", help="evaluate with this adapter (its answers are calls: longer decodes)")
    parser.add_argument("--bfcl", default="simple_python,multiple,live_simple,irrelevance")
    parser.add_argument("--limit", type=int, default=10, help="dev items per category")
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--config", default="configs/bfcl-recipe.yaml", help="training configuration (on the seed set)")
    parser.add_argument("--train-steps", type=int, default=4, help="0: no training")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="for the matrix products")
    args = parser.parse_args()

    flags = cpu_flags()
    print(f"CPU flags: {flags}; load average before: {os.getloadavg()}")
    if "amx_bf16" not in flags:
        print("no amx_bf16 on this CPU: its bf16 products have no fast path, expect bf16 to be slower")
    rates = matmul_rates(args.threads)
    print("matrix products (1024 x 896 x 4864): " + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in rates.items()))
    with tempfile.TemporaryDirectory() as tmp:
        runs = {dtype: evaluate(args, dtype, Path(tmp) / f"eval-{dtype}") for dtype in DTYPES}
        print("\n| dtype | items | accuracy | prompt tok/s | decode tok/s | seconds |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for dtype, (run, _) in runs.items():
            gen = run["generation"]
            prompt_rate = gen["prompt_tokens"] / gen["prefill_seconds"]
            print(f"| {dtype} | {run['overall']['n']} | {run['overall']['accuracy'] * 100:.1f} % | {prompt_rate:.0f} | "
                  f"{gen['decode_tokens_per_second']:.1f} | {gen['seconds']:.1f} |")
        (_, fp32), (_, bf16) = runs["float32"], runs["bfloat16"]
        same_text = sum(a["raw"] == b["raw"] for a, b in zip(fp32, bf16))
        same_score = sum(a["correct"] == b["correct"] for a, b in zip(fp32, bf16))
        print(f"\nsame answer text: {same_text} of {len(fp32)}; same score: {same_score} of {len(fp32)}")
        if args.train_steps:
            for dtype in DTYPES:
                summary = train_rate(args, dtype, Path(tmp) / f"train-{dtype}")
                print(f"training {dtype}: {summary['steps']} steps, {summary['tokens_per_s']} tok/s, "
                      f"final loss {summary['final_loss']:.4f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
