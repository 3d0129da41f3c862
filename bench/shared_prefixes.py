#!/usr/bin/env python
"""``train.share_prefixes`` against the plain micro-batches: the first steps of a run's plan, forward
+ backward of each micro-batch both ways, alternating, on the run's own model, data and LoRA.

    python bench/shared_prefixes.py [--config CONFIG] [--steps 6] [key=value ...]
    python bench/shared_prefixes.py data.train_file=demo-out/data/train.jsonl   # after make demo

Prints, per pass: seconds, tokens computed (padded rows count their padding), the summed loss; and
the largest gradient difference between the two against the largest gradient. Time it on a quiet
machine (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from fctune.batching import collate, plan_epoch
from fctune.config import load_config
from fctune.distributed import init_distributed
from fctune.loss import trained_token_loss
from fctune.train import setup


def step_pass(run, step, share: bool) -> tuple[float, int, torch.Tensor]:
    """One step's micro-batches, forward and backward: (summed loss, tokens computed, the gradient)."""
    loss_sum, computed = 0.0, 0
    for mb in step.for_rank(0):
        batch = collate([run.data.samples[i] for i in mb], run.packing, run.tokenizer.pad_token_id, run.device,
                        run.cfg.train.decision_weight, share=share)
        loss, _n = trained_token_loss(run.model, batch)
        loss.backward()
        loss_sum += float(loss.detach())
        computed += batch["input_ids"].numel()
    grad = torch.cat([p.grad.flatten() for p in run.params if p.grad is not None]).clone()
    for p in run.params:
        p.grad = None
    return loss_sum, computed, grad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/demo-qwen.yaml")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    cfg = load_config(args.config, ["train.output_dir=bench-out/shared-prefixes", "train.smoke_test=false",
                                    *args.overrides])
    dist, device = init_distributed(cfg.model.device)
    run = setup(cfg, False, cfg.train.packing, dist, device, lambda _line: None)
    lengths = [len(s) for s in run.data.samples]
    trained = [s.trained_tokens for s in run.data.samples]
    steps = plan_epoch(lengths, trained, run.samples_per_step, run.budget, cfg.train.seed, 0, 1,
                       run.packing).steps[:args.steps]
    run.model.train()
    step_pass(run, steps[0], False)  # warm-up
    grads: dict[bool, list[torch.Tensor]] = {}
    for share in (False, True, False, True):
        start = time.perf_counter()
        results = [step_pass(run, s, share) for s in steps]
        grads[share] = [g for _, _, g in results]
        print(json.dumps({"share_prefixes": share, "seconds": round(time.perf_counter() - start, 1),
                          "tokens_computed": sum(c for _, c, _ in results),
                          "loss_sum": round(sum(l for l, _, _ in results), 4)}))
    diff = max(float((a - b).abs().max()) for a, b in zip(grads[False], grads[True]))
    scale = max(float(g.abs().max()) for g in grads[False])
    print(json.dumps({"max_grad_difference": diff, "max_grad": scale, "relative": diff / scale}))


if __name__ == "__main__":
    main()
