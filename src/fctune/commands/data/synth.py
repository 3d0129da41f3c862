"""``fctune data synth``: synthetic tool-calling conversations (:mod:`fctune.data.synth`)."""

from __future__ import annotations

import argparse

from fctune.data.synth import KIND_NAMES
from fctune.data.synth.kinds import LONG_TOOL_CHARS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=1000, metavar="N", help="number of conversations (default 1000), "
                        "before the extra test rows for held-out tools")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same files")
    parser.add_argument("--lang", default="zh,en", metavar="LANGS", help="languages, comma-separated: zh,en (default both, equal shares)")
    parser.add_argument("--tools", metavar="FILE", default=None,
                        help="JSON list of your own tool schemas (OpenAI format); they get data too, in every split")
    parser.add_argument("--mix", metavar="KIND=SHARE,...", default=None,
                        help="shares of conversation kinds (" + ", ".join(KIND_NAMES) + "); unnamed kinds share the rest "
                        "in proportion to the defaults")
    parser.add_argument("--heldout", type=int, default=12, metavar="K",
                        help="built-in tools kept out of train/valid and given extra test rows (default 12)")
    parser.add_argument("--split", default="90,5,5", metavar="TRAIN,VALID,TEST", help="split proportions (default 90,5,5)")
    parser.add_argument("--optional-rate", type=float, default=0.6, metavar="P",
                        help="probability that an optional parameter a phrasing can express is given (default 0.6)")
    parser.add_argument("--preface-rate", type=float, default=0.3, metavar="P",
                        help="probability that a call turn starts with a short text before the calls (default 0.3)")
    parser.add_argument("--max-tool-chars", type=int, default=2800, metavar="C",
                        help="cap on the JSON size of the tools offered in one row; the called tools always stay "
                        "(default 2800, ~99%% of rows within 1024 Qwen3 tokens; raise it for more distractors)")
    parser.add_argument("--long-tools", type=float, default=0.0, metavar="P",
                        help="share of rows whose tool list is filled with distractors (same-domain ones first) up to "
                        "--long-tool-chars, as apps offer many tools at once (default 0)")
    parser.add_argument("--long-tool-chars", type=int, default=LONG_TOOL_CHARS, metavar="C",
                        help=f"JSON size of a long tool list (default {LONG_TOOL_CHARS}, ~6-8 tools)")
    parser.add_argument("--zh-schemas", type=float, default=0.0, metavar="P",
                        help="share of Chinese rows whose built-in tools are described in Chinese (names, types and "
                        "calls unchanged), as Chinese applications describe theirs (default 0: English)")
    parser.add_argument("--contrast", type=float, default=0.0, metavar="P",
                        help="share of the training rows that ask for a tool not offered (near misses, unsupported "
                        "requests) followed by their twin: the same conversation with that tool offered and called; "
                        "the pair trains in one step, so only the tool list tells them apart (default 0)")
    parser.add_argument("--weight", metavar="NAME=W,...", default=None,
                        help="tools whose call rows come W times as often (e.g. web.search=4); the rows that teach "
                        "silence for their requests keep their share (default: every tool alike)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from fctune.data.schema import write_jsonl
    from fctune.data.synth.engine import generate as _generate
    from fctune.data.synth.engine import manifest, parse_mix, parse_split, parse_weights
    from fctune.data.io import load_tool_file
    from fctune.errors import FctuneError

    from fctune.publish import check_output_dir

    out = check_output_dir(args.out, "--out")
    langs = [x.strip() for x in args.lang.split(",") if x.strip()]
    mix = parse_mix(args.mix)
    split = parse_split(args.split)
    weights = parse_weights(args.weight)
    for flag, value in (("--optional-rate", args.optional_rate), ("--preface-rate", args.preface_rate),
                        ("--long-tools", args.long_tools), ("--zh-schemas", args.zh_schemas),
                        ("--contrast", args.contrast)):
        if not 0 <= value <= 1:
            raise FctuneError(f"{flag} must be between 0 and 1, got {value}")
    schemas = load_tool_file(args.tools) if args.tools else None
    result = _generate(args.n, args.seed, langs=langs, user_schemas=schemas, mix=mix, heldout=args.heldout,
                       split=split, optional_rate=args.optional_rate, max_tool_chars=args.max_tool_chars,
                       preface_rate=args.preface_rate, long_tools=args.long_tools, long_tool_chars=args.long_tool_chars,
                       weights=weights, zh_schemas=args.zh_schemas, contrast=args.contrast)
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in result.splits.items():
        write_jsonl(out / f"{name}.jsonl", rows)
    recorded = {"n": args.n, "seed": args.seed, "lang": langs, "tools": args.tools, "mix": {k: round(v, 6) for k, v in mix.items()},
                "heldout": args.heldout, "split": [round(x, 6) for x in split], "optional_rate": args.optional_rate,
                "preface_rate": args.preface_rate,
                "max_tool_chars": args.max_tool_chars, "long_tools": args.long_tools,
                "long_tool_chars": args.long_tool_chars, "weights": weights, "zh_schemas": args.zh_schemas,
                "contrast": args.contrast}
    man = manifest(result, recorded)
    (out / "manifest.json").write_text(json.dumps(man, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    counts = man["counts"]
    print(f"wrote {out}/train.jsonl ({counts['train']}), valid.jsonl ({counts['valid']}), test.jsonl ({counts['test']}); "
          f"{len(man['heldout_tools'])} held-out tools, {len(man['test_tools_absent_from_train'])} test tools absent from train",
          file=sys.stderr)
    return 0
