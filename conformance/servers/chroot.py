"""MySQL 9.7 and MariaDB 11.8 from Debian sid, each in its own cached chroot.

Building a chroot (`ensure_chroot`):

1. A shared sid base is made once with `debootstrap --variant=minbase sid`
   (https://manpages.debian.org/bookworm/debootstrap/debootstrap.8.en.html) and
   copied with `cp -a` for each server, which is much faster than a second
   debootstrap.
2. In the copy: an `/etc/hosts` naming localhost (minbase writes none, and
   `mariadb-install-db` gives up when `resolveip localhost` fails), a `policy-rc.d`
   that forbids starting services, /proc mounted, then `apt-get install -y
   --no-install-recommends` of the server package (`mysql-server-core`, which also
   ships `mysqlbinlog`, or `mariadb-server`, which brings `mariadb-binlog`).
3. Last, a JSON marker with the installed versions. A directory without it was left
   half-built by an interrupted run; one whose marker names a server binary that is
   missing is broken. Both are deleted (after ending processes left running inside
   and unmounting anything mounted inside) and rebuilt from scratch.

Sid moves: `MYSQLPROTO_DEBIAN_MIRROR` can point debootstrap at a snapshot.debian.org
URL to pin it. A chroot whose server left the series its name promises is reported
as unavailable rather than silently used.

Each build runs under a `flock` on `<cache>/chroots/<name>.lock`, so two processes
never build the same chroot at once; the same lock serialises mounting and unmounting
/proc when servers start and stop.

Servers run as `chroot DIR mysqld ...` with their private directory inside the chroot
(`DIR/var/lib/mysqlproto-XXXX`), so the binlog files are plain host files under DIR.
/proc is unmounted again when no process is left running inside the chroot, so a cached
chroot can always be deleted with `rm -rf` once its servers are gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .base import Flavour, ProvisionError, ServerUnavailable
from .local import SERVER_BINARY, LocalServer
from .system import (
    CLEAN_ENV,
    Log,
    apt_install,
    debian_mirror,
    file_lock,
    have_command,
    is_root,
    quiet,
    run,
    unreachable,
)

ChrootState = Literal["ready", "missing", "half-built", "broken"]

SUITE = "sid"
DEFAULT_CACHE = Path("/var/cache/mysqlproto")

#: Written last by a successful build of a server chroot.
MARKER = ".mysqlproto-chroot.json"
#: Written last by a successful debootstrap of the shared base. A different name from
#: MARKER, so a server chroot copied from the base is not taken for a finished one.
BASE_MARKER = ".mysqlproto-base.json"
BASE_NAME = ".debootstrap-sid"

#: Temporary private directories under `<chroot>/var/lib` older than this, with no
#: live server, are left over from killed runs and deleted when provisioning.
STALE_WORKDIR_SECONDS = 6 * 3600

HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
POLICY_RC_D = "#!/bin/sh\n# conformance.servers: never start services in this chroot\nexit 101\n"


@dataclass(frozen=True)
class ChrootSpec:
    """What goes into one server chroot."""

    name: str
    flavour: Flavour
    series: str
    packages: tuple[str, ...]

    @property
    def server_binary(self) -> str:
        return SERVER_BINARY[self.flavour]

    @property
    def product(self) -> str:
        return "MySQL" if self.flavour == "mysql" else "MariaDB"


SPECS: dict[str, ChrootSpec] = {
    "mysql-9.7": ChrootSpec("mysql-9.7", "mysql", "9.7", ("mysql-server-core",)),
    "mariadb-11.8": ChrootSpec("mariadb-11.8", "mariadb", "11.8", ("mariadb-server",)),
}


# -- cache layout ----------------------------------------------------------------------


def cache_root() -> Path:
    """`MYSQLPROTO_CACHE`, or /var/cache/mysqlproto."""
    return Path(os.environ.get("MYSQLPROTO_CACHE") or DEFAULT_CACHE)


def chroots_dir(cache: Path | None = None) -> Path:
    return (cache or cache_root()) / "chroots"


def chroot_dir(name: str, cache: Path | None = None) -> Path:
    return chroots_dir(cache) / name


def lock_path(directory: Path) -> Path:
    return directory.with_name(directory.name + ".lock")


# -- state -----------------------------------------------------------------------------


def read_marker(directory: Path, marker: str = MARKER) -> dict[str, Any] | None:
    """The parsed marker of `directory`, or None if it is absent or unreadable."""
    try:
        data = json.loads((directory / marker).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def chroot_state(directory: Path, marker: str = MARKER) -> ChrootState:
    """Classify a chroot directory without changing it.

    "missing": no directory. "half-built": a directory without a marker (an
    interrupted build). "broken": a marker that cannot be read, or whose `required`
    file (the server binary) is gone. "ready": the marker and that file are there.
    """
    if not directory.is_dir():
        return "missing"
    if not (directory / marker).exists():
        return "half-built"
    data = read_marker(directory, marker)
    if data is None:
        return "broken"
    required = data.get("required")
    if not isinstance(required, str) or not (directory / required.lstrip("/")).is_file():
        return "broken"
    return "ready"


def write_marker(directory: Path, data: dict[str, Any], marker: str = MARKER) -> None:
    """Write the marker atomically: a crash leaves either no marker or a whole one."""
    temporary = directory / (marker + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, directory / marker)


# -- mounts and processes --------------------------------------------------------------


def _unescape_mount_field(field: str) -> str:
    r"""/proc/mounts writes space, tab, newline and backslash as octal (`\040`)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit() and i + 4 <= len(field):
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mounts_under(directory: Path) -> list[Path]:
    """Mount points at or below `directory`, deepest first (the order to unmount in)."""
    top = str(directory.resolve())
    found = []
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            if len(fields) < 2:
                continue
            point = _unescape_mount_field(fields[1])
            if point == top or point.startswith(top + "/"):
                found.append(Path(point))
    return sorted(set(found), key=lambda p: len(p.parts), reverse=True)


