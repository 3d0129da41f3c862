"""Built-in tools, part 1: weather, time, math, web, files, e-mail, contacts, messaging, translation,
database, image, system, data analysis."""

from __future__ import annotations

import datetime as dt

from fctune.data.synth import values as V
from fctune.data.synth.catalog import Multi, P, Tool
from fctune.data.synth.values import Ctx

# --------------------------------------------------------------------------- shared samplers

TEMP_UNIT = V.enum_sampler({"celsius": (["摄氏度", "摄氏"], ["Celsius"]),
                            "fahrenheit": (["华氏度", "华氏"], ["Fahrenheit"])})


def s_date_within(lo: int, hi: int, adverbial: bool = True):
    def sample(c: Ctx):
        return V._date_surface(c, adverbial=adverbial, lo=lo, hi=hi)

    return sample


def s_date_abs(c: Ctx):
    """An absolute date (no relative words), past or future."""
    r = c.rng
    day = c.today + dt.timedelta(days=r.randint(-900, 400))
    if c.zh:
        s = day.isoformat() if r.random() < 0.4 else f"{day.year}年{day.month}月{day.day}日"
    else:
        s = day.isoformat() if r.random() < 0.4 else f"{V.MONTHS_EN[day.month - 1]} {day.day}, {day.year}"
    return s, day.isoformat()


def two_cities(c: Ctx, a: str = "city_a", b: str = "city_b"):
    pool = V.CITIES_ZH if c.zh else V.CITIES_EN
    x, y = c.rng.sample(pool, 2)
    return {a: (x, x), b: (y, y)}


def _deg(unit: str, zh: bool) -> str:
    return "°F" if unit == "fahrenheit" else "°C"


CONDITIONS = [("晴", "sunny"), ("多云", "partly cloudy"), ("阴", "overcast"), ("小雨", "light rain"),
              ("中雨", "moderate rain"), ("雷阵雨", "thunderstorms"), ("小雪", "light snow"), ("雾", "foggy"),
              ("晴转多云", "clearing up later"), ("大风", "windy")]
WINDS = [("东北风3级", "a 12 km/h northeast wind"), ("南风2级", "a light southerly breeze"),
         ("西北风4级", "a 20 km/h northwest wind"), ("微风", "calm winds"), ("东风3级", "a 15 km/h easterly wind")]


def _pick(c: Ctx, pairs):
    zh, en = c.rng.choice(pairs)
    return zh if c.zh else en


def _temp(c: Ctx, unit: str | None, lo=-8, hi=36) -> int:
    t = c.rng.randint(lo, hi)
    return round(t * 9 / 5 + 32) if unit == "fahrenheit" else t


def r_weather(a, c):
    unit = a.get("unit", "celsius")
    return {"location": a["city"], "condition": _pick(c, CONDITIONS), "temperature": _temp(c, unit),
            "unit": unit, "humidity": c.rng.randint(20, 95), "wind": _pick(c, WINDS)}


def r_forecast(a, c):
    unit = a.get("unit", "celsius")
    low = _temp(c, None, -10, 26)
    high = low + c.rng.randint(3, 11)
    if unit == "fahrenheit":
        low, high = round(low * 9 / 5 + 32), round(high * 9 / 5 + 32)
    return {"location": a["city"], "date": a["date"], "condition": _pick(c, CONDITIONS), "high": high, "low": low,
            "unit": unit, "precipitation_chance": c.rng.choice([0, 5, 10, 20, 30, 45, 60, 80, 90])}


def r_aqi(a, c):
    aqi = c.rng.randint(18, 230)
    level = next(l for lim, l in [(50, ("优", "good")), (100, ("良", "moderate")), (150, ("轻度污染", "unhealthy for sensitive groups")),
                                  (200, ("中度污染", "unhealthy")), (999, ("重度污染", "very unhealthy"))] if aqi <= lim)
    out = {"location": a["city"], "aqi": aqi, "level": level[0] if c.zh else level[1],
           "primary_pollutant": c.rng.choice(["PM2.5", "PM10", "O3", "NO2"])}
    if a.get("include_pollutants"):
        out["pollutants"] = {"pm2_5": c.rng.randint(5, 180), "pm10": c.rng.randint(10, 220),
                             "o3": c.rng.randint(20, 160), "no2": c.rng.randint(5, 90)}
    return out


def r_sun(a, c):
    rise = f"0{c.rng.randint(5, 7)}:{c.rng.randint(0, 59):02d}"
    sset = f"{c.rng.randint(17, 19)}:{c.rng.randint(0, 59):02d}"
    return {"location": a["city"], "date": a.get("date", c.today.isoformat()), "sunrise": rise, "sunset": sset}


WEATHER = [
    Tool(
        "query_weather", "weather",
        "Get the current weather conditions (sky, temperature, humidity, wind) for a city. Current conditions only, no forecast.",
        ("查询实时天气", "check the current weather"),
        [P("city", "string", "City name, e.g. 北京 or London.", V.s_city, label=("城市", "city")),
         P("unit", "string", "Temperature unit of the reply.", TEMP_UNIT, req=False, label=("温度单位", "temperature unit"))],
        zh=["{city}现在天气怎么样？", "~查一下{city}的天气[，温度用{unit}]", "~看看{city}现在的气温[，用{unit}显示]",
            "{city}这会儿在下雨吗？", "现在{city}外面冷不冷？", "~告诉我{city}当前的天气情况[，用{unit}]",
            "我在{city}，外面现在是什么天气？", "{city}此刻气温多少度[（{unit}）]？"],
        en=["What's the weather like in {city} right now?", "~check the current weather in {city}[ in {unit}]",
            "Is it raining in {city} at the moment?", "~tell me the current temperature in {city}[ in {unit}]",
            "How hot is it in {city} right now?", "~look up the current weather conditions in {city}",
            "I'm about to head out in {city}. What's the weather doing right now?"],
        result=r_weather,
        answer_zh=["{location}现在{condition}，气温{temperature}{deg}，湿度{humidity}%，{wind}。",
                   "目前{location}的天气是{condition}，温度{temperature}{deg}，相对湿度{humidity}%。",
                   "查到了：{location}当前{condition}，{temperature}{deg}，{wind}，湿度{humidity}%。"],
        answer_en=["It's currently {condition} in {location}, {temperature}{deg} with {humidity}% humidity.",
                   "Right now {location} is {condition} at {temperature}{deg}; humidity is {humidity}% with {wind}.",
                   "Current conditions in {location}: {condition}, {temperature}{deg}, humidity {humidity}%."],
        multi=Multi("city", ["{items}现在的天气分别怎么样？", "~帮我查一下{items}的天气", "~对比一下{items}现在的气温"],
                    ["What's the weather in {items} right now?", "~check the current weather in {items}",
                     "~compare the current temperature in {items}"]),
        follow="city", overlap=("query_weather_forecast",),
    ),
    Tool(
        "query_weather_forecast", "weather",
        "Weather forecast for a city on a given day (up to 10 days ahead): condition, high/low temperature, chance of rain.",
        ("查询天气预报", "get a weather forecast"),
        [P("city", "string", "City name.", V.s_city, label=("城市", "city")),
         P("date", "string", "Day of the forecast, YYYY-MM-DD.", s_date_within(0, 10), label=("日期", "date"), format="date"),
         P("unit", "string", "Temperature unit.", TEMP_UNIT, req=False, label=("温度单位", "temperature unit"))],
        zh=["{city}{date}的天气怎么样？", "{date}{city}会下雨吗？", "~查一下{date}{city}的天气预报",
            "~帮我看看{city}{date}的天气预报[，温度用{unit}]", "{date}要去{city}，那边天气如何？",
            "{city}{date}冷不冷？要不要带外套？", "~预报一下{city}{date}的天气[，用{unit}]"],
        en=["What's the forecast for {city} {date}?", "Will it rain in {city} {date}?",
            "~get the weather forecast for {city} {date}[ in {unit}]",
            "I'm traveling to {city} {date}. What will the weather be like?",
            "~check whether I'll need an umbrella in {city} {date}", "How cold will it be in {city} {date}?"],
        result=r_forecast,
        answer_zh=["{date}{city}预计{condition}，最高{high}{deg}，最低{low}{deg}，降水概率{precipitation_chance}%。",
                   "根据预报，{city}{date}天气{condition}，气温{low}到{high}{deg}，降雨概率{precipitation_chance}%。"],
        answer_en=["The forecast for {city} {date}: {condition}, high of {high}{deg}, low of {low}{deg}, "
                   "{precipitation_chance}% chance of rain.",
                   "{city} {date} looks {condition}, between {low} and {high}{deg}, with a {precipitation_chance}% chance of precipitation."],
        multi=Multi("city", ["{date}{items}的天气怎么样？", "~查一下{items}{date}的天气预报"],
                    ["What's the forecast for {items} {date}?", "~get the forecast {date} for {items}"]),
        follow="city", overlap=("query_weather",),
    ),
    Tool(
        "query_air_quality", "weather",
        "Current air quality index (AQI) and main pollutant for a city.",
        ("查询空气质量", "check the air quality"),
        [P("city", "string", "City name.", V.s_city, label=("城市", "city")),
         P("include_pollutants", "boolean", "Also return the concentration of each pollutant.",
           V.flag(["列出各项污染物浓度", "顺便给出各项污染物的数据"], ["include the pollutant breakdown", "with a breakdown by pollutant"]),
           req=False, label=("是否列出污染物", "pollutant breakdown"))],
        zh=["{city}现在空气质量怎么样？", "~查一下{city}的AQI[，{include_pollutants}]", "{city}这两天雾霾严重吗？",
            "~看看{city}的空气质量指数[，{include_pollutants}]", "{city}现在适合出去跑步吗？空气好不好？",
            "~帮我查{city}的空气污染情况", "我有鼻炎，{city}现在空气质量如何？"],
        en=["How's the air quality in {city} right now?", "~check the AQI in {city}[ {include_pollutants}]",
            "Is the air in {city} safe for a run right now?", "~look up the air quality index for {city}[, {include_pollutants}]",
            "Is there a lot of smog in {city} today?", "~tell me how polluted the air is in {city}"],
        result=r_aqi,
        answer_zh=["{location}当前AQI为{aqi}，空气质量{level}，首要污染物是{primary_pollutant}。",
                   "{location}现在的空气质量指数是{aqi}（{level}），主要污染物为{primary_pollutant}。"],
        answer_en=["The AQI in {location} is {aqi} ({level}); the main pollutant is {primary_pollutant}.",
                   "Air quality in {location} is {level} right now, with an AQI of {aqi}, mostly {primary_pollutant}."],
        multi=Multi("city", ["{items}的空气质量分别怎么样？"], ["Compare the air quality in {items}."]),
        follow="city",
    ),
    Tool(
        "weather.sun_times", "weather",
        "Sunrise and sunset times for a city on a date (today if no date is given).",
        ("查询日出日落时间", "look up sunrise and sunset times"),
        [P("city", "string", "City name.", V.s_city, label=("城市", "city")),
         P("date", "string", "Date, YYYY-MM-DD; defaults to today.", s_date_within(0, 30), req=False,
           label=("日期", "date"), format="date")],
        zh=["{city}[{date}]几点日出？", "~查一下{city}[{date}]的日出日落时间", "{city}[{date}]太阳几点落山？",
            "~告诉我{city}[{date}]的日落时间", "想在{city}看日出，[{date}]几点日出啊？", "{city}[{date}]天黑大概是几点？"],
        en=["When is sunrise in {city}[ {date}]?", "~get the sunrise and sunset times for {city}[ {date}]",
            "What time does the sun set in {city}[ {date}]?", "~find out when the sun rises in {city}[ {date}]",
            "I want to catch the sunrise in {city}[ {date}]. What time is it?",
            "How late is it light out in {city}[ {date}]?"],
        result=r_sun,
        answer_zh=["{location}日出时间是{sunrise}，日落时间是{sunset}。", "{location}：日出{sunrise}，日落{sunset}。"],
        answer_en=["In {location}, sunrise is at {sunrise} and sunset at {sunset}.",
                   "Sunrise in {location} is {sunrise}; the sun sets at {sunset}."],
        follow="city",
    ),
]

# --------------------------------------------------------------------------- time

TIMEZONES = ["Asia/Shanghai", "Europe/London", "America/New_York", "Asia/Tokyo", "Europe/Paris", "Australia/Sydney",
             "America/Los_Angeles", "Asia/Singapore", "Europe/Berlin", "Asia/Dubai"]


def r_local_time(a, c):
    off = c.rng.choice([8, 0, -5, 9, 1, 10, -8, 8, 1, 4, 5.5, -3])
    return {"location": a["city"], "local_time": f"{c.rng.randint(0, 23):02d}:{c.rng.randint(0, 59):02d}",
            "timezone": c.rng.choice(TIMEZONES), "utc_offset": f"UTC{'+' if off >= 0 else '-'}{abs(off):g}"}


def r_days_between(a, c):
    d1, d2 = dt.date.fromisoformat(a["start_date"]), dt.date.fromisoformat(a["end_date"])
    return {"start_date": a["start_date"], "end_date": a["end_date"],
            "days": (d2 - d1).days + (1 if a.get("include_end") else 0)}


def r_weekday(a, c):
    d = dt.date.fromisoformat(a["date"])
    return {"date": a["date"], "weekday": ("星期" + V.WEEKDAYS_ZH[d.weekday()]) if c.zh else V.WEEKDAYS_EN[d.weekday()]}


def _days_joint(c: Ctx):
    (s1, v1), (s2, v2) = V.date_range(c, past=c.rng.random() < 0.3, min_gap=3, max_gap=120)
    return {"start_date": (s1, v1), "end_date": (s2, v2)}


TIME = [
    Tool(
        "clock.local_time", "time", "Current local time and time zone in a city.",
        ("查询某地的当地时间", "look up the local time somewhere"),
        [P("city", "string", "City name.", V.s_city, label=("城市", "city"))],
        zh=["{city}现在几点了？", "~查一下{city}的当地时间", "现在{city}是几点？我要给朋友打电话。",
            "~告诉我{city}此刻的时间", "{city}那边现在是白天还是晚上？", "~看下{city}现在几点", "{city}现在是什么时间？"],
        en=["What time is it in {city} right now?", "~check the local time in {city}", "~tell me the current time in {city}",
            "Is it morning or evening in {city} now?", "I need to call someone in {city}. What's the time there?",
            "~look up what time it is in {city}"],
        result=r_local_time,
        answer_zh=["{location}现在是{local_time}（{timezone}，{utc_offset}）。", "{location}当地时间{local_time}，时区{utc_offset}。"],
        answer_en=["It's {local_time} in {location} ({timezone}, {utc_offset}).",
                   "The local time in {location} is {local_time}, {utc_offset}."],
        multi=Multi("city", ["{items}现在分别几点？"], ["What time is it now in {items}?"]),
        follow="city",
    ),
    Tool(
        "clock.time_difference", "time", "Time difference in hours between two cities.",
        ("计算两个城市的时差", "work out the time difference between two cities"),
        [P("city_a", "string", "First city.", V.s_city, label=("第一个城市", "first city")),
         P("city_b", "string", "Second city.", V.s_city, label=("第二个城市", "second city"))],
        zh=["{city_a}和{city_b}差几个小时？", "~算一下{city_a}跟{city_b}的时差", "{city_a}比{city_b}快几个小时？",
            "~查查{city_a}与{city_b}之间的时差", "我在{city_a}，朋友在{city_b}，我们之间有多少时差？",
            "~告诉我{city_a}和{city_b}的时差"],
        en=["How many hours apart are {city_a} and {city_b}?", "~work out the time difference between {city_a} and {city_b}",
            "Is {city_a} ahead of {city_b}, and by how much?", "~check the time gap between {city_a} and {city_b}",
            "I'm in {city_a} and my friend is in {city_b}. What's our time difference?",
            "~tell me the time difference from {city_a} to {city_b}"],
        result=lambda a, c: {"from": a["city_a"], "to": a["city_b"], "difference_hours": c.rng.choice([0, 1, 3, 5, 7, 8, 9, 12, 13, -4, -7])},
        answer_zh=["{from}和{to}的时差是{difference_hours}小时。", "{to}相对{from}的时差为{difference_hours}小时。"],
        answer_en=["The time difference between {from} and {to} is {difference_hours} hours.",
                   "{to} is {difference_hours} hours offset from {from}."],
        joint=two_cities,
    ),
    Tool(
        "dates.days_between", "time", "Number of days between two dates.",
        ("计算两个日期之间的天数", "count the days between two dates"),
        [P("start_date", "string", "Start date, YYYY-MM-DD.", None, label=("开始日期", "start date"), format="date"),
         P("end_date", "string", "End date, YYYY-MM-DD.", None, label=("结束日期", "end date"), format="date"),
         P("include_end", "boolean", "Count the end date as well.",
           V.flag(["包含最后一天", "首尾两天都算上"], ["counting the end date", "including the last day"]),
           req=False, label=("是否包含结束日", "whether to include the end date"))],
        zh=["{start_date}到{end_date}一共多少天？", "~算一下从{start_date}到{end_date}有几天[，{include_end}]",
            "{start_date}距离{end_date}还有多少天[（{include_end}）]？", "~帮我数数{start_date}至{end_date}之间有多少天",
            "从{start_date}开始到{end_date}为止，[{include_end}，]总共几天？", "~计算{start_date}和{end_date}相隔的天数"],
        en=["How many days are there between {start_date} and {end_date}?",
            "~count the days from {start_date} to {end_date}[, {include_end}]",
            "~work out how many days separate {start_date} and {end_date}",
            "From {start_date} to {end_date}[, {include_end}], how many days is that?",
            "~calculate the number of days between {start_date} and {end_date}",
            "How long is it from {start_date} until {end_date}, in days?"],
        result=r_days_between,
        answer_zh=["从{start_date}到{end_date}共{days}天。", "两个日期相隔{days}天。"],
        answer_en=["There are {days} days from {start_date} to {end_date}.", "That's {days} days."],
        joint=_days_joint,
    ),
    Tool(
        "dates.weekday_of", "time", "Day of the week of a date.",
        ("查询某天是星期几", "find the day of the week for a date"),
        [P("date", "string", "The date, YYYY-MM-DD.", s_date_abs, label=("日期", "date"), format="date")],
        zh=["{date}是星期几？", "~查一下{date}是周几", "{date}那天是礼拜几来着？", "~帮我看看{date}是星期几",
            "{date}是工作日还是周末？", "~算一下{date}对应星期几"],
        en=["What day of the week is {date}?", "~check which weekday {date} falls on", "Is {date} a weekend?",
            "~tell me the day of the week for {date}", "Which day of the week was {date}?",
            "~figure out what weekday {date} is"],
        result=r_weekday,
        answer_zh=["{date}是{weekday}。", "那天是{weekday}。"],
        answer_en=["{date} is a {weekday}.", "It falls on a {weekday}."],
    ),
]

# --------------------------------------------------------------------------- math


def _expr_value(expr: str) -> float:
    import math

    return eval(expr, {"__builtins__": {}}, {"sqrt": math.sqrt})  # noqa: S307 - fixed expressions from our pool


def r_eval(a, c):
    v = _expr_value(a["expression"])
    v = int(v) if float(v).is_integer() else round(v, 4)
    return {"expression": a["expression"], "result": v}


def r_sqrt(a, c):
    n = a["number"]
    p = a.get("precision", 4)
    return {"number": n, "square_root": round(n ** 0.5, p)}


def _factor(n: int) -> list[int]:
    out, d = [], 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    if n > 1:
        out.append(n)
    return out


def r_pct(a, c):
    old, new = a["old_value"], a["new_value"]
    return {"old_value": old, "new_value": new, "percent_change": round((new - old) / old * 100, 2)}


s_sqrt_number = V.s_int(2, 5000)

