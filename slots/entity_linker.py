"""Entity linker: merge every extractor's mentions and map each one to a graph node.

Why: the dictionary extractor only finds names written exactly; the neural extractor
finds mentions in any spelling but returns them as written. Answers are looked up in
the graph by canonical name, so after all extractors this component
  1. links each mention to a node of its type (exact → alias → normalised → pinyin →
     fuzzy, see ``slots/link_index.py``), keeping the surface in ``text``;
  2. scans the message for typo'd names no extractor saw (same fuzzy pinyin, ≤ N
     characters changed: 糖尿并 → 糖尿病), unless the window overlaps a linked mention;
  3. drops an unlinked mention whose last character ends too few graph names of its type:
     the neural extractor also tags symptom phrases in a disease's place (一侧手脚没力气,
     好多红疙瘩), while a real name missing from the graph (阑尾炎) ends like the names
     in it (炎, 病, 症, 疹 ...);
  4. merges overlapping mentions: linked beats unlinked, then the longer span, then the
     higher confidence, then the earlier extractor in the pipeline.
The dictionary is read from the graph at training time and persisted with the model
(with the synonyms learnt from the training data); a loaded model reads the graph's names
again at once and whenever they change (``slots/name_refresh.py``), so a disease added to
the graph is linked without retraining.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any, Dict, List, Optional, Tuple, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.vocabulary import ENTITY_TYPE_OF_LABEL, ENTITY_TYPES, GRAPH_LABELS
from neural import config_checks as checks
from slots import kg_names, name_refresh
from slots.link_index import LinkIndex, ScanHit
from slots.name_refresh import NameRefresher

logger = logging.getLogger(__name__)

LINKER = "EntityLinker"
INDEX_FILE = "link_index.json"
SYNONYMS_FILE = "synonyms.json"  # (entity type, surface, canonical) learnt from the training data
FINGERPRINT_FILE = "names_fingerprint.txt"  # the names the index was built from
ALL_LABELS = GRAPH_LABELS  # every node label of the graph (core.vocabulary)


def merge_entities(entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Non-overlapping mentions, sorted by start.

    Priority on overlap: linked before unlinked, longer span, higher
    ``confidence_entity``, then the order given (earlier extractor wins a tie);
    identical duplicates collapse into one. Each mention (all are non-empty) checks only
    its own characters against the kept ones: the cost is linear in the text.
    """

    def priority(item: Tuple[int, Dict[str, Any]]) -> Tuple[Any, ...]:
        order, e = item
        return (
            not e.get("linked", False),
            -(e["end"] - e["start"]),
            -float(e.get("confidence_entity") or 0.0),
            order,
        )

    kept: List[Dict[str, Any]] = []
    covered = bytearray(max((e["end"] for e in entities), default=0))  # 1 inside a kept mention
    for _, entity in sorted(enumerate(entities), key=priority):
        start, end = entity["start"], entity["end"]
        if any(covered[start:end]):
            continue
        covered[start:end] = b"\x01" * (end - start)
        kept.append(entity)
    return sorted(kept, key=lambda e: (e["start"], e["end"]))


def _linked_characters(entities: List[Dict[str, Any]], text: str) -> bytearray:
    """1 for each character of ``text`` inside a linked mention, else 0."""
    covered = bytearray(max([len(text)] + [e["end"] for e in entities]))
    for e in entities:
        if e.get("linked"):
            covered[e["start"] : e["end"]] = b"\x01" * (e["end"] - e["start"])
    return covered


SAME_TYPE_EXTRA_CHARS = 2  # how much longer a scan hit must be than a name of its own type inside it


