"""Qwen2.5-Coder-0.5B-Instruct's own chat template (from its GGUF): train/inference parity and the mask.

The real tokenizer of the ``qwen2.5-0.5b`` alias (no model weights loaded). Its template has a tools
section, writes calls as ``<tool_call>\\n{"name": ..., "arguments": ...}\\n</tool_call>``, has no think
blocks, and writes a default system prompt when the conversation has none.

Parity: for every trained assistant turn, the ids before its first trained token equal the template's
own generation prompt for that history (``apply_chat_template(..., add_generation_prompt=True)``);
the trained ids decode to exactly the assistant's text + calls + ``<|im_end|>`` and parse back to its calls.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from fctune.formats import IM_END, ChatFormat, ToolCall

from tests.conversations import MULTI_STEP, MULTI_TURN, NO_TOOLS_CHAT, call, tool

DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
TOOL_CALL = "<tool_call>"
TOOL_CALL_END = "</tool_call>"


TOOLS = [
    tool("get_weather", {"location": {"type": "string", "description": "城市名称"}, "date": {"type": "string"}},
          ["location"], description="查询指定城市的天气"),
    tool("get_current_time", {"timezone": {"type": "string"}}),
    tool("calculate", {"expression": {"type": "string"}}, ["expression"]),
]


SINGLE = {"tools": TOOLS, "messages": [
    {"role": "user", "content": "What time is it in Tokyo?"},
    {"role": "assistant", "content": "", "tool_calls": [call("get_current_time", timezone="Asia/Tokyo")]},
]}

PREFACE = {"tools": TOOLS, "messages": [
    {"role": "system", "content": "You are a careful assistant."},
    {"role": "user", "content": "Compute 17 * 23 for me."},
    {"role": "assistant", "content": "Let me calculate that.", "tool_calls": [call("calculate", expression="17 * 23")]},
]}

PARALLEL = {"tools": TOOLS, "messages": [
    {"role": "user", "content": "Weather in Paris today, and the time in Europe/Paris?"},
    {"role": "assistant", "content": "I'll check both at once.",
     "tool_calls": [call("get_weather", location="Paris", date="today"), call("get_current_time", timezone="Europe/Paris")]},
]}


PARALLEL_RESULTS = {"tools": TOOLS, "messages": [  # two tool results in a row: one user turn in Qwen2.5
    {"role": "user", "content": "Time in Tokyo and in London?"},
    {"role": "assistant", "content": "", "tool_calls": [call("get_current_time", timezone="Asia/Tokyo"),
                                                       call("get_current_time", timezone="Europe/London")]},
    {"role": "tool", "name": "get_current_time", "content": "18:00"},
    {"role": "tool", "name": "get_current_time", "content": "10:00"},
    {"role": "assistant", "content": "Tokyo: 18:00, London: 10:00."},
]}

NO_CALL = {"tools": TOOLS, "messages": [
    {"role": "user", "content": "Tell me a one-line joke about compilers."},
    {"role": "assistant", "content": "My compiler and I broke up: it kept finding faults in me."},
]}

CHINESE = {"tools": TOOLS, "messages": [
    {"role": "user", "content": "今天北京的天气怎么样？"},
    {"role": "assistant", "content": "我来帮您查询北京今天的天气情况。",
     "tool_calls": [call("get_weather", location="北京", date="今天")]},
    {"role": "tool", "name": "get_weather", "content": "{\"天气\": \"晴\", \"温度\": \"25°C\"}"},
    {"role": "assistant", "content": "北京今天天气晴，气温25°C。"},
]}



CONVERSATIONS = {"single": SINGLE, "preface": PREFACE, "parallel": PARALLEL, "multi_step": MULTI_STEP,
                 "parallel_results": PARALLEL_RESULTS, "no_call": NO_CALL, "chinese": CHINESE,
                 "multi_turn": MULTI_TURN, "no_tools": NO_TOOLS_CHAT}


# ---- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tok(qwen25_tokenizer):
    """The tokenizer of this module: conftest's ``fmt`` formats with it."""
    return qwen25_tokenizer


