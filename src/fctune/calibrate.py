"""The call threshold, calibrated on the validation conversations after training.

Greedy answers open with a tool call iff the model gives the call token at least ``call_threshold``
probability (:func:`fctune.generate.decide_first_token`). 0.5 is right for a model that is sure of
itself; a short run leaves a model unsure and shifted: measured on SmolLM2-135M after 64 steps, the
first-token P(call) averaged 0.35 on BFCL simple_python prompts and 0.18 on irrelevance ones, so
0.5 silenced nearly every call though the two kinds lay apart. Training therefore picks the
threshold that best separates the validation turns (answers to a user message) that open with a
call from those that do not (balanced accuracy; held-out data, never an evaluation set), and saves
it beside the adapter (``call_threshold.json``). Eval, chat and serve use it unless told otherwise.

Silence has a floor (``train.min_silence``, default 0.85): the threshold must keep at least that
share of the validation turns that need no call free of calls. A model whose balanced optimum
already keeps that share silent is unaffected (a good separator usually does); a weakly separating one
(measured: a 64-step SmolLM2 run with a first-token AUC of 0.73, whose balanced accuracy stayed
within 0.62-0.70 for every threshold in 0.25-0.55) would otherwise get whichever point of that flat
curve its few hundred validation turns favour, and a tuned model that calls tools where none fits
has regressed from its base. The floor trades calls for silence there, and the saved file says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from fctune.config import TrainConfig
from fctune.generate import DEFAULT_CALL_THRESHOLD

FILE = "call_threshold.json"
DEFAULT = DEFAULT_CALL_THRESHOLD
MIN_PER_CLASS = 5
"""Fewer validation turns of either kind than this: no calibration (the default stays)."""
MIN_SILENCE = TrainConfig.min_silence
"""Default floor on the share of validation no-call turns the threshold keeps silent (``train.min_silence``)."""


def decides(messages: Sequence[dict]) -> bool:
    """Whether the user-turn call decision applies to the answer after ``messages``: an answer to a
    user message. After a tool result the choice is another one (the next step's call or the final
    answer; measured: P(call) 0.38-0.46 on multi-step turns that needed a call, where a threshold
    fitted to user turns turned them into replies), with a rule of its own (:func:`after_tool_rule`)."""
    return bool(messages) and messages[-1].get("role") == "user"


def after_tool(messages: Sequence[dict]) -> bool:
    """Whether the answer after ``messages`` follows a tool result (the after-tool rule applies)."""
    return bool(messages) and messages[-1].get("role") == "tool"


def thresholds_for(threshold: float, conversations: Sequence[Sequence[dict]], after_tool_threshold: float = 0.0) -> list[float]:
    """Per prompt: ``threshold`` where :func:`decides`, ``after_tool_threshold`` after a tool result,
    else 0 (plain greedy)."""
    return [threshold if decides(m) else after_tool_threshold if after_tool(m) else 0.0 for m in conversations]


def call_probability(logits: Any, call_id: int) -> float:
    """P(the call token) from the logits of a turn's first position."""
    import torch

    return float(torch.softmax(logits.float(), dim=-1)[call_id])


@dataclass(frozen=True)
class ScoredTurn:
    """The first position of one validation answer: where it stands, what the model gives it."""

    after_tool: bool
    """The answer follows a tool result (else it answers a user message)."""
    p_call: float
    """P(the call token)."""
    greedy_call: bool
    """Plain greedy would open with the call token (it is the likeliest token)."""
    call: bool
    """The answer opens with a call."""


def decision_points(fmt: Any, conversations: Sequence[dict], max_length: int) -> Iterator[tuple[bool, list[int], bool]]:
    """``(after a tool result, prompt ids, the answer opens with a call)`` for every assistant turn
    that answers a user message or a tool result, turns over ``max_length`` tokens left out: where
    a call decision is made, and what the data says it should be."""
    for conv in conversations:
        for turn in fmt.render_training(conv):
            if len(turn.input_ids) > max_length or turn.prompt_length >= len(turn.input_ids):
                continue
            history = conv["messages"][:turn.turn]
            if decides(history) or after_tool(history):
                yield (after_tool(history), turn.input_ids[:turn.prompt_length],
                       turn.input_ids[turn.prompt_length] == fmt.call_start_id)


def prompt_order(prompts: Sequence[Sequence[int]]) -> list[int]:
    """The order :func:`scored_turns` runs its prompts in: token order, so that each shares the
    longest prefix with the one before (``bench/calibration_order.py`` counts what it saves)."""
    return sorted(range(len(prompts)), key=lambda i: list(prompts[i]))


