"""``fctune eval``: arguments -> :class:`fctune.config.Config` -> :func:`fctune.evaluate.run_eval` -> the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fctune.commands.options import add_call_threshold_argument, add_config_arguments, add_runtime_arguments, runtime_config
from fctune.errors import DataError, FctuneError
from fctune.evaluate import export_prompts, load_items, run_eval


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_runtime_arguments(parser)
    parser.add_argument("--compare", action="store_true", help="evaluate base (adapter off) and tuned in one report")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--data", metavar="FILE", help="canonical JSONL conversations; every assistant turn is an item")
    src.add_argument("--bfcl", metavar="CAT[,CAT...]", help="BFCL v4 categories (simple_python, multiple, parallel, "
                     "parallel_multiple, irrelevance, live_*; or all, live, non_live)")
    parser.add_argument("--responses", metavar="FILE", help='score {"id", "raw"} JSONL texts instead of generating')
    parser.add_argument("--export-prompts", metavar="FILE", help="write the exact prompts as JSONL and stop "
                        "(to generate elsewhere, then score with --responses)")
    parser.add_argument("--limit", type=int, help="items per BFCL category / per data file (eval.limit; 0: all)")
    parser.add_argument("--sample", type=int, help="BFCL items per category drawn at random with a fixed seed "
                        "(a stratified sample; eval.sample), instead of the first --limit")
    parser.add_argument("--sample-round", type=int, help="with --sample N (the N of round 1): 2, 3, ... a further "
                        "sample of N per category holding none of the earlier rounds' items (eval.sample_round)")
    parser.add_argument("--split", choices=("all", "dev", "test"), help="BFCL items: dev (every fifth of each "
                        "category; for design decisions), test (the rest; for reports) or all (eval.split)")
    parser.add_argument("--replies", choices=("auto", "stop", "full"),
                        help="stop: an answer that opens with text is scored as a reply at its first token and "
                             "not generated further; full: every answer to its end; auto (default): stop for an "
                             "adapter trained with calls opening their turns (eval.replies)")
    parser.add_argument("--batch-size", type=int, help="prompts generated together (eval.batch_size)")
    parser.add_argument("--max-new-tokens", type=int, help="longest answer (eval.max_new_tokens)")
    add_call_threshold_argument(parser)
    parser.add_argument("--out", metavar="DIR", help="where predictions.jsonl and report.{json,md,png} go")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_config_arguments(parser, with_file=False)


def run(args: argparse.Namespace) -> int:
    flags = {"eval.limit": args.limit, "eval.split": args.split, "eval.sample": args.sample,
             "eval.sample_round": args.sample_round, "eval.replies": args.replies,
             "eval.batch_size": args.batch_size, "eval.max_new_tokens": args.max_new_tokens,
             "eval.call_threshold": args.call_threshold}
    cfg = runtime_config(args, [*args.overrides, *(f"{k}={v}" for k, v in flags.items() if v is not None)])
    if args.call_threshold is not None and not 0 <= args.call_threshold <= 1:
        raise FctuneError(f"--call-threshold must be between 0 and 1, got {args.call_threshold}")
    if args.responses and args.rt_model_name_or_path is None:
        cfg.model.name_or_path = ""  # scoring texts from elsewhere: no model to name
    try:
        if args.export_prompts:
            items, _ = load_items(args.data, args.bfcl, cfg.eval.limit, cfg.eval.split, cfg.eval.sample,
                                  cfg.eval.sample_round)
            n = export_prompts(cfg.model.name_or_path, items, args.export_prompts,
                               cfg.model.template, cfg.model.enable_thinking)
            print(f"wrote {n} prompt(s) to {args.export_prompts}")
            return 0
        if not args.out:
            raise FctuneError("--out DIR is required")
        run_eval(cfg, data=args.data, bfcl=args.bfcl, responses=args.responses, out=args.out, compare=args.compare,
                 progress=not args.no_progress, log=lambda line: print(line, file=sys.stderr))
    except DataError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print((Path(args.out) / "report.md").read_text(encoding="utf-8"))
    print(f"wrote {args.out}/predictions.jsonl, report.json, report.md, report.png")
    return 0
