"""Value samplers: each returns ``(surface, value)`` — the words the user says and the argument value.

The rule the whole generator keeps: every argument value appears verbatim in the user's words, or
follows from them through a table written here (``ALIASES``: 摄氏度 -> "celsius", 美元 -> "USD"),
through the date and time readings below (明天 + the current date stated in the system message ->
an ISO date, 下午3点 -> "15:00"), or through a boolean cue phrase recorded with the tool.
:mod:`fctune.data.synth.check` reads the same tables, so the generator and the checker cannot drift.
"""

from __future__ import annotations

import datetime as _dt
import random
import re
from typing import Any, Callable

# --------------------------------------------------------------------------- context


class Ctx:
    """Per-conversation sampling state: the random source, language, current date and pools."""

    __slots__ = ("rng", "lang", "today", "needs_date", "pools")

    def __init__(self, rng: random.Random, lang: str, today: _dt.date, pools: "Pools"):
        self.rng = rng
        self.lang = lang
        self.today = today
        self.needs_date = False  # set when a surface only resolves with the current date
        self.pools = pools

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def pick(self, zh_items, en_items=None):
        return self.rng.choice(zh_items if (self.zh or en_items is None) else en_items)


Sampler = Callable[[Ctx], tuple[str, Any]]

# --------------------------------------------------------------------------- alias table

ALIASES: dict[str, set[str]] = {}
"""value (lower case) -> surfaces (lower case) that name it; the explicit mapping table."""


def register_aliases(value: str, surfaces) -> None:
    bucket = ALIASES.setdefault(str(value).lower(), set())
    for s in surfaces:
        bucket.add(str(s).lower())


def enum_sampler(table: dict[str, tuple[list[str], list[str]]], verbatim_en: bool = True) -> Sampler:
    """Sampler over an enum: ``table`` maps value -> (zh surfaces, en surfaces). The surfaces are
    registered as aliases. English may also say the value itself when ``verbatim_en``."""
    for value, (zh, en) in table.items():
        register_aliases(value, list(zh) + list(en))
    values = list(table)

    def sample(c: Ctx) -> tuple[str, Any]:
        value = c.rng.choice(values)
        zh, en = table[value]
        options = list(zh) if c.zh else list(en) + ([value] if verbatim_en else [])
        return c.rng.choice(options), value

    sample.values = values  # type: ignore[attr-defined]
    return sample


# --------------------------------------------------------------------------- static pools

CITIES_ZH = (
    "北京 上海 广州 深圳 杭州 成都 重庆 武汉 西安 南京 天津 苏州 长沙 郑州 青岛 厦门 大连 昆明 哈尔滨 沈阳 "
    "济南 合肥 福州 南昌 贵阳 南宁 海口 三亚 拉萨 乌鲁木齐 呼和浩特 石家庄 太原 兰州 西宁 银川 宁波 无锡 珠海 "
    "佛山 东莞 桂林 丽江 洛阳 扬州 绍兴 温州 香港 澳门 台北 大理 黄山 张家界 烟台 威海 泉州 "
    "东京 首尔 纽约 伦敦 巴黎 新加坡 悉尼 曼谷 柏林 旧金山 洛杉矶 多伦多 莫斯科 迪拜 大阪 罗马 清迈"
).split()
CITIES_EN = (
    "London|Paris|New York|Tokyo|Berlin|Madrid|Rome|Sydney|Toronto|Chicago|Seattle|Boston|San Francisco|"
    "Los Angeles|Vancouver|Dublin|Amsterdam|Vienna|Prague|Lisbon|Barcelona|Munich|Zurich|Stockholm|Oslo|"
    "Copenhagen|Helsinki|Singapore|Seoul|Bangkok|Dubai|Mumbai|Delhi|Cairo|Nairobi|Cape Town|Mexico City|"
    "Sao Paulo|Buenos Aires|Lima|Melbourne|Auckland|Osaka|Kyoto|Hanoi|Manila|Istanbul|Athens|Warsaw|"
    "Budapest|Edinburgh|Austin|Denver|Miami|Atlanta|Montreal|Beijing|Shanghai|Shenzhen|Chengdu|Hangzhou|"
    "Hong Kong|Taipei|Jakarta|Kuala Lumpur|Reykjavik"
).split("|")

DISTRICTS_ZH = ["朝阳区", "海淀区", "浦东新区", "徐汇区", "天河区", "南山区", "西湖区", "武侯区", "江汉区",
                "鼓楼区", "雁塔区", "思明区", "渝中区", "福田区", "黄浦区", "东城区"]
ROADS_ZH = ["建国路", "中山路", "人民路", "解放路", "长安街", "南京西路", "淮海中路", "天府大道", "科技园路",
            "文三路", "深南大道", "珠江路", "和平路", "滨江大道", "学院路", "新华路"]
STREETS_EN = ["Main Street", "Oak Avenue", "Elm Street", "Market Street", "5th Avenue", "Park Road",
              "King Street", "Baker Street", "Sunset Boulevard", "Broadway", "Maple Drive", "High Street",
              "Queen Street", "Pine Street", "Harbor Way", "Mission Street"]
LANDMARKS_ZH = ["天安门", "外滩", "西湖断桥", "首都机场T3航站楼", "虹桥火车站", "广州塔", "深圳北站", "春熙路",
                "钟楼", "夫子庙", "中关村", "陆家嘴", "五道口", "大雁塔", "宽窄巷子", "鼓浪屿码头",
                "北京南站", "上海迪士尼乐园", "颐和园", "故宫博物院", "浦东机场", "杭州东站"]
LANDMARKS_EN = ["Times Square", "the Eiffel Tower", "Central Station", "Heathrow Airport", "Union Square",
                "the British Museum", "Golden Gate Park", "JFK Airport", "Grand Central Terminal",
                "the Louvre", "Hyde Park", "Pike Place Market", "Shibuya Crossing", "King's Cross Station",
                "the Sydney Opera House", "Central Park", "Fisherman's Wharf", "the Colosseum"]

COUNTRIES = [("中国", "China"), ("日本", "Japan"), ("美国", "United States"), ("英国", "United Kingdom"),
             ("法国", "France"), ("德国", "Germany"), ("韩国", "South Korea"), ("澳大利亚", "Australia"),
             ("加拿大", "Canada"), ("新加坡", "Singapore"), ("泰国", "Thailand"), ("意大利", "Italy")]

LANGUAGES = {
    "zh": (["中文", "汉语", "简体中文"], ["Chinese", "Mandarin"]),
    "en": (["英文", "英语"], ["English"]),
    "ja": (["日语", "日文"], ["Japanese"]),
    "ko": (["韩语", "韩文"], ["Korean"]),
    "fr": (["法语", "法文"], ["French"]),
    "de": (["德语", "德文"], ["German"]),
    "es": (["西班牙语"], ["Spanish"]),
    "ru": (["俄语"], ["Russian"]),
    "it": (["意大利语"], ["Italian"]),
    "pt": (["葡萄牙语"], ["Portuguese"]),
}
LANGUAGE_CODES = list(LANGUAGES)

