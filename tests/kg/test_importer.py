"""The importer: both input shapes, bad records, idempotence, replace, producers, departments."""

from __future__ import annotations

import json

from kg_queries import records
from kg_queries.embedded_store import EmbeddedStore
from kg_queries.importer import import_files
from kg_queries.questions import KnowledgeGraph
from tests.kg.conftest import MINI_KG, write_jsonl


def _lines():
    return [json.loads(line) for line in MINI_KG.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_json_array_and_json_lines_give_the_same_graph(tmp_path, mini_data):
    array_file = tmp_path / "mini_array.json"
    array_file.write_text(json.dumps(_lines(), ensure_ascii=False, indent=1), encoding="utf-8")
    with EmbeddedStore(tmp_path / "kg", read_only=False) as store:
        result = import_files([array_file], store, progress=False)
    assert not result.data.problems
    assert result.report.counts == mini_data.counts()


def test_bad_records_reported_with_line_numbers_and_skipped(tmp_path):
    good = _lines()[:3]
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(good[0], ensure_ascii=False),
                '{"name": "坏记录", "desc": ',  # line 2: broken JSON
                json.dumps(good[1], ensure_ascii=False),
                json.dumps({"desc": "没有名字"}, ensure_ascii=False),  # line 4: no name
                json.dumps({"name": "类型错", "symptom": [{"x": 1}]}, ensure_ascii=False),  # line 5: bad list
                json.dumps(good[2], ensure_ascii=False),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    with EmbeddedStore(tmp_path / "kg", read_only=False) as store:
        result = import_files([path], store, progress=False)
        names = {name for name, _ in KnowledgeGraph(store).names("Disease")}
    assert [p.line for p in result.data.problems] == [2, 4, 5]
    assert "invalid JSON" in result.data.problems[0].message
    assert "no 'name'" in result.data.problems[1].message
    assert "symptom" in result.data.problems[2].message
    assert "bad.jsonl:2:" in result.summary()
    assert {g["name"] for g in good} <= names and "坏记录" not in names and "类型错" not in names
    assert result.data.records == 3


def test_reimport_is_idempotent(fresh_embedded, mini_data):
    before = fresh_embedded.counts()
    report = fresh_embedded.import_data(records.load_files([MINI_KG]), progress=False)
    assert report.counts == before == mini_data.counts()
    assert set(report.added.values()) == {0}


def test_reimport_is_idempotent_over_bolt(bolt_store, mini_data):
    report = bolt_store.import_data(records.load_files([MINI_KG]), progress=False)
    assert report.counts == mini_data.counts()


def test_reimport_merges_aliases_and_updates_properties(fresh_embedded):
    path = write_jsonl(
        fresh_embedded.path.parent / "more.jsonl", [{"name": "感冒", "alias": ["着凉"], "desc": "新的描述"}]
    )
    with_counts = fresh_embedded.counts()
    import_files([path], fresh_embedded, progress=False)
    kg = KnowledgeGraph(fresh_embedded)
    assert dict(kg.names("Disease"))["感冒"] == ["伤风", "着凉"]
    assert kg.ask("definition", "感冒").items == ["新的描述"]
    assert fresh_embedded.counts() == with_counts


def test_replace_clears_first(fresh_embedded, tmp_path):
    path = write_jsonl(tmp_path / "one.jsonl", [{"name": "独病", "symptom": ["一症"]}])
    report = import_files([path], fresh_embedded, replace=True, progress=False).report
    assert report.counts["Disease"] == 1 and report.counts["Symptom"] == 1
    assert report.counts["has_symptom"] == 1 and report.counts["Drug"] == 0


def test_drug_detail_becomes_producer(embedded_store):
    rows = embedded_store.run(
        "MATCH (p:Producer)-[:production]->(d:Drug) "
        "RETURN p.name AS producer, d.name AS drug ORDER BY producer, drug"
    )
    pairs = {(r["producer"], r["drug"]) for r in rows}
    assert ("华康", "感冒灵") in pairs and ("华康", "奥美拉唑") in pairs
    assert ("联邦制药", "阿莫西林") in pairs and ("东岳制药", "布洛芬") in pairs
    assert len(rows) == 8


def test_department_hierarchy(embedded_store):
    rows = embedded_store.run(
        "MATCH (c:Department)-[:belongs_to]->(p:Department) RETURN c.name AS child, p.name AS parent"
    )
    parents = {r["child"]: r["parent"] for r in rows}
    assert parents["呼吸内科"] == "内科" and parents["骨科"] == "外科" and parents["眼科"] == "五官科"
    assert len(rows) == 8
    leaf = embedded_store.run(
        "MATCH (d:Disease {name: '感冒'})-[:cure_department]->(x:Department) RETURN x.name AS name"
    )
    assert [r["name"] for r in leaf] == ["呼吸内科"]


def test_names_with_csv_special_characters_survive_the_bulk_path(tmp_path):
    odd = 'A,"B"病'
    path = write_jsonl(tmp_path / "odd.jsonl", [{"name": odd, "symptom": ['咳,"嗽"', "发热"]}])
    with EmbeddedStore(tmp_path / "kg", read_only=False) as store:
        import_files([path], store, progress=False)
        answer = KnowledgeGraph(store).ask("symptom", odd)
    assert answer.found and answer.items == ["发热", '咳,"嗽"']


def test_text_that_is_not_unicode_is_a_bad_record(tmp_path):
    path = tmp_path / "surrogate.jsonl"
    path.write_text(
        '{"name": "好病", "symptom": ["咳嗽"]}\n{"name": "坏\\ud800病"}\n'
        '{"name": "坏症病", "symptom": ["\\udfff"]}\n',
        encoding="utf-8",
    )
    data = records.load_files([path])
    assert [(p.line, "surrogate" in p.message) for p in data.problems] == [(2, True), (3, True)]
    assert list(data.nodes["Disease"]) == ["好病"]
