"""Image prompts in English: by the configured language model when there is one (each text
translated once and kept in storage, so every scene reads the same words), by the offline
glossary otherwise or when the model fails. Only prompts: narration stays as written."""

from __future__ import annotations

import hashlib
import logging

from vp_contracts.language import primary
from vp_runtime.providers.base import Capability, ProviderError
from vp_runtime.providers.chat import Chat
from vp_runtime.providers.router import Call, Ledger
from vp_runtime.storage import MissingObject, Storage

from vp_generator.domain.glossary import english

log = logging.getLogger(__name__)

INSTRUCTION = (
    "Translate this description for an image generation model into short, concrete English."
    " Keep every creature, colour, piece of clothing, place, time of day, weather and action."
    " Answer with the English text only."
)


def is_english(text: str) -> bool:
    return all(ord(char) < 0x250 for char in text)


class PromptTranslator:
    def __init__(self, storage: Storage, chat: Chat | None = None) -> None:
        self._storage = storage
        self._chat = chat

    async def english(self, text: str, language: str, ledger: Ledger) -> str:
        if primary(language) == "en" or is_english(text):
            return text
        if self._chat is None:
            return english(text, language)
        digest = hashlib.sha256(f"{self._chat.model}\n{language}\n{text}".encode()).hexdigest()
        key = f"assets/translations/{digest[:2]}/{digest}.txt"
        try:
            return (await self._storage.get_bytes(key)).decode()
        except MissingObject:
            pass
        try:
            answer = await self._chat.complete(
                [{"role": "system", "content": INSTRUCTION}, {"role": "user", "content": text}],
                json_object=False,
            )
        except ProviderError as error:
            log.warning("translating a prompt failed (%s): using the glossary", error)
            return english(text, language)
        translated = " ".join(answer.text.split())[:1000] or english(text, language)
        await self._storage.put_bytes(key, translated.encode(), "text/plain; charset=utf-8")
        await ledger(
            Call(
                self._chat.name,
                Capability.CHAT,
                digest,
                1,
                answer.cost,
                answer.tokens,
                False,
                "ok",
                answer.request_id,
            )
        )
        return translated
