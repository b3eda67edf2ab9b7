"""NLP parse consistency: does a text get the same answer alone as inside a batch?

The int8 encoder scales each layer's input per sub-batch, so an embedding moves a little with
its neighbours (docs/nlp.md, Limitations). This parses the held-out file one text at a time,
as one batch, and in batches of 64, and prints one JSON line::

    {"texts": 360, "same_intent_whole_batch": ..., "same_intent_batches_of_64": ...,
     "max_confidence_diff": ..., "changed": [[text, alone, batched], ...]}

Run: ``.venv/bin/python benchmarks/bench_nlp_consistency.py`` (about 10 s).
"""

from __future__ import annotations

import json

from walmart_lib.nlp import Parser
from walmart_lib.nlp.data import HELDOUT_FILE, load_jsonl


def main() -> None:
    parser = Parser(use_database=False, log_queries=False).load()
    texts = [ex.text for ex in load_jsonl(HELDOUT_FILE)]
    alone = [parser.parse(t) for t in texts]
    whole = parser.parse_batch(texts)
    by64 = [p for s in range(0, len(texts), 64) for p in parser.parse_batch(texts[s : s + 64])]

    def same(other: list) -> float:
        return round(
            sum(a.intent == b.intent for a, b in zip(alone, other, strict=True)) / len(texts), 4
        )

    print(
        json.dumps(
            {
                "texts": len(texts),
                "same_intent_whole_batch": same(whole),
                "same_intent_batches_of_64": same(by64),
                "max_confidence_diff": round(
                    max(
                        abs(a.confidence - b.confidence) for a, b in zip(alone, whole, strict=True)
                    ),
                    4,
                ),
                "changed": [
                    [t, a.intent, b.intent]
                    for t, a, b in zip(texts, alone, whole, strict=True)
                    if a.intent != b.intent
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
