"""Embedded LadybugDB store: the default, one database file under the project, no server.

Why: the bot needs a graph without running a server, and an import of a real hospital
file (8,800 diseases, ~295,000 relations, names with commas, quotes, brackets, line
breaks) must either land completely or not at all.

Bulk path: nodes go in with ``UNWIND ... CREATE`` batches (lists travel as
parameters), passed as one list per column, which binds several times faster than a
list of maps; relations go in with ``COPY ... FROM`` CSV, which is two orders of
magnitude faster than ``MATCH ... MERGE`` here. Both skip what the store already holds,
so importing the same file twice changes nothing.

CSV as LadybugDB reads it (measured on ladybug 0.22): by default it *sniffs* the
delimiter, quote and escape from the first rows, so a file whose early rows need no
quoting makes a later quoted ``"注射用1,6-二磷酸果糖"`` split in three, and a tab or
``|`` in an early name becomes the delimiter. So :data:`COPY_OPTIONS` fixes the dialect
(comma, RFC 4180 doubled quotes, no sniffing) and a header row goes first (the reader
drops a byte-order mark at the start of the file, which would eat one from a name).
The parallel reader refuses quoted line breaks and Python's csv cannot write NUL, so
relation rows whose names hold ``\r``, ``\n`` or NUL go in through parameters
(:func:`kg_queries.writing.create_relations_cypher`); there are few of them.

Atomic import: :meth:`EmbeddedStore.import_data` never writes into the live file. It
copies it (or, with ``replace``, starts empty) to ``<name>.new-<pid>`` next to it,
imports into the copy, closes it (checkpointed, no WAL left) and renames it over the
live file with :func:`os.replace`, which is atomic. A failure or a crash at any point
leaves the previous graph untouched and usable; the next import removes leftover
``<name>.new-*`` files. Imports of one store take turns (a lock file,
``<name>.import.lock``), so a leftover is never another import's work.

Readers: a process that has the graph open read-only (the action server, the Rasa
server's name refresh) keeps reading the previous file, which stays valid until it
closes it; before a query, at most once every :data:`REOPEN_CHECK_SECONDS`, a read-only
store compares the file at its path with the one it opened (inode, size, modification
time) and reopens when an import replaced it, so a running server answers from the new
graph within a second, without a restart. Another *writer* during an import
(``kg query --write``) is not supported: LadybugDB does not lock its file, and its
change may be lost in the swap.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import glob
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple, cast

from kg_queries import schema, writing
from kg_queries.store import GraphStore, ImportReport, KGImportError, KGUnavailableError, KGWriteRefused, Row

if TYPE_CHECKING:
    import ladybug

logger = logging.getLogger(__name__)

NODE_BATCH = 5000
# A read-only store looks at most this often (seconds) whether an import replaced its file.
REOPEN_CHECK_SECONDS = 1.0
RELATION_BATCH = 5000

# The CSV dialect of the relation files, spelled out so that LadybugDB does not guess it.
COPY_OPTIONS = "(HEADER=true, DELIM=',', QUOTE='\"', ESCAPE='\"', AUTO_DETECT=false)"
# What the CSV route cannot carry: line breaks (the parallel reader refuses them) and NUL.
NOT_FOR_CSV = re.compile("[\r\n\x00]")


def _ddl() -> List[str]:
    statements = []
    for label in schema.LABELS:
        columns = ["name STRING", "alias STRING[]"]
        for prop, kind in schema.DISEASE_PROPERTIES.items() if label == schema.DISEASE else ():
            columns.append(f"`{prop}` {'STRING[]' if kind == 'list' else 'STRING'}")
        statements.append(f"CREATE NODE TABLE IF NOT EXISTS {label}({', '.join(columns)}, PRIMARY KEY(name))")
    for rel in schema.RELATIONS:
        statements.append(f"CREATE REL TABLE IF NOT EXISTS {rel.name}(FROM {rel.source} TO {rel.target})")
    return statements


class EmbeddedStore(GraphStore):
    """A LadybugDB database directory opened in-process."""

    kind = "embedded"

    _db: ladybug.Database
    _conn: Optional[ladybug.Connection]  # None once closed
    _identity: Optional[Tuple[int, int, int, int]]  # of the file opened (file_identity)
    _checked: float  # time.monotonic() of the last look at the file

    def __init__(self, path: str | Path, read_only: bool = True) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        if read_only and not self.path.exists():
            raise KGUnavailableError(
                f"no knowledge graph at {self.path}; build it with `make kg` "
                f"or `python -m bot kg import data/kg/*.json`"
            )
        self._open()

    def _open(self) -> None:
        """Open the database at :attr:`path` (creating the schema when writable)."""
        import ladybug

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._identity = file_identity(self.path)
            self._checked = time.monotonic()
            self._db = ladybug.Database(str(self.path), read_only=self.read_only)
            self._conn = ladybug.Connection(self._db)
        except RuntimeError as exc:
            raise KGUnavailableError(f"cannot open knowledge graph at {self.path}: {exc}") from exc
        if not self.read_only:
            for statement in _ddl():
                self._conn.execute(statement)

    def _reopen_if_replaced(self) -> None:
        """Reopen (read-only stores) when an import has put a new file at :attr:`path`; call with the lock held."""
        now = time.monotonic()
        if not self.read_only or self._conn is None or now - self._checked < REOPEN_CHECK_SECONDS:
            return
        self._checked = now
        current = file_identity(self.path)
        if current is None or current == self._identity:
            return
        logger.info("knowledge graph at %s was replaced by an import: reopening it", self.path)
        self._conn.close()
        self._db.close()
        self._conn = None
        self._open()

    # -- queries -------------------------------------------------------------------
    def run(self, cypher: str, params: Optional[Dict[str, Any]] = None) -> List[Row]:
        with self._lock:
            if self._conn is None:
                raise KGUnavailableError("knowledge graph store is closed")
            self._reopen_if_replaced()
            assert self._conn is not None  # _open either set it or raised
            try:
                # one statement per call, so one QueryResult (a list is for several statements)
                result = cast("ladybug.QueryResult", self._conn.execute(cypher, params or {}))
            except RuntimeError as exc:
                message = str(exc)
                if "read-only" in message:
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
        props = ", ".join(
            ["n.alias AS alias"]
            + [f"n.`{p}` AS {writing.PARAM_KEY[p]}" for p in schema.node_properties(label)]
        )
        rows = self.run(f"MATCH (n:{label}) RETURN n.name AS name, {props}")
        out = {}
        for row in rows:
            name = row.pop("name")
            row["alias"] = writing.normalise_alias(row.get("alias"))
            out[name] = row
        return out

    def import_data(self, data, replace: bool = False, progress: bool = True) -> ImportReport:
        """Write ``data`` into a copy of the graph and swap the copy in (see the module)."""
        if self.read_only:
            raise PermissionError("store opened read-only; open it with read_only=False to import")
        started = time.perf_counter()
        staging = staging_path(self.path)
        with _import_lock(self.path):
            self.close()
            try:
                remove_leftovers(self.path)
                if not replace:
                    shutil.copy2(self.path, staging)
                with EmbeddedStore(staging, read_only=False) as target:
                    report = target._write(data, progress)
                os.replace(staging, self.path)
            except Exception as exc:
                raise KGImportError(f"import failed, the graph at {self.path} is unchanged: {exc}") from exc
            finally:
                _remove_database(staging)
                self._open()
        report.seconds = time.perf_counter() - started
        return report

    def _write(self, data, progress: bool) -> ImportReport:
        """Add ``data`` to this store in place and check the counts add up."""
        before = self.counts()
        report = ImportReport()
        for label in schema.LABELS:
            report.added[label] = self._import_nodes(label, data.nodes[label], progress)
        with tempfile.TemporaryDirectory(prefix="kg-import-") as tmp:
            for rel in schema.RELATIONS:
                report.added[rel.name] = self._import_relations(
                    rel, data.relations[rel.name], Path(tmp), progress
                )
        report.counts = self.counts()
        writing.verify_counts(before, report)
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
        existing = {
            (r["s"], r["t"])
            for r in self.run(
                f"MATCH (a:{rel.source})-[:{rel.name}]->(b:{rel.target}) RETURN a.name AS s, b.name AS t"
            )
        }
        new_pairs = sorted(set(pairs) - existing)
        by_csv, by_parameters = split_for_csv(new_pairs)
        with writing.progress_bar(len(new_pairs), f"{rel.name} relations", progress) as bar:
            if by_csv:
                path = tmp / f"{rel.name}.csv"
                write_csv(path, by_csv)
                self.run(f"COPY {rel.name} FROM '{path.as_posix()}' {COPY_OPTIONS}")
                bar.update(len(by_csv))
            for batch in writing.batches(by_parameters, RELATION_BATCH):
                self.run(
                    writing.create_relations_cypher(rel),
                    {"s": [s for s, _ in batch], "t": [t for _, t in batch]},
                )
                bar.update(len(batch))
        return len(new_pairs)

    def close(self) -> None:
        with self._lock:
            conn = getattr(self, "_conn", None)
            if conn is not None:
                conn.close()
                self._db.close()
                self._conn = None


def file_identity(path: str | Path) -> Optional[Tuple[int, int, int, int]]:
    """(device, inode, size, modification time) of ``path``; None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def split_for_csv(pairs: Sequence[Tuple[str, str]]) -> Tuple[List[Tuple[str, str]], List[Tuple[str, str]]]:
    """``pairs`` as (those the CSV route carries, those that must go as parameters)."""
    by_csv: List[Tuple[str, str]] = []
    by_parameters: List[Tuple[str, str]] = []
    for pair in pairs:
        (by_parameters if NOT_FOR_CSV.search(pair[0]) or NOT_FOR_CSV.search(pair[1]) else by_csv).append(pair)
    return by_csv, by_parameters


