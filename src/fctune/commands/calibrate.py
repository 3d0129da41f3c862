"""``fctune calibrate``: arguments -> :class:`fctune.config.Config` -> :func:`fctune.recalibrate.refit`
-> the fitted call threshold."""

from __future__ import annotations

import argparse
import sys

from fctune.calibrate import MIN_SILENCE
from fctune.commands.options import add_config_arguments, add_runtime_arguments, runtime_config
from fctune.errors import DataError
from fctune.recalibrate import refit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_runtime_arguments(parser)
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="FILE", help="canonical JSONL conversations like those the model will meet "
                     "(held out from training); every answer to a user message counts")
    src.add_argument("--bfcl", metavar="CAT[,CAT...]", help="BFCL v4 categories (all, live, non_live, or names); "
                     "with --split dev (the default here), the items design decisions may look at")
    parser.add_argument("--split", choices=("all", "dev", "test"),
                        help="BFCL items: dev (the default with --bfcl: every fifth of each category), test or all")
    parser.add_argument("--sample", type=int, help="BFCL items per category drawn at random with a fixed seed "
                        "(equal numbers per category weigh them alike)")
    parser.add_argument("--limit", type=int, help="items per BFCL category / per data file (0: all)")
    parser.add_argument("--min-silence", type=float, default=None,
                        help=f"the threshold keeps at least this share of the no-call items silent "
                             f"(train.min_silence, as in training; default {MIN_SILENCE})")
    parser.add_argument("--out", metavar="DIR", required=True, help="where call_threshold.json goes "
                        "(never overwritten; copy it into the adapter directory to make it the default)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_config_arguments(parser, with_file=False)


def run(args: argparse.Namespace) -> int:
    split = args.split or ("dev" if args.bfcl else None)
    flags = {"eval.limit": args.limit, "eval.split": split, "eval.sample": args.sample,
             "train.min_silence": args.min_silence}  # the config checks each (limit, sample and floor in range)
    cfg = runtime_config(args, [*args.overrides, *(f"{k}={v}" for k, v in flags.items() if v is not None)])
    try:
        got = refit(cfg, args.out, data=args.data, bfcl=args.bfcl, min_silence=cfg.train.min_silence,
                    progress=not args.no_progress, log=lambda line: print(line, file=sys.stderr))
    except DataError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"call threshold {got['call_threshold']:.4g} on {got['call_turns']} call and {got['reply_turns']} no-call "
          f"item(s) ({got['fitted_on']}): call recall {got['call_recall']:.1%}, silence {got['silence']:.1%}, "
          f"AUC {got['auc']}" + ("; the silence floor binds" if got["floor_binds"] else ""))
    if "replaces" in got:
        old = got["replaces"]
        print(f"the saved threshold {old['call_threshold']:.4g} ({old['file']}) on these items: call recall "
              f"{old['on_these_items']['call_recall']:.1%}, silence {old['on_these_items']['silence']:.1%}")
    for cat, entry in got["categories"].items():
        print(f"  {cat}: {entry['decided_right']:.1%} of {entry['items']} decided right")
    if got.get("prefaced_call_items_left_out"):
        print(f"left out: {got['prefaced_call_items_left_out']} call turn(s) whose reference writes text before the call")
    print(f"wrote {args.out}/call_threshold.json: copy it into the adapter directory to make it the default of eval, "
          f"chat and serve (the adapter's after-tool rule stays), or pass --call-threshold {got['call_threshold']:.6g} "
          "(answers after a tool result are then plain greedy)")
    return 0
