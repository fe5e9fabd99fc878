"""``kg check``: normalisation, cycle search, each planted contradiction, and a clean pass
on the shipped data."""

from __future__ import annotations

import glob
import json

import pytest

from core.normalise import near_duplicate_key
from kg_queries.check import check_store, find_cycles
from tests.kg.conftest import PROJECT_ROOT, make_embedded, run_cli, write_jsonl


@pytest.mark.parametrize(
    "a, b",
    [
        ("糖尿病", "糖尿"),
        ("Ｃ型肝炎", "c型肝炎"),
        ("过敏 性鼻炎", "过敏性鼻炎"),
        ("焦虑症", "焦虑"),
        ("ＩｇＡ肾病", "IgA肾"),
    ],
)
def test_near_duplicate_names_share_a_key(a, b):
    assert near_duplicate_key(a) == near_duplicate_key(b)


def test_distinct_names_keep_distinct_keys():
    assert near_duplicate_key("胃炎") != near_duplicate_key("肠炎")
    assert near_duplicate_key("病") == "病"  # a lone 病 is not stripped to nothing
    assert near_duplicate_key("癌症") == "癌症"  # nor to one character: 癌 alone names nothing


def test_find_cycles():
    assert find_cycles([("a", "b"), ("b", "c"), ("a", "c")]) == []
    assert find_cycles([("a", "a")]) == [["a"]]
    assert find_cycles([("b", "a"), ("a", "b"), ("x", "y")]) == [["a", "b"]]
    assert find_cycles([("c", "a"), ("a", "b"), ("b", "c"), ("d", "a")]) == [["a", "b", "c"]]


BASE = {"desc": "描述", "symptom": ["咳嗽"], "cure_department": ["内科", "呼吸内科"]}
PLANTS = {
    "eat": (
        [{**BASE, "name": "甲病", "do_eat": ["苹果", "梨"], "not_eat": ["梨"]}],
        "food both in do_eat and not_eat: 1: 甲病/梨",
    ),
    "self": (
        [{**BASE, "name": "乙病", "acompany": ["乙病", "丙病"]}],
        "disease accompanying itself: 1: 乙病",
    ),
    "cycle": (
        [
            {**BASE, "name": "丁病", "cure_department": ["外科", "骨科"]},
            {**BASE, "name": "戊病", "cure_department": ["骨科", "外科"]},
        ],
        "department cycles (belongs_to): 1: 外科 -> 骨科 -> 外科",
    ),
}


