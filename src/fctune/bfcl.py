"""BFCL v4 single-turn categories as evaluation items (evaluation only: never training data).

Questions come from ``bfcl_eval/data/BFCL_v4_<cat>.json`` (JSONL ``{"id", "question": [[messages]],
"function": [schemas]}``) and answers from ``possible_answer/BFCL_v4_<cat>.json`` (``{"id",
"ground_truth": [{func: {param: [allowed values]}}]}``); irrelevance categories have no answers
(the right output is no call). Both are read from :func:`fctune.assets.bfcl_data_dir`.

Function schemas become OpenAI tools with JSON Schema parameters (``dict`` -> ``object``,
``float`` -> ``number``, ``tuple`` -> ``array``, ``any`` -> no constraint) for the prompt; the
scorer keeps BFCL's own types, as BFCL's checker does. Dotted names (``math.factorial``) stay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from fctune.errors import DataError, FctuneError
from fctune.formats import ToolCall
from fctune.scoring import EvalItem

CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance",
              "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple", "live_irrelevance")
IRRELEVANCE = ("irrelevance", "live_irrelevance")
GROUPS = {
    "all": CATEGORIES,
    "non_live": CATEGORIES[:5],
    "live": CATEGORIES[5:],
}


SPLITS = ("all", "dev", "test")
DEV_EVERY = 5
"""Every fifth item of each category (file order: the 1st, 6th, 11th, ...) is the dev slice: the
only BFCL items a design decision may look at. Reported figures come from the rest (``test``)."""


def in_split(index: int, split: str) -> bool:
    """Whether the item at 0-based ``index`` of its category file belongs to ``split``."""
    if split not in SPLITS:
        raise FctuneError(f"unknown BFCL split {split!r}; choose one of {', '.join(SPLITS)}")
    dev = index % DEV_EVERY == 0
    return split == "all" or (split == "dev") == dev


# The leaderboard's aggregates, as bfcl-eval 2026.3.23 computes them
# (bfcl_eval/eval_checker/eval_runner_helper.py: calculate_unweighted_accuracy /
# calculate_weighted_accuracy, and the summary rows built from them).
LEADERBOARD = {
    "non_live_ast": ("unweighted", (("unweighted", ("simple_python", "simple_java", "simple_javascript")),
                                    "multiple", "parallel", "parallel_multiple")),
    "live_ast": ("weighted", ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")),
    "irrelevance": ("unweighted", ("irrelevance", "live_irrelevance")),
}
"""``non_live_ast``: the mean of four scores, simple (itself the mean of Python, Java and JavaScript),
multiple, parallel and parallel-multiple, each counting once whatever its size. ``live_ast``: the
accuracy over all items of the four live categories (weighted by their sizes). ``irrelevance``: the
mean of the non-live and live irrelevance accuracies."""


PUBLISHED = {
    "Qwen3-0.6B (FC)": {"non_live_ast": 71.79, "live_ast": 56.62, "irrelevance": 80.84},
    "xLAM-2-1b": {"non_live_ast": 69.04, "live_ast": 55.14, "irrelevance": 64.47},
    "Hammer2.1-0.5b": {"non_live_ast": 65.98, "live_ast": 54.63, "irrelevance": 80.79},
}
"""BFCL v4 leaderboard rows of small tool callers (published figures, not measured here; Hammer2.1-0.5b is
a fine-tune of Qwen2.5-Coder-0.5B-Instruct, the base fctune tunes)."""


def _aggregate(spec: Any, scores: dict[str, dict]) -> tuple[float | None, int, list[str]]:
    """(accuracy, items, missing categories) of one LEADERBOARD entry over per-category scores."""
    if isinstance(spec, str):
        got = scores.get(spec)
        return (got["accuracy"], got["n"], []) if got else (None, 0, [spec])
    how, parts = spec
    results = [_aggregate(part, scores) for part in parts]
    missing = [m for _, _, miss in results for m in miss]
    n = sum(count for _, count, _ in results)
    if missing:
        return None, n, missing
    if how == "weighted":
        return sum(acc * count for acc, count, _ in results) / n, n, []
    return sum(acc for acc, _, _ in results) / len(results), n, []


def leaderboard(scores: dict[str, dict]) -> dict[str, dict]:
    """The BFCL leaderboard's three aggregates from per-category ``{"n", "accuracy"}`` scores:
    ``{name: {"accuracy", "n", "missing"}}``; ``accuracy`` is ``None`` when a category it needs was
    not evaluated (``missing`` names them; BFCL shows ``N/A`` then)."""
    out = {}
    for name, spec in LEADERBOARD.items():
        acc, n, missing = _aggregate(spec, scores)
        out[name] = {"accuracy": None if acc is None else round(acc, 4), "n": n, "missing": missing}
    return out


def parse_categories(spec: str | Iterable[str]) -> list[str]:
    """``"simple_python,irrelevance"`` (or a list) -> category names; ``all``, ``live`` and
    ``non_live`` expand. Unknown names are an error that lists the known ones."""
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s and s.strip()]
    out: list[str] = []
    for name in names:
        for cat in GROUPS.get(name, (name,)):
            if cat not in CATEGORIES:
                raise FctuneError(f"unknown BFCL category {cat!r}; known: {', '.join(CATEGORIES)} "
                                  f"(or {', '.join(GROUPS)})")
            if cat not in out:
                out.append(cat)
    if not out:
        raise FctuneError("no BFCL category given")
    return out


def to_tool(function: dict) -> dict:
    """A BFCL function description as an OpenAI tool with JSON Schema parameters."""
    from fctune.data.schema import schema_to_jsonschema

    params = function.get("parameters") or {"type": "dict", "properties": {}}
    schema = schema_to_jsonschema(params)
    schema.setdefault("type", "object")
    return {"type": "function", "function": {"name": function["name"],
                                             "description": function.get("description") or "",
                                             "parameters": schema}}


def _read(path: Path) -> list[tuple[int, dict]]:
    from fctune.data.schema import iter_jsonl

    rows = []
    for line, obj in iter_jsonl(path):
        if isinstance(obj, DataError):
            raise obj
        if not isinstance(obj, dict) or "id" not in obj:
            raise DataError(str(path), line, "expected a JSON object with an 'id'")
        rows.append((line, obj))
    return rows


def load_category(category: str, limit: int = 0, data_dir: str | Path | None = None,
                  split: str = "all") -> list[EvalItem]:
    """Items of one category in ``split`` (:func:`in_split`), the first ``limit`` of them when > 0,
    in file order."""
    from fctune.assets import bfcl_data_dir

    root = Path(data_dir) if data_dir else bfcl_data_dir()
    qpath = root / f"BFCL_v4_{category}.json"
    if not qpath.is_file():
        raise FctuneError(f"{qpath}: BFCL category file not found")
    rows = [row for k, row in enumerate(_read(qpath)) if in_split(k, split)]
    if limit > 0:
        rows = rows[:limit]
    answers: dict[str, Any] = {}
    if category not in IRRELEVANCE:
        apath = root / "possible_answer" / f"BFCL_v4_{category}.json"
        if not apath.is_file():
            raise FctuneError(f"{apath}: BFCL answer file not found")
        answers = {str(obj["id"]): obj.get("ground_truth") for _, obj in _read(apath)}
    items = []
    for line, row in rows:
        ident = str(row["id"])
        question = row.get("question")
        functions = row.get("function")
        if not (isinstance(question, list) and question and isinstance(question[0], list)) or not isinstance(functions, list):
            raise DataError(str(qpath), line, "expected 'question': [[messages]] and 'function': [schemas]")
        expected = None
        if category not in IRRELEVANCE:
            if ident not in answers or not isinstance(answers[ident], list):
                raise DataError(str(qpath), line, f"no possible answer for {ident!r}")
            expected = answers[ident]
        messages = [{"role": m["role"], "content": m.get("content") or ""} for m in question[0]]
        items.append(EvalItem(
            id=ident, category=category, messages=messages, tools=[to_tool(f) for f in functions],
            expected=expected, schemas={f["name"]: f.get("parameters") or {} for f in functions}, mode="bfcl"))
    return items


def load_items(categories: str | Iterable[str], limit: int = 0, data_dir: str | Path | None = None,
               split: str = "all") -> list[EvalItem]:
    """Items of several categories in ``split``, ``limit`` per category."""
    items: list[EvalItem] = []
    for cat in parse_categories(categories):
        items.extend(load_category(cat, limit, data_dir, split))
    return items


def gold_calls(item: EvalItem) -> list[ToolCall]:
    """One right answer of a BFCL item as calls: the first allowed value of every answer parameter,
    leaving out the optional ones (``""`` allowed and not required by the schema). Used to check
    the scorer and the ``--responses`` path: these calls score 100 %, except for the few answers
    of BFCL that contradict their own schemas."""
    def first(allowed: list, required: bool) -> tuple[Any, bool]:
        values = [a for a in allowed if a != ""]
        if not values or ("" in allowed and not required):
            return None, False
        value = values[0]
        if isinstance(value, dict):  # dict answers hold allowed-value lists per key
            value = {k: v[0] for k, v in value.items() if isinstance(v, list) and v and "" not in v}
        elif isinstance(value, list) and value and all(isinstance(d, dict) for d in value):
            value = [{k: v[0] for k, v in d.items() if isinstance(v, list) and v and "" not in v} for d in value]
        return value, True

    calls = []
    for entry in item.expected or []:
        name, answer = next(iter(entry.items()))
        required = (item.schemas.get(name) or {}).get("required") or []
        args = {}
        for param, allowed in answer.items():
            value, keep = first(allowed if isinstance(allowed, list) else [allowed], param in required)
            if keep:
                args[param] = value
        calls.append(ToolCall(name, args))
    return calls
