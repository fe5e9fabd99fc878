"""``python -m bot eval sub-intent-dev``: train only the sub-intent members (RoBERTa-TextCNN
and the character n-gram model) on the training data and score them, and their
accuracy-weighted vote, on held-out *training* templates (never ``tests/nlu``).

Why: choosing settings (learning rate, augmentation, epochs) needs a quick loop that
cannot leak the test split. Each split seed holds out a different ~``dev_fraction`` of the
templates, so the mean over two or three seeds is steadier than one dev split.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence


def parse_settings(pairs: Sequence[str]) -> Dict[str, Any]:
    """``["learning_rate=0.001", "kernel_sizes=[3,4]"]`` -> config overrides (JSON values,
    else the plain string)."""
    settings: Dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set wants key=value, got {pair!r}")
        try:
            settings[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            settings[key.strip()] = value
    return settings


def run(
    data: Path,
    split_seeds: Sequence[int],
    dev_fraction: float,
    settings: Dict[str, Any],
    errors: Optional[Path] = None,
) -> List[float]:
    """The vote's dev accuracy per split seed (printed with each member's and the means);
    ``settings`` apply to the TextCNN. Sentences the vote gets wrong (gold, predicted,
    confidence, text) go to ``errors`` as TSV."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.loading import load_data

    import neural  # noqa: F401  (bounds OpenMP spin-waiting before torch loads)
    from core.vocabulary import SUB_INTENTS
    from intents import votes
    from intents.char_ngram_classifier import CharNgramClassifier
    from intents.ensemble_voter import combine
    from intents.roberta_textcnn_classifier import RobertaTextCnnClassifier
    from neural.data import dev_split, examples_from

    unknown = sorted(set(settings) - set(RobertaTextCnnClassifier.get_default_config()))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}")
    config = {**RobertaTextCnnClassifier.get_default_config(), **settings, "dev_fraction": dev_fraction}
    training_data = load_data(str(data))
    scores: Dict[str, List[float]] = {"textcnn": [], "char_ngram": [], "vote": []}
    rows = []
    for seed in split_seeds:
        with tempfile.TemporaryDirectory() as tmp:
            storage = LocalModelStorage(Path(tmp))
            component = RobertaTextCnnClassifier(config, storage, Resource("dev"))
            examples = [e for e in examples_from(training_data) if component.label_of(e) in component.LABELS]
            train, dev = dev_split(examples, dev_fraction, seed)
            if not dev:
                raise ValueError("no dev templates: raise --dev-fraction or add data")
            started = time.perf_counter()
            result = component.fit_examples(train, dev, config["epochs"])
            ngram = CharNgramClassifier(CharNgramClassifier.get_default_config(), storage, Resource("ngram"))
            ngram.fit(train)
            texts, spans = [e.text for e in dev], [e.entities for e in dev]
            member_probs = {
                "textcnn": component.predict(texts, spans),
                "char_ngram": ngram.predict(texts, spans),
            }

            def accuracy(probs, dev=dev):
                return sum(max(p, key=p.get) == e.sub_intent for p, e in zip(probs, dev)) / len(dev)

            weights = {name: accuracy(probs) for name, probs in member_probs.items()}
            voted = [
                combine(
                    {name: votes.ranking(probs[i]) for name, probs in member_probs.items()},
                    weights,
                    0.5,
                    labels=SUB_INTENTS,
                )
                for i in range(len(dev))
            ]
            for name, value in (*weights.items(), ("vote", accuracy(voted))):
                scores[name].append(value)
            print(
                f"split seed {seed}: dev accuracy TextCNN {weights['textcnn']:.4f} (best epoch "
                f"{result.best_epoch}), char n-grams {weights['char_ngram']:.4f}, vote {scores['vote'][-1]:.4f} "
                f"({len(train)} train / {len(dev)} dev, {time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            for example, probs in zip(dev, voted):
                best = max(probs, key=lambda label: probs[label])
                if best != example.sub_intent:
                    rows.append(f"{seed}\t{example.sub_intent}\t{best}\t{probs[best]:.2f}\t{example.text}")
    means = {name: sum(values) / len(values) for name, values in scores.items()}
    print(
        f"mean dev accuracy over split seeds {list(split_seeds)}: TextCNN {means['textcnn']:.4f}, "
        f"char n-grams {means['char_ngram']:.4f}, vote {means['vote']:.4f}"
        f"{' (TextCNN settings ' + json.dumps(settings, ensure_ascii=False) + ')' if settings else ''}"
    )
    if errors:
        errors.parent.mkdir(parents=True, exist_ok=True)
        errors.write_text(
            "split_seed\tgold\tpredicted\tconfidence\ttext\n" + "".join(r + "\n" for r in rows),
            encoding="utf-8",
        )
        print(f"{len(rows)} dev errors -> {errors}")
    return scores["vote"]
