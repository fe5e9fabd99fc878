"""Aho-Corasick entity extractor: every graph name and alias, found in one pass.

Why: the graph knows the exact names patients use for diseases, symptoms, drugs,
foods, checks and departments; an Aho-Corasick automaton finds all of them in time
linear in the message, and the longest non-overlapping matches give clean spans.
The dictionary is read from the graph at training time and persisted with the model;
a loaded model reads the graph's names again at once and whenever they change
(``slots/name_refresh.py``), so a disease added to the graph is found without retraining.
A surface that is both a disease and a symptom (头痛, 失眠, 便秘 in the public graph) is
output as the disease with ``also: {entity: symptom, value}``: which reading the patient
meant depends on the whole message, and the dialogue decides (``bot/actions/readings.py``).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple, Type

import ahocorasick
from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.vocabulary import ENTITY_TYPE_OF_LABEL, GRAPH_LABELS
from neural import config_checks as checks
from slots import kg_names, name_refresh
from slots.name_refresh import NameRefresher

EXTRACTOR = "AhoCorasickExtractor"
FINGERPRINT_FILE = "names_fingerprint.txt"  # the names the dictionary was built from
ALSO_FILE = "also.json"  # disease surface -> the symptom it also names
ALSO = "also"  # the entity key of the second reading
# When one surface form names nodes of several labels, prefer the more specific kind
# (every graph label of core.vocabulary, once).
LABEL_PRIORITY = ("Disease", "Symptom", "Drug", "Check", "Food", "Department", "Producer")
assert sorted(LABEL_PRIORITY) == sorted(GRAPH_LABELS), "LABEL_PRIORITY must rank every graph label"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class AhoCorasickExtractor(GraphComponent, EntityExtractorMixin):
    """Dictionary extractor over the knowledge graph's names and aliases."""

    @classmethod
    def required_components(cls) -> List[Type]:
        # Rasa 3.6 chains only tokenizers/featurizers in the training graph, so a trainable
        # component cannot require an extractor or classifier there: the order contract is
        # ``runs_after`` (checked against config.yml by tests/nlu_components/test_contracts.py).
        return []

    @classmethod
    def runs_after(cls, config: Optional[Dict[str, Any]] = None) -> List[Type]:
        """The components that must come earlier in the pipeline (none: it reads the text only)."""
        return []

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Graph store to read names from at training time (None: endpoints.yml / env).
            "store": None,
            "store_path": None,
            # Labels whose names go into the automaton.
            "labels": list(LABEL_PRIORITY),
            # Shortest surface form kept (single characters match far too much).
            "min_length": 2,
            # Seconds between two looks at the graph's names by a loaded model (0: never;
            # KG_NAMES_REFRESH_SECONDS overrides it).
            "refresh_seconds": 30,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        entries: Optional[List[Tuple[str, str, str, bool]]] = None,
        also: Optional[Dict[str, str]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        checks.known(EXTRACTOR, "labels", self.config["labels"], GRAPH_LABELS)
        checks.at_least_one(self.config, EXTRACTOR, "min_length")
        checks.not_negative(self.config, EXTRACTOR, "refresh_seconds")
        self._storage, self._resource = model_storage, resource
        self.fingerprint = ""  # of the names trained on (kg_names.table_fingerprint)
        self._use(entries or [], also)
        self.refresher: Optional[NameRefresher] = None

    def _use(self, entries: List[Tuple[str, str, str, bool]], also: Optional[Dict[str, str]] = None) -> None:
        """Serve ``entries`` and the symptom readings ``also`` of disease surfaces (one
        assignment, so a message never sees half of a refresh)."""
        self._lookup = (entries, self._build(entries), dict(also or {}))

    @property
    def also(self) -> Dict[str, str]:
        """Disease surface -> the symptom name it also is (头痛 -> 头痛)."""
        return self._lookup[2]

    @property
    def entries(self) -> List[Tuple[str, str, str, bool]]:
        """(surface, entity type, canonical name, is_alias), one per surface form."""
        return self._lookup[0]

    @property
    def automaton(self) -> Any:
        """The automaton over :attr:`entries` (``ahocorasick.Automaton``)."""
        return self._lookup[1]

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> AhoCorasickExtractor:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return kg_names.names_fingerprint(config.get("store"), config.get("store_path"))

    def train(self, training_data: TrainingData) -> Resource:
        table = kg_names.load_names(self.config["store"], self.config["store_path"])
        self._use(self.entries_from(table), self.symptom_readings(table))
        self.fingerprint = kg_names.table_fingerprint(table)
        self.persist()
        return self._resource

    def entries_from(self, table: kg_names.NameTable) -> List[Tuple[str, str, str, bool]]:
        """The dictionary of a name table: every name and alias of the configured labels."""
        chosen: Dict[str, Tuple[str, str, str, bool]] = {}
        for label in reversed([lab for lab in LABEL_PRIORITY if lab in self.config["labels"]]):
            entity = ENTITY_TYPE_OF_LABEL[label]
            for name, aliases in table.get(label, []):
                for surface, is_alias in [(name, False)] + [(a, True) for a in aliases]:
                    if len(surface) >= self.config["min_length"]:
                        # Later (higher-priority) labels overwrite (a disease's alias beats a
                        # symptom's name: 血脂异常); within a label a real name beats an alias.
                        old = chosen.get(surface)
                        if old is not None and old[1] == entity and not old[3] and is_alias:
                            continue
                        chosen[surface] = (surface, entity, name, is_alias)
        return sorted(chosen.values())

    def symptom_readings(self, table: kg_names.NameTable) -> Dict[str, str]:
        """Every disease surface (name or alias) that is also a symptom's name or alias, with
        that symptom's name (empty unless both labels are in the dictionary)."""
        if not {"Disease", "Symptom"} <= set(self.config["labels"]):
            return {}
        symptoms: Dict[str, str] = {}
        for name, aliases in table.get("Symptom", []):
            for surface in [*aliases, name]:  # a name beats an alias of another symptom
                symptoms[surface] = name
        out: Dict[str, str] = {}
        for name, aliases in table.get("Disease", []):
            for surface in [name, *aliases]:
                if surface in symptoms and len(surface) >= self.config["min_length"]:
                    out[surface] = symptoms[surface]
        return out

    @staticmethod
    def _build(entries: List[Tuple[str, str, str, bool]]):
        automaton = ahocorasick.Automaton()
        for surface, entity, canonical, is_alias in entries:
            automaton.add_word(surface, (surface, entity, canonical, is_alias))
        if entries:
            automaton.make_automaton()
        return automaton

    def find(self, text: str) -> List[Dict[str, Any]]:
        """Longest non-overlapping matches, left to right, as Rasa entities."""
        entries, automaton, also = self._lookup
        if not entries:
            return []
        candidates = []
        for end, (surface, entity, canonical, is_alias) in automaton.iter(text):
            start = end - len(surface) + 1
            candidates.append((start, end + 1, surface, entity, canonical, is_alias))
        # Longest first, then leftmost; keep those that do not overlap a kept one. A candidate
        # checks only its own characters, so the cost is linear in the text (names are short).
        candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
        covered = bytearray(len(text))  # 1 where a kept match lies
        found = []
        for start, end, surface, entity, canonical, is_alias in candidates:
            if any(covered[start:end]):
                continue
            covered[start:end] = b"\x01" * (end - start)
            found.append(
                {
                    "entity": entity,
                    "start": start,
                    "end": end,
                    "value": canonical,
                    "text": surface,
                    "confidence_entity": 1.0,
                    "extractor": EXTRACTOR,
                    "linked": True,
                    "link_method": "alias" if is_alias else "exact",
                }
            )
            if entity == "disease" and surface in also:
                found[-1][ALSO] = {"entity": "symptom", "value": also[surface]}
        return sorted(found, key=lambda e: e["start"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.find(message.get("text") or "")
            if found:
                message.set(ENTITIES, (message.get(ENTITIES) or []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self) -> None:
        with self._storage.write_to(self._resource) as directory:
            (directory / "entries.json").write_text(
                json.dumps(self.entries, ensure_ascii=False), encoding="utf-8"
            )
            (directory / FINGERPRINT_FILE).write_text(self.fingerprint, encoding="utf-8")
            (directory / ALSO_FILE).write_text(json.dumps(self.also, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config, model_storage, resource, execution_context, **kwargs) -> AhoCorasickExtractor:
        fingerprint: Optional[str] = None
        also: Dict[str, str] = {}
        try:
            with model_storage.read_from(resource) as directory:
                entries = [tuple(e) for e in json.loads((directory / "entries.json").read_text("utf-8"))]
                if (directory / FINGERPRINT_FILE).is_file():
                    fingerprint = (directory / FINGERPRINT_FILE).read_text("utf-8")
                if (directory / ALSO_FILE).is_file():
                    also = json.loads((directory / ALSO_FILE).read_text("utf-8"))
        except (ValueError, FileNotFoundError):
            entries = []
        component = cls(config, model_storage, resource, entries, also)
        if entries:  # a model that was trained (not a missing resource) follows its graph
            component.fingerprint = fingerprint or ""
            component.follow_graph()
        return component

    def follow_graph(self) -> None:
        """Read the graph's names now and every ``refresh_seconds`` (``slots/name_refresh.py``)."""
        self.refresher = name_refresh.follow(EXTRACTOR, self)

    def rebuild_names(self, table: kg_names.NameTable) -> None:
        """The name refresh's hook (``slots/name_refresh.py``)."""
        self._use(self.entries_from(table), self.symptom_readings(table))
