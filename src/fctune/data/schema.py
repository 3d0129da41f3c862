"""The canonical conversation format: normalisation, JSONL reading and writing, schema aliases.

A conversation is a plain dict (docs/data-format.md)::

    {"id": "...",                       # optional, kept as-is
     "group": "...",                    # optional: rows sharing it train in the same optimizer step
     "tools": [{"type": "function",
                "function": {"name": ..., "description": ..., "parameters": {JSON Schema}}}],
     "messages": [{"role": "system", "content": str},
                  {"role": "user", "content": str},
                  {"role": "assistant", "content": str,   # "" when there is none
                   "tool_calls": [{"type": "function",
                                   "function": {"name": str, "arguments": dict}}]},
                  {"role": "tool", "name": str, "content": str}]}

:func:`normalize_conversation` fixes the common variations (arguments as JSON strings, calls
without the ``function`` wrapper, bare function dicts as tools, ``content: null``, structured
tool results). The semantic checks (role order, declared tools, argument schemas) live in
:mod:`fctune.data.validate`; :func:`fctune.data.io.load_conversations` runs both.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

from fctune.errors import DataError, FctuneError

ROLES = ("system", "user", "assistant", "tool")

EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}

# BFCL / Python-style type names -> JSON Schema type names. ``None`` means "no type constraint".
TYPE_ALIASES: dict[str, str | None] = {
    "dict": "object",
    "object": "object",
    "float": "number",
    "double": "number",
    "number": "number",
    "tuple": "array",
    "list": "array",
    "array": "array",
    "int": "integer",
    "integer": "integer",
    "long": "integer",
    "str": "string",
    "string": "string",
    "bool": "boolean",
    "boolean": "boolean",
    "null": "null",
    "none": "null",
    "any": None,
}

# Keywords whose value is one schema / a map of schemas / a list of schemas.
_SCHEMA_KEYS = ("items", "additionalProperties", "not", "contains", "propertyNames",
                "unevaluatedItems", "unevaluatedProperties", "if", "then", "else", "additionalItems")
_SCHEMA_MAP_KEYS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")


class DataErrors(DataError):
    """Several problems in one data file. ``str()`` lists them all, one ``FILE:LINE: reason`` a line,
    followed by a count. ``errors`` holds the individual :class:`DataError` objects."""

    def __init__(self, errors: list[DataError]):
        self.errors = list(errors)
        first = self.errors[0]
        self.path, self.line, self.reason = first.path, first.line, first.reason
        rows = len({e.line for e in self.errors})
        lines = [str(e) for e in self.errors]
        lines.append(f"{len(self.errors)} problem(s) in {rows} row(s) of {first.path}")
        FctuneError.__init__(self, "\n".join(lines))


# --------------------------------------------------------------------------- JSON Schema aliases


def _convert_type(value: Any) -> Any:
    """Map one ``type`` value (a name or a list of names); ``None`` when it means "any"."""
    if isinstance(value, str):
        key = value.strip().lower()
        return TYPE_ALIASES[key] if key in TYPE_ALIASES else value
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            mapped = _convert_type(item)
            if mapped is None:  # "any" inside a list of types: no constraint at all
                return None
            if mapped not in out:
                out.append(mapped)
        return out
    return value


def schema_to_jsonschema(params: dict) -> dict:
    """Return a new JSON Schema (draft 2020-12) with BFCL / Python type aliases converted.

    ``dict`` -> ``object``, ``float`` -> ``number``, ``tuple``/``list`` -> ``array``, ``int`` ->
    ``integer``, ``str`` -> ``string``, ``bool`` -> ``boolean``, ``any`` -> no type constraint,
    recursively through ``properties``, ``items``, ``anyOf`` and the other sub-schema keywords.
    A list-valued ``items`` (the old tuple form) becomes ``prefixItems``. Unknown type names are
    kept so that meta-validation reports them. A non-dict input is returned unchanged (copied).
    """
    if not isinstance(params, dict):
        return copy.deepcopy(params)
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "type":
            mapped = _convert_type(value)
            if mapped is not None:
                out["type"] = mapped
        elif key == "items" and isinstance(value, list):
            out["prefixItems"] = [schema_to_jsonschema(v) for v in value]
        elif key in _SCHEMA_KEYS and isinstance(value, dict):
            out[key] = schema_to_jsonschema(value)
        elif key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
            out[key] = {k: schema_to_jsonschema(v) if isinstance(v, dict) else copy.deepcopy(v)
                        for k, v in value.items()}
        elif key in _SCHEMA_LIST_KEYS and isinstance(value, list):
            out[key] = [schema_to_jsonschema(v) if isinstance(v, dict) else copy.deepcopy(v) for v in value]
        else:
            out[key] = copy.deepcopy(value)
    return out


def is_object_schema(params: Any) -> bool:
    """True when ``params`` (aliases allowed) is a dict schema whose type is ``object``."""
    if not isinstance(params, dict):
        return False
    t = _convert_type(params.get("type"))
    return t == "object" or (isinstance(t, list) and t == ["object"])


# --------------------------------------------------------------------------- normalisation


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)


def _text_content(value: Any, where: str, role: str, problems: list[str]) -> str | None:
    """Content as a string: strings kept, OpenAI text parts joined; ``None`` for assistants -> ""."""
    if isinstance(value, str):
        return value
    if value is None:
        if role in ("assistant",):
            return ""
        problems.append(f"{where}: {role} message has no text content")
        return None
    if role == "tool":
        if isinstance(value, (dict, list, int, float, bool)):
            return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list) and all(isinstance(p, dict) for p in value):
        texts = []
        for part in value:
            if part.get("type", "text") != "text" or not isinstance(part.get("text"), str):
                problems.append(f"{where}: only text content parts are supported")
                return None
            texts.append(part["text"])
        return "".join(texts)
    problems.append(f"{where}: content must be a string, got {_kind(value)}")
    return None


UNREADABLE_JSON = "JSON that nests too deeply or holds a number too long to read"


def read_json(text: str) -> tuple[Any, str | None]:
    """``(value, None)`` for JSON ``text``, else ``(None, why)``: ``not valid JSON (<the decoder's
    message> at char N)`` (``at line L, column C`` for text of several lines), or
    :data:`UNREADABLE_JSON` (json's decoder recurses once per nesting level and ``int()`` refuses
    numbers of 4,300+ digits: either would end a command with a traceback instead of a one-line
    error). The one reading of every field that holds JSON as text."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}" if "\n" in text else f"char {exc.pos}"
        return None, f"not valid JSON ({exc.msg} at {where})"
    except (ValueError, RecursionError):
        return None, UNREADABLE_JSON


