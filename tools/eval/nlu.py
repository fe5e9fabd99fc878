"""``python -m bot eval nlu``: evaluate a trained Rasa model's NLU on a held-out split: intents,
sub-intents, entities, links.

Why our own evaluator next to ``rasa test nlu``: Rasa scores entities by token tags
and knows nothing of sub-intents or entity linking. Here every test example is parsed
by the real model (the same graph as ``POST /model/parse``) and scored on:
  * main intent and sub-intent (diagnosis examples): accuracy, macro-F1, per-class
    precision/recall/F1 and a confusion matrix (PNG);
  * entities: F1 by exact span and type, per type and micro overall;
  * linking: top-1 accuracy of the canonical ``value`` on every gold mention, and on
    the misspelled/alias ones (surface text differs from the gold value). A gold mention
    counts as linked correctly when a predicted entity of its type overlapping its span
    has the gold value (so a slightly wrong span still scores for linking);
  * the dialogue: the share of each reply strategy (answer, clarify, choose, deny …) when
    each medical question is sent alone (``tools/eval/strategies.py``).
The metric functions are pure and tested on hand-made predictions.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from core.vocabulary import MEDICAL_INTENT
from tools.eval import strategies

logger = logging.getLogger(__name__)

NO_LABEL = "<none>"  # prediction missing (e.g. a model without a sub-intent classifier)


# --------------------------------------------------------------------------- metrics
def classification_report(
    gold: Sequence[str], pred: Sequence[str], labels: Optional[Sequence[str]] = None
) -> Dict[str, Any]:
    """Accuracy, macro-F1 (over gold labels), per-class P/R/F1/support and a confusion matrix.

    ``labels`` orders the matrix; labels only predicted are appended after them.
    Macro-F1 averages over labels that occur in ``gold`` (a label never present
    cannot be recalled, and would only dilute the average).
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    order = list(labels or sorted(set(gold)))
    order += sorted((set(gold) | set(pred)) - set(order))
    per_class: Dict[str, Dict[str, float]] = {}
    for label in order:
        tp = sum(1 for g, p in zip(gold, pred) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
        per_class[label] = {**prf(tp, fp, fn), "support": tp + fn}
    present = [label for label in order if per_class[label]["support"]]
    index = {label: i for i, label in enumerate(order)}
    matrix = [[0] * len(order) for _ in order]
    for g, p in zip(gold, pred):
        matrix[index[g]][index[p]] += 1
    return {
        "n": len(gold),
        "accuracy": (sum(g == p for g, p in zip(gold, pred)) / len(gold)) if gold else 0.0,
        "macro_f1": (sum(per_class[label]["f1"] for label in present) / len(present)) if present else 0.0,
        "per_class": per_class,
        "confusion": {"labels": order, "matrix": matrix},
    }


def prf(tp: int, fp: int, fn: int) -> Dict[str, float]:
    """Precision, recall and F1 from counts (0 where undefined)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


Span = Tuple[int, int, str]  # (start, end, entity type)


def entity_scores(gold: Sequence[Iterable[Span]], pred: Sequence[Iterable[Span]]) -> Dict[str, Any]:
    """Exact-span-and-type F1 per entity type and micro over all types, per example lists."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold examples but {len(pred)} predictions")
    counts: Dict[str, List[int]] = {}
    for g_spans, p_spans in zip(gold, pred):
        g, p = set(g_spans), set(p_spans)
        for span in g | p:
            c = counts.setdefault(span[2], [0, 0, 0])
            c[0 if span in g and span in p else 1 if span in p else 2] += 1
    per_type = {t: {**prf(*c), "support": c[0] + c[2]} for t, c in sorted(counts.items())}
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return {"per_type": per_type, "micro": {**prf(*total), "support": total[0] + total[2]}}


@dataclass
class GoldMention:
    start: int
    end: int
    entity: str
    text: str
    value: str

    @property
    def variant(self) -> bool:
        """Misspelled, alias or otherwise non-canonical surface."""
        return self.text != self.value


