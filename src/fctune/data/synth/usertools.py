"""The user's own tools (``--tools FILE``): samplers read from each parameter's schema and name, and
generic phrasings built from the tool's description and parameter names, in both languages."""

from __future__ import annotations

import json
import re

from fctune.data.synth import values as V
from fctune.data.synth.catalog import Param, Tool
from fctune.data.synth.tools_a import TIMEZONES
from fctune.data.synth.values import Ctx

_CJK = re.compile(r"[\u3400-\u9fff]")
_UNSAFE = str.maketrans({"{": "(", "}": ")", "[": "(", "]": ")"})

GENERIC_ZH = ["测试数据", "示例项目", "默认配置", "新版本", "项目A", "内部系统", "季度计划", "客户反馈"]
GENERIC_EN = ["sample", "default", "project-a", "v2", "demo", "internal", "q3-plan", "feedback"]
COLORS = [("红色", "red"), ("蓝色", "blue"), ("绿色", "green"), ("黑色", "black"), ("白色", "white"), ("黄色", "yellow")]
STATUSES = ["active", "pending", "closed", "open", "done"]


# --------------------------------------------------------------------------- words from the schema


def _clause(text: str, max_words: int = 6) -> str:
    text = (text or "").strip().translate(_UNSAFE)
    first = re.split(r"[。；;\n]|(?<=[a-z0-9])\. ", text)[0].strip().rstrip(".。")
    return first


def _label(name: str, desc: str) -> tuple[str, str]:
    plain = name.replace("_", " ").replace("-", " ").translate(_UNSAFE).strip() or name
    zh = plain
    d = _clause(desc)
    if _CJK.search(d):
        zh = re.split(r"[，,（(：:]", d)[0].strip()[:14] or plain
        en = plain
    else:
        short = re.sub(r"^(the|a|an) ", "", re.split(r"[,(:;]", d)[0].strip(), flags=re.I)
        en = short[:1].lower() + short[1:] if short and len(short.split()) <= 5 else plain
    return zh, en


_THIRD = re.compile(r"^(\w+?)(ies|ches|shes|sses|xes|s)\b")


def _vp_en(desc: str, name: str) -> str:
    d = _clause(desc)
    if not d or _CJK.search(d):
        return f"run {name}"
    d = re.sub(r"^(this (function|tool|api|endpoint) |function to |tool to |used to |use this to |a function to |an api to )", "",
               d, flags=re.I)
    words = d.split(" ", 1)
    head = words[0]
    m = _THIRD.match(head.lower())
    if m and head.lower() not in ("is", "has", "was", "does", "status", "analysis", "this", "process", "access", "address"):
        stem, suf = m.group(1), m.group(2)
        head = stem + {"ies": "y", "ches": "ch", "shes": "sh", "sses": "ss", "xes": "x", "s": ""}[suf]
    if head[:1].isupper() and not head.isupper():
        head = head[:1].lower() + head[1:]
    vp = head + (" " + words[1] if len(words) > 1 else "")
    return vp if len(vp) <= 90 else f"run {name}"


def _vp_zh(desc: str, name: str) -> str:
    d = _clause(desc)
    if not d or not _CJK.search(d):
        return f"调用{name}"
    d = re.sub(r"^(该工具|此工具|本工具|这个工具|该函数|此函数|本接口|该接口|用于|可以|能够)+", "", d)
    d = re.split(r"[，,]", d)[0]
    return d if 0 < len(d) <= 30 else f"调用{name}"


# --------------------------------------------------------------------------- samplers from the schema


def _type_of(schema: dict) -> str:
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t is None:
        for key in ("anyOf", "oneOf"):
            for sub in schema.get(key) or []:
                if isinstance(sub, dict) and sub.get("type") not in (None, "null"):
                    return _type_of(sub)
        if "enum" in schema:
            return "string"
        if "properties" in schema:
            return "object"
        return "string"
    return {"dict": "object", "float": "number", "int": "integer", "str": "string", "bool": "boolean",
            "list": "array", "tuple": "array"}.get(t, t)


def _has(name: str, *words: str) -> bool:
    return any(w in name for w in words)


