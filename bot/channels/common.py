"""The one request validator and reply machinery of every channel (web widget, HIS, REST).

Why: a channel is the edge where hostile or broken input arrives, so all of them check it
the same way, once: the body size before the body is read whole, a JSON object of bounded
depth, ``sender`` and ``message`` strings, the message length, control characters and
lone surrogates removed, text typed as ``/intent{...}`` neutralised, and each channel's
sender ids kept in their own namespace (``web:…``, ``his:…``, ``rest:…``) so no channel
can read or continue another's conversation. Every refusal is a JSON 4xx
(``{"error": {"code", "message"}}``); a failure or a timeout inside the dialogue engine
becomes a polite ``service_unavailable`` bot message, never a 5xx or a stack trace.

:class:`ChatChannel` is the base of the three channels: a subclass says how it
authenticates, which fields it reads and how its reply looks.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import random
from functools import lru_cache
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, FrozenSet, List, Mapping, Optional, Text, Tuple

import yaml

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.actions.payload import build_payload
from safety.text import clean_text

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

DEFAULT_MAX_MESSAGE_LENGTH = 1000
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_RESPONSE_TIMEOUT = 60.0
MAX_ID_LENGTH = 128
# Deepest nesting of objects/arrays accepted in a body ({"metadata": {"a": [1]}} is 3).
MAX_JSON_DEPTH = 8
# The only intent triggers a client may send: the payloads of the bot's own buttons.
BUTTON_PAYLOADS: FrozenSet[str] = frozenset({"/accept", "/deny"})
# Rasa reads text starting with this prefix as "/intent{entities}" and skips the NLU.
INTENT_PREFIX = "/"
# What replaces that prefix in text a user typed: the full-width solidus reads the same.
NEUTRAL_PREFIX = "\uff0f"
# Said when the dialogue engine fails or does not answer in time (never silence, never a 5xx):
# the variations of this response in domain.yml, and this text should domain.yml be unreadable.
SERVICE_UNAVAILABLE_RESPONSE = "utter_service_unavailable"
DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"
SERVICE_UNAVAILABLE_TEXT = ("抱歉，系统暂时无法回答您的问题，请稍后再试。"
                            "如有胸痛、呼吸困难、意识不清、大出血等紧急情况，请立即拨打120或前往最近医院的急诊。")


class ChannelConfigError(RasaException):
    """A channel's section in ``credentials.yml`` is invalid (raised at server start)."""


class RequestError(Exception):
    """A request the channel refuses; becomes a JSON error response with ``status``."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status: int, code: str, message: str, *, details: Optional[Mapping[str, Any]] = None,
                   headers: Optional[Dict[str, str]] = None, **top_level: Any) -> HTTPResponse:
    """The one JSON error shape of every channel.

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


# ---------------------------------------------------------------------------------- body
async def read_body(request: Request, max_body_bytes: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``max_body_bytes``.

    On a streamed route (``stream=True``) the body is read chunk by chunk and reading stops
    at the limit; a ``Content-Length`` over the limit is refused before anything is read.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_body_bytes:
        raise _too_large(max_body_bytes)
    if request.stream is None:  # the body was read by Sanic already (non-streamed route)
        body = request.body or b""
        if len(body) > max_body_bytes:
            raise _too_large(max_body_bytes)
        return body
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > max_body_bytes:
            raise _too_large(max_body_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_body_bytes: int) -> RequestError:
    return RequestError(413, "body_too_large", f"request body over {max_body_bytes} bytes",
                        max_body_bytes=max_body_bytes)


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), computed without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
            deepest = max(deepest, depth + 1)
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
            deepest = max(deepest, depth + 1)
    return deepest


