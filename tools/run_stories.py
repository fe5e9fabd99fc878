"""Run the Rasa conversation test stories against a live action server.

``python -m tools.run_stories --model models/hospital.tar.gz --stories tests/stories``

``--stories`` is a folder of ``test_*.yml`` story files, or a folder holding a manifest
``suites.yml`` that names several such folders, each with its own environment (e.g. a
``DIALOGUE_CONFIG`` or a missing knowledge graph). For every suite this:

1. starts ``rasa run actions`` on 127.0.0.1 with the suite's environment, a fresh
   unanswered-question database and a fixed salt;
2. runs ``rasa test core --e2e --fail-on-prediction-errors``: the NLU must find each
   end-to-end step's intent and entities, the rules must pick each story action;
3. replays every story through the model with the action server, because ``rasa test``
   never runs custom actions: each user step is sent (its words through the NLU, or its
   intent and entities as given), and the actions that really ran and the slots they
   really set must be the story's ``action`` and ``slot_was_set`` steps. A story's
   ``metadata.sub_intents`` lists, per user step, ``[name, confidence]`` (or ``~``) to
   put in place of what the NLU said, which pins a confidence band; more pairs after the
   first (``[treatment, 0.35, taboo, 0.3]``) are the rest of the sub-intent ranking;
4. compares the texts in the unanswered-question log with the suite's ``unanswered``.

Exits non-zero when anything fails, so ``make test`` fails with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from bot.cli.serve import rasa_command
from core.paths import PROJECT_ROOT as ROOT
from tools.live_servers import wait_until_up

MANIFEST = "suites.yml"
IGNORED_ACTIONS = ("action_listen", "action_session_start")


@dataclass
class Suite:
    name: str
    folder: Path
    env: Dict[str, str] = field(default_factory=dict)
    unanswered: Optional[List[str]] = None  # None: not checked


def shown(path: Path) -> str:
    """``path`` relative to the project when it is inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def load_suites(stories: Path, only: Optional[List[str]] = None) -> List[Suite]:
    """The suites of ``stories/suites.yml``, or ``stories`` itself as one suite."""
    manifest = stories / MANIFEST
    if not manifest.exists():
        return [Suite(stories.name, stories)]
    raw = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    suites = []
    for name, spec in (raw.get("suites") or {}).items():
        folder = stories / spec["stories"]
        if not folder.is_dir():
            raise FileNotFoundError(f"{manifest}: suite {name!r}: no folder {folder}")
        env = {key: str(value) for key, value in (spec.get("env") or {}).items()}
        unanswered = spec.get("unanswered")
        suites.append(Suite(name, folder, env, None if unanswered is None else [str(t) for t in unanswered]))
    if only:
        unknown = set(only) - {s.name for s in suites}
        if unknown:
            raise ValueError(f"unknown suites {sorted(unknown)}; {manifest} has {[s.name for s in suites]}")
        suites = [s for s in suites if s.name in only]
    if not suites:
        raise ValueError(f"{manifest} names no suites")
    return suites


# -- the action server ---------------------------------------------------------------------
def ensure_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a stopped server's TIME_WAIT is fine
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise RuntimeError(f"port {port} is in use; pick another with --port") from exc


class ActionServer:
    """``rasa run actions`` in a subprocess for the duration of a ``with`` block."""

    def __init__(self, port: int, env: Dict[str, str], log_path: Path) -> None:
        self.port, self.env, self.log_path = port, env, log_path

    def __enter__(self) -> ActionServer:
        ensure_port_free(self.port)
        rasa = str(Path(sys.executable).parent / "rasa")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [rasa, "run", "actions", "--actions", "bot.actions", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{self.port}/health", self.proc, 120)
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


# -- phase 2: rasa test core -----------------------------------------------------------
def run_rasa_test(model: str, suite: Suite, out: Path, env: Dict[str, str]) -> List[str]:
    cmd = [
        *rasa_command(),  # Rasa's CLI with the project's fixes (bot/rasa_patches.py)
        "test",
        "core",
        "--model",
        model,
        "--stories",
        str(suite.folder),
        "--endpoints",
        "endpoints.yml",
        "--out",
        str(out),
        "--e2e",
        "--fail-on-prediction-errors",
    ]
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=ROOT, env=env)
    problems = []
    failed = out / "failed_test_stories.yml"
    if failed.exists() and "None of the test stories failed" not in failed.read_text(encoding="utf-8"):
        problems.append(f"rasa test core: failed stories:\n{failed.read_text(encoding='utf-8')}")
    if result.returncode != 0:
        problems.append(
            f"rasa test core exited with {result.returncode} (a wrong intent, entity or action "
            f"prediction stops it; the story is printed above)"
        )
    return problems


