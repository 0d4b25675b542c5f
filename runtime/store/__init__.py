"""Storage: one `Store` interface, the durable `TinyDBStore` and the `MemoryStore`."""

from runtime.store.base import (
    JOB_DEAD,
    JOB_PENDING,
    JOB_RUNNING,
    Conflict,
    Lifecycle,
    NotFound,
    Store,
    StoreBusy,
    StoreError,
    TaskRow,
    TaskTally,
    WriteBatch,
)
from runtime.store.damage import Damage, StoreDamaged
from runtime.store.memory import MemoryStore
from runtime.store.tinydb_store import TinyDBStore

__all__ = [
    "JOB_DEAD",
    "JOB_PENDING",
    "JOB_RUNNING",
    "Conflict",
    "Damage",
    "Lifecycle",
    "MemoryStore",
    "NotFound",
    "Store",
    "StoreBusy",
    "StoreDamaged",
    "StoreError",
    "TaskRow",
    "TaskTally",
    "TinyDBStore",
    "WriteBatch",
]
