"""``fctune data convert --from FORMAT IN --out OUT``: bring public tool-calling data into the
canonical format (docs/data-format.md).

Formats: ``openai`` (messages + tools, also the legacy ``functions``/``function_call`` fields),
``xlam`` (xLAM / APIGen: query, tools, answers), ``glaive`` (Glaive function-calling v2: system +
chat text), ``sharegpt`` (LLaMA-Factory: conversations with from/value, tools) and ``seed-text``
(the original ``用户: ... / 助手: ...`` text form with call blocks in the template's syntax).

Input files are JSONL or a single JSON array (``seed-text`` also reads plain text). Every row
that cannot be converted, or whose conversion does not pass the validator, is reported as
``FILE:LINE: reason`` and counted; the good rows are still written. Exit status 1 when any row
was skipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Iterator

from fctune.data.schema import (UNREADABLE_JSON, DataError, iter_jsonl, parse_arguments, parse_json_text, read_json,
                                write_jsonl)
from fctune.errors import FctuneError
from fctune.formats import END_OF_TEXT, parse, parse_call_body


class ConvertError(ValueError):
    """A row that cannot be converted; the message is the reason."""


# --------------------------------------------------------------------------- reading


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def iter_records(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line, object)`` for a JSONL file or a JSON array file (line = where the element starts).
    A broken line or element yields ``(line, DataError)``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FctuneError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise FctuneError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    stripped = text.lstrip()
    if not stripped.startswith("["):
        yield from iter_jsonl(path)
        return
    decoder = json.JSONDecoder()
    pos = len(text) - len(stripped) + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            yield _line_of(text, pos), DataError(str(path), _line_of(text, pos), "JSON array is not closed")
            return
        if text[pos] == "]":
            return
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            line = _line_of(text, exc.pos)
            yield line, DataError(str(path), line, f"invalid JSON: {exc.msg}")
            return  # the rest of an array cannot be resynchronised reliably
        except (ValueError, RecursionError):
            line = _line_of(text, pos)
            yield line, parse_json_text(text[pos:], str(path), line)  # says why (depth, number size)
            return
        checked = parse_json_text(text[pos:end], str(path), _line_of(text, pos))
        yield _line_of(text, pos), checked
        pos = end


def _loads_maybe(value: Any, what: str) -> Any:
    """A field that datasets store either as JSON text or as the parsed value."""
    if isinstance(value, str):
        parsed, why = read_json(value) if value.strip() else ([], None)
        if why:
            raise ConvertError(f"{what} is {why}")
        return parsed
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _call(name: str, arguments: Any) -> dict:
    args, reason = parse_arguments(arguments)
    if reason:
        raise ConvertError(f"call {name!r}: {reason}")
    return {"type": "function", "function": {"name": name, "arguments": args}}


def _bare_function(fn: Any, what: str) -> dict:
    """A function description as a tool: ``{"type": "function", "function": fn}``."""
    if isinstance(fn, dict) and isinstance(fn.get("function"), dict):
        return fn
    if not isinstance(fn, dict):
        raise ConvertError(f"{what}: a function must be an object")
    return {"type": "function", "function": fn}


# --------------------------------------------------------------------------- openai


def from_openai(row: Any) -> dict:
    """``{"messages": [...], "tools": [...]}`` (arguments as JSON strings, tool_call_id links);
    legacy ``functions`` and assistant ``function_call`` / role ``function`` are accepted."""
    if not isinstance(row, dict):
        raise ConvertError("row must be a JSON object")
    messages = row.get("messages")
    if not isinstance(messages, list):
        raise ConvertError("missing 'messages' list")
    tools = _loads_maybe(row.get("tools"), "tools") or []
    functions = _loads_maybe(row.get("functions"), "functions") or []
    if not isinstance(tools, list) or not isinstance(functions, list):
        raise ConvertError("'tools' and 'functions' must be lists")
    tools = list(tools) + [_bare_function(f, "functions") for f in functions]
    out_messages = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            raise ConvertError(f"messages[{i}] is not an object")
        msg = dict(msg)
        if msg.get("role") == "function":
            msg["role"] = "tool"
        if msg.get("role") == "assistant" and isinstance(msg.get("function_call"), dict):
            fc = msg.pop("function_call")
            msg["tool_calls"] = list(msg.get("tool_calls") or []) + [
                {"type": "function", "function": {"name": fc.get("name"), "arguments": fc.get("arguments")}}]
        out_messages.append(msg)
    out = {"tools": tools, "messages": out_messages}
    if "id" in row:
        out = {"id": row["id"], **out}
    return out


# --------------------------------------------------------------------------- xlam

_OPTIONAL_SUFFIX = re.compile(r"\s*,\s*optional\s*$", re.IGNORECASE)


def _split_top(text: str) -> list[str]:
    """Split ``a, List[b, c], d`` on top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def python_type_schema(type_text: str) -> tuple[dict, bool]:
    """JSON Schema for an xLAM / Python type string; also whether it says "optional".

    ``str`` -> string, ``int`` -> integer, ``float`` -> number, ``bool`` -> boolean,
    ``List[str]`` -> array of strings, ``Dict[...]``/``dict`` -> object, ``Tuple``/``Set`` -> array,
    ``Union[a, b]`` -> anyOf, ``Optional[X]`` or ``X, optional`` -> X and optional,
    ``Any``/unknown -> no constraint.
    """
    text = (type_text or "").strip()
    optional = False
    if _OPTIONAL_SUFFIX.search(text):
        text = _OPTIONAL_SUFFIX.sub("", text)
        optional = True
    m = re.fullmatch(r"(?i)optional\[(.*)\]", text)
    if m:
        inner, _ = python_type_schema(m.group(1))
        return inner, True
    m = re.fullmatch(r"(\w+)\s*\[(.*)\]", text)
    head = (m.group(1) if m else text).lower()
    args = _split_top(m.group(2)) if m else []
    simple = {"str": "string", "string": "string", "int": "integer", "integer": "integer",
              "float": "number", "number": "number", "double": "number", "bool": "boolean",
              "boolean": "boolean", "none": "null", "null": "null"}
    if head in simple:
        return {"type": simple[head]}, optional
    if head in ("list", "array", "tuple", "set", "sequence", "iterable"):
        schema: dict[str, Any] = {"type": "array"}
        if head in ("list", "array", "set", "sequence", "iterable") and len(args) == 1:
            item, _ = python_type_schema(args[0])
            if item:
                schema["items"] = item
        return schema, optional
    if head in ("dict", "object", "mapping", "map"):
        return {"type": "object"}, optional
    if head == "union" and args:
        options = [python_type_schema(a)[0] for a in args]
        if any(not o for o in options):
            return {}, optional
        if any(o == {"type": "null"} for o in options):
            optional = True
        return {"anyOf": options}, optional
    return {}, optional  # Any, Callable, unknown names: no constraint


