"""Benchmark of the knowledge graph (``python -m bot kg bench``).

Steps, each timed: write a synthetic file the size of the public dataset
(:mod:`tools.kg_synth`), import it into a fresh store, import it again (must be
idempotent: counts unchanged), then measure per-call latency (p50/p99) of every
question type, of symptoms -> diseases and of a name lookup, on random names drawn
with a fixed seed. The embedded store lives in a temporary directory that is removed
afterwards; the Neo4j path runs against a given Bolt URI and refuses a non-empty
graph unless told to replace it.
"""

from __future__ import annotations

import contextlib
import math
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Dict, List, Optional, Sequence

from kg_queries import records, schema
from kg_queries.importer import import_files
from kg_queries.questions import QUESTION_TYPES, KnowledgeGraph
from kg_queries.store import GraphStore
from kg_queries.writing import progress_bar


@dataclass
class ImportTiming:
    """One import of the file: total wall time, of which parsing and store writes."""

    total: float
    parse: float
    write: float
    counts: Dict[str, int]


@dataclass
class Latency:
    """Latency of one kind of lookup over ``calls`` calls, in milliseconds; ``answered``
    counts the calls that returned something (a found disease, a non-empty ranking)."""

    name: str
    calls: int
    answered: int
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class BenchReport:
    store: str
    file: str
    diseases: int
    nodes: int
    relations: int
    synth_seconds: Optional[float]
    imports: List[ImportTiming] = field(default_factory=list)
    latencies: List[Latency] = field(default_factory=list)
    batch_size: Optional[int] = None

    @property
    def idempotent(self) -> bool:
        return len(self.imports) < 2 or self.imports[0].counts == self.imports[1].counts

    def as_dict(self) -> dict:
        from dataclasses import asdict

        out = asdict(self)
        out["idempotent"] = self.idempotent
        return out

    def format(self) -> str:
        lines = [
            f"store: {self.store}" + (f" (batch size {self.batch_size})" if self.batch_size else ""),
            f"file: {self.file}: {self.diseases} diseases, {self.nodes} nodes, {self.relations} relations",
        ]
        if self.synth_seconds is not None:
            lines.append(f"synth: {self.synth_seconds:.2f} s")
        for number, timing in enumerate(self.imports, start=1):
            lines.append(
                f"import {number}: {timing.total:.2f} s "
                f"(parse {timing.parse:.2f} s, store write {timing.write:.2f} s)"
            )
        if len(self.imports) > 1:
            lines.append(f"second import idempotent (counts unchanged): {'yes' if self.idempotent else 'NO'}")
        if self.latencies:
            width = max(len(item.name) for item in self.latencies)
            lines.append(f"lookup latency ({self.latencies[0].calls} calls each):")
            lines.append(f"  {'lookup'.ljust(width)}  {'p50 ms':>8}  {'p99 ms':>8}  {'max ms':>8}  answered")
            for item in self.latencies:
                lines.append(
                    f"  {item.name.ljust(width)}  {item.p50_ms:8.2f}  {item.p99_ms:8.2f}  "
                    f"{item.max_ms:8.2f}  {item.answered}/{item.calls}"
                )
        return "\n".join(lines)


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest-rank method."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def _timed_calls(name: str, call: Callable[[int], object], count: int, bar) -> Latency:
    call(0)  # warm-up, not timed: opens connections and fills the engine's plan cache
    samples, answered = [], 0
    for index in range(count):
        started = time.perf_counter()
        result = call(index)
        samples.append((time.perf_counter() - started) * 1000)
        answered += bool(getattr(result, "found", result))
        bar.update(1)
    return Latency(name, count, answered, percentile(samples, 50), percentile(samples, 99), max(samples))


