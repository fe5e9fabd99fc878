"""``python -m bot kg ...``: store selection, read-only queries, JSON output, synth, bench."""

from __future__ import annotations

import json
import time

import pytest

from kg_queries.factory import load_kg_settings, open_store
from kg_queries.store import KGUnavailableError
from tests.kg.conftest import MINI_KG, run_cli
from tests.kg.falkordb_server import free_ports


def test_kg_embedded_path_and_store_path_choose_the_directory(tmp_path):
    by_env, by_flag = tmp_path / "by_env", tmp_path / "by_flag"
    done = run_cli("kg", "import", "-q", str(MINI_KG), env={"KG_EMBEDDED_PATH": str(by_env)})
    assert done.returncode == 0, done.stderr
    assert by_env.exists() and not by_flag.exists()
    done = run_cli(
        "kg",
        "import",
        "-q",
        str(MINI_KG),
        "--store-path",
        str(by_flag),
        env={"KG_EMBEDDED_PATH": str(by_env / "unused")},
    )
    assert done.returncode == 0, done.stderr
    assert by_flag.exists() and not (by_env / "unused").exists()
    stats = run_cli("kg", "stats", env={"KG_EMBEDDED_PATH": str(by_flag)})
    assert stats.returncode == 0 and "Disease" in stats.stdout and "14" in stats.stdout


def test_settings_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KG_EMBEDDED_PATH", str(tmp_path / "x"))
    monkeypatch.setenv("NEO4J_BATCH_SIZE", "7")
    monkeypatch.setenv("NEO4J_TIMEOUT", "1.5")
    settings = load_kg_settings()
    assert settings["embedded_path"] == str(tmp_path / "x")
    assert settings["neo4j"]["batch_size"] == 7 and settings["neo4j"]["timeout"] == 1.5


def test_unreachable_neo4j_fails_fast_with_typed_error(monkeypatch):
    port = free_ports(1)[0]  # nothing listens there
    monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{port}")
    started = time.monotonic()
    store = open_store(kind="neo4j")
    try:
        with pytest.raises(KGUnavailableError, match=str(port)):
            store.run("RETURN 1 AS x")
    finally:
        store.close()
    assert time.monotonic() - started < 3
    done = run_cli("kg", "stats", "--store", "neo4j", env={"NEO4J_URI": f"bolt://127.0.0.1:{port}"})
    assert done.returncode == 3 and "knowledge graph unavailable" in done.stderr


def _mini_store(tmp_path):
    path = tmp_path / "kg"
    assert run_cli("kg", "import", "-q", str(MINI_KG), "--store-path", str(path)).returncode == 0
    return path


def test_query_is_read_only_by_default_and_prints_json(tmp_path):
    path = _mini_store(tmp_path)
    write = "CREATE (:Food {name: '新食物'})"
    refused = run_cli("kg", "query", write, "--store-path", str(path))
    assert refused.returncode == 2 and "read-only" in refused.stderr
    done = run_cli("kg", "query", "MATCH (f:Food) RETURN count(f) AS n", "--json", "--store-path", str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": 19}]
    allowed = run_cli("kg", "query", write, "--write", "--store-path", str(path))
    assert allowed.returncode == 0, allowed.stderr
    done = run_cli(
        "kg",
        "query",
        "MATCH (d:Disease {name: $n}) RETURN d.cured_prob AS p",
        "--json",
        "--params",
        '{"n": "感冒"}',
        "--store-path",
        str(path),
    )
    assert json.loads(done.stdout) == [{"p": "95%"}]
    counted = run_cli(
        "kg", "query", "MATCH (f:Food) RETURN count(f) AS n", "--json", "--store-path", str(path)
    )
    assert json.loads(counted.stdout) == [{"n": 20}]


def test_read_only_store_refuses_writes_that_slip_past_the_word_filter(tmp_path):
    from kg_queries.store import KGWriteRefused

    path = _mini_store(tmp_path)
    with open_store(kind="embedded", path=str(path), read_only=True) as store:
        try:
            store.run("MATCH (f:Food) DELETE f")
            raise AssertionError("expected KGWriteRefused")
        except KGWriteRefused:
            pass
        assert store.run("MATCH (f:Food) RETURN count(f) AS n") == [{"n": 19}]


def test_synth_is_deterministic_and_clean(tmp_path):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    for out, seed in ((a, "1"), (b, "1"), (c, "2")):
        done = run_cli("kg", "synth", "--diseases", "60", "--seed", seed, "--out", str(out), "-q")
        assert done.returncode == 0, done.stderr
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    lines = a.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 60 and len({json.loads(line)["name"] for line in lines}) == 60
    store = tmp_path / "kg"
    assert run_cli("kg", "import", "-q", str(a), "--store-path", str(store)).returncode == 0
    check = run_cli("kg", "check", "--json", "--store-path", str(store))
    assert check.returncode == 0, check.stdout
    report = json.loads(check.stdout)
    assert report["near_duplicates"] == {} and report["contradictions"]["total"] == 0
    assert report["counts"]["production"] > 0 and report["counts"]["belongs_to"] > 0


def test_bench_embedded_reports_every_lookup(tmp_path):
    done = run_cli("kg", "bench", "--diseases", "80", "--lookups", "5", "--json", "-q")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["idempotent"] and len(report["imports"]) == 2
    assert report["imports"][0]["counts"]["Disease"] >= 80
    names = [item["name"] for item in report["latencies"]]
    assert names[-2:] == ["symptoms_to_diseases", "name_lookup"] and len(names) == 14
    assert all(item["answered"] == item["calls"] == 5 for item in report["latencies"])


def test_bench_over_bolt_refuses_a_filled_graph_unless_replace(falkordb_server):
    args = (
        "kg",
        "bench",
        "--store",
        "neo4j",
        "--neo4j-uri",
        falkordb_server.uri,
        "--diseases",
        "15",
        "--text-chars",
        "20",
        "--batch-size",
        "5",
        "--lookups",
        "3",
        "--json",
        "-q",
    )
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["idempotent"] and report["batch_size"] == 5 and report["diseases"] == 15
    assert all(item["answered"] == 3 for item in report["latencies"])
    refused = run_cli(*args)
    assert refused.returncode == 2 and "--replace" in refused.stderr
    again = run_cli(*args, "--replace")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["imports"][0]["counts"] == report["imports"][0]["counts"]
