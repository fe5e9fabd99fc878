"""rasa-sdk actions, served by ``rasa run actions --actions bot.actions``.

Rules (``data/rules.yml``) map each intent to one action; the actions decide what to say
(``medical_flow``), check every message for emergencies first (``base``), and render all
text from ``templates/`` with a ``custom`` payload (``payload``) on every message.
"""

from bot.actions.confirmation import ActionConfirmation
from bot.actions.gossip import ActionGossip
from bot.actions.health import ActionHealthCheck
from bot.actions.medical import ActionMedicalAnswer

__all__ = ["ActionConfirmation", "ActionGossip", "ActionHealthCheck", "ActionMedicalAnswer"]
