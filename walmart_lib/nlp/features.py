"""Classifier input: the sentence embedding beside hashed word and word-pair indicators.

With a few dozen examples per intent, a frozen sentence encoder blurs cues a person reads at a
glance ("budget", "off my list", "instead of"). Adding hashed unigram and bigram indicators
(crc32 into :data:`LEXICAL_DIM` buckets, so no vocabulary file is needed and unseen words cost
nothing) lets the head weigh those words directly, while the embedding carries paraphrases it
has never seen. Numbers are folded into one token so "add 3" and "add 12" look the same.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

__all__ = ["LEXICAL_DIM", "LEXICAL_SCALE", "featurize", "lexical_features", "tokens"]

LEXICAL_DIM = 4096
#: Weight of the lexical block relative to the unit-length embedding.
LEXICAL_SCALE = 0.5
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)?|\$")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; numbers become ``<num>``."""
    out = []
    for tok in _TOKEN.findall(text.lower()[:1000]):
        out.append("<num>" if tok[0].isdigit() else tok)
    return out


def lexical_features(texts: list[str]) -> np.ndarray:
    """Binary hashed unigrams + bigrams, each row scaled to length :data:`LEXICAL_SCALE`."""
    out = np.zeros((len(texts), LEXICAL_DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        toks = tokens(text)
        grams = toks + [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]
        for gram in grams:
            out[row, zlib.crc32(gram.encode()) % LEXICAL_DIM] = 1.0
        norm = float(np.linalg.norm(out[row]))
        if norm:
            out[row] *= LEXICAL_SCALE / norm
    return out


def featurize(texts: list[str], embeddings: np.ndarray) -> np.ndarray:
    """The head's input: ``[embedding | lexical]`` per text."""
    return np.hstack([embeddings.astype(np.float32, copy=False), lexical_features(texts)])
