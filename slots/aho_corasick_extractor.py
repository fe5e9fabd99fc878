"""Aho-Corasick entity extractor: every graph name and alias, found in one pass.

Why: the graph knows the exact names patients use for diseases, symptoms, drugs,
foods, checks and departments; an Aho-Corasick automaton finds all of them in time
linear in the message, and the longest non-overlapping matches give clean spans.
The dictionary is read from the graph at training time and persisted with the model.
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
from slots import kg_names

EXTRACTOR = "AhoCorasickExtractor"
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
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        entries: Optional[List[Tuple[str, str, str, bool]]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        checks.known(EXTRACTOR, "labels", self.config["labels"], GRAPH_LABELS)
        checks.at_least_one(self.config, EXTRACTOR, "min_length")
        self._storage, self._resource = model_storage, resource
        self.entries = entries or []  # (surface, entity type, canonical name, is_alias)
        self.automaton = self._build(self.entries)

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> AhoCorasickExtractor:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return kg_names.names_fingerprint(config.get("store"), config.get("store_path"))

    def train(self, training_data: TrainingData) -> Resource:
        table = kg_names.load_names(self.config["store"], self.config["store_path"])
        chosen: Dict[str, Tuple[str, str, str, bool]] = {}
        for label in reversed([lab for lab in LABEL_PRIORITY if lab in self.config["labels"]]):
            for name, aliases in table.get(label, []):
                for surface, is_alias in [(name, False)] + [(a, True) for a in aliases]:
                    if len(surface) >= self.config["min_length"]:
                        # Later (higher-priority) labels overwrite; a real name beats an alias.
                        if surface in chosen and not chosen[surface][3] and is_alias:
                            continue
                        chosen[surface] = (surface, ENTITY_TYPE_OF_LABEL[label], name, is_alias)
        self.entries = sorted(chosen.values())
        self.automaton = self._build(self.entries)
        self.persist()
        return self._resource

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
        if not self.entries:
            return []
        candidates = []
        for end, (surface, entity, canonical, is_alias) in self.automaton.iter(text):
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

    @classmethod
    def load(cls, config, model_storage, resource, execution_context, **kwargs) -> AhoCorasickExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                entries = [tuple(e) for e in json.loads((directory / "entries.json").read_text("utf-8"))]
        except (ValueError, FileNotFoundError):
            entries = []
        return cls(config, model_storage, resource, entries)
