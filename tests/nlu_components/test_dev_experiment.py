"""``python -m bot eval sub-intent-dev``: settings parsing and one tiny run on the fixture data."""

import pytest

from tests.nlu_components.conftest import TINY, TRAINING_YAML
from tools.eval import sub_intent_dev as nlu_dev_experiment


def test_settings_are_json_values_or_strings():
    assert nlu_dev_experiment.parse_settings(["learning_rate=0.001", "kernel_sizes=[3,4]", "x=abc"]) == {
        "learning_rate": 0.001,
        "kernel_sizes": [3, 4],
        "x": "abc",
    }
    with pytest.raises(ValueError, match="wants key=value"):
        nlu_dev_experiment.parse_settings(["learning_rate"])


def test_unknown_setting_is_an_error_before_any_training(tmp_path):
    with pytest.raises(ValueError, match="bogus"):
        nlu_dev_experiment.run(tmp_path / "missing.yml", [1], 0.5, {"bogus": 1})


def test_tiny_run_scores_dev_templates_and_writes_errors(tmp_path, capsys):
    data = tmp_path / "nlu.yml"
    data.write_text(TRAINING_YAML, encoding="utf-8")
    errors = tmp_path / "errors.tsv"
    settings = {**TINY, "epochs": 1, "refit": False, "filters": 4}
    scores = nlu_dev_experiment.run(data, [1, 2], 0.5, settings, errors)
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)
    lines = errors.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["split_seed", "gold", "predicted", "confidence", "text"]
    assert "mean dev accuracy" in capsys.readouterr().out
