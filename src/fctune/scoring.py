"""Tool-call scoring with the semantics of BFCL's AST checker, in our own code.

An item says what a model was asked (messages and tools) and what counts as right:

* ``expected is None``: no call is right (BFCL irrelevance, our no-call turns). Correct iff the
  output holds no decodable call; otherwise ``called_when_irrelevant``.
* ``expected = [{name: {param: [allowed values]}}, ...]`` (BFCL's ``ground_truth`` shape): the
  output must hold exactly that many calls (``wrong_count``), matched in any order by a proper
  bipartite matching, each call checked like BFCL's ``simple_function_checker``:

  1. the name is the expected one (``wrong_name``);
  2. every parameter the schema requires is present (``missing_required``);
  3. every given parameter is in the schema and in the answer (``unexpected_param``);
  4. its type fits the schema type (``type_error``): int is accepted for float/number, tuples
     are lists, array element types are checked one level deep, and a value of the answer's own
     type is accepted when the answer lists a "variable" of another type (BFCL's rule);
  5. its value is one of the allowed ones (``value_error``): strings compared after lowercasing
     and removing spaces and ``,./-_*^`` (and ``'`` read as ``"``), lists element-wise, dicts
     key-wise (a key whose allowed list holds ``""`` may be left out);
  6. every answer parameter is given unless its allowed list holds ``""`` (optional), else
     ``missing_required``.

Before that: an output with parse errors (something that looks like a call but does not parse)
is ``parse_error``, and one with no call at all is ``no_call``.

Items from our own data files carry reference calls instead of allowed-value lists;
:func:`reference_answer` turns them into the same shape (see docs/evaluation.md for the rules),
and ``mode="reference"`` compares values recursively after the same string normalisation.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from fctune.formats import Parsed, ToolCall

ERROR_TYPES = ("no_call", "parse_error", "wrong_count", "wrong_name", "missing_required", "unexpected_param",
               "type_error", "value_error", "called_when_irrelevant")

# Type names of BFCL and of JSON Schema -> Python type. BFCL reads "any" as str (with its
# "variable" rule accepting the answer's own type); a JSON Schema without a type has no constraint.
_PY_TYPES: dict[str, type] = {
    "string": str, "str": str,
    "integer": int, "int": int, "long": int,
    "float": float, "number": float, "double": float,
    "boolean": bool, "bool": bool,
    "array": list, "tuple": list, "list": list,
    "dict": dict, "object": dict,
    "any": str,
    "null": type(None),
    "set": set,
}
_FLOAT_NAMES = ("float", "number", "double")
_STRIP_RE = re.compile(r"[ ,./\-_*^]")


@dataclass
class EvalItem:
    """One scored question: the prompt's messages and tools, and what counts as a right answer."""

    id: str
    category: str
    messages: list[dict]
    tools: list[dict]
    """OpenAI-format tools shown in the prompt (JSON Schema parameters)."""
    expected: list[dict] | None
    """``[{name: {param: [allowed values]}}]``; ``None`` when the right answer is no call."""
    schemas: dict[str, dict] = field(default_factory=dict)
    """Function name -> parameters schema used for scoring (BFCL's own types for BFCL items)."""
    mode: str = "bfcl"
    """``bfcl``: BFCL's value checks; ``reference``: recursive normalised equality (our data files)."""
    language: str = "python"
    """BFCL's category language: ``java`` / ``javascript`` arguments are source text, read by BFCL's
    own type converters before the checks (:func:`source_value`)."""


@dataclass
class Score:
    correct: bool
    error: str | None = None
    """One of :data:`ERROR_TYPES` when not correct."""
    detail: str = ""


@dataclass(frozen=True)
class SchemaDefault:
    """Allowed-value entry (reference mode) for a parameter the reference call does not give:
    leaving it out is right, and giving it is tolerated only with this schema default."""

    value: Any


def standardize_string(text: str) -> str:
    """BFCL's string normalisation: drop spaces and ``,./-_*^``, lowercase, ``'`` -> ``"``."""
    return _STRIP_RE.sub("", text).lower().replace("'", '"')


def _norm(value: Any) -> Any:
    """Comparable form for reference mode: strings standardised, containers recursively, bools
    kept apart from numbers (``True`` is not ``1``)."""
    if isinstance(value, bool):
        return ("__bool__", value)
    if isinstance(value, str):
        return standardize_string(value)
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _answer_type(allowed: Sequence[Any]) -> type | None:
    for answer in allowed:
        if answer != "":
            return type(answer)
    return None