def xlam_parameters(params: Any) -> dict:
    """xLAM's flat ``{param: {type, description, default?}}`` map as an object JSON Schema.
    A parameter is required unless its type says optional or it has a default."""
    if params in (None, {}):
        return {"type": "object", "properties": {}}
    if not isinstance(params, dict):
        raise ConvertError("tool parameters must be an object")
    if params.get("type") in ("object", "dict") and isinstance(params.get("properties"), dict):
        return params  # already a JSON Schema
    props: dict[str, Any] = {}
    required: list[str] = []
    for name, spec in params.items():
        if not isinstance(spec, dict):
            raise ConvertError(f"parameter {name!r} has no spec object")
        schema, optional = python_type_schema(str(spec.get("type", "")))
        if spec.get("description"):
            schema["description"] = str(spec["description"])
        if "default" in spec:
            if spec["default"] not in (None, ""):
                schema["default"] = spec["default"]
        elif not optional:
            required.append(name)
        props[name] = schema
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def from_xlam(row: Any) -> dict:
    """xLAM / APIGen: ``{"query", "tools": JSON text, "answers": JSON text}``."""
    if not isinstance(row, dict):
        raise ConvertError("row must be a JSON object")
    query = row.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ConvertError("missing 'query' text")
    tools = _loads_maybe(row.get("tools"), "tools")
    answers = _loads_maybe(row.get("answers"), "answers")
    if not isinstance(tools, list):
        raise ConvertError("'tools' must be a list")
    if not isinstance(answers, list):
        raise ConvertError("'answers' must be a list")
    out_tools = []
    for i, t in enumerate(tools):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise ConvertError(f"tools[{i}] has no name")
        try:
            params = xlam_parameters(t.get("parameters"))
        except ConvertError as exc:
            raise ConvertError(f"tools[{i}] ({t['name']!r}): {exc}") from exc
        out_tools.append({"type": "function", "function": {
            "name": t["name"], "description": str(t.get("description") or ""), "parameters": params}})
    calls = []
    for i, a in enumerate(answers):
        if not isinstance(a, dict) or not isinstance(a.get("name"), str):
            raise ConvertError(f"answers[{i}] has no name")
        calls.append(_call(a["name"], a.get("arguments")))
    if not calls:
        raise ConvertError("'answers' is empty: no call to train on")
    assistant = {"role": "assistant", "content": "", "tool_calls": calls}
    out = {"tools": out_tools, "messages": [{"role": "user", "content": query}, assistant]}
    if "id" in row:
        out = {"id": row["id"], **out}
    return out


