"""Tests for `conformance.servers`.

The unit tests at the top need no server. The `realserver` tests start real servers
from the local backends (`LOCAL_REQUIRED`): they skip where a backend cannot run, and
fail instead on CI (`CI=true`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance import servers
from conformance.servers import (
    BACKENDS,
    LOCAL_REQUIRED,
    PortInUseError,
    ProvisionError,
    Server,
    ServerError,
    ServerStartError,
    available,
    chroot,
    docker,
    get_server,
    local,
    require_or_skip,
)
from conformance.servers.base import (
    free_port,
    port_is_free,
    render_options,
    reset_binlogs_statement,
)
from conformance.servers.chroot import (
    BASE_MARKER,
    BASE_NAME,
    MARKER,
    chroot_state,
    ensure_chroot,
    mounts_under,
    processes_in,
    remove_chroot,
    write_marker,
)
from conformance.servers.dsn import DsnServer
from conformance.servers.local import LocalServer, relevant_error_line
from conformance.servers.system import file_lock

#: Backend name -> (flavour, VERSION() prefix).
EXPECTED = {
    "mariadb-10.11": ("mariadb", "10.11."),
    "mysql-9.7": ("mysql", "9.7."),
    "mariadb-11.8": ("mariadb", "11.8."),
}

BINLOG_MAGIC = b"\xfebin"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


# -- options, statements, error lines --------------------------------------------------


def test_render_options_formats_booleans_flags_and_values() -> None:
    assert render_options(
        {"binlog_checksum": "NONE", "gtid_mode": True, "log_slave_updates": False}
    ) == ["--binlog_checksum=NONE", "--gtid_mode=ON", "--log_slave_updates=OFF"]
    assert render_options({"skip-log-bin": None, "max_binlog_size": 4096}) == [
        "--skip-log-bin",
        "--max_binlog_size=4096",
    ]


@pytest.mark.parametrize("key", ["port", "datadir", "log-bin", "Bind-Address", "socket"])
def test_render_options_refuses_options_the_backend_owns(key: str) -> None:
    with pytest.raises(ValueError, match="set by the backend"):
        render_options({key: "x"})


@pytest.mark.parametrize("key", ["", "a b", "x --datadir=/", "--gtid_mode", "1x"])
def test_render_options_refuses_what_is_not_an_option_name(key: str) -> None:
    with pytest.raises(ValueError, match="not a mysqld option name"):
        render_options({key: "1"})


def test_reset_statement_follows_the_mysql_8_2_rename() -> None:
    assert reset_binlogs_statement("mysql", "8.0.40") == "RESET MASTER"
    assert reset_binlogs_statement("mysql", "8.4.3") == "RESET BINARY LOGS AND GTIDS"
    assert reset_binlogs_statement("mysql", "9.7.4-2") == "RESET BINARY LOGS AND GTIDS"
    assert reset_binlogs_statement("mariadb", "11.8.9-MariaDB-4") == "RESET MASTER"


def test_relevant_error_line_names_the_cause_not_the_aftermath() -> None:
    mariadb_log = textwrap.dedent(
        """\
        2026-11-21 18:12:28 0 [Note] Starting MariaDB 10.11.19
        2026-11-21 18:12:28 0 [ERROR] /usr/sbin/mariadbd: Error while setting value 'BOGUS' to 'binlog-checksum'
        2026-11-21 18:12:28 0 [ERROR] Parsing options for plugin 'binlog' failed. Disabling plugin
        2026-11-21 18:12:28 0 [ERROR] Aborting
        """
    )
    assert relevant_error_line(mariadb_log) == (
        "[ERROR] /usr/sbin/mariadbd: Error while setting value 'BOGUS' to 'binlog-checksum'"
    )
    mysql_log = textwrap.dedent(
        """\
        2026-11-21T18:12:18.1Z 0 [System] [MY-015015] [Server] MySQL Server - start.
        2026-11-21T18:12:18.2Z 0 [ERROR] [MY-010119] [Server] Aborting
        2026-11-21T18:12:18.3Z 0 [ERROR] [MY-000067] [Server] unknown variable 'x=1'.
        2026-11-21T18:12:18.4Z 0 [ERROR] [MY-010119] [Server] Aborting
        """
    )
    assert relevant_error_line(mysql_log) == "[ERROR] [MY-000067] [Server] unknown variable 'x=1'."


def test_relevant_error_line_falls_back_to_the_last_line() -> None:
    assert relevant_error_line("a\nb: still starting\n\n") == "b: still starting"
    assert relevant_error_line("x [ERROR] Aborting\n") == "[ERROR] Aborting"
    assert relevant_error_line("") == ""


def test_setup_sql_gives_root_a_tcp_account_per_flavour() -> None:
    mysql_sql = local.setup_sql("mysql", "pw'x", "caching_sha2_password")
    assert (
        "CREATE USER 'root'@'127.0.0.1' IDENTIFIED WITH caching_sha2_password BY 'pw''x'"
        in mysql_sql
    )
    mariadb_sql = local.setup_sql("mariadb", "pw", "mysql_native_password")
    assert mariadb_sql.startswith("FLUSH PRIVILEGES;")
    assert "CREATE OR REPLACE USER 'root'@'127.0.0.1'" in mariadb_sql
    assert local.mysql_auth_plugin("8.0.40") == "mysql_native_password"
    assert local.mysql_auth_plugin("9.7.4-2") == "caching_sha2_password"


# -- ports -----------------------------------------------------------------------------


def test_free_port_is_free_until_someone_listens_on_it() -> None:
    port = free_port()
    assert port_is_free(port)
    with socket.create_server(("127.0.0.1", port)):
        assert not port_is_free(port)


# -- chroot state and rebuilds ---------------------------------------------------------


def _fake_chroot(directory: Path, *, marker: str | None, binary: bool) -> Path:
    (directory / "usr/sbin").mkdir(parents=True)
    if binary:
        (directory / "usr/sbin/mysqld").write_text("")
    if marker is not None:
        (directory / MARKER).write_text(marker)
    return directory


def test_chroot_state_tells_missing_half_built_broken_and_ready(tmp_path: Path) -> None:
    good = json.dumps({"required": "/usr/sbin/mysqld", "server_version": "9.7.4-2"})
    assert chroot_state(tmp_path / "absent") == "missing"
    assert chroot_state(_fake_chroot(tmp_path / "a", marker=None, binary=True)) == "half-built"
    assert chroot_state(_fake_chroot(tmp_path / "b", marker=good, binary=False)) == "broken"
    assert chroot_state(_fake_chroot(tmp_path / "c", marker="{not json", binary=True)) == "broken"
    assert chroot_state(_fake_chroot(tmp_path / "d", marker="{}", binary=True)) == "broken"
    assert chroot_state(_fake_chroot(tmp_path / "e", marker=good, binary=True)) == "ready"


def test_chroot_state_ignores_the_base_marker_in_a_copied_base(tmp_path: Path) -> None:
    """A server chroot is `cp -a` of the base; the base's marker must not count."""
    copied = _fake_chroot(tmp_path / "copy", marker=None, binary=True)
    write_marker(copied, {"required": "/usr/sbin/mysqld"}, BASE_MARKER)
    assert chroot_state(copied) == "half-built"
    assert chroot_state(copied, BASE_MARKER) == "ready"


