"""BFCL categories load as items with JSON Schema tools; gold answers score 100 %."""

from __future__ import annotations


import pytest

from fctune.bfcl import (CATEGORIES, HINTS, IRRELEVANCE, gold_calls, language, load_category, load_items,
                         parse_categories, to_tool)
from fctune.errors import FctuneError
from fctune.formats import ChatFormat, parse
from fctune.scoring import EvalItem, score
from tests.helpers import BFCL_DATA_QUIRKS


def test_parse_categories():
    assert parse_categories("simple_python, irrelevance") == ["simple_python", "irrelevance"]
    assert parse_categories("all") == list(CATEGORIES)
    assert parse_categories(["live", "live_simple"])[0] == "live_simple"
    with pytest.raises(FctuneError, match="unknown BFCL category 'simple'"):
        parse_categories("simple")


def test_to_tool_converts_bfcl_types():
    fn = {"name": "math.hypot", "description": "d", "parameters": {"type": "dict", "properties": {
        "x": {"type": "float"}, "p": {"type": "tuple", "items": {"type": "integer"}}, "o": {"type": "any"},
        "d": {"type": "dict", "properties": {"k": {"type": "string"}}}}, "required": ["x"]}}
    tool = to_tool(fn)
    params = tool["function"]["parameters"]
    assert tool["type"] == "function" and tool["function"]["name"] == "math.hypot"
    assert params["type"] == "object" and params["required"] == ["x"]
    assert params["properties"]["x"]["type"] == "number"
    assert params["properties"]["p"] == {"type": "array", "items": {"type": "integer"}}
    assert "type" not in params["properties"]["o"]
    assert params["properties"]["d"]["type"] == "object"
    assert fn["parameters"]["type"] == "dict"  # the input is not modified


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_loads(category):
    items = load_category(category, limit=3)
    assert len(items) == 3
    for it in items:
        assert it.category == category and it.messages and it.tools
        assert (it.expected is None) == (category in IRRELEVANCE)
        types = [p.get("type") for t in it.tools for p in (t["function"]["parameters"].get("properties") or {}).values()]
        assert not {"dict", "float", "tuple"} & {t for t in types if isinstance(t, str)}
        if language(category) != "python":  # the model writes every value as source text
            assert set(types) == {"string"}, types
        if it.expected:
            for entry in it.expected:
                assert next(iter(entry)) in it.schemas


def test_dotted_names_stay_in_prompt_and_answer(qwen3_tokenizer):
    item = next(it for it in load_category("simple_python", limit=5) if "." in it.tools[0]["function"]["name"])
    name = item.tools[0]["function"]["name"]
    prompt = ChatFormat(qwen3_tokenizer).prompt_text(item.messages, item.tools)
    assert f'"name": "{name}"' in prompt
    assert name in item.expected[0]


def test_gold_answers_score_100_percent(qwen3_tokenizer):
    fmt = ChatFormat(qwen3_tokenizer)
    items = load_items([c for c in CATEGORIES if c not in IRRELEVANCE])
    failed = []
    for it in items:
        res = score(parse(fmt.assistant_text("", gold_calls(it))), it)
        if not res.correct:
            failed.append((it.id, res.error, res.detail))
    assert {f[0] for f in failed} == BFCL_DATA_QUIRKS, failed[:5]


def test_irrelevance_items_right_without_a_call():
    item = load_category("irrelevance", limit=1)[0]
    assert score(parse("I can't answer that with these tools."), item).correct
    name = item.tools[0]["function"]["name"]
    assert score(parse(f'<tool_call>{{"name": "{name}", "arguments": {{}}}}</tool_call>'), item).error == \
        "called_when_irrelevant"


def test_a_sample_is_fixed_stratified_and_drawn_from_the_split():
    from fctune.bfcl import sample_indices

    test = load_category("multiple", split="test")
    drawn = load_category("multiple", split="test", sample=30)
    assert len(drawn) == 30 and {it.id for it in drawn} <= {it.id for it in test}
    assert [it.id for it in drawn] != [it.id for it in test[:30]]  # not the first 30
    assert [it.id for it in load_category("multiple", split="test", sample=30)] == [it.id for it in drawn]
    assert sample_indices("multiple", 10, 0) == list(range(10)) == sample_indices("multiple", 10, 50)
    assert sample_indices("multiple", 100, 5) != sample_indices("parallel", 100, 5)  # each category its own draw
    items = load_items("multiple,irrelevance", split="test", sample=7)
    assert [it.category for it in items].count("irrelevance") == 7
    with pytest.raises(FctuneError, match="not both"):
        load_category("multiple", limit=3, sample=3)


