"""``python -m bot data import-csv``: turn a hospital's labelled question log (CSV) into Rasa NLU
YAML in this project's format.

Why: hospitals keep question logs labelled with their own category names. Mapping
those names onto our intents once (a small YAML map) lets a log become training data
without hand editing: main intent per example, and for medical questions intent
``diagnosis`` with the sub-intent as intent-level metadata (as ``tools/nlu_data/``
writes it). Unknown labels and empty rows are reported with their CSV line numbers
and skipped; duplicate questions are dropped (a question labelled two different ways
is reported as a conflict and only its first label kept).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from core.vocabulary import MAIN_INTENTS, SUB_INTENTS

ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK/GB2312
HEADER = "# Imported by `python -m bot data import-csv` from {source} — edit the CSV/map, not this file"
# Square brackets start Rasa's entity markup inside an example; full-width ones are plain text.
MARKUP = str.maketrans({"[": "【", "]": "】"})

Target = Tuple[str, Optional[str]]  # (main intent, sub-intent or None)


@dataclass
class ImportResult:
    examples: Dict[Target, List[str]] = field(default_factory=dict)
    problems: List[str] = field(default_factory=list)  # "line N: why", in file order
    duplicates: int = 0
    rows: int = 0

    @property
    def n_examples(self) -> int:
        return sum(len(v) for v in self.examples.values())


def read_text(path: Path, encoding: Optional[str] = None) -> str:
    """The file's text: ``encoding`` if given, else UTF-8 (with or without BOM), else GBK."""
    raw = Path(path).read_bytes()
    for enc in [encoding] if encoding else ENCODINGS:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{path}: not valid {' or '.join([encoding] if encoding else ['UTF-8', 'GBK'])} text")


def identity_map() -> Dict[str, Target]:
    """Labels that already are ours: main intents, and sub-intents (as diagnosis)."""
    mapping: Dict[str, Target] = {i: (i, None) for i in MAIN_INTENTS}
    mapping.update({s: ("diagnosis", s) for s in SUB_INTENTS})
    return mapping


def load_map(path: Path) -> Dict[str, Target]:
    """``{label: {intent: ..., sub_intent: ...}}`` from YAML, validated against our intents."""
    raw = yaml.safe_load(read_text(path)) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of label -> {{intent, sub_intent}}")
    mapping: Dict[str, Target] = {}
    for label, spec in raw.items():
        if isinstance(spec, str):
            spec = {"intent": spec}
        if not isinstance(spec, dict) or ("intent" not in spec and "sub_intent" not in spec):
            raise ValueError(f"{path}: label {label!r} needs intent and/or sub_intent")
        sub = spec.get("sub_intent")
        intent = spec.get("intent") or ("diagnosis" if sub else None)
        if intent not in MAIN_INTENTS:
            raise ValueError(
                f"{path}: label {label!r}: unknown intent {intent!r}; use one of {list(MAIN_INTENTS)}"
            )
        if sub is not None and (intent != "diagnosis" or sub not in SUB_INTENTS):
            raise ValueError(
                f"{path}: label {label!r}: sub_intent {sub!r} needs intent diagnosis "
                f"and one of {list(SUB_INTENTS)}"
            )
        mapping[str(label).strip()] = (intent, sub)
    return mapping


def convert(text: str, text_col: str, label_col: str, mapping: Dict[str, Target]) -> ImportResult:
    """Examples per (intent, sub-intent) from CSV ``text`` with a header row."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValueError("the CSV is empty (a header row is needed)") from None
    missing = [c for c in (text_col, label_col) if c not in header]
    if missing:
        raise ValueError(f"column(s) {missing} not in the header {header}")
    t_idx, l_idx = header.index(text_col), header.index(label_col)
    result = ImportResult()
    seen: Dict[str, Tuple[Target, int]] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank line
        result.rows += 1
        question = " ".join((row[t_idx] if t_idx < len(row) else "").split()).translate(MARKUP)
        label = (row[l_idx] if l_idx < len(row) else "").strip()
        if not question:
            result.problems.append(f"line {line}: empty question; skipped")
            continue
        if not label:
            result.problems.append(f"line {line}: empty label; skipped")
            continue
        if label not in mapping:
            result.problems.append(f"line {line}: unknown label {label!r}; skipped")
            continue
        target = mapping[label]
        if question in seen:
            first_target, first_line = seen[question]
            result.duplicates += 1
            if first_target != target:
                result.problems.append(
                    f"line {line}: same question as line {first_line} with another "
                    f"label ({label!r}); kept the first"
                )
            continue
        seen[question] = (target, line)
        result.examples.setdefault(target, []).append(question)
    return result


def render_yaml(result: ImportResult, source: str) -> str:
    """Rasa 3 NLU YAML, sub-intent as intent-level metadata; blocks in our intent order."""
    order = [(i, None) for i in MAIN_INTENTS] + [("diagnosis", s) for s in SUB_INTENTS]
    lines = [HEADER.format(source=source), 'version: "3.1"', "nlu:"]
    for intent, sub in order:
        examples = result.examples.get((intent, sub))
        if not examples:
            continue
        lines.append(f"- intent: {intent}")
        if sub:
            lines += ["  metadata:", f"    sub_intent: {sub}"]
        lines.append("  examples: |")
        lines += [f"    - {q}" for q in examples]
    return "\n".join(lines) + "\n"


def import_csv(
    csv_path: Path,
    text_col: str,
    label_col: str,
    map_path: Optional[Path],
    out: Path,
    encoding: Optional[str] = None,
) -> ImportResult:
    """Read, convert and write; returns the result (problems included) for reporting."""
    mapping = identity_map()
    if map_path is not None:
        mapping.update(load_map(map_path))
    result = convert(read_text(csv_path, encoding), text_col, label_col, mapping)
    if not result.n_examples:
        raise ValueError(
            f"{csv_path}: no usable rows ({len(result.problems)} problem(s): "
            + "; ".join(result.problems[:5])
            + ")"
        )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_yaml(result, Path(csv_path).name), encoding="utf-8")
    return result


def summary(result: ImportResult, out: Path) -> List[str]:
    lines = [
        f"wrote {result.n_examples} examples from {result.rows} rows to {out} "
        f"({result.duplicates} duplicate(s) dropped, {len(result.problems)} problem(s))"
    ]
    for (intent, sub), examples in sorted(result.examples.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        lines.append(f"  {intent + ('/' + sub if sub else ''):<24}{len(examples):>6}")
    return lines
