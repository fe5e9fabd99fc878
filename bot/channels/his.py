"""HIS channel: the hospital information system asks the bot over authenticated JSON.

``POST /webhooks/his/webhook`` with ``Authorization: Bearer <token>`` and
``{"sender", "message", "request_id"?, "metadata"?}`` answers
``{"request_id", "messages": [{"text", "custom", "buttons"?}]}``; the contract is in
``docs/his-openapi.yaml``. Every refusal is a JSON error, never a stack trace.

``POST /webhooks/his/resume`` ``{"sender", "request_id"?}`` (same token) resumes a
conversation paused by a handoff to a person: the channel itself sends the intent trigger
``/handoff_resume`` for that sender (a client's own text never can: the validator
neutralises a leading "/" other than the button payloads) and answers like the webhook.

The token comes from an environment variable named in ``credentials.yml`` (``token_env``,
default ``HIS_TOKEN``), so no secret lives in the repository. When the variable is unset
or empty the server still starts (the web widget and REST channels must keep working) but
this channel answers every request with 503 ``not_configured`` and logs a warning at start.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.auth import TokenChannel
from bot.channels.base import ChannelResponse, ChatRequest
from bot.channels.dialogue import OnNewMessage
from bot.channels.errors import RequestError, error_response, json_errors, json_response
from bot.channels.validation import (
    id_field,
    message_field,
    metadata_field,
    parse_json_object,
    read_body,
)
from core.vocabulary import HANDOFF_RESUME_INTENT

logger = logging.getLogger(__name__)

SECTION = "bot.channels.his.HISInput"
DEFAULT_TOKEN_ENV = "HIS_TOKEN"
# The message the resume endpoint sends for the sender: Rasa reads it as the intent.
RESUME_TRIGGER = "/" + HANDOFF_RESUME_INTENT


class HISInput(TokenChannel):
    """Bearer-token JSON webhook for the hospital information system."""

    SECTION = SECTION
    DEFAULT_TOKEN_ENV = DEFAULT_TOKEN_ENV

    @classmethod
    def name(cls) -> str:
        return "his"

    def parse(self, data: Dict[str, Any]) -> ChatRequest:
        """The checked request fields; ``request_id`` is generated when absent."""
        return self._request(
            data, lambda: (message_field(data, self.max_message_length), metadata_field(data))
        )

    def parse_resume(self, data: Dict[str, Any]) -> ChatRequest:
        """``sender`` and optional ``request_id`` of a resume request; the text is the channel's own."""
        return self._request(data, lambda: (RESUME_TRIGGER, {"handoff_resume": True}))

    @staticmethod
    def _request(
        data: Dict[str, Any], fields: Callable[[], Tuple[str, Optional[Dict[str, Any]]]]
    ) -> ChatRequest:
        """``sender`` and ``request_id`` checked, then ``fields()`` (text, metadata); an error
        names the request's ``request_id`` when it had one."""
        request_id = id_field(data, "request_id", required=False)
        try:
            sender = id_field(data, "sender")
            text, metadata = fields()
        except RequestError as exc:
            exc.details.setdefault("request_id", request_id)
            raise
        request_id = request_id or uuid.uuid4().hex
        return ChatRequest(
            sender=sender,
            text=text,
            request_id=request_id,
            metadata={**(metadata or {}), "request_id": request_id},
        )

    async def respond_resume(self, request: Request, on_new_message: OnNewMessage) -> ChannelResponse:
        """Authorise, validate, and run ``/handoff_resume`` for the (namespaced) sender."""
        self.authorize(request)
        chat = self.parse_resume(parse_json_object(await read_body(request, self.max_body_bytes)))
        return self.reply(chat, await self.answer(chat, on_new_message))

    def reply(self, chat: ChatRequest, messages: List[Dict[str, Any]]) -> HTTPResponse:
        return json_response({"request_id": chat.request_id, "messages": messages})

    def refuse(self, error: RequestError, request: Request) -> HTTPResponse:
        request_id = error.details.pop("request_id", None)
        headers = {"WWW-Authenticate": 'Bearer realm="his"'} if error.status == 401 else None
        return error_response(
            error.status,
            error.code,
            error.message,
            headers=headers,
            details=error.details,
            request_id=request_id,
        )

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """A token-free health check, the webhook and the resume endpoint (mounted at /webhooks/his/)."""
        his = Blueprint("hospital_his_channel", __name__)

        @his.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return json_response({"status": "ok"})

        @his.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> ChannelResponse:
            return await self.handle(request, on_new_message)

        @his.route("/resume", methods=["POST"], stream=True)
        async def resume(request: Request) -> ChannelResponse:
            return await self.handle(request, on_new_message, self.respond_resume)

        json_errors(his)
        return his
