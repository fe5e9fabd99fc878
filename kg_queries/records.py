"""Read disease records in the public medical-KG format and turn them into graph rows.

Input is JSON Lines (one object per line) or one JSON array. A bad record is
reported with its line number and skipped; the others are kept. The result is a
:class:`GraphData` — deduplicated node and relation rows that any store can write.

Why: real crawls hold broken lines, wrong types and text no store can hold (a JSON
``\ud800`` escape is a lone surrogate, which is not Unicode); catching them here, per
record, keeps one bad line from stopping or corrupting a whole import.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

from kg_queries import schema

logger = logging.getLogger(__name__)

_DRUG_DETAIL = re.compile(r"^(?P<outer>.*?)[(（](?P<drug>[^()（）]+)[)）]\s*$")


class RecordError(ValueError):
    """A record that cannot be imported (reported with its position, then skipped)."""


@dataclass
class Problem:
    """One skipped record: where it was and why."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


@dataclass
class GraphData:
    """Nodes and relations to write, deduplicated.

    ``nodes[label][name]`` holds the node's properties (``alias`` as a sorted list,
    plus the disease properties for diseases); ``relations[rel]`` is a set of
    ``(source name, target name)`` pairs.
    """

    nodes: Dict[str, Dict[str, dict]] = field(default_factory=lambda: {label: {} for label in schema.LABELS})
    relations: Dict[str, Set[Tuple[str, str]]] = field(
        default_factory=lambda: {rel.name: set() for rel in schema.RELATIONS}
    )
    records: int = 0
    problems: List[Problem] = field(default_factory=list)

    def add_node(self, label: str, name: str, alias: Iterable[str] = (), **props) -> None:
        node = self.nodes[label].setdefault(name, {"alias": []})
        merged = set(node["alias"]) | {a for a in alias if a and a != name}
        node["alias"] = sorted(merged)
        for key, value in props.items():
            if value not in (None, "", []):
                node[key] = value

    def add_relation(self, rel: str, source: str, target: str) -> None:
        self.relations[rel].add((source, target))

    def counts(self) -> Dict[str, int]:
        out = {label: len(nodes) for label, nodes in self.nodes.items()}
        out.update({rel: len(pairs) for rel, pairs in self.relations.items()})
        return out


def _unicode(text: str, field_name: str) -> str:
    """``text`` stripped, if it is valid Unicode (encodable as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(f"field {field_name!r} holds a lone surrogate (not valid Unicode)") from None
    return text.strip()


def _text(value, field_name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "".join(_text(v, field_name) for v in value)
    if isinstance(value, (str, int, float)):
        return _unicode(str(value), field_name)
    raise RecordError(f"field {field_name!r} must be text, got {type(value).__name__}")


def _names(value, field_name: str) -> List[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise RecordError(f"field {field_name!r} must be a list of names, got {type(value).__name__}")
    out = []
    for item in value:
        if not isinstance(item, (str, int, float)):
            raise RecordError(f"field {field_name!r} holds a {type(item).__name__}, expected text")
        text = _unicode(str(item), field_name)
        if text and text not in out:
            out.append(text)
    return out


def parse_drug_detail(entry: str) -> Optional[Tuple[str, str]]:
    """Split ``"某药厂阿莫西林胶囊(阿莫西林胶囊)"`` into ``("某药厂", "阿莫西林胶囊")``.

    Returns ``None`` when the entry has no drug name in brackets.
    """
    match = _DRUG_DETAIL.match(entry.strip())
    if not match:
        return None
    outer, drug = match.group("outer").strip(), match.group("drug").strip()
    producer = outer[: -len(drug)] if outer.endswith(drug) and outer != drug else outer
    producer = producer.strip() or outer
    return (producer, drug) if producer and drug else None


def add_record(data: GraphData, record: object) -> None:
    """Add one record (a disease, or an alias record ``{"label", "name", "alias"}``)."""
    if not isinstance(record, dict):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    name = _text(record.get("name"), "name")
    if not name:
        raise RecordError("record has no 'name'")
    if "label" in record:  # alias record for a non-disease node
        label = record["label"]
        if label not in schema.LABELS:
            raise RecordError(f"unknown label {label!r}")
        data.add_node(label, name, _names(record.get("alias"), "alias"))
        data.records += 1
        return

    props = {}
    for prop, kind in schema.DISEASE_PROPERTIES.items():
        raw = record.get(prop)
        props[prop] = _names(raw, prop) if kind == "list" else _text(raw, prop)
    aliases = _names(record.get("alias"), "alias")
    relations: List[Tuple[str, str, str, str]] = []  # rel, source, target, target label
    for fld, (rel, label) in schema.RECORD_LIST_RELATIONS.items():
        for target in _names(record.get(fld), fld):
            relations.append((rel, name, target, label))
    departments = _names(record.get("cure_department"), "cure_department")
    producers: List[Tuple[str, str]] = []
    for entry in _names(record.get("drug_detail"), "drug_detail"):
        parsed = parse_drug_detail(entry)
        if parsed:
            producers.append(parsed)

    # Validated: now write into the shared structure (nothing partial on error).
    data.add_node(schema.DISEASE, name, aliases, **props)
    for rel, source, target, label in relations:
        data.add_node(label, target)
        data.add_relation(rel, source, target)
    for parent, child in itertools.pairwise(departments):
        if parent != child:
            data.add_relation("belongs_to", child, parent)
    for dep in departments:
        data.add_node(schema.DEPARTMENT, dep)
    if departments:
        data.add_relation("cure_department", name, departments[-1])
    for producer, drug in producers:
        data.add_node(schema.PRODUCER, producer)
        data.add_node(schema.DRUG, drug)
        data.add_relation("production", producer, drug)
    data.records += 1


def iter_records(path: Path) -> Iterator[Tuple[int, object]]:
    """Yield ``(line number, parsed object or RecordError)`` for a JSON-lines or array file."""
    text = Path(path).read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            yield exc.lineno, RecordError(f"invalid JSON array: {exc.msg}")
            return
        yield from enumerate(items, start=1)
        return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, RecordError(f"invalid JSON: {exc.msg} (column {exc.colno})")


def load_files(paths: Iterable[Path], progress=None) -> GraphData:
    """Parse every file into one :class:`GraphData`, collecting problems instead of failing."""
    data = GraphData()
    unknown: Set[str] = set()
    for path in paths:
        for lineno, item in iter_records(path):
            if progress is not None:
                progress.update(1)
            try:
                if isinstance(item, RecordError):
                    raise item
                add_record(data, item)
                if isinstance(item, dict):
                    unknown |= set(item) - set(schema.RECORD_FIELDS) - set(schema.IGNORED_FIELDS) - {"label"}
            except RecordError as exc:
                problem = Problem(str(path), lineno, str(exc))
                data.problems.append(problem)
                logger.warning("skipped %s", problem)
    if unknown:
        logger.info("ignored unknown fields: %s", ", ".join(sorted(unknown)))
    return data


def count_lines(paths: Iterable[Path]) -> int:
    """Number of non-empty lines (the progress bar's total for JSON-lines files)."""
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            total += sum(1 for line in handle if line.strip())
    return total
