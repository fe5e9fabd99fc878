"""Health endpoint: ``GET /webhooks/health/`` says whether the model, the action server and the graph work.

Why: the widget and the HIS need to know, before a patient types, whether the bot can
answer, and an operator needs to know which part is down. The answer is always a JSON 200
(the endpoint itself is up): ``{"status": "ok" | "degraded" | "down", "model": {...},
"action_server": {...}, "graph": {...}}`` — ``degraded`` while the action server or the
graph is down (patients then get the emergency advice and a polite "service unavailable"
reply), ``down`` while no model is loaded. The graph is checked through the action server
(``action_health_check``), the path a question takes. No token needed; it reveals no
patient data.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Dict, Optional, Tuple

import aiohttp
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.actions.health import ACTION_NAME
from bot.channels.config import check_known_keys, positive_number
from bot.channels.errors import json_errors, json_response

logger = logging.getLogger(__name__)

SECTION = "bot.channels.health.HealthInput"
SETTINGS = {"timeout"}
DEFAULT_TIMEOUT = 2.0


class HealthInput(InputChannel):
    """``GET /webhooks/health/``: model, action server and graph status as JSON."""

    @classmethod
    def name(cls) -> str:
        return "health"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> HealthInput:
        config = dict(credentials or {})
        check_known_keys(SECTION, config, SETTINGS)
        return cls(timeout=positive_number(config, "timeout", DEFAULT_TIMEOUT, integer=False))

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    async def action_server(self, url: Optional[str]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """Call ``action_health_check`` on the action server: is it up, and what does it say of the graph?"""
        if not url:
            return {"reachable": False, "detail": "no action_endpoint configured"}, {"available": False}
        payload = {
            "next_action": ACTION_NAME,
            "sender_id": "health-check",
            "domain": {},
            "tracker": {
                "sender_id": "health-check",
                "slots": {},
                "latest_message": {},
                "events": [],
                "paused": False,
                "latest_action_name": None,
            },
        }
        started = time.perf_counter()
        try:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, json=payload) as response,
            ):
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            return (
                {"reachable": False, "detail": f"{type(exc).__name__}: {exc}"[:200]},
                {"available": False, "detail": "not checked: the action server is unreachable"},
            )
        took = round((time.perf_counter() - started) * 1000.0, 1)
        if status != 200 or not isinstance(body, dict):
            return (
                {"reachable": False, "detail": f"answered {status}", "ms": took},
                {"available": False, "detail": "not checked"},
            )
        graph = next(
            (
                r.get("custom", {}).get("graph")
                for r in body.get("responses") or []
                if isinstance(r, dict) and isinstance(r.get("custom"), dict)
            ),
            None,
        )
        return {"reachable": True, "ms": took}, graph or {"available": False, "detail": "no graph status"}

    async def report(self, request: Request) -> Dict[str, Any]:
        agent = getattr(request.app.ctx, "agent", None)
        is_ready = getattr(agent, "is_ready", None)
        ready = bool(callable(is_ready) and is_ready())
        model = {"loaded": ready, "id": getattr(agent, "model_id", None) if ready else None}
        endpoint = getattr(agent, "action_endpoint", None)
        actions, graph = await self.action_server(getattr(endpoint, "url", None))
        if not ready:
            status = "down"
        elif actions.get("reachable") and graph.get("available"):
            status = "ok"
        else:
            status = "degraded"
        return {"status": status, "model": model, "action_server": actions, "graph": graph}

    def blueprint(self, on_new_message: Any) -> Blueprint:
        health = Blueprint("hospital_health", __name__)

        @health.route("/", methods=["GET"])
        async def status(request: Request) -> HTTPResponse:
            try:
                return json_response(await self.report(request))
            except Exception as exc:  # the health endpoint answers even about itself
                logger.exception("health check failed")
                return json_response(
                    {"status": "down", "detail": f"health check failed: {type(exc).__name__}"}
                )

        json_errors(health)
        return health
