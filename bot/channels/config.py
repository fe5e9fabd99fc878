"""The settings every channel reads from its ``credentials.yml`` section: the request
limits, checked, and no misspelled key ignored.

Why: a limit of ``"1000"`` or a ``max_mesage_length`` typo should stop the server at
start with a clear message, not silently fall back to a default.
"""

from __future__ import annotations

from typing import AbstractSet, Any, Dict, Mapping

from bot.channels.errors import ChannelConfigError

DEFAULT_MAX_MESSAGE_LENGTH = 1000
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_RESPONSE_TIMEOUT = 60.0


def positive_number(config: Mapping[str, Any], key: str, default: float, *, integer: bool = True) -> Any:
    """``config[key]`` (or ``default``) checked to be a positive number; clear error otherwise."""
    value = config.get(key, default)
    if value is None:
        value = default
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
        raise ChannelConfigError(
            f"credentials.yml: '{key}' must be a positive {'integer' if integer else 'number'}, got {value!r}"
        )
    return value


# The per-request limits every channel reads from its credentials.yml section.
LIMIT_SETTINGS = frozenset({"max_message_length", "max_body_bytes", "response_timeout"})


def read_limits(config: Mapping[str, Any]) -> Dict[str, Any]:
    """The checked request limits of a channel's settings, as keyword arguments."""
    return {
        "max_message_length": positive_number(config, "max_message_length", DEFAULT_MAX_MESSAGE_LENGTH),
        "max_body_bytes": positive_number(config, "max_body_bytes", DEFAULT_MAX_BODY_BYTES),
        "response_timeout": positive_number(
            config, "response_timeout", DEFAULT_RESPONSE_TIMEOUT, integer=False
        ),
    }


def check_known_keys(section: str, config: Mapping[str, Any], known: AbstractSet[str]) -> None:
    """Refuse misspelled settings instead of silently ignoring them."""
    unknown = sorted(set(config) - known)
    if unknown:
        raise ChannelConfigError(
            f"credentials.yml section '{section}': unknown settings {unknown}; known: {sorted(known)}"
        )
