"""Unit checks of the generator's parts: homophone typos, errors, the entity-type subset."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pypinyin import Style, lazy_pinyin

from core.vocabulary import ENTITY_TYPES
from tools import nlu_data
from tools.nlu_data import GenerationError
from tools.nlu_data.graph import FILLED_ENTITY_TYPES, NOT_FILLED
from tools.nlu_data.typos import HomophoneTable, make_typo, near_pinyin

INVENTORY = ["糖尿病", "唐塘堂", "尿鸟", "病并兵冰", "感冒", "赶敢", "帽貌", "高血压"]


def _reading(ch: str) -> str:
    return lazy_pinyin(ch, style=Style.NORMAL)[0]


def _always(surface: str, canonical: str) -> bool:
    return True


@pytest.fixture(scope="module")
def table() -> HomophoneTable:
    return HomophoneTable.from_text(INVENTORY)


def test_table_groups_inventory_by_toneless_reading(table):
    assert table.groups["tang"] == sorted("唐堂塘糖")
    for py, chars in table.groups.items():
        assert all(_reading(c) == py for c in chars), (py, chars)
    assert all("a" <= py[0] <= "z" for py in table.groups)  # no tone marks, no non-Han


def test_homophone_typo_shares_a_toneless_reading(table):
    for seed in range(50):
        surface = make_typo("糖尿病", random.Random(seed), table, _always)
        assert surface is not None and len(surface) == 3 and surface != "糖尿病"
        diff = [i for i, (a, b) in enumerate(zip("糖尿病", surface)) if a != b]
        assert len(diff) == 1
        i = diff[0]
        original, typo = _reading("糖尿病"[i]), _reading(surface[i])
        assert typo == original or typo in near_pinyin(original), (surface, original, typo)
        assert surface[i] in {c for chars in table.groups.values() for c in chars}


def test_homophone_typo_is_deterministic_for_a_seed(table):
    a = [make_typo("感冒", random.Random(seed), table, _always) for seed in range(20)]
    b = [make_typo("感冒", random.Random(seed), table, _always) for seed in range(20)]
    assert a == b
    assert len(set(a)) > 1  # the seed does choose


def test_same_reading_is_preferred_and_surface_check_respected(table):
    surfaces = {make_typo("感冒", random.Random(seed), table, _always) for seed in range(40)}
    same = {s for s in surfaces if all(_reading(a) == _reading(b) for a, b in zip(s, "感冒"))}
    assert same and len(same) >= len(surfaces) // 2
    assert make_typo("感冒", random.Random(1), table, lambda s, c: False) is None
    assert make_typo("感", random.Random(1), table, _always) is None  # too short


def test_reading_in_context():
    table = HomophoneTable.from_text(["重症中终"])
    assert table.readings("重症") == ["zhong", "zheng"]
    assert table.readings("A型") == [None, "xing"]


def test_no_templates_is_a_generation_error(tmp_path: Path):
    empty = tmp_path / "source"
    empty.mkdir()
    with pytest.raises(GenerationError, match="no usable templates"):
        nlu_data.generate(empty, tmp_path / "kg", tmp_path / "train", tmp_path / "test")
    assert not (tmp_path / "train").exists()


def test_cli_turns_a_generation_error_into_exit_code_2(tmp_path: Path, capsys):
    (tmp_path / "source").mkdir()
    rc = nlu_data.main(
        [
            "--source",
            str(tmp_path / "source"),
            "--kg",
            str(tmp_path / "kg"),
            "--out",
            str(tmp_path / "train"),
            "--test-out",
            str(tmp_path / "test"),
        ]
    )
    assert rc == 2
    assert "no usable templates" in capsys.readouterr().err


def test_filled_entity_types_are_the_vocabulary_without_producer():
    assert set(FILLED_ENTITY_TYPES) <= set(ENTITY_TYPES)
    assert NOT_FILLED == ("producer",)
