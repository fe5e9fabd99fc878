"""Hospital FAQ bot: rasa-sdk actions, channels, reply rendering and the ``python -m bot`` CLI."""
