"""Built-in tools, part 2: calendar, maps, stocks, currency, units, reminders, music, shopping, travel,
smart home, food, notes, health."""

from __future__ import annotations

import datetime as dt

from fctune.data.synth import values as V
from fctune.data.synth.catalog import Multi, P, Tool
from fctune.data.synth.tools_a import s_date_within
from fctune.data.synth.values import Ctx

# --------------------------------------------------------------------------- calendar

LOCATIONS_ZH = ["3楼会议室", "大会议室", "星巴克国贸店", "公司前台", "腾讯会议", "A座301", "客户公司", "5号会议室", "咖啡厅"]
LOCATIONS_EN = ["Room 301", "the main conference room", "Zoom", "the lobby", "Blue Bottle Coffee", "Building B",
                "the client's office", "Meeting Room 5", "the cafe downstairs"]
s_meeting = V.s_choice(V.MEETINGS_ZH, V.MEETINGS_EN)
s_duration = V.s_choice([15, 30, 45, 60, 90, 120])


def _s_duration(c: Ctx):
    v = c.rng.choice([15, 30, 30, 45, 60, 60, 90, 120])
    return str(v), v


def r_create_event(a, c):
    return {"event_id": f"evt_{c.rng.randint(1000, 9999)}", "title": a["title"], "start": a["start"],
            "duration_minutes": a.get("duration_minutes", 60)}


def r_list_events(a, c):
    evs = []
    for _ in range(c.rng.randint(0, 3)):
        evs.append({"event_id": f"evt_{c.rng.randint(1000, 9999)}",
                    "title": c.rng.choice(V.MEETINGS_ZH if c.zh else V.MEETINGS_EN),
                    "start": f"{c.rng.randint(8, 18):02d}:{c.rng.choice(['00', '30'])}"})
    evs.sort(key=lambda e: e["start"])
    return {"date": a["date"], "events": evs}


def a_list_events(a, s, r, c):
    if not r["events"]:
        return f"{s['date']}日程是空的，没有安排。" if c.zh else f"Your calendar is clear {s['date']}."
    if c.zh:
        return f"{s['date']}有{len(r['events'])}个安排：" + "；".join(f"{e['start']} {e['title']}" for e in r["events"]) + "。"
    return f"You have {len(r['events'])} event(s) {s['date']}: " + "; ".join(f"{e['start']} {e['title']}" for e in r["events"]) + "."


def r_free(a, c):
    starts = sorted(c.rng.sample(["09:00", "10:30", "13:00", "14:00", "15:30", "16:30"], 3))
    return {"date": a["date"], "duration_minutes": a["duration_minutes"], "free_slots": starts}


CALENDAR = [
    Tool(
        "calendar.create_event", "calendar", "Create a calendar event.",
        ("创建日历日程", "add an event to the calendar"),
        [P("title", "string", "Event title.", s_meeting, label=("日程标题", "event title")),
         P("start", "string", "Start, YYYY-MM-DDTHH:MM (local time).", V.s_datetime, label=("开始时间", "start time"),
           format="date-time"),
         P("duration_minutes", "integer", "Length in minutes (default 60).", _s_duration, req=False,
           label=("时长（分钟）", "duration in minutes"), minimum=5),
         P("location", "string", "Where it takes place.", V.s_choice(LOCATIONS_ZH, LOCATIONS_EN), req=False, label=("地点", "location")),
         P("attendees", "array", "E-mail addresses to invite.", lambda c: V.s_emails(c, 1, 3), req=False,
           label=("参会人", "attendees"), items={"type": "string", "format": "email"})],
        zh=["~帮我在日历上建个日程：{start}{title}[，时长{duration_minutes}分钟][，地点{location}]",
            "~{start}安排一个{title}[，开{duration_minutes}分钟][，在{location}]",
            "~把{title}加到日历里，时间是{start}[，持续{duration_minutes}分钟][，邀请{attendees}]",
            "{start}有个{title}，帮我记到日历上[，地点是{location}]。",
            "~创建日程“{title}”，开始时间{start}[，{duration_minutes}分钟][，参会人{attendees}]",
            "~预约{start}的{title}[，地点{location}]"],
        en=["~schedule {title} {start}[ for {duration_minutes} minutes][ at {location}]",
            "~add {title} to my calendar {start}[, {duration_minutes} minutes long][, invite {attendees}]",
            "~put a {title} on my calendar {start}[ in {location}]",
            "I have a {title} {start}. Please add it to my calendar[ and invite {attendees}].",
            "~create an event called \"{title}\" starting {start}[, lasting {duration_minutes} minutes]",
            "~book {start} for {title}[ in {location}]"],
        result=r_create_event,
        answer_zh=["已创建日程“{title}”，时间{start}，编号{event_id}。", "好了，{start}的{title}已经加到日历里了。"],
        answer_en=["Created \"{title}\" {start} (event id {event_id}).", "Done, {title} is on your calendar {start}."],
    ),
    Tool(
        "calendar.list_events", "calendar", "List the calendar events on a date.",
        ("查看某天的日程", "list the events on a day"),
        [P("date", "string", "The day, YYYY-MM-DD.", s_date_within(0, 20), label=("日期", "date"), format="date")],
        zh=["{date}我有什么安排？", "~看看{date}的日程", "~列出我{date}的所有会议", "{date}日历上有什么？", "~查一下{date}的行程",
            "我{date}忙不忙？有哪些会？"],
        en=["What's on my calendar {date}?", "~list my meetings {date}", "Am I free {date}? What do I have?",
            "~show my schedule {date}", "~check my agenda {date}", "Do I have anything booked {date}?"],
        result=r_list_events, answer_zh=[a_list_events], answer_en=[a_list_events],
        follow="date",
    ),
    Tool(
        "calendar.cancel_event", "calendar", "Cancel (delete) a calendar event by its id.",
        ("取消日程", "cancel a calendar event"),
        [P("event_id", "string", "Event id, e.g. evt_1234.", V.s_code("evt_", 4), label=("日程编号", "event id")),
         P("notify", "boolean", "E-mail the attendees about the cancellation.",
           V.flag(["通知一下参会的人", "顺便通知参会人"], ["let the attendees know", "notify everyone"],
                  ["不用通知别人"], ["don't notify anyone"]), req=False, label=("是否通知参会人", "whether to notify attendees"))],
        zh=["~取消日程{event_id}[，{notify}]", "~把{event_id}这个日程删掉", "{event_id}那个会不开了，帮我取消[，{notify}]。",
            "~删除编号{event_id}的日程", "~撤销日程{event_id}[，{notify}]", "~帮我取消{event_id}"],
        en=["~cancel event {event_id}[ and {notify}]", "~delete calendar event {event_id}", "{event_id} is off. Cancel it[ and {notify}].",
            "~remove {event_id} from my calendar", "~call off {event_id}[, {notify}]", "~drop the event {event_id}"],
        result=lambda a, c: {"event_id": a["event_id"], "cancelled": True},
        answer_zh=["日程{event_id}已取消。"], answer_en=["Event {event_id} is cancelled."],
    ),
    Tool(
        "calendar.find_free_slot", "calendar", "Find free time slots of a given length on a day.",
        ("查找空闲时间段", "find free time on a day"),
        [P("date", "string", "The day, YYYY-MM-DD.", s_date_within(0, 14), label=("日期", "date"), format="date"),
         P("duration_minutes", "integer", "Needed length in minutes.", _s_duration, label=("时长（分钟）", "length in minutes"), minimum=5)],
        zh=["{date}我什么时候有{duration_minutes}分钟的空？", "~帮我找{date}能空出{duration_minutes}分钟的时间段",
            "~看看{date}哪里有连续{duration_minutes}分钟的空档", "{date}有没有{duration_minutes}分钟的空闲时间？",
            "~查一下{date}可用的{duration_minutes}分钟时段", "想在{date}约个{duration_minutes}分钟的会，我哪段时间有空？"],
        en=["When am I free for {duration_minutes} minutes {date}?", "~find a {duration_minutes}-minute slot {date}",
            "~look for {duration_minutes} free minutes in my calendar {date}", "Do I have {duration_minutes} minutes open {date}?",
            "~check my availability {date} for a {duration_minutes} minute meeting", "~show free {duration_minutes}-minute windows {date}"],
        result=r_free,
        answer_zh=[lambda a, s, r, c: f"{s['date']}这些时段有空：" + "、".join(r["free_slots"]) + "。"],
        answer_en=[lambda a, s, r, c: f"You're free {s['date']} at " + ", ".join(r["free_slots"]) + "."],
    ),
]

# --------------------------------------------------------------------------- maps

ROUTE_MODE = V.enum_sampler({"driving": (["开车", "自驾"], ["by car", "driving"]), "walking": (["步行", "走路"], ["on foot", "walking"]),
                             "transit": (["坐地铁", "坐公交", "公共交通"], ["by public transit", "by subway", "by bus"]),
                             "cycling": (["骑车", "骑行"], ["by bike", "cycling"])}, verbatim_en=False)
NEARBY_ZH = ["咖啡店", "加油站", "药店", "停车场", "便利店", "银行", "医院", "火锅店", "健身房", "地铁站", "超市", "充电桩"]
NEARBY_EN = ["coffee shops", "gas stations", "pharmacies", "parking", "ATMs", "hospitals", "gyms", "bookstores",
             "supermarkets", "EV chargers", "bakeries"]


def _two_places(c: Ctx):
    a, b = V.s_place(c), V.s_place(c)
    while b[1] == a[1]:
        b = V.s_place(c)
    return {"origin": a, "destination": b}


def r_route(a, c):
    km = round(c.rng.uniform(1.2, 45), 1)
    return {"origin": a["origin"], "destination": a["destination"], "mode": a.get("mode", "driving"),
            "distance_km": km, "duration_min": int(km * c.rng.uniform(2, 6)) + 3}


def r_location(a, c):
    city = c.rng.choice(V.CITIES_ZH[:40] if c.zh else V.CITIES_EN[:40])
    return {"city": city, "latitude": round(c.rng.uniform(20, 50), 4), "longitude": round(c.rng.uniform(-120, 130), 4)}