@pytest.mark.parametrize("kind", PLANTS)
def test_each_planted_contradiction_is_found(kind, tmp_path):
    records_, message = PLANTS[kind]
    data = write_jsonl(tmp_path / f"{kind}.jsonl", [{**BASE, "name": "正常病"}] + records_)
    make_embedded(tmp_path / "kg", data).close()
    done = run_cli("kg", "check", "--store-path", str(tmp_path / "kg"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert message in done.stdout
    assert "FAILED: 1 contradiction(s)" in done.stdout


def test_check_passes_on_shipped_data(tmp_path):
    files = sorted(glob.glob(str(PROJECT_ROOT / "data" / "kg" / "*.json")))
    make_embedded(tmp_path / "kg", *files).close()
    done = run_cli("kg", "check", "--store-path", str(tmp_path / "kg"), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["contradictions"]["total"] == 0
    assert report["counts"]["Disease"] >= 146
    assert report["completeness"]["desc"]["percent"] == 100.0


def test_report_contents(embedded_store):
    report = check_store(embedded_store)
    assert report.ok
    assert report.stubs == ["呼吸衰竭", "脑卒中"]
    assert report.completeness["desc"] == (1, pytest.approx(100 * 11 / 12))  # 腰肌劳损 has none
    assert report.completeness["has_symptom"] == (0, 100.0)
    assert report.near_duplicates == {} and report.isolated == {}


def test_near_duplicates_and_isolated_nodes_are_reported(tmp_path):
    data = write_jsonl(
        tmp_path / "dup.jsonl",
        [
            {"name": "哮喘", "symptom": ["咳嗽"]},
            {"name": "哮喘病", "symptom": ["咳 嗽"]},
            {"label": "Food", "name": "孤立食物"},
        ],
    )
    with make_embedded(tmp_path / "kg", data) as store:
        report = check_store(store)
    assert report.ok  # warnings only
    assert report.near_duplicates == {"Disease": [["哮喘", "哮喘病"]], "Symptom": [["咳 嗽", "咳嗽"]]}
    assert report.isolated == {"Food": ["孤立食物"]}


def test_same_report_on_both_stores(embedded_store, bolt_store):
    assert check_store(bolt_store).as_dict() == check_store(embedded_store).as_dict()


def test_names_that_confuse_matching_are_reported(tmp_path):
    data = write_jsonl(
        tmp_path / "plain.jsonl", [{"name": "哮喘", "alias": ["气喘\u200b"], "symptom": ["咳嗽"]}]
    )
    with make_embedded(tmp_path / "kg", data) as store:
        # the importer strips names, so plant the odd ones as another tool would write them
        for name in (
            " 前空格",
            "尾空格\u3000",
            "控制\x07字符",
            "零宽\u200b空格",
            "零宽空格",
            "\u200b",
            "\u3000",
            "正常病",
        ):
            store.run("CREATE (:Disease {name: $n, alias: []})", {"n": name})
        report = check_store(store)
        assert check_store(store).as_dict() == report.as_dict()  # deterministic
    assert report.ok  # warnings only
    found = {
        kind: [(name, owner) for label, name, owner in entries]
        for kind, entries in report.confusing_names.items()
    }
    assert found == {
        "leading or trailing whitespace": [(" 前空格", ""), ("\u3000", ""), ("尾空格\u3000", "")],
        "control characters": [("控制\x07字符", "")],
        "zero-width or invisible characters": [
            ("\u200b", ""),
            ("气喘\u200b", "哮喘"),
            ("零宽\u200b空格", ""),
        ],
        "empty after normalisation": [("\u200b", ""), ("\u3000", "")],
    }
    assert sorted(["零宽空格", "零宽\u200b空格"]) in report.near_duplicates["Disease"]
    text = report.format()
    assert "names that will confuse matching: 9" in text and "'控制\\x07字符'" in text
    assert "'气喘\\u200b' (alias of '哮喘')" in text
    as_json = json.loads(json.dumps(report.as_dict()))["confusing_names"]
    assert {"label": "Disease", "name": "气喘\u200b", "alias_of": "哮喘"} in as_json[
        "zero-width or invisible characters"
    ]


def test_clean_graph_has_no_confusing_names(embedded_store):
    assert check_store(embedded_store).confusing_names == {}


@pytest.mark.parametrize("name", ["a\u200bb", "a\x00b", "a\ufeffb"])
def test_normalisation_drops_invisible_characters(name):
    assert near_duplicate_key(name) == "ab"


def test_surface_forms_naming_two_nodes_are_listed_with_the_linked_one(tmp_path):
    data = write_jsonl(
        tmp_path / "alias.jsonl",
        [
            {"name": "甲状腺功能亢进症", "alias": ["甲亢", "甲状腺亢进"], "symptom": ["心悸"]},
            {"name": "甲亢", "symptom": ["心悸"]},  # a disease of its own, and the alias above
            {"name": "足癣", "alias": ["脚气"], "symptom": ["瘙痒"]},
            {"name": "脚气病", "alias": ["脚气"], "symptom": ["乏力"]},  # alias vs alias
            {"name": "偏头痛", "alias": ["偏 头痛"], "symptom": ["头痛"]},  # one node: not a collision
            {"name": "头痛", "symptom": ["恶心"]},  # a disease and a symptom
        ],
    )
    with make_embedded(tmp_path / "kg", data) as store:
        report = check_store(store)
    assert report.ok  # warnings only
    collisions = {c.surface: c for c in report.alias_collisions["Disease"]}
    assert set(collisions) == {"甲亢", "脚气"}
    hyper = collisions["甲亢"]
    assert {(n, kind) for n, kind, _ in hyper.nodes} == {("甲状腺功能亢进症", "alias"), ("甲亢", "name")}
    assert hyper.linked_to == "甲亢"  # a node's own name wins over another node's alias
    assert {n for n, _, _ in collisions["脚气"].nodes} == {"足癣", "脚气病"}
    assert collisions["脚气"].linked_to == "足癣"  # the first node listing it (graph order), as the linker
    assert report.shared_names == {"Disease/Symptom": ["头痛"]}
    text = report.format()
    assert "surface forms naming more than one node (name vs alias, alias vs alias): 2" in text
    assert "-> 甲亢" in text and "Disease/Symptom: 1: 头痛" in text
    as_json = json.loads(json.dumps(report.as_dict()))["alias_collisions"]["Disease"]
    assert {"name": "甲亢", "as": "name", "surface": "甲亢"} in as_json[0]["nodes"] + as_json[1]["nodes"]


def test_the_linker_resolves_a_collision_as_the_report_says():
    from slots.link_index import LinkIndex

    table = {
        "Disease": [("甲状腺功能亢进症", ["甲亢"]), ("甲亢", []), ("足癣", ["脚气"]), ("脚气病", ["脚气"])]
    }
    index = LinkIndex.from_name_table(table, {"Disease": "disease"})
    assert index.link("甲亢", "disease").value == "甲亢"
    assert index.link("脚气", "disease").value == "足癣"  # the first node listing it, in graph order
