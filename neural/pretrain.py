"""Masked-language-model pre-training of a small BERT on our own text (RoBERTa-style).

Corpus: the knowledge graph's free texts (``desc``, ``cause``, ``prevent`` of every
disease in ``data/kg/*.json``) cut into sentences, plus the NLU *training* sentences
(``data/nlu``; the held-out ``tests/nlu`` is refused). The vocabulary is the corpus's
characters (``neural.text.CharTokenizer``), so a component that loads the checkpoint
tokenises exactly as it was pre-trained.

Training is RoBERTa's recipe at toy scale: masked-LM only (no next-sentence task), the
masks are drawn anew for every batch (dynamic masking: 15% of the characters; of those
80% become ``[MASK]``, 10% a random character, 10% stay). Uses ``neural.training.fit``
(progress bar, early stopping on the masked-LM loss of held-out sentences).

The output folder is a ``save_pretrained`` checkpoint (``BertForMaskedLM`` weights and
config) plus a ``BertTokenizerFast`` (``vocab.txt``); components load it with
``model_name_or_path: <folder>``.
"""

from __future__ import annotations

import glob
import json
import logging
import random
import re
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import torch

from core.paths import PROJECT_ROOT
from neural.text import CharTokenizer
from neural.training import fit

logger = logging.getLogger(__name__)

KG_TEXT_FIELDS = ("desc", "cause", "prevent")
SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


def kg_sentences(pattern: str, max_chars: int) -> List[str]:
    """Sentences of the graph's free texts (JSON lines or a JSON array per file)."""
    out: List[str] = []
    for path in sorted(glob.glob(pattern)):
        raw = Path(path).read_text(encoding="utf-8").strip()
        records = (
            json.loads(raw)
            if raw.startswith("[")
            else [json.loads(line) for line in raw.splitlines() if line.strip()]
        )
        for record in records:
            for name in KG_TEXT_FIELDS:
                value = record.get(name)
                for text in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
                    if isinstance(text, str):
                        out += split_sentences(text, max_chars)
    return out


def split_sentences(text: str, max_chars: int) -> List[str]:
    """Sentences of ``text``, each cut into pieces of at most ``max_chars`` characters."""
    pieces = []
    for sentence in SENTENCE_END.split(text):
        sentence = sentence.strip()
        pieces += [sentence[i : i + max_chars] for i in range(0, len(sentence), max_chars)]
    return [p for p in pieces if p]


def nlu_sentences(paths: Sequence[str]) -> List[str]:
    """Plain texts of the NLU training examples (entity markup removed)."""
    from rasa.shared.nlu.training_data.loading import load_data

    texts: List[str] = []
    for path in paths:
        resolved = Path(path).resolve()
        if (PROJECT_ROOT / "tests").resolve() in (resolved, *resolved.parents):
            raise ValueError(f"{path}: the test split must not be used for pre-training")
        texts += [m.get("text") for m in load_data(str(path)).training_examples if m.get("text")]
    return texts


def mask_tokens(
    ids: torch.Tensor,
    attention_mask: torch.Tensor,
    tokenizer: CharTokenizer,
    generator: torch.Generator,
    probability: float = 0.15,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Dynamic masking: ``(masked input ids, labels)`` with -100 where nothing is predicted."""
    special = torch.zeros_like(ids, dtype=torch.bool)
    for token_id in tokenizer.special_ids:
        special |= ids == token_id
    candidates = attention_mask.bool() & ~special
    chosen = (torch.rand(ids.shape, generator=generator) < probability) & candidates
    for row in range(ids.size(0)):  # at least one prediction per sentence
        if not chosen[row].any() and candidates[row].any():
            positions = candidates[row].nonzero().flatten()
            chosen[row, positions[torch.randint(len(positions), (1,), generator=generator)]] = True
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator)
    masked = ids.clone()
    masked[chosen & (roll < 0.8)] = tokenizer.mask_id
    n_special = len(tokenizer.special_ids)
    random_ids = torch.randint(n_special, len(tokenizer), ids.shape, generator=generator)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[swap] = random_ids[swap]
    return masked, labels


def pretrain(
    texts: Sequence[str],
    out: Path,
    *,
    hidden_size: int = 312,
    num_layers: int = 4,
    num_heads: int = 12,
    intermediate_size: int = 1200,
    max_length: int = 64,
    epochs: int = 5,
    batch_size: int = 64,
    learning_rate: float = 5e-4,
    dev_fraction: float = 0.05,
    patience: int = 2,
    seed: int = 42,
) -> Dict[str, Any]:
    """Pre-train on ``texts`` and write the checkpoint + tokenizer to ``out``."""
    from transformers import BertConfig, BertForMaskedLM

    texts = [t for t in dict.fromkeys(texts) if t.strip()]
    if len(texts) < 2:
        raise ValueError("pre-training needs at least two sentences")
    tokenizer = CharTokenizer.build(texts, max_length)
    rng = random.Random(seed)
    shuffled = texts[:]
    rng.shuffle(shuffled)
    n_dev = max(1, int(len(shuffled) * dev_fraction))
    dev, train = shuffled[:n_dev], shuffled[n_dev:]
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_length,
        type_vocab_size=1,
        pad_token_id=tokenizer.pad_id,
    )
    model = BertForMaskedLM(config)
    generator = torch.Generator().manual_seed(seed)

    def make_batch(chunk: Sequence[List[int]], _rng: random.Random):
        ids, mask = tokenizer.pad(chunk)
        masked, labels = mask_tokens(ids, mask, tokenizer, generator)
        return masked, mask, labels

    def loss_fn(network, batch) -> torch.Tensor:
        ids, mask, labels = batch
        return network(input_ids=ids, attention_mask=mask, labels=labels).loss

    dev_ids = [tokenizer.encode(t) for t in dev]

    def evaluate(network) -> Tuple[float]:
        fixed = torch.Generator().manual_seed(seed + 1)  # the same masks every epoch
        total, count = 0.0, 0
        for i in range(0, len(dev_ids), 128):
            ids, mask = tokenizer.pad(dev_ids[i : i + 128])
            masked, labels = mask_tokens(ids, mask, tokenizer, fixed)
            n = int((labels != -100).sum())
            total += float(network(input_ids=masked, attention_mask=mask, labels=labels).loss) * n
            count += n
        return (-total / max(1, count),)

    result = fit(
        model,
        [tokenizer.encode(t) for t in train],
        make_batch,
        loss_fn,
        evaluate,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        patience=patience,
        length=len,
        seed=seed,
        desc="pretrain (masked LM)",
    )
    # ``evaluate`` scores every epoch, so the best score is set once an epoch has run.
    assert result.best_score is not None, "pretraining ran no epoch"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.to_hf_tokenizer().save_pretrained(out)
    summary = {
        "sentences": len(texts),
        "train": len(train),
        "dev": len(dev),
        "vocab": len(tokenizer),
        "dev_mlm_loss": -result.best_score[0],
        "best_epoch": result.best_epoch,
        "epochs_run": result.epochs_run,
        "seconds": round(result.seconds, 1),
        "layers": num_layers,
        "hidden_size": hidden_size,
    }
    (out / "pretraining.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary
