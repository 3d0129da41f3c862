"""Evaluation generation throughput: batched vs one-at-a-time on the same BFCL prompts.

    .venv/bin/python bench/eval_throughput.py                       # tiny-qwen3, 32 prompts
    .venv/bin/python bench/eval_throughput.py --model smollm2-135m --items 32 --max-new-tokens 48

Both runs use :func:`fctune.generate.generate` (greedy, fp32) on the same prompts: ``batch_size=1``
for the one-at-a-time baseline, ``--batch-size`` for the batched run. Prints tokens/s of both,
the speedup, and whether the outputs agree. ``--hf`` also times transformers' ``model.generate``
on the same batches for comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return platform.processor() or "unknown"


def hf_generate(model, fmt, prompts, max_new_tokens, batch_size):
    """transformers' model.generate on the same length-sorted, left-padded batches."""
    import torch

    pad = fmt.tokenizer.pad_token_id
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    total = 0
    start = time.perf_counter()
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            chunk = [prompts[i] for i in order[b:b + batch_size]]
            width = max(len(p) for p in chunk)
            ids = torch.tensor([[pad] * (width - len(p)) + p for p in chunk])
            mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in chunk])
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
                                 eos_token_id=fmt.stop_token_ids, pad_token_id=pad)
            for row in out[:, width:].tolist():
                n = 0
                for tok in row:
                    n += 1
                    if tok in fmt.stop_token_ids:
                        break
                total += n
    seconds = time.perf_counter() - start
    return total, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-qwen3", help="tiny-qwen3 (default), smollm2-135m, or a model dir")
    parser.add_argument("--items", type=int, default=32, help="BFCL prompts (simple_python and irrelevance, half each)")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: physical cores)")
    parser.add_argument("--hf", action="store_true", help="also time transformers' model.generate (batched)")
    args = parser.parse_args()

    import torch
    import transformers

    from fctune.bfcl import load_items
    from fctune.formats import ChatFormat
    from fctune.generate import generate
    from fctune.models import load_model, set_cpu_threads

    threads = set_cpu_threads(args.threads)
    model, tokenizer = load_model(args.model, dtype="float32", device="cpu")
    fmt = ChatFormat(tokenizer)
    half = max(1, args.items // 2)
    items = load_items(["simple_python"], half) + load_items(["irrelevance"], args.items - half)
    prompts = [fmt.prompt_ids(it.messages, it.tools) for it in items]
    lengths = sorted(len(p) for p in prompts)
    print(f"model {args.model} | {len(prompts)} prompts, {lengths[0]}-{lengths[-1]} tokens (median "
          f"{lengths[len(lengths) // 2]}) | max_new_tokens {args.max_new_tokens} | torch {torch.__version__}, "
          f"transformers {transformers.__version__}, {threads} thread(s) | {cpu_name()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    generate(model, fmt, prompts[:2], max_new_tokens=4, batch_size=2, progress=False)  # warm-up

    one = generate(model, fmt, prompts, args.max_new_tokens, batch_size=1, progress=False)
    many = generate(model, fmt, prompts, args.max_new_tokens, batch_size=args.batch_size, progress=False)
    same = sum(a.token_ids == b.token_ids for a, b in zip(one, many))
    rows = [("one at a time", one.stats), (f"batched ({args.batch_size})", many.stats)]
    for name, st in rows:
        print(f"{name:>16}: {st.generated_tokens:6d} tokens in {st.seconds:7.2f} s = {st.tokens_per_second:8.1f} tok/s "
              f"(prompt passes {st.prefill_seconds:6.2f} s; decode steps alone {st.decode_tokens_per_second:8.1f} tok/s)")
    if args.hf:
        total, seconds = hf_generate(model, fmt, prompts, args.max_new_tokens, args.batch_size)
        print(f"{'model.generate':>16}: {total:6d} tokens in {seconds:7.2f} s = {total / seconds:8.1f} tok/s "
              f"(batched {args.batch_size})")
    speedup = many.stats.tokens_per_second / one.stats.tokens_per_second
    decode = many.stats.decode_tokens_per_second / one.stats.decode_tokens_per_second
    print(f"load average now {os.getloadavg()[0]:.1f}")
    print(f"speedup batched / one-at-a-time: {speedup:.1f}x end to end, {decode:.1f}x in the decode steps | "
          f"identical outputs: {same}/{len(prompts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
