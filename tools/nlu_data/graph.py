"""The entity names the templates are filled with, read from the graph files (``data/kg/*.json``).

Why: the records are read by the graph importer's reader (``kg_queries.records``), so the
generator accepts exactly the files the importer does (JSON Lines or one JSON array);
this module only picks the names: usable as entity text, aliases unambiguous, and the
disease hold-out of :mod:`tools.nlu_data.split`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Set, Tuple

from core.vocabulary import DISEASE, ENTITY_TYPES, SYMPTOM
from kg_queries.records import RecordError, iter_records
from tools.nlu_data.split import held_out_diseases
from tools.nlu_data.text import BAD_NAME_CHARS, clean_name, dedupe, name_list

logger = logging.getLogger(__name__)

# The entity types the generator fills and annotates: every graph label of
# core.vocabulary.ENTITY_TYPES except "producer" (no record field names a producer
# directly and no template has a placeholder for one). The order matters: when a
# literal name in a template belongs to two types, the earlier type wins.
FILLED_ENTITY_TYPES: Tuple[str, ...] = (DISEASE, SYMPTOM, "drug", "food", "check", "department")
NOT_FILLED: Tuple[str, ...] = tuple(t for t in ENTITY_TYPES if t not in FILLED_ENTITY_TYPES)
MIN_LITERAL_LENGTH = 2  # shorter names written literally in templates are not annotated


@dataclass
class Disease:
    """One disease and the names around it, each list in record order."""

    name: str
    aliases: List[str] = field(default_factory=list)
    symptom: List[str] = field(default_factory=list)
    drug: List[str] = field(default_factory=list)
    food: List[str] = field(default_factory=list)
    check: List[str] = field(default_factory=list)
    department: List[str] = field(default_factory=list)
    acompany: List[str] = field(default_factory=list)

    def merge(self, other: Disease) -> None:
        for attr in ("aliases", "symptom", "drug", "food", "check", "department", "acompany"):
            mine = getattr(self, attr)
            mine.extend(x for x in getattr(other, attr) if x not in mine)

    @classmethod
    def from_record(cls, name: str, record: dict) -> Disease:
        common_drug = name_list(record.get("common_drug"))
        return cls(
            name=name,
            aliases=[a for a in name_list(record.get("alias")) if a != name],
            symptom=name_list(record.get("symptom")),
            drug=common_drug + [x for x in name_list(record.get("recommand_drug")) if x not in common_drug],
            food=dedupe(
                name_list(record.get("do_eat"))
                + name_list(record.get("not_eat"))
                + name_list(record.get("recommand_eat"))
            ),
            check=name_list(record.get("check")),
            department=name_list(record.get("cure_department")),
            acompany=name_list(record.get("acompany")),
        )


def read_diseases(kg_dir: Path) -> Tuple[Dict[str, Disease], List[str], int]:
    """Diseases by name (records of one name merged), the files read, the bad records."""
    raw: Dict[str, Disease] = {}
    files: List[str] = []
    bad = 0
    for path in sorted(kg_dir.glob("*.json")):
        files.append(path.name)
        try:
            for _, record in iter_records(path):
                if isinstance(record, RecordError) or not isinstance(record, dict):
                    bad += 1
                    continue
                name = clean_name(record.get("name"))
                if not name:
                    continue
                disease = Disease.from_record(name, record)
                if name in raw:
                    raw[name].merge(disease)
                else:
                    raw[name] = disease
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("%s: unreadable (%s)", path.name, exc)
    if bad:
        logger.warning("%s: %d unparsable record(s) skipped", kg_dir, bad)
    return raw, files, bad


class KG:
    """Entity names from the graph files plus the disease hold-out split."""

    def __init__(self, kg_dir: Path) -> None:
        raw, self.files, self.bad_lines = read_diseases(kg_dir)
        self.diseases: Dict[str, Disease] = {n: raw[n] for n in sorted(raw)}
        self.pools: Dict[str, List[str]] = {DISEASE: list(self.diseases)}
        for etype in FILLED_ENTITY_TYPES[1:]:
            names: Set[str] = set()
            for d in self.diseases.values():
                names.update(getattr(d, etype))
            self.pools[etype] = sorted(names)
        # every canonical entity name (any type): a synonym surface must never equal one,
        # since Rasa's synonym mapper ignores the entity type.
        self.entity_names: Set[str] = set()
        for pool in self.pools.values():
            self.entity_names.update(pool)
        # aliases: keep those that are unambiguous and no other entity's name
        alias_owner: Dict[str, Set[str]] = {}
        for d in self.diseases.values():
            for a in d.aliases:
                alias_owner.setdefault(a, set()).add(d.name)
        self.aliases: Dict[str, List[str]] = {
            d.name: [a for a in d.aliases if len(alias_owner[a]) == 1 and a not in self.entity_names]
            for d in self.diseases.values()
        }
        # surface -> canonical disease for every non-canonical surface form in use
        self.synonyms: Dict[str, str] = {a: n for n, al in self.aliases.items() for a in al}

        self.held_out: List[str] = held_out_diseases(self.diseases)
        held_set = set(self.held_out)
        self.train_diseases: List[str] = [n for n in self.diseases if n not in held_set]
        # literal mentions in template text: longest-match dictionary
        self.literal: Dict[str, Tuple[str, str]] = {}
        for etype in reversed(FILLED_ENTITY_TYPES):  # disease wins on a tie
            for name in self.pools[etype]:
                if len(name) >= MIN_LITERAL_LENGTH:
                    self.literal[name] = (etype, name)
        for alias, canon in self.synonyms.items():
            if len(alias) >= MIN_LITERAL_LENGTH:
                self.literal.setdefault(alias, (DISEASE, canon))
        self.max_literal = max((len(k) for k in self.literal), default=0)

    def surface_ok(self, surface: str, canonical: str) -> bool:
        """Whether ``surface`` may stand for ``canonical`` as a synonym."""
        return (
            surface != canonical
            and surface not in self.entity_names
            and self.synonyms.get(surface, canonical) == canonical
            and not any(ch in BAD_NAME_CHARS for ch in surface)
        )

    def names(self) -> List[str]:
        """Every name the generator may write (canonical names and aliases), sorted."""
        return sorted(self.entity_names | set(self.synonyms))
