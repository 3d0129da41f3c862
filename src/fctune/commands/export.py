"""``fctune export``: arguments -> the runtime section + :class:`fctune.export.ExportConfig` ->
:func:`fctune.export.export_model`."""

from __future__ import annotations

import argparse
import sys

from fctune.export import LLAMACPP_MODES, QUANTS, ExportConfig, export_model


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from fctune.commands.options import add_runtime_arguments

    add_runtime_arguments(parser)  # --model: the base the adapter was trained on (or a merged model alone)
    parser.add_argument("--out", required=True, help="output directory (must not exist, or be empty)")
    parser.add_argument("--quant", choices=QUANTS, default=ExportConfig.quant,
                        help="weights in the GGUF: q8_0 (llama.cpp's 8-bit blocks, default), f16 or f32")
    parser.add_argument("--untie", action="store_true",
                        help="separate input/output embeddings when the adapter trains a tied one")
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="skip reading the file back with transformers (logits, tokenizer, template)")
    parser.add_argument("--llamacpp", choices=LLAMACPP_MODES, default=ExportConfig.llamacpp,
                        help="run the file in llama.cpp before publishing (auto: when node-llama-cpp is installed)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory")


def run(args: argparse.Namespace) -> int:
    from fctune.commands.options import runtime_config_with_model
    from fctune.models import resolve_device, set_cpu_threads

    rt = runtime_config_with_model(args).model
    if resolve_device(rt.device) == "cpu":
        set_cpu_threads(rt.threads)
    cfg = ExportConfig(out=args.out, quant=args.quant, untie=args.untie, verify=args.verify,
                       llamacpp=args.llamacpp, overwrite=args.overwrite)
    summary = export_model(rt, cfg, log=lambda m: print(f"fctune export: {m}", file=sys.stderr))
    print(f"fctune export: saved {summary['gguf']} ({summary['architecture']}, {summary['quant']}, "
          f"{summary['bytes'] / 1e6:.1f} MB) and {summary['out']}/Modelfile")
    if "max_logit_diff" in summary:
        print(f"fctune export: read back by transformers: logits within {summary['max_logit_diff']:.3g} of the "
              f"merged model (max {summary['max_logit']:.3g}), greedy token agrees at "
              f"{summary['argmax_agreement']:.0%} of positions; tokenizer and template identical")
    if "llamacpp" in summary:
        agreement = summary.get("llamacpp_greedy_agreement")
        same = ("; greedy tokens equal to the merged model's for " + ", ".join(f"{k}/{n}" for k, n in agreement)
                + " tokens") if agreement else ""
        print(f"fctune export: llama.cpp: {summary['llamacpp']}{same}")
        for answer in summary.get("llamacpp_answers", []):
            print(f"  llama.cpp wrote: {answer['text'][:160]!r}" + (f" -> calls {answer['calls']}" if answer["calls"] else ""))
    if summary.get("call_threshold") is not None:
        print(f"fctune export: calibrated call threshold {summary['call_threshold']:.3f} stored as "
              "fctune.call_threshold (llama.cpp and Ollama do not apply it; fctune serve does)")
    return 0
