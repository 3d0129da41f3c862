"""Evaluation reports: per-run summaries, ``report.json``, ``report.md`` and ``report.png``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from fctune.scoring import ERROR_TYPES


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def wilson(correct: int, n: int, z: float = 1.96) -> list[float]:
    """The Wilson score interval (95 % for ``z`` 1.96) of ``correct`` of ``n``: unlike the normal
    approximation it stays inside [0, 1] and is not empty at 0 or n correct."""
    import math

    assert 0 <= correct <= n and n > 0, (correct, n)
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def summarize_run(label: str, predictions: Sequence[dict], model: str | None = None, adapter: str | None = None,
                  generation: dict | None = None, categories: Sequence[str] | None = None) -> dict[str, Any]:
    """Accuracy per category and overall, parse and call rates, error histogram of one run.

    ``predictions`` rows carry ``category``, ``correct``, ``error``, ``tool_calls`` and
    ``parse_errors``. ``call_rate``: share of outputs with a decodable call. ``parse_rate``: share
    of outputs without parse errors among those that tried to call (a call decoded or a parse
    error), ``None`` when none tried.
    """
    order = list(categories or [])
    for row in predictions:
        if row["category"] not in order:
            order.append(row["category"])
    cats: dict[str, dict[str, Any]] = {}
    for cat in order:
        rows = [r for r in predictions if r["category"] == cat]
        if rows:
            n, ok = len(rows), sum(1 for r in rows if r["correct"])
            cats[cat] = {"n": n, "correct": ok, "accuracy": round(ok / n, 4), "ci95": wilson(ok, n)}
    n = len(predictions)
    ok = sum(1 for r in predictions if r["correct"])
    called = sum(1 for r in predictions if r["tool_calls"])
    tried = [r for r in predictions if r["tool_calls"] or r["parse_errors"]]
    clean = sum(1 for r in tried if not r["parse_errors"])
    errors = Counter(r["error"] for r in predictions if r["error"])
    from fctune.calibrate import auc

    return {
        "label": label,
        "model": model,
        "adapter": adapter,
        "categories": cats,
        "overall": {"n": n, "correct": ok, "accuracy": round(ok / n, 4) if n else None},
        "parse_rate": round(clean / len(tried), 4) if tried else None,
        "call_rate": round(called / n, 4) if n else None,
        "call_auc": auc([(r["call_probability"], r["expects_call"]) for r in predictions
                         if r.get("call_probability") is not None and "expects_call" in r]),
        "errors": {e: errors[e] for e in ERROR_TYPES if errors[e]},
        "truncated": sum(1 for r in predictions if r.get("finish_reason") == "length"),
        "generation": generation,
    }


def markdown(report: dict[str, Any]) -> str:
    """``report.md``: accuracy per category (runs side by side, with deltas when comparing)."""
    runs = list(report["runs"].values())
    labels = [r["label"] for r in runs]
    compare = len(runs) == 2
    lines = ["# fctune eval", ""]
    meta = [f"- model: `{report.get('model')}`"]
    if report.get("adapter"):
        meta.append(f"- adapter: `{report['adapter']}`")
    meta.append(f"- source: {report['source']}")
    meta.append(f"- date: {report['date']}")
    lines += meta + [""]
    head = ["category", "n", *labels] + (["Δ (pts)"] if compare else [])
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    cats: list[str] = []
    for run in runs:
        cats += [c for c in run["categories"] if c not in cats]

    def row(name: str, getter: Any, n: Any = "", bold: bool = False) -> str:
        vals = [getter(r) for r in runs]
        cells = [f"**{name}**" if bold else name, str(n)] + [_pct(v) for v in vals]
        if compare:
            a, b = vals
            cells.append("–" if a is None or b is None else f"{100 * (b - a):+.1f}")
        return "| " + " | ".join(cells) + " |"

    for cat in cats:
        n = next((r["categories"][cat]["n"] for r in runs if cat in r["categories"]), "")
        lines.append(row(cat, lambda r, c=cat: r["categories"].get(c, {}).get("accuracy"), n))
    lines.append(row("overall", lambda r: r["overall"]["accuracy"], runs[0]["overall"]["n"], bold=True))
    lines.append(row("parse rate", lambda r: r["parse_rate"]))
    lines.append(row("call rate", lambda r: r["call_rate"]))
    if any(r.get("call_auc") is not None for r in runs):
        aucs = " | ".join("–" if r.get("call_auc") is None else f"{r['call_auc']:.3f}" for r in runs)
        lines.append(f"| call-decision AUC (P(call) of the first token, call items vs no-call items) | | {aucs} |"
                     + (" |" if compare else ""))
    if report.get("bfcl"):  # a data file's categories may share BFCL's names (parallel), not its meaning
        lines += leaderboard_lines(runs)
    lines += ["", "Errors (items):", "", "| error | " + " | ".join(labels) + " |",
              "|---|" + "|".join(["---:"] * len(runs)) + "|"]
    used = [e for e in ERROR_TYPES if any(r["errors"].get(e) for r in runs)]
    for err in used:
        lines.append(f"| {err} | " + " | ".join(str(r["errors"].get(err, 0)) for r in runs) + " |")
    if not used:
        lines.append("| (none) | " + " | ".join("0" for _ in runs) + " |")
    gens = [r.get("generation") for r in runs]
    if any(gens):
        lines += ["", "Generation:", "", "| | " + " | ".join(labels) + " |", "|---|" + "|".join(["---:"] * len(runs)) + "|"]
        for key, name in (("generated_tokens", "generated tokens"), ("seconds", "seconds"),
                          ("prefill_seconds", "of which prompt passes (s)"), ("prompt_tokens", "prompt tokens"),
                          ("reused_prompt_tokens", "prompt tokens reused from a shared prefix"),
                          ("tokens_per_second", "tokens/s")):
            lines.append(f"| {name} | " + " | ".join(str(g.get(key, "–")) if g else "–" for g in gens) + " |")
        lines.append("| cut at max_new_tokens | " + " | ".join(str(r.get("truncated", 0)) for r in runs) + " |")
        if any(g and (g.get("forced_calls") or g.get("forced_replies")) for g in gens):
            lines.append("| call decision: a call where greedy would reply | "
                         + " | ".join(str(g.get("forced_calls", 0)) if g else "–" for g in gens) + " |")
            lines.append("| call decision: a reply where greedy would call | "
                         + " | ".join(str(g.get("forced_replies", 0)) if g else "–" for g in gens) + " |")
    if report.get("call_threshold") or report.get("after_tool_threshold"):
        after = report.get("after_tool_threshold") or 0.0
        after_text = (f"after a tool result, at least {after:g} (the rule calibrated there)" if after
                      else "after a tool result, plain greedy")
        lines += ["", f"Greedy answers to a user message open with a tool call iff the model gives it at least "
                      f"{report['call_threshold']:g} probability (call decision; {after_text}; "
                      "`--call-threshold 0` is plain greedy everywhere, docs/evaluation.md)."]
    lines += greedy_lines(report)
    if report.get("replies") == "stop":
        lines += ["", "An answer that opens with text is a reply: its generation stopped at its first token "
                      "(`--replies full` generates every answer to its end, docs/evaluation.md)."]
    if report.get("missing_responses"):
        lines += ["", f"{report['missing_responses']} item(s) had no response and were not scored."]
    lines += ["", "Scoring: BFCL AST semantics (docs/evaluation.md).", ""]
    return "\n".join(lines)


def leaderboard_lines(runs: Sequence[dict]) -> list[str]:
    """The BFCL leaderboard's aggregates of each run (``runs.*.leaderboard``, which
    :func:`fctune.evaluate.run_eval` computes with :func:`fctune.bfcl.leaderboard`) beside the
    published rows of small tool callers, when a run scored BFCL categories; under them the same
    aggregates from bfcl-eval's own checker (``runs.*.bfcl_eval``) and where its verdicts differ."""
    from fctune.bfcl import PUBLISHED

    boards = [r["leaderboard"] for r in runs]
    if not any(b[name]["n"] for b in boards for name in b):
        return []
    names = list(boards[0])
    lines = ["", "BFCL leaderboard aggregates (bfcl-eval's formulas, docs/evaluation.md; – where a category "
             "they need was not evaluated; in brackets the 95 % interval the items evaluated leave):", "",
             "| | " + " | ".join(n.replace("_", " ") for n in names) + " |", "|---|" + "|".join("---:" for _ in names) + "|"]
    def cell(entry: dict) -> str:
        ci = entry.get("ci95")
        return _pct(entry["accuracy"]) + (f" [{ci[0] * 100:.1f}, {ci[1] * 100:.1f}]" if ci else "")

    for run, board in zip(runs, boards):
        lines.append(f"| {run['label']} | " + " | ".join(cell(board[n]) for n in names) + " |")
    checked = [r for r in runs if r.get("bfcl_eval")]
    for run in checked:
        board = run["bfcl_eval"]["leaderboard"]
        lines.append(f"| {run['label']}, bfcl-eval's checker | " + " | ".join(cell(board[n]) for n in names) + " |")
    for model, scores in PUBLISHED.items():
        lines.append(f"| {model} (published) | " + " | ".join(f"{scores[n]:.2f} %" for n in names) + " |")
    missing = sorted({m for b in boards for n in names for m in b[n]["missing"]})
    if missing:
        lines += ["", f"Not evaluated: {', '.join(missing)}."]
    if checked:
        lines += ["", "bfcl-eval's checker: the same answers read as the leaderboard's Qwen handler reads them and "
                      "scored by bfcl-eval's own `ast_checker` (docs/evaluation.md, \"Cross-check\"); items "
                      "where its verdict differs from fctune's: "
                      + "; ".join(f"{r['label']} {_disagreements(r['bfcl_eval']['disagreements'])}" for r in checked) + "."]
    return lines


def _disagreements(rows: Sequence[dict], show: int = 8) -> str:
    """``none``, or ``2 (fctune / bfcl-eval: simple_python_13 right / wrong: type_error:nested, ...)``: the
    count and the first ``show`` items with each scorer's verdict and bfcl-eval's error type."""
    if not rows:
        return "none"
    named = [f"{r['id']} {'right' if r['fctune'] else 'wrong'} / {'right' if r['bfcl_eval'] else 'wrong'}"
             + (f": {r['error']}" if r["error"] else "") for r in rows[:show]]
    more = f", and {len(rows) - show} more" if len(rows) > show else ""
    return f"{len(rows)} (fctune / bfcl-eval: {', '.join(named)}{more})"


def greedy_lines(report: dict[str, Any]) -> list[str]:
    """Plain greedy beside the call decision (``report["greedy"]``): each run whose answers the
    decision changed, per category, overall and, for BFCL, the leaderboard's aggregates."""
    greedy = report.get("greedy") or {}
    pairs = [(report["runs"][label], g) for label, g in greedy.items() if label in report["runs"]]
    if not pairs:
        return []
    head = [cell for run, _ in pairs for cell in (f"{run['label']}, call decision", f"{run['label']}, plain greedy")]
    lines = ["", "Plain greedy beside the call decision (the answers the decision changed, "
             + ", ".join(f"{g['regenerated']} of {run['label']}" for run, g in pairs)
             + ", continued without it from their greedy first token; every other answer is the same):", "",
             "| | " + " | ".join(head) + " |", "|---|" + "|".join("---:" for _ in head) + "|"]

    def row(name: str, get: Any) -> str:
        return f"| {name} | " + " | ".join(_pct(get(s)) for run, g in pairs for s in (run, g)) + " |"

    for cat in pairs[0][0]["categories"]:
        lines.append(row(cat, lambda s, c=cat: s["categories"].get(c, {}).get("accuracy")))
    lines.append(row("**overall**", lambda s: s["overall"]["accuracy"]))
    if all("leaderboard" in s for run, g in pairs for s in (run, g)):
        for name in pairs[0][0]["leaderboard"]:
            lines.append(row(name.replace("_", " "), lambda s, n=name: s["leaderboard"][n]["accuracy"]))
    if all("bfcl_eval" in s for run, g in pairs for s in (run, g)):
        for name in pairs[0][0]["bfcl_eval"]["leaderboard"]:
            lines.append(row(name.replace("_", " ") + ", bfcl-eval's checker",
                             lambda s, n=name: s["bfcl_eval"]["leaderboard"][n]["accuracy"]))
    return lines


