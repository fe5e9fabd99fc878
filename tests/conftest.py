"""Root conftest: under CI a skip is a failure.

Locally a test may skip when a service it needs is missing (no trained model, no FalkorDB
binaries, ...). Under CI (``CI=true``; ``.ci/run`` sets it) ``make test`` has built everything
first, so a skip there means something silently did not run: it is reported as a failure with
the skip reason. A test that may legitimately skip in CI says so with
``@pytest.mark.optional_service`` (declared in ``pyproject.toml``). xfail is left alone.

This file must stay self-contained (no project imports): ``tests/test_ci_skips.py`` copies it
into a pytester sandbox to test the hook.
"""

from __future__ import annotations

import os

import pytest

# sanic.app runs `warnings.filterwarnings("once", category=DeprecationWarning)` when first imported,
# in front of the filters of pyproject.toml, which then stop working for the rest of the collection.
# Imported here, inside pytest's own warning context for conftest loading (restored afterwards),
# that filter is dropped again; later imports of sanic are no-ops.
import sanic.app  # noqa: F401

pytest_plugins = ["pytester"]

OPTIONAL_MARKER = "optional_service"


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not (report.skipped and under_ci()):
        return
    if hasattr(report, "wasxfail") or item.get_closest_marker(OPTIONAL_MARKER) is not None:
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped under CI=true (mark it @pytest.mark.{OPTIONAL_MARKER} if that is "
        f"intended): {skip_reason(report)}"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """A whole module skipped (``pytest.skip(..., allow_module_level=True)``) fails too.

    Such a module never finishes importing, so it cannot carry the marker: a module that may
    skip in CI skips in a fixture or test marked ``optional_service`` instead.
    """
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if report.skipped and under_ci() and not isinstance(collector, pytest.Session):
        report.outcome = "failed"
        report.longrepr = f"module skipped under CI=true: {skip_reason(report)}"
