"""EntityLinker: link methods, pinyin scan, merge rules, persistence."""

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.normalise import match_key_with_offsets
from slots import pinyin_similarity as ps
from slots.entity_linker import EntityLinker, merge_entities
from slots.link_index import LinkIndex

from .conftest import annotated, mention, run, train_linker


def _linked(linker, text, surface, entity="disease"):
    [e] = [e for e in run(linker, text, [mention(text, surface, entity)]) if e["text"] == surface]
    return e["value"], e["link_method"], e["linked"]


@pytest.mark.parametrize(
    "surface,entity,value,method",
    [
        ("糖尿病", "disease", "糖尿病", "exact"),
        ("伤风", "disease", "感冒", "alias"),
        ("头疼", "symptom", "头痛", "alias"),
        ("PCOS", "disease", "多囊卵巢综合征", "alias"),
        ("肥胖 症", "disease", "肥胖症", "normalised"),  # space
        ("耳鸣病", "disease", "耳鸣", "normalised"),  # 病 added
        ("糖尿", "disease", "糖尿病", "normalised"),  # 病 dropped
        ("ｐｃｏｓ", "disease", "多囊卵巢综合征", "normalised"),  # full width, lower case
        ("糖尿并", "disease", "糖尿病", "pinyin"),  # homophone
        ("高血亚", "disease", "高血压", "pinyin"),
        ("甲钻腺功能减退症", "disease", "甲状腺功能减退症", "pinyin"),  # zhuang ~ zuan (fuzzy pinyin)
        ("糖尿病人", "disease", "糖尿病", "fuzzy"),  # extra character
    ],
)
def test_link_methods(linker, surface, entity, value, method):
    text = f"请问{surface}怎么办"
    assert _linked(linker, text, surface, entity) == (value, method, True)


def test_linked_entity_keeps_surface_and_scores(linker):
    text = "请问糖尿并怎么办"
    [e] = run(linker, text, [mention(text, "糖尿并", "disease")])
    assert (e["text"], e["value"], e["start"], e["end"]) == ("糖尿并", "糖尿病", 2, 5)
    assert 0.75 <= e["confidence_entity"] < 1.0
    assert e["extractor"] == "BertBilstmCrfExtractor"


@pytest.fixture(scope="module")
def keep_all_linker(kg_path, tmp_path_factory):
    """A linker that keeps every unlinked mention (no name-ending check)."""
    config, storage, resource = train_linker(
        kg_path, tmp_path_factory.mktemp("keep_all"), unlinked_min_name_endings=0
    )
    return EntityLinker.load(config, storage, resource, ExecutionContext(None, "test"))


@pytest.mark.parametrize("surface,entity", [("火星病", "disease"), ("头很晕乎", "symptom"), ("感冒", "drug")])
def test_unlinkable_mentions_keep_surface(keep_all_linker, surface, entity):
    text = f"我{surface}了"
    [e] = run(keep_all_linker, text, [mention(text, surface, entity, confidence=0.6)])
    assert (e["value"], e["linked"], e["link_method"]) == (surface, False, "none")
    assert e["confidence_entity"] == 0.6


@pytest.mark.parametrize(
    "text,surface,kept",
    [
        ("总是紧张睡不着，是不是焦虑症", "焦虑症", True),  # not in the graph, ends like its names (症)
        ("我是不是得了火星病", "火星病", True),  # 病
        ("突然一侧手脚没力气，嘴角也歪了", "侧手脚没力气", False),  # a symptom phrase in a disease's place
        ("腿上起了好多红疙瘩，很痒", "多红疙瘩", False),
    ],
)
def test_unlinked_mention_must_end_like_a_graph_name(linker, keep_all_linker, text, surface, kept):
    entities = run(linker, text, [mention(text, surface, "disease", confidence=0.99)])
    assert [e["text"] for e in entities] == ([surface] if kept else [])
    assert [e["text"] for e in run(keep_all_linker, text, [mention(text, surface, "disease")])] == [surface]
    # a linked mention is never dropped, whatever it ends with
    assert [e["value"] for e in run(linker, "伤风怎么办", [mention("伤风怎么办", "伤风", "disease")])] == [
        "感冒"
    ]


def test_scan_finds_typo_no_extractor_saw(linker):
    entities = run(linker, "我妈得了糖尿并怎么办")
    assert [
        (e["start"], e["end"], e["entity"], e["value"], e["text"], e["link_method"], e["extractor"])
        for e in entities
    ] == [(4, 7, "disease", "糖尿病", "糖尿并", "pinyin", "EntityLinker")]


def test_scan_finds_spaced_name_and_prefers_longest(linker):
    assert [(e["value"], e["text"]) for e in run(linker, "2型糖 尿并要吃药吗")] == [
        ("2型糖尿病", "2型糖 尿并")
    ]


@pytest.mark.parametrize("text", ["今天天气不错", "糖料并是什么", "堂料并"])
def test_scan_rejects_unrelated_or_too_many_changes(linker, text):
    # 糖料并 / 堂料并: same fuzzy pinyin as 糖尿病 but two or three characters changed.
    assert run(linker, text) == []


def test_scan_respects_max_substitutions(kg_path, tmp_path):
    config, storage, resource = train_linker(kg_path, tmp_path, scan_max_substitutions=2)
    loaded = EntityLinker.load(config, storage, resource, ExecutionContext(None, "test"))
    assert [e["value"] for e in run(loaded, "糖料并是什么")] == ["糖尿病"]


def test_scan_never_cuts_through_a_linked_mention(linker):
    text = "高血亚健康"
    ac = {
        "entity": "symptom",
        "start": 2,
        "end": 5,
        "value": "亚健康",
        "text": "亚健康",
        "confidence_entity": 1.0,
        "extractor": "AhoCorasickExtractor",
        "linked": True,
        "link_method": "exact",
    }
    assert [e["value"] for e in run(linker, text)] == ["高血压"]
    assert run(linker, text, [ac]) == [ac]


def test_dictionary_match_passes_through(linker):
    text = "伤风会头痛吗"
    ac = [
        {
            "entity": "disease",
            "start": 0,
            "end": 2,
            "value": "感冒",
            "text": "伤风",
            "confidence_entity": 1.0,
            "extractor": "AhoCorasickExtractor",
            "linked": True,
            "link_method": "alias",
        }
    ]
    assert run(linker, text, ac) == ac


# --------------------------------------------------------------------------- merging
def _e(start, end, value, linked, extractor="X", confidence=0.9, entity="disease"):
    return {
        "entity": entity,
        "start": start,
        "end": end,
        "value": value,
        "linked": linked,
        "confidence_entity": confidence,
        "extractor": extractor,
    }


def test_merge_prefers_linked_over_longer_unlinked():
    neural = _e(0, 7, "2型糖尿病患者", False, "neural")
    ac = _e(2, 5, "糖尿病", True, "ac")
    assert merge_entities([neural, ac]) == [ac]


def test_merge_prefers_longer_linked_span():
    short, long_ = _e(2, 5, "糖尿病", True, "ac"), _e(0, 5, "2型糖尿病", True, "neural")
    assert merge_entities([short, long_]) == [long_]


def test_merge_dedupes_and_keeps_earlier_extractor_on_tie():
    first, second = _e(0, 3, "糖尿病", True, "ac", 1.0), _e(0, 3, "糖尿病", True, "neural", 1.0)
    assert merge_entities([first, second]) == [first]


def test_merge_keeps_disjoint_sorted_and_breaks_ties_by_confidence():
    a, b = _e(5, 7, "头痛", True, entity="symptom"), _e(0, 2, "感冒", True)
    low, high = _e(9, 11, "甲", False, confidence=0.3), _e(10, 12, "乙", False, confidence=0.7)
    assert merge_entities([a, b, low, high]) == [b, a, high]


def test_linker_merges_extractors_end_to_end(linker):
    text = "2型糖尿病会头疼吗"
    ac = {
        "entity": "disease",
        "start": 2,
        "end": 5,
        "value": "糖尿病",
        "text": "糖尿病",
        "confidence_entity": 1.0,
        "extractor": "AhoCorasickExtractor",
        "linked": True,
        "link_method": "exact",
    }
    neural = [
        mention(text, "2型糖尿病", "disease"),
        mention(text, "头疼", "symptom"),
        mention(text, "糖尿病", "disease"),
    ]
    out = run(linker, text, [ac] + neural)
    assert [(e["text"], e["value"], e["link_method"]) for e in out] == [
        ("2型糖尿病", "2型糖尿病", "exact"),
        ("头疼", "头痛", "alias"),
    ]


