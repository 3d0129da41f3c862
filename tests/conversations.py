"""Conversations in the canonical format shared by the rendering, template and inspect tests."""

from __future__ import annotations


def tool(name, props, required=(), description=None):
    return {"type": "function", "function": {"name": name, "description": description or f"{name} tool",
            "parameters": {"type": "object", "properties": props, "required": list(required)}}}


TOOLS = [
    tool("get_weather", {"location": {"type": "string"}, "date": {"type": "string"}}, ["location"]),
    tool("get_current_time", {"timezone": {"type": "string"}}),
    tool("calculate", {"expression": {"type": "string"}}, ["expression"]),
]


def call(name, **args):
    return {"type": "function", "function": {"name": name, "arguments": args}}


SINGLE = {"tools": TOOLS, "messages": [
    {"role": "user", "content": "今天北京的天气怎么样？"},
    {"role": "assistant", "content": "我来帮您查询北京今天的天气情况。", "tool_calls": [call("get_weather", location="北京", date="today")]},
]}

PARALLEL = {"tools": TOOLS, "messages": [
    {"role": "system", "content": "你是一个乐于助人的助手。"},
    {"role": "user", "content": "帮我查一下北京今天的天气，再告诉我现在几点了"},
    {"role": "assistant", "content": "好的，我同时为您查询。",
     "tool_calls": [call("get_weather", location="北京", date="today"), call("get_current_time")]},
]}

MULTI_STEP = {"tools": TOOLS, "messages": [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What's the weather in Paris, and what is 25 * 4 + 10?"},
    {"role": "assistant", "content": "", "tool_calls": [call("get_weather", location="Paris")]},
    {"role": "tool", "name": "get_weather", "content": "{\"temp_c\": 18, \"sky\": \"cloudy\"}"},
    {"role": "assistant", "content": "Now the sum.", "tool_calls": [call("calculate", expression="25 * 4 + 10")]},
    {"role": "tool", "name": "calculate", "content": "110"},
    {"role": "assistant", "content": "Paris is 18 °C and cloudy; 25 * 4 + 10 = 110."},
]}

MULTI_TURN = {"tools": TOOLS, "messages": [
    {"role": "user", "content": "现在几点了？"},
    {"role": "assistant", "content": "", "tool_calls": [call("get_current_time", timezone="Asia/Shanghai")]},
    {"role": "tool", "name": "get_current_time", "content": "10:30"},
    {"role": "assistant", "content": "现在是上午十点半。"},
    {"role": "user", "content": "谢谢！再算一下 (128 + 72) / 8"},
    {"role": "assistant", "content": "", "tool_calls": [call("calculate", expression="(128 + 72) / 8")]},
    {"role": "tool", "name": "calculate", "content": "25"},
    {"role": "assistant", "content": "结果是 25。"},
]}

NO_TOOLS_CHAT = {"messages": [
    {"role": "user", "content": "你好"},
    {"role": "assistant", "content": "你好！有什么可以帮您？"},
]}
