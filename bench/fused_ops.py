#!/usr/bin/env python
"""Candidates for the next step in CPU training speed, measured on one decoder layer's pieces.

    python bench/fused_ops.py [--tokens 1024] [--shape qwen3-0.6b] [--repeats 20]

Forward + backward (gradients for the input only: the frozen weights need none) at the shapes of a
Qwen3-0.6B layer, one micro-batch of ``--tokens`` tokens, fp32, the threads fctune trains with:

- frozen projections: q, k, v as three GEMMs against one GEMM over their concatenated weights, and
  gate, up as two against one (the LoRA factors stay apart: their dropout masks are independent);
- elementwise chains: RMSNorm and SiLU(gate) * up eagerly against ``torch.compile`` (inductor, dynamic
  shapes) of the same functions.

Prints the median milliseconds of each and what a step of the whole model would save (per layer,
times the layer count, against the measured step time when ``--step-ms`` is given).
"""

from __future__ import annotations

import argparse
import statistics
import time

SHAPES = {"qwen3-0.6b": (1024, 3072, 28, 16, 8, 128), "qwen2.5-0.5b": (896, 4864, 24, 14, 2, 64)}


def timed(fn, repeats: int) -> float:
    """Median milliseconds of ``fn()`` over ``repeats`` runs after two warm-up runs."""
    for _ in range(2):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def projections(x, weights: list) -> tuple:
    """Forward + input-gradient of separate GEMMs and of one GEMM over the concatenated weights."""
    import torch
    import torch.nn.functional as F

    fused = torch.cat(weights, 0)
    sizes = [w.shape[0] for w in weights]

    def separate():
        xi = x.detach().requires_grad_()
        outs = [F.linear(xi, w) for w in weights]
        torch.autograd.backward(outs, [torch.ones_like(o) for o in outs])

    def together():
        xi = x.detach().requires_grad_()
        outs = F.linear(xi, fused).split(sizes, -1)
        torch.autograd.backward(outs, [torch.ones_like(o) for o in outs])

    return separate, together


def rms_norm(x, weight, eps: float = 1e-6):
    import torch

    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def silu_mul(gate, up):
    import torch.nn.functional as F

    return F.silu(gate) * up


def elementwise(fn, *inputs) -> tuple:
    """Forward + backward of ``fn`` eagerly and compiled (dynamic shapes)."""
    import torch

    compiled = torch.compile(fn, dynamic=True)

    def run(f):
        def go():
            args = [t.detach().requires_grad_() for t in inputs]
            f(*args).sum().backward()
        return go

    return run(fn), run(compiled)


def main() -> None:
    import torch

    from fctune.models import set_cpu_threads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="qwen3-0.6b")
    parser.add_argument("--tokens", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--step-ms", type=float, default=0.0, help="a measured training step of the whole model")
    args = parser.parse_args()
    set_cpu_threads(0)
    hidden, inter, layers, heads, kv, head_dim = SHAPES[args.shape]
    torch.manual_seed(0)
    x = torch.randn(args.tokens, hidden)
    rows = []
    qkv = [torch.randn(heads * head_dim, hidden) * 0.02, torch.randn(kv * head_dim, hidden) * 0.02,
           torch.randn(kv * head_dim, hidden) * 0.02]
    gate_up = [torch.randn(inter, hidden) * 0.02, torch.randn(inter, hidden) * 0.02]
    for name, weights in (("q, k, v", qkv), ("gate, up", gate_up)):
        a, b = projections(x, weights)
        rows.append((f"{name}: separate GEMMs vs one", timed(a, args.repeats), timed(b, args.repeats)))
    start = time.perf_counter()
    norm_eager, norm_compiled = elementwise(rms_norm, x, torch.ones(hidden))
    act_eager, act_compiled = elementwise(silu_mul, torch.randn(args.tokens, inter), torch.randn(args.tokens, inter))
    norm_compiled(), act_compiled()  # compile now, outside the timing
    compile_s = time.perf_counter() - start
    rows.append(("RMSNorm: eager vs compiled", timed(norm_eager, args.repeats), timed(norm_compiled, args.repeats)))
    rows.append(("SiLU(gate) * up: eager vs compiled", timed(act_eager, args.repeats), timed(act_compiled, args.repeats)))
    print(f"shape {args.shape}, {args.tokens} tokens, {torch.get_num_threads()} threads, fp32, forward + backward")
    print(f"{'piece':<40}{'before ms':>11}{'after ms':>10}{'saved/layer':>13}{'per step (x' + str(layers) + ')':>18}")
    total = 0.0
    for name, before, after in rows:
        per = 2 if name.startswith("RMSNorm") else 1  # two norms per layer (q/k norms are smaller, not counted)
        saved = (before - after) * per
        total += saved * layers
        print(f"{name:<40}{before:>11.2f}{after:>10.2f}{saved:>13.2f}{saved * layers:>18.1f}")
    print(f"saved per micro-batch of {args.tokens} tokens: {total:.0f} ms"
          + (f" ({100 * total / args.step_ms:.1f} % of a {args.step_ms:.0f} ms step)" if args.step_ms else "")
          + f"; compiling took {compile_s:.1f} s")


if __name__ == "__main__":
    main()
