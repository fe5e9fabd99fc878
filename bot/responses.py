"""The fixed texts of ``domain.yml``'s ``responses:``, read without Rasa.

Why: small talk, the fallback, "graph unavailable", the handoff texts and "service
unavailable" are domain responses: the actions only name them (``utter_message(response=…)``)
and the Rasa server picks a variation and fills its ``{variables}``. Two places still need
the texts themselves: the channels, which send ``utter_service_unavailable`` when the
dialogue engine is down, and the tests, which check what a patient would read. Both read
them here, from the same file, filled in the way Rasa fills them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Tuple

import yaml

from core.paths import PROJECT_ROOT

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"


@lru_cache(maxsize=1)
def domain_responses() -> Dict[str, Tuple[str, ...]]:
    """Response name -> the texts of its variations, as written in ``domain.yml``."""
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")) or {}
    return {
        name: tuple(str(v["text"]) for v in variations or [] if isinstance(v, dict) and v.get("text"))
        for name, variations in (domain.get("responses") or {}).items()
    }


def fill(text: str, variables: Dict[str, Any]) -> str:
    """``{name}`` replaced by ``variables[name]`` (unknown names stay, as Rasa leaves them)."""
    for name, value in variables.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def texts(name: str, **variables: Any) -> List[str]:
    """Every variation of response ``name``, filled; KeyError when the domain has no such response."""
    return [fill(text, variables) for text in domain_responses()[name]]
