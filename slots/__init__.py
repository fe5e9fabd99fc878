"""Entity extraction and linking components (Rasa GraphComponents)."""
