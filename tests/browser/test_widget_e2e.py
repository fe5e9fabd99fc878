"""End to end: the widget in headless Chromium, the trained model, the real action server.

Starts ``rasa run actions`` and ``rasa run`` (the repository's credentials.yml, so the
web channel is mounted exactly as in ``make run``) on free ports of 127.0.0.1, then asks
"感冒有什么症状" in the widget page. The action server gets a DIALOGUE_CONFIG whose
clarify band covers every confidence (accept_threshold 1.0, deny_threshold 0.0), so the
bot deterministically asks "您想问的是…吗？" first; the test clicks 是 and expects the
symptoms from the knowledge graph. Then: reload keeps the history; with the Rasa server
stopped the widget says it cannot reach the server. Saves results/screenshots/widget.png
and docs/widget.png. Skipped only when the model file is absent (``make test`` trains it).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import yaml

from kg_queries.records import iter_records
from tests.browser.widget_page import PHONE, WidgetPage, chromium
from tests.channels.server import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MODEL = Path(os.environ.get("HOSPITAL_MODEL", ROOT / "models" / "hospital.tar.gz"))
SCREENSHOT = ROOT / "results" / "screenshots" / "widget.png"
README_SCREENSHOT = ROOT / "docs" / "widget.png"
LOG_DIR = ROOT / "results" / "browser"
START_TIMEOUT = 120


def symptoms_in_graph(disease: str) -> List[str]:
    """The disease's symptoms in the graph's source files ``data/kg/*.json``."""
    for path in sorted((ROOT / "data" / "kg").glob("*.json")):
        for _, record in iter_records(path):
            if isinstance(record, dict) and record.get("name") == disease:
                return list(record.get("symptom") or [])
    raise AssertionError(f"{disease} is not in data/kg/*.json")


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}; see {log}:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {START_TIMEOUT} s; see {log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[Dict[str, object]]:
    if not MODEL.is_file():
        pytest.skip(f"no trained model at {MODEL} (make train, or set HOSPITAL_MODEL)")
    work = tmp_path_factory.mktemp("widget-e2e")
    settings = yaml.safe_load((ROOT / "dialogue.yml").read_text(encoding="utf-8")) or {}
    settings.update(accept_threshold=1.0, deny_threshold=0.0)  # every medical question is clarified
    (work / "dialogue.yml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    action_port, rasa_port = free_port(), free_port()
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{action_port}/webhook"
    (work / "endpoints.yml").write_text(yaml.safe_dump(endpoints), encoding="utf-8")

    env = dict(os.environ, PYTHONPATH=str(ROOT), SANIC_HOST="127.0.0.1", TF_CPP_MIN_LOG_LEVEL="3",
               DIALOGUE_CONFIG=str(work / "dialogue.yml"), DIALOGUE_SEED="0")
    rasa = str(Path(sys.executable).parent / "rasa")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    logs = {"actions": LOG_DIR / "actions.log", "rasa": LOG_DIR / "rasa.log"}
    commands = {
        "actions": [rasa, "run", "actions", "--actions", "bot.actions", "--port", str(action_port)],
        "rasa": [rasa, "run", "-i", "127.0.0.1", "-p", str(rasa_port), "-m", str(MODEL),
                 "--credentials", str(ROOT / "credentials.yml"), "--endpoints", str(work / "endpoints.yml")],
    }
    processes = {}
    try:
        for name, command in commands.items():
            with open(logs[name], "w") as log:
                processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                                   stderr=subprocess.STDOUT)
        wait_until_up(f"http://127.0.0.1:{action_port}/health", processes["actions"], logs["actions"])
        wait_until_up(f"http://127.0.0.1:{rasa_port}/webhooks/web/", processes["rasa"], logs["rasa"])
        yield {"url": f"http://127.0.0.1:{rasa_port}/webhooks/web/", "rasa": processes["rasa"]}
    finally:
        for process in processes.values():
            stop(process)


def test_widget_against_the_real_bot(servers):
    started = time.monotonic()
    driver = chromium(PHONE)
    try:
        widget = WidgetPage(driver, servers["url"], timeout=60).open()
        assert widget.find(".disclaimer")[0].text == "回答仅供参考，不能替代医生诊断"

        question = widget.ask("感冒有什么症状")
        assert question.get_attribute("data-strategy") == "clarify", (
            f"expected a clarifying question with the wide clarify band, got: {question.text!r}")
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

        stop(servers["rasa"])
        widget.send("糖尿病怎么治疗")
        widget.wait(lambda: "无法连接到问答服务器" in widget.notice(), "no 'cannot reach the server' message")
        assert "failed" in widget.user_rows()[-1].get_attribute("class").split()
        driver.save_screenshot(str(SCREENSHOT.with_name("widget-offline.png")))
    finally:
        driver.quit()
    assert time.monotonic() - started < 60, "the browser part should take well under a minute"
