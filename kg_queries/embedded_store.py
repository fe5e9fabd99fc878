"""Embedded LadybugDB store: the default, a directory under the project, no server.

Bulk path: nodes go in with ``UNWIND ... CREATE`` batches (lists travel as
parameters, which CSV cannot carry safely), passed as one list per column, which
binds several times faster than a list of maps; relations go in with ``COPY ... FROM``
CSV, which is two orders of magnitude faster than ``MATCH ... MERGE`` here. Both
skip what the store already holds, so importing the same file twice changes nothing.
"""
from __future__ import annotations

import csv
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from kg_queries import schema, writing
from kg_queries.store import GraphStore, ImportReport, KGUnavailableError, Row

logger = logging.getLogger(__name__)

NODE_BATCH = 5000


def _ddl() -> List[str]:
    statements = []
    for label in schema.LABELS:
        columns = ["name STRING", "alias STRING[]"]
        for prop, kind in (schema.DISEASE_PROPERTIES.items() if label == schema.DISEASE else ()):
            columns.append(f"`{prop}` {'STRING[]' if kind == 'list' else 'STRING'}")
        statements.append(
            f"CREATE NODE TABLE IF NOT EXISTS {label}({', '.join(columns)}, PRIMARY KEY(name))")
    for rel in schema.RELATIONS:
        statements.append(
            f"CREATE REL TABLE IF NOT EXISTS {rel.name}(FROM {rel.source} TO {rel.target})")
    return statements


class EmbeddedStore(GraphStore):
    """A LadybugDB database directory opened in-process."""

    kind = "embedded"

    def __init__(self, path: str | Path, read_only: bool = True) -> None:
        import ladybug

        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        if read_only and not self.path.exists():
            raise KGUnavailableError(
                f"no knowledge graph at {self.path}; build it with `make kg` "
                f"or `python -m bot kg import data/kg/*.json`")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = ladybug.Database(str(self.path), read_only=read_only)
            self._conn = ladybug.Connection(self._db)
        except RuntimeError as exc:
            raise KGUnavailableError(f"cannot open knowledge graph at {self.path}: {exc}") from exc
        if not read_only:
            for statement in _ddl():
                self._conn.execute(statement)

    # -- queries -------------------------------------------------------------------
    def run(self, cypher: str, params: Optional[Dict[str, Any]] = None) -> List[Row]:
        with self._lock:
            if self._conn is None:
                raise KGUnavailableError("knowledge graph store is closed")
            try:
                result = self._conn.execute(cypher, params or {})
            except RuntimeError as exc:
                message = str(exc)
                if "read-only" in message:
                    from kg_queries.store import KGWriteRefused

                    raise KGWriteRefused(message) from exc
                if "does not exist" in message and "Table" in message:
                    raise KGUnavailableError(f"knowledge graph is empty or incomplete: {message}") from exc
                raise
            columns = result.get_column_names()
            rows = []
            while result.has_next():
                rows.append(dict(zip(columns, result.get_next())))
            return rows

    # -- writes --------------------------------------------------------------------
    def clear(self) -> None:
        for rel in schema.RELATIONS:
            self.run(f"MATCH ()-[r:{rel.name}]->() DELETE r")
        for label in schema.LABELS:
            self.run(f"MATCH (n:{label}) DELETE n")

    def _existing_nodes(self, label: str) -> Dict[str, dict]:
        props = ", ".join(["n.alias AS alias"] + [
            f"n.`{p}` AS {writing.PARAM_KEY[p]}" for p in schema.node_properties(label)])
        rows = self.run(f"MATCH (n:{label}) RETURN n.name AS name, {props}")
        out = {}
        for row in rows:
            name = row.pop("name")
            row["alias"] = writing.normalise_alias(row.get("alias"))
            out[name] = row
        return out

    def import_data(self, data, replace: bool = False, progress: bool = True) -> ImportReport:
        if self.read_only:
            raise PermissionError("store opened read-only; open it with read_only=False to import")
        started = time.perf_counter()
        if replace:
            self.clear()
        report = ImportReport()
        for label in schema.LABELS:
            report.added[label] = self._import_nodes(label, data.nodes[label], progress)
        with tempfile.TemporaryDirectory(prefix="kg-import-") as tmp:
            for rel in schema.RELATIONS:
                report.added[rel.name] = self._import_relations(rel, data.relations[rel.name],
                                                                Path(tmp), progress)
        report.counts = self.counts()
        report.seconds = time.perf_counter() - started
        return report

    def _import_nodes(self, label: str, nodes: Dict[str, dict], progress: bool) -> int:
        existing = self._existing_nodes(label)
        new_rows, changed_rows = [], []
        for name, props in nodes.items():
            row = writing.node_row(label, name, props)
            if name not in existing:
                new_rows.append(row)
                continue
            merged = dict(row)
            merged["alias"] = sorted(set(row["alias"]) | set(existing[name]["alias"]))
            if any(merged[k] != existing[name].get(k) for k in merged if k != "name"):
                changed_rows.append(merged)
        with writing.progress_bar(len(new_rows) + len(changed_rows), f"{label} nodes", progress) as bar:
            for batch in writing.batches(new_rows, NODE_BATCH):
                columns, empty = writing.to_columns(batch)
                self.run(writing.create_nodes_cypher(label, columnar=True, empty=empty), columns)
                bar.update(len(batch))
            for batch in writing.batches(changed_rows, NODE_BATCH):
                columns, empty = writing.to_columns(batch)
                self.run(writing.update_nodes_cypher(label, columnar=True, empty=empty), columns)
                bar.update(len(batch))
        return len(new_rows)

    def _import_relations(self, rel: schema.Relation, pairs, tmp: Path, progress: bool) -> int:
        existing = {(r["s"], r["t"]) for r in self.run(
            f"MATCH (a:{rel.source})-[:{rel.name}]->(b:{rel.target}) RETURN a.name AS s, b.name AS t")}
        new_pairs = sorted(set(pairs) - existing)
        if not new_pairs:
            return 0
        path = tmp / f"{rel.name}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(new_pairs)
        with writing.progress_bar(len(new_pairs), f"{rel.name} relations", progress) as bar:
            self.run(f"COPY {rel.name} FROM '{path.as_posix()}' (header=false)")
            bar.update(len(new_pairs))
        return len(new_pairs)


    def close(self) -> None:
        with self._lock:
            if getattr(self, "_conn", None) is not None:
                self._conn.close()
                self._db.close()
                self._conn = None
