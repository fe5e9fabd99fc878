"""rasa-sdk actions, served by ``rasa run actions --actions bot.actions``.

Rules (``data/rules.yml``) map each intent to one action; the actions decide what to say
(``medical_flow``, ``handoff_flow``), check every message for emergencies first and hold a
conversation handed to a person (``base``), and send text from ``templates/`` or
``domain.yml`` responses with a ``custom`` payload (``payload``) on every message.
"""

from bot.actions.confirmation import ActionConfirmation
from bot.actions.gossip import ActionGossip
from bot.actions.handoff import ActionHandoff, ActionHandoffResume
from bot.actions.health import ActionHealthCheck
from bot.actions.medical import ActionMedicalAnswer

__all__ = [
    "ActionConfirmation",
    "ActionGossip",
    "ActionHandoff",
    "ActionHandoffResume",
    "ActionHealthCheck",
    "ActionMedicalAnswer",
]