MAPS = [
    Tool(
        "maps.plan_route", "maps", "Route between two places: distance and travel time by car, on foot, by transit or bike.",
        ("规划路线", "plan a route"),
        [P("origin", "string", "Start address or place.", None, label=("出发地", "starting point")),
         P("destination", "string", "Destination address or place.", None, label=("目的地", "destination")),
         P("mode", "string", "Travel mode (default driving).", ROUTE_MODE, req=False, label=("出行方式", "travel mode"))],
        zh=["从{origin}到{destination}怎么走？", "~规划一条从{origin}去{destination}的路线[，{mode}]",
            "~导航到{destination}，从{origin}出发[，{mode}]", "[{mode}]从{origin}到{destination}要多久？",
            "~帮我查{origin}到{destination}的路线[，我打算{mode}]", "我在{origin}，想去{destination}[，{mode}去]，怎么走比较好？"],
        en=["How do I get from {origin} to {destination}[ {mode}]?", "~plan a route from {origin} to {destination}[ {mode}]",
            "~navigate me to {destination} starting at {origin}", "How long does it take to go from {origin} to {destination}[ {mode}]?",
            "~find the best way from {origin} to {destination}[ {mode}]", "I'm at {origin} and need to reach {destination}. What's the route?"],
        result=r_route,
        answer_zh=["从{origin}到{destination}全程约{distance_km}公里，预计{duration_min}分钟。",
                   "路线规划好了：{distance_km}公里，大约需要{duration_min}分钟。"],
        answer_en=["From {origin} to {destination} is about {distance_km} km, roughly {duration_min} minutes.",
                   "Route found: {distance_km} km, about {duration_min} min."],
        joint=_two_places,
    ),
    Tool(
        "maps.search_nearby", "maps", "Find places of a kind near a location.",
        ("搜索附近的地点", "find places nearby"),
        [P("location", "string", "Where to search around.", V.s_place, label=("位置", "location")),
         P("keyword", "string", "What to look for, e.g. coffee.", V.s_choice(NEARBY_ZH, NEARBY_EN), label=("要找的地点类型", "kind of place")),
         P("radius_m", "integer", "Search radius in meters (default 1000).", V.s_choice([300, 500, 1000, 2000, 3000]), req=False,
           label=("搜索半径（米）", "radius in meters"), minimum=50)],
        zh=["{location}附近有{keyword}吗？", "~找一下{location}周边[{radius_m}米内]的{keyword}", "~搜搜{location}附近的{keyword}",
            "~帮我看看{location}旁边[{radius_m}米以内]有没有{keyword}", "我在{location}，最近的{keyword}在哪？",
            "~查询{location}[方圆{radius_m}米]的{keyword}"],
        en=["Are there any {keyword} near {location}?", "~find {keyword} around {location}[ within {radius_m} meters]",
            "~search for {keyword} close to {location}", "I'm at {location}. Where are the nearest {keyword}?",
            "~look up {keyword} near {location}[, {radius_m} m radius]", "~show me {keyword} in the area of {location}"],
        result=lambda a, c: {"places": [{"name": f"{a['keyword']} #{i + 1}", "distance_m": c.rng.randint(80, 1500)} for i in range(2)]},
        answer_zh=[lambda a, s, r, c: "附近找到：" + "；".join(f"{p['name']}（{p['distance_m']}米）" for p in r["places"]) + "。"],
        answer_en=[lambda a, s, r, c: "Nearby: " + "; ".join(f"{p['name']} ({p['distance_m']} m)" for p in r["places"]) + "."],
    ),
    Tool(
        "maps.geocode", "maps", "Latitude and longitude of an address or place.",
        ("查询地址的经纬度", "get the coordinates of an address"),
        [P("address", "string", "Address or place name.", V.s_address, label=("地址", "address"))],
        zh=["{address}的经纬度是多少？", "~查一下{address}的坐标", "~把{address}转换成经纬度", "~定位{address}的GPS坐标",
            "{address}在地图上的坐标是？", "~帮我获取{address}的地理坐标"],
        en=["What are the coordinates of {address}?", "~geocode {address}", "~get the latitude and longitude of {address}",
            "~find the GPS coordinates for {address}", "Where exactly is {address} on the map?", "~convert {address} to coordinates"],
        result=lambda a, c: {"address": a["address"], "latitude": round(c.rng.uniform(20, 55), 5), "longitude": round(c.rng.uniform(-122, 125), 5)},
        answer_zh=["{address}的坐标是：纬度{latitude}，经度{longitude}。"], answer_en=["{address} is at {latitude}, {longitude}."],
    ),
    Tool(
        "device.current_location", "maps", "The user's current location (city and coordinates) from the device.",
        ("获取当前位置", "get your current location"),
        [],
        zh=["我现在在哪儿？", "~定位一下我的位置", "~查一下我当前所在的城市", "我这是在哪个城市？", "~获取我现在的位置",
            "~帮我看看我在什么地方"],
        en=["Where am I right now?", "~find my current location", "~check which city I'm in", "What city am I in?",
            "~get my location", "~locate me"],
        result=r_location,
        answer_zh=["您现在在{city}（纬度{latitude}，经度{longitude}）。"], answer_en=["You're in {city} ({latitude}, {longitude})."],
    ),
]

# --------------------------------------------------------------------------- stocks and currency

INTERVAL = V.enum_sampler({"daily": (["按日", "日线"], ["daily"]), "weekly": (["按周", "周线"], ["weekly"]),
                           "monthly": (["按月", "月线"], ["monthly"])})


def s_symbol(c: Ctx):
    zh, en, sym = c.rng.choice(V.COMPANIES_LISTED)
    if c.rng.random() < 0.65:
        return sym, sym
    return (f"{zh}（{sym}）" if c.zh else f"{en} ({sym})"), sym


def s_company_listed(c: Ctx):
    zh, en, sym = c.rng.choice(V.COMPANIES_LISTED)
    v = zh if c.zh else en
    return v, v


def r_quote(a, c):
    p = round(c.rng.uniform(5, 900), 2)
    return {"symbol": a["symbol"], "price": p, "change_percent": round(c.rng.uniform(-6, 6), 2),
            "currency": "CNY" if a["symbol"].endswith((".SH", ".SZ")) else ("HKD" if a["symbol"].endswith(".HK") else "USD")}


def r_lookup(a, c):
    for zh, en, sym in V.COMPANIES_LISTED:
        if a["company"] in (zh, en):
            return {"company": a["company"], "symbol": sym, "exchange": "SSE" if sym.endswith(".SH") else "SZSE" if sym.endswith(".SZ")
                    else "HKEX" if sym.endswith(".HK") else "NASDAQ"}
    return {"company": a["company"], "symbol": "UNKNOWN"}


def _history_joint(c: Ctx):
    (s1, v1), (s2, v2) = V.date_range(c, past=True)
    return {"start_date": (s1, v1), "end_date": (s2, v2)}


def _fx_joint(c: Ctx):
    (s1, v1), (s2, v2) = V.currency_pair(c)
    return {"from_currency": (s1, v1), "to_currency": (s2, v2)}


def _fx_rate_joint(c: Ctx):
    (s1, v1), (s2, v2) = V.currency_pair(c)
    return {"base": (s1, v1), "quote": (s2, v2)}


# Units of each currency per US dollar (rough levels; results jitter around them).
PER_USD = {"USD": 1.0, "CNY": 7.2, "EUR": 0.92, "JPY": 150.0, "GBP": 0.79, "HKD": 7.8, "KRW": 1350.0, "AUD": 1.52,
           "CAD": 1.36, "SGD": 1.34, "CHF": 0.88, "THB": 35.5}


def _rate(base: str, quote: str, c: Ctx) -> float:
    r = PER_USD[quote] / PER_USD[base] * c.rng.uniform(0.98, 1.02)
    return round(r, 4) if r < 100 else round(r, 2)


def r_convert(a, c):
    rate = _rate(a["from_currency"], a["to_currency"], c)
    return {"amount": a["amount"], "from": a["from_currency"], "to": a["to_currency"], "rate": rate,
            "converted": round(a["amount"] * rate, 2)}


FINANCE = [
    Tool(
        "stocks.quote", "stocks", "Latest price and daily change of a stock by ticker symbol.",
        ("查询股票实时行情", "get a stock quote"),
        [P("symbol", "string", "Ticker symbol, e.g. AAPL or 600519.SH.", s_symbol, label=("股票代码", "ticker symbol"))],
        zh=["{symbol}现在多少钱一股？", "~查一下{symbol}的股价", "{symbol}今天是涨还是跌？", "~看看{symbol}的最新行情",
            "~帮我查{symbol}的实时报价", "{symbol}的股价是多少？"],
        en=["What's {symbol} trading at?", "~check the stock price of {symbol}", "Is {symbol} up or down today?",
            "~get me the latest quote for {symbol}", "~look up {symbol}'s share price", "How much is one share of {symbol}?"],
        result=r_quote,
        answer_zh=["{symbol}最新价{price} {currency}，涨跌幅{change_percent}%。", "{symbol}现在报{price} {currency}，今日{change_percent}%。"],
        answer_en=["{symbol} is at {price} {currency}, {change_percent}% on the day.", "{symbol} last traded at {price} {currency} ({change_percent}%)."],
        multi=Multi("symbol", ["{items}的股价分别是多少？", "~对比一下{items}的行情"], ["What are {items} trading at?", "~get quotes for {items}"]),
        follow="symbol",
    ),
    Tool(
        "stocks.lookup_symbol", "stocks", "Find the ticker symbol of a listed company by name.",
        ("查询公司的股票代码", "find a company's ticker symbol"),
        [P("company", "string", "Company name.", s_company_listed, label=("公司名称", "company name"))],
        zh=["{company}的股票代码是什么？", "~查一下{company}的代码", "{company}在哪个交易所上市，代码多少？", "~帮我找{company}的股票代码",
            "~搜一下{company}的ticker", "{company}股票代码是？"],
        en=["What's the ticker symbol for {company}?", "~look up {company}'s stock symbol", "Where is {company} listed and under what ticker?",
            "~find the ticker of {company}", "~search for {company}'s symbol", "{company} trades under which symbol?"],
        result=r_lookup,
        answer_zh=["{company}的股票代码是{symbol}（{exchange}）。"], answer_en=["{company} trades as {symbol} on {exchange}."],
    ),
    Tool(
        "stocks.price_history", "stocks", "Historical closing prices of a stock between two dates.",
        ("查询股票历史价格", "get historical stock prices"),
        [P("symbol", "string", "Ticker symbol.", s_symbol, label=("股票代码", "ticker symbol")),
         P("start_date", "string", "First day, YYYY-MM-DD.", None, label=("开始日期", "start date"), format="date"),
         P("end_date", "string", "Last day, YYYY-MM-DD.", None, label=("结束日期", "end date"), format="date"),
         P("interval", "string", "Bar size.", INTERVAL, req=False, label=("K线周期", "interval"))],
        zh=["~查一下{symbol}从{start_date}到{end_date}的历史股价[，{interval}]", "{symbol}在{start_date}至{end_date}期间走势如何？",
            "~给我{symbol}{start_date}到{end_date}的[{interval}]收盘价", "~拉一下{symbol}的历史行情，时间{start_date}到{end_date}[，{interval}]",
            "~导出{symbol}自{start_date}起到{end_date}的价格数据", "{start_date}到{end_date}，{symbol}涨了多少？"],
        en=["~get {symbol}'s price history from {start_date} to {end_date}[, {interval}]",
            "How did {symbol} perform between {start_date} and {end_date}?", "~pull[ {interval}] closing prices for {symbol} from {start_date} to {end_date}",
            "~show me {symbol} from {start_date} through {end_date}[ ({interval} bars)]", "~fetch historical quotes for {symbol}, {start_date} to {end_date}",
            "From {start_date} to {end_date}, how much did {symbol} move?"],
        result=lambda a, c: (lambda p0, p1: {"symbol": a["symbol"], "first_close": p0, "last_close": p1,
                                             "change_percent": round((p1 - p0) / p0 * 100, 2)})(round(c.rng.uniform(10, 500), 2), round(c.rng.uniform(10, 500), 2)),
        answer_zh=["{symbol}期间首日收盘{first_close}，末日收盘{last_close}，区间涨跌幅{change_percent}%。"],
        answer_en=["{symbol} closed at {first_close} at the start and {last_close} at the end, a {change_percent}% change."],
        joint=_history_joint,
    ),
    Tool(
        "fx.convert", "currency", "Convert an amount of money from one currency to another at today's rate.",
        ("换算货币金额", "convert money between currencies"),
        [P("amount", "number", "Amount to convert.", V.s_amount, label=("金额", "amount"), minimum=0),
         P("from_currency", "string", "ISO code of the source currency.", None, label=("原币种", "source currency"), enum=V.CURRENCY_CODES),
         P("to_currency", "string", "ISO code of the target currency.", None, label=("目标币种", "target currency"), enum=V.CURRENCY_CODES)],
        zh=["{amount}{from_currency}能换多少{to_currency}？", "~把{amount}{from_currency}换算成{to_currency}",
            "~帮我算下{amount}{from_currency}等于多少{to_currency}", "我有{amount}{from_currency}，换成{to_currency}是多少？",
            "{amount}{from_currency}折合{to_currency}多少钱？", "~按今天的汇率把{amount}{from_currency}兑成{to_currency}"],
        en=["How much is {amount} {from_currency} in {to_currency}?", "~convert {amount} {from_currency} to {to_currency}",
            "~tell me what {amount} {from_currency} is worth in {to_currency}", "I have {amount} {from_currency}. How much {to_currency} is that?",
            "~exchange {amount} {from_currency} into {to_currency} at today's rate", "What's {amount} {from_currency} in {to_currency}?"],
        result=r_convert,
        answer_zh=["按汇率{rate}计算，{amount}{from_currency}约合{converted}{to_currency}。"],
        answer_en=["At a rate of {rate}, {amount} {from_currency} is about {converted} {to_currency}."],
        joint=_fx_joint, overlap=("fx.rate",),
    ),
    Tool(
        "fx.rate", "currency", "Current exchange rate between two currencies.",
        ("查询汇率", "look up an exchange rate"),
        [P("base", "string", "ISO code of the base currency.", V.s_currency, label=("基准货币", "base currency"), enum=V.CURRENCY_CODES),
         P("quote", "string", "ISO code of the quote currency.", V.s_currency, label=("报价货币", "quote currency"), enum=V.CURRENCY_CODES)],
        zh=["{base}兑{quote}的汇率是多少？", "~查一下{base}对{quote}的汇率", "今天1{base}能换多少{quote}？", "~看看{base}兑换{quote}的最新汇率",
            "{base}和{quote}之间现在什么汇率？", "~帮我查{base}/{quote}汇率"],
        en=["What's the exchange rate from {base} to {quote}?", "~check the {base} to {quote} rate", "How many {quote} does 1 {base} buy today?",
            "~look up the latest {base}/{quote} exchange rate", "What's {base} worth in {quote} right now?", "~get the {base}-{quote} rate"],
        result=lambda a, c: {"base": a["base"], "quote": a["quote"], "rate": _rate(a["base"], a["quote"], c)},
        answer_zh=["当前1{base}约等于{rate}{quote}。"], answer_en=["1 {base} is currently about {rate} {quote}."],
        joint=_fx_rate_joint, follow="quote", overlap=("fx.convert",),
    ),
]

