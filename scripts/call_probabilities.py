#!/usr/bin/env python
"""Where a tuned adapter puts the call token: P(call) at the first position of the four seed prompts
under different tool lists (the eleven seed tools as the smoke test offers them, and with the needed
tool moved first or last; two short lists), and, on validation conversations, the call decision on answers to a user
(AUC, the best threshold and its balanced accuracy, as calibration fits them, so that adapters
trained on different data can be compared on one validation file; and the adapter's own threshold
applied there, e.g. to conversations with longer tool lists than it was fitted on) and how often
plain greedy and the user-turn threshold get the first token right after a tool result. The README and docs quote it.

    python scripts/call_probabilities.py demo-out/adapter [--valid demo-out/data/valid.jsonl [--min-tool-chars N]]
        [--model qwen2.5-0.5b]
"""
import argparse
import json

import torch

from fctune.calibrate import best_threshold, call_probability, decision_at, resolve_threshold, scored_turns
from fctune.config import ModelConfig
from fctune.data.io import load_conversations
from fctune.data.seed import SMOKE_EXPECTED, SMOKE_PROMPTS, original_tools
from fctune.models import load_runtime


def tool_lists() -> dict[str, list[dict]]:
    """All eleven seed tools (the smoke test's list), and web_search with and without one other, in
    the seed list's order."""
    tools = original_tools()

    def only(*names: str) -> list[dict]:
        return [t for t in tools if t["function"]["name"] in names]

    return {"all 11": tools, "get_current_time + web_search": only("get_current_time", "web_search"),
            "web_search": only("web_search")}


EXPECTED_TOOL = [expected.split("(")[0] for expected in SMOKE_EXPECTED]
"""The tool each smoke prompt needs, from fctune.data.seed.SMOKE_EXPECTED ("get_weather(location=北京)")."""


def moved(tools: list[dict], name: str, position: int) -> list[dict]:
    """``tools`` with the tool ``name`` moved to ``position`` (0: first, -1: last), the others in order:
    whether the model finds a tool depends on where it sits in a long list."""
    tool = next(t for t in tools if t["function"]["name"] == name)
    rest = [t for t in tools if t is not tool]
    return rest + [tool] if position == -1 else rest[:position] + [tool] + rest[position:]


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("adapter")
parser.add_argument("--valid", help="validation conversations (JSONL) for the after-tool figures")
parser.add_argument("--min-tool-chars", type=int, default=0,
                    help="score only the validation conversations whose tools take at least this many JSON characters")
parser.add_argument("--model", default="qwen2.5-0.5b")
args = parser.parse_args()
model, fmt = load_runtime(ModelConfig(name_or_path=args.model, adapter=args.adapter))
model.eval()
with torch.inference_mode():
    for prompt, needed in zip(SMOKE_PROMPTS, EXPECTED_TOOL):
        lists = {**tool_lists(), **{f"all 11, {needed} {where}": moved(original_tools(), needed, pos)
                                    for where, pos in (("first", 0), ("last", -1))}}
        for name, tools in lists.items():
            ids = fmt.prompt_ids([{"role": "user", "content": prompt}], tools)
            logits = model(input_ids=torch.tensor([ids], device=next(model.parameters()).device)).logits[0, -1]
            print(json.dumps({"prompt": prompt, "tools": name, "prompt_tokens": len(ids),
                              "p_call": round(call_probability(logits, fmt.call_start_id), 3),
                              "greedy_first_token": fmt.tokenizer.decode([int(logits.argmax())])}, ensure_ascii=False))


def greedy_right(turns: list) -> float:
    """Share of the turns whose greedy first token makes the right call/no-call choice."""
    return round(sum(t.greedy_call == t.call for t in turns) / max(len(turns), 1), 4)


if args.valid:
    threshold = resolve_threshold(None, args.adapter)
    convs = [c for c in load_conversations(args.valid)
             if len(json.dumps(c.get("tools") or [], ensure_ascii=False)) >= args.min_tool_chars]
    turns = scored_turns(model, fmt, convs, 10 ** 9)
    user = [t for t in turns if not t.after_tool]
    scored = [(t.p_call, t.call) for t in user]
    # the adapter's own threshold (fitted on its validation turns) on these turns
    at_saved = {f"{k}_at_saved": round(v, 4) for k, v in decision_at(scored, threshold).items()}
    print(json.dumps({"conversations": len(convs), "user_turns": len(user), **(best_threshold(scored) or {}),
                      "saved_threshold": round(threshold, 4), **at_saved, "greedy_right": greedy_right(user)}))
    after = [t for t in turns if t.after_tool]
    print(json.dumps({"after_tool_turns": len(after), "needing_a_call": sum(t.call for t in after),
                      "greedy_right": greedy_right(after),
                      "user_threshold": round(threshold, 4),
                      "user_threshold_right": round(sum((t.p_call >= threshold) == t.call for t in after) / max(len(after), 1), 4)}))
