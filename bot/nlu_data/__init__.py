"""NLU training-data generation for the hospital FAQ bot.

The hand-written templates live in ``nlu_source/*.yml``; ``generate.py`` expands them
with knowledge-graph names (``data/kg/*.json``) into Rasa 3 YAML under ``data/nlu/``
(train) and ``tests/nlu/`` (held-out test).
"""
