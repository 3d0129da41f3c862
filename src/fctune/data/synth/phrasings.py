"""Words around the calls: politeness frames, context, system prompts, prefaces, and the no-call
material (chit-chat, general knowledge, topic questions that need no tool, requests no tool serves)."""

from __future__ import annotations

# --------------------------------------------------------------------------- request frames

# Frames for verb-phrase templates ("~查一下{city}的天气"). "{C}" capitalises the first letter.
VP_WRAP = {
    "zh": ["帮我{}。", "请{}。", "能不能帮我{}？", "麻烦{}，谢谢。", "我想让你{}。", "{}。", "可以帮我{}吗？", "你帮我{}吧。",
           "请帮忙{}。", "{}，谢谢！", "麻烦你{}。", "能{}吗？", "{}", "我需要你{}。", "劳驾{}。", "帮我{}，谢谢～", "帮我{}", "请你{}。"],
    "en": ["Can you {}?", "Could you {}?", "Please {}.", "{C}.", "I need you to {}.", "Would you {}?", "Hey, can you {}?",
           "{C}, please.", "I'd like you to {}.", "Can you please {}?", "{C}", "Help me {}.", "Could you please {}?",
           "I want you to {}.", "Please {} when you get a chance."],
}
VP_WRAP_NO_HELP = {"zh": [w for w in VP_WRAP["zh"] if "帮" not in w]}
# Prefixes for whole-sentence templates.
Q_PREFIX = {
    "zh": ["", "", "", "", "请问", "问一下，", "你好，", "想问下，", "hi，", "在吗？"],
    "en": ["", "", "", "", "Hi! ", "Quick question. ", "Hello. ", "Hey there! ", "Hi. "],
}
STATEMENT_PREFIX = {"zh": ["", "", "", "你好，", "嗨，"], "en": ["", "", "", "Hi. ", "Hey, "]}

CONTEXT = {
    "weather": (["周末想出去玩，", "准备出门了，", "我在考虑要不要带伞，", "家里老人要出门，", "想出去跑步，"],
                ["I'm planning a day out. ", "I'm about to leave the house. ", "Trying to decide whether to bring an umbrella. "]),
    "time": (["要跟国外同事开会，", "我在安排行程，", "要给海外的朋友打电话，"],
             ["I'm scheduling a call with a colleague abroad. ", "Planning my itinerary. "]),
    "math": (["在辅导孩子作业，", "做报表的时候遇到个计算，", "手边没有计算器，"],
             ["Helping my kid with homework. ", "Working on a spreadsheet. ", "I don't have a calculator handy. "]),
    "web": (["我在写一篇文章，", "最近对这个话题挺感兴趣，", "要准备一个分享，"],
            ["I'm writing a blog post. ", "I've been curious about this lately. ", "Preparing a short talk. "]),
    "files": (["在整理电脑里的文件，", "我在服务器上，"], ["I'm cleaning up my laptop. ", "I'm on the server right now. "]),
    "email": (["工作上有点急事，", "刚开完会，"], ["Something urgent came up at work. ", "Just got out of a meeting. "]),
    "contacts": (["刚换了手机，", "通讯录有点乱，"], ["I just switched phones. ", "My contacts are a mess. "]),
    "messaging": (["路上有点堵，", "手上正忙，"], ["I'm stuck in traffic. ", "My hands are full. "]),
    "translation": (["要给外国客户回消息，", "在学外语，"], ["I'm replying to an overseas client. ", "I'm learning languages. "]),
    "database": (["老板要个数据，", "在排查线上问题，"], ["My manager needs some numbers. ", "I'm debugging a production issue. "]),
    "image": (["在做一张海报，", "要给PPT配图，"], ["I'm designing a poster. ", "I need visuals for a slide deck. "]),
    "system": (["电脑有点卡，", "在维护服务器，"], ["My machine is sluggish. ", "I'm doing some server maintenance. "]),
    "data": (["在写周报，需要一些数据，", "做实验分析，"], ["I'm preparing a weekly report. ", "Analyzing an experiment. "]),
    "calendar": (["最近事情比较多，", "在安排工作，"], ["My week is packed. ", "I'm organizing my schedule. "]),
    "maps": (["第一次来这边，", "对这一带不太熟，"], ["I'm new in town. ", "I don't know this area well. "]),
    "stocks": (["最近在关注股市，", "想做点投资，"], ["I've been following the market. ", "Thinking about investing. "]),
    "currency": (["准备出国旅游，", "要给海外供应商付款，"], ["I'm traveling abroad soon. ", "I need to pay an overseas supplier. "]),
    "units": (["在看国外的资料，", "看到一个英文菜谱，"], ["Reading an American recipe. ", "Looking at specs from abroad. "]),
    "reminders": (["我记性不太好，", "最近太忙容易忘事，"], ["I'm so forgetful lately. ", "Busy week, I'll forget otherwise. "]),
    "music": (["正在做饭，", "在开车，"], ["I'm cooking. ", "Working out right now. "]),
    "shopping": (["想给家里添点东西，", "快到购物节了，"], ["Shopping for a gift. ", "I'm restocking a few things. "]),
    "travel": (["要出差了，", "计划带家人出去玩，"], ["I have a business trip coming up. ", "Planning a family vacation. "]),
    "smart_home": (["我刚到家，", "人在外面，"], ["I just got home. ", "I'm away from home. "]),
    "food": (["想请朋友吃饭，", "不知道吃什么好，"], ["I'm hosting friends. ", "Can't decide what to eat. "]),
    "notes": (["刚有个想法，", "开会时记的，"], ["Just had an idea. ", "Jotting this down from a meeting. "]),
    "health": (["最近在减肥，", "在坚持锻炼，"], ["I'm trying to get in shape. ", "Keeping up with my training. "]),
    "user": (["有个事想请你帮忙，", "工作上需要，"], ["Need a hand with something. ", "For work: "]),
}

# --------------------------------------------------------------------------- system prompts

