"""The tool-call parser is the inverse of the renderer; it reads every form a model may write."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fctune.formats import ChatFormat, ToolCall, parse

# ---------------------------------------------------------------------------- strategies

_CHINESE = "北京上海天气怎么样你好世界查询计算明天今天温度"
_chars = st.one_of(st.characters(codec="utf-8", exclude_categories=("Cs",)), st.sampled_from(_CHINESE))
_text = st.text(_chars, max_size=12)
_nfc_text = _text.map(lambda s: unicodedata.normalize("NFC", s))

_ident = st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True)
names = st.one_of(_ident, st.lists(_ident, min_size=2, max_size=3).map(".".join))


def json_values(text):
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**15, 10**15),
                        st.floats(allow_nan=False, allow_infinity=False), text)
    return st.recursive(scalars, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                        st.dictionaries(text, kids, max_size=4)), max_leaves=12)


def arguments(text):
    return st.dictionaries(text, json_values(text), max_size=5)


def calls(text):
    return st.lists(st.builds(ToolCall, names, arguments(text)), min_size=0, max_size=3)


def contents(text):
    # Content as a template keeps it: no markup characters, no surrounding whitespace.
    return text.map(lambda s: s.replace("<", "").replace(">", "").strip())


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hermes_fmt(qwen3_tokenizer_dir):
    from transformers import AutoTokenizer

    return ChatFormat(AutoTokenizer.from_pretrained(str(qwen3_tokenizer_dir)), template="hermes")


@pytest.fixture(scope="module", params=["qwen3", "hermes"])
def each_fmt(request, fmt, hermes_fmt):
    """Each template in turn: Qwen3's own (conftest's ``fmt``) and the built-in hermes one."""
    return fmt if request.param == "qwen3" else hermes_fmt


_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------- round trips


@_settings
@given(content=contents(_text), tool_calls=calls(_text))
def test_parse_inverts_the_renderer(each_fmt, content, tool_calls):
    text = each_fmt.assistant_text(content, tool_calls)
    parsed = parse(text)
    assert parsed.errors == []
    assert parsed.tool_calls == tool_calls
    assert parsed.content == content


@_settings
@given(content=contents(_nfc_text), tool_calls=calls(_nfc_text))
def test_parse_survives_the_tokenizer(each_fmt, content, tool_calls):
    """decode(encode(text)) is what a generation looks like; it must parse to the same calls."""
    text = each_fmt.assistant_text(content, tool_calls)
    decoded = each_fmt.decode(each_fmt.encode(text) + [each_fmt.end_of_turn_id])
    assert decoded == text
    parsed = parse(decoded)
    assert parsed.errors == [] and parsed.tool_calls == tool_calls and parsed.content == content


def test_qwen3_template_roundtrip_examples(fmt):
    cases = [("我来帮您查询北京今天的天气情况。", [ToolCall("get_weather", {"location": "北京", "date": "today"})]),
             ("", [ToolCall("math.sqrt", {"x": 2.5}), ToolCall("math.factorial", {"number": 5})]),
             ("no tool fits this request", []),
             ("", [ToolCall("f", {"nested": {"a": [1, None, True, "x"]}, "empty": {}})])]
    for content, tool_calls in cases:
        parsed = parse(fmt.assistant_text(content, tool_calls))
        assert (parsed.content, parsed.tool_calls, parsed.errors) == (content, tool_calls, [])


# ---------------------------------------------------------------------------- forms and failures


def _call_text(obj) -> str:
    return f"<tool_call>\n{json.dumps(obj, ensure_ascii=False)}\n</tool_call>"


def test_empty_think_block_and_text_around():
    text = "<think>\n\n</think>\n\nSure.\n" + _call_text({"name": "f", "arguments": {"x": 1}}) + "\nDone.<|im_end|>"
    parsed = parse(text)
    assert parsed.tool_calls == [ToolCall("f", {"x": 1})]
    assert parsed.content == "Sure.\nDone."
    assert parsed.errors == [] and parsed.reasoning == ""


def test_reasoning_is_kept_apart():
    parsed = parse("<think>I should call f.</think>\n" + _call_text({"name": "f", "arguments": {}}))
    assert parsed.reasoning == "I should call f." and parsed.tool_calls == [ToolCall("f", {})]


def test_arguments_as_json_string_and_parameters_key():
    parsed = parse(_call_text({"name": "f", "arguments": json.dumps({"a": "北京"})}) +
                   _call_text({"name": "g", "parameters": {"b": 2}}))
    assert parsed.tool_calls == [ToolCall("f", {"a": "北京"}), ToolCall("g", {"b": 2})]
    assert parsed.ok


def test_original_spec_name_call_form_and_keywords():
    parsed = parse('<tool_call>get_weather({"location": "北京", "date": "today"})</tool_call>'
                   '<tool_call>math.hypot(x=4, y=5.0, tags=["a", "b"], flag=True)</tool_call>'
                   "<tool_call>get_current_time()</tool_call>")
    assert parsed.errors == []
    assert parsed.tool_calls == [ToolCall("get_weather", {"location": "北京", "date": "today"}),
                                 ToolCall("math.hypot", {"x": 4, "y": 5.0, "tags": ["a", "b"], "flag": True}),
                                 ToolCall("get_current_time", {})]


def test_several_calls_in_one_block_and_a_list():
    parsed = parse('<tool_call>\n{"name": "a", "arguments": {}}\n{"name": "b", "arguments": {"x": 1}}\n</tool_call>'
                   '<tool_call>[{"name": "c", "arguments": {}}, {"name": "d", "arguments": {}}]</tool_call>')
    assert [c.name for c in parsed.tool_calls] == ["a", "b", "c", "d"] and parsed.ok


def test_closing_tag_inside_a_string_argument():
    call = ToolCall("write", {"text": "use </tool_call> to close"})
    parsed = parse(_call_text(call.as_dict()))
    assert parsed.tool_calls == [call] and parsed.ok


@pytest.mark.parametrize("text, reason", [
    ('<tool_call>\n{"name": "f", "arguments": {"x": 1}\n</tool_call>', "invalid JSON"),
    ('<tool_call>\n{"name": "f", "arguments": {"x": 1}}', "unclosed"),
    ('<tool_call>{"name": "f", "arguments": {"x": 1}', "unclosed"),
    ("<tool_call>\n\n</tool_call>", "empty"),
    ('<tool_call>{"arguments": {"x": 1}}</tool_call>', "no 'name'"),
    ('<tool_call>{"name": "f", "arguments": [1, 2]}</tool_call>', "must be a JSON object"),
    ('<tool_call>{"name": "f", "arguments": "{not json"}</tool_call>', "not JSON"),
    ('<tool_call>{"name": "f", "arguments": {}} trailing</tool_call>', "unexpected text"),
    ("<tool_call>get_weather(北京)</tool_call>", "get_weather"),
    ("<tool_call>f(1, 2)</tool_call>", "positional"),
    ("<tool_call>call the weather tool</tool_call>", "neither JSON"),
    ("text </tool_call>", "without an opening"),
    ('I will call {"name": "get_weather", "arguments": {"location": "x"}}', "without <tool_call> tags"),
])
def test_parse_failures_have_reasons(text, reason):
    parsed = parse(text)
    assert not parsed.ok
    assert any(reason in e for e in parsed.errors), parsed.errors


DEEP = 5000  # far past Python's recursion limit: json's decoder recurses once per level


@pytest.mark.parametrize("text, reason", [
    ('<tool_call>\n{"name": "f", "arguments": ' + "[" * DEEP + "]" * DEEP + "}\n</tool_call>", "nested too deeply"),
    ('<tool_call>\n{"name": "f", "arguments": ' + "[" * DEEP, "nested too deeply"),
    ('<tool_call>\n{"name": "f", "arguments": "' + "[" * DEEP + '"}\n</tool_call>', "nested too deeply"),
])
def test_hostile_nesting_is_a_parse_failure_not_a_crash(text, reason):
    parsed = parse(text)
    assert not parsed.ok and any(reason in e for e in parsed.errors), parsed.errors


def test_hostile_nesting_outside_tags_is_no_call():
    parsed = parse('text {"name": "f", "arguments": ' + '{"a":' * DEEP + "1" + "}" * DEEP + "}")
    assert parsed.tool_calls == []


def test_good_calls_survive_a_bad_one():
    parsed = parse(_call_text({"name": "a", "arguments": {}}) + "<tool_call>{oops}</tool_call>")
    assert parsed.tool_calls == [ToolCall("a", {})] and len(parsed.errors) == 1


def test_plain_text_is_no_call():
    parsed = parse("I cannot help with that; no tool fits. {\"note\": 1}")
    assert parsed.tool_calls == [] and parsed.ok
