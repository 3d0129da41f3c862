"""Speed of `fctune data synth`: conversations generated (and written as JSONL) per second.

    python bench/synth_speed.py [--n 10000] [--seed 0] [--repeat 1]

Target: 10,000 conversations in under 60 s on a 2-core CPU machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1, help="runs to time (the best is reported)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    from fctune.data.schema import write_jsonl
    from fctune.data.synth import generate
    from fctune.data.synth.builtin import builtin_tools

    builtin_tools()
    t_import = time.perf_counter() - t0

    best = None
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t1 = time.perf_counter()
            result = generate(args.n, seed=args.seed)
            t2 = time.perf_counter()
            total = 0
            for name, rows in result.splits.items():
                total += write_jsonl(Path(tmp) / f"{name}.jsonl", rows)
            t3 = time.perf_counter()
        run = (t2 - t1, t3 - t2, total)
        if best is None or sum(run[:2]) < sum(best[:2]):
            best = run
    gen_s, write_s, total = best
    elapsed = gen_s + write_s
    print(f"conversations: {total} (n={args.n} + held-out test rows)")
    print(f"import + catalog: {t_import:.2f} s")
    print(f"generate: {gen_s:.2f} s, write: {write_s:.2f} s, total: {elapsed:.2f} s")
    print(f"{total / elapsed:,.0f} conversations/s")


if __name__ == "__main__":
    main()
