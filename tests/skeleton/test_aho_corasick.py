"""The Aho-Corasick extractor: dictionary from a real embedded graph, longest matches, persistence."""

import json

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from kg_queries.factory import open_store
from kg_queries.importer import import_files
from slots.aho_corasick_extractor import AhoCorasickExtractor

RECORDS = [
    {"name": "糖尿病", "alias": ["消渴症"], "symptom": ["多饮", "多尿"], "check": ["空腹血糖"]},
    {"name": "2型糖尿病", "symptom": ["多饮"], "acompany": ["糖尿病"]},
    {"name": "感冒", "alias": ["伤风"], "symptom": ["头痛", "发热"]},
]


@pytest.fixture
def extractor(tmp_path):
    data = tmp_path / "kg.json"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS), encoding="utf-8")
    with open_store("embedded", str(tmp_path / "kg"), read_only=False) as store:
        import_files([data], store, progress=False)
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    resource = Resource("ac")
    config = {
        **AhoCorasickExtractor.get_default_config(),
        "store": "embedded",
        "store_path": str(tmp_path / "kg"),
    }
    component = AhoCorasickExtractor.create(config, storage, resource, ExecutionContext(None, "test"))
    component.train(TrainingData())
    return config, storage, resource


def _entities(component, text):
    message = Message(data={"text": text})
    component.process([message])
    return [(e["entity"], e["text"], e["value"], e["link_method"]) for e in message.get("entities") or []]


def test_longest_non_overlapping_matches(extractor):
    config, storage, resource = extractor
    component = AhoCorasickExtractor.load(config, storage, resource, ExecutionContext(None, "test"))
    assert _entities(component, "2型糖尿病会头痛吗") == [
        ("disease", "2型糖尿病", "2型糖尿病", "exact"),
        ("symptom", "头痛", "头痛", "exact"),
    ]


def test_alias_maps_to_canonical_name(extractor):
    config, storage, resource = extractor
    component = AhoCorasickExtractor.load(config, storage, resource, ExecutionContext(None, "test"))
    assert _entities(component, "伤风了要查空腹血糖吗") == [
        ("disease", "伤风", "感冒", "alias"),
        ("check", "空腹血糖", "空腹血糖", "exact"),
    ]
    assert _entities(component, "今天天气不错") == []