CURRENCIES = {
    "USD": (["美元", "美金"], ["US dollars", "USD", "dollars"]),
    "CNY": (["人民币"], ["Chinese yuan", "RMB", "CNY", "yuan"]),
    "EUR": (["欧元"], ["euros", "EUR"]),
    "JPY": (["日元"], ["Japanese yen", "yen", "JPY"]),
    "GBP": (["英镑"], ["British pounds", "pounds", "GBP"]),
    "HKD": (["港币", "港元"], ["Hong Kong dollars", "HKD"]),
    "KRW": (["韩元"], ["Korean won", "KRW"]),
    "AUD": (["澳元"], ["Australian dollars", "AUD"]),
    "CAD": (["加元"], ["Canadian dollars", "CAD"]),
    "SGD": (["新加坡元", "新币"], ["Singapore dollars", "SGD"]),
    "CHF": (["瑞士法郎"], ["Swiss francs", "CHF"]),
    "THB": (["泰铢"], ["Thai baht", "THB"]),
}
CURRENCY_CODES = list(CURRENCIES)

# (zh name, en name, ticker). Only the lookup tool maps a name to a ticker (its result says so).
COMPANIES_LISTED = [
    ("苹果", "Apple", "AAPL"), ("微软", "Microsoft", "MSFT"), ("特斯拉", "Tesla", "TSLA"),
    ("英伟达", "Nvidia", "NVDA"), ("亚马逊", "Amazon", "AMZN"), ("谷歌", "Alphabet", "GOOGL"),
    ("阿里巴巴", "Alibaba", "BABA"), ("腾讯", "Tencent", "0700.HK"), ("贵州茅台", "Kweichow Moutai", "600519.SH"),
    ("比亚迪", "BYD", "002594.SZ"), ("宁德时代", "CATL", "300750.SZ"), ("京东", "JD.com", "JD"),
    ("小米", "Xiaomi", "1810.HK"), ("美团", "Meituan", "3690.HK"), ("网易", "NetEase", "NTES"),
    ("奈飞", "Netflix", "NFLX"), ("耐克", "Nike", "NKE"), ("可口可乐", "Coca-Cola", "KO"),
    ("招商银行", "China Merchants Bank", "600036.SH"), ("中国平安", "Ping An", "601318.SH"),
    ("台积电", "TSMC", "TSM"), ("丰田", "Toyota", "TM"), ("索尼", "Sony", "SONY"), ("Meta", "Meta", "META"),
]

PRODUCTS_ZH = ["蓝牙耳机", "机械键盘", "保温杯", "跑步鞋", "空气炸锅", "扫地机器人", "电动牙刷", "羽绒服",
               "无线鼠标", "显示器支架", "儿童绘本", "登山包", "咖啡机", "加湿器", "瑜伽垫", "充电宝",
               "移动硬盘", "降噪耳机", "电饭煲", "行李箱", "台灯", "运动手环", "茶具套装", "雨伞",
               "人体工学椅", "投影仪", "电热水壶", "冲锋衣", "保鲜盒", "平板电脑"]
PRODUCTS_EN = ["wireless earbuds", "mechanical keyboard", "insulated water bottle", "running shoes",
               "air fryer", "robot vacuum", "electric toothbrush", "down jacket", "wireless mouse",
               "monitor arm", "hiking backpack", "espresso machine", "humidifier", "yoga mat",
               "power bank", "external hard drive", "noise-cancelling headphones", "rice cooker",
               "carry-on suitcase", "desk lamp", "fitness tracker", "umbrella", "office chair",
               "projector", "electric kettle", "rain jacket", "tablet", "standing desk", "webcam", "blender"]

SEARCH_TOPICS_ZH = ["人工智能最新进展", "新能源汽车补贴政策", "Python异步编程教程", "今年高考录取分数线",
                    "量子计算是什么", "华为最新发布会", "世界杯预选赛赛程", "北京租房攻略", "如何提高睡眠质量",
                    "大模型微调方法", "春节火车票抢票技巧", "碳中和政策解读", "日本旅游签证办理流程",
                    "iPhone电池保养", "家庭理财入门", "猫咪疫苗接种时间", "马拉松训练计划", "国产大飞机C919",
                    "深度学习入门书籍", "个人所得税专项扣除", "低糖饮食食谱", "露营装备清单", "二手房交易流程",
                    "考研英语复习方法", "电动车冬季续航"]
SEARCH_TOPICS_EN = ["latest AI research", "electric vehicle tax credits", "Python asyncio tutorial",
                    "how to improve sleep quality", "quantum computing basics", "best hiking trails in Colorado",
                    "Rust vs Go performance", "mortgage rates this week", "how to train for a marathon",
                    "Mars rover mission updates", "beginner sourdough recipe", "remote work productivity tips",
                    "home solar panel cost", "Kubernetes autoscaling guide", "Japan travel visa requirements",
                    "World Cup qualifiers schedule", "low sugar breakfast ideas", "cheap flights to Europe",
                    "how vaccines work", "LLM fine-tuning methods", "camping gear checklist",
                    "stock market news today", "carbon capture technology", "learn Spanish fast",
                    "best budget smartphones"]
NEWS_TOPICS_ZH = ["科技", "财经", "体育", "新能源", "人工智能", "房地产", "国际", "健康", "教育", "汽车", "航天", "娱乐"]
NEWS_TOPICS_EN = ["technology", "finance", "sports", "climate", "artificial intelligence", "real estate",
                  "world politics", "health", "education", "electric cars", "space exploration", "entertainment"]

TEXTS_ZH = ["今天的会议改到下午三点。", "这家餐厅的菜很好吃，服务也很周到。", "请把报告在周五之前发给我。",
            "我们明年计划去欧洲旅行。", "感谢您的耐心等待。", "这个问题需要进一步讨论。", "欢迎来到我们的城市！",
            "路上注意安全，到了给我发消息。", "产品下周正式上线。", "他每天早上都去公园跑步。",
            "请问最近的地铁站在哪里？", "这本书讲的是一个关于成长的故事。", "我们的航班延误了两个小时。",
            "祝你生日快乐，天天开心！", "会议室已经预订好了。", "价格可以再便宜一点吗？"]
TEXTS_EN = ["The meeting has been moved to Thursday.", "Thank you for your patience.",
            "Where is the nearest train station?", "Please send me the report by Friday.",
            "We are planning a trip to Asia next year.", "The package will arrive in two days.",
            "I would like to book a table for four.", "This software update fixes several bugs.",
            "Happy birthday, I hope you have a wonderful day!", "Could you speak a little more slowly?",
            "Our flight was delayed by two hours.", "The museum is closed on Mondays.",
            "Breakfast is served from seven to ten.", "Let's grab coffee after the presentation.",
            "The weather has been lovely this week.", "Is there a pharmacy near here?"]