def parse_json_object(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Dict[str, Any]:
    """``body`` as a JSON object (UTF-8, at most ``max_depth`` levels deep); 400 otherwise."""
    if not body.strip():
        raise RequestError(400, "malformed_json", "request body is empty; expected a JSON object")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise RequestError(400, "malformed_json", "request body is not valid UTF-8") from None
    except RecursionError:
        raise _too_deep(max_depth) from None
    except ValueError as exc:
        raise RequestError(400, "malformed_json", f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RequestError(400, "malformed_json", "request body must be a JSON object")
    if json_depth(data) > max_depth:
        raise _too_deep(max_depth)
    return data


def _too_deep(max_depth: int) -> RequestError:
    return RequestError(400, "malformed_json", f"request body is nested deeper than {max_depth} levels",
                        max_depth=max_depth)


# ---------------------------------------------------------------------------------- text
def neutralise_commands(text: str, allowed: FrozenSet[str] = BUTTON_PAYLOADS) -> str:
    """Text a user typed stays text: a leading ``/`` is replaced unless the message is a button payload.

    Why: Rasa reads ``/diagnosis{"disease": …}`` as an intent with entities and skips the
    NLU, so anybody could set any slot to any value. Only the bot's own button payloads
    (``/accept``, ``/deny``, no entities) still reach Rasa as intents.
    """
    stripped = text.strip()
    if stripped in allowed:
        return stripped
    if not stripped.startswith(INTENT_PREFIX):
        return text
    at = text.index(INTENT_PREFIX)  # the leading one: only whitespace comes before it
    return text[:at] + NEUTRAL_PREFIX + text[at + 1:]


def namespaced(channel: str, sender: str) -> str:
    """The conversation id of ``sender`` in ``channel``: channels never share a conversation."""
    return f"{channel}:{sender}"


# ---------------------------------------------------------------------------------- fields
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


def id_field(data: Mapping[str, Any], name: str, *, required: bool = True) -> Optional[str]:
    """An identifier (``sender``, ``request_id``): a printable string of at most 128 characters."""
    value = string_field(data, name, required=required)
    if value is not None and (clean_text(value) != value or any(ch.isspace() for ch in value)):
        raise RequestError(400, "invalid_field",
                           f"field '{name}' must not contain spaces or control characters", field=name)
    return value


def message_field(data: Mapping[str, Any], max_length: int) -> str:
    """The user's message: a string of at most ``max_length`` characters, cleaned, not blank after cleaning."""
    raw = string_field(data, "message", max_length=max_length, too_long_status=413)
    text = clean_text(raw or "")
    if not text.strip():
        raise RequestError(400, "invalid_field", "field 'message' has no printable characters", field="message")
    return neutralise_commands(text)


def metadata_field(data: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """Optional ``metadata``: a JSON object (its depth is bounded by the body's)."""
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestError(400, "invalid_field", "field 'metadata' must be a JSON object", field="metadata")
    return metadata


# ---------------------------------------------------------------------------------- config
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


# The per-request limits every channel reads from its credentials.yml section.
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


# ---------------------------------------------------------------------------------- tokens
def read_token(section: str, token_env: Any) -> Optional[str]:
    """The bearer token from the environment variable ``token_env`` (None, with a warning, when unset)."""
    if not isinstance(token_env, str) or not token_env:
        raise ChannelConfigError(f"credentials.yml: 'token_env' must be a variable name, got {token_env!r}")
    token = os.environ.get(token_env, "")
    if not token:
        logger.warning("%s: environment variable %s is unset or empty; this channel will answer "
                       "503 not_configured to every request", section, token_env)
    return token or None


def check_bearer(request: Request, token: Optional[bytes], token_env: str, channel: str) -> None:
    """503 when no token is configured, 401 unless ``Authorization: Bearer`` matches (constant time)."""
    if token is None:
        raise RequestError(503, "not_configured",
                           f"the {channel} channel is disabled: {token_env} is not set on the server")
    scheme, _, presented = (request.headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise RequestError(401, "unauthorized", "missing 'Authorization: Bearer <token>' header")
    try:  # header bytes that are not UTF-8 reach us as escaped surrogates: compare the raw bytes
        presented_bytes = presented.strip().encode("utf-8", errors="surrogateescape")
    except UnicodeError:
        raise RequestError(401, "unauthorized", "invalid token") from None
    if not hmac.compare_digest(presented_bytes, token):
        raise RequestError(401, "unauthorized", "invalid token")


# ---------------------------------------------------------------------------------- dialogue
@lru_cache(maxsize=1)
def service_unavailable_texts() -> Tuple[str, ...]:
    """The variations of ``utter_service_unavailable`` (domain.yml), the contact filled in."""
    try:
        domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")) or {}
        variations = (domain.get("responses") or {}).get(SERVICE_UNAVAILABLE_RESPONSE) or []
        from bot.settings import load_settings

        contact = load_settings().hospital_contact
        texts = tuple(str(v["text"]).replace("{hospital_contact}", contact) for v in variations if v.get("text"))
    except Exception:  # never fail on the path that answers failures
        logger.exception("cannot read %s from %s", SERVICE_UNAVAILABLE_RESPONSE, DOMAIN_FILE)
        texts = ()
    return texts or (SERVICE_UNAVAILABLE_TEXT,)


def service_unavailable_message() -> Dict[str, Any]:
    """The bot message a channel sends itself when the dialogue engine failed or timed out."""
    return {"text": random.choice(service_unavailable_texts()), "custom": build_payload("service_unavailable")}


def emergency_message(text: str) -> Optional[Dict[str, Any]]:
    """The emergency advice for ``text`` when it has red flags (``bot/emergency_rules.yml``), else None.

    Why here too: the actions give this advice first on every message, but when the action
    server is down or hung Rasa answers nothing, and the advice to call 120 must still reach
    the patient. Rules and template are the actions' own, so both paths say the same.
    """
    from bot.actions.emergency import red_flags
    from bot.render import render
    from bot.settings import load_settings

    settings = load_settings()
    categories = red_flags(text, settings)
    if not categories:
        return None
    reply = render("emergency.j2", bot_name=settings.bot_name, disease=None, items=categories, departments=[],
                   categories=categories)
    return {"text": reply, "custom": build_payload("emergency", items=categories)}


def safety_net(text: str, sent: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """What a channel adds itself when the dialogue failed, timed out or said nothing.

    The emergency advice (unless it was already sent) and the ``service_unavailable``
    message, so the patient is never left without a reply.
    """
    added: List[Dict[str, Any]] = []
    already = any((m.get("custom") or {}).get("strategy") == "emergency" for m in sent)
    try:
        emergency = None if already else emergency_message(text)
    except Exception:  # the safety net itself must not fail: the 120 line is in the text below
        logger.exception("emergency check in the channel failed")
        emergency = None
    if emergency:
        added.append(emergency)
    added.append(service_unavailable_message())
    return added


async def run_dialogue(on_new_message: OnNewMessage, output: OutputChannel, text: str, sender_id: str,
                       input_channel: str, metadata: Optional[Dict[str, Any]], timeout: float) -> bool:
    """Run one user message through Rasa into ``output``; False when it failed or timed out.

    The failure is logged with its traceback (the client never sees it); the caller then
    adds :func:`safety_net`'s messages so the patient is never left without a reply.
    """
    message = UserMessage(text, output, sender_id, input_channel=input_channel, metadata=metadata)
    try:
        await asyncio.wait_for(on_new_message(message), timeout=timeout)
        return True
    except asyncio.TimeoutError:
        logger.error("%s: no reply for sender %s within %.0f s", input_channel, sender_id, timeout)
    except Exception:  # any failure inside Rasa or the action server: log it, answer politely
        logger.exception("%s: handling a message from sender %s failed", input_channel, sender_id)
    return False


class _Tee(CollectingOutputChannel):
    """Sends each bot message on to ``output`` and records it paired (to know what was said)."""

    def __init__(self, output: OutputChannel, record: PairedOutputChannel) -> None:
        super().__init__()
        self.output, self.record = output, record

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await self.record.send_response(recipient_id, message)
        await self.output.send_response(recipient_id, message)


async def answer_into(output: OutputChannel, on_new_message: OnNewMessage, text: str, sender_id: str,
                      input_channel: str, metadata: Optional[Dict[str, Any]], timeout: float) -> None:
    """Run one user message through Rasa into ``output``, never leaving the patient without a reply.

    When the dialogue fails, times out or sends nothing (Rasa answers nothing when the
    action server is down), :func:`safety_net`'s messages follow what was sent, through the
    same ``output`` (paired for the web and HIS channels, Rasa's format for REST).
    """
    sent = PairedOutputChannel()
    ok = await run_dialogue(on_new_message, _Tee(output, sent), text, sender_id, input_channel, metadata,
                            timeout)
    if ok and sent.messages:
        return
    if ok:
        logger.error("%s: the dialogue engine sent nothing to sender %s (action server down?)",
                     input_channel, sender_id)
    for message in safety_net(text, sent.messages):
        await output.send_response(sender_id, message)


async def collect_replies(on_new_message: OnNewMessage, text: str, sender_id: str, input_channel: str,
                          metadata: Optional[Dict[str, Any]], timeout: float) -> List[Dict[str, Any]]:
    """The bot's paired ``{"text", "custom"}`` messages for one user message (see :func:`answer_into`)."""
    collector = PairedOutputChannel()
    await answer_into(collector, on_new_message, text, sender_id, input_channel, metadata, timeout)
    return collector.messages


# ---------------------------------------------------------------------------------- channel
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

    def __init__(self, max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 response_timeout: float = DEFAULT_RESPONSE_TIMEOUT) -> None:
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
        return await collect_replies(on_new_message, chat.text, self.conversation_id(chat.sender), self.name(),
                                     chat.metadata, self.response_timeout)

    def reply(self, chat: ChatRequest, messages: List[Dict[str, Any]]) -> HTTPResponse:
        return json_response({"messages": messages})

    def refuse(self, error: RequestError, request: Request) -> HTTPResponse:
        return error_response(error.status, error.code, error.message, details=error.details)

    async def respond(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """Validate, run the dialogue, and turn it into a response (override for streaming)."""
        chat = await self.read(request)
        return self.reply(chat, await self.answer(chat, on_new_message))

    async def handle(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """:meth:`respond`, with every refusal a JSON 4xx and every bug a polite JSON reply."""
        try:
            return await self.respond(request, on_new_message)
        except RequestError as exc:
            return self.refuse(exc, request)
        except Exception:  # a bug in this channel: log it, still answer JSON without details
            logger.exception("%s channel: unexpected failure", self.name())
            return json_response({"messages": [service_unavailable_message()]})


class TokenChannel(ChatChannel):
    """A channel behind ``Authorization: Bearer <token>``, the token read from the variable ``token_env``.

    With ``DEFAULT_TOKEN_ENV`` set (HIS) the token is always required; without it (REST)
    only when the section names ``token_env``. A required token whose variable is unset
    closes the channel (503 ``not_configured``): it never opens it.
    """

    DEFAULT_TOKEN_ENV: Optional[str] = None
    SETTINGS: FrozenSet[str] = frozenset({"token_env"}) | LIMIT_SETTINGS

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TokenChannel":
        config = dict(credentials or {})
        check_known_keys(cls.SECTION, config, cls.SETTINGS)
        token_env = config.get("token_env") or cls.DEFAULT_TOKEN_ENV
        token = read_token(cls.SECTION, token_env) if token_env is not None else None
        return cls(token=token, token_env=token_env, require_token=token_env is not None, **read_limits(config))

    def __init__(self, token: Optional[str] = None, token_env: Optional[str] = None,
                 require_token: Optional[bool] = None, **limits: Any) -> None:
        super().__init__(**limits)
        self.token = token.encode("utf-8") if token else None
        self.token_env = token_env or self.DEFAULT_TOKEN_ENV or ""
        if require_token is None:
            require_token = token is not None or self.DEFAULT_TOKEN_ENV is not None
        self.require_token = require_token

    def authorize(self, request: Request) -> None:
        """503 when a required token is not configured, 401 unless the bearer token matches."""
        if self.require_token:
            check_bearer(request, self.token, self.token_env, self.name().upper())


def json_errors(blueprint: Any) -> None:
    """Make Sanic's own errors (404, 405, a body over Sanic's limit) JSON for the whole app."""

    @blueprint.listener("before_server_start")
    async def _json_fallback(app: Any, _loop: Any) -> None:
        app.config.FALLBACK_ERROR_FORMAT = "json"
