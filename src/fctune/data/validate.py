"""``fctune data validate FILE``: check every row of a data file and print statistics.

Every problem is reported as ``FILE:LINE: reason`` (all of them, not only the first), then a
summary. Exit status 1 when any row has an error, else 0. With ``--tokenizer`` the samples are
rendered as for training and samples longer than ``--max-length`` are listed as warnings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fctune.config import DataConfig
from fctune.data.schema import DataError, is_object_schema, iter_jsonl, normalize_row, schema_to_jsonschema

DEFAULT_MAX_LENGTH = DataConfig.max_length
"""Longest sample training takes unless told otherwise (``data.max_length``)."""

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")

# params JSON (sorted) -> (jsonschema validator or None, problem or None); tool schemas repeat a lot.
_SCHEMA_CACHE: dict[str, tuple[Any, str | None]] = {}


def _compile_schema(params: dict) -> tuple[Any, str | None]:
    """A jsonschema validator for a tool's parameters (aliases converted), or a reason why not."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    key = json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
    hit = _SCHEMA_CACHE.get(key)
    if hit is not None:
        return hit
    result: tuple[Any, str | None]
    if not is_object_schema(params):
        got = params.get("type") if isinstance(params, dict) else type(params).__name__
        result = (None, f"parameters must be an object schema (type 'object'), got {got!r}")
    else:
        schema = schema_to_jsonschema(params)
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            result = (None, f"invalid JSON Schema: {exc.message}" + (f" (at {where})" if where else ""))
        else:
            props = schema.get("properties") or {}
            missing = [r for r in schema.get("required") or [] if r not in props]
            if missing and not schema.get("additionalProperties"):
                result = (None, f"'required' names parameter(s) not in 'properties': {', '.join(map(str, missing))}")
            else:
                result = (Draft202012Validator(schema), None)
    if len(_SCHEMA_CACHE) > 4096:
        _SCHEMA_CACHE.clear()
    _SCHEMA_CACHE[key] = result
    return result


def _argument_problems(where: str, name: str, args: dict, validator: Any) -> list[str]:
    schema = validator.schema
    problems: list[str] = []
    required = [r for r in schema.get("required") or [] if r not in args]
    if required:
        problems.append(f"{where}: call {name!r} is missing required argument(s): {', '.join(required)}")
    props = schema.get("properties")
    if isinstance(props, dict) and "additionalProperties" not in schema and "patternProperties" not in schema:
        extra = [k for k in args if k not in props]
        if extra:
            problems.append(f"{where}: call {name!r} has argument(s) not in the tool's parameters: {', '.join(extra)}")
    for err in sorted(validator.iter_errors(args), key=lambda e: [str(p) for p in e.absolute_path]):
        if err.validator == "required" and not err.absolute_path:
            continue  # reported above, with every missing name
        path = ".".join(str(p) for p in err.absolute_path)
        arg = f" argument {path!r}" if path else ""
        problems.append(f"{where}: call {name!r}{arg}: {err.message}")
    return problems


MAX_NAME_LENGTH = 128
"""Longest function name (OpenAI's limit is 64; BFCL's dotted Java/JS names stay well under this)."""


def _name_problem(name: Any) -> str | None:
    """Why ``name`` cannot be a function name: a call is ``{"name": NAME, ...}`` read back by the
    parser and matched against the tools, so it must be a plain, non-empty token."""
    if not isinstance(name, str) or not name.strip():
        return "missing function name"
    if len(name) > MAX_NAME_LENGTH:
        return f"function name longer than {MAX_NAME_LENGTH} characters"
    if any(c.isspace() for c in name) or '"' in name:
        return f"function name {name[:40]!r} contains whitespace or quotes"
    return None