def unmount(point: Path) -> None:
    """`umount`, falling back to a lazy `umount -l` when the mount is busy."""
    try:
        run(["umount", str(point)], timeout=60)
    except ProvisionError:
        run(["umount", "-l", str(point)], timeout=60)


def unmount_all(directory: Path) -> None:
    """Unmount everything at or below `directory`."""
    for point in mounts_under(directory):
        unmount(point)


def processes_in(directory: Path) -> list[int]:
    """Ids of processes whose root directory is `directory` or below it."""
    top = str(directory.resolve())
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            root = os.readlink(entry / "root")
        except OSError:
            continue
        if root == top or root.startswith(top + "/"):
            pids.append(int(entry.name))
    return pids


def mount_proc(directory: Path) -> None:
    """Mount a proc filesystem on `directory/proc` unless one is there already."""
    point = directory / "proc"
    if point.resolve() in mounts_under(point):
        return
    point.mkdir(exist_ok=True)
    run(["mount", "-t", "proc", "proc", str(point)], timeout=60)


def end_processes_in(directory: Path, grace: float = 30.0) -> None:
    """Wait `grace` seconds for processes inside `directory` to exit, then SIGKILL them.

    These are leftovers: a build killed with SIGKILL leaves its `apt-get` running
    inside the chroot, and it must not keep writing while the tree is deleted.
    """
    deadline = time.monotonic() + grace
    while processes_in(directory) and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in processes_in(directory):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes_in(directory) and time.monotonic() < deadline:
        time.sleep(0.2)


def remove_chroot(directory: Path) -> None:
    """Delete a chroot tree, unmounting first; refuses while anything is still mounted.

    Processes still running inside are ended first (`end_processes_in`). `rm -rf`
    through a live /proc or bind mount would recurse into the host, so this checks
    /proc/self/mounts again after unmounting rather than trusting `umount`.
    """
    resolved = directory.resolve()
    if resolved == Path("/") or len(resolved.parts) < 3:
        raise ProvisionError(f"refusing to delete {resolved}: not a cache directory")
    end_processes_in(resolved)
    unmount_all(resolved)
    left = mounts_under(resolved)
    if left:
        raise ProvisionError(f"refusing to delete {resolved}: {left[0]} is still mounted")
    shutil.rmtree(resolved)


# -- building --------------------------------------------------------------------------


def chroot_run(directory: Path, argv: list[str], *, timeout: float, what: str) -> str:
    return run(["chroot", str(directory), *argv], timeout=timeout, env=CLEAN_ENV, what=what)


def ensure_debootstrap(log: Log) -> None:
    """Install debootstrap on the host when it is missing."""
    if have_command("debootstrap"):
        return
    if not have_command("apt-get"):
        raise ServerUnavailable("debootstrap is not installed and there is no apt-get")
    log("apt-get install debootstrap")
    apt_install(["debootstrap"], log=log)


def ensure_base(cache: Path | None = None, log: Log = quiet) -> Path:
    """The shared minbase sid tree, debootstrapped once (under its own lock)."""
    base = chroots_dir(cache) / BASE_NAME
    with file_lock(lock_path(base), log=log):
        state = chroot_state(base, BASE_MARKER)
        if state == "ready":
            return base
        if state != "missing":
            log(f"sid base is {state}; deleting it and starting again")
            remove_chroot(base)
        ensure_debootstrap(log)
        mirror = debian_mirror()
        log(f"debootstrap --variant=minbase {SUITE} from {mirror}")
        started = time.monotonic()
        base.parent.mkdir(parents=True, exist_ok=True)
        try:
            run(
                ["debootstrap", "--variant=minbase", SUITE, str(base), mirror],
                timeout=1800,
                env=CLEAN_ENV,
                what="debootstrap",
            )
            chroot_run(base, ["apt-get", "clean"], timeout=300, what="apt-get clean")
        finally:
            unmount_all(base)  # debootstrap mounts /proc and /sys while it works
        write_marker(
            base,
            {
                "format": 1,
                "suite": SUITE,
                "mirror": mirror,
                "required": "/usr/bin/apt-get",
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "build_seconds": round(time.monotonic() - started, 1),
            },
            BASE_MARKER,
        )
        return base


def build_chroot(spec: ChrootSpec, directory: Path, cache: Path | None, log: Log) -> None:
    """Build `spec` at `directory` (which must not exist), writing MARKER last."""
    started = time.monotonic()
    base = ensure_base(cache, log)
    log(f"{spec.name}: copying the sid base")
    # -T: never copy *into* `directory` should something have recreated it.
    run(["cp", "-a", "-T", "--", str(base), str(directory)], timeout=600, what="cp -a")
    (directory / BASE_MARKER).unlink(missing_ok=True)
    (directory / "etc/hosts").write_text(HOSTS)
    policy = directory / "usr/sbin/policy-rc.d"
    policy.write_text(POLICY_RC_D)
    policy.chmod(0o755)
    log(f"{spec.name}: apt-get install {' '.join(spec.packages)}")
    mount_proc(directory)
    try:
        apt_install(spec.packages, root=directory, log=log)
        chroot_run(directory, ["apt-get", "clean"], timeout=300, what="apt-get clean")
        packages = {
            package: chroot_run(
                directory,
                ["dpkg-query", "-W", "-f=${Version}", package],
                timeout=60,
                what="dpkg-query",
            ).strip()
            for package in spec.packages
        }
        version_line = chroot_run(
            directory, [spec.server_binary, "--version"], timeout=60, what="mysqld --version"
        )
    finally:
        unmount_all(directory)
    if not (directory / spec.server_binary.lstrip("/")).is_file():
        raise ProvisionError(f"{spec.name}: {spec.packages[0]} installed no {spec.server_binary}")
    words = version_line.split()
    server_version = words[words.index("Ver") + 1] if "Ver" in words else version_line.strip()
    write_marker(
        directory,
        {
            "format": 1,
            "name": spec.name,
            "suite": SUITE,
            "mirror": debian_mirror(),
            "packages": packages,
            "server_version": server_version,
            "required": spec.server_binary,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.monotonic() - started, 1),
        },
    )


Builder = Callable[[ChrootSpec, Path, Path | None, Log], None]


def ensure_chroot(
    spec: ChrootSpec,
    *,
    cache: Path | None = None,
    log: Log = quiet,
    builder: Builder = build_chroot,
) -> dict[str, Any]:
    """Make sure `spec`'s chroot is ready, (re)building it if needed; return its marker.

    A half-built or broken chroot is deleted and rebuilt from scratch. `builder` is
    the step that builds into a fresh directory (replaceable in tests).
    """
    directory = chroot_dir(spec.name, cache)
    with file_lock(lock_path(directory), log=log):
        state = chroot_state(directory)
        if state != "ready":
            if not is_root():
                raise ServerUnavailable(f"{spec.name}: chroot is {state}; building it needs root")
            if state != "missing":
                log(f"{spec.name}: chroot is {state}; deleting it and rebuilding from scratch")
                remove_chroot(directory)
            builder(spec, directory, cache, log)
            if chroot_state(directory) != "ready":
                raise ProvisionError(f"{spec.name}: build finished but the chroot is not ready")
        marker = read_marker(directory)
        assert marker is not None
        return marker


