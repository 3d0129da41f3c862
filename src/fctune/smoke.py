"""The post-training test of the original spec: its four prompts, answered before and after training
with the original tools offered, each judged right or wrong (:func:`fctune.data.seed.smoke_answer_is_right`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

SMOKE_MAX_NEW_TOKENS = 128


def smoke_test(model: Any, fmt: Any, max_new_tokens: int = SMOKE_MAX_NEW_TOKENS,
               call_threshold: float = 0.5) -> list[dict]:
    """The four prompts of the original spec, answered greedily with the original tools offered
    (the call decision as in eval, chat and serve: ``call_threshold``), each judged right or not
    (:func:`fctune.data.seed.smoke_answer_is_right`), with the model's P(call) at its first token.

    Where the call decision overrode the likeliest first token, the plain greedy answer stands beside
    it (``"greedy"``: the same fields; ``generate(..., greedy_too=True)``), as the eval reports show
    plain greedy beside the decision: a prompt the decision keeps from a call is then seen with the
    call it would have made."""
    from fctune.data.seed import SMOKE_PROMPTS, original_tools
    from fctune.generate import generate

    tools = original_tools()
    prompts = [fmt.prompt_ids([{"role": "user", "content": p}], tools) for p in SMOKE_PROMPTS]
    gens = generate(model, fmt, prompts, max_new_tokens=max_new_tokens, batch_size=len(prompts), progress=False,
                    call_threshold=call_threshold, greedy_too=True)  # generate() puts the model in eval mode and back
    results = []
    for i, (prompt, g) in enumerate(zip(SMOKE_PROMPTS, gens)):
        result = _judged(fmt, i, prompt, g)
        if g.greedy is not None:
            result["greedy"] = _judged(fmt, i, prompt, g.greedy)
        results.append(result)
    return results


def _judged(fmt: Any, index: int, prompt: str, g: Any) -> dict:
    from fctune.data.seed import smoke_answer_is_right

    parsed = fmt.parse(g.text)
    calls = [c.as_dict() for c in parsed.tool_calls]
    return {"prompt": prompt, "output": g.text, "new_tokens": len(g.token_ids), "stopped": g.finish_reason == "stop",
            "calls": calls, "errors": parsed.errors, "p_call": g.call_probability,
            "right": smoke_answer_is_right(index, calls) and not parsed.errors}


def right_plain_greedy(results: Sequence[dict]) -> int:
    """How many of the prompts plain greedy answers right (the decision's answer where it changed nothing)."""
    return sum(r.get("greedy", r)["right"] for r in results)


def smoke_text(results: Sequence[dict], title: str, markdown: bool = True) -> str:
    """The smoke answers as a report section (markdown) or as plain lines for the training log."""
    from fctune.data.seed import SMOKE_EXPECTED

    right = sum(r["right"] for r in results)
    head = f"{right} of {len(results)} right"
    if any("greedy" in r for r in results):
        head += f" (plain greedy: {right_plain_greedy(results)} of {len(results)})"
    lines = [f"## {title}: {head}" if markdown else f"smoke test, {title}: {head}"]
    for i, r in enumerate(results):
        lines += _answer_lines(r, SMOKE_EXPECTED[i], markdown, f"{i + 1}. {r['prompt']}")
        if "greedy" in r:
            p = r.get("p_call")
            why = "" if p is None else f", P(call) {p:.3f}"
            lines += _answer_lines(r["greedy"], SMOKE_EXPECTED[i], markdown,
                                   f"plain greedy (the call decision changed its first token{why})")
    return "\n".join(lines)


def _answer_lines(r: dict, expected: str, markdown: bool, label: str) -> list[str]:
    calls = "; ".join(f"{c['name']}({json.dumps(c['arguments'], ensure_ascii=False)})" for c in r["calls"]) or "none"
    verdict = "right" if r["right"] else f"wrong (expected {expected})"
    if not markdown:
        return [f"  {label} -> {r['output']!r}",
                f"     calls: {calls} — {verdict}" + "".join(f"; parse error: {e}" for e in r["errors"])]
    lines = ["", f"### {label}", "", "```text", r["output"], "```", "", f"Parsed calls: {calls} — **{verdict}**"]
    lines += [f"- parse error: {e}" for e in r["errors"]]
    if not r["stopped"]:
        lines.append(f"(no end of turn within {SMOKE_MAX_NEW_TOKENS} tokens)")
    return lines


def write_smoke_report(path: Path, before: Sequence[dict] | None, after: Sequence[dict]) -> None:
    from fctune.data.seed import original_tools

    tools = original_tools()
    head = ["# Smoke test", "",
            f"The four prompts of the original spec, greedy, at most {SMOKE_MAX_NEW_TOKENS} new tokens, with the "
            f"{len(tools)} original tools offered ({', '.join(t['function']['name'] for t in tools)}).", ""]
    parts = ([smoke_text(before, "Before training (base model)"), ""] if before is not None else [])
    parts.append(smoke_text(after, "After training"))
    path.write_text("\n".join(head + parts) + "\n", encoding="utf-8")
