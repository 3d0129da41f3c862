"""``fctune data seed --out FILE``: the original 15-sample Chinese data set (:mod:`fctune.data.seed`)."""

from __future__ import annotations

import argparse

from fctune.data.seed import seed_conversations


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", required=True, help="where to write the JSONL file")


def run(args: argparse.Namespace) -> int:
    from fctune.data.schema import write_jsonl

    count = write_jsonl(args.out, seed_conversations())
    print(f"wrote {count} seed conversations to {args.out}")
    return 0
