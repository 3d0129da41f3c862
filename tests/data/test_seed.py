"""The built-in seed set: 15 Chinese conversations, valid, values taken from the user's words."""

from __future__ import annotations

import json
from collections import Counter

from fctune.data.io import load_conversations
from fctune.data.schema import normalize_conversation
from fctune.data.seed import SMOKE_PROMPTS, original_tools, seed_conversations
from fctune.data.validate import check_row
from tests.helpers import run_fctune

# Enum-like values that name an option rather than copy text: value -> the user's word for it.
MAPPED = {"today": "今天", "tomorrow": "明天", "read": "读取", "resize": "尺寸", "trend": "趋势"}


def _calls(conv):
    return [c["function"] for m in conv["messages"] if m["role"] == "assistant" for c in m.get("tool_calls") or []]


def test_original_tools_cover_every_category_and_are_valid_schemas():
    tools = original_tools()
    names = [t["function"]["name"] for t in tools]
    assert len(set(names)) == len(names)
    for expected in ("get_weather", "get_current_time", "calculate", "web_search", "file_operation", "send_email",
                     "translate_text", "database_query", "image_processing", "execute_command", "analyze_data"):
        assert expected in names
    # all tools declared together form a valid conversation header
    conv = {"tools": tools, "messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "你好！"}]}
    assert check_row(conv) == (conv, [])
    weather = tools[names.index("get_weather")]["function"]["parameters"]
    assert weather["required"] == ["location"] and set(weather["properties"]) == {"location", "date"}
    tools[0]["function"]["name"] = "changed"
    assert original_tools()[0]["function"]["name"] == "get_weather"  # a fresh copy every call


def test_seed_conversations_shape():
    convs = seed_conversations()
    assert len(convs) == 15
    assert len({c["id"] for c in convs}) == 15
    firsts = [c["messages"][0]["content"] for c in convs]
    for prompt in SMOKE_PROMPTS:
        assert prompt in firsts
    first = convs[0]
    assert first["messages"][0] == {"role": "user", "content": "今天北京的天气怎么样？"}
    assert first["messages"][1] == {
        "role": "assistant", "content": "我来帮您查询北京今天的天气情况。",
        "tool_calls": [{"type": "function", "function": {"name": "get_weather",
                                                          "arguments": {"location": "北京", "date": "today"}}}]}
    called = Counter(c["name"] for conv in convs for c in _calls(conv) if len(_calls(conv)) == 1)
    assert called["get_weather"] == 2 and called["get_current_time"] == 2 and called["calculate"] == 2
    for name in ("web_search", "file_operation", "send_email", "translate_text", "database_query",
                 "image_processing", "execute_command", "analyze_data"):
        assert called[name] == 1, name
    parallel = [conv for conv in convs if len(_calls(conv)) > 1]
    assert len(parallel) == 1
    assert len(parallel[0]["messages"]) == 2  # both calls in one assistant turn
    assert {c["name"] for c in _calls(parallel[0])} == {"get_weather", "get_current_time"}


def test_seed_conversations_are_canonical_valid_and_grounded():
    by_name = {t["function"]["name"]: t for t in original_tools()}
    for conv in seed_conversations():
        assert check_row(conv) == (conv, []), conv["id"]
        assert normalize_conversation(conv) == conv
        user, assistant = conv["messages"]
        assert user["role"] == "user" and assistant["role"] == "assistant"
        assert assistant["content"] and any("\u4e00" <= ch <= "\u9fff" for ch in assistant["content"])
        declared = [t["function"]["name"] for t in conv["tools"]]
        assert 2 <= len(declared) < len(by_name)
        for tool in conv["tools"]:
            assert tool == by_name[tool["function"]["name"]]
        for call in _calls(conv):
            assert call["name"] in declared
            for key, value in call["arguments"].items():
                if isinstance(value, str) and value in MAPPED:
                    assert MAPPED[value] in user["content"], (conv["id"], key, value)
                else:
                    assert str(value) in user["content"], (conv["id"], key, value)


def test_seed_and_validate_cli(tmp_path):
    out = tmp_path / "s.jsonl"
    proc = run_fctune("data", "seed", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "15" in proc.stdout
    assert load_conversations(out) == seed_conversations()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 15 and "北京" in lines[0]  # UTF-8, not escaped
    proc = run_fctune("data", "validate", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    assert stats["samples"] == 15 and stats["errors"] == 0
    assert f"{out}: 15 rows, 15 samples valid, 0 error(s)" in proc.stderr


def test_smoke_answers_are_judged_on_tool_and_values():
    from fctune.data.seed import SMOKE_PROMPTS, smoke_answer_is_right

    def call(name, **args):
        return [{"name": name, "arguments": args}]

    assert len(SMOKE_PROMPTS) == 4
    assert smoke_answer_is_right(0, call("get_weather", location="北京", date="today"))
    assert smoke_answer_is_right(0, call("get_weather", location="北京"))
    assert not smoke_answer_is_right(0, call("get_weather", location="上海"))
    assert not smoke_answer_is_right(0, call("get_weather", location="北京", date="tomorrow"))
    assert smoke_answer_is_right(1, call("calculate", expression="25*4 + 10"))
    assert not smoke_answer_is_right(1, call("calculate", expression="25 * 4"))
    assert not smoke_answer_is_right(1, call("get_weather", location="北京"))
    assert smoke_answer_is_right(2, call("get_current_time")) and smoke_answer_is_right(2, call("get_current_time", timezone="UTC"))
    assert smoke_answer_is_right(3, call("web_search", query="人工智能的最新发展"))
    assert not smoke_answer_is_right(3, call("get_weather", location="人工智能", date="最新发展"))
    assert not smoke_answer_is_right(2, [])
    assert not smoke_answer_is_right(2, call("get_current_time") * 2)  # one call, not two