def link_correct(gold: GoldMention, predicted: Iterable[Dict[str, Any]]) -> bool:
    """A predicted entity of the gold type overlapping the gold span carries the gold value."""
    return any(
        p.get("entity") == gold.entity
        and p.get("start", 0) < gold.end
        and gold.start < p.get("end", 0)
        and p.get("value") == gold.value
        for p in predicted
    )


def linking_scores(
    golds: Sequence[Sequence[GoldMention]], preds: Sequence[Sequence[Dict[str, Any]]]
) -> Dict[str, Any]:
    """Top-1 linking accuracy on all gold mentions and on variant (surface ≠ value) ones."""
    totals = {"all": [0, 0], "variant": [0, 0], "canonical": [0, 0]}
    by_method: Dict[str, int] = {}
    for mentions, predicted in zip(golds, preds):
        for mention in mentions:
            ok = link_correct(mention, predicted)
            for key in ("all", "variant" if mention.variant else "canonical"):
                totals[key][0] += ok
                totals[key][1] += 1
    for predicted in preds:
        for p in predicted:
            method = p.get("link_method", "n/a")
            by_method[method] = by_method.get(method, 0) + 1
    return {
        **{k: {"correct": c, "total": n, "accuracy": c / n if n else 0.0} for k, (c, n) in totals.items()},
        "predicted_link_methods": dict(sorted(by_method.items())),
    }


# --------------------------------------------------------------------------- data
@dataclass
class Example:
    text: str
    intent: str
    sub_intent: Optional[str]
    mentions: List[GoldMention] = field(default_factory=list)


def load_examples(data_path: Path) -> List[Example]:
    """Test examples from Rasa NLU YAML (a file or a folder), with sub-intents and gold values."""
    from rasa.shared.nlu.training_data.loading import load_data

    from neural.data import gold_sub_intent

    if not Path(data_path).exists():
        raise FileNotFoundError(f"test data not found: {data_path}")
    data = load_data(str(data_path))
    out = []
    for message in data.intent_examples:
        text = message.get("text")
        mentions = [
            GoldMention(
                e["start"],
                e["end"],
                e["entity"],
                text[e["start"] : e["end"]],
                str(e.get("value", text[e["start"] : e["end"]])),
            )
            for e in message.get("entities") or []
        ]
        out.append(Example(text, message.get("intent"), gold_sub_intent(message), mentions))
    if not out:
        raise ValueError(f"no intent examples in {data_path}")
    return out


