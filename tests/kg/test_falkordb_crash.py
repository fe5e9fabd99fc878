"""A Bolt server that dies mid-request surfaces as ``KGUnavailableError`` within seconds.

FalkorDB's experimental Bolt endpoint crashes on a message over about 4 KB; that is
used here as a real server crash.
"""

from __future__ import annotations

import time

import pytest

from kg_queries.neo4j_store import Neo4jStore
from kg_queries.questions import KnowledgeGraph
from kg_queries.store import KGUnavailableError
from tests.kg.conftest import BOLT_TIMEOUT


@pytest.mark.timeout(60)
def test_oversized_message_crash_is_a_typed_error_not_a_hang(falkordb_server):
    store = Neo4jStore(falkordb_server.uri, batch_size=5, timeout=BOLT_TIMEOUT)
    try:
        assert store.run("RETURN 1 AS x") == [{"x": 1}]
        started = time.monotonic()
        with pytest.raises(KGUnavailableError):
            store.run("RETURN size($text) AS n", {"text": "病" * 3000})  # ~9 KB message
        assert time.monotonic() - started < 5
        falkordb_server.process.wait(timeout=5)  # the server really is gone
        started = time.monotonic()
        with pytest.raises(KGUnavailableError):
            KnowledgeGraph(store).ask("definition", "感冒")
        assert time.monotonic() - started < 5
    finally:
        store.close()


@pytest.mark.timeout(60)
def test_crash_during_import_is_a_typed_error(falkordb_server, mini_data):
    store = Neo4jStore(falkordb_server.uri, batch_size=100, timeout=BOLT_TIMEOUT)  # too big a batch
    try:
        started = time.monotonic()
        with pytest.raises(KGUnavailableError):
            store.import_data(mini_data, progress=False)
        assert time.monotonic() - started < 10
    finally:
        store.close()


def test_dropped_handshakes_are_retried(falkordb_server):
    """FalkorDB drops the handshake of a connection that follows a client's GOODBYE;
    a store opened after another one closed still answers."""
    for _ in range(3):
        with Neo4jStore(falkordb_server.uri, timeout=BOLT_TIMEOUT) as store:
            assert store.run("RETURN 2 AS x") == [{"x": 2}]