def prompt_scores(model: Any, fmt: Any, prompts: Sequence[Sequence[int]], progress: bool = False,
                  desc: str = "P(call)") -> list[tuple[float, bool]]:
    """``(P(the call token), plain greedy opens a call)`` at the first answer position of each prompt,
    in the order given. The prompts run in token order, each pass reusing the cache of the one before
    for their common prefix (:class:`fctune.generate.PrefixReuse`): a conversation's turns extend
    each other, and prompts that offer the same tools share their whole tool list (on the demo's
    validation split 17,461 tokens computed instead of 22,294 in conversation order,
    bench/calibration_order.py)."""
    import torch
    from tqdm.auto import tqdm

    from fctune.generate import PrefixReuse, full_attention_only

    device = next(model.parameters()).device
    reuse = PrefixReuse(full_attention_only(model))
    out: list[tuple[float, bool] | None] = [None] * len(prompts)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for k in tqdm(prompt_order(prompts), desc=desc, unit="prompt", disable=not progress):
                logits = reuse.run(model, prompts[k], device)[0][0]
                out[k] = (call_probability(logits, fmt.call_start_id), int(logits.argmax()) == fmt.call_start_id)
    finally:
        if was_training:
            model.train()
    assert all(s is not None for s in out)
    return out  # type: ignore[return-value]


def scored_turns(model: Any, fmt: Any, conversations: Sequence[dict], max_length: int) -> list[ScoredTurn]:
    """One :class:`ScoredTurn` per assistant turn that answers a user message or a tool result, turns
    over ``max_length`` tokens left out, in the order of the conversations (scored by
    :func:`prompt_scores`)."""
    points = list(decision_points(fmt, conversations, max_length))
    scores = prompt_scores(model, fmt, [p for _, p, _ in points])
    return [ScoredTurn(after, p_call, greedy, call) for (after, _, call), (p_call, greedy) in zip(points, scores)]


def auc(scored: Sequence[tuple[float, bool]]) -> float | None:
    """Area under the ROC curve of P(call) separating call turns (``True``) from the others: the
    chance that a random call turn scores above a random no-call turn (ties count half; the
    Mann-Whitney statistic, from ranks). ``None`` without turns of both kinds."""
    n_pos = sum(1 for _, c in scored if c)
    n_neg = len(scored) - n_pos
    if not n_pos or not n_neg:
        return None
    ordered = sorted(scored, key=lambda pc: pc[0])
    rank_sum, i = 0.0, 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j][0] == ordered[i][0]:
            j += 1
        mid = (i + 1 + j) / 2  # the mean of ranks i+1 .. j
        rank_sum += mid * sum(1 for _, c in ordered[i:j] if c)
        i = j
    return round((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg), 4)


def decision_at(scored: Sequence[tuple[float, bool]], threshold: float) -> dict[str, float]:
    """Call recall, silence (no-call recall) and their mean when a call needs P(call) >= ``threshold``;
    a kind with no turns counts 0. One definition for fitting a threshold and for checking a saved one
    on other turns."""
    calls = [p for p, c in scored if c]
    replies = [p for p, c in scored if not c]
    recall = sum(p >= threshold for p in calls) / max(len(calls), 1)
    silence = sum(p < threshold for p in replies) / max(len(replies), 1)
    return {"call_recall": recall, "silence": silence, "balanced_accuracy": 0.5 * (recall + silence)}


def best_threshold(scored: Sequence[tuple[float, bool]], min_silence: float = MIN_SILENCE) -> dict[str, Any] | None:
    """The threshold with the best balanced accuracy (mean of call and no-call recall) among those
    that keep at least ``min_silence`` of the no-call turns silent; ties go to the one nearest 0.5.
    ``None`` when either kind has fewer than ``MIN_PER_CLASS`` turns."""
    assert 0.0 <= min_silence <= 1.0, min_silence
    calls = [p for p, c in scored if c]
    replies = [p for p, c in scored if not c]
    if len(calls) < MIN_PER_CLASS or len(replies) < MIN_PER_CLASS:
        return None

    def call_recall(t: float) -> float:
        return decision_at(scored, t)["call_recall"]

    def silence(t: float) -> float:
        return decision_at(scored, t)["silence"]

    def balanced(t: float) -> float:
        return decision_at(scored, t)["balanced_accuracy"]

    values = sorted({p for p, _ in scored})
    # midpoints between neighbouring scores, so the threshold does not sit on a validation point;
    # and one above every score below 1 (all silent unless a no-call turn scored exactly 1)
    candidates = [DEFAULT] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [(values[-1] + 1.0) / 2]

    def key(t: float) -> tuple[float, float]:
        return round(balanced(t), 9), -abs(t - DEFAULT)

    free = max(candidates, key=key)
    meets = [t for t in candidates if silence(t) >= min_silence - 1e-12]
    # unreachable floor (no-call turns at P = 1): the most silence there is, then the best balance
    best = max(meets, key=key) if meets else max(candidates, key=lambda t: (silence(t), *key(t)))
    return {"call_threshold": best, "balanced_accuracy": round(balanced(best), 4),
            "call_recall": round(call_recall(best), 4), "silence": round(silence(best), 4),
            "min_silence": min_silence, "floor_binds": best != free, "floor_met": bool(meets),
            "threshold_without_floor": free, "balanced_accuracy_without_floor": round(balanced(free), 4),
            "balanced_accuracy_at_0.5": round(balanced(DEFAULT), 4), "auc": auc(scored),
            "call_turns": len(calls), "reply_turns": len(replies)}


