"""The real bot for tests (``tools/live_servers.py``), and what to do without a trained model.

A missing model is a skip locally and a failure under CI (``CI=true``), where ``make test``
trains it first.
"""

from __future__ import annotations

import os

import pytest

from tools.live_servers import MODEL, LiveBot

__all__ = ["MODEL", "LiveBot", "require_model"]


def require_model() -> None:
    """Skip (locally) or fail (CI) when there is no trained model."""
    if MODEL.is_file():
        return
    message = f"no trained model at {MODEL} (make train, or set HOSPITAL_MODEL)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)
