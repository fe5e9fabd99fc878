"""Misspelt disease mentions: (near-)homophone typos and normalised forms.

Why: patients type pinyin and pick the wrong character (糖尿病 -> 糖尿并) or drop and add
病/症, spaces and full-width letters; the training data must show those forms, annotated
with the canonical name as their value.

Homophones come from pypinyin. The candidate characters are a fixed inventory: every Han
character of the graph's names (canonical names and aliases) and of the template text in
``nlu_source/`` (see :meth:`HomophoneTable.from_text`), grouped by its toneless reading
(pypinyin's reading of the character alone, its most common one: rare readings such as
厂 ``an`` would make typos nobody types). A character of a name is read in the context of the whole name (pypinyin's
phrase readings: 重 in 重症 is ``zhong``) and replaced by another inventory character of
that reading, or of a near reading (z/zh, c/ch, s/sh, l/n, -n/-ng). Each group is sorted,
so the choice depends only on the inventory and the seeded ``random.Random``.
"""

from __future__ import annotations

import logging
import random
import re
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set

from pypinyin import Style, lazy_pinyin

from tools.nlu_data.text import HAN_RE, to_fullwidth

logger = logging.getLogger(__name__)

SAME_READING_PROB = 0.8  # same reading rather than a near one, when both exist
MAX_TYPO_POSITIONS = 4  # characters of a name tried before giving up

SurfaceCheck = Callable[[str, str], bool]  # (surface, canonical) -> usable?


class HomophoneTable:
    """Toneless pinyin reading -> the inventory characters with that reading."""

    def __init__(self, groups: Dict[str, Sequence[str]]) -> None:
        self.groups: Dict[str, List[str]] = {py: list(chars) for py, chars in groups.items()}

    @classmethod
    def from_text(cls, texts: Iterable[str]) -> HomophoneTable:
        """The table of every Han character in ``texts``, under its most common reading."""
        chars = sorted({ch for text in texts for ch in text if HAN_RE.match(ch)})
        groups: Dict[str, Set[str]] = {}
        for ch in chars:
            py = lazy_pinyin(ch, style=Style.NORMAL)[0]
            if py and py != ch:
                groups.setdefault(py, set()).add(ch)
        logger.debug("homophone inventory: %d characters, %d readings", len(chars), len(groups))
        return cls({py: sorted(members) for py, members in sorted(groups.items())})

    def readings(self, name: str) -> List[Optional[str]]:
        """The toneless reading of each character of ``name`` in context (None: not Han)."""
        # pypinyin types ``errors`` as returning str, but it accepts (and we need) a list
        out = lazy_pinyin(name, style=Style.NORMAL, errors=lambda chunk: [""] * len(chunk))  # type: ignore[arg-type, return-value]
        if len(out) != len(name):  # a reading that spans characters: read one by one
            out = [lazy_pinyin(ch, style=Style.NORMAL, errors=lambda c: [""])[0] for ch in name]  # type: ignore[arg-type, return-value]
        return [py if py and HAN_RE.match(ch) else None for ch, py in zip(name, out)]

    def same(self, py: str, ch: str) -> List[str]:
        """Other inventory characters read ``py``."""
        return [c for c in self.groups.get(py, ()) if c != ch]

    def near(self, py: str, ch: str) -> List[str]:
        """Inventory characters of a near reading of ``py``, sorted."""
        return sorted({c for k in near_pinyin(py) for c in self.groups.get(k, ())} - {ch})


def near_pinyin(py: str) -> Set[str]:
    """Near-homophone readings: z/zh, c/ch, s/sh, l/n and -n/-ng confusions."""
    keys = {py}
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if py.startswith(a):
            keys.add(b + py[len(a) :])
        elif py.startswith(b):
            keys.add(a + py[len(b) :])
    if py[:1] in ("l", "n"):
        keys.add({"l": "n", "n": "l"}[py[0]] + py[1:])
    for k in list(keys):
        if k.endswith("ng"):
            keys.add(k[:-1])
        elif k.endswith("n"):
            keys.add(k + "g")
    keys.discard(py)
    return keys


def make_typo(
    name: str, rng: random.Random, table: HomophoneTable, surface_ok: SurfaceCheck
) -> Optional[str]:
    """Replace one character by a (near-)homophone: 糖尿病 -> 糖尿并, 感冒 -> 感帽."""
    if len(name) < 2:
        return None
    readings = table.readings(name)
    positions = [i for i, py in enumerate(readings) if py is not None]
    rng.shuffle(positions)
    for i in positions[:MAX_TYPO_POSITIONS]:
        ch, py = name[i], readings[i]
        assert py is not None  # positions hold only the characters with a reading
        same = table.same(py, ch)
        near = table.near(py, ch)
        pool = same if same and (not near or rng.random() < SAME_READING_PROB) else near
        if not pool:
            continue
        surface = name[:i] + rng.choice(pool) + name[i + 1 :]
        if surface_ok(surface, name):
            return surface
    return None


def make_normalised(name: str, rng: random.Random, surface_ok: SurfaceCheck) -> Optional[str]:
    """Suffix 病/症 dropped or added, a space inserted, or full-width / lower-case letters."""
    cands: List[str] = []
    if len(name) >= 3 and name[-1] in "病症":
        cands.append(name[:-1])
    elif name[-1] not in "病症炎" and HAN_RE.match(name[-1]):
        cands.append(name + rng.choice(("病", "症")))
    if len(name) >= 3:
        i = rng.randrange(1, len(name))
        cands.append(name[:i] + " " + name[i:])
    if re.search(r"[A-Za-z0-9]", name):
        cands.append(to_fullwidth(name))
        if name.lower() != name:
            cands.append(name.lower())
    rng.shuffle(cands)
    for surface in cands:
        if surface_ok(surface, name):
            return surface
    return None
