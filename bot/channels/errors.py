"""The JSON error shape of every channel, and the errors a channel raises.

Why: every refusal of every channel is the same ``{"error": {"code", "message"}}`` 4xx,
and a broken ``credentials.yml`` section fails at server start with one clear message.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from rasa.shared.exceptions import RasaException
from sanic import response
from sanic.response import HTTPResponse


class ChannelConfigError(RasaException):
    """A channel's section in ``credentials.yml`` is invalid (raised at server start)."""


class RequestError(Exception):
    """A request the channel refuses; becomes a JSON error response with ``status``."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Optional[Mapping[str, Any]] = None,
    headers: Optional[Dict[str, str]] = None,
    **top_level: Any,
) -> HTTPResponse:
    """The one JSON error shape of every channel.

    ``{"error": {"code", "message", **details}, **top_level}`` — ``details`` says what was
    wrong (``field``, ``max_length``); ``top_level`` carries e.g. the HIS ``request_id``.
    """
    body = {"error": {"code": code, "message": message, **(details or {})}, **top_level}
    return response.json(body, status=status, headers=headers, ensure_ascii=False)


def json_response(body: Any, status: int = 200) -> HTTPResponse:
    """JSON with Chinese text left readable (``ensure_ascii=False``)."""
    return response.json(body, status=status, ensure_ascii=False)


def json_errors(blueprint: Any) -> None:
    """Make Sanic's own errors (404, 405, a body over Sanic's limit) JSON for the whole app."""

    @blueprint.listener("before_server_start")
    async def _json_fallback(app: Any, _loop: Any) -> None:
        app.config.FALLBACK_ERROR_FORMAT = "json"
