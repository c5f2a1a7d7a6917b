"""A deterministic synthetic blog: posts of mixed English and Chinese Markdown, the same for every tool."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

SEED = 2024
WORDS_PER_POST = 600
TAG_POOL_SIZE = 200
FIRST_DAY = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
SPAN_DAYS = 3652  # ten years: 2015-01-01 to 2024-12-31
ADDED_FROM = dt.datetime(2025, 1, 1, 8, 0, tzinfo=dt.UTC)  # posts added by the benchmark come after all others

ENGLISH = """
a about above across after again against all almost alone along already also always among an and another any
anyone around as ask at away back be because become before begin behind being below best better between beyond
big both bring build but by call can carry change city clear close come common could cover cut day deep did
different do does done door down draw during each early earth easy end enough even evening every eye face fact
fall far feel few field find fire first follow food for form found free friend from full garden give go good
great ground group grow half hand hard have head hear help here high hold home hope house idea if important in
inside into it its just keep kind know land large last late learn leave left less let letter life light like line
list little live long look low make many may mean might mind more morning most move much music must name near need
never new next night no nothing now number of off often old on once one only open or order other our out outside
over own page paper part past people perhaps picture place plain plant play point possible power present problem
put question quick quiet rain read real reason remember rest right river road room round run same say school sea
second see seem self send sentence set several shape short should show side simple since small so some something
sometimes song soon sound speak stand start state still stone story street strong study such sun sure table take
talk tell than that the their them then there these they thing think this those though thought three through time
to together too toward tree true try turn under until up upon use very voice walk want warm watch water way we
weather well went were what when where which while white whole why wide wind window with within without word work
world would write year yet you young
""".split()

CHINESE = """
我们 今天 明天 昨天 时间 城市 花园 朋友 音乐 文字 写作 阅读 自己 网站 博客 声音 记录 生活 工作 学习
问题 答案 世界 早上 晚上 季节 春天 夏天 秋天 冬天 下雨 阳光 窗户 街道 房子 河流 山路 火车 旅行 故事
想法 计划 开始 结束 继续 慢慢 简单 安静 重要 可能 已经 还是 因为 所以 但是 如果 虽然 然后 一起 一直
也许 非常 特别 觉得 知道 发现 需要 希望 喜欢 记得 打开 关上 回家 出门 散步 咖啡 茶叶 书店 图书 照片
电脑 键盘 屏幕 文件 链接 页面 标题 段落 句子 语言 中文 英文
""".split()

TAG_WORDS = """
python writing podcast travel music photography books film design web indieweb privacy open-source linux
cooking gardening cycling running chess history science math physics poetry teaching learning productivity
tools typography audio video interviews notes essays reviews family city nature weather coffee tea maps
""".split()

CHINESE_TAGS = """
随笔 读书 旅行 音乐 写作 播客 摄影 生活 城市 咖啡
电影 诗歌 历史 科学 设计 工具 学习 语言 自然 日记
""".split()

CODE_TEMPLATES = (
    'def {a}_{b}(items):\n    """Return the {a} of every {b}."""\n    result = []\n    for item in items:\n'
    "        if item.{b}:\n            result.append(item.{a})\n    return sorted(result)\n",
    'import json\n\n\ndef load_{a}(path):\n    with open(path, encoding="utf-8") as f:\n        data = json.load(f)\n'
    '    return {{key: value for key, value in data.items() if key.startswith("{b}")}}\n',
    "class {A}:\n    def __init__(self, {b}):\n        self.{b} = {b}\n\n    def __repr__(self):\n"
    '        return f"{A}({{self.{b}!r}})"\n',
)


@dataclass(frozen=True)
class Post:
    """One post as every tool sees it: the body is the same Markdown for all three."""

    number: int
    title: str
    date: dt.datetime
    tags: tuple[str, ...]
    body: str

    @property
    def slug(self) -> str:
        """The URL segment, the same in every tool."""
        return f"post-{self.number:05d}"


def tag_pool() -> list[str]:
    """Two hundred tag names: single words, pairs of words, and twenty Chinese ones."""
    tags = list(TAG_WORDS) + list(CHINESE_TAGS)
    rng = random.Random(SEED)
    while len(tags) < TAG_POOL_SIZE:
        pair = f"{rng.choice(TAG_WORDS)}-{rng.choice(TAG_WORDS)}"
        if pair not in tags and pair.count("-") == 1:
            tags.append(pair)
    return tags


def make_posts(count: int) -> list[Post]:
    """The first `count` posts of the corpus (post k is the same whatever `count` is)."""
    pool = tag_pool()
    return [make_post(number, pool) for number in range(1, count + 1)]


def make_post(number: int, pool: list[str], date: dt.datetime | None = None) -> Post:
    """Post `number`, from its own seeded generator; `date` overrides the random one."""
    rng = random.Random(f"{SEED}-{number}")
    when = FIRST_DAY + dt.timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
    tags = tuple(rng.sample(pool, rng.randint(1, 5)))
    title = _title(rng)
    return Post(number, title, date or when, tags, _body(rng, number))


def added_post(number: int, nth: int) -> Post:
    """A new post written during the benchmark: dated after the whole corpus, so it tops the home page."""
    return make_post(number, tag_pool(), date=ADDED_FROM + dt.timedelta(hours=nth))


def edited(post: Post, nth: int) -> Post:
    """The same post with one more paragraph: a change to its body only."""
    rng = random.Random(f"{SEED}-edit-{post.number}-{nth}")
    return replace(post, body=f"{post.body}\n{_english_paragraph(rng, 3)}\n")


def _title(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return "".join(rng.choices(CHINESE, k=rng.randint(3, 6)))
    words = rng.choices(ENGLISH, k=rng.randint(3, 8))
    return " ".join(words).capitalize()


def _english_sentence(rng: random.Random) -> str:
    words = rng.choices(ENGLISH, k=rng.randint(8, 20))
    if rng.random() < 0.2:
        i = rng.randrange(len(words))
        words[i] = f"*{words[i]}*"
    return " ".join(words).capitalize() + "."


def _english_paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_english_sentence(rng) for _ in range(sentences))


def _chinese_paragraph(rng: random.Random) -> str:
    sentences = ["".join(rng.choices(CHINESE, k=rng.randint(6, 14))) + "。" for _ in range(rng.randint(2, 4))]
    return "".join(sentences)


def _link(rng: random.Random, number: int) -> str:
    text = " ".join(rng.choices(ENGLISH, k=rng.randint(1, 3)))
    return f"[{text}](https://example.com/notes/{number}/{rng.randrange(1000)}/)"


def _list(rng: random.Random, number: int) -> str:
    ordered = rng.random() < 0.3
    items = []
    for i in range(rng.randint(3, 6)):
        text = " ".join(rng.choices(ENGLISH, k=rng.randint(3, 9)))
        if rng.random() < 0.3:
            text += " " + _link(rng, number)
        items.append(f"{i + 1}. {text}" if ordered else f"- {text}")
    return "\n".join(items)


def _code(rng: random.Random) -> str:
    a, b = rng.sample(["name", "date", "title", "size", "tag", "path", "entry", "feed"], 2)
    return "```python\n" + rng.choice(CODE_TEMPLATES).format(a=a, b=b, A=a.capitalize()) + "```"


def _words(block: str) -> int:
    """English words plus Chinese two-character words, roughly as a reader would count them."""
    chinese = sum(1 for ch in block if "\u4e00" <= ch <= "\u9fff")
    return len(block.split()) + chinese // 2


def _body(rng: random.Random, number: int) -> str:
    blocks = [_english_paragraph(rng, rng.randint(3, 5))]
    if number % 5 == 0:
        blocks.append(_code(rng))
    words = sum(_words(b) for b in blocks)
    while words < WORDS_PER_POST:
        roll = rng.random()
        if roll < 0.15 and not blocks[-1].startswith("## "):
            block = f"## {' '.join(rng.choices(ENGLISH, k=rng.randint(2, 5))).capitalize()}"
        elif roll < 0.3:
            block = _chinese_paragraph(rng)
        elif roll < 0.4:
            block = _list(rng, number)
        elif roll < 0.55:
            block = f"{_english_paragraph(rng, rng.randint(1, 3))} See {_link(rng, number)}."
        else:
            block = _english_paragraph(rng, rng.randint(2, 5))
        blocks.append(block)
        words += _words(block)
    if blocks[-1].startswith("## "):
        blocks.append(_english_paragraph(rng, 2))
    return "\n\n".join(blocks) + "\n"
