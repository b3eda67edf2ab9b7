"""The encoder's tuned top layers: training inputs, merging, saving, and what the parser runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from walmart_lib.nlp.encoder import Encoder, get_encoder
from walmart_lib.nlp.head import IntentHead
from walmart_lib.nlp.parser import Parser
from walmart_lib.nlp.training import MODEL_DIR, N_LAYERS
from walmart_lib.nlp.tuning import (
    TUNED_FILE,
    TUNED_LAYERS,
    TunedLayers,
    TuningConfig,
    _run_top,
    fine_tune,
)

FIRST = N_LAYERS - TUNED_LAYERS
TODO = [
    "what is on my to do list",
    "add call mom to my to-do list",
    "read my todo list",
    "put pay rent on my to do list",
    "remind me what's on my to-do list",
    "take walk dog off my to do list",
    "show my to do list please",
    "clear my to-do list",
]
SHOPPING = [
    "what is on my shopping list",
    "add milk to my shopping list",
    "read my grocery list",
    "put eggs on my shopping list",
    "remind me what's on my grocery list",
    "take bread off my shopping list",
    "show my shopping list please",
    "clear my grocery list",
]


@pytest.fixture(scope="module")
def float_encoder() -> Encoder:
    return get_encoder(quantize=False)


def test_hidden_states_through_the_top_layers_give_the_encoders_embedding(
    float_encoder: Encoder,
) -> None:
    """Training runs only the top layers on cached inputs: that must equal a full pass."""
    import torch

    texts = ["milk", "how much did I spend on groceries last month", "", "gv 2% milk x2"]
    inputs = float_encoder.hidden_states(texts, FIRST)
    assert [x.shape[1] for x in inputs] == [384] * 4
    assert len(inputs[1]) > len(inputs[0])  # unpadded: one row per word piece
    top = float_encoder.model.encoder.layer[FIRST:]
    with torch.inference_mode():
        pooled = torch.nn.functional.normalize(_run_top(top, inputs), dim=1).numpy()
    np.testing.assert_allclose(pooled, float_encoder.encode(texts), atol=1e-5)


def test_the_shipped_layers_put_back_leave_the_encoder_unchanged(float_encoder: Encoder) -> None:
    top = float_encoder.model.encoder.layer
    same = TunedLayers(
        {
            f"{FIRST + i}.{name}": p.detach().numpy().copy()
            for i, layer in enumerate(top[FIRST:])
            for name, p in layer.named_parameters()
        },
        first_layer=FIRST,
    )
    texts = ["add eggs to my list", "what's the weather"]
    np.testing.assert_array_equal(
        Encoder(quantize=False, tuned=same).encode(texts), float_encoder.encode(texts)
    )
    # Saved, linear weights are int8 per output row: close to, not equal to, float32.
    rounded = same.rounded()
    key = f"{FIRST}.attention.self.query.weight"
    err = np.abs(rounded.tensors[key] - same.tensors[key]).max(axis=1)
    step = np.abs(same.tensors[key]).max(axis=1) / 127
    assert np.all(err <= step / 2 + 1e-7) and err.max() > 0
    cos = (Encoder(quantize=False, tuned=rounded).encode(texts) * float_encoder.encode(texts)).sum(
        1
    )
    assert np.all(cos > 0.99)


def test_fine_tune_pulls_two_confusable_intents_apart(
    float_encoder: Encoder, tmp_path: Path
) -> None:
    texts = TODO + SHOPPING
    labels = np.array([16] * len(TODO) + [5] * len(SHOPPING))  # out_of_scope vs list_show
    config = TuningConfig(epochs=10, lr=5e-4, batch=8)
    tuned = fine_tune(float_encoder.hidden_states(texts, FIRST), labels, FIRST, config, seed=0)
    # Every parameter of the tuned layers, and nothing below them.
    assert {int(k.split(".")[0]) for k in tuned.tensors} == set(range(FIRST, N_LAYERS))
    names = {name for name, _ in float_encoder.model.encoder.layer[FIRST].named_parameters()}
    assert {k.split(".", 1)[1] for k in tuned.tensors} == names

    def centroid_cosine(enc: Encoder) -> float:
        emb = enc.encode(texts)
        a, b = emb[: len(TODO)].mean(0), emb[len(TODO) :].mean(0)
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    rounded = tuned.rounded()
    tuned_encoder = Encoder(quantize=False, tuned=rounded)
    assert centroid_cosine(tuned_encoder) < centroid_cosine(float_encoder) - 0.05
    # Seeded: the same data and seed give the same layers.
    inputs = float_encoder.hidden_states(texts, FIRST)
    short = TuningConfig(epochs=2, batch=8)
    assert (
        fine_tune(inputs, labels, FIRST, short, seed=1).digest()
        == fine_tune(inputs, labels, FIRST, short, seed=1).digest()
    )
    # Saved and loaded, they are the rounded layers (same digest, same embeddings).
    tuned.save(tmp_path / TUNED_FILE)
    again = TunedLayers.load(tmp_path / TUNED_FILE)
    assert again.digest() == rounded.digest() and again.first_layer == FIRST
    np.testing.assert_array_equal(
        Encoder(quantize=False, tuned=again).encode(texts[:3]), tuned_encoder.encode(texts[:3])
    )


def test_the_parser_runs_the_committed_tuned_layers_and_search_the_plain_encoder() -> None:
    head = IntentHead.load(MODEL_DIR)
    assert head.meta["tuned_layers_file"] == TUNED_FILE
    path = MODEL_DIR / TUNED_FILE
    assert TunedLayers.load(path).digest() == head.meta["tuned_layers_sha256"]
    assert path.stat().st_size < 4_000_000  # int8 linear weights: small enough to commit
    parser = Parser(use_database=False, log_queries=False).load()
    assert parser.is_loaded()
    tuned, plain = get_encoder(True, path), get_encoder(True)
    assert tuned is not plain and parser.encoder is tuned
    text = ["what's on my to do list"]
    assert not np.allclose(tuned.encode(text), plain.encode(text), atol=1e-3)


def test_a_head_without_tuned_layers_runs_on_the_plain_encoder(tmp_path: Path) -> None:
    """Artifacts from ``train(tune=False)`` (or older ones) name no tuned layers."""
    import json
    import shutil

    for name in ("head.json", "head.npz", "lexicon.json"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    meta = json.loads((tmp_path / "head.json").read_text())
    meta["tuned_layers_file"] = None
    (tmp_path / "head.json").write_text(json.dumps(meta))
    parser = Parser(use_database=False, log_queries=False, model_dir=tmp_path).load()
    assert parser.is_loaded() and parser.encoder is get_encoder(True)
    assert parser.parse("hi there").intent in {"help", "out_of_scope"}
