"""Neo4j store through the official ``neo4j`` driver (production).

Writes go in ``UNWIND ... MERGE`` batches of ``batch_size`` rows, so re-imports are
idempotent. Every driver failure that means "the server cannot answer" — refused
connection, dropped socket, a server that crashed mid-query — becomes
:class:`KGUnavailableError`; timeouts are short so a dead server never hangs a reply.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Optional

from kg_queries import schema, writing
from kg_queries.store import GraphStore, ImportReport, KGUnavailableError, Row

logger = logging.getLogger(__name__)


class Neo4jStore(GraphStore):
    """A Bolt server (Neo4j in production; any Bolt-speaking Cypher server in tests)."""

    kind = "neo4j"

    def __init__(self, uri: str, user: str = "neo4j", password: str = "", database: Optional[str] = None,
                 batch_size: int = 500, timeout: float = 5.0) -> None:
        import neo4j

        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.uri, self.database, self.batch_size = uri, database, batch_size
        self._errors = (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired,
                        neo4j.exceptions.DriverError, OSError)
        auth = (user, password) if password else None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri, auth=auth, connection_timeout=timeout, connection_acquisition_timeout=timeout,
                max_transaction_retry_time=0, liveness_check_timeout=0)
        except (ValueError, *self._errors) as exc:
            raise KGUnavailableError(f"cannot reach the knowledge graph at {uri}: {exc}") from exc

    def run(self, cypher: str, params: Optional[Dict[str, Any]] = None) -> List[Row]:
        try:
            with self._driver.session(database=self.database) as session:
                result = session.run(cypher, params or {})
                return [record.data() for record in result]
        except self._errors as exc:
            raise KGUnavailableError(f"knowledge graph at {self.uri} is unavailable: {exc}") from exc

    def clear(self) -> None:
        for label in schema.LABELS:
            self.run(f"MATCH (n:{label}) DETACH DELETE n")

    def ensure_indexes(self) -> None:
        """Unique names per label (Neo4j syntax first, then the older index syntax)."""
        for label in schema.LABELS:
            for statement in (
                f"CREATE CONSTRAINT {label.lower()}_name IF NOT EXISTS FOR (n:{label}) REQUIRE n.name IS UNIQUE",
                f"CREATE INDEX FOR (n:{label}) ON (n.name)",
            ):
                try:
                    self.run(statement)
                    break
                except KGUnavailableError:
                    raise
                except Exception as exc:  # server-specific syntax or "already exists"
                    logger.debug("index statement not accepted (%s): %s", statement, exc)

    def import_data(self, data, replace: bool = False, progress: bool = True) -> ImportReport:
        started = time.perf_counter()
        if replace:
            self.clear()
        self.ensure_indexes()
        report = ImportReport()
        for label in schema.LABELS:
            rows = [writing.node_row(label, name, props) for name, props in data.nodes[label].items()]
            existing = {r["name"]: writing.normalise_alias(r["alias"]) for r in self.run(
                f"MATCH (n:{label}) RETURN n.name AS name, n.alias AS alias")}
            for row in rows:  # keep aliases other imports added
                row["alias"] = sorted(set(row["alias"]) | set(existing.get(row["name"], [])))
            report.added[label] = sum(1 for row in rows if row["name"] not in existing)
            self._write(writing.merge_nodes_cypher(label), rows, f"{label} nodes", progress)
        for rel in schema.RELATIONS:
            pairs = sorted(data.relations[rel.name])
            rows = [{"s": s, "t": t} for s, t in pairs]
            self._write(writing.merge_relations_cypher(rel), rows, f"{rel.name} relations", progress)
            report.added[rel.name] = len(rows)
        report.counts = self.counts()
        report.seconds = time.perf_counter() - started
        return report

    def _write(self, cypher: str, rows: List[dict], desc: str, progress: bool) -> None:
        with writing.progress_bar(len(rows), desc, progress) as bar:
            for batch in writing.batches(rows, self.batch_size):
                self.run(cypher, {"rows": batch})
                bar.update(len(batch))


    def close(self) -> None:
        try:
            self._driver.close()
        except Exception:  # closing a driver to a dead server must not raise
            pass
