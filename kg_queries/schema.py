"""The medical knowledge-graph schema, written once and shared by every store.

Labels, properties and relations follow the widely used public medical-KG format
(one JSON object per disease). Everything that reaches Cypher as an identifier
(labels, relation types, property names) comes from this module, never from user
text; user text only ever travels as query parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

# Node labels. Every node has a unique ``name`` and an ``alias`` list.
DISEASE = "Disease"
SYMPTOM = "Symptom"
DEPARTMENT = "Department"
DRUG = "Drug"
FOOD = "Food"
CHECK = "Check"
PRODUCER = "Producer"

LABELS: Tuple[str, ...] = (DISEASE, SYMPTOM, DEPARTMENT, DRUG, FOOD, CHECK, PRODUCER)

# Disease properties: name -> "str" or "list".
DISEASE_PROPERTIES: Dict[str, str] = {
    "desc": "str",
    "cause": "str",
    "prevent": "str",
    "cure_way": "list",
    "cure_lasttime": "str",
    "cured_prob": "str",
    "easy_get": "str",
    "get_prob": "str",
    "get_way": "str",
    "cost_money": "str",
    "category": "list",
}


@dataclass(frozen=True)
class Relation:
    """A relation type with the labels it connects."""

    name: str
    source: str
    target: str


RELATIONS: Tuple[Relation, ...] = (
    Relation("has_symptom", DISEASE, SYMPTOM),
    Relation("acompany_with", DISEASE, DISEASE),
    Relation("cure_department", DISEASE, DEPARTMENT),
    Relation("belongs_to", DEPARTMENT, DEPARTMENT),
    Relation("has_common_drug", DISEASE, DRUG),
    Relation("recommand_drug", DISEASE, DRUG),
    Relation("production", PRODUCER, DRUG),
    Relation("need_check", DISEASE, CHECK),
    Relation("do_eat", DISEASE, FOOD),
    Relation("not_eat", DISEASE, FOOD),
    Relation("recommand_recipes", DISEASE, FOOD),
)
RELATIONS_BY_NAME: Dict[str, Relation] = {r.name: r for r in RELATIONS}

# Record field -> (relation, target label) for simple list fields of a disease record.
RECORD_LIST_RELATIONS: Dict[str, Tuple[str, str]] = {
    "symptom": ("has_symptom", SYMPTOM),
    "acompany": ("acompany_with", DISEASE),
    "common_drug": ("has_common_drug", DRUG),
    "recommand_drug": ("recommand_drug", DRUG),
    "check": ("need_check", CHECK),
    "do_eat": ("do_eat", FOOD),
    "not_eat": ("not_eat", FOOD),
    "recommand_eat": ("recommand_recipes", FOOD),
}

# Every field the importer understands; anything else is ignored with a warning once.
RECORD_FIELDS: Tuple[str, ...] = (
    "name",
    "alias",
    "desc",
    "cause",
    "prevent",
    "symptom",
    "acompany",
    "cure_department",
    "cure_way",
    "cure_lasttime",
    "cured_prob",
    "easy_get",
    "get_prob",
    "get_way",
    "cost_money",
    "category",
    "common_drug",
    "recommand_drug",
    "drug_detail",
    "check",
    "do_eat",
    "not_eat",
    "recommand_eat",
)
# Fields of the public crawl we knowingly skip (no place in the schema).
IGNORED_FIELDS: Tuple[str, ...] = ("_id", "yibao_status")

# Rasa entity type for each label (lower-case, as in domain.yml).
ENTITY_TYPE: Dict[str, str] = {label: label.lower() for label in LABELS}
LABEL_FOR_ENTITY: Dict[str, str] = {v: k for k, v in ENTITY_TYPE.items()}


def check_label(label: str) -> str:
    """Return ``label`` if it is a schema label, else raise ``ValueError``.

    Labels are spliced into Cypher text, so they must come from this whitelist.
    """
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")
    return label


def node_properties(label: str) -> List[str]:
    """Property names (besides ``name`` and ``alias``) a node of ``label`` carries."""
    return list(DISEASE_PROPERTIES) if label == DISEASE else []
