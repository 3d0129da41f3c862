"""Tool-list variants: same messages, the own tools always offered, distractors from other rows only."""

from __future__ import annotations

from fctune.data.augment import tool_pool, tool_variants
from fctune.data.schema import normalize_row
from fctune.data.seed import seed_conversations


def _names(conv):
    return [t["function"]["name"] for t in conv["tools"]]


def test_variants_keep_messages_and_own_tools_and_add_only_foreign_distractors():
    rows = list(enumerate(seed_conversations(), 1))
    out = tool_variants(rows, copies=2, max_distractors=4, seed=0)
    assert out[:len(rows)] == rows and len(out) == 3 * len(rows)
    by_line = dict(rows)
    pool = {t["function"]["name"] for t in tool_pool([c for _, c in rows])}
    widened = 0
    for line, variant in out[len(rows):]:
        original = by_line[line]
        assert variant["messages"] == original["messages"]
        own, got = set(_names(original)), _names(variant)
        assert own <= set(got) and len(got) == len(set(got))          # every own tool, no duplicate
        assert set(got) - own <= pool and len(set(got) - own) <= 4    # distractors from the pool only
        assert variant["id"].startswith(original["id"] + "-tools")
        called = {c["function"]["name"] for m in variant["messages"] for c in m.get("tool_calls") or []}
        assert called <= set(got)
        assert normalize_row(variant)[1] == []
        widened += len(got) > len(own)
    assert widened > len(rows)  # most variants carry distractors
    ids = [v["id"] for _, v in out]
    assert len(set(ids)) == len(ids)  # one id per variant: <seed id>-tools1, -tools2
    orders = {tuple(_names(v)) for _, v in out[len(rows):]}
    assert len(orders) > len(rows)  # shuffled, not one fixed order per conversation


def test_variants_are_deterministic_and_off_by_default():
    rows = list(enumerate(seed_conversations(), 1))
    assert tool_variants(rows, 1, 3, seed=5) == tool_variants(rows, 1, 3, seed=5)
    assert tool_variants(rows, 1, 3, seed=5) != tool_variants(rows, 1, 3, seed=6)
    assert tool_variants(rows, 0, 3, seed=5) == rows
