"""Three fixes to Rasa 3.6, installed in every Rasa process this project starts: its use of
jsonschema (below), its prediction graph's scheduler (``bot/graph_runner.py``) and
``Domain.is_empty`` (at the end).

Why: ``jsonschema.validate(instance, schema)`` checks the *schema* against its meta-schema
and builds a new validator on every call. Rasa 3.6 calls it with constant schemas on hot
paths: for every action server reply (``RemoteAction._validate_action_result``, the whole
events schema: measured 25-55 ms per call on this machine, more than the rest of a turn),
for every ``[surface]{"entity": ...}`` annotation each time the NLU data is read (1,600 in
``data/nlu``: 8.5 s per read, and ``rasa train`` reads it several times), and for the events
posted to the HTTP API. ``install`` replaces ``jsonschema.validate`` with the same function
over a validator compiled once per schema: the schema is still checked (once), every instance
is still validated and the same exception (the ``best_match`` error) is raised, so nothing
that was rejected is accepted now. Rasa imports ``validate`` inside the functions that call
it, so replacing the module attribute reaches all of them.

Where it is installed: ``python -m bot rasa ...`` (what the Makefile's ``train``, ``validate``
and ``test`` and ``python -m bot serve`` run) and ``bot.channels`` (so a plain ``rasa run``
with this project's ``credentials.yml`` gets it too). ``python -m bot bench turns`` measures
the turn with it.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Dict, Tuple

import jsonschema
from rasa.shared.core.domain import Domain

_original_validate: Callable[..., None] = jsonschema.validate
_compiled: Dict[str, Any] = {}
_by_identity: Dict[int, Tuple[Any, Any]] = {}  # id(schema) -> (schema, validator): same object, no key
_lock = threading.Lock()
MAX_SCHEMAS = 256  # distinct schemas kept (Rasa uses a handful); beyond that, validate as before


def _validator_for(schema: Any) -> Any:
    cached = _by_identity.get(id(schema))
    if cached is not None and cached[0] is schema:  # a module constant: no key to build
        return cached[1]
    key = json.dumps(schema, sort_keys=True, default=str)  # a schema rebuilt per call (Rasa's action spec)
    validator = _compiled.get(key)
    if validator is not None:
        return validator
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)  # raises SchemaError for a bad schema, as validate() does
    validator = cls(schema)
    with _lock:
        if len(_compiled) < MAX_SCHEMAS:  # the first object of each schema is kept (bounded)
            _compiled[key] = validator
            _by_identity[id(schema)] = (schema, validator)
    return validator


def cached_validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
    """``jsonschema.validate`` with the schema checked and compiled once."""
    if cls is not None or args or kwargs or not isinstance(schema, dict):
        return _original_validate(instance, schema, cls, *args, **kwargs)
    error = jsonschema.exceptions.best_match(_validator_for(schema).iter_errors(instance))
    if error is not None:
        raise error
    return None


# ``Domain.is_empty`` compares the domain with ``Domain.empty()``, which it builds anew each
# time (0.2-0.3 ms: a whole Domain from an empty dict). The processor asks it for every parsed
# message (``MessageProcessor._check_for_unseen_features``). The empty domain is a constant:
# it is built once, and the comparison is the same.
_original_is_empty: Callable[[Domain], bool] = Domain.is_empty
_EMPTY_DOMAIN: Dict[str, Any] = {}


def cached_is_empty(domain: Domain) -> bool:
    """``Domain.is_empty`` against an empty domain's dictionary built once."""
    if not _EMPTY_DOMAIN:
        _EMPTY_DOMAIN.update(Domain.empty().as_dict())
    return domain.as_dict() == _EMPTY_DOMAIN


def install() -> None:
    """Replace ``jsonschema.validate`` and ``Domain.is_empty`` in this process, and serve models
    with the sequential graph runner (``bot/graph_runner.py``) (idempotent)."""
    from bot import graph_runner

    jsonschema.validate = cached_validate
    Domain.is_empty = cached_is_empty
    graph_runner.install()


def installed() -> bool:
    from bot import graph_runner

    return (
        jsonschema.validate is cached_validate
        and Domain.is_empty is cached_is_empty
        and graph_runner.installed()
    )
