"""The provenance check: every argument value of every call comes from the conversation.

A value is accepted when, in the user turns and tool results before the call,

* a string appears verbatim (case-insensitive), or one of its aliases from ``values.ALIASES`` does
  (摄氏度 -> "celsius", 美元 -> "USD"), or it is an ISO date the text names absolutely or relatively
  (resolved with the current date stated in the system message), or an 'HH:MM' time the text names
  (下午3点, 3 pm), or a 'YYYY-MM-DDTHH:MM' made of both;
* a number appears as digits;
* a boolean's cue phrase for that parameter appears (recorded with the tool's sampler);
* lists and objects: every element / member passes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fctune.data.synth.values import ALIASES, current_date_from, dates_in, num_text, times_in

_NUM = re.compile(r"-?\d+(?:\.\d+)?")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::00)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")


class _Sources:
    def __init__(self, texts: list[str], today):
        self.text = "\n".join(texts)
        self.low = self.text.lower()
        self.today = today
        self._dates: set[str] | None = None
        self._times: set[str] | None = None
        self._nums: set[float] | None = None

    @property
    def dates(self) -> set[str]:
        if self._dates is None:
            self._dates = dates_in(self.text, self.today)
        return self._dates

    @property
    def times(self) -> set[str]:
        if self._times is None:
            self._times = times_in(self.text)
        return self._times

    @property
    def nums(self) -> set[float]:
        if self._nums is None:
            self._nums = {float(m.group(0)) for m in _NUM.finditer(self.text)}
            # a minus sign in "2026-03-05" or "A-12" is a dash, not a sign: keep both readings
            self._nums |= {abs(x) for x in self._nums}
        return self._nums


def _string_ok(v: str, src: _Sources) -> bool:
    low = v.lower()
    if low in src.low:
        return True
    if any(a in src.low for a in ALIASES.get(low, ())):
        return True
    if _DATE.match(v):
        return v in src.dates
    if _TIME.match(v):
        return v in src.times
    m = _DATETIME.match(v)
    if m:
        return m.group(1) in src.dates and m.group(2) in src.times
    return False


def _check(value: Any, path: str, tool, src: _Sources, where: str, problems: list[str]) -> None:
    if isinstance(value, bool):
        cues = (tool.bool_cues.get(path, {}) if tool is not None else {}).get(value, [])
        if not any(cue in src.low for cue in cues):
            problems.append(f"{where}: {path}={value!r} has no cue in the user text")
    elif isinstance(value, (int, float)):
        if float(value) not in src.nums:
            problems.append(f"{where}: {path}={num_text(value)} does not appear as digits")
    elif isinstance(value, str):
        if not _string_ok(value, src):
            problems.append(f"{where}: {path}={value!r} does not come from the user text")
    elif isinstance(value, list):
        if not value:
            problems.append(f"{where}: {path} is an empty list")
        for item in value:
            _check(item, path, tool, src, where, problems)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check(v, f"{path}.{k}", tool, src, where, problems)
    else:
        problems.append(f"{where}: {path}={value!r} is not a plain value")


def _json_strings(text: str) -> list[str]:
    """The decoded string values of a JSON tool result (escapes resolved: "D:\\\\x" -> "D:\\x")."""
    try:
        obj = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return []
    out: list[str] = []
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return out


def value_problems(row: dict, tools: dict | None = None) -> list[str]:
    """Problems with the provenance of the call arguments of one conversation ([] when clean).

    ``tools`` maps tool names to :class:`~fctune.data.synth.catalog.Tool` (for boolean cues)."""
    tools = tools or {}
    messages = row.get("messages") or []
    today = None
    if messages and messages[0].get("role") == "system":
        today = current_date_from(messages[0].get("content") or "")
    seen: list[str] = []
    problems: list[str] = []
    for i, msg in enumerate(messages):
        role = msg.get("role")
        if role == "user":
            seen.append(msg.get("content") or "")
        elif role == "tool":
            content = msg.get("content") or ""
            seen.append(content)
            seen.extend(_json_strings(content))
        elif role == "assistant" and msg.get("tool_calls"):
            src = _Sources(seen, today)
            for j, call in enumerate(msg["tool_calls"]):
                fn = call["function"]
                tool = tools.get(fn["name"])
                where = f"{row.get('id', '?')} messages[{i}].tool_calls[{j}] {fn['name']}"
                for k, v in (fn.get("arguments") or {}).items():
                    _check(v, k, tool, src, where, problems)
    return problems