def write_csv(path: Path, pairs: Sequence[Tuple[str, str]]) -> None:
    """A relation file in the dialect of :data:`COPY_OPTIONS`, header row first."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, delimiter=",", quotechar='"', doublequote=True, lineterminator="\n")
        out.writerow(["from", "to"])
        out.writerows(pairs)


# -- staging files of the atomic import ---------------------------------------------


def staging_path(path: Path) -> Path:
    """Where this process builds the next version of the graph at ``path``."""
    return path.with_name(f"{path.name}.new-{os.getpid()}")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _remove_database(path: Path) -> None:
    """Delete a database file and its write-ahead log, if there."""
    for item in (path, _wal(path)):
        with contextlib.suppress(FileNotFoundError):
            item.unlink()


def remove_leftovers(path: Path) -> List[Path]:
    """Delete staging files an interrupted import left next to ``path``; returns them.

    Call with the import lock held: then no other import is using them.
    """
    found = sorted(path.parent.glob(f"{glob.escape(path.name)}.new-*"))
    for item in found:
        logger.info("removing %s, left by an interrupted import", item)
        with contextlib.suppress(FileNotFoundError):
            item.unlink()
    return found


@contextlib.contextmanager
def _import_lock(path: Path) -> Iterator[None]:
    """One import at a time for the graph at ``path`` (a lock released even on a crash)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".import.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
        yield
