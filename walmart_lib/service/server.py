"""Start and stop ``walmart serve``: one Panel (Bokeh/Tornado) server on one port.

:func:`run_server` checks the configuration (a non-loopback host needs auth; a busy port is
refused with a message naming it; another server's pid file is never acted on), writes a pid
file and JSON logs under ``WALMART_HOME``, builds the Panel server with the ``/walmart`` app and
the REST routes as ``extra_patterns``, warms the cache, and on SIGTERM/SIGINT stops accepting
connections, lets in-flight requests finish (up to :data:`DRAIN_S`) and returns 0.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from walmart_lib.config import Settings

__all__ = [
    "ServeError",
    "check_host",
    "check_port_free",
    "check_settings",
    "pid_file_path",
    "run_server",
]

log = logging.getLogger("walmart.service")

#: Longest wait for in-flight requests after SIGTERM.
DRAIN_S = 15.0


class ServeError(RuntimeError):
    """A reason not to start; the message is shown to the user as is."""


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str, settings: Settings) -> None:
    """Refuse a non-loopback address unless auth is configured with at least one user."""
    if settings.auth_file is not None:
        from walmart_lib.service.auth import CredentialStore

        if not CredentialStore(settings.auth_file).users:
            raise ServeError(
                f"WALMART_AUTH names {settings.auth_file}, which has no users yet; "
                "add one with `walmart user add NAME`"
            )
        return
    if not is_loopback_host(host):
        raise ServeError(
            f"refusing to serve on {host}: that address is reachable from other machines and "
            "auth is off. Set WALMART_AUTH to a credentials file (see `walmart user add`) "
            "or serve on 127.0.0.1."
        )


def check_settings(settings: Settings) -> None:
    """Refuse settings the server would misread."""
    if settings.metrics_access not in ("loopback", "token"):
        raise ServeError(
            f"WALMART_METRICS_ACCESS must be 'loopback' or 'token', not {settings.metrics_access!r}"
        )
    if settings.rate_limit_per_minute < 1:
        raise ServeError("WALMART_RATE_LIMIT must be at least 1 request per minute")
    if settings.query_timeout_s <= 0:
        raise ServeError("WALMART_QUERY_TIMEOUT_S must be above 0")


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`ServeError` naming the port when something already listens on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is already in use by another process; "
                    f"stop it or choose another port with --port"
                ) from exc
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def pid_file_path(settings: Settings, port: int) -> Path:
    return settings.run_dir / f"serve-{port}.pid"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_pid_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        try:
            other = int(path.read_text().strip())
        except ValueError:
            other = 0
        if other and other != os.getpid() and _pid_alive(other):
            raise ServeError(f"{path} says walmart serve is already running as pid {other}")
    path.write_text(f"{os.getpid()}\n")


def _remove_pid_file(path: Path) -> None:
    try:
        if path.read_text().strip() == str(os.getpid()):
            path.unlink()
    except FileNotFoundError:
        pass


def _warm_cache(ctx: Any) -> None:
    """Fill the cache with the overview answers so the first visitors get them fast."""
    from walmart_lib.db.state import data_version
    from walmart_lib.service.cache import cache_key, dumps
    from walmart_lib.service.routes import overview_entries

    t0 = time.perf_counter()
    try:
        version = data_version(ctx.engine)
        entries = overview_entries(ctx.engine)
        for name, params, compute in entries:
            ctx.cache.set_text(cache_key(version, name, params), dumps(compute()))
    except Exception as exc:  # warm-up is an optimisation; the routes compute on a miss
        log.warning("cache warm-up failed", extra={"error": type(exc).__name__})
        return
    log.info(
        "cache warmed",
        extra={"entries": len(entries), "latency_ms": round((time.perf_counter() - t0) * 1000, 1)},
    )


def run_server(settings: Settings, host: str, port: int) -> int:
    """Serve until SIGTERM/SIGINT; returns the exit code."""
    check_settings(settings)
    check_host(host, settings)
    check_port_free(host, port)

    from walmart_lib.service.logs import configure_logging

    log_path = configure_logging(settings.log_dir)
    pid_path = pid_file_path(settings, port)
    _write_pid_file(pid_path)
    try:
        return _serve(settings, host, port, log_path)
    finally:
        _remove_pid_file(pid_path)


def _serve(settings: Settings, host: str, port: int, log_path: Path) -> int:
    import panel as pn
    from tornado.ioloop import IOLoop

    from walmart_lib.service.app import create_app
    from walmart_lib.service.auth import WalmartAuthProvider
    from walmart_lib.service.context import build_context
    from walmart_lib.service.routes import available_features, build_routes
    from walmart_lib.service.security import transforms

    # The loop thread must get the GIL back quickly from the database and NLP threads: a 1 ms
    # switch interval (Python's default is 5 ms) keeps API latency low while a parse runs.
    sys.setswitchinterval(0.001)
    try:
        ctx = build_context(settings)
    except Exception as exc:
        raise ServeError(f"cannot start: {type(exc).__name__}: {exc}") from exc

    kwargs: dict[str, Any] = {}
    if ctx.store is not None:
        kwargs["auth_provider"] = WalmartAuthProvider(ctx.store, ctx.limiter)
    origins = [f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    origins += list(settings.websocket_origins)
    engine = ctx.engine
    loop = IOLoop.current()
    try:
        server = pn.serve(
            {"walmart": lambda: create_app(engine)},
            port=port,
            address=host,
            websocket_origin=origins,
            show=False,
            start=False,
            title="Walmart Grocery Agent",
            extra_patterns=build_routes(ctx),
            cookie_secret=ctx.cookie_secret,
            transforms=transforms(),
            http_server_kwargs={
                # Uploads are checked against max_import_bytes by the import route itself.
                "max_body_size": settings.max_import_bytes + 1024 * 1024,
                "idle_connection_timeout": 60,
                "body_timeout": 120,
            },
            **kwargs,
        )
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    stopping = asyncio.Event()

    def _on_signal(signum: int) -> None:
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        stopping.set()

    async def _main() -> None:
        aloop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            aloop.add_signal_handler(sig, _on_signal, sig)
        server.start()
        aloop.run_in_executor(ctx.executor, _warm_cache, ctx)
        if available_features()["nlp"]:
            from walmart_lib.service.routes_nlp import load_in_background

            load_in_background(ctx)
        log.info(
            "listening",
            extra={
                "host": host,
                "port": port,
                "auth": ctx.auth_enabled,
                "cache": ctx.cache.kind,
                "pid": os.getpid(),
            },
        )
        print(f"walmart serve: http://{host}:{port}/walmart (logs: {log_path})", flush=True)
        await stopping.wait()
        # Stop accepting, let the requests already running finish, then close the rest
        # (idle keep-alive connections and dashboard websockets).
        http = server._http  # Bokeh keeps its HTTPServer private; unlisten() would drop requests
        http.stop()
        deadline = time.monotonic() + DRAIN_S
        while ctx.inflight > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        server.stop(wait=False)
        await http.close_all_connections()

    try:
        loop.run_sync(_main)
    finally:
        ctx.executor.shutdown(wait=False, cancel_futures=True)
        if ctx.nlp_worker is not None:
            ctx.nlp_worker.shutdown()
    log.info("stopped", extra={"inflight": ctx.inflight})
    print("walmart serve: stopped", file=sys.stderr, flush=True)
    return 0
