"""Connecting to PostgreSQL: the pool, the start-up check, and errors in one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from runtime.store.base import StoreError
from runtime.store.postgres.schema import migrate


class Unavailable(StoreError):
    """The database cannot be reached now (down, restarting, or every connection busy)."""


def describe(url: str) -> str:
    """``user@host:port/db`` for messages: never the password."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError as err:
        raise StoreError(f"not a PostgreSQL URL ({first_line(err)}); expected "
                         "postgresql://USER[:PASSWORD]@HOST:PORT/DB") from None
    user = info.get("user", "")
    where = f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
    return f"{user}@{where}" if user else where


def first_line(err: BaseException) -> str:
    """The first line of an error's message (psycopg adds hints on further lines)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def prepare(url: str, *, connect_timeout: int = 10) -> None:
    """Connect once and create or migrate the schema (`StoreError`, one line, if impossible)."""
    where = describe(url)
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout) as conn:
            migrate(conn)
    except psycopg.OperationalError as err:
        raise StoreError(f"cannot connect to PostgreSQL at {where}: {first_line(err)}") from None
    except psycopg.errors.ReadOnlySqlTransaction:
        raise StoreError(f"PostgreSQL at {where} is read-only (a standby, or "
                         "default_transaction_read_only is on): onewindow needs the primary, "
                         "where it may write") from None
    except psycopg.Error as err:
        raise StoreError(f"cannot prepare the schema in PostgreSQL at {where}: "
                         f"{first_line(err)}") from None


class Pool:
    """A bounded pool of autocommit connections; waiting longer than ``timeout`` for
    one raises `Unavailable` (the web layer answers 503) instead of hanging."""

    def __init__(self, url: str, *, size: int = 10, timeout: float = 10.0) -> None:
        self.where = describe(url)
        self._pool = ConnectionPool(
            url, min_size=1, max_size=size, timeout=timeout, open=True,
            # No check on every borrow (a round trip each: half a worklist read): a
            # connection broken by a database restart fails its query (Unavailable,
            # 503), and the pool replaces it when it is returned.
            kwargs={"autocommit": True}, name=f"onewindow {self.where}",
        )

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """Lend a connection; database failures become `StoreError` or `Unavailable`."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout:
            raise Unavailable(f"PostgreSQL at {self.where}: no connection free or "
                              "the database is unreachable") from None
        except psycopg.OperationalError as err:
            raise Unavailable(f"PostgreSQL at {self.where}: {first_line(err)}") from None
        except psycopg.Error as err:
            raise StoreError(f"PostgreSQL at {self.where}: {first_line(err)}") from err

    def close(self) -> None:
        """Close every connection."""
        self._pool.close()
