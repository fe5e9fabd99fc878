"""The unanswered-question log: what is written, the hashed sender, retention, the CLI.

Why: the log holds patient text, so what it keeps (redacted, cleaned text; a salted hash,
never an unsalted one; nothing older than the retention) and what its CSV export can do
in a spreadsheet are pinned here, next to what the content team needs from it.
"""

import csv
import hashlib
import io
import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from bot.cli import main as cli_main
from bot.unanswered import (
    PURGE_INTERVAL_S,
    InsecureSaltError,
    UnansweredLog,
    UnansweredQuestion,
    database_url,
    hash_sender,
    load_salt,
    shared_log,
)
from tests.dialogue.conftest import Conversation

# This file's own salt (the log requires at least 16 bytes), so hashes can be checked here.
SALT = "test-salt-0123456789"
CLI_SALT = b"cli-test-salt-0123456789"


@pytest.fixture(autouse=True)
def long_salt(isolated, monkeypatch):
    """The conftest environment, with this file's salt."""
    monkeypatch.setenv("UNANSWERED_SALT", SALT)


def test_not_found_is_recorded_with_what_the_nlu_said(kg):
    before = datetime.now(timezone.utc)
    chat = Conversation(sender_id="patient-42")
    chat.say("抑郁症怎么治疗", sub_intent="treatment", confidence=0.93, diseases=["抑郁症"])
    [row] = shared_log().rows()
    assert row["text"] == "抑郁症怎么治疗"
    assert row["reason"] == "empty_property" and row["disease"] == "抑郁症"
    assert (row["intent"], row["sub_intent"], row["sub_intent_confidence"]) == (
        "diagnosis",
        "treatment",
        0.93,
    )
    assert row["intent_confidence"] == pytest.approx(0.99)
    assert row["entities"] == [
        {"entity": "disease", "value": "抑郁症", "text": "抑郁症", "linked": True, "start": 0, "end": 3}
    ]
    assert before <= datetime.fromisoformat(row["asked_at"]) <= datetime.now(timezone.utc)
    expected = hashlib.sha256(SALT.encode() + b"\x00" + b"patient-42").hexdigest()
    assert row["sender_hash"] == expected and "patient-42" not in json.dumps(row, ensure_ascii=False)


def test_each_reason(kg):
    chat = Conversation()
    chat.say("火星综合症怎么治疗", sub_intent="treatment", diseases=["火星综合症"])
    chat.say("糖尿病治疗要多少钱", sub_intent="other", confidence=0.9, diseases=["糖尿病"])
    chat.say("气胸是什么病", sub_intent="definition", diseases=["气胸"])
    assert [r["reason"] for r in shared_log().rows()] == [
        "unknown_disease",
        "unsupported_question",
        "empty_property",
    ]


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
    log = UnansweredLog(url, salt=CLI_SALT)
    log.record(
        UnansweredQuestion(
            text="抑郁症怎么治疗",
            sender_id="u1",
            reason="empty_property",
            intent="diagnosis",
            sub_intent="treatment",
            sub_intent_confidence=0.9,
            entities=[{"entity": "disease", "value": "抑郁症", "text": "抑郁症"}],
            disease="抑郁症",
        )
    )
    log.record(UnansweredQuestion(text='看病能报销吗, "医保"', sender_id="u2", reason="unsupported_question"))
    return url


