"""MySQL 5.7/8.0/8.4 and Percona Server 8.0 in Docker containers, via testcontainers.

Used only where a Docker engine answers (`availability` pings it with a short
timeout). Not exercised on the machines this package was written on, which have the
docker CLI but no engine, so this backend is deliberately small:

- Options go on the container's command line: the official images pass arguments
  that start with `-` on to mysqld (https://hub.docker.com/_/mysql, "Configuration
  without a cnf file"); Percona's image does the same.
- Changing options, and therefore `restart`, starts a fresh container: data and
  binlogs do not survive it, and the port changes.
- The binlogs live in the container's `/var/lib/mysql`. `binlog_files()` copies the
  current ones out through the engine's archive API into `binlog_dir`, a local
  directory, so the copies are a snapshot taken at that call.
- `logs()` returns the container's output, where these images send the error log.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from .base import (
    Flavour,
    Server,
    ServerError,
    ServerStartError,
    ServerUnavailable,
    one_line,
    render_options,
    track,
    untrack,
)
from .local import DEFAULT_PASSWORD, mysql_auth_plugin

#: Backend name -> image. The tags follow each series' latest release.
IMAGES: dict[str, str] = {
    "mysql-5.7": "mysql:5.7",
    "mysql-8.0": "mysql:8.0",
    "mysql-8.4": "mysql:8.4",
    "percona-8.0": "percona/percona-server:8.0",
}

CONTAINER_DATADIR = "/var/lib/mysql"


def availability(timeout: float = 2.0) -> tuple[bool, str]:
    """Whether a Docker engine answers a ping within `timeout` seconds."""
    try:
        import docker  # the Docker SDK, a dependency of testcontainers
    except ImportError:
        return False, "unavailable: the docker Python package is not installed"
    try:
        client = docker.from_env(timeout=int(max(timeout, 1)))
        client.ping()
    except Exception:  # the SDK raises several unrelated types here
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        return False, f"unavailable: no Docker engine answers at {where}"
    return True, "a Docker engine answers"


class DockerServer(Server):
    """One MySQL-family server in a throwaway container."""

    flavour: Flavour = "mysql"

    def __init__(
        self,
        name: str,
        workdir: Path | None = None,
        *,
        password: str = DEFAULT_PASSWORD,
        start_timeout: float = 180.0,
    ) -> None:
        super().__init__()
        if name not in IMAGES:
            raise ValueError(f"no Docker image for {name!r}")
        self.name = name
        self.image = IMAGES[name]
        self.password = password
        self.start_timeout = start_timeout
        self.auth_plugin = (
            "mysql_native_password" if name == "mysql-5.7" else "caching_sha2_password"
        )
        self._container: Any = None
        self._workdir = workdir
        self._local: Path | None = None

    @property
    def running(self) -> bool:
        return self._container is not None

    @property
    def port(self) -> int:
        if self._container is None:
            raise ServerError(f"{self.name}: port is known only after start()")
        return int(self._container.get_exposed_port(3306))

    def start(self) -> None:
        if self.running:
            return
        ok, reason = availability()
        if not ok:
            raise ServerUnavailable(f"{self.name}: {reason}")
        try:
            from testcontainers.community.mysql import MySqlContainer
        except ImportError:  # testcontainers before the "community" split
            from testcontainers.mysql import MySqlContainer

        arguments = [
            "--server-id=1",
            "--log-bin=binlog",
            "--binlog-format=ROW",
            "--skip-name-resolve",
            *render_options(self._options),
        ]
        container = MySqlContainer(self.image, username="root", password=self.password)
        container.with_command(arguments)
        try:
            container.start()
        except Exception as error:
            raise ServerStartError(
                f"{self.name}: container did not start: {one_line(str(error))}"
            ) from None
        self._container = container
        track(self)
        self.host = container.get_container_host_ip()
        (version,) = self.execute("SELECT VERSION()")[0]
        self._version = str(version)
        self.auth_plugin = mysql_auth_plugin(self._version)

    def stop(self) -> None:
        if self._container is not None:
            self._container.stop()
            self._container = None

    def close(self) -> None:
        self.stop()
        untrack(self)
        if self._local is not None:
            shutil.rmtree(self._local, ignore_errors=True)
            self._local = None

    @property
    def binlog_dir(self) -> Path:
        """A local directory that `binlog_files()` fills with copies."""
        if self._local is None:
            self._local = Path(
                tempfile.mkdtemp(prefix=f"mysqlproto-{self.name}-", dir=self._workdir)
            )
        return self._local

    def binlog_files(self) -> list[Path]:
        """Copy the current binlog files out of the container; return the copies."""
        paths = []
        wrapped = self._container.get_wrapped_container()
        for name in self.binlog_names():
            stream, _ = wrapped.get_archive(f"{CONTAINER_DATADIR}/{name}")
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
                member = archive.extractfile(name)
                if member is None:
                    raise ServerError(f"{self.name}: {name} is not a file in the container")
                target = self.binlog_dir / name
                target.write_bytes(member.read())
            paths.append(target)
        return paths

    def logs(self, lines: int = 40) -> str:
        if self._container is None:
            return ""
        stdout, stderr = self._container.get_logs()
        text = (stdout + stderr).decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])