def template_prompt_text(tok, history, tools):
    """The template's own generation prompt, straight from the tokenizer (no fctune helper)."""
    return tok.apply_chat_template(copy.deepcopy(list(history)), tools=copy.deepcopy(tools) if tools else None,
                                   tokenize=False, add_generation_prompt=True)


def template_prompt_ids(tok, history, tools):
    out = tok.apply_chat_template(copy.deepcopy(list(history)), tools=copy.deepcopy(tools) if tools else None,
                                  tokenize=True, add_generation_prompt=True)
    return list(out if isinstance(out, list) else out["input_ids"])


def template_full_text(tok, messages, tools):
    return tok.apply_chat_template(copy.deepcopy(list(messages)), tools=copy.deepcopy(tools) if tools else None,
                                   tokenize=False, add_generation_prompt=False)


def expected_turn_text(message):
    """How Qwen2.5's template writes an assistant turn after ``<|im_start|>assistant\\n``, by hand."""
    parts = [message["content"]] if message.get("content") else []
    for c in message.get("tool_calls") or []:
        fn = c["function"]
        body = json.dumps({"name": fn["name"], "arguments": fn["arguments"]}, ensure_ascii=False)
        parts.append(f"{TOOL_CALL}\n{body}\n{TOOL_CALL_END}")
    return "\n".join(parts) + IM_END


def trained_text(tok, s):
    return tok.decode(s.input_ids[s.prompt_length:], skip_special_tokens=False)


def check_invariants(fmt, conv):
    tok = fmt.tokenizer
    messages, tools = conv["messages"], conv.get("tools")
    samples = fmt.render_training(conv)
    assistant_turns = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    assert [s.turn for s in samples] == assistant_turns  # one sample per assistant turn
    im_end = tok.convert_tokens_to_ids(IM_END)
    full_text = template_full_text(tok, messages, tools)
    for s in samples:
        p = s.prompt_length
        history = messages[: s.turn]
        assert len(s.input_ids) == len(s.trainable) and 0 < p < len(s.input_ids)
        # parity with the template's own output (string and ids), and with fctune's prompt helper
        reference_text = template_prompt_text(tok, history, tools)
        assert reference_text.endswith("<|im_start|>assistant\n")
        assert tok.decode(s.input_ids[:p], skip_special_tokens=False) == reference_text, f"turn {s.turn}"
        assert s.input_ids[:p] == tok(reference_text, add_special_tokens=False)["input_ids"], f"turn {s.turn}"
        assert s.input_ids[:p] == template_prompt_ids(tok, history, tools), f"turn {s.turn}"
        assert s.input_ids[:p] == fmt.prompt_ids(history, tools)
        # one trained block ending the sample with <|im_end|>
        assert s.trainable == [0] * p + [1] * (len(s.input_ids) - p)
        assert s.input_ids[-1] == im_end and s.input_ids[p:].count(im_end) == 1
        assert s.labels()[:p] == [-100] * p and s.labels()[p:] == s.input_ids[p:]
        # the trained ids are exactly the assistant's text + calls + <|im_end|>
        message = messages[s.turn]
        text = trained_text(tok, s)
        assert text == expected_turn_text(message), f"turn {s.turn}"
        assert text == fmt.completion_text(history, message, tools)
        for marker in ("<|im_start|>", "<tool_response>", "<tools>", "<think>", "system\n", "user\n", DEFAULT_SYSTEM):
            assert marker not in text, f"{marker!r} trained in turn {s.turn}"
        for m in history:
            if m["role"] in ("user", "system") and len(m["content"]) > 3:  # (an answer may quote a tool result)
                assert m["content"] not in text
        # the prompt + the trained turn is the template's full rendering, as text
        assert full_text.startswith(tok.decode(s.input_ids, skip_special_tokens=False))
        # and it parses back to the turn
        parsed = fmt.parse(text)
        assert parsed.ok, parsed.errors
        assert parsed.tool_calls == [ToolCall.from_message(c) for c in message.get("tool_calls") or []]
        assert parsed.content == (message.get("content") or "").strip()
        assert parsed.reasoning == ""
        # every call tag is its single added token (an argument string holding the tag text is one too)
        n_calls = len(message.get("tool_calls") or [])
        assert s.input_ids[p:].count(fmt.call_start_id) == text.count(TOOL_CALL) >= n_calls
        assert s.input_ids[p:].count(tok.convert_tokens_to_ids(TOOL_CALL_END)) == text.count(TOOL_CALL_END) >= n_calls
    last = samples[-1]
    assert tok.decode(last.input_ids, skip_special_tokens=False) + "\n" == full_text
    return samples