MATH = [
    Tool(
        "calc.evaluate", "math", "Evaluate an arithmetic expression (+ - * / ** parentheses, sqrt()).",
        ("计算算式", "evaluate an arithmetic expression"),
        [P("expression", "string", "The expression, e.g. (12+8)*3/4.", V.s_choice(V.EXPRESSIONS), label=("算式", "expression"))],
        zh=["~算一下{expression}", "{expression}等于多少？", "~帮我计算{expression}的结果", "{expression}是多少？",
            "~计算表达式{expression}", "我算不清了，{expression}得几？"],
        en=["What is {expression}?", "~calculate {expression}", "~evaluate the expression {expression}",
            "How much is {expression}?", "~work out {expression} for me", "Quick math: {expression} = ?"],
        result=r_eval,
        answer_zh=["{expression} = {result}", "计算结果是{result}。", "{expression}的结果为{result}。"],
        answer_en=["{expression} = {result}", "The result is {result}.", "That comes out to {result}."],
        overlap=("math.square_root", "math.raise_power", "math.percent_change", "stats.describe_numbers"),
    ),
    Tool(
        "math.square_root", "math", "Square root of a non-negative number, rounded to a number of decimal places.",
        ("求平方根", "compute a square root"),
        [P("number", "number", "The number.", s_sqrt_number, label=("数字", "number"), minimum=0),
         P("precision", "integer", "Decimal places in the result (default 4).", V.s_int(1, 6), req=False,
           label=("保留位数", "number of decimal places"), minimum=0, maximum=10)],
        zh=["{number}的平方根是多少？", "~算一下{number}开平方[，保留{precision}位小数]",
            "~求{number}的平方根[，精确到小数点后{precision}位]", "根号{number}等于多少[，保留{precision}位小数]？",
            "~帮我给{number}开个根号", "{number}开根号是多少[，保留{precision}位小数]？"],
        en=["What's the square root of {number}?", "~compute the square root of {number}[ to {precision} decimal places]",
            "~find sqrt({number})[, rounded to {precision} decimals]", "What is the square root of {number}[ to {precision} places]?",
            "~take the square root of {number}", "Square root of {number}[, {precision} decimal places], please."],
        result=r_sqrt,
        answer_zh=["{number}的平方根约为{square_root}。", "√{number} ≈ {square_root}"],
        answer_en=["The square root of {number} is about {square_root}.", "√{number} ≈ {square_root}"],
        multi=Multi("number", ["~分别算一下{items}的平方根"], ["~compute the square roots of {items}"]),
        overlap=("calc.evaluate",),
    ),
    Tool(
        "math.raise_power", "math", "Raise a base to an exponent.",
        ("计算乘方", "raise a number to a power"),
        [P("base", "number", "The base.", V.s_int(2, 30), label=("底数", "base")),
         P("exponent", "integer", "The exponent.", V.s_int(2, 12), label=("指数", "exponent"))],
        zh=["{base}的{exponent}次方是多少？", "~算一下{base}的{exponent}次幂", "~求{base}^{exponent}",
            "{base}的{exponent}次方等于几？", "~帮我算{base}乘方{exponent}次", "底数{base}，指数{exponent}，结果是多少？"],
        en=["What is {base} to the power of {exponent}?", "~calculate {base}^{exponent}",
            "~raise {base} to the {exponent}th power", "How big is {base} raised to {exponent}?",
            "~compute {base} to the power {exponent}", "Base {base}, exponent {exponent}: what's the result?"],
        result=lambda a, c: {"base": a["base"], "exponent": a["exponent"], "result": a["base"] ** a["exponent"]},
        answer_zh=["{base}的{exponent}次方等于{result}。", "结果是{result}。"],
        answer_en=["{base} to the power of {exponent} is {result}.", "The result is {result}."],
        overlap=("calc.evaluate",),
    ),
    Tool(
        "math.prime_factors", "math", "Prime factorisation of a positive integer.",
        ("分解质因数", "factor an integer into primes"),
        [P("number", "integer", "Integer to factor (2 or more).", V.s_int(12, 99999), label=("整数", "integer"), minimum=2)],
        zh=["{number}分解质因数是什么？", "~把{number}分解质因数", "{number}能分解成哪些质数相乘？",
            "~帮我求{number}的质因数", "~列出{number}的所有质因子", "{number}是质数吗？它的质因数有哪些？"],
        en=["What are the prime factors of {number}?", "~factor {number} into primes", "Is {number} prime? Factor it.",
            "~find the prime factorization of {number}", "~list the prime factors of {number}",
            "Break {number} down into prime factors."],
        result=lambda a, c: {"number": a["number"], "factors": _factor(a["number"])},
        answer_zh=[lambda a, s, r, c: f"{r['number']} = " + " × ".join(map(str, r["factors"]))],
        answer_en=[lambda a, s, r, c: f"{r['number']} = " + " × ".join(map(str, r["factors"]))],
    ),
    Tool(
        "math.percent_change", "math", "Percentage change from an old value to a new value.",
        ("计算变化百分比", "compute a percentage change"),
        [P("old_value", "number", "Value before.", V.s_int(20, 5000), label=("原来的数值", "old value")),
         P("new_value", "number", "Value after.", V.s_int(20, 5000), label=("新的数值", "new value"))],
        zh=["从{old_value}变成{new_value}，变化了百分之多少？", "~算一下{old_value}到{new_value}的涨跌幅",
            "去年是{old_value}，今年是{new_value}，增长率是多少？", "~帮我计算从{old_value}到{new_value}的百分比变化",
            "价格从{old_value}涨到{new_value}，涨了百分之几？", "~求{old_value}→{new_value}的变化率"],
        en=["What's the percent change from {old_value} to {new_value}?", "~calculate the growth rate from {old_value} to {new_value}",
            "It went from {old_value} to {new_value}. By what percentage did it change?",
            "~compute the percentage change between {old_value} and {new_value}",
            "Last year {old_value}, this year {new_value}: what's the growth?", "~work out the % change from {old_value} to {new_value}"],
        result=r_pct,
        answer_zh=["从{old_value}到{new_value}，变化了{percent_change}%。", "变化率为{percent_change}%。"],
        answer_en=["From {old_value} to {new_value} is a {percent_change}% change.", "The change is {percent_change}%."],
        overlap=("calc.evaluate",),
    ),
]

# --------------------------------------------------------------------------- web


def r_search(a, c):
    n = min(a.get("max_results", 3), 3)
    q = a["query"]
    sites = ["zhihu.com", "wikipedia.org", "example.com", "36kr.com", "medium.com", "github.com", "bbc.com"]
    res = []
    for i in range(n):
        site = c.rng.choice(sites)
        title = (f"{q}｜{c.rng.choice(['全面解读', '入门指南', '最新消息', '常见问题', '深度分析'])}" if c.zh
                 else f"{q}: {c.rng.choice(['a complete guide', 'what you need to know', 'latest updates', 'FAQ', 'deep dive'])}")
        res.append({"title": title, "url": f"https://{site}/{c.rng.randint(10000, 99999)}"})
    return {"query": q, "results": res}


def a_search(a, s, r, c):
    titles = [x["title"] for x in r["results"]]
    if c.zh:
        return f"搜索“{r['query']}”找到这些结果：" + "；".join(f"{t}（{x['url']}）" for t, x in zip(titles, r["results"])) + "。"
    return f"Here's what I found for \"{r['query']}\": " + "; ".join(f"{t} ({x['url']})" for t, x in zip(titles, r["results"])) + "."


def r_news(a, c):
    n = min(a.get("limit", 3), 3)
    arts = []
    heads = c.rng.sample(["多家企业发布新品", "行业迎来新政策", "最新数据出炉", "专家解读下半年趋势", "一项研究引发关注"] if c.zh else
                         ["new report released", "major deal announced", "what experts expect next", "study draws attention",
                          "regulators weigh new rules"], n)
    for head in heads:
        if c.zh:
            title = f"{a['topic']}：{head}"
            src = c.rng.choice(["新华社", "财新", "澎湃新闻", "界面新闻", "第一财经"])
        else:
            title = f"{a['topic'].capitalize()}: {head}"
            src = c.rng.choice(["Reuters", "AP", "The Guardian", "BBC", "Bloomberg"])
        arts.append({"title": title, "source": src})
    return {"topic": a["topic"], "articles": arts}


def a_news(a, s, r, c):
    if c.zh:
        return "最新的几条新闻：" + "；".join(f"{x['title']}（{x['source']}）" for x in r["articles"]) + "。"
    return "Latest headlines: " + "; ".join(f"{x['title']} ({x['source']})" for x in r["articles"]) + "."


WEB = [
    Tool(
        "web.search", "web", "Search the web and return the top results (title, URL).",
        ("上网搜索信息", "search the web"),
        [P("query", "string", "Search query.", V.s_choice(V.SEARCH_TOPICS_ZH, V.SEARCH_TOPICS_EN), label=("搜索关键词", "search query")),
         P("max_results", "integer", "How many results to return (1-20, default 5).", V.s_int(3, 10), req=False,
           label=("结果数量", "number of results"), minimum=1, maximum=20)],
        zh=["~搜一下{query}", "~帮我在网上查查{query}[，给我前{max_results}条结果]", "~上网搜索“{query}”[，只要{max_results}条]",
            "网上关于{query}有什么资料？", "~搜索{query}相关的网页[，返回{max_results}条]", "我想了解{query}，帮我搜一搜。"],
        en=["~search the web for {query}[ and show the top {max_results} results]", "~look up {query} online",
            "Can you google {query}?", "~find web pages about {query}[, {max_results} results max]",
            "What does the internet say about {query}?", "~do a web search on \"{query}\""],
        result=r_search, answer_zh=[a_search], answer_en=[a_search],
        overlap=("news.latest_headlines",),
    ),
    Tool(
        "news.latest_headlines", "web", "Latest news headlines on a topic.",
        ("获取最新新闻", "get the latest news headlines"),
        [P("topic", "string", "News topic.", V.s_choice(V.NEWS_TOPICS_ZH, V.NEWS_TOPICS_EN), label=("新闻主题", "topic")),
         P("limit", "integer", "Number of headlines (default 5).", V.s_int(3, 10), req=False, label=("条数", "number of headlines"),
           minimum=1, maximum=20)],
        zh=["~看看最近有什么{topic}新闻", "最近{topic}方面有什么新闻？", "~给我推送[{limit}条]{topic}类的头条新闻",
            "~找几条{topic}相关的最新报道", "有没有{topic}的最新消息？", "~帮我整理[{limit}条]{topic}新闻"],
        en=["~show me the latest {topic} news", "What's new in {topic} today?", "~get [{limit} ]top {topic} headlines",
            "Any breaking {topic} news?", "~find the most recent {topic} stories", "~pull up [{limit} ]{topic} headlines"],
        result=r_news, answer_zh=[a_news], answer_en=[a_news],
        follow="topic", overlap=("web.search",),
    ),
    Tool(
        "web.fetch_page", "web", "Download a web page and return its title and main text.",
        ("读取网页内容", "fetch a web page"),
        [P("url", "string", "Page URL (http or https).", V.s_url, label=("网址", "URL"), format="uri")],
        zh=["~打开{url}看看写了什么", "{url}这个网页讲的是什么？", "~帮我读一下{url}的内容", "~抓取{url}的正文",
            "~总结一下这个链接：{url}", "这个页面{url}里有什么？"],
        en=["~open {url} and tell me what it says", "What is {url} about?", "~read the page at {url}",
            "~fetch the text of {url}", "~summarize this link: {url}", "What's on {url}?"],
        result=lambda a, c: {"url": a["url"], "title": "页面标题：示例文章" if c.zh else "Example article",
                             "text": "这是一篇关于技术趋势的文章，介绍了三个主要观点。" if c.zh
                             else "An article about technology trends that makes three main points."},
        answer_zh=["这个页面的标题是“{title}”，主要内容：{text}"],
        answer_en=["The page is titled \"{title}\". In short: {text}"],
    ),
]

