"""Intent classifiers (Rasa GraphComponents): templates, TinyBERT-RNN, RoBERTa-TextCNN, ensemble."""
