"""The web page in a real Chromium (Playwright driving the system's browser) against the real server with the sample
media indexed: upload a clip and see what was understood, like a video and watch the feed change, search, a phone-
width layout, and an API error shown next to its action. The page's JavaScript must log no console error.

Screenshots of each view go to the test's folder and to REELSENSE_SCREENSHOTS (default /tmp/reelsense-screens).
Without a Chromium (Debian's `chromium` package) or the playwright package these tests are skipped, saying why.
"""
from __future__ import annotations

import base64
import os
import shutil
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from service.api import create_app
from tests.helpers import SAMPLE_MEDIA, sidecar
from tests.helpers.api import serving, wait_ready
from tests.helpers.clips import solid, write_clip

CHROMIUM = os.environ.get("REELSENSE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:  # the test extra installs it
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine: `apt-get install chromium` "
                                                "(or set REELSENSE_CHROMIUM) to run the browser tests of the page"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed: pip install -e '.[test]'"),
    pytest.mark.slow,
]

KEY = "page-test-key"
UPLOADED = "phone_review"  # uploaded through the page; every other sample clip is indexed at startup
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENS = Path(os.environ.get("REELSENSE_SCREENSHOTS", "/tmp/reelsense-screens"))
ANALYSIS_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def site(settings_factory, tmp_path_factory):
    """`serve --index` as the README runs it: the real app on a loopback port, the sample media embedded at startup
    (without CLIP weights, as on a fresh machine); yields the base URL once every clip is stored."""
    media = tmp_path_factory.mktemp("media")
    clips = [p for p in SAMPLE_MEDIA.glob("*.mp4") if p.stem != UPLOADED]
    for clip in clips:
        shutil.copy(clip, media)
        shutil.copy(clip.with_suffix(".json"), media)
    no_weights = media / "no-clip-weights.pt"  # never created: the visual modality falls back, with a warning
    settings = settings_factory(workers=1, api_keys=KEY, clip_pretrained=str(no_weights), job_timeout_s=120,
                                ocr_max_frames=1)  # the OCR model reads one frame per clip: seconds saved per clip
    app = create_app(settings, index_folder=media)
    with serving(app) as base_url:
        wait_ready(app, 1)
        deadline = time.monotonic() + 300
        while app.state.store.current().count() < len(clips):
            assert time.monotonic() < deadline, "the sample media was not indexed in time"
            time.sleep(0.2)
        yield base_url


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    """Chromium with a fresh profile; never a downloaded browser."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tempfile.mkdtemp(dir=tmp_path_factory.mktemp("chromium")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(30_000)
        yield context
        context.close()


class Browser:
    """One tab on the page with every console error and uncaught exception it logged."""

    def __init__(self, page: Page, base_url: str, folder: Path):
        self.page, self.base_url, self.folder = page, base_url, folder
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def open(self, hash_: str = "", key: str | None = KEY) -> Page:
        self.page.goto(f"{self.base_url}/#{hash_}")
        if key:
            self.page.fill("#api-key", key)
            self.page.click("#key-form button[type=submit]")
        return self.page

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        """Into the test's folder, and a copy into SCREENS for people to look at."""
        path = self.folder / f"{name}.png"
        self.page.screenshot(path=path, full_page=full_page)
        SCREENS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENS / path.name)
        return path


@pytest.fixture()
def browser(site, browser_context, tmp_path):
    page = browser_context.new_page()
    yield Browser(page, site, tmp_path)
    page.close()


def card_ids(page: Page, list_id: str) -> list[str]:
    return page.eval_on_selector_all(f"#{list_id} .video-card", "cards => cards.map(c => c.dataset.videoId)")


def drop_file(page: Page, selector: str, path: Path) -> None:
    """Drag a file from outside the browser onto an element: dragenter, dragover and drop carrying the file."""
    page.evaluate("""([selector, name, data]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, { type: "video/mp4" }));
        const target = document.querySelector(selector);
        for (const type of ["dragenter", "dragover", "drop"]) {
            target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
        }
    }""", [selector, path.name, base64.b64encode(path.read_bytes()).decode()])


def images_loaded(page: Page, selector: str) -> bool:
    return page.eval_on_selector_all(selector, "imgs => imgs.length > 0 && imgs.every(i => i.complete && "
                                               "i.naturalWidth > 0)")


