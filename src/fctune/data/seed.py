"""The original 15-sample Chinese seed set and its built-in tools; ``fctune data seed --out FILE``.

Twelve categories: weather x2, time x2, math x2, web search, file operation, e-mail,
translation, database, image processing, system command, data analysis, and one request answered
with two parallel calls. Every argument value is taken plainly from the user's words.
"""

from __future__ import annotations

import copy
from typing import Any

SMOKE_PROMPTS = ["今天北京的天气怎么样？", "帮我计算一下 25 * 4 + 10", "现在几点了？", "搜索一下人工智能的最新发展"]
SMOKE_EXPECTED = ["get_weather(location=北京)", "calculate(expression=25*4+10)", "get_current_time()",
                  "web_search(query about 人工智能)"]
"""What a right answer to each smoke prompt is, in words (checked by :func:`smoke_answer_is_right`)."""


def smoke_answer_is_right(index: int, calls: list[dict]) -> bool:
    """Whether ``calls`` (``[{"name", "arguments"}]``) answer smoke prompt ``index`` right: exactly one
    call, the right tool, and the request's values (北京; the expression 25 * 4 + 10, spaces aside;
    any time zone or none; a query that names 人工智能)."""
    if len(calls) != 1:
        return False
    name, args = calls[0]["name"], calls[0].get("arguments") or {}
    if index == 0:
        return name == "get_weather" and args.get("location") in ("北京", "北京市", "Beijing") \
            and args.get("date", "today") in ("today", "今天")
    if index == 1:
        return name == "calculate" and str(args.get("expression", "")).replace(" ", "") == "25*4+10"
    if index == 2:
        return name == "get_current_time"
    if index == 3:
        return name == "web_search" and "人工智能" in str(args.get("query", ""))
    raise IndexError(index)


def _tool(name: str, description: str, properties: dict[str, dict], required: list[str]) -> dict:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required}}}


_TOOLS: list[dict] = [
    _tool("get_weather", "获取指定城市在某一天的天气信息", {
        "location": {"type": "string", "description": "城市名称，例如：北京、上海"},
        "date": {"type": "string", "description": "日期：today、tomorrow 或 YYYY-MM-DD，默认 today"},
    }, ["location"]),
    _tool("get_current_time", "获取当前的日期和时间", {
        "timezone": {"type": "string", "description": "时区名称，例如 Asia/Shanghai 或 UTC，默认本地时区"},
    }, []),
    _tool("calculate", "计算数学表达式的值", {
        "expression": {"type": "string", "description": "要计算的数学表达式，例如 2 + 3 * 4"},
    }, ["expression"]),
    _tool("web_search", "在互联网上搜索信息", {
        "query": {"type": "string", "description": "搜索关键词"},
        "num_results": {"type": "integer", "description": "返回结果的数量，默认 5", "minimum": 1, "maximum": 20},
    }, ["query"]),
    _tool("file_operation", "对文件进行读取、写入、列出或删除操作", {
        "operation": {"type": "string", "enum": ["read", "write", "list", "delete"], "description": "操作类型"},
        "path": {"type": "string", "description": "文件或目录的路径"},
        "content": {"type": "string", "description": "写入时的文件内容"},
    }, ["operation", "path"]),
    _tool("send_email", "发送电子邮件", {
        "to": {"type": "string", "description": "收件人邮箱地址"},
        "subject": {"type": "string", "description": "邮件主题"},
        "body": {"type": "string", "description": "邮件正文"},
    }, ["to", "subject", "body"]),
    _tool("translate_text", "把文本翻译成目标语言", {
        "text": {"type": "string", "description": "要翻译的文本"},
        "target_language": {"type": "string", "description": "目标语言，例如：英文、日文、法文"},
        "source_language": {"type": "string", "description": "源语言，不填则自动检测"},
    }, ["text", "target_language"]),
    _tool("database_query", "在数据库上执行 SQL 查询并返回结果", {
        "sql": {"type": "string", "description": "要执行的 SQL 语句"},
        "database": {"type": "string", "description": "数据库名称，默认当前数据库"},
    }, ["sql"]),
    _tool("image_processing", "对图片进行处理：调整尺寸、旋转、裁剪、转灰度或压缩", {
        "image_path": {"type": "string", "description": "图片文件路径"},
        "operation": {"type": "string", "enum": ["resize", "rotate", "crop", "grayscale", "compress"],
                      "description": "处理操作"},
        "width": {"type": "integer", "description": "目标宽度（像素），调整尺寸时使用"},
        "height": {"type": "integer", "description": "目标高度（像素），调整尺寸时使用"},
        "angle": {"type": "number", "description": "旋转角度（度），旋转时使用"},
    }, ["image_path", "operation"]),
    _tool("execute_command", "在本机终端执行一条系统命令并返回输出", {
        "command": {"type": "string", "description": "要执行的命令"},
        "working_directory": {"type": "string", "description": "执行命令的目录，默认当前目录"},
    }, ["command"]),
    _tool("analyze_data", "分析数据文件并给出统计结果", {
        "file_path": {"type": "string", "description": "数据文件路径，例如 CSV 文件"},
        "analysis_type": {"type": "string", "enum": ["summary", "mean", "trend", "correlation"],
                          "description": "分析类型：summary 统计摘要、mean 平均值、trend 趋势、correlation 相关性"},
        "column": {"type": "string", "description": "要分析的列名，不填则分析全部列"},
    }, ["file_path", "analysis_type"]),
]


