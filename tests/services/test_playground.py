"""The playground end to end: headless Chromium types code, the serve app completes it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from conftest import (
    MEMORISED_PATH,
    MEMORISED_PROMPT,
    MEMORISED_REPO,
    MEMORISED_SEED,
    MEMORISED_TOKENS,
    free_port,
)

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# kept after the run (git-ignored) so CI can upload what the browser saw
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_stop_sequences_are_one_per_line_with_escaped_newlines():
    from starcoder_playground import parse_stop

    assert parse_stop("\\ndef\n\nEND") == ("\ndef", "END")


def test_attribution_panel_marks_matches_and_secrets():
    from starcoder_playground.attribution_view import render_attribution

    text = "key = 'AKIA...'\nx = 1 < 2\n"
    attribution = {
        "member": True,
        "matched_fraction": 0.5,
        "spans": [[0, 15]],
        "privacy": [{"type": "KEY", "start": 7, "end": 14}],
        "sources": [
            {"repo": "a/b", "path": "c.py", "license": "MIT", "score": 3.0, "matching_lines": [1]}
        ],
    }
    panel = render_attribution(text, attribution)
    assert '<mark class="member" title="in the training data">key = \'</mark>' in panel
    assert '<mark class="secret" title="KEY">' in panel and "x = 1 &lt; 2" in panel
    assert "<code>a/b/c.py</code> &mdash; license MIT" in panel and "50%" in panel
    assert render_attribution(text, None) == ""


@pytest.fixture(scope="module")
def playground_url(serve_url):
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from starcoder_playground import build_playground

    demo = build_playground(serve_url)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}"
    demo.close()


def _expected(serve_url: str, **fields) -> str:
    body = httpx.post(f"{serve_url}/v1/completions", json=fields, timeout=120).json()
    return body["choices"][0]["text"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")
def test_completion_and_infill_in_a_browser(playground_url, serve_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    prompt = "def greet(name):\n    "
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.goto(playground_url)
        page.get_by_label("Temperature").first.fill("0")
        page.get_by_label("Max new tokens").first.fill("16")
        page.locator("#prompt textarea").fill(prompt)
        page.locator("#complete").click()
        expected = _expected(serve_url, prompt=prompt, max_tokens=16, temperature=0, top_p=0.95)
        expect(page.locator("#completion textarea")).to_have_value(expected, timeout=60_000)

        page.get_by_role("tab", name="Infill").click()
        page.locator("#infill").click()
        middle = _expected(
            serve_url,
            prompt="def average(values):\n    ",
            suffix="\n    return total / len(values)\n",
            max_tokens=16,
            temperature=0,
            top_p=0.95,
        )
        expect(page.locator("#middle textarea")).to_have_value(middle, timeout=60_000)
        shot = tmp_path / "playground.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "playground.png")
    assert shot.stat().st_size > 10_000


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")
def test_attribution_in_a_browser(playground_url, tmp_path):
    """A completion the training data holds shows its source file and license."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(playground_url)
        page.get_by_label("Temperature").first.fill("1")
        page.get_by_label("Top-p").first.fill("1")
        page.get_by_label("Max new tokens").first.fill(str(MEMORISED_TOKENS))
        page.get_by_label("Seed").first.fill(str(MEMORISED_SEED))
        page.locator("#attribute input").check()
        page.locator("#prompt textarea").fill(MEMORISED_PROMPT)
        page.locator("#complete").click()
        panel = page.locator("#completion-attribution")
        expect(panel).to_contain_text(f"{MEMORISED_REPO}/{MEMORISED_PATH}", timeout=60_000)
        expect(panel).to_contain_text("license MIT")
        expect(panel).to_contain_text("found in the training data")
        expect(panel.locator("mark.member").first).to_be_visible()
        shot = tmp_path / "playground_attribution.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "playground_attribution.png")