def parse_arguments(raw: Any) -> tuple[dict | None, str | None]:
    """Arguments as a dict: a dict is copied, a JSON string is parsed, ``None``/"" is ``{}``.
    Returns ``(arguments, None)`` or ``(None, reason)``."""
    if raw is None:
        return {}, None
    if isinstance(raw, str):
        if not raw.strip():
            return {}, None
        raw, why = read_json(raw)
        if why:
            return None, f"arguments are {why}"
        if isinstance(raw, str):
            return None, "arguments must be a JSON object, got a string (double-encoded JSON?)"
    if not isinstance(raw, dict):
        return None, f"arguments must be a JSON object, got {_kind(raw)}"
    return copy.deepcopy(raw), None


def normalize_call(call: Any, where: str, problems: list[str]) -> dict | None:
    """One call as ``{"type": "function", "function": {"name", "arguments": dict}}``."""
    if not isinstance(call, dict):
        problems.append(f"{where}: a tool call must be an object, got {_kind(call)}")
        return None
    fn = call.get("function") if "function" in call else call
    if not isinstance(fn, dict):
        problems.append(f"{where}: 'function' must be an object, got {_kind(fn)}")
        return None
    name = fn.get("name")
    ok = True
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: call has no function name")
        ok = False
    args, reason = parse_arguments(fn.get("arguments", fn.get("parameters")))
    if reason:
        problems.append(f"{where}: call {name!r}: {reason}" if isinstance(name, str) else f"{where}: {reason}")
        ok = False
    if not ok:
        return None
    return {"type": "function", "function": {"name": name, "arguments": args}}