SYSTEM = {
    "zh": ["你是一个有用的助手。", "你是一个智能助手，可以调用工具帮助用户完成任务。", "你是AI助手。需要时请使用提供的工具，不需要时直接回答。",
           "你是一名贴心的生活助理，回答要简洁。", "你是企业内部的办公助手，可以使用下列工具。",
           "请用中文回答用户的问题。如果工具无法完成请求，请如实说明。", "你是一个乐于助人的助手，回答尽量简短准确。",
           "你是一个可以使用外部工具的AI助理。只有在确实需要时才调用工具。", "你是小助手，说话友好自然。"],
    "en": ["You are a helpful assistant.", "You are a helpful assistant with access to tools. Use them when they help.",
           "You are an AI assistant. Call a tool only when it is needed; otherwise answer directly.",
           "You are a concise personal assistant.", "You are an office assistant. Be brief and accurate.",
           "Answer the user's questions. If none of the tools can do what they ask, say so.",
           "You are a friendly assistant that can use external tools.", "You are a capable assistant. Keep answers short."],
}

# --------------------------------------------------------------------------- around calls

PREFACE = {
    "zh": ["好的，我来帮您{cap}。", "我来{cap}。", "稍等，我帮您{cap}。", "好的，马上为您{cap}。", "收到，正在{cap}。", "没问题，我先{cap}。"],
    "en": ["Sure, I'll {cap}.", "Let me {cap}.", "One moment while I {cap}.", "On it. I'll {cap}.", "Okay, I'll {cap} for you."],
}
PREFACE_MANY = {
    "zh": ["好的，我同时帮您处理这{n}件事。", "我分别来处理一下。", "好的，这{n}个请求我一起办。", "没问题，我同时查询。"],
    "en": ["Sure, I'll handle these {n} requests at once.", "Let me take care of both in parallel.", "On it, running these together."],
}
MID = {
    "zh": ["找到了，接下来{cap}。", "好的，已经拿到结果，现在帮您{cap}。", "查到了，我接着{cap}。"],
    "en": ["Got it. Now I'll {cap}.", "Found it. Next, I'll {cap}.", "Okay, that worked. Now let me {cap}."],
}
THANKS_USER = {
    "zh": ["谢谢！", "好的，谢谢。", "太好了，多谢！", "明白了，谢谢你。", "OK，辛苦了。", "收到，感谢！"],
    "en": ["Thanks!", "Great, thank you.", "Perfect, thanks a lot.", "Got it, thanks.", "Awesome, cheers."],
}
THANKS_REPLY = {
    "zh": ["不客气！还有其他需要随时告诉我。", "不用谢，有需要再找我。", "很高兴能帮到您！", "不客气，祝您一切顺利！"],
    "en": ["You're welcome! Let me know if you need anything else.", "Happy to help!", "Anytime!", "No problem, glad I could help."],
}
FOLLOW = {
    "zh": ["那{v}呢？", "{v}呢？", "再查一下{v}的。", "换成{v}看看。", "那{v}的情况呢？", "顺便也看看{v}。"],
    "en": ["What about {v}?", "And {v}?", "How about {v}?", "Now do the same for {v}.", "Same thing for {v}, please.", "Can you also check {v}?"],
}
ERRORS = {
    "zh": [("SERVICE_UNAVAILABLE", "服务暂时不可用，请稍后再试"), ("NOT_FOUND", "未找到相关数据"), ("TIMEOUT", "请求超时"),
           ("RATE_LIMITED", "请求过于频繁")],
    "en": [("SERVICE_UNAVAILABLE", "service temporarily unavailable"), ("NOT_FOUND", "no matching data found"),
           ("TIMEOUT", "the request timed out"), ("RATE_LIMITED", "too many requests")],
}
ERROR_ANSWER = {
    "zh": ["抱歉，{cap}时出错了：{msg}。您可以稍后再试一次。", "{cap}没有成功，系统返回：{msg}。要不要我过一会儿再试？",
           "不好意思，这次没能{cap}（{msg}）。"],
    "en": ["Sorry, I couldn't {cap}: {msg}. You may want to try again later.",
           "That didn't work. The service reported \"{msg}\". Want me to try again?", "I wasn't able to {cap} ({msg})."],
}

# --------------------------------------------------------------------------- parallel joins

JOIN_VP = {
    "zh": [("帮我{0}，再{1}。", 2), ("请{0}，同时{1}。", 2), ("{0}，另外{1}。", 2), ("麻烦{0}，还有{1}。", 2),
           ("帮我做几件事：{list}", 0), ("我有几个需求：{semi}。", 0), ("帮我{0}，{1}，还有{2}。", 3), ("请{0}；{1}；{2}。", 3)],
    "en": [("Please {0}, and {1}.", 2), ("Can you {0} and also {1}?", 2), ("I need a few things: {semi}.", 0),
           ("A couple of things: {list}", 0), ("{C0}, then {1}.", 2), ("Could you {0}, {1}, and {2}?", 3)],
}
JOIN_SENT = {"zh": ["另外，", "还有，", "顺便", "同时", "对了，", "然后", ""], "en": ["Also, ", "And ", "Plus, ", "One more thing: ", ""]}

# --------------------------------------------------------------------------- ask back

ASK = {
    "zh": ["可以的，请告诉我{labels}。", "好的，还需要您提供{labels}。", "没问题。请问{labels}是什么？",
           "要{cap}的话，我需要知道{labels}，您能告诉我吗？", "好的，我可以帮您{cap}。请问{labels}是？", "收到。麻烦补充一下{labels}。"],
    "en": ["Sure, what {labels} should I use?", "I can do that. Could you tell me the {labels}?",
           "To {cap}, I need the {labels}. What should it be?", "Happy to help. Which {labels} do you have in mind?",
           "Got it. I just need the {labels} first.", "Okay! What's the {labels}?"],
}
ASK_REQUEST = {
    "zh": ["帮我{cap}。", "我想{cap}。", "能帮我{cap}吗？", "请帮我{cap}。", "我需要{cap}。", "可以{cap}吗？", "{cap}。"],
    "en": ["Can you {cap}?", "I want to {cap}.", "Please {cap}.", "I need to {cap}.", "Could you {cap} for me?", "Help me {cap}."],
}
ASK_REQUEST_PARTIAL = {
    "zh": ["帮我{cap}，{given}。", "我想{cap}，{given}。", "请帮我{cap}，{given}。"],
    "en": ["I want to {cap}. {Given}.", "Please {cap}. {Given}.", "Can you {cap}? {Given}."],
}
SUPPLY_ONE = {"zh": ["{s}", "{s}。", "是{s}。", "{label}是{s}。", "就{s}吧。", "{s}，谢谢。"],
              "en": ["{s}", "{s}.", "The {label} is {s}.", "Use {s}.", "{s}, please.", "It's {s}."]}