# --------------------------------------------------------------------------- units

LENGTH_UNITS = {"m": (["米"], ["meters", "metres"]), "km": (["公里", "千米"], ["kilometers", "km"]), "cm": (["厘米"], ["centimeters", "cm"]),
                "mm": (["毫米"], ["millimeters", "mm"]), "mi": (["英里"], ["miles"]), "ft": (["英尺"], ["feet"]), "in": (["英寸"], ["inches"])}
TEMP_SCALES = {"celsius": (["摄氏度"], ["degrees Celsius", "Celsius"]), "fahrenheit": (["华氏度"], ["degrees Fahrenheit", "Fahrenheit"]),
               "kelvin": (["开尔文"], ["Kelvin"])}
WEIGHT_UNITS = {"kg": (["公斤", "千克"], ["kilograms", "kg"]), "g": (["克"], ["grams"]), "lb": (["磅"], ["pounds", "lbs"]),
                "oz": (["盎司"], ["ounces"]), "jin": (["斤"], ["jin"])}
for _table in (LENGTH_UNITS, TEMP_SCALES, WEIGHT_UNITS):
    for _k, (_zh, _en) in _table.items():
        V.register_aliases(_k, _zh + _en)


def _unit_pair(table: dict, a: str = "from_unit", b: str = "to_unit"):
    def joint(c: Ctx):
        x, y = c.rng.sample(list(table), 2)
        out = {}
        for name, code in ((a, x), (b, y)):
            zh, en = table[code]
            out[name] = (c.rng.choice(zh if c.zh else en), code)
        return out

    return joint


_FACTORS = {"m": 1, "km": 1000, "cm": 0.01, "mm": 0.001, "mi": 1609.344, "ft": 0.3048, "in": 0.0254,
            "kg": 1, "g": 0.001, "lb": 0.45359237, "oz": 0.0283495, "jin": 0.5}


def _conv(a, c):
    v = a["value"] * _FACTORS[a["from_unit"]] / _FACTORS[a["to_unit"]]
    return {"value": a["value"], "from_unit": a["from_unit"], "to_unit": a["to_unit"], "result": round(v, 4)}


def _conv_temp(a, c):
    v, f, t = a["value"], a["from_scale"], a["to_scale"]
    k = v + 273.15 if f == "celsius" else (v - 32) * 5 / 9 + 273.15 if f == "fahrenheit" else v
    out = k - 273.15 if t == "celsius" else (k - 273.15) * 9 / 5 + 32 if t == "fahrenheit" else k
    return {"value": v, "from_scale": f, "to_scale": t, "result": round(out, 2)}


UNITS = [
    Tool(
        "units.convert_length", "units", "Convert a length between units (m, km, cm, mm, mi, ft, in).",
        ("换算长度单位", "convert length units"),
        [P("value", "number", "The length.", V.s_float(0.5, 500, 1), label=("数值", "value")),
         P("from_unit", "string", "Unit of the value.", None, label=("原单位", "source unit"), enum=list(LENGTH_UNITS)),
         P("to_unit", "string", "Unit to convert to.", None, label=("目标单位", "target unit"), enum=list(LENGTH_UNITS))],
        zh=["{value}{from_unit}等于多少{to_unit}？", "~把{value}{from_unit}换算成{to_unit}", "~帮我算一下{value}{from_unit}是几{to_unit}",
            "{value}{from_unit}合多少{to_unit}？", "~将{value}{from_unit}转成{to_unit}", "跑了{value}{from_unit}，换成{to_unit}是多少？"],
        en=["How many {to_unit} is {value} {from_unit}?", "~convert {value} {from_unit} to {to_unit}", "What's {value} {from_unit} in {to_unit}?",
            "~change {value} {from_unit} into {to_unit}", "I ran {value} {from_unit}. How much is that in {to_unit}?",
            "~express {value} {from_unit} in {to_unit}"],
        result=_conv, answer_zh=["{value}{from_unit}约等于{result}{to_unit}。"], answer_en=["{value} {from_unit} is about {result} {to_unit}."],
        joint=_unit_pair(LENGTH_UNITS), overlap=("calc.evaluate",),
    ),
    Tool(
        "units.convert_temperature", "units", "Convert a temperature between Celsius, Fahrenheit and Kelvin.",
        ("换算温度单位", "convert temperatures"),
        [P("value", "number", "The temperature.", V.s_int(-30, 120), label=("温度值", "temperature")),
         P("from_scale", "string", "Scale of the value.", None, label=("原温标", "source scale"), enum=list(TEMP_SCALES)),
         P("to_scale", "string", "Scale to convert to.", None, label=("目标温标", "target scale"), enum=list(TEMP_SCALES))],
        zh=["{value}{from_scale}是多少{to_scale}？", "~把{value}{from_scale}换算成{to_scale}", "~帮我把{value}{from_scale}转换为{to_scale}",
            "{value}{from_scale}折合{to_scale}是多少？", "~算一下{value}{from_scale}等于几{to_scale}", "烤箱写着{value}{from_scale}，换成{to_scale}是多少？"],
        en=["What is {value} {from_scale} in {to_scale}?", "~convert {value} {from_scale} to {to_scale}", "~change {value} {from_scale} into {to_scale}",
            "How much is {value} {from_scale} in {to_scale}?", "The recipe says {value} {from_scale}. What's that in {to_scale}?",
            "~translate {value} {from_scale} into {to_scale}"],
        result=_conv_temp, answer_zh=["{value}{from_scale}等于{result}{to_scale}。"], answer_en=["{value} {from_scale} equals {result} {to_scale}."],
        joint=_unit_pair(TEMP_SCALES, "from_scale", "to_scale"), overlap=("calc.evaluate",),
    ),
    Tool(
        "units.convert_weight", "units", "Convert a weight between units (kg, g, lb, oz, jin).",
        ("换算重量单位", "convert weight units"),
        [P("value", "number", "The weight.", V.s_float(0.1, 200, 1), label=("数值", "value")),
         P("from_unit", "string", "Unit of the value.", None, label=("原单位", "source unit"), enum=list(WEIGHT_UNITS)),
         P("to_unit", "string", "Unit to convert to.", None, label=("目标单位", "target unit"), enum=list(WEIGHT_UNITS))],
        zh=["{value}{from_unit}等于多少{to_unit}？", "~把{value}{from_unit}换算成{to_unit}", "~帮我算算{value}{from_unit}是多少{to_unit}",
            "{value}{from_unit}合几{to_unit}？", "~将{value}{from_unit}转换成{to_unit}", "菜谱上写{value}{from_unit}，换成{to_unit}是多少？"],
        en=["How many {to_unit} is {value} {from_unit}?", "~convert {value} {from_unit} to {to_unit}", "What's {value} {from_unit} in {to_unit}?",
            "~change {value} {from_unit} into {to_unit}", "The recipe calls for {value} {from_unit}. How much is that in {to_unit}?",
            "~express {value} {from_unit} in {to_unit}"],
        result=_conv, answer_zh=["{value}{from_unit}约等于{result}{to_unit}。"], answer_en=["{value} {from_unit} is about {result} {to_unit}."],
        joint=_unit_pair(WEIGHT_UNITS), overlap=("calc.evaluate",),
    ),
]

# --------------------------------------------------------------------------- reminders, to-dos, timers

REPEAT = V.enum_sampler({"daily": (["每天"], ["every day", "daily"]), "weekly": (["每周"], ["every week", "weekly"]),
                         "monthly": (["每月"], ["every month", "monthly"])})
