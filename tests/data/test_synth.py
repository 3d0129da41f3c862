"""The synthetic data engine: catalog, every kind, user tools, provenance of values, determinism,
held-out tools, and the CLI."""

from __future__ import annotations

import argparse
import copy
import json
import re
from collections import Counter

import pytest

from fctune.data.synth import generate
from fctune.data.synth.builtin import builtin_tools
from fctune.data.synth.check import value_problems
from fctune.data.synth.engine import allocate, called_tools, manifest, parse_mix, parse_split
from fctune.data.synth.kinds import CHAINS, KINDS, NEIGHBOURS, Builder
from fctune.data.synth.usertools import user_tools
from fctune.data.io import load_tool_file
from fctune.data.synth.values import Ctx, Pools, dates_in, from_regex, times_in
from fctune.data.validate import check_row, summarize, validate_file
from fctune.errors import FctuneError
from tests.helpers import run_fctune

_CJK = re.compile(r"[\u3400-\u9fff]")

USER_TOOLS = [
    {"type": "function", "function": {
        "name": "get_order_status", "description": "Gets the shipping status of a customer order.",
        "parameters": {"type": "object", "properties": {
            "order_id": {"type": "string", "description": "The order ID"},
            "include_history": {"type": "boolean", "description": "Include status history"}},
            "required": ["order_id"]}}},
    {"type": "function", "function": {
        "name": "crm.create_lead", "description": "创建一条销售线索",
        "parameters": {"type": "object", "properties": {
            "company": {"type": "string", "description": "客户公司名称"},
            "contact_email": {"type": "string", "format": "email", "description": "联系人邮箱"},
            "budget": {"type": "number", "description": "预算（元）", "minimum": 0},
            "stage": {"type": "string", "enum": ["new", "qualified", "won", "lost"], "description": "阶段"},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "标签"}},
            "required": ["company", "contact_email"]}}},
    {"name": "schedule_meeting", "description": "Schedule a meeting room booking",
     "parameters": {"type": "dict", "properties": {
         "room": {"type": "string", "enum": ["A101", "B202", "C303"]},
         "date": {"type": "string", "description": "Meeting date"},
         "duration": {"type": "integer", "description": "minutes", "minimum": 15, "maximum": 240},
         "attendees": {"type": "array", "items": {"type": "string", "format": "email"}},
         "options": {"type": "object", "properties": {"projector": {"type": "boolean"}, "catering_people": {"type": "integer"}},
                     "required": ["projector"]}},
         "required": ["room", "date", "duration"]}},
    {"type": "function", "function": {"name": "ping_service", "description": "Check that the backend is alive.",
                                      "parameters": {"type": "object", "properties": {}}}},
    {"type": "function", "function": {"name": "list_invoices", "description": "List recent invoices",
                                      "parameters": {"type": "object", "properties": {
                                          "limit": {"type": "integer"}, "status": {"type": "string", "enum": ["paid", "unpaid"]},
                                          "sku": {"type": "string", "pattern": "^[A-Z]{2}-\\d{5}$"}}}}},
]


def all_rows(result):
    return [(row, meta) for split in ("train", "valid", "test")
            for row, meta in zip(result.splits[split], result.metas[split])]


def calls_of(row):
    return [c for m in row["messages"] if m["role"] == "assistant" for c in m.get("tool_calls") or []]


@pytest.fixture(scope="module")
def data():
    return generate(900, seed=0)


@pytest.fixture(scope="module")
def tool_index():
    return {t.name: t for t in builtin_tools()}


# --------------------------------------------------------------------------- catalog


def test_catalog_size_domains_and_schema_variety():
    tools = builtin_tools()
    assert len(tools) >= 60
    domains = {t.domain for t in tools}
    assert len(domains) >= 15
    for needed in ("weather", "time", "math", "web", "files", "email", "translation", "database", "image", "system",
                   "data", "calendar", "maps", "stocks", "currency", "units", "reminders", "music", "shopping", "travel",
                   "smart_home"):
        assert needed in domains, needed
    names = [t.name for t in tools]
    assert len(names) == len(set(names))
    assert any("." in n for n in names) and any("." not in n and "_" in n for n in names)
    types, has_enum, has_optional = set(), False, False
    for t in tools:
        for p in t.params:
            types.add(p.type)
            has_enum |= "enum" in p.schema
            has_optional |= not p.required
    assert {"string", "integer", "number", "boolean", "array", "object"} <= types
    assert has_enum and has_optional
    # similar tools within a domain: distractors exist
    assert sum(1 for d in domains if sum(t.domain == d for t in tools) >= 3) >= 10


