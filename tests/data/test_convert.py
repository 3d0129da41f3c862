"""Converters: each public shape, broken rows reported at their lines, the output validates."""

from __future__ import annotations

import json

import pytest

from fctune.data.convert import convert_file, parse_call_text, python_type_schema, xlam_parameters
from fctune.data.io import load_conversations
from fctune.data.validate import validate_file
from tests.helpers import run_fctune


def _jsonl(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def _convert(tmp_path, fmt, src):
    out = tmp_path / "out.jsonl"
    written, errors = convert_file(fmt, src, out)
    report = validate_file(out)
    assert report.errors == [], report.errors  # what is written always validates
    assert report.stats["samples"] == written
    return load_conversations(out) if written else [], errors


def _calls(conv, turn=None):
    msgs = [m for m in conv["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
    return [c["function"] for m in (msgs if turn is None else [msgs[turn]]) for c in m["tool_calls"]]


# --------------------------------------------------------------------------- openai

OPENAI_OK = {
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What's the weather like in Boston today?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_abc123", "type": "function",
             "function": {"name": "get_current_weather", "arguments": "{\"location\": \"Boston, MA\", \"unit\": \"fahrenheit\"}"}}]},
        {"role": "tool", "tool_call_id": "call_abc123", "content": "{\"temperature\": 72, \"condition\": \"sunny\"}"},
        {"role": "assistant", "content": "It's sunny and 72°F in Boston today."},
    ],
    "tools": [{"type": "function", "function": {
        "name": "get_current_weather", "description": "Get the current weather in a given location",
        "parameters": {"type": "object", "properties": {
            "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}}],
}
OPENAI_LEGACY = {
    "functions": [{"name": "get_stock_price", "description": "Get a stock price",
                   "parameters": {"type": "object", "properties": {"symbol": {"type": "string"}}, "required": ["symbol"]}}],
    "messages": [
        {"role": "user", "content": "How is AAPL doing?"},
        {"role": "assistant", "content": None, "function_call": {"name": "get_stock_price", "arguments": "{\"symbol\": \"AAPL\"}"}},
        {"role": "function", "name": "get_stock_price", "content": "{\"price\": 189.5}"},
        {"role": "assistant", "content": "AAPL is trading at $189.50."},
    ],
}


def test_openai(tmp_path):
    bad_args = json.loads(json.dumps(OPENAI_OK))
    bad_args["messages"][2]["tool_calls"][0]["function"]["arguments"] = "{\"location\": \"Boston"
    undeclared = json.loads(json.dumps(OPENAI_OK))
    undeclared["tools"] = []
    src = _jsonl(tmp_path / "in.jsonl", [OPENAI_OK, OPENAI_LEGACY, bad_args, "{\"messages\": [", undeclared])
    convs, errors = _convert(tmp_path, "openai", src)
    assert len(convs) == 2
    first = convs[0]
    assert first["messages"][2] == {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_current_weather",
                                          "arguments": {"location": "Boston, MA", "unit": "fahrenheit"}}}]}
    assert first["messages"][3]["name"] == "get_current_weather"
    legacy = convs[1]
    assert legacy["tools"][0]["function"]["name"] == "get_stock_price"
    assert _calls(legacy) == [{"name": "get_stock_price", "arguments": {"symbol": "AAPL"}}]
    assert legacy["messages"][2] == {"role": "tool", "name": "get_stock_price", "content": "{\"price\": 189.5}"}
    assert [e.line for e in errors] == [3, 4, 5]
    assert "arguments are not valid JSON" in errors[0].reason
    assert errors[1].reason.startswith("invalid JSON")
    assert errors[2].reason == "converted row is invalid: messages[2]: call to undeclared tool 'get_current_weather'"


# --------------------------------------------------------------------------- xlam

XLAM_TOOLS = [
    {"name": "live_giveaways_by_type", "description": "Retrieve live giveaways from the GamerPower API based on the specified type.",
     "parameters": {"type": {"description": "The type of giveaways to retrieve (e.g., game, loot, beta).", "type": "str", "default": "game"}}},
    {"name": "calculate_investment_return", "description": "Calculates the return on investment.",
     "parameters": {"initial_amount": {"description": "The initial deposit amount.", "type": "int"},
                    "interest_rate": {"description": "The annual interest rate.", "type": "float"},
                    "num_years": {"description": "The number of years.", "type": "int, optional"},
                    "tags": {"description": "Labels.", "type": "List[str]", "default": ""}}},
]


def _xlam(query, answers, tools=XLAM_TOOLS, **extra):
    return {"query": query, "tools": json.dumps(tools), "answers": json.dumps(answers), **extra}


def test_xlam(tmp_path):
    rows = [
        _xlam("Where can I find live giveaways for beta access and games?",
              [{"name": "live_giveaways_by_type", "arguments": {"type": "beta"}},
               {"name": "live_giveaways_by_type", "arguments": {"type": "game"}}], id=0),
        _xlam("If I invest $1000 at 3.5% for 10 years, what do I get?",
              [{"name": "calculate_investment_return",
                "arguments": {"initial_amount": 1000, "interest_rate": 0.035, "num_years": 10}}], id=1),
        _xlam("Invest 1000 at 3.5%", [{"name": "calculate_investment_return",
                                       "arguments": {"initial_amount": "1000", "interest_rate": 0.035}}]),
        _xlam("Invest at 3.5%", [{"name": "calculate_investment_return", "arguments": {"interest_rate": 0.035}}]),
        {"query": "broken", "tools": "[{\"name\": ", "answers": "[]"},
        _xlam("Nothing", []),
    ]
    (tmp_path / "in.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")  # the JSON-array file form
    text = (tmp_path / "in.json").read_text(encoding="utf-8")
    starts = [i + 1 for i, line in enumerate(text.splitlines()) if line == "  {"]
    convs, errors = _convert(tmp_path, "xlam", tmp_path / "in.json")
    assert [c["id"] for c in convs] == [0, 1]
    giveaways = convs[0]
    assert giveaways["messages"][0] == {"role": "user", "content": "Where can I find live giveaways for beta access and games?"}
    assert len(_calls(giveaways, 0)) == 2  # parallel calls in one turn
    params = giveaways["tools"][1]["function"]["parameters"]
    assert params["required"] == ["initial_amount", "interest_rate"]
    assert params["properties"]["interest_rate"] == {"type": "number", "description": "The annual interest rate."}
    assert params["properties"]["tags"]["type"] == "array" and params["properties"]["tags"]["items"] == {"type": "string"}
    assert giveaways["tools"][0]["function"]["parameters"]["properties"]["type"]["default"] == "game"
    assert [e.line for e in errors] == starts[2:]
    assert errors[0].reason == "converted row is invalid: messages[1]: call 'calculate_investment_return' argument 'initial_amount': '1000' is not of type 'integer'"
    assert errors[1].reason == "converted row is invalid: messages[1]: call 'calculate_investment_return' is missing required argument(s): initial_amount"
    assert errors[2].reason.startswith("tools is not valid JSON")
    assert "'answers' is empty" in errors[3].reason


@pytest.mark.parametrize("text, schema, optional", [
    ("str", {"type": "string"}, False),
    ("int, optional", {"type": "integer"}, True),
    ("float", {"type": "number"}, False),
    ("bool", {"type": "boolean"}, False),
    ("List[str]", {"type": "array", "items": {"type": "string"}}, False),
    ("List[Dict[str, Any]]", {"type": "array", "items": {"type": "object"}}, False),
    ("list, optional", {"type": "array"}, True),
    ("Tuple[int, int]", {"type": "array"}, False),
    ("dict", {"type": "object"}, False),
    ("Optional[str]", {"type": "string"}, True),
    ("Union[int, float]", {"anyOf": [{"type": "integer"}, {"type": "number"}]}, False),
    ("Callable", {}, False),
    ("", {}, False),
])
def test_python_type_schema(text, schema, optional):
    assert python_type_schema(text) == (schema, optional)


def test_xlam_parameters_keeps_json_schema():
    js = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert xlam_parameters(js) == js
    assert xlam_parameters({}) == {"type": "object", "properties": {}}


# --------------------------------------------------------------------------- glaive

GLAIVE_SYSTEM = (
    "SYSTEM: You are a helpful assistant with access to the following functions. Use them if required -\n"
    "{\n    \"name\": \"get_exchange_rate\",\n    \"description\": \"Get the exchange rate between two currencies\",\n"
    "    \"parameters\": {\n        \"type\": \"object\",\n        \"properties\": {\n"
    "            \"base_currency\": {\"type\": \"string\", \"description\": \"The currency to convert from\"},\n"
    "            \"target_currency\": {\"type\": \"string\", \"description\": \"The currency to convert to\"}\n"
    "        },\n        \"required\": [\"base_currency\", \"target_currency\"]\n    }\n}\n\n"
    "{\n    \"name\": \"calculate_tip\",\n    \"description\": \"Calculate the tip amount\",\n"
    "    \"parameters\": {\"type\": \"object\", \"properties\": {\"bill_amount\": {\"type\": \"number\"},"
    " \"tip_percentage\": {\"type\": \"number\"}}, \"required\": [\"bill_amount\", \"tip_percentage\"]}\n}\n"
)
GLAIVE_CHAT = (
    "USER: Hi, I need to know the exchange rate from USD to EUR.\n\n\n"
    "ASSISTANT: <functioncall> {\"name\": \"get_exchange_rate\", \"arguments\": '{\"base_currency\": \"USD\", "
    "\"target_currency\": \"EUR\"}'} <|endoftext|>\n\n\n"
    "FUNCTION RESPONSE: {\"exchange_rate\": 0.85}\n\n\n"
    "ASSISTANT: The current exchange rate from USD to EUR is 0.85. <|endoftext|>\n\n\n"
    "USER: And what tip should I leave on a $50 bill at 15%?\n\n\n"
    "ASSISTANT: Let me work that out. <functioncall> {\"name\": \"calculate_tip\", \"arguments\": "
    "'{\"bill_amount\": 50, \"tip_percentage\": 15}'} <|endoftext|>\n\n\n"
    "FUNCTION RESPONSE: {\"tip_amount\": 7.5}\n\n\n"
    "ASSISTANT: You should leave a tip of $7.50. <|endoftext|>\n"
)


def test_glaive(tmp_path):
    no_functions = {"system": "SYSTEM: You are a helpful assistant, with no access to external functions.",
                    "chat": "USER: Can you tell me a joke?\n\n\nASSISTANT: Why don't scientists trust atoms? "
                            "Because they make up everything! <|endoftext|>\n"}
    bad_call = {"system": GLAIVE_SYSTEM, "chat": "USER: rate?\n\n\nASSISTANT: <functioncall> {\"name\": "
                "\"get_exchange_rate\", \"arguments\": '{\"base_currency\": \"USD\"'} <|endoftext|>\n"}
    missing = {"system": GLAIVE_SYSTEM, "chat": "USER: rate?\n\n\nASSISTANT: <functioncall> {\"name\": "
               "\"get_exchange_rate\", \"arguments\": '{\"base_currency\": \"USD\"}'} <|endoftext|>\n"}
    src = _jsonl(tmp_path / "in.jsonl", [{"system": GLAIVE_SYSTEM, "chat": GLAIVE_CHAT}, no_functions,
                                         bad_call, missing, {"system": GLAIVE_SYSTEM}])
    convs, errors = _convert(tmp_path, "glaive", src)
    assert len(convs) == 2
    conv = convs[0]
    assert [t["function"]["name"] for t in conv["tools"]] == ["get_exchange_rate", "calculate_tip"]
    assert [m["role"] for m in conv["messages"]] == ["user", "assistant", "tool", "assistant",
                                                     "user", "assistant", "tool", "assistant"]
    assert conv["messages"][0]["content"] == "Hi, I need to know the exchange rate from USD to EUR."
    assert _calls(conv, 0) == [{"name": "get_exchange_rate", "arguments": {"base_currency": "USD", "target_currency": "EUR"}}]
    assert conv["messages"][2] == {"role": "tool", "name": "get_exchange_rate", "content": "{\"exchange_rate\": 0.85}"}
    assert conv["messages"][3]["content"] == "The current exchange rate from USD to EUR is 0.85."
    assert conv["messages"][5]["content"] == "Let me work that out."
    assert _calls(conv, 1) == [{"name": "calculate_tip", "arguments": {"bill_amount": 50, "tip_percentage": 15}}]
    joke = convs[1]
    assert joke["tools"] == []
    assert joke["messages"][0] == {"role": "system", "content": "You are a helpful assistant, with no access to external functions."}
    assert "<|endoftext|>" not in joke["messages"][-1]["content"]
    assert [e.line for e in errors] == [3, 4, 5]
    assert "arguments are not valid JSON" in errors[0].reason
    assert errors[1].reason.endswith("is missing required argument(s): target_currency")
    assert errors[2].reason == "missing 'chat' text"


# --------------------------------------------------------------------------- sharegpt

SHAREGPT_TOOLS = json.dumps([
    {"name": "get_flight_status", "description": "查询航班状态",
     "parameters": {"type": "object", "properties": {"flight_number": {"type": "string", "description": "航班号"},
                                                     "date": {"type": "string"}}, "required": ["flight_number"]}},
    {"name": "book_taxi", "description": "预约出租车",
     "parameters": {"type": "object", "properties": {"pickup": {"type": "string"}, "dropoff": {"type": "string"}},
                    "required": ["pickup", "dropoff"]}}], ensure_ascii=False)


def test_sharegpt(tmp_path):
    ok = {"conversations": [
        {"from": "human", "value": "帮我查一下 CA1234 航班的状态"},
        {"from": "function_call", "value": "{\"name\": \"get_flight_status\", \"arguments\": {\"flight_number\": \"CA1234\"}}"},
        {"from": "observation", "value": "{\"status\": \"准点\"}"},
        {"from": "gpt", "value": "CA1234 航班目前准点。"},
        {"from": "human", "value": "再帮我叫一辆车，从首都机场到国贸"},
        {"from": "function_call", "value": json.dumps([
            {"name": "book_taxi", "arguments": {"pickup": "首都机场", "dropoff": "国贸"}},
            {"name": "get_flight_status", "arguments": "{\"flight_number\": \"CA1234\", \"date\": \"今天\"}"}],
            ensure_ascii=False)},
        {"from": "observation", "value": "[{\"ok\": true}, {\"status\": \"准点\"}]"},
        {"from": "gpt", "value": "已为您叫车，航班仍然准点。"}],
        "system": "你是出行助手。", "tools": SHAREGPT_TOOLS}
    chit_chat = {"conversations": [{"from": "human", "value": "你好"}, {"from": "gpt", "value": "你好！有什么可以帮您？"}]}
    bad_role = {"conversations": [{"from": "human", "value": "x"}, {"from": "bot", "value": "y"}], "tools": SHAREGPT_TOOLS}
    bad_call = {"conversations": [{"from": "human", "value": "x"}, {"from": "function_call", "value": "{\"name\": "}],
                "tools": SHAREGPT_TOOLS}
    wrong_type = {"conversations": [{"from": "human", "value": "查 CA1 航班"},
                                    {"from": "function_call", "value": "{\"name\": \"get_flight_status\", \"arguments\": {\"flight_number\": 1}}"}],
                  "tools": SHAREGPT_TOOLS}
    src = _jsonl(tmp_path / "in.jsonl", [ok, chit_chat, bad_role, bad_call, wrong_type])
    convs, errors = _convert(tmp_path, "sharegpt", src)
    assert len(convs) == 2
    conv = convs[0]
    assert conv["messages"][0] == {"role": "system", "content": "你是出行助手。"}
    assert [m["role"] for m in conv["messages"]] == ["system", "user", "assistant", "tool", "assistant",
                                                     "user", "assistant", "tool", "assistant"]
    assert _calls(conv, 0) == [{"name": "get_flight_status", "arguments": {"flight_number": "CA1234"}}]
    assert conv["messages"][3]["name"] == "get_flight_status"
    assert _calls(conv, 1) == [{"name": "book_taxi", "arguments": {"pickup": "首都机场", "dropoff": "国贸"}},
                               {"name": "get_flight_status", "arguments": {"flight_number": "CA1234", "date": "今天"}}]
    assert "name" not in conv["messages"][7]  # one result for two calls: no single name
    assert convs[1]["tools"] == []
    assert [e.line for e in errors] == [3, 4, 5]
    assert errors[0].reason == "conversations[1]: unknown 'from' value 'bot'"
    assert "function_call is not valid JSON" in errors[1].reason
    assert errors[2].reason.endswith("argument 'flight_number': 1 is not of type 'string'")


# --------------------------------------------------------------------------- seed-text

SEED_TEXT = """用户: 今天北京的天气怎么样？
助手: 我来帮您查询北京今天的天气情况。
<tool_call>
get_weather({"location": "北京", "date": "today"})
</tool_call>

用户：帮我计算一下 25 * 4 + 10
助手：我来帮您计算。
<tool_call>
{"name": "calculate", "arguments": {"expression": "25 * 4 + 10"}}
</tool_call>

User: What time is it?
Assistant: Let me check.
<tool_call>
get_current_time()
</tool_call>

用户: 现在几点了？
助手: <tool_call>
get_current_time({"timezone": "Asia/Shanghai")
</tool_call>

用户: 你好
助手: 你好！有什么可以帮您？

用户: 北京和上海的天气
助手: 好的。
<tool_call>
get_weather(location="北京", days=2)
</tool_call>
<tool_call>
get_weather({"location": "上海"})
</tool_call>

用户: 只有问题没有回答
"""


def test_seed_text_plain(tmp_path):
    src = tmp_path / "seed.txt"
    src.write_text(SEED_TEXT, encoding="utf-8")
    convs, errors = _convert(tmp_path, "seed-text", src)
    assert len(convs) == 5
    weather = convs[0]
    assert weather["messages"] == [
        {"role": "user", "content": "今天北京的天气怎么样？"},
        {"role": "assistant", "content": "我来帮您查询北京今天的天气情况。", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"location": "北京", "date": "today"}}}]}]
    assert weather["tools"] == [{"type": "function", "function": {"name": "get_weather", "description": "", "parameters": {
        "type": "object", "properties": {"location": {"type": "string"}, "date": {"type": "string"}},
        "required": ["location", "date"]}}}]
    assert _calls(convs[1]) == [{"name": "calculate", "arguments": {"expression": "25 * 4 + 10"}}]
    assert _calls(convs[2]) == [{"name": "get_current_time", "arguments": {}}]
    assert convs[3]["tools"] == [] and convs[3]["messages"][1] == {"role": "assistant", "content": "你好！有什么可以帮您？"}
    two = convs[4]
    assert _calls(two) == [{"name": "get_weather", "arguments": {"location": "北京", "days": 2}},
                           {"name": "get_weather", "arguments": {"location": "上海"}}]
    params = two["tools"][0]["function"]["parameters"]
    assert params["properties"] == {"location": {"type": "string"}, "days": {"type": "integer"}}
    assert params["required"] == ["location"]  # only what every call passes
    lines = SEED_TEXT.splitlines()
    assert [e.line for e in errors] == [lines.index("用户: 现在几点了？") + 1, lines.index("用户: 只有问题没有回答") + 1]
    assert "arguments are not valid JSON" in errors[0].reason
    assert errors[1].reason.endswith("the conversation must end with an assistant turn (it ends with a user message)")