PRIORITY = V.enum_sampler({"low": (["低优先级", "不着急"], ["low priority"]), "medium": (["中等优先级", "普通优先级"], ["medium priority"]),
                           "high": (["高优先级", "紧急", "很重要"], ["high priority"])}, verbatim_en=False)
TIMER_LABELS_ZH = ["煮鸡蛋", "泡面", "午休", "番茄钟", "烤蛋糕", "面膜", "专注学习"]
TIMER_LABELS_EN = ["boiled eggs", "pasta", "nap", "pomodoro", "cake", "face mask", "focus session"]


def r_reminder(a, c):
    return {"reminder_id": f"rem_{c.rng.randint(1000, 9999)}", "text": a["text"], "date": a["date"], "time": a.get("time", "09:00")}


REMINDERS = [
    Tool(
        "reminders.create", "reminders", "Create a reminder at a date and (optionally) time.",
        ("设置提醒", "set a reminder"),
        [P("text", "string", "What to be reminded of.", V.s_choice(V.REMINDERS_ZH, V.REMINDERS_EN), label=("提醒内容", "reminder text")),
         P("date", "string", "Day, YYYY-MM-DD.", s_date_within(0, 30), label=("日期", "date"), format="date"),
         P("time", "string", "Time of day, HH:MM (default 09:00).", V.s_time, req=False, label=("时间", "time")),
         P("repeat", "string", "Repeat rule.", REPEAT, req=False, label=("重复方式", "repeat"), enum=["none", "daily", "weekly", "monthly"])],
        zh=["提醒我{date}[{time}]{text}。", "~设个提醒：{date}[{time}]{text}[，{repeat}重复]", "{date}[{time}]记得提醒我{text}。",
            "~帮我加一个{date}[{time}]的提醒，内容是{text}", "别让我忘了{date}[{time}]要{text}[，{repeat}都提醒一次]。",
            "~建个提醒事项，{date}[{time}]，{text}[，{repeat}]"],
        en=["~remind me to {text} {date}[ at {time}]", "~set a reminder {date}[ at {time}] to {text}[, repeating {repeat}]",
            "Don't let me forget to {text} {date}[ at {time}].", "~create a reminder to {text} {date}[ at {time}][, {repeat}]",
            "I need a nudge {date}[ at {time}] to {text}.", "~add a reminder for {date}[ at {time}]: {text}"],
        result=r_reminder,
        answer_zh=["好的，已设置提醒：{date} {time}，{text}。", "提醒已创建（{reminder_id}），到时间会通知您{text}。"],
        answer_en=["Reminder set for {date} at {time}: {text}.", "Got it (id {reminder_id}), I'll remind you to {text}."],
    ),
    Tool(
        "reminders.list_upcoming", "reminders", "List upcoming reminders.",
        ("查看即将到来的提醒", "list upcoming reminders"),
        [P("days_ahead", "integer", "How many days ahead to look (default 7).", V.s_int(1, 30), req=False,
           label=("天数", "number of days"), minimum=1)],
        zh=["我最近有什么提醒？", "~列出[未来{days_ahead}天的]提醒", "~看看[接下来{days_ahead}天]有哪些提醒事项", "~帮我查一下待提醒的事情",
            "[这{days_ahead}天]有什么需要我记着的？", "~显示我的提醒列表"],
        en=["What reminders do I have coming up?", "~list my reminders[ for the next {days_ahead} days]",
            "~show upcoming reminders[ over the next {days_ahead} days]", "Anything I need to remember[ in the next {days_ahead} days]?",
            "~check my reminder list", "~pull up my pending reminders"],
        result=lambda a, c: {"reminders": [{"text": c.rng.choice(V.REMINDERS_ZH if c.zh else V.REMINDERS_EN),
                                            "date": (c.today + dt.timedelta(days=c.rng.randint(0, 6))).isoformat()} for _ in range(2)]},
        answer_zh=[lambda a, s, r, c: "您有这些提醒：" + "；".join(f"{x['date']} {x['text']}" for x in r["reminders"]) + "。"],
        answer_en=[lambda a, s, r, c: "Upcoming: " + "; ".join(f"{x['date']}: {x['text']}" for x in r["reminders"]) + "."],
    ),
    Tool(
        "todo.add_item", "reminders", "Add an item to the to-do list.",
        ("添加待办事项", "add a to-do item"),
        [P("title", "string", "The task.", V.s_choice(V.REMINDERS_ZH, V.REMINDERS_EN), label=("待办内容", "task")),
         P("priority", "string", "Priority.", PRIORITY, req=False, label=("优先级", "priority")),
         P("due_date", "string", "Due date, YYYY-MM-DD.", s_date_within(0, 30, adverbial=False), req=False, label=("截止日期", "due date"),
           format="date")],
        zh=["~在待办清单里加上{title}[，{priority}]", "~添加一个待办：{title}[，截止{due_date}]", "~把{title}记到待办里[，设为{priority}]",
            "~新建任务{title}[，{due_date}之前完成]", "待办加一条：{title}[，{priority}][，{due_date}截止]。", "~记一下我要{title}[，{priority}]"],
        en=["~add {title} to my to-do list[ as {priority}]", "~create a task: {title}[, due {due_date}]", "~put {title} on my todo list[, {priority}]",
            "~new to-do: {title}[, due by {due_date}]", "~add a task to {title}[ with {priority}][, due {due_date}]",
            "I need to {title}. Add it to my list[, {priority}]."],
        result=lambda a, c: {"item_id": f"todo_{c.rng.randint(100, 999)}", "title": a["title"], "priority": a.get("priority", "medium")},
        answer_zh=["已添加待办“{title}”（编号{item_id}）。"], answer_en=["Added \"{title}\" to your list (id {item_id})."],
        overlap=("reminders.create",),
    ),
    Tool(
        "timer.start", "reminders", "Start a countdown timer.",
        ("开始倒计时", "start a countdown timer"),
        [P("minutes", "integer", "Length in minutes.", V.s_int(1, 90), label=("分钟数", "minutes"), minimum=1),
         P("label", "string", "Name shown when it rings.", V.s_choice(TIMER_LABELS_ZH, TIMER_LABELS_EN), req=False, label=("标签", "label"))],
        zh=["~定个{minutes}分钟的计时器[，名字叫{label}]", "~倒计时{minutes}分钟[，标签写{label}]", "~开一个{minutes}分钟的定时器[用来{label}]",
            "[{label}，]{minutes}分钟后叫我。", "~帮我计时{minutes}分钟[，{label}用]", "~设置{minutes}分钟倒计时"],
        en=["~set a timer for {minutes} minutes[ called {label}]", "~start a {minutes}-minute countdown[ labeled {label}]",
            "~time {minutes} minutes for me[ for the {label}]", "Ping me in {minutes} minutes[, it's for the {label}].",
            "~start a {minutes} minute timer", "~count down {minutes} minutes[ ({label})]"],
        result=lambda a, c: {"timer_id": f"tmr_{c.rng.randint(100, 999)}", "minutes": a["minutes"]},
        answer_zh=["{minutes}分钟倒计时已开始。"], answer_en=["Your {minutes}-minute timer is running."],
        overlap=("reminders.create",),
    ),
]

# --------------------------------------------------------------------------- music

GENRE = V.enum_sampler({"jazz": (["爵士"], ["jazz"]), "classical": (["古典音乐", "古典"], ["classical"]), "rock": (["摇滚"], ["rock"]),
                        "folk": (["民谣"], ["folk"]), "pop": (["流行音乐", "流行歌"], ["pop"]), "electronic": (["电子音乐"], ["electronic"]),
                        "hiphop": (["嘻哈", "说唱"], ["hip hop", "rap"])})


def s_music_query(c: Ctx):
    artist, song = c.rng.choice(V.SONGS if c.zh else V.SONGS_EN)
    k = c.rng.random()
    v = song if k < 0.45 else artist if k < 0.7 else (f"{artist} {song}")
    return v, v


def r_tracks(a, c):
    pool = V.SONGS if c.zh else V.SONGS_EN
    hits = [p for p in pool if p[0] in a["query"] or p[1] in a["query"]] or [c.rng.choice(pool)]
    hits = hits[:2]
    return {"tracks": [{"track_id": f"trk_{c.rng.randint(10000, 99999)}", "title": s, "artist": ar} for ar, s in hits]}


MUSIC = [
    Tool(
        "music.search_tracks", "music", "Search the music library; returns tracks with ids.",
        ("搜索歌曲", "search for songs"),
        [P("query", "string", "Song title, artist or both.", s_music_query, label=("歌名或歌手", "song or artist")),
         P("limit", "integer", "Maximum results.", V.s_int(3, 10), req=False, label=("数量", "number of results"))],
        zh=["~搜一下{query}", "~在曲库里找找{query}", "曲库里有{query}吗？", "~帮我查一下{query}[，列{limit}首]",
            "~搜索{query}", "能搜到{query}吗？"],
        en=["~search for {query}", "~look up {query} in the music library", "Do you have {query}?",
            "~find tracks matching {query}[, top {limit}]", "~search songs for {query}", "Is {query} in the library?"],
        result=r_tracks,
        answer_zh=[lambda a, s, r, c: "找到：" + "；".join(f"{t['artist']}《{t['title']}》（{t['track_id']}）" for t in r["tracks"]) + "。"],
        answer_en=[lambda a, s, r, c: "Found: " + "; ".join(f"\"{t['title']}\" by {t['artist']} ({t['track_id']})" for t in r["tracks"]) + "."],
    ),
    Tool(
        "music.play_track", "music", "Play a track by its id.",
        ("播放指定歌曲", "play a track"),
        [P("track_id", "string", "Track id, e.g. trk_12345.", V.s_code("trk_", 5), label=("曲目编号", "track id")),
         P("shuffle_after", "boolean", "Keep playing similar songs in shuffle afterwards.",
           V.flag(["放完之后随机播放相似的歌", "之后接着随机播"], ["then shuffle similar songs", "keep shuffling after it"]),
           req=False, label=("是否随后随机播放", "shuffle afterwards"))],
        zh=["~播放{track_id}[，{shuffle_after}]", "~放一下曲目{track_id}", "~帮我播{track_id}这首[，{shuffle_after}]", "~开始播放{track_id}",
            "~把{track_id}放出来听听", "~来首{track_id}[，{shuffle_after}]"],
        en=["~play {track_id}[ and {shuffle_after}]", "~start track {track_id}", "~put on {track_id}[, {shuffle_after}]",
            "~play track id {track_id}", "~queue up {track_id} and play it", "~spin {track_id}[, {shuffle_after}]"],
        result=lambda a, c: {"now_playing": a["track_id"], "status": "playing"},
        answer_zh=["正在播放{now_playing}。"], answer_en=["Now playing {now_playing}."],
    ),
    Tool(
        "music.set_volume", "music", "Set the playback volume (0-100).",
        ("调节音量", "set the volume"),
        [P("level", "integer", "Volume level 0-100.", V.s_int(0, 100), label=("音量", "volume level"), minimum=0, maximum=100)],
        zh=["~把音量调到{level}", "音量设成{level}。", "~声音调到{level}%", "太吵了，音量改成{level}吧。", "~音量开到{level}", "~调一下音量，{level}就行"],
        en=["~set the volume to {level}", "Volume {level}, please.", "~turn the volume to {level}%", "It's too loud. Make it {level}.",
            "~change the volume to {level}", "~put the volume at {level}"],
        result=lambda a, c: {"volume": a["level"]},
        answer_zh=["音量已调到{volume}。"], answer_en=["Volume set to {volume}."],
    ),
    Tool(
        "music.play_genre", "music", "Start a radio station of a music genre.",
        ("播放某种风格的音乐", "play music of a genre"),
        [P("genre", "string", "Genre.", GENRE, label=("音乐风格", "genre"))],
        zh=["~来点{genre}", "~放点{genre}听听", "想听{genre}了。", "~播放{genre}电台", "~给我放一些{genre}风格的歌", "有{genre}吗？放一点。"],
        en=["~play some {genre}", "~put on {genre} music", "I'm in the mood for {genre}.", "~start a {genre} station",
            "~play me {genre} songs", "Got any {genre}? Put it on."],
        result=lambda a, c: {"station": f"{a['genre']} radio", "status": "playing"},
        answer_zh=["已开始播放{station}。"], answer_en=["Playing {station}."],
    ),
]

