"""The shared reply renderer: variants, strict context, every answer template renders."""

import random

import jinja2
import pytest

from bot.render import render, variants
from kg_queries.questions import ITEM_FIELDS


def test_variants_are_split_and_chosen_reproducibly():
    options = variants("clarify.j2", disease="糖尿病", question="treatment")
    assert len(options) >= 2 and all("糖尿病" in o for o in options)
    assert render("clarify.j2", rng=random.Random(1), disease="糖尿病", question="treatment") in options


def test_missing_context_is_an_error():
    with pytest.raises(jinja2.UndefinedError):
        render("clarify.j2")


@pytest.mark.parametrize("question", sorted(ITEM_FIELDS))
def test_answer_templates_render(question):
    fields = {
        k: ["甲", "乙"]
        for k in (
            "symptoms",
            "complications",
            "cure_way",
            "common_drugs",
            "recommand_drugs",
            "departments",
            "parent_departments",
            "not_eat",
            "do_eat",
            "recipes",
            "checks",
        )
    }
    fields.update(
        description="描述",
        cause="原因",
        prevent="预防",
        get_way="飞沫传播",
        easy_get="儿童",
        get_prob="1%",
        cured_prob="90%",
        cure_lasttime="7天",
    )
    text = render(f"answers/{question}.j2", disease="感冒", items=["甲", "乙"], fields=fields)
    assert "感冒" in text and text.strip()
