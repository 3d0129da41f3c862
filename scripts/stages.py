"""What the one-command scripts (demo.py, bfcl_recipe.py) share: each stage is the real `fctune`
command line, run from the repository root and timed into :data:`TIMINGS`; JSONL rows as lines."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMINGS: dict[str, float] = {}


def fctune(stage: str, *args: str) -> None:
    """Run ``fctune ARGS`` as a user would; exit with its command line if it fails."""
    cmd = [sys.executable, "-m", "fctune", *args]
    print(f"\n$ fctune {' '.join(args)}", flush=True)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"{Path(sys.argv[0]).stem}: `fctune {' '.join(args)}` failed with exit code {proc.returncode}")
    TIMINGS[stage] = round(time.monotonic() - start, 1)
    print(f"  ({TIMINGS[stage]:.0f} s)", flush=True)


def lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_lines(path: Path, rows: list[str]) -> None:
    path.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