def measure_lookups(
    kg: KnowledgeGraph,
    diseases: Sequence[str],
    symptoms: Sequence[str],
    lookups: int,
    seed: int = 0,
    progress: bool = True,
) -> List[Latency]:
    """Latency of every question type, symptoms -> diseases and a name lookup."""
    if not diseases or not symptoms:
        raise ValueError("need diseases and symptoms to look up")
    rng = random.Random(seed)
    names = [rng.choice(diseases) for _ in range(lookups)]
    symptom_sets = [rng.sample(list(symptoms), min(len(symptoms), rng.randint(1, 3))) for _ in range(lookups)]
    results = []
    with progress_bar(lookups * (len(QUESTION_TYPES) + 2), "lookups", progress) as bar:
        for question in QUESTION_TYPES:

            def ask(i: int, q: str = question) -> object:
                return kg.ask(q, names[i])

            results.append(_timed_calls(question, ask, lookups, bar))
        results.append(
            _timed_calls(
                "symptoms_to_diseases", lambda i: kg.diseases_for_symptoms(symptom_sets[i]), lookups, bar
            )
        )
        results.append(_timed_calls("name_lookup", lambda i: kg.disease_exists(names[i]), lookups, bar))
    return results


def _import(path: Path, store: GraphStore, progress: bool) -> ImportTiming:
    started = time.perf_counter()
    result = import_files([path], store, progress=progress)
    total = time.perf_counter() - started
    return ImportTiming(total, total - result.report.seconds, result.report.seconds, result.report.counts)


def run_bench(
    open_store: Callable[[bool], ContextManager[GraphStore]],
    store_label: str,
    path: Path,
    lookups: int,
    synth_seconds: Optional[float],
    seed: int = 0,
    progress: bool = True,
    batch_size: Optional[int] = None,
) -> BenchReport:
    """Import ``path`` twice through ``open_store(read_only=False)``, then time lookups
    through ``open_store(read_only=True)``."""
    data = records.load_files([path])
    counts = data.counts()
    report = BenchReport(
        store_label,
        str(path),
        len(data.nodes[schema.DISEASE]),
        sum(counts[label] for label in schema.LABELS),
        sum(counts[rel.name] for rel in schema.RELATIONS),
        synth_seconds,
        batch_size=batch_size,
    )
    with open_store(False) as store:
        for _ in range(2):  # the second import must change nothing
            report.imports.append(_import(path, store, progress))
    with open_store(True) as store:
        diseases = sorted(data.nodes[schema.DISEASE])
        symptoms = sorted(data.nodes[schema.SYMPTOM])
        report.latencies = measure_lookups(KnowledgeGraph(store), diseases, symptoms, lookups, seed, progress)
    return report


def bench_embedded(
    path: Path, lookups: int, synth_seconds: Optional[float], seed: int = 0, progress: bool = True
) -> BenchReport:
    """Benchmark a fresh embedded store in a temporary directory (removed afterwards);
    lookups go through a read-only reopening, as in the bot."""
    from kg_queries.embedded_store import EmbeddedStore

    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    try:
        db = tmp / "kg"
        return run_bench(
            lambda read_only: EmbeddedStore(db, read_only=read_only),
            f"embedded ({db})",
            path,
            lookups,
            synth_seconds,
            seed=seed,
            progress=progress,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_neo4j(
    path: Path,
    lookups: int,
    synth_seconds: Optional[float],
    uri: str,
    user: str = "neo4j",
    password: str = "",
    database: Optional[str] = None,
    batch_size: int = 500,
    timeout: float = 5.0,
    replace: bool = False,
    seed: int = 0,
    progress: bool = True,
) -> BenchReport:
    """Benchmark a Bolt server through one store (one pooled connection). Refuses a graph
    that already holds nodes unless ``replace``; clearing it is not timed."""
    from kg_queries.neo4j_store import Neo4jStore

    with Neo4jStore(uri, user, password, database=database, batch_size=batch_size, timeout=timeout) as store:
        held = sum(store.counts()[label] for label in schema.LABELS)
        if held and not replace:
            raise ValueError(f"the graph at {uri} holds {held} nodes; pass --replace to clear it first")
        if held:
            store.clear()
        return run_bench(
            lambda read_only: contextlib.nullcontext(store),
            f"neo4j ({uri})",
            path,
            lookups,
            synth_seconds,
            seed=seed,
            progress=progress,
            batch_size=batch_size,
        )
