"""``fctune eval`` end to end: BFCL with the tiny model, base vs tuned, --responses, our data files."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from fctune.bfcl import gold_calls, load_category
from fctune.data.seed import original_tools, seed_conversations
from fctune.errors import DataError
from fctune.evaluate import load_data_items, run_eval
from fctune.formats import ToolCall
from fctune.report import before_after_table
from tests.conversations import call
from tests.helpers import make_adapter, run_fctune

REPORT_FILES = ("predictions.jsonl", "report.json", "report.md", "report.png")


# the CLI as these tests run it: one thread, up to five minutes
fctune = partial(run_fctune, timeout=300, env={"TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"})


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory) -> Path:
    """A LoRA adapter on the tiny model with random (non-zero) B weights, so outputs change."""
    from fctune.models import load_model

    model, _ = load_model("tiny-qwen3")
    return make_adapter(model, tmp_path_factory.mktemp("adapter"), seed=0, r=4, lora_alpha=64,
                        target_modules=["q_proj", "v_proj", "down_proj"], init_lora_weights=False)


def test_bfcl_eval_with_tiny_model_writes_all_files(tmp_path):
    proc = fctune("eval", "--model", "tiny-qwen3", "--bfcl", "simple_python,irrelevance", "--limit", "20",
                  "--split", "test", "--max-new-tokens", "8", "--out", "r", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "r"
    for name in REPORT_FILES:
        assert (out / name).stat().st_size > 0
    preds = read_jsonl(out / "predictions.jsonl")
    assert len(preds) == 40 and {p["category"] for p in preds} == {"simple_python", "irrelevance"}
    for p in preds:
        assert {"id", "category", "raw", "tool_calls", "correct", "error"} <= set(p)
    report = json.loads((out / "report.json").read_text())
    run = report["runs"]["base"]
    assert run["categories"]["simple_python"]["n"] == 20 and run["overall"]["n"] == 40
    assert {"parse_rate", "call_rate", "errors", "generation"} <= set(run)
    assert run["generation"]["tokens_per_second"] > 0
    assert report["model"] == "tiny-qwen3" and report["date"]
    md = (out / "report.md").read_text()
    assert "| simple_python | 20 |" in md
    assert (out / "report.png").read_bytes()[:4] == b"\x89PNG"
    # the held-out split: none of the dev slice's items
    dev = {it.id for cat in ("simple_python", "irrelevance") for it in load_category(cat, split="dev")}
    assert report["split"] == "test" and not dev & {p["id"] for p in preds}
    # the call-decision AUC from every greedy answer's P(call), computed in code
    from fctune.calibrate import auc

    assert all(isinstance(p["call_probability"], float) and p["expects_call"] == (p["category"] != "irrelevance")
               for p in preds)
    assert run["call_auc"] == auc([(p["call_probability"], p["expects_call"]) for p in preds])
    assert "call-decision AUC" in md
    # leaderboard aggregates: none complete from two categories, the missing ones named
    board = run["leaderboard"]
    assert board["irrelevance"] == {"accuracy": None, "n": 20, "missing": ["live_irrelevance"], "ci95": None}
    assert "Hammer2.1-0.5b (published) | 65.98 % | 54.63 % | 80.79 %" in md
    # the same answers scored by bfcl-eval's own checker, beside fctune's verdicts
    checked = run["bfcl_eval"]
    assert {c: v["n"] for c, v in checked["categories"].items()} == {"simple_python": 20, "irrelevance": 20}
    ours = sum(p["correct"] for p in preds)
    theirs = sum(round(v["accuracy"] * v["n"]) for v in checked["categories"].values())
    assert theirs == ours + sum(1 if d["bfcl_eval"] else -1 for d in checked["disagreements"])
    assert "| base, bfcl-eval's checker |" in md and "verdict differs from fctune's: base" in md
    # a report written before the cross-check gets the same verdicts from its answers alone
    from fctune.evaluate import recheck_bfcl_report

    old = json.loads((out / "report.json").read_text())
    del old["runs"]["base"]["bfcl_eval"]
    (out / "report.json").write_text(json.dumps(old))
    (out / "report.md").write_text("")
    assert recheck_bfcl_report(out)["runs"]["base"]["bfcl_eval"] == checked
    assert json.loads((out / "report.json").read_text())["runs"]["base"]["bfcl_eval"] == checked
    assert (out / "report.md").read_text() == md


def test_compare_puts_base_and_tuned_in_one_report(tmp_path, adapter):
    proc = fctune("eval", "--model", "tiny-qwen3", "--adapter", str(adapter), "--compare", "--bfcl",
                  "simple_python,irrelevance", "--limit", "4", "--max-new-tokens", "6", "--out", "cmp",
                  "--no-progress", "eval.batch_size=4", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "cmp"
    report = json.loads((out / "report.json").read_text())
    assert set(report["runs"]) == {"base", "tuned"} and "overall" in report["delta"]
    assert report["runs"]["tuned"]["adapter"] == str(adapter)
    preds = read_jsonl(out / "predictions.jsonl")
    by_model = {m: {p["id"]: p["raw"] for p in preds if p["model"] == m} for m in ("base", "tuned")}
    assert len(by_model["base"]) == len(by_model["tuned"]) == 8
    assert any(by_model["base"][k] != by_model["tuned"][k] for k in by_model["base"])
    md = (out / "report.md").read_text()
    assert "| category | n | base | tuned | Δ (pts) |" in md
    assert (out / "report.png").exists()
    table = before_after_table([out / "report.json"])
    assert "| BFCL | simple_python | 4 |" in table and "| BFCL | **overall** | 8 |" in table


def test_gold_responses_score_100_percent_on_simple_python(tmp_path, fmt):
    items = load_category("simple_python")
    with open(tmp_path / "gold.jsonl", "w", encoding="utf-8") as fh:
        for it in items:
            fh.write(json.dumps({"id": it.id, "raw": fmt.assistant_text("", gold_calls(it))}, ensure_ascii=False) + "\n")
    proc = fctune("eval", "--bfcl", "simple_python", "--responses", "gold.jsonl", "--out", "g", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "g" / "report.json").read_text())
    run = report["runs"]["responses"]
    assert run["categories"]["simple_python"] == {"n": 400, "correct": 400, "accuracy": 1.0, "ci95": [0.9905, 1.0]}
    assert run["parse_rate"] == 1.0 and run["call_rate"] == 1.0 and run["errors"] == {}
    for name in REPORT_FILES:
        assert (tmp_path / "g" / name).exists()


# --------------------------------------------------------------------------- our data files


def _tools(*names):
    return [t for t in original_tools() if t["function"]["name"] in names]


EXTRA = [
    {"id": "multi", "tools": _tools("get_weather", "get_current_time"), "messages": [
        {"role": "user", "content": "北京今天天气怎么样？再告诉我现在几点。"},
        {"role": "assistant", "content": "", "tool_calls": [call("get_weather", location="北京")]},
        {"role": "tool", "name": "get_weather", "content": "{\"temp\": 25}"},
        {"role": "assistant", "content": "", "tool_calls": [call("get_current_time")]},
        {"role": "tool", "name": "get_current_time", "content": "12:00"},
        {"role": "assistant", "content": "北京今天25度，现在是12点。"}]},
    {"tools": _tools("get_weather"), "messages": [
        {"role": "user", "content": "给我讲个笑话吧"},
        {"role": "assistant", "content": "好的：程序员最怕的是什么？是需求变更。"}]},
]


@pytest.fixture()
def data_file(tmp_path) -> Path:
    path = tmp_path / "data.jsonl"
    rows = seed_conversations() + EXTRA
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_data_items_ids_and_categories(data_file):
    items = load_data_items(data_file)
    by_id = {it.id: it for it in items}
    assert by_id["seed-01-weather:1"].category == "single"
    assert by_id["seed-15-multi:1"].category == "parallel"
    assert [by_id[f"multi:{t}"].category for t in (1, 3, 5)] == ["single", "multi_step", "final_answer"]
    assert by_id["17:1"].category == "no_call" and by_id["17:1"].expected is None  # no id: the line number
    assert by_id["multi:3"].messages[-1]["role"] == "tool"  # asked with the gold history before it
    limited = load_data_items(data_file, limit=1)  # the limit is per category
    assert sorted(it.category for it in limited) == sorted({it.category for it in items})


def test_data_file_gold_and_wrong_responses(tmp_path, data_file, fmt):
    items = load_data_items(data_file)
    conv = {c.get("id"): c for c in seed_conversations() + EXTRA}
    lines = []
    for it in items:
        row_id, turn = it.id.rsplit(":", 1)
        msg = (conv.get(row_id) or EXTRA[1])["messages"][int(turn)]
        calls = [ToolCall.from_message(c) for c in msg.get("tool_calls") or []]
        lines.append({"id": it.id, "raw": fmt.assistant_text(msg["content"], calls)})
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    report = run_eval(data=str(data_file), responses=str(tmp_path / "gold.jsonl"), out=tmp_path / "d", log=lambda m: None)
    run = report["runs"]["responses"]
    assert run["overall"] == {"n": len(items), "correct": len(items), "accuracy": 1.0}
    assert set(run["categories"]) == {"single", "parallel", "multi_step", "final_answer", "no_call"}

    wrong = {
        "seed-01-weather:1": '<tool_call>\n{"name": "get_weather", "arguments": {"location": "上海"}}\n</tool_call>',
        "seed-15-multi:1": '<tool_call>\n{"name": "get_current_time", "arguments": {}}\n</tool_call>',
        "17:1": '<tool_call>\n{"name": "get_weather", "arguments": {"location": "北京"}}\n</tool_call>',
        "multi:5": "<tool_call>\n{broken\n</tool_call>",
    }
    (tmp_path / "wrong.jsonl").write_text("".join(json.dumps({"id": k, "raw": v}, ensure_ascii=False) + "\n"
                                                  for k, v in wrong.items()), "utf-8")
    report = run_eval(data=str(data_file), responses=str(tmp_path / "wrong.jsonl"), out=tmp_path / "w", log=lambda m: None)
    errors = {p["id"]: p["error"] for p in read_jsonl(tmp_path / "w" / "predictions.jsonl")}
    assert errors == {"seed-01-weather:1": "value_error", "seed-15-multi:1": "wrong_count",
                      "17:1": "called_when_irrelevant", "multi:5": None}  # broken text: no decodable call
    assert report["missing_responses"] == len(items) - 4


# --------------------------------------------------------------------------- malformed files


def test_malformed_data_file_fails_with_file_line(tmp_path, data_file):
    bad = tmp_path / "bad.jsonl"
    good = data_file.read_text(encoding="utf-8").splitlines()[0]
    bad.write_text(good + "\n{not json\n" + json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n",
                   encoding="utf-8")
    with pytest.raises(DataError):
        load_data_items(bad)
    proc = fctune("eval", "--data", str(bad), "--responses", str(bad), "--out", "x", cwd=tmp_path)
    assert proc.returncode != 0
    assert f"{bad}:2: invalid JSON" in proc.stderr
    assert f"{bad}:3: " in proc.stderr


def test_malformed_responses_file_fails_with_file_line(tmp_path, data_file):
    bad = tmp_path / "responses.jsonl"
    bad.write_text('{"id": "seed-01-weather:1", "raw": "ok"}\n'
                   "[1, 2]\n"
                   '{"id": "nope:1", "raw": "x"}\n'
                   '{"id": "seed-02-weather:1"}\n'
                   '{"id": "seed-01-weather:1", "raw": "again"}\n'
                   "{oops\n", encoding="utf-8")
    proc = fctune("eval", "--data", str(data_file), "--responses", str(bad), "--out", "x", cwd=tmp_path)
    assert proc.returncode != 0
    for line, reason in [(2, "expected a JSON object"), (3, "unknown item id 'nope:1'"), (4, "'raw' must be"),
                         (5, "id 'seed-01-weather:1' repeated"), (6, "invalid JSON")]:
        assert f"{bad}:{line}: {reason}" in proc.stderr, proc.stderr
    assert not (tmp_path / "x").exists()


def test_export_prompts_are_the_inference_prompts(tmp_path, fmt):
    proc = fctune("eval", "--model", "tiny-qwen3", "--bfcl", "multiple", "--limit", "2", "--export-prompts",
                  "p.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = read_jsonl(tmp_path / "p.jsonl")
    items = load_category("multiple", limit=2)
    assert [r["id"] for r in rows] == [it.id for it in items]
    assert rows[0]["prompt_token_ids"] == fmt.prompt_ids(items[0].messages, items[0].tools)


# --------------------------------------------------------------------------- replies stopped at their first token


def test_replies_stop_at_their_first_token_and_what_that_changes(tmp_path, tool_model):
    """The tool model writes a sentence before its Paris call (the seed set's habit), calls at once for
    two cities, and replies after a tool result or without tools. ``full`` scores the prefaced call
    as a call; ``stop`` ends every answer that opens with text at that token and scores it as a reply:
    the prefaced call becomes a miss, the others score the same with far fewer tokens generated.
    ``auto`` stops only for a model whose calibration records call-first training data."""
    import shutil

    from tests.helpers import TRAINING

    data = tmp_path / "tool.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in TRAINING), encoding="utf-8")
    runs = {}
    for replies in ("full", "stop"):
        report = run_eval(_cfg(tool_model, replies), data=str(data), out=tmp_path / replies, progress=False)
        preds = {p["id"]: p for p in read_jsonl(tmp_path / replies / "predictions.jsonl")}
        runs[replies] = (report, preds)
        assert report["replies"] == replies
    fp, sp = runs["full"][1], runs["stop"][1]
    assert set(fp) == set(sp) == {"1:1", "1:3", "2:1", "3:1"}
    assert fp["1:1"]["correct"] and fp["1:1"]["raw"].startswith("Let me check.")
    assert not sp["1:1"]["correct"] and sp["1:1"]["error"] == "no_call" and sp["1:1"]["finish_reason"] == "reply"
    assert fp["1:1"]["raw"].startswith(sp["1:1"]["raw"]) and sp["1:1"]["raw"]  # its first token only
    assert sp["2:1"] == fp["2:1"] and sp["2:1"]["finish_reason"] == "stop" and sp["2:1"]["correct"]  # a call: in full
    for key in ("1:3", "3:1"):  # replies: the same score from one token
        assert sp[key]["correct"] and fp[key]["correct"] and sp[key]["finish_reason"] == "reply"
        assert len(fp[key]["raw"]) > len(sp[key]["raw"])
    generated = {k: r["runs"]["base"]["generation"]["generated_tokens"] for k, (r, _) in runs.items()}
    assert generated["full"] - generated["stop"] >= 3 * 5, generated  # three replies of more than 6 tokens each
    md = (tmp_path / "stop" / "report.md").read_text(encoding="utf-8")
    assert "its generation stopped at its first token" in md

    # auto: full without a calibration; stop for a call-first calibration; full for prefaced data
    model = tmp_path / "model"
    shutil.copytree(tool_model, model)
    assert run_eval(_cfg(model, "auto"), data=str(data), progress=False)["replies"] == "full"
    for saved, expected in [({"prefaced_call_turns": 15, "training_call_turns": 700}, "stop"),
                            ({"prefaced_call_turns": 150, "training_call_turns": 900}, "full"),
                            ({}, "full"),
                            ({"decision": "off", "prefaced_call_turns": 15, "training_call_turns": 15}, "full")]:
        (model / "call_threshold.json").write_text(json.dumps({"call_threshold": 0.4, **saved}), encoding="utf-8")
        assert run_eval(_cfg(model, "auto"), data=str(data), progress=False)["replies"] == expected, saved


def test_the_saved_after_tool_rule_applies_after_tool_results_only(tmp_path, tool_model):
    """A calibration with an after-tool threshold: eval applies it to the answer after the tool result
    (here a threshold so low that the call token wins there) and leaves the other answers to the
    user-turn threshold; an explicit --call-threshold replaces both (plain greedy after tools)."""
    import shutil

    from tests.helpers import TRAINING

    data = tmp_path / "tool.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in TRAINING), encoding="utf-8")
    model = tmp_path / "model"
    shutil.copytree(tool_model, model)
    (model / "call_threshold.json").write_text(json.dumps(
        {"call_threshold": 0.5, "after_tool": {"rule": "threshold", "threshold": 1e-30}}), encoding="utf-8")
    runs = {}
    for name, requested in (("calibrated", -1.0), ("explicit", 0.5)):
        cfg = _cfg(model, "full")
        cfg.eval.call_threshold = requested
        runs[name] = run_eval(cfg, data=str(data), out=tmp_path / name, progress=False)
        runs[name]["preds"] = {p["id"]: p for p in read_jsonl(tmp_path / name / "predictions.jsonl")}
    calibrated, explicit = runs["calibrated"], runs["explicit"]
    assert calibrated["after_tool_threshold"] == 1e-30 and explicit["after_tool_threshold"] == 0.0
    after = calibrated["preds"]["1:3"]  # the answer after the tool result
    assert after["decision"] == "call" and after["raw"].startswith("<tool_call>")
    assert explicit["preds"]["1:3"]["decision"] == "" and explicit["preds"]["1:3"]["correct"]
    for key in ("1:1", "2:1", "3:1"):  # answers to a user: the user-turn threshold, the same in both
        assert calibrated["preds"][key]["raw"] == explicit["preds"][key]["raw"]
    assert "after a tool result, at least 1e-30" in (tmp_path / "calibrated" / "report.md").read_text(encoding="utf-8")
    # plain greedy beside the decision: the answers it changed continued without it, and scored
    changed = [p for p in calibrated["preds"].values() if p["decision"]]
    assert changed and all(p["greedy"]["raw"] == explicit["preds"][p["id"]]["raw"] for p in changed)
    assert not any("greedy" in p for p in calibrated["preds"].values() if not p["decision"])
    greedy = calibrated["greedy"]["base"]
    assert greedy["regenerated"] == len(changed) and "greedy" not in explicit
    assert greedy["overall"] == explicit["runs"]["base"]["overall"]  # here plain greedy is the explicit run
    assert greedy["overall"]["correct"] == sum(p["greedy"]["correct"] if p["decision"] else p["correct"]
                                               for p in calibrated["preds"].values())
    md = (tmp_path / "calibrated" / "report.md").read_text(encoding="utf-8")
    assert "Plain greedy beside the call decision" in md and "| base, call decision | base, plain greedy |" in md


def _cfg(model: Path, replies: str):
    """Plain greedy on ``model``, ``eval.replies=replies``, one thread."""
    from fctune.config import Config

    cfg = Config()
    cfg.model.name_or_path, cfg.model.threads = str(model), 1
    cfg.eval.replies, cfg.eval.max_new_tokens, cfg.eval.call_threshold = replies, 48, 0.0
    return cfg


# --------------------------------------------------------------------------- a run cut short resumes


def test_an_eval_cut_short_resumes_from_its_journal(tmp_path, adapter, monkeypatch):
    """A base-vs-tuned run that dies in the tuned run's third batch leaves the finished batches in
    ``journal-*.jsonl``; run again, it generates only the rest and writes the report an uninterrupted
    run writes (the same answers, batches and tokens); the journals go once the report is written."""
    import fctune.generate
    from fctune.config import Config

    cfg = Config()
    cfg.model.name_or_path, cfg.model.adapter, cfg.model.threads = "tiny-qwen3", str(adapter), 1
    cfg.eval.limit, cfg.eval.batch_size, cfg.eval.max_new_tokens, cfg.eval.call_threshold = 5, 2, 6, 0.5
    evaluate = partial(run_eval, cfg, bfcl="simple_python,irrelevance", compare=True, progress=False)
    whole = evaluate(out=tmp_path / "whole")
    assert not list((tmp_path / "whole").glob("journal-*"))

    real, prompts_run = fctune.generate._run_batch, []

    def dies_in_the_eighth_batch(model, prompts, *args):  # base: 5 batches of 10 prompts; tuned: the third
        prompts_run.append(len(prompts))
        if len(prompts_run) == 8:
            raise KeyboardInterrupt
        return real(model, prompts, *args)

    monkeypatch.setattr(fctune.generate, "_run_batch", dies_in_the_eighth_batch)
    cut = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        evaluate(out=cut)
    journals = {p.name: read_jsonl(p) for p in cut.glob("journal-*.jsonl")}
    assert {name: len(rows) for name, rows in journals.items()} == {"journal-base.jsonl": 6, "journal-tuned.jsonl": 3}
    assert not (cut / "report.json").exists()

    prompts_run.clear()
    lines: list[str] = []
    resumed = run_eval(cfg, bfcl="simple_python,irrelevance", compare=True, progress=False, out=cut, log=lines.append)
    assert prompts_run == [2, 2, 2]  # the tuned run's last six prompts, nothing of the base run
    assert "base: 10 of 10 answer(s) taken from" in "\n".join(lines)
    assert "tuned: 4 of 10 answer(s) taken from" in "\n".join(lines)
    assert read_jsonl(cut / "predictions.jsonl") == read_jsonl(tmp_path / "whole" / "predictions.jsonl")
    for label in ("base", "tuned"):
        ours, theirs = resumed["runs"][label], whole["runs"][label]
        assert ours["overall"] == theirs["overall"] and ours["call_auc"] == theirs["call_auc"]
        for key in ("prompts", "batches", "prompt_tokens", "generated_tokens", "forced_calls", "forced_replies",
                    "greedy_tokens"):
            assert ours["generation"][key] == theirs["generation"][key], (label, key)
        assert ours["generation"]["seconds"] > 0
    assert not list(cut.glob("journal-*"))


def test_a_journal_for_other_settings_or_cut_by_a_kill(tmp_path):
    """The journal keeps whole batches only: a last line cut by a kill is dropped (and the file
    mended, so that later batches append whole lines); a batch with a cancelled answer is not written;
    a journal with another key, or one not readable as a journal, is moved aside, never used or lost;
    a line that is not a batch of this call ends what is read, whatever it holds."""
    from fctune.errors import FctuneError
    from fctune.generate import GenerationStats
    from fctune.journal import Journal

    path = tmp_path / "journal-tuned.jsonl"
    key = {"weights": "abc", "prompts": "def", "max_new_tokens": 6}
    first = Journal(path, key, 5)
    assert not first.results and first.stale is None and not path.exists()
    answers = [([5, 6, 7], "stop", (0.25, "reply"), ([9, 7], "stop")), ([8], "reply", (0.01, ""), None)]
    first.record([3, 0], answers, {"batches": 1, "generated_tokens": 4, "seconds": 1.5, "greedy_tokens": 2})
    first.record([1, 2], [([4], "length", None, None), ([], "cancelled", None, None)], {"batches": 1, "seconds": 0.5})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"batch": [[4, [1, 2')  # the kill came mid-write

    again = Journal(path, key, 5)
    assert again.results == {3: answers[0], 0: answers[1]}  # not the batch with a cancelled answer
    assert again.stats == GenerationStats(batches=1, generated_tokens=4, seconds=1.5, greedy_tokens=2)
    assert path.read_text(encoding="utf-8").endswith("}\n")  # the torn line is gone
    again.record([4], [([3], "stop", None, None)], {"batches": 1})
    assert set(Journal(path, key, 5).results) == {0, 3, 4}

    other = Journal(path, {**key, "weights": "xyz"}, 5)
    moved = tmp_path / "journal-tuned.stale.jsonl"
    assert other.stale == moved and not other.results and not path.exists()
    assert set(Journal(moved, key, 5).results) == {0, 3, 4}  # moved aside whole, not lost

    head = json.dumps({"key": key})
    good = '[[1, [2], "stop", [0.5, ""], [[3], "length"]]]'
    assert Journal(_write(path, head, f'{{"batch": {good}, "stats": {{"batches": 1}}}}'), key, 5).results
    for line in ('{"batch": 5, "stats": {}}', '[]', "[" * 5000, f'{{"batch": {good}, "stats": []}}',
                 f'{{"batch": {good}, "stats": null}}', f'{{"batch": {good}, "stats": {{"seconds": "a lot"}}}}',
                 f'{{"batch": {good}, "stats": {{"seconds": NaN}}}}', f'{{"batch": {good}, "stats": {{"tea": 1}}}}',
                 '{"batch": [["1", [2], "stop", null, null]], "stats": {}}',
                 '{"batch": [[-1, [2], "stop", null, null]], "stats": {}}',
                 '{"batch": [[5, [2], "stop", null, null]], "stats": {}}',
                 '{"batch": [[true, [2], "stop", null, null]], "stats": {}}',
                 '{"batch": [[1, ["a"], "stop", null, null]], "stats": {}}',
                 '{"batch": [[1, [2], "cancelled", null, null]], "stats": {}}',
                 '{"batch": [[1, [2], "stop", "call", null]], "stats": {}}',
                 '{"batch": [[1, [2], "stop", [0.5, "maybe"], null]], "stats": {}}',
                 '{"batch": [[1, [2], "stop", null, [1]]], "stats": {}}'):
        journal = Journal(_write(path, head, line), key, 5)  # not a batch of this call: as if cut there
        assert not journal.results and journal.stale is None, line
        assert path.read_text(encoding="utf-8") == head + "\n", line
    path.write_bytes(b"\xff\xfe not text\n")
    assert Journal(path, key, 5).stale == moved and moved.read_bytes() == b"\xff\xfe not text\n"
    path.mkdir()
    with pytest.raises(FctuneError, match="journal-tuned.jsonl: is not a file"):
        Journal(path, key, 5)


def _write(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path
