"""``python -m bot kg ...``: build, inspect and query the knowledge graph.

Why: one command line for everything done to the graph outside a conversation —
imports, counts, ad-hoc Cypher, the consistency report, synthetic data and the
benchmark — with one-line errors instead of tracebacks.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

from kg_queries.factory import load_kg_settings, open_store


def _store_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        choices=("embedded", "neo4j"),
        default=None,
        help="graph store (default: endpoints.yml kg.store, or KG_STORE)",
    )
    parser.add_argument(
        "--store-path", default=None, help="embedded store directory (default: var/kg, or KG_EMBEDDED_PATH)"
    )


def _open(args, read_only: bool):
    settings = load_kg_settings()
    if getattr(args, "batch_size", None):
        settings["neo4j"]["batch_size"] = args.batch_size
    return open_store(kind=args.store, path=args.store_path, read_only=read_only, settings=settings)


def cmd_import(args) -> int:
    from kg_queries.canonical import load_map
    from kg_queries.importer import expand_paths, import_files
    from kg_queries.store import KGImportError

    paths = expand_paths(args.files)
    canonical = load_map(Path(args.canonical)) if args.canonical else None
    with _open(args, read_only=False) as store:
        try:
            result = import_files(
                paths, store, replace=args.replace, progress=not args.quiet, canonical=canonical
            )
        except KGImportError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(result.summary())
    if store.kind == "embedded":
        print(
            "note: a running action server keeps answering from the previous graph until it is restarted",
            file=sys.stderr,
        )
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
        print(
            "error: this looks like a write; the query command is read-only unless --write is given",
            file=sys.stderr,
        )
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


def cmd_check(args) -> int:
    from kg_queries.check import check_snapshot, propose_canonical, take_snapshot

    with _open(args, read_only=True) as store:
        snapshot = take_snapshot(store)
    report = check_snapshot(snapshot)
    if args.propose_canonical:
        import yaml

        proposed = propose_canonical(snapshot)
        header = (
            "# Proposed by `python -m bot kg check --propose-canonical` (rule: kg_queries/check.py,\n"
            "# propose_canonical): review, then `python -m bot kg import FILES --replace --canonical THIS`.\n"
        )
        Path(args.propose_canonical).write_text(
            header + yaml.safe_dump(proposed, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        merges = sum(len(v) for v in proposed.values())
        print(f"wrote {merges} proposed merges to {args.propose_canonical}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.format(show=args.show))
    return 0 if report.ok else 1


def cmd_synth(args) -> int:
    from tools.kg_synth import NameLists, write_file

    names, base = None, []
    if args.names:
        try:
            names = NameLists.read(args.names)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        base = [Path(p) for p in sorted(glob.glob(args.base))] if args.base else []
    diseases = args.diseases if args.diseases is not None else (None if names else 8800)
    stats = write_file(
        args.out,
        diseases=diseases,
        seed=args.seed,
        text_chars=args.text_chars,
        progress=not args.quiet,
        names=names,
        base=base,
    )
    print(f"wrote {stats.diseases} diseases to {args.out} in {stats.seconds:.2f} s")
    return 0


def cmd_bench(args) -> int:
    import tempfile

    from tools.bench import kg as bench
    from tools.kg_synth import write_file

    progress = not args.quiet
    with tempfile.TemporaryDirectory(prefix="kg-bench-file-") as tmp:
        synth_seconds = None
        path = Path(args.file) if args.file else Path(tmp) / "synthetic.jsonl"
        if not args.file:
            synth_seconds = write_file(
                path, diseases=args.diseases, seed=args.seed, text_chars=args.text_chars, progress=progress
            ).seconds
        if args.store == "neo4j":
            cfg = load_kg_settings()["neo4j"]
            report = bench.bench_neo4j(
                path,
                args.lookups,
                synth_seconds,
                uri=args.neo4j_uri or cfg["uri"],
                user=cfg["user"],
                password=cfg["password"],
                database=cfg["database"],
                batch_size=args.batch_size or cfg["batch_size"],
                timeout=cfg["timeout"],
                replace=args.replace,
                seed=args.seed,
                progress=progress,
            )
        else:
            report = bench.bench_embedded(
                path, args.lookups, synth_seconds, seed=args.seed, progress=progress
            )
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.format())
    return 0 if report.idempotent else 1


def register(sub) -> None:
    kg = sub.add_parser("kg", help="knowledge graph: import, stats, query, check, synth, bench")
    kg_sub = kg.add_subparsers(dest="kg_command", metavar="KG_COMMAND")
    kg_sub.required = True

    p = kg_sub.add_parser("import", help="import disease files (JSON lines or a JSON array)")
    p.add_argument("files", nargs="+", help="files or glob patterns, e.g. 'data/kg/*.json'")
    _store_args(p)
    p.add_argument("--replace", action="store_true", help="delete the graph's contents first")
    p.add_argument(
        "--canonical",
        default=None,
        help="YAML/JSON map {label: {name: canonical name}}: merge those nodes first (see kg check)",
    )
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

    p = kg_sub.add_parser("check", help="consistency report; exits 1 when it finds contradictions")
    _store_args(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--show", type=int, default=10, help="names listed per finding (default 10)")
    p.add_argument(
        "--propose-canonical",
        default=None,
        metavar="FILE",
        help="also write a canonical map (YAML) merging every name-vs-alias collision and near-duplicate "
        "by the documented rule, for review and `kg import --canonical`",
    )
    p.set_defaults(handler=cmd_check)

    p = kg_sub.add_parser("synth", help="write a synthetic file in the public format (for benchmarks)")
    p.add_argument(
        "--diseases",
        type=_positive,
        default=None,
        help="number of generated diseases (default 8800; with --names: one per real name)",
    )
    p.add_argument(
        "--names",
        default=None,
        help="folder of real names (disease.txt, symptom.txt, drug.txt, food.txt, check.txt, "
        "department.txt; e.g. ../shared/kg_names): real names, random relations",
    )
    p.add_argument(
        "--base",
        default="data/kg/*.json",
        help="with --names: records copied first, their names not generated again "
        "(default 'data/kg/*.json', the sample graph; '' for none)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--text-chars",
        type=int,
        default=120,
        help="length of the description text; cause/prevent get 2/3 of it (default 120)",
    )
    p.add_argument("--out", required=True, help="output file (JSON lines)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_synth)

    p = kg_sub.add_parser("bench", help="time synth, import, re-import and lookups on a fresh store")
    p.add_argument("--diseases", type=_positive, default=8800, help="synthetic diseases (default 8800)")
    p.add_argument("--seed", type=int, default=0, help="random seed for data and lookups (default 0)")
    p.add_argument("--text-chars", type=int, default=120, help="synthetic description length (default 120)")
    p.add_argument("--file", default=None, help="benchmark this file instead of a synthetic one")
    p.add_argument(
        "--store",
        choices=("embedded", "neo4j"),
        default="embedded",
        help="embedded: a fresh store in a temporary directory; neo4j: the Bolt server at --neo4j-uri",
    )
    p.add_argument("--neo4j-uri", default=None, help="Bolt URI (default: endpoints.yml, or NEO4J_URI)")
    p.add_argument("--batch-size", type=_positive, default=None, help="rows per write batch (Neo4j path)")
    p.add_argument("--replace", action="store_true", help="Neo4j path: clear a non-empty graph first")
    p.add_argument("--lookups", type=_positive, default=200, help="calls per lookup kind (default 200)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=cmd_bench)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
