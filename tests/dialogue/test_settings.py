"""dialogue.yml: validated, overridable, the only home of the thresholds."""

import pytest

from bot.settings import load_settings


def test_project_settings_load():
    settings = load_settings()
    assert 0 <= settings.deny_threshold <= settings.accept_threshold <= 1
    assert settings.max_disease_questions == 2 and settings.suggest_limit == 3


@pytest.mark.parametrize(
    "values, message",
    [
        (dict(accept_threshold=0.3, deny_threshold=0.5), "deny_threshold <= accept_threshold"),
        (dict(accept_threshold=1.2), "accept_threshold <= 1"),
        (dict(max_disease_questions=-1), "max_disease_questions"),
        (dict(suggest_limit=0), "suggest_limit"),
        (dict(acept_threshold=0.8), "unknown settings"),
    ],
)
def test_bad_settings_are_clear_errors(settings_file, values, message):
    settings_file(**values)
    with pytest.raises(ValueError, match=message):
        load_settings()


def test_a_missing_override_file_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DIALOGUE_CONFIG", str(tmp_path / "nope.yml"))
    load_settings.cache_clear()
    with pytest.raises(FileNotFoundError, match="DIALOGUE_CONFIG"):
        load_settings()


def test_no_threshold_numbers_in_the_actions():
    import re

    from bot.settings import PROJECT_ROOT

    for path in (PROJECT_ROOT / "bot" / "actions").glob("*.py"):
        assert not re.search(r"(?<![\w.])0\.\d*[1-9]", path.read_text(encoding="utf-8")), path


def test_the_override_file_replaces_only_its_keys(settings_file):
    import yaml

    from bot.settings import DIALOGUE_FILE

    settings_file(bot_name="小华")
    settings = load_settings()
    base = yaml.safe_load(DIALOGUE_FILE.read_text(encoding="utf-8"))
    assert settings.bot_name == "小华" and settings.accept_threshold == base["accept_threshold"]


def test_a_missing_key_is_an_error(monkeypatch, tmp_path):
    import bot.settings

    partial = tmp_path / "dialogue.yml"
    partial.write_text("bot_name: 小医\naccept_threshold: 0.8\n", encoding="utf-8")
    monkeypatch.setattr(bot.settings, "DIALOGUE_FILE", partial)
    load_settings.cache_clear()
    with pytest.raises(ValueError, match="missing settings"):
        load_settings()
