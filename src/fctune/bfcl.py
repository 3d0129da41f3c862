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

import json
from pathlib import Path
from typing import Any, Iterable

from fctune.errors import DataError, FctuneError
from fctune.formats import ToolCall
from fctune.scoring import EvalItem

CATEGORIES = ("simple_python", "simple_java", "simple_javascript", "multiple", "parallel", "parallel_multiple",
              "irrelevance", "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple",
              "live_irrelevance")
IRRELEVANCE = ("irrelevance", "live_irrelevance")
GROUPS = {
    "all": CATEGORIES,
    "non_live": CATEGORIES[:7],
    "live": CATEGORIES[7:],
}


def language(category: str) -> str:
    """The language a category's functions are written in (bfcl-eval's ``is_java`` / ``is_js``):
    ``java``, ``javascript`` or ``python`` (every other category)."""
    if "javascript" in category:
        return "javascript"
    return "java" if "java" in category else "python"


HINTS = {"python": " Note that the provided function is in Python 3 syntax.",
         "java": " Note that the provided function is in Java 8 SDK syntax.",
         "javascript": " Note that the provided function is in JavaScript syntax."}
"""What bfcl-eval appends to every function description of a category before asking a model
(``bfcl_eval/utils.py``: ``_get_language_specific_hint``, applied by ``load_dataset_entry``)."""


def prompt_function(function: dict, lang: str) -> dict:
    """A function description as bfcl-eval shows it to a model (``_func_doc_language_specific_pre_processing``
    of ``bfcl_eval/utils.py``, 2026.3.23): the language hint appended to its description; for Java and
    JavaScript every parameter becomes a ``string`` (the model writes the value as source text) whose
    description names its type, with array element types and dict entry schemas moved into the
    description. Scoring keeps the original types (:func:`fctune.scoring.check_call`)."""
    import copy

    out = copy.deepcopy(function)
    out["description"] = (out.get("description") or "") + HINTS[lang]
    if lang == "python":
        return out
    params = out.get("parameters") if isinstance(out.get("parameters"), dict) else {}
    name = "Java" if lang == "java" else "JavaScript"
    for value in (params.get("properties") or {}).values():
        if not isinstance(value, dict):
            continue
        kind = value.get("type")
        desc = value.get("description") or ""
        if kind == "any":
            desc += f" This parameter can be of any type of {name} object in string representation."
        else:
            desc += f" This is {name} {kind} type parameter in string representation."
        if kind in (("ArrayList", "Array") if lang == "java" else ("array",)) and isinstance(value.get("items"), dict):
            desc += f" The list elements are of type {value['items'].get('type')}; they are not in string representation."
            del value["items"]
        if lang == "javascript" and kind == "dict" and "properties" in value:
            desc += (" The dictionary entries have the following schema; they are not in string representation. "
                     + json.dumps(value["properties"]))
            del value["properties"]
        value["description"] = desc
        value["type"] = "string"
    return out


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


def _weights(spec: Any, scores: dict[str, dict], weight: float = 1.0) -> dict[str, float]:
    """The weight of each category in one LEADERBOARD aggregate (the mean's coefficients)."""
    if isinstance(spec, str):
        return {spec: weight}
    how, parts = spec
    counts = [_aggregate(part, scores)[1] for part in parts]
    total = sum(counts)
    out: dict[str, float] = {}
    for part, count in zip(parts, counts):
        share = (count / total if total else 0.0) if how == "weighted" else 1 / len(parts)
        for cat, w in _weights(part, scores, weight * share).items():
            out[cat] = out.get(cat, 0.0) + w
    return out


def _interval(spec: Any, scores: dict[str, dict], acc: float) -> list[float]:
    """A 95 % interval of an aggregate: the normal approximation of a weighted sum of independent
    proportions, each item a draw from its category (what a stratified sample estimates)."""
    import math

    var = sum(w * w * scores[c]["accuracy"] * (1 - scores[c]["accuracy"]) / scores[c]["n"]
              for c, w in _weights(spec, scores).items())
    half = 1.96 * math.sqrt(var)
    return [round(max(0.0, acc - half), 4), round(min(1.0, acc + half), 4)]


def leaderboard(scores: dict[str, dict]) -> dict[str, dict]:
    """The BFCL leaderboard's three aggregates from per-category ``{"n", "accuracy"}`` scores:
    ``{name: {"accuracy", "n", "missing", "ci95"}}``; ``accuracy`` (and ``ci95``) is ``None`` when a
    category it needs was not evaluated (``missing`` names them; BFCL shows ``N/A`` then). ``ci95``:
    :func:`_interval`, the spread that sampling items leaves."""
    out = {}
    for name, spec in LEADERBOARD.items():
        acc, n, missing = _aggregate(spec, scores)
        out[name] = {"accuracy": None if acc is None else round(acc, 4), "n": n, "missing": missing,
                     "ci95": None if acc is None else _interval(spec, scores, acc)}
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


def to_tool(function: dict, lang: str = "python") -> dict:
    """A BFCL function description as an OpenAI tool with JSON Schema parameters, as bfcl-eval shows
    it to a model of category language ``lang`` (:func:`prompt_function`)."""
    from fctune.data.schema import schema_to_jsonschema

    function = prompt_function(function, lang)
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


def sample_indices(category: str, size: int, count: int, round_: int = 1) -> list[int]:
    """``count`` of the ``size`` positions of a category's split, drawn at random with a seed fixed by
    the category's name (everyone gets the same sample), in file order; all of them when ``count``
    is 0 or at least ``size``. Each category is drawn on its own: a stratified sample.

    ``round_`` 2, 3, ...: a further sample of ``count``, drawn the same way from the positions the
    earlier rounds left (none of their items; all that are left when fewer remain, none once a round
    took them all), to confirm on untouched items a choice made after seeing an earlier round."""
    import random

    assert round_ >= 1, round_
    if count <= 0:
        return list(range(size)) if round_ == 1 else []
    left, picked = list(range(size)), []
    for r in range(1, round_ + 1):
        taken = set(picked)
        left = [i for i in left if i not in taken]
        seed = f"fctune-bfcl-sample:{category}" + (f":round-{r}" if r > 1 else "")
        picked = left if count >= len(left) else sorted(random.Random(seed).sample(left, count))
    return picked


def load_category(category: str, limit: int = 0, data_dir: str | Path | None = None,
                  split: str = "all", sample: int = 0, sample_round: int = 1) -> list[EvalItem]:
    """Items of one category in ``split`` (:func:`in_split`): the first ``limit`` of them when > 0,
    or a fixed random ``sample`` of that many (:func:`sample_indices`, round ``sample_round``), in file order."""
    if limit > 0 and sample > 0:
        raise FctuneError("give a limit (the first N items) or a sample (N at random), not both")
    from fctune.assets import bfcl_data_dir

    root = Path(data_dir) if data_dir else bfcl_data_dir()
    qpath = root / f"BFCL_v4_{category}.json"
    if not qpath.is_file():
        raise FctuneError(f"{qpath}: BFCL category file not found")
    rows = [row for k, row in enumerate(_read(qpath)) if in_split(k, split)]
    if limit > 0:
        rows = rows[:limit]
    elif sample > 0:
        rows = [rows[i] for i in sample_indices(category, len(rows), sample, sample_round)]
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
        lang = language(category)
        items.append(EvalItem(
            id=ident, category=category, messages=messages, tools=[to_tool(f, lang) for f in functions],
            expected=expected, schemas={f["name"]: f.get("parameters") or {} for f in functions}, mode="bfcl",
            language=lang))
    return items


def load_items(categories: str | Iterable[str], limit: int = 0, data_dir: str | Path | None = None,
               split: str = "all", sample: int = 0, sample_round: int = 1) -> list[EvalItem]:
    """Items of several categories in ``split``, ``limit`` (or a ``sample`` of that many, round
    ``sample_round``) per category."""
    items: list[EvalItem] = []
    for cat in parse_categories(categories):
        items.extend(load_category(cat, limit, data_dir, split, sample, sample_round))
    return items


def _java_scalar(value: Any) -> str:
    """A value as Java source that bfcl-eval's ``parse_java_value`` reads back (element of an
    untyped collection)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _js_scalar(value: Any) -> str:
    """A value as JavaScript source that bfcl-eval's ``parse_js_value`` reads back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_js_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_js_scalar(v)}" for k, v in value.items()) + "}"
    return str(value)


def source_text(value: Any, pschema: dict, lang: str) -> Any:
    """``value`` written as Java or JavaScript source for a parameter of BFCL type ``pschema["type"]``,
    the way a model answers a Java / JavaScript item (:func:`prompt_function` asks for strings), such
    that bfcl-eval's type converters read ``value`` back. Strings stay as they are."""
    kind = pschema.get("type")
    items = pschema.get("items") if isinstance(pschema.get("items"), dict) else {}
    nested = items.get("type")
    if isinstance(value, str):  # a string, or a variable's name where BFCL's answer gives one
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if lang == "java":
        if kind == "long":
            return f"{value}L"
        if kind == "float":
            return f"{float(value)!r}f"
        if kind == "double":
            return repr(float(value))
        if kind == "ArrayList":
            if not value:
                return "new ArrayList<>()"
            elems = [json.dumps(v, ensure_ascii=False) if nested in ("String", "char") else
                     source_text(v, {"type": nested}, lang) if nested else _java_scalar(v) for v in value]
            return f"new ArrayList<>(Arrays.asList({', '.join(elems)}))"
        if kind == "Array":
            elems = [str(source_text(v, {"type": nested}, lang)) if nested else _java_scalar(v) for v in value]
            return f"new {nested or 'Object'}[]{{{', '.join(elems)}}}"
        if kind == "HashMap":
            if not value:
                return "new HashMap<>()"
            puts = " ".join(f"put({json.dumps(str(k), ensure_ascii=False)}, {_java_scalar(v)});" for k, v in value.items())
            return f"new HashMap<String, Object>() {{{{ {puts} }}}}"
    else:
        if kind == "Bigint":
            return f"{value}n"
        if kind in ("array", "dict"):
            return _js_scalar(value)
    return value if isinstance(value, str) else str(value)


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
        if isinstance(value, dict):  # dict answers hold allowed-value lists per key (or one value)
            value = {k: (v[0] if isinstance(v, list) else v) for k, v in value.items()
                     if not isinstance(v, list) or (v and "" not in v)}
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
                pschema = ((item.schemas.get(name) or {}).get("properties") or {}).get(param) or {}
                args[param] = value if item.language == "python" else source_text(value, pschema, item.language)
        calls.append(ToolCall(name, args))
    return calls
