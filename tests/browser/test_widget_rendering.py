"""The widget in headless Chromium against the real web channel and a scripted stub agent.

Needs no trained model, so it always runs: every ``custom.strategy`` the widget styles is
scripted here (lists, emergency), a message's Rasa buttons (the clarifying question's
是 → /accept, 不是 → /deny), plus the typing indicator, reload, HTML escaping, and the
server going away and coming back.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from bot.actions.payload import build_payload
from bot.channels.web_widget import WebWidgetInput
from tests.browser.stub_bot import CLARIFY_BUTTONS, TREATMENT, ButtonStubAgent
from tests.browser.widget_page import DESKTOP, PHONE, WidgetPage, chromium
from tests.channels.server import CLARIFY, ChannelServer

pytestmark = pytest.mark.browser

EMERGENCY = (
    "您描述的情况可能危及生命，请立即拨打 120 或前往最近医院的急诊科！",
    build_payload("emergency", intent="diagnosis"),
)
HOSTILE = ("<img src=x onerror=\"document.title='pwned'\">", build_payload("gossip", intent="greet"))
SCRIPT = {
    "感冒怎么治": [CLARIFY_BUTTONS],
    "/accept": [TREATMENT],
    "没有按钮的问题": [CLARIFY],  # a clarify message without buttons gets none: nothing is made up
    "胸口剧痛喘不上气": [EMERGENCY],
    "html": [HOSTILE],
    "silence": [],
}


def start_server(port=None) -> ChannelServer:
    agent = ButtonStubAgent(slow_seconds=1.5, script=SCRIPT)
    return ChannelServer([WebWidgetInput()], agent, port=port).start()


@pytest.fixture
def server():
    srv = start_server()
    yield srv
    srv.stop()


@pytest.fixture
def widget(server):
    driver = chromium(DESKTOP)
    yield WidgetPage(driver, f"http://127.0.0.1:{server.port}/webhooks/web/").open()
    driver.quit()


def test_answers_lists_clarify_emergency_and_escaping(server, widget):
    assert widget.find(".disclaimer")[0].text == "回答仅供参考，不能替代医生诊断"
    panel = widget.find(".panel")[0]
    assert panel.size["width"] == 380  # a floating panel on a desktop screen

    answer = widget.ask("感冒有什么症状")
    assert widget.items(answer) == ["发热", "咳嗽"]
    assert "感冒的常见症状有" in answer.text and "发热、咳嗽" not in answer.text  # list, not repeated

    question = widget.ask("感冒怎么治")
    assert question.get_attribute("data-strategy") == "clarify"
    assert widget.quick_replies() == ["是", "不是"]
    treatment = widget.click_quick_reply("是")
    assert server.agent.received[-1].text == "/accept"  # the payload goes to the bot
    assert widget.user_rows()[-1].text == "是"  # the title is what the patient sees
    assert widget.items(treatment) == ["药物治疗", "多休息多饮水"]
    assert "常用药物：对乙酰氨基酚片" in treatment.text
    assert widget.quick_replies() == []  # the question is answered: its buttons are disabled
    assert [b.text for b in widget.find(".quick-replies .quick-reply.chosen:disabled")] == ["是"]

    bare = widget.ask("没有按钮的问题")
    assert bare.get_attribute("data-strategy") == "clarify" and widget.quick_replies() == []

    alarm = widget.ask("胸口剧痛喘不上气")
    assert "emergency" in alarm.get_attribute("class").split()
    assert "紧急提示" in alarm.text
    assert (
        alarm.find_element(By.CSS_SELECTOR, ".bubble").value_of_css_property("border-top-color")
        == "rgba(198, 40, 40, 1)"
    )

    hostile = widget.ask("html")
    assert hostile.text == HOSTILE[0]  # shown as text, never parsed as HTML
    assert not hostile.find_elements(By.CSS_SELECTOR, "img")
    assert widget.driver.title != "pwned"


def test_typing_indicator_while_waiting(widget):
    before = len(widget.bot_rows())
    widget.send("slow")
    widget.wait(lambda: widget.find(".typing"), "no typing indicator while waiting", timeout=1.4)
    assert widget.find(".send")[0].get_attribute("disabled") is not None
    widget.next_bot_row(before)
    assert not widget.find(".typing")


def test_silence_and_failures_are_explained(widget):
    widget.send("silence")  # Rasa said nothing (action server down): the channel answers itself
    widget.wait(
        lambda: any(r.get_attribute("data-strategy") == "service_unavailable" for r in widget.bot_rows()),
        "no service_unavailable reply for a silent dialogue",
    )
    assert "120" in widget.bot_rows()[-1].text
    assert "failed" not in widget.user_rows()[-1].get_attribute("class").split()
    # A proxy in front of the bot may still fail (502): the widget says so and offers a retry.
    widget.driver.execute_script(
        "window.fetch = function () { return Promise.resolve(new Response('<h1>Bad Gateway</h1>', {status: 502})); };"
    )
    widget.send("感冒有什么症状")
    widget.wait(lambda: "问答服务暂时出现问题" in widget.notice(), "no notice for a server error")
    assert "failed" in widget.user_rows()[-1].get_attribute("class").split()
    assert widget.find(".notice .retry")


def test_reload_keeps_the_conversation_and_pending_question(server, widget):
    widget.ask("感冒有什么症状")
    widget.ask("感冒怎么治")
    shown = widget.transcript()
    widget.reload()
    assert widget.transcript() == shown
    assert widget.quick_replies() == ["是", "不是"]  # still waiting for the answer to the question
    treatment = widget.click_quick_reply("是")
    assert widget.items(treatment) == ["药物治疗", "多休息多饮水"]
    stored = widget.driver.execute_script(
        "return Object.keys(localStorage).filter(k => k.endsWith(':sender')).map(k => JSON.parse(localStorage[k]))"
    )
    assert {m.sender_id for m in server.agent.received} == {
        "web:" + s for s in stored
    }  # one sender across the reload
    assert stored[0].startswith("web-")


def test_server_down_then_back(widget, server):
    server.stop()
    widget.send("感冒有什么症状")
    widget.wait(lambda: "无法连接到问答服务器" in widget.notice(), "no 'cannot reach the server' message")
    assert "failed" in widget.user_rows()[-1].get_attribute("class").split()
    assert not widget.find(".typing")

    again = start_server(port=server.port)
    try:
        before = len(widget.bot_rows())
        [retry] = widget.find(".notice .retry")
        retry.click()
        answer = widget.next_bot_row(before)
        assert widget.items(answer) == ["发热", "咳嗽"]
        assert widget.notice() == ""
        assert "failed" not in widget.user_rows()[-1].get_attribute("class").split()
    finally:
        again.stop()


def test_phone_screen_gets_a_full_screen_panel(server):
    driver = chromium(PHONE)
    try:
        page = WidgetPage(driver, f"http://127.0.0.1:{server.port}/webhooks/web/").open()
        width = driver.execute_script("return window.innerWidth")
        height = driver.execute_script("return window.innerHeight")
        panel = page.find(".panel")[0]
        assert (panel.size["width"], panel.size["height"]) == (width, height)
        answer = page.ask("感冒有什么症状")
        assert answer.size["width"] <= width
    finally:
        driver.quit()