def conversation_problems(conv: dict, request: bool = False) -> list[str]:
    """Semantic checks of a (possibly partly) normalised conversation: tools, role order, calls.

    One validator for training rows and for server requests (``request=True``), so the server never
    accepts a tool list or a history that ``data validate`` calls broken. Shared: every tool schema,
    unique plain names, a system message only first, tool results only after a call (and for a
    function it called), no empty assistant turns. Only for training rows, where assistant turns
    are labels the model learns: the row ends with an assistant turn, none comes before a user turn,
    and every call names a declared tool with arguments its schema accepts. A request's history
    records what was said, possibly by a model that got a call wrong, and may be answered anyway.
    """
    problems: list[str] = []
    declared: dict[str, Any] = {}  # name -> validator, or None when its schema is broken
    for i, tool in enumerate(conv.get("tools") or []):
        if tool is None:
            continue
        fn = tool["function"]
        name = fn.get("name")
        reason = _name_problem(name)
        if reason:
            problems.append(f"tools[{i}]: {reason}")
            continue
        if name in declared:
            problems.append(f"tools[{i}]: duplicate tool name {name!r}")
            continue
        validator, reason = _compile_schema(fn.get("parameters"))
        if reason:
            problems.append(f"tools[{i}] ({name!r}): {reason}")
        declared[name] = validator

    messages = conv.get("messages") or []
    if not messages:
        problems.append("'messages' is empty")
        return problems
    seen_user = False
    # (index, names) of the calls that tool results answer; names None when that turn was invalid
    open_call: tuple[int, list[str] | None] | None = None
    for i, msg in enumerate(messages):
        where = f"messages[{i}]"
        role = msg["role"]
        if msg.get("invalid"):  # already reported; judge its neighbours leniently
            seen_user = seen_user or role in ("user", "assistant")
            if role != "tool":
                open_call = (i, None) if role in ("assistant", None) else None
            continue
        if role == "system":
            if i != 0:
                problems.append(f"{where}: a system message may only come first")
            open_call = None
        elif role == "user":
            seen_user = True
            open_call = None
        elif role == "tool":
            if open_call is None:
                problems.append(f"{where}: tool result without a preceding assistant tool call")
            elif msg.get("name") and open_call[1] is not None and msg["name"] not in open_call[1]:
                problems.append(f"{where}: tool result for {msg['name']!r}, but messages[{open_call[0]}] "
                                f"called {', '.join(repr(n) for n in open_call[1])}")
        elif role == "assistant":
            if not seen_user and not request:
                problems.append(f"{where}: assistant turn before any user turn")
                seen_user = True  # report once
            calls = msg.get("tool_calls") or []
            if not calls and not (msg.get("content") or "").strip():
                problems.append(f"{where}: assistant turn with neither content nor tool calls")
            for call in calls if not request else ():
                name = call["function"]["name"]
                args = call["function"]["arguments"]
                if name not in declared:
                    problems.append(f"{where}: call to undeclared tool {name!r}")
                elif declared[name] is not None:
                    problems.extend(_argument_problems(where, name, args, declared[name]))
            open_call = (i, [c["function"]["name"] for c in calls]) if calls else None
    last = messages[-1]
    if not request and not last.get("invalid") and last["role"] != "assistant":
        problems.append(f"messages[{len(messages) - 1}]: the conversation must end with an assistant turn "
                        f"(it ends with a {last['role']} message)")
    return problems


def check_row(obj: Any, request: bool = False) -> tuple[dict | None, list[str]]:
    """Normalise and check one row (``request``: a server request, :func:`conversation_problems`).
    Returns ``(conversation, problems)``: the normalised conversation when ``problems`` is empty,
    else ``None`` and every problem found."""
    conv, problems = normalize_row(obj)
    if conv is not None:
        problems = problems + conversation_problems(conv, request=request)
    if problems:
        return None, problems
    return conv, []


# --------------------------------------------------------------------------- statistics


def language(conv: dict) -> str:
    """``zh`` when the user text holds CJK characters, else ``en``."""
    text = "".join(m["content"] for m in conv["messages"] if m["role"] == "user")
    return "zh" if _CJK.search(text) else "en"


def conversation_stats(conv: dict) -> dict:
    """Per-conversation counts used by :func:`summarize`."""
    calls_per_turn = []
    multi_step = False
    seen_tool_result = False
    for msg in conv["messages"]:
        if msg["role"] == "tool":
            seen_tool_result = True
        elif msg["role"] == "assistant":
            n = len(msg.get("tool_calls") or [])
            calls_per_turn.append(n)
            if n and seen_tool_result:
                multi_step = True
    turns_with_calls = sum(1 for n in calls_per_turn if n)
    return {
        "turns": len(conv["messages"]),
        "assistant_turns": len(calls_per_turn),
        "calls": sum(calls_per_turn),
        "parallel": any(n >= 2 for n in calls_per_turn),
        "multi_step": multi_step or turns_with_calls >= 2,
        "language": language(conv),
        "declared": [t["function"]["name"] for t in conv["tools"]],
        "called": [c["function"]["name"] for m in conv["messages"] if m["role"] == "assistant"
                   for c in m.get("tool_calls") or []],
    }


def percentile(values: list[int], q: float) -> int:
    """Nearest-rank percentile of ``values`` (``q`` in 0..100); 0 for an empty list."""
    if not values:
        return 0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100), at least 1
    return int(ordered[int(rank) - 1])