def test_every_tool_spec_is_consistent():
    problems = [p for t in builtin_tools() for p in t.problems()]
    assert problems == []
    for t in builtin_tools():
        assert t.desc and t.cap[0] and t.cap[1]
        for p in t.params:
            assert p.desc, (t.name, p.name)
        validator_ok, _ = check_row({"tools": [t.schema], "messages": [{"role": "user", "content": "x"},
                                                                       {"role": "assistant", "content": "y"}]})
        assert validator_ok is not None, t.name


def test_chain_recipes_fit_their_tools(tool_index):
    for ch in CHAINS:
        t1, t2 = tool_index[ch.first], tool_index[ch.second]
        known = set(t1.by_name) | set(t2.by_name) | set(ch.extras)
        for lang in ("zh", "en"):
            for tpl in ch.templates[lang]:
                assert set(tpl.slots) <= known, (ch.first, tpl.source)
                assert set(t1.required) <= set(tpl.required), (ch.first, tpl.source)


def test_no_tool_name_taken_from_the_evaluation_set():
    from fctune.assets import bfcl_data_dir

    files = sorted(bfcl_data_dir().glob("BFCL_v4_*.json"))  # fetched by `make setup`, here when missing
    assert files
    names: set[str] = set()
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            for fn in obj.get("function") or []:
                if isinstance(fn, dict) and "name" in fn:
                    names.add(fn["name"].lower())
    assert not [t.name for t in builtin_tools() if t.name.lower() in names]


def test_every_answer_template_renders(tool_index):
    import random

    pools = Pools(0, size=40)
    import datetime as dt

    b = Builder(builtin_tools())
    for t in builtin_tools():
        for lang in ("zh", "en"):
            answers = t.answer_zh if lang == "zh" else t.answer_en
            for i in range(len(answers)):
                c = Ctx(random.Random(i), lang, dt.date(2026, 3, 14), pools)
                req = b.render(c, t)
                result = t.result(req.args, c)
                json.dumps(result, ensure_ascii=False)
                one = copy.copy(t)
                if lang == "zh":
                    one.answer_zh = [answers[i]]
                else:
                    one.answer_en = [answers[i]]
                text = b.answer(c, one, req.args, req.surfaces, result)
                assert text and "{" not in text, (t.name, lang, i)


# --------------------------------------------------------------------------- the data set


def test_rows_are_valid_canonical_conversations(data):
    for row, _meta in all_rows(data):
        conv, problems = check_row(row)
        assert problems == [], (row["id"], problems)
        assert set(row) == {"id", "tools", "messages"}
        msgs = row["messages"]
        first = 1 if msgs[0]["role"] == "system" else 0
        assert msgs[first]["role"] == "user" and msgs[-1]["role"] == "assistant"
        assert row["tools"], row["id"]  # tools are offered in every row, no-call rows included


def test_every_value_comes_from_the_conversation(data, tool_index):
    n_calls = 0
    for row, _meta in all_rows(data):
        assert value_problems(row, tool_index) == [], row["id"]
        n_calls += len(calls_of(row))
    assert n_calls > 800


def test_checker_rejects_invented_values(data, tool_index):
    rows = [row for row, _ in all_rows(data) if calls_of(row)]
    bad = 0
    for row in rows[:60]:
        row = copy.deepcopy(row)
        args = calls_of(row)[0]["function"]["arguments"]
        if not args:
            continue
        key = next(iter(args))
        v = args[key]
        args[key] = (not v if isinstance(v, bool) else 987654.5 if isinstance(v, (int, float))
                     else ["zz-invented@nowhere.test"] if isinstance(v, list) else {"zz": "invented"} if isinstance(v, dict)
                     else "Zzyzx-invented-value")
        assert value_problems(row, tool_index), row["id"]
        bad += 1
    assert bad >= 30