def test_later_sample_rounds_hold_none_of_the_earlier_rounds_items():
    """Round 1 is the sample reports have always quoted (the same seed and draw); round 2 draws the
    same number from what round 1 left, round 3 from what both left; a category too small for a
    round gives what is left, then nothing."""
    import random

    from fctune.bfcl import sample_indices
    from fctune.evaluate import load_items as load_eval_items

    assert sample_indices("multiple", 160, 100) == sorted(random.Random("fctune-bfcl-sample:multiple").sample(range(160), 100))
    first, second, third = (set(sample_indices("multiple", 160, 100, r)) for r in (1, 2, 3))
    assert len(second) == 60 and not first & second and first | second == set(range(160)) and not third
    rounds = [set(sample_indices("simple_python", 320, 100, r)) for r in (1, 2, 3, 4)]
    assert [len(r) for r in rounds] == [100, 100, 100, 20] and set().union(*rounds) == set(range(320))
    assert all(not rounds[i] & rounds[j] for i in range(4) for j in range(i + 1, 4))
    assert sample_indices("multiple", 160, 0, 2) == []
    one = {it.id for it in load_items("irrelevance", split="test", sample=100)}
    two, source = load_eval_items(bfcl="irrelevance", split="test", sample=100, sample_round=2)
    assert len(two) == len(load_category("irrelevance", split="test")) - 100 and one.isdisjoint(it.id for it in two)
    assert "round 2" in source
    with pytest.raises(FctuneError, match="needs --sample"):
        load_eval_items(bfcl="irrelevance", split="test", sample_round=2)
    # simple_java's 80 test items all went into round 1: a round with nothing left is an error, a
    # category with nothing left is named
    with pytest.raises(FctuneError, match="round 2 .* every test item of simple_java; none is left"):
        load_eval_items(bfcl="simple_java", split="test", sample=100, sample_round=2)
    some, source = load_eval_items(bfcl="simple_java,irrelevance", split="test", sample=100, sample_round=2)
    assert {it.category for it in some} == {"irrelevance"} and source.endswith("; none left of simple_java)")


def test_the_dev_slice_is_every_fifth_item_and_test_the_rest():
    every = load_category("multiple")
    dev, test = load_category("multiple", split="dev"), load_category("multiple", split="test")
    assert [it.id for it in dev] == [it.id for it in every[::5]]
    assert {it.id for it in dev}.isdisjoint(it.id for it in test)
    assert sorted(it.id for it in dev + test) == sorted(it.id for it in every)
    assert [it.id for it in load_category("multiple", limit=3, split="test")] == [it.id for it in test[:3]]
    with pytest.raises(FctuneError, match="unknown BFCL split"):
        load_category("multiple", split="train")


