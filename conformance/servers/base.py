"""The interface every server backend implements, its errors, and the live-server registry.

A `Server` is one real MySQL or MariaDB server listening on 127.0.0.1 with binary
logging on, `server_id=1` and `binlog_format=ROW`, reachable as `root` with a known
password. Backends differ in where the server binary comes from (the host's packages,
a Debian sid chroot, a Docker image, or a server someone else runs) and in whether the
binlog files can be read directly from the test process (`binlog_dir`).

Every server this process starts is recorded in a module-level set and closed at
interpreter exit and on SIGTERM/SIGHUP, so a failing or interrupted test run does not
leave servers behind (`stop_all`).

Errors: `ServerError` is the root. `ServerUnavailable` says a backend cannot run on
this machine at all, `ProvisionError` that installing or building it failed,
`ServerStartError` (and `PortInUseError`) that a provisioned server did not come up.
Their messages are one line, so a CI log shows the cause without scrolling. Misuse of
the API (an option that would move the data directory, say) raises `ValueError`.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import re
import signal
import socket
import ssl
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Literal, Self

import pymysql

Flavour = Literal["mysql", "mariadb"]
OptionValue = str | int | bool | None
Options = Mapping[str, OptionValue]

LOOPBACK = "127.0.0.1"

#: Databases that `Server.reset` keeps; everything else is dropped.
SYSTEM_DATABASES = frozenset({"mysql", "information_schema", "performance_schema", "sys"})

#: Options the backends set themselves; `configure` refuses them because changing them
#: would lose track of the process, its files or its address.
PROTECTED_OPTIONS = frozenset(
    {
        "basedir",
        "bind_address",
        "datadir",
        "defaults_extra_file",
        "defaults_file",
        "log_bin",
        "log_bin_index",
        "log_error",
        "no_defaults",
        "pid_file",
        "port",
        "skip_networking",
        "socket",
        "user",
    }
)

_OPTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


class ServerError(Exception):
    """Root of every error raised by `conformance.servers`."""


class ServerUnavailable(ServerError):
    """The backend cannot run on this machine; the message says why in one line."""


class ProvisionError(ServerError):
    """Installing or building what a backend needs failed."""


class ServerStartError(ServerError):
    """A server did not become ready.

    The message is one line: the server's name, the reason, and the last relevant
    error-log line.
    """


class PortInUseError(ServerStartError):
    """The TCP port a server was asked to listen on is taken by another process."""


def one_line(text: str, limit: int = 300) -> str:
    """Squash whitespace so `text` fits in one log line, cut to `limit` characters."""
    squashed = " ".join(text.split())
    return squashed if len(squashed) <= limit else squashed[: limit - 3] + "..."


def option_name(key: str) -> str:
    """Normalise a mysqld option name the way mysqld does: dashes and underscores match.

    https://dev.mysql.com/doc/refman/8.4/en/command-line-options.html
    ("dashes and underscores may be used interchangeably").
    """
    return key.replace("-", "_").lower()


def render_options(options: Options) -> list[str]:
    """Render `options` as mysqld command-line arguments, in order.

    `True`/`False` become `=ON`/`=OFF`, `None` a bare `--name` (a flag), anything else
    `--name=value`. Raises `ValueError` for a name that is not an option name (it
    would let one key smuggle in more arguments) or for a `PROTECTED_OPTIONS` name.
    """
    args = []
    for key, value in options.items():
        if not _OPTION_NAME.match(key):
            raise ValueError(f"not a mysqld option name: {key!r}")
        if option_name(key) in PROTECTED_OPTIONS:
            raise ValueError(f"option {key!r} is set by the backend and cannot be configured")
        if value is None:
            args.append(f"--{key}")
        elif isinstance(value, bool):
            args.append(f"--{key}={'ON' if value else 'OFF'}")
        else:
            args.append(f"--{key}={value}")
    return args


def version_tuple(version: str) -> tuple[int, int, int]:
    """The leading `major.minor.patch` of a VERSION() string like `10.11.19-MariaDB-log`."""
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"not a server version: {version!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch)


def reset_binlogs_statement(flavour: Flavour, version: str) -> str:
    """The statement that deletes all binlogs and starts a fresh `.000001`.

    MySQL 8.2 added `RESET BINARY LOGS AND GTIDS` and 8.4 dropped `RESET MASTER`
    (https://dev.mysql.com/doc/refman/8.4/en/reset-binary-logs-and-gtids.html);
    MariaDB keeps `RESET MASTER` (https://mariadb.com/kb/en/reset-master/).
    """
    if flavour == "mysql" and version_tuple(version) >= (8, 2, 0):
        return "RESET BINARY LOGS AND GTIDS"
    return "RESET MASTER"


def insecure_tls_context() -> ssl.SSLContext:
    """A TLS context that encrypts but does not verify: for servers' self-signed certs.

    MySQL 8.0+ generates a self-signed CA and server certificate in the data directory
    at start-up (`auto_generate_certs`,
    https://dev.mysql.com/doc/refman/8.4/en/creating-ssl-rsa-files-using-mysql.html),
    so there is nothing to verify against; this only ever talks to 127.0.0.1.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Server(ABC):
    """One real MySQL/MariaDB server behind a uniform interface.

    Subclasses set `name`, `flavour`, `password` and implement `start`, `stop`,
    `running`, `port`, `binlog_dir` and `logs`. The rest (`configure`, `reset`,
    `connect`, `binlog_files`, ...) works over SQL and is shared.

    `auth_plugin` names the plugin the root account uses over TCP. With
    `caching_sha2_password` (MySQL 8.4 and later, where `mysql_native_password` is
    off by default or gone) `connect` uses TLS: the plugin then sends the password
    inside the TLS channel, which PyMySQL supports with the standard library alone.
    Over plain TCP the first login of an account after a server start would need an
    RSA key exchange, which needs the `cryptography` package
    (https://dev.mysql.com/doc/refman/8.4/en/caching-sha2-pluggable-authentication.html).
    Once that TLS login succeeded, the server caches the account's hash, and later
    plain-TCP logins take the "fast auth" path with no TLS or RSA at all; `start`
    makes one such login, so a protocol client that only implements the scramble can
    log in afterwards too.
    """

    name: str
    flavour: Flavour
    host: str = LOOPBACK
    user: str = "root"
    password: str
    auth_plugin: str = "mysql_native_password"

    def __init__(self) -> None:
        self._options: dict[str, OptionValue] = {}
        self._version: str | None = None

    # -- lifecycle ---------------------------------------------------------------------

    @abstractmethod
    def start(self) -> None:
        """Start the server (provisioning it first if needed) and wait until it answers."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the server; a no-op when it is not running."""

    @property
    @abstractmethod
    def running(self) -> bool:
        """Whether the server process is up."""

    def restart(self) -> None:
        """Stop and start again with the current options."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop and release everything the server holds (for temporary ones, its files)."""
        self.stop()

    def __enter__(self) -> Self:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- address -----------------------------------------------------------------------

    @property
    @abstractmethod
    def port(self) -> int:
        """The TCP port on `host`; for local backends, valid once started."""

    @property
    def dsn(self) -> str:
        """`mysql://root:PASSWORD@127.0.0.1:PORT`."""
        return f"mysql://{self.user}:{self.password}@{self.host}:{self.port}"

    @property
    def version(self) -> str:
        """`SELECT VERSION()` as read at the last start."""
        if self._version is None:
            raise ServerError(f"{self.name}: version is known only after start()")
        return self._version

    # -- binlogs -----------------------------------------------------------------------

    @property
    @abstractmethod
    def binlog_dir(self) -> Path | None:
        """Host directory holding the binlog files, or None when they are not local."""

    @property
    def binlog_basename(self) -> str:
        """The file-name stem of the binlog files (`binlog` for `binlog.000001`)."""
        return "binlog"

    def binlog_names(self) -> list[str]:
        """Names of the current binlog files, oldest first (`SHOW BINARY LOGS`)."""
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SHOW BINARY LOGS")
            return [row[0] for row in cursor.fetchall()]

    def binlog_files(self) -> list[Path] | list[str]:
        """Paths of the current binlog files, oldest first.

        Names only (as from `binlog_names`) when `binlog_dir` is None.
        """
        names = self.binlog_names()
        directory = self.binlog_dir
        if directory is None:
            return names
        return [directory / name for name in names]

    def flush_binlogs(self) -> None:
        """Close the current binlog file and open the next one (`FLUSH BINARY LOGS`)."""
        self.execute("FLUSH BINARY LOGS")

    # -- configuration -----------------------------------------------------------------

    @property
    def options(self) -> dict[str, OptionValue]:
        """The mysqld options set by the last `configure`."""
        return dict(self._options)

    def configure(self, options: Options) -> None:
        """Replace the extra mysqld options and restart with them if running.

        Options are given on the command line, so a static variable (such as
        `gtid_mode` together with `enforce_gtid_consistency`) takes effect too. The
        mapping replaces the previous one: `configure({})` goes back to the defaults.
        Values render as in `render_options`, which also rejects bad names.
        """
        render_options(options)
        self._options = dict(options)
        if self.running:
            self.restart()

    def reset(self) -> None:
        """Drop every non-system database, then delete all binlogs and GTID history.

        After this the server writes a fresh `<basename>.000001`, so one scenario's
        binlog does not carry the previous one's events. Faster than re-initialising
        the data directory.
        """
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SHOW DATABASES")
            for (database,) in cursor.fetchall():
                if database.lower() not in SYSTEM_DATABASES:
                    cursor.execute(f"DROP DATABASE `{database.replace('`', '``')}`")
            cursor.execute(reset_binlogs_statement(self.flavour, self.version))

    # -- SQL ---------------------------------------------------------------------------

    def connect(self, **kwargs: Any) -> pymysql.connections.Connection[Any]:
        """A PyMySQL connection as root, autocommit on; `kwargs` override the defaults."""
        params: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "autocommit": True,
            "connect_timeout": 10,
        }
        if self.auth_plugin == "caching_sha2_password" and "ssl_disabled" not in kwargs:
            params["ssl"] = insecure_tls_context()
        params.update(kwargs)
        return pymysql.connect(**params)

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one statement on a fresh connection and return its rows."""
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    # -- diagnostics -------------------------------------------------------------------

    @abstractmethod
    def logs(self, lines: int = 40) -> str:
        """The last `lines` lines of the server's error log, for diagnostics."""

    def __repr__(self) -> str:
        state = f"port {self.port}" if self.running else "stopped"
        return f"<{type(self).__name__} {self.name} {state}>"


# -- free ports ------------------------------------------------------------------------


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on `host` that nothing listens on now, chosen by the kernel (bind to 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a server could bind `host:port` now.

    The probe sets SO_REUSEADDR as mysqld does, so a port held only by TIME_WAIT
    connections counts as free, as it is for mysqld.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
        return True


# -- live servers ----------------------------------------------------------------------

_live: set[Server] = set()
_live_lock = threading.Lock()
_hooks_installed = False
_previous_handlers: dict[int, Any] = {}


def track(server: Server) -> None:
    """Record a server being started so `stop_all` closes it; installs the exit hooks once.

    A server stays recorded until `close()`, so a stopped one still gets its temporary
    files removed at exit.
    """
    global _hooks_installed
    with _live_lock:
        _live.add(server)
        if not _hooks_installed:
            atexit.register(stop_all)
            _install_signal_handlers()
            _hooks_installed = True


def untrack(server: Server) -> None:
    """Forget a server that has been closed."""
    with _live_lock:
        _live.discard(server)


def live_servers() -> list[Server]:
    """The servers this process started and has not closed yet."""
    with _live_lock:
        return list(_live)


def stop_all() -> None:
    """Close every server this process started; errors are reported, not raised."""
    for server in live_servers():
        try:
            server.close()
        except Exception as error:  # keep stopping the others
            print(f"conformance.servers: closing {server.name}: {error}", file=sys.stderr)
        untrack(server)


def _install_signal_handlers() -> None:
    """Stop live servers on SIGTERM/SIGHUP, then die of the signal as before.

    Only the main thread may set handlers; elsewhere `atexit` is the only guard.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous = signal.getsignal(signum)
        if previous is signal.SIG_IGN:
            continue
        _previous_handlers[signum] = previous
        signal.signal(signum, _on_signal)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    stop_all()
    previous = _previous_handlers.get(signum)
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL)
    with contextlib.suppress(OSError):
        os.kill(os.getpid(), signum)
