#!/usr/bin/env python
"""Which first-token number should the call decision threshold? Compares, on the validation
conversations (where thresholds are fitted) and on BFCL's dev slice (the only BFCL items design
decisions may look at, docs/evaluation.md "Protocol"), three readings of the first position of an
answer: P(call); the call token against the single likeliest other token, P(call) / (P(call) +
P(top other)); and plain greedy (the call token is the likeliest). For each: its AUC, and the
balanced accuracy on the dev slice of the threshold fitted on the validation turns, as training
fits it (:func:`fctune.calibrate.best_threshold`).

    python scripts/decision_features.py demo-out/adapter --valid demo-out/data/valid.jsonl [--per-category 24]
"""
import argparse
import json

import torch

from fctune.bfcl import load_items
from fctune.calibrate import auc, best_threshold, decision_at, decision_points
from fctune.config import ModelConfig
from fctune.data.io import load_conversations
from fctune.generate import PrefixReuse, full_attention_only
from fctune.models import load_runtime

DEV_CATEGORIES = "simple_python,multiple,parallel,live_simple,live_multiple,irrelevance,live_irrelevance"


def features(logits: torch.Tensor, call_id: int) -> dict[str, float]:
    """P(call), the two-way share against the likeliest other token, and whether greedy calls."""
    probs = torch.softmax(logits.float(), dim=-1)
    p_call = float(probs[call_id])
    others = probs.clone()
    others[call_id] = 0.0
    top_other = float(others.max())
    return {"p_call": p_call, "two_way": p_call / (p_call + top_other), "greedy": float(p_call > top_other)}


def score_prompts(model, fmt, prompts: list[tuple[list[int], bool]]) -> list[tuple[dict, bool]]:
    device = next(model.parameters()).device
    reuse = PrefixReuse(full_attention_only(model))
    out = []
    for ids, call in sorted(prompts, key=lambda p: p[0]):
        out.append((features(reuse.run(model, ids, device)[0][0], fmt.call_start_id), call))
    return out


def valid_prompts(fmt, path: str) -> list[tuple[list[int], bool]]:
    """The first position of every validation answer to a user message, as calibration scores them."""
    return [(ids, call) for after, ids, call in decision_points(fmt, load_conversations(path), 10 ** 9) if not after]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapter")
    parser.add_argument("--valid", required=True)
    parser.add_argument("--model", default="qwen2.5-0.5b")
    parser.add_argument("--categories", default=DEV_CATEGORIES)
    parser.add_argument("--per-category", type=int, default=24, help="first N dev items of each category (0: all)")
    args = parser.parse_args()
    model, fmt = load_runtime(ModelConfig(name_or_path=args.model, adapter=args.adapter))
    model.eval()
    items = load_items(args.categories, limit=args.per_category, split="dev")
    with torch.inference_mode():
        valid = score_prompts(model, fmt, valid_prompts(fmt, args.valid))
        dev = score_prompts(model, fmt, [(fmt.prompt_ids(i.messages, i.tools), i.expected is not None) for i in items])
    rows = {}
    for name in ("p_call", "two_way", "greedy"):
        v = [(f[name], c) for f, c in valid]
        d = [(f[name], c) for f, c in dev]
        fitted = best_threshold(v) if name != "greedy" else {"call_threshold": 0.5}
        t = fitted["call_threshold"]
        rows[name] = {"valid_auc": auc(v), "dev_auc": auc(d), "threshold": round(t, 4),
                      "valid": {k: round(x, 4) for k, x in decision_at(v, t).items()},
                      "dev": {k: round(x, 4) for k, x in decision_at(d, t).items()}}
    print(json.dumps({"valid_turns": len(valid), "valid_calls": sum(c for _, c in valid), "dev_items": len(dev),
                      "dev_calls": sum(c for _, c in dev), **rows}, indent=1))


if __name__ == "__main__":
    main()
