"""Evaluators: ``nlu`` (``python -m bot eval nlu``) and ``sub_intent_dev`` (``eval sub-intent-dev``)."""