# -- phase 3: replay with the actions --------------------------------------------------
def story_files(folder: Path) -> List[Path]:
    files = sorted(p for p in folder.rglob("test_*.yml"))
    if not files:
        raise FileNotFoundError(f"no test_*.yml story files in {folder}")
    return files


def split_turns(steps: List[Dict[str, Any]]) -> List[Tuple[Dict[str, Any], List[Dict[str, Any]]]]:
    """``[(user step, the steps after it until the next user step), ...]``."""
    turns: List[Tuple[Dict[str, Any], List[Dict[str, Any]]]] = []
    for step in steps:
        if "user" in step or "intent" in step:
            turns.append((step, []))
        elif not turns:
            raise ValueError(f"a story must start with a user step, not {step}")
        else:
            turns[-1][1].append(step)
    return turns


def intent_form_parse(step: Dict[str, Any]) -> Dict[str, Any]:
    """Parse data for a step given as intent + entities (Rasa's "/intent{...}" message)."""
    entities, values = [], {}
    for item in step.get("entities") or []:
        if not isinstance(item, dict):
            raise ValueError(f"entities in intent-form steps need values: {step}")
        for kind, value in item.items():
            if kind in ("role", "group"):
                continue
            entities.append(
                {"entity": kind, "value": value, "text": value, "linked": True, "confidence_entity": 1.0}
            )
            values[kind] = value
    suffix = json.dumps(values, ensure_ascii=False, separators=(",", ":")) if values else ""
    return {
        "text": f"/{step['intent']}{suffix}",
        "intent": {"name": step["intent"], "confidence": 1.0},
        "entities": entities,
    }


async def parse_step(agent, step: Dict[str, Any], override: Optional[List[Any]]) -> Dict[str, Any]:
    from rasa.shared.nlu.training_data import entities_parser

    if "user" in step:
        text = entities_parser.replace_entities(step["user"].strip())
        parse = await agent.parse_message(text)
    else:
        parse = intent_form_parse(step)
    if override:  # [name, confidence] or [name, confidence, second name, its confidence, ...]
        if len(override) < 2 or len(override) % 2:
            raise ValueError(f"metadata.sub_intents: expected [name, confidence, ...], got {override!r}")
        ranked = [{"name": n, "confidence": float(c)} for n, c in zip(override[::2], override[1::2])]
        parse["sub_intent"] = dict(ranked[0])
        parse["sub_intent_ranking"] = ranked
    return parse


def expected_of(steps: List[Dict[str, Any]]) -> Tuple[List[str], Dict[str, Any]]:
    actions, slots = [], {}
    for step in steps:
        if "action" in step:
            actions.append(step["action"])
        for item in step.get("slot_was_set") or []:
            if isinstance(item, dict):
                slots.update(item)
            else:
                raise ValueError(f"slot_was_set needs values in test stories: {item!r}")
    return actions, slots


