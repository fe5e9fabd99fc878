"""An import either lands completely or leaves the graph as it was.

Why: an import that stopped after the first relation tables left a graph with symptoms
but no drugs, checks or foods, and the bot answered from it. The embedded store now
builds a copy and swaps it in; these tests break the import part-way (an exception, a
killed process) and check the previous graph is intact, and that the Neo4j path's
final count check speaks up.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from kg_queries import records, schema
from kg_queries.embedded_store import EmbeddedStore, staging_path
from kg_queries.importer import import_files
from kg_queries.questions import KnowledgeGraph
from kg_queries.store import KGImportError
from tests.kg.conftest import BOLT_TIMEOUT, MINI_KG, PROJECT_ROOT, write_jsonl
from tests.kg.tricky import read_back, tricky_records


@pytest.fixture
def tricky_file(tmp_path):
    return write_jsonl(tmp_path / "tricky.jsonl", tricky_records(60, seed=3))


def _break_after(monkeypatch, tables: int) -> None:
    """Make the embedded writer raise after ``tables`` relation tables were written."""
    original = EmbeddedStore._import_relations
    done = []

    def flaky(self, rel, pairs, tmp, progress):
        if len(done) == tables:
            raise RuntimeError("disk full (simulated)")
        done.append(rel.name)
        return original(self, rel, pairs, tmp, progress)

    monkeypatch.setattr(EmbeddedStore, "_import_relations", flaky)


def _leftovers(path):
    return sorted(p.name for p in path.parent.glob(f"{path.name}.new-*"))


@pytest.mark.parametrize("replace", [False, True])
def test_interrupted_import_leaves_the_previous_graph(fresh_embedded, tricky_file, monkeypatch, replace):
    before, graph = fresh_embedded.counts(), read_back(fresh_embedded)
    _break_after(monkeypatch, 3)
    with pytest.raises(KGImportError, match=r"unchanged.*disk full"):
        import_files([tricky_file], fresh_embedded, replace=replace, progress=False)
    assert fresh_embedded.counts() == before and read_back(fresh_embedded) == graph
    assert KnowledgeGraph(fresh_embedded).ask("symptom", "感冒").found
    with EmbeddedStore(fresh_embedded.path, read_only=True) as reader:
        assert reader.counts() == before
    assert _leftovers(fresh_embedded.path) == []


def test_import_after_a_failure_completes(fresh_embedded, tricky_file, monkeypatch):
    before = fresh_embedded.counts()
    _break_after(monkeypatch, 5)
    with pytest.raises(KGImportError):
        import_files([tricky_file], fresh_embedded, progress=False)
    monkeypatch.undo()
    report = import_files([tricky_file], fresh_embedded, progress=False).report
    added = records.load_files([tricky_file]).counts()
    assert all(report.counts[key] == before[key] + added[key] for key in added)  # disjoint names


CRASH = """
import os, sys
from kg_queries import records
from kg_queries.embedded_store import EmbeddedStore
original = EmbeddedStore._import_relations
def crash(self, rel, pairs, tmp, progress):
    if rel.name == "need_check":
        os._exit(9)  # the process dies: no exception handler, no cleanup
    return original(self, rel, pairs, tmp, progress)
EmbeddedStore._import_relations = crash
store = EmbeddedStore(sys.argv[1], read_only=False)
store.import_data(records.load_files([sys.argv[2]]), progress=False)
"""


def test_killed_import_leaves_the_graph_and_its_leftover_is_cleaned(tmp_path, tricky_file):
    path = tmp_path / "kg"
    with EmbeddedStore(path, read_only=False) as store:
        store.import_data(records.load_files([MINI_KG]), progress=False)
        before, graph = store.counts(), read_back(store)
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(path), str(tricky_file)],
        cwd=PROJECT_ROOT,
        env={"PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 9, done.stderr
    assert _leftovers(path), "the killed import should have left its staging file"
    with EmbeddedStore(path, read_only=True) as reader:
        assert reader.counts() == before and read_back(reader) == graph
    with EmbeddedStore(path, read_only=False) as store:
        store.import_data(records.load_files([MINI_KG]), progress=False)
        assert store.counts() == before
    assert _leftovers(path) == []


def test_a_reader_reads_the_previous_graph_then_reopens_the_new_one(fresh_embedded, tmp_path, monkeypatch):
    from kg_queries import embedded_store

    before = fresh_embedded.counts()
    monkeypatch.setattr(embedded_store, "REOPEN_CHECK_SECONDS", 3600.0)
    with EmbeddedStore(fresh_embedded.path, read_only=True) as reader:
        path = write_jsonl(tmp_path / "one.jsonl", [{"name": "新病", "symptom": ["新症"]}])
        import_files([path], fresh_embedded, progress=False)
        assert reader.counts() == before, "the previous file stays readable until the reader looks again"
        assert fresh_embedded.counts()[schema.DISEASE] == before[schema.DISEASE] + 1
        monkeypatch.setattr(embedded_store, "REOPEN_CHECK_SECONDS", 0.0)
        assert KnowledgeGraph(reader).ask("symptom", "新病").items == ["新症"], (
            "not reopened after the import"
        )
        assert reader.counts()[schema.DISEASE] == before[schema.DISEASE] + 1


def test_staging_file_is_next_to_the_graph(tmp_path):
    path = tmp_path / "var" / "kg"
    assert staging_path(path).parent == path.parent and staging_path(path).name.startswith("kg.new-")


def test_cli_import_failure_is_one_line_and_changes_nothing(fresh_embedded, tricky_file, monkeypatch, capsys):
    import argparse

    from bot.cli import kg as cli_kg

    before = fresh_embedded.counts()
    fresh_embedded.close()
    parser = argparse.ArgumentParser()
    cli_kg.register(parser.add_subparsers())
    args = parser.parse_args(
        ["kg", "import", "-q", str(tricky_file), "--store-path", str(fresh_embedded.path)]
    )
    _break_after(monkeypatch, 1)
    assert args.handler(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: import failed" in err and "unchanged" in err
    with EmbeddedStore(fresh_embedded.path, read_only=True) as reader:
        assert reader.counts() == before


def test_something_odd_in_the_staging_place_fails_cleanly(fresh_embedded, tricky_file):
    before = fresh_embedded.counts()
    (fresh_embedded.path.parent / "kg.new-1").mkdir()  # not a leftover this code would write
    with pytest.raises(KGImportError, match="unchanged"):
        import_files([tricky_file], fresh_embedded, progress=False)
    assert fresh_embedded.counts() == before


@pytest.mark.timeout(60)
def test_bolt_import_reports_counts_that_do_not_add_up(falkordb_server, mini_data, monkeypatch):
    """A batch the server accepted but did not write shows up in the final count check."""
    from kg_queries import writing
    from kg_queries.neo4j_store import Neo4jStore

    real = writing.merge_relations_cypher
    monkeypatch.setattr(
        writing,
        "merge_relations_cypher",
        lambda rel: "UNWIND $rows AS r RETURN count(r) AS n" if rel.name == "need_check" else real(rel),
    )
    with (
        Neo4jStore(falkordb_server.uri, batch_size=5, timeout=BOLT_TIMEOUT) as store,
        pytest.raises(KGImportError, match="need_check: expected"),
    ):
        store.import_data(mini_data, progress=False)