# --------------------------------------------------------------------------- files

SORT_FILES = V.enum_sampler({"name": (["按文件名", "按名称"], ["by name"]), "size": (["按大小", "按文件大小"], ["by size"]),
                             "modified": (["按修改时间", "按最近修改"], ["by modification time", "by last modified"])},
                            verbatim_en=False)


def r_list_dir(a, c):
    names = c.rng.sample(V._FILES["doc"][0 if c.zh else 1] + V._FILES["csv"][1], 4)
    return {"path": a["path"], "entries": [{"name": n, "size_kb": c.rng.randint(1, 4096)} for n in names]}


def a_list_dir(a, s, r, c):
    names = [e["name"] for e in r["entries"]]
    return (f"{r['path']}下有{len(names)}个文件：" + "、".join(names) + "。") if c.zh else \
        (f"{r['path']} contains {len(names)} files: " + ", ".join(names) + ".")


def r_find(a, c):
    d = a["directory"]
    sep = "\\" if "\\" in d else "/"
    pat = a["pattern"].replace("*", "")
    names = [f"{c.rng.choice(['report', 'notes', 'data', '2026'])}{pat}", f"{c.rng.choice(['draft', 'final', 'old'])}{pat}"]
    return {"directory": d, "pattern": a["pattern"], "matches": [f"{d}{sep}{n}" for n in names]}


PATTERNS = ["*.pdf", "*.csv", "*.md", "*.log", "*.py", "*.jpg", "*.docx", "*.txt"]

FILES = [
    Tool(
        "fs.list_dir", "files", "List the files in a directory.",
        ("列出文件夹里的文件", "list the files in a folder"),
        [P("path", "string", "Directory path.", V.s_dir, label=("目录路径", "directory path")),
         P("show_hidden", "boolean", "Include hidden files.", V.flag(["包括隐藏文件", "把隐藏文件也列出来"],
                                                                    ["including hidden files", "show hidden files too"]),
           req=False, label=("是否显示隐藏文件", "whether to show hidden files")),
         P("sort_by", "string", "Sort order.", SORT_FILES, req=False, label=("排序方式", "sort order"))],
        zh=["~列出{path}下的文件[，{show_hidden}]", "{path}里面都有什么文件？", "~看看{path}目录的内容[，{sort_by}排序]",
            "~帮我查看{path}文件夹[，{show_hidden}]", "~显示{path}下所有文件[，{sort_by}排]", "{path}这个目录下有哪些东西？"],
        en=["~list the files in {path}[, {show_hidden}]", "What's in {path}?", "~show me the contents of {path}[ sorted {sort_by}]",
            "~list everything under {path}[ {sort_by}]", "Which files are in the {path} folder?", "~give me a directory listing of {path}"],
        result=r_list_dir, answer_zh=[a_list_dir], answer_en=[a_list_dir],
        overlap=("fs.find_files",),
    ),
    Tool(
        "fs.read_file", "files", "Read a text file and return its contents (optionally only the first lines).",
        ("读取文件内容", "read a file"),
        [P("path", "string", "File path.", V.s_path("doc"), label=("文件路径", "file path")),
         P("max_lines", "integer", "Return at most this many lines.", V.s_int(5, 100), req=False,
           label=("最多行数", "maximum number of lines"), minimum=1)],
        zh=["~打开{path}看看[前{max_lines}行]", "{path}里写了什么？", "~读取{path}的内容[，只看前{max_lines}行]",
            "~帮我看一下{path}这个文件", "~把{path}[的前{max_lines}行]念给我听", "~显示文件{path}[前{max_lines}行]"],
        en=["~open {path} and show me[ the first {max_lines} lines]", "What's in {path}?", "~read the file {path}",
            "~print the contents of {path}[, first {max_lines} lines only]", "~show me {path}", "~cat {path}[ (first {max_lines} lines)]"],
        result=lambda a, c: {"path": a["path"], "lines": a.get("max_lines", 12),
                             "content": "# 项目说明\n本文件记录了第一阶段的进展和待办事项。" if c.zh
                             else "# Notes\nThis file tracks phase one progress and open items."},
        answer_zh=["{path}的内容如下：\n{content}"], answer_en=["Here is {path}:\n{content}"],
    ),
    Tool(
        "fs.write_file", "files", "Write text to a file, replacing it or appending to it.",
        ("写入文件", "write text to a file"),
        [P("path", "string", "File path.", V.s_path("doc"), label=("文件路径", "file path")),
         P("content", "string", "Text to write.", V.s_quoted(V.TEXTS_ZH, V.TEXTS_EN), label=("写入内容", "text")),
         P("append", "boolean", "Append instead of overwriting.", V.flag(["追加到末尾", "不要覆盖原内容，追加进去"],
                                                                         ["append it to the end", "append rather than overwrite"],
                                                                         ["直接覆盖原内容"], ["overwrite the file"]),
           req=False, label=("是否追加", "append or overwrite"))],
        zh=["~把{content}写进{path}[，{append}]", "~在{path}里写入{content}[，{append}]", "~新建{path}，内容是{content}",
            "~往{path}里记一句：{content}", "~将{content}保存到{path}[，{append}]", "请把这句话{content}存到{path}里。"],
        en=["~write {content} to {path}[ and {append}]", "~save {content} into {path}[, {append}]",
            "~create {path} containing {content}", "~put the line {content} in {path}[ ({append})]",
            "~store {content} in the file {path}", "Please save this text to {path}: {content}"],
        result=lambda a, c: {"path": a["path"], "bytes_written": len(a["content"].encode()) + 1, "appended": bool(a.get("append"))},
        answer_zh=["已写入{path}，共{bytes_written}字节。"], answer_en=["Done: wrote {bytes_written} bytes to {path}."],
    ),
    Tool(
        "fs.delete_path", "files", "Delete a file or a directory.",
        ("删除文件或文件夹", "delete a file or folder"),
        [P("path", "string", "Path to delete.", V.s_path("log"), label=("路径", "path")),
         P("recursive", "boolean", "Delete directories with their contents.",
           V.flag(["连同里面的内容一起删", "递归删除"], ["recursively", "including everything inside"]),
           req=False, label=("是否递归删除", "recursive delete"))],
        zh=["~删掉{path}[，{recursive}]", "~把{path}删除", "{path}没用了，帮我删了吧。", "~清理掉{path}这个文件[，{recursive}]",
            "~移除{path}", "~帮我把{path}删了[（{recursive}）]"],
        en=["~delete {path}[ {recursive}]", "~remove {path}", "{path} is no longer needed, please delete it.",
            "~get rid of {path}[ {recursive}]", "~erase the file {path}", "~clean up {path}"],
        result=lambda a, c: {"path": a["path"], "deleted": True},
        answer_zh=["{path}已删除。"], answer_en=["{path} has been deleted."],
    ),
    Tool(
        "fs.move_path", "files", "Move or rename a file or directory.",
        ("移动或重命名文件", "move or rename a file"),
        [P("source", "string", "Current path.", V.s_path("doc"), label=("原路径", "source path")),
         P("destination", "string", "New path.", V.s_dir, label=("目标路径", "destination"))],
        zh=["~把{source}移到{destination}", "~将{source}移动到{destination}下面", "~帮我把{source}挪到{destination}",
            "{source}放错地方了，移到{destination}去。", "~把文件{source}剪切到{destination}", "~移动{source}到{destination}"],
        en=["~move {source} to {destination}", "~relocate {source} into {destination}", "~put {source} in {destination}",
            "{source} is in the wrong place; move it to {destination}.", "~transfer {source} to {destination}",
            "~move the file {source} over to {destination}"],
        result=lambda a, c: {"source": a["source"], "destination": a["destination"], "moved": True},
        answer_zh=["已把{source}移动到{destination}。"], answer_en=["Moved {source} to {destination}."],
    ),
    Tool(
        "fs.find_files", "files", "Find files whose names match a glob pattern under a directory (recursive).",
        ("按名称查找文件", "find files by name pattern"),
        [P("directory", "string", "Directory to search.", V.s_dir, label=("目录", "directory")),
         P("pattern", "string", "Glob pattern such as *.pdf.", V.s_choice(PATTERNS), label=("文件名模式", "file name pattern"))],
        zh=["~在{directory}里找所有{pattern}文件", "{directory}下面有哪些{pattern}？", "~搜索{directory}中匹配{pattern}的文件",
            "~帮我在{directory}找一下{pattern}", "~查找{directory}目录里的{pattern}文件", "~把{directory}里的{pattern}都找出来"],
        en=["~find all {pattern} files in {directory}", "Which {pattern} files are under {directory}?",
            "~search {directory} for files matching {pattern}", "~look for {pattern} in {directory}",
            "~locate every {pattern} file in {directory}", "~list files matching {pattern} under {directory}"],
        result=r_find,
        answer_zh=[lambda a, s, r, c: f"在{r['directory']}下找到{len(r['matches'])}个文件：" + "、".join(r["matches"]) + "。"],
        answer_en=[lambda a, s, r, c: f"Found {len(r['matches'])} files in {r['directory']}: " + ", ".join(r["matches"]) + "."],
        overlap=("fs.list_dir",),
    ),
]