SUPPLY_KV = {"zh": ["{label}是{s}", "{label}：{s}", "{label}用{s}"], "en": ["the {label} is {s}", "{label}: {s}", "{label} {s}"]}

# --------------------------------------------------------------------------- no-call material

CHITCHAT = {
    "zh": [
        ("你好", ["你好！有什么可以帮您的吗？", "您好，请问需要我做些什么？"]),
        ("你好呀，今天过得怎么样？", ["谢谢关心！我是AI助手，随时准备帮忙。您今天过得如何？"]),
        ("谢谢你刚才的帮助", ["不客气！能帮上忙我很高兴。"]),
        ("你是谁？", ["我是一个AI助手，可以回答问题，也可以借助工具帮您完成一些任务。"]),
        ("给我讲个笑话吧", ["小明问老师：“我没做过的事，您会惩罚我吗？”老师说：“当然不会。”小明说：“太好了，我没做作业。”",
                       "有一天，一只番茄过马路，被车压扁了。另一只番茄说：“快起来，我们走吧（ketchup）！”"]),
        ("我今天心情不太好", ["抱歉听到这个。愿意的话可以和我说说发生了什么，我会认真听。有时候出去走走、听听音乐也会好一些。"]),
        ("早上好！", ["早上好！祝您今天一切顺利。需要我帮忙做点什么吗？"]),
        ("晚安", ["晚安，好梦！", "晚安，早点休息。"]),
        ("你会说英语吗？", ["会的，我可以用中文和英文交流，您用哪种语言都可以。"]),
        ("你真聪明", ["谢谢夸奖！有任何问题都可以继续问我。"]),
        ("好无聊啊，陪我聊聊天吧", ["好呀！最近有没有看什么好看的电影或者书？我们可以聊聊。"]),
        ("你能记住我说过的话吗？", ["在这次对话里我能参考您之前说过的内容，但对话结束后我不会保留记忆。"]),
        ("我要去考试了，好紧张", ["加油！深呼吸，相信自己的准备。考试时先做会的题，别在难题上卡太久。祝你考试顺利！"]),
        ("哈哈，你说得对", ["哈哈，很高兴我们想法一致！还有什么想聊的吗？"]),
        ("我刚升职了！", ["恭喜恭喜！这是对您努力的认可，好好庆祝一下吧！"]),
        ("你喜欢什么颜色？", ["我没有真正的喜好，不过很多人觉得蓝色让人平静。您喜欢什么颜色呢？"]),
        ("嗯嗯", ["好的。还有其他需要帮忙的吗？"]),
        ("不用了，没事了", ["好的，有需要随时找我。"]),
        ("你是真人吗？", ["我不是真人，是一个AI助手。不过我会尽力帮您解决问题。"]),
        ("今天好累啊", ["辛苦了！忙了一天记得好好休息，喝点水，早点睡。"]),
        ("你叫什么名字？", ["我是您的AI助手，您可以直接叫我“助手”。"]),
        ("测试一下", ["收到，我在。有什么需要吗？"]),
    ],
    "en": [
        ("Hi there!", ["Hello! How can I help you today?", "Hi! What can I do for you?"]),
        ("How's it going?", ["Doing well, thanks for asking! What can I do for you?"]),
        ("Thanks for your help earlier.", ["You're welcome! Glad I could help."]),
        ("Who are you?", ["I'm an AI assistant. I can answer questions and use tools to help with certain tasks."]),
        ("Tell me a joke.", ["Why don't scientists trust atoms? Because they make up everything.",
                             "I told my computer I needed a break, and it said: \"No problem, I'll go to sleep.\""]),
        ("I'm feeling a bit down today.", ["I'm sorry to hear that. If you want to talk about it, I'm here to listen. "
                                           "Sometimes a short walk or some music helps a little too."]),
        ("Good morning!", ["Good morning! I hope your day gets off to a great start. Anything I can help with?"]),
        ("Good night.", ["Good night, sleep well!"]),
        ("Can you speak Chinese?", ["Yes, I can chat in both English and Chinese. Use whichever you prefer."]),
        ("You're pretty smart.", ["Thank you! Feel free to ask me anything else."]),
        ("I'm bored. Let's chat.", ["Sure! Read any good books or seen any good movies lately? We could talk about those."]),
        ("Do you remember what I said yesterday?", ["I can only refer to what's in our current conversation; I don't keep memories between chats."]),
        ("I have an exam soon and I'm nervous.", ["Good luck! Take a deep breath and trust your preparation. Do the questions you know first "
                                                  "and don't get stuck on the hard ones."]),
        ("Haha, fair point.", ["Glad we agree! Anything else on your mind?"]),
        ("I just got promoted!", ["Congratulations! That's well-deserved recognition of your hard work. Enjoy the moment!"]),
        ("What's your favorite color?", ["I don't have real preferences, but lots of people find blue calming. What's yours?"]),
        ("Never mind, I'm good.", ["Okay! I'm here if you need anything."]),
        ("Are you a real person?", ["No, I'm an AI assistant, but I'll do my best to help."]),
        ("ok", ["Alright. Let me know if there's anything else I can do."]),
        ("Long day at work...", ["Sounds tiring. Make sure you take some time to rest and recharge tonight."]),
        ("What's your name?", ["I'm your AI assistant. You can just call me Assistant."]),
        ("test", ["I'm here. What can I help you with?"]),
    ],
}