def _type_ok(value: Any, expected: type, allowed: Sequence[Any], float_ok: bool) -> bool:
    if type(value) is expected:
        return True
    if float_ok and expected is float and type(value) is int:
        return True
    return type(value) is _answer_type(allowed)  # BFCL's "variable" rule


def _type_check(param: str, value: Any, allowed: list, pschema: dict,
                int_as_float: bool = True) -> tuple[Score | None, bool, type | None, type | None]:
    """``(error or None, is_variable, expected python type, nested element type)``; ``int_as_float``:
    an int passes for a float (BFCL allows it for Python only)."""
    tname = pschema.get("type") if isinstance(pschema, dict) else None
    if isinstance(tname, list):  # JSON Schema type union: any member will do
        names = [t for t in tname if isinstance(t, str) and t in _PY_TYPES]
        for name in names:
            err, var, exp, nested = _type_check(param, value, allowed, {**pschema, "type": name}, int_as_float)
            if err is None:
                return err, var, exp, nested
        if names:
            return Score(False, "type_error", f"{param!r}: expected one of {names}, got {type(value).__name__}"), False, None, None
        return None, False, None, None
    if not isinstance(tname, str) or tname not in _PY_TYPES:
        return None, False, None, None  # no (known) type: no constraint
    expected = _PY_TYPES[tname]
    answer_type = _answer_type(allowed)
    is_variable = answer_type is not None and answer_type is not expected and not (
        expected is float and answer_type is int)
    nested = None
    if expected is list:
        items = pschema.get("items")
        if isinstance(items, dict) and isinstance(items.get("type"), str):
            nested = _PY_TYPES.get(items["type"])
    float_ok = int_as_float and tname in _FLOAT_NAMES
    if type(value) is expected or (float_ok and type(value) is int):
        if nested is not None and isinstance(value, list):
            # BFCL: some allowed entry (a non-list one such as the optional marker counts) fits.
            good = any(not isinstance(a, list) or all(_type_ok(v, nested, a, True) for v in value) for a in allowed)
            if not good:
                return (Score(False, "type_error", f"{param!r}: elements must be {nested.__name__}: {value!r}"),
                        False, expected, nested)
        return None, is_variable, expected, nested
    if answer_type is not None and type(value) is answer_type:
        return None, True, expected, nested
    return (Score(False, "type_error", f"{param!r}: expected {tname}, got {type(value).__name__} ({value!r})"),
            False, expected, nested)


def _std_list(values: Sequence[Any]) -> list:
    return [standardize_string(v) if isinstance(v, str) else v for v in values]


def _dict_ok(value: dict, allowed: Sequence[Any]) -> bool:
    """BFCL's dict check: some allowed dict whose keys cover the value's and whose values allow each."""
    for answer in allowed:
        if answer == "" or not isinstance(answer, dict):
            continue
        ok = True
        for key, v in value.items():
            options = answer.get(key)
            if options is None:
                ok = False
                break
            options = options if isinstance(options, list) else [options]
            if (standardize_string(v) if isinstance(v, str) else v) not in _std_list(options):
                ok = False
                break
        if ok and all(key in value or (isinstance(opts, list) and "" in opts) for key, opts in answer.items()):
            return True
    return False


def _value_ok_bfcl(value: Any, allowed: list, expected: type | None, nested: type | None, is_variable: bool) -> bool:
    if not is_variable:
        if expected is dict and isinstance(value, dict):
            return _dict_ok(value, allowed)
        if expected is list and nested is dict and isinstance(value, list):
            for answer in allowed:
                if isinstance(answer, list) and len(answer) == len(value) and all(
                        isinstance(v, dict) and _dict_ok(v, [a]) for v, a in zip(value, answer)):
                    return True
            return False
        if expected is str and isinstance(value, str):
            return standardize_string(value) in [standardize_string(a) for a in allowed if isinstance(a, str)]
        if expected is list and isinstance(value, list):
            return _std_list(value) in [_std_list(a) for a in allowed if isinstance(a, list)]
    if expected is float and type(value) is int:
        value = float(value)
    return value in allowed


def _value_ok_reference(value: Any, allowed: list) -> bool:
    normed = _norm(value)
    return any(normed == _norm(a) for a in allowed)


SOURCE_LANGUAGES = ("java", "javascript")
"""BFCL category languages whose argument values are source text (:func:`source_value`)."""
_NESTED_SOURCE_TYPES = ("Array", "ArrayList", "array")
_TYPE_NAMES = {int: "integer", float: "float", bool: "boolean", str: "string", list: "array", dict: "dict", set: "set"}
"""Our name (:data:`_PY_TYPES`) of each Python type bfcl-eval's converters return."""


