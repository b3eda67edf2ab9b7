"""Users, API tokens and session cookies for the service.

The credentials file named by ``WALMART_AUTH`` is JSON: ``{"users": {name: {"salt", "hash",
"iterations"}}, "tokens": {token_id: {"hash", "user", "created"}}}``. Passwords are stored as
salted PBKDF2-SHA256 hashes; API tokens (``wga_<id>_<secret>``) as SHA-256 hashes of the whole
token, so the file never holds anything that logs a person in. The file is written atomically
with mode 0600 and re-read by the server when it changes, so ``walmart user add`` and
``walmart token create`` take effect without a restart. Dashboard pages use the Bokeh
:class:`WalmartAuthProvider` (a login form that sets a signed cookie); the REST layer accepts the
same cookie or an ``Authorization: Bearer`` token.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bokeh.server.auth_provider import AuthProvider
from tornado.web import RequestHandler

__all__ = [
    "SESSION_COOKIE",
    "AuthError",
    "CredentialStore",
    "WalmartAuthProvider",
    "hash_password",
    "load_cookie_secret",
    "verify_password",
]

SESSION_COOKIE = "walmart_session"
#: Days a login cookie stays valid.
SESSION_DAYS = 7
PBKDF2_ITERATIONS = 200_000
TOKEN_PREFIX = "wga_"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class AuthError(ValueError):
    """A credentials file problem or an invalid user name / password."""


def hash_password(
    password: str, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS
) -> dict[str, Any]:
    """A salted PBKDF2-SHA256 record for ``password``."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return {"salt": salt.hex(), "hash": digest.hex(), "iterations": iterations}


def verify_password(password: str, record: dict[str, Any]) -> bool:
    """True when ``password`` matches the stored ``record`` (constant-time compare)."""
    try:
        salt = bytes.fromhex(record["salt"])
        iterations = int(record["iterations"])
        expected = bytes.fromhex(record["hash"])
    except (KeyError, TypeError, ValueError):
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return hmac.compare_digest(digest, expected)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_user_name(name: str) -> str:
    """``name`` if it is 1-64 letters, digits, ``.``, ``_`` or ``-``; else :class:`AuthError`."""
    if not 1 <= len(name) <= 64 or not set(name) <= _NAME_CHARS:
        raise AuthError("user name must be 1-64 characters: letters, digits, '.', '_' or '-'")
    return name


@dataclass
class _Snapshot:
    mtime_ns: int
    users: dict[str, dict[str, Any]]
    tokens: dict[str, dict[str, Any]]


class CredentialStore:
    """The credentials file: add users and tokens, check passwords and tokens.

    Reads are cached and refreshed when the file's modification time changes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    # -- reading -----------------------------------------------------------------------
    def _load(self) -> _Snapshot:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return _Snapshot(-1, {}, {})
        with self._lock:
            if self._snapshot is not None and self._snapshot.mtime_ns == mtime:
                return self._snapshot
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise AuthError(f"credentials file {self.path} is not valid JSON") from exc
            if not isinstance(data, dict):
                raise AuthError(f"credentials file {self.path} must hold a JSON object")
            users = data.get("users") or {}
            tokens = data.get("tokens") or {}
            if not isinstance(users, dict) or not isinstance(tokens, dict):
                raise AuthError(f"credentials file {self.path}: 'users'/'tokens' must be objects")
            self._snapshot = _Snapshot(mtime, users, tokens)
            return self._snapshot

    @property
    def users(self) -> list[str]:
        return sorted(self._load().users)

    def has_user(self, name: str) -> bool:
        return name in self._load().users

    def check_password(self, name: str, password: str) -> bool:
        record = self._load().users.get(name)
        if record is None:
            # Hash anyway so a missing user takes as long as a wrong password.
            verify_password(password, hash_password("x", b"0" * 16))
            return False
        return verify_password(password, record)

    def check_token(self, token: str) -> str | None:
        """The user a valid API token belongs to, or None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        parts = token[len(TOKEN_PREFIX) :].split("_", 1)
        if len(parts) != 2:
            return None
        record = self._load().tokens.get(parts[0])
        if record is None or not hmac.compare_digest(
            str(record.get("hash", "")), _token_hash(token)
        ):
            return None
        user = str(record.get("user", ""))
        return user if self.has_user(user) else None

    # -- writing -----------------------------------------------------------------------
    def _write(self, users: dict[str, Any], tokens: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"users": users, "tokens": tokens}, fh, indent=2, sort_keys=True)
        os.replace(tmp, self.path)
        with self._lock:
            self._snapshot = None

    def add_user(self, name: str, password: str) -> bool:
        """Add ``name`` or replace its password; True when the user is new."""
        validate_user_name(name)
        if len(password) < 8:
            raise AuthError("password must be at least 8 characters")
        snap = self._load()
        users = dict(snap.users)
        is_new = name not in users
        users[name] = hash_password(password)
        self._write(users, dict(snap.tokens))
        return is_new

    def create_token(self, user: str) -> str:
        """A new API token for ``user`` (shown once; only its hash is stored)."""
        if not self.has_user(user):
            raise AuthError(f"no such user {user!r}; add it first with `walmart user add`")
        snap = self._load()
        token_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        tokens = dict(snap.tokens)
        tokens[token_id] = {
            "hash": _token_hash(token),
            "user": user,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._write(dict(snap.users), tokens)
        return token


def load_cookie_secret(configured: str | None, run_dir: Path) -> str:
    """The configured cookie secret, else one generated once into ``run_dir/cookie_secret``.

    Keeping it in a file lets several server processes on one machine share sessions.
    """
    if configured:
        return configured
    path = run_dir / "cookie_secret"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    run_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret)
    return secret