def test_checker_reads_aliases_relative_dates_and_times(tool_index):
    def row(user, args, system=None, name="query_weather_forecast"):
        msgs = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": user},
            {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": name, "arguments": args}}]}]
        return {"id": "t", "tools": [], "messages": msgs}

    ok = row("北京明天的天气怎么样？用摄氏度", {"city": "北京", "date": "2026-03-15", "unit": "celsius"}, "当前日期：2026-03-14。")
    assert value_problems(ok, tool_index) == []
    assert value_problems(row("北京明天的天气怎么样？", {"city": "北京", "date": "2026-03-15"}), tool_index)  # no current date
    assert value_problems(row("北京明天的天气怎么样？", {"city": "上海", "date": "2026-03-15"}, "当前日期：2026-03-14。"), tool_index)
    assert value_problems(row("Forecast for Paris next Monday in Fahrenheit?", {"city": "Paris", "date": "2026-03-16",
                                                                                "unit": "fahrenheit"}, "Today is 2026-03-14."), tool_index) == []
    assert "15:30" in times_in("下午3点半开会") and "09:00" in times_in("9 am") and "12:00" in times_in("at noon")
    import datetime as dt

    assert "2026-03-20" in dates_in("下周五", dt.date(2026, 3, 14))
    assert "2026-03-17" in dates_in("in 3 days", dt.date(2026, 3, 14))


def test_acceptance_properties_hold_at_small_n(data):
    train = [check_row(r)[0] for r in data.splits["train"]]
    stats = summarize(train)
    assert stats["distinct_tools_called"] >= 60
    assert set(stats["languages"]) == {"zh", "en"}
    assert 0.10 <= stats["no_call_share"] <= 0.25
    assert stats["parallel_share"] >= 0.10
    assert stats["multi_step_share"] >= 0.10
    kinds = Counter(m.kind for m in data.metas["train"])
    assert set(kinds) == set(KINDS)
    assert 0.15 <= kinds["no_call"] / len(train) <= 0.20


def test_heldout_tools_only_in_test(data):
    held = set(data.heldout)
    assert len(held) == 12
    for split in ("train", "valid"):
        for row in data.splits[split]:
            offered = {t["function"]["name"] for t in row["tools"]}
            assert not offered & held, row["id"]
    absent = called_tools(data.splits["test"]) - called_tools(data.splits["train"])
    assert len(absent) >= 10
    assert absent <= held


def test_no_duplicate_rows(data):
    keys = [json.dumps({"tools": r["tools"], "messages": r["messages"]}, ensure_ascii=False) for r, _ in all_rows(data)]
    assert len(keys) == len(set(keys))
    ids = [r["id"] for r, _ in all_rows(data)]
    assert len(ids) == len(set(ids))


def test_languages_are_what_they_claim(data):
    for row, meta in all_rows(data):
        user = "".join(m["content"] for m in row["messages"] if m["role"] == "user")
        if meta.lang == "zh":
            assert _CJK.search(user), row["id"]
        else:
            assert not _CJK.search(user), row["id"]


def test_chinese_requests_are_varied(data):
    zh_users = [m["content"] for r, meta in all_rows(data) if meta.lang == "zh" for m in r["messages"] if m["role"] == "user"]
    openings = Counter(u[:2] for u in zh_users)
    assert len(openings) >= 80
    assert openings.most_common(1)[0][1] / len(zh_users) < 0.15
    for word in ("帮我", "请", "能不能", "麻烦"):
        assert sum(word in u for u in zh_users) >= 10, word


def test_no_call_rows_are_varied_and_first_class(data):
    no_call = [(r, m) for r, m in all_rows(data) if m.kind == "no_call"]
    assert {m.variant for _, m in no_call} >= {"unsupported", "near_miss", "topical", "knowledge", "chitchat", "unserved", "capability"}
    assert {m.lang for _, m in no_call} == {"zh", "en"}
    for row, _ in no_call:
        assert not calls_of(row) and row["tools"]
    answers = {r["messages"][-1]["content"] for r, _ in no_call}
    assert len(answers) >= 0.6 * len(no_call)


def test_near_miss_rows_offer_only_tools_that_cannot_serve_the_request(data):
    builder = Builder(builtin_tools())
    rows = [(r, m) for r, m in all_rows(data) if m.variant.startswith("near_miss")]
    no_call = [m for _, m in all_rows(data) if m.kind == "no_call"]
    assert len(rows) >= 0.35 * len(no_call)
    assert {m.lang for _, m in rows} == {"zh", "en"}
    assert any(m.variant.startswith("near_miss_compute") for _, m in rows)
    for row, meta in rows:
        target = builder.by_name[meta.target]
        offered = {t["function"]["name"] for t in row["tools"]}
        assert not calls_of(row), row["id"]
        assert not offered & ({target.name} | builder.overlap.get(target.name, set())), row["id"]
        assert not offered & builder.near_miss_banned(target), row["id"]
        near = {target.domain, *NEIGHBOURS.get(target.domain, ())}
        assert meta.variant.startswith("near_miss_compute") or all(
            builder.by_name[n].domain in near for n in offered), row["id"]
    one = sum(len(r["tools"]) == 1 for r, _ in rows)
    assert one >= 0.4 * len(rows)
    assert all(2 <= len(r["tools"]) <= 4 for r, _ in rows if len(r["tools"]) > 1)
    for lang in ("zh", "en"):
        answers = {r["messages"][-1]["content"] for r, m in rows if m.lang == lang}
        assert len(answers) == sum(m.lang == lang for _, m in rows)


def test_near_miss_counts_in_manifest_and_heldout_stays_out(data):
    from fctune.data.synth.engine import manifest

    man = manifest(data, {})
    for split in ("train", "valid", "test"):
        variants = man["variants"][split]
        assert man["near_miss_rows"][split]["rows"] == sum(v for k, v in variants.items() if k.startswith("near_miss"))
    assert man["near_miss_rows"]["train"]["one_tool"] >= 0.4 * man["near_miss_rows"]["train"]["rows"]
    held = set(data.heldout)
    for split in ("train", "valid"):
        for meta in data.metas[split]:
            assert meta.target not in held


# --------------------------------------------------------------------------- kinds one by one


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_its_shape(kind, tool_index):
    res = generate(120, seed=7, mix={k: float(k == kind) for k in KINDS}, heldout=0)
    rows = res.splits["train"] + res.splits["valid"] + res.splits["test"]
    assert len(rows) == 120
    for row in rows:
        assert check_row(row)[1] == []
        assert value_problems(row, tool_index) == []
        msgs = [m for m in row["messages"] if m["role"] != "system"]
        turns = [m for m in msgs if m["role"] == "assistant"]
        calls = calls_of(row)
        if kind == "single":
            assert len(row["tools"]) == 1 and len(turns[0]["tool_calls"]) == 1
        elif kind == "choose":
            assert 2 <= len(row["tools"]) <= 8 and len(turns[0]["tool_calls"]) == 1
        elif kind == "parallel":
            assert 2 <= len(turns[0]["tool_calls"]) <= 4
        elif kind == "multi_step":
            assert any(m["role"] == "tool" for m in msgs) and len(calls) >= 1
        elif kind == "no_call":
            assert calls == [] and row["tools"]
        elif kind == "ask_back":
            assert not turns[0].get("tool_calls") and turns[0]["content"]
            assert len(calls) <= 1
    if kind == "multi_step":
        variants = Counter(m.variant for ms in res.metas.values() for m in ms)
        assert variants["chain"] + variants["chain_call"] > 0 and variants["follow_up"] + variants["follow_up_call"] > 0
        dependent = 0
        for row in rows:  # a second call uses a value that only a tool result gave
            msgs = row["messages"]
            for i, m in enumerate(msgs):
                if m["role"] == "assistant" and m.get("tool_calls") and any(x["role"] == "tool" for x in msgs[:i]):
                    users = " ".join(x["content"] for x in msgs[:i] if x["role"] == "user")
                    vals = [v for c in m["tool_calls"] for v in c["function"]["arguments"].values() if isinstance(v, str)]
                    dependent += any(v not in users for v in vals)
        assert dependent > 0
    if kind == "ask_back":
        assert any(calls_of(r) for r in rows) and any(not calls_of(r) for r in rows)


def test_optional_parameters_sometimes_given(data):
    used = sum(m.optional_used for _, m in all_rows(data))
    assert 0.1 * len(all_rows(data)) < used < 0.6 * len(all_rows(data))


def _call_turns(rows):
    return [m for r in rows for m in r["messages"] if m["role"] == "assistant" and m.get("tool_calls")]


def test_preface_rate_sets_the_share_of_call_turns_with_text(data):
    rows = [r for rs in data.splits.values() for r in rs]
    share = sum(bool(m["content"]) for m in _call_turns(rows)) / len(_call_turns(rows))
    assert 0.15 < share < 0.45  # default 0.3 (follow-up calls are bare more often)
    bare = generate(300, seed=0, preface_rate=0.0)
    turns = _call_turns([r for rs in bare.splits.values() for r in rs])
    assert turns and not any(m["content"] for m in turns)


def test_long_tool_lists_add_distractors_that_cannot_serve_the_request(tool_index):
    """--long-tools: a share of the rows offers many tools; calls stay the same kind of right, a
    no-call row never gains a tool that could serve its request, and its answer does not claim to
    list what it can do."""
    from fctune.data.synth.kinds import GENERALISTS

    short = generate(300, seed=2, max_tool_chars=600)
    long = generate(300, seed=2, max_tool_chars=600, long_tools=0.3)
    builder = Builder(builtin_tools())
    rows = [(r, m) for name in ("train", "valid", "test") for r, m in zip(long.splits[name], long.metas[name])]
    padded = [(r, m) for r, m in rows if m.long_tools]
    assert 0.1 * len(rows) < len(padded) < 0.3 * len(rows)
    assert {m.kind for _, m in padded} >= {"choose", "parallel", "multi_step", "no_call"}  # single: one tool
    size = [sum(len(json.dumps(t, ensure_ascii=False)) for t in r["tools"]) for r, _ in padded]
    assert min(len(r["tools"]) for r, _ in padded) >= 3 and max(size) <= 2400 and sum(size) / len(size) > 1500
    assert all(sum(len(json.dumps(t, ensure_ascii=False)) for t in r["tools"]) <= 2000 or len(calls_of(r)) > 0
               for r, m in rows if not m.long_tools)
    for row, meta in padded:
        assert check_row(row)[1] == [], row["id"]
        offered = {t["function"]["name"] for t in row["tools"]}
        assert len(offered) == len(row["tools"]), row["id"]
        assert {c["function"]["name"] for c in calls_of(row)} <= offered
        if meta.kind == "no_call":
            assert not calls_of(row) and not offered & GENERALISTS, row["id"]
            if meta.target:
                assert not offered & builder.near_miss_banned(builder.by_name[meta.target]), row["id"]
    man = manifest(long, {})
    assert sum(man["long_tool_list_rows"].values()) == len(padded)
    assert sum(manifest(short, {})["long_tool_list_rows"].values()) == 0
    assert generate(300, seed=2, max_tool_chars=600, long_tools=0.0).splits == short.splits  # nothing drawn at 0


def _function(schema):
    return schema.get("function", schema)


def _without_descriptions(schema):
    """A tool schema with every description removed: what must not change when they are rewritten."""
    if isinstance(schema, dict):
        return {k: _without_descriptions(v) for k, v in schema.items() if k != "description"}
    if isinstance(schema, list):
        return [_without_descriptions(v) for v in schema]
    return schema


def test_every_builtin_tool_has_a_chinese_description_that_keeps_its_schema():
    for tool in builtin_tools():
        zh = _function(tool.zh_schema)
        assert _CJK.search(zh["description"]), tool.name
        assert all(_CJK.search(p["description"]) for p in zh["parameters"]["properties"].values()), tool.name
        assert _without_descriptions(tool.zh_schema) == _without_descriptions(tool.schema), tool.name
        assert not _CJK.search(_function(tool.schema)["description"]), tool.name  # the English one is untouched
    search = {t.name: t for t in builtin_tools()}["web.search"].zh_schema["function"]
    assert search["description"] == "上网搜索信息" and search["parameters"]["properties"]["query"]["description"] == "搜索关键词"


def test_zh_schemas_describes_a_share_of_the_chinese_rows_in_chinese_and_changes_nothing_else(tmp_path):
    """--zh-schemas: the same conversations; a share of the Chinese rows offers its tools described
    in Chinese (names, types, enums and calls unchanged, so every row stays valid); English rows and
    your own tools stay as they were."""
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(USER_TOOLS, ensure_ascii=False), encoding="utf-8")
    schemas = load_tool_file(path)
    plain = generate(300, seed=4, user_schemas=schemas)
    mixed = generate(300, seed=4, user_schemas=schemas, zh_schemas=0.5)
    user_names = {_function(s)["name"] for s in schemas}
    described = 0
    for name in ("train", "valid", "test"):
        for a, b, meta in zip(plain.splits[name], mixed.splits[name], mixed.metas[name]):
            assert a["messages"] == b["messages"] and a["id"] == b["id"]
            assert [_without_descriptions(t) for t in a["tools"]] == [_without_descriptions(t) for t in b["tools"]]
            assert (a["tools"] != b["tools"]) == meta.zh_schemas, b["id"]
            if not meta.zh_schemas:
                continue
            described += 1
            assert meta.lang == "zh" and check_row(b)[1] == [], b["id"]
            for old, new in zip(a["tools"], b["tools"]):
                fn = _function(new)
                if fn["name"] in user_names:
                    assert new == old, b["id"]
                else:
                    assert _CJK.search(fn["description"]), b["id"]
    zh_rows = sum(m.lang == "zh" for ms in mixed.metas.values() for m in ms)
    assert 0.35 * zh_rows < described < 0.65 * zh_rows
    assert sum(manifest(mixed, {})["chinese_schema_rows"].values()) == described
    assert sum(manifest(plain, {})["chinese_schema_rows"].values()) == 0
    assert generate(300, seed=4, user_schemas=schemas, zh_schemas=0.0).splits == plain.splits


