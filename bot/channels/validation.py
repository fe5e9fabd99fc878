"""The one request validator of every channel: body, JSON, fields and the text itself.

Why: a channel is the edge where hostile or broken input arrives, so all of them check it
the same way, once: the body size before the body is read whole, a JSON object of bounded
depth, ``sender`` and ``message`` strings, the message length, control characters and
lone surrogates removed, text typed as ``/intent{...}`` neutralised, and each channel's
sender ids kept in their own namespace (``web:…``, ``his:…``, ``rest:…``) so no channel
can read or continue another's conversation. Every refusal is a :class:`RequestError`.
"""

from __future__ import annotations

import json
from typing import Any, Dict, FrozenSet, List, Literal, Mapping, Optional, overload

from sanic.request import Request

from bot.actions.payload import CLARIFY_BUTTONS
from bot.channels.errors import RequestError
from safety.text import clean_text

MAX_ID_LENGTH = 128
# Deepest nesting of objects/arrays accepted in a body ({"metadata": {"a": [1]}} is 3).
MAX_JSON_DEPTH = 8
# The only intent triggers a client may send: the payloads of the bot's own buttons.
BUTTON_PAYLOADS: FrozenSet[str] = frozenset(button["payload"] for button in CLARIFY_BUTTONS)
# Rasa reads text starting with this prefix as "/intent{entities}" and skips the NLU.
INTENT_PREFIX = "/"
# What replaces that prefix in text a user typed: the full-width solidus reads the same.
NEUTRAL_PREFIX = "\uff0f"


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
    return RequestError(
        413, "body_too_large", f"request body over {max_body_bytes} bytes", max_body_bytes=max_body_bytes
    )


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
    return RequestError(
        400, "malformed_json", f"request body is nested deeper than {max_depth} levels", max_depth=max_depth
    )


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
    return text[:at] + NEUTRAL_PREFIX + text[at + 1 :]


def namespaced(channel: str, sender: str) -> str:
    """The conversation id of ``sender`` in ``channel``: channels never share a conversation."""
    return f"{channel}:{sender}"


# ---------------------------------------------------------------------------------- fields
def string_field(
    data: Mapping[str, Any],
    name: str,
    *,
    required: bool = True,
    max_length: Optional[int] = MAX_ID_LENGTH,
    too_long_status: int = 400,
) -> Optional[str]:
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
        raise RequestError(
            too_long_status,
            code,
            f"field '{name}' is {len(value)} characters; the limit is {max_length}",
            field=name,
            max_length=max_length,
        )
    return value


@overload
def id_field(data: Mapping[str, Any], name: str, *, required: Literal[True] = ...) -> str: ...


@overload
def id_field(data: Mapping[str, Any], name: str, *, required: bool) -> Optional[str]: ...


def id_field(data: Mapping[str, Any], name: str, *, required: bool = True) -> Optional[str]:
    """An identifier (``sender``, ``request_id``): a printable string of at most 128 characters."""
    value = string_field(data, name, required=required)
    if value is not None and (clean_text(value) != value or any(ch.isspace() for ch in value)):
        raise RequestError(
            400, "invalid_field", f"field '{name}' must not contain spaces or control characters", field=name
        )
    return value


def message_field(data: Mapping[str, Any], max_length: int) -> str:
    """The user's message: a string of at most ``max_length`` characters, cleaned, not blank after cleaning."""
    raw = string_field(data, "message", max_length=max_length, too_long_status=413)
    text = clean_text(raw or "")
    if not text.strip():
        raise RequestError(
            400, "invalid_field", "field 'message' has no printable characters", field="message"
        )
    return neutralise_commands(text)


def metadata_field(data: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """Optional ``metadata``: a JSON object (its depth is bounded by the body's)."""
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestError(400, "invalid_field", "field 'metadata' must be a JSON object", field="metadata")
    return metadata
