"""Conversation builders, one per kind: single, choose, parallel, multi_step, no_call, ask_back."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from fctune.data.synth import phrasings as PH
from fctune.data.synth import values as V
from fctune.data.synth.catalog import Template, Tool
from fctune.data.synth.values import Ctx

KINDS = ("single", "choose", "parallel", "multi_step", "no_call", "ask_back")

# Offered schemas are kept under this many JSON characters (called tools always stay): about 800
# Qwen3 tokens, so that with the chat template and the messages ~99 % of rows fit in 1024 tokens.
MAX_TOOL_CHARS = 2800
# Budget of a long tool list (``long_tools``): the called tools among many distractors, as apps offer
# them (the original spec's prompts come with 11 tools, ~3,900 characters). Measured on a 100-step
# Qwen2.5-0.5B demo adapter trained on lists of ~1.2 tools: P(call) for 「搜索一下人工智能的最新发展」
# was 0.66 with web_search and one other tool offered, 0.37 with all 11 (declined under its threshold).
# The same run with 15 % long lists did not help it (P 0.19; docs/data-format.md), so the demo keeps 0.
LONG_TOOL_CHARS = 2400
# Share of call turns that carry a short text before the calls ("Sure, I'll check the weather.").
# Kept low: with text first, a small model postpones the call/no-call decision past a sentence it
# writes itself and then talks itself into a call where none fits (measured on SmolLM2-135M).
PREFACE_RATE = 0.3
# Tools that set one piece of state: asking for two settings at once makes no sense.
NO_REPEAT = {"music.set_volume", "home.set_thermostat", "music.play_track", "music.play_genre"}
# Tools that could answer almost any information request: never offered in "no tool can do this" rows.
GENERALISTS = {"web.search", "web.fetch_page", "shell.exec", "calc.evaluate"}
# Domains close enough to a tool's own that their tools make believable near misses.
NEIGHBOURS = {
    "weather": ("maps", "time"), "time": ("calendar", "reminders"), "calendar": ("reminders", "time"),
    "reminders": ("calendar", "notes"), "math": ("units", "data", "health"), "units": ("math", "currency"),
    "data": ("math", "database"), "health": ("math", "units"), "currency": ("stocks", "units"), "stocks": ("currency",),
    "email": ("messaging", "contacts"), "messaging": ("email", "contacts"), "contacts": ("email", "messaging"),
    "files": ("notes", "database"), "notes": ("files", "reminders"), "database": ("data", "files"), "image": ("files",),
    "system": ("files",), "maps": ("travel", "food", "weather"), "travel": ("maps",), "food": ("maps", "shopping"),
    "shopping": ("food",), "music": ("smart_home",), "smart_home": ("music",), "translation": ("web",), "web": ("translation",),
}
# Calculator, unit and statistics tools: near misses among them look most alike.
COMPUTE = ("calc.evaluate", "math.square_root", "math.raise_power", "math.prime_factors", "math.percent_change",
           "units.convert_length", "units.convert_temperature", "units.convert_weight", "stats.describe_numbers",
           "health.bmi", "data.correlation", "dates.days_between", "dates.weekday_of")
# Requests an arithmetic evaluator cannot serve: only for these is calc.evaluate offered as a near miss.
CALC_CANNOT = {"math.prime_factors", "dates.weekday_of"}
# Requests the assistant may answer itself when no offered tool fits (checked per row by _direct).
DIRECT = {"math.square_root", "math.raise_power", "math.percent_change", "units.convert_length",
          "units.convert_temperature", "units.convert_weight", "stats.describe_numbers", "health.bmi"}


@dataclass
class Req:
    """One rendered request: the user's words for one call and the call's arguments."""

    tool: Tool
    text: str
    vp: bool
    args: dict
    surfaces: dict
    slot_first: bool = False


@dataclass
class Meta:
    kind: str
    lang: str
    domain: str
    variant: str = ""
    optional_used: bool = False
    target: str = ""  # the tool a no-call request was phrased for (near misses)
    long_tools: bool = False  # the tool list was filled with distractors (Builder.pad)
    zh_schemas: bool = False  # the built-in tools are described in Chinese (engine.describe_in_chinese)
    answer: dict | None = None  # a no-call request's own call, were its tool offered (engine.add_contrast)


# --------------------------------------------------------------------------- chains (call -> result -> call)


@dataclass
class Chain:
    first: str
    second: str
    zh: list[str]
    en: list[str]
    link: Callable[[dict, dict], dict]  # (first result, sampled values) -> second-call arguments
    extras: dict[str, Callable[[Ctx], tuple[str, Any]]] = field(default_factory=dict)
    adjust: Callable[[dict, dict, Ctx], None] | None = None  # make the first result fit the request
    templates: dict[str, list[Template]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.templates = {"zh": [Template(t) for t in self.zh], "en": [Template(t) for t in self.en]}


DEVICE_NAMES = V.DEVICES


def _min_by(items: list[dict], key: str) -> dict:
    return min(items, key=lambda x: x[key])


def _max_by(items: list[dict], key: str) -> dict:
    return max(items, key=lambda x: x[key])


def _adjust_devices(r1: dict, vals: dict, c: Ctx) -> None:
    wanted = vals["device"][1]
    for d in r1["devices"][1:]:
        if d["name"] == wanted:
            d["name"] = next(zh if c.zh else en for zh, en in V.DEVICES if (zh if c.zh else en) not in
                             {x["name"] for x in r1["devices"]})
    r1["devices"][0]["name"] = wanted
    r1["devices"][0]["state"] = "off" if vals["on"][1] else "on"
    c.rng.shuffle(r1["devices"])


def _device_link(r1: dict, vals: dict) -> dict:
    dev = next(d for d in r1["devices"] if d["name"] == vals["device"][1])
    return {"device_id": dev["device_id"]}


def _unique_ratings(key: str):
    def adjust(r1: dict, vals: dict, c: Ctx) -> None:
        items = r1[key]
        seen = set()
        for it in items:
            while it["rating"] in seen:
                it["rating"] = round(it["rating"] - 0.1, 1)
            seen.add(it["rating"])

    return adjust


CHAINS = [
    Chain("contacts.find_person", "mail.send_message",
          ["~查一下{name}的邮箱，给TA发一封邮件，主题是{subject}，内容是{body}",
           "给{name}发封邮件，主题{subject}，正文{body}。我没存TA的邮箱，你先查一下。",
           "~从通讯录找到{name}，然后发邮件告诉TA{body}，主题写{subject}"],
          ["~look up {name}'s email and send them a message with the subject {subject} saying {body}",
           "Email {name} for me. Subject: {subject}. Body: {body}. I don't have their address, so look it up first.",
           "~find {name} in my contacts and email them {body} with the subject {subject}"],
          lambda r, v: {"to": [r["email"]]}),
    Chain("contacts.find_person", "sms.send_text",
          ["~查一下{name}的手机号，发短信告诉TA{message}", "给{name}发个短信，内容是{message}。号码在通讯录里。",
           "~找到{name}的电话，然后短信通知TA：{message}"],
          ["~look up {name}'s number and text them {message}", "Text {name}: {message}. Their number is in my contacts.",
           "~find {name}'s phone number and send them an SMS saying {message}"],
          lambda r, v: {"phone": r["phone"]}),
    Chain("stocks.lookup_symbol", "stocks.quote",
          ["{company}的股价现在多少？我不知道它的股票代码。", "~先查{company}的股票代码，再看看它的最新股价", "~帮我看下{company}现在的股票行情"],
          ["What's {company}'s stock price right now? I don't know the ticker.", "~find {company}'s ticker and get me the latest quote",
           "~check how {company} stock is doing right now"],
          lambda r, v: {"symbol": r["symbol"]}),
    Chain("travel.search_flights", "travel.book_flight",
          ["~帮我查{date}{origin}到{destination}的航班，订最便宜的那班，乘客{passenger_name}",
           "{date}从{origin}飞{destination}，帮{passenger_name}订一张最便宜的机票。",
           "~搜一下{origin}飞{destination}的航班（{date}），然后给{passenger_name}订价格最低的"],
          ["~find flights from {origin} to {destination} {date} and book the cheapest one for {passenger_name}",
           "Book {passenger_name} on the cheapest flight from {origin} to {destination} {date}.",
           "~search {origin} to {destination} flights {date}, then reserve the lowest fare for {passenger_name}"],
          lambda r, v: {"flight_id": _min_by(r["flights"], "price")["flight_id"]}),
    Chain("travel.search_flights", "travel.book_flight",
          ["~帮{passenger_name}订{date}{origin}飞{destination}最早的航班", "{date}{origin}到{destination}，最早的那班飞机帮我订上，乘客{passenger_name}。"],
          ["~book {passenger_name} on the earliest flight from {origin} to {destination} {date}",
           "I need the first flight out from {origin} to {destination} {date}. Book it for {passenger_name}."],
          lambda r, v: {"flight_id": _min_by(r["flights"], "depart")["flight_id"]}),
    Chain("music.search_tracks", "music.play_track",
          ["~放一首{query}", "我想听{query}，帮我找来播放。", "~搜一下{query}然后直接播放"],
          ["~play {query}", "I want to hear {query}. Find it and play it.", "~search for {query} and start playing it"],
          lambda r, v: {"track_id": r["tracks"][0]["track_id"]}),
    Chain("shop.search_products", "shop.add_to_cart",
          ["~搜一下{keyword}，把评分最高的那款加入购物车", "帮我找个{keyword}，挑评分最高的放进购物车[，买{quantity}个]。",
           "~找找{keyword}，评分最好的加购[{quantity}件]"],
          ["~search for {keyword} and add the best-rated one to my cart",
           "Find me a {keyword} and put the highest-rated option in my cart[, quantity {quantity}].",
           "~look up {keyword}, then add the top-rated result[ ({quantity} of them)] to the cart"],
          lambda r, v: {"product_id": _max_by(r["products"], "rating")["product_id"]}, adjust=_unique_ratings("products")),
    Chain("shop.search_products", "shop.add_to_cart",
          ["~搜{keyword}，把最便宜的加到购物车", "我要买{keyword}[，预算{price_range}]，挑最便宜的加进购物车。"],
          ["~search for {keyword} and add the cheapest one to my cart", "I want a {keyword}[ {price_range}]. Add the cheapest option to my cart."],
          lambda r, v: {"product_id": _min_by(r["products"], "price")["product_id"]}),
    Chain("dining.find_restaurants", "dining.book_table",
          ["~在{city}找一家{cuisine}餐厅，评分最高的那家帮我订{date}{time}的位子，{party_size}个人",
           "{date}{time}想在{city}吃{cuisine}，{party_size}个人，挑评分最高的订个座。"],
          ["~find a {cuisine} restaurant in {city} and book the best-rated one {date} at {time} for {party_size}",
           "Dinner {date} at {time} in {city}, {party_size} people, {cuisine} food. Book the highest-rated place."],
          lambda r, v: {"restaurant_id": _max_by(r["restaurants"], "rating")["restaurant_id"]}, adjust=_unique_ratings("restaurants")),
    Chain("fs.find_files", "fs.read_file",
          ["~在{directory}里找{pattern}文件，打开第一个给我看看", "{directory}下面有个{pattern}文件，帮我找到并读一下内容。"],
          ["~find the {pattern} files in {directory} and show me the first one", "There's a {pattern} file somewhere in {directory}. Find it and read it to me."],
          lambda r, v: {"path": r["matches"][0]}),
    Chain("device.current_location", "query_weather",
          ["我这儿现在天气怎么样？", "~看看我所在的地方现在是什么天气", "我现在所在的城市天气如何？"],
          ["What's the weather like where I am?", "~check the current weather at my location", "How's the weather here right now?"],
          lambda r, v: {"city": r["city"]}),
    Chain("device.current_location", "maps.search_nearby",
          ["我附近有{keyword}吗？", "~帮我找找我附近的{keyword}", "~看看我周边[{radius_m}米内]有没有{keyword}"],
          ["Are there any {keyword} near me?", "~find {keyword} around my current location",
           "~look for {keyword} close to where I am[ within {radius_m} meters]"],
          lambda r, v: {"location": r["city"]}),
    Chain("home.list_devices", "home.switch_device",
          ["~把{room}的{device}{on}", "{room}的{device}帮我{on}一下。", "~{on}{room}里的{device}"],
          ["~{on} the {device} in the {room}", "Please {on} the {room} {device}.", "Can you {on} the {device} in my {room}?"],
          _device_link, extras={"device": V.s_pair(DEVICE_NAMES)}, adjust=_adjust_devices),
    Chain("system.top_processes", "system.kill_process",
          ["~把最占{sort_by}的那个进程结束掉", "哪个进程最吃{sort_by}？直接把它kill掉。"],
          ["~kill whatever process is using the most {sort_by}", "Find the process hogging the most {sort_by} and terminate it."],
          lambda r, v: {"pid": r["processes"][0]["pid"]}),
    Chain("mail.search_inbox", "mail.read_message",
          ["~找一下关于{query}的邮件，打开第一封给我看", "有封讲{query}的邮件，帮我找出来读一下。"],
          ["~find the email about {query} and open the first one", "There's an email about {query}. Find it and read it to me."],
          lambda r, v: {"message_id": r["messages"][0]["id"]}),
    Chain("calendar.find_free_slot", "calendar.create_event",
          ["~{date}找个{duration_minutes}分钟的空档，安排一个{title}", "{date}给我排个{title}，{duration_minutes}分钟，放在最早有空的时间。"],
          ["~find a {duration_minutes}-minute free slot {date} and schedule {title} in it",
           "Put a {duration_minutes} minute {title} on my calendar {date}, at the first free time."],
          lambda r, v: {"start": f"{r['date']}T{r['free_slots'][0]}", "duration_minutes": r["duration_minutes"]}),
    Chain("travel.search_hotels", "travel.book_hotel",
          ["~帮我在{city}找酒店，{check_in}入住{check_out}退房，订最便宜的那家，名字写{guest_name}",
           "{check_in}到{check_out}要在{city}住，帮{guest_name}订一家最便宜的酒店。"],
          ["~find a hotel in {city} from {check_in} to {check_out} and book the cheapest for {guest_name}",
           "I need the cheapest hotel in {city}, {check_in} to {check_out}. Book it under {guest_name}."],
          lambda r, v: {"hotel_id": _min_by(r["hotels"], "price_per_night")["hotel_id"]}),
]


# --------------------------------------------------------------------------- text helpers

_TAIL = re.compile(r"([。！？!?～])[。.]+$")
_EN_NO_LOWER = {"I", "I'm", "I'd", "I've", "I'll"}


def tidy(text: str) -> str:
    text = _TAIL.sub(r"\1", text)
    if text.endswith("..") and not text.endswith("..."):
        text = text[:-1]
    return text.replace("。。", "。").replace("？。", "？").replace("，，", "，").replace("：：", "：")


_PLAIN_WORD = re.compile(r"^[a-z]+\b(?![_\-./@:\\\d])")


def _cap_plain_word(text: str) -> str:
    """Capitalise an English sentence that starts with a plain lower-case word ("study brightness
    40" -> "Study ..."), never an identifier, path or address ("evt_12", "~/docs", "a@b.c")."""
    return text[:1].upper() + text[1:] if _PLAIN_WORD.match(text) else text


def cap_first(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def join_caps(c: Ctx, caps: list[str]) -> str:
    if c.zh:
        return "、".join(caps)
    if len(caps) == 1:
        return caps[0]
    return ", ".join(caps[:-1]) + " and " + caps[-1]


# --------------------------------------------------------------------------- builder


class Builder:
    """Builds conversations from a set of available tools (held-out tools are simply not given)."""

    def __init__(self, tools: list[Tool], optional_rate: float = 0.6, chains: list[Chain] | None = None,
                 max_tool_chars: int = MAX_TOOL_CHARS, preface_rate: float = PREFACE_RATE,
                 long_tools: float = 0.0, long_tool_chars: int = LONG_TOOL_CHARS):
        assert 0.0 <= long_tools <= 1.0, long_tools
        self.tools = list(tools)
        self.preface_rate = preface_rate
        self.max_tool_chars = max_tool_chars
        self.long_tools, self.long_tool_chars = long_tools, long_tool_chars
        self.padded = False  # whether the row being built got a long tool list
        self.size = {t.name: len(json.dumps(t.schema, ensure_ascii=False)) for t in self.tools}
        self.by_name = {t.name: t for t in self.tools}
        self.by_domain: dict[str, list[Tool]] = {}
        for t in self.tools:
            self.by_domain.setdefault(t.domain, []).append(t)
        self.optional_rate = optional_rate
        self.chains = [ch for ch in (CHAINS if chains is None else chains)
                       if ch.first in self.by_name and ch.second in self.by_name]
        self.with_required = [t for t in self.tools if t.required and self._askable(t)]
        self.followable = [t for t in self.tools if self._can_follow(t)]
        self.multi_capable = [t for t in self.tools if t.multi_templates]
        # "x overlaps y" is symmetric for our purposes
        self.overlap: dict[str, set[str]] = {t.name: set(t.overlap) for t in self.tools}
        for t in self.tools:
            for o in t.overlap:
                self.overlap.setdefault(o, set()).add(t.name)

    # ------------------------------------------------------------------ rendering

    def _askable(self, t: Tool) -> bool:
        return all(t.by_name[r].sampler is not None or t.joint is not None for r in t.required)

    def sample_values(self, c: Ctx, tool: Tool, names: list[str]) -> dict[str, tuple[str, Any]]:
        values: dict[str, tuple[str, Any]] = {}
        if tool.joint is not None and any(n in names for n in self._joint_names(tool)):
            for k, v in tool.joint(c).items():
                if k in names:
                    values[k] = v
        for n in names:
            if n not in values:
                values[n] = tool.by_name[n].sampler(c)
        return values

    def _joint_names(self, tool: Tool) -> list[str]:
        return [p.name for p in tool.params if p.sampler is None] or [p.name for p in tool.params]

    def choose_slots(self, c: Ctx, t: Template) -> list[str]:
        names = list(t.required)
        for kind, val in t.parts:
            if kind == "o" and c.rng.random() < self.optional_rate:
                names.extend(n for n in val[1] if n not in names)
        return names

    def render(self, c: Ctx, tool: Tool, template: Template | None = None) -> Req:
        t = template or c.rng.choice(tool.templates[c.lang])
        names = self.choose_slots(c, t)
        values = self.sample_values(c, tool, names)
        surfaces = {n: values[n][0] for n in names}
        args = {p.name: values[p.name][1] for p in tool.params if p.name in values}
        src = t.source[1:] if t.vp else t.source
        return Req(tool, t.render(surfaces), t.vp, args, surfaces, slot_first=src.startswith("{"))

    def wrap(self, c: Ctx, req: Req, domain: str | None = None, context_p: float = 0.15, prefix: bool = True) -> str:
        r, lang = c.rng, c.lang
        if req.vp:
            frames = PH.VP_WRAP_NO_HELP["zh"] if (c.zh and req.text.startswith("帮")) else PH.VP_WRAP[lang]
            w = r.choice(frames)
            text = w.replace("{C}", cap_first(req.text)) if "{C}" in w else w.replace("{}", req.text)
            pre = ""
        else:
            text = req.text
            bank = PH.Q_PREFIX if text.endswith(("?", "？")) else PH.STATEMENT_PREFIX
            pre = r.choice(bank[lang]) if prefix else ""
            text = pre + text
        if not c.zh:
            text = _cap_plain_word(text)
        if context_p and not pre and r.random() < context_p:
            zh, en = PH.CONTEXT.get(domain or req.tool.domain, PH.CONTEXT["user"])
            ctx = r.choice(zh if c.zh else en)
            if not c.zh and text[:1].islower():
                text = cap_first(text)
            text = ctx + text
        return tidy(text)

    def join(self, c: Ctx, reqs: list[Req]) -> str:
        r, lang = c.rng, c.lang
        n = len(reqs)
        if all(q.vp for q in reqs) and r.random() < 0.6:
            options = [(f, k) for f, k in PH.JOIN_VP[lang] if k in (0, n)]
            f, _k = r.choice(options)
            vps = [q.text for q in reqs]
            sep = "；" if c.zh else "; "
            listing = "\n" + "\n".join(f"{i + 1}. {v}" for i, v in enumerate(vps))
            out = f.replace("{list}", listing).replace("{semi}", sep.join(vps)).replace("{C0}", cap_first(vps[0]))
            for i, v in enumerate(vps):
                out = out.replace("{%d}" % i, v)
            return tidy(out)
        parts = [self.wrap(c, reqs[0], context_p=0.1)]
        for q in reqs[1:]:
            s = self.wrap(c, q, context_p=0, prefix=False)
            conn = r.choice(PH.JOIN_SENT[lang])
            if not c.zh:
                first = s.split(" ", 1)[0]
                if conn and (q.slot_first and not q.vp or first in _EN_NO_LOWER):
                    conn = "Also: "
                elif conn:
                    s = s[:1].lower() + s[1:]
            parts.append(conn + s)
        return ("" if c.zh else " ").join(parts)

    # ------------------------------------------------------------------ messages

    def preface(self, c: Ctx, tools: list[Tool]) -> str:
        if c.rng.random() >= self.preface_rate:
            return ""
        if len(tools) > 1:
            return c.rng.choice(PH.PREFACE_MANY[c.lang]).replace("{n}", str(len(tools)))
        return c.rng.choice(PH.PREFACE[c.lang]).replace("{cap}", self.cap(c, tools[0]))

    def cap(self, c: Ctx, tool: Tool) -> str:
        return tool.cap[0] if c.zh else tool.cap[1]

    @staticmethod
    def call(name: str, args: dict) -> dict:
        return {"type": "function", "function": {"name": name, "arguments": args}}

    def call_msg(self, c: Ctx, calls: list[tuple[Tool, dict]], content: str | None = None) -> dict:
        if content is None:
            content = self.preface(c, [t for t, _ in calls])
        return {"role": "assistant", "content": content, "tool_calls": [self.call(t.name, a) for t, a in calls]}

    @staticmethod
    def tool_msg(tool: Tool, result: dict) -> dict:
        return {"role": "tool", "name": tool.name, "content": json.dumps(result, ensure_ascii=False)}

    def answer(self, c: Ctx, tool: Tool, args: dict, surfaces: dict, result: dict) -> str:
        a = c.rng.choice(tool.answer_zh if c.zh else tool.answer_en)
        if callable(a):
            return a(args, surfaces, result, c)
        ctx: dict[str, Any] = {}
        for k, v in result.items():
            ctx[k] = json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
        ctx.update(surfaces)  # the user's own words for values they gave (明天 rather than an ISO date)
        ctx["deg"] = "°F" if result.get("unit") == "fahrenheit" else "°C"
        return a.format(**ctx)

    def system(self, c: Ctx, force_date: bool = False) -> dict | None:
        r = c.rng
        need = c.needs_date or force_date
        if not need and r.random() < 0.4:
            return None
        date = need or r.random() < 0.15
        prompt = r.choice(PH.SYSTEM[c.lang])
        if date:
            line = V.system_date_line(c)
            if r.random() < 0.3:
                text = line
            else:
                text = prompt + ("" if c.zh else " ") + line
        else:
            text = prompt
        return {"role": "system", "content": text}

    def offered(self, c: Ctx, called: list[Tool], n_extra: int, near: bool = True,
                exclude: set[str] | None = None) -> list[Tool]:
        """The called tools plus up to ``n_extra`` distractors that cannot serve the same request."""
        r = c.rng
        banned = set(exclude or ())
        for t in called:
            banned.add(t.name)
            banned |= self.overlap.get(t.name, set())
        chosen = list(called)
        if n_extra > 0:
            domains = list(dict.fromkeys(t.domain for t in called))  # ordered: no hash-seed dependence
            siblings = [t for d in domains for t in self.by_domain.get(d, []) if t.name not in banned]
            r.shuffle(siblings)
            take = siblings[:n_extra] if near else []
            pool = [t for t in self.tools if t.name not in banned and t not in take]
            rest = r.sample(pool, min(len(pool), n_extra - len(take)))
            chosen = self.fit(chosen, take + rest)
        if self.long_list(c):
            chosen = self.pad(c, chosen, banned)
        r.shuffle(chosen)
        return chosen

    def long_list(self, c: Ctx) -> bool:
        """Whether this row offers a long tool list (a share ``long_tools`` of the rows that can take
        one). Nothing is drawn when the share is 0, so data made without long lists stays the same."""
        return self.long_tools > 0 and c.rng.random() < self.long_tools

    def pad(self, c: Ctx, offered: list[Tool], banned: set[str]) -> list[Tool]:
        """``offered`` plus distractors outside ``banned`` (tools that could serve the request), those
        of the offered tools' domains first, up to ``long_tool_chars``; in random order."""
        domains = {t.domain for t in offered}
        pool = [t for t in self.tools if t.name not in banned and t not in offered]
        c.rng.shuffle(pool)
        pool.sort(key=lambda t: t.domain not in domains)  # stable: shuffled within each group
        out = self.fit(offered, pool, self.long_tool_chars)
        c.rng.shuffle(out)
        self.padded = True
        return out

    def refusal_offer(self, c: Ctx, offered: list[Tool], banned: set[str]) -> tuple[list[Tool], list[str]]:
        """The tools a refusal row offers and the refusals that fit them: on a long list (:meth:`long_list`,
        padded outside ``banned``) too many tools to list, so only refusals that name one of them."""
        if not self.long_list(c):
            return offered, PH.REFUSE[c.lang]
        return self.pad(c, offered, banned), [a for a in PH.REFUSE[c.lang] if "{caps}" not in a]

    def fit(self, must: list[Tool], extra: list[Tool], budget: int | None = None) -> list[Tool]:
        """``must`` plus those of ``extra`` (in order) that keep the schemas within the budget
        (default ``max_tool_chars``)."""
        budget = self.max_tool_chars if budget is None else budget
        out = list(must)
        used = sum(self.size.get(t.name, 0) for t in out)
        for t in extra:
            size = self.size.get(t.name, 0)
            if t not in out and used + size <= budget:
                out.append(t)
                used += size
        return out

    def row(self, c: Ctx, tools: list[Tool], messages: list[dict], force_date: bool = False) -> dict:
        sys_msg = self.system(c, force_date)
        msgs = ([sys_msg] if sys_msg else []) + messages
        return {"id": "", "tools": [t.schema for t in tools], "messages": msgs}

    def other_tool(self, c: Ctx, avoid: set[str], avoid_domain: str | None = None) -> Tool:
        pool = [t for t in self.tools if t.name not in avoid and t.domain != avoid_domain and t.name not in GENERALISTS]
        return c.rng.choice(pool or self.tools)

    # ------------------------------------------------------------------ kinds

    def build(self, kind: str, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        self.padded = False
        row, meta = getattr(self, "k_" + kind)(c, target)
        meta.long_tools = self.padded
        return row, meta

    def _finish_single(self, c: Ctx, req: Req, offered: list[Tool], kind: str) -> tuple[dict, Meta]:
        msgs = [{"role": "user", "content": self.wrap(c, req)}, self.call_msg(c, [(req.tool, req.args)])]
        variant = "call"
        if c.rng.random() < 0.15:
            result = req.tool.result(req.args, c)
            msgs += [self.tool_msg(req.tool, result), {"role": "assistant", "content": self.answer(c, req.tool, req.args, req.surfaces, result)}]
            variant = "call_answer"
        meta = Meta(kind, c.lang, req.tool.domain, variant, self._optional_used(req.tool, req.args))
        return self.row(c, offered, msgs), meta

    @staticmethod
    def _optional_used(tool: Tool, args: dict) -> bool:
        return any(not tool.by_name[k].required for k in args if k in tool.by_name)

    def k_single(self, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        req = self.render(c, target)
        return self._finish_single(c, req, [target], "single")

    def k_choose(self, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        req = self.render(c, target)
        offered = self.offered(c, [target], c.rng.randint(1, 7))
        if len(offered) < 2:
            offered = self.offered(c, [target], 3, near=False)
        return self._finish_single(c, req, offered, "choose")

    def k_parallel(self, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        r = c.rng
        x = r.random()
        if x < 0.3 and (target.multi_templates or self.multi_capable):
            calls, text, variant = self._parallel_multi(c, target if target.multi_templates else r.choice(self.multi_capable))
        elif x < 0.6 and target.required and target.name not in NO_REPEAT:
            reqs = self._distinct_reqs(c, [target, target])
            r.shuffle(reqs)
            calls, text, variant = [(q.tool, q.args, q.surfaces) for q in reqs], self.join(c, reqs), "same_tool"
        else:
            tools = [target]
            for _ in range(r.choice([1, 1, 1, 2, 2, 3])):
                tools.append(self.other_tool(c, {t.name for t in tools} | self.overlap.get(target.name, set()), target.domain))
            reqs = self._distinct_reqs(c, tools)
            r.shuffle(reqs)
            calls, text, variant = [(q.tool, q.args, q.surfaces) for q in reqs], self.join(c, reqs), "mixed_tools"
        called = list({t.name: t for t, _, _ in calls}.values())
        offered = self.offered(c, called, r.choice([0, 0, 1, 2, 3]))
        msgs = [{"role": "user", "content": text}, self.call_msg(c, [(t, a) for t, a, _ in calls])]
        if r.random() < 0.3:
            answers = []
            for t, a, s in calls:
                res = t.result(a, c)
                msgs.append(self.tool_msg(t, res))
                answers.append(self.answer(c, t, a, s, res))
            msgs.append({"role": "assistant", "content": ("" if c.zh else " ").join(answers) if not c.zh
                         else "".join(x if x.endswith(("。", "！", "？")) else x + "。" for x in answers)})
            variant += "+answer"
        opt = any(self._optional_used(t, a) for t, a, _ in calls)
        return self.row(c, offered, msgs), Meta("parallel", c.lang, calls[0][0].domain, variant, opt)

    def _distinct_reqs(self, c: Ctx, tools: list[Tool]) -> list[Req]:
        out: list[Req] = []
        seen: set[str] = set()
        for t in tools:
            for _ in range(12):
                q = self.render(c, t)
                key = t.name + json.dumps(q.args, sort_keys=True, ensure_ascii=False)
                if key not in seen:
                    break
            seen.add(key)
            out.append(q)
        return out

    def _parallel_multi(self, c: Ctx, tool: Tool):
        r = c.rng
        t = r.choice(tool.multi_templates[c.lang])
        pname = tool.multi.param
        names = [n for n in self.choose_slots(c, t) if n != "items"]
        shared = self.sample_values(c, tool, [n for n in names if n != pname])
        k = r.choice([2, 2, 3])
        items: list[tuple[str, Any]] = []
        for _ in range(k * 8):
            s, v = tool.by_name[pname].sampler(c)
            if all(v != iv for _, iv in items):
                items.append((s, v))
            if len(items) == k:
                break
        surfaces = {n: shared[n][0] for n in shared}
        surfaces["items"] = V.join_list(c, [s for s, _ in items])
        text = t.render(surfaces)
        req = Req(tool, text, t.vp, {}, surfaces)
        calls = []
        for s, v in items:
            args = {p.name: (v if p.name == pname else shared[p.name][1]) for p in tool.params
                    if p.name == pname or p.name in shared}
            surf = {n: shared[n][0] for n in shared}
            surf[pname] = s
            calls.append((tool, args, surf))
        return calls, self.wrap(c, req), "multi_value"

    # ---------------------------------------------------------------- multi-step

    def k_multi_step(self, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        x = c.rng.random()
        if x < 0.38 and self.chains:
            chains = [ch for ch in self.chains if target.name in (ch.first, ch.second)]
            return self._chain(c, c.rng.choice(chains or self.chains))
        if x < 0.62:
            if self._can_follow(target):
                return self._follow(c, target)
            if self.followable:
                return self._follow(c, c.rng.choice(self.followable))
        return self._call_answer(c, target, thanks=x >= 0.88, error=0.84 <= x < 0.88)

    @staticmethod
    def _can_follow(t: Tool) -> bool:
        return bool(t.follow and t.by_name[t.follow].sampler is not None)

    def _call_answer(self, c: Ctx, target: Tool, thanks: bool = False, error: bool = False) -> tuple[dict, Meta]:
        req = self.render(c, target)
        offered = self.offered(c, [target], c.rng.choice([0, 1, 2, 3]))
        msgs = [{"role": "user", "content": self.wrap(c, req)}, self.call_msg(c, [(target, req.args)])]
        if error:
            code, msg = c.rng.choice(PH.ERRORS[c.lang])
            result = {"error": code, "message": msg}
            msgs += [self.tool_msg(target, result),
                     {"role": "assistant", "content": c.rng.choice(PH.ERROR_ANSWER[c.lang]).format(cap=self.cap(c, target), msg=msg)}]
            variant = "error"
        else:
            result = target.result(req.args, c)
            msgs += [self.tool_msg(target, result), {"role": "assistant", "content": self.answer(c, target, req.args, req.surfaces, result)}]
            variant = "call_answer"
            if thanks:
                msgs += [{"role": "user", "content": c.rng.choice(PH.THANKS_USER[c.lang])},
                         {"role": "assistant", "content": c.rng.choice(PH.THANKS_REPLY[c.lang])}]
                variant = "thanks"
        return self.row(c, offered, msgs), Meta("multi_step", c.lang, target.domain, variant, self._optional_used(target, req.args))

    def _follow(self, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        req = self.render(c, target)
        pname = target.follow
        if pname not in req.args:
            return self._call_answer(c, target)
        old = req.args[pname]
        avoid = {json.dumps(old, ensure_ascii=False)}
        for other in req.args.values():
            avoid.add(json.dumps(other, ensure_ascii=False))
        s, v = target.by_name[pname].sampler(c)
        for _ in range(20):
            if json.dumps(v, ensure_ascii=False) not in avoid:
                break
            s, v = target.by_name[pname].sampler(c)
        else:
            return self._call_answer(c, target)
        if not c.zh and s.startswith("on "):
            s = s[3:]
        args2 = dict(req.args)
        args2[pname] = v
        surf2 = dict(req.surfaces)
        surf2[pname] = s
        r1 = target.result(req.args, c)
        msgs = [{"role": "user", "content": self.wrap(c, req)}, self.call_msg(c, [(target, req.args)]),
                self.tool_msg(target, r1), {"role": "assistant", "content": self.answer(c, target, req.args, req.surfaces, r1)},
                {"role": "user", "content": c.rng.choice(PH.FOLLOW[c.lang]).replace("{v}", s)},
                self.call_msg(c, [(target, args2)], content="" if c.rng.random() < 0.6 else None)]
        variant = "follow_up_call"
        if c.rng.random() < 0.7:
            r2 = target.result(args2, c)
            msgs += [self.tool_msg(target, r2), {"role": "assistant", "content": self.answer(c, target, args2, surf2, r2)}]
            variant = "follow_up"
        offered = self.offered(c, [target], c.rng.choice([0, 1, 2]))
        return self.row(c, offered, msgs), Meta("multi_step", c.lang, target.domain, variant, self._optional_used(target, req.args))

    def _chain(self, c: Ctx, ch: Chain) -> tuple[dict, Meta]:
        t1, t2 = self.by_name[ch.first], self.by_name[ch.second]
        tpl = c.rng.choice(ch.templates[c.lang])
        names = self.choose_slots(c, tpl)
        vals: dict[str, tuple[str, Any]] = {}
        n1 = [n for n in names if n in t1.by_name]
        vals.update(self.sample_values(c, t1, n1))
        n2 = [n for n in names if n in t2.by_name and n not in vals]
        if n2:
            vals.update(self.sample_values(c, t2, n2))
        for n in names:
            if n not in vals:
                vals[n] = ch.extras[n](c)
        surfaces = {n: vals[n][0] for n in names}
        text = tpl.render(surfaces)
        args1 = {p.name: vals[p.name][1] for p in t1.params if p.name in vals}
        r1 = t1.result(args1, c)
        if ch.adjust:
            ch.adjust(r1, vals, c)
        linked = ch.link(r1, vals)
        args2 = {}
        for p in t2.params:
            if p.name in linked:
                args2[p.name] = linked[p.name]
            elif p.name in vals:
                args2[p.name] = vals[p.name][1]
        surf2 = {n: s for n, (s, _) in vals.items() if n in t2.by_name}
        for k, v in linked.items():
            surf2.setdefault(k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
        src = tpl.source[1:] if tpl.vp else tpl.source
        req = Req(t1, text, tpl.vp, args1, surfaces, slot_first=src.startswith("{"))
        msgs = [{"role": "user", "content": self.wrap(c, req, domain=t2.domain)}, self.call_msg(c, [(t1, args1)]),
                self.tool_msg(t1, r1)]
        mid = "" if c.rng.random() >= self.preface_rate else c.rng.choice(PH.MID[c.lang]).replace("{cap}", self.cap(c, t2))
        msgs.append(self.call_msg(c, [(t2, args2)], content=mid))
        variant = "chain_call"
        if c.rng.random() < 0.85:
            r2 = t2.result(args2, c)
            msgs += [self.tool_msg(t2, r2), {"role": "assistant", "content": self.answer(c, t2, args2, surf2, r2)}]
            variant = "chain"
        offered = self.offered(c, [t1, t2], c.rng.choice([0, 1, 2]))
        opt = self._optional_used(t1, args1) or self._optional_used(t2, args2)
        return self.row(c, offered, msgs), Meta("multi_step", c.lang, t1.domain, variant, opt)

    # ---------------------------------------------------------------- no call

    def k_no_call(self, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        x = c.rng.random()
        if x < 0.50:
            return self._near_miss(c, target)
        if x < 0.62:
            return self._unsupported(c, target)
        if x < 0.74:
            return self._topical(c, target)
        if x < 0.82:
            return self._bank(c, "knowledge")
        if x < 0.90:
            return self._bank(c, "chitchat")
        if x < 0.96:
            return self._unserved(c)
        return self._capability(c)

    def _random_offer(self, c: Ctx, k: int, exclude: set[str] = frozenset()) -> list[Tool]:
        pool = [t for t in self.tools if t.name not in exclude]
        picked = c.rng.sample(pool, min(k, len(pool)))
        return self.fit(picked[:1], picked[1:])

    def _prelude(self, c: Ctx) -> list[dict]:
        """Sometimes a greeting exchange before the real question."""
        if c.rng.random() < 0.15:
            q, answers = c.rng.choice(PH.CHITCHAT[c.lang][:8])
            return [{"role": "user", "content": q}, {"role": "assistant", "content": c.rng.choice(answers)}]
        return []

    def _bank(self, c: Ctx, which: str) -> tuple[dict, Meta]:
        if which == "chitchat":
            q, answers = c.rng.choice(PH.CHITCHAT[c.lang])
            a = c.rng.choice(answers)
            msgs = [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        else:
            q, a = c.rng.choice(PH.KNOWLEDGE[c.lang])
            msgs = self._prelude(c) + [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        offered = self._random_offer(c, c.rng.randint(1, 5))
        if self.long_list(c):
            offered = self.pad(c, offered, GENERALISTS)
        return self.row(c, offered, msgs), Meta("no_call", c.lang, "none", which)

    def _topical(self, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        domain = target.domain if target.domain in PH.TOPICAL and target.domain in self.by_domain else None
        if domain is None:
            domains = [d for d in PH.TOPICAL if d in self.by_domain]
            if not domains:
                return self._bank(c, "knowledge")
            domain = c.rng.choice(domains)
        q, a = c.rng.choice(PH.TOPICAL[domain][c.lang])
        own = self.by_domain[domain]
        offered = c.rng.sample(own, c.rng.randint(1, len(own)))
        others = [t for t in self.tools if t not in offered]
        offered = self.fit(offered[:1], offered[1:] + c.rng.sample(others, min(len(others), c.rng.choice([0, 1, 2, 3]))))
        if self.long_list(c):
            offered = self.pad(c, offered, GENERALISTS)
        c.rng.shuffle(offered)
        msgs = self._prelude(c) + [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        return self.row(c, offered, msgs), Meta("no_call", c.lang, domain, "topical")

    def _caps(self, c: Ctx, tools: list[Tool], k: int = 3) -> str:
        caps = []
        for t in tools:
            cp = self.cap(c, t)
            if cp not in caps:
                caps.append(cp)
        return join_caps(c, caps[:k])

    def _unsupported(self, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        """A real request for ``target`` while only tools of other domains are offered."""
        req = self.render(c, target)
        banned = self.near_miss_banned(target)
        others = [t for t in self.tools if t.name not in banned and t.domain != target.domain]
        offered = c.rng.sample(others, min(len(others), c.rng.randint(1, 4)))
        if not offered:
            return self._bank(c, "knowledge")
        offered = self.fit(offered[:1], offered[1:])
        offered, refusals = self.refusal_offer(c, offered, banned | {t.name for t in self.by_domain.get(target.domain, [])})
        c.rng.shuffle(offered)
        answer = c.rng.choice(refusals).format(req=self.cap(c, target), caps=self._caps(c, offered),
                                               cap1=self.cap(c, offered[0]))
        msgs = [{"role": "user", "content": self.wrap(c, req)}, {"role": "assistant", "content": answer}]
        return self.row(c, offered, msgs), Meta("no_call", c.lang, target.domain, "unsupported", target=target.name,
                                                answer=self.call(target.name, req.args))

    def near_miss_banned(self, target: Tool) -> set[str]:
        """Tools never offered when a request for ``target`` must go unanswered: ``target``, the tools
        that could serve the same request (and theirs, generalists aside), and the generalists."""
        banned = {target.name} | self.overlap.get(target.name, set())
        for o in list(banned - GENERALISTS):
            banned |= self.overlap.get(o, set())
        banned |= GENERALISTS
        if target.name in CALC_CANNOT:
            banned.discard("calc.evaluate")
        return banned

    def _near_miss(self, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        """A concrete request for ``target`` while only same-domain (or neighbouring, or for a
        calculation, other calculator) tools that cannot serve it are offered: a reply without a call."""
        r = c.rng
        compute = [self.by_name[n] for n in COMPUTE if n in self.by_name]
        if target.user or target.domain not in NEIGHBOURS:
            return self._unsupported(c, target)
        if target.name not in COMPUTE and compute and r.random() < 0.1:
            target = r.choice(compute)
        banned = self.near_miss_banned(target)
        if target.name in COMPUTE:
            same = [t for t in compute if t.name not in banned]
            near: list[Tool] = []
            variant = "near_miss_compute"
        else:
            same = [t for t in self.by_domain.get(target.domain, []) if t.name not in banned]
            near = [t for d in NEIGHBOURS[target.domain] for t in self.by_domain.get(d, []) if t.name not in banned]
            variant = "near_miss"
        if not same and not near:
            return self._unsupported(c, target)
        k = 1 if r.random() < 0.5 else r.randint(2, 4)
        first = r.choice(same if same and (not near or r.random() < 0.75) else near)
        rest = [t for t in same + near if t is not first]
        r.shuffle(rest)
        offered = self.fit([first], rest[:k - 1])
        r.shuffle(offered)
        req = self.render(c, target)
        lang = c.lang
        want = self.cap(c, target)
        if len(offered) == 1:
            head = r.choice(PH.NEAR_ONE[lang]).format(req=want, cap1=self.cap(c, offered[0]))
        else:
            head = r.choice(PH.NEAR_MANY[lang]).format(req=want, caps=self._caps(c, offered, k=len(offered)))
        direct = self._direct(c, target, req) if r.random() < 0.6 else None
        x = r.random()
        if direct:
            tail = r.choice(PH.NEAR_DIRECT[lang]).format(ans=direct)
        elif x < 0.45:
            close = [t for t in offered if t.domain == target.domain or (t.name in COMPUTE and variant != "near_miss")]
            tail = r.choice(PH.NEAR_OFFER[lang]).format(cap1=self.cap(c, r.choice(close or offered)))
        elif x < 0.65:
            tail = r.choice(PH.NEAR_ELSEWHERE[lang])
        else:
            tail = ""
        answer = head + ("" if c.zh or not tail else " ") + tail
        msgs = [{"role": "user", "content": self.wrap(c, req)}, {"role": "assistant", "content": answer}]
        meta = Meta("no_call", lang, target.domain, variant + ("+direct" if direct else ""), target=target.name,
                    answer=self.call(target.name, req.args))
        return self.row(c, offered, msgs), meta

    def _direct(self, c: Ctx, target: Tool, req: Req) -> str | None:
        """The worked answer to a simple calculation, only where it is plainly right."""
        if target.name not in DIRECT:
            return None
        a = req.args
        res = target.result(a, c)
        if target.name == "math.square_root":
            n = a.get("number")
            if not isinstance(n, int) or n < 0 or round(n ** 0.5) ** 2 != n:
                return None
            res = dict(res, square_root=round(n ** 0.5))
        elif target.name == "math.raise_power":
            b, e = a.get("base"), a.get("exponent")
            if not isinstance(b, int) or not isinstance(e, int) or not 0 <= e <= 4 or abs(b) ** e > 100_000 \
                    or res.get("result") != b ** e:
                return None
        text = self.answer(c, target, a, req.surfaces, res)
        return text if text.endswith(("。", "！", ".", "!")) else text + ("。" if c.zh else ".")

    def _unserved(self, c: Ctx) -> tuple[dict, Meta]:
        q, req_cap = c.rng.choice(PH.UNSERVED[c.lang])
        offered = self._random_offer(c, c.rng.randint(1, 5), GENERALISTS)
        offered, refusals = self.refusal_offer(c, offered, GENERALISTS)
        answer = c.rng.choice(refusals).format(req=req_cap, caps=self._caps(c, offered), cap1=self.cap(c, offered[0]))
        msgs = self._prelude(c) + [{"role": "user", "content": q}, {"role": "assistant", "content": answer}]
        return self.row(c, offered, msgs), Meta("no_call", c.lang, "none", "unserved")

    def _capability(self, c: Ctx) -> tuple[dict, Meta]:
        offered = self._random_offer(c, c.rng.randint(1, 4))
        q = c.rng.choice(PH.CAPABILITY_Q[c.lang])
        a = c.rng.choice(PH.CAPABILITY_A[c.lang]).format(caps=self._caps(c, offered, k=4))
        return self.row(c, offered, [{"role": "user", "content": q}, {"role": "assistant", "content": a}]), \
            Meta("no_call", c.lang, "none", "capability")

    # ---------------------------------------------------------------- ask back

    def label(self, c: Ctx, tool: Tool, name: str) -> str:
        p = tool.by_name[name]
        return p.label[0] if c.zh else p.label[1]

    def k_ask_back(self, c: Ctx, target: Tool) -> tuple[dict, Meta]:
        r = c.rng
        if target not in self.with_required:
            if not self.with_required:
                return self.k_no_call(c, target)
            target = r.choice(self.with_required)
        req_names = target.required
        vals = self.sample_values(c, target, req_names)
        given: list[str] = []
        if len(req_names) >= 2 and r.random() < 0.4:
            given = r.sample(req_names, r.randint(1, len(req_names) - 1))
        missing = [n for n in req_names if n not in given]
        cap = self.cap(c, target)
        if given:
            kv = [r.choice(PH.SUPPLY_KV[c.lang]).format(label=self.label(c, target, n), s=self._bare(c, vals[n][0])) for n in given]
            given_text = ("，" if c.zh else ", ").join(kv)
            f = r.choice(PH.ASK_REQUEST_PARTIAL[c.lang])
            first = f.replace("{cap}", cap).replace("{Given}", cap_first(given_text)).replace("{given}", given_text)
        else:
            first = r.choice(PH.ASK_REQUEST[c.lang]).replace("{cap}", cap)
        labels = join_caps(c, [self.label(c, target, n) for n in missing])
        ask = r.choice(PH.ASK[c.lang]).format(labels=labels, cap=cap)
        msgs = [{"role": "user", "content": tidy(first)}, {"role": "assistant", "content": ask}]
        variant = "ask"
        args: dict = {}
        if r.random() < 0.4:
            if len(missing) == 1:
                n = missing[0]
                supply = r.choice(PH.SUPPLY_ONE[c.lang]).format(s=self._bare(c, vals[n][0]), label=self.label(c, target, n))
                supply = cap_first(supply) if not c.zh else supply
            else:
                kv = [r.choice(PH.SUPPLY_KV[c.lang]).format(label=self.label(c, target, n), s=self._bare(c, vals[n][0])) for n in missing]
                supply = ("，" if c.zh else "; ").join(kv) + ("。" if c.zh else ".")
                supply = cap_first(supply) if not c.zh else supply
            args = {p.name: vals[p.name][1] for p in target.params if p.name in vals}
            msgs += [{"role": "user", "content": supply}, self.call_msg(c, [(target, args)])]
            variant = "ask_then_call"
            if r.random() < 0.3:
                surfaces = {n: vals[n][0] for n in vals}
                res = target.result(args, c)
                msgs += [self.tool_msg(target, res), {"role": "assistant", "content": self.answer(c, target, args, surfaces, res)}]
                variant = "ask_then_answer"
        offered = self.offered(c, [target], r.choice([0, 0, 1, 2, 3]))
        return self.row(c, offered, msgs), Meta("ask_back", c.lang, target.domain, variant)

    @staticmethod
    def _bare(c: Ctx, surface: str) -> str:
        if not c.zh and surface.startswith("on "):
            return surface[3:]
        return surface
