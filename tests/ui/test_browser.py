"""End to end in a real browser (headless Chromium): ask and see a cited answer, upload a narrative and
see the matrix, restart the server, reload and find the draft still there.
Screenshots go to artifacts/ (git-ignored)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from app.config import REPO_ROOT, Settings
from tests.conftest import free_port, wait_for_http

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = REPO_ROOT / "artifacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
        reason="Debian's chromium and chromium-driver are not installed (make test installs them)",
    ),
]


class Server:
    """`certprep serve` on a free port; ``restart`` stops it and starts it again on the same data."""

    def __init__(self, data_dir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "CERTPREP_DATA_DIR": str(data_dir)}
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_http(f"{self.url}/_stcore/health", self.proc, "certprep serve", timeout=180)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path / "data")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="certprep-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait_text(driver, text: str, timeout: float = 120):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: text in d.find_element("tag name", "body").text)


def _shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def test_ask_upload_reload(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url)
    box = WebDriverWait(browser, 180).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']")
    )
    box.send_keys("What does standard 6 expect?")
    box.send_keys(Keys.ENTER)
    _wait_text(browser, "[1] ", timeout=180)
    _wait_text(browser, "Determine Cause")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid='stExpander']")
    _shot(browser, "chat.png")

    browser.get(server.url + "/narrative")
    upload = WebDriverWait(browser, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, "input[type='file']"))
    upload.send_keys(str(REPO_ROOT / "examples/cpt/projects/food-waste.md"))
    _wait_text(browser, "All projects side by side", timeout=180)
    _wait_text(browser, "S6 Determine Cause — ✔ demonstrated")
    matrix = WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='stTable']"))
    assert matrix, "the coverage matrix is drawn"
    # readable at 1280 px: the whole matrix inside the page's column, S10 included, nothing cut off
    browser.set_window_size(1280, 1000)
    table = browser.find_element(By.CSS_SELECTOR, "[data-testid='stTable'] table")
    holder = browser.find_element(By.CSS_SELECTOR, "[data-testid='stMainBlockContainer']")
    table_right, holder_right = (
        browser.execute_script("return arguments[0].getBoundingClientRect().right", e) for e in (table, holder)
    )
    assert table_right <= holder_right + 1, (table_right, holder_right)
    assert browser.find_elements(By.XPATH, "//*[@data-testid='stTable']//th[starts-with(normalize-space(), 'S10 ')]")
    _shot(browser, "narrative.png")
    browser.set_window_size(1400, 1000)

    server.restart()  # nothing is kept in the server process: the draft comes back from SQLite
    browser.refresh()
    _wait_text(browser, "S6 Determine Cause — ✔ demonstrated", timeout=120)
    _shot(browser, "reloaded.png")
    area = browser.find_element(By.CSS_SELECTOR, "[data-testid='stTextArea'] textarea")
    assert area.get_attribute("value").startswith("# Cutting waste in a food factory")
    boxes = browser.find_elements(By.CSS_SELECTOR, "[data-testid='stSelectbox']")
    shown = [
        " ".join(
            [box.get_attribute("innerText")]
            + [i.get_attribute("value") or "" for i in box.find_elements(By.TAG_NAME, "input")]
        )
        for box in boxes
    ]
    assert any("food-waste (draft)" in text for text in shown), shown


PAGES = ["Narrative check", "Application", "Mentor review", "Batch screening", "Knowledge browser", "Ask"]


def _sidebar_state(driver) -> tuple[str, str]:
    """(the workspace shown in the sidebar, the role that is checked)."""
    from selenium.webdriver.common.by import By

    sidebar = driver.find_element(By.CSS_SELECTOR, "[data-testid='stSidebar']")
    workspace = sidebar.find_element(By.CSS_SELECTOR, "input[aria-label='Workspace']").get_attribute("value")
    checked = [
        label.get_attribute("innerText").strip()
        for label in sidebar.find_elements(By.CSS_SELECTOR, "[data-testid='stRadio'] label")
        if label.find_elements(By.CSS_SELECTOR, "input:checked")
    ]
    return workspace, ",".join(checked)


def _wait_sidebar(driver, workspace: str, role: str, timeout: float = 60) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d):
        try:
            return _sidebar_state(d) == (workspace, role)
        except Exception:  # the page is still drawing
            return False

    try:
        WebDriverWait(driver, timeout).until(shown)
    except Exception:
        raise AssertionError(
            f"expected {(workspace, role)}, the sidebar shows {_sidebar_state(driver)} at {driver.current_url}"
        ) from None


def test_workspace_and_role_survive_every_page_reload_and_back(tmp_path, browser):
    """A mentor or staff member with several applicants must never land in another one's workspace."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from app.storage import Storage

    data = tmp_path / "data"
    storage = Storage(Settings(data_dir=data).database_path)
    mine = storage.create_workspace("My application", "cpt")
    storage.create_workspace("BCPO staff desk", "cpo")  # the most recent: what opens by default
    running = Server(data)
    running.start()
    try:
        browser.get(f"{running.url}/?ws={mine.id}")
        _wait_sidebar(browser, "My application", "candidate", timeout=180)
        for role in ("candidate", "mentor", "staff"):
            radio = browser.find_element(By.XPATH, f"//*[@data-testid='stSidebar']//label[normalize-space()='{role}']")
            radio.click()
            _wait_sidebar(browser, "My application", role)
            for title in PAGES:
                link = WebDriverWait(browser, 30).until(
                    lambda d, t=title: d.find_element(
                        By.XPATH, f"//*[@data-testid='stSidebarNav']//a[.//span[normalize-space()='{t}']]"
                    )
                )
                link.click()
                WebDriverWait(browser, 30).until(lambda d, r=role: f"role={r}" in d.current_url)
                _wait_sidebar(browser, "My application", role)
            _shot(browser, f"navigation-{role}.png")
            browser.refresh()
            _wait_sidebar(browser, "My application", role, timeout=120)
            browser.back()
            _wait_sidebar(browser, "My application", role)
            time.sleep(2)  # let the back navigation's run finish before the next role is clicked
    finally:
        running.stop()


def test_a_file_over_the_limit_is_refused_in_words_and_the_message_clears(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    big = tmp_path / "big-project.txt"
    big.write_text("I measured the baseline. " * 130_000)  # ~3.3 MB, over the 2 MB default
    browser.get(server.url + "/narrative")
    upload = WebDriverWait(browser, 180).until(lambda d: d.find_element(By.CSS_SELECTOR, "input[type='file']"))
    assert "up to 2 MB" in browser.find_element(By.TAG_NAME, "body").text
    hint = browser.find_element(By.CSS_SELECTOR, "[data-testid='stFileUploaderDropzoneInstructions'] span")
    shown = browser.execute_script("return getComputedStyle(arguments[0], '::after').content", hint)
    hidden = browser.execute_script("return getComputedStyle(arguments[0]).fontSize", hint)
    assert shown == '"Up to 2 MB per file"' and hidden == "0px", "the server's 50 MB transfer cap is not shown"
    upload.send_keys(str(big))
    _wait_text(browser, "big-project.txt: 3.1 MB is over the 2.0 MB limit", timeout=60)
    _shot(browser, "upload-too-big.png")
    upload = browser.find_element(By.CSS_SELECTOR, "input[type='file']")
    upload.send_keys(str(REPO_ROOT / "examples/cpt/projects/food-waste.md"))
    _wait_text(browser, "All projects side by side", timeout=180)
    assert "over the 2.0 MB limit" not in browser.find_element(By.TAG_NAME, "body").text
