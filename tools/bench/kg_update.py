"""``python -m bot bench kg-update``: from "import a new disease" to "the running bot answers about it".

Why: a hospital adds and renames diseases; that must not need a retraining on any machine
(issue 19). This serves the bot as ``make run`` does on a copy of the sample graph (its own
folder, so the project's ``var/kg`` is never written), asks about a disease the graph does
not have, imports it with ``python -m bot kg import`` as an operator would, and asks again
every half second (a new sender each time) until the answer comes from the new entry. It
prints how long the import took and how long after it the bot answered; nothing is
retrained. The Rasa server's name components look at the graph every
``KG_NAMES_REFRESH_SECONDS`` (``--refresh``, default: the model's ``refresh_seconds``), the
action server's store sees the replaced file within a second.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from core.paths import PROJECT_ROOT
from kg_queries.factory import open_store
from kg_queries.importer import import_files
from tools.live_servers import MODEL, LiveBot

QUESTION = "{name}是什么病"
# A disease the sample graph does not have (facts from public references, text ours).
NEW_DISEASE: Dict[str, Any] = {
    "name": "猫抓病",
    "alias": ["猫抓热"],
    "desc": "猫抓病是被猫抓伤或咬伤后感染汉赛巴尔通体引起的感染性疾病，多见于儿童和青少年，"
    "表现为伤口附近的淋巴结肿大，多数人数周到数月内可自行好转。",
    "cause": "由汉赛巴尔通体感染引起，病原体通过猫的抓伤、咬伤或舔舐破损皮肤进入人体。",
    "symptom": ["淋巴结肿大", "发热", "乏力"],
    "cure_department": ["感染科"],
    "cure_way": ["对症治疗", "抗生素治疗"],
}


def ask(bot: LiveBot, name: str, attempt: int) -> List[Dict[str, Any]]:
    """The ``custom`` payloads of the bot's reply to "<name>是什么病"."""
    status, _, body = bot.request(
        "POST",
        "/webhooks/rest/webhook",
        {"sender": f"kg-update-{attempt}", "message": QUESTION.format(name=name)},
    )
    if status != 200 or not isinstance(body, list):
        raise RuntimeError(f"REST answered {status}: {str(body)[:200]}")
    return [m["custom"] for m in body if isinstance(m.get("custom"), dict)]


def answered(payloads: List[Dict[str, Any]], name: str) -> bool:
    return any(p.get("strategy") == "answer" and p.get("disease") == name for p in payloads)


def measure(
    model: Path = MODEL, refresh: Optional[float] = None, timeout: float = 120.0, work: Optional[Path] = None
) -> Dict[str, Any]:
    """Serve, ask, import, ask until answered; returns the figures (seconds)."""
    work = Path(work or tempfile.mkdtemp(prefix="bench-kg-update-"))
    kg = work / "kg"
    with open_store("embedded", str(kg), read_only=False) as store:
        import_files(
            [Path(p) for p in sorted(glob.glob(str(PROJECT_ROOT / "data" / "kg" / "*.json")))],
            store,
            progress=False,
        )
    env = {"KG_EMBEDDED_PATH": str(kg), "UNANSWERED_DB_URL": f"sqlite:///{work / 'unanswered.sqlite3'}"}
    if refresh is not None:
        env["KG_NAMES_REFRESH_SECONDS"] = str(refresh)
    record = work / "new_disease.json"
    record.write_text(json.dumps(NEW_DISEASE, ensure_ascii=False), encoding="utf-8")
    name = NEW_DISEASE["name"]
    with LiveBot(work, work / "logs", env=env, model=model) as bot:
        before = ask(bot, name, 0)
        if answered(before, name):
            raise RuntimeError(f"{name} was answered before its import: {before}")
        started = time.monotonic()
        imported = subprocess.run(
            [sys.executable, "-m", "bot", "kg", "import", str(record)],
            cwd=PROJECT_ROOT,
            env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), **env),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if imported.returncode != 0:
            raise RuntimeError(f"kg import failed: {imported.stderr[-500:]}")
        import_seconds = time.monotonic() - started
        attempt = 0
        while True:
            attempt += 1
            after = ask(bot, name, attempt)
            if answered(after, name):
                break
            if time.monotonic() - started > timeout:
                raise TimeoutError(
                    f"{name} not answered {timeout:.0f} s after its import; last reply {after}"
                )
            time.sleep(0.5)
        total = time.monotonic() - started
    return {
        "before": [p.get("strategy") for p in before],
        "import_seconds": import_seconds,
        "answer_seconds": total - import_seconds,
        "total_seconds": total,
        "asks": attempt,
    }


def run(args) -> Dict[str, Any]:
    if not Path(args.model).is_file():
        raise FileNotFoundError(f"model not found: {args.model} (train it with `make train`)")
    figures = measure(Path(args.model), args.refresh, args.timeout)
    print(f"before the import: {figures['before']} (no retraining, no restart at any point)")
    print(f"import (python -m bot kg import): {figures['import_seconds']:.1f} s")
    print(
        f"answered {figures['answer_seconds']:.1f} s after the import finished "
        f"({figures['total_seconds']:.1f} s from its start, {figures['asks']} asks)"
    )
    return figures
