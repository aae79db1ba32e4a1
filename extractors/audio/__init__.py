"""The audio modality with librosa, no learned weights: windowed frame features (`frames`), rhythm,
tonality, content type and mood, joined by `extractor.AudioExtractor`; `jit_cache` keeps numba's cache safe."""
from extractors.audio.extractor import DIM, FEATURE_VERSION, VECTOR_LAYOUT, AudioExtractor
from extractors.audio.jit_cache import configure_numba_cache

__all__ = ["DIM", "FEATURE_VERSION", "VECTOR_LAYOUT", "AudioExtractor", "configure_numba_cache"]
