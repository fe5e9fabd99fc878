"""The bottom of the house: the vocabulary, the one text normaliser and the project paths.

Why: intents, entity types, the dev split and the normalisation of names used to be
written in six places that drifted apart. Everything above (``neural/``, ``intents/``,
``slots/``, ``kg_queries/``, ``bot/``, ``tools/`` and the tests) imports them from here;
this package imports nothing of the project except the graph schema, and nothing of Rasa.
"""
