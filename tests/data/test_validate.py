"""The validator: every check, every problem reported at its line, statistics, token lengths."""

from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fctune.data.schema import write_jsonl
from fctune.data.seed import seed_conversations
from fctune.data.validate import check_row, percentile, validate_file
from tests.helpers import run_fctune


def _error_lines(path, text: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(rf"^{re.escape(str(path))}:(\d+): ", text, re.MULTILINE)]


# --------------------------------------------------------------------------- acceptance


def test_seed_file_validates_and_four_corruptions_are_reported_at_their_lines(tmp_path):
    seed = tmp_path / "s.jsonl"
    assert run_fctune("data", "seed", "--out", str(seed)).returncode == 0
    proc = run_fctune("data", "validate", str(seed))
    assert proc.returncode == 0, proc.stderr
    assert "15 samples" in proc.stdout
    assert _error_lines(seed, proc.stdout + proc.stderr) == []

    lines = seed.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    # (a) line 2: an argument of the wrong type
    rows[1]["messages"][1]["tool_calls"][0]["function"]["arguments"]["location"] = 123
    lines[1] = json.dumps(rows[1], ensure_ascii=False)
    # (b) line 5: a truncated JSON line
    lines[4] = lines[4][: len(lines[4]) // 2]
    # (c) line 7: a call to an undeclared tool
    rows[6]["messages"][1]["tool_calls"][0]["function"]["name"] = "search_internet"
    lines[6] = json.dumps(rows[6], ensure_ascii=False)
    # (d) line 10: a tool message with no preceding call
    rows[9]["messages"].insert(1, {"role": "tool", "name": "translate_text", "content": "Hello"})
    lines[9] = json.dumps(rows[9], ensure_ascii=False)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    proc = run_fctune("data", "validate", str(bad))
    assert proc.returncode == 1
    assert _error_lines(bad, proc.stderr) == [2, 5, 7, 10]
    assert f"{bad}:2: messages[1]: call 'get_weather' argument 'location': 123 is not of type 'string'" in proc.stderr
    assert f"{bad}:5: invalid JSON" in proc.stderr
    assert f"{bad}:7: messages[1]: call to undeclared tool 'search_internet'" in proc.stderr
    assert f"{bad}:10: messages[1]: tool result without a preceding assistant tool call" in proc.stderr
    assert "15 rows, 11 samples valid, 4 error(s)" in proc.stdout


# --------------------------------------------------------------------------- each check

TOOL = {"type": "function", "function": {"name": "get_weather", "description": "天气", "parameters": {
    "type": "object", "properties": {"location": {"type": "string"}, "days": {"type": "integer"},
                                     "units": {"type": "string", "enum": ["c", "f"]}},
    "required": ["location", "days"]}}}


def _row(**changes):
    row = {"tools": [copy.deepcopy(TOOL)], "messages": [
        {"role": "user", "content": "北京未来三天天气"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"location": "北京", "days": 3}}}]},
        {"role": "tool", "name": "get_weather", "content": "晴"},
        {"role": "assistant", "content": "未来三天都是晴天。"}]}
    row.update(changes)
    return row


def _args(args):
    row = _row()
    row["messages"][1]["tool_calls"][0]["function"]["arguments"] = args
    return row


def _messages(*msgs):
    return _row(messages=list(msgs))


U = {"role": "user", "content": "北京天气"}
A = {"role": "assistant", "content": "好的"}
CALL = {"role": "assistant", "content": "", "tool_calls": [
    {"function": {"name": "get_weather", "arguments": {"location": "北京", "days": 1}}}]}
T = {"role": "tool", "content": "晴"}


