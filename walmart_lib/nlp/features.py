"""Classifier input: the sentence embedding beside word and word-pair indicators.

With a few dozen examples per intent, a frozen sentence encoder blurs cues a person reads at a
glance ("budget", "off my list", "instead of"). Unigram and bigram indicators let the head
weigh those words directly, while the embedding carries paraphrases it has never seen. The
indicators come from a :class:`Lexicon` of the grams seen at least twice in the training data
(saved beside the head as ``lexicon.json``): a word the training never saw - typically a
product name - adds nothing, instead of landing in a hash bucket shared with some unrelated
word. Numbers are folded into one token so "add 3" and "add 12" look the same.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["LEXICAL_SCALE", "Lexicon", "featurize", "grams", "tokens"]

#: Weight of the lexical block relative to the unit-length embedding.
LEXICAL_SCALE = 0.5
#: A gram must occur in this many training utterances to get an indicator.
MIN_COUNT = 2
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)?|\$")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; numbers become ``<num>``."""
    return ["<num>" if t[0].isdigit() else t for t in _TOKEN.findall(text.lower()[:1000])]


def grams(text: str) -> set[str]:
    """The unigrams and bigrams of ``text``."""
    toks = tokens(text)
    return set(toks) | {f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)}


class Lexicon:
    """A fixed list of grams, each one input column of the head."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.vocabulary = list(vocabulary)
        self.index = {g: i for i, g in enumerate(self.vocabulary)}

    @property
    def dim(self) -> int:
        return len(self.vocabulary)

    @classmethod
    def build(cls, texts: Sequence[str], min_count: int = MIN_COUNT) -> Lexicon:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(grams(text))
        return cls(sorted(g for g, n in counts.items() if n >= min_count))

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Binary indicators, each row scaled to length :data:`LEXICAL_SCALE`."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            cols = [self.index[g] for g in grams(text) if g in self.index]
            if cols:
                out[row, cols] = LEXICAL_SCALE / float(np.sqrt(len(cols)))
        return out

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.vocabulary, ensure_ascii=False, indent=0) + "\n")

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        return cls(json.loads(path.read_text(encoding="utf-8")))


def featurize(texts: Sequence[str], embeddings: np.ndarray, lexicon: Lexicon) -> np.ndarray:
    """The head's input: ``[embedding | lexical]`` per text."""
    return np.hstack([embeddings.astype(np.float32, copy=False), lexicon.features(texts)])