def prune_workdirs(directory: Path, older_than: float = STALE_WORKDIR_SECONDS) -> list[Path]:
    """Delete private directories in `directory/var/lib` left by killed runs.

    A directory goes when it is older than `older_than` seconds and its pid file, if
    any, names no live process. Returns what was deleted.
    """
    removed = []
    now = time.time()
    for workdir in (directory / "var/lib").glob("mysqlproto-*"):
        try:
            if now - workdir.stat().st_mtime < older_than:
                continue
            pid_text = (workdir / "mysqld.pid").read_text().strip()
        except FileNotFoundError:
            pid_text = ""
        except OSError:
            continue
        if pid_text.isdigit() and Path(f"/proc/{pid_text}").exists():
            continue
        shutil.rmtree(workdir, ignore_errors=True)
        removed.append(workdir)
    return removed


# -- availability and provisioning -----------------------------------------------------


def _series_problem(spec: ChrootSpec, marker: dict[str, Any]) -> str | None:
    version = str(marker.get("server_version", "?"))
    if version.startswith(spec.series + "."):
        return None
    return f"the chroot has {spec.product} {version}, not {spec.series}.x (sid moved on)"


def availability(spec: ChrootSpec, cache: Path | None = None) -> tuple[bool, str]:
    """Whether `spec`'s chroot is ready or can be built here; the reason in one line."""
    directory = chroot_dir(spec.name, cache)
    state = chroot_state(directory)
    if not is_root():
        return False, f"chroot is {state}; chroots need root to build and to run"
    if not have_command("chroot"):
        return False, "no chroot command"
    if state == "ready":
        marker = read_marker(directory) or {}
        problem = _series_problem(spec, marker)
        if problem:
            return False, problem
        return True, f"{spec.product} {marker.get('server_version')} in {directory}"
    base_ready = chroot_state(chroots_dir(cache) / BASE_NAME, BASE_MARKER) == "ready"
    if not base_ready and not have_command("debootstrap") and not have_command("apt-get"):
        return False, f"chroot is {state}; no debootstrap, and no apt-get to install it"
    problem = unreachable(debian_mirror())
    if problem:
        return False, f"chroot is {state} and the Debian mirror is unreachable: {problem}"
    return True, f"chroot is {state}; provisioning builds it (about a minute)"


def provision(spec: ChrootSpec, cache: Path | None = None, log: Log = quiet) -> str:
    """Build `spec`'s chroot if needed; a one-line summary of what is there."""
    directory = chroot_dir(spec.name, cache)
    was = chroot_state(directory)
    marker = ensure_chroot(spec, cache=cache, log=log)
    problem = _series_problem(spec, marker)
    if problem:
        raise ServerUnavailable(f"{spec.name}: {problem}")
    prune_workdirs(directory)
    verb = "ready" if was == "ready" else f"built (was {was})"
    return f"{spec.product} {marker['server_version']} {verb} in {directory}"


# -- the server ------------------------------------------------------------------------


class ChrootServer(LocalServer):
    """A server running from a cached sid chroot; see the module docstring."""

    def __init__(
        self,
        spec: ChrootSpec,
        workdir: Path | None = None,
        *,
        cache: Path | None = None,
        **kwargs: Any,
    ) -> None:
        self.spec = spec
        self.cache = cache
        super().__init__(
            name=spec.name,
            flavour=spec.flavour,
            root=chroot_dir(spec.name, cache),
            workdir=workdir,
            **kwargs,
        )

    def provision(self) -> None:
        marker = ensure_chroot(self.spec, cache=self.cache)
        problem = _series_problem(self.spec, marker)
        if problem:
            raise ServerUnavailable(f"{self.name}: {problem}")

    def command(self, argv: list[str]) -> list[str]:
        return ["chroot", str(self.root), *argv]

    def environment(self) -> dict[str, str]:
        return dict(CLEAN_ENV)

    def _new_workdir(self) -> Path:
        parent = self.root / "var/lib"
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="mysqlproto-", dir=parent))

    def _before_start(self) -> None:
        with file_lock(lock_path(self.root), timeout=600):
            mount_proc(self.root)

    def _after_stop(self) -> None:
        """Unmount /proc once no process at all runs inside this chroot."""
        with file_lock(lock_path(self.root), timeout=600):
            if not processes_in(self.root):
                for point in mounts_under(self.root / "proc"):
                    unmount(point)
