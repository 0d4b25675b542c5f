"""The PostgreSQL schema: created from nothing, migrated from every earlier version,
recorded, idempotent; a newer or unreachable database is one clear line."""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg
import pytest

from runtime.services import LIFECYCLE
from runtime.store import StoreError
from runtime.store.postgres import PostgresStore, latest_version, migrate
from runtime.store.postgres.schema import current_version, migrations
from tests.pg import Server
from tests.runtime.store.conftest import make_case

TABLES = {"cases", "tasks", "users", "tokens", "files", "blobs", "settings", "sequences",
          "schema_migrations", "admin_versions", "admin_drafts", "admin_audit", "sessions",
          "limits", "notices", "jobs", "records", "stat_facts", "stat_meta", "stat_days",
          "stat_histogram"}


def _tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row[0] for row in rows}


def test_migration_files_are_numbered_without_gaps() -> None:
    steps = migrations()
    assert [m.version for m in steps] == list(range(1, latest_version() + 1))
    assert steps[0].name == "initial"
    assert "CREATE TABLE cases" in steps[0].sql


def test_opening_an_empty_database_creates_and_records_the_schema(pg_empty_url: str) -> None:
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        assert current_version(conn) == 0
        assert _tables(conn) == set()
    store = PostgresStore(pg_empty_url, pool_size=1, lifecycle=LIFECYCLE)
    with store.write() as tx:
        tx.put_case(make_case(1))
    store.close()
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        assert _tables(conn) == TABLES
        recorded = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [tuple(r) for r in recorded] == [(m.version, m.name) for m in migrations()]
        assert migrate(conn) == []  # running again changes nothing
        assert current_version(conn) == latest_version()
    # a restart keeps the data
    again = PostgresStore(pg_empty_url, pool_size=1, lifecycle=LIFECYCLE)
    assert again.get_case("c_00001")["rev"] == 1  # type: ignore[index]
    again.close()


@pytest.mark.parametrize("start", range(latest_version()))
def test_every_earlier_version_migrates_to_the_latest(pg_empty_url: str, start: int) -> None:
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        assert migrate(conn, target=start) == list(range(1, start + 1))
        assert current_version(conn) == start
        assert migrate(conn) == list(range(start + 1, latest_version() + 1))
        assert current_version(conn) == latest_version()
        assert _tables(conn) == TABLES


def test_a_database_of_a_newer_schema_is_refused_untouched(pg_url: str) -> None:
    newer = latest_version() + 1
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, 'future')",
                     (newer,))
    with pytest.raises(StoreError) as caught:
        PostgresStore(pg_url, pool_size=1, lifecycle=LIFECYCLE)
    message = str(caught.value)
    assert f"schema version {newer}" in message and "upgrade onewindow" in message
    assert "\n" not in message
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert current_version(conn) == newer


def test_an_unreachable_database_is_one_line_without_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        PostgresStore("postgresql://ow:s3cret@127.0.0.1:1/onewindow", timeout=2,
                      lifecycle=LIFECYCLE)
    message = str(caught.value)
    assert message.startswith("cannot connect to PostgreSQL at ow@127.0.0.1:1/onewindow: ")
    assert "s3cret" not in message and "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_malformed_url_is_one_line() -> None:
    with pytest.raises(StoreError, match=r"not a PostgreSQL URL .*postgresql://USER"):
        PostgresStore("postgresql://a b c", lifecycle=LIFECYCLE)


def test_a_missing_permission_is_one_line(pg_server: Server, pg_empty_url: str) -> None:
    """A role that may connect but not create tables: the schema cannot be made."""
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS ow_reader")
        conn.execute("CREATE ROLE ow_reader LOGIN")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    parts = urlsplit(pg_empty_url)
    url = parts._replace(netloc=f"ow_reader@{parts.hostname}:{parts.port}").geturl()
    try:
        with pytest.raises(StoreError) as caught:
            PostgresStore(url, pool_size=1, lifecycle=LIFECYCLE)
        assert str(caught.value).startswith("cannot prepare the schema in PostgreSQL at ")
        assert "permission denied" in str(caught.value)
    finally:
        with psycopg.connect(pg_server.url, autocommit=True) as conn:
            conn.execute("DROP OWNED BY ow_reader CASCADE")
            conn.execute("DROP ROLE ow_reader")


def test_tokens_of_version_2_keep_working_after_the_move_to_3(pg_empty_url: str) -> None:
    """Version 3 gave tokens a record: the tokens a version 2 database holds get one."""
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        migrate(conn, target=2)
        conn.execute("INSERT INTO users (id, name, doc) VALUES ('u_1', 'li', "
                     "'{\"id\": \"u_1\", \"name\": \"li\"}')")
        conn.execute("INSERT INTO tokens (token_hash, user_id) VALUES ('h1', 'u_1')")
    store = PostgresStore(pg_empty_url, pool_size=1, lifecycle=LIFECYCLE)
    try:
        assert store.get_token("h1") == {"token_hash": "h1", "user": "u_1"}
        assert store.list_tokens("u_1") == [{"token_hash": "h1", "user": "u_1"}]
        assert store.user_for_token("h1") == {"id": "u_1", "name": "li"}
    finally:
        store.close()


def test_a_read_only_database_is_one_line(pg_url: str) -> None:
    """A standby, or a database set read-only: refused at start, saying why."""
    name = psycopg.conninfo.conninfo_to_dict(pg_url)["dbname"]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    try:
        with pytest.raises(StoreError) as caught:
            PostgresStore(pg_url, pool_size=1, lifecycle=LIFECYCLE)
        message = str(caught.value)
        assert "is read-only" in message and "primary" in message and "\n" not in message
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("SET default_transaction_read_only = off")
            conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')
