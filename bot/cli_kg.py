"""``python -m bot kg ...``: build, inspect and query the knowledge graph."""
from __future__ import annotations

import argparse
import json
import sys

from kg_queries import open_store
from kg_queries.store import load_kg_settings


def _store_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", choices=("embedded", "neo4j"), default=None,
                        help="graph store (default: endpoints.yml kg.store, or KG_STORE)")
    parser.add_argument("--store-path", default=None,
                        help="embedded store directory (default: var/kg, or KG_EMBEDDED_PATH)")


def _open(args, read_only: bool):
    settings = load_kg_settings()
    if getattr(args, "batch_size", None):
        settings["neo4j"]["batch_size"] = args.batch_size
    return open_store(kind=args.store, path=args.store_path, read_only=read_only, settings=settings)


def cmd_import(args) -> int:
    from kg_queries.importer import expand_paths, import_files

    paths = expand_paths(args.files)
    with _open(args, read_only=False) as store:
        result = import_files(paths, store, replace=args.replace, progress=not args.quiet)
    print(result.summary())
    return 0


def cmd_stats(args) -> int:
    with _open(args, read_only=True) as store:
        counts = store.counts()
    width = max(len(k) for k in counts)
    for key, value in counts.items():
        print(f"{key.ljust(width)}  {value:>9}")
    return 0


WRITE_WORDS = ("CREATE", "MERGE", "DELETE", "SET ", "REMOVE", "DROP", "COPY", "ALTER", "LOAD", "INSTALL")


def cmd_query(args) -> int:
    upper = args.cypher.upper()
    if not args.write and any(word in upper for word in WRITE_WORDS):
        print("error: this looks like a write; the query command is read-only unless --write is given",
              file=sys.stderr)
        return 2
    with _open(args, read_only=not args.write) as store:
        rows = store.run(args.cypher, json.loads(args.params) if args.params else {})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        for row in rows:
            print("\t".join(f"{k}={v}" for k, v in row.items()))
        print(f"({len(rows)} rows)", file=sys.stderr)
    return 0


def register(sub) -> None:
    kg = sub.add_parser("kg", help="knowledge graph: import, stats, query, check, synth, bench")
    kg_sub = kg.add_subparsers(dest="kg_command", metavar="KG_COMMAND")
    kg_sub.required = True

    p = kg_sub.add_parser("import", help="import disease files (JSON lines or a JSON array)")
    p.add_argument("files", nargs="+", help="files or glob patterns, e.g. 'data/kg/*.json'")
    _store_args(p)
    p.add_argument("--replace", action="store_true", help="delete the graph's contents first")
    p.add_argument("--batch-size", type=int, default=None, help="rows per write batch (Neo4j path)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=cmd_import)

    p = kg_sub.add_parser("stats", help="node and relation counts")
    _store_args(p)
    p.set_defaults(handler=cmd_stats)

    p = kg_sub.add_parser("query", help="run one Cypher statement (read-only unless --write)")
    p.add_argument("cypher")
    p.add_argument("--params", default=None, help="JSON object of query parameters")
    p.add_argument("--json", action="store_true", help="print rows as JSON")
    p.add_argument("--write", action="store_true", help="allow writes")
    _store_args(p)
    p.set_defaults(handler=cmd_query)