def parse_all(model: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    """Parse every text with the trained model, in process (the same graph the server runs)."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs every parse at debug level through structlog; keep the report readable.
    configure_structlog(logging.getLogger().getEffectiveLevel() or logging.WARNING)
    if not Path(model).exists():
        raise FileNotFoundError(f"model not found: {model} (train it with `make train`)")
    agent = Agent.load(str(model))
    if not agent.is_ready():
        raise ValueError(f"could not load a model from {model}")

    async def run() -> List[Dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(run())


# --------------------------------------------------------------------------- report
def evaluate(examples: Sequence[Example], parses: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """The full report for parses aligned with examples."""
    from core.vocabulary import MAIN_INTENTS, SUB_INTENTS

    def name(obj: Any) -> str:
        return (obj or {}).get("name") or NO_LABEL

    intents = classification_report(
        [e.intent for e in examples], [name(p.get("intent")) for p in parses], MAIN_INTENTS
    )
    diag = [(e, p) for e, p in zip(examples, parses) if e.sub_intent]
    sub_gold = [e.sub_intent for e, _ in diag if e.sub_intent]  # all of diag; the test narrows to str
    subs = classification_report(sub_gold, [name(p.get("sub_intent")) for _, p in diag], SUB_INTENTS)
    gold_spans = [[(m.start, m.end, m.entity) for m in e.mentions] for e in examples]
    pred_spans = [[(x["start"], x["end"], x["entity"]) for x in p.get("entities") or []] for p in parses]
    errors = {
        "intent": [
            {"text": e.text, "gold": e.intent, "pred": name(p.get("intent"))}
            for e, p in zip(examples, parses)
            if name(p.get("intent")) != e.intent
        ],
        "sub_intent": [
            {"text": e.text, "gold": e.sub_intent, "pred": name(p.get("sub_intent"))}
            for e, p in diag
            if name(p.get("sub_intent")) != e.sub_intent
        ],
        "linking": [
            {
                "text": e.text,
                "surface": m.text,
                "gold": m.value,
                "entity": m.entity,
                "pred": [
                    (x.get("text"), x.get("value"), x.get("link_method")) for x in p.get("entities") or []
                ],
            }
            for e, p in zip(examples, parses)
            for m in e.mentions
            if not link_correct(m, p.get("entities") or [])
        ],
    }
    return {
        "n_examples": len(examples),
        "intent": intents,
        "sub_intent": subs,
        "entities": entity_scores(gold_spans, pred_spans),
        "linking": linking_scores([e.mentions for e in examples], [p.get("entities") or [] for p in parses]),
        "errors": errors,
    }


def plot_confusion(confusion: Dict[str, Any], title: str, path: Path) -> None:
    """Confusion matrix (rows gold, columns predicted) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    logging.getLogger("matplotlib").setLevel(logging.ERROR)  # style-file deprecation chatter
    import matplotlib.pyplot as plt

    labels, matrix = confusion["labels"], confusion["matrix"]
    size = max(4.0, 0.55 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)))
    ax.set_yticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=60, ha="right")
    ax.set_yticklabels(labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    peak = max((max(row) for row in matrix), default=0)
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value:
                ax.text(
                    j,
                    i,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if value > peak / 2 else "black",
                )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_report(report: Dict[str, Any]) -> str:
    """Human-readable summary of ``evaluate``'s report."""
    lines = [f"examples: {report['n_examples']}"]
    for key, title in (("intent", "main intent"), ("sub_intent", "sub-intent (diagnosis examples)")):
        r = report[key]
        lines.append(f"\n{title}: accuracy {r['accuracy']:.4f}  macro-F1 {r['macro_f1']:.4f}  (n={r['n']})")
        lines.append(f"  {'class':<14}{'prec':>7}{'rec':>7}{'f1':>7}{'support':>9}")
        for label, m in r["per_class"].items():
            lines.append(
                f"  {label:<14}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{m['support']:>9}"
            )
    ent = report["entities"]
    lines.append("\nentities (exact span + type):")
    lines.append(f"  {'type':<14}{'prec':>7}{'rec':>7}{'f1':>7}{'support':>9}")
    for label, m in list(ent["per_type"].items()) + [("micro", ent["micro"])]:
        lines.append(
            f"  {label:<14}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{m['support']:>9}"
        )
    link = report["linking"]
    lines.append("\nlinking accuracy (top-1 value of an overlapping same-type prediction):")
    for key, title in (
        ("all", "all gold mentions"),
        ("variant", "misspelled/alias (surface != value)"),
        ("canonical", "canonical surface"),
    ):
        m = link[key]
        lines.append(f"  {title:<38}{m['accuracy']:.4f}  ({m['correct']}/{m['total']})")
    lines.append(f"  predicted link methods: {link['predicted_link_methods']}")
    return "\n".join(lines)


def run(model: Path, data: Path, out: Optional[Path]) -> Dict[str, Any]:
    """Parse ``data`` with ``model``, print the summary, write JSON + PNGs under ``out``."""
    examples = load_examples(data)
    started = time.perf_counter()
    parses = parse_all(model, [e.text for e in examples])
    report = evaluate(examples, parses)
    report.update(model=str(model), data=str(data), parse_seconds=round(time.perf_counter() - started, 2))
    medical = [p for e, p in zip(examples, parses) if e.intent == MEDICAL_INTENT]
    report["strategies"] = strategies.shares(strategies.first_strategies(medical)) if medical else {}
    print(format_report(report))
    if medical:
        print("\n" + strategies.format_shares(report["strategies"], len(medical)))
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        plot_confusion(report["intent"]["confusion"], "main intent", out / "intent_confusion.png")
        plot_confusion(report["sub_intent"]["confusion"], "sub-intent", out / "sub_intent_confusion.png")
        print(
            f"\nwrote {out / 'report.json'}, {out / 'intent_confusion.png'}, "
            f"{out / 'sub_intent_confusion.png'}"
        )
    return report