KNOWLEDGE = {
    "zh": [
        ("地球到月球有多远？", "地球到月球的平均距离约为38.4万公里。"),
        ("水的沸点是多少度？", "在标准大气压下，水的沸点是100摄氏度。海拔越高气压越低，沸点也会随之降低。"),
        ("《红楼梦》的作者是谁？", "《红楼梦》的作者一般认为是清代的曹雪芹，后四十回通常认为由高鹗续写。"),
        ("什么是光合作用？", "光合作用是绿色植物利用光能，把二氧化碳和水转化为有机物（如葡萄糖）并释放氧气的过程，主要在叶绿体中进行。"),
        ("中国的首都是哪里？", "中国的首都是北京。"),
        ("解释一下什么是通货膨胀", "通货膨胀是指一段时间内物价总体水平持续上涨、货币购买力下降的现象。适度通胀较常见，过高会推高生活成本、影响经济稳定。"),
        ("Python里列表和元组有什么区别？", "列表（list）是可变的，可以增删改元素；元组（tuple）是不可变的，创建后不能修改。元组可以作为字典的键，通常也更省内存。"),
        ("为什么天空是蓝色的？", "因为瑞利散射：阳光穿过大气时，波长较短的蓝光比红光更容易被空气分子散射，所以我们看到的天空呈蓝色。"),
        ("帮我写一首关于春天的短诗", "春风拂柳绿如烟，\n细雨润花红欲燃。\n燕子归来寻旧垒，\n一帘新翠满窗前。"),
        ("怎么才能提高记忆力？", "保证充足睡眠、规律运动、用间隔重复的方法复习、把新知识和已知内容联系起来，并减少频繁的多任务切换，都有助于提高记忆力。"),
        ("太阳系最大的行星是哪个？", "太阳系最大的行星是木星。"),
        ("什么是区块链？", "区块链是一种分布式账本技术：数据按区块记录，并用密码学哈希首尾相连，由网络中的多个节点共同维护，因此很难被篡改。"),
        ("推荐几本适合入门的经济学书", "可以看看曼昆的《经济学原理》、《魔鬼经济学》，以及薛兆丰的《经济学讲义》，都比较适合入门。"),
        ("一个鸡蛋大概有多少热量？", "一个中等大小的鸡蛋（约50克）大约含70到80千卡热量。"),
        ("HTTP和HTTPS有什么区别？", "HTTPS是在HTTP基础上加了TLS加密层，传输的数据经过加密并验证服务器身份，更安全；HTTP是明文传输。HTTPS默认用443端口，HTTP默认用80端口。"),
        ("端午节是农历哪天？", "端午节是农历五月初五。"),
        ("怎样煮出好吃的米饭？", "先把米淘洗两三遍，米和水的比例大约1:1.2到1:1.5，浸泡20到30分钟再煮，煮好后焖10分钟再开盖，口感会更好。"),
        ("世界上最高的山峰是哪座？", "世界最高峰是珠穆朗玛峰，2020年中尼两国公布的最新高程为8848.86米。"),
        ("什么是机器学习？", "机器学习是人工智能的一个分支，让计算机从数据中学习规律，而不是靠人手写规则，再用学到的模型对新数据做预测或决策。"),
        ("用一句话解释相对论", "相对论认为时间和空间不是绝对的，会随观察者的运动状态和引力而变化，而光速在任何惯性参考系中都保持不变。"),
        ("怎么跟老板提加薪比较好？", "先整理好自己的业绩和贡献，了解市场薪资水平，选一个合适的时机（比如绩效评估前后），用平和、具体的方式提出期望，并说明接下来能带来的价值。"),
        ("猫为什么喜欢晒太阳？", "猫的祖先生活在温暖干燥的地区，晒太阳能帮它们保持体温、节省能量，也让它们感到舒适放松。"),
        ("帮我想一个奶茶店的名字", "可以考虑：「茶语时光」「半糖主义」「云朵奶茶」「慢半拍」。希望有你喜欢的！"),
        ("怎样缓解颈椎疼痛？", "保持正确坐姿，让屏幕与视线平齐；每工作一小时起身活动颈肩；适当做颈部拉伸。如果疼痛持续或伴有手麻，建议及时就医。"),
        ("DNA是什么的缩写？", "DNA是脱氧核糖核酸（deoxyribonucleic acid）的缩写，是大多数生物的遗传物质。"),
        ("李白是哪个朝代的诗人？", "李白是唐代诗人，被誉为“诗仙”。"),
        ("四季是怎么形成的？", "四季是因为地轴相对公转轨道倾斜约23.4度：地球绕太阳公转时，南北半球轮流更多地朝向太阳，于是形成冷暖交替的季节。"),
        ("怎么写一份好的简历？", "简历控制在一到两页，按时间倒序写经历，多用具体数据说明成果，针对应聘岗位突出相关技能，最后仔细检查错别字和格式。"),
        ("给我讲讲黑洞是什么", "黑洞是引力极强的天体，连光都无法从其事件视界内逃逸。它通常由大质量恒星坍缩形成，星系中心还存在超大质量黑洞。"),
        ("周末在家可以做些什么？", "可以看一部好电影、读本书、学做一道新菜、整理房间、做做运动，或者约朋友视频聊天。"),
    ],
    "en": [
        ("How far is the Moon from Earth?", "On average the Moon is about 384,400 km (238,900 miles) from Earth."),
        ("Who wrote Pride and Prejudice?", "Jane Austen wrote Pride and Prejudice; it was published in 1813."),
        ("What is photosynthesis?", "Photosynthesis is the process plants use to turn light energy, carbon dioxide and water into glucose, releasing oxygen as a by-product."),
        ("Why is the sky blue?", "Because of Rayleigh scattering: air molecules scatter the short blue wavelengths of sunlight much more than the red ones, so blue light reaches us from all over the sky."),
        ("What's the capital of Australia?", "The capital of Australia is Canberra."),
        ("Explain what inflation is.", "Inflation is a sustained rise in the general price level, which means each unit of money buys less over time."),
        ("What's the difference between a list and a tuple in Python?", "Lists are mutable (you can add, remove or change items); tuples are immutable once created. Tuples can be dictionary keys and are slightly lighter."),
        ("Write a short poem about autumn.", "Amber leaves drift slowly down,\nPainting gold the quiet town;\nCrisp air hums a fading tune,\nBeneath a pale and patient moon."),
        ("How can I improve my memory?", "Sleep well, exercise regularly, review with spaced repetition, connect new facts to things you already know, and avoid constant multitasking."),
        ("What's the largest planet in the solar system?", "Jupiter is the largest planet in our solar system."),
        ("What is a blockchain?", "A blockchain is a distributed ledger: records are grouped into blocks linked by cryptographic hashes and kept by many nodes, which makes past entries very hard to alter."),
        ("How tall is Mount Everest?", "Mount Everest is 8,848.86 meters (29,031.7 feet) tall, per the 2020 survey by China and Nepal."),
        ("Recommend a good book for learning economics.", "Try \"Principles of Economics\" by Gregory Mankiw, or the lighter \"Freakonomics\" by Levitt and Dubner."),
        ("What's the difference between HTTP and HTTPS?", "HTTPS is HTTP over TLS: the traffic is encrypted and the server is authenticated, while plain HTTP is sent in clear text. HTTPS uses port 443 by default, HTTP port 80."),
        ("What is machine learning?", "Machine learning is a branch of AI where computers learn patterns from data instead of following hand-written rules, then use them to make predictions on new data."),
        ("Explain relativity in one sentence.", "Relativity says space and time are not absolute but depend on the observer's motion and on gravity, while the speed of light is the same for every observer."),
        ("How do I ask my boss for a raise?", "Gather evidence of your results, check market pay for your role, pick a good moment such as a review, then ask clearly and calmly, tying the request to the value you bring."),
        ("Why do cats like sitting in the sun?", "Cats descend from desert animals; sunbathing helps them stay warm and save energy, and it simply feels good."),
        ("Give me a name idea for a coffee shop.", "How about \"Daily Grind\", \"Bean There\", \"The Morning Cup\" or \"Brew & Co\"?"),
        ("How many calories are in an egg?", "A large egg has roughly 70 to 80 kcal."),
        ("How do I cook rice on the stove?", "Rinse the rice, use about 1.25 to 1.5 cups of water per cup of rice, bring it to a boil, cover and simmer on low for 15 to 18 minutes, then let it rest 10 minutes before fluffing."),
        ("What causes the seasons?", "Earth's axis is tilted about 23.4 degrees, so as Earth orbits the Sun each hemisphere alternately leans toward it (summer) or away from it (winter)."),
        ("How do I relieve neck pain from sitting all day?", "Raise your screen to eye level, sit back with support, get up and move every hour, and do gentle neck stretches. See a doctor if the pain persists or your hands go numb."),
        ("What does DNA stand for?", "DNA stands for deoxyribonucleic acid, the molecule that carries genetic information in most living things."),
        ("Who painted the Mona Lisa?", "Leonardo da Vinci painted the Mona Lisa, in the early 1500s."),
        ("How do I write a good resume?", "Keep it to one or two pages, list experience in reverse order, quantify your achievements, tailor it to the job, and proofread carefully."),
        ("What is a black hole?", "A black hole is a region where gravity is so strong that nothing, not even light, can escape past its event horizon. Most form when massive stars collapse."),
        ("What should I do this weekend at home?", "Watch a good movie, read a book, cook something new, tidy up, work out, or video-call a friend."),
        ("What's the speed of light?", "The speed of light in a vacuum is exactly 299,792,458 meters per second, about 300,000 km/s."),
        ("Summarize the plot of Romeo and Juliet in two sentences.", "Two young lovers from feuding families in Verona marry in secret. A chain of misunderstandings leads both to take their own lives, which finally reconciles their families."),
    ],
}

