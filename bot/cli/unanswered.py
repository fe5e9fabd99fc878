"""``python -m bot unanswered list|export|purge``: read and prune the log of questions the bot could not answer.

Why: the content team reads the log in a spreadsheet, and the log holds patient text, so
the export must not be able to run anything there (cells that start like a formula are
prefixed with ``'``) and the rows must be deletable on demand once they are older than the
retention (``purge``; ``record()`` also does it, hourly).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any, Dict, List

from bot.unanswered import COLUMNS, UnansweredLog

# A spreadsheet reads a cell starting with one of these as a formula (or hides the start).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _open(args: argparse.Namespace) -> UnansweredLog:
    return UnansweredLog(args.db)


def _cell(value: Any) -> str:
    """One CSV cell: JSON for lists and dicts, a leading ``'`` where a spreadsheet would see a formula."""
    if isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def format_rows(rows: List[Dict[str, Any]], fmt: str) -> str:
    """The rows as CSV (header first, entities as JSON, formulas neutralised) or as a JSON array (unchanged)."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    buffer = io.StringIO()
    # CRLF rows (RFC 4180): the csv module then also quotes a cell holding a lone "\r".
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return buffer.getvalue()


def cmd_list(args: argparse.Namespace) -> int:
    log = _open(args)
    rows = log.rows(limit=args.limit)
    for row in rows:
        confidence = "" if row["sub_intent_confidence"] is None else f" {row['sub_intent_confidence']:.2f}"
        print(
            f"{row['id']}\t{row['asked_at']}\t{row['reason']}\t{row['sub_intent'] or '-'}{confidence}\t"
            f"{row['disease'] or '-'}\t{row['text']}"
        )
    print(f"({len(rows)} questions in {log.url})", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    rows = _open(args).rows(limit=args.limit)
    text = format_rows(rows, args.format)
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        print(f"wrote {len(rows)} questions to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete the questions older than ``--days`` (default: ``unanswered_retention_days``)."""
    log = _open(args)
    days = log.retention_days if args.days is None else args.days
    deleted = log.purge(days)
    print(f"deleted {deleted} questions asked more than {days} days ago")
    print(f"(from {log.url})", file=sys.stderr)
    return 0


def _positive_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number of days, not {value!r}")
    return days


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("unanswered", help="questions the bot could not answer: list, export, purge")
    group_sub = group.add_subparsers(dest="unanswered_command", metavar="UNANSWERED_COMMAND")
    group_sub.required = True

    def database(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--db",
            default=None,
            help="SQLAlchemy URL (default: UNANSWERED_DB_URL or dialogue.yml unanswered_db_url)",
        )

    def common(parser: argparse.ArgumentParser) -> None:
        database(parser)
        parser.add_argument("--limit", type=int, default=None, help="at most this many, oldest first")

    p = group_sub.add_parser(
        "list", help="one line per question: id, time, reason, sub-intent, disease, text"
    )
    common(p)
    p.set_defaults(handler=cmd_list)

    p = group_sub.add_parser("export", help="all fields as CSV or JSON")
    common(p)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--out", default=None, help="file to write (default: standard output)")
    p.set_defaults(handler=cmd_export)

    p = group_sub.add_parser("purge", help="delete the questions older than the retention; prints how many")
    database(p)
    p.add_argument(
        "--days",
        type=_positive_days,
        default=None,
        help="delete those asked more than N days ago (default: dialogue.yml unanswered_retention_days)",
    )
    p.set_defaults(handler=cmd_purge)
