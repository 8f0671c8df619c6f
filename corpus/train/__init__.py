"""Training pre-labellers from gold annotations (``corpus train``), and the models they produce.

A model folder holds ``meta.json`` (layer, labels, training data hashes, settings, dev scores, ``corpus``
version) and ``pipeline/``, a spaCy pipeline built on the project's own tokens: every ``Doc`` is made from
our words and spaces, so a prediction's token indices map back to exact code-point offsets. spaCy is an
optional extra (``pip install "corpus[train]"``), imported only when a model is trained or loaded.
"""

from corpus.train.gold import GoldDoc, load_gold, split_gold
from corpus.train.modeldir import folder_hash, read_meta

__all__ = ["GoldDoc", "folder_hash", "load_gold", "read_meta", "split_gold"]
