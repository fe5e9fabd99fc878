"""Filling a template with graph names and writing the entity markup.

Why: one place decides which names a split may use (held-out diseases only in test),
how a disease is written (canonical 65 %, alias 15 %, typo 12 %, normalised 8 %) and
which names written literally in a template are annotated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Dict, List, Optional, Set, Tuple

from core.vocabulary import DISEASE
from tools.nlu_data.graph import KG, Disease
from tools.nlu_data.split import HOLDOUT_IN_TEST_PROB
from tools.nlu_data.templates import PLACEHOLDER_ENTITY, RELATIVE
from tools.nlu_data.text import PLACEHOLDER_RE, markup
from tools.nlu_data.typos import HomophoneTable, make_normalised, make_typo

RELATIVES: Tuple[str, ...] = (
    "我妈",
    "我爸",
    "我家孩子",
    "我老婆",
    "我老公",
    "我儿子",
    "我女儿",
    "宝宝",
    "我奶奶",
    "我爷爷",
    "我外婆",
    "我姥爷",
    "我朋友",
    "我同事",
    "我弟弟",
    "我姐",
    "我婆婆",
    "我岳父",
    "孩子",
    "我家老人",
    "我对象",
    "我妹妹",
    "我舅舅",
    "我家娃",
)
# disease mention forms and their weights
FORM_WEIGHTS = (("canonical", 0.65), ("alias", 0.15), ("typo", 0.12), ("normalised", 0.08))
CONTEXT_PROB = 0.8  # a name of the mentioned disease's own record, not any name
ACCOMPANY_PROB = 0.6  # {disease2}: an accompanying disease of {disease}, not any


@dataclass
class Example:
    annotated: str
    plain: str
    entities: List[str]  # entity type per mention
    forms: Dict[str, int]  # disease mention forms
    synonyms: Dict[str, str]  # new surface -> canonical
    held_out: int = 0  # held-out disease mentions


class Filler:
    """Fills templates for one split, drawing from one seeded ``random.Random``."""

    def __init__(self, kg: KG, split: str, rng: random.Random, homophones: HomophoneTable) -> None:
        self.kg = kg
        self.split = split
        self.rng = rng
        self.homophones = homophones

    def _disease_pool(self) -> List[str]:
        kg = self.kg
        if (
            self.split == "test"
            and kg.held_out
            and (not kg.train_diseases or self.rng.random() < HOLDOUT_IN_TEST_PROB)
        ):
            return kg.held_out
        return kg.train_diseases

    def _allowed(self, name: str) -> bool:
        return self.split == "test" or name not in set(self.kg.held_out)

    def _pick(self, etype: str, ctx: Optional[Disease], exclude: Set[str]) -> Optional[str]:
        rng = self.rng
        if ctx is not None and rng.random() < CONTEXT_PROB:
            local = [x for x in getattr(ctx, etype) if x not in exclude]
            if local:
                return rng.choice(local)
        pool = [x for x in self.kg.pools[etype] if x not in exclude]
        return rng.choice(pool) if pool else None

    def disease_surface(self, name: str, forms: Dict[str, int], synonyms: Dict[str, str]) -> Tuple[str, str]:
        """Returns (surface, markup) for a disease mention."""
        rng, kg = self.rng, self.kg
        r, acc, form = rng.random(), 0.0, "canonical"
        for f, w in FORM_WEIGHTS:
            acc += w
            if r < acc:
                form = f
                break
        surface: Optional[str] = None
        if form == "alias" and kg.aliases.get(name):
            surface = rng.choice(kg.aliases[name])
        elif form == "typo":
            surface = make_typo(name, rng, self.homophones, kg.surface_ok)
        elif form == "normalised":
            surface = make_normalised(name, rng, kg.surface_ok)
        if not surface or (surface in synonyms and synonyms[surface] != name):
            surface, form = name, "canonical"
        forms[form] = forms.get(form, 0) + 1
        if surface != name:
            synonyms[surface] = name
        return surface, markup(surface, DISEASE, None if surface == name else name)

    def _values(self, names: List[str]) -> Optional[Dict[str, str]]:
        """A value per placeholder, or None when one cannot be filled."""
        rng, kg = self.rng, self.kg
        values: Dict[str, str] = {}
        ctx: Optional[Disease] = None
        if "disease" in names or "disease2" in names:
            pool = self._disease_pool()
            if not pool:
                return None
            values["disease"] = rng.choice(pool)
            ctx = kg.diseases[values["disease"]]
            if "disease2" in names:
                acc = [a for a in ctx.acompany if a in kg.diseases and a != ctx.name and self._allowed(a)]
                others = [
                    d
                    for d in (kg.train_diseases + (kg.held_out if self.split == "test" else []))
                    if d != ctx.name
                ]
                if acc and rng.random() < ACCOMPANY_PROB:
                    values["disease2"] = rng.choice(acc)
                elif others:
                    values["disease2"] = rng.choice(others)
                else:
                    return None
        elif kg.diseases:
            ctx = kg.diseases[rng.choice(list(kg.diseases))]  # hidden context only
        used: Dict[str, Set[str]] = {}
        for ph in sorted(set(names)):
            if ph in values or ph == RELATIVE:
                continue
            etype = PLACEHOLDER_ENTITY[ph]
            val = self._pick(etype, ctx, used.setdefault(etype, set()))
            if val is None:
                return None
            used[etype].add(val)
            values[ph] = val
        if RELATIVE in names:
            values[RELATIVE] = rng.choice(RELATIVES)
        return values

    def fill(self, template: str, annotate_literals: bool) -> Optional[Example]:
        """The filled, annotated example, or None when the template cannot be filled."""
        names = PLACEHOLDER_RE.findall(template)
        values = self._values(names)
        if values is None:
            return None
        forms: Dict[str, int] = {}
        synonyms: Dict[str, str] = {}
        held = set(self.kg.held_out)
        ann_parts: List[str] = []
        plain_parts: List[str] = []
        etypes: List[str] = []
        n_held = 0
        mention_cache: Dict[str, Tuple[str, str]] = {}
        for i, part in enumerate(PLACEHOLDER_RE.split(template)):
            if i % 2 == 0:
                a, p, t = self._annotate_literal(part) if annotate_literals else (part, part, [])
                ann_parts.append(a)
                plain_parts.append(p)
                etypes.extend(t)
                continue
            if part == RELATIVE:
                ann_parts.append(values[part])
                plain_parts.append(values[part])
                continue
            etype = PLACEHOLDER_ENTITY[part]
            if etype == DISEASE:
                if part not in mention_cache:
                    mention_cache[part] = self.disease_surface(values[part], forms, synonyms)
                surface, ann = mention_cache[part]
                n_held += values[part] in held
            else:
                surface, ann = values[part], markup(values[part], etype)
            ann_parts.append(ann)
            plain_parts.append(surface)
            etypes.append(etype)
        annotated, plain = "".join(ann_parts).strip(), "".join(plain_parts).strip()
        if not plain or len(plain.splitlines()) != 1:
            return None
        return Example(annotated, plain, etypes, forms, synonyms, n_held)

    def _annotate_literal(self, text: str) -> Tuple[str, str, List[str]]:
        """Annotate graph names written literally in template text (longest match)."""
        kg = self.kg
        if not kg.literal:
            return text, text, []
        out: List[str] = []
        types: List[str] = []
        i = 0
        while i < len(text):
            hit = None
            for length in range(min(kg.max_literal, len(text) - i), 1, -1):
                cand = text[i : i + length]
                if cand in kg.literal:
                    hit = cand
                    break
            if hit is None:
                out.append(text[i])
                i += 1
                continue
            etype, value = kg.literal[hit]
            out.append(markup(hit, etype, None if value == hit else value))
            types.append(etype)
            i += len(hit)
        return "".join(out), text, types
