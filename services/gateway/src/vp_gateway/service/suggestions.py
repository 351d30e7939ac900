"""Prompt suggestions: from the configured language model when there is one (cached, so
typing in the studio costs little), from the offline ideas otherwise or when it fails."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from vp_contracts.language import NAMES, primary
from vp_runtime.providers.base import ProviderError

from vp_gateway.domain.suggestions import offline_suggestions

log = logging.getLogger(__name__)
CACHE_SIZE = 512
PROMPT = """You help a creator write a short video. Suggest {count} short, concrete {what} for
the step "{step}", in {language}, that fit what they wrote. Answer with JSON only:
{{"suggestions": ["...", "..."]}}"""
WHAT = {
    "story": "story ideas (two sentences each)",
    "character": "character descriptions (looks, colours, clothing)",
    "background": "settings (place, time of day, weather)",
    "action": "actions (what the character does)",
}


class Chat(Protocol):
    async def complete(self, messages: list[dict[str, str]], json_object: bool = True) -> Reply: ...


class Reply(Protocol):
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Suggestions:
    items: list[str]
    source: str
    """``llm`` or ``offline``."""


class Suggester:
    def __init__(self, chat: Chat | None) -> None:
        self._chat = chat
        self._cache: OrderedDict[str, list[str]] = OrderedDict()

    async def suggest(self, step: str, language: str, context: str) -> Suggestions:
        if self._chat is None:
            return Suggestions(offline_suggestions(step, language, context), "offline")
        key = hashlib.sha256(json.dumps([step, language, context]).encode()).hexdigest()
        if key in self._cache:
            self._cache.move_to_end(key)
            return Suggestions(self._cache[key], "llm")
        try:
            items = await _ask(self._chat, step, language, context)
        except (ProviderError, ValueError, KeyError, TypeError) as error:
            log.warning("suggestions from the language model failed (%s): offline ones", error)
            return Suggestions(offline_suggestions(step, language, context), "offline")
        self._cache[key] = items
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return Suggestions(items, "llm")


async def _ask(chat: Chat, step: str, language: str, context: str) -> list[str]:
    name = NAMES.get(primary(language), language)
    system = PROMPT.format(count=4, what=WHAT[step], step=step, language=name)
    answer = await chat.complete(
        [{"role": "system", "content": system}, {"role": "user", "content": context or "-"}]
    )
    found = json.loads(answer.text)["suggestions"]
    items = [str(item).strip()[:1000] for item in found if str(item).strip()]
    if not items:
        raise ValueError("no suggestions in the answer")
    return items[:6]
