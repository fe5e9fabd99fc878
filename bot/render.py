"""The one reply renderer: jinja2 templates under ``templates/``, several variants each.

A template may hold several alternative replies separated by a line containing only
``---``; one is picked at random (``rng`` makes the choice reproducible in tests; the
environment variable ``DIALOGUE_SEED`` makes a whole process reproducible).
"""

from __future__ import annotations

import os
import random
from functools import lru_cache
from typing import Any, List, Optional

import jinja2

from core.paths import PROJECT_ROOT

TEMPLATE_DIR = PROJECT_ROOT / "templates"
VARIANT_SEPARATOR = "---"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )


def variants(name: str, **context: Any) -> list[str]:
    """Every variant of template ``name`` rendered with ``context``."""
    text = environment().get_template(name).render(**context)
    parts: List[str] = []
    current: List[str] = []
    for line in text.splitlines():
        if line.strip() == VARIANT_SEPARATOR:
            parts.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    parts.append("\n".join(current).strip())
    return [p for p in parts if p]


@lru_cache(maxsize=1)
def _process_rng() -> random.Random:
    """The variant chooser: seeded from ``DIALOGUE_SEED`` when set, else from the system."""
    seed = os.environ.get("DIALOGUE_SEED")
    return random.Random(int(seed)) if seed not in (None, "") else random.Random()


def render(name: str, rng: Optional[random.Random] = None, **context: Any) -> str:
    """One variant of template ``name`` (random, or chosen by ``rng``)."""
    options = variants(name, **context)
    if not options:
        raise ValueError(f"template {name!r} rendered no text")
    return (rng or _process_rng()).choice(options)


def has_template(name: str) -> bool:
    return (TEMPLATE_DIR / name).exists()
