"""Small text helpers shared by the modules: cleaning names, Rasa entity markup, a stable hash.

Why: the graph reader, the template reader and the renderer must agree on which
characters a name may hold and how an entity is written, or a filled example would
break Rasa's markdown-like entity syntax.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Iterable, List, Optional

PLACEHOLDER_RE = re.compile(r"\{([A-Za-z0-9_]+)\}")
# characters that would break Rasa's markdown-like entity syntax in filled text
FORBIDDEN = frozenset("[](){}")
BAD_NAME_CHARS = FORBIDDEN | frozenset('"\\|')
MAX_NAME_LENGTH = 30
# a rasa-compatible entity pattern, used to self-check the generated markup
_ENTITY_RE = re.compile(
    r"\[(?P<text>[^\]]+?)\](\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)|\{(?P<dict>[^}]+?)\})"
)
HAN_RE = re.compile(r"[\u4e00-\u9fff]")


def stable_hash(text: str, salt: str = "") -> int:
    """A process-independent hash (unlike ``hash()``)."""
    return int(hashlib.sha1(f"{salt}\x00{text}".encode()).hexdigest()[:15], 16)


def clean_chars(text: str) -> str:
    """Drop control / line-separator characters and collapse whitespace."""
    text = "".join(
        " " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    return " ".join(text.split())


def clean_name(value: object) -> Optional[str]:
    """A graph name usable as entity text, or None."""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return None
    name = clean_chars(str(value))
    if not name or len(name) > MAX_NAME_LENGTH or any(ch in BAD_NAME_CHARS for ch in name):
        return None
    if len(name.splitlines()) != 1:
        return None
    return name


def dedupe(items: Iterable[str]) -> List[str]:
    """``items`` in order, each once."""
    out: List[str] = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def name_list(value: object) -> List[str]:
    """The usable names of a record field (a name or a list of names), in order, each once."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
    return dedupe(name for name in map(clean_name, items) if name)


def to_fullwidth(text: str) -> str:
    """ASCII letters and digits as their full-width forms (``CT`` -> ``ＣＴ``)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" and ch.isalnum() else ch for ch in text)


def markup(surface: str, entity: str, value: Optional[str] = None) -> str:
    """Rasa entity markup: ``[surface](entity)`` or ``[surface]{"entity":…, "value":…}``."""
    if value is None or value == surface:
        return f"[{surface}]({entity})"
    return f"[{surface}]" + json.dumps({"entity": entity, "value": value}, ensure_ascii=False)


def plain_from_markup(annotated: str) -> str:
    """The text a Rasa reader sees in an annotated example."""
    return _ENTITY_RE.sub(lambda m: m.group("text"), annotated)
