"""The shared dev split and the training-only augmentation."""

import random

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from core.normalise import fold_same_length
from neural.data import Augmenter, Example, dev_split, examples_from, in_pinyin, template_key
from neural.english import english_terms, english_to_chinese
from neural.text import CharTokenizer


def test_examples_from_training_data(training_data):
    examples = examples_from(training_data)
    assert len(examples) == 24
    typo = next(e for e in examples if e.text.startswith("糖尿并"))
    assert (typo.intent, typo.sub_intent, typo.entities) == ("diagnosis", "treatment", ((0, 3, "disease"),))
    assert next(e for e in examples if e.text == "你好").sub_intent is None


@pytest.mark.parametrize(
    "yaml_text,label",
    [
        ("- intent: chitchat\n  examples: |\n    - 今天天气不错\n", "chitchat"),
        (
            "- intent: diagnosis\n  metadata:\n    sub_intent: prognosis\n  examples: |\n    - 感冒多久好\n",
            "prognosis",
        ),
    ],
)
def test_an_example_with_an_unknown_label_is_an_error(yaml_text, label):
    data = RasaYAMLReader().reads('version: "3.1"\nnlu:\n' + yaml_text)
    with pytest.raises(ValueError, match=label):
        examples_from(data)


def test_dev_split_is_deterministic_and_keeps_templates_together():
    examples = [
        Example(f"{name}怎么治疗{'?' * (i % 2)}", "diagnosis", "treatment", ((0, len(name), "disease"),))
        for i, name in enumerate(["感冒", "肺炎", "胃炎", "哮喘"] * 5)
    ]
    examples += [Example(f"问题{i}", "greet") for i in range(40)]
    train, dev = dev_split(examples, 0.3, seed=1)
    assert (train, dev) == dev_split(examples, 0.3, seed=1)
    assert dev and train and len(train) + len(dev) == len(examples)
    # all sentences of the "<disease>怎么治疗" template are on the same side
    sides = {template_key(e) in {template_key(d) for d in dev} for e in examples[:20]}
    assert len(sides) == 1


def test_augmenter_changes_entities_and_keeps_offsets_right():
    examples = [
        Example(f"{n}有什么症状", "diagnosis", "symptom", ((0, len(n), "disease"),))
        for n in ("感冒", "肺炎", "慢性胃炎", "支气管哮喘")
    ]
    augment = Augmenter(examples, swap_prob=1.0, splice_prob=0.5, typo_prob=0.5)
    rng = random.Random(0)
    seen = set()
    for _ in range(50):
        new = augment(examples[0], rng)
        ((start, end, kind),) = new.entities
        assert kind == "disease" and new.text[end:] == "有什么症状" and start == 0
        seen.add(new.text[start:end])
    assert len(seen) > 4  # swaps, spliced and misspelt names, not only the 4 originals


def test_char_tokenizer_round_trip(tmp_path):
    tokenizer = CharTokenizer.build(["感冒怎么治", "ＡＢＣ test"], max_length=8)
    ids = tokenizer.encode("感冒Ａ 怎么治疗啊")
    assert len(ids) == 8 and ids[0] == tokenizer.cls_id and ids[-1] == tokenizer.sep_id
    assert ids[3] == tokenizer.vocab["a"] and ids[4] == tokenizer.space_id
    assert tokenizer.unk_id in tokenizer.encode("疗")
    assert fold_same_length("ＡＢ㎏") == "ab㎏"
    tokenizer.save(tmp_path)
    assert CharTokenizer.load(tmp_path, 8).vocab == tokenizer.vocab
    hf = tokenizer.to_hf_tokenizer()
    assert hf.get_vocab() == tokenizer.vocab


