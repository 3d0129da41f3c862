"""Generation of a whole data set: kind quotas, tool rotation, held-out tools, dedupe, splits, manifest."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fctune.data.synth.builtin import builtin_tools
from fctune.data.synth.catalog import Tool
from fctune.data.synth.kinds import KINDS, LONG_TOOL_CHARS, MAX_TOOL_CHARS, PREFACE_RATE, Builder, Meta
from fctune.data.synth.values import Ctx, Pools
from fctune.errors import FctuneError

DEFAULT_MIX = {"single": 0.16, "choose": 0.22, "parallel": 0.14, "multi_step": 0.23, "no_call": 0.17, "ask_back": 0.08}
# Extra test rows for held-out tools: mostly kinds where the held-out tool is called.
HELDOUT_MIX = {"single": 0.25, "choose": 0.35, "parallel": 0.12, "multi_step": 0.13, "no_call": 0.07, "ask_back": 0.08}
DEFAULT_SPLIT = (0.9, 0.05, 0.05)
USER_TOOL_WEIGHT = 3  # a user tool is the target this many times as often as a built-in one
# Kinds whose first answer calls its target; ``weights`` apply to these only, so a weighted tool gets
# more calls while the rows that teach silence for its requests (no_call, ask_back) keep their share.
CALL_KINDS = frozenset({"single", "choose", "parallel", "multi_step"})
FIRST_DAY, LAST_DAY = dt.date(2025, 1, 1), dt.date(2027, 12, 31)
MAX_ATTEMPTS = 30


def parse_mix(text: str | None) -> dict[str, float]:
    """``single=0.3,no_call=0.2``: the named kinds get those shares; the rest of the unit is spread
    over the unnamed kinds in proportion to their defaults (when the named shares sum to 1 or more,
    unnamed kinds get nothing and the named ones are normalised)."""
    if not text:
        return dict(DEFAULT_MIX)
    named: dict[str, float] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise FctuneError(f"--mix: expected kind=share, got {part!r}")
        k, v = (x.strip() for x in part.split("=", 1))
        k = k.replace("-", "_")
        if k not in KINDS:
            raise FctuneError(f"--mix: unknown kind {k!r} (kinds: {', '.join(KINDS)})")
        try:
            share = float(v)
        except ValueError:
            raise FctuneError(f"--mix: share for {k} is not a number: {v!r}") from None
        if share < 0:
            raise FctuneError(f"--mix: share for {k} is negative")
        named[k] = share
    total = sum(named.values())
    rest = [k for k in KINDS if k not in named]
    out = dict.fromkeys(KINDS, 0.0)
    if total >= 1 or not rest:
        if total <= 0:
            raise FctuneError("--mix: shares sum to 0")
        for k, v in named.items():
            out[k] = v / total
        return out
    out.update(named)
    base = sum(DEFAULT_MIX[k] for k in rest)
    for k in rest:
        out[k] = (1 - total) * DEFAULT_MIX[k] / base
    return out


def allocate(n: int, shares: dict[str, float]) -> dict[str, int]:
    """Largest-remainder rounding of ``n * share``."""
    raw = {k: n * v for k, v in shares.items()}
    counts = {k: int(math.floor(v)) for k, v in raw.items()}
    left = n - sum(counts.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - counts[k]), list(shares).index(k)))[:left]:
        counts[k] += 1
    return counts


def parse_split(text: str | None) -> tuple[float, float, float]:
    if not text:
        return DEFAULT_SPLIT
    try:
        parts = [float(x) for x in text.split(",")]
    except ValueError:
        raise FctuneError(f"--split: expected three numbers like 90,5,5, got {text!r}") from None
    if len(parts) != 3 or any(p < 0 for p in parts) or sum(parts) <= 0:
        raise FctuneError(f"--split: expected three non-negative numbers like 90,5,5, got {text!r}")
    s = sum(parts)
    return parts[0] / s, parts[1] / s, parts[2] / s


def pick_heldout(tools: list[Tool], k: int, rng: random.Random) -> list[str]:
    """``k`` tools to keep out of train/valid; every domain keeps at least one trained tool."""
    names = [t.name for t in tools]
    rng.shuffle(names)
    by_name = {t.name: t for t in tools}
    left = Counter(t.domain for t in tools)
    out: list[str] = []
    for name in names:
        if len(out) >= k:
            break
        d = by_name[name].domain
        if left[d] > 1:
            out.append(name)
            left[d] -= 1
    return sorted(out)


@dataclass
class SynthResult:
    splits: dict[str, list[dict]]
    metas: dict[str, list[Meta]]
    heldout: list[str]
    tools: list[Tool]
    manifest: dict = field(default_factory=dict)


def parse_weights(text: str | None) -> dict[str, int]:
    """``web.search=4,mail.send_message=2``: tool name -> how many times as often call rows target it."""
    out: dict[str, int] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        try:
            weight = int(value)
        except ValueError:
            weight = 0
        if not sep or not name or weight < 1:
            raise FctuneError(f"--weight: expected NAME=W with W a whole number >= 1, got {item.strip()!r}")
        if name in out:
            raise FctuneError(f"--weight: {name} is given twice")
        out[name] = weight
    return out


class _Rotation:
    """Targets in turn, each tool equally often (user tools and ``weights`` more often), reshuffled
    every round."""

    def __init__(self, tools: list[Tool], rng: random.Random, weights: dict[str, int] | None = None):
        weights = weights or {}
        self.items = [t for t in tools for _ in range(weights.get(t.name, USER_TOOL_WEIGHT if t.user else 1))]
        self.rng = rng
        self.queue: list[Tool] = []

    def next(self) -> Tool:
        if not self.queue:
            self.queue = list(self.items)
            self.rng.shuffle(self.queue)
        return self.queue.pop()


class _Targets:
    """The target of each row: one rotation for every kind, or, with weights, a weighted one for the
    call kinds beside it (without weights the draws are those of one rotation, so old seeds keep
    their rows)."""

    def __init__(self, tools: list[Tool], rng: random.Random, weights: dict[str, int] | None = None):
        self.plain = _Rotation(tools, rng)
        self.calls = _Rotation(tools, rng, weights) if weights else self.plain

    def next(self, kind: str) -> Tool:
        return (self.calls if kind in CALL_KINDS else self.plain).next()


def _lang_sequence(n: int, langs: list[str], rng: random.Random) -> list[str]:
    counts = allocate(n, {l: 1 / len(langs) for l in langs})
    seq = [l for l in langs for _ in range(counts[l])]
    rng.shuffle(seq)
    return seq


def _kind_sequence(n: int, mix: dict[str, float], rng: random.Random) -> list[str]:
    counts = allocate(n, mix)
    seq = [k for k in KINDS for _ in range(counts.get(k, 0))]
    rng.shuffle(seq)
    return seq


def _checked(row: dict, kind: str) -> None:
    """Every generated row passes ``data validate`` before it is kept: tool schemas valid, every call
    naming an offered tool with arguments its schema accepts (jsonschema), the turns in order. A row
    that does not is a generator bug, never written."""
    from fctune.data.validate import check_row

    problems = check_row(row)[1]
    if problems:
        raise FctuneError(f"synth built an invalid {kind} conversation ({problems[0]}); this is a bug in "
                          "fctune.data.synth")


def _generate_rows(builder: Builder, n: int, mix: dict[str, float], langs: list[str], targets: _Targets,
                   master: random.Random, pools: Pools, seen: set[str]) -> tuple[list[dict], list[Meta]]:
    kinds = _kind_sequence(n, mix, master)
    lang_seq = _lang_sequence(n, langs, master)
    span = (LAST_DAY - FIRST_DAY).days
    rows: list[dict] = []
    metas: list[Meta] = []
    for kind, lang in zip(kinds, lang_seq):
        row_seed = master.getrandbits(64)
        target = targets.next(kind)
        for attempt in range(MAX_ATTEMPTS):
            rng = random.Random(row_seed + attempt * 1_000_003)
            today = FIRST_DAY + dt.timedelta(days=rng.randrange(span))
            c = Ctx(rng, lang, today, pools)
            row, meta = builder.build(kind, c, target)
            key = json.dumps(row, ensure_ascii=False)
            if key not in seen:
                _checked(row, kind)
                seen.add(key)
                rows.append(row)
                metas.append(meta)
                break
            if attempt >= MAX_ATTEMPTS // 2:
                target = targets.next(kind)
        else:  # pragma: no cover - would need a tiny catalog
            raise FctuneError(f"could not produce a new {kind} conversation after {MAX_ATTEMPTS} attempts")
    return rows, metas


def generate(n: int, seed: int = 0, langs: list[str] | tuple[str, ...] = ("zh", "en"), user_schemas: list[dict] | None = None,
             mix: dict[str, float] | None = None, heldout: int = 12, split: tuple[float, float, float] = DEFAULT_SPLIT,
             optional_rate: float = 0.6, heldout_rows: int | None = None,
             max_tool_chars: int = MAX_TOOL_CHARS, preface_rate: float = PREFACE_RATE,
             long_tools: float = 0.0, long_tool_chars: int = LONG_TOOL_CHARS,
             weights: dict[str, int] | None = None, zh_schemas: float = 0.0, contrast: float = 0.0) -> SynthResult:
    """Generate ``n`` conversations split into train/valid/test, plus extra test rows for the
    held-out tools (``heldout_rows``, default ``max(4 * heldout, 5 % of n)``).

    ``long_tools``: the share of rows (calls and those no-call kinds whose answers do not list the
    offered tools) whose tool list is filled with distractors up to ``long_tool_chars``.

    ``zh_schemas``: the share of Chinese rows whose built-in tools are described in Chinese
    (:func:`fctune.data.synth.catalog.chinese_schema`); your own tools stay as you wrote them.

    ``weights``: tool name -> how many times as often the call rows (:data:`CALL_KINDS`) target it,
    for the tools a user most needs called; the rows that teach silence are not weighted.

    ``contrast``: the share of the training rows that ask for a tool which is not offered (near misses,
    unsupported requests) that get their twin (:func:`add_contrast`).

    Deterministic for a seed: every random choice comes from ``random.Random`` instances derived
    from it (Faker instances included)."""
    from fctune.data.synth.usertools import user_tools

    if n < 1:
        raise FctuneError("--n must be at least 1")
    langs = list(langs)
    if not langs or any(l not in ("zh", "en") for l in langs):
        raise FctuneError(f"--lang: languages must be zh and/or en, got {','.join(langs)}")
    mix = dict(mix or DEFAULT_MIX)
    master = random.Random(seed)
    pools = Pools(seed)
    users = user_tools(user_schemas or [])
    user_names = {t.name for t in users}
    catalog = [t for t in builtin_tools() if t.name not in user_names]
    held = pick_heldout(catalog, max(0, heldout), master)
    train_tools = [t for t in catalog if t.name not in held] + users
    all_tools = catalog + users
    _check_weights(weights or {}, {t.name for t in all_tools}, held, seed)

    builder = Builder(train_tools, optional_rate, max_tool_chars=max_tool_chars, preface_rate=preface_rate,
                      long_tools=long_tools, long_tool_chars=long_tool_chars)
    seen: set[str] = set()
    rows, metas = _generate_rows(builder, n, mix, langs, _Targets(train_tools, master, weights), master, pools, seen)

    order = list(range(len(rows)))
    master.shuffle(order)
    n_valid = int(round(n * split[1]))
    n_test = int(round(n * split[2]))
    n_train = max(0, n - n_valid - n_test)
    parts = {"train": order[:n_train], "valid": order[n_train:n_train + n_valid], "test": order[n_train + n_valid:]}
    splits = {k: [rows[i] for i in sorted(v)] for k, v in parts.items()}
    split_metas = {k: [metas[i] for i in sorted(v)] for k, v in parts.items()}

    if held:
        extra = heldout_rows if heldout_rows is not None else max(4 * len(held), int(math.ceil(0.05 * n)))
        held_tools = [t for t in catalog if t.name in held]
        hb = Builder(all_tools, optional_rate, max_tool_chars=max_tool_chars, preface_rate=preface_rate,
                      long_tools=long_tools, long_tool_chars=long_tool_chars)
        hrows, hmetas = _generate_rows(hb, extra, HELDOUT_MIX, langs, _Targets(held_tools, master), master, pools, seen)
        splits["test"] += hrows
        split_metas["test"] += hmetas

    if zh_schemas:
        describe_in_chinese(splits, split_metas, all_tools, zh_schemas, seed)
    for name, rs in splits.items():
        for i, row in enumerate(rs):
            row["id"] = f"synth-s{seed}-{name}-{i:06d}"
    if contrast:
        add_contrast(splits["train"], split_metas["train"], {t.name: t for t in all_tools}, contrast, seed)
    return SynthResult(splits, split_metas, held, all_tools)


def add_contrast(rows: list[dict], metas: list[Meta], tools: dict[str, Tool], share: float, seed: int) -> int:
    """In place: after a share of the rows whose request goes unanswered because its tool is not offered
    (``Meta.answer``), their twin: the same conversation with that tool offered too (at a random place
    in the list) and the request answered by its call, opening the turn. Returns the pairs added.

    The two rows differ only in the offered tools and the answer, so what decides between a call and a
    reply can only be the tool list, not the wording of the request. Both carry ``"group"`` (a hash of
    the original row: ids repeat across files made with the same seed, as the demo's zh and en files
    do), so training puts them in the same optimizer step (docs/data-format.md). Drawn with
    a generator of their own after the split: the other rows are the same with and without, and a pair
    never straddles train and test."""
    assert 0.0 < share <= 1.0, share
    rng = random.Random(f"{seed}-contrast")
    out_rows: list[dict] = []
    out_metas: list[Meta] = []
    pairs = 0
    for row, meta in zip(rows, metas):
        out_rows.append(row)
        out_metas.append(meta)
        if meta.answer is None or rng.random() >= share:
            continue
        call = copy.deepcopy(meta.answer)
        tool = tools[call["function"]["name"]]
        offered = list(row["tools"])
        offered.insert(rng.randrange(len(offered) + 1), tool.zh_schema if meta.zh_schemas else tool.schema)
        answer = {"role": "assistant", "content": "", "tool_calls": [call]}
        twin = {"id": f"{row['id']}-call", "tools": offered, "messages": copy.deepcopy(row["messages"][:-1]) + [answer]}
        row["group"] = twin["group"] = "contrast-" + hashlib.sha1(json.dumps(row, ensure_ascii=False).encode()).hexdigest()[:16]
        _checked(twin, "contrast")
        out_rows.append(twin)
        out_metas.append(Meta("choose", meta.lang, meta.domain, "contrast",
                              Builder._optional_used(tool, call["function"]["arguments"]), target=tool.name,
                              long_tools=meta.long_tools, zh_schemas=meta.zh_schemas))
        pairs += 1
    rows[:], metas[:] = out_rows, out_metas
    return pairs


def describe_in_chinese(splits: dict[str, list[dict]], metas: dict[str, list[Meta]], tools: list[Tool],
                        share: float, seed: int) -> None:
    """In place: a share of the Chinese rows (drawn with their own generator, so the conversations
    are the same as without) offer their built-in tools described in Chinese (``Tool.zh_schema``).

    Chinese applications describe their tools in Chinese, as the seed's eleven do; the catalog's
    descriptions are English. Names, types and calls stay, so every call stays valid; your own
    tools stay as you wrote them."""
    assert 0.0 < share <= 1.0, share
    rng = random.Random(f"{seed}-zh-schemas")
    chinese = {t.name: t.zh_schema for t in tools if not t.user}
    for name in ("train", "valid", "test"):
        for row, meta in zip(splits[name], metas[name]):
            if meta.lang == "zh" and rng.random() < share:
                described = [chinese.get(t["function"]["name"], t) for t in row["tools"]]  # shared, as Builder.row shares
                meta.zh_schemas = described != row["tools"]  # False where it offers none of the catalog's
                row["tools"] = described


def _check_weights(weights: dict[str, int], names: set[str], held: list[str], seed: int) -> None:
    for name in weights:
        if name not in names:
            raise FctuneError(f"--weight: no tool named {name!r} (built-in names look like web.search; "
                              "your own tools go by their function name)")
        if name in held:
            raise FctuneError(f"--weight: {name} is one of the tools seed {seed} holds out of train/valid, so it "
                              "gets no training rows; use another --seed or --heldout 0")


def called_tools(rows: list[dict]) -> set[str]:
    return {c["function"]["name"] for r in rows for m in r["messages"] if m["role"] == "assistant"
            for c in m.get("tool_calls") or []}


def manifest(result: SynthResult, args: dict[str, Any]) -> dict:
    counts = {k: len(v) for k, v in result.splits.items()}

    def tally(attr: str) -> dict:
        return {k: dict(sorted(Counter(getattr(m, attr) for m in ms).items())) for k, ms in result.metas.items()}

    train_called = called_tools(result.splits["train"])
    test_called = called_tools(result.splits["test"])
    return {
        "generator": "fctune data synth",
        "args": args,
        "counts": counts,
        "total": sum(counts.values()),
        "kinds": tally("kind"),
        "variants": tally("variant"),
        "languages": tally("lang"),
        "domains": tally("domain"),
        "near_miss_rows": {k: {"rows": sum(1 for m in ms if m.variant.startswith("near_miss")),
                               "one_tool": sum(1 for m, r in zip(ms, result.splits[k])
                                               if m.variant.startswith("near_miss") and len(r["tools"]) == 1)}
                           for k, ms in result.metas.items()},
        "long_tool_list_rows": {k: sum(1 for m in ms if m.long_tools) for k, ms in result.metas.items()},
        "chinese_schema_rows": {k: sum(1 for m in ms if m.zh_schemas) for k, ms in result.metas.items()},
        "contrast_pairs": {k: sum(1 for m in ms if m.variant == "contrast") for k, ms in result.metas.items()},
        "optional_args_rows": {k: sum(1 for m in ms if m.optional_used) for k, ms in result.metas.items()},
        "heldout_tools": result.heldout,
        "test_tools_absent_from_train": sorted(test_called - train_called),
        "tools_called": {k: len(called_tools(v)) for k, v in result.splits.items()},
        "catalog_tools": len([t for t in result.tools if not t.user]),
        "user_tools": [t.name for t in result.tools if t.user],
    }