def normalize_tool(tool: Any, where: str, problems: list[str]) -> dict | None:
    """One tool as ``{"type": "function", "function": {...}}``; bare function dicts get wrapped,
    missing ``description`` becomes "" and missing or ``{}`` ``parameters`` an empty object schema;
    ``parameters`` stored as JSON text are parsed. Type aliases (``dict``, ``float``) are kept."""
    if not isinstance(tool, dict):
        problems.append(f"{where}: a tool must be an object, got {_kind(tool)}")
        return None
    if "function" in tool:
        fn = tool["function"]
        if tool.get("type", "function") != "function":
            problems.append(f"{where}: tool type must be 'function', got {tool.get('type')!r}")
            return None
        if not isinstance(fn, dict):
            problems.append(f"{where}: 'function' must be an object, got {_kind(fn)}")
            return None
    elif "name" in tool or "parameters" in tool:
        fn = tool
    else:
        problems.append(f"{where}: not a function tool (no 'function' or 'name' key)")
        return None
    fn = copy.deepcopy(fn)
    if fn.get("description") is None:
        fn["description"] = ""
    params = fn.get("parameters")
    if params is None or params == {}:
        fn["parameters"] = copy.deepcopy(EMPTY_PARAMETERS)
    elif isinstance(params, str):  # stored as a JSON string (Arrow-friendly datasets)
        fn["parameters"], why = read_json(params)
        if why:
            problems.append(f"{where}: parameters are {why}")
            return None
    return {"type": "function", "function": fn}


def normalize_message(msg: Any, index: int, problems: list[str], call_names: dict[str, str]) -> dict | None:
    """One message in canonical form, or ``None`` (with a problem recorded) when it cannot be."""
    where = f"messages[{index}]"
    if not isinstance(msg, dict):
        problems.append(f"{where}: a message must be an object, got {_kind(msg)}")
        return None
    role = msg.get("role")
    if role not in ROLES:
        problems.append(f"{where}: unknown role {role!r} (expected one of {', '.join(ROLES)})")
        return None
    before = len(problems)
    content = _text_content(msg.get("content"), where, role, problems)
    raw_calls = msg.get("tool_calls")
    out: dict[str, Any] = {"role": role, "content": content}
    if raw_calls not in (None, []):
        if role != "assistant":
            problems.append(f"{where}: only assistant messages may carry tool_calls")
        elif not isinstance(raw_calls, list):
            problems.append(f"{where}: tool_calls must be a list, got {_kind(raw_calls)}")
        else:
            calls = []
            for j, call in enumerate(raw_calls):
                norm = normalize_call(call, f"{where}.tool_calls[{j}]", problems)
                if norm is None:
                    continue
                calls.append(norm)
                if isinstance(call, dict) and isinstance(call.get("id"), str):
                    call_names[call["id"]] = norm["function"]["name"]
            out["tool_calls"] = calls
    if role == "tool":
        name = msg.get("name")
        if not isinstance(name, str) or not name:
            name = call_names.get(msg.get("tool_call_id")) if isinstance(msg.get("tool_call_id"), str) else None
        out = {"role": "tool", "content": content}
        if name:
            out = {"role": "tool", "name": name, "content": content}
    if len(problems) > before:
        return None
    return out


def normalize_row(row: Any) -> tuple[dict | None, list[str]]:
    """Best-effort normalisation that records every structural problem instead of stopping at the
    first. Returns ``(conversation, problems)``; the conversation is ``None`` when there is no
    usable ``messages`` list. When ``problems`` is non-empty, tools that could not be normalised
    are ``None`` in it and such messages are placeholders ``{"role": role or None, "invalid": True}``."""
    if not isinstance(row, dict):
        return None, [f"row must be a JSON object, got {_kind(row)}"]
    problems: list[str] = []
    out: dict[str, Any] = {}
    if "id" in row:
        out["id"] = copy.deepcopy(row["id"])
    if "group" in row:
        if isinstance(row["group"], str) and row["group"]:
            out["group"] = row["group"]
        else:
            got = "an empty string" if row["group"] == "" else _kind(row["group"])
            problems.append(f"group must be a non-empty string, got {got}")
    tools_in = row.get("tools")
    if isinstance(tools_in, str):
        tools_in, why = read_json(tools_in) if tools_in.strip() else ([], None)
        if why:
            problems.append(f"tools: {why}")
            tools_in = []
    tools: list[Any] = []
    if tools_in is None:
        tools_in = []
    if not isinstance(tools_in, list):
        problems.append(f"tools must be a list, got {_kind(tools_in)}")
    else:
        tools = [normalize_tool(t, f"tools[{i}]", problems) for i, t in enumerate(tools_in)]
    out["tools"] = tools
    messages = row.get("messages")
    if messages is None:
        problems.append("missing 'messages'")
        return None, problems
    if not isinstance(messages, list):
        problems.append(f"'messages' must be a list, got {_kind(messages)}")
        return None, problems
    call_names: dict[str, str] = {}
    out["messages"] = []
    for i, m in enumerate(messages):
        norm = normalize_message(m, i, problems, call_names)
        if norm is None:  # placeholder, so that later checks neither shift nor cascade
            role = m.get("role") if isinstance(m, dict) and m.get("role") in ROLES else None
            norm = {"role": role, "invalid": True}
        out["messages"].append(norm)
    return out, problems


