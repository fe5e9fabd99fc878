"""Dialogue settings from ``dialogue.yml`` (overridable with ``DIALOGUE_CONFIG``)."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DialogueSettings:
    bot_name: str = "小医"
    accept_threshold: float = 0.8
    deny_threshold: float = 0.4
    max_disease_questions: int = 2
    suggest_limit: int = 3
    unanswered_db_url: str = "sqlite:///var/unanswered.sqlite3"

    def __post_init__(self) -> None:
        if not 0.0 <= self.deny_threshold <= self.accept_threshold <= 1.0:
            raise ValueError("need 0 <= deny_threshold <= accept_threshold <= 1")


@lru_cache(maxsize=1)
def load_settings() -> DialogueSettings:
    path = Path(os.environ.get("DIALOGUE_CONFIG", PROJECT_ROOT / "dialogue.yml"))
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    known = {f.name for f in fields(DialogueSettings)}
    unknown = set(raw or {}) - known
    if unknown:
        raise ValueError(f"{path}: unknown settings {sorted(unknown)}")
    return DialogueSettings(**(raw or {}))