def string_sampler(name: str, schema: dict):
    n = name.lower()
    fmt = (schema.get("format") or "").lower()
    desc = (schema.get("description") or "").lower()
    if fmt == "date" or n in ("date", "day") or n.endswith(("_date", "date")) or _has(n, "birthday"):
        return V.s_date_n
    if fmt == "date-time" or n.endswith(("datetime", "_at")) or n in ("start", "end", "start_time", "end_time"):
        return V.s_datetime
    if fmt == "time" or n == "time" or n.endswith("_time"):
        return V.s_time
    if _has(n, "timezone", "time_zone") or n in ("tz", "zone") or "时区" in desc:
        return V.s_choice(TIMEZONES)
    # an address named only by its description: "to" described as 收件人邮箱地址 / recipient email address
    if fmt == "email" or _has(n, "email", "mail") or _has(desc, "邮箱", "email address", "e-mail address"):
        return V.s_email
    if fmt in ("uri", "url") or _has(n, "url", "link", "website", "homepage"):
        return V.s_url
    if _has(n, "phone", "mobile", "tel"):
        return V.s_phone
    if _has(n, "city", "town"):
        return V.s_city
    if _has(n, "address", "street"):
        return V.s_address
    if _has(n, "location", "place", "origin", "destination", "from_", "to_"):
        return V.s_place
    if _has(n, "country", "nation"):
        return V.s_pair(V.COUNTRIES)
    if _has(n, "currency"):
        return V.s_choice(V.CURRENCY_CODES)
    if _has(n, "lang"):
        if "code" in n or "code" in desc or "iso" in desc:
            return V.s_choice(V.LANGUAGE_CODES)
        return V.s_pair([(zh[0], en[0]) for zh, en in V.LANGUAGES.values()])
    if _has(n, "company", "organization", "organisation", "org", "employer"):
        return V.s_company
    if _has(n, "symbol", "ticker"):
        return V.s_choice([s for _, _, s in V.COMPANIES_LISTED])
    if _has(n, "sql"):
        return V.s_choice(V.SQL_QUERIES)
    if _has(n, "expression", "formula", "equation", "expr") or _has(desc, "表达式", "算式", "expression"):
        return V.s_choice(V.EXPRESSIONS)
    if _has(n, "command", "cmd"):
        return V.s_choice(V.COMMANDS)
    if n in ("database", "db", "db_name", "database_name") or _has(desc, "数据库名", "database name"):
        return V.s_choice(V.DB_NAMES)
    if _has(n, "column", "col_name") or "列名" in desc:
        return V.s_choice(V.CSV_COLUMNS)
    # a directory, not a file: working_directory / folder, or a path described as a 目录 only
    if (_has(n, "directory", "folder", "cwd") or n == "dir" or n.endswith("_dir")
            or (_has(desc, "目录", "directory") and not _has(desc, "文件", "file"))):
        return V.s_dir
    if _has(n, "path", "file", "dir", "folder"):
        image = _has(n, "image", "img", "photo", "picture") or _has(desc, "image", "图片", "照片", "photo", "picture")
        return V.s_path("csv" if "csv" in desc else "img" if image else "doc")
    if _has(n, "username", "login", "handle"):
        return lambda c: (lambda v: (v, v))(c.rng.choice(c.pools.usernames))
    if n.endswith("id") or n.endswith("_id") or n in ("id", "uuid", "code", "sku"):
        prefix = "".join(w[:1] for w in re.split(r"[_\-\s]", name) if w).upper()[:2] or "ID"
        return V.s_code(prefix + "-", 5)
    if _has(n, "name", "person", "customer", "user", "contact", "passenger", "guest", "recipient", "author", "owner"):
        return V.s_person
    if _has(n, "product", "item", "goods"):
        return V.s_choice(V.PRODUCTS_ZH, V.PRODUCTS_EN)
    if _has(n, "title", "subject", "topic"):
        return V.s_choice(V.SUBJECTS_ZH, V.SUBJECTS_EN)
    if _has(n, "query", "keyword", "search", "term") or n == "q":
        return V.s_choice(V.SEARCH_TOPICS_ZH, V.SEARCH_TOPICS_EN)
    if _has(n, "message", "text", "content", "body", "comment", "note", "description", "reason", "prompt"):
        return V.s_quoted(V.TEXTS_ZH, V.TEXTS_EN)
    if _has(n, "color", "colour"):
        return V.s_pair(COLORS)
    if _has(n, "status", "state"):
        return V.s_choice(STATUSES)
    if _has(n, "zip", "postal", "postcode"):
        return V.s_code("", 6)
    return V.s_choice(GENERIC_ZH, GENERIC_EN)