def test_leaderboard_aggregates_follow_bfcl_formulas():
    from fctune.bfcl import leaderboard

    scores = {"simple_python": {"n": 400, "accuracy": 0.9}, "simple_java": {"n": 100, "accuracy": 0.6},
              "simple_javascript": {"n": 50, "accuracy": 0.3}, "multiple": {"n": 200, "accuracy": 0.8},
              "parallel": {"n": 200, "accuracy": 0.7}, "parallel_multiple": {"n": 200, "accuracy": 0.5},
              "live_simple": {"n": 258, "accuracy": 0.5}, "live_multiple": {"n": 1053, "accuracy": 0.4},
              "live_parallel": {"n": 16, "accuracy": 0.25}, "live_parallel_multiple": {"n": 24, "accuracy": 0.0},
              "irrelevance": {"n": 240, "accuracy": 0.9}, "live_irrelevance": {"n": 884, "accuracy": 0.7}}
    board = leaderboard(scores)
    # simple = (0.9 + 0.6 + 0.3) / 3 = 0.6 counts once beside multiple, parallel, parallel_multiple
    assert board["non_live_ast"]["accuracy"] == pytest.approx((0.6 + 0.8 + 0.7 + 0.5) / 4, abs=1e-4)
    live = (258 * 0.5 + 1053 * 0.4 + 16 * 0.25) / (258 + 1053 + 16 + 24)  # weighted by size
    assert board["live_ast"]["accuracy"] == pytest.approx(live, abs=1e-4) and board["live_ast"]["n"] == 1351
    assert board["irrelevance"]["accuracy"] == pytest.approx(0.8)  # unweighted: not (240*0.9 + 884*0.7)/1124
    # 95 % intervals: the weights of the formula on each category's binomial variance
    import math

    from fctune.report import wilson

    assert wilson(8, 10) == [0.4902, 0.9433] and wilson(0, 10) == [0.0, 0.2775]  # Wilson score intervals

    half = 1.96 * math.sqrt(0.5 ** 2 * (0.9 * 0.1 / 240 + 0.7 * 0.3 / 884))
    assert board["irrelevance"]["ci95"] == pytest.approx([0.8 - half, 0.8 + half], abs=1e-4)
    w = {"simple_python": 1 / 12, "simple_java": 1 / 12, "simple_javascript": 1 / 12, "multiple": 0.25,
         "parallel": 0.25, "parallel_multiple": 0.25}
    half = 1.96 * math.sqrt(sum(w[c] ** 2 * scores[c]["accuracy"] * (1 - scores[c]["accuracy"]) / scores[c]["n"] for c in w))
    acc = board["non_live_ast"]["accuracy"]
    assert board["non_live_ast"]["ci95"] == pytest.approx([acc - half, acc + half], abs=1e-4)
    partial = leaderboard({k: v for k, v in scores.items() if k not in ("simple_java", "live_parallel")})
    assert partial["non_live_ast"] == {"accuracy": None, "n": 1050, "missing": ["simple_java"], "ci95": None}
    assert partial["live_ast"]["accuracy"] is None and partial["live_ast"]["missing"] == ["live_parallel"]
    assert partial["irrelevance"]["accuracy"] == pytest.approx(0.8)


def test_call_decision_auc_is_the_mann_whitney_statistic():
    from fctune.calibrate import auc

    assert auc([(0.9, True), (0.8, True), (0.1, False), (0.2, False)]) == 1.0
    assert auc([(0.1, True), (0.9, False)]) == 0.0
    assert auc([(0.5, True), (0.5, False)]) == 0.5  # a tie counts half
    # 3 call items x 2 no-call items: pairs won 2 + 1 + 0.5 (tie) + ... counted by hand
    scored = [(0.7, True), (0.4, True), (0.3, True), (0.5, False), (0.3, False)]
    wins = sum((p > q) + 0.5 * (p == q) for p, c in scored if c for q, d in scored if not d)
    assert wins == 3.5 and auc(scored) == round(3.5 / 6, 4)  # rounded to 4 places, as reported
    assert auc([(0.4, True)]) is None and auc([]) is None


def test_prompts_carry_bfcl_language_hints_and_java_js_values_as_strings():
    """bfcl-eval appends a language note to every function description and asks Java / JavaScript
    models for every value as source text (bfcl_eval/utils.py, _func_doc_language_specific_pre_processing)."""
    py = load_category("simple_python", limit=1)[0].tools[0]["function"]
    assert py["description"].endswith(HINTS["python"])
    java = load_category("simple_java", limit=2)[1]
    fn = java.tools[0]["function"]
    assert fn["description"].endswith(" Note that the provided function is in Java 8 SDK syntax.")
    props = fn["parameters"]["properties"]
    assert props["useShortName"]["type"] == "string"
    assert props["useShortName"]["description"].endswith(" This is Java boolean type parameter in string representation.")
    assert java.schemas[fn["name"]]["properties"]["useShortName"]["type"] == "boolean"  # scoring keeps BFCL's types
    js = load_category("simple_javascript", limit=1)[0].tools[0]["function"]
    assert js["description"].endswith(HINTS["javascript"])
    assert "This is JavaScript Boolean type parameter in string representation." in js["parameters"]["properties"]["isComplete"]["description"]
    assert language("simple_javascript") == "javascript" and language("simple_java") == "java"
    assert language("live_multiple") == "python"


def _source_item(lang: str, props: dict, answer: dict) -> EvalItem:
    schema = {"type": "dict", "properties": props, "required": list(props)}
    return EvalItem(id="x", category=f"simple_{lang}", messages=[{"role": "user", "content": "q"}], tools=[],
                    expected=[{"f": answer}], schemas={"f": schema}, language=lang)


