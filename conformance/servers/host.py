"""MariaDB 10.11 from the host's own Debian 12 (bookworm) packages.

The package is installed with apt, but its system service is not used: each server
gets a private data directory made by `mariadb-install-db` and a `mariadbd` process
started by `LocalServer`, with `--no-defaults` so `/etc/mysql` plays no part. The
distro's service is kept from starting at install time with a `policy-rc.d`, and
stopped and disabled if systemd started it anyway.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from pathlib import Path
from typing import Any

from .base import ProvisionError, ServerUnavailable
from .local import SERVER_BINARY, LocalServer
from .system import (
    Log,
    apt_install,
    have_command,
    is_root,
    no_service_autostart,
    quiet,
    run,
)

NAME = "mariadb-10.11"
SERIES = "10.11"
PACKAGES = ("mariadb-server",)


def installed_version() -> str | None:
    """The host's `mariadbd --version` (`10.11.19-MariaDB-0+deb12u1`), or None."""
    binary = Path(SERVER_BINARY["mariadb"])
    if not binary.exists():
        return None
    try:
        output = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"Ver\s+(\d+\.\d+\.\d+\S*)", output)
    return match.group(1) if match else None


def availability() -> tuple[bool, str]:
    """Whether MariaDB 10.11 runs, or can be installed, here; the reason in one line."""
    version = installed_version()
    if version is not None:
        if version.startswith(SERIES + "."):
            return True, f"MariaDB {version} installed on the host"
        return False, f"the host has MariaDB {version}, not {SERIES}.x"
    if not is_root():
        return False, "mariadb-server is not installed, and installing it needs root"
    if not have_command("apt-get"):
        return False, "mariadb-server is not installed, and there is no apt-get to install it"
    return True, "mariadb-server not installed yet; provisioning installs it with apt-get"


def provision(log: Log = quiet) -> str:
    """Install mariadb-server if needed and make sure its service stays out of the way."""
    version = installed_version()
    if version is None:
        ok, reason = availability()
        if not ok:
            raise ServerUnavailable(f"{NAME}: {reason}")
        log(f"{NAME}: apt-get install {' '.join(PACKAGES)}")
        with no_service_autostart():
            apt_install(PACKAGES, log=log)
        stop_distro_service()
        version = installed_version()
        if version is None:
            raise ProvisionError(f"{NAME}: installed {PACKAGES[0]} but mariadbd does not run")
        summary = f"installed MariaDB {version}"
    else:
        summary = f"MariaDB {version} already installed"
    if not version.startswith(SERIES + "."):
        raise ServerUnavailable(f"{NAME}: the host has MariaDB {version}, not {SERIES}.x")
    return summary


def stop_distro_service() -> None:
    """Stop and disable the packaged `mariadb` service where systemd runs it.

    Without systemd, `policy-rc.d` already kept it from starting.
    """
    if Path("/run/systemd/system").is_dir() and have_command("systemctl"):
        with contextlib.suppress(ProvisionError):
            run(["systemctl", "disable", "--now", "mariadb"], timeout=120)


class HostMariaDB(LocalServer):
    """MariaDB 10.11 from the host's packages, in a private directory under /tmp."""

    def __init__(self, workdir: Path | None = None, **kwargs: Any) -> None:
        super().__init__(name=NAME, flavour="mariadb", root=Path("/"), workdir=workdir, **kwargs)

    def provision(self) -> None:
        provision()
