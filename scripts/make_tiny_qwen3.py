#!/usr/bin/env python
"""Write a tiny random Qwen3 model directory with the real Qwen3 tokenizer and chat template.

Usage: python scripts/make_tiny_qwen3.py OUT [--hidden 64] [--layers 2] [--seed 0]
"""

import argparse

from fctune.models import make_tiny_qwen3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="output directory")
    parser.add_argument("--hidden", type=int, default=64, help="hidden size")
    parser.add_argument("--layers", type=int, default=2, help="number of decoder layers")
    parser.add_argument("--seed", type=int, default=0, help="weight init seed")
    args = parser.parse_args()
    print(make_tiny_qwen3(args.out, seed=args.seed, hidden_size=args.hidden, num_layers=args.layers))


if __name__ == "__main__":
    main()
