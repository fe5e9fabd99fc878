"""Offline tools: data generation, evaluation, benchmarks, importers and the story runner.

Why: the runtime (``bot/``: actions, channels, rendering, settings, the unanswered log)
is what a hospital deploys; everything here runs on a developer's or CI machine only.
The commands keep their ``python -m bot …`` names (``bot/cli/``) and import from here.
"""
