"""pytest fixtures for real servers: one server per name per session.

Load it with `-p conformance.servers.pytest_plugin` (or `pytest_plugins` in the root
conftest.py), or import the fixtures into a test module.

- `real_server`: parametrized over `LOCAL_REQUIRED`, so a test using it runs once per
  local backend.
- `mariadb_1011`, `mysql_97`, `mariadb_118`: one named server each.

The same name always gives the same server within a session (`server_pool`), started
on first use and stopped at session end; `atexit`/SIGTERM hooks in `base` cover
interrupted runs. A backend that cannot run here skips the test, except on CI
(`CI=true`), where it fails it: CI must run every local backend.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import LOCAL_REQUIRED, Server, get_server, require_or_skip

__all__ = [
    "mariadb_1011",
    "mariadb_118",
    "mysql_97",
    "real_server",
    "require_or_skip",
    "server_pool",
]


class ServerPool:
    """The session's servers by name, started on first request, closed together."""

    def __init__(self) -> None:
        self._servers: dict[str, Server] = {}

    def get(self, name: str) -> Server:
        server = self._servers.get(name)
        if server is None:
            require_or_skip(name)
            server = get_server(name)
            self._servers[name] = server
        if not server.running:
            server.start()
        return server

    def close(self) -> None:
        for server in self._servers.values():
            server.close()
        self._servers.clear()


@pytest.fixture(scope="session")
def server_pool() -> Iterator[ServerPool]:
    pool = ServerPool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session", params=LOCAL_REQUIRED)
def real_server(request: pytest.FixtureRequest, server_pool: ServerPool) -> Server:
    """Each local backend's session server in turn."""
    return server_pool.get(request.param)


@pytest.fixture(scope="session")
def mariadb_1011(server_pool: ServerPool) -> Server:
    return server_pool.get("mariadb-10.11")


@pytest.fixture(scope="session")
def mysql_97(server_pool: ServerPool) -> Server:
    return server_pool.get("mysql-9.7")


@pytest.fixture(scope="session")
def mariadb_118(server_pool: ServerPool) -> Server:
    return server_pool.get("mariadb-11.8")
