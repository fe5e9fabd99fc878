"""``kg import --canonical``: an operator's map merges colliding nodes before the import."""

from __future__ import annotations

import pytest

from kg_queries import canonical, records
from kg_queries.check import check_store
from kg_queries.importer import import_files
from tests.kg.conftest import make_embedded, run_cli, write_jsonl

RECORDS = [
    {
        "name": "甲状腺功能亢进症",
        "alias": ["甲状腺亢进"],
        "desc": "甲状腺激素分泌过多",
        "symptom": ["心悸", "多汗"],
    },
    {"name": "甲亢", "alias": ["甲亢症"], "cause": "自身免疫", "desc": "别处的描述", "symptom": ["消瘦"]},
    {"name": "糖尿病", "acompany": ["甲亢"], "symptom": ["多饮"]},
    {"name": "格雷夫斯病", "acompany": ["甲亢", "甲状腺功能亢进症"], "symptom": ["突眼"]},
]
MAP = {"Disease": {"甲亢": "甲状腺功能亢进症"}}


def test_the_merged_node_keeps_every_name_relation_and_fills_empty_properties(tmp_path):
    data_file = write_jsonl(tmp_path / "d.jsonl", RECORDS)
    with make_embedded(tmp_path / "kg") as store:
        result = import_files([data_file], store, progress=False, canonical=canonical.check_map(MAP))
        rows = store.run(
            "MATCH (d:Disease {name: $n}) RETURN d.alias AS alias, d.`desc` AS description, d.`cause` AS reason",
            {"n": "甲状腺功能亢进症"},
        )
        assert store.run("MATCH (d:Disease {name: '甲亢'}) RETURN d.name AS n") == []
        symptoms = store.run(
            "MATCH (:Disease {name: $n})-[:has_symptom]->(s:Symptom) RETURN s.name AS s",
            {"n": "甲状腺功能亢进症"},
        )
        accompanied = store.run(
            "MATCH (a:Disease)-[:acompany_with]->(:Disease {name: $n}) RETURN a.name AS a",
            {"n": "甲状腺功能亢进症"},
        )
        report = check_store(store)
    assert sorted(rows[0]["alias"]) == ["甲亢", "甲亢症", "甲状腺亢进"]
    assert rows[0]["description"] == "甲状腺激素分泌过多"  # the canonical node's own value wins
    assert rows[0]["reason"] == "自身免疫"  # an empty property is filled from the merged node
    assert sorted(r["s"] for r in symptoms) == ["多汗", "心悸", "消瘦"]
    assert sorted(r["a"] for r in accompanied) == ["格雷夫斯病", "糖尿病"]  # relations moved, once each
    assert "Disease" not in report.alias_collisions  # what kg check listed is resolved
    assert any("'甲亢' merged into '甲状腺功能亢进症'" in note for note in result.merges)


def test_merging_never_makes_a_node_its_own_relative():
    data = records.GraphData()
    data.add_node("Disease", "甲亢")
    data.add_node("Disease", "甲状腺功能亢进症")
    data.add_relation("acompany_with", "甲亢", "甲状腺功能亢进症")
    canonical.apply(data, canonical.check_map(MAP))
    assert data.relations["acompany_with"] == set()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"Illness": {"a": "b"}}, "unknown label"),
        ({"Disease": {"甲亢": "甲亢"}}, "not a merge"),
        ({"Disease": {"甲亢": "甲亢病", "甲亢病": "甲状腺功能亢进症"}}, "both merged away and canonical"),
        ({"Disease": ["甲亢"]}, "mapping"),
        ([], "mapping of label"),
    ],
)
def test_maps_that_cannot_be_applied_are_refused(raw, message):
    with pytest.raises(canonical.CanonicalMapError, match=message):
        canonical.check_map(raw)


def test_cli_import_with_a_map_reports_the_merge(tmp_path):
    data_file = write_jsonl(tmp_path / "d.jsonl", RECORDS)
    (tmp_path / "map.yml").write_text(
        "Disease:\n  甲亢: 甲状腺功能亢进症\n  乙肝: 乙型病毒性肝炎\n", encoding="utf-8"
    )
    done = run_cli(
        "kg",
        "import",
        str(data_file),
        "--store-path",
        str(tmp_path / "kg"),
        "--canonical",
        str(tmp_path / "map.yml"),
        "-q",
    )
    assert done.returncode == 0, done.stderr
    assert "'甲亢' merged into '甲状腺功能亢进症'" in done.stdout
    assert "'乙肝': not in the data" in done.stdout
    bad = run_cli(
        "kg",
        "import",
        str(data_file),
        "--store-path",
        str(tmp_path / "kg2"),
        "--canonical",
        str(tmp_path / "none.yml"),
    )
    assert bad.returncode == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr
