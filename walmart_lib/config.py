"""Settings for the Walmart Grocery Agent, read from the environment in one place.

Every other module asks this one for paths, the database URL, ports, limits and auth settings;
nothing else reads ``os.environ``. Path constants follow cookiecutter-data-science: they are
derived from the repository root so notebooks, tests and the CLI agree on where things live.
Settings are read when :func:`get_settings` is called (not at import), so tests and
subprocesses can change the environment and call ``get_settings.cache_clear()``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DATA_DIR",
    "REFERENCE_DIR",
    "REPO_ROOT",
    "SAMPLE_DIR",
    "Settings",
    "get_settings",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
REFERENCE_DIR = DATA_DIR / "reference"
DOCS_DIR = REPO_ROOT / "docs"
PIPELINES_DIR = REPO_ROOT / "pipelines"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"

DEFAULT_DB_PATH = DATA_DIR / "walmart_grocery.db"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _env_decimal(name: str, default: str) -> Decimal:
    raw = _env(name, default)
    assert raw is not None
    try:
        return Decimal(raw)
    except ArithmeticError as exc:
        raise ValueError(f"{name} must be a decimal number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration; build it with :func:`get_settings`."""

    database_url: str
    home: Path
    port: int
    host: str
    auth_file: Path | None
    redis_url: str | None
    max_import_bytes: int
    query_timeout_s: float
    rate_limit_per_minute: int
    #: Zone for dates that carry none (exports like "Mar 24, 2025"); Walmart shows store time.
    timezone: str
    # Lists: defaults used when a store has no observed tax rate (see docs/lists.md).
    default_tax_rate: Decimal
    delivery_fee: Decimal
    free_delivery_threshold: Decimal
    #: Service: secret that signs session cookies; unset -> generated once into run_dir.
    cookie_secret: str | None = None
    #: Service: who may read /metrics: "loopback" (loopback clients, or a token) or "token".
    metrics_access: str = "loopback"
    #: Service: extra host[:port] values browsers may open the dashboards' websocket from.
    websocket_origins: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the environment once per process (``get_settings.cache_clear()`` re-reads it)."""
    auth = _env("WALMART_AUTH")
    return Settings(
        database_url=_env("WALMART_DATABASE_URL", f"sqlite:///{DEFAULT_DB_PATH}") or "",
        home=Path(_env("WALMART_HOME", str(REPO_ROOT / "var")) or "var"),
        port=_env_int("WALMART_PORT", 3000),
        host=_env("WALMART_HOST", "127.0.0.1") or "127.0.0.1",
        auth_file=Path(auth) if auth else None,
        redis_url=_env("REDIS_URL"),
        max_import_bytes=_env_int("WALMART_MAX_IMPORT_BYTES", 100 * 1024 * 1024),
        query_timeout_s=_env_float("WALMART_QUERY_TIMEOUT_S", 5.0),
        rate_limit_per_minute=_env_int("WALMART_RATE_LIMIT", 100),
        timezone=_env("WALMART_TIMEZONE", "America/New_York") or "America/New_York",
        default_tax_rate=_env_decimal("WALMART_DEFAULT_TAX_RATE", "0.06"),
        delivery_fee=_env_decimal("WALMART_DELIVERY_FEE", "9.95"),
        free_delivery_threshold=_env_decimal("WALMART_FREE_DELIVERY_THRESHOLD", "35.00"),
        cookie_secret=_env("WALMART_COOKIE_SECRET"),
        metrics_access=_env("WALMART_METRICS_ACCESS", "loopback") or "loopback",
        websocket_origins=tuple(
            o.strip() for o in (_env("WALMART_WEBSOCKET_ORIGIN") or "").split(",") if o.strip()
        ),
        extra={k: v for k, v in os.environ.items() if k.startswith("WALMART_")},
    )