def _bounds(schema: dict, lo: float, hi: float) -> tuple[float, float]:
    mn = schema.get("minimum", schema.get("exclusiveMinimum"))
    mx = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(mn, (int, float)) and not isinstance(mn, bool):
        lo = mn + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
        hi = max(hi, lo + 1)
    if isinstance(mx, (int, float)) and not isinstance(mx, bool):
        hi = mx - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
        lo = min(lo, hi)
    return lo, hi


def int_sampler(name: str, schema: dict):
    n = name.lower()
    lo, hi = 1, 100
    desc = (schema.get("description") or "").lower()
    if _has(n, "width", "height") or _has(desc, "像素", "pixel"):
        lo, hi = 100, 1920  # image sizes in pixels (before the "id" in "width" and "height" matches)
    elif _has(n, "angle", "degree", "rotation"):
        lo, hi = 15, 345
    elif n == "k":  # top-k; as a substring "k" matched any name holding the letter
        lo, hi = 1, 20
    else:
        for words, rng in ((("year",), (2020, 2027)), (("age",), (18, 80)), (("page",), (1, 10)), (("day",), (1, 14)),
                           (("minute",), (5, 120)), (("hour",), (1, 12)), (("port",), (1024, 9999)),
                           (("percent", "level", "volume", "brightness"), (0, 100)),
                           (("count", "limit", "num", "size", "quantity", "top", "max"), (1, 20)), (("id",), (1000, 99999))):
            if any(w in n for w in words):
                lo, hi = rng
                break
    lo, hi = _bounds(schema, lo, hi)
    return V.s_int(int(lo), int(max(lo, hi)))


def number_sampler(name: str, schema: dict):
    n = name.lower()
    lo, hi, digits = 1.0, 1000.0, 1
    for words, rng in ((("angle", "degree", "rotation"), (15, 345, 0)),
                       (("price", "amount", "cost", "salary", "budget", "total"), (10, 5000, 2)),
                       (("temp",), (-10, 40, 1)), (("lat",), (-60, 70, 4)), (("lon", "lng"), (-170, 170, 4)),
                       (("rate", "ratio", "probability", "weight_factor"), (0.05, 0.95, 2)),
                       (("weight",), (1, 120, 1)), (("height",), (1, 250, 1)), (("percent",), (0, 100, 1))):
        if any(w in n for w in words):
            lo, hi, digits = rng
            break
    lo, hi = _bounds(schema, lo, hi)
    return V.s_float(lo, max(lo, hi), digits)


def _constrained(sampler, schema: dict):
    """Resample strings until they meet ``pattern`` / ``minLength`` / ``maxLength`` (best effort)."""
    pattern, lo, hi = schema.get("pattern"), schema.get("minLength"), schema.get("maxLength")
    if pattern is None and lo is None and hi is None:
        return sampler
    try:
        rx = re.compile(pattern) if isinstance(pattern, str) else None
    except re.error:
        rx = None

    def ok(v: str) -> bool:
        return ((rx is None or rx.search(v) is not None) and (not isinstance(lo, int) or len(v) >= lo)
                and (not isinstance(hi, int) or len(v) <= hi))

    def sample(c: Ctx):
        s, v = sampler(c)
        for _ in range(10):
            if ok(v):
                return s, v
            s, v = sampler(c)
        if isinstance(pattern, str):
            for _ in range(10):
                g = V.from_regex(pattern, c.rng)
                if g is not None and ok(g):
                    return g, g
        return s, v

    return sample


