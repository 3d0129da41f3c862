#!/usr/bin/env python
"""Which call/no-call rule is right after a tool result: plain greedy, or the threshold calibrated on
answers to users? Measured on validation conversations (never a test split), first token only.

    python scripts/after_tool_rule.py demo-out/adapter demo-out/data/valid.jsonl [--model qwen2.5-0.5b]

docs/evaluation.md quotes its output for the demo's adapter."""
import argparse
import json
from pathlib import Path

import torch

from fctune.calibrate import resolve_threshold
from fctune.config import ModelConfig
from fctune.generate import PrefixReuse, full_attention_only
from fctune.models import load_runtime

parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
parser.add_argument("adapter")
parser.add_argument("valid", help="validation conversations (JSONL)")
parser.add_argument("--model", default="qwen2.5-0.5b")
args = parser.parse_args()
adapter, valid = args.adapter, args.valid
thr = resolve_threshold(None, adapter)
model, fmt = load_runtime(ModelConfig(name_or_path=args.model, adapter=adapter))
device = next(model.parameters()).device
reuse = PrefixReuse(full_attention_only(model))
rows = []
with torch.inference_mode():
    for line in Path(valid).read_text(encoding="utf-8").splitlines():
        conv = json.loads(line)
        for turn in fmt.render_training(conv):
            if turn.turn == 0 or conv["messages"][turn.turn - 1]["role"] != "tool":
                continue
            if turn.prompt_length >= len(turn.input_ids):
                continue
            logits = reuse.run(model, turn.input_ids[:turn.prompt_length], device)[0][0].float()
            p = torch.softmax(logits, -1)
            call = turn.input_ids[turn.prompt_length] == fmt.call_start_id
            greedy_call = int(logits.argmax()) == fmt.call_start_id
            rows.append((float(p[fmt.call_start_id]), call, greedy_call))
n = len(rows)
calls = sum(c for _, c, _ in rows)
acc_greedy = sum(g == c for _, c, g in rows) / n
acc_thr = sum((p >= thr) == c for p, c, _ in rows) / n
print(json.dumps({"after_tool_turns": n, "needing_a_call": calls, "greedy_first_token_right": round(acc_greedy, 4),
                  "threshold_first_token_right": round(acc_thr, 4), "threshold": thr,
                  "greedy_calls_right": sum(g and c for _, c, g in rows), "threshold_calls_right": sum(p >= thr and c for p, c, _ in rows),
                  "greedy_replies_right": sum((not g) and (not c) for _, c, g in rows),
                  "threshold_replies_right": sum(p < thr and not c for p, c, _ in rows)}))
