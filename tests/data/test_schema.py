"""Canonical format: normalisation, JSONL reading/writing, schema aliases."""

from __future__ import annotations

import copy
import json

import pytest
from jsonschema import Draft202012Validator

from fctune.data.io import load_conversations
from fctune.data.schema import (
    DataErrors,
    iter_jsonl,
    UNREADABLE_JSON,
    normalize_conversation,
    read_json,
    schema_to_jsonschema,
    write_jsonl,
)
from fctune.errors import DataError, FctuneError

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "获取天气",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "date": {"type": "string"}},
                   "required": ["location"]}}}

CANONICAL = {
    "tools": [WEATHER_TOOL],
    "messages": [
        {"role": "system", "content": "你是一个有用的助手。"},
        {"role": "user", "content": "今天北京的天气怎么样？"},
        {"role": "assistant", "content": "我来帮您查询北京今天的天气情况。",
         "tool_calls": [{"type": "function", "function": {"name": "get_weather",
                                                           "arguments": {"location": "北京", "date": "today"}}}]},
        {"role": "tool", "name": "get_weather", "content": "{\"temp\": 25}"},
        {"role": "assistant", "content": "北京今天25度，晴。"},
    ],
}


def test_canonical_row_is_unchanged_and_not_aliased():
    row = copy.deepcopy(CANONICAL)
    out = normalize_conversation(row)
    assert out == CANONICAL
    assert row == CANONICAL  # input not modified
    out["messages"][2]["tool_calls"][0]["function"]["arguments"]["location"] = "上海"
    assert row["messages"][2]["tool_calls"][0]["function"]["arguments"]["location"] == "北京"


def test_openai_style_row_is_normalised():
    row = {
        "id": "r1",
        "tools": [WEATHER_TOOL["function"]],  # bare function dict
        "messages": [
            {"role": "user", "content": "今天北京的天气怎么样？"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"location\": \"北京\", \"date\": \"today\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": {"temp": 25, "天气": "晴"}},
            {"role": "assistant", "content": [{"type": "text", "text": "北京今天"}, {"type": "text", "text": "25度。"}]},
        ],
    }
    out = normalize_conversation(row)
    assert out["id"] == "r1"
    assert out["tools"] == [WEATHER_TOOL]
    assert out["messages"][1] == {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"location": "北京", "date": "today"}}}]}
    # the name comes from the call the tool_call_id points at; dict content becomes JSON text
    assert out["messages"][2] == {"role": "tool", "name": "get_weather", "content": '{"temp": 25, "天气": "晴"}'}
    assert out["messages"][3] == {"role": "assistant", "content": "北京今天25度。"}


def test_unwrapped_calls_and_missing_parameters():
    row = {"tools": [{"name": "now", "description": None}, {"name": "later", "parameters": {}}],
           "messages": [{"role": "user", "content": "几点了"},
                        {"role": "assistant", "tool_calls": [{"name": "now", "arguments": ""}]}]}
    out = normalize_conversation(row)
    assert out["tools"] == [{"type": "function", "function": {
        "name": "now", "description": "", "parameters": {"type": "object", "properties": {}}}},
        {"type": "function", "function": {
            "name": "later", "parameters": {"type": "object", "properties": {}}, "description": ""}}]
    assert out["messages"][1] == {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "now", "arguments": {}}}]}


def test_normalize_is_idempotent():
    once = normalize_conversation(CANONICAL)
    assert normalize_conversation(once) == once


@pytest.mark.parametrize("row, reason", [
    ([1, 2], "row must be a JSON object"),
    ({"tools": []}, "missing 'messages'"),
    ({"messages": "hi"}, "'messages' must be a list"),
    ({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
        {"function": {"name": "f", "arguments": "{bad"}}]}]}, "arguments are not valid JSON"),
    ({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
        {"function": {"name": "f", "arguments": "[1, 2]"}}]}]}, "arguments must be a JSON object, got array"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "unknown role 'robot'"),
    ({"messages": [{"role": "user", "content": 3}]}, "content must be a string"),
    ({"tools": "nope", "messages": []}, "tools: not valid JSON"),
])
def test_normalize_raises_on_structural_problems(row, reason):
    with pytest.raises(ValueError, match=reason.replace("[", r"\[").replace("(", r"\(")):
        normalize_conversation(row)


