"""A store opened read-only answers questions and refuses imports, embedded and over Bolt alike;
with a routing URI (``neo4j://``) its sessions are read sessions, which a Neo4j cluster serves
from its followers and read replicas (docs/deployment.md)."""

from __future__ import annotations

import neo4j
import pytest

from kg_queries.embedded_store import EmbeddedStore
from kg_queries.neo4j_store import Neo4jStore
from kg_queries.questions import KnowledgeGraph
from tests.kg.conftest import BOLT_TIMEOUT


def test_a_read_only_bolt_store_opens_read_sessions_answers_and_refuses_imports(
    bolt_store, shared_falkordb, mini_data
):
    with Neo4jStore(shared_falkordb.uri, timeout=BOLT_TIMEOUT, read_only=True) as store:
        disease = next(iter(mini_data.nodes["Disease"]))
        assert KnowledgeGraph(store).disease_exists(disease)
        with pytest.raises(PermissionError, match="read-only"):
            store.import_data(mini_data, progress=False)


@pytest.mark.parametrize(
    "uri, read_only, mode",
    [
        ("neo4j://cluster.internal:7687", True, neo4j.READ_ACCESS),
        ("neo4j+s://cluster.internal:7687", True, neo4j.READ_ACCESS),
        ("neo4j://cluster.internal:7687", False, neo4j.WRITE_ACCESS),
        ("bolt://127.0.0.1:7687", True, neo4j.WRITE_ACCESS),
    ],
)
def test_read_sessions_only_where_a_cluster_routes_them(uri, read_only, mode):
    store = Neo4jStore(uri, password="x", read_only=read_only)  # the driver connects lazily
    try:
        assert store._access_mode == mode
    finally:
        store.close()


def test_a_read_only_embedded_store_refuses_imports(fresh_embedded, mini_data):
    fresh_embedded.close()
    with EmbeddedStore(fresh_embedded.path, read_only=True) as store:
        assert KnowledgeGraph(store).disease_exists(next(iter(mini_data.nodes["Disease"])))
        with pytest.raises(PermissionError, match="read-only"):
            store.import_data(mini_data, progress=False)
