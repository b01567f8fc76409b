"""The web console in a real browser: Debian's Chromium, headless, driven by Selenium through
chromium-driver, against the console function of the local stack (one origin for the page and
its API, ID tokens from the local issuer verified by the API as in production).

One browser serves the whole session. `admin_token` signs the admin in once through the real
flow (console → "Sign in" → the local issuer's form → back with the token in the fragment);
`console` then opens any page with that token, as the issuer's redirect hands it over, so every
later test still calls the API with a real signed token and skips only the form."""

from __future__ import annotations

import base64
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from shared.ids import safe_id
from tests.conftest import ADMIN, ROOT, SyncHarness, id_token
from tools.localstack import LocalStack

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = ROOT / "build" / "screenshots"
WAIT = 15.0  # seconds an explicit wait may take before the test fails
IMPLICIT = 0.2  # kept short: conditions are waited for explicitly
TEACHER = "teacher@district.example.org"


def _descendants(pid: int) -> set[int]:
    """The processes below ``pid`` (chromium and its helpers under chromedriver), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Running and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _assert_gone(pids: set[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (left := {p for p in pids if _alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"chromium processes left after quitting the driver: {sorted(left)}"


@pytest.fixture(scope="session")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def browser(downloads: Path) -> Iterator[WebDriver]:
    """One headless Chromium for the session; quit (with every helper process) at the end."""
    for tool in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} missing: `sudo apt-get install -y chromium chromium-driver`")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--window-size=1280,900"):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    service_pid = driver.service.process.pid
    try:
        driver.implicitly_wait(IMPLICIT)
        yield driver
    finally:
        helpers = _descendants(service_pid) | {service_pid}
        driver.quit()
        _assert_gone(helpers)


def console_url(stack: LocalStack) -> str:
    return f"{stack.env()['ROSTERSYNC_FUNCTIONS_URL']}/console/"


def shot(driver: WebDriver, page: str) -> Path:
    """Saves the whole page (not only the window) as build/screenshots/<page>.png; build/ is not
    in git."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{page}.png"
    width, height = driver.execute_script(
        "const e = document.documentElement; return [e.scrollWidth, e.scrollHeight];"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, 3000), "scale": 1}
    image = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(image["data"]))
    return path


def stored_token(driver: WebDriver) -> str | None:
    """The ID token the console keeps in sessionStorage (a JWT: three base64url parts)."""
    values: list[str] = driver.execute_script(
        "return Object.keys(sessionStorage).map(k => sessionStorage.getItem(k));"
    )
    tokens = [v for v in values if v and v.count(".") == 2 and v.startswith("eyJ")]
    return tokens[0] if tokens else None


@pytest.fixture(scope="session")
def admin_token(browser: WebDriver, local_stack: LocalStack) -> str:
    """Signs the admin in through the real flow once and returns the token the console got."""
    wait = WebDriverWait(browser, WAIT)
    browser.get(console_url(local_stack))
    wait.until(ec.element_to_be_clickable((By.ID, "signin")), "no Sign in button")
    shot(browser, "signin")
    browser.find_element(By.ID, "signin").click()
    email = wait.until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "input[type=email], input[name=email]")),
        "the local issuer's sign-in form did not open",
    )
    assert "/signin" in browser.current_url
    email.send_keys(ADMIN)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "whoami"), ADMIN), "not back, signed in")
    assert browser.current_url.startswith(console_url(local_stack))
    assert "id_token" not in browser.current_url, "the token stays in the address bar"
    token = stored_token(browser)
    assert token, "the console did not keep the token in sessionStorage"
    # A real signed token: the API verifies it (an unknown district then answers 404, not 401).
    answer = requests.get(
        f"{local_stack.env()['ROSTERSYNC_FUNCTIONS_URL']}/sync_admin/districts/none/settings",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code in (403, 404), answer.text
    return token


@dataclass
class Console:
    """Opens console pages in the session's browser as a signed-in user."""

    driver: WebDriver
    url: str
    admin_token: str
    stack: LocalStack
    signed_in: dict[str, str] = field(default_factory=dict)

    @property
    def wait(self) -> WebDriverWait[WebDriver]:
        # The pages re-render while they poll: an element found a moment ago may be gone.
        return WebDriverWait(
            self.driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)
        )

    def open(self, district: str, route: str = "/connect", email: str = ADMIN) -> None:
        """Opens ``#<route>`` of ``district`` signed in as ``email``: the admin with the token of
        the real sign-in, anyone else with a token from the same issuer, handed over in the URL
        fragment as the issuer's redirect does."""
        page = f"{self.url}?district={quote(district)}"
        token = self.admin_token if email == ADMIN else id_token(self.stack, email)
        if self.signed_in.get("token") != token:
            self.driver.get(f"{page}#id_token={token}")
            self.wait.until(ec.text_to_be_present_in_element((By.ID, "whoami"), email))
            self.signed_in["token"] = token
        self.driver.get(f"{page}#{route}")
        self.wait.until(ec.text_to_be_present_in_element((By.ID, "whoami"), email))

    def visible(self, element_id: str) -> WebElement:
        return self.wait.until(ec.visibility_of_element_located((By.ID, element_id)))

    def css(self, selector: str) -> WebElement:
        return self.wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, selector)))

    def css_text(self, selector: str, *texts: str) -> str:
        """Waits until the element's text contains every one of ``texts``; returns the text
        (read again on every try, so a re-rendered element is found anew)."""

        def has(driver: WebDriver) -> str | bool:
            found = driver.find_elements(By.CSS_SELECTOR, selector)
            shown = found[0].text if found and found[0].is_displayed() else ""
            return shown if all(t.lower() in shown.lower() for t in texts) else False

        return str(self.wait.until(has, f"{selector} never said {texts!r}"))

    def text_in(self, element_id: str, text: str) -> str:
        """Waits until the element's text contains ``text`` (case-insensitive); returns it."""

        def has(driver: WebDriver) -> str | bool:
            found = driver.find_elements(By.ID, element_id)
            shown = found[0].text if found and found[0].is_displayed() else ""
            return shown if text.lower() in shown.lower() else False

        return str(self.wait.until(has, f"#{element_id} never said {text!r}"))

    def until(self, condition: Callable[[WebDriver], Any], message: str = "") -> Any:
        return self.wait.until(condition, message)

    def fill(self, element_id: str, value: str) -> None:
        element = self.driver.find_element(By.ID, element_id)
        element.clear()
        element.send_keys(value)

    def shot(self, page: str) -> Path:
        return shot(self.driver, page)


@pytest.fixture
def console(browser: WebDriver, admin_token: str, local_stack: LocalStack) -> Iterator[Console]:
    page = Console(browser, console_url(local_stack), admin_token, local_stack)
    yield page
    # A test that signed in as someone else leaves the admin to sign in again.
    browser.execute_script("sessionStorage.clear();")


@pytest.fixture
def new_district(sync_harness: SyncHarness) -> Callable[[], str]:
    """A district whose admin is ADMIN and that has no SIS connection yet."""

    def make() -> str:
        district_id = f"web{os.getpid()}-{time.monotonic_ns() % 10**10}"
        sync_harness.district(district_id).collection("staff").document(safe_id(ADMIN)).set(
            {"role": "admin"}
        )
        return district_id

    return make