# --------------------------------------------------------------------------- glaive

_GLAIVE_TURN = re.compile(r"(?:^|\n)[ \t]*(USER|ASSISTANT|FUNCTION RESPONSE|SYSTEM):[ \t]?")


def _json_objects(text: str) -> tuple[list[Any], str]:
    """Every top-level JSON object in ``text`` and the text left around them."""
    decoder = json.JSONDecoder()
    objects, rest, pos = [], [], 0
    while True:
        start = text.find("{", pos)
        if start < 0:
            rest.append(text[pos:])
            break
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            raise ConvertError(f"a function definition in the system prompt is not valid JSON ({exc.msg})") from exc
        except (ValueError, RecursionError):  # json recurses per level; int() refuses 4,300+ digits
            raise ConvertError(f"a function definition in the system prompt is {UNREADABLE_JSON}") from None
        rest.append(text[pos:start])
        objects.append(obj)
        pos = end
    return objects, "".join(rest)


def _glaive_call(text: str) -> dict:
    """``{"name": "x", "arguments": '{...}'}`` (arguments single-quoted JSON text, or an object)."""
    body = text.strip()
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError, or nested / numbers too deep to read
        m = re.fullmatch(r'\{\s*"name"\s*:\s*"([^"]+)"\s*,\s*"arguments"\s*:\s*\'(.*)\'\s*\}', body, re.DOTALL)
        if not m:
            raise ConvertError(f"cannot parse <functioncall> {body[:80]!r}") from None
        return _call(m.group(1), m.group(2))
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        raise ConvertError("<functioncall> has no function name")
    return _call(obj["name"], obj.get("arguments"))


def from_glaive(row: Any) -> dict:
    """Glaive function-calling v2: ``{"system": "SYSTEM: ... {fn} {fn}", "chat": "USER: ...
    ASSISTANT: <functioncall> {...} (the end-of-text token) FUNCTION RESPONSE: ... ASSISTANT: ..."}``."""
    if not isinstance(row, dict):
        raise ConvertError("row must be a JSON object")
    system, chat = row.get("system", ""), row.get("chat")
    if not isinstance(chat, str) or not chat.strip():
        raise ConvertError("missing 'chat' text")
    if not isinstance(system, str):
        raise ConvertError("'system' must be text")
    system = re.sub(r"^\s*SYSTEM:\s*", "", system)
    functions, system_text = _json_objects(system)
    tools = [_bare_function(f, "system") for f in functions]
    system_text = system_text.strip()
    messages: list[dict] = []
    # The stock preamble only introduces the function list, which the chat template renders itself.
    if system_text and not re.search(r"access to the following functions", system_text, re.IGNORECASE):
        messages.append({"role": "system", "content": system_text})
    pieces = _GLAIVE_TURN.split(chat.replace(END_OF_TEXT, ""))
    if pieces[0].strip():
        raise ConvertError(f"text before the first turn marker: {pieces[0].strip()[:60]!r}")
    last_calls: list[str] = []
    for role, text in zip(pieces[1::2], pieces[2::2]):
        text = text.strip()
        if role == "USER":
            messages.append({"role": "user", "content": text})
        elif role == "SYSTEM":
            messages.append({"role": "system", "content": text})
        elif role == "FUNCTION RESPONSE":
            msg = {"role": "tool", "content": text}
            if len(last_calls) == 1:
                msg = {"role": "tool", "name": last_calls[0], "content": text}
            messages.append(msg)
        else:
            preface, sep, call_text = text.partition("<functioncall>")
            msg: dict[str, Any] = {"role": "assistant", "content": preface.strip()}
            if sep:
                call = _glaive_call(call_text)
                msg["tool_calls"] = [call]
                last_calls = [call["function"]["name"]]
            messages.append(msg)
    return {"tools": tools, "messages": messages}


