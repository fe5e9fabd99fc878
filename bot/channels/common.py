"""Code shared by the web widget and HIS channels.

Both channels take a JSON request, hand one user message to Rasa, and answer with the
bot's messages as ``{"text", "custom"}`` pairs. The helpers here do that once: reading
and checking the request body, collecting the bot's messages, and turning every failure
into a JSON error (``{"error": {"code", "message"}}``) instead of a stack trace.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

DEFAULT_MAX_MESSAGE_LENGTH = 1000
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_RESPONSE_TIMEOUT = 60.0
MAX_ID_LENGTH = 128


class ChannelConfigError(RasaException):
    """A channel's section in ``credentials.yml`` is invalid (raised at server start)."""


class RequestError(Exception):
    """A request the channel refuses; becomes a JSON error response with ``status``."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status: int, code: str, message: str, *, details: Optional[Mapping[str, Any]] = None,
                   headers: Optional[Dict[str, str]] = None, **top_level: Any) -> HTTPResponse:
    """The one JSON error shape of both channels.

    ``{"error": {"code", "message", **details}, **top_level}`` — ``details`` says what was
    wrong (``field``, ``max_length``); ``top_level`` carries e.g. the HIS ``request_id``.
    """
    body = {"error": {"code": code, "message": message, **(details or {})}, **top_level}
    return response.json(body, status=status, headers=headers, ensure_ascii=False)


def json_response(body: Any, status: int = 200) -> HTTPResponse:
    """JSON with Chinese text left readable (``ensure_ascii=False``)."""
    return response.json(body, status=status, ensure_ascii=False)


class PairedOutputChannel(CollectingOutputChannel):
    """Collects each bot message as one ``{"text", "custom"}`` object.

    Why: an action sends text and its ``custom`` payload in one ``utter_message``, but the
    base ``OutputChannel.send_response`` splits them into two messages (that is what the
    REST channel returns). Overriding ``send_response`` keeps them together, so clients
    never have to guess which payload belongs to which text.
    """

    @classmethod
    def name(cls) -> Text:
        return "paired_collector"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        paired: Dict[str, Any] = {"text": message.get("text"), "custom": message.get("custom")}
        for extra in ("buttons", "quick_replies", "image", "attachment", "elements"):
            if message.get(extra):
                paired[extra] = message[extra]
        self.messages.append(paired)


def read_json_object(request: Request, max_body_bytes: int) -> Dict[str, Any]:
    """The request body as a JSON object; 413 if too large, 400 if not a JSON object."""
    body = request.body or b""
    if len(body) > max_body_bytes:
        raise RequestError(413, "body_too_large", f"request body over {max_body_bytes} bytes",
                           max_body_bytes=max_body_bytes)
    if not body.strip():
        raise RequestError(400, "malformed_json", "request body is empty; expected a JSON object")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(400, "malformed_json", f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RequestError(400, "malformed_json", "request body must be a JSON object")
    return data


def string_field(data: Mapping[str, Any], name: str, *, required: bool = True,
                 max_length: Optional[int] = MAX_ID_LENGTH, too_long_status: int = 400) -> Optional[str]:
    """Field ``name`` as a non-blank string of at most ``max_length`` characters.

    A missing optional field gives ``None``; a wrong type or a blank value is a 400; a value
    over ``max_length`` is ``too_long_status`` (413 for the user's message, 400 for ids).
    """
    value = data.get(name)
    if value is None:
        if required:
            raise RequestError(400, "missing_field", f"field '{name}' is required", field=name)
        return None
    if not isinstance(value, str):
        raise RequestError(400, "invalid_field", f"field '{name}' must be a string", field=name)
    if not value.strip():
        raise RequestError(400, "invalid_field", f"field '{name}' must not be blank", field=name)
    if max_length is not None and len(value) > max_length:
        code = "message_too_long" if too_long_status == 413 else "invalid_field"
        raise RequestError(too_long_status, code,
                           f"field '{name}' is {len(value)} characters; the limit is {max_length}",
                           field=name, max_length=max_length)
    return value


async def collect_replies(on_new_message: OnNewMessage, text: str, sender_id: str, input_channel: str,
                          metadata: Optional[Dict[str, Any]], timeout: float) -> List[Dict[str, Any]]:
    """Run one user message through Rasa and return the bot's paired messages.

    Raises ``RequestError`` 504 when the dialogue takes longer than ``timeout`` seconds and
    500 (logged with its traceback, which the client does not see) when it fails.
    """
    collector = PairedOutputChannel()
    message = UserMessage(text, collector, sender_id, input_channel=input_channel, metadata=metadata)
    try:
        await asyncio.wait_for(on_new_message(message), timeout=timeout)
    except asyncio.TimeoutError:
        logger.error("%s: no reply for sender %s within %.0f s", input_channel, sender_id, timeout)
        raise RequestError(504, "timeout", f"the dialogue engine did not answer within {timeout:g} s") from None
    except Exception:  # any failure inside Rasa or the action server: log it, answer JSON
        logger.exception("%s: handling a message from sender %s failed", input_channel, sender_id)
        raise RequestError(500, "internal_error", "the dialogue engine failed; see the server log") from None
    return collector.messages


def positive_number(config: Mapping[str, Any], key: str, default: float, *, integer: bool = True) -> Any:
    """``config[key]`` (or ``default``) checked to be a positive number; clear error otherwise."""
    value = config.get(key, default)
    if value is None:
        value = default
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
        raise ChannelConfigError(f"credentials.yml: '{key}' must be a positive "
                                 f"{'integer' if integer else 'number'}, got {value!r}")
    return value


# The per-request limits both channels read from their credentials.yml section.
LIMIT_SETTINGS = frozenset({"max_message_length", "max_body_bytes", "response_timeout"})


def read_limits(config: Mapping[str, Any]) -> Dict[str, Any]:
    """The checked request limits of a channel's settings, as keyword arguments."""
    return {
        "max_message_length": positive_number(config, "max_message_length", DEFAULT_MAX_MESSAGE_LENGTH),
        "max_body_bytes": positive_number(config, "max_body_bytes", DEFAULT_MAX_BODY_BYTES),
        "response_timeout": positive_number(config, "response_timeout", DEFAULT_RESPONSE_TIMEOUT,
                                            integer=False),
    }


def check_known_keys(section: str, config: Mapping[str, Any], known: set) -> None:
    """Refuse misspelled settings instead of silently ignoring them."""
    unknown = sorted(set(config) - known)
    if unknown:
        raise ChannelConfigError(f"credentials.yml section '{section}': unknown settings {unknown}; "
                                 f"known: {sorted(known)}")