# Questions about a tool's topic that need no tool: the hard negatives (offered with that domain's tools).
TOPICAL = {
    "weather": {"zh": [("为什么夏天经常下雷阵雨？", "夏季地面受热强烈，空气对流旺盛，暖湿空气快速上升、冷却凝结，容易形成积雨云，所以午后常出现雷阵雨。"),
                       ("天气和气候有什么区别？", "天气指短时间内（几小时到几天）的大气状况，气候则是一个地区多年天气的平均特征和规律。"),
                       ("AQI指数是怎么划分等级的？", "中国的AQI分六级：0-50优，51-100良，101-150轻度污染，151-200中度污染，201-300重度污染，300以上严重污染。")],
                "en": [("What's the difference between weather and climate?", "Weather is the state of the atmosphere over hours or days; climate is the long-term average pattern of weather in a region, usually over 30 years or more."),
                       ("Why do thunderstorms happen more in summer?", "Strong surface heating makes warm, moist air rise quickly; it cools and condenses into tall cumulonimbus clouds, which produce thunderstorms."),
                       ("What does the UV index measure?", "The UV index measures the strength of the sun's ultraviolet radiation at a place and time; 0-2 is low and 11+ is extreme, and higher values mean you burn faster.")]},
    "time": {"zh": [("为什么会有时区？", "因为地球自转，不同经度的地方日出时间不同。为了让各地时间与太阳位置大致一致，全球按经度划分时区，每15度经度约相差1小时。"),
                    ("闰年是怎么规定的？", "能被4整除但不能被100整除的年份是闰年；能被400整除的年份也是闰年。闰年的2月有29天。")],
             "en": [("Why do we have time zones?", "Because Earth rotates, noon happens at different times at different longitudes. Time zones, roughly 15 degrees of longitude each, keep clocks close to local solar time."),
                    ("How do leap years work?", "A year is a leap year if it's divisible by 4, except century years, which must be divisible by 400. Leap years add February 29.")]},
    "math": {"zh": [("什么是质数？", "质数是大于1、且只能被1和它本身整除的自然数，比如2、3、5、7、11。"),
                    ("平方根和立方根有什么区别？", "一个数的平方根是平方后等于它的数，立方根是立方后等于它的数。比如9的平方根是3，27的立方根是3。")],
             "en": [("What is a prime number?", "A prime number is a whole number greater than 1 whose only divisors are 1 and itself, like 2, 3, 5, 7 and 11."),
                    ("Why can't you divide by zero?", "Division asks what number times the divisor gives the dividend; nothing times zero gives a non-zero number, so division by zero has no defined answer.")]},
    "web": {"zh": [("搜索引擎是怎么工作的？", "搜索引擎先用爬虫抓取网页，再建立索引；用户搜索时，根据相关性、网页质量等大量因素对结果排序后返回。")],
            "en": [("How do search engines rank pages?", "They crawl the web, build an index, and rank results by relevance to the query plus signals like page quality, links from other sites and freshness.")]},
    "files": {"zh": [("什么是隐藏文件？", "隐藏文件是默认不在文件列表中显示的文件。在Linux和macOS上，以点开头的文件（如.bashrc）就是隐藏文件，通常用来存放配置。")],
              "en": [("What's the difference between a relative and an absolute path?", "An absolute path starts from the filesystem root (like /home/user/file.txt); a relative path is resolved from the current working directory (like ./file.txt).")]},
    "email": {"zh": [("写工作邮件有什么技巧？", "主题要简明具体，开头说明目的，正文分段、重点突出，结尾写清楚需要对方做什么和截止时间，发送前检查收件人和附件。"),
                     ("抄送和密送有什么区别？", "抄送（CC）的收件人对所有人可见；密送（BCC）的收件人对其他收件人不可见。")],
              "en": [("What's the difference between CC and BCC?", "CC recipients are visible to everyone on the email; BCC recipients are hidden from the other recipients."),
                     ("Any tips for writing a professional email?", "Use a clear, specific subject, state your purpose up front, keep paragraphs short, say exactly what you need and by when, and double-check recipients and attachments.")]},
    "translation": {"zh": [("学外语最有效的方法是什么？", "每天坚持、多听多说、用间隔重复记单词、找语伴练习，并尽量在真实场景中使用，是公认比较有效的方法。")],
                    "en": [("What's the best way to learn a new language?", "Practice daily, listen and speak as much as you can, use spaced repetition for vocabulary, and find real conversations, for example with a language partner.")]},
    "database": {"zh": [("SQL里的JOIN有哪几种？", "常见的有INNER JOIN（只返回两表匹配的行）、LEFT JOIN（保留左表全部行）、RIGHT JOIN（保留右表全部行）和FULL OUTER JOIN（保留两表全部行）。"),
                        ("什么是数据库索引？", "索引是帮助数据库快速定位数据的数据结构（常见的是B+树），能加快查询，但会占用额外空间并让写入变慢。")],
                 "en": [("What's the difference between INNER JOIN and LEFT JOIN?", "INNER JOIN returns only rows that match in both tables; LEFT JOIN returns every row from the left table, with NULLs where the right table has no match."),
                        ("What is a database index?", "An index is a data structure, often a B-tree, that lets the database find rows without scanning the whole table, at the cost of extra storage and slower writes.")]},
    "image": {"zh": [("PNG和JPG有什么区别？", "PNG是无损压缩，支持透明背景，适合图标和截图；JPG是有损压缩，文件更小，适合照片。")],
              "en": [("What's the difference between PNG and JPEG?", "PNG is lossless and supports transparency, good for graphics and screenshots; JPEG is lossy with smaller files, good for photos.")]},
    "system": {"zh": [("进程和线程有什么区别？", "进程是资源分配的基本单位，拥有独立的内存空间；线程是CPU调度的基本单位，同一进程内的线程共享内存。"),
                      ("kill -9和普通的kill有什么区别？", "普通kill默认发送SIGTERM，进程可以做完清理再退出；kill -9发送SIGKILL，会强制立即终止，进程没有机会清理。")],
               "en": [("What's the difference between a process and a thread?", "A process has its own memory space; threads are units of execution inside a process that share its memory."),
                      ("What does kill -9 do differently from kill?", "Plain kill sends SIGTERM, which lets the process clean up and exit; kill -9 sends SIGKILL, which stops it immediately with no cleanup.")]},
    "data": {"zh": [("相关性和因果关系有什么区别？", "相关性只说明两个变量一起变化，因果关系则说明一个变量的变化导致了另一个的变化。相关不等于因果。"),
                    ("平均数和中位数哪个更能代表收入水平？", "收入分布通常是偏斜的，少数高收入会拉高平均数，所以中位数一般更能代表普通人的收入水平。")],
             "en": [("What's the difference between correlation and causation?", "Correlation means two variables move together; causation means one actually causes the other. Correlation alone doesn't prove causation."),
                    ("When should I use the median instead of the mean?", "Use the median when the data is skewed or has outliers, such as incomes or house prices; the mean gets pulled by extreme values.")]},
    "calendar": {"zh": [("怎样安排日程效率更高？", "把重要任务放在精力最好的时段，会议集中安排，给每项任务预留缓冲时间，并每天花几分钟回顾第二天的安排。")],
                 "en": [("How can I manage my calendar better?", "Block time for deep work when you're sharpest, batch meetings together, leave buffers between events, and review tomorrow's schedule each evening.")]},
    "maps": {"zh": [("经纬度是什么意思？", "纬度表示南北位置，从赤道的0度到南北极的90度；经度表示东西位置，以本初子午线为0度，向东西各到180度。")],
             "en": [("What do latitude and longitude mean?", "Latitude measures north-south position from 0° at the equator to 90° at the poles; longitude measures east-west position from 0° at the prime meridian to 180°.")]},
    "stocks": {"zh": [("股票和基金有什么区别？", "股票是直接持有某家公司的所有权份额；基金是把很多人的钱集中起来，由基金经理投资一篮子资产，风险通常更分散。"),
                      ("什么是市盈率？", "市盈率（PE）等于股价除以每股收益，表示投资者愿意为公司每一元利润支付多少钱，常用来粗略衡量估值高低。")],
               "en": [("What's the difference between a stock and an index fund?", "A stock is a share of one company; an index fund holds many stocks that track a market index, so the risk is spread out."),
                      ("What is a P/E ratio?", "The price-to-earnings ratio is the share price divided by earnings per share; it shows how much investors pay for each dollar of profit.")]},
    "currency": {"zh": [("汇率是由什么决定的？", "汇率主要由外汇供求决定，背后的因素包括利率差异、通胀水平、国际收支、经济增长预期和市场情绪等。")],
                 "en": [("What determines exchange rates?", "Supply and demand for currencies, driven by interest rates, inflation, trade balances, growth expectations and market sentiment.")]},
    "units": {"zh": [("为什么美国还在用英制单位？", "美国沿用了殖民时期从英国传入的度量习惯，后来全面改用公制的成本和阻力较大，所以日常生活中仍主要使用英里、磅、华氏度等单位。")],
              "en": [("Why does the US still use imperial units?", "The US inherited British customary units and never completed the switch to metric because of cost and habit, so miles, pounds and Fahrenheit stay in everyday use.")]},
    "reminders": {"zh": [("有什么办法能让自己不拖延？", "把大任务拆成小步骤，给每一步定明确的截止时间，先做五分钟再说，减少手机等干扰，完成后给自己一点奖励。")],
                  "en": [("Any tips to stop procrastinating?", "Break big tasks into small steps, set concrete deadlines, commit to just five minutes to get started, remove distractions, and reward yourself when you finish.")]},
    "music": {"zh": [("爵士乐和蓝调有什么区别？", "蓝调更早、结构更简单，常用十二小节形式，强调情感表达；爵士乐部分源自蓝调，更强调即兴演奏和复杂的和声。")],
              "en": [("What's the difference between jazz and blues?", "Blues is an older, simpler form built on a 12-bar structure and expressive vocals; jazz grew partly out of blues and emphasizes improvisation and richer harmony.")]},
    "shopping": {"zh": [("网购怎么避免买到假货？", "尽量选择官方旗舰店或授权店，看清店铺资质和评价，价格远低于市场价要警惕，保留订单和聊天记录，收货后仔细检查。")],
                 "en": [("How can I avoid scams when shopping online?", "Buy from official or well-reviewed sellers, be wary of prices far below market, pay with methods that offer buyer protection, and keep your order records.")]},
    "travel": {"zh": [("坐飞机可以带充电宝吗？", "可以随身携带，但不能托运。一般额定能量不超过100Wh的可以直接带，100到160Wh的需经航空公司批准，超过160Wh的禁止携带。")],
               "en": [("Can I bring a power bank on a plane?", "Yes, in your carry-on only, never in checked luggage. Up to 100 Wh is generally fine, 100 to 160 Wh needs airline approval, and above 160 Wh is not allowed.")]},
    "smart_home": {"zh": [("智能家居安全吗？", "总体可以放心使用，但要注意：修改默认密码、及时更新固件、给设备使用单独的Wi-Fi网络，并尽量选择信誉好的品牌。")],
                   "en": [("Are smart home devices secure?", "They can be, if you change default passwords, keep firmware updated, put them on a separate Wi-Fi network and buy from reputable brands.")]},
    "food": {"zh": [("川菜和湘菜有什么区别？", "川菜讲究麻辣，常用花椒，味型丰富；湘菜以香辣、酸辣为主，多用鲜辣椒和剁辣椒，口味更“干辣”。")],
             "en": [("What's the difference between baking soda and baking powder?", "Baking soda is pure sodium bicarbonate and needs an acid in the recipe to react; baking powder already contains an acid, so it works with just moisture and heat.")]},
    "notes": {"zh": [("怎么做读书笔记比较好？", "边读边用自己的话概括要点，记录让你有触动的句子和想法，读完后写一段总结，并尽量把内容和自己的经历联系起来。")],
              "en": [("What's a good note-taking method?", "The Cornell method works well: notes on the right, key questions on the left, and a short summary at the bottom, reviewed within a day.")]},
    "health": {"zh": [("BMI正常范围是多少？", "中国成人BMI的正常范围是18.5到23.9，24到27.9为超重，28及以上为肥胖。"),
                      ("每天应该喝多少水？", "一般建议成年人每天喝1500到1700毫升水，运动量大或天气炎热时需要更多。")],
               "en": [("What is a healthy BMI range?", "For adults, a BMI of 18.5 to 24.9 is considered healthy; 25 to 29.9 is overweight and 30 or more is obese."),
                      ("How much water should I drink a day?", "A common guideline is about 2 to 3 liters of fluids a day for adults, more if you're active or it's hot.")]},
}

