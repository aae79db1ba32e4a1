"""Probe and decode video files with PyAV, under limits, with stable error codes.

`probe` checks a file without decoding it; `decode` returns `DecodedMedia`: sampled RGB frames with their
timestamps, shot starts and motion, and mono float32 audio. Modules: `containers` (the accepted container
signatures, shared with upload sniffing), `probing`, `sampling` (which frames), `plan` (which packets the
"fast" mode decodes), `shots`, `decoding`, `nvdec` (optional GPU decoding), `types`.
"""
from extractors.errors import MediaError
from extractors.media.decoding import decode
from extractors.media.probing import probe
from extractors.media.sampling import sample_times
from extractors.media.types import DecodedMedia, MediaInfo, MediaLimits, SamplingOptions

__all__ = [
    "DecodedMedia",
    "MediaError",
    "MediaInfo",
    "MediaLimits",
    "SamplingOptions",
    "decode",
    "probe",
    "sample_times",
]