def test_entity_spans_become_type_tokens():
    tokenizer = CharTokenizer.build(["高血压怎么治"], max_length=16)
    ids = tokenizer.encode("高血压怎么治", [(0, 3, "disease")])
    assert ids == [
        tokenizer.cls_id,
        tokenizer.vocab["[disease]"],
        tokenizer.vocab["怎"],
        tokenizer.vocab["么"],
        tokenizer.vocab["治"],
        tokenizer.sep_id,
    ]
    assert tokenizer.entity_id("unknown-type") == tokenizer.unk_id
    assert len(tokenizer.encode("高血压" * 10, [(0, 3, "disease")])) == 16  # still cut to max_length


def test_long_text_keeps_head_for_taggers_and_the_question_for_classifiers():
    story = "我今年四十岁平时身体还行上个月体检查出来" * 3  # 57 characters of background
    tokenizer = CharTokenizer.build([story + "高血压怎么治"], max_length=18)  # 16 characters fit
    text = story + "高血压怎么治"
    head = tokenizer.encode(text)
    assert head[1:-1] == tokenizer.char_ids(text[:16])  # aligned with the characters
    tail = tokenizer.encode(text, [(len(story), len(story) + 3, "disease")], keep_tail=True)
    assert len(tail) == 18
    assert tail[1:5] == tokenizer.char_ids(story[:4])  # a quarter from the start
    assert tail[-5:-1] == [tokenizer.vocab["[disease]"]] + tokenizer.char_ids("怎么治")
    assert tokenizer.encode("感冒", keep_tail=True) == tokenizer.encode("感冒")  # short: unchanged


def test_pinyin_augmentation_rewrites_question_words_not_mentions():
    example = Example("我妈得了高血压，能吃什么水果", "diagnosis", "taboo", ((4, 7, "disease"),))
    rng = random.Random(0)
    seen = set()
    for _ in range(40):
        new = in_pinyin(example, rng)
        ((start, end, _kind),) = new.entities
        assert new.text[start:end] == "高血压" and new.sub_intent == "taboo"
        assert new.text != example.text and any("a" <= ch <= "z" for ch in new.text)
        seen.add(new.text)
    assert len(seen) > 5  # different stretches and spacing styles
    assert in_pinyin(Example("感冒", "diagnosis", "definition", ((0, 2, "disease"),)), rng).text == "感冒"


def test_english_words_read_as_their_chinese_word():
    assert english_to_chinese("is 肺炎 contagious") == "is 肺炎 传染"
    assert english_to_chinese("糖尿病的Symptoms有哪些") == "糖尿病的症状有哪些"  # case-insensitive
    assert english_to_chinese("Which  Department for 痛风").startswith("挂什么科 ")  # longest phrase first
    assert english_to_chinese("感冒 zenme zhiliao") == "感冒 怎么 治疗"  # common pinyin words
    assert english_to_chinese("tests") == "检查" and english_to_chinese("contest") == "contest"  # whole words
    assert english_to_chinese("感冒怎么治") == "感冒怎么治"


def test_tokenizer_rewrites_only_the_text_between_mentions():
    tokenizer = CharTokenizer.build(["高血压传染吗"], max_length=16)
    ids = tokenizer.encode("高血压contagious吗", [(0, 3, "disease")], rewrite=english_to_chinese)
    assert ids == tokenizer.encode("高血压传染吗", [(0, 3, "disease")])


def test_english_glossary_file_loads():
    terms = english_terms()
    assert terms["传染"] and all(isinstance(en, str) and en for ens in terms.values() for en in ens)


def test_english_glossary_lists_each_form_once_and_only_words():
    import yaml

    from neural.english import ENGLISH_TERMS

    raw = yaml.safe_load(ENGLISH_TERMS.read_text(encoding="utf-8"))["terms"]
    forms = [en for ens in raw.values() for en in ens]
    # a bare yes/no/on/off would load as a boolean and never match
    assert all(isinstance(en, str) for en in forms), [en for en in forms if not isinstance(en, str)]
    keys = [" ".join(en.lower().split()) for en in forms]
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})
    assert english_to_chinese("yes") == "是的" and english_to_chinese("no") == "no"  # "no fever"
