"""Fine-tuning the encoder for intents: its top transformer layers, trained on our labels.

A frozen sentence encoder places "what's on my to-do list" next to "what's on my shopping
list"; the head above it can only draw lines through that space. Training the encoder itself
on our labels moves such pairs apart. All six layers would take longer on two CPU cores than
training may, so only the top :data:`TUNED_LAYERS` are trained, with a linear classifier over
the mean-pooled output. The layers below stay as shipped, so their output for every training
text is computed once, by the same int8 encoder the parser runs, and each epoch only runs the
top layers forward and back. The tuned layers are saved with their linear weights in int8
(per output row, as the encoder quantises them anyway): 3.3 MB instead of 14 MB in float32.
An encoder built with them costs exactly what the plain one does per sentence. The plain
encoder still serves product search: tuning it to intents would not help there.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from walmart_lib.nlp.intents import INTENTS

__all__ = [
    "TUNED_FILE",
    "TUNED_LAYERS",
    "TunedLayers",
    "TuningConfig",
    "fine_tune",
]

TUNED_FILE = "tuned_layers.npz"
#: all-MiniLM-L6-v2 has 6 layers; the top 2 are tuned. On our validation split, tuning 1
#: layer gained little; low-rank (LoRA) updates of the same 2 layers were 0.5-1.4 points worse
#: than training them whole (docs/nlp.md).
TUNED_LAYERS = 2


@dataclass(frozen=True)
class TuningConfig:
    """Hyper-parameters of :func:`fine_tune` (chosen on our validation split)."""

    epochs: int = 6
    lr: float = 2e-4
    batch: int = 32
    dropout: float = 0.1
    weight_decay: float = 0.01
    class_weight_power: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TunedLayers:
    """The parameters of the tuned top layers: ``{"<layer>.<parameter name>": array}``."""

    tensors: dict[str, np.ndarray]
    first_layer: int
    meta: dict[str, Any] = field(default_factory=dict)

    def digest(self) -> str:
        """A content hash of the parameters."""
        h = hashlib.sha256(str(self.first_layer).encode())
        for key, value in sorted(self.tensors.items()):
            h.update(key.encode())
            h.update(np.ascontiguousarray(value, dtype=np.float32).tobytes())
        return h.hexdigest()[:16]

    def rounded(self) -> TunedLayers:
        """These layers as :meth:`save` + :meth:`load` give them back (linear weights in int8).

        Training embeds with the rounded layers, so the head learns what the parser will see.
        """
        return TunedLayers(_restored(_stored(self.tensors)), self.first_layer, dict(self.meta))

    def save(self, path: Path) -> None:
        arrays = _stored(self.tensors)
        arrays["first_layer"] = np.array(self.first_layer)
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> TunedLayers:
        with np.load(path, allow_pickle=False) as data:
            return cls(_restored({k: data[k] for k in data.files}), int(data["first_layer"]))

    def merge_into(self, model: Any) -> None:
        """Put the tuned parameters into a float ``BertModel`` in place (before quantising)."""
        import torch

        layers = model.encoder.layer
        with torch.no_grad():
            for key, value in self.tensors.items():
                index, name = key.split(".", 1)
                target = layers[int(index)].get_parameter(name)
                target.copy_(torch.from_numpy(np.asarray(value, dtype=np.float32)))


def _stored(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What the file holds: linear weights as int8 + a scale per output row, the rest float32.

    Symmetric per-row int8 is what the encoder's dynamic quantisation does with these weights
    at load time anyway, so storing them that way loses ~nothing the parser would have kept.
    """
    out: dict[str, np.ndarray] = {}
    for key, value in tensors.items():
        value = np.asarray(value, dtype=np.float32)
        if value.ndim == 2:
            scale = np.abs(value).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            out[f"q:{key}"] = np.round(value / scale[:, None]).astype(np.int8)
            out[f"s:{key}"] = scale.astype(np.float32)
        else:
            out[f"f:{key}"] = value
    return out


def _restored(stored: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The float32 parameters back from :func:`_stored` arrays."""
    out: dict[str, np.ndarray] = {}
    for key, value in stored.items():
        if key.startswith("q:"):
            out[key[2:]] = value.astype(np.float32) * stored[f"s:{key[2:]}"][:, None]
        elif key.startswith("f:"):
            out[key[2:]] = np.asarray(value, dtype=np.float32)
    return out


def fine_tune(
    inputs: Sequence[np.ndarray],
    labels: np.ndarray,
    first_layer: int,
    config: TuningConfig | None = None,
    seed: int = 0,
) -> TunedLayers:
    """Train layers ``first_layer..`` with a linear classifier over ``labels`` on top.

    ``inputs`` are ``Encoder.hidden_states(texts, first_layer)`` rows. Batches hold texts of
    similar length (less padding) in a seeded order; the learning rate decays linearly to zero;
    class weights (max count / count) ** power keep the large out-of-scope class from drowning
    the rest.
    """
    import torch

    from walmart_lib.nlp.encoder import EMBEDDING_DIM, load_model

    config = config or TuningConfig()
    torch.manual_seed(seed)
    base = load_model()  # the attention the parser runs
    top = torch.nn.ModuleList(copy.deepcopy(list(base.encoder.layer[first_layer:])))
    del base
    classifier = torch.nn.Linear(EMBEDDING_DIM, len(INTENTS))
    opt = torch.optim.AdamW(
        [*top.parameters(), *classifier.parameters()],
        lr=config.lr,
        weight_decay=config.weight_decay,
    )
    y = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(y, minlength=len(INTENTS)).clip(min=1)
    weight = torch.tensor((counts.max() / counts) ** config.class_weight_power, dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    lengths = np.array([len(x) for x in inputs])
    rng = np.random.default_rng(seed)
    total = config.epochs * -(-len(y) // config.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: max(0.0, 1.0 - step / total))
    top.train()
    for _ in range(config.epochs):
        order = rng.permutation(len(y))
        batches: list[np.ndarray] = []
        # Sorted by length within chunks of 50 batches: little padding, still a fresh mix.
        chunk = config.batch * 50
        for start in range(0, len(order), chunk):
            part = order[start : start + chunk]
            part = part[np.argsort(lengths[part], kind="stable")]
            batches += [part[j : j + config.batch] for j in range(0, len(part), config.batch)]
        for b in (batches[i] for i in rng.permutation(len(batches))):
            pooled = _run_top(top, [inputs[i] for i in b])
            pooled = torch.nn.functional.dropout(pooled, config.dropout, training=True)
            loss = loss_fn(classifier(pooled), torch.from_numpy(y[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    tensors = {
        f"{first_layer + i}.{name}": p.detach().numpy().copy()
        for i, layer in enumerate(top)
        for name, p in layer.named_parameters()
    }
    return TunedLayers(tensors, first_layer, {"config": config.as_dict()})


def _run_top(layers: Any, rows: list[np.ndarray]) -> Any:
    """Mean-pooled output of ``layers`` for ``rows`` of layer inputs, padded here."""
    import torch

    from walmart_lib.nlp.encoder import mean_pooled_layers

    width = max(len(r) for r in rows)
    x = torch.zeros(len(rows), width, rows[0].shape[1])
    mask = torch.zeros(len(rows), width)
    for i, r in enumerate(rows):
        x[i, : len(r)] = torch.from_numpy(r)
        mask[i, : len(r)] = 1.0
    return mean_pooled_layers(layers, x, mask)
