"""The training and evaluation data: where it lives and how it is read.

Our own utterances are plain text files, one per intent (``data/train/<intent>.txt``, one
utterance per line, ``#`` starts a comment), written for this product. The public CLINC150
subset mapped to our labels lives in ``benchmarks/nlp/`` with its README and licence; only its
*train* file is ever read for training. ``data/heldout.jsonl`` is a separately written set of
utterances (with entity annotations) that training never sees: it gives our held-out figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from walmart_lib.config import REPO_ROOT
from walmart_lib.nlp.intents import INTENTS

__all__ = [
    "BENCHMARK_DIR",
    "DATA_DIR",
    "HELDOUT_FILE",
    "Example",
    "load_jsonl",
    "load_training_examples",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
TRAIN_DIR = DATA_DIR / "train"
HELDOUT_FILE = DATA_DIR / "heldout.jsonl"
BENCHMARK_DIR = REPO_ROOT / "benchmarks" / "nlp"
CLINC_TRAIN_FILE = BENCHMARK_DIR / "clinc_grocery_train.jsonl"


@dataclass(frozen=True)
class Example:
    """One labelled utterance; ``entities``/``today`` only in evaluation files."""

    text: str
    intent: str
    source: str = "own"
    entities: dict[str, Any] | None = None
    today: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _read_intent_file(path: Path) -> list[Example]:
    intent = path.stem
    if intent not in INTENTS:
        raise ValueError(f"{path.name}: {intent!r} is not an intent label")
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(Example(text=line, intent=intent, source="own"))
    return out


def load_jsonl(path: Path, source: str | None = None) -> list[Example]:
    """Rows ``{"text", "intent", "entities"?, "today"?}``; raises on a bad label or row."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                text, intent = str(row["text"]), str(row["intent"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path.name}:{lineno}: not a {{text, intent}} row") from exc
            if intent not in INTENTS:
                raise ValueError(f"{path.name}:{lineno}: unknown intent {intent!r}")
            entities = row.get("entities")
            out.append(
                Example(
                    text=text,
                    intent=intent,
                    source=source or path.stem,
                    entities=dict(entities) if isinstance(entities, dict) else None,
                    today=row.get("today"),
                )
            )
    return out


def load_training_examples(include_clinc: bool = True) -> list[Example]:
    """Our own utterances (sorted by intent file) plus, optionally, the CLINC train rows."""
    examples: list[Example] = []
    for path in sorted(TRAIN_DIR.glob("*.txt")):
        examples.extend(_read_intent_file(path))
    if include_clinc and CLINC_TRAIN_FILE.is_file():
        examples.extend(load_jsonl(CLINC_TRAIN_FILE, source="clinc"))
    # The same text twice (with the same label) only skews class weights.
    seen: set[tuple[str, str]] = set()
    unique = []
    for ex in examples:
        key = (ex.text.lower(), ex.intent)
        if key not in seen:
            seen.add(key)
            unique.append(ex)
    return unique
