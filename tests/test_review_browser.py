"""The review page in a real headless Chromium against a real ``rrbench review`` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roboreward_bench.data.reviews import read_reviews, reviews_path
from video_fixtures import index_of, write_dataset


REPO = Path(__file__).resolve().parents[1]
XSS = '<img src=x onerror="window.__xss=1">put <b>the</b> cup in the sink'
ROWS = [
    {"file_name": "kitchen/ep0.mp4", "task": "open the drawer", "reward": 4,
     "frame_labels": [1] * 8 + [2] * 6 + [3] * 6 + [4] * 4},
    {"file_name": "kitchen/ep0.mp4", "task": "open the drawer", "reward": 2, "item_id": "kitchen/ep0.mp4#clip10",
     "clip_end": 10, "kind": "clip", "frame_labels": [1] * 8 + [2] * 3},
    {"file_name": "kitchen/ep1.mp4", "task": XSS, "reward": 5, "item_id": "<b>ep1</b>"},
    {"file_name": "lab/ep2.mp4", "task": "push the puck to the goal", "reward": 3},
    {"file_name": "lab/ep3.mp4", "task": "lift the block", "reward": 1},
    {"file_name": "lab/ep4.mp4", "task": "press the button", "reward": 5},
]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data", ROWS)



class Server:
    """``rrbench review DATASET --port 0`` as a real child process."""

    def __init__(self, dataset: Path, reviewer: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "roboreward_bench.cli.main", "review", str(dataset), "--port", "0",
             "--reviewer", reviewer], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        lines = [self.process.stdout.readline() for _ in range(2)]
        urls = [word for line in lines for word in line.split() if word.startswith("http://127.0.0.1:")]
        assert urls, "".join(lines) + self.process.stderr.read()
        self.url = urls[0]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.communicate(timeout=30)


@pytest.fixture
def open_page(browser):
    servers, contexts = [], []

    def opener(dataset: Path, reviewer: str = "alice"):
        server = Server(dataset, reviewer)
        servers.append(server)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(server.url)
        page.wait_for_selector("body[data-ready='1']", timeout=20_000)
        return server, page

    yield opener
    for context in contexts:
        context.close()
    for server in servers:
        if server.process.poll() is None:
            server.kill()


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Poll ``expression`` from outside the page (the page's CSP forbids Playwright's in-page eval polling)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def saved(page, count: int) -> None:
    page.wait_for_selector(f"body[data-saved='{count}']", timeout=10_000)


def text(page, selector: str) -> str:
    return page.locator(selector).text_content()


def test_accept_relabel_reject_with_the_keyboard(dataset, open_page):
    server, page = open_page(dataset)
    assert text(page, "#item-id") == "kitchen/ep0.mp4" and text(page, "#label") == "4"
    assert text(page, "#rubric").startswith("Near Completion")
    assert page.locator("#strip img").count() == 16
    wait_until(page, "[...document.querySelectorAll('#strip img')].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("#curve svg path.step").count() == 1
    assert page.locator("#curve svg circle.sampled").count() == 16
    page.evaluate("document.getElementById('video').currentTime = 2.05")  # frame 20 in the player
    wait_until(page, "document.getElementById('video').readyState >= 3 && !document.getElementById('video').seeking")
    time.sleep(1.2)  # the player shows a loading spinner for a moment after a seek
    (REPO / ".dev" / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(REPO / ".dev" / "screenshots" / "review.png"), full_page=True)

    page.keyboard.press("a")
    saved(page, 1)
    assert text(page, "#item-id") == "kitchen/ep0.mp4#clip10"
    page.keyboard.press("n")
    page.keyboard.type("the drawer is not open at all")
    page.keyboard.press("Enter")
    assert "the drawer is not open at all" in text(page, "#note-view")
    page.keyboard.press("1")
    saved(page, 2)
    assert text(page, "#instruction") == XSS and text(page, "#item-id") == "<b>ep1</b>"
    assert page.locator("img[src='x']").count() == 0 and page.locator("#item-id b").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.locator("#curve-section").is_hidden()
    page.keyboard.press("r")
    saved(page, 3)
    assert text(page, "#item-id") == "lab/ep2.mp4" and "3 of 6 reviewed" in text(page, "#progress")
    assert page.errors == []

    records = read_reviews(reviews_path(dataset))
    assert [(r.item_id, r.decision, r.corrected_label, r.note, r.reviewer) for r in records] == [
        ("kitchen/ep0.mp4", "accept", None, "", "alice"),
        ("kitchen/ep0.mp4#clip10", "relabel", 1, "the drawer is not open at all", "alice"),
        ("<b>ep1</b>", "reject", None, "", "alice"),
    ]


def test_killing_the_server_loses_no_decision_and_resume_skips_them(dataset, open_page):
    server, page = open_page(dataset)
    for count, key in enumerate("a2ar", start=1):
        page.keyboard.press(key)
        saved(page, count)
    server.kill()  # SIGKILL right after the fourth acknowledgement: no chance to flush anything
    records = read_reviews(reviews_path(dataset))
    assert [(r.item_id, r.decision) for r in records] == [
        ("kitchen/ep0.mp4", "accept"), ("kitchen/ep0.mp4#clip10", "accept"),  # 2 is the proposed label
        ("<b>ep1</b>", "accept"), ("lab/ep2.mp4", "reject")]

    _, again = open_page(dataset, "alice")
    assert again.evaluate("document.body.dataset.index") == "4"
    assert text(again, "#item-id") == "lab/ep3.mp4" and "4 of 6 reviewed" in text(again, "#progress")
    again.keyboard.press("ArrowLeft")
    again.wait_for_selector("body[data-index='3']")
    assert text(again, "#decision").startswith("rejected")

    _, other = open_page(dataset, "bob")  # another reviewer starts from the beginning
    assert text(other, "#item-id") == "kitchen/ep0.mp4" and "0 of 6 reviewed" in text(other, "#progress")


DRAWN_FRAME = """() => {
  const video = document.getElementById('video');
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let i = 0; i < pixels.length; i += 4) sum += pixels[i];
  return sum / (pixels.length / 4);
}"""


def test_the_player_never_goes_past_clip_end(dataset, open_page):
    _, page = open_page(dataset)
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("body[data-index='1']")
    wait_until(page, "document.getElementById('video').readyState >= 2")
    # A seek past the end of the clip (frame 10 at 10 fps) is held at its last frame.
    page.evaluate("document.getElementById('video').currentTime = 2.0")
    wait_until(page, "Math.abs(document.getElementById('video').currentTime - 1.05) < 0.01 "
                     "&& !document.getElementById('video').seeking")
    assert index_of_level(page.evaluate(DRAWN_FRAME)) == 10
    # Played from frame 7, it stops by itself on frame 10.
    page.evaluate("const v = document.getElementById('video'); v.currentTime = 0.75; v.play()")
    wait_until(page, "document.getElementById('video').paused && !document.getElementById('video').seeking")
    assert index_of_level(page.evaluate(DRAWN_FRAME)) == 10


def index_of_level(level: float) -> int:
    import numpy as np

    return index_of(np.full((1, 1), level))