def _bfcl(module: str) -> Any:
    """A module of bfcl-eval's type converters: an installed ``bfcl_eval``, else the wheel's copy that
    :func:`fctune.assets.bfcl_code_dir` keeps (appended to ``sys.path``, so an installed one wins)."""
    import importlib
    import sys

    try:
        return importlib.import_module(module)
    except ImportError:
        from fctune.assets import bfcl_code_dir

        code = str(bfcl_code_dir())
        if code not in sys.path:
            sys.path.append(code)
        return importlib.import_module(module)


@functools.lru_cache(maxsize=None)
def _source_reading(language: str) -> tuple[Any, dict[str, str]]:
    """(bfcl-eval's converter for ``language``, its type table as our type names), from
    ``java_type_converter`` / ``js_type_converter`` and ``JAVA_TYPE_CONVERSION`` / ``JS_TYPE_CONVERSION``."""
    mappings = _bfcl("bfcl_eval.constants.type_mappings")
    if language == "java":
        convert = _bfcl("bfcl_eval.eval_checker.ast_eval.type_convertor.java_type_converter").java_type_converter
        table = mappings.JAVA_TYPE_CONVERSION
    else:
        convert = _bfcl("bfcl_eval.eval_checker.ast_eval.type_convertor.js_type_converter").js_type_converter
        table = mappings.JS_TYPE_CONVERSION
    return convert, {name: _TYPE_NAMES[kind] for name, kind in table.items()}


def source_value(param: str, value: Any, pschema: dict, language: str) -> tuple[Score | None, Any, dict]:
    """A Java / JavaScript argument as bfcl-eval's ``simple_function_checker`` reads it: the value must
    be a string (the source text), which BFCL's type converter turns into a Python value (``"true"``
    -> ``True``, ``"new ArrayList<>(Arrays.asList(1, 2))"`` -> ``[1, 2]``; text it cannot read stays
    a string). Returns (error or ``None``, the value, the schema of the converted value's type for
    the checks that follow). A parameter of another type is passed through."""
    convert, types = _source_reading(language)
    tname = pschema.get("type")
    if not isinstance(tname, str) or tname not in types:
        return None, value, pschema
    if type(value) is not str:
        return (Score(False, "type_error", f"{param!r}: expected {tname} as {language} source text (a string), "
                                           f"got {type(value).__name__} ({value!r})"), value, pschema)
    items = pschema.get("items") if isinstance(pschema.get("items"), dict) else {}
    nested = items.get("type") if tname in _NESTED_SOURCE_TYPES else None
    try:
        converted = convert(value, tname, nested) if nested else convert(value, tname)
    except Exception as exc:  # BFCL's converters raise on what they cannot read
        return Score(False, "type_error", f"{param!r}: {language} {tname} not readable: {exc}"), value, pschema
    schema: dict[str, Any] = {"type": types[tname]}
    if nested in types:
        schema["items"] = {"type": types[nested]}
    return None, converted, schema


def check_call(call: ToolCall, name: str, answer: dict[str, list], schema: dict | None, mode: str = "bfcl",
               language: str = "python") -> Score:
    """One predicted call against one expected ``{name: {param: [allowed]}}`` entry; ``language``:
    the BFCL category's (Java and JavaScript values are read from source text, :func:`source_value`)."""
    if call.name != name:
        return Score(False, "wrong_name", f"expected {name!r}, got {call.name!r}")
    schema = schema if isinstance(schema, dict) else {}
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    required = schema.get("required") or []
    args = call.arguments
    for param in required:
        if param not in args:
            return Score(False, "missing_required", f"{name}: missing required parameter {param!r}")
    for param, value in args.items():
        in_schema = param in props or (mode == "reference" and param in answer)
        if not in_schema or param not in answer:
            where = "not in the schema" if not in_schema else "not in the answer"
            return Score(False, "unexpected_param", f"{name}: unexpected parameter {param!r} ({where})")
        allowed = answer[param] if isinstance(answer[param], list) else [answer[param]]
        pschema = props.get(param) if isinstance(props.get(param), dict) else {}
        defaults = [a.value for a in allowed if isinstance(a, SchemaDefault)]
        if defaults:
            if not _value_ok_reference(value, defaults):
                return Score(False, "unexpected_param", f"{name}: unexpected parameter {param!r} (not in the reference; "
                                                        f"only its default {defaults[0]!r} is tolerated)")
            continue
        if mode == "bfcl" and language in SOURCE_LANGUAGES:
            error, value, pschema = source_value(param, value, pschema, language)
            if error is not None:
                error.detail = f"{name}: {error.detail}"
                return error
        error, is_variable, expected, nested = _type_check(param, value, allowed, pschema, language == "python")
        if error is not None:
            error.detail = f"{name}: {error.detail}"
            return error
        ok = (_value_ok_reference(value, allowed) if mode == "reference"
              else _value_ok_bfcl(value, allowed, expected, nested, is_variable))
        if not ok:
            shown = [a for a in allowed if a != ""]
            return Score(False, "value_error", f"{name}: {param}={value!r}, expected one of {shown!r}")
    for param, allowed in answer.items():
        if param not in args and "" not in (allowed if isinstance(allowed, list) else [allowed]):
            return Score(False, "missing_required", f"{name}: parameter {param!r} expected by the answer is missing")
    return Score(True)


