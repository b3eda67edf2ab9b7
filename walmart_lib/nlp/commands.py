"""The ``walmart nlp`` command group: parse, search, train and eval.

``walmart nlp parse TEXT [--json]`` prints ``{"intent","confidence","entities"}``;
``walmart nlp search QUERY`` ranks catalogue products; ``walmart nlp train`` retrains the
intent head from the repository's training data and rewrites ``walmart_lib/nlp/model/``;
``walmart nlp eval FILE.jsonl`` prints per-intent precision/recall, the confusion matrix,
in-scope accuracy and out-of-scope recall (and entity accuracy for annotated rows).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _today(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from exc


def _cmd_parse(args: argparse.Namespace) -> int:
    from walmart_lib.nlp import load_parser

    parser = load_parser()
    result = parser.parse(args.text, today=args.today)
    parser.flush_log(timeout=5.0)
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(f"intent:     {result.intent}")
        print(f"confidence: {result.confidence:.3f}")
        for key, value in result.entities.items():
            print(f"{key + ':':<11} {value}")
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from walmart_lib.nlp import search_products

    found = search_products(args.query, limit=args.limit)
    if args.json:
        print(json.dumps([c.as_dict() for c in found]))
    else:
        for c in found:
            print(f"{c.score:.3f}  #{c.product_id:<6} {c.name}  [{c.category}]")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from walmart_lib.nlp.training import MODEL_DIR, train

    report = train(
        out_dir=Path(args.out) if args.out else MODEL_DIR,
        seed=args.seed,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(f"trained on {report.examples} utterances in {report.seconds:.1f} s")
    print(f"encoder fine-tuning: {report.tuning}")
    print(f"head: {report.config}")
    print(f"temperature {report.temperature:.3f}, out-of-scope threshold {report.threshold:.2f}")
    print(
        f"validation split: in-scope accuracy {report.val_in_scope_accuracy:.2%}, "
        f"out-of-scope recall {report.val_oos_recall:.2%}, "
        f"unseen-product accuracy {report.val_novel_product_accuracy:.2%}"
    )
    print(f"wrote {report.out_dir}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from walmart_lib.nlp import load_parser
    from walmart_lib.nlp.data import load_jsonl
    from walmart_lib.nlp.evaluate import evaluate

    try:
        examples = load_jsonl(Path(args.file))
    except (OSError, ValueError) as exc:
        print(f"walmart nlp eval: {exc}")
        return 2
    parser = load_parser()
    report = evaluate(parser, examples, today=args.today)
    parser.flush_log(timeout=10.0)
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        print(report.format())
        if args.errors:
            print("\nerrors:")
            for err in report.errors:
                print("  " + json.dumps(err))
    return 0


def register(subparsers: Any) -> None:
    """Add ``walmart nlp ...`` to the top-level command parser."""
    nlp = subparsers.add_parser("nlp", help="offline language understanding (parse, eval, ...)")
    sub = nlp.add_subparsers(dest="nlp_command", required=True, metavar="NLP_COMMAND")

    p = sub.add_parser("parse", help="intent, confidence and entities of one utterance")
    p.add_argument("text")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--today", type=_today, default=None, help="anchor for relative dates")
    p.set_defaults(func=_cmd_parse)

    p = sub.add_parser("search", help="semantic + fuzzy product search over the catalogue")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_search)

    p = sub.add_parser("train", help="retrain the intent head (deterministic, seeded)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="artifact folder (default: the package's)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("eval", help="score the parser on a JSONL file of labelled utterances")
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument("--today", type=_today, default=None, help="for rows without 'today'")
    p.add_argument("--json", action="store_true")
    p.add_argument("--errors", action="store_true", help="list misclassified rows")
    p.set_defaults(func=_cmd_eval)
