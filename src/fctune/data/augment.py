"""Tool-list variants of training conversations: the same turns under shuffled, widened tool lists.

A small data set (the original 15 seed conversations) offers each request two or three tools, and a
short run memorises which tool goes with which phrasing instead of reading the list: measured on
Qwen2.5-Coder-0.5B-Instruct after the seed set, asked with all eleven seed tools offered, it called
``get_weather`` for 「帮我计算一下 25 * 4 + 10」 and for a web search. Hammer and xLAM train on shuffled tool
lists with distractors for this reason. A variant keeps every message as it is and offers the
conversation's own tools plus up to ``max_distractors`` tools of *other* conversations (never one of
the same name), in a random order; calls stay valid because the called tools are always offered.
Conversations that make no call are only reordered: their silence may rest on no offered tool fitting.
"""

from __future__ import annotations

import copy
import random
from typing import Sequence


def _name(tool: dict) -> str:
    return tool.get("function", tool).get("name", "")


def _calls(conv: dict) -> bool:
    return any(m.get("role") == "assistant" and m.get("tool_calls") for m in conv.get("messages") or [])


def tool_pool(conversations: Sequence[dict]) -> list[dict]:
    """Every distinct tool (by name, first definition wins) of ``conversations``, in order of appearance."""
    seen: dict[str, dict] = {}
    for conv in conversations:
        for tool in conv.get("tools") or []:
            seen.setdefault(_name(tool), tool)
    return list(seen.values())


def tool_variants(numbered: Sequence[tuple[int, dict]], copies: int, max_distractors: int,
                  seed: int) -> list[tuple[int, dict]]:
    """``numbered`` (``(line, conversation)``) followed by ``copies`` variants of each conversation
    that offers tools (same line numbers, so errors still point at the source row). Deterministic
    for a seed."""
    assert copies >= 0 and max_distractors >= 0
    if copies == 0:
        return list(numbered)
    rng = random.Random(seed)
    pool = tool_pool([c for _, c in numbered])
    out = list(numbered)
    for k in range(copies):
        for line, conv in numbered:
            own = conv.get("tools") or []
            if not own:
                continue
            names = {_name(t) for t in own}
            others = [t for t in pool if _name(t) not in names]
            # a turn that answers without a call may do so because no offered tool fits: a distractor
            # could be the tool that does, so such conversations are only reordered
            n_extra = rng.randint(0, max_distractors) if _calls(conv) else 0
            extra = rng.sample(others, min(len(others), n_extra))
            tools = [copy.deepcopy(t) for t in [*own, *extra]]
            rng.shuffle(tools)
            variant = {**copy.deepcopy(conv), "tools": tools}
            if "id" in conv:
                variant["id"] = f"{conv['id']}-tools{k + 1}"
            out.append((line, variant))
    return out


def without_prefaces(conv: dict) -> dict:
    """A copy of ``conv`` whose call turns open with their calls: the text an assistant turn writes
    before its calls (the seed set's 「好的，我来帮您查询……」) is dropped; replies stay as they are.

    Data that writes text before calls cannot be held back by the first-token call decision
    (:mod:`fctune.calibrate`): measured in the demo with ten prefaced copies of the seed set, the
    model learned to write a sentence and then call, and called on 5 of 7 Chinese turns that needed
    no call. Call-first copies teach the same tools and arguments without that habit."""
    out = copy.deepcopy(conv)
    for m in out.get("messages") or []:
        if m.get("role") == "assistant" and m.get("tool_calls"):
            m["content"] = ""
    return out
