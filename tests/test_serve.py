"""``fctune serve``: the reply parser (streamed == whole), and the real server driven by the official
``openai`` client over loopback, with a tiny Qwen3 overfit to make real tool calls."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fctune.formats import ToolCall, parse
from fctune.serving.engine import StopStrings
from fctune.serving.reply import CallDelta, ContentDelta, ReplyStream, read_reply
from tests.helpers import (
    ANSWER,
    ASK,
    ASK_TWO,
    NO_TOOLS_ANSWER,
    PREFACE,
    RESULT,
    TOOLS,
    WEATHER,
    fctune_argv,
    weather_call,
)

# The test model is the overfit tiny Qwen3 of tests.helpers.build_tool_model (the ``tool_model``
# fixture of conftest.py): greedy decoding really writes <tool_call> blocks for ASK and ASK_TWO and
# a text answer after a tool result.


# ---------------------------------------------------------------------------------------------
# A real server in a subprocess
# ---------------------------------------------------------------------------------------------


class Server:
    """``fctune serve --port 0`` in a subprocess; ``url`` is read from the line it prints. ``stop()``
    always ends it (terminate, then kill)."""

    def __init__(self, *args: str, timeout: float = 120):
        import queue

        import httpx

        env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(fctune_argv("serve", "--port", "0", *args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.stderr: list[str] = []
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()
        threading.Thread(target=lambda: [lines.put(line) for line in self.proc.stdout], daemon=True).start()
        self.url = None
        deadline = time.time() + timeout
        try:
            while self.url is None:
                try:
                    line = lines.get(timeout=max(0.1, deadline - time.time()))
                except queue.Empty:
                    raise AssertionError("server printed no URL in time:\n" + "".join(self.stderr[-40:])) from None
                match = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line)
                self.url = match.group(1) if match else None
            while True:
                try:
                    if httpx.get(self.url.replace("/v1", "/health"), timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.time() > deadline or self.proc.poll() is not None:
                    raise AssertionError("server does not answer /health:\n" + "".join(self.stderr[-40:]))
                time.sleep(0.2)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def server(tool_model):
    srv = Server("--model", str(tool_model), "--served-model-name", "tiny", "--max-model-len", "1024",
                 "--max-new-tokens", "64", "--threads", "1")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def client(server):
    from openai import OpenAI

    return OpenAI(base_url=server.url, api_key="unused", max_retries=0, timeout=120)


def _user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def _calls(message) -> list[tuple[str, dict]]:
    return [(c.function.name, json.loads(c.function.arguments)) for c in (message.tool_calls or [])]


# ---------------------------------------------------------------------------------------------
# Reply parsing: streamed events == the whole-text reading == formats.parse
# ---------------------------------------------------------------------------------------------

FRAGMENTS = ["Let me check.", " ", "\n", "\n\n", "好的，", "<tool_call>", "</tool_call>",
             '\n{"name": "get_weather", "arguments": {"location": "Paris"}}\n',
             '{"name": "f", "arguments": {"s": "</tool_call>"}}', '{"name": "g", "arguments": {}}, {"name": "h"}',
             '{"name": "broken", "arguments": {', "calc(x=1)", '[{"name": "a", "arguments": {"k": [1, 2]}}]',
             "<think>", "</think>", "thinking...", "<|endoftext|>", "<|im_end|>", "<tool", "_call>", "<", "|",
             '{"name": "x", "arguments": {}}', "done."]


def _stream(text: str, cuts: list[int], parse_calls: bool = True):
    stream = ReplyStream(parse_calls)
    events, last = [], 0
    for cut in sorted(set(cuts)) + [len(text)]:
        events += stream.feed(text[last:cut])
        last = cut
    tail, reply = stream.finish()
    return events + tail, reply


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12), st.lists(st.integers(0, 400), max_size=12),
       st.booleans())
def test_streamed_reply_equals_whole_reply(pieces, cuts, parse_calls):
    text = "".join(pieces)
    events, reply = _stream(text, [c for c in cuts if c <= len(text)], parse_calls)
    whole = read_reply(text, parse_calls)
    assert (reply.content, reply.tool_calls, reply.reasoning, reply.errors) == \
        (whole.content, whole.tool_calls, whole.reasoning, whole.errors)
    content = "".join(e.text for e in events if isinstance(e, ContentDelta))
    calls = [e.call for e in events if isinstance(e, CallDelta)]
    assert [e.index for e in events if isinstance(e, CallDelta)] == list(range(len(calls)))
    assert content == whole.content
    assert calls == whole.tool_calls
    if parse_calls:
        parsed = parse(text)
        assert calls == parsed.tool_calls
        if not parsed.errors:
            assert content == parsed.content
            assert all("<tool_call>" not in e.text for e in events if isinstance(e, ContentDelta))
    else:
        assert calls == []


def test_reply_stream_commits_a_call_at_its_close_tag():
    stream = ReplyStream()
    text = 'Sure.\n<tool_call>\n{"name": "get_weather", "arguments": {"location": "Paris"}}\n</tool_call>'
    events = []
    for ch in text[:-1]:
        events += stream.feed(ch)
    assert [e.text for e in events] == ["S", "u", "r", "e", "."]  # no tag text, no trailing newline
    assert isinstance(stream.feed(">")[0], CallDelta)
    assert stream.finish()[1].tool_calls == [ToolCall("get_weather", {"location": "Paris"})]


def test_failed_call_text_is_kept_as_content():
    reply = read_reply('<tool_call>{"name": "f", "arguments": {</tool_call>')
    assert reply.tool_calls == [] and reply.errors
    assert reply.content == '<tool_call>{"name": "f", "arguments": {</tool_call>'


def test_end_marker_stops_the_stream():
    stream = ReplyStream()
    stream.feed("Hello<|endof")
    assert not stream.done
    stream.feed("text|>more")
    assert stream.done
    assert stream.finish()[1].content == "Hello"


def test_stop_strings_hold_back_a_possible_start():
    stops = StopStrings(["END", "##"])
    assert stops.push("abc E") == "abc "
    assert stops.push("abc EN") == ""
    assert stops.push("abc ENx") == "ENx"
    assert stops.push("abc ENx #") == " "
    assert stops.push("abc ENx ##tail") == ""
    assert stops.hit


def test_request_messages_become_canonical():
    from fctune.serving.protocol import ChatCompletionRequest, canonical, tool_choice_of

    request = ChatCompletionRequest.model_validate({
        "model": "m", "tools": [WEATHER], "messages": [
            {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": ASK},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": RESULT}]})
    messages, tools = canonical(request)
    assert messages == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": ASK},
        {"role": "assistant", "content": "", "tool_calls": [weather_call("Paris")]},
        {"role": "tool", "name": "get_weather", "content": RESULT}]
    assert tools == [WEATHER]
    assert tool_choice_of(request, tools) == ("auto", None)


def _request(messages: list[dict], tools: list[dict] | None = None):
    from fctune.serving.protocol import ChatCompletionRequest

    return ChatCompletionRequest.model_validate({"messages": messages, **({"tools": tools} if tools else {})})


_CALLED = _user(ASK) + [{"role": "assistant", "content": "", "tool_calls": [weather_call("Paris")]}]
BROKEN_HISTORIES = [  # (tools, messages, the problem data validate reports)
    ([{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {},
                                                                     "required": ["x"]}}}],
     _user("hi"), "'required' names parameter(s) not in 'properties': x"),
    ([{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"x": {"type": 5}}}}}],
     _user("hi"), "invalid JSON Schema"),
    ([{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}], _user("hi"),
     "parameters must be an object schema"),
    ([{"type": "function", "function": {"name": "get weather"}}], _user("hi"), "contains whitespace or quotes"),
    ([{"type": "function", "function": {"name": "f" * 129}}], _user("hi"), "longer than 128"),
    ([WEATHER, WEATHER], _user("hi"), "duplicate tool name 'get_weather'"),
    (TOOLS, _user("hi") + [{"role": "system", "content": "late"}, {"role": "user", "content": "x"}],
     "messages[1]: a system message may only come first"),
    (TOOLS, _user("hi") + [{"role": "tool", "name": "get_weather", "content": RESULT}],
     "messages[1]: tool result without a preceding assistant tool call"),
    (TOOLS, _CALLED + [{"role": "tool", "name": "get_time", "content": RESULT}],
     "messages[2]: tool result for 'get_time', but messages[1] called 'get_weather'"),
    (TOOLS, _user("hi") + [{"role": "assistant", "content": " "}, {"role": "user", "content": "x"}],
     "messages[1]: assistant turn with neither content nor tool calls"),
    (TOOLS, _user("hi") + [{"role": "user", "content": 5}], "messages[1]"),
]


@pytest.mark.parametrize("tools, messages, problem", BROKEN_HISTORIES)
def test_the_server_rejects_what_data_validate_rejects(tools, messages, problem):
    """One validator: a tool list or history that would be a broken training row (with an answer
    appended) is a 400 from the server, with the problem data validate names."""
    from pydantic import ValidationError

    from fctune.data.validate import check_row
    from fctune.serving.protocol import APIError, canonical

    _, problems = check_row({"tools": tools, "messages": messages + [{"role": "assistant", "content": "ok"}]})
    assert any(problem in p for p in problems), problems
    try:
        canonical(_request(messages, tools))
    except APIError as exc:
        assert exc.status == 400 and problem in exc.message, exc.message
    except ValidationError as exc:  # a type the request model already refuses (the server's 400 too)
        assert "messages.1" in str(exc)
    else:
        raise AssertionError(f"the server accepted: {problem}")


def test_a_request_history_is_not_held_to_label_rules():
    """What a row needs as a lesson but a request need not be: it may end on a user or tool turn,
    open with an assistant greeting, and hold a call the model got wrong (an undeclared tool, or
    arguments its schema refuses). Those are answered; data validate still rejects them as rows."""
    from fctune.data.validate import check_row
    from fctune.serving.protocol import canonical

    wrong_call = {"type": "function", "function": {"name": "get_weather", "arguments": {"city": 3}}}
    histories = [
        _user(ASK),
        [{"role": "assistant", "content": "Hello! How can I help?"}] + _user(ASK),
        _user(ASK) + [{"role": "assistant", "content": "", "tool_calls": [wrong_call]},
                      {"role": "tool", "name": "get_weather", "content": "error: no location"}],
        _user(ASK) + [{"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "book_flight", "arguments": {}}}]},
                      {"role": "tool", "name": "book_flight", "content": "unknown tool"}],
    ]
    for messages in histories:
        got, _ = canonical(_request(messages, TOOLS))
        assert [m["role"] for m in got] == [m["role"] for m in messages]
        assert check_row({"tools": TOOLS, "messages": messages})[1]


# ---------------------------------------------------------------------------------------------
# The engine: the streaming loop equals the batch path (generate), cancels, checks lengths
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tool_model):
    from fctune.serving.engine import Engine

    return Engine.load(str(tool_model), max_model_len=600, default_max_new_tokens=40)


@pytest.mark.slow
def test_engine_stream_equals_batch(engine):
    from fctune.serving.engine import SamplingParams

    cases = [(_user(ASK), TOOLS, "auto", {}), (_user(ASK_TWO), TOOLS, "auto", {}), (_user(ASK), TOOLS, "none", {}),
             (_user("你好，今天怎么样？"), None, "none", {}), (_user(ASK_TWO), TOOLS, "required", {}),
             (_user("hello"), TOOLS, "auto", {"stop": ["e", "\n"]}),
             (_user("hello"), None, "none", {"temperature": 0.9, "top_p": 0.9, "seed": 7})]
    for messages, tools, choice, extra in cases:
        prompt = engine.prompt(messages, tools, choice)
        params = SamplingParams(max_new_tokens=40, **extra)
        whole = engine.run(prompt, params)
        events = []
        streamed = engine.run(prompt, params, events.append)
        assert streamed.reply == whole.reply, (messages, choice)
        assert (streamed.finish_reason, streamed.completion_tokens) == (whole.finish_reason, whole.completion_tokens)
        assert "".join(e.text for e in events if isinstance(e, ContentDelta)) == whole.reply.content
        assert [e.call for e in events if isinstance(e, CallDelta)] == whole.reply.tool_calls


@pytest.mark.slow
def test_engine_cancel_and_limits(engine):
    import threading as _threading

    from fctune.serving.engine import PromptTooLong, SamplingParams

    cancel = _threading.Event()
    events = []

    def on_event(event):
        events.append(event)
        if len(events) == 2:
            cancel.set()

    prompt = engine.prompt(_user("tell me a long story"), None, "none")
    result = engine.run(prompt, SamplingParams(max_new_tokens=40), on_event, cancel)
    assert len(events) <= 3 and result.completion_tokens < 40

    named = engine.prompt(_user(ASK_TWO), TOOLS, "function", "get_weather")
    assert named.ids[-len(engine.fmt.encode(named.prefill)):] == engine.fmt.encode('<tool_call>\n{"name": "get_weather')
    with pytest.raises(PromptTooLong, match="maximum context length is 600"):
        engine.prompt(_user("word " * 700))
    with pytest.raises(PromptTooLong, match="in the completion"):
        engine.max_new_tokens_for(prompt, 590)
    assert engine.max_new_tokens_for(prompt, None) == 40


def whole_calls(text: str, engine) -> list[dict]:
    """The calls of ``text`` as canonical message calls."""
    return [{"type": "function", "function": c.as_dict()} for c in engine.fmt.parse(text).tool_calls]


@pytest.mark.slow
def test_call_decision_by_probability_mass(engine):
    """A call opens only when the model gives it at least ``call_threshold``; stream and batch agree."""
    from fctune.generate import generate
    from fctune.serving.engine import Engine, SamplingParams

    prompt = engine.prompt(_user(ASK_TWO), TOOLS, "auto")
    plain = generate(engine.model, engine.fmt, [prompt.ids], 40, progress=False)[0]
    ruled = generate(engine.model, engine.fmt, [prompt.ids], 40, progress=False, call_threshold=0.5)[0]
    p = ruled.call_probability
    assert plain.call_probability == pytest.approx(p) and 0.0 < p < 1.0 and plain.decision == ""
    assert ruled.token_ids[0] == engine.fmt.call_start_id == plain.token_ids[0] and p >= 0.5 and ruled.decision == ""
    assert engine.run(prompt, SamplingParams(max_new_tokens=40)).reply.tool_calls
    strict = Engine(engine.model, engine.fmt, max_model_len=600, call_threshold=min(1.0, p * 1.001 + 1e-6))
    params = SamplingParams(max_new_tokens=40)
    whole = strict.run(prompt, params)
    streamed = strict.run(prompt, params, lambda _event: None)
    assert not whole.reply.tool_calls and whole.reply == streamed.reply
    blocked = generate(engine.model, engine.fmt, [prompt.ids], 40, progress=False, call_threshold=strict.call_threshold)
    assert blocked[0].decision == "reply" and blocked.stats.forced_replies == 1
    assert blocked[0].token_ids[0] != engine.fmt.call_start_id
    # a forced prefix (tool_choice required) is not a decision: the call goes on
    required = strict.prompt(_user(ASK_TWO), TOOLS, "required")
    assert strict.run(required, params).reply.tool_calls
    # after a tool result the decision is not applied (it is calibrated on answers to users)
    after_tool = _user(ASK_TWO) + [{"role": "assistant", "content": "", "tool_calls": whole_calls(ruled.text, engine)},
                                   {"role": "tool", "name": "get_weather", "content": "{\"temp\": 21}"}]
    assert strict.prompt(after_tool, TOOLS, "auto").decides is False and prompt.decides is True
    assert strict._threshold(strict.prompt(after_tool, TOOLS, "auto")) == 0.0
    # unless the after-tool rule calibrated there is a threshold
    ruled_after = Engine(engine.model, engine.fmt, call_threshold=0.4, after_tool_threshold=0.7)
    assert ruled_after.prompt(after_tool, TOOLS, "auto").after_tool and not prompt.after_tool
    assert ruled_after._threshold(ruled_after.prompt(after_tool, TOOLS, "auto")) == 0.7
    assert ruled_after._threshold(prompt) == 0.4 and ruled_after._threshold(required) == 0.0
    with pytest.raises(Exception, match="between 0 and 1"):
        Engine(engine.model, engine.fmt, call_threshold=1.5)


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_models_endpoint(client):
    assert [m.id for m in client.models.list().data] == ["tiny"]


@pytest.mark.slow
def test_tool_call_round_trip(client):
    first = client.chat.completions.create(model="tiny", messages=_user(ASK), tools=TOOLS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == PREFACE
    (call,) = choice.message.tool_calls
    assert re.fullmatch(r"call_[0-9a-f]{24}", call.id) and call.type == "function"
    assert call.function.name == "get_weather"
    assert isinstance(call.function.arguments, str) and json.loads(call.function.arguments) == {"location": "Paris"}
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens > 0

    history = _user(ASK) + [choice.message.model_dump(exclude_none=True),
                            {"role": "tool", "tool_call_id": call.id, "content": RESULT}]
    second = client.chat.completions.create(model="tiny", messages=history, tools=TOOLS)
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == ANSWER
    assert not second.choices[0].message.tool_calls


@pytest.mark.slow
def test_served_calls_equal_parse_of_generated_text(client, tool_model):
    from fctune.formats import ChatFormat
    from fctune.generate import generate
    from fctune.models import load_model

    model, tokenizer = load_model(str(tool_model))
    fmt = ChatFormat(tokenizer)
    for text in (ASK, ASK_TWO):
        generated = generate(model, fmt, [fmt.prompt_ids(_user(text), TOOLS)], max_new_tokens=64, progress=False)[0]
        expected = parse(generated.text)
        assert expected.tool_calls and not expected.errors
        served = client.chat.completions.create(model="tiny", messages=_user(text), tools=TOOLS)
        assert [ToolCall(n, a) for n, a in _calls(served.choices[0].message)] == expected.tool_calls
        assert (served.choices[0].message.content or "") == expected.content
        assert served.usage.completion_tokens == generated.completion_tokens


def _collect(stream):
    chunks = list(stream)
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    return chunks, content, calls, finish


@pytest.mark.slow
@pytest.mark.parametrize("text", [ASK, ASK_TWO])
def test_streaming_with_tools(client, text):
    whole = client.chat.completions.create(model="tiny", messages=_user(text), tools=TOOLS)
    chunks, content, calls, finish = _collect(client.chat.completions.create(
        model="tiny", messages=_user(text), tools=TOOLS, stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all("<tool_call>" not in piece and "</tool_call>" not in piece for piece in content)
    assert "".join(content) == (whole.choices[0].message.content or "")
    assert [tc.index for tc in calls] == list(range(len(whole.choices[0].message.tool_calls)))
    for tc in calls:
        assert re.fullmatch(r"call_[0-9a-f]{24}", tc.id) and tc.type == "function"
    assert [(tc.function.name, json.loads(tc.function.arguments)) for tc in calls] == _calls(whole.choices[0].message)
    assert finish == ["tool_calls"]
    assert chunks[-1].choices == [] and chunks[-1].usage.model_dump() == whole.usage.model_dump()


@pytest.mark.slow
def test_tool_choice_none_renders_without_tools(client):
    for stream in (False, True):
        kwargs = dict(model="tiny", messages=_user(ASK), tools=TOOLS, tool_choice="none")
        if stream:
            _, content, calls, finish = _collect(client.chat.completions.create(stream=True, **kwargs))
            assert "".join(content) == NO_TOOLS_ANSWER and calls == [] and finish == ["stop"]
        else:
            choice = client.chat.completions.create(**kwargs).choices[0]
            assert choice.message.content == NO_TOOLS_ANSWER
            assert not choice.message.tool_calls and choice.finish_reason == "stop"


@pytest.mark.slow
def test_tool_choice_required_and_named(client):
    for choice in ("required", {"type": "function", "function": {"name": "get_weather"}}):
        out = client.chat.completions.create(model="tiny", messages=_user(ASK_TWO), tools=TOOLS, tool_choice=choice)
        assert _calls(out.choices[0].message) == [("get_weather", {"location": "Paris"}),
                                                  ("get_weather", {"location": "Tokyo"})]
        assert out.choices[0].finish_reason == "tool_calls"


@pytest.mark.slow
def test_stop_sequences_and_length(client):
    history = _user(ASK) + [{"role": "assistant", "content": PREFACE, "tool_calls": [
        {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": RESULT}]
    cut = client.chat.completions.create(model="tiny", messages=history, tools=TOOLS, stop=[" sunny"])
    assert cut.choices[0].message.content == "It is 18 °C and" and cut.choices[0].finish_reason == "stop"
    _, content, _, finish = _collect(client.chat.completions.create(
        model="tiny", messages=history, tools=TOOLS, stop=" sunny", stream=True))
    assert "".join(content) == "It is 18 °C and" and finish == ["stop"]
    short = client.chat.completions.create(model="tiny", messages=history, tools=TOOLS, max_tokens=3)
    assert short.choices[0].finish_reason == "length" and short.usage.completion_tokens == 3
    assert ANSWER.startswith(short.choices[0].message.content)


@pytest.mark.slow
def test_concurrent_requests_do_not_mix(client):
    history = _user(ASK) + [{"role": "assistant", "content": PREFACE, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "c", "content": RESULT}]
    requests = [dict(messages=_user(ASK), tools=TOOLS), dict(messages=_user(ASK_TWO), tools=TOOLS),
                dict(messages=_user(ASK), tools=TOOLS, tool_choice="none"), dict(messages=history, tools=TOOLS),
                dict(messages=_user("hello there"), max_tokens=12), dict(messages=_user(ASK_TWO), tools=TOOLS, stream=True)]

    def ask(kwargs):
        if kwargs.get("stream"):
            _, content, calls, finish = _collect(client.chat.completions.create(model="tiny", **kwargs))
            return "".join(content), [(c.function.name, json.loads(c.function.arguments)) for c in calls], finish[0]
        choice = client.chat.completions.create(model="tiny", **kwargs).choices[0]
        return choice.message.content or "", _calls(choice.message), choice.finish_reason

    alone = [ask(r) for r in requests]
    results: dict[int, object] = {}
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, ask(requests[i % len(requests)])))
               for i in range(2 * len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert [results[i] for i in range(len(threads))] == alone + alone


@pytest.mark.slow
def test_bad_requests_get_openai_errors(client, server):
    import httpx
    import openai

    base = server.url
    raw = httpx.post(f"{base}/chat/completions", content=b'{"model": "tiny", "messages": [', timeout=30,
                     headers={"content-type": "application/json"})
    assert raw.status_code == 400 and raw.json()["error"]["code"] == "invalid_json"
    assert set(raw.json()["error"]) >= {"message", "type", "code"}
    not_object = httpx.post(f"{base}/chat/completions", content=b"[1, 2]", timeout=30,
                            headers={"content-type": "application/json"})
    assert not_object.status_code == 400 and "JSON object" in not_object.json()["error"]["message"]

    bad = [
        dict(messages=[{"role": "robot", "content": "hi"}]),
        dict(messages=[]),
        dict(messages=_user("hi"), tools=[{"type": "function", "function": {"description": "no name"}}]),
        dict(messages=_user("hi"), tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}]),
        dict(messages=_user("hi"), tools=[WEATHER, WEATHER]),
        dict(messages=_user("hi"), n=2),
        dict(messages=_user("hi"), tools=TOOLS, tool_choice={"type": "function", "function": {"name": "nope"}}),
        dict(messages=_user("hi"), tool_choice="required"),
        dict(messages=_user("hi"), temperature=5),
        dict(messages=_user("hi"), logprobs=True),
        dict(messages=_user("hi"), max_tokens=2000),
        dict(messages=_user("word " * 1500)),
        dict(messages=_user(ASK) + [{"role": "assistant", "tool_calls": [
            {"id": "x", "type": "function", "function": {"name": "get_weather", "arguments": "{not json"}}]}]),
        dict(messages=_user(ASK) + [{"role": "assistant", "tool_calls": [  # nested past the recursion limit
            {"id": "x", "type": "function", "function": {"name": "get_weather", "arguments": "[" * 5000}}]}]),
    ]
    for kwargs in bad:
        with pytest.raises(openai.BadRequestError) as info:
            client.chat.completions.create(model="tiny", **kwargs)
        error = info.value.body
        assert isinstance(error, dict) and error.get("message") and error.get("type") == "invalid_request_error", kwargs
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="tiny", messages=_user("word " * 1500))
    assert info.value.code == "context_length_exceeded"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="some-other-model", messages=_user("hi"))
    assert httpx.get(base.replace("/v1", "/nowhere"), timeout=30).json()["error"]["code"] == "not_found"
    # the server is still fine
    assert client.chat.completions.create(model="tiny", messages=_user(ASK), tools=TOOLS).choices[0].message.tool_calls


# ---------------------------------------------------------------------------------------------
# Limits: big bodies, strict types, a queue that answers 429 instead of stalling
# ---------------------------------------------------------------------------------------------


def test_big_bodies_get_413_while_health_answers_at_once(server):
    """Four clients sending 10 MB bodies: each gets 413 (Content-Length or counted chunks), and
    /health keeps answering within a second meanwhile."""
    import httpx

    big = b'{"messages": [{"role": "user", "content": "' + b"x" * (10 * 1024 * 1024) + b'"}]}'
    statuses: list[int] = []

    def send(chunked: bool) -> None:
        body = (big[i:i + 65536] for i in range(0, len(big), 65536)) if chunked else big
        try:
            r = httpx.post(server.url + "/chat/completions", content=body, timeout=60,
                           headers={"Content-Type": "application/json"})
            statuses.append(r.status_code)
            assert r.json()["error"]["code"] == "request_too_large"
        except httpx.HTTPError:  # the server may close the connection while a chunked body is still sent
            statuses.append(413)

    threads = [threading.Thread(target=send, args=(i % 2 == 1,)) for i in range(4)]
    for t in threads:
        t.start()
    slowest = 0.0
    while any(t.is_alive() for t in threads):
        start = time.monotonic()
        assert httpx.get(server.url.replace("/v1", "/health"), timeout=5).status_code == 200
        slowest = max(slowest, time.monotonic() - start)
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert statuses == [413] * 4 and slowest < 1.0, (statuses, slowest)


@pytest.mark.parametrize("field, value", [("temperature", "0.5"), ("stream", "yes"), ("max_tokens", True),
                                          ("seed", 2**70), ("seed", -(2**64)), ("parallel_tool_calls", "false")])
def test_values_of_the_wrong_type_or_range_are_400(server, field, value):
    import httpx

    for stream in (False, True):
        body = {"messages": _user("hi"), field: value}
        if field != "stream":
            body["stream"] = stream
        r = httpx.post(server.url + "/chat/completions", json=body, timeout=60)
        assert r.status_code == 400, (field, value, r.status_code, r.text[:300])
        assert field in r.json()["error"]["message"]


LONG = {"messages": [{"role": "user", "content": "hello there"}], "max_tokens": 900}


def _send_and_drop(url: str, body: dict, after: float) -> None:
    """Send ``body`` over a raw socket (reading a streamed answer's first bytes) and close the
    connection ``after`` seconds: a client that went away."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    data = json.dumps(body).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(f"POST {parts.path}/chat/completions HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
        if body.get("stream"):
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(after)


@pytest.mark.slow
def test_a_client_that_goes_away_frees_the_model_at_once(tmp_path):
    """A long answer (900 tokens) whose client disconnects, whole or streamed, is cancelled: the next
    request is answered in a fraction of the time the long one takes alone. (A random tiny model:
    it never ends its turn on its own.)"""
    import httpx

    from fctune.models import make_tiny_qwen3

    srv = Server("--model", str(make_tiny_qwen3(tmp_path / "random")), "--threads", "1")
    try:
        start = time.monotonic()
        alone = httpx.post(srv.url + "/chat/completions", json=LONG, timeout=300).json()
        long_s = time.monotonic() - start
        assert alone["usage"]["completion_tokens"] == 900, alone["usage"]  # it really runs to its limit
        for stream in (False, True):
            _send_and_drop(srv.url, {**LONG, "stream": stream}, after=0.3)
            start = time.monotonic()
            short = httpx.post(srv.url + "/chat/completions", timeout=300,
                               json={"messages": _user("hi"), "max_tokens": 1})
            waited = time.monotonic() - start
            assert short.status_code == 200
            assert waited < long_s / 4, (stream, waited, long_s)
    finally:
        srv.stop()


def test_more_waiting_requests_than_allowed_get_429_not_a_stall(tool_model):
    import httpx

    srv = Server("--model", str(tool_model), "--max-waiting", "1", "--max-new-tokens", "64", "--threads", "1")
    try:
        results: list[httpx.Response] = []

        def ask() -> None:
            results.append(httpx.post(srv.url + "/chat/completions", timeout=120,
                                      json={"messages": _user("hello there"), "max_tokens": 64}))

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        srv.stop()
    codes = sorted(r.status_code for r in results)
    assert set(codes) == {200, 429}, codes
    busy = [r for r in results if r.status_code == 429]
    assert all(r.headers.get("Retry-After") and r.json()["error"]["code"] == "server_busy" for r in busy)