def test_zh_schemas_out_of_range_is_an_error(tmp_path):
    proc = run_fctune("data", "synth", "--n", "20", "--zh-schemas", "1.5", "--out", str(tmp_path / "out"))
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].endswith("--zh-schemas must be between 0 and 1, got 1.5")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_rows_other_seed_other_rows():
    a = generate(150, seed=3)
    b = generate(150, seed=3)
    c = generate(150, seed=4)
    dump = lambda r: json.dumps(r.splits, ensure_ascii=False)  # noqa: E731
    assert dump(a) == dump(b)
    assert dump(a) != dump(c)


def _cli_args(**kw):
    from fctune.commands.data.synth import add_arguments

    p = argparse.ArgumentParser()
    add_arguments(p)
    argv = []
    for k, v in kw.items():
        argv += [f"--{k.replace('_', '-')}", str(v)]
    return p.parse_args(argv)


def test_cli_files_are_byte_identical_for_a_seed(tmp_path):
    from fctune.commands.data.synth import run

    assert run(_cli_args(n=200, seed=2, out=tmp_path / "a")) == 0
    assert run(_cli_args(n=200, seed=2, out=tmp_path / "b")) == 0
    assert run(_cli_args(n=200, seed=9, out=tmp_path / "c")) == 0
    for name in ("train.jsonl", "valid.jsonl", "test.jsonl", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "train.jsonl").read_bytes() != (tmp_path / "c" / "train.jsonl").read_bytes()