class SchemaSampler:
    """Builds samplers for a user tool; collects boolean cue phrases by parameter path."""

    def __init__(self) -> None:
        self.cues: dict[str, dict[bool, list[str]]] = {}

    def for_schema(self, path: str, name: str, schema: dict, label: tuple[str, str], depth: int = 0):
        schema = schema if isinstance(schema, dict) else {}
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            vals = [v for v in enum if v is not None] or enum

            def sample_enum(c: Ctx, vals=vals):
                v = c.rng.choice(vals)
                return (v if isinstance(v, str) else json.dumps(v)), v

            return sample_enum
        t = _type_of(schema)
        if t == "string":
            return _constrained(string_sampler(name, schema), schema)
        if t == "integer":
            return int_sampler(name, schema)
        if t == "number":
            return number_sampler(name, schema)
        if t == "boolean":
            # said as the JSON value itself next to the parameter's label ("include history: true")
            f = V.flag(["true"], ["true"], ["false"], ["false"], p_true=0.6)
            self.cues[path] = {v: [s.lower() for s in zh_ + en_] for v, (zh_, en_) in f.cues.items()}  # type: ignore[attr-defined]
            return f
        if t == "array":
            items = schema.get("items") if isinstance(schema.get("items"), dict) else {"type": "string"}
            inner = self.for_schema(path, name.rstrip("s") or name, items, label, depth + 1)
            lo = max(1, int(schema.get("minItems", 1)))
            hi = max(lo, min(3, int(schema.get("maxItems", 3))))

            def sample_array(c: Ctx, inner=inner, lo=lo, hi=hi):
                k = c.rng.randint(lo, hi)
                out, seen = [], set()
                for _ in range(k * 6):
                    s, v = inner(c)
                    key = json.dumps(v, ensure_ascii=False)
                    if key not in seen:
                        seen.add(key)
                        out.append((s, v))
                    if len(out) == k:
                        break
                return V.join_list(c, [s for s, _ in out]), [v for _, v in out]

            return sample_array
        if t == "object" and depth < 3:
            props = schema.get("properties") or {}
            req = set(schema.get("required") or [])
            subs = []
            for k, sub in props.items():
                lab = _label(k, (sub or {}).get("description", "") if isinstance(sub, dict) else "")
                subs.append((k, k in req, lab, self.for_schema(f"{path}.{k}", k, sub, lab, depth + 1)))

            def sample_object(c: Ctx, subs=subs):
                parts, value = [], {}
                for k, required, lab, fn in subs:
                    if required or c.rng.random() < 0.5:
                        s, v = fn(c)
                        value[k] = v
                        parts.append(f"{lab[0]}：{s}" if c.zh else f"{lab[1]} {s}")
                if c.zh:
                    return "（" + "，".join(parts) + "）", value
                return "(" + ", ".join(parts) + ")", value

            return sample_object
        return V.s_choice(GENERIC_ZH, GENERIC_EN)


# --------------------------------------------------------------------------- templates

KV_ZH = ["{lab}是{slot}", "{lab}：{slot}", "{lab}为{slot}", "{lab}用{slot}"]
KV_EN = ["{lab} {slot}", "{lab} set to {slot}", "{lab} = {slot}", "{lab}: {slot}"]


def _kvs(params: list[Param], lang: str, style: int) -> str:
    """``label is {slot}`` pieces: required ones plain, optional ones each in its own ``[...]``. When
    there is no required parameter the optional pieces are returned plain (the caller brackets them)."""
    forms = KV_ZH if lang == "zh" else KV_EN
    sep = "，" if lang == "zh" else ", "
    req = [p for p in params if p.required]
    opt = [p for p in params if not p.required]

    def piece(p: Param, i: int) -> str:
        lab = p.label[0] if lang == "zh" else p.label[1]
        return forms[(style + i) % len(forms)].format(lab=lab, slot="{" + p.name + "}")

    req_parts = [piece(p, i) for i, p in enumerate(req)]
    opt_parts = [piece(p, i + 1) for i, p in enumerate(opt)]
    if req_parts:
        return sep.join(req_parts) + "".join(f"[{sep}{x}]" for x in opt_parts)
    return sep.join(opt_parts)


