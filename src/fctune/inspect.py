"""``fctune inspect FILE``: how each sample is rendered and which of its tokens carry loss.

On a terminal the trained tokens are highlighted; otherwise they are wrapped in ``[[...]]``.
``--json`` prints one object per sample per line (``line``, ``turn``, ``input_ids``,
``trainable``), the exact ids training uses, for checking them with other tools.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

OPEN, CLOSE = "[[", "]]"
"""Markers around trained spans in plain output."""


def spans(input_ids: Sequence[int], trainable: Sequence[int]) -> Iterator[tuple[bool, list[int]]]:
    """Runs of consecutive tokens with the same trained flag: ``(trained, ids)``."""
    start = 0
    for i in range(1, len(input_ids) + 1):
        if i == len(input_ids) or bool(trainable[i]) != bool(trainable[start]):
            yield bool(trainable[start]), list(input_ids[start:i])
            start = i


def _decode(tokenizer: Any, ids: Sequence[int]) -> str:
    return tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)


def plain_text(tokenizer: Any, input_ids: Sequence[int], trainable: Sequence[int]) -> str:
    """The rendering with each trained span wrapped in ``[[...]]``."""
    return "".join(f"{OPEN}{_decode(tokenizer, ids)}{CLOSE}" if trained else _decode(tokenizer, ids)
                   for trained, ids in spans(input_ids, trainable))


def rich_text(tokenizer: Any, input_ids: Sequence[int], trainable: Sequence[int]) -> Any:
    from rich.text import Text

    text = Text()
    for trained, ids in spans(input_ids, trainable):
        text.append(_decode(tokenizer, ids), style="bold black on green" if trained else "dim")
    return text


def header(line: int, turn: int, input_ids: Sequence[int], trainable: Sequence[int], note: str = "") -> str:
    n, k = len(input_ids), sum(trainable)
    return f"=== line {line}, assistant turn {turn}: {k} trained / {n} tokens ({100 * k / max(1, n):.1f} %){note} ==="


def render_conversations(fmt: Any, conversations: Sequence[tuple[int, dict]]) -> Iterator[tuple[int, Any]]:
    """``(line, Rendered)`` for every assistant turn of every conversation."""
    for line, conv in conversations:
        for rendered in fmt.render_training(conv):
            yield line, rendered


def format_plain(fmt: Any, conversations: Sequence[tuple[int, dict]]) -> str:
    """Plain report of every sample (what ``fctune inspect`` prints when not on a terminal)."""
    out = []
    for line, r in render_conversations(fmt, conversations):
        out.append(header(line, r.turn, r.input_ids, r.trainable))
        out.append(plain_text(fmt.tokenizer, r.input_ids, r.trainable))
        out.append("")
    return "\n".join(out)


def token_report(rt: Any, fmt: Any) -> str:
    """Which special tokens the format writes, and which of their rows the model (``rt``: the runtime
    section; with an adapter, its trained rows folded in) never learned."""
    from fctune.models import load_runtime
    from fctune.token_rows import describe, find_untrained

    tokens = fmt.special_tokens()
    model, _fmt = load_runtime(rt)
    rows = find_untrained(model, tokens)
    names = ", ".join(t for t, _ in tokens) or "none"
    fix = (" (training with lora.trainable_tokens=auto trains these rows)" if rows else "")
    return f"special tokens the format writes: {names}; {describe(rows)}{fix}"


