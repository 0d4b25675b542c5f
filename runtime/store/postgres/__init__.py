"""The `Store` on PostgreSQL (psycopg 3 and a connection pool), for many processes."""

from runtime.store.postgres.connection import Unavailable
from runtime.store.postgres.schema import latest_version, migrate
from runtime.store.postgres.store import PostgresStore, is_postgres_url

__all__ = ["PostgresStore", "Unavailable", "is_postgres_url", "latest_version", "migrate"]
