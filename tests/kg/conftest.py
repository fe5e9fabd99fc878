"""Fixtures for the knowledge-graph tests.

``mini_kg.jsonl`` (14 diseases, short strings) is loaded into a fresh embedded store
and, through the Neo4j store path, into a real Bolt server: FalkorDB started on
127.0.0.1 with free ports from 17687-17699. FalkorDB's experimental Bolt endpoint
crashes on messages over about 4 KB, hence the small write batches here. The
FalkorDB tests skip only when its binaries cannot be fetched
(``scripts/fetch_falkordb.sh``, which CI runs before pytest).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from kg_queries import records
from kg_queries.embedded_store import EmbeddedStore
from tests.kg.falkordb_server import PROJECT_ROOT, FalkorDBServer, fetch_binaries

DATA_DIR = Path(__file__).resolve().parent / "data"
MINI_KG = DATA_DIR / "mini_kg.jsonl"
BOLT_BATCH_SIZE = 10  # rows per Bolt message: small enough for FalkorDB's ~4 KB limit
BOLT_TIMEOUT = 1.0  # seconds to connect + handshake on localhost


@pytest.fixture(scope="session")
def mini_data() -> records.GraphData:
    data = records.load_files([MINI_KG])
    assert not data.problems
    return data


def make_embedded(path: Path, *files: Path) -> EmbeddedStore:
    """A writable embedded store at ``path`` holding ``files``."""
    store = EmbeddedStore(path, read_only=False)
    store.import_data(records.load_files(list(files)), progress=False)
    return store


@pytest.fixture(scope="session")
def embedded_store(tmp_path_factory):
    """The mini graph in an embedded store (shared: tests must not write to it)."""
    store = make_embedded(tmp_path_factory.mktemp("embedded") / "kg", MINI_KG)
    yield store
    store.close()


@pytest.fixture
def fresh_embedded(tmp_path):
    """A writable embedded store with the mini graph, for one test."""
    store = make_embedded(tmp_path / "kg", MINI_KG)
    yield store
    store.close()


@pytest.fixture(scope="session")
def falkordb_binaries() -> None:
    if not fetch_binaries():
        pytest.skip("FalkorDB binaries could not be fetched (scripts/fetch_falkordb.sh)")


@pytest.fixture
def falkordb_server(falkordb_binaries):
    """A FalkorDB server of one's own (for tests that crash or fill it)."""
    server = FalkorDBServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_falkordb(falkordb_binaries):
    server = FalkorDBServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bolt_store(shared_falkordb, mini_data):
    """The mini graph in FalkorDB through the Neo4j store (shared: tests must not write to it).

    One store, hence one pooled connection, for the whole session.
    """
    from kg_queries.neo4j_store import Neo4jStore

    store = Neo4jStore(shared_falkordb.uri, batch_size=BOLT_BATCH_SIZE, timeout=BOLT_TIMEOUT)
    store.import_data(mini_data, replace=True, progress=False)
    yield store
    store.close()


@pytest.fixture(params=["embedded", "bolt"])
def any_store(request):
    """Each shared mini-graph store in turn."""
    return request.getfixturevalue("embedded_store" if request.param == "embedded" else "bolt_store")


def run_cli(
    *args: str, env: Dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run ``python -m bot <args>`` from the project root; returns the finished process."""
    full_env = dict(
        os.environ, PYTHONPATH=str(PROJECT_ROOT), TF_CPP_MIN_LOG_LEVEL="3", NEO4J_TIMEOUT=str(BOLT_TIMEOUT)
    )
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_jsonl(path: Path, items: List[object]) -> Path:
    import json

    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return path
