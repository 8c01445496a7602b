"""Fixtures for the console: users with known passwords, and a client signed in as one."""

from __future__ import annotations

import asyncio
import email
import os
import re
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from psycopg.rows import dict_row
from werkzeug.serving import make_server

from service.audit import SYSTEM, Actor
from service.users import change_password, create_user

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class StaffUser:
    id: object
    email: str
    password: str
    role: str


@pytest.fixture
def make_user(db_url: str) -> Callable[..., StaffUser]:
    """Return a function creating a user of a role with a password of its own (no change due)."""
    count = 0

    def _make(role: str, *, email: str | None = None, must_change: bool = False) -> StaffUser:
        nonlocal count
        count += 1
        email = email or f"{role.replace('_', '-')}{count}@example.org"
        with psycopg.connect(db_url, row_factory=dict_row) as conn:
            row, one_time = create_user(conn, SYSTEM, email=email, name=f"Test {role}", role=role)
            if must_change:
                return StaffUser(row["id"], email, one_time, role)
            actor = Actor(key_id=None, role=role, user_id=row["id"])
            change_password(conn, actor, row["id"], current=one_time, new=PASSWORD, email=email)
        return StaffUser(row["id"], email, PASSWORD, role)

    return _make


def csrf_token(page: str) -> str:
    """Return the CSRF token of the first form on a page."""
    match = _CSRF.search(page)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def post_form(client, url: str, data: dict, *, from_page: str | None = None):
    """Submit a form the way a browser would: with the token of the page it came from."""
    page = client.get(from_page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(page)})


@pytest.fixture
def sign_in(client) -> Callable[[StaffUser], object]:
    """Return a function signing the test client in as a user; returns the response."""

    def _sign_in(user: StaffUser, password: str | None = None):
        return post_form(
            client,
            "/console/sign-in",
            {"email": user.email, "password": password or user.password},
        )

    return _sign_in


class Inbox:
    """What a real local SMTP server received."""

    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def last_body(self) -> str:
        return self.messages[-1].get_payload(decode=True).decode()

    def code(self) -> str:
        """Return the confirmation code of the last message."""
        return re.search(r"\b(\d{8})\b", self.last_body()).group(1)


@pytest.fixture
def app_config(app_config: dict, request) -> dict:
    """The test app's settings; a test with the local webhook receiver (``hooks``, plain http
    on this machine) may call it, which is refused by default, and a failed delivery is not
    retried (one attempt, then ``send_failed``)."""
    if "hooks" in request.fixturenames:
        return {
            **app_config,
            "PRIVACY_WEBHOOK_ALLOW_HTTP": "true",
            "PRIVACY_WEBHOOK_ALLOW_PRIVATE": "true",
            "PRIVACY_DSR_SEND_RETRY_SECONDS": "none",
        }
    return app_config


@pytest.fixture
def run_jobs(app_config: dict) -> Callable[[], None]:
    """Return a function running an in-process worker (the app's settings) until no job is due."""
    from tests.archive.conftest import run_worker_once

    return lambda: run_worker_once(app_config)


@pytest.fixture
def inbox(app_config) -> Iterator[Inbox]:
    """Run a real SMTP server (aiosmtpd) on a free port and point the app's mail at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app_config.update(PRIVACY_SMTP_URL=f"smtp://127.0.0.1:{port}")
    try:
        yield handler
    finally:
        controller.stop()
        asyncio.set_event_loop(None)


# The browser tests drive Debian's chromium through chromium-driver (Selenium); nothing is
# downloaded. Without them installed the tests are skipped with this message.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
NO_BROWSER = (
    "no browser: install Debian's chromium and chromium-driver (apt-get install -y chromium "
    "chromium-driver) to run the console's browser tests"
)


@pytest.fixture(scope="session")
def chromium():
    """Return one headless Chromium for the session (cookies are cleared for each test)."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(NO_BROWSER)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--lang=en",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": "/tmp"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """Serve the test app on an ephemeral port in a thread; return its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browser(chromium, live_server) -> Iterator[Browser]:
    """Return the session's browser on this test's server, with no cookies left over."""
    chromium.delete_all_cookies()
    yield Browser(chromium, live_server)
    chromium.delete_all_cookies()


class Browser:
    """A few steps a person takes in the console, in the real browser."""

    def __init__(self, driver, base: str):
        self.driver = driver
        self.base = base

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def fill(self, fields: dict[str, str]) -> None:
        for name, value in fields.items():
            element = self.find(f"[name='{name}']")
            if element.tag_name == "select":
                from selenium.webdriver.support.ui import Select

                Select(element).select_by_value(value)
            else:
                element.clear()
                element.send_keys(value)

    def submit(self, css: str) -> None:
        """Click a submit button or a link and wait until the next page has loaded (a click
        alone returns before the navigation: the next step would find the old page)."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        # The page being left carries a mark; the next page does not. Asking an element of the
        # old page whether it is stale can fail mid-navigation with an inspector error instead of
        # the stale-element answer, so the mark is read from the window, and an error while the
        # documents swap only means "ask again".
        marker = uuid.uuid4().hex
        self.driver.execute_script("window.__consoleStep = arguments[0];", marker)
        self.find(css).click()

        def next_page_loaded(driver) -> bool:
            return bool(
                driver.execute_script(
                    "return window.__consoleStep !== arguments[0]"
                    " && document.readyState === 'complete';",
                    marker,
                )
            )

        WebDriverWait(self.driver, 30, ignored_exceptions=(WebDriverException,)).until(
            next_page_loaded
        )

    def wait_for_text(self, css: str, text: str, timeout: float = 30) -> None:
        """Wait until an element shows a text, across pages that reload themselves."""
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
        )
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(
            self.driver,
            timeout,
            ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
        ).until(lambda _: text in self.find(css).text)

    def sign_in(self, user: StaffUser) -> None:
        self.open("/console/sign-in")
        self.fill({"email": user.email, "password": user.password})
        self.submit("#sign-in")

    def screenshot(self, name: str) -> None:
        """Save the page as docs/screenshots/<name>.png when CONSOLE_SCREENSHOTS names a folder."""
        folder = os.environ.get("CONSOLE_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            height = self.driver.execute_script("return document.body.scrollHeight")
            self.driver.set_window_size(1280, min(max(height + 40, 600), 2000))
            self.driver.save_screenshot(str(Path(folder) / f"{name}.png"))
            self.driver.set_window_size(1280, 900)

    @property
    def text(self) -> str:
        return self.find("body").text

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base)
