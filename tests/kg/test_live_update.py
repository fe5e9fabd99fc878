"""A disease imported while the bot runs is answered by the running bot: no retraining, no
restart (``python -m bot bench kg-update`` measures the same with the default interval)."""

from __future__ import annotations

import pytest

from tests.live import MODEL, require_model
from tools.bench.kg_update import measure

pytestmark = pytest.mark.slow


def test_a_new_disease_is_answered_by_the_running_bot_after_its_import(tmp_path):
    require_model()
    figures = measure(MODEL, refresh=1.0, timeout=60.0, work=tmp_path)
    assert "answer" not in figures["before"]
    assert figures["answer_seconds"] < 30, figures
