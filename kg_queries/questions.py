"""The question API: one parameterised Cypher file per question type, structured results.

Results are data (items and the source fields they came from), never formatted
text; replies are rendered from them by the templates in ``templates/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from kg_queries import schema
from kg_queries.store import GraphStore

CYPHER_DIR = Path(__file__).resolve().parent / "cypher"

# Question type -> the result columns that make up its items, in order.
ITEM_FIELDS: Dict[str, Tuple[str, ...]] = {
    "definition": ("description",),
    "cause": ("cause",),
    "prevention": ("prevent",),
    "symptom": ("symptoms",),
    "complication": ("complications",),
    "treatment": ("cure_way", "common_drugs", "recommand_drugs"),
    "department": ("departments",),
    "infectivity": ("get_way",),
    "cure_rate": ("cured_prob",),
    "taboo": ("not_eat",),
    "check": ("checks",),
    "cure_time": ("cure_lasttime",),
}
QUESTION_TYPES: Tuple[str, ...] = tuple(ITEM_FIELDS)


@cache
def load_cypher(name: str) -> str:
    """The text of ``cypher/<name>.cypher`` without its ``//`` comment lines."""
    path = CYPHER_DIR / f"{name}.cypher"
    if not path.exists():
        raise KeyError(f"no Cypher template {name!r} in {CYPHER_DIR}")
    lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("//")
    ]
    return "\n".join(lines).strip()


def _clean(value: Any) -> Any:
    """Drop nulls and duplicates from lists and sort them (engines order collect() differently)."""
    if isinstance(value, list):
        return sorted({v for v in value if v not in (None, "")})
    return "" if value is None else value


@dataclass
class Answer:
    """What the graph knows for one question about one disease."""

    question_type: str
    disease: str
    found: bool
    fields: Dict[str, Any] = field(default_factory=dict)
    items: List[str] = field(default_factory=list)

    @property
    def has_content(self) -> bool:
        """True when the disease exists and any answer field is non-empty."""
        return self.found and any(v not in ("", [], None) for k, v in self.fields.items() if k != "disease")

    def as_dict(self) -> Dict[str, Any]:
        return {
            "question_type": self.question_type,
            "disease": self.disease,
            "found": self.found,
            "fields": self.fields,
            "items": self.items,
        }


@dataclass
class DiseaseMatch:
    """A disease suggested for a set of symptoms."""

    disease: str
    hits: int
    matched: List[str]
    departments: List[str]


class KnowledgeGraph:
    """Answers question types with the Cypher templates against any :class:`GraphStore`."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def ask(self, question_type: str, disease: str) -> Answer:
        if question_type not in ITEM_FIELDS:
            raise ValueError(f"unknown question type {question_type!r}")
        rows = self.store.run(load_cypher(question_type), {"disease": disease})
        if not rows:
            return Answer(question_type, disease, found=False)
        fields = {key: _clean(value) for key, value in rows[0].items()}
        items: List[str] = []
        for column in ITEM_FIELDS[question_type]:
            value = fields.get(column)
            for item in value if isinstance(value, list) else [value]:
                if item and item not in items:
                    items.append(item)
        return Answer(question_type, fields.get("disease", disease), True, fields, items)

    def diseases_for_symptoms(self, symptoms: Sequence[str], limit: int = 3) -> List[DiseaseMatch]:
        """Diseases with the most of ``symptoms``, best first (ties by name)."""
        symptoms = sorted({s for s in symptoms if s})
        if not symptoms:
            return []
        rows = self.store.run(
            load_cypher("symptoms_to_diseases"), {"symptoms": symptoms, "limit": int(limit)}
        )
        return [
            DiseaseMatch(r["disease"], int(r["hits"]), _clean(r["matched"]), _clean(r["departments"]))
            for r in rows
        ]

    def names(self, label: str) -> List[Tuple[str, List[str]]]:
        """Every ``(name, aliases)`` of one label, sorted by name."""
        cypher = load_cypher("names").replace("{label}", schema.check_label(label))
        return sorted((r["name"], _clean(r.get("alias") or [])) for r in self.store.run(cypher))

    def all_names(self) -> Dict[str, List[Tuple[str, List[str]]]]:
        return {label: self.names(label) for label in schema.LABELS}

    def disease_exists(self, name: str) -> bool:
        return bool(self.store.run("MATCH (d:Disease {name: $name}) RETURN d.name AS name", {"name": name}))
