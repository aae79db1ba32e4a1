"""The text modality: cleaning (`normalize`, `hashtags`), the sentence encoder (`encoder`), keywords,
zero-shot categories and LDA topics, joined by `extractor.TextExtractor`."""
from extractors.text.encoder import OFFLINE_MINILM, load_sentence_encoder
from extractors.text.extractor import TextExtractor

__all__ = ["OFFLINE_MINILM", "TextExtractor", "load_sentence_encoder"]
