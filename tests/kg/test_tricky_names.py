"""Names and texts with any characters round-trip exactly through both stores.

Why: a real hospital file stopped mid-import on a drug name with a comma, leaving
symptoms but no drugs; these tests import generated names holding every awkward
character (seeded) and compare the whole graph read back with what was parsed.
"""

from __future__ import annotations

import pytest

from kg_queries import records, schema
from kg_queries.embedded_store import COPY_OPTIONS, EmbeddedStore, split_for_csv, write_csv
from kg_queries.importer import import_files
from kg_queries.questions import KnowledgeGraph
from tests.kg.conftest import BOLT_TIMEOUT, write_jsonl
from tests.kg.tricky import NUL, PIECES, expected_graph, read_back, tricky_records


@pytest.fixture(scope="module")
def tricky_file(tmp_path_factory):
    return write_jsonl(tmp_path_factory.mktemp("tricky") / "tricky.jsonl", tricky_records(300, seed=7))


def test_generated_names_hold_every_piece(tricky_file):
    data = records.load_files([tricky_file])
    assert not data.problems and data.records == 301
    text = "".join(name for label in schema.LABELS for name in data.nodes[label])
    assert all(piece in text for piece in PIECES + (NUL,))
    assert any(name.startswith(("#", "$")) for name in data.nodes[schema.DISEASE])


def test_embedded_store_gives_every_name_and_text_back(tmp_path, tricky_file):
    data = records.load_files([tricky_file])
    with EmbeddedStore(tmp_path / "kg", read_only=False) as store:
        report = import_files([tricky_file], store, progress=False).report
        assert report.counts == data.counts()
        assert read_back(store) == expected_graph(data)
        again = store.import_data(records.load_files([tricky_file]), progress=False)
        assert set(again.added.values()) == {0} and again.counts == data.counts()
        kg = KnowledgeGraph(store)
        for disease in sorted(data.nodes[schema.DISEASE])[:20]:
            wanted = sorted(t for s, t in data.relations["has_symptom"] if s == disease)
            assert sorted(kg.ask("symptom", disease).items) == wanted
    with EmbeddedStore(tmp_path / "kg", read_only=True) as reopened:
        assert read_back(reopened) == expected_graph(data)


def test_relations_with_line_breaks_or_nul_bypass_the_csv():
    pairs = [("a", "b,c"), ("a\nb", "c"), ("a", "b\r"), ("x\x00", "y"), ('"q"', "\t")]
    assert split_for_csv(pairs) == (
        [("a", "b,c"), ('"q"', "\t")],
        [("a\nb", "c"), ("a", "b\r"), ("x\x00", "y")],
    )


def test_csv_dialect_survives_a_late_quoted_comma(tmp_path):
    """The reported failure: thousands of rows needing no quotes, then a quoted comma."""
    import ladybug

    # a byte-order mark on the first row, a tab and a | early (a sniffer's delimiters),
    # then thousands of rows that need no quotes, then the quoted comma
    names = ["\ufeff开头", "t\tab", "a|b", "x\\"] + [f"药{i}" for i in range(3000)] + ["注射用1,6-二磷酸果糖"]
    db = ladybug.Database(str(tmp_path / "db"))
    conn = ladybug.Connection(db)
    conn.execute("CREATE NODE TABLE A(name STRING, PRIMARY KEY(name))")
    conn.execute("CREATE NODE TABLE B(name STRING, PRIMARY KEY(name))")
    conn.execute("CREATE REL TABLE R(FROM A TO B)")
    conn.execute("UNWIND $n AS x CREATE (:A {name: x})", {"n": names})
    conn.execute("CREATE (:B {name: 's'})")
    write_csv(tmp_path / "r.csv", [(name, "s") for name in names])
    conn.execute(f"COPY R FROM '{(tmp_path / 'r.csv').as_posix()}' {COPY_OPTIONS}")
    result = conn.execute("MATCH (a:A)-[:R]->(:B) RETURN a.name")
    back = set()
    while result.has_next():
        back.add(result.get_next()[0])
    conn.close()
    db.close()
    assert back == set(names)


@pytest.mark.timeout(120)
def test_bolt_store_gives_every_name_and_text_back(falkordb_server, tmp_path):
    """Through the Neo4j store path (FalkorDB: batches of 5, short texts, no NUL)."""
    from kg_queries.neo4j_store import Neo4jStore

    path = write_jsonl(tmp_path / "tricky.jsonl", tricky_records(40, seed=11, nul=False, text_pieces=3))
    data = records.load_files([path])
    with Neo4jStore(falkordb_server.uri, batch_size=5, timeout=BOLT_TIMEOUT) as store:
        report = import_files([path], store, progress=False).report
        assert report.counts == data.counts()
        assert read_back(store) == expected_graph(data)
        again = store.import_data(records.load_files([path]), progress=False)
        assert again.counts == data.counts() and {again.added[r.name] for r in schema.RELATIONS} == {0}