# --------------------------------------------------------------------------- sharegpt

_SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                   "system": "system", "observation": "tool", "tool": "tool", "function_call": "function_call"}


def from_sharegpt(row: Any) -> dict:
    """LLaMA-Factory sharegpt: ``{"conversations": [{"from", "value"}], "system"?, "tools": JSON text}``."""
    if not isinstance(row, dict):
        raise ConvertError("row must be a JSON object")
    turns = row.get("conversations")
    if not isinstance(turns, list) or not turns:
        raise ConvertError("missing 'conversations' list")
    functions = _loads_maybe(row.get("tools"), "tools") or []
    if not isinstance(functions, list):
        functions = [functions]
    tools = [_bare_function(f, "tools") for f in functions]
    messages: list[dict] = []
    if isinstance(row.get("system"), str) and row["system"].strip():
        messages.append({"role": "system", "content": row["system"]})
    last_calls: list[str] = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise ConvertError(f"conversations[{i}] is not an object")
        who = turn.get("from", turn.get("role"))
        value = turn.get("value", turn.get("content"))
        role = _SHAREGPT_ROLES.get(who)
        if role is None:
            raise ConvertError(f"conversations[{i}]: unknown 'from' value {who!r}")
        if not isinstance(value, str):
            raise ConvertError(f"conversations[{i}]: 'value' must be text")
        if role == "function_call":
            parsed, why = read_json(value)
            if why:
                raise ConvertError(f"conversations[{i}]: function_call is {why}")
            items = parsed if isinstance(parsed, list) else [parsed]
            calls = []
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    raise ConvertError(f"conversations[{i}]: function_call without a name")
                calls.append(_call(item["name"], item.get("arguments")))
            last_calls = [c["function"]["name"] for c in calls]
            messages.append({"role": "assistant", "content": "", "tool_calls": calls})
        elif role == "tool":
            msg = {"role": "tool", "content": value}
            if len(last_calls) == 1:
                msg = {"role": "tool", "name": last_calls[0], "content": value}
            messages.append(msg)
        else:
            messages.append({"role": role, "content": value})
    return {"tools": tools, "messages": messages}


# --------------------------------------------------------------------------- seed-text

_SPEAKERS = {"用户": "user", "user": "user", "human": "user", "助手": "assistant", "assistant": "assistant",
             "系统": "system", "system": "system", "工具": "tool", "tool": "tool", "observation": "tool"}
_SPEAKER_LINE = re.compile(r"^[ \t]*(用户|助手|系统|工具|User|Human|Assistant|System|Tool|Observation)[ \t]*[:：][ \t]?(.*)$",
                           re.IGNORECASE)
def parse_call_text(text: str) -> tuple[str, dict]:
    """One call written as ``name({...json...})``, ``name(a=1, b="x")`` or ``{"name", "arguments"}``:
    the body of a call block, read by :func:`fctune.formats.parse_call_body` (the parser of model output)."""
    try:
        calls = parse_call_body(text)
    except ValueError as exc:
        raise ConvertError(f"cannot parse tool call: {exc}") from None
    if len(calls) != 1:
        raise ConvertError(f"expected one tool call, found {len(calls)}: {text.strip()[:60]!r}")
    return calls[0].name, calls[0].arguments


def infer_tools(messages: list[dict]) -> list[dict]:
    """Minimal tool schemas for calls that come without declarations: each argument typed from
    its value; required = the arguments present in every call of that tool."""
    seen: dict[str, tuple[dict[str, str], set[str] | None]] = {}
    for msg in messages:
        for call in msg.get("tool_calls") or []:
            name, args = call["function"]["name"], call["function"]["arguments"]
            types, required = seen.get(name, ({}, None))
            for key, value in args.items():
                types.setdefault(key, _json_type(value))
            required = set(args) if required is None else required & set(args)
            seen[name] = (types, required)
    tools = []
    for name, (types, required) in seen.items():
        params: dict[str, Any] = {"type": "object",
                                  "properties": {k: ({"type": t} if t != "null" else {}) for k, t in types.items()}}
        req = [k for k in types if k in (required or set())]
        if req:
            params["required"] = req
        tools.append({"type": "function", "function": {"name": name, "description": "", "parameters": params}})
    return tools


