"""``fctune data validate FILE``: every problem as ``FILE:LINE: reason``, then the statistics (:mod:`fctune.data.validate`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fctune.data.validate import DEFAULT_MAX_LENGTH, ValidationReport, validate_file
from fctune.errors import FctuneError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from fctune.commands.options import add_runtime_arguments

    parser.add_argument("file", metavar="FILE", help="canonical JSONL data file (docs/data-format.md)")
    add_runtime_arguments(parser)  # --model / --template: render as that model's training would
    parser.add_argument("--tokenizer", metavar="DIR", default=None,
                        help="tokenizer (or model) directory: also measure token lengths as rendered for training "
                             "(the same as --model)")
    parser.add_argument("--max-length", metavar="N", type=int, default=None,
                        help=f"warn about samples longer than N tokens (default {DEFAULT_MAX_LENGTH}; needs --tokenizer "
                             "or --model)")
    parser.add_argument("--json", action="store_true", help="print the statistics as JSON on stdout")


def _print_table(report: ValidationReport) -> None:
    from rich.console import Console
    from rich.table import Table

    s = report.stats
    table = Table(title=f"{report.path}", show_header=True, header_style="bold")
    table.add_column("statistic")
    table.add_column("value", justify="right")
    rows: list[tuple[str, str]] = [
        ("samples (valid)", str(s["samples"])),
        ("rows read", str(s["rows"])),
        ("rows with errors", str(s["invalid_rows"])),
        ("errors", str(s["errors"])),
        ("turns (messages)", f"{s['turns']} ({s['turns_per_sample_mean']} / sample)"),
        ("assistant turns", str(s["assistant_turns"])),
        ("calls per sample", f"mean {s['calls_per_sample_mean']}, max {s['calls_per_sample_max']}"),
        ("parallel calls", f"{s['parallel_share']:.1%}"),
        ("multi-step", f"{s['multi_step_share']:.1%}"),
        ("no call", f"{s['no_call_share']:.1%}"),
        ("languages", ", ".join(f"{k} {v}" for k, v in s["languages"].items()) or "-"),
        ("distinct tools declared", str(s["distinct_tools_declared"])),
        ("distinct tools called", str(s["distinct_tools_called"])),
    ]
    if "token_length" in s:
        t = s["token_length"]
        rows.append(("token length", f"p50 {t['p50']}, p90 {t['p90']}, p99 {t['p99']}, max {t['max']}"))
        rows.append((f"longer than {s['max_length']}", str(s["too_long"])))
    for name, value in rows:
        table.add_row(name, value)
    Console(soft_wrap=True).print(table)


def run(args: argparse.Namespace) -> int:
    if not Path(args.file).is_file():
        raise FctuneError(f"{args.file}: no such file")
    from fctune.commands.options import names_a_model, runtime_config

    cfg = runtime_config(args)
    rt = cfg.model
    tokenizer = args.tokenizer or (rt.name_or_path if names_a_model(args, cfg) else None)
    if args.max_length is not None and tokenizer is None:
        print("note: --max-length is only checked with --tokenizer or --model", file=sys.stderr)
    report = validate_file(args.file, tokenizer=tokenizer, max_length=args.max_length, template=rt.template,
                           enable_thinking=rt.enable_thinking)
    for err in report.errors:
        print(err, file=sys.stderr)
    for line, tokens in report.too_long:
        print(f"{report.path}:{line}: warning: sample has {tokens} tokens, longer than {report.max_length}",
              file=sys.stderr)
    s = report.stats
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
    else:
        _print_table(report)
    summary = f"{report.path}: {s['rows']} rows, {s['samples']} samples valid, {s['errors']} error(s)"
    if report.too_long:
        summary += f", {len(report.too_long)} longer than {report.max_length} tokens (warning)"
    print(summary, file=sys.stderr if args.json else sys.stdout)
    if not s["rows"]:
        print(f"fctune data validate: error: {report.path}: no rows (an empty data file trains nothing)", file=sys.stderr)
        return 1
    return 1 if report.errors else 0