# Requests that no built-in tool can serve: (request, what it would take).
UNSERVED = {
    "zh": [("帮我叫一辆去机场的出租车", "叫车"), ("给我妈打个电话", "拨打电话"), ("帮我点一份外卖，要黄焖鸡米饭", "点外卖"),
           ("把这份文件打印两份", "打印文件"), ("帮我把这个月的电费交了", "缴纳账单"), ("帮我把火车票改签到晚一点的车次", "改签车票"),
           ("给我的微信好友小王转200块钱", "转账付款"), ("帮我在朋友圈发一条动态", "发布社交媒体动态"), ("帮我把昨天买的那双鞋退了", "办理退货"),
           ("帮我把这首歌下载下来", "下载音乐"), ("帮我挂一个皮肤科的号", "预约挂号"), ("帮我续费视频网站的会员", "开通或续费会员"),
           ("把客厅的电视换到体育频道", "切换电视频道"), ("帮我查一下我的社保缴纳记录", "查询社保记录"), ("帮我订两张周六晚上的电影票", "订电影票"),
           ("把这张照片背景里的路人去掉", "编辑照片内容"), ("把我的手机调成静音", "控制手机设置"), ("帮我给车险续保", "办理保险"),
           ("帮我在网上开一张发票", "开具发票"), ("帮我抢一下演唱会的门票", "抢购门票")],
    "en": [("Call a taxi to the airport for me.", "call a taxi"), ("Call my mom.", "make phone calls"), ("Order me a pepperoni pizza.", "order food delivery"),
           ("Print two copies of this document.", "print documents"), ("Pay this month's electricity bill.", "pay bills"),
           ("Send $50 to Alex on Venmo.", "send money"), ("Post this photo to my Instagram.", "post on social media"),
           ("Return the shoes I bought yesterday.", "process returns"), ("Download this song for offline listening.", "download music"),
           ("Book me a dermatologist appointment.", "book medical appointments"), ("Renew my Netflix subscription.", "manage subscriptions"),
           ("Switch the TV to the sports channel.", "change TV channels"), ("Buy two movie tickets for Saturday night.", "buy movie tickets"),
           ("Remove the person in the background of this photo.", "edit photos"), ("Put my phone on silent.", "change phone settings"),
           ("Renew my car insurance.", "handle insurance"), ("Get me concert tickets for Taylor Swift.", "buy concert tickets"),
           ("Unsubscribe me from all marketing emails.", "manage email subscriptions"), ("Cancel my gym membership.", "cancel memberships"),
           ("File my tax return.", "file taxes")],
}

