"""From files to records: the Analyzer (media -> extractors -> fusion), batch jobs, and sinks (store, Parquet)."""
from __future__ import annotations

from service.pipeline.analyzer import Analyzer, Prepared
from service.pipeline.files import file_sha256, find_videos
from service.pipeline.sidecar import read_sidecar

__all__ = ["Analyzer", "Prepared", "file_sha256", "find_videos", "read_sidecar"]
