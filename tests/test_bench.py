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


@pytest.mark.slow
def test_the_bf16_bench_compares_speed_and_answers(tmp_path):
    """bench/cpu_bf16.py end to end on the tiny model: both dtypes evaluated on the same dev items and
    trained, the agreement of their answers counted (plumbing here; the figures need the real model)."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "cpu_bf16.py"), "--model", "tiny-qwen3",
                           "--bfcl", "simple_python,irrelevance", "--limit", "3", "--max-new-tokens", "8",
                           "--config", "configs/tiny-test.yaml", "--train-steps", "1", "--threads", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "matrix products (1024 x 896 x 4864): float32" in out and "bfloat16" in out
    rows = [line for line in out.splitlines() if line.startswith(("| float32 |", "| bfloat16 |"))]
    assert len(rows) == 2 and all(row.split("|")[2].strip() == "6" for row in rows), rows
    agree = next(line for line in out.splitlines() if line.startswith("same answer text"))
    assert agree.endswith("of 6") and "same score:" in agree
    assert "training float32: 1 steps" in out and "training bfloat16: 1 steps" in out