def normalize_conversation(row: dict) -> dict:
    """Return a NEW canonical conversation built from ``row`` (which is not modified).

    Fixes: ``arguments`` given as a JSON string are parsed; calls given as ``{"name",
    "arguments"}`` get the ``{"type": "function", "function": ...}`` wrapper; bare function dicts
    in ``tools`` get wrapped; assistant ``content: null`` becomes ""; structured tool results
    become JSON text; a tool message without ``name`` takes it from the call its ``tool_call_id``
    points at. Call ids and unknown message keys are dropped.

    Raises ``ValueError(reason)`` (all reasons joined by "; ") when the row cannot be fixed.
    """
    conv, problems = normalize_row(row)
    if problems or conv is None:
        raise ValueError("; ".join(problems) or "cannot normalise row")
    return conv


# --------------------------------------------------------------------------- files


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, object)`` for each non-blank line (1-based numbers).

    A line that is not valid JSON (or not UTF-8) yields ``(line_number, DataError)`` instead of
    raising, so a caller can report every problem in one pass. A missing file raises
    :class:`FctuneError`.
    """
    path = Path(path)
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise FctuneError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, DataError(str(path), number, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
                continue
            if not line.strip():
                continue
            line = line.rstrip("\r\n")
            yield number, parse_json_text(line, str(path), number)


MAX_JSON_DEPTH = 100
"""Deepest nesting of arrays and objects accepted in a row (a tool schema needs a handful)."""


def _depth_error(text: str) -> str | None:
    """Why ``text`` nests too deeply to read (outside strings), or ``None``: checked before parsing, so
    a row of thousands of ``[`` is one error instead of a RecursionError that ends the command."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
        elif char in "]}":
            depth -= 1
    return None


def parse_json_text(text: str, path: str, number: int) -> Any:
    """One JSON value, or a :class:`DataError` (``path``, ``number``) saying why it cannot be read:
    invalid JSON, nesting too deep, a number too long to convert, text that is not valid Unicode (a lone
    surrogate such as ``\\ud800``, which would fail later when the row is encoded)."""
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH:  # only then can it nest too deeply
        problem = _depth_error(text)
        if problem:
            return DataError(path, number, problem)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return DataError(path, number, f"invalid JSON: {exc.msg} (column {exc.colno})")
    except (ValueError, RecursionError) as exc:  # int(...) of more than 4,300 digits
        return DataError(path, number, f"invalid JSON value: {str(exc).splitlines()[0][:120]}")
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        return DataError(path, number, f"text is not valid Unicode (lone surrogate {exc.object[exc.start:exc.end]!r})")
    except (ValueError, RecursionError) as exc:
        return DataError(path, number, f"invalid JSON value: {str(exc).splitlines()[0][:120]}")
    return value


def dumps_row(row: Any) -> str:
    """One JSONL line (without the newline): UTF-8 text, keys in their given order."""
    return json.dumps(row, ensure_ascii=False)


def write_jsonl(path: str | os.PathLike, rows: Iterable[Any]) -> int:
    """Write one JSON object per line (UTF-8, ``ensure_ascii=False``, ``\\n`` endings) to a temporary file
    beside ``path``, renamed over it when complete; parent directories are created. Returns the number
    of rows written."""
    path = Path(path)
    if path.is_dir():
        raise FctuneError(f"{path}: is a directory, not a file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")[1])
    except OSError as exc:
        raise FctuneError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    count = 0
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            for row in rows:
                fh.write(dumps_row(row))
                fh.write("\n")
                count += 1
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, path)  # readers never see a half-written file; a failed write keeps the old one
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count