class FakeBuilder:
    """Stands in for `build_chroot`: records calls and writes a minimal chroot."""

    def __init__(self) -> None:
        self.calls: list[Path] = []

    def __call__(
        self, spec: chroot.ChrootSpec, directory: Path, cache: Path | None, log: object
    ) -> None:
        assert not directory.exists(), "the builder must get a fresh directory"
        self.calls.append(directory)
        _fake_chroot(directory, marker=None, binary=True)
        write_marker(
            directory,
            {"required": "/usr/sbin/mysqld", "server_version": "9.7.4-2", "name": spec.name},
        )


@pytest.mark.parametrize(
    ("marker", "binary"),
    [(None, True), ('{"required": "/usr/sbin/mysqld"}', False), ("garbage", True)],
    ids=["half-built", "binary-missing", "marker-garbage"],
)
def test_ensure_chroot_rebuilds_a_bad_chroot_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker: str | None, binary: bool
) -> None:
    monkeypatch.setattr(chroot, "is_root", lambda: True)
    spec = chroot.SPECS["mysql-9.7"]
    directory = chroot.chroot_dir(spec.name, tmp_path)
    _fake_chroot(directory, marker=marker, binary=binary)
    (directory / "leftover").write_text("from the interrupted run")
    builder = FakeBuilder()
    messages: list[str] = []
    result = ensure_chroot(spec, cache=tmp_path, builder=builder, log=messages.append)
    assert builder.calls == [directory]
    assert not (directory / "leftover").exists()
    assert chroot_state(directory) == "ready"
    assert result["server_version"] == "9.7.4-2"
    assert any("rebuilding from scratch" in message for message in messages)


