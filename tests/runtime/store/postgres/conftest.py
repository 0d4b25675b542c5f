"""Fixtures of the PostgreSQL store's own tests: the session's throwaway server."""

from tests.pg import pg_empty_url, pg_server, pg_url  # noqa: F401  (fixtures)