def test_real_cli_writes_splits_and_manifest(tmp_path):
    out = tmp_path / "d"
    proc = run_fctune("data", "synth", "--n", "400", "--seed", "1", "--lang", "zh,en", "--mix", "no_call=0.18",
                      "--heldout", "12", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["counts"]["train"] == 360 and man["counts"]["valid"] == 20
    assert len(man["heldout_tools"]) == 12 and len(man["test_tools_absent_from_train"]) >= 10
    assert set(man["kinds"]["train"]) == set(KINDS) and set(man["languages"]["train"]) == {"zh", "en"}
    assert man["args"]["seed"] == 1 and abs(man["args"]["mix"]["no_call"] - 0.18) < 1e-9
    for split in ("train", "valid", "test"):
        report = validate_file(out / f"{split}.jsonl")
        assert report.stats["errors"] == 0, [str(e) for e in report.errors[:3]]
    assert report.stats["samples"] == man["counts"]["test"]


# --------------------------------------------------------------------------- user tools


def test_user_tools_get_data(tmp_path):
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(USER_TOOLS, ensure_ascii=False), encoding="utf-8")
    schemas = load_tool_file(path)
    tools = {t.name: t for t in builtin_tools() + user_tools(schemas)}
    for t in user_tools(schemas):
        assert t.problems() == [], t.problems()
    res = generate(500, seed=5, user_schemas=schemas)
    names = {s["function"]["name"] for s in schemas}
    train_called = called_tools(res.splits["train"])
    assert names <= train_called
    langs_by_tool = {n: set() for n in names}
    for row, meta in all_rows(res):
        assert check_row(row)[1] == [], row["id"]
        assert value_problems(row, tools) == [], row["id"]
        for t in row["tools"]:
            if t["function"]["name"] in names:  # the user's schema is kept as given (normalised wrapper)
                assert t == next(s for s in schemas if s["function"]["name"] == t["function"]["name"])
        for c in calls_of(row):
            if c["function"]["name"] in names:
                langs_by_tool[c["function"]["name"]].add(meta.lang)
    assert all(v == {"zh", "en"} for v in langs_by_tool.values())
    # values follow the schema: enums, formats, ranges, patterns
    for row, _ in all_rows(res):
        for c in calls_of(row):
            a = c["function"]["arguments"]
            if c["function"]["name"] == "schedule_meeting":
                assert a["room"] in ("A101", "B202", "C303") and 15 <= a["duration"] <= 240
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", a["date"])
            if c["function"]["name"] == "list_invoices" and "sku" in a:
                assert re.fullmatch(r"[A-Z]{2}-\d{5}", a["sku"])
            if c["function"]["name"] == "crm.create_lead":
                assert "@" in a["contact_email"]