def test_an_uploaded_clip_shows_its_frames_cuts_tags_and_sound(browser, site):
    page = browser.open("understand")
    words = sidecar(UPLOADED)
    drop_file(page, "#drop", SAMPLE_MEDIA / f"{UPLOADED}.mp4")
    assert page.text_content("#file-name").startswith(f"{UPLOADED}.mp4")
    page.fill("#upload-form [name=title]", words["title"])
    page.fill("#upload-form [name=hashtags]", " ".join(words["hashtags"]))
    page.click("#upload-button")
    page.wait_for_selector(".strip .frame img", timeout=ANALYSIS_TIMEOUT_MS)
    page.wait_for_function("document.querySelectorAll('.strip img').length > 0 && "
                           "[...document.querySelectorAll('.strip img')].every(i => i.complete)")
    video_id = page.text_content(".report-head .ids code")
    video = httpx.get(f"{site}/videos/{video_id}").json()
    assert page.text_content("#report-title") == words["title"]
    assert page.get_attribute("#p-upload", "value") == "100"
    assert "done" in page.text_content("#p-analysis-text")
    assert page.locator(".strip .frame").count() == len(video["frames"])
    assert images_loaded(page, ".strip img")
    assert page.locator(".strip .cut-marker").count() == len(video["shot_starts"]) - 1
    assert page.locator(".strip .time").first.text_content() == "0:00.5"
    hashtags = page.locator(".tag-group", has=page.locator("h4", has_text="Hashtags"))
    assert set(hashtags.locator(".tag-label").all_text_contents()) == set(words["hashtags"])
    assert "BPM" in page.text_content("[aria-labelledby=audio-title]")
    assert "No CLIP weights" in page.text_content(".notes .warning")
    browser.screenshot("understand")
    assert browser.errors == []


def test_a_background_job_reports_its_progress_and_then_the_cut(browser, tmp_path):
    clip = tmp_path / "red-then-blue.mp4"  # new content: one hard cut at 1.5 s
    write_clip(clip, [(i / 25, solid((220, 30, 30) if i < 38 else (30, 30, 220))) for i in range(75)])
    page = browser.open("understand")
    page.set_input_files("#file", str(clip))
    page.check("#upload-form [name=background]")
    with page.expect_response(lambda response: "/jobs/" in response.url) as polled:
        page.click("#upload-button")
    assert polled.value.json()["status"] in ("queued", "running", "done")
    page.wait_for_selector(".report-head .status.new", timeout=ANALYSIS_TIMEOUT_MS)
    assert page.text_content("#report-title") == "red then blue"  # the file name, until the user types a title
    assert page.locator(".strip .cut-marker").count() == 1
    assert "1.5" in page.text_content(".strip .cut-marker .cut-time")
    assert browser.errors == []


def test_liking_a_video_changes_the_feed_visibly(browser):
    page = browser.open("feed")
    page.fill("#user-id", "page-viewer")
    page.click("#user-form button[type=submit]")
    page.wait_for_selector("#feed .video-card")
    page.fill("#interests-text", "home cooking and quick pasta recipes")
    page.click("#interests-form button[type=submit]")
    page.wait_for_function("document.querySelector('#feed-change').textContent.startsWith('Interests saved')")
    before = card_ids(page, "feed")
    assert page.locator("#feed .video-card svg.stacked").count() == len(before)  # a contribution bar per card
    like = page.locator(f"#feed .video-card[data-video-id='{before[0]}'] [data-action=like]")
    like.focus()
    page.keyboard.press("Enter")  # the actions are reachable from the keyboard
    page.wait_for_function("document.querySelector('#feed-change').textContent.startsWith('You liked')")
    after = card_ids(page, "feed")
    assert before[0] not in after  # liked: seen, so it leaves the feed
    moved = [vid for rank, vid in enumerate(after) if vid not in before or before.index(vid) != rank]
    assert page.locator("#feed .change").count() == len(moved)  # a badge on every card that moved or is new
    assert "left the feed" in page.text_content("#feed-change")
    assert page.evaluate("document.activeElement.id") == "feed-change"  # the keyboard goes on from the news
    assert "like 1" in page.locator("#profile .chips li").all_text_contents()
    assert images_loaded(page, "#feed .thumb img")
    browser.screenshot("feed")
    assert browser.errors == []


def test_search_finds_the_video_and_more_like_this_lists_others(browser):
    page = browser.open("search")
    page.fill("#q", "cat")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#results .video-card")
    assert "cat" in page.locator("#results .video-card h3").first.text_content().lower()
    first = card_ids(page, "results")[0]
    browser.screenshot("search")
    page.locator("#results .video-card").first.locator("[data-action=similar]").click()
    page.wait_for_function("document.querySelector('#search-heading').textContent.startsWith('More like')")
    similar = card_ids(page, "results")
    assert similar and first not in similar
    assert browser.errors == []


def test_a_phone_screen_shows_the_report_without_sideways_scrolling(browser, site):
    page = browser.page
    page.set_viewport_size({"width": 390, "height": 844})
    pasta = next(hit["video_id"] for hit in httpx.get(f"{site}/search", params={"q": "garlic pasta"}).json()["items"])
    browser.open(f"video/{pasta}")
    page.wait_for_selector(".strip .frame img")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    browser.screenshot("phone-understand", full_page=False)
    page.click("#tab-feed")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert browser.errors == []


def test_an_api_error_appears_next_to_the_action_that_caused_it(browser):
    page = browser.open("feed", key=None)  # no API key: a user's feed is personal data and answers 401
    page.fill("#user-id", "keyless-viewer")
    page.click("#user-form button[type=submit]")
    error = page.locator("#feed-error")
    error.wait_for(state="visible")
    assert "unauthorized" in error.text_content()
    assert "API key" in error.text_content()
    assert page.locator("#feed .video-card").count() == 0
    # the browser itself logs the refused request; the page's own code logged nothing
    assert [e for e in browser.errors if "401" not in e] == []
