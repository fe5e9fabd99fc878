"""rasa-sdk actions, served by ``rasa run actions --actions bot.actions``."""
from bot.actions.gossip import ActionGossip
from bot.actions.medical import ActionMedicalAnswer

__all__ = ["ActionGossip", "ActionMedicalAnswer"]
