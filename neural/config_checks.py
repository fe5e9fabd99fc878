"""Checks of component settings, shared by every NLU component (intents/, slots/, neural/).

Why: each component refuses a bad ``config.yml`` value with Rasa's ``InvalidConfigException``
naming the component, the key and the value; the same five rules (a share in [0, 1], a count
of at least 1, a non-negative number, names from a known list, a yes/no switch) were written out in every
component. They are written once here, with one wording.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable

from rasa.shared.exceptions import InvalidConfigException


def unit_interval(config: Dict[str, Any], owner: str, *keys: str) -> None:
    """Each ``config[key]`` is a number in [0, 1]."""
    for key in keys:
        if not 0 <= float(config[key]) <= 1:
            raise InvalidConfigException(f"{owner}: {key} must be in [0, 1], not {config[key]!r}")


def at_least_one(config: Dict[str, Any], owner: str, *keys: str) -> None:
    """Each ``config[key]`` is a whole number of at least 1."""
    for key in keys:
        if int(config[key]) < 1:
            raise InvalidConfigException(f"{owner}: {key} must be at least 1, not {config[key]!r}")


def not_negative(config: Dict[str, Any], owner: str, *keys: str) -> None:
    """Each ``config[key]`` is a number of at least 0."""
    for key in keys:
        if float(config[key]) < 0:
            raise InvalidConfigException(f"{owner}: {key} must not be negative, not {config[key]!r}")


def boolean(config: Dict[str, Any], owner: str, *keys: str) -> None:
    """Each ``config[key]`` is ``true`` or ``false`` (not a string such as "no")."""
    for key in keys:
        if not isinstance(config[key], bool):
            raise InvalidConfigException(f"{owner}: {key} must be true or false, not {config[key]!r}")


def known(owner: str, key: str, values: Iterable[str], allowed: Iterable[str]) -> None:
    """Every name in ``values`` (the setting ``key``) is one of ``allowed``."""
    allowed = list(allowed)
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise InvalidConfigException(f"{owner}: unknown {key} {unknown}; use {allowed}")
