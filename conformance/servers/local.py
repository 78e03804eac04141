"""A mysqld/mariadbd process run by this process, with a private data directory.

Shared by the host backend (root `/`) and the chroot backends (root = the chroot). The
server sees paths relative to its root; this process reads the same files through the
host path `root / inner`, which is how binlog files are read directly.

Theory of operation of `start`:

1. `provision()` (backend-specific; a no-op once done) and `_before_start()` (the
   chroot backend mounts /proc).
2. Initialise the data directory once: `mysqld --initialize-insecure` with an
   `--init-file`, or `mariadb-install-db` with an `--extra-file`; either runs the SQL
   that gives `root@127.0.0.1` a password.
3. Pick a port: the fixed one (its being taken is a `PortInUseError` at once), or one
   the kernel hands out for port 0.
4. Spawn the server with `--no-defaults` first so no host or chroot `my.cnf` leaks in,
   then poll until the error log says "ready for connections" and a TCP login plus
   `SELECT 1` reaches a server whose `@@datadir` is ours, the process dies, or the
   timeout passes. Death with "Address already in use" in the new part of the error
   log means another process took the port in between: an automatically chosen port
   is replaced and the start retried (three tries), a fixed one raises
   `PortInUseError`.

`stop` asks for `SHUTDOWN` over SQL, then sends SIGTERM, then SIGKILL, each with a
bounded wait, so it always returns and never leaves the process behind. Servers are
closed by `base.stop_all` at exit and on SIGTERM; against SIGKILL of this process, a
server started from the main thread is tied to it (`system.die_with_parent`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pymysql

from .base import (
    LOOPBACK,
    Flavour,
    PortInUseError,
    Server,
    ServerError,
    ServerStartError,
    ServerUnavailable,
    free_port,
    one_line,
    port_is_free,
    render_options,
    track,
    untrack,
    version_tuple,
)
from .system import die_with_parent

DEFAULT_PASSWORD = "mysqlproto"

#: Paths of the programs, as the server's root sees them (Debian packaging).
SERVER_BINARY: dict[Flavour, str] = {"mysql": "/usr/sbin/mysqld", "mariadb": "/usr/sbin/mariadbd"}
MARIADB_INSTALL_DB = "/usr/bin/mariadb-install-db"

#: Error-log text meaning the TCP port was taken. MySQL writes "Bind on TCP/IP port:
#: Address already in use" (ER_CONN_TCP_ADDRESS_IN_USE); MariaDB "Bind on TCP/IP port.
#: Got error: 98: Address already in use".
_ADDRESS_IN_USE = re.compile(r"Address already in use|errno: 98|error: 98", re.IGNORECASE)

#: Error-log lines that follow the real error and say nothing about its cause.
_AFTERMATH = re.compile(
    r"Aborting|Shutdown complete|Binlog end|MY-010119|MY-010120|MY-015016|"
    r"Server - end|Can't start server: Bind on Unix socket",
    re.IGNORECASE,
)

#: Timeouts (seconds) for this module's own connections: a server that accepts TCP but
#: never answers must not hang a start or a stop.
PROBE_TIMEOUTS = {"connect_timeout": 2, "read_timeout": 5, "write_timeout": 5}

#: Seconds to wait for the "ready for connections" log line before probing anyway.
READY_LINE_WAIT = 10.0

#: The longest Unix socket path the kernel takes (sun_path is 108 bytes with the NUL).
_MAX_SOCKET_PATH = 107


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def relevant_error_line(log_text: str) -> str:
    """The error-log line that best explains a failed start, from that start's log.

    The first `[ERROR]` line that is not aftermath (`Aborting`, `Binlog end`, ...):
    later errors are usually consequences (MariaDB follows a bad value with "Parsing
    options for plugin ... failed" and "Failed to initialize plugins"). Else the last
    `[ERROR]` line, else the last non-blank line, else ''.
    """
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    errors = [line for line in lines if "[ERROR]" in line.upper()]
    for line in errors:
        if not _AFTERMATH.search(line):
            return _without_timestamp(line)
    if errors:
        return _without_timestamp(errors[-1])
    return lines[-1] if lines else ""


def _without_timestamp(line: str) -> str:
    """`[ERROR] ...` without the timestamp and thread id the servers put in front."""
    start = line.upper().find("[ERROR]")
    return line[start:] if start > 0 else line


def setup_sql(flavour: Flavour, password: str, auth_plugin: str) -> str:
    """SQL run once at initialisation: root may log in over TCP from 127.0.0.1.

    With `skip_name_resolve` only IP host names match a TCP client, so the installers'
    `root@localhost` (socket only) is not enough. MariaDB's bootstrap runs with grant
    tables off until `FLUSH PRIVILEGES` loads them, and `mariadb-install-db
    --auth-root-authentication-method=normal` already made a passwordless
    `root@127.0.0.1`, hence `CREATE OR REPLACE`
    (https://mariadb.com/kb/en/mariadb-install-db/, https://mariadb.com/kb/en/create-user/).
    """
    quoted = password.replace("\\", "\\\\").replace("'", "''")
    if flavour == "mariadb":
        create = (
            "FLUSH PRIVILEGES;\n"
            f"CREATE OR REPLACE USER 'root'@'{LOOPBACK}' "
            f"IDENTIFIED VIA {auth_plugin} USING PASSWORD('{quoted}');\n"
        )
    else:
        create = f"CREATE USER 'root'@'{LOOPBACK}' IDENTIFIED WITH {auth_plugin} BY '{quoted}';\n"
    return create + f"GRANT ALL PRIVILEGES ON *.* TO 'root'@'{LOOPBACK}' WITH GRANT OPTION;\n"


def mysql_auth_plugin(version: str) -> str:
    """The root account's plugin for a MySQL server of `version`.

    `mysql_native_password` where it is on by default (before 8.4), else
    `caching_sha2_password`: 8.4 disables the native plugin and 9.0 removed it
    (https://dev.mysql.com/doc/refman/8.4/en/native-pluggable-authentication.html).
    """
    return (
        "mysql_native_password" if version_tuple(version) < (8, 4, 0) else "caching_sha2_password"
    )


class LocalServer(Server):
    """A server process this process spawns from binaries under `root`.

    `workdir` is the host path of the server's private directory and must lie under
    `root`; None makes a temporary one that `close()` deletes. It holds `data/`,
    `binlog/` (the binlog files and index), `error.log`, `init.log`, `console.log`
    (the process's stdout/stderr), the pid file and the socket.

    `port` None picks a free port at each start; a fixed port that is taken raises
    `PortInUseError`. `start_timeout` bounds the wait for readiness;
    `shutdown_timeout` and `kill_timeout` bound the waits after `SHUTDOWN` and after
    SIGTERM in `stop`.
    """

    def __init__(
        self,
        *,
        name: str,
        flavour: Flavour,
        root: Path,
        workdir: Path | None = None,
        port: int | None = None,
        password: str = DEFAULT_PASSWORD,
        start_timeout: float = 60.0,
        shutdown_timeout: float = 30.0,
        kill_timeout: float = 15.0,
    ) -> None:
        super().__init__()
        self.name = name
        self.flavour = flavour
        self.root = root.resolve()
        self.password = password
        self.start_timeout = start_timeout
        self.shutdown_timeout = shutdown_timeout
        self.kill_timeout = kill_timeout
        self._fixed_port = port
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._console: IO[bytes] | None = None
        self._workdir_given = workdir is not None
        self._workdir = workdir.resolve() if workdir is not None else None
        if self._workdir is not None:
            self.inner(self._workdir)  # fail early when it is outside the root

    # -- backend hooks -----------------------------------------------------------------

    def provision(self) -> None:
        """Install or build what the server needs; a no-op once done."""

    def command(self, argv: list[str]) -> list[str]:
        """The argv that runs `argv` (paths as the server sees them) under the root."""
        return argv

    def environment(self) -> dict[str, str] | None:
        """The environment for server processes; None inherits this process's."""
        return None

    def _before_start(self) -> None:
        """Prepare the root before the server process starts (chroot: mount /proc)."""

    def _after_stop(self) -> None:
        """Undo `_before_start` once the process is gone."""

    def _new_workdir(self) -> Path:
        """Make a temporary private directory (host path) under the root."""
        return Path(tempfile.mkdtemp(prefix=f"mysqlproto-{self.name}-"))

    # -- paths -------------------------------------------------------------------------

    @property
    def workdir(self) -> Path:
        """Host path of the private directory (made on first use)."""
        if self._workdir is None:
            self._workdir = self._new_workdir().resolve()
        return self._workdir

    def inner(self, host_path: Path) -> str:
        """`host_path` as the server sees it from inside its root."""
        try:
            relative = host_path.relative_to(self.root)
        except ValueError:
            raise ValueError(f"{host_path} is outside {self.name}'s root {self.root}") from None
        return str(PurePosixPath("/") / relative)

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    @property
    def error_log(self) -> Path:
        return self.workdir / "error.log"

    @property
    def binlog_dir(self) -> Path:
        return self.workdir / "binlog"

    @property
    def binlog_index(self) -> Path:
        return self.binlog_dir / f"{self.binlog_basename}.index"

    @property
    def socket_path(self) -> str:
        """The Unix socket path as the server sees it (kept under the kernel's limit)."""
        path = self.inner(self.workdir / "mysqld.sock")
        if len(path.encode()) > _MAX_SOCKET_PATH:
            raise ServerError(f"{self.name}: socket path too long ({len(path)} bytes): {path}")
        return path

    # -- state -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def port(self) -> int:
        if self._port is None:
            if self._fixed_port is not None:
                return self._fixed_port
            raise ServerError(f"{self.name}: port is chosen at start()")
        return self._port

    def server_binary(self) -> Path:
        """Host path of mysqld/mariadbd under the root."""
        return self.root / SERVER_BINARY[self.flavour].lstrip("/")

    def binary_version(self) -> str:
        """The version `mysqld --version` prints, before any server runs."""
        done = subprocess.run(
            self.command([SERVER_BINARY[self.flavour], "--version"]),
            capture_output=True,
            text=True,
            timeout=60,
            env=self.environment(),
        )
        match = re.search(r"Ver\s+(\d+\.\d+\.\d+\S*)", done.stdout)
        if match is None:
            raise ServerStartError(
                f"{self.name}: cannot read the server version: {one_line(done.stdout + done.stderr)}"
            )
        return match.group(1)

    # -- start -------------------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        self.provision()
        if not self.server_binary().is_file():
            raise ServerUnavailable(f"{self.name}: no server binary at {self.server_binary()}")
        if self.flavour == "mysql":
            self.auth_plugin = mysql_auth_plugin(self.binary_version())
        track(self)  # from here on, exit hooks close it even if the start is interrupted
        self._before_start()
        try:
            self._initialize()
            self._start_on_some_port()
        except BaseException:
            self._after_stop()
            raise

    def _start_on_some_port(self) -> None:
        attempts = 1 if self._fixed_port is not None else 3
        for attempt in range(1, attempts + 1):
            if self._fixed_port is not None:
                port = self._fixed_port
                if not port_is_free(port):
                    raise PortInUseError(
                        f"{self.name}: port {port} on {LOOPBACK} is already taken by another process"
                    )
            else:
                port = free_port()
            try:
                self._spawn_and_wait(port)
                return
            except PortInUseError:
                if attempt == attempts:
                    raise

    def server_arguments(self, port: int) -> list[str]:
        """The mysqld command line for a start on `port` (paths as the server sees them).

        `--no-defaults` must come first
        (https://dev.mysql.com/doc/refman/8.4/en/option-file-options.html). `--user=root`
        is needed because mysqld refuses to run as root otherwise. MySQL also gets
        `--secure-file-priv=` (its default directory does not exist in a bare chroot)
        and `--mysqlx=OFF` (no X Plugin port to collide on). Configured options come
        last, and mysqld lets the last occurrence of an option win.
        """
        args = [
            SERVER_BINARY[self.flavour],
            "--no-defaults",
            "--user=root",
            f"--datadir={self.inner(self.datadir)}",
            f"--socket={self.socket_path}",
            f"--pid-file={self.inner(self.workdir / 'mysqld.pid')}",
            f"--log-error={self.inner(self.error_log)}",
            f"--bind-address={LOOPBACK}",
            f"--port={port}",
            "--skip-name-resolve",
            f"--log-bin={self.inner(self.binlog_dir / self.binlog_basename)}",
            "--server-id=1",
            "--binlog-format=ROW",
        ]
        if self.flavour == "mysql":
            args += ["--secure-file-priv=", "--mysqlx=OFF"]
        return args + render_options(self._options)

    def _spawn_and_wait(self, port: int) -> None:
        self.binlog_dir.mkdir(parents=True, exist_ok=True)
        log_offset = self.error_log.stat().st_size if self.error_log.exists() else 0
        self._console = open(self.workdir / "console.log", "ab")
        self._process = subprocess.Popen(
            self.command(self.server_arguments(port)),
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
            # Own session: a Ctrl-C in the terminal reaches this process, which then
            # shuts the server down cleanly, rather than mysqld directly.
            start_new_session=True,
            # The kernel ties the child to the *thread* that forked it, so only a
            # server started from the main thread dies with this process.
            preexec_fn=die_with_parent if _in_main_thread() else None,
            env=self.environment(),
        )
        self._port = port
        try:
            self._wait_until_ready(log_offset)
        except BaseException:
            self._kill_process()
            self._port = None
            raise

    def _wait_until_ready(self, log_offset: int) -> None:
        """Poll until our server answers a login and `SELECT 1`, or fail in bounded time.

        Every connection attempt has connect, read and write timeouts: a port held by
        something that accepts TCP but never sends a greeting must not block the
        wait. An answer only counts when `@@datadir` is ours, so another server that
        squats on the port is not mistaken for this one; meanwhile ours dies with
        "Address already in use", which `_start_failure` turns into `PortInUseError`.
        """
        assert self._process is not None
        started = time.monotonic()
        deadline = started + self.start_timeout
        last_problem = "no answer yet"
        refusals = 0
        while True:
            status = self._process.poll()
            if status is not None:
                raise self._start_failure(f"exited with status {status} while starting", log_offset)
            if not self._says_ready(log_offset) and time.monotonic() - started < READY_LINE_WAIT:
                time.sleep(0.1)
                continue
            try:
                with self.connect(**PROBE_TIMEOUTS) as conn, conn.cursor() as cursor:
                    cursor.execute("SELECT 1")
                    cursor.execute("SELECT VERSION(), @@datadir")
                    version, datadir = cursor.fetchone()
                if str(datadir).rstrip("/") == self.inner(self.datadir):
                    self._version = str(version)
                    return
                last_problem = f"another server answers on port {self._port}"
            except (pymysql.MySQLError, OSError) as error:  # OSError: TLS, resets
                last_problem = one_line(str(error.args[-1] if error.args else error))
                # ER_ACCESS_DENIED_ERROR: up but the login is wrong, unless what answers
                # is a squatter on the port and ours is about to die of it.
                refusals = refusals + 1 if error.args and error.args[0] == 1045 else 0
                if refusals >= 10:
                    raise ServerStartError(
                        f"{self.name}: up but refuses root@{LOOPBACK}: {last_problem}"
                    ) from None
            if time.monotonic() > deadline:
                raise self._start_failure(
                    f"not ready after {self.start_timeout:.0f}s ({last_problem})", log_offset
                )
            time.sleep(0.2)

    def _says_ready(self, log_offset: int) -> bool:
        """Whether the error log written since `log_offset` says the server is ready.

        Both servers log "ready for connections" once they listen
        (MySQL ER_SERVER_STARTUP_MSG, MariaDB's ER_STARTUP). Probing only after that
        line keeps the probe off a port another process holds while ours is still
        trying to bind it; if the wording ever changes, the probing starts anyway
        after READY_LINE_WAIT seconds.
        """
        return "ready for connections" in self._read_log(self.error_log, log_offset)

    def _start_failure(self, reason: str, log_offset: int) -> ServerStartError:
        """One-line error for a failed start, from the error log written since `log_offset`."""
        new_log = self._read_log(self.error_log, log_offset)
        if not new_log.strip():
            new_log = self._read_log(self.workdir / "console.log", 0)
        line = one_line(relevant_error_line(new_log))
        detail = f": {line}" if line else " (the error log is empty)"
        if _ADDRESS_IN_USE.search(new_log):
            return PortInUseError(
                f"{self.name}: port {self._port} on {LOOPBACK} is already in use{detail}"
            )
        return ServerStartError(f"{self.name}: server {reason}{detail}")

    @staticmethod
    def _read_log(path: Path, offset: int) -> str:
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                return handle.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # -- initialisation ----------------------------------------------------------------

    def _initialize(self) -> None:
        """Create the system tables and the root account once per data directory.

        MySQL: `mysqld --initialize-insecure` runs the `--init-file` statements at the
        end of bootstrap
        (https://dev.mysql.com/doc/refman/8.4/en/data-directory-initialization.html).
        MariaDB: `mariadb-install-db --extra-file` does the same
        (https://mariadb.com/kb/en/mariadb-install-db/). A directory whose
        initialisation did not finish (no `.initialized` marker) is wiped and redone.
        """
        marker = self.workdir / ".initialized"
        if marker.exists():
            return
        shutil.rmtree(self.datadir, ignore_errors=True)
        shutil.rmtree(self.binlog_dir, ignore_errors=True)
        setup = self.workdir / "setup.sql"
        setup.write_text(setup_sql(self.flavour, self.password, self.auth_plugin))
        init_log = self.workdir / "init.log"
        datadir = f"--datadir={self.inner(self.datadir)}"
        if self.flavour == "mysql":
            argv = [
                SERVER_BINARY["mysql"],
                "--no-defaults",
                "--initialize-insecure",
                "--user=root",
                datadir,
                f"--init-file={self.inner(setup)}",
                f"--log-error={self.inner(init_log)}",
                "--secure-file-priv=",
            ]
        else:
            argv = [
                MARIADB_INSTALL_DB,
                "--no-defaults",
                "--user=root",
                datadir,
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                f"--extra-file={self.inner(setup)}",
            ]
        with open(init_log, "wb") as output:
            try:
                done = subprocess.run(
                    self.command(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    timeout=max(self.start_timeout, 120.0),
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                    env=self.environment(),
                )
                status = f"exit status {done.returncode}" if done.returncode else ""
            except subprocess.TimeoutExpired:
                status = "no result in time"
        if status:
            line = one_line(relevant_error_line(self._read_log(init_log, 0)))
            raise ServerStartError(
                f"{self.name}: initialising the data directory: {status}: {line}"
            )
        marker.write_text(self.binary_version() + "\n")

    # -- stop --------------------------------------------------------------------------

    def stop(self) -> None:
        if self._process is None:
            return
        if self.running:
            try:
                with self.connect(**PROBE_TIMEOUTS) as conn, conn.cursor() as cursor:
                    cursor.execute("SHUTDOWN")
            except (pymysql.MySQLError, OSError):
                pass  # escalate to signals below
        self._kill_process(grace=self.shutdown_timeout)
        self._after_stop()

    def _kill_process(self, grace: float = 0.0) -> None:
        """Wait `grace` s for the process to exit, then SIGTERM, then SIGKILL; reap it."""
        process = self._process
        if process is not None:
            for sig, wait in (
                (None, grace),
                (signal.SIGTERM, self.kill_timeout),
                (signal.SIGKILL, 10.0),
            ):
                if sig is not None and process.poll() is None:
                    try:
                        os.kill(process.pid, sig)
                    except ProcessLookupError:
                        pass
                try:
                    process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self._process = None
        self._port = None
        if self._console is not None:
            self._console.close()
            self._console = None

    def close(self) -> None:
        """Stop, and delete the private directory if it was a temporary one."""
        self.stop()
        untrack(self)
        if not self._workdir_given and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    # -- diagnostics -------------------------------------------------------------------

    def binlog_names(self) -> list[str]:
        """`SHOW BINARY LOGS` while running, else the names in the index file."""
        if self.running:
            return super().binlog_names()
        try:
            lines = self.binlog_index.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [PurePosixPath(line.strip()).name for line in lines if line.strip()]

    def logs(self, lines: int = 40) -> str:
        text = self._read_log(self.error_log, 0)
        return "\n".join(text.splitlines()[-lines:])

    def describe(self) -> dict[str, Any]:
        """What a person needs to poke at the server by hand."""
        return {
            "name": self.name,
            "dsn": self.dsn if self.running else None,
            "version": self._version,
            "workdir": str(self.workdir),
            "binlog_dir": str(self.binlog_dir),
            "error_log": str(self.error_log),
            "pid": self.pid,
        }
