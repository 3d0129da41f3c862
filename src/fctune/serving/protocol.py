"""OpenAI chat-completions request models, their conversion to fctune's canonical conversation,
and the response / chunk bodies.

Unknown request fields are ignored (clients send many); fields that would change the answer and
are not supported (``n`` > 1, ``logprobs``, penalties, JSON response formats, legacy ``functions``)
are rejected with a 400 that says so, rather than silently ignored.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fctune.formats import ToolCall


@dataclass(frozen=True)
class Limits:
    """What one client may ask of the server (defaults documented in docs/serving.md)."""

    max_body_bytes: int = 4 * 1024 * 1024
    """Largest request body: 4 MiB holds hundreds of tool schemas and a long history."""
    max_waiting: int = 16
    """Requests that may wait for the model at once (the one generating included)."""


class APIError(Exception):
    """An error answered with an OpenAI-style body: ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None,
                 type: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param
        self.type = type or ("invalid_request_error" if status < 500 else "server_error")

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.type, self.code, self.param)


def error_body(message: str, type: str = "invalid_request_error", code: str | None = None,
               param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


class _Model(BaseModel):
    """Strict types: ``"0.5"`` is not a number and ``"yes"`` not a boolean (a client with such a bug
    hears of it instead of getting a silently different request)."""

    model_config = ConfigDict(extra="ignore", strict=True)


class TextPart(_Model):
    type: Literal["text"]
    text: str


Content = str | list[TextPart] | None


class FunctionCallIn(_Model):
    name: str = Field(min_length=1)
    arguments: str | dict[str, Any] = "{}"


class ToolCallIn(_Model):
    id: str | None = None
    type: Literal["function"] = "function"
    function: FunctionCallIn


class Message(_Model):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Content = None
    name: str | None = None
    tool_calls: list[ToolCallIn] | None = None
    tool_call_id: str | None = None


class FunctionDef(_Model):
    """Names and schemas are checked by the data validator (:func:`canonical`), not here."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(_Model):
    type: Literal["function"]
    function: FunctionDef


class NamedFunction(_Model):
    name: str = Field(min_length=1)


class NamedToolChoice(_Model):
    type: Literal["function"]
    function: NamedFunction


class StreamOptions(_Model):
    include_usage: bool = False


class ChatCompletionRequest(_Model):
    model: str | None = None
    messages: list[Message] = Field(min_length=1)
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=None, ge=1)
    seed: int | None = Field(default=None, ge=-(2**63), le=2**64 - 1)  # what torch's generator takes
    logprobs: bool | None = None
    top_logprobs: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    response_format: dict[str, Any] | None = None
    functions: list[Any] | None = None
    function_call: Any = None


# ---------------------------------------------------------------------------------------------
# request -> canonical conversation
# ---------------------------------------------------------------------------------------------


def _unsupported(request: ChatCompletionRequest) -> None:
    if (request.n or 1) != 1:
        raise APIError(400, "only n=1 is supported", "unsupported_value", "n")
    if request.logprobs or request.top_logprobs:
        raise APIError(400, "logprobs are not supported", "unsupported_value", "logprobs")
    for name in ("frequency_penalty", "presence_penalty"):
        if getattr(request, name):
            raise APIError(400, f"{name} is not supported (only 0)", "unsupported_value", name)
    if request.response_format and request.response_format.get("type", "text") != "text":
        raise APIError(400, "only response_format {'type': 'text'} is supported", "unsupported_value",
                       "response_format")
    if request.functions is not None or request.function_call is not None:
        raise APIError(400, "the legacy 'functions'/'function_call' fields are not supported; use 'tools' and "
                       "'tool_choice'", "unsupported_value", "functions")
    stops = [request.stop] if isinstance(request.stop, str) else (request.stop or [])
    if len(stops) > 4:
        raise APIError(400, "at most 4 stop sequences are supported", "invalid_value", "stop")


def _text(content: Content) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.text for part in content)


def canonical(request: ChatCompletionRequest) -> tuple[list[dict], list[dict]]:
    """The request's messages and tools in fctune's canonical form (what training rendered),
    checked by the validator ``data validate`` uses (in its request mode): a tool list or history
    that would be a broken training row is a 400 naming each problem."""
    from fctune.data.validate import check_row

    _unsupported(request)
    messages: list[dict[str, Any]] = []
    for msg in request.messages:
        role = "system" if msg.role == "developer" else msg.role
        out: dict[str, Any] = {"role": role, "content": _text(msg.content)}
        if msg.tool_calls:
            out["tool_calls"] = [{"id": c.id, "type": "function",
                                  "function": {"name": c.function.name, "arguments": c.function.arguments}}
                                 for c in msg.tool_calls]
        if role == "tool":
            if msg.tool_call_id:
                out["tool_call_id"] = msg.tool_call_id
            if msg.name:
                out["name"] = msg.name
        messages.append(out)
    tools = []
    for tool in request.tools or []:
        fn: dict[str, Any] = {"name": tool.function.name, "description": tool.function.description or ""}
        if tool.function.parameters is not None:
            fn["parameters"] = tool.function.parameters
        tools.append({"type": "function", "function": fn})
    conv, problems = check_row({"tools": tools, "messages": messages}, request=True)
    if problems:
        where = re.match(r"(tools|messages)\[(\d+)\]", problems[0])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise APIError(400, "invalid messages or tools: " + "; ".join(problems[:5]) + more, "invalid_value",
                       f"{where[1]}.{where[2]}" if where else "messages")
    assert conv is not None
    return conv["messages"], conv["tools"]


def tool_choice_of(request: ChatCompletionRequest, tools: list[dict]) -> tuple[str, str | None]:
    """``(mode, function)`` with mode ``auto`` / ``none`` / ``required`` / ``function``."""
    choice = request.tool_choice
    if choice is None:
        return ("auto" if tools else "none"), None
    if isinstance(choice, NamedToolChoice):
        name = choice.function.name
        if name not in {t["function"]["name"] for t in tools}:
            raise APIError(400, f"tool_choice names function {name!r}, which is not among the tools",
                           "invalid_value", "tool_choice")
        return "function", name
    if choice == "required" and not tools:
        raise APIError(400, "tool_choice 'required' needs at least one tool", "invalid_value", "tool_choice")
    if choice == "auto" and not tools:
        return "none", None
    return choice, None


# ---------------------------------------------------------------------------------------------
# responses
# ---------------------------------------------------------------------------------------------


def completion_id() -> str:
    return "chatcmpl-" + secrets.token_hex(12)


def call_id() -> str:
    return "call_" + secrets.token_hex(12)


def now() -> int:
    return int(time.time())


def tool_call_out(call: ToolCall, ident: str, index: int | None = None) -> dict[str, Any]:
    out = call.to_openai(ident)
    if index is not None:
        out = {"index": index, **out}
    return out


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def finish_reason(finish: str, has_calls: bool) -> str:
    if finish == "length":
        return "length"
    return "tool_calls" if has_calls else "stop"


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
