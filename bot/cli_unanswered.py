"""``python -m bot unanswered ...``: read the log of questions the bot could not answer."""
from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any, Dict, List

from bot.unanswered import COLUMNS, UnansweredLog


def _open(args) -> UnansweredLog:
    return UnansweredLog(args.db)


def _cell(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def format_rows(rows: List[Dict[str, Any]], fmt: str) -> str:
    """The rows as CSV (header first, entities as JSON) or as a JSON array."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return buffer.getvalue()


def cmd_list(args) -> int:
    log = _open(args)
    rows = log.rows(limit=args.limit)
    for row in rows:
        confidence = "" if row["sub_intent_confidence"] is None else f" {row['sub_intent_confidence']:.2f}"
        print(f"{row['id']}\t{row['asked_at']}\t{row['reason']}\t{row['sub_intent'] or '-'}{confidence}\t"
              f"{row['disease'] or '-'}\t{row['text']}")
    print(f"({len(rows)} questions in {log.url})", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    rows = _open(args).rows(limit=args.limit)
    text = format_rows(rows, args.format)
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        print(f"wrote {len(rows)} questions to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def register(sub) -> None:
    group = sub.add_parser("unanswered", help="questions the bot could not answer: list, export")
    group_sub = group.add_subparsers(dest="unanswered_command", metavar="UNANSWERED_COMMAND")
    group_sub.required = True

    def common(parser) -> None:
        parser.add_argument("--db", default=None,
                            help="SQLAlchemy URL (default: UNANSWERED_DB_URL or dialogue.yml unanswered_db_url)")
        parser.add_argument("--limit", type=int, default=None, help="at most this many, oldest first")

    p = group_sub.add_parser("list", help="one line per question: id, time, reason, sub-intent, disease, text")
    common(p)
    p.set_defaults(handler=cmd_list)

    p = group_sub.add_parser("export", help="all fields as CSV or JSON")
    common(p)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--out", default=None, help="file to write (default: standard output)")
    p.set_defaults(handler=cmd_export)
