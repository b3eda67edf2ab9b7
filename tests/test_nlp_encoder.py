"""The sentence encoder: sub-batching by length, side-by-side passes, and numpy's BLAS pool."""

from __future__ import annotations

import itertools
import random
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from walmart_lib.nlp.encoder import PASS_COST_TOKENS, get_encoder, length_groups
from walmart_lib.nlp.threads import single_threaded_blas


def _cost(lengths: list[int], groups: list[tuple[int, int]]) -> int:
    return sum(PASS_COST_TOKENS + (b - a) * lengths[b - 1] for a, b in groups)


def _all_cuts(n: int, max_batch: int) -> list[list[tuple[int, int]]]:
    """Every way to cut range(n) into consecutive groups of at most max_batch."""
    out = []
    for mask in itertools.product((False, True), repeat=n - 1):
        bounds = [0, *[i + 1 for i, cut in enumerate(mask) if cut], n]
        groups = list(itertools.pairwise(bounds))
        if all(b - a <= max_batch for a, b in groups):
            out.append(groups)
    return out


def test_length_groups_cover_everything_in_order_within_the_batch_limit() -> None:
    rng = random.Random(3)
    for _ in range(50):
        lengths = sorted(rng.randint(3, 64) for _ in range(rng.randint(1, 200)))
        groups = length_groups(lengths, 32)
        assert groups[0][0] == 0 and groups[-1][1] == len(lengths)
        assert all(a < b and b - a <= 32 for a, b in groups)
        assert all(g[1] == h[0] for g, h in itertools.pairwise(groups))


def test_length_groups_are_the_cheapest_cut() -> None:
    rng = random.Random(5)
    for _ in range(40):
        lengths = sorted(rng.choice((3, 5, 9, 14, 30, 64)) for _ in range(rng.randint(1, 9)))
        best = min(_cost(lengths, g) for g in _all_cuts(len(lengths), 4))
        assert _cost(lengths, length_groups(lengths, 4)) == best


def test_length_groups_split_short_from_long_and_keep_similar_together() -> None:
    assert length_groups([10] * 64, 64) == [(0, 64)]  # no padding to save: one pass
    mixed = [4] * 48 + [60] * 16
    assert length_groups(mixed, 64) == [(0, 48), (48, 64)]
    assert length_groups([], 64) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_encode_keeps_input_order_whatever_the_grouping(workers: int) -> None:
    encoder = get_encoder()
    texts = [
        "milk",
        "what did i spend on produce at the greer store in the first week of july",
        "eggs",
        "add two loaves of whole wheat bread and a gallon of two percent milk to my list",
        "bananas",
    ] * 8
    saved = encoder._workers
    encoder._workers = workers
    try:
        together = encoder.encode(texts)
    finally:
        encoder._workers = saved
    alone = np.vstack([encoder.encode([t]) for t in texts[:5]])
    # Each row is its own text's vector: int8 activations are scaled per pass, so batch mates
    # move a vector a little (cosine ~0.96-0.98), while another text's vector is far off.
    similarity = together[:5] @ alone.T
    assert list(similarity.argmax(axis=1)) == [0, 1, 2, 3, 4]
    assert similarity.diagonal().min() > 0.9
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # Repeated texts in one call get (close to) the same vector wherever they stand.
    assert float(together[0] @ together[35]) > 0.97


def _blas_threads() -> list[int]:
    return [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]


def test_single_threaded_blas_limits_and_restores_even_when_nested_across_threads() -> None:
    before = _blas_threads()
    if not before:
        pytest.skip("numpy has no BLAS pool that threadpoolctl can see")
    inside: list[list[int]] = []
    started = threading.Barrier(2)

    def work() -> None:
        with single_threaded_blas():
            started.wait(timeout=10)
            inside.append(_blas_threads())
            started.wait(timeout=10)

    with single_threaded_blas():
        worker = threading.Thread(target=work)
        worker.start()
        started.wait(timeout=10)  # the worker is inside too
        started.wait(timeout=10)
        worker.join()
        # The worker left first; the pool stays limited while this block is still inside.
        assert _blas_threads() == [1] * len(before)
    assert inside == [[1] * len(before)]
    assert _blas_threads() == before


def test_short_attention_matches_transformers_eager_attention_with_padding() -> None:
    import torch
    from transformers import AutoModel

    from walmart_lib.nlp.encoder import ATTENTION, load_model, model_dir

    ours = load_model()
    eager = AutoModel.from_pretrained(
        str(model_dir()), local_files_only=True, attn_implementation="eager"
    ).eval()
    assert ours.config._attn_implementation == ATTENTION
    tokenizer = get_encoder().tokenizer
    texts = ["hi", "add two loaves of whole wheat bread to my shopping list", "eggs"]
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        a = ours(**batch).last_hidden_state
        b = eager(**batch).last_hidden_state
        # A padded row equals the same text run alone: the mask really hides the padding.
        alone = ours(**tokenizer(["hi"], return_tensors="pt")).last_hidden_state
    mask = batch["attention_mask"].bool()
    assert float((a - b).abs()[mask].max()) < 1e-4
    n = int(mask[0].sum())
    assert float((a[0, :n] - alone[0]).abs().max()) < 1e-4


def test_traced_vectors_equal_the_transformers_model_whatever_the_batch_shape() -> None:
    import torch

    encoder = get_encoder()
    assert isinstance(encoder._vectors, torch.jit.ScriptModule)  # traced, not the fallback
    long = "add " + " and ".join(["whole wheat bread", "two percent milk", "eggs"] * 12)
    for texts in (["hi"], ["", "eggs"], [long, "milk"], [f"add {n} apples" for n in range(40)]):
        ids = encoder._tokenize(texts)
        with torch.inference_mode():
            result, attention = encoder._run(ids)
            hidden = result.last_hidden_state
            w = attention.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * w).sum(1) / w.sum(1).clamp(min=1e-9)
            expected = torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
        got = encoder._forward(ids)
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() < 1e-5, texts[0]
