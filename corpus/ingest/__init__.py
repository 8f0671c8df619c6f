"""Ingest: read articles, normalise text, strip page boilerplate, build document records."""

from corpus.ingest.normalize import clean_text, normalize_text, strip_boilerplate
from corpus.ingest.readers import SUPPORTED_SUFFIXES, read_documents

__all__ = ["SUPPORTED_SUFFIXES", "clean_text", "normalize_text", "read_documents", "strip_boilerplate"]
