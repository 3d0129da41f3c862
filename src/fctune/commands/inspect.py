"""``fctune inspect FILE``: how each sample is rendered and which of its tokens carry loss (:mod:`fctune.inspect`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fctune.inspect import header, plain_text, render_conversations, rich_text, token_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from fctune.commands.options import add_runtime_arguments

    parser.add_argument("file", metavar="FILE", help="conversations in the canonical JSONL format")
    add_runtime_arguments(parser)  # the model whose tokenizer and template render the data (default tiny-qwen3)
    parser.add_argument("--index", type=int, default=None, metavar="I",
                        help="only the conversation at 0-based index I of the file (default: every conversation)")
    parser.add_argument("--json", action="store_true",
                        help='one JSON object per sample per line: {"line", "turn", "input_ids", "trainable"}')
    parser.add_argument("--max-length", type=int, default=0, metavar="N",
                        help="flag samples longer than N tokens, which training would skip (0: no limit)")
    parser.add_argument("--check-tokens", dest="token_check", action="store_true",
                        help="also load the weights (with --adapter: the tuned ones) and report the special-token "
                             "rows the model never learned (which training with lora.trainable_tokens=auto trains)")


INSPECT_MODEL = "tiny-qwen3"
"""The model inspect renders with when neither ``--model`` nor ``--config`` names one: the real Qwen3
tokenizer and template, no weights to fetch."""


def run(args: argparse.Namespace) -> int:
    from fctune.commands.options import names_a_model, runtime_config
    from fctune.data.io import load_training_conversations
    from fctune.errors import FctuneError
    from fctune.formats import ChatFormat
    from fctune.models import load_tokenizer

    cfg = runtime_config(args)
    rt = cfg.model if names_a_model(args, cfg) else runtime_config(args, [f"model.name_or_path={INSPECT_MODEL}"]).model
    conversations, _source = load_training_conversations(args.file)
    if args.index is not None:
        if not 0 <= args.index < len(conversations):
            raise FctuneError(f"--index {args.index} is out of range: {args.file} holds {len(conversations)} conversations")
        conversations = [conversations[args.index]]
    tokenizer = load_tokenizer(rt.adapter if rt.adapter and Path(rt.adapter, "tokenizer_config.json").is_file()
                               else rt.name_or_path)
    fmt = ChatFormat(tokenizer, template=rt.template, enable_thinking=rt.enable_thinking)
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
        tail += "\n" + token_report(rt, fmt)
    if console is not None:
        console.print(tail, style="bold", markup=False)
    else:
        out.write(tail + "\n")
    return 0