def test_user_tool_values_fit_what_each_parameter_describes():
    """The seed's own tools as a user's tools: values read from names and (Chinese) descriptions, not
    filler words: an address for a "to" described as 收件人邮箱地址, an arithmetic expression, a
    directory for a working directory, pixel sizes for width/height (the "id" inside "width" once drew
    five-digit ids), degrees, a database name, a column, a timezone, image files for an image path."""
    import datetime
    import random

    from fctune.data.seed import original_tools
    from fctune.data.synth.usertools import GENERIC_EN, GENERIC_ZH

    tools = {t.name: {p.name: p for p in t.params} for t in user_tools(original_tools())}
    pools = Pools(0)

    def values(tool: str, param: str) -> list:
        return [tools[tool][param].sampler(Ctx(random.Random(i), lang, datetime.date(2026, 5, 1), pools))[1]
                for i in range(30) for lang in ("zh", "en")]

    assert all(re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", v) for v in values("send_email", "to"))
    assert all(re.fullmatch(r"[\d\s+\-*/().a-z]+", v) and re.search(r"\d", v) for v in values("calculate", "expression"))
    dirs = values("execute_command", "working_directory")
    assert all(not re.search(r"\.\w{2,4}$", v) for v in dirs) and len(set(dirs)) > 3
    assert all(100 <= v <= 1920 for v in values("image_processing", "width") + values("image_processing", "height"))
    assert all(0 < v < 360 for v in values("image_processing", "angle"))
    assert all(re.search(r"\.(png|jpe?g|webp|gif|bmp|heic)$", v, re.I) for v in values("image_processing", "image_path"))
    assert all("/" in v for v in values("get_current_time", "timezone"))
    generic = set(GENERIC_ZH) | set(GENERIC_EN)
    for tool, param in (("database_query", "database"), ("analyze_data", "column"), ("get_current_time", "timezone")):
        assert not generic & set(values(tool, param)), (tool, param)
    # a file path stays a file when its description says 文件或目录
    assert all(re.search(r"\.\w{2,4}$", v) for v in values("file_operation", "path"))


def test_user_tool_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(FctuneError):
        load_tool_file(bad)
    bad.write_text(json.dumps([{"type": "function", "function": {"name": "x", "parameters": {"type": "string"}}}]), encoding="utf-8")
    with pytest.raises(FctuneError):
        load_tool_file(bad)
    with pytest.raises(FctuneError):
        load_tool_file(tmp_path / "missing.json")
    bad.write_text('[\n  {"type": "function",\n   "function": {"name": "x"},\n]', encoding="utf-8")
    with pytest.raises(FctuneError, match=r"bad\.json: not valid JSON \(.* at line 4, column 1\)"):
        load_tool_file(bad)
    bad.write_bytes(b'[{"type": "function", "function": {"name": "\xff"}}]')
    with pytest.raises(FctuneError, match=r"bad\.json: not UTF-8 text"):
        load_tool_file(bad)
    bad.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(FctuneError, match=r"bad\.json: JSON that nests too deeply"):
        load_tool_file(bad)


def test_from_regex_matches():
    import random

    r = random.Random(0)
    for pattern in (r"^[A-Z]{2}-\d{5}$", r"^(foo|bar)[a-z]+\.com$", r"^[^@]+@x\.org$", r"^v\d+(\.\d+){2}$"):
        for _ in range(5):
            assert re.search(pattern, from_regex(pattern, r))


# --------------------------------------------------------------------------- options


def test_mix_split_and_allocation():
    m = parse_mix("no_call=0.3")
    assert abs(m["no_call"] - 0.3) < 1e-9 and abs(sum(m.values()) - 1) < 1e-9
    m = parse_mix("single=2,choose=2")
    assert m["single"] == m["choose"] == 0.5 and m["parallel"] == 0
    with pytest.raises(FctuneError):
        parse_mix("bogus=1")
    with pytest.raises(FctuneError):
        parse_mix("single")
    assert parse_split("80,10,10") == (0.8, 0.1, 0.1)
    with pytest.raises(FctuneError):
        parse_split("1,2")
    counts = allocate(7, {"a": 0.5, "b": 0.3, "c": 0.2})
    assert sum(counts.values()) == 7


def test_single_language_and_no_heldout():
    res = generate(60, seed=1, langs=["zh"], heldout=0)
    assert res.heldout == []
    assert {m.lang for _, m in all_rows(res)} == {"zh"}
    assert sum(len(v) for v in res.splits.values()) == 60


def test_weights_give_a_tool_more_call_rows_and_leave_the_rows_that_teach_silence():
    """``--weight web.search=6``: call rows target it ~6x as often; the no-call rows phrased for it
    (near misses, unsupported requests) and every other kind keep their counts; no weights: the
    same rows as before weights existed (one rotation)."""
    kwargs = dict(langs=["en"], mix=parse_mix("no_call=0.5,ask_back=0.05"), heldout=0, split=(1, 0, 0))
    plain = generate(900, seed=3, **kwargs)
    weighted = generate(900, seed=3, weights={"web.search": 6}, **kwargs)
    assert plain.splits == generate(900, seed=3, weights={}, **kwargs).splits

    def called(res):
        return sum(any(c["function"]["name"] == "web.search" for c in calls_of(r)) for r, _ in all_rows(res))

    def silent_for(res):
        return sum(m.kind in ("no_call", "ask_back") and m.target == "web.search" for _, m in all_rows(res))

    assert called(weighted) >= 4 * max(called(plain), 1)
    assert silent_for(weighted) == silent_for(plain)
    assert Counter(m.kind for _, m in all_rows(weighted)) == Counter(m.kind for _, m in all_rows(plain))
    for row, _ in all_rows(weighted):
        assert check_row(row)[1] == []


def test_weight_errors_name_the_option_and_the_reason(tmp_path):
    from fctune.data.synth.engine import parse_weights

    assert parse_weights("web.search=4, mail.send_message=2") == {"web.search": 4, "mail.send_message": 2}
    for bad in ("web.search", "web.search=0", "web.search=1.5", "=3", "web.search=2,web.search=3"):
        with pytest.raises(FctuneError, match="--weight"):
            parse_weights(bad)
    with pytest.raises(FctuneError, match="no tool named 'nope'"):
        generate(20, seed=0, weights={"nope": 2})
    held = generate(20, seed=0).heldout[0]
    proc = run_fctune("data", "synth", "--n", "20", "--weight", f"{held}=2", "--out", str(tmp_path / "out"))
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].endswith(f"--weight: {held} is one of the tools seed 0 holds out of "
                                                         "train/valid, so it gets no training rows; use another --seed or --heldout 0")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- contrast pairs


