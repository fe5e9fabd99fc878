"""End to end: the widget in headless Chromium, the trained model, the real action server.

Starts the action server and ``rasa run`` as ``make run`` does (``tests/live.py``: the
repository's credentials.yml, so the web channel is mounted exactly as in production) on
free ports of 127.0.0.1, then asks
"感冒有什么症状" in the widget page. The action server gets a DIALOGUE_CONFIG whose
clarify band covers every confidence (accept_threshold 1.0, deny_threshold 0.0), so the
bot deterministically asks "您想问的是…吗？" first; the test clicks 是 and expects the
symptoms from the knowledge graph. Then: reload keeps the history; with the Rasa server
stopped the widget says it cannot reach the server. Saves results/screenshots/widget.png
and docs/widget.png. Skipped only when the model file is absent, and then only outside CI
(``make test`` trains it).
"""

from __future__ import annotations

import shutil
import time
from typing import Dict, Iterator, List

import pytest

from core.paths import PROJECT_ROOT
from kg_queries.records import iter_records
from tests.browser.widget_page import PHONE, WidgetPage, chromium
from tests.live import LiveBot, require_model

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = PROJECT_ROOT / "results" / "screenshots" / "widget.png"
README_SCREENSHOT = PROJECT_ROOT / "docs" / "widget.png"
LOG_DIR = PROJECT_ROOT / "results" / "browser"


def symptoms_in_graph(disease: str) -> List[str]:
    """The disease's symptoms in the graph's source files ``data/kg/*.json``."""
    for path in sorted((PROJECT_ROOT / "data" / "kg").glob("*.json")):
        for _, record in iter_records(path):
            if isinstance(record, dict) and record.get("name") == disease:
                return list(record.get("symptom") or [])
    raise AssertionError(f"{disease} is not in data/kg/*.json")


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[Dict[str, object]]:
    require_model()
    # Every medical question is clarified: the clarify band covers every confidence.
    with LiveBot(
        tmp_path_factory.mktemp("widget-e2e"),
        LOG_DIR,
        settings={"accept_threshold": 1.0, "deny_threshold": 0.0},
    ) as bot:
        yield {"url": f"{bot.url}/webhooks/web/", "bot": bot}


def test_widget_against_the_real_bot(servers):
    started = time.monotonic()
    driver = chromium(PHONE)
    try:
        widget = WidgetPage(driver, servers["url"], timeout=60).open()
        assert widget.find(".disclaimer")[0].text == "回答仅供参考，不能替代医生诊断"

        question = widget.ask("感冒有什么症状")
        assert question.get_attribute("data-strategy") == "clarify", (
            f"expected a clarifying question with the wide clarify band, got: {question.text!r}"
        )
        assert "感冒" in question.text
        assert widget.quick_replies() == ["是", "不是"]

        answer = widget.click_quick_reply("是")
        expected = symptoms_in_graph("感冒")
        shown = widget.items(answer)
        assert shown and set(shown) <= set(expected), f"symptoms shown {shown}, graph has {expected}"
        assert "感冒" in answer.text
        assert widget.quick_replies() == []

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOT))
        shutil.copyfile(SCREENSHOT, README_SCREENSHOT)

        conversation = widget.transcript()
        widget.reload()
        assert widget.transcript() == conversation
        assert widget.items(widget.bot_rows()[-1]) == shown

        servers["bot"].stop("rasa")
        widget.send("糖尿病怎么治疗")
        widget.wait(lambda: "无法连接到问答服务器" in widget.notice(), "no 'cannot reach the server' message")
        assert "failed" in widget.user_rows()[-1].get_attribute("class").split()
        driver.save_screenshot(str(SCREENSHOT.with_name("widget-offline.png")))
    finally:
        driver.quit()
    assert time.monotonic() - started < 60, "the browser part should take well under a minute"
