"""Prompt suggestions for the studio's steps, offline (pure): ideas in the story's language,
the ones closest to what the creator has written so far first.

The configured language model does better (see ``service/suggestions.py``); this is what a
creator gets with no model and no network, and what they get when the model fails.
"""

from __future__ import annotations

from vp_contracts.language import primary

STEPS = ("story", "character", "background", "action")

IDEAS: dict[str, dict[str, tuple[str, ...]]] = {
    "ko": {
        "story": (
            "작은 여우가 안개 낀 숲에서 오래된 등불을 찾습니다. 등불이 밝게 빛나기 시작합니다.",
            "은색 로봇이 뜨거운 사막을 건너 잃어버린 친구를 찾아갑니다.",
            "비 오는 도시의 골목에서 노란 우비를 입은 소녀가 길 잃은 고양이를 만납니다.",
            "어린 마법사가 별이 빛나는 밤에 처음으로 하늘을 날아 봅니다.",
            "눈 덮인 산속 마을에서 아기 곰이 겨울 축제를 준비합니다.",
            "노을이 지는 바닷가에서 친구들이 함께 모래성을 쌓습니다.",
        ),
        "character": (
            "빨간 목도리를 한 작은 주황색 여우",
            "파란 눈을 가진 친절한 은색 로봇",
            "노란 우비를 입은 소녀",
            "별무늬 보라 망토를 두른 어린 마법사",
            "황금 왕관을 쓴 하얀 고양이",
            "초록 배낭을 멘 갈색 아기 곰",
        ),
        "background": (
            "밤의 안개 낀 소나무 숲",
            "한낮의 뜨거운 모래 사막",
            "비 오는 도시의 좁은 골목",
            "별이 빛나는 밤의 언덕",
            "눈 덮인 산속 마을",
            "노을이 지는 바닷가",
        ),
        "action": (
            "조심스럽게 걸으며 주위를 둘러봅니다",
            "신나게 달려갑니다",
            "하늘을 향해 높이 뛰어오릅니다",
            "나무 아래 앉아 책을 읽습니다",
            "손을 흔들며 인사합니다",
            "음악에 맞춰 춤을 춥니다",
        ),
    },
    "en": {
        "story": (
            "A small fox finds an old lantern in the misty forest. The lantern begins to glow.",
            "A silver robot crosses a hot desert to find a lost friend.",
            "In a rainy city alley, a girl in a yellow raincoat meets a lost cat.",
            "A young wizard flies for the first time on a starry night.",
            "In a snowy mountain village, a bear cub gets ready for the winter festival.",
            "At sunset on the beach, friends build a sandcastle together.",
        ),
        "character": (
            "a small orange fox with a red scarf",
            "a friendly silver robot with blue eyes",
            "a girl in a yellow raincoat",
            "a young wizard in a purple starry cape",
            "a white cat wearing a golden crown",
            "a brown bear cub with a green backpack",
        ),
        "background": (
            "a misty pine forest at night",
            "a hot sand desert at noon",
            "a narrow alley in a rainy city",
            "a hill under a starry night sky",
            "a snowy mountain village",
            "a beach at sunset",
        ),
        "action": (
            "walks carefully, looking around",
            "runs happily",
            "jumps high towards the sky",
            "sits under a tree, reading a book",
            "waves and says hello",
            "dances to the music",
        ),
    },
    "ja": {
        "story": (
            "小さな狐が霧の森で古いランタンを見つけます。ランタンが光り始めます。",
            "銀色のロボットが暑い砂漠を越えて、迷子の友だちを探しに行きます。",
            "雨の街の路地で、黄色いレインコートの少女が迷子の猫に出会います。",
            "若い魔法使いが星空の夜、初めて空を飛びます。",
        ),
        "character": (
            "赤いマフラーをした小さなオレンジ色の狐",
            "青い目の優しい銀色のロボット",
            "黄色いレインコートを着た少女",
            "紫の星のマントを着た若い魔法使い",
        ),
        "background": ("夜の霧の松林", "昼の暑い砂漠", "雨の街の路地", "夕焼けの浜辺"),
        "action": (
            "あたりを見回しながら慎重に歩きます",
            "楽しそうに走ります",
            "空に向かって高く跳びます",
            "木の下に座って本を読みます",
        ),
    },
    "zh": {
        "story": (
            "一只小狐狸在雾蒙蒙的森林里找到了一盏旧灯笼。灯笼开始发光。",
            "一个银色机器人穿过炎热的沙漠，去寻找走失的朋友。",
            "在下雨的城市小巷里，穿黄色雨衣的女孩遇到了一只迷路的猫。",
        ),
        "character": ("戴着红围巾的小橙色狐狸", "蓝眼睛的友善银色机器人", "穿黄色雨衣的女孩"),
        "background": ("夜晚雾蒙蒙的松树林", "中午炎热的沙漠", "下雨的城市小巷", "日落时的海边"),
        "action": ("小心地走着，四处张望", "开心地跑着", "向天空高高跳起", "坐在树下看书"),
    },
}


def _grams(text: str) -> set[str]:
    """Words and letter pairs: what two texts share, with or without spaces between words."""
    letters = "".join(char for char in text.lower() if char.isalnum())
    words = {word for word in "".join(c if c.isalnum() else " " for c in text.lower()).split()}
    return words | {letters[i : i + 2] for i in range(len(letters) - 1)}


def offline_suggestions(step: str, language: str, context: str, count: int = 4) -> list[str]:
    """Ideas for ``step`` in ``language`` (English when it has none), the closest to
    ``context`` first, ideas already written left out."""
    table = IDEAS.get(primary(language), IDEAS["en"])
    ideas = table.get(step, ())
    have = _grams(context)
    ranked = sorted(
        (idea for idea in ideas if idea not in context),
        key=lambda idea: -len(_grams(idea) & have),
    )
    return ranked[:count]