CALL_CATEGORIES = ("single", "multi_step", "parallel", "simple", "simple_python", "simple_java",
                   "simple_javascript", "multiple", "parallel_multiple")
"""Categories whose turns expect a call: their n-weighted mean is the table's ``call turns`` row."""


def _call_turns(run: dict) -> dict | None:
    """``{"n", "accuracy"}`` over the categories that expect calls, or ``None`` when fewer than two are there."""
    cats = [run["categories"][c] for c in CALL_CATEGORIES if c in run["categories"]]
    n = sum(c["n"] for c in cats)
    if len(cats) < 2 or not n:
        return None
    return {"n": n, "accuracy": sum(c["accuracy"] * c["n"] for c in cats) / n}


def _row(run: dict, cat: str) -> dict | None:
    """``{"n", "accuracy"}`` of one row of the table: a category, the call turns together, or overall."""
    if cat == "call turns":
        return _call_turns(run)
    return run["overall"] if cat == "overall" else run["categories"].get(cat)


def before_after_table(reports: Sequence[str | Path | dict[str, Any]], names: dict[str, str] | None = None) -> str:
    """One markdown table over several ``report.json`` files (or report dicts): accuracy per
    category before (base) and after (tuned) with the change, the call turns together, plus parse
    and call rates. A report with a single run fills the column of its label. ``names``: the eval
    column's label per report path (default: BFCL, or the data file's name)."""
    lines = ["| eval | category | n | base | tuned | Δ (pts) |", "|---|---|---:|---:|---:|---:|"]
    for item in reports:
        report = item if isinstance(item, dict) else json.loads(Path(item).read_text(encoding="utf-8"))
        runs = report["runs"]
        base, tuned = runs.get("base"), runs.get("tuned") or runs.get("responses")
        name = "BFCL" if report.get("bfcl") else (Path(str(report["data"])).name if report.get("data") else "eval")
        if names and not isinstance(item, dict) and str(item) in names:
            name = names[str(item)]
        any_run = base or tuned
        assert any_run is not None, "report without runs"
        cats = list(any_run["categories"]) + (["call turns"] if _call_turns(any_run) else []) + ["overall"]

        def acc(run: dict | None, cat: str) -> float | None:
            return None if run is None else (_row(run, cat) or {}).get("accuracy")

        def cell(a: float | None, b: float | None) -> str:
            return "–" if a is None or b is None else f"{100 * (b - a):+.1f}"

        for cat in cats:
            n = _row(any_run, cat)["n"]  # type: ignore[index]
            a, b = acc(base, cat), acc(tuned, cat)
            label = f"**{cat}**" if cat in ("overall", "call turns") else cat
            lines.append(f"| {name} | {label} | {n} | {_pct(a)} | {_pct(b)} | {cell(a, b)} |")
        for key, label in (("parse_rate", "parse rate"), ("call_rate", "call rate")):
            a = base.get(key) if base else None
            b = tuned.get(key) if tuned else None
            lines.append(f"| {name} | {label} | | {_pct(a)} | {_pct(b)} | {cell(a, b)} |")
    return "\n".join(lines)


