"""Benchmark helpers."""

from __future__ import annotations

import pytest

from tools.bench.kg import BenchReport, ImportTiming, percentile


def test_percentile_nearest_rank():
    samples = list(range(1, 101))  # 1..100
    assert percentile(samples, 50) == 50 and percentile(samples, 99) == 99 and percentile(samples, 100) == 100
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)


def test_idempotence_compares_counts():
    report = BenchReport("embedded", "f", 1, 2, 3, None)
    report.imports = [ImportTiming(1, 0.5, 0.5, {"Disease": 1}), ImportTiming(1, 0.5, 0.5, {"Disease": 1})]
    assert report.idempotent and "idempotent (counts unchanged): yes" in report.format()
    report.imports[1] = ImportTiming(1, 0.5, 0.5, {"Disease": 2})
    assert not report.idempotent and "NO" in report.format()