# Translations used by the fake translation tool (zh <-> en), so results read as real ones.
TRANSLATIONS = {
    "今天的会议改到下午三点。": "Today's meeting has been moved to 3 pm.",
    "这家餐厅的菜很好吃，服务也很周到。": "The food at this restaurant is great and the service is attentive.",
    "请把报告在周五之前发给我。": "Please send me the report before Friday.",
    "我们明年计划去欧洲旅行。": "We plan to travel to Europe next year.",
    "感谢您的耐心等待。": "Thank you for your patience.",
    "这个问题需要进一步讨论。": "This issue needs further discussion.",
    "欢迎来到我们的城市！": "Welcome to our city!",
    "路上注意安全，到了给我发消息。": "Stay safe on the way and text me when you arrive.",
    "产品下周正式上线。": "The product officially launches next week.",
    "他每天早上都去公园跑步。": "He goes running in the park every morning.",
    "请问最近的地铁站在哪里？": "Excuse me, where is the nearest subway station?",
    "这本书讲的是一个关于成长的故事。": "This book tells a story about growing up.",
    "我们的航班延误了两个小时。": "Our flight was delayed by two hours.",
    "祝你生日快乐，天天开心！": "Happy birthday, and may every day be a happy one!",
    "会议室已经预订好了。": "The meeting room has been booked.",
    "价格可以再便宜一点吗？": "Could the price be a little lower?",
    "The meeting has been moved to Thursday.": "会议改到周四了。",
    "Thank you for your patience.": "感谢您的耐心。",
    "Where is the nearest train station?": "最近的火车站在哪里？",
    "Please send me the report by Friday.": "请在周五前把报告发给我。",
    "We are planning a trip to Asia next year.": "我们计划明年去亚洲旅行。",
    "The package will arrive in two days.": "包裹两天后到达。",
    "I would like to book a table for four.": "我想订一张四人桌。",
    "This software update fixes several bugs.": "这次软件更新修复了几个错误。",
    "Happy birthday, I hope you have a wonderful day!": "生日快乐，祝你度过美好的一天！",
    "Could you speak a little more slowly?": "您能说慢一点吗？",
    "Our flight was delayed by two hours.": "我们的航班延误了两个小时。",
    "The museum is closed on Mondays.": "博物馆周一闭馆。",
    "Breakfast is served from seven to ten.": "早餐供应时间是七点到十点。",
    "Let's grab coffee after the presentation.": "演示结束后我们去喝杯咖啡吧。",
    "The weather has been lovely this week.": "这周天气一直很好。",
    "Is there a pharmacy near here?": "这附近有药店吗？",
}
WORDS_ZH = ["坚持", "机遇", "含蓄", "踌躇", "斟酌", "恍然大悟", "与时俱进", "惬意", "韧性", "熵", "内卷", "鲁棒性"]
WORDS_EN = ["serendipity", "ephemeral", "resilience", "ubiquitous", "meticulous", "pragmatic", "eloquent",
            "ambiguous", "benevolent", "candid", "entropy", "idempotent", "quixotic", "nostalgia"]

ROOMS = [("客厅", "living room"), ("卧室", "bedroom"), ("主卧", "master bedroom"), ("厨房", "kitchen"),
         ("书房", "study"), ("卫生间", "bathroom"), ("儿童房", "kids room"), ("阳台", "balcony"),
         ("餐厅", "dining room"), ("玄关", "hallway")]
CUISINES = [("川菜", "Sichuan"), ("粤菜", "Cantonese"), ("日料", "Japanese"), ("火锅", "hot pot"),
            ("西餐", "Italian"), ("湘菜", "Hunan"), ("东北菜", "Mexican"), ("韩餐", "Korean"), ("烧烤", "barbecue"),
            ("素食", "vegetarian"), ("泰国菜", "Thai"), ("海鲜", "seafood")]
INGREDIENTS = [("鸡蛋", "eggs"), ("西红柿", "tomatoes"), ("土豆", "potatoes"), ("鸡胸肉", "chicken breast"),
               ("牛肉", "beef"), ("豆腐", "tofu"), ("青椒", "green peppers"), ("洋葱", "onions"), ("虾仁", "shrimp"),
               ("蘑菇", "mushrooms"), ("米饭", "rice"), ("面条", "noodles"), ("西兰花", "broccoli"),
               ("胡萝卜", "carrots"), ("排骨", "pork ribs"), ("菠菜", "spinach"), ("三文鱼", "salmon")]
SONGS = [("周杰伦", "晴天"), ("陈奕迅", "十年"), ("邓紫棋", "光年之外"), ("五月天", "倔强"), ("林俊杰", "江南"),
         ("王菲", "红豆"), ("李健", "贝加尔湖畔"), ("毛不易", "消愁"), ("孙燕姿", "遇见"), ("张学友", "吻别"),
         ("朴树", "平凡之路"), ("蔡依林", "日不落"), ("赵雷", "成都"), ("薛之谦", "演员"), ("Beyond", "海阔天空")]
SONGS_EN = [("Taylor Swift", "Love Story"), ("Coldplay", "Yellow"), ("Adele", "Hello"), ("Queen", "Bohemian Rhapsody"),
            ("Ed Sheeran", "Perfect"), ("The Beatles", "Let It Be"), ("Billie Eilish", "Ocean Eyes"),
            ("Bruno Mars", "Uptown Funk"), ("Norah Jones", "Don't Know Why"), ("Daft Punk", "Get Lucky"),
            ("Imagine Dragons", "Believer"), ("Radiohead", "Karma Police"), ("Dua Lipa", "Levitating"),
            ("John Legend", "All of Me"), ("Fleetwood Mac", "Dreams")]
GENRES = [("爵士", "jazz"), ("古典音乐", "classical"), ("摇滚", "rock"), ("民谣", "folk"), ("流行", "pop"),
          ("电子", "electronic"), ("轻音乐", "lo-fi"), ("嘻哈", "hip hop")]
MEETINGS_ZH = ["周会", "产品评审", "客户拜访", "季度复盘", "技术分享", "面试", "项目启动会", "预算讨论",
               "一对一沟通", "团建聚餐", "需求对齐", "年度总结会", "牙医预约", "家长会"]
MEETINGS_EN = ["Weekly sync", "Design review", "Client visit", "Quarterly review", "Tech talk", "Interview",
               "Project kickoff", "Budget meeting", "1:1 with manager", "Team dinner", "Sprint planning",
               "Dentist appointment", "Parent-teacher meeting", "Board meeting"]
REMINDERS_ZH = ["交房租", "给妈妈打电话", "取快递", "吃药", "还信用卡", "给植物浇水", "提交周报", "买牛奶",
                "续费会员", "带伞", "预约体检", "倒垃圾", "接孩子放学", "给车加油", "缴水电费", "备份电脑"]
REMINDERS_EN = ["pay the rent", "call mom", "pick up the package", "take my medicine", "pay the credit card bill",
                "water the plants", "submit the weekly report", "buy milk", "renew the gym membership",
                "bring an umbrella", "book a checkup", "take out the trash", "pick up the kids",
                "refuel the car", "pay the utility bill", "back up my laptop"]
SUBJECTS_ZH = ["会议改期通知", "本周工作汇报", "项目进度更新", "请假申请", "合同初稿", "周末聚餐", "报销单据",
               "面试安排", "季度预算", "新产品发布", "资料补充", "感谢信"]
SUBJECTS_EN = ["Meeting rescheduled", "Weekly update", "Project status", "Leave request", "Draft contract",
               "Dinner this weekend", "Expense report", "Interview schedule", "Q3 budget", "Launch plan",
               "Follow-up", "Thank you"]
