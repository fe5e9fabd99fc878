"""Web chat widget channel: serves the widget and answers its messages.

Routes under ``/webhooks/web/``:

- ``GET /``            the chat page (``web/index.html``: a demo page with the widget open)
- ``GET /widget.js``   the embeddable script; ``GET /widget.css`` its styles
- ``POST /webhook``    ``{"sender", "message"}`` -> ``{"messages": [{"text", "custom"}]}``

The widget is plain HTML/CSS/JS from ``web/`` (no CDN, nothing fetched at run time), so
the Rasa server is the only thing a hospital page needs. Pages on other origins may call
the webhook only if their origin is listed in ``cors_origins`` (``credentials.yml``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import ChannelResponse, ChatChannel
from bot.channels.config import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_MESSAGE_LENGTH,
    DEFAULT_RESPONSE_TIMEOUT,
    LIMIT_SETTINGS,
    check_known_keys,
    read_limits,
)
from bot.channels.dialogue import OnNewMessage
from bot.channels.errors import ChannelConfigError, RequestError, json_errors
from core.paths import PROJECT_ROOT

logger = logging.getLogger(__name__)

SECTION = "bot.channels.web_widget.WebWidgetInput"
WEB_DIR = PROJECT_ROOT / "web"
# The only files served, with their content types: nothing else under web/ is reachable.
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "widget.js": "application/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
}
SETTINGS = {"cors_origins"} | LIMIT_SETTINGS
CORS_MAX_AGE = "600"
# The widget makes its sender id from 128 random bits; shorter or other ids are refused,
# so a conversation cannot be reached by guessing a simple id like "1" or "test".
SENDER_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
MIN_SENDER_LENGTH = 16


def _origins(value: Any) -> frozenset:
    """``cors_origins`` as a set of ``scheme://host[:port]`` strings (``"*"`` allows any)."""
    if value is None:
        return frozenset()
    items: Iterable[Any] = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(o, str) and o for o in items):
        raise ChannelConfigError(f"credentials.yml: 'cors_origins' must be a list of origins, got {value!r}")
    origins = frozenset(o.rstrip("/") for o in items)
    for origin in origins - {"*"}:
        if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
            raise ChannelConfigError(
                f"credentials.yml: cors origin {origin!r} must look like "
                "'https://www.hospital.example' (scheme and host, no path)"
            )
    return origins


class WebWidgetInput(ChatChannel):
    """Serves the chat widget and its message webhook (paired ``{text, custom}`` replies)."""

    SECTION = SECTION
    SETTINGS = frozenset(SETTINGS)

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> WebWidgetInput:
        config = dict(credentials or {})
        check_known_keys(SECTION, config, SETTINGS)
        return cls(
            cors_origins=_origins(config.get("cors_origins")),
            **read_limits(config),
        )

    def __init__(
        self,
        cors_origins: Iterable[str] = (),
        max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        response_timeout: float = DEFAULT_RESPONSE_TIMEOUT,
        web_dir: Path = WEB_DIR,
    ) -> None:
        missing = [name for name in STATIC_FILES if not (web_dir / name).is_file()]
        if missing:
            raise ChannelConfigError(f"web widget files missing from {web_dir}: {missing}")
        super().__init__(max_message_length, max_body_bytes, response_timeout)
        self.cors_origins = frozenset(cors_origins)
        self.web_dir = web_dir

    def allowed_origin(self, origin: Optional[str]) -> Optional[str]:
        """The value for ``Access-Control-Allow-Origin``, or ``None`` if ``origin`` is not allowed."""
        if not origin:
            return None
        if "*" in self.cors_origins:
            return "*"
        return origin if origin.rstrip("/") in self.cors_origins else None

    async def static(self, name: str) -> HTTPResponse:
        """One of ``STATIC_FILES``, revalidated by browsers so a deploy shows up at once."""
        return await response.file(
            self.web_dir / name, mime_type=STATIC_FILES[name], headers={"Cache-Control": "no-cache"}
        )

    def check_sender(self, sender: str) -> None:
        """Only ids shaped like the widget's own random ones (16-128 of ``A-Za-z0-9-_``)."""
        if len(sender) < MIN_SENDER_LENGTH or not set(sender) <= SENDER_ALPHABET:
            raise RequestError(
                400,
                "invalid_field",
                f"field 'sender' must be {MIN_SENDER_LENGTH} to 128 characters of "
                "A-Z, a-z, 0-9, '-' and '_' (the widget makes a random one)",
                field="sender",
            )

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """The page, the widget files, the webhook and its CORS handling (mounted at /webhooks/web/)."""
        web = Blueprint("hospital_web_widget", __name__)

        @web.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            # The page loads widget.js by a relative URL, which needs the trailing slash.
            if not request.path.endswith("/"):
                return response.redirect(request.path + "/")
            return await self.static("index.html")

        @web.route("/widget.js", methods=["GET"])
        async def script(request: Request) -> HTTPResponse:
            return await self.static("widget.js")

        @web.route("/widget.css", methods=["GET"])
        async def styles(request: Request) -> HTTPResponse:
            return await self.static("widget.css")

        @web.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> ChannelResponse:
            return await self.handle(request, on_new_message)

        @web.route("/webhook", methods=["OPTIONS"])
        async def preflight(request: Request) -> HTTPResponse:
            # The CORS headers are added by the middleware below. Under `rasa run`, Rasa's
            # own CORS extension answers OPTIONS before this route; the middleware still runs.
            return response.empty(status=204)

        @web.middleware("response")
        async def cors(request: Request, resp: HTTPResponse) -> None:
            allowed = self.allowed_origin(request.headers.get("origin"))
            if not allowed:
                return
            if "access-control-allow-origin" not in resp.headers:
                resp.headers["Access-Control-Allow-Origin"] = allowed
                resp.headers["Vary"] = "Origin"
            if request.method == "OPTIONS":
                resp.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
                resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
                resp.headers["Access-Control-Max-Age"] = CORS_MAX_AGE

        json_errors(web)
        return web