def smoke_table(summary: dict[str, Any]) -> str:
    """The four seed prompts before and after training, from a training ``summary.json``."""
    from fctune.data.seed import SMOKE_PROMPTS

    smoke = summary.get("smoke_test") or {}
    before, after, greedy = smoke.get("right_before"), smoke.get("right"), smoke.get("right_plain_greedy")
    n = smoke.get("prompts", len(SMOKE_PROMPTS))
    cell = (lambda v: "–" if v is None else f"{v} / {n}")
    return ("| the four seed prompts (right tool and arguments) | base | tuned | tuned, plain greedy |\n"
            "|---|---:|---:|---:|\n"
            f"| {' · '.join(SMOKE_PROMPTS)} | {cell(before)} | {cell(after)} | {cell(greedy)} |")


def plot(report: dict[str, Any], path: str | Path) -> None:
    """``report.png``: accuracy per category, one bar per run (base and tuned side by side)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = list(report["runs"].values())
    cats: list[str] = []
    for run in runs:
        cats += [c for c in run["categories"] if c not in cats]
    cats.append("overall")
    width = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(cats) + 1.5), 4.0))
    colors = ["#9aa5b1", "#2f80ed", "#27ae60"]
    for k, run in enumerate(runs):
        vals = [100 * ((run["overall"] if c == "overall" else run["categories"].get(c, {})).get("accuracy") or 0.0)
                for c in cats]
        xs = [i + (k - (len(runs) - 1) / 2) * width for i in range(len(cats))]
        bars = ax.bar(xs, vals, width, label=run["label"], color=colors[k % len(colors)])
        for bar, v in zip(bars, vals):
            ax.annotate(f"{v:.0f}", (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(cats)))
    ax.set_xticklabels(cats, rotation=20, ha="right")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 110)
    title = str(report.get("model"))
    if report.get("adapter"):
        title += f" + {Path(str(report['adapter'])).name}"
    ax.set_title(title, fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(str(path), dpi=100)
    plt.close(fig)


def write_report(report: dict[str, Any], predictions: Sequence[dict], out: str | Path) -> Path:
    """Write ``predictions.jsonl``, ``report.json``, ``report.md`` and ``report.png`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "predictions.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for row in predictions:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    plot(report, out / "report.png")
    return out
