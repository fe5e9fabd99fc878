"""Evaluation metrics on hand-made predictions with known precision/recall."""

import json

import pytest

from tools.bench.parse import QUESTIONS, percentile, summarise
from tools.eval import nlu as nlu_eval
from tools.eval.nlu import Example, GoldMention


def test_classification_report_known_values():
    gold = ["greet", "greet", "diagnosis", "diagnosis", "diagnosis", "deny"]
    pred = ["greet", "diagnosis", "diagnosis", "diagnosis", "greet", "diagnosis"]
    r = nlu_eval.classification_report(gold, pred, ["greet", "diagnosis", "deny"])
    assert r["accuracy"] == pytest.approx(3 / 6)
    greet, diag, deny = (r["per_class"][k] for k in ("greet", "diagnosis", "deny"))
    assert (greet["precision"], greet["recall"], greet["support"]) == (0.5, 0.5, 2)
    assert diag["precision"] == pytest.approx(2 / 4) and diag["recall"] == pytest.approx(2 / 3)
    assert diag["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert (deny["precision"], deny["recall"], deny["f1"]) == (0.0, 0.0, 0.0)
    assert r["macro_f1"] == pytest.approx((0.5 + diag["f1"] + 0.0) / 3)
    assert r["confusion"] == {
        "labels": ["greet", "diagnosis", "deny"],
        "matrix": [[1, 1, 0], [1, 2, 0], [0, 1, 0]],
    }


def test_classification_report_appends_unexpected_predictions_and_skips_absent_labels():
    r = nlu_eval.classification_report(["a", "a"], ["a", "<none>"], ["a", "b"])
    assert r["confusion"]["labels"] == ["a", "b", "<none>"]
    assert r["macro_f1"] == pytest.approx(2 / 3)  # only "a" occurs in gold: P=1, R=.5
    with pytest.raises(ValueError, match="1 gold labels but 0 predictions"):
        nlu_eval.classification_report(["a"], [])


def test_entity_scores_exact_span_per_type_and_micro():
    gold = [[(0, 3, "disease"), (5, 7, "symptom")], [(2, 4, "drug")]]
    pred = [[(0, 3, "disease"), (5, 8, "symptom")], [(2, 4, "drug"), (6, 8, "food")]]
    r = nlu_eval.entity_scores(gold, pred)
    assert r["per_type"]["disease"]["f1"] == 1.0
    assert (r["per_type"]["symptom"]["precision"], r["per_type"]["symptom"]["recall"]) == (0.0, 0.0)
    assert (r["per_type"]["food"]["fp"], r["per_type"]["food"]["support"]) == (1, 0)
    micro = r["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (2, 2, 1)
    assert micro["precision"] == 0.5 and micro["recall"] == pytest.approx(2 / 3)


def test_linking_scores_all_and_variant():
    golds = [
        [GoldMention(0, 3, "disease", "糖尿并", "糖尿病"), GoldMention(4, 6, "symptom", "头痛", "头痛")],
        [GoldMention(0, 2, "disease", "伤风", "感冒")],
    ]
    preds = [
        [
            {
                "entity": "disease",
                "start": 0,
                "end": 4,
                "value": "糖尿病",
                "link_method": "pinyin",
            },  # span off
            {"entity": "symptom", "start": 4, "end": 6, "value": "头痛", "link_method": "exact"},
        ],
        [{"entity": "symptom", "start": 0, "end": 2, "value": "感冒", "link_method": "alias"}],
    ]  # wrong type
    r = nlu_eval.linking_scores(golds, preds)
    assert (r["all"]["correct"], r["all"]["total"]) == (2, 3)
    assert r["variant"]["accuracy"] == 0.5 and r["canonical"]["accuracy"] == 1.0
    assert r["predicted_link_methods"] == {"alias": 1, "exact": 1, "pinyin": 1}


def test_evaluate_and_outputs(tmp_path, capsys):
    examples = [
        Example("你好", "greet", None),
        Example("糖尿并怎么治", "diagnosis", "treatment", [GoldMention(0, 3, "disease", "糖尿并", "糖尿病")]),
        Example("感冒吃什么", "diagnosis", "taboo", [GoldMention(0, 2, "disease", "感冒", "感冒")]),
    ]
    parses = [
        {"intent": {"name": "greet"}, "entities": []},
        {
            "intent": {"name": "diagnosis"},
            "sub_intent": {"name": "treatment"},
            "entities": [{"entity": "disease", "start": 0, "end": 3, "value": "糖尿病"}],
        },
        {"intent": {"name": "diagnosis"}, "entities": []},
    ]  # a model without sub-intents
    report = nlu_eval.evaluate(examples, parses)
    assert report["intent"]["accuracy"] == 1.0
    assert report["sub_intent"]["accuracy"] == 0.5
    assert "<none>" in report["sub_intent"]["confusion"]["labels"]
    assert report["entities"]["micro"]["recall"] == 0.5
    assert report["linking"]["variant"]["accuracy"] == 1.0
    assert [e["surface"] for e in report["errors"]["linking"]] == ["感冒"]
    text = nlu_eval.format_report(report)
    assert "misspelled/alias" in text and "macro-F1" in text
    nlu_eval.plot_confusion(report["sub_intent"]["confusion"], "sub-intent", tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    json.dumps(report)


def test_load_examples_reads_gold_values_and_sub_intents(tmp_path):
    (tmp_path / "t.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: diagnosis\n  metadata:\n    sub_intent: cause\n  examples: |\n'
        '    - [糖尿并]{"entity": "disease", "value": "糖尿病"}是怎么得的\n- intent: greet\n  examples: |\n    - 你好\n',
        encoding="utf-8",
    )
    examples = nlu_eval.load_examples(tmp_path / "t.yml")
    diag = next(e for e in examples if e.intent == "diagnosis")
    assert diag.sub_intent == "cause"
    assert diag.mentions == [GoldMention(0, 3, "disease", "糖尿并", "糖尿病")]
    with pytest.raises(FileNotFoundError):
        nlu_eval.load_examples(tmp_path / "missing")


def test_bench_helpers():
    assert all(len(q) == 30 for q in QUESTIONS)
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([5], 99) == 5
    stats = summarise([10.0, 20.0, 30.0])
    assert (stats["p50"], stats["mean"], stats["max"], stats["n"]) == (20.0, 20.0, 30.0, 3)