def test_ensure_chroot_leaves_a_ready_chroot_alone(tmp_path: Path) -> None:
    spec = chroot.SPECS["mysql-9.7"]
    builder = FakeBuilder()
    ensure_chroot(spec, cache=tmp_path, builder=builder)
    ensure_chroot(spec, cache=tmp_path, builder=builder)
    assert len(builder.calls) == 1


def test_chroot_availability_reports_a_series_sid_moved_past(tmp_path: Path) -> None:
    spec = chroot.SPECS["mysql-9.7"]
    directory = _fake_chroot(chroot.chroot_dir(spec.name, tmp_path), marker=None, binary=True)
    write_marker(directory, {"required": "/usr/sbin/mysqld", "server_version": "9.8.0-1"})
    ok, reason = chroot.availability(spec, tmp_path)
    assert not ok
    assert "not 9.7.x" in reason or "root" in reason


def test_file_lock_keeps_a_second_holder_out(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    with file_lock(lock):
        with pytest.raises(ProvisionError, match="still locked"):
            with file_lock(lock, timeout=0.3):
                pass
    with file_lock(lock, timeout=0.3):
        pass


def test_mount_table_escapes_are_decoded() -> None:
    assert chroot._unescape_mount_field(r"/var/cache/my\040dir/proc") == "/var/cache/my dir/proc"
    assert chroot._unescape_mount_field("/plain") == "/plain"


@needs_root
def test_remove_chroot_unmounts_before_deleting(tmp_path: Path) -> None:
    tree = tmp_path / "chroots" / "victim"
    (tree / "proc").mkdir(parents=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(tree / "proc")], check=True)
    assert mounts_under(tree)
    remove_chroot(tree)
    assert not tree.exists()
    assert not mounts_under(tmp_path)
    assert Path("/proc/self/status").exists()


# -- registry and the other backends ---------------------------------------------------


def test_registry_has_every_named_backend() -> None:
    assert set(BACKENDS) == {
        "mariadb-10.11",
        "mysql-9.7",
        "mariadb-11.8",
        "mysql-5.7",
        "mysql-8.0",
        "mysql-8.4",
        "percona-8.0",
    }
    assert set(LOCAL_REQUIRED) <= set(BACKENDS)
    assert get_server("mysql-9.7").name == "mysql-9.7"
    assert isinstance(get_server("dsn:mysql://u:p@127.0.0.1:1"), DsnServer)
    with pytest.raises(ValueError, match="unknown server"):
        get_server("oracle-23")


def test_docker_backends_say_why_in_one_line() -> None:
    ok, _ = docker.availability()
    if ok:
        pytest.skip("a Docker engine answers here")
    for name in docker.IMAGES:
        ok, reason = available(name)
        assert not ok
        assert reason.startswith("unavailable: no Docker engine answers")
        assert "\n" not in reason


def test_dsn_server_parses_its_dsn_and_refuses_to_manage_the_server() -> None:
    server = DsnServer("mysql://repl:s%40cret@127.0.0.1:3307?allow_reset=0")
    assert (server.user, server.password, server.host, server.port) == (
        "repl",
        "s@cret",
        "127.0.0.1",
        3307,
    )
    assert server.binlog_dir is None
    assert "s@cret" not in server.name
    server.stop()  # a no-op
    with pytest.raises(ServerError, match="cannot be changed"):
        server.configure({"binlog_checksum": "NONE"})
    with pytest.raises(ServerError, match="allow_reset"):
        server.reset()
    with pytest.raises(ValueError):
        DsnServer("postgres://x@y")


