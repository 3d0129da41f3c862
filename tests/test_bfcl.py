"""BFCL categories load as items with JSON Schema tools; gold answers score 100 %."""

from __future__ import annotations

import json

import pytest

from fctune.bfcl import CATEGORIES, IRRELEVANCE, gold_calls, load_category, load_items, parse_categories, to_tool
from fctune.errors import FctuneError
from fctune.formats import ChatFormat, parse
from fctune.scoring import score

# Answers in BFCL v4 (bfcl-eval 2026.3.23) that contradict their own function schemas: a required
# parameter that the answer marks optional or omits, or a parameter the schema does not have.
# BFCL's own checker fails these gold answers too.
BFCL_DATA_QUIRKS = {"live_simple_106-63-0", "live_simple_112-68-0", "live_multiple_507-149-4",
                    "live_multiple_862-181-3", "live_multiple_964-207-0"}


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
        text = json.dumps([t["function"]["parameters"] for t in it.tools])
        assert '"dict"' not in text and '"float"' not in text and '"tuple"' not in text
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
