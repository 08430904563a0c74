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

    def __init__(self, data_dir, cwd=REPO_ROOT, port: int | None = None, log=None, **env: str):
        self.port = port or free_port()
        self.log = log
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "CERTPREP_DATA_DIR": str(data_dir), **env}
        self.cwd = cwd
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
            cwd=self.cwd,
            env=self.env,
            stdout=open(self.log, "ab") if self.log else subprocess.DEVNULL,  # noqa: SIM115 (the child keeps it)
            stderr=subprocess.STDOUT,
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


def _waiting(driver, timeout: float):
    """A wait that retries while the page redraws or navigates: an element found a moment before can be gone
    (stale) or not there yet, which is the page still moving, not a failure."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))


def _wait_text(driver, text: str, timeout: float = 120):
    # a redirect or a redraw can replace the body between finding it and reading it
    _waiting(driver, timeout).until(lambda d: text in d.find_element("tag name", "body").text)


def _shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def test_ask_upload_reload(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server.url)
    box = _waiting(browser, 180).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']"))
    box.send_keys("What does standard 6 expect?")
    box.send_keys(Keys.ENTER)
    _wait_text(browser, "[1] ", timeout=180)
    _wait_text(browser, "Determine Cause")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid='stExpander']")
    _shot(browser, "chat.png")

    browser.get(server.url + "/narrative")
    upload = _waiting(browser, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, "input[type='file']"))
    upload.send_keys(str(REPO_ROOT / "examples/cpt/projects/food-waste.md"))
    _wait_text(browser, "All projects side by side", timeout=180)
    _wait_text(browser, "S6 Determine Cause — ✔ demonstrated")
    matrix = _waiting(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='stTable']"))
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

    def shown(d):
        try:
            return _sidebar_state(d) == (workspace, role)
        except Exception:  # the page is still drawing
            return False

    try:
        _waiting(driver, timeout).until(shown)
    except Exception:
        raise AssertionError(
            f"expected {(workspace, role)}, the sidebar shows {_sidebar_state(driver)} at {driver.current_url}"
        ) from None


def test_workspace_and_role_survive_every_page_reload_and_back(tmp_path, browser):
    """A mentor or staff member with several applicants must never land in another one's workspace."""
    from selenium.webdriver.common.by import By

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
                link = _waiting(browser, 30).until(
                    lambda d, t=title: d.find_element(
                        By.XPATH, f"//*[@data-testid='stSidebarNav']//a[.//span[normalize-space()='{t}']]"
                    )
                )
                link.click()
                _waiting(browser, 60).until(lambda d, r=role: f"role={r}" in d.current_url)
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

    big = tmp_path / "big-project.txt"
    big.write_text("I measured the baseline. " * 130_000)  # ~3.3 MB, over the 2 MB default
    browser.get(server.url + "/narrative")
    upload = _waiting(browser, 180).until(lambda d: d.find_element(By.CSS_SELECTOR, "input[type='file']"))
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


MENUS = {
    "candidate": ["Ask", "Narrative check", "Application"],
    "mentor": ["Ask", "Narrative check", "Application", "Mentor review", "Knowledge browser"],
    "staff": [
        "Ask",
        "Narrative check",
        "Application",
        "Mentor review",
        "Batch screening",
        "Reviewer agreement",
        "Knowledge browser",
    ],
    "admin": ["Accounts and audit", "Ask", "Knowledge browser"],
}


def test_each_role_signs_in_and_sees_only_what_it_may(tmp_path, browser):
    """Organization mode end to end: a sign-in page first, then each role's menu, and the candidate's
    narrative only for her, her assigned mentor and staff, whatever ?ws= another user types."""
    from selenium.webdriver.common.by import By

    from app.accounts import Accounts, Principal
    from app.storage import Storage
    from app.storage.access import WorkspaceStore

    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    accounts = Accounts(Storage(settings.database_path), settings)
    people = {"ann": "candidate", "ben": "candidate", "mia": "mentor", "sid": "staff", "ada": "admin"}
    for name, role in people.items():
        accounts.add(Principal.operator(), name, role, f"{name}-long-password-1", name.title())
    accounts.assign(Principal.operator(), "mia", "ann")
    ann = WorkspaceStore(accounts.storage, accounts.principal(accounts.sign_in("ann", "ann-long-password-1")))
    workspace = ann.create_workspace("Ann — CPT 2027", "cpt")
    ann.create_draft(workspace.id, "Dental churn", "Harbourview Dental lost 23% of its patients (confidential-8812).")
    log = tmp_path / "server.log"
    running = Server(data, log=log, CERTPREP_MODE="organization", CERTPREP_LOG_LEVEL="DEBUG")
    running.start()
    try:
        browser.get(f"{running.url}/narrative?ws={workspace.id}")
        _wait_text(browser, "sign in to see your workspaces", timeout=180)
        assert "confidential-8812" not in browser.find_element(By.TAG_NAME, "body").text
        _shot(browser, "org-signed-out.png")
        sees = {"ann": True, "ben": False, "mia": True, "sid": True}
        for name, role in people.items():
            browser.delete_all_cookies()
            browser.get(f"{running.url}/account/login")
            browser.find_element(By.ID, "username").send_keys(name)
            browser.find_element(By.ID, "password").send_keys(f"{name}-long-password-1")
            browser.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
            _wait_text(browser, f"{name.title()} · {role}", timeout=120)
            menu = _waiting(browser, 30).until(
                lambda d: [
                    a.text.strip().splitlines()[-1]
                    for a in d.find_elements(By.CSS_SELECTOR, "[data-testid='stSidebarNav'] a")
                    if a.text.strip()
                ]
            )
            assert [m for m in menu if m] == MENUS[role], (name, menu)
            _shot(browser, f"org-{name}-home.png")
            if role == "admin":
                _wait_text(browser, "Audit log")
                continue
            browser.get(f"{running.url}/narrative?ws={workspace.id}")
            if sees[name]:  # in the owner's editor, or read-only for her mentor and staff
                _waiting(browser, 60).until(
                    lambda d: (
                        "confidential-8812" in d.find_element(By.TAG_NAME, "body").text
                        or any(
                            "confidential-8812" in (t.get_attribute("value") or "")
                            for t in d.find_elements(By.TAG_NAME, "textarea")
                        )
                    )
                )
            else:
                _wait_text(browser, "is not yours to open", timeout=60)
                values = [t.get_attribute("value") or "" for t in browser.find_elements(By.TAG_NAME, "textarea")]
                assert not any("confidential-8812" in v for v in values)
                assert "confidential-8812" not in browser.find_element(By.TAG_NAME, "body").text
            _shot(browser, f"org-{name}-narrative.png")
        browser.get(f"{running.url}/account/logout")  # typed or linked from elsewhere: no effect
        _wait_text(browser, "Ada · admin", timeout=60)
        _waiting(browser, 30).until(lambda d: d.find_element(By.LINK_TEXT, "Sign out")).click()
        _wait_text(browser, "You are signed out.")
        browser.get(f"{running.url}/narrative?ws={workspace.id}")
        _wait_text(browser, "sign in to see your workspaces", timeout=60)
    finally:
        running.stop()
    # passwords never reach the server's log (at DEBUG level) or the database file
    written = log.read_bytes() + settings.database_path.read_bytes()
    for name in people:
        assert f"{name}-long-password-1".encode() not in written


