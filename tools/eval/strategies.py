"""What the dialogue does with each test question: the share of each reply strategy.

Why: accuracy alone does not say how often a patient gets an answer, a clarifying question,
a choice of two readings or "I'm not sure" (the deny band). Here every parsed question is
played, as the first message of a fresh conversation, through the real actions (the action
the rules pick for its intent, ``data/rules.yml``) with the configured graph, and the
strategy of the first reply is counted. Unanswered questions go to a throw-away database.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from typing import Any, Dict, List, Sequence

import yaml

from core.paths import PROJECT_ROOT


def rule_routes() -> Dict[str, str]:
    """intent -> action name, from ``data/rules.yml`` (the rules' first user step)."""
    raw = yaml.safe_load((PROJECT_ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))
    routes: Dict[str, str] = {}
    for rule in raw.get("rules") or []:
        steps = rule.get("steps") or []
        if len(steps) >= 2 and "intent" in steps[0] and "action" in steps[1]:
            routes.setdefault(steps[0]["intent"], steps[1]["action"])
    return routes


def action_instances() -> Dict[str, Any]:
    """action name -> an instance of every action the action server serves."""
    import bot.actions as actions

    return {cls().name(): cls() for cls in (getattr(actions, n) for n in actions.__all__)}


def first_strategies(parses: Sequence[Dict[str, Any]]) -> List[str]:
    """The strategy of the first reply to each parse, each in a conversation of its own."""
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    instances = action_instances()
    routes = rule_routes()
    out: List[str] = []
    with tempfile.TemporaryDirectory(prefix="eval-strategies-") as tmp:
        previous = os.environ.get("UNANSWERED_DB_URL")
        os.environ["UNANSWERED_DB_URL"] = f"sqlite:///{tmp}/unanswered.sqlite3"
        try:
            for number, parse in enumerate(parses):
                action = routes.get((parse.get("intent") or {}).get("name") or "")
                if action is None:
                    out.append("no_rule")
                    continue
                event = {"event": "user", "text": parse.get("text"), "parse_data": parse}
                tracker = Tracker(f"eval-{number}", {}, parse, [event], False, None, {}, "action_listen")
                dispatcher = CollectingDispatcher()
                instances[action].respond(dispatcher, tracker, {})
                replies = [m.get("custom") or {} for m in dispatcher.messages]
                out.append(replies[0].get("strategy", "none") if replies else "silence")
        finally:
            if previous is None:
                os.environ.pop("UNANSWERED_DB_URL", None)
            else:
                os.environ["UNANSWERED_DB_URL"] = previous
    return out


def shares(strategies: Sequence[str]) -> Dict[str, float]:
    """Strategy -> share of the questions, largest first."""
    counts = Counter(strategies)
    total = sum(counts.values()) or 1
    return {name: count / total for name, count in counts.most_common()}


def format_shares(table: Dict[str, float], n: int) -> str:
    return f"dialogue strategies (first reply to each question alone, n={n}):\n" + "\n".join(
        f"  {name:<18}{share:>7.1%}" for name, share in table.items()
    )
