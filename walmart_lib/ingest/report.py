"""What an import did, per file, and how ``walmart import`` prints it."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FileResult", "ImportReport", "print_report"]


@dataclass
class FileResult:
    """The outcome for one file: ``imported`` or ``rejected`` (with the reason)."""

    file: str
    status: str
    format: str | None = None
    orders_added: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    lines_added: int = 0
    products_added: int = 0
    stores_added: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "imported"


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file imported (an empty report is not ok: nothing was given)."""
        return bool(self.files) and all(f.ok for f in self.files)

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if not f.ok]

    def total(self, attribute: str) -> int:
        return sum(int(getattr(f, attribute)) for f in self.files)


def print_report(report: ImportReport) -> None:
    """A per-file summary table on stdout; reasons for rejected files on stderr."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Import summary", show_lines=False)
    for column, justify in (
        ("file", "left"),
        ("format", "left"),
        ("status", "left"),
        ("orders new", "right"),
        ("updated", "right"),
        ("unchanged", "right"),
        ("lines", "right"),
        ("products new", "right"),
        ("warnings", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for f in report.files:
        style = "green" if f.ok else "red"
        table.add_row(
            Text(f.file),
            Text(f.format or "-"),
            Text(f.status, style=style),
            str(f.orders_added),
            str(f.orders_updated),
            str(f.orders_unchanged),
            str(f.lines_added),
            str(f.products_added),
            str(len(f.warnings)),
        )
    Console(width=140).print(table)
    err = Console(stderr=True, width=140)
    for f in report.files:
        for warning in f.warnings:
            err.print(Text(f"warning: {f.file}: {warning}", style="yellow"))
        if f.error:
            err.print(Text(f"rejected: {f.error}", style="red"))
