"""A loaded model follows its graph: a disease imported after training is found and linked
without retraining (at load, and by the refresh thread while the model serves), a graph that
cannot be read keeps the names the model has, and the setting turns it off."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from kg_queries.factory import open_store
from kg_queries.importer import import_files
from slots import name_refresh
from slots.aho_corasick_extractor import AhoCorasickExtractor
from slots.entity_linker import EntityLinker
from tests.linking.conftest import RECORDS, annotated, train_linker

NEW = {"name": "猫抓病", "alias": ["猫抓热"], "symptom": ["淋巴结肿大"], "department": ["感染科"]}


@pytest.fixture
def graph(tmp_path):
    """A graph of its own (the tests import into it)."""
    data = tmp_path / "kg.json"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS), encoding="utf-8")
    path = tmp_path / "kg"
    with open_store("embedded", str(path), read_only=False) as store:
        import_files([data], store, progress=False)
    return path


def add_disease(graph, tmp_path, record=NEW):
    data = tmp_path / "new.json"
    data.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    with open_store("embedded", str(graph), read_only=False) as store:
        import_files([data], store, progress=False)


def trained(cls, graph, tmp_path, **overrides):
    """(config, storage, resource) of a component trained on ``graph``."""
    (tmp_path / "storage").mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(tmp_path / "storage")
    resource = Resource(cls.__name__)
    config = {**cls.get_default_config(), "store": "embedded", "store_path": str(graph), **overrides}
    cls.create(config, storage, resource, ExecutionContext(None, "test")).train(TrainingData())
    return config, storage, resource


def load(cls, trained_parts):
    config, storage, resource = trained_parts
    return cls.load(config, storage, resource, ExecutionContext(None, "test"))


def found(component, text, entities=()):
    message = Message(data={"text": text, "entities": list(entities)})
    component.process([message])
    return [(e["value"], e.get("linked")) for e in message.get("entities") or []]


def mention(text, surface):
    start = text.index(surface)
    return {
        "entity": "disease",
        "start": start,
        "end": start + len(surface),
        "value": surface,
        "text": surface,
    }


@pytest.mark.parametrize("cls", [AhoCorasickExtractor, EntityLinker])
def test_a_disease_imported_after_training_is_known_when_the_model_loads(cls, graph, tmp_path):
    parts = trained(cls, graph, tmp_path, refresh_seconds=3600)
    add_disease(graph, tmp_path)
    component = load(cls, parts)
    text = "猫抓热是什么病"
    if cls is AhoCorasickExtractor:
        assert found(component, text) == [("猫抓病", True)]
    else:
        assert found(component, text, [mention(text, "猫抓热")]) == [("猫抓病", True)]
    component.refresher.stop()


@pytest.mark.parametrize("cls", [AhoCorasickExtractor, EntityLinker])
def test_a_serving_model_picks_up_a_new_disease_within_its_refresh_interval(cls, graph, tmp_path):
    component = load(cls, trained(cls, graph, tmp_path, refresh_seconds=0.2))
    text = "猫抓病怎么治疗"
    extracted = [] if cls is AhoCorasickExtractor else [mention(text, "猫抓病")]
    assert ("猫抓病", True) not in found(component, text, extracted)
    add_disease(graph, tmp_path)
    deadline = time.monotonic() + 20
    while ("猫抓病", True) not in found(component, text, extracted):
        assert time.monotonic() < deadline, "the new disease was not picked up within 20 s"
        time.sleep(0.1)
    component.refresher.stop()


def test_the_linker_keeps_the_synonyms_it_learnt_from_training_data(graph, tmp_path):
    config, storage, resource = train_linker(
        str(graph), tmp_path, TrainingData([annotated("消渴病怎么治", 3, "糖尿病")])
    )
    add_disease(graph, tmp_path)
    loaded = EntityLinker.load(config, storage, resource, ExecutionContext(None, "test"))
    assert found(loaded, "我有消渴病", [mention("我有消渴病", "消渴病")]) == [("糖尿病", True)]
    assert found(loaded, "猫抓病", [mention("猫抓病", "猫抓病")]) == [("猫抓病", True)]
    loaded.refresher.stop()


def test_an_unreadable_graph_keeps_the_names_the_model_has(graph, tmp_path):
    parts = trained(AhoCorasickExtractor, graph, tmp_path, refresh_seconds=3600)
    shutil.move(str(graph), str(tmp_path / "elsewhere"))
    component = load(AhoCorasickExtractor, parts)
    assert found(component, "糖尿病吃什么") == [("糖尿病", True)]
    assert component.refresher.check() is False
    component.refresher.stop()


def test_refresh_off_serves_what_was_trained(graph, tmp_path, monkeypatch):
    parts = trained(AhoCorasickExtractor, graph, tmp_path, refresh_seconds=0)
    add_disease(graph, tmp_path)
    component = load(AhoCorasickExtractor, parts)
    assert component.refresher is None and found(component, "猫抓病") == []
    monkeypatch.setenv(name_refresh.ENV_SECONDS, "3600")  # the environment turns it on for every component
    component = load(AhoCorasickExtractor, parts)
    assert found(component, "猫抓病") == [("猫抓病", True)]
    component.refresher.stop()


def test_the_environment_setting_is_read_safely(monkeypatch):
    monkeypatch.setenv(name_refresh.ENV_SECONDS, "abc")
    assert name_refresh.refresh_seconds(30) == 30
    monkeypatch.setenv(name_refresh.ENV_SECONDS, "-5")
    assert name_refresh.refresh_seconds(30) == 0
    monkeypatch.delenv(name_refresh.ENV_SECONDS)
    assert name_refresh.refresh_seconds(12) == 12


def test_a_failing_rebuild_keeps_the_names_the_model_has(graph, tmp_path, monkeypatch):
    component = load(
        AhoCorasickExtractor, trained(AhoCorasickExtractor, graph, tmp_path, refresh_seconds=3600)
    )
    add_disease(graph, tmp_path)

    def broken(table):
        raise MemoryError("no room for the new dictionary")

    monkeypatch.setattr(component, "rebuild_names", broken)
    assert component.refresher.check() is False
    assert found(component, "糖尿病吃什么") == [("糖尿病", True)]
    monkeypatch.undo()
    assert component.refresher.check() is True, "the next look tries again"
    assert found(component, "猫抓病") == [("猫抓病", True)]
    component.refresher.stop()


def test_the_refresh_thread_ends_with_its_model(graph, tmp_path):
    import gc

    component = load(
        AhoCorasickExtractor, trained(AhoCorasickExtractor, graph, tmp_path, refresh_seconds=0.05)
    )
    thread = component.refresher._thread
    assert thread is not None and thread.is_alive()
    del component
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive(), "a replaced model's refresh thread keeps running"


def test_both_components_of_one_model_read_the_changed_graph_once(graph, tmp_path, monkeypatch):
    from slots import kg_names

    parts = [
        trained(cls, graph, tmp_path / cls.__name__, refresh_seconds=3600)
        for cls in (AhoCorasickExtractor, EntityLinker)
    ]
    add_disease(graph, tmp_path)
    reads = []
    real = kg_names.load_names
    monkeypatch.setattr(kg_names, "load_names", lambda *a: reads.append(a) or real(*a))
    components = [load(AhoCorasickExtractor, parts[0]), load(EntityLinker, parts[1])]
    assert len(reads) == 1, "the second component read the same graph again"
    assert found(components[0], "猫抓病") == [("猫抓病", True)]
    for component in components:
        component.refresher.stop()
