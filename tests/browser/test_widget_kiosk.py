"""Kiosk mode (``data-kiosk="true"``, ``?kiosk=1`` on the demo page) and Rasa buttons, in headless Chromium.

Why: on a shared computer in a hospital hall the next patient must not find the last
one's conversation: kiosk mode keeps it in ``sessionStorage`` only (and removes what an
earlier, normal session left in ``localStorage``), clears it after the idle timeout and on
新对话, each time under a new sender id so the server's old conversation is never reached
again. Against the real web channel and a scripted stub agent (no trained model).
"""

from __future__ import annotations

import json
from typing import Dict, Iterator

import pytest

from bot.channels.web_widget import WebWidgetInput
from tests.browser.stub_bot import CLARIFY_BUTTONS, TREATMENT, ButtonStubAgent
from tests.browser.widget_page import DESKTOP, WidgetPage, chromium
from tests.channels.server import ChannelServer

pytestmark = pytest.mark.browser

PREFIX = "hospital-chat:"


@pytest.fixture
def server() -> Iterator[ChannelServer]:
    agent = ButtonStubAgent(script={"感冒怎么治": [CLARIFY_BUTTONS], "/accept": [TREATMENT]})
    srv = ChannelServer([WebWidgetInput()], agent).start()
    yield srv
    srv.stop()


@pytest.fixture
def driver():
    browser = chromium(DESKTOP)
    yield browser
    browser.quit()


def page(server: ChannelServer, driver, query: str = "") -> WidgetPage:
    return WidgetPage(driver, f"http://127.0.0.1:{server.port}/webhooks/web/{query}", timeout=15).open()


def widget_keys(stored: Dict[str, str]) -> Dict[str, str]:
    return {k: v for k, v in stored.items() if k.startswith(PREFIX)}


def sender(widget: WidgetPage) -> str:
    [value] = [
        json.loads(v)
        for k, v in widget_keys(widget.storage("sessionStorage")).items()
        if k.endswith(":sender")
    ]
    return value


def test_kiosk_uses_session_storage_only_and_new_conversation_starts_over(server, driver):
    normal = page(server, driver)
    normal.ask("感冒有什么症状")
    assert any(k.endswith(":transcript") for k in widget_keys(normal.storage("localStorage")))

    kiosk = page(server, driver, "?kiosk=1&idle=60")
    assert widget_keys(kiosk.storage("localStorage")) == {}  # the earlier session's entries are gone
    assert kiosk.transcript() == [kiosk.transcript()[0]]  # only the greeting: nothing carried over
    first = sender(kiosk)
    assert first.startswith("web-")
    kiosk.ask("感冒有什么症状")
    assert widget_keys(kiosk.storage("localStorage")) == {}
    assert any("感冒有什么症状" in v for v in widget_keys(kiosk.storage("sessionStorage")).values())
    assert server.agent.received[-1].sender_id == "web:" + first
    shown = kiosk.transcript()
    kiosk.reload()
    assert kiosk.transcript() == shown  # a reload of the same tab keeps it (sessionStorage)

    [reset] = kiosk.find(".panel.kiosk .header-button.reset")
    assert reset.is_displayed() and reset.text == "新对话"
    reset.click()
    kiosk.wait(lambda: len(kiosk.transcript()) == 1, "新对话 did not clear the conversation")
    second = sender(kiosk)
    assert second != first and second.startswith("web-")
    kiosk.ask("感冒有什么症状")
    assert server.agent.received[-1].sender_id == "web:" + second
    assert widget_keys(kiosk.storage("localStorage")) == {}


def test_kiosk_idle_timeout_clears_the_conversation(server, driver):
    kiosk = page(server, driver, "?kiosk=1&idle=2")
    kiosk.ask("感冒有什么症状")
    first = sender(kiosk)
    kiosk.wait(lambda: "长时间无操作" in kiosk.notice(), "no notice after the idle timeout", timeout=8)
    assert len(kiosk.transcript()) == 1  # only the greeting
    assert sender(kiosk) != first
    stored = widget_keys(kiosk.storage("sessionStorage"))
    assert not any("感冒" in v for v in stored.values())
    kiosk.ask("感冒有什么症状")
    assert server.agent.received[-1].sender_id == "web:" + sender(kiosk)
    assert kiosk.notice() == ""


def test_buttons_send_their_payload_and_are_disabled_by_a_newer_message(server, driver):
    widget = page(server, driver, "?kiosk=1&idle=60")
    widget.ask("感冒怎么治")
    assert widget.quick_replies() == ["是", "不是"]
    widget.ask("感冒有什么症状")  # typed instead of clicking: the question's buttons are spent
    assert widget.quick_replies() == []
    assert len(widget.find(".quick-replies .quick-reply:disabled")) == 2

    widget.ask("感冒怎么治")
    answer = widget.click_quick_reply("是")
    assert server.agent.received[-1].text == "/accept"
    assert widget.user_rows()[-1].text == "是"
    assert widget.items(answer) == ["药物治疗", "多休息多饮水"]
