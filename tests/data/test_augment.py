"""Tool-list variants: same messages, the own tools always offered, distractors from other rows only."""

from __future__ import annotations

from fctune.data.augment import tool_pool, tool_variants, without_called_tools
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


def test_no_call_twin_drops_the_called_tools_and_ends_at_its_reply():
    rows = seed_conversations()
    replies = []

    def reply(removed, kept):
        replies.append(([t["function"]["name"] for t in removed], [t["function"]["name"] for t in kept]))
        return "没有能做这件事的工具。"

    for conv in rows:
        twin = without_called_tools(conv, reply)
        called = {c["function"]["name"] for m in conv["messages"] for c in m.get("tool_calls") or []}
        assert twin is not None  # every seed conversation calls and offers a tool besides
        assert set(_names(twin)) == set(_names(conv)) - called and called
        assert twin["messages"][:-1] == conv["messages"][:1]
        assert twin["messages"][-1] == {"role": "assistant", "content": "没有能做这件事的工具。"}
        assert twin["id"] == conv["id"] + "-missing"
        assert replies[-1] == ([n for n in _names(conv) if n in called], _names(twin))
        assert normalize_row(twin)[1] == []
        assert conv["messages"][1].get("tool_calls")  # the original untouched
    only = {**rows[0], "tools": [t for t in rows[0]["tools"] if t["function"]["name"] == "get_weather"]}
    assert without_called_tools(only, reply) is None  # no tool would be left
    silent = {**rows[0], "messages": [rows[0]["messages"][0], {"role": "assistant", "content": "好的。"}]}
    assert without_called_tools(silent, reply) is None  # nothing called: no twin


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


def test_source_language_rows_are_read_back_by_bfcl_to_the_same_calls():
    """Java / JavaScript rows: tools shown as bfcl-eval shows them (every parameter a string whose
    description names its type, the language noted), and every call, read back by bfcl-eval's own
    type converters against the language's types, equal to the conversation's original call."""
    import random

    from fctune.data.augment import as_source_language, source_languages
    from fctune.data.synth import generate
    from fctune.data.validate import check_row
    from fctune.formats import ToolCall
    from fctune.scoring import check_call

    rows = seed_conversations() + generate(150, seed=4, langs=["zh", "en"], heldout=0,
                                           mix={"single": 0.5, "parallel": 0.3, "multi_step": 0.2}).splits["train"]
    rng = random.Random(0)
    checked, kinds, skipped = 0, set(), 0
    for lang, note in (("java", "Java 8 SDK syntax."), ("javascript", "JavaScript syntax.")):
        for conv in rows:
            got = as_source_language(conv, lang, rng)
            if got is None:
                skipped += 1
                continue
            out, typed = got
            assert out["messages"][0] == conv["messages"][0] and len(out["messages"]) == len(conv["messages"])
            assert check_row(out)[1] == []
            for tool in out["tools"]:
                fn = tool["function"]
                assert fn["description"].endswith(note)
                for value in fn["parameters"]["properties"].values():
                    assert value["type"] == "string" and "string representation" in value["description"]
            before = [c["function"] for m in conv["messages"] for c in m.get("tool_calls") or []]
            after = [c["function"] for m in out["messages"] for c in m.get("tool_calls") or []]
            assert [c["name"] for c in before] == [c["name"] for c in after]
            for old, new in zip(before, after):
                assert all(isinstance(v, str) for v in new["arguments"].values())
                answer = {k: [v] for k, v in old["arguments"].items()}
                score = check_call(ToolCall(new["name"], new["arguments"]), old["name"], answer,
                                   typed[old["name"]], "bfcl", lang)
                assert score.correct, (lang, old, new, score)
                kinds |= {typed[old["name"]]["properties"][k]["type"] for k in old["arguments"]}
                checked += 1
    assert checked > 300 and skipped < len(rows)  # most rows can be written so
    assert {"ArrayList", "integer", "boolean", "String", "any", "float", "array", "Boolean"} <= kinds
    # a share of the rows, drawn with the seed, in place; the rest untouched
    numbered = list(enumerate(rows, 1))
    once = source_languages(numbered, 0.5, seed=3)
    assert once == source_languages(numbered, 0.5, seed=3) and len(once) == len(numbered)
    changed = sum(a != b for (_, a), (_, b) in zip(once, numbered))
    assert 0.25 * len(rows) < changed < 0.6 * len(rows)
    assert source_languages(numbered, 0.0, seed=3) == numbered
