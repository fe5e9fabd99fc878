"""HIS channel: the hospital information system asks the bot over authenticated JSON.

``POST /webhooks/his/webhook`` with ``Authorization: Bearer <token>`` and
``{"sender", "message", "request_id"?, "metadata"?}`` answers
``{"request_id", "messages": [{"text", "custom"}]}``; the contract is in
``docs/his-openapi.yaml``. Every refusal is a JSON error, never a stack trace.

The token comes from an environment variable named in ``credentials.yml`` (``token_env``,
default ``HIS_TOKEN``), so no secret lives in the repository. When the variable is unset
or empty the server still starts (the web widget and REST channels must keep working) but
this channel answers every request with 503 ``not_configured`` and logs a warning at start.
"""
from __future__ import annotations

import hmac
import logging
import os
import uuid
from typing import Any, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_MESSAGE_LENGTH,
    DEFAULT_RESPONSE_TIMEOUT,
    LIMIT_SETTINGS,
    ChannelConfigError,
    OnNewMessage,
    RequestError,
    check_known_keys,
    collect_replies,
    error_response,
    json_response,
    read_json_object,
    read_limits,
    string_field,
)

logger = logging.getLogger(__name__)

SECTION = "bot.channels.his.HISInput"
DEFAULT_TOKEN_ENV = "HIS_TOKEN"
SETTINGS = {"token_env"} | LIMIT_SETTINGS


class HISInput(InputChannel):
    """Bearer-token JSON webhook for the hospital information system."""

    @classmethod
    def name(cls) -> Text:
        return "his"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "HISInput":
        config = dict(credentials or {})
        check_known_keys(SECTION, config, SETTINGS)
        token_env = config.get("token_env") or DEFAULT_TOKEN_ENV
        if not isinstance(token_env, str):
            raise ChannelConfigError(f"credentials.yml: 'token_env' must be a variable name, got {token_env!r}")
        token = os.environ.get(token_env, "")
        if not token:
            logger.warning("HIS channel: environment variable %s is unset or empty; "
                           "/webhooks/his/webhook will answer 503 to every request", token_env)
        return cls(
            token=token or None,
            token_env=token_env,
            **read_limits(config),
        )

    def __init__(self, token: Optional[str], token_env: str = DEFAULT_TOKEN_ENV,
                 max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 response_timeout: float = DEFAULT_RESPONSE_TIMEOUT) -> None:
        self.token = token.encode("utf-8") if token else None
        self.token_env = token_env
        self.max_message_length = max_message_length
        self.max_body_bytes = max_body_bytes
        self.response_timeout = response_timeout

    def check_authorization(self, request: Request) -> None:
        """503 when no token is configured, 401 unless the bearer token matches (constant time)."""
        if self.token is None:
            raise RequestError(503, "not_configured",
                               f"the HIS channel is disabled: {self.token_env} is not set on the server")
        scheme, _, presented = (request.headers.get("authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise RequestError(401, "unauthorized", "missing 'Authorization: Bearer <token>' header")
        if not hmac.compare_digest(presented.strip().encode("utf-8"), self.token):
            raise RequestError(401, "unauthorized", "invalid token")

    def parse_body(self, request: Request) -> Dict[str, Any]:
        """The checked request fields; ``request_id`` is generated when absent."""
        data = read_json_object(request, self.max_body_bytes)
        request_id = string_field(data, "request_id", required=False)
        try:
            sender = string_field(data, "sender")
            text = string_field(data, "message", max_length=self.max_message_length, too_long_status=413)
            metadata = data.get("metadata")
            if metadata is not None and not isinstance(metadata, dict):
                raise RequestError(400, "invalid_field", "field 'metadata' must be a JSON object",
                                   field="metadata")
        except RequestError as exc:
            exc.details.setdefault("request_id", request_id)
            raise
        request_id = request_id or uuid.uuid4().hex
        return {"request_id": request_id, "sender": sender, "text": text,
                "metadata": {**(metadata or {}), "request_id": request_id}}

    async def handle(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """Authenticate, validate, run the dialogue; every failure becomes a JSON error."""
        request_id: Optional[str] = None
        try:
            self.check_authorization(request)
            fields = self.parse_body(request)
            request_id = fields["request_id"]
            messages = await collect_replies(on_new_message, fields["text"], fields["sender"], self.name(),
                                             fields["metadata"], self.response_timeout)
            return json_response({"request_id": request_id, "messages": messages})
        except RequestError as exc:
            request_id = exc.details.pop("request_id", request_id)
            headers = {"WWW-Authenticate": 'Bearer realm="his"'} if exc.status == 401 else None
            return error_response(exc.status, exc.code, exc.message, headers=headers,
                                  details=exc.details, request_id=request_id)
        except Exception:  # a bug in this channel: log it, still answer JSON
            logger.exception("HIS channel: unexpected failure")
            return error_response(500, "internal_error", "unexpected server error; see the server log",
                                  request_id=request_id)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """A token-free health check and the webhook (mounted at /webhooks/his/)."""
        his = Blueprint("hospital_his_channel", __name__)

        @his.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return json_response({"status": "ok"})

        @his.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return his
