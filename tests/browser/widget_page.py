"""Headless Chromium (Debian's chromium + chromium-driver) and a page object for the widget.

No browser is downloaded: Selenium is pointed at the system binaries, which
``scripts/install_system_packages.sh`` installs (``make test`` runs it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
PHONE = (390, 844)
DESKTOP = (1280, 800)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=zh-CN",
)


def chromium(size=PHONE) -> webdriver.Chrome:
    """A fresh headless Chromium (its own profile directory, removed on ``quit``)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    if missing:
        pytest.fail(
            f"{missing} not found: run scripts/install_system_packages.sh "
            "(Debian chromium and chromium-driver)"
        )
    profile = tempfile.mkdtemp(prefix="widget-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if size == PHONE:  # a real phone viewport (a bare window cannot be narrower than 500 px)
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": size[0], "height": size[1], "pixelRatio": 1, "touch": True}},
        )
    else:
        options.add_argument(f"--window-size={size[0]},{size[1]}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    quit_driver = driver.quit

    def quit_and_clean() -> None:
        try:
            quit_driver()
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    driver.quit = quit_and_clean
    return driver


class WidgetPage:
    """The widget as a user sees it (it lives in a shadow root, so queries go through it)."""

    def __init__(self, driver: webdriver.Chrome, url: str, timeout: float = 30) -> None:
        self.driver, self.url, self.timeout = driver, url, timeout

    def open(self) -> WidgetPage:
        self.driver.get(self.url)
        self.wait(
            lambda: self.root().find_elements(By.CSS_SELECTOR, ".panel:not([hidden]) .input"),
            "the chat panel did not open",
        )
        return self

    def reload(self) -> WidgetPage:
        self.driver.refresh()
        return self.open()

    def root(self):
        return self.driver.find_element(By.ID, "hospital-chat-widget").shadow_root

    def find(self, css: str) -> List[WebElement]:
        return self.root().find_elements(By.CSS_SELECTOR, css)

    def wait(self, condition: Callable[[], object], what: str, timeout: Optional[float] = None):
        # The widget re-renders its message list on every change, so elements found a moment
        # ago may be gone: such a poll just counts as "not yet".
        return WebDriverWait(
            self.driver,
            timeout or self.timeout,
            poll_frequency=0.1,
            ignored_exceptions=(StaleElementReferenceException,),
        ).until(lambda _: condition(), message=what)

    def bot_rows(self) -> List[WebElement]:
        """Bot messages of the conversation (not the greeting, not the typing indicator)."""
        return self.find('.row.bot:not(.typing):not([data-strategy="greeting"])')

    def user_rows(self) -> List[WebElement]:
        return self.find(".row.user")

    def send(self, text: str) -> None:
        field = self.find(".input")[0]
        field.clear()
        field.send_keys(text)
        self.find(".send")[0].click()

    def ask(self, text: str) -> WebElement:
        """Send ``text`` and wait for the bot's next message; returns that message."""
        before = len(self.bot_rows())
        self.send(text)
        return self.next_bot_row(before)

    def next_bot_row(self, before: int) -> WebElement:
        """Wait for a new bot message; fail at once if the widget shows a notice instead."""
        self.wait(
            lambda: not self.find(".typing") and (len(self.bot_rows()) > before or self.notice()),
            f"no bot reply after {before} bot messages",
        )
        assert len(self.bot_rows()) > before, f"no bot reply; the widget says: {self.notice()!r}"
        return self.bot_rows()[-1]

    def quick_replies(self) -> List[str]:
        """Titles of the buttons that can be clicked now (the newest message's; older ones are disabled)."""
        return [b.text for b in self.find(".quick-replies .quick-reply:not([disabled])")]

    def click_quick_reply(self, label: str) -> WebElement:
        before = len(self.bot_rows())
        [button] = [b for b in self.find(".quick-replies .quick-reply:not([disabled])") if b.text == label]
        button.click()
        return self.next_bot_row(before)

    def storage(self, area: str) -> Dict[str, str]:
        """The page's ``localStorage`` or ``sessionStorage``, every key."""
        return self.driver.execute_script(
            f"var s = window.{area}, o = {{}}; for (var i = 0; i < s.length; i++) o[s.key(i)] = s.getItem(s.key(i)); return o;"
        )

    def notice(self) -> str:
        shown = self.find(".notice:not([hidden])")
        return shown[0].text if shown else ""

    @staticmethod
    def items(row: WebElement) -> List[str]:
        return [li.text for li in row.find_elements(By.CSS_SELECTOR, "ul.items li")]

    def transcript(self) -> List[str]:
        return [r.text for r in self.find(".row:not(.typing)")]