# ---- the format itself -----------------------------------------------------------------------------


def test_uses_the_models_own_template(tok, fmt):
    assert fmt.template_name == "own"
    assert ChatFormat(tok, template="own").template_name == "own"
    own = Path(tok.name_or_path) / "chat_template.jinja"
    assert tok.chat_template == own.read_text(encoding="utf-8")  # "own" leaves the template as it is
    assert "<tools>" in tok.chat_template and DEFAULT_SYSTEM in tok.chat_template


def test_tool_call_tokens_and_special_tokens(tok, fmt):
    assert tok.encode(TOOL_CALL, add_special_tokens=False) == [fmt.call_start_id]
    assert len(tok.encode(TOOL_CALL_END, add_special_tokens=False)) == 1
    assert tok.encode(IM_END, add_special_tokens=False) == [fmt.end_of_turn_id]
    assert fmt.end_of_turn_id in fmt.stop_token_ids
    assert fmt.call_start_id != fmt.end_of_turn_id
    specials = fmt.special_tokens()
    assert (TOOL_CALL, fmt.call_start_id) in specials
    assert (IM_END, fmt.end_of_turn_id) in specials
    assert (TOOL_CALL_END, tok.convert_tokens_to_ids(TOOL_CALL_END)) in specials
    assert ("<|im_start|>", tok.convert_tokens_to_ids("<|im_start|>")) in specials
    assert all(tok.convert_tokens_to_ids(text) == i for text, i in specials)
    assert len({i for _, i in specials}) == len(specials)
    assert not any("think" in text for text, _ in specials)  # Qwen2.5 has no think tags


def test_call_start_id_opens_a_call_turn(tok, fmt):
    s = fmt.render_training(SINGLE)[0]
    assert s.input_ids[s.prompt_length] == fmt.call_start_id
    preface = fmt.render_training(PREFACE)[0]
    first = preface.input_ids[preface.prompt_length]
    assert first != fmt.call_start_id  # a preface turn opens with text, the call comes after it
    assert tok.decode([first]).startswith("Let")
    no_call = fmt.render_training(NO_CALL)[0]
    assert fmt.call_start_id not in no_call.input_ids[no_call.prompt_length:]


# ---- parity and mask -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_parity_and_mask_qwen25_template(fmt, name):
    check_invariants(fmt, CONVERSATIONS[name])


def test_single_call_trained_text(tok, fmt):
    s = fmt.render_training(SINGLE)[0]
    assert trained_text(tok, s) == (
        '<tool_call>\n{"name": "get_current_time", "arguments": {"timezone": "Asia/Tokyo"}}\n</tool_call><|im_end|>')


def test_preface_trained_text(tok, fmt):
    s = fmt.render_training(PREFACE)[0]
    assert trained_text(tok, s) == ('Let me calculate that.\n<tool_call>\n'
                                    '{"name": "calculate", "arguments": {"expression": "17 * 23"}}\n</tool_call><|im_end|>')


def test_parallel_calls_in_one_turn(tok, fmt):
    [s] = fmt.render_training(PARALLEL)
    text = trained_text(tok, s)
    assert text.count(TOOL_CALL) == 2 and text.count(TOOL_CALL_END) == 2
    assert "</tool_call>\n<tool_call>" in text  # the calls follow one another, a newline apart
    parsed = fmt.parse(text)
    assert [c.name for c in parsed.tool_calls] == ["get_weather", "get_current_time"]
    assert parsed.tool_calls[0].arguments == {"location": "Paris", "date": "today"}
    assert parsed.content == "I'll check both at once."


