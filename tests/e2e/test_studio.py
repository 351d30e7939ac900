"""The studio in a real browser (Debian's Chromium driven by Playwright) against the local
stack: the roadmap's end-to-end scenario (9.1) as written, adapted only in its URLs; live
progress; the final video's length; a refused action in words; the API docs offline; no
request to any other host, no page error."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.support.assets import picture, sound
from tests.support.stack import Stack
from tests.support.subtitles import frame

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own background traffic is refused by this closed network: keep it quiet.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PASSWORD = "password"  # the roadmap's test logs in with it


@pytest.fixture(scope="module")
def stack(shared_stack: Stack) -> Stack:
    assert (ROOT / "studio" / "dist" / "index.html").exists(), "build the studio: make studio"
    return shared_stack


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        await launched.close()


class Watched:
    """A page whose requests and uncaught errors are recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.hosts: set[str] = set()
        self.errors: list[str] = []
        page.on("request", lambda request: self.hosts.add(urlsplit(request.url).hostname or ""))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def assert_clean(self) -> None:
        assert self.hosts - {""} <= LOCAL_HOSTS, self.hosts
        assert self.errors == []


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Watched]:
    context = await browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    watched = Watched(await context.new_page())
    yield watched
    await context.close()


async def _register(stack: Stack, email: str) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway) as http:
        answer = await http.post("/api/auth/register", json={"email": email, "password": PASSWORD})
        assert answer.status_code in (201, 409), answer.text


async def _stories(stack: Stack, email: str) -> list[dict[str, object]]:
    """The user's stories as the API has them."""
    async with httpx.AsyncClient(base_url=stack.gateway) as http:
        login = await http.post("/api/auth/token", json={"email": email, "password": PASSWORD})
        token = login.json()["access_token"]
        answer = await http.get(
            "/api/ai-video/stories/", headers={"Authorization": f"Bearer {token}"}
        )
        return list(answer.json()["results"])


async def _log_in(page: Page, stack: Stack, email: str) -> None:
    await page.goto(f"{stack.gateway}/studio/login")
    await page.fill('[name="email"]', email)
    await page.fill('[name="password"]', PASSWORD)
    await page.click('button[type="submit"]')
    await expect(page.get_by_role("heading", name="내 스토리")).to_be_visible()


async def _progress_while(page: Page, done: str, timeout: float) -> set[int]:
    """The overall progress values seen until ``done`` is visible."""
    seen: set[int] = set()
    bar = page.get_by_role("progressbar", name="생성 진행률")
    async with asyncio.timeout(timeout):
        while not await page.locator(done).is_visible():
            if await bar.count():
                seen.add(int(await bar.first.get_attribute("aria-valuenow") or 0))
            await asyncio.sleep(0.1)
    return seen


