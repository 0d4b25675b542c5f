"""The app's settings: one documented table; unknown names are refused.

Values come from ``create_app(settings)`` callers (the CLI) or ``ONEWINDOW_*``
environment variables. ``docs/settings.md`` lists the same table; a test keeps the
two in step.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.names import did_you_mean


class SettingsError(ValueError):
    """An unknown setting, or a value of the wrong kind."""


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _url(schemes: tuple[str, ...], shape: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip()
        if text and not text.startswith(schemes):
            raise ValueError(f"expected empty (not sent) or {shape}")
        return text
    return parse


def _hour(value: Any) -> int:
    hour = int(value)
    if not 0 <= hour <= 23:
        raise ValueError(f"must be an hour from 0 to 23, got {value!r}")
    return hour


def _positive(kind: Callable[[Any], float]) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        number = kind(value)
        if number <= 0:
            raise ValueError(f"must be greater than 0, got {value!r}")
        return number
    return parse


def _not_negative(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"must be 0 or more, got {value!r}")
    return number


Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def _networks(value: Any) -> Networks:
    """Comma-separated addresses or networks (CIDR), e.g. ``127.0.0.1, 10.0.0.0/8``."""
    if isinstance(value, tuple):
        return value
    items = value if isinstance(value, list) else str(value).split(",")
    found = []
    for item in (str(i).strip() for i in items):
        if item:
            try:
                found.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"not an IP address or network: {item!r}") from None
    return tuple(found)


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, help text and parser."""

    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = str