def summarize(conversations: list[dict], token_lengths: list[int] | None = None) -> dict:
    """Statistics over valid conversations (key names are documented in docs/data-format.md)."""
    per = [conversation_stats(c) for c in conversations]
    n = len(per)

    def share(key: str) -> float:
        return round(sum(1 for p in per if p[key]) / n, 4) if n else 0.0

    langs: dict[str, int] = {}
    for p in per:
        langs[p["language"]] = langs.get(p["language"], 0) + 1
    called = {name for p in per for name in p["called"]}
    stats: dict[str, Any] = {
        "samples": n,
        "turns": sum(p["turns"] for p in per),
        "turns_per_sample_mean": round(sum(p["turns"] for p in per) / n, 3) if n else 0.0,
        "assistant_turns": sum(p["assistant_turns"] for p in per),
        "calls": sum(p["calls"] for p in per),
        "calls_per_sample_mean": round(sum(p["calls"] for p in per) / n, 3) if n else 0.0,
        "calls_per_sample_max": max((p["calls"] for p in per), default=0),
        "parallel_share": share("parallel"),
        "multi_step_share": share("multi_step"),
        "no_call_share": round(sum(1 for p in per if p["calls"] == 0) / n, 4) if n else 0.0,
        "languages": dict(sorted(langs.items())),
        "distinct_tools_called": len(called),
        "distinct_tools_declared": len({name for p in per for name in p["declared"]}),
    }
    if token_lengths is not None:
        stats["token_length"] = {
            "p50": percentile(token_lengths, 50),
            "p90": percentile(token_lengths, 90),
            "p99": percentile(token_lengths, 99),
            "max": max(token_lengths, default=0),
        }
    return stats


# --------------------------------------------------------------------------- files


@dataclass
class ValidationReport:
    """What :func:`validate_file` found. ``stats`` holds the keys printed by ``--json``."""

    errors: list[DataError] = field(default_factory=list)
    too_long: list[tuple[int, int]] = field(default_factory=list)
    """(line, tokens) of samples longer than the maximum length (a warning, not an error)."""
    stats: dict = field(default_factory=dict)
    path: str = ""
    max_length: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_file(path: str | Path, tokenizer: Any = None, max_length: int | None = None,
                  template: str = "auto", enable_thinking: bool = False) -> ValidationReport:
    """Check every row of ``path``; with a tokenizer (object, or a model / tokenizer directory to load
    it from) also measure token lengths as :class:`fctune.formats.ChatFormat` renders them for
    training (``template``, ``enable_thinking``) and list the samples longer than ``max_length``
    (default ``data.max_length``)."""
    path = str(path)
    if tokenizer is not None and isinstance(tokenizer, (str, Path)):
        from fctune.models import load_tokenizer

        tokenizer = load_tokenizer(str(tokenizer))
    fmt = None
    if tokenizer is not None:
        from fctune.formats import ChatFormat

        fmt = ChatFormat(tokenizer, template=template, enable_thinking=enable_thinking)
        if max_length is None:
            max_length = DEFAULT_MAX_LENGTH
    report = ValidationReport(path=path, max_length=max_length if fmt is not None else None)
    rows = 0
    bad_rows: set[int] = set()
    conversations: list[dict] = []
    lengths: list[int] = []
    for number, obj in iter_jsonl(path):
        rows += 1
        if isinstance(obj, DataError):
            report.errors.append(obj)
            bad_rows.add(number)
            continue
        conv, problems = check_row(obj)
        if problems:
            report.errors.extend(DataError(path, number, reason) for reason in problems)
            bad_rows.add(number)
            continue
        if fmt is not None:
            try:
                items = fmt.render_training(conv)
            except Exception as exc:  # noqa: BLE001 - a row the template cannot render is a data error
                report.errors.append(DataError(path, number, f"cannot render with the chat template: {exc}"))
                bad_rows.add(number)
                continue
            length = max((len(item.input_ids) for item in items), default=0)
            lengths.append(length)
            if max_length is not None and length > max_length:
                report.too_long.append((number, length))
        conversations.append(conv)
    stats = summarize(conversations, lengths if fmt is not None else None)
    stats = {
        "samples": stats.pop("samples"),
        "rows": rows,
        "invalid_rows": len(bad_rows),
        "errors": len(report.errors),
        "too_long": len(report.too_long),
        **stats,
    }
    if fmt is not None:
        stats["max_length"] = max_length
        stats["too_long_samples"] = [{"line": line, "tokens": tokens} for line, tokens in report.too_long]
    report.stats = stats
    return report


# --------------------------------------------------------------------------- CLI


