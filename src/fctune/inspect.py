"""``fctune inspect FILE``: how each sample is rendered and which of its tokens carry loss.

On a terminal the trained tokens are highlighted; otherwise they are wrapped in ``[[...]]``.
``--json`` prints one object per sample per line (``line``, ``turn``, ``input_ids``,
``trainable``), the exact ids training uses, for checking them with other tools.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Iterator, Sequence

OPEN, CLOSE = "[[", "]]"
"""Markers around trained spans in plain output."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="conversations in the canonical JSONL format")
    parser.add_argument("--model", default="tiny-qwen3",
                        help="model whose tokenizer and chat template render the data: a directory, a .gguf file, "
                             "an alias (smollm2-135m, tiny-qwen3) or a hub id (default: tiny-qwen3, i.e. the real "
                             "Qwen3 tokenizer and template)")
    parser.add_argument("--index", type=int, default=None, metavar="I",
                        help="only the conversation at 0-based index I of the file (default: every conversation)")
    parser.add_argument("--json", action="store_true",
                        help='one JSON object per sample per line: {"line", "turn", "input_ids", "trainable"}')
    parser.add_argument("--template", choices=["auto", "own", "hermes"], default="auto",
                        help="chat template: the model's own when it knows tools (auto), insist on it (own), "
                             "or the built-in hermes layout")
    parser.add_argument("--thinking", action="store_true", help="render in Qwen3 thinking mode (enable_thinking=True)")
    parser.add_argument("--max-length", type=int, default=0, metavar="N",
                        help="flag samples longer than N tokens, which training would skip (0: no limit)")
    parser.add_argument("--check-tokens", dest="token_check", action="store_true",
                        help="also load the weights and report the special-token rows the model never learned "
                             "(which training with lora.trainable_tokens=auto trains)")


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


def token_report(model_name: str, fmt: Any) -> str:
    """Which special tokens the format writes, and which of their rows the model never learned."""
    from fctune.models import load_model
    from fctune.token_rows import describe, find_untrained

    tokens = fmt.special_tokens()
    model, _tok = load_model(model_name, device="cpu")
    rows = find_untrained(model, tokens)
    names = ", ".join(t for t, _ in tokens) or "none"
    fix = (" (training with lora.trainable_tokens=auto trains these rows)" if rows else "")
    return f"special tokens the format writes: {names}; {describe(rows)}{fix}"


def run(args: argparse.Namespace) -> int:
    from fctune.errors import FctuneError
    from fctune.formats import ChatFormat
    from fctune.models import load_tokenizer
    from fctune.train import load_training_conversations

    conversations, _source = load_training_conversations(args.file)
    if args.index is not None:
        if not 0 <= args.index < len(conversations):
            raise FctuneError(f"--index {args.index} is out of range: {args.file} holds {len(conversations)} conversations")
        conversations = [conversations[args.index]]
    tokenizer = load_tokenizer(args.model)
    fmt = ChatFormat(tokenizer, template=args.template, enable_thinking=args.thinking)
    out = sys.stdout
    if args.json:
        for line, r in render_conversations(fmt, conversations):
            out.write(json.dumps({"line": line, "turn": r.turn, "input_ids": r.input_ids, "trainable": r.trainable}) + "\n")
        return 0
    console = None
    if out.isatty():
        from rich.console import Console

        console = Console(highlight=False)
    total = trained = count = too_long = 0
    for line, r in render_conversations(fmt, conversations):
        long_note = ""
        if args.max_length and len(r.input_ids) > args.max_length:
            long_note = f"; over --max-length {args.max_length}: training skips it"
            too_long += 1
        head = header(line, r.turn, r.input_ids, r.trainable, long_note)
        if console is not None:
            console.print(head, style="bold cyan", markup=False)
            console.print(rich_text(tokenizer, r.input_ids, r.trainable))
            console.print()
        else:
            out.write(head + "\n" + plain_text(tokenizer, r.input_ids, r.trainable) + "\n\n")
        count += 1
        total += len(r.input_ids)
        trained += sum(r.trainable)
    tail = (f"{count} samples (one per assistant turn) from {len(conversations)} conversations, template "
            f"{fmt.template_name}: {trained} trained / {total} tokens ({100 * trained / max(1, total):.1f} %)")
    if too_long:
        tail += f"; {too_long} over --max-length"
    if args.token_check:
        tail += "\n" + token_report(args.model, fmt)
    if console is not None:
        console.print(tail, style="bold", markup=False)
    else:
        out.write(tail + "\n")
    return 0
