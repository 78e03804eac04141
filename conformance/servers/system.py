"""Host plumbing shared by the local backends: commands, apt, locks, the Debian mirror.

Nothing here knows about MySQL. Failures raise `ProvisionError` with one line naming the
command and the last line it printed.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from .base import ProvisionError, one_line

Log = Callable[[str], None]

DEFAULT_MIRROR = "http://deb.debian.org/debian"

#: A minimal environment for commands run inside chroots and for apt: no host locale
#: (minbase installs none), no host PATH quirks, apt never asks questions.
CLEAN_ENV: Mapping[str, str] = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL": "C",
    "HOME": "/root",
    "DEBIAN_FRONTEND": "noninteractive",
}


def quiet(message: str) -> None:
    """A `Log` that drops messages."""


def is_root() -> bool:
    """Whether this process runs as uid 0 (needed for apt, debootstrap, chroot, mount)."""
    return os.geteuid() == 0


def last_line(text: str) -> str:
    """The last non-blank line of `text`, or '' if there is none."""
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()
    return ""


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent() -> None:
    """`preexec_fn` that has the kernel SIGKILL the child when this process dies.

    prctl(PR_SET_PDEATHSIG) survives exec (https://man7.org/linux/man-pages/man2/prctl.2.html),
    so a `cp -a` or `apt-get` of a build, or a mysqld, does not outlive a runner that
    was killed with SIGKILL and keep writing into a tree the next run deletes.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    what: str | None = None,
    tied: bool = True,
) -> str:
    """Run `argv` to completion and return its combined output.

    Raises `ProvisionError` naming `what` (default: the command) with the last output
    line when the command fails, is missing, or runs over `timeout` seconds. A `tied`
    command dies with this process (`die_with_parent`); host package installs are
    not tied, since a dpkg killed half-way leaves the host's package database to
    repair by hand.
    """
    label = what or " ".join(argv[:3])
    try:
        done = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            env=dict(env) if env is not None else None,
            preexec_fn=die_with_parent if tied else None,
        )
    except FileNotFoundError as error:
        raise ProvisionError(f"{label}: {error.strerror}: {error.filename}") from None
    except subprocess.TimeoutExpired:
        raise ProvisionError(f"{label}: no result after {timeout:.0f}s") from None
    if done.returncode != 0:
        detail = one_line(last_line(done.stdout)) or "no output"
        raise ProvisionError(f"{label}: exit status {done.returncode}: {detail}")
    return done.stdout


# -- apt -------------------------------------------------------------------------------


@contextlib.contextmanager
def no_service_autostart(root: Path = Path("/")) -> Iterator[None]:
    """Keep package maintainer scripts from starting services while inside the block.

    `invoke-rc.d` asks `/usr/sbin/policy-rc.d` first and exit status 101 means
    "action forbidden" (/usr/share/doc/init-system-helpers/README.policy-rc.d.gz). A
    policy file that already exists is left alone; one written here is removed again.
    """
    policy = root / "usr/sbin/policy-rc.d"
    if policy.exists():
        yield
        return
    policy.write_text("#!/bin/sh\n# written by conformance.servers while installing\nexit 101\n")
    policy.chmod(0o755)
    try:
        yield
    finally:
        policy.unlink(missing_ok=True)


def apt_get(root: Path | None = None) -> list[str]:
    """The argv prefix for apt-get on the host (`root` None) or inside chroot `root`.

    In a chroot, expired `Valid-Until` dates are accepted, so a chroot debootstrapped
    from a snapshot.debian.org mirror (whose Release files expire) can still update.
    """
    if root is None:
        return ["apt-get", "-q", "-o", "Dpkg::Use-Pty=0"]
    return [
        *("chroot", str(root), "apt-get", "-q", "-o", "Dpkg::Use-Pty=0"),
        *("-o", "Acquire::Check-Valid-Until=false"),
    ]


def apt_install(packages: Sequence[str], *, root: Path | None = None, log: Log = quiet) -> None:
    """`apt-get install -y --no-install-recommends packages`, on the host or in `root`.

    When the install fails (package unknown, or the package lists point at files the
    mirror no longer has) this runs `apt-get update` and tries once more.
    """
    install = [*apt_get(root), "install", "-y", "--no-install-recommends", *packages]
    where = f"in {root}" if root is not None else "on the host"
    tied = root is not None
    try:
        run(install, timeout=900, env=CLEAN_ENV, what=f"apt-get install {where}", tied=tied)
    except ProvisionError as first:
        log(f"apt-get install failed ({first}); running apt-get update and retrying")
        update = [*apt_get(root), "update"]
        run(update, timeout=600, env=CLEAN_ENV, what=f"apt-get update {where}", tied=tied)
        run(install, timeout=900, env=CLEAN_ENV, what=f"apt-get install {where}", tied=tied)


def debian_mirror() -> str:
    """The Debian mirror URL to debootstrap from.

    `MYSQLPROTO_DEBIAN_MIRROR` if set (e.g. a snapshot.debian.org URL to pin sid),
    else the first `.../debian` URI in the host's apt sources, else deb.debian.org.
    """
    override = os.environ.get("MYSQLPROTO_DEBIAN_MIRROR")
    if override:
        return override.rstrip("/")
    sources = [Path("/etc/apt/sources.list")]
    sources += sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    sources += sorted(Path("/etc/apt/sources.list.d").glob("*.list"))
    for path in sources:
        with contextlib.suppress(OSError):
            for line in path.read_text().splitlines():
                for word in line.split():
                    if word.startswith(("http://", "https://")) and word.rstrip("/").endswith(
                        "/debian"
                    ):
                        return word.rstrip("/")
    return DEFAULT_MIRROR


def unreachable(url: str, timeout: float = 3.0) -> str | None:
    """Why `url`'s host cannot be reached over TCP, or None when it can.

    With `http_proxy`/`https_proxy` set the proxy is what has to answer.
    """
    parts = urlsplit(url)
    proxy = os.environ.get(f"{parts.scheme}_proxy") or os.environ.get(
        f"{parts.scheme.upper()}_PROXY"
    )
    target = urlsplit(proxy) if proxy else parts
    host = target.hostname or ""
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:
        return f"cannot reach {host}:{port} ({error.strerror or error})"


def have_command(name: str) -> bool:
    """Whether `name` is on PATH (or in the sbin directories root's PATH has)."""
    return shutil.which(name, path=CLEAN_ENV["PATH"]) is not None


# -- locks -----------------------------------------------------------------------------


@contextlib.contextmanager
def file_lock(path: Path, *, timeout: float = 1800.0, log: Log = quiet) -> Iterator[None]:
    """Hold an exclusive `flock` on `path` (created if needed) inside the block.

    Other processes building the same thing wait here, up to `timeout` seconds. The
    kernel drops the lock when the holder dies, so a killed build never wedges it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not announced:
                    log(f"waiting for {path} (another process is building)")
                    announced = True
                if time.monotonic() > deadline:
                    raise ProvisionError(f"{path}: still locked after {timeout:.0f}s") from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
