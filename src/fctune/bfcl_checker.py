"""BFCL answers scored a second time, by bfcl-eval's own checker (a cross-check of :mod:`fctune.scoring`).

fctune scores BFCL items with its own re-implementation of BFCL's AST checker (docs/evaluation.md,
"BFCL semantics"), which differs on purpose in two places (a proper matching for parallel calls, an
int accepted inside arrays of floats) and reads answers with :func:`fctune.formats.parse`. This module
runs the leaderboard's path on the same raw answers instead, so that a reported figure can be checked
against BFCL's own rules: the answer read as bfcl-eval's Qwen function-calling handler reads it
(:func:`fctune.formats.bfcl_qwen_fc_calls` and that handler's ``decode_ast``), the relevance and AST
entry logic of ``bfcl_eval/eval_checker/eval_runner.py`` (2026.3.23), and ``ast_checker`` itself,
imported from the wheel (:data:`fctune.assets.BFCL_CODE`). The checker's module imports the
leaderboard's model registry (which pulls in every model client) only to look up whether a model
writes ``.`` in function names as ``_``; fctune's prompts keep dotted names, so a one-entry registry
saying "no" for a Qwen function-calling entry stands in for it while the module is imported.
"""

from __future__ import annotations

import functools
import sys
import types
from typing import Any, Iterable

from fctune.formats import bfcl_qwen_fc_calls
from fctune.scoring import EvalItem

MODEL_NAME = "Qwen_Qwen3-8B-FC"
"""The model the checker is told about: a Qwen function-calling entry of the leaderboard's registry
(``Qwen/Qwen3-8B-FC``, ``underscore_to_dot=False``, as fctune's prompts keep dotted names); the
stand-in registry answers the same for it."""


@functools.lru_cache(maxsize=None)
def _checker() -> tuple[Any, Any]:
    """(bfcl-eval's ``ast_checker`` function, its ``Language`` enum). The stand-in registry is in
    ``sys.modules`` only while the checker's module is imported (it keeps its own reference), so
    code that imports the real registry later in the same process gets the real one. An installed
    bfcl-eval is used before the wheel's copy, as for the type converters (:func:`fctune.scoring._bfcl`)."""
    from fctune.scoring import _bfcl

    name = "bfcl_eval.constants.model_config"
    registry = types.ModuleType(name)
    registry.MODEL_CONFIG_MAPPING = {MODEL_NAME.replace("_", "/"): types.SimpleNamespace(underscore_to_dot=False)}  # type: ignore[attr-defined]
    ours = name not in sys.modules
    if ours:
        sys.modules[name] = registry
    try:
        checker = _bfcl("bfcl_eval.eval_checker.ast_eval.ast_checker")
    finally:
        if ours and sys.modules.get(name) is registry:
            del sys.modules[name]
    return checker.ast_checker, _bfcl("bfcl_eval.constants.enums").Language


def decode(raw: str) -> list[dict] | None:
    """An answer as the Qwen FC handler's ``decode_ast`` returns it (``[{name: {param: value}}]``), or
    ``None`` where that raises (a block whose JSON is not a ``{"name", "arguments": {...}}`` object)."""
    calls = bfcl_qwen_fc_calls(raw)
    if any(not isinstance(call, dict) for call in calls):
        return None
    try:
        return [{call["name"]: {k: v for k, v in call["arguments"].items()}} for call in calls]
    except (KeyError, AttributeError, TypeError):
        return None


def _call_format(decoded: Any) -> bool:
    """bfcl-eval's ``is_function_calling_format_output`` (``bfcl_eval/utils.py``)."""
    return isinstance(decoded, list) and all(
        isinstance(item, dict) and len(item) == 1 and isinstance(next(iter(item.values())), dict) for item in decoded)


def _empty(decoded: Any) -> bool:
    """bfcl-eval's ``is_empty_output`` (``bfcl_eval/utils.py``): no call in a decoded answer."""
    return not _call_format(decoded) or len(decoded) == 0 or (len(decoded) == 1 and len(decoded[0]) == 0)


def check(item: EvalItem, raw: str) -> tuple[bool, str]:
    """(correct, bfcl-eval's error type or ``""``) of one raw answer to a BFCL item, as the
    leaderboard's relevance / AST runners judge it."""
    decoded = decode(raw)
    if item.expected is None:  # irrelevance: right when nothing decodes to a call
        called = decoded is not None and not _empty(decoded)
        return (False, "irrelevance_error:decoder_success") if called else (True, "")
    if decoded is None:
        return False, "ast_decoder:decoder_failed"
    if not _call_format(decoded):
        return False, "ast_decoder:decoder_wrong_output_format"
    ast_checker, language = _checker()
    functions = [{"name": name, "parameters": params} for name, params in item.schemas.items()]
    try:
        result = ast_checker(functions, decoded, item.expected, language(item.language), item.category, MODEL_NAME)
    except Exception as exc:  # noqa: BLE001 - one odd answer must not lose a finished run's report
        return False, f"checker_exception:{type(exc).__name__}"
    return bool(result["valid"]), "" if result["valid"] else str(result.get("error_type", ""))


def rescore(predictions: Iterable[dict], items: dict[str, EvalItem]) -> dict[str, dict]:
    """Per run and answer kind (``call_decision``; ``plain_greedy`` where the predictions hold the
    answers the decision changed, generated again plain greedy), bfcl-eval's verdicts beside fctune's:
    ``{run: {kind: {"categories": {cat: {"n", "accuracy", "fctune_accuracy"}}, "disagreements":
    [{"id", "fctune", "bfcl_eval", "error"}]}}}``. Every prediction must name a known item."""
    out: dict[str, dict] = {}
    for pred in predictions:
        item = items[pred["id"]]
        answers = {"call_decision": (pred["raw"], pred["correct"])}
        greedy = pred.get("greedy") or {}
        answers["plain_greedy"] = (greedy.get("raw", pred["raw"]), greedy.get("correct", pred["correct"]))
        verdicts: dict[str, tuple[bool, str]] = {}  # one check per distinct answer (most have no greedy twin)
        for kind, (raw, ours) in answers.items():
            run = out.setdefault(pred["model"], {}).setdefault(kind, {"categories": {}, "disagreements": []})
            if raw not in verdicts:
                verdicts[raw] = check(item, raw)
            ok, error = verdicts[raw]
            cat = run["categories"].setdefault(item.category, {"n": 0, "correct": 0, "fctune_correct": 0})
            cat["n"] += 1
            cat["correct"] += ok
            cat["fctune_correct"] += bool(ours)
            if ok != bool(ours):
                run["disagreements"].append({"id": item.id, "fctune": bool(ours), "bfcl_eval": ok, "error": error})
    for kinds in out.values():
        for run in kinds.values():
            for cat in run["categories"].values():
                cat["accuracy"] = round(cat["correct"] / cat["n"], 4)
                cat["fctune_accuracy"] = round(cat["fctune_correct"] / cat["n"], 4)
    return out
