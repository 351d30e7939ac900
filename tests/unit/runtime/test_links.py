from datetime import timedelta

from vp_runtime.storage import InMemoryStorage, SignedLinks
from vp_runtime.storage.signer import UrlSigner


class CountingStorage(InMemoryStorage):
    def __init__(self) -> None:
        super().__init__()
        self.signed = 0

    def url(self, key: str, lifetime: timedelta = timedelta(hours=6)) -> str:
        self.signed += 1
        return f"{super().url(key, lifetime)}&n={self.signed}"


def test_a_link_is_signed_once_and_reused_while_half_its_life_is_left() -> None:
    storage = CountingStorage()
    now = [0.0]
    links = SignedLinks(storage, timedelta(hours=2), clock=lambda: now[0])
    first = links("stories/a/final.mp4")
    assert first == links("stories/a/final.mp4")
    assert first is not None and "lifetime=7200" in first
    now[0] = 3599.0
    assert links("stories/a/final.mp4") == first
    now[0] = 3600.0  # half the lifetime gone: a new link, good for the whole lifetime again
    assert links("stories/a/final.mp4") != first
    assert storage.signed == 2


def test_no_key_is_no_link_and_the_cache_stays_bounded() -> None:
    storage = CountingStorage()
    links = SignedLinks(storage, timedelta(hours=6), size=2)
    assert links(None) is None and links("") is None
    for key in ("a", "b", "c", "a"):
        links(key)
    assert storage.signed == 4  # "a" was pushed out by "c" and signed again


def test_a_forged_signature_in_any_characters_is_refused_not_an_error() -> None:
    signer = UrlSigner("secret")
    expires = 2_000_000_000
    assert signer.valid("a/b.mp4", expires, signer.signature("a/b.mp4", expires), now=0)
    assert not signer.valid("a/b.mp4", expires, "\U000f7829" + "3\U000fc9ac¢", now=0)
    assert not signer.valid("a/b.mp4", 10**30, "x", now=0)
