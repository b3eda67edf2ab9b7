"""``POST /api/walmart/import``: multipart upload of export files -> the import report.

The body is streamed and counted (413 past ``WALMART_MAX_IMPORT_BYTES`` plus a little multipart
overhead) and parsed only when complete. Uploaded names never reach the filesystem: each file
is written as ``upload-N`` into a private temporary folder (mode 0700), imported with
:func:`walmart_lib.ingest.import_files` on an engine *without* the interactive query timeout
(imports are bulk work), and the report names the files by their uploaded names, reduced to a
plain base name for display. The folder is removed afterwards.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tornado.httputil import HTTPFile, HTTPInputError, parse_body_arguments
from tornado.web import stream_request_body

from walmart_lib.service.base import ApiError, ApiHandler

__all__ = ["IMPORT_HANDLERS", "ImportHandler", "display_name"]

#: Multipart boundaries and part headers on top of the files themselves.
MULTIPART_OVERHEAD = 64 * 1024
MAX_FILES = 50
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def display_name(raw: str) -> str:
    """An uploaded file name reduced to its base name without control characters."""
    base = re.split(r"[\\/]", raw or "")[-1]
    base = _UNSAFE.sub("", base).strip() or "upload"
    return base[:200]


@stream_request_body
class ImportHandler(ApiHandler):
    route = "/api/walmart/import"

    async def prepare(self) -> None:
        self._body = bytearray()
        self._too_large = False
        await super().prepare()
        self._limit = self.ctx.settings.max_import_bytes + MULTIPART_OVERHEAD
        declared = self.request.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self._limit:
            raise ApiError(413, self._too_large_detail())
        ctype = self.request.headers.get("Content-Type", "")
        if self.request.method == "POST":
            if not ctype.startswith("multipart/form-data"):
                raise ApiError(415, "upload the files as multipart/form-data", field="Content-Type")
            if "boundary=" not in ctype:
                raise ApiError(400, "multipart/form-data needs a boundary", field="Content-Type")

    def _too_large_detail(self) -> str:
        return f"upload larger than {self.ctx.settings.max_import_bytes} bytes"

    def data_received(self, chunk: bytes) -> None:
        if self._too_large:
            return
        if len(self._body) + len(chunk) > self._limit:
            # Stop buffering; the answer is a 413 once the body has been read.
            self._too_large = True
            self._body = bytearray()
            return
        self._body.extend(chunk)

    async def post(self) -> None:
        if self._too_large:
            raise ApiError(413, self._too_large_detail())
        args: dict[str, list[bytes]] = {}
        files: dict[str, list[HTTPFile]] = {}
        try:
            parse_body_arguments(
                self.request.headers.get("Content-Type", ""), bytes(self._body), args, files
            )
        except HTTPInputError as exc:
            raise ApiError(400, f"malformed multipart body: {exc}", field="body") from exc
        uploads = [f for field_files in files.values() for f in field_files]
        if not uploads:
            raise ApiError(
                400, "no file in the upload (send one or more 'file' parts)", field="file"
            )
        if len(uploads) > MAX_FILES:
            raise ApiError(400, f"at most {MAX_FILES} files per upload", field="file")
        limit = self.ctx.settings.max_import_bytes
        for upload in uploads:
            if len(upload.body) > limit:
                raise ApiError(413, f"{display_name(upload.filename)}: {self._too_large_detail()}")
        report = await self.run_db(self._import, uploads)
        added = sum(
            int(f.get("orders_added", 0)) + int(f.get("orders_updated", 0)) for f in report["files"]
        )
        self.ctx.metrics.orders_processed_total.inc(added)
        self.send(report, 200 if report["ok"] else 422)

    def _import(self, uploads: list[HTTPFile]) -> dict[str, Any]:
        import dataclasses

        from walmart_lib.db.engine import get_engine
        from walmart_lib.ingest import import_files

        folder = Path(tempfile.mkdtemp(prefix="walmart-upload-"))
        try:
            paths: list[Path] = []
            for i, upload in enumerate(uploads):
                path = folder / f"upload-{i}"
                path.write_bytes(upload.body)
                paths.append(path)
            engine = get_engine(self.ctx.settings.database_url)
            report = import_files(paths, engine, max_bytes=self.ctx.settings.max_import_bytes)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        out_files: list[dict[str, Any]] = []
        for i, (upload, result) in enumerate(zip(uploads, report.files, strict=True)):
            entry = {"ok": result.ok, **dataclasses.asdict(result)}
            shown = display_name(upload.filename)
            entry["file"] = shown
            if entry.get("error"):
                entry["error"] = str(entry["error"]).replace(f"upload-{i}", shown)
            out_files.append(entry)
        return {"ok": report.ok, "files": out_files}


IMPORT_HANDLERS: list[tuple[str, type[ApiHandler]]] = [
    (r"/api/walmart/import", ImportHandler),
]