OIDC = REPO_ROOT / "tests/fixtures/oidc"


@pytest.fixture
def oidc_provider():
    """node-oidc-provider (a real OpenID Connect provider from the npm registry) on a free port."""
    node = shutil.which("node")
    if node is None or not (OIDC / "node_modules/oidc-provider").exists():
        pytest.skip("Node.js or the test OIDC provider is not installed (make setup-oidc installs it)")
    port, app_port = free_port(), free_port()
    redirect = f"http://127.0.0.1:{app_port}/oauth2callback"
    process = subprocess.Popen(
        [node, "provider.mjs", str(port), redirect], cwd=OIDC, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{issuer}/.well-known/openid-configuration", process, "OIDC provider", timeout=60)
        yield {"issuer": issuer, "app_port": app_port, "redirect": redirect}
    finally:
        process.terminate()
        process.wait(timeout=30)


def _single_sign_on(driver, login: str) -> None:
    """Through the provider's own pages: its sign-in form, then its consent page, then back to certprep."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def sso_button(d):
        try:  # the page may redraw between finding the buttons and reading them
            return next(
                (b for b in d.find_elements(By.TAG_NAME, "button") if b.text == "Sign in with single sign-on"), None
            )
        except StaleElementReferenceException:
            return None

    _waiting(driver, 180).until(sso_button)
    time.sleep(1)  # let the first run settle before clicking
    _waiting(driver, 30).until(sso_button).click()
    _waiting(driver, 60).until(lambda d: d.find_elements(By.NAME, "login"))
    driver.find_element(By.NAME, "login").send_keys(login)
    driver.find_element(By.NAME, "password").send_keys("the provider checks this, not certprep")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _waiting(driver, 60).until(lambda d: "Authorize" in d.find_element(By.TAG_NAME, "body").text)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()  # consent: Continue


def test_single_sign_on_through_a_real_oidc_provider_maps_onto_accounts(tmp_path, browser, oidc_provider):
    from app.accounts import Accounts, Principal
    from app.storage import Storage

    home = tmp_path / "home"
    (home / ".streamlit").mkdir(parents=True)
    (home / ".streamlit/secrets.toml").write_text(
        f"""[auth]
redirect_uri = "{oidc_provider["redirect"]}"
cookie_secret = "certprep-test-cookie-secret-0123456789"

[auth.company]
client_id = "certprep"
client_secret = "certprep-test-secret"
server_metadata_url = "{oidc_provider["issuer"]}/.well-known/openid-configuration"
client_kwargs = {{ prompt = "login" }}
"""
    )
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    accounts = Accounts(Storage(settings.database_path), settings)
    accounts.add(Principal.operator(), "sam", "candidate", None, "Sam Rivera", "sam@example.org")
    running = Server(
        data, cwd=home, port=oidc_provider["app_port"], CERTPREP_MODE="organization", CERTPREP_SSO_PROVIDER="company"
    )
    running.start()
    try:
        browser.get(running.url)
        _single_sign_on(browser, "eve")  # signs in at the provider, but has no certprep account
        _wait_text(browser, "there is no certprep account for eve@example.org", timeout=120)
        _shot(browser, "sso-refused.png")
        browser.delete_all_cookies()
        browser.get(running.url)
        _single_sign_on(browser, "sam")  # linked to the account made for sam@example.org
        _wait_text(browser, "Sam Rivera · candidate", timeout=120)
        _wait_text(browser, "Ask certprep")
        _shot(browser, "sso-signed-in.png")
        [sam] = [a for a in accounts.list(Principal.operator()) if a.username == "sam"]
        assert sam.sso and sam.role.value == "candidate"
        signed = [e for e in accounts.audit.entries() if e.actor == "sam" and e.action == "sign in"]
        assert signed and signed[0].detail == "single sign-on"
    finally:
        running.stop()