def test_seed_text_jsonl(tmp_path):
    rows = [{"text": "用户: 搜索一下人工智能的最新发展\n助手: 我来帮您搜索。\n<tool_call>\nweb_search({\"query\": \"人工智能的最新发展\"})\n</tool_call>"},
            {"text": "助手: 没有用户"},
            {"text": "用户: x\n助手: <tool_call>\nnot a call\n</tool_call>"}]
    src = _jsonl(tmp_path / "seed.jsonl", rows)
    convs, errors = _convert(tmp_path, "seed-text", src)
    assert _calls(convs[0]) == [{"name": "web_search", "arguments": {"query": "人工智能的最新发展"}}]
    assert [e.line for e in errors] == [2, 3]
    assert "assistant turn before any user turn" in errors[0].reason
    assert errors[1].reason == "assistant turn: <tool_call> holds neither JSON nor name({...}): 'not a call'"  # the format's parser


def test_parse_call_text():
    assert parse_call_text('f({"a": [1, 2], "b": null})') == ("f", {"a": [1, 2], "b": None})
    assert parse_call_text("math.factorial(n=5)") == ("math.factorial", {"n": 5})
    assert parse_call_text('{"name": "g", "arguments": "{\\"x\\": 1}"}') == ("g", {"x": 1})


# --------------------------------------------------------------------------- CLI


def test_convert_cli_exit_status_and_summary(tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", [OPENAI_OK, OPENAI_LEGACY])
    out = tmp_path / "o.jsonl"
    proc = run_fctune("data", "convert", "--from", "openai", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "converted 2, skipped 0" in proc.stdout
    _jsonl(src, [OPENAI_OK, "not json", OPENAI_LEGACY])
    proc = run_fctune("data", "convert", "--from", "openai", str(src), "--out", str(out))
    assert proc.returncode == 1
    assert f"{src}:2: invalid JSON" in proc.stderr
    assert "converted 2, skipped 1" in proc.stdout
    assert len(load_conversations(out)) == 2  # the good rows are still written
    proc = run_fctune("data", "validate", str(out))
    assert proc.returncode == 0