def _database(value: Any) -> str:
    text = str(value).strip()
    if text and not text.startswith(("postgresql://", "postgres://")):
        raise ValueError("expected empty (the embedded store in data_dir) or "
                         "postgresql://USER[:PASSWORD]@HOST:PORT/DB")
    return text


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "data", "Folder for the database, uploaded files and the secret key."),
    Setting("database", "", "PostgreSQL URL (postgresql://USER[:PASSWORD]@HOST:PORT/DB) "
            "holding the cases, users, tokens and files; empty: the embedded store in data_dir.",
            _database),
    Setting("catalog_dir", "catalog", "Catalog folder (departments, matters, centre, calendar)."),
    Setting("host", "127.0.0.1", "Address to listen on."),
    Setting("port", 8000, "Port to listen on.", _positive(int)),
    Setting("max_upload_mb", 20.0, "Hard ceiling for one uploaded file, in MB; a material's "
            "own max_mb may only be lower.", _positive(float)),
    Setting("secret_key", "", "Key that signs session cookies; empty: generated on first start "
            "and kept in DATA_DIR/secret_key (with PostgreSQL: in the database, shared by "
            "every process)."),
    Setting("session_hours", 8.0, "How long a sign-in lasts, in hours.", _positive(float)),
    Setting("secure_cookies", False, "Send cookies only over HTTPS (set behind a TLS proxy).",
            _bool),
    Setting("hsts_seconds", 0, "Strict-Transport-Security max-age in seconds; 0: off. Set only "
            "when every visitor reaches the site over HTTPS (see docs/security.md).",
            _not_negative),
    Setting("login_attempts", 5, "Failed sign-ins allowed per name and address in 15 minutes "
            "(three times as many per address across names).", _positive(int)),
    Setting("trusted_proxies", (), "Comma-separated addresses or networks of reverse proxies "
            "whose X-Forwarded-For header gives the client's address; empty: none is trusted.",
            _networks),
    Setting("tick_seconds", 30.0, "The longest the worker sleeps between looks at the job "
            "queue, in seconds (it wakes earlier when a job falls due).", _positive(float)),
    Setting("smtp_url", "", "Where e-mail notifications go: smtp://HOST:PORT; empty: no "
            "e-mail is sent.", _url(("smtp://",), "smtp://HOST:PORT")),
    Setting("mail_from", "onewindow@localhost", "The From address of e-mail notifications."),
    Setting("sms_url", "", "The SMS gateway: an HTTP endpoint that receives POST "
            '{"to": PHONE, "text": TEXT}; empty: no SMS is sent.',
            _url(("http://", "https://"), "http(s)://HOST[:PORT]/PATH")),
    Setting("digest_hour", 8, "The hour (0-23, China time) the supervisors' daily digest is "
            "sent.", _hour),
    Setting("deferred_reminder_days", 3.0, "Working days before a deferred material (容缺) "
            "is due that the applicant is reminded.", _positive(float)),
    Setting("workers", 1, "Server processes (serve --workers N); more than 1 needs the "
            "PostgreSQL store.", _positive(int)),
    Setting("db_pool_size", 10, "Connections each process keeps to PostgreSQL at most.",
            _positive(int)),
    Setting("db_wait_seconds", 5.0, "How long a request waits for a free connection or an "
            "unreachable PostgreSQL before it is answered 503.", _positive(float)),
    Setting("follow_seconds", 0.5, "How often each process looks for matter versions "
            "published through another process (PostgreSQL), in seconds.", _positive(float)),
    Setting("bank_key", "", "Shared key with which the collecting bank signs payment "
            "confirmations (HMAC-SHA256, see docs/documents-and-fees.md); empty: the bank "
            "callback is refused."),
    Setting("demo", False, "Create demo users on first start and print their passwords.", _bool),
    Setting("rectify_days", 5.0, "Working days a department has to answer a 差评 (整改期限).",
            _positive(float)),
    Setting("complaint_days", 5.0, "Working days a department has to answer a complaint "
            "(网上投诉) once the supervisor assigns it.", _positive(float)),
    Setting("rating_default_days", 7.0, "Days after the decision an unrated case counts as "
            "基本满意.", _positive(float)),
    Setting("exchange_poll_seconds", 0.5, "With peers (centre.yaml), the longest the worker "
            "waits before looking for exchange messages to send, in seconds.", _positive(float)),
    Setting("exchange_alarm_minutes", 30.0, "A message to a peer not acknowledged for this "
            "many minutes shows red on both centres' supervision boards.", _positive(float)),
    Setting("exchange_probe_seconds", 60.0, "With peers, how often the worker asks each peer "
            "(a signed ping) whether it answers and what it has not yet delivered to us.",
            _positive(float)),
)
PEER_KEYS = "ONEWINDOW_PEER_KEY_"
"""Peers' shared keys (docs/exchange.md): environment variables, not settings."""
_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with ``Settings.load``."""

    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, given: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then ``ONEWINDOW_*`` environment variables, then ``given``."""
        env = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        problems: list[str] = []
        for key, value in env.items():
            if key.startswith("ONEWINDOW_") and not key.startswith(PEER_KEYS):
                name = key[len("ONEWINDOW_"):].lower()
                if name not in _BY_NAME:
                    problems.append(f"unknown setting {key}{did_you_mean(name, _BY_NAME)}")
                raw[name] = value
        for name, value in (given or {}).items():
            if name not in _BY_NAME:
                problems.append(f"unknown setting '{name}'{did_you_mean(name, _BY_NAME)}")
            raw[name] = value
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            if setting.name not in raw or raw[setting.name] is None:
                values[setting.name] = setting.default
                continue
            try:
                values[setting.name] = setting.parse(raw[setting.name])
            except (TypeError, ValueError) as exc:
                problems.append(f"setting '{setting.name}': {exc}")
        if problems:
            raise SettingsError("; ".join(problems))
        return cls(values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def data_path(self) -> Path:
        """The data folder as a path."""
        return Path(self.values["data_dir"])

    @property
    def catalog_path(self) -> Path:
        """The catalog folder as a path."""
        return Path(self.values["catalog_dir"])

    def secret(self) -> str:
        """The session-signing key: given, or read from / created in the data folder."""
        if self.values["secret_key"]:
            return str(self.values["secret_key"])
        path = self.data_path / "secret_key"
        if path.is_file():
            return path.read_text(encoding="ascii").strip()
        self.data_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key + "\n")
        return key