def test_multi_step_samples_share_their_history(tok, fmt):
    """Each later sample starts with the whole earlier sample (Qwen2.5 renders history as it was trained)."""
    samples = fmt.render_training(MULTI_STEP)
    assert [s.turn for s in samples] == [2, 4, 6]
    for before, after in zip(samples, samples[1:]):
        assert after.input_ids[: len(before.input_ids)] == before.input_ids
    # the tool results are in the (untrained) prompt of the next step, wrapped as a user turn
    second_prompt = tok.decode(samples[1].input_ids[: samples[1].prompt_length])
    assert second_prompt.endswith('<|im_start|>user\n<tool_response>\n{"temp_c": 18, "sky": "cloudy"}\n'
                                  '</tool_response><|im_end|>\n<|im_start|>assistant\n')
    final = fmt.parse(trained_text(tok, samples[2]))
    assert final.tool_calls == [] and final.content == "Paris is 18 °C and cloudy; 25 * 4 + 10 = 110."


def test_consecutive_tool_results_form_one_user_turn(tok, fmt):
    s = fmt.render_training(PARALLEL_RESULTS)[1]
    prompt = tok.decode(s.input_ids[: s.prompt_length])
    assert prompt.endswith("<|im_start|>user\n<tool_response>\n18:00\n</tool_response>\n"
                           "<tool_response>\n10:00\n</tool_response><|im_end|>\n<|im_start|>assistant\n")


def test_no_call_turn_with_tools_offered(tok, fmt):
    [s] = fmt.render_training(NO_CALL)
    assert trained_text(tok, s) == NO_CALL["messages"][1]["content"] + IM_END
    assert "# Tools" in tok.decode(s.input_ids[: s.prompt_length])  # the tools were offered
    parsed = fmt.parse(trained_text(tok, s))
    assert parsed.ok and parsed.tool_calls == []


# ---- system prompt -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["single", "multi_turn", "chinese", "no_tools"])
def test_default_system_prompt_without_a_system_message(tok, fmt, name):
    conv = CONVERSATIONS[name]
    messages, tools = conv["messages"], conv.get("tools")
    assert all(m["role"] != "system" for m in messages)
    header = f"<|im_start|>system\n{DEFAULT_SYSTEM}"
    for s in fmt.render_training(conv):
        history = messages[: s.turn]
        reference = template_prompt_text(tok, history, tools)
        prompt = tok.decode(s.input_ids[: s.prompt_length])
        assert reference.startswith(header) and reference.count(DEFAULT_SYSTEM) == 1
        assert prompt.startswith(header) and prompt.count(DEFAULT_SYSTEM) == 1
        # the whole system block is the same, token for token, in the training sample and the inference prompt
        system_block = reference[: reference.index(IM_END) + len(IM_END)]
        block_ids = tok(system_block, add_special_tokens=False)["input_ids"]
        assert block_ids[-1] == fmt.end_of_turn_id
        assert s.input_ids[: len(block_ids)] == block_ids
        assert fmt.prompt_ids(history, tools)[: len(block_ids)] == block_ids
        assert template_prompt_ids(tok, history, tools)[: len(block_ids)] == block_ids
        assert prompt.startswith(system_block)
        assert (("# Tools" in system_block) == bool(tools))


@pytest.mark.parametrize("name", ["preface", "multi_step"])
def test_own_system_message_replaces_the_default(tok, fmt, name):
    conv = CONVERSATIONS[name]
    system = conv["messages"][0]["content"]
    for s in fmt.render_training(conv):
        full = tok.decode(s.input_ids)
        reference = template_prompt_text(tok, conv["messages"][: s.turn], conv["tools"])
        for text in (full, reference):
            assert DEFAULT_SYSTEM not in text
            assert text.startswith(f"<|im_start|>system\n{system}\n\n# Tools\n")
            assert text.count(system) == 1  # written once, in the tools system block, not again as a turn
            assert text.count("<|im_start|>system") == 1