def test_cli_list(filled_log, capsys):
    assert cli_main(["unanswered", "list", "--db", filled_log]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 2 and "抑郁症怎么治疗" in lines[0] and "empty_property" in lines[0]
    assert "2 questions" in out.err


def test_cli_export_csv_to_a_file(filled_log, tmp_path, capsys):
    target = tmp_path / "out.csv"
    assert (
        cli_main(["unanswered", "export", "--db", filled_log, "--format", "csv", "--out", str(target)]) == 0
    )
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [r["text"] for r in rows] == ["抑郁症怎么治疗", '看病能报销吗, "医保"']
    assert json.loads(rows[0]["entities"])[0]["value"] == "抑郁症"
    assert rows[0]["sender_hash"] == hash_sender("u1", CLI_SALT)


def test_cli_export_json_to_stdout(filled_log, capsys):
    assert cli_main(["unanswered", "export", "--db", filled_log, "--format", "json", "--limit", "1"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["disease"] == "抑郁症" and row["sub_intent_confidence"] == 0.9 and row["id"] == 1


def test_cli_uses_the_environment_url(filled_log, monkeypatch, capsys):
    monkeypatch.setenv("UNANSWERED_DB_URL", filled_log)
    assert cli_main(["unanswered", "export", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


# -- what the log keeps of the text ------------------------------------------------------
def test_identifying_text_is_redacted_before_it_is_stored(kg):
    chat = Conversation(sender_id="his:0012345")
    chat.say(
        "我叫张三，电话13812345678，抑郁症怎么治疗",
        sub_intent="treatment",
        confidence=0.93,
        diseases=["抑郁症"],
    )
    [row] = shared_log().rows()
    assert row["text"] == "我叫[姓名]，电话[电话]，抑郁症怎么治疗"
    stored = json.dumps(row, ensure_ascii=False)
    assert "张三" not in stored and "13812345678" not in stored and "0012345" not in stored
    # The offsets indexed the typed text, not the stored one: they are dropped, the rest kept.
    assert row["entities"] == [{"entity": "disease", "value": "抑郁症", "text": "抑郁症", "linked": True}]


def test_a_lone_surrogate_is_removed_before_the_database_sees_it(tmp_path):
    log = UnansweredLog(f"sqlite:///{tmp_path / 'q.sqlite3'}", salt=CLI_SALT)
    log.record(
        UnansweredQuestion(
            text="抑郁症怎么治疗\ud800",
            sender_id="u\udfff",
            reason="empty_property",
            entities=[{"entity": "disease", "value": "抑郁症", "text": "抑郁症", "start": 0, "end": 3}],
        )
    )
    [row] = log.rows()
    assert row["text"] == "抑郁症怎么治疗"
    assert (row["entities"][0]["start"], row["entities"][0]["end"]) == (0, 3)
    assert row["sender_hash"] == hash_sender("u\udfff", CLI_SALT)


def test_entities_and_the_disease_are_cleaned_and_redacted(tmp_path):
    log = UnansweredLog(f"sqlite:///{tmp_path / 'q.sqlite3'}", salt=CLI_SALT, retention_days=90)
    log.record(
        UnansweredQuestion(
            text="\x00我是李四\ud83d，火星\u200b综合症怎么治",
            sender_id="u",
            reason="unknown_disease",
            entities=[
                {
                    "entity": "disease",
                    "value": "火星综合症",
                    "text": "火星\u200b综合症",
                    "start": 7,
                    "end": 13,
                },
                {
                    "entity": "symptom",
                    "value": "13812345678\udfff",
                    "text": "13812345678",
                    "extra": "dropped",
                },
            ],
            disease="我叫张三\ud800",
        )
    )
    [row] = log.rows()
    assert row["text"] == "我是[姓名]，火星综合症怎么治"
    assert row["entities"] == [
        {"entity": "disease", "value": "火星综合症", "text": "火星综合症"},
        {"entity": "symptom", "value": "[电话]", "text": "[电话]"},
    ]
    assert row["disease"] == "我叫[姓名]"


# -- the salt ------------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["", "\n", "abc", "0123456789abcde\n"])
def test_an_empty_or_short_salt_file_is_refused(monkeypatch, tmp_path, content):
    monkeypatch.delenv("UNANSWERED_SALT")
    salt_file = tmp_path / "salt"
    salt_file.write_text(content)
    with pytest.raises(InsecureSaltError, match="at least 16"):
        load_salt(salt_file)
    assert salt_file.read_text() == content  # left for a person to look at, never rewritten


@pytest.mark.parametrize("value", ["", "short", "test-salt"])
def test_an_empty_or_short_environment_salt_is_refused(monkeypatch, tmp_path, value):
    monkeypatch.setenv("UNANSWERED_SALT", value)
    with pytest.raises(InsecureSaltError, match="UNANSWERED_SALT"):
        load_salt(tmp_path / "salt")
    assert not (tmp_path / "salt").exists()


def test_a_short_salt_given_in_code_is_refused_when_hashing(tmp_path):
    log = UnansweredLog(f"sqlite:///{tmp_path / 'q.sqlite3'}", salt=b"s")
    with pytest.raises(InsecureSaltError):
        log.record(UnansweredQuestion(text="x", sender_id="u", reason="unknown_disease"))
    assert log.rows() == []


def test_a_short_salt_records_nothing_but_the_patient_is_answered(kg, monkeypatch):
    monkeypatch.setenv("UNANSWERED_SALT", "short")
    chat = Conversation()
    assert chat.strategies("抑郁症怎么治疗", sub_intent="treatment", diseases=["抑郁症"]) == ["not_found"]
    assert shared_log().rows() == []


def test_a_failed_salt_write_leaves_no_salt_file(monkeypatch, tmp_path):
    import bot.unanswered

    monkeypatch.delenv("UNANSWERED_SALT")
    salt_file = tmp_path / "var" / "salt"

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    real_fsync = os.fsync
    monkeypatch.setattr(bot.unanswered.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        load_salt(salt_file)
    assert list(salt_file.parent.iterdir()) == []  # neither an empty salt nor a temporary file
    monkeypatch.setattr(bot.unanswered.os, "fsync", real_fsync)
    assert len(load_salt(salt_file)) == 64


def test_a_process_that_loses_the_race_uses_the_winners_salt(monkeypatch, tmp_path):
    import bot.unanswered

    monkeypatch.delenv("UNANSWERED_SALT")
    salt_file = tmp_path / "salt"
    winner = "f" * 64
    real_link = os.link

    def link_after_the_other_process(source, target):
        salt_file.write_text(winner)  # the other process linked its salt first
        real_link(source, target)

    monkeypatch.setattr(bot.unanswered.os, "link", link_after_the_other_process)
    assert load_salt(salt_file) == winner.encode()
    assert [p.name for p in tmp_path.iterdir()] == ["salt"]


def test_racing_threads_all_get_the_same_salt(monkeypatch, tmp_path):
    import threading

    monkeypatch.delenv("UNANSWERED_SALT")
    salt_file = tmp_path / "salt"
    barrier, results = threading.Barrier(8), []

    def load() -> None:
        barrier.wait()
        results.append(load_salt(salt_file))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len(set(results)) == 1 and len(results[0]) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["salt"]
    assert oct(salt_file.stat().st_mode & 0o777) == "0o600"


# -- retention -------------------------------------------------------------------------------
def _question(days_ago: float, text: str = "抑郁症怎么治疗") -> UnansweredQuestion:
    return UnansweredQuestion(
        text=text,
        sender_id="u",
        reason="empty_property",
        asked_at=datetime.now(timezone.utc) - timedelta(days=days_ago),
    )


def test_purge_deletes_only_the_old_questions(tmp_path):
    log = UnansweredLog(f"sqlite:///{tmp_path / 'q.sqlite3'}", salt=CLI_SALT)
    for days_ago, text in ((400, "很久以前"), (91, "三个月前"), (89, "上个季度"), (0, "今天")):
        log.record(_question(days_ago, text))
    assert log.purge(90) == 2
    assert [r["text"] for r in log.rows()] == ["上个季度", "今天"]
    assert log.purge(90) == 0
    assert log.purge(1) == 1 and [r["text"] for r in log.rows()] == ["今天"]


@pytest.mark.parametrize("days", [0, -1, 1.5, True, "90"])
def test_purge_needs_a_positive_whole_number_of_days(tmp_path, days):
    log = UnansweredLog(f"sqlite:///{tmp_path / 'q.sqlite3'}", salt=CLI_SALT)
    with pytest.raises(ValueError, match="positive whole number"):
        log.purge(days)


def test_times_in_other_zones_are_stored_in_utc(tmp_path):
    log = UnansweredLog(f"sqlite:///{tmp_path / 'q.sqlite3'}", salt=CLI_SALT)
    beijing = timezone(timedelta(hours=8))
    asked = datetime.now(beijing) - timedelta(days=90, hours=-4)  # 89 days 20 hours ago
    log.record(UnansweredQuestion(text="x", sender_id="u", reason="empty_property", asked_at=asked))
    assert datetime.fromisoformat(log.rows()[0]["asked_at"]) == asked
    assert log.purge(90) == 0 and log.purge(89) == 1


def test_recording_purges_expired_questions_at_most_hourly(tmp_path):
    now = [1000.0]
    log = UnansweredLog(
        f"sqlite:///{tmp_path / 'q.sqlite3'}", salt=CLI_SALT, retention_days=90, clock=lambda: now[0]
    )
    log.record(_question(200, "旧的一"))  # the first record purges (nothing yet), then inserts
    log.record(_question(200, "旧的二"))
    now[0] += PURGE_INTERVAL_S - 1
    log.record(_question(0, "新的一"))
    assert [r["text"] for r in log.rows()] == ["旧的一", "旧的二", "新的一"]
    now[0] += 1
    log.record(_question(0, "新的二"))
    assert [r["text"] for r in log.rows()] == ["新的一", "新的二"]


def test_the_retention_comes_from_the_settings(settings_file, tmp_path):
    log = UnansweredLog(f"sqlite:///{tmp_path / 'q.sqlite3'}", salt=CLI_SALT)
    assert log.retention_days == 90
    settings_file(unanswered_retention_days=30)
    log.record(_question(45))
    log.record(_question(10))
    assert log.retention_days == 30 and log.purge() == 1


@pytest.mark.parametrize("days", [0, -5, 1.5, True, "90", None])
def test_the_retention_setting_must_be_a_positive_whole_number(settings_file, days):
    from bot.settings import load_settings

    settings_file(unanswered_retention_days=days)
    with pytest.raises(ValueError, match="unanswered_retention_days"):
        load_settings()


# -- the export and the purge command ---------------------------------------------------------
def test_csv_cells_that_look_like_formulas_are_neutralised():
    from bot.cli.unanswered import format_rows
    from bot.unanswered import COLUMNS

    texts = ['=HYPERLINK("http://x","点")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "正常 =1", "'已引"]
    rows = [
        dict(dict.fromkeys(COLUMNS), id=i, text=t, entities=[], disease="=1" if i == 0 else None)
        for i, t in enumerate(texts)
    ]
    parsed = list(csv.DictReader(io.StringIO(format_rows(rows, "csv"), newline="")))
    assert [r["text"] for r in parsed] == ["'" + t for t in texts[:6]] + texts[6:]
    assert parsed[0]["disease"] == "'=1" and parsed[0]["entities"] == "[]"
    assert [r["text"] for r in json.loads(format_rows(rows, "json"))] == texts


def test_cli_export_csv_neutralises_a_recorded_formula(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    UnansweredLog(url, salt=CLI_SALT).record(
        UnansweredQuestion(text="=1+1", sender_id="u", reason="unsupported_question")
    )
    target = tmp_path / "out.csv"
    assert cli_main(["unanswered", "export", "--db", url, "--out", str(target)]) == 0
    [row] = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert row["text"] == "'=1+1"


@pytest.fixture
def aged_log(tmp_path):
    url = f"sqlite:///{tmp_path / 'aged.sqlite3'}"
    log = UnansweredLog(url, salt=CLI_SALT)
    for days_ago in (120, 60, 1):
        log.record(_question(days_ago))
    return url


def test_cli_purge_uses_the_configured_retention(aged_log, capsys):
    assert cli_main(["unanswered", "purge", "--db", aged_log]) == 0
    assert capsys.readouterr().out.strip() == "deleted 1 questions asked more than 90 days ago"
    assert len(UnansweredLog(aged_log).rows()) == 2


def test_cli_purge_with_days(aged_log, capsys):
    assert cli_main(["unanswered", "purge", "--db", aged_log, "--days", "30"]) == 0
    assert "deleted 2 questions" in capsys.readouterr().out
    assert cli_main(["unanswered", "purge", "--db", aged_log, "--days", "30"]) == 0
    assert "deleted 0 questions" in capsys.readouterr().out


@pytest.mark.parametrize("days", ["0", "-3", "x"])
def test_cli_purge_refuses_days_that_are_not_positive(aged_log, capsys, days):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["unanswered", "purge", "--db", aged_log, "--days", days])
    assert exit_info.value.code == 2 and "positive whole number" in capsys.readouterr().err
    assert len(UnansweredLog(aged_log).rows()) == 3