@pytest.mark.parametrize("row, expected", [
    ("not json object", ["row must be a JSON object, got string"]),
    ({"tools": []}, ["missing 'messages'"]),
    (_row(messages=[]), ["'messages' is empty"]),
    (_messages(U, {"role": "bot", "content": "x"}, A), ["messages[1]: unknown role 'bot'"]),
    (_messages(A, U, A), ["messages[0]: assistant turn before any user turn"]),
    (_messages(U, CALL, T), ["messages[2]: the conversation must end with an assistant turn (it ends with a tool message)"]),
    (_messages(U, T, A), ["messages[1]: tool result without a preceding assistant tool call"]),
    (_messages(U, A, T, A), ["messages[2]: tool result without a preceding assistant tool call"]),
    (_messages(U, CALL, T, T, A), []),  # further tool messages after the first are fine
    (_messages(U, CALL, T, U, T, A), ["messages[4]: tool result without a preceding assistant tool call"]),
    (_messages(U, CALL), []),  # ending with a call is fine
    (_messages(U, A, {"role": "system", "content": "x"}, U, A), ["messages[2]: a system message may only come first"]),
    (_messages(U, {"role": "assistant", "content": "  "}), ["messages[1]: assistant turn with neither content nor tool calls"]),
    (_messages(U, {"role": "assistant", "content": None, "tool_calls": []}),
     ["messages[1]: assistant turn with neither content nor tool calls"]),
    (_messages(U, CALL, {"role": "tool", "name": "other", "content": "x"}, A),
     ["messages[2]: tool result for 'other', but messages[1] called 'get_weather'"]),
    (_messages(U, {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "foo", "arguments": {}}}]}),
     ["messages[1]: call to undeclared tool 'foo'"]),
    (_row(tools=[TOOL, TOOL]), ["tools[1]: duplicate tool name 'get_weather'"]),
    (_row(tools=[TOOL, {"type": "function", "function": {"description": "x"}}]), ["tools[1]: missing function name"]),
    (_row(tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "string"}}}]),
     ["tools[0] ('get_weather'): parameters must be an object schema (type 'object'), got 'string'"]),
    (_row(tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"location": {"type": "strng"}}}}}]),
     ["tools[0] ('get_weather'): invalid JSON Schema"]),
    (_row(tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"location": {"type": "string"}}, "required": ["city"]}}}]),
     ["tools[0] ('get_weather'): 'required' names parameter(s) not in 'properties': city"]),
    (_args("{\"location\": \"北京\""), ["messages[1].tool_calls[0]: call 'get_weather': arguments are not valid JSON"]),
    (_args("[\"北京\"]"), ["messages[1].tool_calls[0]: call 'get_weather': arguments must be a JSON object, got array"]),
    (_args(["北京"]), ["messages[1].tool_calls[0]: call 'get_weather': arguments must be a JSON object, got array"]),
    (_args({"location": "北京"}), ["messages[1]: call 'get_weather' is missing required argument(s): days"]),
    (_args({}), ["messages[1]: call 'get_weather' is missing required argument(s): location, days"]),
    (_args({"location": "北京", "days": "3"}), ["messages[1]: call 'get_weather' argument 'days': '3' is not of type 'integer'"]),
    (_args({"location": "北京", "days": 3, "units": "k"}), ["messages[1]: call 'get_weather' argument 'units': 'k' is not one of ['c', 'f']"]),
    (_args({"location": "北京", "days": 3, "city": "x"}),
     ["messages[1]: call 'get_weather' has argument(s) not in the tool's parameters: city"]),
    (_args("{\"location\": \"北京\", \"days\": 3}"), []),  # JSON-string arguments are accepted
    (_row(group="pair-1"), []),  # rows sharing a group train in one step
    (_row(group=7), ["group must be a non-empty string, got number"]),
    (_row(group=""), ["group must be a non-empty string, got an empty string"]),
])
def test_check_row(row, expected):
    conv, problems = check_row(row)
    assert len(problems) == len(expected), problems
    for problem, want in zip(problems, expected):
        assert problem.startswith(want), (problem, want)
    assert (conv is None) == bool(expected)
    if conv is not None and isinstance(row, dict):
        assert conv.get("group") == row.get("group")  # kept as written


def test_check_row_reports_every_problem_of_a_row():
    row = _messages({"role": "tool", "content": "x"}, U,
                    {"role": "assistant", "content": "", "tool_calls": [
                        {"function": {"name": "foo", "arguments": {}}},
                        {"function": {"name": "get_weather", "arguments": {"location": 1, "days": 2}}}]},
                    {"role": "user", "content": "谢谢"})
    _, problems = check_row(row)
    assert problems == [
        "messages[0]: tool result without a preceding assistant tool call",
        "messages[2]: call to undeclared tool 'foo'",
        "messages[2]: call 'get_weather' argument 'location': 1 is not of type 'string'",
        "messages[3]: the conversation must end with an assistant turn (it ends with a user message)",
    ]