def _max_matching(ok: list[list[bool]]) -> list[int]:
    """Maximum bipartite matching (Kuhn): ``match[j]`` = expected index paired with prediction j, or -1."""
    n_pred = len(ok[0]) if ok else 0
    match = [-1] * n_pred

    def augment(i: int, seen: list[bool]) -> bool:
        for j in range(n_pred):
            if ok[i][j] and not seen[j]:
                seen[j] = True
                if match[j] < 0 or augment(match[j], seen):
                    match[j] = i
                    return True
        return False

    for i in range(len(ok)):
        augment(i, [False] * n_pred)
    return match


def check_calls(calls: Sequence[ToolCall], expected: list[dict], schemas: dict[str, dict], mode: str = "bfcl",
                language: str = "python") -> Score:
    """The predicted calls against all expected ones: same count, matched in any order."""
    if len(calls) != len(expected):
        return Score(False, "wrong_count", f"expected {len(expected)} call(s), got {len(calls)}")
    entries = [next(iter(e.items())) for e in expected]
    scores = [[check_call(c, name, answer, schemas.get(name), mode, language) for c in calls] for name, answer in entries]
    ok = [[s.correct for s in row] for row in scores]
    match = _max_matching(ok)
    if all(m >= 0 for m in match):
        return Score(True)
    matched = set(match)
    free = [j for j, m in enumerate(match) if m < 0]
    for i, (name, _) in enumerate(entries):
        if i in matched:
            continue
        same_name = [scores[i][j] for j in free if calls[j].name == name]
        if same_name:
            return same_name[0]
        return Score(False, "wrong_name", f"no call to {name!r} among the unmatched calls "
                                          f"({', '.join(calls[j].name for j in free)})")
    return Score(False, "value_error", "calls could not be matched")  # unreachable


def score(parsed: Parsed, item: EvalItem) -> Score:
    """Score one parsed output against an item."""
    if item.expected is None:
        if parsed.tool_calls:
            names = ", ".join(c.name for c in parsed.tool_calls)
            return Score(False, "called_when_irrelevant", f"called {names} where no call was right")
        return Score(True)
    if parsed.errors:
        return Score(False, "parse_error", "; ".join(parsed.errors))
    if not parsed.tool_calls:
        return Score(False, "no_call", "no tool call in the output")
    return check_calls(parsed.tool_calls, item.expected, item.schemas, item.mode, item.language)


# --------------------------------------------------------------------------- our data files


def reference_answer(calls: Sequence[ToolCall], schemas: dict[str, dict]) -> list[dict]:
    """Allowed-value answers from reference calls (our data files), strict but fair:

    * every reference argument must be given with an equal value (after normalisation), except
      that an argument whose value equals the schema's ``default`` for a non-required
      parameter may be left out;
    * a schema parameter the reference does not give is unexpected unless it has a ``default``
      and the prediction gives exactly that default;
    * a parameter outside the schema is always unexpected.
    """
    out = []
    for call in calls:
        schema = schemas.get(call.name) or {}
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = set(schema.get("required") or [])
        answer: dict[str, list] = {}
        for param, value in call.arguments.items():
            allowed = [value]
            pschema = props.get(param) if isinstance(props.get(param), dict) else {}
            if param not in required and "default" in pschema and _norm(pschema["default"]) == _norm(value):
                allowed.append("")
            answer[param] = allowed
        for param, pschema in props.items():
            if param not in answer and param not in required and isinstance(pschema, dict) and "default" in pschema:
                answer[param] = ["", SchemaDefault(pschema["default"])]
        out.append({call.name: answer})
    return out
