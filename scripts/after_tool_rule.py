#!/usr/bin/env python
"""Which call/no-call rule is right after a tool result: plain greedy, or the threshold calibrated on
answers to users? Measured on validation conversations (never a test split), first token only.

    python scripts/after_tool_rule.py demo-out/adapter demo-out/data/valid.jsonl [--model qwen2.5-0.5b]

The README quotes its output for the demo's adapter."""
import argparse
import json
import sys

from fctune.calibrate import call_probability, first_token_scores, resolve_threshold
from fctune.config import ModelConfig
from fctune.data.io import load_conversations
from fctune.models import load_runtime


def after_tool(messages: list[dict]) -> bool:
    return bool(messages) and messages[-1]["role"] == "tool"


def probability_and_greedy(logits, call_id: int) -> tuple[float, bool]:
    """(P(call), whether plain greedy would open with the call token)."""
    return call_probability(logits, call_id), int(logits.argmax()) == call_id


parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
parser.add_argument("adapter")
parser.add_argument("valid", help="validation conversations (JSONL)")
parser.add_argument("--model", default="qwen2.5-0.5b")
args = parser.parse_args()
thr = resolve_threshold(None, args.adapter)
model, fmt = load_runtime(ModelConfig(name_or_path=args.model, adapter=args.adapter))
scored = first_token_scores(model, fmt, load_conversations(args.valid), sys.maxsize, where=after_tool,
                            score=probability_and_greedy)
rows = [(p, call, greedy) for (p, greedy), call in scored]
n = len(rows)
calls = sum(c for _, c, _ in rows)
acc_greedy = sum(g == c for _, c, g in rows) / n
acc_thr = sum((p >= thr) == c for p, c, _ in rows) / n
print(json.dumps({"after_tool_turns": n, "needing_a_call": calls, "greedy_first_token_right": round(acc_greedy, 4),
                  "threshold_first_token_right": round(acc_thr, 4), "threshold": thr,
                  "greedy_calls_right": sum(g and c for _, c, g in rows), "threshold_calls_right": sum(p >= thr and c for p, c, _ in rows),
                  "greedy_replies_right": sum((not g) and (not c) for _, c, g in rows),
                  "threshold_replies_right": sum(p < thr and not c for p, c, _ in rows)}))
