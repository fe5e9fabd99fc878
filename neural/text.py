"""Character vocabulary and tokenizer: one token per character.

Why characters: Chinese has no spaces, patients misspell disease names with homophones,
and the CRF extractor needs one label per character. One token per character keeps the
token <-> character alignment trivial (token ``i + 1`` is character ``i``; token 0 is
``[CLS]``) for every component, whether the vocabulary was built from our training data
(training from scratch) or read from a pretrained checkpoint's ``vocab.txt``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from core.normalise import fold_same_length
from core.vocabulary import ENTITY_TYPES

PAD, UNK, CLS, SEP, MASK, SPACE = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[SPACE]"
SPECIAL_TOKENS: Tuple[str, ...] = (PAD, UNK, CLS, SEP, MASK, SPACE)
# One token per entity type (core.vocabulary): a classifier may read "[disease]怎么治"
# instead of the name.
ENTITY_TOKENS: Tuple[str, ...] = tuple(f"[{kind}]" for kind in ENTITY_TYPES)
VOCAB_FILE = "vocab.txt"


def _as_is(text: str) -> str:
    return text


def segments(
    text: str, spans: Optional[Sequence[Tuple[int, int, str]]] = None
) -> List[Tuple[str, Optional[str]]]:
    """``text`` cut at its mentions: ``(piece, None)`` for the text between them and
    ``(mention, type)`` for each ``(start, end, type)`` span, in order (a span that
    overlaps the one before is ignored)."""
    out: List[Tuple[str, Optional[str]]] = []
    last = 0
    for start, end, kind in sorted(spans or ()):
        if start < last:
            continue
        out += [(text[last:start], None), (text[start:end], kind)]
        last = end
    out.append((text[last:], None))
    return out


class CharTokenizer:
    """Maps text to ids, one id per character, with ``[CLS]`` first and ``[SEP]`` last."""

    def __init__(self, vocab: Dict[str, int], max_length: int = 64) -> None:
        missing = [t for t in (PAD, UNK, CLS, SEP, MASK) if t not in vocab]
        if missing:
            raise ValueError(f"vocabulary lacks special tokens {missing}")
        self.vocab = vocab
        self.max_length = max_length
        self.pad_id, self.unk_id = vocab[PAD], vocab[UNK]
        self.cls_id, self.sep_id, self.mask_id = vocab[CLS], vocab[SEP], vocab[MASK]
        self.space_id = vocab.get(SPACE, self.unk_id)
        self.special_ids = frozenset(vocab[t] for t in SPECIAL_TOKENS + ENTITY_TOKENS if t in vocab)

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(cls, texts: Iterable[str], max_length: int = 64, min_count: int = 1) -> CharTokenizer:
        """A vocabulary of the characters in ``texts`` (most frequent first), specials first."""
        counts = Counter(ch for text in texts for ch in fold_same_length(text) if not ch.isspace())
        chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
        tokens = list(SPECIAL_TOKENS + ENTITY_TOKENS) + chars
        return cls({tok: i for i, tok in enumerate(tokens)}, max_length)

    @classmethod
    def from_pretrained(cls, model_name_or_path: str, max_length: int = 64) -> CharTokenizer:
        """The vocabulary of a pretrained BERT checkpoint (local folder or hub id)."""
        from transformers import BertTokenizerFast

        tokenizer = BertTokenizerFast.from_pretrained(model_name_or_path)
        return cls(dict(tokenizer.get_vocab()), max_length)

    def save(self, directory: Path) -> Path:
        """Write ``vocab.txt`` (one token per line, in id order), readable by BertTokenizerFast."""
        path = Path(directory) / VOCAB_FILE
        by_id = sorted(self.vocab.items(), key=lambda kv: kv[1])
        if [i for _, i in by_id] != list(range(len(by_id))):
            raise ValueError("vocabulary ids are not contiguous")
        path.write_text("".join(tok + "\n" for tok, _ in by_id), encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: Path, max_length: int = 64) -> CharTokenizer:
        lines = (Path(directory) / VOCAB_FILE).read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls({tok: i for i, tok in enumerate(lines)}, max_length)

    def to_hf_tokenizer(self):
        """A ``BertTokenizerFast`` over this vocabulary (for ``save_pretrained``)."""
        import tempfile

        from transformers import BertTokenizerFast

        with tempfile.TemporaryDirectory() as tmp:
            vocab_file = self.save(Path(tmp))
            return BertTokenizerFast(
                vocab_file=str(vocab_file),
                do_lower_case=True,
                tokenize_chinese_chars=True,
                strip_accents=False,
                additional_special_tokens=[SPACE] if SPACE in self.vocab else None,
            )

    # ------------------------------------------------------------------ encoding
    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def max_chars(self) -> int:
        """How many characters fit between ``[CLS]`` and ``[SEP]``."""
        return self.max_length - 2

    def char_ids(self, text: str) -> List[int]:
        """One id per character of ``text`` (not truncated), no specials."""
        vocab, unk, space = self.vocab, self.unk_id, self.space_id
        return [space if ch == " " else vocab.get(ch, unk) for ch in fold_same_length(text)]

    def entity_id(self, kind: str) -> int:
        """The id of the ``[<kind>]`` token (``[UNK]`` for a vocabulary without it)."""
        return self.vocab.get(f"[{kind}]", self.unk_id)

    def encode(
        self,
        text: str,
        spans: Optional[Sequence[Tuple[int, int, str]]] = None,
        keep_tail: bool = False,
        rewrite: Optional[Callable[[str], str]] = None,
    ) -> List[int]:
        """``[CLS] + chars + [SEP]``; each ``(start, end, type)`` span becomes one ``[type]`` token.

        With ``spans`` the token/character alignment is lost, so only classifiers use them.
        A text longer than ``max_chars`` keeps its head (token i is character i - 1, as the
        tagger needs) or, with ``keep_tail``, its first quarter and its end: patients put
        the question last, after the story, so classifiers keep the end. ``rewrite``
        (classifiers only: it moves characters) is applied to the text between mentions.
        """
        rewrite = rewrite or _as_is
        ids: List[int] = []
        for piece, kind in segments(text, spans):
            ids += [self.entity_id(kind)] if kind else self.char_ids(rewrite(piece))
        limit = self.max_chars
        if len(ids) > limit:
            head = limit // 4 if keep_tail else limit
            ids = ids[:head] + ids[len(ids) - (limit - head) :]
        return [self.cls_id] + ids + [self.sep_id]

    def pad(self, sequences: Sequence[Sequence[int]]):
        """Right-pad id lists into ``(input_ids, attention_mask)`` LongTensors."""
        import torch

        width = max(len(s) for s in sequences)
        ids = torch.full((len(sequences), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for row, seq in enumerate(sequences):
            ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[row, : len(seq)] = 1
        return ids, mask

    def batch(self, texts: Sequence[str]):
        """``encode`` + ``pad`` for a list of texts."""
        return self.pad([self.encode(t) for t in texts])
