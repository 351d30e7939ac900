"""The content policy's own rules: blocked terms per language, found in what a story asks the
providers to make (prompts, narration), wherever a creator wrote them.

Matching is on normalised text (NFKC, accents dropped, case folded). A term written in Hangul,
kana or Han is found from the start of a word with anything after it (Korean particles attach
to the name: 피카츄가, 뽀로로와) and across spaces (미키 마우스); a Latin term is found as whole
words, its spaces and hyphens optional (Spider-Man, spider man, spiderman), so ``Batman``
does not match ``batmanship``. Words that are also plain words (Marvel, 마블 in 마블링) are
listed only in their unambiguous forms (Marvel Comics, 마블 코믹스).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from vp_contracts.story.view import StoryView

PROTECTED = "a protected character or brand name (copyright and trademark filtering)"

DEFAULT_TERMS: Mapping[str, tuple[str, ...]] = {
    "ko": (
        "뽀로로",
        "핑크퐁",
        "아기상어",
        "로보카폴리",
        "꼬마버스 타요",
        "포켓몬",
        "피카츄",
        "디즈니",
        "미키마우스",
        "겨울왕국",
        "마블 코믹스",
        "마블 스튜디오",
        "어벤져스",
        "아이언맨",
        "스파이더맨",
        "배트맨",
        "슈퍼맨",
        "헬로키티",
        "짱구",
        "도라에몽",
        "해리포터",
        "슈퍼마리오",
        "카카오프렌즈",
        "코카콜라",
        "스타벅스",
        "나이키",
    ),
    "en": (
        "Pororo",
        "Pinkfong",
        "Baby Shark",
        "Robocar Poli",
        "Pokemon",
        "Pikachu",
        "Disney",
        "Mickey Mouse",
        "Marvel Comics",
        "Marvel Studios",
        "Avengers",
        "Iron Man",
        "Spider-Man",
        "Batman",
        "Superman",
        "Hello Kitty",
        "Doraemon",
        "Harry Potter",
        "Super Mario",
        "Kakao Friends",
        "Coca-Cola",
        "Starbucks",
        "Nike",
    ),
}
"""Well-known protected characters and brands (Korean first); a deployment adds its own."""


def normalised(text: str) -> str:
    """NFKC, accents dropped (Pokémon -> pokemon; Hangul is kept whole), case folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", bare).casefold()


def _is_latin(term: str) -> bool:
    return all(ch.isascii() for ch in term)


@dataclass(frozen=True)
class BlockedTerm:
    term: str
    language: str
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, term: str, language: str) -> BlockedTerm:
        words = [re.escape(word) for word in re.split(r"[\s\-_]+", normalised(term)) if word]
        if _is_latin(term):
            pattern = r"(?<![0-9a-z])" + r"[\s\-_]*".join(words) + r"(?![0-9a-z])"
        else:  # from a word's start; particles may follow (피카츄가), spaces may split it
            chars = r"\s*".join(re.escape(ch) for ch in "".join(words))
            pattern = r"(?<![\uac00-\ud7a3\u3040-\u30ff\u4e00-\u9fff])" + chars
        return cls(term, language, re.compile(pattern))


@dataclass(frozen=True)
class Finding:
    """Where a blocked term was found, and which."""

    field: str
    term: BlockedTerm

    @property
    def reason(self) -> str:
        return f"'{self.term.term}' is {PROTECTED}"


class TermList:
    def __init__(self, terms: Mapping[str, Sequence[str]]) -> None:
        self.terms = [
            BlockedTerm.of(term, language)
            for language, words in terms.items()
            for term in words
            if term.strip()
        ]

    def find(self, fields: Sequence[tuple[str, str]]) -> Finding | None:
        """The first field holding a blocked term (every language's list is checked: a Korean
        story may name a brand in Latin letters)."""
        for name, text in fields:
            plain = normalised(text)
            for term in self.terms:
                if term.pattern.search(plain):
                    return Finding(name, term)
        return None


def merged(defaults: bool, extra: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    terms: dict[str, tuple[str, ...]] = (
        {k: tuple(v) for k, v in DEFAULT_TERMS.items()} if defaults else {}
    )
    for language, words in extra.items():
        terms[language] = (*terms.get(language, ()), *words)
    return terms


SPEC_FIELDS = ("title", "description", "character_prompt", "background_prompt", "action_prompt")


def checked_fields(
    view: StoryView, scene_ids: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    """What a run asks the providers to make, named as the API names it: the story's fields,
    and each scene's prompts and narration (``scenes[2].narration``); only the scenes of
    ``scene_ids`` when given (a scene's regeneration), none before planning (``[]``)."""
    fields: list[tuple[str, str]] = []
    if view.spec is not None:
        fields += [(name, str(getattr(view.spec, name) or "")) for name in SPEC_FIELDS]
    for scene in view.scenes:
        if scene_ids is not None and scene.scene_id not in scene_ids:
            continue
        where = f"scenes[{scene.spec.position}]"
        prompt = scene.spec.prompt
        fields += [
            (f"{where}.prompt.character", prompt.character),
            (f"{where}.prompt.background", prompt.background),
            (f"{where}.prompt.action", prompt.action),
            (f"{where}.narration", scene.spec.narration),
        ]
    return [(name, text) for name, text in fields if text.strip()]


def chunks(fields: Sequence[tuple[str, str]], size: int) -> Iterator[Sequence[tuple[str, str]]]:
    for start in range(0, len(fields), size):
        yield fields[start : start + size]
