"""Per-modality feature extractors. Nothing here imports from `service`."""