def test_system_message_without_tools(tok, fmt):
    conv = {"messages": [{"role": "system", "content": "Answer in French."},
                         {"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Bonjour !"}]}
    [s] = check_invariants(fmt, conv)
    prompt = tok.decode(s.input_ids[: s.prompt_length])
    assert prompt == "<|im_start|>system\nAnswer in French.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"


# ---- non-ASCII -------------------------------------------------------------------------------------


def test_chinese_content_and_arguments_stay_unescaped(tok, fmt):
    samples = fmt.render_training(CHINESE)
    first = samples[0]
    text = trained_text(tok, first)
    assert text == ('我来帮您查询北京今天的天气情况。\n<tool_call>\n'
                    '{"name": "get_weather", "arguments": {"location": "北京", "date": "今天"}}\n</tool_call><|im_end|>')
    assert "\\u" not in text
    prompt = tok.decode(first.input_ids[: first.prompt_length])
    assert "今天北京的天气怎么样？" in prompt
    assert "查询指定城市的天气" in prompt and "城市名称" in prompt  # tool schema in the system block, unescaped
    assert "\\u" not in prompt
    parsed = fmt.parse(text)
    assert parsed.tool_calls == [ToolCall("get_weather", {"location": "北京", "date": "今天"})]
    assert parsed.content == "我来帮您查询北京今天的天气情况。"
    final = samples[1]
    assert '{"天气": "晴", "温度": "25°C"}' in tok.decode(final.input_ids[: final.prompt_length])
    assert trained_text(tok, final) == "北京今天天气晴，气温25°C。" + IM_END


def test_chinese_arguments_round_trip_through_ids(tok, fmt):
    calls = [ToolCall("get_weather", {"location": "北京", "date": "明天"})]
    ids = fmt.encode(fmt.assistant_text("好的。", calls) + IM_END)
    assert ids[-1] == fmt.end_of_turn_id
    decoded = fmt.decode(ids)  # drops <|im_end|>, keeps the call tags
    assert not decoded.endswith(IM_END) and TOOL_CALL in decoded
    assert fmt.parse(decoded).tool_calls == calls


# ---- round trip ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["single", "preface", "parallel", "multi_step", "chinese", "multi_turn"])
def test_round_trip_trained_call_turns_parse_back(tok, fmt, name):
    conv = CONVERSATIONS[name]
    checked = 0
    for s in fmt.render_training(conv):
        message = conv["messages"][s.turn]
        if not message.get("tool_calls"):
            continue
        calls = [ToolCall.from_message(c) for c in message["tool_calls"]]
        text = trained_text(tok, s)
        parsed = fmt.parse(text)
        assert parsed.ok, parsed.errors
        assert parsed.tool_calls == calls
        # the same text again from ToolCall objects (how evaluation and serving write a turn)
        assert fmt.assistant_text(message.get("content") or "", calls) + IM_END == text
        # and generated ids (trained ids, as a model would emit them) decode and parse the same way
        assert fmt.parse(fmt.decode(s.input_ids[s.prompt_length:])).tool_calls == calls
        checked += 1
    assert checked >= 1


def test_nested_and_typed_arguments_round_trip(tok, fmt):
    args = {"filters": {"city": "上海", "days": [1, 2, 3]}, "limit": 5, "exact": True, "ratio": 0.5, "note": None,
            "quote": 'say "hi" </tool_call> \\ done'}
    tools = [tool("search", {"filters": {"type": "object"}, "limit": {"type": "integer"}})]
    conv = {"tools": tools, "messages": [{"role": "user", "content": "Find forecasts, please"},
                                         {"role": "assistant", "content": "", "tool_calls": [call("search", **args)]}]}
    [s] = check_invariants(fmt, conv)
    parsed = fmt.parse(trained_text(tok, s))
    assert parsed.tool_calls == [ToolCall("search", args)]
    assert list(parsed.tool_calls[0].arguments) == list(args)  # key order kept
