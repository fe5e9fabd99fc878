"""Import disease files in the public format into a store, with progress and a summary."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

from kg_queries import canonical as canonical_names
from kg_queries import records
from kg_queries.store import GraphStore, ImportReport
from kg_queries.writing import progress_bar


@dataclass
class ImportResult:
    data: records.GraphData
    report: ImportReport
    merges: Sequence[str] = ()

    def summary(self) -> str:
        lines = [f"records read: {self.data.records}, skipped: {len(self.data.problems)}"]
        lines += [f"  {note}" for note in self.merges]
        for problem in self.data.problems[:20]:
            lines.append(f"  skipped {problem}")
        if len(self.data.problems) > 20:
            lines.append(f"  ... and {len(self.data.problems) - 20} more")
        width = max(len(k) for k in self.report.counts) if self.report.counts else 10
        lines.append(f"{'label/relation'.ljust(width)}  {'in store':>9}  {'added':>7}")
        for key, count in self.report.counts.items():
            lines.append(f"{key.ljust(width)}  {count:>9}  {self.report.added.get(key, 0):>7}")
        lines.append(f"import took {self.report.seconds:.2f} s")
        return "\n".join(lines)


def expand_paths(patterns: Iterable[str]) -> List[Path]:
    """Files named or matched by glob patterns; a missing file is an error."""
    paths: List[Path] = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        if not matched:
            raise FileNotFoundError(f"no file matches {pattern!r}")
        for item in matched:
            path = Path(item)
            if not path.is_file():
                raise FileNotFoundError(f"no such file: {item}")
            paths.append(path)
    return paths


def import_files(
    paths: Sequence[Path],
    store: GraphStore,
    replace: bool = False,
    progress: bool = True,
    canonical: Optional[canonical_names.CanonicalMap] = None,
) -> ImportResult:
    """Parse ``paths`` and write them to ``store`` (idempotent unless data changed); with
    ``canonical``, first merge the nodes it names (``kg_queries/canonical.py``)."""
    with progress_bar(records.count_lines(paths), "reading records", progress) as bar:
        data = records.load_files(paths, progress=bar)
    merges = canonical_names.apply(data, canonical) if canonical else []
    report = store.import_data(data, replace=replace, progress=progress)
    return ImportResult(data, report, merges)