def test_iter_jsonl_reports_bad_lines_and_skips_blank(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n   \n{"b": \n[1]\n\xff\xfe\n')
    items = list(iter_jsonl(path))
    assert [n for n, _ in items] == [1, 4, 5, 6]
    assert items[0][1] == {"a": 1}
    assert isinstance(items[1][1], DataError) and str(items[1][1]).startswith(f"{path}:4: invalid JSON")
    assert items[2][1] == [1]
    assert isinstance(items[3][1], DataError) and "not UTF-8" in str(items[3][1])


def test_iter_jsonl_missing_file(tmp_path):
    with pytest.raises(FctuneError, match="cannot read"):
        list(iter_jsonl(tmp_path / "nope.jsonl"))


def test_write_jsonl_is_utf8_and_deterministic(tmp_path):
    path = tmp_path / "sub" / "out.jsonl"
    rows = [CANONICAL, {"messages": [{"role": "user", "content": "é"}]}]
    assert write_jsonl(path, rows) == 2
    first = path.read_bytes()
    assert "今天北京的天气怎么样？".encode() in first  # not \u-escaped
    assert first.count(b"\n") == 2 and first.endswith(b"\n")
    write_jsonl(path, rows)
    assert path.read_bytes() == first
    assert [json.loads(line) for line in first.decode().splitlines()] == rows


def test_load_conversations_ok_and_lists_every_problem(tmp_path):
    good = tmp_path / "good.jsonl"
    write_jsonl(good, [CANONICAL, CANONICAL])
    assert load_conversations(good) == [CANONICAL, CANONICAL]

    bad = tmp_path / "bad.jsonl"
    broken = copy.deepcopy(CANONICAL)
    broken["messages"][2]["tool_calls"][0]["function"]["name"] = "get_time"
    bad.write_text("\n".join([json.dumps(CANONICAL), "{oops", json.dumps(broken), "[]"]) + "\n", encoding="utf-8")
    with pytest.raises(DataErrors) as info:
        load_conversations(bad)
    err = info.value
    assert isinstance(err, DataError) and isinstance(err, FctuneError)
    assert [e.line for e in err.errors] == [2, 3, 3, 4]
    text = str(err).splitlines()
    assert text[0].startswith(f"{bad}:2: invalid JSON")
    assert text[1] == f"{bad}:3: messages[2]: call to undeclared tool 'get_time'"
    assert text[2] == f"{bad}:3: messages[3]: tool result for 'get_weather', but messages[2] called 'get_time'"
    assert text[3].startswith(f"{bad}:4: row must be a JSON object")
    assert text[-1] == f"4 problem(s) in 3 row(s) of {bad}"


def test_load_conversations_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match="no conversations"):
        load_conversations(path)


def test_schema_aliases_are_converted_recursively():
    bfcl = {
        "type": "dict",
        "properties": {
            "x": {"type": "float", "description": "x"},
            "n": {"type": "int"},
            "point": {"type": "tuple", "items": {"type": "integer"}},
            "pair": {"type": "tuple", "items": [{"type": "float"}, {"type": "string"}]},
            "anything": {"type": "any"},
            "opts": {"type": "dict", "properties": {"flag": {"type": "boolean"}, "tags": {
                "type": "array", "items": {"type": "dict", "properties": {"k": {"type": "float"}}}}}},
            "either": {"anyOf": [{"type": "float"}, {"type": "dict"}]},
            "multi": {"type": ["float", "null"]},
        },
        "required": ["x"],
    }
    original = copy.deepcopy(bfcl)
    js = schema_to_jsonschema(bfcl)
    assert bfcl == original
    Draft202012Validator.check_schema(js)
    p = js["properties"]
    assert js["type"] == "object" and js["required"] == ["x"]
    assert p["x"] == {"type": "number", "description": "x"}
    assert p["n"] == {"type": "integer"}
    assert p["point"] == {"type": "array", "items": {"type": "integer"}}
    assert p["pair"] == {"type": "array", "prefixItems": [{"type": "number"}, {"type": "string"}]}
    assert p["anything"] == {}
    assert p["opts"]["type"] == "object"
    assert p["opts"]["properties"]["tags"]["items"]["properties"]["k"] == {"type": "number"}
    assert p["either"] == {"anyOf": [{"type": "number"}, {"type": "object"}]}
    assert p["multi"] == {"type": ["number", "null"]}
    v = Draft202012Validator(js)
    assert v.is_valid({"x": 1, "point": [1, 2], "anything": [None], "opts": {"tags": [{"k": 2.5}]}})
    assert not v.is_valid({"x": "1"})
    assert not v.is_valid({"x": 1, "point": [1.5]})


def test_read_json_says_why_in_one_line():
    """Every field that holds JSON as text is read by read_json: the value, or one line saying why not,
    where (char, or line and column in text of several lines), and never a RecursionError."""
    assert read_json('{"a": [1, 2.5, "北京"]}') == ({"a": [1, 2.5, "北京"]}, None)
    assert read_json('{"a": 1,}') == (None, "not valid JSON (Expecting property name enclosed in double quotes at char 8)")
    assert read_json('{\n"a": 1,\n}') == (None, "not valid JSON (Expecting property name enclosed in double quotes "
                                                 "at line 3, column 1)")
    for text in ("[" * 100_000 + "]" * 100_000, '{"n": ' + "9" * 5000 + "}"):
        assert read_json(text) == (None, UNREADABLE_JSON)
