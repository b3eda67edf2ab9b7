"""NLP parser speed: model load time, single-utterance latency, batched throughput.

Loads the parser in this fresh process (``load_s``: encoder + head), then parses 500 varied
utterances one at a time (``p50_ms``/``p95_ms``: the whole ``parse()`` - encoder, head,
entities, store lookup and query-log enqueue - against a SQLite database holding the bundled
sample), then parses the same utterances in batches of 64, five times (``batch_per_s``: the
median round). The utterances are our own training and held-out texts, sampled with a fixed
seed. Prints one JSON line::

    {"load_s": ..., "p50_ms": ..., "p95_ms": ..., "batch_per_s": ..., "threads": ...}

Run: ``.venv/bin/python benchmarks/bench_nlp.py [--threads N]`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: default)")
    ap.add_argument("--utterances", type=int, default=500)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=5, help="batched rounds (median reported)")
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    from walmart_lib.db import ensure_schema, make_engine
    from walmart_lib.ingest import load_sample
    from walmart_lib.nlp.data import HELDOUT_FILE, load_jsonl, load_training_examples

    own = [ex.text for ex in load_training_examples(include_clinc=False)]
    texts = [ex.text for ex in load_jsonl(HELDOUT_FILE)] + own
    random.Random(0).shuffle(texts)
    texts = texts[: args.utterances]

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        ensure_schema(engine)
        load_sample(engine, progress=False)

        from walmart_lib.nlp.parser import Parser

        t0 = time.perf_counter()
        parser = Parser(engine).load()
        load_s = time.perf_counter() - t0

        today = date(2025, 9, 15)
        for text in texts[:20]:  # warm-up: first calls allocate
            parser.parse(text, today=today)
        latencies = []
        for text in texts:
            t = time.perf_counter()
            parser.parse(text, today=today)
            latencies.append((time.perf_counter() - t) * 1000)
        latencies.sort()

        rates = []
        for _ in range(args.rounds):  # one round is under a second: take the median of a few
            t = time.perf_counter()
            done = 0
            for start in range(0, len(texts), args.batch):
                done += len(parser.parse_batch(texts[start : start + args.batch], today=today))
            rates.append(done / (time.perf_counter() - t))
        batch_per_s = statistics.median(rates)
        parser.flush_log(timeout=30)
        engine.dispose()

    print(
        json.dumps(
            {
                "load_s": round(load_s, 2),
                "p50_ms": round(statistics.median(latencies), 2),
                "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
                "batch_per_s": round(batch_per_s, 1),
                "threads": torch.get_num_threads(),
                "utterances": len(texts),
            }
        )
    )


if __name__ == "__main__":
    main()