async def test_the_roadmap_scenario_from_login_to_the_final_video(
    stack: Stack, page: Watched
) -> None:
    email = f"test-{uuid.uuid4().hex[:8]}@example.com"
    await _register(stack, email)
    browser_page = page.page

    # 1. Login
    await _log_in(browser_page, stack, email)
    # 2. Create AI Video Project
    await browser_page.goto(f"{stack.gateway}/studio/projects/123/ai-studio")
    # 3. Fill story details
    await browser_page.fill('[name="story_title"]', "Test Video")
    await browser_page.fill('[name="story_description"]', "A test video description")
    await browser_page.click('button:has-text("다음")')
    # 4. Set character prompt
    await browser_page.fill('[name="character_prompt"]', "A hero character")
    await browser_page.click('button:has-text("다음")')
    # 5. Set background
    await browser_page.fill('[name="background_prompt"]', "Fantasy landscape")
    await browser_page.click('button:has-text("다음")')
    # 6. Generate preview
    await browser_page.click('button:has-text("미리보기 생성")')
    # 7. Wait for preview (the live progress moving meanwhile)
    seen = await _progress_while(browser_page, ".preview-video", 60)
    await expect(browser_page.locator(".preview-video")).to_be_visible(timeout=60_000)
    assert len(seen) >= 2, seen  # the bar moved while it worked
    # 8. Generate final
    await browser_page.click('button:has-text("최종본 생성")')
    # 9. Verify completion
    await expect(browser_page.locator(".final-video")).to_be_visible(timeout=300_000)

    duration = await browser_page.evaluate(
        """() => new Promise((done) => {
            const video = document.querySelector('.final-video');
            if (video.readyState >= 1) return done(video.duration);
            video.addEventListener('loadedmetadata', () => done(video.duration));
        })"""
    )
    assert abs(duration - 14) < 0.2  # the story's length (the studio's default, 14 s)
    # Once its streams are made, the final plays as HLS (Chromium's own or hls.js): the
    # playlists and segments come through the gateway's links, and it plays.
    streamed = browser_page.locator('.final-video[data-stream="hls"]')
    await expect(streamed).to_be_visible(timeout=120_000)
    player = await streamed.get_attribute("data-player")
    assert player in ("hls.js", "native"), player
    print(f"the studio plays the final as HLS with {player}")
    played = await browser_page.evaluate(
        """() => new Promise((done, fail) => {
            const video = document.querySelector('.final-video');
            video.muted = true;
            video.addEventListener('timeupdate', () => {
                if (video.currentTime > 0.5) done([video.duration, video.currentTime]);
            });
            video.addEventListener('error', () => fail(String(video.error?.message)));
            video.play().catch(fail);
        })"""
    )
    assert abs(played[0] - 14) < 0.3 and played[1] > 0.5, (player, played)
    await expect(browser_page.get_by_text("작업 기록")).to_be_visible()
    log = await browser_page.get_by_role("log").inner_text()
    assert "최종본 완성" in log  # the log speaks the studio's language
    await expect(browser_page.locator(".scene-card").first).to_be_visible()
    for link in ("영상 받기", "자막 받기 (WebVTT)", "자막 받기 (SRT)", "썸네일 받기"):
        await expect(browser_page.get_by_role("link", name=link)).to_be_visible()
    async with browser_page.expect_download() as download:  # the editing bundle
        await browser_page.click('button:has-text("편집용 묶음 받기 (zip)")')
    assert (await (await download.value).path()).read_bytes()[:2] == b"PK"

    # Feedback on the finished video, then a refused action said in words.
    await browser_page.get_by_label("5점").check()
    await browser_page.fill("#feedback-comment", "멋져요")
    await browser_page.click('button:has-text("보내기")')
    await expect(browser_page.get_by_role("status")).to_contain_text("5점")
    await browser_page.click('button:has-text("미리보기 생성")')
    refused = browser_page.locator(".error.banner")
    await expect(refused).to_contain_text("지금 상태(완료)에서는 할 수 없습니다")
    page.assert_clean()


async def test_a_field_error_is_shown_next_to_its_field_and_back_keeps_the_text(
    stack: Stack, page: Watched
) -> None:
    email = f"fields-{uuid.uuid4().hex[:8]}@example.com"
    await _register(stack, email)
    browser_page = page.page
    await _log_in(browser_page, stack, email)
    await browser_page.goto(f"{stack.gateway}/studio/new")
    await browser_page.click('button:has-text("다음")')  # no title
    title = browser_page.locator('[name="story_title"]')
    await expect(title).to_have_attribute("aria-invalid", "true")
    await expect(browser_page.get_by_role("alert")).to_have_text("필수 항목입니다.")
    await title.fill("여우와 등불")
    await browser_page.click('button:has-text("다음")')
    await browser_page.fill('[name="character_prompt"]', "빨간 목도리를 한 작은 주황색 여우")
    await browser_page.click('button:has-text("이전")')
    await expect(title).to_have_value("여우와 등불")
    await browser_page.click('button:has-text("다음")')
    await expect(browser_page.locator('[name="character_prompt"]')).to_have_value(
        "빨간 목도리를 한 작은 주황색 여우"
    )
    # The suggestions panel offers Korean ideas for the step; one click fills the field.
    suggestion = browser_page.locator(".suggestion").first
    await expect(suggestion).to_be_visible()
    await suggestion.click()
    assert await browser_page.locator('[name="character_prompt"]').input_value() != ""
    # English on request.
    await browser_page.select_option("#ui-language", "en")
    await expect(browser_page.get_by_role("button", name="Next")).to_be_visible()
    page.assert_clean()