REFUSE = {
    "zh": ["抱歉，我目前没有可以{req}的工具，没法直接帮您完成。我现在能做的是：{caps}。",
           "这个我暂时做不到——现有的工具只支持{caps}，不包括{req}。您可以试试相关的App或网站。",
           "不好意思，我手头的工具里没有能{req}的功能。如果您需要{cap1}，我可以帮忙。",
           "很抱歉，{req}超出了我现在可用工具的范围（目前只能{caps}）。",
           "我没办法{req}，因为当前没有对应的工具。需要的话，我可以帮您{cap1}。"],
    "en": ["Sorry, I don't have a tool that can {req}. The tools I have can {caps}.",
           "I can't {req} with the tools available to me. They let me {caps}, nothing more. A dedicated app might help with that.",
           "Unfortunately none of my tools can {req}. If you'd like, I can {cap1} instead.",
           "That's outside what I can do right now: I'm only able to {caps}.",
           "I'm not able to {req}, since there's no tool for it here. I can {cap1} if that helps."],
}
CAPABILITY_Q = {
    "zh": ["你能做什么？", "你都有哪些功能？", "你可以帮我干嘛？", "介绍一下你能用的工具吧", "你现在能帮我做哪些事？", "你有什么本事？"],
    "en": ["What can you do?", "What tools do you have?", "How can you help me?", "What are you able to do right now?", "List your capabilities.",
           "What kinds of things can you help with?"],
}
CAPABILITY_A = {
    "zh": ["我现在可以帮您：{caps}。有需要直接告诉我就行。", "我目前能使用的工具可以{caps}。您想先做哪一件？",
           "我能做这些事：{caps}。除此之外，一般的问题我也可以直接回答。"],
    "en": ["Right now I can {caps}. Just tell me what you need.", "With the tools I have, I can {caps}. What would you like to start with?",
           "I can {caps}. I can also answer general questions directly."],
}