# --------------------------------------------------------------------------- e-mail, contacts, messaging


def r_inbox(a, c):
    msgs = []
    for i in range(c.rng.randint(1, 3)):
        other = c.rng.choice(V.SUBJECTS_ZH if c.zh else V.SUBJECTS_EN)
        subject = a["query"] if i == 0 else (f"回复：{a['query']}" if c.zh else f"Re: {a['query']}") if i == 1 else other
        msgs.append({"id": f"msg_{c.rng.randint(1000, 9999)}", "from": c.rng.choice(c.pools.emails), "subject": subject})
    return {"query": a["query"], "messages": msgs}


def a_inbox(a, s, r, c):
    if c.zh:
        return f"找到{len(r['messages'])}封相关邮件：" + "；".join(f"{m['from']}发来的《{m['subject']}》" for m in r["messages"]) + "。"
    return f"Found {len(r['messages'])} matching emails: " + "; ".join(f"\"{m['subject']}\" from {m['from']}" for m in r["messages"]) + "."


def r_contact(a, c):
    return {"name": a["name"], "email": c.rng.choice(c.pools.emails), "phone": c.rng.choice(c.pools.phones_zh if c.zh else c.pools.phones_en)}


COMM = [
    Tool(
        "mail.send_message", "email", "Send an e-mail.",
        ("发送邮件", "send an email"),
        [P("to", "array", "Recipient e-mail addresses.", V.s_emails, label=("收件人邮箱", "recipient address"),
           items={"type": "string", "format": "email"}, minItems=1),
         P("subject", "string", "Subject line.", V.s_quoted(V.SUBJECTS_ZH, V.SUBJECTS_EN), label=("邮件主题", "subject")),
         P("body", "string", "Message body.", V.s_quoted(V.BODIES_ZH, V.BODIES_EN), label=("邮件正文", "message body")),
         P("cc", "array", "CC addresses.", lambda c: V.s_emails(c, 1, 2), req=False, label=("抄送人", "CC"),
           items={"type": "string", "format": "email"})],
        zh=["~给{to}发封邮件，主题是{subject}，内容是{body}[，抄送{cc}]", "~发邮件给{to}：主题{subject}，正文{body}",
            "~帮我写封邮件发到{to}，标题{subject}，内容写{body}[，同时抄送给{cc}]",
            "~发一封主题为{subject}的邮件给{to}，内容：{body}", "~用邮件通知{to}，主题{subject}，就说{body}[，cc一下{cc}]",
            "请给{to}发个邮件。主题：{subject}。内容：{body}"],
        en=["~send an email to {to} with the subject {subject} saying {body}[ and cc {cc}]",
            "~email {to}: subject {subject}, body {body}", "~write to {to} with subject {subject} and the message {body}[, cc {cc}]",
            "~shoot {to} an email titled {subject} that says {body}", "~send {to} a note. Subject: {subject}. Body: {body}",
            "Please email {to}[ (cc {cc})] with subject {subject}: {body}"],
        result=lambda a, c: {"status": "sent", "message_id": f"msg_{c.rng.randint(10000, 99999)}", "to": a["to"]},
        answer_zh=[lambda a, s, r, c: f"邮件已发送给{'、'.join(r['to'])}，邮件编号{r['message_id']}。"],
        answer_en=[lambda a, s, r, c: f"Email sent to {', '.join(r['to'])} (id {r['message_id']})."],
    ),
    Tool(
        "mail.search_inbox", "email", "Search the inbox; returns matching messages with id, sender and subject.",
        ("搜索收件箱", "search the inbox"),
        [P("query", "string", "Words to look for in sender, subject or body.",
           V.s_choice(V.SUBJECTS_ZH + ["发票", "报销", "面试"], V.SUBJECTS_EN + ["invoice", "refund", "interview"]),
           label=("关键词", "search words")),
         P("unread_only", "boolean", "Only unread messages.", V.flag(["只看未读的", "只要未读邮件"], ["only unread ones", "unread only"]),
           req=False, label=("是否只看未读", "unread only")),
         P("limit", "integer", "Maximum number of messages.", V.s_int(3, 20), req=False, label=("数量上限", "maximum count"))],
        zh=["~在邮箱里搜一下{query}[，{unread_only}]", "有没有关于{query}的邮件？", "~帮我找找包含{query}的邮件[，最多{limit}封]",
            "~查一下收件箱里{query}相关的邮件[，{unread_only}]", "我记得有封邮件讲{query}，帮我找出来。",
            "~搜索邮件：{query}[，{unread_only}]"],
        en=["~search my inbox for {query}[, {unread_only}]", "Do I have any emails about {query}?",
            "~find emails mentioning {query}[, at most {limit}]", "~look through my mail for {query}[ ({unread_only})]",
            "There was an email about {query} somewhere. Can you find it?", "~pull up messages about {query}"],
        result=r_inbox, answer_zh=[a_inbox], answer_en=[a_inbox],
    ),
    Tool(
        "mail.read_message", "email", "Read one e-mail by its message id.",
        ("读取邮件正文", "read an email"),
        [P("message_id", "string", "Message id, e.g. msg_1234.", V.s_code("msg_", 4), label=("邮件编号", "message id"))],
        zh=["~打开邮件{message_id}", "邮件{message_id}说了什么？", "~读一下编号{message_id}的邮件", "~帮我看看{message_id}这封邮件",
            "~显示{message_id}的正文", "{message_id}那封邮件内容是什么？"],
        en=["~open email {message_id}", "What does message {message_id} say?", "~read email {message_id} to me",
            "~show me the body of {message_id}", "~display message {message_id}", "What's in email {message_id}?"],
        result=lambda a, c: {"id": a["message_id"], "from": c.rng.choice(c.pools.emails),
                             "body": c.rng.choice(V.BODIES_ZH if c.zh else V.BODIES_EN)},
        answer_zh=["这封邮件来自{from}，内容是：{body}"], answer_en=["It's from {from}: \"{body}\""],
    ),
    Tool(
        "contacts.find_person", "contacts", "Look up a contact by name; returns e-mail and phone number.",
        ("查找联系人", "look up a contact"),
        [P("name", "string", "The person's name.", V.s_person, label=("姓名", "name"))],
        zh=["{name}的电话是多少？", "~查一下{name}的联系方式", "~帮我找找通讯录里的{name}", "{name}的邮箱地址是什么？",
            "~在联系人里搜{name}", "我要联系{name}，TA的电话和邮箱是？"],
        en=["What's {name}'s phone number?", "~look up {name} in my contacts", "~find the contact details for {name}",
            "What's {name}'s email address?", "~search my address book for {name}", "How can I reach {name}?"],
        result=r_contact,
        answer_zh=["{name}的邮箱是{email}，电话是{phone}。"], answer_en=["{name}: email {email}, phone {phone}."],
    ),
    Tool(
        "contacts.add_person", "contacts", "Add a new contact.",
        ("新建联系人", "add a contact"),
        [P("name", "string", "Full name.", V.s_person, label=("姓名", "name")),
         P("phone", "string", "Phone number.", V.s_phone, label=("电话", "phone number")),
         P("email", "string", "E-mail address.", V.s_email, req=False, label=("邮箱", "email"), format="email")],
        zh=["~把{name}加到通讯录，电话{phone}[，邮箱{email}]", "~新建联系人{name}，手机号{phone}[，邮箱是{email}]",
            "~保存一个联系人：{name}，{phone}[，{email}]", "~帮我存一下{name}的号码{phone}",
            "~添加联系人{name}，电话是{phone}[，邮件{email}]", "刚认识了{name}，号码{phone}[，邮箱{email}]，存一下。"],
        en=["~add {name} to my contacts with phone {phone}[ and email {email}]", "~save a new contact: {name}, {phone}[, {email}]",
            "~create a contact for {name}, number {phone}[, email {email}]", "~store {name}'s number {phone}",
            "I just met {name}. Save their number {phone}[ and email {email}].", "~add contact {name} ({phone})"],
        result=lambda a, c: {"contact_id": f"c_{c.rng.randint(100, 999)}", "name": a["name"], "phone": a["phone"]},
        answer_zh=["已添加联系人{name}（{phone}）。"], answer_en=["Added {name} ({phone}) to your contacts."],
    ),
    Tool(
        "sms.send_text", "messaging", "Send an SMS text message to a phone number.",
        ("发短信", "send a text message"),
        [P("phone", "string", "Recipient phone number.", V.s_phone, label=("手机号", "phone number")),
         P("message", "string", "Text of the message.", V.s_quoted(V.TEXTS_ZH, V.TEXTS_EN), label=("短信内容", "message"))],
        zh=["~给{phone}发条短信，内容是{message}", "~发短信到{phone}：{message}", "~帮我给{phone}发个消息说{message}",
            "~短信通知{phone}，就说{message}", "~给号码{phone}发送{message}", "请发一条短信给{phone}，内容{message}"],
        en=["~text {phone} saying {message}", "~send an SMS to {phone}: {message}", "~message {phone} with {message}",
            "~send a text to {phone} that says {message}", "Please text {phone}: {message}", "~shoot a text to {phone}: {message}"],
        result=lambda a, c: {"status": "delivered", "phone": a["phone"]},
        answer_zh=["短信已发送到{phone}。"], answer_en=["Your text to {phone} was delivered."],
    ),
]

# --------------------------------------------------------------------------- translation

LANG_ENUM = V.LANGUAGE_CODES


def s_target_lang(c: Ctx):
    """A language other than the one the user writes in."""
    code = c.rng.choice([x for x in V.LANGUAGE_CODES if x != c.lang])
    zh, en = V.LANGUAGES[code]
    return c.rng.choice(zh if c.zh else en), code


