"""The unanswered-questions log: questions the bot could not answer, for the content team.

Why: the content team extends the knowledge graph from the questions the bot failed, but
those questions are patient data, so the log keeps only what that work needs, only as
long as the work needs it.

What is stored, one row per unanswered question (table ``unanswered_questions``):

- ``text``: the question with control characters and lone surrogates removed and phone
  numbers, ID card numbers, e-mail addresses, names and hospital numbers replaced by tokens
  such as ``[电话]`` (:func:`safety.redact.redact`);
- ``entities`` (type, value, text, linked, and start/end when they still index the stored
  text) and ``disease``, cleaned and redacted the same way; ``intent``, ``sub_intent`` and
  their confidences; ``reason`` (why there was no answer); ``asked_at`` (UTC);
- ``sender_hash``: the sender id as a salted SHA-256, never the id itself. The salt is
  ``UNANSWERED_SALT`` or, when unset, a random value created once, atomically, in
  ``var/unanswered.salt`` (mode 0600; set the variable when several action servers share one
  database, so that one sender gets one hash). A salt shorter than 16 bytes, or an empty
  salt file, is refused with :class:`InsecureSaltError`: HIS sender ids are guessable, so an
  unsalted hash would identify the patient.

Where: any SQLAlchemy database, ``UNANSWERED_DB_URL`` or ``dialogue.yml``'s
``unanswered_db_url`` (default the SQLite file ``var/unanswered.sqlite3``).

How long: ``dialogue.yml``'s ``unanswered_retention_days`` (90). Older rows are deleted when
a question is recorded (at most once an hour per process) and by
``python -m bot unanswered purge``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.sql.expression import Delete

from bot.settings import PROJECT_ROOT, load_settings
from safety.redact import redact
from safety.text import clean_text

DEFAULT_SALT_FILE = PROJECT_ROOT / "var" / "unanswered.salt"
# Fewer bytes than this and a salt no longer hides guessable sender ids.
MIN_SALT_BYTES = 16
# ``record()`` deletes expired rows at most this often (seconds) in one process.
PURGE_INTERVAL_S = 3600.0

metadata = sa.MetaData()
questions_table = sa.Table(
    "unanswered_questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("sender_hash", sa.String(64), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(64)),
    sa.Column("intent_confidence", sa.Float),
    sa.Column("sub_intent", sa.String(64)),
    sa.Column("sub_intent_confidence", sa.Float),
    sa.Column("entities", sa.Text, nullable=False),  # JSON list of {entity, value, text, linked}
    sa.Column("disease", sa.String(255)),
    sa.Column("reason", sa.String(32), nullable=False),
)

# Why a question went unanswered.
REASONS = ("unknown_disease", "empty_property", "unsupported_question", "no_matching_disease")
COLUMNS = tuple(c.name for c in questions_table.columns)


class InsecureSaltError(OSError):
    """The salt is empty or too short: hashing with it would not hide the sender id.

    An ``OSError`` like the other failures of the log's storage, so that callers that never
    let the log break a reply (the actions) log it and answer anyway.
    """


@dataclass
class UnansweredQuestion:
    """One question to record (the sender id is hashed, the texts cleaned and redacted on the way in)."""

    text: str
    sender_id: str
    reason: str
    intent: Optional[str] = None
    intent_confidence: Optional[float] = None
    sub_intent: Optional[str] = None
    sub_intent_confidence: Optional[float] = None
    entities: List[Dict[str, Any]] = field(default_factory=list)
    disease: Optional[str] = None
    asked_at: Optional[datetime] = None

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"unknown reason {self.reason!r}; expected one of {REASONS}")


def database_url(url: Optional[str] = None) -> str:
    """The configured URL, relative SQLite paths made absolute under the project root."""
    url = url or os.environ.get("UNANSWERED_DB_URL") or load_settings().unanswered_db_url
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        parsed = parsed.set(database=str(path))
    return str(parsed)


def check_salt(salt: bytes, origin: str) -> bytes:
    """``salt`` itself, or :class:`InsecureSaltError` naming ``origin`` when it is too short."""
    if len(salt) < MIN_SALT_BYTES:
        raise InsecureSaltError(
            f"{origin} holds a salt of {len(salt)} bytes; at least {MIN_SALT_BYTES} are needed "
            "so that sender hashes cannot be reversed by guessing ids (set a long random "
            "UNANSWERED_SALT, or delete an empty salt file only if no hashes made with it matter)"
        )
    return salt


def _create_salt_file(salt_file: Path) -> None:
    """Put a random salt at ``salt_file`` unless one is there: complete or not at all.

    The salt is written and synced to a temporary file in the same folder, then hard-linked
    to its name, which fails if the name exists: a crash or a full disk leaves no salt
    file (not an empty one), and of two processes racing, both end up reading the winner's.
    """
    folder = salt_file.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{salt_file.name}.", suffix=".tmp", dir=str(folder))
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp_name, salt_file)
        except FileExistsError:
            return  # another process created it first: its salt is the one
        _fsync_folder(folder)
    finally:
        os.unlink(temp_name)


def _fsync_folder(folder: Path) -> None:
    """Make a new name in ``folder`` survive a crash (where the platform can open folders)."""
    try:
        fd = os.open(str(folder), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_salt(salt_file: Path = DEFAULT_SALT_FILE) -> bytes:
    """``UNANSWERED_SALT``, else the salt kept in ``salt_file`` (created on first use); never a short one."""
    value = os.environ.get("UNANSWERED_SALT")
    if value is not None:
        return check_salt(value.encode("utf-8"), "UNANSWERED_SALT")
    if not salt_file.exists():
        _create_salt_file(salt_file)
    return check_salt(salt_file.read_text(encoding="utf-8").strip().encode("utf-8"), str(salt_file))


def hash_sender(sender_id: str, salt: bytes) -> str:
    """Salted SHA-256 of a sender id, hex (a lone surrogate in the id is hashed, not an error)."""
    return hashlib.sha256(salt + b"\x00" + str(sender_id).encode("utf-8", "surrogatepass")).hexdigest()


def clean(text: str) -> str:
    """``text`` without control characters and lone surrogates (which no database accepts), redacted."""
    return redact(clean_text(text))


def _stored_entities(entities: List[Dict[str, Any]], text: str) -> str:
    """The entities as stored: known keys, strings cleaned and redacted, offsets only where they index ``text``."""
    stored = []
    for found in entities:
        entry: Dict[str, Any] = {k: found[k] for k in ("entity", "value", "text", "linked") if k in found}
        for key in ("entity", "value", "text"):
            if isinstance(entry.get(key), str):
                entry[key] = clean(entry[key])
        start, end = found.get("start"), found.get("end")
        if (
            isinstance(start, int)
            and isinstance(end, int)
            and isinstance(entry.get("text"), str)
            and 0 <= start <= end
            and text[start:end] == entry["text"]
        ):
            entry.update(start=start, end=end)
        stored.append(entry)
    return json.dumps(stored, ensure_ascii=False)


def _utc(moment: Optional[datetime]) -> datetime:
    """``moment`` in UTC (naive values are taken as UTC), or now."""
    if moment is None:
        return datetime.now(timezone.utc)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _check_days(days: Any) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"the retention must be a positive whole number of days, not {days!r}")
    return days


class UnansweredLog:
    """Writes, reads and purges the ``unanswered_questions`` table of one database."""

    def __init__(
        self,
        url: Optional[str] = None,
        salt: Optional[bytes] = None,
        retention_days: Optional[int] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = database_url(url)
        self.engine = sa.create_engine(self.url, future=True)
        metadata.create_all(self.engine)
        self._salt = salt
        self._retention_days = None if retention_days is None else _check_days(retention_days)
        self._clock = clock
        self._last_purge: Optional[float] = None
        self._purge_lock = threading.Lock()

    @property
    def salt(self) -> bytes:
        """The salt of the sender hashes (checked when first needed: reading needs none)."""
        if self._salt is None:
            self._salt = load_salt()
        return check_salt(self._salt, "the salt given to UnansweredLog")

    @property
    def retention_days(self) -> int:
        """Days a question is kept: the constructor's value, else ``dialogue.yml``'s."""
        if self._retention_days is None:
            return load_settings().unanswered_retention_days
        return self._retention_days

    def record(self, question: UnansweredQuestion) -> int:
        """Insert one question, cleaned and redacted; returns its id. Deletes expired rows first, hourly."""
        text = clean(question.text or "")
        row = {
            "asked_at": _utc(question.asked_at),
            "sender_hash": hash_sender(question.sender_id, self.salt),
            "text": text,
            "intent": question.intent,
            "intent_confidence": question.intent_confidence,
            "sub_intent": question.sub_intent,
            "sub_intent_confidence": question.sub_intent_confidence,
            "entities": _stored_entities(question.entities, text),
            "disease": None if question.disease is None else clean(question.disease),
            "reason": question.reason,
        }
        with self.engine.begin() as connection:
            if self._purge_due():
                connection.execute(self._delete_older_than(self.retention_days))
            result = connection.execute(questions_table.insert().values(**row))
            return int(result.inserted_primary_key[0])

    def _purge_due(self) -> bool:
        """True at most once per :data:`PURGE_INTERVAL_S` (the first call included)."""
        with self._purge_lock:
            now = self._clock()
            if self._last_purge is not None and now - self._last_purge < PURGE_INTERVAL_S:
                return False
            self._last_purge = now
            return True

    def _delete_older_than(self, days: int) -> Delete:
        """The statement deleting the rows asked more than ``days`` days ago."""
        cutoff = datetime.now(timezone.utc) - timedelta(days=_check_days(days))
        return questions_table.delete().where(questions_table.c.asked_at < cutoff)

    def purge(self, older_than_days: Optional[int] = None) -> int:
        """Delete the questions asked more than ``older_than_days`` (default: the retention) ago; how many."""
        days = self.retention_days if older_than_days is None else older_than_days
        with self.engine.begin() as connection:
            return int(connection.execute(self._delete_older_than(days)).rowcount)

    def rows(self, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """Records, oldest first, as plain dicts (``asked_at`` ISO 8601, ``entities`` parsed)."""
        query = sa.select(questions_table).order_by(questions_table.c.id)
        if limit:
            query = query.limit(int(limit))
        with self.engine.connect() as connection:
            records = [dict(r._mapping) for r in connection.execute(query)]
        for record in records:
            asked_at = record["asked_at"]
            if asked_at.tzinfo is None:  # SQLite drops the zone; values are stored in UTC
                asked_at = asked_at.replace(tzinfo=timezone.utc)
            record["asked_at"] = asked_at.isoformat()
            record["entities"] = json.loads(record["entities"] or "[]")
        return records

    def close(self) -> None:
        self.engine.dispose()


_lock = threading.Lock()
_logs: Dict[str, UnansweredLog] = {}


def shared_log(url: Optional[str] = None) -> UnansweredLog:
    """One :class:`UnansweredLog` per database URL for the whole process."""
    resolved = database_url(url)
    with _lock:
        if resolved not in _logs:
            _logs[resolved] = UnansweredLog(resolved)
        return _logs[resolved]
