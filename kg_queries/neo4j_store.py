"""Neo4j store through the official ``neo4j`` driver (production).

Why: production graphs live in a Neo4j server shared by several bot instances; this
store writes and reads it with the same rows and questions as the embedded one.

Writes go in ``UNWIND ... MERGE`` batches of ``batch_size`` rows, each batch one
auto-commit transaction, so re-imports are idempotent. An import is *not* atomic
here: one database cannot swap in a whole new graph at once (a staging label would
mean writing every node twice and cannot relabel relations; the atomic route is a
second database and an alias switch, Neo4j Enterprise, outside this tool). So a
failed import (or one with ``replace``, which clears first) can leave part of the
file written; the error says so, and re-running the same import completes it. Every
import ends with a count check — each label and relation must hold what it held
before plus what was added — and raises :class:`KGImportError` when it does not.

Every driver failure that means "the server cannot answer" — refused connection,
dropped socket, a server that crashed mid-query — becomes :class:`KGUnavailableError`;
timeouts are short so a dead server never hangs a reply.

Connections are opened with a few attempts (``connect_attempts``): some Bolt servers
drop the handshake of the connection that follows a client's ``GOODBYE`` (FalkorDB
4.16 does, on every second new connection), and a retry is the only client-side cure.
Statements themselves are never retried, so a crash mid-query is reported at once.

On connecting, one probe checks that string parameters arrive intact. FalkorDB's Bolt
endpoint (which also calls itself Neo4j) pastes them into the query text between
single quotes without escaping: a quote in a disease name breaks the query, and a
crafted one could inject Cypher. For such a server, string parameters are escaped so
that the pasted text reads back as exactly the original value; a server that mangles
parameters even then is refused. (FalkorDB still cuts a string at a NUL character;
Neo4j keeps it.)
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any, Dict, List, Optional

from kg_queries import schema, writing
from kg_queries.store import GraphStore, ImportReport, KGImportError, KGUnavailableError, Row

logger = logging.getLogger(__name__)

# Values a server that splices parameters into the query text gets wrong. The first
# (a backslash escape) tells such a server apart without making it fail a query (a failed
# query is best avoided on FalkorDB, whose error paths are fragile); the second, a quote
# and a backslash, is only ever sent escaped to such a server.
PARAMETER_PROBES = ("a\\tb", "'\\")


def escape_for_splicing(value: Any) -> Any:
    """``value`` with every string (also inside lists and maps) escaped for a Cypher
    single-quoted literal: backslash first, then the quote."""
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("'", "\\'")
    if isinstance(value, (list, tuple)):
        return [escape_for_splicing(item) for item in value]
    if isinstance(value, dict):
        return {key: escape_for_splicing(item) for key, item in value.items()}
    return value


ROUTING_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc")


class Neo4jStore(GraphStore):
    """A Bolt server (Neo4j in production; any Bolt-speaking Cypher server in tests)."""

    kind = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str = "neo4j",
        password: str = "",
        database: Optional[str] = None,
        batch_size: int = 500,
        timeout: float = 5.0,
        connect_attempts: int = 3,
        read_only: bool = False,
    ) -> None:
        import neo4j

        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if connect_attempts < 1:
            raise ValueError("connect_attempts must be at least 1")
        self.uri, self.database, self.batch_size = uri, database, batch_size
        self.connect_attempts = connect_attempts
        # Read sessions where they matter: with a routing URI (neo4j://) a cluster serves them
        # from its followers and read replicas (the action server's question queries). A direct
        # bolt:// connection goes to one server whatever the mode, so it keeps the default
        # (FalkorDB, the tests' Bolt server, answers read-mode queries from an empty graph).
        self.read_only = read_only
        routed = uri.split("://", 1)[0] in ROUTING_SCHEMES
        self._access_mode = neo4j.READ_ACCESS if read_only and routed else neo4j.WRITE_ACCESS
        self._connected = False
        self._splices_parameters = False
        self._errors = (
            neo4j.exceptions.ServiceUnavailable,
            neo4j.exceptions.SessionExpired,
            neo4j.exceptions.DriverError,
            OSError,
        )
        auth = (user, password) if password else None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=auth,
                connection_timeout=timeout,
                connection_acquisition_timeout=timeout,
                max_transaction_retry_time=0,
                liveness_check_timeout=0,
            )
        except (ValueError, *self._errors) as exc:
            raise KGUnavailableError(f"cannot reach the knowledge graph at {uri}: {exc}") from exc

    def _connect(self) -> None:
        """Put one working connection in the driver's pool, retrying a dropped handshake,
        and find out whether the server splices parameters into the query text."""
        for attempt in range(1, self.connect_attempts + 1):
            try:
                self._driver.verify_connectivity()
                self._splices_parameters = self._detect_parameter_splicing()
                self._connected = True
                return
            except self._errors as exc:
                if attempt == self.connect_attempts:
                    raise KGUnavailableError(
                        f"cannot reach the knowledge graph at {self.uri}: {exc}"
                    ) from exc
                logger.debug("connection attempt %d to %s failed: %s", attempt, self.uri, exc)

    def _execute(self, cypher: str, params: Dict[str, Any]) -> List[Row]:
        with self._driver.session(database=self.database, default_access_mode=self._access_mode) as session:
            return [record.data() for record in session.run(cypher, params)]

    def _probe(self, value: str, escaped: bool) -> bool:
        """True when ``value`` (sent escaped or not) comes back unchanged."""
        import neo4j

        sent = escape_for_splicing(value) if escaped else value
        try:
            return self._execute("RETURN $probe AS probe", {"probe": sent}) == [{"probe": value}]
        except neo4j.exceptions.Neo4jError:  # the server's own error, e.g. a syntax error
            return False

    def _detect_parameter_splicing(self) -> bool:
        if all(self._probe(value, escaped=False) for value in PARAMETER_PROBES):
            return False
        if all(self._probe(value, escaped=True) for value in PARAMETER_PROBES):
            logger.warning(
                "the Bolt server at %s pastes parameters into the query text; "
                "escaping string parameters for it",
                self.uri,
            )
            return True
        raise KGUnavailableError(f"the Bolt server at {self.uri} corrupts query parameters; not using it")

    def run(self, cypher: str, params: Optional[Dict[str, Any]] = None) -> List[Row]:
        if not self._connected:
            self._connect()
        params = params or {}
        if self._splices_parameters:
            params = escape_for_splicing(params)
        try:
            return self._execute(cypher, params)
        except self._errors as exc:
            self._connected = False  # reconnect (with retries) on the next statement
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
        if self.read_only:
            raise PermissionError("store opened read-only; open it with read_only=False to import")
        started = time.perf_counter()
        try:
            report = self._import(data, replace, progress)
        except KGUnavailableError as exc:
            raise KGUnavailableError(
                f"{exc} (the import stopped part-way; run the same import again to complete it)"
            ) from exc
        report.seconds = time.perf_counter() - started
        return report

    def _import(self, data, replace: bool, progress: bool) -> ImportReport:
        if replace:
            self.clear()
        self.ensure_indexes()
        before = self.counts()
        report = ImportReport()
        for label in schema.LABELS:
            rows = [writing.node_row(label, name, props) for name, props in data.nodes[label].items()]
            existing = {
                r["name"]: writing.normalise_alias(r["alias"])
                for r in self.run(f"MATCH (n:{label}) RETURN n.name AS name, n.alias AS alias")
            }
            for row in rows:  # keep aliases other imports added
                row["alias"] = sorted(set(row["alias"]) | set(existing.get(row["name"], [])))
            report.added[label] = sum(1 for row in rows if row["name"] not in existing)
            self._write(writing.merge_nodes_cypher(label), rows, f"{label} nodes", progress)
        for rel in schema.RELATIONS:
            existing_pairs = {
                (r["s"], r["t"])
                for r in self.run(
                    f"MATCH (a:{rel.source})-[:{rel.name}]->(b:{rel.target}) RETURN a.name AS s, b.name AS t"
                )
            }
            rows = [{"s": s, "t": t} for s, t in sorted(set(data.relations[rel.name]) - existing_pairs)]
            self._write(writing.merge_relations_cypher(rel), rows, f"{rel.name} relations", progress)
            report.added[rel.name] = len(rows)
        report.counts = self.counts()
        try:
            writing.verify_counts(before, report)
        except KGImportError as exc:
            raise KGImportError(f"{exc} (graph at {self.uri}; it holds what was written)") from exc
        return report

    def _write(self, cypher: str, rows: List[dict], desc: str, progress: bool) -> None:
        with writing.progress_bar(len(rows), desc, progress) as bar:
            for batch in writing.batches(rows, self.batch_size):
                self.run(cypher, {"rows": batch})
                bar.update(len(batch))

    def close(self) -> None:
        # Closing a driver to a dead server must not raise.
        with contextlib.suppress(Exception):
            self._driver.close()