def s_source_lang(c: Ctx):
    """The language of the text (the user's own language)."""
    zh, en = V.LANGUAGES[c.lang]
    return c.rng.choice(zh if c.zh else en), c.lang


def r_translate(a, c):
    samples = {"zh": "这是翻译后的文本。", "en": "This is the translated text.", "ja": "これは翻訳されたテキストです。",
               "ko": "번역된 텍스트입니다.", "fr": "Ceci est le texte traduit.", "de": "Dies ist der übersetzte Text.",
               "es": "Este es el texto traducido.", "ru": "Это переведённый текст.", "it": "Questo è il testo tradotto.",
               "pt": "Este é o texto traduzido."}
    text = samples[a["target_language"]]
    if a["target_language"] in ("zh", "en") and a["text"] in V.TRANSLATIONS:
        text = V.TRANSLATIONS[a["text"]]
    return {"source_language": a.get("source_language", "auto"), "target_language": a["target_language"], "translation": text}


def _detect(text: str) -> str:
    if "ありがとう" in text:
        return "ja"
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "zh"
    for word, code in (("Bonjour", "fr"), ("Guten", "de"), ("¿", "es")):
        if word in text:
            return code
    return "en"


TRANSLATION = [
    Tool(
        "lang.translate", "translation", "Translate text into a target language.",
        ("翻译文本", "translate text"),
        [P("text", "string", "Text to translate.", V.s_quoted(V.TEXTS_ZH, V.TEXTS_EN), label=("要翻译的文本", "text")),
         P("target_language", "string", "Target language code.", s_target_lang, label=("目标语言", "target language"), enum=LANG_ENUM),
         P("source_language", "string", "Source language code (detected when omitted).", s_source_lang, req=False,
           label=("源语言", "source language"), enum=LANG_ENUM)],
        zh=["~把{text}翻译成{target_language}", "{text}用{target_language}怎么说？", "~帮我把这句话[从{source_language}]译成{target_language}：{text}",
            "~将{text}[由{source_language}]翻成{target_language}", "{text}——这句的{target_language}翻译是什么？",
            "~翻译一下：{text}，目标语言{target_language}"],
        en=["~translate {text} into {target_language}", "How do you say {text} in {target_language}?",
            "~translate this[ from {source_language}] to {target_language}: {text}",
            "~render {text} in {target_language}", "What's {text} in {target_language}?",
            "~give me the {target_language} version of {text}"],
        result=r_translate,
        answer_zh=["翻译结果：{translation}"], answer_en=["Translation: {translation}"],
        multi=Multi("target_language", ["~把{text}分别翻译成{items}"], ["~translate {text} into {items}"]),
        follow="target_language",
    ),
    Tool(
        "lang.detect", "translation", "Detect which language a text is written in.",
        ("识别文本语言", "detect the language of a text"),
        [P("text", "string", "The text.", V.s_quoted(V.TEXTS_ZH + ["Bonjour, comment ça va ?", "Guten Morgen!", "ありがとうございます"],
                                                      V.TEXTS_EN + ["Bonjour, comment ça va ?", "Guten Morgen!", "¿Dónde está la estación?"]),
           label=("文本", "text"))],
        zh=["{text}这是什么语言？", "~识别一下{text}是哪种语言", "~帮我判断{text}用的是什么语言", "{text}——这句是哪国话？",
            "~检测这段文字的语言：{text}", "看不懂这句：{text}，是什么语言写的？"],
        en=["What language is {text}?", "~detect the language of {text}", "~figure out which language this is: {text}",
            "~identify the language in {text}", "Which language is {text} written in?", "I can't read {text}. What language is it?"],
        result=lambda a, c: {"language": _detect(a["text"]), "confidence": round(c.rng.uniform(0.8, 0.99), 2)},
        answer_zh=["这段文字的语言是{language}，置信度{confidence}。"], answer_en=["It's {language} (confidence {confidence})."],
    ),
    Tool(
        "dictionary.define", "translation", "Dictionary definition of a word.",
        ("查词典释义", "look up a word in the dictionary"),
        [P("word", "string", "The word.", V.s_choice(V.WORDS_ZH, V.WORDS_EN), label=("词语", "word"))],
        zh=["“{word}”是什么意思？", "~查一下{word}的释义", "~帮我解释词语{word}", "{word}这个词怎么理解？",
            "~在词典里查{word}", "{word}的意思是什么？"],
        en=["What does \"{word}\" mean?", "~define {word}", "~look up {word} in the dictionary", "What's the meaning of {word}?",
            "~give me the definition of {word}", "I keep seeing the word {word}. What does it mean?"],
        result=lambda a, c: {"word": a["word"], "definition": "（释义）表示一种状态或性质。" if c.zh else "(definition) a quality or state.",
                             "part_of_speech": "名词" if c.zh else "noun"},
        answer_zh=["“{word}”（{part_of_speech}）：{definition}"], answer_en=["{word} ({part_of_speech}): {definition}"],
    ),
]

# --------------------------------------------------------------------------- database

DATABASE = [
    Tool(
        "db.run_sql", "database", "Run a SQL statement on a database and return the rows.",
        ("执行SQL查询", "run a SQL query"),
        [P("sql", "string", "The SQL statement.", V.s_choice(V.SQL_QUERIES), label=("SQL语句", "SQL statement")),
         P("database", "string", "Database name (default: main).", V.s_choice(V.DB_NAMES), req=False, label=("数据库名", "database"))],
        zh=["~[在{database}库里]执行这条SQL：{sql}", "~帮我跑一下：{sql}[，数据库用{database}]", "~运行SQL语句{sql}",
            "~[到{database}数据库]查询：{sql}", "这条SQL的结果是什么？{sql}", "~执行 {sql}[（{database}库）]"],
        en=["~run this SQL[ on the {database} database]: {sql}", "~execute {sql}[ against {database}]",
            "~query the database with: {sql}", "What does this return? {sql}", "~run {sql}[ in {database}]",
            "~execute the following statement[ on {database}]: {sql}"],
        result=lambda a, c: {"rows": [[c.rng.randint(1, 500)], [c.rng.randint(1, 500)]][:c.rng.randint(1, 2)],
                             "row_count": c.rng.randint(1, 2), "elapsed_ms": c.rng.randint(3, 400)},
        answer_zh=["查询完成，返回{row_count}行，耗时{elapsed_ms}毫秒：{rows}"],
        answer_en=["Done: {row_count} row(s) in {elapsed_ms} ms: {rows}"],
    ),
    Tool(
        "db.list_tables", "database", "List the tables of a database.",
        ("列出数据库中的表", "list the tables in a database"),
        [P("database", "string", "Database name.", V.s_choice(V.DB_NAMES), label=("数据库名", "database"))],
        zh=["{database}库里有哪些表？", "~列出{database}数据库的所有表", "~看看{database}下面有什么表", "~帮我查{database}的表清单",
            "~显示{database}中的数据表", "{database}这个数据库都有什么表？"],
        en=["What tables are in the {database} database?", "~list the tables in {database}", "~show me all tables of {database}",
            "~enumerate the tables in {database}", "Which tables does {database} have?", "~print the table list for {database}"],
        result=lambda a, c: {"database": a["database"], "tables": c.rng.sample(V.TABLES, 4)},
        answer_zh=[lambda a, s, r, c: f"{r['database']}库中有这些表：" + "、".join(r["tables"]) + "。"],
        answer_en=[lambda a, s, r, c: f"{r['database']} has these tables: " + ", ".join(r["tables"]) + "."],
    ),
    Tool(
        "db.describe_table", "database", "Columns and types of a table.",
        ("查看表结构", "describe a table's columns"),
        [P("table", "string", "Table name.", V.s_choice(V.TABLES), label=("表名", "table")),
         P("database", "string", "Database name.", V.s_choice(V.DB_NAMES), req=False, label=("数据库名", "database"))],
        zh=["{table}表有哪些字段？", "~查看[{database}库]{table}表的结构", "~描述一下{table}这张表[（{database}库）]",
            "~帮我看看{table}的列和类型", "[{database}里的]{table}表结构是什么样的？", "~显示{table}的schema"],
        en=["What columns does the {table} table have?", "~describe the {table} table[ in {database}]",
            "~show the schema of {table}", "~list the columns and types of {table}[ ({database})]",
            "What's the structure of {table}?", "~print the table definition for {table}"],
        result=lambda a, c: {"table": a["table"], "columns": [{"name": "id", "type": "bigint"}, {"name": "created_at", "type": "timestamp"},
                                                              {"name": c.rng.choice(["name", "status", "amount"]), "type": "varchar"}]},
        answer_zh=[lambda a, s, r, c: f"{r['table']}表的字段：" + "，".join(f"{x['name']}（{x['type']}）" for x in r["columns"]) + "。"],
        answer_en=[lambda a, s, r, c: f"{r['table']} columns: " + ", ".join(f"{x['name']} ({x['type']})" for x in r["columns"]) + "."],
    ),
    Tool(
        "db.export_csv", "database", "Export a whole table to a CSV file.",
        ("把数据表导出为CSV", "export a table to CSV"),
        [P("table", "string", "Table name.", V.s_choice(V.TABLES), label=("表名", "table")),
         P("output_path", "string", "Where to write the CSV.", V.s_path("csv"), label=("输出路径", "output path"))],
        zh=["~把{table}表导出到{output_path}", "~将{table}导成CSV，存到{output_path}", "~导出{table}表的数据到{output_path}",
            "~帮我把{table}全部数据存成{output_path}", "我需要{table}表的CSV，放到{output_path}。", "~导出表{table} -> {output_path}"],
        en=["~export the {table} table to {output_path}", "~dump {table} as CSV into {output_path}",
            "~save all rows of {table} to {output_path}", "I need {table} as a CSV at {output_path}.",
            "~write {table} out to {output_path}", "~export {table} -> {output_path}"],
        result=lambda a, c: {"table": a["table"], "path": a["output_path"], "rows": c.rng.randint(100, 90000)},
        answer_zh=["已把{table}的{rows}行数据导出到{path}。"], answer_en=["Exported {rows} rows of {table} to {path}."],
    ),
]