def test_bfcl_aliases_are_accepted_in_tool_schemas():
    tool = {"name": "math.hypot", "description": "", "parameters": {"type": "dict", "properties": {
        "x": {"type": "float"}, "point": {"type": "tuple", "items": {"type": "integer"}},
        "extra": {"type": "any"}, "opts": {"type": "dict", "properties": {}}}, "required": ["x"]}}
    row = {"tools": [tool], "messages": [U, {"role": "assistant", "content": "", "tool_calls": [
        {"name": "math.hypot", "arguments": {"x": 3, "point": [1, 2], "extra": None, "opts": {}}}]}]}
    conv, problems = check_row(row)
    assert problems == []
    assert conv["tools"][0]["function"]["parameters"]["type"] == "dict"  # kept as written
    row["messages"][1]["tool_calls"][0]["arguments"] = {"x": "3", "point": [1.5]}
    _, problems = check_row(row)
    assert problems == ["messages[1]: call 'math.hypot' argument 'point.0': 1.5 is not of type 'integer'",
                        "messages[1]: call 'math.hypot' argument 'x': '3' is not of type 'number'"]


# --------------------------------------------------------------------------- statistics


def test_statistics_json(tmp_path):
    convs = seed_conversations()
    multi = copy.deepcopy(convs[0])
    multi["messages"] += [{"role": "tool", "name": "get_weather", "content": "{\"天气\": \"晴\"}"},
                          {"role": "assistant", "content": "", "tool_calls": [
                              {"type": "function", "function": {"name": "get_current_time", "arguments": {}}}]},
                          {"role": "tool", "name": "get_current_time", "content": "10:00"},
                          {"role": "assistant", "content": "北京今天晴，现在是十点。"}]
    chat = {"tools": [], "messages": [{"role": "system", "content": "Be brief."},
                                      {"role": "user", "content": "Tell me a joke"},
                                      {"role": "assistant", "content": "Why did the chicken cross the road?"}]}
    path = tmp_path / "d.jsonl"
    write_jsonl(path, convs + [multi, chat])
    report = validate_file(path)
    assert report.errors == [] and report.too_long == []
    s = report.stats
    assert s["samples"] == 17 and s["rows"] == 17 and s["errors"] == 0 and s["too_long"] == 0
    assert s["turns"] == 15 * 2 + 6 + 3
    assert s["assistant_turns"] == 15 + 3 + 1
    assert s["calls_per_sample_max"] == 2
    assert s["calls_per_sample_mean"] == round((16 + 2 + 0) / 17, 3)
    assert s["parallel_share"] == round(1 / 17, 4)
    assert s["multi_step_share"] == round(1 / 17, 4)
    assert s["no_call_share"] == round(1 / 17, 4)
    assert s["languages"] == {"en": 1, "zh": 16}
    assert s["distinct_tools_called"] == 11 and s["distinct_tools_declared"] == 11
    assert "token_length" not in s

    proc = run_fctune("data", "validate", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == s


def test_percentile_nearest_rank():
    assert percentile([], 50) == 0
    assert percentile([5], 99) == 5
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 90), percentile(values, 99)) == (50, 90, 99)
    assert percentile([3, 1, 2], 50) == 2


def test_token_lengths_with_the_real_qwen3_tokenizer(tmp_path, qwen3_tokenizer, qwen3_tokenizer_dir):
    from fctune.formats import ChatFormat

    path = tmp_path / "s.jsonl"
    convs = seed_conversations()
    write_jsonl(path, convs)
    fmt = ChatFormat(qwen3_tokenizer)
    lengths = [max(len(item.input_ids) for item in fmt.render_training(c)) for c in convs]
    assert all(150 < n < 1024 for n in lengths)

    report = validate_file(path, tokenizer=qwen3_tokenizer)
    assert report.errors == [] and report.too_long == []
    t = report.stats["token_length"]
    ordered = sorted(lengths)
    assert t == {"p50": ordered[7], "p90": ordered[13], "p99": ordered[14], "max": max(lengths)}
    assert report.stats["max_length"] == 1024

    limit = ordered[10]
    report = validate_file(path, tokenizer=qwen3_tokenizer, max_length=limit)
    expected = [(i + 1, n) for i, n in enumerate(lengths) if n > limit]
    assert report.too_long == expected and len(expected) == 4
    assert report.errors == []  # a warning, not an error

    proc = run_fctune("data", "validate", str(path), "--tokenizer", str(qwen3_tokenizer_dir),
                   "--max-length", str(limit), "--json")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    assert stats["too_long"] == 4 and stats["token_length"] == t
    assert stats["too_long_samples"] == [{"line": line, "tokens": n} for line, n in expected]
    for line, n in expected:
        assert f"{path}:{line}: warning: sample has {n} tokens, longer than {limit}" in proc.stderr