async def replay_story(agent, story: Dict[str, Any], sender_id: str) -> List[str]:
    """Play one story; return what differed from its steps."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet

    from bot.actions.payload import STRATEGIES

    overrides = (story.get("metadata") or {}).get("sub_intents") or []
    problems = []
    for index, (user_step, following) in enumerate(split_turns(story["steps"])):
        label = user_step.get("user", "").strip() or f"intent {user_step.get('intent')}"
        override = overrides[index] if index < len(overrides) else None
        parse = await parse_step(agent, user_step, override)
        tracker = await agent.tracker_store.retrieve(sender_id)
        before = len(tracker.events) if tracker else 0
        output = CollectingOutputChannel()
        await agent.handle_message(UserMessage(parse["text"], output, sender_id, parse_data=parse))
        tracker = await agent.tracker_store.retrieve(sender_id)
        new = list(tracker.events)[before:]
        actions = [
            e.action_name
            for e in new
            if isinstance(e, ActionExecuted) and e.action_name not in IGNORED_ACTIONS
        ]
        slots: Dict[str, Any] = {}
        for event in new:
            if isinstance(event, SlotSet):
                slots[event.key] = event.value
        want_actions, want_slots = expected_of(following)
        where = f"turn {index + 1} ({label})"
        if actions != want_actions:
            problems.append(f"{where}: actions {actions}, story says {want_actions}")
        for slot, value in want_slots.items():
            if slot not in slots:
                problems.append(f"{where}: slot {slot!r} was not set (story says {value!r})")
            elif slots[slot] != value:
                problems.append(f"{where}: slot {slot!r} = {slots[slot]!r}, story says {value!r}")
        payloads = [(e.data or {}).get("custom") or {} for e in new if isinstance(e, BotUttered)]
        if any(p.get("strategy") not in STRATEGIES for p in payloads):
            problems.append(f"{where}: a bot message lacks a valid custom.strategy: {payloads}")
        if "strategies" in slots and [p.get("strategy") for p in payloads] != slots["strategies"]:
            problems.append(
                f"{where}: messages' strategies {[p.get('strategy') for p in payloads]} "
                f"differ from the strategies slot {slots['strategies']}"
            )
    return problems


async def load_replay_agent(model: str, port: int):
    """The model with the action server on ``port`` (loaded once for all suites)."""
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    endpoints = AvailableEndpoints(action=EndpointConfig(url=f"http://127.0.0.1:{port}/webhook"))
    return await load_agent(model, endpoints=endpoints)


async def replay_suite(agent, suite: Suite) -> Tuple[int, List[str]]:
    problems, count = [], 0
    for path in story_files(suite.folder):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for story in raw.get("stories") or []:
            count += 1
            sender = f"{suite.name}-{count}"
            for problem in await replay_story(agent, story, sender):
                problems.append(f"{shown(path)}: story {story['story']!r}: {problem}")
    return count, problems


def check_unanswered(suite: Suite, db_url: str) -> List[str]:
    if suite.unanswered is None:
        return []
    from bot.unanswered import UnansweredLog

    log = UnansweredLog(db_url, salt=b"story-tests")
    rows = log.rows()
    log.close()
    got, want = Counter(r["text"] for r in rows), Counter(suite.unanswered)
    if got != want:
        return [f"unanswered log holds {sorted(got.elements())}, the suite expects {sorted(want.elements())}"]
    if any(r["sender_hash"] == r["text"] or len(r["sender_hash"]) != 64 for r in rows):
        return ["unanswered log: sender ids are not stored as SHA-256 hashes"]
    return []


async def run_suite(args, agent, suite: Suite, base_env: Dict[str, str]) -> List[str]:
    print(f"=== suite {suite.name}: {shown(suite.folder)} {suite.env or ''}", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"stories-{suite.name}-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'unanswered.sqlite3'}"
        env = dict(base_env, UNANSWERED_DB_URL=db_url, UNANSWERED_SALT="story-tests-salt-7c41e9", **suite.env)
        log_path = ROOT / "var" / f"actions-test-{suite.name}.log"
        with ActionServer(args.port, env, log_path):
            problems = run_rasa_test(args.model, suite, Path(args.out) / suite.name, env)
            count, replay_problems = await replay_suite(agent, suite)
            problems += replay_problems
            problems += check_unanswered(suite, db_url)
        problems = [f"[{suite.name}] {p}" for p in problems]
        for problem in problems:
            print(problem, file=sys.stderr)
        print(
            f"--- suite {suite.name}: {count} stories, {len(problems)} problems "
            f"(action server log: {shown(log_path)})",
            flush=True,
        )
    return problems


async def run_all(args, suites: List[Suite], base_env: Dict[str, str]) -> List[str]:
    agent = await load_replay_agent(args.model, args.port)
    problems: List[str] = []
    for suite in suites:
        problems += await run_suite(args, agent, suite, base_env)
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/hospital.tar.gz")
    parser.add_argument("--stories", default="tests/stories")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--out", default="results/stories")
    parser.add_argument("--suite", action="append", default=None, help="run only this suite (repeatable)")
    args = parser.parse_args(argv)

    base_env = dict(os.environ, SANIC_HOST="127.0.0.1", PYTHONPATH=str(ROOT))
    base_env.setdefault("DIALOGUE_SEED", "0")
    base_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import logging

    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # the in-process replay logs through structlog too
    for noisy in ("rasa", "rasa_sdk", "sanic", "apscheduler", "tensorflow", "absl"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    suites = load_suites(Path(args.stories).resolve(), args.suite)
    problems = asyncio.run(run_all(args, suites, base_env))
    if problems:
        print(f"story tests: FAILED ({len(problems)} problems, see above)", file=sys.stderr)
        return 1
    print("story tests: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