# --------------------------------------------------------------------------- shopping

SORT_PRODUCTS = V.enum_sampler({"price_asc": (["价格从低到高", "便宜的排前面"], ["cheapest first", "price low to high"]),
                                "price_desc": (["价格从高到低"], ["most expensive first", "price high to low"]),
                                "rating": (["按评分排序", "好评优先"], ["best rated first", "by rating"]),
                                "sales": (["按销量排序", "销量优先"], ["best sellers first", "by sales"])}, verbatim_en=False)


def s_price_range(c: Ctx):
    lo = c.rng.choice([0, 50, 100, 200, 300, 500, 1000])
    hi = lo + c.rng.choice([100, 200, 300, 500, 1000, 2000])
    if c.zh:
        return c.rng.choice([f"{lo}到{hi}元之间", f"{lo}-{hi}元", f"在{lo}元到{hi}元之间"]), {"min": lo, "max": hi}
    return c.rng.choice([f"between ${lo} and ${hi}", f"${lo}-${hi}", f"from {lo} to {hi} dollars"]), {"min": lo, "max": hi}


def r_products(a, c):
    lo, hi = 10, 3000
    if "price_range" in a:
        lo, hi = a["price_range"]["min"], a["price_range"]["max"]
    items = []
    for _ in range(3):
        items.append({"product_id": f"P{c.rng.randint(100000, 999999)}", "name": f"{a['keyword']} {c.rng.choice(['Pro', 'Lite', 'X', 'Max', 'S'])}",
                      "price": round(c.rng.uniform(max(lo, 1), hi), 2), "rating": round(c.rng.uniform(3.8, 4.9), 1)})
    return {"keyword": a["keyword"], "products": items}


def a_products(a, s, r, c):
    if c.zh:
        return "找到这些商品：" + "；".join(f"{p['name']}，{p['price']}元，评分{p['rating']}" for p in r["products"]) + "。"
    return "Here are some options: " + "; ".join(f"{p['name']} at ${p['price']} (rated {p['rating']})" for p in r["products"]) + "."


SHOPPING = [
    Tool(
        "shop.search_products", "shopping", "Search the store's products.",
        ("搜索商品", "search for products"),
        [P("keyword", "string", "What to look for.", V.s_choice(V.PRODUCTS_ZH, V.PRODUCTS_EN), label=("商品关键词", "product keyword")),
         P("price_range", "object", "Price range.", s_price_range, req=False, label=("价格区间", "price range"),
           properties={"min": {"type": "number", "description": "Lowest price."}, "max": {"type": "number", "description": "Highest price."}},
           required=["min", "max"]),
         P("sort_by", "string", "Sort order.", SORT_PRODUCTS, req=False, label=("排序方式", "sort order"))],
        zh=["~帮我搜一下{keyword}[，价格{price_range}][，{sort_by}]", "有没有好一点的{keyword}推荐？[预算{price_range}。]",
            "~找找{keyword}[，{sort_by}]", "~在商城里搜{keyword}[，价位{price_range}]", "我想买个{keyword}[，{price_range}]，有哪些？",
            "~查一下{keyword}的商品[，按{sort_by}]"],
        en=["~search for {keyword}[ priced {price_range}][, {sort_by}]", "Any good {keyword} you can recommend?[ Budget is {price_range}.]",
            "~find {keyword}[ sorted {sort_by}]", "~look up {keyword} in the store[ {price_range}]",
            "I want to buy a {keyword}[ {price_range}]. What's available?", "~show me {keyword} options[, {sort_by}]"],
        result=r_products, answer_zh=[a_products], answer_en=[a_products],
    ),
    Tool(
        "shop.add_to_cart", "shopping", "Add a product to the shopping cart.",
        ("把商品加入购物车", "add a product to the cart"),
        [P("product_id", "string", "Product id, e.g. P123456.", V.s_code("P", 6), label=("商品编号", "product id")),
         P("quantity", "integer", "How many (default 1).", V.s_int(1, 5), req=False, label=("数量", "quantity"), minimum=1)],
        zh=["~把{product_id}加入购物车[，买{quantity}件]", "~帮我把商品{product_id}放进购物车[，{quantity}个]", "~加购{product_id}[，数量{quantity}]",
            "{product_id}这个我要了[，来{quantity}件]，加到购物车。", "~购物车里添加{product_id}", "~把编号{product_id}的商品加购物车"],
        en=["~add {product_id} to my cart[, quantity {quantity}]", "~put product {product_id} in the cart[ ({quantity} of them)]",
            "~add[ {quantity} of] {product_id} to the basket", "I'll take {product_id}[, {quantity} units]. Add it to my cart.",
            "~place {product_id} in my shopping cart", "~cart item {product_id}"],
        result=lambda a, c: {"product_id": a["product_id"], "quantity": a.get("quantity", 1), "cart_items": c.rng.randint(1, 6)},
        answer_zh=["已将{product_id}×{quantity}加入购物车，购物车里现在有{cart_items}件商品。"],
        answer_en=["Added {quantity} × {product_id}; your cart now has {cart_items} item(s)."],
    ),
    Tool(
        "shop.track_order", "shopping", "Shipping status of an order.",
        ("查询订单物流", "track an order"),
        [P("order_id", "string", "Order number.", V.s_code("SO", 10), label=("订单号", "order number"))],
        zh=["订单{order_id}到哪了？", "~查一下{order_id}的物流", "~帮我跟踪订单{order_id}", "{order_id}这个订单发货了吗？",
            "~看看订单号{order_id}的配送进度", "我的快递{order_id}什么时候到？"],
        en=["Where is order {order_id}?", "~track order {order_id}", "~check the shipping status of {order_id}",
            "Has order {order_id} shipped yet?", "~look up delivery progress for {order_id}", "When will my order {order_id} arrive?"],
        result=lambda a, c: {"order_id": a["order_id"], "status": c.rng.choice(["运输中", "已签收", "派送中"] if c.zh else ["in transit", "delivered", "out for delivery"]),
                             "eta": (c.today + dt.timedelta(days=c.rng.randint(0, 4))).isoformat()},
        answer_zh=["订单{order_id}当前状态：{status}，预计{eta}送达。"], answer_en=["Order {order_id} is {status}; expected {eta}."],
    ),
]

# --------------------------------------------------------------------------- travel

CABIN = V.enum_sampler({"economy": (["经济舱"], ["economy"]), "business": (["商务舱"], ["business class", "business"]),
                        "first": (["头等舱"], ["first class"])})
SEAT = V.enum_sampler({"second": (["二等座"], ["second class"]), "first": (["一等座"], ["first class"]),
                       "business": (["商务座"], ["business seat"]), "sleeper": (["卧铺"], ["sleeper"])}, verbatim_en=False)
AIRLINES = ["CA", "MU", "CZ", "HU", "UA", "BA", "NH", "SQ", "LH"]


def _flight_joint(c: Ctx):
    return two_cities_places(c, "origin", "destination")


def two_cities_places(c: Ctx, a: str, b: str):
    pool = V.CITIES_ZH if c.zh else V.CITIES_EN
    x, y = c.rng.sample(pool, 2)
    return {a: (x, x), b: (y, y)}


def _train_joint(c: Ctx):
    pool = V.CITIES_ZH[:48] if c.zh else V.CITIES_CN_EN
    x, y = c.rng.sample(pool, 2)
    return {"from_city": (x, x), "to_city": (y, y)}


def r_flights(a, c):
    fl = []
    for _ in range(3):
        dep = f"{c.rng.randint(6, 21):02d}:{c.rng.choice(['00', '15', '30', '45'])}"
        fl.append({"flight_id": f"{c.rng.choice(AIRLINES)}{c.rng.randint(100, 9999)}", "depart": dep,
                   "price": c.rng.randint(380, 6800)})
    fl.sort(key=lambda f: f["depart"])
    return {"origin": a["origin"], "destination": a["destination"], "date": a["date"], "flights": fl}


def a_flights(a, s, r, c):
    if c.zh:
        return f"{r['origin']}到{r['destination']}有这些航班：" + "；".join(f"{f['flight_id']}，{f['depart']}起飞，{f['price']}元" for f in r["flights"]) + "。"
    return f"Flights from {r['origin']} to {r['destination']}: " + "; ".join(f"{f['flight_id']} at {f['depart']}, ${f['price']}" for f in r["flights"]) + "."


def s_guests(c: Ctx):
    adults, kids = c.rng.randint(1, 4), c.rng.choice([0, 0, 1, 2])
    if c.zh:
        s = f"{adults}个大人" + (f"{kids}个小孩" if kids else "")
    else:
        s = f"{adults} adults" + (f" and {kids} kids" if kids else "")
    out = {"adults": adults}
    if kids:
        out["children"] = kids
    return s, out


def _stay_joint(c: Ctx):
    (s1, v1), (s2, v2) = V.date_range(c, min_gap=1, max_gap=6)
    return {"check_in": (s1, v1), "check_out": (s2, v2)}


def r_hotels(a, c):
    hs = []
    for _ in range(3):
        hs.append({"hotel_id": f"H{c.rng.randint(10000, 99999)}",
                   "name": c.rng.choice(["全季酒店", "亚朵酒店", "希尔顿欢朋", "如家精选", "万豪酒店"] if c.zh
                                        else ["Hilton Garden Inn", "Ibis", "Marriott", "Holiday Inn", "The Hoxton"]),
                   "price_per_night": c.rng.randint(220, 1600)})
    return {"city": a["city"], "hotels": hs}


