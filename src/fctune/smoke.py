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
    (:func:`fctune.data.seed.smoke_answer_is_right`)."""
    from fctune.data.seed import SMOKE_PROMPTS, original_tools, smoke_answer_is_right
    from fctune.generate import generate

    tools = original_tools()
    prompts = [fmt.prompt_ids([{"role": "user", "content": p}], tools) for p in SMOKE_PROMPTS]
    gens = generate(model, fmt, prompts, max_new_tokens=max_new_tokens, batch_size=len(prompts), progress=False,
                    call_threshold=call_threshold)  # generate() puts the model in eval mode and back
    results = []
    for i, (prompt, g) in enumerate(zip(SMOKE_PROMPTS, gens)):
        parsed = fmt.parse(g.text)
        calls = [c.as_dict() for c in parsed.tool_calls]
        results.append({"prompt": prompt, "output": g.text, "new_tokens": len(g.token_ids),
                        "stopped": g.finish_reason == "stop", "calls": calls, "errors": parsed.errors,
                        "right": smoke_answer_is_right(i, calls) and not parsed.errors})
    return results


def smoke_text(results: Sequence[dict], title: str, markdown: bool = True) -> str:
    """The smoke answers as a report section (markdown) or as plain lines for the training log."""
    from fctune.data.seed import SMOKE_EXPECTED

    right = sum(r["right"] for r in results)
    lines = [f"## {title}: {right} of {len(results)} right" if markdown else f"smoke test, {title}: {right} of {len(results)} right"]
    for i, r in enumerate(results):
        calls = "; ".join(f"{c['name']}({json.dumps(c['arguments'], ensure_ascii=False)})" for c in r["calls"]) or "none"
        verdict = "right" if r["right"] else f"wrong (expected {SMOKE_EXPECTED[i]})"
        if markdown:
            lines += ["", f"### {i + 1}. {r['prompt']}", "", "```text", r["output"], "```", "",
                      f"Parsed calls: {calls} — **{verdict}**"]
            lines += [f"- parse error: {e}" for e in r["errors"]]
            if not r["stopped"]:
                lines.append(f"(no end of turn within {SMOKE_MAX_NEW_TOKENS} tokens)")
        else:
            lines.append(f"  {i + 1}. {r['prompt']} -> {r['output']!r}")
            lines.append(f"     calls: {calls} — {verdict}" + "".join(f"; parse error: {e}" for e in r["errors"]))
    return "\n".join(lines)


def write_smoke_report(path: Path, before: Sequence[dict] | None, after: Sequence[dict]) -> None:
    from fctune.data.seed import original_tools

    tools = original_tools()
    head = ["# Smoke test", "",
            f"The four prompts of the original spec, greedy, at most {SMOKE_MAX_NEW_TOKENS} new tokens, with the "
            f"{len(tools)} original tools offered ({', '.join(t['function']['name'] for t in tools)}).", ""]
    parts = ([smoke_text(before, "Before training (base model)"), ""] if before is not None else [])
    parts.append(smoke_text(after, "After training"))
    path.write_text("\n".join(head + parts) + "\n", encoding="utf-8")
