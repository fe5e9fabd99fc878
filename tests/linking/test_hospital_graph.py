"""The CI-sized hospital graph: the sample graph plus real names with the public list's overlaps
(tests/kg/data/kg_names), built by ``kg synth --names``; the dictionary extractor and the linker
trained on it, as the model reads it at load."""

from __future__ import annotations

import json

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.actions import readings
from bot.actions.nlu_view import ParsedMessage
from bot.settings import PROJECT_ROOT
from kg_queries import records
from kg_queries.check import check_store
from kg_queries.factory import open_store
from kg_queries.importer import import_files
from slots.aho_corasick_extractor import AhoCorasickExtractor
from slots.entity_linker import EntityLinker
from tools.kg_synth import Generator, NameLists, overlap_names, write_file

NAMES = PROJECT_ROOT / "tests" / "kg" / "data" / "kg_names"
BASE = sorted((PROJECT_ROOT / "data" / "kg").glob("*.json"))


@pytest.fixture(scope="module")
def hospital(tmp_path_factory):
    """(graph file, store path) of the sample graph plus one record per fixture name."""
    root = tmp_path_factory.mktemp("hospital")
    path = root / "hospital.jsonl"
    write_file(path, seed=3, progress=False, names=NameLists.read(NAMES), base=BASE, diseases=None)
    with open_store("embedded", str(root / "kg"), read_only=False) as store:
        import_files([path], store, progress=False)
    return path, str(root / "kg")


@pytest.fixture(scope="module")
def pipeline(hospital, tmp_path_factory):
    """The trained dictionary extractor and linker over the hospital graph."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    context = ExecutionContext(None, "test")
    out = []
    for cls, name in ((AhoCorasickExtractor, "ac"), (EntityLinker, "linker")):
        config = {
            **cls.get_default_config(),
            "store": "embedded",
            "store_path": hospital[1],
            "refresh_seconds": 0,
        }
        cls.create(config, storage, Resource(name), context).train(TrainingData())
        out.append(cls.load(config, storage, Resource(name), context))
    return out


def parse(pipeline, text):
    message = Message(data={"text": text})
    for component in pipeline:
        component.process([message])
    return message.get("entities") or []


def test_the_file_has_the_sample_records_then_one_per_new_real_name(hospital):
    data = records.load_files([hospital[0]])
    names = NameLists.read(NAMES)
    sample = {json.loads(line)["name"] for path in BASE for line in path.read_text("utf-8").splitlines()}
    assert not data.problems
    lines = hospital[0].read_text("utf-8").splitlines()
    assert [json.loads(line)["name"] for line in lines[: len(sample)]] == [
        json.loads(line)["name"] for path in BASE for line in path.read_text("utf-8").splitlines()
    ]
    assert len(lines) == len(sample) + len(set(names.disease) - sample)
    symptoms = {s for line in lines[len(sample) :] for s in json.loads(line)["symptom"]}
    assert symptoms <= set(names.symptom)


def test_a_smaller_graph_keeps_every_overlap():
    names = NameLists.read(NAMES)
    overlaps = overlap_names(names, aliases={"甲亢", "乙肝", "脚气"})
    assert {"头痛", "腹泻", "糖尿病", "甲亢", "脚气"} <= overlaps
    chosen = Generator(len(overlaps) + 2, seed=1, names=names, aliases={"甲亢", "乙肝", "脚气"}).diseases
    assert overlaps <= set(chosen) and len(chosen) == len(overlaps) + 2


def test_kg_check_lists_entries_that_are_another_entrys_alias(hospital):
    with open_store("embedded", hospital[1], read_only=True) as store:
        report = check_store(store)
    collisions = {c.surface: c for c in report.alias_collisions["Disease"]}
    for short, full in (("甲亢", "甲状腺功能亢进症"), ("乙肝", "乙型病毒性肝炎"), ("脚气", "足癣")):
        assert {n for n, _, _ in collisions[short].nodes} == {short, full}
        assert collisions[short].linked_to == short  # the node whose own name it is
    assert {"头痛", "腹泻", "失眠"} <= set(report.shared_names["Disease/Symptom"])


def test_a_name_that_is_both_carries_its_symptom_reading(pipeline):
    [found] = parse(pipeline, "头痛怎么治疗")
    assert (found["entity"], found["value"], found["also"]) == (
        "disease",
        "头痛",
        {"entity": "symptom", "value": "头痛"},
    )


@pytest.mark.parametrize("text", ["糖尿兵能治好吗", "糖尿冰的治愈率高吗", "我爸糖尿并好多年了，能根治吗"])
def test_a_misspelt_disease_beats_the_partial_symptom_inside_it(pipeline, text):
    # 糖尿 is a symptom of the public list: the dictionary finds it inside the misspelt 糖尿病.
    entities = parse(pipeline, text)
    assert [(e["entity"], e["value"]) for e in entities] == [("disease", "糖尿病")]


def test_a_description_of_complaints_reads_them_as_symptoms(pipeline):
    text = "我头痛、发烧、咳嗽三天了，是什么病"
    entities = parse(pipeline, text)
    parsed = readings.resolve(ParsedMessage(text, "diagnosis", 0.99, "other", 0.6, entities))
    assert parsed.values("disease") == []
    assert parsed.values("symptom") == ["头痛", "发烧", "咳嗽"]


def test_a_question_about_it_reads_the_disease(pipeline):
    text = "头痛怎么治疗"
    parsed = readings.resolve(
        ParsedMessage(text, "diagnosis", 0.99, "treatment", 0.95, parse(pipeline, text))
    )
    assert parsed.values("disease") == ["头痛"] and readings.symptom_offer(parsed, "头痛") == "头痛"


def test_a_disease_alias_that_is_a_symptom_name_reads_by_context(tmp_path):
    # 血脂异常: a symptom of the public list and an alias of the sample's 高脂血症.
    records = [
        {"name": "高脂血症", "alias": ["血脂异常"], "symptom": ["乏力"]},
        {"name": "冠心病", "symptom": ["血脂异常", "胸痛"]},
    ]
    data = tmp_path / "kg.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    with open_store("embedded", str(tmp_path / "kg"), read_only=False) as store:
        import_files([data], store, progress=False)
    (tmp_path / "storage").mkdir()
    storage, context = LocalModelStorage(tmp_path / "storage"), ExecutionContext(None, "test")
    config = {
        **AhoCorasickExtractor.get_default_config(),
        "store": "embedded",
        "store_path": str(tmp_path / "kg"),
        "refresh_seconds": 0,
    }
    AhoCorasickExtractor.create(config, storage, Resource("ac"), context).train(TrainingData())
    ac = AhoCorasickExtractor.load(config, storage, Resource("ac"), context)
    [found] = parse([ac], "老年人怎么预防血脂异常")
    assert (found["entity"], found["value"], found["also"]) == (
        "disease",
        "高脂血症",
        {"entity": "symptom", "value": "血脂异常"},
    )