TRAVEL = [
    Tool(
        "travel.search_flights", "travel", "Search flights between two cities on a date.",
        ("搜索航班", "search for flights"),
        [P("origin", "string", "Departure city.", None, label=("出发城市", "departure city")),
         P("destination", "string", "Arrival city.", None, label=("到达城市", "arrival city")),
         P("date", "string", "Departure date, YYYY-MM-DD.", s_date_within(1, 60), label=("出发日期", "date"), format="date"),
         P("cabin", "string", "Cabin class (default economy).", CABIN, req=False, label=("舱位", "cabin class")),
         P("passengers", "integer", "Number of passengers (default 1).", V.s_int(1, 4), req=False, label=("乘客人数", "passengers"), minimum=1)],
        zh=["~查一下{date}从{origin}飞{destination}的航班[，{cabin}]", "{date}{origin}到{destination}有哪些航班？",
            "~帮我搜{origin}去{destination}的机票，{date}出发[，{passengers}个人]", "~看看{date}{origin}飞往{destination}的[{cabin}]机票",
            "我{date}要从{origin}去{destination}[，{passengers}位乘客]，有什么航班？", "~搜索{origin}→{destination}的航班，日期{date}[，{cabin}]"],
        en=["~find flights from {origin} to {destination} {date}[ in {cabin}]", "What flights go from {origin} to {destination} {date}?",
            "~search for plane tickets {origin} to {destination}, leaving {date}[, {passengers} passengers]",
            "~look up[ {cabin}] flights from {origin} to {destination} {date}",
            "I need to fly from {origin} to {destination} {date}[ with {passengers} people]. What are my options?",
            "~check flights {origin} -> {destination} {date}"],
        result=r_flights, answer_zh=[a_flights], answer_en=[a_flights],
        joint=_flight_joint,
    ),
    Tool(
        "travel.book_flight", "travel", "Book a seat on a flight by flight id.",
        ("预订机票", "book a flight"),
        [P("flight_id", "string", "Flight id from a search, e.g. CA1831.", V.s_code("", 4, "CAMUCZHUNHBA"), label=("航班号", "flight id")),
         P("passenger_name", "string", "Passenger's full name.", V.s_person, label=("乘客姓名", "passenger name"))],
        zh=["~帮{passenger_name}订{flight_id}这个航班", "~预订航班{flight_id}，乘客{passenger_name}", "~给{passenger_name}买一张{flight_id}的机票",
            "{flight_id}帮我订一下，乘机人是{passenger_name}。", "~订{flight_id}，名字写{passenger_name}", "~为{passenger_name}预约{flight_id}航班的座位"],
        en=["~book flight {flight_id} for {passenger_name}", "~reserve a seat on {flight_id} for {passenger_name}",
            "~buy a ticket on {flight_id} in the name of {passenger_name}", "Please book {flight_id}; the passenger is {passenger_name}.",
            "~get {passenger_name} on flight {flight_id}", "~book {flight_id} under {passenger_name}"],
        result=lambda a, c: {"booking_ref": "".join(c.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)),
                             "flight_id": a["flight_id"], "passenger": a["passenger_name"], "status": "confirmed"},
        answer_zh=["已为{passenger}订好{flight_id}，订单号{booking_ref}。"], answer_en=["{passenger} is booked on {flight_id}; reference {booking_ref}."],
    ),
    Tool(
        "travel.search_hotels", "travel", "Search hotels in a city for a stay.",
        ("搜索酒店", "search for hotels"),
        [P("city", "string", "City.", V.s_city, label=("城市", "city")),
         P("check_in", "string", "Check-in date, YYYY-MM-DD.", None, label=("入住日期", "check-in date"), format="date"),
         P("check_out", "string", "Check-out date, YYYY-MM-DD.", None, label=("退房日期", "check-out date"), format="date"),
         P("guests", "object", "Who is staying.", s_guests, req=False, label=("入住人数", "guests"),
           properties={"adults": {"type": "integer", "minimum": 1}, "children": {"type": "integer", "minimum": 0}}, required=["adults"])],
        zh=["~帮我找{city}的酒店，{check_in}入住，{check_out}退房[，{guests}]", "{city}{check_in}到{check_out}有什么酒店？",
            "~搜一下{city}的住宿，{check_in}住到{check_out}[，{guests}]", "~订房前先看看{city}的酒店：入住{check_in}，离店{check_out}",
            "我{check_in}到{check_out}在{city}[，{guests}]，住哪好？", "~查{city}酒店，日期{check_in}至{check_out}"],
        en=["~find hotels in {city} from {check_in} to {check_out}[ for {guests}]", "What hotels are available in {city}, {check_in} to {check_out}?",
            "~search for a place to stay in {city}, checking in {check_in} and out {check_out}[, {guests}]",
            "~look up hotels in {city} for {check_in} through {check_out}", "I'll be in {city} from {check_in} to {check_out}[ with {guests}]. Where can I stay?",
            "~check hotel availability in {city}: {check_in} - {check_out}"],
        result=r_hotels,
        answer_zh=[lambda a, s, r, c: f"{r['city']}可选的酒店：" + "；".join(f"{h['name']}（{h['hotel_id']}），每晚{h['price_per_night']}元" for h in r["hotels"]) + "。"],
        answer_en=[lambda a, s, r, c: f"Hotels in {r['city']}: " + "; ".join(f"{h['name']} ({h['hotel_id']}), ${h['price_per_night']}/night" for h in r["hotels"]) + "."],
        joint=_stay_joint,
    ),
    Tool(
        "travel.book_hotel", "travel", "Book a hotel room by hotel id.",
        ("预订酒店", "book a hotel room"),
        [P("hotel_id", "string", "Hotel id from a search, e.g. H12345.", V.s_code("H", 5), label=("酒店编号", "hotel id")),
         P("guest_name", "string", "Name for the booking.", V.s_person, label=("入住人姓名", "guest name")),
         P("check_in", "string", "Check-in date, YYYY-MM-DD.", None, label=("入住日期", "check-in date"), format="date"),
         P("check_out", "string", "Check-out date, YYYY-MM-DD.", None, label=("退房日期", "check-out date"), format="date")],
        zh=["~帮{guest_name}订{hotel_id}，{check_in}入住，{check_out}退房", "~预订酒店{hotel_id}，入住人{guest_name}，{check_in}到{check_out}",
            "{hotel_id}这家帮我订上，{check_in}住到{check_out}，名字写{guest_name}。", "~以{guest_name}的名义订{hotel_id}，{check_in}至{check_out}",
            "~订一间{hotel_id}的房，{check_in}入住{check_out}离店，客人{guest_name}", "~给{guest_name}在{hotel_id}订房：{check_in}-{check_out}"],
        en=["~book {hotel_id} for {guest_name} from {check_in} to {check_out}", "~reserve a room at {hotel_id} under {guest_name}, {check_in} to {check_out}",
            "Please book {hotel_id} for {check_in} through {check_out}; the guest is {guest_name}.",
            "~make a reservation at {hotel_id} for {guest_name}, checking in {check_in}, out {check_out}",
            "~get {guest_name} a room at {hotel_id} from {check_in} until {check_out}", "~book hotel {hotel_id}: {guest_name}, {check_in} - {check_out}"],
        result=lambda a, c: {"confirmation": f"HB{c.rng.randint(100000, 999999)}", "hotel_id": a["hotel_id"], "guest": a["guest_name"]},
        answer_zh=["已为{guest}预订{hotel_id}，确认号{confirmation}。"], answer_en=["Booked {hotel_id} for {guest}; confirmation {confirmation}."],
        joint=_stay_joint,
    ),
    Tool(
        "travel.train_tickets", "travel", "Search train tickets between two cities in China on a date.",
        ("查询火车票", "search train tickets"),
        [P("from_city", "string", "Departure city.", None, label=("出发城市", "departure city")),
         P("to_city", "string", "Arrival city.", None, label=("到达城市", "arrival city")),
         P("date", "string", "Travel date, YYYY-MM-DD.", s_date_within(0, 30), label=("出发日期", "date"), format="date"),
         P("seat_class", "string", "Seat class.", SEAT, req=False, label=("座位类型", "seat class"))],
        zh=["~查一下{date}{from_city}到{to_city}的高铁票[，{seat_class}]", "{date}从{from_city}去{to_city}还有火车票吗？",
            "~帮我看看{from_city}到{to_city}{date}的车次[，要{seat_class}]", "~搜索{date}{from_city}→{to_city}的火车[{seat_class}]",
            "我{date}要坐火车从{from_city}回{to_city}，有哪些车？", "~查{from_city}至{to_city}的动车，{date}出发[，{seat_class}]"],
        en=["~find trains from {from_city} to {to_city} {date}[ in {seat_class}]", "Are there train tickets from {from_city} to {to_city} {date}?",
            "~search high-speed rail {from_city} to {to_city} {date}[, {seat_class}]", "~check {date} trains between {from_city} and {to_city}",
            "I'm taking the train from {from_city} to {to_city} {date}. What are the options?", "~look up rail tickets {from_city} -> {to_city} {date}"],
        result=lambda a, c: {"trains": [{"train_no": f"{c.rng.choice('GDK')}{c.rng.randint(10, 2999)}", "depart": f"{c.rng.randint(6, 20):02d}:{c.rng.choice(['05', '30', '48'])}",
                                         "seats_left": c.rng.randint(0, 120)} for _ in range(2)]},
        answer_zh=[lambda a, s, r, c: "有这些车次：" + "；".join(f"{t['train_no']}，{t['depart']}发车，余票{t['seats_left']}张" for t in r["trains"]) + "。"],
        answer_en=[lambda a, s, r, c: "Trains: " + "; ".join(f"{t['train_no']} at {t['depart']}, {t['seats_left']} seats left" for t in r["trains"]) + "."],
        joint=_train_joint,
    ),
]

# --------------------------------------------------------------------------- smart home

POWER = V.enum_sampler({"on": (["打开", "开一下"], ["turn on", "switch on"]), "off": (["关掉", "关上"], ["turn off", "switch off"])},
                       verbatim_en=False)
THERMO_MODE = V.enum_sampler({"heat": (["制热"], ["heating", "heat"]), "cool": (["制冷"], ["cooling", "cool"]), "auto": (["自动模式"], ["auto mode"])},
                             verbatim_en=False)
DOOR = V.enum_sampler({"front": (["大门", "前门"], ["front door"]), "back": (["后门"], ["back door"]), "garage": (["车库门"], ["garage door"])},
                      verbatim_en=False)
s_room = V.s_pair(V.ROOMS)


def r_devices(a, c):
    room = a.get("room")
    devs = []
    for zh, en in c.rng.sample(V.DEVICES, 3):
        devs.append({"device_id": f"dev_{c.rng.randint(100, 999)}", "name": zh if c.zh else en,
                     "state": c.rng.choice(["on", "off"])})
    return {"room": room or ("全屋" if c.zh else "all rooms"), "devices": devs}


