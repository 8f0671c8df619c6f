"""Segmentation: paragraphs, sentences (NLTK Punkt with the project's parameters) and tokens.

Every offset is a Python code-point offset into the document text, half-open. Sentences never cross
paragraphs and tokens never cross sentences, so every sentence and paragraph sits on token boundaries.
"""

from corpus.segment.core import (
    Segmenter,
    segment_document,
    split_paragraphs,
    tokenize,
)

__all__ = ["Segmenter", "segment_document", "split_paragraphs", "tokenize"]
