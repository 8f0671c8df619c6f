"""corpus: raw news articles in, pre-labelled annotation tasks and a Hugging Face dataset out."""

__version__ = "0.1.0"
