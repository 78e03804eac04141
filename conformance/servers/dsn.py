"""A server someone else runs, named by `mysql://user:password@host:port`.

Nothing is started or stopped (`start` only checks the server answers and reads its
version and flavour), options cannot be changed, and the binlog files are not on this
machine: `binlog_dir` is None and `binlog_files()` returns names, which a client has to
stream from the server. `reset()` wipes databases and binlogs, so it only runs when
the DSN says `?allow_reset=1`.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, unquote, urlsplit

import pymysql

from .base import Flavour, Options, Server, ServerError, ServerStartError, one_line

PREFIX = "dsn:"


class DsnServer(Server):
    """A server named by DSN; see the module docstring."""

    def __init__(self, dsn: str, workdir: Path | None = None) -> None:
        super().__init__()
        parts = urlsplit(dsn)
        if parts.scheme not in ("mysql", "mariadb") or not parts.hostname:
            raise ValueError(f"not a mysql://user:password@host:port DSN: {dsn!r}")
        self.host = parts.hostname
        self._port = parts.port or 3306
        self.user = unquote(parts.username or "root")
        self.password = unquote(parts.password or "")
        self.allow_reset = parse_qs(parts.query).get("allow_reset", ["0"])[0] in ("1", "true")
        self.name = f"{PREFIX}mysql://{self.user}@{self.host}:{self._port}"
        self.flavour: Flavour = "mariadb" if parts.scheme == "mariadb" else "mysql"
        self._basename = "binlog"
        self._started = False

    @property
    def port(self) -> int:
        return self._port

    @property
    def running(self) -> bool:
        return self._started

    def start(self) -> None:
        """Check the server answers; learn its version, flavour and binlog basename."""
        try:
            rows = self.execute("SELECT VERSION(), @@log_bin_basename")
        except pymysql.MySQLError as error:
            raise ServerStartError(
                f"{self.name}: does not answer: {one_line(str(error))}"
            ) from None
        version, basename = rows[0]
        self._version = str(version)
        self.flavour = "mariadb" if "mariadb" in self._version.lower() else "mysql"
        if basename:
            self._basename = PurePosixPath(str(basename)).name
        self._started = True

    def stop(self) -> None:
        """Nothing to stop: the server is not ours."""
        self._started = False

    def configure(self, options: Options) -> None:
        raise ServerError(f"{self.name}: options of a server named by DSN cannot be changed")

    def reset(self) -> None:
        if not self.allow_reset:
            raise ServerError(
                f"{self.name}: reset() would drop databases and binlogs; add ?allow_reset=1 to the DSN"
            )
        super().reset()

    @property
    def binlog_dir(self) -> None:
        return None

    @property
    def binlog_basename(self) -> str:
        return self._basename

    def logs(self, lines: int = 40) -> str:
        return "(the error log of a server named by DSN is not available here)"


def availability(dsn: str) -> tuple[bool, str]:
    """Whether the server named by `dsn` answers."""
    try:
        server = DsnServer(dsn)
        server.start()
    except (ValueError, ServerError) as error:
        return False, one_line(str(error))
    return True, f"{server.name} answers: {server.version}"