HOME = [
    Tool(
        "home.set_lights", "smart_home", "Turn the lights of a room on or off.",
        ("开关房间的灯", "turn room lights on or off"),
        [P("room", "string", "Room name.", s_room, label=("房间", "room")),
         P("power", "string", "on or off.", POWER, label=("开关", "on or off"))],
        zh=["~把{room}的灯{power}", "~{power}{room}的灯", "{room}的灯帮我{power}。", "~{power}一下{room}灯", "~帮我把{room}灯{power}吧",
            "麻烦把{room}的灯{power}。"],
        en=["~{power} the lights in the {room}", "~{power} the {room} lights", "Please {power} the {room} light.",
            "Could you {power} the lights in the {room}?", "~{power} the light in my {room}", "Hey, {power} the {room} lights real quick."],
        result=lambda a, c: {"room": a["room"], "power": a["power"], "ok": True},
        answer_zh=["{room}的灯已{power}。"], answer_en=["The {room} lights are {power}."],
        overlap=("home.switch_device",),
    ),
    Tool(
        "home.dim_lights", "smart_home", "Set the brightness of a room's lights in percent.",
        ("调节灯光亮度", "set light brightness"),
        [P("room", "string", "Room name.", s_room, label=("房间", "room")),
         P("brightness", "integer", "Brightness 1-100 %.", V.s_int(5, 100), label=("亮度", "brightness"), minimum=1, maximum=100)],
        zh=["~把{room}的灯调到{brightness}%亮度", "{room}灯光亮度设成{brightness}。", "~把{room}的灯调暗到{brightness}%", "~{room}亮度调成{brightness}",
            "看电影了，{room}灯光调到{brightness}%。", "~设置{room}灯的亮度为{brightness}"],
        en=["~set the {room} lights to {brightness}%", "~dim the {room} to {brightness} percent", "{room} brightness {brightness}, please.",
            "~adjust the lights in the {room} to {brightness}%", "Movie time: set the {room} lights to {brightness}%.",
            "~change the {room} light level to {brightness}"],
        result=lambda a, c: {"room": a["room"], "brightness": a["brightness"]},
        answer_zh=["{room}灯光已调到{brightness}%。"], answer_en=["{room} lights set to {brightness}%."],
    ),
    Tool(
        "home.set_thermostat", "smart_home", "Set the target temperature (°C) and mode of the thermostat / air conditioner.",
        ("设置空调温度", "set the thermostat"),
        [P("temperature", "number", "Target temperature in °C.", V.s_int(16, 30), label=("目标温度", "target temperature"), minimum=10, maximum=32),
         P("mode", "string", "Mode.", THERMO_MODE, req=False, label=("模式", "mode"))],
        zh=["~把空调调到{temperature}度[，{mode}]", "~温度设成{temperature}℃[，开{mode}]", "空调开到{temperature}度[，{mode}]吧。",
            "~把室温调到{temperature}度", "~空调{temperature}度[，{mode}]", "~帮我把恒温器设为{temperature}度[，{mode}]"],
        en=["~set the thermostat to {temperature} degrees[ on {mode}]", "~make it {temperature}°C in here[, {mode}]",
            "It's chilly in here. Set the thermostat to {temperature}[, {mode}].", "~change the AC to {temperature} degrees[ and {mode}]",
            "~put the temperature at {temperature}", "~adjust the thermostat to {temperature}°C[ ({mode})]"],
        result=lambda a, c: {"target": a["temperature"], "mode": a.get("mode", "auto"), "current": c.rng.randint(14, 31)},
        answer_zh=["空调已设为{target}度（{mode}），当前室温{current}度。"], answer_en=["Thermostat set to {target}°C ({mode}); it's {current}°C now."],
    ),
    Tool(
        "home.lock_door", "smart_home", "Lock or unlock a smart door lock.",
        ("锁门或开锁", "lock or unlock a door"),
        [P("door", "string", "Which door.", DOOR, label=("门", "door")),
         P("locked", "boolean", "true to lock, false to unlock.", V.flag(["锁上", "锁好"], ["lock"], ["解锁", "打开锁"], ["unlock"], p_true=0.6),
           label=("上锁还是解锁", "lock or unlock"))],
        zh=["~把{door}{locked}", "{door}{locked}了吗？帮我{locked}。", "~帮我{locked}{door}", "出门忘了，远程把{door}{locked}。",
            "{door}帮我{locked}吧。", "~远程把{door}{locked}"],
        en=["~{locked} the {door}", "Please {locked} the {door}.", "I forgot: {locked} the {door} remotely.", "Can you {locked} the {door}?",
            "~go ahead and {locked} the {door}", "~remotely {locked} the {door}"],
        result=lambda a, c: {"door": a["door"], "locked": a["locked"]},
        answer_zh=[lambda a, s, r, c: f"{s['door']}已{'上锁' if r['locked'] else '解锁'}。"],
        answer_en=[lambda a, s, r, c: f"The {s['door']} is now {'locked' if r['locked'] else 'unlocked'}."],
    ),
    Tool(
        "home.list_devices", "smart_home", "List the smart devices (id, name, state), optionally in one room.",
        ("列出智能设备", "list smart home devices"),
        [P("room", "string", "Only this room.", s_room, req=False, label=("房间", "room"))],
        zh=["~看看[{room}]有哪些智能设备", "家里[{room}]的设备都开着吗？", "~列出[{room}的]所有设备", "~查一下[{room}]设备的状态",
            "~显示[{room}]智能家居设备列表", "[{room}]现在有什么电器在运行？"],
        en=["~show the smart devices[ in the {room}]", "Which devices are on[ in the {room}]?", "~list all devices[ in the {room}]",
            "~check device status[ in the {room}]", "~give me the smart home device list[ for the {room}]", "What's running[ in the {room}] right now?"],
        result=r_devices,
        answer_zh=[lambda a, s, r, c: "设备状态：" + "；".join(f"{d['name']}（{d['device_id']}）{'开' if d['state'] == 'on' else '关'}" for d in r["devices"]) + "。"],
        answer_en=[lambda a, s, r, c: "Devices: " + "; ".join(f"{d['name']} ({d['device_id']}) is {d['state']}" for d in r["devices"]) + "."],
    ),
    Tool(
        "home.switch_device", "smart_home", "Switch a smart device on or off by its device id.",
        ("开关智能设备", "switch a smart device on or off"),
        [P("device_id", "string", "Device id, e.g. dev_123.", V.s_code("dev_", 3), label=("设备编号", "device id")),
         P("on", "boolean", "true = on, false = off.", V.flag(["打开", "开启"], ["turn on", "switch on"], ["关闭", "关掉"], ["turn off", "switch off"],
                                                              p_true=0.5), label=("开还是关", "on or off"))],
        zh=["~{on}设备{device_id}", "~把{device_id}{on}", "{device_id}帮我{on}。", "~{on}编号{device_id}的设备", "~远程{on}{device_id}",
            "~把设备{device_id}给{on}"],
        en=["~{on} device {device_id}", "Please {on} {device_id}.", "~{on} the device with id {device_id}", "Can you {on} {device_id}?",
            "~remotely {on} {device_id}", "~go ahead and {on} {device_id}"],
        result=lambda a, c: {"device_id": a["device_id"], "state": "on" if a["on"] else "off"},
        answer_zh=[lambda a, s, r, c: f"设备{r['device_id']}已{'打开' if r['state'] == 'on' else '关闭'}。"],
        answer_en=[lambda a, s, r, c: f"Device {r['device_id']} is now {r['state']}."],
        overlap=("home.set_lights",),
    ),
]

# --------------------------------------------------------------------------- food

PRICE_LEVEL = V.enum_sampler({"cheap": (["便宜的", "实惠的"], ["cheap", "budget"]), "moderate": (["价格适中的", "人均适中的"], ["mid-range", "moderately priced"]),
                              "expensive": (["高档的", "贵一点的"], ["upscale", "fancy"])}, verbatim_en=False)


def r_restaurants(a, c):
    rs = []
    for _ in range(3):
        rs.append({"restaurant_id": f"R{c.rng.randint(1000, 9999)}",
                   "name": c.rng.choice(["老街", "小馆", "食堂", "海记", "阿婆家"] if c.zh else ["The Corner", "Blue Door", "Golden Spoon", "Luna", "Olive"]) +
                   (a["cuisine"] if c.zh else f" {a['cuisine']}"),
                   "rating": round(c.rng.uniform(3.9, 4.9), 1), "avg_price": c.rng.randint(40, 400)})
    return {"city": a["city"], "restaurants": rs}