def _templates(name: str, vp_zh: str, vp_en: str, params: list[Param]) -> tuple[list[str], list[str]]:
    name = name.translate(_UNSAFE)
    if not params:
        zh = [f"~{vp_zh}", f"请{vp_zh}。", f"我需要{vp_zh}。", f"帮我{vp_zh}吧。", f"能不能{vp_zh}？", f"~调用{name}"]
        en = [f"~{vp_en}", f"Please {vp_en}.", f"I need to {vp_en}.", f"Can you {vp_en}?", f"Could you {vp_en} for me?", f"~run {name}"]
        return zh, en
    has_req = any(p.required for p in params)
    k = [_kvs(params, "zh", s) for s in range(4)]
    e = [_kvs(params, "en", s) for s in range(4)]
    if has_req:
        zh = [f"~{vp_zh}，{k[0]}", f"~{vp_zh}：{k[1]}", f"{k[2]}，帮我{vp_zh}。", f"我想{vp_zh}，{k[3]}。", f"~调用{name}，{k[1]}",
              f"麻烦帮我{vp_zh}，{k[0]}，谢谢！"]
        en = [f"~{vp_en} with {e[0]}", f"Please {vp_en}. Use {e[1]}.", f"I need to {vp_en}: {e[2]}.", f"{e[3][:1].upper() + e[3][1:]}. Can you {vp_en}?",
              f"~use {name} with {e[1]}", f"Could you {vp_en} for me? {e[0][:1].upper() + e[0][1:]}."]
    else:
        zh = [f"~{vp_zh}[，{k[0]}]", f"请{vp_zh}[：{k[1]}]。", f"我想{vp_zh}[，{k[2]}]。", f"~调用{name}[，{k[3]}]",
              f"帮我{vp_zh}吧[，{k[1]}]。", f"能不能{vp_zh}？[{k[0]}。]"]
        en = [f"~{vp_en}[ with {e[0]}]", f"Please {vp_en}.[ Use {e[1]}.]", f"I need to {vp_en}[: {e[2]}].", f"~use {name}[ with {e[3]}]",
              f"Can you {vp_en}?[ {e[0]}.]", f"Could you {vp_en} for me?"]
    req = [p for p in params if p.required]
    if len(req) == 1 and len(params) == 1:
        p = req[0]
        zh.append(f"~{vp_zh}：{{{p.name}}}")
        en.append(f"~{vp_en} for {{{p.name}}}")
    return zh, en


def user_tool(schema: dict) -> Tool:
    fn = schema["function"]
    name = fn["name"]
    desc = fn.get("description") or ""
    params_schema = fn.get("parameters") or {}
    props = params_schema.get("properties") or {}
    required = set(params_schema.get("required") or [])
    ss = SchemaSampler()
    params: list[Param] = []
    for pname, pschema in props.items():
        pschema = pschema if isinstance(pschema, dict) else {}
        label = _label(pname, pschema.get("description", ""))
        sampler = ss.for_schema(pname, pname, pschema, label)
        p = Param(pname, _type_of(pschema), pschema.get("description", ""), sampler, pname in required, label, {})
        params.append(p)
    vp_zh, vp_en = _vp_zh(desc, name), _vp_en(desc, name)
    zh, en = _templates(name, vp_zh, vp_en, params)

    def result(args: dict, c: Ctx) -> dict:
        out = {"status": "success"}
        if args:
            out["input"] = args
        out["id"] = f"{c.rng.randint(100000, 999999)}"
        return out

    def answer_zh(args, surfaces, r, c):
        return f"已完成：{vp_zh}。返回结果：" + json.dumps(r, ensure_ascii=False)

    def answer_en(args, surfaces, r, c):
        return f"Done ({vp_en}). Result: " + json.dumps(r, ensure_ascii=False)

    tool = Tool(name, "user", desc or name, (vp_zh, vp_en), params, zh, en, result, [answer_zh], [answer_en], user=True)
    tool.schema = schema  # keep the user's schema exactly
    for path, cues in ss.cues.items():
        tool.bool_cues[path] = cues
    return tool


def user_tools(schemas: list[dict]) -> list[Tool]:
    return [user_tool(s) for s in schemas]