async def test_a_look_chosen_in_the_studio_is_in_the_preview(
    stack: Stack, page: Watched, tmp_path: Path
) -> None:
    """A transition, a subtitle font and place, and their own character picture picked in the
    form: the story has them, and the preview shows the Korean subtitles at the top."""
    email = f"look-{uuid.uuid4().hex[:8]}@example.com"
    await _register(stack, email)
    browser_page = page.page
    await _log_in(browser_page, stack, email)
    await browser_page.goto(f"{stack.gateway}/studio/new")
    await browser_page.fill('[name="story_title"]', "여우와 등불")
    await browser_page.fill('[name="story_description"]', "작은 여우가 숲에서 등불을 찾았어요.")
    await browser_page.select_option("#transition", "wipeleft")
    await browser_page.select_option("#subtitle_font", "NanumMyeongjo")  # offered by the server
    await browser_page.select_option("#subtitle_position", "top")
    await browser_page.click('button:has-text("다음")')
    await browser_page.fill('[name="character_prompt"]', "빨간 목도리를 한 작은 여우")
    # Their own character picture: a file that only pretends to be a PNG is refused, in words.
    upload = browser_page.locator("#character_upload")
    fake = {"name": "fox.png", "mimeType": "image/png", "buffer": b"not a picture at all"}
    await upload.set_input_files(fake)
    await expect(browser_page.get_by_role("alert")).to_contain_text("text")
    real = {"name": "fox.png", "mimeType": "image/png", "buffer": picture("PNG", (200, 240))}
    await upload.set_input_files(real)
    await expect(browser_page.get_by_text("올린 파일을 씁니다.")).to_be_visible()
    await browser_page.click('button:has-text("다음")')
    await browser_page.fill('[name="background_prompt"]', "안개 낀 숲")
    await browser_page.click('button:has-text("다음")')
    await browser_page.click('button:has-text("미리보기 생성")')
    await expect(browser_page.locator(".preview-video")).to_be_visible(timeout=60_000)
    # Two variants with other pictures, side by side; choosing one opens it as its own story.
    await browser_page.click('button:has-text("변형 2개 만들기")')
    await expect(browser_page.locator(".variant-video")).to_have_count(2, timeout=90_000)
    await browser_page.locator(".variant").first.get_by_role("button", name="이걸로 정하기").click()
    await expect(browser_page.locator(".preview-video")).to_be_visible(timeout=30_000)
    assert "/studio/stories/" in browser_page.url
    # On the chosen one, the first scene in the creator's own voice.
    first_scene = browser_page.locator(".scene-card").first
    await first_scene.get_by_role("button", name="편집").click()
    voice = {"name": "voice.wav", "mimeType": "audio/wav", "buffer": sound(3.0, 16_000, 220)}
    await first_scene.locator('[id^="narration-upload-"]').set_input_files(voice)
    await expect(first_scene.get_by_text("올린 파일을 씁니다.")).to_be_visible(timeout=20_000)
    page.assert_clean()

    stories = await _stories(stack, email)
    assert len(stories) == 3 and sum(1 for s in stories if s["variant_of"]) == 2
    chosen = next(s for s in stories if s["id"] in browser_page.url)
    assert chosen["scenes"][0]["narration_asset_id"]  # the upload is the scene's voice
    (story,) = [s for s in stories if not s["variant_of"]]
    style = story["subtitle_style"]
    assert story["transition"] == "wipeleft" and isinstance(style, dict)
    assert (style["font"], style["position"]) == ("NanumMyeongjo", "top")
    assert story["character_asset_id"]  # the uploaded picture, in every scene
    preview = tmp_path / "preview.mp4"
    async with httpx.AsyncClient() as http:
        preview.write_bytes((await http.get(str(story["preview_url"]))).content)
    white = (frame(preview, 1.5) > 215).all(axis=2).sum(axis=1)  # white pixels per row
    assert white[: len(white) // 4].sum() > 300  # letters in the top band
    assert white[len(white) * 3 // 4 :].sum() < 20  # none at the bottom


async def test_the_studio_fits_a_phone(stack: Stack, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = Watched(await context.new_page())
    try:
        email = f"phone-{uuid.uuid4().hex[:8]}@example.com"
        await _register(stack, email)
        await _log_in(phone.page, stack, email)
        await phone.page.goto(f"{stack.gateway}/studio/new")
        await expect(phone.page.locator('[name="story_title"]')).to_be_visible()
        overflow = await phone.page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 1
        phone.assert_clean()
    finally:
        await context.close()


async def test_the_api_docs_work_with_no_internet(stack: Stack, page: Watched) -> None:
    await page.page.goto(f"{stack.gateway}/api/ai-video/docs/")
    await expect(page.page.locator(".swagger-ui .info .title")).to_contain_text(
        "VideoPlanet", timeout=20_000
    )
    await expect(page.page.locator(".opblock").first).to_be_visible()
    page.assert_clean()