def calibrate(model: Any, fmt: Any, conversations: Sequence[dict], max_length: int, out_dir: str | Path,
              min_silence: float = MIN_SILENCE, prefaces: tuple[int, int] | None = None) -> dict | None:
    """Measure, pick and save the threshold (``out_dir/call_threshold.json``); returns what was saved.
    ``prefaces``: :func:`preface_counts` of the training data, saved with it (what
    :func:`calls_open_turns` reads)."""
    turns = scored_turns(model, fmt, conversations, max_length)
    # the user-turn threshold from answers to a user only: turns after tool results (mostly easy final
    # answers) would make a lax threshold look good; they get a rule of their own
    result = best_threshold([(t.p_call, t.call) for t in turns if not t.after_tool], min_silence)
    if result is not None:
        if prefaces is not None:
            result["prefaced_call_turns"], result["training_call_turns"] = prefaces
        result["after_tool"] = after_tool_rule([t for t in turns if t.after_tool])
        Path(out_dir, FILE).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


AFTER_TOOL_MARGIN = 0.05
"""A threshold fitted on the after-tool validation turns replaces plain greedy there only when its
balanced accuracy on them is at least this much higher: fitted on a few dozen turns, it looks
better on them than it will be elsewhere."""


def after_tool_rule(turns: Sequence[ScoredTurn]) -> dict[str, Any]:
    """The rule for answers after a tool result, chosen on the validation turns there: plain greedy
    (``threshold`` 0), or the threshold with the best balanced accuracy between next-step calls and
    final answers (no silence floor: both errors cost alike, a needless call loops and a missing
    one ends the task early). Which is right depends on the adapter (measured on the 23 validation after-tool
    turns of two demo adapters, 72 and 100 steps: greedy right on 78 % and 65 % of them, the
    user-turn threshold on 70 % and 74 %), so each adapter gets its own choice."""
    calls = [t for t in turns if t.call]
    answers = [t for t in turns if not t.call]
    info: dict[str, Any] = {"turns": len(turns), "call_turns": len(calls), "answer_turns": len(answers)}
    if not calls or not answers:
        return {"rule": "greedy", "threshold": 0.0, **info, "reason": "validation after-tool turns of one kind only"}
    greedy = 0.5 * (sum(t.greedy_call for t in calls) / len(calls) + sum(not t.greedy_call for t in answers) / len(answers))
    fitted = best_threshold([(t.p_call, t.call) for t in turns], min_silence=0.0)
    info["balanced_accuracy_greedy"] = round(greedy, 4)
    if fitted is None:
        return {"rule": "greedy", "threshold": 0.0, **info,
                "reason": f"fewer than {MIN_PER_CLASS} validation after-tool turns of a kind"}
    use = fitted["balanced_accuracy"] >= greedy + AFTER_TOOL_MARGIN
    return {"rule": "threshold" if use else "greedy", "threshold": fitted["call_threshold"] if use else 0.0, **info,
            "fitted_threshold": fitted["call_threshold"], "balanced_accuracy_threshold": fitted["balanced_accuracy"],
            "auc": fitted["auc"]}


PREFACE_OFF_SHARE = 0.5
"""When at least this share of the training call turns write text before their call, the first token
cannot see a call coming: the call decision is switched off (threshold 0, plain greedy)."""


def preface_counts(conversations: Sequence[dict]) -> tuple[int, int]:
    """(assistant call turns with text before the call, all assistant call turns)."""
    calls = prefaced = 0
    for conv in conversations:
        for m in conv["messages"]:
            if m["role"] == "assistant" and m.get("tool_calls"):
                calls += 1
                prefaced += bool((m.get("content") or "").strip())
    return prefaced, calls