# --------------------------------------------------------------------------- image

IMG_STYLE = V.enum_sampler({"realistic": (["写实", "照片级写实"], ["photorealistic", "realistic"]),
                            "anime": (["动漫", "二次元"], ["anime"]), "watercolor": (["水彩"], ["watercolor"]),
                            "oil_painting": (["油画"], ["oil painting"]), "pixel_art": (["像素风"], ["pixel art"])},
                           verbatim_en=False)
IMG_SIZE = V.s_choice(["512x512", "1024x1024", "1024x768", "768x1024"])
IMG_FORMAT = V.enum_sampler({"png": (["PNG", "png"], ["PNG", "png"]), "jpeg": (["JPG", "jpg", "JPEG"], ["JPEG", "JPG", "jpg"]),
                             "webp": (["WebP", "webp"], ["WebP", "webp"])}, verbatim_en=False)

def _convert_joint(c: Ctx):
    path = V.s_path("img")(c)
    ext = path[1].rsplit(".", 1)[-1].lower().replace("jpg", "jpeg")
    for _ in range(10):
        fmt = IMG_FORMAT(c)
        if fmt[1] != ext:
            break
    return {"path": path, "target_format": fmt}


IMAGE = [
    Tool(
        "image.generate", "image", "Generate an image from a text prompt.",
        ("根据描述生成图片", "generate an image from a description"),
        [P("prompt", "string", "What the picture shows.", V.s_choice(V.IMAGE_PROMPTS_ZH, V.IMAGE_PROMPTS_EN), label=("画面描述", "prompt")),
         P("style", "string", "Art style.", IMG_STYLE, req=False, label=("风格", "style")),
         P("size", "string", "Image size in pixels.", IMG_SIZE, req=False, label=("尺寸", "size"),
           enum=["512x512", "1024x1024", "1024x768", "768x1024"])],
        zh=["~画一张{prompt}[，{style}风格]", "~帮我生成一张图：{prompt}[，尺寸{size}]", "~生成{prompt}的图片[，用{style}风格][，{size}]",
            "我想要一张{prompt}的图[，{style}的]。", "~来一幅{prompt}[，要{style}风格]", "~用AI画{prompt}[，分辨率{size}]"],
        en=["~draw {prompt}[ in {style} style]", "~generate an image of {prompt}[ at {size}]",
            "~create a picture of {prompt}[, {style}][, {size}]", "I'd love an image of {prompt}[ in a {style} style].",
            "~make me an illustration: {prompt}[ ({size})]", "~paint {prompt}[ as {style}]"],
        result=lambda a, c: {"image_url": f"https://img.example.com/gen/{c.rng.randint(100000, 999999)}.png",
                             "size": a.get("size", "1024x1024")},
        answer_zh=["图片生成好了：{image_url}（{size}）。"], answer_en=["Here's your image: {image_url} ({size})."],
    ),
    Tool(
        "image.resize", "image", "Resize an image file to the given width and height in pixels.",
        ("调整图片尺寸", "resize an image"),
        [P("path", "string", "Image file path.", V.s_path("img"), label=("图片路径", "image path")),
         P("width", "integer", "New width in pixels.", V.s_int(64, 2048), label=("宽度", "width"), minimum=1),
         P("height", "integer", "New height in pixels.", V.s_int(64, 2048), label=("高度", "height"), minimum=1)],
        zh=["~把{path}缩放到{width}x{height}", "~将图片{path}调整为宽{width}、高{height}", "~把{path}改成{width}乘{height}像素",
            "~帮我把{path}的尺寸改成{width}×{height}", "{path}太大了，压到{width}x{height}吧。", "~resize一下{path}，宽{width}高{height}"],
        en=["~resize {path} to {width}x{height}", "~scale {path} to {width} by {height} pixels",
            "~make {path} {width} wide and {height} tall", "~change the size of {path} to {width}x{height}",
            "{path} is too big; shrink it to {width}x{height}.", "~set {path} to width {width}, height {height}"],
        result=lambda a, c: {"path": a["path"], "width": a["width"], "height": a["height"]},
        answer_zh=["{path}已调整为{width}x{height}。"], answer_en=["{path} is now {width}x{height}."],
    ),
    Tool(
        "image.convert_format", "image", "Convert an image file to another format.",
        ("转换图片格式", "convert an image's format"),
        [P("path", "string", "Image file path.", V.s_path("img"), label=("图片路径", "image path")),
         P("target_format", "string", "Output format.", IMG_FORMAT, label=("目标格式", "target format"), enum=["png", "jpeg", "webp"])],
        zh=["~把{path}转成{target_format}", "~将{path}转换为{target_format}格式", "~帮我把{path}另存为{target_format}",
            "{path}能转成{target_format}吗？", "~转换图片格式：{path} -> {target_format}", "~把图片{path}改成{target_format}格式"],
        en=["~convert {path} to {target_format}", "~save {path} as {target_format}", "~change {path} into a {target_format} file",
            "Can you turn {path} into {target_format}?", "~convert image {path} -> {target_format}", "~re-encode {path} as {target_format}"],
        result=lambda a, c: {"output": a["path"].rsplit(".", 1)[0] + "." + a["target_format"].replace("jpeg", "jpg")},
        joint=_convert_joint,
        answer_zh=["转换完成，新文件是{output}。"], answer_en=["Converted. The new file is {output}."],
    ),
    Tool(
        "image.describe", "image", "Describe what an image shows.",
        ("识别图片内容", "describe what's in an image"),
        [P("path", "string", "Image file path or URL.", V.s_path("img"), label=("图片路径", "image path"))],
        zh=["{path}这张图里有什么？", "~描述一下{path}的内容", "~帮我看看{path}画的是什么", "~识别图片{path}",
            "~给{path}写一段图片说明", "{path}拍的是哪里？"],
        en=["What's in {path}?", "~describe the image {path}", "~tell me what {path} shows", "~caption {path}",
            "~identify the contents of {path}", "What does the picture {path} depict?"],
        result=lambda a, c: {"caption": "一只猫坐在窗台上，背景是城市街景。" if c.zh else "A cat sitting on a windowsill with a city street behind it.",
                             "objects": ["cat", "window"]},
        answer_zh=["图片内容：{caption}"], answer_en=["The image shows: {caption}"],
    ),
]

# --------------------------------------------------------------------------- system

PROC_SORT = V.enum_sampler({"cpu": (["CPU", "cpu"], ["CPU", "cpu"]), "memory": (["内存"], ["memory", "RAM"])}, verbatim_en=False)


def r_top(a, c):
    procs = [{"pid": c.rng.randint(300, 65000), "name": n, a["sort_by"]: round(c.rng.uniform(1, 60), 1)}
             for n in c.rng.sample(V.PROCESSES, 3)]
    procs.sort(key=lambda p: -p[a["sort_by"]])
    return {"sort_by": a["sort_by"], "processes": procs}


def a_top(a, s, r, c):
    key = r["sort_by"]
    unit = "%" if key == "cpu" else "%"
    if c.zh:
        return "占用最高的进程：" + "；".join(f"{p['name']}（PID {p['pid']}，{p[key]}{unit}）" for p in r["processes"]) + "。"
    return "Top processes: " + "; ".join(f"{p['name']} (PID {p['pid']}, {p[key]}{unit})" for p in r["processes"]) + "."


SYSTEM = [
    Tool(
        "shell.exec", "system", "Run a shell command and return its output.",
        ("执行命令行命令", "run a shell command"),
        [P("command", "string", "The command line.", V.s_choice(V.COMMANDS), label=("命令", "command")),
         P("timeout_s", "integer", "Timeout in seconds.", V.s_int(5, 120), req=False, label=("超时秒数", "timeout in seconds")),
         P("cwd", "string", "Working directory.", V.s_dir, req=False, label=("工作目录", "working directory"))],
        zh=["~执行命令{command}[，超时{timeout_s}秒]", "~在终端里跑一下{command}", "~[在{cwd}下]运行{command}",
            "~帮我执行 {command}[（工作目录{cwd}）]", "跑一下{command}看看输出[，{timeout_s}秒超时]。", "~运行shell命令：{command}"],
        en=["~run {command}[ with a {timeout_s} second timeout]", "~execute {command} in the terminal",
            "~run the command {command}[ in {cwd}]", "What does {command} print?", "~execute the shell command {command}[ from {cwd}]",
            "~kick off {command}[, timeout {timeout_s} s]"],
        result=lambda a, c: {"exit_code": 0, "stdout": "ok", "command": a["command"]},
        answer_zh=["命令{command}执行完毕，退出码{exit_code}，输出：{stdout}"],
        answer_en=["{command} finished with exit code {exit_code}. Output: {stdout}"],
    ),
    Tool(
        "system.disk_usage", "system", "Disk usage (total, used, free) of the filesystem holding a path.",
        ("查看磁盘空间", "check disk space"),
        [P("path", "string", "Any path on the filesystem.", V.s_dir, label=("路径", "path"))],
        zh=["{path}所在的磁盘还剩多少空间？", "~查一下{path}的磁盘使用情况", "~看看{path}那个盘满了没有", "~统计{path}所在分区的剩余空间",
            "{path}的硬盘空间够不够？", "~帮我查{path}的磁盘占用"],
        en=["How much free space is left on the disk with {path}?", "~check the disk usage for {path}",
            "~see if the drive holding {path} is full", "Is there enough disk space at {path}?",
            "~show free space on the partition with {path}", "~report disk usage of {path}"],
        result=lambda a, c: (lambda t, u: {"path": a["path"], "total_gb": t, "used_gb": u, "free_gb": t - u})(
            c.rng.choice([256, 512, 1000, 2000]), c.rng.randint(40, 240)),
        answer_zh=["{path}所在磁盘共{total_gb}GB，已用{used_gb}GB，剩余{free_gb}GB。"],
        answer_en=["The disk at {path} has {free_gb} GB free of {total_gb} GB ({used_gb} GB used)."],
    ),
    Tool(
        "system.top_processes", "system", "Processes using the most CPU or memory.",
        ("查看资源占用最高的进程", "list the processes using the most resources"),
        [P("sort_by", "string", "Rank by cpu or memory.", PROC_SORT, label=("排序依据", "ranking resource")),
         P("limit", "integer", "How many processes.", V.s_int(3, 10), req=False, label=("数量", "count"))],
        zh=["哪些进程占{sort_by}最多？", "~看看[前{limit}个]最吃{sort_by}的进程", "~列出{sort_by}占用最高的[{limit}个]进程",
            "电脑好卡，哪个程序在占{sort_by}？", "~按{sort_by}排序显示进程[，只要{limit}个]", "~查一下{sort_by}使用率最高的进程"],
        en=["Which processes are using the most {sort_by}?", "~show the top[ {limit}] processes by {sort_by}",
            "~list the processes hogging {sort_by}", "My computer is slow. What's eating the {sort_by}?",
            "~sort processes by {sort_by}[ and show {limit}]", "~find the biggest {sort_by} consumers"],
        result=r_top, answer_zh=[a_top], answer_en=[a_top],
    ),
    Tool(
        "system.kill_process", "system", "Terminate a process by PID.",
        ("结束进程", "terminate a process"),
        [P("pid", "integer", "Process id.", V.s_int(300, 65000), label=("进程号", "PID")),
         P("force", "boolean", "Force kill (SIGKILL).", V.flag(["强制结束", "强杀"], ["force it", "forcefully"]),
           req=False, label=("是否强制", "force"))],
        zh=["~结束进程{pid}[，{force}]", "~把PID {pid}杀掉", "~kill掉{pid}这个进程[，{force}]", "进程{pid}卡死了，帮我关掉。",
            "~终止pid为{pid}的进程", "~停止进程号{pid}[（{force}）]"],
        en=["~kill process {pid}[ and {force}]", "~terminate PID {pid}", "~end process {pid}[, {force}]",
            "Process {pid} is frozen. Kill it.", "~stop the process with pid {pid}", "~shut down process {pid}[ {force}]"],
        result=lambda a, c: {"pid": a["pid"], "terminated": True},
        answer_zh=["进程{pid}已结束。"], answer_en=["Process {pid} has been terminated."],
    ),
]

