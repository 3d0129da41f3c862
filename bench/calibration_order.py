#!/usr/bin/env python
"""Prompt tokens the call-decision calibration computes, its prompts in conversation order against
token order (:func:`fctune.calibrate.prompt_order`): each prompt pass reuses the cache of the one
before for their common prefix (:class:`fctune.generate.PrefixReuse`), so only the rest is computed.
A count of tokens, no model run: the tokenizer and template of the config's model.

    python bench/calibration_order.py data.valid_file=demo-out/data/valid.jsonl   # after make demo
"""

from __future__ import annotations

import argparse

from fctune.calibrate import decision_points, prompt_order
from fctune.config import load_config
from fctune.data.io import load_training_conversations
from fctune.formats import ChatFormat
from fctune.generate import prefix_cost
from fctune.models import load_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/demo-qwen.yaml")
    parser.add_argument("overrides", nargs="*", help="key=value config overrides (data.valid_file=...)")
    args = parser.parse_args()
    cfg = load_config(args.config, args.overrides)
    fmt = ChatFormat(load_tokenizer(cfg.model.name_or_path), template=cfg.model.template,
                     enable_thinking=cfg.model.enable_thinking)
    convs = [conv for _, conv in load_training_conversations(cfg.data.valid_file)[0]]  # as training reads them
    prompts = [p for _, p, _ in decision_points(fmt, convs, cfg.data.max_length)]
    plain, ordered = prefix_cost(prompts), prefix_cost([prompts[i] for i in prompt_order(prompts)])
    print(f"{len(prompts)} decision points, {sum(map(len, prompts)):,} prompt tokens: computed {plain:,} in "
          f"conversation order, {ordered:,} in token order ({100 * (ordered - plain) / plain:+.1f} %)")


if __name__ == "__main__":
    main()
