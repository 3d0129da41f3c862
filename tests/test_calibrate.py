"""The call threshold calibrated on validation turns: choice, saving, and who reads it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from fctune.calibrate import FILE, MIN_SILENCE, best_threshold, resolve_threshold
from tests.helpers import ROOT, run_fctune


def test_scored_turns_run_in_token_order_and_come_back_in_conversation_order(monkeypatch):
    """The calibration's prompts run in token order (fewer tokens computed, as prefix_cost counts and
    PrefixReuse does), and each turn's score is that of its own prompt run alone, in the order of
    the conversations."""
    import torch

    import fctune.generate
    from fctune.calibrate import call_probability, decision_points, prompt_order, scored_turns
    from fctune.data.seed import seed_conversations
    from fctune.formats import ChatFormat
    from fctune.generate import prefix_cost
    from fctune.models import load_model

    model, tokenizer = load_model("tiny-qwen3", dtype="float32", device="cpu")
    fmt = ChatFormat(tokenizer, template="auto", enable_thinking=False)
    convs = seed_conversations()[:6]
    convs = convs[::2] + convs[1::2]  # conversations that share their tools, apart
    points = list(decision_points(fmt, convs, 1024))
    prompts = [p for _, p, _ in points]
    order = prompt_order(prompts)
    assert order != list(range(len(prompts))) and [prompts[i] for i in order] == sorted(prompts)
    assert prefix_cost([prompts[i] for i in order]) < prefix_cost(prompts)
    reuses = []
    real = fctune.generate.PrefixReuse

    def counted(*args):
        reuses.append(real(*args))
        return reuses[-1]

    monkeypatch.setattr(fctune.generate, "PrefixReuse", counted)
    scored = scored_turns(model, fmt, convs, 1024)
    assert sum(map(len, prompts)) - reuses[0].reused_tokens == prefix_cost([prompts[i] for i in order])
    with torch.inference_mode():
        alone = [call_probability(model(input_ids=torch.tensor([p])).logits[0, -1], fmt.call_start_id) for p in prompts]
    assert len(set(alone)) == len(alone)  # every prompt its own score: a mix-up would show
    assert [t.p_call for t in scored] == pytest.approx(alone, rel=1e-4)
    assert [t.call for t in scored] == [c for _, _, c in points]


def test_best_threshold_separates_the_kinds():
    # calls around 0.3-0.45, replies around 0.05-0.2: 0.5 silences every call, ~0.25 separates them
    scored = [(p, True) for p in (0.30, 0.33, 0.38, 0.41, 0.45, 0.27)] + \
             [(p, False) for p in (0.05, 0.10, 0.12, 0.20, 0.18, 0.08)]
    got = best_threshold(scored)
    assert 0.20 < got["call_threshold"] < 0.27
    assert got["balanced_accuracy"] == 1.0 and got["balanced_accuracy_at_0.5"] == 0.5
    assert (got["call_turns"], got["reply_turns"]) == (6, 6) and got["auc"] == 1.0  # fully separated
    assert got["silence"] == 1.0 and got["floor_binds"] is False
    # the saved threshold is the midpoint itself (no rounding that could cross a score)
    close = best_threshold([(0.12346, True)] * 5 + [(0.12344, False)] * 5)
    assert 0.12344 < close["call_threshold"] <= 0.12346 and close["balanced_accuracy"] == 1.0


def _overlapping():
    # a weak separator: no-call turns spread over 0.05-0.45, calls over 0.22-0.6; the balanced
    # optimum (~0.21) leaves 40 % of the no-call turns calling
    replies = [0.05, 0.1, 0.12, 0.15, 0.18, 0.2, 0.3, 0.35, 0.4, 0.45]
    calls = [0.22, 0.25, 0.28, 0.3, 0.32, 0.35, 0.38, 0.42, 0.5, 0.6]
    return [(p, True) for p in calls] + [(p, False) for p in replies]


def test_the_silence_floor_trades_calls_for_silence_only_when_it_must():
    scored = _overlapping()
    free = best_threshold(scored, min_silence=0.0)
    assert free["silence"] < 0.85 and free["floor_binds"] is False
    floored = best_threshold(scored, min_silence=0.85)
    assert floored["silence"] >= 0.85 and floored["floor_binds"] is True
    assert floored["call_threshold"] > free["call_threshold"]
    assert floored["threshold_without_floor"] == free["call_threshold"]
    assert floored["call_recall"] < free["call_recall"]
    # the best balanced accuracy among the thresholds that meet the floor
    replies = [p for p, c in scored if not c]
    calls = [p for p, c in scored if c]
    for t in [i / 200 for i in range(201)]:
        if sum(p < t for p in replies) / len(replies) >= 0.85:
            bal = 0.5 * (sum(p >= t for p in calls) / len(calls) + sum(p < t for p in replies) / len(replies))
            assert bal <= floored["balanced_accuracy"] + 1e-9, t
    # a floor of 1 is always reachable (at worst above every score, where nothing is called)
    everything = best_threshold(scored, min_silence=1.0)
    assert everything["silence"] == 1.0 and everything["call_threshold"] > max(replies)
    assert best_threshold([(0.9, True)] * 5 + [(0.95, False)] * 5, 1.0)["call_threshold"] > 0.95
    # no-call turns at P = 1 make a floor unreachable: the most silence there is, said so, no crash
    stuck = best_threshold([(0.9, True)] * 5 + [(1.0, False)] * 2 + [(0.1, False)] * 3, 0.85)
    assert stuck["floor_met"] is False and stuck["silence"] == 0.6
    assert floored["floor_met"] is True


def test_default_floor_is_the_config_default():
    from fctune.config import Config

    assert Config().train.min_silence == MIN_SILENCE


def test_a_confident_model_keeps_one_half_and_too_little_data_keeps_the_default():
    scored = [(0.9, True)] * 5 + [(0.95, True)] * 3 + [(0.02, False)] * 8
    assert best_threshold(scored)["call_threshold"] == 0.5  # every threshold in (0.02, 0.9] is perfect
    assert best_threshold([(0.9, True)] * 4 + [(0.1, False)] * 10) is None


def test_resolve_threshold(tmp_path):
    assert resolve_threshold(None, None) == 0.5
    assert resolve_threshold(None, tmp_path) == 0.5
    (tmp_path / FILE).write_text(json.dumps({"call_threshold": 0.31}))
    assert resolve_threshold(None, tmp_path) == 0.31
    assert resolve_threshold(0.0, tmp_path) == 0.0 and resolve_threshold(0.7, tmp_path) == 0.7


@pytest.mark.slow
def test_training_with_validation_data_saves_a_threshold_that_eval_uses(tmp_path):
    """A real run: tiny model, synthetic data as train and validation; then eval reads the saved file."""
    run_fctune("data", "synth", "--n", "40", "--seed", "1", "--lang", "en", "--heldout", "0", "--out",
               str(tmp_path / "d"), check=True, cwd=ROOT, timeout=None)
    data = tmp_path / "d" / "train.jsonl"
    out = tmp_path / "run"
    run_fctune("train", "configs/tiny-test.yaml", f"data.train_file={data}", f"data.valid_file={data}",
               f"train.output_dir={out}", "train.smoke_test=false", check=True, cwd=ROOT, timeout=None)
    summary = json.loads((out / "summary.json").read_text())
    saved = out / FILE
    if summary["call_threshold"] is None:  # the data must hold both kinds of turns
        pytest.fail("no calibration: " + json.dumps(summary)[:300])
    assert json.loads(saved.read_text()) == summary["call_threshold"]
    assert 0 < summary["call_threshold"]["call_threshold"] < 1
    rule = summary["call_threshold"]["after_tool"]  # synthetic data has answers after tool results
    assert rule["turns"] == rule["call_turns"] + rule["answer_turns"] > 0 and rule["rule"] in ("greedy", "threshold")
    assert (rule["threshold"] > 0) == (rule["rule"] == "threshold")
    ev = tmp_path / "ev"
    run_fctune("eval", "--model", "tiny-qwen3", "--adapter", str(out), "--data", str(data), "--limit", "3",
               "--max-new-tokens", "8", "--no-progress", "--out", str(ev), check=True, cwd=ROOT, timeout=None)
    report = json.loads((ev / "report.json").read_text())
    assert report["call_threshold"] == summary["call_threshold"]["call_threshold"]


def test_text_before_calls_switches_the_decision_off(tmp_path):
    """The seed set writes a sentence before every call: the first token cannot decide, so the
    saved threshold is 0 (plain greedy) with the reason; data that opens calls at once keeps it."""
    from fctune.calibrate import decision_off_for_prefaces, preface_counts, resolve_threshold
    from fctune.data.seed import seed_conversations

    seed = seed_conversations()
    assert preface_counts(seed) == (15, 15)
    saved = decision_off_for_prefaces(seed, tmp_path)
    assert saved is not None and saved["decision"] == "off" and saved["call_threshold"] == 0.0
    assert "15 of the 15 call turns" in saved["reason"]
    assert json.loads((tmp_path / FILE).read_text()) == saved
    assert resolve_threshold(None, tmp_path) == 0.0 and resolve_threshold(0.3, tmp_path) == 0.3

    direct = [{**c, "messages": [c["messages"][0], {**c["messages"][1], "content": ""}]} for c in seed]
    assert preface_counts(direct) == (0, 15)
    other = tmp_path / "other"
    other.mkdir()
    assert decision_off_for_prefaces(direct, other) is None and not (other / FILE).exists()


def test_the_decision_applies_to_answers_to_a_user_message_only():
    from fctune.calibrate import decides, thresholds_for

    user = [{"role": "user", "content": "今天北京的天气怎么样？"}]
    after_tool = user + [{"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"location": "北京"}}}]},
        {"role": "tool", "name": "get_weather", "content": "{\"temp\": 25}"}]
    assert decides(user) and not decides(after_tool) and not decides([])
    assert thresholds_for(0.6, [user, after_tool, user + [{"role": "assistant", "content": "hi"}]]) == [0.6, 0.0, 0.0]
    assert thresholds_for(0.6, [user, after_tool, user + [{"role": "assistant", "content": "hi"}]], 0.3) == [0.6, 0.3, 0.0]


def _turns(calls: list[tuple[float, bool]], answers: list[tuple[float, bool]]):
    from fctune.calibrate import ScoredTurn

    return ([ScoredTurn(True, p, g, True) for p, g in calls] + [ScoredTurn(True, p, g, False) for p, g in answers])


def test_after_tool_rule_is_chosen_per_adapter_on_its_validation_turns():
    """Greedy after tool results unless a threshold fitted there is clearly better (by the margin)."""
    from fctune.calibrate import AFTER_TOOL_MARGIN, after_tool_rule

    # the model gives next-step calls 0.3-0.45 but some text token more: greedy misses every one of them
    shy = after_tool_rule(_turns([(0.3 + 0.03 * i, False) for i in range(6)], [(0.05 + 0.02 * i, False) for i in range(8)]))
    assert shy["rule"] == "threshold" and shy["threshold"] == shy["fitted_threshold"]
    assert shy["balanced_accuracy_greedy"] == 0.5 and shy["balanced_accuracy_threshold"] == 1.0 and shy["auc"] == 1.0
    assert 0.19 < shy["threshold"] < 0.3 and (shy["turns"], shy["call_turns"], shy["answer_turns"]) == (14, 6, 8)
    # greedy already right: it stays (a fitted threshold cannot beat it by the margin)
    sure = after_tool_rule(_turns([(0.6 + 0.05 * i, True) for i in range(6)], [(0.1 + 0.05 * i, False) for i in range(8)]))
    assert sure["rule"] == "greedy" and sure["threshold"] == 0.0 and sure["balanced_accuracy_greedy"] == 1.0
    # better by less than the margin: greedy (one of 12 answers wrongly a call; the fit gets it right)
    near = after_tool_rule(_turns([(0.6 + 0.05 * i, True) for i in range(6)],
                                  [(0.1 + 0.03 * i, False) for i in range(11)] + [(0.55, True)]))
    assert near["balanced_accuracy_threshold"] - near["balanced_accuracy_greedy"] < AFTER_TOOL_MARGIN
    assert near["rule"] == "greedy" and near["fitted_threshold"] > 0.55
    # too few turns of a kind, or one kind only: greedy, with the reason
    few = after_tool_rule(_turns([(0.4, False)] * 3, [(0.1, False)] * 8))
    assert few["rule"] == "greedy" and "fewer than 5" in few["reason"]
    assert after_tool_rule(_turns([], [(0.1, False)] * 8))["reason"].startswith("validation after-tool turns of one kind")


def test_resolve_after_tool_threshold(tmp_path):
    from fctune.calibrate import resolve_after_tool_threshold

    assert resolve_after_tool_threshold(None, tmp_path) == 0.0  # no calibration
    (tmp_path / FILE).write_text(json.dumps({"call_threshold": 0.6}))
    assert resolve_after_tool_threshold(None, tmp_path) == 0.0  # a calibration from before the rule
    (tmp_path / FILE).write_text(json.dumps({"call_threshold": 0.6, "after_tool": {"rule": "threshold", "threshold": 0.35}}))
    assert resolve_after_tool_threshold(None, tmp_path) == 0.35 and resolve_after_tool_threshold(-1, None, tmp_path) == 0.35
    assert resolve_after_tool_threshold(0.5, tmp_path) == 0.0  # an explicit threshold replaces the calibration
    (tmp_path / FILE).write_text(json.dumps({"call_threshold": 0.6, "after_tool": {"threshold": "high"}}))
    assert resolve_after_tool_threshold(None, tmp_path) == 0.0



def _refit_rows(calls: int, replies: int) -> list[dict]:
    """Rows for the tool model (tests.helpers.TRAINING): ``calls`` answers to a user that open with
    a call (ASK_TWO with the weather tool), ``replies`` that need none (ASK without tools); and one
    conversation whose call writes text first and whose last answer follows a tool result: neither
    of those two turns is a first-token decision, so neither counts."""
    from tests.helpers import TRAINING

    rows = [{**copy.deepcopy(TRAINING[1]), "id": f"call-{k}"} for k in range(calls)]
    rows += [{**copy.deepcopy(TRAINING[2]), "id": f"reply-{k}"} for k in range(replies)]
    return rows + [{**copy.deepcopy(TRAINING[0]), "id": "prefaced"}]


def test_calibrate_refits_the_threshold_on_new_items_and_keeps_what_training_recorded(tmp_path, tool_model):
    """``fctune calibrate`` on a real model (the tiny tool model, whose calls and replies lie apart):
    the saved threshold is training's rule on each item's own P(call) (computed here apart, one
    prompt at a time), calls separated from replies; the call written after text and the answer
    after a tool result do not count; the file keeps what the model's own calibration recorded and
    says how its threshold fares on these items; it is never overwritten; too few items of a kind
    and a model whose decision is off are one-line errors."""
    import shutil

    import torch

    from fctune.calibrate import decision_at
    from fctune.config import ModelConfig
    from fctune.evaluate import load_items
    from fctune.models import load_runtime

    model_dir = tmp_path / "model"
    shutil.copytree(tool_model, model_dir)
    prior = {"call_threshold": 0.999, "prefaced_call_turns": 1, "training_call_turns": 30,
             "after_tool": {"rule": "threshold", "threshold": 0.3}}
    (model_dir / FILE).write_text(json.dumps(prior))
    data = tmp_path / "items.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _refit_rows(6, 6)))
    out = tmp_path / "fitted"
    args = ("calibrate", "--model", str(model_dir), "--data", str(data), "--no-progress", "--out", str(out))
    done = run_fctune(*args, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    saved = json.loads((out / FILE).read_text())

    model, fmt = load_runtime(ModelConfig(name_or_path=str(model_dir)))
    items = [it for it in load_items(str(data))[0] if it.id.startswith(("call-", "reply-"))]
    with torch.inference_mode():
        scored = [(float(torch.softmax(model(input_ids=torch.tensor([fmt.prompt_ids(it.messages, it.tools or None)]))
                                       .logits[0, -1].float(), -1)[fmt.call_start_id]), it.id.startswith("call-"))
                  for it in items]
    assert min(p for p, c in scored if c) > 0.5 > max(p for p, c in scored if not c)  # the model tells them apart
    want = best_threshold(scored)
    assert saved["call_threshold"] == pytest.approx(want["call_threshold"], rel=1e-3)
    assert (saved["call_turns"], saved["reply_turns"], saved["prefaced_call_items_left_out"]) == (6, 6, 1)
    assert saved["call_recall"] == saved["silence"] == 1.0
    assert sum(c["items"] for c in saved["categories"].values()) == 12
    assert saved["replaces"]["call_threshold"] == 0.999 and saved["replaces"]["file"] == str(model_dir / FILE)
    assert saved["replaces"]["on_these_items"] == {k: round(v, 4) for k, v in decision_at(scored, 0.999).items()}
    assert {k: saved[k] for k in ("prefaced_call_turns", "training_call_turns", "after_tool")} == \
        {k: prior[k] for k in ("prefaced_call_turns", "training_call_turns", "after_tool")}
    assert "data file" in saved["fitted_on"] and f"--call-threshold {saved['call_threshold']:.6g}" in done.stdout

    again = run_fctune(*args, cwd=ROOT)
    assert again.returncode != 0 and "exists" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert json.loads((out / FILE).read_text()) == saved

    data.write_text("".join(json.dumps(r) + "\n" for r in _refit_rows(6, 3)))
    few = run_fctune(*args[:-1], str(tmp_path / "other"), cwd=ROOT)
    assert few.returncode != 0 and "at least 5" in few.stderr and len(few.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "other").exists()

    (model_dir / FILE).write_text(json.dumps({"call_threshold": 0.0, "decision": "off"}))
    off = run_fctune(*args[:-1], str(tmp_path / "off"), cwd=ROOT)
    assert off.returncode != 0 and "switched the call decision off" in off.stderr
    assert len(off.stderr.strip().splitlines()) == 1 and not (tmp_path / "off").exists()


def test_calibrate_on_the_bfcl_dev_split(tmp_path):
    """On BFCL's dev split (where a threshold, a design decision, is fitted): the items are the dev
    split's, the file names where it was fitted, and each category's share decided right is that
    of its own items at the saved threshold."""
    from fctune.bfcl import load_items as load_bfcl
    from fctune.config import Config
    from fctune.recalibrate import refit

    cfg = Config()
    cfg.model.name_or_path, cfg.eval.split, cfg.eval.limit = "tiny-qwen3", "dev", 5
    got = refit(cfg, tmp_path, bfcl="simple_python,irrelevance", progress=False)
    assert json.loads(Path(tmp_path, FILE).read_text()) == got
    assert "dev split" in got["fitted_on"] and "replaces" not in got
    dev = load_bfcl(["simple_python", "irrelevance"], 5, split="dev")
    assert [it.id for it in dev] == [f"simple_python_{k}" for k in (0, 5, 10, 15, 20)] + \
        [f"irrelevance_{k}" for k in (0, 5, 10, 15, 20)]
    assert got["categories"]["simple_python"] == {"items": 5, "call_items": 5, "decided_right": got["call_recall"]}
    assert got["categories"]["irrelevance"] == {"items": 5, "call_items": 0, "decided_right": got["silence"]}
