"""Storage: one `Store` interface, the durable `TinyDBStore` and the `MemoryStore`."""

from runtime.store.base import (
    CLOSED_CASE_STATUSES,
    OPEN_TASK_STATUSES,
    Conflict,
    NotFound,
    Store,
    StoreBusy,
    StoreError,
    TaskRow,
    WriteBatch,
)
from runtime.store.damage import Damage, StoreDamaged
from runtime.store.memory import MemoryStore
from runtime.store.tinydb_store import TinyDBStore

__all__ = [
    "CLOSED_CASE_STATUSES",
    "OPEN_TASK_STATUSES",
    "Conflict",
    "Damage",
    "MemoryStore",
    "NotFound",
    "Store",
    "StoreBusy",
    "StoreDamaged",
    "StoreError",
    "TaskRow",
    "TinyDBStore",
    "WriteBatch",
]
