"""``action_health_check``: the action server's own view of the knowledge graph, for the health endpoint.

Why an action: the health endpoint lives in the Rasa server, which never touches the
graph; calling this action through the action server's normal webhook tests the path a
patient's question takes (action server up, graph reachable through the same guarded
handle) without a second way in. Rasa's dialogue never predicts it (it is in no rule).
"""

from __future__ import annotations

import time
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import kg_access

ACTION_NAME = "action_health_check"


class ActionHealthCheck(Action):
    """Answers one message whose ``custom.graph`` says whether the graph answered, and how fast."""

    def name(self) -> str:
        return ACTION_NAME

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        started = time.perf_counter()
        try:
            kg = kg_access.get_kg()
            kg.store.run("MATCH (d:Disease) RETURN d.name AS name LIMIT 1")
            graph = {"available": True, "store": kg.store.kind}
        except kg_access.KGUnavailableError as exc:
            graph = {"available": False, "detail": str(exc)[:200]}
        graph["ms"] = round((time.perf_counter() - started) * 1000.0, 1)
        dispatcher.utter_message(json_message={"graph": graph})
        return []
