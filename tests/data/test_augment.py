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


def _unmask(conv, mapping):
    """``conv`` with the names of :func:`mask_names` put back (its inverse)."""
    import copy

    out = copy.deepcopy(conv)
    for tool in out["tools"]:
        fn = tool["function"]
        if fn["name"] in mapping:
            old, params = mapping[fn["name"]]
            schema = fn["parameters"]
            schema["properties"] = {params.get(k, k): v for k, v in schema["properties"].items()}
            if "required" in schema:
                schema["required"] = [params.get(k, k) for k in schema["required"]]
            fn["name"] = old
    for m in out["messages"]:
        for call in m.get("tool_calls") or []:
            fn = call["function"]
            if fn["name"] in mapping:
                old, params = mapping[fn["name"]]
                fn["name"], fn["arguments"] = old, {params.get(k, k): v for k, v in fn["arguments"].items()}
        if m["role"] == "tool" and m.get("name") in mapping:
            m["name"] = mapping[m["name"]][0]
    return out


def test_masking_renames_consistently_and_keeps_what_the_conversation_means(tmp_path):
    """Masked names are fresh random strings; descriptions stay; the calls, ``required`` and tool
    results follow; every masked row is valid (calls match their schemas); putting the names back
    gives the original row; what has no description keeps its name."""
    import random

    from fctune.data.augment import mask_names, masked
    from fctune.data.synth import generate
    from fctune.data.validate import check_row

    rows = seed_conversations() + generate(60, seed=3, langs=["zh", "en"], heldout=0).splits["train"]
    rng = random.Random(0)
    renamed_params = 0
    for row in rows:
        conv = check_row(row)[0]
        out, mapping = mask_names(conv, rng)
        assert check_row(out)[1] == [], out
        assert _unmask(out, mapping) == conv
        new_names = _names(out)
        assert len(set(new_names)) == len(new_names)
        for old_tool, new_tool in zip(conv["tools"], out["tools"]):
            old_fn, new_fn = old_tool["function"], new_tool["function"]
            assert new_fn["description"] == old_fn["description"]
            if old_fn["description"].strip():
                assert new_fn["name"].startswith("fn_") and new_fn["name"] != old_fn["name"]
                old_props = old_fn["parameters"].get("properties", {})
                new_props = new_fn["parameters"].get("properties", {})
                assert [v.get("description") for v in new_props.values()] == [v.get("description") for v in old_props.values()]
                renamed_params += sum(k.startswith("p_") for k in new_props)
        called = {c["function"]["name"] for m in out["messages"] for c in m.get("tool_calls") or []}
        assert called <= set(new_names)
    assert renamed_params > 50
    # a function or parameter without a description keeps its name
    bare = {"tools": [{"type": "function", "function": {"name": "f", "description": "",
                                                        "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}}},
                      {"type": "function", "function": {"name": "g", "description": "Gets it.",
                                                        "parameters": {"type": "object", "properties": {"x": {"type": "string"}},
                                                                       "required": ["x"]}}}],
            "messages": [{"role": "user", "content": "q"},
                         {"role": "assistant", "content": "", "tool_calls": [
                             {"type": "function", "function": {"name": "g", "arguments": {"x": "1"}}}]}]}
    out, mapping = mask_names(bare, random.Random(1))
    assert _names(out)[0] == "f" and _names(out)[1].startswith("fn_")
    assert list(out["tools"][1]["function"]["parameters"]["properties"]) == ["x"]
    # in place for a share of the rows, deterministic for a seed
    numbered = list(enumerate(rows, 1))
    once, again = masked(numbered, 0.5, seed=7), masked(numbered, 0.5, seed=7)
    assert once == again and [line for line, _ in once] == [line for line, _ in numbered]
    share = sum(_names(a) != _names(b) for (_, a), (_, b) in zip(once, numbered) if b.get("tools")) / len(rows)
    assert 0.3 < share < 0.7
    assert masked(numbered, 0.0, seed=7) == numbered