def test_token_length_table(tmp_path, qwen3_tokenizer_dir, capsys):
    from fctune.cli import main

    path = tmp_path / "s.jsonl"
    write_jsonl(path, seed_conversations()[:3])
    with pytest.raises(SystemExit) as info:
        main(["data", "validate", str(path), "--tokenizer", str(qwen3_tokenizer_dir)])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert re.search(r"token length .*p50 \d+, p90 \d+, p99 \d+, max \d+", out)
    assert "longer than 1024" in out


# --------------------------------------------------------------------------- properties

IDENT = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
TYPES = {
    "string": st.text(min_size=1, max_size=8),
    "integer": st.integers(-10_000, 10_000),
    "number": st.floats(allow_nan=False, allow_infinity=False, width=32),
    "boolean": st.booleans(),
    "array": st.lists(st.text(max_size=4), max_size=3),
}
ALIASES = {"string": ["string", "str"], "integer": ["integer", "int"], "number": ["number", "float"],
           "boolean": ["boolean", "bool"], "array": ["array", "tuple"]}
WRONG = {"string": 12345, "integer": "x", "number": "x", "boolean": "x", "array": "x"}


@st.composite
def tools(draw):
    name = draw(IDENT)
    params = draw(st.dictionaries(IDENT, st.sampled_from(sorted(TYPES)), min_size=1, max_size=4))
    required = draw(st.lists(st.sampled_from(sorted(params)), min_size=1, unique=True))
    props = {}
    for p, t in params.items():
        props[p] = {"type": draw(st.sampled_from(ALIASES[t])), "description": p}
        if t == "array":
            props[p]["items"] = {"type": "string"}
    return {"type": "function", "function": {"name": name, "description": draw(st.text(max_size=10)),
            "parameters": {"type": draw(st.sampled_from(["object", "dict"])), "properties": props,
                           "required": required}}}, params


@st.composite
def calls(draw, toolset):
    tool, params = draw(st.sampled_from(toolset))
    fn = tool["function"]
    args = {}
    for p, t in params.items():
        if p in fn["parameters"]["required"] or draw(st.booleans()):
            args[p] = draw(TYPES[t])
    return {"type": "function", "function": {"name": fn["name"], "arguments": args}}


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12).filter(str.strip)


@st.composite
def conversations(draw):
    """Random valid conversations: at least one call; parallel calls, multi-step, tool results."""
    toolset = draw(st.lists(tools(), min_size=1, max_size=4, unique_by=lambda t: t[0]["function"]["name"]))
    messages = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(TEXT)})
    for round_ in range(draw(st.integers(1, 3))):
        messages.append({"role": "user", "content": draw(TEXT)})
        for _step in range(draw(st.integers(1 if round_ == 0 else 0, 2))):
            turn = draw(st.lists(calls(toolset), min_size=1, max_size=3))
            messages.append({"role": "assistant", "content": draw(st.sampled_from(["", "好的。"])),
                             "tool_calls": turn})
            for call in turn:
                messages.append({"role": "tool", "name": call["function"]["name"], "content": draw(TEXT)})
        messages.append({"role": "assistant", "content": draw(TEXT)})
    return {"tools": [t for t, _ in toolset], "messages": messages}


def _first_call(conv):
    for i, m in enumerate(conv["messages"]):
        if m.get("tool_calls"):
            return i, m["tool_calls"][0]
    raise AssertionError("no call")


