"""Real-browser checks: the built book in Chromium, and a chapter's explorer in JupyterLab.

Needs Debian's Chromium (``apt-get install -y chromium``) and the Python package playwright
(``pip install playwright``, without ``playwright install``: the tests drive the system
browser). Each test is skipped, with the reason, where either is missing.

Screenshots are written to book/_build/screenshots/ (or $DLCORE_SCREENSHOTS) and their paths
printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest

from tests.test_book import CHAPTERS, built_book, heading

ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get("DLCORE_SCREENSHOTS", ROOT / "book" / "_build" / "screenshots"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LAB_NOTEBOOK = "05_optimizers.ipynb"      # the chapter with the optimizer explorer

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright not installed: pip install playwright")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed: apt-get install -y chromium")


@pytest.fixture
def browser():
    """Chromium, headless, with a fresh temporary profile (Playwright makes one per launch)."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


# --- (a) the static book ------------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def book_server(tmp_path_factory):
    """A static file server on 127.0.0.1 (a free port) over the built book."""
    html = built_book(tmp_path_factory)
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


MATH_READY = """async () => {
    if (!document.querySelector('.math')) return true;
    if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) return false;
    await MathJax.startup.promise;
    return true;
}"""
IMAGES_LOADED = """() => Array.from(document.querySelectorAll('article img'))
    .every(img => img.complete)"""
BROKEN_IMAGES = """() => Array.from(document.querySelectorAll('article img'))
    .filter(img => img.naturalWidth === 0).map(img => img.getAttribute('src'))"""
RAW_MATH = """() => {
    const article = document.querySelector('article').cloneNode(true);
    article.querySelectorAll('pre, code, script, mjx-container').forEach(e => e.remove());
    return article.textContent.includes('$$') || /\\\\\\(|\\\\\\[/.test(article.textContent);
}"""


def test_book_navigation_figures_and_math_in_a_browser(book_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    failed_requests = []
    page.on("requestfailed", lambda request: failed_requests.append(request.url))
    page.on("response", lambda response: response.status >= 400
            and not response.url.endswith("favicon.ico")
            and failed_requests.append(f"{response.status} {response.url}"))
    expected = {f"notebooks/{path.stem}.html": heading(path) for path in CHAPTERS}
    visited, url = [], urljoin(book_server, "index.html")
    try:
        page.goto(url, wait_until="load", timeout=60_000)
        while True:
            relative = page.url[len(book_server):].split("#")[0]
            assert relative not in visited, f"the navigation loops back to {relative}"
            visited.append(relative)
            title = page.locator("article h1").first.inner_text(timeout=10_000)
            title = " ".join(title.replace("#", "").split())
            assert title, f"{relative} has no title"
            if relative in expected:
                assert title == expected[relative], relative
            page.wait_for_function(IMAGES_LOADED, timeout=30_000)
            assert page.evaluate(BROKEN_IMAGES) == [], f"{relative}: images did not load"
            assert page.evaluate(MATH_READY), relative
            if page.locator("article .math").count():
                assert page.locator("article mjx-container").count() > 0, relative
                assert page.locator("article mjx-merror").count() == 0, f"{relative}: TeX error"
                assert not page.evaluate(RAW_MATH), f"{relative}: math left as raw TeX"
            if relative == f"notebooks/{Path(LAB_NOTEBOOK).stem}.html":
                screenshot(page, "book_chapter_optimizers.png")
            elif relative == "glossary.html":
                screenshot(page, "book_glossary.png")
            following = page.locator("a.right-next")
            if not following.count():
                break
            with page.expect_navigation(wait_until="load", timeout=60_000):
                following.first.click()
    except Exception:
        screenshot(page, "book_FAILED.png")
        raise
    missing = [name for name in expected if name not in visited]
    assert not missing, f"not reachable by following 'next' from the home page: {missing}"
    assert "glossary.html" in visited and "api/models.html" in visited
    assert failed_requests == [], f"requests that failed (offline assets?): {failed_requests}"


# --- (b) JupyterLab: run a chapter, move the explorer's slider ---------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 with a token, over a copy of the chapter (autosave must not
    touch the repository); its settings and runtime files live in a temporary folder."""
    notebook = ROOT / "notebooks" / LAB_NOTEBOOK
    if not notebook.exists():       # while the chapter is being written: any with an explorer
        notebook = next(p for p in CHAPTERS if "widget" in p.read_text(encoding="utf-8"))
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(notebook, work / notebook.name)
    settings = tmp_path / "lab-settings"
    settings.mkdir()
    (settings / "overrides.json").write_text(json.dumps({
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                        "checkForUpdates": False}}))
    token = os.urandom(16).hex()
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), PYTHONWARNINGS="ignore")
    env.pop("JUPYTER_TOKEN", None)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}",
               "--ServerApp.password=", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--LabApp.app_settings_dir={settings}", f"--ServerApp.root_dir={work}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_path = tmp_path / "lab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=work)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.3)
        yield base, token, notebook.name
    finally:
        server.terminate()            # SIGTERM: the server shuts its kernels down
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


EXPLORER_PICTURE = """(cell) => {
    const img = cell.querySelector('.widget-output img, .jupyter-widgets-output-area img');
    return img && img.naturalWidth > 0 ? img.src : null;
}"""


def test_lab_runs_the_chapter_and_the_explorer_redraws(lab, browser):
    base, token, name = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{base}/lab/tree/{name}?token={token}", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                               timeout=120_000)
        # the toolbar says idle before the kernel is connected: wait for the status bar too
        sync_api.expect(page.locator(".jp-StatusBar-Widget", has_text="Idle").first) \
            .to_be_visible(timeout=120_000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        # the explorer is the cell whose output holds a 'steps' slider and the plot
        slider = page.locator(".widget-slider", has=page.locator(".widget-label",
                                                                 has_text="steps")).first
        slider.wait_for(state="attached", timeout=400_000)
        cell = page.locator(".jp-Cell", has=slider).first
        cell.scroll_into_view_if_needed()
        page.wait_for_function(EXPLORER_PICTURE, arg=cell.element_handle(), timeout=60_000)
        sync_api.expect(page.locator(".jp-StatusBar-Widget", has_text="Idle").first) \
            .to_be_visible(timeout=400_000)
        # JupyterLab shows a raised exception as a stderr output holding the traceback
        errors = page.locator(".jp-OutputArea-output[data-mime-type="
                              "'application/vnd.jupyter.stderr']", has_text="Traceback")
        assert errors.count() == 0, errors.first.inner_text()
        pending = page.locator(".jp-InputPrompt", has_text="[*]")
        assert pending.count() == 0, "cells still queued after the kernel went idle"
        before = page.evaluate(EXPLORER_PICTURE, cell.element_handle())
        readout = slider.locator(".widget-readout")
        start_value = readout.inner_text()
        screenshot(page, "lab_optimizer_explorer.png")
        slider.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        sync_api.expect(readout).not_to_have_text(start_value, timeout=20_000)
        page.wait_for_function(f"(cell) => ({EXPLORER_PICTURE})(cell) !== {json.dumps(before)}",
                               arg=cell.element_handle(), timeout=20_000)
        cell.scroll_into_view_if_needed()
        screenshot(page, "lab_optimizer_explorer_moved.png")
    except Exception:
        screenshot(page, "lab_FAILED.png")
        raise
