"""The training bench runs end to end (a tiny shape: plumbing, not speed), so its published figures
stay reproducible: every variant it runs here finishes, processes the tokens it says, and the
headline is taken against the faster reading of the original recipe."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT


@pytest.mark.slow
def test_the_training_bench_runs_and_compares_with_the_faster_baseline(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "train_throughput.py"), "--shape", "tiny",
                           "--samples", "3", "--variants", "a,a-nopad,c", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    results = report["results"]
    assert set(results) == {"a", "a-nopad", "c"} and all("seconds" in r for r in results.values()), results
    # padded to 1024 every sample is 1024 tokens; unpadded, the same conversations' real tokens
    assert results["a"]["real_tokens"] == results["a-nopad"]["real_tokens"] < 3 * 1024
    assert results["c"]["fctune_summary"]["trained_tokens"] == report["data"]["trained_tokens"]
    faster = max(("a", "a-nopad"), key=lambda k: results[k]["trained_tokens_per_s"])
    assert report["speedup_vs_seed"]["against"] == faster
    ratio = results["c"]["trained_tokens_per_s"] / results[faster]["trained_tokens_per_s"]
    assert report["speedup_vs_seed"]["ratio"] == pytest.approx(ratio)
    assert proc.stdout.strip().splitlines()[-1] == f"speedup {ratio:.2f}"
    assert report["load_average_before"] and report["sgemm_gflops"] > 0
