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

import os

# OpenMP threads spin-wait for work (libgomp default: 300k spins). When another
# process shares the CPU (tests, a second training run, the action server) the
# spinning threads steal each other's time slices and a training step becomes
# 40-60x slower; waking idle threads on every small op instead (OMP_WAIT_POLICY=
# PASSIVE) slows parse latency 3x. A short spin is the measured compromise: about
# 10% slower alone, 30x faster than the default when the CPU is shared. libgomp reads
# it once, when torch loads, so every component module imports ``neural`` before torch;
# a value set by the user (or the Makefile) wins.
os.environ.setdefault("GOMP_SPINCOUNT", "3000")
