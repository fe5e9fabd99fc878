"""The base of the project's chat channels (web widget, HIS, REST).

:class:`ChatChannel` puts the pieces together: authorise (a subclass's job), read and
validate the body (:mod:`bot.channels.validation`), run the dialogue with its safety net
(:mod:`bot.channels.dialogue`), answer JSON, and turn every refusal into a JSON 4xx
(:mod:`bot.channels.errors`). A subclass says how it authenticates, which fields it reads
and how its reply looks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, FrozenSet, List, Optional, Union

from rasa.core.channels.channel import InputChannel
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.channels.config import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_MESSAGE_LENGTH,
    DEFAULT_RESPONSE_TIMEOUT,
    LIMIT_SETTINGS,
)
from bot.channels.dialogue import OnNewMessage, collect_replies, service_unavailable_message
from bot.channels.errors import RequestError, error_response, json_response
from bot.channels.validation import id_field, message_field, namespaced, parse_json_object, read_body

logger = logging.getLogger(__name__)

# What a channel's webhook answers: a JSON response, or (REST with ``?stream=true``) a stream.
ChannelResponse = Union[HTTPResponse, ResponseStream]
Responder = Callable[[Request, OnNewMessage], Awaitable[ChannelResponse]]


@dataclass
class ChatRequest:
    """One validated chat request: who (as the client named it), what, and extras."""

    sender: str
    text: str
    metadata: Optional[Dict[str, Any]] = None
    request_id: Optional[str] = None
    extras: Dict[str, Any] = field(default_factory=dict)


class ChatChannel(InputChannel):
    """Base of the project's channels: one validation path, namespaced senders, JSON errors.

    A subclass sets ``SECTION`` and ``SETTINGS``, and may override :meth:`authorize`,
    :meth:`parse` (which fields it reads), :meth:`check_sender`, :meth:`reply` (the
    response body) and :meth:`refuse` (the error response).
    """

    SECTION = ""
    SETTINGS: FrozenSet[str] = LIMIT_SETTINGS

    def __init__(
        self,
        max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        response_timeout: float = DEFAULT_RESPONSE_TIMEOUT,
    ) -> None:
        self.max_message_length = max_message_length
        self.max_body_bytes = max_body_bytes
        self.response_timeout = response_timeout

    def authorize(self, request: Request) -> None:
        """Raise ``RequestError`` when the request may not use this channel (default: anyone may)."""

    def check_sender(self, sender: str) -> None:
        """Raise ``RequestError`` for a sender id this channel does not accept (default: any id)."""

    def parse(self, data: Dict[str, Any]) -> ChatRequest:
        """The request's fields: ``sender`` and ``message``."""
        sender = id_field(data, "sender")
        self.check_sender(sender)
        return ChatRequest(sender=sender, text=message_field(data, self.max_message_length))

    async def read(self, request: Request) -> ChatRequest:
        """Authorise, then read and validate the body."""
        self.authorize(request)
        return self.parse(parse_json_object(await read_body(request, self.max_body_bytes)))

    def conversation_id(self, sender: str) -> str:
        return namespaced(self.name(), sender)

    async def answer(self, chat: ChatRequest, on_new_message: OnNewMessage) -> List[Dict[str, Any]]:
        """The paired bot messages for ``chat`` (never empty of a reply when the engine fails)."""
        return await collect_replies(
            on_new_message,
            chat.text,
            self.conversation_id(chat.sender),
            self.name(),
            chat.metadata,
            self.response_timeout,
        )

    def reply(self, chat: ChatRequest, messages: List[Dict[str, Any]]) -> HTTPResponse:
        return json_response({"messages": messages})

    def refuse(self, error: RequestError, request: Request) -> HTTPResponse:
        return error_response(error.status, error.code, error.message, details=error.details)

    async def respond(self, request: Request, on_new_message: OnNewMessage) -> ChannelResponse:
        """Validate, run the dialogue, and turn it into a response (override for streaming)."""
        chat = await self.read(request)
        return self.reply(chat, await self.answer(chat, on_new_message))

    async def handle(
        self, request: Request, on_new_message: OnNewMessage, responder: Optional[Responder] = None
    ) -> ChannelResponse:
        """:meth:`respond` (or ``responder``), with every refusal a JSON 4xx and every bug a polite JSON reply."""
        try:
            return await (responder or self.respond)(request, on_new_message)
        except RequestError as exc:
            return self.refuse(exc, request)
        except Exception:  # a bug in this channel: log it, still answer JSON without details
            logger.exception("%s channel: unexpected failure", self.name())
            return json_response({"messages": [service_unavailable_message()]})
