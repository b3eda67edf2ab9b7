"""Importers for real Walmart order exports, normalisation and product matching.

One module per source format (``walmart_json``, ``purchase_history``, ``exporter_csv``,
``scraped_json``, ``canonical``), all parsed into :mod:`~walmart_lib.ingest.records` and written
by :mod:`~walmart_lib.ingest.loader`. :func:`import_files` is the entry point.
"""

from walmart_lib.ingest.importer import detect_format, import_files, load_sample
from walmart_lib.ingest.records import ImportRejected, ParsedLine, ParsedOrder, ParsedStore
from walmart_lib.ingest.report import FileResult, ImportReport

__all__ = [
    "FileResult",
    "ImportRejected",
    "ImportReport",
    "ParsedLine",
    "ParsedOrder",
    "ParsedStore",
    "detect_format",
    "import_files",
    "load_sample",
]