def prefaces_turn_decision_off(prefaced: int, calls: int) -> bool:
    """The rule of :func:`decision_off_for_prefaces` on counts from :func:`preface_counts`."""
    return calls > 0 and prefaced / calls >= PREFACE_OFF_SHARE


def decision_off_for_prefaces(conversations: Sequence[dict], out_dir: str | Path) -> dict | None:
    """Switch the first-token call decision off (save threshold 0 with the reason) when the training
    data mostly writes text before its calls (the original seed set does, for every call): the
    decision reads the first token only, and there such a model always opens with text. ``None``
    when the data mostly opens calls at once (the decision stays on)."""
    prefaced, calls = preface_counts(conversations)
    if not prefaces_turn_decision_off(prefaced, calls):
        return None
    result = {"call_threshold": 0.0, "decision": "off", "prefaced_call_turns": prefaced, "call_turns": calls,
              "reason": f"{prefaced} of the {calls} call turns of the training data write text before the call, so "
                        "the first token cannot decide between a call and a reply: plain greedy decoding "
                        "(threshold 0), the model's own choice at every token"}
    Path(out_dir, FILE).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def saved_calibration(adapter: str | Path | None,
                      model: str | Path | None = None) -> tuple[Path, float, dict[str, Any]] | None:
    """``(file, threshold, everything saved)`` of the calibration saved in the adapter directory, or
    in the model directory (``fctune merge`` and ``fctune export`` copy it there); ``None`` when
    neither has one."""
    from fctune.errors import FctuneError

    for where in (adapter, model):
        if where and Path(where, FILE).is_file():
            path = Path(where, FILE)
            try:
                info = json.loads(path.read_text(encoding="utf-8"))
                return path, float(info["call_threshold"]), info
            except (ValueError, KeyError, TypeError) as exc:
                raise FctuneError(f"{path}: not a call calibration (no numeric call_threshold: {exc})") from exc
    return None


CALL_FIRST_MAX_PREFACED = 0.05
"""Training data counts as call-first (:func:`calls_open_turns`) when at most this share of its call
turns write text before the call. The demo's has 2 % (the seed set's 15 conversations among the
synthetic ones); with it, no answer of 272 in three evaluations wrote a call after text. Ten
prefaced copies of the seed set made 16 of 68 answers do so: text then a call."""


def calls_open_turns(adapter: str | Path | None, model: str | Path | None = None) -> bool:
    """Whether the model saved with ``adapter`` (or ``model``) opens its calls at the first token of a
    turn, so that an answer opening with text is a reply: its calibration
    (:func:`saved_calibration`) is a first-token decision and records training data whose call
    turns wrote text before the call at most :data:`CALL_FIRST_MAX_PREFACED` of the time. ``False``
    without a calibration, for a calibration that does not record its data, and when training
    switched the decision off (:func:`decision_off_for_prefaces`)."""
    saved = saved_calibration(adapter, model)
    if saved is None:
        return False
    info = saved[2]
    prefaced, calls = info.get("prefaced_call_turns"), info.get("training_call_turns")
    if info.get("decision") == "off" or not isinstance(prefaced, int) or not isinstance(calls, int) or calls <= 0:
        return False
    return prefaced / calls <= CALL_FIRST_MAX_PREFACED


def resolve_after_tool_threshold(requested: float | None, adapter: str | Path | None,
                                 model: str | Path | None = None) -> float:
    """The threshold for answers after a tool result: 0 (plain greedy) when a user-turn threshold is
    ``requested`` (given, it replaces the calibration); else the rule saved with the adapter or model
    (:func:`after_tool_rule`), 0 without one."""
    if requested is not None and requested >= 0:
        return 0.0
    saved = saved_calibration(adapter, model)
    if saved is None:
        return 0.0
    rule = saved[2].get("after_tool")
    threshold = rule.get("threshold") if isinstance(rule, dict) else None
    return float(threshold) if isinstance(threshold, (int, float)) and 0 <= threshold <= 1 else 0.0


def resolve_threshold(requested: float | None, adapter: str | Path | None, model: str | Path | None = None) -> float:
    """``requested`` when given and >= 0; else (``None`` or negative) the calibrated threshold saved
    with the adapter or model (:func:`saved_calibration`); else 0.5."""
    if requested is not None and requested >= 0:
        return requested
    saved = saved_calibration(adapter, model)
    return saved[1] if saved else DEFAULT
