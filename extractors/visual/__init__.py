"""The visual modality: CLIP frame embeddings and zero-shot tags (`clip`, `zero_shot`), weight-free frame
statistics (`frame_stats`), on-screen text (`ocr`), the sensitive-content flag (`safety`), joined by
`extractor.VisualExtractor`."""
from extractors.visual.clip import ClipSpec, load_clip
from extractors.visual.extractor import NO_CLIP_MODEL, VisualAnalysis, VisualExtractor, VisualOptions, distinctive_pool
from extractors.visual.safety import SafetyOptions, SafetyReport

__all__ = ["NO_CLIP_MODEL", "ClipSpec", "SafetyOptions", "SafetyReport", "VisualAnalysis", "VisualExtractor",
           "VisualOptions", "distinctive_pool", "load_clip"]
