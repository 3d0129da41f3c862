"""Tool specifications: parameters with samplers, phrasing templates, fake results, answers.

Template language (one string per phrasing):

* ``{param}`` is replaced by the words the user says for that parameter's value;
* ``[ ... ]`` is an optional segment, kept only when every parameter inside it was chosen
  (optional parameters are chosen at random, so the same template covers both cases);
* a leading ``~`` marks a verb phrase ("查一下{city}的天气", "check the weather in {city}") that gets
  wrapped in a politeness frame (帮我…。/ 能不能…？/ Could you …?); other templates are whole
  sentences.

Every required parameter appears outside brackets in every template (checked by
:func:`Tool.problems`), so a rendered request always names every value of its call.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from fctune.data.synth.values import Ctx, Sampler

_SLOT = re.compile(r"\{([^{}\[\]]+)\}")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


class Template:
    """A parsed phrasing: text pieces, required slots and optional segments."""

    __slots__ = ("source", "vp", "parts", "required", "optional")

    def __init__(self, source: str):
        self.source = source
        self.vp = source.startswith("~")
        text = source[1:] if self.vp else source
        if self.vp and text.startswith("帮我"):
            text = text[2:]  # the politeness frame supplies it (帮我…。/ 能不能帮我…？)
        parts: list[tuple[str, Any]] = []  # ("t", text) | ("s", name) | ("o", (pieces, names))
        pos = 0
        required: list[str] = []
        optional: list[str] = []
        for m in _SEGMENT.finditer(text):
            parts.extend(_pieces(text[pos:m.start()], required))
            names: list[str] = []
            inner = _pieces(m.group(1), names)
            optional.extend(n for n in names if n not in optional)
            parts.append(("o", (inner, names)))
            pos = m.end()
        parts.extend(_pieces(text[pos:], required))
        self.parts = parts
        self.required = required
        self.optional = optional

    def render(self, surfaces: dict[str, str]) -> str:
        out: list[str] = []

        def add(piece: str, is_slot: bool) -> None:
            # two values side by side ("2026-03-05" + "9:00") need a space to stay readable and parseable
            if is_slot and out and out[-1][-1:].isdigit() and piece[:1].isdigit():
                out.append(" ")
            out.append(piece)

        for kind, val in self.parts:
            if kind == "t":
                add(val, False)
            elif kind == "s":
                add(surfaces[val], True)
            else:
                pieces, names = val
                if all(n in surfaces for n in names):
                    for k, v in pieces:
                        add(surfaces[v] if k == "s" else v, k == "s")
        return "".join(out)

    @property
    def slots(self) -> list[str]:
        return self.required + [n for n in self.optional if n not in self.required]


def _pieces(text: str, names: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _SLOT.finditer(text):
        if m.start() > pos:
            out.append(("t", text[pos:m.start()]))
        out.append(("s", m.group(1)))
        if m.group(1) not in names:
            names.append(m.group(1))
        pos = m.end()
    if pos < len(text):
        out.append(("t", text[pos:]))
    return out


@dataclass
class Param:
    name: str
    type: str  # string | integer | number | boolean | array | object
    desc: str
    sampler: Sampler | None = None
    required: bool = True
    label: tuple[str, str] = ("", "")
    schema: dict = field(default_factory=dict)  # extra JSON Schema keywords (enum, items, format, ...)

    def json_schema(self) -> dict:
        out: dict[str, Any] = {"type": self.type, "description": self.desc}
        out.update(self.schema)
        return out


def P(name: str, type_: str, desc: str, sampler: Sampler | None = None, req: bool = True,
      label: tuple[str, str] | None = None, **schema: Any) -> Param:
    if "enum" not in schema and sampler is not None and hasattr(sampler, "values") and type_ == "string":
        schema["enum"] = list(sampler.values)  # type: ignore[attr-defined]
    return Param(name, type_, desc, sampler, req, label or (name, name.replace("_", " ")), schema)


ResultFn = Callable[[dict, Ctx], dict]
AnswerFn = Callable[[dict, dict, dict, Ctx], str]  # (args, surfaces, result, ctx) -> text


@dataclass
class Multi:
    """Parallel phrasing for several values of one parameter: ``{items}`` lists them."""

    param: str
    zh: list[str]
    en: list[str]


@dataclass
class Tool:
    name: str
    domain: str
    desc: str
    cap: tuple[str, str]  # what it does, as a verb phrase: ("查询实时天气", "check the current weather")
    params: list[Param]
    zh: list[str]
    en: list[str]
    result: ResultFn
    answer_zh: list[Any]  # templates (str.format over surfaces + result) or AnswerFn
    answer_en: list[Any]
    multi: Multi | None = None
    joint: Callable[[Ctx], dict[str, tuple[str, Any]]] | None = None  # samples several params at once
    follow: str | None = None  # parameter a follow-up "那上海呢？" may change
    overlap: tuple[str, ...] = ()  # tools that could serve the same requests (never distractors)
    user: bool = False  # a tool from --tools
    # compiled
    templates: dict[str, list[Template]] = field(default_factory=dict)
    schema: dict = field(default_factory=dict)
    zh_schema: dict = field(default_factory=dict)  # the same function described in Chinese
    by_name: dict[str, Param] = field(default_factory=dict)
    bool_cues: dict[str, dict[bool, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.templates = {"zh": [Template(t) for t in self.zh], "en": [Template(t) for t in self.en]}
        self.by_name = {p.name: p for p in self.params}
        self.schema = {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.desc,
                "parameters": {
                    "type": "object",
                    "properties": {p.name: p.json_schema() for p in self.params},
                    "required": [p.name for p in self.params if p.required],
                },
            },
        }
        self.zh_schema = self.schema if self.user else chinese_schema(self)
        for p in self.params:
            cues = getattr(p.sampler, "cues", None)
            if cues is not None:
                self.bool_cues[p.name] = {v: [s.lower() for s in zh + en] for v, (zh, en) in cues.items()}
        self.multi_templates = None
        if self.multi is not None:
            self.multi_templates = {"zh": [Template(t) for t in self.multi.zh],
                                    "en": [Template(t) for t in self.multi.en]}

    @property
    def required(self) -> list[str]:
        return [p.name for p in self.params if p.required]

    def problems(self) -> list[str]:
        """Consistency of the spec: every template names every required parameter, etc."""
        out: list[str] = []
        req = set(self.required)
        joint_names: set[str] = set()
        for lang in ("zh", "en"):
            temps = self.templates[lang]
            if len(temps) < 6:
                out.append(f"{self.name}: only {len(temps)} {lang} phrasings (want >= 6)")
            for t in temps:
                missing = req - set(t.required)
                if missing:
                    out.append(f"{self.name}: {lang} template {t.source!r} lacks required {sorted(missing)}")
                unknown = set(t.slots) - set(self.by_name)
                if unknown:
                    out.append(f"{self.name}: {lang} template {t.source!r} has unknown slots {sorted(unknown)}")
                bad_opt = set(t.optional) & req
                if bad_opt:
                    out.append(f"{self.name}: {lang} template {t.source!r} brackets required {sorted(bad_opt)}")
        for p in self.params:
            if p.sampler is None and p.name not in joint_names and (p.required or any(
                    p.name in t.slots for ts in self.templates.values() for t in ts)):
                if self.joint is None:
                    out.append(f"{self.name}: parameter {p.name!r} has no sampler")
        return out


_CJK = re.compile(r"[\u3400-\u9fff]")


def chinese_schema(tool: Tool) -> dict:
    """``tool.schema`` with its descriptions in Chinese: the function's from its Chinese capability
    (``cap``: 「上网搜索信息」), each parameter's from its Chinese label (「搜索关键词」), as the tool lists
    of Chinese applications read (the seed's eleven tools: 「在互联网上搜索信息」).

    Names, types, ``required`` and every other JSON Schema keyword (enum, bounds, format, items) stay
    as they are, so the same calls are valid against it; a description with no Chinese phrase to
    take its place stays English."""
    out = copy.deepcopy(tool.schema)
    fn = out["function"]
    if _CJK.search(tool.cap[0]):
        fn["description"] = tool.cap[0]
    props = fn["parameters"]["properties"]
    for p in tool.params:
        if _CJK.search(p.label[0]):
            props[p.name]["description"] = p.label[0]
    return out


def tool_schemas(tools: list[Tool]) -> list[dict]:
    return [t.schema for t in tools]