def _contains_only_partial_names(hit: ScanHit, entities: List[Dict[str, Any]]) -> bool:
    """Whether every linked mention that overlaps ``hit`` lies inside it and is shorter (then
    the hit is the longer, likelier name: merge_entities keeps it). A name of another type
    only needs to be shorter (糖尿兵 holds the symptom 糖尿); one of the hit's own type must
    name another node and be at least ``SAME_TYPE_EXTRA_CHARS`` shorter (免意性血小板减少症
    holds the disease 血小板减少症; 感冒怎 must not swallow the exact 感冒)."""
    inside = False
    length = hit.end - hit.start
    for e in entities:
        if not e.get("linked") or e["end"] <= hit.start or hit.end <= e["start"]:
            continue
        if e["start"] < hit.start or e["end"] > hit.end:
            return False
        shorter_by = length - (e["end"] - e["start"])
        if e["entity"] == hit.entity:
            if e.get("value") == hit.link.value or shorter_by < SAME_TYPE_EXTRA_CHARS:
                return False
        elif shorter_by < 1:
            return False
        inside = True
    return inside


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class EntityLinker(GraphComponent):
    """Links extracted mentions (and typo'd names found by pinyin scan) to graph names."""

    @classmethod
    def required_components(cls) -> List[Type]:
        # Rasa 3.6 chains only tokenizers/featurizers in the training graph, so a trainable
        # component cannot require an extractor or classifier there: the order contract is
        # ``runs_after`` (checked against config.yml by tests/nlu_components/test_contracts.py).
        return []

    @classmethod
    def runs_after(cls, config: Optional[Dict[str, Any]] = None) -> List[Type]:
        """The components that must come earlier in the pipeline."""
        return [EntityExtractorMixin]  # AhoCorasickExtractor, BertBiLstmCrfExtractor: it merges them

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Graph store to read names from at training time (None: endpoints.yml / env).
            "store": None,
            "store_path": None,
            # Graph labels whose names can be linked to.
            "labels": list(ALL_LABELS),
            # Shortest normalised surface considered for pinyin / fuzzy matching.
            "min_length": 2,
            # Lowest similarity (1 - weighted edit distance / length) accepted for a link.
            "fuzzy_threshold": 0.75,
            # Cost of replacing a character by a homophone (any other edit costs 1).
            "pinyin_substitution_cost": 0.25,
            # Candidates (by shared character/syllable bigrams) scored per fuzzy lookup.
            "max_candidates": 20,
            # Entity types whose names are searched for in the raw text (typos nobody extracted).
            "scan_entity_types": ["disease"],
            # Shortest name (characters) searched for by the scan; short windows match too much.
            "scan_min_length": 3,
            # Characters a scanned window may differ from the name (each must be a homophone).
            "scan_max_substitutions": 1,
            # An unlinked mention is kept only if its last character ends at least this many
            # graph names of its type (0: keep every unlinked mention).
            "unlinked_min_name_endings": 2,
            # Also learn aliases from the training data's synonyms ([糖尿并]{"value": "糖尿病"}),
            # when the value is a graph name of that entity type.
            "use_training_synonyms": True,
            # Seconds between two looks at the graph's names by a loaded model (0: never;
            # KG_NAMES_REFRESH_SECONDS overrides it).
            "refresh_seconds": 30,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        index: Optional[LinkIndex] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}  # models persisted before a new setting
        self.check_config(self.config)
        self._storage, self._resource = model_storage, resource
        # The index and the name endings computed from it, swapped together (name refresh).
        self._lookup: Tuple[LinkIndex, Dict[str, Counter]] = (index or LinkIndex([]), {})
        self.synonyms: List[Tuple[str, str, str]] = []
        self.fingerprint = ""  # of the names trained on (kg_names.table_fingerprint)
        self.refresher: Optional[NameRefresher] = None

    @staticmethod
    def check_config(config: Dict[str, Any]) -> None:
        """``InvalidConfigException`` for unknown labels/entity types and out-of-range numbers."""
        checks.known(LINKER, "labels", config["labels"], ALL_LABELS)
        checks.known(LINKER, "scan_entity_types", config["scan_entity_types"], ENTITY_TYPES)
        checks.unit_interval(config, LINKER, "fuzzy_threshold")
        checks.at_least_one(config, LINKER, "min_length", "scan_min_length", "max_candidates")
        checks.not_negative(
            config,
            LINKER,
            "pinyin_substitution_cost",
            "scan_max_substitutions",
            "unlinked_min_name_endings",
            "refresh_seconds",
        )

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityLinker:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return kg_names.names_fingerprint(config.get("store"), config.get("store_path"))

    # ------------------------------------------------------------------ training
    def train(self, training_data: TrainingData) -> Resource:
        table = kg_names.load_names(self.config["store"], self.config["store_path"])
        self.synonyms = self._training_synonyms(training_data) if self.config["use_training_synonyms"] else []
        self.use_names(table)
        self.fingerprint = kg_names.table_fingerprint(table)
        if not self.index.entries:
            logger.warning("EntityLinker: the knowledge graph has no names; nothing will be linked")
        self.persist()
        return self._resource

    def use_names(self, table: kg_names.NameTable) -> None:
        """Link against ``table`` (and the learnt synonyms) from the next message on."""
        types = {label: ENTITY_TYPE_OF_LABEL[label] for label in self.config["labels"]}
        index = LinkIndex.from_name_table(
            table,
            types,
            self.synonyms,
            scan_types=self.config["scan_entity_types"],
            scan_min_length=self.config["scan_min_length"],
            min_length=self.config["min_length"],
        )
        self._lookup = (index, {})

    def rebuild_names(self, table: kg_names.NameTable) -> None:
        """The name refresh's hook (``slots/name_refresh.py``)."""
        self.use_names(table)

    @property
    def index(self) -> LinkIndex:
        return self._lookup[0]

    @staticmethod
    def _training_synonyms(training_data: TrainingData) -> List[Tuple[str, str, str]]:
        """(entity type, surface, canonical) for annotated mentions whose value differs."""
        pairs = set()
        for message in training_data.entity_examples:
            text = message.get(TEXT) or ""
            for e in message.get(ENTITIES) or []:
                surface = text[e["start"] : e["end"]]
                value = e.get("value")
                if isinstance(value, str) and value and value != surface:
                    pairs.add((e["entity"], surface, value))
        return sorted(pairs)

    # ------------------------------------------------------------------ inference
    def link_entity(self, entity: Dict[str, Any], text: str) -> Dict[str, Any]:
        """``entity`` with ``value`` set to its graph name (or its surface when unlinkable)."""
        out = dict(entity)
        surface = entity.get("text") or text[entity["start"] : entity["end"]]
        out["text"] = surface
        etype = entity["entity"]
        if entity.get("linked") and self.index.is_name(etype, entity.get("value")):
            return out  # a dictionary match already names a node of this type
        link = self.index.link(
            surface,
            etype,
            self.config["fuzzy_threshold"],
            self.config["pinyin_substitution_cost"],
            self.config["max_candidates"],
        )
        if link is None:
            out.update(value=surface, linked=False, link_method="none")
            return out
        out.update(value=link.value, confidence_entity=link.score, linked=True, link_method=link.method)
        if link.value != surface:
            out["processors"] = list(entity.get("processors") or []) + [LINKER]
        return out

    def plausible_unlinked(self, entity: Dict[str, Any]) -> bool:
        """Whether an unlinked mention ends like the graph's names of its type (see step 3)."""
        needed = self.config["unlinked_min_name_endings"]
        etype, surface = entity["entity"], (entity.get("text") or "").strip()
        if entity.get("linked") or not needed or not surface:
            return True
        index, endings = self._lookup  # one refresh's index and its endings
        if etype not in endings:
            endings[etype] = Counter(name[-1] for name in index.canonical_names(etype) if name)
        if not endings[etype]:
            return True  # no names of this type to compare with
        return endings[etype][surface[-1]] >= needed

    def _scan_entity(self, hit: ScanHit, text: str) -> Dict[str, Any]:
        return {
            "entity": hit.entity,
            "start": hit.start,
            "end": hit.end,
            "value": hit.link.value,
            "text": text[hit.start : hit.end],
            "confidence_entity": hit.link.score,
            "extractor": LINKER,
            "linked": True,
            "link_method": hit.link.method,
        }

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            entities = [self.link_entity(e, text) for e in message.get(ENTITIES) or []]
            entities = [e for e in entities if self.plausible_unlinked(e)]
            hits = self.index.scan(
                text, self.config["scan_max_substitutions"], self.config["pinyin_substitution_cost"]
            )
            # A scan guess is only a fallback for names no extractor saw: it is dropped when it overlaps
            # a linked mention (感冒怎 must not swallow the exact 感冒; 眼干瘙|痒 must not cut 瘙痒),
            # unless it only contains shorter names: a misspelt disease then beats the partial
            # name inside it (糖尿兵 is 糖尿病, not the symptom 糖尿).
            linked = _linked_characters(entities, text)
            entities += [
                self._scan_entity(hit, text)
                for hit in hits
                if not any(linked[hit.start : hit.end]) or _contains_only_partial_names(hit, entities)
            ]
            if entities or message.get(ENTITIES) is not None:
                message.set(ENTITIES, merge_entities(entities), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self) -> None:
        with self._storage.write_to(self._resource) as directory:
            (directory / INDEX_FILE).write_text(
                json.dumps(self.index.to_dict(), ensure_ascii=False), encoding="utf-8"
            )
            (directory / SYNONYMS_FILE).write_text(
                json.dumps([list(s) for s in self.synonyms], ensure_ascii=False), encoding="utf-8"
            )
            (directory / FINGERPRINT_FILE).write_text(self.fingerprint, encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EntityLinker:
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / INDEX_FILE).read_text(encoding="utf-8"))
                synonyms = fingerprint = None
                if (directory / SYNONYMS_FILE).is_file():
                    synonyms = json.loads((directory / SYNONYMS_FILE).read_text(encoding="utf-8"))
                    fingerprint = (directory / FINGERPRINT_FILE).read_text(encoding="utf-8")
        except (ValueError, FileNotFoundError) as exc:
            logger.warning("EntityLinker: no persisted link index (%s); nothing will be linked", exc)
            return cls(config, model_storage, resource)
        linker = cls(config, model_storage, resource, LinkIndex.from_dict(data))
        if synonyms is not None:  # (a model from before the refresh keeps its index as it is)
            linker.synonyms = [tuple(s) for s in synonyms]
            linker.fingerprint = fingerprint or ""
            linker.follow_graph()
        return linker

    def follow_graph(self) -> None:
        """Read the graph's names now and every ``refresh_seconds`` (``slots/name_refresh.py``)."""
        self.refresher = name_refresh.follow(LINKER, self)
