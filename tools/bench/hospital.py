"""``python -m bot bench hospital``: the NLU and the dialogue on a hospital-scale graph, next
to the sample graph, with the same model in the same run.

Why: a hospital loads the public-size graph (about 8,800 diseases whose names overlap
symptoms and each other), not the 146-disease sample the model was trained with. The
model reads the graph's names when it loads (``slots/name_refresh.py``), so the same
model is measured twice, each time in a fresh process whose graph is:

* ``sample``: ``data/kg/*.json`` imported into a temporary embedded store;
* ``hospital``: the sample records plus one record per real disease name of ``--names``
  (``kg synth --names``: real names, random relations), imported as they are;
* ``merged``: the same file imported with the canonical map that ``kg check
  --propose-canonical`` proposes for it (an entry that is another record's alias, or a
  near-duplicate name, merged by the documented rule): what an operator does before going live.

Each process parses every test question (timed one by one, after a warm-up) and prints:
main intent and sub-intent accuracy, entity F1, linking accuracy, the right disease (the
first disease the dialogue would answer about, after the disease-or-symptom reading of
``bot/actions/readings.py``, equals the first gold disease, over questions naming one),
the parse p50/p90/p99 and the dialogue's reply strategies.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from core.paths import PROJECT_ROOT
from tools.bench.parse import percentile

WARM_UP = 20
COLUMNS = ("sample", "hospital", "merged")
TITLES = {"sample": "sample graph", "hospital": "hospital graph", "merged": "hospital, merged"}


def right_disease(examples: Sequence[Any], parses: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Share of questions naming a disease whose first disease, as the dialogue reads it, is right."""
    from bot.actions import readings
    from bot.actions.nlu_view import ParsedMessage

    correct = total = 0
    wrong: List[Dict[str, Any]] = []
    for example, parse in zip(examples, parses):
        gold = [m.value for m in example.mentions if m.entity == "disease"]
        if not gold:
            continue
        total += 1
        message = ParsedMessage(
            parse.get("text") or "", None, 0.0, None, 0.0, list(parse.get("entities") or [])
        )
        predicted = readings.resolve(message).values("disease")
        if predicted[:1] == gold[:1]:
            correct += 1
        elif len(wrong) < 30:
            wrong.append({"text": example.text, "gold": gold[0], "pred": predicted[:1]})
    return {"correct": correct, "total": total, "accuracy": correct / total if total else 0.0, "wrong": wrong}


def measure(model: Path, data: Path) -> Dict[str, Any]:
    """In this process (its graph from the environment): every figure of one column."""
    import asyncio
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from core.vocabulary import MEDICAL_INTENT
    from kg_queries.factory import open_store
    from kg_queries.questions import KnowledgeGraph
    from tools.eval import nlu, strategies

    configure_structlog(logging.WARNING)
    examples = nlu.load_examples(data)
    agent = Agent.load(str(model))
    latencies: List[float] = []

    async def parse_all() -> List[Dict[str, Any]]:
        for example in examples[:WARM_UP]:
            await agent.parse_message(example.text)
        out = []
        for example in examples:
            started = time.perf_counter()
            out.append(await agent.parse_message(example.text))
            latencies.append((time.perf_counter() - started) * 1000.0)
        return out

    parses = asyncio.run(parse_all())
    report = nlu.evaluate(examples, parses)
    medical = [p for e, p in zip(examples, parses) if e.intent == MEDICAL_INTENT]
    with open_store(read_only=True) as store:
        diseases = len(KnowledgeGraph(store).all_names().get("Disease", []))
    return {
        "diseases": diseases,
        "n": len(examples),
        "intent": report["intent"]["accuracy"],
        "sub_intent": report["sub_intent"]["accuracy"],
        "disease_f1": report["entities"]["per_type"].get("disease", {}).get("f1", 0.0),
        "linking": report["linking"]["all"]["accuracy"],
        "right_disease": right_disease(examples, parses),
        "parse_ms": {
            "p50": percentile(latencies, 50),
            "p90": percentile(latencies, 90),
            "p99": percentile(latencies, 99),
            "mean": statistics.fmean(latencies),
        },
        "strategies": strategies.shares(strategies.first_strategies(medical)),
    }


