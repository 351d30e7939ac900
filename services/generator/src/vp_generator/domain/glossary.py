"""Image prompts in English from prompts in Korean, Japanese or Chinese, offline (pure).

Image models (the built-in painter included) read English. This reads the words a picture is
made of (creatures, clothing, colours, places, time of day, weather, actions) and writes them
as an English prompt in English word order: "빨간 목도리를 한 작은 주황색 여우" (a red scarf
wearing small orange fox) becomes "small orange fox with red scarf". A colour or an adjective
belongs to the noun after it, as in all three languages. Latin words in the text are kept.
Narration and subtitles are never translated: only what is drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vp_contracts.language import primary

# Kinds of words, in the order the English prompt puts them.
CREATURE, MODIFIER, THING, PLACE, TIME, WEATHER, ACTION = (
    "creature",
    "modifier",
    "thing",
    "place",
    "time",
    "weather",
    "action",
)

KOREAN: dict[str, tuple[str, str]] = {
    # creatures and people
    "여우": ("fox", CREATURE),
    "고양이": ("cat", CREATURE),
    "새끼 고양이": ("kitten", CREATURE),
    "사자": ("lion", CREATURE),
    "호랑이": ("tiger", CREATURE),
    "표범": ("leopard", CREATURE),
    "강아지": ("puppy", CREATURE),
    "개가": ("dog", CREATURE),
    "늑대": ("wolf", CREATURE),
    "토끼": ("rabbit", CREATURE),
    "곰": ("bear", CREATURE),
    "판다": ("panda", CREATURE),
    "조랑말": ("pony", CREATURE),
    "사슴": ("deer", CREATURE),
    "유니콘": ("unicorn", CREATURE),
    "부엉이": ("owl", CREATURE),
    "올빼미": ("owl", CREATURE),
    "독수리": ("eagle", CREATURE),
    "까마귀": ("crow", CREATURE),
    "앵무새": ("parrot", CREATURE),
    "참새": ("sparrow", CREATURE),
    "새가": ("bird", CREATURE),
    "로봇": ("robot", CREATURE),
    "안드로이드": ("android", CREATURE),
    "드래곤": ("dragon", CREATURE),
    "소년": ("boy", CREATURE),
    "소녀": ("girl", CREATURE),
    "남자": ("man", CREATURE),
    "여자": ("woman", CREATURE),
    "아이": ("child", CREATURE),
    "마법사": ("wizard", CREATURE),
    "마녀": ("witch", CREATURE),
    "여왕": ("queen", CREATURE),
    "공주": ("princess", CREATURE),
    "왕자": ("prince", CREATURE),
    "기사": ("knight", CREATURE),
    # colours
    "빨간": ("red", MODIFIER),
    "빨강": ("red", MODIFIER),
    "붉은": ("red", MODIFIER),
    "주황색": ("orange", MODIFIER),
    "주황": ("orange", MODIFIER),
    "오렌지색": ("orange", MODIFIER),
    "노란": ("yellow", MODIFIER),
    "노랑": ("yellow", MODIFIER),
    "황금": ("golden", MODIFIER),
    "금색": ("golden", MODIFIER),
    "초록": ("green", MODIFIER),
    "녹색": ("green", MODIFIER),
    "파란": ("blue", MODIFIER),
    "파랑": ("blue", MODIFIER),
    "푸른": ("blue", MODIFIER),
    "남색": ("navy", MODIFIER),
    "청록": ("teal", MODIFIER),
    "보라": ("purple", MODIFIER),
    "분홍": ("pink", MODIFIER),
    "핑크": ("pink", MODIFIER),
    "하얀": ("white", MODIFIER),
    "흰": ("white", MODIFIER),
    "은색": ("silver", MODIFIER),
    "은빛": ("silver", MODIFIER),
    "회색": ("grey", MODIFIER),
    "검은": ("black", MODIFIER),
    "검정": ("black", MODIFIER),
    "까만": ("black", MODIFIER),
    "갈색": ("brown", MODIFIER),
    "구릿빛": ("copper", MODIFIER),
    "하늘색": ("cyan", MODIFIER),
    # other modifiers
    "작은": ("small", MODIFIER),
    "조그만": ("small", MODIFIER),
    "큰": ("big", MODIFIER),
    "커다란": ("big", MODIFIER),
    "오래된": ("old", MODIFIER),
    "낡은": ("old", MODIFIER),
    "늙은": ("old", MODIFIER),
    "귀여운": ("cute", MODIFIER),
    "용감한": ("brave", MODIFIER),
    "뜨거운": ("hot", MODIFIER),
    "차가운": ("cold", MODIFIER),
    "밝은": ("bright", MODIFIER),
    "반짝이는": ("glowing", MODIFIER),
    # things worn or carried (and eyes: "눈" alone is snow as often as eyes)
    "눈을 가진": ("eyes", THING),
    "눈동자": ("eyes", THING),
    "눈이 내리": ("snowfall", PLACE),
    "목도리": ("scarf", THING),
    "스카프": ("scarf", THING),
    "모자": ("hat", THING),
    "망토": ("cape", THING),
    "등불": ("lantern", THING),
    "랜턴": ("lantern", THING),
    "칼": ("sword", THING),
    "배낭": ("backpack", THING),
    "왕관": ("crown", THING),
    "우산": ("umbrella", THING),
    "지팡이": ("staff", THING),
    "책": ("book", THING),
    # places
    "소나무": ("pine", PLACE),
    "숲": ("forest", PLACE),
    "정글": ("jungle", PLACE),
    "나무": ("trees", PLACE),
    "산맥": ("mountains", PLACE),
    "산속": ("mountains", PLACE),
    "산꼭대기": ("mountain peak", PLACE),
    "봉우리": ("peaks", PLACE),
    "절벽": ("cliff", PLACE),
    "계곡": ("valley", PLACE),
    "언덕": ("hills", PLACE),
    "바다": ("sea", PLACE),
    "해변": ("beach", PLACE),
    "바닷가": ("beach", PLACE),
    "호수": ("lake", PLACE),
    "강가": ("river", PLACE),
    "강물": ("river", PLACE),
    "해안": ("coast", PLACE),
    "항구": ("harbor", PLACE),
    "연못": ("pond", PLACE),
    "도시": ("city", PLACE),
    "거리": ("street", PLACE),
    "마을": ("village", PLACE),
    "건물": ("buildings", PLACE),
    "옥상": ("rooftop", PLACE),
    "골목": ("alley", PLACE),
    "시장": ("market", PLACE),
    "사막": ("desert", PLACE),
    "모래언덕": ("dunes", PLACE),
    "모래": ("sand", PLACE),
    "협곡": ("canyon", PLACE),
    "설원": ("snow", PLACE),
    "눈밭": ("snow", PLACE),
    "눈 덮인": ("snowy", PLACE),
    "겨울": ("winter", PLACE),
    "얼음": ("ice", PLACE),
    "빙하": ("glacier", PLACE),
    "초원": ("meadow", PLACE),
    "들판": ("field", PLACE),
    "풀밭": ("grass", PLACE),
    "정원": ("garden", PLACE),
    "농장": ("farm", PLACE),
    "공원": ("park", PLACE),
    "우주": ("space", PLACE),
    "은하": ("galaxy", PLACE),
    "행성": ("planet", PLACE),
    "성운": ("nebula", PLACE),
    "동굴": ("cave", PLACE),
    "터널": ("tunnel", PLACE),
    "지하": ("underground", PLACE),
    "부엌": ("kitchen", PLACE),
    "침실": ("bedroom", PLACE),
    "도서관": ("library", PLACE),
    "교실": ("classroom", PLACE),
    "사무실": ("office", PLACE),
    # time of day
    "한밤중": ("midnight", TIME),
    "자정": ("midnight", TIME),
    "달빛": ("moonlight", TIME),
    "밤": ("night", TIME),
    "해질녘": ("dusk", TIME),
    "노을": ("sunset", TIME),
    "석양": ("sunset", TIME),
    "황혼": ("twilight", TIME),
    "저녁": ("evening", TIME),
    "새벽": ("dawn", TIME),
    "일출": ("sunrise", TIME),
    "아침": ("morning", TIME),
    "한낮": ("noon", TIME),
    "별이 빛나는": ("starry", TIME),
    # weather
    "안개": ("misty", WEATHER),
    "빗속": ("rain", WEATHER),
    "비가": ("rain", WEATHER),
    "비 오는": ("rainy", WEATHER),
    "폭우": ("storm", WEATHER),
    "폭풍": ("storm", WEATHER),
    # actions
    "걷": ("walks", ACTION),
    "걸어": ("walks", ACTION),
    "달리": ("runs", ACTION),
    "달려": ("runs", ACTION),
    "뛰어오르": ("jumps", ACTION),
    "점프": ("jumps", ACTION),
    "앉": ("sits", ACTION),
    "쉬": ("rests", ACTION),
    "기다리": ("waits", ACTION),
    "읽": ("reads", ACTION),
    "날아": ("flies", ACTION),
    "날고": ("flies", ACTION),
    "손을 흔들": ("waves", ACTION),
    "인사": ("greets", ACTION),
    "노래": ("sings", ACTION),
    "춤": ("dances", ACTION),
    "둘러보": ("looks around", ACTION),
    "살펴보": ("looks around", ACTION),
    "찾": ("searches", ACTION),
    "탐험": ("explores", ACTION),
    "산책": ("strolls", ACTION),
}

JAPANESE: dict[str, tuple[str, str]] = {
    "キツネ": ("fox", CREATURE),
    "狐": ("fox", CREATURE),
    "子猫": ("kitten", CREATURE),
    "猫": ("cat", CREATURE),
    "ネコ": ("cat", CREATURE),
    "犬": ("dog", CREATURE),
    "イヌ": ("dog", CREATURE),
    "狼": ("wolf", CREATURE),
    "ウサギ": ("rabbit", CREATURE),
    "兎": ("rabbit", CREATURE),
    "熊": ("bear", CREATURE),
    "クマ": ("bear", CREATURE),
    "パンダ": ("panda", CREATURE),
    "馬": ("horse", CREATURE),
    "鹿": ("deer", CREATURE),
    "フクロウ": ("owl", CREATURE),
    "鳥": ("bird", CREATURE),
    "ロボット": ("robot", CREATURE),
    "ドラゴン": ("dragon", CREATURE),
    "竜": ("dragon", CREATURE),
    "龍": ("dragon", CREATURE),
    "少年": ("boy", CREATURE),
    "少女": ("girl", CREATURE),
    "魔法使い": ("wizard", CREATURE),
    "魔女": ("witch", CREATURE),
    "女王": ("queen", CREATURE),
    "王子": ("prince", CREATURE),
    "姫": ("princess", CREATURE),
    "赤い": ("red", MODIFIER),
    "赤": ("red", MODIFIER),
    "オレンジ色": ("orange", MODIFIER),
    "オレンジ": ("orange", MODIFIER),
    "黄色い": ("yellow", MODIFIER),
    "黄色": ("yellow", MODIFIER),
    "金色": ("golden", MODIFIER),
    "緑": ("green", MODIFIER),
    "青い": ("blue", MODIFIER),
    "青": ("blue", MODIFIER),
    "紫": ("purple", MODIFIER),
    "ピンク": ("pink", MODIFIER),
    "白い": ("white", MODIFIER),
    "白": ("white", MODIFIER),
    "銀色": ("silver", MODIFIER),
    "灰色": ("grey", MODIFIER),
    "黒い": ("black", MODIFIER),
    "黒": ("black", MODIFIER),
    "茶色": ("brown", MODIFIER),
    "小さな": ("small", MODIFIER),
    "小さい": ("small", MODIFIER),
    "大きな": ("big", MODIFIER),
    "古い": ("old", MODIFIER),
    "マフラー": ("scarf", THING),
    "スカーフ": ("scarf", THING),
    "帽子": ("hat", THING),
    "マント": ("cape", THING),
    "ランタン": ("lantern", THING),
    "提灯": ("lantern", THING),
    "剣": ("sword", THING),
    "王冠": ("crown", THING),
    "傘": ("umbrella", THING),
    "杖": ("staff", THING),
    "本": ("book", THING),
    "松": ("pine", PLACE),
    "森": ("forest", PLACE),
    "林": ("woods", PLACE),
    "山": ("mountains", PLACE),
    "谷": ("valley", PLACE),
    "丘": ("hills", PLACE),
    "海": ("sea", PLACE),
    "浜辺": ("beach", PLACE),
    "湖": ("lake", PLACE),
    "川": ("river", PLACE),
    "港": ("harbor", PLACE),
    "街": ("city", PLACE),
    "町": ("town", PLACE),
    "村": ("village", PLACE),
    "砂漠": ("desert", PLACE),
    "砂": ("sand", PLACE),
    "雪": ("snow", PLACE),
    "氷": ("ice", PLACE),
    "草原": ("meadow", PLACE),
    "野原": ("field", PLACE),
    "庭": ("garden", PLACE),
    "宇宙": ("space", PLACE),
    "星空": ("starry", TIME),
    "洞窟": ("cave", PLACE),
    "部屋": ("room", PLACE),
    "図書館": ("library", PLACE),
    "夜": ("night", TIME),
    "真夜中": ("midnight", TIME),
    "月明かり": ("moonlight", TIME),
    "夕暮れ": ("dusk", TIME),
    "夕焼け": ("sunset", TIME),
    "夕方": ("evening", TIME),
    "夜明け": ("dawn", TIME),
    "朝": ("morning", TIME),
    "霧": ("misty", WEATHER),
    "雨": ("rain", WEATHER),
    "嵐": ("storm", WEATHER),
    "歩": ("walks", ACTION),
    "走": ("runs", ACTION),
    "跳": ("jumps", ACTION),
    "座": ("sits", ACTION),
    "飛": ("flies", ACTION),
    "手を振": ("waves", ACTION),
    "歌": ("sings", ACTION),
    "踊": ("dances", ACTION),
    "探": ("searches", ACTION),
    "見回": ("looks around", ACTION),
}

CHINESE: dict[str, tuple[str, str]] = {
    "狐狸": ("fox", CREATURE),
    "小猫": ("kitten", CREATURE),
    "熊猫": ("panda", CREATURE),
    "猫头鹰": ("owl", CREATURE),
    "猫": ("cat", CREATURE),
    "狗": ("dog", CREATURE),
    "狼": ("wolf", CREATURE),
    "兔子": ("rabbit", CREATURE),
    "熊": ("bear", CREATURE),
    "马": ("horse", CREATURE),
    "鹿": ("deer", CREATURE),
    "鸟": ("bird", CREATURE),
    "机器人": ("robot", CREATURE),
    "龙": ("dragon", CREATURE),
    "男孩": ("boy", CREATURE),
    "女孩": ("girl", CREATURE),
    "巫师": ("wizard", CREATURE),
    "女巫": ("witch", CREATURE),
    "国王": ("king", CREATURE),
    "女王": ("queen", CREATURE),
    "公主": ("princess", CREATURE),
    "王子": ("prince", CREATURE),
    "红色": ("red", MODIFIER),
    "红": ("red", MODIFIER),
    "橙色": ("orange", MODIFIER),
    "橙": ("orange", MODIFIER),
    "黄色": ("yellow", MODIFIER),
    "金色": ("golden", MODIFIER),
    "绿色": ("green", MODIFIER),
    "绿": ("green", MODIFIER),
    "蓝色": ("blue", MODIFIER),
    "蓝": ("blue", MODIFIER),
    "紫色": ("purple", MODIFIER),
    "粉红": ("pink", MODIFIER),
    "白色": ("white", MODIFIER),
    "银色": ("silver", MODIFIER),
    "灰色": ("grey", MODIFIER),
    "黑色": ("black", MODIFIER),
    "棕色": ("brown", MODIFIER),
    "小": ("small", MODIFIER),
    "大": ("big", MODIFIER),
    "旧": ("old", MODIFIER),
    "围巾": ("scarf", THING),
    "帽子": ("hat", THING),
    "斗篷": ("cape", THING),
    "灯笼": ("lantern", THING),
    "剑": ("sword", THING),
    "王冠": ("crown", THING),
    "雨伞": ("umbrella", THING),
    "书": ("book", THING),
    "松树林": ("pine forest", PLACE),
    "松林": ("pine forest", PLACE),
    "松树": ("pine", PLACE),
    "森林": ("forest", PLACE),
    "树林": ("woods", PLACE),
    "山": ("mountains", PLACE),
    "山谷": ("valley", PLACE),
    "大海": ("sea", PLACE),
    "海边": ("beach", PLACE),
    "海": ("sea", PLACE),
    "湖": ("lake", PLACE),
    "河": ("river", PLACE),
    "城市": ("city", PLACE),
    "街道": ("street", PLACE),
    "村庄": ("village", PLACE),
    "沙漠": ("desert", PLACE),
    "沙": ("sand", PLACE),
    "雪": ("snow", PLACE),
    "冰": ("ice", PLACE),
    "草原": ("meadow", PLACE),
    "花园": ("garden", PLACE),
    "太空": ("space", PLACE),
    "山洞": ("cave", PLACE),
    "房间": ("room", PLACE),
    "夜晚": ("night", TIME),
    "夜": ("night", TIME),
    "午夜": ("midnight", TIME),
    "月光": ("moonlight", TIME),
    "黄昏": ("dusk", TIME),
    "日落": ("sunset", TIME),
    "傍晚": ("evening", TIME),
    "黎明": ("dawn", TIME),
    "早晨": ("morning", TIME),
    "雾": ("misty", WEATHER),
    "雨": ("rain", WEATHER),
    "暴风雨": ("storm", WEATHER),
    "走": ("walks", ACTION),
    "跑": ("runs", ACTION),
    "跳": ("jumps", ACTION),
    "坐": ("sits", ACTION),
    "飞": ("flies", ACTION),
    "挥手": ("waves", ACTION),
    "唱歌": ("sings", ACTION),
    "跳舞": ("dances", ACTION),
    "寻找": ("searches", ACTION),
}

GLOSSARIES = {"ko": KOREAN, "ja": JAPANESE, "zh": CHINESE}
_LATIN = re.compile(r"[A-Za-z][A-Za-z'-]*")
_ORDER = (CREATURE, THING, PLACE, TIME, WEATHER, ACTION)


@dataclass(frozen=True)
class _Word:
    at: int
    english: str
    kind: str


def _words(text: str, glossary: dict[str, tuple[str, str]]) -> list[_Word]:
    """Glossary words and Latin words in ``text``, longest match first, in reading order."""
    taken = [False] * len(text)
    found: list[_Word] = []
    for term in sorted(glossary, key=len, reverse=True):
        english, kind = glossary[term]
        start = text.find(term)
        while start >= 0:
            if not any(taken[start : start + len(term)]):
                found.append(_Word(start, english, kind))
                taken[start : start + len(term)] = [True] * len(term)
            start = text.find(term, start + len(term))
    for match in _LATIN.finditer(text):
        if not any(taken[match.start() : match.end()]):
            found.append(_Word(match.start(), match.group(), "latin"))
    return sorted(found, key=lambda word: word.at)


def english(text: str, language: str) -> str:
    """An English image prompt for ``text`` written in ``language`` (unchanged when English or
    when no glossary exists for the language)."""
    glossary = GLOSSARIES.get(primary(language))
    if glossary is None or not text.strip():
        return text
    words = _words(text, glossary)
    phrases: dict[str, list[str]] = {kind: [] for kind in (*_ORDER, "latin")}
    pending: list[str] = []
    for word in words:
        if word.kind == MODIFIER:
            pending.append(word.english)
            continue
        if word.kind in (CREATURE, THING, PLACE):
            phrase = " ".join([*pending, word.english])
        else:  # a modifier before a time or an action describes the scene ("hot", "bright")
            phrases[word.kind] += pending
            phrase = word.english
        pending = []
        if phrase not in phrases[word.kind]:
            phrases[word.kind].append(phrase)
    leftover = " ".join(pending)
    parts = []
    if phrases[CREATURE]:
        parts.append(" and ".join(phrases[CREATURE]))
    if phrases[THING]:
        parts.append("with " + " and ".join(phrases[THING]))
    if phrases[PLACE]:
        parts.append(" ".join(phrases[PLACE]))
    for kind in (TIME, WEATHER, ACTION, "latin"):
        parts += phrases[kind]
    if leftover:
        parts.append(leftover)
    return ", ".join(part for part in parts if part) or text
