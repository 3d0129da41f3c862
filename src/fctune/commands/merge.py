"""``fctune merge``: arguments -> the runtime section -> :func:`fctune.merge.merge_adapter`."""

from __future__ import annotations

import argparse
import sys

from fctune.errors import FctuneError
from fctune.merge import merge_adapter


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from fctune.commands.options import add_runtime_arguments

    add_runtime_arguments(parser)  # --model: the base the adapter was trained on; --dtype: of the saved weights
    parser.add_argument("--out", required=True, help="output directory (must not exist, or be empty)")
    parser.add_argument("--untie", action="store_true",
                        help="save separate input/output embeddings when the adapter trains a tied one")
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="skip the logits check against base + adapter")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory")


def run(args: argparse.Namespace) -> int:
    from fctune.commands.options import runtime_config_with_model
    from fctune.models import resolve_device, set_cpu_threads

    rt = runtime_config_with_model(args).model
    if not rt.adapter:
        raise FctuneError("--adapter DIR is required (the LoRA adapter to merge)")
    if resolve_device(rt.device) == "cpu":
        set_cpu_threads(rt.threads)
    summary = merge_adapter(rt.name_or_path, rt.adapter, args.out, dtype=rt.dtype, untie=args.untie,
                            template=rt.template, device=rt.device, verify=args.verify,
                            overwrite=args.overwrite, allow_other_base=rt.allow_other_base, log=lambda m: print(f"fctune merge: {m}", file=sys.stderr))
    checks = ""
    if "max_logit_diff_reloaded" in summary:
        checks = (f"; logits vs base + adapter: max diff {summary['max_logit_diff_merged']:.2g} merged, "
                  f"{summary['max_logit_diff_reloaded']:.2g} reloaded")
    print(f"fctune merge: saved {summary['out']} ({summary['dtype']}, "
          f"{'tied' if summary['tie_word_embeddings'] else 'separate'} embeddings{checks})")
    return 0