FOOD = [
    Tool(
        "dining.find_restaurants", "food", "Find restaurants in a city by cuisine.",
        ("查找餐厅", "find restaurants"),
        [P("city", "string", "City.", V.s_city, label=("城市", "city")),
         P("cuisine", "string", "Cuisine, e.g. 川菜 or Italian.", V.s_pair(V.CUISINES), label=("菜系", "cuisine")),
         P("price_level", "string", "Price level.", PRICE_LEVEL, req=False, label=("价位", "price level"))],
        zh=["{city}有什么好吃的{cuisine}？", "~推荐几家{city}的[{price_level}]{cuisine}餐厅", "~在{city}找一家{cuisine}馆子[，要{price_level}]",
            "~搜一下{city}的{cuisine}", "今晚在{city}想吃{cuisine}，[找{price_level}，]有推荐吗？", "~帮我找{city}评分高的[{price_level}]{cuisine}店"],
        en=["What are some good {cuisine} restaurants in {city}?", "~recommend[ {price_level}] {cuisine} places in {city}",
            "~find a {cuisine} restaurant in {city}[, something {price_level}]", "~search for {cuisine} food in {city}",
            "I'm craving {cuisine} tonight in {city}. Any[ {price_level}] suggestions?", "~look up top-rated {cuisine} spots in {city}"],
        result=r_restaurants,
        answer_zh=[lambda a, s, r, c: "推荐：" + "；".join(f"{x['name']}（{x['restaurant_id']}），评分{x['rating']}，人均{x['avg_price']}元" for x in r["restaurants"]) + "。"],
        answer_en=[lambda a, s, r, c: "Options: " + "; ".join(f"{x['name']} ({x['restaurant_id']}), {x['rating']} stars, about ${x['avg_price']} per person" for x in r["restaurants"]) + "."],
    ),
    Tool(
        "dining.book_table", "food", "Reserve a table at a restaurant by id.",
        ("预订餐厅座位", "reserve a restaurant table"),
        [P("restaurant_id", "string", "Restaurant id, e.g. R1234.", V.s_code("R", 4), label=("餐厅编号", "restaurant id")),
         P("date", "string", "Day, YYYY-MM-DD.", s_date_within(0, 14), label=("日期", "date"), format="date"),
         P("time", "string", "Time, HH:MM.", V.s_time, label=("时间", "time")),
         P("party_size", "integer", "Number of people.", V.s_int(1, 10), label=("人数", "party size"), minimum=1)],
        zh=["~在{restaurant_id}订个位，{date}{time}，{party_size}个人", "~帮我预订餐厅{restaurant_id}：{date}{time}，{party_size}位",
            "{date}{time}想在{restaurant_id}吃饭，{party_size}个人，帮我订座。", "~订{restaurant_id}的桌子，{party_size}人，{date}{time}",
            "~预约{restaurant_id}，时间{date}{time}，人数{party_size}", "~给我在{restaurant_id}留一张{party_size}人桌，{date}{time}"],
        en=["~book a table at {restaurant_id} {date} at {time} for {party_size}", "~reserve {restaurant_id} for {party_size} people {date} at {time}",
            "I'd like a table for {party_size} at {restaurant_id} {date} at {time}.", "~make a reservation at {restaurant_id}: {party_size} guests, {date}, {time}",
            "~get us a table for {party_size} at {restaurant_id} {date} at {time}", "~book {restaurant_id} {date} at {time}, party of {party_size}"],
        result=lambda a, c: {"reservation_id": f"RV{c.rng.randint(10000, 99999)}", "restaurant_id": a["restaurant_id"], "party_size": a["party_size"]},
        answer_zh=["订好了：{restaurant_id}，{date} {time}，{party_size}位，预订号{reservation_id}。"],
        answer_en=["Booked {restaurant_id} {date} at {time} for {party_size} (reservation {reservation_id})."],
    ),
    Tool(
        "recipes.search", "food", "Find recipes that use the given ingredients.",
        ("按食材找菜谱", "find recipes by ingredients"),
        [P("ingredients", "array", "Ingredients to use.", V.s_words_list(V.INGREDIENTS, 1, 3), label=("食材", "ingredients"),
           items={"type": "string"}, minItems=1),
         P("max_minutes", "integer", "Maximum cooking time in minutes.", V.s_choice([15, 20, 30, 45, 60]), req=False,
           label=("最长烹饪时间（分钟）", "maximum cooking time in minutes"))],
        zh=["家里有{ingredients}，能做什么菜？", "~用{ingredients}找几个菜谱[，{max_minutes}分钟内能做完的]", "~搜一下{ingredients}的做法",
            "~推荐用{ingredients}做的菜[，不超过{max_minutes}分钟]", "冰箱里只剩{ingredients}了，晚饭做什么好？", "~查查包含{ingredients}的食谱"],
        en=["I have {ingredients}. What can I cook?", "~find recipes with {ingredients}[ that take under {max_minutes} minutes]",
            "~search for dishes using {ingredients}", "~suggest a recipe with {ingredients}[, {max_minutes} minutes max]",
            "All that's left in my fridge is {ingredients}. Dinner ideas?", "~look up recipes that include {ingredients}"],
        result=lambda a, c: {"recipes": [{"name": c.rng.choice(["家常小炒", "快手汤", "焖饭", "凉拌菜"] if c.zh else ["stir-fry", "quick soup", "one-pot rice", "salad"]),
                                          "minutes": c.rng.choice([10, 15, 20, 25, 30])} for _ in range(2)]},
        answer_zh=[lambda a, s, r, c: "可以试试：" + "；".join(f"{x['name']}（约{x['minutes']}分钟）" for x in r["recipes"]) + "。"],
        answer_en=[lambda a, s, r, c: "Try: " + "; ".join(f"{x['name']} (about {x['minutes']} min)" for x in r["recipes"]) + "."],
    ),
]

# --------------------------------------------------------------------------- notes and health

ACTIVITY = V.enum_sampler({"running": (["跑步"], ["running"]), "swimming": (["游泳"], ["swimming"]),
                           "cycling": (["骑行", "骑车"], ["cycling"]), "yoga": (["瑜伽"], ["yoga"]),
                           "strength": (["力量训练", "撸铁"], ["strength training", "weight training"]), "hiking": (["徒步", "爬山"], ["hiking"])},
                          verbatim_en=False)


def s_recent_day(c: Ctx):
    """Today or a few days back: 今天 / 昨天 / 前天 / an absolute date."""
    r = c.rng
    off = r.choice([0, 0, -1, -1, -2, -3, -5])
    day = c.today + dt.timedelta(days=off)
    words = {0: ("今天", "today"), -1: ("昨天", "yesterday"), -2: ("前天", None)}
    if off in words and r.random() < 0.7:
        zh, en = words[off]
        if c.zh or en:
            c.needs_date = True
            return (zh if c.zh else en), day.isoformat()
    if c.zh:
        return (day.isoformat() if r.random() < 0.5 else f"{day.year}年{day.month}月{day.day}日"), day.isoformat()
    return ("on " + (day.isoformat() if r.random() < 0.5 else f"{V.MONTHS_EN[day.month - 1]} {day.day}, {day.year}")), day.isoformat()

NOTES_HEALTH = [
    Tool(
        "notes.create", "notes", "Create a note.",
        ("新建笔记", "create a note"),
        [P("title", "string", "Note title.", V.s_choice(V.NOTE_TITLES_ZH, V.NOTE_TITLES_EN), label=("标题", "title")),
         P("content", "string", "Note text.", V.s_quoted(V.TEXTS_ZH, V.TEXTS_EN), label=("内容", "content")),
         P("tags", "array", "Tags.", V.s_list_of(V.TAGS_ZH, V.TAGS_EN, 1, 2), req=False, label=("标签", "tags"), items={"type": "string"})],
        zh=["~新建一条笔记，标题{title}，内容{content}[，标签{tags}]", "~记个笔记：{title}——{content}", "~帮我在笔记里写下{content}，标题叫{title}[，打上{tags}标签]",
            "~创建笔记《{title}》，写{content}", "~保存一条标题为{title}的笔记，内容是{content}[，标签：{tags}]", "记一下，标题{title}：{content}"],
        en=["~create a note titled {title} with {content}[, tagged {tags}]", "~take a note: {title}: {content}",
            "~write down {content} in a note called {title}[ and tag it {tags}]", "~make a new note, {title}, saying {content}",
            "~save a note named {title} containing {content}[, tags: {tags}]", "Note to self, title {title}: {content}"],
        result=lambda a, c: {"note_id": f"note_{c.rng.randint(100, 999)}", "title": a["title"]},
        answer_zh=["笔记“{title}”已保存（{note_id}）。"], answer_en=["Saved the note \"{title}\" ({note_id})."],
    ),
    Tool(
        "notes.search", "notes", "Search notes by keyword.",
        ("搜索笔记", "search notes"),
        [P("keyword", "string", "Word to look for.", V.s_choice(V.NOTE_TITLES_ZH + V.TAGS_ZH, V.NOTE_TITLES_EN + V.TAGS_EN), label=("关键词", "keyword"))],
        zh=["~在笔记里搜{keyword}", "我记过关于{keyword}的笔记吗？", "~找找带{keyword}的笔记", "~查一下笔记：{keyword}", "~翻一下我写的{keyword}",
            "{keyword}那条笔记在哪？"],
        en=["~search my notes for {keyword}", "Did I write a note about {keyword}?", "~find notes mentioning {keyword}", "~look up {keyword} in my notes",
            "~dig up my {keyword} note", "Where's that note on {keyword}?"],
        result=lambda a, c: {"notes": [{"note_id": f"note_{c.rng.randint(100, 999)}", "title": a["keyword"]}]},
        answer_zh=[lambda a, s, r, c: "找到笔记：" + "、".join(f"{n['title']}（{n['note_id']}）" for n in r["notes"]) + "。"],
        answer_en=[lambda a, s, r, c: "Found: " + ", ".join(f"{n['title']} ({n['note_id']})" for n in r["notes"]) + "."],
    ),
    Tool(
        "health.bmi", "health", "Body mass index from weight (kg) and height (cm).",
        ("计算BMI", "calculate BMI"),
        [P("weight_kg", "number", "Weight in kilograms.", V.s_float(40, 120, 1), label=("体重（公斤）", "weight in kg")),
         P("height_cm", "number", "Height in centimeters.", V.s_int(145, 200), label=("身高（厘米）", "height in cm"))],
        zh=["我体重{weight_kg}公斤，身高{height_cm}厘米，BMI是多少？", "~算一下BMI：身高{height_cm}cm，体重{weight_kg}kg",
            "~帮我计算身体质量指数，{height_cm}厘米，{weight_kg}公斤", "身高{height_cm}、体重{weight_kg}公斤算胖吗？",
            "~根据体重{weight_kg}kg和身高{height_cm}cm算BMI", "{height_cm}厘米{weight_kg}公斤，BMI正常吗？"],
        en=["I weigh {weight_kg} kg and I'm {height_cm} cm tall. What's my BMI?", "~calculate BMI for {weight_kg} kg and {height_cm} cm",
            "~work out my body mass index: height {height_cm} cm, weight {weight_kg} kg", "Is {weight_kg} kg at {height_cm} cm a healthy BMI?",
            "~compute the BMI of someone {height_cm} cm tall weighing {weight_kg} kg", "~get my BMI: {weight_kg} kg, {height_cm} cm"],
        result=lambda a, c: (lambda b: {"bmi": b, "category": ("偏瘦" if b < 18.5 else "正常" if b < 24 else "偏胖") if c.zh
                                        else ("underweight" if b < 18.5 else "normal" if b < 25 else "overweight")})(
            round(a["weight_kg"] / (a["height_cm"] / 100) ** 2, 1)),
        answer_zh=["您的BMI是{bmi}，属于{category}。"], answer_en=["Your BMI is {bmi}, which is {category}."],
    ),
    Tool(
        "fitness.log_workout", "health", "Log a workout in the fitness diary.",
        ("记录运动", "log a workout"),
        [P("activity", "string", "Kind of exercise.", ACTIVITY, label=("运动类型", "activity")),
         P("duration_minutes", "integer", "Length in minutes.", V.s_int(10, 150), label=("时长（分钟）", "duration in minutes"), minimum=1),
         P("date", "string", "Day, YYYY-MM-DD (default today).", s_recent_day, req=False, label=("日期", "date"), format="date")],
        zh=["~记录一下我[{date}]{activity}了{duration_minutes}分钟", "[{date}]{activity}{duration_minutes}分钟，帮我记到运动日志里。",
            "~在健身记录里加一条：{activity}，{duration_minutes}分钟[，{date}]", "~帮我打卡：[{date}]{activity}{duration_minutes}分钟",
            "刚刚{activity}了{duration_minutes}分钟，记一下。", "~登记运动：{activity}，时长{duration_minutes}分钟"],
        en=["~log {duration_minutes} minutes of {activity}[ {date}]", "I did {activity} for {duration_minutes} minutes[ {date}]. Please log it.",
            "~add a workout: {activity}, {duration_minutes} minutes[, {date}]", "~record {activity}, {duration_minutes} min[ {date}]",
            "Just finished {duration_minutes} minutes of {activity}. Log it.", "~track a {duration_minutes}-minute {activity} session"],
        result=lambda a, c: {"entry_id": f"wk_{c.rng.randint(100, 999)}", "calories": a["duration_minutes"] * c.rng.randint(5, 11)},
        answer_zh=["已记录：{activity}{duration_minutes}分钟，大约消耗{calories}千卡。"],
        answer_en=["Logged {duration_minutes} min of {activity}, about {calories} kcal."],
    ),
]

TOOLS_B = CALENDAR + MAPS + FINANCE + UNITS + REMINDERS + MUSIC + SHOPPING + TRAVEL + HOME + FOOD + NOTES_HEALTH