def build_stores(root: Path, names: Path, seed: int, progress: bool) -> Dict[str, Path]:
    """The three embedded stores under ``root``: sample, hospital, merged (module text)."""
    from kg_queries.check import propose_canonical, take_snapshot
    from kg_queries.factory import open_store
    from kg_queries.importer import import_files
    from tools.kg_synth import NameLists, write_file

    base = sorted((PROJECT_ROOT / "data" / "kg").glob("*.json"))
    hospital_file = root / "hospital.jsonl"
    write_file(
        hospital_file, diseases=None, seed=seed, progress=progress, names=NameLists.read(names), base=base
    )
    stores = {name: root / name for name in COLUMNS}
    for name, files in (("sample", base), ("hospital", [hospital_file])):
        with open_store("embedded", str(stores[name]), read_only=False) as store:
            import_files(files, store, progress=progress)
    with open_store("embedded", str(stores["hospital"]), read_only=True) as store:
        proposed = propose_canonical(take_snapshot(store))
    print(f"proposed canonical map: {sum(len(v) for v in proposed.values())} merges", flush=True)
    with open_store("embedded", str(stores["merged"]), read_only=False) as store:
        import_files([hospital_file], store, progress=progress, canonical=proposed)
    return stores


def run_column(model: Path, data: Path, store: Path, out: Path) -> Dict[str, Any]:
    """:func:`measure` in a fresh process reading ``store``."""
    env = {
        **os.environ,
        "KG_STORE": "embedded",
        "KG_EMBEDDED_PATH": str(store),
        "KG_NAMES_REFRESH_SECONDS": "3600",  # read at load (0 would not read at all)
        "PYTHONHASHSEED": "0",
    }
    command = [sys.executable, "-m", "tools.bench.hospital", "--measure", str(out), "--model", str(model)]
    subprocess.run([*command, "--data", str(data)], env=env, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def format_table(columns: Dict[str, Dict[str, Any]]) -> str:
    rows = [
        ("diseases in the graph", lambda c: f"{c['diseases']:,}"),
        ("main intent accuracy", lambda c: f"{c['intent']:.4f}"),
        ("sub-intent accuracy", lambda c: f"{c['sub_intent']:.4f}"),
        ("disease entity F1", lambda c: f"{c['disease_f1']:.4f}"),
        ("linking accuracy", lambda c: f"{c['linking']:.4f}"),
        (
            "right disease",
            lambda c: (
                f"{c['right_disease']['accuracy']:.4f} ({c['right_disease']['correct']}/"
                f"{c['right_disease']['total']})"
            ),
        ),
        ("parse p50 ms", lambda c: f"{c['parse_ms']['p50']:.1f}"),
        ("parse p90 ms", lambda c: f"{c['parse_ms']['p90']:.1f}"),
        ("parse p99 ms", lambda c: f"{c['parse_ms']['p99']:.1f}"),
        (
            "parse p50 / sample's",
            lambda c: f"{c['parse_ms']['p50'] / columns['sample']['parse_ms']['p50']:.3f}",
        ),
    ]
    names = [n for n in COLUMNS if n in columns]
    lines = [f"{'':<26}" + "".join(f"{TITLES[n]:>22}" for n in names)]
    lines += [f"{title:<26}" + "".join(f"{cell(columns[n]):>22}" for n in names) for title, cell in rows]
    lines.append("reply strategies (first reply to each medical question alone):")
    strategies = sorted({s for n in names for s in columns[n]["strategies"]})
    for strategy in strategies:
        lines.append(
            f"  {strategy:<24}"
            + "".join(f"{columns[n]['strategies'].get(strategy, 0.0):>22.1%}" for n in names)
        )
    for name in names[1:]:
        wrong = columns[name]["right_disease"]["wrong"][:10]
        if wrong:
            lines.append(f"{TITLES[name]}, wrong diseases (first 10):")
            lines += [f"  {w['text']}  gold {w['gold']}  got {w['pred'] or '-'}" for w in wrong]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> Dict[str, Dict[str, Any]]:
    model, data = Path(args.model), Path(args.data)
    if not model.is_file():
        raise FileNotFoundError(f"model not found: {model} (train it with `make train`)")
    with tempfile.TemporaryDirectory(prefix="bench-hospital-") as tmp:
        root = Path(tmp)
        print(f"building the sample and hospital graphs from {args.names} ...", flush=True)
        stores = build_stores(root, Path(args.names), args.seed, progress=not args.quiet)
        columns = {}
        for name in COLUMNS:
            print(f"measuring on the {name} graph ...", flush=True)
            columns[name] = run_column(model, data, stores[name], root / f"{name}.json")
    print(format_table(columns))
    if args.json:
        Path(args.json).write_text(json.dumps(columns, ensure_ascii=False, indent=1), encoding="utf-8")
    return columns


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The per-graph process: ``--measure OUT --model M --data D``."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench.hospital")
    parser.add_argument("--measure", required=True, help="write this column's figures (JSON) here")
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    args = parser.parse_args(argv)
    figures = measure(Path(args.model), Path(args.data))
    Path(args.measure).write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
