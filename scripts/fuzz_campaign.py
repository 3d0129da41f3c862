"""The fuzz suite's strategies at campaign size: outcome counts for docs/reliability.md.

    python scripts/fuzz_campaign.py [--scale 10] [--json out.json]

Runs the strategies of tests/fuzzing.py (rows through ``data validate``, ``key=value`` config
overrides, request histories and tool lists through the server's validator and the chat
template, HTTP requests the model answers, and schemathesis requests from the OpenAPI schema against the real app over the tiny
tool-calling model) ``--scale`` times as many examples as CI does, and prints one table: every
outcome with its count. A broken rule (a traceback, an error without its line, a 5xx) is counted
as such and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from tests import fuzzing as F  # noqa: E402

CI_EXAMPLES = {"rows": 60, "configs": 150, "requests": 200, "http": 40, "server POST": 40, "server GET": 10}
"""Examples per run in tests/test_fuzz.py (the campaign multiplies these)."""


def run(name: str, strategies: dict, outcome, examples: int, counts: dict, broken: list) -> None:
    """``examples`` draws of ``strategies`` through ``outcome``; counts keyed ``(name, outcome)``."""
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(**strategies)
    def draw(**kwargs):
        try:
            label = outcome(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a broken rule is what the campaign counts
            label = f"RULE BROKEN: {type(exc).__name__}"
            broken.append((name, repr(kwargs)[:300], f"{type(exc).__name__}: {exc}"[:300]))
        counts[(name, label)] += 1

    draw()


def campaign(scale: int) -> tuple[dict, list, dict]:
    from starlette.testclient import TestClient

    from fctune.formats import ChatFormat
    from fctune.models import load_tokenizer
    from tests.helpers import build_tool_model

    counts: dict = collections.Counter()
    broken: list = []
    seconds: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        model_dir = build_tool_model(tmp_path / "tool-model")
        fmt = ChatFormat(load_tokenizer(str(model_dir)))
        files = iter(range(10**9))
        start = time.monotonic()
        run("data validate: files of 1-6 rows", {"rows": F.ROWS},
            lambda rows: F.rows_outcome(tmp_path / f"rows-{next(files)}.jsonl", rows),
            CI_EXAMPLES["rows"] * scale, counts, broken)
        seconds["rows"] = time.monotonic() - start
        start = time.monotonic()
        run("config: 1-4 key=value overrides", {"overrides": F.OVERRIDES}, F.overrides_outcome,
            CI_EXAMPLES["configs"] * scale, counts, broken)
        seconds["configs"] = time.monotonic() - start
        start = time.monotonic()
        run("serve: request histories and tools", {"messages": F.REQ_MESSAGES, "tools": F.REQ_TOOLS},
            lambda messages, tools: F.request_outcome(fmt, messages, tools),
            CI_EXAMPLES["requests"] * scale, counts, broken)
        seconds["requests"] = time.monotonic() - start
        start = time.monotonic()
        app = F.fuzz_app(model_dir)
        client = TestClient(app)
        run("serve: HTTP requests, the model generating", {"body": F.REQ_BODIES},
            lambda body: F.http_outcome(client, body), CI_EXAMPLES["http"] * scale, counts, broken)
        seconds["http"] = time.monotonic() - start
        start = time.monotonic()
        schema = F.app_schema(app)
        for result in schema.get_all_operations():
            op = result.ok()
            kind = "server POST" if op.method.upper() == "POST" else "server GET"
            run(f"serve (schemathesis): {op.method.upper()} {op.path}", {"case": op.as_strategy()},
                lambda case: "HTTP " + F.case_outcome(case), CI_EXAMPLES[kind] * scale, counts, broken)
        seconds["server"] = time.monotonic() - start
    return counts, broken, seconds


def table(counts: dict) -> str:
    lines = ["| surface | outcome | inputs |", "| --- | --- | ---: |"]
    for (name, label), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1])):
        lines.append(f"| {name} | {label} | {n} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10, help="times the examples CI draws (default 10)")
    parser.add_argument("--json", help="also write the counts here")
    args = parser.parse_args()
    counts, broken, seconds = campaign(args.scale)
    print(table(counts))
    print(f"\n{sum(counts.values())} inputs in {sum(seconds.values()):.0f} s; rules broken: {len(broken)}")
    for name, example, error in broken[:20]:
        print(f"BROKEN {name}: {error}\n    {example}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "scale": args.scale, "seconds": {k: round(v, 1) for k, v in seconds.items()},
            "counts": [{"surface": s, "outcome": o, "inputs": n} for (s, o), n in sorted(counts.items())],
            "broken": broken}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
