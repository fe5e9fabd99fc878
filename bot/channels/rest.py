"""REST channel: Rasa's ``/webhooks/rest/webhook`` format, behind the project's request checks.

``POST /webhooks/rest/webhook`` ``{"sender", "message", "metadata"?}`` answers Rasa's list
``[{"recipient_id", "text"}, {"recipient_id", "custom"}, …]``; with ``?stream=true`` the
same messages come one JSON object per line as they are sent. ``GET /webhooks/rest/`` is
a health check.

Why not Rasa's own ``RestInput``: it reads the body with no size limit (Sanic's 100 MB),
assumes a dict of strings (an empty body, ``null``, a list or a number gave 500s), takes
``input_channel`` from the client (so a REST client could pose as another channel), lets
a failed dialogue answer ``[]`` and a failed stream hang forever, and shares conversations
with every other channel. This channel keeps its request and response format and goes
through :class:`bot.channels.base.ChatChannel` like the others: ``rest:``-namespaced
senders, the same validation, JSON errors, a polite ``service_unavailable`` message
instead of silence. With ``token_env`` set in ``credentials.yml`` it requires
``Authorization: Bearer <token>`` (recommended in production, or remove the section).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.rest import QueueOutputChannel
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.auth import TokenChannel
from bot.channels.base import ChannelResponse, ChatRequest
from bot.channels.dialogue import OnNewMessage, answer_into
from bot.channels.errors import json_errors, json_response
from bot.channels.validation import id_field, message_field, metadata_field

SECTION = "bot.channels.rest.RestInput"
_DONE = object()  # end of a streamed reply


class RestInput(TokenChannel):
    """Rasa's REST webhook format with namespaced senders, validation and an optional token."""

    SECTION = SECTION

    @classmethod
    def name(cls) -> str:
        return "rest"

    def parse(self, data: Dict[str, Any]) -> ChatRequest:
        """``sender``, ``message`` and optional ``metadata``; Rasa's ``input_channel`` field is ignored."""
        return ChatRequest(
            sender=id_field(data, "sender"),
            text=message_field(data, self.max_message_length),
            metadata=metadata_field(data),
        )

    @staticmethod
    def outward(message: Dict[str, Any], sender: str) -> Dict[str, Any]:
        """A collected message as the client sees it: its own sender id as ``recipient_id``."""
        return {**message, "recipient_id": sender}

    async def collect(
        self, chat: ChatRequest, on_new_message: OnNewMessage, output: CollectingOutputChannel
    ) -> None:
        """Run the dialogue into ``output`` (Rasa's REST format), safety net included."""
        await answer_into(
            output,
            on_new_message,
            chat.text,
            self.conversation_id(chat.sender),
            self.name(),
            chat.metadata,
            self.response_timeout,
        )

    async def respond(self, request: Request, on_new_message: OnNewMessage) -> ChannelResponse:
        chat = await self.read(request)
        if bool_arg(request, "stream", default=False):
            return response.stream(self.streamer(chat, on_new_message), content_type="text/event-stream")
        collector = CollectingOutputChannel()
        await self.collect(chat, on_new_message, collector)
        return json_response([self.outward(m, chat.sender) for m in collector.messages])

    def streamer(self, chat: ChatRequest, on_new_message: OnNewMessage) -> Any:
        """Writes each bot message as one JSON line as it is sent; always ends (timeout included)."""

        async def stream(resp: Any) -> None:
            queue: asyncio.Queue = asyncio.Queue()

            async def produce() -> None:
                try:
                    await self.collect(chat, on_new_message, QueueOutputChannel(queue))
                finally:
                    await queue.put(_DONE)

            task = asyncio.ensure_future(produce())
            try:
                while (item := await queue.get()) is not _DONE:
                    await resp.write(json.dumps(self.outward(item, chat.sender), ensure_ascii=False) + "\n")
            finally:
                await task

        return stream

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """A health check and the webhook (mounted at /webhooks/rest/)."""
        rest = Blueprint("hospital_rest_channel", __name__)

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return json_response({"status": "ok"})

        @rest.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> ChannelResponse:
            return await self.handle(request, on_new_message)

        json_errors(rest)
        return rest
