"""A small real embedded graph and a trained EntityLinker over it, shared by the linking tests."""

import json

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from kg_queries.factory import open_store
from kg_queries.importer import import_files
from slots.entity_linker import EntityLinker

RECORDS = [
    {
        "name": "糖尿病",
        "alias": ["消渴症"],
        "symptom": ["多饮", "多尿"],
        "check": ["空腹血糖"],
        "common_drug": ["二甲双胍片"],
        "cure_department": ["内分泌科"],
    },
    {"name": "2型糖尿病", "symptom": ["多饮"], "acompany": ["糖尿病"]},
    {"name": "高血压", "symptom": ["头痛", "头晕", "亚健康"], "not_eat": ["咸菜"]},
    {"name": "感冒", "alias": ["伤风"], "symptom": ["头痛", "发热"]},
    {"name": "肥胖症", "symptom": ["气短"]},
    {"name": "耳鸣", "symptom": ["失眠"]},
    {"name": "甲状腺功能减退症", "alias": ["甲减"], "symptom": ["怕冷"]},
    {"name": "多囊卵巢综合征", "alias": ["PCOS"], "symptom": ["月经不调"]},
    {"label": "Symptom", "name": "头痛", "alias": ["头疼"]},
]


@pytest.fixture(scope="session")
def kg_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("linking_kg")
    data = root / "kg.json"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS), encoding="utf-8")
    with open_store("embedded", str(root / "kg"), read_only=False) as store:
        import_files([data], store, progress=False)
    return str(root / "kg")


def train_linker(kg_path, tmp_path, training_data=None, **overrides):
    """Train an EntityLinker on the test graph; returns (config, storage, resource)."""
    (tmp_path / "storage").mkdir(exist_ok=True)
    storage = LocalModelStorage(tmp_path / "storage")
    resource = Resource("linker")
    config = {**EntityLinker.get_default_config(), "store": "embedded", "store_path": kg_path, **overrides}
    linker = EntityLinker.create(config, storage, resource, ExecutionContext(None, "test"))
    linker.train(training_data or TrainingData())
    return config, storage, resource


def annotated(text, end, value, start=0, entity="disease"):
    """A training message whose ``text[start:end]`` is annotated as ``value`` (a synonym when
    the surface differs): what the linker learns aliases from."""
    return Message(
        data={
            "text": text,
            "intent": "diagnosis",
            "entities": [{"entity": entity, "start": start, "end": end, "value": value}],
        }
    )


@pytest.fixture(scope="session")
def linker(kg_path, tmp_path_factory):
    config, storage, resource = train_linker(kg_path, tmp_path_factory.mktemp("linker"))
    return EntityLinker.load(config, storage, resource, ExecutionContext(None, "test"))


def run(component, text, entities=None):
    """Process one message and return its entities."""
    message = Message(data={"text": text, **({"entities": entities} if entities is not None else {})})
    component.process([message])
    return message.get("entities") or []


def mention(text, surface, entity, extractor="BertBilstmCrfExtractor", confidence=0.8, **extra):
    """A neural-style (unlinked, surface-as-value) entity for ``surface`` in ``text``."""
    start = text.index(surface)
    return {
        "entity": entity,
        "start": start,
        "end": start + len(surface),
        "value": surface,
        "confidence_entity": confidence,
        "extractor": extractor,
        **extra,
    }
