"""The intent classifier head: a small torch network over sentence embeddings, stored as numpy.

The head is "wide and deep": a one-hidden-layer network over the 384-d sentence embedding plus a
linear map over the word indicators of its :class:`~walmart_lib.nlp.features.Lexicon`
(``walmart_lib.nlp.features``), summed into logits.
Training (:func:`fit_head`) is full-batch AdamW with class weights that
stop the large out-of-scope class drowning the small in-scope ones; it is seeded and runs on one
thread so the same data gives the same weights. Inference needs no torch: the weights are saved
to an ``.npz`` file (no pickle) and applied with numpy. The calibrated probabilities divide the
logits by a temperature fitted on held-back predictions; an utterance whose best in-scope
probability is below ``threshold`` is answered as ``out_of_scope``.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from walmart_lib.nlp.features import Lexicon
from walmart_lib.nlp.intents import INTENTS, OUT_OF_SCOPE

__all__ = ["HeadConfig", "IntentHead", "fit_head", "fit_temperature"]


@dataclass(frozen=True)
class HeadConfig:
    """Hyper-parameters of one head (``hidden=0`` means a linear softmax head)."""

    hidden: int = 256
    epochs: int = 300
    lr: float = 3e-3
    weight_decay: float = 1e-2
    dropout: float = 0.1
    class_weight_power: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class IntentHead:
    """Weights + labels + calibration; ``predict_proba`` works on unit-length embeddings."""

    labels: tuple[str, ...]
    weights: list[np.ndarray]
    temperature: float = 1.0
    threshold: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    lexicon: Lexicon = field(default_factory=lambda: Lexicon([]))

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Raw scores for rows of ``featurize()`` output (embedding first, lexical after)."""
        x = x.astype(np.float32, copy=False)
        wide, deep = self.weights[0], self.weights[1:]
        h = x[:, : deep[0].shape[0]]
        pairs = list(zip(deep[0::2], deep[1::2], strict=True))
        for i, (w, b) in enumerate(pairs):
            h = h @ w + b
            if i < len(pairs) - 1:
                h = np.maximum(h, 0.0)
        lexical = x[:, deep[0].shape[0] :]
        if lexical.shape[1]:
            h = h + lexical @ wide
        return h

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        z = self.logits(x) / self.temperature
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)

    def decide(self, proba: np.ndarray) -> list[tuple[str, float]]:
        """(intent, confidence) per row, applying the out-of-scope threshold."""
        oos = self.labels.index(OUT_OF_SCOPE)
        out = []
        for row in proba:
            best = int(np.argmax(row))
            conf = float(row[best])
            if best != oos and conf < self.threshold:
                # Low confidence in every in-scope reading: say so rather than guess.
                out.append((OUT_OF_SCOPE, float(max(row[oos], 1.0 - conf))))
            else:
                out.append((self.labels[best], conf))
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {f"w{i}": w for i, w in enumerate(self.weights)}
        np.savez(directory / "head.npz", **arrays)  # type: ignore[arg-type]
        meta = {
            "labels": list(self.labels),
            "temperature": self.temperature,
            "threshold": self.threshold,
            **self.meta,
        }
        (directory / "head.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        self.lexicon.save(directory / "lexicon.json")

    @classmethod
    def load(cls, directory: Path) -> IntentHead:
        meta = json.loads((directory / "head.json").read_text())
        labels = tuple(meta.pop("labels"))
        if labels != INTENTS:
            raise ValueError(f"{directory}: head labels do not match the intent taxonomy")
        with np.load(directory / "head.npz", allow_pickle=False) as npz:
            weights = [np.asarray(npz[f"w{i}"], dtype=np.float32) for i in range(len(npz.files))]
        return cls(
            labels=labels,
            weights=weights,
            temperature=float(meta.pop("temperature")),
            threshold=float(meta.pop("threshold")),
            meta=meta,
            lexicon=Lexicon.load(directory / "lexicon.json"),
        )


def fit_head(
    x: np.ndarray, y: np.ndarray, config: HeadConfig, seed: int = 0, deep_dim: int = 384
) -> IntentHead:
    """Train on features ``x`` (n, deep_dim + lexical) and label indices ``y`` (n,)."""
    import torch

    n_classes = len(INTENTS)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: identical floating-point sums run to run
    try:
        gen = torch.Generator().manual_seed(seed)
        xd = torch.from_numpy(np.ascontiguousarray(x[:, :deep_dim], dtype=np.float32))
        # The word indicators are ~99.7% zeros: as a sparse matrix the wide part costs a few
        # multiply-adds per row instead of one per gram (the dense product was ~90% of the
        # training time).
        xw = torch.from_numpy(np.ascontiguousarray(x[:, deep_dim:], dtype=np.float32))
        if xw.shape[1]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "sparse CSR support is in beta": noise for users
                xw = xw.to_sparse_csr()
        yt = torch.from_numpy(np.asarray(y, dtype=np.int64))
        counts = torch.bincount(yt, minlength=n_classes).clamp(min=1).to(torch.float32)
        cw = (counts.max() / counts) ** config.class_weight_power
        layers: list[torch.nn.Module] = []
        dim = deep_dim
        if config.hidden:
            layers += [
                torch.nn.Dropout(config.dropout),
                torch.nn.Linear(dim, config.hidden),
                torch.nn.ReLU(),
                torch.nn.Dropout(config.dropout),
            ]
            dim = config.hidden
        layers.append(torch.nn.Linear(dim, n_classes))
        net = torch.nn.Sequential(*layers)
        wide = torch.nn.Parameter(torch.zeros(xw.shape[1], n_classes))
        with torch.no_grad():
            for mod in net:
                if isinstance(mod, torch.nn.Linear):
                    bound = 1.0 / float(mod.in_features) ** 0.5
                    mod.weight.uniform_(-bound, bound, generator=gen)
                    mod.bias.zero_()
        params = [*net.parameters(), wide]
        opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
        loss_fn = torch.nn.CrossEntropyLoss(weight=cw)
        torch.manual_seed(seed)  # dropout masks
        net.train()
        for _ in range(config.epochs):
            opt.zero_grad()
            wide_logits = xw @ wide if xw.shape[1] else 0.0
            loss = loss_fn(net(xd) + wide_logits, yt)
            loss.backward()
            opt.step()
        net.eval()
        weights: list[np.ndarray] = [wide.detach().numpy().copy()]
        for mod in net:
            if isinstance(mod, torch.nn.Linear):
                weights.append(mod.weight.detach().numpy().T.copy())
                weights.append(mod.bias.detach().numpy().copy())
    finally:
        torch.set_num_threads(threads)
    return IntentHead(labels=INTENTS, weights=weights, meta={"config": config.as_dict()})


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising negative log-likelihood (grid search: simple, deterministic)."""
    best_t, best_nll = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.25), np.log(8.0), 121)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = float(-logp[np.arange(len(y)), y].mean())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t
