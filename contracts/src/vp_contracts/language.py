"""Languages of stories: tags, detection from the text, sentences, how long speech takes.

Pure and shared: the gateway records a story's language (given, or detected here), the
planner splits narration into sentences with it, the generator checks that a narration is as
long as its text needs, the compositor breaks subtitle lines with it. Korean comes first.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

BCP47 = r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$"
"""A language tag as BCP 47 writes them (``ko``, ``en-US``, ``zh-Hant``)."""
_TAG = re.compile(BCP47)

DEFAULT = "en"
NAMES = {
    "ko": "Korean",
    "en": "English",
    "ja": "Japanese",
    "zh": "Chinese",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "it": "Italian",
    "vi": "Vietnamese",
    "th": "Thai",
    "id": "Indonesian",
    "ru": "Russian",
    "ar": "Arabic",
    "hi": "Hindi",
    "tr": "Turkish",
}
"""Languages creators use most; any other BCP 47 tag is accepted too (a voice must exist)."""

CJK = frozenset({"ko", "ja", "zh"})
"""Languages whose letters are as wide as they are tall (subtitle widths, line breaks)."""
SPACELESS = frozenset({"ja", "zh", "th"})
"""Languages written without spaces between words: lines break between letters."""

SPEECH_RATE = {"ko": 6.0, "ja": 7.0, "zh": 4.5, "th": 5.0}
"""Units spoken per second by a natural voice: syllables (Korean), kana/kanji (Japanese),
characters (Chinese, Thai); other languages count words at :data:`WORDS_PER_SECOND`."""
WORDS_PER_SECOND = 2.6


def primary(tag: str | None) -> str:
    """The language of a tag without region or script: ``ko-KR`` -> ``ko``."""
    return (tag or DEFAULT).split("-", 1)[0].lower()


def check_tag(tag: str) -> str:
    """``tag`` in canonical case (``ko``, ``en-US``, ``zh-Hant``), or ValueError."""
    if not _TAG.fullmatch(tag):
        raise ValueError(f"{tag!r} is not a BCP 47 language tag such as 'ko', 'en' or 'ja'")
    parts = tag.split("-")
    fixed = [parts[0].lower()]
    for part in parts[1:]:
        fixed.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part)
    return "-".join(fixed)


def _script(char: str) -> str | None:
    code = ord(char)
    if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
        return "han"
    if 0x0E00 <= code <= 0x0E7F:
        return "thai"
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if 0x0600 <= code <= 0x06FF:
        return "arabic"
    if 0x0900 <= code <= 0x097F:
        return "devanagari"
    if char.isalpha():
        return "latin"
    return None


_LATIN_HINTS = {
    "es": {"el", "la", "los", "las", "una", "con", "para", "que", "del", "y", "en", "es"},
    "fr": {"le", "la", "les", "une", "des", "avec", "pour", "dans", "et", "est", "du"},
    "de": {"der", "die", "das", "und", "ein", "eine", "mit", "ist", "im", "auf", "den"},
    "pt": {"o", "os", "uma", "com", "para", "que", "do", "da", "e", "em", "no", "na"},
    "it": {"il", "lo", "gli", "una", "con", "per", "che", "del", "della", "e", "nel"},
    "en": {"the", "a", "an", "with", "and", "of", "in", "on", "is", "to", "his", "her"},
}


def detect(*texts: str) -> str:
    """The language the texts are written in (a primary tag), ``en`` when there is no text.

    By script: Hangul is Korean, kana is Japanese, Han characters without kana are Chinese,
    and so on; Latin text is told apart by its most common short words. A few letters of one
    script win over many Latin ones (Korean text often carries English words, not the other
    way round).
    """
    text = " ".join(texts)
    scripts = Counter(s for s in map(_script, text) if s)
    if not scripts:
        return DEFAULT
    if scripts["kana"]:
        return "ja"
    for script, language in (
        ("hangul", "ko"),
        ("han", "zh"),
        ("thai", "th"),
        ("cyrillic", "ru"),
        ("arabic", "ar"),
        ("devanagari", "hi"),
    ):
        if scripts[script] and scripts[script] * 4 >= scripts["latin"] * 0.5:
            return language
    if _vietnamese(text):
        return "vi"
    words = Counter(re.findall(r"[a-zà-ÿ]+", text.lower()))
    scores = {lang: sum(words[w] for w in hints) for lang, hints in _LATIN_HINTS.items()}
    best = max(scores, key=lambda lang: (scores[lang], lang == DEFAULT))
    return best if scores[best] else DEFAULT


def _vietnamese(text: str) -> bool:
    marks = sum(
        1 for char in text if char in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệịỉọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    )
    return marks >= 3


_WIDE_ENDS = "。！？"
_ENDS = ".!?…"
_CLOSERS = "\"'”’」』)]）"


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, each with its closing punctuation.

    A sentence ends at ``。！？`` (whatever follows), at ``.!?…`` followed by a space or the end
    (so ``3.5`` is not cut), with any closing quotes, and at a line break.
    """
    parts: list[str] = []
    current: list[str] = []
    chars = text.strip()
    index = 0
    while index < len(chars):
        char = chars[index]
        if char == "\n":
            parts.append("".join(current))
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
        if char in _WIDE_ENDS or char in _ENDS:
            while index < len(chars) and chars[index] in _CLOSERS + _ENDS + _WIDE_ENDS:
                current.append(chars[index])
                index += 1
            if char in _WIDE_ENDS or index >= len(chars) or chars[index].isspace():
                parts.append("".join(current))
                current = []
    parts.append("".join(current))
    # A run of dots or an ellipsis on its own is not something to say.
    return [part.strip() for part in parts if any(char.isalnum() for char in part)]


def speech_units(text: str, language: str) -> float:
    """How much there is to say: syllables or characters for CJK and Thai, words otherwise."""
    lang = primary(language)
    if lang in SPEECH_RATE:
        return float(sum(1 for char in text if _script(char) not in (None, "latin")))
    return float(len(re.findall(r"\w+", text)))


def expected_seconds(text: str, language: str) -> float:
    """About how long a natural voice takes to say ``text``."""
    lang = primary(language)
    units = speech_units(text, lang)
    latin_words = len(re.findall(r"[A-Za-z]+", text)) if lang in SPEECH_RATE else 0
    return units / SPEECH_RATE.get(lang, WORDS_PER_SECOND) + latin_words / WORDS_PER_SECOND


def display_width(text: str) -> float:
    """Width in ems: wide (CJK, full-width) letters count one, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.55 for char in text)