BODIES_ZH = ["明天的会议改到下午三点，地点不变。", "附件是本周的工作总结，请查收。", "项目已经完成第一阶段，下周开始测试。",
             "我下周一到周三请假，工作已经交接给小王。", "合同初稿已经准备好，请您审阅。", "周六晚上一起吃饭吧，我来订位。",
             "报销单据已经提交，麻烦尽快审批。", "面试定在周四上午十点，请准时参加。", "请在周五前确认季度预算。",
             "谢谢你这段时间的帮助！"]
BODIES_EN = ["Tomorrow's meeting moves to 3 pm, same room.", "Attached is this week's summary.",
             "Phase one is done and testing starts next week.", "I'm out Monday to Wednesday; Sam covers for me.",
             "The draft contract is ready for your review.", "Dinner on Saturday? I'll book the table.",
             "I submitted the expense report, please approve it when you can.",
             "The interview is on Thursday at 10 am.", "Please confirm the Q3 budget by Friday.",
             "Thanks so much for all your help!"]
NOTE_TITLES_ZH = ["读书笔记", "会议纪要", "旅行清单", "灵感记录", "购物清单", "学习计划", "周末安排", "健身计划"]
NOTE_TITLES_EN = ["Reading notes", "Meeting minutes", "Packing list", "Ideas", "Shopping list", "Study plan",
                  "Weekend plans", "Workout plan"]
TAGS_ZH = ["工作", "生活", "学习", "旅行", "重要", "待办", "灵感", "家庭"]
TAGS_EN = ["work", "personal", "study", "travel", "important", "todo", "ideas", "family"]
IMAGE_PROMPTS_ZH = ["一只在雪地里奔跑的柴犬", "夕阳下的江南水乡", "雨夜霓虹灯下的上海街头", "宇航员在月球上骑自行车",
                    "一杯冒着热气的拿铁咖啡", "樱花盛开的京都街道", "云雾缭绕的山水", "未来感十足的电动汽车",
                    "坐在书堆里读书的小女孩", "海边的灯塔和星空"]
IMAGE_PROMPTS_EN = ["a corgi running through snow", "a cozy cabin in a pine forest at dusk",
                    "a neon-lit city street in the rain", "an astronaut riding a bicycle on the moon",
                    "a steaming cup of latte on a wooden table", "cherry blossoms along a river",
                    "a lighthouse under the stars", "a futuristic electric car on a coastal road",
                    "a robot reading a book in a library", "a steaming bowl of ramen"]
COMMANDS = ["ls -la", "df -h", "git status", "python --version", "docker ps", "uptime", "free -m",
            "top -b -n 1", "pip list", "ping -c 4 example.com", "du -sh ./logs", "npm test", "whoami",
            "git log --oneline -5", "nvidia-smi", "cat /etc/os-release", "make build", "pytest -q"]
PROCESSES = ["chrome", "python", "node", "java", "postgres", "nginx", "docker", "code", "slack", "redis-server"]
DB_NAMES = ["sales", "crm", "inventory", "hr", "analytics", "shop", "finance", "logs"]
TABLES = ["orders", "customers", "products", "employees", "payments", "sessions", "invoices", "tickets", "users"]
SQL_QUERIES = [
    "SELECT COUNT(*) FROM orders WHERE status = 'paid'",
    "SELECT name, email FROM customers WHERE city = 'Shanghai'",
    "SELECT product_id, SUM(quantity) FROM orders GROUP BY product_id ORDER BY 2 DESC LIMIT 10",
    "SELECT * FROM employees WHERE department = 'sales' AND salary > 20000",
    "SELECT AVG(amount) FROM payments WHERE created_at >= '2026-01-01'",
    "SELECT id, title FROM tickets WHERE priority = 'high' AND closed = false",
    "SELECT DATE(created_at) AS day, COUNT(*) FROM users GROUP BY day ORDER BY day DESC LIMIT 7",
    "SELECT category, MAX(price) FROM products GROUP BY category",
    "UPDATE products SET stock = 0 WHERE discontinued = true",
    "SELECT customer_id, COUNT(*) AS n FROM orders GROUP BY customer_id HAVING n > 5",
    "SELECT name FROM products WHERE price BETWEEN 100 AND 500",
    "DELETE FROM sessions WHERE last_seen < '2025-12-31'",
    "SELECT invoice_no, total FROM invoices WHERE paid = false ORDER BY total DESC",
]
CSV_COLUMNS = ["price", "quantity", "revenue", "age", "score", "temperature", "sales", "clicks", "cost",
               "rating", "income", "duration"]
EXPRESSIONS = ["(12+8)*3/4", "2**10 - 24", "1024/16 + 7", "3.5*(4+2.5)", "(100-37)*0.15", "sqrt(144)+5",
               "45*12+300", "7*(8-3)**2", "(1+0.05)**10", "999/3 - 111", "18.6+24.9+33.1", "365*24*60"]
DEVICES = [("空调", "air conditioner"), ("空气净化器", "air purifier"), ("加湿器", "humidifier"), ("电视", "TV"),
           ("风扇", "fan"), ("扫地机器人", "robot vacuum"), ("智能窗帘", "smart curtains"), ("热水器", "water heater")]


# --------------------------------------------------------------------------- pools from Faker


