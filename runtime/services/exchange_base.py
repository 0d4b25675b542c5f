"""What both sides of the exchange between centres share: this centre's peers and
keys, which departments sit in which peer, and the records the exchange keeps."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from builder import Catalog
from builder.spec import Peer
from runtime.exchange.signature import Key, keys_from

OUT, IN, TASK, SEQ, HOLD, MATTER, REFUSED = (
    "exchange-out", "exchange-in", "exchange-task", "exchange-seq", "exchange-hold",
    "exchange-matter", "exchange-refused")
"""Record kinds: messages sent (outbox), received ids (the ledger), a sent task's far
side, the next sequence expected per case, messages held until their turn, mirror
matters, refused messages, and each case's message list (its audit trail)."""
JOB = "exchange"
"""The job kind that delivers one message."""


@dataclass
class Link:
    """This centre's place among its peers."""

    own: str
    own_name: str
    peers: dict[str, Peer]
    keys: dict[str, tuple[Key, ...]]
    remote: dict[str, tuple[str, str]]  # department -> (peer, its id there)
    alarm: timedelta = timedelta(minutes=30)
    wake: Callable[[], None] = field(default=lambda: None)

    @classmethod
    def of(cls, catalog: Catalog, environ: Mapping[str, str], alarm_minutes: float) -> Link:
        """The link the catalog and the environment describe."""
        peers = {p.id: p for p in catalog.centre.peers}
        remote = {d.id: (d.centre, d.remote or d.id) for d in catalog.departments.values()
                  if d.centre}
        return cls(catalog.centre.id, catalog.centre.name, peers,
                   keys_from(environ, sorted(peers)), remote, timedelta(minutes=alarm_minutes))

    @property
    def active(self) -> bool:
        """Whether this centre has any peer at all."""
        return bool(self.peers)

    def peer_name(self, peer: str) -> str:
        """A peer's name (its id if unknown)."""
        found = self.peers.get(peer)
        return found.name if found else peer


def waited(since: str, now: datetime) -> str:
    """How long since ``since``, in words (等待时长)."""
    seconds = max(0, int((now - datetime.fromisoformat(since)).total_seconds()))
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{seconds // 60} 分钟"
    if seconds < 86400:
        return f"{seconds // 3600} 小时 {seconds % 3600 // 60} 分钟"
    return f"{seconds // 86400} 天 {seconds % 86400 // 3600} 小时"
