"""The ``walmart`` command: a thin argparse front over the library.

Core commands (import, sample, stats, generate) live here. Other command groups live beside
the code they drive and register themselves: each module named in :data:`COMMAND_MODULES`
exposes ``register(subparsers)`` and sets ``func`` on its parsers (``func(args) -> int``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

#: Modules that add command groups (``nlp``, ``serve``, ``deploy``, ...). Append one line each.
COMMAND_MODULES: list[str] = [
    "walmart_lib.service.commands",
    "walmart_lib.nlp.commands",
]


def _cmd_import(args: argparse.Namespace) -> int:
    from walmart_lib.db import get_engine
    from walmart_lib.ingest import import_files
    from walmart_lib.ingest.report import print_report

    report = import_files([Path(p) for p in args.paths], get_engine(), progress=not args.quiet)
    print_report(report)
    return 0 if report.ok else 2


def _cmd_sample(args: argparse.Namespace) -> int:
    from walmart_lib.db import get_engine
    from walmart_lib.ingest import load_sample
    from walmart_lib.ingest.report import print_report

    report = load_sample(get_engine(), progress=not args.quiet)
    print_report(report)
    return 0 if report.ok else 2


def _cmd_stats(args: argparse.Namespace) -> int:
    from walmart_lib.db import get_engine
    from walmart_lib.stats import database_stats

    stats = database_stats(get_engine())
    if args.json:
        print(json.dumps(stats.as_dict()))
    else:
        for key, value in stats.as_dict().items():
            print(f"{key:>14}: {value}")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from walmart_lib.ingest.generate import write_dataset

    out = write_dataset(
        Path(args.out), orders=args.orders, seed=args.seed, fmt=args.format, progress=not args.quiet
    )
    print(f"wrote {out.orders} orders, {out.lines} lines to {out.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="walmart", description="Walmart Grocery Agent")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("import", help="import Walmart export files (format auto-detected)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("sample", help="load the bundled sample dataset (idempotent)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("stats", help="counts and totals from the database")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_stats)

    p = sub.add_parser("generate", help="write a synthetic household order history")
    p.add_argument("--orders", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, metavar="PATH")
    p.add_argument("--format", choices=["canonical", "walmart-json"], default="canonical")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_generate)

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