def test_dsn_server_that_does_not_answer_is_unavailable() -> None:
    ok, reason = available(f"dsn:mysql://root:x@127.0.0.1:{free_port()}")
    assert not ok
    assert "does not answer" in reason and "\n" not in reason


def test_require_or_skip_skips_locally_and_fails_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers, "available", lambda name: (False, "no way"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="x: no way"):
        require_or_skip("x")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required on CI: x: no way"):
        require_or_skip("x")


# -- real servers ----------------------------------------------------------------------


@pytest.fixture(params=LOCAL_REQUIRED)
def backend(request: pytest.FixtureRequest) -> str:
    """Each local backend's name; skips (fails on CI) where it cannot run."""
    require_or_skip(request.param)
    return str(request.param)


@pytest.fixture
def make_server() -> Iterator[Callable[..., LocalServer]]:
    """Makes private (non-session) servers and closes them after the test."""
    made: list[Server] = []

    def make(name: str, **kwargs: object) -> LocalServer:
        server = get_server(name, **kwargs)
        assert isinstance(server, LocalServer)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def _connection_refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


def _process_gone(pid: int) -> bool:
    """No such process (the server was reaped by its parent, this test process)."""
    return not Path(f"/proc/{pid}").exists()


@pytest.mark.realserver
def test_version_matches_flavour_and_series(real_server: Server) -> None:
    flavour, prefix = EXPECTED[real_server.name]
    assert real_server.flavour == flavour
    assert real_server.version.startswith(prefix)
    assert ("MariaDB" in real_server.version) == (flavour == "mariadb")
    assert real_server.dsn == f"mysql://root:{real_server.password}@127.0.0.1:{real_server.port}"


@pytest.mark.realserver
def test_server_listens_on_loopback_with_the_fixed_settings(real_server: Server) -> None:
    (row,) = real_server.execute(
        "SELECT @@bind_address, @@server_id, @@binlog_format, @@log_bin, @@skip_name_resolve"
    )
    assert row == ("127.0.0.1", 1, "ROW", 1, 1)


@pytest.mark.realserver
def test_row_insert_lands_in_a_binlog_file_readable_from_the_host(real_server: Server) -> None:
    real_server.reset()
    real_server.execute("CREATE DATABASE probe")
    real_server.execute("CREATE TABLE probe.marker_table_xyzzy (id INT PRIMARY KEY, v VARCHAR(8))")
    real_server.execute("INSERT INTO probe.marker_table_xyzzy VALUES (1, 'abc')")
    files = real_server.binlog_files()
    assert files and all(isinstance(path, Path) for path in files)
    assert real_server.binlog_dir is not None
    contents = b""
    for path in files:
        assert isinstance(path, Path) and path.parent == real_server.binlog_dir
        data = path.read_bytes()
        assert data.startswith(BINLOG_MAGIC)
        contents += data
    # The Table_map event names the table; the row image holds the value.
    assert b"marker_table_xyzzy" in contents
    assert b"abc" in contents


@pytest.mark.realserver
def test_reset_leaves_one_fresh_binlog_and_no_user_databases(real_server: Server) -> None:
    real_server.execute("CREATE DATABASE IF NOT EXISTS leftover")
    real_server.flush_binlogs()
    assert len(real_server.binlog_files()) >= 2
    real_server.reset()
    databases = {row[0] for row in real_server.execute("SHOW DATABASES")}
    assert databases == {"information_schema", "mysql", "performance_schema", "sys"}
    (only,) = real_server.binlog_files()
    assert str(only).endswith(f"{real_server.binlog_basename}.000001")