def session_user(handler: RequestHandler, store: CredentialStore) -> str | None:
    """The user of a valid signed session cookie on ``handler``'s request, or None."""
    raw = handler.get_signed_cookie(SESSION_COOKIE, max_age_days=SESSION_DAYS)
    if raw is None:
        return None
    user = raw.decode("utf-8", "replace")
    return user if store.has_user(user) else None


def _safe_next(target: str | None) -> str:
    """A local redirect target only (never another host), defaulting to the app."""
    if not target:
        return "/walmart"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/walmart"
    return target


_LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Walmart Grocery Agent - sign in</title>
<style>body{{font-family:sans-serif;max-width:22rem;margin:4rem auto}}label{{display:block;
margin:.6rem 0}}input{{width:100%;padding:.4rem}}.err{{color:#b00}}</style></head><body>
<h1>Sign in</h1>{error}
<form method="post" action="/login">{xsrf}
<input type="hidden" name="next" value="{next}">
<label>User <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required>
</label><button type="submit">Sign in</button></form></body></html>"""


def _login_handler(store: CredentialStore, limiter: Any = None) -> type[RequestHandler]:
    class LoginHandler(RequestHandler):
        """GET: the login form; POST: check the password, set the signed session cookie."""

        def _page(self, error: str = "") -> None:
            next_url = _safe_next(self.get_argument("next", None))
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.write(
                _LOGIN_PAGE.format(
                    error=f'<p class="err">{html.escape(error)}</p>' if error else "",
                    xsrf=self.xsrf_form_html(),
                    next=html.escape(next_url, quote=True),
                )
            )

        def get(self) -> None:
            self._page()

        def post(self) -> None:
            self.check_xsrf_cookie()
            if limiter is not None:
                # Password guesses count against the client's /api/* budget.
                decision = limiter.hit(self.request.remote_ip or "unknown")
                if not decision.allowed:
                    self.set_status(429)
                    self.set_header("Retry-After", str(decision.retry_after_s))
                    self._page("Too many attempts; try again in a minute.")
                    return
            name = self.get_body_argument("username", "")
            password = self.get_body_argument("password", "")
            if not name or not password or not store.check_password(name, password):
                self.set_status(401)
                self._page("Wrong user name or password.")
                return
            self.set_signed_cookie(
                SESSION_COOKIE,
                name,
                expires_days=SESSION_DAYS,
                httponly=True,
                samesite="Lax",
                secure=self.request.protocol == "https",
            )
            self.redirect(_safe_next(self.get_body_argument("next", None)))

    return LoginHandler


class _LogoutHandler(RequestHandler):
    def get(self) -> None:
        self.clear_cookie(SESSION_COOKIE)
        self.redirect("/login")


class WalmartAuthProvider(AuthProvider):
    """Bokeh auth for the dashboard pages: signed session cookie set by ``/login``."""

    def __init__(self, store: CredentialStore, limiter: Any = None) -> None:
        self._store = store
        self._limiter = limiter
        super().__init__()

    @property
    def get_user(self) -> Any:
        store = self._store
        return lambda handler: session_user(handler, store)

    @property
    def login_url(self) -> str:
        return "/login"

    @property
    def login_handler(self) -> type[RequestHandler]:
        return _login_handler(self._store, self._limiter)

    @property
    def logout_url(self) -> str:
        return "/logout"

    @property
    def logout_handler(self) -> type[RequestHandler]:
        return _LogoutHandler