# Near misses where only tools that cannot serve the request are offered: one tool ({cap1}) or
# several ({caps}); {req} is what the request would take.
NEAR_ONE = {
    "zh": ["抱歉，现有的工具只能{cap1}，没法{req}。", "这个我做不到：手头唯一的工具是用来{cap1}的，不能{req}。",
           "可用的工具里没有能{req}的，目前只能{cap1}。", "不好意思，我现在只能{cap1}，不支持{req}。",
           "我没办法{req}，因为提供给我的工具只能{cap1}。", "现有的工具只负责{cap1}，并不能{req}。",
           "很遗憾，这个工具只能{cap1}，帮不了您{req}。"],
    "en": ["The only tool I have can {cap1}; it can't {req}.", "Sorry, I can't {req} here. The available tool can only {cap1}.",
           "None of my tools can {req}; the one available can only {cap1}.",
           "That's not something I can do with the tool I have: it can {cap1}, but it can't {req}.",
           "Unfortunately I can't {req}. The tool available to me can only {cap1}.",
           "I'm not able to {req} right now, since my only tool can {cap1} and nothing else.",
           "The available tool can only {cap1}, so it can't help me {req}."],
}
NEAR_MANY = {
    "zh": ["抱歉，现有的工具可以{caps}，但都不能{req}。", "这些工具里没有能{req}的，它们只能{caps}。",
           "我手头的工具只支持{caps}，没法{req}。", "不好意思，可用的工具只能{caps}，{req}这件事我办不到。",
           "目前提供的工具能{caps}，但没有{req}的功能。", "这个做不到：现有工具都不能{req}，只能{caps}。"],
    "en": ["None of the available tools can {req}. They can {caps}, but that's it.", "Sorry, I can't {req}: my tools can only {caps}.",
           "I can {caps} with the tools I have, but none of them can {req}.",
           "Unfortunately there's no tool here to {req}. What I have can {caps}.",
           "That's beyond my current tools. They let me {caps}, not {req}.",
           "I'm not able to {req} with these tools; they can only {caps}."],
}
NEAR_OFFER = {
    "zh": ["如果需要，我可以帮您{cap1}。", "需要的话我可以帮您{cap1}。", "要不要我帮您{cap1}？", "您如果想{cap1}，我可以帮忙。"],
    "en": ["If it helps, I can {cap1} instead.", "Want me to {cap1} instead?", "I can still {cap1} if that's useful.",
           "Let me know if you'd like me to {cap1}."],
}
NEAR_ELSEWHERE = {
    "zh": ["您可以试试相关的App或网站。", "建议换个专门的工具来处理。", "这个可能需要用别的服务来完成。"],
    "en": ["You may want to use a dedicated app or website for that.", "You might need another service for that.",
           "Another tool or app would be needed for that."],
}
# The request is simple enough to answer without a tool: {ans} is the worked answer.
NEAR_DIRECT = {
    "zh": ["不过这个我可以直接算：{ans}", "不过这个不用工具我也能算出来：{ans}", "不过这题不难，我直接告诉您：{ans}"],
    "en": ["I can work this one out myself, though: {ans}", "That said, it's simple enough to do by hand: {ans}",
           "But I don't need a tool for this one: {ans}"],
}