@pytest.mark.realserver
def test_configure_binlog_checksum_none_takes_effect_after_restart(real_server: Server) -> None:
    try:
        real_server.configure({"binlog_checksum": "NONE"})
        assert real_server.running
        assert real_server.execute("SELECT @@binlog_checksum") == [("NONE",)]
        real_server.reset()
        real_server.execute("CREATE DATABASE after_restart")
        (path,) = real_server.binlog_files()
        assert isinstance(path, Path) and path.read_bytes().startswith(BINLOG_MAGIC)
    finally:
        real_server.configure({})
    assert real_server.execute("SELECT @@binlog_checksum") == [("CRC32",)]


@pytest.mark.realserver
def test_plain_tcp_login_works_after_start_without_tls_or_rsa(
    real_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scramble-only path a protocol client takes: no TLS, no RSA key exchange.

    For caching_sha2_password this relies on the server's cache, which `start` fills.
    """
    import pymysql._auth

    def no_rsa(*args: object) -> bytes:
        raise AssertionError("RSA key exchange attempted")

    monkeypatch.setattr(pymysql._auth, "sha2_rsa_encrypt", no_rsa)
    with real_server.connect(ssl_disabled=True) as conn, conn.cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        assert cursor.fetchall() in ((("Ssl_cipher", ""),), ())
        cursor.execute("SELECT CURRENT_USER()")
        assert cursor.fetchone() == ("root@127.0.0.1",)


@pytest.mark.realserver
def test_logs_show_the_error_log_tail(real_server: Server) -> None:
    assert "ready for connections" in real_server.logs(lines=200)


@pytest.mark.realserver
def test_bad_option_raises_a_one_line_start_error(
    backend: str, make_server: Callable[..., LocalServer]
) -> None:
    server = make_server(backend)
    server.configure({"no_such_option_xyzzy": 1})
    started = time.monotonic()
    with pytest.raises(ServerStartError) as caught:
        server.start()
    message = str(caught.value)
    assert time.monotonic() - started < server.start_timeout
    assert "\n" not in message
    assert message.startswith(f"{backend}: ")
    assert "no_such_option_xyzzy" in message
    assert not server.running


@pytest.mark.realserver
def test_fixed_port_already_taken_is_reported_before_starting(
    backend: str, make_server: Callable[..., LocalServer]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        port = squatter.getsockname()[1]
        server = make_server(backend, port=port)
        with pytest.raises(PortInUseError) as caught:
            server.start()
    assert str(caught.value) == (
        f"{backend}: port {port} on 127.0.0.1 is already taken by another process"
    )
    assert not server.running


@pytest.mark.realserver
def test_port_taken_between_choice_and_start_is_replaced(
    backend: str, make_server: Callable[..., LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the bind test cannot close: mysqld itself finds the port in use."""
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        monkeypatch.setattr(local, "free_port", lambda: next(ports, None) or free_port())
        server = make_server(backend)
        server.start()
        assert server.port != taken
        assert server.execute("SELECT 1") == [(1,)]
        assert "Address already in use" in server.logs(lines=400)


@pytest.mark.realserver
def test_stop_shuts_down_and_binlogs_stay_listed(
    backend: str, make_server: Callable[..., LocalServer]
) -> None:
    server = make_server(backend)
    server.start()
    server.execute("CREATE DATABASE before_stop")
    listed = server.binlog_files()
    pid, port = server.pid, server.port
    assert pid is not None
    server.stop()
    assert not server.running and _process_gone(pid) and _connection_refused(port)
    assert server.binlog_files() == listed  # read from the index file now
    assert server in servers.live_servers()
    server.close()
    assert server not in servers.live_servers()


@pytest.mark.realserver
def test_stop_kills_a_server_that_does_not_respond(
    backend: str, make_server: Callable[..., LocalServer]
) -> None:
    server = make_server(backend, shutdown_timeout=1.0, kill_timeout=1.0)
    server.start()
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # hung: ignores SHUTDOWN and SIGTERM alike
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 30
    assert _process_gone(pid)
    assert not server.running


@pytest.mark.realserver
@pytest.mark.parametrize(
    "chroot_backend", [name for name in LOCAL_REQUIRED if name in chroot.SPECS]
)
def test_chroot_proc_is_mounted_exactly_while_something_runs_inside(
    chroot_backend: str, make_server: Callable[..., LocalServer]
) -> None:
    require_or_skip(chroot_backend)
    server = make_server(chroot_backend)
    server.start()
    assert mounts_under(server.root / "proc")
    server.stop()
    assert bool(mounts_under(server.root / "proc")) == bool(processes_in(server.root))


def _start_in_a_child(backend: str) -> tuple[subprocess.Popen[str], int, int, Path]:
    """A child Python process that starts a server and sleeps; its pid, port, workdir."""
    script = textwrap.dedent(
        f"""
        import time
        from conformance.servers import get_server
        server = get_server({backend!r})
        server.start()
        print(server.pid, server.port, server.workdir, flush=True)
        time.sleep(120)
        """
    )
    top = Path(__file__).resolve().parents[2]
    owner = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=top,
        env={**os.environ, "PYTHONPATH": str(top)},
    )
    assert owner.stdout is not None
    pid_text, port_text, workdir = owner.stdout.readline().split()
    return owner, int(pid_text), int(port_text), Path(workdir)


