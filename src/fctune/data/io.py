"""Reading data files: conversations (canonical JSONL, validated) and tool files.

The one place commands and the library load data from disk, so that every reader reports bad rows
the same way (``FILE:LINE: reason``, every problem, :class:`fctune.data.schema.DataErrors`).
Row rules live in :mod:`fctune.data.schema` (shape, normalisation) and :mod:`fctune.data.validate`
(checks); this module only reads and applies them.
"""

from __future__ import annotations

import os
from pathlib import Path

from fctune.data.schema import DataError, DataErrors, iter_jsonl, normalize_tool, read_json
from fctune.data.validate import check_row
from fctune.errors import FctuneError


def load_numbered_conversations(path: str | os.PathLike) -> list[tuple[int, dict]]:
    """Read a canonical JSONL file: ``[(line, conversation)]``, every row normalised and validated.

    Raises :class:`DataErrors` (a :class:`DataError`) listing every problem as ``FILE:LINE:
    reason`` when any row is bad, and a :class:`DataError` when the file holds no conversation.
    """
    conversations: list[tuple[int, dict]] = []
    errors: list[DataError] = []
    for number, obj in iter_jsonl(path):
        if isinstance(obj, DataError):
            errors.append(obj)
            continue
        conv, problems = check_row(obj)
        errors.extend(DataError(str(path), number, reason) for reason in problems)
        if conv is not None:
            conversations.append((number, conv))
    if errors:
        raise DataErrors(errors)
    if not conversations:
        raise DataError(str(path), 1, "the file holds no conversations")
    return conversations


def load_conversations(path: str | os.PathLike) -> list[dict]:
    """The conversations of :func:`load_numbered_conversations`, without their line numbers."""
    return [conv for _, conv in load_numbered_conversations(path)]


def load_training_conversations(path: str) -> tuple[list[tuple[int, dict]], str]:
    """``[(line, conversation)]`` from a canonical JSONL file, or the built-in seed set when empty."""
    if not path:
        from fctune.data.seed import seed_conversations

        return [(i + 1, c) for i, c in enumerate(seed_conversations())], "built-in seed set"
    return load_numbered_conversations(path), str(path)


def load_tool_file(path: str | Path) -> list[dict]:
    """Read a JSON list of OpenAI tool schemas (or ``{"tools": [...]}``; bare function dicts are accepted too),
    each normalised and checked; the first problem is raised naming the file and the tool."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FctuneError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise FctuneError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    raw, why = read_json(text)
    if why:
        raise FctuneError(f"{path}: {why}")
    if isinstance(raw, dict) and "tools" in raw:
        raw = raw["tools"]
    if not isinstance(raw, list) or not raw:
        raise FctuneError(f"{path}: expected a JSON list of tool schemas")
    out = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        problems: list[str] = []
        tool = normalize_tool(item, f"{path}: tools[{i}]", problems)
        if tool is None:
            raise FctuneError("; ".join(problems))
        fn = tool["function"]
        name = fn.get("name")
        if not isinstance(name, str) or not name.strip():
            raise FctuneError(f"{path}: tools[{i}] has no name")
        if name in names:
            raise FctuneError(f"{path}: tool {name!r} is defined twice")
        names.add(name)
        _conv, reasons = check_row({"tools": [tool], "messages": [{"role": "user", "content": "?"},
                                                                   {"role": "assistant", "content": "!"}]})
        if reasons:
            raise FctuneError(f"{path}: tool {name!r}: " + "; ".join(r.split(": ", 1)[-1] for r in reasons))
        out.append(tool)
    return out