def _corrupt(conv, kind):
    """Apply one corruption; return the text the problem list must contain."""
    i, call = _first_call(conv)
    fn = call["function"]
    tool = next(t["function"] for t in conv["tools"] if t["function"]["name"] == fn["name"])
    props = tool["parameters"]["properties"]
    if kind == "undeclared":
        fn["name"] = "zz_not_declared"
        return f"messages[{i}]: call to undeclared tool 'zz_not_declared'"
    if kind == "wrong_type":
        key = tool["parameters"]["required"][0]
        base = {a: t for t, names in ALIASES.items() for a in names}[props[key]["type"]]
        fn["arguments"][key] = WRONG[base]
        return f"messages[{i}]: call '{fn['name']}' argument '{key}': "
    if kind == "missing_required":
        key = tool["parameters"]["required"][0]
        del fn["arguments"][key]
        return f"messages[{i}]: call '{fn['name']}' is missing required argument(s): "
    if kind == "extra_argument":
        fn["arguments"]["zz_extra_arg"] = 1
        return "not in the tool's parameters: zz_extra_arg"
    if kind == "bad_json":
        fn["arguments"] = json.dumps(fn["arguments"])[:-1]
        return "arguments are not valid JSON"
    if kind == "orphan_tool":
        first_user = next(k for k, m in enumerate(conv["messages"]) if m["role"] == "user")
        conv["messages"].insert(first_user + 1, {"role": "tool", "content": "x"})
        return f"messages[{first_user + 1}]: tool result without a preceding assistant tool call"
    if kind == "ends_with_user":
        conv["messages"].append({"role": "user", "content": "还有吗？"})
        return "the conversation must end with an assistant turn"
    if kind == "no_user":
        conv["messages"] = [m for m in conv["messages"] if m["role"] != "user"]
        return "assistant turn before any user turn"
    if kind == "unknown_role":
        conv["messages"][-1]["role"] = "bot"
        return "unknown role 'bot'"
    if kind == "empty_assistant":
        conv["messages"][-1] = {"role": "assistant", "content": ""}
        return "assistant turn with neither content nor tool calls"
    if kind == "duplicate_tool":
        conv["tools"].append(copy.deepcopy(conv["tools"][0]))
        return f"duplicate tool name '{conv['tools'][0]['function']['name']}'"
    if kind == "bad_schema":
        conv["tools"][0]["function"]["parameters"]["properties"]["zz"] = {"type": "strnig"}
        return "invalid JSON Schema"
    if kind == "empty_messages":
        conv["messages"] = []
        return "'messages' is empty"
    raise AssertionError(kind)


KINDS = ["undeclared", "wrong_type", "missing_required", "extra_argument", "bad_json", "orphan_tool",
         "ends_with_user", "no_user", "unknown_role", "empty_assistant", "duplicate_tool", "bad_schema",
         "empty_messages"]
FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(conversations())
def test_random_valid_conversations_pass(conv):
    normalized, problems = check_row(conv)
    assert problems == []
    assert normalized == conv
    # the OpenAI wire form (arguments as JSON text) normalises to the same conversation
    wire = copy.deepcopy(conv)
    for m in wire["messages"]:
        for c in m.get("tool_calls") or []:
            c["function"]["arguments"] = json.dumps(c["function"]["arguments"])
    assert check_row(wire) == (conv, [])


@FAST
@given(conversations(), st.sampled_from(KINDS))
def test_random_single_corruptions_are_caught(conv, kind):
    bad = copy.deepcopy(conv)
    expected = _corrupt(bad, kind)
    normalized, problems = check_row(bad)
    assert normalized is None
    assert any(expected in p for p in problems), (kind, expected, problems)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(conversations(), min_size=1, max_size=5), st.data())
def test_random_files_report_the_corrupted_lines(tmp_path_factory, convs, data):
    corrupted = sorted(set(data.draw(st.lists(st.integers(0, len(convs) - 1), max_size=len(convs)))))
    rows = copy.deepcopy(convs)
    for k in corrupted:
        _corrupt(rows[k], data.draw(st.sampled_from(KINDS)))
    path = tmp_path_factory.mktemp("v") / "d.jsonl"
    write_jsonl(path, rows)
    report = validate_file(path)
    assert sorted({e.line for e in report.errors}) == [k + 1 for k in corrupted]
    assert report.stats["samples"] == len(convs) - len(corrupted)
    assert report.stats["invalid_rows"] == len(corrupted)
