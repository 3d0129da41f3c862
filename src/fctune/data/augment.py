"""Tool-list variants of training conversations: the same turns under shuffled, widened tool lists,
or with function and parameter names masked (:func:`mask_names`).

A small data set (the original 15 seed conversations) offers each request two or three tools, and a
short run memorises which tool goes with which phrasing instead of reading the list: measured on
Qwen2.5-Coder-0.5B-Instruct after the seed set, asked with all eleven seed tools offered, it called
``get_weather`` for 「帮我计算一下 25 * 4 + 10」 and for a web search. Hammer and xLAM train on shuffled tool
lists with distractors for this reason. A variant keeps every message as it is and offers the
conversation's own tools plus up to ``max_distractors`` tools of *other* conversations (never one of
the same name), in a random order; calls stay valid because the called tools are always offered.
Conversations that make no call are only reordered: their silence may rest on no offered tool fitting.
"""

from __future__ import annotations

import copy
import random
from typing import Callable, Sequence


def _name(tool: dict) -> str:
    return tool.get("function", tool).get("name", "")


def _calls(conv: dict) -> bool:
    return any(m.get("role") == "assistant" and m.get("tool_calls") for m in conv.get("messages") or [])


def tool_pool(conversations: Sequence[dict]) -> list[dict]:
    """Every distinct tool (by name, first definition wins) of ``conversations``, in order of appearance."""
    seen: dict[str, dict] = {}
    for conv in conversations:
        for tool in conv.get("tools") or []:
            seen.setdefault(_name(tool), tool)
    return list(seen.values())


def tool_variants(numbered: Sequence[tuple[int, dict]], copies: int, max_distractors: int,
                  seed: int) -> list[tuple[int, dict]]:
    """``numbered`` (``(line, conversation)``) followed by ``copies`` variants of each conversation
    that offers tools (same line numbers, so errors still point at the source row). Deterministic
    for a seed."""
    assert copies >= 0 and max_distractors >= 0
    if copies == 0:
        return list(numbered)
    rng = random.Random(seed)
    pool = tool_pool([c for _, c in numbered])
    out = list(numbered)
    for k in range(copies):
        for line, conv in numbered:
            own = conv.get("tools") or []
            if not own:
                continue
            names = {_name(t) for t in own}
            others = [t for t in pool if _name(t) not in names]
            # a turn that answers without a call may do so because no offered tool fits: a distractor
            # could be the tool that does, so such conversations are only reordered
            n_extra = rng.randint(0, max_distractors) if _calls(conv) else 0
            extra = rng.sample(others, min(len(others), n_extra))
            tools = [copy.deepcopy(t) for t in [*own, *extra]]
            rng.shuffle(tools)
            variant = {**copy.deepcopy(conv), "tools": tools}
            if "id" in conv:
                variant["id"] = f"{conv['id']}-tools{k + 1}"
            out.append((line, variant))
    return out


def without_prefaces(conv: dict) -> dict:
    """A copy of ``conv`` whose call turns open with their calls: the text an assistant turn writes
    before its calls (the seed set's 「好的，我来帮您查询……」) is dropped; replies stay as they are.

    Data that writes text before calls cannot be held back by the first-token call decision
    (:mod:`fctune.calibrate`): measured in the demo with ten prefaced copies of the seed set, the
    model learned to write a sentence and then call, and called on 5 of 7 Chinese turns that needed
    no call. Call-first copies teach the same tools and arguments without that habit."""
    out = copy.deepcopy(conv)
    for m in out.get("messages") or []:
        if m.get("role") == "assistant" and m.get("tool_calls"):
            m["content"] = ""
    return out


def without_called_tools(conv: dict, reply: Callable[[list[dict], list[dict]], str]) -> dict | None:
    """The no-call twin of a calling conversation: the same request with the tools it calls taken off
    the list, answered by ``reply(removed, kept)`` instead of the calls; ``None`` when the conversation
    calls nothing or no tool would be left.

    Copies of a few calling conversations teach their requests' calls, and measured with the seed
    set copied 16 times they cost silence where no tool fits (BFCL irrelevance 32 of 48 against 46).
    The twin meets the same request where its tool is missing, so that only the tool list tells a
    call from a reply. The conversation ends at the twin's reply: what followed the calls (results,
    an answer) presumed them."""
    messages = conv.get("messages") or []
    first = next((i for i, m in enumerate(messages) if m.get("role") == "assistant" and m.get("tool_calls")), None)
    if first is None:
        return None
    called = {(c.get("function") or c).get("name") for m in messages for c in m.get("tool_calls") or []}
    tools = conv.get("tools") or []
    removed = [t for t in tools if _name(t) in called]
    if len(removed) == len(tools):
        return None
    twin = copy.deepcopy(conv)
    twin["tools"] = [t for t in twin["tools"] if _name(t) not in called]
    twin["messages"] = [*twin["messages"][:first],
                        {"role": "assistant", "content": reply(removed, twin["tools"])}]
    if "id" in conv:
        twin["id"] = f"{conv['id']}-missing"
    return twin


