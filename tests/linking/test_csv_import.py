"""CSV question logs -> Rasa NLU YAML: label mapping, bad rows with line numbers, GBK, Rasa loading."""

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.cli import main as cli_main
from core.paths import PROJECT_ROOT
from neural.data import gold_sub_intent
from tools import csv_import

MAP = """\
打招呼: {intent: greet}
症状: {intent: diagnosis, sub_intent: symptom}
治愈率: {sub_intent: cure_rate}
"""
CSV = """\
id,question,label
1,你好呀,打招呼
2,感冒会头痛吗,症状
3,,症状
4,医院几点开门,挂号
5,感冒会头痛吗,症状
6,肝硬化能治好吗,治愈率
7,再见,goodbye
8,腰疼,
9,感冒会头痛吗,打招呼
10,[高血压](disease)吃什么,treatment
"""


def _examples(path):
    data = load_data(str(path))
    return sorted((m.get("text"), m.get("intent"), gold_sub_intent(m)) for m in data.intent_examples)


def _write(tmp_path, text=CSV, encoding="utf-8"):
    (tmp_path / "log.csv").write_bytes(text.encode(encoding))
    (tmp_path / "map.yml").write_text(MAP, encoding="utf-8")
    return tmp_path / "log.csv", tmp_path / "map.yml"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_import_maps_labels_and_loads_in_rasa(tmp_path, encoding):
    csv_path, map_path = _write(tmp_path, encoding=encoding)
    out = tmp_path / "out" / "imported.yml"
    result = csv_import.import_csv(csv_path, "question", "label", map_path, out)
    assert _examples(out) == sorted(
        [
            ("你好呀", "greet", None),
            ("感冒会头痛吗", "diagnosis", "symptom"),
            ("肝硬化能治好吗", "diagnosis", "cure_rate"),
            ("再见", "goodbye", None),  # our own intent names map to themselves
            ("【高血压】(disease)吃什么", "diagnosis", "treatment"),  # no accidental entity markup
        ]
    )
    assert result.duplicates == 2 and result.rows == 10
    assert result.problems == [
        "line 4: empty question; skipped",
        "line 5: unknown label '挂号'; skipped",
        "line 9: empty label; skipped",
        "line 10: same question as line 3 with another label ('打招呼'); kept the first",
    ]


def test_cli_reports_problems_and_writes(tmp_path, capsys):
    csv_path, map_path = _write(tmp_path)
    out = tmp_path / "imported.yml"
    assert (
        cli_main(
            [
                "data",
                "import-csv",
                str(csv_path),
                "--text-col",
                "question",
                "--label-col",
                "label",
                "--map",
                str(map_path),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "line 5: unknown label '挂号'; skipped" in captured.err
    assert "wrote 5 examples from 10 rows" in captured.out
    assert out.exists()


def test_missing_column_and_bad_map_are_clear_errors(tmp_path, capsys):
    csv_path, map_path = _write(tmp_path)
    with pytest.raises(ValueError, match=r"column\(s\) \['问题'\] not in the header"):
        csv_import.import_csv(csv_path, "问题", "label", map_path, tmp_path / "x.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("症状: {intent: symptom}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown intent 'symptom'"):
        csv_import.load_map(bad)
    bad.write_text("寒暄: {intent: greet, sub_intent: symptom}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs intent diagnosis"):
        csv_import.load_map(bad)
    assert (
        cli_main(["data", "import-csv", str(tmp_path / "nope.csv"), "--text-col", "q", "--label-col", "l"])
        == 2
    )
    assert "nope.csv" in capsys.readouterr().err


def test_no_usable_rows_is_an_error(tmp_path):
    csv_path, _ = _write(tmp_path, "q,l\n1,unknown\n")
    with pytest.raises(ValueError, match="no usable rows"):
        csv_import.import_csv(csv_path, "q", "l", None, tmp_path / "x.yml")


def test_shipped_example_imports(tmp_path):
    out = tmp_path / "imported.yml"
    result = csv_import.import_csv(
        PROJECT_ROOT / "docs/examples/hospital_questions.csv",
        "问题",
        "类别",
        PROJECT_ROOT / "docs/examples/hospital_label_map.yml",
        out,
    )
    assert result.n_examples == len(load_data(str(out)).intent_examples) >= 10
