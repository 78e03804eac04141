"""Real MySQL/MariaDB servers for the conformance suite and the tests.

Each backend provisions, starts, configures and stops one kind of server behind the
`Server` interface (`base.py`):

| name            | backend                                        |
|-----------------|------------------------------------------------|
| `mariadb-10.11` | the host's Debian 12 packages (`host.py`)      |
| `mysql-9.7`     | a cached Debian sid chroot (`chroot.py`)       |
| `mariadb-11.8`  | a cached Debian sid chroot (`chroot.py`)       |
| `mysql-5.7`, `mysql-8.0`, `mysql-8.4`, `percona-8.0` | Docker, where an engine answers (`docker.py`) |
| `dsn:mysql://user:pass@host:port` | a server someone else runs (`dsn.py`) |

`LOCAL_REQUIRED` are the ones every CI machine must be able to run.

    server = get_server("mysql-9.7")
    with server:                        # start(); close() on exit
        server.configure({"binlog_checksum": "NONE"})   # restarts
        server.reset()
        ...
        paths = server.binlog_files()

`python -m conformance.servers provision|status|start` is the command line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import chroot, docker, dsn, host
from .base import (
    PortInUseError,
    ProvisionError,
    Server,
    ServerError,
    ServerStartError,
    ServerUnavailable,
    live_servers,
    stop_all,
)
from .system import Log, quiet

__all__ = [
    "BACKENDS",
    "LOCAL_REQUIRED",
    "Backend",
    "PortInUseError",
    "ProvisionError",
    "Server",
    "ServerError",
    "ServerStartError",
    "ServerUnavailable",
    "available",
    "get_server",
    "live_servers",
    "provision",
    "require_or_skip",
    "stop_all",
]


@dataclass(frozen=True)
class Backend:
    """How to make, check and provision the servers of one name.

    Calling it makes a (stopped) server: `backend(workdir=..., **options)`.
    """

    name: str
    create: Callable[..., Server]
    availability: Callable[[], tuple[bool, str]]
    provision: Callable[[Log], str]

    def __call__(self, workdir: Path | None = None, **kwargs: Any) -> Server:
        return self.create(workdir=workdir, **kwargs)


def _chroot_backend(name: str) -> Backend:
    spec = chroot.SPECS[name]
    return Backend(
        name=name,
        create=lambda workdir=None, **kw: chroot.ChrootServer(spec, workdir, **kw),
        availability=lambda: chroot.availability(spec),
        provision=lambda log: chroot.provision(spec, log=log),
    )


def _docker_provision(name: str) -> Callable[[Log], str]:
    def provision(log: Log) -> str:
        ok, reason = docker.availability()
        if not ok:
            raise ServerUnavailable(f"{name}: {reason}")
        return f"{docker.IMAGES[name]} is pulled on first start"

    return provision


def _docker_backend(name: str) -> Backend:
    return Backend(
        name=name,
        create=lambda workdir=None, **kw: docker.DockerServer(name, workdir, **kw),
        availability=docker.availability,
        provision=_docker_provision(name),
    )


BACKENDS: Mapping[str, Backend] = {
    host.NAME: Backend(
        name=host.NAME,
        create=host.HostMariaDB,
        availability=host.availability,
        provision=host.provision,
    ),
    **{name: _chroot_backend(name) for name in chroot.SPECS},
    **{name: _docker_backend(name) for name in docker.IMAGES},
}

#: The backends every CI machine must run; on CI a missing one is a failure.
LOCAL_REQUIRED = ["mariadb-10.11", "mysql-9.7", "mariadb-11.8"]


def _backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        known = ", ".join([*BACKENDS, dsn.PREFIX + "mysql://user:pass@host:port"])
        raise ValueError(f"unknown server {name!r}; known: {known}") from None


def get_server(name: str, workdir: Path | None = None, **kwargs: Any) -> Server:
    """A stopped server of backend `name` (or `dsn:<DSN>`); `start()` it to use it."""
    if name.startswith(dsn.PREFIX):
        return dsn.DsnServer(name[len(dsn.PREFIX) :], workdir)
    return _backend(name)(workdir=workdir, **kwargs)


def available(name: str) -> tuple[bool, str]:
    """Whether `name` can run here, and why (not) in one line. Does not provision."""
    if name.startswith(dsn.PREFIX):
        return dsn.availability(name[len(dsn.PREFIX) :])
    return _backend(name).availability()


def provision(name: str, log: Log = quiet) -> str:
    """Install or build what `name` needs; returns a one-line summary.

    Raises `ServerUnavailable` when it cannot be done on this machine and
    `ProvisionError` when trying failed.
    """
    if name.startswith(dsn.PREFIX):
        ok, reason = dsn.availability(name[len(dsn.PREFIX) :])
        if not ok:
            raise ServerUnavailable(reason)
        return reason
    return _backend(name).provision(log)


def on_ci() -> bool:
    """Whether this is a CI run (`CI=true`, as GitHub Actions and most CIs set)."""
    return os.environ.get("CI") == "true"


def require_or_skip(name: str) -> None:
    """In a pytest test: skip when backend `name` cannot run here, fail instead on CI.

    CI must run every local backend, so there a missing one is a failure.
    """
    import pytest

    ok, reason = available(name)
    if ok:
        return
    message = f"{name}: {reason}"
    if on_ci():
        pytest.fail(f"required on CI: {message}", pytrace=False)
    pytest.skip(message)
