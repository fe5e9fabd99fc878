"""The entity linker's dictionary: graph names and aliases with normalised and pinyin indexes.

Why a separate module: the index is plain data + lookups (no Rasa), built once at
training time from the graph's name table, persisted with the model as JSON and
rebuilt on load; the Rasa component (``slots/entity_linker.py``) only wires it in.

Lookup order for a mention of type T (first hit wins):
  exact name → alias → normalised form (width, case, spaces, trailing 病/症)
  → same fuzzy pinyin (homophone typos) → pinyin-aware edit similarity ≥ threshold.
``scan`` finds names the extractors missed: windows of the message whose fuzzy pinyin
equals a name's, with at most a few characters differing (糖尿并 → 糖尿病).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import ahocorasick

from core.normalise import KEY_SEP, match_key, match_key_with_offsets, strip_generic_suffix
from slots import pinyin_similarity as ps

# (entity type, canonical graph name, surface form, kind) with kind "name" or "alias".
Entry = Tuple[str, str, str, str]
NORMALISED_SCORE = 0.95
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Link:
    """One linking decision: the graph name, how it was found and how sure we are."""

    value: str
    method: str  # exact | alias | normalised | pinyin | fuzzy
    score: float


@dataclass(frozen=True)
class ScanHit:
    """A name found by scanning the message text (character offsets into the original)."""

    start: int
    end: int
    entity: str
    link: Link


class LinkIndex:
    """Names, aliases, normalised and pinyin indexes per entity type, plus a scan automaton."""

    def __init__(
        self,
        entries: Sequence[Entry],
        scan_types: Iterable[str] = ("disease",),
        scan_min_length: int = 3,
        min_length: int = 2,
        readings: Optional[Dict[str, Sequence[str]]] = None,
    ) -> None:
        self.entries: List[Entry] = [tuple(e) for e in entries]  # type: ignore[misc]
        self.scan_types = tuple(scan_types)
        self.scan_min_length = scan_min_length
        self.min_length = min_length
        self.forms: List[str] = [match_key(e[2]) for e in self.entries]
        chars = sorted({c for form in self.forms for c in form})
        # Readings of every dictionary character, frozen at training time.
        self.readings: Dict[str, Tuple[str, ...]] = (
            {c: tuple(r) for c, r in readings.items()}
            if readings is not None
            else {c: ps.char_readings(c) for c in chars}
        )
        self._build()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_name_table(
        cls,
        table: Dict[str, List[Tuple[str, List[str]]]],
        entity_type_of: Dict[str, str],
        synonyms: Iterable[Tuple[str, str, str]] = (),
        **kwargs: Any,
    ) -> LinkIndex:
        """Entries from ``kg_names.load_names()`` (label → [(name, aliases)]) and taught synonyms.

        ``entity_type_of`` maps graph labels to entity types (only those labels are used);
        ``synonyms`` are (entity type, surface, canonical) pairs, kept when the canonical
        is a graph name of that type and the surface is not already a name.
        """
        entries: Dict[Tuple[str, str], Entry] = {}
        names: Dict[str, set] = {}
        for label, rows in table.items():
            etype = entity_type_of.get(label)
            if etype is None:
                continue
            for name, _aliases in rows:
                names.setdefault(etype, set()).add(name)
                entries[(etype, name)] = (etype, name, name, "name")
        for label, rows in table.items():
            etype = entity_type_of.get(label)
            if etype is None:
                continue
            for name, aliases in rows:
                for alias in aliases:
                    if alias and (etype, alias) not in entries:
                        entries[(etype, alias)] = (etype, name, alias, "alias")
        for etype, surface, canonical in synonyms:
            if canonical in names.get(etype, ()) and surface and (etype, surface) not in entries:
                entries[(etype, surface)] = (etype, canonical, surface, "alias")
        return cls(sorted(entries.values()), **kwargs)

    def _build(self) -> None:
        self.exact: Dict[Tuple[str, str], int] = {}
        self.normalised: Dict[Tuple[str, str], List[int]] = {}
        self.pinyin: Dict[Tuple[str, str], List[int]] = {}
        self.grams: Dict[Tuple[str, str], List[int]] = {}
        scan_keys: Dict[str, List[Tuple[int, str]]] = {}
        for i, ((etype, _canonical, surface, _kind), form) in enumerate(zip(self.entries, self.forms)):
            self.exact.setdefault((etype, surface), i)
            if not form:
                continue
            core = strip_generic_suffix(form)
            variants = tuple(dict.fromkeys((form, core)))  # full form first, deterministic
            for key in variants:
                self.normalised.setdefault((etype, key), []).append(i)
            if len(form) < self.min_length:
                continue
            for variant in variants:
                for key in self._all_keys(variant):
                    bucket = self.pinyin.setdefault((etype, key), [])
                    if i not in bucket:
                        bucket.append(i)
                if etype in self.scan_types and len(variant) >= self.scan_min_length:
                    # Primary readings only: without an extractor's evidence, rare readings
                    # (燥 read "sao") would turn ordinary words into names.
                    key = KEY_SEP + self._primary_key(variant) + KEY_SEP
                    scan_keys.setdefault(key, []).append((i, variant))
            for gram in set(ps.char_bigrams(form)) | set(self._syllable_bigrams(form)):
                self.grams.setdefault((etype, gram), []).append(i)
        self.automaton = ahocorasick.Automaton()
        for key, hits in scan_keys.items():
            self.automaton.add_word(key, (key.count(KEY_SEP) - 1, hits))
        self.has_scan = bool(scan_keys)
        if scan_keys:
            self.automaton.make_automaton()

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> Dict[str, Any]:
        """Everything needed to answer lookups without the graph (JSON-serialisable)."""
        return {
            "version": FORMAT_VERSION,
            "entries": [list(e) for e in self.entries],
            "readings": {c: list(r) for c, r in self.readings.items()},
            "scan_types": list(self.scan_types),
            "scan_min_length": self.scan_min_length,
            "min_length": self.min_length,
            # Derived indexes, stored so a model is self-describing; rebuilt on load.
            "normalised": sorted(f"{t}\t{k}" for t, k in self.normalised),
            "pinyin": sorted(f"{t}\t{k}" for t, k in self.pinyin),
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> LinkIndex:
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"link index format {data.get('version')!r}, expected {FORMAT_VERSION}; retrain the model"
            )
        return cls(
            [tuple(e) for e in data["entries"]],
            scan_types=data["scan_types"],
            scan_min_length=data["scan_min_length"],
            min_length=data["min_length"],
            readings=data["readings"],
        )

    # ------------------------------------------------------------------ helpers
    def _readings(self, ch: str) -> Tuple[str, ...]:
        found = self.readings.get(ch)
        return found if found is not None else ps.char_readings(ch)

    def _primary_key(self, text: str) -> str:
        return KEY_SEP.join(self._readings(c)[0] for c in text)

    def _all_keys(self, text: str, limit: int = 16) -> List[str]:
        keys = [""]
        for i, ch in enumerate(text):
            readings = self._readings(ch)
            if len(keys) * len(readings) > limit:
                readings = readings[:1]
            keys = [k + (KEY_SEP if i else "") + r for k in keys for r in readings]
        return keys

    def _syllable_bigrams(self, text: str) -> List[str]:
        syllables = [self._readings(c)[0] for c in text]
        return [KEY_SEP + syllables[i] + KEY_SEP + syllables[i + 1] for i in range(len(syllables) - 1)]

    def _best(self, ids: Iterable[int], form: str) -> int:
        """Among entries sharing a key: most identical characters, closest length, names, order."""

        def rank(i: int) -> Tuple[int, int, bool, int]:
            same = sum(a == b for a, b in zip(form, self.forms[i]))
            return (-same, abs(len(self.forms[i]) - len(form)), self.entries[i][3] != "name", i)

        return min(ids, key=rank)

    def _similarity(self, a: str, b: str, substitution_cost: float) -> Tuple[float, bool]:
        return ps.pinyin_similarity(a, b, substitution_cost, self._readings)

    # ------------------------------------------------------------------ lookups
    def canonical_names(self, etype: str) -> List[str]:
        return sorted({e[1] for e in self.entries if e[0] == etype and e[3] == "name"})

    def is_name(self, etype: str, value: Optional[str]) -> bool:
        if value is None:  # an entity without a value names nothing
            return False
        i = self.exact.get((etype, value))
        return i is not None and self.entries[i][3] == "name"

    def link(
        self,
        surface: str,
        etype: str,
        fuzzy_threshold: float = 0.75,
        substitution_cost: float = 0.25,
        max_candidates: int = 20,
    ) -> Optional[Link]:
        """The graph node of type ``etype`` that ``surface`` names, or None."""
        i = self.exact.get((etype, surface))
        if i is not None:
            entry = self.entries[i]
            return Link(entry[1], "exact" if entry[3] == "name" else "alias", 1.0)
        form = match_key(surface)
        if not form:
            return None
        core = strip_generic_suffix(form)
        for key in (form, core):
            ids = self.normalised.get((etype, key))
            if ids:
                return Link(self.entries[self._best(ids, key)][1], "normalised", NORMALISED_SCORE)
        if len(form) < self.min_length:
            return None
        for variant in (form, core):
            ids = self.pinyin.get((etype, self._primary_key(variant)))
            if ids:
                best = self._best(ids, variant)
                score, _ = self._similarity(variant, self.forms[best], substitution_cost)
                if score >= fuzzy_threshold:
                    return Link(self.entries[best][1], "pinyin", round(score, 4))
        return self._fuzzy(form, core, etype, fuzzy_threshold, substitution_cost, max_candidates)

    def _fuzzy(
        self,
        form: str,
        core: str,
        etype: str,
        threshold: float,
        substitution_cost: float,
        max_candidates: int,
    ) -> Optional[Link]:
        """Best edit-similarity candidate among entries sharing character or syllable bigrams."""
        counts: Counter = Counter()
        for gram in set(ps.char_bigrams(form)) | set(self._syllable_bigrams(form)):
            counts.update(self.grams.get((etype, gram), ()))
        best: Optional[Tuple[float, bool, int]] = None
        for i, _ in counts.most_common(max_candidates):
            target = self.forms[i]
            for a, b in ((form, target), (core, strip_generic_suffix(target))):
                if 1.0 - abs(len(a) - len(b)) / max(len(a), len(b)) < threshold:
                    continue  # each missing character costs 1: the similarity cannot reach the threshold
                score, homophones = self._similarity(a, b, substitution_cost)
                if best is None or (score, -i) > (best[0], -best[2]):
                    best = (score, homophones, i)
        if best is None or best[0] < threshold:
            return None
        score, homophones, i = best
        return Link(self.entries[i][1], "pinyin" if homophones else "fuzzy", round(score, 4))

    def scan(self, text: str, max_substitutions: int = 1, substitution_cost: float = 0.25) -> List[ScanHit]:
        """Windows of ``text`` whose fuzzy pinyin equals a scan-type name (or alias).

        Cost is one Aho-Corasick pass over the message's syllable string plus a check of
        each hit; a hit must keep all but ``max_substitutions`` characters of the name.
        """
        if not self.has_scan or not text:
            return []
        form, origin = match_key_with_offsets(text)
        if len(form) < self.scan_min_length:
            return []
        syllables = [self._readings(c)[0] for c in form]
        joined = KEY_SEP + KEY_SEP.join(syllables) + KEY_SEP
        # Position of the separator closing each character's syllable -> that character.
        last_char_at: Dict[int, int] = {}
        pos = 0
        for k, syllable in enumerate(syllables):
            pos += len(syllable) + 1
            last_char_at[pos] = k
        hits: Dict[Tuple[int, int, str], ScanHit] = {}
        for end, (n_chars, candidates) in self.automaton.iter(joined):
            last = last_char_at[end]
            first = last - n_chars + 1
            window = form[first : last + 1]
            for i, variant in candidates:
                subs = sum(a != b for a, b in zip(window, variant))
                if subs > max_substitutions:
                    continue
                etype, canonical, surface, kind = self.entries[i]
                if subs:
                    score, _ = self._similarity(window, variant, substitution_cost)
                    link = Link(canonical, "pinyin", round(score, 4))
                elif text[origin[first] : origin[last] + 1] == surface:
                    link = Link(canonical, "exact" if kind == "name" else "alias", 1.0)
                else:
                    link = Link(canonical, "normalised", NORMALISED_SCORE)
                hit = ScanHit(origin[first], origin[last] + 1, etype, link)
                key = (hit.start, hit.end, canonical)
                if key not in hits or hits[key].link.score < link.score:
                    hits[key] = hit
        return sorted(hits.values(), key=lambda h: (h.start, h.end, h.link.value))