def _masked_name(rng: random.Random, taken: set[str], prefix: str) -> str:
    """A fresh random identifier (``prefix`` + 6 lowercase letters and digits) not in ``taken``."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    while True:
        name = prefix + "".join(rng.choice(alphabet) for _ in range(6))
        if name not in taken:
            taken.add(name)
            return name


def mask_names(conv: dict, rng: random.Random) -> tuple[dict, dict[str, tuple[str, dict[str, str]]]]:
    """A copy of ``conv`` whose function names and top-level parameter names are random strings, and
    the mapping ``{new function name: (old name, {new parameter: old parameter})}``.

    Hammer's function masking: a model that sees ``get_weather(location)`` learns the name, not the
    description, and fails on a tool list that names things otherwise (BFCL's live categories). With
    names masked only the descriptions say what a tool does, so they are kept as they are, and what
    has no description keeps its name (a function without a description, a parameter without one):
    masking must not take away what the call depends on. Calls, their argument keys, ``required``
    and tool results' ``name`` follow the renaming, so the conversation means the same and its calls
    stay valid against their schemas. Names inside nested objects are left alone."""
    out = copy.deepcopy(conv)
    taken = {_name(t) for t in out.get("tools") or []}
    mapping: dict[str, tuple[str, dict[str, str]]] = {}
    renamed: dict[str, str] = {}
    params_of: dict[str, dict[str, str]] = {}
    for tool in out.get("tools") or []:
        fn = tool.get("function", tool)
        old = fn.get("name", "")
        if not (fn.get("description") or "").strip():
            continue
        new = _masked_name(rng, taken, "fn_")
        schema = fn.get("parameters") if isinstance(fn.get("parameters"), dict) else {}
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        keys = set(props)
        params: dict[str, str] = {}
        for key in list(props):
            if isinstance(props[key], dict) and (props[key].get("description") or "").strip():
                params[key] = _masked_name(rng, keys, "p_")
        if params:
            schema["properties"] = {params.get(k, k): v for k, v in props.items()}
            if isinstance(schema.get("required"), list):
                schema["required"] = [params.get(k, k) for k in schema["required"]]
        fn["name"] = new
        renamed[old], params_of[old] = new, params
        mapping[new] = (old, {v: k for k, v in params.items()})
    for m in out.get("messages") or []:
        for call in m.get("tool_calls") or []:
            fn = call.get("function", call)
            old = fn.get("name")
            if old in renamed:
                fn["name"] = renamed[old]
                args = fn.get("arguments")
                if isinstance(args, dict):
                    fn["arguments"] = {params_of[old].get(k, k): v for k, v in args.items()}
        if m.get("role") == "tool" and m.get("name") in renamed:
            m["name"] = renamed[m["name"]]
    return out, mapping


def masked(numbered: Sequence[tuple[int, dict]], share: float, seed: int) -> list[tuple[int, dict]]:
    """``numbered`` with ``share`` of the conversations that offer tools (drawn with ``seed``) under
    :func:`mask_names`, in place (same line numbers, same order)."""
    return _rewrite_share(numbered, share, seed, lambda conv, rng: mask_names(conv, rng)[0])


def _rewrite_share(numbered: Sequence[tuple[int, dict]], share: float, seed: int,
                   rewrite: Callable[[dict, random.Random], dict]) -> list[tuple[int, dict]]:
    """``numbered`` with each conversation that offers tools drawn with probability ``share`` (one
    ``random.Random(seed)`` for the draws and ``rewrite``) replaced by ``rewrite(conv, rng)``; same
    line numbers, same order, the others the same objects."""
    assert 0.0 <= share <= 1.0, share
    rng = random.Random(seed)
    out = []
    for line, conv in numbered:
        if conv.get("tools") and rng.random() < share:
            conv = rewrite(conv, rng)
        out.append((line, conv))
    return out


SOURCE_TYPES = {
    "java": {"string": ("String", "any"), "integer": ("integer", "long"), "number": ("double", "float"),
             "boolean": ("boolean",), "array": ("ArrayList", "Array"), "object": ("HashMap",)},
    "javascript": {"string": ("String", "any"), "integer": ("integer",), "number": ("float",),
                   "boolean": ("Boolean",), "array": ("array",), "object": ("dict",)},
}
"""JSON-schema types as the Java and JavaScript types BFCL's functions use (bfcl-eval's
``JAVA_TYPE_CONVERSION`` / ``JS_TYPE_CONVERSION``); where there are several, one is drawn."""

_SCALARS = ("string", "integer", "number", "boolean")


def _source_param(pschema: dict, lang: str, rng: random.Random) -> dict | None:
    """A parameter schema retyped for ``lang`` (before :func:`fctune.bfcl.prompt_function` turns it
    into a string), or ``None`` where the value could not be written as source text that BFCL's
    converters read back: nested arrays or objects, arrays of objects, Java maps of maps."""
    kind = pschema.get("type")
    if kind not in SOURCE_TYPES[lang]:
        return None
    out = {k: v for k, v in pschema.items() if k in ("description", "enum")}
    out["type"] = rng.choice(SOURCE_TYPES[lang][kind])
    if kind == "array":
        items = pschema.get("items") if isinstance(pschema.get("items"), dict) else {}
        if items.get("type") not in _SCALARS:
            return None
        out["items"] = {"type": SOURCE_TYPES[lang][items["type"]][0]}
    if kind == "object":
        props = pschema.get("properties") if isinstance(pschema.get("properties"), dict) else {}
        if any(not isinstance(v, dict) or v.get("type") not in _SCALARS for v in props.values()):
            return None
        if lang == "javascript" and props:
            out["properties"] = copy.deepcopy(props)
    return out


def as_source_language(conv: dict, lang: str, rng: random.Random) -> tuple[dict, dict[str, dict]] | None:
    """A copy of ``conv`` whose tools are written the way BFCL shows Java or JavaScript functions
    (``lang``), and each function's parameters in the language's types (``{name: schema}``, what
    BFCL scores against), or ``None`` where one of its parameters cannot be written so.

    BFCL's simple_java and simple_javascript items offer functions whose every parameter is a string
    holding source text (``"new ArrayList<>(Arrays.asList(1, 2))"``, ``"true"``, ``"[60, 30]"``; a
    variable's name for an ``any``), with a note naming the language: a model tuned only on JSON
    types answers them with numbers, lists and objects, which BFCL counts as type errors. Here each
    parameter gets a type of that language, :func:`fctune.bfcl.prompt_function` rewrites the tools as
    bfcl-eval does, and every call's arguments become source text (:func:`fctune.bfcl.source_text`),
    so that BFCL's own converters read back exactly the values the conversation had."""
    from fctune.bfcl import prompt_function, source_text

    out = copy.deepcopy(conv)
    typed: dict[str, dict] = {}
    for tool in out.get("tools") or []:
        fn = tool.get("function", tool)
        schema = fn.get("parameters") if isinstance(fn.get("parameters"), dict) else {}
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        retyped = {}
        for key, pschema in props.items():
            new = _source_param(pschema, lang, rng) if isinstance(pschema, dict) else None
            if new is None:
                return None
            retyped[key] = new
        typed[fn.get("name", "")] = bfcl_schema = {**schema, "type": "dict", "properties": retyped}
        shown = prompt_function({**fn, "parameters": bfcl_schema}, lang)
        shown["parameters"]["type"] = "object"
        fn.clear()
        fn.update(shown)
    for m in out.get("messages") or []:
        for call in m.get("tool_calls") or []:
            fn = call.get("function", call)
            props = typed.get(fn.get("name"), {}).get("properties", {})
            args = fn.get("arguments")
            if isinstance(args, dict):
                fn["arguments"] = {k: str(source_text(v, props.get(k, {}), lang)) for k, v in args.items()}
    return out, typed


def source_languages(numbered: Sequence[tuple[int, dict]], share: float, seed: int) -> list[tuple[int, dict]]:
    """``numbered`` with ``share`` of the conversations that offer tools (drawn with ``seed``) under
    :func:`as_source_language`, Java or JavaScript alike, in place (same line numbers, same order);
    a drawn conversation that cannot be written so stays as it is."""
    def rewrite(conv: dict, rng: random.Random) -> dict:
        return (as_source_language(conv, rng.choice(("java", "javascript")), rng) or (conv,))[0]

    return _rewrite_share(numbered, share, seed, rewrite)