@pytest.mark.parametrize("lang,props,answer,right,wrong", [
    ("java", {"flag": {"type": "boolean"}, "n": {"type": "long"}, "xs": {"type": "ArrayList", "items": {"type": "integer"}},
              "m": {"type": "HashMap"}},
     {"flag": [True], "n": [5], "xs": [[1, 2]], "m": [{"k": ["v"]}]},
     {"flag": "true", "n": "5L", "xs": "new ArrayList<>(Arrays.asList(1, 2))",
      "m": 'new HashMap<String, String>() {{ put("k", "v"); }}'},
     [({"flag": True}, "type_error"), ({"flag": "false"}, "value_error"), ({"n": "5"}, "type_error"),
      ({"xs": "new ArrayList<>(Arrays.asList(2, 1))"}, "value_error")]),
    ("javascript", {"ok": {"type": "Boolean"}, "big": {"type": "Bigint"}, "xs": {"type": "array", "items": {"type": "String"}},
                    "name": {"type": "String"}},
     {"ok": [False], "big": [7], "xs": [["a", "b"]], "name": ["userInputField"]},
     {"ok": "false", "big": "7n", "xs": "['a', 'b']", "name": "'userInputField'"},
     [({"ok": False}, "type_error"), ({"big": "7"}, "type_error"), ({"xs": "['a']"}, "value_error"),
      ({"name": "'other'"}, "value_error")]),
])
def test_java_and_javascript_values_are_read_by_bfcls_converters(fmt, lang, props, answer, right, wrong):
    from fctune.formats import ToolCall

    item = _source_item(lang, props, answer)

    def scored(args):
        return score(parse(fmt.assistant_text("", [ToolCall("f", args)])), item)

    assert scored(right).correct, scored(right)
    for change, error in wrong:
        res = scored({**right, **change})
        assert not res.correct and res.error == error, (change, res)
    # the gold answer rendered as source text (what the prompt asks for) scores right
    gold = gold_calls(item)[0].arguments
    assert all(isinstance(v, str) for v in gold.values()) and scored(gold).correct, gold


def test_the_recipe_states_each_gap_to_the_goals_from_the_leaderboard(monkeypatch):
    """scripts/bfcl_recipe.py's RESULTS.md lines: each aggregate against 66 / 55 / 81, met or how far
    short, a missing category named, and tuned minus base on non-live AST."""
    import importlib.util
    from pathlib import Path

    from fctune.bfcl import leaderboard

    scripts = Path(__file__).resolve().parents[1] / "scripts"
    monkeypatch.syspath_prepend(str(scripts))  # as when the script runs: its folder first on the path
    path = scripts / "bfcl_recipe.py"
    spec = importlib.util.spec_from_file_location("bfcl_recipe", path)
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    cats = ("simple_python", "simple_java", "simple_javascript", "multiple", "parallel", "parallel_multiple",
            "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple", "irrelevance")

    def board(acc: float, drop: tuple[str, ...] = ()) -> dict:
        return leaderboard({c: {"n": 100, "accuracy": acc} for c in cats if c not in drop})

    assert recipe.GOALS == {"non_live_ast": 66.0, "live_ast": 55.0, "irrelevance": 81.0}
    report = {"runs": {"base": {"leaderboard": board(0.1)}, "tuned": {"leaderboard": board(0.7, ("live_irrelevance",))}}}
    lines = recipe.gaps(report)
    assert lines[0].startswith("- non live ast: 70.00 % [95 %") and lines[0].endswith("goal 66 %: met")
    assert lines[1].startswith("- live ast: 70.00 %") and lines[1].endswith("met")
    assert lines[2] == "- irrelevance: not measured (missing live_irrelevance)"
    assert lines[3] == "- non-live AST, tuned minus base under the same parser: +60.00 points (goal +40)"
    report["runs"]["tuned"]["leaderboard"] = board(0.5)
    assert recipe.gaps(report)[0].endswith("goal 66 %: 16.00 points short")
    # with bfcl-eval's own verdicts in the report, the goals are judged on them, fctune's scorer beside
    report["runs"]["tuned"]["bfcl_eval"] = {"leaderboard": board(0.65)}
    report["runs"]["base"]["bfcl_eval"] = {"leaderboard": board(0.0)}
    lines = recipe.gaps(report)
    assert lines[0].startswith("- non live ast: 65.00 % [95 %")
    assert lines[0].endswith("(bfcl-eval's checker; fctune's scorer 50.00 %); goal 66 %: 1.00 points short")
    assert lines[3] == "- non-live AST, tuned minus base under the same parser: +65.00 points (goal +40)"
