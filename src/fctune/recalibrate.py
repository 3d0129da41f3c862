"""The call threshold fitted again on items like those a model will meet (``fctune calibrate``).

Training fits the first-token call threshold on its own validation turns (:mod:`fctune.calibrate`),
which resemble its training data. Prompts unlike them shift P(call): measured on the BFCL recipe's
adapter (run 3, docs/RESULTS.md), its threshold kept 97.6 % of its validation no-call turns silent
but 69.8 % of BFCL's dev no-call items, whose tool lists are longer and nearer the request. This
module scores the items of ``fctune eval`` (a data file or BFCL categories) by their prompt pass only
and fits the threshold there by training's rule. It sits with evaluation: it reads eval's items, and
:mod:`fctune.calibrate` (training) must not import evaluation code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Sequence

from fctune.calibrate import (FILE, MIN_PER_CLASS, MIN_SILENCE, best_threshold, decides, decision_at, prompt_scores,
                              saved_calibration)

KEPT = ("prefaced_call_turns", "training_call_turns", "after_tool")
"""What the adapter's own calibration recorded that a refitted file keeps: its training data's share
of calls written after text (:func:`fctune.calibrate.calls_open_turns`) and its after-tool rule."""


def refit(cfg: Any, out: str | Path, data: str | None = None, bfcl: str | Sequence[str] | None = None,
          min_silence: float = MIN_SILENCE, progress: bool = True,
          log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Fit the user-turn call threshold of ``cfg.model`` (a model with ``cfg.model.adapter``, or a
    merged one) on ``data`` or ``bfcl`` items (with ``cfg.eval.split``, ``sample`` and ``limit``: for
    BFCL the dev split, as a threshold is a design decision) and save it as ``out/call_threshold.json``
    (never over an existing file); returns what was saved.

    Only answers to a user message count (where the first-token decision applies); an item needs a
    call when its reference answer has one. Call turns of a data file whose reference writes text
    before the call are left out (counted): the first token cannot tell such a call from a reply. The
    rule is training's (:func:`fctune.calibrate.best_threshold`, the same ``min_silence`` floor). The
    file also says how the threshold it would replace fares on the same items, and keeps the
    adapter's :data:`KEPT` record, so it can replace the adapter's file as it is. A model whose
    training switched the decision off (text before its calls) is refused.
    """
    from fctune.errors import FctuneError
    from fctune.evaluate import load_items
    from fctune.models import load_runtime
    from fctune.publish import check_output_dir

    say = log or (lambda _msg: None)
    rt, ev = cfg.model, cfg.eval
    target = check_output_dir(out, "--out") / FILE
    if target.exists():
        raise FctuneError(f"{target} exists; remove it or choose another --out (it is never overwritten)")
    saved = saved_calibration(rt.adapter or None, rt.name_or_path or None)
    if saved is not None and saved[2].get("decision") == "off":
        raise FctuneError(f"{saved[0]}: training switched the call decision off (its data writes text before its "
                          "calls, so the first token cannot decide); there is no threshold to fit")
    items, source = load_items(data, bfcl, ev.limit, ev.split, ev.sample, ev.sample_round)
    prefaced = _prefaced_call_turns(data) if data else set()
    items = [it for it in items if decides(it.messages)]
    left_out = sum(it.id in prefaced for it in items)
    items = [it for it in items if it.id not in prefaced]
    calls = sum(it.expected is not None for it in items)
    if min(calls, len(items) - calls) < MIN_PER_CLASS:
        raise FctuneError(f"{source}: {calls} item(s) that need a call and {len(items) - calls} that need none "
                          f"answer a user message; at least {MIN_PER_CLASS} of each are needed to fit a threshold")
    say(f"loading {rt.name_or_path}" + (f" + adapter {rt.adapter}" if rt.adapter else ""))
    net, fmt = load_runtime(rt)
    say(f"P(call) on {len(items)} item(s) ({source})")
    scores = prompt_scores(net, fmt, [fmt.prompt_ids(it.messages, it.tools or None) for it in items], progress)
    scored = [(p, it.expected is not None) for (p, _), it in zip(scores, items)]
    result = best_threshold(scored, min_silence)
    assert result is not None  # both kinds counted above
    greedy = [(float(g), c) for (_, g), (_, c) in zip(scores, scored)]
    result["balanced_accuracy_greedy"] = round(decision_at(greedy, 0.5)["balanced_accuracy"], 4)
    result["categories"] = _per_category(items, scored, result["call_threshold"])
    result["fitted_on"] = source
    if left_out:
        result["prefaced_call_items_left_out"] = left_out
    if saved is not None:
        path, before, info = saved
        there = {key: round(value, 4) for key, value in decision_at(scored, before).items()}
        result["replaces"] = {"file": str(path), "call_threshold": before,
                              "fitted_on": info.get("fitted_on", "validation turns"), "on_these_items": there}
        result.update({key: info[key] for key in KEPT if key in info})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


def _prefaced_call_turns(path: str) -> set[str]:
    """Ids (as :func:`fctune.evaluate.load_data_items` gives them) of the call turns of a data file
    whose reference writes text before its calls."""
    from fctune.data.io import load_numbered_conversations
    from fctune.evaluate import data_item_id

    return {data_item_id(conv, line, turn) for line, conv in load_numbered_conversations(path)
            for turn, msg in enumerate(conv["messages"])
            if msg["role"] == "assistant" and msg.get("tool_calls") and (msg.get("content") or "").strip()}


def _per_category(items: Sequence[Any], scored: Sequence[tuple[float, bool]], threshold: float) -> dict[str, dict]:
    """Per item category: its items, how many need a call, and the share the threshold decides right
    (a call where one is needed, silence where none is; the rule of :func:`fctune.generate.decide_first_token`)."""
    out: dict[str, dict] = {}
    for it, (p, call) in zip(items, scored):
        entry = out.setdefault(it.category, {"items": 0, "call_items": 0, "right": 0})
        entry["items"] += 1
        entry["call_items"] += call
        entry["right"] += (p >= threshold) == call
    return {c: {"items": e["items"], "call_items": e["call_items"], "decided_right": round(e["right"] / e["items"], 4)}
            for c, e in out.items()}