def _wait_gone(pid: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not _process_gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _process_gone(pid)


@pytest.mark.realserver
def test_sigterm_to_the_owner_closes_its_servers(backend: str) -> None:
    owner, pid, port, workdir = _start_in_a_child(backend)
    try:
        assert not _process_gone(pid)
        owner.send_signal(signal.SIGTERM)
        assert owner.wait(timeout=60) == -signal.SIGTERM
    finally:
        if owner.poll() is None:
            owner.kill()
    assert _wait_gone(pid)
    assert _connection_refused(port)
    assert not workdir.exists()


@pytest.mark.realserver
def test_sigkill_to_the_owner_takes_its_servers_down(backend: str) -> None:
    """No handler runs on SIGKILL; the kernel's parent-death signal ends the server."""
    owner, pid, port, workdir = _start_in_a_child(backend)
    owner.kill()
    owner.wait(timeout=30)
    try:
        assert _wait_gone(pid)
        assert _connection_refused(port)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # nothing could clean up after SIGKILL
        if backend in chroot.SPECS:
            root = chroot.chroot_dir(backend)
            if not processes_in(root):
                chroot.unmount_all(root / "proc")


@pytest.mark.realserver
def test_dsn_backend_talks_to_a_running_server(mariadb_1011: Server) -> None:
    server = get_server(f"dsn:{mariadb_1011.dsn}")
    server.start()
    assert server.version == mariadb_1011.version
    assert server.flavour == "mariadb"
    assert server.binlog_files() == mariadb_1011.binlog_names()
    assert all(isinstance(name, str) for name in server.binlog_files())


@pytest.mark.realserver
@pytest.mark.slow
@needs_root
def test_half_built_chroot_is_rebuilt_for_real(tmp_path: Path) -> None:
    """A chroot an interrupted run left without its marker is rebuilt and then runs.

    Seeds the temporary cache with the real cache's sid base when there is one, so
    this costs an apt-get install rather than a debootstrap.
    """
    spec = chroot.SPECS["mariadb-11.8"]
    real_base = chroot.chroots_dir() / BASE_NAME
    if chroot_state(real_base, BASE_MARKER) == "ready":
        (tmp_path / "chroots").mkdir()
        subprocess.run(
            ["cp", "-a", str(real_base), str(tmp_path / "chroots" / BASE_NAME)], check=True
        )
    directory = chroot.chroot_dir(spec.name, tmp_path)
    (directory / "usr/sbin").mkdir(parents=True)
    (directory / "usr/sbin/mariadbd").write_text("truncated by an interrupted build")
    assert chroot_state(directory) == "half-built"
    summary = chroot.provision(spec, cache=tmp_path)
    assert "built (was half-built)" in summary
    assert chroot_state(directory) == "ready"
    with chroot.ChrootServer(spec, cache=tmp_path) as server:
        assert server.version.startswith("11.8.")
    remove_chroot(tmp_path / "chroots" / spec.name)
    assert not mounts_under(tmp_path)


def test_unknown_backend_is_unavailable_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown server 'nope'"):
        available("nope")
