"""``fctune data convert --from FORMAT IN --out OUT`` (:mod:`fctune.data.convert`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fctune.data.convert import CONVERTERS, convert_file
from fctune.errors import FctuneError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="fmt", required=True, choices=list(CONVERTERS),
                        help="input format")
    parser.add_argument("input", metavar="IN", help="input file (JSONL or a JSON array; seed-text also plain text)")
    parser.add_argument("--out", metavar="OUT", required=True, help="canonical JSONL file to write")


def run(args: argparse.Namespace) -> int:
    if not Path(args.input).is_file():
        raise FctuneError(f"{args.input}: no such file")
    written, errors = convert_file(args.fmt, args.input, args.out)
    for err in errors:
        print(err, file=sys.stderr)
    skipped = len({e.line for e in errors})
    if not written:
        print(f"fctune data convert: error: {args.input}: no row could be converted "
              f"({'no rows in the file' if not errors else f'{skipped} rows with errors'}); {args.out} not written",
              file=sys.stderr)
        return 1
    print(f"{args.input}: converted {written}, skipped {skipped} -> {args.out}")
    return 1 if skipped else 0