class Pools:
    """Names, companies, e-mails and phones drawn once from seeded Faker instances."""

    def __init__(self, seed: int, size: int = 240):
        from faker import Faker

        zh, en = Faker("zh_CN"), Faker("en_US")
        zh.seed_instance(seed)
        en.seed_instance(seed + 1)
        r = random.Random(seed * 7919 + 17)
        self.names_zh = _unique(lambda: zh.name(), size)
        self.names_en = _unique(lambda: en.name(), size)
        self.companies_zh = _unique(lambda: zh.company(), size // 2)
        self.companies_en = _unique(lambda: en.company(), size // 2)
        domains = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "foxmail.com", "sina.com",
                   "company.cn", "example.com", "corp.com"]
        self.emails = _unique(lambda: _email(r, zh.romanized_name() if r.random() < 0.5 else en.name(), domains), size)
        self.phones_zh = _unique(lambda: "1" + r.choice("3456789") + "".join(r.choice("0123456789") for _ in range(9)), size)
        self.phones_en = _unique(lambda: f"+1-{r.randint(201, 989)}-{r.randint(200, 999)}-{r.randint(1000, 9999)}", size)
        self.usernames = _unique(lambda: zh.user_name() if r.random() < 0.5 else en.user_name(), size // 2)


def _unique(fn, size: int) -> list:
    out, seen = [], set()
    for _ in range(size * 4):
        v = fn()
        if v not in seen:
            seen.add(v)
            out.append(v)
            if len(out) >= size:
                break
    return out


def _email(r: random.Random, name: str, domains: list[str]) -> str:
    parts = [p for p in re.sub(r"[^A-Za-z ]", "", name).lower().split() if p]
    if not parts:
        parts = ["user"]
    style = r.randint(0, 3)
    if style == 0:
        local = ".".join(parts[:2])
    elif style == 1:
        local = "".join(parts[:2]) + str(r.randint(1, 99))
    elif style == 2:
        local = parts[0][0] + (parts[-1] if len(parts) > 1 else "x")
    else:
        local = "_".join(parts[:2])
    return f"{local}@{r.choice(domains)}"


# --------------------------------------------------------------------------- dates and times

WEEKDAYS_ZH = ["一", "二", "三", "四", "五", "六", "日"]
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December"]
MONTHS_EN_SHORT = [m[:3] for m in MONTHS_EN]

# Relative day words -> offset from the current date. Longer words first (大后天 before 后天).
RELATIVE_DAYS: list[tuple[str, int]] = [
    ("大后天", 3), ("后天", 2), ("明天", 1), ("今天", 0), ("昨天", -1), ("前天", -2),
    ("the day after tomorrow", 2), ("tomorrow", 1), ("today", 0), ("tonight", 0), ("yesterday", -1),
]


def next_week_weekday(today: _dt.date, weekday: int) -> _dt.date:
    """The given weekday (0=Monday) of the week after the current one (下周一 / next Monday)."""
    monday = today - _dt.timedelta(days=today.weekday())
    return monday + _dt.timedelta(days=7 + weekday)


def this_week_weekday(today: _dt.date, weekday: int) -> _dt.date:
    """The given weekday of the current week (这周五 / this Friday)."""
    return today - _dt.timedelta(days=today.weekday()) + _dt.timedelta(days=weekday)


def date_phrase_zh(today: _dt.date) -> str:
    return f"{today.year}年{today.month}月{today.day}日"


def system_date_line(c: Ctx) -> str:
    d, iso = c.today, c.today.isoformat()
    if c.zh:
        return c.rng.choice([f"今天是{iso}，星期{WEEKDAYS_ZH[d.weekday()]}。", f"当前日期：{iso}。",
                             f"当前日期：{iso}（星期{WEEKDAYS_ZH[d.weekday()]}）。", f"今天的日期是{iso}。"])
    return c.rng.choice([f"Today is {iso} ({WEEKDAYS_EN[d.weekday()]}).", f"Current date: {iso}.",
                         f"The current date is {iso}.", f"Date: {iso}, {WEEKDAYS_EN[d.weekday()]}."])


def _date_surface(c: Ctx, adverbial: bool, lo: int = 0, hi: int = 40, allow_relative: bool = True) -> tuple[str, str]:
    """A future-ish date as (surface, ISO value)."""
    r, today = c.rng, c.today
    kind = r.random()
    if allow_relative and kind < 0.45:
        choice = r.random()
        if choice < 0.45:
            words = [(w, o) for w, o in RELATIVE_DAYS if lo <= o <= hi and o >= 0 and w != "tonight"]
            words = [(w, o) for w, o in words if (w >= "\u4e00") == c.zh]
            word, off = r.choice(words)
            day = today + _dt.timedelta(days=off)
            surface = word
        elif choice < 0.75:
            wd = r.randrange(7)
            day = next_week_weekday(today, wd)
            surface = f"下周{WEEKDAYS_ZH[wd]}" if c.zh else f"next {WEEKDAYS_EN[wd]}"
        elif choice < 0.85 and today.weekday() < 5:
            wd = r.randrange(today.weekday() + 1, 7)
            day = this_week_weekday(today, wd)
            surface = (r.choice(["这周", "本周"]) + WEEKDAYS_ZH[wd]) if c.zh else f"this {WEEKDAYS_EN[wd]}"
        else:
            n = r.randint(max(lo, 3), max(max(lo, 3), min(hi, 14)))
            day = today + _dt.timedelta(days=n)
            surface = f"{n}天后" if c.zh else f"in {n} days"
            if not c.zh and not adverbial:
                surface = f"{n} days from now"
        c.needs_date = True
        return surface, day.isoformat()
    day = today + _dt.timedelta(days=r.randint(lo, hi))
    style = r.random()
    same_year = day.year == today.year
    if c.zh:
        if style < 0.3:
            surface = day.isoformat()
        elif style < 0.6 or not same_year:
            surface = f"{day.year}年{day.month}月{day.day}日"
        else:
            surface = f"{day.month}月{day.day}{r.choice(['日', '号'])}"
            c.needs_date = True
    else:
        if style < 0.3:
            surface = day.isoformat()
        elif style < 0.55 or not same_year:
            surface = f"{MONTHS_EN[day.month - 1]} {day.day}, {day.year}"
        elif style < 0.7:
            surface = f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
        else:
            surface = f"{r.choice([MONTHS_EN, MONTHS_EN_SHORT])[day.month - 1]} {day.day}"
            c.needs_date = True
        if adverbial:
            surface = "on " + surface
    return surface, day.isoformat()


def s_date(c: Ctx) -> tuple[str, str]:
    """A date said as an adverbial (English: 'tomorrow', 'on March 5', 'next Monday')."""
    return _date_surface(c, adverbial=True)


def s_date_n(c: Ctx) -> tuple[str, str]:
    """A date said as a noun phrase (English: 'tomorrow', 'March 5', '2026-03-05')."""
    return _date_surface(c, adverbial=False)


def s_past_date(c: Ctx) -> tuple[str, str]:
    r, today = c.rng, c.today
    day = today - _dt.timedelta(days=r.randint(20, 400))
    if c.zh:
        surface = day.isoformat() if r.random() < 0.5 else f"{day.year}年{day.month}月{day.day}日"
    else:
        surface = day.isoformat() if r.random() < 0.5 else f"{MONTHS_EN[day.month - 1]} {day.day}, {day.year}"
    return surface, day.isoformat()


def date_range(c: Ctx, past: bool = False, min_gap: int = 1, max_gap: int = 10) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two dates in order: ((surface, iso), (surface, iso))."""
    if past:
        start = c.today - _dt.timedelta(days=c.rng.randint(30, 400))
        end = start + _dt.timedelta(days=c.rng.randint(max(min_gap, 7), max(max_gap, 90)))
        if end > c.today:
            end = c.today
            return _abs_surface(c, start), ("今天" if c.zh else "today", _mark(c, end.isoformat()))
        return _abs_surface(c, start), _abs_surface(c, end)
    s1, v1 = _date_surface(c, adverbial=False, lo=0, hi=30)
    d1 = _dt.date.fromisoformat(v1)
    d2 = d1 + _dt.timedelta(days=c.rng.randint(min_gap, max_gap))
    if c.rng.random() < 0.5:
        return (s1, v1), _abs_surface(c, d2)
    # same style as the first date when it was absolute, else absolute
    return (s1, v1), _abs_surface(c, d2, short=True)


def _mark(c: Ctx, value: str) -> str:
    c.needs_date = True
    return value


def _abs_surface(c: Ctx, day: _dt.date, short: bool = False) -> tuple[str, str]:
    same_year = day.year == c.today.year
    if c.zh:
        if short and same_year:
            c.needs_date = True
            return f"{day.month}月{day.day}日", day.isoformat()
        return (day.isoformat() if c.rng.random() < 0.4 else f"{day.year}年{day.month}月{day.day}日"), day.isoformat()
    if short and same_year:
        c.needs_date = True
        return f"{MONTHS_EN[day.month - 1]} {day.day}", day.isoformat()
    return (day.isoformat() if c.rng.random() < 0.4 else f"{MONTHS_EN[day.month - 1]} {day.day}, {day.year}"), day.isoformat()


def s_time(c: Ctx) -> tuple[str, str]:
    """A clock time: 下午3点 / 9:30 am / 15:30 -> 'HH:MM'."""
    r = c.rng
    style = r.random()
    if style < 0.25:
        h, m = r.randint(7, 21), r.choice([0, 0, 15, 30, 45])
        return f"{h:02d}:{m:02d}" if r.random() < 0.7 else f"{h}:{m:02d}", f"{h:02d}:{m:02d}"
    if c.zh:
        part, lo, hi, add = r.choice([("早上", 6, 9, 0), ("上午", 8, 11, 0), ("中午", 12, 12, 0),
                                      ("下午", 1, 6, 12), ("晚上", 7, 10, 12)])
        h = r.randint(lo, hi)
        m = r.choice([0, 0, 0, 30, 30, 15])
        tail = "点" + ("半" if m == 30 and r.random() < 0.7 else (f"{m}分" if m else r.choice(["", "整"])))
        return f"{part}{h}{tail}", f"{h + add:02d}:{m:02d}"
    if r.random() < 0.08:
        return "noon", "12:00"
    h12 = r.randint(1, 11)
    pm = r.random() < 0.6
    m = r.choice([0, 0, 0, 30, 15])
    ap = r.choice(["pm", "PM", "p.m."]) if pm else r.choice(["am", "AM", "a.m."])
    surface = f"{h12}{':%02d' % m if m else ''} {ap}" if r.random() < 0.8 else f"{h12}{':%02d' % m if m else ''}{ap}"
    return surface, f"{h12 + (12 if pm else 0):02d}:{m:02d}"


def s_datetime(c: Ctx) -> tuple[str, str]:
    """Date and time together ('明天下午3点' / 'tomorrow at 3 pm') -> 'YYYY-MM-DDTHH:MM'."""
    ds, dv = _date_surface(c, adverbial=True, lo=0, hi=30)
    ts, tv = s_time(c)
    if c.zh:
        surface = f"{ds} {ts}" if ds[-1:].isdigit() and ts[:1].isdigit() else f"{ds}{ts}"
    else:
        surface = f"{ds} at {ts}"
    return surface, f"{dv}T{tv}"


# --- readings used by the checker (the inverse of the samplers above)

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ZH_FULL_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]")
_ZH_MD = re.compile(r"(?<![年\d])(\d{1,2})月(\d{1,2})[日号]")
_EN_MDY = re.compile(r"\b(" + "|".join(MONTHS_EN + MONTHS_EN_SHORT) + r")\.? (\d{1,2})(?:, (\d{4}))?", re.I)
_EN_DMY = re.compile(r"\b(\d{1,2}) (" + "|".join(MONTHS_EN + MONTHS_EN_SHORT) + r")\.?(?: (\d{4}))?", re.I)
_ZH_N_DAYS = re.compile(r"(\d{1,3})天(?:后|以后|之后)")
_EN_N_DAYS = re.compile(r"in (\d{1,3}) days|(\d{1,3}) days from now", re.I)
_ZH_WEEK = re.compile(r"(下周|下星期|这周|本周|这星期)([一二三四五六日天])")
_EN_WEEK = re.compile(r"\b(next|this) (" + "|".join(WEEKDAYS_EN) + r")\b", re.I)
_MONTH_INDEX = {m.lower(): i + 1 for i, m in enumerate(MONTHS_EN)} | {m.lower(): i + 1 for i, m in enumerate(MONTHS_EN_SHORT)}


def current_date_from(system_text: str) -> _dt.date | None:
    m = _ISO_DATE.search(system_text or "")
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _safe_date(y: int, m: int, d: int) -> _dt.date | None:
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def dates_in(text: str, today: _dt.date | None) -> set[str]:
    """Every ISO date the text names, absolutely or (given the current date) relatively."""
    out: set[str] = set()
    low = text.lower()
    for m in _ISO_DATE.finditer(text):
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            out.add(d.isoformat())
    for m in _ZH_FULL_DATE.finditer(text):
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            out.add(d.isoformat())
    for m in _EN_MDY.finditer(text):
        year = int(m.group(3)) if m.group(3) else (today.year if today else None)
        if year:
            d = _safe_date(year, _MONTH_INDEX[m.group(1).lower()], int(m.group(2)))
            if d:
                out.add(d.isoformat())
    for m in _EN_DMY.finditer(text):
        year = int(m.group(3)) if m.group(3) else (today.year if today else None)
        if year:
            d = _safe_date(year, _MONTH_INDEX[m.group(2).lower()], int(m.group(1)))
            if d:
                out.add(d.isoformat())
    if today is None:
        return out
    for m in _ZH_MD.finditer(text):
        d = _safe_date(today.year, int(m.group(1)), int(m.group(2)))
        if d:
            out.add(d.isoformat())
    for word, off in RELATIVE_DAYS:
        if word in low:
            out.add((today + _dt.timedelta(days=off)).isoformat())
    for m in _ZH_N_DAYS.finditer(text):
        out.add((today + _dt.timedelta(days=int(m.group(1)))).isoformat())
    for m in _EN_N_DAYS.finditer(text):
        out.add((today + _dt.timedelta(days=int(m.group(1) or m.group(2)))).isoformat())
    for m in _ZH_WEEK.finditer(text):
        wd = "一二三四五六日天".index(m.group(2))
        wd = 6 if wd == 7 else wd
        fn = next_week_weekday if m.group(1).startswith("下") else this_week_weekday
        out.add(fn(today, wd).isoformat())
    for m in _EN_WEEK.finditer(text):
        wd = [w.lower() for w in WEEKDAYS_EN].index(m.group(2).lower())
        fn = next_week_weekday if m.group(1).lower() == "next" else this_week_weekday
        out.add(fn(today, wd).isoformat())
    return out


_HHMM = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)")
_ZH_TIME = re.compile(r"(凌晨|早上|上午|中午|下午|傍晚|晚上)?(\d{1,2})点(半|(\d{1,2})分|整)?")
_EN_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)", re.I)


def times_in(text: str) -> set[str]:
    """Every 'HH:MM' the text names (15:30, 下午3点半, 3:30 pm, noon)."""
    out: set[str] = set()
    for m in _HHMM.finditer(text):
        h, mi = int(m.group(1)), int(m.group(2))
        if h < 24 and mi < 60:
            out.add(f"{h:02d}:{mi:02d}")
    for m in _ZH_TIME.finditer(text):
        h = int(m.group(2))
        mi = 30 if m.group(3) == "半" else int(m.group(4) or 0)
        if m.group(1) in ("下午", "傍晚", "晚上") and h < 12:
            h += 12
        if h < 24 and mi < 60:
            out.add(f"{h:02d}:{mi:02d}")
    for m in _EN_TIME.finditer(text):
        h, mi = int(m.group(1)), int(m.group(2) or 0)
        if m.group(3).lower().startswith("p") and h < 12:
            h += 12
        if m.group(3).lower().startswith("a") and h == 12:
            h = 0
        if h < 24 and mi < 60:
            out.add(f"{h:02d}:{mi:02d}")
    if "noon" in text.lower():
        out.add("12:00")
    return out


# --------------------------------------------------------------------------- simple samplers


def s_city(c: Ctx) -> tuple[str, str]:
    v = c.rng.choice(CITIES_ZH if c.zh else CITIES_EN)
    return v, v


CITIES_CN_EN = ["Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Hangzhou", "Chengdu", "Chongqing", "Wuhan",
                "Xi'an", "Nanjing", "Tianjin", "Suzhou", "Changsha", "Qingdao", "Xiamen", "Harbin", "Kunming"]


def s_city_cn(c: Ctx) -> tuple[str, str]:
    """A city reachable by train (Chinese cities in both languages)."""
    v = c.rng.choice(CITIES_ZH[:48] if c.zh else CITIES_CN_EN)
    return v, v


def s_person(c: Ctx) -> tuple[str, str]:
    v = c.rng.choice(c.pools.names_zh if c.zh else c.pools.names_en)
    return v, v


def s_company(c: Ctx) -> tuple[str, str]:
    v = c.rng.choice(c.pools.companies_zh if c.zh else c.pools.companies_en)
    return v, v


def s_email(c: Ctx) -> tuple[str, str]:
    v = c.rng.choice(c.pools.emails)
    return v, v


def s_emails(c: Ctx, lo: int = 1, hi: int = 3) -> tuple[str, list[str]]:
    vs = c.rng.sample(c.pools.emails, c.rng.randint(lo, hi))
    return join_list(c, vs), vs


def s_phone(c: Ctx) -> tuple[str, str]:
    v = c.rng.choice(c.pools.phones_zh if c.zh else c.pools.phones_en)
    return v, v


def join_list(c: Ctx, items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    if c.zh:
        if c.rng.random() < 0.5:
            return "、".join(items[:-1]) + "和" + items[-1]
        return "、".join(items) if c.rng.random() < 0.5 else "，".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + (", and " if c.rng.random() < 0.5 else " and ") + items[-1]


def s_address(c: Ctx) -> tuple[str, str]:
    r = c.rng
    if c.zh:
        if r.random() < 0.5:
            v = r.choice(LANDMARKS_ZH)
        else:
            v = f"{r.choice(CITIES_ZH[:20])}{r.choice(DISTRICTS_ZH)}{r.choice(ROADS_ZH)}{r.randint(1, 399)}号"
    else:
        v = r.choice(LANDMARKS_EN) if r.random() < 0.5 else f"{r.randint(1, 2999)} {r.choice(STREETS_EN)}, {r.choice(CITIES_EN[:30])}"
    return v, v


def s_place(c: Ctx) -> tuple[str, str]:
    """A place to go from or to: landmark, address or city."""
    return s_address(c) if c.rng.random() < 0.7 else s_city(c)


def s_language(c: Ctx) -> tuple[str, str]:
    code = c.rng.choice(LANGUAGE_CODES)
    zh, en = LANGUAGES[code]
    return c.rng.choice(zh if c.zh else en), code


def s_currency(c: Ctx) -> tuple[str, str]:
    code = c.rng.choice(CURRENCY_CODES)
    zh, en = CURRENCIES[code]
    return c.rng.choice(zh if c.zh else en), code


def currency_pair(c: Ctx) -> tuple[tuple[str, str], tuple[str, str]]:
    a, b = c.rng.sample(CURRENCY_CODES, 2)
    if c.rng.random() < 0.6 and "CNY" not in (a, b) and c.zh:
        b = "CNY"
    if a == b:
        a = "USD" if b != "USD" else "EUR"
    out = []
    for code in (a, b):
        zh, en = CURRENCIES[code]
        out.append((c.rng.choice(zh if c.zh else en), code))
    return out[0], out[1]


for _code, (_zh, _en) in LANGUAGES.items():
    register_aliases(_code, _zh + _en)
for _code, (_zh, _en) in CURRENCIES.items():
    register_aliases(_code, _zh + _en)


def s_amount(c: Ctx) -> tuple[str, Any]:
    r = c.rng
    if r.random() < 0.75:
        v = r.choice([r.randint(1, 99) * 10, r.randint(1, 200) * 50, r.randint(5, 999), r.randint(1, 20) * 1000])
        return str(v), v
    v = round(r.uniform(1, 2000), 2)
    return f"{v:.2f}".rstrip("0").rstrip("."), float(f"{v:.2f}".rstrip("0").rstrip("."))


def num_text(v: Any) -> str:
    """How a number is written in user text: digits, no exponent, no trailing '.0'."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return str(v)
    if float(v).is_integer():
        return str(int(v))
    return repr(float(v))


def s_int(lo: int, hi: int) -> Sampler:
    def sample(c: Ctx) -> tuple[str, int]:
        v = c.rng.randint(lo, hi)
        return str(v), v

    return sample


def s_float(lo: float, hi: float, digits: int = 1) -> Sampler:
    def sample(c: Ctx) -> tuple[str, float]:
        v = round(c.rng.uniform(lo, hi), digits)
        if float(v).is_integer():
            return str(int(v)), int(v)
        return num_text(v), v

    return sample


def s_choice(zh_items: list, en_items: list | None = None) -> Sampler:
    """A verbatim string from a list (the surface is the value)."""

    def sample(c: Ctx) -> tuple[str, str]:
        v = c.rng.choice(zh_items if (c.zh or en_items is None) else en_items)
        return str(v), v

    return sample


def s_pair(pairs: list[tuple[str, str]]) -> Sampler:
    """A verbatim string from (zh, en) pairs, in the conversation's language."""

    def sample(c: Ctx) -> tuple[str, str]:
        zh, en = c.rng.choice(pairs)
        v = zh if c.zh else en
        return v, v

    return sample


def s_code(prefix: str, digits: int, letters: str = "") -> Sampler:
    """An identifier like 'SO2026031512' or 'CA1831'."""

    def sample(c: Ctx) -> tuple[str, str]:
        r = c.rng
        p = prefix or "".join(r.choice(letters) for _ in range(2))
        v = p + "".join(r.choice("0123456789") for _ in range(digits))
        return v, v

    return sample


_DIRS_ZH = ["~/文档", "~/下载", "~/Desktop", "/home/{u}/projects", "D:\\工作", "~/Documents/报告", "/data/logs",
            "./output", "~/照片", "/srv/app", "~/work/2026", "/tmp"]
_DIRS_EN = ["~/Documents", "~/Downloads", "~/Desktop", "/home/{u}/projects", "C:\\Users\\{u}\\Documents",
            "/data/logs", "./output", "~/Pictures", "/srv/app", "~/work/2026", "/tmp", "/var/www/html"]
_FILES = {
    "doc": (["季度报告.docx", "会议纪要.md", "合同草稿.pdf", "需求说明.txt", "readme.md", "notes.txt", "简历.pdf",
             "周报.md", "todo.txt", "config.yaml"],
            ["quarterly_report.docx", "meeting_notes.md", "contract_draft.pdf", "requirements.txt", "README.md",
             "notes.txt", "resume.pdf", "weekly_update.md", "todo.txt", "config.yaml"]),
    "csv": (["销售数据.csv", "sales_2025.csv", "用户留存.csv", "orders.csv", "气温记录.csv", "experiment_results.csv"],
            ["sales_2025.csv", "orders.csv", "user_retention.csv", "temperatures.csv", "experiment_results.csv",
             "survey.csv", "inventory.csv"]),
    "img": (["头像.png", "旅行照片.jpg", "海报.png", "截图.png", "产品图.jpg", "logo.png"],
            ["avatar.png", "vacation.jpg", "poster.png", "screenshot.png", "product_photo.jpg", "logo.png",
             "banner.webp"]),
    "log": (["app.log", "error.log", "access.log", "server.log"], ["app.log", "error.log", "access.log", "server.log"]),
}


def s_path(kind: str = "doc") -> Sampler:
    def sample(c: Ctx) -> tuple[str, str]:
        r = c.rng
        d = r.choice(_DIRS_ZH if c.zh else _DIRS_EN).replace("{u}", r.choice(c.pools.usernames))
        f = r.choice(_FILES[kind][0 if c.zh else 1])
        sep = "\\" if "\\" in d else "/"
        v = f"{d}{sep}{f}"
        return v, v

    return sample


def s_dir(c: Ctx) -> tuple[str, str]:
    v = c.rng.choice(_DIRS_ZH if c.zh else _DIRS_EN).replace("{u}", c.rng.choice(c.pools.usernames))
    return v, v


def s_url(c: Ctx) -> tuple[str, str]:
    r = c.rng
    host = r.choice(["example.com", "news.example.org", "docs.python.org", "blog.example.net", "www.example.cn",
                     "arxiv.org", "github.com"])
    path = r.choice(["/3/library/asyncio.html", "/abs/2401.01234", "/article/2026/ai-chips", "/post/123456",
                     "/about", "/pricing", "/guide/getting-started", "/2026/03/report.html"])
    v = f"https://{host}{path}"
    return v, v


def s_number_list(c: Ctx) -> tuple[str, list]:
    r = c.rng
    n = r.randint(3, 7)
    if r.random() < 0.6:
        vs: list = [r.randint(1, 200) for _ in range(n)]
    else:
        vs = [round(r.uniform(1, 100), 1) for _ in range(n)]
    texts = [num_text(v) for v in vs]
    sep = r.choice(["、", "，", ", "]) if c.zh else ", "
    return sep.join(texts), vs


def s_words_list(pairs: list[tuple[str, str]], lo: int = 1, hi: int = 3) -> Sampler:
    def sample(c: Ctx) -> tuple[str, list[str]]:
        items = [p[0] if c.zh else p[1] for p in c.rng.sample(pairs, c.rng.randint(lo, hi))]
        return join_list(c, items), items

    return sample


def s_list_of(items_zh: list[str], items_en: list[str], lo: int = 1, hi: int = 3) -> Sampler:
    def sample(c: Ctx) -> tuple[str, list[str]]:
        items = c.rng.sample(items_zh if c.zh else items_en, c.rng.randint(lo, hi))
        return join_list(c, items), items

    return sample


def s_quoted(items_zh: list[str], items_en: list[str]) -> Sampler:
    """Free text the user quotes (message bodies, titles): the surface carries the quotes."""

    def sample(c: Ctx) -> tuple[str, str]:
        v = c.rng.choice(items_zh if c.zh else items_en)
        if c.zh:
            q = c.rng.choice([("“", "”"), ("「", "」"), ("“", "”")])
        else:
            q = c.rng.choice([('"', '"'), ('"', '"'), ("'", "'")])
        return f"{q[0]}{v}{q[1]}", v

    return sample


def flag(zh_true: list[str], en_true: list[str], zh_false: list[str] | None = None,
         en_false: list[str] | None = None, p_true: float = 0.8) -> Sampler:
    """A boolean said in words. The cue phrases are recorded on the sampler (``cues``) and end up in
    the compiled tool, where the checker reads them."""
    cues = {True: (zh_true, en_true), False: (zh_false or [], en_false or [])}

    def sample(c: Ctx) -> tuple[str, bool]:
        value = True if (not cues[False][0] or c.rng.random() < p_true) else False
        zh, en = cues[value]
        return c.rng.choice(zh if c.zh else en), value

    sample.cues = cues  # type: ignore[attr-defined]
    return sample


# --------------------------------------------------------------------------- strings from a regex

_PRINTABLE = [chr(c) for c in range(0x30, 0x3A)] + [chr(c) for c in range(0x41, 0x5B)] + [chr(c) for c in range(0x61, 0x7B)]
_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "0123456789",
    "CATEGORY_WORD": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_DIGIT": "abcdefghijklmnopqrstuvwxyz",
    "CATEGORY_NOT_WORD": "-.",
    "CATEGORY_NOT_SPACE": "abcdefghijklmnopqrstuvwxyz0123456789",
}


def from_regex(pattern: str, rng: random.Random, max_repeat: int = 6) -> str | None:
    """A string matching ``pattern`` (common constructs: literals, classes, repeats, groups,
    alternation), or ``None`` when the pattern uses something this does not handle."""
    try:
        import re._parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    try:
        tree = sre_parse.parse(pattern)
    except re.error:
        return None

    def gen(items) -> str | None:
        out = []
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(av))
            elif name == "ANY":
                out.append(rng.choice(_PRINTABLE))
            elif name == "NOT_LITERAL":
                out.append(rng.choice([ch for ch in _PRINTABLE if ch != chr(av)]))
            elif name == "IN":
                chars: list[str] = []
                negate = False
                for sop, sav in av:
                    sname = str(sop)
                    if sname == "NEGATE":
                        negate = True
                    elif sname == "LITERAL":
                        chars.append(chr(sav))
                    elif sname == "RANGE":
                        chars.extend(chr(x) for x in range(sav[0], min(sav[1], sav[0] + 200) + 1))
                    elif sname == "CATEGORY":
                        chars.extend(_CATEGORY_CHARS.get(str(sav), "x"))
                if negate:
                    chars = [ch for ch in _PRINTABLE if ch not in chars]
                if not chars:
                    return None
                out.append(rng.choice(chars))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                lo, hi, sub = av
                hi = lo + max_repeat if hi is sre_parse.MAXREPEAT or hi > lo + max_repeat else hi
                for _ in range(rng.randint(lo, max(lo, hi))):
                    piece = gen(sub)
                    if piece is None:
                        return None
                    out.append(piece)
            elif name == "SUBPATTERN":
                piece = gen(av[-1])
                if piece is None:
                    return None
                out.append(piece)
            elif name == "BRANCH":
                piece = gen(rng.choice(av[1]))
                if piece is None:
                    return None
                out.append(piece)
            elif name == "CATEGORY":
                out.append(rng.choice(_CATEGORY_CHARS.get(str(av), "x")))
            elif name == "AT":
                continue
            else:
                return None
        return "".join(out)

    return gen(tree)
