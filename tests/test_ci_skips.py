"""The root conftest's rule: under ``CI=true`` a skip fails, unless marked ``optional_service``."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT_CONFTEST = Path(__file__).with_name("conftest.py")

SANDBOX_TESTS = """
import pytest


def test_skips():
    pytest.skip("no service here")


@pytest.mark.skipif(True, reason="no model")
def test_skipif():
    pass


@pytest.fixture
def service():
    pytest.skip("service fixture missing")


def test_fixture_skip(service):
    pass


@pytest.mark.optional_service
def test_optional():
    pytest.skip("optional service missing")


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


def test_passes():
    pass
"""

SKIPPED_MODULE = """
import pytest

pytest.skip("whole module needs a service", allow_module_level=True)
"""


@pytest.fixture
def sandbox(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(ROOT_CONFTEST.read_text(encoding="utf-8"))
    pytester.makeini("[pytest]\nmarkers =\n    optional_service: may skip under CI\n")
    pytester.makepyfile(test_sandbox=SANDBOX_TESTS)
    return pytester


def test_skips_pass_without_ci(sandbox, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = sandbox.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=4, xfailed=1)
    assert result.ret == pytest.ExitCode.OK


@pytest.mark.parametrize("value", ["false", "0", ""])
def test_other_ci_values_keep_skips(sandbox, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    sandbox.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, skipped=4, xfailed=1)


def test_skips_fail_under_ci(sandbox, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = sandbox.runpytest("-p", "no:cacheprovider", "-rfE")
    # a skip in the test fails it; skipif and a skipping fixture are setup errors; optional skips
    result.assert_outcomes(passed=1, failed=1, errors=2, skipped=1, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    for reason in ("no service here", "no model", "service fixture missing"):
        result.stdout.fnmatch_lines([f"*skipped under CI=true*: {reason}"])


def test_module_level_skip_fails_collection_under_ci(sandbox, monkeypatch):
    sandbox.makepyfile(test_skipped_module=SKIPPED_MODULE)
    monkeypatch.setenv("CI", "true")
    result = sandbox.runpytest("-p", "no:cacheprovider", "test_skipped_module.py")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error stops the session
    result.stdout.fnmatch_lines(["*module skipped under CI=true: whole module needs a service*"])
    monkeypatch.delenv("CI")
    sandbox.runpytest("-p", "no:cacheprovider", "test_skipped_module.py").assert_outcomes(skipped=1)
