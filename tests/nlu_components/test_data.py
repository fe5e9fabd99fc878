"""The shared dev split and the training-only augmentation."""
import random

from neural.data import Augmenter, Example, dev_split, examples_from, template_key
from neural.text import CharTokenizer, normalise


def test_examples_from_training_data(training_data):
    examples = examples_from(training_data)
    assert len(examples) == 24
    typo = next(e for e in examples if e.text.startswith("糖尿并"))
    assert (typo.intent, typo.sub_intent, typo.entities) == ("diagnosis", "treatment", ((0, 3, "disease"),))
    assert next(e for e in examples if e.text == "你好").sub_intent is None


def test_dev_split_is_deterministic_and_keeps_templates_together():
    examples = [Example(f"{name}怎么治疗{'?' * (i % 2)}", "diagnosis", "treatment", ((0, len(name), "disease"),))
                for i, name in enumerate(["感冒", "肺炎", "胃炎", "哮喘"] * 5)]
    examples += [Example(f"问题{i}", "greet") for i in range(40)]
    train, dev = dev_split(examples, 0.3, seed=1)
    assert (train, dev) == dev_split(examples, 0.3, seed=1)
    assert dev and train and len(train) + len(dev) == len(examples)
    # all sentences of the "<disease>怎么治疗" template are on the same side
    sides = {template_key(e) in {template_key(d) for d in dev} for e in examples[:20]}
    assert len(sides) == 1


def test_augmenter_changes_entities_and_keeps_offsets_right():
    examples = [Example(f"{n}有什么症状", "diagnosis", "symptom", ((0, len(n), "disease"),))
                for n in ("感冒", "肺炎", "慢性胃炎", "支气管哮喘")]
    augment = Augmenter(examples, swap_prob=1.0, splice_prob=0.5, typo_prob=0.5)
    rng = random.Random(0)
    seen = set()
    for _ in range(50):
        new = augment(examples[0], rng)
        (start, end, kind), = new.entities
        assert kind == "disease" and new.text[end:] == "有什么症状" and start == 0
        seen.add(new.text[start:end])
    assert len(seen) > 4          # swaps, spliced and misspelt names, not only the 4 originals


def test_char_tokenizer_round_trip(tmp_path):
    tokenizer = CharTokenizer.build(["感冒怎么治", "ＡＢＣ test"], max_length=8)
    ids = tokenizer.encode("感冒Ａ 怎么治疗啊")
    assert len(ids) == 8 and ids[0] == tokenizer.cls_id and ids[-1] == tokenizer.sep_id
    assert ids[3] == tokenizer.vocab["a"] and ids[4] == tokenizer.space_id
    assert tokenizer.unk_id in tokenizer.encode("疗")
    assert normalise("ＡＢ㎏") == "ab㎏"
    tokenizer.save(tmp_path)
    assert CharTokenizer.load(tmp_path, 8).vocab == tokenizer.vocab
    hf = tokenizer.to_hf_tokenizer()
    assert hf.get_vocab() == tokenizer.vocab


def test_entity_spans_become_type_tokens():
    tokenizer = CharTokenizer.build(["高血压怎么治"], max_length=16)
    ids = tokenizer.encode("高血压怎么治", [(0, 3, "disease")])
    assert ids == [tokenizer.cls_id, tokenizer.vocab["[disease]"], tokenizer.vocab["怎"],
                   tokenizer.vocab["么"], tokenizer.vocab["治"], tokenizer.sep_id]
    assert tokenizer.entity_id("unknown-type") == tokenizer.unk_id
    assert len(tokenizer.encode("高血压" * 10, [(0, 3, "disease")])) == 16   # still cut to max_length