# --------------------------------------------------------------------------- data analysis

CORR_METHOD = V.enum_sampler({"pearson": (["皮尔逊", "Pearson"], ["Pearson"]), "spearman": (["斯皮尔曼", "Spearman"], ["Spearman"])})
CHART = V.enum_sampler({"line": (["折线图"], ["line chart", "line"]), "bar": (["柱状图", "条形图"], ["bar chart", "bar"]),
                        "scatter": (["散点图"], ["scatter plot", "scatter"])}, verbatim_en=False)


def _two_cols(c: Ctx):
    x, y = c.rng.sample(V.CSV_COLUMNS, 2)
    return {"column_x": (x, x), "column_y": (y, y)}


def r_describe(a, c):
    xs = sorted(a["numbers"])
    n = len(xs)
    mean = round(sum(xs) / n, 2)
    med = xs[n // 2] if n % 2 else round((xs[n // 2 - 1] + xs[n // 2]) / 2, 2)
    return {"count": n, "mean": mean, "median": med, "min": xs[0], "max": xs[-1]}


DATA = [
    Tool(
        "data.csv_summary", "data", "Summary statistics (count, mean, std, min, max) of the columns of a CSV file.",
        ("统计CSV文件的数据概况", "summarise the columns of a CSV file"),
        [P("path", "string", "CSV file path.", V.s_path("csv"), label=("CSV文件路径", "CSV path")),
         P("columns", "array", "Only these columns.", V.s_list_of(V.CSV_COLUMNS, V.CSV_COLUMNS, 1, 3), req=False,
           label=("列名", "columns"), items={"type": "string"})],
        zh=["~分析一下{path}的数据[，只看{columns}这几列]", "~统计{path}[里{columns}]的均值、最大最小值", "{path}里的数据大概是什么情况？",
            "~给{path}做个描述性统计[，列：{columns}]", "~帮我看下{path}[中{columns}]的基本统计量", "~汇总{path}的各列数据"],
        en=["~summarize the data in {path}[, just the {columns} columns]", "~give me summary statistics for {path}[ ({columns})]",
            "What does the data in {path} look like?", "~describe {path}[ for {columns}]",
            "~compute mean, min and max for {path}[ columns {columns}]", "~profile the CSV {path}"],
        result=lambda a, c: {"path": a["path"], "rows": c.rng.randint(50, 20000),
                             "summary": {col: {"mean": round(c.rng.uniform(1, 500), 2), "max": c.rng.randint(500, 900)}
                                         for col in (a.get("columns") or c.rng.sample(V.CSV_COLUMNS, 2))}},
        answer_zh=[lambda a, s, r, c: f"{r['path']}共{r['rows']}行。" + "；".join(f"{k}：均值{v['mean']}，最大值{v['max']}" for k, v in r["summary"].items()) + "。"],
        answer_en=[lambda a, s, r, c: f"{r['path']} has {r['rows']} rows. " + "; ".join(f"{k}: mean {v['mean']}, max {v['max']}" for k, v in r["summary"].items()) + "."],
    ),
    Tool(
        "data.correlation", "data", "Correlation coefficient between two columns of a CSV file.",
        ("计算两列数据的相关系数", "compute the correlation between two columns"),
        [P("path", "string", "CSV file path.", V.s_path("csv"), label=("CSV文件路径", "CSV path")),
         P("column_x", "string", "First column.", None, label=("第一列", "first column")),
         P("column_y", "string", "Second column.", None, label=("第二列", "second column")),
         P("method", "string", "Correlation method.", CORR_METHOD, req=False, label=("方法", "method"))],
        zh=["{path}里{column_x}和{column_y}相关吗？", "~算一下{path}中{column_x}与{column_y}的相关系数[，用{method}]",
            "~分析{path}的{column_x}和{column_y}之间的相关性", "~[用{method}方法]计算{path}里{column_x}、{column_y}两列的相关性",
            "{column_x}跟{column_y}有关系吗？数据在{path}。", "~求{path}中{column_x}与{column_y}的[{method}]相关系数"],
        en=["Are {column_x} and {column_y} correlated in {path}?", "~compute the correlation between {column_x} and {column_y} in {path}[ using {method}]",
            "~check how {column_x} relates to {column_y} in {path}", "~calculate the[ {method}] correlation of {column_x} and {column_y} in {path}",
            "Is there a relationship between {column_x} and {column_y}? The data is in {path}.",
            "~measure the correlation of {column_x} vs {column_y} in {path}"],
        result=lambda a, c: {"method": a.get("method", "pearson"), "coefficient": round(c.rng.uniform(-0.9, 0.95), 3),
                             "column_x": a["column_x"], "column_y": a["column_y"]},
        answer_zh=["{column_x}和{column_y}的相关系数是{coefficient}（{method}）。"],
        answer_en=["The {method} correlation between {column_x} and {column_y} is {coefficient}."],
        joint=_two_cols,
    ),
    Tool(
        "data.plot_chart", "data", "Plot two columns of a CSV file as a chart image.",
        ("把数据画成图表", "plot data as a chart"),
        [P("path", "string", "CSV file path.", V.s_path("csv"), label=("CSV文件路径", "CSV path")),
         P("x_column", "string", "Column for the x axis.", V.s_choice(["date", "month", "region", "day", "category"]),
           label=("横轴列", "x-axis column")),
         P("y_column", "string", "Column for the y axis.", V.s_choice(V.CSV_COLUMNS), label=("纵轴列", "y-axis column")),
         P("chart_type", "string", "Kind of chart.", CHART, req=False, label=("图表类型", "chart type"))],
        zh=["~用{path}画一张[{chart_type}，]横轴{x_column}，纵轴{y_column}", "~把{path}里的{y_column}按{x_column}画出来[，画成{chart_type}]",
            "~根据{path}做个[{chart_type}]图：x是{x_column}，y是{y_column}", "~可视化{path}中{y_column}随{x_column}的变化[，用{chart_type}]",
            "~给{path}画图，{x_column}对{y_column}", "我想看{path}里{y_column}随{x_column}的走势[，{chart_type}就行]。"],
        en=["~plot {y_column} against {x_column} from {path}[ as a {chart_type}]", "~make a[ {chart_type}] chart of {path} with {x_column} on x and {y_column} on y",
            "~chart {y_column} by {x_column} using {path}", "~visualize how {y_column} changes with {x_column} in {path}[ ({chart_type})]",
            "I want to see {y_column} over {x_column} from {path}[ in a {chart_type}].", "~graph {path}: x={x_column}, y={y_column}"],
        result=lambda a, c: {"image": a["path"].rsplit(".", 1)[0] + "_chart.png", "chart_type": a.get("chart_type", "line")},
        answer_zh=["图表已生成：{image}"], answer_en=["Chart saved to {image}."],
    ),
    Tool(
        "stats.describe_numbers", "data", "Count, mean, median, minimum and maximum of a list of numbers.",
        ("计算一组数的统计量", "compute statistics of a list of numbers"),
        [P("numbers", "array", "The numbers.", V.s_number_list, label=("数字列表", "numbers"), items={"type": "number"}, minItems=1)],
        zh=["~算一下这组数的平均值和中位数：{numbers}", "{numbers}这几个数的均值是多少？", "~统计{numbers}的最大值、最小值和平均数",
            "~帮我分析这些数据：{numbers}", "我记了几次成绩：{numbers}，平均多少？", "~求{numbers}的中位数"],
        en=["~compute the mean and median of {numbers}", "What's the average of {numbers}?", "~give me min, max and mean for {numbers}",
            "~analyze these numbers: {numbers}", "My scores were {numbers}. What's my average?", "~find the median of {numbers}"],
        result=r_describe,
        answer_zh=["共{count}个数，平均值{mean}，中位数{median}，最小{min}，最大{max}。"],
        answer_en=["{count} numbers: mean {mean}, median {median}, min {min}, max {max}."],
        overlap=("calc.evaluate",),
    ),
]

TOOLS_A = WEATHER + TIME + MATH + WEB + FILES + COMM + TRANSLATION + DATABASE + IMAGE + SYSTEM + DATA
