"""NLU training-data generation for the hospital FAQ bot.

The hand-written templates in ``nlu_source/*.yml`` are filled with the graph's names
(``data/kg/*.json``) into Rasa 3 YAML under ``data/nlu/`` (train) and ``tests/nlu/``
(held-out test); the realistic templates of ``nlu_source/realistic/`` add to training
and have their own test split, ``tests/nlu_realistic/``. One job per module:

``text``       name cleaning, entity markup, stable hash
``graph``      the names, read through ``kg_queries.records``
``templates``  reading ``nlu_source/``
``fill``       filling a template, entity markup of the mentions
``typos``      homophone (pypinyin) and normalised misspellings
``variation``  punctuation / particle / repeat variants
``split``      train/test separation guarantees
``expand``     per-block expansion to the target counts
``render``     Rasa YAML output
``generate``   the whole run and its summary
``cli``        ``main(argv) -> int``

Why: no labelled patient data may be shipped, so the training and test sentences are
written by us as templates and expanded reproducibly, with the splits kept apart by construction.
"""

from tools.nlu_data.cli import main
from tools.nlu_data.errors import GenerationError
from tools.nlu_data.generate import generate

__all__ = ["GenerationError", "generate", "main"]
