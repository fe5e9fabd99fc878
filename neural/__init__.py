"""Shared machinery for the neural NLU components (intents/ and slots/).

Written once, used by every neural component:

* ``neural.text``      character vocabulary/tokenizer (built from training data or read
                       from a pretrained checkpoint's ``vocab.txt``);
* ``neural.encoder``   one BERT encoder builder (from a BertConfig or a pretrained path);
* ``neural.data``      examples from Rasa training data, the deterministic dev split and
                       training-only augmentation;
* ``neural.training``  seeding and the training loop (tqdm progress, early stopping on dev);
* ``neural.component`` the Rasa plumbing (create/persist/load/inference) the components share.

Modules are imported lazily by their users so that importing ``neural`` stays cheap.
"""
