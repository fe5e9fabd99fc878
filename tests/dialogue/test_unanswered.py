"""The unanswered-question log: what is written, the hashed sender, the CLI."""
import csv
import hashlib
import io
import json
from datetime import datetime, timezone

import pytest

from bot.cli import main as cli_main
from bot.unanswered import UnansweredLog, UnansweredQuestion, database_url, hash_sender, shared_log
from tests.dialogue.conftest import Conversation


def test_not_found_is_recorded_with_what_the_nlu_said(kg):
    before = datetime.now(timezone.utc)
    chat = Conversation(sender_id="patient-42")
    chat.say("抑郁症怎么治疗", sub_intent="treatment", confidence=0.93, diseases=["抑郁症"])
    [row] = shared_log().rows()
    assert row["text"] == "抑郁症怎么治疗"
    assert row["reason"] == "empty_property" and row["disease"] == "抑郁症"
    assert (row["intent"], row["sub_intent"], row["sub_intent_confidence"]) == ("diagnosis", "treatment", 0.93)
    assert row["intent_confidence"] == pytest.approx(0.99)
    assert row["entities"] == [{"entity": "disease", "value": "抑郁症", "text": "抑郁症", "linked": True,
                                "start": 0, "end": 3}]
    assert before <= datetime.fromisoformat(row["asked_at"]) <= datetime.now(timezone.utc)
    expected = hashlib.sha256(b"test-salt" + b"\x00" + b"patient-42").hexdigest()
    assert row["sender_hash"] == expected and "patient-42" not in json.dumps(row, ensure_ascii=False)


def test_each_reason(kg):
    chat = Conversation()
    chat.say("火星综合症怎么治疗", sub_intent="treatment", diseases=["火星综合症"])
    chat.say("糖尿病治疗要多少钱", sub_intent="other", confidence=0.9, diseases=["糖尿病"])
    chat.say("气胸是什么病", sub_intent="definition", diseases=["气胸"])
    assert [r["reason"] for r in shared_log().rows()] == ["unknown_disease", "unsupported_question",
                                                          "empty_property"]


def test_answers_and_other_strategies_are_not_recorded(kg):
    chat = Conversation()
    chat.say("你好", intent="greet")
    chat.say("感冒有什么症状", sub_intent="symptom", diseases=["感冒"])
    chat.say("糖尿病怎么治疗", sub_intent="treatment", confidence=0.6, diseases=["糖尿病"])
    chat.say("是的", intent="accept")
    chat.say("怎么预防", sub_intent="prevention")
    chat.say("头痛发热", sub_intent="definition", symptoms=["头痛", "发热"])
    assert shared_log().rows() == []


def test_a_deferred_question_is_recorded_with_its_original_text(kg):
    chat = Conversation()
    chat.say("怎么治疗", sub_intent="treatment", confidence=0.9)
    assert chat.strategies("抑郁症", diseases=["抑郁症"], sub_intent="other", confidence=0.1) == ["not_found"]
    [row] = shared_log().rows()
    assert row["text"] == "怎么治疗" and row["disease"] == "抑郁症" and row["sub_intent"] == "treatment"


def test_a_broken_database_does_not_break_the_reply(kg, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("UNANSWERED_DB_URL", f"sqlite:///{blocker}/sub/db.sqlite3")
    chat = Conversation()
    assert chat.strategies("抑郁症怎么治疗", sub_intent="treatment", diseases=["抑郁症"]) == ["not_found"]


def test_salt_changes_the_hash_and_is_kept_in_a_file(monkeypatch, tmp_path):
    from bot.unanswered import load_salt

    assert hash_sender("a", b"one") != hash_sender("a", b"two")
    assert len(hash_sender("a", b"one")) == 64
    monkeypatch.delenv("UNANSWERED_SALT")
    salt_file = tmp_path / "salt"
    first = load_salt(salt_file)
    assert len(first) >= 32 and load_salt(salt_file) == first
    assert oct(salt_file.stat().st_mode & 0o777) == "0o600"


def test_relative_sqlite_paths_are_under_the_project(monkeypatch):
    from bot.settings import PROJECT_ROOT

    monkeypatch.delenv("UNANSWERED_DB_URL")
    assert database_url("sqlite:///var/x.sqlite3") == f"sqlite:///{PROJECT_ROOT / 'var' / 'x.sqlite3'}"
    assert database_url() == f"sqlite:///{PROJECT_ROOT / 'var' / 'unanswered.sqlite3'}"
    assert database_url("sqlite://") == "sqlite://"


def test_unknown_reasons_are_rejected():
    with pytest.raises(ValueError, match="unknown reason"):
        UnansweredQuestion(text="x", sender_id="s", reason="because")


@pytest.fixture
def filled_log(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    log = UnansweredLog(url, salt=b"s")
    log.record(UnansweredQuestion(text="抑郁症怎么治疗", sender_id="u1", reason="empty_property",
                                  intent="diagnosis", sub_intent="treatment", sub_intent_confidence=0.9,
                                  entities=[{"entity": "disease", "value": "抑郁症", "text": "抑郁症"}],
                                  disease="抑郁症"))
    log.record(UnansweredQuestion(text="看病能报销吗, \"医保\"", sender_id="u2", reason="unsupported_question"))
    return url


def test_cli_list(filled_log, capsys):
    assert cli_main(["unanswered", "list", "--db", filled_log]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 2 and "抑郁症怎么治疗" in lines[0] and "empty_property" in lines[0]
    assert "2 questions" in out.err


def test_cli_export_csv_to_a_file(filled_log, tmp_path, capsys):
    target = tmp_path / "out.csv"
    assert cli_main(["unanswered", "export", "--db", filled_log, "--format", "csv", "--out", str(target)]) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [r["text"] for r in rows] == ["抑郁症怎么治疗", "看病能报销吗, \"医保\""]
    assert json.loads(rows[0]["entities"])[0]["value"] == "抑郁症"
    assert rows[0]["sender_hash"] == hash_sender("u1", b"s")


def test_cli_export_json_to_stdout(filled_log, capsys):
    assert cli_main(["unanswered", "export", "--db", filled_log, "--format", "json", "--limit", "1"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["disease"] == "抑郁症" and row["sub_intent_confidence"] == 0.9 and row["id"] == 1


def test_cli_uses_the_environment_url(filled_log, monkeypatch, capsys):
    monkeypatch.setenv("UNANSWERED_DB_URL", filled_log)
    assert cli_main(["unanswered", "export", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