def original_tools() -> list[dict]:
    """The built-in tools of the original recipe, one per category (OpenAI format, JSON Schema)."""
    return copy.deepcopy(_TOOLS)


def _tools(*names: str) -> list[dict]:
    by_name = {t["function"]["name"]: t for t in _TOOLS}
    return [copy.deepcopy(by_name[n]) for n in names]


def _call(name: str, **arguments: Any) -> dict:
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


def _conv(ident: str, tools: list[str], user: str, preface: str, *calls: dict) -> dict:
    return {"id": f"seed-{ident}", "tools": _tools(*tools), "messages": [
        {"role": "user", "content": user},
        {"role": "assistant", "content": preface, "tool_calls": list(calls)},
    ]}


def seed_conversations() -> list[dict]:
    """The 15 Chinese seed conversations (canonical format, fresh copies on every call)."""
    return [
        _conv("01-weather", ["get_weather", "get_current_time", "web_search"],
              "今天北京的天气怎么样？", "我来帮您查询北京今天的天气情况。",
              _call("get_weather", location="北京", date="today")),
        _conv("02-weather", ["get_weather", "web_search"],
              "明天上海会下雨吗？", "我来帮您查询上海明天的天气。",
              _call("get_weather", location="上海", date="tomorrow")),
        _conv("03-time", ["get_current_time", "get_weather"],
              "现在几点了？", "我来帮您查看当前时间。",
              _call("get_current_time")),
        _conv("04-time", ["get_current_time", "calculate"],
              "现在 UTC 时间是几点？", "我来帮您查询当前的 UTC 时间。",
              _call("get_current_time", timezone="UTC")),
        _conv("05-math", ["calculate", "web_search"],
              "帮我计算一下 25 * 4 + 10", "我来帮您计算这个表达式。",
              _call("calculate", expression="25 * 4 + 10")),
        _conv("06-math", ["calculate", "analyze_data"],
              "(128 + 72) / 8 等于多少？", "我来帮您算一下。",
              _call("calculate", expression="(128 + 72) / 8")),
        _conv("07-search", ["web_search", "get_current_time"],
              "搜索一下人工智能的最新发展", "我来帮您搜索人工智能的最新发展。",
              _call("web_search", query="人工智能的最新发展")),
        _conv("08-file", ["file_operation", "execute_command"],
              "帮我读取 /home/user/notes.txt 文件的内容", "我来帮您读取这个文件。",
              _call("file_operation", operation="read", path="/home/user/notes.txt")),
        _conv("09-email", ["send_email", "translate_text"],
              "给 zhangsan@example.com 发一封邮件，主题是“会议通知”，内容是“明天上午十点在三楼会议室开会。”",
              "好的，我来帮您发送这封邮件。",
              _call("send_email", to="zhangsan@example.com", subject="会议通知",
                    body="明天上午十点在三楼会议室开会。")),
        _conv("10-translate", ["translate_text", "web_search"],
              "把“今天天气很好”翻译成英文", "我来帮您翻译成英文。",
              _call("translate_text", text="今天天气很好", target_language="英文")),
        _conv("11-database", ["database_query", "analyze_data"],
              "在数据库里执行这条查询：SELECT name FROM users WHERE age > 30", "我来帮您执行这条 SQL 查询。",
              _call("database_query", sql="SELECT name FROM users WHERE age > 30")),
        _conv("12-image", ["image_processing", "file_operation"],
              "把 photo.jpg 的尺寸调整为宽 800、高 600", "我来帮您调整这张图片的尺寸。",
              _call("image_processing", image_path="photo.jpg", operation="resize", width=800, height=600)),
        _conv("13-command", ["execute_command", "file_operation"],
              "执行命令 ls -la，看看当前目录下有哪些文件", "我来帮您执行这条命令。",
              _call("execute_command", command="ls -la")),
        _conv("14-analysis", ["analyze_data", "calculate"],
              "分析一下 sales_2024.csv 里销售数据的趋势", "我来帮您分析这份销售数据的趋势。",
              _call("analyze_data", file_path="sales_2024.csv", analysis_type="trend")),
        _conv("15-multi", ["get_weather", "get_current_time", "web_search"],
              "帮我查一下北京今天的天气，再告诉我现在几点了", "好的，我同时为您查询北京今天的天气和当前时间。",
              _call("get_weather", location="北京", date="today"),
              _call("get_current_time")),
    ]


