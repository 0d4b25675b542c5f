"""Signing a message between centres: hex HMAC-SHA256 over ``timestamp.body``, with
the key the two centres share (``ONEWINDOW_PEER_KEY_<ID>``); key rotation by accepting
several keys, each until an optional moment."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

SKEW_SECONDS = 300
"""A message's timestamp may be this far from the receiver's clock (±5 minutes)."""
ENV_PREFIX = "ONEWINDOW_PEER_KEY_"


@dataclass(frozen=True)
class Key:
    """One shared key; ``until`` (if set) ends its acceptance (a rotated-out key)."""

    secret: str
    until: datetime | None = None


def env_name(peer_id: str) -> str:
    """The environment variable that holds a peer's key(s)."""
    return ENV_PREFIX + peer_id.upper().replace("-", "_")


def parse_keys(text: str) -> tuple[Key, ...]:
    """``NEW[,OLD[@UNTIL]]...``: the first key signs; every key verifies (an old one
    until its ISO ``UNTIL``, when given). Raises ValueError on a bad moment."""
    keys = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        secret, _, until = part.partition("@")
        moment = datetime.fromisoformat(until) if until else None
        if moment is not None and moment.tzinfo is None:
            raise ValueError("a key's end moment needs its time zone, e.g. +08:00")
        keys.append(Key(secret, moment))
    return tuple(keys)


def keys_from(environ: Mapping[str, str], peer_ids: Sequence[str]) -> dict[str, tuple[Key, ...]]:
    """Each peer's keys from the environment (a peer without any has none)."""
    return {p: parse_keys(environ.get(env_name(p), "")) for p in peer_ids}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature of ``body`` sent at ``timestamp`` (unix seconds, as text)."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                    hashlib.sha256).hexdigest()


def fresh(timestamp: str, now: datetime) -> str:
    """Why a message's timestamp is refused ("" when it is fresh): missing or stale."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "missing timestamp"
    if abs(int(timestamp) - int(now.timestamp())) > SKEW_SECONDS:
        return "stale timestamp"
    return ""


def verify(keys: Sequence[Key], timestamp: str, body: bytes, given: str,
           now: datetime) -> str:
    """Why the signature fails ("" when it holds): a stale or missing timestamp, or no
    key in force that makes this signature."""
    why = fresh(timestamp, now)
    if why:
        return why
    for key in keys:
        if key.until is not None and now > key.until:
            continue
        if hmac.compare_digest(sign(key.secret, timestamp, body), given or ""):
            return ""
    return "bad signature" if keys else "no key configured for this peer"
