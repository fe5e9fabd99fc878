"""The unanswered-questions log: questions the bot could not answer, for the content team.

Each record keeps what is needed to extend the knowledge graph (the text, what the NLU
understood, why there was no answer) and nothing that identifies the patient: the sender
id is stored only as a salted SHA-256. The table lives in any SQLAlchemy database:
``UNANSWERED_DB_URL`` or ``dialogue.yml``'s ``unanswered_db_url`` (default a SQLite file
under ``var/``). The salt comes from ``UNANSWERED_SALT`` or, when unset, from a random
value generated once into ``var/unanswered.salt`` (set the variable when several action
servers share one database, so that one sender gets one hash).
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.settings import PROJECT_ROOT, load_settings

DEFAULT_SALT_FILE = PROJECT_ROOT / "var" / "unanswered.salt"

metadata = sa.MetaData()
questions_table = sa.Table(
    "unanswered_questions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("sender_hash", sa.String(64), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(64)),
    sa.Column("intent_confidence", sa.Float),
    sa.Column("sub_intent", sa.String(64)),
    sa.Column("sub_intent_confidence", sa.Float),
    sa.Column("entities", sa.Text, nullable=False),   # JSON list of {entity, value, text, linked}
    sa.Column("disease", sa.String(255)),
    sa.Column("reason", sa.String(32), nullable=False),
)

# Why a question went unanswered.
REASONS = ("unknown_disease", "empty_property", "unsupported_question", "no_matching_disease")
COLUMNS = tuple(c.name for c in questions_table.columns)


@dataclass
class UnansweredQuestion:
    """One question to record (the sender id is hashed on the way in)."""

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


def load_salt(salt_file: Path = DEFAULT_SALT_FILE) -> bytes:
    """``UNANSWERED_SALT``, else the salt kept in ``salt_file`` (created on first use)."""
    value = os.environ.get("UNANSWERED_SALT")
    if value:
        return value.encode("utf-8")
    if not salt_file.exists():
        salt_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(str(salt_file), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return salt_file.read_text(encoding="utf-8").strip().encode("utf-8")


def hash_sender(sender_id: str, salt: bytes) -> str:
    """Salted SHA-256 of a sender id, hex."""
    return hashlib.sha256(salt + b"\x00" + str(sender_id).encode("utf-8")).hexdigest()


def _plain_entities(entities: List[Dict[str, Any]]) -> str:
    keep = ("entity", "value", "text", "linked", "start", "end")
    return json.dumps([{k: e[k] for k in keep if k in e} for e in entities], ensure_ascii=False)


class UnansweredLog:
    """Writes and reads the ``unanswered_questions`` table of one database."""

    def __init__(self, url: Optional[str] = None, salt: Optional[bytes] = None) -> None:
        self.url = database_url(url)
        self.engine = sa.create_engine(self.url, future=True)
        metadata.create_all(self.engine)
        self._salt = salt

    @property
    def salt(self) -> bytes:
        if self._salt is None:
            self._salt = load_salt()
        return self._salt

    def record(self, question: UnansweredQuestion) -> int:
        """Insert one question; returns its id."""
        row = {
            "asked_at": question.asked_at or datetime.now(timezone.utc),
            "sender_hash": hash_sender(question.sender_id, self.salt),
            "text": question.text or "",
            "intent": question.intent,
            "intent_confidence": question.intent_confidence,
            "sub_intent": question.sub_intent,
            "sub_intent_confidence": question.sub_intent_confidence,
            "entities": _plain_entities(question.entities),
            "disease": question.disease,
            "reason": question.reason,
        }
        with self.engine.begin() as connection:
            result = connection.execute(questions_table.insert().values(**row))
            return int(result.inserted_primary_key[0])

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
