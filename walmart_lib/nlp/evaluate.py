"""Evaluation: per-intent precision/recall, confusion matrix, in-scope accuracy, OOS recall.

Rows are ``{"text", "intent", "entities"?, "today"?}`` (``walmart_lib.nlp.data.load_jsonl``).
When a row has ``entities``, each annotated key is scored (numbers with a small tolerance; a
store matches when the annotation is the store's name or city, or part of its name), and a
product guessed where none was annotated counts against the product figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from walmart_lib.nlp.data import Example
from walmart_lib.nlp.intents import INTENTS, OUT_OF_SCOPE
from walmart_lib.nlp.parser import Parse, Parser

__all__ = ["EvalReport", "entity_matches", "evaluate"]


@dataclass
class EvalReport:
    """Figures for one evaluation file."""

    rows: int
    accuracy: float
    in_scope_accuracy: float | None
    in_scope_rows: int
    oos_recall: float | None
    oos_rows: int
    per_intent: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]
    entities: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "errors"}

    def format(self) -> str:
        """A plain-text report: headline figures, per-intent table, confusion matrix."""
        lines = [f"rows: {self.rows}   accuracy: {self.accuracy:.2%}"]
        if self.in_scope_accuracy is not None:
            lines.append(f"in-scope accuracy: {self.in_scope_accuracy:.2%} ({self.in_scope_rows})")
        if self.oos_recall is not None:
            lines.append(f"out-of-scope recall: {self.oos_recall:.2%} ({self.oos_rows})")
        lines.append("")
        lines.append(f"{'intent':<16} {'precision':>9} {'recall':>7} {'support':>8}")
        for label, s in self.per_intent.items():
            lines.append(
                f"{label:<16} {s['precision']:>9.2%} {s['recall']:>7.2%} {int(s['support']):>8}"
            )
        present = [lb for lb in INTENTS if any(self.confusion[lb].values())]
        cols = [lb for lb in INTENTS if any(self.confusion[r][lb] for r in INTENTS)]
        lines.append("")
        lines.append("confusion (rows: expected, columns: predicted)")
        lines.append(" " * 16 + "".join(f"{c[:6]:>7}" for c in cols))
        for r in present:
            lines.append(f"{r:<16}" + "".join(f"{self.confusion[r][c]:>7}" for c in cols))
        if self.entities:
            lines.append("")
            lines.append(f"{'entity':<10} {'correct':>8} {'rows':>6} {'accuracy':>9}")
            for key, s in self.entities.items():
                lines.append(
                    f"{key:<10} {int(s['correct']):>8} {int(s['rows']):>6} {s['accuracy']:>9.2%}"
                )
        return "\n".join(lines)


def entity_matches(key: str, expected: Any, got: Any) -> bool:
    """Whether one extracted entity value agrees with its annotation."""
    if expected is None or got is None:
        return expected is None and got is None
    if key in ("quantity", "amount"):
        try:
            return abs(float(expected) - float(got)) < 1e-6
        except (TypeError, ValueError):
            return False
    if key == "store":
        e, g = str(expected).lower(), str(got).lower()
        return e == g or e in g
    return str(expected).strip().lower() == str(got).strip().lower()


def evaluate(parser: Parser, examples: Sequence[Example], today: date | None = None) -> EvalReport:
    """Parse every example (batched per ``today``) and score it."""
    default_today = today or date.today()
    parses: list[Parse | None] = [None] * len(examples)
    groups: dict[date, list[int]] = {}
    for i, ex in enumerate(examples):
        when = date.fromisoformat(ex.today) if ex.today else default_today
        groups.setdefault(when, []).append(i)
    for when, idx in groups.items():
        for start in range(0, len(idx), 256):
            chunk = idx[start : start + 256]
            for i, p in zip(
                chunk,
                parser.parse_batch([examples[i].text for i in chunk], today=when),
                strict=True,
            ):
                parses[i] = p

    confusion = {a: {b: 0 for b in INTENTS} for a in INTENTS}
    ent: dict[str, list[int]] = {}
    errors: list[dict[str, Any]] = []
    for ex, maybe in zip(examples, parses, strict=True):
        assert maybe is not None
        p = maybe
        confusion[ex.intent][p.intent] += 1
        if p.intent != ex.intent:
            errors.append({"text": ex.text, "expected": ex.intent, "got": p.intent})
        if ex.entities is not None:
            keys = set(ex.entities) | ({"product"} & set(p.entities))
            for key in sorted(keys):
                ok = entity_matches(key, ex.entities.get(key), p.entities.get(key))
                ent.setdefault(key, [0, 0])
                ent[key][0] += int(ok)
                ent[key][1] += 1
                if not ok:
                    errors.append(
                        {
                            "text": ex.text,
                            "entity": key,
                            "expected": ex.entities.get(key),
                            "got": p.entities.get(key),
                        }  # fmt: skip
                    )

    n = len(examples)
    correct = sum(confusion[lb][lb] for lb in INTENTS)
    per_intent = {}
    for lb in INTENTS:
        support = sum(confusion[lb].values())
        predicted = sum(confusion[r][lb] for r in INTENTS)
        if not support and not predicted:
            continue
        per_intent[lb] = {
            "precision": confusion[lb][lb] / predicted if predicted else 0.0,
            "recall": confusion[lb][lb] / support if support else 0.0,
            "support": float(support),
        }
    ins = [lb for lb in INTENTS if lb != OUT_OF_SCOPE]
    in_rows = sum(sum(confusion[lb].values()) for lb in ins)
    in_ok = sum(confusion[lb][lb] for lb in ins)
    oos_rows = sum(confusion[OUT_OF_SCOPE].values())
    return EvalReport(
        rows=n,
        accuracy=correct / n if n else 0.0,
        in_scope_accuracy=in_ok / in_rows if in_rows else None,
        in_scope_rows=in_rows,
        oos_recall=confusion[OUT_OF_SCOPE][OUT_OF_SCOPE] / oos_rows if oos_rows else None,
        oos_rows=oos_rows,
        per_intent=per_intent,
        confusion=confusion,
        entities={
            k: {"correct": float(c), "rows": float(t), "accuracy": c / t if t else 0.0}
            for k, (c, t) in ent.items()
        },
        errors=errors,
    )
