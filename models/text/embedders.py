"""Sentence embedders for topics and themes: the bundled e5 encoder, or any local transformers encoder folder."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import ModelUnavailable
from models.sentiment.batching import BATCH_SIZE
from models.sentiment.loader import (
    EMBEDDING_MEMO,
    BundledEncoder,
    E5Encoder,
    folder_version,
    position_limit,
    run_batched,
)
from models.text.safe_text import model_text

BUNDLED = "bundled"
SETTING = "[model] encoder"


class FolderEncoder(E5Encoder):
    """A local transformers encoder (BERT, XLM-R, …) with mean pooling and no prefix: `[model] encoder = "path"`."""

    def __init__(self, folder: Path, device: str = "cpu", *, memo_size: int = 0) -> None:
        from transformers import AutoModel, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.model = AutoModel.from_pretrained(folder, local_files_only=True).to(device).eval()
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(f"cannot load the encoder in {folder} (set by {SETTING}): {exc}") from exc
        self.folder = folder
        self.device = device
        self.memo_size = memo_size
        self._memo = OrderedDict()
        self._memo_lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, batch_size: int = BATCH_SIZE, max_length: int = 256) -> np.ndarray:
        """Normalised mean-pooled embeddings of the texts as they are."""
        return run_batched(
            [model_text(text) for text in texts],
            self.tokenizer,
            self.embed_batch,
            batch_size=batch_size,
            max_length=min(max_length, position_limit(self.model.config, max_length)),
            device=self.device,
        )


def _folder(setting: str, base_dir: Path | None) -> Path:
    """The encoder folder a non-bundled `[model] encoder` names (relative to the config's folder)."""
    folder = Path(setting).expanduser()
    if not folder.is_absolute() and base_dir is not None:
        folder = base_dir / folder
    if not folder.is_dir():
        raise ModelUnavailable(f"encoder folder {folder} does not exist (set by {SETTING})")
    return folder


def encoder_id(setting: str = BUNDLED, *, base_dir: Path | None = None) -> str:
    """The id `load_embedder` gives this setting (it goes into topic model versions), without loading the encoder."""
    if setting.strip().lower() == BUNDLED:
        return "e5"
    return f"folder:{folder_version(_folder(setting, base_dir))}"


def vector_tag(encoder: str) -> str:
    """The tag of the vectors an encoder id produces, as stored per mention: vectors of two tags never mix.

    A folder's id already names its weights; the bundled e5 adds the digest of the weights it checks on load.
    """
    if encoder != "e5":
        return encoder
    from models.sentiment.e5 import WEIGHTS_SHA256

    return f"e5:{WEIGHTS_SHA256[:12]}"


def load_embedder(setting: str = BUNDLED, *, sentiment_model: Any = None, base_dir: Path | None = None) -> tuple[
    Any, str
]:
    """The encoder `[model] encoder` names and an id for model versions; reuses the bundled sentiment model's."""
    if setting.strip().lower() == BUNDLED:
        shared = getattr(sentiment_model, "encoder", None)
        if isinstance(shared, E5Encoder) and not isinstance(shared, FolderEncoder):
            if isinstance(shared, BundledEncoder):
                shared.share_embeddings = True  # its sentiment passes now leave the e5 embeddings in the memo
            return shared, encoder_id(setting)
        from models.sentiment.e5 import ensure_e5

        return E5Encoder(ensure_e5(), memo_size=EMBEDDING_MEMO), encoder_id(setting)
    folder = _folder(setting, base_dir)
    return FolderEncoder(folder), f"folder:{folder_version(folder)}"
