"""Process management of ``walmart serve``: refusals, pid file, SIGTERM exit 0."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
from service_helpers import ServerProcess, free_port, python_cmd

from walmart_lib.config import REPO_ROOT, get_settings
from walmart_lib.service.auth import CredentialStore
from walmart_lib.service.server import ServeError, check_host, check_port_free, is_loopback_host


def serve(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("WALMART_")}
    full.update(
        WALMART_HOME=str(tmp_path / "home"),
        WALMART_DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}",
        **(env or {}),
    )
    return subprocess.run(
        [*python_cmd(), "-m", "walmart_lib.cli", "serve", *args],
        env=full,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_non_loopback_without_auth_refused(tmp_path: Path) -> None:
    result = serve(tmp_path, "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.returncode == 2
    assert "refusing to serve on 0.0.0.0" in result.stderr and "WALMART_AUTH" in result.stderr
    assert not (tmp_path / "home" / "run").exists() or not list(
        (tmp_path / "home" / "run").glob("*.pid")
    )


def test_auth_file_without_users_refused(tmp_path: Path) -> None:
    auth = tmp_path / "auth.json"
    auth.write_text(json.dumps({"users": {}, "tokens": {}}))
    result = serve(tmp_path, "--port", str(free_port()), env={"WALMART_AUTH": str(auth)})
    assert result.returncode == 2 and "has no users yet" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WALMART_METRICS_ACCESS", "everyone", "WALMART_METRICS_ACCESS must be"),
        ("WALMART_RATE_LIMIT", "0", "WALMART_RATE_LIMIT must be"),
        ("WALMART_QUERY_TIMEOUT_S", "0", "WALMART_QUERY_TIMEOUT_S must be"),
    ],
)
def test_bad_settings_refused(tmp_path: Path, name: str, value: str, message: str) -> None:
    result = serve(tmp_path, "--port", str(free_port()), env={name: value})
    assert result.returncode == 2 and message in result.stderr


def test_busy_port_refused_and_other_process_untouched(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = serve(tmp_path, "--port", str(port))
        assert result.returncode == 2
        assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
        # The other listener still works.
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            conn, _ = other.accept()
            conn.close()


def test_host_and_port_checks_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1")
    assert is_loopback_host("localhost") and not is_loopback_host("0.0.0.0")
    assert not is_loopback_host("example.org")
    settings = get_settings()
    check_host("127.0.0.1", settings)
    with pytest.raises(ServeError, match="refusing"):
        check_host("192.0.2.10", settings)
    auth = tmp_path / "auth.json"
    CredentialStore(auth).add_user("alice", "a long password")
    monkeypatch.setenv("WALMART_AUTH", str(auth))
    get_settings.cache_clear()
    check_host("0.0.0.0", get_settings())  # auth on: any address is allowed
    check_port_free("127.0.0.1", free_port())


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home", f"sqlite:///{tmp_path / 'w.db'}").start()
    pid_file = tmp_path / "home" / "run" / f"serve-{server.port}.pid"
    assert server.proc is not None and pid_file.read_text().strip() == str(server.proc.pid)
    assert server.get("/api/health").status_code == 200
    # A second server on the same port is refused while this one runs.
    second = serve(tmp_path / "second", "--port", str(server.port))
    assert second.returncode == 2 and "already in use" in second.stderr
    assert server.stop() == 0
    assert not pid_file.exists()
    log = [json.loads(line) for line in (tmp_path / "home" / "logs" / "service.jsonl").open()]
    messages = [e["message"] for e in log]
    assert "stop requested" in messages and messages[-1] == "stopped"
    assert "stopped" in server.stderr()