# --------------------------------------------------------------------------- training, persistence
def test_persistence_round_trip(kg_path, tmp_path, linker):
    config, storage, resource = train_linker(kg_path, tmp_path)
    loaded = EntityLinker.load(config, storage, resource, ExecutionContext(None, "test"))
    assert loaded.index.entries == linker.index.entries
    for text in ("我妈得了糖尿并怎么办", "高血亚吃什么", "伤风了"):
        assert run(loaded, text) == run(linker, text)
    again = LinkIndex.from_dict(loaded.index.to_dict())
    assert again.link("高血亚", "disease") == loaded.index.link("高血亚", "disease")


def test_load_without_persisted_index_links_nothing(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    storage = LocalModelStorage(tmp_path)
    component = EntityLinker.load(
        EntityLinker.get_default_config(), storage, Resource("missing"), ExecutionContext(None, "test")
    )
    text = "糖尿病"
    [e] = run(component, text, [mention(text, "糖尿病", "disease")])
    assert (e["linked"], e["link_method"]) == (False, "none")


def test_training_synonyms_become_aliases(kg_path, tmp_path):
    config, storage, resource = train_linker(
        kg_path, tmp_path, TrainingData([annotated("消渴病怎么治", 3, "糖尿病")])
    )
    loaded = EntityLinker.load(config, storage, resource, ExecutionContext(None, "test"))
    text = "我有消渴病"
    assert _linked(loaded, text, "消渴病") == ("糖尿病", "alias", True)


def test_unknown_label_is_a_clear_error(kg_path, tmp_path):
    with pytest.raises(ValueError, match="unknown labels"):
        train_linker(kg_path, tmp_path, labels=["Disease", "Illness"])


# --------------------------------------------------------------------------- normalisation helpers
def test_normalise_keeps_offsets():
    text, origin = match_key_with_offsets("Ａ 型-肝炎")
    assert text == "a型肝炎" and origin == [0, 2, 4, 5]


@pytest.mark.parametrize(
    "raw,fuzzy",
    [("zhuang", "zuan"), ("shi", "si"), ("niao", "liao"), ("bing", "bin"), ("a", "a"), ("ng", "ng")],
)
def test_fuzzy_syllable(raw, fuzzy):
    assert ps.fuzzy_syllable(raw) == fuzzy


def test_pinyin_similarity():
    assert ps.pinyin_similarity("糖尿并", "糖尿病") == (pytest.approx(1 - 0.25 / 3), True)
    assert ps.pinyin_similarity("糖尿", "糖尿病") == (pytest.approx(1 - 1 / 3), False)
    assert ps.pinyin_similarity("", "糖尿病") == (0.0, False)


def test_scan_never_swallows_an_exact_mention(linker):
    text = "感冒怎么预防"
    entities = [
        {
            "entity": "disease",
            "start": 0,
            "end": 2,
            "value": "感冒",
            "text": "感冒",
            "confidence_entity": 1.0,
            "extractor": "AhoCorasickExtractor",
            "linked": True,
            "link_method": "exact",
        }
    ]
    out = run(linker, text, entities)
    assert [(e["text"], e["value"]) for e in out if e["entity"] == "disease"] == [("感冒", "感冒")]


def test_a_scan_hit_never_swallows_an_exact_name_of_its_own_type(kg_path, tmp_path):
    # 感冒症 (a learnt synonym of 感冒) sounds like 感冒怎: the exact 感冒 stays.
    config, storage, resource = train_linker(
        kg_path, tmp_path, TrainingData([annotated("感冒症怎么办", 3, "感冒")])
    )
    loaded = EntityLinker.load(config, storage, resource, ExecutionContext(None, "test"))
    text = "感冒怎么预防"
    exact = {
        **mention(text, "感冒", "disease", extractor="AhoCorasickExtractor", confidence=1.0),
        "linked": True,
    }
    assert [(e["text"], e["value"]) for e in run(loaded, text, [exact])] == [("感冒", "感冒")]
