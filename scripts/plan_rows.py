#!/usr/bin/env python
"""Which rows of a training file a run trains on, and at which optimizer step: the seeded plan
(:func:`fctune.batching.plan_epoch`) computed from the same samples `fctune train` renders, without
loading the model. A run of `train.max_steps` over a large file sees a part of it, and which part is
the draw of `train.seed` (the demo's 100 steps of 2 see 200 of its 1,455 conversations); the README
quotes it for the seed conversations of two demo runs.

    python scripts/plan_rows.py configs/demo-qwen.yaml data.train_file=demo-out/data/train.jsonl \
        [train.seed=1 ...] [--id-prefix seed-]
"""
import argparse
import math

from fctune.batching import plan_epoch
from fctune.config import load_config
from fctune.formats import ChatFormat
from fctune.models import load_tokenizer, resolve_model_path
from fctune.train import setup_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="the training config (YAML)")
    parser.add_argument("overrides", nargs="*", help="key=value overrides, as for fctune train")
    parser.add_argument("--id-prefix", default="", help="list only the rows whose id starts with this")
    args = parser.parse_args()
    cfg = load_config(args.config, args.overrides)
    tokenizer = load_tokenizer(resolve_model_path(cfg.model.name_or_path))
    fmt = ChatFormat(tokenizer, template=cfg.model.template, enable_thinking=cfg.model.enable_thinking)
    data = setup_data(cfg, fmt, lambda _line: None)
    tc = cfg.train
    per_step = tc.per_device_batch_size * tc.gradient_accumulation_steps
    lengths = [len(s) for s in data.samples]
    trained = [s.trained_tokens for s in data.samples]
    conv_of = dict(data.convs)
    seen: dict[int, int] = {}  # line -> first step
    step, epoch, total = 0, 0, tc.max_steps
    while total < 0 or step < total:
        plan = plan_epoch(lengths, trained, per_step, 1 << 30, tc.seed, epoch, groups=data.groups)
        if total < 0:
            total = math.ceil(tc.num_epochs * len(plan.steps))
        for st in plan.steps[:total - step]:
            step += 1
            for i in (i for rank in st.micro_batches for mb in rank for i in mb):
                seen.setdefault(data.samples[i].line, step)
        epoch += 1
    print(f"{step} steps of {per_step} samples (train.seed {tc.seed}): {len(seen)} of {len(conv_of)} "
          f"conversations of {data.source} trained")
    listed = [(first, line) for line, first in seen.items() if str(conv_of[line].get("id", "")).startswith(args.id_prefix)]
    wanted = sum(1 for c in conv_of.values() if str(c.get("id", "")).startswith(args.id_prefix))
    if args.id_prefix:
        print(f"{len(listed)} of the {wanted} rows whose id starts with {args.id_prefix!r}:")
    for first, line in sorted(listed):
        conv = conv_of[line]
        user = next((m["content"] for m in conv["messages"] if m["role"] == "user"), "")
        print(f"  step {first:>4}  line {line:>5}  {conv.get('id', '')}  {user[:60]}")


if __name__ == "__main__":
    main()