def from_seed_text(row: Any) -> dict:
    """The original text form: ``用户: ...`` then ``助手: ...`` (or ``User:``/``Assistant:``);
    calls in call blocks as :func:`fctune.formats.parse` reads them (``name({...})``, ``name(a=1)`` or the
    JSON form). Tools are inferred."""
    text = row.get("text") if isinstance(row, dict) else row
    if not isinstance(text, str) or not text.strip():
        raise ConvertError("missing 'text'")
    turns: list[tuple[str, list[str]]] = []
    for line in text.strip().splitlines():
        m = _SPEAKER_LINE.match(line)
        if m:
            turns.append((_SPEAKERS[m.group(1).lower()], [m.group(2)]))
        elif turns:
            turns[-1][1].append(line)
        elif line.strip():
            raise ConvertError(f"text before the first speaker: {line.strip()[:60]!r}")
    if not turns:
        raise ConvertError("no '用户:' / '助手:' turns")
    messages: list[dict] = []
    last_calls: list[str] = []
    for role, lines in turns:
        body = "\n".join(lines).strip()
        if role == "tool" and len(last_calls) == 1:
            messages.append({"role": "tool", "name": last_calls[0], "content": body})
            continue
        if role != "assistant":
            messages.append({"role": role, "content": body})
            continue
        parsed = parse(body)
        if parsed.errors:
            raise ConvertError(f"assistant turn: {parsed.errors[0]}")
        calls = [c.to_message() for c in parsed.tool_calls]
        msg: dict[str, Any] = {"role": "assistant", "content": parsed.content}
        if calls:
            msg["tool_calls"] = calls
            last_calls = [c["function"]["name"] for c in calls]
        messages.append(msg)
    return {"tools": infer_tools(messages), "messages": messages}


def iter_seed_text(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Rows of a seed-text file: JSONL ``{"text": ...}`` rows, or plain text with conversations
    separated by blank lines (a block that does not open with a user or system line continues the
    conversation before it). Yields ``(first line, text)``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FctuneError(f"{path}: cannot read: {exc}") from exc
    if text.lstrip().startswith(("{", "[")):
        yield from iter_records(path)
        return
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
            continue
        if current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    convs: list[tuple[int, list[str]]] = []
    for start, lines in blocks:
        m = _SPEAKER_LINE.match(lines[0])
        opens = m is not None and _SPEAKERS[m.group(1).lower()] in ("user", "system")
        if convs and not opens:
            convs[-1][1].extend([""] + lines)
        else:
            convs.append((start, list(lines)))
    for start, lines in convs:
        yield start, {"text": "\n".join(lines)}


# --------------------------------------------------------------------------- driver

CONVERTERS: dict[str, Callable[[Any], dict]] = {
    "openai": from_openai,
    "xlam": from_xlam,
    "glaive": from_glaive,
    "sharegpt": from_sharegpt,
    "seed-text": from_seed_text,
}


def convert_file(fmt: str, src: str | Path, dst: str | Path) -> tuple[int, list[DataError]]:
    """Convert ``src`` (format ``fmt``) to canonical JSONL at ``dst``. Every row that cannot be
    converted or fails validation becomes one or more ``DataError``; good rows are written.
    Returns ``(rows written, errors)``; ``len({e.line for e in errors})`` rows were skipped. With no
    row to write, ``dst`` is not touched (0 is returned). ``dst`` is written whole or not at all."""
    from fctune.data.validate import check_row

    if fmt not in CONVERTERS:
        raise FctuneError(f"unknown format {fmt!r} (choose from {', '.join(CONVERTERS)})")
    if Path(dst).resolve() == Path(src).resolve():
        raise FctuneError(f"--out {dst} is the input file: write the converted rows elsewhere")
    convert = CONVERTERS[fmt]
    records = iter_seed_text(src) if fmt == "seed-text" else iter_records(src)
    good: list[dict] = []
    errors: list[DataError] = []
    for number, obj in records:
        if isinstance(obj, DataError):
            errors.append(obj)
            continue
        try:
            conv = convert(obj)
        except ConvertError as exc:
            errors.append(DataError(str(src), number, str(exc)))
            continue
        norm, problems = check_row(conv)
        if problems:
            errors.extend(DataError(str(src), number, f"converted row is invalid: {p}") for p in problems)
            continue
        good.append(norm)
    if not good:  # nothing to write: an existing output stays as it was
        return 0, errors
    write_jsonl(dst, good)
    return len(good), errors