def test_contrast_twins_differ_only_in_the_offered_tool_and_the_call():
    """--contrast: after a share of the training rows whose request goes unanswered for want of its
    tool, the same conversation with that tool offered and called; every other row, the validation
    and test splits are the same as without, and the pair shares a group."""
    plain = generate(400, seed=5)
    paired = generate(400, seed=5, contrast=0.5)
    assert paired.splits["valid"] == plain.splits["valid"] and paired.splits["test"] == plain.splits["test"]
    rows, metas = paired.splits["train"], paired.metas["train"]
    twins = [i for i, m in enumerate(metas) if m.variant == "contrast"]
    originals = [r for r in rows if not r["id"].endswith("-call")]
    assert [{k: v for k, v in r.items() if k != "group"} for r in originals] == plain.splits["train"]
    unanswered = [m for m in plain.metas["train"] if m.answer is not None]
    assert {m.variant.split("+")[0] for m in unanswered} >= {"near_miss", "unsupported"}
    assert 0.3 * len(unanswered) < len(twins) < 0.7 * len(unanswered)
    assert {m.lang for i, m in enumerate(metas) if i in twins} == {"zh", "en"}
    for i in twins:
        twin, original, meta = rows[i], rows[i - 1], metas[i - 1]
        assert twin["group"] == original["group"] and twin["id"] == original["id"] + "-call"
        assert check_row(twin)[1] == [], twin["id"]
        assert twin["messages"][:-1] == original["messages"][:-1]
        assert not calls_of(original) and calls_of(twin) == [meta.answer]
        assert twin["messages"][-1]["tool_calls"] == [meta.answer] and twin["messages"][-1]["content"] == ""
        added = [t for t in twin["tools"] if t not in original["tools"]]
        assert [t["function"]["name"] for t in added] == [meta.target] == [metas[i].target]
        assert [t for t in twin["tools"] if t not in added] == original["tools"]  # same list, same order
    assert len({rows[i]["group"] for i in twins}) == len(twins)  # one group per pair
    zh, en = (generate(200, seed=5, langs=[lang], contrast=0.5).splits["train"] for lang in ("zh", "en"))
    assert {r["id"] for r in zh} & {r["id"] for r in en}  # as the demo's two files: the same ids ...
    assert not {r.get("group") for r in zh} & {r.get("group") for r in en} - {None}  # ... and other groups
    places = Counter(next(k for k, t in enumerate(rows[i]["tools"]) if t["function"]["name"] == metas[i].target) == 0
                     for i in twins)
    assert places[True] and places[False]  # the called tool is not always first
    counted = manifest(paired, {})["contrast_pairs"]
    assert counted == {"train": len(twins), "valid": 0, "test": 0}
    assert manifest(plain, {})["contrast_pairs"]["train"] == 0 and "group" not in json.dumps(plain.splits)


def test_contrast_out_of_range_is_an_error(tmp_path):
    proc = run_fctune("data", "synth", "--n", "20", "--contrast", "-0.1", "--out", str(tmp_path / "out"))
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].endswith("--contrast must be between 0 and 1, got -0.1")
    assert not (tmp_path / "out").exists()
